/*
 * lpm.h — the longest-prefix-match routing table, built for a full Internet table.
 *
 * Role: maps IPv4 prefixes (length 0..32) to next hops; answers "which route carries this
 * destination" for the router core and the daemon's data plane. Pure: no I/O, no globals.
 *
 * Invariants:
 *   - Prefixes are canonical inside the table: bits beyond the length are cleared on insert
 *     (128.30.76.255/16 is stored and reported as 128.30.0.0/16). At most one route per
 *     (prefix, length).
 *   - lookup(addr) returns the next hop of the longest stored prefix containing addr, or
 *     SHOAL_LPM_MISS. Updates take effect immediately (no rebuild step).
 *   - The table holds at most config.max_routes routes; inserting past that fails with
 *     SHOAL_LPM_FULL and changes nothing. Every failing call changes nothing (delete can in
 *     principle fail with SHOAL_LPM_NO_MEMORY: it may need a new node block; the route stays).
 *
 * Next hops: a route carries a struct shoal_lpm_nh (gateway address or none = directly
 * attached, interface index). Identical next hops are interned: lookup returns a small
 * next-hop id, and shoal_lpm_nh_get() turns it into the next hop. Ids stay valid while a
 * route uses them. A next hop without gateway is stored (and reported) with gateway 0.
 * At most 32,766 distinct next hops are in use at once (ids 0..32,765, stored in 16 bits in
 * the lookup nodes): an insert/replace that needs one more fails with SHOAL_LPM_FULL.
 * Structure, memory and update algorithm: docs/lpm.md.
 *
 * Addresses are host byte order (10.0.0.1 == 0x0a000001).
 * Ownership: create allocates everything; destroy frees it. lookup/lookup_batch never
 * allocate and take only a const table, so one writer and no concurrent readers (the
 * daemon's data plane owns the table; other threads go through its command queue).
 */
#ifndef SHOAL_LPM_H
#define SHOAL_LPM_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct shoal_lpm;

enum shoal_lpm_status {
	SHOAL_LPM_OK = 0,
	SHOAL_LPM_EXISTS,     /* insert: that prefix is already present */
	SHOAL_LPM_NOT_FOUND,  /* delete/get: no such prefix */
	SHOAL_LPM_BAD_LENGTH, /* prefix length > 32 */
	SHOAL_LPM_FULL,       /* max_routes reached, or 32,766 distinct next hops in use */
	SHOAL_LPM_NO_MEMORY,
};

enum { SHOAL_LPM_MISS = UINT32_MAX };

struct shoal_lpm_nh {
	uint32_t gateway; /* valid when has_gateway */
	uint32_t ifindex; /* interface index, owner-defined */
	bool has_gateway; /* false: directly attached, deliver to the destination itself */
};

struct shoal_lpm_config {
	size_t max_routes; /* 0 selects the default, 2,000,000 */
	/* false (default): the lookup structure is allocated 2 MB-aligned once it is that large
	 * and marked for transparent huge pages (madvise; ignored where unsupported).
	 * true: plain malloc (benchmarks compare both). Lookup results are the same. */
	bool no_huge_pages;
};

/* Returns NULL on allocation failure. cfg may be NULL for defaults. */
struct shoal_lpm *shoal_lpm_create(const struct shoal_lpm_config *cfg);
void shoal_lpm_destroy(struct shoal_lpm *lpm);

enum shoal_lpm_status shoal_lpm_insert(struct shoal_lpm *lpm, uint32_t prefix, unsigned len,
                                       const struct shoal_lpm_nh *nh);
/* Insert or replace; *replaced (may be NULL) tells which happened. */
enum shoal_lpm_status shoal_lpm_replace(struct shoal_lpm *lpm, uint32_t prefix, unsigned len,
                                        const struct shoal_lpm_nh *nh, bool *replaced);
enum shoal_lpm_status shoal_lpm_delete(struct shoal_lpm *lpm, uint32_t prefix, unsigned len);
/* Exact-match read of one route. */
enum shoal_lpm_status shoal_lpm_get(const struct shoal_lpm *lpm, uint32_t prefix, unsigned len,
                                    struct shoal_lpm_nh *nh);

/* Longest-prefix match: a next-hop id, or SHOAL_LPM_MISS. */
uint32_t shoal_lpm_lookup(const struct shoal_lpm *lpm, uint32_t addr);
void shoal_lpm_lookup_batch(const struct shoal_lpm *lpm, const uint32_t *addrs, uint32_t *ids,
                            size_t n);
const struct shoal_lpm_nh *shoal_lpm_nh_get(const struct shoal_lpm *lpm, uint32_t id);
/* Which stored route is the longest match of addr: true with its (canonical) prefix and
 * length, false when no route holds addr. Answers from the route store (a binary search in
 * addr's /16, else the longest /0../15 route over that /16, kept per /16), never from the lookup
 * structure, yet always names the route whose next hop lookup(addr) returns. Pure: const, no
 * allocation; a few times the cost of lookup (per-route accounting uses it, forwarding does not).
 */
bool shoal_lpm_match(const struct shoal_lpm *lpm, uint32_t addr, uint32_t *prefix, unsigned *len);
/* The id of an interned next hop (one some route uses), or SHOAL_LPM_MISS. */
uint32_t shoal_lpm_nh_id(const struct shoal_lpm *lpm, const struct shoal_lpm_nh *nh);

/* Visits every route in ascending (prefix, length) order; a non-zero return from cb stops
 * the walk and is returned. The table must not be modified during the walk. */
typedef int (*shoal_lpm_visit_fn)(void *ctx, uint32_t prefix, unsigned len,
                                  const struct shoal_lpm_nh *nh);
int shoal_lpm_foreach(const struct shoal_lpm *lpm, shoal_lpm_visit_fn cb, void *ctx);

/*
 * Deferred updates, for many changes at once (a batch of routes, a restart): between
 * defer_begin and defer_end, insert/replace/delete of routes /16../32 change the route
 * store (get, foreach and count see them at once) and mark their /16 chunk; each marked
 * chunk's lookup nodes are rebuilt once, at defer_end, instead of once per change. Lookups
 * in between answer a marked chunk from its nodes as they were before (stale): the owner
 * runs no lookups until defer_end. Short routes (/0../15) take effect at once as always.
 * defer_begin: OK or NO_MEMORY (nothing deferred; updates go on immediately). defer_end:
 * OK, or NO_MEMORY when some chunk could not be rebuilt: those stay marked with their old
 * nodes; undo the changes (deferring again) and end again, which rebuilds them from the
 * routes as they were. Next-hop ids released while deferring are reused only after a
 * defer_end that rebuilt everything, so old nodes never name another next hop.
 */
enum shoal_lpm_status shoal_lpm_defer_begin(struct shoal_lpm *lpm);
enum shoal_lpm_status shoal_lpm_defer_end(struct shoal_lpm *lpm);

size_t shoal_lpm_count(const struct shoal_lpm *lpm);
size_t shoal_lpm_memory(const struct shoal_lpm *lpm); /* bytes allocated, everything included */

#ifdef __cplusplus
}
#endif

#endif
