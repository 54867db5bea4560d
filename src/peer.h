/* What a Gemini client's certificate says about it: identity, not trust. */
#ifndef TULPAR_PEER_H
#define TULPAR_PEER_H

#include <time.h>

#include <openssl/ssl.h>

#define PEER_HASH_LEN	64	/* hex digits of a SHA-256 */

struct peer {
	int	 present;		/* 0: no certificate; the rest is empty */
	char	 hash[PEER_HASH_LEN + 1];	/* lower-case hex of the DER's SHA-256 */
	char	 cn[256];		/* the subject's commonName, "" if none */
	char	 subject[512];		/* RFC 2253, e.g. "CN=alice,O=x" */
	char	 issuer[512];
	time_t	 not_before;		/* UTC */
	time_t	 not_after;
};

/* Fills p from the connection's client certificate; 0, or -1 if unreadable. */
int	peer_from_ssl(SSL *, struct peer *);
/* Fills p from one DER-decoded certificate (tests, tools). */
int	peer_from_x509(X509 *, struct peer *);
/* 1 if now lies within the certificate's validity dates. */
int	peer_valid_at(const struct peer *, time_t);
/* "2026-12-07T01:13:38Z", for logs and CGI; buf holds 21 bytes. */
void	peer_time(time_t, char *, size_t);

#endif
