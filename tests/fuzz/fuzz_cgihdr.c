/*
 * cgihdr_parse on a program's first output bytes.
 *
 * Properties:
 * - the result is -1 with an errstr, 0 or 1;
 * - 1: the status is 10..69, the line is at most 1029 bytes and ends at
 *   its first LF, the meta lies inside it, is at most 1024 bytes, holds no
 *   control byte, and the line is "NN meta" then CRLF or LF; the first
 *   h.len bytes alone parse the same, and every shorter prefix does not
 *   parse as a whole line (0 or -1);
 * - 0: fewer than 1029 bytes and no LF; every prefix gives 0 too;
 * - -1 is final: the same bytes with more appended are still refused.
 */
#include <string.h>

#include "cgihdr.h"
#include "fuzz.h"

static int
parse_copy(const uint8_t *data, size_t n, struct cgihdr *h, const char **errstr)
{
	char	*copy = malloc(n ? n : 1);
	int	 r;

	if (copy == NULL)
		abort();
	if (n > 0)
		memcpy(copy, data, n);
	*errstr = NULL;
	r = cgihdr_parse(copy, n, h, errstr);
	if (r == 1)
		h->meta = (const char *)data + (h->meta - copy);
	free(copy);
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cgihdr	 h, h2;
	const char	*errstr;
	uint8_t		*more;
	size_t		 i;
	int		 r, r2;

	r = parse_copy(data, size, &h, &errstr);
	FUZZ_ASSERT(r >= -1 && r <= 1, "result %d", r);
	if (r == -1) {
		FUZZ_ASSERT(errstr != NULL && *errstr != '\0', "no errstr");
		if ((more = malloc(size + 4)) == NULL)
			abort();
		memcpy(more, data, size);
		memcpy(more + size, "0 x\n", 4);
		r2 = parse_copy(more, size + 4, &h2, &errstr);
		free(more);
		FUZZ_ASSERT(r2 == -1, "refused input accepted with more bytes");
		return 0;
	}
	if (r == 0) {
		FUZZ_ASSERT(size < CGIHDR_MAX, "0 on %zu bytes", size);
		FUZZ_ASSERT(memchr(data, '\n', size) == NULL, "0 with a LF");
		for (i = 0; i < size && i < 64; i++)
			FUZZ_ASSERT(parse_copy(data, i, &h2, &errstr) == 0,
			    "prefix %zu not 0", i);
		return 0;
	}
	FUZZ_ASSERT(h.status >= 10 && h.status <= 69, "status %d", h.status);
	FUZZ_ASSERT(h.len <= CGIHDR_MAX && h.len <= size, "len %zu", h.len);
	FUZZ_ASSERT(data[h.len - 1] == '\n', "line does not end at LF");
	FUZZ_ASSERT(memchr(data, '\n', h.len - 1) == NULL, "not the first LF");
	FUZZ_ASSERT((const uint8_t *)h.meta == data + 3, "meta not after 'NN '");
	FUZZ_ASSERT(h.metalen <= CGIHDR_META_MAX, "meta %zu", h.metalen);
	FUZZ_ASSERT(3 + h.metalen + 1 == h.len ||
	    (3 + h.metalen + 2 == h.len && data[h.len - 2] == '\r'),
	    "meta and line end do not make the line");
	FUZZ_ASSERT(data[0] - '0' == h.status / 10 && data[1] - '0' ==
	    h.status % 10 && data[2] == ' ', "status digits");
	for (i = 0; i < h.metalen; i++)
		FUZZ_ASSERT((unsigned char)h.meta[i] >= 0x20 && h.meta[i] != 0x7f,
		    "control byte in meta");
	r2 = parse_copy(data, h.len, &h2, &errstr);
	FUZZ_ASSERT(r2 == 1 && h2.len == h.len && h2.status == h.status &&
	    h2.metalen == h.metalen, "the line alone parses differently");
	for (i = 0; i < h.len - 1 && i < 64; i++)
		FUZZ_ASSERT(parse_copy(data, i, &h2, &errstr) != 1,
		    "prefix %zu parses", i);
	return 0;
}
