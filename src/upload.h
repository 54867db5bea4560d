/*
 * Titan uploads on the Gemini port: the request's checks, then the body
 * written beside its target and renamed over it, so a reader sees the
 * old page or the new one, whole.
 */
#ifndef TULPAR_UPLOAD_H
#define TULPAR_UPLOAD_H

#include <stddef.h>

#include "config.h"
#include "conn.h"
#include "router.h"

/* A titan:// request line, from the Gemini front end; answers it. */
void	titan_request(struct conn *, const struct router *, const char *, size_t);

/* 1 if a host has a Titan path: without one, titan:// is a scheme not served. */
int	titan_served(const struct router *);

/* The root's directory, for a host with Titan paths (O_PATH), else -1. */
int	upload_root_open(const struct host_config *);

/*
 * The directories Landlock lets workers write beneath: root + prefix of
 * each Titan path, when it is a directory. Stored in static memory;
 * returns how many (at most max).
 */
int	upload_dirs(const struct config *, const char **, int);

#endif
