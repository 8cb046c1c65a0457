/*
 * control.h — the control API of shoald: every read and change the HTTP API (or any other
 * control client) makes to the running router.
 *
 * Role: the API threads never touch data-plane state. Each function here packs its request
 * into a command, submits it through the command queue (cmdq.h) and blocks until the
 * data-plane thread ran it, for at most SHOAL_CTL_WAIT_MS (a full queue is retried within
 * that bound): a data plane that does not take the command in time makes the call return
 * SHOAL_CTL_UNAVAILABLE dataplane_busy and the command never runs; a closed queue is
 * SHOAL_CTL_UNAVAILABLE shutting_down. Commands that run plugin code (plugin load, unload,
 * http) are heap records owning copies of their inputs: when such a command started but did
 * not finish in time, the call returns dataplane_busy ("goes on in the background") and the
 * data plane frees the record when the plugin returns. Other commands run no foreign code;
 * once started they are waited for. The mutation lock is taken within the same bound. The
 * one unbounded wait is the undo after a failed write (it must run before the answer). Route
 * specifications are validated here (canonical prefix, length, interface, next hop inside a
 * connected network, next hop not a router address); callers only parse.
 *
 * Durability (group commit): a mutation (routes, static ARP entries) runs as a command that
 * applies the change on the data plane and queues the rows it changed (store.h) with what
 * undoes it; the caller then waits until those rows are committed to <state_dir>/state.db.
 * The first waiter that finds no commit in progress becomes the committer: it takes every
 * queued mutation and writes them in one transaction (one fsync), then answers them all;
 * the others wait (commitq.h: who is woken, and when). The mutex guarding the queue is never held across I/O or a command wait,
 * so the data plane never waits for the disk. If the commit fails, one command undoes the
 * group and every mutation applied after it, newest first, and each caller gets STORAGE
 * (500 storage_failed). If that undo cannot run (queue refused, out of memory) or the disk
 * may hold the failed write (store.h: SHOAL_STORE_UNKNOWN), control turns read-only: every
 * later mutation is refused with UNAVAILABLE "read_only" (503) naming the reason, until a
 * restart reloads the state from disk. Reads never wait for commits. Plugin load/unload are
 * not persisted (the configuration rules plugins).
 *
 * Threads: shoal_ctl_create, shoal_ctl_restore and shoal_ctl_destroy run on the data-plane
 * thread (at start / exit, while nothing else uses the control); every other function on
 * any thread but the data plane (calling them there deadlocks).
 *
 * Errors: each function returns its status and, when e is not NULL, fills *e: status, a
 * snake_case machine code (e.g. invalid_prefix, route_exists) and a one-line human message.
 * On success e->code and e->message are empty.
 *
 * Ownership: struct shoal_ctl is allocated by create and freed by destroy; it borrows dp and
 * q, which must outlive it. Arrays returned through **out are malloc'd (possibly NULL when
 * *n is 0) and belong to the caller (free()). Addresses are in host byte order.
 */
#ifndef SHOAL_CONTROL_H
#define SHOAL_CONTROL_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "shoal/cmdq.h"
#include "shoal/dataplane.h"
#include "shoal/netif.h"
#include "shoal/plugin.h"

enum {
	SHOAL_CTL_WAIT_MS = 3000,        /* bound of an API call's wait on the data plane */
	SHOAL_CTL_HEALTH_WAIT_MS = 1000, /* bound of the health round trip */
	/* GET /metrics: all plugins' metrics hooks of one scrape together, and one plugin's
	 * output (a hook that returns -ENOSPC at 64 KiB is called once more with this much) */
	SHOAL_CTL_PLUGIN_METRICS_WAIT_MS = 1000,
	SHOAL_CTL_PLUGIN_METRICS_MAX = 1024 * 1024,
};

enum shoal_ctl_status {
	SHOAL_CTL_OK = 0,
	SHOAL_CTL_CREATED,
	SHOAL_CTL_REPLACED,
	SHOAL_CTL_INVALID,     /* 400 */
	SHOAL_CTL_NOT_FOUND,   /* 404 */
	SHOAL_CTL_CONFLICT,    /* 409 */
	SHOAL_CTL_FULL,        /* 507 or 409: table full */
	SHOAL_CTL_UNAVAILABLE, /* 503: queue full / shutting down */
	SHOAL_CTL_STORAGE,     /* 500 storage_failed */
	SHOAL_CTL_INTERNAL,    /* 500 */
};

struct shoal_ctl_error {
	enum shoal_ctl_status status;
	char code[40];     /* e.g. invalid_prefix, route_exists, connected_route */
	char message[256]; /* one line, for humans */
};

enum shoal_ctl_origin { SHOAL_CTL_ORIGIN_CONNECTED, SHOAL_CTL_ORIGIN_STATIC };

struct shoal_ctl_route {
	uint32_t prefix;
	uint8_t prefix_len;
	bool has_next_hop;
	uint32_t next_hop;
	char interface[16];
	enum shoal_ctl_origin origin;
	/* datagrams and bytes (IPv4 length) the data plane forwarded through this route's next
	 * hop in the LPM (routes sharing a next hop — same gateway and interface — share it) */
	uint64_t packets, bytes;
};

/* A route as a client asked for it; validated by control. */
struct shoal_ctl_route_spec {
	uint32_t prefix;
	uint8_t prefix_len;
	bool has_next_hop;
	uint32_t next_hop;
	bool has_interface;
	char interface[16];
};

enum shoal_ctl_op_kind { SHOAL_CTL_OP_ADD, SHOAL_CTL_OP_PUT, SHOAL_CTL_OP_DELETE };

struct shoal_ctl_op {
	enum shoal_ctl_op_kind kind;
	struct shoal_ctl_route_spec route; /* DELETE: only prefix and prefix_len count */
};

struct shoal_ctl_arp_entry {
	char interface[16];
	uint32_t ip;
	uint8_t mac[6]; /* zero when pending */
	enum { SHOAL_CTL_ARP_DYNAMIC, SHOAL_CTL_ARP_STATIC, SHOAL_CTL_ARP_PENDING } state;
	uint64_t expires_in_ms; /* dynamic: until expiry; pending: until give-up; static: 0 */
	uint32_t queued;        /* pending only */
};

struct shoal_ctl_interface {
	char name[16];
	char kind[4]; /* "tap" or "tun" */
	uint32_t address;
	uint8_t prefix_len;
	uint8_t mac[6];
	bool has_mac; /* tap */
	uint32_t mtu;
	bool up;
	bool offload;
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	uint64_t drops[SHOAL_DP_DROP_COUNT_];        /* names: shoal_dp_drop_names[] */
	uint64_t arp_drops[SHOAL_NETIF_DROP_COUNT_]; /* TAP only; names: shoal_netif_drop_names[] */
	uint64_t arp_requests_out, arp_replies_out;  /* TAP only */
	uint64_t arp[SHOAL_NETIF_ARP_COUNT_];        /* TAP only; shoal_netif_arp_counter_names */
};

struct shoal_ctl_plugin {
	char name[32];
	char version[32];
	char description[128];
	char path[256];
	uint16_t abi_major, abi_minor;
	uint64_t hook_calls[SHOAL_PLUGIN_HOOK_COUNT_];
	uint64_t verdicts[SHOAL_PLUGIN_HOOK_COUNT_][3]; /* by enum shoal_plugin_verdict */
	size_t n_counters;
	struct {
		char name[32];
		uint64_t value;
	} counters[32];
	size_t n_drops;
	struct {
		char name[32];
		uint64_t value;
	} drops[32];
	uint64_t input_datagrams, input_refused; /* ABI 1.4 api->input_datagram calls */
};

struct shoal_ctl;

/* Data-plane thread, at start. state_dir: where state.db lives (may be NULL or "": nothing
 * is persisted). Returns NULL with a message in err. */
struct shoal_ctl *shoal_ctl_create(struct shoal_dp *dp, struct shoal_cmdq *q, const char *state_dir,
                                   char *err, size_t err_size);
/* Data-plane thread, after create: opens <state_dir>/state.db (store.h: created when missing,
 * importing a state.json) and applies it on top of the configuration. Returns 0, or -1 with a
 * message naming the file in err (corrupt, unreadable, or an entry that cannot be applied). */
int shoal_ctl_restore(struct shoal_ctl *c, char *err, size_t err_size);
/* Data-plane thread, after every other caller is gone. NULL is a no-op. */
void shoal_ctl_destroy(struct shoal_ctl *c);
/* SIGHUP needs nothing from control: shoal_dp_reload swaps the configuration routes under
 * the API overlay (routes.h), and static ARP entries are not part of the configuration. */

/* Every function below: any thread but the data plane; blocks; returns the status (also in
 * e). */

/* within NULL: all routes; else those equal to or inside that prefix. Sorted by (prefix,
 * length). *out malloc'd, caller frees. */
enum shoal_ctl_status shoal_ctl_routes_list(struct shoal_ctl *c,
                                            const struct shoal_ctl_route_spec *within,
                                            struct shoal_ctl_route **out, size_t *n,
                                            struct shoal_ctl_error *e);
/* NOT_FOUND no_route when nothing matches addr. */
enum shoal_ctl_status shoal_ctl_route_lookup(struct shoal_ctl *c, uint32_t addr,
                                             struct shoal_ctl_route *out,
                                             struct shoal_ctl_error *e);
/* CREATED | CONFLICT route_exists | INVALID | FULL | STORAGE. out may be NULL. */
enum shoal_ctl_status shoal_ctl_route_add(struct shoal_ctl *c, const struct shoal_ctl_route_spec *r,
                                          struct shoal_ctl_route *out, struct shoal_ctl_error *e);
/* CREATED | REPLACED | CONFLICT connected_route | INVALID | FULL | STORAGE. */
enum shoal_ctl_status shoal_ctl_route_put(struct shoal_ctl *c, const struct shoal_ctl_route_spec *r,
                                          struct shoal_ctl_route *out, struct shoal_ctl_error *e);
/* OK | NOT_FOUND route_not_found | CONFLICT connected_route | INVALID | STORAGE. */
enum shoal_ctl_status shoal_ctl_route_delete(struct shoal_ctl *c, uint32_t prefix, uint8_t len,
                                             struct shoal_ctl_error *e);
/* All or nothing: OK when every op applied; otherwise nothing changed, *failed_index (may be
 * NULL) is the first failing op and e its error. */
enum shoal_ctl_status shoal_ctl_route_batch(struct shoal_ctl *c, const struct shoal_ctl_op *ops,
                                            size_t n, size_t *failed_index,
                                            struct shoal_ctl_error *e);

/* interface NULL: all TAPs. INVALID unknown_interface. Sorted by (interface order, ip). */
enum shoal_ctl_status shoal_ctl_arp_list(struct shoal_ctl *c, const char *interface,
                                         struct shoal_ctl_arp_entry **out, size_t *n,
                                         struct shoal_ctl_error *e);
/* interface NULL: the TAP whose connected network holds ip. CREATED (also when it replaced an
 * entry) | INVALID invalid_mac / unknown_interface / not_arp_interface (tun) / ip_not_on_link
 * / invalid_ip (a router address) | FULL arp_cache_full | STORAGE. */
enum shoal_ctl_status shoal_ctl_arp_add_static(struct shoal_ctl *c, const char *interface,
                                               uint32_t ip, const uint8_t mac[6],
                                               struct shoal_ctl_arp_entry *out,
                                               struct shoal_ctl_error *e);
/* interface NULL: any. OK | NOT_FOUND arp_entry_not_found | INVALID unknown_interface |
 * STORAGE. Any entry (dynamic, pending, static). */
enum shoal_ctl_status shoal_ctl_arp_delete(struct shoal_ctl *c, const char *interface, uint32_t ip,
                                           struct shoal_ctl_error *e);
/* Dynamic (and pending) entries only; interface NULL: every TAP. */
enum shoal_ctl_status shoal_ctl_arp_flush(struct shoal_ctl *c, const char *interface,
                                          size_t *flushed, struct shoal_ctl_error *e);

/* In configuration order. */
enum shoal_ctl_status shoal_ctl_interfaces(struct shoal_ctl *c, struct shoal_ctl_interface **out,
                                           size_t *n, struct shoal_ctl_error *e);
/* In load order. */
enum shoal_ctl_status shoal_ctl_plugins(struct shoal_ctl *c, struct shoal_ctl_plugin **out,
                                        size_t *n, struct shoal_ctl_error *e);
/* CREATED | CONFLICT plugin_exists (already loaded) | INVALID plugin_load_failed (message =
 * the host's error) / invalid_plugin_name (not [a-z0-9_]{1,31}: never a path). config_json
 * NULL: "{}". out may be NULL. */
enum shoal_ctl_status shoal_ctl_plugin_load(struct shoal_ctl *c, const char *name,
                                            const char *config_json, struct shoal_ctl_plugin *out,
                                            struct shoal_ctl_error *e);
/* OK | NOT_FOUND plugin_not_found. */
enum shoal_ctl_status shoal_ctl_plugin_unload(struct shoal_ctl *c, const char *name,
                                              struct shoal_ctl_error *e);
/* Plugin endpoints /api/v1/NAME/SUBPATH (plugin ABI 1.1 `http` hook, run on the data plane).
 * body may be NULL. On OK: *http_status is the plugin's status and *reply_body (malloc'd,
 * JSON text, caller frees) its reply. NOT_FOUND plugin_not_found when no plugin NAME is
 * loaded or it has no http hook; INTERNAL plugin_failed when the hook failed. */
enum shoal_ctl_status shoal_ctl_plugin_http(struct shoal_ctl *c, const char *name,
                                            const struct shoal_http_request *req,
                                            unsigned *http_status, char **reply_body,
                                            struct shoal_ctl_error *e);

/* Why a plugin's metrics hook gave no lines (X-macro: enum, names, metric label). */
#define SHOAL_CTL_PMETRICS_ERRORS(X)                                                               \
	X(timeout, "the hook did not return within SHOAL_CTL_PLUGIN_METRICS_WAIT_MS (detached)")   \
	X(failed, "the hook returned an error or text that is not NUL-terminated")                 \
	X(too_large, "the output did not fit SHOAL_CTL_PLUGIN_METRICS_MAX bytes")
enum shoal_ctl_pmetrics_error {
#define SHOAL_CTL_PMETRICS_ENUM_(n, d) SHOAL_CTL_PMETRICS_##n,
	SHOAL_CTL_PMETRICS_ERRORS(SHOAL_CTL_PMETRICS_ENUM_)
#undef SHOAL_CTL_PMETRICS_ENUM_
	    SHOAL_CTL_PMETRICS_COUNT_
};
static inline const char *shoal_ctl_pmetrics_error_name(enum shoal_ctl_pmetrics_error r)
{
	static const char *const names[SHOAL_CTL_PMETRICS_COUNT_] = {
#define SHOAL_CTL_PMETRICS_NAME_(n, d) #n,
	    SHOAL_CTL_PMETRICS_ERRORS(SHOAL_CTL_PMETRICS_NAME_)
#undef SHOAL_CTL_PMETRICS_NAME_
	};
	return (unsigned)r < SHOAL_CTL_PMETRICS_COUNT_ ? names[r] : "?";
}
struct shoal_ctl_plugin_metrics {
	char name[32];
	uint64_t errors[SHOAL_CTL_PMETRICS_COUNT_];
};

/* GET /metrics: what the core adds to the interfaces and plugins reads. shoal_ctl_metrics is
 * one data-plane command that runs no plugin code (it lists the loaded plugins in plugins);
 * shoal_ctl_metrics_plugins, called last, runs each plugin's metrics hook as its own
 * detachable command (like plugin commands), all within SHOAL_CTL_PLUGIN_METRICS_WAIT_MS: a
 * hook that stalls is left running in the background and the scrape answers without its lines
 * (and without those of the plugins after it), counting a timeout for it. */
/* X(suffix, name, help): the group committer's counters (kept under control's lock, bumped once
 * per commit). GET /metrics shows them as shoal_store_<name>_total with this help; committed
 * mutations / commits is the mean group size (how many writers shared one fdatasync). */
#define SHOAL_CTL_STORE_COUNTERS(X)                                                                \
	X(COMMITS, "commits", "Group commits written to state.db (one fdatasync each).")           \
	X(MUTATIONS, "committed_mutations",                                                        \
	  "Mutations (API writes: a route, a batch, an ARP entry) saved by those commits.")        \
	X(FAILED, "commit_failures", "Group commits that failed; their mutations were undone.")

#define SHOAL_CTL_STORE_ENUM_(suffix, name, help) SHOAL_CTL_STORE_##suffix,
enum shoal_ctl_store_counter {
	SHOAL_CTL_STORE_COUNTERS(SHOAL_CTL_STORE_ENUM_) SHOAL_CTL_STORE_COUNT_
};
#undef SHOAL_CTL_STORE_ENUM_

struct shoal_ctl_metrics {
	bool public_;        /* a plugin made /metrics public (api->metrics_options) */
	int64_t route_limit; /* 0 none, N top N by packets, -1 all */
	struct shoal_dp_stats dp;
	bool runtime_on;
	struct shoal_dp_stage runtime[SHOAL_DP_STAGE_COUNT_];
	size_t n_routes; /* the selected routes, by packets descending (all: table order) */
	struct shoal_ctl_route *routes;
	char *plugin_text; /* the plugins' metrics hooks' output, concatenated ("" none) */
	/* every loaded plugin (load order) with its metrics hook's failures since it was loaded
	 * (shoal_plugin_metrics_errors_total): a failing hook loses its lines, never the scrape */
	size_t n_plugins;
	struct shoal_ctl_plugin_metrics *plugins;
	/* the command queue's counters (cmdq.h table), read after the metrics command ran */
	unsigned long long cmdq[SHOAL_CMDQ_CTR_COUNT_];
	/* the group committer's counters (SHOAL_CTL_STORE_COUNTERS) */
	unsigned long long store[SHOAL_CTL_STORE_COUNT_];
};
/* One data-plane command. Free with shoal_ctl_metrics_free. */
enum shoal_ctl_status shoal_ctl_metrics(struct shoal_ctl *c, struct shoal_ctl_metrics *out,
                                        struct shoal_ctl_error *e);
void shoal_ctl_metrics_free(struct shoal_ctl_metrics *m);
/* Fills m->plugin_text and the plugins' error counts (m from shoal_ctl_metrics). OK, or
 * INTERNAL out_of_memory; a plugin that fails or stalls is counted, not an error. */
enum shoal_ctl_status shoal_ctl_metrics_plugins(struct shoal_ctl *c, struct shoal_ctl_metrics *m,
                                                struct shoal_ctl_error *e);

struct shoal_ctl_health {
	bool responsive;        /* a no-op command made the round trip within timeout_ms */
	uint64_t last_loop_ms;  /* since the data-plane loop last completed an iteration */
	uint64_t round_trip_us; /* of the no-op command (or of the wait, when it timed out) */
	unsigned timeout_ms;
};

/* The data plane's health: a no-op round trip through the command queue bounded by
 * SHOAL_CTL_HEALTH_WAIT_MS, plus the loop's heartbeat (shoal_dp_last_loop_ms). Always fills
 * *out; OK when responsive, else UNAVAILABLE dataplane_busy (or shutting_down). */
enum shoal_ctl_status shoal_ctl_health(struct shoal_ctl *c, struct shoal_ctl_health *out,
                                       struct shoal_ctl_error *e);
/* Tests: other bounds than SHOAL_CTL_WAIT_MS / SHOAL_CTL_HEALTH_WAIT_MS. Before any call. */
/* True while a group commit is being written: a mutation made now would wait for that
 * commit and then for its own. The HTTP server uses it to move such a request off its
 * connection thread (api.h); the answer is a hint, stale as soon as it is read. */
bool shoal_ctl_commit_busy(struct shoal_ctl *c);

void shoal_ctl_set_wait_ms(struct shoal_ctl *c, unsigned wait_ms, unsigned health_wait_ms);

/* "ok", "created", ..., for logs. */
const char *shoal_ctl_status_name(enum shoal_ctl_status s);
/* Fills e (when not NULL) with status, machine code and message, and returns st: the one way
 * control reports an error (module errors, e.g. routes.h's, are turned into this in
 * control.c). */
enum shoal_ctl_status shoal_ctl_error_set(struct shoal_ctl_error *e, enum shoal_ctl_status st,
                                          const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The host side of the uplink (hostcfg.h): shoald sets it once at start, before the API
 * runs (NULL: no host section). */
struct shoal_hostcfg;
void shoal_ctl_set_host(struct shoal_ctl *c, struct shoal_hostcfg *host);
/* GET /api/v1/host: what shoald set up on the host, read back from the kernel, with drift
 * (shoal_hostcfg_report()). It runs on the data-plane thread like the other calls — not for
 * data-plane state but for the capabilities only that thread keeps (privdrop.h). *out is a
 * new reference. */
enum shoal_ctl_status shoal_ctl_host(struct shoal_ctl *c, json_t **out, struct shoal_ctl_error *e);

#ifdef __cplusplus
}
#endif

#endif
