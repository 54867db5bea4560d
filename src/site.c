/*
 * Building what is served from a configuration: each host's content store and
 * TLS context, and the router over them. The first host is the default:
 * a client naming no host, or an unknown one, in SNI gets its certificate.
 */
#include <sys/types.h>

#include <pwd.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "access.h"
#include "compat.h"
#include "log.h"
#include "site.h"
#include "tls.h"
#include "upload.h"

/* SNI: switch to the named host's certificate; unknown names keep the default. */
static int
site_sni(SSL *ssl, int *alert, void *arg)
{
	const struct router	*r = arg;
	const struct site	*s;
	const char		*name;

	(void)alert;
	name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	if (name != NULL && (s = router_site(r, name)) != NULL && s->ctx != NULL &&
	    s->ctx != SSL_get_SSL_CTX(ssl)) {
		SSL_set_SSL_CTX(ssl, s->ctx);
		/* SSL_new copied the default host's verify mode: take this one's. */
		SSL_set_verify(ssl, SSL_CTX_get_verify_mode(s->ctx),
		    SSL_CTX_get_verify_callback(s->ctx));
	}
	return SSL_TLSEXT_ERR_OK;
}

/* The user the workers serve as, for the content's access check. */
static void
site_user(const struct config *conf, struct store_opts *so)
{
	struct passwd	*pw;

	so->uid = geteuid();
	so->gid = getegid();
	if (so->uid == 0 && conf->user[0] != '\0' &&
	    (pw = getpwnam(conf->user)) != NULL) {
		so->uid = pw->pw_uid;
		so->gid = pw->pw_gid;
	}
}

static void
site_opts(const struct config *conf, const struct host_config *hc,
    struct store_opts *so)
{
	memset(so, 0, sizeof *so);
	so->root = hc->root;
	so->lang = hc->lang[0] != '\0' ? hc->lang : NULL;
	so->host = hc->name;
	so->gopher_port = hc->gopher.port;
	so->large = STORE_LARGE;
	so->nolisting = !hc->listing;
	so->rules = hc->paths;
	so->nrules = hc->npaths;
	so->search = hc->search[0] != '\0' ? hc->search : NULL;
	site_user(conf, so);
}

/* 1 + the old site whose store serves this host unchanged, or 0. */
static int
site_reusable(const struct state *st, const struct store_opts *so,
    const struct state *old)
{
	int	j, k;

	for (j = 0; old != NULL && j < old->nsites; j++) {
		for (k = 0; k < st->nsites - 1; k++)
			if (st->reuse[k] == j + 1)
				break;
		if (k == st->nsites - 1 && old->sites[j].store != NULL &&
		    store_same(old->sites[j].store, so))
			return j + 1;
	}
	return 0;
}

static int
site_load(struct state *st, int i, int dry_run, const struct state *old,
    char *err, size_t errsz)
{
	const struct host_config	*hc = &st->conf->hosts[i];
	struct site			*s = &st->sites[i];
	struct store_opts		 so;
	const char			*alt[CONFIG_MAX_ALIASES];
	int				 gen, j;

	s->rootfd = upload_root_open(hc);
	s->name = hc->name;
	s->conf = hc;
	site_opts(st->conf, hc, &so);
	if ((st->reuse[i] = site_reusable(st, &so, old)) == 0 &&
	    (s->store = store_load(&so, err, errsz)) == NULL)
		return -1;
	for (j = 0; j < hc->naliases; j++)
		alt[j] = hc->aliases[j];
	if ((gen = tls_ensure_cert(hc->certdir, hc->name, alt, hc->naliases,
	    dry_run, err, errsz)) == -1)
		return -1;
	st->generated |= gen;
	if (dry_run && gen)
		return 0;	/* nothing to load yet */
	if ((s->ctx = tls_server_ctx(hc->certdir, hc->name, err, errsz)) == NULL)
		return -1;
	tls_request_certs(s->ctx, host_wants_certs(hc));
	if (gen)
		log_info("generated a certificate for %s in %s", hc->name,
		    hc->certdir);
	return 0;
}

static int	state_build(struct state *, struct config *, int,
		    const struct state *, char *, size_t);

int
state_load(struct state *st, struct config *conf, int dry_run, char *err,
    size_t errsz)
{
	return state_build(st, conf, dry_run, NULL, err, errsz);
}

int
state_reload(struct state *st, struct config *conf, const struct state *old,
    char *err, size_t errsz)
{
	return state_build(st, conf, 0, old, err, errsz);
}

void
state_take_content(struct state *st, struct state *old)
{
	struct store_opts	so;
	int			i;

	for (i = 0; i < st->nsites; i++) {
		if (st->reuse[i] == 0)
			continue;
		st->sites[i].store = old->sites[st->reuse[i] - 1].store;
		old->sites[st->reuse[i] - 1].store = NULL;
		st->reuse[i] = 0;
		site_opts(st->conf, &st->conf->hosts[i], &so);
		store_adopt(st->sites[i].store, &so);
	}
}

static int
state_build(struct state *st, struct config *conf, int dry_run,
    const struct state *old, char *err, size_t errsz)
{
	char	why[1024];
	int	i;

	memset(st, 0, sizeof *st);
	st->conf = conf;
	if (access_load_files(conf, err, errsz) == -1) {
		state_free(st);
		return -1;
	}
	for (i = 0; i < conf->nhosts; i++) {
		st->nsites = i + 1;
		if (site_load(st, i, dry_run, old, why, sizeof why) == -1) {
			/* A host from a file: say where it is. */
			if (conf->file[0] != '\0' && conf->hosts[i].line > 0)
				snprintf(err, errsz, "%s:%d: [host %s]: %s", conf->file,
				    conf->hosts[i].line, conf->hosts[i].name, why);
			else
				snprintf(err, errsz, "%s", why);
			state_free(st);
			return -1;
		}
	}
	st->router.sites = st->sites;
	st->router.nsites = st->nsites;
	st->router.gemini_port = conf->gemini.port;
	for (i = 0; i < st->nsites; i++)
		if (st->sites[i].ctx != NULL) {
			SSL_CTX_set_tlsext_servername_callback(st->sites[i].ctx, site_sni);
			SSL_CTX_set_tlsext_servername_arg(st->sites[i].ctx, &st->router);
		}
	return 0;
}

void
state_free(struct state *st)
{
	int	i;

	for (i = 0; i < st->nsites; i++) {
		store_free(st->sites[i].store);
		SSL_CTX_free(st->sites[i].ctx);
		if (st->sites[i].rootfd != -1)
			close(st->sites[i].rootfd);
	}
	access_free_files(st->conf);
	if (st->conf != NULL)
		OPENSSL_cleanse(&st->conf->tickets, sizeof st->conf->tickets);
	free(st->conf);
	memset(st, 0, sizeof *st);
}
