/*
 * tulpar: one gemtext tree served over Gemini (TLS) and Gopher.
 * Start-up checks everything it can before serving, and every failure is
 * one line on stderr and exit status 1.
 */
#include <sys/resource.h>
#include <sys/types.h>

#include <errno.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "config.h"
#include "hostname.h"
#include "listen.h"
#include "log.h"
#include "search.h"
#include "site.h"
#include "supervise.h"
#include "ticketkeys.h"
#include "tls.h"
#include "worker.h"

/*
 * One worker per CPU this process may run on, at most MAX_WORKERS: the
 * affinity mask, not the machine, so taskset, cgroup cpusets and containers get as many workers
 * as they have cores rather than several competing for one.
 */
static int
usable_cpus(void)
{
	cpu_set_t	set;
	long		n;

	if (sched_getaffinity(0, sizeof set, &set) == 0)
		n = CPU_COUNT(&set);
	else
		n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > MAX_WORKERS ? MAX_WORKERS : (int)n;
}

#define DEFAULT_MAX_CONNS	16384	/* -m, max_connections */
#define DEFAULT_TIMEOUT		10	/* -t, read_timeout */

/* The command line; NULL or -1 where a flag was not given. */
struct options {
	int		 check_only;
	const char	*file;
	const char	*root;
	const char	*host;
	const char	*certdir;
	const char	*lang;
	const char	*search;
	const char	*gemini;
	const char	*gopher;
	int		 timeout;
	int		 max_conns;
	int		 workers;
};

static struct options	opts;
static char		hostbuf[HOSTNAME_LEN + 1];	/* -H, normalised */

/* -h, --help: every flag and its default (tests compare them with tulpar(8)). */
static void
usage(FILE *f)
{
	fprintf(f, "usage: tulpar [-hn] [-c file] [-d root] [-H hostname] "
	    "[-G [addr:]port] [-P [addr:]port|off] [-T certdir] [-L lang] "
	    "[-S path|off] "
	    "[-t seconds] [-m max-connections] [-w workers]\n"
	    "  -c file            configuration file; flags override it "
	    "(default: none)\n"
	    "  -d root            content root (default: ./capsule)\n"
	    "  -H hostname        host name served (default: localhost)\n"
	    "  -G [addr:]port     Gemini listener (default: 1965)\n"
	    "  -P [addr:]port|off Gopher listener (default: 70)\n"
	    "  -T certdir         certificate directory (default: ./certs)\n"
	    "  -L lang            lang of text/gemini answers (default: none)\n"
	    "  -S path|off        the search page (default: /search)\n"
	    "  -t seconds         time for handshake and request (default: %d)\n"
	    "  -m max-connections connections at once (default: %d)\n"
	    "  -w workers         worker processes (default: one per usable "
	    "core, %d here)\n"
	    "  -n                 check configuration, files and ports; serve "
	    "nothing\n"
	    "  -h, --help         this help\n"
	    "Without addr a listener takes every address. See tulpar(8).\n",
	    DEFAULT_TIMEOUT, DEFAULT_MAX_CONNS, usable_cpus());
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
check_listen(const char *spec, const char *flag)
{
	struct listen_addr	 la;
	const char		*errstr;

	if (listen_parse(spec, &la, &errstr) == -1)
		fatalx("-%s %s: %s", flag, spec, errstr);
}

static void
parse_options(int argc, char **argv, struct options *o)
{
	const char	*errstr;
	int		 ch;

	memset(o, 0, sizeof *o);
	o->timeout = o->max_conns = o->workers = -1;
	for (ch = 1; ch < argc && strcmp(argv[ch], "--") != 0; ch++)
		if (strcmp(argv[ch], "--help") == 0) {
			usage(stdout);
			exit(0);
		}
	opterr = 0;
	while ((ch = getopt(argc, argv, ":hnc:d:H:G:P:T:L:S:t:m:w:")) != -1) {
		switch (ch) {
		case 'h':
			usage(stdout);
			exit(0);
		case 'n':
			o->check_only = 1;
			break;
		case 'c':
			o->file = optarg;
			break;
		case 'd':
			o->root = optarg;
			break;
		case 'H':
			if (hostname_normalize(optarg, hostbuf, sizeof hostbuf,
			    &errstr) == -1)
				fatalx("invalid hostname %s: %s", optarg, errstr);
			o->host = hostbuf;
			break;
		case 'G':
			check_listen(optarg, "G");
			o->gemini = optarg;
			break;
		case 'P':
			if (strcmp(optarg, "off") != 0)
				check_listen(optarg, "P");
			o->gopher = optarg;
			break;
		case 'T':
			o->certdir = optarg;
			break;
		case 'L':
			if (!config_lang_ok(optarg))
				fatalx("invalid language %s", optarg);
			o->lang = optarg;
			break;
		case 'S':
			if (strcmp(optarg, "off") != 0 && !config_search_ok(optarg))
				fatalx("invalid search path %s (want off, or an "
				    "absolute path such as /search)", optarg);
			o->search = optarg;
			break;
		case 't':
			o->timeout = parse_number(optarg, 1, 3600, "timeout");
			break;
		case 'm':
			o->max_conns = parse_number(optarg, 1, 1000000,
			    "connection limit");
			break;
		case 'w':
			o->workers = parse_number(optarg, 1, MAX_WORKERS,
			    "worker count");
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

static int
copy(char *dst, const char *src, size_t size, const char *what, char *err,
    size_t errsz)
{
	if (strlcpy(dst, src, size) < size)
		return 0;
	snprintf(err, errsz, "%s too long: %s", what, src);
	return -1;
}

/* The flags alone make one host; with -c they override the file's first host. */
static int
apply_options(const struct options *o, struct config *c, char *err, size_t errsz)
{
	struct host_config	*h = &c->hosts[0];
	const char		*errstr;

	if ((o->root && copy(h->root, o->root, sizeof h->root, "root", err, errsz)) ||
	    (o->host && copy(h->name, o->host, sizeof h->name, "hostname", err, errsz)) ||
	    (o->lang && copy(h->lang, o->lang, sizeof h->lang, "lang", err, errsz)) ||
	    (o->search && copy(h->search, strcmp(o->search, "off") == 0 ? "" :
	    o->search, sizeof h->search, "search", err, errsz)))
		return -1;
	if (o->certdir && (copy(h->certdir, o->certdir, sizeof h->certdir,
	    "cert dir", err, errsz) || copy(c->certdir, o->certdir,
	    sizeof c->certdir, "cert dir", err, errsz)))
		return -1;
	if (o->gemini && listen_parse(o->gemini, &c->gemini, &errstr) == -1) {
		snprintf(err, errsz, "-G %s: %s", o->gemini, errstr);
		return -1;
	}
	if (o->gopher != NULL) {
		memset(&h->gopher, 0, sizeof h->gopher);
		if (strcmp(o->gopher, "off") != 0 &&
		    listen_parse(o->gopher, &h->gopher, &errstr) == -1) {
			snprintf(err, errsz, "-P %s: %s", o->gopher, errstr);
			return -1;
		}
	}
	if (o->timeout != -1)
		c->read_timeout = o->timeout;
	if (o->max_conns != -1)
		c->max_conns = o->max_conns;
	if (o->workers != -1)
		c->workers = o->workers;
	return 0;
}

/* Without -c: the defaults of the man page, one host. */
static void
default_config(struct config *c)
{
	struct host_config	*h = &c->hosts[0];

	config_defaults(c);
	memset(h, 0, sizeof *h);
	c->nhosts = 1;
	strlcpy(h->name, "localhost", sizeof h->name);
	strlcpy(h->root, "./capsule", sizeof h->root);
	strlcpy(h->certdir, c->certdir, sizeof h->certdir);
	h->listing = 1;
	h->gopher.port = 70;
	strlcpy(h->search, "/search", sizeof h->search);
}

/* The configuration from the file and the flags; also used on reload. */
static int
build_config(struct config *c, char *err, size_t errsz)
{
	if (opts.file != NULL) {
		if (config_load(opts.file, c, err, errsz) == -1)
			return -1;
	} else
		default_config(c);
	if (apply_options(&opts, c, err, errsz) == -1)
		return -1;
	/* Read now, so -n and a reload refuse a bad key file. */
	if (c->ticket_keys[0] != '\0' &&
	    ticketkeys_load(c->ticket_keys, &c->tickets, err, errsz) == -1)
		return -1;
	if (c->workers == 0)
		c->workers = usable_cpus();
	if (c->max_conns == 0)
		c->max_conns = DEFAULT_MAX_CONNS;
	if (c->read_timeout == 0)
		c->read_timeout = DEFAULT_TIMEOUT;
	/* Never serve as root by accident: nobody, unless told otherwise. */
	if (geteuid() == 0 && c->user[0] == '\0' && !c->allow_root)
		strlcpy(c->user, "nobody", sizeof c->user);
	if (c->user[0] != '\0' && getpwnam(c->user) == NULL) {
		snprintf(err, errsz, "%s: unknown user %s", opts.file ? opts.file :
		    "tulpar", c->user);
		return -1;
	}
	return 0;
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
describe_search(const struct site *s)
{
	const struct search_index	*ix = store_search(s->store);
	const char			*path = s->conf->search;

	if (ix == NULL) {
		printf("search off\n");
		return;
	}
	printf("search %s: %zu pages indexed, %zu KiB\n", path,
	    search_docs(ix), (search_memory(ix) + 1023) / 1024);
	if (store_find(s->store, path) != NULL)
		printf("warning: %s is a page of %s, which is served instead of "
		    "the search; choose another search path\n", path, s->name);
}

static void
describe(const struct state *st, const struct lspec *ls, int n)
{
	char	addr[96], crt[1024], key[1024];
	int	i;

	for (i = 0; i < st->nsites; i++) {
		const struct host_config *h = &st->conf->hosts[i];

		tls_paths(h->certdir, h->name, crt, key, sizeof crt);
		printf("host %s: root %s: %zu pages, %zu directories, %zu files, "
		    "%zu streamed\n", h->name, h->root,
		    store_count(st->sites[i].store, NODE_PAGE),
		    store_count(st->sites[i].store, NODE_DIR),
		    store_count(st->sites[i].store, NODE_FILE),
		    store_count(st->sites[i].store, NODE_LARGE));
		printf("certificate %s%s\n", crt, st->sites[i].ctx == NULL ?
		    " (to be generated)" : "");
		describe_search(&st->sites[i]);
	}
	for (i = 0; i < n; i++) {
		listen_format(&ls[i].addr, addr, sizeof addr);
		if (ls[i].site == -1)
			printf("gemini://%s:%d/ on %s\n", st->sites[0].name,
			    ls[i].addr.port, addr);
		else
			printf("gopher://%s:%d/ on %s\n", st->sites[ls[i].site].name,
			    ls[i].addr.port, addr);
	}
	if (st->conf->hosts[0].gopher.port == 0)
		printf("gopher off\n");
}

/*
 * Binds every listener once, refusing ports someone already holds. A
 * check (-n) only notes a port in use, so it works beside a running tulpar.
 */
static void
bind_all(const struct lspec *ls, int n, int *fds, int check_only)
{
	char	err[1024];
	int	i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < i; j++)
			if (memcmp(&ls[i].addr, &ls[j].addr, sizeof ls[i].addr) == 0)
				fatalx("two listeners on one address (port %d)",
				    ls[i].addr.port);
		fds[i] = listen_open(&ls[i].addr, 1, err, sizeof err);
		if (fds[i] == -1 && check_only && errno == EADDRINUSE)
			printf("note: %s: %s (a running tulpar? then reload it "
			    "to apply this configuration)\n", ls[i].site == -1 ?
			    "gemini" : "gopher", err);
		else if (fds[i] == -1)
			fatalx("%s: %s", ls[i].site == -1 ? "gemini" : "gopher", err);
	}
}

/* "gopher port 70", "gopher ports 70, 7070" or "gopher off", for the start-up line. */
static void
gopher_ports(const struct lspec *ls, int n, char *out, size_t outsz)
{
	size_t	o;
	int	i, k = 0;

	for (i = 0; i < n; i++)
		k += ls[i].site != -1;
	o = (size_t)snprintf(out, outsz, "gopher %s", k == 0 ? "off" :
	    k == 1 ? "port" : "ports");
	for (i = 0, k = 0; i < n && o < outsz; i++)
		if (ls[i].site != -1)
			o += (size_t)snprintf(out + o, outsz - o, "%s %d",
			    k++ ? "," : "", ls[i].addr.port);
}

int
main(int argc, char **argv)
{
	struct config	*conf;
	struct state	*st;
	struct lspec	 ls[MAX_LISTENERS];
	char		 err[1024], gopher[256];
	int		 fds[MAX_LISTENERS], n, i;

	parse_options(argc, argv, &opts);
	signal(SIGPIPE, SIG_IGN);
	if ((conf = calloc(1, sizeof *conf)) == NULL ||
	    (st = calloc(1, sizeof *st)) == NULL)
		fatalx("out of memory");
	if (build_config(conf, err, sizeof err) == -1)
		fatalx("%s", err);
	if (!opts.check_only && tls_ticket_secret_init() == -1)
		fatalx("cannot make session ticket keys");
	if (state_load(st, conf, opts.check_only, err, sizeof err) == -1)
		fatalx("%s", err);
	n = worker_listeners(st, ls);
	bind_all(ls, n, fds, opts.check_only);
	if (opts.check_only) {
		describe(st, ls, n);
		for (i = 0; i < st->nsites; i++) {
			store_check_all(st->sites[i].store);
			store_summary(st->sites[i].store, st->sites[i].name, err,
			    sizeof err);
			printf("%s\n", err);
		}
		for (i = 0; i < n; i++)
			if (fds[i] != -1)
				close(fds[i]);
		state_free(st);
		free(st);
		return 0;
	}
	if (st->conf->log == LOG_FILE || st->conf->log == LOG_SYSLOG) {
		if (log_target(st->conf->log == LOG_SYSLOG, st->conf->log == LOG_FILE ?
		    st->conf->logfile : NULL, err, sizeof err) == -1)
			fatalx("%s", err);
	}
	log_client_ip(st->conf->log_ip);
	raise_nofile();
	gopher_ports(ls, n, gopher, sizeof gopher);
	log_info("serving %d host%s on gemini port %d, %s, %d worker%s",
	    st->nsites, st->nsites == 1 ? "" : "s", st->conf->gemini.port, gopher,
	    st->conf->workers, st->conf->workers == 1 ? "" : "s");
	return supervise(st, fds, st->conf->workers, build_config);
}
