/*
 * Unit tests for Titan and certificate areas: src/titan.c (the request
 * parameters), src/access.c (fingerprints, the 60/61/62 decision, the
 * allow_certificates_file lists), their configuration keys, the rules
 * (path_rule_protected, host_wants_certs) and the router's answers.
 */
#include "unit.h"

#include <time.h>

#include "access.h"
#include "compat.h"
#include "config.h"
#include "gophermap.h"
#include "router.h"
#include "store.h"
#include "titan.h"

#define FP_A	"0bc44b87aa270f3ba42d4d97be234b439a18d075a2eae2aba748111f57cdf11c"
#define FP_B	"bc47d0510000000000000000000000000000000000000000000000000000beef"

/* ---- titan_parse ---- */

static int
parse(const char *s, struct titan_params *tp, const char **errstr)
{
	*errstr = NULL;
	return titan_parse(s, strlen(s), tp, errstr);
}

static void
test_titan_good(void **state)
{
	struct titan_params	 tp;
	const char		*errstr;

	(void)state;
	assert_int_equal(parse("titan://localhost:1965/notes/a.gmi;size=6;"
	    "mime=text/gemini;token=s3cr%3Bt", &tp, &errstr), 0);
	assert_int_equal(tp.size, 6);
	assert_string_equal(tp.mime, "text/gemini");
	assert_true(tp.has_token);
	assert_string_equal(tp.token, "s3cr;t");
	assert_string_equal(tp.url, "gemini://localhost:1965/notes/a.gmi");
	/* any order, case-insensitive names, unknown ones ignored, empty ones */
	assert_int_equal(parse("TITAN://h/x%20y.txt;;MIME=text/plain;foo=bar;"
	    "Size=0;", &tp, &errstr), 0);
	assert_int_equal(tp.size, 0);
	assert_false(tp.has_token);
	assert_string_equal(tp.url, "gemini://h/x%20y.txt");
	assert_int_equal(parse("titan://h/x;size=1099511627776", &tp, &errstr), 0);
	assert_int_equal(tp.size, TITAN_SIZE_MAX);
}

static void
test_titan_bad(void **state)
{
	static const char *const bad[] = {
		"titan://h/x",				/* no parameters */
		"titan://h/x;mime=text/gemini",		/* no size */
		"titan://h/x;size=",			/* empty */
		"titan://h/x;size=-1",			/* negative */
		"titan://h/x;size=+1",
		"titan://h/x;size=1e3",
		"titan://h/x;size= 1",
		"titan://h/x;size=0x10",
		"titan://h/x;size=99999999999999999999999",	/* overflow */
		"titan://h/x;size=9223372036854775808",
		"titan://h/x;size=1099511627777",	/* above 1 TiB */
		"titan://h/x;size=1;size=2",		/* twice */
		"titan://h/x;size=1;token=a;token=b",
		"titan://h/x;size=1;token=%00",		/* bad escapes */
		"titan://h/x;size=1;token=%0a",
		"titan://h/x;size=1;mime=%zz",
		"titan://h/x;size",			/* no '=' */
		"titan://h/x?q=1;size=1",		/* a query */
		"titan://h/x;size=1?q",
		"gemini://h/x;size=1",			/* not titan */
		"titan:/h/x;size=1",
		"",
	};
	struct titan_params	 tp;
	const char		*errstr;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (parse(bad[i], &tp, &errstr) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_non_null(errstr);
	}
	assert_int_equal(titan_parse("titan://h/x;size=1\0", 19, &tp, &errstr), -1);
}

static void
test_titan_size(void **state)
{
	long long	 n;
	const char	*errstr;

	(void)state;
	assert_int_equal(titan_size_parse("10M", &n, &errstr), 0);
	assert_int_equal(n, 10 * 1024 * 1024);
	assert_int_equal(titan_size_parse("512k", &n, &errstr), 0);
	assert_int_equal(n, 512 * 1024);
	assert_int_equal(titan_size_parse("2G", &n, &errstr), 0);
	assert_int_equal(n, 2LL * 1024 * 1024 * 1024);
	assert_int_equal(titan_size_parse("100", &n, &errstr), 0);
	assert_int_equal(n, 100);
	assert_int_equal(titan_size_parse("0", &n, &errstr), 0);
	assert_int_equal(titan_size_parse("", &n, &errstr), -1);
	assert_int_equal(titan_size_parse("M", &n, &errstr), -1);
	assert_int_equal(titan_size_parse("-1M", &n, &errstr), -1);
	assert_int_equal(titan_size_parse("10T", &n, &errstr), -1);
	assert_int_equal(titan_size_parse("2000G", &n, &errstr), -1);
	assert_int_equal(titan_size_parse("1 M", &n, &errstr), -1);
}

/* ---- access ---- */

static void
test_fingerprints(void **state)
{
	char		 out[CONFIG_FP_LEN + 1];
	const char	*errstr;

	(void)state;
	assert_int_equal(access_fp_parse(FP_A, 64, out, &errstr), 0);
	assert_string_equal(out, FP_A);
	assert_int_equal(access_fp_parse("SHA256:0BC44B87AA270F3BA42D4D97BE234B43"
	    "9A18D075A2EAE2ABA748111F57CDF11C", 71, out, &errstr), 0);
	assert_string_equal(out, FP_A);
	assert_int_equal(access_fp_parse("sha256:" FP_A, 71, out, &errstr), 0);
	assert_int_equal(access_fp_parse(FP_A, 63, out, &errstr), -1);
	assert_int_equal(access_fp_parse(FP_A "0", 65, out, &errstr), -1);
	assert_int_equal(access_fp_parse("SHA1:" FP_A, 69, out, &errstr), -1);
	assert_int_equal(access_fp_parse("0bc44b87aa270f3ba42d4d97be234b439a18d075"
	    "a2eae2aba748111f57cdf11g", 64, out, &errstr), -1);
	assert_int_equal(access_fp_parse("", 0, out, &errstr), -1);
}

static struct peer
peer_make(const char *hash, long from, long to)
{
	struct peer	p;

	memset(&p, 0, sizeof p);
	p.present = 1;
	strlcpy(p.hash, hash, sizeof p.hash);
	p.not_before = time(NULL) + from;
	p.not_after = time(NULL) + to;
	return p;
}

static void
test_access_check(void **state)
{
	struct path_rule	r;
	struct peer		a = peer_make(FP_A, -60, 3600);
	struct peer		b = peer_make(FP_B, -60, 3600);
	struct peer		old = peer_make(FP_A, -7200, -3600);
	struct peer		later = peer_make(FP_A, 3600, 7200);
	time_t			now = time(NULL);

	(void)state;
	memset(&r, 0, sizeof r);
	r.titan = -1;
	r.require_cert = 1;
	assert_int_equal(access_check(&r, NULL, now), ACCESS_NEED_CERT);
	assert_int_equal(access_check(&r, &b, now), ACCESS_OK);	/* any */
	assert_int_equal(access_check(&r, &old, now), ACCESS_NOT_VALID);
	strlcpy(r.certs[0], FP_A, sizeof r.certs[0]);
	r.ncerts = 1;
	assert_int_equal(access_check(&r, &a, now), ACCESS_OK);
	assert_int_equal(access_check(&r, &b, now), ACCESS_NOT_AUTHORISED);
	assert_int_equal(access_check(&r, &old, now), ACCESS_NOT_VALID);
	assert_int_equal(access_check(&r, &later, now), ACCESS_NOT_VALID);
}

static void
test_access_titan(void **state)
{
	struct path_rule	r;
	struct peer		a = peer_make(FP_A, -60, 3600);
	struct peer		b = peer_make(FP_B, -60, 3600);
	struct peer		old = peer_make(FP_A, -7200, -3600);
	time_t			now = time(NULL);

	(void)state;
	memset(&r, 0, sizeof r);
	r.titan = 1;
	strlcpy(r.certs[0], FP_A, sizeof r.certs[0]);
	r.ncerts = 1;
	assert_int_equal(access_titan(&r, NULL, NULL, now), ACCESS_NEED_CERT);
	assert_int_equal(access_titan(&r, &a, NULL, now), ACCESS_OK);
	assert_int_equal(access_titan(&r, &b, NULL, now), ACCESS_NOT_AUTHORISED);
	assert_int_equal(access_titan(&r, &old, NULL, now), ACCESS_NOT_VALID);
	assert_int_equal(access_titan(&r, NULL, "x", now), ACCESS_NEED_CERT);
	/* with a token: it alone suffices, a listed certificate too */
	strlcpy(r.titan_token, "s3cret", sizeof r.titan_token);
	assert_int_equal(access_titan(&r, NULL, "s3cret", now), ACCESS_OK);
	assert_int_equal(access_titan(&r, &b, "s3cret", now), ACCESS_OK);
	assert_int_equal(access_titan(&r, NULL, "s3cre", now), ACCESS_NOT_AUTHORISED);
	assert_int_equal(access_titan(&r, NULL, "s3crets", now), ACCESS_NOT_AUTHORISED);
	assert_int_equal(access_titan(&r, NULL, "", now), ACCESS_NOT_AUTHORISED);
	assert_int_equal(access_titan(&r, NULL, NULL, now), ACCESS_NOT_AUTHORISED);
	assert_int_equal(access_titan(&r, &a, "wrong", now), ACCESS_OK);
	assert_int_equal(access_titan(&r, &b, "wrong", now), ACCESS_NOT_AUTHORISED);
	/* a token-only path: a certificate does not help */
	r.ncerts = 0;
	assert_int_equal(access_titan(&r, &a, NULL, now), ACCESS_NOT_AUTHORISED);
}

/* ---- configuration ---- */

static struct config *
conf_parse(const char *text, char *err, size_t errsz, int *rc)
{
	struct config	*c = calloc(1, sizeof *c);

	assert_non_null(c);
	*rc = config_parse("t.conf", text, c, err, errsz);
	return c;
}

#define HOST	"[host a.example]\nroot = /srv/a\n"

static void
test_config_keys(void **state)
{
	struct config		*c;
	const struct path_rule	*r;
	char			 err[512];
	int			 rc;

	(void)state;
	c = conf_parse(HOST "[path a.example /private/]\nrequire_certificate = yes\n"
	    "allow_certificates = SHA256:" FP_A "  " FP_B "\n"
	    "allow_certificates_file = /etc/tulpar/readers\n"
	    "[path a.example /notes/]\ntitan = yes\ntitan_token = s3cret\n"
	    "titan_max_size = 64K\n", err, sizeof err, &rc);
	assert_int_equal(rc, 0);
	r = &c->hosts[0].paths[0];
	assert_true(r->require_cert);
	assert_int_equal(r->ncerts, 2);
	assert_string_equal(r->certs[0], FP_A);
	assert_string_equal(r->certs[1], FP_B);
	assert_string_equal(r->certs_file, "/etc/tulpar/readers");
	assert_int_equal(r->titan, -1);
	assert_int_equal(r->titan_max, -1);
	r = &c->hosts[0].paths[1];
	assert_int_equal(r->titan, 1);
	assert_string_equal(r->titan_token, "s3cret");
	assert_int_equal(r->titan_max, 64 * 1024);
	assert_true(path_rule_protected(c->hosts[0].paths, 2, "/private/x.gmi"));
	assert_false(path_rule_protected(c->hosts[0].paths, 2, "/notes/x.gmi"));
	assert_false(path_rule_protected(c->hosts[0].paths, 2, "/privatex"));
	assert_non_null(path_rule_titan(c->hosts[0].paths, 2, "/notes/a/b.gmi"));
	assert_null(path_rule_titan(c->hosts[0].paths, 2, "/private/a.gmi"));
	assert_true(host_wants_certs(&c->hosts[0]));
	free(c);

	c = conf_parse(HOST "[path a.example /old/]\nredirect = /new/\n", err,
	    sizeof err, &rc);
	assert_int_equal(rc, 0);
	assert_false(host_wants_certs(&c->hosts[0]));
	free(c);
}

static void
test_config_errors(void **state)
{
	static const struct {
		const char	*text;
		const char	*err;
	} cases[] = {
		{ HOST "[path a.example /p/]\nallow_certificates = abc\n",
		  "t.conf:4: invalid fingerprint 'abc' in allow_certificates" },
		{ HOST "[path a.example /p/]\nallow_certificates = MD5:" FP_A "\n",
		  "t.conf:4: invalid fingerprint" },
		{ HOST "[path a.example /p/]\nrequire_certificate = maybe\n",
		  "t.conf:4: invalid boolean 'maybe' for require_certificate" },
		{ HOST "[path a.example /p/]\ntitan = yes\n",
		  "t.conf: [path a.example /p/]: titan = yes needs" },
		{ HOST "[path a.example /p/]\ntitan = yes\ntitan_token = x\n"
		  "titan_max_size = 10T\n", "t.conf:6: invalid titan_max_size '10T'" },
		{ HOST "[path a.example /p/]\ntitan_max_size = -1\n",
		  "t.conf:4: invalid titan_max_size" },
		{ HOST "[host b.example]\nroot = /b\ntitan = yes\n",
		  "t.conf:5: unknown key 'titan' in [host b.example]" },
	};
	struct config	*c;
	char		 err[512];
	size_t		 i;
	int		 rc;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		c = conf_parse(cases[i].text, err, sizeof err, &rc);
		assert_int_equal(rc, -1);
		if (strncmp(err, cases[i].err, strlen(cases[i].err)) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s...\"", i, err,
			    cases[i].err);
		free(c);
	}
}

static void
test_config_too_many(void **state)
{
	char		 text[4096], err[512];
	struct config	*c;
	int		 i, rc;

	(void)state;
	/* one line holds two; lines add up, to CONFIG_MAX_CERTS */
	snprintf(text, sizeof text, "%s[path a.example /p/]\n", HOST);
	for (i = 0; i < CONFIG_MAX_CERTS / 2; i++)
		strlcat(text, "allow_certificates = " FP_A " " FP_B "\n", sizeof text);
	c = conf_parse(text, err, sizeof err, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(c->hosts[0].paths[0].ncerts, CONFIG_MAX_CERTS);
	free(c);
	strlcat(text, "allow_certificates = " FP_A "\n", sizeof text);
	c = conf_parse(text, err, sizeof err, &rc);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "too many fingerprints"));
	free(c);
}

static void
test_certs_file(void **state)
{
	char		*dir = unit_mkdtemp(), path[4096], text[8192], err[512];
	struct config	*c;
	int		 rc;

	(void)state;
	unit_write_str(dir, "good", "# readers\n\n  " FP_A "   # alice\n"
	    "SHA256:" FP_B "\n\t\n");
	unit_write_str(dir, "bad", FP_A "\nnot-a-fingerprint\n");
	unit_join(path, sizeof path, dir, "good");
	snprintf(text, sizeof text, HOST "[path a.example /p/]\n"
	    "allow_certificates_file = %s\n", path);
	c = conf_parse(text, err, sizeof err, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(access_load_files(c, err, sizeof err), 0);
	assert_int_equal(c->hosts[0].paths[0].nfile_certs, 2);
	assert_string_equal(c->hosts[0].paths[0].file_certs[1], FP_B);
	access_free_files(c);
	assert_null(c->hosts[0].paths[0].file_certs);
	unit_join(path, sizeof path, dir, "bad");
	strlcpy(c->hosts[0].paths[0].certs_file, path,
	    sizeof c->hosts[0].paths[0].certs_file);
	assert_int_equal(access_load_files(c, err, sizeof err), -1);
	assert_non_null(strstr(err, "bad:2: "));
	access_free_files(c);
	strlcat(c->hosts[0].paths[0].certs_file, ".missing",
	    sizeof c->hosts[0].paths[0].certs_file);
	assert_int_equal(access_load_files(c, err, sizeof err), -1);
	assert_non_null(strstr(err, "No such file"));
	access_free_files(c);
	free(c);
}

/* ---- the router ---- */

static struct config	*RC;
static struct site	 SITE;
static struct router	 ROUTER = { &SITE, 1, 1965 };

static int
router_setup(void **state)
{
	struct store_opts	o;
	char			err[512];
	int			rc;

	(void)state;
	RC = conf_parse("[host localhost]\nroot = " FIXTURE_ROOT "\n"
	    "[path localhost /docs/]\nallow_certificates = " FP_A "\n"
	    "[path localhost /plain/]\nrequire_certificate = yes\n"
	    "[path localhost /up/]\ntitan = yes\nallow_certificates = " FP_A "\n"
	    "[path localhost /up/tok/]\ntitan = yes\ntitan_token = t0k\n"
	    "[path localhost /up/off/]\ntitan = no\n", err, sizeof err, &rc);
	assert_int_equal(rc, 0);
	memset(&o, 0, sizeof o);
	o.root = FIXTURE_ROOT;
	o.host = "localhost";
	o.gopher_port = 7070;
	o.rules = RC->hosts[0].paths;
	o.nrules = RC->hosts[0].npaths;
	SITE.name = "localhost";
	SITE.conf = &RC->hosts[0];
	SITE.rootfd = -1;
	o.uid = (uid_t)-1;
	SITE.store = store_load(&o, err, sizeof err);
	assert_non_null(SITE.store);
	return 0;
}

static int
router_teardown(void **state)
{
	(void)state;
	store_free(SITE.store);
	free(RC);
	return 0;
}

static enum result_kind
resolve(const char *path, const struct peer *p)
{
	struct request	req = { .host = "localhost", .path = path, .peer = p };
	struct result	res;

	router_resolve(&ROUTER, &req, &res);
	return res.kind;
}

static enum result_kind
upload(const char *path, const struct peer *p, const char *token)
{
	struct request	req = { .host = "localhost", .path = path, .peer = p };
	struct result	res;

	router_upload(&ROUTER, &req, token, &res);
	if (res.kind == RESULT_UPLOAD)
		assert_string_equal(res.target, path);
	return res.kind;
}

static void
test_router_areas(void **state)
{
	struct peer	a = peer_make(FP_A, -60, 3600);
	struct peer	b = peer_make(FP_B, -60, 3600);
	struct peer	old = peer_make(FP_A, -7200, -3600);

	(void)state;
	assert_int_equal(resolve("/page.gmi", NULL), RESULT_NODE);
	assert_int_equal(resolve("/docs/", NULL), RESULT_CERT_NEEDED);
	assert_int_equal(resolve("/docs/", &b), RESULT_CERT_REFUSED);
	assert_int_equal(resolve("/docs/", &old), RESULT_CERT_INVALID);
	assert_int_equal(resolve("/docs/", &a), RESULT_NODE);
	assert_int_equal(resolve("/docs", NULL), RESULT_CERT_NEEDED);
	assert_int_equal(resolve("/docs/nothing-here", NULL), RESULT_CERT_NEEDED);
	assert_int_equal(resolve("/x/../docs/", NULL), RESULT_CERT_NEEDED);
	assert_int_equal(resolve("/plain/", &b), RESULT_NODE);
	assert_int_equal(resolve("/plain/", NULL), RESULT_CERT_NEEDED);
	/* the Titan path stays public to read */
	assert_int_equal(resolve("/up/x.gmi", NULL), RESULT_NOT_FOUND);
}

static void
test_router_upload(void **state)
{
	struct peer	a = peer_make(FP_A, -60, 3600);
	struct peer	b = peer_make(FP_B, -60, 3600);
	struct peer	old = peer_make(FP_A, -7200, -3600);

	(void)state;
	assert_int_equal(upload("/up/x.gmi", &a, NULL), RESULT_UPLOAD);
	assert_int_equal(upload("/up/new/dir/x.gmi", &a, NULL), RESULT_UPLOAD);
	assert_int_equal(upload("/up/x.gmi", NULL, NULL), RESULT_CERT_NEEDED);
	assert_int_equal(upload("/up/x.gmi", &b, NULL), RESULT_CERT_REFUSED);
	assert_int_equal(upload("/up/x.gmi", &old, NULL), RESULT_CERT_INVALID);
	assert_int_equal(upload("/up/tok/x.gmi", NULL, "t0k"), RESULT_UPLOAD);
	assert_int_equal(upload("/up/tok/x.gmi", NULL, "nope"), RESULT_CERT_REFUSED);
	assert_int_equal(upload("/up/tok/x.gmi", &a, NULL), RESULT_CERT_REFUSED);
	assert_int_equal(upload("/up/off/x.gmi", &a, NULL), RESULT_BAD_REQUEST);
	assert_int_equal(upload("/page.gmi", &a, NULL), RESULT_BAD_REQUEST);
	assert_int_equal(upload("/up/.x.gmi", &a, NULL), RESULT_BAD_REQUEST);
	assert_int_equal(upload("/up/.d/x.gmi", &a, NULL), RESULT_BAD_REQUEST);
	assert_int_equal(upload("/up/x\001.gmi", &a, NULL), RESULT_BAD_REQUEST);
	assert_int_equal(upload("/up/dir/", &a, NULL), RESULT_BAD_REQUEST);
	assert_int_equal(upload("/up/../../etc/passwd", &a, NULL), RESULT_BAD_REQUEST);
	assert_int_equal(upload("/up/../page.gmi", &a, NULL), RESULT_BAD_REQUEST);
}

/* ---- Gopher menus leave a protected link out ---- */

static int
classify_protect(void *arg, const char *path, char *type, char *sel,
    size_t selsz)
{
	(void)arg;
	if (strncmp(path, "/private/", 9) == 0)
		return -2;
	*type = '0';
	return strlcpy(sel, path, selsz) < selsz ? 0 : -1;
}

static void
test_menu_leaves_out(void **state)
{
	static const char page[] = "# Home\n=> /open.txt Open\n"
	    "=> /private/secret.gmi Secret\n=> gemini://localhost/private/x Also\n"
	    "=> /private/ The area\n";
	struct gopher_ctx	 ctx;
	struct buf		 b;

	(void)state;
	memset(&ctx, 0, sizeof ctx);
	ctx.host = "localhost";
	ctx.port = 70;
	ctx.dir = "/";
	ctx.gemini_host = "localhost";
	ctx.classify = classify_protect;
	buf_init(&b);
	gophermap_render(page, sizeof page - 1, &ctx, &b);
	assert_false(b.failed);
	assert_contains(b.data, b.len, "0Open\t/open.txt\tlocalhost\t70\r\n");
	assert_not_contains(b.data, b.len, "Secret");
	assert_not_contains(b.data, b.len, "Also");
	assert_not_contains(b.data, b.len, "area");
	assert_not_contains(b.data, b.len, "/private/");
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_titan_good),
		cmocka_unit_test(test_titan_bad),
		cmocka_unit_test(test_titan_size),
		cmocka_unit_test(test_fingerprints),
		cmocka_unit_test(test_access_check),
		cmocka_unit_test(test_access_titan),
		cmocka_unit_test(test_config_keys),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_config_too_many),
		cmocka_unit_test_teardown(test_certs_file, unit_tmp_teardown),
		cmocka_unit_test(test_menu_leaves_out),
		cmocka_unit_test_setup_teardown(test_router_areas, router_setup,
		    router_teardown),
		cmocka_unit_test_setup_teardown(test_router_upload, router_setup,
		    router_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
