/* Unit tests for src/log.c: log_escape, log_addr, a worker's log pipe. */
#include "unit.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "log.h"

/* Escapes len bytes of in into a big buffer and checks the result exactly. */
static void
escape_at(const char *in, size_t len, const char *want, const char *file,
    int line)
{
	char	 out[1024];
	size_t	 n;

	memset(out, 'Z', sizeof(out));
	n = log_escape(in, len, out, sizeof(out));
	unit_assert_bytes(out, memchr(out, '\0', sizeof(out)) ?
	    strlen(out) : sizeof(out), want, strlen(want), "log_escape", file,
	    line);
	if (n != strlen(want)) {
		print_error("%s:%d: log_escape returned %zu, want %zu\n", file,
		    line, n, strlen(want));
		_fail(file, line);
	}
}

#define ESC(lit, want)	escape_at((lit), sizeof(lit) - 1, (want), __FILE__, __LINE__)

static void
test_printable_copied(void **state)
{
	(void)state;
	ESC("", "");
	ESC("abc", "abc");
	ESC("gemini://localhost/", "gemini://localhost/");
	ESC(" ~!#$%&'()*+,-./:;<=>?@[]^_`{|}", " ~!#$%&'()*+,-./:;<=>?@[]^_`{|}");
	ESC("ABCXYZ0123456789", "ABCXYZ0123456789");
}

static void
test_quote_backslash(void **state)
{
	(void)state;
	ESC("\"", "\\x22");
	ESC("\\", "\\x5c");
	ESC("a\"b\\c", "a\\x22b\\x5cc");
}

static void
test_controls(void **state)
{
	(void)state;
	ESC("\r\n", "\\x0d\\x0a");
	ESC("\t", "\\x09");
	ESC("\x1b[31m", "\\x1b[31m");
	ESC("\x7f", "\\x7f");
	ESC("\x01\x1f", "\\x01\\x1f");
}

static void
test_nul(void **state)
{
	(void)state;
	ESC("\0", "\\x00");
	ESC("a\0b", "a\\x00b");
}

static void
test_high_bytes(void **state)
{
	(void)state;
	ESC("\xc3\xbc", "\\xc3\\xbc");
	ESC("\xff\x80\xab", "\\xff\\x80\\xab");
	ESC("\xef\xbb\xbfx", "\\xef\\xbb\\xbfx");
}

static void
test_every_byte(void **state)
{
	char	 in[1], want[8];
	int	 c;

	(void)state;
	for (c = 0; c < 256; c++) {
		in[0] = (char)c;
		if (c >= 0x20 && c <= 0x7e && c != '"' && c != '\\')
			snprintf(want, sizeof(want), "%c", c);
		else
			snprintf(want, sizeof(want), "\\x%02x", c);
		escape_at(in, 1, want, __FILE__, __LINE__);
	}
}

static void
test_uses_length_not_nul(void **state)
{
	(void)state;
	escape_at("abcdef", 3, "abc", __FILE__, __LINE__);
	escape_at("\r\nxx", 2, "\\x0d\\x0a", __FILE__, __LINE__);
}

/* Truncation: never past outsz, always NUL-terminated, a prefix of the full escape. */
static void
truncated_at(const char *in, size_t len, size_t outsz, const char *file,
    int line)
{
	char	 full[1024], out[256];
	size_t	 n, i;

	n = log_escape(in, len, full, sizeof(full));
	(void)n;
	memset(out, 'Z', sizeof(out));
	n = log_escape(in, len, out, outsz);
	for (i = outsz; i < sizeof(out); i++)
		if (out[i] != 'Z') {
			print_error("%s:%d: log_escape wrote byte %zu with outsz "
			    "%zu\n", file, line, i, outsz);
			_fail(file, line);
		}
	if (memchr(out, '\0', outsz) == NULL) {
		print_error("%s:%d: no NUL within outsz %zu\n", file, line, outsz);
		_fail(file, line);
	}
	if (n != strlen(out) || n >= outsz ||
	    strncmp(out, full, strlen(out)) != 0) {
		print_error("%s:%d: outsz %zu: got \"%s\" (returned %zu), full "
		    "\"%s\"\n", file, line, outsz, out, n, full);
		_fail(file, line);
	}
}

#define TRUNC(lit, outsz) \
	truncated_at((lit), sizeof(lit) - 1, (outsz), __FILE__, __LINE__)

static void
test_truncation(void **state)
{
	char	 out[16];

	(void)state;
	memset(out, 'Z', sizeof(out));
	assert_int_equal(log_escape("abcdef", 6, out, 1), 0);
	assert_int_equal(out[0], '\0');
	assert_int_equal(out[1], 'Z');

	memset(out, 'Z', sizeof(out));
	assert_int_equal(log_escape("abcdefgh", 8, out, 5), 4);
	assert_string_equal(out, "abcd");
	assert_int_equal(out[5], 'Z');

	/* An escape that fits exactly. */
	memset(out, 'Z', sizeof(out));
	assert_int_equal(log_escape("\r", 1, out, 5), 4);
	assert_string_equal(out, "\\x0d");
	assert_int_equal(out[5], 'Z');

	TRUNC("abcdef", 1);
	TRUNC("abcdef", 5);
	TRUNC("\r\n\r\n", 1);
	TRUNC("\r\n\r\n", 5);
	TRUNC("\r\n\r\n", 6);
	TRUNC("a\r", 5);
	TRUNC("ab\"", 5);
	TRUNC("\xc3\xbc\xc3\xbc", 7);
	TRUNC("\xc3\xbc\xc3\xbc", 9);
	TRUNC("\xc3\xbc\xc3\xbc", 2);
}

static void
test_long_input(void **state)
{
	char	 in[300], out[2048], want[2048];
	size_t	 i, n;

	(void)state;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (char)(i % 2 ? '\n' : 'x');
	for (i = 0, n = 0; i < sizeof(in); i++)
		n += (size_t)snprintf(want + n, sizeof(want) - n, "%s",
		    i % 2 ? "\\x0a" : "x");
	assert_int_equal(log_escape(in, sizeof(in), out, sizeof(out)), n);
	assert_string_equal(out, want);
}

static void
test_addr_forms(void **state)
{
	struct sockaddr_in6	s6;
	struct sockaddr_in	s4;
	char			out[64];

	(void)state;
	memset(&s4, 0, sizeof s4);
	s4.sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.7", &s4.sin_addr);
	log_addr((struct sockaddr *)&s4, out, sizeof out);
	assert_string_equal(out, "192.0.2.7");
	memset(&s6, 0, sizeof s6);
	s6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &s6.sin6_addr);
	log_addr((struct sockaddr *)&s6, out, sizeof out);
	assert_string_equal(out, "127.0.0.1");	/* dual-stack: shown as IPv4 */
	inet_pton(AF_INET6, "2001:db8::1", &s6.sin6_addr);
	log_addr((struct sockaddr *)&s6, out, sizeof out);
	assert_string_equal(out, "2001:db8::1");
	log_addr(NULL, out, sizeof out);
	assert_string_equal(out, "-");
}

/* Appends whatever the pipe holds to a growing buffer; how many bytes came. */
static size_t
pipe_take(int fd, char **out, size_t *len, size_t *cap)
{
	size_t	took = 0;
	ssize_t	r;

	for (;;) {
		if (*cap - *len < 65536) {
			*cap = *cap * 2 + 65536;
			assert_non_null(*out = realloc(*out, *cap + 1));
		}
		r = read(fd, *out + *len, *cap - *len);
		if (r <= 0)
			break;
		*len += (size_t)r;
		took += (size_t)r;
	}
	(*out)[*len] = '\0';
	return took;
}

/*
 * A worker's log pipe that nobody reads never blocks it: the lines the
 * pipe and the buffer hold arrive in order, the rest are counted, and the
 * count is logged where they went missing, once the pipe drains.
 */
static void
test_worker_pipe_never_blocks(void **state)
{
	char		 pad[201], want[64], *got = NULL, *p, *nl;
	size_t		 len = 0, cap = 0;
	unsigned long	 dropped = 0;
	int		 fds[2], saved, i, n = 8000, kept = 0;

	(void)state;
	memset(pad, 'x', sizeof pad - 1);
	pad[sizeof pad - 1] = '\0';
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	(void)fcntl(fds[0], F_SETPIPE_SZ, 1 << 20);
	assert_int_equal(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
	assert_true((saved = dup(STDERR_FILENO)) != -1);
	alarm(20);	/* a write that blocks fails the test */
	assert_int_equal(log_worker(fds[1]), 0);
	close(fds[1]);
	for (i = 0; i < n; i++)
		log_info("line %05d %s", i, pad);
	while (pipe_take(fds[0], &got, &len, &cap) > 0)
		log_sync();
	log_info("after");
	log_sync();
	pipe_take(fds[0], &got, &len, &cap);
	alarm(0);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fds[0]);

	for (p = got; (nl = strchr(p, '\n')) != NULL && kept < n; p = nl + 1) {
		snprintf(want, sizeof want, "tulpar: line %05d ", kept);
		if (strncmp(p, want, strlen(want)) != 0)
			break;
		assert_int_equal(nl - p, strlen(want) + strlen(pad));
		kept++;
	}
	assert_true(kept > 0 && kept < n);
	assert_int_equal(sscanf(p, "tulpar: warning: dropped %lu log lines: "
	    "the log pipe was full\n", &dropped), 1);
	assert_int_equal(kept + dropped, n);
	assert_non_null(nl = strchr(p, '\n'));
	assert_string_equal(nl + 1, "tulpar: after\n");
	free(got);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_forms),
		cmocka_unit_test(test_printable_copied),
		cmocka_unit_test(test_quote_backslash),
		cmocka_unit_test(test_controls),
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_high_bytes),
		cmocka_unit_test(test_every_byte),
		cmocka_unit_test(test_uses_length_not_nul),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_long_input),
		cmocka_unit_test(test_worker_pipe_never_blocks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
