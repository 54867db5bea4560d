/*
 * The Gemini front end: checks the request line against the spec, asks
 * the router, and writes the status line and body.
 */
#include <stdio.h>
#include <string.h>

#include "compat.h"
#include "gemini.h"
#include "program.h"
#include "url.h"

#define GEMINI_DEFAULT_PORT	1965

static void
gemini_reply(struct conn *c, const char *status, const char *meta)
{
	char	line[URL_MAX + 8];
	int	n;

	n = snprintf(line, sizeof line, "%s %s\r\n", status, meta);
	if (n < 0 || (size_t)n >= sizeof line)
		n = snprintf(line, sizeof line, "59 Bad request\r\n");
	conn_set_status(c, status);
	conn_send_copy(c, line, n);
	conn_finish(c);
}

static void
gemini_bad(struct conn *c, const char *why)
{
	char	meta[256];

	snprintf(meta, sizeof meta, "Bad request: %s", why);
	gemini_reply(c, "59", meta);
}

/*
 * A redirect to a path on this host, written as the client wrote the host
 * and port; a full URL as it is. With query, the request's query follows.
 */
static void
gemini_redirect(struct conn *c, const struct url *u, const char *status,
    const char *target, int query)
{
	char	enc[3 * URL_MAX + 4], meta[URL_MAX + 1], port[16] = "";
	int	n;

	if (target[0] != '/') {
		gemini_reply(c, status, target);
		return;
	}
	if (u->port != -1)
		snprintf(port, sizeof port, ":%d", u->port);
	if (url_encode_path(target, enc, sizeof enc) == -1) {
		gemini_bad(c, "path too long");
		return;
	}
	query = query && u->has_query;
	n = snprintf(meta, sizeof meta, "gemini://%s%s%s%s%s", u->host, port,
	    enc, query ? "?" : "", query ? u->query : "");
	if (n < 0 || (size_t)n >= sizeof meta) {
		gemini_bad(c, "redirect target too long");
		return;
	}
	gemini_reply(c, status, meta);
}

static void
gemini_node(struct conn *c, const struct site *s, const struct node *n)
{
	int	fd;

	if (n->kind == NODE_LARGE) {
		if ((fd = snapshot_open(s->snap, n)) == -1) {
			gemini_reply(c, "51", "Not found");
			return;
		}
		conn_send_ref(c, n->gemini, n->gemini_len);
		conn_send_file(c, fd, n->size);
	} else
		conn_send_ref(c, n->gemini, n->gemini_len);
	conn_set_status(c, "20");
	conn_finish(c);
}

/* A CGI program or FastCGI responder answers. */
static void
gemini_program(struct conn *c, const struct gemini_cfg *cfg,
    const struct result *res, const struct url *u, const char *line)
{
	struct program_req	pr;

	memset(&pr, 0, sizeof pr);
	pr.router = cfg->router;
	pr.res = res;
	pr.url = line;
	pr.url_path = u->path;
	pr.query = u->has_query ? u->query : NULL;
	program_serve(c, &pr);
}

static void
gemini_route(struct conn *c, const struct gemini_cfg *cfg, const struct url *u,
    const char *line)
{
	struct request	req = { .host = u->host, .path = u->path,
	    .query = u->has_query ? u->query : NULL };
	struct result	res;

	router_resolve(cfg->router, &req, &res);
	switch (res.kind) {
	case RESULT_NODE:
		gemini_node(c, res.site, res.node);
		break;
	case RESULT_REDIRECT:
		gemini_redirect(c, u, "31", res.target, 1);
		break;
	case RESULT_MOVED:
		gemini_redirect(c, u, res.permanent ? "31" : "30", res.target, 0);
		break;
	case RESULT_GONE:
		gemini_reply(c, "52", "Gone");
		break;
	case RESULT_NOT_FOUND:
		gemini_reply(c, "51", "Not found");
		break;
	case RESULT_BAD_REQUEST:
		gemini_bad(c, res.reason);
		break;
	case RESULT_OTHER_HOST:
		gemini_reply(c, "53", "Host not served");
		break;
	case RESULT_PROGRAM:
		gemini_program(c, cfg, &res, u, line);
		break;
	}
}

static void
gemini_request(struct conn *c, char *line, size_t len, int crlf)
{
	const struct gemini_cfg	*cfg = conn_frontend_arg(c);
	const char		*errstr, *sni;
	struct url		 u;

	conn_set_request(c, line, len);
	if (!crlf) {
		gemini_reply(c, "59", "Request must end with CRLF");
		return;
	}
	if (len > URL_MAX) {
		gemini_reply(c, "59", "Request too long");
		return;
	}
	if (url_parse(line, len, &u, &errstr) == -1) {
		gemini_bad(c, errstr);
		return;
	}
	if (strcmp(u.scheme, "gemini") != 0) {
		gemini_reply(c, "53", "Scheme not served");
		return;
	}
	if ((u.port == -1 ? GEMINI_DEFAULT_PORT : u.port) != conn_port(c)) {
		gemini_reply(c, "53", "Port not served");
		return;
	}
	/* SNI and URL must name the same host (an alias counts as its host). */
	sni = conn_sni(c);
	if (sni != NULL && !url_host_equal(sni, u.host) &&
	    (router_site(cfg->router, sni) == NULL ||
	    router_site(cfg->router, sni) != router_site(cfg->router, u.host))) {
		gemini_reply(c, "53", "SNI and URL host disagree");
		return;
	}
	gemini_route(c, cfg, &u, line);
}

static void
gemini_too_long(struct conn *c)
{
	gemini_reply(c, "59", "Request too long");
}

void
gemini_frontend(struct frontend *fe, struct gemini_cfg *cfg)
{
	fe->name = "gemini";
	fe->request = gemini_request;
	fe->too_long = gemini_too_long;
	fe->arg = cfg;
}
