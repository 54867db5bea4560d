/* Unit tests for src/search.c: folding, queries, ranking, phrases, excerpts. */
#include "unit.h"

#include <malloc.h>

#include "search.h"

static const char *pages[][2] = {
	{ "/astana.gmi", "# Astana summit\n\nThe Астана summit of July 2024 closed the chairmanship.\n" },
	{ "/priorities.gmi", "# Priorities\n\n* Security and stability in the region\n* Trade and transport links\n\nThe summit in Astana agreed on them.\n" },
	{ "/glossary.gmi", "# Glossary\n\n## Қазақстан\nKazakhstan in Kazakh, with Қ.\n\n## Café culture\nNot related to transport at all.\n" },
	{ "/noise.gmi", "# Noise\n\nWords, words, words: nothing about capitals here. Stability is mentioned once.\n" },
};

/* Text for phrase checks, from the table above. */
static int
text_of(void *arg, const char *path, const char **text, size_t *len)
{
	size_t	i;

	(void)arg;
	for (i = 0; i < sizeof pages / sizeof pages[0]; i++)
		if (strcmp(pages[i][0], path) == 0) {
			*text = pages[i][1];
			*len = strlen(pages[i][1]);
			return 0;
		}
	return -1;
}

static struct search_index *
index_all(void)
{
	struct search_index	*ix = search_new();
	size_t			 i;

	assert_non_null(ix);
	for (i = 0; i < sizeof pages / sizeof pages[0]; i++)
		assert_int_equal(search_put(ix, pages[i][0], pages[i][1],
		    strlen(pages[i][1])), 0);
	return ix;
}

/* Runs q and returns the number of hits; paths joined by spaces in out. */
static size_t
run(struct search_index *ix, const char *q, char *out, size_t outsz)
{
	struct search_query	 sq;
	struct search_hit	 hits[SEARCH_PAGE];
	const char		*errstr;
	size_t			 n, total, i;
	int			 exact;

	assert_int_equal(search_parse(q, strlen(q), &sq, &errstr), 0);
	n = search_run(ix, &sq, 0, hits, SEARCH_PAGE, &total, &exact, text_of, NULL);
	assert_int_equal(n, total);
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0)
			strncat(out, " ", outsz - strlen(out) - 1);
		strncat(out, hits[i].path, outsz - strlen(out) - 1);
	}
	return n;
}

static void
test_fold(void **state)
{
	char	a[SEARCH_WORD_MAX + 1], b[SEARCH_WORD_MAX + 1], c[SEARCH_WORD_MAX + 1];

	(void)state;
	assert_int_equal(search_fold("Астана", strlen("Астана"), a, sizeof a), 0);
	assert_int_equal(search_fold("астана", strlen("астана"), b, sizeof b), 0);
	assert_int_equal(search_fold("АСТАНА", strlen("АСТАНА"), c, sizeof c), 0);
	assert_string_equal(a, b);
	assert_string_equal(a, c);
	assert_int_equal(search_fold("Café", strlen("Café"), a, sizeof a), 0);
	assert_string_equal(a, "cafe");
	assert_int_equal(search_fold("Cafe\xcc\x81", 6, a, sizeof a), 0);
	assert_string_equal(a, "cafe");
	/* Kazakh letters: each capital folds to its small letter. */
	{
		static const char *pairs[][2] = {
			{ "Ә", "ә" }, { "Ғ", "ғ" }, { "Қ", "қ" }, { "Ң", "ң" },
			{ "Ө", "ө" }, { "Ұ", "ұ" }, { "Ү", "ү" }, { "Һ", "һ" },
			{ "І", "і" },
		};
		size_t i;

		for (i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
			assert_int_equal(search_fold(pairs[i][0],
			    strlen(pairs[i][0]), a, sizeof a), 0);
			assert_int_equal(search_fold(pairs[i][1],
			    strlen(pairs[i][1]), b, sizeof b), 0);
			assert_string_equal(a, b);
		}
	}
	assert_int_equal(search_fold("!?", 2, a, sizeof a), -1);
}

static void
test_and_and_rank(void **state)
{
	struct search_index	*ix = index_all();
	char			 out[256];

	(void)state;
	/* A heading match ranks above a body match. */
	assert_int_equal(run(ix, "astana", out, sizeof out), 2);
	assert_string_equal(out, "/astana.gmi /priorities.gmi");
	/* The Cyrillic spelling, in any case, finds the page that uses it. */
	assert_int_equal(run(ix, "АСТАНА", out, sizeof out), 1);
	assert_string_equal(out, "/astana.gmi");
	assert_int_equal(run(ix, "астана", out, sizeof out), 1);
	assert_int_equal(run(ix, "Астана", out, sizeof out), 1);
	/* Words are ANDed. */
	assert_int_equal(run(ix, "summit transport", out, sizeof out), 1);
	assert_string_equal(out, "/priorities.gmi");
	/* Equal counts: the shorter page ranks first (BM25's length norm). */
	assert_int_equal(run(ix, "stability", out, sizeof out), 2);
	assert_string_equal(out, "/noise.gmi /priorities.gmi");
	assert_int_equal(run(ix, "қазақстан", out, sizeof out), 1);
	assert_string_equal(out, "/glossary.gmi");
	assert_int_equal(run(ix, "CAFE", out, sizeof out), 1);
	assert_int_equal(run(ix, "nowhere", out, sizeof out), 0);
	search_free(ix);
}

static void
test_phrases(void **state)
{
	struct search_index	*ix = index_all();
	char			 out[256];

	(void)state;
	assert_int_equal(run(ix, "\"trade and transport\"", out, sizeof out), 1);
	assert_string_equal(out, "/priorities.gmi");
	/* The same words out of order are no phrase. */
	assert_int_equal(run(ix, "\"transport and trade\"", out, sizeof out), 0);
	assert_int_equal(run(ix, "\"summit in astana\" security", out,
	    sizeof out), 1);
	/* An unclosed quote runs to the end. */
	assert_int_equal(run(ix, "\"astana summit", out, sizeof out), 1);
	assert_string_equal(out, "/astana.gmi");
	search_free(ix);
}

/* The text of the one page of an index, for phrase checks. */
static int
text_one(void *arg, const char *path, const char **text, size_t *len)
{
	(void)path;
	*text = arg;
	*len = strlen(arg);
	return 0;
}

/* Hits of q in an index of the one page text. */
static size_t
phrase_hits(const char *text, const char *q)
{
	struct search_index	*ix = search_new();
	struct search_query	 sq;
	struct search_hit	 hits[SEARCH_PAGE];
	const char		*errstr;
	size_t			 n, total;
	int			 exact;

	assert_non_null(ix);
	assert_int_equal(search_put(ix, "/p.gmi", text, strlen(text)), 0);
	assert_int_equal(search_parse(q, strlen(q), &sq, &errstr), 0);
	n = search_run(ix, &sq, 0, hits, SEARCH_PAGE, &total, &exact, text_one,
	    (void *)(uintptr_t)text);
	search_free(ix);
	return n;
}

/* Lines without the query's words are skipped, yet phrases stay exact. */
static void
test_phrase_lines(void **state)
{
	(void)state;
	/* A phrase runs on across a line break, and across a line of no words. */
	assert_int_equal(phrase_hits("x\nalpha beta\ngamma delta\n",
	    "\"beta gamma\""), 1);
	assert_int_equal(phrase_hits("x\nalpha beta\n\n---\n* gamma delta\n",
	    "\"beta gamma\""), 1);
	/* Not across a line of other words, in any case. */
	assert_int_equal(phrase_hits("x\nalpha beta\nother words\ngamma\n",
	    "\"beta gamma\""), 0);
	assert_int_equal(phrase_hits("x\nalpha BETA\nGamma delta\n",
	    "\"beta gamma\""), 1);
	/* A line of other bytes may fold into the words: still found. */
	assert_int_equal(phrase_hits("x\nalpha bétà\ngämma delta\n",
	    "\"beta gamma\""), 1);
	assert_int_equal(phrase_hits("x\nBeta\nnoise\nbeta gamma\n",
	    "\"beta gamma\""), 1);
	/* Past many lines with the words, every line is split: still exact. */
	assert_int_equal(phrase_hits("beta\nbeta\nbeta\nbeta\nbeta\nbeta\n"
	    "beta\nbeta\nbeta\nbeta\nother words\ngamma\n", "\"beta gamma\""), 0);
	assert_int_equal(phrase_hits("beta\nbeta\nbeta\nbeta\nbeta\nbeta\n"
	    "beta\nbeta\nbeta\nbeta\n---\ngamma\n", "\"beta gamma\""), 1);
}

static void
test_parse_limits(void **state)
{
	struct search_query	 sq;
	const char		*errstr = NULL;
	char			 q[SEARCH_QUERY_MAX + 2];

	(void)state;
	memset(q, 'a', sizeof q);
	assert_int_equal(search_parse(q, SEARCH_QUERY_MAX, &sq, &errstr), 0);
	assert_int_equal(sq.nterms, 1);
	assert_int_equal(search_parse(q, SEARCH_QUERY_MAX + 1, &sq, &errstr), -1);
	assert_string_equal(errstr, "query too long");
	assert_int_equal(search_parse("\xff\xfe", 2, &sq, &errstr), -1);
	assert_string_equal(errstr, "query is not valid UTF-8");
	assert_int_equal(search_parse("", 0, &sq, &errstr), 0);
	assert_int_equal(sq.nterms, 0);
	assert_int_equal(search_parse("!!! ... \"\" ,", 12, &sq, &errstr), 0);
	assert_int_equal(sq.nterms, 0);
	assert_int_equal(search_parse("a\tb\rc", 5, &sq, &errstr), 0);
	assert_int_equal(sq.nterms, 3);
}

static void
test_update_and_remove(void **state)
{
	struct search_index	*ix = index_all();
	char			 out[256], path[32];
	const char		*t = "# Fresh\n\nNow about Astana too.\n";
	size_t			 before = search_memory(ix), i;

	(void)state;
	assert_int_equal(search_put(ix, "/noise.gmi", t, strlen(t)), 0);
	assert_int_equal(search_docs(ix), 4);
	assert_int_equal(run(ix, "astana", out, sizeof out), 3);
	assert_int_equal(run(ix, "capitals", out, sizeof out), 0);
	search_remove(ix, "/astana.gmi");
	assert_int_equal(search_docs(ix), 3);
	assert_int_equal(run(ix, "astana", out, sizeof out), 2);
	assert_string_equal(out, "/noise.gmi /priorities.gmi");
	/* Many replacements compact: memory does not grow without bound. */
	for (i = 0; i < 2000; i++) {
		snprintf(path, sizeof path, "/p%zu.gmi", i % 10);
		assert_int_equal(search_put(ix, path, t, strlen(t)), 0);
	}
	assert_int_equal(search_docs(ix), 13);
	assert_int_equal(run(ix, "fresh", out, sizeof out), 11);
	assert_true(search_memory(ix) < before + 64 * 1024);
	search_free(ix);
}

/* A page of many distinct words, each twice: one posting per word. */
static void
test_many_words(void **state)
{
	struct search_index	*ix = search_new();
	struct search_query	 sq;
	struct search_hit	 hits[SEARCH_PAGE];
	const char		*errstr;
	char			 page[20000], q[16];
	size_t			 len = 0, total, i;
	int			 exact, round;

	(void)state;
	for (round = 0; round < 2; round++)
		for (i = 0; i < 1000; i++)
			len += snprintf(page + len, sizeof page - len, "%sw%zu ",
			    i % 15 == 0 ? "\n" : "", i);
	assert_int_equal(search_put(ix, "/many.gmi", page, len), 0);
	for (i = 0; i < 1000; i += 7) {
		snprintf(q, sizeof q, "w%zu", i);
		assert_int_equal(search_parse(q, strlen(q), &sq, &errstr), 0);
		assert_int_equal(search_run(ix, &sq, 0, hits, SEARCH_PAGE, &total,
		    &exact, NULL, NULL), 1);
		assert_int_equal(total, 1);
	}
	search_free(ix);
}

static void
test_excerpt(void **state)
{
	struct search_query	 sq;
	struct buf		 b;
	const char		*errstr, *t = pages[1][1];
	char			 long_page[2048];
	size_t			 i;

	(void)state;
	assert_int_equal(search_parse("astana", 6, &sq, &errstr), 0);
	buf_init(&b);
	search_excerpt(t, strlen(t), &sq, &b);
	buf_addc(&b, '\0');
	assert_string_equal(b.data, "The summit in Astana agreed on them.");
	buf_free(&b);
	/* A long line is cut around the match, on character boundaries. */
	strcpy(long_page, "# T\n\n");
	for (i = 0; i < 100; i++)
		strcat(long_page, "әліп ");
	strcat(long_page, "Astana ");
	for (i = 0; i < 60; i++)
		strcat(long_page, "бет ");
	strcat(long_page, "\n");
	buf_init(&b);
	search_excerpt(long_page, strlen(long_page), &sq, &b);
	buf_addc(&b, '\0');
	assert_non_null(strstr(b.data, "Astana"));
	assert_true(strncmp(b.data, "…", strlen("…")) == 0);
	assert_true(b.len < 260);
	buf_free(&b);
}

/* The excerpt of text for query is want. */
static void
assert_excerpt(const char *text, const char *query, const char *want)
{
	struct search_query	 sq;
	struct buf		 b;
	const char		*errstr;

	assert_int_equal(search_parse(query, strlen(query), &sq, &errstr), 0);
	buf_init(&b);
	search_excerpt(text, strlen(text), &sq, &b);
	buf_addc(&b, '\0');
	assert_string_equal(b.data, want);
	buf_free(&b);
}

static void
test_excerpt_most_words(void **state)
{
	const char	*t = "# Glossary\n\n## SCO\n\nThe SCO was founded in 2001.\n\n"
	    "## Astana\n\nIn Kazakh: Астана.\n\n"
	    "Astana proposed the SCO Development Bank.\n\nAstana and the SCO.\n";

	(void)state;
	/* The line with the most query words, not the first with one. */
	assert_excerpt(t, "Astana SCO", "Astana proposed the SCO Development Bank.");
	assert_excerpt(t, "bank astana", "Astana proposed the SCO Development Bank.");
	/* One word: still its first line, a heading included. */
	assert_excerpt(t, "sco", "SCO");
}

/* Every hit of q, "path score" lines joined, for comparing two indexes. */
static void
ranked(struct search_index *ix, const char *q, char *out, size_t outsz)
{
	struct search_query	 sq;
	struct search_hit	 hits[SEARCH_PAGE];
	const char		*errstr;
	size_t			 n, total, i, o = 0;
	int			 exact;

	assert_int_equal(search_parse(q, strlen(q), &sq, &errstr), 0);
	n = search_run(ix, &sq, 0, hits, SEARCH_PAGE, &total, &exact, text_of,
	    NULL);
	out[0] = '\0';
	for (i = 0; i < n && o < outsz; i++)
		o += snprintf(out + o, outsz - o, "%s %s %.9f\n", hits[i].path,
		    hits[i].title, hits[i].score);
}

static const char *compare_queries[] = {
	"astana", "summit", "transport", "stability", "қазақстан", "café",
	"fresh", "astana summit", "\"trade and transport\"", "words", "nowhere",
};

/* The same queries give the same pages, titles and scores in a and b. */
static void
assert_same_results(struct search_index *a, struct search_index *b)
{
	char	x[4096], y[4096];
	size_t	i;

	for (i = 0; i < sizeof compare_queries / sizeof compare_queries[0]; i++) {
		ranked(a, compare_queries[i], x, sizeof x);
		ranked(b, compare_queries[i], y, sizeof y);
		assert_string_equal(x, y);
	}
}

/*
 * Live changes over a base: a word in both the base and the delta, a base
 * page removed and one replaced; after the rebuild the results are those
 * of an index built from scratch with the same pages in the same order.
 */
static void
test_base_and_delta(void **state)
{
	struct search_index	*ix = index_all(), *fresh, *delta;
	const char		*t = "# Fresh\n\nNow about Astana too.\n";
	char			 out[256];
	size_t			 i;

	(void)state;
	search_trim(ix);		/* all four pages in the base */
	assert_int_equal(run(ix, "astana", out, sizeof out), 2);
	assert_int_equal(search_put(ix, "/fresh.gmi", t, strlen(t)), 0);
	/* "astana": two postings in the base, one in the delta. */
	assert_int_equal(run(ix, "astana", out, sizeof out), 3);
	assert_int_equal(run(ix, "fresh", out, sizeof out), 1);
	assert_string_equal(out, "/fresh.gmi");
	search_remove(ix, "/astana.gmi");	/* a base page */
	assert_int_equal(run(ix, "astana", out, sizeof out), 2);
	assert_string_equal(out, "/fresh.gmi /priorities.gmi");
	assert_int_equal(run(ix, "summit", out, sizeof out), 1);
	assert_int_equal(search_put(ix, "/noise.gmi", pages[3][1],
	    strlen(pages[3][1])), 0);	/* replaced: now in the delta */
	assert_int_equal(run(ix, "capitals", out, sizeof out), 1);
	assert_int_equal(search_docs(ix), 4);
	search_trim(ix);
	assert_int_equal(search_docs(ix), 4);

	/* The same pages, in the same order, in one go. */
	fresh = search_new();
	delta = search_new();
	assert_non_null(fresh);
	assert_non_null(delta);
	for (i = 1; i < 3; i++) {
		assert_int_equal(search_put(fresh, pages[i][0], pages[i][1],
		    strlen(pages[i][1])), 0);
		assert_int_equal(search_put(delta, pages[i][0], pages[i][1],
		    strlen(pages[i][1])), 0);
	}
	assert_int_equal(search_put(fresh, "/fresh.gmi", t, strlen(t)), 0);
	assert_int_equal(search_put(delta, "/fresh.gmi", t, strlen(t)), 0);
	assert_int_equal(search_put(fresh, pages[3][0], pages[3][1],
	    strlen(pages[3][1])), 0);
	assert_int_equal(search_put(delta, pages[3][0], pages[3][1],
	    strlen(pages[3][1])), 0);
	search_trim(fresh);
	assert_same_results(ix, fresh);
	/* An index never rebuilt, all in its delta, ranks alike. */
	assert_same_results(delta, fresh);
	search_free(delta);
	search_free(fresh);
	search_free(ix);
}

/* A base rebuilt with no page left keeps none of their words. */
static void
test_empty_rebuild(void **state)
{
	struct search_index	*ix = index_all();
	const char		*t = "# New\n\nNothing of the old pages.\n";
	char			 out[256];
	size_t			 i, empty;

	(void)state;
	search_trim(ix);
	for (i = 0; i < sizeof pages / sizeof pages[0]; i++)
		search_remove(ix, pages[i][0]);
	search_trim(ix);
	assert_int_equal(search_docs(ix), 0);
	empty = search_memory(ix);
	assert_int_equal(search_put(ix, "/new.gmi", t, strlen(t)), 0);
	assert_int_equal(run(ix, "astana", out, sizeof out), 0);
	assert_int_equal(run(ix, "summit", out, sizeof out), 0);
	assert_int_equal(run(ix, "nothing", out, sizeof out), 1);
	assert_string_equal(out, "/new.gmi");
	search_trim(ix);
	assert_int_equal(run(ix, "astana", out, sizeof out), 0);
	assert_int_equal(run(ix, "old pages", out, sizeof out), 1);
	assert_true(empty < 1024);
	search_free(ix);
}

/* The words of the front-coding test: shared prefixes of every kind. */
static void
coding_words(char words[][SEARCH_WORD_MAX + 1], size_t *n)
{
	static const char *fixed[] = {
		"a", "ab", "abc", "abcd", "abcde", "abcdf", "abd", "b", "ba",
		"z", "zz", "zzz", "0", "00", "007", "9",
		"қазақ", "қазақстан", "қазан", "астана", "астрахань", "әліп",
		"ә", "café", "cafeteria",
	};
	size_t	i, k = 0, j;

	for (i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		snprintf(words[k++], SEARCH_WORD_MAX + 1, "%s", fixed[i]);
	/* Long words: up to SEARCH_WORD_MAX, sharing all but their last bytes. */
	for (j = 0; j < 6; j++) {
		memset(words[k], 'l', SEARCH_WORD_MAX);
		words[k][SEARCH_WORD_MAX - (j % 3)] = '\0';
		if (j >= 3)
			words[k][SEARCH_WORD_MAX - (j % 3) - 1] = 'm';
		k++;
	}
	/* A long Cyrillic word: 32 two-byte letters, the whole limit. */
	for (j = 0; j < 32; j++)
		memcpy(words[k] + 2 * j, "ж", 2);
	words[k++][SEARCH_WORD_MAX] = '\0';
	/* Enough others for many blocks. */
	for (j = 0; j < 100; j++)
		snprintf(words[k++], SEARCH_WORD_MAX + 1, "m%03zuword", j * 7 % 100);
	*n = k;
}

/* One page per word: each word finds its page, and nothing else does. */
static void
assert_coding(struct search_index *ix, char words[][SEARCH_WORD_MAX + 1],
    size_t n)
{
	static const char	*absent[] = {
		"aa", "abcdg", "abce", "c", "zzzz", "000", "қаз", "қазақс",
		"m000wor", "m100word", "llll", "", "ж",
	};
	struct search_query	 sq;
	struct search_hit	 hits[SEARCH_PAGE];
	const char		*errstr;
	char			 path[32];
	size_t			 i, total;
	int			 exact;

	for (i = 0; i < n; i++) {
		assert_int_equal(search_parse(words[i], strlen(words[i]), &sq,
		    &errstr), 0);
		assert_int_equal(sq.nterms, 1);
		assert_int_equal(search_run(ix, &sq, 0, hits, SEARCH_PAGE,
		    &total, &exact, NULL, NULL), 1);
		snprintf(path, sizeof path, "/w%zu.gmi", i);
		assert_string_equal(hits[0].path, path);
	}
	for (i = 0; i < sizeof absent / sizeof absent[0]; i++) {
		assert_int_equal(search_parse(absent[i], strlen(absent[i]), &sq,
		    &errstr), 0);
		assert_int_equal(search_run(ix, &sq, 0, hits, SEARCH_PAGE,
		    &total, &exact, NULL, NULL), 0);
	}
}

static void
test_front_coding(void **state)
{
	static char		 words[256][SEARCH_WORD_MAX + 1];
	struct search_index	*ix = search_new();
	char			 path[32], page[128];
	size_t			 n, i;

	(void)state;
	coding_words(words, &n);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof path, "/w%zu.gmi", i);
		snprintf(page, sizeof page, "%s\n", words[i]);
		assert_int_equal(search_put(ix, path, page, strlen(page)), 0);
	}
	assert_coding(ix, words, n);	/* all in the delta */
	search_trim(ix);
	assert_coding(ix, words, n);	/* all in the base */
	search_free(ix);
}

/* Many pages replaced after the build: rebuilds keep results and memory. */
static void
test_live_rebuilds(void **state)
{
	struct search_index	*ix = search_new();
	char			 path[32], page[256], out[256];
	size_t			 i, settled;

	(void)state;
	for (i = 0; i < 200; i++) {
		snprintf(path, sizeof path, "/p%zu.gmi", i);
		snprintf(page, sizeof page, "# Page %zu\n\nword%zu and w%zu, "
		    "common text.\n", i, i, i % 10);
		assert_int_equal(search_put(ix, path, page, strlen(page)), 0);
	}
	search_trim(ix);
	settled = search_memory(ix);
	for (i = 0; i < 3000; i++) {
		snprintf(path, sizeof path, "/p%zu.gmi", i * 7 % 200);
		snprintf(page, sizeof page, "# Page %zu\n\nword%zu and w%zu, "
		    "common text, edit %zu.\n", i * 7 % 200, i * 7 % 200,
		    i * 7 % 200 % 10, i);
		assert_int_equal(search_put(ix, path, page, strlen(page)), 0);
		if (i % 3 == 0)
			search_remove(ix, "/p3.gmi");
	}
	assert_int_equal(search_docs(ix), 199);
	assert_int_equal(run(ix, "w5", out, sizeof out), SEARCH_PAGE);
	assert_int_equal(run(ix, "word17", out, sizeof out), 1);
	assert_string_equal(out, "/p17.gmi");
	assert_int_equal(run(ix, "word3", out, sizeof out), 0);
	assert_int_equal(run(ix, "edit 2999", out, sizeof out), 1);
	assert_int_equal(run(ix, "edit 2998", out, sizeof out), 1);
	/* Bounded: the delta and the dead are rebuilt away as they grow. */
	assert_true(search_memory(ix) < settled + 32 * 1024);
	search_free(ix);
}

struct corpus {
	char	*text[64];
	char	 path[64][256];
	size_t	 len[64];
	size_t	 n;
	size_t	 bytes;
};

static struct corpus	*the_corpus;

static int
corpus_add(const char *fpath, const struct stat *st, int flag,
    struct FTW *ftw)
{
	struct corpus	*c = the_corpus;
	size_t		 l = strlen(fpath);
	FILE		*f;

	(void)ftw;
	if (flag != FTW_F || c->n == 64 || (l < 4 ||
	    (strcmp(fpath + l - 4, ".gmi") != 0 &&
	    strcmp(fpath + l - 4, ".txt") != 0)))
		return 0;
	assert_non_null(c->text[c->n] = malloc(st->st_size + 1));
	assert_non_null(f = fopen(fpath, "r"));
	c->len[c->n] = fread(c->text[c->n], 1, st->st_size, f);
	fclose(f);
	snprintf(c->path[c->n], sizeof c->path[c->n], "%s", fpath + 7);
	c->bytes += c->len[c->n++];
	return 0;
}

/*
 * The capsule's index: at most half its text, and search_memory tells the
 * heap's truth when the heap can be read: malloc's own headers and
 * the chunks its per-thread cache holds aside.
 */
static void
test_memory(void **state)
{
	static struct corpus	 c;
	struct search_index	*ix;
	struct mallinfo2	 before, after;
	size_t			 i, heap, mem;

	(void)state;
	the_corpus = &c;
	if (nftw("capsule", corpus_add, 8, FTW_PHYS) == -1 || c.n == 0)
		skip();
	/* A first build warms up what the libraries keep (folding tables). */
	assert_non_null(ix = search_new());
	for (i = 0; i < c.n; i++)
		assert_int_equal(search_put(ix, c.path[i], c.text[i], c.len[i]), 0);
	search_free(ix);
	before = mallinfo2();
	assert_non_null(ix = search_new());
	for (i = 0; i < c.n; i++)
		assert_int_equal(search_put(ix, c.path[i], c.text[i], c.len[i]), 0);
	search_trim(ix);
	after = mallinfo2();
	mem = search_memory(ix);
	heap = after.uordblks + after.hblkhd - before.uordblks - before.hblkhd;
	print_message("capsule: %zu pages, %zu bytes of text, index %zu bytes "
	    "(%.2fx), heap %zu bytes\n", c.n, c.bytes, mem,
	    (double)mem / c.bytes, heap);
	assert_true(mem * 2 <= c.bytes);
	if (after.uordblks != before.uordblks)	/* not under a sanitizer */
		assert_true(heap >= mem && heap <= mem + mem / 8 + 2048);
	search_free(ix);
	for (i = 0; i < c.n; i++)
		free(c.text[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_and_and_rank),
		cmocka_unit_test(test_phrases),
		cmocka_unit_test(test_phrase_lines),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_update_and_remove),
		cmocka_unit_test(test_many_words),
		cmocka_unit_test(test_excerpt),
		cmocka_unit_test(test_excerpt_most_words),
		cmocka_unit_test(test_base_and_delta),
		cmocka_unit_test(test_front_coding),
		cmocka_unit_test(test_empty_rebuild),
		cmocka_unit_test(test_live_rebuilds),
		cmocka_unit_test(test_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
