/*
 * titan_parse on a raw Titan request line, and titan_size_parse on the
 * same bytes as a string.
 *
 * Properties:
 * - an accepted line has a size from 0 to TITAN_SIZE_MAX, and parses
 *   again to the same parameters (the parser is deterministic and keeps
 *   no state);
 * - its URL is "gemini://" followed by exactly the bytes between
 *   "titan://" and the first ';', with no '?' and no ';';
 * - the decoded mime and token hold no control byte and fit their fields;
 * - a refusal always says why.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "titan.h"

static void
check_accepted(const uint8_t *data, size_t size, const struct titan_params *tp)
{
	static struct titan_params	 again;
	const char			*errstr = NULL, *semi;
	size_t				 i, hl;

	FUZZ_ASSERT(tp->size >= 0 && tp->size <= TITAN_SIZE_MAX, "size %lld",
	    tp->size);
	FUZZ_ASSERT(strncmp(tp->url, "gemini://", 9) == 0, "url \"%s\"", tp->url);
	FUZZ_ASSERT(strchr(tp->url, ';') == NULL && strchr(tp->url, '?') == NULL,
	    "';' or '?' left in url \"%s\"", tp->url);
	semi = memchr(data, ';', size);
	FUZZ_ASSERT(semi != NULL, "accepted without ';'");
	hl = (size_t)((const uint8_t *)semi - data) - 8;
	FUZZ_ASSERT(strlen(tp->url) == 9 + hl &&
	    memcmp(tp->url + 9, data + 8, hl) == 0, "url is not the request's");
	for (i = 0; tp->mime[i] != '\0'; i++)
		FUZZ_ASSERT((unsigned char)tp->mime[i] >= 0x20 && tp->mime[i] != 0x7f,
		    "control byte in mime");
	for (i = 0; tp->token[i] != '\0'; i++)
		FUZZ_ASSERT((unsigned char)tp->token[i] >= 0x20 &&
		    tp->token[i] != 0x7f, "control byte in token");
	FUZZ_ASSERT(tp->has_token || tp->token[0] == '\0', "token without token=");
	FUZZ_ASSERT(titan_parse((const char *)data, size, &again, &errstr) == 0 &&
	    memcmp(&again, tp, sizeof again) == 0, "second parse differs");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct titan_params	 tp;
	const char			*errstr = NULL;
	long long			 n;
	char				*s;

	memset(&tp, 0, sizeof tp);
	if (titan_parse((const char *)data, size, &tp, &errstr) == 0)
		check_accepted(data, size, &tp);
	else
		FUZZ_ASSERT(errstr != NULL && errstr[0] != '\0', "no errstr");
	s = fuzz_cstr(data, size);
	errstr = NULL;
	if (titan_size_parse(s, &n, &errstr) == 0)
		FUZZ_ASSERT(n >= 0 && n <= TITAN_SIZE_MAX, "size %lld", n);
	free(s);
	return 0;
}
