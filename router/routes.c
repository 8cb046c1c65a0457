/* routes.c — the route table of record with origins and the API overlay; contract in
 * include/shoal/routes.h. */
#include "shoal/routes.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shoal/ipv4.h"
#include "shoal/lpm.h"

/* A set of entries sorted by (prefix, prefix_len), unique keys. */
struct routes_set {
	size_t n, cap;
	struct shoal_routes_entry *v;
};

/* One change to the overlay: set ROUTES_API or ROUTES_DELETED, key, before and after. */
enum routes_set_id { ROUTES_API, ROUTES_DELETED };

struct routes_jrec {
	uint8_t set; /* enum routes_set_id */
	bool had_old, had_new;
	struct shoal_routes_entry old, now; /* key in both (prefix, prefix_len) */
};

/* A change in progress or committed: the journal of overlay edits since save, O(edits). */
struct shoal_routes_saved {
	size_t n, cap;
	struct routes_jrec *v;
};

/* Per-route counters: one slot per effective route (every prefix the table holds), open
 * addressing with linear probing and backward-shift deletion, at most half full. */
struct routes_ctr {
	uint32_t prefix;
	uint8_t len;
	bool used;
	uint64_t packets, bytes;
};

struct routes_ctrs {
	struct routes_ctr *v;
	size_t cap, n; /* cap: 0 or a power of two */
};

struct shoal_routes {
	unsigned n_ifs;
	struct shoal_routes_if ifs[SHOAL_ROUTES_MAX_IFS];
	struct routes_set connected, config, api, deleted;
	shoal_routes_apply_fn apply;
	shoal_routes_batch_fn batch; /* NULL: none */
	void *ctx;
	struct shoal_routes_saved *active; /* between save and commit/abandon: edits recorded */
	struct routes_ctrs ctrs;           /* per-route counters of the effective routes */
};

static const char *const routes_status_codes[] = {
#define ROUTES_STATUS_CODE(name, code) [SHOAL_ROUTES_##name] = code,
    SHOAL_ROUTES_STATUS_TABLE(ROUTES_STATUS_CODE)
#undef ROUTES_STATUS_CODE
};

const char *shoal_routes_status_code(enum shoal_routes_status st)
{
	return (unsigned)st < SHOAL_ROUTES_STATUS_COUNT_ ? routes_status_codes[st] : "unknown";
}

bool shoal_routes_status_ok(enum shoal_routes_status st)
{
	return st == SHOAL_ROUTES_OK || st == SHOAL_ROUTES_CREATED || st == SHOAL_ROUTES_REPLACED;
}

/* Fills err (when not NULL) and returns st: the one way this module reports a refusal. */
static enum shoal_routes_status routes_error(struct shoal_routes_error *err,
                                             enum shoal_routes_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum shoal_routes_status routes_error(struct shoal_routes_error *err,
                                             enum shoal_routes_status st, const char *fmt, ...)
{
	if (!err)
		return st;
	err->status = st;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return st;
}

static int routes_key_cmp(uint32_t ap, uint8_t al, uint32_t bp, uint8_t bl)
{
	if (ap != bp)
		return ap < bp ? -1 : 1;
	return al < bl ? -1 : al > bl;
}

static int routes_entry_cmp(const void *a, const void *b)
{
	const struct shoal_routes_entry *x = a, *y = b;
	return routes_key_cmp(x->prefix, x->prefix_len, y->prefix, y->prefix_len);
}

/* Index of key, or of where it would go (*found tells). */
static size_t routes_set_find(const struct routes_set *s, uint32_t p, uint8_t l, bool *found)
{
	size_t lo = 0, hi = s->n;
	/* the last key or past it (an ascending bulk load adds there): no search */
	int last = hi > 0 ? routes_key_cmp(s->v[hi - 1].prefix, s->v[hi - 1].prefix_len, p, l) : 1;
	if (last <= 0) {
		*found = last == 0;
		return last == 0 ? hi - 1 : hi;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = routes_key_cmp(s->v[mid].prefix, s->v[mid].prefix_len, p, l);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static const struct shoal_routes_entry *routes_set_get(const struct routes_set *s, uint32_t p,
                                                       uint8_t l)
{
	bool found;
	size_t i = routes_set_find(s, p, l, &found);
	return found ? &s->v[i] : NULL;
}

static int routes_set_put(struct routes_set *s, const struct shoal_routes_entry *e)
{
	bool found;
	size_t i = routes_set_find(s, e->prefix, e->prefix_len, &found);
	if (found) {
		s->v[i] = *e;
		return 0;
	}
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 16;
		struct shoal_routes_entry *nv = realloc(s->v, ncap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		s->v = nv;
		s->cap = ncap;
	}
	memmove(&s->v[i + 1], &s->v[i], (s->n - i) * sizeof(*s->v));
	s->v[i] = *e;
	s->n++;
	return 0;
}

static void routes_set_remove(struct routes_set *s, uint32_t p, uint8_t l)
{
	bool found;
	size_t i = routes_set_find(s, p, l, &found);
	if (!found)
		return;
	memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof(*s->v));
	s->n--;
}

static int routes_set_copy(struct routes_set *dst, const struct routes_set *src)
{
	dst->n = dst->cap = 0;
	dst->v = NULL;
	if (src->n == 0)
		return 0;
	dst->v = malloc(src->n * sizeof(*dst->v));
	if (!dst->v)
		return -ENOMEM;
	memcpy(dst->v, src->v, src->n * sizeof(*dst->v));
	dst->n = dst->cap = src->n;
	return 0;
}

static void routes_set_free(struct routes_set *s)
{
	free(s->v);
	*s = (struct routes_set){0};
}

/* ---------- per-route counters ---------- */

static size_t routes_ctr_hash(uint32_t p, uint8_t l, size_t cap)
{
	uint64_t x = ((uint64_t)p << 6 | l) * 0x9e3779b97f4a7c15ull;
	return (size_t)(x >> 32) & (cap - 1);
}

static struct routes_ctr *routes_ctr_find(const struct routes_ctrs *t, uint32_t p, uint8_t l)
{
	if (t->cap == 0)
		return NULL;
	for (size_t h = routes_ctr_hash(p, l, t->cap);; h = (h + 1) & (t->cap - 1)) {
		struct routes_ctr *c = &t->v[h];
		if (!c->used)
			return NULL;
		if (c->prefix == p && c->len == l)
			return c;
	}
}

static void routes_ctr_place(struct routes_ctrs *t, const struct routes_ctr *c)
{
	size_t h = routes_ctr_hash(c->prefix, c->len, t->cap);
	while (t->v[h].used)
		h = (h + 1) & (t->cap - 1);
	t->v[h] = *c;
}

/* Room for one more slot (the table doubles before it is half full). */
static int routes_ctr_reserve(struct routes_ctrs *t)
{
	if ((t->n + 1) * 2 <= t->cap)
		return 0;
	size_t cap = t->cap ? t->cap * 2 : 64;
	struct routes_ctr *v = calloc(cap, sizeof(*v));
	if (!v)
		return -ENOMEM;
	struct routes_ctrs nt = {.v = v, .cap = cap, .n = t->n};
	for (size_t i = 0; i < t->cap; i++)
		if (t->v[i].used)
			routes_ctr_place(&nt, &t->v[i]);
	free(t->v);
	*t = nt;
	return 0;
}

/* A route appeared (zeroed slot) or was replaced (slot kept); room reserved before. One
 * probe sequence: the key's slot, or the free slot that ends it. */
static void routes_ctr_add(struct routes_ctrs *t, uint32_t p, uint8_t l)
{
	for (size_t h = routes_ctr_hash(p, l, t->cap);; h = (h + 1) & (t->cap - 1)) {
		struct routes_ctr *c = &t->v[h];
		if (c->used && c->prefix == p && c->len == l)
			return;
		if (!c->used) {
			*c = (struct routes_ctr){.prefix = p, .len = l, .used = true};
			t->n++;
			return;
		}
	}
}

/* Keys this far ahead in a group have their counter slot prefetched (routes_journal_apply). */
enum { ROUTES_CTR_AHEAD = 8 };

static void routes_ctr_prefetch(const struct routes_ctrs *t, uint32_t p, uint8_t l)
{
	if (t->cap)
		__builtin_prefetch(&t->v[routes_ctr_hash(p, l, t->cap)], 1);
}

/* A route disappeared: its counters go with it (backward-shift deletion). */
static void routes_ctr_remove(struct routes_ctrs *t, uint32_t p, uint8_t l)
{
	struct routes_ctr *c = routes_ctr_find(t, p, l);
	if (!c)
		return;
	size_t i = (size_t)(c - t->v);
	for (size_t j = (i + 1) & (t->cap - 1); t->v[j].used; j = (j + 1) & (t->cap - 1)) {
		size_t home = routes_ctr_hash(t->v[j].prefix, t->v[j].len, t->cap);
		/* move j back to i unless its home lies cyclically in (i, j] */
		bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
		if (stays)
			continue;
		t->v[i] = t->v[j];
		i = j;
	}
	t->v[i] = (struct routes_ctr){0};
	t->n--;
}

void shoal_routes_count(struct shoal_routes *r, uint32_t prefix, uint8_t prefix_len, uint64_t bytes)
{
	struct routes_ctr *c = routes_ctr_find(&r->ctrs, prefix, prefix_len);
	if (!c)
		return;
	c->packets++;
	c->bytes += bytes;
}

void shoal_routes_counters(const struct shoal_routes *r, uint32_t prefix, uint8_t prefix_len,
                           uint64_t *packets, uint64_t *bytes)
{
	const struct routes_ctr *c = routes_ctr_find(&r->ctrs, prefix, prefix_len);
	*packets = c ? c->packets : 0;
	*bytes = c ? c->bytes : 0;
}

int shoal_routes_counters_foreach(const struct shoal_routes *r, shoal_routes_counter_fn cb,
                                  void *ctx)
{
	for (size_t i = 0; i < r->ctrs.cap; i++) {
		const struct routes_ctr *c = &r->ctrs.v[i];
		if (!c->used)
			continue;
		int rc = cb(ctx, c->prefix, c->len, c->packets, c->bytes);
		if (rc)
			return rc;
	}
	return 0;
}

/* The one way this module changes the table: apply, then the counter slot follows (a new
 * route starts at zero, a replaced one keeps its counts, a deleted one loses them). */
static int routes_push(struct shoal_routes *r, uint32_t p, uint8_t l,
                       const struct shoal_routes_entry *e)
{
	if (e && routes_ctr_reserve(&r->ctrs) < 0)
		return -1;
	if (r->apply(r->ctx, p, l, e) < 0)
		return -1;
	if (e)
		routes_ctr_add(&r->ctrs, p, l);
	else
		routes_ctr_remove(&r->ctrs, p, l);
	return 0;
}

/* Effective route of a key over explicit sets. */
static bool routes_effective(const struct routes_set *connected, const struct routes_set *config,
                             const struct routes_set *api, const struct routes_set *deleted,
                             uint32_t p, uint8_t l, struct shoal_routes_route *out)
{
	const struct shoal_routes_entry *e = routes_set_get(api, p, l);
	if (e) {
		*out = (struct shoal_routes_route){.e = *e, .origin = SHOAL_ROUTES_API};
		return true;
	}
	e = routes_set_get(config, p, l);
	if (e && !routes_set_get(deleted, p, l)) {
		*out = (struct shoal_routes_route){.e = *e, .origin = SHOAL_ROUTES_CONFIG};
		return true;
	}
	e = routes_set_get(connected, p, l);
	if (e) {
		*out = (struct shoal_routes_route){.e = *e, .origin = SHOAL_ROUTES_CONNECTED};
		return true;
	}
	return false;
}

static bool routes_same(bool ha, const struct shoal_routes_route *a, bool hb,
                        const struct shoal_routes_route *b)
{
	if (ha != hb)
		return false;
	if (!ha)
		return true;
	return a->e.has_next_hop == b->e.has_next_hop &&
	       (!a->e.has_next_hop || a->e.next_hop == b->e.next_hop) &&
	       a->e.ifindex == b->e.ifindex;
}

static void routes_batch_begin(struct shoal_routes *r)
{
	if (r->batch)
		r->batch(r->ctx, false); /* a refusal only means no deferral */
}

static int routes_batch_end(struct shoal_routes *r)
{
	return r->batch ? r->batch(r->ctx, true) : 0;
}

/* Calls apply for key when its effective route differs between the two views. */
struct routes_view {
	const struct routes_set *config, *api, *deleted;
};

static int routes_sync_key(struct shoal_routes *r, const struct routes_view *from,
                           const struct routes_view *to, uint32_t p, uint8_t l)
{
	struct shoal_routes_route a, b;
	bool ha = routes_effective(&r->connected, from->config, from->api, from->deleted, p, l, &a);
	bool hb = routes_effective(&r->connected, to->config, to->api, to->deleted, p, l, &b);
	if (routes_same(ha, &a, hb, &b))
		return 0;
	return routes_push(r, p, l, hb ? &b.e : NULL);
}

/* Syncs keys[0..n) from one view to the other. On failure stops, puts keys already synced
 * back (in reverse order, so what was removed to make room is not needed) and returns -1. */
static int routes_sync(struct shoal_routes *r, const struct routes_view *from,
                       const struct routes_view *to, const struct shoal_routes_entry *keys,
                       size_t n)
{
	routes_batch_begin(r);
	size_t done = n;
	for (size_t i = 0; i < n && done == n; i++)
		if (routes_sync_key(r, from, to, keys[i].prefix, keys[i].prefix_len) < 0)
			done = i;
	if (routes_batch_end(r) == 0 && done == n)
		return 0;
	routes_batch_begin(r);
	while (done-- > 0)
		routes_sync_key(r, to, from, keys[done].prefix, keys[done].prefix_len);
	routes_batch_end(r);
	return -1;
}

static int routes_jrec_cmp(const void *a, const void *b)
{
	const struct routes_jrec *x = a, *y = b;
	if (x->set != y->set)
		return x->set < y->set ? -1 : 1;
	return routes_entry_cmp(&x->old, &y->old);
}

struct routes_pair {
	struct shoal_routes_entry e;
	size_t i;
};

static int routes_pair_cmp(const void *a, const void *b)
{
	const struct routes_pair *x = a, *y = b;
	int c = routes_entry_cmp(&x->e, &y->e);
	return c ? c : (x->i > y->i) - (x->i < y->i);
}

static struct routes_set *routes_set_of(struct shoal_routes *r, uint8_t set)
{
	return set == ROUTES_API ? &r->api : &r->deleted;
}

/* Puts (e not NULL) or removes key p/l in one overlay set, recording the edit in the active
 * journal. 0 or -ENOMEM (nothing changed). */
static int routes_jset(struct shoal_routes *r, uint8_t set, uint32_t p, uint8_t l,
                       const struct shoal_routes_entry *e)
{
	struct shoal_routes_saved *j = r->active;
	if (j && j->n == j->cap) {
		size_t ncap = j->cap ? j->cap * 2 : 8;
		struct routes_jrec *nv = realloc(j->v, ncap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		j->v = nv;
		j->cap = ncap;
	}
	struct routes_set *rs = routes_set_of(r, set);
	const struct shoal_routes_entry *cur = routes_set_get(rs, p, l);
	struct routes_jrec rec = {.set = set, .had_old = cur != NULL, .had_new = e != NULL};
	rec.old = cur ? *cur : (struct shoal_routes_entry){.prefix = p, .prefix_len = l};
	rec.now = e ? *e : (struct shoal_routes_entry){.prefix = p, .prefix_len = l};
	if (e) {
		if (routes_set_put(rs, e) < 0)
			return -ENOMEM;
	} else {
		routes_set_remove(rs, p, l);
	}
	if (j)
		j->v[j->n++] = rec;
	return 0;
}

/* Overlay back to before the journal (newest edit first). Never allocates: sets do not
 * shrink, so a key removed by an edit finds its room again. */
static void routes_journal_revert(struct shoal_routes *r, const struct shoal_routes_saved *j)
{
	for (size_t i = j->n; i-- > 0;) {
		const struct routes_jrec *x = &j->v[i];
		struct routes_set *rs = routes_set_of(r, x->set);
		if (x->had_old)
			routes_set_put(rs, &x->old);
		else
			routes_set_remove(rs, x->old.prefix, x->old.prefix_len);
	}
}

/* Overlay forward to after the journal (after a revert: the room is there). */
static void routes_journal_redo(struct shoal_routes *r, const struct shoal_routes_saved *j)
{
	for (size_t i = 0; i < j->n; i++) {
		const struct routes_jrec *x = &j->v[i];
		struct routes_set *rs = routes_set_of(r, x->set);
		if (x->had_new)
			routes_set_put(rs, &x->now);
		else
			routes_set_remove(rs, x->now.prefix, x->now.prefix_len);
	}
}

/* The distinct keys a journal touched, sorted; malloc'd. NULL with *n 0 when none or on
 * ENOMEM (*oom). */
static struct shoal_routes_entry *routes_journal_keys(const struct shoal_routes_saved *j, size_t *n,
                                                      bool *oom)
{
	*n = 0;
	*oom = false;
	if (j->n == 0)
		return NULL;
	struct shoal_routes_entry *k = malloc(j->n * sizeof(*k));
	if (!k) {
		*oom = true;
		return NULL;
	}
	for (size_t i = 0; i < j->n; i++)
		k[i] = j->v[i].old;
	qsort(k, j->n, sizeof(*k), routes_entry_cmp);
	size_t m = 0;
	for (size_t i = 0; i < j->n; i++)
		if (m == 0 || routes_entry_cmp(&k[m - 1], &k[i]) != 0)
			k[m++] = k[i];
	*n = m;
	return k;
}

/* Effective routes of keys[0..n) in the overlay as it is now. */
static void routes_effective_of(const struct shoal_routes *r, const struct shoal_routes_entry *k,
                                size_t n, bool *has, struct shoal_routes_route *rt)
{
	for (size_t i = 0; i < n; i++)
		has[i] = routes_effective(&r->connected, &r->config, &r->api, &r->deleted,
		                          k[i].prefix, k[i].prefix_len, &rt[i]);
}

/* Moves the table of the journal's keys between the overlay before it (forward false: to
 * it) and after it (forward true: to it); the overlay ends in that state. On a refusal the
 * overlay and the keys already applied go back, and -1. */
static int routes_journal_apply(struct shoal_routes *r, const struct shoal_routes_saved *j,
                                bool forward)
{
	size_t n;
	bool oom;
	struct shoal_routes_entry *k = routes_journal_keys(j, &n, &oom);
	if (oom)
		return -1;
	bool *has = malloc(2 * (n ? n : 1) * sizeof(*has));
	struct shoal_routes_route *rt = malloc(2 * (n ? n : 1) * sizeof(*rt));
	if (!has || !rt) {
		free(has);
		free(rt);
		free(k);
		return -1;
	}
	/* [0..n): after the journal, [n..2n): before it */
	bool *has_to = forward ? has : has + n, *has_from = forward ? has + n : has;
	struct shoal_routes_route *to = forward ? rt : rt + n, *from = forward ? rt + n : rt;
	if (forward) {
		routes_effective_of(r, k, n, has, rt);
		routes_journal_revert(r, j);
		routes_effective_of(r, k, n, has + n, rt + n);
		routes_journal_redo(r, j);
	} else {
		routes_effective_of(r, k, n, has, rt);
		routes_journal_revert(r, j);
		routes_effective_of(r, k, n, has + n, rt + n);
	}
	int rc = 0;
	routes_batch_begin(r);
	size_t done = n;
	for (size_t i = 0; i < n && done == n; i++) {
		if (i + ROUTES_CTR_AHEAD < n) /* its counter slot: a cache miss in a big table */
			routes_ctr_prefetch(&r->ctrs, k[i + ROUTES_CTR_AHEAD].prefix,
			                    k[i + ROUTES_CTR_AHEAD].prefix_len);
		if (!routes_same(has_from[i], &from[i], has_to[i], &to[i]) &&
		    routes_push(r, k[i].prefix, k[i].prefix_len, has_to[i] ? &to[i].e : NULL) < 0)
			done = i;
	}
	if (routes_batch_end(r) < 0 || done < n) {
		routes_batch_begin(r);
		while (done-- > 0)
			if (!routes_same(has_from[done], &from[done], has_to[done], &to[done]))
				routes_push(r, k[done].prefix, k[done].prefix_len,
				            has_from[done] ? &from[done].e : NULL);
		routes_batch_end(r);
		if (forward)
			routes_journal_revert(r, j);
		else
			routes_journal_redo(r, j);
		rc = -1;
	}
	free(rt);
	free(has);
	free(k);
	return rc;
}

struct shoal_routes *shoal_routes_create(const struct shoal_routes_if *ifs, unsigned n_ifs,
                                         shoal_routes_apply_fn apply, void *ctx)
{
	if (n_ifs > SHOAL_ROUTES_MAX_IFS)
		return NULL;
	struct shoal_routes *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->apply = apply;
	r->ctx = ctx;
	r->n_ifs = n_ifs;
	if (n_ifs)
		memcpy(r->ifs, ifs, n_ifs * sizeof(*ifs));
	for (unsigned i = 0; i < n_ifs; i++) {
		uint32_t mask = shoal_ipv4_prefix_mask(ifs[i].prefix_len);
		struct shoal_routes_entry e = {
		    .prefix = ifs[i].address & mask, .prefix_len = ifs[i].prefix_len, .ifindex = i};
		if (routes_set_put(&r->connected, &e) < 0 ||
		    routes_push(r, e.prefix, e.prefix_len, &e) < 0) {
			shoal_routes_destroy(r);
			return NULL;
		}
	}
	return r;
}

void shoal_routes_destroy(struct shoal_routes *r)
{
	if (!r)
		return;
	free(r->ctrs.v);
	routes_set_free(&r->deleted);
	routes_set_free(&r->api);
	routes_set_free(&r->config);
	routes_set_free(&r->connected);
	free(r);
}

int shoal_routes_set_config(struct shoal_routes *r, const struct shoal_routes_entry *e, size_t n)
{
	struct routes_set next = {0};
	for (size_t i = 0; i < n; i++)
		if (routes_set_put(&next, &e[i]) < 0) {
			routes_set_free(&next);
			return -1;
		}
	struct routes_view from = {&r->config, &r->api, &r->deleted};
	struct routes_view to = {&next, &r->api, &r->deleted};
	int rc = 0;
	routes_batch_begin(r);
	for (size_t i = 0; i < r->config.n; i++)
		if (routes_sync_key(r, &from, &to, r->config.v[i].prefix,
		                    r->config.v[i].prefix_len) < 0)
			rc = -1;
	for (size_t i = 0; i < next.n; i++)
		if (routes_sync_key(r, &from, &to, next.v[i].prefix, next.v[i].prefix_len) < 0)
			rc = -1;
	if (routes_batch_end(r) < 0)
		rc = -1;
	routes_set_free(&r->config);
	r->config = next;
	return rc;
}

void shoal_routes_set_batch(struct shoal_routes *r, shoal_routes_batch_fn batch)
{
	r->batch = batch;
}

const char *shoal_routes_if_name(const struct shoal_routes *r, unsigned ifindex)
{
	return ifindex < r->n_ifs ? r->ifs[ifindex].name : "";
}

int shoal_routes_if_for(const struct shoal_routes *r, uint32_t addr)
{
	for (unsigned i = 0; i < r->n_ifs; i++) {
		uint32_t m = shoal_ipv4_prefix_mask(r->ifs[i].prefix_len);
		if ((addr & m) == (r->ifs[i].address & m))
			return (int)i;
	}
	return -1;
}

int shoal_routes_if_by_name(const struct shoal_routes *r, const char *name)
{
	for (unsigned i = 0; i < r->n_ifs; i++)
		if (strcmp(r->ifs[i].name, name) == 0)
			return (int)i;
	return -1;
}

enum shoal_routes_status shoal_routes_prefix_check(uint32_t p, unsigned l,
                                                   struct shoal_routes_error *err)
{
	if (l > 32)
		return routes_error(err, SHOAL_ROUTES_INVALID_PREFIX_LENGTH,
		                    "prefix length %u is out of range (0..32)", l);
	uint32_t m = shoal_ipv4_prefix_mask(l);
	if (p & ~m) {
		char a[SHOAL_IPV4_ADDR_STRLEN], b[SHOAL_IPV4_ADDR_STRLEN];
		return routes_error(err, SHOAL_ROUTES_INVALID_PREFIX,
		                    "%s/%u has host bits set; did you mean %s/%u?",
		                    shoal_ipv4_addr_format(p, a), l,
		                    shoal_ipv4_addr_format(p & m, b), l);
	}
	return SHOAL_ROUTES_OK;
}

enum shoal_routes_status shoal_routes_validate(const struct shoal_routes *r,
                                               const struct shoal_routes_spec *spec,
                                               struct shoal_routes_entry *out,
                                               struct shoal_routes_error *err)
{
	enum shoal_routes_status st =
	    shoal_routes_prefix_check(spec->prefix, spec->prefix_len, err);
	if (st != SHOAL_ROUTES_OK)
		return st;
	if (!spec->has_next_hop && !spec->has_interface)
		return routes_error(err, SHOAL_ROUTES_MISSING_NEXT_HOP,
		                    "a route needs a next_hop, an interface, or both");
	int ifi = -1;
	if (spec->has_interface) {
		char name[sizeof(spec->interface)];
		memcpy(name, spec->interface, sizeof(name));
		name[sizeof(name) - 1] = '\0';
		ifi = shoal_routes_if_by_name(r, name);
		if (ifi < 0)
			return routes_error(err, SHOAL_ROUTES_UNKNOWN_INTERFACE,
			                    "no interface named \"%s\"", name);
	}
	char a[SHOAL_IPV4_ADDR_STRLEN], b[SHOAL_IPV4_ADDR_STRLEN];
	if (spec->has_next_hop) {
		for (unsigned i = 0; i < r->n_ifs; i++)
			if (r->ifs[i].address == spec->next_hop)
				return routes_error(err, SHOAL_ROUTES_INVALID_NEXT_HOP,
				                    "next hop %s is the router's own address (%s)",
				                    shoal_ipv4_addr_format(spec->next_hop, a),
				                    r->ifs[i].name);
		if (ifi >= 0) {
			const struct shoal_routes_if *f = &r->ifs[ifi];
			uint32_t m = shoal_ipv4_prefix_mask(f->prefix_len);
			if ((spec->next_hop & m) != (f->address & m))
				return routes_error(
				    err, SHOAL_ROUTES_NEXT_HOP_UNREACHABLE,
				    "next hop %s is outside %s's network %s/%u",
				    shoal_ipv4_addr_format(spec->next_hop, a), f->name,
				    shoal_ipv4_addr_format(f->address & m, b), f->prefix_len);
		} else {
			ifi = shoal_routes_if_for(r, spec->next_hop);
			if (ifi < 0)
				return routes_error(
				    err, SHOAL_ROUTES_NEXT_HOP_UNREACHABLE,
				    "next hop %s is outside every connected network",
				    shoal_ipv4_addr_format(spec->next_hop, a));
		}
	}
	*out = (struct shoal_routes_entry){
	    .prefix = spec->prefix,
	    .prefix_len = spec->prefix_len,
	    .has_next_hop = spec->has_next_hop,
	    .next_hop = spec->has_next_hop ? spec->next_hop : 0,
	    .ifindex = (unsigned)ifi,
	};
	return SHOAL_ROUTES_OK;
}

struct shoal_routes_saved *shoal_routes_save(struct shoal_routes *r)
{
	struct shoal_routes_saved *s = calloc(1, sizeof(*s));
	if (s)
		r->active = s;
	return s;
}

void shoal_routes_saved_free(struct shoal_routes_saved *saved)
{
	if (!saved)
		return;
	free(saved->v);
	free(saved);
}

bool shoal_routes_get(const struct shoal_routes *r, uint32_t prefix, uint8_t prefix_len,
                      struct shoal_routes_route *out)
{
	return routes_effective(&r->connected, &r->config, &r->api, &r->deleted, prefix, prefix_len,
	                        out);
}

enum shoal_routes_status shoal_routes_op(struct shoal_routes *r, enum shoal_routes_op_kind kind,
                                         const struct shoal_routes_spec *spec,
                                         struct shoal_routes_error *err)
{
	struct shoal_routes_entry e;
	enum shoal_routes_status st;
	if (kind == SHOAL_ROUTES_OP_DELETE)
		st = shoal_routes_prefix_check(spec->prefix, spec->prefix_len, err);
	else
		st = shoal_routes_validate(r, spec, &e, err);
	if (st != SHOAL_ROUTES_OK)
		return st;
	char pb[SHOAL_IPV4_PREFIX_STRLEN]; /* the prefix in messages: formatted only for one */
	struct shoal_routes_route cur;
	bool has = shoal_routes_get(r, spec->prefix, spec->prefix_len, &cur);
	switch (kind) {
	case SHOAL_ROUTES_OP_ADD:
		if (has)
			return routes_error(
			    err, SHOAL_ROUTES_ROUTE_EXISTS, "a route for %s already exists",
			    shoal_ipv4_prefix_format(spec->prefix, spec->prefix_len, pb));
		break;
	case SHOAL_ROUTES_OP_PUT:
		if (has && cur.origin == SHOAL_ROUTES_CONNECTED)
			return routes_error(
			    err, SHOAL_ROUTES_CONNECTED_ROUTE,
			    "%s is the connected network of %s; it cannot be replaced",
			    shoal_ipv4_prefix_format(spec->prefix, spec->prefix_len, pb),
			    shoal_routes_if_name(r, cur.e.ifindex));
		break;
	case SHOAL_ROUTES_OP_DELETE:
		if (!has)
			return routes_error(
			    err, SHOAL_ROUTES_ROUTE_NOT_FOUND, "no route for %s",
			    shoal_ipv4_prefix_format(spec->prefix, spec->prefix_len, pb));
		if (cur.origin == SHOAL_ROUTES_CONNECTED)
			return routes_error(
			    err, SHOAL_ROUTES_CONNECTED_ROUTE,
			    "%s is the connected network of %s; it cannot be deleted",
			    shoal_ipv4_prefix_format(spec->prefix, spec->prefix_len, pb),
			    shoal_routes_if_name(r, cur.e.ifindex));
		if (routes_set_get(&r->api, spec->prefix, spec->prefix_len) &&
		    routes_jset(r, ROUTES_API, spec->prefix, spec->prefix_len, NULL) < 0)
			return routes_error(err, SHOAL_ROUTES_NO_MEMORY, "out of memory");
		if (routes_set_get(&r->config, spec->prefix, spec->prefix_len) &&
		    !routes_set_get(&r->deleted, spec->prefix, spec->prefix_len)) {
			struct shoal_routes_entry k = {.prefix = spec->prefix,
			                               .prefix_len = spec->prefix_len};
			if (routes_jset(r, ROUTES_DELETED, k.prefix, k.prefix_len, &k) < 0)
				return routes_error(err, SHOAL_ROUTES_NO_MEMORY, "out of memory");
		}
		return SHOAL_ROUTES_OK;
	}
	if (!routes_set_get(&r->api, e.prefix, e.prefix_len) && r->api.n >= SHOAL_ROUTES_MAX_API)
		return routes_error(err, SHOAL_ROUTES_TABLE_FULL,
		                    "at most %d routes can be set through the API",
		                    SHOAL_ROUTES_MAX_API);
	if (routes_jset(r, ROUTES_API, e.prefix, e.prefix_len, &e) < 0)
		return routes_error(err, SHOAL_ROUTES_NO_MEMORY, "out of memory");
	return has ? SHOAL_ROUTES_REPLACED : SHOAL_ROUTES_CREATED;
}

int shoal_routes_commit(struct shoal_routes *r, struct shoal_routes_saved *saved)
{
	r->active = NULL;
	if (routes_journal_apply(r, saved, true) == 0)
		return 0;
	shoal_routes_saved_free(saved);
	return -1;
}

void shoal_routes_abandon(struct shoal_routes *r, struct shoal_routes_saved *saved)
{
	r->active = NULL;
	routes_journal_revert(r, saved);
	shoal_routes_saved_free(saved);
}

int shoal_routes_restore(struct shoal_routes *r, struct shoal_routes_saved *saved)
{
	int rc = routes_journal_apply(r, saved, false);
	if (rc == 0)
		shoal_routes_saved_free(saved);
	return rc;
}

int shoal_routes_changes(const struct shoal_routes *r, const struct shoal_routes_saved *saved,
                         struct shoal_store_change **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (saved->n == 0)
		return 0;
	struct routes_jrec *k = malloc(saved->n * sizeof(*k));
	struct shoal_store_change *c = calloc(saved->n, sizeof(*c));
	if (!k || !c) {
		free(k);
		free(c);
		return -ENOMEM;
	}
	memcpy(k, saved->v, saved->n * sizeof(*k));
	qsort(k, saved->n, sizeof(*k), routes_jrec_cmp);
	size_t m = 0;
	for (size_t i = 0; i < saved->n; i++) {
		if (i > 0 && routes_jrec_cmp(&k[i - 1], &k[i]) == 0)
			continue;
		uint32_t p = k[i].old.prefix;
		uint8_t l = k[i].old.prefix_len;
		if (k[i].set == ROUTES_DELETED) {
			bool del = routes_set_get(&r->deleted, p, l) != NULL;
			c[m].op = del ? SHOAL_STORE_DELETED_PUT : SHOAL_STORE_DELETED_DEL;
			c[m].u.prefix = (struct shoal_state_prefix){.prefix = p, .prefix_len = l};
		} else {
			const struct shoal_routes_entry *e = routes_set_get(&r->api, p, l);
			c[m].op = e ? SHOAL_STORE_ROUTE_PUT : SHOAL_STORE_ROUTE_DEL;
			c[m].u.route = (struct shoal_state_route){.prefix = p, .prefix_len = l};
			if (e) {
				c[m].u.route.has_next_hop = e->has_next_hop;
				c[m].u.route.next_hop = e->next_hop;
				const char *ifn = shoal_routes_if_name(r, e->ifindex);
				size_t len = strnlen(ifn, sizeof(c[m].u.route.interface) - 1);
				memcpy(c[m].u.route.interface, ifn, len); /* NUL: calloc */
			}
		}
		m++;
	}
	free(k);
	*out = c;
	*n = m;
	return 0;
}

bool shoal_routes_lookup(const struct shoal_routes *r, uint32_t addr,
                         struct shoal_routes_route *out)
{
	for (int l = 32; l >= 0; l--)
		if (shoal_routes_get(r, addr & shoal_ipv4_prefix_mask((unsigned)l), (uint8_t)l,
		                     out))
			return true;
	return false;
}

int shoal_routes_list(const struct shoal_routes *r, uint32_t within, uint8_t within_len,
                      struct shoal_routes_route **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	size_t cap = r->connected.n + r->config.n + r->api.n;
	if (cap == 0)
		return 0;
	struct shoal_routes_entry *keys = malloc(cap * sizeof(*keys));
	struct shoal_routes_route *res = malloc(cap * sizeof(*res));
	if (!keys || !res) {
		free(keys);
		free(res);
		return -ENOMEM;
	}
	size_t k = 0;
	const struct routes_set *sets[] = {&r->connected, &r->config, &r->api};
	for (size_t s = 0; s < 3; s++) {
		if (sets[s]->n)
			memcpy(keys + k, sets[s]->v, sets[s]->n * sizeof(*keys));
		k += sets[s]->n;
	}
	qsort(keys, k, sizeof(*keys), routes_entry_cmp);
	uint32_t wm = shoal_ipv4_prefix_mask(within_len);
	size_t m = 0;
	for (size_t i = 0; i < k; i++) {
		if (i > 0 && routes_entry_cmp(&keys[i - 1], &keys[i]) == 0)
			continue;
		if (keys[i].prefix_len < within_len || (keys[i].prefix & wm) != (within & wm))
			continue;
		if (shoal_routes_get(r, keys[i].prefix, keys[i].prefix_len, &res[m]))
			m++;
	}
	free(keys);
	if (m == 0) {
		free(res);
		return 0;
	}
	*out = res;
	*n = m;
	return 0;
}

/* Sorts a set built unsorted; of equal keys the last added wins. */
static void routes_set_sort(struct routes_set *s)
{
	if (s->n < 2)
		return;
	/* sorted as (entry, position) pairs, so equal keys keep their order */
	struct routes_pair *p = malloc(s->n * sizeof(*p));
	if (!p) { /* fall back: unstable, duplicates are rare (a hand-edited file) */
		qsort(s->v, s->n, sizeof(*s->v), routes_entry_cmp);
	} else {
		for (size_t i = 0; i < s->n; i++)
			p[i] = (struct routes_pair){.e = s->v[i], .i = i};
		qsort(p, s->n, sizeof(*p), routes_pair_cmp);
		for (size_t i = 0; i < s->n; i++)
			s->v[i] = p[i].e;
		free(p);
	}
	size_t m = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (m > 0 && routes_entry_cmp(&s->v[m - 1], &s->v[i]) == 0)
			s->v[m - 1] = s->v[i];
		else
			s->v[m++] = s->v[i];
	}
	s->n = m;
}

static int routes_set_append(struct routes_set *s, const struct shoal_routes_entry *e)
{
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 16;
		struct shoal_routes_entry *nv = realloc(s->v, ncap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		s->v = nv;
		s->cap = ncap;
	}
	s->v[s->n++] = *e;
	return 0;
}

int shoal_routes_import(struct shoal_routes *r, const struct shoal_state *s, char *err,
                        size_t err_size)
{
	struct routes_set api = {0}, deleted = {0};
	if (routes_set_copy(&api, &r->api) < 0 || routes_set_copy(&deleted, &r->deleted) < 0)
		goto oom;
	for (size_t i = 0; i < s->n_deleted; i++) {
		struct shoal_routes_entry k = {.prefix = s->deleted[i].prefix,
		                               .prefix_len = s->deleted[i].prefix_len};
		if (routes_set_append(&deleted, &k) < 0)
			goto oom;
	}
	routes_set_sort(&deleted);
	for (size_t i = 0; i < deleted.n; i++)
		routes_set_remove(&api, deleted.v[i].prefix, deleted.v[i].prefix_len);
	for (size_t i = 0; i < s->n_routes; i++) {
		const struct shoal_state_route *sr = &s->routes[i];
		struct shoal_routes_spec spec = {.prefix = sr->prefix,
		                                 .prefix_len = sr->prefix_len,
		                                 .has_next_hop = sr->has_next_hop,
		                                 .next_hop = sr->next_hop,
		                                 .has_interface = sr->interface[0] != '\0'};
		memcpy(spec.interface, sr->interface, sizeof(spec.interface));
		struct shoal_routes_entry e;
		struct shoal_routes_error ce;
		enum shoal_routes_status st = shoal_routes_validate(r, &spec, &e, &ce);
		if (st == SHOAL_ROUTES_OK && routes_set_append(&api, &e) < 0)
			goto oom;
		if (st != SHOAL_ROUTES_OK) {
			snprintf(err, err_size, "routes[%zu]: %s", i, ce.message);
			goto fail;
		}
	}
	routes_set_sort(&api);
	if (api.n > SHOAL_ROUTES_MAX_API) {
		snprintf(err, err_size, "routes: more than %d routes", SHOAL_ROUTES_MAX_API);
		goto fail;
	}
	size_t nk = r->api.n + r->deleted.n + api.n + deleted.n;
	struct shoal_routes_entry *keys = malloc((nk ? nk : 1) * sizeof(*keys));
	if (!keys)
		goto oom;
	size_t m = 0;
	const struct routes_set *sets[] = {&r->api, &r->deleted, &api, &deleted};
	for (size_t i = 0; i < 4; i++) {
		if (sets[i]->n)
			memcpy(keys + m, sets[i]->v, sets[i]->n * sizeof(*keys));
		m += sets[i]->n;
	}
	struct routes_view from = {&r->config, &r->api, &r->deleted};
	struct routes_view to = {&r->config, &api, &deleted};
	int rc = routes_sync(r, &from, &to, keys, m);
	free(keys);
	if (rc < 0) {
		snprintf(err, err_size, "routes: the forwarding table is full");
		goto fail;
	}
	routes_set_free(&r->api);
	routes_set_free(&r->deleted);
	r->api = api;
	r->deleted = deleted;
	return 0;
oom:
	snprintf(err, err_size, "out of memory");
fail:
	routes_set_free(&deleted);
	routes_set_free(&api);
	return -1;
}

/* ---------- the forwarding table (the LPM) ---------- */

static struct shoal_lpm_nh routes_lpm_nh(const struct shoal_routes_entry *e)
{
	return (struct shoal_lpm_nh){
	    .gateway = e->has_next_hop ? e->next_hop : 0,
	    .ifindex = e->ifindex,
	    .has_gateway = e->has_next_hop,
	};
}

int shoal_routes_lpm_batch(void *lpm, bool end)
{
	enum shoal_lpm_status st = end ? shoal_lpm_defer_end(lpm) : shoal_lpm_defer_begin(lpm);
	return st == SHOAL_LPM_OK ? 0 : -1;
}

int shoal_routes_lpm_apply(void *lpm, uint32_t prefix, uint8_t prefix_len,
                           const struct shoal_routes_entry *e)
{
	if (!e) {
		enum shoal_lpm_status s = shoal_lpm_delete(lpm, prefix, prefix_len);
		return s == SHOAL_LPM_OK || s == SHOAL_LPM_NOT_FOUND ? 0 : -1;
	}
	struct shoal_lpm_nh nh = routes_lpm_nh(e);
	return shoal_lpm_replace(lpm, prefix, prefix_len, &nh, NULL) == SHOAL_LPM_OK ? 0 : -1;
}

static bool routes_nh_equal(const struct shoal_lpm_nh *a, const struct shoal_lpm_nh *b)
{
	return a->ifindex == b->ifindex && a->has_gateway == b->has_gateway &&
	       (!a->has_gateway || a->gateway == b->gateway);
}

enum shoal_routes_resolve shoal_routes_resolve(const struct shoal_routes *r,
                                               const struct shoal_lpm *lpm, uint32_t addr,
                                               struct shoal_routes_route *out,
                                               struct shoal_lpm_nh *fwd)
{
	uint32_t id = shoal_lpm_lookup(lpm, addr);
	if (id == SHOAL_LPM_MISS)
		return SHOAL_ROUTES_RESOLVE_NO_ROUTE;
	*fwd = *shoal_lpm_nh_get(lpm, id);
	if (!shoal_routes_lookup(r, addr, out))
		return SHOAL_ROUTES_RESOLVE_MISMATCH;
	struct shoal_lpm_nh want = routes_lpm_nh(&out->e);
	struct shoal_lpm_nh held;
	if (!routes_nh_equal(fwd, &want) ||
	    shoal_lpm_get(lpm, out->e.prefix, out->e.prefix_len, &held) != SHOAL_LPM_OK ||
	    !routes_nh_equal(&held, &want))
		return SHOAL_ROUTES_RESOLVE_MISMATCH;
	return SHOAL_ROUTES_RESOLVE_OK;
}
