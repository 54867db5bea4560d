/* Unit tests for src/ticketkeys.c: the key-file layout, errors, lookup. */
#include "unit.h"

#include "ticketkeys.h"

static unsigned char	BUF[17 * 80];

/* Key i of the buffer: name bytes i, HMAC bytes 0x40 + i, AES bytes 0x80 + i. */
static void
fill(int n)
{
	int	i;

	for (i = 0; i < n; i++) {
		memset(BUF + i * 80, i, 16);
		memset(BUF + i * 80 + 16, 0x40 + i, 32);
		memset(BUF + i * 80 + 48, 0x80 + i, 32);
	}
}

static void
test_layout(void **state)
{
	struct ticketkeys	 ks;
	const char		*errstr;
	unsigned char		 want[32];
	int			 i;

	(void)state;
	fill(3);
	assert_int_equal(ticketkeys_parse(BUF, 3 * 80, &ks, &errstr), 0);
	assert_int_equal(ks.n, 3);
	for (i = 0; i < 3; i++) {
		/* nginx: 16 name, 32 HMAC secret, 32 AES key */
		memset(want, i, 16);
		assert_memory_equal(ks.k[i].name, want, 16);
		memset(want, 0x40 + i, 32);
		assert_memory_equal(ks.k[i].hmac, want, 32);
		memset(want, 0x80 + i, 32);
		assert_memory_equal(ks.k[i].aes, want, 32);
	}
	fill(16);
	assert_int_equal(ticketkeys_parse(BUF, 16 * 80, &ks, &errstr), 0);
	assert_int_equal(ks.n, 16);
}

static void
test_errors(void **state)
{
	static const struct { size_t len; const char *why; } bad[] = {
		{ 0, "empty" }, { 1, "whole number" }, { 48, "whole number" },
		{ 79, "whole number" }, { 81, "whole number" },
		{ 17 * 80, "more than 16" },
	};
	struct ticketkeys	 ks;
	const char		*errstr;
	size_t			 i;

	(void)state;
	fill(17);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		errstr = NULL;
		assert_int_equal(ticketkeys_parse(BUF, bad[i].len, &ks, &errstr), -1);
		if (errstr == NULL || strstr(errstr, bad[i].why) == NULL)
			fail_msg("%zu bytes: %s", bad[i].len, errstr ? errstr : "(null)");
	}
	fill(2);
	memcpy(BUF + 80, BUF, 16);	/* the second key named like the first */
	assert_int_equal(ticketkeys_parse(BUF, 2 * 80, &ks, &errstr), -1);
	assert_non_null(strstr(errstr, "two keys with one name"));
}

static void
test_use(void **state)
{
	struct ticketkeys	 ks;
	const char		*errstr;
	unsigned char		 name[16];
	int			 i = -1;

	(void)state;
	ticketkeys_use(NULL);
	assert_null(ticketkeys_sealing());
	fill(3);
	assert_int_equal(ticketkeys_parse(BUF, 3 * 80, &ks, &errstr), 0);
	ticketkeys_use(&ks);
	assert_ptr_equal(ticketkeys_sealing(), &ks.k[0]);
	memset(name, 2, sizeof name);
	assert_ptr_equal(ticketkeys_find(name, &i), &ks.k[2]);
	assert_int_equal(i, 2);
	memset(name, 7, sizeof name);
	assert_null(ticketkeys_find(name, &i));
	ks.n = 0;
	ticketkeys_use(&ks);	/* an empty set: derived keys */
	assert_null(ticketkeys_sealing());
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_use),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
