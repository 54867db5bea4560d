/* A growable byte buffer for load-time rendering. */
#ifndef TULPAR_BUF_H
#define TULPAR_BUF_H

#include <stddef.h>

struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
	int	 failed;	/* an allocation failed; contents are incomplete */
};

void	buf_init(struct buf *);
void	buf_add(struct buf *, const void *, size_t);
void	buf_adds(struct buf *, const char *);
void	buf_addc(struct buf *, char);
void	buf_free(struct buf *);
/* Empties the buf for reuse, keeping its memory while that is under keep. */
void	buf_reset(struct buf *, size_t keep);
/* Hands the bytes to the caller (NUL-terminated); the buf is reset. */
char	*buf_take(struct buf *, size_t *);

#endif
