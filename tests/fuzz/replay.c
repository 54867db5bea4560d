/*
 * Replays inputs through a harness without libFuzzer: every file named on
 * the command line, or every file in a named directory. Each input runs in
 * its own child, so one crash (a sanitizer report or a property abort())
 * fails that input only. Prints "N passed, M failed"; exits 1 if M > 0.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

#define REPLAY_TIMEOUT	10	/* seconds per input */

/* libFuzzer makes this optional; so does the replay. */
extern int LLVMFuzzerInitialize(int *, char ***) __attribute__((weak));

static int	passed, failed;

static unsigned char *
read_file(const char *name, size_t *len)
{
	FILE		*f;
	unsigned char	*data = NULL, *p;
	size_t		 cap = 0, n = 0, r;

	if ((f = fopen(name, "rb")) == NULL)
		return NULL;
	do {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			if ((p = realloc(data, cap)) == NULL) {
				free(data);
				fclose(f);
				return NULL;
			}
			data = p;
		}
		r = fread(data + n, 1, cap - n, f);
		n += r;
	} while (r > 0);
	if (ferror(f)) {
		free(data);
		data = NULL;
	}
	fclose(f);
	*len = n;
	return data;
}

/* Runs one input in a child; the child's stderr carries any report. */
static void
replay_file(const char *name)
{
	unsigned char	*data;
	size_t		 len;
	pid_t		 pid;
	int		 status;

	if ((data = read_file(name, &len)) == NULL) {
		fprintf(stderr, "FAIL %s: %s\n", name, strerror(errno));
		failed++;
		return;
	}
	fflush(NULL);
	if ((pid = fork()) == -1) {
		perror("fork");
		exit(2);
	}
	if (pid == 0) {
		unsigned char *copy = malloc(len ? len : 1);

		if (copy == NULL)
			_exit(3);
		memcpy(copy, data, len);	/* exactly len bytes, for ASan */
		alarm(REPLAY_TIMEOUT);
		LLVMFuzzerTestOneInput(copy, len);
		free(copy);
		free(data);
		exit(0);	/* not _exit: LeakSanitizer runs at exit */
	}
	free(data);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			perror("waitpid");
			exit(2);
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		passed++;
		return;
	}
	failed++;
	if (WIFSIGNALED(status))
		fprintf(stderr, "FAIL %s: signal %d%s\n", name, WTERMSIG(status),
		    WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
	else
		fprintf(stderr, "FAIL %s: exit %d\n", name, WEXITSTATUS(status));
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file in dir, in name order so runs are repeatable. */
static void
replay_dir(const char *dir)
{
	DIR		*d;
	struct dirent	*e;
	char		**v = NULL, **nv, path[4096];
	size_t		 n = 0, i;
	struct stat	 st;

	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "FAIL %s: %s\n", dir, strerror(errno));
		failed++;
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if ((nv = realloc(v, (n + 1) * sizeof *v)) == NULL ||
		    (nv[n] = strdup(e->d_name)) == NULL) {
			perror("replay");
			exit(2);
		}
		v = nv;
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(v, n, sizeof *v, name_cmp);
	for (i = 0; i < n; i++) {
		int r = snprintf(path, sizeof path, "%s/%s", dir, v[i]);

		if (r > 0 && (size_t)r < sizeof path && stat(path, &st) == 0 &&
		    S_ISREG(st.st_mode))
			replay_file(path);
		free(v[i]);
	}
	free(v);
}

int
main(int argc, char *argv[])
{
	struct stat	st;
	int		i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s file|dir ...\n", argv[0]);
		return 2;
	}
	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
			replay_dir(argv[i]);
		else
			replay_file(argv[i]);
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed > 0;
}
