/* Unit tests for src/ratelimit.c: the limit and exempt parsers, keys, the table. */
#include "unit.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "ratelimit.h"

static struct sockaddr_storage	SS;

/* A sockaddr for a literal address, port 1234. */
static const struct sockaddr *
sa(const char *addr)
{
	struct sockaddr_in	*s4 = (struct sockaddr_in *)&SS;
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)&SS;

	memset(&SS, 0, sizeof SS);
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(1234);
	} else {
		assert_int_equal(inet_pton(AF_INET6, addr, &s6->sin6_addr), 1);
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(1234);
	}
	return (const struct sockaddr *)&SS;
}

static struct rl_key
key(const char *addr)
{
	struct rl_key	k;

	assert_int_equal(ratelimit_key(sa(addr), &k), 0);
	return k;
}

/* The key of IPv4 address v, without a sockaddr. */
static struct rl_key
key4(uint32_t v)
{
	struct rl_key	k = { v, 4, 0 };

	return k;
}

static void
test_parse_limit(void **state)
{
	static const char *const bad[] = { "", "0/60", "60/0", "60", "60/",
	    "/60", "60/60s", " 60/60", "60 / 60", "1000001/1", "1/86401",
	    "-1/60", "60/-1", "99999999999999999999/1", "OFF", "no", "1/1/1" };
	struct rl_limit	 l;
	const char	*errstr;
	size_t		 i;

	(void)state;
	assert_int_equal(ratelimit_parse_limit("60/60", &l, &errstr), 0);
	assert_int_equal(l.requests, 60);
	assert_int_equal(l.seconds, 60);
	assert_int_equal(l.set, 1);
	assert_int_equal(ratelimit_parse_limit("1000000/86400", &l, &errstr), 0);
	assert_int_equal(l.requests, 1000000);
	assert_int_equal(l.seconds, 86400);
	assert_int_equal(ratelimit_parse_limit("off", &l, &errstr), 0);
	assert_int_equal(l.requests, 0);
	assert_int_equal(l.set, 1);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		errstr = NULL;
		if (ratelimit_parse_limit(bad[i], &l, &errstr) != -1)
			fail_msg("\"%s\" accepted", bad[i]);
		assert_non_null(errstr);
	}
}

static void
test_parse_exempt(void **state)
{
	struct rl_prefix p[RL_MAX_EXEMPT];
	const char	*errstr;
	int		 n;

	(void)state;
	assert_int_equal(ratelimit_parse_exempt("127.0.0.0/8 ::1/128", p,
	    RL_MAX_EXEMPT, &n, &errstr), 0);
	assert_int_equal(n, 2);
	assert_int_equal(p[0].family, AF_INET);
	assert_int_equal(p[0].bits, 8);
	assert_int_equal(p[1].family, AF_INET6);
	assert_int_equal(p[1].bits, 128);
	/* commas and tabs separate too; a bare address is a whole one */
	assert_int_equal(ratelimit_parse_exempt(" 10.1.2.3,\t2001:db8::/32 ,", p,
	    RL_MAX_EXEMPT, &n, &errstr), 0);
	assert_int_equal(n, 2);
	assert_int_equal(p[0].bits, 32);
	assert_int_equal(p[1].bits, 32);
	assert_int_equal(ratelimit_parse_exempt("0.0.0.0/0 ::/0", p,
	    RL_MAX_EXEMPT, &n, &errstr), 0);
	assert_int_equal(p[0].bits, 0);
}

static void
test_parse_exempt_bad(void **state)
{
	static const struct { const char *in, *why; } bad[] = {
		{ "", "no address" },
		{ " , ", "no address" },
		{ "localhost", "invalid address" },
		{ "10.0.0/8", "invalid address" },
		{ "10.0.0.0/33", "over 32" },
		{ "::/129", "over 128" },
		{ "10.0.0.0/", "invalid prefix length" },
		{ "10.0.0.0/8/8", "invalid prefix length" },
		{ "10.0.0.0/+8", "invalid prefix length" },
		{ "10.0.0.0/0008", "invalid prefix length" },
		{ "10.0.0.1/8", "bits set past" },
		{ "2001:db8::1/64", "bits set past" },
		{ "10.128.0.0/8", "bits set past" },
		{ "/8", "invalid address" },
		{ "1.2.3.4 junk", "invalid address" },
		{ "[::1]", "invalid address" },
		{ "0123456789012345678901234567890123456789012345678901", "invalid address" },
	};
	struct rl_prefix p[RL_MAX_EXEMPT];
	const char	*errstr;
	char		 many[40 * 12];
	size_t		 i;
	int		 n;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		errstr = NULL;
		if (ratelimit_parse_exempt(bad[i].in, p, RL_MAX_EXEMPT, &n,
		    &errstr) != -1)
			fail_msg("\"%s\" accepted", bad[i].in);
		if (errstr == NULL || strstr(errstr, bad[i].why) == NULL)
			fail_msg("\"%s\": %s, want %s", bad[i].in,
			    errstr ? errstr : "(null)", bad[i].why);
	}
	many[0] = '\0';
	for (i = 0; i < RL_MAX_EXEMPT + 1; i++) {
		char one[16];

		snprintf(one, sizeof one, "10.0.0.%zu ", i);
		strcat(many, one);
	}
	assert_int_equal(ratelimit_parse_exempt(many, p, RL_MAX_EXEMPT, &n,
	    &errstr), -1);
	assert_non_null(strstr(errstr, "at most 32"));
}

static void
test_exempt_match(void **state)
{
	struct rl_prefix p[RL_MAX_EXEMPT];
	const char	*errstr;
	int		 n;

	(void)state;
	assert_int_equal(ratelimit_parse_exempt("127.0.0.0/8 192.0.2.128/25 "
	    "2001:db8:1::/48 ::1", p, RL_MAX_EXEMPT, &n, &errstr), 0);
	assert_true(ratelimit_exempt(p, n, sa("127.0.0.1")));
	assert_true(ratelimit_exempt(p, n, sa("127.255.255.255")));
	assert_false(ratelimit_exempt(p, n, sa("128.0.0.1")));
	assert_true(ratelimit_exempt(p, n, sa("192.0.2.200")));
	assert_false(ratelimit_exempt(p, n, sa("192.0.2.127")));
	/* a dual-stack listener sees IPv4 clients as IPv4-mapped IPv6 */
	assert_true(ratelimit_exempt(p, n, sa("::ffff:127.0.0.2")));
	assert_false(ratelimit_exempt(p, n, sa("::ffff:10.0.0.1")));
	assert_true(ratelimit_exempt(p, n, sa("2001:db8:1:ffff::1")));
	assert_false(ratelimit_exempt(p, n, sa("2001:db8:2::1")));
	assert_true(ratelimit_exempt(p, n, sa("::1")));
	assert_false(ratelimit_exempt(p, n, sa("::2")));
	/* IPv4 prefixes never match IPv6 addresses, and the other way round */
	assert_false(ratelimit_exempt(p, n, sa("::7f00:1")));
	assert_false(ratelimit_exempt(p, 0, sa("127.0.0.1")));
}

static void
test_keys(void **state)
{
	struct rl_key	a, b;

	(void)state;
	a = key("192.0.2.1");
	assert_int_equal(a.family, 4);
	assert_true(a.prefix == 0xc0000201u);
	b = key("::ffff:192.0.2.1");
	assert_int_equal(b.family, 4);
	assert_true(a.prefix == b.prefix);
	/* IPv6: the /64 counts, the interface half does not */
	a = key("2001:db8:1:2:aaaa::1");
	b = key("2001:db8:1:2:bbbb::2");
	assert_int_equal(a.family, 6);
	assert_true(a.prefix == b.prefix);
	assert_true(a.prefix == 0x20010db800010002ull);
	b = key("2001:db8:1:3::1");
	assert_true(a.prefix != b.prefix);
}

static struct rl_table *
table(void)
{
	struct rl_table	*t = calloc(1, ratelimit_table_size());

	assert_non_null(t);
	ratelimit_table_init(t, 0x123456789abcdefull);
	return t;
}

static void
test_window(void **state)
{
	struct rl_table	*t = table();
	struct rl_limit	 lim = { 3, 60, 1 };
	struct rl_key	 k = key("192.0.2.1"), other = key("192.0.2.2");
	unsigned	 wait = 0;
	uint64_t	 t0 = 1000000;
	int		 i;

	(void)state;
	for (i = 0; i < 3; i++)
		assert_int_equal(ratelimit_count(t, &k, 0, &lim, t0 + i * 1000,
		    &wait), RL_PASS);
	/* the fourth, 10 s into the window: 50 s to wait */
	assert_int_equal(ratelimit_count(t, &k, 0, &lim, t0 + 10000, &wait),
	    RL_LIMITED);
	assert_int_equal(wait, 50);
	/* rounded up: 0.5 s left is 1 s */
	assert_int_equal(ratelimit_count(t, &k, 0, &lim, t0 + 59500, &wait),
	    RL_LIMITED);
	assert_int_equal(wait, 1);
	/* another address and another bucket count on their own */
	assert_int_equal(ratelimit_count(t, &other, 0, &lim, t0 + 10000, &wait),
	    RL_PASS);
	assert_int_equal(ratelimit_count(t, &k, 3, &lim, t0 + 10000, &wait),
	    RL_PASS);
	/* the window is over: a new one begins */
	assert_int_equal(ratelimit_count(t, &k, 0, &lim, t0 + 60000, &wait),
	    RL_PASS);
	/* no limit, or a key not counted: always through */
	lim.requests = 0;
	for (i = 0; i < 10; i++)
		assert_int_equal(ratelimit_count(t, &k, 0, &lim, t0 + 60001,
		    &wait), RL_PASS);
	lim.requests = 1;
	other.family = 0;
	for (i = 0; i < 10; i++)
		assert_int_equal(ratelimit_count(t, &other, 0, &lim, t0, &wait),
		    RL_PASS);
	free(t);
}

/* Refusals answered: RL_ANSWERS of them, then dropped, seen by a peek too. */
static void
test_answers_then_drop(void **state)
{
	struct rl_table	*t = table();
	struct rl_limit	 lim = { 2, 10, 1 };
	struct rl_key	 k = key("2001:db8::1"), sib = key("2001:db8::2");
	unsigned	 wait = 0;
	uint64_t	 t0 = 5000;
	int		 i;

	(void)state;
	assert_int_equal(ratelimit_count(t, &k, 0, &lim, t0, &wait), RL_PASS);
	/* the same /64 */
	assert_int_equal(ratelimit_count(t, &sib, 0, &lim, t0, &wait), RL_PASS);
	assert_int_equal(ratelimit_peek(t, &k, t0, &wait), RL_PASS);
	for (i = 0; i < RL_ANSWERS; i++)
		assert_int_equal(ratelimit_count(t, &k, 0, &lim, t0 + 1000, &wait),
		    RL_LIMITED);
	assert_int_equal(ratelimit_peek(t, &k, t0 + 1000, &wait), RL_DROP);
	assert_int_equal(wait, 9);
	assert_int_equal(ratelimit_count(t, &sib, 0, &lim, t0 + 2000, &wait),
	    RL_DROP);
	assert_int_equal(wait, 8);
	/* the window ends: everything starts again */
	assert_int_equal(ratelimit_peek(t, &k, t0 + 10000, &wait), RL_PASS);
	assert_int_equal(ratelimit_count(t, &k, 0, &lim, t0 + 10000, &wait),
	    RL_PASS);
	free(t);
}

/*
 * 200 000 distinct addresses: the table stays its size (it is one
 * allocation), and an address counted in the last few is still counted,
 * while the first ones have been evicted (they pass again).
 */
static void
test_flood_evicts_oldest(void **state)
{
	struct rl_table	*t = table();
	struct rl_limit	 lim = { 1, 3600, 1 };
	struct rl_key	 k, first = key("10.0.0.0");
	unsigned	 wait = 0;
	uint32_t	 i;
	int		 still = 0;

	(void)state;
	assert_true(ratelimit_table_size() <= 1100 * 1024);
	for (i = 0; i < 200000; i++) {
		k = key4(0x0a000000u + i);
		assert_int_equal(ratelimit_count(t, &k, 0, &lim, 1000 + i, &wait),
		    RL_PASS);
	}
	assert_int_equal(ratelimit_count(t, &first, 0, &lim, 300000, &wait),
	    RL_PASS);
	/* the latest 1000 are all still held: a second request is refused */
	for (i = 199000; i < 200000; i++) {
		k = key4(0x0a000000u + i);
		still += ratelimit_count(t, &k, 0, &lim, 300000, &wait) == RL_LIMITED;
	}
	assert_int_equal(still, 1000);
	free(t);
}

/* Within a set the oldest goes first, and entries whose window ended before that. */
static void
test_evicts_expired_first(void **state)
{
	struct rl_table	*t = table();
	struct rl_limit	 shortlim = { 1, 1, 1 }, longlim = { 1, 3600, 1 };
	struct rl_key	 k, held = key("192.0.2.9");
	unsigned	 wait = 0;
	uint32_t	 i;

	(void)state;
	/* held: counted first, so the oldest, but its window runs an hour */
	assert_int_equal(ratelimit_count(t, &held, 0, &longlim, 1000, &wait),
	    RL_PASS);
	/* 100 000 others with one-second windows, long over when the next come */
	for (i = 0; i < 100000; i++) {
		k = key4(0x0b000000u + i);
		ratelimit_count(t, &k, 0, &shortlim, 2000 + i / 1000 * 2000,
		    &wait);
	}
	assert_int_equal(ratelimit_count(t, &held, 0, &longlim, 400000, &wait),
	    RL_LIMITED);
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_limit),
		cmocka_unit_test(test_parse_exempt),
		cmocka_unit_test(test_parse_exempt_bad),
		cmocka_unit_test(test_exempt_match),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_answers_then_drop),
		cmocka_unit_test(test_flood_evicts_oldest),
		cmocka_unit_test(test_evicts_expired_first),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
