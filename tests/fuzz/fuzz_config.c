/*
 * config_parse on a configuration file's text (the input up to its first
 * NUL).
 *
 * Properties: the result is 0 or -1; a failure's message is one line that
 * begins with the file's name; a success has at least one host, each with
 * a root and a name, every [path] prefix canonical (starts with "/", no
 * "//", no ".." segment), and every string field terminated.
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"

static void
check_host(const struct host_config *h)
{
	int	i;

	FUZZ_ASSERT(memchr(h->name, '\0', sizeof h->name) != NULL, "name unterminated");
	FUZZ_ASSERT(h->name[0] != '\0', "host without a name");
	FUZZ_ASSERT(memchr(h->root, '\0', sizeof h->root) != NULL, "root unterminated");
	FUZZ_ASSERT(h->root[0] != '\0', "host %s without a root", h->name);
	FUZZ_ASSERT(h->npaths >= 0 && h->npaths <= CONFIG_MAX_PATHS, "npaths %d", h->npaths);
	FUZZ_ASSERT(h->naliases >= 0 && h->naliases <= CONFIG_MAX_ALIASES,
	    "naliases %d", h->naliases);
	for (i = 0; i < h->npaths; i++) {
		const char *p = h->paths[i].prefix;

		FUZZ_ASSERT(memchr(p, '\0', sizeof h->paths[i].prefix) != NULL,
		    "prefix unterminated");
		FUZZ_ASSERT(p[0] == '/', "prefix \"%s\" not absolute", p);
		FUZZ_ASSERT(strstr(p, "//") == NULL, "prefix \"%s\" has //", p);
		FUZZ_ASSERT(strstr(p, "/../") == NULL && strcmp(p, "/..") != 0,
		    "prefix \"%s\" has ..", p);
		FUZZ_ASSERT(h->paths[i].nmime >= 0 &&
		    h->paths[i].nmime <= CONFIG_MAX_MIME, "nmime");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config	*conf;
	char			*text, err[512];
	int			 r, i;

	if (conf == NULL && (conf = calloc(1, sizeof *conf)) == NULL)
		abort();
	if ((text = malloc(size + 1)) == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	err[0] = '\0';
	r = config_parse("fuzz.conf", text, conf, err, sizeof err);
	FUZZ_ASSERT(r == 0 || r == -1, "returned %d", r);
	if (r == -1) {
		FUZZ_ASSERT(strncmp(err, "fuzz.conf", 9) == 0, "error \"%s\"", err);
		FUZZ_ASSERT(strchr(err, '\n') == NULL, "error spans lines");
	} else {
		FUZZ_ASSERT(conf->nhosts >= 1 && conf->nhosts <= CONFIG_MAX_HOSTS,
		    "nhosts %d", conf->nhosts);
		for (i = 0; i < conf->nhosts; i++)
			check_host(&conf->hosts[i]);
	}
	free(text);
	return 0;
}
