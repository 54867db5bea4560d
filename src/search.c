/*
 * The search index: for every folded word, a posting list of the pages
 * holding it (delta-coded page numbers, then its count in the body and
 * in the headings, as varints), ranked with BM25 over two fields: the
 * heading field counts HEAD_BOOST times and is not normalised by length,
 * so a page with a heading about a thing ranks above a page that only
 * mentions it, however many other headings the page has. Phrases are
 * checked against the page's text, which the caller hands back on demand,
 * so the index keeps no positions. A replaced or removed page leaves its
 * postings behind until compaction, which runs once dead pages outnumber
 * live ones.
 */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include "gemtext.h"
#include "search.h"
#include "url.h"

#define HEAD_BOOST	2.0
#define BM25_K1		1.2
#define BM25_B		0.75
#define VERIFY_MAX	1000	/* candidates checked for phrases */
#define EXCERPT_MAX	200
#define DOC_NONE	UINT32_MAX

struct posting {
	uint32_t	doc;
	uint32_t	tf;		/* in the body */
	uint32_t	th;		/* in headings */
};

struct term {
	struct term	*next;		/* hash chain */
	uint8_t		*post;		/* varints: doc delta, body count << 1 | has
					   heading count, [heading count] */
	size_t		 len;
	size_t		 cap;
	uint32_t	 last;		/* last doc added, for the delta */
	uint32_t	 df;		/* postings, dead pages included */
	char		 word[];
};

struct doc {
	char		*path;		/* NULL once removed */
	char		*title;
	uint32_t	 len;		/* words in the body */
	uint32_t	 pnext;		/* path hash chain */
};

struct search_index {
	struct term	**terms;
	size_t		 tmask;
	size_t		 nterms;
	struct doc	*docs;
	uint32_t	 ndocs;
	size_t		 dcap;
	uint32_t	*paths;		/* path hash heads */
	size_t		 pmask;
	uint32_t	 live;
	uint64_t	 totlen;
	size_t		 bytes;
	size_t		 want;		/* the allocation that failed last */
};

/* One word found in a text: where it is, and its folded form. */
struct word {
	const char	*at;
	size_t		 len;
	char		 folded[SEARCH_WORD_MAX + 1];
};

static uint32_t
hash_str(const char *s)
{
	uint32_t	h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static int
word_char(ucs4_t c)
{
	if (c < 0x80)
		return isalnum((int)c);
	return uc_is_general_category(c, UC_CATEGORY_L) ||
	    uc_is_general_category(c, UC_CATEGORY_N) ||
	    uc_is_general_category(c, UC_CATEGORY_M);
}

int
search_fold(const char *s, size_t len, char *out, size_t outsz)
{
	uint8_t		 tmp[4 * SEARCH_WORD_MAX + 64], *f;
	size_t		 flen = sizeof tmp, i = 0, o = 0;
	ucs4_t		 c;
	int		 n;

	/* ASCII letters and digits fold to themselves, lower-cased. */
	for (i = 0; i < len && (unsigned char)s[i] < 0x80; i++)
		;
	if (i == len) {
		for (i = 0; i < len && o + 1 < outsz; i++)
			if (isalnum((unsigned char)s[i]))
				out[o++] = tolower((unsigned char)s[i]);
		out[o] = '\0';
		return o > 0 ? 0 : -1;
	}
	i = 0;
	f = u8_casefold((const uint8_t *)s, len, NULL, UNINORM_NFKD, tmp, &flen);
	if (f == NULL)
		return -1;
	while (i < flen) {
		if ((n = u8_mbtouc(&c, f + i, flen - i)) <= 0)
			break;
		/* Accents go: é is e, and decomposed letters lose their marks. */
		if (!uc_is_general_category(c, UC_CATEGORY_M) &&
		    (uc_is_general_category(c, UC_CATEGORY_L) ||
		    uc_is_general_category(c, UC_CATEGORY_N))) {
			if (o + n >= outsz)
				break;
			memcpy(out + o, f + i, n);
			o += n;
		}
		i += n;
	}
	if (f != tmp)
		free(f);
	out[o] = '\0';
	return o > 0 ? 0 : -1;
}

/* The character at s[i] and its length; ASCII without a call. */
static int
char_at(const char *s, size_t len, size_t i, ucs4_t *c)
{
	if ((unsigned char)s[i] < 0x80) {
		*c = (unsigned char)s[i];
		return 1;
	}
	return u8_mbtouc(c, (const uint8_t *)s + i, len - i);
}

/* The next word in s from *pos; 0 at the end. */
static int
next_word(const char *s, size_t len, size_t *pos, struct word *w)
{
	size_t	i = *pos, start;
	ucs4_t	c;
	int	n;

	for (;;) {
		while (i < len) {
			n = char_at(s, len, i, &c);
			if (word_char(c) && c != 0xfffd)
				break;
			i += n > 0 ? n : 1;
		}
		if (i >= len) {
			*pos = i;
			return 0;
		}
		start = i;
		while (i < len) {
			n = char_at(s, len, i, &c);
			if (!word_char(c) || c == 0xfffd)
				break;
			i += n > 0 ? n : 1;
		}
		w->at = s + start;
		w->len = i - start;
		if (search_fold(w->at, w->len, w->folded, sizeof w->folded) == 0) {
			*pos = i;
			return 1;
		}
	}
}

/* An allocation of the index (zeroed when p is NULL); a failure keeps its size. */
static void *
ix_alloc(struct search_index *ix, void *p, size_t n)
{
	void	*q = realloc(p, n);

	if (q == NULL)
		ix->want = n;
	else if (p == NULL)
		memset(q, 0, n);
	return q;
}

size_t
search_wanted(const struct search_index *ix)
{
	return ix->want;
}

/* ---------------------------------------------------------------- postings */

static int
put_varint(struct search_index *ix, struct term *t, uint32_t v)
{
	uint8_t	*p;

	if (t->cap - t->len < 5) {
		size_t cap = t->cap ? t->cap * 2 : 8;

		if ((p = ix_alloc(ix, t->post, cap)) == NULL)
			return -1;
		ix->bytes += cap - t->cap;
		t->post = p;
		t->cap = cap;
	}
	while (v >= 0x80) {
		t->post[t->len++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	t->post[t->len++] = (uint8_t)v;
	return 0;
}

static size_t
get_varint(const uint8_t *p, size_t len, size_t i, uint32_t *v)
{
	uint32_t	x = 0;
	int		shift = 0;

	while (i < len && shift < 35) {
		x |= (uint32_t)(p[i] & 0x7f) << shift;
		if ((p[i++] & 0x80) == 0)
			break;
		shift += 7;
	}
	*v = x;
	return i;
}

static int
term_add(struct search_index *ix, struct term *t, uint32_t doc, uint32_t tf,
    uint32_t th)
{
	uint32_t	delta = t->df == 0 ? doc : doc - t->last;

	/* Most postings have no heading count: a flag bit says if one follows. */
	if (put_varint(ix, t, delta) == -1 ||
	    put_varint(ix, t, tf << 1 | (th > 0)) == -1 ||
	    (th > 0 && put_varint(ix, t, th) == -1))
		return -1;
	t->last = doc;
	t->df++;
	return 0;
}

/* Decodes a posting list; the caller frees. */
static struct posting *
term_postings(const struct term *t, size_t *n)
{
	struct posting	*v;
	uint32_t	 doc = 0, d, tf, th;
	size_t		 i = 0, k = 0;

	if ((v = calloc(t->df ? t->df : 1, sizeof *v)) == NULL)
		return NULL;
	while (i < t->len && k < t->df) {
		i = get_varint(t->post, t->len, i, &d);
		i = get_varint(t->post, t->len, i, &tf);
		th = 0;
		if (tf & 1)
			i = get_varint(t->post, t->len, i, &th);
		tf >>= 1;
		doc = k == 0 ? d : doc + d;
		v[k].doc = doc;
		v[k].tf = tf;
		v[k++].th = th;
	}
	*n = k;
	return v;
}

static int
terms_grow(struct search_index *ix)
{
	struct term	**tab, *t, *next;
	size_t		  size = (ix->tmask + 1) * 2, i;

	if ((tab = ix_alloc(ix, NULL, size * sizeof *tab)) == NULL)
		return -1;
	for (i = 0; i <= ix->tmask; i++)
		for (t = ix->terms[i]; t != NULL; t = next) {
			next = t->next;
			t->next = tab[hash_str(t->word) & (size - 1)];
			tab[hash_str(t->word) & (size - 1)] = t;
		}
	ix->bytes += (size - ix->tmask - 1) * sizeof *tab;
	free(ix->terms);
	ix->terms = tab;
	ix->tmask = size - 1;
	return 0;
}

static struct term *
term_find(const struct search_index *ix, const char *word)
{
	struct term	*t;

	for (t = ix->terms[hash_str(word) & ix->tmask]; t != NULL; t = t->next)
		if (strcmp(t->word, word) == 0)
			return t;
	return NULL;
}

static struct term *
term_get(struct search_index *ix, const char *word)
{
	struct term	*t, **slot;
	size_t		 wl;

	if ((t = term_find(ix, word)) != NULL)
		return t;
	if (ix->nterms >= ix->tmask && terms_grow(ix) == -1)
		return NULL;
	wl = strlen(word);
	if ((t = ix_alloc(ix, NULL, sizeof *t + wl + 1)) == NULL)
		return NULL;
	memcpy(t->word, word, wl + 1);
	slot = &ix->terms[hash_str(word) & ix->tmask];
	t->next = *slot;
	*slot = t;
	ix->nterms++;
	ix->bytes += sizeof *t + wl + 1;
	return t;
}

/* ------------------------------------------------------------------- pages */

struct search_index *
search_new(void)
{
	struct search_index	*ix;

	if ((ix = calloc(1, sizeof *ix)) == NULL)
		return NULL;
	ix->tmask = 1023;
	ix->pmask = 255;
	ix->terms = calloc(ix->tmask + 1, sizeof *ix->terms);
	ix->paths = malloc((ix->pmask + 1) * sizeof *ix->paths);
	if (ix->terms == NULL || ix->paths == NULL) {
		search_free(ix);
		return NULL;
	}
	memset(ix->paths, 0xff, (ix->pmask + 1) * sizeof *ix->paths);
	ix->bytes = sizeof *ix + (ix->tmask + 1) * sizeof *ix->terms +
	    (ix->pmask + 1) * sizeof *ix->paths;
	return ix;
}

void
search_free(struct search_index *ix)
{
	struct term	*t, *next;
	size_t		 i;

	if (ix == NULL)
		return;
	for (i = 0; ix->terms != NULL && i <= ix->tmask; i++)
		for (t = ix->terms[i]; t != NULL; t = next) {
			next = t->next;
			free(t->post);
			free(t);
		}
	for (i = 0; i < ix->ndocs; i++) {
		free(ix->docs[i].path);
		free(ix->docs[i].title);
	}
	free(ix->terms);
	free(ix->docs);
	free(ix->paths);
	free(ix);
}

static uint32_t
doc_find(const struct search_index *ix, const char *path)
{
	uint32_t	d;

	for (d = ix->paths[hash_str(path) & ix->pmask]; d != DOC_NONE;
	    d = ix->docs[d].pnext)
		if (ix->docs[d].path != NULL && strcmp(ix->docs[d].path, path) == 0)
			return d;
	return DOC_NONE;
}

/* Rebuilds the path chains, e.g. after the table grew or pages moved. */
static void
paths_rehash(struct search_index *ix)
{
	uint32_t	d, *slot;

	memset(ix->paths, 0xff, (ix->pmask + 1) * sizeof *ix->paths);
	for (d = 0; d < ix->ndocs; d++) {
		if (ix->docs[d].path == NULL)
			continue;
		slot = &ix->paths[hash_str(ix->docs[d].path) & ix->pmask];
		ix->docs[d].pnext = *slot;
		*slot = d;
	}
}

/*
 * Drops dead pages: renumbers the live ones in order (so posting lists
 * stay sorted) and rewrites every list without the dead.
 */
static int
compact(struct search_index *ix)
{
	uint32_t	*map, d, n = 0;
	struct term	*t, **pt;
	struct posting	*v;
	size_t		 i, k, cnt;

	if ((map = malloc((ix->ndocs ? ix->ndocs : 1) * sizeof *map)) == NULL)
		return -1;
	for (d = 0; d < ix->ndocs; d++) {
		map[d] = ix->docs[d].path != NULL ? n : DOC_NONE;
		if (ix->docs[d].path != NULL)
			ix->docs[n++] = ix->docs[d];
		else
			free(ix->docs[d].title);
	}
	for (i = 0; i <= ix->tmask; i++) {
		for (pt = &ix->terms[i]; (t = *pt) != NULL;) {
			if ((v = term_postings(t, &cnt)) == NULL) {
				free(map);
				return -1;
			}
			t->len = 0;
			t->df = 0;
			for (k = 0; k < cnt; k++)
				if (v[k].doc < ix->ndocs && map[v[k].doc] != DOC_NONE)
					(void)term_add(ix, t, map[v[k].doc],
					    v[k].tf, v[k].th);
			free(v);
			if (t->df == 0) {
				*pt = t->next;
				ix->bytes -= sizeof *t + strlen(t->word) + 1 + t->cap;
				free(t->post);
				free(t);
				ix->nterms--;
			} else
				pt = &t->next;
		}
	}
	ix->ndocs = n;
	free(map);
	paths_rehash(ix);
	return 0;
}

void
search_remove(struct search_index *ix, const char *path)
{
	uint32_t	d = doc_find(ix, path), *link;

	if (d == DOC_NONE)
		return;
	for (link = &ix->paths[hash_str(path) & ix->pmask]; *link != d;
	    link = &ix->docs[*link].pnext)
		;
	*link = ix->docs[d].pnext;
	ix->bytes -= strlen(ix->docs[d].path) + 1;
	free(ix->docs[d].path);
	ix->docs[d].path = NULL;
	ix->live--;
	ix->totlen -= ix->docs[d].len;
	if (ix->ndocs - ix->live > 64 && ix->ndocs - ix->live > ix->live)
		(void)compact(ix);
}

/* The words of one page and their counts, before they join the posting lists. */
struct tally {
	struct term	**term;
	struct posting	 *count;	/* doc unused */
	size_t		  n;
	size_t		  cap;
	uint32_t	 *slot;		/* open addressing: index + 1, 0 empty */
	size_t		  mask;
};

static size_t
tally_hash(const struct term *t, size_t mask)
{
	return ((uintptr_t)t >> 4) * 2654435761u & mask;
}

static int
tally_grow(struct search_index *ix, struct tally *ta)
{
	size_t		 cap = ta->cap ? ta->cap * 2 : 64, i, h;
	struct term	**nt;
	struct posting	 *nc;
	uint32_t	 *ns;

	if ((nt = ix_alloc(ix, ta->term, cap * sizeof *nt)) == NULL)
		return -1;
	ta->term = nt;
	if ((nc = ix_alloc(ix, ta->count, cap * sizeof *nc)) == NULL)
		return -1;
	ta->count = nc;
	if ((ns = ix_alloc(ix, NULL, 2 * cap * sizeof *ns)) == NULL)
		return -1;
	free(ta->slot);
	ta->slot = ns;
	ta->mask = 2 * cap - 1;
	ta->cap = cap;
	for (i = 0; i < ta->n; i++) {
		for (h = tally_hash(ta->term[i], ta->mask); ns[h] != 0;
		    h = (h + 1) & ta->mask)
			;
		ns[h] = i + 1;
	}
	return 0;
}

static int
tally_add(struct search_index *ix, struct tally *ta, const char *word, int head)
{
	struct term	*t;
	size_t		 h;
	uint32_t	 i;

	if ((t = term_get(ix, word)) == NULL)
		return -1;
	if (ta->n == ta->cap && tally_grow(ix, ta) == -1)
		return -1;
	for (h = tally_hash(t, ta->mask); (i = ta->slot[h]) != 0;
	    h = (h + 1) & ta->mask)
		if (ta->term[i - 1] == t)
			break;
	if (i == 0) {
		i = ++ta->n;
		ta->slot[h] = i;
		ta->term[i - 1] = t;
		memset(&ta->count[i - 1], 0, sizeof ta->count[i - 1]);
	}
	if (head)
		ta->count[i - 1].th++;
	else
		ta->count[i - 1].tf++;
	return 0;
}

static int
doc_new(struct search_index *ix, const char *path, const char *title,
    size_t titlelen)
{
	struct doc	*d;

	if (ix->ndocs == ix->dcap) {
		size_t cap = ix->dcap ? ix->dcap * 2 : 64;

		if ((d = ix_alloc(ix, ix->docs, cap * sizeof *d)) == NULL)
			return -1;
		ix->bytes += (cap - ix->dcap) * sizeof *d;
		ix->docs = d;
		ix->dcap = cap;
	}
	if (ix->ndocs >= ix->pmask) {
		uint32_t *p = ix_alloc(ix, ix->paths, (ix->pmask + 1) * 2 * sizeof *p);

		if (p == NULL)
			return -1;
		ix->bytes += (ix->pmask + 1) * sizeof *p;
		ix->paths = p;
		ix->pmask = ix->pmask * 2 + 1;
		paths_rehash(ix);
	}
	d = &ix->docs[ix->ndocs];
	memset(d, 0, sizeof *d);
	d->path = ix_alloc(ix, NULL, strlen(path) + 1);
	d->title = ix_alloc(ix, NULL, titlelen + 1);
	if (d->path != NULL)
		memcpy(d->path, path, strlen(path) + 1);
	if (d->title != NULL)
		memcpy(d->title, title, titlelen);
	if (d->path == NULL || d->title == NULL) {
		free(d->path);
		free(d->title);
		return -1;
	}
	ix->bytes += strlen(path) + titlelen + 2;
	d->pnext = ix->paths[hash_str(path) & ix->pmask];
	ix->paths[hash_str(path) & ix->pmask] = ix->ndocs;
	return 0;
}

int
search_put(struct search_index *ix, const char *path, const char *text,
    size_t len)
{
	struct gmi_parser	 p;
	struct gmi_line		 l;
	struct tally		 ta = { NULL, NULL, 0, 0, NULL, 0 };
	struct word		 w;
	const char		*title = path;
	size_t			 titlelen = strlen(path), pos, i;
	uint32_t		 total = 0;
	int			 head, r = -1, titled = 0;

	search_remove(ix, path);
	gemtext_init(&p, text, len);
	while (gemtext_next(&p, &l)) {
		if (l.type == GMI_PRE_START || l.type == GMI_PRE_END)
			continue;
		head = l.type >= GMI_HEADING1 && l.type <= GMI_HEADING3;
		if (head && !titled && l.textlen > 0) {
			title = l.text;
			titlelen = l.textlen;
			titled = 1;
		}
		for (pos = 0; next_word(l.text, l.textlen, &pos, &w);) {
			if (tally_add(ix, &ta, w.folded, head) == -1)
				goto out;
			total += !head;
		}
	}
	if (doc_new(ix, path, title, titlelen) == -1)
		goto out;
	ix->docs[ix->ndocs].len = total;
	ix->ndocs++;
	ix->live++;
	ix->totlen += total;
	for (i = 0; i < ta.n; i++)
		if (term_add(ix, ta.term[i], ix->ndocs - 1, ta.count[i].tf,
		    ta.count[i].th) == -1) {
			search_remove(ix, path);	/* no half-indexed page */
			goto out;
		}
	r = 0;
out:
	free(ta.term);
	free(ta.count);
	free(ta.slot);
	return r;
}

void
search_trim(struct search_index *ix)
{
	struct term	*t;
	uint8_t		*p;
	size_t		 i;

	for (i = 0; i <= ix->tmask; i++)
		for (t = ix->terms[i]; t != NULL; t = t->next)
			if (t->cap > t->len && t->len > 0 &&
			    (p = realloc(t->post, t->len)) != NULL) {
				ix->bytes -= t->cap - t->len;
				t->post = p;
				t->cap = t->len;
			}
}

size_t
search_docs(const struct search_index *ix)
{
	return ix->live;
}

size_t
search_memory(const struct search_index *ix)
{
	return ix->bytes;
}

/* ------------------------------------------------------------------ queries */

int
search_parse(const char *q, size_t len, struct search_query *sq,
    const char **errstr)
{
	struct word	 w;
	size_t		 i = 0, end, pos;
	int		 quoted, first;

	memset(sq, 0, sizeof *sq);
	if (len > SEARCH_QUERY_MAX) {
		*errstr = "query too long";
		return -1;
	}
	if (!utf8_valid(q, len)) {
		*errstr = "query is not valid UTF-8";
		return -1;
	}
	while (i < len) {
		quoted = q[i] == '"';
		if (quoted) {
			i++;
			for (end = i; end < len && q[end] != '"'; end++)
				;
		} else
			for (end = i; end < len && q[end] != '"'; end++)
				;
		first = sq->nterms;
		for (pos = 0; next_word(q + i, end - i, &pos, &w) &&
		    sq->nterms < SEARCH_TERMS_MAX;) {
			memcpy(sq->term[sq->nterms].word, w.folded,
			    strlen(w.folded) + 1);
			sq->term[sq->nterms++].phrase = quoted ? sq->nphrases + 1 : 0;
		}
		/* A quoted stretch without words ("", "!!!") is no phrase. */
		if (quoted && sq->nterms > first)
			sq->nphrases++;
		i = end + (end < len);		/* past the closing quote */
	}
	return 0;
}

/* The last words seen, to find phrases as the text goes by. */
struct window {
	char	word[SEARCH_TERMS_MAX][SEARCH_WORD_MAX + 1];
	size_t	n;		/* words seen in all */
};

/* Where each phrase's words stand in the query. */
struct phrase {
	int	first;
	int	k;
};

static int
phrase_at_end(const struct window *win, const struct search_query *sq,
    const struct phrase *ph)
{
	int	i;

	if (win->n < (size_t)ph->k)
		return 0;
	for (i = 0; i < ph->k; i++) {
		size_t slot = (win->n - ph->k + i) % SEARCH_TERMS_MAX;

		if (strcmp(win->word[slot], sq->term[ph->first + i].word) != 0)
			return 0;
	}
	return 1;
}

/* 1 if every phrase of the query stands in the page's text, in order. */
static int
phrases_match(const char *text, size_t len, const struct search_query *sq)
{
	struct phrase		 ph[SEARCH_TERMS_MAX];
	struct gmi_parser	 p;
	struct gmi_line		 l;
	struct window		 win;
	struct word		 w;
	unsigned		 found = 0, all = (1u << sq->nphrases) - 1;
	size_t			 pos, wl;
	int			 i, last;

	memset(ph, 0, sizeof ph);
	for (i = sq->nterms; i-- > 0;)
		if (sq->term[i].phrase > 0) {
			ph[sq->term[i].phrase - 1].first = i;
			ph[sq->term[i].phrase - 1].k++;
		}
	win.n = 0;
	gemtext_init(&p, text, len);
	while (gemtext_next(&p, &l) && found != all) {
		for (pos = 0; next_word(l.text, l.textlen, &pos, &w);) {
			wl = strlen(w.folded);
			memcpy(win.word[win.n % SEARCH_TERMS_MAX], w.folded, wl + 1);
			win.n++;
			/* Only a phrase's last word can complete it. */
			for (i = 0; i < sq->nphrases; i++) {
				last = ph[i].first + ph[i].k - 1;
				if (strcmp(w.folded, sq->term[last].word) == 0 &&
				    phrase_at_end(&win, sq, &ph[i]))
					found |= 1u << i;
			}
		}
	}
	return found == all;
}

struct cand {
	uint32_t	doc;
	double		score;
};

static int
cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	return x->doc < y->doc ? -1 : x->doc > y->doc;
}

static double
idf(const struct search_index *ix, const struct term *t)
{
	double	n = ix->live, df = t->df < ix->live ? t->df : ix->live;

	return log(1 + (n - df + 0.5) / (df + 0.5));
}

/* BM25 of one posting: the body normalised by length, headings not. */
static double
bm25(const struct search_index *ix, double w, const struct posting *p)
{
	double	avg = ix->live ? (double)ix->totlen / ix->live : 1;
	double	dl = ix->docs[p->doc].len, body, head;

	body = p->tf * (BM25_K1 + 1) /
	    (p->tf + BM25_K1 * (1 - BM25_B + BM25_B * dl / (avg > 0 ? avg : 1)));
	head = p->th * (BM25_K1 + 1) / (p->th + BM25_K1);
	return w * (body + HEAD_BOOST * head);
}

/* Keeps the candidates that hold term t too, adding its score. */
static size_t
intersect(const struct search_index *ix, struct cand *c, size_t n,
    const struct term *t)
{
	struct posting	*v;
	double		 w = idf(ix, t);
	size_t		 cnt, i = 0, j = 0, k = 0;

	if ((v = term_postings(t, &cnt)) == NULL)
		return 0;
	while (i < n && j < cnt) {
		if (c[i].doc < v[j].doc)
			i++;
		else if (c[i].doc > v[j].doc)
			j++;
		else {
			c[k].doc = c[i].doc;
			c[k++].score = c[i].score + bm25(ix, w, &v[j]);
			i++;
			j++;
		}
	}
	free(v);
	return k;
}

/* Every live page holding all the query's words, scored; NULL if none. */
static struct cand *
candidates(const struct search_index *ix, const struct search_query *sq,
    size_t *n)
{
	const struct term	*t[SEARCH_TERMS_MAX], *rare = NULL;
	struct posting		*v;
	struct cand		*c;
	size_t			 cnt, i, k = 0;
	double			 w;
	int			 nt = 0, j, dup;

	*n = 0;
	for (j = 0; j < sq->nterms; j++) {
		const struct term *x = term_find(ix, sq->term[j].word);
		int m;

		if (x == NULL)
			return NULL;
		for (dup = 0, m = 0; m < nt; m++)
			dup |= t[m] == x;
		if (dup)
			continue;
		t[nt++] = x;
		if (rare == NULL || x->df < rare->df)
			rare = x;
	}
	if (rare == NULL || (v = term_postings(rare, &cnt)) == NULL)
		return NULL;
	if ((c = calloc(cnt ? cnt : 1, sizeof *c)) == NULL) {
		free(v);
		return NULL;
	}
	w = idf(ix, rare);
	for (i = 0; i < cnt; i++)
		if (v[i].doc < ix->ndocs && ix->docs[v[i].doc].path != NULL) {
			c[k].doc = v[i].doc;
			c[k++].score = bm25(ix, w, &v[i]);
		}
	free(v);
	for (j = 0; j < nt && k > 0; j++)
		if (t[j] != rare)
			k = intersect(ix, c, k, t[j]);
	*n = k;
	return c;
}

/* Heap order for the best-k selection: the worst kept candidate on top. */
static int
worse(const struct cand *a, const struct cand *b)
{
	return cand_cmp(a, b) > 0;
}

static void
heap_down(struct cand *h, size_t n, size_t i)
{
	size_t		l, m;
	struct cand	tmp;

	for (;;) {
		m = i;
		l = 2 * i + 1;
		if (l < n && worse(&h[l], &h[m]))
			m = l;
		if (l + 1 < n && worse(&h[l + 1], &h[m]))
			m = l + 1;
		if (m == i)
			return;
		tmp = h[i];
		h[i] = h[m];
		h[m] = tmp;
		i = m;
	}
}

/* Moves the best k of n candidates to the front, in order; returns k. */
static size_t
best(struct cand *c, size_t n, size_t k)
{
	size_t	i;

	if (k >= n || k == 0) {
		qsort(c, n, sizeof *c, cand_cmp);
		return k < n ? k : n;
	}
	for (i = k / 2; i-- > 0;)
		heap_down(c, k, i);
	for (i = k; i < n; i++)
		if (worse(&c[0], &c[i])) {
			c[0] = c[i];
			heap_down(c, k, 0);
		}
	qsort(c, k, sizeof *c, cand_cmp);
	return k;
}

size_t
search_run(struct search_index *ix, const struct search_query *sq,
    size_t offset, struct search_hit *hits, size_t max, size_t *total,
    int *exact, search_text_fn text, void *arg)
{
	struct cand	*c;
	const char	*body;
	size_t		 n, i, k = 0, out = 0, blen, need = offset + max, sorted;

	*total = 0;
	*exact = 1;
	if (sq->nterms == 0 || (c = candidates(ix, sq, &n)) == NULL)
		return 0;
	if (sq->nphrases > 0) {
		/*
		 * Phrases are checked against the text, best first, until the
		 * page asked for and one more are found: the count is then
		 * a lower bound.
		 */
		sorted = best(c, n, 4 * need + 64);
		for (i = 0; i < n && i < VERIFY_MAX && k <= need; i++) {
			if (i == sorted)	/* past the best: order the rest */
				sorted += best(c + i, n - i, n - i);
			if (text != NULL &&
			    text(arg, ix->docs[c[i].doc].path, &body, &blen) == 0 &&
			    phrases_match(body, blen, sq))
				c[k++] = c[i];
		}
		*exact = i == n;
		*total = k;
	} else {
		*total = n;
		k = best(c, n, need);
	}
	for (i = offset; i < k && out < max; i++) {
		hits[out].path = ix->docs[c[i].doc].path;
		hits[out].title = ix->docs[c[i].doc].title;
		hits[out++].score = c[i].score;
	}
	free(c);
	return out;
}

/* --------------------------------------------------------------- excerpts */

/* The query's terms that are this word, as a bit mask of term numbers. */
static unsigned
query_terms(const struct search_query *sq, const char *word)
{
	unsigned	m = 0;
	int		i;

	for (i = 0; i < sq->nterms; i++)
		if (strcmp(sq->term[i].word, word) == 0)
			m |= 1u << i;
	return m;
}

static int
bits(unsigned m)
{
	int	n = 0;

	for (; m != 0; m &= m - 1)
		n++;
	return n;
}

/* Start of the UTF-8 character holding byte i. */
static size_t
char_start(const char *s, size_t i)
{
	while (i > 0 && ((unsigned char)s[i] & 0xc0) == 0x80)
		i--;
	return i;
}

static void
excerpt_line(const char *s, size_t len, size_t hit, struct buf *b)
{
	size_t	from = 0, to = len;

	if (len > EXCERPT_MAX) {
		from = hit > EXCERPT_MAX / 3 ? char_start(s, hit - EXCERPT_MAX / 3) : 0;
		to = from + EXCERPT_MAX < len ? char_start(s, from + EXCERPT_MAX) : len;
	}
	if (from > 0)
		buf_adds(b, "…");
	buf_add(b, s + from, to - from);
	if (to < len)
		buf_adds(b, "…");
}

/*
 * The line with the most of the query's words (the first of equals), so
 * that "Astana SCO" quotes a line naming Astana rather than the page's
 * first mention of the SCO; the page's first text line if none has one.
 */
static int
is_ascii(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

/*
 * Whether an ASCII line can hold a word of an all-ASCII query: a word
 * folds to lower case and nothing else there, so it must appear as it is,
 * in any case. Lines with other bytes may fold into the word: 1.
 */
static int
line_may_match(const struct search_query *sq, const char *s, size_t len)
{
	size_t	i, j, wl;
	int	t;

	if (!is_ascii(s, len))
		return 1;
	for (t = 0; t < sq->nterms; t++) {
		wl = strlen(sq->term[t].word);
		for (i = 0; i + wl <= len; i++) {
			for (j = 0; j < wl && tolower((unsigned char)s[i + j]) ==
			    sq->term[t].word[j]; j++)
				;
			if (j == wl)
				return 1;
		}
	}
	return 0;
}

void
search_excerpt(const char *text, size_t len, const struct search_query *sq,
    struct buf *b)
{
	struct gmi_parser	 p;
	struct gmi_line		 l, first = { 0 }, top = { 0 };
	struct word		 w;
	size_t			 pos, hit = 0, tophit = 0;
	unsigned		 m, t;
	int			 have_first = 0, n, topn = 0, ascii = 1;

	for (n = 0; n < sq->nterms && ascii; n++)
		ascii = is_ascii(sq->term[n].word, strlen(sq->term[n].word));
	/* Equal terms share a word, so a line can match all nterms bits. */
	gemtext_init(&p, text, len);
	while (topn < sq->nterms && gemtext_next(&p, &l)) {
		if (l.type == GMI_PRE_START || l.type == GMI_PRE_END ||
		    l.textlen == 0)
			continue;
		if (!have_first && (l.type == GMI_TEXT || l.type == GMI_LIST ||
		    l.type == GMI_QUOTE)) {
			first = l;
			have_first = 1;
		}
		if (ascii && !line_may_match(sq, l.text, l.textlen))
			continue;
		m = 0;
		for (pos = 0; next_word(l.text, l.textlen, &pos, &w);) {
			t = query_terms(sq, w.folded);
			if (m == 0 && t != 0)
				hit = w.at - l.text;
			m |= t;
		}
		if ((n = bits(m)) > topn) {
			top = l;
			tophit = hit;
			topn = n;
		}
	}
	if (topn > 0)
		excerpt_line(top.text, top.textlen, tophit, b);
	else if (have_first)
		excerpt_line(first.text, first.textlen, 0, b);
}
