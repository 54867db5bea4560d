/* Unit tests for src/url.c: request URL parsing, decoding, encoding, UTF-8, hosts. */
#include "unit.h"

#include "url.h"

/* Lengths are explicit so that NUL bytes can sit inside an input. */
#define S(lit)	lit, sizeof(lit) - 1

static struct url	 U;

static int
parse(const char *s, size_t len, const char **errstr)
{
	memset(&U, 0xa5, sizeof(U));
	*errstr = NULL;
	return url_parse(s, len, &U, errstr);
}

static void
expect_bad_at(const char *s, size_t len, const char *file, int line)
{
	const char	*errstr;
	char		 shown[8192];
	int		 rc;

	rc = parse(s, len, &errstr);
	unit_show(s, len, shown, sizeof(shown));
	if (rc != -1) {
		print_error("%s:%d: url_parse(\"%s\") returned %d, want -1\n",
		    file, line, shown, rc);
		_fail(file, line);
	}
	if (errstr == NULL || errstr[0] == '\0') {
		print_error("%s:%d: url_parse(\"%s\") failed without errstr\n",
		    file, line, shown);
		_fail(file, line);
	}
}

#define expect_bad(s, len)	expect_bad_at((s), (len), __FILE__, __LINE__)
#define BAD(lit)		expect_bad_at(S(lit), __FILE__, __LINE__)

static void
expect_ok_at(const char *s, size_t len, const char *file, int line)
{
	const char	*errstr;
	char		 shown[8192];
	int		 rc;

	rc = parse(s, len, &errstr);
	if (rc != 0) {
		unit_show(s, len, shown, sizeof(shown));
		print_error("%s:%d: url_parse(\"%s\") returned %d (%s), want 0\n",
		    file, line, shown, rc, errstr ? errstr : "no errstr");
		_fail(file, line);
	}
}

#define OK(lit)		expect_ok_at(S(lit), __FILE__, __LINE__)

/* A gemini URL parsed completely. */
static void
expect_gemini_at(const char *s, const char *host, int port, const char *path,
    int has_query, const char *query, const char *file, int line)
{
	expect_ok_at(s, strlen(s), file, line);
	if (strcmp(U.scheme, "gemini") != 0 || strcmp(U.host, host) != 0 ||
	    U.port != port || strcmp(U.path, path) != 0 ||
	    U.has_query != has_query ||
	    (has_query && strcmp(U.query, query) != 0)) {
		print_error("%s:%d: url_parse(\"%s\"):\n"
		    "  got  scheme \"%.32s\" host \"%.256s\" port %d path \"%.1025s\" "
		    "has_query %d query \"%.1025s\"\n"
		    "  want scheme \"gemini\" host \"%s\" port %d path \"%s\" "
		    "has_query %d query \"%s\"\n", file, line, s,
		    U.scheme, U.host, U.port, U.path, U.has_query,
		    U.has_query ? U.query : "", host, port, path, has_query,
		    query ? query : "");
		_fail(file, line);
	}
}

#define GEM(s, host, port, path, hq, q) \
	expect_gemini_at((s), (host), (port), (path), (hq), (q), __FILE__, __LINE__)

/* ---- url_parse: rejected requests ---- */

static void
test_parse_rejects_bom(void **state)
{
	(void)state;
	BAD("\xef\xbb\xbfgemini://localhost/");
	BAD("\xef\xbb\xbf");
}

static void
test_parse_rejects_control_bytes(void **state)
{
	(void)state;
	BAD("gemini://localhost/\x01");
	BAD("gemini://localhost/a\tb");
	BAD("gemini://localhost/a\rb");
	BAD("gemini://localhost/a\nb");
	BAD("gemini://localhost/\x1f");
	BAD("gemini://localhost/\x7f");
	BAD("gemini://local\x7fhost/");
	BAD("\x01gemini://localhost/");
	BAD("gemini://localhost/\r");
	BAD("gemini://localhost/p?a\x01");
	BAD("gemini://localhost/p?a\x7f");
	BAD("\x1b[31mgemini://localhost/");
}

static void
test_parse_rejects_nul(void **state)
{
	(void)state;
	BAD("gemini://localhost/a\0b");
	BAD("gemini://localhost/\0");
	BAD("\0gemini://localhost/");
	BAD("gemini://local\0host/");
	BAD("gemini://localhost/p?\0");
}

static void
test_parse_rejects_invalid_utf8(void **state)
{
	(void)state;
	BAD("gemini://localhost/\xc0\xaf");		/* overlong '/' */
	BAD("gemini://localhost/\xc1\xbf");		/* overlong */
	BAD("gemini://localhost/\xe0\x80\xaf");		/* overlong, 3 bytes */
	BAD("gemini://localhost/\xf0\x80\x80\xaf");	/* overlong, 4 bytes */
	BAD("gemini://localhost/\xed\xa0\x80");		/* surrogate D800 */
	BAD("gemini://localhost/\xed\xbf\xbf");		/* surrogate DFFF */
	BAD("gemini://localhost/\xc3");			/* truncated at end */
	BAD("gemini://localhost/\xe2\x82");		/* truncated at end */
	BAD("gemini://localhost/\xf0\x9d\x84");		/* truncated at end */
	BAD("gemini://localhost/\xc3x");		/* truncated before ASCII */
	BAD("gemini://localhost/\xe2\x82/x");		/* truncated before ASCII */
	BAD("gemini://localhost/\x80");			/* lone continuation */
	BAD("gemini://localhost/\xbf");			/* lone continuation */
	BAD("gemini://localhost/\xf5\x80\x80\x80");	/* F5: above U+10FFFF */
	BAD("gemini://localhost/\xf4\x90\x80\x80");	/* U+110000 */
	BAD("gemini://localhost/\xf8\x88\x80\x80\x80");	/* 5-byte form */
	BAD("gemini://localhost/\xfe");
	BAD("gemini://localhost/\xff");
	BAD("gemini://localhost/p?\xff");		/* raw, in the query */
}

static void
test_parse_rejects_relative(void **state)
{
	(void)state;
	BAD("/foo");
	BAD("foo");
	BAD("//host/");
	BAD("//localhost/page.gmi");
	BAD("localhost/page.gmi");
	BAD("");
}

static void
test_parse_rejects_userinfo(void **state)
{
	(void)state;
	BAD("gemini://user@host/");
	BAD("gemini://user:pass@host/");
	BAD("gemini://user@localhost:1965/page.gmi");
}

static void
test_parse_rejects_fragment(void **state)
{
	(void)state;
	BAD("gemini://host/#x");
	BAD("gemini://host/#");
	BAD("gemini://host/page.gmi#top");
	BAD("gemini://host/p?q#x");
	BAD("gemini://host/p?a#");
	BAD("gemini://host#x");
}

static void
test_parse_rejects_bad_percent(void **state)
{
	(void)state;
	BAD("gemini://localhost/%zz");
	BAD("gemini://localhost/%4");
	BAD("gemini://localhost/%4/");
	BAD("gemini://localhost/%");
	BAD("gemini://localhost/a%");
	BAD("gemini://localhost/%g0");
	BAD("gemini://localhost/%0g");
	BAD("gemini://localhost/% 1");
}

static void
test_parse_rejects_pct00(void **state)
{
	(void)state;
	BAD("gemini://localhost/%00");
	BAD("gemini://localhost/a%00b");
	BAD("gemini://localhost/page.gmi%00.txt");
	BAD("gemini://localhost/page.gmi?a%00b");
}

static void
test_parse_rejects_query_invalid_utf8(void **state)
{
	(void)state;
	BAD("gemini://localhost/page.gmi?%ff");
	BAD("gemini://localhost/page.gmi?%c0%af");
	OK("gemini://localhost/page.gmi?%c3%bc");
}

static void
test_parse_rejects_decoded_invalid_utf8(void **state)
{
	(void)state;
	BAD("gemini://localhost/%ff");
	BAD("gemini://localhost/%FF");
	BAD("gemini://localhost/%c0%af");
	BAD("gemini://localhost/%C0%AF");
	BAD("gemini://localhost/%ed%a0%80");
	BAD("gemini://localhost/%c3");
	BAD("gemini://localhost/%c3x");
	BAD("gemini://localhost/%80");
	BAD("gemini://localhost/%f5%80%80%80");
	BAD("gemini://localhost/%e2%82");		/* decodes to a truncated sequence */
	BAD("gemini://localhost/%e2%82/x");
}

static void
test_parse_rejects_decoded_control(void **state)
{
	(void)state;
	BAD("gemini://localhost/%0a");
	BAD("gemini://localhost/%0A");
	BAD("gemini://localhost/%0d");
	BAD("gemini://localhost/%09");
	BAD("gemini://localhost/%01");
	BAD("gemini://localhost/%1f");
	BAD("gemini://localhost/%7f");
	BAD("gemini://localhost/%7F");
	BAD("gemini://localhost/a%0d%0ab");
}

static void
test_parse_rejects_bad_port(void **state)
{
	(void)state;
	BAD("gemini://h:99999/");
	BAD("gemini://h:65536/");
	BAD("gemini://h:abc/");
	BAD("gemini://h:-1/");
	BAD("gemini://h:1965x/");
	BAD("gemini://h:19 65/");
	BAD("gemini://h:+1965/");
	BAD("gemini://h:99999999999999999999/");
}

static void
test_parse_rejects_empty_host(void **state)
{
	(void)state;
	BAD("gemini:///path");
	BAD("gemini:///");
	BAD("gemini://");
	BAD("gemini://:1965/");
}

static void
test_parse_length_limit(void **state)
{
	char		 line[URL_MAX + 2];
	const char	*pre = "gemini://localhost/";
	size_t		 n = strlen(pre);

	(void)state;
	memcpy(line, pre, n);
	memset(line + n, 'a', sizeof(line) - n);

	/* Exactly 1024 bytes parses. */
	expect_ok_at(line, URL_MAX, __FILE__, __LINE__);
	assert_string_equal(U.scheme, "gemini");
	assert_int_equal(strlen(U.path), URL_MAX - strlen("gemini://localhost"));
	assert_int_equal(U.path[0], '/');
	assert_int_equal(U.path[1], 'a');
	assert_int_equal(U.path[URL_MAX - strlen("gemini://localhost") - 1], 'a');

	/* 1025 bytes does not. */
	expect_bad(line, URL_MAX + 1);

	/* Much longer does not either, with a query too. */
	line[n] = '?';
	expect_bad(line, URL_MAX + 2);
}

/* ---- url_parse: accepted requests ---- */

static void
test_parse_other_schemes(void **state)
{
	(void)state;
	OK("https://example.org/");
	assert_string_equal(U.scheme, "https");
	OK("gopher://example.org/1/");
	assert_string_equal(U.scheme, "gopher");
	OK("titan://localhost/upload;size=10");
	assert_string_equal(U.scheme, "titan");
	OK("HTTPS://example.org/");
	assert_string_equal(U.scheme, "https");
	OK("Http://example.org/");
	assert_string_equal(U.scheme, "http");
}

static void
test_parse_basic(void **state)
{
	(void)state;
	GEM("gemini://localhost/", "localhost", -1, "/", 0, NULL);
	GEM("gemini://localhost/page.gmi", "localhost", -1, "/page.gmi", 0, NULL);
	GEM("gemini://localhost/docs/", "localhost", -1, "/docs/", 0, NULL);
	GEM("gemini://example.org/a/b/c.gmi", "example.org", -1, "/a/b/c.gmi",
	    0, NULL);
}

static void
test_parse_scheme_case(void **state)
{
	(void)state;
	GEM("GEMINI://localhost/", "localhost", -1, "/", 0, NULL);
	GEM("Gemini://localhost/x", "localhost", -1, "/x", 0, NULL);
}

static void
test_parse_host_as_written(void **state)
{
	(void)state;
	GEM("gemini://LocalHost./", "LocalHost.", -1, "/", 0, NULL);
	GEM("gemini://EXAMPLE.org/", "EXAMPLE.org", -1, "/", 0, NULL);
	GEM("gemini://127.0.0.1/", "127.0.0.1", -1, "/", 0, NULL);
}

static void
test_parse_port(void **state)
{
	(void)state;
	GEM("gemini://h:1965/", "h", 1965, "/", 0, NULL);
	GEM("gemini://h:1966/x", "h", 1966, "/x", 0, NULL);
	GEM("gemini://h:65535/", "h", 65535, "/", 0, NULL);
	GEM("gemini://h:/", "h", -1, "/", 0, NULL);
	GEM("gemini://h:1965", "h", 1965, "", 0, NULL);
	GEM("gemini://h:7070?q", "h", 7070, "", 1, "q");
}

static void
test_parse_ipv6(void **state)
{
	(void)state;
	GEM("gemini://[::1]:1965/", "[::1]", 1965, "/", 0, NULL);
	GEM("gemini://[::1]/", "[::1]", -1, "/", 0, NULL);
	GEM("gemini://[2001:db8::1]:1966/a", "[2001:db8::1]", 1966, "/a", 0, NULL);
}

static void
test_parse_path_decoded_not_canonical(void **state)
{
	(void)state;
	GEM("gemini://h/a%20b/%2e%2e/c", "h", -1, "/a b/../c", 0, NULL);
	GEM("gemini://h/a/../b/./c", "h", -1, "/a/../b/./c", 0, NULL);
	GEM("gemini://h//a//b", "h", -1, "//a//b", 0, NULL);
	GEM("gemini://h/%C3%BC", "h", -1, "/\xc3\xbc", 0, NULL);
	GEM("gemini://h/%c3%bc", "h", -1, "/\xc3\xbc", 0, NULL);
	GEM("gemini://h/a%2Fb", "h", -1, "/a/b", 0, NULL);
	GEM("gemini://h/a+b", "h", -1, "/a+b", 0, NULL);
	GEM("gemini://h/%25", "h", -1, "/%", 0, NULL);
	GEM("gemini://h/%3F", "h", -1, "/?", 0, NULL);
}

static void
test_parse_empty_path(void **state)
{
	(void)state;
	GEM("gemini://h", "h", -1, "", 0, NULL);
	GEM("gemini://localhost", "localhost", -1, "", 0, NULL);
}

static void
test_parse_query(void **state)
{
	(void)state;
	GEM("gemini://h/p?a%20b", "h", -1, "/p", 1, "a%20b");
	GEM("gemini://h/p?", "h", -1, "/p", 1, "");
	GEM("gemini://h/p?x=1&y=2", "h", -1, "/p", 1, "x=1&y=2");
	GEM("gemini://h/p?a?b", "h", -1, "/p", 1, "a?b");
	GEM("gemini://h?q", "h", -1, "", 1, "q");
	GEM("gemini://h/p", "h", -1, "/p", 0, NULL);
	assert_int_equal(U.has_query, 0);
}

static void
test_parse_raw_space_and_utf8(void **state)
{
	(void)state;
	GEM("gemini://h/a b", "h", -1, "/a b", 0, NULL);
	GEM("gemini://h/with space.gmi", "h", -1, "/with space.gmi", 0, NULL);
	GEM("gemini://h/\xc3\xbc", "h", -1, "/\xc3\xbc", 0, NULL);
	GEM("gemini://h/\xc3\xbc" "n\xc3\xaf.gmi", "h", -1,
	    "/\xc3\xbc" "n\xc3\xaf.gmi", 0, NULL);
	GEM("gemini://h/\xe2\x82\xac\xf0\x9d\x84\x9e", "h", -1,
	    "/\xe2\x82\xac\xf0\x9d\x84\x9e", 0, NULL);
	GEM("gemini://h/\xf4\x8f\xbf\xbf", "h", -1, "/\xf4\x8f\xbf\xbf", 0, NULL);
}

/* ---- url_decode ---- */

static void
expect_decode_at(const char *in, const char *want, const char *file, int line)
{
	char		 out[256];
	const char	*errstr = NULL;
	int		 rc;

	memset(out, 'Z', sizeof(out));
	rc = url_decode(in, strlen(in), out, sizeof(out), &errstr);
	if (rc < 0 || memchr(out, '\0', sizeof(out)) == NULL ||
	    strcmp(out, want) != 0 ||
	    (rc != 0 && rc != (int)strlen(want))) {
		print_error("%s:%d: url_decode(\"%s\") rc %d (%s)\n",
		    file, line, in, rc, errstr ? errstr : "");
		if (rc >= 0 && memchr(out, '\0', sizeof(out)) != NULL)
			print_error("  got \"%s\" want \"%s\"\n", out, want);
		_fail(file, line);
	}
}

#define DECODE(in, want)	expect_decode_at((in), (want), __FILE__, __LINE__)

static void
expect_decode_bad_at(const char *in, size_t outsz, const char *file, int line)
{
	char		 out[256];
	const char	*errstr = NULL;
	int		 rc;
	size_t		 i;

	memset(out, 'Z', sizeof(out));
	rc = url_decode(in, strlen(in), out, outsz, &errstr);
	if (rc != -1) {
		print_error("%s:%d: url_decode(\"%s\", outsz %zu) rc %d, want -1\n",
		    file, line, in, outsz, rc);
		_fail(file, line);
	}
	if (errstr == NULL || errstr[0] == '\0') {
		print_error("%s:%d: url_decode(\"%s\") failed without errstr\n",
		    file, line, in);
		_fail(file, line);
	}
	for (i = outsz; i < sizeof(out); i++)
		if (out[i] != 'Z') {
			print_error("%s:%d: url_decode(\"%s\") wrote past outsz %zu\n",
			    file, line, in, outsz);
			_fail(file, line);
		}
}

#define DECODE_BAD(in, outsz) \
	expect_decode_bad_at((in), (outsz), __FILE__, __LINE__)

static void
test_decode(void **state)
{
	(void)state;
	DECODE("", "");
	DECODE("plain", "plain");
	DECODE("a%20b", "a b");
	DECODE("%C3%BC", "\xc3\xbc");
	DECODE("%c3%bc", "\xc3\xbc");
	DECODE("%2F%2f", "//");
	DECODE("%25", "%");
	DECODE("%2525", "%25");
	DECODE("a+b", "a+b");
	DECODE("/a%20b/%2e%2e/c", "/a b/../c");
}

static void
test_decode_errors(void **state)
{
	(void)state;
	DECODE_BAD("%zz", 256);
	DECODE_BAD("%4", 256);
	DECODE_BAD("a%", 256);
	DECODE_BAD("%", 256);
	DECODE_BAD("%g1", 256);
	DECODE_BAD("%00", 256);
	DECODE_BAD("a%00b", 256);
}

static void
test_decode_overflow(void **state)
{
	char		 out[8];
	const char	*errstr = NULL;

	(void)state;
	/* Three bytes and the NUL fit in four. */
	memset(out, 'Z', sizeof(out));
	assert_true(url_decode("abc", 3, out, 4, &errstr) >= 0);
	assert_string_equal(out, "abc");
	assert_int_equal(out[4], 'Z');

	DECODE_BAD("abcd", 4);
	DECODE_BAD("abcdefghijkl", 4);
	DECODE_BAD("%20%20%20%20", 4);
	DECODE_BAD("a", 1);
}

static void
test_decode_respects_length(void **state)
{
	char		 out[32];
	const char	*errstr = NULL;

	(void)state;
	memset(out, 'Z', sizeof(out));
	assert_true(url_decode("abc%20def", 3, out, sizeof(out), &errstr) >= 0);
	assert_string_equal(out, "abc");
	/* A length that cuts an escape in half makes it a bad escape. */
	errstr = NULL;
	assert_int_equal(url_decode("a%20", 3, out, sizeof(out), &errstr), -1);
	assert_non_null(errstr);
}

/* ---- url_encode_path ---- */

static void
expect_encode_at(const char *in, const char *want, const char *file, int line)
{
	char	 out[256];
	int	 rc;

	memset(out, 'Z', sizeof(out));
	rc = url_encode_path(in, out, sizeof(out));
	if (rc < 0 || memchr(out, '\0', sizeof(out)) == NULL ||
	    strcmp(out, want) != 0) {
		char shown[512];

		unit_show(in, strlen(in), shown, sizeof(shown));
		print_error("%s:%d: url_encode_path(\"%s\") rc %d\n", file, line,
		    shown, rc);
		if (rc >= 0 && memchr(out, '\0', sizeof(out)) != NULL)
			print_error("  got \"%s\" want \"%s\"\n", out, want);
		_fail(file, line);
	}
}

#define ENCODE(in, want)	expect_encode_at((in), (want), __FILE__, __LINE__)

static void
test_encode_path(void **state)
{
	(void)state;
	ENCODE("", "");
	ENCODE("/a/b.gmi", "/a/b.gmi");
	ENCODE("/", "/");
	ENCODE("/A-Z_a-z.0~9/", "/A-Z_a-z.0~9/");
	ENCODE(" ", "%20");
	ENCODE("/with space.gmi", "/with%20space.gmi");
	ENCODE("\xc3\xbc", "%C3%BC");
	ENCODE("/\xc3\xbc" "n\xc3\xaf.gmi", "/%C3%BCn%C3%AF.gmi");
	ENCODE("?", "%3F");
	ENCODE("/a?b", "/a%3Fb");
	ENCODE("#", "%23");
	ENCODE("/a#b", "/a%23b");
	ENCODE("%", "%25");
	ENCODE("/100%", "/100%25");
	ENCODE("\t", "%09");
	ENCODE("\x7f", "%7F");
	ENCODE("a b c", "a%20b%20c");
}

static void
test_encode_roundtrip(void **state)
{
	const char	*in = "/d\xc3\xae r/x?y#z%w.gmi";
	char		 enc[256], dec[256];
	const char	*errstr = NULL;

	(void)state;
	assert_true(url_encode_path(in, enc, sizeof(enc)) >= 0);
	assert_null(strchr(enc, ' '));
	assert_null(strchr(enc, '?'));
	assert_null(strchr(enc, '#'));
	assert_true(url_decode(enc, strlen(enc), dec, sizeof(dec), &errstr) >= 0);
	assert_string_equal(dec, in);
}

static void
test_encode_overflow(void **state)
{
	char	 out[32];
	size_t	 i;

	(void)state;
	memset(out, 'Z', sizeof(out));
	/* " " needs four bytes with the NUL: "%20". */
	assert_int_equal(url_encode_path("  ", out, 4), -1);
	for (i = 4; i < sizeof(out); i++)
		assert_int_equal(out[i], 'Z');
	memset(out, 'Z', sizeof(out));
	assert_int_equal(url_encode_path("/abcdefgh", out, 5), -1);
	for (i = 5; i < sizeof(out); i++)
		assert_int_equal(out[i], 'Z');
	memset(out, 'Z', sizeof(out));
	assert_true(url_encode_path(" ", out, 4) >= 0);
	assert_string_equal(out, "%20");
}

/* ---- utf8_valid ---- */

#define VALID(lit)	assert_true(utf8_valid(S(lit)) != 0)
#define INVALID(lit)	assert_int_equal(utf8_valid(S(lit)), 0)

static void
test_utf8_valid(void **state)
{
	(void)state;
	VALID("");
	VALID("plain ascii");
	VALID("\xc3\xbc");			/* U+00FC */
	VALID("\xc2\x80");			/* U+0080, smallest 2-byte */
	VALID("\xdf\xbf");			/* U+07FF */
	VALID("\xe0\xa0\x80");			/* U+0800, smallest 3-byte */
	VALID("\xe2\x82\xac");			/* U+20AC */
	VALID("\xed\x9f\xbf");			/* U+D7FF, below surrogates */
	VALID("\xee\x80\x80");			/* U+E000, above surrogates */
	VALID("\xef\xbf\xbf");			/* U+FFFF */
	VALID("\xf0\x90\x80\x80");		/* U+10000, smallest 4-byte */
	VALID("\xf0\x9d\x84\x9e");		/* U+1D11E */
	VALID("\xf4\x8f\xbf\xbf");		/* U+10FFFF */
	VALID("a\xc3\xbc" "b\xe2\x82\xac" "c");
}

static void
test_utf8_invalid(void **state)
{
	(void)state;
	INVALID("\xc0\xaf");
	INVALID("\xc0\x80");
	INVALID("\xc1\xbf");
	INVALID("\xe0\x80\xaf");
	INVALID("\xe0\x9f\xbf");
	INVALID("\xf0\x80\x80\xaf");
	INVALID("\xf0\x8f\xbf\xbf");
	INVALID("\xed\xa0\x80");
	INVALID("\xed\xbf\xbf");
	INVALID("\xf4\x90\x80\x80");
	INVALID("\xf5\x80\x80\x80");
	INVALID("\xf8\x88\x80\x80\x80");
	INVALID("\xfe");
	INVALID("\xff");
	INVALID("\x80");
	INVALID("a\xbf");
	INVALID("\xc3");
	INVALID("\xe2\x82");
	INVALID("\xf0\x9d\x84");
	INVALID("\xc3\x28");
	INVALID("\xe2\x28\xac");
	INVALID("ok\xc3");
}

static void
test_utf8_respects_length(void **state)
{
	(void)state;
	/* The length cuts a sequence that continues in memory. */
	assert_int_equal(utf8_valid("\xc3\xbc", 1), 0);
	assert_int_equal(utf8_valid("a\xe2\x82\xac", 3), 0);
	assert_true(utf8_valid("ab\xff", 2) != 0);
}

/* ---- url_host_equal ---- */

static void
test_host_equal(void **state)
{
	(void)state;
	assert_true(url_host_equal("localhost", "localhost") != 0);
	assert_true(url_host_equal("LOCALHOST", "localhost") != 0);
	assert_true(url_host_equal("localhost", "LocalHost") != 0);
	assert_true(url_host_equal("localhost.", "localhost") != 0);
	assert_true(url_host_equal("LocalHost.", "localhost") != 0);
	assert_true(url_host_equal("Example.ORG", "example.org") != 0);
	assert_true(url_host_equal("example.org.", "example.org") != 0);
}

static void
test_host_not_equal(void **state)
{
	(void)state;
	assert_int_equal(url_host_equal("localhost..", "localhost"), 0);
	assert_int_equal(url_host_equal("localhostx", "localhost"), 0);
	assert_int_equal(url_host_equal("localhos", "localhost"), 0);
	assert_int_equal(url_host_equal("", "localhost"), 0);
	assert_int_equal(url_host_equal(".", "localhost"), 0);
	assert_int_equal(url_host_equal("example.org", "localhost"), 0);
	assert_int_equal(url_host_equal("localhost.org", "localhost"), 0);
	assert_int_equal(url_host_equal("xlocalhost", "localhost"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_rejects_bom),
		cmocka_unit_test(test_parse_rejects_control_bytes),
		cmocka_unit_test(test_parse_rejects_nul),
		cmocka_unit_test(test_parse_rejects_invalid_utf8),
		cmocka_unit_test(test_parse_rejects_relative),
		cmocka_unit_test(test_parse_rejects_userinfo),
		cmocka_unit_test(test_parse_rejects_fragment),
		cmocka_unit_test(test_parse_rejects_bad_percent),
		cmocka_unit_test(test_parse_rejects_pct00),
		cmocka_unit_test(test_parse_rejects_query_invalid_utf8),
		cmocka_unit_test(test_parse_rejects_decoded_invalid_utf8),
		cmocka_unit_test(test_parse_rejects_decoded_control),
		cmocka_unit_test(test_parse_rejects_bad_port),
		cmocka_unit_test(test_parse_rejects_empty_host),
		cmocka_unit_test(test_parse_length_limit),
		cmocka_unit_test(test_parse_other_schemes),
		cmocka_unit_test(test_parse_basic),
		cmocka_unit_test(test_parse_scheme_case),
		cmocka_unit_test(test_parse_host_as_written),
		cmocka_unit_test(test_parse_port),
		cmocka_unit_test(test_parse_ipv6),
		cmocka_unit_test(test_parse_path_decoded_not_canonical),
		cmocka_unit_test(test_parse_empty_path),
		cmocka_unit_test(test_parse_query),
		cmocka_unit_test(test_parse_raw_space_and_utf8),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_decode_errors),
		cmocka_unit_test(test_decode_overflow),
		cmocka_unit_test(test_decode_respects_length),
		cmocka_unit_test(test_encode_path),
		cmocka_unit_test(test_encode_roundtrip),
		cmocka_unit_test(test_encode_overflow),
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_utf8_invalid),
		cmocka_unit_test(test_utf8_respects_length),
		cmocka_unit_test(test_host_equal),
		cmocka_unit_test(test_host_not_equal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
