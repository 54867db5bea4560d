/* The router: turns a protocol-neutral request into a result. No sockets. */
#ifndef TULPAR_ROUTER_H
#define TULPAR_ROUTER_H

#include "config.h"
#include "path.h"
#include "snapshot.h"

struct ssl_ctx_st;

/* One virtual host: its settings, its content, its certificate. */
struct site {
	const char		*name;
	const struct host_config *conf;	/* aliases and path rules; may be NULL */
	struct snapshot		*snap;
	struct ssl_ctx_st	*ctx;
};

struct request {
	const char		*host;	/* Gemini: the URL's host */
	const struct site	*site;	/* Gopher: the listener's site */
	const char		*path;	/* decoded, not yet canonical */
	const char		*query;	/* NULL when absent */
	/* Gopher, for programs: the selector, and the search words after TAB. */
	const char		*selector;
	const char		*search;
};

enum result_kind {
	RESULT_NODE,		/* serve node */
	RESULT_REDIRECT,	/* a directory without its slash: go to target */
	RESULT_MOVED,		/* a configured redirect (30, or 31 if permanent) */
	RESULT_GONE,		/* configured as gone (52) */
	RESULT_NOT_FOUND,
	RESULT_BAD_REQUEST,	/* reason says why */
	RESULT_OTHER_HOST,	/* a host we do not serve */
	RESULT_PROGRAM,		/* run a CGI program or ask a FastCGI responder */
};

struct result {
	enum result_kind	 kind;
	const struct site	*site;
	const struct node	*node;		/* NODE, and REDIRECT's target */
	char			 target[2 * PATH_MAX_LEN + 2]; /* REDIRECT, MOVED */
	int			 permanent;	/* MOVED */
	const char		*reason;
	/* PROGRAM: path[0..script_len) is SCRIPT_NAME, the rest PATH_INFO. */
	const struct path_rule	*rule;		/* cgi = yes or fastcgi */
	char			 path[PATH_MAX_LEN + 2];	/* canonical */
	size_t			 script_len;
};

struct router {
	const struct site	*sites;		/* sites[0] is the default */
	int			 nsites;
};

const struct site *router_site(const struct router *, const char *);
void	router_resolve(const struct router *, const struct request *, struct result *);

#endif
