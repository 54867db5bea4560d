/*
 * loadgen: a load generator for Gemini and Gopher servers, on libevent and
 * OpenSSL. Each request is one new connection: connect, TLS handshake
 * (Gemini), write "URL\r\n" or "selector\r\n", read until the server
 * closes, check the answer, close. Server certificates are not verified;
 * SNI is sent. Idle mode instead opens connections, finishes the
 * handshake and holds them, to measure a server's memory per connection.
 * Sockets are TCP_NODELAY unless --nagle asks for the default options,
 * as Python's ssl and Lagrange keep them. Tickets can be offered as three
 * kinds of client do: the newest, each one once (RFC 8446, C.4), or the
 * first one over and over.
 *
 * Human-readable results go to stdout, then one JSON line, always last.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#define REQ_MAX		1100	/* URL or selector (1024) plus CRLF */
#define READ_CHUNK	16384
#define POOL_MAX	1024	/* unused tickets kept with -u */

enum proto { PROTO_GEMINI, PROTO_GOPHER };

/*
 * Error kinds; their names are the JSON keys. short: closed before a whole
 * status line, with no byte (Gopher), fewer bytes than -e, or without TLS
 * close_notify; io: any other failure once connected (a reset, say).
 */
enum err_kind {
	ERR_CONNECT, ERR_HANDSHAKE, ERR_TIMEOUT, ERR_STATUS, ERR_SHORT, ERR_IO,
	ERR__MAX
};
static const char *const err_names[ERR__MAX] = {
	"connect", "handshake", "timeout", "status", "short", "io"
};

enum state { ST_CONNECT, ST_HANDSHAKE, ST_WRITE, ST_READ, ST_IDLE };

/* Which ticket a new connection offers. */
enum resume {
	RESUME_NONE,
	RESUME_NEWEST,		/* -r: the newest one the server sent */
	RESUME_ONCE,		/* -u: each ticket once, then it is gone */
	RESUME_FIRST,		/* -f: the first one, until it stops resuming */
};

struct opts {
	int		 concurrency;
	double		 seconds;
	long		 count;		/* 0: bounded by seconds only */
	double		 timeout;
	double		 rate;		/* -R: requests begun a second, or 0 */
	enum resume	 resume;
	int		 nagle;		/* keep the default socket options */
	int		 tls12;		/* TLS 1.2 at most */
	long		 idle;		/* idle mode: connections to hold */
	long		 expect;	/* expected response bytes, or -1 */
	int		 quiet;
	const char	*addr;		/* connect here instead of the URL host */
	const char	*bind;		/* the source address (IPv4), or NULL */
	const char	*url;
	const char	*list;		/* a file of URLs to request in turn */
};

struct target {
	enum proto		 proto;
	char			 host[256];
	char			 port[8];
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			 req[REQ_MAX];
	size_t			 reqlen;
};

struct client {
	struct run	*run;
	struct event	*ev;
	int		 fd;
	SSL		*ssl;
	enum state	 st;
	struct timespec	 start;
	struct timespec	 sched;		/* when it was due: latency counts from here */
	int		 pacing;	/* -R: waiting for its turn to begin */
	const char	*req;		/* this request's line */
	size_t		 reqlen;
	size_t		 sent;
	size_t		 got;
	char		 head[3];
	int		 offered;	/* this handshake offered a ticket */
	uint64_t	 offered_hash;	/* ticket_hash() of it */
	int		 fail;		/* connect failed at once: ERR_CONNECT */
};

struct run {
	struct opts	 o;
	struct target	 t;
	struct event_base *base;
	SSL_CTX		*ctx;
	SSL_SESSION	*last_session;	/* newest ticket (-r), or first (-f) */
	SSL_SESSION	*pool[POOL_MAX];	/* unused tickets (-u) */
	int		 npool;
	struct client	*clients;
	int		 nclients;
	char		**reqs;		/* -f: the request lines, in turn */
	size_t		*reqlens;
	size_t		 nreqs, nextreq;
	int		 active;	/* requests or opens in progress */
	int		 stopping;
	int		 holding;
	long		 started;	/* requests or opens begun */
	struct timespec	 t0, t1;
	double		 due;		/* -R: the next turn, seconds after t0 */

	long		 ok;
	long		 errors[ERR__MAX];
	long		 handshakes;
	long		 offered;	/* handshakes begun with a ticket */
	long		 resumed;
	long		 tls13;
	long		 held;		/* idle connections established */
	long		 dropped;	/* idle connections the server closed */
	unsigned long long bytes;
	uint32_t	*lat;		/* microseconds, one per finished request */
	size_t		 nlat, latcap;
	struct event	*stop_ev, *hard_ev, *sig_int, *sig_term;
};

static void	client_start(struct client *);
static void	client_begin(struct client *);
static void	client_turn(struct client *);
static void	client_step(struct client *);
static void	client_cb(evutil_socket_t, short, void *);

static _Noreturn void
die(const char *fmt, ...)
{
	va_list	ap;

	fputs("loadgen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static _Noreturn void
usage(void)
{
	fputs("usage: loadgen [-2fqru] [--nagle] [-a addr] [-b source] "
	    "[-c concurrency] [-d seconds]\n"
	    "               [-e bytes] [-F url-file] [-i idle-conns] [-n count] "
	    "[-R rate] [-t timeout] url\n"
	    "  url: gemini://host[:port]/path or gopher://host[:port]/Tselector\n"
	    "  -c  connections in flight (default 1)\n"
	    "  -d  seconds to run, or in idle mode to hold (default 5)\n"
	    "  -n  stop after this many requests\n"
	    "  -R  begin this many requests a second, at most -c in flight;\n"
	    "      latency counts from when each was due (default: as fast\n"
	    "      as answers come back)\n"
	    "  -r  offer the newest session ticket (count resumed handshakes)\n"
	    "  -u  offer each ticket once, then forget it (RFC 8446, C.4)\n"
	    "  -f  offer the first ticket over and over, until it fails\n"
	    "  --nagle, -N  default socket options: Nagle's algorithm on\n"
	    "  -2  TLS 1.2 at most\n"
	    "  -i  idle mode: open this many connections (at most -c at a time),\n"
	    "      finish the handshake (Gemini) or connect (Gopher), hold -d s\n"
	    "  -e  expected response size; fewer bytes count as a short read\n"
	    "  -t  per-request timeout in seconds (default 10)\n"
	    "  -a  connect to this address instead of the URL's host\n"
	    "  -b  connect from this IPv4 address (e.g. 127.0.0.2)\n"
	    "  -F  request the URLs of this file (one a line, same server as\n"
	    "      url) in turn, instead of url\n"
	    "  -q  only print the JSON line\n", stderr);
	exit(2);
}

static double
parse_num(const char *s, double lo, double hi, const char *what)
{
	char	*end;
	double	 v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		die("bad %s: %s", what, s);
	return v;
}

static double
ts_diff(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	    (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static struct timeval
tv_of(double s)
{
	struct timeval	tv;

	if (s < 0)
		s = 0;
	tv.tv_sec = (time_t)s;
	tv.tv_usec = (suseconds_t)((s - (double)tv.tv_sec) * 1e6);
	return tv;
}

/* Lets this process hold as many sockets as the hard limit allows. */
static void
raise_nofile(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			fprintf(stderr, "loadgen: setrlimit: %s\n", strerror(errno));
	}
}

/* Splits gemini://host[:port]/path or gopher://host[:port]/Tselector. */
static void
target_parse(struct target *t, const char *url)
{
	const char	*p, *h, *hend, *path;
	size_t		 n;
	int		 r;

	if (strncmp(url, "gemini://", 9) == 0) {
		t->proto = PROTO_GEMINI;
		p = url + 9;
	} else if (strncmp(url, "gopher://", 9) == 0) {
		t->proto = PROTO_GOPHER;
		p = url + 9;
	} else
		die("URL must start with gemini:// or gopher://: %s", url);
	if (*p == '[') {
		h = p + 1;
		if ((hend = strchr(h, ']')) == NULL)
			die("unclosed [ in %s", url);
		p = hend + 1;
	} else {
		h = p;
		hend = p + strcspn(p, ":/");
		p = hend;
	}
	n = (size_t)(hend - h);
	if (n == 0 || n >= sizeof t->host)
		die("bad host in %s", url);
	memcpy(t->host, h, n);
	t->host[n] = '\0';
	path = p + strcspn(p, "/");
	if (*p == ':') {
		n = (size_t)(path - p - 1);
		if (n == 0 || n >= sizeof t->port)
			die("bad port in %s", url);
		memcpy(t->port, p + 1, n);
		t->port[n] = '\0';
	} else if (p != path)
		die("bad URL %s", url);
	else
		snprintf(t->port, sizeof t->port, "%s",
		    t->proto == PROTO_GEMINI ? "1965" : "70");

	if (t->proto == PROTO_GEMINI)
		r = snprintf(t->req, sizeof t->req, "%s\r\n", url);
	else	/* RFC 4266: the first path character is the item type */
		r = snprintf(t->req, sizeof t->req, "%s\r\n",
		    strlen(path) > 1 ? path + 2 : "");
	if (r < 0 || (size_t)r >= sizeof t->req)
		die("request too long");
	t->reqlen = (size_t)r;
}

/* -f: the request line of every URL in the file, all for url's server. */
static void
target_list(struct run *r, const char *path)
{
	struct target	 t;
	char		 line[REQ_MAX + 2];
	size_t		 cap = 0;
	FILE		*f;

	if ((f = fopen(path, "r")) == NULL)
		die("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0')
			continue;
		target_parse(&t, line);
		if (t.proto != r->t.proto || strcmp(t.host, r->t.host) != 0 ||
		    strcmp(t.port, r->t.port) != 0)
			die("%s: %s is not on the server of %s", path, line,
			    r->o.url);
		if (r->nreqs == cap) {
			cap = cap * 2 + 1024;
			r->reqs = realloc(r->reqs, cap * sizeof *r->reqs);
			r->reqlens = realloc(r->reqlens, cap * sizeof *r->reqlens);
			if (r->reqs == NULL || r->reqlens == NULL)
				die("out of memory");
		}
		if ((r->reqs[r->nreqs] = strdup(t.req)) == NULL)
			die("out of memory");
		r->reqlens[r->nreqs++] = t.reqlen;
	}
	fclose(f);
	if (r->nreqs == 0)
		die("%s: no URL", path);
}

/* Resolves the address once; IPv4 first, since loopback tests use it. */
static void
target_resolve(struct target *t, const char *addr)
{
	struct addrinfo	 hints, *res, *ai, *pick = NULL;
	int		 e;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (addr != NULL)
		hints.ai_flags = AI_NUMERICHOST;
	e = getaddrinfo(addr != NULL ? addr : t->host, t->port, &hints, &res);
	if (e != 0)
		die("%s: %s", addr != NULL ? addr : t->host, gai_strerror(e));
	for (ai = res; ai != NULL; ai = ai->ai_next)
		if (pick == NULL || (ai->ai_family == AF_INET &&
		    pick->ai_family != AF_INET))
			pick = ai;
	memcpy(&t->ss, pick->ai_addr, pick->ai_addrlen);
	t->sslen = pick->ai_addrlen;
	freeaddrinfo(res);
}

/*
 * Keeps a session the server handed out as -r, -u or -f wants it: 1 when
 * the reference passed in is kept.
 */
static int
session_keep(struct run *r, SSL_SESSION *sess)
{
	switch (r->o.resume) {
	case RESUME_ONCE:
		/* a copy: OpenSSL may mark the connection's own one unusable */
		if (r->npool < POOL_MAX &&
		    (r->pool[r->npool] = SSL_SESSION_dup(sess)) != NULL)
			r->npool++;
		return 0;
	case RESUME_FIRST:
		if (r->last_session != NULL)
			return 0;
		break;
	default:
		if (r->last_session != NULL)
			SSL_SESSION_free(r->last_session);
		break;
	}
	r->last_session = sess;
	return 1;
}

static int
new_session_cb(SSL *ssl, SSL_SESSION *sess)
{
	return session_keep(SSL_get_app_data(ssl), sess);
}

/* A digest of a session's ticket, to tell a renewed ticket from the old. */
static uint64_t
ticket_hash(const SSL_SESSION *s)
{
	const unsigned char	*t;
	size_t			 n, i;
	uint64_t		 h = 14695981039346656037ULL;	/* FNV-1a */

	if (s == NULL)
		return 0;
	SSL_SESSION_get0_ticket(s, &t, &n);
	for (i = 0; i < n; i++)
		h = (h ^ t[i]) * 1099511628211ULL;
	return h;
}

static SSL_CTX *
ctx_new(enum resume resume, int tls12)
{
	SSL_CTX	*ctx;

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		die("SSL_CTX_new failed");
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	if (tls12)
		SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
	if (resume) {
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT |
		    SSL_SESS_CACHE_NO_INTERNAL_STORE);
		SSL_CTX_sess_set_new_cb(ctx, new_session_cb);
	} else
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	return ctx;
}

static void
lat_add(struct run *r, double s)
{
	uint32_t	*n;
	double		 us = s * 1e6;

	if (r->nlat == r->latcap) {
		r->latcap = r->latcap ? r->latcap * 2 : 65536;
		if ((n = realloc(r->lat, r->latcap * sizeof *n)) == NULL)
			die("out of memory");
		r->lat = n;
	}
	r->lat[r->nlat++] = us > (double)UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

/* Whether a new request or open may begin. */
static int
run_may_start(struct run *r)
{
	if (r->stopping)
		return 0;
	if (r->o.idle > 0)
		return r->started < r->o.idle;
	return r->o.count == 0 || r->started < r->o.count;
}

static void
run_maybe_done(struct run *r)
{
	if (r->active == 0 && (r->stopping ||
	    (r->o.idle == 0 && !run_may_start(r))))
		event_base_loopbreak(r->base);
}

static void
client_close(struct client *c)
{
	if (c->ev != NULL)
		event_del(c->ev);
	if (c->ssl != NULL) {
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd != -1) {
		close(c->fd);
		c->fd = -1;
	}
	ERR_clear_error();
}

/* Called once all idle connections are open (or failed): hold them. */
static void
run_hold(struct run *r)
{
	struct timeval	tv = tv_of(r->o.seconds), hard = tv_of(r->o.seconds + 5);

	r->holding = 1;
	clock_gettime(CLOCK_MONOTONIC, &r->t1);
	printf("holding %ld\n", r->held);
	fflush(stdout);
	evtimer_add(r->stop_ev, &tv);
	evtimer_add(r->hard_ev, &hard);
}

/* Idle mode: begins opens until -c are in progress or all have begun. */
static void
run_fill(struct run *r)
{
	while (r->active < r->o.concurrency && run_may_start(r))
		client_start(&r->clients[r->started]);
	if (r->active == 0 && !r->holding && !r->stopping)
		run_hold(r);
}

/* One request or open has ended; starts the next if the run goes on. */
static void
client_done(struct client *c, int err)
{
	struct run	*r = c->run;
	struct timespec	 now;

	client_close(c);
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (err >= 0)
		r->errors[err]++;
	else {
		r->ok++;
		lat_add(r, ts_diff(&c->sched, &now));
	}
	r->active--;
	if (r->o.idle > 0) {
		run_fill(r);
		return;
	}
	r->t1 = now;
	if (run_may_start(r))
		client_begin(c);
	run_maybe_done(r);
}

/*
 * -R: requests begin at a steady rate, as readers arrive, not as fast as
 * the answers come back: each takes the next turn, waiting for it if it
 * is still ahead. One that begins late (all -c busy) counts its latency
 * from its turn, so a stalled server is not hidden by requests that
 * could not be sent meanwhile.
 */
static void
client_begin(struct client *c)
{
	struct run	*r = c->run;
	double		 at;

	if (r->o.rate <= 0) {
		client_start(c);
		return;
	}
	at = r->due;
	r->due += 1 / r->o.rate;
	c->sched = r->t0;
	c->sched.tv_sec += (time_t)at;
	c->sched.tv_nsec += (long)((at - (double)(time_t)at) * 1e9);
	if (c->sched.tv_nsec >= 1000000000L) {
		c->sched.tv_sec++;
		c->sched.tv_nsec -= 1000000000L;
	}
	client_turn(c);
}

/* Begins the request if its turn has come, or waits for the rest of it. */
static void
client_turn(struct client *c)
{
	struct timespec	 now;
	struct timeval	 tv;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (ts_diff(&now, &c->sched) <= 0) {
		client_start(c);
		return;
	}
	c->pacing = 1;
	tv = tv_of(ts_diff(&now, &c->sched));
	event_del(c->ev);
	event_assign(c->ev, c->run->base, -1, 0, client_cb, c);
	event_add(c->ev, &tv);
}

/* Waits for the socket to become ready, bounded by the request deadline. */
static void
client_wait(struct client *c, short what)
{
	struct timespec	 now;
	struct timeval	 tv;
	double		 left;

	clock_gettime(CLOCK_MONOTONIC, &now);
	left = c->run->o.timeout - ts_diff(&c->start, &now);
	event_del(c->ev);
	event_assign(c->ev, c->run->base, c->fd, what, client_cb, c);
	if (c->st == ST_IDLE)
		event_add(c->ev, NULL);
	else {
		tv = tv_of(left);
		event_add(c->ev, &tv);
	}
}

/*
 * A failed connect (EMFILE, ECONNREFUSED) is reported after a short pause:
 * no recursion through the next start, no busy loop against a dead port.
 */
static void
client_defer_fail(struct client *c)
{
	struct timeval	tv = { 0, 10000 };

	if (c->fd != -1) {
		close(c->fd);
		c->fd = -1;
	}
	c->fail = 1;
	event_del(c->ev);
	event_assign(c->ev, c->run->base, -1, 0, client_cb, c);
	event_add(c->ev, &tv);
}

/* -b: one source address for every connection, as one client would have. */
static int
client_bind(int fd, const char *addr)
{
	struct sockaddr_in	sin;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		return -1;
	return bind(fd, (struct sockaddr *)&sin, sizeof sin);
}

static void
client_start(struct client *c)
{
	struct run	*r = c->run;
	int		 one = 1;

	r->started++;
	r->active++;
	c->req = r->t.req;
	c->reqlen = r->t.reqlen;
	if (r->nreqs > 0) {
		c->req = r->reqs[r->nextreq];
		c->reqlen = r->reqlens[r->nextreq];
		r->nextreq = (r->nextreq + 1) % r->nreqs;
	}
	c->st = ST_CONNECT;
	c->sent = c->got = 0;
	c->offered = 0;
	memset(c->head, 0, sizeof c->head);
	clock_gettime(CLOCK_MONOTONIC, &c->start);
	if (r->o.rate <= 0)
		c->sched = c->start;
	c->fail = 0;
	c->fd = socket(r->t.ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (c->fd != -1 && !r->o.nagle)
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (c->fd != -1 && r->o.bind != NULL && client_bind(c->fd, r->o.bind) == -1) {
		close(c->fd);
		c->fd = -1;
	}
	if (c->fd == -1 || (connect(c->fd, (struct sockaddr *)&r->t.ss,
	    r->t.sslen) == -1 && errno != EINPROGRESS)) {
		client_defer_fail(c);
		return;
	}
	client_wait(c, EV_WRITE);
}

/*
 * Offers a private copy of the newest ticket: OpenSSL marks a connection's
 * session not resumable in places (SSL_free without close_notify sent, for
 * one), and the newest ticket is shared by every connection in flight.
 */
static void
client_offer(struct client *c)
{
	struct run	*r = c->run;
	SSL_SESSION	*s;

	if (r->o.resume == RESUME_ONCE) {
		if (r->npool == 0)
			return;
		s = r->pool[--r->npool];	/* ours now, and nobody else's */
	} else if (r->last_session == NULL ||
	    (s = SSL_SESSION_dup(r->last_session)) == NULL)
		return;
	if (SSL_SESSION_is_resumable(s) && SSL_set_session(c->ssl, s)) {
		r->offered++;
		c->offered = 1;
		c->offered_hash = ticket_hash(s);
	}
	SSL_SESSION_free(s);
}

static int
client_connected(struct client *c)
{
	struct run	*r = c->run;
	int		 err = 0;
	socklen_t	 len = sizeof err;

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1 ||
	    err != 0)
		return -1;
	if (r->t.proto == PROTO_GOPHER) {
		c->st = r->o.idle > 0 ? ST_IDLE : ST_WRITE;
		return 0;
	}
	if ((c->ssl = SSL_new(r->ctx)) == NULL || !SSL_set_fd(c->ssl, c->fd) ||
	    !SSL_set_tlsext_host_name(c->ssl, r->t.host))
		return -1;
	SSL_set_app_data(c->ssl, r);
	if (r->o.resume)
		client_offer(c);
	SSL_set_connect_state(c->ssl);
	c->st = ST_HANDSHAKE;
	return 0;
}

/* What an OpenSSL call that returned n <= 0 waits for: EV_READ, EV_WRITE or 0. */
static short
ssl_want(struct client *c, int n)
{
	switch (SSL_get_error(c->ssl, n)) {
	case SSL_ERROR_WANT_READ:
		return EV_READ;
	case SSL_ERROR_WANT_WRITE:
		return EV_WRITE;
	default:
		return 0;
	}
}

static void
client_handshaken(struct client *c)
{
	struct run	*r = c->run;

	r->handshakes++;
	if (SSL_session_reused(c->ssl)) {
		r->resumed++;
		/*
		 * A TLS 1.2 ticket renewed in a resumed handshake reaches no
		 * callback (OpenSSL calls it for new sessions only): take it.
		 */
		if (SSL_version(c->ssl) < TLS1_3_VERSION &&
		    ticket_hash(SSL_get0_session(c->ssl)) != c->offered_hash) {
			SSL_SESSION *s = SSL_get1_session(c->ssl);

			if (!session_keep(r, s))
				SSL_SESSION_free(s);
		}
	}
	else if (r->o.resume == RESUME_FIRST && c->offered &&
	    r->last_session != NULL) {
		/* the first ticket no longer resumes: keep the next one instead */
		SSL_SESSION_free(r->last_session);
		r->last_session = NULL;
	}
	if (SSL_version(c->ssl) == TLS1_3_VERSION)
		r->tls13++;
	c->st = r->o.idle > 0 ? ST_IDLE : ST_WRITE;
}

/* Writes the request line; returns what to wait for, 0 when done, -1 on error. */
static int
client_write(struct client *c)
{
	ssize_t		 n;
	int		 w;

	while (c->sent < c->reqlen) {
		if (c->ssl != NULL) {
			w = SSL_write(c->ssl, c->req + c->sent,
			    (int)(c->reqlen - c->sent));
			if (w <= 0)
				return ssl_want(c, w) ? ssl_want(c, w) : -1;
			c->sent += (size_t)w;
			continue;
		}
		n = send(c->fd, c->req + c->sent, c->reqlen - c->sent,
		    MSG_NOSIGNAL);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return EV_WRITE;
		if (n <= 0)
			return -1;
		c->sent += (size_t)n;
	}
	return 0;
}

static void
client_keep(struct client *c, const char *buf, size_t n)
{
	size_t	i;

	for (i = 0; i < n && c->got + i < sizeof c->head; i++)
		c->head[c->got + i] = buf[i];
	c->got += n;
	c->run->bytes += n;
}

/*
 * Reads until the server closes. Returns what to wait for, or -1 - kind
 * for an error, or -1 - ERR__MAX for a clean end.
 */
static int
client_read(struct client *c)
{
	char	buf[READ_CHUNK];
	ssize_t	n;
	int	w, e;

	for (;;) {
		if (c->ssl == NULL) {
			n = recv(c->fd, buf, sizeof buf, 0);
			if (n > 0) {
				client_keep(c, buf, (size_t)n);
				continue;
			}
			if (n == 0)
				return -1 - ERR__MAX;
			if (errno == EAGAIN || errno == EINTR)
				return EV_READ;
			return -1 - ERR_IO;
		}
		w = SSL_read(c->ssl, buf, sizeof buf);
		if (w > 0) {
			client_keep(c, buf, (size_t)w);
			continue;
		}
		switch ((e = SSL_get_error(c->ssl, w))) {
		case SSL_ERROR_ZERO_RETURN:
			/*
			 * A clean end. Not answering close_notify (the server
			 * has closed), but marking it done: SSL_free would
			 * otherwise mark the session, our newest ticket, as
			 * not resumable.
			 */
			SSL_set_shutdown(c->ssl, SSL_SENT_SHUTDOWN |
			    SSL_RECEIVED_SHUTDOWN);
			return -1 - ERR__MAX;
		case SSL_ERROR_WANT_READ:
			return EV_READ;
		case SSL_ERROR_WANT_WRITE:
			return EV_WRITE;
		case SSL_ERROR_SYSCALL:
			/* A reset is a read error; plain EOF lacks close_notify. */
			return errno == 0 || w == 0 ? -1 - ERR_SHORT : -1 - ERR_IO;
		default:
			/* OpenSSL 3 reports EOF without close_notify as an SSL error. */
			if (ERR_GET_REASON(ERR_peek_error()) ==
			    SSL_R_UNEXPECTED_EOF_WHILE_READING)
				return -1 - ERR_SHORT;
			return -1 - ERR_IO;
		}
	}
}

/* Judges a finished response: -1 when good, else the error kind. */
static int
client_verdict(struct client *c)
{
	struct run	*r = c->run;

	if (r->o.expect >= 0 && c->got < (size_t)r->o.expect)
		return ERR_SHORT;
	if (r->t.proto == PROTO_GOPHER)
		return c->got > 0 ? -1 : ERR_SHORT;
	if (c->got < 3)
		return ERR_SHORT;
	return memcmp(c->head, "20 ", 3) == 0 ? -1 : ERR_STATUS;
}

/* In idle mode, a held connection became readable: tickets, or a close. */
static void
client_idle_read(struct client *c)
{
	struct run	*r = c->run;
	int		 w;

	w = client_read(c);
	if (w == EV_READ || w == EV_WRITE) {
		client_wait(c, (short)w);
		return;
	}
	r->dropped++;
	r->held--;
	client_close(c);
}

static void
client_cb(evutil_socket_t fd, short what, void *arg)
{
	struct client	*c = arg;

	(void)fd;
	if (c->pacing) {
		c->pacing = 0;
		if (run_may_start(c->run))
			client_turn(c);
		run_maybe_done(c->run);
		return;
	}
	if (c->fail) {
		client_done(c, ERR_CONNECT);
		return;
	}
	if (what & EV_TIMEOUT) {
		client_done(c, ERR_TIMEOUT);
		return;
	}
	if (c->st == ST_IDLE) {
		client_idle_read(c);
		return;
	}
	if (c->st == ST_CONNECT && client_connected(c) == -1) {
		client_defer_fail(c);
		return;
	}
	client_step(c);
}

/* Idle mode: the connection is open; it stays, and the next open may begin. */
static void
client_hold(struct client *c)
{
	struct run	*r = c->run;
	struct timespec	 now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	r->held++;
	r->ok++;
	lat_add(r, ts_diff(&c->start, &now));	/* time to open */
	r->active--;
	client_wait(c, EV_READ);
	run_fill(r);
}

/* Moves a request on as far as the socket allows. */
static void
client_step(struct client *c)
{
	int	w;

	if (c->st == ST_HANDSHAKE) {
		w = SSL_do_handshake(c->ssl);
		if (w != 1) {
			if (ssl_want(c, w) == 0)
				client_done(c, ERR_HANDSHAKE);
			else
				client_wait(c, ssl_want(c, w));
			return;
		}
		client_handshaken(c);
	}
	if (c->st == ST_IDLE) {
		client_hold(c);
		return;
	}
	if (c->st == ST_WRITE) {
		if ((w = client_write(c)) == -1) {
			client_done(c, ERR_IO);
			return;
		}
		if (w != 0) {
			client_wait(c, (short)w);
			return;
		}
		c->st = ST_READ;
	}
	w = client_read(c);
	if (w == EV_READ || w == EV_WRITE)
		client_wait(c, (short)w);
	else if (w == -1 - ERR__MAX)
		client_done(c, client_verdict(c));
	else
		client_done(c, -1 - w);
}

static int
lat_cmp(const void *a, const void *b)
{
	uint32_t	x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of the sorted latencies, in microseconds. */
static uint32_t
lat_pct(const struct run *r, double q)
{
	size_t	i;

	if (r->nlat == 0)
		return 0;
	i = (size_t)(q * (double)r->nlat + 0.999999);
	if (i == 0)
		i = 1;
	if (i > r->nlat)
		i = r->nlat;
	return r->lat[i - 1];
}

/* Ends the run: the duration is over, a signal came, or the hold ended. */
static void
run_stop_cb(evutil_socket_t fd, short what, void *arg)
{
	struct run	*r = arg;
	int		 i;

	(void)fd;
	(void)what;
	r->stopping = 1;
	if (r->o.idle > 0) {
		for (i = 0; i < r->nclients; i++)
			client_close(&r->clients[i]);
		r->active = 0;
	}
	run_maybe_done(r);
}

/* The bound on everything: requests still in flight count as timeouts. */
static void
run_hard_cb(evutil_socket_t fd, short what, void *arg)
{
	struct run	*r = arg;
	int		 i;

	(void)fd;
	(void)what;
	for (i = 0; i < r->nclients; i++)
		if (r->clients[i].fd != -1) {
			if (r->o.idle == 0 || r->clients[i].st != ST_IDLE)
				r->errors[ERR_TIMEOUT]++;
			client_close(&r->clients[i]);
		}
	r->active = 0;
	r->stopping = 1;
	event_base_loopbreak(r->base);
}

/* A string inside JSON quotes: '"', '\\' and control bytes escaped. */
static void
json_string(const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
}

static void
run_report(struct run *r)
{
	double	 el = ts_diff(&r->t0, &r->t1);
	long	 nerr = 0;
	int	 i;

	for (i = 0; i < ERR__MAX; i++)
		nerr += r->errors[i];
	if (r->nlat > 0)
		qsort(r->lat, r->nlat, sizeof *r->lat, lat_cmp);
	if (!r->o.quiet) {
		printf("%s  %s %d  %.2f s\n", r->o.url,
		    r->o.idle > 0 ? "idle, opening" : "concurrency",
		    r->o.concurrency, el);
		printf("ok %ld  errors %ld (", r->ok, nerr);
		for (i = 0; i < ERR__MAX; i++)
			printf("%s%s %ld", i ? ", " : "", err_names[i],
			    r->errors[i]);
		printf(")\n");
		if (r->t.proto == PROTO_GEMINI)
			printf("handshakes %ld  offered a ticket %ld  resumed %ld"
			    "  TLS 1.3 %ld\n", r->handshakes, r->offered,
			    r->resumed, r->tls13);
		if (r->o.idle > 0)
			printf("held %ld  dropped by the server %ld\n",
			    r->held, r->dropped);
		else
			printf("%.1f req/s  %.0f bytes/response\n",
			    el > 0 ? (double)r->ok / el : 0.0,
			    r->ok ? (double)r->bytes / (double)r->ok : 0.0);
		printf("latency us: p50 %u  p90 %u  p99 %u  max %u\n",
		    lat_pct(r, .50), lat_pct(r, .90), lat_pct(r, .99),
		    lat_pct(r, 1));
	}
	printf("{\"url\":\"");
	json_string(r->o.url);
	printf("\",\"mode\":\"%s\",\"concurrency\":%d,"
	    "\"seconds\":%.3f,\"requests\":%ld,\"ok\":%ld,\"errors\":%ld,",
	    r->o.idle > 0 ? "idle" : "request", r->o.concurrency,
	    el, r->ok + nerr, r->ok, nerr);
	for (i = 0; i < ERR__MAX; i++)
		printf("\"err_%s\":%ld,", err_names[i], r->errors[i]);
	printf("\"handshakes\":%ld,\"offered\":%ld,\"resumed\":%ld,"
	    "\"tls13\":%ld,"
	    "\"held\":%ld,\"dropped\":%ld,\"bytes\":%llu,"
	    "\"bytes_per_response\":%.1f,\"rps\":%.1f,"
	    "\"p50_us\":%u,\"p90_us\":%u,\"p99_us\":%u,\"max_us\":%u}\n",
	    r->handshakes, r->offered, r->resumed, r->tls13, r->held,
	    r->dropped, r->bytes,
	    r->ok && r->o.idle == 0 ? (double)r->bytes / (double)r->ok : 0.0,
	    el > 0 && r->o.idle == 0 ? (double)r->ok / el : 0.0,
	    lat_pct(r, .50), lat_pct(r, .90), lat_pct(r, .99), lat_pct(r, 1));
	fflush(stdout);
}

static void
opts_parse(struct opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "nagle", no_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 }
	};
	int	ch, dset = 0;

	memset(o, 0, sizeof *o);
	o->concurrency = 1;
	o->seconds = 5;
	o->timeout = 10;
	o->expect = -1;
	while ((ch = getopt_long(argc, argv, "2a:b:c:d:e:fF:i:n:NqR:rt:u", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case '2':
			o->tls12 = 1;
			break;
		case 'f':
			o->resume = RESUME_FIRST;
			break;
		case 'N':
			o->nagle = 1;
			break;
		case 'u':
			o->resume = RESUME_ONCE;
			break;
		case 'a':
			o->addr = optarg;
			break;
		case 'b':
			o->bind = optarg;
			break;
		case 'c':
			o->concurrency = (int)parse_num(optarg, 1, 100000,
			    "concurrency");
			break;
		case 'd':
			o->seconds = parse_num(optarg, 0.01, 86400, "duration");
			dset = 1;
			break;
		case 'e':
			o->expect = (long)parse_num(optarg, 0, 1e12, "size");
			break;
		case 'F':
			o->list = optarg;
			break;
		case 'i':
			o->idle = (long)parse_num(optarg, 1, 1000000, "idle count");
			break;
		case 'n':
			o->count = (long)parse_num(optarg, 1, 1e12, "count");
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 'r':
			o->resume = RESUME_NEWEST;
			break;
		case 'R':
			o->rate = parse_num(optarg, 0.1, 1e6, "rate");
			break;
		case 't':
			o->timeout = parse_num(optarg, 0.01, 3600, "timeout");
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 1)
		usage();
	o->url = argv[optind];
	/* With only -n, the count bounds the run; the timeout still bounds each. */
	if (o->count > 0 && !dset)
		o->seconds = 86400;
	if (strpbrk(o->url, "\"\\") != NULL || strlen(o->url) > 1024)
		die("URL too long or has \" or \\");
}

static struct event *
timer_new(struct run *r, event_callback_fn cb, double s)
{
	struct event	*ev;
	struct timeval	 tv = tv_of(s);

	if ((ev = evtimer_new(r->base, cb, r)) == NULL)
		die("evtimer_new failed");
	if (s > 0)
		evtimer_add(ev, &tv);
	return ev;
}

int
main(int argc, char **argv)
{
	struct run	 r;
	struct event_config *cfg;
	int		 i;

	memset(&r, 0, sizeof r);
	opts_parse(&r.o, argc, argv);
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	target_parse(&r.t, r.o.url);
	target_resolve(&r.t, r.o.addr);
	if (r.o.list != NULL)
		target_list(&r, r.o.list);
	if (r.t.proto == PROTO_GEMINI)
		r.ctx = ctx_new(r.o.resume, r.o.tls12);
	if ((cfg = event_config_new()) == NULL)
		die("event_config_new failed");
	/* -R: turns to the microsecond, timed from now rather than a cache. */
	if (r.o.rate > 0)
		event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER |
		    EVENT_BASE_FLAG_NO_CACHE_TIME);
	if ((r.base = event_base_new_with_config(cfg)) == NULL)
		die("event_base_new failed");
	event_config_free(cfg);

	r.nclients = r.o.idle > 0 ? (int)r.o.idle : r.o.concurrency;
	if ((r.clients = calloc((size_t)r.nclients, sizeof *r.clients)) == NULL)
		die("out of memory");
	for (i = 0; i < r.nclients; i++) {
		r.clients[i].run = &r;
		r.clients[i].fd = -1;
		r.clients[i].ev = event_new(r.base, -1, 0, client_cb, NULL);
		if (r.clients[i].ev == NULL)
			die("event_new failed");
	}
	/* Idle mode: the hold timer starts once all are open; opens get 300 s. */
	r.stop_ev = timer_new(&r, run_stop_cb, r.o.idle > 0 ? 0 : r.o.seconds);
	r.hard_ev = timer_new(&r, run_hard_cb, r.o.idle > 0 ? 300 :
	    r.o.seconds + r.o.timeout + 2);
	r.sig_int = evsignal_new(r.base, SIGINT, run_stop_cb, &r);
	r.sig_term = evsignal_new(r.base, SIGTERM, run_stop_cb, &r);
	evsignal_add(r.sig_int, NULL);
	evsignal_add(r.sig_term, NULL);

	clock_gettime(CLOCK_MONOTONIC, &r.t0);
	r.t1 = r.t0;
	if (r.o.idle > 0)
		run_fill(&r);
	else
		for (i = 0; i < r.nclients && run_may_start(&r); i++)
			client_begin(&r.clients[i]);
	if (r.active > 0 || r.holding || r.o.rate > 0)
		event_base_dispatch(r.base);
	run_report(&r);

	for (i = 0; i < r.nclients; i++) {
		client_close(&r.clients[i]);
		event_free(r.clients[i].ev);
	}
	free(r.clients);
	free(r.lat);
	while (r.nreqs > 0)
		free(r.reqs[--r.nreqs]);
	free(r.reqs);
	free(r.reqlens);
	event_free(r.stop_ev);
	event_free(r.hard_ev);
	event_free(r.sig_int);
	event_free(r.sig_term);
	event_base_free(r.base);
	if (r.last_session != NULL)
		SSL_SESSION_free(r.last_session);
	while (r.npool > 0)
		SSL_SESSION_free(r.pool[--r.npool]);
	SSL_CTX_free(r.ctx);
	return 0;
}
