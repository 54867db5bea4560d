/* Unit tests for src/peer.c: a client certificate as an identity. */
#include "unit.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "peer.h"

/* A self-signed certificate for cn, valid from nb to na (seconds from now). */
static X509 *
make_cert(const char *cn, long nb, long na)
{
	EVP_PKEY	*key = EVP_EC_gen("P-256");
	X509		*x = X509_new();
	X509_NAME	*name;

	assert_non_null(key);
	assert_non_null(x);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), nb);
	X509_gmtime_adj(X509_getm_notAfter(x), na);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
	    (const unsigned char *)"Readers", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, name);
	X509_set_pubkey(x, key);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	EVP_PKEY_free(key);
	return x;
}

static void
test_identity(void **state)
{
	X509		*x = make_cert("alice", -60, 3600);
	unsigned char	 md[32];
	unsigned int	 mdlen;
	char		 hex[65];
	struct peer	 p;
	int		 i;

	(void)state;
	assert_int_equal(peer_from_x509(x, &p), 0);
	assert_true(p.present);
	assert_true(X509_digest(x, EVP_sha256(), md, &mdlen) == 1);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	assert_string_equal(p.hash, hex);
	assert_string_equal(p.cn, "alice");
	assert_string_equal(p.subject, "CN=alice,O=Readers");
	assert_string_equal(p.issuer, "CN=alice,O=Readers");
	assert_true(peer_valid_at(&p, time(NULL)));
	assert_false(peer_valid_at(&p, time(NULL) + 7200));
	assert_false(peer_valid_at(&p, time(NULL) - 3600));
	X509_free(x);
}

static void
test_utf8_name(void **state)
{
	X509		*x = make_cert("Әлия", -60, 60);
	struct peer	 p;

	(void)state;
	assert_int_equal(peer_from_x509(x, &p), 0);
	assert_string_equal(p.cn, "Әлия");
	assert_string_equal(p.subject, "CN=Әлия,O=Readers");
	X509_free(x);
}

static void
test_expired_and_absent(void **state)
{
	X509		*x = make_cert("old", -7200, -3600);
	struct peer	 p;
	char		 t[32];

	(void)state;
	assert_int_equal(peer_from_x509(x, &p), 0);
	assert_false(peer_valid_at(&p, time(NULL)));
	X509_free(x);
	assert_int_equal(peer_from_x509(NULL, &p), 0);
	assert_false(p.present);
	assert_false(peer_valid_at(&p, time(NULL)));
	assert_int_equal(peer_from_ssl(NULL, &p), 0);
	assert_false(p.present);
	peer_time(0, t, sizeof t);
	assert_string_equal(t, "1970-01-01T00:00:00Z");
	peer_time(1796605418, t, sizeof t);
	assert_string_equal(t, "2026-12-07T01:03:38Z");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_utf8_name),
		cmocka_unit_test(test_expired_and_absent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
