/* Unit tests for src/buf.c: the growable byte buffer. */
#include "unit.h"

#include "buf.h"

static void
test_init_empty(void **state)
{
	struct buf	 b;

	(void)state;
	memset(&b, 0xa5, sizeof(b));
	buf_init(&b);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.failed, 0);
	buf_free(&b);
}

static void
test_add_variants(void **state)
{
	struct buf	 b;
	char		*p;
	size_t		 len = 99;

	(void)state;
	buf_init(&b);
	buf_add(&b, "abcXYZ", 3);
	assert_int_equal(b.len, 3);
	buf_adds(&b, "def");
	assert_int_equal(b.len, 6);
	buf_addc(&b, 'g');
	assert_int_equal(b.len, 7);
	assert_int_equal(memcmp(b.data, "abcdefg", 7), 0);
	assert_int_equal(b.failed, 0);
	p = buf_take(&b, &len);
	assert_non_null(p);
	assert_int_equal(len, 7);
	assert_string_equal(p, "abcdefg");
	free(p);
}

static void
test_take_resets(void **state)
{
	struct buf	 b;
	char		*p, *q;
	size_t		 len;

	(void)state;
	buf_init(&b);
	buf_adds(&b, "first");
	p = buf_take(&b, &len);
	assert_int_equal(len, 5);
	assert_int_equal(b.len, 0);
	/* The buffer is usable again and does not share the taken bytes. */
	buf_adds(&b, "second");
	q = buf_take(&b, &len);
	assert_int_equal(len, 6);
	assert_string_equal(q, "second");
	assert_string_equal(p, "first");
	assert_ptr_not_equal(p, q);
	free(p);
	free(q);
}

static void
test_binary_bytes(void **state)
{
	struct buf	 b;
	char		*p;
	size_t		 len;

	(void)state;
	buf_init(&b);
	buf_add(&b, "a\0b", 3);
	buf_addc(&b, '\0');
	buf_add(&b, "\r\n\xff", 3);
	p = buf_take(&b, &len);
	assert_int_equal(len, 7);
	assert_int_equal(memcmp(p, "a\0b\0\r\n\xff", 7), 0);
	assert_int_equal(p[7], '\0');
	free(p);
}

static void
test_add_nothing(void **state)
{
	struct buf	 b;
	char		*p;
	size_t		 len = 99;

	(void)state;
	buf_init(&b);
	buf_add(&b, "x", 0);
	buf_adds(&b, "");
	assert_int_equal(b.len, 0);
	p = buf_take(&b, &len);
	assert_int_equal(len, 0);
	assert_true(p == NULL || p[0] == '\0');
	free(p);
}

static void
test_growth(void **state)
{
	struct buf	 b;
	char		*p, chunk[97];
	size_t		 len, i, n = 0;

	(void)state;
	buf_init(&b);
	for (i = 0; i < sizeof(chunk); i++)
		chunk[i] = (char)('A' + i % 26);
	for (i = 0; i < 20000; i++) {
		buf_add(&b, chunk, (i % sizeof(chunk)) + 1);
		n += (i % sizeof(chunk)) + 1;
		buf_addc(&b, '.');
		n++;
	}
	assert_int_equal(b.failed, 0);
	assert_int_equal(b.len, n);
	assert_true(b.cap >= b.len);
	p = buf_take(&b, &len);
	assert_int_equal(len, n);
	/* Spot-check the layout: chunk of length k then '.', k = 1, 2, ... */
	assert_int_equal(p[0], 'A');
	assert_int_equal(p[1], '.');
	assert_int_equal(p[2], 'A');
	assert_int_equal(p[3], 'B');
	assert_int_equal(p[4], '.');
	assert_int_equal(p[len - 1], '.');
	assert_int_equal(p[len], '\0');
	free(p);
}

static void
test_free_then_reuse(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b);
	buf_adds(&b, "some bytes");
	buf_free(&b);
	buf_init(&b);
	buf_adds(&b, "again");
	assert_int_equal(b.len, 5);
	assert_int_equal(memcmp(b.data, "again", 5), 0);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_empty),
		cmocka_unit_test(test_add_variants),
		cmocka_unit_test(test_take_resets),
		cmocka_unit_test(test_binary_bytes),
		cmocka_unit_test(test_add_nothing),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_free_then_reuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
