/*
 * CGI programs run beside the worker's event loop, never blocking it:
 * each is spawned in its own process group with stdin from /dev/null,
 * stdout a pipe read only when the client has taken what came before (so
 * a slow reader slows the program), and stderr a pipe whose lines go to
 * the log. A SIGCHLD event reaps with waitpid(-1, WNOHANG); the worker is
 * a subreaper, so a program's orphaned children come back to it and are
 * reaped too. Each program has a timer: past its time it gets SIGTERM,
 * and SIGKILL a moment later.
 */
#include <sys/prctl.h>
#include <sys/queue.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "cgi.h"
#include "compat.h"
#include "log.h"

#define CGI_READ	(16 * 1024)	/* output taken at a time */
#define CGI_GRACE_MS	1000		/* between SIGTERM and SIGKILL */
#define CGI_ERR_LINE	512		/* longer stderr lines are cut */
#define CGI_ERR_LINES	100		/* logged per program, then dropped */

struct cgi_job {
	TAILQ_ENTRY(cgi_job)	 entry;
	pid_t			 pid;		/* also its process group */
	int			 out, err;	/* pipes, -1 at EOF */
	struct event		*outev, *errev, *timer;
	const struct prog_cb	*cb;		/* NULL once cancelled or ended */
	void			*arg;
	const struct path_rule	*rule;
	int			 exited, status;
	int			 killing;	/* TERM sent; the timer sends KILL */
	long			 budget_ms;	/* waiting time left */
	struct timespec		 since;		/* waiting since, when reading */
	int			 reading;
	char			 name[128];
	char			 line[CGI_ERR_LINE];
	size_t			 linelen;
	int			 lines;
};

static TAILQ_HEAD(, cgi_job)	 cgi_jobs = TAILQ_HEAD_INITIALIZER(cgi_jobs);
static struct event_base	*cgi_base;
static struct event		*cgi_sigchld;
static int			 cgi_devnull = -1;

static void	cgi_reap(evutil_socket_t, short, void *);
static void	cgi_finish(struct cgi_job *);

void
cgi_setup(struct event_base *base)
{
	cgi_base = base;
	(void)prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	if ((cgi_sigchld = evsignal_new(base, SIGCHLD, cgi_reap, NULL)) != NULL)
		event_add(cgi_sigchld, NULL);
	cgi_devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
}

int
cgi_count(const struct path_rule *rule)
{
	struct cgi_job	*j;
	int		 n = 0;

	TAILQ_FOREACH(j, &cgi_jobs, entry)
		n += rule == NULL || j->rule == rule;
	return n;
}

void
cgi_log_line(const char *name, const char *s, size_t len)
{
	char	esc[4 * CGI_ERR_LINE + 1];

	log_escape(s, len, esc, sizeof esc);
	log_warnx("program %s: %s", name, esc);
}

long
cgi_ms_since(const struct timespec *t)
{
	struct timespec	now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) * 1000L +
	    (now.tv_nsec - t->tv_nsec) / 1000000L;
}

void
cgi_timer_add(struct event *ev, long ms)
{
	struct timeval	tv;

	if (ms < 1)
		ms = 1;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(ev, &tv);
}

static void
cgi_timer_ms(struct cgi_job *j, long ms)
{
	cgi_timer_add(j->timer, ms);
}

/* Signals the whole group; ESRCH (all gone) is fine. */
static void
cgi_kill(struct cgi_job *j, int sig)
{
	(void)kill(-j->pid, sig);
}

/* Stops reading output and starts the end: TERM now, KILL after a grace. */
static void
cgi_terminate(struct cgi_job *j)
{
	if (j->outev != NULL)
		event_del(j->outev);
	if (j->out != -1) {
		close(j->out);
		j->out = -1;
	}
	j->reading = 0;
	if (j->exited || j->killing)
		return;
	j->killing = 1;
	cgi_kill(j, SIGTERM);
	cgi_timer_ms(j, CGI_GRACE_MS);
}

static void
cgi_free(struct cgi_job *j)
{
	TAILQ_REMOVE(&cgi_jobs, j, entry);
	if (j->outev != NULL)
		event_free(j->outev);
	if (j->errev != NULL)
		event_free(j->errev);
	if (j->timer != NULL)
		event_free(j->timer);
	if (j->out != -1)
		close(j->out);
	if (j->err != -1)
		close(j->err);
	free(j);
}

/* A job is done with once its process is reaped and nobody listens. */
static void
cgi_maybe_free(struct cgi_job *j)
{
	if (j->exited && j->cb == NULL)
		cgi_free(j);
}

static void
cgi_end(struct cgi_job *j, enum prog_end how)
{
	const struct prog_cb	*cb = j->cb;

	j->cb = NULL;
	if (cb != NULL)
		cb->end(j->arg, how);
}

static void
cgi_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct cgi_job	*j = arg;

	(void)fd;
	(void)what;
	if (j->killing) {
		cgi_kill(j, SIGKILL);
		return;
	}
	log_warnx("program %s: timed out; stopping it", j->name);
	cgi_terminate(j);
	cgi_end(j, PROG_TIMEOUT);
}

/* Output: one read, then pause until resumed. */
static void
cgi_on_out(evutil_socket_t fd, short what, void *arg)
{
	struct cgi_job	*j = arg;
	char		 buf[CGI_READ];
	ssize_t		 r;

	(void)what;
	r = read(fd, buf, sizeof buf);
	if (r == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	event_del(j->outev);
	if (j->reading) {
		j->budget_ms -= cgi_ms_since(&j->since);
		j->reading = 0;
	}
	if (r <= 0) {
		close(j->out);
		j->out = -1;
		cgi_finish(j);
		return;
	}
	evtimer_del(j->timer);
	if (j->cb != NULL)
		j->cb->data(j->arg, buf, r);
}

static void
cgi_err_flush(struct cgi_job *j)
{
	if (j->linelen > 0 && j->lines++ < CGI_ERR_LINES)
		cgi_log_line(j->name, j->line, j->linelen);
	else if (j->linelen > 0 && j->lines == CGI_ERR_LINES + 1)
		log_warnx("program %s: more stderr dropped", j->name);
	j->linelen = 0;
}

/* Stderr: every line to the log, read whenever it comes. */
static void
cgi_on_err(evutil_socket_t fd, short what, void *arg)
{
	struct cgi_job	*j = arg;
	char		 buf[4096];
	ssize_t		 r, i;

	(void)what;
	r = read(fd, buf, sizeof buf);
	if (r == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		cgi_err_flush(j);
		event_del(j->errev);
		close(j->err);
		j->err = -1;
		return;
	}
	for (i = 0; i < r; i++) {
		if (buf[i] == '\n') {
			cgi_err_flush(j);
			continue;
		}
		j->line[j->linelen++] = buf[i];
		if (j->linelen == sizeof j->line)
			cgi_err_flush(j);
	}
}

/* Output at EOF and the process reaped: the answer is complete or not. */
static void
cgi_finish(struct cgi_job *j)
{
	if (j->out != -1 || !j->exited) {
		if (j->out == -1 && !j->killing)	/* EOF; the exit comes */
			cgi_timer_ms(j, j->budget_ms);
		return;
	}
	evtimer_del(j->timer);
	if (j->err != -1)
		cgi_on_err(j->err, EV_READ, j);	/* the last of stderr */
	cgi_end(j, WIFEXITED(j->status) && !j->killing ? PROG_OK : PROG_FAILED);
	cgi_maybe_free(j);
}

static void
cgi_reap(evutil_socket_t sig, short what, void *arg)
{
	struct cgi_job	*j;
	pid_t		 pid;
	int		 status;

	(void)sig;
	(void)what;
	(void)arg;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		TAILQ_FOREACH(j, &cgi_jobs, entry)
			if (j->pid == pid && !j->exited)
				break;
		if (j == NULL)
			continue;	/* an orphan of a program: reaped */
		j->exited = 1;
		j->status = status;
		cgi_kill(j, SIGKILL);	/* what it left behind in its group */
		if (WIFSIGNALED(status) && !j->killing)
			log_warnx("program %s: killed by signal %d", j->name,
			    WTERMSIG(status));
		if (j->cb == NULL) {
			if (j->timer != NULL)
				evtimer_del(j->timer);
			cgi_maybe_free(j);
		} else
			cgi_finish(j);
	}
}

static int
cgi_spawn(struct cgi_job *j, const struct cgi_spec *sp, int outw, int errw)
{
	posix_spawn_file_actions_t	fa;
	posix_spawnattr_t		at;
	sigset_t			all, none;
	char				*argv[2] = { (char *)(uintptr_t)sp->path, NULL };
	int				r;

	sigfillset(&all);
	sigemptyset(&none);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	if (cgi_devnull != -1)
		posix_spawn_file_actions_adddup2(&fa, cgi_devnull, 0);
	else
		posix_spawn_file_actions_addclose(&fa, 0);
	posix_spawn_file_actions_adddup2(&fa, outw, 1);
	posix_spawn_file_actions_adddup2(&fa, errw, 2);
	posix_spawn_file_actions_addchdir_np(&fa, sp->dir);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	r = posix_spawn(&j->pid, sp->path, &fa, &at, argv, sp->env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return r;
}

struct cgi_job *
cgi_start(const struct cgi_spec *sp, const struct prog_cb *cb, void *arg,
    const char **errstr)
{
	struct cgi_job	*j;
	int		 o[2] = { -1, -1 }, e[2] = { -1, -1 }, r;

	if ((j = calloc(1, sizeof *j)) == NULL) {
		*errstr = "out of memory";
		return NULL;
	}
	j->out = j->err = -1;
	if (pipe2(o, O_CLOEXEC | O_NONBLOCK) == -1 ||
	    pipe2(e, O_CLOEXEC | O_NONBLOCK) == -1) {
		*errstr = strerror(errno);
		goto fail;
	}
	/* The program's ends block, as a program expects. */
	(void)fcntl(o[1], F_SETFL, 0);
	(void)fcntl(e[1], F_SETFL, 0);
	if ((r = cgi_spawn(j, sp, o[1], e[1])) != 0) {
		*errstr = strerror(r);
		goto fail;
	}
	close(o[1]);
	close(e[1]);
	j->out = o[0];
	j->err = e[0];
	j->cb = cb;
	j->arg = arg;
	j->rule = sp->rule;
	j->budget_ms = sp->timeout * 1000L;
	strlcpy(j->name, sp->name, sizeof j->name);
	TAILQ_INSERT_TAIL(&cgi_jobs, j, entry);
	j->outev = event_new(cgi_base, j->out, EV_READ | EV_PERSIST, cgi_on_out, j);
	j->errev = event_new(cgi_base, j->err, EV_READ | EV_PERSIST, cgi_on_err, j);
	j->timer = evtimer_new(cgi_base, cgi_on_timer, j);
	if (j->outev == NULL || j->errev == NULL || j->timer == NULL) {
		/* Started, so it is stopped and reaped like any other. */
		j->cb = NULL;
		if (j->timer != NULL)
			cgi_terminate(j);
		else
			cgi_kill(j, SIGKILL);
		*errstr = "out of memory";
		return NULL;
	}
	event_add(j->errev, NULL);
	return j;
fail:
	if (o[0] != -1) {
		close(o[0]);
		close(o[1]);
	}
	if (e[0] != -1) {
		close(e[0]);
		close(e[1]);
	}
	free(j);
	return NULL;
}

/* Reads the next piece of output; the timer runs while we wait for it. */
void
cgi_resume(struct cgi_job *j)
{
	if (j->cb == NULL || j->reading || j->out == -1)
		return;
	j->reading = 1;
	clock_gettime(CLOCK_MONOTONIC, &j->since);
	event_add(j->outev, NULL);
	cgi_timer_ms(j, j->budget_ms);
}

void
cgi_cancel(struct cgi_job *j)
{
	j->cb = NULL;
	cgi_terminate(j);
	if (j->exited) {
		evtimer_del(j->timer);
		cgi_maybe_free(j);
	}
}

/* The worker is exiting: nothing may outlive it. */
void
cgi_stop(void)
{
	struct cgi_job	*j;

	TAILQ_FOREACH(j, &cgi_jobs, entry) {
		j->cb = NULL;
		if (!j->exited)
			cgi_kill(j, SIGKILL);
	}
	while ((j = TAILQ_FIRST(&cgi_jobs)) != NULL) {
		if (!j->exited && waitpid(j->pid, &j->status, 0) == -1 &&
		    errno == EINTR)
			continue;
		cgi_free(j);
	}
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	if (cgi_sigchld != NULL) {
		event_free(cgi_sigchld);
		cgi_sigchld = NULL;
	}
}
