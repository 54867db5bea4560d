/* One client connection, either protocol: framing, timeouts, writing, one close path. */
#ifndef TULPAR_CONN_H
#define TULPAR_CONN_H

#include <stddef.h>
#include <sys/socket.h>

#include <openssl/ssl.h>

#include "peer.h"

struct blob;
struct event_base;
struct conn;

struct frontend {
	const char	*name;		/* "gemini", "gopher" */
	/* A complete request line, without its line end; crlf says whether CR came before LF. */
	void		(*request)(struct conn *, char *, size_t, int);
	/* No line end within the first URL_MAX + 2 bytes. */
	void		(*too_long)(struct conn *);
	void		*arg;
	int		 port;		/* the listener's port */
	int		 proxy;		/* a PROXY protocol header comes first */
	int		 site;		/* Gopher: the listener's host; Gemini: -1 */
	/* Over the rate limit: answer, saying how many seconds to wait. */
	void		(*limited)(struct conn *, unsigned);
};

struct conn_limits {
	int		 read_timeout;		/* seconds */
	int		 write_timeout;		/* seconds */
	int		 max_conns;
};

/* Before forking: a connection count shared by this many workers. */
int	 conn_shared(int);
/* In a worker: which slot of the shared count is its own. */
void	 conn_worker(int);
void	 conn_setup(struct event_base *, const struct conn_limits *);
int	 conn_count(void);
int	 conn_full(void);
/* Takes ownership of fd; ctx NULL for plain TCP. */
void	 conn_accept(int, const struct sockaddr *, socklen_t, SSL_CTX *,
	    const struct frontend *);

/* For front ends. */
void		*conn_frontend_arg(const struct conn *);
const char	*conn_sni(const struct conn *);
/* The client certificate (Gemini), if one was sent: p->present says. */
void		 conn_peer(const struct conn *, struct peer *);
/* The port the client connected to: the listener's, or the PROXY header's. */
int		 conn_port(const struct conn *);
void		 conn_set_status(struct conn *, const char *);
void		 conn_set_request(struct conn *, const char *, size_t);
void		 conn_send_ref(struct conn *, const void *, size_t);	/* bytes outlive the conn */
void		 conn_send_copy(struct conn *, const void *, size_t);
/* Bytes within a blob; takes over a reference, released when the conn closes. */
void		 conn_send_blob(struct conn *, struct blob *, const void *, size_t);
/* Streams an open file after what was sent; takes ownership of fd. */
void		 conn_send_file(struct conn *, int, off_t);
/*
 * A request body (Titan): size bytes after the request line, read within
 * the request deadline and handed to fn as they come (BODY_DATA). Then
 * fn is called once more to answer (ending with conn_finish):
 * BODY_END (all of it), BODY_LONG (a byte more came), BODY_SHORT (the
 * stream ended or the deadline passed first). BODY_ABORT: the connection
 * is closing without an answer; only clean up.
 */
enum conn_body_event { BODY_DATA, BODY_END, BODY_LONG, BODY_SHORT, BODY_ABORT };
typedef void (*conn_body_fn)(struct conn *, void *, enum conn_body_event,
    const char *, size_t);
void		 conn_body(struct conn *, off_t, conn_body_fn, void *);
/* Sends what is queued, then closes (with close_notify on TLS). */
void		 conn_finish(struct conn *);

/*
 * Answer bytes that arrive later, from a program (CGI, FastCGI). The
 * connection asks for more only once what was pushed has left, so a slow
 * client slows the source and memory stays bounded.
 */
struct conn_source {
	/* All pushed bytes are on their way: push more, or end, when they
	 * come (never before returning). */
	void	(*more)(struct conn *, void *);
	/* The connection closes (done, or the client gone, a timeout, a
	 * stop): the source lets go, and stops its program if it still runs. */
	void	(*release)(void *);
};

/* The rest of the answer comes from the source; call before conn_finish. */
void		 conn_send_source(struct conn *, const struct conn_source *, void *);
/* From the source: bytes to send, copied. */
void		 conn_source_push(struct conn *, const void *, size_t);
/* From the source: no more bytes. ok 0 closes at once, without close_notify
 * (a truncated answer); the conn may be gone when this returns. */
void		 conn_source_end(struct conn *, int);
/* For programs' environment: the client's address, and the TLS version and
 * cipher (NULL on plain TCP). */
const char	*conn_client(const struct conn *);
void		 conn_tls_info(const struct conn *, const char **, const char **);

/* Graceful stop: called when the last connection is gone. */
void	 conn_on_idle(void (*)(void));
/* Closes (and logs) every connection still open. */
void	 conn_close_all(const char *);

#endif
