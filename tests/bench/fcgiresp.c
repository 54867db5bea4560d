/*
 * A minimal FastCGI responder for the bench: one thread, epoll, any
 * number of connections, FCGI_KEEP_CONN honoured, and the same short
 * gemtext page for every request. It costs next to nothing, so the bench
 * measures the server, not the responder.
 *
 *	fcgiresp PORT
 */
#include <sys/epoll.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BODY	"20 text/gemini\r\n# Hello\n\nFrom a program.\n"

struct fc {
	int		 fd;
	unsigned char	 in[65536 + 8 + 256];
	size_t		 len;
	int		 keep;
};

/* STDOUT with the page, the empty STDOUT, END_REQUEST: one write. */
static int
respond(struct fc *c, unsigned id)
{
	unsigned char	 out[256];
	size_t		 n = strlen(BODY), o = 0;
	unsigned char	 h[8] = { 1, 6, id >> 8, id & 255, n >> 8, n & 255, 0, 0 };

	memcpy(out, h, 8);
	memcpy(out + 8, BODY, n);
	o = 8 + n;
	memcpy(out + o, (unsigned char[8]){ 1, 6, id >> 8, id & 255, 0, 0, 0, 0 }, 8);
	o += 8;
	memcpy(out + o, (unsigned char[16]){ 1, 3, id >> 8, id & 255, 0, 8, 0, 0 }, 16);
	o += 16;
	return write(c->fd, out, o) == (ssize_t)o ? 0 : -1;
}

/* Consumes whole records; -1 closes the connection. */
static int
records(struct fc *c)
{
	size_t	off = 0, clen, rlen;

	while (c->len - off >= 8) {
		unsigned char *r = c->in + off;

		clen = (size_t)r[4] << 8 | r[5];
		rlen = 8 + clen + r[6];
		if (c->len - off < rlen)
			break;
		if (r[1] == 1 && clen >= 3)
			c->keep = r[8 + 2] & 1;
		if (r[1] == 5 && clen == 0) {	/* the end of STDIN: answer */
			if (respond(c, (unsigned)r[2] << 8 | r[3]) == -1 || !c->keep)
				return -1;
		}
		off += rlen;
	}
	memmove(c->in, c->in + off, c->len - off);
	c->len -= off;
	return 0;
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in	 sin;
	struct epoll_event	 ev, evs[64];
	int			 ls, ep, one = 1, n, i;

	if (argc != 2)
		return 2;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(atoi(argv[1]));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((ls = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == -1 ||
	    bind(ls, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    listen(ls, 512) == -1 || (ep = epoll_create1(0)) == -1) {
		perror("fcgiresp");
		return 1;
	}
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
	for (;;) {
		if ((n = epoll_wait(ep, evs, 64, -1)) == -1 && errno != EINTR)
			return 1;
		for (i = 0; i < n; i++) {
			struct fc	*c = evs[i].data.ptr;
			ssize_t		 r;

			if (c == NULL) {
				int fd = accept(ls, NULL, NULL);

				if (fd == -1 || (c = calloc(1, sizeof *c)) == NULL) {
					if (fd != -1)
						close(fd);
					continue;
				}
				c->fd = fd;
				ev.events = EPOLLIN;
				ev.data.ptr = c;
				epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				continue;
			}
			r = read(c->fd, c->in + c->len, sizeof c->in - c->len);
			if (r > 0) {
				c->len += r;
				if (records(c) == 0 && c->len < sizeof c->in)
					continue;
			}
			close(c->fd);
			free(c);
		}
	}
}
