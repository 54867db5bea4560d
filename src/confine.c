/*
 * A worker serves from memory and, for large files, through the root's
 * directory fd, so it needs no privilege and almost no file system: it
 * drops to an unprivileged user, optionally chroots, and asks Landlock to
 * allow nothing but reading beneath the content roots, and writing
 * beneath the directories of Titan paths (the worker stores uploads).
 */
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/landlock.h>

#include "confine.h"

#define FS_ALL	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | \
	LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR | \
	LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE | \
	LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR | \
	LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK | \
	LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK | \
	LANDLOCK_ACCESS_FS_MAKE_SYM)
#define FS_READ	(LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
/* What a Titan upload does: make directories and files, rename, unlink. */
#define FS_WRITE (FS_READ | LANDLOCK_ACCESS_FS_WRITE_FILE | \
	LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_DIR | \
	LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR)
#define FS_EXEC	(FS_READ | LANDLOCK_ACCESS_FS_EXECUTE)

/*
 * With CGI programs: what a program started from a CGI directory needs to
 * run. Its interpreter and the loader are executed from the system's
 * directories, the libraries read; a few files of /etc are read by the
 * loader and libc; /dev/null is its stdin and a shell's 2>/dev/null.
 */
static const struct {
	const char	*path;
	uint64_t	 access;
} confine_program_paths[] = {
	{ "/usr", FS_EXEC },
	{ "/bin", FS_EXEC },
	{ "/sbin", FS_EXEC },
	{ "/lib", FS_EXEC },
	{ "/lib64", FS_EXEC },
	{ "/etc/ld.so.cache", LANDLOCK_ACCESS_FS_READ_FILE },
	{ "/etc/localtime", LANDLOCK_ACCESS_FS_READ_FILE },
	{ "/etc/nsswitch.conf", LANDLOCK_ACCESS_FS_READ_FILE },
	{ "/etc/passwd", LANDLOCK_ACCESS_FS_READ_FILE },
	{ "/etc/group", LANDLOCK_ACCESS_FS_READ_FILE },
	{ "/dev/null", LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE },
	{ "/dev/urandom", LANDLOCK_ACCESS_FS_READ_FILE },
};

static void	confine_programs(const struct confine *, int);

static int
confine_user(const struct confine *cf, char *err, size_t errsz)
{
	struct passwd	*pw;

	if (cf->user == NULL || cf->user[0] == '\0' || geteuid() != 0)
		return 0;	/* only a root start switches user */
	if ((pw = getpwnam(cf->user)) == NULL) {
		snprintf(err, errsz, "unknown user %s", cf->user);
		return -1;
	}
	if (cf->chroot != NULL && (chroot(cf->chroot) == -1 || chdir("/") == -1)) {
		snprintf(err, errsz, "chroot %s: %s", cf->chroot, strerror(errno));
		return -1;
	}
	if (setgroups(1, &pw->pw_gid) == -1 || setresgid(pw->pw_gid,
	    pw->pw_gid, pw->pw_gid) == -1 || setresuid(pw->pw_uid, pw->pw_uid,
	    pw->pw_uid) == -1) {
		snprintf(err, errsz, "cannot become %s: %s", cf->user, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * The ruleset, with the roots opened while we may still reach them:
 * before chroot and before the user loses the right to search above them.
 * -1 and errno ENOSYS/EOPNOTSUPP when the kernel has no Landlock.
 */
static int
confine_ruleset(const struct confine *cf, char *err, size_t errsz)
{
	struct landlock_ruleset_attr	 attr = { .handled_access_fs = FS_ALL };
	struct landlock_path_beneath_attr pb = { .allowed_access = FS_READ };
	int				 rs, i, fd;
	const char			*dir;

	rs = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
	if (rs == -1)
		return -1;
	for (i = 0; i < cf->nroots + cf->nwritable; i++) {
		dir = i < cf->nroots ? cf->roots[i] : cf->writable[i - cf->nroots];
		pb.allowed_access = i < cf->nroots ? FS_READ : FS_WRITE;
		fd = pb.parent_fd = open(dir, O_PATH | O_CLOEXEC);
		if (fd == -1 || syscall(SYS_landlock_add_rule, rs,
		    LANDLOCK_RULE_PATH_BENEATH, &pb, 0) == -1) {
			snprintf(err, errsz, "landlock %s: %s", dir,
			    strerror(errno));
			if (fd != -1)
				close(fd);
			close(rs);
			errno = EINVAL;
			return -1;
		}
		close(fd);
	}
	confine_programs(cf, rs);
#if defined(__SANITIZE_ADDRESS__)
	/* LeakSanitizer reads /proc/self at exit; only the sanitizer build allows it. */
	pb.allowed_access = FS_READ;
	if ((fd = pb.parent_fd = open("/proc", O_PATH | O_CLOEXEC)) != -1) {
		(void)syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH,
		    &pb, 0);
		close(fd);
	}
#endif
	return rs;
}

/* One rule; a path that is not there (a chroot, another layout) is skipped. */
static void
confine_allow(int rs, const char *path, uint64_t access)
{
	struct landlock_path_beneath_attr pb = { .allowed_access = access };
	int				 fd;

	if ((fd = pb.parent_fd = open(path, O_PATH | O_CLOEXEC)) == -1)
		return;
	(void)syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH,
	    &pb, 0);
	close(fd);
}

/* CGI: execute beneath the CGI directories, and what programs need. */
static void
confine_programs(const struct confine *cf, int rs)
{
	size_t	i;
	int	j;

	if (cf->nexec == 0)
		return;
	for (j = 0; j < cf->nexec; j++)
		confine_allow(rs, cf->exec[j], FS_EXEC);
	for (i = 0; i < sizeof confine_program_paths /
	    sizeof confine_program_paths[0]; i++)
		confine_allow(rs, confine_program_paths[i].path,
		    confine_program_paths[i].access);
}

/* 1 confined, -1 error. */
static int
confine_landlock(int rs, char *err, size_t errsz)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    syscall(SYS_landlock_restrict_self, rs, 0) == -1) {
		snprintf(err, errsz, "landlock: %s", strerror(errno));
		close(rs);
		return -1;
	}
	close(rs);
	return 1;
}

int
confine_worker(const struct confine *cf, char *err, size_t errsz,
    const char **warn)
{
	int	rs = -1;

	*warn = NULL;
	if (cf->landlock && (rs = confine_ruleset(cf, err, errsz)) == -1) {
		if (errno != ENOSYS && errno != EOPNOTSUPP)
			return -1;
		*warn = "this kernel has no Landlock; workers are not confined";
	}
	if (confine_user(cf, err, errsz) == -1) {
		if (rs != -1)
			close(rs);
		return -1;
	}
#if defined(__SANITIZE_ADDRESS__)
	/* LeakSanitizer stops the process with ptrace, which a setuid turns off. */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
#endif
	return rs == -1 ? 0 : confine_landlock(rs, err, errsz) == -1 ? -1 : 0;
}
