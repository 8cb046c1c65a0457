/*
 * icmp_limit.h — the rate limit on the ICMP errors the router originates: one global token
 * bucket, and under it one bucket per destination (the host the error goes to), so the router
 * cannot be used to flood one victim (RFC 1812 4.3.2.8; Linux's icmp_ratelimit).
 *
 * Role: take() says whether one more error to dst may leave now. It may when the global
 * bucket holds a token and dst's bucket holds one; then one token is taken from each. When
 * either is empty nothing is taken and the verdict names the bucket that refused.
 *   - Global: rate_per_s tokens per second, at most burst (rate_per_s 0: no errors at all).
 *   - Per destination: one token every dest_interval_ms, at most dest_burst (Linux: 1000 ms
 *     and 6). dest_interval_ms 0 turns the per-destination limit off.
 *   - A destination's bucket starts full. The table tracks at most dest_max destinations;
 *     a new one beyond that evicts the least recently used (counted in stats.evictions). An
 *     evicted destination comes back with a full bucket, as if it had been idle.
 * Time comes from the caller (now_ms, any monotonic origin, never decreasing). Pure: no I/O,
 * no clock, no globals; no allocation after create.
 *
 * Ownership: create allocates everything (dest_max entries), destroy frees it. Not
 * thread-safe (the data plane owns it).
 */
#ifndef SHOAL_ICMP_LIMIT_H
#define SHOAL_ICMP_LIMIT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
	SHOAL_ICMP_LIMIT_DEFAULT_DEST_INTERVAL_MS = 1000,
	SHOAL_ICMP_LIMIT_DEFAULT_DEST_BURST = 6,
	SHOAL_ICMP_LIMIT_DEFAULT_DEST_MAX = 4096,
};

struct shoal_icmp_limit_config {
	unsigned rate_per_s;       /* global bucket: tokens per second (0: nothing passes) */
	unsigned burst;            /* global bucket depth (>= 1) */
	unsigned dest_interval_ms; /* per destination: ms per token (0: no per-destination limit) */
	unsigned dest_burst;       /* per-destination depth (0 selects the default) */
	unsigned dest_max;         /* destinations tracked (0 selects the default) */
};

enum shoal_icmp_limit_verdict {
	SHOAL_ICMP_LIMIT_ALLOW,
	SHOAL_ICMP_LIMIT_GLOBAL, /* the global bucket is empty */
	SHOAL_ICMP_LIMIT_DEST,   /* the destination's bucket is empty */
};

struct shoal_icmp_limit_stats {
	uint64_t allowed;
	uint64_t limited_global;
	uint64_t limited_dest;
	uint64_t evictions; /* destinations forgotten to make room */
	size_t tracked;     /* destinations in the table now */
};

struct shoal_icmp_limit;

/* NULL on allocation failure. Both buckets start full at now_ms. */
struct shoal_icmp_limit *shoal_icmp_limit_create(const struct shoal_icmp_limit_config *cfg,
                                                 uint64_t now_ms);
void shoal_icmp_limit_destroy(struct shoal_icmp_limit *l);
/* New rates and depths (SIGHUP); dest_max stays as created. Tokens are capped to the new
 * depths. */
void shoal_icmp_limit_set_rates(struct shoal_icmp_limit *l,
                                const struct shoal_icmp_limit_config *cfg);
enum shoal_icmp_limit_verdict shoal_icmp_limit_take(struct shoal_icmp_limit *l, uint32_t dst,
                                                    uint64_t now_ms);
const struct shoal_icmp_limit_stats *shoal_icmp_limit_stats(const struct shoal_icmp_limit *l);

#ifdef __cplusplus
}
#endif

#endif
