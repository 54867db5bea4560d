/*
 * url_parse on a raw Gemini request line (CRLF already stripped), plus the
 * percent-coding helpers it is built from.
 *
 * Properties:
 * - an accepted line holds no byte < 0x20, no 0x7f and only valid UTF-8
 *   (checked here by an independent decoder, not by utf8_valid);
 * - an accepted gemini URL re-serialised as "gemini://" host [":" port]
 *   url_encode_path(path) ["?" query] parses to the same parts;
 * - url_encode_path output decodes back to its input, and both functions
 *   honour their output size exactly.
 */
#include <string.h>

#include "fuzz.h"
#include "url.h"

/* RFC 3629 UTF-8, decoded the long way round. */
static int
utf8_ok(const unsigned char *p, size_t n)
{
	size_t	i = 0;

	while (i < n) {
		unsigned long	cp, min;
		size_t		k, j;

		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0) {
			k = 1, cp = p[i] & 0x1f, min = 0x80;
		} else if ((p[i] & 0xf0) == 0xe0) {
			k = 2, cp = p[i] & 0x0f, min = 0x800;
		} else if ((p[i] & 0xf8) == 0xf0) {
			k = 3, cp = p[i] & 0x07, min = 0x10000;
		} else
			return 0;
		if (n - i - 1 < k)
			return 0;
		for (j = 1; j <= k; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += k + 1;
	}
	return 1;
}

static int
has_ctl(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] == 0x7f)
			return 1;
	return 0;
}

/* What any accepted gemini URL must look like. */
static void
check_parts(const struct url *u)
{
	size_t	pl = strlen(u->path);

	FUZZ_ASSERT(u->has_authority, "gemini URL without authority");
	FUZZ_ASSERT(u->host[0] != '\0', "empty host");
	FUZZ_ASSERT(u->port >= -1 && u->port <= 65535, "port %d", u->port);
	FUZZ_ASSERT(pl == 0 || u->path[0] == '/', "path \"%s\"", u->path);
	FUZZ_ASSERT(!has_ctl((const unsigned char *)u->path, pl),
	    "control byte in decoded path");
	FUZZ_ASSERT(utf8_ok((const unsigned char *)u->path, pl),
	    "invalid UTF-8 in decoded path");
	FUZZ_ASSERT(u->has_query || u->query[0] == '\0', "query without '?'");
	FUZZ_ASSERT(strchr(u->query, '#') == NULL, "'#' in query");
}

/* Builds the URL back from its parts and parses it again. */
static void
check_roundtrip(const struct url *u)
{
	static char	 enc[3 * URL_MAX + 1], s[4 * URL_MAX + 512];
	struct url	 v;
	const char	*errstr = NULL;
	char		 port[16] = "";
	int		 r;

	FUZZ_ASSERT(url_encode_path(u->path, enc, sizeof enc) == 0,
	    "url_encode_path failed on a %zu-byte path", strlen(u->path));
	if (u->port != -1)
		snprintf(port, sizeof port, ":%d", u->port);
	r = snprintf(s, sizeof s, "gemini://%s%s%s%s%s", u->host, port, enc,
	    u->has_query ? "?" : "", u->query);
	FUZZ_ASSERT(r > 0 && (size_t)r < sizeof s, "snprintf %d", r);
	if ((size_t)r > URL_MAX)
		return;		/* encoding made it too long to be a request */
	FUZZ_ASSERT(url_parse(s, (size_t)r, &v, &errstr) == 0,
	    "re-serialised \"%s\" refused: %s", s, errstr ? errstr : "?");
	FUZZ_ASSERT(strcmp(v.scheme, "gemini") == 0, "scheme \"%s\"", v.scheme);
	FUZZ_ASSERT(strcmp(v.host, u->host) == 0, "host \"%s\" became \"%s\"",
	    u->host, v.host);
	FUZZ_ASSERT(v.port == u->port, "port %d became %d", u->port, v.port);
	FUZZ_ASSERT(strcmp(v.path, u->path) == 0, "path \"%s\" became \"%s\"",
	    u->path, v.path);
	FUZZ_ASSERT(v.has_query == u->has_query && strcmp(v.query, u->query) == 0,
	    "query \"%s\" became \"%s\"", u->query, v.query);
}

static int
enc_char_ok(const char *p)
{
	static const char	keep[] = "-._~/!$&'()*+,;=:@";
	static const char	hex[] = "0123456789ABCDEF";

	if (*p == '%')
		return p[1] != '\0' && p[2] != '\0' && strchr(hex, p[1]) != NULL &&
		    strchr(hex, p[2]) != NULL;
	return ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
	    (*p >= '0' && *p <= '9') || strchr(keep, *p) != NULL);
}

/* url_encode_path then url_decode is the identity, in exactly sized buffers. */
static void
check_coding(const char *s)
{
	size_t		 n = strlen(s), need, i;
	char		*enc, *dec, *big;
	const char	*errstr = NULL;

	big = malloc(3 * n + 1);
	if (big == NULL)
		abort();
	FUZZ_ASSERT(url_encode_path(s, big, 3 * n + 1) == 0, "encode failed");
	need = strlen(big) + 1;
	for (i = 0; big[i] != '\0'; i++)
		FUZZ_ASSERT(enc_char_ok(big + i), "bad byte 0x%02x in \"%s\"",
		    (unsigned char)big[i], big);
	enc = malloc(need);
	if (enc == NULL)
		abort();
	FUZZ_ASSERT(url_encode_path(s, enc, need) == 0, "exact size refused");
	FUZZ_ASSERT(strcmp(enc, big) == 0, "exact size differs");
	FUZZ_ASSERT(url_encode_path(s, enc, need - 1) == -1, "short buffer accepted");
	free(enc);
	dec = malloc(n + 1);
	if (dec == NULL)
		abort();
	FUZZ_ASSERT(url_decode(big, need - 1, dec, n + 1, &errstr) == 0,
	    "decode of \"%s\" failed: %s", big, errstr ? errstr : "?");
	FUZZ_ASSERT(strcmp(dec, s) == 0, "decode(encode(s)) != s");
	if (n > 0)
		FUZZ_ASSERT(url_decode(big, need - 1, dec, n, &errstr) == -1,
		    "decode into a short buffer accepted");
	free(dec);
	free(big);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct url	 u;
	const char		*errstr = NULL;
	char			*s;

	if (url_parse((const char *)data, size, &u, &errstr) == 0) {
		FUZZ_ASSERT(size <= URL_MAX, "%zu-byte URL accepted", size);
		FUZZ_ASSERT(!has_ctl(data, size), "control byte accepted");
		FUZZ_ASSERT(utf8_ok(data, size), "invalid UTF-8 accepted");
		if (strcmp(u.scheme, "gemini") == 0) {
			check_parts(&u);
			check_roundtrip(&u);
		}
	} else
		FUZZ_ASSERT(errstr != NULL && errstr[0] != '\0', "no errstr");
	s = fuzz_cstr(data, size);
	check_coding(s);
	free(s);
	return 0;
}
