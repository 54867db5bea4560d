/* Unit tests for src/gemtext.c: the line parser. */
#include "unit.h"

#include "gemtext.h"

#define MAXLINES	64

struct parsed {
	size_t		 n;
	struct gmi_line	 l[MAXLINES];
};

static const char *
type_name(enum gmi_type t)
{
	switch (t) {
	case GMI_TEXT:		return "TEXT";
	case GMI_LINK:		return "LINK";
	case GMI_HEADING1:	return "HEADING1";
	case GMI_HEADING2:	return "HEADING2";
	case GMI_HEADING3:	return "HEADING3";
	case GMI_LIST:		return "LIST";
	case GMI_QUOTE:		return "QUOTE";
	case GMI_PRE_START:	return "PRE_START";
	case GMI_PRE:		return "PRE";
	case GMI_PRE_END:	return "PRE_END";
	}
	return "?";
}

/* Parses len bytes of s, which must stay alive while lines are examined. */
static void
parse_all(const char *s, size_t len, struct parsed *p)
{
	struct gmi_parser	 gp;
	struct gmi_line		 l;

	memset(p, 0, sizeof(*p));
	gemtext_init(&gp, s, len);
	for (;;) {
		memset(&l, 0xa5, sizeof(l));
		if (gemtext_next(&gp, &l) == 0)
			break;
		if (p->n == MAXLINES)
			fail_msg("more than %d lines from a short input", MAXLINES);
		p->l[p->n++] = l;
	}
	/* The end is sticky. */
	assert_int_equal(gemtext_next(&gp, &l), 0);
}

static void
parse_str(const char *s, struct parsed *p)
{
	parse_all(s, strlen(s), p);
}

static void
expect_count_at(const struct parsed *p, size_t n, const char *file, int line)
{
	if (p->n != n) {
		print_error("%s:%d: %zu lines, want %zu\n", file, line, p->n, n);
		_fail(file, line);
	}
}

#define COUNT(p, n)	expect_count_at((p), (n), __FILE__, __LINE__)

/* Checks one line's type and text (and url for links, when url != NULL). */
static void
expect_line_at(const struct parsed *p, size_t i, enum gmi_type type,
    const char *text, const char *url, const char *file, int line)
{
	const struct gmi_line	*l;
	char			 got[512], want[512];

	if (i >= p->n) {
		print_error("%s:%d: line %zu missing (%zu lines)\n", file, line,
		    i, p->n);
		_fail(file, line);
	}
	l = &p->l[i];
	if (l->type != type) {
		print_error("%s:%d: line %zu type %s, want %s\n", file, line, i,
		    type_name(l->type), type_name(type));
		_fail(file, line);
	}
	if ((l->textlen > 0 && l->text == NULL) || l->textlen != strlen(text) ||
	    memcmp(l->text, text, l->textlen) != 0) {
		unit_show(l->text, l->text ? l->textlen : 0, got, sizeof(got));
		unit_show(text, strlen(text), want, sizeof(want));
		print_error("%s:%d: line %zu (%s) text \"%s\" (%zu), want \"%s\" "
		    "(%zu)\n", file, line, i, type_name(type), got, l->textlen,
		    want, strlen(text));
		_fail(file, line);
	}
	if (url == NULL)
		return;
	if ((l->urllen > 0 && l->url == NULL) || l->urllen != strlen(url) ||
	    memcmp(l->url, url, l->urllen) != 0) {
		unit_show(l->url, l->url ? l->urllen : 0, got, sizeof(got));
		unit_show(url, strlen(url), want, sizeof(want));
		print_error("%s:%d: line %zu url \"%s\" (%zu), want \"%s\" (%zu)\n",
		    file, line, i, got, l->urllen, want, strlen(url));
		_fail(file, line);
	}
}

#define LINE(p, i, type, text) \
	expect_line_at((p), (i), (type), (text), NULL, __FILE__, __LINE__)
#define LINK(p, i, url, text) \
	expect_line_at((p), (i), GMI_LINK, (text), (url), __FILE__, __LINE__)

/* One line on its own parses as exactly one line of this shape. */
static void
one_at(const char *s, enum gmi_type type, const char *text, const char *url,
    const char *file, int line)
{
	struct parsed	 p;

	parse_str(s, &p);
	expect_count_at(&p, 1, file, line);
	expect_line_at(&p, 0, type, text, url, file, line);
}

#define ONE(s, type, text)	one_at((s), (type), (text), NULL, __FILE__, __LINE__)
#define ONELINK(s, url, text)	one_at((s), GMI_LINK, (text), (url), __FILE__, __LINE__)

/* ---- links ---- */

static void
test_link(void **state)
{
	(void)state;
	ONELINK("=> gemini://example.org/ label", "gemini://example.org/", "label");
	ONELINK("=> url label\n", "url", "label");
	ONELINK("=> page.gmi A page", "page.gmi", "A page");
}

static void
test_link_whitespace(void **state)
{
	(void)state;
	ONELINK("=>url label", "url", "label");
	ONELINK("=>  url   label", "url", "label");
	ONELINK("=>\turl\tlabel", "url", "label");
	ONELINK("=> \t url \t  label", "url", "label");
	ONELINK("=>url", "url", "");
	/* Spaces inside the label are kept. */
	ONELINK("=> url a  label with  spaces", "url", "a  label with  spaces");
}

static void
test_link_without_label(void **state)
{
	struct parsed	 p;

	(void)state;
	parse_str("=> url", &p);
	COUNT(&p, 1);
	LINK(&p, 0, "url", "");
	assert_int_equal(p.l[0].textlen, 0);
	assert_int_equal(p.l[0].urllen, 3);

	parse_str("=> /notes.txt\n", &p);
	COUNT(&p, 1);
	LINK(&p, 0, "/notes.txt", "");
	assert_int_equal(p.l[0].textlen, 0);
}

static void
test_link_empty(void **state)
{
	struct parsed	 p;

	(void)state;
	parse_str("=>", &p);
	COUNT(&p, 1);
	assert_int_equal(p.l[0].type, GMI_LINK);
	assert_int_equal(p.l[0].urllen, 0);
	assert_int_equal(p.l[0].textlen, 0);

	parse_str("=>\n", &p);
	COUNT(&p, 1);
	assert_int_equal(p.l[0].type, GMI_LINK);
	assert_int_equal(p.l[0].urllen, 0);
}

static void
test_link_crlf(void **state)
{
	struct parsed	 p;

	(void)state;
	parse_str("=> u l\r\n=> v\r\n", &p);
	COUNT(&p, 2);
	LINK(&p, 0, "u", "l");
	LINK(&p, 1, "v", "");
}

static void
test_not_links(void **state)
{
	(void)state;
	ONE("= > x", GMI_TEXT, "= > x");
	ONE("=x", GMI_TEXT, "=x");
	ONE("x => y", GMI_TEXT, "x => y");
}

/* ---- headings ---- */

static void
test_headings(void **state)
{
	(void)state;
	ONE("# h", GMI_HEADING1, "h");
	ONE("#h", GMI_HEADING1, "h");
	ONE("# Fixture home", GMI_HEADING1, "Fixture home");
	ONE("## h2", GMI_HEADING2, "h2");
	ONE("##h2", GMI_HEADING2, "h2");
	ONE("### h3", GMI_HEADING3, "h3");
	ONE("###h3", GMI_HEADING3, "h3");
	ONE("# \xc3\x9cn\xc3\xaf", GMI_HEADING1, "\xc3\x9cn\xc3\xaf");
}

/* ---- lists and quotes ---- */

static void
test_list(void **state)
{
	(void)state;
	ONE("* item", GMI_LIST, "item");
	ONE("* First item\n", GMI_LIST, "First item");
	ONE("*item", GMI_TEXT, "*item");
	ONE("**bold**", GMI_TEXT, "**bold**");
}

static void
test_quote(void **state)
{
	(void)state;
	ONE("> q", GMI_QUOTE, "q");
	ONE(">q", GMI_QUOTE, "q");
	ONE("> a longer quote", GMI_QUOTE, "a longer quote");
}

/* ---- preformatted blocks ---- */

static void
test_pre_block(void **state)
{
	struct parsed	 p;

	(void)state;
	parse_str("```alt\n# x\n=> y z\n* i\n> q\n  spaced\ttab\n\n```\n# after\n", &p);
	COUNT(&p, 9);
	LINE(&p, 0, GMI_PRE_START, "alt");
	LINE(&p, 1, GMI_PRE, "# x");
	LINE(&p, 2, GMI_PRE, "=> y z");
	LINE(&p, 3, GMI_PRE, "* i");
	LINE(&p, 4, GMI_PRE, "> q");
	LINE(&p, 5, GMI_PRE, "  spaced\ttab");
	LINE(&p, 6, GMI_PRE, "");
	assert_int_equal(p.l[7].type, GMI_PRE_END);
	LINE(&p, 8, GMI_HEADING1, "after");
}

static void
test_pre_no_alt(void **state)
{
	struct parsed	 p;

	(void)state;
	parse_str("```\nx\n```\n", &p);
	COUNT(&p, 3);
	LINE(&p, 0, GMI_PRE_START, "");
	LINE(&p, 1, GMI_PRE, "x");
	assert_int_equal(p.l[2].type, GMI_PRE_END);
}

static void
test_pre_two_blocks(void **state)
{
	struct parsed	 p;

	(void)state;
	parse_str("```a\n1\n```\ntext\n```b\n2\n```", &p);
	COUNT(&p, 7);
	LINE(&p, 0, GMI_PRE_START, "a");
	LINE(&p, 1, GMI_PRE, "1");
	assert_int_equal(p.l[2].type, GMI_PRE_END);
	LINE(&p, 3, GMI_TEXT, "text");
	LINE(&p, 4, GMI_PRE_START, "b");
	LINE(&p, 5, GMI_PRE, "2");
	assert_int_equal(p.l[6].type, GMI_PRE_END);
}

static void
test_pre_unterminated(void **state)
{
	struct parsed	 p;

	(void)state;
	parse_str("```\nx\n# y", &p);
	COUNT(&p, 3);
	LINE(&p, 0, GMI_PRE_START, "");
	LINE(&p, 1, GMI_PRE, "x");
	LINE(&p, 2, GMI_PRE, "# y");

	parse_str("```only", &p);
	COUNT(&p, 1);
	LINE(&p, 0, GMI_PRE_START, "only");
}

static void
test_pre_crlf(void **state)
{
	struct parsed	 p;

	(void)state;
	parse_str("```alt\r\nx\r\n```\r\n", &p);
	COUNT(&p, 3);
	LINE(&p, 0, GMI_PRE_START, "alt");
	LINE(&p, 1, GMI_PRE, "x");
	assert_int_equal(p.l[2].type, GMI_PRE_END);
}

/* ---- text lines and line ends ---- */

static void
test_text(void **state)
{
	(void)state;
	ONE("Hello world", GMI_TEXT, "Hello world");
	ONE("Hello world\n", GMI_TEXT, "Hello world");
	ONE("\xc3\xbc" "ber", GMI_TEXT, "\xc3\xbc" "ber");
	ONE("``not a fence", GMI_TEXT, "``not a fence");
}

/* A text line has no marker: its text is the whole line, leading blanks too. */
static void
test_text_leading_whitespace(void **state)
{
	(void)state;
	ONE("  indented", GMI_TEXT, "  indented");
	ONE("\tindented", GMI_TEXT, "\tindented");
	ONE(" => x", GMI_TEXT, " => x");
	ONE(" # x", GMI_TEXT, " # x");
	ONE(" * x", GMI_TEXT, " * x");
	ONE("   ", GMI_TEXT, "   ");
}

static void
test_empty_input(void **state)
{
	struct parsed	 p;

	(void)state;
	parse_all("", 0, &p);
	COUNT(&p, 0);
	/* The length bounds the input: nothing past it is read. */
	parse_all("# not me\n", 0, &p);
	COUNT(&p, 0);
}

static void
test_empty_lines(void **state)
{
	struct parsed	 p;

	(void)state;
	parse_str("\n", &p);
	COUNT(&p, 1);
	LINE(&p, 0, GMI_TEXT, "");
	assert_int_equal(p.l[0].textlen, 0);

	parse_str("\r\n", &p);
	COUNT(&p, 1);
	LINE(&p, 0, GMI_TEXT, "");

	parse_str("a\n\nb\n", &p);
	COUNT(&p, 3);
	LINE(&p, 0, GMI_TEXT, "a");
	LINE(&p, 1, GMI_TEXT, "");
	LINE(&p, 2, GMI_TEXT, "b");

	parse_str("\n\n\n", &p);
	COUNT(&p, 3);
}

static void
test_crlf(void **state)
{
	struct parsed	 p;

	(void)state;
	parse_str("# h\r\ntext\r\n* i\r\n> q\r\n", &p);
	COUNT(&p, 4);
	LINE(&p, 0, GMI_HEADING1, "h");
	LINE(&p, 1, GMI_TEXT, "text");
	LINE(&p, 2, GMI_LIST, "i");
	LINE(&p, 3, GMI_QUOTE, "q");
}

static void
test_last_line_without_lf(void **state)
{
	struct parsed	 p;

	(void)state;
	parse_str("a\nb", &p);
	COUNT(&p, 2);
	LINE(&p, 0, GMI_TEXT, "a");
	LINE(&p, 1, GMI_TEXT, "b");

	parse_str("# x\n=> u l", &p);
	COUNT(&p, 2);
	LINE(&p, 0, GMI_HEADING1, "x");
	LINK(&p, 1, "u", "l");
}

static void
test_length_bounds_input(void **state)
{
	struct parsed	 p;
	const char	*s = "abc\ndef\nghi";

	(void)state;
	parse_all(s, 6, &p);
	COUNT(&p, 2);
	LINE(&p, 0, GMI_TEXT, "abc");
	LINE(&p, 1, GMI_TEXT, "de");
}

static void
test_text_points_into_input(void **state)
{
	struct parsed	 p;
	const char	*s = "# h\n=> u l\n";

	(void)state;
	parse_str(s, &p);
	COUNT(&p, 2);
	/* No copies: pointers into the caller's buffer. */
	assert_ptr_equal(p.l[0].text, s + 2);
	assert_ptr_equal(p.l[1].url, s + 7);
	assert_ptr_equal(p.l[1].text, s + 9);
}

static void
test_fixture_page(void **state)
{
	struct parsed	 p;
	char		*s;
	size_t		 len;

	(void)state;
	s = unit_slurp(FIXTURE_ROOT "/page.gmi", &len);
	parse_all(s, len, &p);
	COUNT(&p, 21);
	LINE(&p, 0, GMI_HEADING1, "A heading");
	LINE(&p, 1, GMI_TEXT, "");
	LINE(&p, 2, GMI_HEADING2, "A subheading");
	LINE(&p, 4, GMI_HEADING3, "A minor heading");
	assert_int_equal(p.l[6].type, GMI_TEXT);
	assert_int_equal(p.l[6].textlen, 118);
	LINE(&p, 8, GMI_LIST, "First item");
	assert_int_equal(p.l[9].type, GMI_LIST);
	assert_int_equal(p.l[10].type, GMI_QUOTE);
	LINE(&p, 12, GMI_PRE_START, "alt text");
	LINE(&p, 13, GMI_PRE, "preformatted\twith a tab");
	assert_int_equal(p.l[14].type, GMI_PRE);
	assert_int_equal(p.l[15].type, GMI_PRE_END);
	LINK(&p, 17, "docs/", "Documents");
	LINK(&p, 18, "/notes.txt", "");
	LINK(&p, 19, "../page.gmi", "Self via dot-dot");
	LINK(&p, 20, "mailto:someone@example.org", "Write to us");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_link),
		cmocka_unit_test(test_link_whitespace),
		cmocka_unit_test(test_link_without_label),
		cmocka_unit_test(test_link_empty),
		cmocka_unit_test(test_link_crlf),
		cmocka_unit_test(test_not_links),
		cmocka_unit_test(test_headings),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_quote),
		cmocka_unit_test(test_pre_block),
		cmocka_unit_test(test_pre_no_alt),
		cmocka_unit_test(test_pre_two_blocks),
		cmocka_unit_test(test_pre_unterminated),
		cmocka_unit_test(test_pre_crlf),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_text_leading_whitespace),
		cmocka_unit_test(test_empty_input),
		cmocka_unit_test(test_empty_lines),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_last_line_without_lf),
		cmocka_unit_test(test_length_bounds_input),
		cmocka_unit_test(test_text_points_into_input),
		cmocka_unit_test(test_fixture_page),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
