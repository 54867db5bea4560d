/*
 * TLS for the Gemini side: the host's certificate is generated on first
 * start (ECDSA P-256, CN = host, DNS SAN = host and its aliases) and reused
 * ever after, since Gemini clients pin it; the server context accepts
 * client certificates without requiring them.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "compat.h"
#include "log.h"
#include "ticketkeys.h"
#include "tls.h"

#define CERT_DAYS	(365 * 30)
#define TICKET_EPOCH	3600	/* seconds a ticket key is current */
#define TICKET_SEEN	4096	/* tickets remembered as used, all workers */
#define TICKET_KEEP	1	/* ticket_cb: resumed, no new ticket needed */
#define TICKET_RENEW	2	/* ticket_cb: resumed, send a new ticket */

/*
 * Session-ticket keys are derived from one secret made before the workers
 * fork, and from the hour: every worker computes the same keys with no
 * talk between them, a ticket from one resumes on another, and the key of
 * the previous hour still decrypts, so resumption survives rotation.
 */
static unsigned char	 ticket_secret[32];
static EVP_CIPHER	*ticket_cipher;

/*
 * Tickets that have resumed a session, by their random IV, in a page shared
 * by the workers: a ticket resuming for the first time gets a new one back,
 * so a client that uses each ticket once (RFC 8446, C.4) resumes every
 * time, while one that keeps offering its first ticket (Lagrange) costs one
 * new ticket and then none. A slot lost to another ticket costs one more.
 */
static _Atomic uint64_t	*ticket_seen;
static int		 ticket_idx = -1;	/* SSL ex_data: ticket_cb's verdict */

struct ticket_key {
	uint64_t	epoch;
	unsigned char	name[16];
	unsigned char	aes[32];
	unsigned char	mac[32];
};

void
tls_error(char *err, size_t errsz, const char *what)
{
	unsigned long	e = ERR_get_error();
	char		msg[256];

	if (e == 0)
		snprintf(err, errsz, "%s", what);
	else {
		ERR_error_string_n(e, msg, sizeof msg);
		snprintf(err, errsz, "%s: %s", what, msg);
	}
	ERR_clear_error();
}

int
tls_paths(const char *dir, const char *host, char *crt, char *key, size_t sz)
{
	int	a, b;

	a = snprintf(crt, sz, "%s/%s.crt", dir, host);
	b = snprintf(key, sz, "%s/%s.key", dir, host);
	return a < 0 || (size_t)a >= sz || b < 0 || (size_t)b >= sz ? -1 : 0;
}

/* "DNS:host,DNS:alias,..."; -1 if it does not fit. */
static int
tls_san(char *san, size_t sz, const char *host, const char *const *alt,
    int nalt)
{
	size_t	o;
	int	i, r;

	if ((r = snprintf(san, sz, "DNS:%s", host)) < 0 || (size_t)r >= sz)
		return -1;
	for (i = 0, o = (size_t)r; i < nalt; i++, o += (size_t)r)
		if ((r = snprintf(san + o, sz - o, ",DNS:%s", alt[i])) < 0 ||
		    (size_t)r >= sz - o)
			return -1;
	return 0;
}

static X509 *
tls_make_cert(EVP_PKEY *pkey, const char *host, const char *const *alt,
    int nalt)
{
	X509		*x;
	X509_NAME	*name;
	X509_EXTENSION	*ext;
	X509V3_CTX	 v3;
	unsigned char	 serial[16];
	BIGNUM		*bn = NULL;
	char		 san[4096];
	int		 ok = 0;

	if ((x = X509_new()) == NULL)
		return NULL;
	if (tls_san(san, sizeof san, host, alt, nalt) == -1 ||
	    RAND_bytes(serial, sizeof serial) != 1)
		goto done;
	serial[0] &= 0x7f;
	if ((bn = BN_bin2bn(serial, sizeof serial, NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL ||
	    !X509_set_version(x, 2) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -24 * 3600) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), CERT_DAYS, 0, NULL) ||
	    (name = X509_get_subject_name(x)) == NULL ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)host, -1, -1, 0) ||
	    !X509_set_issuer_name(x, name) || !X509_set_pubkey(x, pkey))
		goto done;
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san)) == NULL)
		goto done;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	if (ok)
		ok = X509_sign(x, pkey, EVP_sha256()) > 0;
done:
	BN_free(bn);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* Writes PEM to a new file that must not exist yet. */
static int
tls_write(const char *path, mode_t mode, EVP_PKEY *pkey, X509 *x)
{
	FILE	*f;
	int	 fd, ok;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)) == -1)
		return -1;
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		unlink(path);
		return -1;
	}
	ok = pkey ? PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL) :
	    PEM_write_X509(f, x);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		ok = 0;
	if (fclose(f) != 0)
		ok = 0;
	if (!ok) {
		unlink(path);
		return -1;
	}
	return 0;
}

static int
tls_generate(const char *dir, const char *host, const char *const *alt,
    int nalt, const char *crt, const char *key, char *err, size_t errsz)
{
	EVP_PKEY	*pkey;
	X509		*x = NULL;
	int		 r = -1;

	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errsz, "certificate directory %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	if ((pkey = EVP_EC_gen("P-256")) == NULL ||
	    (x = tls_make_cert(pkey, host, alt, nalt)) == NULL) {
		tls_error(err, errsz, "cannot generate a certificate");
		goto done;
	}
	if (tls_write(key, 0600, pkey, NULL) == -1) {
		snprintf(err, errsz, "cannot write %s: %s", key, strerror(errno));
		goto done;
	}
	if (tls_write(crt, 0644, NULL, x) == -1) {
		snprintf(err, errsz, "cannot write %s: %s", crt, strerror(errno));
		unlink(key);
		goto done;
	}
	r = 1;
done:
	X509_free(x);
	EVP_PKEY_free(pkey);
	return r;
}

/*
 * Where a pair is to be generated: the directory must take new files, or
 * not exist yet in a directory that does (tls_generate makes it, 0700).
 */
static int
tls_certdir_check(const char *dir, char *err, size_t errsz)
{
	struct stat	 st;
	char		 parent[1024], *slash;
	size_t		 n;

	if (stat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			snprintf(err, errsz, "certificate directory %s is not a "
			    "directory: choose another with -T or cert_dir", dir);
		else if (access(dir, W_OK | X_OK) == -1)
			snprintf(err, errsz, "certificate directory %s is not "
			    "writable (%s): let the user tulpar starts as write "
			    "it, or choose another with -T or cert_dir", dir,
			    strerror(errno));
		else
			return 0;
		return -1;
	}
	if (errno != ENOENT) {
		snprintf(err, errsz, "certificate directory %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	if (strlcpy(parent, dir, sizeof parent) >= sizeof parent) {
		snprintf(err, errsz, "certificate directory %s: name too long", dir);
		return -1;
	}
	for (n = strlen(parent); n > 1 && parent[n - 1] == '/'; n--)
		parent[n - 1] = '\0';
	if ((slash = strrchr(parent, '/')) == NULL)
		strlcpy(parent, ".", sizeof parent);
	else
		slash[slash == parent] = '\0';
	if (access(parent, W_OK | X_OK) == 0)
		return 0;
	snprintf(err, errsz, "certificate directory %s does not exist: create "
	    "it (mkdir -p %s), or choose another with -T or cert_dir", dir, dir);
	return -1;
}

/* The certificate's name for a message: its first DNS name, or its CN. */
static void
tls_cert_name(X509 *x, char *out, size_t outsz)
{
	GENERAL_NAMES		*gens;
	const GENERAL_NAME	*g;
	int			 i, found = 0;

	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		g = sk_GENERAL_NAME_value(gens, i);
		if (g->type == GEN_DNS) {
			snprintf(out, outsz, "%.*s", ASN1_STRING_length(g->d.dNSName),
			    (const char *)ASN1_STRING_get0_data(g->d.dNSName));
			found = 1;
			break;
		}
	}
	GENERAL_NAMES_free(gens);
	if (!found && X509_NAME_get_text_by_NID(X509_get_subject_name(x),
	    NID_commonName, out, (int)outsz) < 0)
		snprintf(out, outsz, "no name");
}

/* Whether the certificate names host (a DNS name, or an address). */
static int
tls_cert_names(X509 *x, const char *host)
{
	if (X509_check_ip_asc(x, host, 0) == 1)
		return 1;
	return X509_check_host(x, host, 0, 0, NULL) == 1;
}

static void *
tls_read_pem(const char *path, int key, char *err, size_t errsz)
{
	FILE	*f;
	void	*v;

	if ((f = fopen(path, "re")) == NULL) {
		snprintf(err, errsz, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	v = key ? (void *)PEM_read_PrivateKey(f, NULL, NULL, NULL) :
	    (void *)PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	ERR_clear_error();
	if (v == NULL)
		snprintf(err, errsz, "%s is not a PEM %s: put back the right "
		    "file, or move the pair away so tulpar generates a new one",
		    path, key ? "private key" : "certificate");
	return v;
}

/*
 * What a start would trip over, each in one line that says what to do: an
 * unreadable file, an expired certificate, one for another name, a key
 * that is not its own. Aliases it does not name only warn: the host is
 * still served, to clients that do not check names.
 */
static int
tls_check_pair(const char *crt, const char *key, const char *host,
    const char *const *alt, int nalt, char *err, size_t errsz)
{
	X509		*x;
	EVP_PKEY	*pkey = NULL;
	struct tm	 tm;
	char		 name[256], when[32] = "?";
	int		 i, r = -1;

	if ((x = tls_read_pem(crt, 0, err, errsz)) == NULL)
		return -1;
	if (X509_cmp_current_time(X509_get0_notAfter(x)) <= 0) {
		if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1)
			strftime(when, sizeof when, "%Y-%m-%d", &tm);
		snprintf(err, errsz, "certificate %s expired on %s: renew it with "
		    "the same key, or move %s and %s away so tulpar generates a "
		    "new pair", crt, when, crt, key);
		goto done;
	}
	if (!tls_cert_names(x, host)) {
		tls_cert_name(x, name, sizeof name);
		snprintf(err, errsz, "certificate %s is for %s, not %s: put %s's "
		    "certificate there, or move %s and %s away so tulpar "
		    "generates one", crt, name, host, host, crt, key);
		goto done;
	}
	if ((pkey = tls_read_pem(key, 1, err, errsz)) == NULL)
		goto done;
	if (X509_check_private_key(x, pkey) != 1) {
		ERR_clear_error();
		snprintf(err, errsz, "key %s does not match certificate %s: put "
		    "back the key made with it, or move both away so tulpar "
		    "generates a new pair", key, crt);
		goto done;
	}
	for (i = 0; i < nalt; i++)
		if (!tls_cert_names(x, alt[i]))
			log_warnx("certificate %s does not name alias %s: clients "
			    "that check names refuse it there; add it, or move the "
			    "pair away so tulpar generates one naming every alias",
			    crt, alt[i]);
	r = 0;
done:
	EVP_PKEY_free(pkey);
	X509_free(x);
	return r;
}

int
tls_ensure_cert(const char *dir, const char *host, const char *const *alt,
    int nalt, int dry_run, char *err, size_t errsz)
{
	char		crt[1024], key[1024];
	struct stat	sc, sk;
	int		hc, hk;

	if (tls_paths(dir, host, crt, key, sizeof crt) == -1) {
		snprintf(err, errsz, "certificate directory %s: name too long", dir);
		return -1;
	}
	hc = stat(crt, &sc) == 0;
	hk = stat(key, &sk) == 0;
	if (hc && hk)
		return tls_check_pair(crt, key, host, alt, nalt, err, errsz);
	if (hc != hk) {
		snprintf(err, errsz, "%s exists but %s does not; refusing to "
		    "generate a new pair (clients pin the certificate)",
		    hc ? crt : key, hc ? key : crt);
		return -1;
	}
	if (tls_certdir_check(dir, err, errsz) == -1)
		return -1;
	if (dry_run)
		return 1;
	return tls_generate(dir, host, alt, nalt, crt, key, err, errsz);
}

int
tls_ticket_secret_init(void)
{
	void	*p;

	if (RAND_bytes(ticket_secret, sizeof ticket_secret) != 1)
		return -1;
	p = mmap(NULL, TICKET_SEEN * sizeof *ticket_seen, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ticket_seen = p == MAP_FAILED ? NULL : p;	/* NULL: always renew */
	ticket_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	ticket_cipher = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL);
	return ticket_cipher == NULL ? -1 : 0;
}

static int
ticket_derive(struct ticket_key *k, uint64_t epoch)
{
	unsigned char	label[12];
	size_t		n;
	int		i;

	k->epoch = epoch;
	memcpy(k->name, "tulp", 4);
	for (i = 0; i < 8; i++)
		label[4 + i] = k->name[8 + i] = epoch >> (56 - 8 * i);
	memset(k->name + 4, 0, 4);
	memcpy(label, "aes:", 4);
	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, ticket_secret,
	    sizeof ticket_secret, label, sizeof label, k->aes, sizeof k->aes,
	    &n) == NULL)
		return -1;
	memcpy(label, "mac:", 4);
	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, ticket_secret,
	    sizeof ticket_secret, label, sizeof label, k->mac, sizeof k->mac,
	    &n) == NULL)
		return -1;
	return 0;
}

/* The key for an epoch: the current one or the one before, cached. */
static const struct ticket_key *
ticket_key(uint64_t epoch)
{
	static struct ticket_key	keys[2];
	static int			valid[2];
	int				slot = epoch & 1;

	if (!valid[slot] || keys[slot].epoch != epoch) {
		valid[slot] = 0;
		if (ticket_derive(&keys[slot], epoch) == -1)
			return NULL;
		valid[slot] = 1;
	}
	return &keys[slot];
}

/*
 * Whether this is the first time a ticket (known by its IV) resumes. Marked
 * before its HMAC is checked: a forgery that copies a real ticket's IV can
 * at worst cost that ticket's client a full handshake later.
 */
static int
ticket_first_use(const unsigned char *iv)
{
	uint64_t	fp;

	if (ticket_seen == NULL)
		return 1;
	memcpy(&fp, iv, sizeof fp);	/* random: a fingerprint as it is */
	if (fp == 0)
		fp = 1;			/* 0 is an empty slot */
	return atomic_exchange_explicit(&ticket_seen[fp % TICKET_SEEN], fp,
	    memory_order_relaxed) != fp;
}

/*
 * A resumed session is renewed when its key is no longer the sealing one
 * (old) or its ticket is used for the first time. Decided once per
 * connection: a ClientHello repeated after a HelloRetryRequest brings the
 * ticket again.
 */
static int
ticket_verdict(SSL *ssl, int old, const unsigned char *iv)
{
	void	*v = ticket_idx == -1 ? NULL : SSL_get_ex_data(ssl, ticket_idx);
	int	 r;

	if (v != NULL)
		return (int)(uintptr_t)v;
	r = old || ticket_first_use(iv) ? TICKET_RENEW : TICKET_KEEP;
	if (ticket_idx != -1)
		(void)SSL_set_ex_data(ssl, ticket_idx, (void *)(uintptr_t)r);
	return r;
}

/* The key epoch of a moment: a ticket sealed then carries this key. */
static uint64_t
ticket_epoch(time_t t)
{
	return (uint64_t)t / TICKET_EPOCH;
}

/*
 * The key to seal a ticket with (enc: its name goes into name), or the key
 * that sealed one: 1 current, 2 opened by an older key (renew), 0 unknown.
 * From the ticket_keys file when there is one, else derived.
 */
static int
ticket_pick(unsigned char name[16], int enc, const unsigned char **aes,
    const unsigned char **mac)
{
	const struct ticketkey	*fk;
	const struct ticket_key	*k;
	uint64_t		 now = ticket_epoch(time(NULL)), epoch = 0;
	int			 i;

	if ((fk = ticketkeys_sealing()) != NULL) {
		if (enc)
			memcpy(name, fk->name, 16);
		else if ((fk = ticketkeys_find(name, &i)) == NULL)
			return 0;
		*aes = fk->aes;
		*mac = fk->hmac;
		return enc || i == 0 ? 1 : 2;
	}
	if (enc) {
		if ((k = ticket_key(now)) == NULL)
			return -1;
		memcpy(name, k->name, 16);
	} else {
		if (memcmp(name, "tulp\0\0\0\0", 8) != 0)
			return 0;
		for (i = 0; i < 8; i++)
			epoch = epoch << 8 | name[8 + i];
		if ((epoch != now && epoch + 1 != now) ||
		    (k = ticket_key(epoch)) == NULL)
			return 0;
	}
	*aes = k->aes;
	*mac = k->mac;
	return enc || epoch == now ? 1 : 2;
}

static int
ticket_cb(SSL *ssl, unsigned char name[16], unsigned char *iv,
    EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc)
{
	const unsigned char	*aes, *mac;
	OSSL_PARAM		 params[3];
	int			 r;

	if ((r = ticket_pick(name, enc, &aes, &mac)) <= 0)
		return r;
	if (enc) {
		if (RAND_bytes(iv, EVP_CIPHER_get_iv_length(ticket_cipher)) != 1 ||
		    EVP_EncryptInit_ex2(cctx, ticket_cipher, aes, iv, NULL) != 1)
			return -1;
	} else if (EVP_DecryptInit_ex2(cctx, ticket_cipher, aes, iv, NULL) != 1)
		return -1;
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY,
	    (void *)(uintptr_t)mac, 32);
	params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)(uintptr_t)"SHA256", 0);
	params[2] = OSSL_PARAM_construct_end();
	if (EVP_MAC_CTX_set_params(hctx, params) != 1)
		return -1;
	/* 2 renews the ticket (TLS 1.2; 1.3 is tls_queue_ticket's) */
	return enc ? 1 : ticket_verdict(ssl, r == 2, iv);
}

/*
 * A TLS 1.3 ticket goes out with the answer rather than at the end of the
 * handshake: a connection waiting for its request holds no ticket bytes, and
 * one that never sends a request costs no ticket. One ticket per full
 * handshake; a resumed session gets one when ticket_cb said so: its ticket
 * is used for the first time, or its key is no longer current.
 */
void
tls_queue_ticket(SSL *ssl)
{
	if (SSL_version(ssl) < TLS1_3_VERSION)
		return;		/* TLS 1.2 sends its ticket in the handshake */
	if (SSL_session_reused(ssl) && ticket_idx != -1 &&
	    SSL_get_ex_data(ssl, ticket_idx) == (void *)(uintptr_t)TICKET_KEEP)
		return;
	if (SSL_new_session_ticket(ssl) != 1)
		ERR_clear_error();	/* the answer goes out without one */
}

/* Client certificates are identities, not trust: accept any. */
static int
tls_verify_any(int ok, X509_STORE_CTX *store)
{
	(void)ok;
	(void)store;
	return 1;
}

/* Whether the handshake asks for a client certificate (never requires one). */
void
tls_request_certs(SSL_CTX *ctx, int on)
{
	if (on)
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE,
		    tls_verify_any);
	else
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
}

SSL_CTX *
tls_server_ctx(const char *dir, const char *host, char *err, size_t errsz)
{
	SSL_CTX		*ctx;
	char		 crt[1024], key[1024], what[1200];

	if (tls_paths(dir, host, crt, key, sizeof crt) == -1) {
		snprintf(err, errsz, "certificate directory %s: name too long", dir);
		return NULL;
	}
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		tls_error(err, errsz, "cannot create a TLS context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_NO_AUTO_CHAIN);
	tls_request_certs(ctx, 1);
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"tulpar", 6);
	/* TLS 1.3 tickets are queued with the answer: see tls_queue_ticket(). */
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_read_ahead(ctx, 1);
	/* SHA-256 suites first: hashing is most of a handshake's HKDF work. */
	SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256:"
	    "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384");
	SSL_CTX_set_cipher_list(ctx, "ECDHE-ECDSA-AES128-GCM-SHA256:"
	    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES256-GCM-SHA384");
	SSL_CTX_set_timeout(ctx, TICKET_EPOCH);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (ticket_cipher != NULL)
		SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_cb);
	if (SSL_CTX_use_certificate_chain_file(ctx, crt) != 1) {
		snprintf(what, sizeof what, "certificate %s", crt);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		snprintf(what, sizeof what, "key %s", key);
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		ERR_clear_error();
		snprintf(err, errsz, "certificate %s does not match key %s", crt, key);
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
fail:
	tls_error(err, errsz, what);
	SSL_CTX_free(ctx);
	return NULL;
}
