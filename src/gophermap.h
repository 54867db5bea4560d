/* Renders gemtext as a Gopher menu (RFC 1436): pure, no I/O. */
#ifndef TULPAR_GOPHERMAP_H
#define TULPAR_GOPHERMAP_H

#include <stddef.h>

#include "buf.h"

#define GOPHER_WIDTH	70	/* columns for wrapped text, in characters */

/*
 * Says what a local canonical path is: its Gopher item type and selector
 * (0); -1 unknown (typed by extension); -2 leave the link out of the menu.
 */
typedef int (*gopher_classify_fn)(void *, const char *, char *, char *, size_t);

struct gopher_ctx {
	const char		*host;	/* our own host and port, for local items */
	int			 port;
	const char		*dir;	/* the page's directory, canonical, "/.../" */
	const char		*gemini_host;	/* gemini:// links to this host are local */
	gopher_classify_fn	 classify;	/* may be NULL: type by extension */
	void			*arg;
};

/* Renders a whole gemtext page as a menu, ending with ".\r\n". */
void	gophermap_render(const char *, size_t, const struct gopher_ctx *, struct buf *);

/* One info line: "i<text>\t\tnull.host\t1\r\n", text cleaned of TAB/CR/LF. */
void	gophermap_info(struct buf *, const char *, size_t);

/* A whole menu holding one type 3 error item. */
void	gophermap_error(struct buf *, const char *);

/* The HTML page answering a "URL:<url>" selector; -1 if the URL is refused. */
int	gophermap_url_page(const char *, size_t, struct buf *, const char **);

#endif
