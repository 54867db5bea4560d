/* Logging: start-up errors and one line per request, to stderr. */
#ifndef TULPAR_LOG_H
#define TULPAR_LOG_H

#include <stddef.h>
#include <sys/socket.h>
#include <time.h>

struct event_base;

/* Buffers log lines and flushes them within 100 ms; log_sync undoes it. */
void	log_buffered(struct event_base *);
void	log_sync(void);

/*
 * Where log lines go: stderr (path NULL), a file appended to, or syslog.
 * Workers log to stderr, a pipe the parent relays to the target.
 */
int	log_target(int, const char *, char *, size_t);
/*
 * In a worker: logs into fd (made its stderr) without ever blocking on it,
 * dropping and counting what neither the pipe nor the buffer takes. The
 * parent's target is kept for log_last_word().
 */
int	log_worker(int);
/* One line to the parent's target (its stderr, file or syslog), unbuffered. */
void	log_last_word(const char *, ...) __attribute__((format(printf, 1, 2)));
/* SIGUSR1: reopens the log file (after rotation). */
int	log_reopen(char *, size_t);
/* The parent passes on whole lines a worker wrote. */
void	log_relay(const char *, size_t);
/* 0 leaves client addresses out of request lines. */
void	log_client_ip(int);

void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));

/* Copies bytes with every byte outside printable ASCII, '"' and '\\' escaped. */
size_t	log_escape(const char *, size_t, char *, size_t);

/* Formats an address as "1.2.3.4" or "::1"; out should hold 64 bytes. */
void	log_addr(const struct sockaddr *, char *, size_t);

#define LOG_CERT_LEN	8	/* hex digits of a client certificate's fingerprint */

/* One line: time client proto "request" status bytes duration [cert=HEX]. */
void	log_request(const char *, const char *, const char *, size_t,
	    const char *, size_t, const struct timespec *, const char *);

#endif
