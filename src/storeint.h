/* The content store's insides, shared by store.c, storewatch.c and storecheck.c. */
#ifndef TULPAR_STOREINT_H
#define TULPAR_STOREINT_H

#include <sys/stat.h>

#include <stdint.h>

#include "blob.h"
#include "path.h"
#include "store.h"

#define NWRITING	64		/* files tracked while being written */

/* A node's flags of the store's own, beside NODE_EXEC. */
#define NF_DIRTY	0x02		/* a directory queued for a rescan */
#define NF_UNSURE	0x08		/* a directory's stamp does not vouch for it */

/* Numbers handed out to nodes, and given back for reuse. */
struct numbers {
	uint32_t	 next;
	uint32_t	*free;
	size_t		 nfree, cap;
};

/* Nodes, in blocks of their own: sizes in steps of POOL_STEP bytes. */
#define POOL_STEP	16
#define POOL_CLASSES	((sizeof(struct node) + PATH_MAX_LEN + 2) / POOL_STEP + 1)

struct pool {
	void		*blocks;	/* each starts with a pointer to the next */
	char		*cur;		/* the rest of the newest block */
	size_t		 left;
	void		*free[POOL_CLASSES];	/* freed nodes, by size */
};

/* A file written to and not yet closed: its previous version is served. */
struct writing {
	char		*path;
	int64_t		 since;
};

struct store {
	int			 rootfd;
	struct store_opts	 opts;		/* strings owned */
	struct node		**table;
	size_t			 mask;
	size_t			 nnodes;
	size_t			 counts[4];
	struct node		*top;		/* "/" */
	struct search_index	*search;	/* opts.search: the pages' words */
	struct pool		 pool;
	struct numbers		 nodenos;
	struct blob		***ans;		/* this process's cache slots: chunks */
	size_t			 nans;		/* of ANS_CHUNK nodes' two, by node's no */
	int			 loading;	/* the first scan: report all */
	int			 shape;		/* nodes came, went or changed kind */
	char			 err[512];
	/* watching (storewatch.c) */
	int			 ifd;
	struct node		**bywd;
	size_t			 nwd;
	int			*wdof;		/* by dirno: this process's watch, or -1 */
	size_t			 nwdof;
	struct numbers		 dirnos;
	int			 warned;	/* the watch limit was hit */
	char			**dirty;
	size_t			 ndirty, capdirty;
	int			 full;		/* rescan everything */
	int64_t			 first, last, due;	/* ms; 0: nothing due */
	struct writing		 writing[NWRITING];
	int			 nwriting;
	/* checks (storecheck.c) */
	size_t			 problems[PROB_COUNT];
	size_t			 cursor;	/* next hash slot to check */
};

int64_t		 store_now(void);			/* CLOCK_MONOTONIC, ms */
uint32_t	 store_number_take(struct numbers *);
void		 store_number_give(struct numbers *, uint32_t);
int64_t		 store_mtime(const struct stat *);	/* ns */
int64_t		 store_dir_stamp(const struct stat *);	/* ctime, ns */
/* ns: a directory's ctime younger than this does not vouch for it (tests lower it). */
extern int64_t	 store_stamp_racy;
const char	*store_relpath(const char *);		/* for openat: "." for "/" */
struct node	*store_lookup(const struct store *, const char *);
/* A file's answer read from disk: 0, -1, STORE_BUSY. */
int		 store_read(struct store *, const struct node *, struct blob **);
/* Rescans a directory (full: and all below). */
void		 store_rescan(struct store *, struct node *, int);
/* After an update: drops what depended on nodes that came, went or changed kind. */
void		 store_settle(struct store *);
void		 store_watch_number(struct store *, struct node *);
void		 store_watch_add(struct store *, struct node *);
void		 store_watch_forget(struct store *, struct node *);
int		 store_being_written(const struct store *, const char *);

#endif
