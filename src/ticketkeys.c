/*
 * Session-ticket keys shared by several tulpar instances through a file,
 * so that a ticket one instance sealed resumes on another. The file is
 * nginx's ssl_session_ticket_key format, several keys back to back: each
 * 80 bytes, a 16-byte name, a 32-byte HMAC-SHA256 secret and a 32-byte
 * AES-256-CBC key. The first key seals new tickets; every key opens the
 * tickets it sealed. Rotation is prepending a new key and dropping the
 * oldest, then SIGHUP. The parent reads the file (at start-up, for -n and
 * on reload); each worker uses the keys of its configuration.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "ticketkeys.h"

_Static_assert(sizeof(struct ticketkey) == TICKETKEY_SIZE, "80-byte keys");
_Static_assert(TICKETKEYS_MAX == 16, "the message says 16");

static const struct ticketkeys	*ticketkeys_cur;

int
ticketkeys_parse(const unsigned char *p, size_t len, struct ticketkeys *ks,
    const char **errstr)
{
	int	i, j;

	memset(ks, 0, sizeof *ks);
	if (len == 0) {
		*errstr = "is empty (want keys of 80 bytes each: openssl rand 80)";
		return -1;
	}
	if (len % TICKETKEY_SIZE != 0) {
		*errstr = "is not a whole number of 80-byte keys";
		return -1;
	}
	if (len / TICKETKEY_SIZE > TICKETKEYS_MAX) {
		*errstr = "holds more than 16 keys";
		return -1;
	}
	ks->n = (int)(len / TICKETKEY_SIZE);
	for (i = 0; i < ks->n; i++) {
		/* nginx's order: name, then the HMAC secret, then the AES key */
		memcpy(ks->k[i].name, p + i * TICKETKEY_SIZE, 16);
		memcpy(ks->k[i].hmac, p + i * TICKETKEY_SIZE + 16, 32);
		memcpy(ks->k[i].aes, p + i * TICKETKEY_SIZE + 48, 32);
		for (j = 0; j < i; j++)
			if (memcmp(ks->k[i].name, ks->k[j].name, 16) == 0) {
				OPENSSL_cleanse(ks, sizeof *ks);
				*errstr = "has two keys with one name";
				return -1;
			}
	}
	return 0;
}

int
ticketkeys_load(const char *path, struct ticketkeys *ks, char *err,
    size_t errsz)
{
	/* one key more than allowed: the parser says why, not the buffer */
	unsigned char	 buf[(TICKETKEYS_MAX + 1) * TICKETKEY_SIZE];
	struct stat	 st;
	const char	*errstr;
	size_t		 len = 0;
	ssize_t		 r;
	int		 fd, rc = -1;

	memset(ks, 0, sizeof *ks);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) == -1) {
		snprintf(err, errsz, "ticket_keys %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(err, errsz, "ticket_keys %s: %s", path, strerror(errno));
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errsz, "ticket_keys %s: not a regular file", path);
		goto done;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errsz, "ticket_keys %s: open to group or others "
		    "(mode %04o; chmod 600 it)", path, (unsigned)st.st_mode & 07777);
		goto done;
	}
	while (len < sizeof buf) {
		if ((r = read(fd, buf + len, sizeof buf - len)) == -1) {
			if (errno == EINTR)
				continue;
			snprintf(err, errsz, "ticket_keys %s: %s", path,
			    strerror(errno));
			goto done;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (ticketkeys_parse(buf, len, ks, &errstr) == -1)
		snprintf(err, errsz, "ticket_keys %s: %s", path, errstr);
	else
		rc = 0;
done:
	OPENSSL_cleanse(buf, sizeof buf);
	close(fd);
	return rc;
}

void
ticketkeys_use(const struct ticketkeys *ks)
{
	ticketkeys_cur = ks != NULL && ks->n > 0 ? ks : NULL;
}

const struct ticketkey *
ticketkeys_sealing(void)
{
	return ticketkeys_cur != NULL ? &ticketkeys_cur->k[0] : NULL;
}

const struct ticketkey *
ticketkeys_find(const unsigned char *name, int *index)
{
	int	i;

	for (i = 0; ticketkeys_cur != NULL && i < ticketkeys_cur->n; i++)
		if (CRYPTO_memcmp(ticketkeys_cur->k[i].name, name, 16) == 0) {
			*index = i;
			return &ticketkeys_cur->k[i];
		}
	return NULL;
}
