/* Per-path settings: the most specific [path] section wins. Pure. */
#include <string.h>
#include <strings.h>

#include "config.h"
#include "path.h"

/* The longest-prefix rule covering path; with actions, only redirect/gone ones. */
const struct path_rule *
path_rule_find(const struct path_rule *rules, int n, const char *path,
    int actions)
{
	const struct path_rule	*best = NULL;
	int			 i;

	for (i = 0; i < n; i++) {
		if (actions && rules[i].action == PATH_NONE)
			continue;
		if (!path_under(rules[i].prefix, path))
			continue;
		if (best == NULL || strlen(rules[i].prefix) > strlen(best->prefix))
			best = &rules[i];
	}
	return best;
}

/* Walks the covering rules from the most specific until one sets a field. */
static const struct path_rule *
path_rule_setting(const struct path_rule *rules, int n, const char *path,
    int (*has)(const struct path_rule *))
{
	const struct path_rule	*best = NULL;
	int			 i;

	for (i = 0; i < n; i++) {
		if (!has(&rules[i]) || !path_under(rules[i].prefix, path))
			continue;
		if (best == NULL || strlen(rules[i].prefix) > strlen(best->prefix))
			best = &rules[i];
	}
	return best;
}

static int
has_lang(const struct path_rule *r)
{
	return r->lang[0] != '\0';
}

static int
has_listing(const struct path_rule *r)
{
	return r->listing != -1;
}

const char *
path_rule_lang(const struct path_rule *rules, int n, const char *path,
    const char *fallback)
{
	const struct path_rule	*r = path_rule_setting(rules, n, path, has_lang);

	return r != NULL ? r->lang : fallback;
}

int
path_rule_listing(const struct path_rule *rules, int n, const char *path,
    int fallback)
{
	const struct path_rule	*r = path_rule_setting(rules, n, path, has_listing);

	return r != NULL ? r->listing : fallback;
}

static int
has_atom(const struct path_rule *r)
{
	return r->atom != -1;
}

int
path_rule_atom(const struct path_rule *rules, int n, const char *path)
{
	const struct path_rule	*r = path_rule_setting(rules, n, path, has_atom);

	return r != NULL ? r->atom : 1;
}

/* A MIME override for the path's extension, from the most specific rule. */
const char *
path_rule_mime(const struct path_rule *rules, int n, const char *path)
{
	const struct path_rule	*best = NULL;
	const char		*ext = path_ext(path), *type = NULL;
	int			 i, j;

	if (*ext == '\0')
		return NULL;
	for (i = 0; i < n; i++) {
		if (!path_under(rules[i].prefix, path))
			continue;
		for (j = 0; j < rules[i].nmime; j++) {
			if (strcasecmp(rules[i].mime[j].ext, ext) != 0)
				continue;
			if (best == NULL || strlen(rules[i].prefix) > strlen(best->prefix)) {
				best = &rules[i];
				type = rules[i].mime[j].type;
			}
		}
	}
	return type;
}

/*
 * A certificate area: require_certificate, or an allow list. On a Titan
 * path the allow list says who may upload, and reading stays public
 * unless require_certificate says otherwise.
 */
static int
has_area(const struct path_rule *r)
{
	return r->require_cert || ((r->ncerts > 0 || r->certs_file[0] != '\0') &&
	    r->titan != 1);
}

static int
has_titan(const struct path_rule *r)
{
	return r->titan != -1;
}

const struct path_rule *
path_rule_area(const struct path_rule *rules, int n, const char *path)
{
	return path_rule_setting(rules, n, path, has_area);
}

int
path_rule_protected(const struct path_rule *rules, int n, const char *path)
{
	return path_rule_area(rules, n, path) != NULL;
}

const struct path_rule *
path_rule_titan(const struct path_rule *rules, int n, const char *path)
{
	const struct path_rule	*r = path_rule_setting(rules, n, path, has_titan);

	return r != NULL && r->titan == 1 ? r : NULL;
}

/*
 * Asking for a client certificate costs a handshake about 5 %, so only
 * hosts that look at one ask: certificate areas, Titan, CGI and FastCGI.
 */
int
host_wants_certs(const struct host_config *h)
{
	int	i;

	for (i = 0; h != NULL && i < h->npaths; i++)
		if (has_area(&h->paths[i]) || h->paths[i].titan == 1 ||
		    path_rule_program(h->paths, h->npaths, h->paths[i].prefix))
			return 1;
	return 0;
}

static int
has_program(const struct path_rule *r)
{
	return r->cgi != -1 || r->fastcgi[0] != '\0';
}

/* The most specific rule saying cgi = yes/no or fastcgi; NULL unless it runs programs. */
const struct path_rule *
path_rule_program(const struct path_rule *rules, int n, const char *path)
{
	const struct path_rule	*r = path_rule_setting(rules, n, path, has_program);

	return r != NULL && (r->cgi == 1 || r->fastcgi[0] != '\0') ? r : NULL;
}
