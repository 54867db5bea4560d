/* Start-up errors, warnings, and the per-request log line, on stderr. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "log.h"

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

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
	fprintf(stderr, "tulpar: warning: %s\n", line);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;
	char	line[1024];

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	fprintf(stderr, "tulpar: %s\n", line);
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
	if (sa->sa_family == AF_INET)
		a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	if (a == NULL || inet_ntop(sa->sa_family, a, out, outsz) == NULL)
		strlcpy(out, "-", outsz);
}

void
log_request(const char *client, const char *proto, const char *req,
    size_t reqlen, const char *status, size_t bytes, const struct timespec *start)
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
	fprintf(stderr, "%s.%03ldZ %s %s \"%s\" %s %zu %.3fms\n", when,
	    (long)(now.tv_nsec / 1000000), client, proto, esc, status, bytes, ms);
}
