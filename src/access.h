/*
 * Certificate areas: which client certificate may read, or upload to, a
 * path. Identities, not trust: a certificate is named by the SHA-256 of
 * its DER, and self-signed ones are the norm. Pure but for loading the
 * allow_certificates_file lists.
 */
#ifndef TULPAR_ACCESS_H
#define TULPAR_ACCESS_H

#include <stddef.h>
#include <time.h>

#include "config.h"
#include "peer.h"

enum access_verdict {
	ACCESS_OK,
	ACCESS_NEED_CERT,	/* 60: no certificate */
	ACCESS_NOT_AUTHORISED,	/* 61: not listed (or a wrong Titan token) */
	ACCESS_NOT_VALID,	/* 62: outside its validity dates */
};

/*
 * fingerprint = ["SHA256:"] 64HEXDIG, case-insensitive; out gets it in
 * lower case (65 bytes). 0, or -1 with errstr.
 */
int	access_fp_parse(const char *, size_t, char *, const char **);

/* Reading a path in the area rule (from path_rule_area) with peer (NULL: none). */
enum access_verdict access_check(const struct path_rule *, const struct peer *,
	    time_t);
/* Uploading under the Titan rule, with the request's token (NULL: none). */
enum access_verdict access_titan(const struct path_rule *, const struct peer *,
	    const char *, time_t);

/*
 * Reads every [path]'s allow_certificates_file (at start-up and on each
 * SIGHUP's reload); -1 with "FILE:LINE: problem" in err.
 */
int	access_load_files(struct config *, char *, size_t);
void	access_free_files(struct config *);

#endif
