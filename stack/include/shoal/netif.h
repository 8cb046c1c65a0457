/*
 * netif.h — one Ethernet network interface with its ARP cache (spec §9).
 *
 * Role: turns IPv4 datagrams + next-hop addresses into Ethernet frames (resolving next hops
 * with ARP and queueing datagrams until they resolve), and turns received frames into IPv4
 * datagrams (answering and learning from ARP on the way). Pure: no I/O (frames leave through
 * the transmit callback), no clock (time advances only through shoal_netif_tick), no globals.
 *
 * Behaviour (defaults in brackets, all configurable in struct shoal_netif_config):
 *   - Known next hop (static or dynamic entry): one frame, src = our MAC, dst = its MAC.
 *   - Unknown next hop: broadcast an ARP request and queue the datagram (pending entry). While
 *     the latest request is younger than request_interval_ms [5 s], further datagrams are only
 *     queued; the first datagram after that triggers a new request. The datagram is queued
 *     before the request is transmitted, so a reply delivered synchronously from inside the
 *     transmit callback (an in-process peer) sends it at once.
 *   - Every ARP message received (request or reply, for any target) for our MAC or broadcast
 *     whose sender is acceptable (see learning below) teaches sender IP -> sender MAC for
 * lifetime_ms [30 s] from that moment (re-learning refreshes). A mapping is alive while its age <
 * lifetime_ms. Learning a pending IP transmits its queued datagrams in order. Static entries are
 * never overwritten by learning.
 *   - An ARP request whose target IP is ours gets a unicast reply; others are not answered.
 *   - Frames whose destination MAC is neither ours nor broadcast are dropped (no learning).
 *   - Give-up rule: a pending entry whose latest request has gone unanswered for
 *     pending_timeout_ms [15 s] is removed and its queued datagrams dropped with reason
 *     ARP_TIMEOUT (reported through the drop callback, e.g. for ICMP host unreachable).
 *     Datagrams that keep arriving keep re-requesting every request_interval_ms, so the
 *     entry lives on while traffic flows (its queue stays bounded by nexthop_queue_max).
 *
 * Invariants and bounds (our additions to spec §9; see docs/neighbours.md):
 *   - At most cache_size [4096] entries (static + dynamic + pending), of which at most
 *     pending_max [cache_size / 4] pending. A new pending entry beyond that budget evicts the
 *     oldest pending entry (the one whose latest request is oldest). When the cache is full,
 *     making room evicts the oldest pending entry first and only when there is none the
 *     dynamic entry closest to expiry (the least recently learned/refreshed; O(1)). Static
 *     entries are never evicted; when only they remain, the new mapping/datagram is dropped
 *     (LEARN_CACHE_FULL / CACHE_FULL). Evictions count EVICT_PENDING / EVICT_RESOLVED (one per
 *     entry); an evicted pending entry's queued datagrams are dropped as EVICTED_QUEUED.
 *     So a flood of unresolved next hops can hold at most pending_max entries and never
 *     evicts a resolved neighbour while a pending entry can go.
 *   - Learning is refused (counted, frame still handled) when the sender is our own address
 *     (ARP_OWN_ADDRESS: a gratuitous ARP for us never creates an entry, and is not answered)
 *     or, with prefix_len set, outside ip/prefix_len (ARP_OFF_SUBNET).
 *   - Each pending entry queues at most nexthop_queue_max [64] datagrams; all pending entries
 *     together at most queue_max [1024] (one pool of queue_max buffers of max_datagram [1500]
 *     bytes + Ethernet header room). Overflow drops the new datagram (tail drop).
 *   - max_datagram bounds every datagram that must be copied (queued, or sent through the
 *     copying send_datagram); a longer one is dropped (TOO_BIG). The zero-copy
 *     send_datagram_headroom to a resolved next hop takes any length (GSO super-frames).
 *   - The received-datagram queue holds at most rx_queue_max [1024] datagrams.
 *   - Every dropped frame/datagram increments exactly one counter of the drop table and is
 *     reported through the drop callback. EVICT_PENDING and EVICT_RESOLVED count evicted
 *     entries (not frames) and are not reported through the callback.
 *
 * Ownership and memory: create allocates every pool and table; destroy frees them. Nothing
 * is allocated per packet. send_datagram copies the datagram only when it must be queued or
 * (copying variant) into one transmit scratch buffer; the _headroom variant writes the
 * Ethernet header into the caller's buffer in place. Pointers passed to callbacks are valid
 * only during the call. Callbacks must not call back into the same netif.
 * Not thread-safe: one owner drives an interface.
 * Addresses are host byte order (10.0.0.1 == 0x0a000001).
 */
#ifndef SHOAL_NETIF_H
#define SHOAL_NETIF_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shoal/ethernet.h"

/* X(suffix, name, description): every reason a netif drops a frame or a datagram. */
#define SHOAL_NETIF_DROPS(X)                                                                       \
	X(NOT_FOR_US, "not_for_us", "destination MAC neither ours nor broadcast")                  \
	X(BAD_FRAME, "bad_frame", "frame shorter than an Ethernet header")                         \
	X(UNKNOWN_ETHERTYPE, "unknown_ethertype", "EtherType neither IPv4 nor ARP")                \
	X(BAD_ARP, "bad_arp", "ARP message that does not parse")                                   \
	X(BAD_IPV4, "bad_ipv4", "IPv4 datagram that does not parse")                               \
	X(RX_QUEUE_FULL, "rx_queue_full", "received-datagram queue full")                          \
	X(LEARN_CACHE_FULL, "learn_cache_full", "ARP mapping not learned: no evictable entry")     \
	X(TOO_BIG, "too_big", "datagram longer than max_datagram")                                 \
	X(QUEUE_FULL_NEXTHOP, "queue_full_nexthop", "next hop already has its maximum queued")     \
	X(QUEUE_FULL_INTERFACE, "queue_full_interface", "interface queue pool exhausted")          \
	X(CACHE_FULL, "cache_full", "ARP cache full of static/pending entries")                    \
	X(ARP_TIMEOUT, "arp_timeout", "next hop did not answer ARP within pending_timeout_ms")     \
	X(DELETED, "deleted", "queued for a pending entry removed by delete")                      \
	X(EVICT_PENDING, "evict_pending", "pending entry evicted for room (counts entries)")       \
	X(EVICT_RESOLVED, "evict_resolved", "dynamic entry evicted for room (counts entries)")     \
	X(EVICTED_QUEUED, "evicted_queued", "queued for a pending entry that was evicted")         \
	X(ARP_OFF_SUBNET, "arp_off_subnet", "ARP sender outside the interface's network: ignored") \
	X(ARP_OWN_ADDRESS, "arp_own_address", "ARP sender claims our own address: ignored")

#define SHOAL_NETIF_DROP_ENUM_(suffix, name, desc) SHOAL_NETIF_DROP_##suffix,
enum shoal_netif_drop { SHOAL_NETIF_DROPS(SHOAL_NETIF_DROP_ENUM_) SHOAL_NETIF_DROP_COUNT_ };
#undef SHOAL_NETIF_DROP_ENUM_

extern const char *const shoal_netif_drop_names[SHOAL_NETIF_DROP_COUNT_];
extern const char *const shoal_netif_drop_descs[SHOAL_NETIF_DROP_COUNT_];

enum {
	SHOAL_NETIF_DEFAULT_REQUEST_INTERVAL_MS = 5000,
	SHOAL_NETIF_DEFAULT_LIFETIME_MS = 30000,
	SHOAL_NETIF_DEFAULT_PENDING_TIMEOUT_MS = 15000,
	SHOAL_NETIF_DEFAULT_CACHE_SIZE = 4096,
	SHOAL_NETIF_DEFAULT_NEXTHOP_QUEUE = 64,
	SHOAL_NETIF_DEFAULT_QUEUE = 1024,
	SHOAL_NETIF_DEFAULT_RX_QUEUE = 1024,
	SHOAL_NETIF_DEFAULT_MAX_DATAGRAM = 1500,
};

/* Frame out: frame[0..len) is valid only during the call. */
typedef void (*shoal_netif_transmit_fn)(void *ctx, const uint8_t *frame, size_t len);
/* Drop report. data is the frame for drops inside recv_frame/input, and the IPv4 datagram
 * for drops inside send_datagram*, tick (ARP_TIMEOUT) and delete (DELETED). */
typedef void (*shoal_netif_drop_fn)(void *ctx, enum shoal_netif_drop reason, const uint8_t *data,
                                    size_t len);

/* Zero fields select the defaults above. transmit is required; drop may be NULL. */
struct shoal_netif_config {
	struct shoal_mac mac;
	uint32_t ip;
	/* The interface's network (ip/prefix_len): ARP senders outside it are not learned
	 * (ARP_OFF_SUBNET). 0 = no restriction (the spec §9 model: learn every sender). */
	uint8_t prefix_len;
	uint32_t request_interval_ms;
	uint32_t lifetime_ms;
	uint32_t pending_timeout_ms;
	size_t cache_size;
	/* Most pending entries at once [cache_size / 4, at least 1; at most cache_size]. */
	size_t pending_max;
	size_t nexthop_queue_max;
	size_t queue_max;
	size_t rx_queue_max;
	size_t max_datagram;
	shoal_netif_transmit_fn transmit;
	shoal_netif_drop_fn drop;
	void *ctx; /* passed to transmit and drop */
};

struct shoal_netif;

enum shoal_netif_status {
	SHOAL_NETIF_OK = 0,
	SHOAL_NETIF_NOT_FOUND, /* delete: no entry for that IP */
	SHOAL_NETIF_FULL,      /* add_static: cache full of static/pending entries */
};

/* Returns NULL on allocation failure or when cfg->transmit is NULL. */
struct shoal_netif *shoal_netif_create(const struct shoal_netif_config *cfg);
void shoal_netif_destroy(struct shoal_netif *n);
/* The effective configuration (defaults filled in). */
const struct shoal_netif_config *shoal_netif_config_get(const struct shoal_netif *n);

/* --- send --- */
enum shoal_netif_send_result {
	SHOAL_NETIF_SENT,    /* one frame transmitted */
	SHOAL_NETIF_QUEUED,  /* waiting for ARP (copied into the pool) */
	SHOAL_NETIF_DROPPED, /* counted and reported with its reason */
};

/* Copies datagram[0..len) behind an Ethernet header into a scratch buffer (or the pool). */
enum shoal_netif_send_result shoal_netif_send_datagram(struct shoal_netif *n,
                                                       const uint8_t *datagram, size_t len,
                                                       uint32_t next_hop);
/* Zero-copy variant: buf[0..SHOAL_ETH_HDR_LEN) is writable headroom, the datagram is
 * buf[SHOAL_ETH_HDR_LEN .. SHOAL_ETH_HDR_LEN + len). The header is written in place. */
enum shoal_netif_send_result shoal_netif_send_datagram_headroom(struct shoal_netif *n, uint8_t *buf,
                                                                size_t len, uint32_t next_hop);

/* --- receive --- */
enum shoal_netif_rx_kind {
	SHOAL_NETIF_RX_IPV4,    /* an IPv4 datagram addressed to us (MAC) that parses */
	SHOAL_NETIF_RX_ARP,     /* an ARP message, handled (learned / answered) */
	SHOAL_NETIF_RX_DROPPED, /* counted and reported; see drop */
};

struct shoal_netif_rx {
	enum shoal_netif_rx_kind kind;
	enum shoal_netif_drop drop; /* valid when kind == SHOAL_NETIF_RX_DROPPED */
	uint8_t *datagram;          /* RX_IPV4: inside the frame, at frame + SHOAL_ETH_HDR_LEN */
	size_t len;                 /* RX_IPV4: IPv4 total length (link padding excluded) */
};

/* Spec model: an IPv4 datagram is copied into the received-datagram queue. */
enum shoal_netif_rx_kind shoal_netif_recv_frame(struct shoal_netif *n, const uint8_t *frame,
                                                size_t len);
/* Zero-copy: handles ARP, drops what must be dropped, and for IPv4 points out->datagram into
 * the frame (with SHOAL_ETH_HDR_LEN bytes of headroom before it) instead of queueing it. */
enum shoal_netif_rx_kind shoal_netif_input(struct shoal_netif *n, uint8_t *frame, size_t len,
                                           struct shoal_netif_rx *out);

/* Received-datagram queue (FIFO). peek returns the oldest datagram (NULL when empty); it is
 * writable and preceded by SHOAL_ETH_HDR_LEN bytes of headroom (for _headroom sends), valid
 * until the next pop. */
size_t shoal_netif_rx_count(const struct shoal_netif *n);
uint8_t *shoal_netif_rx_peek(struct shoal_netif *n, size_t *len);
void shoal_netif_rx_pop(struct shoal_netif *n);

/* --- time --- */
void shoal_netif_tick(struct shoal_netif *n, uint64_t ms);
uint64_t shoal_netif_now(const struct shoal_netif *n);

/* --- ARP cache management --- */
enum shoal_netif_entry_state {
	SHOAL_NETIF_ENTRY_DYNAMIC,
	SHOAL_NETIF_ENTRY_STATIC,
	SHOAL_NETIF_ENTRY_PENDING,
};

struct shoal_netif_entry {
	uint32_t ip;
	struct shoal_mac mac; /* zero for pending entries */
	enum shoal_netif_entry_state state;
	/* dynamic: ms until expiry; pending: ms until give-up; static: 0 (never expires) */
	uint64_t remaining_ms;
	size_t queued; /* datagrams waiting (pending entries only) */
};

/* Adds or replaces a static entry (a pending entry becomes static and sends its queue). */
enum shoal_netif_status shoal_netif_add_static(struct shoal_netif *n, uint32_t ip,
                                               const struct shoal_mac *mac);
/* Removes any entry; a pending entry's queue is dropped with reason DELETED. */
enum shoal_netif_status shoal_netif_delete(struct shoal_netif *n, uint32_t ip);
/* Removes every dynamic entry (static and pending stay); returns how many. */
size_t shoal_netif_flush(struct shoal_netif *n);
size_t shoal_netif_entry_count(const struct shoal_netif *n);
/* Reads the entry for ip; false when there is none. */
bool shoal_netif_lookup(const struct shoal_netif *n, uint32_t ip, struct shoal_netif_entry *out);
/* Visits every entry (unspecified order); a non-zero return stops and is returned.
 * The cache must not be modified during the walk. */
typedef int (*shoal_netif_visit_fn)(void *ctx, const struct shoal_netif_entry *e);
int shoal_netif_foreach(const struct shoal_netif *n, shoal_netif_visit_fn cb, void *ctx);

/* --- counters --- */
struct shoal_netif_stats {
	uint64_t frames_in;
	uint64_t frames_out; /* every transmitted frame, ARP included */
	uint64_t datagrams_in;
	uint64_t datagrams_out;
	uint64_t arp_requests_out;
	uint64_t arp_replies_out;
	uint64_t drops[SHOAL_NETIF_DROP_COUNT_];
	uint64_t arp_requests_in, arp_replies_in; /* parsed ARP messages by opcode */
	/* datagrams for a pending next hop that sent no request: one went out less than
	 * request_interval_ms ago */
	uint64_t arp_requests_throttled;
};

const struct shoal_netif_stats *shoal_netif_stats(const struct shoal_netif *n);

/* X(suffix, name, help): the ARP series every reader shows (GET /api/v1/stats "arp",
 * GET /metrics shoal_arp_<name>_total{interface}), computed from shoal_netif_stats: queue
 * drops and cache evictions are sums of drop counters (QUEUE_FULL_*, EVICT_*). */
#define SHOAL_NETIF_ARP_COUNTERS(X)                                                                \
	X(REQUESTS_RECEIVED, "requests_received", "ARP requests received.")                        \
	X(REPLIES_RECEIVED, "replies_received", "ARP replies received.")                           \
	X(REQUESTS_SENT, "requests_sent", "ARP requests sent.")                                    \
	X(REPLIES_SENT, "replies_sent", "ARP replies sent.")                                       \
	X(REQUESTS_THROTTLED, "requests_throttled",                                                \
	  "Datagrams to a pending next hop that sent no ARP request (one went out less than "      \
	  "request_interval_ms ago).")                                                             \
	X(QUEUE_DROPS, "queue_drops",                                                              \
	  "Datagrams dropped because the per-next-hop or interface ARP queue was full.")           \
	X(CACHE_EVICTIONS, "cache_evictions", "ARP cache entries evicted for room.")

#define SHOAL_NETIF_ARP_ENUM_(suffix, name, help) SHOAL_NETIF_ARP_##suffix,
enum shoal_netif_arp_counter {
	SHOAL_NETIF_ARP_COUNTERS(SHOAL_NETIF_ARP_ENUM_) SHOAL_NETIF_ARP_COUNT_
};
#undef SHOAL_NETIF_ARP_ENUM_
extern const char *const shoal_netif_arp_counter_names[SHOAL_NETIF_ARP_COUNT_];
extern const char *const shoal_netif_arp_counter_helps[SHOAL_NETIF_ARP_COUNT_];
void shoal_netif_arp_counters(const struct shoal_netif *n, uint64_t out[SHOAL_NETIF_ARP_COUNT_]);

#ifdef __cplusplus
}
#endif

#endif
