/*
 * A Gopher selector line, taken through the steps gopher_request (static in
 * src/gopher.c, tied to a connection) performs, in the same order: bound
 * the length, refuse NUL, cut at TAB, refuse control bytes, then either
 * "URL:" → gophermap_url_page, or router_resolve for the listener's site
 * (following one configured redirect, as gopher_route does). The site is
 * a content store of tests/fixtures/tree (host "localhost", Gopher port 70)
 * loaded once, with a few [path] rules. If that parsing moves into a pure
 * function, call it here instead.
 *
 * Properties: the HTML page escapes the URL (the page has exactly as many
 * '<', '>', '"' and '\'' as the template alone) and scripting schemes are
 * refused; a node the router hands back is one of the store's own, with
 * a canonical, non-hidden path ("/" first, no "..", no "//"), listed, and
 * the canonical form of what was asked for.
 */
#include <limits.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "fuzz.h"
#include "gophermap.h"
#include "path.h"
#include "router.h"
#include "store.h"
#include "url.h"

#define TREE	"tests/fixtures/tree"

static struct store	*tree;
static struct host_config conf;
static struct site	 site;
static struct router	 router;
static size_t		 template_marks[4];

static const char	 marks[] = "<>\"'";

/* [path] rules: redirects (one into a hidden directory, one loop), gone, listing off. */
static const struct {
	const char		*prefix;
	enum path_action	 action;
	const char		*target;
	int			 listing;
} rules[] = {
	{ "/old/", PATH_REDIRECT, "/docs/", -1 },
	{ "/old/deeper/", PATH_REDIRECT_PERM, "/plain/", -1 },
	{ "/moved.gmi", PATH_REDIRECT_PERM, "gemini://example.org/", -1 },
	{ "/sneaky/", PATH_REDIRECT, "/.secret/", -1 },
	{ "/loop/", PATH_REDIRECT, "/loop/", -1 },
	{ "/gone.gmi", PATH_GONE, "", -1 },
	{ "/plain/", PATH_NONE, "", 0 },
};

static void
conf_init(void)
{
	size_t	i;

	snprintf(conf.name, sizeof conf.name, "localhost");
	conf.listing = 1;
	for (i = 0; i < sizeof rules / sizeof rules[0]; i++) {
		struct path_rule *pr = &conf.paths[i];

		snprintf(pr->prefix, sizeof pr->prefix, "%s", rules[i].prefix);
		snprintf(pr->target, sizeof pr->target, "%s", rules[i].target);
		pr->action = rules[i].action;
		pr->listing = rules[i].listing;
	}
	conf.npaths = (int)i;
}

static void
count_marks(const char *s, size_t n, size_t out[4])
{
	for (size_t k = 0; k < 4; k++) {
		out[k] = 0;
		for (size_t i = 0; i < n; i++)
			out[k] += s[i] == marks[k];
	}
}

/* The fixture tree: $TULPAR_FUZZ_TREE, ./tests/fixtures/tree, or next to the binary. */
static struct store *
load_tree(void)
{
	struct store_opts	 o = { .host = "localhost", .gopher_port = 70,
				    .rules = conf.paths, .nrules = conf.npaths };
	struct store		*s;
	char			 err[256], exe[PATH_MAX], alt[PATH_MAX + 64], *slash;
	ssize_t			 n;

	o.root = getenv("TULPAR_FUZZ_TREE") ? getenv("TULPAR_FUZZ_TREE") : TREE;
	if ((s = store_load(&o, err, sizeof err)) != NULL)
		return s;
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL)
			*slash = '\0';
		snprintf(alt, sizeof alt, "%s/../fixtures/tree", exe);
		o.root = alt;
		if ((s = store_load(&o, err, sizeof err)) != NULL)
			return s;
	}
	fprintf(stderr, "fuzz_selector: %s (run from the top of the tree, or "
	    "set TULPAR_FUZZ_TREE)\n", err);
	exit(1);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct buf	 b;
	const char	*errstr;

	(void)argc;
	(void)argv;
	if (tree != NULL)
		return 0;
	conf_init();
	tree = load_tree();
	site.name = "localhost";
	site.conf = &conf;
	site.store = tree;
	router.sites = &site;
	router.nsites = 1;
	buf_init(&b);
	if (gophermap_url_page("a:b", 3, &b, &errstr) == -1)
		abort();
	count_marks(b.data, b.len, template_marks);
	buf_free(&b);
	return 0;
}

static void
check_url_page(const char *url, size_t len)
{
	static const char	*bad[] = { "javascript:", "data:", "vbscript:" };
	struct buf		 b;
	const char		*errstr = NULL;
	size_t			 got[4];
	int			 r;

	buf_init(&b);
	r = gophermap_url_page(url, len, &b, &errstr);
	if (r == -1) {
		FUZZ_ASSERT(errstr != NULL, "refused without errstr");
		buf_free(&b);
		return;
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		FUZZ_ASSERT(len < strlen(bad[i]) ||
		    strncasecmp(url, bad[i], strlen(bad[i])) != 0,
		    "scripting URL accepted");
	FUZZ_ASSERT(!b.failed && b.data != NULL, "page not rendered");
	count_marks(b.data, b.len, got);
	for (size_t k = 0; k < 4; k++)
		FUZZ_ASSERT(got[k] == template_marks[k],
		    "%zu '%c' in the page, the template has %zu: URL not escaped",
		    got[k], marks[k], template_marks[k]);
	buf_free(&b);
}

/* A ".." segment anywhere in a path. */
static int
has_dotdot(const char *path)
{
	const char	*p;

	for (p = path; (p = strstr(p, "..")) != NULL; p += 2)
		if ((p == path || p[-1] == '/') && (p[2] == '/' || p[2] == '\0'))
			return 1;
	return 0;
}

static void
check_node(const char *req, const struct node *n)
{
	char		 canon[PATH_MAX_LEN + 2];
	const char	*errstr;

	FUZZ_ASSERT(n != NULL, "result without a node");
	FUZZ_ASSERT(store_find(tree, n->path) == n, "node not in the store");
	FUZZ_ASSERT(n->path[0] == '/', "node path \"%s\"", n->path);
	FUZZ_ASSERT(!has_dotdot(n->path), "node path \"%s\" has ..", n->path);
	FUZZ_ASSERT(strstr(n->path, "//") == NULL, "node path \"%s\"", n->path);
	FUZZ_ASSERT(strstr(n->path, "/.") == NULL, "hidden node \"%s\" served",
	    n->path);
	FUZZ_ASSERT(path_canon(req, canon, sizeof canon, &errstr) == 0,
	    "served a path that does not canonicalise");
	FUZZ_ASSERT(strcmp(canon, n->path) == 0, "asked for \"%s\", got \"%s\"",
	    canon, n->path);
	FUZZ_ASSERT(!n->unlisted, "unlisted directory \"%s\" served", n->path);
}

/* gopher_route: a result, and at most one configured redirect followed. */
static void
route(struct request *req, int hops)
{
	struct result	res;
	size_t		n;

	router_resolve(&router, req, &res);
	switch (res.kind) {
	case RESULT_NODE:
		FUZZ_ASSERT(res.site == &site, "another site");
		check_node(req->path, res.node);
		break;
	case RESULT_REDIRECT:
		n = strlen(res.target);
		FUZZ_ASSERT(n > 0 && res.target[n - 1] == '/',
		    "redirect to \"%s\"", res.target);
		check_node(res.target, res.node);
		break;
	case RESULT_MOVED:
		FUZZ_ASSERT(memchr(res.target, '\0', sizeof res.target) != NULL,
		    "target not terminated");
		if (hops > 0 && res.target[0] == '/') {
			char target[sizeof res.target];

			memcpy(target, res.target, sizeof target);
			req->path = target;
			route(req, hops - 1);
		}
		break;
	case RESULT_GONE:
	case RESULT_NOT_FOUND:
	case RESULT_BAD_REQUEST:
	case RESULT_CERT_NEEDED:
	case RESULT_CERT_REFUSED:
	case RESULT_CERT_INVALID:
		FUZZ_ASSERT(res.reason != NULL, "no reason");
		break;
	case RESULT_OTHER_HOST:
		FUZZ_ASSERT(0, "Gopher request sent to another host");
		break;
	case RESULT_SEARCH:	/* the fixture host has no search */
		FUZZ_ASSERT(0, "a search without a search path");
		break;
	case RESULT_FEED:
		FUZZ_ASSERT(res.node != NULL && res.node->kind == NODE_DIR,
		    "a feed not of a directory");
		break;
	case RESULT_UPLOAD:
		FUZZ_ASSERT(0, "router_resolve answered an upload");
		break;
	case RESULT_PROGRAM:	/* only beneath a cgi or fastcgi [path] */
		FUZZ_ASSERT(res.rule != NULL && res.script_len <= strlen(res.path),
		    "program result without its rule or SCRIPT_NAME");
	}
}

/* gopher_request's steps, minus the connection. */
static void
selector(char *line, size_t len)
{
	char		 path[URL_MAX + 2], *tab;
	struct request	 req = { .site = &site, .path = path };
	size_t		 i;

	if (len > URL_MAX || memchr(line, '\0', len) != NULL)
		return;
	if ((tab = memchr(line, '\t', len)) != NULL)
		len = tab - line;
	for (i = 0; i < len; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			return;
	if (len >= 4 && memcmp(line, "URL:", 4) == 0) {
		check_url_page(line + 4, len - 4);
		return;
	}
	path[0] = '/';
	memcpy(path + (line[0] != '/'), line, len);
	path[len + (line[0] != '/')] = '\0';
	route(&req, 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Like the connection's line: NUL-terminated, not counting the NUL. */
	char	*line = fuzz_cstr(data, size);

	if (tree == NULL)
		LLVMFuzzerInitialize(NULL, NULL);
	selector(line, size);
	free(line);
	return 0;
}
