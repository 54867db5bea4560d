/*
 * Full-text search of a host's pages: an inverted index with BM25
 * ranking, Unicode case and accent folding, AND of words and quoted
 * phrases. No I/O: the caller adds pages and, for phrases and excerpts,
 * hands back a page's text on request.
 */
#ifndef TULPAR_SEARCH_H
#define TULPAR_SEARCH_H

#include <stddef.h>

#include "buf.h"

#define SEARCH_QUERY_MAX	256	/* bytes of a decoded query */
#define SEARCH_TERMS_MAX	16	/* words in a query, phrases included */
#define SEARCH_WORD_MAX		64	/* bytes of one folded word */
#define SEARCH_PAGE		20	/* results per page */

struct search_term {
	char	word[SEARCH_WORD_MAX + 1];	/* folded */
	int	phrase;		/* phrase number from 1; 0: a lone word */
};

struct search_query {
	struct search_term	term[SEARCH_TERMS_MAX];
	int			nterms;
	int			nphrases;
};

struct search_hit {
	const char	*path;		/* valid until the index changes */
	const char	*title;
	double		 score;
};

/* Gives a page's gemtext for phrase checks and excerpts; -1 if gone. */
typedef int (*search_text_fn)(void *, const char *, const char **, size_t *);

struct search_index;

struct search_index *search_new(void);
void	search_free(struct search_index *);

/* Adds a page, or replaces the page at path; -1 when out of memory. */
int	search_put(struct search_index *, const char *, const char *, size_t);
void	search_remove(struct search_index *, const char *);
/*
 * Ends the bulk build: packs every page so far into the compact base;
 * pages put later go to a small delta, merged in as it grows.
 */
void	search_trim(struct search_index *);
size_t	search_docs(const struct search_index *);
/* The size of the allocation that failed when search_put returned -1. */
size_t	search_wanted(const struct search_index *);
/* Bytes the index has allocated (postings, words, pages), for the budget. */
size_t	search_memory(const struct search_index *);

/*
 * Parses a decoded query: words and "quoted phrases". -1 with errstr
 * for invalid UTF-8 or an overlong query; 0 with nterms possibly 0 (a
 * query of only punctuation).
 */
int	search_parse(const char *, size_t, struct search_query *, const char **);

/*
 * Runs a query: hits from offset on, at most max, best first; the number
 * of matching pages in *total, which is all of them when *exact, else
 * (phrases are checked against the text only as far as needed) a lower
 * bound past the hits returned. text may be NULL when the query has no
 * phrase.
 */
size_t	search_run(struct search_index *, const struct search_query *,
	    size_t, struct search_hit *, size_t, size_t *, int *,
	    search_text_fn, void *);

/* A line of the page around the first matched word, at most ~200 bytes. */
void	search_excerpt(const char *, size_t, const struct search_query *,
	    struct buf *);

/* Folds one word (case, compatibility forms, accents); -1 if it is empty. */
int	search_fold(const char *, size_t, char *, size_t);

#endif
