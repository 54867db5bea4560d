/*
 * reftcp: the floor for tulpar's Gopher side. Plain TCP on libevent, one
 * process: read a line, write a fixed response of SIZE bytes, close.
 *
 * usage: reftcp port [size]
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "refbody.h"

static struct refbody	body;

static void
tcp_event(struct bufferevent *bev, short what, void *arg)
{
	(void)what;
	(void)arg;
	bufferevent_free(bev);
}

static void
tcp_written(struct bufferevent *bev, void *arg)
{
	(void)arg;
	bufferevent_free(bev);
}

static void
tcp_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer	*in = bufferevent_get_input(bev);
	char		*line;
	size_t		 n;

	(void)arg;
	if ((line = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF)) == NULL)
		return;
	free(line);
	bufferevent_disable(bev, EV_READ);
	bufferevent_setcb(bev, NULL, tcp_written, tcp_event, NULL);
	bufferevent_write(bev, body.data, body.len);
}

static void
tcp_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct event_base	*base = arg;
	struct bufferevent	*bev;

	(void)l;
	(void)sa;
	(void)salen;
	if ((bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE)) ==
	    NULL) {
		evutil_closesocket(fd);
		return;
	}
	bufferevent_setcb(bev, tcp_read, NULL, tcp_event, NULL);
	bufferevent_enable(bev, EV_READ);
}

int
main(int argc, char **argv)
{
	struct event_base	*base;
	struct evconnlistener	*l;
	struct sockaddr_in	 sin;

	if (argc != 2 && argc != 3) {
		fputs("usage: reftcp port [size]\n", stderr);
		return 2;
	}
	refbody_setup(&body, "", argc == 3 ? argv[2] : NULL);
	refbody_addr(&sin, argv[1]);
	if ((base = event_base_new()) == NULL)
		return 1;
	l = evconnlistener_new_bind(base, tcp_accept, base,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, -1,
	    (struct sockaddr *)&sin, sizeof sin);
	if (l == NULL) {
		perror("reftcp: listen");
		return 1;
	}
	event_base_dispatch(base);
	evconnlistener_free(l);
	event_base_free(base);
	return 0;
}
