/* Unit tests for src/hostname.c: one spelling per host name, IDNA A-labels. */
#include "unit.h"

#include "hostname.h"

static void
norm_ok_at(const char *in, const char *want, const char *file, int line)
{
	char		 out[HOSTNAME_LEN + 1];
	const char	*errstr = NULL;

	if (hostname_normalize(in, out, sizeof out, &errstr) != 0)
		fail_msg("%s:%d: \"%s\" refused: %s", file, line, in, errstr);
	if (strcmp(out, want) != 0)
		fail_msg("%s:%d: \"%s\" gave \"%s\", want \"%s\"", file, line, in,
		    out, want);
}
#define NORM_OK(in, want)	norm_ok_at(in, want, __FILE__, __LINE__)

static void
norm_bad_at(const char *in, const char *file, int line)
{
	char		 out[HOSTNAME_LEN + 1];
	const char	*errstr = NULL;

	if (hostname_normalize(in, out, sizeof out, &errstr) != -1)
		fail_msg("%s:%d: \"%s\" accepted as \"%s\"", file, line, in, out);
	if (errstr == NULL || *errstr == '\0')
		fail_msg("%s:%d: \"%s\" refused without a reason", file, line, in);
}
#define NORM_BAD(in)	norm_bad_at(in, __FILE__, __LINE__)

/* Case and one trailing dot: the three spellings of issue 12 are one name. */
static void
test_case_and_dot(void **state)
{
	(void)state;
	NORM_OK("example.org", "example.org");
	NORM_OK("EXAMPLE.ORG", "example.org");
	NORM_OK("example.org.", "example.org");
	NORM_OK("Example.Org.", "example.org");
	NORM_OK("localhost", "localhost");
	NORM_OK("127.0.0.1", "127.0.0.1");
	NORM_OK("a-b.example", "a-b.example");
	NORM_OK("ab--c.example", "ab--c.example");	/* DNS takes it; IDNA would not */
	NORM_OK("XN--80AAU21BD.KZ", "xn--80aau21bd.kz");
}

/* Internationalised names become their A-label, case folded. */
static void
test_idna(void **state)
{
	(void)state;
	NORM_OK("қазақ.kz", "xn--80aau21bd.kz");
	NORM_OK("ҚАЗАҚ.KZ", "xn--80aau21bd.kz");
	NORM_OK("қазақ.kz.", "xn--80aau21bd.kz");
	NORM_OK("bé.example", "xn--b-bga.example");
	NORM_OK("www.қазақ.kz", "www.xn--80aau21bd.kz");
	/* U+3002 IDEOGRAPHIC FULL STOP separates labels under UTS #46 */
	NORM_OK("қазақ\xe3\x80\x82kz", "xn--80aau21bd.kz");
}

static void
test_refused(void **state)
{
	char	long_name[400];

	(void)state;
	NORM_BAD("");
	NORM_BAD(".");
	NORM_BAD("..");
	NORM_BAD(".example.org");
	NORM_BAD("-bad.example");
	NORM_BAD("a..b");
	NORM_BAD("example.org..");
	NORM_BAD("bad_name");
	NORM_BAD("a b");
	NORM_BAD("a/b");
	NORM_BAD("a\xff.example");		/* not UTF-8 */
	NORM_BAD("\xf0\x9f\x98\x80.example");	/* an emoji: disallowed */
	NORM_BAD("-қазақ.kz");
	memset(long_name, 'a', sizeof long_name - 1);
	long_name[sizeof long_name - 1] = '\0';
	NORM_BAD(long_name);
	long_name[HOSTNAME_LEN] = '\0';
	NORM_OK(long_name, long_name);
	{
		char	dotted[HOSTNAME_LEN + 2];

		/* the longest name, written with its root dot (found by the fuzzer) */
		memcpy(dotted, long_name, HOSTNAME_LEN);
		dotted[HOSTNAME_LEN] = '.';
		dotted[HOSTNAME_LEN + 1] = '\0';
		NORM_OK(dotted, long_name);
	}
}

/* The result never overruns the buffer it is given. */
static void
test_small_buffer(void **state)
{
	char		 out[8];
	const char	*errstr;

	(void)state;
	assert_int_equal(hostname_normalize("example.org", out, sizeof out,
	    &errstr), -1);
	assert_int_equal(hostname_normalize("қазақ.kz", out, sizeof out,
	    &errstr), -1);
	assert_int_equal(hostname_normalize("a.kz", out, sizeof out, &errstr), 0);
	assert_string_equal(out, "a.kz");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_case_and_dot),
		cmocka_unit_test(test_idna),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_small_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
