/* PROXY protocol headers (HAProxy's spec, versions 1 and 2): pure, no I/O. */
#ifndef TULPAR_PROXY_H
#define TULPAR_PROXY_H

#include <stddef.h>
#include <sys/socket.h>

#define PROXY_V1_MAX	107		/* longest v1 header, CRLF included */
#define PROXY_V2_MAX	(16 + 65535)	/* fixed part plus the largest length */

struct proxy_info {
	int			 local;		/* v2 LOCAL or v1 UNKNOWN: keep the socket's own addresses */
	struct sockaddr_storage	 src;		/* the client's real address (AF_INET/AF_INET6) */
	struct sockaddr_storage	 dst;
	socklen_t		 srclen, dstlen;
};

/*
 * Parses a PROXY header at the start of buf (len bytes available so far).
 * Returns 1 with *used set to the header's length and *pi filled; 0 when
 * more bytes are needed (the header is incomplete but valid so far); -1
 * with *errstr when the bytes are not a valid header (including "not a
 * PROXY header at all"). Bytes after the header are never looked at.
 *
 * local is also set for a v2 PROXY header whose family is UNSPEC or
 * AF_UNIX stream (nothing a TCP server can use); a v2 header relaying
 * UDP or a UNIX datagram socket is refused.
 */
int	proxy_parse(const unsigned char *, size_t, struct proxy_info *,
	    size_t *, const char **);

#endif
