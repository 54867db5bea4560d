/* A host's search page: a query against its store's index, answered as gemtext. */
#ifndef TULPAR_SEARCHPAGE_H
#define TULPAR_SEARCHPAGE_H

#include <stddef.h>

#include "buf.h"
#include "router.h"
#include "search.h"

/*
 * The results for words (decoded) on page N, as gemtext; gopher picks
 * the form of the links to other pages. -1 with errstr for a bad query.
 */
int	search_page(const struct site *, const char *, size_t, int, int,
	    struct buf *, const char **);

#endif
