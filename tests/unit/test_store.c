/* Unit tests for src/blob.c (the answer cache) and src/store.c's answers. */
#include "unit.h"

#include <malloc.h>

#include "blob.h"
#include "store.h"
#include "storeint.h"

static struct blob *
mk(size_t len, char fill)
{
	struct blob	*b = blob_new(len);

	assert_non_null(b);
	memset(b->data, fill, len);
	return b;
}

/* ---- the cache ---- */

static void
test_budget(void **state)
{
	struct cache	 c = { 0 };
	struct blob	*slot[8] = { 0 }, *b;
	size_t		 one;
	int		 i;

	(void)state;
	b = mk(1000, 'a');
	one = blob_cost(b);
	blob_unref(b);
	cache_set_budget(&c, 3 * one);
	for (i = 0; i < 8; i++) {
		b = mk(1000, (char)('a' + i));
		assert_int_equal(cache_put(&c, &slot[i], b), 0);
		blob_unref(b);
		assert_true(c.bytes <= c.budget);
	}
	assert_int_equal(c.count, 3);
	assert_int_equal(c.bytes, 3 * one);
	/* The oldest went first; their slots forgot them. */
	for (i = 0; i < 5; i++)
		assert_null(slot[i]);
	for (i = 5; i < 8; i++)
		assert_non_null(slot[i]);
	cache_clear(&c);
	assert_int_equal(c.bytes, 0);
	for (i = 0; i < 8; i++)
		assert_null(slot[i]);
}

static void
test_lru_order(void **state)
{
	struct cache	 c = { 0 };
	struct blob	*x = NULL, *y = NULL, *z = NULL, *w = NULL, *b;

	(void)state;
	b = mk(100, 'x');
	cache_set_budget(&c, 3 * blob_cost(b));
	cache_put(&c, &x, b);
	blob_unref(b);
	b = mk(100, 'y');
	cache_put(&c, &y, b);
	blob_unref(b);
	b = mk(100, 'z');
	cache_put(&c, &z, b);
	blob_unref(b);
	cache_touch(&c, x);	/* x is now the most recent: y goes next */
	b = mk(100, 'w');
	cache_put(&c, &w, b);
	blob_unref(b);
	assert_non_null(x);
	assert_null(y);
	assert_non_null(z);
	assert_non_null(w);
	assert_ptr_equal(c.head, w);
	assert_ptr_equal(c.tail, z);
	cache_clear(&c);
}

static void
test_refcount_survives_eviction(void **state)
{
	struct cache	 c = { 0 };
	struct blob	*s1 = NULL, *s2 = NULL, *b, *held;

	(void)state;
	b = mk(4000, 'q');
	cache_set_budget(&c, blob_cost(b));
	cache_put(&c, &s1, b);
	held = b;		/* a connection's reference: the creator's */
	assert_int_equal(held->refs, 2);
	b = mk(4000, 'r');
	cache_put(&c, &s2, b);	/* evicts the first */
	blob_unref(b);
	assert_null(s1);
	assert_int_equal(held->refs, 1);
	/* Still whole for the connection that sends it (ASan would see a free). */
	assert_int_equal(held->data[0], 'q');
	assert_int_equal(held->data[3999], 'q');
	blob_unref(held);
	cache_drop(&c, &s2);
	assert_null(s2);
	assert_int_equal(c.bytes, 0);
}

static void
test_too_big_not_cached(void **state)
{
	struct cache	 c = { 0 };
	struct blob	*slot = NULL, *small = NULL, *b;

	(void)state;
	cache_set_budget(&c, 2000);
	b = mk(100, 's');
	assert_int_equal(cache_put(&c, &small, b), 0);
	blob_unref(b);
	b = mk(5000, 'B');
	assert_int_equal(cache_put(&c, &slot, b), -1);
	assert_null(slot);
	assert_int_equal(b->refs, 1);
	assert_non_null(small);	/* nothing evicted for it */
	blob_unref(b);
	cache_clear(&c);
}

static void
test_drop_dependent(void **state)
{
	struct cache	 c = { 0 };
	struct blob	*page = NULL, *menu = NULL, *b;

	(void)state;
	cache_set_budget(&c, 1 << 20);
	b = mk(10, 'p');
	cache_put(&c, &page, b);
	blob_unref(b);
	b = mk(10, 'm');
	b->dependent = 1;
	cache_put(&c, &menu, b);
	blob_unref(b);
	cache_drop_dependent(&c);
	assert_non_null(page);
	assert_null(menu);
	cache_clear(&c);
}

/* ---- the store's answers ---- */

static struct store *
load(const char *root)
{
	struct store_opts	 o;
	struct store		*s;
	char			 err[512];

	memset(&o, 0, sizeof(o));
	o.root = root;
	o.host = "localhost";
	o.gopher_port = 70;
	if ((s = store_load(&o, err, sizeof(err))) == NULL)
		fail_msg("store_load(%s): %s", root, err);
	return s;
}

static void
test_file_shares_one_buffer(void **state)
{
	struct store		*s;
	const struct node	*n;
	struct answer		 g, p;
	char			*dir;

	(void)state;
	dir = unit_mkdtemp();
	unit_write_str(dir, "a.txt", "plain text\n");
	store_cache_budget(1 << 20);
	s = load(dir);
	n = store_find(s, "/a.txt");
	assert_non_null(n);
	assert_int_equal(store_answer(s, n, STORE_GEMINI, &g), 0);
	assert_int_equal(store_answer(s, n, STORE_GOPHER, &p), 0);
	assert_bytes_str(g.data, g.len, "20 text/plain\r\nplain text\n");
	assert_bytes_str(p.data, p.len, "plain text\n");
	assert_ptr_equal(g.blob, p.blob);	/* Gopher points past the status line */
	assert_ptr_equal(p.data, g.data + strlen("20 text/plain\r\n"));
	/* Exactly sized: the status line and the file, nothing more. */
	assert_int_equal(g.blob->len, strlen("20 text/plain\r\nplain text\n"));
	blob_unref(g.blob);
	blob_unref(p.blob);
	store_free(s);
}

/*
 * Gopher menus rendered one after another beside a full cache: what the
 * heap holds free (holes between cached answers) stays small, rather than
 * growing with every render's growing buffer freed between answers.
 */
static void
test_menus_leave_no_holes(void **state)
{
#ifdef __GLIBC__
	struct store		*s;
	const struct node	*n;
	struct answer		 a;
	struct mallinfo2	 mi;
	char			*dir, name[32], path[40], body[2400];
	size_t			 budget = 4 << 20, i, k;

	(void)state;
	dir = unit_mkdtemp();
	for (i = 0; i < 6000; i++) {
		k = (size_t)snprintf(body, sizeof body, "# Page %zu\n=> p%04zu.gmi next\n",
		    i, (i + 1) % 6000);
		while (k + 40 < sizeof body - 200 + (i % 7) * 25)
			k += (size_t)snprintf(body + k, sizeof body - k,
			    "words of page %zu, line %zu\n", i, k);
		snprintf(name, sizeof name, "p%04zu.gmi", i);
		unit_write_str(dir, name, body);
	}
	store_cache_budget(budget);
	s = load(dir);
	for (i = 0; i < 6000; i++) {
		snprintf(path, sizeof path, "/p%04zu.gmi", i);
		assert_non_null(n = store_find(s, path));
		assert_int_equal(store_answer(s, n, STORE_GOPHER, &a), 0);
		blob_unref(a.blob);
	}
	mi = mallinfo2();
	print_message("cache %zu bytes; heap %zu in use, %zu free\n",
	    store_cache_bytes(), mi.uordblks, mi.fordblks);
	assert_true(store_cache_bytes() > budget / 2);
	if (mi.fordblks > budget / 8)
		fail_msg("%zu bytes free in the heap beside a %zu-byte cache",
		    mi.fordblks, budget);
	store_free(s);

#else
	(void)state;
	skip();
#endif
}

static void
test_bom_dropped(void **state)
{
	struct store		*s;
	const struct node	*n;
	struct answer		 a;
	char			*dir;

	(void)state;
	dir = unit_mkdtemp();
	unit_write_str(dir, "b.gmi", "\xef\xbb\xbf# Title\nText\n");
	unit_write_str(dir, "c.txt", "\xef\xbb\xbfkept\n");
	s = load(dir);
	n = store_find(s, "/b.gmi");
	assert_non_null(n);
	assert_int_equal(store_answer(s, n, STORE_GEMINI, &a), 0);
	assert_bytes_str(a.data, a.len, "20 text/gemini\r\n# Title\nText\n");
	blob_unref(a.blob);
	assert_int_equal(store_answer(s, n, STORE_GOPHER, &a), 0);
	assert_true(a.len > 8 && memcmp(a.data, "iTitle\t", 7) == 0);
	assert_non_null(memmem(a.data, a.len, "i=====\t", 7));
	blob_unref(a.blob);
	/* Only pages: other files are served byte for byte. */
	n = store_find(s, "/c.txt");
	assert_int_equal(store_answer(s, n, STORE_GOPHER, &a), 0);
	assert_bytes_str(a.data, a.len, "\xef\xbb\xbfkept\n");
	blob_unref(a.blob);
	store_free(s);
}

/* A tree of one page, p.gmi, and its Gemini answer. */
static struct store *
one_page(const char *text, struct answer *a)
{
	struct store		*s;
	const struct node	*n;
	char			*dir;

	dir = unit_mkdtemp();
	unit_write_str(dir, "p.gmi", text);
	s = load(dir);
	n = store_find(s, "/p.gmi");
	assert_non_null(n);
	assert_int_equal(store_answer(s, n, STORE_GEMINI, a), 0);
	return s;
}

static void
test_answer_survives_store(void **state)
{
	struct store		*s;
	struct answer		 a;

	(void)state;
	s = one_page("# P\n", &a);
	store_free(s);		/* the node and its cache entry go */
	assert_bytes_str(a.data, a.len, "20 text/gemini\r\n# P\n");
	blob_unref(a.blob);
}

static void
test_uncached_when_budget_small(void **state)
{
	struct store		*s;
	struct answer		 a;

	(void)state;
	store_cache_budget(16);
	s = one_page("# A page bigger than the budget\n", &a);
	assert_int_equal(store_cache_bytes(), 0);
	assert_int_equal(a.blob->refs, 1);	/* only ours */
	assert_bytes_str(a.data, a.len,
	    "20 text/gemini\r\n# A page bigger than the budget\n");
	blob_unref(a.blob);
	store_cache_budget(1 << 20);
	store_free(s);
}

/* ---- the re-check on SIGHUP ---- */

/* store_adopt as a SIGHUP calls it, with the options the store was loaded with. */
static void
recheck(struct store *s, const char *root)
{
	struct store_opts	o;

	memset(&o, 0, sizeof(o));
	o.root = root;
	o.host = "localhost";
	o.gopher_port = 70;
	o.uid = (uid_t)-1;
	store_adopt(s, &o);
}

/* A copy of every node, bytes and address, to see that none was written. */
#define SNAP_MAX	32
struct snap {
	size_t			 n;
	const struct node	*at[SNAP_MAX];
	char			 bytes[SNAP_MAX][sizeof(struct node) + 64];
};

static void
snap_one(const struct node *n, void *arg)
{
	struct snap	*sn = arg;
	size_t		 len = sizeof(*n) + strlen(n->path) + 1;

	assert_true(sn->n < SNAP_MAX && len <= sizeof(sn->bytes[0]));
	sn->at[sn->n] = n;
	memcpy(sn->bytes[sn->n++], n, len);
}

static void
snap_same(const struct store *s, const struct snap *before)
{
	struct snap	*now = calloc(1, sizeof(*now));
	size_t		 i;

	assert_non_null(now);
	store_walk(s, snap_one, now);
	assert_int_equal(now->n, before->n);
	for (i = 0; i < now->n; i++) {
		assert_ptr_equal(now->at[i], before->at[i]);
		assert_memory_equal(now->bytes[i], before->bytes[i],
		    sizeof(struct node) + strlen(before->at[i]->path) + 1);
	}
	free(now);
}

/* Back to the server's margin, whatever a test set it to, and the tree removed. */
static int
stamp_teardown(void **state)
{
	store_stamp_racy = 5 * (int64_t)1000000000;
	return unit_tmp_teardown(state);
}

static char *
tree_for_recheck(void)
{
	char	*dir = unit_mkdtemp();

	unit_write_str(dir, "index.gmi", "# Home\n=> a/ A\n");
	unit_mkdir(dir, "a");
	unit_write_str(dir, "a/p.gmi", "# One\n");
	unit_write_str(dir, "a/t.txt", "text\n");
	unit_mkdir(dir, "a/b");
	unit_write_str(dir, "a/b/deep.gmi", "# Deep\n");
	unit_mkdir(dir, "c");
	unit_write_str(dir, "c/q.gmi", "# Q\n");
	unit_mkdir(dir, "s");
	unit_symlink("../t/target.gmi", dir, "s/link.gmi");	/* broken, for now */
	unit_mkdir(dir, "t");
	unit_write_str(dir, "f", "a file\n");
	usleep(50000);		/* past the clock tick the directories changed in */
	return dir;
}

/* A re-check that finds nothing changed writes to no node, read or not. */
static void
test_recheck_writes_no_node(void **state)
{
	struct store	*s;
	struct snap	*before = calloc(1, sizeof(*before));
	char		*dir;
	int		 pass;

	(void)state;
	assert_non_null(before);
	dir = tree_for_recheck();
	/* pass 0: stamps trusted, directories not read again; 1: all read. */
	for (pass = 0; pass < 2; pass++) {
		store_stamp_racy = pass == 0 ? 0 : (int64_t)3600 * 1000000000;
		s = load(dir);
		assert_true(!(store_find(s, "/a/")->flags & NF_UNSURE) == (pass == 0));
		assert_true(store_find(s, "/s/")->flags & NF_UNSURE);  /* a broken symlink */
		memset(before, 0, sizeof(*before));
		store_walk(s, snap_one, before);
		recheck(s, dir);
		snap_same(s, before);
		recheck(s, dir);
		snap_same(s, before);
		store_free(s);
	}
	free(before);
}

/*
 * Watching the tree (what every forked worker does first) writes to no
 * node either, even when the tree is too new for the stamps to vouch for
 * it: the nodes' pages stay shared with the parent.
 */
static void
test_watch_writes_no_node(void **state)
{
	struct store	*s;
	struct snap	*before = calloc(1, sizeof(*before));
	char		*dir;

	(void)state;
	assert_non_null(before);
	dir = unit_mkdtemp();	/* new: no directory's stamp vouches for it */
	unit_mkdir(dir, "a");
	unit_mkdir(dir, "a/b");
	unit_write_str(dir, "a/b/x.gmi", "# X\n");
	unit_mkdir(dir, "c");
	usleep(50000);
	s = load(dir);
	store_walk(s, snap_one, before);
	assert_int_equal(store_watch(s), 0);
	snap_same(s, before);
	assert_int_equal(store_watch(s), 0);	/* a second instance, as a worker's */
	snap_same(s, before);
	store_free(s);
	free(before);
}

/* Nor does serving: a cached answer is kept in this process's own slots. */
static void
test_answers_write_no_node(void **state)
{
	static const char	*paths[] = { "/", "/a/", "/a/p.gmi", "/a/t.txt",
				    "/a/b/deep.gmi", "/c/q.gmi" };
	struct store		*s;
	struct snap		*before = calloc(1, sizeof(*before));
	struct answer		 a;
	char			*dir;
	size_t			 i;
	int			 p;

	(void)state;
	assert_non_null(before);
	dir = tree_for_recheck();
	store_cache_budget(1 << 20);
	s = load(dir);
	store_walk(s, snap_one, before);
	for (p = STORE_GEMINI; p <= STORE_GOPHER; p++)
		for (i = 0; i < sizeof(paths) / sizeof(*paths); i++) {
			assert_int_equal(store_answer(s, store_find(s, paths[i]),
			    (enum store_proto)p, &a), 0);
			blob_unref(a.blob);
		}
	assert_true(store_cache_bytes() > 0);
	snap_same(s, before);
	/* Cached: the same blob again, without reading the disk. */
	assert_int_equal(store_answer(s, store_find(s, "/a/p.gmi"), STORE_GEMINI,
	    &a), 0);
	assert_true(a.blob->refs == 2);		/* the cache's and ours */
	blob_unref(a.blob);
	store_free(s);
	assert_int_equal(store_cache_bytes(), 0);
	free(before);
}

static void
assert_page(struct store *s, const char *path, const char *want)
{
	const struct node	*n = store_find(s, path);
	struct answer		 a;

	if (n == NULL)
		fail_msg("%s is not in the store", path);
	assert_int_equal(store_answer(s, n, STORE_GEMINI, &a), 0);
	assert_bytes_str(a.data, a.len, want);
	blob_unref(a.blob);
}

/*
 * What changed while no inotify watched (as on a file system it cannot
 * watch, or past the watch limit) is caught by the re-check: in a
 * directory whose stamp holds too (a file's content changes no directory),
 * and a symlink that starts to resolve when its target appears elsewhere.
 */
static void
test_recheck_catches_changes(void **state)
{
	struct store	*s;
	char		*dir, path[4096];

	(void)state;
	store_stamp_racy = 0;
	dir = tree_for_recheck();
	store_cache_budget(1 << 20);
	s = load(dir);
	assert_page(s, "/a/p.gmi", "20 text/gemini\r\n# One\n");	/* cached */
	assert_null(store_find(s, "/s/link.gmi"));
	assert_false(store_find(s, "/a/")->flags & NF_UNSURE);
	unit_write_str(dir, "a/p.gmi", "# Two\n");		/* same size, in place */
	unit_write_str(dir, "a/b/deep.gmi", "# Deeper\n");
	unit_join(path, sizeof(path), dir, "c/q.gmi");
	assert_int_equal(unlink(path), 0);
	unit_write_str(dir, "c/r.gmi", "# R\n");
	unit_write_str(dir, "t/target.gmi", "# Target\n");
	unit_join(path, sizeof(path), dir, "f");
	assert_int_equal(unlink(path), 0);
	unit_mkdir(dir, "f");
	unit_write_str(dir, "f/index.gmi", "# F\n");
	recheck(s, dir);
	assert_page(s, "/a/p.gmi", "20 text/gemini\r\n# Two\n");
	assert_page(s, "/a/b/deep.gmi", "20 text/gemini\r\n# Deeper\n");
	assert_page(s, "/a/t.txt", "20 text/plain\r\ntext\n");
	assert_null(store_find(s, "/c/q.gmi"));
	assert_page(s, "/c/r.gmi", "20 text/gemini\r\n# R\n");
	assert_page(s, "/s/link.gmi", "20 text/gemini\r\n# Target\n");
	assert_null(store_find(s, "/f"));
	assert_page(s, "/f/", "20 text/gemini\r\n# F\n");
	store_free(s);
}

/* Nodes removed and added again through re-checks: their memory is reused whole. */
static void
node_name(char *out, size_t outsz, int round, int i)
{
	/* names of many lengths: nodes of many sizes */
	if (round == 0)
		snprintf(out, outsz, "p%02d.gmi", i);
	else
		snprintf(out, outsz, "r%d-%0*d.gmi", round, i % 9 + 1, i);
}

static void
test_nodes_reused(void **state)
{
	struct store	*s;
	char		*dir, name[64], want[128], path[4096];
	int		 round, i;

	(void)state;
	dir = unit_mkdtemp();
	store_cache_budget(1 << 20);
	for (i = 0; i < 40; i++) {
		node_name(name, sizeof(name), 0, i);
		unit_write_str(dir, name, "# First\n");
	}
	s = load(dir);
	for (round = 1; round <= 3; round++) {
		for (i = 0; i < 40; i += 2) {	/* the odd ones stay */
			node_name(name, sizeof(name), round - 1, i);
			unit_join(path, sizeof(path), dir, name);
			assert_int_equal(unlink(path), 0);
			node_name(name, sizeof(name), round, i);
			snprintf(want, sizeof(want), "# Round %d, %d\n", round, i);
			unit_write_str(dir, name, want);
		}
		recheck(s, dir);
		for (i = 0; i < 40; i++) {
			path[0] = '/';
			node_name(path + 1, sizeof(path) - 1, round - 1, i);
			if (i % 2 == 0)
				assert_null(store_find(s, path));
			node_name(path + 1, sizeof(path) - 1, i % 2 ? 0 : round, i);
			if (i % 2)
				snprintf(want, sizeof(want), "20 text/gemini\r\n# First\n");
			else
				snprintf(want, sizeof(want),
				    "20 text/gemini\r\n# Round %d, %d\n", round, i);
			assert_page(s, path, want);
		}
		assert_int_equal(store_count(s, NODE_PAGE), 40);
	}
	store_free(s);
}

/* A directory changed moments ago is read again next time, whatever its stamp says. */
static void
test_recent_stamp_not_trusted(void **state)
{
	struct store	*s;
	char		*dir;

	(void)state;
	dir = unit_mkdtemp();
	unit_mkdir(dir, "d");
	unit_write_str(dir, "d/x.gmi", "# X\n");
	s = load(dir);		/* the default: 5 s */
	assert_true(store_find(s, "/d/")->flags & NF_UNSURE);
	store_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_lru_order),
		cmocka_unit_test(test_refcount_survives_eviction),
		cmocka_unit_test(test_too_big_not_cached),
		cmocka_unit_test(test_drop_dependent),
		cmocka_unit_test_teardown(test_file_shares_one_buffer, unit_tmp_teardown),
		cmocka_unit_test_teardown(test_bom_dropped, unit_tmp_teardown),
		cmocka_unit_test_teardown(test_answer_survives_store, unit_tmp_teardown),
		cmocka_unit_test_teardown(test_uncached_when_budget_small, unit_tmp_teardown),
		cmocka_unit_test_teardown(test_recheck_writes_no_node, stamp_teardown),
		cmocka_unit_test_teardown(test_watch_writes_no_node, stamp_teardown),
		cmocka_unit_test_teardown(test_answers_write_no_node, stamp_teardown),
		cmocka_unit_test_teardown(test_recheck_catches_changes, stamp_teardown),
		cmocka_unit_test_teardown(test_recent_stamp_not_trusted, stamp_teardown),
		cmocka_unit_test_teardown(test_nodes_reused, stamp_teardown),
		cmocka_unit_test_teardown(test_menus_leave_no_holes, unit_tmp_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
