/*
 * Content checks: what needs the pages read (not UTF-8, a local link to
 * nothing, a link with a raw space), so done in the background after
 * start-up, or at once by -n. The load reports the rest.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "compat.h"
#include "gemtext.h"
#include "log.h"
#include "path.h"
#include "store.h"
#include "storeint.h"
#include "url.h"

/* A local link's path, resolved against the page's directory; 0 if local. */
static int
link_local(const struct store *s, const char *dir, const char *url, size_t len,
    char *out, size_t outsz)
{
	char		 raw[URL_MAX + 1], dec[URL_MAX + 1], *host, *end;
	const char	*errstr, *colon;
	size_t		 i;

	if (len == 0 || len > URL_MAX)
		return -1;
	memcpy(raw, url, len);
	raw[len] = '\0';
	raw[strcspn(raw, "?#")] = '\0';
	colon = strchr(raw, ':');
	if (colon != NULL && colon < raw + strcspn(raw, "/")) {
		if (strncasecmp(raw, "gemini://", 9) != 0)
			return -1;
		host = raw + 9;
		end = host + strcspn(host, "/");
		i = end - host;
		if (i == 0 || i >= sizeof dec)
			return -1;
		memcpy(dec, host, i);
		dec[i] = '\0';
		if ((colon = strrchr(dec, ':')) != NULL && strchr(dec, ']') == NULL)
			dec[colon - dec] = '\0';
		if (!url_host_equal(dec, s->opts.host))
			return -1;
		memmove(raw, end, strlen(end) + 1);
		if (raw[0] == '\0')
			strlcpy(raw, "/", sizeof raw);
	} else if (raw[0] == '/' && raw[1] == '/')
		return -1;
	if (url_decode(raw, strlen(raw), dec, sizeof dec, &errstr) == -1)
		return -1;
	return path_resolve(dir, dec, out, outsz, &errstr) == -1 ? -1 : 0;
}

/* 1 if a local path names something we serve (or a rule answers for it). */
static int
link_target_ok(const struct store *s, char *path, size_t size)
{
	const struct path_rule	*pr;
	size_t			 len = strlen(path);

	pr = path_rule_find(s->opts.rules, s->opts.nrules, path, 1);
	if (pr != NULL && pr->action != PATH_NONE)
		return 1;
	if (store_find(s, path) != NULL)
		return 1;
	if (len + 1 < size && path[len - 1] != '/') {
		path[len] = '/';
		path[len + 1] = '\0';
		return store_find(s, path) != NULL;
	}
	return 0;
}

static void
check_link(struct store *s, const struct node *n, const char *dir,
    const struct gmi_line *l)
{
	char		 path[PATH_MAX_LEN + 2], joined[URL_MAX + 1];
	size_t		 i;

	if (link_local(s, dir, l->url, l->urllen, path, sizeof path) == -1 ||
	    link_target_ok(s, path, sizeof path))
		return;
	/* "=> my page.gmi": the URL ended at a space the writer meant. */
	for (i = 0; i <= l->textlen && l->urllen + 1 + i < sizeof joined; i++) {
		if (i < l->textlen && l->text[i] != ' ')
			continue;
		memcpy(joined, l->url, l->urllen);
		joined[l->urllen] = ' ';
		memcpy(joined + l->urllen + 1, l->text, i);
		if (link_local(s, dir, joined, l->urllen + 1 + i, path,
		    sizeof path) == 0 && link_target_ok(s, path, sizeof path)) {
			store_report(s, PROB_SPACE, n->path, "link \"%.*s\" has a "
			    "raw space (write it as %%20)", (int)(l->urllen + 1 + i),
			    joined);
			return;
		}
	}
	store_report(s, PROB_LINK, n->path, "link to a page that does not "
	    "exist: %.*s", (int)l->urllen, l->url);
}

static void
check_page(struct store *s, const struct node *n)
{
	struct gmi_parser	 p;
	struct gmi_line		 l;
	struct blob		*b;
	char			 dir[PATH_MAX_LEN + 2], *slash;

	if (store_read(s, n, &b) != 0)
		return;
	if (!utf8_valid(b->data + b->off, b->len - b->off))
		store_report(s, PROB_UTF8, n->path, "not valid UTF-8");
	strlcpy(dir, n->path, sizeof dir);
	if ((slash = strrchr(dir, '/')) != NULL)
		slash[1] = '\0';
	gemtext_init(&p, b->data + b->off, b->len - b->off);
	while (gemtext_next(&p, &l))
		if (l.type == GMI_LINK)
			check_link(s, n, dir, &l);
	blob_unref(b);
}

int
store_check_step(struct store *s, size_t budget)
{
	const struct node	*n;
	size_t			 done = 0;

	for (; s->cursor <= s->mask && done < budget; s->cursor++)
		for (n = s->table[s->cursor]; n != NULL; n = n->next)
			if (n->kind == NODE_PAGE) {
				check_page(s, n);
				done++;
			}
	if (s->cursor <= s->mask)
		return 1;
	s->cursor = 0;
	return 0;
}

void
store_check_all(struct store *s)
{
	s->cursor = 0;
	while (store_check_step(s, SIZE_MAX))
		;
}

void
store_summary(const struct store *s, const char *name, char *out, size_t outsz)
{
	const size_t	*p = s->problems;
	size_t		 total = 0;
	int		 i;

	for (i = 0; i < PROB_COUNT; i++)
		total += p[i];
	snprintf(out, outsz, "content of %s: %zu pages, %zu directories, %zu "
	    "files, %zu streamed; %zu problem%s (%zu not UTF-8, %zu broken "
	    "links, %zu links with spaces, %zu unreadable, %zu bad names, "
	    "%zu symlinks out, %zu empty roots)", name, s->counts[NODE_PAGE],
	    s->counts[NODE_DIR], s->counts[NODE_FILE], s->counts[NODE_LARGE],
	    total, total == 1 ? "" : "s", p[PROB_UTF8], p[PROB_LINK],
	    p[PROB_SPACE], p[PROB_ACCESS], p[PROB_NAME], p[PROB_OUTSIDE],
	    p[PROB_EMPTY]);
}
