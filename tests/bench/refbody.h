/*
 * What the two reference servers share: the fixed response, the listen
 * address, the process set-up.
 */
#ifndef REFBODY_H
#define REFBODY_H

#include <netinet/in.h>

#define REFBODY_DEFAULT	2048
#define REFBODY_MAX	(1024 * 1024)

struct refbody {
	char	*data;
	size_t	 len;
};

void	refbody_setup(struct refbody *, const char *, const char *);
void	refbody_addr(struct sockaddr_in *, const char *);

#endif
