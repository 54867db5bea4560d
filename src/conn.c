/*
 * One client connection, for both front ends: it frames the request line,
 * enforces the timeouts, queues the answer, streams large files, and has
 * the one close path, which logs the request and sends TLS close_notify.
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>

#include "compat.h"
#include "conn.h"
#include "log.h"
#include "url.h"

#define LINE_MAX_BYTES	(URL_MAX + 2)	/* request and CRLF */
#define STREAM_CHUNK	(64 * 1024)

struct conn {
	struct bufferevent	*bev;
	SSL			*ssl;
	const struct frontend	*fe;
	char			 client[64];
	struct timespec		 start;
	char			*req;		/* the request, kept for the log */
	size_t			 reqlen;
	char			 status[8];
	size_t			 queued;	/* bytes handed to the bufferevent */
	int			 fd;		/* file being streamed, or -1 */
	off_t			 left;
	int			 finishing;
};

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

/* Reads and drops what the client still sent, so close() sends FIN, not RST. */
static void
conn_drain_socket(int fd)
{
	char	scratch[4096];
	int	i;

	for (i = 0; i < 4; i++)
		if (recv(fd, scratch, sizeof scratch, MSG_DONTWAIT) <= 0)
			break;
}

/* The one close path: log, close_notify, free. */
static void
conn_close(struct conn *c)
{
	size_t	pending = evbuffer_get_length(bufferevent_get_output(c->bev));
	int	fd = bufferevent_getfd(c->bev);

	log_request(c->client, c->fe->name, c->req,
	    c->reqlen, c->status, c->queued - pending, &c->start);
	if (c->ssl != NULL && SSL_is_init_finished(c->ssl) && pending == 0) {
		SSL_set_quiet_shutdown(c->ssl, 0);
		SSL_shutdown(c->ssl);
	}
	if (fd != -1)
		conn_drain_socket(fd);
	while (bufferevent_get_openssl_error(c->bev) != 0)
		;
	ERR_clear_error();
	bufferevent_free(c->bev);
	if (c->fd != -1)
		close(c->fd);
	free(c->req);
	free(c);
	atomic_fetch_sub_explicit(conn_my_slot(), 1, memory_order_relaxed);
	if (--conn_n == 0 && conn_idle_fn != NULL)
		conn_idle_fn();
}

/* Refills the output from the streamed file; closes the file at its end. */
static int
conn_stream(struct conn *c)
{
	struct evbuffer		*out = bufferevent_get_output(c->bev);
	struct evbuffer_iovec	 v;
	ssize_t			 r;
	size_t			 want = STREAM_CHUNK;

	if (c->left < (off_t)want)
		want = c->left;
	if (want > 0 && evbuffer_reserve_space(out, want, &v, 1) == 1) {
		do {
			r = read(c->fd, v.iov_base, want);
		} while (r == -1 && errno == EINTR);
		if (r > 0) {
			v.iov_len = r;
			evbuffer_commit_space(out, &v, 1);
			c->queued += r;
			c->left -= r;
			return 0;
		}
		if (r == -1)
			return -1;
	}
	close(c->fd);	/* done, or the file shrank under us */
	c->fd = -1;
	return 0;
}

static void
conn_write(struct bufferevent *bev, void *arg)
{
	struct conn	*c = arg;

	(void)bev;
	if (c->fd != -1) {
		if (conn_stream(c) == -1)
			conn_close(c);
		else if (c->fd == -1 &&
		    evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
			conn_close(c);
		return;
	}
	if (c->finishing)
		conn_close(c);
}

static void
conn_read(struct bufferevent *bev, void *arg)
{
	struct conn		*c = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct evbuffer_ptr	 end, eol;
	size_t			 len = evbuffer_get_length(in), n;
	char			 line[LINE_MAX_BYTES + 1];
	int			 crlf;

	if (c->finishing) {
		evbuffer_drain(in, len);
		return;
	}
	evbuffer_ptr_set(in, &end, len < LINE_MAX_BYTES ? len : LINE_MAX_BYTES,
	    EVBUFFER_PTR_SET);
	eol = evbuffer_search_range(in, "\n", 1, NULL, &end);
	if (eol.pos == -1) {
		if (len >= LINE_MAX_BYTES) {
			bufferevent_disable(bev, EV_READ);
			evbuffer_drain(in, len);
			c->fe->too_long(c);
		}
		return;
	}
	n = eol.pos;
	evbuffer_remove(in, line, n + 1);
	evbuffer_drain(in, evbuffer_get_length(in));
	bufferevent_disable(bev, EV_READ);
	crlf = n > 0 && line[n - 1] == '\r';
	if (crlf)
		n--;
	line[n] = '\0';
	c->fe->request(c, line, n, crlf);
}

static void
conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn	*c = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED)
		return;
	if ((what & BEV_EVENT_EOF) && (what & BEV_EVENT_READING) &&
	    c->finishing)
		return;		/* half-closed after its request: still answer */
	if (c->status[0] == '\0')
		strlcpy(c->status, what & BEV_EVENT_TIMEOUT ? "timeout" :
		    what & BEV_EVENT_EOF ? "eof" : "error", sizeof c->status);
	conn_close(c);
}

void
conn_accept(int fd, const struct sockaddr *sa, socklen_t slen, SSL_CTX *ctx,
    const struct frontend *fe)
{
	struct conn	*c;
	struct timeval	 rt = { conn_lim.read_timeout, 0 };
	struct timeval	 wt = { conn_lim.write_timeout, 0 };

	(void)slen;
	if ((c = calloc(1, sizeof *c)) == NULL) {
		close(fd);
		return;
	}
	c->fd = -1;
	c->fe = fe;
	clock_gettime(CLOCK_MONOTONIC, &c->start);
	log_addr(sa, c->client, sizeof c->client);
	if (ctx != NULL) {
		if ((c->ssl = SSL_new(ctx)) == NULL)
			goto fail;
		c->bev = bufferevent_openssl_socket_new(conn_base, fd, c->ssl,
		    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	} else
		c->bev = bufferevent_socket_new(conn_base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL)
		goto fail;
	conn_n++;
	atomic_fetch_add_explicit(conn_my_slot(), 1, memory_order_relaxed);
	bufferevent_set_timeouts(c->bev, &rt, &wt);
	bufferevent_setwatermark(c->bev, EV_READ, 0, LINE_MAX_BYTES + 1);
	bufferevent_setcb(c->bev, conn_read, conn_write, conn_event, c);
	bufferevent_enable(c->bev, EV_READ);
	return;
fail:
	if (c->ssl != NULL)
		SSL_free(c->ssl);
	ERR_clear_error();
	close(fd);
	free(c);
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
	evbuffer_add_reference(bufferevent_get_output(c->bev), p, len, NULL, NULL);
	c->queued += len;
}

void
conn_send_copy(struct conn *c, const void *p, size_t len)
{
	evbuffer_add(bufferevent_get_output(c->bev), p, len);
	c->queued += len;
}

void
conn_send_file(struct conn *c, int fd, off_t size)
{
	c->fd = fd;
	c->left = size;
}

void
conn_finish(struct conn *c)
{
	c->finishing = 1;
	bufferevent_disable(c->bev, EV_READ);
	if (c->fd != -1 && conn_stream(c) == -1) {
		conn_close(c);
		return;
	}
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0 &&
	    c->fd == -1) {
		conn_close(c);
		return;
	}
	bufferevent_enable(c->bev, EV_WRITE);
}
