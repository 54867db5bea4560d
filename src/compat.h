/* Small portability shims, kept in one place. */
#ifndef TULPAR_COMPAT_H
#define TULPAR_COMPAT_H

#include <stddef.h>
#include <string.h>	/* also defines __GLIBC__ on glibc */

#if defined(__GLIBC__) && (__GLIBC__ == 2 && __GLIBC_MINOR__ < 38)
#define TULPAR_NEED_STRLCPY 1
size_t	strlcpy(char *, const char *, size_t);
size_t	strlcat(char *, const char *, size_t);
#endif

#endif
