/*
 * A program answers in Gemini: its output starts with a status line,
 * which tulpar checks before anything reaches the client and writes out
 * again itself, so a client never sees a malformed header.
 */
#include <string.h>

#include "cgihdr.h"
#include "url.h"

/*
 * line = DIGIT DIGIT SP meta ( CRLF / LF ), the first digit 1-6, meta at
 * most 1024 bytes of UTF-8 without control bytes. A bare LF is taken
 * (shell scripts echo); the line sent on always ends in CRLF.
 */
int
cgihdr_parse(const char *p, size_t n, struct cgihdr *h, const char **errstr)
{
	const char	*nl = memchr(p, '\n', n < CGIHDR_MAX ? n : CGIHDR_MAX);
	size_t		 end, i;

	if (nl == NULL) {
		if (n < CGIHDR_MAX) {
			for (i = 0; i < n && i < 3; i++)	/* fail early */
				if ((i < 2 && (p[i] < '0' || p[i] > '9')) ||
				    (i == 2 && p[i] != ' '))
					break;
			if (i == (n < 3 ? n : 3))
				return 0;
		}
		*errstr = n < CGIHDR_MAX ? "no status line" :
		    "no status line in the first 1029 bytes";
		return -1;
	}
	end = nl - p;
	if (end > 0 && p[end - 1] == '\r')
		end--;
	if (end < 3 || p[0] < '1' || p[0] > '6' || p[1] < '0' || p[1] > '9' ||
	    p[2] != ' ') {
		*errstr = "status line is not two digits and a space";
		return -1;
	}
	if (end - 3 > CGIHDR_META_MAX) {
		*errstr = "meta longer than 1024 bytes";
		return -1;
	}
	for (i = 3; i < end; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f) {
			*errstr = "control byte in meta";
			return -1;
		}
	if (!utf8_valid(p + 3, end - 3)) {
		*errstr = "meta is not UTF-8";
		return -1;
	}
	h->status = (p[0] - '0') * 10 + (p[1] - '0');
	h->meta = p + 3;
	h->metalen = end - 3;
	h->len = nl - p + 1;
	return 1;
}
