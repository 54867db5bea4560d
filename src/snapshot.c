/*
 * The content snapshot: the tree under the root, read once at start-up
 * through the root's directory fd and pre-rendered for both protocols, so
 * a request costs a hash lookup and a write. Files above opts.large are
 * only recorded, and streamed from disk when asked for.
 */
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/openat2.h>

#include "buf.h"
#include "compat.h"
#include "gophermap.h"
#include "log.h"
#include "mime.h"
#include "path.h"
#include "snapshot.h"
#include "url.h"

#define SNAPSHOT_DEPTH	32
#define SNAPSHOT_NODES	200000

struct snapshot {
	int			 rootfd;
	char			*realroot;
	struct snapshot_opts	 opts;
	struct node		**nodes;	/* sorted by path */
	size_t			 count;
	size_t			 cap;
	struct node		**table;
	size_t			 mask;
};

/* What the walk carries down the tree. */
struct walk {
	struct snapshot	*snap;
	dev_t		 dev[SNAPSHOT_DEPTH];	/* ancestors, to stop symlink loops */
	ino_t		 ino[SNAPSHOT_DEPTH];
	int		 depth;
	char		*err;
	size_t		 errsz;
};

static uint32_t
hash_path(const char *s)
{
	uint32_t	h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static void
node_free(struct node *n)
{
	if (n == NULL)
		return;
	if (n->gopher < n->gemini || n->gopher >= n->gemini + n->gemini_len)
		free(n->gopher);
	free(n->gemini);
	free(n->relpath);
	free(n->path);
	free(n);
}

static struct node *
snapshot_add(struct snapshot *s, const char *path, enum node_kind kind)
{
	struct node	 *n, **v;

	if (s->count == SNAPSHOT_NODES)
		return NULL;
	if (s->count == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;

		if ((v = reallocarray(s->nodes, cap, sizeof *v)) == NULL)
			return NULL;
		s->nodes = v;
		s->cap = cap;
	}
	if ((n = calloc(1, sizeof *n)) == NULL)
		return NULL;
	if ((n->path = strdup(path)) == NULL) {
		free(n);
		return NULL;
	}
	n->kind = kind;
	s->nodes[s->count++] = n;
	return n;
}

/* Names we can carry safely in a URL, a Gopher field and a log line. */
static int
name_servable(const char *name)
{
	const unsigned char	*p;

	if (name[0] == '.')
		return 0;
	for (p = (const unsigned char *)name; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return utf8_valid(name, strlen(name));
}

/* Reads a whole regular file opened from dirfd; NULL on failure. */
static char *
read_all(int dirfd, const char *name, size_t size, size_t *len)
{
	char	*data;
	size_t	 got = 0;
	ssize_t	 r;
	int	 fd;

	if ((fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1)
		return NULL;
	if ((data = malloc(size + 1)) == NULL) {
		close(fd);
		return NULL;
	}
	while (got < size && (r = read(fd, data + got, size - got)) != 0) {
		if (r == -1) {
			if (errno == EINTR)
				continue;
			free(data);
			close(fd);
			return NULL;
		}
		got += r;
	}
	close(fd);
	data[got] = '\0';
	*len = got;
	return data;
}

/* The Gemini status line for a path: its MIME type and lang, rules applied. */
static void
snapshot_header(const struct snapshot *s, const char *path, int page,
    char *hdr, size_t hdrsz)
{
	const char	*lang, *type;

	if (page || path[strlen(path) - 1] == '/') {
		lang = path_rule_lang(s->opts.rules, s->opts.nrules, path,
		    s->opts.lang);
		snprintf(hdr, hdrsz, "20 text/gemini%s%s\r\n",
		    lang ? "; lang=" : "", lang ? lang : "");
		return;
	}
	type = path_rule_mime(s->opts.rules, s->opts.nrules, path);
	snprintf(hdr, hdrsz, "20 %s\r\n", type ? type : mime_type(path));
}

/*
 * Programs (CGI): an executable file keeps its real path under the root,
 * which is what exec needs. The one place the content tree learns of them.
 */
static int
snapshot_mark_program(struct node *n, const char *real, const struct stat *st)
{
	if ((st->st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) == 0)
		return 0;
	n->exec = 1;
	if (n->relpath == NULL && (n->relpath = strdup(real)) == NULL)
		return -1;
	return 0;
}

/* The Gemini header of a file, and its body read from disk. */
static int
load_file(struct walk *w, int dirfd, const char *name, const char *path,
    const char *real, const struct stat *st)
{
	struct snapshot	*s = w->snap;
	struct node	*n;
	char		 hdr[128];
	char		*body;
	size_t		 len;
	int		 page = mime_is_gemtext(path);

	snapshot_header(s, path, page, hdr, sizeof hdr);
	if (!page && (size_t)st->st_size > s->opts.large) {
		if ((n = snapshot_add(s, path, NODE_LARGE)) == NULL ||
		    (n->relpath = strdup(real)) == NULL ||
		    (n->gemini = strdup(hdr)) == NULL)
			return -1;
		n->gemini_len = strlen(hdr);
		n->size = st->st_size;
		n->gopher_type = mime_gopher_type(path);
		return snapshot_mark_program(n, real, st);
	}
	if ((body = read_all(dirfd, name, st->st_size, &len)) == NULL) {
		log_warnx("skipping %s: %s", path, strerror(errno));
		return 0;
	}
	n = snapshot_add(s, path, page ? NODE_PAGE : NODE_FILE);
	if (n == NULL || (n->gemini = malloc(strlen(hdr) + len + 1)) == NULL) {
		free(body);
		return -1;
	}
	n->gemini_len = strlen(hdr) + len;
	memcpy(n->gemini, hdr, strlen(hdr));
	memcpy(n->gemini + strlen(hdr), body, len + 1);
	free(body);
	n->size = len;
	n->gopher_type = mime_gopher_type(path);
	if (!page) {		/* Gopher sends the same bytes, raw */
		n->gopher = n->gemini + strlen(hdr);
		n->gopher_len = len;
	}
	return snapshot_mark_program(n, real, st);
}

static int walk_dir(struct walk *, int, const char *);

/* Real path of an entry relative to the real root; -1 if it leaves the root. */
static int
entry_real(struct walk *w, const char *path, char *rel, size_t relsz)
{
	char	 full[PATH_MAX], *real;
	size_t	 rl = strlen(w->snap->realroot);
	int	 r;

	r = snprintf(full, sizeof full, "%s%s", w->snap->realroot, path);
	if (r < 0 || (size_t)r >= sizeof full)
		return -1;
	if ((real = realpath(full, NULL)) == NULL)
		return -1;
	r = -1;
	if (strncmp(real, w->snap->realroot, rl) == 0 &&
	    (real[rl] == '/' || real[rl] == '\0' || rl == 1)) {
		const char *tail = real + rl;

		while (*tail == '/')
			tail++;
		if (strlcpy(rel, *tail ? tail : ".", relsz) < relsz)
			r = 0;
	}
	free(real);
	return r;
}

static int
walk_entry(struct walk *w, int dirfd, const char *dirpath, const char *name)
{
	char		 path[PATH_MAX_LEN + 2], real[PATH_MAX];
	struct stat	 st;
	int		 r, fd, i;

	r = snprintf(path, sizeof path, "%s%s", dirpath, name);
	if (r < 0 || (size_t)r >= sizeof path - 1)
		return 0;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return 0;
	if (entry_real(w, path, real, sizeof real) == -1) {
		log_warnx("skipping %s: leads outside the root or is broken", path);
		return 0;
	}
	if (fstatat(dirfd, name, &st, 0) == -1)
		return 0;
	if (S_ISREG(st.st_mode))
		return load_file(w, dirfd, name, path, real, &st);
	if (!S_ISDIR(st.st_mode))
		return 0;
	for (i = 0; i < w->depth; i++)
		if (w->dev[i] == st.st_dev && w->ino[i] == st.st_ino)
			return 0;	/* a symlink back up the tree */
	if (w->depth == SNAPSHOT_DEPTH)
		return 0;
	if ((fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		log_warnx("skipping %s/: %s", path, strerror(errno));
		return 0;
	}
	w->dev[w->depth] = st.st_dev;
	w->ino[w->depth++] = st.st_ino;
	strlcat(path, "/", sizeof path);
	r = walk_dir(w, fd, path);
	w->depth--;
	return r;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads a directory's servable names, sorted. */
static char **
dir_names(int dirfd, size_t *count)
{
	DIR		*d;
	struct dirent	*e;
	char		**v = NULL, **nv;
	size_t		 n = 0, cap = 0;
	int		 fd;

	if ((fd = dup(dirfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return NULL;
	}
	while ((e = readdir(d)) != NULL) {
		if (!name_servable(e->d_name))
			continue;
		if (n + 1 >= cap) {
			cap = cap ? cap * 2 : 16;
			if ((nv = reallocarray(v, cap, sizeof *v)) == NULL)
				break;
			v = nv;
		}
		if ((v[n] = strdup(e->d_name)) == NULL)
			break;
		n++;
	}
	closedir(d);
	if (v == NULL && (v = calloc(1, sizeof *v)) == NULL)
		return NULL;
	qsort(v, n, sizeof *v, name_cmp);
	*count = n;
	return v;
}

static int
walk_dir(struct walk *w, int dirfd, const char *dirpath)
{
	char	**names;
	size_t	  n = 0, i;
	int	  r = 0;

	if (snapshot_add(w->snap, dirpath, NODE_DIR) == NULL) {
		close(dirfd);
		return -1;
	}
	if ((names = dir_names(dirfd, &n)) == NULL) {
		log_warnx("skipping %s: %s", dirpath, strerror(errno));
		close(dirfd);
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (r == 0 && walk_entry(w, dirfd, dirpath, names[i]) == -1)
			r = -1;
		free(names[i]);
	}
	free(names);
	close(dirfd);
	return r;
}


static int
node_cmp(const void *a, const void *b)
{
	const struct node *na = *(struct node *const *)a;
	const struct node *nb = *(struct node *const *)b;

	return strcmp(na->path, nb->path);
}

static int
snapshot_index(struct snapshot *s)
{
	size_t	size = 16, i;

	qsort(s->nodes, s->count, sizeof *s->nodes, node_cmp);
	while (size < s->count * 2)
		size *= 2;
	if ((s->table = calloc(size, sizeof *s->table)) == NULL)
		return -1;
	s->mask = size - 1;
	for (i = 0; i < s->count; i++) {
		struct node **slot = &s->table[hash_path(s->nodes[i]->path) & s->mask];

		s->nodes[i]->next = *slot;
		*slot = s->nodes[i];
	}
	return 0;
}

const struct node *
snapshot_find(const struct snapshot *s, const char *path)
{
	const struct node	*n;

	if (s->table == NULL)
		return NULL;
	for (n = s->table[hash_path(path) & s->mask]; n != NULL; n = n->next)
		if (strcmp(n->path, path) == 0)
			return n->unlisted ? NULL : n;
	return NULL;
}

/* Gopher item type and selector of a local path, for the menu renderer. */
static int
snapshot_classify(void *arg, const char *path, char *type, char *sel,
    size_t selsz)
{
	const struct snapshot	*s = arg;
	const struct node	*n;
	char			 dir[PATH_MAX_LEN + 2];

	if ((n = snapshot_find(s, path)) == NULL) {
		if (strlcpy(dir, path, sizeof dir) >= sizeof dir - 1)
			return -1;
		strlcat(dir, "/", sizeof dir);
		if ((n = snapshot_find(s, dir)) == NULL)
			return -1;
	}
	*type = n->kind == NODE_DIR ? '1' : n->gopher_type;
	return strlcpy(sel, n->path, selsz) < selsz ? 0 : -1;
}

/* A generated gemtext listing of a directory's children. */
static void
listing(const struct snapshot *s, size_t at, struct buf *b)
{
	const char	*dir = s->nodes[at]->path;
	size_t		 dl = strlen(dir), i;
	char		 enc[3 * PATH_MAX_LEN + 4];

	buf_adds(b, "# Index of ");
	buf_adds(b, dir);
	buf_adds(b, "\n\n");
	if (strcmp(dir, "/") != 0)
		buf_adds(b, "=> ../ Parent directory\n");
	for (i = at + 1; i < s->count; i++) {
		const char	*p = s->nodes[i]->path, *name = p + dl, *slash;

		if (strncmp(p, dir, dl) != 0)
			break;
		slash = strchr(name, '/');
		if (slash != NULL && slash[1] != '\0')
			continue;	/* deeper down */
		if (url_encode_path(name, enc, sizeof enc) == -1)
			continue;
		buf_adds(b, "=> ");
		if (strchr(name, ':') != NULL)
			buf_adds(b, "./");
		buf_adds(b, enc);
		buf_addc(b, ' ');
		buf_adds(b, name);
		buf_addc(b, '\n');
	}
}

/* Fills a directory node: its index.gmi when it has one, else a listing. */
static int
render_dir(struct snapshot *s, size_t at)
{
	struct node		*n = s->nodes[at];
	const struct node	*index;
	char			 path[PATH_MAX_LEN + 16];
	struct buf		 b;

	buf_init(&b);
	snprintf(path, sizeof path, "%sindex.gmi", n->path);
	if ((index = snapshot_find(s, path)) != NULL && index->kind == NODE_PAGE) {
		buf_add(&b, index->gemini, index->gemini_len);
	} else {
		if (!path_rule_listing(s->opts.rules, s->opts.nrules, n->path,
		    !s->opts.nolisting))
			n->unlisted = 1;
		snapshot_header(s, n->path, 1, path, sizeof path);
		buf_adds(&b, path);
		listing(s, at, &b);
	}
	n->gopher_type = '1';
	n->gemini = buf_take(&b, &n->gemini_len);
	return n->gemini == NULL ? -1 : 0;
}

static int
render_gopher(struct snapshot *s, struct node *n)
{
	struct gopher_ctx	 ctx;
	struct buf		 b;
	char			 dir[PATH_MAX_LEN + 2], *slash;
	const char		*body = memchr(n->gemini, '\n', n->gemini_len);

	if (body == NULL)
		return -1;
	body++;
	strlcpy(dir, n->path, sizeof dir);
	if ((slash = strrchr(dir, '/')) != NULL)
		slash[1] = '\0';
	memset(&ctx, 0, sizeof ctx);
	ctx.host = s->opts.host;
	ctx.port = s->opts.gopher_port;
	ctx.dir = dir;
	ctx.gemini_host = s->opts.host;
	ctx.classify = snapshot_classify;
	ctx.arg = s;
	buf_init(&b);
	gophermap_render(body, n->gemini_len - (body - n->gemini), &ctx, &b);
	n->gopher = buf_take(&b, &n->gopher_len);
	return n->gopher == NULL ? -1 : 0;
}

static int
snapshot_render(struct snapshot *s)
{
	size_t	i;

	for (i = 0; i < s->count; i++)
		if (s->nodes[i]->kind == NODE_DIR && render_dir(s, i) == -1)
			return -1;
	if (s->opts.gopher_port == 0)
		return 0;
	for (i = 0; i < s->count; i++) {
		struct node *n = s->nodes[i];

		if ((n->kind == NODE_DIR || n->kind == NODE_PAGE) &&
		    render_gopher(s, n) == -1)
			return -1;
	}
	return 0;
}

static int
snapshot_copy_opts(struct snapshot *s, const struct snapshot_opts *o)
{
	s->opts = *o;
	s->opts.root = NULL;
	s->opts.lang = NULL;
	s->opts.host = NULL;
	if (o->lang != NULL && (s->opts.lang = strdup(o->lang)) == NULL)
		return -1;
	if ((s->opts.host = strdup(o->host ? o->host : "localhost")) == NULL)
		return -1;
	if (s->opts.large == 0)
		s->opts.large = SNAPSHOT_LARGE;
	return 0;
}

struct snapshot *
snapshot_load(const struct snapshot_opts *o, char *err, size_t errsz)
{
	struct snapshot	*s;
	struct walk	 w;
	struct stat	 st;
	int		 fd;

	if ((s = calloc(1, sizeof *s)) == NULL) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	s->rootfd = -1;
	if (snapshot_copy_opts(s, o) == -1)
		goto oom;
	if ((s->rootfd = open(o->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (s->realroot = realpath(o->root, NULL)) == NULL ||
	    (fd = dup(s->rootfd)) == -1) {
		snprintf(err, errsz, "content root %s: %s", o->root, strerror(errno));
		snapshot_free(s);
		return NULL;
	}
	memset(&w, 0, sizeof w);
	w.snap = s;
	if (fstat(fd, &st) == 0) {
		w.dev[0] = st.st_dev;
		w.ino[0] = st.st_ino;
		w.depth = 1;
	}
	if (walk_dir(&w, fd, "/") == -1 || snapshot_index(s) == -1 ||
	    snapshot_render(s) == -1)
		goto oom;
	return s;
oom:
	snprintf(err, errsz, "content root %s: out of memory or too many files",
	    o->root);
	snapshot_free(s);
	return NULL;
}

void
snapshot_free(struct snapshot *s)
{
	size_t	i;

	if (s == NULL)
		return;
	for (i = 0; i < s->count; i++)
		node_free(s->nodes[i]);
	free(s->nodes);
	free(s->table);
	free(s->realroot);
	free((char *)(uintptr_t)s->opts.lang);
	free((char *)(uintptr_t)s->opts.host);
	if (s->rootfd != -1)
		close(s->rootfd);
	free(s);
}

/* Opens a streamed file beneath the root; a path that now leaves it fails. */
int
snapshot_open(const struct snapshot *s, const struct node *n)
{
	struct open_how	how;
	struct stat	st;
	int		fd;

	if (n->kind != NODE_LARGE || n->relpath == NULL)
		return -1;
	memset(&how, 0, sizeof how);
	how.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	fd = syscall(SYS_openat2, s->rootfd, n->relpath, &how, sizeof how);
	if (fd == -1 && errno == ENOSYS)
		fd = openat(s->rootfd, n->relpath, O_RDONLY | O_CLOEXEC |
		    O_NONBLOCK | O_NOFOLLOW);
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -1;
	}
	return fd;
}

size_t
snapshot_count(const struct snapshot *s, enum node_kind kind)
{
	size_t	i, n = 0;

	for (i = 0; i < s->count; i++)
		if (s->nodes[i]->kind == kind)
			n++;
	return n;
}

void
snapshot_walk(const struct snapshot *s, void (*fn)(const struct node *, void *),
    void *arg)
{
	size_t	i;

	for (i = 0; i < s->count; i++)
		fn(s->nodes[i], arg);
}
