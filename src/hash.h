/* One string hash for the tables of paths and words (FNV-1a, 32 bits). */
#ifndef TULPAR_HASH_H
#define TULPAR_HASH_H

#include <stdint.h>

static inline uint32_t
hash_str(const char *s)
{
	uint32_t	h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

#endif
