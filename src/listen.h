/* Listening sockets and the accept loop, with a connection cap and EMFILE back-off. */
#ifndef TULPAR_LISTEN_H
#define TULPAR_LISTEN_H

#include <sys/socket.h>

struct event_base;

struct listen_addr {
	char	host[64];	/* "" for all addresses; IPv6 without brackets */
	int	port;
};

/* Parses "[addr:]port" where addr is IPv4 or a bracketed IPv6 address. */
int	listen_parse(const char *, struct listen_addr *, const char **);

/* Formats an address as "127.0.0.1:70", "[::1]:1965" or "*:70". */
void	listen_format(const struct listen_addr *, char *, size_t);

/*
 * Binds and listens with SO_REUSEPORT, so each worker has its own socket;
 * exclusive first checks that nobody else holds the port. -1 with a
 * message naming the cause in err.
 */
int	listen_open(const struct listen_addr *, int, char *, size_t);

typedef void (*listen_accept_fn)(int, const struct sockaddr *, socklen_t, void *);

struct listener;
struct listener	*listener_new(struct event_base *, int, listen_accept_fn, void *);
void		 listener_free(struct listener *);

#endif
