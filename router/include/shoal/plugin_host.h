/*
 * plugin_host.h — loads, runs and unloads plugins (the spec is shoal/plugin.h).
 *
 * Role: the daemon's side of the plugin ABI. load() resolves a plugin by name
 * (<plugin_dir>/<name>.so) or by path (anything containing '/'), dlopen()s it with
 * RTLD_NOW | RTLD_LOCAL, finds the `shoal_plugin` descriptor, checks the ABI before running any
 * plugin code, calls init and, on success, appends the plugin to the ordered list. run()
 * passes a datagram through one hook of every loaded plugin in load order, stopping at the
 * first CONSUMED or DROP. unload() calls fini, removes everything the plugin registered and
 * dlclose()s it.
 *
 * Invariants:
 *   - A failed load (missing file, missing symbol, ABI mismatch, bad descriptor, duplicate
 *     name, bad config, init failure) leaves the host exactly as before: the list, the
 *     registrations and the loaded objects are unchanged, and err holds one line saying what
 *     went wrong (dlerror() text, both ABI versions, or the plugin's own reason).
 *   - The list order is load order; unload keeps the order of the others.
 *   - Registrations (drop reasons, counters) live in the plugin's slot and die with it.
 *
 * Thread model: single-threaded; everything (load, unload, run, tick, info) runs on the
 * data-plane thread, between packets. Other threads reach it through the command queue.
 *
 * Ownership: create allocates the host, destroy unloads every plugin (reverse load order)
 * and frees it. Strings in struct shoal_plugin_info point into host memory and stay valid
 * until the next load/unload/destroy. run/tick never allocate.
 */
#ifndef SHOAL_PLUGIN_HOST_H
#define SHOAL_PLUGIN_HOST_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shoal/plugin.h"
#include "shoal/state.h"

enum shoal_plugin_host_limits {
	SHOAL_PLUGIN_HOST_MAX_PLUGINS = 32,
	SHOAL_PLUGIN_HOST_MAX_COUNTERS = 32,     /* per plugin */
	SHOAL_PLUGIN_HOST_MAX_DROP_REASONS = 32, /* per plugin, including 0 = unspecified */
	SHOAL_PLUGIN_HOST_NAME_SIZE = 32,        /* names are [a-z0-9_]{1,31} */
	SHOAL_PLUGIN_HOST_ERR_SIZE = 512,        /* a comfortable size for load errors */
	SHOAL_PLUGIN_HOST_MAX_FD = 1 << 20,      /* fds above this cannot be watched */
};

/* What the daemon provides to plugins. Every member may be NULL: log then writes to stderr,
 * send_datagram fails with -ENOTSUP, now_ms reads CLOCK_MONOTONIC. */
struct shoal_plugin_host_env {
	void *user;
	void (*log)(void *user, enum shoal_log_level level, const char *plugin, const char *msg);
	int (*send_datagram)(void *user, const uint8_t *datagram, size_t len);
	uint64_t (*now_ms)(void *user);
	/* ABI 1.2 services (NULL: plugins' fd_watch and timer_set fail with -ENOTSUP,
	 * interface_info with -ENOENT). fd_watch adds fd to the event loop (events: EPOLLIN,
	 * EPOLLOUT; -EEXIST when the loop has it already); fn(arg, fd, epoll events) runs on the
	 * data-plane thread. fd_modify changes the events of an fd added by fd_watch. */
	int (*fd_watch)(void *user, int fd, uint32_t events,
	                void (*fn)(void *arg, int fd, uint32_t events), void *arg);
	int (*fd_modify)(void *user, int fd, uint32_t events);
	int (*fd_unwatch)(void *user, int fd);
	int (*interface_info)(void *user, uint32_t ifindex, struct shoal_interface_info *out);
	/* ABI 1.3 (NULL: output_datagram fails with -ENOTSUP): queue a datagram for ifindex's
	 * output after the egress hooks (see struct shoal_host_api). */
	int (*output_datagram)(void *user, uint32_t ifindex, uint32_t next_hop,
	                       const uint8_t *datagram, size_t len);
	/* Runs after every plugin fd or timer callback (NULL: nothing), so what the callback
	 * queued with send_datagram/output_datagram leaves at once, not at the next tick. */
	void (*after_callback)(void *user);
	/* ABI 1.3 services (NULL: interface_counters/runtime_stage give -ENOENT, runtime_enable
	 * -ENOTSUP). */
	int (*interface_counters)(void *user, uint32_t ifindex,
	                          struct shoal_interface_counters *out);
	int (*runtime_stage)(void *user, uint32_t index, struct shoal_runtime_stage *out);
	void (*runtime_enable)(void *user, bool on);
	/* ABI 1.4 (NULL: input_datagram fails with -ENOTSUP): queue a datagram for the receive
	 * pipeline of ifindex; its ingress hooks resume with the plugins whose load id is above
	 * after_id (shoal_plugin_host_run_after). */
	int (*input_datagram)(void *user, uint32_t ifindex, uint64_t after_id,
	                      const uint8_t *datagram, size_t len);
	/* ABI 1.4 (NULL: api->counter gives -ENOENT) */
	int (*counter)(void *user, uint32_t index, struct shoal_counter *out);
};

/* A named value: a plugin counter, or a drop reason with its drop count. */
struct shoal_plugin_stat {
	char name[SHOAL_PLUGIN_HOST_NAME_SIZE];
	char *description;
	uint64_t value;
};

struct shoal_plugin_info {
	const char *name;
	const char *version;
	const char *description;
	const char *path;
	uint16_t abi_major, abi_minor;
	uint64_t hook_calls[SHOAL_PLUGIN_HOOK_COUNT_];
	uint64_t verdicts[SHOAL_PLUGIN_HOOK_COUNT_][3]; /* indexed by enum shoal_plugin_verdict */
	size_t counter_count;
	const struct shoal_plugin_stat *counters;
	size_t drop_reason_count; /* including 0 = "unspecified" */
	const struct shoal_plugin_stat *drop_reasons;
	uint64_t input_datagrams, input_refused; /* ABI 1.4 api->input_datagram calls */
};

/* The one naming rule for plugins and their counters and drop reasons: [a-z0-9_]{1,31}
 * (the config, the control path and the API check plugin names with it too). */
bool shoal_plugin_name_valid(const char *name);

struct shoal_plugin_host;

/* plugin_dir may be NULL (then only paths load). env is copied. Returns NULL on ENOMEM. */
struct shoal_plugin_host *shoal_plugin_host_create(const char *plugin_dir,
                                                   const struct shoal_plugin_host_env *env);
void shoal_plugin_host_destroy(struct shoal_plugin_host *ph);

/* config_json: the plugin's config object as JSON text, NULL for "{}". Returns 0 or a
 * negative errno with a message in err (NUL-terminated when err_size > 0). */
int shoal_plugin_host_load(struct shoal_plugin_host *ph, const char *name_or_path,
                           const char *config_json, char *err, size_t err_size);
/* Unloads the plugin whose descriptor name is `name`. Returns 0 or -ENOENT (message in err). */
int shoal_plugin_host_unload(struct shoal_plugin_host *ph, const char *name, char *err,
                             size_t err_size);

size_t shoal_plugin_host_count(const struct shoal_plugin_host *ph);
/* Fills *out for the index-th plugin in load order. Returns 0 or -ENOENT. */
int shoal_plugin_host_info(const struct shoal_plugin_host *ph, size_t index,
                           struct shoal_plugin_info *out);
/* Total drop reasons and counters registered by all loaded plugins (0 = "unspecified" not
 * counted). */
size_t shoal_plugin_host_registration_count(const struct shoal_plugin_host *ph);

/* Runs `hook` over the loaded plugins in load order. Returns the first CONSUMED or DROP
 * verdict, or CONTINUE. On CONSUMED and DROP, *by (if not NULL) names the plugin that gave it;
 * on CONTINUE *by is NULL. On DROP, pkt->drop_reason is the plugin's (validated: an unknown id
 * becomes 0). */
enum shoal_plugin_verdict shoal_plugin_host_run(struct shoal_plugin_host *ph,
                                                enum shoal_plugin_hook hook,
                                                struct shoal_packet_view *pkt, const char **by);
/* The same over the plugins loaded after the one whose load id is after_id (plugins get ids
 * 1, 2, ... in load order; 0 runs them all): where a datagram handed back by a plugin's
 * api->input_datagram resumes, so it never meets that plugin's or an earlier one's hook
 * again. */
enum shoal_plugin_verdict
shoal_plugin_host_run_after(struct shoal_plugin_host *ph, enum shoal_plugin_hook hook,
                            uint64_t after_id, struct shoal_packet_view *pkt, const char **by);
/* Per-plugin-hook runtime: while on, shoal_plugin_host_run times every hook call
 * (CLOCK_MONOTONIC_RAW) into that hook's packets/ns. The data plane turns it on for the
 * sampled packet only (the same sampling as its stages). */
void shoal_plugin_host_sample(struct shoal_plugin_host *ph, bool on);
/* The index-th hook row (every loaded plugin's set hooks, load order); -ENOENT past. */
int shoal_plugin_host_runtime_hook(const struct shoal_plugin_host *ph, uint32_t index,
                                   struct shoal_runtime_hook *out);

/* The reply body capacity shoal_plugin_host_http needs (the host API's http_body_max). */
enum { SHOAL_PLUGIN_HOST_HTTP_BODY_MAX = 16 * 1024 * 1024 };
/* Allocates a reply whose body holds SHOAL_PLUGIN_HOST_HTTP_BODY_MAX bytes (free() it), NULL
 * on ENOMEM. Only the pages a plugin writes are touched. */
struct shoal_http_reply *shoal_plugin_host_http_reply_new(void);
/* Calls the http_request hook (ABI >= 1.2) or else the http hook (ABI 1.1) of the plugin named
 * name with a reply (from shoal_plugin_host_http_reply_new) preset to 200 and "{}". Returns 0
 * (reply filled), -ENOENT (no such plugin), -ENOTSUP (no http hook, or a 1.0 plugin),
 * -EINVAL (query parameters for a 1.1 plugin, which cannot see them) or -EIO (the hook
 * failed, or left an invalid status or an unterminated body). */
int shoal_plugin_host_http(struct shoal_plugin_host *ph, const char *name,
                           const struct shoal_http_request *req, struct shoal_http_reply *reply);
/* ABI 1.3: GET /metrics options over the loaded plugins (api->metrics_options): public when
 * one said so; route_limit the largest asked (-1 all), 0 when nobody asked. */
void shoal_plugin_host_metrics_options(const struct shoal_plugin_host *ph, bool *public_,
                                       int64_t *route_limit);
/* ABI 1.3: the index-th plugin's (load order) metrics hook into buf: the length written, 0
 * when it has none (or is older than 1.3), -ENOENT past the last, -ENOSPC when buf is too
 * small, -EIO when the plugin wrote no terminated text. */
int shoal_plugin_host_metrics(struct shoal_plugin_host *ph, size_t index, char *buf, size_t cap);
/* ---- durable records (ABI 1.3: api->store_put, descriptor store_load) ----
 * The host keeps every plugin's committed-or-staged records (also of plugins not loaded now,
 * so a later load gets them). store_put, valid only during shoal_plugin_host_http, updates
 * that set and stages the change with the value it replaced; the caller takes the staged
 * changes after the call, commits them, and undoes them (staged_undo) when the commit fails. */
struct shoal_plugin_staged_record {
	struct shoal_state_record now, before; /* plugin and key set in both */
	bool now_deleted, before_deleted;      /* the record is absent now / was absent before */
};
struct shoal_plugin_staged {
	size_t n;
	struct shoal_plugin_staged_record *r; /* in staging order */
};
/* Replaces the host's records with those of s (copies) and hands each loaded plugin its own
 * through store_load (failures are logged). Returns 0 or -ENOMEM. */
int shoal_plugin_host_records_restore(struct shoal_plugin_host *ph, const struct shoal_state *s);
/* The changes staged by the last shoal_plugin_host_http call (NULL when none); the caller
 * owns them (shoal_plugin_staged_free). */
struct shoal_plugin_staged *shoal_plugin_host_staged_take(struct shoal_plugin_host *ph);
/* Undoes st newest first: the host's records and, for loaded plugins, store_load with the
 * previous value. Returns 0, or -EIO when a plugin's store_load failed (the rest is undone). */
int shoal_plugin_host_staged_undo(struct shoal_plugin_host *ph,
                                  const struct shoal_plugin_staged *st);
void shoal_plugin_staged_free(struct shoal_plugin_staged *st);

/* Calls every plugin's tick in load order. */
void shoal_plugin_host_tick(struct shoal_plugin_host *ph, uint64_t now_ms);

#ifdef __cplusplus
}
#endif

#endif
