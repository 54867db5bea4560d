/*
 * Certificate areas and who may upload: the decision over a client
 * certificate's fingerprint and dates, taken by the router for either
 * protocol (a Gopher request has no certificate). The lists come from
 * the configuration and from allow_certificates_file, read when the
 * configuration is made real, so SIGHUP re-reads them.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "access.h"
#include "compat.h"

#define ACCESS_FILE_MAX		(1024 * 1024)
#define ACCESS_FILE_CERTS	100000

int
access_fp_parse(const char *s, size_t len, char *out, const char **errstr)
{
	size_t	i;

	if (len > 7 && strncasecmp(s, "SHA256:", 7) == 0) {
		s += 7;
		len -= 7;
	}
	if (len != CONFIG_FP_LEN) {
		*errstr = "want 64 hex digits (SHA-256 of the certificate's DER)";
		return -1;
	}
	for (i = 0; i < len; i++) {
		if (!isxdigit((unsigned char)s[i])) {
			*errstr = "not a hex digit in fingerprint";
			return -1;
		}
		out[i] = tolower((unsigned char)s[i]);
	}
	out[len] = '\0';
	return 0;
}

static int
access_listed(const struct path_rule *r, const char *hash)
{
	int	i;

	for (i = 0; i < r->ncerts; i++)
		if (strcmp(r->certs[i], hash) == 0)
			return 1;
	for (i = 0; i < r->nfile_certs; i++)
		if (strcmp(r->file_certs[i], hash) == 0)
			return 1;
	return 0;
}

static int
access_has_list(const struct path_rule *r)
{
	return r->ncerts > 0 || r->certs_file[0] != '\0';
}

/* No certificate 60; outside its dates 62; a list that lacks it 61. */
enum access_verdict
access_check(const struct path_rule *r, const struct peer *p, time_t now)
{
	if (p == NULL || !p->present)
		return ACCESS_NEED_CERT;
	if (!peer_valid_at(p, now))
		return ACCESS_NOT_VALID;
	if (access_has_list(r) && !access_listed(r, p->hash))
		return ACCESS_NOT_AUTHORISED;
	return ACCESS_OK;
}

/* Compares in time independent of where the strings first differ. */
static int
access_token_equal(const char *a, const char *b)
{
	size_t		la = strlen(a), lb = strlen(b), i;
	unsigned char	d = la != lb;

	for (i = 0; i < la; i++)
		d |= (unsigned char)a[i] ^ (unsigned char)b[i % (lb ? lb : 1)];
	return d == 0;
}

/*
 * The token alone suffices when titan_token is set; otherwise, or when
 * it does not match, a listed certificate does. A missing or wrong token
 * with no listed certificate is 61, so a client is not sent off to pick
 * an identity that would not help.
 */
enum access_verdict
access_titan(const struct path_rule *r, const struct peer *p, const char *token,
    time_t now)
{
	int	has_token = r->titan_token[0] != '\0';

	if (has_token && token != NULL && access_token_equal(token, r->titan_token))
		return ACCESS_OK;
	if (p == NULL || !p->present)
		return has_token ? ACCESS_NOT_AUTHORISED : ACCESS_NEED_CERT;
	if (!access_has_list(r))
		return ACCESS_NOT_AUTHORISED;
	return access_check(r, p, now);
}

/* One line of a list: blank, a comment, or a fingerprint. */
static int
access_line(struct path_rule *r, char *line, const char **errstr)
{
	char	*end, *hash;

	if ((hash = strchr(line, '#')) != NULL)
		*hash = '\0';
	while (*line == ' ' || *line == '\t')
		line++;
	for (end = line + strlen(line); end > line && isspace((unsigned char)end[-1]);)
		*--end = '\0';
	if (*line == '\0')
		return 0;
	if (r->nfile_certs >= ACCESS_FILE_CERTS) {
		*errstr = "too many fingerprints";
		return -1;
	}
	if (access_fp_parse(line, end - line, r->file_certs[r->nfile_certs],
	    errstr) == -1)
		return -1;
	r->nfile_certs++;
	return 0;
}

static int
access_load_file(struct path_rule *r, char *err, size_t errsz)
{
	FILE		*f;
	char		 line[512];
	const char	*errstr = NULL;
	size_t		 cap = 0, total = 0;
	int		 lineno = 0, rc = 0;

	if ((f = fopen(r->certs_file, "re")) == NULL) {
		snprintf(err, errsz, "allow_certificates_file %s: %s",
		    r->certs_file, strerror(errno));
		return -1;
	}
	while (rc == 0 && fgets(line, sizeof line, f) != NULL) {
		lineno++;
		total += strlen(line);
		if (strchr(line, '\n') == NULL && !feof(f))
			errstr = "line too long";
		else if (total > ACCESS_FILE_MAX)
			errstr = "file too large";
		else if ((size_t)r->nfile_certs == cap) {
			void *p;

			cap = cap ? 2 * cap : 16;
			if ((p = reallocarray(r->file_certs, cap,
			    sizeof *r->file_certs)) == NULL)
				errstr = "out of memory";
			else
				r->file_certs = p;
		}
		if (errstr != NULL || access_line(r, line, &errstr) == -1) {
			snprintf(err, errsz, "%s:%d: %s", r->certs_file, lineno,
			    errstr);
			rc = -1;
		}
	}
	if (rc == 0 && ferror(f)) {
		snprintf(err, errsz, "%s: %s", r->certs_file, strerror(errno));
		rc = -1;
	}
	fclose(f);
	return rc;
}

int
access_load_files(struct config *conf, char *err, size_t errsz)
{
	int	i, j;

	for (i = 0; i < conf->nhosts; i++)
		for (j = 0; j < conf->hosts[i].npaths; j++) {
			struct path_rule *r = &conf->hosts[i].paths[j];

			if (r->certs_file[0] != '\0' &&
			    access_load_file(r, err, errsz) == -1)
				return -1;
		}
	return 0;
}

void
access_free_files(struct config *conf)
{
	int	i, j;

	for (i = 0; conf != NULL && i < conf->nhosts; i++)
		for (j = 0; j < conf->hosts[i].npaths; j++) {
			free(conf->hosts[i].paths[j].file_certs);
			conf->hosts[i].paths[j].file_certs = NULL;
			conf->hosts[i].paths[j].nfile_certs = 0;
		}
}
