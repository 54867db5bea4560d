/* The router: turns a protocol-neutral request into a result. No sockets. */
#ifndef TULPAR_ROUTER_H
#define TULPAR_ROUTER_H

#include "config.h"
#include "path.h"
#include "store.h"

struct ssl_ctx_st;
struct peer;

/* One virtual host: its settings, its content, its certificate. */
struct site {
	const char		*name;
	const struct host_config *conf;	/* aliases and path rules; may be NULL */
	struct store		*store;
	struct ssl_ctx_st	*ctx;
	int			 rootfd;	/* O_PATH, for Titan uploads; -1 none */
};

struct request {
	const char		*host;	/* Gemini: the URL's host */
	const struct site	*site;	/* Gopher: the listener's site */
	const char		*path;	/* decoded, not yet canonical */
	const char		*query;	/* NULL when absent */
	const struct peer	*peer;	/* the client certificate; NULL: none */
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
	RESULT_SEARCH,		/* the host's search page: page, target = words */
	RESULT_FEED,		/* DIR/atom.xml: node is DIR (feed.c finds the page) */
	RESULT_CERT_NEEDED,	/* a certificate area: no certificate (60) */
	RESULT_CERT_REFUSED,	/* not listed, or a wrong token (61) */
	RESULT_CERT_INVALID,	/* outside its validity dates (62) */
	RESULT_UPLOAD,		/* router_upload: write target under rule */
	RESULT_PROGRAM,		/* run a CGI program or ask a FastCGI responder */
};

struct result {
	enum result_kind	 kind;
	const struct site	*site;
	const struct node	*node;		/* NODE, and REDIRECT's target */
	char			 target[2 * PATH_MAX_LEN + 2]; /* REDIRECT, MOVED */
	int			 permanent;	/* MOVED */
	int			 page;		/* SEARCH: from 1 */
	const char		*reason;
	const struct path_rule	*rule;		/* UPLOAD: the Titan rule; PROGRAM:
						   cgi = yes or fastcgi */
	/* PROGRAM: path[0..script_len) is SCRIPT_NAME, the rest PATH_INFO. */
	char			 path[PATH_MAX_LEN + 2];	/* canonical */
	size_t			 script_len;
};

struct router {
	const struct site	*sites;		/* sites[0] is the default */
	int			 nsites;
	int			 gemini_port;	/* for gemini:// links made over Gopher */
};

const struct site *router_site(const struct router *, const char *);
void	router_resolve(const struct router *, const struct request *, struct result *);
/* A Titan upload to the request's path, with its token (NULL: none). */
void	router_upload(const struct router *, const struct request *,
	    const char *, struct result *);

#endif
