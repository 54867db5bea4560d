/*
 * A directory's atom.xml: the Atom feed of its gemfeed page, rendered by
 * atom.c from the page as the store has it now, with each entry's summary
 * the first paragraph of the local page it links. Nothing is kept: a
 * feed reader asks rarely, and the feed is never older than its pages.
 */
#include <stdlib.h>
#include <string.h>

#include "atom.h"
#include "compat.h"
#include "feed.h"
#include "path.h"
#include "url.h"

/* The pages read for summaries: each holds the one before's place. */
struct summaries {
	struct store	*store;
	const char	*dir;		/* the gemfeed page's directory */
	struct blob	*held;
};

static const char *
feed_summary(void *arg, const char *ref, size_t len, size_t *outlen)
{
	struct summaries	*sm = arg;
	char			 dec[URL_MAX + 1], path[PATH_MAX_LEN + 2];
	const char		*errstr;
	size_t			 n;

	for (n = 0; n < len && ref[n] != '?' && ref[n] != '#'; n++)
		;
	if (url_decode(ref, n, dec, sizeof dec, &errstr) == -1 ||
	    path_resolve(sm->dir, dec, path, sizeof path, &errstr) == -1)
		return NULL;
	blob_unref(sm->held);
	sm->held = NULL;
	if (store_text(sm->store, path, &sm->held) == -1)
		return NULL;
	return atom_first_paragraph(sm->held->data + sm->held->off,
	    sm->held->len - sm->held->off, outlen);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The pages of a directory, index.gmi first, then by name; NULL-ended. */
static const char **
feed_candidates(const struct node *dir)
{
	const struct node	*c;
	const char		**v, *idx;
	size_t			 n = 0, k = 0, i;

	for (c = dir->child; c != NULL; c = c->sibling)
		n++;
	if ((v = calloc(n + 1, sizeof *v)) == NULL)
		return NULL;
	for (c = dir->child; c != NULL; c = c->sibling)
		if (c->kind == NODE_PAGE)
			v[k++] = c->path;
	qsort(v, k, sizeof *v, name_cmp);
	for (i = 0; i < k; i++)
		if (strcmp(v[i] + strlen(dir->path), "index.gmi") == 0) {
			idx = v[i];
			memmove(v + 1, v, i * sizeof *v);
			v[0] = idx;
			break;
		}
	return v;
}

/* Renders the feed of one page, if it is a gemfeed page. */
static int
feed_page(struct store *st, const struct node *dir, const char *path,
    const char *base, struct buf *out)
{
	struct summaries	 sm = { st, dir->path, NULL };
	struct atom_feed	 f;
	struct blob		*page;
	char			 self[URL_MAX + 1], enc[3 * PATH_MAX_LEN + 1];
	const char		*text, *errstr;
	size_t			 len;
	int			 r = -1;

	if (store_text(st, path, &page) == -1)
		return -1;
	text = page->data + page->off;
	len = page->len - page->off;
	if (atom_is_gemfeed(text, len) &&
	    url_encode_path(path + strlen(dir->path), enc, sizeof enc) == 0 &&
	    strlcpy(self, base, sizeof self) < sizeof self &&
	    strlcat(self, enc, sizeof self) < sizeof self) {
		memset(&f, 0, sizeof f);
		f.base = base;
		f.page = self;
		f.summary = feed_summary;
		f.arg = &sm;
		r = atom_render(text, len, &f, out, &errstr);
	}
	blob_unref(sm.held);
	blob_unref(page);
	return r;
}

int
feed_render(struct store *st, const struct node *dir, const char *base,
    struct buf *out)
{
	const char	**v;
	size_t		  i, start = out->len;
	int		  r = -1;

	if ((v = feed_candidates(dir)) == NULL)
		return -1;
	for (i = 0; v[i] != NULL && r == -1; i++) {
		out->len = start;
		r = feed_page(st, dir, v[i], base, out);
	}
	free(v);
	return r;
}
