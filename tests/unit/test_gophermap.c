/* Unit tests for src/gophermap.c: gemtext rendered as Gopher menus. */
#include "unit.h"

#include "buf.h"
#include "gophermap.h"

#define INFO(text)	"i" text "\t\tnull.host\t1\r\n"
#define END		".\r\n"

static const struct gopher_ctx ROOT = {
	"localhost", 7070, "/", "localhost", NULL, NULL
};
static const struct gopher_ctx DOCS = {
	"localhost", 7070, "/docs/", "localhost", NULL, NULL
};

static char	*OUT;
static size_t	 OUTLEN;

static int
teardown(void **state)
{
	(void)state;
	free(OUT);
	OUT = NULL;
	OUTLEN = 0;
	return 0;
}

static void
take(struct buf *b)
{
	assert_int_equal(b->failed, 0);
	free(OUT);
	OUT = buf_take(b, &OUTLEN);
	assert_non_null(OUT);
	assert_int_equal(OUT[OUTLEN], '\0');
	buf_init(b);
}

static void
render_len(const char *gmi, size_t len, const struct gopher_ctx *ctx)
{
	struct buf	 b;

	buf_init(&b);
	gophermap_render(gmi, len, ctx, &b);
	take(&b);
}

static void
render(const char *gmi, const struct gopher_ctx *ctx)
{
	render_len(gmi, strlen(gmi), ctx);
}

/* The menu's lines, without CRLF and without the final ".". */
struct menu {
	size_t	 n;
	char	*line[512];
};

static void
menu_free(struct menu *m)
{
	size_t	 i;

	for (i = 0; i < m->n; i++)
		free(m->line[i]);
	m->n = 0;
}

/* Checks the menu's framing and splits it; fails on any malformed line. */
static void
menu_split_at(const char *s, size_t len, struct menu *m, const char *file,
    int line)
{
	const char	*p = s, *end = s + len, *eol;
	char		 shown[1024];
	size_t		 tabs, i;

	m->n = 0;
	if (len < 3 || memcmp(end - 3, END, 3) != 0 ||
	    (len > 3 && memcmp(end - 5, "\r\n", 2) != 0)) {
		unit_show(s, len, shown, sizeof(shown));
		print_error("%s:%d: menu does not end with a \".\\r\\n\" line: "
		    "\"%s\"\n", file, line, shown);
		_fail(file, line);
	}
	end -= 3;
	while (p < end) {
		eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		if (eol == NULL) {
			print_error("%s:%d: unterminated menu line\n", file, line);
			_fail(file, line);
		}
		unit_show(p, (size_t)(eol - p), shown, sizeof(shown));
		if (memchr(p, '\r', (size_t)(eol - p)) != NULL ||
		    memchr(p, '\n', (size_t)(eol - p)) != NULL) {
			print_error("%s:%d: CR or LF inside menu line \"%s\"\n",
			    file, line, shown);
			_fail(file, line);
		}
		for (tabs = 0, i = 0; p + i < eol; i++)
			if (p[i] == '\t')
				tabs++;
		if (tabs != 3) {
			print_error("%s:%d: %zu fields in menu line \"%s\"\n",
			    file, line, tabs + 1, shown);
			_fail(file, line);
		}
		if (eol - p == 1 && p[0] == '.') {
			print_error("%s:%d: early \".\" line\n", file, line);
			_fail(file, line);
		}
		if (m->n == sizeof(m->line) / sizeof(m->line[0]))
			fail_msg("menu too long for the test");
		m->line[m->n] = strndup(p, (size_t)(eol - p));
		assert_non_null(m->line[m->n]);
		m->n++;
		p = eol + 2;
	}
}

#define menu_split(s, len, m)	menu_split_at((s), (len), (m), __FILE__, __LINE__)

/* Field k (0: type+display, 1: selector, 2: host, 3: port) of a menu line. */
static void
field(const char *mline, int k, char *out, size_t outsz)
{
	const char	*p = mline, *t;
	size_t		 n;

	while (k-- > 0) {
		p = strchr(p, '\t');
		assert_non_null(p);
		p++;
	}
	t = strchr(p, '\t');
	n = t ? (size_t)(t - p) : strlen(p);
	assert_true(n < outsz);
	memcpy(out, p, n);
	out[n] = '\0';
}

/* UTF-8 code points in a string. */
static size_t
chars(const char *s)
{
	size_t	 n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* The info text of an info line, or NULL if the line is not one. */
static const char *
info_text(const char *mline, char *out, size_t outsz)
{
	const char	*t;

	if (mline[0] != 'i')
		return NULL;
	t = strchr(mline, '\t');
	assert_non_null(t);
	if (strcmp(t, "\t\tnull.host\t1") != 0)
		return NULL;
	assert_true((size_t)(t - mline) <= outsz);
	memcpy(out, mline + 1, (size_t)(t - mline - 1));
	out[t - mline - 1] = '\0';
	return out;
}

#define OUT_IS(want)	assert_bytes_str(OUT, OUTLEN, (want))

static char *
repeat(const char *unit, size_t n)
{
	size_t	 ul = strlen(unit), i;
	char	*s;

	s = malloc(ul * n + 1);
	assert_non_null(s);
	for (i = 0; i < n; i++)
		memcpy(s + i * ul, unit, ul);
	s[ul * n] = '\0';
	return s;
}

/*
 * Renders text (one gemtext line) and checks the result is info lines only,
 * each at most GOPHER_WIDTH characters, the first starting with prefix and
 * the others with rest, and that the lines without their prefixes, joined
 * with single spaces, give back the text after its marker.
 */
static void
check_wrapped_at(const char *gmiline, const char *first, const char *rest,
    const char *want, size_t want_lines, const char *file, int line)
{
	struct menu	 m;
	char		 text[1024], *joined;
	size_t		 i, jl = 0;

	render(gmiline, &ROOT);
	menu_split_at(OUT, OUTLEN, &m, file, line);
	if (want_lines != 0 && m.n != want_lines) {
		print_error("%s:%d: %zu lines, want %zu\n", file, line, m.n,
		    want_lines);
		_fail(file, line);
	}
	joined = calloc(1, OUTLEN + 1);
	assert_non_null(joined);
	for (i = 0; i < m.n; i++) {
		const char *prefix = i == 0 ? first : rest;

		if (info_text(m.line[i], text, sizeof(text)) == NULL) {
			print_error("%s:%d: line %zu is not an info line: %s\n",
			    file, line, i, m.line[i]);
			_fail(file, line);
		}
		if (chars(text) > GOPHER_WIDTH) {
			print_error("%s:%d: line %zu has %zu characters: \"%s\"\n",
			    file, line, i, chars(text), text);
			_fail(file, line);
		}
		if (strncmp(text, prefix, strlen(prefix)) != 0) {
			print_error("%s:%d: line %zu does not start with \"%s\": "
			    "\"%s\"\n", file, line, i, prefix, text);
			_fail(file, line);
		}
		if (i > 0)
			joined[jl++] = ' ';
		strcpy(joined + jl, text + strlen(prefix));
		jl += strlen(text + strlen(prefix));
	}
	if (strcmp(joined, want) != 0) {
		print_error("%s:%d: words changed:\n  got  \"%s\"\n  want \"%s\"\n",
		    file, line, joined, want);
		_fail(file, line);
	}
	free(joined);
	menu_free(&m);
}

#define WRAPPED(gmi, prefix, want, n) \
	check_wrapped_at((gmi), (prefix), (prefix), (want), (n), __FILE__, __LINE__)
/* The first line's prefix differs from the rest's (a hanging indent). */
#define WRAPPED_HANGING(gmi, first, rest, want, n) \
	check_wrapped_at((gmi), (first), (rest), (want), (n), __FILE__, __LINE__)

/* ---- plain text ---- */

static void
test_empty_input(void **state)
{
	(void)state;
	render("", &ROOT);
	OUT_IS(END);
}

static void
test_text_line(void **state)
{
	(void)state;
	render("Hello\n", &ROOT);
	OUT_IS(INFO("Hello") END);
	render("Hello", &ROOT);
	OUT_IS(INFO("Hello") END);
	render("Hello world, again.\n", &ROOT);
	OUT_IS(INFO("Hello world, again.") END);
}

static void
test_empty_line(void **state)
{
	(void)state;
	render("\n", &ROOT);
	OUT_IS("i\t\tnull.host\t1\r\n" END);
	render("a\n\nb\n", &ROOT);
	OUT_IS(INFO("a") INFO("") INFO("b") END);
}

static void
test_crlf_input(void **state)
{
	(void)state;
	render("a\r\nb\r\n", &ROOT);
	OUT_IS(INFO("a") INFO("b") END);
}

static void
test_dot_line_is_info(void **state)
{
	(void)state;
	render(".\n", &ROOT);
	OUT_IS(INFO(".") END);
}

static void
test_text_with_tab_stays_four_fields(void **state)
{
	struct menu	 m;
	char		 text[256];

	(void)state;
	render("a\tb\n", &ROOT);
	menu_split(OUT, OUTLEN, &m);
	assert_int_equal(m.n, 1);
	assert_non_null(info_text(m.line[0], text, sizeof(text)));
	assert_non_null(strchr(text, 'a'));
	assert_non_null(strchr(text, 'b'));
	menu_free(&m);
}

static void
test_length_bounds_input(void **state)
{
	(void)state;
	render_len("abc\ndef\n", 4, &ROOT);
	OUT_IS(INFO("abc") END);
}

/* ---- wrapping ---- */

static void
test_wrap_exactly_70(void **state)
{
	char	*a, *b, line[256];

	(void)state;
	a = repeat("a", 35);
	b = repeat("b", 34);
	snprintf(line, sizeof(line), "%s %s", a, b);
	assert_int_equal(strlen(line), 70);
	render(line, &ROOT);
	snprintf(line, sizeof(line), "i%s %s\t\tnull.host\t1\r\n.\r\n", a, b);
	OUT_IS(line);
	free(a);
	free(b);

	a = repeat("x", 70);
	render(a, &ROOT);
	snprintf(line, sizeof(line), "i%s\t\tnull.host\t1\r\n.\r\n", a);
	OUT_IS(line);
	free(a);
}

static void
test_wrap_71(void **state)
{
	char	*a, *b, line[256], want[512];

	(void)state;
	a = repeat("a", 35);
	b = repeat("b", 35);
	snprintf(line, sizeof(line), "%s %s", a, b);
	assert_int_equal(strlen(line), 71);
	render(line, &ROOT);
	snprintf(want, sizeof(want), "i%s\t\tnull.host\t1\r\ni%s\t\tnull.host\t1\r\n"
	    ".\r\n", a, b);
	OUT_IS(want);
	free(a);
	free(b);
}

static void
test_wrap_words(void **state)
{
	(void)state;
	/* Seven 9-letter words make 69 columns; the eighth goes on. */
	render("abcdefghi abcdefghi abcdefghi abcdefghi abcdefghi abcdefghi "
	    "abcdefghi abcdefghi\n", &ROOT);
	OUT_IS(INFO("abcdefghi abcdefghi abcdefghi abcdefghi abcdefghi abcdefghi "
	    "abcdefghi") INFO("abcdefghi") END);
}

static void
test_wrap_counts_characters(void **state)
{
	char	*u, *v, line[1024], want[1024];

	(void)state;
	/* 70 two-byte characters: 140 bytes, one line. */
	u = repeat("\xc3\xbc", 70);
	render(u, &ROOT);
	snprintf(want, sizeof(want), "i%s\t\tnull.host\t1\r\n.\r\n", u);
	OUT_IS(want);
	free(u);

	/* 35 + 1 + 34 characters fit; 35 + 1 + 35 do not. */
	u = repeat("\xc3\xbc", 35);
	v = repeat("\xe2\x82\xac", 34);
	snprintf(line, sizeof(line), "%s %s", u, v);
	render(line, &ROOT);
	snprintf(want, sizeof(want), "i%s %s\t\tnull.host\t1\r\n.\r\n", u, v);
	OUT_IS(want);
	free(v);
	v = repeat("\xe2\x82\xac", 35);
	snprintf(line, sizeof(line), "%s %s", u, v);
	render(line, &ROOT);
	snprintf(want, sizeof(want), "i%s\t\tnull.host\t1\r\ni%s\t\tnull.host\t1"
	    "\r\n.\r\n", u, v);
	OUT_IS(want);
	free(u);
	free(v);
}

static void
test_wrap_long_word(void **state)
{
	char	*w, *a, *b, *c, want[1024];

	(void)state;
	w = repeat("x", 150);
	a = repeat("x", 70);
	c = repeat("x", 10);
	render(w, &ROOT);
	snprintf(want, sizeof(want), "i%s\t\tnull.host\t1\r\ni%s\t\tnull.host\t1"
	    "\r\ni%s\t\tnull.host\t1\r\n.\r\n", a, a, c);
	OUT_IS(want);
	free(w);
	free(a);
	free(c);

	/* A hard break never splits a UTF-8 sequence. */
	w = repeat("\xc3\xbc", 71);
	b = repeat("\xc3\xbc", 70);
	render(w, &ROOT);
	snprintf(want, sizeof(want), "i%s\t\tnull.host\t1\r\ni\xc3\xbc\t\t"
	    "null.host\t1\r\n.\r\n", b);
	OUT_IS(want);
	free(w);
	free(b);
}

static void
test_wrap_long_word_among_words(void **state)
{
	struct menu	 m;
	char		*w, line[512], text[256];
	size_t		 i, total = 0;

	(void)state;
	w = repeat("y", 100);
	snprintf(line, sizeof(line), "short %s end", w);
	render(line, &ROOT);
	menu_split(OUT, OUTLEN, &m);
	assert_true(m.n >= 2);
	for (i = 0; i < m.n; i++) {
		assert_non_null(info_text(m.line[i], text, sizeof(text)));
		assert_true(chars(text) <= GOPHER_WIDTH);
		total += strspn(text + strcspn(text, "y"), "y");
	}
	/* Every character of the long word is still there. */
	assert_int_equal(total, 100);
	assert_non_null(strstr(m.line[0], "short"));
	assert_non_null(strstr(m.line[m.n - 1], "end"));
	menu_free(&m);
	free(w);
}

static void
test_wrap_paragraph(void **state)
{
	const char	*p = "This is a paragraph long enough that the Gopher "
	    "renderer has to wrap it at seventy columns, because it goes on and "
	    "on. And then it goes on some more, so that there are three lines "
	    "of it at the very least, maybe four.";

	(void)state;
	WRAPPED(p, "", p, 0);
	assert_true(OUTLEN > 0);
}

/* ---- headings ---- */

static void
test_heading1(void **state)
{
	(void)state;
	render("# Title\n", &ROOT);
	OUT_IS(INFO("Title") INFO("=====") END);
	render("#Title", &ROOT);
	OUT_IS(INFO("Title") INFO("=====") END);
}

static void
test_heading_underline_counts_characters(void **state)
{
	(void)state;
	render("# \xc3\x9cn\xc3\xaf\n", &ROOT);
	OUT_IS(INFO("\xc3\x9cn\xc3\xaf") INFO("===") END);
	render("## \xe2\x82\xac\xe2\x82\xac\n", &ROOT);
	OUT_IS(INFO("\xe2\x82\xac\xe2\x82\xac") INFO("--") END);
}

static void
test_heading2(void **state)
{
	(void)state;
	render("## Sub\n", &ROOT);
	OUT_IS(INFO("Sub") INFO("---") END);
}

static void
test_heading3(void **state)
{
	(void)state;
	render("### Minor\n", &ROOT);
	OUT_IS(INFO("Minor") INFO("-----") END);
}

/* ---- lists and quotes ---- */

static void
test_list_item(void **state)
{
	(void)state;
	render("* item\n", &ROOT);
	OUT_IS(INFO("* item") END);
	render("*item\n", &ROOT);
	OUT_IS(INFO("*item") END);
}

static void
test_list_wrapped(void **state)
{
	const char	*t = "Second item that is also rather long so that it "
	    "wraps onto a second line when rendered for Gopher menus, and then "
	    "onto a third line as well because it keeps going";

	(void)state;
	WRAPPED_HANGING("* Second item that is also rather long so that it "
	    "wraps onto a second line when rendered for Gopher menus, and then "
	    "onto a third line as well because it keeps going", "* ", "  ", t, 3);
}

/* One bullet per item: a wrapped item goes on with a hanging indent. */
static void
test_list_wrapped_one_bullet(void **state)
{
	(void)state;
	render("* strengthening potential in matters of ensuring security and "
	    "stability in the SCO region;\n* short\n", &ROOT);
	OUT_IS(INFO("* strengthening potential in matters of ensuring security "
	    "and") INFO("  stability in the SCO region;") INFO("* short") END);
}

static void
test_list_long_word_hanging(void **state)
{
	char	*w, *a, want[512];

	(void)state;
	/* A hard break inside one word keeps the hanging indent, too. */
	w = repeat("x", 100);
	a = repeat("x", 68);
	snprintf(want, sizeof(want), "* %s\n", w);
	render(want, &ROOT);
	snprintf(want, sizeof(want), "i* %s\t\tnull.host\t1\r\n"
	    "i  %s\t\tnull.host\t1\r\n.\r\n", a, a + 36);
	OUT_IS(want);
	free(w);
	free(a);
}

static void
test_quote(void **state)
{
	(void)state;
	render("> q\n", &ROOT);
	OUT_IS(INFO("> q") END);
	render(">q\n", &ROOT);
	OUT_IS(INFO("> q") END);
}

static void
test_quote_wrapped(void **state)
{
	const char	*t = "A quote that is also rather long so that it wraps "
	    "onto a second line when rendered for Gopher menus";

	(void)state;
	WRAPPED("> A quote that is also rather long so that it wraps onto a "
	    "second line when rendered for Gopher menus", "> ", t, 2);
}

/* ---- preformatted text ---- */

static void
test_pre_passes_through(void **state)
{
	char	*l, want[512];

	(void)state;
	l = repeat("z", 100);
	snprintf(want, sizeof(want), "```alt\n%s\n```\n", l);
	render(want, &ROOT);
	snprintf(want, sizeof(want), "i%s\t\tnull.host\t1\r\n.\r\n", l);
	OUT_IS(want);
	free(l);
}

static void
test_pre_fences_dropped(void **state)
{
	(void)state;
	render("before\n```alt text\nx\n```\nafter\n", &ROOT);
	OUT_IS(INFO("before") INFO("x") INFO("after") END);
	render("```\n```\n", &ROOT);
	OUT_IS(END);
}

static void
test_pre_verbatim(void **state)
{
	(void)state;
	render("```\n   leading spaces\n# not a heading\n=> not/a link\n\n```\n",
	    &ROOT);
	OUT_IS(INFO("   leading spaces") INFO("# not a heading")
	    INFO("=> not/a link") INFO("") END);
}

static void
test_pre_spaces_not_collapsed(void **state)
{
	(void)state;
	render("```\na    b     c\n```\n", &ROOT);
	OUT_IS(INFO("a    b     c") END);
}

static void
test_pre_tabs(void **state)
{
	(void)state;
	render("```\na\tb\n\tx\nabcdefgh\ty\nabcdefg\tz\n```\n", &ROOT);
	OUT_IS(INFO("a       b") INFO("        x") INFO("abcdefgh        y")
	    INFO("abcdefg z") END);
	render("```\npreformatted\twith a tab\n```\n", &ROOT);
	OUT_IS(INFO("preformatted    with a tab") END);
	render("```\na\t\tb\n```\n", &ROOT);
	OUT_IS(INFO("a               b") END);
}

static void
test_pre_tabs_count_characters(void **state)
{
	(void)state;
	render("```\n\xc3\xbc\tx\n```\n", &ROOT);
	OUT_IS(INFO("\xc3\xbc       x") END);
}

static void
test_pre_control_bytes_stay_four_fields(void **state)
{
	struct menu	 m;

	(void)state;
	render("```\na\rb\n```\n", &ROOT);
	menu_split(OUT, OUTLEN, &m);
	assert_int_equal(m.n, 1);
	assert_int_equal(m.line[0][0], 'i');
	menu_free(&m);
}

static void
test_pre_unterminated(void **state)
{
	(void)state;
	render("```\nx\n", &ROOT);
	OUT_IS(INFO("x") END);
}

/* ---- links ---- */

#define ITEM(t, disp, sel) t disp "\t" sel "\tlocalhost\t7070\r\n"

static void
test_link_local_page(void **state)
{
	(void)state;
	render("=> page.gmi A page\n", &ROOT);
	OUT_IS(ITEM("1", "A page", "/page.gmi") END);
	render("=> /page.gmi A page\n", &DOCS);
	OUT_IS(ITEM("1", "A page", "/page.gmi") END);
	render("=> x.gemini X\n", &ROOT);
	OUT_IS(ITEM("1", "X", "/x.gemini") END);
}

static void
test_link_local_dir(void **state)
{
	(void)state;
	render("=> docs/ Documents\n", &ROOT);
	OUT_IS(ITEM("1", "Documents", "/docs/") END);
	render("=> / Home\n", &DOCS);
	OUT_IS(ITEM("1", "Home", "/") END);
	render("=> ./ Here\n", &DOCS);
	OUT_IS(ITEM("1", "Here", "/docs/") END);
	render("=> ../ Up\n", &DOCS);
	OUT_IS(ITEM("1", "Up", "/") END);
}

static void
test_link_local_types(void **state)
{
	(void)state;
	render("=> notes.txt Notes\n", &ROOT);
	OUT_IS(ITEM("0", "Notes", "/notes.txt") END);
	render("=> image.png A picture\n", &ROOT);
	OUT_IS(ITEM("I", "A picture", "/image.png") END);
	render("=> photo.jpg Photo\n", &ROOT);
	OUT_IS(ITEM("I", "Photo", "/photo.jpg") END);
	render("=> anim.gif An animation\n", &ROOT);
	OUT_IS(ITEM("g", "An animation", "/anim.gif") END);
	render("=> data.bin Some data\n", &ROOT);
	OUT_IS(ITEM("9", "Some data", "/data.bin") END);
	render("=> doc.pdf A PDF\n", &ROOT);
	OUT_IS(ITEM("9", "A PDF", "/doc.pdf") END);
	render("=> page.html HTML\n", &ROOT);
	OUT_IS(ITEM("h", "HTML", "/page.html") END);
}

static void
test_link_relative(void **state)
{
	(void)state;
	render("=> ../page.gmi Up\n", &DOCS);
	OUT_IS(ITEM("1", "Up", "/page.gmi") END);
	render("=> guide.gmi The guide\n", &DOCS);
	OUT_IS(ITEM("1", "The guide", "/docs/guide.gmi") END);
	render("=> ./guide.gmi The guide\n", &DOCS);
	OUT_IS(ITEM("1", "The guide", "/docs/guide.gmi") END);
	render("=> sub/../guide.gmi The guide\n", &DOCS);
	OUT_IS(ITEM("1", "The guide", "/docs/guide.gmi") END);
}

static void
test_link_label_empty_shows_url(void **state)
{
	(void)state;
	render("=> page.gmi\n", &ROOT);
	OUT_IS(ITEM("1", "page.gmi", "/page.gmi") END);
	render("=> /notes.txt\n", &ROOT);
	OUT_IS(ITEM("0", "/notes.txt", "/notes.txt") END);
	render("=> https://example.org/\n", &ROOT);
	OUT_IS(ITEM("h", "https://example.org/", "URL:https://example.org/") END);
}

static void
test_link_percent_decoded(void **state)
{
	(void)state;
	render("=> with%20space.gmi S\n", &ROOT);
	OUT_IS(ITEM("1", "S", "/with space.gmi") END);
	render("=> %C3%BCn%C3%AF.gmi U\n", &ROOT);
	OUT_IS(ITEM("1", "U", "/\xc3\xbcn\xc3\xaf.gmi") END);
}

static void
test_link_gopher_urls(void **state)
{
	(void)state;
	render("=> gopher://example.org/0/about.txt About\n", &ROOT);
	OUT_IS("0About\t/about.txt\texample.org\t70\r\n" END);
	render("=> gopher://example.org:7070/1/a%20b Menu\n", &ROOT);
	OUT_IS("1Menu\t/a b\texample.org\t7070\r\n" END);
	render("=> gopher://example.org Root\n", &ROOT);
	OUT_IS("1Root\t\texample.org\t70\r\n" END);
	render("=> gopher://example.org/ Root\n", &ROOT);
	OUT_IS("1Root\t\texample.org\t70\r\n" END);
	render("=> gopher://example.org/9/file.bin Bin\n", &ROOT);
	OUT_IS("9Bin\t/file.bin\texample.org\t70\r\n" END);
	/* Types that are not items to follow: the label, as wrapped text. */
	render("=> gopher://example.org/ifoo Just text\n", &ROOT);
	OUT_IS("iJust text\t\tnull.host\t1\r\n" END);
	render("=> gopher://example.org/3err Error\n", &ROOT);
	OUT_IS("iError\t\tnull.host\t1\r\n" END);
}

static void
test_link_external(void **state)
{
	(void)state;
	render("=> https://example.org/ A web site\n", &ROOT);
	OUT_IS("hA web site\tURL:https://example.org/\tlocalhost\t7070\r\n" END);
	render("=> mailto:someone@example.org Write to us\n", &ROOT);
	OUT_IS("hWrite to us\tURL:mailto:someone@example.org\tlocalhost\t7070\r\n"
	    END);
	render("=> gemini://other.host/ Other\n", &ROOT);
	OUT_IS("hOther\tURL:gemini://other.host/\tlocalhost\t7070\r\n" END);
	render("=> gemini://example.org/ Another capsule\n", &ROOT);
	OUT_IS("hAnother capsule\tURL:gemini://example.org/\tlocalhost\t7070\r\n"
	    END);
}

static void
test_link_gemini_own_host_is_local(void **state)
{
	(void)state;
	render("=> gemini://localhost/page.gmi Here\n", &ROOT);
	OUT_IS(ITEM("1", "Here", "/page.gmi") END);
	render("=> gemini://localhost/docs/ Docs\n", &ROOT);
	OUT_IS(ITEM("1", "Docs", "/docs/") END);
	render("=> gemini://localhost/notes.txt Notes\n", &DOCS);
	OUT_IS(ITEM("0", "Notes", "/notes.txt") END);
}

static void
test_link_uses_ctx_host_port(void **state)
{
	const struct gopher_ctx	 c = {
		"gopher.example.net", 70, "/", "gem.example.net", NULL, NULL
	};

	(void)state;
	render("=> page.gmi P\n=> https://example.org/ W\n"
	    "=> gemini://gem.example.net/a.txt A\n"
	    "=> gemini://localhost/b.txt B\n", &c);
	OUT_IS("1P\t/page.gmi\tgopher.example.net\t70\r\n"
	    "hW\tURL:https://example.org/\tgopher.example.net\t70\r\n"
	    "0A\t/a.txt\tgopher.example.net\t70\r\n"
	    "hB\tURL:gemini://localhost/b.txt\tgopher.example.net\t70\r\n"
	    END);
}

static void
test_link_label_control_bytes(void **state)
{
	struct menu	 m;
	char		 f[256];

	(void)state;
	render("=> page.gmi a\tb\n=> page.gmi c\rd\n", &ROOT);
	menu_split(OUT, OUTLEN, &m);
	assert_int_equal(m.n, 2);
	field(m.line[0], 1, f, sizeof(f));
	assert_string_equal(f, "/page.gmi");
	field(m.line[0], 0, f, sizeof(f));
	assert_int_equal(f[0], '1');
	assert_int_equal(f[1], 'a');
	assert_int_equal(f[strlen(f) - 1], 'b');
	field(m.line[1], 1, f, sizeof(f));
	assert_string_equal(f, "/page.gmi");
	field(m.line[1], 0, f, sizeof(f));
	assert_int_equal(f[1], 'c');
	assert_int_equal(f[strlen(f) - 1], 'd');
	menu_free(&m);
}

static void
test_link_climbing_above_root(void **state)
{
	struct menu	 m;
	char		 f[256];
	size_t		 i;

	(void)state;
	render("=> ../../x Escape\n=> /../etc/passwd Passwd\n"
	    "=> ../../../docs/ Deep\n=> guide.gmi Fine\n", &DOCS);
	menu_split(OUT, OUTLEN, &m);
	assert_true(m.n >= 1);
	for (i = 0; i < m.n; i++) {
		field(m.line[i], 1, f, sizeof(f));
		if (strstr(f, "..") != NULL)
			fail_msg("selector with \"..\": %s", m.line[i]);
		if (strcmp(f, "/x") == 0 || strcmp(f, "/etc/passwd") == 0)
			fail_msg("climbing link clamped to a selector: %s",
			    m.line[i]);
	}
	assert_string_equal(m.line[m.n - 1],
	    "1Fine\t/docs/guide.gmi\tlocalhost\t7070");
	menu_free(&m);
}

static void
test_link_empty_url(void **state)
{
	struct menu	 m;

	(void)state;
	render("=>\n=> \ntext\n", &ROOT);
	menu_split(OUT, OUTLEN, &m);
	assert_true(m.n >= 1);
	assert_string_equal(m.line[m.n - 1], "itext\t\tnull.host\t1");
	menu_free(&m);
}

/* ---- classify ---- */

struct seen {
	int	 calls;
	int	 bad_arg;
	char	 path[8][256];
};

static int
classify(void *arg, const char *path, char *type, char *sel, size_t selsz)
{
	struct seen	*s = arg;

	if (s == NULL)
		return -1;
	if (s->calls < 8)
		snprintf(s->path[s->calls], sizeof(s->path[0]), "%s", path);
	s->calls++;
	if (strcmp(path, "/page.gmi") == 0) {
		*type = '0';
		snprintf(sel, selsz, "/custom");
		return 0;
	}
	if (strcmp(path, "/docs/") == 0) {
		*type = '1';
		snprintf(sel, selsz, "/d");
		return 0;
	}
	return -1;
}

static int
seen_has(const struct seen *s, const char *path)
{
	int	 i;

	for (i = 0; i < s->calls && i < 8; i++)
		if (strcmp(s->path[i], path) == 0)
			return 1;
	return 0;
}

static void
test_classify(void **state)
{
	struct seen		 s;
	struct gopher_ctx	 c = DOCS;
	int			 i;

	(void)state;
	memset(&s, 0, sizeof(s));
	c.classify = classify;
	c.arg = &s;
	render("=> ../page.gmi A\n=> ./ B\n=> other.gmi C\n"
	    "=> https://example.org/ D\n=> other.txt E\n", &c);
	OUT_IS("0A\t/custom\tlocalhost\t7070\r\n"
	    "1B\t/d\tlocalhost\t7070\r\n"
	    "1C\t/docs/other.gmi\tlocalhost\t7070\r\n"
	    "hD\tURL:https://example.org/\tlocalhost\t7070\r\n"
	    "0E\t/docs/other.txt\tlocalhost\t7070\r\n" END);
	/* Called with canonical paths, never with the reference as written. */
	assert_true(seen_has(&s, "/page.gmi"));
	assert_true(seen_has(&s, "/docs/"));
	assert_true(seen_has(&s, "/docs/other.gmi"));
	assert_true(seen_has(&s, "/docs/other.txt"));
	for (i = 0; i < s.calls && i < 8; i++) {
		if (s.path[i][0] != '/' || strstr(s.path[i], "/.") != NULL ||
		    strstr(s.path[i], "//") != NULL)
			fail_msg("classify called with \"%s\"", s.path[i]);
	}
}

/* ---- whole pages ---- */

static void
test_fixture_index(void **state)
{
	char	*s;
	size_t	 len;

	(void)state;
	s = unit_slurp(FIXTURE_ROOT "/index.gmi", &len);
	render_len(s, len, &ROOT);
	OUT_IS(INFO("Fixture home")
	    INFO("============")
	    INFO("")
	    INFO("Welcome to the fixture tree.")
	    INFO("")
	    ITEM("1", "A page", "/page.gmi")
	    ITEM("1", "Documents", "/docs/")
	    ITEM("1", "A directory without index", "/plain/")
	    ITEM("0", "Notes", "/notes.txt")
	    ITEM("I", "A picture", "/image.png")
	    ITEM("g", "An animation", "/anim.gif")
	    ITEM("9", "Some data", "/data.bin")
	    "0About over Gopher\t/about.txt\texample.org\t70\r\n"
	    "hA web site\tURL:https://example.org/\tlocalhost\t7070\r\n"
	    "hAnother capsule\tURL:gemini://example.org/\tlocalhost\t7070\r\n"
	    END);
	free(s);
}

static void
test_fixture_page(void **state)
{
	struct menu	 m;
	char		*s, text[256], f[256];
	size_t		 len, i;
	int		 in_pre_seen = 0;

	(void)state;
	s = unit_slurp(FIXTURE_ROOT "/page.gmi", &len);
	render_len(s, len, &ROOT);
	menu_split(OUT, OUTLEN, &m);
	assert_string_equal(m.line[0], "iA heading\t\tnull.host\t1");
	assert_string_equal(m.line[1], "i=========\t\tnull.host\t1");
	assert_contains(OUT, OUTLEN, INFO("A subheading") INFO("------------"));
	assert_contains(OUT, OUTLEN, INFO("A minor heading")
	    INFO("---------------"));
	assert_contains(OUT, OUTLEN, INFO("* First item"));
	assert_contains(OUT, OUTLEN, INFO("preformatted    with a tab"));
	assert_contains(OUT, OUTLEN, INFO("   and leading spaces that must "
	    "survive exactly as they are, however long the line is"));
	assert_contains(OUT, OUTLEN, ITEM("1", "Documents", "/docs/"));
	assert_contains(OUT, OUTLEN, ITEM("0", "/notes.txt", "/notes.txt"));
	assert_contains(OUT, OUTLEN, "hWrite to us\tURL:mailto:someone@"
	    "example.org\tlocalhost\t7070\r\n");
	assert_not_contains(OUT, OUTLEN, "```");
	assert_not_contains(OUT, OUTLEN, "alt text");
	for (i = 0; i < m.n; i++) {
		field(m.line[i], 1, f, sizeof(f));
		assert_null(strstr(f, ".."));
		if (info_text(m.line[i], text, sizeof(text)) == NULL)
			continue;
		if (strncmp(text, "   and leading", 14) == 0) {
			in_pre_seen = 1;
			continue;
		}
		if (chars(text) > GOPHER_WIDTH)
			fail_msg("line over %d characters: %s", GOPHER_WIDTH,
			    m.line[i]);
	}
	assert_int_equal(in_pre_seen, 1);
	menu_free(&m);
	free(s);
}

/* ---- gophermap_info ---- */

static void
test_info(void **state)
{
	struct buf	 b;
	char		*l;

	(void)state;
	buf_init(&b);
	gophermap_info(&b, "hello", 5);
	take(&b);
	OUT_IS("ihello\t\tnull.host\t1\r\n");

	gophermap_info(&b, "", 0);
	take(&b);
	OUT_IS("i\t\tnull.host\t1\r\n");

	gophermap_info(&b, "hello", 3);
	take(&b);
	OUT_IS("ihel\t\tnull.host\t1\r\n");

	gophermap_info(&b, "a\tb\rc\nd", 7);
	take(&b);
	OUT_IS("ia b c d\t\tnull.host\t1\r\n");

	/* One line, however long. */
	l = repeat("w", 100);
	gophermap_info(&b, l, 100);
	take(&b);
	assert_int_equal(OUTLEN, 1 + 100 + strlen("\t\tnull.host\t1\r\n"));
	assert_int_equal(memcmp(OUT + 1, l, 100), 0);
	free(l);
}

static void
test_info_appends(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b);
	buf_adds(&b, "X");
	gophermap_info(&b, "a", 1);
	gophermap_info(&b, "b", 1);
	take(&b);
	OUT_IS("Xia\t\tnull.host\t1\r\nib\t\tnull.host\t1\r\n");
}

/* ---- gophermap_error ---- */

static void
test_error(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b);
	gophermap_error(&b, "Not found");
	take(&b);
	OUT_IS("3Not found\t\terror.host\t1\r\n.\r\n");

	gophermap_error(&b, "Bad request");
	take(&b);
	OUT_IS("3Bad request\t\terror.host\t1\r\n.\r\n");
}

/* ---- gophermap_url_page ---- */

static void
test_url_page_escapes(void **state)
{
	const char	*url = "https://example.org/?a=1&b=<x>\"";
	const char	*errstr = NULL;
	struct buf	 b;

	(void)state;
	buf_init(&b);
	assert_int_equal(gophermap_url_page(url, strlen(url), &b, &errstr), 0);
	take(&b);
	assert_contains(OUT, OUTLEN,
	    "https://example.org/?a=1&amp;b=&lt;x&gt;&quot;");
	assert_contains(OUT, OUTLEN, "href=");
	assert_not_contains(OUT, OUTLEN, "<x>");
	assert_not_contains(OUT, OUTLEN, "a=1&b");
	assert_not_contains(OUT, OUTLEN, "<x");
}

static void
test_url_page_plain(void **state)
{
	const char	*url = "gopher://example.org/1/";
	const char	*errstr = NULL;
	struct buf	 b;

	(void)state;
	buf_init(&b);
	assert_int_equal(gophermap_url_page(url, strlen(url), &b, &errstr), 0);
	take(&b);
	assert_contains(OUT, OUTLEN, url);
	assert_contains(OUT, OUTLEN, "href=");

	/* The length bounds the URL. */
	assert_int_equal(gophermap_url_page("https://a.example/xyz", 17, &b,
	    &errstr), 0);
	take(&b);
	assert_contains(OUT, OUTLEN, "https://a.example");
	assert_not_contains(OUT, OUTLEN, "xyz");
}

static void
refused_at(const char *url, const char *file, int line)
{
	const char	*errstr = NULL;
	struct buf	 b;
	int		 rc;

	buf_init(&b);
	rc = gophermap_url_page(url, strlen(url), &b, &errstr);
	buf_free(&b);
	if (rc != -1 || errstr == NULL || errstr[0] == '\0') {
		print_error("%s:%d: gophermap_url_page(\"%s\") rc %d errstr %s, "
		    "want -1 with errstr\n", file, line, url, rc,
		    errstr ? errstr : "(null)");
		_fail(file, line);
	}
}

#define REFUSED(url)	refused_at((url), __FILE__, __LINE__)

static void
test_url_page_refused(void **state)
{
	(void)state;
	REFUSED("javascript:alert(1)");
	REFUSED("JavaScript:x");
	REFUSED("JAVASCRIPT:x");
	REFUSED(" javascript:x");
	REFUSED("data:text/html,x");
	REFUSED("DATA:text/html,x");
	REFUSED("vbscript:x");
	REFUSED("VBScript:x");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_empty_input, teardown),
		cmocka_unit_test_teardown(test_text_line, teardown),
		cmocka_unit_test_teardown(test_empty_line, teardown),
		cmocka_unit_test_teardown(test_crlf_input, teardown),
		cmocka_unit_test_teardown(test_dot_line_is_info, teardown),
		cmocka_unit_test_teardown(test_text_with_tab_stays_four_fields, teardown),
		cmocka_unit_test_teardown(test_length_bounds_input, teardown),
		cmocka_unit_test_teardown(test_wrap_exactly_70, teardown),
		cmocka_unit_test_teardown(test_wrap_71, teardown),
		cmocka_unit_test_teardown(test_wrap_words, teardown),
		cmocka_unit_test_teardown(test_wrap_counts_characters, teardown),
		cmocka_unit_test_teardown(test_wrap_long_word, teardown),
		cmocka_unit_test_teardown(test_wrap_long_word_among_words, teardown),
		cmocka_unit_test_teardown(test_wrap_paragraph, teardown),
		cmocka_unit_test_teardown(test_heading1, teardown),
		cmocka_unit_test_teardown(test_heading_underline_counts_characters, teardown),
		cmocka_unit_test_teardown(test_heading2, teardown),
		cmocka_unit_test_teardown(test_heading3, teardown),
		cmocka_unit_test_teardown(test_list_item, teardown),
		cmocka_unit_test_teardown(test_list_wrapped, teardown),
		cmocka_unit_test_teardown(test_list_wrapped_one_bullet, teardown),
		cmocka_unit_test_teardown(test_list_long_word_hanging, teardown),
		cmocka_unit_test_teardown(test_quote, teardown),
		cmocka_unit_test_teardown(test_quote_wrapped, teardown),
		cmocka_unit_test_teardown(test_pre_passes_through, teardown),
		cmocka_unit_test_teardown(test_pre_fences_dropped, teardown),
		cmocka_unit_test_teardown(test_pre_verbatim, teardown),
		cmocka_unit_test_teardown(test_pre_spaces_not_collapsed, teardown),
		cmocka_unit_test_teardown(test_pre_tabs, teardown),
		cmocka_unit_test_teardown(test_pre_tabs_count_characters, teardown),
		cmocka_unit_test_teardown(test_pre_control_bytes_stay_four_fields, teardown),
		cmocka_unit_test_teardown(test_pre_unterminated, teardown),
		cmocka_unit_test_teardown(test_link_local_page, teardown),
		cmocka_unit_test_teardown(test_link_local_dir, teardown),
		cmocka_unit_test_teardown(test_link_local_types, teardown),
		cmocka_unit_test_teardown(test_link_relative, teardown),
		cmocka_unit_test_teardown(test_link_label_empty_shows_url, teardown),
		cmocka_unit_test_teardown(test_link_percent_decoded, teardown),
		cmocka_unit_test_teardown(test_link_gopher_urls, teardown),
		cmocka_unit_test_teardown(test_link_external, teardown),
		cmocka_unit_test_teardown(test_link_gemini_own_host_is_local, teardown),
		cmocka_unit_test_teardown(test_link_uses_ctx_host_port, teardown),
		cmocka_unit_test_teardown(test_link_label_control_bytes, teardown),
		cmocka_unit_test_teardown(test_link_climbing_above_root, teardown),
		cmocka_unit_test_teardown(test_link_empty_url, teardown),
		cmocka_unit_test_teardown(test_classify, teardown),
		cmocka_unit_test_teardown(test_fixture_index, teardown),
		cmocka_unit_test_teardown(test_fixture_page, teardown),
		cmocka_unit_test_teardown(test_info, teardown),
		cmocka_unit_test_teardown(test_info_appends, teardown),
		cmocka_unit_test_teardown(test_error, teardown),
		cmocka_unit_test_teardown(test_url_page_escapes, teardown),
		cmocka_unit_test_teardown(test_url_page_plain, teardown),
		cmocka_unit_test_teardown(test_url_page_refused, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
