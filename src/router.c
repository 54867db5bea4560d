/*
 * The router decides what a request gets; the front ends only write it.
 * It knows nothing of sockets or wire formats.
 */
#include <string.h>
#include <time.h>

#include "access.h"
#include "compat.h"
#include "hostname.h"
#include "path.h"
#include "router.h"
#include "url.h"

static void
router_fail(struct result *res, enum result_kind kind, const char *reason)
{
	res->kind = kind;
	res->reason = reason;
}

/*
 * A request may name an internationalised host by its U-label (қазақ.kz);
 * sites are keyed by the A-label (xn--80aau21bd.kz).
 */
static const char *
router_host_alabel(const char *host, char *buf, size_t bufsz)
{
	const char	*p, *errstr;

	for (p = host; *p != '\0' && (unsigned char)*p < 0x80; p++)
		;
	if (*p == '\0' || hostname_normalize(host, buf, bufsz, &errstr) == -1)
		return host;
	return buf;
}

/* The site serving a host name (or one of its aliases), or NULL. */
const struct site *
router_site(const struct router *r, const char *host)
{
	char	alabel[HOSTNAME_LEN + 1];
	int	i, j;

	host = router_host_alabel(host, alabel, sizeof alabel);
	for (i = 0; i < r->nsites; i++) {
		const struct site *s = &r->sites[i];

		if (url_host_equal(host, s->name))
			return s;
		for (j = 0; s->conf != NULL && j < s->conf->naliases; j++)
			if (url_host_equal(host, s->conf->aliases[j]))
				return s;
	}
	return NULL;
}

/* A configured redirect or gone entry for the path; 1 if one applies. */
static int
router_rule(const struct site *s, const char *path, struct result *res)
{
	const struct path_rule	*pr;
	const char		*rest;
	size_t			 n;

	if (s->conf == NULL)
		return 0;
	pr = path_rule_find(s->conf->paths, s->conf->npaths, path, 1);
	if (pr == NULL)
		return 0;
	if (pr->action == PATH_GONE) {
		router_fail(res, RESULT_GONE, "gone");
		return 1;
	}
	res->kind = RESULT_MOVED;
	res->permanent = pr->action == PATH_REDIRECT_PERM;
	strlcpy(res->target, pr->target, sizeof res->target);
	/* "/old/" → "/new/" carries what follows the prefix along. */
	n = strlen(pr->prefix);
	rest = strlen(path) >= n ? path + n : "";
	if (n > 0 && pr->prefix[n - 1] == '/' &&
	    res->target[0] != '\0' && res->target[strlen(res->target) - 1] == '/')
		strlcat(res->target, rest, sizeof res->target);
	return 1;
}

/*
 * The search page: its path, or "PATH/N" for page N of the results, or
 * "PATH/N/words" (Gopher's way to the next page, as a selector cannot
 * carry a TAB). 1 if the path is one of these.
 */
static int
router_search(const struct site *s, const char *path, struct result *res)
{
	const char	*sp, *p;
	size_t		 n;
	long		 page = 0;

	if (store_search(s->store) == NULL || s->conf == NULL ||
	    s->conf->search[0] == '\0')
		return 0;
	sp = s->conf->search;
	n = strlen(sp);
	if (strncmp(path, sp, n) != 0 || (path[n] != '\0' && path[n] != '/'))
		return 0;
	res->kind = RESULT_SEARCH;
	res->page = 1;
	if (path[n] == '\0' || path[n + 1] == '\0')
		return 1;
	for (p = path + n + 1; *p >= '0' && *p <= '9' && page < 100000; p++)
		page = page * 10 + (*p - '0');
	if (p == path + n + 1 || page < 1 || (*p != '\0' && *p != '/')) {
		router_fail(res, RESULT_NOT_FOUND, "not found");
		return 1;
	}
	res->page = (int)page;
	if (*p == '/')
		strlcpy(res->target, p + 1, sizeof res->target);
	return 1;
}

/* "DIR/atom.xml" where no such file is: the feed of DIR's gemfeed page. */
static int
router_feed(const struct site *s, const char *path, struct result *res)
{
	const char		*name = strrchr(path, '/') + 1;
	char			 dir[PATH_MAX_LEN + 2];
	const struct node	*n;

	if (strcmp(name, "atom.xml") != 0 || (size_t)(name - path) >= sizeof dir)
		return 0;
	memcpy(dir, path, name - path);
	dir[name - path] = '\0';
	if ((n = store_find(s->store, dir)) == NULL || n->kind != NODE_DIR ||
	    (s->conf != NULL &&
	    !path_rule_atom(s->conf->paths, s->conf->npaths, path)))
		return 0;
	res->kind = RESULT_FEED;
	res->node = n;
	return 1;
}

/* The result of a certificate decision; 1 if it refuses. */
static int
router_verdict(enum access_verdict v, struct result *res)
{
	switch (v) {
	case ACCESS_OK:
		return 0;
	case ACCESS_NEED_CERT:
		router_fail(res, RESULT_CERT_NEEDED, "certificate required");
		break;
	case ACCESS_NOT_AUTHORISED:
		router_fail(res, RESULT_CERT_REFUSED, "certificate not authorised");
		break;
	case ACCESS_NOT_VALID:
		router_fail(res, RESULT_CERT_INVALID, "certificate not valid");
		break;
	}
	return 1;
}

/* A certificate area covering the path; 1 if it refuses the request. */
static int
router_access(const struct site *s, const char *path, const struct peer *p,
    struct result *res)
{
	const struct path_rule	*area;

	if (s->conf == NULL || (area = path_rule_area(s->conf->paths,
	    s->conf->npaths, path)) == NULL)
		return 0;
	return router_verdict(access_check(area, p, time(NULL)), res);
}

/* Checks and canonicalises a request's path into path; 0, or -1 with res set. */
static int
router_path(const struct router *r, const struct request *req, char *path,
    size_t pathsz, struct result *res)
{
	const char		*errstr = NULL;
	const struct site	*s = req->site;

	memset(res, 0, sizeof *res);
	if (s == NULL && (req->host == NULL || (s = router_site(r, req->host)) == NULL)) {
		router_fail(res, RESULT_OTHER_HOST, "host not served");
		return -1;
	}
	res->site = s;
	if (path_canon(req->path, path, pathsz, &errstr) == -1) {
		router_fail(res, RESULT_BAD_REQUEST, errstr);
		return -1;
	}
	return 0;
}

/*
 * A Titan upload: a canonical file path below the root with no dotfile
 * and no control byte, on a path with titan = yes, by someone the rule
 * lets upload.
 */
void
router_upload(const struct router *r, const struct request *req,
    const char *token, struct result *res)
{
	char			 path[PATH_MAX_LEN + 2];
	const struct path_rule	*rule;
	const struct site	*s;
	size_t			 i, len;

	if (router_path(r, req, path, sizeof path - 1, res) == -1)
		return;
	s = res->site;
	len = strlen(path);
	for (i = 0; i < len; i++)
		if ((unsigned char)path[i] < 0x20 || path[i] == 0x7f) {
			router_fail(res, RESULT_BAD_REQUEST, "control byte in path");
			return;
		}
	if (path_hidden(path)) {
		router_fail(res, RESULT_BAD_REQUEST, "dotfile in path");
		return;
	}
	if (path[len - 1] == '/') {
		router_fail(res, RESULT_BAD_REQUEST, "not a file name");
		return;
	}
	if (s->conf == NULL || (rule = path_rule_titan(s->conf->paths,
	    s->conf->npaths, path)) == NULL) {
		router_fail(res, RESULT_BAD_REQUEST, "uploads not enabled here");
		return;
	}
	if (router_verdict(access_titan(rule, req->peer, token, time(NULL)), res))
		return;
	res->kind = RESULT_UPLOAD;
	res->rule = rule;
	strlcpy(res->target, path, sizeof res->target);
}

/* The content tree's one answer programs need: is path an executable file? */
static const struct node *
router_program_node(const struct site *s, const char *path)
{
	const struct node	*n = store_find(s->store, path);

	return n != NULL && (n->flags & NODE_EXEC) && n->kind != NODE_DIR ? n : NULL;
}

/*
 * Beneath a cgi = yes prefix, the first component of the path that is an
 * executable file runs, and what follows is PATH_INFO; other files are
 * served as usual. Beneath a fastcgi prefix everything goes to the
 * responder: SCRIPT_NAME is such a file if there is one, else the prefix.
 */
static int
router_program(const struct site *s, const char *path, struct result *res)
{
	const struct path_rule	*pr;
	const struct node	*n = NULL;
	char			 comp[PATH_MAX_LEN + 2];
	size_t			 i, len = strlen(path);

	if (s->conf == NULL || (pr = path_rule_program(s->conf->paths,
	    s->conf->npaths, path)) == NULL)
		return 0;
	for (i = 1; i <= len && n == NULL; i++) {
		if (i < len && path[i] != '/')
			continue;
		memcpy(comp, path, i);
		comp[i] = '\0';
		if (path_under(pr->prefix, comp))
			n = router_program_node(s, comp);
	}
	if (n == NULL && pr->cgi == 1)
		return 0;
	res->kind = RESULT_PROGRAM;
	res->rule = pr;
	res->node = n;
	strlcpy(res->path, path, sizeof res->path);
	if (n != NULL)
		res->script_len = i - 1;
	else {
		res->script_len = strlen(pr->prefix);
		if (res->script_len > 0 && pr->prefix[res->script_len - 1] == '/')
			res->script_len--;
		if (res->script_len > len)
			res->script_len = len;
	}
	return 1;
}

void
router_resolve(const struct router *r, const struct request *req,
    struct result *res)
{
	char			 path[PATH_MAX_LEN + 2];
	const struct site	*s;
	const struct node	*n;
	size_t			 len;

	if (router_path(r, req, path, sizeof path - 1, res) == -1)
		return;
	s = res->site;
	if (path_hidden(path)) {
		router_fail(res, RESULT_NOT_FOUND, "hidden");
		return;
	}
	if (router_access(s, path, req->peer, res) || router_rule(s, path, res) ||
	    router_program(s, path, res))
		return;
	if ((n = store_find(s->store, path)) != NULL) {
		res->kind = RESULT_NODE;
		res->node = n;
		return;
	}
	if (router_search(s, path, res) || router_feed(s, path, res))
		return;
	len = strlen(path);
	if (path[len - 1] != '/') {
		path[len] = '/';
		path[len + 1] = '\0';
		if ((n = store_find(s->store, path)) != NULL) {
			res->kind = RESULT_REDIRECT;
			res->node = n;
			strlcpy(res->target, path, sizeof res->target);
			return;
		}
	}
	router_fail(res, RESULT_NOT_FOUND, "not found");
}
