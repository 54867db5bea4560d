/*
 * Atom 1.0 feeds (RFC 4287) from gemfeed pages, the Gemini subscription
 * companion specification's feeds: gemtext whose link lines read
 * "=> URL YYYY-MM-DD Title". Pure: no I/O, runs at load time.
 */
#ifndef TULPAR_ATOM_H
#define TULPAR_ATOM_H

#include <stddef.h>

#include "buf.h"

/*
 * The first paragraph of the local page a link names, or NULL. The
 * reference is the link's URL as the page writes it (no scheme, no
 * authority): resolve it against the page's directory. The bytes are
 * borrowed until the next call; *len is their length.
 */
typedef const char *(*atom_summary_fn)(void *, const char *, size_t, size_t *);

struct atom_feed {
	const char	*base;	/* the page's directory, "gemini://host[:port]/dir/" */
	const char	*page;	/* the gemfeed page's own URL; NULL: base */
	const char	*title;	/* NULL: the page's first heading */
	atom_summary_fn	 summary;	/* may be NULL: no summaries */
	void		*arg;
};

/* 1 if the gemtext page has a link whose label starts with a real date. */
int	atom_is_gemfeed(const char *, size_t);

/*
 * Renders the feed for a gemfeed page into b: one entry per dated link,
 * in page order, the feed's updated time the newest date. Returns -1 with
 * *errstr if the base is not an absolute URL ending in "/" or the page
 * has no dated link.
 */
int	atom_render(const char *, size_t, const struct atom_feed *, struct buf *,
	    const char **);

/* The first text line of a gemtext page that is not blank, or NULL. */
const char *atom_first_paragraph(const char *, size_t, size_t *);

#endif
