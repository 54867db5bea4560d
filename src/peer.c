/*
 * The client certificate as an identity: its SHA-256 fingerprint, names
 * and validity dates. Gemini client certificates are self-signed, so
 * nothing here checks a chain; certificate areas, CGI and Titan decide
 * what an identity may do.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "compat.h"
#include "peer.h"

/* An X509_NAME as one RFC 2253 line; "" if it cannot be printed. */
static void
peer_name(const X509_NAME *name, char *out, size_t outsz)
{
	BIO	*b;
	char	*p;
	long	 n;

	out[0] = '\0';
	if ((b = BIO_new(BIO_s_mem())) == NULL)
		return;
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0 &&
	    (n = BIO_get_mem_data(b, &p)) > 0) {
		if ((size_t)n >= outsz)
			n = outsz - 1;
		memcpy(out, p, n);
		out[n] = '\0';
	}
	BIO_free(b);
}

static time_t
peer_asn1_time(const ASN1_TIME *t)
{
	struct tm	tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

int
peer_from_x509(X509 *x, struct peer *p)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0, i;
	int		 n;

	memset(p, 0, sizeof *p);
	if (x == NULL)
		return 0;
	if (X509_digest(x, EVP_sha256(), md, &mdlen) != 1 || mdlen != 32) {
		ERR_clear_error();
		return -1;
	}
	for (i = 0; i < mdlen; i++)
		snprintf(p->hash + 2 * i, 3, "%02x", md[i]);
	n = X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName,
	    p->cn, sizeof p->cn);
	if (n < 0)
		p->cn[0] = '\0';
	peer_name(X509_get_subject_name(x), p->subject, sizeof p->subject);
	peer_name(X509_get_issuer_name(x), p->issuer, sizeof p->issuer);
	p->not_before = peer_asn1_time(X509_get0_notBefore(x));
	p->not_after = peer_asn1_time(X509_get0_notAfter(x));
	ERR_clear_error();
	p->present = 1;
	return 0;
}

int
peer_from_ssl(SSL *ssl, struct peer *p)
{
	memset(p, 0, sizeof *p);
	if (ssl == NULL)
		return 0;
	return peer_from_x509(SSL_get0_peer_certificate(ssl), p);
}

int
peer_valid_at(const struct peer *p, time_t now)
{
	return p->present && now >= p->not_before && now <= p->not_after;
}

void
peer_time(time_t t, char *buf, size_t bufsz)
{
	struct tm	tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, bufsz, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		strlcpy(buf, "", bufsz);
}
