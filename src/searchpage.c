/*
 * The search page of a host, as gemtext: both front ends serve it, Gemini
 * as it is and Gopher through the same menu renderer as every page, so
 * one query gets one answer on either protocol.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "blob.h"
#include "compat.h"
#include "searchpage.h"
#include "url.h"

/* Adds text on one gemtext line: control bytes become spaces. */
static void
add_line_text(struct buf *b, const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		buf_addc(b, (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i]);
}

/* Pages read for phrase checks and excerpts: each holds the one before's place. */
struct reader {
	const struct site	*site;
	struct blob		*held;
};

/* A page's gemtext, valid until the next call or reader_done(). */
static int
page_text(void *arg, const char *path, const char **text, size_t *len)
{
	struct reader	*rd = arg;

	blob_unref(rd->held);
	rd->held = NULL;
	if (store_text(rd->site->store, path, &rd->held) == -1)
		return -1;
	*text = rd->held->data + rd->held->off;
	*len = rd->held->len - rd->held->off;
	return 0;
}

static void
reader_done(struct reader *rd)
{
	blob_unref(rd->held);
	rd->held = NULL;
}

/* "=> PATH/N?words" (Gemini) or "=> PATH/N/words" (Gopher, no queries). */
static void
add_page_link(struct buf *b, const struct site *s, const char *words,
    int page, int gopher, const char *label)
{
	char	enc[3 * SEARCH_QUERY_MAX + 1], num[16];

	if (url_encode_path(words, enc, sizeof enc) == -1)
		return;
	snprintf(num, sizeof num, "/%d", page);
	buf_adds(b, "=> ");
	buf_adds(b, s->conf->search);
	buf_adds(b, num);
	buf_adds(b, gopher ? "/" : "?");
	buf_adds(b, enc);
	buf_addc(b, ' ');
	buf_adds(b, label);
	buf_addc(b, '\n');
}

/*
 * A hit's address: a directory's index.gmi as the directory, the address
 * every other link gives it, so that history and bookmarks see one page.
 */
static int
hit_address(const char *path, char *enc, size_t size)
{
	char		 dir[1024];
	const char	*idx = "/index.gmi";
	size_t		 n = strlen(path), k = strlen(idx);

	if (n < k || strcmp(path + n - k, idx) != 0 || n - k + 1 >= sizeof dir)
		return url_encode_path(path, enc, size);
	memcpy(dir, path, n - k + 1);
	dir[n - k + 1] = '\0';
	return url_encode_path(dir, enc, size);
}

static void
add_hit(struct buf *b, struct reader *rd, const struct search_hit *h,
    const struct search_query *sq)
{
	char		 enc[3 * 1024 + 1];
	const char	*text;
	size_t		 len;
	struct buf	 ex;

	if (hit_address(h->path, enc, sizeof enc) == -1)
		return;
	buf_adds(b, "=> ");
	buf_adds(b, enc);
	buf_addc(b, ' ');
	add_line_text(b, h->title, strlen(h->title));
	buf_addc(b, '\n');
	if (page_text(rd, h->path, &text, &len) == -1)
		return;
	buf_init(&ex);
	search_excerpt(text, len, sq, &ex);
	if (ex.len > 0 && !ex.failed) {
		buf_adds(b, "> ");
		add_line_text(b, ex.data, ex.len);
		buf_addc(b, '\n');
	}
	buf_free(&ex);
	buf_addc(b, '\n');
}

int
search_page(const struct site *s, const char *words, size_t len, int page,
    int gopher, struct buf *b, const char **errstr)
{
	struct search_query	 sq;
	struct search_hit	 hits[SEARCH_PAGE];
	char			 line[128];
	struct reader		 rd = { s, NULL };
	size_t			 n, total, i, from;
	int			 exact;

	if (search_parse(words, len, &sq, errstr) == -1)
		return -1;
	from = (size_t)(page - 1) * SEARCH_PAGE;
	n = search_run(store_search(s->store), &sq, from, hits, SEARCH_PAGE,
	    &total, &exact, page_text, &rd);
	buf_adds(b, "# Search: ");
	add_line_text(b, words, len);
	buf_adds(b, "\n\n");
	if (sq.nterms == 0)
		buf_adds(b, "No words to search for: try letters or digits.\n\n");
	else if (total == 0)
		buf_adds(b, "No page matches.\n\n");
	else if (n == 0)
		buf_adds(b, "No more results.\n\n");
	else {
		snprintf(line, sizeof line, "%s%zu page%s match%s; %zu to %zu:\n\n",
		    exact ? "" : "At least ", total, total == 1 ? "" : "s",
		    total == 1 ? "es" : "", from + 1, from + n);
		buf_adds(b, line);
	}
	for (i = 0; i < n; i++)
		add_hit(b, &rd, &hits[i], &sq);
	reader_done(&rd);
	if (from + n < total) {
		if (exact)
			snprintf(line, sizeof line, "Next results (%zu to %zu)",
			    from + n + 1, from + n + SEARCH_PAGE < total ?
			    from + n + SEARCH_PAGE : total);
		else
			snprintf(line, sizeof line, "Next results (from %zu)",
			    from + n + 1);
		add_page_link(b, s, words, page + 1, gopher, line);
	}
	if (page > 1)
		add_page_link(b, s, words, page - 1, gopher, "Previous results");
	buf_adds(b, "=> ");
	buf_adds(b, s->conf->search);
	buf_adds(b, " New search\n=> / Home\n");
	return 0;
}
