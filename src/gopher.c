/*
 * The Gopher front end (RFC 1436): one selector line in, a menu or the
 * raw file out. Search terms and Gopher+ suffixes after a TAB are dropped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "compat.h"
#include "feed.h"
#include "gopher.h"
#include "gophermap.h"
#include "searchpage.h"
#include "program.h"
#include "url.h"

static void
gopher_error(struct conn *c, const char *menu, size_t len)
{
	conn_set_status(c, "3");
	conn_send_ref(c, menu, len);
	conn_finish(c);
}

static void
gopher_bad(struct conn *c)
{
	const struct gopher_cfg	*cfg = conn_frontend_arg(c);

	gopher_error(c, cfg->bad, cfg->bad_len);
}

/* "URL:<url>": a small HTML page pointing to the URL, escaped. */
static void
gopher_url(struct conn *c, const char *url, size_t len)
{
	struct buf	 b;
	const char	*errstr;

	buf_init(&b);
	if (gophermap_url_page(url, len, &b, &errstr) == -1 || b.failed) {
		buf_free(&b);
		gopher_bad(c);
		return;
	}
	conn_set_status(c, "h");
	conn_send_copy(c, b.data, b.len);
	buf_free(&b);
	conn_finish(c);
}

static void
gopher_node(struct conn *c, const struct site *s, const struct node *n)
{
	const struct gopher_cfg	*cfg = conn_frontend_arg(c);
	char			 type[2] = { n->gopher_type, '\0' };
	struct answer		 a;
	int			 fd;

	if (store_streams(n)) {
		if ((fd = store_open(s->store, n)) == -1) {
			gopher_error(c, cfg->notfound, cfg->notfound_len);
			return;
		}
		conn_send_file(c, fd, n->size);
	} else if (store_answer(s->store, n, STORE_GOPHER, &a) == 0)
		conn_send_blob(c, a.blob, a.data, a.len);
	else {
		gopher_error(c, cfg->notfound, cfg->notfound_len);
		return;
	}
	conn_set_status(c, type);
	conn_finish(c);
}

static void	gopher_route(struct conn *, const struct gopher_cfg *,
		    struct request *, int);

/* A menu answer built for this request. */
static void
gopher_send_menu(struct conn *c, const char *type, struct buf *b)
{
	if (b->failed) {
		buf_free(b);
		gopher_bad(c);
		return;
	}
	conn_set_status(c, type);
	conn_send_copy(c, b->data, b->len);
	buf_free(b);
	conn_finish(c);
}

/*
 * The search selector: with words after the TAB, the results as a menu
 * (the same gemtext page Gemini gets, through the same renderer);
 * without, a menu holding the search item, so any client can prompt.
 */
static void
gopher_search(struct conn *c, const struct site *s, const char *words,
    const struct result *res)
{
	struct buf	 page, menu;
	const char	*errstr, *slash;
	char		 dir[256], msg[128];

	if (words == NULL || words[0] == '\0')
		words = res->target;
	buf_init(&page);
	buf_init(&menu);
	if (words[0] == '\0') {
		buf_adds(&page, "=> ");
		buf_adds(&page, s->conf->search);
		buf_adds(&page, " Search this capsule\n");
	} else if (search_page(s, words, strlen(words), res->page, 1, &page,
	    &errstr) == -1) {
		snprintf(msg, sizeof msg, "Bad request: %s", errstr);
		gophermap_error(&menu, msg);
		buf_free(&page);
		conn_set_status(c, "3");
		gopher_send_menu(c, "3", &menu);
		return;
	}
	strlcpy(dir, s->conf->search, sizeof dir);
	if ((slash = strrchr(dir, '/')) != NULL)
		dir[slash - dir + 1] = '\0';
	if (!page.failed)
		store_menu(s->store, dir, page.data, page.len, &menu);
	menu.failed |= page.failed;
	buf_free(&page);
	gopher_send_menu(c, "1", &menu);
}

/*
 * The search words of a type 7 request: after the TAB, up to the next.
 * A Gopher+ marker ("$", "+", "!") is not a search; neither are words
 * with control bytes. NUL-terminated in place; NULL when none.
 */
static const char *
gopher_words(char *s, size_t len)
{
	char	*tab = memchr(s, '\t', len);
	size_t	 i;

	if (tab != NULL)
		len = tab - s;
	s[len] = '\0';
	if (len == 0 || (len == 1 && strchr("$+!", s[0]) != NULL))
		return NULL;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return NULL;
	return s;
}

static void
gopher_program(struct conn *c, const struct gopher_cfg *cfg,
    const struct request *req, const struct result *res)
{
	struct program_req	pr;

	memset(&pr, 0, sizeof pr);
	pr.router = cfg->router;
	pr.res = res;
	pr.gopher = 1;
	pr.selector = req->selector;
	pr.search = req->search;
	program_serve(c, &pr);
}

/* DIR/atom.xml: the feed, a text item, its links to the Gemini pages. */
static void
gopher_feed(struct conn *c, const struct gopher_cfg *cfg,
    const struct result *res)
{
	char		 base[URL_MAX + 1], enc[3 * PATH_MAX_LEN + 4], port[16] = "";
	struct buf	 b;
	int		 n;

	if (cfg->router->gemini_port != 1965)
		snprintf(port, sizeof port, ":%d", cfg->router->gemini_port);
	n = url_encode_path(res->node->path, enc, sizeof enc) == -1 ? -1 :
	    snprintf(base, sizeof base, "gemini://%s%s%s", res->site->name, port,
	    enc);
	buf_init(&b);
	if (n < 0 || (size_t)n >= sizeof base ||
	    feed_render(res->site->store, res->node, base, &b) == -1) {
		buf_free(&b);
		gopher_error(c, cfg->notfound, cfg->notfound_len);
		return;
	}
	gopher_send_menu(c, "0", &b);
}

static void
gopher_request(struct conn *c, char *line, size_t len, int crlf)
{
	const struct gopher_cfg	*cfg = conn_frontend_arg(c);
	char			 path[URL_MAX + 2], *tab;
	struct request		 req = { .site = cfg->site, .path = path };
	size_t			 i;

	(void)crlf;
	conn_set_request(c, line, len);
	if (len > URL_MAX || memchr(line, '\0', len) != NULL) {
		gopher_bad(c);
		return;
	}
	if ((tab = memchr(line, '\t', len)) != NULL) {
		req.search = gopher_words(tab + 1, len - (tab + 1 - line));
		len = tab - line;
		*tab = '\0';
	}
	req.selector = line;
	for (i = 0; i < len; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f) {
			gopher_bad(c);
			return;
		}
	if (len >= 6 && memcmp(line, "PROXY ", 6) == 0) {
		gopher_bad(c);	/* a PROXY header where none is expected */
		return;
	}
	if (len >= 4 && memcmp(line, "URL:", 4) == 0) {
		gopher_url(c, line + 4, len - 4);
		return;
	}
	path[0] = '/';
	memcpy(path + (line[0] != '/'), line, len);
	path[len + (line[0] != '/')] = '\0';
	gopher_route(c, cfg, &req, 1);
}

/* Gopher has no redirects: a moved local path is served from its new place. */
static void
gopher_route(struct conn *c, const struct gopher_cfg *cfg,
    struct request *req, int hops)
{
	struct result	res;

	router_resolve(cfg->router, req, &res);
	switch (res.kind) {
	case RESULT_NODE:
	case RESULT_REDIRECT:
		gopher_node(c, res.site, res.node);
		break;
	case RESULT_MOVED:
		if (hops > 0 && res.target[0] == '/') {
			req->path = res.target;
			gopher_route(c, cfg, req, hops - 1);
		} else
			gopher_error(c, cfg->notfound, cfg->notfound_len);
		break;
	case RESULT_GONE:
		gopher_error(c, cfg->gone, cfg->gone_len);
		break;
	case RESULT_SEARCH:
		gopher_search(c, res.site, req->search, &res);
		break;
	case RESULT_FEED:
		gopher_feed(c, cfg, &res);
		break;
	case RESULT_PROGRAM:
		gopher_program(c, cfg, req, &res);
		break;
	case RESULT_NOT_FOUND:
		gopher_error(c, cfg->notfound, cfg->notfound_len);
		break;
	case RESULT_CERT_NEEDED:
	case RESULT_CERT_REFUSED:
	case RESULT_CERT_INVALID:
		gopher_error(c, cfg->cert, cfg->cert_len);
		break;
	default:
		gopher_bad(c);
	}
}

static void
gopher_too_long(struct conn *c)
{
	gopher_bad(c);
}

/* Over the rate limit: an error item saying how long to wait. */
static void
gopher_limited(struct conn *c, unsigned wait)
{
	struct buf	b;
	char		msg[80];

	snprintf(msg, sizeof msg, "Too many requests: try again in %u second%s",
	    wait, wait == 1 ? "" : "s");
	buf_init(&b);
	gophermap_error(&b, msg);
	conn_set_status(c, "limited");
	if (!b.failed)
		conn_send_copy(c, b.data, b.len);
	buf_free(&b);
	conn_finish(c);
}

void
gopher_frontend(struct frontend *fe, struct gopher_cfg *cfg)
{
	struct buf	b;

	buf_init(&b);
	gophermap_error(&b, "Not found");
	cfg->notfound = buf_take(&b, &cfg->notfound_len);
	gophermap_error(&b, "Bad request");
	cfg->bad = buf_take(&b, &cfg->bad_len);
	gophermap_error(&b, "Gone");
	cfg->gone = buf_take(&b, &cfg->gone_len);
	gophermap_error(&b, "This page needs a Gemini client certificate");
	cfg->cert = buf_take(&b, &cfg->cert_len);
	fe->name = "gopher";
	fe->request = gopher_request;
	fe->too_long = gopher_too_long;
	fe->limited = gopher_limited;
	fe->arg = cfg;
}

void
gopher_cfg_free(struct gopher_cfg *cfg)
{
	free(cfg->notfound);
	free(cfg->bad);
	free(cfg->gone);
	free(cfg->cert);
}
