/*
 * The search index: for every folded word, a posting list of the pages
 * holding it (delta-coded page numbers, then its count in the body and
 * in the headings, as varints), ranked with BM25 over two fields: the
 * heading field counts HEAD_BOOST times and is not normalised by length,
 * so a page with a heading about a thing ranks above a page that only
 * mentions it, however many other headings the page has. Phrases are
 * checked against the page's text, which the caller hands back on demand,
 * so the index keeps no positions.
 *
 * The index has two parts. The base is immutable and compact: its words
 * sorted and front-coded in blocks of BLOCK (a block's first word whole,
 * each other one as the length of the prefix it shares with the word
 * before, and the rest), each word followed by its posting list, all in
 * one allocation that ends with one offset per block for a binary search.
 * Pages added later go to the delta, a hash of words with growing posting
 * lists. Page numbers only grow, so a word's postings are its base list
 * then its delta list, still in order. A removed or replaced page stays
 * in the lists, dead, until the base is rebuilt from both parts without
 * the dead pages: when the delta or the dead outgrow a share of the base,
 * and after the bulk build (search_trim).
 */
#include <ctype.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include "gemtext.h"
#include "hash.h"
#include "search.h"
#include "url.h"

#define HEAD_BOOST	2.0
#define BM25_K1		1.2
#define BM25_B		0.75
#define VERIFY_MAX	1000	/* candidates checked for phrases */
#define EXCERPT_MAX	200
#define DOC_NONE	UINT32_MAX
#define BLOCK		16	/* words per front-coded block of the base */
#define DELTA_MIN	(16 * 1024)	/* delta bytes allowed over half the base */
/* What malloc takes for n bytes (glibc: a size word, 16-byte steps, 32 at least). */
#define CHUNK(n)	((n) == 0 ? 0 : (size_t)(n) <= 24 ? 32 : \
			    ((size_t)(n) + 8 + 15) & ~(size_t)15)

struct posting {
	uint32_t	doc;
	uint32_t	tf;		/* in the body */
	uint32_t	th;		/* in headings */
};

/* A word of the delta. */
struct term {
	struct term	*next;		/* hash chain */
	uint8_t		*post;		/* varints: doc delta, body count << 1 | has
					   heading count, [heading count] */
	uint32_t	 len;
	uint32_t	 cap;
	uint32_t	 last;		/* last doc added, for the delta */
	uint32_t	 df;		/* postings, dead pages included */
	char		 word[];
};

struct doc {
	uint32_t	 off;		/* path, then title, NUL-terminated in the
					   arena; DOC_NONE once removed */
	uint32_t	 len;		/* words in the body */
	uint32_t	 pnext;		/* path hash chain */
};

struct search_index {
	uint8_t		*seg;		/* the base: entries, then block offsets */
	size_t		 segcap;
	size_t		 elen;		/* bytes of entries */
	const uint32_t	*blocks;
	uint32_t	 nblocks;
	struct term	**terms;	/* the delta; NULL while it is empty */
	size_t		 tmask;
	size_t		 nterms;
	size_t		 dbytes;	/* the delta's share of bytes */
	struct doc	*docs;
	uint32_t	 ndocs;
	size_t		 dcap;
	char		*arena;		/* the pages' paths and titles */
	size_t		 alen;
	size_t		 acap;
	uint32_t	*paths;		/* path hash heads; NULL with no pages */
	size_t		 pmask;
	uint32_t	 live;
	uint64_t	 totlen;
	size_t		 bytes;
	size_t		 want;		/* the allocation that failed last */
	int		 settled;	/* search_trim ran: the bulk build is over */
};

/* One word found in a text: where it is, and its folded form. */
struct word {
	const char	*at;
	size_t		 len;
	char		 folded[SEARCH_WORD_MAX + 1];
	size_t		 flen;
};

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

/* An ASCII letter or digit in lower case; 0 for other ASCII bytes. */
static int
ascii_lower(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return c;
	return c >= 'A' && c <= 'Z' ? c + 'a' - 'A' : 0;
}

/*
 * The next word in s from *pos; 0 at the end. ASCII is split and folded
 * here without a call, as search_fold would: most text is.
 */
static int
next_word(const char *s, size_t len, size_t *pos, struct word *w)
{
	size_t	i = *pos, start, o;
	ucs4_t	c;
	int	n, ascii, lc;

	for (;;) {
		while (i < len) {
			if ((unsigned char)s[i] < 0x80) {
				if (ascii_lower(s[i]))
					break;
				i++;
				continue;
			}
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
		o = 0;
		ascii = 1;
		while (i < len) {
			if ((unsigned char)s[i] < 0x80) {
				if ((lc = ascii_lower(s[i])) == 0)
					break;
				if (o < SEARCH_WORD_MAX)
					w->folded[o++] = (char)lc;
				i++;
				continue;
			}
			ascii = 0;
			n = char_at(s, len, i, &c);
			if (!word_char(c) || c == 0xfffd)
				break;
			i += n > 0 ? n : 1;
		}
		w->at = s + start;
		w->len = i - start;
		w->folded[o] = '\0';
		w->flen = o;
		if (!ascii && search_fold(w->at, w->len, w->folded,
		    sizeof w->folded) == 0)
			w->flen = strlen(w->folded);
		else if (!ascii)
			continue;
		*pos = i;
		return 1;
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

/* Writes v at p in 1 to 5 bytes; returns how many. */
static size_t
varint_put(uint8_t *p, uint32_t v)
{
	size_t	n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

static const uint8_t *
varint_get(const uint8_t *p, const uint8_t *end, uint32_t *v)
{
	uint32_t	x = 0;
	int		shift = 0;

	if (p < end && *p < 0x80) {
		*v = *p;
		return p + 1;
	}
	while (p < end && shift < 35) {
		x |= (uint32_t)(*p & 0x7f) << shift;
		shift += 7;
		if ((*p++ & 0x80) == 0)
			break;
	}
	*v = x;
	return p;
}

static int
term_varint(struct search_index *ix, struct term *t, uint32_t v)
{
	uint8_t		*p;
	uint32_t	 cap;

	if (t->cap - t->len < 5) {
		if (t->cap > UINT32_MAX / 2) {
			ix->want = SIZE_MAX;
			return -1;
		}
		cap = t->cap ? t->cap * 2 : 8;
		if ((p = ix_alloc(ix, t->post, cap)) == NULL)
			return -1;
		/* The delta's many small allocations: malloc's share counts. */
		ix->bytes += CHUNK(cap) - CHUNK(t->cap);
		ix->dbytes += CHUNK(cap) - CHUNK(t->cap);
		t->post = p;
		t->cap = cap;
	}
	t->len += varint_put(t->post + t->len, v);
	return 0;
}

static int
term_add(struct search_index *ix, struct term *t, uint32_t doc, uint32_t tf,
    uint32_t th)
{
	uint32_t	delta = t->df == 0 ? doc : doc - t->last;

	/* Most postings have no heading count: a flag bit says if one follows. */
	if (term_varint(ix, t, delta) == -1 ||
	    term_varint(ix, t, tf << 1 | (th > 0)) == -1 ||
	    (th > 0 && term_varint(ix, t, th) == -1))
		return -1;
	t->last = doc;
	t->df++;
	return 0;
}

/* A word of the index: where its postings are in both parts. */
struct tref {
	const uint8_t		*bp;		/* base list, or NULL */
	size_t			 blen;
	const struct term	*d;		/* delta, or NULL */
	uint32_t		 df;		/* in both */
};

/* A word's postings in order, decoded one at a time: base, then delta. */
struct cursor {
	const uint8_t	*p;
	const uint8_t	*end;
	const uint8_t	*dp;		/* the delta list, next */
	const uint8_t	*dend;
	uint32_t	 doc;
};

static void
cursor_init(struct cursor *c, const struct tref *r)
{
	memset(c, 0, sizeof *c);
	if (r->bp != NULL) {
		c->p = r->bp;
		c->end = r->bp + r->blen;
	}
	if (r->d != NULL && r->d->post != NULL) {
		c->dp = r->d->post;
		c->dend = r->d->post + r->d->len;
	}
}

static int
cursor_next(struct cursor *c, struct posting *v)
{
	uint32_t	d, tf, th = 0;

	while (c->p == c->end) {
		if (c->dp == c->dend)
			return 0;
		/* Each list codes its first page from 0. */
		c->p = c->dp;
		c->end = c->dend;
		c->dp = c->dend = NULL;
		c->doc = 0;
	}
	c->p = varint_get(c->p, c->end, &d);
	c->p = varint_get(c->p, c->end, &tf);
	if (tf & 1)
		c->p = varint_get(c->p, c->end, &th);
	c->doc += d;
	v->doc = c->doc;
	v->tf = tf >> 1;
	v->th = th;
	return 1;
}

/* ------------------------------------------------------------------- delta */

static int
terms_grow(struct search_index *ix)
{
	struct term	**tab, *t, *next;
	size_t		  old = ix->terms != NULL ? ix->tmask + 1 : 0;
	size_t		  size = old ? old * 2 : 64, i, h;

	if ((tab = ix_alloc(ix, NULL, size * sizeof *tab)) == NULL)
		return -1;
	for (i = 0; i < old; i++)
		for (t = ix->terms[i]; t != NULL; t = next) {
			next = t->next;
			h = hash_str(t->word) & (size - 1);
			t->next = tab[h];
			tab[h] = t;
		}
	ix->bytes += (size - old) * sizeof *tab;
	ix->dbytes += (size - old) * sizeof *tab;
	free(ix->terms);
	ix->terms = tab;
	ix->tmask = size - 1;
	return 0;
}

static struct term *
term_find(const struct search_index *ix, const char *word)
{
	struct term	*t;

	if (ix->terms == NULL)
		return NULL;
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
	if ((ix->terms == NULL || ix->nterms >= ix->tmask) &&
	    terms_grow(ix) == -1)
		return NULL;
	wl = strlen(word);
	if ((t = ix_alloc(ix, NULL, sizeof *t + wl + 1)) == NULL)
		return NULL;
	memcpy(t->word, word, wl + 1);
	slot = &ix->terms[hash_str(word) & ix->tmask];
	t->next = *slot;
	*slot = t;
	ix->nterms++;
	ix->bytes += CHUNK(sizeof *t + wl + 1);
	ix->dbytes += CHUNK(sizeof *t + wl + 1);
	return t;
}

static void
delta_free(struct search_index *ix)
{
	struct term	*t, *next;
	size_t		 i;

	for (i = 0; ix->terms != NULL && i <= ix->tmask; i++)
		for (t = ix->terms[i]; t != NULL; t = next) {
			next = t->next;
			free(t->post);
			free(t);
		}
	free(ix->terms);
	ix->terms = NULL;
	ix->tmask = 0;
	ix->nterms = 0;
	ix->bytes -= ix->dbytes;
	ix->dbytes = 0;
}

/* -------------------------------------------------------------------- base */

/* One word of the base, read in order: its word is rebuilt in place. */
struct entry {
	char		 word[SEARCH_WORD_MAX + 1];
	size_t		 wlen;
	uint32_t	 df;
	const uint8_t	*post;
	size_t		 plen;
};

/*
 * Reads the entry at p (shared prefix length, suffix length, suffix,
 * df and postings length as varints, postings), the word before still in
 * e->word; returns the next entry.
 */
static const uint8_t *
entry_read(const uint8_t *p, const uint8_t *end, struct entry *e)
{
	size_t		pre = p[0], suf = p[1];
	uint32_t	df, plen;

	memcpy(e->word + pre, p + 2, suf);
	e->wlen = pre + suf;
	e->word[e->wlen] = '\0';
	p = varint_get(p + 2 + suf, end, &df);
	p = varint_get(p, end, &plen);
	e->df = df;
	e->post = p;
	e->plen = plen;
	return p + plen;
}

/* Compares word w of wl bytes with the first word of block b. */
static int
head_cmp(const struct search_index *ix, uint32_t b, const char *w, size_t wl)
{
	const uint8_t	*p = ix->seg + ix->blocks[b];
	size_t		 hl = p[1];
	int		 c = memcmp(w, p + 2, wl < hl ? wl : hl);

	return c != 0 ? c : (wl > hl) - (wl < hl);
}

/* Finds a word in the base: a binary search of the blocks, then a scan. */
static int
base_find(const struct search_index *ix, const char *w, struct entry *e)
{
	const uint8_t	*p, *end;
	size_t		 wl = strlen(w);
	uint32_t	 lo = 0, hi = ix->nblocks, mid;
	int		 c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (head_cmp(ix, mid, w, wl) < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (lo == 0)
		return 0;
	p = ix->seg + ix->blocks[lo - 1];
	end = ix->seg + (lo < ix->nblocks ? ix->blocks[lo] : ix->elen);
	while (p < end) {
		p = entry_read(p, end, e);
		if ((c = strcmp(e->word, w)) >= 0)
			return c == 0;
	}
	return 0;
}

/* Where a word's postings are; 0 if no page holds it. */
static int
term_ref(const struct search_index *ix, const char *word, struct tref *r)
{
	struct entry	e;

	memset(r, 0, sizeof *r);
	if (ix->nblocks > 0 && base_find(ix, word, &e)) {
		r->bp = e.post;
		r->blen = e.plen;
		r->df = e.df;
	}
	if ((r->d = term_find(ix, word)) != NULL)
		r->df += r->d->df;
	return r->df > 0;
}

/* A growing byte buffer of the index. */
struct obuf {
	uint8_t	*p;
	size_t	 len;
	size_t	 cap;
};

static int
obuf_room(struct search_index *ix, struct obuf *o, size_t n)
{
	uint8_t	*p;
	size_t	 cap = o->cap ? o->cap : 256;

	if (o->cap - o->len >= n)
		return 0;
	while (cap - o->len < n)
		cap *= 2;
	if ((p = ix_alloc(ix, o->p, cap)) == NULL)
		return -1;
	o->p = p;
	o->cap = cap;
	return 0;
}

/* A new base, being written. */
struct writer {
	struct obuf	 out;		/* entries */
	struct obuf	 post;		/* one word's postings */
	uint32_t	*blocks;
	size_t		 nblocks;
	size_t		 bcap;
	size_t		 nwords;
	char		 prev[SEARCH_WORD_MAX + 1];
	size_t		 prevlen;
};

/* Appends a word and its postings, in w->post, to the new base. */
static int
writer_add(struct search_index *ix, struct writer *w, const char *word,
    size_t wl, uint32_t df)
{
	uint8_t		*p;
	uint32_t	*b;
	size_t		 pre = 0, cap;

	if (w->out.len > UINT32_MAX || w->post.len > UINT32_MAX) {
		ix->want = SIZE_MAX;
		return -1;
	}
	if (w->nwords % BLOCK == 0) {
		if (w->nblocks == w->bcap) {
			cap = w->bcap ? w->bcap * 2 : 64;
			if ((b = ix_alloc(ix, w->blocks, cap * sizeof *b)) == NULL)
				return -1;
			w->blocks = b;
			w->bcap = cap;
		}
		w->blocks[w->nblocks++] = (uint32_t)w->out.len;
	} else
		while (pre < wl && pre < w->prevlen && word[pre] == w->prev[pre])
			pre++;
	if (obuf_room(ix, &w->out, 2 + wl - pre + 10 + w->post.len) == -1)
		return -1;
	p = w->out.p + w->out.len;
	*p++ = (uint8_t)pre;
	*p++ = (uint8_t)(wl - pre);
	memcpy(p, word + pre, wl - pre);
	p += wl - pre;
	p += varint_put(p, df);
	p += varint_put(p, (uint32_t)w->post.len);
	memcpy(p, w->post.p, w->post.len);
	w->out.len = p + w->post.len - w->out.p;
	memcpy(w->prev, word, wl + 1);
	w->prevlen = wl;
	w->nwords++;
	return 0;
}

/* Writes a word's postings to w->post, renumbered by map, without the dead. */
static int
writer_postings(struct search_index *ix, struct writer *w,
    const struct tref *r, const uint32_t *map, uint32_t *df)
{
	struct cursor	c;
	struct posting	v;
	struct obuf	*o = &w->post;
	uint32_t	last = 0, n = 0, doc;

	o->len = 0;
	cursor_init(&c, r);
	while (cursor_next(&c, &v)) {
		if (v.doc >= ix->ndocs || (doc = map[v.doc]) == DOC_NONE)
			continue;
		if (obuf_room(ix, o, 15) == -1)
			return -1;
		o->len += varint_put(o->p + o->len, n == 0 ? doc : doc - last);
		o->len += varint_put(o->p + o->len, v.tf << 1 | (v.th > 0));
		if (v.th > 0)
			o->len += varint_put(o->p + o->len, v.th);
		last = doc;
		n++;
	}
	*df = n;
	return 0;
}

static int
term_cmp(const void *a, const void *b)
{
	const struct term	*const *x = a, *const *y = b;

	return strcmp((*x)->word, (*y)->word);
}

/* The delta's words, sorted; NULL when out of memory. */
static struct term **
delta_sorted(struct search_index *ix)
{
	struct term	**v, *t;
	size_t		  i, n = 0;

	if ((v = ix_alloc(ix, NULL, (ix->nterms + 1) * sizeof *v)) == NULL)
		return NULL;
	for (i = 0; ix->terms != NULL && i <= ix->tmask; i++)
		for (t = ix->terms[i]; t != NULL; t = t->next)
			v[n++] = t;
	qsort(v, n, sizeof *v, term_cmp);
	return v;
}

/*
 * Merges the base's words and the delta's, both in order, into a new
 * base in w; words left without a live page go.
 */
static int
writer_merge(struct search_index *ix, struct writer *w, const uint32_t *map)
{
	struct entry	  e;
	struct term	**dt;
	struct tref	  r;
	const uint8_t	 *p = ix->seg, *end = NULL;
	const char	 *word = NULL;
	size_t		  j = 0, wl = 0;
	uint32_t	  df;
	int		  c, have = ix->elen > 0, rc = -1;

	if ((dt = delta_sorted(ix)) == NULL)
		return -1;
	/*
	 * Room for all, just that, so the buffer need not double (lists only
	 * shrink) and a small one is not mmap'd, which would keep whole pages
	 * when it shrinks to the base.
	 */
	w->out.cap = ix->elen + ix->dbytes + (ix->nblocks + 1) * SEARCH_WORD_MAX;
	if ((w->out.p = ix_alloc(ix, NULL, w->out.cap)) == NULL)
		goto out;
	if (have) {
		end = ix->seg + ix->elen;
		p = entry_read(p, end, &e);
	}
	while (have || j < ix->nterms) {
		c = !have ? 1 : j == ix->nterms ? -1 : strcmp(e.word, dt[j]->word);
		memset(&r, 0, sizeof r);
		if (c <= 0) {
			r.bp = e.post;
			r.blen = e.plen;
			word = e.word;
			wl = e.wlen;
		}
		if (c >= 0) {
			r.d = dt[j];
			word = dt[j]->word;
			wl = strlen(word);
		}
		if (writer_postings(ix, w, &r, map, &df) == -1 ||
		    (df > 0 && writer_add(ix, w, word, wl, df) == -1))
			goto out;
		if (c <= 0 && (have = p < end))
			p = entry_read(p, end, &e);
		if (c >= 0)
			j++;
	}
	rc = 0;
out:
	free(dt);
	return rc;
}

/* Ends the new base: the block offsets after the entries, one allocation. */
static int
writer_finish(struct search_index *ix, struct writer *w, size_t *cap)
{
	size_t	 at = (w->out.len + 3) & ~(size_t)3;
	uint8_t	*p;

	*cap = at + w->nblocks * sizeof *w->blocks;
	if (w->nwords == 0) {
		free(w->out.p);
		w->out.p = NULL;
		*cap = 0;
		return 0;
	}
	/* An mmap'd buffer shrinks to whole pages: less than one uncounted. */
	if ((p = ix_alloc(ix, w->out.p, *cap)) == NULL)
		return -1;
	memset(p + w->out.len, 0, at - w->out.len);
	memcpy(p + at, w->blocks, w->nblocks * sizeof *w->blocks);
	w->out.p = p;
	return 0;
}

/* ------------------------------------------------------------------- pages */

static const char *
doc_path(const struct search_index *ix, uint32_t d)
{
	return ix->arena + ix->docs[d].off;
}

static const char *
doc_title(const struct search_index *ix, uint32_t d)
{
	const char	*path = doc_path(ix, d);

	return path + strlen(path) + 1;
}

/* The bytes of a page's path and title in the arena. */
static size_t
doc_size(const struct search_index *ix, uint32_t d)
{
	const char	*path = doc_path(ix, d);
	size_t		 pl = strlen(path);

	return pl + strlen(path + pl + 1) + 2;
}

struct search_index *
search_new(void)
{
	struct search_index	*ix;

	if ((ix = calloc(1, sizeof *ix)) == NULL)
		return NULL;
	ix->bytes = sizeof *ix;
	return ix;
}

void
search_free(struct search_index *ix)
{
	if (ix == NULL)
		return;
	delta_free(ix);
	free(ix->seg);
	free(ix->docs);
	free(ix->arena);
	free(ix->paths);
	free(ix);
}

static uint32_t
doc_find(const struct search_index *ix, const char *path)
{
	uint32_t	d;

	if (ix->paths == NULL)
		return DOC_NONE;
	for (d = ix->paths[hash_str(path) & ix->pmask]; d != DOC_NONE;
	    d = ix->docs[d].pnext)
		if (ix->docs[d].off != DOC_NONE &&
		    strcmp(doc_path(ix, d), path) == 0)
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
		if (ix->docs[d].off == DOC_NONE)
			continue;
		slot = &ix->paths[hash_str(doc_path(ix, d)) & ix->pmask];
		ix->docs[d].pnext = *slot;
		*slot = d;
	}
}

/* A path table of at least n slots, a power of two. */
static uint32_t *
paths_new(struct search_index *ix, size_t n, size_t *mask)
{
	size_t	size = 16;

	while (size < n)
		size *= 2;
	*mask = size - 1;
	return ix_alloc(ix, NULL, size * sizeof(uint32_t));
}

/*
 * The live pages in order, their strings in an arena of just their size;
 * map takes each old page number to its new one, or DOC_NONE. The caller
 * frees what is made, on failure too.
 */
static int
pages_pack(struct search_index *ix, uint32_t *map, struct doc **docs,
    char **arena, size_t *alen)
{
	uint32_t	d, n = 0;
	size_t		need = 0, at = 0, sz;

	*docs = NULL;
	*arena = NULL;
	for (d = 0; d < ix->ndocs; d++) {
		map[d] = ix->docs[d].off != DOC_NONE ? n++ : DOC_NONE;
		if (map[d] != DOC_NONE)
			need += doc_size(ix, d);
	}
	*alen = need;
	if (n == 0)
		return 0;
	if ((*docs = ix_alloc(ix, NULL, n * sizeof **docs)) == NULL ||
	    (*arena = ix_alloc(ix, NULL, need)) == NULL)
		return -1;
	for (d = 0; d < ix->ndocs; d++) {
		if (map[d] == DOC_NONE)
			continue;
		sz = doc_size(ix, d);
		memcpy(*arena + at, doc_path(ix, d), sz);
		(*docs)[map[d]] = ix->docs[d];
		(*docs)[map[d]].off = (uint32_t)at;
		at += sz;
	}
	return 0;
}

/*
 * Builds the base again from both parts, without the dead pages, which
 * live ones replace in order (so posting lists stay sorted); the delta
 * empties. On failure the index stays as it was.
 */
static int
rebuild(struct search_index *ix)
{
	struct writer	 w;
	struct doc	*docs = NULL;
	uint32_t	*map, *paths = NULL;
	char		*arena = NULL;
	size_t		 alen, cap, pmask;
	int		 rc = -1;

	memset(&w, 0, sizeof w);
	if ((map = ix_alloc(ix, NULL, (ix->ndocs + 1) * sizeof *map)) == NULL)
		return -1;
	if (pages_pack(ix, map, &docs, &arena, &alen) == -1 ||
	    (paths = paths_new(ix, ix->live, &pmask)) == NULL ||
	    writer_merge(ix, &w, map) == -1 || writer_finish(ix, &w, &cap) == -1)
		goto out;
	delta_free(ix);
	free(ix->seg);
	ix->seg = w.out.p;
	w.out.p = NULL;
	ix->segcap = cap;
	ix->elen = w.out.len;
	ix->blocks = ix->seg != NULL ?
	    (const uint32_t *)(const void *)(ix->seg + cap - w.nblocks * 4) : NULL;
	ix->nblocks = (uint32_t)w.nblocks;
	free(ix->docs);
	free(ix->arena);
	free(ix->paths);
	ix->docs = docs;
	ix->ndocs = ix->live;
	ix->dcap = ix->live;
	ix->arena = arena;
	ix->alen = ix->acap = alen;
	ix->paths = paths;
	ix->pmask = pmask;
	docs = NULL;
	arena = NULL;
	paths = NULL;
	paths_rehash(ix);
	ix->bytes = sizeof *ix + ix->segcap + ix->dcap * sizeof *ix->docs +
	    ix->acap + (ix->pmask + 1) * sizeof *ix->paths;
	rc = 0;
out:
	free(w.out.p);
	free(w.post.p);
	free(w.blocks);
	free(docs);
	free(arena);
	free(paths);
	free(map);
	return rc;
}

/* Rebuilds once the delta or the dead pages outgrow their share of the base. */
static void
rebuild_due(struct search_index *ix)
{
	uint32_t	dead = ix->ndocs - ix->live;

	/* The bulk build fills the delta and search_trim rebuilds once. */
	if ((ix->settled && ix->dbytes > DELTA_MIN + ix->segcap / 2) ||
	    (dead > 16 && dead > ix->live / 4))
		(void)rebuild(ix);
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
	ix->docs[d].off = DOC_NONE;	/* its strings wait for a rebuild */
	ix->live--;
	ix->totlen -= ix->docs[d].len;
	rebuild_due(ix);
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

/* Grows the pages' array, path table and arena for one more page of need bytes. */
static int
pages_room(struct search_index *ix, size_t need)
{
	struct doc	*d;
	uint32_t	*p;
	char		*a;
	size_t		 cap, mask;

	if (ix->ndocs == ix->dcap) {
		cap = ix->dcap ? ix->dcap * 2 : 16;
		if ((d = ix_alloc(ix, ix->docs, cap * sizeof *d)) == NULL)
			return -1;
		ix->bytes += (cap - ix->dcap) * sizeof *d;
		ix->docs = d;
		ix->dcap = cap;
	}
	if (ix->paths == NULL || ix->ndocs > ix->pmask) {
		cap = ix->paths != NULL ? ix->pmask + 1 : 0;
		if ((p = paths_new(ix, 2 * cap, &mask)) == NULL)
			return -1;
		ix->bytes += (mask + 1 - cap) * sizeof *p;
		free(ix->paths);
		ix->paths = p;
		ix->pmask = mask;
		paths_rehash(ix);
	}
	if (ix->acap - ix->alen < need) {
		cap = ix->acap + ix->acap / 2 + need;
		if (cap > UINT32_MAX) {
			ix->want = cap;
			return -1;
		}
		if ((a = ix_alloc(ix, ix->arena, cap)) == NULL)
			return -1;
		ix->bytes += cap - ix->acap;
		ix->arena = a;
		ix->acap = cap;
	}
	return 0;
}

static int
doc_new(struct search_index *ix, const char *path, const char *title,
    size_t titlelen)
{
	struct doc	*d;
	size_t		 pl = strlen(path);
	uint32_t	*slot;

	if (pages_room(ix, pl + titlelen + 2) == -1)
		return -1;
	d = &ix->docs[ix->ndocs];
	memset(d, 0, sizeof *d);
	d->off = (uint32_t)ix->alen;
	memcpy(ix->arena + ix->alen, path, pl + 1);
	memcpy(ix->arena + ix->alen + pl + 1, title, titlelen);
	ix->arena[ix->alen + pl + 1 + titlelen] = '\0';
	ix->alen += pl + titlelen + 2;
	slot = &ix->paths[hash_str(path) & ix->pmask];
	d->pnext = *slot;
	*slot = ix->ndocs;
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
	/* A NUL in the title would end it early: the arena keeps C strings. */
	titlelen = strnlen(title, titlelen);
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
	rebuild_due(ix);
out:
	free(ta.term);
	free(ta.count);
	free(ta.slot);
	return r;
}

void
search_trim(struct search_index *ix)
{
	int	bulk = !ix->settled;

	ix->settled = 1;
	if (ix->terms != NULL || ix->ndocs != ix->live)
		(void)rebuild(ix);
#ifdef __GLIBC__
	/*
	 * The bulk build's delta was many small chunks amid the heap: free,
	 * they would stay resident (a third more than the index at 10 000
	 * pages) until reused.
	 */
	if (bulk)
		(void)malloc_trim(0);
#endif
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
			memcpy(sq->term[sq->nterms].word, w.folded, w.flen + 1);
			sq->term[sq->nterms++].phrase = quoted ? sq->nphrases + 1 : 0;
		}
		/* A quoted stretch without words ("", "!!!") is no phrase. */
		if (quoted && sq->nterms > first)
			sq->nphrases++;
		i = end + (end < len);		/* past the closing quote */
	}
	return 0;
}

static int
is_ascii(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

/* Whether a query's words are all ASCII. */
static int
query_ascii(const struct search_query *sq)
{
	int	t;

	for (t = 0; t < sq->nterms; t++)
		if (!is_ascii(sq->term[t].word, strlen(sq->term[t].word)))
			return 0;
	return 1;
}

/* An ASCII line with a letter or digit: 1; without: 0; not ASCII: -1. */
static int
ascii_words(const char *s, size_t len)
{
	size_t	i;
	int	alnum = 0;

	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] >= 0x80)
			return -1;
		alnum |= ascii_lower((unsigned char)s[i]) != 0;
	}
	return alnum;
}

/*
 * Where the words of an all-ASCII query next stand in a page, in any case:
 * a word folds to lower case and nothing else there, so an ASCII line can
 * hold it only as it is. A line with other bytes may fold into the word
 * and is always split into words.
 */
struct finder {
	char	*low;		/* the text with bit 5 set: A-Z lowered, a-z
				   and 0-9 kept; other bytes that become
				   those only cost a closer look */
	size_t	 len;
	size_t	 at[SEARCH_TERMS_MAX];	/* next match of each word, or len */
	unsigned lines;			/* lines asked about */
	unsigned hits;			/* of which may hold a word */
};

static int
finder_init(struct finder *f, const char *text, size_t len)
{
	size_t		i;
	uint64_t	x;

	if ((f->low = malloc(len ? len : 1)) == NULL)
		return -1;
	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&x, text + i, 8);
		x |= 0x2020202020202020ull;
		memcpy(f->low + i, &x, 8);
	}
	for (; i < len; i++)
		f->low[i] = text[i] | 0x20;
	f->len = len;
	memset(f->at, 0, sizeof f->at);
	f->lines = f->hits = 0;
	return 0;
}

/*
 * Whether the ASCII line at [start, end) of the text may hold a word.
 * Once most lines do (common words), every line is: searching would
 * only add to splitting them.
 */
static int
finder_line(struct finder *f, const struct search_query *sq, size_t start,
    size_t end)
{
	const char	*p;
	size_t		 wl;
	int		 t;

	if (f->lines >= 8 && f->hits * 2 > f->lines)
		return 1;
	f->lines++;
	for (t = 0; t < sq->nterms; t++) {
		wl = strlen(sq->term[t].word);
		if (f->at[t] < start) {		/* lines come in order */
			p = memmem(f->low + start, f->len - start,
			    sq->term[t].word, wl);
			f->at[t] = p != NULL ? (size_t)(p - f->low) : f->len;
		}
		if (f->at[t] + wl <= end) {
			f->hits++;
			return 1;
		}
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
	struct finder		 f;
	unsigned		 found = 0, all = (1u << sq->nphrases) - 1;
	size_t			 pos, at;
	int			 i, last, ascii = query_ascii(sq);

	memset(ph, 0, sizeof ph);
	for (i = sq->nterms; i-- > 0;)
		if (sq->term[i].phrase > 0) {
			ph[sq->term[i].phrase - 1].first = i;
			ph[sq->term[i].phrase - 1].k++;
		}
	win.n = 0;
	if (ascii && finder_init(&f, text, len) == -1)
		ascii = 0;
	gemtext_init(&p, text, len);
	while (gemtext_next(&p, &l) && found != all) {
		at = l.text - text;
		/*
		 * An ASCII line without the query's words is not split: an
		 * empty word in the window stands for its words, so no phrase
		 * runs across it.
		 */
		if (ascii && (i = ascii_words(l.text, l.textlen)) >= 0 &&
		    !finder_line(&f, sq, at, at + l.textlen)) {
			if (i == 1) {
				win.word[win.n % SEARCH_TERMS_MAX][0] = '\0';
				win.n++;
			}
			continue;
		}
		for (pos = 0; next_word(l.text, l.textlen, &pos, &w);) {
			memcpy(win.word[win.n % SEARCH_TERMS_MAX], w.folded,
			    w.flen + 1);
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
	if (ascii)
		free(f.low);
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
idf(const struct search_index *ix, uint32_t df0)
{
	double	n = ix->live, df = df0 < ix->live ? df0 : ix->live;

	return log(1 + (n - df + 0.5) / (df + 0.5));
}

/* A word's BM25 constants for one query. */
struct weight {
	double	idf;
	double	norm;		/* k1 (1 - b) */
	double	scale;		/* k1 b / the average length */
};

static void
weight_init(const struct search_index *ix, uint32_t df, struct weight *k)
{
	double	avg = ix->live ? (double)ix->totlen / ix->live : 1;

	k->idf = idf(ix, df);
	k->norm = BM25_K1 * (1 - BM25_B);
	k->scale = BM25_K1 * BM25_B / (avg > 0 ? avg : 1);
}

/* BM25 of one posting: the body normalised by length, headings not. */
static double
bm25(const struct search_index *ix, const struct weight *k,
    const struct posting *p)
{
	double	body, head = 0;

	body = p->tf * (BM25_K1 + 1) /
	    (p->tf + k->norm + k->scale * ix->docs[p->doc].len);
	if (p->th > 0)
		head = p->th * (BM25_K1 + 1) / (p->th + BM25_K1);
	return k->idf * (body + HEAD_BOOST * head);
}

/* Keeps the candidates that hold the word too, adding its score. */
static size_t
intersect(const struct search_index *ix, struct cand *c, size_t n,
    const struct tref *r)
{
	struct cursor	cur;
	struct posting	v;
	struct weight	w;
	size_t		i = 0, k = 0;
	int		have;

	weight_init(ix, r->df, &w);
	cursor_init(&cur, r);
	have = cursor_next(&cur, &v);
	while (i < n && have) {
		if (c[i].doc < v.doc)
			i++;
		else if (c[i].doc > v.doc)
			have = cursor_next(&cur, &v);
		else {
			c[k].doc = c[i].doc;
			c[k++].score = c[i].score + bm25(ix, &w, &v);
			i++;
			have = cursor_next(&cur, &v);
		}
	}
	return k;
}

/* Every live page holding all the query's words, scored; NULL if none. */
static struct cand *
candidates(const struct search_index *ix, const struct search_query *sq,
    size_t *n)
{
	struct tref	 r[SEARCH_TERMS_MAX];
	struct cursor	 cur;
	struct posting	 v;
	struct cand	*c;
	struct weight	 w;
	size_t		 k = 0;
	int		 nt = 0, j, m, dup, rare = 0;

	*n = 0;
	for (j = 0; j < sq->nterms; j++) {
		for (dup = 0, m = 0; m < j; m++)
			dup |= strcmp(sq->term[m].word, sq->term[j].word) == 0;
		if (dup)
			continue;
		if (!term_ref(ix, sq->term[j].word, &r[nt]))
			return NULL;
		if (r[nt].df < r[rare].df)
			rare = nt;
		nt++;
	}
	if (nt == 0 || (c = malloc(r[rare].df * sizeof *c)) == NULL)
		return NULL;
	weight_init(ix, r[rare].df, &w);
	cursor_init(&cur, &r[rare]);
	while (k < r[rare].df && cursor_next(&cur, &v))
		if (v.doc < ix->ndocs && ix->docs[v.doc].off != DOC_NONE) {
			c[k].doc = v.doc;
			c[k++].score = bm25(ix, &w, &v);
		}
	for (j = 0; j < nt && k > 0; j++)
		if (j != rare)
			k = intersect(ix, c, k, &r[j]);
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
			    text(arg, doc_path(ix, c[i].doc), &body, &blen) == 0 &&
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
		hits[out].path = doc_path(ix, c[i].doc);
		hits[out].title = doc_title(ix, c[i].doc);
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
void
search_excerpt(const char *text, size_t len, const struct search_query *sq,
    struct buf *b)
{
	struct gmi_parser	 p;
	struct gmi_line		 l, first = { 0 }, top = { 0 };
	struct word		 w;
	struct finder		 f;
	size_t			 pos, hit = 0, tophit = 0, at;
	unsigned		 m, t;
	int			 have_first = 0, n, topn = 0;
	int			 ascii = query_ascii(sq);

	if (ascii && finder_init(&f, text, len) == -1)
		ascii = 0;
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
		at = l.text - text;
		if (ascii && is_ascii(l.text, l.textlen) &&
		    !finder_line(&f, sq, at, at + l.textlen))
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
	if (ascii)
		free(f.low);
	if (topn > 0)
		excerpt_line(top.text, top.textlen, tophit, b);
	else if (have_first)
		excerpt_line(first.text, first.textlen, 0, b);
}
