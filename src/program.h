/* Programs' answers for both front ends: a CGI program or a FastCGI responder. */
#ifndef TULPAR_PROGRAM_H
#define TULPAR_PROGRAM_H

#include "conn.h"
#include "router.h"

struct program_req {
	const struct router	*router;
	const struct result	*res;		/* RESULT_PROGRAM */
	int			 gopher;
	const char		*url;		/* Gemini: the request URL */
	const char		*url_path;	/* Gemini: its decoded path */
	const char		*query;		/* Gemini: raw; NULL when absent */
	const char		*selector;	/* Gopher: without the search */
	const char		*search;	/* Gopher: the words after TAB, or NULL */
};

/*
 * Runs the program (or asks the responder) and answers the connection:
 * Gemini gets the output as it comes; Gopher gets it rendered as a menu,
 * raw, or as one item, by its status. Calls conn_finish.
 */
void	program_serve(struct conn *, const struct program_req *);

/*
 * In the worker before it is confined: the real content roots, and the
 * directories programs run from, which Landlock lets the worker execute
 * (up to max; returns how many). chroot: the single root becomes "/".
 */
int	program_prepare(const struct site *, int, int, const char **, int);

/* In the worker: the event loop programs run on; at exit, stop them all. */
void	program_setup(struct event_base *, int, int);
void	program_stop(void);

#endif
