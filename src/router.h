/* The router: turns a protocol-neutral request into a result. No sockets. */
#ifndef TULPAR_ROUTER_H
#define TULPAR_ROUTER_H

#include "path.h"
#include "snapshot.h"

struct request {
	const char	*host;		/* NULL when the protocol has none (Gopher) */
	const char	*path;		/* decoded, not yet canonical */
	const char	*query;		/* NULL when absent */
};

enum result_kind {
	RESULT_NODE,		/* serve node */
	RESULT_REDIRECT,	/* directory without its slash: go to target */
	RESULT_NOT_FOUND,
	RESULT_BAD_REQUEST,	/* reason says why */
	RESULT_OTHER_HOST,	/* a host we do not serve */
};

struct result {
	enum result_kind	 kind;
	const struct node	*node;		/* NODE, and REDIRECT's target */
	char			 target[PATH_MAX_LEN + 2]; /* REDIRECT: canonical path */
	const char		*reason;
};

struct router {
	const struct snapshot	*snap;
	const char		*host;		/* the one hostname served */
};

void	router_resolve(const struct router *, const struct request *, struct result *);

#endif
