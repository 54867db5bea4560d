/* A program's environment (CGI) and parameters (FastCGI): pure, no I/O. */
#ifndef TULPAR_CGIENV_H
#define TULPAR_CGIENV_H

#include <stddef.h>

#include "peer.h"

#define CGIENV_VARS	40
#define CGIENV_BYTES	16384
#define CGIENV_PATH	"/usr/local/bin:/usr/bin:/bin"

/* What the request says; NULL where a protocol has no such thing. */
struct cgi_vars {
	int		 gopher;		/* SERVER_PROTOCOL GOPHER, else GEMINI */
	const char	*server_name;
	int		 server_port;
	const char	*remote_addr;
	const char	*script_name;
	const char	*path_info;
	const char	*doc_root;
	const char	*script_filename;
	const char	*query;			/* raw, still encoded */
	const char	*url;			/* Gemini: the request URL */
	const char	*url_path;		/* Gemini: its decoded path */
	const char	*selector;		/* Gopher */
	const char	*search;		/* Gopher: the words after the TAB */
	const struct peer *peer;		/* a client certificate, or NULL */
	const char	*tls_version;		/* Gemini */
	const char	*tls_cipher;
};

struct cgi_env {
	char	*vars[CGIENV_VARS + 1];		/* "NAME=value", NULL-ended */
	int	 n;
	char	 buf[CGIENV_BYTES];
	size_t	 used;
};

/* Fills env from v; -1 with errstr if it does not fit. */
int	cgi_env_build(const struct cgi_vars *, struct cgi_env *, const char **);

/* Percent-encodes Gopher search words for QUERY_STRING; -1 if out is too small. */
int	cgi_query_encode(const char *, char *, size_t);

#endif
