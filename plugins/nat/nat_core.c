/* nat_core.c — the NAPT engine. Contract: nat_core.h. */
#include "nat_core.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shoal/checksum.h"
#include "shoal/ipv4.h"
#include "shoal/wire.h"

const char *const nat_drop_names[NAT_DROP_COUNT_] = {
#define NAT_DROP_NAME(name, desc) #name,
    NAT_DROP_TABLE(NAT_DROP_NAME)
#undef NAT_DROP_NAME
};
const char *const nat_drop_descriptions[NAT_DROP_COUNT_] = {
#define NAT_DROP_DESC(name, desc) desc,
    NAT_DROP_TABLE(NAT_DROP_DESC)
#undef NAT_DROP_DESC
};

enum {
	NAT_PORTS = 65536,
	/* session flags */
	NAT_F_SYN_OUT = 1u << 0,
	NAT_F_SYN_IN = 1u << 1,
	NAT_F_FIN_OUT = 1u << 2,
	NAT_F_FIN_IN = 1u << 3,
	NAT_F_HASHED = 1u << 4, /* linked in the session hash table (see nat_sess_hash_add) */
	/* IP protocol numbers */
	NAT_IP_ICMP = 1,
	NAT_IP_TCP = 6,
	NAT_IP_UDP = 17,
	/* TCP flags */
	NAT_TCP_FIN = 0x01,
	NAT_TCP_SYN = 0x02,
	NAT_TCP_RST = 0x04,
	/* ICMP types */
	NAT_ICMP_ECHO_REPLY = 0,
	NAT_ICMP_UNREACH = 3,
	NAT_ICMP_ECHO = 8,
	NAT_ICMP_TIME_EXCEEDED = 11,
	NAT_ICMP_PARAM_PROBLEM = 12,
};

/* Indexes are stored +1 so that 0 means "none". */
struct nat_mapping {
	uint32_t int_addr;
	uint16_t int_port, ext_port;
	uint8_t proto, out, is_static, used;
	uint32_t hnext;    /* inside-tuple hash chain; free list when unused */
	uint32_t sessions; /* head of this mapping's sessions */
	uint32_t n_sessions;
};

struct nat_session {
	uint32_t remote_addr;
	uint16_t remote_port;
	uint8_t state; /* enum nat_tcp_state */
	uint8_t flags;
	uint32_t mapping; /* 0: free */
	uint32_t hnext;   /* session hash chain; free list when unused */
	uint32_t mnext, mprev;
	uint32_t wnext, wprev;
	uint16_t wslot;
	uint16_t pad;
	uint32_t last_s;
	uint64_t packets_out, bytes_out, packets_in, bytes_in;
};

struct nat_host {
	uint32_t addr;
	uint32_t count;
	uint32_t next; /* chain; free list when unused */
};

struct nat_core {
	struct nat_config cfg;
	size_t n_outs;
	struct nat_outside outs[NAT_MAX_OUTSIDE];
	uint32_t *port_owner[NAT_MAX_OUTSIDE][NAT_PROTO_COUNT_]; /* mapping index + 1 */
	uint16_t port_cursor[NAT_MAX_OUTSIDE][NAT_PROTO_COUNT_];
	uint32_t ports_used[NAT_MAX_OUTSIDE][NAT_PROTO_COUNT_];

	uint32_t max; /* max_sessions; also the mapping pool size */
	struct nat_mapping *maps;
	uint32_t *map_buckets;
	uint32_t map_mask;
	uint32_t map_free;  /* free list (index + 1), then never-used indexes from map_fresh */
	uint32_t map_fresh; /* indexes 1..map_fresh have been handed out at least once */

	struct nat_session *sess;
	uint32_t *sess_buckets;
	uint32_t sess_mask;
	uint32_t sess_free;
	uint32_t sess_fresh;

	struct nat_host *hosts;
	uint32_t *host_buckets;
	uint32_t host_mask;
	uint32_t host_free;
	uint32_t host_fresh;

	uint32_t wheel[NAT_WHEEL_SLOTS];
	uint32_t wheel_s; /* last second processed */

	uint64_t seed;
	size_t memory;
	struct nat_stats st;
};

const char *nat_proto_name(enum nat_proto p)
{
	static const char *const names[] = {"tcp", "udp", "icmp"};
	return (unsigned)p < NAT_PROTO_COUNT_ ? names[p] : "?";
}

static uint32_t nat_hash(const struct nat_core *n, uint64_t a, uint64_t b)
{
	uint64_t h = (a ^ n->seed) * 0x9e3779b97f4a7c15ull;
	h ^= b + 0x632be59bd9b4e019ull + (h << 6) + (h >> 2);
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return (uint32_t)h;
}

static uint32_t nat_pow2(uint32_t v)
{
	uint32_t p = 1;
	while (p < v)
		p <<= 1;
	return p;
}

static void *nat_alloc(struct nat_core *n, size_t count, size_t size)
{
	void *p = calloc(count, size);
	if (p)
		n->memory += count * size;
	return p;
}

struct nat_core *nat_core_create(const struct nat_config *cfg, const struct nat_outside *outs,
                                 size_t n_outs, uint64_t now_ms, char *err, size_t err_size)
{
	if (n_outs == 0 || n_outs > NAT_MAX_OUTSIDE || cfg->port_min == 0 ||
	    cfg->port_min > cfg->port_max || cfg->max_sessions == 0 ||
	    cfg->max_sessions > (1u << 26) || cfg->max_sessions_per_host == 0) {
		snprintf(err, err_size, "bad NAT configuration");
		return NULL;
	}
	struct nat_core *n = calloc(1, sizeof(*n));
	if (!n) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	n->memory = sizeof(*n);
	n->cfg = *cfg;
	n->n_outs = n_outs;
	memcpy(n->outs, outs, n_outs * sizeof(outs[0]));
	n->max = cfg->max_sessions;
	n->seed = 0x5eed5eed12345678ull ^ now_ms;
	n->wheel_s = (uint32_t)(now_ms / 1000);
	bool ok = true;
	for (size_t o = 0; o < n_outs; o++)
		for (int p = 0; p < NAT_PROTO_COUNT_; p++) {
			n->port_owner[o][p] = nat_alloc(n, NAT_PORTS, sizeof(uint32_t));
			ok = ok && n->port_owner[o][p];
			n->port_cursor[o][p] = cfg->port_min;
		}
	n->map_mask = nat_pow2(n->max) - 1;
	n->sess_mask = n->map_mask;
	n->host_mask = nat_pow2(n->max / 2 + 1) - 1;
	n->maps = nat_alloc(n, n->max, sizeof(*n->maps));
	n->map_buckets = nat_alloc(n, (size_t)n->map_mask + 1, sizeof(uint32_t));
	n->sess = nat_alloc(n, n->max, sizeof(*n->sess));
	n->sess_buckets = nat_alloc(n, (size_t)n->sess_mask + 1, sizeof(uint32_t));
	n->hosts = nat_alloc(n, n->max, sizeof(*n->hosts));
	n->host_buckets = nat_alloc(n, (size_t)n->host_mask + 1, sizeof(uint32_t));
	if (!ok || !n->maps || !n->map_buckets || !n->sess || !n->sess_buckets || !n->hosts ||
	    !n->host_buckets) {
		nat_core_destroy(n);
		snprintf(err, err_size, "out of memory for %u sessions", cfg->max_sessions);
		return NULL;
	}
	/* The pools are handed out from their free lists, then in index order (the *_fresh
	 * marks): creating a table touches none of its pages, so loading the plugin costs the
	 * same for 1,000 sessions as for 4 million, and the untouched part stays unpaged. */
	return n;
}

void nat_core_destroy(struct nat_core *n)
{
	if (!n)
		return;
	free(n->host_buckets);
	free(n->hosts);
	free(n->sess_buckets);
	free(n->sess);
	free(n->map_buckets);
	free(n->maps);
	for (size_t o = NAT_MAX_OUTSIDE; o-- > 0;)
		for (int p = NAT_PROTO_COUNT_; p-- > 0;)
			free(n->port_owner[o][p]);
	free(n);
}

size_t nat_core_memory(const struct nat_core *n)
{
	return n->memory;
}

/* ---- inside hosts (per-host session counts) ---- */

/* True when a pool (free list head, fresh mark) can hand out one more index. */
static bool nat_pool_left(uint32_t free_head, uint32_t fresh, uint32_t max)
{
	return free_head != 0 || fresh < max;
}

static uint32_t nat_host_bucket(const struct nat_core *n, uint32_t addr)
{
	return nat_hash(n, addr, 0x686f7374) & n->host_mask;
}

static struct nat_host *nat_host_find(struct nat_core *n, uint32_t addr, bool create)
{
	uint32_t b = nat_host_bucket(n, addr);
	for (uint32_t i = n->host_buckets[b]; i; i = n->hosts[i - 1].next)
		if (n->hosts[i - 1].addr == addr)
			return &n->hosts[i - 1];
	if (!create || !nat_pool_left(n->host_free, n->host_fresh, n->max))
		return NULL;
	uint32_t i = n->host_free ? n->host_free : ++n->host_fresh;
	struct nat_host *h = &n->hosts[i - 1];
	if (i == n->host_free)
		n->host_free = h->next;
	h->addr = addr;
	h->count = 0;
	h->next = n->host_buckets[b];
	n->host_buckets[b] = i;
	return h;
}

static void nat_host_release(struct nat_core *n, uint32_t addr)
{
	uint32_t b = nat_host_bucket(n, addr);
	for (uint32_t *pi = &n->host_buckets[b]; *pi; pi = &n->hosts[*pi - 1].next) {
		struct nat_host *h = &n->hosts[*pi - 1];
		if (h->addr != addr)
			continue;
		if (--h->count == 0) {
			uint32_t i = *pi;
			*pi = h->next;
			h->next = n->host_free;
			n->host_free = i;
		}
		return;
	}
}

/* ---- mappings ---- */

static uint32_t nat_map_bucket(const struct nat_core *n, uint8_t proto, uint8_t out, uint32_t addr,
                               uint16_t port)
{
	return nat_hash(n, ((uint64_t)proto << 40) | ((uint64_t)out << 32) | addr, port) &
	       n->map_mask;
}

static uint32_t nat_map_find_inside(const struct nat_core *n, uint8_t proto, uint8_t out,
                                    uint32_t addr, uint16_t port)
{
	for (uint32_t i = n->map_buckets[nat_map_bucket(n, proto, out, addr, port)]; i;
	     i = n->maps[i - 1].hnext) {
		const struct nat_mapping *m = &n->maps[i - 1];
		if (m->proto == proto && m->out == out && m->int_addr == addr &&
		    m->int_port == port)
			return i;
	}
	return 0;
}

static bool nat_port_free(const struct nat_core *n, uint8_t out, uint8_t proto, uint16_t port)
{
	return n->port_owner[out][proto][port] == 0;
}

/* The outside port for a new mapping: the inside port when free and in range, else the next
 * free port in range after the cursor. 0 when none is free. */
static uint16_t nat_port_pick(struct nat_core *n, uint8_t out, uint8_t proto, uint16_t want)
{
	const struct nat_config *c = &n->cfg;
	uint32_t range = (uint32_t)c->port_max - c->port_min + 1;
	if (n->ports_used[out][proto] >= range)
		return 0;
	if (want >= c->port_min && want <= c->port_max && nat_port_free(n, out, proto, want))
		return want;
	uint16_t p = n->port_cursor[out][proto];
	for (uint32_t i = 0; i < range; i++) {
		if (p < c->port_min || p > c->port_max)
			p = c->port_min;
		if (nat_port_free(n, out, proto, p)) {
			n->port_cursor[out][proto] =
			    (uint16_t)(p == c->port_max ? c->port_min : p + 1);
			return p;
		}
		p = (uint16_t)(p == c->port_max ? c->port_min : p + 1);
	}
	return 0;
}

static uint32_t nat_map_new(struct nat_core *n, uint8_t proto, uint8_t out, uint32_t addr,
                            uint16_t port, uint16_t ext_port, bool is_static)
{
	if (!nat_pool_left(n->map_free, n->map_fresh, n->max))
		return 0;
	uint32_t i = n->map_free ? n->map_free : ++n->map_fresh;
	struct nat_mapping *m = &n->maps[i - 1];
	if (i == n->map_free)
		n->map_free = m->hnext;
	memset(m, 0, sizeof(*m));
	m->int_addr = addr;
	m->int_port = port;
	m->ext_port = ext_port;
	m->proto = proto;
	m->out = out;
	m->is_static = is_static;
	m->used = 1;
	uint32_t b = nat_map_bucket(n, proto, out, addr, port);
	m->hnext = n->map_buckets[b];
	n->map_buckets[b] = i;
	n->port_owner[out][proto][ext_port] = i;
	n->ports_used[out][proto]++;
	n->st.mappings++;
	if (is_static)
		n->st.static_mappings++;
	return i;
}

static void nat_map_free(struct nat_core *n, uint32_t i)
{
	struct nat_mapping *m = &n->maps[i - 1];
	uint32_t b = nat_map_bucket(n, m->proto, m->out, m->int_addr, m->int_port);
	for (uint32_t *pi = &n->map_buckets[b]; *pi; pi = &n->maps[*pi - 1].hnext)
		if (*pi == i) {
			*pi = m->hnext;
			break;
		}
	n->port_owner[m->out][m->proto][m->ext_port] = 0;
	n->ports_used[m->out][m->proto]--;
	n->st.mappings--;
	if (m->is_static)
		n->st.static_mappings--;
	m->used = 0;
	m->hnext = n->map_free;
	n->map_free = i;
}

/* ---- sessions ---- */

static uint32_t nat_sess_bucket(const struct nat_core *n, uint32_t map, uint32_t raddr,
                                uint16_t rport)
{
	return nat_hash(n, ((uint64_t)map << 32) | raddr, rport) & n->sess_mask;
}

static bool nat_sess_is(const struct nat_session *s, uint32_t map, uint32_t raddr, uint16_t rport)
{
	return s->mapping == map && s->remote_addr == raddr && s->remote_port == rport;
}

/* The session of map with remote (raddr, rport), 0 when none. A mapping's own list answers
 * when it holds no session or one (a new mapping; the usual case under endpoint-independent
 * mapping): that is at most the one session's line where the hash costs its bucket's line as
 * well; with more, the hash table, which then holds every session of the mapping. */
static uint32_t nat_sess_find(const struct nat_core *n, uint32_t map, uint32_t raddr,
                              uint16_t rport)
{
	const struct nat_mapping *m = &n->maps[map - 1];
	if (m->n_sessions <= 1)
		return m->sessions && nat_sess_is(&n->sess[m->sessions - 1], map, raddr, rport)
		           ? m->sessions
		           : 0;
	for (uint32_t i = n->sess_buckets[nat_sess_bucket(n, map, raddr, rport)]; i;
	     i = n->sess[i - 1].hnext) {
		if (nat_sess_is(&n->sess[i - 1], map, raddr, rport))
			return i;
	}
	return 0;
}

static uint32_t nat_timeout(const struct nat_core *n, const struct nat_session *s)
{
	switch (n->maps[s->mapping - 1].proto) {
	case NAT_PROTO_UDP:
		return n->cfg.timeout_s[NAT_TIMEOUT_UDP];
	case NAT_PROTO_ICMP:
		return n->cfg.timeout_s[NAT_TIMEOUT_ICMP];
	default:
		return s->state == NAT_TCP_ESTABLISHED ? n->cfg.timeout_s[NAT_TIMEOUT_TCP_EST]
		                                       : n->cfg.timeout_s[NAT_TIMEOUT_TCP_TRANS];
	}
}

static void nat_wheel_insert(struct nat_core *n, uint32_t i, uint32_t due_s)
{
	struct nat_session *s = &n->sess[i - 1];
	uint32_t horizon = n->wheel_s + NAT_WHEEL_SLOTS - 1;
	if (due_s > horizon)
		due_s = horizon;
	if (due_s <= n->wheel_s)
		due_s = n->wheel_s + 1;
	uint16_t slot = (uint16_t)(due_s % NAT_WHEEL_SLOTS);
	s->wslot = slot;
	s->wprev = 0;
	s->wnext = n->wheel[slot];
	if (s->wnext)
		n->sess[s->wnext - 1].wprev = i;
	n->wheel[slot] = i;
}

static void nat_wheel_remove(struct nat_core *n, uint32_t i)
{
	struct nat_session *s = &n->sess[i - 1];
	if (s->wprev)
		n->sess[s->wprev - 1].wnext = s->wnext;
	else
		n->wheel[s->wslot] = s->wnext;
	if (s->wnext)
		n->sess[s->wnext - 1].wprev = s->wprev;
}

/* Links session i in the session hash table. Only the sessions of mappings that have (or had)
 * two or more are there: nat_sess_find answers a mapping with one from its list, so a new
 * flow's session costs no write to a random bucket (a cache miss), nor its unlink a walk. */
static void nat_sess_hash_add(struct nat_core *n, uint32_t i)
{
	struct nat_session *s = &n->sess[i - 1];
	if (s->flags & NAT_F_HASHED)
		return;
	uint32_t b = nat_sess_bucket(n, s->mapping, s->remote_addr, s->remote_port);
	s->hnext = n->sess_buckets[b];
	n->sess_buckets[b] = i;
	s->flags |= NAT_F_HASHED;
}

static uint32_t nat_sess_new(struct nat_core *n, uint32_t map, uint32_t raddr, uint16_t rport,
                             uint32_t now_s, enum nat_drop *drop)
{
	struct nat_mapping *m = &n->maps[map - 1];
	if (!nat_pool_left(n->sess_free, n->sess_fresh, n->max)) {
		*drop = NAT_DROP_table_full;
		return 0;
	}
	struct nat_host *h = nat_host_find(n, m->int_addr, true);
	if (!h) {
		*drop = NAT_DROP_table_full;
		return 0;
	}
	if (h->count >= n->cfg.max_sessions_per_host) {
		*drop = NAT_DROP_host_limit;
		return 0;
	}
	h->count++;
	uint32_t i = n->sess_free ? n->sess_free : ++n->sess_fresh;
	struct nat_session *s = &n->sess[i - 1];
	if (i == n->sess_free)
		n->sess_free = s->hnext;
	memset(s, 0, sizeof(*s));
	s->mapping = map;
	s->remote_addr = raddr;
	s->remote_port = rport;
	s->last_s = now_s;
	if (m->n_sessions >= 1) { /* the mapping's second (or later): hashed, with the first */
		nat_sess_hash_add(n, m->sessions);
		nat_sess_hash_add(n, i);
	}
	s->mnext = m->sessions;
	if (s->mnext)
		n->sess[s->mnext - 1].mprev = i;
	m->sessions = i;
	m->n_sessions++;
	nat_wheel_insert(n, i, now_s + nat_timeout(n, s));
	n->st.sessions++;
	n->st.sessions_by_proto[m->proto]++;
	n->st.created++;
	return i;
}

/* Frees session i; in_wheel: it is still linked in a wheel slot (tick detaches first). */
static void nat_sess_unlink(struct nat_core *n, uint32_t i, bool in_wheel)
{
	struct nat_session *s = &n->sess[i - 1];
	uint32_t map = s->mapping;
	struct nat_mapping *m = &n->maps[map - 1];
	if (s->flags & NAT_F_HASHED) {
		uint32_t b = nat_sess_bucket(n, map, s->remote_addr, s->remote_port);
		for (uint32_t *pi = &n->sess_buckets[b]; *pi; pi = &n->sess[*pi - 1].hnext)
			if (*pi == i) {
				*pi = s->hnext;
				break;
			}
	}
	if (s->mprev)
		n->sess[s->mprev - 1].mnext = s->mnext;
	else
		m->sessions = s->mnext;
	if (s->mnext)
		n->sess[s->mnext - 1].mprev = s->mprev;
	if (in_wheel)
		nat_wheel_remove(n, i);
	nat_host_release(n, m->int_addr);
	m->n_sessions--;
	s->mapping = 0;
	s->hnext = n->sess_free;
	n->sess_free = i;
	n->st.sessions--;
	n->st.sessions_by_proto[m->proto]--;
	if (m->n_sessions == 0 && !m->is_static)
		nat_map_free(n, map);
}

static void nat_sess_free(struct nat_core *n, uint32_t i)
{
	nat_sess_unlink(n, i, true);
}

void nat_core_tick(struct nat_core *n, uint64_t now_ms)
{
	uint32_t now_s = (uint32_t)(now_ms / 1000);
	if (now_s <= n->wheel_s)
		return;
	uint32_t from = n->wheel_s + 1;
	if (now_s - n->wheel_s > NAT_WHEEL_SLOTS)
		from = now_s - NAT_WHEEL_SLOTS + 1;
	n->wheel_s = now_s;
	for (uint32_t sec = from; sec <= now_s; sec++) {
		uint16_t slot = (uint16_t)(sec % NAT_WHEEL_SLOTS);
		uint32_t i = n->wheel[slot];
		n->wheel[slot] = 0; /* detach: re-insertions go to a fresh list */
		while (i) {
			struct nat_session *s = &n->sess[i - 1];
			uint32_t next = s->wnext;
			uint32_t due = s->last_s + nat_timeout(n, s);
			if (due <= now_s) {
				nat_sess_unlink(n, i,
				                false); /* the detached list is walked, not kept */
				n->st.expired++;
			} else {
				nat_wheel_insert(n, i, due);
			}
			i = next;
		}
	}
}

/* ---- datagram parsing and rewriting ---- */

struct nat_l4 {
	size_t ip_len; /* datagram length used (IPv4 total length) */
	size_t l4;     /* offset of the L4 header */
	uint8_t ip_proto;
	enum nat_proto proto;
	bool supported; /* TCP, UDP or ICMP with a header we can read */
	bool non_first_fragment;
	uint32_t src, dst;
	uint16_t sport, dport; /* ICMP query: the identifier in both */
	uint8_t tcp_flags;
	uint8_t icmp_type;
};

static bool nat_icmp_is_error(uint8_t type)
{
	return type == NAT_ICMP_UNREACH || type == NAT_ICMP_TIME_EXCEEDED ||
	       type == NAT_ICMP_PARAM_PROBLEM;
}

/* Reads IPv4 + L4 ports of buf[0..len). Returns false when malformed. */
static bool nat_parse(const uint8_t *buf, size_t len, struct nat_l4 *l)
{
	memset(l, 0, sizeof(*l));
	if (len < 20 || (buf[0] >> 4) != 4)
		return false;
	size_t ihl = (size_t)(buf[0] & 0x0f) * 4;
	size_t total = shoal_load_be16(buf + 2);
	if (total == 0) /* GSO super-frames may leave it to the device */
		total = len;
	if (ihl < 20 || total < ihl || total > len)
		return false;
	l->ip_len = total;
	l->l4 = ihl;
	l->ip_proto = buf[9];
	l->src = shoal_load_be32(buf + 12);
	l->dst = shoal_load_be32(buf + 16);
	uint16_t ff = shoal_load_be16(buf + 6);
	l->non_first_fragment = (ff & 0x1fff) != 0;
	if (l->non_first_fragment)
		return true;
	const uint8_t *h = buf + ihl;
	size_t room = total - ihl;
	switch (l->ip_proto) {
	case NAT_IP_TCP:
		if (room < 20)
			return false;
		l->proto = NAT_PROTO_TCP;
		l->sport = shoal_load_be16(h);
		l->dport = shoal_load_be16(h + 2);
		l->tcp_flags = h[13];
		break;
	case NAT_IP_UDP:
		if (room < 8)
			return false;
		l->proto = NAT_PROTO_UDP;
		l->sport = shoal_load_be16(h);
		l->dport = shoal_load_be16(h + 2);
		break;
	case NAT_IP_ICMP:
		if (room < 8)
			return false;
		l->proto = NAT_PROTO_ICMP;
		l->icmp_type = h[0];
		l->sport = l->dport = shoal_load_be16(h + 4);
		break;
	default:
		return true;
	}
	l->supported = true;
	return true;
}

static void nat_put16_csum(uint8_t *field16, uint8_t *csum, uint16_t v)
{
	uint16_t old = shoal_load_be16(field16);
	shoal_store_be16(field16, v);
	if (csum)
		shoal_store_be16(csum, shoal_checksum_update16(shoal_load_be16(csum), old, v));
}

/* Offset of the L4 checksum field for proto, 0 when it has none we keep. */
static size_t nat_l4_csum_off(enum nat_proto p)
{
	return p == NAT_PROTO_TCP ? 16 : p == NAT_PROTO_UDP ? 6 : 2;
}

/* Rewrites the address at ip+addr_off (12: source, 16: destination) and the L4 port at
 * l4+port_off (TCP/UDP: 0 or 2; ICMP query: 4), keeping the IPv4 header checksum and the L4
 * checksum right. l4_len: bytes of the L4 header present (embedded headers may be cut).
 * partial: the L4 field holds the pseudo-header sum only (address part updated, port not). */
static void nat_rewrite(uint8_t *ip, size_t addr_off, uint32_t addr, uint8_t *l4, size_t l4_len,
                        enum nat_proto proto, size_t port_off, uint16_t port, bool partial)
{
	uint32_t old_addr = shoal_load_be32(ip + addr_off);
	shoal_store_be32(ip + addr_off, addr);
	shoal_store_be16(ip + 10,
	                 shoal_checksum_update32(shoal_load_be16(ip + 10), old_addr, addr));
	size_t co = nat_l4_csum_off(proto);
	uint8_t *csum = l4_len >= co + 2 ? l4 + co : NULL;
	if (csum && proto == NAT_PROTO_UDP && shoal_load_be16(csum) == 0)
		csum = NULL;                   /* UDP without a checksum stays without */
	if (csum && proto != NAT_PROTO_ICMP) { /* ICMP has no pseudo-header */
		uint16_t c = shoal_load_be16(csum);
		if (partial)
			c = (uint16_t)~shoal_checksum_update32((uint16_t)~c, old_addr, addr);
		else
			c = shoal_checksum_update32(c, old_addr, addr);
		if (proto == NAT_PROTO_UDP && c == 0 && !partial)
			c = 0xffff;
		shoal_store_be16(csum, c);
	}
	if (l4_len >= port_off + 2) {
		nat_put16_csum(l4 + port_off, partial ? NULL : csum, port);
		if (csum && proto == NAT_PROTO_UDP && shoal_load_be16(csum) == 0)
			shoal_store_be16(csum, 0xffff);
	}
}

static void nat_rewrite_src(struct nat_pkt *p, const struct nat_l4 *l, uint32_t addr, uint16_t port)
{
	nat_rewrite(p->data, 12, addr, p->data + l->l4, l->ip_len - l->l4, l->proto,
	            l->proto == NAT_PROTO_ICMP ? 4 : 0, port, p->csum_partial);
}

static void nat_rewrite_dst(struct nat_pkt *p, const struct nat_l4 *l, uint32_t addr, uint16_t port)
{
	nat_rewrite(p->data, 16, addr, p->data + l->l4, l->ip_len - l->l4, l->proto,
	            l->proto == NAT_PROTO_ICMP ? 4 : 2, port, p->csum_partial);
}

/* Clamps the MSS option of a SYN to mss (checksum updated, not when partial). */
static void nat_mss_clamp(struct nat_pkt *p, const struct nat_l4 *l, uint16_t mss)
{
	uint8_t *t = p->data + l->l4;
	size_t doff = (size_t)(t[12] >> 4) * 4;
	if (doff < 20 || doff > l->ip_len - l->l4)
		return;
	for (size_t o = 20; o < doff;) {
		uint8_t kind = t[o];
		if (kind == 0)
			return;
		if (kind == 1) {
			o++;
			continue;
		}
		if (o + 1 >= doff || t[o + 1] < 2 || o + t[o + 1] > doff)
			return;
		if (kind == 2 && t[o + 1] == 4 && shoal_load_be16(t + o + 2) > mss)
			nat_put16_csum(t + o + 2, p->csum_partial ? NULL : t + 16, mss);
		o += t[o + 1];
	}
}

static int nat_out_index(const struct nat_core *n, uint32_t ifindex)
{
	for (size_t o = 0; o < n->n_outs; o++)
		if (n->outs[o].ifindex == ifindex)
			return (int)o;
	return -1;
}

static int nat_out_by_addr(const struct nat_core *n, uint32_t addr)
{
	for (size_t o = 0; o < n->n_outs; o++)
		if (n->outs[o].addr == addr)
			return (int)o;
	return -1;
}

static void nat_tcp_track(struct nat_session *s, uint8_t flags, bool outbound)
{
	if (flags & NAT_TCP_RST) {
		s->state = NAT_TCP_CLOSED;
		return;
	}
	if (flags & NAT_TCP_SYN)
		s->flags |= outbound ? NAT_F_SYN_OUT : NAT_F_SYN_IN;
	if (flags & NAT_TCP_FIN)
		s->flags |= outbound ? NAT_F_FIN_OUT : NAT_F_FIN_IN;
	if ((s->flags & (NAT_F_FIN_OUT | NAT_F_FIN_IN)) == (NAT_F_FIN_OUT | NAT_F_FIN_IN))
		s->state = NAT_TCP_CLOSING;
	else if (s->state == NAT_TCP_NEW &&
	         (s->flags & (NAT_F_SYN_OUT | NAT_F_SYN_IN)) == (NAT_F_SYN_OUT | NAT_F_SYN_IN))
		s->state = NAT_TCP_ESTABLISHED;
}

static void nat_account(struct nat_core *n, uint32_t si, const struct nat_l4 *l, bool outbound,
                        uint32_t now_s)
{
	struct nat_session *s = &n->sess[si - 1];
	uint8_t state = s->state;
	s->last_s = now_s;
	if (outbound) {
		s->packets_out++;
		s->bytes_out += l->ip_len;
	} else {
		s->packets_in++;
		s->bytes_in += l->ip_len;
	}
	if (l->proto == NAT_PROTO_TCP)
		nat_tcp_track(s, l->tcp_flags, outbound);
	if (s->state != state) { /* the timer may have shortened: move it now (rare) */
		nat_wheel_remove(n, si);
		nat_wheel_insert(n, si, now_s + nat_timeout(n, s));
	}
}

/* A session's remote port: ICMP queries have none (the identifier is the mapping's). */
static uint16_t nat_remote_port(const struct nat_l4 *l, uint16_t port)
{
	return l->proto == NAT_PROTO_ICMP ? 0 : port;
}

/* The mapping of inside endpoint (proto, addr, port) on outside o, created when absent. */
static uint32_t nat_map_get(struct nat_core *n, int o, enum nat_proto proto, uint32_t addr,
                            uint16_t port, enum nat_drop *drop)
{
	uint32_t map = nat_map_find_inside(n, (uint8_t)proto, (uint8_t)o, addr, port);
	if (map)
		return map;
	if (!nat_pool_left(n->sess_free, n->sess_fresh, n->max) ||
	    !nat_pool_left(n->map_free, n->map_fresh, n->max)) {
		*drop = NAT_DROP_table_full;
		return 0;
	}
	struct nat_host *h = nat_host_find(n, addr, false);
	if (h && h->count >= n->cfg.max_sessions_per_host) {
		*drop = NAT_DROP_host_limit;
		return 0;
	}
	uint16_t ext = nat_port_pick(n, (uint8_t)o, (uint8_t)proto, port);
	if (!ext) {
		*drop = NAT_DROP_no_port;
		return 0;
	}
	return nat_map_new(n, (uint8_t)proto, (uint8_t)o, addr, port, ext, false);
}

/* The session of map with remote (addr, port), created when absent; a mapping left without
 * sessions by a failure is freed. */
static uint32_t nat_sess_get(struct nat_core *n, uint32_t map, uint32_t raddr, uint16_t rport,
                             uint32_t now_s, enum nat_drop *drop)
{
	uint32_t si = nat_sess_find(n, map, raddr, rport);
	if (si)
		return si;
	si = nat_sess_new(n, map, raddr, rport, now_s, drop);
	if (!si && n->maps[map - 1].n_sessions == 0 && !n->maps[map - 1].is_static)
		nat_map_free(n, map);
	return si;
}

/* Filtering of an unsolicited inbound datagram from (raddr, rport) to map. */
static bool nat_filter_allows(const struct nat_core *n, uint32_t map, uint32_t raddr,
                              uint16_t rport)
{
	const struct nat_mapping *m = &n->maps[map - 1];
	if (m->is_static || n->cfg.filtering == NAT_FILTER_EIF)
		return true;
	if (n->cfg.filtering == NAT_FILTER_APDF)
		return nat_sess_find(n, map, raddr, rport) != 0;
	for (uint32_t i = m->sessions; i; i = n->sess[i - 1].mnext)
		if (n->sess[i - 1].remote_addr == raddr)
			return true;
	return false;
}

/* ---- ICMP errors (RFC 5508) ---- */

/* Rewrites an ICMP error whose embedded datagram is about map: outer address at outer_off
 * (12 or 16) becomes outer_addr; the embedded endpoint at emb_off (12: source, 16:
 * destination) becomes (addr, port). The outer ICMP checksum is recomputed. */
static void nat_icmp_error_rewrite(struct nat_pkt *p, const struct nat_l4 *l, size_t outer_off,
                                   uint32_t outer_addr, size_t emb_off, const struct nat_l4 *e,
                                   uint32_t addr, uint16_t port)
{
	uint8_t *icmp = p->data + l->l4;
	uint8_t *emb = icmp + 8;
	size_t emb_len = l->ip_len - l->l4 - 8;
	size_t port_off = e->proto == NAT_PROTO_ICMP ? 4 : emb_off == 12 ? 0 : 2;
	nat_rewrite(emb, emb_off, addr, emb + e->l4, emb_len - e->l4, e->proto, port_off, port,
	            false);
	uint32_t old = shoal_load_be32(p->data + outer_off);
	shoal_store_be32(p->data + outer_off, outer_addr);
	shoal_store_be16(p->data + 10,
	                 shoal_checksum_update32(shoal_load_be16(p->data + 10), old, outer_addr));
	shoal_store_be16(icmp + 2, 0);
	shoal_store_be16(icmp + 2, shoal_checksum(icmp, l->ip_len - l->l4));
}

/* Parses the datagram embedded in an ICMP error (IPv4 header + at least 8 bytes). */
static bool nat_icmp_embedded(const struct nat_pkt *p, const struct nat_l4 *l, struct nat_l4 *e)
{
	size_t room = l->ip_len - l->l4;
	if (room < 8 + 20 + 8)
		return false;
	const uint8_t *emb = p->data + l->l4 + 8;
	size_t emb_room = room - 8;
	size_t ihl = (size_t)(emb[0] & 0x0f) * 4;
	if ((emb[0] >> 4) != 4 || ihl < 20 || ihl + 8 > emb_room)
		return false;
	memset(e, 0, sizeof(*e));
	e->l4 = ihl;
	e->ip_len = emb_room;
	e->ip_proto = emb[9];
	e->src = shoal_load_be32(emb + 12);
	e->dst = shoal_load_be32(emb + 16);
	const uint8_t *h = emb + ihl;
	switch (e->ip_proto) {
	case NAT_IP_TCP:
	case NAT_IP_UDP:
		e->proto = e->ip_proto == NAT_IP_TCP ? NAT_PROTO_TCP : NAT_PROTO_UDP;
		e->sport = shoal_load_be16(h);
		e->dport = shoal_load_be16(h + 2);
		break;
	case NAT_IP_ICMP:
		if (h[0] != NAT_ICMP_ECHO && h[0] != NAT_ICMP_ECHO_REPLY)
			return false;
		e->proto = NAT_PROTO_ICMP;
		e->icmp_type = h[0];
		e->sport = e->dport = shoal_load_be16(h + 4);
		break;
	default:
		return false;
	}
	e->supported = true;
	return true;
}

/* ---- hooks ---- */

static enum nat_verdict nat_drop_with(enum nat_drop *drop, enum nat_drop why, struct nat_core *n)
{
	*drop = why;
	n->st.drops[why]++;
	return NAT_DROP;
}

enum nat_verdict nat_core_egress(struct nat_core *n, struct nat_pkt *p, uint64_t now_ms,
                                 enum nat_drop *drop)
{
	int o = nat_out_index(n, p->egress_ifindex);
	if (o < 0 || (p->ingress_ifindex && nat_out_index(n, p->ingress_ifindex) >= 0))
		return NAT_PASS;
	struct nat_l4 l;
	if (!nat_parse(p->data, p->len, &l))
		return nat_drop_with(drop, NAT_DROP_malformed, n);
	uint32_t out_addr = n->outs[o].addr;
	uint32_t now_s = (uint32_t)(now_ms / 1000);
	if (l.proto == NAT_PROTO_ICMP && l.supported && nat_icmp_is_error(l.icmp_type)) {
		struct nat_l4 e;
		uint32_t map = 0;
		if (nat_icmp_embedded(p, &l, &e))
			map = nat_map_find_inside(n, (uint8_t)e.proto, (uint8_t)o, e.dst, e.dport);
		if (!map) {
			if (l.src == out_addr)
				return NAT_PASS; /* the router's own, about its own traffic */
			return nat_drop_with(drop, NAT_DROP_filtered, n);
		}
		const struct nat_mapping *m = &n->maps[map - 1];
		nat_icmp_error_rewrite(p, &l, 12, out_addr, 16, &e, out_addr, m->ext_port);
		n->st.icmp_errors++;
		return NAT_TRANSLATED;
	}
	if (l.src == out_addr)
		return NAT_PASS; /* originated by the router on that interface */
	if (l.non_first_fragment)
		return nat_drop_with(drop, NAT_DROP_fragment, n);
	if (!l.supported || (l.proto == NAT_PROTO_ICMP && l.icmp_type != NAT_ICMP_ECHO &&
	                     l.icmp_type != NAT_ICMP_ECHO_REPLY))
		return nat_drop_with(drop, NAT_DROP_unsupported, n);
	enum nat_drop why = NAT_DROP_table_full;
	uint32_t map = nat_map_get(n, o, l.proto, l.src, l.sport, &why);
	if (!map)
		return nat_drop_with(drop, why, n);
	uint32_t si = nat_sess_get(n, map, l.dst, nat_remote_port(&l, l.dport), now_s, &why);
	if (!si)
		return nat_drop_with(drop, why, n);
	nat_account(n, si, &l, true, now_s);
	if (n->cfg.mss_clamp && l.proto == NAT_PROTO_TCP && (l.tcp_flags & NAT_TCP_SYN))
		nat_mss_clamp(p, &l, n->outs[o].mss);
	nat_rewrite_src(p, &l, out_addr, n->maps[map - 1].ext_port);
	n->st.translated_out++;
	return NAT_TRANSLATED;
}

/* Inbound on an outside interface to outside address o. */
static enum nat_verdict nat_inbound(struct nat_core *n, struct nat_pkt *p, struct nat_l4 *l, int o,
                                    uint32_t now_s, enum nat_drop *drop)
{
	if (l->proto == NAT_PROTO_ICMP && nat_icmp_is_error(l->icmp_type)) {
		struct nat_l4 e;
		if (!nat_icmp_embedded(p, l, &e) || e.src != n->outs[o].addr)
			return NAT_PASS;
		uint32_t map = n->port_owner[o][e.proto][e.sport];
		if (!map)
			return NAT_PASS;
		const struct nat_mapping *m = &n->maps[map - 1];
		nat_icmp_error_rewrite(p, l, 16, m->int_addr, 12, &e, m->int_addr, m->int_port);
		n->st.icmp_errors++;
		return NAT_TRANSLATED;
	}
	if (l->proto == NAT_PROTO_ICMP && l->icmp_type != NAT_ICMP_ECHO_REPLY)
		return NAT_PASS; /* echo requests and the rest are for the router */
	uint32_t map = n->port_owner[o][l->proto][l->dport];
	if (!map)
		return NAT_PASS; /* not a mapping: the router's own (ping, TCP endpoint, ...) */
	uint16_t rport = nat_remote_port(l, l->sport);
	if (!nat_filter_allows(n, map, l->src, rport))
		return nat_drop_with(drop, NAT_DROP_filtered, n);
	enum nat_drop why = NAT_DROP_table_full;
	uint32_t si = nat_sess_get(n, map, l->src, rport, now_s, &why);
	if (!si)
		return nat_drop_with(drop, why, n);
	nat_account(n, si, l, false, now_s);
	const struct nat_mapping *m = &n->maps[map - 1];
	if (n->cfg.mss_clamp && l->proto == NAT_PROTO_TCP && (l->tcp_flags & NAT_TCP_SYN))
		nat_mss_clamp(p, l, n->outs[o].mss);
	nat_rewrite_dst(p, l, m->int_addr, m->int_port);
	n->st.translated_in++;
	return NAT_TRANSLATED;
}

/* An inside host reaching an outside address:port that maps to an inside endpoint: the
 * destination becomes that endpoint and the source the sender's own mapping (RFC 4787 REQ-9),
 * so the answer takes the same way back. */
static enum nat_verdict nat_hairpin(struct nat_core *n, struct nat_pkt *p, struct nat_l4 *l, int o,
                                    uint32_t now_s, enum nat_drop *drop)
{
	if (l->proto == NAT_PROTO_ICMP)
		return NAT_PASS; /* pinging the outside address: the router answers */
	uint32_t target = n->port_owner[o][l->proto][l->dport];
	if (!target)
		return NAT_PASS;
	enum nat_drop why = NAT_DROP_table_full;
	uint32_t src_map = nat_map_get(n, o, l->proto, l->src, l->sport, &why);
	if (!src_map)
		return nat_drop_with(drop, why, n);
	uint32_t out_addr = n->outs[o].addr;
	uint16_t src_ext = n->maps[src_map - 1].ext_port;
	uint32_t si = nat_sess_get(n, src_map, out_addr, l->dport, now_s, &why);
	if (!si)
		return nat_drop_with(drop, why, n);
	nat_account(n, si, l, true, now_s);
	if (!nat_filter_allows(n, target, out_addr, src_ext))
		return nat_drop_with(drop, NAT_DROP_filtered, n);
	uint32_t ti = nat_sess_get(n, target, out_addr, src_ext, now_s, &why);
	if (!ti)
		return nat_drop_with(drop, why, n);
	nat_account(n, ti, l, false, now_s);
	const struct nat_mapping *t = &n->maps[target - 1];
	nat_rewrite_src(p, l, out_addr, src_ext);
	nat_rewrite_dst(p, l, t->int_addr, t->int_port);
	n->st.hairpinned++;
	return NAT_TRANSLATED;
}

enum nat_verdict nat_core_ingress(struct nat_core *n, struct nat_pkt *p, uint64_t now_ms,
                                  enum nat_drop *drop)
{
	if (p->len < 20)
		return NAT_PASS;
	int o = nat_out_by_addr(n, shoal_load_be32(p->data + 16));
	if (o < 0)
		return NAT_PASS;
	bool from_outside = p->ingress_ifindex && nat_out_index(n, p->ingress_ifindex) >= 0;
	if (!from_outside && (!n->cfg.hairpin || !p->ingress_ifindex))
		return NAT_PASS;
	struct nat_l4 l;
	if (!nat_parse(p->data, p->len, &l))
		return NAT_PASS; /* the router's own validation counts it */
	if (l.non_first_fragment)
		return NAT_PASS; /* no ports: local delivery drops fragments and counts them */
	if (!l.supported)
		return NAT_PASS;
	uint32_t now_s = (uint32_t)(now_ms / 1000);
	return from_outside ? nat_inbound(n, p, &l, o, now_s, drop)
	                    : nat_hairpin(n, p, &l, o, now_s, drop);
}

/* ---- port forwards ---- */

int nat_core_forward_add(struct nat_core *n, enum nat_proto proto, uint16_t outside_port,
                         uint32_t inside_addr, uint16_t inside_port)
{
	if ((proto != NAT_PROTO_TCP && proto != NAT_PROTO_UDP) || outside_port == 0 ||
	    inside_port == 0 || inside_addr == 0)
		return -EINVAL;
	for (size_t o = 0; o < n->n_outs; o++) {
		uint32_t cur = n->port_owner[o][proto][outside_port];
		if (cur && n->maps[cur - 1].is_static)
			return -EEXIST;
		if (nat_map_find_inside(n, (uint8_t)proto, (uint8_t)o, inside_addr, inside_port))
			return -EEXIST; /* that inside endpoint already has a mapping */
	}
	if (!nat_pool_left(n->map_free, n->map_fresh, n->max) ||
	    n->max - n->st.mappings < n->n_outs)
		return -ENOSPC;
	for (size_t o = 0; o < n->n_outs; o++) {
		uint32_t cur = n->port_owner[o][proto][outside_port];
		if (cur) { /* an ordinary mapping holds the port: its sessions end */
			while (n->maps[cur - 1].sessions &&
			       n->port_owner[o][proto][outside_port] == cur)
				nat_sess_free(n, n->maps[cur - 1].sessions);
		}
		nat_map_new(n, (uint8_t)proto, (uint8_t)o, inside_addr, inside_port, outside_port,
		            true);
	}
	return 0;
}

int nat_core_forward_delete(struct nat_core *n, enum nat_proto proto, uint16_t outside_port)
{
	if (proto != NAT_PROTO_TCP && proto != NAT_PROTO_UDP)
		return -ENOENT;
	int found = -ENOENT;
	for (size_t o = 0; o < n->n_outs; o++) {
		uint32_t cur = n->port_owner[o][proto][outside_port];
		if (!cur || !n->maps[cur - 1].is_static)
			continue;
		found = 0;
		/* its sessions end with it (a static mapping outlives its last session) */
		while (n->maps[cur - 1].sessions)
			nat_sess_free(n, n->maps[cur - 1].sessions);
		nat_map_free(n, cur);
	}
	return found;
}

/* ---- listing ---- */

static bool nat_match(const struct nat_core *n, const struct nat_filter *f,
                      const struct nat_session *s)
{
	if (!f)
		return true;
	const struct nat_mapping *m = &n->maps[s->mapping - 1];
	return (f->inside_addr == 0 || m->int_addr == f->inside_addr) &&
	       (f->proto >= NAT_PROTO_COUNT_ || m->proto == f->proto);
}

size_t nat_core_sessions(const struct nat_core *n, const struct nat_filter *f, uint32_t cursor,
                         struct nat_session_info *out, size_t max, uint64_t now_ms)
{
	size_t k = 0;
	uint32_t now_s = (uint32_t)(now_ms / 1000);
	for (uint32_t i = cursor; i < n->sess_fresh && k < max; i++) {
		const struct nat_session *s = &n->sess[i];
		if (!s->mapping || !nat_match(n, f, s))
			continue;
		const struct nat_mapping *m = &n->maps[s->mapping - 1];
		struct nat_session_info *o = &out[k++];
		o->proto = (enum nat_proto)m->proto;
		o->inside_addr = m->int_addr;
		o->inside_port = m->int_port;
		o->outside_addr = n->outs[m->out].addr;
		o->outside_port = m->ext_port;
		o->remote_addr = s->remote_addr;
		o->remote_port = s->remote_port;
		o->tcp_state = (enum nat_tcp_state)s->state;
		o->is_static = m->is_static;
		uint32_t idle_s = now_s > s->last_s ? now_s - s->last_s : 0;
		uint32_t timeout = nat_timeout(n, s);
		o->idle_ms = (uint64_t)idle_s * 1000 + now_ms % 1000;
		o->expires_in_ms = idle_s >= timeout ? 0 : (uint64_t)(timeout - idle_s) * 1000;
		o->packets_out = s->packets_out;
		o->bytes_out = s->bytes_out;
		o->packets_in = s->packets_in;
		o->bytes_in = s->bytes_in;
		o->cursor = i + 1;
	}
	return k;
}

size_t nat_core_flush(struct nat_core *n, const struct nat_filter *f)
{
	size_t k = 0;
	for (uint32_t i = 0; i < n->sess_fresh; i++) {
		struct nat_session *s = &n->sess[i];
		if (s->mapping && nat_match(n, f, s)) {
			nat_sess_free(n, i + 1);
			k++;
		}
	}
	return k;
}

void nat_core_stats(const struct nat_core *n, struct nat_stats *out)
{
	*out = n->st;
	for (size_t o = 0; o < n->n_outs; o++)
		for (int p = 0; p < NAT_PROTO_COUNT_; p++)
			out->ports_in_use[o][p] = n->ports_used[o][p];
}
