/*
 * test_routes_lpm.c — one truth for forwarding: the route store (router/routes.c), the LPM
 * it mirrors into through the data plane's apply callback (shoal_routes_lpm_apply) and the
 * answer control's route lookup gives (shoal_routes_resolve on that LPM) agree with a
 * trivially correct model after every step of random add/replace/delete sequences (fixed
 * seeds), including /0, /32, replacing a route with itself and deleting what is not there.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shoal/ipv4.h"
#include "shoal/lpm.h"
#include "shoal/routes.h"

enum { MODEL_MAX = 4096, STEPS = 1500 };

/* The model: a flat list of effective routes; lookup is a linear scan for the longest. */
struct model_route {
	uint32_t prefix;
	uint8_t len;
	bool connected;
	bool has_gw;
	uint32_t gw;
	unsigned ifindex;
};

struct model {
	size_t n;
	struct model_route v[MODEL_MAX];
};

static const struct shoal_routes_if ifs[] = {
    {"lan0", 0x0a000101u, 24}, /* 10.0.1.1/24 */
    {"lan1", 0x0a000201u, 24}, /* 10.0.2.1/24 */
};

static uint32_t mask(unsigned len)
{
	return len == 0 ? 0 : 0xffffffffu << (32 - len);
}

static struct model_route *model_get(struct model *m, uint32_t p, uint8_t l)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].prefix == p && m->v[i].len == l)
			return &m->v[i];
	return NULL;
}

static const struct model_route *model_lookup(const struct model *m, uint32_t a)
{
	const struct model_route *best = NULL;
	for (size_t i = 0; i < m->n; i++)
		if ((a & mask(m->v[i].len)) == m->v[i].prefix && (!best || m->v[i].len > best->len))
			best = &m->v[i];
	return best;
}

/* xorshift64*: fixed seeds, reproducible sequences */
static uint64_t rng_state;
static uint32_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}

/* Prefixes crowd a few places so ops collide: /0, /32s, nested and connected prefixes. */
static void random_prefix(uint32_t *p, uint8_t *l)
{
	static const uint32_t bases[] = {0x0a000100u, 0x0a000200u, 0x0b000000u,
	                                 0xc0a80000u, 0x08080808u, 0xac100000u};
	static const uint8_t lens[] = {8, 16, 17, 23, 24, 25, 31, 32};
	unsigned k = rnd() % 10;
	uint32_t base = k < 7 ? bases[rnd() % 6] : rnd();
	if (k >= 7 || rnd() % 2)
		base ^= rnd() & 0x000003ffu; /* nearby addresses: siblings and nested prefixes */
	/* short prefixes are costly LPM updates (they rewrite every /16 under them): fewer */
	unsigned d = rnd() % 20;
	*l = d == 0 ? 0 : d == 1 ? (uint8_t)(rnd() % 33) : lens[rnd() % sizeof(lens)];
	*p = base & mask(*l);
}

static void random_next_hop(struct shoal_routes_spec *s)
{
	static const uint32_t gws[] = {0x0a000102u, 0x0a000103u, 0x0a000209u};
	switch (rnd() % 5) {
	case 0: /* directly attached */
		s->has_interface = true;
		strcpy(s->interface, rnd() % 2 ? "lan0" : "lan1");
		break;
	case 1: /* gateway and its interface */
		s->has_next_hop = true;
		s->next_hop = gws[rnd() % 3];
		s->has_interface = true;
		strcpy(s->interface, (s->next_hop >> 8) == 0x0a0001u ? "lan0" : "lan1");
		break;
	default: /* gateway alone: the interface follows from it */
		s->has_next_hop = true;
		s->next_hop = gws[rnd() % 3];
		break;
	}
}

static struct model_route model_of(const struct shoal_routes_spec *s)
{
	struct model_route r = {.prefix = s->prefix, .len = s->prefix_len};
	r.has_gw = s->has_next_hop;
	r.gw = s->has_next_hop ? s->next_hop : 0;
	if (s->has_interface)
		r.ifindex = strcmp(s->interface, "lan0") == 0 ? 0 : 1;
	else
		r.ifindex = (s->next_hop >> 8) == 0x0a0001u ? 0 : 1;
	return r;
}

static bool nh_is(const struct shoal_lpm_nh *nh, const struct model_route *m)
{
	return nh->ifindex == m->ifindex && nh->has_gateway == m->has_gw &&
	       (!m->has_gw || nh->gateway == m->gw);
}

/* One address: model, LPM (the data plane's lookup), route store and control's answer. */
static void check_addr(const struct model *m, const struct shoal_routes *r,
                       const struct shoal_lpm *lpm, uint32_t a)
{
	const struct model_route *want = model_lookup(m, a);
	uint32_t id = shoal_lpm_lookup(lpm, a);
	struct shoal_routes_route rt;
	bool has = shoal_routes_lookup(r, a, &rt);
	struct shoal_routes_route res_rt;
	struct shoal_lpm_nh fwd;
	enum shoal_routes_resolve res = shoal_routes_resolve(r, lpm, a, &res_rt, &fwd);
	if (!want) {
		if (id != SHOAL_LPM_MISS || has || res != SHOAL_ROUTES_RESOLVE_NO_ROUTE)
			fail_msg("0x%08x: model has no route; lpm id %u, store %d, resolve %d", a,
			         id, has, res);
		return;
	}
	if (id == SHOAL_LPM_MISS || !nh_is(shoal_lpm_nh_get(lpm, id), want))
		fail_msg("0x%08x: the LPM does not forward by 0x%08x/%u", a, want->prefix,
		         want->len);
	if (!has || rt.e.prefix != want->prefix || rt.e.prefix_len != want->len)
		fail_msg("0x%08x: the store does not name 0x%08x/%u", a, want->prefix, want->len);
	if (res != SHOAL_ROUTES_RESOLVE_OK || res_rt.e.prefix != want->prefix ||
	    res_rt.e.prefix_len != want->len || !nh_is(&fwd, want))
		fail_msg("0x%08x: lookup answers %d, not 0x%08x/%u", a, res, want->prefix,
		         want->len);
	assert_int_equal(res_rt.origin == SHOAL_ROUTES_CONNECTED, want->connected);
}

static void check_route(const struct model *m, const struct shoal_routes *r,
                        const struct shoal_lpm *lpm, uint32_t prefix, uint8_t len)
{
	uint32_t first = prefix, last = prefix | ~mask(len);
	check_addr(m, r, lpm, first);
	check_addr(m, r, lpm, last);
	check_addr(m, r, lpm, first - 1); /* just outside, both sides */
	check_addr(m, r, lpm, last + 1);
	check_addr(m, r, lpm, first + (last - first) / 2);
}

/* Everything: every route exactly (shoal_lpm_get) and at its edges. */
static void check_all(const struct model *m, const struct shoal_routes *r,
                      const struct shoal_lpm *lpm)
{
	assert_int_equal(shoal_lpm_count(lpm), m->n);
	for (size_t i = 0; i < m->n; i++) {
		const struct model_route *e = &m->v[i];
		struct shoal_lpm_nh nh;
		assert_int_equal(shoal_lpm_get(lpm, e->prefix, e->len, &nh), SHOAL_LPM_OK);
		assert_true(nh_is(&nh, e));
		check_route(m, r, lpm, e->prefix, e->len);
	}
	for (int i = 0; i < 32; i++)
		check_addr(m, r, lpm, rnd());
}

/* After one op: the prefix it touched, a sample of the others, random addresses. */
static void check_step(const struct model *m, const struct shoal_routes *r,
                       const struct shoal_lpm *lpm, uint32_t prefix, uint8_t len)
{
	assert_int_equal(shoal_lpm_count(lpm), m->n);
	check_route(m, r, lpm, prefix, len);
	check_route(m, r, lpm, 0, 0);
	for (int i = 0; i < 8 && m->n > 0; i++) {
		const struct model_route *e = &m->v[rnd() % m->n];
		check_route(m, r, lpm, e->prefix, e->len);
	}
	for (int i = 0; i < 8; i++)
		check_addr(m, r, lpm, rnd());
}

static void run_seed(uint64_t seed)
{
	rng_state = seed;
	struct shoal_lpm *lpm = shoal_lpm_create(NULL);
	assert_non_null(lpm);
	struct shoal_routes *r = shoal_routes_create(ifs, 2, shoal_routes_lpm_apply, lpm);
	assert_non_null(r);
	struct model *m = calloc(1, sizeof(*m));
	assert_non_null(m);
	for (unsigned i = 0; i < 2; i++)
		m->v[m->n++] = (struct model_route){.prefix = ifs[i].address & mask(24),
		                                    .len = 24,
		                                    .connected = true,
		                                    .ifindex = i};
	check_all(m, r, lpm);
	unsigned seen_default_delete = 0, seen_self_replace = 0, seen_absent_delete = 0;
	for (unsigned step = 0; step < STEPS; step++) {
		struct shoal_routes_spec s = {0};
		random_prefix(&s.prefix, &s.prefix_len);
		unsigned kind = rnd() % 10;
		struct model_route *cur = model_get(m, s.prefix, s.prefix_len);
		if (kind == 9 && m->n > 0) { /* replace an existing route with itself */
			const struct model_route *e = &m->v[rnd() % m->n];
			s.prefix = e->prefix;
			s.prefix_len = e->len;
			s.has_next_hop = e->has_gw;
			s.next_hop = e->gw;
			s.has_interface = true;
			strcpy(s.interface, e->ifindex == 0 ? "lan0" : "lan1");
			cur = model_get(m, s.prefix, s.prefix_len);
		} else if (kind == 8 && m->n > 0) { /* delete an existing route */
			const struct model_route *e = &m->v[rnd() % m->n];
			s.prefix = e->prefix;
			s.prefix_len = e->len;
			cur = model_get(m, s.prefix, s.prefix_len);
		} else {
			random_next_hop(&s);
		}
		enum shoal_routes_op_kind op = kind == 9 || kind < 3 ? SHOAL_ROUTES_OP_PUT
		                               : kind < 5            ? SHOAL_ROUTES_OP_ADD
		                                                     : SHOAL_ROUTES_OP_DELETE;
		struct shoal_routes_saved *saved = shoal_routes_save(r);
		assert_non_null(saved);
		struct shoal_routes_error err = {0};
		enum shoal_routes_status st = shoal_routes_op(r, op, &s, &err);
		enum shoal_routes_status want;
		struct model_route nr = model_of(&s);
		switch (op) {
		case SHOAL_ROUTES_OP_ADD:
			want = cur ? SHOAL_ROUTES_ROUTE_EXISTS : SHOAL_ROUTES_CREATED;
			break;
		case SHOAL_ROUTES_OP_PUT:
			want = cur ? (cur->connected ? SHOAL_ROUTES_CONNECTED_ROUTE : SHOAL_ROUTES_REPLACED)
			           : SHOAL_ROUTES_CREATED;
			if (cur && !cur->connected &&
			    nh_is(&(struct shoal_lpm_nh){.gateway = cur->gw,
			                                 .ifindex = cur->ifindex,
			                                 .has_gateway = cur->has_gw},
			          &nr))
				seen_self_replace++;
			break;
		default:
			want = !cur ? SHOAL_ROUTES_ROUTE_NOT_FOUND
			            : (cur->connected ? SHOAL_ROUTES_CONNECTED_ROUTE : SHOAL_ROUTES_OK);
			seen_absent_delete += !cur;
			seen_default_delete += cur && s.prefix_len == 0;
			break;
		}
		if (st != want)
			fail_msg("step %u: op %d on 0x%08x/%u: status %d (%s), model says %d", step,
			         op, s.prefix, s.prefix_len, st, shoal_routes_status_code(st), want);
		if (st == SHOAL_ROUTES_ROUTE_EXISTS || st == SHOAL_ROUTES_CONNECTED_ROUTE ||
		    st == SHOAL_ROUTES_ROUTE_NOT_FOUND) {
			shoal_routes_abandon(r, saved);
			/* the store stops a delete of what is not there; the LPM must too */
			if (st == SHOAL_ROUTES_ROUTE_NOT_FOUND)
				assert_int_equal(shoal_lpm_delete(lpm, s.prefix, s.prefix_len),
				                 SHOAL_LPM_NOT_FOUND);
		} else {
			assert_int_equal(shoal_routes_commit(r, saved), 0);
			shoal_routes_saved_free(saved); /* the undo record: not needed here */
			if (op == SHOAL_ROUTES_OP_DELETE)
				*cur = m->v[--m->n];
			else if (cur)
				*cur = nr;
			else {
				assert_true(m->n < MODEL_MAX);
				m->v[m->n++] = nr;
			}
		}
		if (step % 100 == 99)
			check_all(m, r, lpm);
		else
			check_step(m, r, lpm, s.prefix, s.prefix_len);
	}
	check_all(m, r, lpm);
	/* the sequence reached the cases this test is about */
	assert_true(seen_default_delete > 0);
	assert_true(seen_self_replace > 0);
	assert_true(seen_absent_delete > 0);
	free(m);
	shoal_routes_destroy(r);
	shoal_lpm_destroy(lpm);
}

static void test_store_lpm_and_lookup_agree_seed_1(void **state)
{
	(void)state;
	run_seed(1);
}

static void test_store_lpm_and_lookup_agree_seed_2(void **state)
{
	(void)state;
	run_seed(0x9e3779b97f4a7c15ull);
}

static void test_store_lpm_and_lookup_agree_seed_3(void **state)
{
	(void)state;
	run_seed(20261201);
}

/* The table the data plane forwards with parts from the route store (as a broken LPM update
 * would make it): control's lookup reports the mismatch instead of the store's view. */
static void test_lookup_reports_what_the_lpm_does(void **state)
{
	(void)state;
	struct shoal_lpm *lpm = shoal_lpm_create(NULL);
	struct shoal_routes *r = shoal_routes_create(ifs, 2, shoal_routes_lpm_apply, lpm);
	assert_non_null(r);
	struct shoal_routes_route rt;
	struct shoal_lpm_nh fwd;
	assert_int_equal(shoal_routes_resolve(r, lpm, 0x08080808u, &rt, &fwd),
	                 SHOAL_ROUTES_RESOLVE_NO_ROUTE);
	/* a default route the store does not know */
	struct shoal_lpm_nh stray = {.gateway = 0x0a000102u, .ifindex = 0, .has_gateway = true};
	assert_int_equal(shoal_lpm_insert(lpm, 0, 0, &stray), SHOAL_LPM_OK);
	assert_int_equal(shoal_routes_resolve(r, lpm, 0x08080808u, &rt, &fwd),
	                 SHOAL_ROUTES_RESOLVE_MISMATCH);
	assert_true(fwd.has_gateway);
	assert_int_equal(fwd.gateway, 0x0a000102u);
	/* a connected network forwarded elsewhere */
	struct shoal_lpm_nh other = {.ifindex = 1};
	assert_int_equal(shoal_lpm_replace(lpm, 0x0a000100u, 24, &other, NULL), SHOAL_LPM_OK);
	assert_int_equal(shoal_routes_resolve(r, lpm, 0x0a000105u, &rt, &fwd),
	                 SHOAL_ROUTES_RESOLVE_MISMATCH);
	/* untouched parts still resolve, naming the record */
	assert_int_equal(shoal_routes_resolve(r, lpm, 0x0a000205u, &rt, &fwd),
	                 SHOAL_ROUTES_RESOLVE_OK);
	assert_int_equal(rt.e.prefix, 0x0a000200u);
	assert_int_equal(rt.e.prefix_len, 24);
	assert_int_equal(rt.origin, SHOAL_ROUTES_CONNECTED);
	shoal_routes_destroy(r);
	shoal_lpm_destroy(lpm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_store_lpm_and_lookup_agree_seed_1),
	    cmocka_unit_test(test_store_lpm_and_lookup_agree_seed_2),
	    cmocka_unit_test(test_store_lpm_and_lookup_agree_seed_3),
	    cmocka_unit_test(test_lookup_reports_what_the_lpm_does),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
