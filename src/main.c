/*
 * tulpar: one gemtext tree served over Gemini (TLS) and Gopher.
 * Start-up checks everything it can before serving, and every failure is
 * one line on stderr and exit status 1.
 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "compat.h"
#include "conn.h"
#include "gemini.h"
#include "gopher.h"
#include "listen.h"
#include "log.h"
#include "router.h"
#include "snapshot.h"
#include "tls.h"

#define STOP_GRACE	5	/* seconds to finish in-flight answers */
#define MAX_WORKERS	64

struct options {
	int			 check_only;
	const char		*root;
	const char		*host;
	const char		*certdir;
	const char		*lang;
	struct listen_addr	 gemini;
	struct listen_addr	 gopher;
	int			 gopher_off;
	int			 workers;
	struct conn_limits	 limits;
};

static struct event_base	*base;
static struct listener		*listeners[2];

static void
usage(FILE *f)
{
	fputs("usage: tulpar [-n] [-d root] [-H hostname] [-G [addr:]port] "
	    "[-P [addr:]port|off] [-T certdir] [-L lang] [-t seconds] "
	    "[-m max-connections] [-w workers]\n", f);
}

static int
valid_chars(const char *s, const char *extra, size_t max)
{
	size_t	n = strlen(s);

	if (n == 0 || n > max)
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr(extra, *s) == NULL)
			return 0;
	return 1;
}

static int
parse_number(const char *s, int lo, int hi, const char *what)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < lo || v > hi)
		fatalx("invalid %s %s (want %d to %d)", what, s, lo, hi);
	return (int)v;
}

static void
parse_listen(const char *spec, struct listen_addr *la, const char *what)
{
	const char	*errstr;

	if (listen_parse(spec, la, &errstr) == -1)
		fatalx("-%s %s: %s", what, spec, errstr);
}

static void
parse_options(int argc, char **argv, struct options *o)
{
	int	ch;

	memset(o, 0, sizeof *o);
	o->root = "./capsule";
	o->host = "localhost";
	o->certdir = "./certs";
	o->gemini.port = 1965;
	o->gopher.port = 70;
	o->limits = (struct conn_limits){ 10, 30, 16384 };
	o->workers = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (o->workers < 1)
		o->workers = 1;
	if (o->workers > MAX_WORKERS)
		o->workers = MAX_WORKERS;
	opterr = 0;
	while ((ch = getopt(argc, argv, ":hnd:H:G:P:T:L:t:m:w:")) != -1) {
		switch (ch) {
		case 'h':
			usage(stdout);
			exit(0);
		case 'n':
			o->check_only = 1;
			break;
		case 'd':
			o->root = optarg;
			break;
		case 'H':
			if (!valid_chars(optarg, ".-", 253) || optarg[0] == '.' ||
			    optarg[0] == '-')
				fatalx("invalid hostname %s", optarg);
			o->host = optarg;
			break;
		case 'G':
			parse_listen(optarg, &o->gemini, "G");
			break;
		case 'P':
			if (strcmp(optarg, "off") == 0)
				o->gopher_off = 1;
			else {
				o->gopher_off = 0;
				parse_listen(optarg, &o->gopher, "P");
			}
			break;
		case 'T':
			o->certdir = optarg;
			break;
		case 'L':
			if (!valid_chars(optarg, "-,", 64))
				fatalx("invalid language %s", optarg);
			o->lang = optarg;
			break;
		case 't':
			o->limits.read_timeout = parse_number(optarg, 1, 3600,
			    "timeout");
			break;
		case 'm':
			o->limits.max_conns = parse_number(optarg, 1, 1000000,
			    "connection limit");
			break;
		case 'w':
			o->workers = parse_number(optarg, 1, MAX_WORKERS, "worker count");
			break;
		case ':':
			fatalx("option -%c needs an argument (see tulpar -h)", optopt);
		default:
			fatalx("unknown option -%c (see tulpar -h)", optopt);
		}
	}
	if (optind < argc)
		fatalx("unexpected argument %s (see tulpar -h)", argv[optind]);
}

/* Lets the process hold as many connections as the hard limit allows. */
static void
raise_nofile(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void
stop_now(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	event_base_loopbreak(base);
}

static void
stop_when_idle(void)
{
	event_base_loopbreak(base);
}

/* SIGTERM, SIGINT: stop accepting, let answers in flight finish, exit. */
static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	static struct event	*grace;
	struct timeval		 tv = { STOP_GRACE, 0 };
	size_t			 i;

	(void)what;
	(void)arg;
	log_info("signal %d: stopping", (int)sig);
	for (i = 0; i < sizeof listeners / sizeof listeners[0]; i++) {
		listener_free(listeners[i]);
		listeners[i] = NULL;
	}
	if (conn_count() == 0) {
		event_base_loopbreak(base);
		return;
	}
	conn_on_idle(stop_when_idle);
	if (grace == NULL && (grace = evtimer_new(base, stop_now, NULL)) != NULL)
		evtimer_add(grace, &tv);
}

static void
describe(const struct options *o, const struct snapshot *snap, int generated)
{
	char	g[96], p[96], crt[1024], key[1024];

	listen_format(&o->gemini, g, sizeof g);
	listen_format(&o->gopher, p, sizeof p);
	tls_paths(o->certdir, o->host, crt, key, sizeof crt);
	printf("root %s: %zu pages, %zu directories, %zu files, %zu streamed\n",
	    o->root, snapshot_count(snap, NODE_PAGE), snapshot_count(snap, NODE_DIR),
	    snapshot_count(snap, NODE_FILE), snapshot_count(snap, NODE_LARGE));
	printf("certificate %s%s\n", crt, generated ? " (to be generated)" : "");
	printf("gemini://%s:%d/ on %s\n", o->host, o->gemini.port, g);
	if (o->gopher_off)
		printf("gopher off\n");
	else
		printf("gopher://%s:%d/ on %s\n", o->host, o->gopher.port, p);
}

/* A listener's protocol: its TLS context (NULL for plain TCP) and front end. */
struct endpoint {
	SSL_CTX			*ctx;
	struct frontend		 fe;
};

static void
on_accept(int fd, const struct sockaddr *sa, socklen_t slen, void *arg)
{
	struct endpoint	*e = arg;

	conn_accept(fd, sa, slen, e->ctx, &e->fe);
}

static void
serve(const struct options *o, SSL_CTX *ctx, int gfd, int pfd,
    const struct snapshot *snap)
{
	static struct endpoint		gem, goph;
	static struct gemini_cfg	gem_cfg;
	static struct gopher_cfg	goph_cfg;
	static struct router		router;
	struct event			*sigterm, *sigint;

	router.snap = snap;
	router.host = o->host;
	gem_cfg.router = &router;
	gem_cfg.port = o->gemini.port;
	goph_cfg.router = &router;
	gem.ctx = ctx;
	gemini_frontend(&gem.fe, &gem_cfg);
	gopher_frontend(&goph.fe, &goph_cfg);
	if ((base = event_base_new()) == NULL)
		fatalx("cannot create the event loop");
	conn_setup(base, &o->limits);
	log_buffered(base);
	listeners[0] = listener_new(base, gfd, on_accept, &gem);
	if (pfd != -1)
		listeners[1] = listener_new(base, pfd, on_accept, &goph);
	if (listeners[0] == NULL || (pfd != -1 && listeners[1] == NULL))
		fatalx("cannot start listening");
	sigterm = evsignal_new(base, SIGTERM, on_signal, NULL);
	sigint = evsignal_new(base, SIGINT, on_signal, NULL);
	if (sigterm == NULL || sigint == NULL || event_add(sigterm, NULL) == -1 ||
	    event_add(sigint, NULL) == -1)
		fatalx("cannot install signal handlers");
	event_base_dispatch(base);
	log_sync();
	event_free(sigterm);
	event_free(sigint);
	listener_free(listeners[0]);
	listener_free(listeners[1]);
	event_base_free(base);
}

/* Both listening sockets of one worker; -1 when absent. */
struct worker {
	pid_t	pid;
	int	gfd;
	int	pfd;
};

static void
worker_bind(const struct options *o, struct worker *w)
{
	char	err[1024];

	if ((w->gfd = listen_open(&o->gemini, 0, err, sizeof err)) == -1)
		fatalx("gemini: %s", err);
	w->pfd = -1;
	if (!o->gopher_off &&
	    (w->pfd = listen_open(&o->gopher, 0, err, sizeof err)) == -1)
		fatalx("gopher: %s", err);
}

static void
worker_close(struct worker *w)
{
	if (w->gfd != -1)
		close(w->gfd);
	if (w->pfd != -1)
		close(w->pfd);
	w->gfd = w->pfd = -1;
}

/* Forks one worker serving on its own sockets; the parent keeps none of them. */
static void
worker_start(const struct options *o, SSL_CTX *ctx, const struct snapshot *snap,
    struct worker *all, int n, int i, const sigset_t *old)
{
	int	j;

	if ((all[i].pid = fork()) == -1)
		fatalx("cannot start a worker: %s", strerror(errno));
	if (all[i].pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		sigprocmask(SIG_SETMASK, old, NULL);
		conn_worker(i);
		for (j = 0; j < n; j++)
			if (j != i)
				worker_close(&all[j]);
		serve(o, ctx, all[i].gfd, all[i].pfd, snap);
		exit(0);
	}
	worker_close(&all[i]);
}

/*
 * The parent only supervises: one worker per core, each with its own
 * SO_REUSEPORT listeners and event loop, restarted if it dies; SIGTERM
 * and SIGINT are passed on, and the parent exits when all have stopped.
 */
static int
supervise(struct options *o, SSL_CTX *ctx, const struct snapshot *snap,
    int gfd, int pfd)
{
	struct worker	 w[MAX_WORKERS];
	sigset_t	 set, old;
	int		 n = o->workers, i, sig, status, alive, stopping = 0;
	pid_t		 pid;

	if (conn_shared(n) == -1)
		fatalx("cannot share the connection count: %s", strerror(errno));
	w[0].gfd = gfd;
	w[0].pfd = pfd;
	for (i = 1; i < n; i++)
		worker_bind(o, &w[i]);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, &old);
	for (i = 0; i < n; i++)
		worker_start(o, ctx, snap, w, n, i, &old);
	for (alive = n; alive > 0;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig != SIGCHLD) {
			if (!stopping)
				log_info("signal %d: stopping %d workers", sig, alive);
			stopping = 1;
			for (i = 0; i < n; i++)
				if (w[i].pid > 0)
					kill(w[i].pid, SIGTERM);
			continue;
		}
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			for (i = 0; i < n && w[i].pid != pid; i++)
				;
			if (i == n)
				continue;
			w[i].pid = 0;
			alive--;
			if (stopping)
				continue;
			log_warnx("worker %d exited (status %d); restarting", (int)pid,
			    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
			sleep(1);
			worker_bind(o, &w[i]);
			worker_start(o, ctx, snap, w, n, i, &old);
			alive++;
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct options		 o;
	struct snapshot_opts	 so;
	struct snapshot		*snap;
	SSL_CTX			*ctx = NULL;
	char			 err[1024];
	int			 generated, gfd, pfd = -1;

	parse_options(argc, argv, &o);
	signal(SIGPIPE, SIG_IGN);
	memset(&so, 0, sizeof so);
	so.root = o.root;
	so.lang = o.lang;
	so.host = o.host;
	so.gopher_port = o.gopher_off ? 0 : o.gopher.port;
	so.large = SNAPSHOT_LARGE;
	if ((snap = snapshot_load(&so, err, sizeof err)) == NULL)
		fatalx("%s", err);
	if ((generated = tls_ensure_cert(o.certdir, o.host, o.check_only, err,
	    sizeof err)) == -1)
		fatalx("%s", err);
	if (!(o.check_only && generated) &&
	    (ctx = tls_server_ctx(o.certdir, o.host, err, sizeof err)) == NULL)
		fatalx("%s", err);
	if ((gfd = listen_open(&o.gemini, 1, err, sizeof err)) == -1)
		fatalx("gemini: %s", err);
	if (!o.gopher_off &&
	    (pfd = listen_open(&o.gopher, 1, err, sizeof err)) == -1)
		fatalx("gopher: %s", err);
	if (o.check_only) {
		describe(&o, snap, generated);
		close(gfd);
		if (pfd != -1)
			close(pfd);
		SSL_CTX_free(ctx);
		snapshot_free(snap);
		return 0;
	}
	if (generated)
		log_info("generated a certificate for %s in %s", o.host, o.certdir);
	if (tls_ticket_secret_init() == -1)
		fatalx("cannot make session ticket keys");
	raise_nofile();
	log_info("serving %s on gemini://%s:%d/%s%s", o.root, o.host,
	    o.gemini.port, o.gopher_off ? "" : " and gopher port ",
	    o.gopher_off ? "" : (snprintf(err, sizeof err, "%d", o.gopher.port), err));
	if (o.workers > 1)
		supervise(&o, ctx, snap, gfd, pfd);
	else
		serve(&o, ctx, gfd, pfd, snap);
	SSL_CTX_free(ctx);
	snapshot_free(snap);
	return 0;
}
