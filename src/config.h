/* The configuration file: parsed into plain structs, no I/O beyond reading it. */
#ifndef TULPAR_CONFIG_H
#define TULPAR_CONFIG_H

#include <stddef.h>
#include <sys/socket.h>

#include "listen.h"
#include "ratelimit.h"
#include "ticketkeys.h"

#define CONFIG_MAX_HOSTS	16
#define CONFIG_MAX_ALIASES	8
#define CONFIG_MAX_PATHS	32
#define CONFIG_MAX_MIME		8
#define CONFIG_MAX_CERTS	16	/* allow_certificates per [path] */
#define CONFIG_FP_LEN		64	/* hex digits of a SHA-256 fingerprint */
#define TITAN_MAX_DEFAULT	(10LL * 1024 * 1024)

enum path_action {
	PATH_NONE,		/* only settings (lang, listing, mime) */
	PATH_REDIRECT,		/* 30 to target */
	PATH_REDIRECT_PERM,	/* 31 to target */
	PATH_GONE,		/* 52 */
};

struct mime_override {
	char	ext[16];	/* without the dot, e.g. "txt" */
	char	type[80];
};

/* A [path HOST PREFIX] section: applies to PREFIX and below. */
struct path_rule {
	char			 prefix[256];	/* canonical, starts with "/" */
	enum path_action	 action;
	char			 target[256];	/* redirects: a URL or an absolute path */
	char			 lang[65];	/* "" when not set */
	int			 listing;	/* -1 unset, 0 off, 1 on */
	int			 atom;		/* Atom feeds: -1 unset, 0 off, 1 on */
	struct mime_override	 mime[CONFIG_MAX_MIME];
	int			 nmime;
	/* Certificate areas and Titan (access.c, titan.c). */
	int			 require_cert;	/* require_certificate = yes */
	char			 certs[CONFIG_MAX_CERTS][CONFIG_FP_LEN + 1]; /* lower-case hex */
	int			 ncerts;
	char			 certs_file[256];	/* allow_certificates_file, "" none */
	char			(*file_certs)[CONFIG_FP_LEN + 1]; /* its lines, loaded by site.c */
	int			 nfile_certs;
	int			 titan;		/* -1 unset, 0 off, 1 on */
	char			 titan_token[128];	/* "" none */
	long long		 titan_max;	/* bytes; -1 unset */
	int			 cgi;		/* -1 unset, 0 no, 1 yes */
	char			 fastcgi[128];	/* "" or "unix:/path", "host:port" */
	struct sockaddr_storage	 fcgi_addr;	/* fastcgi, resolved when parsed */
	socklen_t		 fcgi_addrlen;
	int			 cgi_timeout;	/* 0: the server's */
	int			 cgi_max;	/* 0: only the server's cap */
};

/* A [host NAME] section. */
struct host_config {
	int			 line;		/* of its root (or [host]) line; 0 without a file */
	char			 name[254];
	char			 aliases[CONFIG_MAX_ALIASES][254];
	int			 naliases;
	char			 root[1024];
	char			 certdir[1024];	/* default: the [server] cert_dir */
	char			 lang[65];	/* "" when not set */
	int			 listing;	/* directory listings: default 1 */
	struct listen_addr	 gopher;	/* port 0: no Gopher for this host */
	char			 search[256];	/* the search page's path; "" off */
	int			 gopher_proxy;	/* expect a PROXY header */
	struct path_rule	 paths[CONFIG_MAX_PATHS];
	int			 npaths;
	struct rl_limit		 rate_limit;	/* .set: overrides [server]'s */
};

enum log_target {
	LOG_STDERR,
	LOG_FILE,
	LOG_SYSLOG,
};

/* The [server] section and every host. */
struct config {
	char			 file[256];	/* "" without a file */
	struct listen_addr	 gemini;	/* default 1965 on all addresses */
	int			 gemini_proxy;
	char			 certdir[1024];	/* default "./certs" */
	char			 user[64];	/* "" : do not change user */
	int			 chroot;	/* chroot to the (single) root */
	int			 allow_root;	/* keep serving as root */
	int			 confine;	/* Landlock: default 1 */
	int			 workers;	/* 0: one per core */
	int			 max_conns;	/* 0: default */
	int			 read_timeout;	/* 0: default */
	enum log_target		 log;
	char			 logfile[1024];
	int			 log_ip;	/* default 1 */
	struct rl_limit		 rate_limit;	/* requests 0: off */
	struct rl_prefix	 rate_exempt[RL_MAX_EXEMPT];
	int			 nrate_exempt;
	char			 ticket_keys[1024];	/* a key file, "" none */
	struct ticketkeys	 tickets;	/* read from it (main.c) */
	long long		 cache_size;	/* bytes of answers, all workers */
	int			 cgi_timeout;	/* seconds, default 10 */
	int			 cgi_max;	/* programs at once per worker, default 16 */
	struct host_config	 hosts[CONFIG_MAX_HOSTS];
	int			 nhosts;	/* hosts[0] is the default host */
};

/*
 * Parses the file; 0 on success, else -1 with err holding
 * "FILE:LINE: problem" (or "FILE: problem" when no line applies).
 */
int	config_load(const char *, struct config *, char *, size_t);

/* The same from a string, for tests and fuzzers; name stands for the file. */
int	config_parse(const char *, const char *, struct config *, char *, size_t);

/* The checks the parser applies to a host name and a lang; -H and -L use them too. */
int	config_hostname_ok(const char *);
int	config_lang_ok(const char *);
/* A search page's path: absolute, canonical, not "/", no slash at the end. */
int	config_search_ok(const char *);

/* Resets everything to its default (the parser starts from this). */
void	config_defaults(struct config *);

/*
 * Per-path settings (rules.c): the most specific [path] section covering a
 * canonical path that sets what is asked for, or NULL / the fallback.
 */
const struct path_rule *path_rule_find(const struct path_rule *, int,
	    const char *, int);
const char	*path_rule_lang(const struct path_rule *, int, const char *,
		    const char *);
int		 path_rule_listing(const struct path_rule *, int, const char *, int);
/* 0 if a [path] says atom = no for path, else 1. */
int		 path_rule_atom(const struct path_rule *, int, const char *);
const char	*path_rule_mime(const struct path_rule *, int, const char *);
/* The certificate area covering path (reads), or NULL; see access.h. */
const struct path_rule *path_rule_area(const struct path_rule *, int,
	    const char *);
/* 1 if reading path needs a client certificate: Gopher leaves it out. */
int		 path_rule_protected(const struct path_rule *, int, const char *);
/* The rule enabling Titan uploads for path, or NULL. */
const struct path_rule *path_rule_titan(const struct path_rule *, int,
	    const char *);
/* 1 if the host asks TLS clients for a certificate (areas, Titan). */
int		 host_wants_certs(const struct host_config *);
/* The rule making path a CGI (cgi = yes) or FastCGI prefix, or NULL. */
const struct path_rule *path_rule_program(const struct path_rule *, int,
		    const char *);

#endif
