/*
 * refserver: the floor for tulpar's Gemini side. libevent + OpenSSL with
 * default settings (TLS_server_method, certificate and key, nothing else
 * tuned), one process: read a line, answer a fixed "20 text/gemini"
 * response of SIZE bytes, send close_notify, close.
 *
 * usage: refserver port cert key [size]
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "refbody.h"

static SSL_CTX		*ctx;
static struct refbody	 body;

static void
ref_close(struct bufferevent *bev)
{
	SSL	*ssl = bufferevent_openssl_get_ssl(bev);

	/* libevent 2.1 sends no close_notify on free: send it here. */
	if (SSL_is_init_finished(ssl))
		SSL_shutdown(ssl);
	while (bufferevent_get_openssl_error(bev) != 0)
		;
	ERR_clear_error();
	bufferevent_free(bev);
}

static void
ref_event(struct bufferevent *bev, short what, void *arg)
{
	(void)arg;
	if (what & BEV_EVENT_CONNECTED)		/* the handshake is done */
		return;
	while (bufferevent_get_openssl_error(bev) != 0)
		;
	ERR_clear_error();
	bufferevent_free(bev);
}

static void
ref_written(struct bufferevent *bev, void *arg)
{
	(void)arg;
	ref_close(bev);
}

static void
ref_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer	*in = bufferevent_get_input(bev);
	char		*line;
	size_t		 n;

	(void)arg;
	if ((line = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF)) == NULL)
		return;
	free(line);
	bufferevent_disable(bev, EV_READ);
	bufferevent_setcb(bev, NULL, ref_written, ref_event, NULL);
	bufferevent_write(bev, body.data, body.len);
}

static void
ref_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct event_base	*base = arg;
	struct bufferevent	*bev;
	SSL			*ssl;

	(void)l;
	(void)sa;
	(void)salen;
	if ((ssl = SSL_new(ctx)) == NULL) {
		evutil_closesocket(fd);
		return;
	}
	bev = bufferevent_openssl_socket_new(base, fd, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		SSL_free(ssl);
		evutil_closesocket(fd);
		return;
	}
	bufferevent_setcb(bev, ref_read, NULL, ref_event, NULL);
	bufferevent_enable(bev, EV_READ);
}

int
main(int argc, char **argv)
{
	struct event_base	*base;
	struct evconnlistener	*l;
	struct sockaddr_in	 sin;

	if (argc != 4 && argc != 5) {
		fputs("usage: refserver port cert key [size]\n", stderr);
		return 2;
	}
	refbody_setup(&body, "20 text/gemini\r\n", argc == 5 ? argv[4] : NULL);
	refbody_addr(&sin, argv[1]);
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
	    SSL_CTX_use_certificate_chain_file(ctx, argv[2]) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, argv[3], SSL_FILETYPE_PEM) != 1) {
		ERR_print_errors_fp(stderr);
		return 1;
	}
	if ((base = event_base_new()) == NULL)
		return 1;
	l = evconnlistener_new_bind(base, ref_accept, base,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, -1,
	    (struct sockaddr *)&sin, sizeof sin);
	if (l == NULL) {
		perror("refserver: listen");
		return 1;
	}
	event_base_dispatch(base);
	evconnlistener_free(l);
	event_base_free(base);
	SSL_CTX_free(ctx);
	return 0;
}
