/* Shared helpers for the cmocka unit tests: byte comparisons, temp trees. */
#ifndef TULPAR_TEST_UNIT_H
#define TULPAR_TEST_UNIT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FIXTURE_ROOT	"tests/fixtures/tree"

/* Renders bytes readably for failure messages: \r \n \t and non-ASCII as escapes. */
static inline void
unit_show(const char *p, size_t n, char *out, size_t outsz)
{
	size_t	 o = 0, i;

	if (outsz == 0)
		return;
	if (p == NULL) {
		snprintf(out, outsz, "(null)");
		return;
	}
	for (i = 0; i < n && o + 8 < outsz; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\r')
			o += (size_t)snprintf(out + o, outsz - o, "\\r");
		else if (c == '\n')
			o += (size_t)snprintf(out + o, outsz - o, "\\n");
		else if (c == '\t')
			o += (size_t)snprintf(out + o, outsz - o, "\\t");
		else if (c == '\\')
			o += (size_t)snprintf(out + o, outsz - o, "\\\\");
		else if (c < 0x20 || c >= 0x7f)
			o += (size_t)snprintf(out + o, outsz - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	if (i < n && o + 4 < outsz)
		o += (size_t)snprintf(out + o, outsz - o, "...");
	out[o < outsz ? o : outsz - 1] = '\0';
}

/* Fails the test unless the two byte ranges are identical, showing both. */
static inline void
unit_assert_bytes(const char *got, size_t gotlen, const char *want,
    size_t wantlen, const char *what, const char *file, int line)
{
	static char	 sg[16384], sw[16384];

	if (got != NULL && gotlen == wantlen && memcmp(got, want, wantlen) == 0)
		return;
	unit_show(got, gotlen, sg, sizeof(sg));
	unit_show(want, wantlen, sw, sizeof(sw));
	print_error("%s:%d: %s differs\n  got  (%zu bytes): \"%s\"\n"
	    "  want (%zu bytes): \"%s\"\n", file, line, what,
	    got == NULL ? (size_t)0 : gotlen, sg, wantlen, sw);
	_fail(file, line);
}

#define assert_bytes_equal(got, gotlen, want, wantlen) \
	unit_assert_bytes((got), (gotlen), (want), (wantlen), #got, \
	    __FILE__, __LINE__)

/* Compares against a string literal or C string, byte for byte. */
#define assert_bytes_str(got, gotlen, want) \
	unit_assert_bytes((got), (gotlen), (want), strlen(want), #got, \
	    __FILE__, __LINE__)

/* Fails unless needle occurs in the byte range. */
static inline void
unit_assert_contains(const char *hay, size_t haylen, const char *needle,
    int want, const char *file, int line)
{
	static char	 sh[16384], sn[4096];
	int		 found;

	found = hay != NULL && memmem(hay, haylen, needle, strlen(needle)) != NULL;
	if (found == want)
		return;
	unit_show(hay, hay == NULL ? 0 : haylen, sh, sizeof(sh));
	unit_show(needle, strlen(needle), sn, sizeof(sn));
	print_error("%s:%d: \"%s\" %s\n  in: \"%s\"\n", file, line, sn,
	    want ? "not found" : "found but must not be", sh);
	_fail(file, line);
}

#define assert_contains(hay, haylen, needle) \
	unit_assert_contains((hay), (haylen), (needle), 1, __FILE__, __LINE__)
#define assert_not_contains(hay, haylen, needle) \
	unit_assert_contains((hay), (haylen), (needle), 0, __FILE__, __LINE__)

/* Temporary trees for fixtures that cannot live in the repository. */
static char	*unit_tmpdir;	/* the current test's tree, removed by unit_tmp_teardown */

static inline char *
unit_mkdtemp(void)
{
	char	 tmpl[] = "/tmp/tulpar-unit-XXXXXX";
	char	*p;

	p = mkdtemp(tmpl);
	assert_non_null(p);
	p = strdup(tmpl);
	assert_non_null(p);
	unit_tmpdir = p;
	return p;
}

static inline void
unit_join(char *out, size_t outsz, const char *dir, const char *rel)
{
	int	 n;

	n = snprintf(out, outsz, "%s/%s", dir, rel);
	assert_true(n > 0 && (size_t)n < outsz);
}

static inline void
unit_write_file(const char *dir, const char *rel, const void *data, size_t len)
{
	char	 path[4096];
	int	 fd;
	ssize_t	 n;

	unit_join(path, sizeof(path), dir, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd == -1)
		fail_msg("open %s: %s", path, strerror(errno));
	while (len > 0) {
		n = write(fd, data, len);
		assert_true(n > 0);
		data = (const char *)data + n;
		len -= (size_t)n;
	}
	assert_int_equal(close(fd), 0);
}

static inline void
unit_write_str(const char *dir, const char *rel, const char *s)
{
	unit_write_file(dir, rel, s, strlen(s));
}

static inline void
unit_mkdir(const char *dir, const char *rel)
{
	char	 path[4096];

	unit_join(path, sizeof(path), dir, rel);
	if (mkdir(path, 0755) == -1)
		fail_msg("mkdir %s: %s", path, strerror(errno));
}

static inline void
unit_symlink(const char *target, const char *dir, const char *rel)
{
	char	 path[4096];

	unit_join(path, sizeof(path), dir, rel);
	if (symlink(target, path) == -1)
		fail_msg("symlink %s: %s", path, strerror(errno));
}

static inline int
unit_rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path);
	return unlink(path);
}

static inline void
unit_rm_rf(const char *dir)
{
	if (dir != NULL)
		(void)nftw(dir, unit_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Removes the test's temporary tree even when the test failed half-way. */
static inline int
unit_tmp_teardown(void **state)
{
	(void)state;
	if (unit_tmpdir != NULL) {
		unit_rm_rf(unit_tmpdir);
		free(unit_tmpdir);
		unit_tmpdir = NULL;
	}
	return 0;
}

/* Reads a whole file of the fixture tree; the caller frees. */
static inline char *
unit_slurp(const char *path, size_t *lenp)
{
	FILE	*f;
	char	*p;
	long	 n;

	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("fopen %s: %s", path, strerror(errno));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	p = malloc((size_t)n + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	p[n] = '\0';
	fclose(f);
	*lenp = (size_t)n;
	return p;
}

#endif
