/* Confining a worker: user, chroot, and Landlock, behind one function. */
#ifndef TULPAR_CONFINE_H
#define TULPAR_CONFINE_H

#include <stddef.h>

struct confine {
	const char	*user;		/* NULL or "": keep the user */
	const char	*chroot;	/* NULL: no chroot */
	const char	**roots;	/* read-only beneath these (Landlock) */
	int		 nroots;
	const char	**writable;	/* Titan: also writable beneath these */
	int		 nwritable;
	int		 landlock;	/* 0 switches Landlock off, for debugging */
	const char	**exec;		/* CGI directories: programs run from here */
	int		 nexec;		/* 0: nothing may be executed */
};

/*
 * Drops to the user (chrooting first if asked) and restricts the file
 * system to reading beneath the roots. Call after every file the worker
 * needs is open. -1 with err when a step that was asked for fails; a
 * kernel without Landlock is not a failure (warn says so).
 */
int	confine_worker(const struct confine *, char *, size_t, const char **);

#endif
