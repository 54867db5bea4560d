/* Unit tests for src/store.c and src/router.c over tests/fixtures/tree. */
#include "unit.h"

#include <signal.h>

#include "router.h"
#include "store.h"

#define GEMHDR		"20 text/gemini\r\n"
#define GEMHDR_EN	"20 text/gemini; lang=en\r\n"

static struct store	*SNAP;

/* A node with its answers over both protocols, as the front ends get them. */
struct view {
	const struct node	*node;
	const char		*path;
	enum node_kind		 kind;
	char			 gopher_type;
	off_t			 size;
	const char		*gemini, *gopher;
	size_t			 gemini_len, gopher_len;
	struct blob		*gb, *pb;
};

static struct view	 VIEWS[32];
static unsigned		 NVIEW;

static void
view_clear(struct view *v)
{
	blob_unref(v->gb);
	blob_unref(v->pb);
	memset(v, 0, sizeof(*v));
}

static void
views_release(void)
{
	size_t	 i;

	for (i = 0; i < 32; i++)
		view_clear(&VIEWS[i]);
}

static const struct view *
view_of(struct store *s, const struct node *nd)
{
	struct view	*v = &VIEWS[NVIEW++ % 32];
	struct answer	 a;

	view_clear(v);
	v->node = nd;
	v->path = nd->path;
	v->kind = (enum node_kind)nd->kind;
	v->gopher_type = nd->gopher_type;
	v->size = nd->size;
	if (store_answer(s, nd, STORE_GEMINI, &a) == 0) {
		v->gb = a.blob;
		v->gemini = a.data;
		v->gemini_len = a.len;
	}
	if (nd->kind != NODE_LARGE && store_answer(s, nd, STORE_GOPHER, &a) == 0) {
		v->pb = a.blob;
		v->gopher = a.data;
		v->gopher_len = a.len;
	}
	return v;
}

static struct store *
load(const char *root, const char *lang, char *err, size_t errsz)
{
	struct store_opts	 o;

	memset(&o, 0, sizeof(o));
	o.root = root;
	o.lang = lang;
	o.host = "localhost";
	o.gopher_port = 7070;
	o.large = STORE_LARGE;
	err[0] = '\0';
	return store_load(&o, err, errsz);
}

static int
group_setup(void **state)
{
	char	 err[512];

	(void)state;
	SNAP = load(FIXTURE_ROOT, NULL, err, sizeof(err));
	if (SNAP == NULL) {
		print_error("store_load(%s): %s\n", FIXTURE_ROOT, err);
		return -1;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	views_release();
	store_free(SNAP);
	SNAP = NULL;
	return 0;
}

static const struct view *
find_at(struct store *s, const char *path, enum node_kind kind,
    const char *file, int line)
{
	const struct view	*n;
	const struct node	*nd;

	nd = store_find(s, path);
	if (nd == NULL) {
		print_error("%s:%d: store_find(\"%s\") = NULL\n", file, line,
		    path);
		_fail(file, line);
	}
	n = view_of(s, nd);
	if (n->kind != kind) {
		print_error("%s:%d: \"%s\" kind %d, want %d\n", file, line, path,
		    (int)n->kind, (int)kind);
		_fail(file, line);
	}
	if (n->path == NULL || strcmp(n->path, path) != 0) {
		print_error("%s:%d: \"%s\" node path \"%s\"\n", file, line, path,
		    n->path ? n->path : "(null)");
		_fail(file, line);
	}
	return n;
}

#define FIND(s, path, kind)	find_at((s), (path), (kind), __FILE__, __LINE__)

static void
absent_at(struct store *s, const char *path, const char *file,
    int line)
{
	const struct node	*n;

	n = store_find(s, path);
	if (n != NULL) {
		print_error("%s:%d: store_find(\"%s\") found node \"%s\", want "
		    "NULL\n", file, line, path, n->path);
		_fail(file, line);
	}
}

#define ABSENT(s, path)	absent_at((s), (path), __FILE__, __LINE__)

/* Header followed by the fixture file's bytes. */
static void
expect_gemini_file_at(const struct view *n, const char *hdr, const char *rel,
    const char *file, int line)
{
	char	 path[512], *body, *want;
	size_t	 len, hl = strlen(hdr);

	snprintf(path, sizeof(path), "%s/%s", FIXTURE_ROOT, rel);
	body = unit_slurp(path, &len);
	want = malloc(hl + len);
	assert_non_null(want);
	memcpy(want, hdr, hl);
	memcpy(want + hl, body, len);
	unit_assert_bytes(n->gemini, n->gemini_len, want, hl + len, "gemini",
	    file, line);
	free(want);
	free(body);
}

#define GEMINI_FILE(n, hdr, rel) \
	expect_gemini_file_at((n), (hdr), (rel), __FILE__, __LINE__)

static void
expect_gopher_file_at(const struct view *n, const char *rel, const char *file,
    int line)
{
	char	 path[512], *body;
	size_t	 len;

	snprintf(path, sizeof(path), "%s/%s", FIXTURE_ROOT, rel);
	body = unit_slurp(path, &len);
	unit_assert_bytes(n->gopher, n->gopher_len, body, len, "gopher", file,
	    line);
	free(body);
}

#define GOPHER_FILE(n, rel) expect_gopher_file_at((n), (rel), __FILE__, __LINE__)

static void
starts_with_at(const char *p, size_t len, const char *prefix, const char *file,
    int line)
{
	size_t	 pl = strlen(prefix);

	if (p == NULL || len < pl || memcmp(p, prefix, pl) != 0)
		unit_assert_bytes(p, p == NULL ? 0 : (len < pl ? len : pl),
		    prefix, pl, "start", file, line);
}

#define STARTS_WITH(p, len, prefix) \
	starts_with_at((p), (len), (prefix), __FILE__, __LINE__)

/* Every line T<disp>\t<sel>\t<host>\t<port>\r\n, then ".\r\n". */
static void
menu_ok_at(const struct view *n, const char *file, int line)
{
	const char	*p, *end, *eol;
	size_t		 tabs, i;
	char		 shown[512];

	if (n->gopher == NULL || n->gopher_len < 3 ||
	    memcmp(n->gopher + n->gopher_len - 3, ".\r\n", 3) != 0) {
		print_error("%s:%d: %s: gopher menu does not end with .\\r\\n\n",
		    file, line, n->path);
		_fail(file, line);
	}
	p = n->gopher;
	end = n->gopher + n->gopher_len - 3;
	while (p < end) {
		eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		if (eol == NULL) {
			print_error("%s:%d: %s: unterminated menu line\n", file,
			    line, n->path);
			_fail(file, line);
		}
		for (tabs = 0, i = 0; p + i < eol; i++) {
			if (p[i] == '\t')
				tabs++;
			if (p[i] == '\r' || p[i] == '\n')
				tabs = 99;
		}
		if (tabs != 3 || eol == p) {
			unit_show(p, (size_t)(eol - p), shown, sizeof(shown));
			print_error("%s:%d: %s: bad menu line \"%s\"\n", file,
			    line, n->path, shown);
			_fail(file, line);
		}
		p = eol + 2;
	}
}

#define MENU_OK(n)	menu_ok_at((n), __FILE__, __LINE__)

/* ---- the store over the fixture tree ---- */

static void
test_root_dir(void **state)
{
	const struct view	*n;

	(void)state;
	n = FIND(SNAP, "/", NODE_DIR);
	STARTS_WITH(n->gemini, n->gemini_len, GEMHDR "# Fixture home");
	GEMINI_FILE(n, GEMHDR, "index.gmi");
	assert_int_equal(n->gopher_type, '1');
	MENU_OK(n);
}

static void
test_root_gopher_menu(void **state)
{
	const struct view	*n;

	(void)state;
	n = FIND(SNAP, "/", NODE_DIR);
	MENU_OK(n);
	STARTS_WITH(n->gopher, n->gopher_len,
	    "iFixture home\t\tnull.host\t1\r\n"
	    "i============\t\tnull.host\t1\r\n");
	assert_contains(n->gopher, n->gopher_len,
	    "\r\n1A page\t/page.gmi\tlocalhost\t7070\r\n");
	assert_contains(n->gopher, n->gopher_len,
	    "\r\n1Documents\t/docs/\tlocalhost\t7070\r\n");
	assert_contains(n->gopher, n->gopher_len,
	    "\r\n1A directory without index\t/plain/\tlocalhost\t7070\r\n");
	assert_contains(n->gopher, n->gopher_len,
	    "\r\n0Notes\t/notes.txt\tlocalhost\t7070\r\n");
	assert_contains(n->gopher, n->gopher_len,
	    "\r\nIA picture\t/image.png\tlocalhost\t7070\r\n");
	assert_contains(n->gopher, n->gopher_len,
	    "\r\ngAn animation\t/anim.gif\tlocalhost\t7070\r\n");
	assert_contains(n->gopher, n->gopher_len,
	    "\r\n9Some data\t/data.bin\tlocalhost\t7070\r\n");
	assert_contains(n->gopher, n->gopher_len,
	    "\r\n0About over Gopher\t/about.txt\texample.org\t70\r\n");
	assert_contains(n->gopher, n->gopher_len,
	    "\r\nhA web site\tURL:https://example.org/\tlocalhost\t7070\r\n");
	assert_contains(n->gopher, n->gopher_len,
	    "\r\nhAnother capsule\tURL:gemini://example.org/\tlocalhost\t7070\r\n");
	/* The last item, then the end of the menu. */
	assert_contains(n->gopher, n->gopher_len,
	    "\tlocalhost\t7070\r\n.\r\n");
	assert_int_equal(memcmp(n->gopher + n->gopher_len - 3, ".\r\n", 3), 0);
}

static void
test_page(void **state)
{
	const struct view	*n;

	(void)state;
	n = FIND(SNAP, "/page.gmi", NODE_PAGE);
	STARTS_WITH(n->gemini, n->gemini_len, GEMHDR "# A heading\n");
	GEMINI_FILE(n, GEMHDR, "page.gmi");
	assert_int_equal(n->gopher_type, '1');
	MENU_OK(n);
	STARTS_WITH(n->gopher, n->gopher_len,
	    "iA heading\t\tnull.host\t1\r\ni=========\t\tnull.host\t1\r\n");
	assert_contains(n->gopher, n->gopher_len,
	    "\r\n1Documents\t/docs/\tlocalhost\t7070\r\n");
	assert_contains(n->gopher, n->gopher_len,
	    "\r\n0/notes.txt\t/notes.txt\tlocalhost\t7070\r\n");
	assert_contains(n->gopher, n->gopher_len,
	    "\r\nhWrite to us\tURL:mailto:someone@example.org\tlocalhost\t7070\r\n");
	assert_contains(n->gopher, n->gopher_len,
	    "\r\nipreformatted    with a tab\t\tnull.host\t1\r\n");
	assert_not_contains(n->gopher, n->gopher_len, "\t/../");
}

static void
test_notes_txt(void **state)
{
	const struct view	*n;

	(void)state;
	n = FIND(SNAP, "/notes.txt", NODE_FILE);
	assert_bytes_str(n->gemini, n->gemini_len,
	    "20 text/plain\r\nSome notes.\nA second line.\n");
	assert_bytes_str(n->gopher, n->gopher_len,
	    "Some notes.\nA second line.\n");
	assert_int_equal(n->gopher_type, '0');
}

static void
test_binary_files(void **state)
{
	const struct view	*n;

	(void)state;
	n = FIND(SNAP, "/image.png", NODE_FILE);
	GEMINI_FILE(n, "20 image/png\r\n", "image.png");
	GOPHER_FILE(n, "image.png");
	assert_int_equal(n->gopher_type, 'I');

	n = FIND(SNAP, "/anim.gif", NODE_FILE);
	GEMINI_FILE(n, "20 image/gif\r\n", "anim.gif");
	GOPHER_FILE(n, "anim.gif");
	assert_int_equal(n->gopher_type, 'g');

	n = FIND(SNAP, "/data.bin", NODE_FILE);
	GEMINI_FILE(n, "20 application/octet-stream\r\n", "data.bin");
	GOPHER_FILE(n, "data.bin");
	assert_int_equal(n->gopher_type, '9');

	n = FIND(SNAP, "/plain/b.txt", NODE_FILE);
	GEMINI_FILE(n, "20 text/plain\r\n", "plain/b.txt");
	GOPHER_FILE(n, "plain/b.txt");
}

static void
test_docs(void **state)
{
	const struct view	*n;

	(void)state;
	ABSENT(SNAP, "/docs");
	n = FIND(SNAP, "/docs/", NODE_DIR);
	GEMINI_FILE(n, GEMHDR, "docs/index.gmi");
	MENU_OK(n);
	assert_contains(n->gopher, n->gopher_len,
	    "1The guide\t/docs/guide.gmi\tlocalhost\t7070\r\n");
	assert_contains(n->gopher, n->gopher_len,
	    "1Home\t/\tlocalhost\t7070\r\n");

	n = FIND(SNAP, "/docs/guide.gmi", NODE_PAGE);
	GEMINI_FILE(n, GEMHDR, "docs/guide.gmi");
	MENU_OK(n);
	assert_contains(n->gopher, n->gopher_len,
	    "1Documents\t/docs/\tlocalhost\t7070\r\n");
	/* "../index.gmi": the home page, whatever selector names it. */
	assert_contains(n->gopher, n->gopher_len, "\r\n1Home\t/");
}

/* A "=> " line of a gemtext body that resolves to want from dir. */
static int
links_to(const char *body, size_t len, const char *dir, const char *want)
{
	const char	*p = body, *end = body + len, *eol, *u, *ue;
	char		 ref[512], dec[512], res[PATH_MAX_LEN + 2];
	const char	*errstr;

	for (; p < end; p = eol + 1) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		if (eol - p < 2 || memcmp(p, "=>", 2) != 0)
			continue;
		for (u = p + 2; u < eol && (*u == ' ' || *u == '\t'); u++)
			;
		for (ue = u; ue < eol && *ue != ' ' && *ue != '\t' &&
		    *ue != '\r'; ue++)
			;
		if ((size_t)(ue - u) >= sizeof(ref))
			continue;
		memcpy(ref, u, (size_t)(ue - u));
		ref[ue - u] = '\0';
		/* Decode %XX by hand, so this helper does not lean on url.c. */
		{
			size_t	 i, o = 0;

			for (i = 0; ref[i] != '\0' && o + 1 < sizeof(dec); i++) {
				unsigned int	 c;

				if (ref[i] == '%' && sscanf(ref + i + 1, "%2x",
				    &c) == 1) {
					dec[o++] = (char)c;
					i += 2;
				} else
					dec[o++] = ref[i];
			}
			dec[o] = '\0';
		}
		if (strncmp(dec, "gemini://localhost/", 19) == 0)
			memmove(dec, dec + 18, strlen(dec + 18) + 1);
		errstr = NULL;
		if (path_resolve(dir, dec, res, sizeof(res), &errstr) < 0)
			continue;
		if (strcmp(res, want) == 0)
			return 1;
	}
	return 0;
}

static void
test_generated_listing(void **state)
{
	const struct view	*n;
	const char		*body;
	size_t			 blen;

	(void)state;
	n = FIND(SNAP, "/plain/", NODE_DIR);
	STARTS_WITH(n->gemini, n->gemini_len, GEMHDR);
	body = n->gemini + strlen(GEMHDR);
	blen = n->gemini_len - strlen(GEMHDR);
	assert_true((blen >= 2 && memcmp(body, "# ", 2) == 0) ||
	    memmem(body, blen, "\n# ", 3) != NULL);
	assert_true(links_to(body, blen, "/plain/", "/plain/a.gmi"));
	assert_true(links_to(body, blen, "/plain/", "/plain/b.txt"));
	assert_false(links_to(body, blen, "/plain/", "/plain/c.txt"));
	assert_int_equal(n->gopher_type, '1');
	MENU_OK(n);
	assert_contains(n->gopher, n->gopher_len,
	    "\t/plain/a.gmi\tlocalhost\t7070\r\n");
	assert_contains(n->gopher, n->gopher_len,
	    "\t/plain/b.txt\tlocalhost\t7070\r\n");
}

static void
test_generated_listing_types(void **state)
{
	const struct view	*n;
	const char		*p;

	(void)state;
	n = FIND(SNAP, "/plain/", NODE_DIR);
	/* The item naming /plain/a.gmi is a menu, the one naming b.txt text. */
	p = memmem(n->gopher, n->gopher_len, "\t/plain/a.gmi\t", 14);
	assert_non_null(p);
	while (p > n->gopher && p[-1] != '\n')
		p--;
	assert_int_equal(*p, '1');
	p = memmem(n->gopher, n->gopher_len, "\t/plain/b.txt\t", 14);
	assert_non_null(p);
	while (p > n->gopher && p[-1] != '\n')
		p--;
	assert_int_equal(*p, '0');
}

static void
test_hidden_absent(void **state)
{
	(void)state;
	ABSENT(SNAP, "/.hidden.gmi");
	ABSENT(SNAP, "/.secret/key.txt");
	ABSENT(SNAP, "/.secret/");
	ABSENT(SNAP, "/.secret");
}

static void
test_odd_names(void **state)
{
	const struct view	*n;

	(void)state;
	n = FIND(SNAP, "/with space.gmi", NODE_PAGE);
	GEMINI_FILE(n, GEMHDR, "with space.gmi");
	n = FIND(SNAP, "/\xc3\xbcn\xc3\xaf.gmi", NODE_PAGE);
	GEMINI_FILE(n, GEMHDR, "\xc3\xbcn\xc3\xaf.gmi");
	ABSENT(SNAP, "/with%20space.gmi");
}

static void
test_find_misses(void **state)
{
	(void)state;
	ABSENT(SNAP, "/missing");
	ABSENT(SNAP, "/missing/");
	ABSENT(SNAP, "/plain");
	ABSENT(SNAP, "/page.gmi/");
	ABSENT(SNAP, "/PAGE.GMI");
}

static void
test_counts(void **state)
{
	(void)state;
	assert_int_equal(store_count(SNAP, NODE_DIR), 3);
	assert_int_equal(store_count(SNAP, NODE_FILE), 5);
	assert_int_equal(store_count(SNAP, NODE_LARGE), 0);
	assert_true(store_count(SNAP, NODE_PAGE) >= 5);
}

struct walked {
	size_t	 n;
	char	*path[64];
	int	 unsorted;
};

static void
walk_cb(const struct node *n, void *arg)
{
	struct walked	*w = arg;

	if (w->n > 0 && strcmp(w->path[w->n - 1], n->path) >= 0)
		w->unsorted = 1;
	if (w->n < 64)
		w->path[w->n++] = strdup(n->path);
}

static int
walked_has(const struct walked *w, const char *p)
{
	size_t	 i;

	for (i = 0; i < w->n; i++)
		if (strcmp(w->path[i], p) == 0)
			return 1;
	return 0;
}

static void
test_walk(void **state)
{
	struct walked	 w;
	size_t		 i, total;

	(void)state;
	memset(&w, 0, sizeof(w));
	store_walk(SNAP, walk_cb, &w);
	total = store_count(SNAP, NODE_PAGE) + store_count(SNAP, NODE_DIR) +
	    store_count(SNAP, NODE_FILE) + store_count(SNAP, NODE_LARGE);
	assert_int_equal(w.n, total);
	assert_int_equal(w.unsorted, 0);
	assert_string_equal(w.path[0], "/");
	assert_true(walked_has(&w, "/page.gmi"));
	assert_true(walked_has(&w, "/docs/"));
	assert_true(walked_has(&w, "/docs/guide.gmi"));
	assert_true(walked_has(&w, "/plain/"));
	assert_true(walked_has(&w, "/plain/a.gmi"));
	assert_true(walked_has(&w, "/plain/b.txt"));
	assert_true(walked_has(&w, "/notes.txt"));
	assert_true(walked_has(&w, "/with space.gmi"));
	assert_true(walked_has(&w, "/\xc3\xbcn\xc3\xaf.gmi"));
	for (i = 0; i < w.n; i++) {
		if (strstr(w.path[i], "/.") != NULL)
			fail_msg("hidden path walked: %s", w.path[i]);
		free(w.path[i]);
	}
}

static void
check_menu_cb(const struct node *n, void *arg)
{
	(void)arg;
	if (n->kind == NODE_PAGE || n->kind == NODE_DIR)
		MENU_OK(view_of(SNAP, n));
}

static void
test_all_menus_well_formed(void **state)
{
	(void)state;
	store_walk(SNAP, check_menu_cb, NULL);
}

static void
test_lang(void **state)
{
	struct store		*s;
	const struct view	*n;
	char			 err[512];

	(void)state;
	s = load(FIXTURE_ROOT, "en", err, sizeof(err));
	if (s == NULL)
		fail_msg("store_load: %s", err);
	n = FIND(s, "/", NODE_DIR);
	STARTS_WITH(n->gemini, n->gemini_len, GEMHDR_EN "# Fixture home");
	GEMINI_FILE(n, GEMHDR_EN, "index.gmi");
	n = FIND(s, "/page.gmi", NODE_PAGE);
	GEMINI_FILE(n, GEMHDR_EN, "page.gmi");
	n = FIND(s, "/plain/", NODE_DIR);
	STARTS_WITH(n->gemini, n->gemini_len, GEMHDR_EN);
	n = FIND(s, "/notes.txt", NODE_FILE);
	assert_bytes_str(n->gemini, n->gemini_len,
	    "20 text/plain\r\nSome notes.\nA second line.\n");
	store_free(s);
}

static void
test_missing_root(void **state)
{
	char	 err[512];

	(void)state;
	assert_null(load("tests/fixtures/no-such-tree", NULL, err, sizeof(err)));
	assert_true(err[0] != '\0');
	assert_null(load(FIXTURE_ROOT "/notes.txt", NULL, err, sizeof(err)));
	assert_true(err[0] != '\0');
}

/* ---- temporary trees: large files and symlinks ---- */

static void
test_large_file(void **state)
{
	struct store		*s;
	const struct view	*n;
	char			*dir, *big, err[512], rbuf[65536];
	size_t			 i, got = 0;
	ssize_t			 r;
	int			 fd, same = 1;

	(void)state;
	dir = unit_mkdtemp();
	big = malloc(STORE_LARGE + 1);
	assert_non_null(big);
	for (i = 0; i < STORE_LARGE + 1; i++)
		big[i] = (char)(i * 7 + i / 251);
	unit_write_file(dir, "big.bin", big, STORE_LARGE + 1);
	unit_write_file(dir, "big.txt", big, STORE_LARGE + 1);
	unit_write_file(dir, "exact.bin", big, STORE_LARGE);
	unit_write_file(dir, "mid.bin", big, 65536);
	unit_write_str(dir, "index.gmi", "# Temp\n=> big.bin Big\n");

	s = load(dir, NULL, err, sizeof(err));
	if (s == NULL)
		fail_msg("store_load(%s): %s", dir, err);

	n = FIND(s, "/big.bin", NODE_LARGE);
	assert_bytes_str(n->gemini, n->gemini_len,
	    "20 application/octet-stream\r\n");
	assert_null(n->gopher);
	assert_int_equal(n->size, STORE_LARGE + 1);
	assert_int_equal(n->gopher_type, '9');
	fd = store_open(s, n->node);
	assert_true(fd >= 0);
	while ((r = read(fd, rbuf, sizeof(rbuf))) > 0) {
		if (got + (size_t)r > STORE_LARGE + 1 ||
		    memcmp(rbuf, big + got, (size_t)r) != 0)
			same = 0;
		got += (size_t)r;
	}
	assert_int_equal(r, 0);
	assert_int_equal(got, STORE_LARGE + 1);
	assert_int_equal(same, 1);
	close(fd);

	n = FIND(s, "/big.txt", NODE_LARGE);
	assert_bytes_str(n->gemini, n->gemini_len, "20 text/plain\r\n");
	assert_int_equal(n->gopher_type, '0');

	/* Not large, but past a 256th of the cache: streamed all the same. */
	n = FIND(s, "/exact.bin", NODE_FILE);
	assert_true(store_streams(n->node));
	assert_bytes_str(n->gemini, n->gemini_len,
	    "20 application/octet-stream\r\n");
	fd = store_open(s, n->node);
	assert_true(fd >= 0);
	close(fd);

	/* A file the cache holds many of is answered from memory, whole. */
	n = FIND(s, "/mid.bin", NODE_FILE);
	assert_false(store_streams(n->node));
	assert_int_equal(n->gemini_len,
	    strlen("20 application/octet-stream\r\n") + 65536);
	STARTS_WITH(n->gemini, n->gemini_len, "20 application/octet-stream\r\n");
	assert_int_equal(memcmp(n->gemini +
	    strlen("20 application/octet-stream\r\n"), big, 65536), 0);
	assert_int_equal(n->gopher_len, 65536);
	assert_int_equal(memcmp(n->gopher, big, 65536), 0);
	assert_int_equal(store_open(s, n->node), -1);

	assert_int_equal(store_count(s, NODE_LARGE), 2);

	n = FIND(s, "/", NODE_DIR);
	assert_contains(n->gopher, n->gopher_len,
	    "9Big\t/big.bin\tlocalhost\t7070\r\n");

	store_free(s);
	free(big);
}

static void
test_symlink_outside_root(void **state)
{
	struct store	*s;
	char		*dir, root[512], outside[512], err[512];

	(void)state;
	dir = unit_mkdtemp();
	unit_mkdir(dir, "root");
	unit_mkdir(dir, "outside");
	unit_write_str(dir, "outside/secret.txt", "outside secret\n");
	unit_write_str(dir, "root/index.gmi", "# Root\n");
	unit_join(root, sizeof(root), dir, "root");
	unit_join(outside, sizeof(outside), dir, "outside/secret.txt");
	unit_symlink(outside, root, "abs.txt");
	unit_symlink("../outside/secret.txt", root, "rel.txt");
	unit_symlink("../outside", root, "outdir");

	s = load(root, NULL, err, sizeof(err));
	if (s == NULL)
		fail_msg("store_load(%s): %s", root, err);
	FIND(s, "/", NODE_DIR);
	ABSENT(s, "/abs.txt");
	ABSENT(s, "/rel.txt");
	ABSENT(s, "/outdir/");
	ABSENT(s, "/outdir/secret.txt");
	store_free(s);
}

static void
test_symlink_inside_root(void **state)
{
	struct store		*s;
	const struct view	*n;
	char			*dir, err[512];

	(void)state;
	dir = unit_mkdtemp();
	unit_write_str(dir, "real.txt", "real content\n");
	unit_write_str(dir, "index.gmi", "# Root\n");
	unit_mkdir(dir, "sub");
	unit_symlink("real.txt", dir, "link.txt");
	unit_symlink("../real.txt", dir, "sub/up.txt");

	s = load(dir, NULL, err, sizeof(err));
	if (s == NULL)
		fail_msg("store_load(%s): %s", dir, err);
	n = FIND(s, "/real.txt", NODE_FILE);
	assert_bytes_str(n->gemini, n->gemini_len,
	    "20 text/plain\r\nreal content\n");
	n = FIND(s, "/link.txt", NODE_FILE);
	assert_bytes_str(n->gemini, n->gemini_len,
	    "20 text/plain\r\nreal content\n");
	assert_bytes_str(n->gopher, n->gopher_len, "real content\n");
	n = FIND(s, "/sub/up.txt", NODE_FILE);
	assert_bytes_str(n->gemini, n->gemini_len,
	    "20 text/plain\r\nreal content\n");
	store_free(s);
}

static void
test_symlink_loop(void **state)
{
	struct store	*s;
	char		*dir, err[512];

	(void)state;
	dir = unit_mkdtemp();
	unit_write_str(dir, "index.gmi", "# Root\n");
	unit_write_str(dir, "ok.txt", "ok\n");
	unit_symlink("b", dir, "a");
	unit_symlink("a", dir, "b");
	unit_symlink("self.txt", dir, "self.txt");
	unit_symlink("nowhere.txt", dir, "dangling.txt");

	s = load(dir, NULL, err, sizeof(err));
	if (s == NULL)
		fail_msg("store_load(%s) with a loop: %s", dir, err);
	FIND(s, "/", NODE_DIR);
	FIND(s, "/ok.txt", NODE_FILE);
	ABSENT(s, "/a");
	ABSENT(s, "/b");
	ABSENT(s, "/a/");
	ABSENT(s, "/self.txt");
	ABSENT(s, "/dangling.txt");
	store_free(s);
}

static void
test_symlink_dir_to_parent(void **state)
{
	struct store	*s;
	char		*dir, err[512];

	(void)state;
	dir = unit_mkdtemp();
	unit_write_str(dir, "index.gmi", "# Root\n");
	unit_mkdir(dir, "sub");
	unit_write_str(dir, "sub/x.gmi", "# X\n");
	unit_symlink("..", dir, "sub/up");
	unit_symlink(".", dir, "here");

	/* A loop in the walk would hang: give up loudly instead. */
	alarm(60);
	s = load(dir, NULL, err, sizeof(err));
	alarm(0);
	if (s == NULL)
		fail_msg("store_load(%s) with a directory loop: %s", dir, err);
	FIND(s, "/", NODE_DIR);
	FIND(s, "/sub/", NODE_DIR);
	FIND(s, "/sub/x.gmi", NODE_PAGE);
	assert_true(store_count(s, NODE_DIR) < 64);
	store_free(s);
}

/* ---- router_resolve ---- */

static struct site	 SITE;

static const struct router *
rt(void)
{
	static struct router	 r;

	SITE.name = "localhost";
	SITE.store = SNAP;
	r.sites = &SITE;
	r.nsites = 1;
	return &r;
}

static void
route_at(const char *host, const char *path, const char *query,
    enum result_kind kind, const char *node_path, const char *target,
    const char *file, int line)
{
	struct request	 req;
	struct result	 res;
	const char	*kinds[] = { "NODE", "REDIRECT", "MOVED", "GONE",
	    "NOT_FOUND", "BAD_REQUEST", "OTHER_HOST" };
	const struct router *r = rt();

	req.host = host;
	req.site = host == NULL ? &r->sites[0] : NULL;	/* Gopher: the listener's site */
	req.path = path;
	req.query = query;
	memset(&res, 0xa5, sizeof(res));
	router_resolve(r, &req, &res);
	if (res.kind != kind) {
		print_error("%s:%d: router_resolve(host %s, path \"%s\") kind %s, "
		    "want %s\n", file, line, host ? host : "NULL", path,
		    (unsigned)res.kind < 7 ? kinds[res.kind] : "?", kinds[kind]);
		_fail(file, line);
	}
	if (node_path != NULL) {
		const struct node *want = store_find(SNAP, node_path);

		assert_non_null(want);
		if (res.node != want) {
			print_error("%s:%d: \"%s\": node %s, want %s\n", file,
			    line, path, res.node ? res.node->path : "(other)",
			    node_path);
			_fail(file, line);
		}
	}
	if (target != NULL && (memchr(res.target, '\0', sizeof(res.target)) ==
	    NULL || strcmp(res.target, target) != 0)) {
		print_error("%s:%d: \"%s\": target \"%.64s\", want \"%s\"\n",
		    file, line, path, res.target, target);
		_fail(file, line);
	}
	if (kind == RESULT_BAD_REQUEST && (res.reason == NULL ||
	    res.reason[0] == '\0')) {
		print_error("%s:%d: \"%s\": bad request without a reason\n",
		    file, line, path);
		_fail(file, line);
	}
}

#define ROUTE(host, path, kind, node) \
	route_at((host), (path), NULL, (kind), (node), NULL, __FILE__, __LINE__)
#define NODE(path, node)	ROUTE("localhost", (path), RESULT_NODE, (node))
#define REDIRECT(path, target) \
	route_at("localhost", (path), NULL, RESULT_REDIRECT, (target), (target), \
	    __FILE__, __LINE__)
#define NOT_FOUND(path)		ROUTE("localhost", (path), RESULT_NOT_FOUND, NULL)
#define BAD(path)		ROUTE("localhost", (path), RESULT_BAD_REQUEST, NULL)

static void
test_route_root(void **state)
{
	(void)state;
	NODE("", "/");
	NODE("/", "/");
	NODE("//", "/");
	NODE("/.", "/");
	NODE("/docs/..", "/");
}

static void
test_route_pages(void **state)
{
	(void)state;
	NODE("/page.gmi", "/page.gmi");
	NODE("/notes.txt", "/notes.txt");
	NODE("/docs/", "/docs/");
	NODE("/docs/guide.gmi", "/docs/guide.gmi");
	NODE("/plain/", "/plain/");
	NODE("/with space.gmi", "/with space.gmi");
	NODE("/\xc3\xbcn\xc3\xaf.gmi", "/\xc3\xbcn\xc3\xaf.gmi");
}

static void
test_route_dot_segments(void **state)
{
	(void)state;
	NODE("/docs/../page.gmi", "/page.gmi");
	NODE("/docs/./guide.gmi", "/docs/guide.gmi");
	NODE("//page.gmi", "/page.gmi");
	NODE("/plain/../docs/", "/docs/");
	NODE("/docs/./", "/docs/");
}

static void
test_route_redirect(void **state)
{
	(void)state;
	REDIRECT("/docs", "/docs/");
	REDIRECT("/plain", "/plain/");
	REDIRECT("/docs/../plain", "/plain/");
	REDIRECT("//docs", "/docs/");
}

static void
test_route_not_found(void **state)
{
	(void)state;
	NOT_FOUND("/missing");
	NOT_FOUND("/missing/");
	NOT_FOUND("/docs/missing.gmi");
	NOT_FOUND("/page.gmi/");
	NOT_FOUND("/notes.txt/");
}

static void
test_route_hidden(void **state)
{
	(void)state;
	NOT_FOUND("/.hidden.gmi");
	NOT_FOUND("/.secret/key.txt");
	NOT_FOUND("/.secret/");
	NOT_FOUND("/.secret");
	NOT_FOUND("/docs/../.secret/key.txt");
	NOT_FOUND("/docs/../.hidden.gmi");
}

static void
test_route_climb(void **state)
{
	(void)state;
	BAD("/../etc/passwd");
	BAD("/..");
	BAD("/docs/../../page.gmi");
	BAD("/../");
}

static void
test_route_hosts(void **state)
{
	(void)state;
	ROUTE("example.org", "/", RESULT_OTHER_HOST, NULL);
	ROUTE("example.org", "/page.gmi", RESULT_OTHER_HOST, NULL);
	ROUTE("localhost..", "/", RESULT_OTHER_HOST, NULL);
	ROUTE("localhostx", "/", RESULT_OTHER_HOST, NULL);
	ROUTE("LOCALHOST.", "/", RESULT_NODE, "/");
	ROUTE("LocalHost", "/page.gmi", RESULT_NODE, "/page.gmi");
}

/* A site keyed by its A-label answers to its U-label too (issue 12). */
static void
test_route_idna_host(void **state)
{
	struct site	site;
	struct router	r = { &site, 1, 1965 };

	(void)state;
	memset(&site, 0, sizeof(site));
	site.name = "xn--80aau21bd.kz";
	assert_ptr_equal(router_site(&r, "xn--80aau21bd.kz"), &site);
	assert_ptr_equal(router_site(&r, "XN--80AAU21BD.KZ."), &site);
	assert_ptr_equal(router_site(&r, "\xd2\x9b\xd0\xb0\xd0\xb7\xd0\xb0\xd2\x9b.kz"),
	    &site);
	assert_ptr_equal(router_site(&r, "\xd2\x9a\xd0\x90\xd0\x97\xd0\x90\xd2\x9a.kz."),
	    &site);
	assert_null(router_site(&r, "\xd2\x9b\xd0\xb0\xd0\xb7.kz"));
	assert_null(router_site(&r, "\xff.kz"));
}

static void
test_route_no_host(void **state)
{
	(void)state;
	/* Gopher has no host: it is not checked. */
	ROUTE(NULL, "/page.gmi", RESULT_NODE, "/page.gmi");
	ROUTE(NULL, "/", RESULT_NODE, "/");
	ROUTE(NULL, "", RESULT_NODE, "/");
	ROUTE(NULL, "/docs", RESULT_REDIRECT, "/docs/");
	ROUTE(NULL, "/missing", RESULT_NOT_FOUND, NULL);
	ROUTE(NULL, "/../x", RESULT_BAD_REQUEST, NULL);
}

static void
test_route_query_ignored(void **state)
{
	(void)state;
	route_at("localhost", "/page.gmi", "x=1", RESULT_NODE, "/page.gmi", NULL,
	    __FILE__, __LINE__);
	route_at("localhost", "/", "", RESULT_NODE, "/", NULL, __FILE__,
	    __LINE__);
	route_at("localhost", "/docs", "q", RESULT_REDIRECT, "/docs/", "/docs/",
	    __FILE__, __LINE__);
}

/* cgi = yes: the first executable component runs, the rest is PATH_INFO. */
static void
test_programs(void **state)
{
	static struct host_config	 hc;
	struct store			*s;
	struct site			 site;
	struct router			 r = { &site, 1, 1965 };
	struct request			 req;
	struct result			 res;
	char				*dir, path[512], err[512];

	(void)state;
	dir = unit_mkdtemp();
	unit_write_str(dir, "index.gmi", "# Root\n");
	unit_mkdir(dir, "cgi");
	unit_mkdir(dir, "cgi/sub");
	unit_mkdir(dir, "app");
	unit_write_str(dir, "cgi/run", "#!/bin/sh\n");
	unit_write_str(dir, "cgi/sub/deep", "#!/bin/sh\n");
	unit_write_str(dir, "cgi/data.txt", "text\n");
	unit_write_str(dir, "cgi/.hidden", "#!/bin/sh\n");
	unit_write_str(dir, "outside", "#!/bin/sh\n");
	unit_write_str(dir, "app/prog", "#!/bin/sh\n");
	unit_join(path, sizeof path, dir, "cgi/run");
	chmod(path, 0755);
	unit_join(path, sizeof path, dir, "cgi/sub/deep");
	chmod(path, 0755);
	unit_join(path, sizeof path, dir, "cgi/.hidden");
	chmod(path, 0755);
	unit_join(path, sizeof path, dir, "outside");
	chmod(path, 0755);
	unit_join(path, sizeof path, dir, "app/prog");
	chmod(path, 0755);
	memset(&hc, 0, sizeof hc);
	hc.npaths = 2;
	strcpy(hc.paths[0].prefix, "/cgi/");
	hc.paths[0].cgi = 1;
	strcpy(hc.paths[1].prefix, "/app/");
	hc.paths[1].cgi = -1;
	strcpy(hc.paths[1].fastcgi, "unix:/x");
	if ((s = load(dir, NULL, err, sizeof err)) == NULL)
		fail_msg("store_load: %s", err);
	memset(&site, 0, sizeof site);
	site.name = "localhost";
	site.conf = &hc;
	site.store = s;
	memset(&req, 0, sizeof req);
	req.site = &site;

	req.path = "/cgi/run/a//b";
	router_resolve(&r, &req, &res);
	assert_int_equal(res.kind, RESULT_PROGRAM);
	assert_ptr_equal(res.rule, &hc.paths[0]);
	assert_string_equal(res.path, "/cgi/run/a/b");
	assert_int_equal(res.script_len, strlen("/cgi/run"));
	assert_true(res.node->flags & NODE_EXEC);
	assert_string_equal(res.node->path, "/cgi/run");
	req.path = "/cgi/run";
	router_resolve(&r, &req, &res);
	assert_int_equal(res.kind, RESULT_PROGRAM);
	assert_int_equal(res.script_len, strlen("/cgi/run"));
	req.path = "/cgi/sub/deep/x";
	router_resolve(&r, &req, &res);
	assert_int_equal(res.kind, RESULT_PROGRAM);
	assert_int_equal(res.script_len, strlen("/cgi/sub/deep"));
	req.path = "/cgi/data.txt";		/* not executable: served */
	router_resolve(&r, &req, &res);
	assert_int_equal(res.kind, RESULT_NODE);
	req.path = "/cgi/.hidden";		/* dotfiles are never programs */
	router_resolve(&r, &req, &res);
	assert_int_equal(res.kind, RESULT_NOT_FOUND);
	req.path = "/cgi/none/x";
	router_resolve(&r, &req, &res);
	assert_int_equal(res.kind, RESULT_NOT_FOUND);
	req.path = "/outside";			/* executable, not beneath a prefix */
	router_resolve(&r, &req, &res);
	assert_int_equal(res.kind, RESULT_NODE);
	req.path = "/app/prog/i";		/* FastCGI: a file names the script */
	router_resolve(&r, &req, &res);
	assert_int_equal(res.kind, RESULT_PROGRAM);
	assert_int_equal(res.script_len, strlen("/app/prog"));
	req.path = "/app/virtual/i";		/* ... else the prefix does */
	router_resolve(&r, &req, &res);
	assert_int_equal(res.kind, RESULT_PROGRAM);
	assert_null(res.node);
	assert_int_equal(res.script_len, strlen("/app"));
	store_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_root_dir),
		cmocka_unit_test(test_root_gopher_menu),
		cmocka_unit_test(test_page),
		cmocka_unit_test(test_notes_txt),
		cmocka_unit_test(test_binary_files),
		cmocka_unit_test(test_docs),
		cmocka_unit_test(test_generated_listing),
		cmocka_unit_test(test_generated_listing_types),
		cmocka_unit_test(test_hidden_absent),
		cmocka_unit_test(test_odd_names),
		cmocka_unit_test(test_find_misses),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_all_menus_well_formed),
		cmocka_unit_test(test_lang),
		cmocka_unit_test(test_missing_root),
		cmocka_unit_test_teardown(test_large_file, unit_tmp_teardown),
		cmocka_unit_test_teardown(test_symlink_outside_root, unit_tmp_teardown),
		cmocka_unit_test_teardown(test_programs, unit_tmp_teardown),
		cmocka_unit_test_teardown(test_symlink_inside_root, unit_tmp_teardown),
		cmocka_unit_test_teardown(test_symlink_loop, unit_tmp_teardown),
		cmocka_unit_test_teardown(test_symlink_dir_to_parent, unit_tmp_teardown),
		cmocka_unit_test(test_route_root),
		cmocka_unit_test(test_route_pages),
		cmocka_unit_test(test_route_dot_segments),
		cmocka_unit_test(test_route_redirect),
		cmocka_unit_test(test_route_not_found),
		cmocka_unit_test(test_route_hidden),
		cmocka_unit_test(test_route_climb),
		cmocka_unit_test(test_route_hosts),
		cmocka_unit_test(test_route_idna_host),
		cmocka_unit_test(test_route_no_host),
		cmocka_unit_test(test_route_query_ignored),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
