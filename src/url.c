/*
 * Gemini request URLs (RFC 3986 absolute-URI, Gemini's restrictions).
 * Pure: no I/O, no allocation, so tests and fuzzers link it as it is.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "compat.h"
#include "url.h"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* UTF-8 per RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF. */
int
utf8_valid(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s, *end = p + len;

	while (p < end) {
		unsigned char	c = *p;
		size_t		n, i;
		unsigned long	cp;

		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else
			return 0;
		if ((size_t)(end - p) <= n)
			return 0;
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		p += n + 1;
	}
	return 1;
}

/* pct-encoded = "%" HEXDIG HEXDIG; %00 is refused. */
int
url_decode(const char *s, size_t len, char *out, size_t outsz,
    const char **errstr)
{
	size_t	i, o = 0;

	for (i = 0; i < len; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= len) {
				*errstr = "truncated percent-encoding";
				return -1;
			}
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
			if (hi == -1 || lo == -1) {
				*errstr = "invalid percent-encoding";
				return -1;
			}
			c = hi << 4 | lo;
			if (c == 0) {
				*errstr = "encoded NUL";
				return -1;
			}
			i += 2;
		}
		if (o + 1 >= outsz) {
			*errstr = "too long";
			return -1;
		}
		out[o++] = c;
	}
	if (outsz == 0) {
		*errstr = "too long";
		return -1;
	}
	out[o] = '\0';
	return 0;
}

int
url_encode_path(const char *s, char *out, size_t outsz)
{
	static const char	 hex[] = "0123456789ABCDEF";
	static const char	 keep[] = "-._~/!$&'()*+,;=:@";
	size_t			 o = 0;

	for (; *s != '\0'; s++) {
		unsigned char c = *s;

		if ((c < 0x80 && isalnum(c)) || strchr(keep, c) != NULL) {
			if (o + 1 >= outsz)
				return -1;
			out[o++] = c;
		} else {
			if (o + 3 >= outsz)
				return -1;
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 0xf];
		}
	}
	if (outsz == 0)
		return -1;
	out[o] = '\0';
	return 0;
}

int
url_host_equal(const char *a, const char *b)
{
	size_t	la = strlen(a), lb = strlen(b);

	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
static int
url_scheme(const char *s, size_t len, struct url *u, size_t *used)
{
	size_t	i;

	if (len == 0 || !isalpha((unsigned char)s[0]))
		return -1;
	for (i = 0; i < len && s[i] != ':'; i++) {
		unsigned char c = s[i];

		if (!(isalnum(c) && c < 0x80) && c != '+' && c != '-' && c != '.')
			return -1;
		if (i + 1 >= sizeof u->scheme)
			return -1;
		u->scheme[i] = tolower(c);
	}
	if (i == len)
		return -1;
	u->scheme[i] = '\0';
	*used = i + 1;
	return 0;
}

/* reg-name = *( unreserved / pct-encoded / sub-delims ); raw UTF-8 allowed. */
static int
host_char(unsigned char c)
{
	return (isalnum(c) && c < 0x80) || c >= 0x80 ||
	    strchr("-._~!$&'()*+,;=%", c) != NULL;
}

/* authority = host [ ":" port ]; userinfo is refused. */
static int
url_authority(const char *s, size_t len, struct url *u, const char **errstr)
{
	size_t	hl, i;

	if (memchr(s, '@', len) != NULL) {
		*errstr = "userinfo in URL";
		return -1;
	}
	if (len > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', len);

		if (close == NULL) {
			*errstr = "unterminated IPv6 address";
			return -1;
		}
		hl = close - s + 1;
		for (i = 1; i < hl - 1; i++)
			if (!isxdigit((unsigned char)s[i]) && s[i] != ':' &&
			    s[i] != '.') {
				*errstr = "invalid IPv6 address";
				return -1;
			}
	} else {
		for (hl = 0; hl < len && s[hl] != ':'; hl++)
			if (!host_char((unsigned char)s[hl])) {
				*errstr = "invalid host";
				return -1;
			}
	}
	if (hl == 0) {
		*errstr = "empty host";
		return -1;
	}
	if (hl >= sizeof u->host) {
		*errstr = "host too long";
		return -1;
	}
	memcpy(u->host, s, hl);
	u->host[hl] = '\0';
	u->port = -1;
	if (hl == len)
		return 0;
	if (s[hl] != ':') {
		*errstr = "invalid host";
		return -1;
	}
	if (hl + 1 == len)
		return 0;	/* empty port: the default */
	u->port = 0;
	for (i = hl + 1; i < len; i++) {
		if (!isdigit((unsigned char)s[i]) || u->port > 65535) {
			*errstr = "invalid port";
			return -1;
		}
		u->port = u->port * 10 + (s[i] - '0');
	}
	if (u->port > 65535) {
		*errstr = "invalid port";
		return -1;
	}
	return 0;
}

/* The decoded path must be UTF-8 without control bytes. */
static int
url_path(const char *s, size_t len, struct url *u, const char **errstr)
{
	size_t	i, n;

	if (url_decode(s, len, u->path, sizeof u->path, errstr) == -1)
		return -1;
	n = strlen(u->path);
	for (i = 0; i < n; i++) {
		unsigned char c = u->path[i];

		if (c < 0x20 || c == 0x7f) {
			*errstr = "encoded control byte in path";
			return -1;
		}
	}
	if (!utf8_valid(u->path, n)) {
		*errstr = "encoded invalid UTF-8 in path";
		return -1;
	}
	return 0;
}

static int
url_query(const char *s, size_t len, struct url *u, const char **errstr)
{
	char	scratch[URL_MAX + 1];

	if (url_decode(s, len, scratch, sizeof scratch, errstr) == -1)
		return -1;
	if (!utf8_valid(scratch, strlen(scratch))) {
		*errstr = "encoded invalid UTF-8 in query";
		return -1;
	}
	memcpy(u->query, s, len);
	u->query[len] = '\0';
	u->has_query = 1;
	return 0;
}

/* Checks bytes a request line may never hold, before any parsing. */
static int
url_bytes(const char *s, size_t len, const char **errstr)
{
	size_t	i;

	if (len > URL_MAX) {
		*errstr = "URL longer than 1024 bytes";
		return -1;
	}
	if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
		*errstr = "byte-order mark before URL";
		return -1;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c < 0x20 || c == 0x7f) {
			*errstr = c == 0 ? "NUL in request" : "control byte in request";
			return -1;
		}
	}
	if (!utf8_valid(s, len)) {
		*errstr = "invalid UTF-8 in request";
		return -1;
	}
	return 0;
}

/* absolute-URI = scheme ":" "//" authority path-abempty [ "?" query ] */
int
url_parse(const char *s, size_t len, struct url *u, const char **errstr)
{
	size_t	 i, a, p;

	memset(u, 0, sizeof *u);
	u->port = -1;
	if (url_bytes(s, len, errstr) == -1)
		return -1;
	if (url_scheme(s, len, u, &i) == -1) {
		*errstr = "not an absolute URL";
		return -1;
	}
	if (strcmp(u->scheme, "gemini") != 0)
		return 0;
	if (memchr(s, '#', len) != NULL) {
		*errstr = "fragment in URL";
		return -1;
	}
	if (len - i < 2 || s[i] != '/' || s[i + 1] != '/') {
		*errstr = "URL without authority";
		return -1;
	}
	u->has_authority = 1;
	a = i + 2;
	for (p = a; p < len && s[p] != '/' && s[p] != '?'; p++)
		;
	if (url_authority(s + a, p - a, u, errstr) == -1)
		return -1;
	for (i = p; i < len && s[i] != '?'; i++)
		;
	if (url_path(s + p, i - p, u, errstr) == -1)
		return -1;
	if (i < len && url_query(s + i + 1, len - i - 1, u, errstr) == -1)
		return -1;
	return 0;
}
