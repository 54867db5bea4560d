/*
 * listen_parse on a command-line listen address (a C string: the input up
 * to its first NUL).
 *
 * Properties: an accepted address has a port in 1..65535 and a host that
 * is "" or a literal IPv4 or IPv6 address without brackets; listen_format
 * gives a string that parses back to the same host and port ("*:port" is
 * the format for "port").
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <string.h>

#include "fuzz.h"
#include "listen.h"

static void
check_addr(const struct listen_addr *la)
{
	struct in_addr	 a4;
	struct in6_addr	 a6;
	size_t		 hl = strnlen(la->host, sizeof la->host);

	FUZZ_ASSERT(hl < sizeof la->host, "host not terminated");
	FUZZ_ASSERT(la->port >= 1 && la->port <= 65535, "port %d", la->port);
	FUZZ_ASSERT(hl == 0 || inet_pton(AF_INET, la->host, &a4) == 1 ||
	    inet_pton(AF_INET6, la->host, &a6) == 1,
	    "host \"%s\" is not an address", la->host);
	FUZZ_ASSERT(strpbrk(la->host, "[]") == NULL, "brackets in \"%s\"", la->host);
}

static void
check_format(const struct listen_addr *la)
{
	struct listen_addr	 again;
	char			 s[128];
	const char		*errstr = NULL;

	listen_format(la, s, sizeof s);
	if (la->host[0] == '\0') {
		FUZZ_ASSERT(s[0] == '*' && s[1] == ':', "formatted as \"%s\"", s);
		memmove(s, s + 2, strlen(s + 2) + 1);
	}
	FUZZ_ASSERT(listen_parse(s, &again, &errstr) == 0,
	    "formatted \"%s\" refused: %s", s, errstr ? errstr : "?");
	FUZZ_ASSERT(strcmp(again.host, la->host) == 0 && again.port == la->port,
	    "\"%s\" parsed as \"%s\" port %d, was \"%s\" port %d", s,
	    again.host, again.port, la->host, la->port);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct listen_addr	 la;
	const char		*errstr = NULL;
	char			*spec = fuzz_cstr(data, size);

	if (listen_parse(spec, &la, &errstr) == 0) {
		check_addr(&la);
		check_format(&la);
	} else
		FUZZ_ASSERT(errstr != NULL && errstr[0] != '\0', "no errstr");
	free(spec);
	return 0;
}
