/*
 * One client connection, for both front ends. It drives the socket and
 * OpenSSL itself rather than through bufferevents: OpenSSL reads straight
 * from the socket (read-ahead on) and writes into a memory BIO that this
 * file flushes, so a Gemini request costs two writes, the server's
 * handshake flight and then the session ticket, answer and close_notify
 * together. Pre-rendered answers go out by reference, never copied for
 * Gopher. Each connection has one event, a deadline for its request, a
 * write timeout, and one close path that logs and frees.
 */
#include <sys/mman.h>
#include <sys/queue.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/event_struct.h>
#include <openssl/err.h>

#include "blob.h"
#include "compat.h"
#include "conn.h"
#include "log.h"
#include "proxy.h"
#include "ratelimit.h"
#include "tls.h"
#include "url.h"

#define LINE_MAX_BYTES	(URL_MAX + 2)	/* request and CRLF */
#define STREAM_CHUNK	(16 * 1024)	/* one TLS record */
#define PROXY_PEEK	4096		/* longest PROXY header taken */
#define FLUSH_AT	(64 * 1024)	/* TLS output gathered before a write */

enum conn_state {
	CONN_PROXY,		/* reading a PROXY protocol header */
	CONN_HANDSHAKE,		/* TLS handshake */
	CONN_REQUEST,		/* reading the request line */
	CONN_BODY,		/* reading a body (Titan) into body_fn */
	CONN_RESPOND,		/* writing the answer */
	CONN_CLOSING,		/* flushing the last bytes, then close */
};

struct segment {
	const char	*data;
	size_t		 len;
	char		*owned;		/* freed with the connection */
	struct blob	*blob;		/* released with the connection */
};

struct conn {
	TAILQ_ENTRY(conn)	 entry;
	int			 fd;
	struct event		 ev;
	SSL			*ssl;
	BIO			*wbio;		/* TLS output not yet on the socket */
	size_t			 wsent;		/* bytes of wbio already written */
	const struct frontend	*fe;
	enum conn_state		 state;
	struct timespec		 start;
	char			*in;		/* a request line still incomplete */
	size_t			 inlen;
	size_t			 inused;	/* the line and its LF; the rest is body */
	conn_body_fn		 body;		/* CONN_BODY: where it goes */
	void			*body_arg;
	off_t			 body_left;
	struct segment		 seg[2];
	int			 nseg;
	int			 file;		/* streamed file, or -1 */
	off_t			 left;
	size_t			 queued;	/* answer bytes handed on */
	int			 port;		/* see conn_port() */
	char			*req;		/* the request, for the log */
	size_t			 reqlen;
	char			 status[8];
	char			 client[46];
	struct rl_key		 rl;		/* the client, as rate limits count it */
	unsigned		 rl_wait;	/* seconds, when limited */
	enum rl_verdict		 rlv;
	const struct conn_source *src;		/* see conn_send_source() */
	void			*src_arg;
	char			*pend;		/* pushed by the source, not yet sent */
	size_t			 pendoff, pendlen, pendcap;
	int			 src_waiting;	/* asked for more, none pushed yet */
	int			 src_ended;
};

static TAILQ_HEAD(, conn)	 conn_all = TAILQ_HEAD_INITIALIZER(conn_all);
static struct event_base	*conn_base;
static struct conn_limits	 conn_lim = { 10, 30, 1024 };
static int			 conn_n;
static void			(*conn_idle_fn)(void);

/*
 * The cap holds across workers: each worker counts its connections in its
 * own slot of a shared page, and a new connection is refused when the sum
 * reaches the cap. A restarted worker's slot starts again at zero.
 */
static _Atomic int		*conn_slots;
static int			 conn_nslots = 1;
static int			 conn_slot;
static _Atomic int		 conn_local_slot;

static void	conn_io(evutil_socket_t, short, void *);
static void	conn_close(struct conn *, const char *);
static int	conn_source_fill(struct conn *);
static void	conn_source_wait(struct conn *);
static int	conn_source_gone(struct conn *);
static void	conn_source_kick(struct conn *);

int
conn_shared(int workers)
{
	void	*p;

	p = mmap(NULL, workers * sizeof *conn_slots, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	conn_slots = p;
	conn_nslots = workers;
	return 0;
}

void
conn_worker(int slot)
{
	conn_slot = slot;
	if (conn_slots != NULL)
		atomic_store(&conn_slots[slot], 0);
}

static _Atomic int *
conn_my_slot(void)
{
	return conn_slots != NULL ? &conn_slots[conn_slot] : &conn_local_slot;
}

void
conn_setup(struct event_base *base, const struct conn_limits *lim)
{
	conn_base = base;
	conn_lim = *lim;
}

int
conn_count(void)
{
	return conn_n;
}

int
conn_full(void)
{
	int	i, total = 0;

	if (conn_slots == NULL)
		return conn_n >= conn_lim.max_conns;
	for (i = 0; i < conn_nslots; i++)
		total += atomic_load_explicit(&conn_slots[i], memory_order_relaxed);
	return total >= conn_lim.max_conns;
}

void
conn_on_idle(void (*fn)(void))
{
	conn_idle_fn = fn;
}

/* At the end of a stop's grace: every connection left is closed and logged. */
void
conn_close_all(const char *why)
{
	struct conn	*c;

	conn_idle_fn = NULL;
	while ((c = TAILQ_FIRST(&conn_all)) != NULL)
		conn_close(c, why);
}

/* Reads and drops what the client still sent, so close() sends FIN, not RST. */
static void
conn_drain_socket(int fd)
{
	char	scratch[2048];
	int	i;

	for (i = 0; i < 4; i++)
		if (recv(fd, scratch, sizeof scratch, MSG_DONTWAIT) <= 0)
			break;
}

/* The first hex digits of a client certificate's fingerprint, or "". */
static void
conn_log_cert(const struct conn *c, char *out, size_t outsz)
{
	struct peer	p;

	out[0] = '\0';
	if (c->ssl == NULL || SSL_get0_peer_certificate(c->ssl) == NULL)
		return;
	conn_peer(c, &p);
	if (p.present)
		strlcpy(out, p.hash, outsz);
}

/* The one close path: log, free, count. */
static void
conn_close(struct conn *c, const char *why)
{
	char	cert[LOG_CERT_LEN + 1];
	int	i;

	size_t	unsent = c->left + c->pendlen - c->pendoff;

	for (i = 0; i < c->nseg; i++)
		unsent += c->seg[i].len;
	if (c->body != NULL)
		c->body(c, c->body_arg, BODY_ABORT, NULL, 0);
	c->src_ended = 1;
	if (c->src != NULL)
		c->src->release(c->src_arg);
	if (c->status[0] == '\0')
		strlcpy(c->status, why, sizeof c->status);
	conn_log_cert(c, cert, sizeof cert);
	log_request(c->client, c->fe->name, c->req, c->reqlen, c->status,
	    c->queued - unsent, &c->start, cert);
	TAILQ_REMOVE(&conn_all, c, entry);
	event_del(&c->ev);
	conn_drain_socket(c->fd);
	close(c->fd);
	if (c->ssl != NULL)
		SSL_free(c->ssl);	/* frees wbio too */
	ERR_clear_error();
	if (c->file != -1)
		close(c->file);
	for (i = 0; i < c->nseg; i++) {
		free(c->seg[i].owned);
		blob_unref(c->seg[i].blob);
	}
	free(c->in);
	free(c->req);
	free(c->pend);
	free(c);
	atomic_fetch_sub_explicit(conn_my_slot(), 1, memory_order_relaxed);
	if (--conn_n == 0 && conn_idle_fn != NULL)
		conn_idle_fn();
}

/* Waits for the socket; the request must be complete by its deadline. */
static void
conn_wait(struct conn *c, short what)
{
	struct timeval	tv = { conn_lim.write_timeout, 0 };
	struct timespec	now;
	long		ms;

	if (c->state <= CONN_BODY) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = conn_lim.read_timeout * 1000L -
		    ((now.tv_sec - c->start.tv_sec) * 1000L +
		    (now.tv_nsec - c->start.tv_nsec) / 1000000L);
		if (ms < 1)
			ms = 1;
		tv.tv_sec = ms / 1000;
		tv.tv_usec = (ms % 1000) * 1000;
	}
	/* Persistent: waiting again for the same thing costs no epoll_ctl. */
	what |= EV_PERSIST;
	if (event_get_events(&c->ev) != what) {
		event_del(&c->ev);
		event_assign(&c->ev, conn_base, c->fd, what, conn_io, c);
	}
	event_add(&c->ev, &tv);
}

/* Writes pending TLS output: 1 all written, 0 would block, -1 error. */
static int
conn_flush_tls(struct conn *c)
{
	char	*p;
	long	 n = BIO_get_mem_data(c->wbio, &p);
	ssize_t	 w;

	while ((size_t)n > c->wsent) {
		w = send(c->fd, p + c->wsent, n - c->wsent, MSG_NOSIGNAL);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : -1;
		}
		c->wsent += w;
	}
	c->wsent = 0;
	/*
	 * A reset keeps the buffer the handshake flight grew to. A connection
	 * about to wait for its request gets a fresh, empty one instead (not
	 * when nothing was written: a handshake still waiting for its
	 * ClientHello flushes an empty buffer).
	 */
	if (n > 0 && c->state != CONN_RESPOND && c->state != CONN_CLOSING) {
		BIO	*fresh = BIO_new(BIO_s_mem());

		if (fresh != NULL) {
			SSL_set0_wbio(c->ssl, fresh);	/* frees the old one */
			c->wbio = fresh;
			return 1;
		}
	}
	(void)BIO_reset(c->wbio);
	return 1;
}

/*
 * Acknowledges now what was read, before waiting for the rest of the request.
 * A client with Nagle's algorithm on (Python's ssl, Lagrange) holds a small
 * write until its last one is acknowledged: after its TLS Finished (1.3, and
 * a 1.2 resumption) the server has nothing to send, and Linux's delayed ACK
 * would keep the request waiting 40 ms. Not sticky: the kernel goes back
 * to delaying ACKs by itself.
 */
static void
conn_ack_now(struct conn *c)
{
#ifdef TCP_QUICKACK
	int	one = 1;

	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
#else
	(void)c;
#endif
}

static int
conn_tls_error(struct conn *c, int r)
{
	int	e = SSL_get_error(c->ssl, r);

	if (e == SSL_ERROR_WANT_READ)
		return 0;
	ERR_clear_error();
	return -1;
}

/* Bytes of the request so far, in c->in; returns 1 when the line is whole. */
static int
conn_take(struct conn *c, const char *p, size_t n)
{
	if (c->in == NULL && (c->in = malloc(LINE_MAX_BYTES + 1)) == NULL)
		return -1;
	if (n > LINE_MAX_BYTES - c->inlen)
		n = LINE_MAX_BYTES - c->inlen;
	memcpy(c->in + c->inlen, p, n);
	c->inlen += n;
	return memchr(c->in, '\n', c->inlen) != NULL || c->inlen == LINE_MAX_BYTES;
}

/* Hands a whole line, or an overlong one, to the front end. */
static void
conn_dispatch(struct conn *c)
{
	char	*nl = memchr(c->in, '\n', c->inlen);
	size_t	 n;
	int	 crlf;

	c->state = CONN_RESPOND;
	if (c->rlv == RL_LIMITED) {
		n = nl != NULL ? (size_t)(nl - c->in) : c->inlen;
		if (n > 0 && c->in[n - 1] == '\r')
			n--;
		conn_set_request(c, c->in, n);
		c->fe->limited(c, c->rl_wait);	/* neither parsed nor routed */
		return;
	}
	if (nl == NULL) {
		c->fe->too_long(c);
		return;
	}
	n = nl - c->in;
	c->inused = n + 1;
	crlf = n > 0 && c->in[n - 1] == '\r';
	if (crlf)
		n--;
	c->in[n] = '\0';
	c->fe->request(c, c->in, n, crlf);
}

/* Reads what is there of the request: 1 dispatched, 0 wait, -1 close. */
static int
conn_read(struct conn *c)
{
	char	buf[LINE_MAX_BYTES];
	ssize_t	r;
	int	whole;

	for (;;) {
		/* No more than fits: what follows the line may be a body. */
		if (c->ssl != NULL) {
			r = SSL_read(c->ssl, buf, sizeof buf - c->inlen);
			if (r <= 0)
				return conn_tls_error(c, r);
		} else {
			r = recv(c->fd, buf, sizeof buf - c->inlen, 0);
			if (r == 0)
				return -1;
			if (r == -1)
				return errno == EAGAIN || errno == EINTR ? 0 : -1;
		}
		if ((whole = conn_take(c, buf, r)) == -1)
			return -1;
		if (whole) {
			conn_dispatch(c);
			return 1;
		}
	}
}

/* Up to n bytes of body: > 0 read, 0 nothing yet, -1 end of stream or error. */
static ssize_t
conn_recv(struct conn *c, char *buf, size_t n)
{
	ssize_t	r;

	if (c->inused < c->inlen) {	/* read with the request line */
		r = c->inlen - c->inused < n ? c->inlen - c->inused : n;
		memcpy(buf, c->in + c->inused, r);
		c->inused += r;
		return r;
	}
	if (c->ssl != NULL) {
		if ((r = SSL_read(c->ssl, buf, n)) > 0)
			return r;
		return conn_tls_error(c, r);
	}
	if ((r = recv(c->fd, buf, n, 0)) == -1)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	return r == 0 ? -1 : r;
}

/* Ends the body with ev: the front end answers (conn_finish); c may be gone. */
static void
conn_body_end(struct conn *c, enum conn_body_event ev)
{
	conn_body_fn	fn = c->body;

	c->body = NULL;
	fn(c, c->body_arg, ev, NULL, 0);
}

/*
 * Hands the body on as it comes; a byte past its size makes it too long.
 * 1 ended (answered), 0 wait.
 */
static int
conn_read_body(struct conn *c)
{
	char	buf[STREAM_CHUNK];
	ssize_t	r;

	for (;;) {
		r = conn_recv(c, buf, c->body_left < (off_t)sizeof buf ?
		    (size_t)c->body_left + 1 : sizeof buf);
		if (r == 0 && c->body_left > 0)
			return 0;
		if (r == 0) {
			conn_body_end(c, BODY_END);
			return 1;
		}
		if (r == -1) {
			conn_body_end(c, c->body_left == 0 ? BODY_END : BODY_SHORT);
			return 1;
		}
		if (r > c->body_left) {
			conn_body_end(c, BODY_LONG);
			return 1;
		}
		c->body_left -= r;
		c->body(c, c->body_arg, BODY_DATA, buf, r);
	}
}

/* Plain TCP: writes segments by reference, then the file with sendfile. */
static int
conn_write_plain(struct conn *c)
{
	ssize_t	w;
	int	i;

	for (i = 0; i < c->nseg; i++) {
		while (c->seg[i].len > 0) {
			w = send(c->fd, c->seg[i].data, c->seg[i].len, MSG_NOSIGNAL);
			if (w == -1)
				return errno == EAGAIN || errno == EINTR ? 0 : -1;
			c->seg[i].data += w;
			c->seg[i].len -= w;
		}
	}
	while (c->file != -1 && c->left > 0) {
		w = sendfile(c->fd, c->file, NULL, c->left);
		if (w == -1)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		if (w == 0)
			break;		/* the file shrank under us */
		c->left -= w;
	}
	return conn_source_fill(c);
}

/* TLS: encrypts the next piece into wbio once the last one is on its way. */
static int
conn_fill_tls(struct conn *c)
{
	char	buf[STREAM_CHUNK];
	ssize_t	r;
	int	i;

	for (i = 0; i < c->nseg; i++)
		if (c->seg[i].len > 0) {	/* a bounded piece at a time */
			size_t n = c->seg[i].len < 4 * STREAM_CHUNK ?
			    c->seg[i].len : 4 * STREAM_CHUNK;

			if (SSL_write(c->ssl, c->seg[i].data, n) <= 0)
				return -1;
			c->seg[i].data += n;
			c->seg[i].len -= n;
			return 0;
		}
	if (c->file == -1 || c->left == 0)
		return conn_source_fill(c);
	do {
		r = read(c->file, buf, c->left < STREAM_CHUNK ? c->left : STREAM_CHUNK);
	} while (r == -1 && errno == EINTR);
	if (r <= 0)
		return r == 0 ? 1 : -1;	/* 0: the file shrank under us */
	c->left -= r;
	if (SSL_write(c->ssl, buf, r) <= 0)
		return -1;
	return c->left == 0 ? 1 : 0;
}

/*
 * Moves the answer on: 1 all out, 0 wait for the socket, -1 error.
 * TLS records gather in wbio until FLUSH_AT bytes or the end, so a small
 * answer leaves with its session ticket and close_notify in one write.
 */
static int
conn_respond(struct conn *c)
{
	int	r;

	if (c->ssl == NULL)
		return conn_write_plain(c);
	for (;;) {
		if (c->state != CONN_CLOSING && BIO_pending(c->wbio) < FLUSH_AT) {
			if ((r = conn_fill_tls(c)) == -1)
				return -1;
			if (r == 2)	/* what there is goes out; then the source */
				return (r = conn_flush_tls(c)) == 1 ? 2 : r;
			if (r == 1) {
				SSL_shutdown(c->ssl);	/* close_notify, then close */
				c->state = CONN_CLOSING;
			}
			continue;
		}
		if ((r = conn_flush_tls(c)) != 1)
			return r;
		if (c->state == CONN_CLOSING)
			return 1;
	}
}

/*
 * The PROXY header (v1 or v2) before anything else: the client's real
 * address goes to the log, and the port it connected to is the one the
 * Gemini URL must name. 1 done, 0 wait, -1 not a valid header.
 */
static int
conn_proxy(struct conn *c)
{
	unsigned char		 buf[PROXY_PEEK];
	struct proxy_info	 pi;
	const char		*errstr;
	size_t			 used;
	ssize_t			 r;
	int			 p;

	r = recv(c->fd, buf, sizeof buf, MSG_PEEK);
	if (r == -1)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (r == 0)
		return -1;
	if ((p = proxy_parse(buf, r, &pi, &used, &errstr)) <= 0)
		return p == 0 && r < (ssize_t)sizeof buf ? 0 : -1;
	if (recv(c->fd, buf, used, 0) != (ssize_t)used)
		return -1;
	if (!pi.local) {
		log_addr((struct sockaddr *)&pi.src, c->client, sizeof c->client);
		if (pi.dst.ss_family == AF_INET)
			c->port = ntohs(((struct sockaddr_in *)&pi.dst)->sin_port);
		else if (pi.dst.ss_family == AF_INET6)
			c->port = ntohs(((struct sockaddr_in6 *)&pi.dst)->sin6_port);
		c->rlv = ratelimit_arrive((struct sockaddr *)&pi.src, c->fe->site,
		    &c->rl, &c->rl_wait);
	}
	c->state = c->ssl != NULL ? CONN_HANDSHAKE : CONN_REQUEST;
	return 1;
}

static void
conn_step(struct conn *c)
{
	int	r;

	if (c->state == CONN_PROXY) {
		if ((r = conn_proxy(c)) == 0) {
			conn_wait(c, EV_READ);
			return;
		}
		if (r == -1) {
			if (c->ssl != NULL) {
				conn_close(c, "proxy");
				return;
			}
			c->state = CONN_RESPOND;
			conn_set_request(c, "PROXY", 5);
			c->fe->too_long(c);	/* the Gopher bad-request item */
			return;
		}
		if (c->rlv == RL_DROP) {
			conn_close(c, "limited");
			return;
		}
	}
	if (c->state == CONN_HANDSHAKE) {
		if ((r = SSL_do_handshake(c->ssl)) != 1) {
			int e = SSL_get_error(c->ssl, r);
			int quiet = (e == SSL_ERROR_SYSCALL ||
			    e == SSL_ERROR_ZERO_RETURN) && ERR_peek_error() == 0;

			if (conn_tls_error(c, r) == -1) {
				(void)conn_flush_tls(c);	/* the alert, if it fits */
				conn_close(c, quiet ? "eof" : "error");
				return;
			}
			if (conn_flush_tls(c) == -1) {
				conn_close(c, "error");
				return;
			}
			conn_wait(c, BIO_pending(c->wbio) ? EV_WRITE : EV_READ);
			return;
		}
		c->state = CONN_REQUEST;
		if (c->rlv == RL_LATER)		/* SNI has chosen the host */
			c->rlv = ratelimit_handshaken(&c->rl, c->ssl, &c->rl_wait);
	}
	if (c->state == CONN_REQUEST) {
		if ((r = conn_read(c)) == -1) {
			conn_close(c, "eof");
			return;
		}
		if (r == 0) {
			/*
			 * TLS 1.2 ends the handshake with the server's Finished,
			 * which the client needs before it sends the request.
			 * TLS 1.3 leaves nothing: its ticket is made with the
			 * answer (conn_finish).
			 */
			if (c->ssl != NULL && SSL_version(c->ssl) < TLS1_3_VERSION &&
			    conn_flush_tls(c) == -1) {
				conn_close(c, "error");
				return;
			}
			conn_ack_now(c);
			conn_wait(c, c->ssl && BIO_pending(c->wbio) &&
			    SSL_version(c->ssl) < TLS1_3_VERSION ? EV_WRITE : EV_READ);
			return;
		}
		return;		/* the front end called conn_finish or conn_body */
	}
	if (c->state == CONN_BODY) {
		if (conn_read_body(c) == 0)
			conn_wait(c, EV_READ);
		return;
	}
	if ((r = conn_respond(c)) == -1)
		conn_close(c, "error");
	else if (r == 1)
		conn_close(c, "ok");
	else if (r == 2)
		conn_source_wait(c);
	else
		conn_wait(c, EV_WRITE);
}

static void
conn_io(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;

	(void)fd;
	if ((what & EV_TIMEOUT) && c->state == CONN_BODY) {
		conn_body_end(c, BODY_SHORT);	/* the deadline: say so */
		return;
	}
	if (what & EV_TIMEOUT) {
		conn_close(c, "timeout");
		return;
	}
	if (c->src_waiting) {		/* readable: the client went away? */
		if (conn_source_gone(c))
			conn_close(c, "gone");
		return;
	}
	conn_step(c);
}

/* Over the limit and told so often enough: logged and closed, nothing more. */
static void
conn_turn_away(int fd, const struct sockaddr *sa, const struct frontend *fe)
{
	struct timespec	start;
	char		client[46];

	clock_gettime(CLOCK_MONOTONIC, &start);
	close(fd);
	log_addr(sa, client, sizeof client);
	log_request(client, fe->name, NULL, 0, "limited", 0, &start, NULL);
}

void
conn_accept(int fd, const struct sockaddr *sa, socklen_t slen, SSL_CTX *ctx,
    const struct frontend *fe)
{
	struct conn	*c;
	struct rl_key	 rl;
	unsigned	 wait = 0;
	enum rl_verdict	 v = RL_PASS;

	(void)slen;
	if (!fe->proxy &&
	    (v = ratelimit_arrive(sa, fe->site, &rl, &wait)) == RL_DROP) {
		conn_turn_away(fd, sa, fe);
		return;
	}
	if ((c = calloc(1, sizeof *c)) == NULL) {
		close(fd);
		return;
	}
	if (v != RL_PASS) {
		c->rl = rl;
		c->rl_wait = wait;
		c->rlv = v;
	}
	c->fd = fd;
	c->file = -1;
	c->fe = fe;
	c->port = fe->port;
	c->state = fe->proxy ? CONN_PROXY : ctx != NULL ? CONN_HANDSHAKE :
	    CONN_REQUEST;
	clock_gettime(CLOCK_MONOTONIC, &c->start);
	log_addr(sa, c->client, sizeof c->client);
	if (ctx != NULL) {
		BIO *rbio = BIO_new_socket(fd, BIO_NOCLOSE);

		c->wbio = BIO_new(BIO_s_mem());
		if ((c->ssl = SSL_new(ctx)) == NULL || rbio == NULL ||
		    c->wbio == NULL) {
			BIO_free(rbio);
			BIO_free(c->wbio);
			SSL_free(c->ssl);
			ERR_clear_error();
			close(fd);
			free(c);
			return;
		}
		SSL_set_bio(c->ssl, rbio, c->wbio);
		SSL_set_accept_state(c->ssl);
	}
	conn_n++;
	atomic_fetch_add_explicit(conn_my_slot(), 1, memory_order_relaxed);
	TAILQ_INSERT_TAIL(&conn_all, c, entry);
	event_assign(&c->ev, conn_base, fd, EV_READ | EV_PERSIST, conn_io, c);
	conn_wait(c, EV_READ);
}

void *
conn_frontend_arg(const struct conn *c)
{
	return c->fe->arg;
}

const char *
conn_sni(const struct conn *c)
{
	return c->ssl ? SSL_get_servername(c->ssl, TLSEXT_NAMETYPE_host_name) : NULL;
}

void
conn_peer(const struct conn *c, struct peer *p)
{
	if (peer_from_ssl(c->ssl, p) == -1)
		memset(p, 0, sizeof *p);
}

int
conn_port(const struct conn *c)
{
	return c->port;
}

void
conn_set_status(struct conn *c, const char *status)
{
	strlcpy(c->status, status, sizeof c->status);
}

void
conn_set_request(struct conn *c, const char *req, size_t len)
{
	free(c->req);
	if ((c->req = malloc(len + 1)) == NULL) {
		c->reqlen = 0;
		return;
	}
	memcpy(c->req, req, len);
	c->req[len] = '\0';
	c->reqlen = len;
}

void
conn_send_ref(struct conn *c, const void *p, size_t len)
{
	if (c->nseg == 2)
		return;
	c->seg[c->nseg].data = p;
	c->seg[c->nseg++].len = len;
	c->queued += len;
}

void
conn_send_copy(struct conn *c, const void *p, size_t len)
{
	char	*copy;

	if (c->nseg == 2 || (copy = malloc(len)) == NULL)
		return;
	memcpy(copy, p, len);
	c->seg[c->nseg].owned = copy;
	conn_send_ref(c, copy, len);
}

/* Sends part of a cached answer; takes over the caller's reference. */
void
conn_send_blob(struct conn *c, struct blob *b, const void *p, size_t len)
{
	if (c->nseg == 2) {
		blob_unref(b);
		return;
	}
	c->seg[c->nseg].blob = b;
	conn_send_ref(c, p, len);
}

void
conn_send_file(struct conn *c, int fd, off_t size)
{
	c->file = fd;
	c->left = size;
	c->queued += size;
}

void
conn_body(struct conn *c, off_t size, conn_body_fn fn, void *arg)
{
	c->state = CONN_BODY;
	c->body = fn;
	c->body_arg = arg;
	c->body_left = size;
	conn_step(c);
}

/* The answer is queued: send it from the state machine. */
void
conn_finish(struct conn *c)
{
	c->state = CONN_RESPOND;
	free(c->in);
	c->in = NULL;
	if (c->ssl != NULL)
		tls_queue_ticket(c->ssl);
	conn_step(c);
}

/*
 * A source's bytes: 1 none left and the source ended (or none attached),
 * 2 none left yet, 0 some sent (TLS: one piece encrypted), -1 error.
 */
static int
conn_source_fill(struct conn *c)
{
	size_t	n = c->pendlen - c->pendoff;
	ssize_t	w;

	if (c->src == NULL)
		return 1;
	if (n == 0)
		return c->src_ended ? 1 : 2;
	if (c->ssl != NULL) {
		if (n > 4 * STREAM_CHUNK)
			n = 4 * STREAM_CHUNK;
		if (SSL_write(c->ssl, c->pend + c->pendoff, n) <= 0)
			return -1;
		c->pendoff += n;
		return 0;
	}
	while (c->pendoff < c->pendlen) {
		w = send(c->fd, c->pend + c->pendoff, c->pendlen - c->pendoff,
		    MSG_NOSIGNAL);
		if (w == -1)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		c->pendoff += w;
	}
	return c->src_ended ? 1 : 2;
}

/* Everything pushed is out: ask for more, watching for the client leaving. */
static void
conn_source_wait(struct conn *c)
{
	c->pendoff = c->pendlen = 0;
	if (c->pendcap > 4 * STREAM_CHUNK) {	/* a burst does not stay */
		free(c->pend);
		c->pend = NULL;
		c->pendcap = 0;
	}
	if (event_get_events(&c->ev) != (EV_READ | EV_PERSIST)) {
		event_del(&c->ev);
		event_assign(&c->ev, conn_base, c->fd, EV_READ | EV_PERSIST,
		    conn_io, c);
	}
	event_add(&c->ev, NULL);	/* the source has its own timer */
	if (!c->src_waiting) {
		c->src_waiting = 1;
		c->src->more(c, c->src_arg);
	}
}

/*
 * The client sent something while its answer is being made: a Gemini or
 * Gopher client sends nothing after its request, so this is its close
 * (EOF, a reset, a TLS alert before the FIN). Stray bytes are dropped.
 */
static int
conn_source_gone(struct conn *c)
{
	char	scratch[2048];
	ssize_t	r = recv(c->fd, scratch, sizeof scratch, MSG_DONTWAIT);

	if (r == -1)
		return errno != EAGAIN && errno != EINTR;
	return r == 0;
}

/*
 * The source pushed or ended: send from the loop, not from inside the
 * source's callback, so what it pushes and its end in one go leave in one
 * write (a small answer: header, body and close_notify together).
 */
static void
conn_source_kick(struct conn *c)
{
	if (!c->src_waiting)
		return;
	c->src_waiting = 0;
	event_active(&c->ev, EV_WRITE, 1);
}

void
conn_send_source(struct conn *c, const struct conn_source *src, void *arg)
{
	c->src = src;
	c->src_arg = arg;
}

void
conn_source_push(struct conn *c, const void *p, size_t len)
{
	char	*np;
	size_t	 cap;

	if (len == 0 || c->src_ended)
		return;
	if (c->pendlen + len > c->pendcap) {
		cap = c->pendlen + len < STREAM_CHUNK ? STREAM_CHUNK :
		    c->pendlen + len;
		if ((np = realloc(c->pend, cap)) == NULL) {
			conn_source_end(c, 0);
			return;
		}
		c->pend = np;
		c->pendcap = cap;
	}
	memcpy(c->pend + c->pendlen, p, len);
	c->pendlen += len;
	c->queued += len;
	conn_source_kick(c);
}

void
conn_source_end(struct conn *c, int ok)
{
	c->src_ended = 1;
	if (!ok) {
		conn_close(c, "error");
		return;
	}
	conn_source_kick(c);
}

const char *
conn_client(const struct conn *c)
{
	return c->client;
}

void
conn_tls_info(const struct conn *c, const char **version, const char **cipher)
{
	*version = c->ssl != NULL ? SSL_get_version(c->ssl) : NULL;
	*cipher = c->ssl != NULL ? SSL_get_cipher_name(c->ssl) : NULL;
}
