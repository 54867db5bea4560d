/*
 * The content store: metadata for every node of a tree, rendered answers
 * on demand in a byte-bounded cache, kept current by inotify.
 */
#ifndef TULPAR_STORE_H
#define TULPAR_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "blob.h"
#include "buf.h"
#include "config.h"

#define STORE_LARGE	(1024 * 1024)	/* other files above this are streamed */
#define STORE_CACHE	(64 * 1024 * 1024)	/* default cache_size */

enum node_kind {
	NODE_PAGE,	/* gemtext page */
	NODE_DIR,	/* directory: its index.gmi or a generated listing */
	NODE_FILE,	/* other file, answered from the cache */
	NODE_LARGE,	/* file streamed from disk */
};

enum store_proto {
	STORE_GEMINI,
	STORE_GOPHER,
};

#define NODE_EXEC	0x04	/* an executable regular file: CGI may run it */

/* One file or directory: metadata only; answers live in the cache. */
struct node {
	struct node	*next;		/* hash chain */
	struct node	*parent;
	struct node	*child;		/* directories: first child */
	struct node	*sibling;
	int64_t		 mtime;		/* ns, for change detection (a directory's: */
					/* its stamp, store.c's dir_stamp) */
	uint64_t	 ino;
	uint64_t	 dev;
	off_t		 size;
	uint32_t	 hash;
	uint32_t	 no;		/* index of its cached answers in each process */
	uint32_t	 dirno;		/* directories: index of its watch in each process */
	unsigned char	 kind;		/* enum node_kind */
	char		 gopher_type;	/* item type this node is served as */
	unsigned char	 unlisted;	/* a directory whose listing is off */
	unsigned char	 flags;		/* NODE_EXEC, and the store's own */
	char		 path[];	/* canonical: "/", "/dir/", "/a.gmi" */
};

struct store_opts {
	const char	*root;
	const char	*lang;		/* NULL: no lang parameter */
	const char	*host;		/* our hostname */
	int		 gopher_port;	/* for local menu items */
	size_t		 large;		/* streaming threshold */
	int		 nolisting;	/* no generated listings, unless a rule says */
	const struct path_rule *rules;	/* per-path lang, listing, MIME */
	int		 nrules;
	const char	*search;	/* the search page's path; NULL: no index */
	uid_t		 uid;		/* the serving user, for the access check; */
	gid_t		 gid;		/* (uid_t)-1: no check */
};

/* What store_answer hands back: a reference the caller must release. */
struct answer {
	struct blob	*blob;
	const char	*data;
	size_t		 len;
};

#define STORE_BUSY	(-2)	/* store_answer: the file is being written */

struct store;

/* Loads the tree's metadata; NULL with a message in err on failure. */
struct store	*store_load(const struct store_opts *, char *, size_t);
void		 store_free(struct store *);
const struct node *store_find(const struct store *, const char *);
/* 1 if a file's body is sent from disk as it goes (store_open), not kept. */
int		 store_streams(const struct node *);
/* Opens a streamed file beneath the root; -1 on failure. */
int		 store_open(const struct store *, const struct node *);
size_t		 store_count(const struct store *, enum node_kind);
/* Calls fn for every node, in path order. */
void		 store_walk(const struct store *,
		    void (*)(const struct node *, void *), void *);
/* A node's answer over a protocol, read and rendered if not cached: 0, -1, STORE_BUSY. */
int		 store_answer(struct store *, const struct node *,
		    enum store_proto, struct answer *);
/* The search index of the store's text pages, kept with them; NULL when off. */
struct search_index *store_search(const struct store *);
/* A text page's bytes, through the cache: blob data from its off. */
int		 store_text(struct store *, const char *, struct blob **);
/* Renders gemtext as a Gopher menu of this host, its links relative to dir. */
void		 store_menu(const struct store *, const char *, const char *,
		    size_t, struct buf *);
/* This process's cache: one for all stores. */
void		 store_cache_budget(size_t);
size_t		 store_cache_bytes(void);

/* Live updates: an inotify instance per process, one debounce deadline. */
int		 store_watch(struct store *);
int		 store_watch_fd(const struct store *);
void		 store_watch_read(struct store *);
int		 store_watch_timeout(const struct store *);	/* ms, -1: none */
void		 store_watch_run(struct store *);

/* SIGHUP: 1 if a store loaded with o would hold the same answers. */
int		 store_same(const struct store *, const struct store_opts *);
/* Takes the options of a new configuration, then re-checks every node. */
void		 store_adopt(struct store *, const struct store_opts *);

/* Content checks (storecheck.c): one line per mistake, then a summary. */
enum store_problem {
	PROB_UTF8,
	PROB_LINK,
	PROB_SPACE,
	PROB_ACCESS,
	PROB_NAME,
	PROB_EMPTY,
	PROB_OUTSIDE,
	PROB_COUNT,
};
void		 store_report(struct store *, enum store_problem, const char *,
		    const char *, ...) __attribute__((format(printf, 4, 5)));
/* Checks up to n pages; 1 while more remain. */
int		 store_check_step(struct store *, size_t);
void		 store_check_all(struct store *);
/* The counts, as one line (for the log or -n). */
void		 store_summary(const struct store *, const char *, char *, size_t);

#endif
