/* Atom feeds of gemfeed pages, read from the content store when asked for. */
#ifndef TULPAR_FEED_H
#define TULPAR_FEED_H

#include "buf.h"
#include "store.h"

/*
 * The Atom feed of a directory's gemfeed page (its index.gmi if that is
 * one, else the first such page by name), links made absolute against
 * base ("gemini://host[:port]/dir/"): 0 with the XML added to out, -1 when the
 * directory has no gemfeed page.
 */
int	feed_render(struct store *, const struct node *, const char *,
	    struct buf *);

#endif
