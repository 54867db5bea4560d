/* Unit tests for src/atom.c: gemfeed pages as Atom 1.0 feeds. */
#include "unit.h"

#include "atom.h"
#include "buf.h"

#define BASE	"gemini://example.org/news/"
#define HEAD(title, updated) \
	"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n" \
	"<feed xmlns=\"http://www.w3.org/2005/Atom\">\n" \
	"  <title>" title "</title>\n" \
	"  <id>" BASE "</id>\n" \
	"  <updated>" updated "T00:00:00Z</updated>\n" \
	"  <author><name>example.org</name></author>\n" \
	"  <link rel=\"self\" type=\"application/atom+xml\" href=\"" BASE \
	"atom.xml\"/>\n" \
	"  <link rel=\"alternate\" href=\"" BASE "\"/>\n"
#define ENTRY(title, url, date) \
	"  <entry>\n" \
	"    <title>" title "</title>\n" \
	"    <link href=\"" url "\"/>\n" \
	"    <id>" url "</id>\n" \
	"    <updated>" date "T00:00:00Z</updated>\n"
#define SUMMARY(s)	"    <summary>" s "</summary>\n"
#define END_ENTRY	"  </entry>\n"
#define END		"</feed>\n"

static char	*OUT;
static size_t	 OUTLEN;
static int	 CALLS;

static int
teardown(void **state)
{
	(void)state;
	free(OUT);
	OUT = NULL;
	OUTLEN = 0;
	CALLS = 0;
	return 0;
}

/* Renders page as a feed under f (base BASE unless set); returns atom_render's. */
static int
render_feed(const char *page, struct atom_feed *f)
{
	struct buf	 b;
	const char	*errstr = NULL;
	int		 r;

	if (f->base == NULL)
		f->base = BASE;
	buf_init(&b);
	r = atom_render(page, strlen(page), f, &b, &errstr);
	assert_int_equal(b.failed, 0);
	if (r == -1) {
		assert_non_null(errstr);
		assert_int_equal(b.len, 0);
	}
	free(OUT);
	OUT = buf_take(&b, &OUTLEN);
	assert_non_null(OUT);
	return r;
}

static void
render_ok(const char *page, struct atom_feed *f)
{
	assert_int_equal(render_feed(page, f), 0);
}

#define OUT_IS(want)	assert_bytes_str(OUT, OUTLEN, (want))

/* Summaries: "sum of <ref>" for refs naming a .gmi page, else none. */
static const char *
summary_stub(void *arg, const char *ref, size_t len, size_t *slen)
{
	static char	 s[256];
	int		 n;

	(void)arg;
	CALLS++;
	if (len < 4 || memcmp(ref + len - 4, ".gmi", 4) != 0)
		return NULL;
	n = snprintf(s, sizeof(s), "sum of %.*s", (int)len, ref);
	assert_true(n > 0 && (size_t)n < sizeof(s));
	*slen = (size_t)n;
	return s;
}

/* ---- what is a gemfeed ---- */

static void
test_is_gemfeed(void **state)
{
	(void)state;
	assert_int_equal(atom_is_gemfeed("=> a.gmi 2024-01-31 Post\n", 25), 1);
	assert_int_equal(atom_is_gemfeed("# T\n\n=> a.gmi 2024-02-29\n", 25), 1);
	assert_int_equal(atom_is_gemfeed("=> a.gmi 2024-01-01: Post", 25), 1);
	assert_int_equal(atom_is_gemfeed("", 0), 0);
	assert_int_equal(atom_is_gemfeed("# Title\n=> a.gmi Post\n", 22), 0);
	assert_int_equal(atom_is_gemfeed("2024-01-01 a text line\n", 23), 0);
	assert_int_equal(atom_is_gemfeed("* 2024-01-01 a list item\n", 25), 0);
}

static void
test_is_gemfeed_real_dates_only(void **state)
{
	static const char *const	 bad[] = {
		"=> a.gmi 2024-13-01 Post", "=> a.gmi 2024-00-10 Post",
		"=> a.gmi 2024-04-31 Post", "=> a.gmi 2023-02-29 Post",
		"=> a.gmi 1900-02-29 Post", "=> a.gmi 2024-1-01 Post",
		"=> a.gmi 2024/01/01 Post", "=> a.gmi 2024-01-011 Post",
		"=> a.gmi 2024-01-01x Post", "=> a.gmi 2024-01-0",
		"=> a.gmi x2024-01-01 Post", "=> 2024-01-01",
		"```\n=> a.gmi 2024-01-01 Post\n```",
	};
	size_t				 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (atom_is_gemfeed(bad[i], strlen(bad[i])) != 0)
			fail_msg("a gemfeed: \"%s\"", bad[i]);
	}
	assert_int_equal(atom_is_gemfeed("=> a 2000-02-29", 15), 1);
	assert_int_equal(atom_is_gemfeed("=> a 2024-12-31", 15), 1);
}

/* ---- whole feeds ---- */

static void
test_feed_exact(void **state)
{
	struct atom_feed	f = { NULL, NULL, NULL, summary_stub, NULL };

	(void)state;
	render_ok("# News\n"
	    "\n"
	    "Some text.\n"
	    "=> 2024-06-01-b.gmi 2024-06-01 Second post\n"
	    "=> 2023-07-04-a.gmi 2023-07-04 - First post\n"
	    "=> ../ Up\n", &f);
	OUT_IS(HEAD("News", "2024-06-01")
	    ENTRY("Second post", BASE "2024-06-01-b.gmi", "2024-06-01")
	    SUMMARY("sum of 2024-06-01-b.gmi") END_ENTRY
	    ENTRY("First post", BASE "2023-07-04-a.gmi", "2023-07-04")
	    SUMMARY("sum of 2023-07-04-a.gmi") END_ENTRY
	    END);
	assert_int_equal(CALLS, 2);
}

static void
test_no_entry_for_undated_links(void **state)
{
	struct atom_feed	f = { NULL, NULL, "T", NULL, NULL };

	(void)state;
	render_ok("=> a.gmi Not dated\n"
	    "=> b.gmi 2024-01-01 Dated\n"
	    "=> c.gmi 2024-01-32 Not a day\n"
	    "2024-01-02 text, not a link\n"
	    "```\n=> d.gmi 2024-01-03 preformatted\n```\n"
	    "=> / Home\n", &f);
	OUT_IS(HEAD("T", "2024-01-01")
	    ENTRY("Dated", BASE "b.gmi", "2024-01-01") END_ENTRY END);
}

static void
test_not_a_gemfeed(void **state)
{
	struct atom_feed	f = { NULL, NULL, NULL, NULL, NULL };

	(void)state;
	assert_int_equal(render_feed("# Title\n=> a.gmi A page\n", &f), -1);
	assert_int_equal(render_feed("", &f), -1);
}

static void
test_updated_is_newest(void **state)
{
	struct atom_feed	f = { NULL, NULL, "T", NULL, NULL };

	(void)state;
	/* Out of order: the feed's time is the newest, entries keep page order. */
	render_ok("=> a 2001-01-01 A\n=> b 2024-06-01 B\n=> c 2023-07-05 C\n", &f);
	OUT_IS(HEAD("T", "2024-06-01")
	    ENTRY("A", BASE "a", "2001-01-01") END_ENTRY
	    ENTRY("B", BASE "b", "2024-06-01") END_ENTRY
	    ENTRY("C", BASE "c", "2023-07-05") END_ENTRY END);
}

static void
test_entry_titles(void **state)
{
	struct atom_feed	f = { NULL, NULL, "T", NULL, NULL };

	(void)state;
	render_ok("=> a 2024-01-01\n"
	    "=> b 2024-01-02 :  Colon  \n"
	    "=> c 2024-01-03\t-\tTab\n"
	    "=> d 2024-01-04 -dash kept\n", &f);
	OUT_IS(HEAD("T", "2024-01-04")
	    ENTRY("2024-01-01", BASE "a", "2024-01-01") END_ENTRY
	    ENTRY("Colon", BASE "b", "2024-01-02") END_ENTRY
	    ENTRY("Tab", BASE "c", "2024-01-03") END_ENTRY
	    ENTRY("-dash kept", BASE "d", "2024-01-04") END_ENTRY END);
}

static void
test_feed_title(void **state)
{
	struct atom_feed	f = { NULL, NULL, NULL, NULL, NULL };

	(void)state;
	/* The first level-1 heading, not a level-2 one before it. */
	render_ok("## Sub\n#  The  title \n# Second\n=> a 2024-01-01 A\n", &f);
	assert_contains(OUT, OUTLEN, "  <title>The  title </title>\n  <id>");
	/* No heading at all: the page's URL. */
	render_ok("=> a 2024-01-01 A\n", &f);
	assert_contains(OUT, OUTLEN, "  <title>" BASE "</title>\n");
	/* The caller's title wins. */
	f.title = "Given";
	render_ok("# Heading\n=> a 2024-01-01 A\n", &f);
	assert_contains(OUT, OUTLEN, "  <title>Given</title>\n");
}

static void
test_page_url(void **state)
{
	struct atom_feed	f = { NULL, BASE "feed.gmi", "T", NULL, NULL };

	(void)state;
	render_ok("=> a 2024-01-01 A\n", &f);
	assert_contains(OUT, OUTLEN, "  <id>" BASE "feed.gmi</id>\n");
	assert_contains(OUT, OUTLEN, "  <link rel=\"self\" type=\"application/atom+xml\" "
	    "href=\"" BASE "atom.xml\"/>\n");
	assert_contains(OUT, OUTLEN, "  <link rel=\"alternate\" href=\"" BASE
	    "feed.gmi\"/>\n");
}

/* ---- links resolved against the base ---- */

static void
check_link(const char *ref, const char *want)
{
	struct atom_feed	 f = { "gemini://h.example:1966/a/b/", NULL, "T",
				    summary_stub, NULL };
	char			 page[512], link[512];

	snprintf(page, sizeof(page), "=> %s 2024-01-01 X\n", ref);
	snprintf(link, sizeof(link), "    <link href=\"%s\"/>\n", want);
	CALLS = 0;
	render_ok(page, &f);
	assert_contains(OUT, OUTLEN, link);
}

static void
test_links_resolved(void **state)
{
	(void)state;
	check_link("p.gmi", "gemini://h.example:1966/a/b/p.gmi");
	check_link("./p.gmi", "gemini://h.example:1966/a/b/p.gmi");
	check_link("../p.gmi", "gemini://h.example:1966/a/p.gmi");
	check_link("../../../../p.gmi", "gemini://h.example:1966/p.gmi");
	check_link("/x/./y/../p.gmi", "gemini://h.example:1966/x/p.gmi");
	check_link("c/..", "gemini://h.example:1966/a/b/");
	check_link("c/.", "gemini://h.example:1966/a/b/c/");
	check_link("..", "gemini://h.example:1966/a/");
	check_link("/", "gemini://h.example:1966/");
	check_link("p.gmi?q=1#f", "gemini://h.example:1966/a/b/p.gmi?q=1#f");
	check_link("?q", "gemini://h.example:1966/a/b/?q");
	check_link("//other.example/p", "gemini://other.example/p");
	check_link("https://w.example/p?a=1&amp;b", "https://w.example/p?a=1&amp;amp;b");
	check_link("GEMINI://x/../y", "GEMINI://x/../y");
	check_link("c:d", "c:d");
	check_link("1c:d", "gemini://h.example:1966/a/b/1c:d");
}

static void
test_summary_only_for_local_links(void **state)
{
	struct atom_feed	f = { NULL, NULL, "T", summary_stub, NULL };

	(void)state;
	render_ok("=> gemini://elsewhere.example/x.gmi 2024-01-02 B\n"
	    "=> //elsewhere.example/y.gmi 2024-01-01 A\n", &f);
	assert_int_equal(CALLS, 0);
	assert_not_contains(OUT, OUTLEN, "<summary>");
	/* A local link the callback knows nothing of: no summary element. */
	render_ok("=> dir/ 2024-01-01 A\n", &f);
	assert_int_equal(CALLS, 1);
	assert_not_contains(OUT, OUTLEN, "<summary>");
}

/* ---- escaping ---- */

static const char *
nasty_summary(void *arg, const char *ref, size_t len, size_t *slen)
{
	(void)arg;
	(void)ref;
	(void)len;
	*slen = 9;
	return "<b>\x01&\"\x7f\0x";
}

static void
test_escaping(void **state)
{
	struct atom_feed	f = { "gemini://h\"<&>/d/", NULL, NULL,
				    nasty_summary, NULL };

	(void)state;
	render_ok("# A & B <c> \"d\" 'e'\n"
	    "=> x?a=1&b=<2>\"3\" 2024-01-01 Fish & <chips> \"now\"\x1b[0m\n", &f);
	OUT_IS("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	    "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n"
	    "  <title>A &amp; B &lt;c&gt; &quot;d&quot; 'e'</title>\n"
	    "  <id>gemini://h&quot;&lt;&amp;&gt;/d/</id>\n"
	    "  <updated>2024-01-01T00:00:00Z</updated>\n"
	    "  <author><name>h&quot;&lt;&amp;&gt;</name></author>\n"
	    "  <link rel=\"self\" type=\"application/atom+xml\" "
	    "href=\"gemini://h&quot;&lt;&amp;&gt;/d/atom.xml\"/>\n"
	    "  <link rel=\"alternate\" href=\"gemini://h&quot;&lt;&amp;&gt;/d/\"/>\n"
	    "  <entry>\n"
	    "    <title>Fish &amp; &lt;chips&gt; &quot;now&quot;[0m</title>\n"
	    "    <link href=\"gemini://h&quot;&lt;&amp;&gt;/d/x?a=1&amp;b=&lt;2&gt;"
	    "&quot;3&quot;\"/>\n"
	    "    <id>gemini://h&quot;&lt;&amp;&gt;/d/x?a=1&amp;b=&lt;2&gt;"
	    "&quot;3&quot;</id>\n"
	    "    <updated>2024-01-01T00:00:00Z</updated>\n"
	    "    <summary>&lt;b&gt;&amp;&quot;x</summary>\n"
	    "  </entry>\n"
	    "</feed>\n");
}

static void
test_escaping_utf8(void **state)
{
	struct atom_feed	f = { NULL, NULL, NULL, NULL, NULL };

	(void)state;
	/* Valid UTF-8 stays; stray, overlong and surrogate bytes become U+FFFD;
	 * U+FFFE and U+FFFF (not XML characters) go. */
	render_ok("# \xd0\x9a\xd0\xb0\xd0\xb7 \xe2\x80\x94 \xf0\x9f\x90\x8e\n"
	    "=> a 2024-01-01 x\x80y\xc0\xafz\xed\xa0\x80w\xef\xbf\xbe\xef\xbf\xbfv\xe2\x82\n",
	    &f);
	assert_contains(OUT, OUTLEN, "  <title>\xd0\x9a\xd0\xb0\xd0\xb7 \xe2\x80\x94 "
	    "\xf0\x9f\x90\x8e</title>\n");
	assert_contains(OUT, OUTLEN, "    <title>x\xef\xbf\xbdy\xef\xbf\xbd\xef\xbf\xbdz"
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdwv\xef\xbf\xbd\xef\xbf\xbd</title>\n");
}

static void
test_bad_base(void **state)
{
	static const char *const	 bad[] = {
		"", "news/", "/news/", "gemini:/news/", "gemini://h/news",
		"gemini://h", "gemini://h/news/?q/", "gemini://h/#/", "1x://h/",
		"://h/",
	};
	struct atom_feed		 f = { NULL, NULL, NULL, NULL, NULL };
	size_t				 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		f.base = bad[i];
		if (render_feed("=> a 2024-01-01 A\n", &f) != -1)
			fail_msg("base accepted: \"%s\"", bad[i]);
	}
	f.base = "gemini://h:1965/";
	render_ok("=> a 2024-01-01 A\n", &f);
	assert_contains(OUT, OUTLEN, "<name>h:1965</name>");
	assert_contains(OUT, OUTLEN, "<link href=\"gemini://h:1965/a\"/>");
}

/* ---- first paragraphs ---- */

static void
test_first_paragraph(void **state)
{
	const char	*p;
	size_t		 n = 0;
	const char	*page = "# Title\n\n## Sub\n=> x Link\n* item\n> quote\n"
	    "```\npre\n```\n   \n  The first  paragraph. \r\nThe second.\n";

	(void)state;
	p = atom_first_paragraph(page, strlen(page), &n);
	assert_non_null(p);
	assert_bytes_str(p, n, "The first  paragraph.");
	assert_null(atom_first_paragraph("# T\n=> a b\n\n", 12, &n));
	assert_null(atom_first_paragraph("", 0, &n));
	p = atom_first_paragraph("last", 4, &n);
	assert_non_null(p);
	assert_bytes_str(p, n, "last");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_is_gemfeed, teardown),
		cmocka_unit_test_teardown(test_is_gemfeed_real_dates_only, teardown),
		cmocka_unit_test_teardown(test_feed_exact, teardown),
		cmocka_unit_test_teardown(test_no_entry_for_undated_links, teardown),
		cmocka_unit_test_teardown(test_not_a_gemfeed, teardown),
		cmocka_unit_test_teardown(test_updated_is_newest, teardown),
		cmocka_unit_test_teardown(test_entry_titles, teardown),
		cmocka_unit_test_teardown(test_feed_title, teardown),
		cmocka_unit_test_teardown(test_page_url, teardown),
		cmocka_unit_test_teardown(test_links_resolved, teardown),
		cmocka_unit_test_teardown(test_summary_only_for_local_links, teardown),
		cmocka_unit_test_teardown(test_escaping, teardown),
		cmocka_unit_test_teardown(test_escaping_utf8, teardown),
		cmocka_unit_test_teardown(test_bad_base, teardown),
		cmocka_unit_test_teardown(test_first_paragraph, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
