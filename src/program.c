/*
 * A program's answer, for both front ends. The program (a CGI process or
 * a FastCGI responder) answers in Gemini: a status line, then a body. The
 * status line is checked before anything reaches the client. On Gemini
 * the answer then streams through as it comes, paced by the client; on
 * Gopher it is mapped: text/gemini becomes a menu by the same renderer as
 * static pages, other 20s go raw, and the other statuses become one item.
 * A program that gives no valid status line, crashes or runs too long
 * gets 42 (an error item on Gopher) if nothing was sent yet, else the
 * connection is closed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "cgi.h"
#include "cgienv.h"
#include "cgihdr.h"
#include "compat.h"
#include "fcgi.h"
#include "gophermap.h"
#include "log.h"
#include "program.h"
#include "url.h"

#define PROG_MENU_MAX	(1024 * 1024)	/* gemtext rendered for Gopher */

enum prog_phase {
	P_HEAD,		/* waiting for the status line */
	P_STREAM,	/* passing the body on, paced by the client */
	P_MENU,		/* Gopher: gathering gemtext to render */
	P_DONE,
};

struct prog {
	struct conn		*c;
	struct cgi_job		*job;		/* one of these two */
	struct fcgi_req		*fr;
	enum prog_phase		 phase;
	int			 gopher;
	int			 want;		/* the conn asked for more */
	int			 busy;		/* inside a callback */
	int			 dead;		/* the conn let go: free when idle */
	char			 hdr[CGIHDR_MAX];
	size_t			 hdrlen;
	struct buf		 body;		/* P_MENU */
	const struct router	*router;
	const struct site	*site;
	char			 dir[PATH_MAX_LEN + 2];	/* for relative links */
	char			 selector[URL_MAX + 1];
	char			 name[128];
};

static struct {
	const struct site	*sites;
	char			*roots[CONFIG_MAX_HOSTS];	/* real, absolute */
	int			 nsites;
	int			 timeout;
	int			 max;
} pg;

static void	prog_data(void *, const char *, size_t);
static void	prog_end(void *, enum prog_end);
static void	prog_more(struct conn *, void *);
static void	prog_release(void *);

static const struct prog_cb	prog_cb = { prog_data, prog_end };
static const struct conn_source	prog_source = { prog_more, prog_release };

/* ---------------------------------------------------------------- set-up */

int
program_prepare(const struct site *sites, int n, int chroot, const char **dirs,
    int max)
{
	char	 full[PATH_MAX_LEN * 2 + 2], *real;
	int	 i, j, nd = 0;

	pg.sites = sites;
	pg.nsites = n;
	for (i = 0; i < n && i < CONFIG_MAX_HOSTS; i++) {
		const struct host_config *hc = sites[i].conf;

		free(pg.roots[i]);
		pg.roots[i] = chroot ? strdup("") : realpath(hc->root, NULL);
		for (j = 0; pg.roots[i] != NULL && j < hc->npaths; j++) {
			if (hc->paths[j].cgi != 1 || nd == max)
				continue;
			snprintf(full, sizeof full, "%s%s", hc->root,
			    hc->paths[j].prefix);
			if ((real = realpath(full, NULL)) != NULL)
				dirs[nd++] = real;	/* lives as long as the worker */
		}
	}
	return nd;
}

void
program_setup(struct event_base *base, int timeout, int max)
{
	pg.timeout = timeout > 0 ? timeout : 10;
	pg.max = max > 0 ? max : 16;
	cgi_setup(base);
	fcgi_setup(base);
}

void
program_stop(void)
{
	cgi_stop();
	fcgi_stop();
}

static const char *
prog_root(const struct site *s)
{
	long	i = s - pg.sites;

	return i >= 0 && i < pg.nsites && pg.roots[i] != NULL ? pg.roots[i] : NULL;
}

/* ---------------------------------------------------------------- the answer */

static void
prog_free(struct prog *p)
{
	buf_free(&p->body);
	free(p);
}

/* Stops the program, if it still runs; no callback comes after. */
static void
prog_halt(struct prog *p)
{
	if (p->job != NULL)
		cgi_cancel(p->job);
	if (p->fr != NULL)
		fcgi_cancel(p->fr);
	p->job = NULL;
	p->fr = NULL;
}

/* Bytes for the client; the conn asks again once they are out. */
static void
prog_push(struct prog *p, const char *s, size_t len)
{
	p->want = 0;
	conn_source_push(p->c, s, len);
}

static void
prog_resume(struct prog *p)
{
	if (p->job != NULL)
		cgi_resume(p->job);
	else if (p->fr != NULL)
		fcgi_resume(p->fr);
}

/* A whole answer of our own, then the end; the program is not heard again. */
static void
prog_answer(struct prog *p, const char *status, const char *s, size_t len)
{
	p->phase = P_DONE;
	conn_set_status(p->c, status);
	prog_push(p, s, len);
	if (!p->dead)
		conn_source_end(p->c, 1);
}

static void
prog_error_item(struct prog *p, const char *msg)
{
	struct buf	b;

	buf_init(&b);
	gophermap_error(&b, msg);
	prog_answer(p, "3", b.data, b.len);
	buf_free(&b);
}

/* Nothing was sent yet: 42, or an error item. */
static void
prog_fail(struct prog *p, const char *why)
{
	char	line[128];
	int	n;

	log_warnx("program %s: %s", p->name, why);
	p->phase = P_DONE;
	prog_halt(p);
	if (p->gopher) {
		snprintf(line, sizeof line, "Program error: %s", why);
		prog_error_item(p, line);
		return;
	}
	n = snprintf(line, sizeof line, "42 Program error\r\n");
	prog_answer(p, "42", line, n);
}

/* A local path as a Gopher item: what the router makes of it. */
static int
prog_classify(void *arg, const char *path, char *type, char *sel, size_t selsz)
{
	const struct prog	*p = arg;
	struct request		 req = { .site = p->site, .path = path };
	struct result		*res;
	int			 r = 0;

	if ((res = malloc(sizeof *res)) == NULL)
		return -1;
	router_resolve(p->router, &req, res);
	if (res->kind == RESULT_NODE) {
		*type = res->node->kind == NODE_DIR ? '1' : res->node->gopher_type;
		path = res->node->path;
	} else if (res->kind == RESULT_REDIRECT) {
		*type = '1';
		path = res->target;
	} else if (res->kind == RESULT_PROGRAM)
		*type = '1';	/* programs mostly answer in gemtext */
	else
		r = -1;
	if (r == 0 && strlcpy(sel, path, selsz) >= selsz)
		r = -1;
	free(res);
	return r;
}

static void
prog_render(struct prog *p, const char *s, size_t len)
{
	struct gopher_ctx	ctx;
	struct buf		b;

	memset(&ctx, 0, sizeof ctx);
	ctx.host = p->site->name;
	ctx.port = conn_port(p->c);
	ctx.dir = p->dir;
	ctx.gemini_host = p->site->name;
	ctx.classify = prog_classify;
	ctx.arg = p;
	buf_init(&b);
	gophermap_render(s, len, &ctx, &b);
	if (b.failed)
		prog_error_item(p, "Out of memory");
	else
		prog_answer(p, "1", b.data, b.len);
	buf_free(&b);
}

static int
prog_is_gemtext(const struct cgihdr *h)
{
	size_t	n = strlen("text/gemini");

	return h->metalen >= n && strncasecmp(h->meta, "text/gemini", n) == 0 &&
	    (h->metalen == n || h->meta[n] == ';' || h->meta[n] == ' ');
}

/* Gopher: what each status becomes. */
static void
prog_head_gopher(struct prog *p, const struct cgihdr *h)
{
	char	line[URL_MAX * 2 + 300], meta[CGIHDR_META_MAX + 1];
	int	n;

	memcpy(meta, h->meta, h->metalen);
	meta[h->metalen] = '\0';
	switch (h->status / 10) {
	case 2:
		if (prog_is_gemtext(h)) {
			p->phase = P_MENU;
			return;
		}
		p->phase = P_STREAM;
		conn_set_status(p->c, "9");
		return;
	case 1:
		/* A search item back to this selector: the client asks, and
		 * sends the answer after a TAB. */
		n = snprintf(line, sizeof line, "7%s\t%s\t%s\t%d\r\n.\r\n",
		    meta[0] ? meta : "Search", p->selector, p->site->name,
		    conn_port(p->c));
		if (n > 0 && (size_t)n < sizeof line)
			prog_answer(p, "7", line, n);
		else
			prog_error_item(p, "Input prompt too long");
		return;
	case 3:
		n = snprintf(line, sizeof line, "=> %s %s\n", meta, meta);
		if (n > 0 && (size_t)n < sizeof line)
			prog_render(p, line, n);
		else
			prog_error_item(p, "Redirect too long");
		return;
	case 6:
		prog_error_item(p, "This page needs a Gemini client certificate");
		return;
	default:
		snprintf(line, sizeof line, "%s", meta[0] ? meta : "Error");
		prog_error_item(p, line);
	}
}

static void
prog_head(struct prog *p, const struct cgihdr *h)
{
	char	line[CGIHDR_MAX + 1], st[3];

	st[0] = '0' + h->status / 10;
	st[1] = '0' + h->status % 10;
	st[2] = '\0';
	if (p->gopher) {
		prog_head_gopher(p, h);
		return;
	}
	/* The status line as we checked it, always with CRLF. */
	memcpy(line, st, 2);
	line[2] = ' ';
	memcpy(line + 3, h->meta, h->metalen);
	memcpy(line + 3 + h->metalen, "\r\n", 2);
	conn_set_status(p->c, st);
	p->phase = P_STREAM;
	prog_push(p, line, h->metalen + 5);
}

static void
prog_body(struct prog *p, const char *s, size_t len)
{
	if (len == 0 || p->dead)
		return;
	if (p->phase == P_STREAM)
		prog_push(p, s, len);
	else if (p->phase == P_MENU) {
		if (p->body.len + len > PROG_MENU_MAX) {
			log_warnx("program %s: page over %d bytes, too large for "
			    "a Gopher menu", p->name, PROG_MENU_MAX);
			p->phase = P_DONE;
			prog_halt(p);
			prog_error_item(p, "Page too large for a Gopher menu");
			return;
		}
		buf_add(&p->body, s, len);
	}
}

/* Output before the status line is complete. */
static void
prog_take_head(struct prog *p, const char *s, size_t len)
{
	struct cgihdr	 h;
	const char	*errstr;
	size_t		 take = sizeof p->hdr - p->hdrlen;
	int		 r;

	if (take > len)
		take = len;
	memcpy(p->hdr + p->hdrlen, s, take);
	p->hdrlen += take;
	if ((r = cgihdr_parse(p->hdr, p->hdrlen, &h, &errstr)) == 0)
		return;
	if (r == -1) {
		prog_fail(p, errstr);
		return;
	}
	prog_head(p, &h);
	prog_body(p, p->hdr + h.len, p->hdrlen - h.len);
	prog_body(p, s + take, len - take);
}

static void
prog_data(void *arg, const char *s, size_t len)
{
	struct prog	*p = arg;

	p->busy++;
	if (p->phase == P_HEAD)
		prog_take_head(p, s, len);
	else
		prog_body(p, s, len);
	p->busy--;
	if (p->dead) {
		if (p->busy == 0)
			prog_free(p);
		return;
	}
	/* Streaming waits for the client to ask; the rest reads on. */
	if ((p->phase != P_STREAM || p->want) && p->phase != P_DONE)
		prog_resume(p);
}

static void
prog_end(void *arg, enum prog_end how)
{
	struct prog	*p = arg;

	p->job = NULL;
	p->fr = NULL;
	p->busy++;
	switch (p->phase) {
	case P_HEAD:
		prog_fail(p, how == PROG_TIMEOUT ? "timed out" : how ==
		    PROG_FAILED ? "failed before its status line" : p->hdrlen ?
		    "no valid status line" : "exited without output");
		break;
	case P_MENU:
		p->phase = P_DONE;
		if (how == PROG_OK)
			prog_render(p, p->body.data ? p->body.data : "", p->body.len);
		else
			prog_fail(p, how == PROG_TIMEOUT ? "timed out" : "failed");
		break;
	case P_STREAM:
		p->phase = P_DONE;
		if (!p->dead)
			conn_source_end(p->c, how == PROG_OK);
		break;
	case P_DONE:
		break;
	}
	p->busy--;
	if (p->dead && p->busy == 0)
		prog_free(p);
}

/* The client took everything: the next piece of a streamed body. */
static void
prog_more(struct conn *c, void *arg)
{
	struct prog	*p = arg;

	(void)c;
	p->want = 1;
	if (p->phase == P_STREAM)
		prog_resume(p);
}

/* The connection closes: stop the program if it still runs. */
static void
prog_release(void *arg)
{
	struct prog	*p = arg;

	p->dead = 1;
	prog_halt(p);
	if (p->busy == 0)
		prog_free(p);
}

/* ---------------------------------------------------------------- starting */

static void
prog_dirname(const char *path, char *dir, size_t dirsz)
{
	char	*slash;

	strlcpy(dir, path, dirsz);
	if ((slash = strrchr(dir, '/')) != NULL)
		slash[1] = '\0';
}

/* The variables, from the request and the connection. */
static int
prog_env(struct conn *c, const struct program_req *pr, const char *root,
    const char *filename, struct cgi_env *env, const char **errstr)
{
	const struct result	*res = pr->res;
	struct cgi_vars		 v;
	struct peer		 peer;
	char			 script[PATH_MAX_LEN + 2], query[3 * URL_MAX + 1];

	memset(&v, 0, sizeof v);
	memcpy(script, res->path, res->script_len);
	script[res->script_len] = '\0';
	v.gopher = pr->gopher;
	v.server_name = res->site->name;
	v.server_port = conn_port(c);
	v.remote_addr = conn_client(c);
	v.script_name = script;
	v.path_info = res->path + res->script_len;
	v.doc_root = root[0] ? root : "/";
	v.script_filename = filename;
	v.query = pr->query;
	if (pr->gopher) {
		v.selector = pr->selector;
		v.search = pr->search;
		if (pr->search != NULL &&
		    cgi_query_encode(pr->search, query, sizeof query) == 0)
			v.query = query;
	} else {
		v.url = pr->url;
		v.url_path = pr->url_path;
		conn_peer(c, &peer);
		v.peer = &peer;
		conn_tls_info(c, &v.tls_version, &v.tls_cipher);
	}
	return cgi_env_build(&v, env, errstr);
}

static int
prog_limit(const struct path_rule *rule)
{
	int	running = cgi_count(NULL) + fcgi_count(NULL);

	if (running >= pg.max)
		return 1;
	return rule->cgi_max > 0 &&
	    cgi_count(rule) + fcgi_count(rule) >= rule->cgi_max;
}

static int
prog_launch(struct prog *p, const struct program_req *pr, struct cgi_env *env,
    const char *filename, const char **errstr)
{
	const struct path_rule	*rule = pr->res->rule;
	char			 dir[PATH_MAX_LEN * 2 + 2];
	int			 timeout = rule->cgi_timeout ? rule->cgi_timeout :
				    pg.timeout;

	if (rule->fastcgi[0] != '\0') {
		struct fcgi_spec fs = { (const struct sockaddr *)&rule->fcgi_addr,
		    rule->fcgi_addrlen, p->name, env->vars, timeout, rule };

		p->fr = fcgi_start(&fs, &prog_cb, p, errstr);
		return p->fr != NULL ? 0 : -1;
	} else {
		struct cgi_spec cs = { filename, dir, p->name, env->vars,
		    timeout, rule };

		prog_dirname(filename, dir, sizeof dir);
		p->job = cgi_start(&cs, &prog_cb, p, errstr);
		return p->job != NULL ? 0 : -1;
	}
}

/* Too many programs at once: come back when one has had its time. */
static void
prog_busy(struct conn *c, const struct program_req *pr)
{
	const struct path_rule	*rule = pr->res->rule;
	char			 line[128];
	struct buf		 b;
	int			 n, secs = rule->cgi_timeout ? rule->cgi_timeout :
				    pg.timeout;

	if (pr->gopher) {
		snprintf(line, sizeof line, "Busy: too many programs running; "
		    "try again in %d seconds", secs);
		buf_init(&b);
		gophermap_error(&b, line);
		conn_set_status(c, "3");
		conn_send_copy(c, b.data, b.len);
		buf_free(&b);
	} else {
		n = snprintf(line, sizeof line, "44 %d\r\n", secs);
		conn_set_status(c, "44");
		conn_send_copy(c, line, n);
	}
	conn_finish(c);
}

void
program_serve(struct conn *c, const struct program_req *pr)
{
	const struct result	*res = pr->res;
	const char		*root = prog_root(res->site), *errstr = NULL;
	char			 filename[PATH_MAX_LEN * 2 + 2];
	struct cgi_env		*env = NULL;
	struct prog		*p;
	int			 r = -1;

	if (prog_limit(res->rule)) {
		log_warnx("program %.*s: cgi_max reached", (int)res->script_len,
		    res->path);
		prog_busy(c, pr);
		return;
	}
	if ((p = calloc(1, sizeof *p)) == NULL) {
		conn_finish(c);
		return;
	}
	p->c = c;
	p->gopher = pr->gopher;
	p->router = pr->router;
	p->site = res->site;
	buf_init(&p->body);
	snprintf(p->name, sizeof p->name, "%.*s", (int)res->script_len, res->path);
	prog_dirname(res->path, p->dir, sizeof p->dir);
	strlcpy(p->selector, pr->selector ? pr->selector : "", sizeof p->selector);
	conn_send_source(c, &prog_source, p);
	if (root == NULL)
		errstr = "no content root";
	else if (res->node != NULL)
		snprintf(filename, sizeof filename, "%s%s", root, res->node->path);
	else
		snprintf(filename, sizeof filename, "%s%s", root, p->name);
	if (errstr == NULL && (env = malloc(sizeof *env)) == NULL)
		errstr = "out of memory";
	if (errstr == NULL && prog_env(c, pr, root, filename, env, &errstr) == 0)
		r = prog_launch(p, pr, env, filename, &errstr);
	free(env);
	p->busy++;
	conn_finish(c);		/* waits for the source */
	if (!p->dead && r == -1)
		prog_fail(p, errstr ? errstr : "cannot start");
	else if (!p->dead)
		prog_resume(p);
	if (--p->busy == 0 && p->dead)
		prog_free(p);
}
