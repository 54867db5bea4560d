/*
 * The Gemini front end: checks the request line against the spec, asks
 * the router, and writes the status line and body.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "compat.h"
#include "feed.h"
#include "gemini.h"
#include "searchpage.h"
#include "upload.h"
#include "program.h"
#include "url.h"

#define GEMINI_DEFAULT_PORT	1965

void
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

void
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
	struct answer	a;
	int		fd = -1, r;

	if (store_streams(n) && (fd = store_open(s->store, n)) == -1) {
		gemini_reply(c, "51", "Not found");
		return;
	}
	if ((r = store_answer(s->store, n, STORE_GEMINI, &a)) != 0) {
		if (fd != -1)
			close(fd);
		if (r == STORE_BUSY)
			gemini_reply(c, "40", "Being updated; try again");
		else
			gemini_reply(c, "51", "Not found");
		return;
	}
	conn_send_blob(c, a.blob, a.data, a.len);
	if (fd != -1)
		conn_send_file(c, fd, n->size);
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

/* An answer made for this request, its status line first; 40 if memory ran out. */
static void
gemini_send_built(struct conn *c, struct buf *b)
{
	if (b->failed) {
		buf_free(b);
		gemini_reply(c, "40", "Temporary failure");
		return;
	}
	conn_set_status(c, "20");
	conn_send_copy(c, b->data, b->len);
	buf_free(b);
	conn_finish(c);
}

/* The search page: a prompt without a query, the results with one. */
static void
gemini_search(struct conn *c, const struct site *s, const struct url *u,
    const struct result *res)
{
	char		 words[URL_MAX + 1], hdr[128];
	const char	*errstr, *lang;
	struct buf	 b;

	if (u->has_query && u->query[0] != '\0') {
		if (url_decode(u->query, strlen(u->query), words, sizeof words,
		    &errstr) == -1) {
			gemini_bad(c, errstr);
			return;
		}
	} else if (res->target[0] != '\0')
		strlcpy(words, res->target, sizeof words);
	else {
		gemini_reply(c, "10", "Search this capsule");
		return;
	}
	lang = s->conf->lang[0] != '\0' ? s->conf->lang : NULL;
	snprintf(hdr, sizeof hdr, "20 text/gemini%s%s\r\n", lang ? "; lang=" : "",
	    lang ? lang : "");
	buf_init(&b);
	buf_adds(&b, hdr);
	if (search_page(s, words, strlen(words), res->page, 0, &b, &errstr) == -1) {
		buf_free(&b);
		gemini_bad(c, errstr);
		return;
	}
	gemini_send_built(c, &b);
}

/* DIR/atom.xml: the Atom feed of the directory's gemfeed page, else 51. */
static void
gemini_feed(struct conn *c, const struct url *u, const struct result *res)
{
	char		 base[URL_MAX + 1], enc[3 * PATH_MAX_LEN + 4], port[16] = "";
	struct buf	 b;
	int		 n;

	if (u->port != -1)
		snprintf(port, sizeof port, ":%d", u->port);
	n = url_encode_path(res->node->path, enc, sizeof enc) == -1 ? -1 :
	    snprintf(base, sizeof base, "gemini://%s%s%s", u->host, port, enc);
	buf_init(&b);
	buf_adds(&b, "20 application/atom+xml\r\n");
	if (n < 0 || (size_t)n >= sizeof base ||
	    feed_render(res->site->store, res->node, base, &b) == -1) {
		buf_free(&b);
		gemini_reply(c, "51", "Not found");
		return;
	}
	gemini_send_built(c, &b);
}

void
gemini_result(struct conn *c, const struct url *u, const struct result *res)
{
	switch (res->kind) {
	case RESULT_NODE:
		gemini_node(c, res->site, res->node);
		break;
	case RESULT_REDIRECT:
		gemini_redirect(c, u, "31", res->target, 1);
		break;
	case RESULT_MOVED:
	case RESULT_UPLOAD:	/* stored: show the client the page it wrote */
		gemini_redirect(c, u, res->permanent ? "31" : "30", res->target, 0);
		break;
	case RESULT_GONE:
		gemini_reply(c, "52", "Gone");
		break;
	case RESULT_NOT_FOUND:
		gemini_reply(c, "51", "Not found");
		break;
	case RESULT_BAD_REQUEST:
		gemini_bad(c, res->reason);
		break;
	case RESULT_OTHER_HOST:
		gemini_reply(c, "53", "Host not served");
		break;
	case RESULT_SEARCH:
		gemini_search(c, res->site, u, res);
		break;
	case RESULT_FEED:
		gemini_feed(c, u, res);
		break;
	case RESULT_CERT_NEEDED:
		gemini_reply(c, "60", "Client certificate required");
		break;
	case RESULT_CERT_REFUSED:
		gemini_reply(c, "61", "Certificate not authorised");
		break;
	case RESULT_CERT_INVALID:
		gemini_reply(c, "62", "Certificate not valid");
		break;
	case RESULT_PROGRAM:	/* gemini_route() runs programs itself */
		gemini_reply(c, "40", "Temporary failure");
		break;
	}
}

static void
gemini_route(struct conn *c, const struct gemini_cfg *cfg, const struct url *u,
    const char *line)
{
	struct peer	peer;
	struct request	req = { .host = u->host, .path = u->path,
	    .query = u->has_query ? u->query : NULL, .peer = &peer };
	struct result	res;

	conn_peer(c, &peer);
	router_resolve(cfg->router, &req, &res);
	if (res.kind == RESULT_PROGRAM)
		gemini_program(c, cfg, &res, u, line);
	else
		gemini_result(c, u, &res);
}

/* The URL's port and host against the connection's; -1 when answered 53. */
int
gemini_authority(struct conn *c, const struct router *r, const struct url *u)
{
	const char	*sni;

	if ((u->port == -1 ? GEMINI_DEFAULT_PORT : u->port) != conn_port(c)) {
		gemini_reply(c, "53", "Port not served");
		return -1;
	}
	/* SNI and URL must name the same host (an alias counts as its host). */
	sni = conn_sni(c);
	if (sni != NULL && !url_host_equal(sni, u->host) &&
	    (router_site(r, sni) == NULL ||
	    router_site(r, sni) != router_site(r, u->host))) {
		gemini_reply(c, "53", "SNI and URL host disagree");
		return -1;
	}
	return 0;
}

static void
gemini_request(struct conn *c, char *line, size_t len, int crlf)
{
	const struct gemini_cfg	*cfg = conn_frontend_arg(c);
	const char		*errstr;
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
	if (strcmp(u.scheme, "titan") == 0 && titan_served(cfg->router)) {
		titan_request(c, cfg->router, line, len);
		return;
	}
	if (strcmp(u.scheme, "gemini") != 0) {
		gemini_reply(c, "53", "Scheme not served");
		return;
	}
	if (gemini_authority(c, cfg->router, &u) == -1)
		return;
	gemini_route(c, cfg, &u, line);
}

static void
gemini_too_long(struct conn *c)
{
	gemini_reply(c, "59", "Request too long");
}

/* Over the rate limit: 44 and the seconds until a request would be let through. */
static void
gemini_limited(struct conn *c, unsigned wait)
{
	char	line[32];
	int	n;

	n = snprintf(line, sizeof line, "44 %u\r\n", wait);
	conn_set_status(c, "limited");
	conn_send_copy(c, line, n);
	conn_finish(c);
}

void
gemini_frontend(struct frontend *fe, struct gemini_cfg *cfg)
{
	fe->name = "gemini";
	fe->request = gemini_request;
	fe->too_long = gemini_too_long;
	fe->limited = gemini_limited;
	fe->arg = cfg;
}
