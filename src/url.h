/* Gemini request URL parsing: pure, no I/O. */
#ifndef TULPAR_URL_H
#define TULPAR_URL_H

#include <stddef.h>

#define URL_MAX		1024	/* longest request URL, in bytes, without CRLF */

struct url {
	char	scheme[32];		/* lower-cased */
	char	host[256];		/* as written, brackets kept for IPv6 */
	int	port;			/* -1 when absent */
	char	path[URL_MAX + 1];	/* percent-decoded, not canonicalised */
	char	query[URL_MAX + 1];	/* raw (still encoded) */
	int	has_query;
	int	has_authority;
};

/*
 * Parses one request line (without CRLF). Returns 0 with *u filled, or -1
 * with *errstr saying why the request is malformed (a Gemini 59).
 * A URL whose scheme is not gemini parses as far as its scheme only.
 */
int	url_parse(const char *, size_t, struct url *, const char **);

/* Decodes %XX escapes into out; -1 on a bad escape, %00, or overflow. */
int	url_decode(const char *, size_t, char *, size_t, const char **);

/* Percent-encodes a decoded path for use in a URL or link line. */
int	url_encode_path(const char *, char *, size_t);

/* Checks that a byte string is valid UTF-8 (no overlongs, no surrogates). */
int	utf8_valid(const char *, size_t);

/* Compares host names case-insensitively, ignoring one trailing dot. */
int	url_host_equal(const char *, const char *);

#endif
