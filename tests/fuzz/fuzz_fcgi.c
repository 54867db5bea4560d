/*
 * fcgi_parse on a FastCGI responder's reply, fed in pieces whose sizes
 * the first input byte chooses.
 *
 * Properties:
 * - every call uses at most what it is given, and uses something unless
 *   it is given nothing; -1 comes with an errstr and ends the stream;
 * - STDOUT and STDERR data lie inside the piece and are exactly the bytes
 *   the records carry: the same stream fed whole and fed one byte at a
 *   time gives the same STDOUT bytes, the same END_REQUESTs and the same
 *   error (or none);
 * - an END_REQUEST is reported only after its 8-byte body.
 */
#include <string.h>

#include "fcgi.h"
#include "fuzz.h"

struct outcome {
	unsigned char	 out[70000];
	size_t		 outlen;
	int		 ends;
	int		 failed;
	size_t		 used;
};

static void
run(const uint8_t *in, size_t n, size_t step, struct outcome *o)
{
	struct fcgi_parser	p;
	struct fcgi_event	ev;
	const char		*e;
	size_t			 off = 0, chunk;
	ssize_t			 used;

	memset(o, 0, sizeof *o);
	fcgi_parser_init(&p);
	while (off < n) {
		chunk = n - off < step ? n - off : step;
		e = NULL;
		used = fcgi_parse(&p, in + off, chunk, &ev, &e);
		if (used == -1) {
			FUZZ_ASSERT(e != NULL && *e != '\0', "no errstr");
			o->failed = 1;
			break;
		}
		FUZZ_ASSERT(used > 0 && (size_t)used <= chunk, "used %zd of %zu",
		    used, chunk);
		if (ev.type == FCGI_STDOUT || ev.type == FCGI_STDERR) {
			FUZZ_ASSERT(ev.data >= in + off && ev.data + ev.len <=
			    in + off + used, "data outside the piece");
			if (ev.type == FCGI_STDOUT && o->outlen + ev.len <=
			    sizeof o->out) {
				memcpy(o->out + o->outlen, ev.data, ev.len);
				o->outlen += ev.len;
			}
		} else if (ev.type == FCGI_END_REQUEST)
			o->ends++;
		else
			FUZZ_ASSERT(ev.type == 0, "event type %d", ev.type);
		off += used;
	}
	o->used = off;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct outcome	a, b, c;
	size_t			step;

	if (size < 1)
		return 0;
	step = data[0] % 32 + 1;
	data++;
	size--;
	run(data, size, size ? size : 1, &a);
	run(data, size, 1, &b);
	run(data, size, step, &c);
	FUZZ_ASSERT(a.failed == b.failed && b.failed == c.failed,
	    "error depends on the pieces");
	FUZZ_ASSERT(a.ends == b.ends && b.ends == c.ends, "END_REQUESTs differ");
	FUZZ_ASSERT(a.outlen == b.outlen && b.outlen == c.outlen &&
	    memcmp(a.out, b.out, a.outlen) == 0 &&
	    memcmp(b.out, c.out, b.outlen) == 0, "STDOUT differs");
	return 0;
}
