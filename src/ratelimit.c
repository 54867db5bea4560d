/*
 * Per-client rate limits, exact across workers: one table in shared
 * memory, made by the parent before it forks, counts every client address
 * (IPv4, or IPv6 per /64) in fixed windows that begin at its first request.
 *
 * The table is set-associative: RL_SETS sets of RL_WAYS entries, 32 bytes
 * each, so 32768 addresses in 1 MiB whatever happens. An address lives in
 * the set a keyed hash picks; a new one takes an empty entry, else one
 * whose window is over, else the oldest, so a flood of distinct addresses
 * evicts old entries and never grows the table. Each set has a lock word:
 * 0 when free, else the pid of the worker holding it (a few instructions,
 * no system call), taken over if that worker died holding it.
 *
 * Over the limit, the first RL_ANSWERS refused requests of a window are
 * answered (Gemini 44, a Gopher error item, with the seconds to wait); the
 * rest are closed as soon as they are accepted, so a client that ignores
 * the answers costs an accept and a close.
 */
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "config.h"
#include "ratelimit.h"
#include "site.h"

#define RL_WAYS		8
#define RL_SETS		4096		/* a power of two */
#define RL_SET_BITS	12
#define RL_STEAL_SPINS	(64 * 1024)	/* then check the holder is alive */

struct rl_entry {
	uint64_t	prefix;
	uint64_t	start;		/* ms: the window began */
	uint32_t	tag;		/* family << 8 | bucket; 0: empty */
	uint32_t	window;		/* ms */
	uint32_t	count;		/* requests let through in the window */
	uint32_t	refused;	/* refusals answered in the window */
};

struct rl_set {
	_Atomic uint32_t	lock;
	uint32_t		pad;
	struct rl_entry		e[RL_WAYS];
};

struct rl_table {
	uint64_t	mult;		/* the keyed hash: odd multiplier */
	uint64_t	mix;
	unsigned char	pad[48];
	struct rl_set	sets[RL_SETS];
};

_Static_assert(sizeof(struct rl_entry) == 32, "entries are 32 bytes");
_Static_assert(RL_MAX_EXEMPT == 32, "the parser's message says 32");

static uint32_t	rl_self;	/* this process's pid, the lock's owner mark */

/* ---------------------------------------------------------------- parsers */

static int
rl_number(const char **sp, long hi, long *out)
{
	const char	*s = *sp;
	long		 n = 0;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		n = n * 10 + (*s - '0');
		if (n > hi)
			return -1;
	}
	*sp = s;
	*out = n;
	return 0;
}

/* limit = 1*DIGIT "/" 1*DIGIT / "off" */
int
ratelimit_parse_limit(const char *s, struct rl_limit *out, const char **errstr)
{
	long	n, secs;

	memset(out, 0, sizeof *out);
	out->set = 1;
	if (strcmp(s, "off") == 0)
		return 0;
	*errstr = "want REQUESTS/SECONDS (1 to 1000000 requests in 1 to "
	    "86400 seconds) or off";
	if (rl_number(&s, 1000000, &n) == -1 || *s++ != '/' ||
	    rl_number(&s, 86400, &secs) == -1 || *s != '\0' || n < 1 || secs < 1)
		return -1;
	out->requests = (int)n;
	out->seconds = (int)secs;
	return 0;
}

/* Whether the bits past the prefix length are all zero. */
static int
rl_host_bits_clear(const unsigned char *a, int len, int bits)
{
	int	i;

	for (i = bits / 8; i < len; i++) {
		unsigned char mask = i == bits / 8 ? 0xff >> (bits % 8) : 0xff;

		if (a[i] & mask)
			return 0;
	}
	return 1;
}

/* prefix = (IPv4address / IPv6address) [ "/" 1*3DIGIT ] */
static int
rl_parse_prefix(const char *s, size_t len, struct rl_prefix *p,
    const char **errstr)
{
	char		 addr[INET6_ADDRSTRLEN];
	const char	*slash = memchr(s, '/', len), *b;
	size_t		 alen = slash != NULL ? (size_t)(slash - s) : len;
	long		 bits;
	int		 max;

	memset(p, 0, sizeof *p);
	*errstr = "invalid address (want IPv4 or IPv6, optionally /BITS)";
	if (alen == 0 || alen >= sizeof addr)
		return -1;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, p->addr) == 1)
		p->family = AF_INET;
	else if (inet_pton(AF_INET6, addr, p->addr) == 1)
		p->family = AF_INET6;
	else
		return -1;
	max = p->family == AF_INET ? 32 : 128;
	p->bits = max;
	if (slash == NULL)
		return 0;
	b = slash + 1;
	*errstr = "invalid prefix length";
	if ((size_t)(b - s) >= len || len - (b - s) > 3 ||
	    rl_number(&b, 999, &bits) == -1 || b != s + len)
		return -1;
	if (bits > max) {
		*errstr = p->family == AF_INET ? "prefix length over 32 for IPv4" :
		    "prefix length over 128 for IPv6";
		return -1;
	}
	p->bits = (int)bits;
	if (!rl_host_bits_clear(p->addr, max / 8, p->bits)) {
		*errstr = "address has bits set past its prefix length";
		return -1;
	}
	return 0;
}

/* list = prefix *( 1*( SP / HTAB / "," ) prefix ) */
int
ratelimit_parse_exempt(const char *s, struct rl_prefix *out, int max, int *n,
    const char **errstr)
{
	size_t	len;

	*n = 0;
	for (;;) {
		s += strspn(s, " \t,");
		if (*s == '\0')
			break;
		len = strcspn(s, " \t,");
		if (*n >= max) {
			*errstr = "too many prefixes (at most 32)";
			return -1;
		}
		if (rl_parse_prefix(s, len, &out[*n], errstr) == -1)
			return -1;
		(*n)++;
		s += len;
	}
	if (*n == 0) {
		*errstr = "no address";
		return -1;
	}
	return 0;
}

/* --------------------------------------------------------------- addresses */

/* An address's bytes, IPv4-mapped IPv6 as IPv4; its family, or -1. */
static int
rl_addr(const struct sockaddr *sa, const unsigned char **a)
{
	const struct sockaddr_in6	*s6;

	if (sa->sa_family == AF_INET) {
		*a = (const unsigned char *)
		    &((const struct sockaddr_in *)sa)->sin_addr;
		return AF_INET;
	}
	if (sa->sa_family != AF_INET6)
		return -1;
	s6 = (const struct sockaddr_in6 *)sa;
	*a = s6->sin6_addr.s6_addr;
	if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		*a += 12;
		return AF_INET;
	}
	return AF_INET6;
}

int
ratelimit_key(const struct sockaddr *sa, struct rl_key *k)
{
	const unsigned char	*a;
	int			 af, i, n;

	memset(k, 0, sizeof *k);
	if ((af = rl_addr(sa, &a)) == -1)
		return -1;
	n = af == AF_INET ? 4 : 8;	/* IPv6: the /64 */
	for (i = 0; i < n; i++)
		k->prefix = k->prefix << 8 | a[i];
	k->family = af == AF_INET ? 4 : 6;
	return 0;
}

static int
rl_prefix_match(const struct rl_prefix *p, const unsigned char *a)
{
	int	whole = p->bits / 8, rest = p->bits % 8;

	if (memcmp(p->addr, a, whole) != 0)
		return 0;
	return rest == 0 ||
	    ((p->addr[whole] ^ a[whole]) & (0xff00 >> rest)) == 0;
}

int
ratelimit_exempt(const struct rl_prefix *p, int n, const struct sockaddr *sa)
{
	const unsigned char	*a;
	int			 af, i;

	if ((af = rl_addr(sa, &a)) == -1)
		return 0;
	for (i = 0; i < n; i++)
		if (p[i].family == af && rl_prefix_match(&p[i], a))
			return 1;
	return 0;
}

/* ------------------------------------------------------------------- table */

size_t
ratelimit_table_size(void)
{
	return sizeof(struct rl_table);
}

/* t is zeroed memory (every entry empty, every lock free). */
void
ratelimit_table_init(struct rl_table *t, uint64_t seed)
{
	t->mult = seed | 1;
	t->mix = seed >> 17 | seed << 47;
}

static uint32_t
rl_me(void)
{
	if (rl_self == 0)
		rl_self = (uint32_t)getpid();
	return rl_self;
}

/* The holder spins a few instructions at most; a dead one is overtaken. */
static void
rl_lock(struct rl_set *s)
{
	uint32_t	expect, me = rl_me();
	unsigned	spins = 0;

	for (;;) {
		expect = 0;
		if (atomic_compare_exchange_weak_explicit(&s->lock, &expect, me,
		    memory_order_acquire, memory_order_relaxed))
			return;
		if (++spins % 64 != 0)
			continue;
		sched_yield();
		if (spins >= RL_STEAL_SPINS && expect != 0 &&
		    kill((pid_t)expect, 0) == -1 && errno == ESRCH &&
		    atomic_compare_exchange_strong(&s->lock, &expect, me))
			return;
	}
}

static void
rl_unlock(struct rl_set *s)
{
	atomic_store_explicit(&s->lock, 0, memory_order_release);
}

/* Every bucket of one address lands in one set: see ratelimit_peek. */
static struct rl_set *
rl_set_of(struct rl_table *t, const struct rl_key *k)
{
	uint64_t	x = (k->prefix ^ t->mix) + k->family;

	return &t->sets[(x * t->mult) >> (64 - RL_SET_BITS)];
}

static struct rl_entry *
rl_find(struct rl_set *s, const struct rl_key *k, uint32_t tag)
{
	int	i;

	for (i = 0; i < RL_WAYS; i++)
		if (s->e[i].tag == tag && s->e[i].prefix == k->prefix)
			return &s->e[i];
	return NULL;
}

/* An empty entry, else one whose window is over, else the oldest. */
static struct rl_entry *
rl_victim(struct rl_set *s, uint64_t now)
{
	struct rl_entry	*best = &s->e[0], *e;
	int		 i, over, best_over = -1;

	for (i = 0; i < RL_WAYS; i++) {
		e = &s->e[i];
		if (e->tag == 0)
			return e;
		over = now >= e->start + e->window;
		if (over > best_over || (over == best_over && e->start < best->start)) {
			best = e;
			best_over = over;
		}
	}
	return best;
}

static unsigned
rl_wait(const struct rl_entry *e, uint64_t now)
{
	uint64_t	left = e->start + e->window - now;

	return left < 1000 ? 1 : (unsigned)((left + 999) / 1000);
}

enum rl_verdict
ratelimit_count(struct rl_table *t, const struct rl_key *k, int bucket,
    const struct rl_limit *lim, uint64_t now, unsigned *wait)
{
	struct rl_set	*s;
	struct rl_entry	*e;
	uint32_t	 tag = k->family << 8 | (uint32_t)(bucket & 0xff);
	enum rl_verdict	 v = RL_PASS;

	if (lim->requests <= 0 || k->family == 0)
		return RL_PASS;
	s = rl_set_of(t, k);
	rl_lock(s);
	if ((e = rl_find(s, k, tag)) == NULL) {
		e = rl_victim(s, now);
		memset(e, 0, sizeof *e);
		e->prefix = k->prefix;
		e->tag = tag;
		e->start = now;
		e->window = lim->seconds * 1000u;
	} else if (now >= e->start + e->window) {
		e->start = now;
		e->window = lim->seconds * 1000u;
		e->count = e->refused = 0;
	}
	if (e->count < (uint32_t)lim->requests)
		e->count++;
	else {
		*wait = rl_wait(e, now);
		v = e->refused < RL_ANSWERS ? RL_LIMITED : RL_DROP;
		if (v == RL_LIMITED)
			e->refused++;
	}
	rl_unlock(s);
	return v;
}

enum rl_verdict
ratelimit_peek(struct rl_table *t, const struct rl_key *k, uint64_t now,
    unsigned *wait)
{
	struct rl_set	*s;
	struct rl_entry	*e;
	enum rl_verdict	 v = RL_PASS;
	int		 i;

	if (k->family == 0)
		return RL_PASS;
	s = rl_set_of(t, k);
	rl_lock(s);
	for (i = 0; i < RL_WAYS && v == RL_PASS; i++) {
		e = &s->e[i];
		if (e->tag >> 8 == k->family && e->prefix == k->prefix &&
		    e->refused >= RL_ANSWERS && now < e->start + e->window) {
			*wait = rl_wait(e, now);
			v = RL_DROP;
		}
	}
	rl_unlock(s);
	return v;
}

/* ------------------------------------------------------- in the server */

/* The table and, in a worker, its generation's limits per site. */
static struct rl_table	*rl_table;
static struct {
	int			 any;		/* some site is limited */
	const struct rl_prefix	*exempt;
	int			 nexempt;
	struct rl_limit		 limit[CONFIG_MAX_HOSTS];
	int			 bucket[CONFIG_MAX_HOSTS];
	const SSL_CTX		*ctx[CONFIG_MAX_HOSTS];
	int			 nsites;
} rl;

int
ratelimit_shared(void)
{
	uint64_t	 seed;
	void		*p;

	if (getrandom(&seed, sizeof seed, 0) != sizeof seed)
		return -1;
	p = mmap(NULL, sizeof *rl_table, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	rl_table = p;
	ratelimit_table_init(rl_table, seed);
	return 0;
}

/* A [host] with a rate_limit of its own counts apart: bucket 1 + its index. */
void
ratelimit_setup(const struct state *st)
{
	const struct config	*conf = st->conf;
	int			 i;

	rl_self = (uint32_t)getpid();
	memset(&rl, 0, sizeof rl);
	rl.exempt = conf->rate_exempt;
	rl.nexempt = conf->nrate_exempt;
	rl.nsites = st->nsites;
	for (i = 0; i < st->nsites; i++) {
		const struct rl_limit *h = &conf->hosts[i].rate_limit;

		rl.limit[i] = h->set ? *h : conf->rate_limit;
		rl.bucket[i] = h->set ? 1 + i : 0;
		rl.ctx[i] = st->sites[i].ctx;
		rl.any |= rl.limit[i].requests > 0;
	}
}

static uint64_t
rl_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

enum rl_verdict
ratelimit_arrive(const struct sockaddr *sa, int site, struct rl_key *k,
    unsigned *wait)
{
	memset(k, 0, sizeof *k);
	if (rl_table == NULL || !rl.any || ratelimit_key(sa, k) == -1 ||
	    ratelimit_exempt(rl.exempt, rl.nexempt, sa)) {
		k->family = 0;
		return RL_PASS;
	}
	if (site < 0 || site >= rl.nsites)
		return ratelimit_peek(rl_table, k, rl_now(), wait) == RL_DROP ?
		    RL_DROP : RL_LATER;
	return ratelimit_count(rl_table, k, rl.bucket[site], &rl.limit[site],
	    rl_now(), wait);
}

enum rl_verdict
ratelimit_handshaken(const struct rl_key *k, SSL *ssl, unsigned *wait)
{
	const SSL_CTX	*ctx = SSL_get_SSL_CTX(ssl);
	int		 i, site = 0;

	if (rl_table == NULL || k->family == 0)
		return RL_PASS;
	for (i = 0; i < rl.nsites; i++)
		if (rl.ctx[i] == ctx) {
			site = i;
			break;
		}
	if (ratelimit_count(rl_table, k, rl.bucket[site], &rl.limit[site],
	    rl_now(), wait) == RL_PASS)
		return RL_PASS;
	return RL_LIMITED;	/* the handshake is paid for: answer 44 */
}
