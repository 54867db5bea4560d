/*
 * Gemfeed pages as Atom 1.0 feeds (RFC 4287). A gemfeed is gemtext whose
 * link lines carry a date, "=> URL YYYY-MM-DD Title" (Gemini subscription
 * companion specification); each such link is one entry. Everything from
 * the page goes through add_text(), so the feed is valid XML whatever the
 * page holds. Pure: runs at load time.
 */
#include <ctype.h>
#include <string.h>

#include "atom.h"
#include "gemtext.h"
#include "url.h"

#define DATE_LEN	10	/* YYYY-MM-DD */
#define REPLACEMENT	"\xef\xbf\xbd"	/* U+FFFD for bytes that are not UTF-8 */
#define SCHEME_CHARS	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" \
			"0123456789+-."

/* One dated link of a gemfeed page; pointers into the page. */
struct entry {
	const char	*url;
	size_t		 urllen;
	const char	*date;		/* DATE_LEN bytes */
	const char	*title;
	size_t		 titlelen;
};

/* The feed's base split up: "gemini://host:port" and "/dir/". */
struct origin {
	const char	*s;
	size_t		 schemelen;	/* "gemini:" */
	size_t		 len;		/* "gemini://host:port" */
	const char	*path;		/* "/dir/", up to the end of s */
};

static int
digits(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

static int
number(const char *s, size_t n)
{
	int	v = 0;

	while (n-- > 0)
		v = v * 10 + (*s++ - '0');
	return v;
}

/* date = 4DIGIT "-" 2DIGIT "-" 2DIGIT, a day of the calendar, not more digits */
static int
is_date(const char *s, size_t n)
{
	static const int	days[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30,
				    31, 30, 31 };
	int			y, m, d;

	if (n < DATE_LEN || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) ||
	    s[7] != '-' || !digits(s + 8, 2))
		return 0;
	if (n > DATE_LEN && isalnum((unsigned char)s[DATE_LEN]))
		return 0;
	y = number(s, 4);
	m = number(s + 5, 2);
	d = number(s + 8, 2);
	if (m < 1 || m > 12 || d < 1 || d > days[m - 1])
		return 0;
	return m != 2 || d < 29 || (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* The title after a link's date: blanks and one "-" or ":" between dropped. */
static void
entry_title(struct entry *e, const char *s, size_t n)
{
	size_t	i = 0;

	while (i < n && is_space(s[i]))
		i++;
	if (i < n && (s[i] == '-' || s[i] == ':') && (i + 1 == n ||
	    is_space(s[i + 1])))
		i++;
	while (i < n && is_space(s[i]))
		i++;
	while (n > i && is_space(s[n - 1]))
		n--;
	e->title = s + i;
	e->titlelen = n - i;
	if (e->titlelen == 0) {
		e->title = e->date;
		e->titlelen = DATE_LEN;
	}
}

/* The next dated link of the page; 0 at its end. */
static int
next_entry(struct gmi_parser *gp, struct entry *e)
{
	struct gmi_line	l;

	while (gemtext_next(gp, &l)) {
		if (l.type != GMI_LINK || l.urllen == 0 ||
		    !is_date(l.text, l.textlen))
			continue;
		e->url = l.url;
		e->urllen = l.urllen;
		e->date = l.text;
		entry_title(e, l.text + DATE_LEN, l.textlen - DATE_LEN);
		return 1;
	}
	return 0;
}

int
atom_is_gemfeed(const char *s, size_t len)
{
	struct gmi_parser	gp;
	struct entry		e;

	gemtext_init(&gp, s, len);
	return next_entry(&gp, &e);
}

const char *
atom_first_paragraph(const char *s, size_t len, size_t *plen)
{
	struct gmi_parser	gp;
	struct gmi_line		l;

	gemtext_init(&gp, s, len);
	while (gemtext_next(&gp, &l)) {
		const char	*t = l.text;
		size_t		 n = l.textlen;

		if (l.type != GMI_TEXT)
			continue;
		while (n > 0 && is_space(*t)) {
			t++;
			n--;
		}
		while (n > 0 && is_space(t[n - 1]))
			n--;
		if (n > 0) {
			*plen = n;
			return t;
		}
	}
	return NULL;
}

/* Length of the valid UTF-8 sequence at s, 0 if there is none. */
static size_t
utf8_seq(const char *s, size_t n)
{
	unsigned char	c = s[0];
	size_t		k;

	if (c < 0x80)
		k = 1;
	else if (c >= 0xc2 && c <= 0xdf)
		k = 2;
	else if (c >= 0xe0 && c <= 0xef)
		k = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		k = 4;
	else
		return 0;
	return k <= n && utf8_valid(s, k) ? k : 0;
}

/*
 * Character data or an attribute value: the markup characters escaped,
 * control bytes and U+FFFE/U+FFFF (not XML characters) dropped, bytes that
 * are not UTF-8 replaced.
 */
static void
add_text(struct buf *b, const char *s, size_t n)
{
	size_t	i, k;

	for (i = 0; i < n; i += k) {
		unsigned char	c = s[i];

		if ((k = utf8_seq(s + i, n - i)) == 0) {
			buf_adds(b, REPLACEMENT);
			k = 1;
		} else if (k == 3 && c == 0xef && (unsigned char)s[i + 1] == 0xbf &&
		    (unsigned char)s[i + 2] >= 0xbe)
			continue;
		else if (k > 1)
			buf_add(b, s + i, k);
		else if (c == '&')
			buf_adds(b, "&amp;");
		else if (c == '<')
			buf_adds(b, "&lt;");
		else if (c == '>')
			buf_adds(b, "&gt;");
		else if (c == '"')
			buf_adds(b, "&quot;");
		else if (c >= 0x20 && c != 0x7f)
			buf_addc(b, (char)c);
	}
}

static void
add_texts(struct buf *b, const char *s)
{
	add_text(b, s, strlen(s));
}

/* "<name>text</name>\n" after indent. */
static void
add_element(struct buf *b, const char *indent, const char *name,
    const char *s, size_t n)
{
	buf_adds(b, indent);
	buf_addc(b, '<');
	buf_adds(b, name);
	buf_addc(b, '>');
	add_text(b, s, n);
	buf_adds(b, "</");
	buf_adds(b, name);
	buf_adds(b, ">\n");
}

static void
add_updated(struct buf *b, const char *indent, const char *date)
{
	buf_adds(b, indent);
	buf_adds(b, "<updated>");
	buf_add(b, date, DATE_LEN);
	buf_adds(b, "T00:00:00Z</updated>\n");
}

/* Length of a URL's scheme and colon ("gemini:" → 7), 0 if it has none. */
static size_t
scheme_len(const char *s, size_t n)
{
	size_t	k;

	if (n == 0 || !isalpha((unsigned char)s[0]))
		return 0;
	for (k = 1; k < n && s[k] != '\0' && strchr(SCHEME_CHARS, s[k]) != NULL;)
		k++;
	return k < n && s[k] == ':' ? k + 1 : 0;
}

/* base = scheme "://" authority path-abempty, the path ending in "/" */
static int
origin_parse(const char *base, struct origin *o)
{
	size_t	n = strlen(base);

	o->s = base;
	if ((o->schemelen = scheme_len(base, n)) == 0 ||
	    strncmp(base + o->schemelen, "//", 2) != 0)
		return -1;
	o->len = o->schemelen + 2 + strcspn(base + o->schemelen + 2, "/?#");
	o->path = base + o->len;
	if (*o->path != '/' || base[n - 1] != '/' || strpbrk(o->path, "?#"))
		return -1;
	return 0;
}

/*
 * Appends path (starting with "/") to out without its dot segments
 * (RFC 3986 5.2.4); ".." never climbs above out's length at start.
 */
static void
add_path(struct buf *out, size_t start, const char *p, size_t n)
{
	const char	*end = p + n, *seg, *q;
	size_t		 sl;

	for (q = p; q < end; ) {
		seg = q + 1;
		if ((q = memchr(seg, '/', end - seg)) == NULL)
			q = end;
		sl = q - seg;
		if (sl == 2 && seg[0] == '.' && seg[1] == '.') {
			while (out->len > start && out->data[--out->len] != '/')
				;
		} else if (!(sl == 1 && seg[0] == '.')) {
			buf_addc(out, '/');
			buf_add(out, seg, sl);
			continue;
		}
		if (q == end)		/* a final "." or ".." names a directory */
			buf_addc(out, '/');
	}
	if (out->len == start)
		buf_addc(out, '/');
}

/* The absolute URL of a reference (RFC 3986 5.2.2) against the origin. */
static void
add_resolved(struct buf *out, const struct origin *o, const char *ref,
    size_t n)
{
	struct buf	merged;
	size_t		plen, start;

	if (scheme_len(ref, n) > 0) {
		buf_add(out, ref, n);
		return;
	}
	if (n >= 2 && ref[0] == '/' && ref[1] == '/') {
		buf_add(out, o->s, o->schemelen);
		buf_add(out, ref, n);
		return;
	}
	for (plen = 0; plen < n && ref[plen] != '?' && ref[plen] != '#'; plen++)
		;
	buf_add(out, o->s, o->len);
	start = out->len;
	if (plen > 0 && ref[0] == '/')
		add_path(out, start, ref, plen);
	else {
		buf_init(&merged);
		buf_adds(&merged, o->path);
		buf_add(&merged, ref, plen);
		if (merged.failed)
			out->failed = 1;
		else
			add_path(out, start, merged.data, merged.len);
		buf_free(&merged);
	}
	buf_add(out, ref + plen, n - plen);
}

/* A reference with neither scheme nor authority: a page of this site. */
static int
is_local(const char *ref, size_t n)
{
	return scheme_len(ref, n) == 0 && !(n >= 2 && ref[0] == '/' &&
	    ref[1] == '/');
}

static void
add_entry(struct buf *b, const struct atom_feed *f, const struct origin *o,
    const struct entry *e)
{
	struct buf	 url;
	const char	*sum = NULL;
	size_t		 sumlen = 0;

	buf_init(&url);
	add_resolved(&url, o, e->url, e->urllen);
	if (url.failed)
		b->failed = 1;
	buf_adds(b, "  <entry>\n");
	add_element(b, "    ", "title", e->title, e->titlelen);
	buf_adds(b, "    <link href=\"");
	add_text(b, url.data ? url.data : "", url.len);
	buf_adds(b, "\"/>\n");
	add_element(b, "    ", "id", url.data ? url.data : "", url.len);
	add_updated(b, "    ", e->date);
	if (f->summary != NULL && is_local(e->url, e->urllen))
		sum = f->summary(f->arg, e->url, e->urllen, &sumlen);
	if (sum != NULL)
		add_element(b, "    ", "summary", sum, sumlen);
	buf_adds(b, "  </entry>\n");
	buf_free(&url);
}

/* The first level-1 heading's text, or NULL. */
static const char *
page_title(const char *s, size_t len, size_t *tlen)
{
	struct gmi_parser	gp;
	struct gmi_line		l;

	gemtext_init(&gp, s, len);
	while (gemtext_next(&gp, &l))
		if (l.type == GMI_HEADING1) {
			*tlen = l.textlen;
			return l.text;
		}
	return NULL;
}

static void
add_head(struct buf *b, const char *s, size_t len, const struct atom_feed *f,
    const struct origin *o, const char *newest)
{
	const char	*page = f->page != NULL ? f->page : f->base, *t;
	size_t		 tlen;

	if ((t = f->title) != NULL)
		tlen = strlen(t);
	else if ((t = page_title(s, len, &tlen)) == NULL) {
		t = page;
		tlen = strlen(page);
	}
	buf_adds(b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	    "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
	add_element(b, "  ", "title", t, tlen);
	add_element(b, "  ", "id", page, strlen(page));
	add_updated(b, "  ", newest);
	buf_adds(b, "  <author><name>");
	add_text(b, o->s + o->schemelen + 2, o->len - o->schemelen - 2);
	buf_adds(b, "</name></author>\n  <link rel=\"self\" "
	    "type=\"application/atom+xml\" href=\"");
	add_texts(b, f->base);
	buf_adds(b, "atom.xml\"/>\n  <link rel=\"alternate\" href=\"");
	add_texts(b, page);
	buf_adds(b, "\"/>\n");
}

int
atom_render(const char *s, size_t len, const struct atom_feed *f,
    struct buf *b, const char **errstr)
{
	struct gmi_parser	 gp;
	struct origin		 o;
	struct entry		 e;
	const char		*newest = NULL;

	if (f->base == NULL || origin_parse(f->base, &o) == -1) {
		*errstr = "the base is not an absolute URL ending in /";
		return -1;
	}
	gemtext_init(&gp, s, len);
	while (next_entry(&gp, &e))
		if (newest == NULL || memcmp(e.date, newest, DATE_LEN) > 0)
			newest = e.date;
	if (newest == NULL) {
		*errstr = "no dated link: not a gemfeed";
		return -1;
	}
	add_head(b, s, len, f, &o, newest);
	gemtext_init(&gp, s, len);
	while (next_entry(&gp, &e))
		add_entry(b, f, &o, &e);
	buf_adds(b, "</feed>\n");
	return 0;
}
