/*
 * The Atom feed renderer (atom_render) on an arbitrary page, with summaries
 * that are bytes of the input too, under fixed bases and under the input's
 * first line taken as a base.
 *
 * Properties of a rendered feed: it is valid UTF-8 with no control byte
 * but LF; it starts with the XML declaration; its tags balance, with one
 * root element <feed>; every '&' outside a tag and in an attribute value
 * starts one of the four entities the renderer writes, and no '<' or '>'
 * appears in text or a value (so nothing from the page can open markup);
 * every <updated> holds YYYY-MM-DDT00:00:00Z; there is at least one
 * <entry>. atom_render succeeds exactly when atom_is_gemfeed says the
 * page is a gemfeed (for a valid base), and leaves the buffer empty when
 * it fails. atom_first_paragraph returns a trimmed piece of one line.
 */
#include <string.h>

#include "atom.h"
#include "fuzz.h"
#include "url.h"

#define XML_DECL	"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
#define MAX_DEPTH	8

static const char	*PAGE;
static size_t		 PAGELEN;

/* Local links ending in "p" get the page's first paragraph; "r" the ref. */
static const char *
summary_stub(void *arg, const char *ref, size_t len, size_t *slen)
{
	(void)arg;
	FUZZ_ASSERT(ref >= PAGE && ref + len <= PAGE + PAGELEN,
	    "reference outside the page");
	if (len > 0 && ref[len - 1] == 'p')
		return atom_first_paragraph(PAGE, PAGELEN, slen);
	if (len > 0 && ref[len - 1] == 'r') {
		*slen = len;
		return ref;
	}
	return NULL;
}

/* An entity at s (inside end), or an assertion failure. */
static size_t
entity(const char *s, const char *end)
{
	static const char *const	 ok[] = { "&amp;", "&lt;", "&gt;", "&quot;" };
	size_t				 i, n;

	for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		n = strlen(ok[i]);
		if ((size_t)(end - s) >= n && memcmp(s, ok[i], n) == 0)
			return n;
	}
	FUZZ_ASSERT(0, "raw '&' in the feed: \"%.*s\"", (int)(end - s > 20 ?
	    20 : end - s), s);
	return 0;
}

/* A tag's name: lower-case letters. */
static size_t
name_len(const char *s, const char *end)
{
	size_t	n = 0;

	while (s + n < end && s[n] >= 'a' && s[n] <= 'z')
		n++;
	FUZZ_ASSERT(n > 0, "tag without a name");
	return n;
}

/* Attributes up to '>' or "/>"; returns the byte after the tag. */
static const char *
attributes(const char *p, const char *end, int *empty)
{
	while (p < end && *p == ' ') {
		p++;
		p += name_len(p, end);
		FUZZ_ASSERT(end - p >= 2 && p[0] == '=' && p[1] == '"',
		    "attribute without =\"");
		for (p += 2; p < end && *p != '"';) {
			FUZZ_ASSERT(*p != '<' && *p != '>', "'<' or '>' in a value");
			p += *p == '&' ? entity(p, end) : 1;
		}
		FUZZ_ASSERT(p < end, "unterminated attribute value");
		p++;
	}
	*empty = p < end && *p == '/';
	p += *empty;
	FUZZ_ASSERT(p < end && *p == '>', "tag not closed");
	return p + 1;
}

/* Checks a whole feed's markup; returns its number of <entry> elements. */
static size_t
check_feed(const char *s, size_t n)
{
	const char	*p = s + strlen(XML_DECL), *end = s + n, *name[MAX_DEPTH];
	size_t		 nlen[MAX_DEPTH], depth = 0, roots = 0, entries = 0, k;
	int		 empty;

	FUZZ_ASSERT(utf8_valid(s, n), "not UTF-8");
	for (k = 0; k < n; k++)
		FUZZ_ASSERT(((unsigned char)s[k] >= 0x20 && s[k] != 0x7f) || s[k] == '\n',
		    "control byte 0x%02x", (unsigned char)s[k]);
	FUZZ_ASSERT(n >= strlen(XML_DECL) && memcmp(s, XML_DECL,
	    strlen(XML_DECL)) == 0, "no XML declaration");
	while (p < end) {
		if (*p == '&') {
			p += entity(p, end);
			continue;
		}
		FUZZ_ASSERT(*p != '>', "raw '>' in text");
		if (*p != '<') {
			FUZZ_ASSERT(depth > 0 || *p == '\n', "text outside the root");
			p++;
			continue;
		}
		if (p + 1 < end && p[1] == '/') {
			k = name_len(p + 2, end);
			FUZZ_ASSERT(depth > 0 && nlen[depth - 1] == k &&
			    memcmp(name[depth - 1], p + 2, k) == 0, "unbalanced </%.*s>",
			    (int)k, p + 2);
			depth--;
			FUZZ_ASSERT(p + 2 + k < end && p[2 + k] == '>', "bad end tag");
			p += 3 + k;
			continue;
		}
		k = name_len(p + 1, end);
		if (depth == 0) {
			FUZZ_ASSERT(k == 4 && memcmp(p + 1, "feed", 4) == 0 && roots++ == 0,
			    "a second root, or a root that is not <feed>");
		}
		if (k == 5 && memcmp(p + 1, "entry", 5) == 0)
			entries++;
		if (k == 7 && memcmp(p + 1, "updated", 7) == 0) {
			const char *v = p + 9;

			FUZZ_ASSERT(end - v >= 20 && v[4] == '-' && v[7] == '-' &&
			    memcmp(v + 10, "T00:00:00Z</", 12) == 0,
			    "<updated> is not a date: \"%.*s\"", 20, v);
		}
		name[depth] = p + 1;
		nlen[depth] = k;
		p = attributes(p + 1 + k, end, &empty);
		if (!empty) {
			FUZZ_ASSERT(depth + 1 < MAX_DEPTH, "nested too deep");
			depth++;
		}
	}
	FUZZ_ASSERT(depth == 0 && roots == 1, "unclosed elements or no root");
	return entries;
}

static void
render_under(const char *s, size_t n, const char *base, int base_ok)
{
	struct atom_feed	 f = { base, NULL, NULL, summary_stub, NULL };
	struct buf		 b;
	const char		*errstr = NULL;
	int			 r, feed = atom_is_gemfeed(s, n);

	buf_init(&b);
	r = atom_render(s, n, &f, &b, &errstr);
	FUZZ_ASSERT(!b.failed, "buffer failed");
	if (r == -1) {
		FUZZ_ASSERT(errstr != NULL && b.len == 0, "failed with output");
		FUZZ_ASSERT(!base_ok || !feed, "a gemfeed refused");
	} else {
		FUZZ_ASSERT(r == 0 && feed, "not a gemfeed, rendered");
		FUZZ_ASSERT(check_feed(b.data, b.len) > 0, "a feed without entries");
	}
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A heap copy of exactly size bytes, so reading past the end is caught. */
	char		*s = malloc(size ? size : 1), *line;
	const char	*para, *nl;
	size_t		 plen = 0;

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	PAGE = s;
	PAGELEN = size;
	if ((para = atom_first_paragraph(s, size, &plen)) != NULL)
		FUZZ_ASSERT(para >= s && para + plen <= s + size && plen > 0 &&
		    memchr(para, '\n', plen) == NULL && para[0] != ' ' &&
		    para[plen - 1] != ' ', "first paragraph");
	render_under(s, size, "gemini://example.org/news/", 1);
	render_under(s, size, "gemini://h\"<&>\x01\xff:1/a b/", 1);
	/* The first line as a base: valid or not, the output must hold. */
	nl = memchr(s, '\n', size);
	line = fuzz_cstr(data, nl != NULL ? (size_t)(nl - s) : size);
	if (strlen(line) == (nl != NULL ? (size_t)(nl - s) : size))
		render_under(s, size, line, 0);
	free(line);
	free(s);
	return 0;
}
