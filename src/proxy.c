/*
 * PROXY protocol headers, version 1 (one text line) and version 2 (binary),
 * as HAProxy's doc/proxy-protocol.txt defines them. Pure: no I/O, no
 * allocation, so tests and fuzzers link it as it is. Nothing past the len
 * bytes given is read, so a header can be parsed again as it trickles in:
 * 0 means "so far so good", -1 comes as soon as the bytes cannot be one.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <string.h>

#include "proxy.h"

#define V1_ADDR4_MAX	15	/* "255.255.255.255" */
#define V1_ADDR6_MAX	39	/* eight groups of four hex digits */
#define V1_PORT_MAX	5	/* "65535" */

#define V2_SIG_LEN	12
#define V2_HDR_LEN	16	/* signature, ver-cmd, fam, length */
#define V2_CMD_LOCAL	0x0
#define V2_CMD_PROXY	0x1

static const unsigned char v2_sig[V2_SIG_LEN] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

/*
 * The protocol bytes the spec lists; any other is invalid. With a PROXY
 * command, UNSPEC and AF_UNIX stream fall back to the socket's own
 * addresses (the spec's UNSPEC mode); datagrams cannot have arrived on a
 * TCP stream, so they are refused.
 */
static const struct v2_family {
	unsigned char	 byte;
	int		 af;		/* AF_UNSPEC: addresses not used */
	size_t		 addrlen;	/* the address block; TLVs follow */
	const char	*refuse;	/* refused with a PROXY command */
} v2_families[] = {
	{ 0x00, AF_UNSPEC, 0, NULL },
	{ 0x11, AF_INET, 12, NULL },
	{ 0x12, AF_INET, 12, "PROXY header for UDP" },
	{ 0x21, AF_INET6, 36, NULL },
	{ 0x22, AF_INET6, 36, "PROXY header for UDP" },
	{ 0x31, AF_UNSPEC, 216, NULL },
	{ 0x32, AF_UNSPEC, 216, "PROXY header for a UNIX datagram socket" },
};

/* A v1 line as far as it has arrived. */
struct v1_line {
	const unsigned char	*s;
	size_t			 n;		/* bytes before the CR, or all so far */
	size_t			 off;		/* the next byte to parse */
	int			 complete;	/* the CR is there: no more fields */
};

/* Sets both addresses to family af; says where their addresses and ports go. */
static void
proxy_family(struct proxy_info *pi, int af, void *addr[2], in_port_t *port[2])
{
	struct sockaddr_storage	*ss[2] = { &pi->src, &pi->dst };
	int			 i;

	for (i = 0; i < 2; i++) {
		if (af == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)ss[i];

			sin->sin_family = AF_INET;
			addr[i] = &sin->sin_addr;
			port[i] = &sin->sin_port;
		} else {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss[i];

			sin6->sin6_family = AF_INET6;
			addr[i] = &sin6->sin6_addr;
			port[i] = &sin6->sin6_port;
		}
	}
	pi->srclen = pi->dstlen = af == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
}

/*
 * Finds the line end within the first PROXY_V1_MAX bytes; a lone CR or LF
 * is not one. *need_lf when the CR is the last byte so far.
 */
static int
v1_bound(const unsigned char *buf, size_t len, struct v1_line *l, int *need_lf,
    const char **errstr)
{
	size_t	n = len < PROXY_V1_MAX ? len : PROXY_V1_MAX, i;

	memset(l, 0, sizeof *l);
	l->s = buf;
	*need_lf = 0;
	for (i = 0; i < n && buf[i] != '\r' && buf[i] != '\n'; i++)
		;
	l->n = i;
	if (i == n && len < PROXY_V1_MAX)
		return 0;
	if (i == n || i + 2 > PROXY_V1_MAX) {
		*errstr = "no CRLF in the first 107 bytes";
		return -1;
	}
	if (buf[i] == '\n' || (i + 1 < len && buf[i + 1] != '\n')) {
		*errstr = "line not ended by CRLF";
		return -1;
	}
	l->complete = 1;
	*need_lf = i + 1 == len;
	return 0;
}

/*
 * The field at the cursor, up to the next SP or the end of the line.
 * Returns 1 when it is all there, 0 when more of it may come.
 */
static int
v1_field(struct v1_line *l, const unsigned char **f, size_t *flen,
    const char **errstr)
{
	const unsigned char	*p = l->s + l->off, *sp;
	size_t			 k;

	sp = memchr(p, ' ', l->n - l->off);
	k = sp != NULL ? (size_t)(sp - p) : l->n - l->off;
	*f = p;
	*flen = k;
	l->off += k;
	if (sp == NULL && !l->complete)
		return 0;
	if (k == 0) {
		*errstr = "empty field in PROXY line";
		return -1;
	}
	return 1;
}

/* SP: exactly one, before each field after the first. */
static int
v1_sep(struct v1_line *l, const char **errstr)
{
	if (l->off == l->n) {
		if (!l->complete)
			return 0;
		*errstr = "missing field in PROXY line";
		return -1;
	}
	if (l->s[l->off] != ' ') {
		*errstr = "extra bytes in PROXY line";
		return -1;
	}
	l->off++;
	return 1;
}

/* The field must be one of words, case-sensitive; so far, a prefix of one. */
static int
v1_keyword(struct v1_line *l, const char *const *words, size_t nwords,
    size_t *which, const char *err, const char **errstr)
{
	const unsigned char	*f;
	size_t			 k, i;
	int			 done;

	if ((done = v1_field(l, &f, &k, errstr)) == -1)
		return -1;
	for (i = 0; i < nwords; i++) {
		size_t wl = strlen(words[i]);

		if ((done ? k == wl : k <= wl) && memcmp(f, words[i], k) == 0) {
			*which = i;
			return done;
		}
	}
	*errstr = err;
	return -1;
}

/* Bytes an address of family af may hold; IPv4 numbers without heading zeros. */
static int
v1_addr_chars(const unsigned char *f, size_t k, int af)
{
	size_t	i;

	for (i = 0; i < k; i++) {
		unsigned char c = f[i];

		if (c == '0' && (i == 0 ? af == AF_INET : f[i - 1] == '.') &&
		    i + 1 < k && f[i + 1] >= '0' && f[i + 1] <= '9')
			return 0;
		if ((c >= '0' && c <= '9') || c == '.')
			continue;
		if (af == AF_INET6 && (c == ':' || (c >= 'a' && c <= 'f') ||
		    (c >= 'A' && c <= 'F')))
			continue;
		return 0;
	}
	return 1;
}

/* IPv4address / IPv6address, as inet_pton(3) reads them. */
static int
v1_addr(const unsigned char *f, size_t k, int done, int af, void *dst,
    const char **errstr)
{
	char	s[V1_ADDR6_MAX + 1];

	if (k > (af == AF_INET ? V1_ADDR4_MAX : V1_ADDR6_MAX) ||
	    !v1_addr_chars(f, k, af)) {
		*errstr = "invalid address in PROXY line";
		return -1;
	}
	if (!done)
		return 0;
	memcpy(s, f, k);
	s[k] = '\0';
	if (inet_pton(af, s, dst) != 1) {
		*errstr = "invalid address in PROXY line";
		return -1;
	}
	return 1;
}

/* port = "0" / %x31-39 *4DIGIT, at most 65535 */
static int
v1_port(const unsigned char *f, size_t k, int done, in_port_t *port,
    const char **errstr)
{
	unsigned long	v = 0;
	size_t		i;

	if (k > V1_PORT_MAX || (k > 1 && f[0] == '0')) {
		*errstr = "invalid port in PROXY line";
		return -1;
	}
	for (i = 0; i < k; i++) {
		if (f[i] < '0' || f[i] > '9') {
			*errstr = "invalid port in PROXY line";
			return -1;
		}
		v = v * 10 + (f[i] - '0');
	}
	if (v > 65535) {
		*errstr = "invalid port in PROXY line";
		return -1;
	}
	if (!done)
		return 0;
	*port = htons((in_port_t)v);
	return 1;
}

/* tcp = SP address SP address SP port SP port, after "TCP4" or "TCP6" */
static int
v1_tcp(struct v1_line *l, int af, struct proxy_info *pi, const char **errstr)
{
	const unsigned char	*f;
	void			*addr[2];
	in_port_t		*port[2];
	size_t			 k;
	int			 i, r, done;

	proxy_family(pi, af, addr, port);
	for (i = 0; i < 4; i++) {
		if ((r = v1_sep(l, errstr)) != 1)
			return r;
		if ((done = v1_field(l, &f, &k, errstr)) == -1)
			return -1;
		if (i < 2)
			r = v1_addr(f, k, done, af, addr[i], errstr);
		else
			r = v1_port(f, k, done, port[i - 2], errstr);
		if (r != 1)
			return r;
	}
	if (l->off != l->n) {
		*errstr = "extra bytes in PROXY line";
		return -1;
	}
	return 1;
}

/* unknown = [ SP *( %x20-7E ) ], after "UNKNOWN": the receiver ignores it */
static int
v1_unknown(struct v1_line *l, struct proxy_info *pi, const char **errstr)
{
	size_t	i;

	for (i = l->off; i < l->n; i++)
		if (l->s[i] < 0x20 || l->s[i] > 0x7e) {
			*errstr = "control byte in PROXY line";
			return -1;
		}
	pi->local = 1;
	return l->complete;
}

/*
 * proxy-v1 = "PROXY" SP ( "TCP4" tcp / "TCP6" tcp / "UNKNOWN" unknown ) CRLF
 * in at most 107 bytes, CRLF included.
 */
static int
proxy_v1(const unsigned char *buf, size_t len, struct proxy_info *pi,
    size_t *used, const char **errstr)
{
	static const char *const	 magic[] = { "PROXY" };
	static const char *const	 protos[] = { "TCP4", "TCP6", "UNKNOWN" };
	struct v1_line			 l;
	size_t				 which;
	int				 r, need_lf;

	if (v1_bound(buf, len, &l, &need_lf, errstr) == -1)
		return -1;
	if ((r = v1_keyword(&l, magic, 1, &which, "not a PROXY header",
	    errstr)) != 1)
		return r;
	if ((r = v1_sep(&l, errstr)) != 1)
		return r;
	if ((r = v1_keyword(&l, protos, 3, &which,
	    "unknown protocol in PROXY line", errstr)) != 1)
		return r;
	if (which == 2)
		r = v1_unknown(&l, pi, errstr);
	else
		r = v1_tcp(&l, which == 0 ? AF_INET : AF_INET6, pi, errstr);
	if (r != 1 || need_lf)
		return r == 1 ? 0 : r;
	*used = l.n + 2;
	return 1;
}

/* The family byte, for cmd: NULL with *errstr if it is refused. */
static const struct v2_family *
v2_family(unsigned char byte, int cmd, const char **errstr)
{
	size_t	i;

	for (i = 0; i < sizeof v2_families / sizeof v2_families[0]; i++) {
		if (v2_families[i].byte != byte)
			continue;
		if (cmd == V2_CMD_PROXY && v2_families[i].refuse != NULL) {
			*errstr = v2_families[i].refuse;
			return NULL;
		}
		return &v2_families[i];
	}
	*errstr = "invalid address family in PROXY header";
	return NULL;
}

/* tlv = type length-hi length-lo length*OCTET; they must fill n exactly. */
static int
v2_tlvs(const unsigned char *p, size_t n, const char **errstr)
{
	size_t	vlen;

	while (n > 0) {
		if (n < 3) {
			*errstr = "truncated TLV in PROXY header";
			return -1;
		}
		vlen = (size_t)p[1] << 8 | p[2];
		if (vlen > n - 3) {
			*errstr = "TLV longer than the PROXY header";
			return -1;
		}
		p += 3 + vlen;
		n -= 3 + vlen;
	}
	return 0;
}

/* Source and destination addresses, then ports, all in network order. */
static void
v2_addrs(const unsigned char *p, int af, struct proxy_info *pi)
{
	void		*addr[2];
	in_port_t	*port[2];
	size_t		 alen = af == AF_INET ? 4 : 16;

	proxy_family(pi, af, addr, port);
	memcpy(addr[0], p, alen);
	memcpy(addr[1], p + alen, alen);
	memcpy(port[0], p + 2 * alen, 2);
	memcpy(port[1], p + 2 * alen + 2, 2);
}

/*
 * proxy-v2  = signature ver-cmd fam length block
 * signature = %x0D.0A.0D.0A.00.0D.0A.51.55.49.54.0A
 * ver-cmd   = %x20 (LOCAL) / %x21 (PROXY)
 * fam       = %x00 / %x11 / %x12 / %x21 / %x22 / %x31 / %x32
 * length    = 2OCTET, big-endian: the block's length
 * block     = addresses *tlv for PROXY (12, 36 or 216 bytes of addresses
 *             for fam 1x, 2x, 3x); LOCAL's block is ignored
 */
static int
proxy_v2(const unsigned char *buf, size_t len, struct proxy_info *pi,
    size_t *used, const char **errstr)
{
	const struct v2_family	*fam;
	size_t			 n = len < V2_SIG_LEN ? len : V2_SIG_LEN, total;
	int			 cmd;

	if (memcmp(buf, v2_sig, n) != 0) {
		*errstr = "not a PROXY header";
		return -1;
	}
	if (len <= V2_SIG_LEN)
		return 0;
	if ((buf[12] >> 4) != 2) {
		*errstr = "PROXY header version not 2";
		return -1;
	}
	cmd = buf[12] & 0x0f;
	if (cmd != V2_CMD_LOCAL && cmd != V2_CMD_PROXY) {
		*errstr = "invalid PROXY header command";
		return -1;
	}
	if (len <= 13)
		return 0;
	if ((fam = v2_family(buf[13], cmd, errstr)) == NULL)
		return -1;
	if (len < V2_HDR_LEN)
		return 0;
	total = V2_HDR_LEN + ((size_t)buf[14] << 8 | buf[15]);
	if (cmd == V2_CMD_LOCAL) {
		if (len < total)
			return 0;
		pi->local = 1;
		*used = total;
		return 1;
	}
	if (total < V2_HDR_LEN + fam->addrlen) {
		*errstr = "PROXY header too short for its addresses";
		return -1;
	}
	if (len < total)
		return 0;
	if (fam->addrlen > 0 && v2_tlvs(buf + V2_HDR_LEN + fam->addrlen,
	    total - V2_HDR_LEN - fam->addrlen, errstr) == -1)
		return -1;
	if (fam->af == AF_UNSPEC)
		pi->local = 1;
	else
		v2_addrs(buf + V2_HDR_LEN, fam->af, pi);
	*used = total;
	return 1;
}

int
proxy_parse(const unsigned char *buf, size_t len, struct proxy_info *pi,
    size_t *used, const char **errstr)
{
	int	r;

	memset(pi, 0, sizeof *pi);
	*used = 0;
	if (len == 0)
		return 0;
	if (buf[0] == v2_sig[0])
		r = proxy_v2(buf, len, pi, used, errstr);
	else
		r = proxy_v1(buf, len, pi, used, errstr);
	if (r != 1)
		memset(pi, 0, sizeof *pi);
	return r;
}
