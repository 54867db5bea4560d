/* The served state: the configuration, and per host its snapshot and certificate. */
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
};

/*
 * Loads every host's content and certificate (generating missing ones
 * unless dry_run). Takes ownership of conf. -1 with err on failure, with
 * everything loaded so far freed.
 */
int	state_load(struct state *, struct config *, int, char *, size_t);
void	state_free(struct state *);

#endif
