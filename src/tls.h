/* TLS: certificate generation on first start, and the server context. */
#ifndef TULPAR_TLS_H
#define TULPAR_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

/* Paths of a host's certificate and key under certdir. */
int	 tls_paths(const char *, const char *, char *, char *, size_t);

/*
 * Makes sure a certificate and key exist for host (with its nalt aliases):
 * generates a self-signed ECDSA P-256 pair naming them all when neither
 * exists (unless dry_run), refuses when only one does, and checks a pair
 * that exists (readable, not expired, for host, key matching). Returns 1
 * if generated (or would be), 0 if present, -1 with a message saying what
 * to do.
 */
int	 tls_ensure_cert(const char *, const char *, const char *const *, int,
	    int, char *, size_t);

/* A server context with the host's certificate; NULL with err on failure. */
SSL_CTX	*tls_server_ctx(const char *, const char *, char *, size_t);
/* Asks TLS clients for a certificate (1) or not (0); see host_wants_certs(). */
void	 tls_request_certs(SSL_CTX *, int);

/* Makes the secret ticket keys derive from; call once, before forking. */
int	 tls_ticket_secret_init(void);

/* Queues the TLS 1.3 session ticket (if one is due) to go out with the answer. */
void	 tls_queue_ticket(SSL *);

/* Pops OpenSSL's error queue into a message. */
void	 tls_error(char *, size_t, const char *);

#endif
