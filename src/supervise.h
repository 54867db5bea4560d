/* The parent: workers, signals, reload, and the log they share. */
#ifndef TULPAR_SUPERVISE_H
#define TULPAR_SUPERVISE_H

#include "site.h"

/* Rebuilds the configuration for a reload; -1 with err on failure. */
typedef int (*reload_fn)(struct config *, char *, size_t);

/*
 * Binds nothing new: takes the listening sockets of the first worker
 * (fds, in worker_listeners() order), binds the rest, forks the workers
 * and supervises them until SIGTERM/SIGINT. Takes ownership of the state
 * (heap-allocated), which a reload replaces. Returns the exit status.
 */
int	supervise(struct state *, const int *, int, reload_fn);

/* In a worker: it accepts now; its predecessor in a reload may retire. */
void	supervise_ready(void);
/* In a worker: 1, with a last word in the log, if its supervisor is gone. */
int	supervise_orphaned(void);

#endif
