/* Unit tests for the pure parts of programs: cgihdr.c, cgienv.c, fcgi.c's parser. */
#include "unit.h"

#include "cgienv.h"
#include "cgihdr.h"
#include "fcgi.h"

static int
hdr(const char *s, struct cgihdr *h, const char **errstr)
{
	return cgihdr_parse(s, strlen(s), h, errstr);
}

static void
test_header_ok(void **state)
{
	struct cgihdr	 h;
	const char	*e = NULL;

	(void)state;
	assert_int_equal(hdr("20 text/gemini\r\nbody", &h, &e), 1);
	assert_int_equal(h.status, 20);
	assert_int_equal(h.metalen, 11);
	assert_memory_equal(h.meta, "text/gemini", 11);
	assert_int_equal(h.len, 16);
	assert_int_equal(hdr("10 Name?\n", &h, &e), 1);	/* bare LF */
	assert_int_equal(h.status, 10);
	assert_int_equal(h.len, 9);
	assert_int_equal(hdr("31 \r\n", &h, &e), 1);		/* empty meta */
	assert_int_equal(h.metalen, 0);
	assert_int_equal(hdr("20 text/plain; charset=utf-8 \xc3\xa9\r\n", &h, &e), 1);
}

static void
test_header_more(void **state)
{
	struct cgihdr	 h;
	const char	*e = NULL;

	(void)state;
	assert_int_equal(hdr("", &h, &e), 0);
	assert_int_equal(hdr("2", &h, &e), 0);
	assert_int_equal(hdr("20", &h, &e), 0);
	assert_int_equal(hdr("20 text/gem", &h, &e), 0);
}

static void
test_header_bad(void **state)
{
	static const char *const bad[] = {
		"hello\n", "x", "2x text\r\n", "20text\r\n", "70 x\r\n", "00 x\r\n",
		"20\r\n", "20 a\tb\r\n", "20 \xff\r\n", "20 a\rb\r\n", "\n",
	};
	struct cgihdr	 h;
	const char	*e;
	char		 big[CGIHDR_MAX + 10];
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		e = NULL;
		if (hdr(bad[i], &h, &e) != -1 || e == NULL)
			fail_msg("accepted: %s", bad[i]);
	}
	/* meta of 1024 bytes is the limit; 1025 is one too many */
	memset(big, 'm', sizeof big);
	memcpy(big, "20 ", 3);
	memcpy(big + 3 + 1024, "\r\n", 2);
	assert_int_equal(cgihdr_parse(big, 3 + 1024 + 2, &h, &e), 1);
	memset(big, 'm', sizeof big);
	memcpy(big, "20 ", 3);
	memcpy(big + 3 + 1025, "\r\n", 2);
	assert_int_equal(cgihdr_parse(big, 3 + 1025 + 2, &h, &e), -1);
	/* no line end within 1029 bytes */
	memset(big, 'm', sizeof big);
	memcpy(big, "20 ", 3);
	assert_int_equal(cgihdr_parse(big, CGIHDR_MAX - 1, &h, &e), 0);
	assert_int_equal(cgihdr_parse(big, CGIHDR_MAX, &h, &e), -1);
}

static const char *
env_get(const struct cgi_env *e, const char *name)
{
	size_t	n = strlen(name);
	int	i;

	for (i = 0; i < e->n; i++)
		if (strncmp(e->vars[i], name, n) == 0 && e->vars[i][n] == '=')
			return e->vars[i] + n + 1;
	return NULL;
}

static void
test_env(void **state)
{
	struct cgi_vars	 v;
	struct cgi_env	*e = malloc(sizeof *e);
	struct peer	 p;
	const char	*err;

	(void)state;
	memset(&v, 0, sizeof v);
	memset(&p, 0, sizeof p);
	v.server_name = "example.org";
	v.server_port = 1965;
	v.remote_addr = "::1";
	v.script_name = "/cgi/x";
	v.path_info = "/a";
	v.doc_root = "/srv";
	v.script_filename = "/srv/cgi/x";
	v.url = "gemini://example.org/cgi/x/a";
	v.peer = &p;
	assert_int_equal(cgi_env_build(&v, e, &err), 0);
	assert_null(e->vars[e->n]);
	assert_string_equal(env_get(e, "SERVER_PROTOCOL"), "GEMINI");
	assert_string_equal(env_get(e, "SERVER_PORT"), "1965");
	assert_string_equal(env_get(e, "PATH_TRANSLATED"), "/srv/a");
	assert_string_equal(env_get(e, "QUERY_STRING"), "");
	assert_string_equal(env_get(e, "PATH"), CGIENV_PATH);
	assert_null(env_get(e, "AUTH_TYPE"));
	assert_null(env_get(e, "SELECTOR"));
	p.present = 1;
	strcpy(p.hash, "ab12");
	strcpy(p.cn, "alice");
	assert_int_equal(cgi_env_build(&v, e, &err), 0);
	assert_string_equal(env_get(e, "AUTH_TYPE"), "Certificate");
	assert_string_equal(env_get(e, "TLS_CLIENT_HASH"), "SHA256:ab12");
	assert_string_equal(env_get(e, "REMOTE_USER"), "alice");
	v.gopher = 1;
	v.path_info = "";
	v.selector = "/cgi/x";
	v.search = "a b";
	assert_int_equal(cgi_env_build(&v, e, &err), 0);
	assert_string_equal(env_get(e, "SERVER_PROTOCOL"), "GOPHER");
	assert_string_equal(env_get(e, "SEARCHREQUEST"), "a b");
	assert_string_equal(env_get(e, "PATH_TRANSLATED"), "");
	assert_null(env_get(e, "TLS_CLIENT_HASH"));
	assert_null(env_get(e, "GEMINI_URL"));
	free(e);
}

static void
test_query_encode(void **state)
{
	char	out[64];

	(void)state;
	assert_int_equal(cgi_query_encode("a b&c=d/é~", out, sizeof out), 0);
	assert_string_equal(out, "a%20b%26c%3Dd%2F%C3%A9~");
	assert_int_equal(cgi_query_encode("", out, sizeof out), 0);
	assert_string_equal(out, "");
	assert_int_equal(cgi_query_encode("   ", out, 9), -1);
	assert_int_equal(cgi_query_encode("   ", out, 10), 0);
}

/* Feeds bytes one at a time or whole; collects STDOUT, counts ENDs. */
static int
feed(const unsigned char *in, size_t n, size_t step, char *out, size_t *outlen,
    int *ends)
{
	struct fcgi_parser	p;
	struct fcgi_event	ev;
	const char		*e;
	size_t			 off = 0, chunk;
	ssize_t			 used;

	fcgi_parser_init(&p);
	*outlen = 0;
	*ends = 0;
	while (off < n) {
		chunk = n - off < step ? n - off : step;
		if ((used = fcgi_parse(&p, in + off, chunk, &ev, &e)) == -1)
			return -1;
		off += used;
		if (ev.type == FCGI_STDOUT) {
			memcpy(out + *outlen, ev.data, ev.len);
			*outlen += ev.len;
		}
		if (ev.type == FCGI_END_REQUEST)
			(*ends)++;
	}
	return p.state;
}

static void
test_fcgi_parse(void **state)
{
	static const unsigned char reply[] = {
		1, 6, 0, 1, 0, 5, 3, 0, 'h', 'e', 'l', 'l', 'o', 0, 0, 0,
		1, 7, 0, 1, 0, 2, 0, 0, 'e', '\n',
		1, 10, 0, 0, 0, 1, 0, 0, 'x',		/* a management record */
		1, 6, 0, 1, 0, 2, 0, 0, '!', '\n',
		1, 6, 0, 1, 0, 0, 0, 0,
		1, 3, 0, 1, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	};
	static const unsigned char badver[] = { 2, 6, 0, 1, 0, 0, 0, 0 };
	static const unsigned char badend[] = { 1, 3, 0, 1, 0, 4, 0, 0, 0, 0, 0, 0 };
	char	out[64];
	size_t	len, step;
	int	ends;

	(void)state;
	for (step = 1; step <= sizeof reply; step++) {
		assert_int_equal(feed(reply, sizeof reply, step, out, &len, &ends), 0);
		assert_int_equal(len, 7);
		assert_memory_equal(out, "hello!\n", 7);
		assert_int_equal(ends, 1);
	}
	assert_int_equal(feed(badver, sizeof badver, 8, out, &len, &ends), -1);
	assert_int_equal(feed(badend, sizeof badend, 8, out, &len, &ends), -1);
}

static void
test_fcgi_pair(void **state)
{
	unsigned char	out[400];
	char		v[200];

	(void)state;
	assert_int_equal(fcgi_pair(out, sizeof out, "AB", 2, "xyz", 3), 7);
	assert_memory_equal(out, "\002\003ABxyz", 7);
	memset(v, 'v', sizeof v);
	assert_int_equal(fcgi_pair(out, sizeof out, "A", 1, v, 200), 1 + 4 + 1 + 200);
	assert_memory_equal(out, "\001\x80\x00\x00\xc8" "A", 6);
	assert_int_equal(fcgi_pair(out, 10, "A", 1, v, 200), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_ok),
		cmocka_unit_test(test_header_more),
		cmocka_unit_test(test_header_bad),
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_query_encode),
		cmocka_unit_test(test_fcgi_parse),
		cmocka_unit_test(test_fcgi_pair),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
