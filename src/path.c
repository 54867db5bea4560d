/* Canonical paths: the one place that decides where a request points. Pure. */
#include <string.h>

#include "compat.h"
#include "path.h"

/* Drops the last segment of out[0..*o), which ends in "/". */
static int
path_pop(char *out, size_t *o)
{
	if (*o <= 1)
		return -1;
	(*o)--;
	while (*o > 0 && out[*o - 1] != '/')
		(*o)--;
	return 0;
}

/* Works in a scratch buffer, so out needs to hold only the result. */
int
path_canon(const char *in, char *result, size_t resultsz, const char **errstr)
{
	char	out[2 * PATH_MAX_LEN + 4];
	size_t	o = 0, outsz = sizeof out;
	int	trailing = 1;

	out[o++] = '/';
	while (*in != '\0') {
		const char	*seg;
		size_t		 n;

		while (*in == '/')
			in++;
		seg = in;
		while (*in != '\0' && *in != '/')
			in++;
		n = in - seg;
		trailing = *in == '/' || n == 0;
		if (n == 0 || (n == 1 && seg[0] == '.')) {
			trailing = 1;
			continue;
		}
		if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			if (path_pop(out, &o) == -1) {
				*errstr = "path climbs above the root";
				return -1;
			}
			trailing = 1;
			continue;
		}
		if (o + n + 2 > outsz) {
			*errstr = "path too long";
			return -1;
		}
		memcpy(out + o, seg, n);
		o += n;
		out[o++] = '/';
	}
	if (!trailing && o > 1)
		o--;
	out[o] = '\0';
	if (strlcpy(result, out, resultsz) >= resultsz) {
		*errstr = "path too long";
		return -1;
	}
	return 0;
}

int
path_resolve(const char *base, const char *ref, char *out, size_t outsz,
    const char **errstr)
{
	char	joined[2 * PATH_MAX_LEN + 2];

	if (ref[0] == '/')
		return path_canon(ref, out, outsz, errstr);
	if (strlcpy(joined, base, sizeof joined) >= sizeof joined ||
	    strlcat(joined, "/", sizeof joined) >= sizeof joined ||
	    strlcat(joined, ref, sizeof joined) >= sizeof joined) {
		*errstr = "path too long";
		return -1;
	}
	return path_canon(joined, out, outsz, errstr);
}

int
path_hidden(const char *p)
{
	if (p[0] == '.')
		return 1;
	for (; *p != '\0'; p++)
		if (p[0] == '/' && p[1] == '.')
			return 1;
	return 0;
}

const char *
path_ext(const char *p)
{
	const char	*name = strrchr(p, '/'), *dot;

	name = name == NULL ? p : name + 1;
	dot = strrchr(name, '.');
	if (dot == NULL || dot == name)
		return "";
	return dot + 1;
}

/*
 * "/a/" covers "/a/", "/a/b" and "/a" (the directory without its slash);
 * "/a" covers "/a" and "/a/b" but not "/ab"; "/a.gmi" covers only itself.
 */
int
path_under(const char *prefix, const char *path)
{
	size_t	n = strlen(prefix);

	if (n == 0)
		return 0;
	if (strncmp(prefix, path, n) == 0)
		return path[n] == '\0' || prefix[n - 1] == '/' || path[n] == '/';
	return n > 1 && prefix[n - 1] == '/' && strncmp(prefix, path, n - 1) == 0 &&
	    path[n - 1] == '\0';
}
