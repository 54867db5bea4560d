/*
 * The router decides what a request gets; the front ends only write it.
 * It knows nothing of sockets or wire formats.
 */
#include <string.h>

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

	if (s->search == NULL || s->conf == NULL || s->conf->search[0] == '\0')
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
	if (router_rule(s, path, res))
		return;
	if ((n = snapshot_find(s->snap, path)) != NULL) {
		res->kind = RESULT_NODE;
		res->node = n;
		return;
	}
	if (router_search(s, path, res))
		return;
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
