/*
 * The variables a program gets, the same for CGI (its environment) and
 * FastCGI (the PARAMS stream): the names Molly Brown, Jetforce and gmid
 * use, so their scripts run unchanged. Nothing of tulpar's own
 * environment is passed on; PATH is fixed.
 */
#include <stdio.h>
#include <string.h>

#include "cgienv.h"

#ifndef TULPAR_VERSION
#define TULPAR_VERSION	"0.1"
#endif

static int
env_add(struct cgi_env *e, const char *name, const char *value)
{
	size_t	nl = strlen(name), vl = strlen(value);

	if (e->n == CGIENV_VARS || nl + 1 + vl + 1 > sizeof e->buf - e->used)
		return -1;
	e->vars[e->n++] = e->buf + e->used;
	memcpy(e->buf + e->used, name, nl);
	e->buf[e->used + nl] = '=';
	memcpy(e->buf + e->used + nl + 1, value, vl + 1);
	e->used += nl + 1 + vl + 1;
	e->vars[e->n] = NULL;
	return 0;
}

/* value1 value2 joined, as one variable. */
static int
env_join(struct cgi_env *e, const char *name, const char *a, const char *b)
{
	char	v[3 * 1024];
	int	r = snprintf(v, sizeof v, "%s%s", a, b);

	if (r < 0 || (size_t)r >= sizeof v)
		return -1;
	return env_add(e, name, v);
}

static int
env_peer(struct cgi_env *e, const struct peer *p)
{
	char	t1[32], t2[32];

	if (p == NULL || !p->present)
		return 0;
	peer_time(p->not_before, t1, sizeof t1);
	peer_time(p->not_after, t2, sizeof t2);
	if (env_add(e, "AUTH_TYPE", "Certificate") == -1 ||
	    env_add(e, "REMOTE_USER", p->cn) == -1 ||
	    env_join(e, "TLS_CLIENT_HASH", "SHA256:", p->hash) == -1 ||
	    env_add(e, "TLS_CLIENT_SUBJECT", p->subject) == -1 ||
	    env_add(e, "TLS_CLIENT_ISSUER", p->issuer) == -1 ||
	    env_add(e, "TLS_CLIENT_NOT_BEFORE", t1) == -1 ||
	    env_add(e, "TLS_CLIENT_NOT_AFTER", t2) == -1)
		return -1;
	return 0;
}

static int
env_protocol(struct cgi_env *e, const struct cgi_vars *v)
{
	if (v->gopher)
		return env_add(e, "SELECTOR", v->selector ? v->selector : "") == -1 ||
		    env_add(e, "SEARCHREQUEST", v->search ? v->search : "") == -1 ?
		    -1 : 0;
	if (env_add(e, "GEMINI_URL", v->url ? v->url : "") == -1 ||
	    env_add(e, "GEMINI_URL_PATH", v->url_path ? v->url_path : "") == -1 ||
	    env_add(e, "TLS_VERSION", v->tls_version ? v->tls_version : "") == -1 ||
	    env_add(e, "TLS_CIPHER", v->tls_cipher ? v->tls_cipher : "") == -1)
		return -1;
	return env_peer(e, v->peer);
}

int
cgi_env_build(const struct cgi_vars *v, struct cgi_env *e, const char **errstr)
{
	char		port[16];
	const char	*info = v->path_info ? v->path_info : "";

	e->n = 0;
	e->used = 0;
	e->vars[0] = NULL;
	snprintf(port, sizeof port, "%d", v->server_port);
	if (env_add(e, "GATEWAY_INTERFACE", "CGI/1.1") == -1 ||
	    env_add(e, "SERVER_SOFTWARE", "tulpar/" TULPAR_VERSION) == -1 ||
	    env_add(e, "SERVER_PROTOCOL", v->gopher ? "GOPHER" : "GEMINI") == -1 ||
	    env_add(e, "SERVER_NAME", v->server_name) == -1 ||
	    env_add(e, "SERVER_PORT", port) == -1 ||
	    env_add(e, "REMOTE_ADDR", v->remote_addr) == -1 ||
	    env_add(e, "REMOTE_HOST", v->remote_addr) == -1 ||
	    env_add(e, "REQUEST_METHOD", "GET") == -1 ||
	    env_add(e, "SCRIPT_NAME", v->script_name) == -1 ||
	    env_add(e, "SCRIPT_FILENAME", v->script_filename) == -1 ||
	    env_add(e, "DOCUMENT_ROOT", v->doc_root) == -1 ||
	    env_add(e, "PATH_INFO", info) == -1 ||
	    env_join(e, "PATH_TRANSLATED", *info ? v->doc_root : "", info) == -1 ||
	    env_add(e, "QUERY_STRING", v->query ? v->query : "") == -1 ||
	    env_add(e, "PATH", CGIENV_PATH) == -1 ||
	    env_protocol(e, v) == -1) {
		*errstr = "request too large for the environment";
		return -1;
	}
	return 0;
}

/* Like a browser's form encoding of one field: unreserved bytes kept, space as %20. */
int
cgi_query_encode(const char *s, char *out, size_t outsz)
{
	static const char	hex[] = "0123456789ABCDEF";
	size_t			o = 0;

	for (; *s != '\0'; s++) {
		unsigned char c = *s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c) != NULL) {
			if (o + 1 >= outsz)
				return -1;
			out[o++] = c;
			continue;
		}
		if (o + 3 >= outsz)
			return -1;
		out[o++] = '%';
		out[o++] = hex[c >> 4];
		out[o++] = hex[c & 15];
	}
	if (o >= outsz)
		return -1;
	out[o] = '\0';
	return 0;
}
