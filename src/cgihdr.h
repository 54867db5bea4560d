/* A program's answer header (a Gemini status line): pure, no I/O. */
#ifndef TULPAR_CGIHDR_H
#define TULPAR_CGIHDR_H

#include <stddef.h>

#define CGIHDR_META_MAX	1024
#define CGIHDR_MAX	(2 + 1 + CGIHDR_META_MAX + 2)	/* 1029 */

struct cgihdr {
	int		 status;	/* 10..69 */
	const char	*meta;		/* into the input, not NUL-terminated */
	size_t		 metalen;
	size_t		 len;		/* bytes of the line, its end included */
};

/*
 * Parses the status line at the start of a program's output. 1 with *h
 * filled, 0 when more bytes are needed (fewer than CGIHDR_MAX and no line
 * end yet), -1 with *errstr when the output is not a valid answer.
 */
int	cgihdr_parse(const char *, size_t, struct cgihdr *, const char **);

#endif
