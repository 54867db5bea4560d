/*
 * hostname_normalize. Properties of every accepted name: it is in the
 * normal form (lower-case letters, digits, '.' and '-', not led by '.' or
 * '-', no empty label, at most HOSTNAME_LEN bytes), normalising it again
 * changes nothing, and its upper-case spelling and its spelling with a
 * trailing dot normalise to it too. A refusal always says why.
 */
#include <string.h>

#include "fuzz.h"
#include "hostname.h"

static void
check_normal(const char *in, const char *s)
{
	size_t	i, n = strlen(s);

	FUZZ_ASSERT(n > 0 && n <= HOSTNAME_LEN, "\"%s\" gave %zu bytes", in, n);
	FUZZ_ASSERT(s[0] != '.' && s[0] != '-', "\"%s\" gave \"%s\"", in, s);
	FUZZ_ASSERT(strstr(s, "..") == NULL && s[n - 1] != '.',
	    "\"%s\" gave an empty label: \"%s\"", in, s);
	for (i = 0; i < n; i++)
		FUZZ_ASSERT((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' &&
		    s[i] <= '9') || s[i] == '.' || s[i] == '-',
		    "\"%s\" gave byte 0x%02x", in, (unsigned char)s[i]);
}

/* Normalises a spelling of in and wants want back. */
static void
check_same(const char *in, const char *spelling, const char *want)
{
	char		 out[HOSTNAME_LEN + 1];
	const char	*errstr = NULL;

	FUZZ_ASSERT(hostname_normalize(spelling, out, sizeof out, &errstr) == 0,
	    "\"%s\" (from \"%s\") refused: %s", spelling, in,
	    errstr ? errstr : "?");
	FUZZ_ASSERT(strcmp(out, want) == 0, "\"%s\" gave \"%s\", want \"%s\"",
	    spelling, out, want);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*in = fuzz_cstr(data, size), out[HOSTNAME_LEN + 1];
	char		 other[HOSTNAME_LEN + 2];
	const char	*errstr = NULL;
	size_t		 i, n;

	if (hostname_normalize(in, out, sizeof out, &errstr) == -1) {
		FUZZ_ASSERT(errstr != NULL, "\"%s\" refused without errstr", in);
		free(in);
		return 0;
	}
	check_normal(in, out);
	check_same(in, out, out);
	n = strlen(out);
	for (i = 0; i <= n; i++)
		other[i] = out[i] >= 'a' && out[i] <= 'z' ? out[i] - 32 : out[i];
	check_same(in, other, out);
	memcpy(other, out, n);
	other[n] = '.';
	other[n + 1] = '\0';
	check_same(in, other, out);
	free(in);
	return 0;
}
