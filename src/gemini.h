/* Gemini front end: framing, limits, status codes. */
#ifndef TULPAR_GEMINI_H
#define TULPAR_GEMINI_H

#include "conn.h"
#include "router.h"

struct gemini_cfg {
	const struct router	*router;
};

void	gemini_frontend(struct frontend *, struct gemini_cfg *);

#endif
