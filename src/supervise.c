/*
 * The parent process only supervises. It holds every listening socket
 * (one set per worker, each worker accepting on its own set, so nothing
 * is passed between processes), restarts a worker that dies, relays the
 * workers' log lines to the log's target, and on SIGHUP loads the
 * configuration and content anew: if that works, a new generation of
 * workers starts on the same sockets and the old one finishes what it has
 * in flight (each old worker stops accepting once its successor accepts);
 * if not, the old one keeps serving. SIGUSR1 reopens the log. A worker
 * whose parent dies stops.
 */
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "confine.h"
#include "log.h"
#include "ratelimit.h"
#include "store.h"
#include "program.h"
#include "supervise.h"
#include "upload.h"
#include "worker.h"

#define MAX_PROCS	(4 * MAX_WORKERS)

struct proc {
	pid_t	pid;		/* 0 once reaped */
	int	slot;		/* worker index in its generation */
	int	gen;
	int	logfd;		/* read end of its stderr, -1 at EOF */
	int	readyfd;	/* EOF once it accepts; -1 when seen or none */
	int	replaces;	/* the proc it retires then, or -1 */
	pid_t	replaces_pid;
	time_t	started;
	char	tail[2048];	/* a line not yet complete */
	size_t	taillen;
};

static struct {
	struct state	*st;
	struct lspec	 ls[MAX_LISTENERS];
	int		 nls;
	int		 fds[MAX_WORKERS][MAX_LISTENERS];
	int		 nworkers;
	struct proc	 procs[MAX_PROCS];
	int		 gen;
	int		 stopping;
	int		 sigfd;
	sigset_t	 oldmask;
	reload_fn	 reload;
	int		 checking;	/* content checks still under way */
	int		 checked;	/* hosts whose content is checked */
} sv;

static pid_t	supervisor;	/* in a worker: the parent that forked it */
static int	ready_fd = -1;	/* in a worker: closed once it accepts */

static void
proc_relay(struct proc *p)
{
	char	buf[16384];
	ssize_t	r;
	char	*nl;
	size_t	 n;

	r = read(p->logfd, buf, sizeof buf);
	if (r == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		if (p->taillen > 0)
			log_relay(p->tail, p->taillen);
		p->taillen = 0;
		close(p->logfd);
		p->logfd = -1;
		return;
	}
	if ((nl = memrchr(buf, '\n', r)) == NULL) {
		n = (size_t)r;
		if (n > sizeof p->tail - p->taillen)
			n = sizeof p->tail - p->taillen;
		memcpy(p->tail + p->taillen, buf, n);
		p->taillen += n;
		return;
	}
	if (p->taillen > 0)
		log_relay(p->tail, p->taillen);
	log_relay(buf, nl - buf + 1);
	p->taillen = buf + r - (nl + 1);
	memcpy(p->tail, nl + 1, p->taillen);
}

/*
 * A worker stops (SIGTERM) when its supervisor dies, so systemd restarts
 * the whole service rather than orphans serving on unsupervised. Set after
 * confining: a change of user clears it. The parent may be gone already.
 */
static void
watch_supervisor(void)
{
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1)
		log_warnx("worker: PR_SET_PDEATHSIG: %s", strerror(errno));
	if (supervise_orphaned())
		exit(1);
}

int
supervise_orphaned(void)
{
	if (supervisor == 0 || getppid() == supervisor)
		return 0;
	log_last_word("tulpar: worker %d: the supervisor (pid %d) is gone; "
	    "stopping", (int)getpid(), (int)supervisor);
	return 1;
}

/* What a worker does after fork: confine itself, then serve. */
static void
worker_child(int slot, int logw)
{
	const struct config	*conf = sv.st->conf;
	const char		*roots[CONFIG_MAX_HOSTS], *warn;
	const char		*writable[CONFIG_MAX_HOSTS * CONFIG_MAX_PATHS];
	const char		*exec[CONFIG_MAX_HOSTS * CONFIG_MAX_PATHS];
	struct confine		 cf;
	struct conn_limits	 lim;
	char			 err[512];
	int			 i, j;

	sigprocmask(SIG_SETMASK, &sv.oldmask, NULL);
	signal(SIGHUP, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
	close(sv.sigfd);
	(void)log_worker(logw);		/* the pipe, not the file */
	close(logw);
	for (i = 0; i < MAX_PROCS; i++)
		if (sv.procs[i].logfd != -1 && sv.procs[i].pid != 0)
			close(sv.procs[i].logfd);
	for (i = 0; i < MAX_PROCS; i++)
		if (sv.procs[i].readyfd != -1)
			close(sv.procs[i].readyfd);
	for (i = 0; i < sv.nworkers; i++)
		for (j = 0; i != slot && j < sv.nls; j++)
			close(sv.fds[i][j]);
	conn_worker(slot + (sv.gen % 4) * sv.nworkers);
	for (i = 0; i < sv.st->nsites; i++)
		roots[i] = conf->hosts[i].root;
	memset(&cf, 0, sizeof cf);
	cf.user = conf->user;
	cf.chroot = conf->chroot ? conf->hosts[0].root : NULL;
	cf.roots = roots;
	cf.nroots = sv.st->nsites;
	cf.writable = writable;
	cf.nwritable = upload_dirs(conf, writable, CONFIG_MAX_HOSTS * CONFIG_MAX_PATHS);
	signal(SIGXFSZ, SIG_IGN);	/* a full file system is an upload's EFBIG */
	cf.landlock = conf->confine;
	cf.exec = exec;
	cf.nexec = program_prepare(sv.st->sites, sv.st->nsites, conf->chroot,
	    exec, CONFIG_MAX_HOSTS * CONFIG_MAX_PATHS);
	if (confine_worker(&cf, err, sizeof err, &warn) == -1)
		fatalx("worker: %s", err);
	store_cache_budget((size_t)(conf->cache_size / sv.nworkers));
	if (warn != NULL && slot == 0)
		log_warnx("%s", warn);
	watch_supervisor();
	lim.read_timeout = conf->read_timeout;
	lim.write_timeout = 30;
	lim.max_conns = conf->max_conns;
	worker_run(sv.st, sv.ls, sv.fds[slot], sv.nls, &lim);
	exit(0);
}

static int
proc_free_slot(void)
{
	int	i;

	for (i = 0; i < MAX_PROCS; i++)
		if (sv.procs[i].pid == 0 && sv.procs[i].logfd == -1 &&
		    sv.procs[i].readyfd == -1)
			return i;
	return -1;
}

/* The worker of the previous generation in this slot, still accepting. */
static int
predecessor(int slot)
{
	int	i;

	for (i = 0; i < MAX_PROCS; i++)
		if (sv.procs[i].pid > 0 && sv.procs[i].slot == slot &&
		    sv.procs[i].gen == sv.gen - 1)
			return i;
	return -1;
}

/* SIGUSR2: stop accepting, finish what is in flight (once per proc). */
static void
proc_retire(int i, pid_t pid)
{
	if (i == -1 || sv.procs[i].pid != pid || sv.procs[i].gen == sv.gen)
		return;
	if (kill(pid, SIGUSR2) == -1)
		log_warnx("cannot signal worker %d: %s", (int)pid, strerror(errno));
}

/*
 * A new worker accepts: retire the one it replaces. Until then both
 * accept, so a reload leaves no moment when nobody does (a new worker
 * takes a while to fault in a big parent's pages). A worker that dies
 * before it accepts retires its predecessor too, as before.
 */
static void
proc_ready(struct proc *p)
{
	close(p->readyfd);
	p->readyfd = -1;
	proc_retire(p->replaces, p->replaces_pid);
	p->replaces = -1;
}

void
supervise_ready(void)
{
	if (ready_fd != -1) {
		close(ready_fd);
		ready_fd = -1;
	}
}

static void
worker_start(int slot)
{
	struct proc	*p;
	int		 i, prev, pfd[2], rfd[2] = { -1, -1 };
	pid_t		 pid;

	if ((i = proc_free_slot()) == -1 || pipe2(pfd, O_CLOEXEC) == -1) {
		log_warnx("cannot start worker %d", slot);
		return;
	}
	if ((prev = predecessor(slot)) != -1 && pipe2(rfd, O_CLOEXEC) == -1) {
		proc_retire(prev, sv.procs[prev].pid);
		prev = -1;
	}
	if ((pid = fork()) == -1) {
		log_warnx("cannot start worker %d: %s", slot, strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		if (prev != -1) {
			close(rfd[0]);
			close(rfd[1]);
		}
		return;
	}
	if (pid == 0) {
		close(pfd[0]);
		if (prev != -1)
			close(rfd[0]);
		ready_fd = rfd[1];
		worker_child(slot, pfd[1]);
	}
	close(pfd[1]);
	if (prev != -1)
		close(rfd[1]);
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	(void)fcntl(pfd[0], F_SETPIPE_SZ, 1 << 20);	/* room while a reload loads */
	p = &sv.procs[i];
	memset(p, 0, sizeof *p);
	p->pid = pid;
	p->slot = slot;
	p->gen = sv.gen;
	p->logfd = pfd[0];
	p->readyfd = rfd[0];
	p->replaces = prev;
	p->replaces_pid = prev == -1 ? 0 : sv.procs[prev].pid;
	p->started = time(NULL);
}

/* SIGTERM stops within the grace; SIGUSR2 retires, finishing everything. */
static void
generation_stop(int gen, int sig)
{
	int	i;

	for (i = 0; i < MAX_PROCS; i++)
		if (sv.procs[i].pid > 0 && (gen == -1 || sv.procs[i].gen == gen) &&
		    kill(sv.procs[i].pid, sig) == -1)
			log_warnx("cannot signal worker %d: %s",
			    (int)sv.procs[i].pid, strerror(errno));
}

static void
reap(void)
{
	struct proc	*p;
	pid_t		 pid;
	int		 status, i;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < MAX_PROCS && sv.procs[i].pid != pid; i++)
			;
		if (i == MAX_PROCS)
			continue;
		p = &sv.procs[i];
		p->pid = 0;
		if (sv.stopping || p->gen != sv.gen)
			continue;
		log_warnx("worker %d exited (status %d); restarting", (int)pid,
		    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		if (time(NULL) - p->started < 1)
			sleep(1);	/* a worker that cannot start: slow down */
		worker_start(p->slot);
	}
}

static int
same_listeners(const struct state *st)
{
	struct lspec	ls[MAX_LISTENERS];
	int		n = worker_listeners(st, ls), i;

	if (n != sv.nls)
		return 0;
	for (i = 0; i < n; i++)
		if (memcmp(&ls[i], &sv.ls[i], sizeof ls[i]) != 0)
			return 0;
	return 1;
}

static void
reload(void)
{
	struct config	*conf;
	struct state	*st;
	char		 err[1024];
	int		 i;

	if ((conf = calloc(1, sizeof *conf)) == NULL ||
	    (st = calloc(1, sizeof *st)) == NULL) {
		free(conf);
		log_warnx("reload: out of memory; keeping the running configuration");
		return;
	}
	if (sv.reload(conf, err, sizeof err) == -1) {
		log_warnx("reload: %s; keeping the running configuration", err);
		free(conf);
		free(st);
		return;
	}
	if (state_reload(st, conf, sv.st, err, sizeof err) == -1) {	/* frees conf */
		log_warnx("reload: %s; keeping the running configuration", err);
		free(st);
		return;
	}
	if (!same_listeners(st)) {
		log_warnx("reload: listen addresses changed; restart tulpar to "
		    "apply them. Keeping the running configuration");
		state_free(st);
		free(st);
		return;
	}
	state_take_content(st, sv.st);
	for (i = 0; i < st->nsites; i++)
		if (store_watch_fd(st->sites[i].store) == -1)
			(void)store_watch(st->sites[i].store);
	state_free(sv.st);
	free(sv.st);
	sv.st = st;
	sv.gen++;
	for (i = 0; i < sv.nworkers; i++)
		worker_start(i);	/* each retires its predecessor once ready */
	log_info("reloaded: %d hosts, generation %d", st->nsites, sv.gen);
}

static void
on_signal(void)
{
	struct signalfd_siginfo	si;
	char			err[1024];

	if (read(sv.sigfd, &si, sizeof si) != sizeof si)
		return;
	switch (si.ssi_signo) {
	case SIGCHLD:
		reap();
		break;
	case SIGHUP:
		if (!sv.stopping)
			reload();
		break;
	case SIGUSR1:
		if (log_reopen(err, sizeof err) == -1)
			log_warnx("%s", err);
		break;
	default:
		if (!sv.stopping)
			log_info("signal %d: stopping", (int)si.ssi_signo);
		sv.stopping = 1;
		generation_stop(-1, SIGTERM);
	}
}

static int
alive(void)
{
	int	i, n = 0;

	for (i = 0; i < MAX_PROCS; i++)
		n += sv.procs[i].pid > 0 || sv.procs[i].logfd != -1;
	return n;
}

/* Sockets for the other workers, bound beside the first worker's. */
static int
bind_rest(const int *first)
{
	char	err[1024];
	int	i, j;

	for (j = 0; j < sv.nls; j++)
		sv.fds[0][j] = first[j];
	for (i = 1; i < sv.nworkers; i++)
		for (j = 0; j < sv.nls; j++)
			if ((sv.fds[i][j] = listen_open(&sv.ls[j].addr, 0, err,
			    sizeof err)) == -1)
				fatalx("%s", err);
	return 0;
}

/*
 * The parent keeps its stores current too, by the same code the workers
 * run: restarted workers and a reload's new ones are forked from it.
 * Returns the poll timeout: the nearest debounce deadline, or 0 while the
 * content checks still have pages to read.
 */
static int
content_poll(struct pollfd *pfd, int *n, int *first)
{
	int	i, t, timeout = -1;

	*first = *n;
	for (i = 0; i < sv.st->nsites; i++) {
		struct store *s = sv.st->sites[i].store;

		pfd[*n].fd = store_watch_fd(s);
		pfd[(*n)++].events = POLLIN;
		if ((t = store_watch_timeout(s)) >= 0 && (timeout < 0 || t < timeout))
			timeout = t;
	}
	return sv.checking ? 0 : timeout;
}

static void
content_run(const struct pollfd *pfd, int first)
{
	char	line[512];
	int	i, more = 0;

	for (i = 0; i < sv.st->nsites; i++) {
		struct store *s = sv.st->sites[i].store;

		if (pfd[first + i].revents & POLLIN)
			store_watch_read(s);
		store_watch_run(s);
		if (sv.checking && sv.checked == i) {
			if (store_check_step(s, 64)) {
				more = 1;
				continue;
			}
			store_summary(s, sv.st->sites[i].name, line, sizeof line);
			log_info("%s", line);
			sv.checked++;
			more = sv.checked < sv.st->nsites;
		}
	}
	if (sv.checking)
		sv.checking = more;
}

int
supervise(struct state *st, const int *fds, int workers, reload_fn fn)
{
	struct pollfd	pfd[1 + 2 * MAX_PROCS + CONFIG_MAX_HOSTS];
	sigset_t	set;
	int		i, n, first, timeout, map[1 + 2 * MAX_PROCS];

	memset(&sv, 0, sizeof sv);
	supervisor = getpid();
	sv.st = st;
	sv.reload = fn;
	sv.nworkers = workers;
	sv.nls = worker_listeners(st, sv.ls);
	for (i = 0; i < MAX_PROCS; i++)
		sv.procs[i].logfd = sv.procs[i].readyfd = -1;
	bind_rest(fds);
	if (conn_shared(4 * workers) == -1)
		fatalx("cannot share the connection count: %s", strerror(errno));
	if (ratelimit_shared() == -1)
		fatalx("cannot share the rate-limit table: %s", strerror(errno));
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &sv.oldmask);
	if ((sv.sigfd = signalfd(-1, &set, SFD_CLOEXEC)) == -1)
		fatalx("signalfd: %s", strerror(errno));
	for (i = 0; i < st->nsites; i++)
		(void)store_watch(st->sites[i].store);
	for (i = 0; i < workers; i++)
		worker_start(i);
	sv.checking = 1;
	while (!sv.stopping || alive() > 0) {
		pfd[0].fd = sv.sigfd;
		pfd[0].events = POLLIN;
		for (n = 1, i = 0; i < MAX_PROCS; i++)
			if (sv.procs[i].logfd != -1) {
				pfd[n].fd = sv.procs[i].logfd;
				pfd[n].events = POLLIN;
				map[n++] = i;
			}
		for (i = 0; i < MAX_PROCS; i++)
			if (sv.procs[i].readyfd != -1) {
				pfd[n].fd = sv.procs[i].readyfd;
				pfd[n].events = POLLIN;
				map[n++] = MAX_PROCS + i;
			}
		timeout = content_poll(pfd, &n, &first);
		if (poll(pfd, n, timeout) == -1)
			continue;
		content_run(pfd, first);
		if (pfd[0].revents & POLLIN)
			on_signal();
		for (i = 1; i < first; i++)
			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			else if (map[i] >= MAX_PROCS)
				proc_ready(&sv.procs[map[i] - MAX_PROCS]);
			else
				proc_relay(&sv.procs[map[i]]);
	}
	state_free(sv.st);
	free(sv.st);
	return 0;
}
