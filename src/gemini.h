/* Gemini front end: framing, limits, status codes. */
#ifndef TULPAR_GEMINI_H
#define TULPAR_GEMINI_H

#include "conn.h"
#include "router.h"

struct gemini_cfg {
	const struct router	*router;
	int			 port;	/* the port URLs must name (or imply) */
};

void	gemini_frontend(struct frontend *, struct gemini_cfg *);

#endif
