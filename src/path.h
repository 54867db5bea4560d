/* Path canonicalisation: pure, no I/O. */
#ifndef TULPAR_PATH_H
#define TULPAR_PATH_H

#include <stddef.h>

#define PATH_MAX_LEN	1024

/*
 * Canonicalises a decoded absolute path: collapses "//", resolves "." and
 * "..", keeps a trailing "/" (also after a final "." or ".."). "" is "/".
 * Returns -1 if ".." would climb above the root, or out is too small.
 */
int	path_canon(const char *, char *, size_t, const char **);

/*
 * Resolves a decoded reference against a canonical directory ("/a/b/")
 * and canonicalises the result. An absolute reference ignores the base.
 */
int	path_resolve(const char *, const char *, char *, size_t, const char **);

/* Returns 1 if any segment of a canonical path begins with ".". */
int	path_hidden(const char *);

/* Returns 1 if a canonical path is prefix or lies beneath it. */
int	path_under(const char *, const char *);

/* Returns the extension of the last segment ("gmi"), or "" if none. */
const char *path_ext(const char *);

#endif
