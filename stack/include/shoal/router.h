/*
 * router.h — the pure router core (spec §10): interfaces + a longest-prefix-match table.
 *
 * Role: forwards IPv4 datagrams between shoal_netif interfaces. route() drains every
 * interface's received-datagram queue (spec model); forward() handles one datagram the
 * caller already holds; decide() is the forwarding decision alone (TTL check + lookup), which
 * the daemon's data plane calls on its own table: one implementation of those RFC 1812
 * steps. Pure: no I/O, no clock, no globals.
 *
 * Forwarding rules, per datagram: TTL 0 or 1 -> dropped (TTL_EXPIRED); no route -> dropped
 * (NO_ROUTE); otherwise TTL is decremented with the RFC 1624 incremental checksum update
 * (shoal_ipv4_ttl_decrement) and the datagram is sent out of the route's interface to the
 * route's gateway, or, for a directly attached route (no gateway), to its own destination.
 * Nothing else in the datagram changes. Every drop increments one counter of the drop table
 * and is reported through the drop callback with the datagram as received (unmodified), so
 * the owner can answer with ICMP time exceeded / net unreachable. Routes follow shoal_lpm
 * semantics: host bits beyond the length are ignored, /0 is the default route, the longest
 * matching prefix wins.
 *
 * Ownership: the router owns its LPM table (created by create, freed by destroy); it only
 * borrows the netif pointers given to add_interface, which must outlive the router (it never
 * destroys them). Interface indices are 0, 1, 2, ... in order of addition.
 * Addresses are host byte order. Not thread-safe.
 */
#ifndef SHOAL_ROUTER_H
#define SHOAL_ROUTER_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shoal/netif.h"

/* X(suffix, name, description): every reason the router drops a datagram. */
#define SHOAL_ROUTER_DROPS(X)                                                                      \
	X(TTL_EXPIRED, "ttl_expired", "TTL 0 or 1: the datagram would expire")                     \
	X(NO_ROUTE, "no_route", "no route matches the destination")                                \
	X(BAD_INTERFACE, "bad_interface", "the route's interface index is not attached")           \
	X(BAD_DATAGRAM, "bad_datagram", "shorter than an IPv4 header")

#define SHOAL_ROUTER_DROP_ENUM_(suffix, name, desc) SHOAL_ROUTER_DROP_##suffix,
enum shoal_router_drop { SHOAL_ROUTER_DROPS(SHOAL_ROUTER_DROP_ENUM_) SHOAL_ROUTER_DROP_COUNT_ };
#undef SHOAL_ROUTER_DROP_ENUM_

extern const char *const shoal_router_drop_names[SHOAL_ROUTER_DROP_COUNT_];
extern const char *const shoal_router_drop_descs[SHOAL_ROUTER_DROP_COUNT_];

/* in_ifindex: the interface the datagram came from. datagram is valid only during the call. */
typedef void (*shoal_router_drop_fn)(void *ctx, enum shoal_router_drop reason, size_t in_ifindex,
                                     const uint8_t *datagram, size_t len);

enum { SHOAL_ROUTER_DEFAULT_MAX_INTERFACES = 64 };

struct shoal_router_config {
	size_t max_interfaces;     /* 0 selects SHOAL_ROUTER_DEFAULT_MAX_INTERFACES */
	size_t max_routes;         /* 0 selects the LPM default */
	shoal_router_drop_fn drop; /* may be NULL */
	void *ctx;
};

enum shoal_router_status {
	SHOAL_ROUTER_OK = 0,
	SHOAL_ROUTER_EXISTS,        /* add_route: that prefix/length is already routed */
	SHOAL_ROUTER_BAD_LENGTH,    /* add_route: prefix length > 32 */
	SHOAL_ROUTER_BAD_INTERFACE, /* add_route: no such interface index */
	SHOAL_ROUTER_FULL,          /* too many interfaces or routes */
	SHOAL_ROUTER_NO_MEMORY,
};

struct shoal_router;

/* cfg may be NULL for defaults. Returns NULL on allocation failure. */
struct shoal_router *shoal_router_create(const struct shoal_router_config *cfg);
void shoal_router_destroy(struct shoal_router *r);

/* Attaches an interface; *ifindex (may be NULL) receives its index. */
enum shoal_router_status shoal_router_add_interface(struct shoal_router *r, struct shoal_netif *n,
                                                    size_t *ifindex);
size_t shoal_router_interface_count(const struct shoal_router *r);
struct shoal_netif *shoal_router_interface(const struct shoal_router *r, size_t ifindex);

/* next_hop NULL: directly attached (deliver to each datagram's destination). */
enum shoal_router_status shoal_router_add_route(struct shoal_router *r, uint32_t prefix,
                                                unsigned prefix_len, const uint32_t *next_hop,
                                                size_t ifindex);

enum shoal_router_result {
	SHOAL_ROUTER_FORWARDED, /* handed to the out interface (sent, queued, or dropped there) */
	SHOAL_ROUTER_DROPPED,   /* counted and reported with its reason */
};

/* The forwarding decision for one IPv4 datagram (RFC 1812 5.2.4.3 TTL check, then the
 * longest-prefix match), the steps every forwarder shares: shoal_router_forward and the
 * daemon's data plane both call it, so there is one implementation of them. Changes
 * nothing and counts nothing. Returns true when the datagram is to be forwarded, with *hop
 * filled (out interface, next hop: the route's gateway or, directly attached, the
 * datagram's destination); false with *why set: BAD_DATAGRAM (len < 20), TTL_EXPIRED (TTL 0
 * or 1: the caller answers time exceeded), NO_ROUTE, BAD_INTERFACE (route's interface index
 * >= n_ifs). The forwarder then checks what it adds (MTU), decrements the TTL
 * (shoal_ipv4_ttl_decrement) and transmits. */
struct shoal_lpm;
struct shoal_router_hop {
	uint32_t ifindex;
	uint32_t next_hop;
	uint32_t nh_id; /* the LPM next-hop id the lookup returned */
};
bool shoal_router_decide(const struct shoal_lpm *lpm, size_t n_ifs, const uint8_t *datagram,
                         size_t len, struct shoal_router_hop *hop, enum shoal_router_drop *why);

/* One datagram: buf[0..SHOAL_ETH_HDR_LEN) is writable headroom, the datagram (already
 * parsed as IPv4 by the interface) follows, len bytes. TTL/checksum are rewritten in place. */
enum shoal_router_result shoal_router_forward(struct shoal_router *r, size_t in_ifindex,
                                              uint8_t *buf, size_t len);
/* Drains every interface's received-datagram queue; returns how many datagrams it handled. */
size_t shoal_router_route(struct shoal_router *r);

struct shoal_router_stats {
	uint64_t forwarded;
	uint64_t drops[SHOAL_ROUTER_DROP_COUNT_];
};

const struct shoal_router_stats *shoal_router_stats(const struct shoal_router *r);

#ifdef __cplusplus
}
#endif

#endif
