/* The extension table: MIME type for Gemini, item type for Gopher. */
#include <stddef.h>
#include <strings.h>

#include "mime.h"
#include "path.h"

static const struct {
	const char	*ext;
	const char	*type;
	char		 gopher;
} mime_table[] = {
	{ "gmi",	"text/gemini",		'1' },
	{ "gemini",	"text/gemini",		'1' },
	{ "txt",	"text/plain",		'0' },
	{ "md",		"text/markdown",	'0' },
	{ "csv",	"text/csv",		'0' },
	{ "css",	"text/css",		'0' },
	{ "xml",	"text/xml",		'0' },
	{ "html",	"text/html",		'h' },
	{ "htm",	"text/html",		'h' },
	{ "gif",	"image/gif",		'g' },
	{ "png",	"image/png",		'I' },
	{ "jpg",	"image/jpeg",		'I' },
	{ "jpeg",	"image/jpeg",		'I' },
	{ "webp",	"image/webp",		'I' },
	{ "svg",	"image/svg+xml",	'I' },
	{ "ico",	"image/x-icon",		'I' },
	{ "pdf",	"application/pdf",	'9' },
	{ "json",	"application/json",	'9' },
	{ "zip",	"application/zip",	'9' },
	{ "gz",		"application/gzip",	'9' },
	{ "mp3",	"audio/mpeg",		'9' },
	{ "ogg",	"audio/ogg",		'9' },
	{ "flac",	"audio/flac",		'9' },
	{ "mp4",	"video/mp4",		'9' },
};

static int
mime_find(const char *name)
{
	const char	*ext = path_ext(name);
	size_t		 i;

	for (i = 0; i < sizeof mime_table / sizeof mime_table[0]; i++)
		if (strcasecmp(ext, mime_table[i].ext) == 0)
			return (int)i;
	return -1;
}

const char *
mime_type(const char *name)
{
	int	i = mime_find(name);

	return i == -1 ? "application/octet-stream" : mime_table[i].type;
}

int
mime_is_gemtext(const char *name)
{
	int	i = mime_find(name);

	return i != -1 && mime_table[i].gopher == '1';
}

char
mime_gopher_type(const char *name)
{
	int	i = mime_find(name);

	return i == -1 ? '9' : mime_table[i].gopher;
}
