/*
 * Refcounted answers and their byte-bounded LRU cache. One process, one
 * event loop: no locks.
 */
#include <stdlib.h>
#include <string.h>

#include "blob.h"

struct blob *
blob_new(size_t len)
{
	struct blob	*b;

	if (len > SIZE_MAX - sizeof *b - 1 ||
	    (b = malloc(sizeof *b + len + 1)) == NULL)
		return NULL;
	memset(b, 0, sizeof *b);
	b->refs = 1;
	b->len = len;
	b->data[len] = '\0';
	return b;
}

void
blob_ref(struct blob *b)
{
	b->refs++;
}

void
blob_unref(struct blob *b)
{
	if (b != NULL && --b->refs == 0)
		free(b);
}

size_t
blob_cost(const struct blob *b)
{
	return sizeof *b + b->len + 1;
}

static void
cache_unlink(struct cache *c, struct blob *b)
{
	if (b->prev != NULL)
		b->prev->next = b->next;
	else
		c->head = b->next;
	if (b->next != NULL)
		b->next->prev = b->prev;
	else
		c->tail = b->prev;
	b->prev = b->next = NULL;
}

static void
cache_push(struct cache *c, struct blob *b)
{
	b->prev = NULL;
	b->next = c->head;
	if (c->head != NULL)
		c->head->prev = b;
	else
		c->tail = b;
	c->head = b;
}

/* Takes b out of the cache: its slot forgets it, the cache's reference goes. */
static void
cache_evict(struct cache *c, struct blob *b)
{
	cache_unlink(c, b);
	if (b->slot != NULL && *b->slot == b)
		*b->slot = NULL;
	b->slot = NULL;
	c->bytes -= blob_cost(b);
	c->count--;
	blob_unref(b);
}

static void
cache_trim(struct cache *c, size_t want)
{
	while (c->tail != NULL && c->bytes + want > c->budget)
		cache_evict(c, c->tail);
}

int
cache_put(struct cache *c, struct blob **slot, struct blob *b)
{
	size_t	cost = blob_cost(b);

	if (*slot != NULL)
		cache_drop(c, slot);
	if (cost > c->budget)
		return -1;
	cache_trim(c, cost);
	blob_ref(b);
	b->slot = slot;
	*slot = b;
	cache_push(c, b);
	c->bytes += cost;
	c->count++;
	return 0;
}

void
cache_touch(struct cache *c, struct blob *b)
{
	if (c->head == b || b->slot == NULL)
		return;
	cache_unlink(c, b);
	cache_push(c, b);
}

void
cache_drop(struct cache *c, struct blob **slot)
{
	if (*slot != NULL)
		cache_evict(c, *slot);
}

void
cache_drop_dependent(struct cache *c)
{
	struct blob	*b, *next;

	for (b = c->head; b != NULL; b = next) {
		next = b->next;
		if (b->dependent)
			cache_evict(c, b);
	}
}

void
cache_set_budget(struct cache *c, size_t budget)
{
	c->budget = budget;
	cache_trim(c, 0);
}

void
cache_clear(struct cache *c)
{
	while (c->tail != NULL)
		cache_evict(c, c->tail);
}
