/*
 * Per-client rate limits: a fixed-size table shared by every worker, the
 * windows counted in it, and the exempt prefixes. The core (parsers,
 * table, matching) is pure: time is passed in, memory is the caller's.
 */
#ifndef TULPAR_RATELIMIT_H
#define TULPAR_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define RL_MAX_EXEMPT	32	/* prefixes in rate_limit_exempt */
#define RL_ANSWERS	10	/* refusals answered per window; then closed at accept */

/* rate_limit = N/SECONDS, or off. */
struct rl_limit {
	int	requests;	/* 0: no limit */
	int	seconds;
	int	set;		/* given (a [host] overrides [server] only then) */
};

/* One ADDR/PREFIX of rate_limit_exempt. */
struct rl_prefix {
	int		family;		/* AF_INET, AF_INET6 */
	int		bits;
	unsigned char	addr[16];
};

/* What a client is counted as: its IPv4 address, or its IPv6 /64. */
struct rl_key {
	uint64_t	prefix;
	uint32_t	family;		/* 4 or 6; 0: not counted */
	uint32_t	pad;
};

enum rl_verdict {
	RL_PASS,	/* under the limit (counted), or not limited at all */
	RL_LIMITED,	/* over: answer 44 / an error item, saying how long */
	RL_DROP,	/* over and told enough times: close at once */
	RL_LATER,	/* Gemini: counted once the handshake names the host */
};

struct rl_table;

/* "N/SECONDS" or "off"; 0, or -1 with errstr. */
int	 ratelimit_parse_limit(const char *, struct rl_limit *, const char **);
/* "ADDR[/BITS] ..." separated by spaces or commas; 0, or -1 with errstr. */
int	 ratelimit_parse_exempt(const char *, struct rl_prefix *, int, int *,
	    const char **);
/* Whether an address falls in one of the prefixes. */
int	 ratelimit_exempt(const struct rl_prefix *, int, const struct sockaddr *);
/* The key of an address (IPv4-mapped IPv6 counts as IPv4); -1 if neither. */
int	 ratelimit_key(const struct sockaddr *, struct rl_key *);

/* The table: bytes it takes, and making one in zeroed memory. */
size_t	 ratelimit_table_size(void);
void	 ratelimit_table_init(struct rl_table *, uint64_t);
/*
 * Counts one request of key in bucket against limit at now_ms; *wait is
 * set to the seconds until one would be allowed when not RL_PASS.
 */
enum rl_verdict ratelimit_count(struct rl_table *, const struct rl_key *, int,
	    const struct rl_limit *, uint64_t, unsigned *);
/* RL_DROP when key was told enough in some bucket and its window runs on. */
enum rl_verdict ratelimit_peek(struct rl_table *, const struct rl_key *,
	    uint64_t, unsigned *);

/* The server's side, in a process. */
struct config;
struct state;
struct ssl_st;
/* Before forking: the shared table (virtual memory until it is used). */
int	 ratelimit_shared(void);
/* In a worker: the limits of its configuration. */
void	 ratelimit_setup(const struct state *);
/* At accept (or after a PROXY header): site is the Gopher host, -1 for Gemini. */
enum rl_verdict ratelimit_arrive(const struct sockaddr *, int, struct rl_key *,
	    unsigned *);
/* Gemini, after the handshake: the host the SNI chose counts. */
enum rl_verdict ratelimit_handshaken(const struct rl_key *, struct ssl_st *,
	    unsigned *);

#endif
