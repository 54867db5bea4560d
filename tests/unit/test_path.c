/* Unit tests for src/path.c: canonicalisation, resolution, hidden paths, extensions. */
#include "unit.h"

#include "path.h"

static void
canon_at(const char *in, const char *want, const char *file, int line)
{
	char		 out[PATH_MAX_LEN + 2];
	const char	*errstr = NULL;
	int		 rc;

	memset(out, 'Z', sizeof(out));
	rc = path_canon(in, out, sizeof(out), &errstr);
	if (want == NULL) {
		if (rc != -1) {
			print_error("%s:%d: path_canon(\"%s\") rc %d, want -1\n",
			    file, line, in, rc);
			_fail(file, line);
		}
		if (errstr == NULL || errstr[0] == '\0') {
			print_error("%s:%d: path_canon(\"%s\") failed without "
			    "errstr\n", file, line, in);
			_fail(file, line);
		}
		return;
	}
	if (rc < 0 || memchr(out, '\0', sizeof(out)) == NULL ||
	    strcmp(out, want) != 0) {
		print_error("%s:%d: path_canon(\"%s\") rc %d (%s)\n", file, line,
		    in, rc, errstr ? errstr : "");
		if (rc >= 0 && memchr(out, '\0', sizeof(out)) != NULL)
			print_error("  got \"%s\" want \"%s\"\n", out, want);
		_fail(file, line);
	}
}

#define CANON(in, want)	canon_at((in), (want), __FILE__, __LINE__)
#define CANON_BAD(in)	canon_at((in), NULL, __FILE__, __LINE__)

static void
resolve_at(const char *base, const char *ref, const char *want,
    const char *file, int line)
{
	char		 out[PATH_MAX_LEN + 2];
	const char	*errstr = NULL;
	int		 rc;

	memset(out, 'Z', sizeof(out));
	rc = path_resolve(base, ref, out, sizeof(out), &errstr);
	if (want == NULL) {
		if (rc != -1) {
			print_error("%s:%d: path_resolve(\"%s\", \"%s\") rc %d, "
			    "want -1\n", file, line, base, ref, rc);
			_fail(file, line);
		}
		if (errstr == NULL || errstr[0] == '\0') {
			print_error("%s:%d: path_resolve(\"%s\", \"%s\") failed "
			    "without errstr\n", file, line, base, ref);
			_fail(file, line);
		}
		return;
	}
	if (rc < 0 || memchr(out, '\0', sizeof(out)) == NULL ||
	    strcmp(out, want) != 0) {
		print_error("%s:%d: path_resolve(\"%s\", \"%s\") rc %d (%s)\n",
		    file, line, base, ref, rc, errstr ? errstr : "");
		if (rc >= 0 && memchr(out, '\0', sizeof(out)) != NULL)
			print_error("  got \"%s\" want \"%s\"\n", out, want);
		_fail(file, line);
	}
}

#define RESOLVE(b, r, want)	resolve_at((b), (r), (want), __FILE__, __LINE__)
#define RESOLVE_BAD(b, r)	resolve_at((b), (r), NULL, __FILE__, __LINE__)

/* ---- path_canon ---- */

static void
test_canon_root(void **state)
{
	(void)state;
	CANON("", "/");
	CANON("/", "/");
	CANON("//", "/");
	CANON("///", "/");
	CANON("/.", "/");
	CANON("/./", "/");
	CANON("/a/..", "/");
	CANON("/a/../", "/");
}

static void
test_canon_plain(void **state)
{
	(void)state;
	CANON("/a", "/a");
	CANON("/a/b", "/a/b");
	CANON("/a/b.gmi", "/a/b.gmi");
	CANON("/with space.gmi", "/with space.gmi");
	CANON("/\xc3\xbc" "n\xc3\xaf.gmi", "/\xc3\xbc" "n\xc3\xaf.gmi");
}

static void
test_canon_slashes(void **state)
{
	(void)state;
	CANON("//a//b", "/a/b");
	CANON("/a///b", "/a/b");
	CANON("/a/b//", "/a/b/");
	CANON("//a//b//", "/a/b/");
}

static void
test_canon_dot(void **state)
{
	(void)state;
	CANON("/a/./b", "/a/b");
	CANON("/./a", "/a");
	CANON("/a/b/.", "/a/b/");
	CANON("/a/././b/./", "/a/b/");
}

static void
test_canon_dotdot(void **state)
{
	(void)state;
	CANON("/a/b/..", "/a/");
	CANON("/a/b/../", "/a/");
	CANON("/a/../b", "/b");
	CANON("/a/b/../../c", "/c");
	CANON("/a/./../b", "/b");
	CANON("/a/b/../c/../d", "/a/d");
	CANON("/a//../b", "/b");
}

static void
test_canon_trailing_slash(void **state)
{
	(void)state;
	CANON("/a/b/", "/a/b/");
	CANON("/a/", "/a/");
	CANON("/docs/", "/docs/");
}

static void
test_canon_dotlike_names(void **state)
{
	(void)state;
	CANON("/a/...", "/a/...");
	CANON("/...", "/...");
	CANON("/..a", "/..a");
	CANON("/a..", "/a..");
	CANON("/.a", "/.a");
	CANON("/a/..b/c", "/a/..b/c");
	CANON("/a/.../..", "/a/");
}

static void
test_canon_climb(void **state)
{
	(void)state;
	CANON_BAD("/..");
	CANON_BAD("/../");
	CANON_BAD("/../x");
	CANON_BAD("/a/../../x");
	CANON_BAD("/a/b/../../..");
	CANON_BAD("/./..");
	CANON_BAD("//../x");
	CANON_BAD("/../etc/passwd");
	CANON_BAD("/a/../../a");
}

static void
test_canon_small_out(void **state)
{
	char		 out[16];
	const char	*errstr = NULL;
	size_t		 i;

	(void)state;
	memset(out, 'Z', sizeof(out));
	errstr = NULL;
	assert_int_equal(path_canon("/abc", out, 4, &errstr), -1);
	assert_non_null(errstr);
	for (i = 4; i < sizeof(out); i++)
		assert_int_equal(out[i], 'Z');

	memset(out, 'Z', sizeof(out));
	errstr = NULL;
	assert_int_equal(path_canon("/a/b", out, 2, &errstr), -1);
	assert_non_null(errstr);
	for (i = 2; i < sizeof(out); i++)
		assert_int_equal(out[i], 'Z');

	/* The root needs two bytes. */
	memset(out, 'Z', sizeof(out));
	errstr = NULL;
	assert_int_equal(path_canon("", out, 1, &errstr), -1);
	for (i = 1; i < sizeof(out); i++)
		assert_int_equal(out[i], 'Z');
}

/* A result that fits exactly, NUL included, is not "too small". */
static void
test_canon_exact_fit(void **state)
{
	char		 out[16];
	const char	*errstr = NULL;

	(void)state;
	memset(out, 'Z', sizeof(out));
	assert_true(path_canon("/abc", out, 5, &errstr) >= 0);
	assert_string_equal(out, "/abc");
	assert_int_equal(out[5], 'Z');

	memset(out, 'Z', sizeof(out));
	assert_true(path_canon("/abc/", out, 6, &errstr) >= 0);
	assert_string_equal(out, "/abc/");
}

static void
test_canon_long(void **state)
{
	char		 in[PATH_MAX_LEN + 1], out[PATH_MAX_LEN + 2];
	const char	*errstr = NULL;
	size_t		 i;

	(void)state;
	/* "/a/a/a/..." of PATH_MAX_LEN bytes survives unchanged. */
	for (i = 0; i < PATH_MAX_LEN; i++)
		in[i] = (i % 2 == 0) ? '/' : 'a';
	in[PATH_MAX_LEN] = '\0';
	assert_true(path_canon(in, out, sizeof(out), &errstr) >= 0);
	assert_string_equal(out, in);
}

/* ---- path_resolve ---- */

static void
test_resolve(void **state)
{
	(void)state;
	RESOLVE("/docs/", "guide.gmi", "/docs/guide.gmi");
	RESOLVE("/docs/", "../index.gmi", "/index.gmi");
	RESOLVE("/docs/", "/x", "/x");
	RESOLVE("/docs/", "./", "/docs/");
	RESOLVE("/docs/", ".", "/docs/");
	RESOLVE("/docs/", "..", "/");
	RESOLVE("/docs/", "../", "/");
	RESOLVE("/docs/", "", "/docs/");
	RESOLVE("/docs/", "sub/x.gmi", "/docs/sub/x.gmi");
	RESOLVE("/docs/", "sub/", "/docs/sub/");
	RESOLVE("/docs/", "./guide.gmi", "/docs/guide.gmi");
	RESOLVE("/a/b/", "../../c", "/c");
	RESOLVE("/", "", "/");
	RESOLVE("/", "page.gmi", "/page.gmi");
	RESOLVE("/", "a//b", "/a/b");
	RESOLVE("/", "/", "/");
	RESOLVE("/docs/", "/a/../b/", "/b/");
	RESOLVE("/docs/", "with space.gmi", "/docs/with space.gmi");
}

static void
test_resolve_climb(void **state)
{
	(void)state;
	RESOLVE_BAD("/docs/", "../../x");
	RESOLVE_BAD("/docs/", "../..");
	RESOLVE_BAD("/", "..");
	RESOLVE_BAD("/", "../page.gmi");
	RESOLVE_BAD("/docs/", "/../x");
	RESOLVE_BAD("/a/b/", "../../../c");
}

static void
test_resolve_small_out(void **state)
{
	char		 out[32];
	const char	*errstr = NULL;
	size_t		 i;

	(void)state;
	memset(out, 'Z', sizeof(out));
	assert_int_equal(path_resolve("/docs/", "guide.gmi", out, 8, &errstr), -1);
	for (i = 8; i < sizeof(out); i++)
		assert_int_equal(out[i], 'Z');
}

static void
test_resolve_exact_fit(void **state)
{
	char		 out[32];
	const char	*errstr = NULL;

	(void)state;
	memset(out, 'Z', sizeof(out));
	/* "/docs/guide.gmi" is 15 bytes, 16 with the NUL. */
	assert_true(path_resolve("/docs/", "guide.gmi", out, 16, &errstr) >= 0);
	assert_string_equal(out, "/docs/guide.gmi");
	assert_int_equal(out[16], 'Z');
}

/* ---- path_hidden ---- */

static void
test_hidden(void **state)
{
	(void)state;
	assert_int_equal(path_hidden("/a/.b/c"), 1);
	assert_int_equal(path_hidden("/.x"), 1);
	assert_int_equal(path_hidden("/.hidden.gmi"), 1);
	assert_int_equal(path_hidden("/.secret/"), 1);
	assert_int_equal(path_hidden("/.secret/key.txt"), 1);
	assert_int_equal(path_hidden("/a/b/.c"), 1);
	assert_int_equal(path_hidden("/.well-known/x"), 1);
}

static void
test_not_hidden(void **state)
{
	(void)state;
	assert_int_equal(path_hidden("/"), 0);
	assert_int_equal(path_hidden("/a/b"), 0);
	assert_int_equal(path_hidden("/a/b.c"), 0);
	assert_int_equal(path_hidden("/a./b"), 0);
	assert_int_equal(path_hidden("/a/b/"), 0);
	assert_int_equal(path_hidden("/docs/guide.gmi"), 0);
	assert_int_equal(path_hidden("/a.b.c/d.e"), 0);
}

/* ---- path_ext ---- */

static void
ext_at(const char *in, const char *want, const char *file, int line)
{
	const char	*got;

	got = path_ext(in);
	if (got == NULL || strcmp(got, want) != 0) {
		print_error("%s:%d: path_ext(\"%s\") = \"%s\", want \"%s\"\n",
		    file, line, in, got ? got : "(null)", want);
		_fail(file, line);
	}
}

#define EXT(in, want)	ext_at((in), (want), __FILE__, __LINE__)

static void
test_ext(void **state)
{
	(void)state;
	EXT("/a/b.gmi", "gmi");
	EXT("/index.gmi", "gmi");
	EXT("/a/b.tar.gz", "gz");
	EXT("/A.PNG", "PNG");
	EXT("/with space.txt", "txt");
	EXT("/\xc3\xbc" "n\xc3\xaf.gmi", "gmi");
	EXT("b.gmi", "gmi");
}

static void
test_ext_none(void **state)
{
	(void)state;
	EXT("/a.b/c", "");
	EXT("/a/.profile", "");
	EXT("/.hidden", "");
	EXT("/a/b", "");
	EXT("/", "");
	EXT("/a/", "");
	EXT("", "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canon_root),
		cmocka_unit_test(test_canon_plain),
		cmocka_unit_test(test_canon_slashes),
		cmocka_unit_test(test_canon_dot),
		cmocka_unit_test(test_canon_dotdot),
		cmocka_unit_test(test_canon_trailing_slash),
		cmocka_unit_test(test_canon_dotlike_names),
		cmocka_unit_test(test_canon_climb),
		cmocka_unit_test(test_canon_small_out),
		cmocka_unit_test(test_canon_exact_fit),
		cmocka_unit_test(test_canon_long),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_resolve_climb),
		cmocka_unit_test(test_resolve_small_out),
		cmocka_unit_test(test_resolve_exact_fit),
		cmocka_unit_test(test_hidden),
		cmocka_unit_test(test_not_hidden),
		cmocka_unit_test(test_ext),
		cmocka_unit_test(test_ext_none),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
