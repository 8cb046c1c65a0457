/*
 * routes.h — shoald's static route table of record, with origins and the API overlay.
 *
 * Role: knows every route and where it came from: connected networks (from the
 * interfaces), configuration routes, routes set through the API, and configuration routes
 * the API deleted. The effective route of a prefix is, in order: the API's route; nothing
 * when the API deleted it; the configuration's route; the connected network. The forwarding
 * table (the LPM) mirrors the effective routes through the apply callback, called once for
 * every prefix whose effective route changes (NULL entry = delete). This module does no I/O;
 * shoal_routes_lpm_apply is the apply callback that mirrors into a shoal_lpm (the data
 * plane's), and shoal_routes_resolve answers "where does addr go" from that LPM — what
 * forwarding uses — naming the route record behind the answer. Tested alone
 * (tests/unit/router/test_routes.c) and against a real LPM and a model
 * (tests/unit/router/test_routes_lpm.c).
 *
 * Changes made through the API are two-phase: shoal_routes_save() opens a journal (no copy:
 * the cost of a change is that of its edits, not of the table), shoal_routes_op() validates
 * one operation against the current overlay and applies it to the overlay only, recording
 * the edit (the table is not touched yet), and shoal_routes_commit() pushes the difference
 * of the touched prefixes to the table — or, when the table refuses (full), puts everything
 * back as it was saved. A batch is several ops between one save and one commit: if an op
 * fails, shoal_routes_abandon() puts the overlay back without touching the table (all or
 * nothing). After a commit the journal is the change's undo record:
 * shoal_routes_changes() lists the rows it changed for the store (store.h), and
 * shoal_routes_restore() undoes it (storage failure). Committed changes are undone newest
 * first. One journal is open at a time.
 *
 * SIGHUP: shoal_routes_set_config() swaps the configuration routes; prefixes the API set
 * or deleted keep their API state.
 *
 * Validation of route specifications (the 400 rules of the HTTP API) lives here: canonical
 * prefix, length 0..32, a known interface, a next hop inside a connected network (that of
 * the interface when one is given) and not a router address, and at least one of next hop
 * and interface.
 *
 * Errors: functions that can refuse return enum shoal_routes_status (the table below: a
 * status and the machine code a client sees) and, when err is not NULL, fill err with the
 * status and a one-line message. This module knows nothing of control or HTTP: control.c
 * turns a status into a control error (class + code) in one table.
 *
 * Ownership: create allocates, destroy frees; saved overlays are freed by commit, abandon
 * or restore (or shoal_routes_saved_free). Single-threaded (the data-plane thread).
 */
#ifndef SHOAL_ROUTES_H
#define SHOAL_ROUTES_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shoal/state.h"
#include "shoal/store.h"

enum {
	SHOAL_ROUTES_MAX_IFS = 64,
	SHOAL_ROUTES_MAX_API = 262144, /* routes set through the API at most */
};

/* X(status, machine code). Successes first. */
#define SHOAL_ROUTES_STATUS_TABLE(X)                                                               \
	X(OK, "ok")                                                                                \
	X(CREATED, "created")                                                                      \
	X(REPLACED, "replaced")                                                                    \
	X(INVALID_PREFIX_LENGTH, "invalid_prefix_length")                                          \
	X(INVALID_PREFIX, "invalid_prefix")                                                        \
	X(MISSING_NEXT_HOP, "missing_next_hop")                                                    \
	X(UNKNOWN_INTERFACE, "unknown_interface")                                                  \
	X(INVALID_NEXT_HOP, "invalid_next_hop")                                                    \
	X(NEXT_HOP_UNREACHABLE, "next_hop_unreachable")                                            \
	X(ROUTE_EXISTS, "route_exists")                                                            \
	X(CONNECTED_ROUTE, "connected_route")                                                      \
	X(ROUTE_NOT_FOUND, "route_not_found")                                                      \
	X(TABLE_FULL, "route_table_full")                                                          \
	X(NO_MEMORY, "out_of_memory")

enum shoal_routes_status {
#define SHOAL_ROUTES_STATUS_ENUM(name, code) SHOAL_ROUTES_##name,
	SHOAL_ROUTES_STATUS_TABLE(SHOAL_ROUTES_STATUS_ENUM)
#undef SHOAL_ROUTES_STATUS_ENUM
	    SHOAL_ROUTES_STATUS_COUNT_
};

struct shoal_routes_error {
	enum shoal_routes_status status;
	char message[256]; /* one line, for humans */
};

/* The machine code of st ("route_exists", ...). */
const char *shoal_routes_status_code(enum shoal_routes_status st);
/* OK, CREATED or REPLACED. */
bool shoal_routes_status_ok(enum shoal_routes_status st);

/* A route as a client asked for it (validated by shoal_routes_validate). */
struct shoal_routes_spec {
	uint32_t prefix;
	uint8_t prefix_len;
	bool has_next_hop;
	uint32_t next_hop;
	bool has_interface;
	char interface[16];
};

enum shoal_routes_op_kind { SHOAL_ROUTES_OP_ADD, SHOAL_ROUTES_OP_PUT, SHOAL_ROUTES_OP_DELETE };

struct shoal_routes_if {
	char name[16];
	uint32_t address;
	uint8_t prefix_len;
};

struct shoal_routes_entry {
	uint32_t prefix;
	uint8_t prefix_len;
	bool has_next_hop;
	uint32_t next_hop;
	unsigned ifindex;
};

enum shoal_routes_origin { SHOAL_ROUTES_CONNECTED, SHOAL_ROUTES_CONFIG, SHOAL_ROUTES_API };

struct shoal_routes_route {
	struct shoal_routes_entry e;
	enum shoal_routes_origin origin;
};

/* Makes the forwarding table match: e NULL deletes prefix/len. Returns 0, or -1 when the
 * table cannot take it (full, no memory). */
typedef int (*shoal_routes_apply_fn)(void *ctx, uint32_t prefix, uint8_t prefix_len,
                                     const struct shoal_routes_entry *e);

/* Brackets a group of apply calls (end false: before them, true: after them) so the table
 * can apply them at once: apply may then defer work, and end reports what could not be
 * done (-1). After a failed end every apply of the group is undone (inside another
 * bracket). Optional: shoal_routes_set_batch. */
typedef int (*shoal_routes_batch_fn)(void *ctx, bool end);

struct shoal_routes;
struct shoal_routes_saved;

/* Installs the connected networks through apply. NULL on ENOMEM or apply failure. */
struct shoal_routes *shoal_routes_create(const struct shoal_routes_if *ifs, unsigned n_ifs,
                                         shoal_routes_apply_fn apply, void *ctx);
void shoal_routes_destroy(struct shoal_routes *r);
/* Sets the bracket of groups of apply calls (NULL: none, every apply takes effect alone). */
void shoal_routes_set_batch(struct shoal_routes *r, shoal_routes_batch_fn batch);

/* Replaces the configuration routes (entries need not be sorted; keys unique). Returns 0,
 * or -1 when apply refused some prefix (the rest is applied). */
int shoal_routes_set_config(struct shoal_routes *r, const struct shoal_routes_entry *e, size_t n);

/* Length (0..32) and canonical form of prefix/len: INVALID_PREFIX_LENGTH, or
 * INVALID_PREFIX "A/L has host bits set; did you mean B/L?". */
enum shoal_routes_status shoal_routes_prefix_check(uint32_t prefix, unsigned len,
                                                   struct shoal_routes_error *err);

/* Validates a spec into an entry. OK, or INVALID_PREFIX(_LENGTH) / MISSING_NEXT_HOP /
 * UNKNOWN_INTERFACE / INVALID_NEXT_HOP / NEXT_HOP_UNREACHABLE with *err filled. */
enum shoal_routes_status shoal_routes_validate(const struct shoal_routes *r,
                                               const struct shoal_routes_spec *spec,
                                               struct shoal_routes_entry *out,
                                               struct shoal_routes_error *err);

/* Opens the journal of a change. NULL: ENOMEM. */
struct shoal_routes_saved *shoal_routes_save(struct shoal_routes *r);
/* One API operation on the overlay only (see above). ADD: CREATED | ROUTE_EXISTS; PUT:
 * CREATED | REPLACED | CONNECTED_ROUTE; DELETE: OK | ROUTE_NOT_FOUND | CONNECTED_ROUTE; any:
 * a validation status | TABLE_FULL | NO_MEMORY. */
enum shoal_routes_status shoal_routes_op(struct shoal_routes *r, enum shoal_routes_op_kind kind,
                                         const struct shoal_routes_spec *spec,
                                         struct shoal_routes_error *err);
/* Pushes the changes since save to the table and closes the journal. 0: saved is now the
 * change's undo record (caller frees it, or restores it); -1 (table full or ENOMEM): overlay
 * and table are back as saved, saved freed. */
int shoal_routes_commit(struct shoal_routes *r, struct shoal_routes_saved *saved);
/* Overlay back to saved, table untouched (nothing was committed); frees saved. */
void shoal_routes_abandon(struct shoal_routes *r, struct shoal_routes_saved *saved);
/* Overlay and table back to before a committed change (every later change already
 * undone); frees saved. -1 when it could not (ENOMEM, or the table refused): nothing
 * changed, saved kept. */
int shoal_routes_restore(struct shoal_routes *r, struct shoal_routes_saved *saved);
void shoal_routes_saved_free(struct shoal_routes_saved *saved);
/* The store rows a committed change touched, as they are now (one per overlay set and
 * prefix: route put/delete, deleted-prefix put/delete). *out malloc'd (NULL when *n is 0).
 * 0 or -ENOMEM. */
int shoal_routes_changes(const struct shoal_routes *r, const struct shoal_routes_saved *saved,
                         struct shoal_store_change **out, size_t *n);

/* The effective route of exactly prefix/len. */
bool shoal_routes_get(const struct shoal_routes *r, uint32_t prefix, uint8_t prefix_len,
                      struct shoal_routes_route *out);
/* The longest effective route holding addr. */
bool shoal_routes_lookup(const struct shoal_routes *r, uint32_t addr,
                         struct shoal_routes_route *out);
/* Effective routes equal to or inside within/within_len (within_len 0: all), sorted by
 * (prefix, length); *out malloc'd (NULL when *n is 0). Returns 0 or -ENOMEM. */
int shoal_routes_list(const struct shoal_routes *r, uint32_t within, uint8_t within_len,
                      struct shoal_routes_route **out, size_t *n);
const char *shoal_routes_if_name(const struct shoal_routes *r, unsigned ifindex);
/* The interface whose connected network holds addr, or -1. */
int shoal_routes_if_for(const struct shoal_routes *r, uint32_t addr);
int shoal_routes_if_by_name(const struct shoal_routes *r, const char *name);

/* Applies a state's routes on top (deletions first, then routes; validated like API
 * requests; of two routes for one prefix the later wins) and pushes them to the table in
 * O(n log n). 0, or -1 with "routes[i]: ..." in err (nothing applied). */
int shoal_routes_import(struct shoal_routes *r, const struct shoal_state *s, char *err,
                        size_t err_size);

/* Per-route counters, exact: every effective route (each prefix the forwarding table holds)
 * has its own packets/bytes, bumped by the data plane for the route that carried a datagram
 * (shoal_lpm_match names it). A route starts at zero when it appears, keeps its counts when
 * replaced (same prefix, other next hop or origin: the record is the prefix's), and loses
 * them when deleted. Counting is a hash probe and two increments: no allocation (room is
 * reserved when a route is added, which fails like a full table when it cannot be). */
void shoal_routes_count(struct shoal_routes *r, uint32_t prefix, uint8_t prefix_len,
                        uint64_t bytes);
/* The counters of exactly prefix/len (0 when no such route). */
void shoal_routes_counters(const struct shoal_routes *r, uint32_t prefix, uint8_t prefix_len,
                           uint64_t *packets, uint64_t *bytes);
/* Every effective route's counters, in no particular order (a sequential scan: what a top-N
 * selection reads instead of one probe per route); a non-zero return from cb stops it. */
typedef int (*shoal_routes_counter_fn)(void *ctx, uint32_t prefix, uint8_t prefix_len,
                                       uint64_t packets, uint64_t bytes);
int shoal_routes_counters_foreach(const struct shoal_routes *r, shoal_routes_counter_fn cb,
                                  void *ctx);

/* The forwarding table side. */
struct shoal_lpm;
struct shoal_lpm_nh;

/* The apply callback for a struct shoal_lpm (ctx): replace, or delete (absent is fine). */
int shoal_routes_lpm_apply(void *lpm, uint32_t prefix, uint8_t prefix_len,
                           const struct shoal_routes_entry *e);
/* The batch bracket for a struct shoal_lpm: its deferred updates (shoal_lpm_defer_begin/end:
 * each /16 touched by a group is rebuilt once). */
int shoal_routes_lpm_batch(void *lpm, bool end);

enum shoal_routes_resolve {
	SHOAL_ROUTES_RESOLVE_OK,       /* *fwd: the LPM's next hop; *out: the route behind it */
	SHOAL_ROUTES_RESOLVE_NO_ROUTE, /* the LPM has no route for addr: forwarding drops it */
	/* the LPM forwards addr (*fwd) but no effective route accounts for it: the longest
	 * effective route holding addr is missing, has another next hop, or is not in the LPM */
	SHOAL_ROUTES_RESOLVE_MISMATCH,
};

/* Where the forwarding table sends addr (shoal_lpm_lookup, the data plane's lookup), and
 * the route record behind that answer (the longest effective route holding addr, which
 * must be in the LPM with that next hop). */
enum shoal_routes_resolve shoal_routes_resolve(const struct shoal_routes *r,
                                               const struct shoal_lpm *lpm, uint32_t addr,
                                               struct shoal_routes_route *out,
                                               struct shoal_lpm_nh *fwd);

#ifdef __cplusplus
}
#endif

#endif
