/*
 * The search query parser and the index on arbitrary bytes.
 *
 * Properties:
 * - search_parse accepts exactly the inputs of at most SEARCH_QUERY_MAX
 *   bytes that are valid UTF-8;
 * - every parsed word is non-empty, at most SEARCH_WORD_MAX bytes, valid
 *   UTF-8 without ASCII punctuation, spaces or control bytes, and folds
 *   to itself; phrase numbers lie within 1..nphrases;
 * - recall: a page whose text is the query itself is found by it, from
 *   the delta and from the base after search_trim, and a removed page is
 *   not;
 * - an excerpt is valid UTF-8 and bounded.
 */
#include <string.h>

#include "fuzz.h"
#include "search.h"
#include "url.h"

static int
word_ok(const char *w)
{
	const unsigned char	*p;

	if (w[0] == '\0' || strlen(w) > SEARCH_WORD_MAX ||
	    !utf8_valid(w, strlen(w)))
		return 0;
	for (p = (const unsigned char *)w; *p != '\0'; p++)
		if (*p < 0x80 && !((*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9')))
			return 0;
	return 1;
}

struct text {
	const char	*data;
	size_t		 len;		/* NUL bytes included */
};

/* The page's text, for phrase checks. */
static int
page_text(void *arg, const char *path, const char **text, size_t *len)
{
	const struct text	*t = arg;

	(void)path;
	*text = t->data;
	*len = t->len;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct search_query	 sq;
	struct search_index	*ix;
	struct search_hit	 hits[SEARCH_PAGE];
	struct buf		 ex;
	const char		*errstr = NULL;
	char			*q = fuzz_cstr(data, size), *page, folded[SEARCH_WORD_MAX + 1];
	struct text		 text;
	size_t			 total, i;
	int			 exact;
	int			 r, valid, t;

	valid = size <= SEARCH_QUERY_MAX && utf8_valid(q, size);
	r = search_parse(q, size, &sq, &errstr);
	FUZZ_ASSERT((r == 0) == valid, "parse %d, valid %d", r, valid);
	if (r == -1) {
		FUZZ_ASSERT(errstr != NULL, "no reason");
		free(q);
		return 0;
	}
	FUZZ_ASSERT(sq.nterms >= 0 && sq.nterms <= SEARCH_TERMS_MAX, "%d terms",
	    sq.nterms);
	for (t = 0; t < sq.nterms; t++) {
		FUZZ_ASSERT(word_ok(sq.term[t].word), "word %d", t);
		FUZZ_ASSERT(search_fold(sq.term[t].word, strlen(sq.term[t].word),
		    folded, sizeof folded) == 0 &&
		    strcmp(folded, sq.term[t].word) == 0, "fold not idempotent");
		FUZZ_ASSERT(sq.term[t].phrase >= 0 &&
		    sq.term[t].phrase <= sq.nphrases, "phrase %d", sq.term[t].phrase);
	}
	/* The query as one plain text line of a page. */
	if ((page = malloc(size + 4)) == NULL)
		abort();
	page[0] = 'x';
	page[1] = ' ';
	for (i = 0; i < size; i++)
		page[i + 2] = q[i] == '\n' || q[i] == '\r' ? ' ' : q[i];
	page[size + 2] = '\n';
	page[size + 3] = '\0';
	text.data = page;
	text.len = size + 3;
	if ((ix = search_new()) == NULL)
		abort();
	FUZZ_ASSERT(search_put(ix, "/p.gmi", page, size + 3) == 0, "put");
	FUZZ_ASSERT(search_run(ix, &sq, 0, hits, SEARCH_PAGE, &total, &exact, page_text,
	    &text) == (sq.nterms > 0 ? 1u : 0u), "recall: %zu found", total);
	search_trim(ix);
	FUZZ_ASSERT(search_run(ix, &sq, 0, hits, SEARCH_PAGE, &total, &exact, page_text,
	    &text) == (sq.nterms > 0 ? 1u : 0u), "recall from the base: %zu found",
	    total);
	buf_init(&ex);
	search_excerpt(page, size + 3, &sq, &ex);
	FUZZ_ASSERT(ex.len <= 200 + 8 && utf8_valid(ex.data ? ex.data : "",
	    ex.len), "excerpt of %zu bytes", ex.len);
	buf_free(&ex);
	search_remove(ix, "/p.gmi");
	FUZZ_ASSERT(search_run(ix, &sq, 0, hits, SEARCH_PAGE, &total, &exact, page_text,
	    &text) == 0 && search_docs(ix) == 0, "a removed page is found");
	search_free(ix);
	free(page);
	free(q);
	return 0;
}
