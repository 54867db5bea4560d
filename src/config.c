/*
 * The configuration file: INI, split into name = value pairs by libinih,
 * checked and stored here. No I/O beyond reading the file in config_load.
 *
 * libinih is fed one line at a time by config_readline rather than through
 * ini_parse_string, because as built by Debian (inih 55) the string reader
 *  - gives the handler no line number through the declared API,
 *  - splits a line longer than its buffer and parses the tail as a new line,
 *  - takes an indented line as the continuation of the previous value, and
 *  - truncates section names to 49 bytes.
 * config_readline counts lines, refuses over-long ones, strips leading white
 * space (so nothing is ever a continuation) and parses section headers itself.
 */
#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "access.h"
#include "compat.h"
#include "config.h"
#include "hostname.h"
#include "listen.h"
#include "path.h"
#include "titan.h"
#include "url.h"

#define CONFIG_MAX_FILE	(1024 * 1024)	/* larger files are refused */
#define HOSTNAME_MAX	253
#define LANG_MAX	64

enum config_section {
	SEC_NONE,
	SEC_SERVER,
	SEC_HOST,
	SEC_PATH,
};

struct config_ctx {
	struct config		*conf;
	const char		*name;		/* the file, for messages */
	const char		*next;		/* unread input */
	int			 lineno;	/* of the line libinih is on */
	int			 errline;	/* first error: -1 none, 0 no line */
	char			*err;
	size_t			 errsz;
	enum config_section	 sec;
	char			 secname[1400];	/* "[host example.org]" */
	struct host_config	*host;
	struct path_rule	*path;
	uint64_t		 seen;		/* keys set in this section */
	int			 action_seen;	/* redirect or gone, in this [path] */
	int			 server_seen;
	int			 chroot_line;
	int			 host_line[CONFIG_MAX_HOSTS];
	int			 gopher_line[CONFIG_MAX_HOSTS];
};

struct config_key;
typedef int (*config_setter)(struct config_ctx *, const struct config_key *,
    const char *);

struct config_key {
	enum config_section	 sec;
	const char		*name;
	config_setter		 set;
	size_t			 off;		/* of the field in the section's struct */
	size_t			 size;
	int			 lo, hi;	/* numbers; the action for redirects */
};

static int	cfg_bool(struct config_ctx *, const struct config_key *, const char *);
static int	cfg_chroot(struct config_ctx *, const struct config_key *, const char *);
static int	cfg_int(struct config_ctx *, const struct config_key *, const char *);
static int	cfg_str(struct config_ctx *, const struct config_key *, const char *);
static int	cfg_root(struct config_ctx *, const struct config_key *, const char *);
static int	cfg_user(struct config_ctx *, const struct config_key *, const char *);
static int	cfg_log(struct config_ctx *, const struct config_key *, const char *);
static int	cfg_listen(struct config_ctx *, const struct config_key *, const char *);
static int	cfg_gopher(struct config_ctx *, const struct config_key *, const char *);
static int	cfg_aliases(struct config_ctx *, const struct config_key *, const char *);
static int	cfg_lang(struct config_ctx *, const struct config_key *, const char *);
static int	cfg_action(struct config_ctx *, const struct config_key *, const char *);
static int	cfg_search(struct config_ctx *, const struct config_key *, const char *);
static int	cfg_certs(struct config_ctx *, const struct config_key *, const char *);
static int	cfg_size(struct config_ctx *, const struct config_key *, const char *);
static int	cfg_rate(struct config_ctx *, const struct config_key *, const char *);
static int	cfg_exempt(struct config_ctx *, const struct config_key *, const char *);
static int	cfg_cgi(struct config_ctx *, const struct config_key *, const char *);
static int	cfg_fastcgi(struct config_ctx *, const struct config_key *, const char *);

#define FIELD(type, member) \
	offsetof(struct type, member), sizeof(((struct type *)0)->member)

static const struct config_key config_keys[] = {
	{ SEC_SERVER, "gemini", cfg_listen, FIELD(config, gemini), 0, 0 },
	{ SEC_SERVER, "gemini_proxy", cfg_bool, FIELD(config, gemini_proxy), 0, 0 },
	{ SEC_SERVER, "cert_dir", cfg_str, FIELD(config, certdir), 0, 0 },
	{ SEC_SERVER, "user", cfg_user, FIELD(config, user), 0, 0 },
	{ SEC_SERVER, "chroot", cfg_chroot, FIELD(config, chroot), 0, 0 },
	{ SEC_SERVER, "allow_root", cfg_bool, FIELD(config, allow_root), 0, 0 },
	{ SEC_SERVER, "confine", cfg_bool, FIELD(config, confine), 0, 0 },
	{ SEC_SERVER, "workers", cfg_int, FIELD(config, workers), 0, 64 },
	{ SEC_SERVER, "max_connections", cfg_int, FIELD(config, max_conns), 1, 1000000 },
	{ SEC_SERVER, "read_timeout", cfg_int, FIELD(config, read_timeout), 1, 3600 },
	{ SEC_SERVER, "log", cfg_log, FIELD(config, logfile), 0, 0 },
	{ SEC_SERVER, "log_client_ip", cfg_bool, FIELD(config, log_ip), 0, 0 },
	{ SEC_SERVER, "rate_limit", cfg_rate, FIELD(config, rate_limit), 0, 0 },
	{ SEC_SERVER, "rate_limit_exempt", cfg_exempt, FIELD(config, rate_exempt), 0, 0 },
	{ SEC_SERVER, "ticket_keys", cfg_str, FIELD(config, ticket_keys), 0, 0 },
	{ SEC_SERVER, "cache_size", cfg_size, FIELD(config, cache_size), 0, 0 },
	{ SEC_SERVER, "cgi_timeout", cfg_int, FIELD(config, cgi_timeout), 1, 3600 },
	{ SEC_SERVER, "cgi_max", cfg_int, FIELD(config, cgi_max), 1, 1024 },
	{ SEC_HOST, "aliases", cfg_aliases, FIELD(host_config, aliases), 0, 0 },
	{ SEC_HOST, "root", cfg_root, FIELD(host_config, root), 0, 0 },
	{ SEC_HOST, "cert_dir", cfg_str, FIELD(host_config, certdir), 0, 0 },
	{ SEC_HOST, "lang", cfg_lang, FIELD(host_config, lang), 0, 0 },
	{ SEC_HOST, "listing", cfg_bool, FIELD(host_config, listing), 0, 0 },
	{ SEC_HOST, "gopher", cfg_gopher, FIELD(host_config, gopher), 0, 0 },
	{ SEC_HOST, "gopher_proxy", cfg_bool, FIELD(host_config, gopher_proxy), 0, 0 },
	{ SEC_HOST, "search", cfg_search, FIELD(host_config, search), 0, 0 },
	{ SEC_HOST, "rate_limit", cfg_rate, FIELD(host_config, rate_limit), 0, 0 },
	{ SEC_PATH, "redirect", cfg_action, FIELD(path_rule, target),
	    PATH_REDIRECT, 0 },
	{ SEC_PATH, "permanent_redirect", cfg_action, FIELD(path_rule, target),
	    PATH_REDIRECT_PERM, 0 },
	{ SEC_PATH, "gone", cfg_action, FIELD(path_rule, target), PATH_GONE, 0 },
	{ SEC_PATH, "lang", cfg_lang, FIELD(path_rule, lang), 0, 0 },
	{ SEC_PATH, "listing", cfg_bool, FIELD(path_rule, listing), 0, 0 },
	{ SEC_PATH, "atom", cfg_bool, FIELD(path_rule, atom), 0, 0 },
	{ SEC_PATH, "require_certificate", cfg_bool, FIELD(path_rule, require_cert), 0, 0 },
	{ SEC_PATH, "allow_certificates", cfg_certs, FIELD(path_rule, certs), 0, 0 },
	{ SEC_PATH, "allow_certificates_file", cfg_str, FIELD(path_rule, certs_file), 0, 0 },
	{ SEC_PATH, "titan", cfg_bool, FIELD(path_rule, titan), 0, 0 },
	{ SEC_PATH, "titan_token", cfg_str, FIELD(path_rule, titan_token), 0, 0 },
	{ SEC_PATH, "titan_max_size", cfg_size, FIELD(path_rule, titan_max), 0, 0 },
	{ SEC_PATH, "cgi", cfg_cgi, FIELD(path_rule, cgi), 0, 0 },
	{ SEC_PATH, "fastcgi", cfg_fastcgi, FIELD(path_rule, fastcgi), 0, 0 },
	{ SEC_PATH, "cgi_timeout", cfg_int, FIELD(path_rule, cgi_timeout), 1, 3600 },
	{ SEC_PATH, "cgi_max", cfg_int, FIELD(path_rule, cgi_max), 1, 1024 },
};

#define CONFIG_NKEYS	(sizeof config_keys / sizeof config_keys[0])
_Static_assert(CONFIG_NKEYS <= 64, "config_ctx.seen has 64 bits");

/* Records the first error only; line 0 means the file as a whole. */
static int __attribute__((format(printf, 3, 4)))
config_fail(struct config_ctx *ctx, int line, const char *fmt, ...)
{
	char	msg[1024];
	va_list	ap;

	if (ctx->errline != -1)
		return -1;
	ctx->errline = line;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (ctx->errsz == 0)
		return -1;
	if (line > 0)
		snprintf(ctx->err, ctx->errsz, "%s:%d: %s", ctx->name, line, msg);
	else
		snprintf(ctx->err, ctx->errsz, "%s: %s", ctx->name, msg);
	return -1;
}

/* Copies a value for a message, cut short and with odd bytes as '?'. */
static const char *
config_quote(const char *s, char *out, size_t outsz)
{
	size_t	i;

	for (i = 0; i + 1 < outsz && s[i] != '\0'; i++)
		out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	out[i] = '\0';
	if (s[i] != '\0' && i >= 3)
		memcpy(out + i - 3, "...", 3);
	return out;
}

static int
config_chars(const char *s, const char *extra, size_t max)
{
	size_t	n = strlen(s);

	if (n == 0 || n > max)
		return 0;
	for (; *s != '\0'; s++)
		if (!(isalnum((unsigned char)*s) && (unsigned char)*s < 0x80) &&
		    strchr(extra, *s) == NULL)
			return 0;
	return 1;
}

/* A host name: letters, digits, '.', '-'; not led by '.' or '-'. Also for -H. */
int
config_hostname_ok(const char *s)
{
	return config_chars(s, ".-", HOSTNAME_MAX) && s[0] != '.' && s[0] != '-';
}

/* A lang parameter: letters, digits, '-', ','. Also for -L. */
int
config_lang_ok(const char *s)
{
	return config_chars(s, "-,", LANG_MAX);
}

static int
config_has_ctl(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

static char *
config_field(struct config_ctx *ctx, const struct config_key *k)
{
	char	*base = NULL;

	if (ctx->sec == SEC_SERVER)
		base = (char *)ctx->conf;
	else if (ctx->sec == SEC_HOST)
		base = (char *)ctx->host;
	else if (ctx->sec == SEC_PATH)
		base = (char *)ctx->path;
	return base + k->off;
}

/* yes/no, true/false, on/off, 1/0, in any case. */
static int
config_bool(struct config_ctx *ctx, const struct config_key *k, const char *v,
    int *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	char	 q[64];
	size_t	 i;

	for (i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strcasecmp(v, yes[i]) == 0 || strcasecmp(v, no[i]) == 0) {
			*out = strcasecmp(v, yes[i]) == 0;
			return 0;
		}
	}
	return config_fail(ctx, ctx->lineno, "invalid boolean '%s' for %s "
	    "(want yes or no)", config_quote(v, q, sizeof q), k->name);
}

static int
cfg_bool(struct config_ctx *ctx, const struct config_key *k, const char *v)
{
	return config_bool(ctx, k, v, (int *)config_field(ctx, k));
}

/* Remembered: chroot = yes is checked against the host count at the end. */
static int
cfg_chroot(struct config_ctx *ctx, const struct config_key *k, const char *v)
{
	ctx->chroot_line = ctx->lineno;
	return cfg_bool(ctx, k, v);
}

static int
cfg_int(struct config_ctx *ctx, const struct config_key *k, const char *v)
{
	const char	*p;
	long		 n = 0;
	char		 q[64];

	for (p = v; *p != '\0' && n <= k->hi; p++) {
		if (!isdigit((unsigned char)*p))
			break;
		n = n * 10 + (*p - '0');
	}
	if (*v == '\0' || *p != '\0' || n < k->lo || n > k->hi)
		return config_fail(ctx, ctx->lineno, "invalid %s '%s' (want a "
		    "number from %d to %d)", k->name, config_quote(v, q, sizeof q),
		    k->lo, k->hi);
	*(int *)config_field(ctx, k) = (int)n;
	return 0;
}

static int
cfg_str(struct config_ctx *ctx, const struct config_key *k, const char *v)
{
	if (strlcpy(config_field(ctx, k), v, k->size) >= k->size)
		return config_fail(ctx, ctx->lineno, "%s too long (at most %zu "
		    "bytes)", k->name, k->size - 1);
	return 0;
}

/* A host's root: remembered with its line, for errors found when loading it. */
static int
cfg_root(struct config_ctx *ctx, const struct config_key *k, const char *v)
{
	ctx->host->line = ctx->lineno;
	return cfg_str(ctx, k, v);
}

/* A user name: letters, digits, '.', '_', '-', not led by '-'. */
static int
cfg_user(struct config_ctx *ctx, const struct config_key *k, const char *v)
{
	char	q[64];

	if (!config_chars(v, "._-", k->size - 1) || v[0] == '-')
		return config_fail(ctx, ctx->lineno, "invalid user '%s'",
		    config_quote(v, q, sizeof q));
	return cfg_str(ctx, k, v);
}

static int
cfg_log(struct config_ctx *ctx, const struct config_key *k, const char *v)
{
	char	q[64];

	ctx->conf->logfile[0] = '\0';
	if (strcmp(v, "stderr") == 0)
		ctx->conf->log = LOG_STDERR;
	else if (strcmp(v, "syslog") == 0)
		ctx->conf->log = LOG_SYSLOG;
	else if (v[0] == '/') {
		ctx->conf->log = LOG_FILE;
		return cfg_str(ctx, k, v);
	} else
		return config_fail(ctx, ctx->lineno, "invalid log '%s' (want "
		    "stderr, syslog or an absolute path)",
		    config_quote(v, q, sizeof q));
	return 0;
}

static int
cfg_listen(struct config_ctx *ctx, const struct config_key *k, const char *v)
{
	struct listen_addr	*la = (struct listen_addr *)config_field(ctx, k);
	const char		*errstr;
	char			 q[80];

	if (listen_parse(v, la, &errstr) == -1)
		return config_fail(ctx, ctx->lineno, "%s '%s': %s", k->name,
		    config_quote(v, q, sizeof q), errstr);
	return 0;
}

static int
cfg_gopher(struct config_ctx *ctx, const struct config_key *k, const char *v)
{
	ctx->gopher_line[ctx->host - ctx->conf->hosts] = ctx->lineno;
	if (strcmp(v, "off") == 0) {
		memset(&ctx->host->gopher, 0, sizeof ctx->host->gopher);
		return 0;
	}
	return cfg_listen(ctx, k, v);
}

/* Which declared host answers to name, by its name or an alias; NULL if none. */
static struct host_config *
config_host_find(struct config *conf, const char *name)
{
	int	i, j;

	for (i = 0; i < conf->nhosts; i++) {
		if (url_host_equal(conf->hosts[i].name, name))
			return &conf->hosts[i];
		for (j = 0; j < conf->hosts[i].naliases; j++)
			if (url_host_equal(conf->hosts[i].aliases[j], name))
				return &conf->hosts[i];
	}
	return NULL;
}

static int
config_alias_add(struct config_ctx *ctx, const char *name)
{
	struct host_config	*h = ctx->host, *other;
	char			 q[64], norm[HOSTNAME_LEN + 1];
	const char		*errstr;

	config_quote(name, q, sizeof q);
	if (hostname_normalize(name, norm, sizeof norm, &errstr) == -1)
		return config_fail(ctx, ctx->lineno, "invalid host name '%s' "
		    "in aliases (%s)", q, errstr);
	name = norm;
	if ((other = config_host_find(ctx->conf, name)) != NULL)
		return config_fail(ctx, ctx->lineno, "duplicate host name '%s' "
		    "(already used by [host %s])", q, other->name);
	if (h->naliases >= CONFIG_MAX_ALIASES)
		return config_fail(ctx, ctx->lineno, "too many aliases (at most "
		    "%d)", CONFIG_MAX_ALIASES);
	if (strlcpy(h->aliases[h->naliases], name, sizeof h->aliases[0]) >=
	    sizeof h->aliases[0])
		return config_fail(ctx, ctx->lineno, "host name '%s' too long", q);
	h->naliases++;
	return 0;
}

/* aliases = NAME [NAME ...], separated by spaces or tabs. */
static int
cfg_aliases(struct config_ctx *ctx, const struct config_key *k, const char *v)
{
	char	 buf[1024], *p, *word;

	(void)k;
	if (strlcpy(buf, v, sizeof buf) >= sizeof buf)
		return config_fail(ctx, ctx->lineno, "aliases too long");
	for (p = buf; (word = strsep(&p, " \t")) != NULL;) {
		if (*word == '\0')
			continue;
		if (config_alias_add(ctx, word) == -1)
			return -1;
	}
	return 0;
}

static int
cfg_lang(struct config_ctx *ctx, const struct config_key *k, const char *v)
{
	char	q[80];

	if (!config_lang_ok(v))
		return config_fail(ctx, ctx->lineno, "invalid lang '%s' (want "
		    "letters, digits, '-' and ',', at most %d bytes)",
		    config_quote(v, q, sizeof q), LANG_MAX);
	return cfg_str(ctx, k, v);
}

/* An absolute path ("/x", not "//x") or scheme ":" something. */
static int
config_target_ok(const char *v)
{
	const char	*p = v;

	if (config_has_ctl(v) || strchr(v, '\t') != NULL)
		return 0;
	if (v[0] == '/')
		return v[1] != '/';
	if (!isalpha((unsigned char)*p))
		return 0;
	while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
		p++;
	return p[0] == ':' && p[1] != '\0';
}

/* redirect, permanent_redirect, gone: at most one of them per [path]. */
static int
cfg_action(struct config_ctx *ctx, const struct config_key *k, const char *v)
{
	struct path_rule	*r = ctx->path;
	char			 q[80];
	int			 gone = 0;

	if (ctx->action_seen)
		return config_fail(ctx, ctx->lineno, "only one of redirect, "
		    "permanent_redirect and gone in %s", ctx->secname);
	ctx->action_seen = 1;
	if (k->lo == PATH_GONE) {
		if (config_bool(ctx, k, v, &gone) == -1)
			return -1;
		r->action = gone ? PATH_GONE : PATH_NONE;
		return 0;
	}
	if (!config_target_ok(v))
		return config_fail(ctx, ctx->lineno, "invalid %s target '%s' "
		    "(want an absolute path or a URL, no control characters)",
		    k->name, config_quote(v, q, sizeof q));
	r->action = (enum path_action)k->lo;
	return cfg_str(ctx, k, v);
}

/*
 * search = off, or the path of the search page: absolute, canonical, not
 * "/" itself, no trailing slash, no dotfile (those are never served).
 */
int
config_search_ok(const char *v)
{
	char		 canon[256];
	const char	*errstr;

	return v[0] == '/' && !config_has_ctl(v) && strchr(v, '\t') == NULL &&
	    strchr(v, '?') == NULL && strchr(v, ' ') == NULL &&
	    path_canon(v, canon, sizeof canon, &errstr) == 0 &&
	    strcmp(canon, v) == 0 && strcmp(v, "/") != 0 &&
	    v[strlen(v) - 1] != '/' && !path_hidden(v);
}

static int
cfg_search(struct config_ctx *ctx, const struct config_key *k, const char *v)
{
	char		 q[80];

	if (strcmp(v, "off") == 0) {
		ctx->host->search[0] = '\0';
		return 0;
	}
	if (!config_search_ok(v))
		return config_fail(ctx, ctx->lineno, "invalid search path '%s' "
		    "(want off, or a canonical absolute path such as /search, "
		    "without spaces, '?' or a trailing slash)",
		    config_quote(v, q, sizeof q));
	return cfg_str(ctx, k, v);
}

/* allow_certificates = FINGERPRINT [FINGERPRINT ...] (access_fp_parse) */
static int
cfg_certs(struct config_ctx *ctx, const struct config_key *k, const char *v)
{
	struct path_rule	*r = ctx->path;
	char			 buf[2048], *p, *word, q[80];
	const char		*errstr;

	(void)k;
	if (strlcpy(buf, v, sizeof buf) >= sizeof buf)
		return config_fail(ctx, ctx->lineno, "allow_certificates too long");
	for (p = buf; (word = strsep(&p, " \t")) != NULL;) {
		if (*word == '\0')
			continue;
		if (r->ncerts >= CONFIG_MAX_CERTS)
			return config_fail(ctx, ctx->lineno, "too many fingerprints "
			    "in allow_certificates (at most %d; use "
			    "allow_certificates_file)", CONFIG_MAX_CERTS);
		if (access_fp_parse(word, strlen(word), r->certs[r->ncerts],
		    &errstr) == -1)
			return config_fail(ctx, ctx->lineno, "invalid fingerprint "
			    "'%s' in allow_certificates: %s",
			    config_quote(word, q, sizeof q), errstr);
		r->ncerts++;
	}
	return 0;
}

/* titan_max_size = bytes with an optional K, M or G. */
static int
cfg_size(struct config_ctx *ctx, const struct config_key *k, const char *v)
{
	const char	*errstr;
	char		 q[64];

	if (titan_size_parse(v, (long long *)config_field(ctx, k), &errstr) == -1)
		return config_fail(ctx, ctx->lineno, "invalid %s '%s': %s (want "
		    "bytes with an optional K, M or G)", k->name,
		    config_quote(v, q, sizeof q), errstr);
	return 0;
}

/* rate_limit = N/SECONDS or off, in [server] or a [host]. */
static int
cfg_rate(struct config_ctx *ctx, const struct config_key *k, const char *v)
{
	const char	*errstr;
	char		 q[64];

	if (ratelimit_parse_limit(v, (struct rl_limit *)config_field(ctx, k),
	    &errstr) == -1)
		return config_fail(ctx, ctx->lineno, "invalid %s '%s' (%s)",
		    k->name, config_quote(v, q, sizeof q), errstr);
	return 0;
}

/* rate_limit_exempt = ADDR[/BITS] ... */
static int
cfg_exempt(struct config_ctx *ctx, const struct config_key *k, const char *v)
{
	const char	*errstr;
	char		 q[80];

	if (ratelimit_parse_exempt(v, ctx->conf->rate_exempt, RL_MAX_EXEMPT,
	    &ctx->conf->nrate_exempt, &errstr) == -1)
		return config_fail(ctx, ctx->lineno, "invalid %s '%s': %s",
		    k->name, config_quote(v, q, sizeof q), errstr);
	return 0;
}

/* cgi = yes and fastcgi = ... exclude each other in one [path]. */
static int
config_program_once(struct config_ctx *ctx)
{
	if (ctx->path->cgi == 1 || ctx->path->fastcgi[0] != '\0')
		return config_fail(ctx, ctx->lineno, "only one of cgi = yes and "
		    "fastcgi in %s", ctx->secname);
	return 0;
}

static int
cfg_cgi(struct config_ctx *ctx, const struct config_key *k, const char *v)
{
	int	on;

	if (config_bool(ctx, k, v, &on) == -1)
		return -1;
	if (on && config_program_once(ctx) == -1)
		return -1;
	ctx->path->cgi = on;
	return 0;
}

/* "unix:" absolute-path, or host ":" port with host an IP literal or localhost. */
static int
config_fcgi_addr(const char *v, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_un	*un = (struct sockaddr_un *)ss;
	struct sockaddr_in	*in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*in6 = (struct sockaddr_in6 *)ss;
	char			 host[64];
	const char		*colon, *p;
	long			 port = 0;
	size_t			 hl;

	memset(ss, 0, sizeof *ss);
	if (strncmp(v, "unix:", 5) == 0) {
		if (v[5] != '/' || strlcpy(un->sun_path, v + 5,
		    sizeof un->sun_path) >= sizeof un->sun_path)
			return -1;
		un->sun_family = AF_UNIX;
		*len = sizeof *un;
		return 0;
	}
	if ((colon = strrchr(v, ':')) == NULL || colon[1] == '\0')
		return -1;
	for (p = colon + 1; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p) || (port = port * 10 + (*p - '0')) > 65535)
			return -1;
	}
	if (port == 0)
		return -1;
	hl = colon - v;
	if (hl >= 2 && v[0] == '[' && v[hl - 1] == ']') {
		v++;
		hl -= 2;
	}
	if (hl == 0 || hl >= sizeof host)
		return -1;
	memcpy(host, v, hl);
	host[hl] = '\0';
	if (strcmp(host, "localhost") == 0)
		strlcpy(host, "127.0.0.1", sizeof host);
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		*len = sizeof *in4;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*len = sizeof *in6;
		return 0;
	}
	return -1;
}

static int
cfg_fastcgi(struct config_ctx *ctx, const struct config_key *k, const char *v)
{
	struct path_rule	*r = ctx->path;
	char			 q[80];

	if (config_program_once(ctx) == -1)
		return -1;
	if (config_fcgi_addr(v, &r->fcgi_addr, &r->fcgi_addrlen) == -1)
		return config_fail(ctx, ctx->lineno, "invalid fastcgi address '%s' "
		    "(want unix:/absolute/path or an IP address or localhost, "
		    "':' and a port)", config_quote(v, q, sizeof q));
	return cfg_str(ctx, k, v);
}

/* restricted-name = 1*127 of ALPHA / DIGIT / "!#$&-^_.+" (RFC 6838) */
static size_t
config_token(const char *s)
{
	size_t	n = 0;

	while ((isalnum((unsigned char)s[n]) && (unsigned char)s[n] < 0x80) ||
	    (s[n] != '\0' && strchr("!#$&-^_.+", s[n]) != NULL))
		n++;
	return n;
}

/* type "/" subtype [ *SP ";" parameters ] */
static int
config_mime_ok(const char *v)
{
	size_t	n;

	if (config_has_ctl(v) || (n = config_token(v)) == 0 || v[n] != '/')
		return 0;
	v += n + 1;
	if ((n = config_token(v)) == 0)
		return 0;
	for (v += n; *v == ' '; v++)
		;
	return *v == '\0' || *v == ';';
}

/* mime.EXT = type/subtype[; parameters], only in a [path]. */
static int
config_mime(struct config_ctx *ctx, const char *name, const char *v)
{
	struct path_rule	*r = ctx->path;
	const char		*ext = name + strlen("mime.");
	char			 q[80];
	int			 i;

	if (!config_chars(ext, "-_+", sizeof r->mime[0].ext - 1))
		return config_fail(ctx, ctx->lineno, "invalid extension in '%s' "
		    "(want mime.EXT: letters, digits, '-', '_', '+', at most %zu "
		    "bytes)", config_quote(name, q, sizeof q),
		    sizeof r->mime[0].ext - 1);
	for (i = 0; i < r->nmime; i++)
		if (strcasecmp(r->mime[i].ext, ext) == 0)
			return config_fail(ctx, ctx->lineno, "duplicate MIME "
			    "override for '.%s' in %s", ext, ctx->secname);
	if (r->nmime >= CONFIG_MAX_MIME)
		return config_fail(ctx, ctx->lineno, "too many MIME overrides in "
		    "%s (at most %d)", ctx->secname, CONFIG_MAX_MIME);
	if (!config_mime_ok(v) || strlcpy(r->mime[r->nmime].type, v,
	    sizeof r->mime[0].type) >= sizeof r->mime[0].type)
		return config_fail(ctx, ctx->lineno, "invalid MIME type '%s' for "
		    "'.%s' (want type/subtype[; parameters], at most %zu bytes)",
		    config_quote(v, q, sizeof q), ext, sizeof r->mime[0].type - 1);
	(void)strlcpy(r->mime[r->nmime].ext, ext, sizeof r->mime[0].ext);
	r->nmime++;
	return 0;
}

/* One name = value pair of the current section. */
static int
config_set(struct config_ctx *ctx, const char *name, const char *v)
{
	const struct config_key	*k;
	char			 q[80];
	size_t			 i;

	config_quote(name, q, sizeof q);
	if (ctx->sec == SEC_NONE)
		return config_fail(ctx, ctx->lineno, "key '%s' outside any section "
		    "(want [server], [host NAME] or [path HOST /PREFIX] first)", q);
	if (*v == '\0')
		return config_fail(ctx, ctx->lineno, "missing value for '%s'", q);
	if (ctx->sec == SEC_PATH && strncmp(name, "mime.", 5) == 0)
		return config_mime(ctx, name, v);
	for (i = 0; i < CONFIG_NKEYS; i++)
		if (config_keys[i].sec == ctx->sec &&
		    strcmp(config_keys[i].name, name) == 0)
			break;
	if (i == CONFIG_NKEYS)
		return config_fail(ctx, ctx->lineno, "unknown key '%s' in %s", q,
		    ctx->secname);
	/* A line holds two fingerprints: allow_certificates lines add up. */
	if ((ctx->seen & (1ull << i)) && config_keys[i].set != cfg_certs)
		return config_fail(ctx, ctx->lineno, "duplicate key '%s' in %s", q,
		    ctx->secname);
	ctx->seen |= 1ull << i;
	k = &config_keys[i];
	return k->set(ctx, k, v);
}

static int
config_handler(void *arg, const char *section, const char *name,
    const char *value)
{
	struct config_ctx	*ctx = arg;

	(void)section;	/* truncated by libinih; config_section has it whole */
	if (ctx->errline != -1)
		return 0;
	return config_set(ctx, name, value) == 0;
}

static int
config_open_server(struct config_ctx *ctx, int nwords)
{
	if (nwords != 1)
		return config_fail(ctx, ctx->lineno, "[server] takes no name");
	if (ctx->server_seen)
		return config_fail(ctx, ctx->lineno, "duplicate [server] section");
	ctx->server_seen = 1;
	ctx->sec = SEC_SERVER;
	(void)strlcpy(ctx->secname, "[server]", sizeof ctx->secname);
	return 0;
}

static int
config_open_host(struct config_ctx *ctx, char **words, int nwords)
{
	struct config		*conf = ctx->conf;
	struct host_config	*other;
	char			 q[80], norm[HOSTNAME_LEN + 1];
	const char		*errstr;

	if (nwords != 2)
		return config_fail(ctx, ctx->lineno, "want [host NAME]");
	config_quote(words[1], q, sizeof q);
	if (hostname_normalize(words[1], norm, sizeof norm, &errstr) == -1)
		return config_fail(ctx, ctx->lineno, "invalid host name '%s' (%s)",
		    q, errstr);
	words[1] = norm;	/* the one spelling: files and certificates use it */
	if ((other = config_host_find(conf, words[1])) != NULL)
		return config_fail(ctx, ctx->lineno, "duplicate host name '%s' "
		    "(already used by [host %s])", q, other->name);
	if (conf->nhosts >= CONFIG_MAX_HOSTS)
		return config_fail(ctx, ctx->lineno, "too many hosts (at most %d)",
		    CONFIG_MAX_HOSTS);
	ctx->host = &conf->hosts[conf->nhosts];
	memset(ctx->host, 0, sizeof *ctx->host);
	ctx->host->listing = 1;
	ctx->host->line = ctx->lineno;
	(void)strlcpy(ctx->host->name, words[1], sizeof ctx->host->name);
	ctx->host_line[conf->nhosts++] = ctx->lineno;
	ctx->sec = SEC_HOST;
	snprintf(ctx->secname, sizeof ctx->secname, "[host %s]", words[1]);
	return 0;
}

static int
config_open_path(struct config_ctx *ctx, char **words, int nwords)
{
	struct host_config	*h;
	char			 canon[sizeof h->paths[0].prefix], q[80];
	char			 norm[HOSTNAME_LEN + 1];
	const char		*errstr;
	int			 i;

	if (nwords != 3)
		return config_fail(ctx, ctx->lineno, "want [path HOST /PREFIX]");
	if (hostname_normalize(words[1], norm, sizeof norm, &errstr) == 0)
		words[1] = norm;
	if ((h = config_host_find(ctx->conf, words[1])) == NULL)
		return config_fail(ctx, ctx->lineno, "[path] for undeclared host "
		    "'%s' (its [host] must come first)",
		    config_quote(words[1], q, sizeof q));
	config_quote(words[2], q, sizeof q);
	if (words[2][0] != '/')
		return config_fail(ctx, ctx->lineno, "path prefix '%s' must start "
		    "with '/'", q);
	if (path_canon(words[2], canon, sizeof canon, &errstr) == -1)
		return config_fail(ctx, ctx->lineno, "invalid path prefix '%s': %s",
		    q, errstr);
	for (i = 0; i < h->npaths; i++)
		if (strcmp(h->paths[i].prefix, canon) == 0)
			return config_fail(ctx, ctx->lineno, "duplicate [path %s %s]",
			    h->name, canon);
	if (h->npaths >= CONFIG_MAX_PATHS)
		return config_fail(ctx, ctx->lineno, "too many [path] sections for "
		    "%s (at most %d)", h->name, CONFIG_MAX_PATHS);
	ctx->host = h;
	ctx->path = &h->paths[h->npaths++];
	memset(ctx->path, 0, sizeof *ctx->path);
	ctx->path->listing = -1;
	ctx->path->atom = -1;
	ctx->path->titan = -1;
	ctx->path->titan_max = -1;
	ctx->path->cgi = -1;
	(void)strlcpy(ctx->path->prefix, canon, sizeof ctx->path->prefix);
	ctx->sec = SEC_PATH;
	snprintf(ctx->secname, sizeof ctx->secname, "[path %s %s]", h->name, canon);
	return 0;
}

/* The "]" closing a section header, or NULL; " ;" starts a comment first. */
static char *
config_section_end(char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == ']')
			return s;
		if (*s == ';' && (s[-1] == ' ' || s[-1] == '\t'))
			return NULL;
	}
	return NULL;
}

/* section = "[" ("server" / "host" SP name / "path" SP host SP prefix) "]" */
static int
config_section(struct config_ctx *ctx, const char *line)
{
	char	 buf[1400], *words[3], *p, *end, *w;
	int	 n = 0;

	if (strlcpy(buf, line, sizeof buf) >= sizeof buf)
		return config_fail(ctx, ctx->lineno, "section header too long");
	if ((end = config_section_end(buf + 1)) == NULL)
		return config_fail(ctx, ctx->lineno, "section header without ']'");
	for (p = end + 1; *p == ' ' || *p == '\t'; p++)
		;
	if (*p != '\0' && *p != ';')
		return config_fail(ctx, ctx->lineno, "unexpected text after ']'");
	*end = '\0';
	for (p = buf + 1; (w = strsep(&p, " \t")) != NULL;) {
		if (*w == '\0')
			continue;
		if (n == 3)
			return config_fail(ctx, ctx->lineno, "too many words in "
			    "section header");
		words[n++] = w;
	}
	ctx->sec = SEC_NONE;
	ctx->seen = 0;
	ctx->action_seen = 0;
	if (n > 0 && strcmp(words[0], "server") == 0)
		return config_open_server(ctx, n);
	if (n > 0 && strcmp(words[0], "host") == 0)
		return config_open_host(ctx, words, n);
	if (n > 0 && strcmp(words[0], "path") == 0)
		return config_open_path(ctx, words, n);
	return config_fail(ctx, ctx->lineno, "unknown section '[%s]' (want "
	    "server, host or path)", n > 0 ? words[0] : "");
}

/* Rejects control bytes other than tab; libinih would pass them on. */
static int
config_line_ok(struct config_ctx *ctx, const char *p, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if (((unsigned char)p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f)
			return config_fail(ctx, ctx->lineno, "control character "
			    "in line (byte %zu)", i + 1);
	return 0;
}

/*
 * libinih's reader: the next line, without leading white space or line
 * end, into str (num bytes). A line that does not fit is an error, not
 * two lines; NULL ends the parse, also at the first error.
 */
static char *
config_readline(char *str, int num, void *arg)
{
	struct config_ctx	*ctx = arg;
	const char		*p = ctx->next, *nl;
	size_t			 len;

	if (ctx->errline != -1 || *p == '\0')
		return NULL;
	ctx->lineno++;
	nl = strchr(p, '\n');
	len = nl != NULL ? (size_t)(nl - p) : strlen(p);
	ctx->next = p + len + (nl != NULL);
	if (ctx->lineno == 1 && len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
		p += 3;
		len -= 3;
	}
	for (; len > 0 && (*p == ' ' || *p == '\t'); p++)
		len--;
	if (len > 0 && p[len - 1] == '\r')
		len--;
	if (num < 1 || len >= (size_t)num) {
		config_fail(ctx, ctx->lineno, "line too long (at most %d bytes "
		    "after leading white space)", num - 1);
		return NULL;
	}
	if (config_line_ok(ctx, p, len) == -1)
		return NULL;
	memcpy(str, p, len);
	str[len] = '\0';
	if (str[0] == '[' && config_section(ctx, str) == -1)
		return NULL;
	return str;
}

/* Whether two listen addresses would take the same connections. */
static int
config_listen_clash(const struct listen_addr *a, const struct listen_addr *b)
{
	unsigned char	ba[16], bb[16];
	int		fa, fb;

	if (a->port == 0 || a->port != b->port)
		return 0;
	if (a->host[0] == '\0' || b->host[0] == '\0')
		return 1;
	memset(ba, 0, sizeof ba);
	memset(bb, 0, sizeof bb);
	fa = inet_pton(AF_INET6, a->host, ba) == 1 ? 6 :
	    inet_pton(AF_INET, a->host, ba) == 1 ? 4 : 0;
	fb = inet_pton(AF_INET6, b->host, bb) == 1 ? 6 :
	    inet_pton(AF_INET, b->host, bb) == 1 ? 4 : 0;
	return fa == fb && memcmp(ba, bb, sizeof ba) == 0;
}

/* Gopher has no Host: each host needs a listener of its own. */
static int
config_check_gopher(struct config_ctx *ctx, int i)
{
	struct config		*conf = ctx->conf;
	struct host_config	*h = &conf->hosts[i];
	char			 a[96];
	int			 j;

	if (h->gopher.port == 0)
		return 0;
	listen_format(&h->gopher, a, sizeof a);
	if (config_listen_clash(&h->gopher, &conf->gemini))
		return config_fail(ctx, ctx->gopher_line[i], "gopher address %s "
		    "clashes with the gemini listener", a);
	for (j = 0; j < i; j++)
		if (config_listen_clash(&h->gopher, &conf->hosts[j].gopher))
			return config_fail(ctx, ctx->gopher_line[i], "gopher "
			    "address %s already used by [host %s]", a,
			    conf->hosts[j].name);
	return 0;
}

/* An upload path with nobody allowed to upload is a mistake. */
static int
config_check_titan(struct config_ctx *ctx, const struct host_config *h)
{
	int	i;

	for (i = 0; i < h->npaths; i++) {
		const struct path_rule *r = &h->paths[i];

		if (r->titan == 1 && r->ncerts == 0 && r->certs_file[0] == '\0' &&
		    r->titan_token[0] == '\0')
			return config_fail(ctx, 0, "[path %s %s]: titan = yes needs "
			    "allow_certificates, allow_certificates_file or "
			    "titan_token", h->name, r->prefix);
	}
	return 0;
}

/* What no single line shows: checked once the whole file is read. */
static int
config_check(struct config_ctx *ctx)
{
	struct config	*conf = ctx->conf;
	int		 i;

	if (conf->nhosts == 0)
		return config_fail(ctx, 0, "no [host] section (at least one is "
		    "needed)");
	for (i = 0; i < conf->nhosts; i++)
		if (conf->hosts[i].root[0] == '\0')
			return config_fail(ctx, ctx->host_line[i], "[host %s] has "
			    "no root", conf->hosts[i].name);
	if (conf->chroot && conf->nhosts > 1)
		return config_fail(ctx, ctx->chroot_line, "chroot = yes needs a "
		    "single [host] (%d declared)", conf->nhosts);
	for (i = 0; i < conf->nhosts; i++)
		if (config_check_gopher(ctx, i) == -1 ||
		    config_check_titan(ctx, &conf->hosts[i]) == -1)
			return -1;
	return 0;
}

/* Resets conf to what a file with no settings gives (and no host). */
void
config_defaults(struct config *conf)
{
	/*
	 * Host and path slots are cleared when a section takes them, so a
	 * fresh calloc'd config keeps its unused slots untouched (not resident).
	 */
	memset(conf, 0, offsetof(struct config, hosts));
	conf->nhosts = 0;
	conf->gemini.port = 1965;
	(void)strlcpy(conf->certdir, "./certs", sizeof conf->certdir);
	conf->confine = 1;
	conf->log = LOG_STDERR;
	conf->log_ip = 1;
	conf->cache_size = 64 * 1024 * 1024;
	conf->cgi_timeout = 10;
	conf->cgi_max = 16;
}

int
config_parse(const char *name, const char *text, struct config *conf,
    char *err, size_t errsz)
{
	struct config_ctx	ctx;
	int			rc, i;

	config_defaults(conf);
	(void)strlcpy(conf->file, name, sizeof conf->file);
	memset(&ctx, 0, sizeof ctx);
	ctx.conf = conf;
	ctx.name = name;
	ctx.next = text;
	ctx.errline = -1;
	ctx.err = err;
	ctx.errsz = errsz;
	if (errsz > 0)
		err[0] = '\0';
	rc = ini_parse_stream(config_readline, &ctx, config_handler, &ctx);
	if (rc > 0 && (ctx.errline == -1 || rc < ctx.errline)) {
		ctx.errline = -1;	/* libinih's error came first */
		return config_fail(&ctx, rc, "syntax error (want name = value, "
		    "[section] or a comment)");
	}
	if (rc < 0)
		config_fail(&ctx, 0, "cannot parse (libinih error %d)", rc);
	if (ctx.errline != -1 || config_check(&ctx) == -1)
		return -1;
	for (i = 0; i < conf->nhosts; i++)
		if (conf->hosts[i].certdir[0] == '\0')
			(void)strlcpy(conf->hosts[i].certdir, conf->certdir,
			    sizeof conf->hosts[i].certdir);
	return 0;
}

/* Reads the whole file into a NUL-terminated buffer; the caller frees. */
static char *
config_read(const char *path, size_t *lenp, char *err, size_t errsz)
{
	FILE	*f;
	char	*buf;
	size_t	 len;
	int	 e;

	if ((f = fopen(path, "re")) == NULL) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((buf = malloc(CONFIG_MAX_FILE + 1)) == NULL) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		fclose(f);
		return NULL;
	}
	len = fread(buf, 1, CONFIG_MAX_FILE + 1, f);
	e = ferror(f) ? errno : 0;
	fclose(f);
	if (e != 0 || len > CONFIG_MAX_FILE) {
		if (e != 0)
			snprintf(err, errsz, "%s: %s", path, strerror(e));
		else
			snprintf(err, errsz, "%s: file too large (over %d bytes)",
			    path, CONFIG_MAX_FILE);
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

int
config_load(const char *path, struct config *conf, char *err, size_t errsz)
{
	char	*buf, *nul;
	size_t	 len, i;
	int	 rc, line = 1;

	if (errsz > 0)
		err[0] = '\0';
	if ((buf = config_read(path, &len, err, errsz)) == NULL)
		return -1;
	if ((nul = memchr(buf, '\0', len)) != NULL) {
		for (i = 0; buf + i < nul; i++)
			line += buf[i] == '\n';
		snprintf(err, errsz, "%s:%d: NUL byte in line", path, line);
		free(buf);
		return -1;
	}
	rc = config_parse(path, buf, conf, err, errsz);
	free(buf);
	return rc;
}
