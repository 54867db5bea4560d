/*
 * Titan uploads. Before a byte of body is stored: the parameters parse
 * (size present, an integer, not above the path's titan_max_size), the
 * path is canonical, below the root, free of dotfiles and control bytes
 * (router_upload), the uploader is allowed, and every directory on the
 * way is opened from the root's fd with RESOLVE_BENEATH and
 * RESOLVE_NO_SYMLINKS (missing ones are made, and removed again if the
 * upload fails). The body goes to a new dotfile in the target's
 * directory (O_EXCL), is fsync'd and renamed over the target; any
 * failure (short, long, disconnect, a full disk) unlinks it instead.
 */
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/openat2.h>

#include "compat.h"
#include "gemini.h"
#include "log.h"
#include "path.h"
#include "peer.h"
#include "titan.h"
#include "upload.h"
#include "url.h"

#define UPLOAD_DEPTH	32	/* directories on a path */
#define UPLOAD_MODE	0644
#define UPLOAD_DIRMODE	0755

struct upload {
	int		 rootfd;		/* the site's, not owned */
	int		 dirfd;			/* the target's directory */
	int		 fd;			/* the temporary file, -1 once gone */
	int		 err;			/* errno of the first failed write */
	char		 tmp[64];
	char		 name[NAME_MAX + 1];
	char		 rel[PATH_MAX_LEN + 2];	/* the target, relative to the root */
	int		 ndirs;			/* directories on the way */
	int		 made;			/* the first one we made, or ndirs */
	struct url	 url;			/* for the answer */
	struct result	 res;
};

/* Opens name beneath dirfd without following any symbolic link. */
static int
upload_openat(int dirfd, const char *name, int flags, mode_t mode)
{
	struct open_how	how;

	memset(&how, 0, sizeof how);
	how.flags = flags | O_CLOEXEC;	/* RESOLVE_NO_SYMLINKS: ELOOP for any link */
	how.mode = flags & O_CREAT ? mode : 0;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
	return (int)syscall(SYS_openat2, dirfd, name, &how, sizeof how);
}

/* Removes the directories this upload made, deepest first, if still empty. */
static void
upload_unmake(struct upload *up)
{
	char		 path[PATH_MAX_LEN + 2], *slash;
	const char	*p;
	int		 i, total = 0;

	for (p = up->rel; (p = strchr(p, '/')) != NULL; p++)
		total++;
	strlcpy(path, up->rel, sizeof path);
	for (i = total - 1; i >= up->made; i--) {
		if ((slash = strrchr(path, '/')) == NULL)
			break;
		*slash = '\0';		/* path is now directory i */
		if (i < up->ndirs)
			(void)unlinkat(up->rootfd, path, AT_REMOVEDIR);
	}
	up->made = UPLOAD_DEPTH + 1;
}

/*
 * Opens (with create, making) the directory of up->rel, one component at
 * a time. 0, or -1 with errno: ELOOP for a symbolic link on the way.
 */
static int
upload_dir(struct upload *up, int create)
{
	char	 path[PATH_MAX_LEN + 2], *p, *slash;
	int	 fd, next;

	strlcpy(path, up->rel, sizeof path);
	if ((slash = strrchr(path, '/')) == NULL)
		slash = path - 1;
	strlcpy(up->name, slash + 1, sizeof up->name);
	if ((fd = upload_openat(up->rootfd, ".", O_RDONLY | O_DIRECTORY, 0)) == -1)
		return -1;
	up->ndirs = 0;
	up->made = UPLOAD_DEPTH + 1;
	for (p = path; p < slash; p = strchr(p, '\0') + 1) {
		*strchrnul(p, '/') = '\0';
		if (++up->ndirs > UPLOAD_DEPTH) {
			close(fd);
			errno = ENAMETOOLONG;
			return -1;
		}
		if (create && mkdirat(fd, p, UPLOAD_DIRMODE) == 0 &&
		    up->made > up->ndirs - 1)
			up->made = up->ndirs - 1;
		next = upload_openat(fd, p, O_RDONLY | O_DIRECTORY, 0);
		close(fd);
		if ((fd = next) == -1) {
			if (create)
				upload_unmake(up);
			return -1;
		}
	}
	up->dirfd = fd;
	return 0;
}

/* The target must be a regular file or not there: never a link or a directory. */
static int
upload_target_ok(const struct upload *up)
{
	struct stat	st;

	if (fstatat(up->dirfd, up->name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return errno == ENOENT ? 0 : -1;
	if (S_ISLNK(st.st_mode)) {
		errno = ELOOP;
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		errno = EISDIR;
		return -1;
	}
	return 0;
}

/* A new temporary file beside the target: a dotfile, so never served. */
static int
upload_tmp(struct upload *up)
{
	static unsigned	counter;
	int		i;

	for (i = 0; i < 100; i++) {
		snprintf(up->tmp, sizeof up->tmp, ".titan-%ld-%u-%d.tmp",
		    (long)getpid(), counter++, i);
		up->fd = upload_openat(up->dirfd, up->tmp, O_WRONLY | O_CREAT |
		    O_EXCL, UPLOAD_MODE);
		if (up->fd != -1 || errno != EEXIST)
			break;
	}
	return up->fd == -1 ? -1 : 0;
}

static void
upload_free(struct upload *up)
{
	if (up->fd != -1) {
		close(up->fd);
		(void)unlinkat(up->dirfd, up->tmp, 0);
		upload_unmake(up);
	}
	if (up->dirfd != -1)
		close(up->dirfd);
	free(up);
}

/* fsync, then rename over the target, then the directory: the page is there. */
static int
upload_commit(struct upload *up)
{
	int	fd = up->fd;

	up->fd = -1;
	if (fsync(fd) == -1 || close(fd) == -1) {
		int e = errno;

		(void)unlinkat(up->dirfd, up->tmp, 0);
		upload_unmake(up);
		errno = e;
		return -1;
	}
	if (renameat(up->dirfd, up->tmp, up->dirfd, up->name) == -1) {
		int e = errno;

		(void)unlinkat(up->dirfd, up->tmp, 0);
		upload_unmake(up);
		errno = e;
		return -1;
	}
	(void)fsync(up->dirfd);
	return 0;
}

/* A file system failure as a status: a path problem 59, a full disk 40, else 50. */
static void
upload_fail(struct conn *c, int e)
{
	char	meta[128];

	switch (e) {
	case ELOOP:
		gemini_bad(c, "symbolic link in path");
		return;
	case ENOTDIR:
	case EISDIR:
	case EXDEV:
	case ENAMETOOLONG:
		gemini_bad(c, "not a file below the root");
		return;
	case ENOSPC:
	case EDQUOT:
	case EFBIG:
		gemini_reply(c, "40", "Cannot store the page: no space left");
		return;
	}
	snprintf(meta, sizeof meta, "Cannot store the page: %s", strerror(e));
	gemini_reply(c, "50", meta);
}

static void
upload_body(struct conn *c, void *arg, enum conn_body_event ev,
    const char *p, size_t n)
{
	struct upload	*up = arg;
	ssize_t		 w;

	switch (ev) {
	case BODY_DATA:
		while (n > 0 && up->err == 0) {
			if ((w = write(up->fd, p, n)) == -1) {
				if (errno != EINTR)
					up->err = errno;
				continue;
			}
			p += w;
			n -= w;
		}
		return;		/* after a failure the rest is read and dropped */
	case BODY_END:
		if (up->err != 0)
			upload_fail(c, up->err);
		else if (upload_commit(up) == -1)
			upload_fail(c, errno);
		else
			gemini_result(c, &up->url, &up->res);
		break;
	case BODY_LONG:
		gemini_bad(c, "body longer than size");
		break;
	case BODY_SHORT:
		gemini_bad(c, "body shorter than size");
		break;
	case BODY_ABORT:
		break;
	}
	upload_free(up);
}

/* size=0: the page goes; the answer shows its directory. */
static void
upload_delete(struct conn *c, struct upload *up)
{
	char	*slash;

	if (upload_dir(up, 0) == -1) {
		if (errno == ENOENT)
			goto done;
		upload_fail(c, errno);
		up->dirfd = -1;
		upload_free(up);
		return;
	}
	if (upload_target_ok(up) == -1 ||
	    (unlinkat(up->dirfd, up->name, 0) == -1 && errno != ENOENT)) {
		upload_fail(c, errno);
		upload_free(up);
		return;
	}
done:
	if ((slash = strrchr(up->res.target, '/')) != NULL)
		slash[1] = '\0';
	gemini_result(c, &up->url, &up->res);
	upload_free(up);
}

/* The log names the path and size, never the token. */
static void
titan_log(struct conn *c, const struct titan_params *tp)
{
	char	line[URL_MAX + 64];
	int	n;

	n = snprintf(line, sizeof line, "titan%s;size=%lld", tp->url + 6, tp->size);
	if (n > 0)
		conn_set_request(c, line, (size_t)n < sizeof line ? (size_t)n :
		    sizeof line - 1);
}

/* Checks the request; 0 with up ready for the body, or -1 answered. */
static int
titan_check(struct conn *c, const struct router *r, struct upload *up,
    const struct titan_params *tp)
{
	struct peer	 peer;
	struct request	 req;
	const char	*errstr;
	long long	 max;

	if (url_parse(tp->url, strlen(tp->url), &up->url, &errstr) == -1) {
		gemini_bad(c, errstr);
		return -1;
	}
	if (gemini_authority(c, r, &up->url) == -1)
		return -1;
	conn_peer(c, &peer);
	memset(&req, 0, sizeof req);
	req.host = up->url.host;
	req.path = up->url.path;
	req.peer = &peer;
	router_upload(r, &req, tp->has_token ? tp->token : NULL, &up->res);
	if (up->res.kind != RESULT_UPLOAD) {
		gemini_result(c, &up->url, &up->res);
		return -1;
	}
	max = up->res.rule->titan_max != -1 ? up->res.rule->titan_max :
	    TITAN_MAX_DEFAULT;
	if (tp->size > max) {
		gemini_bad(c, "size above titan_max_size");
		return -1;
	}
	if ((up->rootfd = up->res.site->rootfd) == -1) {
		gemini_reply(c, "50", "Cannot store the page");
		return -1;
	}
	strlcpy(up->rel, up->res.target + 1, sizeof up->rel);
	return 0;
}

void
titan_request(struct conn *c, const struct router *r, const char *line,
    size_t len)
{
	struct titan_params	 tp;
	struct upload		*up;
	const char		*errstr;

	if (titan_parse(line, len, &tp, &errstr) == -1) {
		const char *semi = memchr(line, ';', len);

		if (semi != NULL)	/* the parameters may hold a token */
			conn_set_request(c, line, semi - line);
		gemini_bad(c, errstr);
		return;
	}
	titan_log(c, &tp);
	if ((up = calloc(1, sizeof *up)) == NULL) {
		gemini_reply(c, "40", "Out of memory");
		return;
	}
	up->dirfd = up->fd = -1;
	if (titan_check(c, r, up, &tp) == -1) {
		upload_free(up);
		return;
	}
	if (tp.size == 0) {
		upload_delete(c, up);
		return;
	}
	if (upload_dir(up, 1) == -1 || upload_target_ok(up) == -1 ||
	    upload_tmp(up) == -1) {
		upload_fail(c, errno);
		if (up->dirfd != -1)
			upload_unmake(up);
		upload_free(up);
		return;
	}
	conn_body(c, tp.size, upload_body, up);
}

int
titan_served(const struct router *r)
{
	int	i;

	for (i = 0; i < r->nsites; i++)
		if (r->sites[i].rootfd != -1)
			return 1;
	return 0;
}

int
upload_root_open(const struct host_config *h)
{
	int	i;

	for (i = 0; i < h->npaths; i++)
		if (h->paths[i].titan == 1)
			return open(h->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return -1;
}

int
upload_dirs(const struct config *conf, const char **out, int max)
{
	static char	 dirs[CONFIG_MAX_HOSTS * CONFIG_MAX_PATHS][1024 + 256];
	struct stat	 st;
	int		 i, j, n = 0;

	for (i = 0; i < conf->nhosts; i++)
		for (j = 0; j < conf->hosts[i].npaths && n < max; j++) {
			if (conf->hosts[i].paths[j].titan != 1)
				continue;
			snprintf(dirs[n], sizeof dirs[0], "%s%s", conf->hosts[i].root,
			    conf->hosts[i].paths[j].prefix);
			/* Not there: nothing becomes writable, uploads fail. */
			if (stat(dirs[n], &st) == -1 || !S_ISDIR(st.st_mode))
				continue;
			out[n] = dirs[n];
			n++;
		}
	return n;
}
