/*
 * path_canon and path_resolve. The input is a path, optionally followed by
 * a NUL and a reference: the path is canonicalised, and the reference is
 * resolved against the canonical path's directory.
 *
 * Properties of every canonical path: starts with "/", has no "//", no ".."
 * or "." segment, and canonicalising it again changes nothing. Results are
 * compared with a segment-stack model, and the output size is honoured
 * exactly (buffers are heap blocks of the size passed): a result fits in
 * strlen + 1 bytes and not in fewer.
 *
 * path_under(prefix, path) must mean "path is prefix, or lies beneath it"
 * (a directory prefix also covers itself without its slash): "/a" covers
 * "/a/b" but not "/ab". It is checked on the canonical path and the
 * resolved one, both ways round.
 *
 * path_canon works in a scratch buffer of 2 * PATH_MAX_LEN + 4 bytes, so
 * inputs longer than INPUT_MAX (beyond anything a request or path_resolve
 * can hand it) may also fail as "too long"; shorter ones must not.
 */
#include <string.h>

#include "fuzz.h"
#include "path.h"

#define JOINED_MAX	(2 * PATH_MAX_LEN + 2)	/* path_resolve's scratch */
#define INPUT_MAX	(2 * PATH_MAX_LEN)	/* always within path_canon's */

/*
 * The model: split on "/", push names, pop on "..", join. out must hold
 * strlen(in) + 3 bytes. -1 when ".." climbs above the root.
 */
static int
model_canon(const char *in, char *out)
{
	size_t		 n = strlen(in), depth = 0, i, o = 0, lastlen = 0;
	const char	**seg, *p = in, *last = in;
	size_t		*len;
	int		 climbed = 0;

	seg = calloc(n / 2 + 2, sizeof *seg);
	len = calloc(n / 2 + 2, sizeof *len);
	if (seg == NULL || len == NULL)
		abort();
	while (*p != '\0') {
		const char	*s = p;
		size_t		 sl = strcspn(p, "/");

		p += sl;
		last = s, lastlen = sl;
		if (*p == '/') {
			p++;
			last = p, lastlen = 0;
		}
		if (sl == 0 || (sl == 1 && s[0] == '.'))
			continue;
		if (sl == 2 && s[0] == '.' && s[1] == '.') {
			if (depth == 0) {
				climbed = 1;
				break;
			}
			depth--;
			continue;
		}
		seg[depth] = s;
		len[depth++] = sl;
	}
	if (climbed) {
		free(seg);
		free(len);
		return -1;
	}
	out[o++] = '/';
	for (i = 0; i < depth; i++) {
		memcpy(out + o, seg[i], len[i]);
		o += len[i];
		out[o++] = '/';
	}
	/* A final name keeps no slash; a final "", "." or ".." keeps one. */
	if (depth > 0 && lastlen > 0 &&
	    !(lastlen == 1 && last[0] == '.') &&
	    !(lastlen == 2 && last[0] == '.' && last[1] == '.'))
		o--;
	out[o] = '\0';
	free(seg);
	free(len);
	return 0;
}

static int
has_segment(const char *p, const char *seg)
{
	size_t	n = strlen(seg);

	for (; (p = strchr(p, '/')) != NULL; p++)
		if (strncmp(p + 1, seg, n) == 0 && (p[n + 1] == '/' || p[n + 1] == '\0'))
			return 1;
	return 0;
}

static void
check_canonical(const char *p)
{
	size_t		 n = strlen(p);
	char		*again;
	const char	*errstr = NULL, *ext;
	int		 hidden = 0;

	FUZZ_ASSERT(p[0] == '/', "\"%s\" is not absolute", p);
	FUZZ_ASSERT(strstr(p, "//") == NULL, "\"%s\" has //", p);
	FUZZ_ASSERT(!has_segment(p, ".."), "\"%s\" has a .. segment", p);
	FUZZ_ASSERT(!has_segment(p, "."), "\"%s\" has a . segment", p);
	if ((again = malloc(n + 1)) == NULL)
		abort();
	FUZZ_ASSERT(path_canon(p, again, n + 1, &errstr) == 0,
	    "canonical \"%s\" refused: %s", p, errstr ? errstr : "?");
	FUZZ_ASSERT(strcmp(again, p) == 0, "\"%s\" became \"%s\"", p, again);
	free(again);
	for (const char *s = p; (s = strchr(s, '/')) != NULL; s++)
		hidden |= s[1] == '.';
	FUZZ_ASSERT(path_hidden(p) == hidden, "path_hidden(\"%s\")", p);
	ext = path_ext(p);
	FUZZ_ASSERT(ext[0] == '\0' || (ext > p && ext <= p + strlen(p) &&
	    ext[-1] == '.' && strchr(ext, '/') == NULL), "path_ext(\"%s\")", p);
}

/* The model of path_under, segment by segment. */
static int
model_under(const char *prefix, const char *path)
{
	size_t	n = strlen(prefix);

	if (strcmp(prefix, path) == 0)
		return 1;
	if (n > 0 && prefix[n - 1] == '/')
		return strncmp(prefix, path, n) == 0 ||
		    (strlen(path) == n - 1 && strncmp(prefix, path, n - 1) == 0);
	return strncmp(prefix, path, n) == 0 && path[n] == '/';
}

static void
check_under(const char *prefix, const char *path)
{
	FUZZ_ASSERT(path_under(prefix, path) == model_under(prefix, path),
	    "path_under(\"%s\", \"%s\") is %d", prefix, path,
	    path_under(prefix, path));
}

/* Canonicalises into an exactly sized heap block; the result or NULL. */
static char *
canon_sized(const char *in, size_t outsz)
{
	char		*out = malloc(outsz ? outsz : 1);
	const char	*errstr = NULL;

	if (out == NULL)
		abort();
	if (path_canon(in, out, outsz, &errstr) == -1) {
		FUZZ_ASSERT(errstr != NULL, "failed without errstr");
		free(out);
		return NULL;
	}
	return out;
}

/* path_canon against the model, in roomy, exact and short buffers. */
static void
check_canon(const char *in)
{
	size_t	 n = strlen(in);
	char	*got, *want;
	int	 m;

	if ((want = malloc(n + 3)) == NULL)
		abort();
	m = model_canon(in, want);
	got = canon_sized(in, n + 3);	/* always room for "/" in "/" NUL */
	if (n > INPUT_MAX && m == 0 && got == NULL) {
		free(want);
		return;		/* too long for the scratch buffer */
	}
	FUZZ_ASSERT((got != NULL) == (m == 0), "\"%s\": path_canon %s, model %s",
	    in, got ? "ok" : "failed", m == 0 ? "ok" : "failed");
	if (got != NULL) {
		FUZZ_ASSERT(strcmp(got, want) == 0, "\"%s\": got \"%s\", "
		    "model \"%s\"", in, got, want);
		check_canonical(got);
		free(got);
		n = strlen(want);
		FUZZ_ASSERT(canon_sized(in, n) == NULL, "\"%s\" fit in %zu bytes",
		    in, n);
		got = canon_sized(in, n + 1);
		FUZZ_ASSERT(got != NULL && strcmp(got, want) == 0,
		    "\"%s\" does not fit in %zu bytes", want, n + 1);
		free(got);
	}
	free(want);
}

/*
 * Resolves ref against base, a canonical directory, as render_local does;
 * canon is the canonical path base is the directory of.
 */
static void
check_resolve(const char *canon, const char *base, const char *ref)
{
	size_t		 bl = strlen(base), rl = strlen(ref);
	char		*joined, *want, *out;
	const char	*errstr = NULL;
	int		 m, r;

	if ((joined = malloc(bl + rl + 2)) == NULL ||
	    (want = malloc(bl + rl + 5)) == NULL ||
	    (out = malloc(PATH_MAX_LEN + 2)) == NULL)
		abort();
	memcpy(joined, base, bl);
	joined[bl] = '/';
	memcpy(joined + bl + 1, ref, rl + 1);
	if (ref[0] == '/')
		m = model_canon(ref, want);
	else if (bl + 1 + rl >= JOINED_MAX)
		m = -1;		/* too long for path_resolve's scratch */
	else
		m = model_canon(joined, want);
	r = path_resolve(base, ref, out, PATH_MAX_LEN + 2, &errstr);
	if (m == -1)
		FUZZ_ASSERT(r == -1, "\"%s\" + \"%s\" gave \"%s\"", base, ref, out);
	if (r == 0) {
		FUZZ_ASSERT(strcmp(out, want) == 0, "\"%s\" + \"%s\": got \"%s\", "
		    "model \"%s\"", base, ref, out, want);
		check_canonical(out);
		check_under(canon, out);
		check_under(out, canon);
	} else
		FUZZ_ASSERT(errstr != NULL, "failed without errstr");
	free(out);
	free(want);
	free(joined);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*in = fuzz_cstr(data, size), *canon, *base;
	size_t	 n = strlen(in);

	check_canon(in);
	/* After a NUL: a reference, resolved against the path's directory. */
	if (n < size && n <= PATH_MAX_LEN && (canon = canon_sized(in, n + 3)) != NULL) {
		if ((base = strdup(canon)) == NULL)
			abort();
		*(strrchr(base, '/') + 1) = '\0';
		check_resolve(canon, base, in + n + 1);
		free(base);
		free(canon);
	}
	free(in);
	return 0;
}
