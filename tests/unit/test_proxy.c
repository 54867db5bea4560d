/* Unit tests for src/proxy.c: PROXY protocol v1 lines and v2 binary headers. */
#include "unit.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "proxy.h"

/* Lengths are explicit so that NUL bytes can sit inside an input. */
#define S(lit)		(const unsigned char *)(lit), sizeof(lit) - 1

/* The v2 signature, 12 bytes with a NUL in the middle. */
#define SIG		"\r\n\r\n\0\r\nQUIT\n"
#define SIG_LEN		12

static struct proxy_info	 PI;
static size_t			 USED;

static int
parse(const unsigned char *s, size_t len, const char **errstr)
{
	memset(&PI, 0xa5, sizeof PI);
	USED = 12345;
	*errstr = NULL;
	return proxy_parse(s, len, &PI, &USED, errstr);
}

/* Parses a private copy of exactly len bytes, so a sanitizer sees any overread. */
static int
parse_exact(const unsigned char *s, size_t len, const char **errstr)
{
	unsigned char	*copy = malloc(len ? len : 1);
	int		 rc;

	assert_non_null(copy);
	if (len > 0)
		memcpy(copy, s, len);
	rc = parse(copy, len, errstr);
	free(copy);
	return rc;
}

static void
expect_rc_at(const unsigned char *s, size_t len, int want, const char *file,
    int line)
{
	const char	*errstr;
	char		 shown[1024];
	int		 rc;

	rc = parse_exact(s, len, &errstr);
	if (rc != want) {
		unit_show((const char *)s, len, shown, sizeof shown);
		print_error("%s:%d: proxy_parse(\"%s\", %zu) returned %d (%s), "
		    "want %d\n", file, line, shown, len, rc,
		    errstr ? errstr : "no errstr", want);
		_fail(file, line);
	}
	if (rc == -1 && (errstr == NULL || errstr[0] == '\0')) {
		unit_show((const char *)s, len, shown, sizeof shown);
		print_error("%s:%d: proxy_parse(\"%s\") failed without errstr\n",
		    file, line, shown);
		_fail(file, line);
	}
}

#define expect_rc(s, len, want)	expect_rc_at((s), (len), (want), __FILE__, __LINE__)
#define BAD(lit)		expect_rc_at(S(lit), -1, __FILE__, __LINE__)
#define MORE(lit)		expect_rc_at(S(lit), 0, __FILE__, __LINE__)

/* Parses s, wants a whole header of want_used bytes. */
static void
expect_ok_at(const unsigned char *s, size_t len, size_t want_used,
    const char *file, int line)
{
	expect_rc_at(s, len, 1, file, line);
	if (USED != want_used) {
		print_error("%s:%d: used %zu bytes, want %zu\n", file, line, USED,
		    want_used);
		_fail(file, line);
	}
}

#define expect_ok(s, len, used)	expect_ok_at((s), (len), (used), __FILE__, __LINE__)
#define OK(lit)			expect_ok_at(S(lit), sizeof(lit) - 1, __FILE__, __LINE__)
#define OK_USED(lit, used)	expect_ok_at(S(lit), (used), __FILE__, __LINE__)

/* Checks one address of PI against its text form and port. */
static void
assert_addr(const struct sockaddr_storage *ss, socklen_t sl, int af,
    const char *want, unsigned int port)
{
	char		 s[INET6_ADDRSTRLEN];
	const void	*a;
	in_port_t	 p;

	assert_int_equal(ss->ss_family, af);
	if (af == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

		assert_int_equal(sl, sizeof(struct sockaddr_in));
		a = &sin->sin_addr;
		p = sin->sin_port;
	} else {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

		assert_int_equal(sl, sizeof(struct sockaddr_in6));
		a = &sin6->sin6_addr;
		p = sin6->sin6_port;
		assert_int_equal(sin6->sin6_flowinfo, 0);
		assert_int_equal(sin6->sin6_scope_id, 0);
	}
	assert_non_null(inet_ntop(af, a, s, sizeof s));
	assert_string_equal(s, want);
	assert_int_equal(ntohs(p), port);
}

static void
assert_local(void)
{
	assert_int_equal(PI.local, 1);
	assert_int_equal(PI.srclen, 0);
	assert_int_equal(PI.dstlen, 0);
	assert_int_equal(PI.src.ss_family, AF_UNSPEC);
	assert_int_equal(PI.dst.ss_family, AF_UNSPEC);
}

/* Every proper prefix of a valid header asks for more bytes. */
static void
expect_prefixes_at(const unsigned char *s, size_t len, const char *file,
    int line)
{
	size_t	k;

	for (k = 0; k < len; k++)
		expect_rc_at(s, k, 0, file, line);
}

#define expect_prefixes(s, len)	expect_prefixes_at((s), (len), __FILE__, __LINE__)

/* A v2 header: signature, ver-cmd, fam, a length field, then body. */
static size_t
v2(unsigned char *out, size_t outsz, unsigned int vercmd, unsigned int fam,
    size_t lenfield, const void *body, size_t bodylen)
{
	assert_true(16 + bodylen <= outsz);
	memcpy(out, SIG, SIG_LEN);
	out[12] = (unsigned char)vercmd;
	out[13] = (unsigned char)fam;
	out[14] = (unsigned char)(lenfield >> 8);
	out[15] = (unsigned char)(lenfield & 0xff);
	if (bodylen > 0)
		memcpy(out + 16, body, bodylen);
	return 16 + bodylen;
}

/* 192.0.2.1:51234 -> 198.51.100.7:1965 */
static const unsigned char addrs4[12] = {
	192, 0, 2, 1, 198, 51, 100, 7, 0xc8, 0x22, 0x07, 0xad
};

/* [2001:db8::1]:51234 -> [2001:db8::ffff:2]:70 */
static const unsigned char addrs6[36] = {
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 2,
	0xc8, 0x22, 0x00, 0x46
};

static void
test_constants(void **state)
{
	(void)state;
	assert_int_equal(PROXY_V1_MAX, 107);
	assert_int_equal(PROXY_V2_MAX, 65551);
}

static void
test_empty_needs_more(void **state)
{
	(void)state;
	MORE("");
}

/* v1 */

static void
test_v1_tcp4(void **state)
{
	(void)state;
	OK("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n");
	assert_int_equal(PI.local, 0);
	assert_addr(&PI.src, PI.srclen, AF_INET, "192.168.0.1", 56324);
	assert_addr(&PI.dst, PI.dstlen, AF_INET, "192.168.0.11", 443);
}

static void
test_v1_tcp4_longest(void **state)
{
	(void)state;
	OK("PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n");
	assert_int_equal(USED, 56);
	assert_addr(&PI.src, PI.srclen, AF_INET, "255.255.255.255", 65535);
	assert_addr(&PI.dst, PI.dstlen, AF_INET, "255.255.255.255", 65535);
}

static void
test_v1_tcp6(void **state)
{
	(void)state;
	OK("PROXY TCP6 2001:db8::1 2001:DB8::FFFF:2 51234 1965\r\n");
	assert_int_equal(PI.local, 0);
	assert_addr(&PI.src, PI.srclen, AF_INET6, "2001:db8::1", 51234);
	assert_addr(&PI.dst, PI.dstlen, AF_INET6, "2001:db8::ffff:2", 1965);
}

static void
test_v1_tcp6_forms(void **state)
{
	static const unsigned char longest[] = "PROXY TCP6 "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";

	(void)state;
	expect_ok(longest, sizeof longest - 1, 104);
	assert_addr(&PI.src, PI.srclen, AF_INET6,
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535);
	OK("PROXY TCP6 :: ::1 0 70\r\n");
	assert_addr(&PI.src, PI.srclen, AF_INET6, "::", 0);
	assert_addr(&PI.dst, PI.dstlen, AF_INET6, "::1", 70);
	OK("PROXY TCP6 ::ffff:192.0.2.1 ::1 1 2\r\n");
	assert_addr(&PI.src, PI.srclen, AF_INET6, "::ffff:192.0.2.1", 1);
	OK("PROXY TCP6 0000:0000:0000:0000:0000:0000:0000:0001 ::1 1 2\r\n");
	assert_addr(&PI.src, PI.srclen, AF_INET6, "::1", 1);
}

static void
test_v1_unknown(void **state)
{
	(void)state;
	OK("PROXY UNKNOWN\r\n");
	assert_int_equal(USED, 15);
	assert_local();
	OK("PROXY UNKNOWN 192.0.2.1 192.0.2.2 1 2\r\n");
	assert_local();
	/* The receiver ignores whatever follows, even nonsense. */
	OK("PROXY UNKNOWN whatever  you  like!\r\n");
	assert_local();
	OK("PROXY UNKNOWN \r\n");
	assert_local();
}

static void
test_v1_unknown_longest(void **state)
{
	static const unsigned char line[] = "PROXY UNKNOWN "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";

	(void)state;
	assert_int_equal(sizeof line - 1, PROXY_V1_MAX);
	expect_ok(line, sizeof line - 1, PROXY_V1_MAX);
	assert_local();
}

static void
test_v1_unknown_bad(void **state)
{
	(void)state;
	BAD("PROXY UNKNOWNX\r\n");
	BAD("PROXY UNKNOWN\t\r\n");
	BAD("PROXY UNKNOWN \x7f\r\n");
	BAD("PROXY UNKNOWN \xc3\xa9\r\n");
	BAD("PROXY UNKNOWN 1 \0 2\r\n");
	BAD("PROXY UNKNOWN\n");
	BAD("PROXY unknown\r\n");
}

static void
test_v1_ports(void **state)
{
	(void)state;
	OK("PROXY TCP4 1.2.3.4 5.6.7.8 0 65535\r\n");
	assert_addr(&PI.src, PI.srclen, AF_INET, "1.2.3.4", 0);
	assert_addr(&PI.dst, PI.dstlen, AF_INET, "5.6.7.8", 65535);
	OK("PROXY TCP4 1.2.3.4 5.6.7.8 10 100\r\n");
	assert_addr(&PI.src, PI.srclen, AF_INET, "1.2.3.4", 10);
	assert_addr(&PI.dst, PI.dstlen, AF_INET, "5.6.7.8", 100);
}

static void
test_v1_bad_port(void **state)
{
	(void)state;
	BAD("PROXY TCP4 1.2.3.4 5.6.7.8 65536 80\r\n");
	BAD("PROXY TCP4 1.2.3.4 5.6.7.8 80 65536\r\n");
	BAD("PROXY TCP4 1.2.3.4 5.6.7.8 99999 80\r\n");
	BAD("PROXY TCP4 1.2.3.4 5.6.7.8 123456 80\r\n");
	BAD("PROXY TCP4 1.2.3.4 5.6.7.8 -1 80\r\n");
	BAD("PROXY TCP4 1.2.3.4 5.6.7.8 +80 80\r\n");
	BAD("PROXY TCP4 1.2.3.4 5.6.7.8 80 +80\r\n");
	BAD("PROXY TCP4 1.2.3.4 5.6.7.8 080 80\r\n");
	BAD("PROXY TCP4 1.2.3.4 5.6.7.8 80 00\r\n");
	BAD("PROXY TCP4 1.2.3.4 5.6.7.8 8a 80\r\n");
	BAD("PROXY TCP4 1.2.3.4 5.6.7.8 0x50 80\r\n");
	BAD("PROXY TCP4 1.2.3.4 5.6.7.8 80 80a\r\n");
	BAD("PROXY TCP4 1.2.3.4 5.6.7.8 80 \r\n");
}

static void
test_v1_bad_address(void **state)
{
	(void)state;
	BAD("PROXY TCP4 256.1.1.1 5.6.7.8 1 2\r\n");
	BAD("PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n");
	BAD("PROXY TCP4 1.2.3.4.5 5.6.7.8 1 2\r\n");
	BAD("PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n");
	BAD("PROXY TCP4 1.2.3.04 5.6.7.8 1 2\r\n");
	BAD("PROXY TCP4 1.2.3.4 5.6.7.00 1 2\r\n");
	BAD("PROXY TCP4 1..3.4 5.6.7.8 1 2\r\n");
	BAD("PROXY TCP4 0x7f.0.0.1 5.6.7.8 1 2\r\n");
	BAD("PROXY TCP4 localhost 5.6.7.8 1 2\r\n");
	BAD("PROXY TCP4 1.2.3.4 5.6.7.8.9.10.11.12 1 2\r\n");
	BAD("PROXY TCP6 ::g ::1 1 2\r\n");
	BAD("PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1 2\r\n");
	BAD("PROXY TCP6 1::2::3 ::1 1 2\r\n");
	BAD("PROXY TCP6 12345:: ::1 1 2\r\n");
	BAD("PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n");
	BAD("PROXY TCP6 [::1] ::1 1 2\r\n");
	BAD("PROXY TCP6 ::ffff:01.2.3.4 ::1 1 2\r\n");
	/* Longer than eight groups of four can be written. */
	BAD("PROXY TCP6 0000:0000:0000:0000:0000:0000:0000:00001 ::1 1 2\r\n");
}

static void
test_v1_family_mismatch(void **state)
{
	(void)state;
	BAD("PROXY TCP4 ::1 ::1 1 2\r\n");
	BAD("PROXY TCP4 1.2.3.4 ::1 1 2\r\n");
	BAD("PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n");
	BAD("PROXY TCP6 ::1 5.6.7.8 1 2\r\n");
}

static void
test_v1_bad_family(void **state)
{
	(void)state;
	BAD("PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n");
	BAD("PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n");
	BAD("PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n");
	BAD("PROXY TCP 1.2.3.4 5.6.7.8 1 2\r\n");
	BAD("PROXY TCP44 1.2.3.4 5.6.7.8 1 2\r\n");
	BAD("PROXY TCP4\r\n");
	BAD("PROXY \r\n");
	BAD("PROXY\r\n");
	BAD("PROXY UNIX /a /b\r\n");
}

static void
test_v1_extra_spaces(void **state)
{
	(void)state;
	BAD(" PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n");
	BAD("PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n");
	BAD("PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n");
	BAD("PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n");
	BAD("PROXY TCP4 1.2.3.4 5.6.7.8  1 2\r\n");
	BAD("PROXY TCP4 1.2.3.4 5.6.7.8 1  2\r\n");
	BAD("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n");
	BAD("PROXY\tTCP4 1.2.3.4 5.6.7.8 1 2\r\n");
	BAD("PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n");
	/* Too few or too many fields. */
	BAD("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n");
	BAD("PROXY TCP4 1.2.3.4 5.6.7.8\r\n");
	BAD("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n");
}

static void
test_v1_line_end(void **state)
{
	(void)state;
	BAD("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n");
	BAD("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX");
	BAD("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n");
	BAD("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n\r");
	BAD("PROXY TCP4 1.2.3.4\r\n5.6.7.8 1 2\r\n");
	BAD("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\0\r\n");
	/* A complete line waits only for its LF. */
	MORE("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r");
	MORE("PROXY UNKNOWN\r");
}

static void
test_v1_no_crlf_in_107(void **state)
{
	unsigned char	line[200];
	size_t		n;

	(void)state;
	/* UNKNOWN ignores its tail, so only the bound can end the wait. */
	memcpy(line, "PROXY UNKNOWN ", 14);
	memset(line + 14, 'x', sizeof line - 14);
	for (n = 0; n < PROXY_V1_MAX; n++)
		expect_rc(line, n, 0);
	expect_rc(line, PROXY_V1_MAX, -1);
	expect_rc(line, sizeof line, -1);
	/* CRLF in bytes 106 and 107: one byte too long. */
	memcpy(line + PROXY_V1_MAX - 1, "\r\n", 2);
	expect_rc(line, PROXY_V1_MAX + 1, -1);
	expect_rc(line, PROXY_V1_MAX, -1);
	/* CRLF in bytes 105 and 106: just fits. */
	memcpy(line + PROXY_V1_MAX - 2, "\r\n", 2);
	expect_ok(line, sizeof line, PROXY_V1_MAX);
}

static void
test_v1_case(void **state)
{
	(void)state;
	BAD("proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n");
	BAD("Proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n");
	BAD("PROXy TCP4 1.2.3.4 5.6.7.8 1 2\r\n");
	BAD("p");
	BAD("PROXy");
}

static void
test_v1_prefixes(void **state)
{
	static const char *const lines[] = {
		"PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n",
		"PROXY TCP4 0.0.0.0 0.0.0.0 0 0\r\n",
		"PROXY TCP6 2001:db8::1 ::ffff:192.0.2.1 51234 1965\r\n",
		"PROXY UNKNOWN\r\n",
		"PROXY UNKNOWN 1.2.3.4 5.6.7.8 1 2\r\n",
	};
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		const unsigned char *l = (const unsigned char *)lines[i];

		expect_prefixes(l, strlen(lines[i]));
		expect_ok(l, strlen(lines[i]), strlen(lines[i]));
	}
}

/* Bytes that can never start or continue a header fail at once. */
static void
test_v1_early_reject(void **state)
{
	(void)state;
	BAD("G");
	BAD("GET / HTTP/1.0");
	BAD("PX");
	MORE("PROXY T");
	BAD("PROXY X");
	MORE("PROXY TCP4 ");
	BAD("PROXY TCP4 1.2.3.4x");
	BAD("PROXY TCP4 01");
	BAD("PROXY TCP4 1.2.3.4 5.6.7.8 080");
	BAD("PROXY TCP4 1.2.3.4 5.6.7.8 70000");
	BAD("PROXY TCP4 1.2.3.4 5.6.7.8 1 -");
	BAD("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 ");
	BAD("PROXY TCP4 1.2.3.4  ");
	BAD("PROXY TCP4 1234567890123456");
	BAD("PROXY TCP6 ::1:g");
	MORE("PROXY TCP6 ::1 ::2 1");
}

static void
test_v1_data_after(void **state)
{
	static const unsigned char in[] =
	    "PROXY TCP4 192.0.2.1 192.0.2.2 4000 1965\r\n"
	    "gemini://example.org/\r\n";

	(void)state;
	expect_ok(in, sizeof in - 1, 42);
	assert_addr(&PI.src, PI.srclen, AF_INET, "192.0.2.1", 4000);
	/* Even a second header after the first is not looked at. */
	OK("PROXY UNKNOWN\r\n");
	OK_USED("PROXY UNKNOWN\r\nPROXY TCP4 garbage\r\n", 15);
	OK_USED("PROXY UNKNOWN\r\n\0\r\n\xff", 15);
}

static void
test_v1_nul(void **state)
{
	(void)state;
	BAD("PROXY\0TCP4 1.2.3.4 5.6.7.8 1 2\r\n");
	BAD("PROXY TCP4 1.2.3.4\0 5.6.7.8 1 2\r\n");
	BAD("PROXY TCP4 1.2.3.4 5.6.7.8 1\0 2\r\n");
	BAD("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\0");
}

/* v2 */

static void
test_v2_ipv4(void **state)
{
	unsigned char	b[64];
	size_t		n;

	(void)state;
	n = v2(b, sizeof b, 0x21, 0x11, 12, addrs4, sizeof addrs4);
	expect_ok(b, n, 28);
	assert_int_equal(PI.local, 0);
	assert_addr(&PI.src, PI.srclen, AF_INET, "192.0.2.1", 51234);
	assert_addr(&PI.dst, PI.dstlen, AF_INET, "198.51.100.7", 1965);
}

static void
test_v2_ipv6(void **state)
{
	unsigned char	b[64];
	size_t		n;

	(void)state;
	n = v2(b, sizeof b, 0x21, 0x21, 36, addrs6, sizeof addrs6);
	expect_ok(b, n, 52);
	assert_int_equal(PI.local, 0);
	assert_addr(&PI.src, PI.srclen, AF_INET6, "2001:db8::1", 51234);
	assert_addr(&PI.dst, PI.dstlen, AF_INET6, "2001:db8::ffff:2", 70);
}

/* The haproxy capture quoted in a popular write-up, byte for byte. */
static void
test_v2_capture(void **state)
{
	static const unsigned char in[] =
	    "\x0d\x0a\x0d\x0a\x00\x0d\x0a\x51\x55\x49\x54\x0a\x21\x11\x00\x0c"
	    "\xac\x13\x00\x01\xac\x13\x00\x03\xa6\x52\x00\x50GET / HTTP/1.1\r\n";

	(void)state;
	expect_ok(in, sizeof in - 1, 28);
	assert_addr(&PI.src, PI.srclen, AF_INET, "172.19.0.1", 42578);
	assert_addr(&PI.dst, PI.dstlen, AF_INET, "172.19.0.3", 80);
}

static void
test_v2_local(void **state)
{
	unsigned char	b[300];
	size_t		n;

	(void)state;
	n = v2(b, sizeof b, 0x20, 0x00, 0, NULL, 0);
	expect_ok(b, n, 16);
	assert_local();
	/* LOCAL ignores the block, whatever the family says, but skips it. */
	n = v2(b, sizeof b, 0x20, 0x11, 12, addrs4, sizeof addrs4);
	expect_ok(b, n, 28);
	assert_local();
	n = v2(b, sizeof b, 0x20, 0x11, 0, NULL, 0);
	expect_ok(b, n, 16);
	assert_local();
	n = v2(b, sizeof b, 0x20, 0x22, 3, "\x04\x00\x01", 3);
	expect_ok(b, n, 19);
	assert_local();
	n = v2(b, sizeof b, 0x20, 0x00, 2, "\xff\xff", 2);
	expect_ok(b, n, 18);
	assert_local();
	/* An invalid family is still invalid. */
	n = v2(b, sizeof b, 0x20, 0x41, 0, NULL, 0);
	expect_rc(b, n, -1);
}

static void
test_v2_unspec(void **state)
{
	unsigned char	b[64];
	size_t		n;

	(void)state;
	n = v2(b, sizeof b, 0x21, 0x00, 0, NULL, 0);
	expect_ok(b, n, 16);
	assert_local();
	/* Address information of an unknown kind: skipped, not parsed. */
	n = v2(b, sizeof b, 0x21, 0x00, 5, "\x01\x02\x03\x04\x05", 5);
	expect_ok(b, n, 21);
	assert_local();
}

static void
test_v2_unix_stream(void **state)
{
	unsigned char	b[512], body[230];
	size_t		n;

	(void)state;
	memset(body, 0, sizeof body);
	memcpy(body, "/run/haproxy.sock", 17);
	n = v2(b, sizeof b, 0x21, 0x31, 216, body, 216);
	expect_ok(b, n, 232);
	assert_local();
	memcpy(body + 216, "\x04\x00\x0bpadpadpadpa", 14);
	n = v2(b, sizeof b, 0x21, 0x31, 230, body, 230);
	expect_ok(b, n, 246);
	assert_local();
	n = v2(b, sizeof b, 0x21, 0x31, 215, body, 215);
	expect_rc(b, n, -1);
}

static void
test_v2_udp_rejected(void **state)
{
	unsigned char	 b[300], body[216];
	const char	*errstr;
	size_t		 n;

	(void)state;
	n = v2(b, sizeof b, 0x21, 0x12, 12, addrs4, sizeof addrs4);
	assert_int_equal(parse_exact(b, n, &errstr), -1);
	assert_non_null(strstr(errstr, "UDP"));
	n = v2(b, sizeof b, 0x21, 0x22, 36, addrs6, sizeof addrs6);
	assert_int_equal(parse_exact(b, n, &errstr), -1);
	assert_non_null(strstr(errstr, "UDP"));
	memset(body, 0, sizeof body);
	n = v2(b, sizeof b, 0x21, 0x32, 216, body, sizeof body);
	expect_rc(b, n, -1);
	/* As soon as the family byte is there. */
	expect_rc(b, 14, -1);
}

static void
test_v2_bad_family(void **state)
{
	static const unsigned char bad[] = {
		0x01, 0x02, 0x10, 0x13, 0x20, 0x23, 0x30, 0x33, 0x41, 0x42,
		0xf1, 0xff
	};
	unsigned char	b[64];
	size_t		i, n;

	(void)state;
	for (i = 0; i < sizeof bad; i++) {
		n = v2(b, sizeof b, 0x21, bad[i], 12, addrs4, sizeof addrs4);
		expect_rc(b, n, -1);
		expect_rc(b, 14, -1);
	}
}

static void
test_v2_wrong_version(void **state)
{
	static const unsigned char bad[] = {
		0x00, 0x01, 0x10, 0x11, 0x30, 0x31, 0xf1, 0xff
	};
	unsigned char	b[64];
	size_t		i, n;

	(void)state;
	for (i = 0; i < sizeof bad; i++) {
		n = v2(b, sizeof b, bad[i], 0x11, 12, addrs4, sizeof addrs4);
		expect_rc(b, n, -1);
		expect_rc(b, 13, -1);
	}
}

static void
test_v2_bad_command(void **state)
{
	unsigned char	b[64];
	unsigned int	cmd;
	size_t		n;

	(void)state;
	for (cmd = 0x22; cmd <= 0x2f; cmd++) {
		n = v2(b, sizeof b, cmd, 0x11, 12, addrs4, sizeof addrs4);
		expect_rc(b, n, -1);
		expect_rc(b, 13, -1);
	}
}

static void
test_v2_length_too_short(void **state)
{
	unsigned char	b[300], body[216];
	size_t		n;

	(void)state;
	memset(body, 0, sizeof body);
	n = v2(b, sizeof b, 0x21, 0x11, 11, addrs4, 11);
	expect_rc(b, n, -1);
	expect_rc(b, 16, -1);
	n = v2(b, sizeof b, 0x21, 0x11, 0, NULL, 0);
	expect_rc(b, n, -1);
	n = v2(b, sizeof b, 0x21, 0x21, 35, addrs6, 35);
	expect_rc(b, n, -1);
	expect_rc(b, 16, -1);
	n = v2(b, sizeof b, 0x21, 0x21, 12, addrs6, 12);
	expect_rc(b, n, -1);
	n = v2(b, sizeof b, 0x21, 0x31, 215, body, 215);
	expect_rc(b, n, -1);
}

static void
test_v2_tlvs(void **state)
{
	unsigned char	b[256], body[128];
	size_t		n, bl = 0;

	(void)state;
	memcpy(body, addrs4, 12);
	bl = 12;
	memcpy(body + bl, "\x01\x00\x02h2", 5);		/* ALPN */
	bl += 5;
	memcpy(body + bl, "\x04\x00\x00", 3);			/* NOOP, empty */
	bl += 3;
	/* SSL, client 0x01, verify 0, a VERSION sub-TLV "TLSv1.3" */
	memcpy(body + bl, "\x20\x00\x0f\x01\x00\x00\x00\x00\x21\x00\x07TLSv1.3",
	    18);
	bl += 18;
	memcpy(body + bl, "\x05\x00\x04" "abcd", 7);		/* UNIQUE_ID */
	bl += 7;
	n = v2(b, sizeof b, 0x21, 0x11, bl, body, bl);
	memcpy(b + n, "20 text/gemini\r\n", 16);
	expect_ok(b, n + 16, 16 + bl);
	assert_addr(&PI.src, PI.srclen, AF_INET, "192.0.2.1", 51234);
	assert_addr(&PI.dst, PI.dstlen, AF_INET, "198.51.100.7", 1965);
	expect_prefixes(b, n);

	memcpy(body, addrs6, 36);
	memcpy(body + 36, "\xee\x00\x01z", 4);		/* unregistered type */
	n = v2(b, sizeof b, 0x21, 0x21, 40, body, 40);
	expect_ok(b, n, 56);
	assert_addr(&PI.src, PI.srclen, AF_INET6, "2001:db8::1", 51234);
}

static void
test_v2_bad_tlvs(void **state)
{
	unsigned char	b[128], body[64];
	size_t		n;

	(void)state;
	memcpy(body, addrs4, 12);
	/* One or two stray bytes after the last TLV. */
	memcpy(body + 12, "\x04\x00\x00\x04", 4);
	n = v2(b, sizeof b, 0x21, 0x11, 16, body, 16);
	expect_rc(b, n, -1);
	memcpy(body + 12, "\x04\x00", 2);
	n = v2(b, sizeof b, 0x21, 0x11, 14, body, 14);
	expect_rc(b, n, -1);
	/* A value running past the header's length, even with bytes after it. */
	memcpy(body + 12, "\x01\x00\x05h2", 5);
	n = v2(b, sizeof b, 0x21, 0x11, 17, body, 17);
	memcpy(b + n, "xxxx", 4);
	expect_rc(b, n + 4, -1);
	memcpy(body + 12, "\x01\xff\xffh2", 5);
	n = v2(b, sizeof b, 0x21, 0x11, 17, body, 17);
	expect_rc(b, n, -1);
}

static void
test_v2_truncated(void **state)
{
	unsigned char	b[512], body[230];
	size_t		n;

	(void)state;
	n = v2(b, sizeof b, 0x21, 0x11, 12, addrs4, sizeof addrs4);
	expect_prefixes(b, n);
	n = v2(b, sizeof b, 0x21, 0x21, 36, addrs6, sizeof addrs6);
	expect_prefixes(b, n);
	n = v2(b, sizeof b, 0x20, 0x00, 0, NULL, 0);
	expect_prefixes(b, n);
	memset(body, 'u', sizeof body);
	n = v2(b, sizeof b, 0x21, 0x31, 216, body, 216);
	expect_prefixes(b, n);
	n = v2(b, sizeof b, 0x20, 0x11, 200, body, 200);
	expect_prefixes(b, n);
}

static void
test_v2_bad_signature(void **state)
{
	unsigned char	b[64];
	size_t		i, n;

	(void)state;
	for (i = 0; i < SIG_LEN; i++) {
		n = v2(b, sizeof b, 0x21, 0x11, 12, addrs4, sizeof addrs4);
		b[i] ^= 0x20;
		expect_rc(b, n, -1);
		expect_rc(b, i + 1, -1);
		if (i > 0)
			expect_rc(b, i, 0);
	}
	/* A v1 line after a stray CRLF is neither. */
	BAD("\r\nPROXY UNKNOWN\r\n");
	BAD("\r\r");
}

static void
test_v2_data_after(void **state)
{
	unsigned char	b[128];
	size_t		n;

	(void)state;
	n = v2(b, sizeof b, 0x21, 0x11, 12, addrs4, sizeof addrs4);
	/* What follows is the client's, even if it looks like another header. */
	n += v2(b + n, sizeof b - n, 0x21, 0x21, 36, addrs6, sizeof addrs6);
	expect_ok(b, n, 28);
	assert_addr(&PI.src, PI.srclen, AF_INET, "192.0.2.1", 51234);
	n = v2(b, sizeof b, 0x20, 0x00, 0, NULL, 0);
	memcpy(b + n, "\x16\x03\x01", 3);
	expect_ok(b, n + 3, 16);
}

static unsigned char	big[PROXY_V2_MAX + 16];

static void
test_v2_longest(void **state)
{
	size_t	vlen = 0xffff - 12 - 3;

	(void)state;
	memcpy(big, SIG "\x21\x11\xff\xff", 16);
	memcpy(big + 16, addrs4, 12);
	big[28] = 0x04;
	big[29] = (unsigned char)(vlen >> 8);
	big[30] = (unsigned char)(vlen & 0xff);
	memset(big + 31, 'n', vlen);
	memcpy(big + PROXY_V2_MAX, "trailing", 8);
	expect_ok(big, sizeof big, PROXY_V2_MAX);
	expect_ok(big, PROXY_V2_MAX, PROXY_V2_MAX);
	assert_addr(&PI.src, PI.srclen, AF_INET, "192.0.2.1", 51234);
	expect_rc(big, PROXY_V2_MAX - 1, 0);
	expect_rc(big, 16, 0);
	expect_rc(big, 28, 0);
}

/* Fixed-seed xorshift, so a failure can be replayed. */
static uint32_t
rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void
test_garbage(void **state)
{
	unsigned char	 b[256];
	uint32_t	 seed = 0x9e3779b9;
	const char	*errstr;
	size_t		 i, n, k;
	int		 rc;

	(void)state;
	BAD("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03");	/* TLS ClientHello */
	BAD("gemini://example.org/\r\n");
	BAD("/\r\n");
	MORE("\r\n");		/* the start of a v2 signature */
	BAD("\n");
	BAD("\0");
	for (i = 0; i < 20000; i++) {
		n = 1 + rnd(&seed) % sizeof b;
		for (k = 0; k < n; k++)
			b[k] = (unsigned char)rnd(&seed);
		if (i % 3 == 1)
			b[0] = 'P';
		else if (i % 3 == 2)
			b[0] = '\r';
		rc = parse_exact(b, n, &errstr);
		assert_true(rc >= -1 && rc <= 1);
		if (rc == 1)
			assert_true(USED <= n);
		/* Past the second byte, chance cannot keep a header going. */
		if (n >= 2 && !(b[0] == 'P' && b[1] == 'R') &&
		    !(b[0] == '\r' && b[1] == '\n')) {
			assert_int_equal(rc, -1);
			assert_non_null(errstr);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_constants),
		cmocka_unit_test(test_empty_needs_more),
		cmocka_unit_test(test_v1_tcp4),
		cmocka_unit_test(test_v1_tcp4_longest),
		cmocka_unit_test(test_v1_tcp6),
		cmocka_unit_test(test_v1_tcp6_forms),
		cmocka_unit_test(test_v1_unknown),
		cmocka_unit_test(test_v1_unknown_longest),
		cmocka_unit_test(test_v1_unknown_bad),
		cmocka_unit_test(test_v1_ports),
		cmocka_unit_test(test_v1_bad_port),
		cmocka_unit_test(test_v1_bad_address),
		cmocka_unit_test(test_v1_family_mismatch),
		cmocka_unit_test(test_v1_bad_family),
		cmocka_unit_test(test_v1_extra_spaces),
		cmocka_unit_test(test_v1_line_end),
		cmocka_unit_test(test_v1_no_crlf_in_107),
		cmocka_unit_test(test_v1_case),
		cmocka_unit_test(test_v1_prefixes),
		cmocka_unit_test(test_v1_early_reject),
		cmocka_unit_test(test_v1_data_after),
		cmocka_unit_test(test_v1_nul),
		cmocka_unit_test(test_v2_ipv4),
		cmocka_unit_test(test_v2_ipv6),
		cmocka_unit_test(test_v2_capture),
		cmocka_unit_test(test_v2_local),
		cmocka_unit_test(test_v2_unspec),
		cmocka_unit_test(test_v2_unix_stream),
		cmocka_unit_test(test_v2_udp_rejected),
		cmocka_unit_test(test_v2_bad_family),
		cmocka_unit_test(test_v2_wrong_version),
		cmocka_unit_test(test_v2_bad_command),
		cmocka_unit_test(test_v2_length_too_short),
		cmocka_unit_test(test_v2_tlvs),
		cmocka_unit_test(test_v2_bad_tlvs),
		cmocka_unit_test(test_v2_truncated),
		cmocka_unit_test(test_v2_bad_signature),
		cmocka_unit_test(test_v2_data_after),
		cmocka_unit_test(test_v2_longest),
		cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
