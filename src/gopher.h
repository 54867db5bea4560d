/* Gopher front end: selector framing, limits, error items. */
#ifndef TULPAR_GOPHER_H
#define TULPAR_GOPHER_H

#include "conn.h"
#include "router.h"

struct gopher_cfg {
	const struct router	*router;
	const struct site	*site;		/* Gopher has no Host: one per listener */
	char			*notfound;	/* pre-rendered error menus */
	size_t			 notfound_len;
	char			*bad;
	size_t			 bad_len;
	char			*gone;
	size_t			 gone_len;
	char			*cert;		/* a page in a certificate area */
	size_t			 cert_len;
};

void	gopher_frontend(struct frontend *, struct gopher_cfg *);
void	gopher_cfg_free(struct gopher_cfg *);

#endif
