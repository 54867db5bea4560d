/* Start-up errors, warnings, and the per-request log line, on stderr. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <event2/event.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "compat.h"
#include "log.h"

static void	log_line(const char *, ...) __attribute__((format(printf, 1, 2)));

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	log_sync();
	fputs("tulpar: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;
	char	line[1024];

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	log_line("tulpar: warning: %s\n", line);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;
	char	line[1024];

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	log_line("tulpar: %s\n", line);
}

/*
 * Log lines are written whole, one write(2) per line or per batch, so
 * workers sharing stderr never interleave inside a line. Once the event
 * loop runs they are batched and written within 100 ms, so a busy server
 * makes one write for many requests instead of one each.
 *
 * A worker's log is a pipe the parent relays, and the parent stops reading
 * while it loads a reload: a blocking write would stop the worker serving
 * for that long. So a worker's pipe never blocks: what it does not take
 * waits in log_buf (LOG_BUF_MAX), what does not fit there is dropped and
 * counted, and the count is logged where the lines went missing.
 */
#define LOG_BUF_MAX	(256 * 1024)
#define LOG_LINE_MAX	8192

static struct event	*log_flush_ev;
static int		 log_flush_pending;
static char		 log_buf[LOG_BUF_MAX];
static size_t		 log_len;
static int		 log_fd = STDERR_FILENO;
static int		 log_syslog;
static int		 log_ip = 1;
static char		 log_path[1024];
static int		 log_nonblock;		/* a worker's pipe: never wait */
static unsigned long	 log_dropped;		/* lines not queued since the last note */
static int		 log_last_fd = -1;	/* a worker's word if the parent dies */
static int		 log_last_syslog;

/*
 * Writes whole lines to the log's target: a file descriptor or syslog.
 * Returns how many bytes are done with: all of them, but for what a
 * non-blocking pipe would not take yet.
 */
static size_t
log_out(const char *p, size_t len)
{
	const char	*nl;
	size_t		 done = 0, all = len;
	ssize_t		 r;

	if (log_syslog) {
		for (; len > 0; len -= nl - p + 1, p = nl + 1) {
			if ((nl = memchr(p, '\n', len)) == NULL)
				nl = p + len - 1;
			syslog(LOG_INFO, "%.*s", (int)(nl - p), p);
		}
		return all;
	}
	while (done < len) {
		r = write(log_fd, p + done, len - done);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && errno == EAGAIN && log_nonblock)
			return done;
		if (r <= 0)
			return len;	/* nowhere to write: lose it */
		done += r;
	}
	return done;
}

/* Writes what the target takes, and keeps the rest. */
static void
log_drain(void)
{
	size_t	n = log_out(log_buf, log_len);

	log_len -= n;
	memmove(log_buf, log_buf + n, log_len);
}

/* Queues a line, after a note of the lines dropped before it; -1: no room. */
static int
log_queue(const char *line, size_t len)
{
	char	note[128];
	int	n = 0;

	if (log_dropped > 0)
		n = snprintf(note, sizeof note, "tulpar: warning: dropped %lu "
		    "log lines: the log pipe was full\n", log_dropped);
	if (n < 0 || (size_t)n + len > sizeof log_buf - log_len)
		return -1;
	memcpy(log_buf + log_len, note, n);
	memcpy(log_buf + log_len + n, line, len);
	log_len += n + len;
	log_dropped = 0;
	return 0;
}

static void
log_write(void)
{
	log_drain();
	if (log_dropped > 0 && log_queue("", 0) == 0)
		log_drain();
}

int
log_target(int syslog_on, const char *path, char *err, size_t errsz)
{
	int	fd = STDERR_FILENO;

	if (path != NULL && path[0] != '\0') {
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (fd == -1) {
			snprintf(err, errsz, "log file %s: %s", path, strerror(errno));
			return -1;
		}
		if (strlcpy(log_path, path, sizeof log_path) >= sizeof log_path) {
			close(fd);
			snprintf(err, errsz, "log file %s: name too long", path);
			return -1;
		}
	} else
		log_path[0] = '\0';
	log_write();
	if (log_fd != STDERR_FILENO)
		close(log_fd);
	log_fd = fd;
	log_syslog = syslog_on;
	if (syslog_on)
		openlog("tulpar", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	return 0;
}

int
log_worker(int fd)
{
	int	fl;

	log_write();
	if (log_fd != STDERR_FILENO)
		log_last_fd = log_fd;	/* the log file */
	else
		log_last_fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	log_last_syslog = log_syslog;
	log_fd = STDERR_FILENO;
	log_syslog = 0;
	log_path[0] = '\0';
	if (dup2(fd, STDERR_FILENO) == -1 ||
	    (fl = fcntl(STDERR_FILENO, F_GETFL)) == -1 ||
	    fcntl(STDERR_FILENO, F_SETFL, fl | O_NONBLOCK) == -1)
		return -1;
	log_nonblock = 1;
	return 0;
}

void
log_last_word(const char *fmt, ...)
{
	va_list	ap;
	char	line[1024];
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof line - 1)
		n = sizeof line - 2;
	if (log_last_syslog)
		syslog(LOG_WARNING, "%.*s", n, line);
	if (log_last_fd != -1) {
		line[n++] = '\n';
		(void)write(log_last_fd, line, n);
	}
}

int
log_reopen(char *err, size_t errsz)
{
	char	path[sizeof log_path];

	if (log_path[0] == '\0')
		return 0;
	strlcpy(path, log_path, sizeof path);
	return log_target(0, path, err, errsz);
}

void
log_relay(const char *p, size_t len)
{
	log_write();
	(void)log_out(p, len);
}

void
log_client_ip(int on)
{
	log_ip = on;
}

static void
log_arm(void)
{
	struct timeval	tv = { 0, 100 * 1000 };

	if (log_flush_ev != NULL && !log_flush_pending && log_len > 0) {
		evtimer_add(log_flush_ev, &tv);
		log_flush_pending = 1;
	}
}

static void
log_flush(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	log_flush_pending = 0;
	log_write();
	log_arm();	/* the pipe was full: try again */
}

void
log_buffered(struct event_base *base)
{
	log_flush_ev = evtimer_new(base, log_flush, NULL);
}

void
log_sync(void)
{
	struct pollfd	pfd = { .fd = log_fd, .events = POLLOUT };

	log_write();
	/* A worker's last lines: wait for the pipe, but not for ever. */
	while (log_len > 0 && log_nonblock && poll(&pfd, 1, 1000) == 1)
		log_write();
	if (log_flush_ev != NULL) {
		event_free(log_flush_ev);
		log_flush_ev = NULL;
	}
	log_flush_pending = 0;
}

/* Queues one formatted line; writes at once when not batching. */
static void
log_line(const char *fmt, ...)
{
	char	line[LOG_LINE_MAX];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof line) {	/* longer than a line may be: cut it */
		n = sizeof line - 1;
		line[n - 1] = '\n';
	}
	if (log_queue(line, n) == -1) {
		log_write();
		if (log_queue(line, n) == -1) {
			log_dropped++;
			return;
		}
	}
	if (log_flush_ev == NULL)
		log_write();
	else
		log_arm();
}

size_t
log_escape(const char *in, size_t len, char *out, size_t outsz)
{
	static const char hex[] = "0123456789abcdef";
	size_t	 o = 0, i;

	if (outsz == 0)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = in[i];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			if (o + 1 >= outsz)
				break;
			out[o++] = c;
		} else {
			if (o + 4 >= outsz)
				break;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 0xf];
		}
	}
	out[o] = '\0';
	return o;
}

void
log_addr(const struct sockaddr *sa, char *out, size_t outsz)
{
	const void	*a = NULL;

	if (sa == NULL || outsz == 0) {
		if (outsz > 0)
			strlcpy(out, "-", outsz);
		return;
	}
	int		 af = sa->sa_family;

	if (af == AF_INET)
		a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (af == AF_INET6) {
		const struct in6_addr *a6 =
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;

		a = a6;
		if (IN6_IS_ADDR_V4MAPPED(a6)) {	/* a dual-stack socket's IPv4 client */
			a = &a6->s6_addr[12];
			af = AF_INET;
		}
	}
	if (a == NULL || inet_ntop(af, a, out, outsz) == NULL)
		strlcpy(out, "-", outsz);
}

void
log_request(const char *client, const char *proto, const char *req,
    size_t reqlen, const char *status, size_t bytes, const struct timespec *start,
    const char *cert)
{
	struct timespec	 now, mono;
	struct tm	 tm;
	char		 when[32], esc[4 * 1024 + 8];
	double		 ms;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
	if (req == NULL)
		strlcpy(esc, "-", sizeof esc);
	else
		log_escape(req, reqlen, esc, sizeof esc);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	ms = (mono.tv_sec - start->tv_sec) * 1e3 +
	    (mono.tv_nsec - start->tv_nsec) / 1e6;
	log_line("%s.%03ldZ %s %s \"%s\" %s %zu %.3fms%s%s\n", when,
	    (long)(now.tv_nsec / 1000000), log_ip ? client : "-", proto, esc,
	    status, bytes, ms, cert != NULL && cert[0] != '\0' ? " cert=" : "",
	    cert != NULL ? cert : "");
}
