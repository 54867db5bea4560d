/* Session-ticket keys from a file, in the format of nginx's ssl_session_ticket_key. */
#ifndef TULPAR_TICKETKEYS_H
#define TULPAR_TICKETKEYS_H

#include <stddef.h>

#define TICKETKEY_SIZE	80	/* 16 name, 32 HMAC-SHA256 key, 32 AES-256 key */
#define TICKETKEYS_MAX	16

struct ticketkey {
	unsigned char	name[16];
	unsigned char	hmac[32];
	unsigned char	aes[32];
};

struct ticketkeys {
	struct ticketkey	k[TICKETKEYS_MAX];	/* k[0] seals, all open */
	int			n;
};

/* The keys in a file's bytes; 0, or -1 with errstr. */
int	 ticketkeys_parse(const unsigned char *, size_t, struct ticketkeys *,
	    const char **);
/*
 * Reads a key file, refusing one that is not a regular file, is open to
 * group or others, or is malformed; 0, or -1 with err (one line).
 */
int	 ticketkeys_load(const char *, struct ticketkeys *, char *, size_t);

/* In a worker: the keys to use; none (n 0) leaves tulpar's derived keys. */
void			 ticketkeys_use(const struct ticketkeys *);
/* The key new tickets are sealed with, or NULL when no file is in use. */
const struct ticketkey	*ticketkeys_sealing(void);
/* The key of that name and its place in the file, or NULL. */
const struct ticketkey	*ticketkeys_find(const unsigned char *, int *);

#endif
