/* A worker process: its event loop over its own listening sockets. */
#ifndef TULPAR_WORKER_H
#define TULPAR_WORKER_H

#include "conn.h"
#include "listen.h"
#include "site.h"

#define MAX_WORKERS	64
#define MAX_LISTENERS	(1 + CONFIG_MAX_HOSTS)

/* One listening address: Gemini (site -1) or one host's Gopher. */
struct lspec {
	struct listen_addr	addr;
	int			site;
	int			proxy;
};

/* The listeners a state needs: Gemini first, then each host's Gopher. */
int	worker_listeners(const struct state *, struct lspec *);

/* Serves until SIGTERM/SIGINT, then finishes what is in flight. */
void	worker_run(const struct state *, const struct lspec *, const int *,
	    int, const struct conn_limits *);

#endif
