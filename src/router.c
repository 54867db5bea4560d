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

void
router_resolve(const struct router *r, const struct request *req,
    struct result *res)
{
	char			 path[PATH_MAX_LEN + 2];
	const char		*errstr = NULL;
	const struct node	*n;
	size_t			 len;

	memset(res, 0, sizeof *res);
	if (req->host != NULL && !url_host_equal(req->host, r->host)) {
		router_fail(res, RESULT_OTHER_HOST, "host not served");
		return;
	}
	if (path_canon(req->path, path, sizeof path - 1, &errstr) == -1) {
		router_fail(res, RESULT_BAD_REQUEST, errstr);
		return;
	}
	if (path_hidden(path)) {
		router_fail(res, RESULT_NOT_FOUND, "hidden");
		return;
	}
	if ((n = snapshot_find(r->snap, path)) != NULL) {
		res->kind = RESULT_NODE;
		res->node = n;
		return;
	}
	len = strlen(path);
	if (path[len - 1] != '/') {
		path[len] = '/';
		path[len + 1] = '\0';
		if ((n = snapshot_find(r->snap, path)) != NULL) {
			res->kind = RESULT_REDIRECT;
			res->node = n;
			strlcpy(res->target, path, sizeof res->target);
			return;
		}
	}
	router_fail(res, RESULT_NOT_FOUND, "not found");
}
