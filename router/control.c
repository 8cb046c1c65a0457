/* control.c — the control API; contract in include/shoal/control.h. */
#include "shoal/control.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shoal/commitq.h"
#include "shoal/hostcfg.h"
#include "shoal/ipv4.h"
#include "shoal/log.h"
#include "shoal/loop.h"
#include "shoal/lpm.h"
#include "shoal/plugin_host.h"
#include "shoal/routes.h"
#include "shoal/state.h"
#include "shoal/store.h"

enum {
	CTL_RETRY_STEP_MS = 5, /* a full queue is retried this often until the deadline */
	CTL_PATH_MAX = 4096 + 16,
	CTL_HTTP_REPLY_MAX = 64 * 1024,
};

/* A mutation applied on the data plane and waiting for its rows to be committed. Lives in
 * the caller's command (its stack) until done. */
struct ctl_txn {
	struct shoal_commitq_item item;     /* first: a group's items are txns */
	struct shoal_store_change *changes; /* malloc'd; the caller frees */
	size_t n;
	struct shoal_routes_saved *undo;    /* route change: its journal (NULL once undone) */
	struct ctl_arp_cmd *arp;            /* ARP change: what it replaced */
	struct shoal_plugin_staged *staged; /* plugin records: what they replaced */
	enum shoal_ctl_status st;           /* final once the item is settled */
	struct shoal_ctl_error err;
};

struct shoal_ctl {
	struct shoal_dp *dp;
	struct shoal_cmdq *q;
	bool persist;
	char state_dir[CTL_PATH_MAX];
	struct shoal_store *store; /* used by the one committer at a time */
	/* Group commit (commitq.h): applied, uncommitted mutations (pushed by the data plane in
	 * apply order) and their writers. Its lock, like lock below, is never held across I/O
	 * or a command wait, so the data plane never waits on fsync. */
	struct shoal_commitq commits;
	pthread_mutex_t lock; /* the store counters and read-only mode */
	unsigned long long store_ctr[SHOAL_CTL_STORE_COUNT_];
	bool read_only;
	char read_only_why[160];
	pthread_mutex_t plugin_lock; /* serializes plugin load/unload */
	struct shoal_hostcfg *host;  /* the uplink's host side (NULL: none) */
	unsigned wait_ms;            /* bound of every wait on the data plane */
	unsigned health_wait_ms;
	/* GET /metrics: each loaded plugin's metrics hook failures (kept for loaded plugins) */
	pthread_mutex_t metrics_lock;
	size_t n_pmetrics;
	struct shoal_ctl_plugin_metrics pmetrics[SHOAL_PLUGIN_HOST_MAX_PLUGINS];
};

static void ctl_commit_group(void *arg, struct shoal_commitq_item *g);

static enum shoal_ctl_status ctl_ok(struct shoal_ctl_error *e, enum shoal_ctl_status st)
{
	if (e)
		*e = (struct shoal_ctl_error){.status = st};
	return st;
}

static bool ctl_status_good(enum shoal_ctl_status st)
{
	return st == SHOAL_CTL_OK || st == SHOAL_CTL_CREATED || st == SHOAL_CTL_REPLACED;
}

static void ctl_deadline(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static unsigned ctl_ms_left(const struct timespec *deadline)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long long ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
	               (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms > 0 ? (unsigned)ms : 0;
}

/* Runs fn(arg) on the data plane within timeout_ms (a full queue is retried until then).
 * OK when it ran; UNAVAILABLE otherwise (e filled): shutting_down, or dataplane_busy when
 * the data plane did not take it in time (then it never runs) or, with release, did not
 * finish it in time (then it finishes in the background and release frees arg). */
static enum shoal_ctl_status ctl_run_within(struct shoal_ctl *c, shoal_cmd_fn fn, void *arg,
                                            shoal_cmd_release_fn release, unsigned timeout_ms,
                                            bool *detached, struct shoal_ctl_error *e)
{
	if (detached)
		*detached = false;
	struct timespec deadline;
	ctl_deadline(&deadline, timeout_ms);
	for (;;) {
		int rc =
		    shoal_cmdq_submit_timed(c->q, fn, arg, NULL, ctl_ms_left(&deadline), release);
		switch (rc) {
		case 0:
			return SHOAL_CTL_OK;
		case -ESHUTDOWN:
			return shoal_ctl_error_set(e, SHOAL_CTL_UNAVAILABLE, "shutting_down",
			                           "the router is shutting down");
		case -ENOMEM:
			return shoal_ctl_error_set(e, SHOAL_CTL_INTERNAL, "out_of_memory",
			                           "out of memory");
		case -EINPROGRESS:
			if (detached)
				*detached = true;
			return shoal_ctl_error_set(
			    e, SHOAL_CTL_UNAVAILABLE, "dataplane_busy",
			    "the data plane did not finish the request within %u ms; it goes on in "
			    "the background",
			    timeout_ms);
		case -EAGAIN:
			if (ctl_ms_left(&deadline) > 0) {
				struct timespec ts = {.tv_nsec = CTL_RETRY_STEP_MS * 1000000L};
				nanosleep(&ts, NULL);
				continue;
			}
			break;
		default: /* -ETIMEDOUT: cancelled before it started */
			break;
		}
		return shoal_ctl_error_set(e, SHOAL_CTL_UNAVAILABLE, "dataplane_busy",
		                           "the data plane did not answer within %u ms; nothing "
		                           "was done",
		                           timeout_ms);
	}
}

/* Commands that run no plugin code: once started they finish in bounded time. */
static enum shoal_ctl_status ctl_run(struct shoal_ctl *c, shoal_cmd_fn fn, void *arg,
                                     struct shoal_ctl_error *e)
{
	return ctl_run_within(c, fn, arg, NULL, c->wait_ms, NULL, e);
}

/* The plugin lock within the wait bound: a plugin change stuck behind a stalled one gives up.
 * (Route and ARP changes take no such lock: they are ordered by the data plane and committed
 * by the group committer.) */
static enum shoal_ctl_status ctl_lock(struct shoal_ctl *c, struct shoal_ctl_error *e)
{
	struct timespec deadline;
	ctl_deadline(&deadline, c->wait_ms);
	if (pthread_mutex_clocklock(&c->plugin_lock, CLOCK_MONOTONIC, &deadline) != 0)
		return shoal_ctl_error_set(e, SHOAL_CTL_UNAVAILABLE, "dataplane_busy",
		                           "another change did not finish within %u ms; nothing "
		                           "was done",
		                           c->wait_ms);
	return SHOAL_CTL_OK;
}

/* ---------- lifecycle ---------- */

struct shoal_ctl *shoal_ctl_create(struct shoal_dp *dp, struct shoal_cmdq *q, const char *state_dir,
                                   char *err, size_t err_size)
{
	struct shoal_ctl *c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, err_size, "control: out of memory");
		return NULL;
	}
	c->dp = dp;
	c->q = q;
	c->wait_ms = SHOAL_CTL_WAIT_MS;
	c->health_wait_ms = SHOAL_CTL_HEALTH_WAIT_MS;
	if (state_dir && state_dir[0]) {
		if (snprintf(c->state_dir, sizeof(c->state_dir), "%s", state_dir) >=
		    (int)sizeof(c->state_dir) - 16) {
			snprintf(err, err_size, "control: state_dir %s: path too long", state_dir);
			free(c);
			return NULL;
		}
		c->persist = true;
	}
	shoal_commitq_init(&c->commits, ctl_commit_group, c);
	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&c->plugin_lock, NULL);
	pthread_mutex_init(&c->metrics_lock, NULL);
	return c;
}

void shoal_ctl_destroy(struct shoal_ctl *c)
{
	if (!c)
		return;
	shoal_store_close(c->store);
	pthread_mutex_destroy(&c->metrics_lock);
	pthread_mutex_destroy(&c->plugin_lock);
	pthread_mutex_destroy(&c->lock);
	shoal_commitq_fini(&c->commits);
	free(c);
}

static int ctl_if_tap_by_name(struct shoal_dp *dp, const char *name)
{
	for (unsigned i = 0; i < shoal_dp_if_count(dp); i++)
		if (strcmp(shoal_dp_if_name(dp, i), name) == 0)
			return (int)i;
	return -1;
}

int shoal_ctl_restore(struct shoal_ctl *c, char *err, size_t err_size)
{
	if (!c->persist)
		return 0;
	struct shoal_state s = {0};
	char e[512];
	bool migrated = false;
	c->store = shoal_store_open(c->state_dir, &s, &migrated, err, err_size);
	if (!c->store)
		return -1;
	const char *path = shoal_store_path(c->store);
	if (migrated)
		shoal_log(SHOAL_LOG_INFO,
		          "%s/state.json imported into %s (kept as state.json.migrated)",
		          c->state_dir, path);
	if (shoal_routes_import(shoal_dp_routes(c->dp), &s, e, sizeof(e)) < 0) {
		snprintf(err, err_size, "%s: %s", path, e);
		shoal_state_free(&s);
		return -1;
	}
	for (size_t i = 0; i < s.n_arp; i++) {
		int ifi = ctl_if_tap_by_name(c->dp, s.arp[i].interface);
		struct shoal_netif *n = ifi < 0 ? NULL : shoal_dp_netif(c->dp, (unsigned)ifi);
		struct shoal_mac mac;
		memcpy(mac.b, s.arp[i].mac, 6);
		if (!n || shoal_netif_add_static(n, s.arp[i].ip, &mac) != SHOAL_NETIF_OK) {
			snprintf(err, err_size, "%s: arp[%zu]: %s", path, i,
			         n ? "the ARP cache is full" : "no TAP interface of that name");
			shoal_state_free(&s);
			return -1;
		}
	}
	if (shoal_plugin_host_records_restore(shoal_dp_plugins(c->dp), &s) < 0) {
		snprintf(err, err_size, "%s: plugin_records: out of memory", path);
		shoal_state_free(&s);
		return -1;
	}
	shoal_state_free(&s);
	return 0;
}

/* ---------- persistence: group commit ---------- */

static int ctl_arp_undo(struct shoal_dp *dp, struct ctl_arp_cmd *x);

/* Data plane, after a mutation applied: refuses when read-only (the caller undoes first).
 * Returns false (e filled) when mutations are refused. */
static bool ctl_writable(struct shoal_ctl *c, struct shoal_ctl_error *e)
{
	pthread_mutex_lock(&c->lock);
	bool ro = c->read_only;
	if (ro)
		shoal_ctl_error_set(e, SHOAL_CTL_UNAVAILABLE, "read_only",
		                    "changes are refused until shoald restarts: %s",
		                    c->read_only_why);
	pthread_mutex_unlock(&c->lock);
	return !ro;
}

/* Enters read-only mode (once: the first reason stays) and fills e with the 503. */
static enum shoal_ctl_status ctl_read_only(struct shoal_ctl *c, const char *why,
                                           struct shoal_ctl_error *e)
{
	pthread_mutex_lock(&c->lock);
	if (!c->read_only) {
		snprintf(c->read_only_why, sizeof(c->read_only_why), "%s", why);
		c->read_only = true;
		shoal_log(SHOAL_LOG_ERROR, "state: read-only until restart: %s", why);
	}
	enum shoal_ctl_status st =
	    shoal_ctl_error_set(e, SHOAL_CTL_UNAVAILABLE, "read_only",
	                        "changes are refused until shoald restarts: %s", c->read_only_why);
	pthread_mutex_unlock(&c->lock);
	return st;
}

/* Data plane: queues an applied mutation for the next group commit. */
static void ctl_txn_enqueue(struct shoal_ctl *c, struct ctl_txn *t)
{
	shoal_commitq_push(&c->commits, &t->item);
}

static struct ctl_txn *ctl_txn_of(struct shoal_commitq_item *it)
{
	return (struct ctl_txn *)it; /* item is the first member */
}

/* Answers every txn of list l (settling wakes their writers). */
static void ctl_txn_finish(struct shoal_ctl *c, struct shoal_commitq_item *l,
                           const struct shoal_ctl_error *e)
{
	for (struct shoal_commitq_item *it = l; it; it = it->next) {
		struct ctl_txn *t = ctl_txn_of(it);
		t->st = e ? e->status : SHOAL_CTL_OK;
		if (e)
			t->err = *e;
	}
	shoal_commitq_settle(&c->commits, l);
}

/* Undo of a failed group: the group and every mutation applied after it, newest first. */
struct ctl_undo_cmd {
	struct shoal_ctl *c;
	struct shoal_commitq_item *group;
	struct shoal_commitq_item *later; /* taken from the pending list on the data plane */
	bool ok;
};

static bool ctl_txn_undo(struct shoal_dp *dp, struct ctl_txn *t)
{
	if (t->undo) {
		if (shoal_routes_restore(shoal_dp_routes(dp), t->undo) < 0)
			return false;
		t->undo = NULL;
		return true;
	}
	if (t->staged)
		return shoal_plugin_host_staged_undo(shoal_dp_plugins(dp), t->staged) == 0;
	return t->arp ? ctl_arp_undo(dp, t->arp) == 0 : true;
}

/* Undoes list l newest first (l is in apply order). false at the first undo that fails. */
static bool ctl_txn_undo_list(struct shoal_dp *dp, struct shoal_commitq_item *l)
{
	if (!l)
		return true;
	return ctl_txn_undo_list(dp, l->next) && ctl_txn_undo(dp, ctl_txn_of(l));
}

static int ctl_cmd_undo(void *arg)
{
	struct ctl_undo_cmd *u = arg;
	u->later = shoal_commitq_take(&u->c->commits);
	u->ok = ctl_txn_undo_list(u->c->dp, u->later) && ctl_txn_undo_list(u->c->dp, u->group);
	return 0;
}

/* Committer (commitq's commit function): writes the rows of group g in one transaction; on
 * failure undoes g and every later mutation on the data plane. Answers every txn it
 * settled. */
static void ctl_commit_group(void *arg, struct shoal_commitq_item *g)
{
	struct shoal_ctl *c = arg;
	char err[512] = "";
	enum shoal_store_status ss = shoal_store_begin(c->store, err, sizeof(err));
	for (struct shoal_commitq_item *it = g; it && ss == SHOAL_STORE_OK; it = it->next)
		ss = shoal_store_apply(c->store, ctl_txn_of(it)->changes, ctl_txn_of(it)->n, err,
		                       sizeof(err));
	if (ss == SHOAL_STORE_OK)
		ss = shoal_store_commit(c->store, err, sizeof(err));
	if (ss == SHOAL_STORE_OK) {
		pthread_mutex_lock(&c->lock);
		c->store_ctr[SHOAL_CTL_STORE_COMMITS]++;
		for (const struct shoal_commitq_item *it = g; it; it = it->next)
			c->store_ctr[SHOAL_CTL_STORE_MUTATIONS]++;
		pthread_mutex_unlock(&c->lock);
		ctl_txn_finish(c, g, NULL);
		return;
	}
	shoal_log(SHOAL_LOG_ERROR, "state: %s", err);
	struct ctl_undo_cmd u = {.c = c, .group = g};
	struct shoal_ctl_error ue, e;
	bool ran = ctl_run(c, ctl_cmd_undo, &u, &ue) == SHOAL_CTL_OK;
	pthread_mutex_lock(&c->lock);
	c->store_ctr[SHOAL_CTL_STORE_FAILED]++;
	if (!ran) /* the data plane could not take the undo: changes stay applied */
		u.later = shoal_commitq_take(&c->commits);
	if (ran && u.ok && ss == SHOAL_STORE_FAILED) {
		shoal_ctl_error_set(&e, SHOAL_CTL_STORAGE, "storage_failed",
		                    "the change could not be saved (nothing changed): %s", err);
	} else {
		const char *why = !ran    ? "a failed write could not be undone on the data plane"
		                  : !u.ok ? "a failed write could not be undone (out of memory or "
		                            "table full)"
		                          : "state.db may hold a write that failed";
		if (!c->read_only) /* the why, short: the write's error is in the log */
			snprintf(c->read_only_why, sizeof(c->read_only_why), "%s", why);
		c->read_only = true;
		shoal_log(SHOAL_LOG_ERROR, "state: read-only until restart: %s", c->read_only_why);
		shoal_ctl_error_set(&e, SHOAL_CTL_UNAVAILABLE, "read_only",
		                    "changes are refused until shoald restarts: %s",
		                    c->read_only_why);
	}
	pthread_mutex_unlock(&c->lock);
	ctl_txn_finish(c, u.later, &e);
	ctl_txn_finish(c, g, &e);
}

bool shoal_ctl_commit_busy(struct shoal_ctl *c)
{
	return shoal_commitq_busy(&c->commits);
}

/* Caller, after its mutation was applied and queued: returns once its group committed (OK)
 * or failed (e filled); see commitq.h for who commits and who is woken. */
static enum shoal_ctl_status ctl_txn_wait(struct shoal_ctl *c, struct ctl_txn *t,
                                          struct shoal_ctl_error *e)
{
	shoal_commitq_wait(&c->commits, &t->item);
	if (t->st != SHOAL_CTL_OK && e)
		*e = t->err;
	return t->st;
}

/* ---------- routes ---------- */

/* The one table from route-table statuses (routes.h) to control classes; the code is the
 * route table's own (shoal_routes_status_code). */
static enum shoal_ctl_status ctl_routes_error(enum shoal_routes_status rs,
                                              const struct shoal_routes_error *re,
                                              struct shoal_ctl_error *e)
{
	static const enum shoal_ctl_status class[SHOAL_ROUTES_STATUS_COUNT_] = {
	    [SHOAL_ROUTES_OK] = SHOAL_CTL_OK,
	    [SHOAL_ROUTES_CREATED] = SHOAL_CTL_CREATED,
	    [SHOAL_ROUTES_REPLACED] = SHOAL_CTL_REPLACED,
	    [SHOAL_ROUTES_INVALID_PREFIX_LENGTH] = SHOAL_CTL_INVALID,
	    [SHOAL_ROUTES_INVALID_PREFIX] = SHOAL_CTL_INVALID,
	    [SHOAL_ROUTES_MISSING_NEXT_HOP] = SHOAL_CTL_INVALID,
	    [SHOAL_ROUTES_UNKNOWN_INTERFACE] = SHOAL_CTL_INVALID,
	    [SHOAL_ROUTES_INVALID_NEXT_HOP] = SHOAL_CTL_INVALID,
	    [SHOAL_ROUTES_NEXT_HOP_UNREACHABLE] = SHOAL_CTL_INVALID,
	    [SHOAL_ROUTES_ROUTE_EXISTS] = SHOAL_CTL_CONFLICT,
	    [SHOAL_ROUTES_CONNECTED_ROUTE] = SHOAL_CTL_CONFLICT,
	    [SHOAL_ROUTES_ROUTE_NOT_FOUND] = SHOAL_CTL_NOT_FOUND,
	    [SHOAL_ROUTES_TABLE_FULL] = SHOAL_CTL_FULL,
	    [SHOAL_ROUTES_NO_MEMORY] = SHOAL_CTL_INTERNAL,
	};
	enum shoal_ctl_status st =
	    (unsigned)rs < SHOAL_ROUTES_STATUS_COUNT_ ? class[rs] : SHOAL_CTL_INTERNAL;
	if (shoal_routes_status_ok(rs))
		return ctl_ok(e, st);
	return shoal_ctl_error_set(e, st, shoal_routes_status_code(rs), "%s", re->message);
}

/* Data plane: one client operation on the route overlay (routes.h), as a control status. */
static enum shoal_ctl_status ctl_route_op(struct shoal_routes *r, const struct shoal_ctl_op *op,
                                          struct shoal_ctl_error *e)
{
	static const enum shoal_routes_op_kind kinds[] = {
	    [SHOAL_CTL_OP_ADD] = SHOAL_ROUTES_OP_ADD,
	    [SHOAL_CTL_OP_PUT] = SHOAL_ROUTES_OP_PUT,
	    [SHOAL_CTL_OP_DELETE] = SHOAL_ROUTES_OP_DELETE,
	};
	const struct shoal_ctl_route_spec *c = &op->route;
	struct shoal_routes_spec spec = {.prefix = c->prefix,
	                                 .prefix_len = c->prefix_len,
	                                 .has_next_hop = c->has_next_hop,
	                                 .next_hop = c->next_hop,
	                                 .has_interface = c->has_interface};
	memcpy(spec.interface, c->interface, sizeof(spec.interface));
	struct shoal_routes_error re = {0};
	return ctl_routes_error(shoal_routes_op(r, kinds[op->kind], &spec, &re), &re, e);
}

static void ctl_route_fill(const struct shoal_routes *r, const struct shoal_routes_route *in,
                           struct shoal_ctl_route *out)
{
	*out = (struct shoal_ctl_route){
	    .prefix = in->e.prefix,
	    .prefix_len = in->e.prefix_len,
	    .has_next_hop = in->e.has_next_hop,
	    .next_hop = in->e.next_hop,
	    .origin = in->origin == SHOAL_ROUTES_CONNECTED ? SHOAL_CTL_ORIGIN_CONNECTED
	                                                   : SHOAL_CTL_ORIGIN_STATIC,
	};
	snprintf(out->interface, sizeof(out->interface), "%s",
	         shoal_routes_if_name(r, in->e.ifindex));
}

/* The route's own counters (routes.h: exact per route record, bumped by the data plane). */
static void ctl_route_counters(struct shoal_dp *dp, struct shoal_ctl_route *out)
{
	shoal_routes_counters(shoal_dp_routes(dp), out->prefix, out->prefix_len, &out->packets,
	                      &out->bytes);
}

struct ctl_list_cmd {
	struct shoal_dp *dp;
	uint32_t within;
	uint8_t within_len;
	struct shoal_ctl_route *out;
	size_t n;
	bool oom;
};

static int ctl_cmd_routes_list(void *arg)
{
	struct ctl_list_cmd *x = arg;
	struct shoal_routes *r = shoal_dp_routes(x->dp);
	struct shoal_routes_route *l;
	size_t n;
	x->oom = true;
	if (shoal_routes_list(r, x->within, x->within_len, &l, &n) < 0)
		return 0;
	if (n) {
		x->out = calloc(n, sizeof(*x->out));
		if (!x->out) {
			free(l);
			return 0;
		}
	}
	for (size_t i = 0; i < n; i++) {
		ctl_route_fill(r, &l[i], &x->out[i]);
		ctl_route_counters(x->dp, &x->out[i]);
	}
	x->n = n;
	x->oom = false;
	free(l);
	return 0;
}

enum shoal_ctl_status shoal_ctl_routes_list(struct shoal_ctl *c,
                                            const struct shoal_ctl_route_spec *within,
                                            struct shoal_ctl_route **out, size_t *n,
                                            struct shoal_ctl_error *e)
{
	*out = NULL;
	*n = 0;
	struct ctl_list_cmd x = {.dp = c->dp};
	if (within) {
		struct shoal_routes_error re;
		enum shoal_routes_status rs =
		    shoal_routes_prefix_check(within->prefix, within->prefix_len, &re);
		if (rs != SHOAL_ROUTES_OK)
			return ctl_routes_error(rs, &re, e);
		x.within = within->prefix;
		x.within_len = within->prefix_len;
	}
	enum shoal_ctl_status st = ctl_run(c, ctl_cmd_routes_list, &x, e);
	if (st != SHOAL_CTL_OK)
		return st;
	if (x.oom)
		return shoal_ctl_error_set(e, SHOAL_CTL_INTERNAL, "out_of_memory", "out of memory");
	*out = x.out;
	*n = x.n;
	return ctl_ok(e, SHOAL_CTL_OK);
}

struct ctl_lookup_cmd {
	struct shoal_dp *dp;
	uint32_t addr;
	enum shoal_routes_resolve res;
	struct shoal_lpm_nh fwd;
	struct shoal_ctl_route out;
};

/* The answer of the LPM the data plane forwards with, and the route record behind it. */
static int ctl_cmd_route_lookup(void *arg)
{
	struct ctl_lookup_cmd *x = arg;
	struct shoal_routes *r = shoal_dp_routes(x->dp);
	struct shoal_routes_route rt;
	x->res = shoal_routes_resolve(r, shoal_dp_lpm(x->dp), x->addr, &rt, &x->fwd);
	if (x->res == SHOAL_ROUTES_RESOLVE_OK) {
		ctl_route_fill(r, &rt, &x->out);
		ctl_route_counters(x->dp, &x->out);
	}
	return 0;
}

enum shoal_ctl_status shoal_ctl_route_lookup(struct shoal_ctl *c, uint32_t addr,
                                             struct shoal_ctl_route *out, struct shoal_ctl_error *e)
{
	struct ctl_lookup_cmd x = {.dp = c->dp, .addr = addr};
	enum shoal_ctl_status st = ctl_run(c, ctl_cmd_route_lookup, &x, e);
	if (st != SHOAL_CTL_OK)
		return st;
	char a[SHOAL_IPV4_ADDR_STRLEN];
	if (x.res == SHOAL_ROUTES_RESOLVE_NO_ROUTE)
		return shoal_ctl_error_set(e, SHOAL_CTL_NOT_FOUND, "no_route", "no route to %s",
		                           shoal_ipv4_addr_format(addr, a));
	if (x.res == SHOAL_ROUTES_RESOLVE_MISMATCH) {
		char g[SHOAL_IPV4_ADDR_STRLEN];
		return shoal_ctl_error_set(e, SHOAL_CTL_INTERNAL, "forwarding_mismatch",
		                           "the forwarding table sends %s to %s on interface %u, "
		                           "which no route accounts for",
		                           shoal_ipv4_addr_format(addr, a),
		                           x.fwd.has_gateway
		                               ? shoal_ipv4_addr_format(x.fwd.gateway, g)
		                               : "the destination",
		                           x.fwd.ifindex);
	}
	if (out)
		*out = x.out;
	return ctl_ok(e, SHOAL_CTL_OK);
}

/* A batch of route ops (a single request is a batch of one): applied all or nothing on the
 * data plane, then its rows are committed by the group committer; its journal undoes it when
 * the write fails. */
struct ctl_batch_cmd {
	struct shoal_ctl *c;
	struct shoal_dp *dp;
	const struct shoal_ctl_op *ops;
	size_t n;
	enum shoal_ctl_status st; /* of the last op (CREATED/REPLACED for a single one) */
	struct shoal_ctl_error err;
	size_t failed_index;
	bool queued; /* txn waits for the committer */
	struct ctl_txn txn;
	bool has_route;
	struct shoal_ctl_route route; /* of the single op, after it */
};

static int ctl_cmd_route_batch(void *arg)
{
	struct ctl_batch_cmd *x = arg;
	struct shoal_routes *r = shoal_dp_routes(x->dp);
	if (!ctl_writable(x->c, &x->err)) {
		x->st = x->err.status;
		return 0;
	}
	struct shoal_routes_saved *saved = shoal_routes_save(r);
	if (!saved) {
		x->st = shoal_ctl_error_set(&x->err, SHOAL_CTL_INTERNAL, "out_of_memory",
		                            "out of memory");
		return 0;
	}
	for (size_t i = 0; i < x->n; i++) {
		x->st = ctl_route_op(r, &x->ops[i], &x->err);
		if (!ctl_status_good(x->st)) {
			x->failed_index = i;
			shoal_routes_abandon(r, saved);
			return 0;
		}
	}
	if (shoal_routes_commit(r, saved) < 0) {
		x->failed_index = x->n ? x->n - 1 : 0;
		x->st = shoal_ctl_error_set(&x->err, SHOAL_CTL_FULL, "route_table_full",
		                            "the forwarding table is full");
		return 0;
	}
	if (x->n == 1 && x->ops[0].kind != SHOAL_CTL_OP_DELETE) {
		struct shoal_routes_route rt;
		x->has_route =
		    shoal_routes_get(r, x->ops[0].route.prefix, x->ops[0].route.prefix_len, &rt);
		if (x->has_route)
			ctl_route_fill(r, &rt, &x->route);
	}
	if (!x->c->persist) {
		shoal_routes_saved_free(saved);
		return 0;
	}
	x->txn.undo = saved;
	if (shoal_routes_changes(r, saved, &x->txn.changes, &x->txn.n) < 0) {
		if (shoal_routes_restore(r, saved) == 0) {
			x->txn.undo = NULL;
			x->st = shoal_ctl_error_set(&x->err, SHOAL_CTL_INTERNAL, "out_of_memory",
			                            "out of memory");
		} else {
			x->st = ctl_read_only(x->c,
			                      "a change could not be saved nor undone (out of "
			                      "memory)",
			                      &x->err);
		}
		return 0;
	}
	ctl_txn_enqueue(x->c, &x->txn);
	x->queued = true;
	return 0;
}

/* Applies a batch on the data plane and waits until its rows are on disk (or undone). */
static enum shoal_ctl_status ctl_route_batch_run(struct shoal_ctl *c, struct ctl_batch_cmd *x,
                                                 struct shoal_ctl_error *e)
{
	x->c = c;
	enum shoal_ctl_status st = ctl_run(c, ctl_cmd_route_batch, x, e);
	if (st != SHOAL_CTL_OK)
		return st;
	if (x->queued)
		st = ctl_txn_wait(c, &x->txn, e);
	free(x->txn.changes);
	shoal_routes_saved_free(x->txn.undo);
	if (st != SHOAL_CTL_OK)
		return st;
	if (!ctl_status_good(x->st)) {
		if (e)
			*e = x->err;
		return x->st;
	}
	return ctl_ok(e, x->st);
}

static enum shoal_ctl_status ctl_route_single(struct shoal_ctl *c, enum shoal_ctl_op_kind kind,
                                              const struct shoal_ctl_route_spec *r,
                                              struct shoal_ctl_route *out,
                                              struct shoal_ctl_error *e)
{
	struct shoal_ctl_op op = {.kind = kind, .route = *r};
	struct ctl_batch_cmd x = {.dp = c->dp, .ops = &op, .n = 1};
	enum shoal_ctl_status st = ctl_route_batch_run(c, &x, e);
	if (ctl_status_good(st) && out && x.has_route)
		*out = x.route;
	return st;
}

enum shoal_ctl_status shoal_ctl_route_add(struct shoal_ctl *c, const struct shoal_ctl_route_spec *r,
                                          struct shoal_ctl_route *out, struct shoal_ctl_error *e)
{
	return ctl_route_single(c, SHOAL_CTL_OP_ADD, r, out, e);
}

enum shoal_ctl_status shoal_ctl_route_put(struct shoal_ctl *c, const struct shoal_ctl_route_spec *r,
                                          struct shoal_ctl_route *out, struct shoal_ctl_error *e)
{
	return ctl_route_single(c, SHOAL_CTL_OP_PUT, r, out, e);
}

enum shoal_ctl_status shoal_ctl_route_delete(struct shoal_ctl *c, uint32_t prefix, uint8_t len,
                                             struct shoal_ctl_error *e)
{
	struct shoal_ctl_route_spec r = {.prefix = prefix, .prefix_len = len};
	return ctl_route_single(c, SHOAL_CTL_OP_DELETE, &r, NULL, e);
}

enum shoal_ctl_status shoal_ctl_route_batch(struct shoal_ctl *c, const struct shoal_ctl_op *ops,
                                            size_t n, size_t *failed_index,
                                            struct shoal_ctl_error *e)
{
	struct ctl_batch_cmd x = {.dp = c->dp, .ops = ops, .n = n};
	enum shoal_ctl_status st = ctl_route_batch_run(c, &x, e);
	if (!ctl_status_good(st)) {
		if (failed_index)
			*failed_index = x.failed_index;
		return st;
	}
	return ctl_ok(e, SHOAL_CTL_OK);
}

/* ---------- ARP ---------- */

/* The interface index named name, or -1 (e filled: unknown_interface / not_arp_interface). */
static int ctl_tap_find(struct shoal_dp *dp, const char *name, struct shoal_ctl_error *e)
{
	int ifi = ctl_if_tap_by_name(dp, name);
	if (ifi < 0) {
		shoal_ctl_error_set(e, SHOAL_CTL_INVALID, "unknown_interface",
		                    "no interface named \"%s\"", name);
		return -1;
	}
	if (!shoal_dp_netif(dp, (unsigned)ifi)) {
		shoal_ctl_error_set(e, SHOAL_CTL_INVALID, "not_arp_interface",
		                    "%s is a tun interface: it has no ARP cache", name);
		return -1;
	}
	return ifi;
}

static void ctl_arp_fill(const char *ifname, const struct shoal_netif_entry *en,
                         struct shoal_ctl_arp_entry *out)
{
	*out = (struct shoal_ctl_arp_entry){.ip = en->ip};
	snprintf(out->interface, sizeof(out->interface), "%s", ifname);
	switch (en->state) {
	case SHOAL_NETIF_ENTRY_DYNAMIC:
		out->state = SHOAL_CTL_ARP_DYNAMIC;
		out->expires_in_ms = en->remaining_ms;
		memcpy(out->mac, en->mac.b, 6);
		break;
	case SHOAL_NETIF_ENTRY_STATIC:
		out->state = SHOAL_CTL_ARP_STATIC;
		memcpy(out->mac, en->mac.b, 6);
		break;
	case SHOAL_NETIF_ENTRY_PENDING:
		out->state = SHOAL_CTL_ARP_PENDING;
		out->expires_in_ms = en->remaining_ms;
		out->queued = (uint32_t)en->queued;
		break;
	}
}

struct ctl_arp_list_cmd {
	struct shoal_dp *dp;
	const char *interface;
	enum shoal_ctl_status st;
	struct shoal_ctl_error err;
	struct shoal_ctl_arp_entry *out;
	size_t n, cap;
	const char *cur_if;
};

static int ctl_arp_list_visit(void *ctx, const struct shoal_netif_entry *en)
{
	struct ctl_arp_list_cmd *x = ctx;
	if (x->n == x->cap) {
		size_t ncap = x->cap ? x->cap * 2 : 32;
		struct shoal_ctl_arp_entry *nv = realloc(x->out, ncap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		x->out = nv;
		x->cap = ncap;
	}
	ctl_arp_fill(x->cur_if, en, &x->out[x->n++]);
	return 0;
}

static int ctl_arp_entry_cmp(const void *a, const void *b)
{
	const struct shoal_ctl_arp_entry *x = a, *y = b;
	return x->ip < y->ip ? -1 : x->ip > y->ip;
}

static int ctl_cmd_arp_list(void *arg)
{
	struct ctl_arp_list_cmd *x = arg;
	x->st = SHOAL_CTL_OK;
	if (x->interface) {
		int ifi = ctl_if_tap_by_name(x->dp, x->interface);
		if (ifi < 0) {
			x->st = shoal_ctl_error_set(&x->err, SHOAL_CTL_INVALID, "unknown_interface",
			                            "no interface named \"%s\"", x->interface);
			return 0;
		}
	}
	for (unsigned i = 0; i < shoal_dp_if_count(x->dp); i++) {
		struct shoal_netif *n = shoal_dp_netif(x->dp, i);
		x->cur_if = shoal_dp_if_name(x->dp, i);
		if (!n || (x->interface && strcmp(x->interface, x->cur_if) != 0))
			continue;
		size_t first = x->n;
		if (shoal_netif_foreach(n, ctl_arp_list_visit, x) < 0) {
			x->st = shoal_ctl_error_set(&x->err, SHOAL_CTL_INTERNAL, "out_of_memory",
			                            "out of memory");
			return 0;
		}
		if (x->n > first) /* x->out is NULL while nothing has been listed */
			qsort(x->out + first, x->n - first, sizeof(*x->out), ctl_arp_entry_cmp);
	}
	return 0;
}

enum shoal_ctl_status shoal_ctl_arp_list(struct shoal_ctl *c, const char *interface,
                                         struct shoal_ctl_arp_entry **out, size_t *n,
                                         struct shoal_ctl_error *e)
{
	*out = NULL;
	*n = 0;
	struct ctl_arp_list_cmd x = {.dp = c->dp, .interface = interface};
	enum shoal_ctl_status st = ctl_run(c, ctl_cmd_arp_list, &x, e);
	if (st == SHOAL_CTL_OK && x.st != SHOAL_CTL_OK) {
		st = x.st;
		if (e)
			*e = x.err;
	}
	if (st != SHOAL_CTL_OK) {
		free(x.out);
		return st;
	}
	*out = x.n ? x.out : NULL;
	if (!x.n)
		free(x.out);
	*n = x.n;
	return ctl_ok(e, SHOAL_CTL_OK);
}

/* A change to one ARP entry, with what it takes to undo it. */
struct ctl_arp_cmd {
	struct shoal_dp *dp;
	bool add; /* else delete */
	const char *interface;
	uint32_t ip;
	uint8_t mac[6];
	enum shoal_ctl_status st;
	struct shoal_ctl_error err;
	int ifi;
	bool had_static; /* before: a static entry (undo re-adds it) */
	uint8_t old_mac[6];
	struct shoal_ctl_arp_entry out;
	struct shoal_ctl *c;
	bool queued;
	struct shoal_store_change change;
	struct ctl_txn txn;
};

static void ctl_arp_add(struct ctl_arp_cmd *x)
{
	char a[SHOAL_IPV4_ADDR_STRLEN];
	shoal_ipv4_addr_format(x->ip, a);
	const struct shoal_config *cfg = shoal_dp_config(x->dp);
	if (x->interface) {
		x->ifi = ctl_tap_find(x->dp, x->interface, &x->err);
		if (x->ifi < 0) {
			x->st = x->err.status;
			return;
		}
		const struct shoal_config_interface *f = &cfg->interfaces[x->ifi];
		uint32_t m = shoal_ipv4_prefix_mask(f->prefix_len);
		if ((x->ip & m) != (f->address & m)) {
			x->st = shoal_ctl_error_set(&x->err, SHOAL_CTL_INVALID, "ip_not_on_link",
			                            "%s is outside %s's network", a, f->name);
			return;
		}
	} else {
		x->ifi = shoal_routes_if_for(shoal_dp_routes(x->dp), x->ip);
		if (x->ifi < 0 || !shoal_dp_netif(x->dp, (unsigned)x->ifi)) {
			x->st =
			    shoal_ctl_error_set(&x->err, SHOAL_CTL_INVALID, "ip_not_on_link",
			                        "%s is outside every TAP interface's network", a);
			return;
		}
	}
	for (unsigned i = 0; i < cfg->n_interfaces; i++)
		if (cfg->interfaces[i].address == x->ip) {
			x->st = shoal_ctl_error_set(&x->err, SHOAL_CTL_INVALID, "invalid_ip",
			                            "%s is the router's own address", a);
			return;
		}
	struct shoal_netif *n = shoal_dp_netif(x->dp, (unsigned)x->ifi);
	struct shoal_netif_entry old;
	if (shoal_netif_lookup(n, x->ip, &old) && old.state == SHOAL_NETIF_ENTRY_STATIC) {
		x->had_static = true;
		memcpy(x->old_mac, old.mac.b, 6);
	}
	struct shoal_mac mac;
	memcpy(mac.b, x->mac, 6);
	if (shoal_netif_add_static(n, x->ip, &mac) != SHOAL_NETIF_OK) {
		x->st = shoal_ctl_error_set(&x->err, SHOAL_CTL_FULL, "arp_cache_full",
		                            "the ARP cache of %s is full",
		                            cfg->interfaces[x->ifi].name);
		return;
	}
	struct shoal_netif_entry now;
	if (shoal_netif_lookup(n, x->ip, &now))
		ctl_arp_fill(cfg->interfaces[x->ifi].name, &now, &x->out);
	x->st = SHOAL_CTL_CREATED;
}

static void ctl_arp_delete(struct ctl_arp_cmd *x)
{
	char a[SHOAL_IPV4_ADDR_STRLEN];
	shoal_ipv4_addr_format(x->ip, a);
	if (x->interface) {
		x->ifi = ctl_tap_find(x->dp, x->interface, &x->err);
		if (x->ifi < 0) {
			x->st = x->err.status;
			return;
		}
	}
	for (unsigned i = 0; i < shoal_dp_if_count(x->dp); i++) {
		struct shoal_netif *n = shoal_dp_netif(x->dp, i);
		struct shoal_netif_entry old;
		if (!n || (x->interface && (int)i != x->ifi) || !shoal_netif_lookup(n, x->ip, &old))
			continue;
		x->ifi = (int)i;
		if (old.state == SHOAL_NETIF_ENTRY_STATIC) {
			x->had_static = true;
			memcpy(x->old_mac, old.mac.b, 6);
		}
		shoal_netif_delete(n, x->ip);
		x->st = SHOAL_CTL_OK;
		return;
	}
	x->st = shoal_ctl_error_set(&x->err, SHOAL_CTL_NOT_FOUND, "arp_entry_not_found",
	                            "no ARP entry for %s", a);
}

static int ctl_cmd_arp(void *arg)
{
	struct ctl_arp_cmd *x = arg;
	if (!ctl_writable(x->c, &x->err)) {
		x->st = x->err.status;
		return 0;
	}
	if (x->add)
		ctl_arp_add(x);
	else
		ctl_arp_delete(x);
	if (!ctl_status_good(x->st) || !x->c->persist || (!x->add && !x->had_static))
		return 0; /* nothing to write: a failure, no store, or a dynamic entry deleted */
	x->change.op = x->add ? SHOAL_STORE_ARP_PUT : SHOAL_STORE_ARP_DEL;
	x->change.u.arp.ip = x->ip;
	snprintf(x->change.u.arp.interface, sizeof(x->change.u.arp.interface), "%s",
	         shoal_dp_if_name(x->dp, (unsigned)x->ifi));
	memcpy(x->change.u.arp.mac, x->mac, 6);
	x->txn.changes = &x->change;
	x->txn.n = 1;
	x->txn.arp = x;
	ctl_txn_enqueue(x->c, &x->txn);
	x->queued = true;
	return 0;
}

/* Data plane: puts the entry back as it was before x. 0, or -1 (the cache refused). */
static int ctl_arp_undo(struct shoal_dp *dp, struct ctl_arp_cmd *x)
{
	struct shoal_netif *n = shoal_dp_netif(dp, (unsigned)x->ifi);
	if (!n)
		return 0;
	if (x->had_static) {
		struct shoal_mac mac;
		memcpy(mac.b, x->old_mac, 6);
		return shoal_netif_add_static(n, x->ip, &mac) == SHOAL_NETIF_OK ? 0 : -1;
	}
	if (x->add)
		shoal_netif_delete(n, x->ip);
	return 0;
}

static enum shoal_ctl_status ctl_arp_run(struct shoal_ctl *c, struct ctl_arp_cmd *x,
                                         struct shoal_ctl_error *e)
{
	x->c = c;
	enum shoal_ctl_status st = ctl_run(c, ctl_cmd_arp, x, e);
	if (st != SHOAL_CTL_OK)
		return st;
	if (x->queued && (st = ctl_txn_wait(c, &x->txn, e)) != SHOAL_CTL_OK)
		return st;
	if (!ctl_status_good(x->st)) {
		if (e)
			*e = x->err;
		return x->st;
	}
	return ctl_ok(e, x->st);
}

static bool ctl_mac_ok(const uint8_t mac[6])
{
	static const uint8_t zero[6];
	return !(mac[0] & 1) && memcmp(mac, zero, 6) != 0;
}

enum shoal_ctl_status shoal_ctl_arp_add_static(struct shoal_ctl *c, const char *interface,
                                               uint32_t ip, const uint8_t mac[6],
                                               struct shoal_ctl_arp_entry *out,
                                               struct shoal_ctl_error *e)
{
	if (!ctl_mac_ok(mac))
		return shoal_ctl_error_set(e, SHOAL_CTL_INVALID, "invalid_mac",
		                           "a static entry needs a unicast, non-zero MAC address");
	struct ctl_arp_cmd x = {.dp = c->dp, .add = true, .interface = interface, .ip = ip};
	memcpy(x.mac, mac, 6);
	enum shoal_ctl_status st = ctl_arp_run(c, &x, e);
	if (ctl_status_good(st) && out)
		*out = x.out;
	return st;
}

enum shoal_ctl_status shoal_ctl_arp_delete(struct shoal_ctl *c, const char *interface, uint32_t ip,
                                           struct shoal_ctl_error *e)
{
	struct ctl_arp_cmd x = {.dp = c->dp, .interface = interface, .ip = ip};
	return ctl_arp_run(c, &x, e);
}

struct ctl_flush_cmd {
	struct shoal_dp *dp;
	const char *interface;
	enum shoal_ctl_status st;
	struct shoal_ctl_error err;
	size_t flushed;
};

static int ctl_cmd_arp_flush(void *arg)
{
	struct ctl_flush_cmd *x = arg;
	int ifi = -1;
	if (x->interface) {
		ifi = ctl_tap_find(x->dp, x->interface, &x->err);
		if (ifi < 0) {
			x->st = x->err.status;
			return 0;
		}
	}
	for (unsigned i = 0; i < shoal_dp_if_count(x->dp); i++) {
		struct shoal_netif *n = shoal_dp_netif(x->dp, i);
		if (n && (ifi < 0 || (int)i == ifi))
			x->flushed += shoal_netif_flush(n);
	}
	x->st = SHOAL_CTL_OK;
	return 0;
}

enum shoal_ctl_status shoal_ctl_arp_flush(struct shoal_ctl *c, const char *interface,
                                          size_t *flushed, struct shoal_ctl_error *e)
{
	struct ctl_flush_cmd x = {.dp = c->dp, .interface = interface};
	enum shoal_ctl_status st = ctl_run(c, ctl_cmd_arp_flush, &x, e);
	if (st != SHOAL_CTL_OK)
		return st;
	if (x.st != SHOAL_CTL_OK) {
		if (e)
			*e = x.err;
		return x.st;
	}
	if (flushed)
		*flushed = x.flushed;
	return ctl_ok(e, SHOAL_CTL_OK);
}

/* ---------- interfaces ---------- */

struct ctl_ifs_cmd {
	struct shoal_dp *dp;
	struct shoal_ctl_interface *out;
	size_t n;
};

static int ctl_cmd_interfaces(void *arg)
{
	struct ctl_ifs_cmd *x = arg;
	const struct shoal_config *cfg = shoal_dp_config(x->dp);
	unsigned n = shoal_dp_if_count(x->dp);
	x->out = calloc(n ? n : 1, sizeof(*x->out));
	if (!x->out)
		return 0;
	for (unsigned i = 0; i < n; i++) {
		const struct shoal_config_interface *f = &cfg->interfaces[i];
		struct shoal_ctl_interface *o = &x->out[i];
		const struct shoal_dp_if_stats *s = shoal_dp_if_stats(x->dp, i);
		struct shoal_netif *nf = shoal_dp_netif(x->dp, i);
		snprintf(o->name, sizeof(o->name), "%s", f->name);
		snprintf(o->kind, sizeof(o->kind), "%s",
		         f->kind == SHOAL_CONFIG_IF_TAP ? "tap" : "tun");
		o->address = f->address;
		o->prefix_len = f->prefix_len;
		o->has_mac = f->kind == SHOAL_CONFIG_IF_TAP;
		if (o->has_mac)
			memcpy(o->mac, f->mac, 6);
		o->mtu = f->mtu;
		o->up = shoal_dp_if_up(x->dp, i);
		o->offload = shoal_dp_if_offload(x->dp, i);
		o->rx_packets = s->rx_packets;
		o->rx_bytes = s->rx_bytes;
		o->tx_packets = s->tx_packets;
		o->tx_bytes = s->tx_bytes;
		memcpy(o->drops, s->drops, sizeof(o->drops));
		if (nf) {
			const struct shoal_netif_stats *ns = shoal_netif_stats(nf);
			memcpy(o->arp_drops, ns->drops, sizeof(o->arp_drops));
			o->arp_requests_out = ns->arp_requests_out;
			o->arp_replies_out = ns->arp_replies_out;
			shoal_netif_arp_counters(nf, o->arp);
		}
	}
	x->n = n;
	return 0;
}

enum shoal_ctl_status shoal_ctl_interfaces(struct shoal_ctl *c, struct shoal_ctl_interface **out,
                                           size_t *n, struct shoal_ctl_error *e)
{
	*out = NULL;
	*n = 0;
	struct ctl_ifs_cmd x = {.dp = c->dp};
	enum shoal_ctl_status st = ctl_run(c, ctl_cmd_interfaces, &x, e);
	if (st != SHOAL_CTL_OK)
		return st;
	if (!x.out)
		return shoal_ctl_error_set(e, SHOAL_CTL_INTERNAL, "out_of_memory", "out of memory");
	*out = x.out;
	*n = x.n;
	return ctl_ok(e, SHOAL_CTL_OK);
}

/* ---------- plugins ---------- */

static void ctl_plugin_fill(const struct shoal_plugin_info *in, struct shoal_ctl_plugin *o)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->name, sizeof(o->name), "%s", in->name ? in->name : "");
	snprintf(o->version, sizeof(o->version), "%s", in->version ? in->version : "");
	snprintf(o->description, sizeof(o->description), "%s",
	         in->description ? in->description : "");
	snprintf(o->path, sizeof(o->path), "%s", in->path ? in->path : "");
	o->abi_major = in->abi_major;
	o->abi_minor = in->abi_minor;
	memcpy(o->hook_calls, in->hook_calls, sizeof(o->hook_calls));
	memcpy(o->verdicts, in->verdicts, sizeof(o->verdicts));
	o->input_datagrams = in->input_datagrams;
	o->input_refused = in->input_refused;
	size_t max = sizeof(o->counters) / sizeof(o->counters[0]);
	for (size_t i = 0; i < in->counter_count && i < max; i++) {
		snprintf(o->counters[i].name, sizeof(o->counters[i].name), "%s",
		         in->counters[i].name);
		o->counters[i].value = in->counters[i].value;
		o->n_counters = i + 1;
	}
	for (size_t i = 0; i < in->drop_reason_count && i < max; i++) {
		snprintf(o->drops[i].name, sizeof(o->drops[i].name), "%s",
		         in->drop_reasons[i].name);
		o->drops[i].value = in->drop_reasons[i].value;
		o->n_drops = i + 1;
	}
}

/* Index of the plugin named name in ph, or -1. */
static int ctl_plugin_index(struct shoal_plugin_host *ph, const char *name,
                            struct shoal_plugin_info *info)
{
	for (size_t i = 0; i < shoal_plugin_host_count(ph); i++)
		if (shoal_plugin_host_info(ph, i, info) == 0 && strcmp(info->name, name) == 0)
			return (int)i;
	return -1;
}

struct ctl_plugins_cmd {
	struct shoal_dp *dp;
	struct shoal_ctl_plugin *out;
	size_t n;
	bool oom;
};

static int ctl_cmd_plugins(void *arg)
{
	struct ctl_plugins_cmd *x = arg;
	struct shoal_plugin_host *ph = shoal_dp_plugins(x->dp);
	size_t n = shoal_plugin_host_count(ph);
	if (n == 0)
		return 0;
	x->out = calloc(n, sizeof(*x->out));
	if (!x->out) {
		x->oom = true;
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		struct shoal_plugin_info info;
		if (shoal_plugin_host_info(ph, i, &info) == 0)
			ctl_plugin_fill(&info, &x->out[x->n++]);
	}
	return 0;
}

enum shoal_ctl_status shoal_ctl_plugins(struct shoal_ctl *c, struct shoal_ctl_plugin **out,
                                        size_t *n, struct shoal_ctl_error *e)
{
	*out = NULL;
	*n = 0;
	struct ctl_plugins_cmd x = {.dp = c->dp};
	enum shoal_ctl_status st = ctl_run(c, ctl_cmd_plugins, &x, e);
	if (st != SHOAL_CTL_OK)
		return st;
	if (x.oom)
		return shoal_ctl_error_set(e, SHOAL_CTL_INTERNAL, "out_of_memory", "out of memory");
	*out = x.out;
	*n = x.n;
	return ctl_ok(e, SHOAL_CTL_OK);
}

/* Plugin commands run plugin code (init, fini, the http hook), which may block: they are
 * heap records that own copies of their inputs, so a caller that times out detaches them
 * (cmdq.h) and the data plane frees them when the plugin returns. */
struct ctl_plugin_cmd {
	struct shoal_dp *dp;
	bool load;
	char name[32];
	char *config_json; /* owned */
	enum shoal_ctl_status st;
	struct shoal_ctl_error err;
	struct shoal_ctl_plugin out;
};

static void ctl_plugin_cmd_free(void *arg)
{
	struct ctl_plugin_cmd *x = arg;
	free(x->config_json);
	free(x);
}

static int ctl_cmd_plugin(void *arg)
{
	struct ctl_plugin_cmd *x = arg;
	struct shoal_plugin_host *ph = shoal_dp_plugins(x->dp);
	struct shoal_plugin_info info;
	bool loaded = ctl_plugin_index(ph, x->name, &info) >= 0;
	char err[SHOAL_PLUGIN_HOST_ERR_SIZE] = "";
	if (!x->load) {
		if (!loaded) {
			x->st =
			    shoal_ctl_error_set(&x->err, SHOAL_CTL_NOT_FOUND, "plugin_not_found",
			                        "no plugin named \"%s\" is loaded", x->name);
			return 0;
		}
		shoal_dp_plugin_unload(x->dp, x->name, err, sizeof(err));
		x->st = SHOAL_CTL_OK;
		return 0;
	}
	if (loaded) {
		x->st = shoal_ctl_error_set(&x->err, SHOAL_CTL_CONFLICT, "plugin_exists",
		                            "plugin \"%s\" is already loaded", x->name);
		return 0;
	}
	if (shoal_dp_plugin_load(x->dp, x->name, x->config_json, err, sizeof(err)) < 0) {
		x->st = shoal_ctl_error_set(&x->err, SHOAL_CTL_INVALID, "plugin_load_failed", "%s",
		                            err);
		return 0;
	}
	if (ctl_plugin_index(ph, x->name, &info) >= 0)
		ctl_plugin_fill(&info, &x->out);
	x->st = SHOAL_CTL_CREATED;
	return 0;
}

/* Plugin names as the host accepts them: [a-z0-9_]{1,31} (never a path). Takes x: frees it,
 * or hands it to the data plane when it detaches. */
static enum shoal_ctl_status ctl_plugin_run(struct shoal_ctl *c, struct ctl_plugin_cmd *x,
                                            struct shoal_ctl_plugin *out, struct shoal_ctl_error *e)
{
	enum shoal_ctl_status st = ctl_lock(c, e);
	if (st != SHOAL_CTL_OK) {
		ctl_plugin_cmd_free(x);
		return st;
	}
	bool detached;
	st = ctl_run_within(c, ctl_cmd_plugin, x, ctl_plugin_cmd_free, c->wait_ms, &detached, e);
	pthread_mutex_unlock(&c->plugin_lock);
	if (st != SHOAL_CTL_OK) {
		if (!detached)
			ctl_plugin_cmd_free(x);
		return st;
	}
	st = x->st;
	if (!ctl_status_good(st)) {
		if (e)
			*e = x->err;
	} else {
		if (out)
			*out = x->out;
		ctl_ok(e, st);
	}
	ctl_plugin_cmd_free(x);
	return st;
}

static struct ctl_plugin_cmd *ctl_plugin_cmd_new(struct shoal_ctl *c, bool load, const char *name,
                                                 const char *config_json, struct shoal_ctl_error *e)
{
	if (!shoal_plugin_name_valid(name)) {
		shoal_ctl_error_set(e, load ? SHOAL_CTL_INVALID : SHOAL_CTL_NOT_FOUND,
		                    load ? "invalid_plugin_name" : "plugin_not_found",
		                    "plugin names are 1..31 characters of [a-z0-9_]");
		return NULL;
	}
	struct ctl_plugin_cmd *x = calloc(1, sizeof(*x));
	if (x && config_json && !(x->config_json = strdup(config_json))) {
		free(x);
		x = NULL;
	}
	if (!x) {
		shoal_ctl_error_set(e, SHOAL_CTL_INTERNAL, "out_of_memory", "out of memory");
		return NULL;
	}
	x->dp = c->dp;
	x->load = load;
	snprintf(x->name, sizeof(x->name), "%s", name);
	return x;
}

enum shoal_ctl_status shoal_ctl_plugin_load(struct shoal_ctl *c, const char *name,
                                            const char *config_json, struct shoal_ctl_plugin *out,
                                            struct shoal_ctl_error *e)
{
	struct ctl_plugin_cmd *x = ctl_plugin_cmd_new(c, true, name, config_json, e);
	if (!x)
		return e ? e->status : SHOAL_CTL_INVALID;
	return ctl_plugin_run(c, x, out, e);
}

enum shoal_ctl_status shoal_ctl_plugin_unload(struct shoal_ctl *c, const char *name,
                                              struct shoal_ctl_error *e)
{
	struct ctl_plugin_cmd *x = ctl_plugin_cmd_new(c, false, name, NULL, e);
	if (!x)
		return e ? e->status : SHOAL_CTL_NOT_FOUND;
	return ctl_plugin_run(c, x, NULL, e);
}

/* Heap, self-contained (see ctl_plugin_cmd): name, method, subpath and body are copies. */
struct ctl_http_cmd {
	struct shoal_ctl *c;
	struct shoal_dp *dp;
	struct ctl_txn txn; /* the plugin's staged records (ABI 1.3), when any */
	bool queued;
	struct shoal_ctl_error err; /* refused (read-only, out of memory): records undone */
	bool refused;
	char *name, *method, *subpath, *body; /* owned */
	size_t body_len;
	struct shoal_http_param query[SHOAL_HTTP_QUERY_MAX]; /* keys and values owned */
	struct shoal_http_request req;                       /* points into this record */
	struct shoal_http_reply *reply;                      /* owned */
	int rc;
};

static void ctl_http_cmd_free(void *arg)
{
	struct ctl_http_cmd *x = arg;
	if (!x)
		return;
	for (size_t i = 0; i < x->req.n_query; i++) {
		free((char *)x->query[i].key);
		free((char *)x->query[i].value);
	}
	free(x->txn.changes);
	shoal_plugin_staged_free(x->txn.staged);
	free(x->reply);
	free(x->name);
	free(x->method);
	free(x->subpath);
	free(x->body);
	free(x);
}

/* Data plane: the records a plugin's request staged (ABI 1.3) become a txn of the group
 * commit, like a route change; refused (and undone) when read-only or out of memory. */
static void ctl_http_stage(struct ctl_http_cmd *x)
{
	struct shoal_plugin_host *ph = shoal_dp_plugins(x->dp);
	struct shoal_plugin_staged *st = shoal_plugin_host_staged_take(ph);
	if (!st)
		return;
	if (!x->c->persist || st->n == 0) {
		shoal_plugin_staged_free(st);
		return;
	}
	x->txn.staged = st;
	if (!ctl_writable(x->c, &x->err)) {
		x->refused = true;
		shoal_plugin_host_staged_undo(ph, st);
		return;
	}
	x->txn.changes = calloc(st->n, sizeof(*x->txn.changes));
	if (!x->txn.changes) {
		x->refused = true;
		shoal_ctl_error_set(&x->err, SHOAL_CTL_INTERNAL, "out_of_memory", "out of memory");
		if (shoal_plugin_host_staged_undo(ph, st) < 0)
			ctl_read_only(x->c, "a plugin's change could not be saved nor undone",
			              &x->err);
		return;
	}
	for (size_t i = 0; i < st->n; i++)
		x->txn.changes[i] = (struct shoal_store_change){
		    .op = st->r[i].now_deleted ? SHOAL_STORE_RECORD_DEL : SHOAL_STORE_RECORD_PUT,
		    .u.record = st->r[i].now};
	x->txn.n = st->n;
	ctl_txn_enqueue(x->c, &x->txn);
	x->queued = true;
}

static int ctl_cmd_plugin_http(void *arg)
{
	struct ctl_http_cmd *x = arg;
	x->rc = shoal_plugin_host_http(shoal_dp_plugins(x->dp), x->name, &x->req, x->reply);
	ctl_http_stage(x);
	return 0;
}

/* Data plane, when the caller left before the request finished (detached): a queued txn is
 * taken back and undone if no committer has it yet, else freed by the committer once done. */
static void ctl_http_cmd_release(void *arg)
{
	struct ctl_http_cmd *x = arg;
	if (x->queued) {
		switch (shoal_commitq_cancel(&x->c->commits, &x->txn.item, ctl_http_cmd_free, x)) {
		case SHOAL_COMMITQ_ORPHANED:
			return;
		case SHOAL_COMMITQ_CANCELLED:
			shoal_plugin_host_staged_undo(shoal_dp_plugins(x->dp), x->txn.staged);
			break;
		case SHOAL_COMMITQ_SETTLED:
			break;
		}
	}
	ctl_http_cmd_free(x);
}

static struct ctl_http_cmd *ctl_http_cmd_new(struct shoal_ctl *c, const char *name,
                                             const struct shoal_http_request *req)
{
	struct ctl_http_cmd *x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	x->c = c;
	x->dp = c->dp;
	x->name = strdup(name);
	x->method = strdup(req->method);
	x->subpath = strdup(req->subpath ? req->subpath : "");
	x->body = malloc(req->body_len + 1);
	x->body_len = req->body_len;
	x->reply = shoal_plugin_host_http_reply_new();
	bool ok = x->name && x->method && x->subpath && x->body && x->reply &&
	          req->n_query <= SHOAL_HTTP_QUERY_MAX;
	for (size_t i = 0; ok && i < req->n_query; i++) {
		x->query[i].key = strdup(req->query[i].key);
		x->query[i].value = strdup(req->query[i].value);
		x->req.n_query = i + 1; /* what ctl_http_cmd_free releases */
		ok = x->query[i].key && x->query[i].value;
	}
	if (!ok) {
		ctl_http_cmd_free(x);
		return NULL;
	}
	if (req->body_len)
		memcpy(x->body, req->body, req->body_len);
	x->body[req->body_len] = '\0';
	x->req = (struct shoal_http_request){.method = x->method,
	                                     .subpath = x->subpath,
	                                     .n_query = req->n_query,
	                                     .query = x->query,
	                                     .body = req->body_len ? x->body : NULL,
	                                     .body_len = req->body_len};
	return x;
}

enum shoal_ctl_status shoal_ctl_plugin_http(struct shoal_ctl *c, const char *name,
                                            const struct shoal_http_request *req,
                                            unsigned *http_status, char **reply_body,
                                            struct shoal_ctl_error *e)
{
	*reply_body = NULL;
	*http_status = 0;
	struct ctl_http_cmd *x = ctl_http_cmd_new(c, name, req);
	if (!x)
		return shoal_ctl_error_set(e, SHOAL_CTL_INTERNAL, "out_of_memory", "out of memory");
	bool detached;
	enum shoal_ctl_status st = ctl_run_within(c, ctl_cmd_plugin_http, x, ctl_http_cmd_release,
	                                          c->wait_ms, &detached, e);
	if (st != SHOAL_CTL_OK) {
		if (!detached)
			ctl_http_cmd_free(x);
		return st;
	}
	if (x->queued)
		st = ctl_txn_wait(c, &x->txn, e);
	else if (x->refused)
		st = e ? (*e = x->err).status : x->err.status;
	if (st != SHOAL_CTL_OK) {
		ctl_http_cmd_free(x);
		return st;
	}
	int rc = x->rc;
	if (rc == -ENOENT || rc == -ENOTSUP) {
		ctl_http_cmd_free(x);
		return shoal_ctl_error_set(e, SHOAL_CTL_NOT_FOUND, "plugin_not_found",
		                           rc == -ENOENT ? "no plugin named \"%s\" is loaded"
		                                         : "plugin \"%s\" serves no HTTP endpoints",
		                           name);
	}
	if (rc == -EINVAL) {
		ctl_http_cmd_free(x);
		return shoal_ctl_error_set(e, SHOAL_CTL_INVALID, "unknown_query_parameter",
		                           "plugin \"%s\" takes no query parameters", name);
	}
	if (rc < 0) {
		ctl_http_cmd_free(x);
		return shoal_ctl_error_set(e, SHOAL_CTL_INTERNAL, "plugin_failed",
		                           "plugin \"%s\" failed to answer", name);
	}
	*reply_body = strdup(x->reply->body);
	*http_status = x->reply->status;
	ctl_http_cmd_free(x);
	if (!*reply_body) {
		*http_status = 0;
		return shoal_ctl_error_set(e, SHOAL_CTL_INTERNAL, "out_of_memory", "out of memory");
	}
	return ctl_ok(e, SHOAL_CTL_OK);
}

/* ---------- health ---------- */

static int ctl_cmd_ping(void *arg)
{
	(void)arg;
	return 0;
}

enum shoal_ctl_status shoal_ctl_health(struct shoal_ctl *c, struct shoal_ctl_health *out,
                                       struct shoal_ctl_error *e)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* arg NULL: nothing of the caller's is touched, so a cancel or a late run is harmless */
	enum shoal_ctl_status st =
	    ctl_run_within(c, ctl_cmd_ping, NULL, NULL, c->health_wait_ms, NULL, e);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	*out = (struct shoal_ctl_health){
	    .responsive = st == SHOAL_CTL_OK,
	    .timeout_ms = c->health_wait_ms,
	    .round_trip_us =
	        (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000LL + (t1.tv_nsec - t0.tv_nsec) / 1000),
	};
	uint64_t last = shoal_dp_last_loop_ms(c->dp);
	uint64_t now = shoal_loop_clock_ms();
	out->last_loop_ms = now > last ? now - last : 0;
	return st == SHOAL_CTL_OK ? ctl_ok(e, st) : st;
}

void shoal_ctl_set_wait_ms(struct shoal_ctl *c, unsigned wait_ms, unsigned health_wait_ms)
{
	c->wait_ms = wait_ms;
	c->health_wait_ms = health_wait_ms;
}

enum shoal_ctl_status shoal_ctl_error_set(struct shoal_ctl_error *e, enum shoal_ctl_status st,
                                          const char *code, const char *fmt, ...)
{
	if (!e)
		return st;
	e->status = st;
	snprintf(e->code, sizeof(e->code), "%s", code);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	return st;
}

const char *shoal_ctl_status_name(enum shoal_ctl_status s)
{
	static const char *const names[] = {"ok",        "created",  "replaced", "invalid",
	                                    "not_found", "conflict", "full",     "unavailable",
	                                    "storage",   "internal"};
	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

/* ---- host uplink (hostcfg.h) -------------------------------------------------------------- */

void shoal_ctl_set_host(struct shoal_ctl *c, struct shoal_hostcfg *host)
{
	c->host = host;
}

struct ctl_host_cmd {
	struct shoal_hostcfg *host;
	json_t *out;
};

/* Data plane: the firewall read needs CAP_NET_ADMIN (and libiptc a raw socket), which only
 * this thread holds after the privilege drop (privdrop.h); the HTTP threads hold none. */
static int ctl_host_cmd(void *arg)
{
	struct ctl_host_cmd *h = arg;
	h->out = shoal_hostcfg_report(h->host);
	return 0;
}

enum shoal_ctl_status shoal_ctl_host(struct shoal_ctl *c, json_t **out, struct shoal_ctl_error *e)
{
	/* hostcfg only asks the kernel (its own netlink socket and firewall handle) and reads
	 * fields fixed at start; it runs on the data-plane thread for its privileges. */
	struct ctl_host_cmd h = {.host = c->host};
	*out = NULL;
	enum shoal_ctl_status st = ctl_run(c, ctl_host_cmd, &h, e);
	if (st != SHOAL_CTL_OK)
		return st;
	*out = h.out;
	if (*out == NULL)
		return shoal_ctl_error_set(e, SHOAL_CTL_INTERNAL, "out_of_memory", "out of memory");
	return ctl_ok(e, SHOAL_CTL_OK);
}

/* ---------- metrics ---------- */

struct ctl_metrics_cmd {
	struct shoal_dp *dp;
	struct shoal_ctl_metrics *m;
	size_t cap; /* of m->routes */
	bool oom;
	/* the previous route's next hop and its id: neighbours in the walk often share one */
	size_t min_slot; /* top-N full: the kept route with fewest packets */
};

/* Of two routes, a ranks before b: more packets, then the lower (prefix, length). */
static bool ctl_metrics_before(uint64_t apk, uint32_t ap, uint8_t al,
                               const struct shoal_ctl_route *b)
{
	if (apk != b->packets)
		return apk > b->packets;
	return ap != b->prefix ? ap < b->prefix : al < b->prefix_len;
}

/* route_metrics all: the LPM walk (table order), each route's own counters. */
static int ctl_metrics_route(void *ctx, uint32_t prefix, unsigned len,
                             const struct shoal_lpm_nh *nh)
{
	struct ctl_metrics_cmd *x = ctx;
	struct shoal_ctl_metrics *m = x->m;
	if (m->n_routes == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 1024;
		struct shoal_ctl_route *g = realloc(m->routes, cap * sizeof(*g));
		if (!g) {
			x->oom = true;
			return 1;
		}
		m->routes = g;
		x->cap = cap;
	}
	struct shoal_ctl_route *o = &m->routes[m->n_routes++];
	*o = (struct shoal_ctl_route){.prefix = prefix,
	                              .prefix_len = (uint8_t)len,
	                              .has_next_hop = nh->has_gateway,
	                              .next_hop = nh->gateway};
	shoal_routes_counters(shoal_dp_routes(x->dp), prefix, (uint8_t)len, &o->packets, &o->bytes);
	snprintf(o->interface, sizeof(o->interface), "%s",
	         shoal_routes_if_name(shoal_dp_routes(x->dp), nh->ifindex));
	return 0;
}

/* route_metrics top:N: a scan of the route counters themselves (no walk of the table, no
 * lookup per route) keeps the N that rank first; a route ranking before the kept last
 * replaces it, and the last is searched again (O(N)) only then. Next hops are read for the
 * N kept ones afterwards. */
static int ctl_metrics_top(void *ctx, uint32_t prefix, uint8_t len, uint64_t pk, uint64_t by)
{
	struct ctl_metrics_cmd *x = ctx;
	struct shoal_ctl_metrics *m = x->m;
	size_t slot = m->n_routes;
	if (m->n_routes == (size_t)m->route_limit) {
		if (!ctl_metrics_before(pk, prefix, len, &m->routes[x->min_slot]))
			return 0;
		slot = x->min_slot;
	} else {
		m->n_routes++;
	}
	m->routes[slot] = (struct shoal_ctl_route){
	    .prefix = prefix, .prefix_len = len, .packets = pk, .bytes = by};
	if (m->n_routes == (size_t)m->route_limit &&
	    (slot == x->min_slot || slot == m->n_routes - 1)) {
		x->min_slot = 0;
		for (size_t i = 1; i < m->n_routes; i++) {
			const struct shoal_ctl_route *r = &m->routes[i];
			if (!ctl_metrics_before(r->packets, r->prefix, r->prefix_len,
			                        &m->routes[x->min_slot]) &&
			    i != x->min_slot)
				x->min_slot = i;
		}
	}
	return 0;
}

static int ctl_metrics_route_cmp(const void *a, const void *b)
{
	const struct shoal_ctl_route *x = a, *y = b;
	if (x->packets != y->packets)
		return x->packets < y->packets ? 1 : -1;
	if (x->prefix != y->prefix)
		return x->prefix < y->prefix ? -1 : 1;
	return (int)x->prefix_len - (int)y->prefix_len;
}

/* The loaded plugins' names (load order), whose metrics hooks run after this command. */
static bool ctl_metrics_plugin_names(struct shoal_plugin_host *ph, struct shoal_ctl_metrics *m)
{
	size_t n = shoal_plugin_host_count(ph);
	m->plugins = calloc(n ? n : 1, sizeof(*m->plugins));
	if (!m->plugins)
		return false;
	for (size_t i = 0; i < n; i++) {
		struct shoal_plugin_info info;
		if (shoal_plugin_host_info(ph, i, &info) == 0)
			snprintf(m->plugins[m->n_plugins++].name, sizeof(m->plugins[0].name), "%s",
			         info.name);
	}
	return true;
}

static int ctl_cmd_metrics(void *arg)
{
	struct ctl_metrics_cmd *x = arg;
	struct shoal_ctl_metrics *m = x->m;
	struct shoal_plugin_host *ph = shoal_dp_plugins(x->dp);
	shoal_plugin_host_metrics_options(ph, &m->public_, &m->route_limit);
	m->dp = *shoal_dp_stats(x->dp);
	m->runtime_on = shoal_dp_runtime_on(x->dp);
	memcpy(m->runtime, shoal_dp_runtime(x->dp), sizeof(m->runtime));
	if (m->route_limit > 0) {
		x->cap = (size_t)m->route_limit;
		m->routes = calloc(x->cap, sizeof(*m->routes));
		x->oom = !m->routes;
	}
	if (!x->oom && m->route_limit < 0)
		shoal_lpm_foreach(shoal_dp_lpm(x->dp), ctl_metrics_route, x);
	if (!x->oom && m->route_limit > 0) {
		struct shoal_routes *r = shoal_dp_routes(x->dp);
		shoal_routes_counters_foreach(r, ctl_metrics_top, x);
		for (size_t i = 0; i < m->n_routes; i++) {
			struct shoal_ctl_route *o = &m->routes[i];
			struct shoal_lpm_nh nh = {0};
			shoal_lpm_get(shoal_dp_lpm(x->dp), o->prefix, o->prefix_len, &nh);
			o->has_next_hop = nh.has_gateway;
			o->next_hop = nh.gateway;
			snprintf(o->interface, sizeof(o->interface), "%s",
			         shoal_routes_if_name(r, nh.ifindex));
		}
	}
	if (!x->oom && !ctl_metrics_plugin_names(ph, m))
		x->oom = true;
	return 0;
}

/* One plugin's metrics hook: plugin code, so a heap record the caller may detach from (like
 * plugin commands); the data plane frees it when the hook returns. */
struct ctl_pmetrics_cmd {
	struct shoal_dp *dp;
	char name[32];
	int rc;    /* length written, 0 (no hook, or unloaded since) or a negative errno */
	char *buf; /* SHOAL_CTL_PLUGIN_METRICS_MAX bytes */
};

static void ctl_pmetrics_free(void *arg)
{
	struct ctl_pmetrics_cmd *x = arg;
	free(x->buf);
	free(x);
}

static int ctl_cmd_pmetrics(void *arg)
{
	enum { SMALL = 64 * 1024 };
	struct ctl_pmetrics_cmd *x = arg;
	struct shoal_plugin_host *ph = shoal_dp_plugins(x->dp);
	struct shoal_plugin_info info;
	int i = ctl_plugin_index(ph, x->name, &info);
	x->rc = i < 0 ? 0 : shoal_plugin_host_metrics(ph, (size_t)i, x->buf, SMALL);
	if (x->rc == -ENOSPC)
		x->rc =
		    shoal_plugin_host_metrics(ph, (size_t)i, x->buf, SHOAL_CTL_PLUGIN_METRICS_MAX);
	return 0;
}

/* Appends text (n bytes) and a final newline if it lacks one to m->plugin_text. */
static bool ctl_pmetrics_append(struct shoal_ctl_metrics *m, size_t *len, const char *text,
                                size_t n)
{
	bool nl = n > 0 && text[n - 1] != '\n';
	char *t = realloc(m->plugin_text, *len + n + nl + 1);
	if (!t)
		return false;
	memcpy(t + *len, text, n);
	*len += n;
	if (nl)
		t[(*len)++] = '\n';
	t[*len] = '\0';
	m->plugin_text = t;
	return true;
}

/* Counts this scrape's failures (err[i] < 0: none) into the table of loaded plugins and
 * copies the totals to m->plugins. */
static void ctl_pmetrics_account(struct shoal_ctl *c, struct shoal_ctl_metrics *m, const int *err)
{
	struct shoal_ctl_plugin_metrics kept[SHOAL_PLUGIN_HOST_MAX_PLUGINS];
	size_t nk = 0;
	pthread_mutex_lock(&c->metrics_lock);
	for (size_t i = 0; i < m->n_plugins && nk < SHOAL_PLUGIN_HOST_MAX_PLUGINS; i++) {
		struct shoal_ctl_plugin_metrics *p = &m->plugins[i];
		for (size_t k = 0; k < c->n_pmetrics; k++)
			if (strcmp(c->pmetrics[k].name, p->name) == 0)
				memcpy(p->errors, c->pmetrics[k].errors, sizeof(p->errors));
		if (err[i] >= 0)
			p->errors[err[i]]++;
		kept[nk++] = *p;
	}
	memcpy(c->pmetrics, kept, nk * sizeof(kept[0]));
	c->n_pmetrics = nk;
	pthread_mutex_unlock(&c->metrics_lock);
}

/* Runs each plugin's metrics hook within one shared bound. A hook that does not return in
 * time is detached (it finishes in the background) and the plugins after it are skipped:
 * the data plane is held, they would wait behind it. */
static bool ctl_metrics_plugins(struct shoal_ctl *c, struct shoal_ctl_metrics *m)
{
	int err[SHOAL_PLUGIN_HOST_MAX_PLUGINS];
	size_t len = 0;
	bool ok = (m->plugin_text = calloc(1, 1)) != NULL;
	struct timespec deadline;
	ctl_deadline(&deadline, SHOAL_CTL_PLUGIN_METRICS_WAIT_MS);
	for (size_t i = 0; i < m->n_plugins; i++)
		err[i] = -1;
	for (size_t i = 0; ok && i < m->n_plugins; i++) {
		unsigned left = ctl_ms_left(&deadline);
		if (left == 0)
			break;
		struct ctl_pmetrics_cmd *x = calloc(1, sizeof(*x));
		if (!x || !(x->buf = malloc(SHOAL_CTL_PLUGIN_METRICS_MAX))) {
			free(x);
			ok = false;
			break;
		}
		x->dp = c->dp;
		snprintf(x->name, sizeof(x->name), "%s", m->plugins[i].name);
		bool detached;
		struct shoal_ctl_error e;
		enum shoal_ctl_status st =
		    ctl_run_within(c, ctl_cmd_pmetrics, x, ctl_pmetrics_free, left, &detached, &e);
		if (st != SHOAL_CTL_OK) {
			if (!detached)
				ctl_pmetrics_free(x);
			if (strcmp(e.code, "dataplane_busy") == 0)
				err[i] = SHOAL_CTL_PMETRICS_timeout;
			break;
		}
		if (x->rc == -ENOSPC)
			err[i] = SHOAL_CTL_PMETRICS_too_large;
		else if (x->rc < 0)
			err[i] = SHOAL_CTL_PMETRICS_failed;
		else
			ok = ctl_pmetrics_append(m, &len, x->buf, (size_t)x->rc);
		ctl_pmetrics_free(x);
	}
	ctl_pmetrics_account(c, m, err);
	return ok;
}

void shoal_ctl_metrics_free(struct shoal_ctl_metrics *m)
{
	if (!m)
		return;
	free(m->plugin_text);
	free(m->plugins);
	free(m->routes);
	memset(m, 0, sizeof(*m));
}

enum shoal_ctl_status shoal_ctl_metrics(struct shoal_ctl *c, struct shoal_ctl_metrics *out,
                                        struct shoal_ctl_error *e)
{
	memset(out, 0, sizeof(*out));
	struct ctl_metrics_cmd x = {.dp = c->dp, .m = out};
	enum shoal_ctl_status st = ctl_run(c, ctl_cmd_metrics, &x, e);
	if (st == SHOAL_CTL_OK && x.oom)
		st = shoal_ctl_error_set(e, SHOAL_CTL_INTERNAL, "out_of_memory", "out of memory");
	if (st != SHOAL_CTL_OK) {
		shoal_ctl_metrics_free(out);
		return st;
	}
	if (out->route_limit > 0)
		qsort(out->routes, out->n_routes, sizeof(*out->routes), ctl_metrics_route_cmp);
	shoal_cmdq_counters(c->q, out->cmdq);
	pthread_mutex_lock(&c->lock);
	memcpy(out->store, c->store_ctr, sizeof(out->store));
	pthread_mutex_unlock(&c->lock);
	return ctl_ok(e, SHOAL_CTL_OK);
}

enum shoal_ctl_status shoal_ctl_metrics_plugins(struct shoal_ctl *c, struct shoal_ctl_metrics *m,
                                                struct shoal_ctl_error *e)
{
	if (!ctl_metrics_plugins(c, m))
		return shoal_ctl_error_set(e, SHOAL_CTL_INTERNAL, "out_of_memory", "out of memory");
	return ctl_ok(e, SHOAL_CTL_OK);
}
