/* The served state: the configuration, and per host its content store and certificate. */
#ifndef TULPAR_SITE_H
#define TULPAR_SITE_H

#include <stddef.h>

#include "config.h"
#include "router.h"

struct state {
	struct config	*conf;		/* owned */
	struct site	 sites[CONFIG_MAX_HOSTS];
	int		 nsites;
	struct router	 router;
	int		 generated;	/* certificates made (or, dry run, to make) */
	int		 reuse[CONFIG_MAX_HOSTS];	/* 1 + the old site whose store to take */
};

/*
 * Loads every host's content and certificate (generating missing ones
 * unless dry_run). Takes ownership of conf. -1 with err on failure, with
 * everything loaded so far freed.
 */
int	state_load(struct state *, struct config *, int, char *, size_t);
void	state_free(struct state *);

/*
 * SIGHUP: the same, but a host whose root and content settings are
 * unchanged loads no content: state_take_content() then moves the old
 * state's store over (no copy) and re-checks it against the disk.
 */
int	state_reload(struct state *, struct config *, const struct state *,
	    char *, size_t);
void	state_take_content(struct state *, struct state *);

#endif
