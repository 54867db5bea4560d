/* The content tree, loaded once and pre-rendered for both protocols. */
#ifndef TULPAR_SNAPSHOT_H
#define TULPAR_SNAPSHOT_H

#include <stddef.h>
#include <sys/types.h>

#include "config.h"

#define SNAPSHOT_LARGE	(1024 * 1024)	/* files above this are streamed */

enum node_kind {
	NODE_PAGE,	/* gemtext page, pre-rendered */
	NODE_DIR,	/* directory: its index.gmi or a generated listing */
	NODE_FILE,	/* other file, held in memory */
	NODE_LARGE,	/* file streamed from disk */
};

struct node {
	char		*path;		/* canonical: "/", "/dir/", "/a.gmi" */
	enum node_kind	 kind;
	char		*gemini;	/* whole response; header only for NODE_LARGE */
	size_t		 gemini_len;
	char		*gopher;	/* menu or raw bytes; NULL for NODE_LARGE */
	size_t		 gopher_len;
	char		 gopher_type;	/* item type this node is served as */
	char		*relpath;	/* for NODE_LARGE: real path under the root */
	off_t		 size;
	int		 unlisted;	/* a directory whose listing is off */
	int		 exec;		/* an executable regular file (relpath set) */
	struct node	*next;		/* hash chain */
};

struct snapshot_opts {
	const char	*root;
	const char	*lang;		/* NULL: no lang parameter */
	const char	*host;		/* our hostname */
	int		 gopher_port;	/* 0: no Gopher rendering */
	size_t		 large;		/* streaming threshold */
	int		 nolisting;	/* no generated listings, unless a rule says */
	const struct path_rule *rules;	/* per-path lang, listing, MIME */
	int		 nrules;
};

struct snapshot;

/* Loads the tree; NULL with a message in err on failure. */
struct snapshot	*snapshot_load(const struct snapshot_opts *, char *, size_t);
void		 snapshot_free(struct snapshot *);
const struct node *snapshot_find(const struct snapshot *, const char *);
/* Opens a streamed file relative to the root; -1 on failure. */
int		 snapshot_open(const struct snapshot *, const struct node *);
size_t		 snapshot_count(const struct snapshot *, enum node_kind);
/* Calls fn for every node, in path order. */
void		 snapshot_walk(const struct snapshot *,
		    void (*)(const struct node *, void *), void *);

#endif
