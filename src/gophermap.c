/*
 * Gemtext to a Gopher menu (RFC 1436): every line four TAB-separated
 * fields and CRLF, text wrapped at GOPHER_WIDTH characters as info lines,
 * links as items, ".\r\n" at the end. Pure: runs at load time.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "compat.h"
#include "gemtext.h"
#include "gophermap.h"
#include "mime.h"
#include "path.h"
#include "url.h"

#define INFO_TAIL	"\t\tnull.host\t1\r\n"

/* Adds s as one field: TAB, CR, LF and other control bytes become spaces. */
static void
add_field(struct buf *b, const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		unsigned char c = s[i];

		buf_addc(b, c < 0x20 || c == 0x7f ? ' ' : (char)c);
	}
}

void
gophermap_info(struct buf *b, const char *s, size_t len)
{
	buf_addc(b, 'i');
	add_field(b, s, len);
	buf_adds(b, INFO_TAIL);
}

void
gophermap_error(struct buf *b, const char *msg)
{
	buf_addc(b, '3');
	add_field(b, msg, strlen(msg));
	buf_adds(b, "\t\terror.host\t1\r\n.\r\n");
}

static void
add_item(struct buf *b, char type, const char *display, size_t dlen,
    const char *selector, const char *host, int port)
{
	char	num[16];

	buf_addc(b, type);
	add_field(b, display, dlen);
	buf_addc(b, '\t');
	add_field(b, selector, strlen(selector));
	buf_addc(b, '\t');
	add_field(b, host, strlen(host));
	snprintf(num, sizeof num, "\t%d\r\n", port);
	buf_adds(b, num);
}

/* Characters in a UTF-8 string: bytes that do not continue a sequence. */
static size_t
utf8_width(const char *s, size_t len)
{
	size_t	i, n = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

/* Byte length of the first n characters of s. */
static size_t
utf8_prefix(const char *s, size_t len, size_t n)
{
	size_t	i = 0;

	while (i < len && n > 0) {
		i++;
		while (i < len && ((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
		n--;
	}
	return i;
}

struct wrap {
	struct buf	*out;
	const char	*prefix;	/* before the next line */
	const char	*rest;		/* before every line after the first */
	size_t		 avail;		/* characters after the prefix */
	struct buf	 line;		/* bytes of the line so far */
	size_t		 col;		/* characters in line */
	size_t		 widest;
};

static void
wrap_flush(struct wrap *w)
{
	struct buf	b;

	buf_init(&b);
	buf_adds(&b, w->prefix);
	buf_add(&b, w->line.data, w->line.len);
	gophermap_info(w->out, b.data ? b.data : "", b.len);
	buf_free(&b);
	w->prefix = w->rest;
	if (w->col > w->widest)
		w->widest = w->col;
	w->line.len = 0;
	w->col = 0;
}

static void
wrap_word(struct wrap *w, const char *s, size_t len)
{
	size_t	 n = utf8_width(s, len);

	if (w->col > 0 && w->col + 1 + n > w->avail)
		wrap_flush(w);
	while (n > w->avail) {		/* longer than a line: hard break */
		size_t b = utf8_prefix(s, len, w->avail - w->col);

		buf_add(&w->line, s, b);
		w->col = w->avail;
		wrap_flush(w);
		s += b;
		len -= b;
		n = utf8_width(s, len);
	}
	if (n == 0)
		return;
	if (w->col > 0) {
		buf_addc(&w->line, ' ');
		w->col++;
	}
	buf_add(&w->line, s, len);
	w->col += n;
}

/*
 * Word-wraps text as info lines, prefix before the first and rest before
 * the others (the same width: "* " and a hanging "  " for a list item, "> "
 * twice for a quote); returns the widest line in characters.
 */
static size_t
wrap_text(struct buf *out, const char *prefix, const char *rest,
    const char *s, size_t len)
{
	struct wrap	 w;
	const char	*end = s + len;

	memset(&w, 0, sizeof w);
	w.out = out;
	w.prefix = prefix;
	w.rest = rest;
	w.avail = GOPHER_WIDTH - strlen(prefix);
	buf_init(&w.line);
	while (s < end) {
		const char *word;

		while (s < end && (*s == ' ' || *s == '\t'))
			s++;
		word = s;
		while (s < end && *s != ' ' && *s != '\t')
			s++;
		if (s > word)
			wrap_word(&w, word, s - word);
	}
	if (w.line.len > 0 || w.widest == 0)
		wrap_flush(&w);
	buf_free(&w.line);
	return w.widest;
}

static void
render_heading(struct buf *out, const struct gmi_line *l, char under)
{
	char	line[GOPHER_WIDTH + 1];
	size_t	width;

	width = wrap_text(out, "", "", l->text, l->textlen);
	if (width > GOPHER_WIDTH)
		width = GOPHER_WIDTH;
	memset(line, under, width);
	gophermap_info(out, line, width);
}

/* Preformatted: verbatim, tabs expanded to 8-column stops. */
static void
render_pre(struct buf *out, const char *s, size_t len)
{
	struct buf	line;
	size_t		i, col = 0;

	buf_init(&line);
	for (i = 0; i < len; i++) {
		if (s[i] == '\t') {
			do {
				buf_addc(&line, ' ');
			} while (++col % 8 != 0);
			continue;
		}
		buf_addc(&line, s[i]);
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			col++;
	}
	gophermap_info(out, line.data ? line.data : "", line.len);
	buf_free(&line);
}

/* gopher://host[:port]/[type[selector]] per RFC 4266 */
static int
render_gopher_url(struct buf *out, const char *url, size_t len,
    const char *label, size_t llen)
{
	char		 u[URL_MAX + 1], host[256], sel[URL_MAX + 1];
	const char	*h, *p, *colon, *errstr, *tab;
	int		 port = 70;
	char		 type = '1';

	if (len >= sizeof u || len < 9 || strncasecmp(url, "gopher://", 9) != 0)
		return -1;
	memcpy(u, url, len);
	u[len] = '\0';
	h = u + 9;
	p = strchr(h, '/');
	if (p == NULL)
		p = h + strlen(h);
	colon = h[0] == '[' ? strstr(h, "]:") : strchr(h, ':');
	if (colon != NULL && colon < p) {
		if (h[0] == '[')
			colon++;
		port = 0;
		for (const char *d = colon + 1; d < p; d++) {
			if (!isdigit((unsigned char)*d) || port > 65535)
				return -1;
			port = port * 10 + (*d - '0');
		}
		if (port == 0 || port > 65535)
			return -1;
	} else
		colon = p;
	if (colon == h || (size_t)(colon - h) >= sizeof host)
		return -1;
	memcpy(host, h, colon - h);
	host[colon - h] = '\0';
	sel[0] = '\0';
	if (*p == '/' && p[1] != '\0') {
		type = p[1];
		if (url_decode(p + 2, strlen(p + 2), sel, sizeof sel, &errstr) == -1)
			return -1;
		if ((tab = strchr(sel, '\t')) != NULL)
			sel[tab - sel] = '\0';
		if (strpbrk(sel, "\r\n") != NULL)
			return -1;
	}
	/* Not an item to follow ('i', '3', control bytes): the label as text. */
	if ((unsigned char)type < 0x21 || type == 0x7f || type == 'i' || type == '3')
		return -1;
	add_item(out, type, label, llen, sel, host, port);
	return 0;
}

/* The path part of a local reference, decoded and resolved against dir. */
static int
local_path(const struct gopher_ctx *ctx, const char *ref, size_t len,
    char *out, size_t outsz)
{
	char		 dec[URL_MAX + 1];
	const char	*errstr;
	size_t		 n;

	for (n = 0; n < len && ref[n] != '?' && ref[n] != '#'; n++)
		;
	if (url_decode(ref, n, dec, sizeof dec, &errstr) == -1 ||
	    strpbrk(dec, "\t\r\n") != NULL)
		return -1;
	return path_resolve(ctx->dir, dec, out, outsz, &errstr);
}

static int
render_local(struct buf *out, const struct gopher_ctx *ctx, const char *ref,
    size_t len, const char *label, size_t llen)
{
	char	path[PATH_MAX_LEN + 2], sel[PATH_MAX_LEN + 2];
	char	type;
	int	r = -1;

	if (local_path(ctx, ref, len, path, sizeof path) == -1)
		return -1;
	if (ctx->classify != NULL &&
	    (r = ctx->classify(ctx->arg, path, &type, sel, sizeof sel)) == -2)
		return -2;	/* not for Gopher: the link is left out */
	if (r == -1) {
		size_t n = strlen(path);

		type = n > 0 && path[n - 1] == '/' ? '1' : mime_gopher_type(path);
		if (strlcpy(sel, path, sizeof sel) >= sizeof sel)
			return -1;
	}
	add_item(out, type, label, llen, sel, ctx->host, ctx->port);
	return 0;
}

/* Length of a URL's scheme and colon ("https:" → 6), 0 if it has none. */
static size_t
scheme_len(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || !isalpha((unsigned char)s[0]))
		return 0;
	for (i = 1; i < len; i++) {
		if (s[i] == ':')
			return i + 1;
		if (!isalnum((unsigned char)s[i]) && s[i] != '+' &&
		    s[i] != '-' && s[i] != '.')
			return 0;
	}
	return 0;
}

/* A gemini:// (or scheme-relative) URL naming our host: its path, else NULL. */
static const char *
own_gemini_path(const struct gopher_ctx *ctx, const char *u, size_t len,
    size_t slen, size_t *plen)
{
	const char	*h, *end = u + len, *p;
	char		 host[256];

	if (ctx->gemini_host == NULL)
		return NULL;
	if (slen != 0 && (slen != 7 || strncasecmp(u, "gemini:", 7) != 0))
		return NULL;
	if (end - (u + slen) < 2 || u[slen] != '/' || u[slen + 1] != '/')
		return NULL;
	h = u + slen + 2;
	for (p = h; p < end && *p != '/' && *p != ':' && *p != '?'; p++)
		;
	if ((size_t)(p - h) >= sizeof host)
		return NULL;
	memcpy(host, h, p - h);
	host[p - h] = '\0';
	if (!url_host_equal(host, ctx->gemini_host))
		return NULL;
	while (p < end && *p != '/' && *p != '?')
		p++;
	*plen = end - p;
	return *plen == 0 ? "/" : p;
}

static void
render_link(struct buf *out, const struct gopher_ctx *ctx,
    const struct gmi_line *l)
{
	const char	*label = l->textlen ? l->text : l->url, *p;
	size_t		 llen = l->textlen ? l->textlen : l->urllen;
	size_t		 slen = scheme_len(l->url, l->urllen), plen;
	char		 sel[URL_MAX + 8];
	int		 r;

	if (l->urllen == 0) {
		wrap_text(out, "", "", label, llen);
		return;
	}
	if ((p = own_gemini_path(ctx, l->url, l->urllen, slen, &plen)) != NULL)
		r = render_local(out, ctx, p, plen, label, llen);
	else if (slen == 7 && strncasecmp(l->url, "gopher:", 7) == 0)
		r = render_gopher_url(out, l->url, l->urllen, label, llen);
	else if (slen > 0 || (l->urllen >= 2 && l->url[0] == '/' && l->url[1] == '/')) {
		r = -1;
		if (l->urllen + 4 < sizeof sel) {
			memcpy(sel, "URL:", 4);
			memcpy(sel + 4, l->url, l->urllen);
			sel[l->urllen + 4] = '\0';
			add_item(out, 'h', label, llen, sel, ctx->host, ctx->port);
			r = 0;
		}
	} else
		r = render_local(out, ctx, l->url, l->urllen, label, llen);
	if (r == -1)
		wrap_text(out, "", "", label, llen);
	/* -2: nothing at all */
}

void
gophermap_render(const char *s, size_t len, const struct gopher_ctx *ctx,
    struct buf *out)
{
	struct gmi_parser	gp;
	struct gmi_line		l;

	gemtext_init(&gp, s, len);
	while (gemtext_next(&gp, &l)) {
		switch (l.type) {
		case GMI_LINK:
			render_link(out, ctx, &l);
			break;
		case GMI_HEADING1:
			render_heading(out, &l, '=');
			break;
		case GMI_HEADING2:
		case GMI_HEADING3:
			render_heading(out, &l, '-');
			break;
		case GMI_LIST:
			wrap_text(out, "* ", "  ", l.text, l.textlen);
			break;
		case GMI_QUOTE:
			wrap_text(out, "> ", "> ", l.text, l.textlen);
			break;
		case GMI_PRE:
			render_pre(out, l.text, l.textlen);
			break;
		case GMI_PRE_START:
		case GMI_PRE_END:
			break;
		case GMI_TEXT:
			wrap_text(out, "", "", l.text, l.textlen);
			break;
		}
	}
	buf_adds(out, ".\r\n");
}

static void
html_escape(struct buf *b, const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		switch (s[i]) {
		case '&':
			buf_adds(b, "&amp;");
			break;
		case '<':
			buf_adds(b, "&lt;");
			break;
		case '>':
			buf_adds(b, "&gt;");
			break;
		case '"':
			buf_adds(b, "&quot;");
			break;
		case '\'':
			buf_adds(b, "&#39;");
			break;
		default:
			buf_addc(b, s[i]);
		}
	}
}

/* Schemes a browser would run rather than follow. */
static int
url_scripting(const char *s, size_t len)
{
	static const char	*bad[] = { "javascript:", "data:", "vbscript:" };
	size_t			 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		size_t n = strlen(bad[i]);

		if (len >= n && strncasecmp(s, bad[i], n) == 0)
			return 1;
	}
	return 0;
}

int
gophermap_url_page(const char *url, size_t len, struct buf *b,
    const char **errstr)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if ((unsigned char)url[i] < 0x20 || url[i] == 0x7f) {
			*errstr = "control byte in URL";
			return -1;
		}
	if (scheme_len(url, len) == 0) {
		*errstr = "not an absolute URL";
		return -1;
	}
	if (url_scripting(url, len)) {
		*errstr = "refused URL scheme";
		return -1;
	}
	buf_adds(b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	    "<title>Link</title></head>\n<body><p>This Gopher link leads to "
	    "another protocol:</p>\n<p><a href=\"");
	html_escape(b, url, len);
	buf_adds(b, "\">");
	html_escape(b, url, len);
	buf_adds(b, "</a></p></body></html>\n");
	return 0;
}
