/* Unit tests for src/config.c: the configuration file parser. */
#include "unit.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "config.h"

#define EXAMPLE_FILE	"docs/examples/tulpar.conf"
#define MAN_PAGE	"docs/tulpar.conf.5"

/* The example from the design brief, one setting a line. */
static const char example[] =
    "# global settings\n"					/* 1 */
    "[server]\n"
    "gemini = 1965               ; [addr:]port\n"
    "gemini_proxy = no           ; yes: expect a PROXY header\n"
    "cert_dir = /var/lib/tulpar/certs\n"			/* 5 */
    "user = tulpar               ; drop to this user\n"
    "chroot = no\n"
    "allow_root = no\n"
    "confine = yes\n"
    "workers = 0                 ; 0: one per core\n"	/* 10 */
    "max_connections = 16384\n"
    "read_timeout = 10           ; seconds\n"
    "log = stderr\n"
    "log_client_ip = yes\n"
    "\n"							/* 15 */
    "[host example.org]          ; the default host\n"
    "aliases = www.example.org gemini.example.org   ; space-separated\n"
    "root = /srv/gemini/example.org\n"
    "cert_dir = /var/lib/tulpar/certs   ; optional\n"
    "lang = en                   ; optional\n"		/* 20 */
    "listing = yes\n"
    "gopher = 70                 ; [addr:]port, or off\n"
    "gopher_proxy = no\n"
    "\n"
    "[path example.org /old/]    ; a prefix under a host\n"	/* 25 */
    "redirect = /new/            ; 30 temporary redirect\n"
    "# or: permanent_redirect = gemini://example.org/new/   (31)\n"
    "# or: gone = yes            (52)\n"
    "lang = kk\n"
    "listing = no\n"						/* 30 */
    "mime.txt = text/plain; charset=utf-8   ; MIME override\n";

/* A valid head the error tests append to: a host on lines 1-2. */
#define HOST_A	"[host a.example]\nroot = /srv/a\n"

static struct config *
conf_new(void)
{
	struct config	*c;

	c = calloc(1, sizeof(*c));
	assert_non_null(c);
	return c;
}

static struct config *
parse_ok_at(const char *text, const char *file, int line)
{
	struct config	*c = conf_new();
	char		 err[512];

	memset(err, 0, sizeof(err));
	if (config_parse("t.conf", text, c, err, sizeof(err)) != 0) {
		print_error("%s:%d: config_parse failed: %s\n", file, line, err);
		free(c);
		_fail(file, line);
	}
	assert_string_equal(err, "");
	return c;
}

#define PARSE_OK(text)	parse_ok_at((text), __FILE__, __LINE__)

/* Wants -1 and an error "t.conf:LINE: ..." (or "t.conf: ...") naming word. */
static void
parse_bad_at(const char *text, int lineno, const char *word, const char *file,
    int line)
{
	struct config	*c = conf_new();
	char		 err[512], want[64];
	int		 rc;

	if (lineno > 0)
		snprintf(want, sizeof(want), "t.conf:%d: ", lineno);
	else
		snprintf(want, sizeof(want), "t.conf: ");
	memset(err, 0, sizeof(err));
	rc = config_parse("t.conf", text, c, err, sizeof(err));
	free(c);
	if (rc != -1 || strncmp(err, want, strlen(want)) != 0 ||
	    strstr(err, word) == NULL || strchr(err, '\n') != NULL) {
		print_error("%s:%d: config_parse rc %d err \"%s\", want -1 and "
		    "\"%s...%s...\"\n", file, line, rc, err, want, word);
		_fail(file, line);
	}
}

#define PARSE_BAD(text, lineno, word) \
	parse_bad_at((text), (lineno), (word), __FILE__, __LINE__)

static void
test_example_server(void **state)
{
	struct config	*c;

	(void)state;
	c = PARSE_OK(example);
	assert_string_equal(c->gemini.host, "");
	assert_int_equal(c->gemini.port, 1965);
	assert_int_equal(c->gemini_proxy, 0);
	assert_string_equal(c->certdir, "/var/lib/tulpar/certs");
	assert_string_equal(c->user, "tulpar");
	assert_int_equal(c->chroot, 0);
	assert_int_equal(c->allow_root, 0);
	assert_int_equal(c->confine, 1);
	assert_int_equal(c->workers, 0);
	assert_int_equal(c->max_conns, 16384);
	assert_int_equal(c->read_timeout, 10);
	assert_int_equal(c->log, LOG_STDERR);
	assert_string_equal(c->logfile, "");
	assert_int_equal(c->log_ip, 1);
	assert_int_equal(c->nhosts, 1);
	free(c);
}

static void
test_example_host_and_path(void **state)
{
	struct config		*c;
	struct host_config	*h;
	struct path_rule	*r;

	(void)state;
	c = PARSE_OK(example);
	h = &c->hosts[0];
	assert_string_equal(h->name, "example.org");
	assert_int_equal(h->naliases, 2);
	assert_string_equal(h->aliases[0], "www.example.org");
	assert_string_equal(h->aliases[1], "gemini.example.org");
	assert_string_equal(h->root, "/srv/gemini/example.org");
	assert_string_equal(h->certdir, "/var/lib/tulpar/certs");
	assert_string_equal(h->lang, "en");
	assert_int_equal(h->listing, 1);
	assert_string_equal(h->gopher.host, "");
	assert_int_equal(h->gopher.port, 70);
	assert_int_equal(h->gopher_proxy, 0);
	assert_int_equal(h->npaths, 1);
	r = &h->paths[0];
	assert_string_equal(r->prefix, "/old/");
	assert_int_equal(r->action, PATH_REDIRECT);
	assert_string_equal(r->target, "/new/");
	assert_string_equal(r->lang, "kk");
	assert_int_equal(r->listing, 0);
	assert_int_equal(r->nmime, 1);
	assert_string_equal(r->mime[0].ext, "txt");
	assert_string_equal(r->mime[0].type, "text/plain; charset=utf-8");
	free(c);
}

static void
test_defaults(void **state)
{
	struct config	*c = conf_new();
	char		 err[256];
	int		 i;

	(void)state;
	memset(c, 0xa5, sizeof(*c));
	config_defaults(c);
	assert_string_equal(c->gemini.host, "");
	assert_int_equal(c->gemini.port, 1965);
	assert_string_equal(c->certdir, "./certs");
	assert_int_equal(c->confine, 1);
	assert_int_equal(c->log_ip, 1);
	assert_int_equal(c->log, LOG_STDERR);
	assert_int_equal(c->nhosts, 0);
	assert_int_equal(c->workers, 0);
	assert_int_equal(c->chroot, 0);
	assert_string_equal(c->user, "");
	/* Slots are cleared when a section takes them, even in a dirty struct. */
	memset(c, 0xa5, sizeof(*c));
	assert_int_equal(config_parse("t.conf", "[host a]\nroot = /\n"
	    "[path a /x/]\ngone = yes\n", c, err, sizeof err), 0);
	assert_int_equal(c->nhosts, 1);
	assert_int_equal(c->hosts[0].listing, 1);
	assert_int_equal(c->hosts[0].naliases, 0);
	assert_string_equal(c->hosts[0].lang, "");
	assert_int_equal(c->hosts[0].npaths, 1);
	assert_int_equal(c->hosts[0].paths[0].listing, -1);
	assert_int_equal(c->hosts[0].paths[0].nmime, 0);
	for (i = 0; i < 1; i++)
		assert_int_equal(c->hosts[i].gopher.port, 0);
	free(c);
}

static void
test_minimal_defaults(void **state)
{
	struct config		*c;
	struct host_config	*h;

	(void)state;
	c = PARSE_OK(HOST_A);
	h = &c->hosts[0];
	assert_int_equal(c->gemini.port, 1965);
	assert_string_equal(c->certdir, "./certs");
	assert_int_equal(c->confine, 1);
	assert_int_equal(c->log_ip, 1);
	assert_int_equal(c->max_conns, 0);
	assert_int_equal(c->read_timeout, 0);
	assert_string_equal(h->certdir, "./certs");
	assert_int_equal(h->listing, 1);
	assert_int_equal(h->gopher.port, 0);
	assert_string_equal(h->lang, "");
	assert_int_equal(h->naliases, 0);
	assert_int_equal(h->npaths, 0);
	free(c);
}

static void
test_certdir_inherit(void **state)
{
	struct config	*c;

	(void)state;
	/* [server] may come after the hosts; inheritance happens at the end. */
	c = PARSE_OK(HOST_A
	    "[host b.example]\nroot = /srv/b\ncert_dir = /etc/b\n"
	    "[server]\ncert_dir = /etc/tulpar\n");
	assert_string_equal(c->hosts[0].certdir, "/etc/tulpar");
	assert_string_equal(c->hosts[1].certdir, "/etc/b");
	free(c);
}

static void
test_booleans(void **state)
{
	static const char *const yes[] = { "yes", "true", "on", "1", "YES", "On" };
	static const char *const no[] = { "no", "false", "off", "0", "No", "FALSE" };
	struct config	*c;
	char		 text[256];
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		snprintf(text, sizeof(text), "[server]\nallow_root = %s\n"
		    "confine = %s\n" HOST_A "listing = %s\n", yes[i], no[i], no[i]);
		c = PARSE_OK(text);
		assert_int_equal(c->allow_root, 1);
		assert_int_equal(c->confine, 0);
		assert_int_equal(c->hosts[0].listing, 0);
		free(c);
	}
}

static void
test_bad_boolean(void **state)
{
	(void)state;
	PARSE_BAD("[server]\nconfine = maybe\n" HOST_A, 2, "boolean");
	PARSE_BAD(HOST_A "listing = 2\n", 3, "listing");
	PARSE_BAD(HOST_A "[path a.example /x/]\ngone = y\n", 4, "gone");
}

static void
test_aliases(void **state)
{
	struct config	*c;

	(void)state;
	c = PARSE_OK(HOST_A "aliases =  one.example \t two.example   three\n");
	assert_int_equal(c->hosts[0].naliases, 3);
	assert_string_equal(c->hosts[0].aliases[0], "one.example");
	assert_string_equal(c->hosts[0].aliases[1], "two.example");
	assert_string_equal(c->hosts[0].aliases[2], "three");
	free(c);
	c = PARSE_OK(HOST_A "aliases = 1 2 3 4 5 6 7 8\n");
	assert_int_equal(c->hosts[0].naliases, CONFIG_MAX_ALIASES);
	free(c);
	PARSE_BAD(HOST_A "aliases = 1 2 3 4 5 6 7 8 9\n", 3, "too many aliases");
	PARSE_BAD(HOST_A "aliases = ok.example bad_name\n", 3, "bad_name");
}

static void
test_alias_duplicates(void **state)
{
	(void)state;
	/* An alias that is another host's name, or another host's alias. */
	PARSE_BAD(HOST_A "[host b.example]\nroot = /b\naliases = A.EXAMPLE\n",
	    5, "duplicate host name");
	PARSE_BAD(HOST_A "aliases = w.example\n[host b.example]\nroot = /b\n"
	    "aliases = x.example w.example\n", 6, "w.example");
	/* A host named like an earlier alias; an alias repeating its own host. */
	PARSE_BAD(HOST_A "aliases = w.example\n[host w.example]\nroot = /b\n",
	    4, "duplicate host name");
	PARSE_BAD(HOST_A "aliases = a.example\n", 3, "duplicate");
	PARSE_BAD(HOST_A "aliases = x.example x.example\n", 3, "duplicate");
}

static void
test_duplicate_host(void **state)
{
	(void)state;
	PARSE_BAD(HOST_A "[host a.example]\nroot = /b\n", 3, "duplicate host");
	PARSE_BAD(HOST_A "[host A.Example.]\nroot = /b\n", 3, "duplicate host");
}

static void
test_hostname_validation(void **state)
{
	struct config	*c;

	(void)state;
	c = PARSE_OK("[host xn--d1acufc.example-1]\nroot = /r\n");
	assert_string_equal(c->hosts[0].name, "xn--d1acufc.example-1");
	free(c);
	PARSE_BAD("[host -bad.example]\nroot = /r\n", 1, "invalid host name");
	PARSE_BAD("[host .bad.example]\nroot = /r\n", 1, "invalid host name");
	PARSE_BAD("[host bad_name]\nroot = /r\n", 1, "invalid host name");
	PARSE_BAD("[host b_\xc3\xa9.example]\nroot = /r\n", 1, "invalid host name");
	PARSE_BAD("[host a..example]\nroot = /r\n", 1, "invalid host name");
}

/* One spelling per host: case, a trailing dot, IDNA U-labels (issue 12). */
static void
test_hostname_normalised(void **state)
{
	struct config	*c;

	(void)state;
	c = PARSE_OK("[host EXAMPLE.Org.]\nroot = /r\naliases = WWW.example.ORG. "
	    "\xd2\x9b\xd0\xb0\xd0\xb7\xd0\xb0\xd2\x9b.kz\n"
	    "[path Example.org. /x/]\ngone = yes\n"
	    "[host b\xc3\xa9.example]\nroot = /b\n");
	assert_string_equal(c->hosts[0].name, "example.org");
	assert_string_equal(c->hosts[0].aliases[0], "www.example.org");
	assert_string_equal(c->hosts[0].aliases[1], "xn--80aau21bd.kz");
	assert_int_equal(c->hosts[0].npaths, 1);
	assert_string_equal(c->hosts[1].name, "xn--b-bga.example");
	free(c);
	/* Two spellings of one name are one host. */
	PARSE_BAD("[host xn--80aau21bd.kz]\nroot = /r\n"
	    "[host \xd2\x9a\xd0\x90\xd0\x97\xd0\x90\xd2\x9a.kz]\nroot = /b\n",
	    3, "duplicate host name");
	PARSE_BAD("[host \xf0\x9f\x98\x80.example]\nroot = /r\n", 1,
	    "invalid host name");
	PARSE_BAD("[host]\nroot = /r\n", 1, "[host NAME]");
	PARSE_BAD("[host a b]\nroot = /r\n", 1, "[host NAME]");
}

static void
test_too_many_hosts(void **state)
{
	char	text[4096];
	size_t	o = 0;
	int	i;

	(void)state;
	for (i = 0; i <= CONFIG_MAX_HOSTS; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o,
		    "[host h%d.example]\nroot = /r\n", i);
	PARSE_BAD(text, 2 * CONFIG_MAX_HOSTS + 1, "too many hosts");
}

static void
test_mime_overrides(void **state)
{
	struct config		*c;
	struct path_rule	*r;

	(void)state;
	c = PARSE_OK(HOST_A "[path a.example /]\n"
	    "mime.txt = text/plain; charset=utf-8\n"
	    "mime.gmi = text/gemini;lang=en\n"
	    "mime.tar-gz = application/x-gtar\n"
	    "mime.svg = image/svg+xml\n");
	r = &c->hosts[0].paths[0];
	assert_int_equal(r->nmime, 4);
	assert_string_equal(r->mime[0].ext, "txt");
	assert_string_equal(r->mime[0].type, "text/plain; charset=utf-8");
	assert_string_equal(r->mime[1].ext, "gmi");
	assert_string_equal(r->mime[1].type, "text/gemini;lang=en");
	assert_string_equal(r->mime[2].ext, "tar-gz");
	assert_string_equal(r->mime[3].type, "image/svg+xml");
	assert_int_equal(r->action, PATH_NONE);
	assert_int_equal(r->listing, -1);
	assert_string_equal(r->lang, "");
	free(c);
}

static void
test_mime_bad(void **state)
{
	(void)state;
	PARSE_BAD(HOST_A "[path a.example /]\nmime. = text/plain\n", 4,
	    "extension");
	PARSE_BAD(HOST_A "[path a.example /]\nmime.a.b = text/plain\n", 4,
	    "extension");
	PARSE_BAD(HOST_A "[path a.example /]\nmime.abcdefghijklmnop = a/b\n", 4,
	    "extension");
	PARSE_BAD(HOST_A "[path a.example /]\nmime.txt = textplain\n", 4,
	    "MIME type");
	PARSE_BAD(HOST_A "[path a.example /]\nmime.txt = text/\n", 4,
	    "MIME type");
	PARSE_BAD(HOST_A "[path a.example /]\nmime.txt = text/plain x\n", 4,
	    "MIME type");
	PARSE_BAD(HOST_A "[path a.example /]\nmime.txt = a/b\nmime.TXT = c/d\n",
	    5, "duplicate MIME");
	/* Only a [path] takes MIME overrides. */
	PARSE_BAD(HOST_A "mime.txt = text/plain\n", 3, "unknown key 'mime.txt'");
}

static void
test_too_many_mime(void **state)
{
	char	text[2048];
	size_t	o;
	int	i;

	(void)state;
	o = (size_t)snprintf(text, sizeof(text), HOST_A "[path a.example /]\n");
	for (i = 0; i <= CONFIG_MAX_MIME; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o,
		    "mime.e%d = a/b\n", i);
	PARSE_BAD(text, 4 + CONFIG_MAX_MIME, "too many MIME");
}

static void
test_path_canonical(void **state)
{
	struct config	*c;

	(void)state;
	c = PARSE_OK(HOST_A "[path a.example /a//b/../c]\nlisting = yes\n"
	    "[path a.example /x/./y/]\nlang = de\n"
	    "[path a.example /]\nlisting = no\n"
	    "[path a.example /z/../q]\n");
	assert_int_equal(c->hosts[0].npaths, 4);
	assert_string_equal(c->hosts[0].paths[0].prefix, "/a/c");
	assert_int_equal(c->hosts[0].paths[0].listing, 1);
	assert_string_equal(c->hosts[0].paths[1].prefix, "/x/y/");
	assert_string_equal(c->hosts[0].paths[1].lang, "de");
	assert_string_equal(c->hosts[0].paths[2].prefix, "/");
	/* A [path] with no keys is still declared (and canonicalised). */
	assert_string_equal(c->hosts[0].paths[3].prefix, "/q");
	free(c);
}

static void
test_path_prefix_bad(void **state)
{
	(void)state;
	PARSE_BAD(HOST_A "[path a.example old/]\n", 3, "must start with '/'");
	PARSE_BAD(HOST_A "[path a.example /../etc/]\n", 3, "climbs");
	PARSE_BAD(HOST_A "[path a.example]\n", 3, "[path HOST /PREFIX]");
	PARSE_BAD(HOST_A "[path a.example /a /b]\n", 3, "too many words");
	PARSE_BAD(HOST_A "[path a.example /x/]\n[path a.example /y/../x/]\n", 4,
	    "duplicate [path a.example /x/]");
}

static void
test_path_host(void **state)
{
	struct config	*c;

	(void)state;
	PARSE_BAD(HOST_A "[path b.example /x/]\nlang = en\n", 3, "undeclared host");
	PARSE_BAD("[path a.example /x/]\ngone = yes\n" HOST_A, 1,
	    "undeclared host");
	/* An alias names its host; the rule lands on that host. */
	c = PARSE_OK(HOST_A "aliases = w.example\n[host b.example]\nroot = /b\n"
	    "[path W.EXAMPLE /x/]\ngone = yes\n");
	assert_int_equal(c->hosts[0].npaths, 1);
	assert_int_equal(c->hosts[1].npaths, 0);
	assert_int_equal(c->hosts[0].paths[0].action, PATH_GONE);
	free(c);
}

static void
test_too_many_paths(void **state)
{
	char	text[8192];
	size_t	o;
	int	i;

	(void)state;
	o = (size_t)snprintf(text, sizeof(text), HOST_A);
	for (i = 0; i <= CONFIG_MAX_PATHS; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o,
		    "[path a.example /p%d/]\n", i);
	PARSE_BAD(text, 3 + CONFIG_MAX_PATHS, "too many [path]");
}

static void
test_actions(void **state)
{
	struct config	*c;

	(void)state;
	c = PARSE_OK(HOST_A
	    "[path a.example /t/]\nredirect = gemini://b.example/t/?q#f\n"
	    "[path a.example /p/]\npermanent_redirect = /new/\n"
	    "[path a.example /g/]\ngone = yes\n"
	    "[path a.example /n/]\ngone = no\n"
	    "[path a.example /h/]\nredirect = https://example.com/\n");
	assert_int_equal(c->hosts[0].paths[0].action, PATH_REDIRECT);
	assert_string_equal(c->hosts[0].paths[0].target,
	    "gemini://b.example/t/?q#f");
	assert_int_equal(c->hosts[0].paths[1].action, PATH_REDIRECT_PERM);
	assert_string_equal(c->hosts[0].paths[1].target, "/new/");
	assert_int_equal(c->hosts[0].paths[2].action, PATH_GONE);
	assert_string_equal(c->hosts[0].paths[2].target, "");
	assert_int_equal(c->hosts[0].paths[3].action, PATH_NONE);
	assert_int_equal(c->hosts[0].paths[4].action, PATH_REDIRECT);
	free(c);
}

static void
test_redirect_targets_bad(void **state)
{
	(void)state;
	PARSE_BAD(HOST_A "[path a.example /x/]\nredirect = new/\n", 4, "target");
	PARSE_BAD(HOST_A "[path a.example /x/]\nredirect = //evil.example/\n", 4,
	    "target");
	PARSE_BAD(HOST_A "[path a.example /x/]\nredirect = gemini:\n", 4, "target");
	PARSE_BAD(HOST_A "[path a.example /x/]\nredirect = 1a://x\n", 4, "target");
	PARSE_BAD(HOST_A "[path a.example /x/]\npermanent_redirect = /a\tb\n", 4,
	    "target");
	PARSE_BAD(HOST_A "[path a.example /x/]\nredirect = /a\x01z\n", 4,
	    "control");
}

static void
test_actions_exclusive(void **state)
{
	(void)state;
	PARSE_BAD(HOST_A "[path a.example /x/]\nredirect = /y/\ngone = yes\n", 5,
	    "only one of");
	PARSE_BAD(HOST_A "[path a.example /x/]\ngone = no\n"
	    "permanent_redirect = /y/\n", 5, "only one of");
	PARSE_BAD(HOST_A "[path a.example /x/]\nredirect = /y/\n"
	    "redirect = /z/\n", 5, "duplicate key 'redirect'");
	/* Each [path] has its own action. */
	free(PARSE_OK(HOST_A "[path a.example /x/]\nredirect = /y/\n"
	    "[path a.example /z/]\ngone = yes\n"));
}

static void
test_unknown_key(void **state)
{
	struct config	*c = conf_new();
	char		 err[256];

	(void)state;
	assert_int_equal(config_parse("tulpar.conf", "[server]\nworkers = 2\n"
	    "[host example.org]\nrooot = /srv\n", c, err, sizeof(err)), -1);
	assert_string_equal(err,
	    "tulpar.conf:4: unknown key 'rooot' in [host example.org]");
	free(c);
	PARSE_BAD("[server]\nroot = /x\n" HOST_A, 2, "unknown key 'root' in [server]");
	PARSE_BAD(HOST_A "[path a.example /x/]\nroot = /y\n", 4,
	    "unknown key 'root' in [path a.example /x/]");
	PARSE_BAD(HOST_A "= value\n", 3, "unknown key ''");
}

static void
test_unknown_section(void **state)
{
	(void)state;
	PARSE_BAD(HOST_A "[hots b.example]\nroot = /b\n", 3, "unknown section '[hots]'");
	PARSE_BAD("[Server]\n" HOST_A, 1, "unknown section");
	PARSE_BAD("[]\n" HOST_A, 1, "unknown section");
	/* Reported at its header even with no keys under it. */
	PARSE_BAD(HOST_A "\n\n[global]\n", 5, "unknown section");
}

static void
test_section_header_syntax(void **state)
{
	struct config	*c;

	(void)state;
	PARSE_BAD("[server\n" HOST_A, 1, "without ']'");
	PARSE_BAD("[server ; comment]\n" HOST_A, 1, "without ']'");
	PARSE_BAD("[server] junk\n" HOST_A, 1, "after ']'");
	PARSE_BAD("[server x]\n" HOST_A, 1, "no name");
	PARSE_BAD("[server]\n[server]\n" HOST_A, 2, "duplicate [server]");
	c = PARSE_OK("[server] ; the globals\n[ host   a.example ]\t; first\n"
	    "root = /r\n");
	assert_string_equal(c->hosts[0].name, "a.example");
	free(c);
}

static void
test_key_outside_section(void **state)
{
	(void)state;
	PARSE_BAD("workers = 2\n[server]\n" HOST_A, 1, "outside any section");
	PARSE_BAD("# comment\n\n  gemini = 1965\n" HOST_A, 3, "outside");
}

static void
test_duplicate_key(void **state)
{
	(void)state;
	PARSE_BAD(HOST_A "root = /srv/b\n", 3, "duplicate key 'root'");
	PARSE_BAD("[server]\nworkers = 1\nworkers = 2\n" HOST_A, 3,
	    "duplicate key 'workers' in [server]");
}

static void
test_numbers(void **state)
{
	struct config	*c;

	(void)state;
	c = PARSE_OK("[server]\nworkers = 64\nmax_connections = 1000000\n"
	    "read_timeout = 3600\n" HOST_A);
	assert_int_equal(c->workers, 64);
	assert_int_equal(c->max_conns, 1000000);
	assert_int_equal(c->read_timeout, 3600);
	free(c);
	c = PARSE_OK("[server]\nworkers = 0\nmax_connections = 1\n"
	    "read_timeout = 1\n" HOST_A);
	assert_int_equal(c->max_conns, 1);
	assert_int_equal(c->read_timeout, 1);
	free(c);
	PARSE_BAD("[server]\nworkers = 65\n" HOST_A, 2, "workers");
	PARSE_BAD("[server]\nworkers = -1\n" HOST_A, 2, "workers");
	PARSE_BAD("[server]\nworkers = 4x\n" HOST_A, 2, "workers");
	PARSE_BAD("[server]\nworkers = +4\n" HOST_A, 2, "workers");
	PARSE_BAD("[server]\nmax_connections = 0\n" HOST_A, 2, "max_connections");
	PARSE_BAD("[server]\nmax_connections = 1000001\n" HOST_A, 2,
	    "max_connections");
	PARSE_BAD("[server]\nmax_connections = 99999999999999999999\n" HOST_A, 2,
	    "max_connections");
	PARSE_BAD("[server]\nread_timeout = 0\n" HOST_A, 2, "read_timeout");
	PARSE_BAD("[server]\nread_timeout = 3601\n" HOST_A, 2, "1 to 3600");
}

static void
test_listen_addresses(void **state)
{
	struct config	*c;

	(void)state;
	c = PARSE_OK("[server]\ngemini = 127.0.0.1:11965\n"
	    "[host a.example]\nroot = /r\ngopher = [::1]:7070\n");
	assert_string_equal(c->gemini.host, "127.0.0.1");
	assert_int_equal(c->gemini.port, 11965);
	assert_string_equal(c->hosts[0].gopher.host, "::1");
	assert_int_equal(c->hosts[0].gopher.port, 7070);
	free(c);
	PARSE_BAD("[server]\ngemini = localhost:1965\n" HOST_A, 2, "gemini");
	PARSE_BAD("[server]\ngemini = 0\n" HOST_A, 2, "listen address");
	PARSE_BAD(HOST_A "gopher = 70000\n", 3, "gopher");
	PARSE_BAD(HOST_A "gopher = no\n", 3, "gopher");
}

static void
test_gopher_off(void **state)
{
	struct config	*c;

	(void)state;
	c = PARSE_OK(HOST_A "gopher = off\n[host b.example]\nroot = /b\n"
	    "gopher = off\n[host c.example]\nroot = /c\n");
	assert_int_equal(c->hosts[0].gopher.port, 0);
	assert_int_equal(c->hosts[1].gopher.port, 0);
	assert_int_equal(c->hosts[2].gopher.port, 0);
	free(c);
}

static void
test_gopher_clash(void **state)
{
	struct config	*c;

	(void)state;
	PARSE_BAD(HOST_A "gopher = 70\n[host b.example]\nroot = /b\n"
	    "gopher = 70\n", 6, "already used by [host a.example]");
	PARSE_BAD(HOST_A "gopher = 70\n[host b.example]\nroot = /b\n"
	    "gopher = 127.0.0.1:70\n", 6, "gopher address 127.0.0.1:70");
	PARSE_BAD(HOST_A "gopher = [::1]:70\n[host b.example]\nroot = /b\n"
	    "gopher = [0:0::1]:70\n", 6, "already used");
	PARSE_BAD(HOST_A "gopher = 1965\n", 3, "gemini");
	PARSE_BAD("[server]\ngemini = 127.0.0.1:7000\n" HOST_A
	    "gopher = 7000\n", 5, "gemini");
	/* Different ports, or one port on different addresses, are fine. */
	c = PARSE_OK(HOST_A "gopher = 127.0.0.1:70\n[host b.example]\n"
	    "root = /b\ngopher = 127.0.0.2:70\n[host c.example]\nroot = /c\n"
	    "gopher = 7070\n");
	assert_int_equal(c->hosts[2].gopher.port, 7070);
	free(c);
}

static void
test_no_host(void **state)
{
	(void)state;
	PARSE_BAD("", 0, "no [host]");
	PARSE_BAD("[server]\nworkers = 2\n", 0, "no [host]");
	PARSE_BAD("; only comments\n# here\n", 0, "[host]");
}

static void
test_host_without_root(void **state)
{
	(void)state;
	PARSE_BAD(HOST_A "\n[host b.example]\nlang = en\n", 4, "no root");
	PARSE_BAD("[host b.example]\n", 1, "no root");
	PARSE_BAD(HOST_A "root =\n", 3, "missing value");
}

static void
test_lang(void **state)
{
	struct config	*c;

	(void)state;
	c = PARSE_OK(HOST_A "lang = en-GB,kk\n");
	assert_string_equal(c->hosts[0].lang, "en-GB,kk");
	free(c);
	PARSE_BAD(HOST_A "lang = en_GB\n", 3, "lang");
	PARSE_BAD(HOST_A "lang = en;q=1\n", 3, "lang");
	PARSE_BAD(HOST_A "lang = "
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	    3, "lang");
	PARSE_BAD(HOST_A "[path a.example /x/]\nlang = e n\n", 4, "lang");
}

static void
test_log(void **state)
{
	struct config	*c;

	(void)state;
	c = PARSE_OK("[server]\nlog = syslog\nlog_client_ip = no\n" HOST_A);
	assert_int_equal(c->log, LOG_SYSLOG);
	assert_int_equal(c->log_ip, 0);
	free(c);
	c = PARSE_OK("[server]\nlog = /var/log/tulpar.log\n" HOST_A);
	assert_int_equal(c->log, LOG_FILE);
	assert_string_equal(c->logfile, "/var/log/tulpar.log");
	free(c);
	PARSE_BAD("[server]\nlog = tulpar.log\n" HOST_A, 2, "log");
	PARSE_BAD("[server]\nlog = STDERR\n" HOST_A, 2, "absolute path");
}

static void
test_cache_size(void **state)
{
	struct config	*c;

	(void)state;
	c = PARSE_OK(HOST_A);
	assert_int_equal(c->cache_size, 64 * 1024 * 1024);
	free(c);
	c = PARSE_OK("[server]\ncache_size = 123\n" HOST_A);
	assert_int_equal(c->cache_size, 123);
	free(c);
	c = PARSE_OK("[server]\ncache_size = 8K\n" HOST_A);
	assert_int_equal(c->cache_size, 8192);
	free(c);
	c = PARSE_OK("[server]\ncache_size = 64m\n" HOST_A);
	assert_int_equal(c->cache_size, 64 * 1024 * 1024);
	free(c);
	c = PARSE_OK("[server]\ncache_size = 2G\n" HOST_A);
	assert_true(c->cache_size == (size_t)2 << 30);
	free(c);
	c = PARSE_OK("[server]\ncache_size = 0\n" HOST_A);
	assert_int_equal(c->cache_size, 0);
	free(c);
	PARSE_BAD("[server]\ncache_size = \n" HOST_A, 2, "cache_size");
	PARSE_BAD("[server]\ncache_size = M\n" HOST_A, 2, "cache_size");
	PARSE_BAD("[server]\ncache_size = 64MB\n" HOST_A, 2, "cache_size");
	PARSE_BAD("[server]\ncache_size = -1\n" HOST_A, 2, "cache_size");
	PARSE_BAD("[server]\ncache_size = 1T\n" HOST_A, 2, "cache_size");
	PARSE_BAD("[server]\ncache_size = 1025G\n" HOST_A, 2, "cache_size");
	PARSE_BAD("[server]\ncache_size = 99999999999999999999999\n" HOST_A, 2,
	    "cache_size");
}

static void
test_user(void **state)
{
	struct config	*c;

	(void)state;
	c = PARSE_OK("[server]\nuser = _tulpar-1\n" HOST_A);
	assert_string_equal(c->user, "_tulpar-1");
	free(c);
	PARSE_BAD("[server]\nuser = -x\n" HOST_A, 2, "user");
	PARSE_BAD("[server]\nuser = a b\n" HOST_A, 2, "user");
	PARSE_BAD("[server]\nuser = root:0\n" HOST_A, 2, "user");
}

static void
test_chroot(void **state)
{
	struct config	*c;

	(void)state;
	c = PARSE_OK("[server]\nchroot = yes\n" HOST_A);
	assert_int_equal(c->chroot, 1);
	free(c);
	PARSE_BAD("[server]\nchroot = yes\n" HOST_A "[host b.example]\nroot = /b\n",
	    2, "chroot");
	free(PARSE_OK("[server]\nchroot = no\n" HOST_A
	    "[host b.example]\nroot = /b\n"));
}

static void
test_syntax_error(void **state)
{
	(void)state;
	PARSE_BAD(HOST_A "listing yes\n", 3, "syntax error");
	/* The first problem is reported, whichever kind it is. */
	PARSE_BAD(HOST_A "\nlisting yes\nrooot = /x\n", 4, "syntax error");
	PARSE_BAD(HOST_A "rooot = /x\nlisting yes\n", 3, "unknown key");
	PARSE_BAD(HOST_A "listing yes\n[bogus]\n", 3, "syntax error");
}

static void
test_comments_and_whitespace(void **state)
{
	struct config	*c;

	(void)state;
	/* ';' after white space starts a comment; '#' only at line start. */
	c = PARSE_OK("; a comment\n"
	    "# another\n"
	    "  [host a.example]   ; trailing comment\n"
	    "\troot = /srv/a;b   ; the root\n"
	    "    # indented comment\n"
	    "    ; indented comment\n"
	    "    lang = en\t; comment after a tab\n"
	    "\n   \n");
	assert_string_equal(c->hosts[0].root, "/srv/a;b");
	assert_string_equal(c->hosts[0].lang, "en");
	free(c);
	PARSE_BAD(HOST_A "gopher = 70 # not a comment\n", 3, "gopher");
	PARSE_BAD(HOST_A "lang = en # no\n", 3, "lang");
}

static void
test_indented_not_continuation(void **state)
{
	struct config	*c;

	(void)state;
	c = PARSE_OK("[host a.example]\n  root = /srv/a\n  lang = en\n"
	    "  [host b.example]\n    root = /srv/b\n");
	assert_int_equal(c->nhosts, 2);
	assert_string_equal(c->hosts[0].root, "/srv/a");
	assert_string_equal(c->hosts[0].lang, "en");
	assert_string_equal(c->hosts[1].root, "/srv/b");
	free(c);
}

static void
test_colon_separator_and_crlf(void **state)
{
	struct config	*c;

	(void)state;
	c = PARSE_OK("\xef\xbb\xbf[host a.example]\r\nroot: /srv/a\r\n"
	    "[path a.example /x/]\r\nredirect = gemini://a.example/y;z\r\n");
	assert_string_equal(c->hosts[0].root, "/srv/a");
	assert_string_equal(c->hosts[0].paths[0].target,
	    "gemini://a.example/y;z");
	free(c);
}

static void
test_control_characters(void **state)
{
	(void)state;
	PARSE_BAD(HOST_A "lang = en\x1b[0m\n", 3, "control character");
	PARSE_BAD(HOST_A "\x7f\n", 3, "control character");
	PARSE_BAD(HOST_A "x = a\rb\n", 3, "control character");
}

static void
test_line_too_long(void **state)
{
	char	text[1024];
	size_t	o;

	(void)state;
	/* libinih's line buffer is 200 bytes in Debian's build. */
	o = (size_t)snprintf(text, sizeof(text), HOST_A "; ");
	memset(text + o, 'x', 150);
	o += 150;
	o += (size_t)snprintf(text + o, sizeof(text) - o, "\nlang = en\n");
	free(PARSE_OK(text));
	o = (size_t)snprintf(text, sizeof(text), HOST_A "; ");
	memset(text + o, 'x', 300);
	o += 300;
	/* Were the line split, its tail would parse as a key on line 3. */
	snprintf(text + o, sizeof(text) - o, " root = /etc\n");
	PARSE_BAD(text, 3, "line too long");
}

static void
test_error_buffer(void **state)
{
	struct config	*c = conf_new();
	char		 err[12];

	(void)state;
	memset(err, 'Z', sizeof(err));
	assert_int_equal(config_parse("t.conf", "[bogus]\n", c, err, 8), -1);
	assert_string_equal(err, "t.conf:");
	assert_int_equal(err[8], 'Z');
	assert_int_equal(config_parse("t.conf", "[bogus]\n", c, NULL, 0), -1);
	free(c);
}

static void
test_load_file(void **state)
{
	struct config	*c = conf_new();
	char		*dir, path[4096], err[512];

	(void)state;
	dir = unit_mkdtemp();
	unit_write_str(dir, "tulpar.conf", example);
	unit_join(path, sizeof(path), dir, "tulpar.conf");
	err[0] = 'x';
	assert_int_equal(config_load(path, c, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_string_equal(c->hosts[0].name, "example.org");
	assert_string_equal(c->hosts[0].paths[0].target, "/new/");
	/* Errors name the file as given. */
	unit_write_str(dir, "bad.conf", "[server]\n\nworkers = 99\n" HOST_A);
	unit_join(path, sizeof(path), dir, "bad.conf");
	assert_int_equal(config_load(path, c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bad.conf:3: invalid workers"));
	assert_int_equal(strncmp(err, dir, strlen(dir)), 0);
	free(c);
}

static void
test_load_missing(void **state)
{
	struct config	*c = conf_new();
	char		 err[512];

	(void)state;
	assert_int_equal(config_load("/nonexistent/tulpar.conf", c, err,
	    sizeof(err)), -1);
	assert_string_equal(err,
	    "/nonexistent/tulpar.conf: No such file or directory");
	assert_int_equal(config_load("tests", c, err, sizeof(err)), -1);
	assert_string_equal(err, "tests: Is a directory");
	free(c);
}

static void
test_load_nul(void **state)
{
	static const char text[] = "[host a.example]\nroot = /r\nlang = en\0x\n";
	struct config	*c = conf_new();
	char		*dir, path[4096], err[512];

	(void)state;
	dir = unit_mkdtemp();
	unit_write_file(dir, "nul.conf", text, sizeof(text) - 1);
	unit_join(path, sizeof(path), dir, "nul.conf");
	assert_int_equal(config_load(path, c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "nul.conf:3: NUL byte"));
	free(c);
}

/* The shipped example must stay valid: two hosts, two Gopher ports. */
static void
test_example_file(void **state)
{
	struct config		*c = conf_new();
	struct host_config	*a, *b;
	char			 err[512];
	int			 i, gone = 0, redirect = 0;

	(void)state;
	if (config_load(EXAMPLE_FILE, c, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(c->nhosts, 2);
	a = &c->hosts[0];
	b = &c->hosts[1];
	assert_string_equal(a->name, "example.org");
	assert_string_equal(b->name, "example.net");
	assert_string_not_equal(a->root, b->root);
	assert_string_equal(a->certdir, c->certdir);
	assert_string_equal(b->certdir, c->certdir);
	assert_int_equal(a->gopher.port, 70);
	assert_int_equal(b->gopher.port, 7070);
	for (i = 0; i < a->npaths; i++) {
		gone += a->paths[i].action == PATH_GONE;
		redirect += a->paths[i].action == PATH_REDIRECT ||
		    a->paths[i].action == PATH_REDIRECT_PERM;
	}
	for (i = 0; i < b->npaths; i++) {
		gone += b->paths[i].action == PATH_GONE;
		redirect += b->paths[i].action == PATH_REDIRECT ||
		    b->paths[i].action == PATH_REDIRECT_PERM;
	}
	assert_true(gone >= 1);
	assert_true(redirect >= 1);
	free(c);
}

/* cgi = yes, fastcgi, cgi_timeout and cgi_max: values and defaults. */
static void
test_programs(void **state)
{
	struct config		*c;
	const struct path_rule	*r;
	struct sockaddr_in	*in;

	(void)state;
	c = PARSE_OK(HOST_A "[path a.example /cgi/]\ncgi = yes\ncgi_timeout = 5\n"
	    "cgi_max = 3\n[path a.example /app]\nfastcgi = unix:/run/app.sock\n"
	    "[path a.example /tcp/]\nfastcgi = 127.0.0.1:9000\n"
	    "[path a.example /v6/]\nfastcgi = [::1]:9001\n"
	    "[path a.example /lh/]\nfastcgi = localhost:9002\n"
	    "[path a.example /cgi/off/]\ncgi = no\n");
	assert_int_equal(c->cgi_timeout, 10);
	assert_int_equal(c->cgi_max, 16);
	r = &c->hosts[0].paths[0];
	assert_int_equal(r->cgi, 1);
	assert_int_equal(r->cgi_timeout, 5);
	assert_int_equal(r->cgi_max, 3);
	assert_string_equal(r->fastcgi, "");
	r = &c->hosts[0].paths[1];
	assert_int_equal(r->cgi, -1);
	assert_string_equal(r->fastcgi, "unix:/run/app.sock");
	assert_int_equal(r->fcgi_addr.ss_family, AF_UNIX);
	r = &c->hosts[0].paths[2];
	in = (struct sockaddr_in *)&c->hosts[0].paths[2].fcgi_addr;
	assert_int_equal(in->sin_family, AF_INET);
	assert_int_equal(ntohs(in->sin_port), 9000);
	assert_int_equal(c->hosts[0].paths[3].fcgi_addr.ss_family, AF_INET6);
	assert_int_equal(c->hosts[0].paths[4].fcgi_addr.ss_family, AF_INET);
	assert_int_equal(c->hosts[0].paths[5].cgi, 0);
	/* The most specific rule decides; cgi = no turns a subtree off. */
	r = c->hosts[0].paths;
	assert_ptr_equal(path_rule_program(r, 6, "/cgi/x"), &r[0]);
	assert_null(path_rule_program(r, 6, "/cgi/off/x"));
	assert_ptr_equal(path_rule_program(r, 6, "/app/x"), &r[1]);
	assert_null(path_rule_program(r, 6, "/other"));
	free(c);
	c = PARSE_OK("[server]\ncgi_timeout = 60\ncgi_max = 1\n" HOST_A);
	assert_int_equal(c->cgi_timeout, 60);
	assert_int_equal(c->cgi_max, 1);
	free(c);
}

static void
test_programs_bad(void **state)
{
	(void)state;
	PARSE_BAD(HOST_A "[path a.example /c/]\ncgi = maybe\n", 4, "cgi");
	PARSE_BAD(HOST_A "[path a.example /c/]\ncgi = yes\nfastcgi = unix:/s\n",
	    5, "only one of cgi = yes and fastcgi");
	PARSE_BAD(HOST_A "[path a.example /c/]\nfastcgi = unix:/s\ncgi = yes\n",
	    5, "only one of cgi = yes and fastcgi");
	PARSE_BAD(HOST_A "[path a.example /c/]\nfastcgi = unix:rel\n", 4,
	    "invalid fastcgi address");
	PARSE_BAD(HOST_A "[path a.example /c/]\nfastcgi = 127.0.0.1\n", 4,
	    "invalid fastcgi address");
	PARSE_BAD(HOST_A "[path a.example /c/]\nfastcgi = 127.0.0.1:0\n", 4,
	    "invalid fastcgi address");
	PARSE_BAD(HOST_A "[path a.example /c/]\nfastcgi = 127.0.0.1:70000\n", 4,
	    "invalid fastcgi address");
	PARSE_BAD(HOST_A "[path a.example /c/]\nfastcgi = example.org:9000\n", 4,
	    "invalid fastcgi address");
	PARSE_BAD(HOST_A "[path a.example /c/]\nfastcgi = unix:/"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", 4,
	    "invalid fastcgi address");
	PARSE_BAD(HOST_A "[path a.example /c/]\ncgi_timeout = 0\n", 4, "cgi_timeout");
	PARSE_BAD(HOST_A "[path a.example /c/]\ncgi_max = 2000\n", 4, "cgi_max");
	PARSE_BAD("[server]\ncgi_timeout = 3601\n" HOST_A, 2, "cgi_timeout");
	PARSE_BAD("[server]\ncgi_max = x\n" HOST_A, 2, "cgi_max");
	PARSE_BAD(HOST_A "cgi = yes\n", 3, "unknown key 'cgi'");
	PARSE_BAD(HOST_A "[path a.example /c/]\ncgi = yes\ncgi = no\n", 5,
	    "duplicate key 'cgi'");
}

/* The EXAMPLES section of the man page parses too. */
static void
test_man_page_example(void **state)
{
	struct config	*c = conf_new();
	char		*page, *start, *end, err[512];
	size_t		 len;

	(void)state;
	page = unit_slurp(MAN_PAGE, &len);
	start = strstr(page, "\n.Sh EXAMPLES\n");
	assert_non_null(start);
	start = strstr(start, ".Bd -literal -offset indent\n");
	assert_non_null(start);
	start = strchr(start, '\n') + 1;
	end = strstr(start, "\n.Ed\n");
	assert_non_null(end);
	end[1] = '\0';
	if (config_parse(MAN_PAGE, start, c, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(c->nhosts, 2);
	assert_int_equal(c->hosts[1].paths[0].action, PATH_GONE);
	free(page);
	free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_server),
		cmocka_unit_test(test_example_host_and_path),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_minimal_defaults),
		cmocka_unit_test(test_certdir_inherit),
		cmocka_unit_test(test_booleans),
		cmocka_unit_test(test_bad_boolean),
		cmocka_unit_test(test_aliases),
		cmocka_unit_test(test_alias_duplicates),
		cmocka_unit_test(test_duplicate_host),
		cmocka_unit_test(test_hostname_validation),
		cmocka_unit_test(test_hostname_normalised),
		cmocka_unit_test(test_too_many_hosts),
		cmocka_unit_test(test_mime_overrides),
		cmocka_unit_test(test_mime_bad),
		cmocka_unit_test(test_too_many_mime),
		cmocka_unit_test(test_path_canonical),
		cmocka_unit_test(test_path_prefix_bad),
		cmocka_unit_test(test_path_host),
		cmocka_unit_test(test_too_many_paths),
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_redirect_targets_bad),
		cmocka_unit_test(test_actions_exclusive),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_unknown_section),
		cmocka_unit_test(test_section_header_syntax),
		cmocka_unit_test(test_key_outside_section),
		cmocka_unit_test(test_duplicate_key),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_listen_addresses),
		cmocka_unit_test(test_gopher_off),
		cmocka_unit_test(test_gopher_clash),
		cmocka_unit_test(test_no_host),
		cmocka_unit_test(test_host_without_root),
		cmocka_unit_test(test_lang),
		cmocka_unit_test(test_log),
		cmocka_unit_test(test_user),
		cmocka_unit_test(test_chroot),
		cmocka_unit_test(test_syntax_error),
		cmocka_unit_test(test_comments_and_whitespace),
		cmocka_unit_test(test_indented_not_continuation),
		cmocka_unit_test(test_colon_separator_and_crlf),
		cmocka_unit_test(test_control_characters),
		cmocka_unit_test(test_line_too_long),
		cmocka_unit_test(test_error_buffer),
		cmocka_unit_test_teardown(test_load_file, unit_tmp_teardown),
		cmocka_unit_test(test_cache_size),
		cmocka_unit_test(test_load_missing),
		cmocka_unit_test_teardown(test_load_nul, unit_tmp_teardown),
		cmocka_unit_test(test_example_file),
		cmocka_unit_test(test_man_page_example),
		cmocka_unit_test(test_programs),
		cmocka_unit_test(test_programs_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
