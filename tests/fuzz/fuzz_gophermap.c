/*
 * The gemtext parser (gemtext_next) and the Gopher menu renderer
 * (gophermap_render) on an arbitrary page.
 *
 * Properties of a rendered menu: every line ends with CRLF and holds no
 * other CR, LF or control byte; every line but the last has exactly four
 * TAB-separated fields with a non-empty host and a port in 1..65535; the
 * menu ends with ".\r\n". An info line's display text is at most
 * GOPHER_WIDTH characters unless it comes from a preformatted line.
 *
 * To know which info lines are preformatted, each gemtext line is also
 * rendered on its own (a preformatted one inside its own ``` fences). The
 * renderer keeps no state between lines but the ``` toggle, so the pieces
 * must add up to the whole page; if that ever changes, that check goes.
 *
 * "Characters" are counted as the renderer does: bytes that do not
 * continue a UTF-8 sequence, so for valid UTF-8 they are code points.
 *
 * The page is rendered twice over a stack filled with different bytes:
 * the menus must match, so a read of uninitialised stack memory (which
 * ASan alone does not see) shows up as a difference or an ASan report.
 */
#include <string.h>

#include "fuzz.h"
#include "gemtext.h"
#include "gophermap.h"

/* A classifier like the snapshot's: directories are menus, some paths unknown. */
static int
classify_stub(void *arg, const char *path, char *type, char *sel, size_t selsz)
{
	size_t	n = strlen(path);

	(void)arg;
	if (strstr(path, "missing") != NULL || n >= selsz)
		return -1;
	*type = path[n - 1] == '/' ? '1' : '0';
	memcpy(sel, path, n + 1);
	return 0;
}

static const struct gopher_ctx ctxs[] = {
	{ "localhost", 70, "/", "localhost", NULL, NULL },
	{ "gopher.example.org", 7070, "/docs/deep/", NULL, classify_stub, NULL },
};

static size_t
chars(const char *s, size_t n)
{
	size_t	c = 0;

	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

/* One menu line without its CRLF. */
static void
check_line(const char *l, size_t n, int pre)
{
	const char	*f[4];
	size_t		 fl[4], k = 0, i;
	long		 port = 0;

	f[0] = l;
	for (i = 0; i < n; i++) {
		unsigned char c = l[i];

		if (c == '\t') {
			FUZZ_ASSERT(k < 3, "more than four fields: \"%.*s\"", (int)n, l);
			fl[k] = l + i - f[k];
			f[++k] = l + i + 1;
			continue;
		}
		FUZZ_ASSERT(c >= 0x20 && c != 0x7f, "control byte 0x%02x in a field", c);
	}
	FUZZ_ASSERT(k == 3, "%zu fields: \"%.*s\"", k + 1, (int)n, l);
	fl[3] = l + n - f[3];
	FUZZ_ASSERT(fl[0] >= 1, "no item type");
	FUZZ_ASSERT(fl[2] > 0, "empty host: \"%.*s\"", (int)n, l);
	FUZZ_ASSERT(fl[3] > 0 && fl[3] <= 5, "port \"%.*s\"", (int)fl[3], f[3]);
	for (i = 0; i < fl[3]; i++) {
		FUZZ_ASSERT(f[3][i] >= '0' && f[3][i] <= '9', "port \"%.*s\"",
		    (int)fl[3], f[3]);
		port = port * 10 + (f[3][i] - '0');
	}
	FUZZ_ASSERT(port >= 1 && port <= 65535, "port %ld", port);
	if (l[0] == 'i' && !pre)
		FUZZ_ASSERT(chars(f[0] + 1, fl[0] - 1) <= GOPHER_WIDTH,
		    "info line of %zu characters: \"%.*s\"",
		    chars(f[0] + 1, fl[0] - 1), (int)fl[0] - 1, f[0] + 1);
}

/* A whole menu; returns its number of lines before the final ".". */
static size_t
check_menu(const struct buf *b, int pre)
{
	const char	*p = b->data, *end = b->data + b->len, *nl;
	size_t		 lines = 0;

	FUZZ_ASSERT(!b->failed, "buffer failed");
	FUZZ_ASSERT(b->len >= 3 && memcmp(end - 3, ".\r\n", 3) == 0,
	    "menu does not end with .CRLF");
	for (; p < end - 3; p = nl + 1) {
		nl = memchr(p, '\n', end - p);
		FUZZ_ASSERT(nl != NULL && nl > p && nl[-1] == '\r',
		    "line %zu does not end with CRLF", lines + 1);
		FUZZ_ASSERT(memchr(p, '\r', nl - 1 - p) == NULL, "bare CR in line");
		check_line(p, nl - 1 - p, pre);
		lines++;
	}
	FUZZ_ASSERT(p == end - 3, "menu overruns its terminator");
	return lines;
}

/* Fills the stack below the caller's frame, where the renderer's will go. */
static void __attribute__((noinline))
stack_fill(unsigned char c)
{
	volatile unsigned char	junk[32 * 1024];

	for (size_t i = 0; i < sizeof junk; i++)
		junk[i] = c;
}

static void
render(const char *s, size_t n, const struct gopher_ctx *ctx, struct buf *b)
{
	buf_init(b);
	gophermap_render(s, n, ctx, b);
	FUZZ_ASSERT(!b->failed && b->data != NULL, "render failed");
}

/* Renders over two different stack fillings; the menus must be the same. */
static void
render_twice(const char *s, size_t n, const struct gopher_ctx *ctx,
    struct buf *b)
{
	struct buf	again;

	stack_fill(0xa5);
	render(s, n, ctx, b);
	stack_fill('/');
	render(s, n, ctx, &again);
	FUZZ_ASSERT(again.len == b->len && memcmp(again.data, b->data, b->len) == 0,
	    "the menu depends on uninitialised stack memory");
	buf_free(&again);
}

/* Renders one gemtext line alone; appends its menu lines to whole. */
static void
render_piece(const char *raw, size_t n, int pre, const struct gopher_ctx *ctx,
    struct buf *whole)
{
	struct buf	piece, b;
	size_t		lines;

	buf_init(&piece);
	if (pre)
		buf_adds(&piece, "```\n");
	buf_add(&piece, raw, n);
	if (pre)
		buf_adds(&piece, n > 0 && raw[n - 1] == '\n' ? "```\n" : "\n```\n");
	render(piece.data, piece.len, ctx, &b);
	lines = check_menu(&b, pre);
	if (pre)
		FUZZ_ASSERT(lines == 1 && b.data[0] == 'i',
		    "preformatted line gave %zu lines", lines);
	buf_add(whole, b.data, b.len - 3);
	buf_free(&b);
	buf_free(&piece);
}

/* gemtext_next's own invariants, and the piecewise render. */
static void
check_page(const char *s, size_t n, const struct gopher_ctx *ctx)
{
	struct gmi_parser	gp;
	struct gmi_line		l;
	struct buf		full, pieces;
	size_t			lines = 0, want = 0;
	int			in_pre = 0;

	render_twice(s, n, ctx, &full);
	check_menu(&full, 1);
	buf_init(&pieces);
	gemtext_init(&gp, s, n);
	for (;;) {
		const char *start = gp.p;

		if (!gemtext_next(&gp, &l))
			break;
		lines++;
		FUZZ_ASSERT(gp.p > start && gp.p <= s + n, "parser did not advance");
		FUZZ_ASSERT(l.text >= start && l.text + l.textlen <= gp.p,
		    "text outside its line");
		FUZZ_ASSERT(memchr(l.text, '\n', l.textlen) == NULL, "LF in text");
		if (l.type == GMI_LINK)
			FUZZ_ASSERT(l.url >= start && l.url + l.urllen <= gp.p &&
			    memchr(l.url, ' ', l.urllen) == NULL &&
			    memchr(l.url, '\t', l.urllen) == NULL, "bad link URL");
		if (l.type == GMI_PRE_START || l.type == GMI_PRE_END) {
			FUZZ_ASSERT(in_pre == (l.type == GMI_PRE_END), "``` out of turn");
			in_pre = !in_pre;
		} else
			FUZZ_ASSERT(in_pre == (l.type == GMI_PRE), "type %d inside ```: %d",
			    l.type, in_pre);
		render_piece(start, gp.p - start, l.type == GMI_PRE, ctx, &pieces);
	}
	for (size_t i = 0; i < n; i++)
		want += s[i] == '\n';
	want += n > 0 && s[n - 1] != '\n';
	FUZZ_ASSERT(lines == want, "%zu lines, want %zu", lines, want);
	FUZZ_ASSERT(pieces.len == full.len - 3 &&
	    memcmp(pieces.data ? pieces.data : "", full.data, pieces.len) == 0,
	    "lines rendered one by one differ from the page");
	buf_free(&pieces);
	buf_free(&full);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A heap copy of exactly size bytes, so reading past the end is caught. */
	char	*s = malloc(size ? size : 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	for (size_t i = 0; i < sizeof ctxs / sizeof ctxs[0]; i++)
		check_page(s, size, &ctxs[i]);
	free(s);
	return 0;
}
