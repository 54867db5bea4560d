/*
 * The content store. At start-up it walks the tree under the root through
 * directory fds and keeps metadata only: one compact node per file or
 * directory (canonical path inline, kind, item type, stats). Answers are
 * read and rendered when first asked for and kept in this process's cache,
 * bounded in bytes; a connection holds a reference to what it sends.
 *
 * The same scan loads the tree, applies live updates (storewatch.c) and
 * re-checks it on SIGHUP: nodes are compared by kind and stats, added,
 * updated or removed, and the answers that depend on them dropped.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/openat2.h>

#include "buf.h"
#include "compat.h"
#include "gophermap.h"
#include "hash.h"
#include "log.h"
#include "mime.h"
#include "path.h"
#include "search.h"
#include "store.h"
#include "storeint.h"
#include "url.h"

static const char BOM[] = "\xef\xbb\xbf";

#define STORE_DEPTH	32
#define STORE_NODES	2000000

/*
 * The nodes a directory's scan found again. Kept beside the nodes, not as
 * a flag in them: a re-check that finds nothing changed writes to no node,
 * so the pages they share with forked workers stay shared.
 */
struct seen {
	const struct node	**v;
	size_t			  n, cap;
	int			  failed;
	size_t			  skipped;	/* entries served by no node */
};

/* Ancestors of the directory being scanned, to stop symlink loops. */
struct anc {
	uint64_t	dev[STORE_DEPTH];
	uint64_t	ino[STORE_DEPTH];
	int		depth;
};

#define ANS_CHUNK	1024	/* nodes per chunk of a process's cache slots */
#define POOL_BLOCK	(256 * 1024)

static struct cache	cache = { NULL, NULL, 0, STORE_CACHE, 0 };

int64_t		store_stamp_racy = 5 * (int64_t)1000000000;	/* see dir_stamp */

static int	scan_dir(struct store *, struct node *, int, struct anc *);

int64_t
store_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *
store_relpath(const char *path)
{
	return path[1] == '\0' ? "." : path + 1;
}

static int
is_dir_path(const char *path)
{
	return path[strlen(path) - 1] == '/';
}

void
store_cache_budget(size_t budget)
{
	cache_set_budget(&cache, budget);
}

size_t
store_cache_bytes(void)
{
	return cache.bytes;
}

/* ---- nodes ---- */

uint32_t
store_number_take(struct numbers *nb)
{
	return nb->nfree > 0 ? nb->free[--nb->nfree] : nb->next++;
}

/* A number back for reuse (kept, if memory for that runs out). */
void
store_number_give(struct numbers *nb, uint32_t no)
{
	uint32_t	*v;
	size_t		 cap;

	if (nb->nfree == nb->cap) {
		cap = nb->cap ? nb->cap * 2 : 64;
		if ((v = reallocarray(nb->free, cap, sizeof *v)) == NULL)
			return;
		nb->free = v;
		nb->cap = cap;
	}
	nb->free[nb->nfree++] = no;
}

/*
 * A node's cache slot for a protocol, in this process's own table by the
 * node's number: caching an answer writes to no node, so serving leaves the
 * nodes' pages shared with the parent instead of copying them into every
 * worker. Chunks never move (a cached blob points at its slot) and are made
 * when first needed (make); NULL: none, or out of memory.
 */
static struct blob **
answer_slot(struct store *s, const struct node *n, enum store_proto proto,
    int make)
{
	struct blob	***v;
	size_t		  c = n->no / ANS_CHUNK, cap;

	if (c >= s->nans || s->ans[c] == NULL) {
		if (!make)
			return NULL;
		if (c >= s->nans) {
			cap = c * 2 + 4;
			if ((v = reallocarray(s->ans, cap, sizeof *v)) == NULL)
				return NULL;
			memset(v + s->nans, 0, (cap - s->nans) * sizeof *v);
			s->ans = v;
			s->nans = cap;
		}
		if ((s->ans[c] = calloc(2 * ANS_CHUNK, sizeof *s->ans[c])) == NULL)
			return NULL;
	}
	return &s->ans[c][n->no % ANS_CHUNK * 2 + proto];
}

struct node *
store_lookup(const struct store *s, const char *path)
{
	struct node	*n;
	uint32_t	 h = hash_str(path);

	for (n = s->table[h & s->mask]; n != NULL; n = n->next)
		if (n->hash == h && strcmp(n->path, path) == 0)
			return n;
	return NULL;
}

static int
table_grow(struct store *s)
{
	struct node	**t, *n, *next;
	size_t		  size = (s->mask + 1) * 2, i;

	if ((t = calloc(size, sizeof *t)) == NULL) {
		snprintf(s->err, sizeof s->err, "cannot allocate %zu bytes for "
		    "the node table", size * sizeof *t);
		return -1;
	}
	for (i = 0; i <= s->mask; i++)
		for (n = s->table[i]; n != NULL; n = next) {
			next = n->next;
			n->next = t[n->hash & (size - 1)];
			t[n->hash & (size - 1)] = n;
		}
	free(s->table);
	s->table = t;
	s->mask = size - 1;
	return 0;
}

/*
 * Nodes live in blocks of their own, apart from the heap that every other
 * allocation churns through: a malloc in the parent (a reload's TLS
 * contexts) or in a worker (a connection's buffers) that reused a freed
 * chunk between nodes would copy that page out of the ones the processes
 * share. A node's memory is only written when it is added or removed.
 */
static size_t
pool_size(size_t want)
{
	return (want + POOL_STEP - 1) / POOL_STEP * POOL_STEP;
}

static void *
pool_get(struct pool *p, size_t want)
{
	size_t	 size = pool_size(want);
	void	*v, **block;

	if ((v = p->free[size / POOL_STEP]) != NULL) {
		p->free[size / POOL_STEP] = *(void **)v;
		memset(v, 0, size);
		return v;
	}
	if (p->left < size) {
		block = mmap(NULL, POOL_BLOCK, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (block == MAP_FAILED)
			return NULL;
		*block = p->blocks;
		p->blocks = block;
		p->cur = (char *)block + POOL_STEP;
		p->left = POOL_BLOCK - POOL_STEP;
	}
	v = p->cur;		/* zero: fresh from mmap */
	p->cur += size;
	p->left -= size;
	return v;
}

static void
pool_put(struct pool *p, void *v, size_t want)
{
	size_t	size = pool_size(want);

	*(void **)v = p->free[size / POOL_STEP];
	p->free[size / POOL_STEP] = v;
}

static void
pool_free(struct pool *p)
{
	void	*b, *next;

	for (b = p->blocks; b != NULL; b = next) {
		next = *(void **)b;
		munmap(b, POOL_BLOCK);
	}
	memset(p, 0, sizeof *p);
}

/* A new node under parent; NULL (and s->err says why) on failure. */
static struct node *
node_add(struct store *s, struct node *parent, const char *path,
    enum node_kind kind)
{
	struct node	*n;
	size_t		 len = strlen(path), want = sizeof *n + len + 1;

	if (s->nnodes >= STORE_NODES) {
		snprintf(s->err, sizeof s->err, "more than %d files and "
		    "directories", STORE_NODES);
		return NULL;
	}
	if (s->nnodes >= s->mask + 1 && table_grow(s) == -1)
		return NULL;
	if ((n = pool_get(&s->pool, want)) == NULL) {
		snprintf(s->err, sizeof s->err, "cannot allocate %zu bytes for %s",
		    want, path);
		return NULL;
	}
	memcpy(n->path, path, len + 1);
	n->kind = kind;
	n->no = store_number_take(&s->nodenos);
	if (kind == NODE_DIR)
		store_watch_number(s, n);
	n->hash = hash_str(path);
	n->next = s->table[n->hash & s->mask];
	s->table[n->hash & s->mask] = n;
	if ((n->parent = parent) != NULL) {
		n->sibling = parent->child;
		parent->child = n;
	}
	s->nnodes++;
	s->counts[kind]++;
	s->shape = 1;
	return n;
}

static void
node_forget_answers(struct store *s, const struct node *n)
{
	struct blob	**slot;

	if ((slot = answer_slot(s, n, STORE_GEMINI, 0)) != NULL)
		cache_drop(&cache, slot);
	if ((slot = answer_slot(s, n, STORE_GOPHER, 0)) != NULL)
		cache_drop(&cache, slot);
}

/* Removes a node and everything beneath it. */
static void
node_remove(struct store *s, struct node *n)
{
	struct node	**pp;

	while (n->child != NULL)
		node_remove(s, n->child);
	node_forget_answers(s, n);
	if (s->search != NULL && n->kind != NODE_DIR)
		search_remove(s->search, n->path);
	for (pp = &s->table[n->hash & s->mask]; *pp != NULL; pp = &(*pp)->next)
		if (*pp == n) {
			*pp = n->next;
			break;
		}
	if (n->parent != NULL)
		for (pp = &n->parent->child; *pp != NULL; pp = &(*pp)->sibling)
			if (*pp == n) {
				*pp = n->sibling;
				break;
			}
	store_watch_forget(s, n);
	store_number_give(&s->nodenos, n->no);
	s->nnodes--;
	s->counts[n->kind]--;
	s->shape = 1;
	pool_put(&s->pool, n, sizeof *n + strlen(n->path) + 1);
}

/* ---- opening beneath the root ---- */

static int
open_beneath(const struct store *s, const char *rel, int flags)
{
	struct open_how	how;
	int		fd;

	memset(&how, 0, sizeof how);
	how.flags = flags | O_CLOEXEC;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	fd = syscall(SYS_openat2, s->rootfd, rel, &how, sizeof how);
	if (fd == -1 && errno == ENOSYS)
		fd = openat(s->rootfd, rel, flags | O_CLOEXEC | O_NOFOLLOW);
	return fd;
}

/* Opens a streamed file beneath the root; a path that now leaves it fails. */
int
store_open(const struct store *s, const struct node *n)
{
	struct stat	st;
	int		fd;

	if (!store_streams(n))
		return -1;
	if ((fd = open_beneath(s, store_relpath(n->path), O_RDONLY | O_NONBLOCK)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* ---- reports ---- */

void
store_report(struct store *s, enum store_problem p, const char *path,
    const char *fmt, ...)
{
	char	msg[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	s->problems[p]++;
	log_warnx("%s%s: %s", strcmp(s->opts.root, "/") == 0 ? "" :
	    s->opts.root, path, msg);
}

/* Whether the serving user may read (and, a directory, search) it. */
static void
check_access(struct store *s, const char *path, const struct stat *st)
{
	unsigned	bits, want = S_ISDIR(st->st_mode) ? 5 : 4;

	if (s->opts.uid == (uid_t)-1 || s->opts.uid == 0)
		return;
	if (st->st_uid == s->opts.uid)
		bits = (st->st_mode >> 6) & 7;
	else if (st->st_gid == s->opts.gid)
		bits = (st->st_mode >> 3) & 7;
	else
		bits = st->st_mode & 7;
	if ((bits & want) != want)
		store_report(s, PROB_ACCESS, path, "the serving user (uid %d) "
		    "cannot read it", (int)s->opts.uid);
}

/* ---- the scan: one directory, the same code for load and update ---- */

/* Names we can carry safely in a URL, a Gopher field and a log line. */
static int
name_servable(const char *name)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)name; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return utf8_valid(name, strlen(name));
}

int64_t
store_mtime(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

int64_t
store_dir_stamp(const struct stat *st)
{
	return (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
}

/* A directory's stamp is its scan's to set (scan_dir): 0 until then. */
static void
node_set_stat(struct node *n, const struct stat *st)
{
	n->mtime = S_ISDIR(st->st_mode) ? 0 : store_mtime(st);
	n->ino = st->st_ino;
	n->dev = st->st_dev;
	n->size = st->st_size;
	if (S_ISREG(st->st_mode) && (st->st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)))
		n->flags |= NODE_EXEC;
	else
		n->flags &= ~NODE_EXEC;
}

static int
stat_same(const struct node *n, const struct stat *st)
{
	int	exec = S_ISREG(st->st_mode) &&
		    (st->st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) != 0;

	return n->mtime == store_mtime(st) && n->ino == (uint64_t)st->st_ino &&
	    n->dev == (uint64_t)st->st_dev && n->size == st->st_size &&
	    exec == ((n->flags & NODE_EXEC) != 0);
}


/* A directory, new or found again: recursion with the loop check. */
static int
scan_subdir(struct store *s, struct node *n, struct anc *a)
{
	int	i, r;

	for (i = 0; i < a->depth; i++)
		if (a->dev[i] == n->dev && a->ino[i] == n->ino)
			return 0;
	if (a->depth == STORE_DEPTH)
		return 0;
	a->dev[a->depth] = n->dev;
	a->ino[a->depth++] = n->ino;
	r = scan_dir(s, n, 1, a);
	a->depth--;
	return r;
}

/* The stat of an entry, a symlink followed only if it stays beneath the root. */
static int
entry_stat(struct store *s, int dfd, const char *name, const char *path,
    struct stat *st)
{
	int	fd;

	if (fstatat(dfd, name, st, AT_SYMLINK_NOFOLLOW) == -1)
		return -1;
	if (!S_ISLNK(st->st_mode))
		return 0;
	if ((fd = open_beneath(s, store_relpath(path), O_PATH)) == -1) {
		if (s->loading)
			store_report(s, PROB_OUTSIDE, path, "skipped: the "
			    "symlink leads outside the root or is broken");
		return -1;
	}
	if (fstat(fd, st) == -1) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int
dir_loops(const struct anc *a, const struct stat *st)
{
	int	i;

	for (i = 0; i < a->depth; i++)
		if (a->dev[i] == (uint64_t)st->st_dev && a->ino[i] == (uint64_t)st->st_ino)
			return 1;
	return a->depth == STORE_DEPTH;
}

static void
seen_add(struct seen *sn, const struct node *n)
{
	const struct node	**v;
	size_t			  cap;

	if (sn->n == sn->cap) {
		cap = sn->cap ? sn->cap * 2 : 32;
		if ((v = reallocarray(sn->v, cap, sizeof *v)) == NULL) {
			sn->failed = 1;
			return;
		}
		sn->v = v;
		sn->cap = cap;
	}
	sn->v[sn->n++] = n;
}

static int
ptr_cmp(const void *a, const void *b)
{
	uintptr_t	x = (uintptr_t)*(const void *const *)a;
	uintptr_t	y = (uintptr_t)*(const void *const *)b;

	return x < y ? -1 : x > y;
}

/* Removes the children the scan did not find (none if it lost count). */
static void
seen_prune(struct store *s, struct node *dir, struct seen *sn)
{
	struct node	*c, *next;

	if (sn->failed)
		return;
	if (sn->n > 0)
		qsort(sn->v, sn->n, sizeof *sn->v, ptr_cmp);
	for (c = dir->child; c != NULL; c = next) {
		next = c->sibling;
		if (sn->n == 0 ||
		    bsearch(&c, sn->v, sn->n, sizeof *sn->v, ptr_cmp) == NULL)
			node_remove(s, c);
	}
}

/*
 * A text page (again) into the search index, when the store keeps one.
 * Pages in a certificate area stay out: results quote their text. -1 only
 * when memory ran out.
 */
static int
node_index(struct store *s, const struct node *n)
{
	struct blob	*b;
	int		 r;

	if (s->search == NULL || (n->kind != NODE_PAGE &&
	    (n->kind != NODE_FILE || n->gopher_type != '0')) ||
	    path_rule_protected(s->opts.rules, s->opts.nrules, n->path))
		return 0;
	if (store_read(s, n, &b) != 0) {
		search_remove(s->search, n->path);	/* unreadable: unsearched */
		return 0;
	}
	r = search_put(s->search, n->path, b->data + b->off, b->len - b->off);
	blob_unref(b);
	if (r == -1)
		snprintf(s->err, sizeof s->err, "cannot allocate %zu bytes for %s "
		    "(its search index)", search_wanted(s->search), n->path);
	return r;
}

/* What an entry (path without a directory's slash) is served as; -1: not served. */
static int
entry_kind(const struct store *s, const char *path, const struct stat *st,
    const struct anc *a)
{
	if (S_ISDIR(st->st_mode))
		return dir_loops(a, st) ? -1 : NODE_DIR;  /* a symlink up the tree */
	if (S_ISREG(st->st_mode))
		return mime_is_gemtext(path) ? NODE_PAGE :
		    (size_t)st->st_size > s->opts.large ? NODE_LARGE : NODE_FILE;
	return -1;
}

/* One entry of a directory under scan: new, changed, or the same. */
static int
scan_entry(struct store *s, struct node *dir, int dfd, const char *name,
    int full, struct anc *a, struct seen *sn)
{
	char		 path[PATH_MAX_LEN + 2];
	struct stat	 st;
	struct node	*n;
	int		 kind, r;

	/* Until it has a node, the directory's stamp cannot vouch for it. */
	sn->skipped++;
	r = snprintf(path, sizeof path, "%s%s", dir->path, name);
	if (r < 0 || (size_t)r >= sizeof path - 1)
		return 0;
	if (store_being_written(s, path)) {
		if ((n = store_lookup(s, path)) != NULL)
			seen_add(sn, n);
		return 0;
	}
	if (entry_stat(s, dfd, name, path, &st) == -1 ||
	    (kind = entry_kind(s, path, &st, a)) == -1)
		return 0;
	sn->skipped--;
	if (kind == NODE_DIR) {
		path[r] = '/';
		path[r + 1] = '\0';
	}
	if ((n = store_lookup(s, path)) != NULL && n->kind == kind) {
		seen_add(sn, n);
		if (kind == NODE_DIR) {
			if (n->ino != (uint64_t)st.st_ino || n->dev != (uint64_t)st.st_dev)
				node_set_stat(n, &st);
			return full ? scan_subdir(s, n, a) : 0;
		}
		if (stat_same(n, &st))
			return 0;
		node_set_stat(n, &st);
		node_forget_answers(s, n);
		check_access(s, path, &st);
		return node_index(s, n);
	}
	if (n != NULL)
		node_remove(s, n);	/* it changed kind */
	if ((n = node_add(s, dir, path, kind)) == NULL)
		return -1;
	seen_add(sn, n);
	node_set_stat(n, &st);
	n->gopher_type = kind == NODE_DIR ? '1' : mime_gopher_type(path);
	check_access(s, path, &st);
	if (kind != NODE_DIR)
		return node_index(s, n);
	store_watch_add(s, n);
	return scan_subdir(s, n, a);
}

/* Whether a directory without its index.gmi is listed. */
static void
dir_listing(struct store *s, struct node *dir)
{
	char		 path[PATH_MAX_LEN + 16];
	struct node	*idx;
	int		 unlisted = 0;

	snprintf(path, sizeof path, "%sindex.gmi", dir->path);
	idx = store_lookup(s, path);
	if ((idx == NULL || idx->kind != NODE_PAGE) &&
	    !path_rule_listing(s->opts.rules, s->opts.nrules, dir->path,
	    !s->opts.nolisting))
		unlisted = 1;
	if (dir->unlisted != unlisted) {
		s->shape = 1;
		dir->unlisted = unlisted;
	}
}

/* A name for a log line: bytes outside printable ASCII as \xNN. */
static void
name_escape(const char *name, char *out, size_t outsz)
{
	const unsigned char	*p;
	size_t			 o = 0;

	for (p = (const unsigned char *)name; *p != '\0' && o + 5 < outsz; p++) {
		if (*p < 0x20 || *p >= 0x7f)
			o += snprintf(out + o, outsz - o, "\\x%02x", *p);
		else
			out[o++] = *p;
	}
	out[o] = '\0';
}

/*
 * A directory's stamp, kept in its node's mtime: its ctime when it was
 * read, which every change of its entries moves (and which, unlike its
 * mtime, nobody sets back). NF_UNSURE, so that the next re-check reads it
 * again, when the ctime is too recent to vouch for the entries read after
 * it (one made in the same tick of a coarse file-system clock would leave
 * it unchanged), or when an entry is served by no node (a symlink that
 * does not resolve may start to without its directory changing). Written
 * only when it changes.
 */
static void
dir_stamp(struct node *dir, const struct stat *st, const struct seen *sn)
{
	struct timespec	now;
	int64_t		c = st != NULL ? store_dir_stamp(st) : 0;
	unsigned char	unsure = 0;

	clock_gettime(CLOCK_REALTIME, &now);
	if (st == NULL || sn->skipped > 0 || sn->failed ||
	    c > (int64_t)now.tv_sec * 1000000000 + now.tv_nsec - store_stamp_racy)
		unsure = NF_UNSURE;
	if (dir->mtime != c)
		dir->mtime = c;
	if ((dir->flags & NF_UNSURE) != unsure)
		dir->flags ^= NF_UNSURE;
}

/*
 * A re-check of a directory whose stamp holds: its entries are those its
 * nodes have, so each is only asked for its stats again (a file's content
 * changes no directory). 1: all as they were, and the subdirectories
 * re-checked; 0: something changed, so read the directory; -1: out of memory.
 */
static int
scan_known(struct store *s, struct node *dir, int dfd, struct anc *a)
{
	char		 path[PATH_MAX_LEN + 2];
	struct stat	 st;
	struct node	*c;
	size_t		 dl = strlen(dir->path), len;

	for (c = dir->child; c != NULL; c = c->sibling) {
		len = strlcpy(path, c->path, sizeof path);
		if (c->kind == NODE_DIR)
			path[len - 1] = '\0';
		/* The same stats keep a file's kind: it hangs on name and size. */
		if (entry_stat(s, dfd, path + dl, path, &st) == -1 ||
		    (c->kind == NODE_DIR ? !S_ISDIR(st.st_mode) ||
		    c->ino != (uint64_t)st.st_ino || c->dev != (uint64_t)st.st_dev :
		    !S_ISREG(st.st_mode) || !stat_same(c, &st)))
			return 0;
	}
	for (c = dir->child; c != NULL; c = c->sibling)
		if (c->kind == NODE_DIR && scan_subdir(s, c, a) == -1)
			return -1;
	return 1;
}

/*
 * Scans a directory's entries against its nodes. full: also every
 * subdirectory (new ones always are), and a directory whose stamp holds is
 * not read again. -1 only when memory ran out.
 */
static int
scan_dir(struct store *s, struct node *dir, int full, struct anc *a)
{
	struct seen	 sn = { NULL, 0, 0, 0, 0 };
	struct dirent	*e;
	struct stat	 st;
	DIR		*d;
	char		 esc[4 * NAME_MAX + 1];
	int		 fd, statted, r = 0;

	if ((fd = open_beneath(s, store_relpath(dir->path), O_RDONLY | O_DIRECTORY)) == -1 ||
	    (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		if (s->loading)
			log_warnx("skipping %s: %s", dir->path, strerror(errno));
		return 0;
	}
	if ((statted = fstat(fd, &st) == 0) && full && !(dir->flags & NF_UNSURE) &&
	    dir->mtime != 0 && s->nwriting == 0 && store_dir_stamp(&st) == dir->mtime)
		r = scan_known(s, dir, fd, a);
	if (r != 0) {
		closedir(d);
		if (r == -1)
			return -1;
		dir_listing(s, dir);
		return 0;
	}
	while (r == 0 && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (!name_servable(e->d_name)) {
			if (s->loading) {
				name_escape(e->d_name, esc, sizeof esc);
				store_report(s, PROB_NAME, dir->path, "skipped \"%s\": "
				    "the name is not UTF-8 or has control bytes", esc);
			}
			continue;
		}
		r = scan_entry(s, dir, fd, e->d_name, full, a, &sn);
	}
	closedir(d);
	if (r == 0)
		seen_prune(s, dir, &sn);
	free(sn.v);
	if (r == -1)
		return -1;
	dir_stamp(dir, statted ? &st : NULL, &sn);
	dir_listing(s, dir);
	return 0;
}

/* The ancestors of a directory, from the nodes above it. */
static void
anc_of(const struct node *dir, struct anc *a)
{
	const struct node	*p;
	int			 n = 0, i;

	for (p = dir; p != NULL && n < STORE_DEPTH; p = p->parent)
		n++;
	a->depth = n;
	for (p = dir, i = n - 1; p != NULL && i >= 0; p = p->parent, i--) {
		a->dev[i] = p->dev;
		a->ino[i] = p->ino;
	}
}

/* Rescans one directory (and, full, all below); drops what depended on a change. */
void
store_rescan(struct store *s, struct node *dir, int full)
{
	struct anc	a;

	anc_of(dir, &a);
	a.depth--;		/* scan_dir does not push dir itself */
	if (a.depth < 0)
		a.depth = 0;
	a.dev[a.depth] = dir->dev;
	a.ino[a.depth++] = dir->ino;
	if (scan_dir(s, dir, full, &a) == -1)
		log_warnx("content update of %s: %s", dir->path, s->err);
}

void
store_settle(struct store *s)
{
	if (s->shape)
		cache_drop_dependent(&cache);
	s->shape = 0;
}

/* ---- load, free ---- */

static int
store_copy_opts(struct store *s, const struct store_opts *o)
{
	s->opts = *o;
	s->opts.root = NULL;
	s->opts.lang = NULL;
	s->opts.host = NULL;
	s->opts.search = NULL;
	if (o->search != NULL && (s->opts.search = strdup(o->search)) == NULL)
		return -1;
	if ((s->opts.root = strdup(o->root)) == NULL ||
	    (o->lang != NULL && (s->opts.lang = strdup(o->lang)) == NULL) ||
	    (s->opts.host = strdup(o->host ? o->host : "localhost")) == NULL)
		return -1;
	if (s->opts.large == 0)
		s->opts.large = STORE_LARGE;
	return 0;
}

static void
store_free_opts(struct store *s)
{
	free((char *)(uintptr_t)s->opts.root);
	free((char *)(uintptr_t)s->opts.lang);
	free((char *)(uintptr_t)s->opts.host);
	free((char *)(uintptr_t)s->opts.search);
}

struct store *
store_load(const struct store_opts *o, char *err, size_t errsz)
{
	struct store	*s;
	struct stat	 st;
	struct anc	 a;

	if ((s = calloc(1, sizeof *s)) == NULL ||
	    (s->table = calloc(1024, sizeof *s->table)) == NULL) {
		free(s);
		snprintf(err, errsz, "content root %s: out of memory", o->root);
		return NULL;
	}
	s->mask = 1023;
	s->rootfd = s->ifd = -1;
	if (store_copy_opts(s, o) == -1) {
		snprintf(err, errsz, "content root %s: out of memory", o->root);
		store_free(s);
		return NULL;
	}
	if ((s->rootfd = open(o->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fstat(s->rootfd, &st) == -1) {
		snprintf(err, errsz, "content root %s: %s", o->root, strerror(errno));
		store_free(s);
		return NULL;
	}
	if (o->search != NULL && (s->search = search_new()) == NULL) {
		snprintf(s->err, sizeof s->err, "cannot allocate a search index");
		goto fail;
	}
	if ((s->top = node_add(s, NULL, "/", NODE_DIR)) == NULL)
		goto fail;
	node_set_stat(s->top, &st);
	s->top->gopher_type = '1';
	check_access(s, "/", &st);
	memset(&a, 0, sizeof a);
	a.dev[0] = st.st_dev;
	a.ino[0] = st.st_ino;
	a.depth = 1;
	s->loading = 1;
	if (scan_dir(s, s->top, 1, &a) == -1)
		goto fail;
	s->loading = 0;
	s->shape = 0;
	if (s->search != NULL)
		search_trim(s->search);
	if (s->nnodes == 1)
		store_report(s, PROB_EMPTY, "/", "the content root is empty");
	return s;
fail:
	snprintf(err, errsz, "content root %s: out of memory: %s", o->root, s->err);
	store_free(s);
	return NULL;
}

void
store_free(struct store *s)
{
	size_t	i;

	if (s == NULL)
		return;
	search_free(s->search);
	s->search = NULL;
	if (s->top != NULL)
		node_remove(s, s->top);
	for (i = 0; i < s->ndirty; i++)
		free(s->dirty[i]);
	free(s->dirty);
	for (i = 0; i < (size_t)s->nwriting; i++)
		free(s->writing[i].path);
	free(s->bywd);
	free(s->wdof);
	free(s->dirnos.free);
	for (i = 0; i < s->nans; i++)
		free(s->ans[i]);
	free(s->ans);
	free(s->nodenos.free);
	pool_free(&s->pool);
	free(s->table);
	store_free_opts(s);
	if (s->rootfd != -1)
		close(s->rootfd);
	if (s->ifd != -1)
		close(s->ifd);
	free(s);
}

const struct node *
store_find(const struct store *s, const char *path)
{
	const struct node	*n = store_lookup(s, path);

	return n == NULL || n->unlisted ? NULL : n;
}

size_t
store_count(const struct store *s, enum node_kind kind)
{
	return s->counts[kind];
}

static int
node_cmp(const void *a, const void *b)
{
	return strcmp((*(struct node *const *)a)->path,
	    (*(struct node *const *)b)->path);
}

void
store_walk(const struct store *s, void (*fn)(const struct node *, void *),
    void *arg)
{
	struct node	**v, *n;
	size_t		  i, k = 0;

	if ((v = calloc(s->nnodes + 1, sizeof *v)) == NULL)
		return;
	for (i = 0; i <= s->mask; i++)
		for (n = s->table[i]; n != NULL; n = n->next)
			v[k++] = n;
	qsort(v, k, sizeof *v, node_cmp);
	for (i = 0; i < k; i++)
		fn(v[i], arg);
	free(v);
}

/* ---- answers ---- */

/* The Gemini status line for a path: its MIME type and lang, rules applied. */
static int
store_header(const struct store *s, const char *path, int page, char *hdr,
    size_t hdrsz)
{
	const char	*lang, *type;

	if (page || is_dir_path(path)) {
		lang = path_rule_lang(s->opts.rules, s->opts.nrules, path,
		    s->opts.lang);
		return snprintf(hdr, hdrsz, "20 text/gemini%s%s\r\n",
		    lang ? "; lang=" : "", lang ? lang : "");
	}
	type = path_rule_mime(s->opts.rules, s->opts.nrules, path);
	return snprintf(hdr, hdrsz, "20 %s\r\n", type ? type : mime_type(path));
}

/* A status line alone, for an answer whose body is streamed from disk. */
static int
store_head(const char *hdr, size_t hl, struct blob **out)
{
	struct blob	*b;

	if ((b = blob_new(hl)) == NULL)
		return -1;
	memcpy(b->data, hdr, hl);
	b->off = hl;
	*out = b;
	return 0;
}

/*
 * Files are streamed from disk past STORE_LARGE, and so are other files
 * than pages too big for this process's cache to hold many of (a 256th of
 * it): reading them whole for every request would evict the rest and
 * cost more than reading them as they are sent.
 */
int
store_streams(const struct node *n)
{
	return n->kind == NODE_LARGE || (n->kind == NODE_FILE &&
	    (size_t)n->size > cache.budget / 256);
}

/*
 * A file's bytes behind its status line, in one buffer. A page's leading
 * byte-order mark is dropped. STORE_BUSY: being written, and changed since
 * we last saw it.
 */
int
store_read(struct store *s, const struct node *n, struct blob **out)
{
	char		 hdr[128];
	struct blob	*b;
	struct stat	 st;
	size_t		 hl, got = 0;
	ssize_t		 r;
	int		 fd;

	hl = store_header(s, n->path, n->kind == NODE_PAGE, hdr, sizeof hdr);
	if (n->kind == NODE_LARGE)
		return store_head(hdr, hl, out);
	if ((fd = open_beneath(s, store_relpath(n->path), O_RDONLY | O_NONBLOCK)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -1;
	}
	if (!stat_same(n, &st) && store_being_written(s, n->path)) {
		close(fd);
		return STORE_BUSY;
	}
	if ((b = blob_new(hl + st.st_size)) == NULL) {
		log_warnx("cannot allocate %zu bytes for %s", hl + (size_t)st.st_size,
		    n->path);
		close(fd);
		return -1;
	}
	memcpy(b->data, hdr, hl);
	while (got < (size_t)st.st_size &&
	    (r = read(fd, b->data + hl + got, st.st_size - got)) != 0) {
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			close(fd);
			blob_unref(b);
			return -1;
		}
		got += r;
	}
	close(fd);
	if (n->kind == NODE_PAGE && got >= 3 && memcmp(b->data + hl, BOM, 3) == 0) {
		memmove(b->data + hl, b->data + hl + 3, got - 3);
		got -= 3;
	}
	b->len = hl + got;
	b->data[b->len] = '\0';
	b->off = hl;
	*out = b;
	return 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A generated gemtext listing of a directory's children. */
static void
listing(const struct store *s, const struct node *dir, struct buf *b)
{
	const struct node	*c;
	const char		**v;
	size_t			 dl = strlen(dir->path), n = 0, i;
	char			 enc[3 * PATH_MAX_LEN + 4], hdr[128];

	store_header(s, dir->path, 1, hdr, sizeof hdr);
	buf_adds(b, hdr);
	buf_adds(b, "# Index of ");
	buf_adds(b, dir->path);
	buf_adds(b, "\n\n");
	if (strcmp(dir->path, "/") != 0)
		buf_adds(b, "=> ../ Parent directory\n");
	for (c = dir->child; c != NULL; c = c->sibling)
		n++;
	if ((v = calloc(n + 1, sizeof *v)) == NULL) {
		b->failed = 1;
		return;
	}
	for (n = 0, c = dir->child; c != NULL; c = c->sibling)
		v[n++] = c->path + dl;
	qsort(v, n, sizeof *v, name_cmp);
	for (i = 0; i < n; i++) {
		if (url_encode_path(v[i], enc, sizeof enc) == -1)
			continue;
		buf_adds(b, "=> ");
		if (strchr(v[i], ':') != NULL)
			buf_adds(b, "./");
		buf_adds(b, enc);
		buf_addc(b, ' ');
		buf_adds(b, v[i]);
		buf_addc(b, '\n');
	}
	free(v);
}

/*
 * Menus and listings are rendered into one buffer kept for the next, then
 * copied into an exactly sized blob: a growing buffer freed beside every
 * cached answer would leave the heap full of holes that cached answers
 * never fit (28 MB of them beside a full 64 MB cache at 100 000 pages).
 */
#define SCRATCH_KEEP	(64 * 1024)

static struct buf	scratch;

static struct buf *
scratch_buf(void)
{
	buf_reset(&scratch, SCRATCH_KEEP);
	return &scratch;
}

/* The scratch buffer's bytes as an exactly sized blob. */
static struct blob *
blob_of(struct buf *b, size_t off, int dependent)
{
	struct blob	*bl = NULL;

	if (!b->failed && (bl = blob_new(b->len)) != NULL) {
		memcpy(bl->data, b->data, b->len);
		bl->off = off;
		bl->dependent = dependent;
	}
	buf_reset(b, SCRATCH_KEEP);
	return bl;
}

/* The search page is a type 7 item, its pages of results menus. */
static int
store_search_path(const struct store *s, const char *path, char *type)
{
	size_t	n;

	if (s->search == NULL)
		return 0;
	n = strlen(s->opts.search);
	if (strncmp(path, s->opts.search, n) != 0 ||
	    (path[n] != '\0' && path[n] != '/'))
		return 0;
	*type = path[n] == '\0' ? '7' : '1';
	return 1;
}

/* Gopher item type and selector of a local path, for the menu renderer. */
static int
store_classify(void *arg, const char *path, char *type, char *sel, size_t selsz)
{
	const struct store	*s = arg;
	const struct node	*n;
	char			 dir[PATH_MAX_LEN + 2];

	if ((n = store_find(s, path)) == NULL) {
		if (store_search_path(s, path, type))
			return strlcpy(sel, path, selsz) < selsz ? 0 : -1;
		if (strlcpy(dir, path, sizeof dir) >= sizeof dir - 1)
			return -1;
		strlcat(dir, "/", sizeof dir);
		if ((n = store_find(s, dir)) == NULL)
			return -1;
	}
	if (path_rule_protected(s->opts.rules, s->opts.nrules, n->path))
		return -2;	/* a certificate area: Gopher menus leave it out */
	*type = n->kind == NODE_DIR ? '1' : n->gopher_type;
	return strlcpy(sel, n->path, selsz) < selsz ? 0 : -1;
}

void
store_menu(const struct store *s, const char *dir, const char *text,
    size_t len, struct buf *b)
{
	struct gopher_ctx	 ctx;

	memset(&ctx, 0, sizeof ctx);
	ctx.host = s->opts.host;
	ctx.port = s->opts.gopher_port;
	ctx.dir = dir;
	ctx.gemini_host = s->opts.host;
	ctx.classify = store_classify;
	ctx.arg = (void *)(uintptr_t)s;
	gophermap_render(text, len, &ctx, b);
}

/* The root menu offers the search even when the home page does not link it. */
static void
menu_add_search(const struct store *s, struct buf *b)
{
	char	item[PATH_MAX_LEN + 300];
	int	r;

	if (s->search == NULL || b->len < 3 || store_find(s, s->opts.search))
		return;
	r = snprintf(item, sizeof item, "\t%s\t", s->opts.search);
	if (r < 0 || (size_t)r >= sizeof item ||
	    memmem(b->data, b->len, item, r) != NULL)
		return;		/* the home page links it already */
	b->len -= 3;		/* before the ".\r\n" */
	r = snprintf(item, sizeof item, "7Search this capsule\t%s\t%s\t%d\r\n.\r\n",
	    s->opts.search, s->opts.host, s->opts.gopher_port);
	if (r > 0 && (size_t)r < sizeof item)
		buf_add(b, item, r);
}

/* The Gopher menu of a page or listing, from its Gemini answer. */
static struct blob *
render_menu(struct store *s, const struct node *n, const struct blob *gem)
{
	struct buf	*b = scratch_buf();
	char		 dir[PATH_MAX_LEN + 2], *slash;

	strlcpy(dir, n->path, sizeof dir);
	if ((slash = strrchr(dir, '/')) != NULL)
		slash[1] = '\0';
	store_menu(s, dir, gem->data + gem->off, gem->len - gem->off, b);
	if (n == s->top || strcmp(n->path, "/index.gmi") == 0)
		menu_add_search(s, b);		/* the root menu */
	return blob_of(b, 0, 1);
}

/* A directory answers with its index.gmi when it has one. */
static struct node *
answering(struct store *s, const struct node *n)
{
	char		 path[PATH_MAX_LEN + 16];
	struct node	*idx;

	if (n->kind == NODE_DIR) {
		snprintf(path, sizeof path, "%sindex.gmi", n->path);
		if ((idx = store_lookup(s, path)) != NULL && idx->kind == NODE_PAGE)
			return idx;
	}
	return (struct node *)(uintptr_t)n;
}

static void
answer_set(struct answer *a, struct blob *b, size_t off)
{
	a->blob = b;
	a->data = b->data + off;
	a->len = b->len - off;
}

int
store_answer(struct store *s, const struct node *cn, enum store_proto proto,
    struct answer *a)
{
	struct node	*n = answering(s, cn);
	struct blob	*b = NULL, **slot;
	struct answer	 gem;
	struct buf	*lb;
	int		 r;

	/* Other files over Gopher: their bytes past the Gemini status line. */
	if (proto == STORE_GOPHER && n->kind != NODE_PAGE && n->kind != NODE_DIR) {
		if ((r = store_answer(s, n, STORE_GEMINI, &gem)) != 0)
			return r;
		answer_set(a, gem.blob, gem.blob->off);
		return 0;
	}
	if ((slot = answer_slot(s, n, proto, 0)) != NULL && *slot != NULL) {
		cache_touch(&cache, *slot);
		blob_ref(*slot);
		answer_set(a, *slot, 0);
		return 0;
	}
	if (proto == STORE_GOPHER) {
		if ((r = store_answer(s, n, STORE_GEMINI, &gem)) != 0)
			return r;
		b = render_menu(s, n, gem.blob);
		blob_unref(gem.blob);
	} else if (n->kind == NODE_DIR) {
		lb = scratch_buf();
		listing(s, n, lb);
		b = blob_of(lb, 0, 1);
		if (b != NULL)
			b->off = (const char *)memchr(b->data, '\n',
			    b->len) - b->data + 1;
	} else if (proto == STORE_GEMINI && store_streams(n)) {
		char	hdr[128];
		size_t	hl = store_header(s, n->path, 0, hdr, sizeof hdr);

		if ((r = store_head(hdr, hl, &b)) != 0)
			return r;
	} else if ((r = store_read(s, n, &b)) != 0)
		return r;
	if (b == NULL)
		return -1;
	if ((slot = answer_slot(s, n, proto, 1)) != NULL)
		(void)cache_put(&cache, slot, b);	/* else served, not kept */
	answer_set(a, b, 0);
	return 0;
}

/* ---- search ---- */

struct search_index *
store_search(const struct store *s)
{
	return s->search;
}

int
store_text(struct store *s, const char *path, struct blob **b)
{
	const struct node	*n = store_find(s, path);
	struct answer		 a;

	if (n == NULL || (n->kind != NODE_PAGE && n->kind != NODE_FILE))
		return -1;
	/* Through the cache, where the page's Gemini answer is its text. */
	if (!store_streams(n) && store_answer(s, n, STORE_GEMINI, &a) == 0) {
		*b = a.blob;
		return 0;
	}
	return store_read(s, n, b) == 0 ? 0 : -1;
}

/* ---- SIGHUP ---- */

static int
str_same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int
store_same(const struct store *s, const struct store_opts *o)
{
	return strcmp(s->opts.root, o->root) == 0 && str_same(s->opts.lang, o->lang) &&
	    str_same(s->opts.host, o->host ? o->host : "localhost") &&
	    s->opts.gopher_port == o->gopher_port &&
	    s->opts.large == (o->large ? o->large : STORE_LARGE) &&
	    s->opts.nolisting == o->nolisting && str_same(s->opts.search, o->search) &&
	    s->opts.nrules == o->nrules &&
	    (o->nrules == 0 || memcmp(s->opts.rules, o->rules,
	    o->nrules * sizeof *o->rules) == 0);
}

void
store_adopt(struct store *s, const struct store_opts *o)
{
	s->opts.rules = o->rules;	/* the same rules, in the new configuration */
	s->opts.uid = o->uid;
	s->opts.gid = o->gid;
	s->full = 1;
	s->due = store_now();
	store_watch_run(s);
}
