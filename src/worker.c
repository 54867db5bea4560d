/*
 * A worker: one event loop over its own SO_REUSEPORT sockets, serving
 * the state it was forked with. SIGTERM and SIGINT stop the accepting;
 * the answers in flight finish (at most STOP_GRACE seconds), then it exits.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "gemini.h"
#include "gopher.h"
#include "log.h"
#include "ratelimit.h"
#include "ticketkeys.h"
#include "program.h"
#include "supervise.h"
#include "worker.h"

#define STOP_GRACE	5

static struct event_base	*base;

/* A store's inotify fd and its debounce timer, on this worker's loop. */
struct watcher {
	struct store	*store;
	struct event	*ev;
	struct event	*timer;
};
static struct watcher		 watchers[CONFIG_MAX_HOSTS];
static struct listener		*listeners[MAX_LISTENERS];
static int			 nlisteners;

int
worker_listeners(const struct state *st, struct lspec *ls)
{
	int	i, n = 0;

	ls[n].addr = st->conf->gemini;
	ls[n].site = -1;
	ls[n++].proxy = st->conf->gemini_proxy;
	for (i = 0; i < st->nsites; i++) {
		if (st->conf->hosts[i].gopher.port == 0)
			continue;
		ls[n].addr = st->conf->hosts[i].gopher;
		ls[n].site = i;
		ls[n++].proxy = st->conf->hosts[i].gopher_proxy;
	}
	return n;
}

/* A listener's protocol: its TLS context (NULL for plain TCP) and front end. */
struct endpoint {
	SSL_CTX			*ctx;
	struct frontend		 fe;
	struct gopher_cfg	 gopher;
};

static void
on_accept(int fd, const struct sockaddr *sa, socklen_t slen, void *arg)
{
	struct endpoint	*e = arg;

	conn_accept(fd, sa, slen, e->ctx, &e->fe);
}

static void
stop_now(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	conn_close_all("stopped");
	event_base_loopbreak(base);
}

static void
stop_when_idle(void)
{
	event_base_loopbreak(base);
}

/*
 * SIGTERM, SIGINT: stop accepting and give the answers in flight
 * STOP_GRACE seconds. SIGUSR2 (a reload retiring this worker): stop
 * accepting and finish them all, however long the timeouts allow.
 */
static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	static struct event	*grace;
	struct timeval		 tv = { STOP_GRACE, 0 };
	int			 i;

	(void)what;
	(void)arg;
	if (sig == SIGTERM)
		(void)supervise_orphaned();	/* PR_SET_PDEATHSIG */
	for (i = 0; i < nlisteners; i++) {
		listener_free(listeners[i]);
		listeners[i] = NULL;
	}
	if (conn_count() == 0) {
		event_base_loopbreak(base);
		return;
	}
	conn_on_idle(stop_when_idle);
	if (sig != SIGUSR2 && grace == NULL &&
	    (grace = evtimer_new(base, stop_now, NULL)) != NULL)
		evtimer_add(grace, &tv);
}

static void
endpoint_init(struct endpoint *e, const struct state *st, const struct lspec *ls,
    struct gemini_cfg *gem)
{
	memset(e, 0, sizeof *e);
	if (ls->site == -1) {
		e->ctx = st->sites[0].ctx;
		gemini_frontend(&e->fe, gem);
	} else {
		e->gopher.router = &st->router;
		e->gopher.site = &st->sites[ls->site];
		gopher_frontend(&e->fe, &e->gopher);
	}
	e->fe.port = ls->addr.port;
	e->fe.proxy = ls->proxy;
	e->fe.site = ls->site;
}

static void
watch_arm(struct watcher *w)
{
	struct timeval	tv;
	int		ms = store_watch_timeout(w->store);

	if (ms < 0)
		return;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(w->timer, &tv);
}

static void
on_watch(evutil_socket_t fd, short what, void *arg)
{
	struct watcher	*w = arg;

	(void)fd;
	if (what & EV_READ)
		store_watch_read(w->store);
	else
		store_watch_run(w->store);
	watch_arm(w);
}

/* Every store keeps itself current on this loop, with its own inotify. */
static void
worker_watch(const struct state *st)
{
	struct watcher	*w;
	int		 i;

	for (i = 0; i < st->nsites; i++) {
		w = &watchers[i];
		w->store = st->sites[i].store;
		if (store_watch(w->store) == -1)
			continue;
		w->ev = event_new(base, store_watch_fd(w->store),
		    EV_READ | EV_PERSIST, on_watch, w);
		w->timer = evtimer_new(base, on_watch, w);
		if (w->ev == NULL || w->timer == NULL || event_add(w->ev, NULL) == -1)
			fatalx("cannot watch the content");
		watch_arm(w);
	}
}

void
worker_run(const struct state *st, const struct lspec *ls, const int *fds,
    int n, const struct conn_limits *lim)
{
	static struct endpoint	 ep[MAX_LISTENERS];
	struct gemini_cfg	 gem = { &st->router };
	struct event		*sigterm, *sigint, *sigusr2;
	int			 i;

	if ((base = event_base_new()) == NULL)
		fatalx("cannot create the event loop");
	conn_setup(base, lim);
	ratelimit_setup(st);
	ticketkeys_use(&st->conf->tickets);
	program_setup(base, st->conf->cgi_timeout, st->conf->cgi_max);
	log_buffered(base);
	worker_watch(st);
	nlisteners = n;
	for (i = 0; i < n; i++) {
		endpoint_init(&ep[i], st, &ls[i], &gem);
		if ((listeners[i] = listener_new(base, fds[i], on_accept, &ep[i])) == NULL)
			fatalx("cannot start listening");
	}
	sigterm = evsignal_new(base, SIGTERM, on_signal, NULL);
	sigint = evsignal_new(base, SIGINT, on_signal, NULL);
	sigusr2 = evsignal_new(base, SIGUSR2, on_signal, NULL);
	if (sigterm == NULL || sigint == NULL || sigusr2 == NULL ||
	    event_add(sigterm, NULL) == -1 || event_add(sigint, NULL) == -1 ||
	    event_add(sigusr2, NULL) == -1)
		fatalx("cannot install signal handlers");
	supervise_ready();
	event_base_dispatch(base);
	program_stop();		/* no program outlives its worker */
	log_sync();
	event_free(sigterm);
	event_free(sigint);
	event_free(sigusr2);
	for (i = 0; i < st->nsites; i++) {
		if (watchers[i].ev != NULL)
			event_free(watchers[i].ev);
		if (watchers[i].timer != NULL)
			event_free(watchers[i].timer);
	}
	for (i = 0; i < n; i++) {
		listener_free(listeners[i]);
		if (ep[i].fe.request != NULL && ls[i].site != -1)
			gopher_cfg_free(&ep[i].gopher);
	}
	event_base_free(base);
}
