/*
 * The Titan request line. The parameters follow the path after a ";",
 * each "name=value", percent-encoded:
 *
 *   titan-URL = "titan://" authority path *( ";" param )
 *   param     = name "=" value
 *
 * The URL without them, rewritten as gemini://, goes through url_parse
 * like any Gemini request, so both share one host and path grammar.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "compat.h"
#include "titan.h"

#define TITAN_SCHEME	"titan://"

/* size = 1*DIGIT; above TITAN_SIZE_MAX counts as overflow */
static int
titan_number(const char *s, size_t len, long long *out, const char **errstr)
{
	long long	n = 0;
	size_t		i;

	if (len == 0) {
		*errstr = "empty size";
		return -1;
	}
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i])) {
			*errstr = "size is not a non-negative integer";
			return -1;
		}
		if (n > (TITAN_SIZE_MAX - (s[i] - '0')) / 10) {
			*errstr = "size too large";
			return -1;
		}
		n = n * 10 + (s[i] - '0');
	}
	*out = n;
	return 0;
}

static int
titan_value(const char *v, size_t len, char *out, size_t outsz,
    const char **errstr)
{
	size_t	i;

	if (url_decode(v, len, out, outsz, errstr) == -1)
		return -1;
	for (i = 0; out[i] != '\0'; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f) {
			*errstr = "control byte in parameter";
			return -1;
		}
	return 0;
}

/* One "name=value"; seen keeps which names came already. */
static int
titan_param(const char *p, size_t len, struct titan_params *tp, int *seen,
    const char **errstr)
{
	static const char *const names[] = { "size", "mime", "token" };
	const char	*eq = memchr(p, '=', len);
	size_t		 nlen, i;

	if (eq == NULL) {
		*errstr = "parameter without '='";
		return -1;
	}
	nlen = eq - p;
	for (i = 0; i < 3; i++)
		if (strlen(names[i]) == nlen && strncasecmp(p, names[i], nlen) == 0)
			break;
	if (i == 3)
		return 0;	/* unknown parameters are ignored */
	if (*seen & (1 << i)) {
		*errstr = "parameter given twice";
		return -1;
	}
	*seen |= 1 << i;
	eq++;
	len -= nlen + 1;
	if (i == 0)
		return titan_number(eq, len, &tp->size, errstr);
	if (i == 1)
		return titan_value(eq, len, tp->mime, sizeof tp->mime, errstr);
	tp->has_token = 1;
	return titan_value(eq, len, tp->token, sizeof tp->token, errstr);
}

int
titan_parse(const char *s, size_t len, struct titan_params *tp,
    const char **errstr)
{
	const char	*semi, *p, *end = s + len, *next;
	size_t		 hl = strlen(TITAN_SCHEME);
	int		 seen = 0, n;

	memset(tp, 0, sizeof *tp);
	tp->size = -1;
	if (len < hl || strncasecmp(s, TITAN_SCHEME, hl) != 0) {
		*errstr = "not a titan:// URL";
		return -1;
	}
	if (memchr(s, '\0', len) != NULL) {
		*errstr = "NUL in request";
		return -1;
	}
	/* The parameters start at the first ';' of the path. */
	for (p = s + hl; p < end && *p != '/' && *p != '?' && *p != ';'; p++)
		;
	semi = memchr(p, ';', end - p);
	if (semi == NULL) {
		*errstr = "no size parameter";
		return -1;
	}
	if (memchr(s, '?', semi - s) != NULL || memchr(semi, '?', end - semi) != NULL) {
		*errstr = "query in titan URL";
		return -1;
	}
	n = snprintf(tp->url, sizeof tp->url, "gemini://%.*s", (int)(semi - s - hl),
	    s + hl);
	if (n < 0 || (size_t)n >= sizeof tp->url) {
		*errstr = "request too long";
		return -1;
	}
	for (p = semi + 1;; p = next + 1) {
		if ((next = memchr(p, ';', end - p)) == NULL)
			next = end;
		if (next > p && titan_param(p, next - p, tp, &seen, errstr) == -1)
			return -1;
		if (next == end)
			break;
	}
	if (tp->size == -1) {
		*errstr = "no size parameter";
		return -1;
	}
	return 0;
}

int
titan_size_parse(const char *s, long long *out, const char **errstr)
{
	size_t		len = strlen(s);
	long long	n, mult = 1;

	if (len > 0) {
		switch (toupper((unsigned char)s[len - 1])) {
		case 'K': mult = 1024; len--; break;
		case 'M': mult = 1024 * 1024; len--; break;
		case 'G': mult = 1024 * 1024 * 1024; len--; break;
		}
	}
	if (titan_number(s, len, &n, errstr) == -1)
		return -1;
	if (n > TITAN_SIZE_MAX / mult) {
		*errstr = "size too large";
		return -1;
	}
	*out = n * mult;
	return 0;
}
