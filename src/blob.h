/*
 * Rendered answers: refcounted, exactly sized byte blobs, and a cache of
 * them bounded in bytes that evicts the least recently used. A connection
 * holds a reference to what it sends, so eviction never frees bytes in
 * flight.
 */
#ifndef TULPAR_BLOB_H
#define TULPAR_BLOB_H

#include <stddef.h>
#include <stdint.h>

struct blob {
	unsigned	 refs;
	uint32_t	 off;		/* where the body starts, past a status line */
	unsigned char	 dependent;	/* a menu or listing: depends on other nodes */
	size_t		 len;
	struct blob	*prev, *next;	/* the cache's order, most recent first */
	struct blob	**slot;		/* the pointer to it while cached, or NULL */
	char		 data[];
};

struct cache {
	struct blob	*head, *tail;
	size_t		 bytes;		/* held, headers included */
	size_t		 budget;
	size_t		 count;
};

/* A blob of len bytes (and a NUL after them), one reference held; NULL if out of memory. */
struct blob	*blob_new(size_t);
void		 blob_ref(struct blob *);
void		 blob_unref(struct blob *);
size_t		 blob_cost(const struct blob *);

/*
 * Keeps b under *slot, evicting the least recently used to stay within
 * the budget. The cache takes its own reference. -1 if b alone exceeds
 * the budget: then nothing is kept.
 */
int		 cache_put(struct cache *, struct blob **, struct blob *);
/* Marks a cached blob as just used. */
void		 cache_touch(struct cache *, struct blob *);
/* Drops what *slot holds, if anything. */
void		 cache_drop(struct cache *, struct blob **);
/* Drops every blob that depends on other nodes (menus, listings). */
void		 cache_drop_dependent(struct cache *);
void		 cache_set_budget(struct cache *, size_t);
void		 cache_clear(struct cache *);

#endif
