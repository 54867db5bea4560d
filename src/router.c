/*
 * The router decides what a request gets; the front ends only write it.
 * It knows nothing of sockets or wire formats.
 */
#include <string.h>

#include "compat.h"
#include "path.h"
#include "router.h"
#include "url.h"

static void
router_fail(struct result *res, enum result_kind kind, const char *reason)
{
	res->kind = kind;
	res->reason = reason;
}

/* The site serving a host name (or one of its aliases), or NULL. */
const struct site *
router_site(const struct router *r, const char *host)
{
	int	i, j;

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

/* The content tree's one answer programs need: is path an executable file? */
static const struct node *
router_program_node(const struct site *s, const char *path)
{
	const struct node	*n = snapshot_find(s->snap, path);

	return n != NULL && n->exec && n->kind != NODE_DIR ? n : NULL;
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
	const char		*errstr = NULL;
	const struct site	*s = req->site;
	const struct node	*n;
	size_t			 len;

	memset(res, 0, sizeof *res);
	if (s == NULL && (req->host == NULL || (s = router_site(r, req->host)) == NULL)) {
		router_fail(res, RESULT_OTHER_HOST, "host not served");
		return;
	}
	res->site = s;
	if (path_canon(req->path, path, sizeof path - 1, &errstr) == -1) {
		router_fail(res, RESULT_BAD_REQUEST, errstr);
		return;
	}
	if (path_hidden(path)) {
		router_fail(res, RESULT_NOT_FOUND, "hidden");
		return;
	}
	if (router_rule(s, path, res) || router_program(s, path, res))
		return;
	if ((n = snapshot_find(s->snap, path)) != NULL) {
		res->kind = RESULT_NODE;
		res->node = n;
		return;
	}
	len = strlen(path);
	if (path[len - 1] != '/') {
		path[len] = '/';
		path[len + 1] = '\0';
		if ((n = snapshot_find(s->snap, path)) != NULL) {
			res->kind = RESULT_REDIRECT;
			res->node = n;
			strlcpy(res->target, path, sizeof res->target);
			return;
		}
	}
	router_fail(res, RESULT_NOT_FOUND, "not found");
}
