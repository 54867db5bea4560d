/*
 * Listening sockets and the accept loop. Past the connection cap a new
 * connection is closed at once; out of file descriptors, accepting pauses
 * briefly instead of spinning, then resumes.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "compat.h"
#include "conn.h"
#include "listen.h"

#define LISTEN_BACKLOG	511
#define ACCEPT_BURST	64

struct listener {
	int			 fd;
	struct event		*ev;
	struct event		*pause;
	listen_accept_fn	 fn;
	void			*arg;
};

static int
parse_port(const char *s, int *port)
{
	long	v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (!isdigit((unsigned char)*s) || v > 65535)
			return -1;
		v = v * 10 + (*s - '0');
	}
	if (v < 1 || v > 65535)
		return -1;
	*port = (int)v;
	return 0;
}

/* listen-spec = port / IPv4address ":" port / "[" IPv6address "]" ":" port */
int
listen_parse(const char *spec, struct listen_addr *la, const char **errstr)
{
	const char		*colon;
	size_t			 hl;
	struct in6_addr		 a6;
	struct in_addr		 a4;

	memset(la, 0, sizeof *la);
	*errstr = "invalid listen address (want [addr:]port)";
	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');

		if (close == NULL || close[1] != ':')
			return -1;
		hl = close - spec - 1;
		if (hl == 0 || hl >= sizeof la->host)
			return -1;
		memcpy(la->host, spec + 1, hl);
		la->host[hl] = '\0';
		if (inet_pton(AF_INET6, la->host, &a6) != 1)
			return -1;
		return parse_port(close + 2, &la->port);
	}
	if ((colon = strchr(spec, ':')) == NULL)
		return parse_port(spec, &la->port);
	hl = colon - spec;
	if (hl == 0 || hl >= sizeof la->host || strchr(colon + 1, ':') != NULL)
		return -1;
	memcpy(la->host, spec, hl);
	la->host[hl] = '\0';
	if (inet_pton(AF_INET, la->host, &a4) != 1)
		return -1;
	return parse_port(colon + 1, &la->port);
}

void
listen_format(const struct listen_addr *la, char *out, size_t outsz)
{
	if (la->host[0] == '\0')
		snprintf(out, outsz, "*:%d", la->port);
	else if (strchr(la->host, ':') != NULL)
		snprintf(out, outsz, "[%s]:%d", la->host, la->port);
	else
		snprintf(out, outsz, "%s:%d", la->host, la->port);
}

/*
 * SO_REUSEPORT would let a second tulpar (or anything of ours) share the
 * port silently; a first bind without it fails if anyone holds the port.
 */
static int
listen_probe(int family, const struct sockaddr *sa, socklen_t slen, int dual)
{
	int	fd, one = 1, zero = 0, r, e;

	if ((fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, dual ? &zero : &one,
		    sizeof one);
	r = bind(fd, sa, slen);
	e = errno;
	close(fd);
	errno = e;
	return r;
}

static int
listen_socket(int family, const struct sockaddr *sa, socklen_t slen,
    int dual, int exclusive, char *err, size_t errsz, const char *name)
{
	int	fd, one = 1, zero = 0;

	if (exclusive && listen_probe(family, sa, slen, dual) == -1 &&
	    errno == EADDRINUSE) {
		snprintf(err, errsz, "cannot listen on %s: %s", name,
		    strerror(errno));
		return -1;
	}

	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		snprintf(err, errsz, "cannot listen on %s: %s", name, strerror(errno));
		return -1;
	}
	/* Each worker binds its own socket to the same address. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, dual ? &zero : &one,
		    sizeof one);
	if (bind(fd, sa, slen) == -1 || listen(fd, LISTEN_BACKLOG) == -1) {
		int e = errno;

		snprintf(err, errsz, "cannot listen on %s: %s%s", name,
		    strerror(e), e == EACCES ?
		    " (ports below 1024 need root or CAP_NET_BIND_SERVICE)" : "");
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int
listen_open(const struct listen_addr *la, int exclusive, char *err, size_t errsz)
{
	struct sockaddr_in6	s6;
	struct sockaddr_in	s4;
	char			name[96];
	int			fd;

	listen_format(la, name, sizeof name);
	memset(&s6, 0, sizeof s6);
	memset(&s4, 0, sizeof s4);
	s6.sin6_family = AF_INET6;
	s6.sin6_port = htons(la->port);
	s4.sin_family = AF_INET;
	s4.sin_port = htons(la->port);
	if (la->host[0] == '\0') {
		s6.sin6_addr = in6addr_any;
		fd = listen_socket(AF_INET6, (struct sockaddr *)&s6, sizeof s6,
		    1, exclusive, err, errsz, name);
		if (fd != -1 || (errno != EAFNOSUPPORT && errno != EADDRNOTAVAIL))
			return fd;
		s4.sin_addr.s_addr = htonl(INADDR_ANY);
		return listen_socket(AF_INET, (struct sockaddr *)&s4, sizeof s4,
		    0, exclusive, err, errsz, name);
	}
	if (inet_pton(AF_INET6, la->host, &s6.sin6_addr) == 1)
		return listen_socket(AF_INET6, (struct sockaddr *)&s6, sizeof s6,
		    0, exclusive, err, errsz, name);
	if (inet_pton(AF_INET, la->host, &s4.sin_addr) == 1)
		return listen_socket(AF_INET, (struct sockaddr *)&s4, sizeof s4,
		    0, exclusive, err, errsz, name);
	snprintf(err, errsz, "cannot listen on %s: invalid address", name);
	return -1;
}

static void
listener_resume(evutil_socket_t fd, short what, void *arg)
{
	struct listener	*l = arg;

	(void)fd;
	(void)what;
	event_add(l->ev, NULL);
}

/* Out of descriptors or memory: stop accepting for a moment. */
static void
listener_pause(struct listener *l)
{
	struct timeval	tv = { 0, 100 * 1000 };

	event_del(l->ev);
	evtimer_add(l->pause, &tv);
}

static void
listener_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct listener		*l = arg;
	struct sockaddr_storage	 ss;
	socklen_t		 slen;
	int			 fd, i;

	(void)what;
	for (i = 0; i < ACCEPT_BURST; i++) {
		slen = sizeof ss;
		fd = accept4(lfd, (struct sockaddr *)&ss, &slen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM)
				listener_pause(l);
			return;
		}
		if (conn_full()) {
			close(fd);
			continue;
		}
		l->fn(fd, (struct sockaddr *)&ss, slen, l->arg);
	}
}

struct listener *
listener_new(struct event_base *base, int fd, listen_accept_fn fn, void *arg)
{
	struct listener	*l;

	if ((l = calloc(1, sizeof *l)) == NULL)
		return NULL;
	l->fd = fd;
	l->fn = fn;
	l->arg = arg;
	l->ev = event_new(base, fd, EV_READ | EV_PERSIST, listener_accept, l);
	l->pause = evtimer_new(base, listener_resume, l);
	if (l->ev == NULL || l->pause == NULL || event_add(l->ev, NULL) == -1) {
		listener_free(l);
		return NULL;
	}
	return l;
}

void
listener_free(struct listener *l)
{
	if (l == NULL)
		return;
	if (l->ev != NULL)
		event_free(l->ev);
	if (l->pause != NULL)
		event_free(l->pause);
	if (l->fd != -1)
		close(l->fd);
	free(l);
}
