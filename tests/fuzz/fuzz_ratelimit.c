/*
 * The parsers of rate limits and ticket-key files, on the same input:
 * ratelimit_parse_exempt and ratelimit_parse_limit as text,
 * ticketkeys_parse as the bytes of a key file.
 *
 * Properties:
 * - each returns 0 or -1, and -1 with an errstr;
 * - exempt: 1 to RL_MAX_EXEMPT prefixes of one family each, bits no more
 *   than the family's, no bit set past them; each printed back as
 *   ADDR/BITS parses to the same prefix, and its address is exempt;
 * - limit: off, or 1..1000000 requests in 1..86400 seconds, printed back
 *   as N/S parsing the same;
 * - key file: accepted exactly when it is 1 to 16 whole 80-byte keys with
 *   distinct names, each key the bytes of the file in nginx's order.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <string.h>

#include "fuzz.h"
#include "ratelimit.h"
#include "ticketkeys.h"

static void
check_prefix(const struct rl_prefix *p)
{
	struct rl_prefix		 again[RL_MAX_EXEMPT];
	struct sockaddr_storage		 ss;
	const char			*errstr = NULL;
	char				 addr[INET6_ADDRSTRLEN], text[64];
	int				 max, n;

	FUZZ_ASSERT(p->family == AF_INET || p->family == AF_INET6, "family %d",
	    p->family);
	max = p->family == AF_INET ? 32 : 128;
	FUZZ_ASSERT(p->bits >= 0 && p->bits <= max, "bits %d", p->bits);
	FUZZ_ASSERT(inet_ntop(p->family, p->addr, addr, sizeof addr) != NULL,
	    "inet_ntop");
	snprintf(text, sizeof text, "%s/%d", addr, p->bits);
	FUZZ_ASSERT(ratelimit_parse_exempt(text, again, RL_MAX_EXEMPT, &n,
	    &errstr) == 0 && n == 1, "\"%s\" refused: %s", text,
	    errstr ? errstr : "?");
	FUZZ_ASSERT(memcmp(&again[0], p, sizeof *p) == 0, "\"%s\" differs", text);
	memset(&ss, 0, sizeof ss);
	if (p->family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, p->addr, 4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, p->addr, 16);
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			return;		/* counted as IPv4: not this prefix */
	}
	FUZZ_ASSERT(ratelimit_exempt(p, 1, (struct sockaddr *)&ss),
	    "%s not in its own prefix", text);
}

static void
check_exempt(const char *s)
{
	struct rl_prefix	 p[RL_MAX_EXEMPT];
	const char		*errstr = NULL;
	int			 i, n = -1;

	if (ratelimit_parse_exempt(s, p, RL_MAX_EXEMPT, &n, &errstr) == -1) {
		FUZZ_ASSERT(errstr != NULL && errstr[0] != '\0', "no errstr");
		return;
	}
	FUZZ_ASSERT(n >= 1 && n <= RL_MAX_EXEMPT, "n %d", n);
	for (i = 0; i < n; i++)
		check_prefix(&p[i]);
}

static void
check_limit(const char *s)
{
	struct rl_limit	 l, again;
	const char	*errstr = NULL;
	char		 text[32];

	if (ratelimit_parse_limit(s, &l, &errstr) == -1) {
		FUZZ_ASSERT(errstr != NULL && errstr[0] != '\0', "no errstr");
		return;
	}
	FUZZ_ASSERT(l.set == 1, "set %d", l.set);
	if (l.requests == 0) {
		FUZZ_ASSERT(strcmp(s, "off") == 0, "0 requests from \"%s\"", s);
		return;
	}
	FUZZ_ASSERT(l.requests >= 1 && l.requests <= 1000000 &&
	    l.seconds >= 1 && l.seconds <= 86400, "%d/%d", l.requests, l.seconds);
	snprintf(text, sizeof text, "%d/%d", l.requests, l.seconds);
	FUZZ_ASSERT(ratelimit_parse_limit(text, &again, &errstr) == 0 &&
	    memcmp(&again, &l, sizeof l) == 0, "\"%s\" differs", text);
}

static void
check_keys(const uint8_t *data, size_t size)
{
	static struct ticketkeys	 ks;
	const char			*errstr = NULL;
	int				 i, j, distinct = 1, r;

	r = ticketkeys_parse(data, size, &ks, &errstr);
	for (i = 0; size % 80 == 0 && i < (int)(size / 80) && i < 17; i++)
		for (j = 0; j < i; j++)
			if (memcmp(data + i * 80, data + j * 80, 16) == 0)
				distinct = 0;
	FUZZ_ASSERT((r == 0) == (size > 0 && size % 80 == 0 && size <= 16 * 80 &&
	    distinct), "%zu bytes gave %d", size, r);
	if (r == -1) {
		FUZZ_ASSERT(errstr != NULL && errstr[0] != '\0', "no errstr");
		return;
	}
	FUZZ_ASSERT(ks.n == (int)(size / 80), "n %d for %zu", ks.n, size);
	for (i = 0; i < ks.n; i++)
		FUZZ_ASSERT(memcmp(ks.k[i].name, data + i * 80, 16) == 0 &&
		    memcmp(ks.k[i].hmac, data + i * 80 + 16, 32) == 0 &&
		    memcmp(ks.k[i].aes, data + i * 80 + 48, 32) == 0,
		    "key %d out of order", i);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s = fuzz_cstr(data, size);

	check_exempt(s);
	check_limit(s);
	free(s);
	check_keys(data, size);
	return 0;
}
