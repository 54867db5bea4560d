/* A growable byte buffer; an allocation failure sticks until buf_free. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

void
buf_init(struct buf *b)
{
	memset(b, 0, sizeof *b);
}

static int
buf_grow(struct buf *b, size_t more)
{
	size_t	 cap;
	char	*p;

	if (b->failed)
		return -1;
	if (b->len + more + 1 <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + more + 1) {
		if (cap > SIZE_MAX / 2)
			goto fail;
		cap *= 2;
	}
	if ((p = realloc(b->data, cap)) == NULL)
		goto fail;
	b->data = p;
	b->cap = cap;
	return 0;
fail:
	b->failed = 1;
	return -1;
}

void
buf_add(struct buf *b, const void *p, size_t len)
{
	if (buf_grow(b, len) == -1)
		return;
	if (len > 0)
		memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void
buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_addc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

char *
buf_take(struct buf *b, size_t *len)
{
	char	*p;

	if (b->failed) {
		buf_free(b);
		return NULL;
	}
	if (b->data == NULL)
		buf_add(b, "", 0);
	if (b->failed) {
		buf_free(b);
		return NULL;
	}
	p = b->data;
	if (len != NULL)
		*len = b->len;
	buf_init(b);
	return p;
}

void
buf_reset(struct buf *b, size_t keep)
{
	if (b->failed || b->cap > keep)
		buf_free(b);
	b->len = 0;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	buf_init(b);
}
