/* Gemtext, one line at a time (the text/gemini line types). Pure. */
#include <string.h>

#include "gemtext.h"

void
gemtext_init(struct gmi_parser *gp, const char *s, size_t len)
{
	gp->p = s;
	gp->end = s + len;
	gp->in_pre = 0;
}

static void
skip_ws(const char **p, const char *end)
{
	while (*p < end && (**p == ' ' || **p == '\t'))
		(*p)++;
}

/* link-line = "=>" *WSP URL [ 1*WSP label ] */
static void
gemtext_link(struct gmi_line *l, const char *p, const char *end)
{
	const char	*u;

	p += 2;
	skip_ws(&p, end);
	u = p;
	while (p < end && *p != ' ' && *p != '\t')
		p++;
	l->url = u;
	l->urllen = p - u;
	skip_ws(&p, end);
	l->text = p;
	l->textlen = end - p;
}

static void
gemtext_marker(struct gmi_line *l, enum gmi_type t, const char *p,
    const char *end, size_t skip)
{
	p += skip;
	if (t != GMI_LIST && t != GMI_TEXT)
		skip_ws(&p, end);
	l->type = t;
	l->text = p;
	l->textlen = end - p;
}

static void
gemtext_classify(struct gmi_line *l, const char *p, const char *end)
{
	size_t	n = end - p;

	if (n >= 2 && p[0] == '=' && p[1] == '>') {
		l->type = GMI_LINK;
		gemtext_link(l, p, end);
	} else if (n >= 3 && memcmp(p, "###", 3) == 0)
		gemtext_marker(l, GMI_HEADING3, p, end, 3);
	else if (n >= 2 && memcmp(p, "##", 2) == 0)
		gemtext_marker(l, GMI_HEADING2, p, end, 2);
	else if (n >= 1 && p[0] == '#')
		gemtext_marker(l, GMI_HEADING1, p, end, 1);
	else if (n >= 2 && p[0] == '*' && p[1] == ' ')
		gemtext_marker(l, GMI_LIST, p, end, 2);
	else if (n >= 1 && p[0] == '>')
		gemtext_marker(l, GMI_QUOTE, p, end, 1);
	else
		gemtext_marker(l, GMI_TEXT, p, end, 0);
}

int
gemtext_next(struct gmi_parser *gp, struct gmi_line *l)
{
	const char	*start = gp->p, *end, *nl;

	if (gp->p >= gp->end)
		return 0;
	nl = memchr(start, '\n', gp->end - start);
	end = nl != NULL ? nl : gp->end;
	gp->p = nl != NULL ? nl + 1 : gp->end;
	if (end > start && end[-1] == '\r')
		end--;
	memset(l, 0, sizeof *l);
	if (end - start >= 3 && memcmp(start, "```", 3) == 0) {
		l->type = gp->in_pre ? GMI_PRE_END : GMI_PRE_START;
		l->text = start + 3;
		l->textlen = end - start - 3;
		gp->in_pre = !gp->in_pre;
		return 1;
	}
	if (gp->in_pre) {
		l->type = GMI_PRE;
		l->text = start;
		l->textlen = end - start;
		return 1;
	}
	gemtext_classify(l, start, end);
	return 1;
}
