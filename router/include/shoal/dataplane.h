/*
 * dataplane.h — shoald's forwarding plane: interfaces over TUN/TAP, the RFC 1812 pipeline,
 * ICMP, plugins.
 *
 * Role: owns every piece of forwarding state — the devices, one ARP network interface per
 * TAP, the LPM routing table, the plugin host, the ICMP rate limiter and the counters — and
 * runs on the thread that runs the event loop it registered with. Other threads never call
 * into it; they submit commands through the daemon's command queue, which runs on the same
 * thread between packet batches.
 *
 * Pipeline for each datagram read from a device (counters name every drop):
 *   validate (IPv4 header, offload header) -> martian source/destination, multicast ->
 *   plugins' ingress hook -> local delivery when addressed to a router address (plugins'
 *   local_delivery hook, ICMP echo reply, protocol/port unreachable) -> TTL (time exceeded)
 *   -> longest-prefix lookup (network unreachable) -> MTU (fragmentation needed when DF is
 *   set, otherwise fragment) -> TTL decrement -> plugins' egress hook -> device (ARP on TAP;
 *   host unreachable when ARP gives up).
 * GSO super-frames (IFF_VNET_HDR offloads) leave whole when the egress accepts offloads and
 * are segmented (and partial checksums completed) in software when it does not.
 * ICMP errors quote the offending header plus 8 bytes, come from the ingress interface's
 * address, are rate-limited (a global token bucket and, under it, one bucket per destination:
 * icmp_limit.h), and are never sent about ICMP errors,
 * broadcast/multicast, non-first fragments or bogus sources.
 *
 * Ownership: create opens the devices (creating them unless a persistent device of that
 * name exists), brings them up and sets their MTU through rtnetlink, and registers with the
 * loop; destroy undoes all of it in reverse order, removing the devices it created. The
 * configuration is copied. No allocation per packet: buffers are allocated by create.
 */
#ifndef SHOAL_DATAPLANE_H
#define SHOAL_DATAPLANE_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shoal/config.h"
#include "shoal/loop.h"

/* X(suffix, name, description): every reason the data plane drops a datagram. */
#define SHOAL_DP_DROPS(X)                                                                          \
	X(TRUNCATED, "truncated", "packet larger than the receive buffer")                         \
	X(BAD_IPV4, "bad_ipv4", "IPv4 header invalid (version, length or checksum)")               \
	X(BAD_OFFLOAD, "bad_offload", "offload (virtio) header inconsistent with the packet")      \
	X(MARTIAN_SOURCE, "martian_source",                                                        \
	  "source in 0/8, 127/8, 224/3, limited broadcast, ours or a directed broadcast of ours")  \
	X(MARTIAN_DESTINATION, "martian_destination", "destination in 0/8, 127/8 or 240/4")        \
	X(BROADCAST, "broadcast", "limited or directed broadcast: not forwarded")                  \
	X(MULTICAST, "multicast", "multicast destination: not forwarded")                          \
	X(TTL_EXPIRED, "ttl_expired", "TTL 0 or 1 on a datagram to forward")                       \
	X(NO_ROUTE, "no_route", "no route to the destination")                                     \
	X(FRAG_NEEDED, "frag_needed", "larger than the egress MTU with DF set")                    \
	X(FRAG_FAILED, "frag_failed", "could not be fragmented or segmented")                      \
	X(LOCAL_FRAGMENT, "local_fragment", "fragment addressed to the router (no reassembly)")    \
	X(LOCAL_PROTOCOL, "local_protocol", "protocol nobody handles at the router")               \
	X(LOCAL_PORT, "local_port", "UDP/TCP port nobody handles at the router")                   \
	X(LOCAL_ICMP, "local_icmp", "ICMP to the router other than a valid echo request")          \
	X(PLUGIN, "plugin", "dropped by a plugin hook")                                            \
	X(LINK, "link", "dropped by the egress interface's ARP layer (see its counters)")          \
	X(TX_ERROR, "tx_error", "the device refused the write")                                    \
	X(RP_FILTER, "rp_filter",                                                                  \
	  "reverse-path filter: no route back to the source (loose) or "                           \
	  "not through the arrival interface (strict)")                                            \
	X(SOURCE_ROUTE, "source_route", "LSRR/SSRR option and forwarding.source_route is drop")    \
	X(BAD_OPTION, "bad_option", "IPv4 option malformed (parameter problem sent)")              \
	X(SOURCE_ROUTE_FAILED, "source_route_failed",                                              \
	  "strict source route's next hop not directly connected")

#define SHOAL_DP_DROP_ENUM_(suffix, name, desc) SHOAL_DP_DROP_##suffix,
enum shoal_dp_drop { SHOAL_DP_DROPS(SHOAL_DP_DROP_ENUM_) SHOAL_DP_DROP_COUNT_ };
#undef SHOAL_DP_DROP_ENUM_

extern const char *const shoal_dp_drop_names[SHOAL_DP_DROP_COUNT_];
extern const char *const shoal_dp_drop_descs[SHOAL_DP_DROP_COUNT_];

/* The ICMP error rate limits come from the configuration (icmp_*), the ARP give-up time too
 * (arp_give_up_ms, read at create: a change needs a restart). */
struct shoal_dp_params {
	const char *plugin_build_dir; /* fallback directory for plugins (build tree), may be NULL */
};

/* Per-interface counters: rx/tx as seen at the device, drops charged to the interface the
 * datagram came in on (TX_ERROR/LINK to the egress). */
struct shoal_dp_if_stats {
	uint64_t rx_packets, rx_bytes;
	uint64_t tx_packets, tx_bytes;
	uint64_t drops[SHOAL_DP_DROP_COUNT_];
};

/* X(suffix, type, code): every ICMP message the router sends, counted by (type, code). */
#define SHOAL_DP_ICMP_SENT(X)                                                                      \
	X(ECHO_REPLY, 0, 0)                                                                        \
	X(NET_UNREACHABLE, 3, 0)                                                                   \
	X(HOST_UNREACHABLE, 3, 1)                                                                  \
	X(PROTOCOL_UNREACHABLE, 3, 2)                                                              \
	X(PORT_UNREACHABLE, 3, 3)                                                                  \
	X(FRAG_NEEDED, 3, 4)                                                                       \
	X(TTL_EXCEEDED, 11, 0)

#define SHOAL_DP_ICMP_ENUM_(suffix, type, code) SHOAL_DP_ICMP_##suffix,
enum shoal_dp_icmp_sent { SHOAL_DP_ICMP_SENT(SHOAL_DP_ICMP_ENUM_) SHOAL_DP_ICMP_SENT_COUNT_ };
#undef SHOAL_DP_ICMP_ENUM_
extern const uint8_t shoal_dp_icmp_sent_type[SHOAL_DP_ICMP_SENT_COUNT_];
extern const uint8_t shoal_dp_icmp_sent_code[SHOAL_DP_ICMP_SENT_COUNT_];

struct shoal_dp_stats {
	uint64_t icmp_sent[SHOAL_DP_ICMP_SENT_COUNT_]; /* by (type, code), echo replies included */
	uint64_t forwarded;
	uint64_t delivered_local;
	uint64_t icmp_errors_sent;
	uint64_t icmp_rate_limited;      /* by either bucket */
	uint64_t icmp_rate_limited_dest; /* of which by the destination's bucket */
	uint64_t icmp_dest_evictions;    /* destinations the limiter's table forgot for room */
	uint64_t icmp_echo_replies;
	uint64_t fragments_out;
	uint64_t gso_segments_out; /* produced by software segmentation */
	uint64_t gso_passthrough;  /* super-frames forwarded whole */
	uint64_t busy_polls;       /* loop iterations that polled instead of sleeping
	                              (forwarding.busy_poll_us), read from the loop by the getter */
};

/* X(suffix, name): the stages of the per-stage runtime (sampled, like VPP's show runtime). */
#define SHOAL_DP_STAGES(X)                                                                         \
	X(DEVICE_READ, "device_read")                                                              \
	X(VALIDATION, "validation")                                                                \
	X(HOOKS, "hooks")                                                                          \
	X(LOCAL, "local")                                                                          \
	X(LOOKUP, "lookup")                                                                        \
	X(EGRESS, "egress")                                                                        \
	X(DEVICE_WRITE, "device_write")

#define SHOAL_DP_STAGE_ENUM_(suffix, name) SHOAL_DP_STAGE_##suffix,
enum shoal_dp_stage_id { SHOAL_DP_STAGES(SHOAL_DP_STAGE_ENUM_) SHOAL_DP_STAGE_COUNT_ };
#undef SHOAL_DP_STAGE_ENUM_
extern const char *const shoal_dp_stage_names[SHOAL_DP_STAGE_COUNT_];

/* calls: every entry into the stage while the runtime is on (one plain increment); packets
 * and ns: the entries of sampled packets (one received packet in SHOAL_RUNTIME_SAMPLE is
 * timed with CLOCK_MONOTONIC_RAW at each stage boundary) and the time they spent. */
struct shoal_dp_stage {
	uint64_t calls, packets, ns;
};

struct shoal_dp;
struct shoal_routes;

/* Returns NULL with a message in err on failure (nothing left behind). */
struct shoal_dp *shoal_dp_create(const struct shoal_config *cfg, const struct shoal_dp_params *p,
                                 struct shoal_loop *loop, char *err, size_t err_size);
void shoal_dp_destroy(struct shoal_dp *dp);

/* SIGHUP: routes and plugins from a new configuration (interfaces need a restart; a change
 * there is reported in err and ignored). Config routes that disappeared are deleted, new or
 * changed ones installed, plugins no longer listed unloaded, new ones loaded and plugins
 * whose config changed reloaded. Returns 0, or -1 when something could not be applied (err
 * says what; everything else was applied). */
int shoal_dp_reload(struct shoal_dp *dp, const struct shoal_config *cfg, char *err,
                    size_t err_size);

/* Plugins (data-plane thread only). */
int shoal_dp_plugin_load(struct shoal_dp *dp, const char *name, const char *config_json, char *err,
                         size_t err_size);
int shoal_dp_plugin_unload(struct shoal_dp *dp, const char *name, char *err, size_t err_size);
struct shoal_plugin_host *shoal_dp_plugins(struct shoal_dp *dp);

/* Introspection (data-plane thread only). */
unsigned shoal_dp_if_count(const struct shoal_dp *dp);
const char *shoal_dp_if_name(const struct shoal_dp *dp, unsigned i);
const struct shoal_dp_if_stats *shoal_dp_if_stats(const struct shoal_dp *dp, unsigned i);
/* Data-plane thread (or after its loop stopped). */
const struct shoal_dp_stats *shoal_dp_stats(struct shoal_dp *dp);
/* Any thread (health): shoal_loop_last_iteration_ms of the data plane's loop. */
uint64_t shoal_dp_last_loop_ms(const struct shoal_dp *dp);
struct shoal_lpm *shoal_dp_lpm(struct shoal_dp *dp);
/* The command queue whose counters plugins read (api->counter, ABI 1.4); shoald sets it
 * once, before plugins can ask. */
struct shoal_cmdq;
void shoal_dp_set_cmdq(struct shoal_dp *dp, struct shoal_cmdq *q);
/* The per-stage runtime (SHOAL_DP_STAGE_COUNT_ entries) and its switch (on at create). */
const struct shoal_dp_stage *shoal_dp_runtime(const struct shoal_dp *dp);
bool shoal_dp_runtime_on(const struct shoal_dp *dp);
void shoal_dp_runtime_enable(struct shoal_dp *dp, bool on);
/* The route table of record (origins, API overlay); the LPM mirrors it. Route changes go
 * through it, never straight to the LPM. */
struct shoal_routes *shoal_dp_routes(struct shoal_dp *dp);
/* The configuration in force (interfaces as started; routes/plugins as last reloaded). */
const struct shoal_config *shoal_dp_config(const struct shoal_dp *dp);
bool shoal_dp_if_up(const struct shoal_dp *dp, unsigned i);
bool shoal_dp_if_offload(const struct shoal_dp *dp, unsigned i);     /* offload header in use */
struct shoal_netif *shoal_dp_netif(struct shoal_dp *dp, unsigned i); /* NULL for TUN */

#ifdef __cplusplus
}
#endif

#endif
