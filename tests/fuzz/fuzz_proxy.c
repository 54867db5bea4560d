/*
 * proxy_parse on the first bytes of a connection, as they might arrive.
 *
 * Properties:
 * - the result is -1 with an errstr, 0 or 1, and -1 is final: more bytes
 *   after a refused input do not make it a header;
 * - 1: *used <= len; a v1 header is at most 107 bytes and ends at its only
 *   CRLF, a v2 header is 16 + its length field bytes; pi holds two
 *   addresses of one family, or none when local; the first *used bytes
 *   alone parse to the same, and every shorter prefix asks for more;
 *   a TCP4 line is exactly what its addresses print as, a TCP6 line's
 *   addresses printed back parse the same, v2 addresses are the bytes sent;
 * - 0: fewer bytes than the longest header (107 for v1, 16 + the length
 *   field for v2), and every shorter prefix asks for more too.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <string.h>

#include "fuzz.h"
#include "proxy.h"

#define PREFIXES	128	/* prefixes checked one by one; then only len - 1 */

static const unsigned char sig[12] = "\r\n\r\n\0\r\nQUIT\n";

/* Parses an exact-size copy, so a sanitizer catches any read past n. */
static int
parse_copy(const uint8_t *data, size_t n, struct proxy_info *pi, size_t *used,
    const char **errstr)
{
	unsigned char	*copy = malloc(n ? n : 1);
	int		 r;

	if (copy == NULL)
		abort();
	if (n > 0)
		memcpy(copy, data, n);
	*errstr = NULL;
	r = proxy_parse(copy, n, pi, used, errstr);
	free(copy);
	return r;
}

static void
check_prefixes(const uint8_t *data, size_t n)
{
	struct proxy_info	 pi;
	const char		*errstr;
	size_t			 k, used;
	int			 r;

	for (k = 0; k < n; k++) {
		if (k > PREFIXES && k + 1 < n)
			k = n - 1;
		r = parse_copy(data, k, &pi, &used, &errstr);
		FUZZ_ASSERT(r == 0, "%zu-byte prefix of %zu gave %d (%s)", k, n,
		    r, errstr ? errstr : "no errstr");
	}
}

/* Where a sockaddr keeps its address and port. */
static const void *
addr_of(const struct sockaddr_storage *ss, in_port_t *port)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

		*port = sin->sin_port;
		return &sin->sin_addr;
	} else {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

		*port = sin6->sin6_port;
		return &sin6->sin6_addr;
	}
}

static void
check_info(const struct proxy_info *pi)
{
	static const struct sockaddr_storage	zero;
	socklen_t				want;

	FUZZ_ASSERT(pi->local == 0 || pi->local == 1, "local %d", pi->local);
	if (pi->local) {
		FUZZ_ASSERT(pi->srclen == 0 && pi->dstlen == 0 &&
		    memcmp(&pi->src, &zero, sizeof zero) == 0 &&
		    memcmp(&pi->dst, &zero, sizeof zero) == 0,
		    "local with addresses");
		return;
	}
	FUZZ_ASSERT(pi->src.ss_family == pi->dst.ss_family &&
	    (pi->src.ss_family == AF_INET || pi->src.ss_family == AF_INET6),
	    "families %d %d", pi->src.ss_family, pi->dst.ss_family);
	want = pi->src.ss_family == AF_INET ? sizeof(struct sockaddr_in) :
	    sizeof(struct sockaddr_in6);
	FUZZ_ASSERT(pi->srclen == want && pi->dstlen == want, "lengths %u %u",
	    (unsigned)pi->srclen, (unsigned)pi->dstlen);
}

/* Prints the addresses as a v1 line; returns its length. */
static size_t
v1_print(const struct proxy_info *pi, char *s, size_t sz)
{
	char		 a[2][INET6_ADDRSTRLEN];
	const void	*ad;
	in_port_t	 p[2];
	int		 af = pi->src.ss_family, r;

	ad = addr_of(&pi->src, &p[0]);
	FUZZ_ASSERT(inet_ntop(af, ad, a[0], sizeof a[0]) != NULL, "inet_ntop");
	ad = addr_of(&pi->dst, &p[1]);
	FUZZ_ASSERT(inet_ntop(af, ad, a[1], sizeof a[1]) != NULL, "inet_ntop");
	r = snprintf(s, sz, "PROXY TCP%c %s %s %u %u\r\n",
	    af == AF_INET ? '4' : '6', a[0], a[1], ntohs(p[0]), ntohs(p[1]));
	FUZZ_ASSERT(r > 0 && (size_t)r < sz, "snprintf %d", r);
	return (size_t)r;
}

static void
check_v1(const uint8_t *data, size_t used, const struct proxy_info *pi)
{
	struct proxy_info	 again;
	const char		*errstr;
	char			 s[256];
	size_t			 n, u;

	FUZZ_ASSERT(used >= 15 && used <= PROXY_V1_MAX, "v1 used %zu", used);
	FUZZ_ASSERT(memcmp(data, "PROXY ", 6) == 0, "no \"PROXY \"");
	FUZZ_ASSERT(data[used - 2] == '\r' && data[used - 1] == '\n',
	    "no CRLF at the end");
	FUZZ_ASSERT(memchr(data, '\r', used - 2) == NULL &&
	    memchr(data, '\n', used - 2) == NULL, "CR or LF inside the line");
	if (pi->local) {
		FUZZ_ASSERT(memcmp(data + 6, "UNKNOWN", 7) == 0, "local, not UNKNOWN");
		return;
	}
	n = v1_print(pi, s, sizeof s);
	if (pi->src.ss_family == AF_INET) {
		FUZZ_ASSERT(n == used && memcmp(s, data, n) == 0,
		    "TCP4 line prints back as \"%s\"", s);
		return;
	}
	FUZZ_ASSERT(parse_copy((const uint8_t *)s, n, &again, &u, &errstr) == 1,
	    "\"%s\" refused: %s", s, errstr ? errstr : "?");
	FUZZ_ASSERT(u == n && memcmp(&again, pi, sizeof again) == 0,
	    "\"%s\" parses differently", s);
}

static void
check_v2(const uint8_t *data, size_t used, const struct proxy_info *pi)
{
	const unsigned char	*a;
	in_port_t		 p[2];
	size_t			 alen;

	FUZZ_ASSERT(used >= 16 && used == 16 + ((size_t)data[14] << 8 | data[15]),
	    "v2 used %zu", used);
	FUZZ_ASSERT(memcmp(data, sig, sizeof sig) == 0, "no signature");
	FUZZ_ASSERT(data[12] == 0x20 || data[12] == 0x21, "ver-cmd %#x", data[12]);
	if (pi->local) {
		FUZZ_ASSERT(data[12] == 0x20 || data[13] == 0x00 ||
		    data[13] == 0x31, "local for fam %#x", data[13]);
		return;
	}
	FUZZ_ASSERT(data[12] == 0x21 && (data[13] == 0x11 || data[13] == 0x21),
	    "addresses from %#x %#x", data[12], data[13]);
	alen = data[13] == 0x11 ? 4 : 16;
	FUZZ_ASSERT(pi->src.ss_family == (data[13] == 0x11 ? AF_INET : AF_INET6),
	    "family %d for %#x", pi->src.ss_family, data[13]);
	a = addr_of(&pi->src, &p[0]);
	FUZZ_ASSERT(memcmp(a, data + 16, alen) == 0, "source address");
	a = addr_of(&pi->dst, &p[1]);
	FUZZ_ASSERT(memcmp(a, data + 16 + alen, alen) == 0, "destination address");
	FUZZ_ASSERT(memcmp(&p[0], data + 16 + 2 * alen, 2) == 0 &&
	    memcmp(&p[1], data + 18 + 2 * alen, 2) == 0, "ports");
}

static void
check_header(const uint8_t *data, size_t size, size_t used,
    const struct proxy_info *pi)
{
	struct proxy_info	 again;
	const char		*errstr;
	size_t			 u;
	int			 r;

	FUZZ_ASSERT(used <= size, "used %zu of %zu", used, size);
	check_info(pi);
	if (data[0] == '\r')
		check_v2(data, used, pi);
	else
		check_v1(data, used, pi);
	r = parse_copy(data, used, &again, &u, &errstr);
	FUZZ_ASSERT(r == 1, "the header alone gave %d (%s)", r,
	    errstr ? errstr : "no errstr");
	FUZZ_ASSERT(u == used, "the header alone used %zu, was %zu", u, used);
	FUZZ_ASSERT(memcmp(&again, pi, sizeof again) == 0,
	    "the header alone parses differently");
	check_prefixes(data, used);
}

static void
check_more(const uint8_t *data, size_t size)
{
	FUZZ_ASSERT(size < PROXY_V2_MAX, "0 for %zu bytes", size);
	if (size > 0 && data[0] != '\r')
		FUZZ_ASSERT(size < PROXY_V1_MAX, "v1: 0 for %zu bytes", size);
	if (size >= 16 && data[0] == '\r')
		FUZZ_ASSERT(size < 16 + ((size_t)data[14] << 8 | data[15]),
		    "v2: 0 for %zu bytes of a complete header", size);
	check_prefixes(data, size);
}

/* Refused bytes stay refused whatever follows them. */
static void
check_final(const uint8_t *data, size_t size)
{
	static const char	 tail[] = "\r\n\r\n";
	struct proxy_info	 pi;
	const char		*errstr;
	uint8_t			*more;
	size_t			 used;
	int			 r;

	if ((more = malloc(size + sizeof tail - 1)) == NULL)
		abort();
	memcpy(more, data, size);
	memcpy(more + size, tail, sizeof tail - 1);
	r = parse_copy(more, size + sizeof tail - 1, &pi, &used, &errstr);
	FUZZ_ASSERT(r == -1, "refused input plus CRLFs gave %d", r);
	free(more);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_info	 pi;
	const char		*errstr = NULL;
	size_t			 used = 0;
	int			 r;

	r = proxy_parse(data, size, &pi, &used, &errstr);
	switch (r) {
	case 1:
		check_header(data, size, used, &pi);
		break;
	case 0:
		check_more(data, size);
		break;
	case -1:
		FUZZ_ASSERT(errstr != NULL && errstr[0] != '\0', "no errstr");
		check_final(data, size);
		break;
	default:
		FUZZ_ASSERT(0, "returned %d", r);
	}
	return 0;
}
