/* Running programs beside the event loop: CGI processes and FastCGI requests. */
#ifndef TULPAR_CGI_H
#define TULPAR_CGI_H

#include <stddef.h>

struct event;
struct event_base;
struct path_rule;
struct timespec;

/* How a program's answer ended. */
enum prog_end {
	PROG_OK,		/* output complete, the program exited */
	PROG_FAILED,		/* it crashed, or could not be started or reached */
	PROG_TIMEOUT,		/* it ran past its timeout and was stopped */
};

/* What a backend calls; after data, reading pauses until it is resumed. */
struct prog_cb {
	void	(*data)(void *, const char *, size_t);
	void	(*end)(void *, enum prog_end);
};

struct cgi_spec {
	const char		*path;		/* the program, absolute */
	const char		*dir;		/* its working directory */
	const char		*name;		/* for log lines */
	char *const		*env;
	int			 timeout;	/* seconds of waiting for it */
	const struct path_rule	*rule;		/* counted per rule for cgi_max */
};

struct cgi_job;

/* In the worker, once: SIGCHLD, and the subreaper flag so no grandchild is a zombie. */
void		 cgi_setup(struct event_base *);
/* Starts a program; NULL with errstr on failure. The caller resumes it. */
struct cgi_job	*cgi_start(const struct cgi_spec *, const struct prog_cb *, void *,
		    const char **);
void		 cgi_resume(struct cgi_job *);
/* No more callbacks; the program is stopped (TERM, then KILL) and reaped. */
void		 cgi_cancel(struct cgi_job *);
/* Programs alive now: all of them (rule NULL) or under one rule. */
int		 cgi_count(const struct path_rule *);
/* At the worker's exit: every program killed and reaped. */
void		 cgi_stop(void);

/* For both backends: one line of a program's stderr to the log, escaped. */
void		 cgi_log_line(const char *, const char *, size_t);
/* For both backends' waiting budgets: ms since a CLOCK_MONOTONIC time, and
 * a timer armed for ms (at least 1). */
long		 cgi_ms_since(const struct timespec *);
void		 cgi_timer_add(struct event *, long);

#endif
