/*
 * The reference servers' fixed response: a header, then gemtext filler up
 * to exactly the requested size, so the floor moves as many bytes as
 * tulpar's page.
 */
#include <sys/resource.h>

#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "refbody.h"

static const char filler[] =
    "The reference server answers every request with these same bytes.\n";

static long
refbody_number(const char *s, long lo, long hi, const char *what)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "bad %s: %s\n", what, s);
		exit(2);
	}
	return v;
}

/* Builds header + filler of `size` bytes in all; raises the fd limit. */
void
refbody_setup(struct refbody *b, const char *header, const char *size)
{
	struct rlimit	rl;
	size_t		hlen = strlen(header), i;

	b->len = size == NULL ? REFBODY_DEFAULT :
	    (size_t)refbody_number(size, (long)hlen + 1, REFBODY_MAX, "size");
	if ((b->data = malloc(b->len)) == NULL) {
		perror("malloc");
		exit(1);
	}
	memcpy(b->data, header, hlen);
	for (i = hlen; i < b->len; i++)
		b->data[i] = filler[(i - hlen) % (sizeof filler - 1)];
	b->data[b->len - 1] = '\n';

	signal(SIGPIPE, SIG_IGN);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* 127.0.0.1:port: the benchmarks stay on loopback. */
void
refbody_addr(struct sockaddr_in *sin, const char *port)
{
	memset(sin, 0, sizeof *sin);
	sin->sin_family = AF_INET;
	sin->sin_port = htons((unsigned short)refbody_number(port, 1, 65535,
	    "port"));
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}
