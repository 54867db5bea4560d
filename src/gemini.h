/* Gemini front end: framing, limits, status codes. */
#ifndef TULPAR_GEMINI_H
#define TULPAR_GEMINI_H

#include "conn.h"
#include "router.h"

struct gemini_cfg {
	const struct router	*router;
};

void	gemini_frontend(struct frontend *, struct gemini_cfg *);
/* For the Titan front end (upload.c): a status line; a router result. */
void	gemini_reply(struct conn *, const char *, const char *);
void	gemini_bad(struct conn *, const char *);
struct url;
void	gemini_result(struct conn *, const struct url *, const struct result *);
int	gemini_authority(struct conn *, const struct router *, const struct url *);

#endif
