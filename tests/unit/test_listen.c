/* Unit tests for src/listen.c: listen_parse and listen_format (no sockets). */
#include "unit.h"

#include "listen.h"

static void
parse_ok_at(const char *s, const char *host, int port, const char *file,
    int line)
{
	struct listen_addr	 la;
	const char		*errstr = NULL;
	int			 rc;

	memset(&la, 0xa5, sizeof(la));
	rc = listen_parse(s, &la, &errstr);
	if (rc != 0 || memchr(la.host, '\0', sizeof(la.host)) == NULL ||
	    strcmp(la.host, host) != 0 || la.port != port) {
		print_error("%s:%d: listen_parse(\"%s\") rc %d (%s) host \"%.64s\" "
		    "port %d, want 0 \"%s\" %d\n", file, line, s, rc,
		    errstr ? errstr : "", rc == 0 ? la.host : "", la.port,
		    host, port);
		_fail(file, line);
	}
}

#define PARSE_OK(s, host, port) parse_ok_at((s), (host), (port), __FILE__, __LINE__)

static void
parse_bad_at(const char *s, const char *file, int line)
{
	struct listen_addr	 la;
	const char		*errstr = NULL;
	int			 rc;

	memset(&la, 0, sizeof(la));
	rc = listen_parse(s, &la, &errstr);
	if (rc != -1 || errstr == NULL || errstr[0] == '\0') {
		print_error("%s:%d: listen_parse(\"%s\") rc %d errstr %s (host "
		    "\"%.64s\" port %d), want -1 with errstr\n", file, line, s,
		    rc, errstr ? errstr : "(null)", la.host, la.port);
		_fail(file, line);
	}
}

#define PARSE_BAD(s)	parse_bad_at((s), __FILE__, __LINE__)

static void
test_parse_port_only(void **state)
{
	(void)state;
	PARSE_OK("1965", "", 1965);
	PARSE_OK("70", "", 70);
	PARSE_OK("1", "", 1);
	PARSE_OK("65535", "", 65535);
}

static void
test_parse_ipv4(void **state)
{
	(void)state;
	PARSE_OK("127.0.0.1:7070", "127.0.0.1", 7070);
	PARSE_OK("0.0.0.0:70", "0.0.0.0", 70);
	PARSE_OK("192.168.1.20:1965", "192.168.1.20", 1965);
}

static void
test_parse_ipv6(void **state)
{
	(void)state;
	PARSE_OK("[::1]:1965", "::1", 1965);
	PARSE_OK("[::]:70", "::", 70);
	PARSE_OK("[2001:db8::1]:7070", "2001:db8::1", 7070);
}

static void
test_parse_bad_port(void **state)
{
	(void)state;
	PARSE_BAD("");
	PARSE_BAD("0");
	PARSE_BAD("65536");
	PARSE_BAD("99999");
	PARSE_BAD("abc");
	PARSE_BAD("-1");
	PARSE_BAD("70x");
	PARSE_BAD("1.2.3.4:70x");
	PARSE_BAD("1.2.3.4:65536");
	PARSE_BAD("1.2.3.4:0");
	PARSE_BAD("[::1]:0");
}

static void
test_parse_bad_address(void **state)
{
	(void)state;
	PARSE_BAD("127.0.0.1:");
	PARSE_BAD(":70");
	PARSE_BAD("[::1]");
	PARSE_BAD("[::1]:");
	PARSE_BAD("::1:70");
	PARSE_BAD("[::1:70");
	PARSE_BAD("::1]:70");
}

static void
format_at(const char *host, int port, const char *want, const char *file,
    int line)
{
	struct listen_addr	 la;
	char			 out[128];

	memset(&la, 0, sizeof(la));
	snprintf(la.host, sizeof(la.host), "%s", host);
	la.port = port;
	memset(out, 'Z', sizeof(out));
	listen_format(&la, out, sizeof(out));
	if (memchr(out, '\0', sizeof(out)) == NULL || strcmp(out, want) != 0) {
		print_error("%s:%d: listen_format(\"%s\", %d) = \"%.128s\", "
		    "want \"%s\"\n", file, line, host, port, out, want);
		_fail(file, line);
	}
}

#define FORMAT(host, port, want) format_at((host), (port), (want), __FILE__, __LINE__)

static void
test_format(void **state)
{
	(void)state;
	FORMAT("", 70, "*:70");
	FORMAT("127.0.0.1", 70, "127.0.0.1:70");
	FORMAT("::1", 1965, "[::1]:1965");
	FORMAT("2001:db8::1", 7070, "[2001:db8::1]:7070");
	FORMAT("0.0.0.0", 1965, "0.0.0.0:1965");
}

static void
test_format_small_buffer(void **state)
{
	struct listen_addr	 la;
	char			 out[32];
	size_t			 i;

	(void)state;
	memset(&la, 0, sizeof(la));
	snprintf(la.host, sizeof(la.host), "%s", "127.0.0.1");
	la.port = 7070;
	memset(out, 'Z', sizeof(out));
	listen_format(&la, out, 5);
	assert_non_null(memchr(out, '\0', 5));
	for (i = 5; i < sizeof(out); i++)
		assert_int_equal(out[i], 'Z');
}

static void
roundtrip_at(const char *s, const char *want, const char *file, int line)
{
	struct listen_addr	 la;
	const char		*errstr = NULL;
	char			 out[128];

	if (listen_parse(s, &la, &errstr) != 0) {
		print_error("%s:%d: listen_parse(\"%s\") failed: %s\n", file,
		    line, s, errstr ? errstr : "");
		_fail(file, line);
	}
	listen_format(&la, out, sizeof(out));
	if (strcmp(out, want) != 0) {
		print_error("%s:%d: \"%s\" formats as \"%s\", want \"%s\"\n",
		    file, line, s, out, want);
		_fail(file, line);
	}
}

static void
test_roundtrip(void **state)
{
	(void)state;
	roundtrip_at("1965", "*:1965", __FILE__, __LINE__);
	roundtrip_at("127.0.0.1:7070", "127.0.0.1:7070", __FILE__, __LINE__);
	roundtrip_at("[::1]:1965", "[::1]:1965", __FILE__, __LINE__);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_port_only),
		cmocka_unit_test(test_parse_ipv4),
		cmocka_unit_test(test_parse_ipv6),
		cmocka_unit_test(test_parse_bad_port),
		cmocka_unit_test(test_parse_bad_address),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_small_buffer),
		cmocka_unit_test(test_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
