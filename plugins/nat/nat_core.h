/*
 * nat_core.h — the NAPT engine of the nat plugin: mappings, sessions, filtering, expiry and
 * the rewriting of datagrams (RFC 4787 UDP, RFC 5382 TCP, RFC 5508 ICMP).
 *
 * Role: pure. No host API, no I/O, no clock reads, no globals: the plugin (nat.c) calls it
 * from its hooks with the datagram, where it is going and the time. Everything is allocated
 * by nat_core_create and bounded by the configuration; no allocation per packet.
 *
 * Model:
 *   mapping  (protocol, inside address, inside port) <-> (outside address, outside port).
 *            Endpoint-independent: one mapping per inside endpoint whatever the remote, so a
 *            UDP socket talking to two servers shows them one outside port. The outside port is
 *            the inside port when free on that outside address (port preservation), else
 *            the next free one in port_range. Never two mappings on one outside port of one
 *            protocol and address. ICMP query identifiers are ports of protocol ICMP. Static
 *            mappings (port forwards) never expire.
 *   session  one remote endpoint (address, port) of a mapping: state (TCP), packets and bytes
 *            each way, last activity. Filtering looks at the sessions: endpoint-independent
 *            lets any remote in; address-dependent only remotes whose address has a session;
 *            address-and-port-dependent only remotes with a session. A mapping lives while it
 *            has sessions (or is static).
 *   expiry   a session expires timeout(state) after its last packet (either direction: both
 *            refresh). Sessions sit in a timing wheel of 1 s slots; a slot is visited once per
 *            revolution and a session found not yet due moves to its new slot, so expiry
 *            costs O(1) amortized and a packet never touches the wheel.
 *   bounds   max_sessions in total and max_sessions_per_host per inside address; when full,
 *            new flows are dropped and counted (table_full, host_limit), existing ones go on.
 *
 * Checksums: addresses and ports are rewritten with incremental updates (RFC 1624). A datagram
 * whose L4 checksum is offloaded (csum_partial: the field holds the pseudo-header sum only)
 * gets the address part of the update and no port part. ICMP errors about translated flows
 * are rewritten inside (embedded header, its checksums) and out (RFC 5508).
 *
 * Fragments: the first fragment is translated like any datagram; non-first fragments carry no
 * ports and are dropped and counted (fragment).
 */
#ifndef SHOAL_NAT_CORE_H
#define SHOAL_NAT_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Drop reasons: enum, counter names and API keys come from this table. */
#define NAT_DROP_TABLE(X)                                                                          \
	X(table_full, "the session table is full (max_sessions)")                                  \
	X(host_limit, "the inside host has max_sessions_per_host sessions")                        \
	X(no_port, "no free outside port in port_range")                                           \
	X(filtered, "unsolicited inbound datagram refused by the filtering behaviour")             \
	X(fragment, "non-first fragment (carries no ports to translate)")                          \
	X(unsupported, "neither TCP, UDP, ICMP echo nor an ICMP error about a translated flow")    \
	X(malformed, "truncated or inconsistent header")

enum nat_drop {
#define NAT_DROP_ENUM(name, desc) NAT_DROP_##name,
	NAT_DROP_TABLE(NAT_DROP_ENUM)
#undef NAT_DROP_ENUM
	    NAT_DROP_COUNT_
};
extern const char *const nat_drop_names[NAT_DROP_COUNT_];
extern const char *const nat_drop_descriptions[NAT_DROP_COUNT_];

enum nat_mapping_behaviour { NAT_MAPPING_EIM };
enum nat_filtering { NAT_FILTER_EIF, NAT_FILTER_ADF, NAT_FILTER_APDF };
enum nat_proto { NAT_PROTO_TCP, NAT_PROTO_UDP, NAT_PROTO_ICMP, NAT_PROTO_COUNT_ };

enum nat_limits {
	NAT_MAX_OUTSIDE = 8,
	NAT_WHEEL_SLOTS = 4096, /* 1 s each */
};

struct nat_config {
	enum nat_filtering filtering;
	bool hairpin;
	uint16_t port_min, port_max; /* inclusive; also the ICMP identifier range */
	uint32_t max_sessions;
	uint32_t max_sessions_per_host;
	uint32_t timeout_s[4]; /* indexed by enum nat_timeout */
	bool mss_clamp;
};

enum nat_timeout { NAT_TIMEOUT_UDP, NAT_TIMEOUT_TCP_EST, NAT_TIMEOUT_TCP_TRANS, NAT_TIMEOUT_ICMP };

struct nat_outside {
	uint32_t ifindex; /* as in packet views */
	uint32_t addr;    /* host order */
	uint16_t mss;     /* clamp value (MTU - 40) */
};

enum nat_verdict { NAT_PASS, NAT_TRANSLATED, NAT_DROP };

/* What the engine needs to know about a datagram besides its bytes. */
struct nat_pkt {
	uint8_t *data; /* IPv4 header */
	size_t len;
	uint32_t ingress_ifindex; /* 0: originated by the router */
	uint32_t egress_ifindex;  /* 0: before routing */
	bool csum_partial;        /* L4 checksum field holds the pseudo-header sum */
};

enum nat_tcp_state { NAT_TCP_NEW, NAT_TCP_ESTABLISHED, NAT_TCP_CLOSING, NAT_TCP_CLOSED };

/* A session as the API lists it. Addresses host order. */
struct nat_session_info {
	enum nat_proto proto;
	uint32_t inside_addr, outside_addr, remote_addr;
	uint16_t inside_port, outside_port, remote_port;
	enum nat_tcp_state tcp_state;
	bool is_static;
	uint64_t idle_ms, expires_in_ms;
	uint64_t packets_out, bytes_out, packets_in, bytes_in;
	uint32_t cursor; /* pass to nat_core_sessions to continue after this one */
};

struct nat_stats {
	uint64_t sessions, mappings, static_mappings;
	uint64_t sessions_by_proto[NAT_PROTO_COUNT_]; /* sums to sessions */
	uint64_t created, expired;
	uint64_t translated_out, translated_in, hairpinned, icmp_errors;
	uint64_t drops[NAT_DROP_COUNT_];
	uint32_t ports_in_use[NAT_MAX_OUTSIDE][NAT_PROTO_COUNT_];
};

struct nat_core;

/* Returns NULL on ENOMEM or a bad configuration (err says which). */
struct nat_core *nat_core_create(const struct nat_config *cfg, const struct nat_outside *outs,
                                 size_t n_outs, uint64_t now_ms, char *err, size_t err_size);
void nat_core_destroy(struct nat_core *n);

/* Ingress hook: inbound translation (replies, port forwards, ICMP errors and echo replies to
 * an outside address) and hairpinning (inside to an outside address:port). NAT_PASS leaves
 * the datagram alone (not for us); NAT_DROP sets *drop. */
enum nat_verdict nat_core_ingress(struct nat_core *n, struct nat_pkt *p, uint64_t now_ms,
                                  enum nat_drop *drop);
/* Egress hook: outbound translation of datagrams leaving by an outside interface from
 * anywhere else. */
enum nat_verdict nat_core_egress(struct nat_core *n, struct nat_pkt *p, uint64_t now_ms,
                                 enum nat_drop *drop);
/* Expires what is due. Call at least once per second. */
void nat_core_tick(struct nat_core *n, uint64_t now_ms);

/* Port forwards: outside_port of protocol (TCP or UDP) on every outside address -> inside
 * addr:port. 0, -EEXIST (the port is taken by another forward; an ordinary mapping on it is
 * moved away), -EINVAL, -ENOSPC. */
int nat_core_forward_add(struct nat_core *n, enum nat_proto proto, uint16_t outside_port,
                         uint32_t inside_addr, uint16_t inside_port);
/* 0 or -ENOENT. Its sessions go with it. */
int nat_core_forward_delete(struct nat_core *n, enum nat_proto proto, uint16_t outside_port);

/* Session listing in a stable order (by slot), starting after cursor (0: from the start).
 * Fills up to max entries that match the filter (inside_addr 0 and proto NAT_PROTO_COUNT_:
 * any); returns the number filled. */
struct nat_filter {
	uint32_t inside_addr;
	enum nat_proto proto;
};
size_t nat_core_sessions(const struct nat_core *n, const struct nat_filter *f, uint32_t cursor,
                         struct nat_session_info *out, size_t max, uint64_t now_ms);
/* Deletes the sessions matching f (all with NULL); returns how many. */
size_t nat_core_flush(struct nat_core *n, const struct nat_filter *f);

void nat_core_stats(const struct nat_core *n, struct nat_stats *out);
/* Bytes the engine allocated (tables sized by max_sessions). */
size_t nat_core_memory(const struct nat_core *n);

const char *nat_proto_name(enum nat_proto p);

#ifdef __cplusplus
}
#endif

#endif
