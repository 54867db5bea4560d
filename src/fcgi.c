/*
 * A FastCGI 1.0 client in the FCGI_RESPONDER role. A request is built in
 * an evbuffer (BEGIN_REQUEST with FCGI_KEEP_CONN, the parameters, empty
 * PARAMS and STDIN) and the reply is parsed by a small state machine,
 * fcgi_parse(), which is pure so the fuzzer can drive it. STDOUT is passed
 * on a piece at a time, paced by the client like a CGI program's pipe;
 * STDERR goes to the log. A responder that keeps the connection open after
 * END_REQUEST gets it back for the next request (a small idle pool per
 * responder); one that closes it gets a new one each time.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "compat.h"
#include "config.h"
#include "fcgi.h"
#include "log.h"

#define FCGI_READ	(16 * 1024)	/* STDOUT passed on at a time */
#define FCGI_WATERMARK	(64 * 1024)	/* read ahead of the client at most */
#define FCGI_IDLE_MAX	16		/* idle connections kept per responder */
#define FCGI_IDLE_SECS	5
#define FCGI_ID		1		/* one request per connection at a time */

enum { FP_HEADER, FP_CONTENT, FP_SKIP, FP_END, FP_PAD };

/* ---------------------------------------------------------------- pure parts */

void
fcgi_parser_init(struct fcgi_parser *p)
{
	memset(p, 0, sizeof *p);
	p->state = FP_HEADER;
}

/* A record header: version 1; END_REQUEST's body is 8 bytes. */
static int
fcgi_header(struct fcgi_parser *p, const char **errstr)
{
	p->hlen = 0;
	if (p->hdr[0] != 1) {
		*errstr = "not FastCGI version 1";
		return -1;
	}
	p->type = p->hdr[1];
	p->id = (unsigned)p->hdr[2] << 8 | p->hdr[3];
	p->left = (size_t)p->hdr[4] << 8 | p->hdr[5];
	p->pad = p->hdr[6];
	if (p->type == FCGI_END_REQUEST) {
		if (p->left != sizeof p->end) {
			*errstr = "END_REQUEST body is not 8 bytes";
			return -1;
		}
		p->endlen = 0;
		p->state = FP_END;
	} else if (p->type == FCGI_STDOUT || p->type == FCGI_STDERR)
		p->state = p->left > 0 ? FP_CONTENT : p->pad > 0 ? FP_PAD :
		    FP_HEADER;
	else
		p->state = FP_SKIP;	/* management records, unknown types */
	return 0;
}

ssize_t
fcgi_parse(struct fcgi_parser *p, const unsigned char *in, size_t n,
    struct fcgi_event *ev, const char **errstr)
{
	size_t	used = 0, take;

	memset(ev, 0, sizeof *ev);
	while (used < n) {
		take = n - used;
		switch (p->state) {
		case FP_HEADER:
			if (take > sizeof p->hdr - p->hlen)
				take = sizeof p->hdr - p->hlen;
			memcpy(p->hdr + p->hlen, in + used, take);
			p->hlen += take;
			used += take;
			if (p->hlen == sizeof p->hdr && fcgi_header(p, errstr) == -1)
				return -1;
			break;
		case FP_CONTENT:
			if (take > p->left)
				take = p->left;
			ev->type = p->type;
			ev->id = p->id;
			ev->data = in + used;
			ev->len = take;
			p->left -= take;
			if (p->left == 0)
				p->state = p->pad > 0 ? FP_PAD : FP_HEADER;
			return used + take;
		case FP_SKIP:
			if (take > p->left)
				take = p->left;
			p->left -= take;
			used += take;
			if (p->left == 0)
				p->state = p->pad > 0 ? FP_PAD : FP_HEADER;
			break;
		case FP_END:
			if (take > sizeof p->end - p->endlen)
				take = sizeof p->end - p->endlen;
			memcpy(p->end + p->endlen, in + used, take);
			p->endlen += take;
			used += take;
			if (p->endlen < sizeof p->end)
				break;
			ev->type = FCGI_END_REQUEST;
			ev->id = p->id;
			ev->app_status = (uint32_t)p->end[0] << 24 |
			    (uint32_t)p->end[1] << 16 | (uint32_t)p->end[2] << 8 |
			    p->end[3];
			ev->protocol_status = p->end[4];
			p->state = p->pad > 0 ? FP_PAD : FP_HEADER;
			return used;
		case FP_PAD:
			if (take > p->pad)
				take = p->pad;
			p->pad -= take;
			used += take;
			if (p->pad == 0)
				p->state = FP_HEADER;
			break;
		}
	}
	return used;
}

static size_t
fcgi_len(unsigned char *out, size_t len)
{
	if (len < 128) {
		out[0] = (unsigned char)len;
		return 1;
	}
	out[0] = 0x80 | (unsigned char)(len >> 24);
	out[1] = (unsigned char)(len >> 16);
	out[2] = (unsigned char)(len >> 8);
	out[3] = (unsigned char)len;
	return 4;
}

ssize_t
fcgi_pair(unsigned char *out, size_t outsz, const char *name, size_t nlen,
    const char *value, size_t vlen)
{
	size_t	o;

	if (nlen > 0x7fffffff || vlen > 0x7fffffff || outsz < 8 + nlen + vlen)
		return -1;
	o = fcgi_len(out, nlen);
	o += fcgi_len(out + o, vlen);
	memcpy(out + o, name, nlen);
	memcpy(out + o + nlen, value, vlen);
	return o + nlen + vlen;
}

/* ---------------------------------------------------------------- connections */

/* A connection to a responder, busy with a request or idle in the pool. */
struct fcgi_conn {
	TAILQ_ENTRY(fcgi_conn)	 entry;
	struct bufferevent	*bev;
	const struct path_rule	*rule;
	struct fcgi_parser	 parser;
};

struct fcgi_req {
	TAILQ_ENTRY(fcgi_req)	 entry;
	struct fcgi_conn	*fc;
	const struct sockaddr	*addr;
	socklen_t		 addrlen;
	struct evbuffer		*request;	/* kept to retry a stale connection */
	int			 replied;	/* a byte of reply came */
	int			 reused;	/* fc came from the pool */
	int			 eof;		/* the responder closed; input is buffered */
	int			 busy;		/* inside the data callback */
	const struct prog_cb	*cb;
	void			*arg;
	const struct path_rule	*rule;
	struct event		*timer, *kick;
	long			 budget_ms;
	struct timespec		 since;
	int			 reading;
	char			 name[128];
	char			 line[512];
	size_t			 linelen;
};

static TAILQ_HEAD(, fcgi_conn)	 fcgi_idle = TAILQ_HEAD_INITIALIZER(fcgi_idle);
static TAILQ_HEAD(, fcgi_req)	 fcgi_reqs = TAILQ_HEAD_INITIALIZER(fcgi_reqs);
static struct event_base	*fcgi_base;

static void	fcgi_read(struct bufferevent *, void *);
static void	fcgi_event(struct bufferevent *, short, void *);
static void	fcgi_process(struct fcgi_req *);

void
fcgi_setup(struct event_base *base)
{
	fcgi_base = base;
}

int
fcgi_count(const struct path_rule *rule)
{
	struct fcgi_req	*r;
	int		 n = 0;

	TAILQ_FOREACH(r, &fcgi_reqs, entry)
		n += rule == NULL || r->rule == rule;
	return n;
}

static void
fcgi_conn_free(struct fcgi_conn *fc)
{
	if (fc == NULL)
		return;
	bufferevent_free(fc->bev);
	free(fc);
}

static void
fcgi_idle_drop(struct fcgi_conn *fc)
{
	TAILQ_REMOVE(&fcgi_idle, fc, entry);
	fcgi_conn_free(fc);
}

/* An idle connection that speaks (EOF, stray bytes) or times out is dropped. */
static void
fcgi_idle_read(struct bufferevent *bev, void *arg)
{
	(void)bev;
	fcgi_idle_drop(arg);
}

static void
fcgi_idle_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)what;
	fcgi_idle_drop(arg);
}

static void
fcgi_pool_put(struct fcgi_conn *fc)
{
	struct fcgi_conn	*o;
	struct timeval		 tv = { FCGI_IDLE_SECS, 0 };
	int			 n = 0;

	TAILQ_FOREACH(o, &fcgi_idle, entry)
		n += o->rule == fc->rule;
	if (n >= FCGI_IDLE_MAX) {
		fcgi_conn_free(fc);
		return;
	}
	bufferevent_setcb(fc->bev, fcgi_idle_read, NULL, fcgi_idle_event, fc);
	bufferevent_set_timeouts(fc->bev, &tv, NULL);
	bufferevent_enable(fc->bev, EV_READ);
	TAILQ_INSERT_HEAD(&fcgi_idle, fc, entry);
}

static struct fcgi_conn *
fcgi_pool_get(const struct path_rule *rule)
{
	struct fcgi_conn	*fc;

	TAILQ_FOREACH(fc, &fcgi_idle, entry)
		if (fc->rule == rule)
			break;
	if (fc != NULL)
		TAILQ_REMOVE(&fcgi_idle, fc, entry);
	return fc;
}

/* A new connection; connect's failure shows as an event, or -1 at once. */
static struct fcgi_conn *
fcgi_connect(struct fcgi_req *r, const char **errstr)
{
	struct fcgi_conn	*fc;

	if ((fc = calloc(1, sizeof *fc)) == NULL) {
		*errstr = "out of memory";
		return NULL;
	}
	fc->rule = r->rule;
	fc->bev = bufferevent_socket_new(fcgi_base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (fc->bev == NULL || bufferevent_socket_connect(fc->bev,
	    (struct sockaddr *)(uintptr_t)r->addr, (int)r->addrlen) == -1) {
		*errstr = errno != 0 ? strerror(errno) : "cannot connect";
		if (fc->bev != NULL)
			bufferevent_free(fc->bev);
		free(fc);
		return NULL;
	}
	return fc;
}

/*
 * The request's bytes: on a pooled connection straight to the socket,
 * which takes them whole (no write event to add and remove); the rest,
 * and everything on a connection still connecting, through the buffer.
 */
static int
fcgi_write(struct fcgi_req *r)
{
	unsigned char	*p = evbuffer_pullup(r->request, -1);
	size_t		 len = evbuffer_get_length(r->request);
	ssize_t		 w = 0;

	if (r->reused && (w = send(bufferevent_getfd(r->fc->bev), p, len,
	    MSG_NOSIGNAL | MSG_DONTWAIT)) == -1)
		w = 0;	/* the buffer tries again, and reports the error */
	if ((size_t)w == len)
		return 0;
	return bufferevent_write(r->fc->bev, p + w, len - w);
}

/* Sends the request on a connection, pooled or new. */
static int
fcgi_send(struct fcgi_req *r, int fresh, const char **errstr)
{
	struct fcgi_conn	*fc = NULL;

	r->reused = 0;
	if (!fresh && (fc = fcgi_pool_get(r->rule)) != NULL)
		r->reused = 1;
	else if ((fc = fcgi_connect(r, errstr)) == NULL)
		return -1;
	r->fc = fc;
	fcgi_parser_init(&fc->parser);
	bufferevent_setcb(fc->bev, fcgi_read, NULL, fcgi_event, r);
	bufferevent_set_timeouts(fc->bev, NULL, NULL);
	bufferevent_setwatermark(fc->bev, EV_READ, 0, FCGI_WATERMARK);
	if (fcgi_write(r) == -1) {
		*errstr = "out of memory";
		return -1;
	}
	/* Reading stays on: the watermark bounds what waits for the client. */
	bufferevent_enable(fc->bev, EV_READ);
	return 0;
}

/* ---------------------------------------------------------------- requests */

static void
fcgi_record(struct evbuffer *b, int type, const unsigned char *p, size_t len)
{
	unsigned char	h[FCGI_HEADER_LEN] = { 1, (unsigned char)type, 0,
	    FCGI_ID, (unsigned char)(len >> 8), (unsigned char)len, 0, 0 };

	evbuffer_add(b, h, sizeof h);
	if (len > 0)
		evbuffer_add(b, p, len);
}

/* BEGIN_REQUEST, the parameters in records of at most 64 KiB, the ends. */
static int
fcgi_build(struct evbuffer *b, char *const *env)
{
	static const unsigned char begin[8] = { 0, FCGI_RESPONDER, FCGI_KEEP_CONN };
	unsigned char	 buf[65535];
	size_t		 o = 0;
	ssize_t		 w;
	const char	*eq;
	int		 i;

	fcgi_record(b, FCGI_BEGIN_REQUEST, begin, sizeof begin);
	for (i = 0; env[i] != NULL; i++) {
		if ((eq = strchr(env[i], '=')) == NULL)
			continue;
		w = fcgi_pair(buf + o, sizeof buf - o, env[i], eq - env[i],
		    eq + 1, strlen(eq + 1));
		if (w == -1 && o > 0) {
			fcgi_record(b, FCGI_PARAMS, buf, o);
			o = 0;
			i--;
			continue;
		}
		if (w == -1)
			return -1;
		o += w;
	}
	if (o > 0)
		fcgi_record(b, FCGI_PARAMS, buf, o);
	fcgi_record(b, FCGI_PARAMS, NULL, 0);
	fcgi_record(b, FCGI_STDIN, NULL, 0);
	return 0;
}

static void
fcgi_req_free(struct fcgi_req *r)
{
	TAILQ_REMOVE(&fcgi_reqs, r, entry);
	fcgi_conn_free(r->fc);
	if (r->request != NULL)
		evbuffer_free(r->request);
	if (r->timer != NULL)
		event_free(r->timer);
	if (r->kick != NULL)
		event_free(r->kick);
	free(r);
}

/* The request is over: tell the caller, then free it. */
static void
fcgi_done(struct fcgi_req *r, enum prog_end how)
{
	const struct prog_cb	*cb = r->cb;
	void			*arg = r->arg;

	if (r->linelen > 0)
		cgi_log_line(r->name, r->line, r->linelen);
	fcgi_req_free(r);
	if (cb != NULL)
		cb->end(arg, how);
}

static void
fcgi_pause(struct fcgi_req *r)
{
	if (r->reading) {
		r->budget_ms -= cgi_ms_since(&r->since);
		r->reading = 0;
	}
	evtimer_del(r->timer);
}

static void
fcgi_stderr(struct fcgi_req *r, const unsigned char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (s[i] != '\n')
			r->line[r->linelen++] = s[i];
		if (s[i] == '\n' || r->linelen == sizeof r->line) {
			cgi_log_line(r->name, r->line, r->linelen);
			r->linelen = 0;
		}
	}
}

/* END_REQUEST: the connection goes back to the pool if nothing follows. */
static void
fcgi_end(struct fcgi_req *r, const struct fcgi_event *ev)
{
	struct evbuffer	*in = bufferevent_get_input(r->fc->bev);
	size_t		 left = evbuffer_get_length(in);

	if (left > 0 && left < 256) {	/* the END record's padding */
		struct fcgi_event	pe;
		const char		*errstr;
		ssize_t			used;

		used = fcgi_parse(&r->fc->parser, evbuffer_pullup(in, -1), left,
		    &pe, &errstr);
		if (used > 0)
			evbuffer_drain(in, used);
	}
	if (!r->eof && evbuffer_get_length(in) == 0 &&
	    r->fc->parser.state == FP_HEADER && r->fc->parser.hlen == 0) {
		fcgi_pool_put(r->fc);
		r->fc = NULL;
	}
	fcgi_done(r, ev->protocol_status == FCGI_REQUEST_COMPLETE ? PROG_OK :
	    PROG_FAILED);
}

/*
 * Parses what came: STDOUT gathered up to FCGI_READ bytes is one piece for
 * the client, then reading pauses until resumed. An END_REQUEST right
 * behind it ends the request in the same pass, so a small answer and its
 * end reach the client together.
 */
static void
fcgi_process(struct fcgi_req *r)
{
	struct evbuffer		*in;
	struct fcgi_event	 ev, end;
	unsigned char		 copy[FCGI_READ], *p;
	const char		*errstr = NULL;
	size_t			 n, len = 0;
	ssize_t			 used = 0;

	memset(&end, 0, sizeof end);
	while (r->reading && r->fc != NULL && len < sizeof copy) {
		in = bufferevent_get_input(r->fc->bev);
		if ((n = evbuffer_get_length(in)) == 0)
			break;
		if (n > sizeof copy - len)
			n = sizeof copy - len;
		p = evbuffer_pullup(in, n);
		if ((used = fcgi_parse(&r->fc->parser, p, n, &ev, &errstr)) == -1)
			break;
		r->replied = 1;
		if (ev.type == FCGI_STDOUT) {
			memcpy(copy + len, ev.data, ev.len);
			len += ev.len;
		} else if (ev.type == FCGI_STDERR)
			fcgi_stderr(r, ev.data, ev.len);
		evbuffer_drain(in, used);
		if (ev.type == FCGI_END_REQUEST) {
			end = ev;
			break;
		}
	}
	if (used == -1) {
		log_warnx("program %s: %s", r->name, errstr);
		fcgi_done(r, PROG_FAILED);
		return;
	}
	if (len > 0) {
		fcgi_pause(r);
		r->busy = 1;
		r->cb->data(r->arg, (const char *)copy, len);
		r->busy = 0;
		if (r->cb == NULL) {	/* cancelled meanwhile */
			fcgi_req_free(r);
			return;
		}
	}
	if (end.type == FCGI_END_REQUEST)
		fcgi_end(r, &end);
	else if (r->eof && r->fc != NULL &&
	    evbuffer_get_length(bufferevent_get_input(r->fc->bev)) == 0) {
		log_warnx("program %s: FastCGI responder closed the connection",
		    r->name);
		fcgi_done(r, PROG_FAILED);
	}
}

static void
fcgi_read(struct bufferevent *bev, void *arg)
{
	struct fcgi_req	*r = arg;

	(void)bev;
	if (r->reading)
		fcgi_process(r);
}

static void
fcgi_event(struct bufferevent *bev, short what, void *arg)
{
	struct fcgi_req	*r = arg;
	const char	*errstr = "responder closed the connection";

	if (what & BEV_EVENT_CONNECTED)
		return;
	if ((what & BEV_EVENT_EOF) &&
	    evbuffer_get_length(bufferevent_get_input(bev)) > 0) {
		r->eof = 1;	/* what came first is still to be read */
		if (r->reading)
			fcgi_process(r);
		return;
	}
	if (!r->replied && r->reused) {
		/* An idle connection the responder had closed: once more, anew. */
		fcgi_conn_free(r->fc);
		r->fc = NULL;
		if (fcgi_send(r, 1, &errstr) == 0) {
			if (r->reading)
				bufferevent_enable(r->fc->bev, EV_READ);
			return;
		}
	}
	if (what & BEV_EVENT_ERROR)
		errstr = strerror(EVUTIL_SOCKET_ERROR());
	log_warnx("program %s: FastCGI responder: %s", r->name, errstr);
	fcgi_done(r, PROG_FAILED);
}

static void
fcgi_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct fcgi_req	*r = arg;

	(void)fd;
	(void)what;
	log_warnx("program %s: FastCGI responder timed out", r->name);
	fcgi_done(r, PROG_TIMEOUT);
}

static void
fcgi_on_kick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	fcgi_process(arg);
}

struct fcgi_req *
fcgi_start(const struct fcgi_spec *sp, const struct prog_cb *cb, void *arg,
    const char **errstr)
{
	struct fcgi_req	*r;

	if ((r = calloc(1, sizeof *r)) == NULL) {
		*errstr = "out of memory";
		return NULL;
	}
	TAILQ_INSERT_TAIL(&fcgi_reqs, r, entry);
	r->addr = sp->addr;
	r->addrlen = sp->addrlen;
	r->rule = sp->rule;
	r->budget_ms = sp->timeout * 1000L;
	strlcpy(r->name, sp->name, sizeof r->name);
	*errstr = "out of memory";
	if ((r->request = evbuffer_new()) == NULL ||
	    (r->timer = evtimer_new(fcgi_base, fcgi_on_timer, r)) == NULL ||
	    (r->kick = evtimer_new(fcgi_base, fcgi_on_kick, r)) == NULL)
		goto fail;
	if (fcgi_build(r->request, sp->env) == -1) {
		*errstr = "parameters too large";
		goto fail;
	}
	errno = 0;
	if (fcgi_send(r, 0, errstr) == -1)
		goto fail;
	r->cb = cb;
	r->arg = arg;
	return r;
fail:
	fcgi_req_free(r);
	return NULL;
}

void
fcgi_resume(struct fcgi_req *r)
{
	struct timeval	tv = { 0, 0 };

	if (r->cb == NULL || r->reading)
		return;
	r->reading = 1;
	clock_gettime(CLOCK_MONOTONIC, &r->since);
	cgi_timer_add(r->timer, r->budget_ms);
	if (r->fc != NULL &&
	    evbuffer_get_length(bufferevent_get_input(r->fc->bev)) > 0)
		evtimer_add(r->kick, &tv);	/* what is buffered already */
}

/* The client went away: the connection cannot be reused mid-answer. */
void
fcgi_cancel(struct fcgi_req *r)
{
	r->cb = NULL;
	if (!r->busy)
		fcgi_req_free(r);
}

void
fcgi_stop(void)
{
	struct fcgi_req		*r;
	struct fcgi_conn	*fc;

	while ((r = TAILQ_FIRST(&fcgi_reqs)) != NULL)
		fcgi_req_free(r);
	while ((fc = TAILQ_FIRST(&fcgi_idle)) != NULL)
		fcgi_idle_drop(fc);
}
