/* Host names as tulpar keys them: one spelling per name. Pure, no I/O. */
#ifndef TULPAR_HOSTNAME_H
#define TULPAR_HOSTNAME_H

#include <stddef.h>

#define HOSTNAME_LEN	253	/* longest normalised name, in bytes */

/*
 * Normalises a host name into out: ASCII lower case, one trailing dot
 * dropped, an internationalised name (UTF-8) as its IDNA A-label
 * ("xn--..."). The result is letters, digits, '.' and '-', not led by '.'
 * or '-', with no empty label. -1 with errstr saying why it is no host name.
 */
int	hostname_normalize(const char *, char *, size_t, const char **);

#endif
