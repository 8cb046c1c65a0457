/*
 * plugin.h — THE Shoal plugin specification (public, versioned ABI). Guide: docs/plugins.md.
 *
 * Contract. A plugin is a shared object (.so) that exports exactly one symbol:
 *
 *     SHOAL_PLUGIN_EXPORT const struct shoal_plugin_descriptor shoal_plugin = {...};
 *
 * Everything else in the plugin is hidden (build with -fvisibility=hidden). The plugin
 * references no host symbols: every host service comes through the function table
 * (struct shoal_host_api) handed to init.
 *
 * ABI check, before any plugin code runs: the host dlopen()s the file (RTLD_NOW|RTLD_LOCAL;
 * plugins must therefore have no ELF constructors with side effects), finds `shoal_plugin`,
 * and refuses the plugin unless
 *     abi_major == SHOAL_PLUGIN_ABI_MAJOR (of the host),
 *     abi_minor <= SHOAL_PLUGIN_ABI_MINOR (of the host), and
 *     struct_size >= the descriptor size the host needs for that abi_minor
 *                    (shoal_plugin_descriptor_size_for_minor()).
 * Minor versions only append fields to the descriptor and to the host API table; a plugin
 * built for minor N runs on any host with the same major and minor >= N. Anything else
 * (reordering, changing a signature or meaning) bumps the major.
 *
 * Lifecycle, all on the data-plane thread:
 *   1. init(host, api, config_json, &state): the plugin allocates its state and registers its
 *      drop reasons and counters through api. config_json is the plugin's "config" object from
 *      the daemon configuration as JSON text ("{}" when absent); api->config_* read its top
 *      level without a JSON library. Returns 0, or a negative errno after calling api->error()
 *      with a reason. On failure the plugin frees what it allocated itself; the host removes
 *      everything it registered (rollback) and fini is NOT called.
 *   2. Hooks run (see below) and tick(state, now_ms) runs on every timer tick of the daemon.
 *   3. fini(state): frees the state. Afterwards the host removes the plugin's registrations
 *      and dlclose()s it. Nothing of the plugin may run after fini returns (no threads left
 *      running, no callbacks registered elsewhere).
 *
 * Thread model: the data plane is single-threaded. Loads, unloads, hooks and ticks all happen
 * on that thread (other threads go through the daemon's command queue), so a plugin is never
 * re-entered concurrently and an unload always falls between two packets. Plugins must not
 * block: no sleeping, no blocking I/O, no unbounded work per packet, and no allocation per
 * packet. A plugin may start its own threads only if fini joins them.
 *
 * Hooks (all optional, NULL when unused), in the forwarding pipeline:
 *   ingress        every valid IPv4 datagram received, before local delivery and routing
 *                  (NAT rewrites destinations here; stats counts here); a datagram a plugin
 *                  hands back with api->input_datagram (1.4) meets only the ingress hooks
 *                  of the plugins loaded after that one.
 *   local_delivery datagrams addressed to one of the router's own addresses, before the
 *                  router's own handling (ICMP echo, unreachables); a plugin claims a datagram
 *                  by returning SHOAL_PLUGIN_CONSUMED (a TCP endpoint does this).
 *   egress         after routing, before the datagram is fragmented/handed to the device;
 *                  also sees datagrams originated by the router and by api->send_datagram
 *                  (NAT rewrites sources here).
 * The host runs a hook over all plugins in load order and stops at the first CONSUMED or
 * DROP. CONTINUE passes the (possibly rewritten) datagram on. CONSUMED means the plugin took
 * responsibility for it (the router does nothing more). DROP makes the router discard it and
 * count it under the plugin's drop reason in pkt->drop_reason (an id returned by
 * api->drop_reason_register; 0 is the predefined "unspecified").
 *
 * Packet view rules: data points at the IPv4 header and len covers the whole datagram (which
 * may be a GSO super-frame larger than the MTU: see gso_size). A plugin may rewrite bytes in
 * [data, data + len), and may grow or shrink the datagram within [data - headroom,
 * data + capacity) by moving data and updating data/len/headroom/capacity consistently. A
 * plugin that rewrites headers must keep checksums correct; when SHOAL_PACKET_F_CSUM_PARTIAL
 * is set the L4 checksum field holds only the pseudo-header sum (offload pending), so update
 * it as such. The view and its bytes are valid only during the hook call: never keep a
 * pointer to them.
 *
 * Ownership: the descriptor is static const data of the plugin. Strings passed to the host
 * (names, descriptions, log text) are copied by the host. Counters returned by
 * api->counter_register are owned by the host and remain valid until the plugin is unloaded.
 */
#ifndef SHOAL_PLUGIN_H
#define SHOAL_PLUGIN_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>
#include <stdint.h>

enum shoal_plugin_abi {
	SHOAL_PLUGIN_ABI_MAJOR = 1,
	SHOAL_PLUGIN_ABI_MINOR = 4,
};

/* ABI 1.1: the reply a plugin's http hook fills (host-owned, preset to status 200 and body
 * "{}"). body is NUL-terminated JSON text of at most SHOAL_HTTP_REPLY_MAX - 1 bytes; status
 * an HTTP status 100..599. */
enum { SHOAL_HTTP_REPLY_MAX = 64 * 1024 };
struct shoal_http_reply {
	uint32_t status;
	char body[SHOAL_HTTP_REPLY_MAX];
};

/* ABI 1.2: a plugin HTTP request with its decoded query parameters (http_request hook). */
enum { SHOAL_HTTP_QUERY_MAX = 16 };
struct shoal_http_param {
	const char *key;   /* percent-decoded, NUL-terminated */
	const char *value; /* percent-decoded ("" when the key had no '=') */
};
struct shoal_http_request {
	const char *method;  /* "GET", "POST", "PUT", "DELETE", ... */
	const char *subpath; /* the path after "/api/v1/<name>/" ("" for /api/v1/<name>) */
	size_t n_query;
	const struct shoal_http_param *query; /* in request order; keys are unique */
	const char *body;                     /* NULL when none; not NUL-terminated */
	size_t body_len;
};

/* ABI 1.2: events for api->fd_watch and the callback's events argument. */
enum shoal_fd_events {
	SHOAL_FD_READ = 1u << 0,
	SHOAL_FD_WRITE = 1u << 1,
	SHOAL_FD_ERROR = 1u << 2, /* callback only: error or hang-up (also set with READ) */
};

/* ABI 1.2: a router interface as plugins see it (api->interface_info). Addresses in network
 * byte order, like packet views. */
enum shoal_interface_kind { SHOAL_INTERFACE_TAP = 0, SHOAL_INTERFACE_TUN = 1 };
struct shoal_interface_info {
	uint32_t ifindex; /* 1..n, as in packet views */
	char name[16];    /* NUL-terminated */
	uint32_t address; /* the router's address on it */
	uint8_t prefix_len;
	uint8_t kind;   /* enum shoal_interface_kind */
	uint8_t mac[6]; /* TAP: the router's MAC; TUN: zero */
	uint32_t mtu;
	uint32_t offload; /* 1: takes GSO super-frames and partial checksums */
};

/* ABI 1.3: one interface's counters as the data plane keeps them (api->interface_counters):
 * rx/tx at the device (frames, bytes including the link header on TAP), drops charged to it
 * by every reason of the data plane's and the ARP layer's drop tables. */
struct shoal_interface_counters {
	uint64_t rx_packets, rx_bytes;
	uint64_t tx_packets, tx_bytes;
	uint64_t drops;
};

/* ABI 1.3: one stage of the data plane's per-stage runtime (api->runtime_stage), sampled:
 * one received packet in SHOAL_RUNTIME_SAMPLE is timed through every stage it passes. */
enum { SHOAL_RUNTIME_SAMPLE = 16 };
struct shoal_runtime_stage {
	char name[16];    /* "device_read", "validation", "hooks", "lookup", "egress", ... */
	uint64_t calls;   /* times the stage ran (device_read: reads; others: sampled entries) */
	uint64_t packets; /* sampled packets timed in the stage */
	uint64_t ns;      /* time spent by those sampled packets (CLOCK_MONOTONIC_RAW) */
};

/* ABI 1.4: one of the daemon's own counters outside interfaces and routes (api->counter):
 * group "cmdq" (the command queue: cmdq.h's table) or "arp" (per TAP interface: netif.h's
 * table), its name in that table, the interface ("" when none) and its value. */
struct shoal_counter {
	char group[16];
	char name[32];
	char interface[16];
	uint64_t value;
};

/* ABI 1.4: one loaded plugin's hook in the runtime (api->runtime_hook), sampled like the
 * stages: calls counts every call, packets and ns the calls made for a sampled packet. */
struct shoal_runtime_hook {
	char plugin[32];
	char hook[16]; /* "ingress", "local_delivery", "egress" */
	uint64_t calls;
	uint64_t packets;
	uint64_t ns;
};

/* The one exported symbol's name. */
#define SHOAL_PLUGIN_SYMBOL "shoal_plugin"
#define SHOAL_PLUGIN_EXPORT __attribute__((visibility("default")))

enum shoal_plugin_verdict {
	SHOAL_PLUGIN_CONTINUE = 0, /* pass the datagram on */
	SHOAL_PLUGIN_CONSUMED = 1, /* the plugin took it; the router stops processing it */
	SHOAL_PLUGIN_DROP = 2,     /* discard, counted under pkt->drop_reason */
};

enum shoal_plugin_hook {
	SHOAL_PLUGIN_HOOK_INGRESS,
	SHOAL_PLUGIN_HOOK_LOCAL_DELIVERY,
	SHOAL_PLUGIN_HOOK_EGRESS,
	SHOAL_PLUGIN_HOOK_COUNT_,
};

enum shoal_packet_flags {
	/* L4 checksum not computed yet (virtio NEEDS_CSUM): the checksum field at
	 * data + csum_start + csum_offset holds the pseudo-header sum only. */
	SHOAL_PACKET_F_CSUM_PARTIAL = 1u << 0,
	/* Datagram originated by the router itself or by a plugin (no ingress interface). */
	SHOAL_PACKET_F_LOCAL_ORIGIN = 1u << 1,
};

enum shoal_log_level {
	SHOAL_LOG_ERROR,
	SHOAL_LOG_WARN,
	SHOAL_LOG_INFO,
	SHOAL_LOG_DEBUG,
};

/* One datagram as a hook sees it. Addresses are in network byte order. */
struct shoal_packet_view {
	uint8_t *data;            /* first byte of the IPv4 header (mutable) */
	uint32_t len;             /* datagram length in bytes */
	uint32_t headroom;        /* writable bytes before data */
	uint32_t capacity;        /* writable bytes from data (>= len) */
	uint32_t ingress_ifindex; /* router interface it came in on; 0 if locally originated */
	uint32_t egress_ifindex;  /* router interface it leaves by; 0 before routing */
	uint32_t next_hop;        /* next-hop IPv4 address; 0 before routing or when direct */
	uint32_t flags;           /* enum shoal_packet_flags */
	uint16_t gso_size;        /* > 0: super-frame to be segmented into gso_size payloads */
	uint16_t csum_start;      /* with CSUM_PARTIAL: offset of the L4 header from data */
	uint16_t csum_offset;     /* with CSUM_PARTIAL: checksum field offset from csum_start */
	uint16_t drop_reason;     /* set by a hook returning DROP (0 = unspecified) */
};

/* Opaque per-plugin handle of the host: identifies the calling plugin in every API call. */
struct shoal_host;

/* Host services. Every function takes the handle given to init. Valid from the start of init
 * until fini returns; call only on the data-plane thread (i.e. from init, fini, hooks, tick). */
struct shoal_host_api {
	uint16_t abi_major;   /* the host's SHOAL_PLUGIN_ABI_MAJOR */
	uint16_t abi_minor;   /* the host's SHOAL_PLUGIN_ABI_MINOR (>= the plugin's) */
	uint32_t struct_size; /* sizeof the host's table */

	/* Logs one line, prefixed by the host with the plugin's name. */
	void (*log)(struct shoal_host *host, enum shoal_log_level level, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
	/* During init only: the reason init is about to fail (shown to the operator). */
	void (*error)(struct shoal_host *host, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
	/* Registers a drop reason (name: [a-z0-9_]{1,31}, unique within the plugin). Returns its
	 * id (> 0) for pkt->drop_reason, or a negative errno. At most 31 per plugin. */
	int (*drop_reason_register)(struct shoal_host *host, const char *name,
	                            const char *description);
	/* Registers a named counter (same naming rules) and returns in *counter a host-owned
	 * uint64_t the plugin increments directly. Returns 0 or a negative errno. At most 32. */
	int (*counter_register)(struct shoal_host *host, const char *name, const char *description,
	                        uint64_t **counter);
	/* Sends an IPv4 datagram (complete, header checksum included) as if originated by the
	 * router: routed, egress hooks, fragmentation, device. The bytes are copied before the
	 * call returns; transmission may happen after the current hook returns. Returns 0 or a
	 * negative errno (-ENETUNREACH without a route, -ENOBUFS when the queue is full). */
	int (*send_datagram)(struct shoal_host *host, const uint8_t *datagram, size_t len);
	/* Monotonic milliseconds (the same clock as tick's now_ms). */
	uint64_t (*now_ms)(struct shoal_host *host);
	/* Read the top level of the plugin's config object. config_string returns NULL when the
	 * key is absent or not a string (valid until unload); config_int returns 0 and sets *out,
	 * or -ENOENT (absent) / -EINVAL (not an integer). */
	const char *(*config_string)(struct shoal_host *host, const char *key);
	int (*config_int)(struct shoal_host *host, const char *key, int64_t *out);

	/* ---- ABI 1.2 (present when abi_minor >= 2) ---- */

	/* Bytes a reply body may hold (NUL included) for plugins that set http_request: the host
	 * allocates struct shoal_http_reply with this much body (>= SHOAL_HTTP_REPLY_MAX). */
	uint32_t http_body_max;
	/* Watches fd in the data-plane event loop: cb(state, fd, events) runs on the data-plane
	 * thread when fd is ready for the events asked (enum shoal_fd_events; level-triggered).
	 * Watching an fd again changes its events and callback. The plugin keeps owning fd
	 * (unwatch before closing it). Returns 0, -EINVAL, -EEXIST (fd watched by someone else)
	 * or -ENOSPC (SHOAL_PLUGIN_FD_MAX per plugin). The host unwatches what is left after fini.
	 */
	int (*fd_watch)(struct shoal_host *host, int fd, uint32_t events,
	                void (*cb)(void *state, int fd, uint32_t events));
	/* Returns 0, or -ENOENT when this plugin does not watch fd. */
	int (*fd_unwatch)(struct shoal_host *host, int fd);
	/* The plugin's one-shot timer: cb(state, now_ms) runs once, on the data-plane thread, at
	 * or soon after at_ms (the now_ms clock; a past time fires at the next loop iteration).
	 * Setting it again replaces deadline and callback; at_ms == 0 cancels. Millisecond
	 * precision, independent of tick. Returns 0 or a negative errno. */
	int (*timer_set)(struct shoal_host *host, uint64_t at_ms,
	                 void (*cb)(void *state, uint64_t now_ms));
	/* len bytes from the kernel's random generator (getrandom), e.g. for ISN or cookie keys.
	 * Returns 0 or a negative errno. */
	int (*random_bytes)(struct shoal_host *host, void *buf, size_t len);
	/* The router's interfaces: fills *out for ifindex 1..n; -ENOENT past the last. */
	int (*interface_info)(struct shoal_host *host, uint32_t ifindex,
	                      struct shoal_interface_info *out);
	/* ifindex (> 0) of the interface named name, or -ENOENT. */
	int (*interface_index)(struct shoal_host *host, const char *name);

	/* ---- ABI 1.3 (present when abi_minor >= 3) ---- */

	/* Hands a complete IPv4 datagram (header checksum and L4 checksum complete: no offload
	 * state) straight to interface ifindex's output towards next_hop (the IPv4 address to
	 * resolve, host byte order as in packet views; 0 = the datagram's destination), AFTER the
	 * egress hooks: no hook runs on it again, fragmentation and the device follow. For a
	 * plugin that holds datagrams it took at egress (CONSUMED) and releases them later
	 * (impair's delay queue). Queued like send_datagram (bytes copied; sent between packets).
	 * Returns 0, -EINVAL (bad datagram), -ENOENT (no such interface), -EMSGSIZE or -ENOBUFS.
	 */
	int (*output_datagram)(struct shoal_host *host, uint32_t ifindex, uint32_t next_hop,
	                       const uint8_t *datagram, size_t len);
	/* Counters of interface ifindex (1..n) read from the data plane's own counters (the
	 * ones GET /api/v1/interfaces shows). Returns 0 or -ENOENT past the last. */
	int (*interface_counters)(struct shoal_host *host, uint32_t ifindex,
	                          struct shoal_interface_counters *out);
	/* The index-th stage (0..) of the data plane's runtime; -ENOENT past the last. */
	int (*runtime_stage)(struct shoal_host *host, uint32_t index,
	                     struct shoal_runtime_stage *out);
	/* Turns the sampled per-stage runtime on (on != 0, the default) or off. Returns 0. */
	int (*runtime_enable)(struct shoal_host *host, int on);
	/* Options of GET /metrics: public_ != 0 serves it without the bearer token (the daemon
	 * requires the token unless a loaded plugin said public); route_limit: how many routes
	 * get shoal_route_* series (0 none, N the N with most packets, -1 all). Until a plugin
	 * sets them: token required, no route series. Undone when the plugin unloads. */
	void (*metrics_options)(struct shoal_host *host, int public_, int64_t route_limit);
	/* Durable records: stages the plugin's record key (1..SHOAL_PLUGIN_RECORD_KEY_MAX - 1
	 * bytes of [A-Za-z0-9_./:-]) with len bytes of value (at most
	 * SHOAL_PLUGIN_RECORD_VALUE_MAX), or its deletion (value NULL). Valid only inside
	 * http_request (-EPERM elsewhere). The plugin has already applied the change to its
	 * state; the host commits every record the request staged to state.db before it sends
	 * the HTTP answer, in one transaction with nothing else pending. When that write fails
	 * the host undoes each staged record, newest first, by calling store_load with the
	 * record's previous value (value NULL: it did not exist) and answers 500
	 * storage_failed instead of the plugin's reply. Returns 0, -EINVAL (bad key or length),
	 * -EPERM or -ENOSPC (SHOAL_PLUGIN_RECORD_MAX records per plugin) / -ENOMEM. Without a
	 * state_dir the records live in memory only. */
	int (*store_put)(struct shoal_host *host, const char *key, const void *value, size_t len);

	/* ---- ABI 1.4 (present when abi_minor >= 4) ---- */

	/* Hands a complete IPv4 datagram (header checksum and L4 checksum complete: no offload
	 * state) back to the receive pipeline as if it had just arrived on interface ifindex
	 * (1..n): the arrival checks again (header, martians, reverse path), then the ingress
	 * hooks of the plugins loaded AFTER the caller only (neither the caller's nor an earlier
	 * plugin's ingress hook sees it again, so a datagram cannot loop), then local delivery or
	 * forwarding. The ingress twin of output_datagram: for a plugin that holds datagrams it
	 * took at ingress (CONSUMED) and releases them later (impair's delay queue). Queued like
	 * send_datagram (bytes copied, processed between packets, in the same bounded queue).
	 * Returns 0, -EINVAL (bad datagram), -ENOENT (no such interface), -EMSGSIZE or -ENOBUFS
	 * (queue full). The host counts accepted and refused calls per plugin (GET
	 * /api/v1/plugins: input_datagrams, input_refused); a datagram whose interface is down
	 * when its turn comes is dropped and counted (drop reason "link" of that interface). */
	int (*input_datagram)(struct shoal_host *host, uint32_t ifindex, const uint8_t *datagram,
	                      size_t len);
	/* The index-th (0..) of the daemon's other counters (struct shoal_counter); -ENOENT past
	 * the last. The list is stable between two calls unless a command ran in between. */
	int (*counter)(struct shoal_host *host, uint32_t index, struct shoal_counter *out);
	/* The index-th (0..) hook row of the runtime: every loaded plugin's every hook it set,
	 * in load order; -ENOENT past the last. */
	int (*runtime_hook)(struct shoal_host *host, uint32_t index,
	                    struct shoal_runtime_hook *out);
};

enum {
	SHOAL_PLUGIN_RECORD_KEY_MAX = 128,
	SHOAL_PLUGIN_RECORD_VALUE_MAX = 4096,
	SHOAL_PLUGIN_RECORD_MAX = 65536,
};

enum { SHOAL_PLUGIN_FD_MAX = 8192 };

typedef enum shoal_plugin_verdict (*shoal_plugin_hook_fn)(void *state,
                                                          struct shoal_packet_view *pkt);

/* Minor ABI bumps append fields at the end (see shoal_plugin_descriptor_size_for_minor). */
struct shoal_plugin_descriptor {
	uint16_t abi_major;   /* SHOAL_PLUGIN_ABI_MAJOR the plugin was built with */
	uint16_t abi_minor;   /* SHOAL_PLUGIN_ABI_MINOR the plugin was built with */
	uint32_t struct_size; /* sizeof(struct shoal_plugin_descriptor) as built */
	const char *name;     /* [a-z0-9_]{1,31}; unique among loaded plugins */
	const char *version;  /* free-form, e.g. "1.2.0" */
	const char *description;

	int (*init)(struct shoal_host *host, const struct shoal_host_api *api,
	            const char *config_json, void **state); /* required */
	void (*fini)(void *state);                          /* required */

	shoal_plugin_hook_fn ingress;               /* optional */
	shoal_plugin_hook_fn local_delivery;        /* optional */
	shoal_plugin_hook_fn egress;                /* optional */
	void (*tick)(void *state, uint64_t now_ms); /* optional */

	/* ABI 1.1 (optional): serves the plugin's HTTP endpoints /api/v1/<name>/<subpath>.
	 * method is "GET", "POST", ...; subpath the rest of the path after "<name>/" ("" for
	 * /api/v1/<name>); body the request body (NULL when none; not NUL-terminated). Runs on
	 * the data-plane thread between packets: answer quickly, never block. Fill *reply (JSON
	 * text) and return 0; a negative errno makes the API answer 500. The host never calls
	 * it for plugins built for minor 0. */
	int (*http)(void *state, const char *method, const char *subpath, const char *body,
	            size_t body_len, struct shoal_http_reply *reply);

	/* ABI 1.2 (optional): like http, with the query parameters; when set, the host calls it
	 * instead of http. reply->body holds up to api->http_body_max bytes (NUL included). Query
	 * keys reach the plugin unchecked: answer 400 for keys it does not know. */
	int (*http_request)(void *state, const struct shoal_http_request *req,
	                    struct shoal_http_reply *reply);

	/* ABI 1.3 (optional): the plugin's lines of GET /metrics, in the Prometheus text
	 * exposition format (# HELP / # TYPE then samples, names starting with "shoal_<name>_" or
	 * documented ones), written into buf (cap bytes, NUL included). Returns the length
	 * written (< cap), or a negative errno (-ENOSPC: too small; the daemon retries once with
	 * a bigger buffer, 1 MiB). Runs on the data-plane thread between packets. Bounded like
	 * plugin commands: a hook that has not returned within the scrape's plugin bound (1 s) is
	 * left to finish in the background and its lines are missing from that scrape; the daemon
	 * counts it (shoal_plugin_metrics_errors_total{plugin,reason}; docs/plugins.md). */
	int (*metrics)(void *state, char *buf, size_t cap);

	/* ABI 1.3 (optional): applies one durable record (see api->store_put). The host calls it
	 * after a successful init once for every record the plugin stored (also after an unload and
	 * load again, and after a restart), and to undo a staged record whose commit failed
	 * (value NULL: remove it). The ONE function that applies a record: records restored at
	 * start, undone, or put through the API go through the same code. Returns 0 or a
	 * negative errno; a failure while loading is logged and the record skipped (it stays in
	 * state.db). Runs on the data-plane thread. */
	int (*store_load)(void *state, const char *key, const void *value, size_t len);
};

/* The descriptor size a host needs from a plugin built for `minor` (0 if unknown). */
static inline size_t shoal_plugin_descriptor_size_for_minor(uint16_t minor)
{
	switch (minor) {
	case 0:
		return offsetof(struct shoal_plugin_descriptor, tick) +
		       sizeof(((struct shoal_plugin_descriptor *)0)->tick);
	case 1:
		return offsetof(struct shoal_plugin_descriptor, http) +
		       sizeof(((struct shoal_plugin_descriptor *)0)->http);
	case 2:
		return offsetof(struct shoal_plugin_descriptor, http_request) +
		       sizeof(((struct shoal_plugin_descriptor *)0)->http_request);
	case 3:
	case 4: /* 1.4 appended to the host API only */
		return offsetof(struct shoal_plugin_descriptor, store_load) +
		       sizeof(((struct shoal_plugin_descriptor *)0)->store_load);
	default:
		return 0;
	}
}

#ifdef __cplusplus
}
#endif

#endif
