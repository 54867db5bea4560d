/*
 * Titan (gemini://transjovian.org/titan): the upload request line
 * "titan://host/path;size=N;mime=TYPE;token=T", parsed. Pure, no I/O.
 */
#ifndef TULPAR_TITAN_H
#define TULPAR_TITAN_H

#include <stddef.h>

#include "url.h"

#define TITAN_SIZE_MAX	(1LL << 40)	/* no titan_max_size above 1 TiB */

struct titan_params {
	long long	 size;		/* bytes that follow the request line */
	char		 mime[128];	/* decoded; "" when absent */
	char		 token[256];	/* decoded */
	int		 has_token;
	char		 url[URL_MAX + 8];	/* the same URL as gemini://, no parameters */
};

/*
 * Parses a titan:// request line (without CRLF). size must be there, a
 * decimal integer, not negative, without overflow; a parameter twice is
 * refused; unknown parameters are ignored. 0, or -1 with errstr.
 */
int	titan_parse(const char *, size_t, struct titan_params *, const char **);

/* "10M": bytes with an optional K, M or G suffix (powers of 1024). */
int	titan_size_parse(const char *, long long *, const char **);

#endif
