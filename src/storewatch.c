/*
 * Live updates. Every process has its own inotify instance watching every
 * directory of a store. Events mark directories dirty; after a quiet
 * period (capped, so a steady stream still updates) the dirty directories
 * are rescanned by the load's own code. A file written to and not yet
 * closed keeps its previous version until it is closed (or a long cap).
 */
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "log.h"
#include "path.h"
#include "store.h"
#include "storeint.h"

#define QUIET_MS	100		/* after the last event */
#define CAP_MS		500		/* after the first: a stream still updates */
#define WRITE_CAP_MS	10000		/* a file left open for writing */
#define WATCH_MASK	(IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | \
	IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF)

static int
writing_find(const struct store *s, const char *path)
{
	int	i;

	for (i = 0; i < s->nwriting; i++)
		if (strcmp(s->writing[i].path, path) == 0)
			return i;
	return -1;
}

/* 1 while a file is written to: keep what we have. */
int
store_being_written(const struct store *s, const char *path)
{
	int	i = writing_find(s, path);

	return i != -1 && store_now() - s->writing[i].since < WRITE_CAP_MS;
}

/* ---- watching ---- */

/*
 * inotify takes a path. Relative to the root's fd, made the working
 * directory for the moment: a worker that may not search the root's
 * ancestors (or sees the root as "/" after chroot) still reaches it.
 */
static int
watch_enter(const struct store *s)
{
	int	cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fchdir(s->rootfd) == -1 && cwd != -1) {
		close(cwd);
		return -2;
	}
	return cwd;
}

static void
watch_leave(int cwd)
{
	if (cwd >= 0) {
		(void)fchdir(cwd);
		close(cwd);
	}
}

/*
 * A directory's number, set once when its node is made. Each process keeps
 * the watch of every directory in its own array by that number, so adding
 * watches (as every forked worker does for the whole tree) writes to no
 * node: the pages of nodes stay shared with the parent instead of being
 * copied into every worker.
 */
void
store_watch_number(struct store *s, struct node *n)
{
	n->dirno = store_number_take(&s->dirnos);
}

static int
watch_of(const struct store *s, const struct node *n)
{
	return n->dirno < s->nwdof ? s->wdof[n->dirno] : -1;
}

/* Room in this process's table for a directory's watch. */
static int
wdof_fit(struct store *s, uint32_t dirno)
{
	int	*v;
	size_t	 cap, i;

	if (dirno < s->nwdof)
		return 0;
	cap = (size_t)dirno * 2 + 16;
	if ((v = reallocarray(s->wdof, cap, sizeof *v)) == NULL)
		return -1;
	for (i = s->nwdof; i < cap; i++)
		v[i] = -1;
	s->wdof = v;
	s->nwdof = cap;
	return 0;
}

void
store_watch_add(struct store *s, struct node *n)
{
	struct node	**v, *prev;
	size_t		  cap;
	int		  wd, cwd;

	if (s->ifd == -1 || wdof_fit(s, n->dirno) == -1)
		return;
	cwd = watch_enter(s);
	wd = inotify_add_watch(s->ifd, store_relpath(n->path), WATCH_MASK);
	watch_leave(cwd);
	if (wd == -1) {
		if (errno == ENOSPC && !s->warned) {
			s->warned = 1;
			log_warnx("cannot watch %s%s: the inotify watch limit is "
			    "reached (raise fs.inotify.max_user_watches); changes "
			    "there are seen on SIGHUP", s->opts.root, n->path);
		}
		return;
	}
	if ((size_t)wd >= s->nwd) {
		cap = (size_t)wd * 2 + 16;
		if ((v = reallocarray(s->bywd, cap, sizeof *v)) == NULL) {
			inotify_rm_watch(s->ifd, wd);
			return;
		}
		memset(v + s->nwd, 0, (cap - s->nwd) * sizeof *v);
		s->bywd = v;
		s->nwd = cap;
	}
	if ((prev = s->bywd[wd]) != NULL && prev != n)
		s->wdof[prev->dirno] = -1;	/* the same directory, by a new name */
	s->bywd[wd] = n;
	s->wdof[n->dirno] = wd;
}

/* A node going away: its watch, unless a renamed directory holds it now. */
void
store_watch_forget(struct store *s, struct node *n)
{
	int	wd;

	if (n->kind != NODE_DIR)
		return;
	if ((wd = watch_of(s, n)) >= 0 && (size_t)wd < s->nwd && s->bywd[wd] == n) {
		if (s->ifd != -1)
			inotify_rm_watch(s->ifd, wd);
		s->bywd[wd] = NULL;
	}
	if (n->dirno < s->nwdof)
		s->wdof[n->dirno] = -1;
	store_number_give(&s->dirnos, n->dirno);
}

static void
mark_dirty(struct store *s, struct node *dir)
{
	char	**v;
	size_t	  cap;
	int64_t	  t = store_now();

	if (!(dir->flags & NF_DIRTY)) {
		if (s->ndirty == s->capdirty) {
			cap = s->capdirty ? s->capdirty * 2 : 16;
			if ((v = reallocarray(s->dirty, cap, sizeof *v)) == NULL) {
				s->full = 1;
				goto due;
			}
			s->dirty = v;
			s->capdirty = cap;
		}
		if ((s->dirty[s->ndirty] = strdup(dir->path)) == NULL)
			s->full = 1;
		else {
			s->ndirty++;
			dir->flags |= NF_DIRTY;
		}
	}
due:
	if (s->first == 0)
		s->first = t;
	s->last = t;
	s->due = s->last + QUIET_MS < s->first + CAP_MS ?
	    s->last + QUIET_MS : s->first + CAP_MS;
}

static void
mark_tree(struct node *n, struct store *s)
{
	struct node	*c;

	store_watch_add(s, n);
	for (c = n->child; c != NULL; c = c->sibling)
		if (c->kind == NODE_DIR)
			mark_tree(c, s);
}

/* Catches what changed before the watches were in place: a directory's stamp. */
static void
check_dirs(struct store *s, struct node *n)
{
	struct stat	 st;
	struct node	*c;

	if (fstatat(s->rootfd, store_relpath(n->path), &st, 0) == 0 &&
	    store_dir_stamp(&st) != n->mtime)
		mark_dirty(s, n);
	for (c = n->child; c != NULL; c = c->sibling)
		if (c->kind == NODE_DIR)
			check_dirs(s, c);
}

/*
 * Watches every directory with an inotify instance of this process's own
 * (a forked worker must not share its parent's). 0, or -1 without inotify.
 */
int
store_watch(struct store *s)
{
	if (s->ifd != -1)
		close(s->ifd);
	free(s->bywd);
	s->bywd = NULL;
	s->nwd = 0;
	free(s->wdof);
	s->wdof = NULL;
	s->nwdof = 0;
	if ((s->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1) {
		log_warnx("inotify: %s; content changes are seen on SIGHUP",
		    strerror(errno));
		return -1;
	}
	mark_tree(s->top, s);
	check_dirs(s, s->top);
	return 0;
}

int
store_watch_fd(const struct store *s)
{
	return s->ifd;
}

static void
writing_note(struct store *s, const char *path, int open)
{
	int	i = writing_find(s, path);

	if (!open) {
		if (i != -1) {
			free(s->writing[i].path);
			s->writing[i] = s->writing[--s->nwriting];
		}
		return;
	}
	if (i != -1 || s->nwriting == NWRITING)
		return;
	if ((s->writing[s->nwriting].path = strdup(path)) != NULL)
		s->writing[s->nwriting++].since = store_now();
}

static void
watch_event(struct store *s, const struct inotify_event *e)
{
	char		 path[PATH_MAX_LEN + NAME_MAX + 2];
	struct node	*dir;

	if (e->mask & IN_Q_OVERFLOW) {
		s->full = 1;
		mark_dirty(s, s->top);
		return;
	}
	if (e->wd < 0 || (size_t)e->wd >= s->nwd || (dir = s->bywd[e->wd]) == NULL)
		return;
	if (e->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
		mark_dirty(s, dir->parent != NULL ? dir->parent : dir);
		return;
	}
	if (e->len == 0 || e->name[0] == '.')
		return;
	snprintf(path, sizeof path, "%s%s", dir->path, e->name);
	if ((e->mask & IN_MODIFY) && !(e->mask & IN_ISDIR))
		writing_note(s, path, 1);
	if (e->mask & IN_CLOSE_WRITE)
		writing_note(s, path, 0);
	mark_dirty(s, dir);
}

void
store_watch_read(struct store *s)
{
	char				 buf[16384]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event	*e;
	ssize_t				 r;
	char				*p;

	while ((r = read(s->ifd, buf, sizeof buf)) > 0)
		for (p = buf; p < buf + r; p += sizeof *e + e->len) {
			e = (const struct inotify_event *)(void *)p;
			watch_event(s, e);
		}
}

int
store_watch_timeout(const struct store *s)
{
	int64_t	t;

	if (s->due == 0)
		return -1;
	t = s->due - store_now();
	return t < 0 ? 0 : t > INT_MAX ? INT_MAX : (int)t;
}

/* Files still open for writing: look again when their cap runs out. */
static void
writing_expire(struct store *s)
{
	char		 path[PATH_MAX_LEN + 2], *slash;
	struct node	*dir;
	int64_t		 t = store_now(), soonest = 0;
	int		 i;

	for (i = 0; i < s->nwriting; i++) {
		if (t - s->writing[i].since >= WRITE_CAP_MS) {
			free(s->writing[i].path);
			s->writing[i--] = s->writing[--s->nwriting];
			continue;
		}
		if (soonest == 0 || s->writing[i].since < soonest)
			soonest = s->writing[i].since;
		strlcpy(path, s->writing[i].path, sizeof path);
		if ((slash = strrchr(path, '/')) != NULL)
			slash[1] = '\0';
		if ((dir = store_lookup(s, path)) != NULL && !(dir->flags & NF_DIRTY))
			mark_dirty(s, dir);
	}
	if (soonest != 0)
		s->due = soonest + WRITE_CAP_MS;
}

/* Applies what is due: rescans the dirty directories. */
void
store_watch_run(struct store *s)
{
	struct node	*n;
	char		**dirty = s->dirty;
	size_t		  ndirty = s->ndirty, i;
	int		  full = s->full;

	if (s->due == 0 || store_now() < s->due)
		return;
	s->dirty = NULL;
	s->ndirty = s->capdirty = 0;
	s->first = s->last = s->due = 0;
	s->full = 0;
	for (i = 0; i < ndirty; i++)
		if ((n = store_lookup(s, dirty[i])) != NULL)
			n->flags &= ~NF_DIRTY;
	if (full)
		store_rescan(s, s->top, 1);
	for (i = 0; i < ndirty; i++) {
		if (!full && (n = store_lookup(s, dirty[i])) != NULL && n->kind == NODE_DIR)
			store_rescan(s, n, 0);
		free(dirty[i]);
	}
	free(dirty);
	store_settle(s);
	writing_expire(s);
}
