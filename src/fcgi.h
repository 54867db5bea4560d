/* A FastCGI 1.0 client (FCGI_RESPONDER) on the event loop, and its pure parts. */
#ifndef TULPAR_FCGI_H
#define TULPAR_FCGI_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "cgi.h"

#define FCGI_HEADER_LEN		8
#define FCGI_BEGIN_REQUEST	1
#define FCGI_ABORT_REQUEST	2
#define FCGI_END_REQUEST	3
#define FCGI_PARAMS		4
#define FCGI_STDIN		5
#define FCGI_STDOUT		6
#define FCGI_STDERR		7
#define FCGI_RESPONDER		1
#define FCGI_KEEP_CONN		1
#define FCGI_REQUEST_COMPLETE	0

/* The reply parser: a record at a time, content handed out as it comes. */
struct fcgi_parser {
	int		 state;
	unsigned char	 hdr[FCGI_HEADER_LEN];
	size_t		 hlen;
	int		 type;
	unsigned	 id;
	size_t		 left;		/* content bytes still to come */
	size_t		 pad;		/* padding bytes still to come */
	unsigned char	 end[8];	/* END_REQUEST's body */
	size_t		 endlen;
};

/* What fcgi_parse found. */
struct fcgi_event {
	int			 type;	/* FCGI_STDOUT, FCGI_STDERR, FCGI_END_REQUEST, 0 */
	unsigned		 id;
	const unsigned char	*data;	/* STDOUT, STDERR: into the input */
	size_t			 len;
	uint32_t		 app_status;	/* END_REQUEST */
	int			 protocol_status;
};

void	fcgi_parser_init(struct fcgi_parser *);
/*
 * Consumes input up to the next event: returns bytes used (*ev->type 0
 * when the input ran out with nothing to report), or -1 with errstr on a
 * malformed stream. Pure: the fuzzer drives it.
 */
ssize_t	fcgi_parse(struct fcgi_parser *, const unsigned char *, size_t,
	    struct fcgi_event *, const char **);

/* One name-value pair in FastCGI's length encoding; bytes written or -1. */
ssize_t	fcgi_pair(unsigned char *, size_t, const char *, size_t, const char *,
	    size_t);

struct fcgi_spec {
	const struct sockaddr	*addr;
	socklen_t		 addrlen;
	const char		*name;		/* for log lines */
	char *const		*env;		/* "NAME=value" */
	int			 timeout;	/* seconds of waiting for it */
	const struct path_rule	*rule;		/* the pool key and the cgi_max count */
};

struct fcgi_req;

void		 fcgi_setup(struct event_base *);
/* Starts a request; a responder that is down ends it with PROG_FAILED, later. */
struct fcgi_req	*fcgi_start(const struct fcgi_spec *, const struct prog_cb *, void *,
		    const char **);
void		 fcgi_resume(struct fcgi_req *);
void		 fcgi_cancel(struct fcgi_req *);
int		 fcgi_count(const struct path_rule *);
void		 fcgi_stop(void);

#endif
