/* Gemtext line parser: pure, no I/O, no allocation. */
#ifndef TULPAR_GEMTEXT_H
#define TULPAR_GEMTEXT_H

#include <stddef.h>

enum gmi_type {
	GMI_TEXT,
	GMI_LINK,
	GMI_HEADING1,
	GMI_HEADING2,
	GMI_HEADING3,
	GMI_LIST,
	GMI_QUOTE,
	GMI_PRE_START,		/* ``` line opening a block; text is the alt text */
	GMI_PRE,		/* a line inside a block, verbatim */
	GMI_PRE_END,		/* ``` line closing a block */
};

struct gmi_line {
	enum gmi_type	 type;
	const char	*text;		/* the line's content without its marker */
	size_t		 textlen;
	const char	*url;		/* links only */
	size_t		 urllen;
};

struct gmi_parser {
	const char	*p;
	const char	*end;
	int		 in_pre;
};

void	gemtext_init(struct gmi_parser *, const char *, size_t);
/* Returns 1 with the next line in *l, 0 at the end of input. */
int	gemtext_next(struct gmi_parser *, struct gmi_line *);

#endif
