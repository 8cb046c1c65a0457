/*
 * test_lpm.c — the longest-prefix-match table (stack/lpm.c).
 * Spec: /work/shared/spec/stack-behaviour.md §10 rules 1, 2 and 4 (route matching), plus the
 * table contract of shoal/lpm.h and a randomized comparison with a brute-force model.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shoal/lpm.h"

static uint32_t ip(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d;
}

static struct shoal_lpm_nh nh_if(uint32_t ifindex)
{
	struct shoal_lpm_nh nh = {.gateway = 0, .ifindex = ifindex, .has_gateway = false};
	return nh;
}

static struct shoal_lpm_nh nh_gw(uint32_t gw, uint32_t ifindex)
{
	struct shoal_lpm_nh nh = {.gateway = gw, .ifindex = ifindex, .has_gateway = true};
	return nh;
}

/* ifindex of the route chosen for addr, or -1 on a miss */
static long route_if(const struct shoal_lpm *lpm, uint32_t addr)
{
	uint32_t id = shoal_lpm_lookup(lpm, addr);
	if (id == SHOAL_LPM_MISS)
		return -1;
	const struct shoal_lpm_nh *nh = shoal_lpm_nh_get(lpm, id);
	assert_non_null(nh);
	return nh->ifindex;
}

static void add(struct shoal_lpm *lpm, uint32_t prefix, unsigned len, uint32_t ifindex)
{
	struct shoal_lpm_nh nh = nh_if(ifindex);
	assert_int_equal(shoal_lpm_insert(lpm, prefix, len, &nh), SHOAL_LPM_OK);
}

static int setup(void **state)
{
	*state = shoal_lpm_create(NULL);
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	shoal_lpm_destroy(*state);
	return 0;
}

/* §10 rule 1: bits of the prefix beyond its length are ignored. */
static void test_rule_1_host_bits_ignored(void **state)
{
	struct shoal_lpm *lpm = *state;
	add(lpm, ip(128, 30, 76, 255), 16, 7);
	assert_int_equal(route_if(lpm, ip(128, 30, 0, 0)), 7);
	assert_int_equal(route_if(lpm, ip(128, 30, 255, 1)), 7);
	assert_int_equal(route_if(lpm, ip(128, 31, 0, 0)), -1);
	struct shoal_lpm_nh nh;
	assert_int_equal(shoal_lpm_get(lpm, ip(128, 30, 0, 0), 16, &nh), SHOAL_LPM_OK);
	assert_int_equal(nh.ifindex, 7);
	/* the same prefix with other host bits is the same route */
	struct shoal_lpm_nh other = nh_if(8);
	assert_int_equal(shoal_lpm_insert(lpm, ip(128, 30, 1, 2), 16, &other), SHOAL_LPM_EXISTS);
	assert_int_equal(shoal_lpm_delete(lpm, ip(128, 30, 9, 9), 16), SHOAL_LPM_OK);
	assert_int_equal(route_if(lpm, ip(128, 30, 0, 0)), -1);
}

/* §10 rule 1: length 0 matches everything (and the shift by 32 is handled). */
static void test_rule_1_default_route(void **state)
{
	struct shoal_lpm *lpm = *state;
	add(lpm, ip(1, 2, 3, 4), 0, 3);
	assert_int_equal(route_if(lpm, 0), 3);
	assert_int_equal(route_if(lpm, UINT32_MAX), 3);
	assert_int_equal(route_if(lpm, ip(10, 0, 0, 1)), 3);
	assert_int_equal(shoal_lpm_get(lpm, 0, 0, NULL), SHOAL_LPM_OK);
}

/* §10 rule 2: the longest matching prefix wins, whatever the insertion order. */
static void test_rule_2_longest_wins(void **state)
{
	struct shoal_lpm *lpm = *state;
	add(lpm, ip(10, 1, 2, 0), 24, 24);
	add(lpm, 0, 0, 0);
	add(lpm, ip(10, 0, 0, 0), 8, 8);
	add(lpm, ip(10, 1, 2, 128), 25, 25);
	add(lpm, ip(10, 1, 0, 0), 16, 16);
	add(lpm, ip(10, 1, 2, 3), 32, 32);
	assert_int_equal(route_if(lpm, ip(10, 1, 2, 3)), 32);
	assert_int_equal(route_if(lpm, ip(10, 1, 2, 4)), 24);
	assert_int_equal(route_if(lpm, ip(10, 1, 2, 200)), 25);
	assert_int_equal(route_if(lpm, ip(10, 1, 3, 0)), 16);
	assert_int_equal(route_if(lpm, ip(10, 2, 0, 0)), 8);
	assert_int_equal(route_if(lpm, ip(11, 0, 0, 0)), 0);
	/* removing the longer routes uncovers the shorter ones */
	assert_int_equal(shoal_lpm_delete(lpm, ip(10, 1, 2, 3), 32), SHOAL_LPM_OK);
	assert_int_equal(route_if(lpm, ip(10, 1, 2, 3)), 24);
	assert_int_equal(shoal_lpm_delete(lpm, ip(10, 1, 0, 0), 16), SHOAL_LPM_OK);
	assert_int_equal(route_if(lpm, ip(10, 1, 3, 0)), 8);
	assert_int_equal(route_if(lpm, ip(10, 1, 2, 4)), 24);
	assert_int_equal(shoal_lpm_delete(lpm, ip(10, 0, 0, 0), 8), SHOAL_LPM_OK);
	assert_int_equal(route_if(lpm, ip(10, 1, 3, 0)), 0);
	assert_int_equal(route_if(lpm, ip(10, 1, 2, 200)), 25);
}

/* /32 host routes match exactly one address. */
static void test_host_route(void **state)
{
	struct shoal_lpm *lpm = *state;
	add(lpm, ip(192, 0, 2, 1), 32, 5);
	assert_int_equal(route_if(lpm, ip(192, 0, 2, 1)), 5);
	assert_int_equal(route_if(lpm, ip(192, 0, 2, 0)), -1);
	assert_int_equal(route_if(lpm, ip(192, 0, 2, 2)), -1);
	add(lpm, ip(255, 255, 255, 255), 32, 6);
	assert_int_equal(route_if(lpm, UINT32_MAX), 6);
	assert_int_equal(route_if(lpm, UINT32_MAX - 1), -1);
}

/* §10 rule 4: no matching route is a miss. */
static void test_rule_4_no_match_is_miss(void **state)
{
	struct shoal_lpm *lpm = *state;
	assert_int_equal(shoal_lpm_lookup(lpm, ip(1, 2, 3, 4)), SHOAL_LPM_MISS);
	add(lpm, ip(10, 0, 0, 0), 8, 1);
	assert_int_equal(shoal_lpm_lookup(lpm, ip(11, 0, 0, 0)), SHOAL_LPM_MISS);
	assert_int_equal(shoal_lpm_lookup(lpm, ip(9, 255, 255, 255)), SHOAL_LPM_MISS);
	assert_int_not_equal(shoal_lpm_lookup(lpm, ip(10, 255, 0, 0)), SHOAL_LPM_MISS);
}

static void test_insert_exists_changes_nothing(void **state)
{
	struct shoal_lpm *lpm = *state;
	add(lpm, ip(10, 1, 0, 0), 20, 1);
	struct shoal_lpm_nh nh = nh_if(2);
	assert_int_equal(shoal_lpm_insert(lpm, ip(10, 1, 0, 0), 20, &nh), SHOAL_LPM_EXISTS);
	assert_int_equal(route_if(lpm, ip(10, 1, 1, 1)), 1);
	assert_int_equal(shoal_lpm_count(lpm), 1);
}

static void test_replace(void **state)
{
	struct shoal_lpm *lpm = *state;
	bool replaced = true;
	struct shoal_lpm_nh a = nh_gw(ip(192, 168, 0, 1), 1), b = nh_gw(ip(192, 168, 0, 2), 2);
	assert_int_equal(shoal_lpm_replace(lpm, ip(10, 1, 2, 0), 24, &a, &replaced), SHOAL_LPM_OK);
	assert_false(replaced);
	assert_int_equal(shoal_lpm_replace(lpm, ip(10, 1, 2, 0), 24, &b, &replaced), SHOAL_LPM_OK);
	assert_true(replaced);
	assert_int_equal(shoal_lpm_count(lpm), 1);
	const struct shoal_lpm_nh *got =
	    shoal_lpm_nh_get(lpm, shoal_lpm_lookup(lpm, ip(10, 1, 2, 9)));
	assert_non_null(got);
	assert_true(got->has_gateway);
	assert_int_equal(got->gateway, ip(192, 168, 0, 2));
	/* short prefixes too, and NULL replaced is allowed */
	assert_int_equal(shoal_lpm_replace(lpm, ip(10, 0, 0, 0), 8, &a, NULL), SHOAL_LPM_OK);
	assert_int_equal(route_if(lpm, ip(10, 9, 9, 9)), 1);
	assert_int_equal(shoal_lpm_replace(lpm, ip(10, 0, 0, 0), 8, &b, NULL), SHOAL_LPM_OK);
	assert_int_equal(route_if(lpm, ip(10, 9, 9, 9)), 2);
	assert_int_equal(route_if(lpm, ip(10, 1, 2, 9)), 2);
	assert_int_equal(shoal_lpm_replace(lpm, ip(10, 1, 2, 0), 24, &a, NULL), SHOAL_LPM_OK);
	assert_int_equal(route_if(lpm, ip(10, 1, 2, 9)), 1);
	assert_int_equal(route_if(lpm, ip(10, 1, 3, 9)), 2);
	assert_int_equal(shoal_lpm_count(lpm), 2);
}

static void test_delete_and_not_found(void **state)
{
	struct shoal_lpm *lpm = *state;
	add(lpm, ip(10, 1, 2, 0), 24, 1);
	assert_int_equal(shoal_lpm_delete(lpm, ip(10, 1, 2, 0), 25), SHOAL_LPM_NOT_FOUND);
	assert_int_equal(shoal_lpm_delete(lpm, ip(10, 1, 3, 0), 24), SHOAL_LPM_NOT_FOUND);
	assert_int_equal(shoal_lpm_delete(lpm, ip(10, 0, 0, 0), 8), SHOAL_LPM_NOT_FOUND);
	assert_int_equal(shoal_lpm_count(lpm), 1);
	assert_int_equal(shoal_lpm_delete(lpm, ip(10, 1, 2, 0), 24), SHOAL_LPM_OK);
	assert_int_equal(shoal_lpm_count(lpm), 0);
	assert_int_equal(route_if(lpm, ip(10, 1, 2, 0)), -1);
	assert_int_equal(shoal_lpm_delete(lpm, ip(10, 1, 2, 0), 24), SHOAL_LPM_NOT_FOUND);
	assert_int_equal(shoal_lpm_get(lpm, ip(10, 1, 2, 0), 24, NULL), SHOAL_LPM_NOT_FOUND);
}

static void test_get(void **state)
{
	struct shoal_lpm *lpm = *state;
	struct shoal_lpm_nh in = nh_gw(ip(172, 16, 0, 1), 4), out;
	assert_int_equal(shoal_lpm_insert(lpm, ip(172, 16, 5, 0), 24, &in), SHOAL_LPM_OK);
	assert_int_equal(shoal_lpm_get(lpm, ip(172, 16, 5, 77), 24, &out), SHOAL_LPM_OK);
	assert_true(out.has_gateway);
	assert_int_equal(out.gateway, ip(172, 16, 0, 1));
	assert_int_equal(out.ifindex, 4);
	/* exact match only: a covering or covered prefix is not the route */
	assert_int_equal(shoal_lpm_get(lpm, ip(172, 16, 5, 0), 23, &out), SHOAL_LPM_NOT_FOUND);
	assert_int_equal(shoal_lpm_get(lpm, ip(172, 16, 5, 0), 25, &out), SHOAL_LPM_NOT_FOUND);
}

static void test_bad_length(void **state)
{
	struct shoal_lpm *lpm = *state;
	struct shoal_lpm_nh nh = nh_if(1);
	assert_int_equal(shoal_lpm_insert(lpm, 0, 33, &nh), SHOAL_LPM_BAD_LENGTH);
	assert_int_equal(shoal_lpm_replace(lpm, 0, 33, &nh, NULL), SHOAL_LPM_BAD_LENGTH);
	assert_int_equal(shoal_lpm_delete(lpm, 0, 33), SHOAL_LPM_BAD_LENGTH);
	assert_int_equal(shoal_lpm_get(lpm, 0, 200, &nh), SHOAL_LPM_BAD_LENGTH);
	assert_int_equal(shoal_lpm_count(lpm), 0);
	assert_int_equal(shoal_lpm_lookup(lpm, 0), SHOAL_LPM_MISS);
}

static void test_full_changes_nothing(void **state)
{
	(void)state;
	struct shoal_lpm_config cfg = {.max_routes = 3};
	struct shoal_lpm *lpm = shoal_lpm_create(&cfg);
	assert_non_null(lpm);
	add(lpm, ip(10, 0, 0, 0), 8, 1);
	add(lpm, ip(10, 1, 0, 0), 16, 2);
	add(lpm, ip(10, 1, 1, 0), 24, 3);
	struct shoal_lpm_nh nh = nh_if(4);
	assert_int_equal(shoal_lpm_insert(lpm, ip(10, 1, 1, 1), 32, &nh), SHOAL_LPM_FULL);
	assert_int_equal(shoal_lpm_replace(lpm, ip(10, 2, 0, 0), 16, &nh, NULL), SHOAL_LPM_FULL);
	assert_int_equal(shoal_lpm_count(lpm), 3);
	assert_int_equal(route_if(lpm, ip(10, 1, 1, 1)), 3);
	assert_int_equal(route_if(lpm, ip(10, 2, 0, 0)), 1);
	/* replacing an existing route is still allowed when full */
	assert_int_equal(shoal_lpm_replace(lpm, ip(10, 1, 1, 0), 24, &nh, NULL), SHOAL_LPM_OK);
	assert_int_equal(route_if(lpm, ip(10, 1, 1, 1)), 4);
	/* room again after a delete */
	assert_int_equal(shoal_lpm_delete(lpm, ip(10, 0, 0, 0), 8), SHOAL_LPM_OK);
	assert_int_equal(shoal_lpm_insert(lpm, ip(10, 1, 1, 1), 32, &nh), SHOAL_LPM_OK);
	shoal_lpm_destroy(lpm);
}

struct walk {
	uint32_t prefix[16];
	unsigned len[16];
	uint32_t ifindex[16];
	size_t n;
	size_t stop_after;
};

static int walk_cb(void *ctx, uint32_t prefix, unsigned len, const struct shoal_lpm_nh *nh)
{
	struct walk *w = ctx;
	assert_true(w->n < 16);
	w->prefix[w->n] = prefix;
	w->len[w->n] = len;
	w->ifindex[w->n] = nh->ifindex;
	w->n++;
	return w->n == w->stop_after ? 42 : 0;
}

static void test_foreach_order_and_count(void **state)
{
	struct shoal_lpm *lpm = *state;
	/* inserted out of order, mixing short (< /16) and long routes */
	add(lpm, ip(10, 1, 0, 0), 16, 5);
	add(lpm, ip(10, 0, 0, 0), 8, 3);
	add(lpm, ip(10, 1, 0, 0), 24, 6);
	add(lpm, ip(9, 0, 0, 0), 8, 1);
	add(lpm, 0, 0, 0);
	add(lpm, ip(10, 0, 0, 0), 16, 4);
	add(lpm, ip(10, 1, 0, 128), 25, 7);
	add(lpm, ip(10, 0, 0, 0), 7, 2);
	assert_int_equal(shoal_lpm_count(lpm), 8);
	const uint32_t want_p[] = {0,
	                           ip(9, 0, 0, 0),
	                           ip(10, 0, 0, 0),
	                           ip(10, 0, 0, 0),
	                           ip(10, 0, 0, 0),
	                           ip(10, 1, 0, 0),
	                           ip(10, 1, 0, 0),
	                           ip(10, 1, 0, 128)};
	const unsigned want_l[] = {0, 8, 7, 8, 16, 16, 24, 25};
	const uint32_t want_if[] = {0, 1, 2, 3, 4, 5, 6, 7};
	struct walk w = {.n = 0, .stop_after = 0};
	assert_int_equal(shoal_lpm_foreach(lpm, walk_cb, &w), 0);
	assert_int_equal(w.n, 8);
	for (size_t i = 0; i < 8; i++) {
		assert_int_equal(w.prefix[i], want_p[i]);
		assert_int_equal(w.len[i], want_l[i]);
		assert_int_equal(w.ifindex[i], want_if[i]);
	}
	/* a non-zero return stops the walk and is returned */
	struct walk s = {.n = 0, .stop_after = 3};
	assert_int_equal(shoal_lpm_foreach(lpm, walk_cb, &s), 42);
	assert_int_equal(s.n, 3);
}

static void test_next_hops_interned(void **state)
{
	struct shoal_lpm *lpm = *state;
	struct shoal_lpm_nh a = nh_gw(ip(192, 168, 1, 1), 2), a2 = a, b = nh_if(2);
	assert_int_equal(shoal_lpm_insert(lpm, ip(10, 0, 0, 0), 8, &a), SHOAL_LPM_OK);
	assert_int_equal(shoal_lpm_insert(lpm, ip(11, 0, 0, 0), 24, &a2), SHOAL_LPM_OK);
	assert_int_equal(shoal_lpm_insert(lpm, ip(12, 0, 0, 0), 24, &b), SHOAL_LPM_OK);
	uint32_t ia = shoal_lpm_lookup(lpm, ip(10, 0, 0, 1));
	uint32_t ia2 = shoal_lpm_lookup(lpm, ip(11, 0, 0, 1));
	uint32_t ib = shoal_lpm_lookup(lpm, ip(12, 0, 0, 1));
	assert_int_equal(ia, ia2);
	assert_int_not_equal(ia, ib);
	/* the id stays valid while one route still uses it */
	assert_int_equal(shoal_lpm_delete(lpm, ip(10, 0, 0, 0), 8), SHOAL_LPM_OK);
	const struct shoal_lpm_nh *got = shoal_lpm_nh_get(lpm, ia);
	assert_non_null(got);
	assert_int_equal(got->gateway, ip(192, 168, 1, 1));
	assert_int_equal(shoal_lpm_delete(lpm, ip(11, 0, 0, 0), 24), SHOAL_LPM_OK);
	assert_null(shoal_lpm_nh_get(lpm, ia));
	assert_non_null(shoal_lpm_nh_get(lpm, ib));
	assert_null(shoal_lpm_nh_get(lpm, SHOAL_LPM_MISS));
}

/* Next-hop ids are 15 bits (32,766 distinct next hops at once): one more fails with FULL and
 * changes nothing; every id, up to the largest, is looked up right at each level. */
static void test_next_hop_limit(void **state)
{
	struct shoal_lpm *lpm = *state;
	enum { LIMIT = 32766 };
	for (uint32_t i = 0; i < LIMIT; i++) {
		struct shoal_lpm_nh nh = nh_gw(i + 1, i);
		/* /24s in 10.0.0.0/9, every 64th a /8 hole filler or a /28 below it */
		uint32_t p = ip(10, 0, 0, 0) + (i << 8);
		unsigned len = i % 64 == 63 ? 28 : 24;
		assert_int_equal(shoal_lpm_insert(lpm, p, len, &nh), SHOAL_LPM_OK);
	}
	for (uint32_t i = 0; i < LIMIT; i += 7)
		assert_int_equal(route_if(lpm, ip(10, 0, 0, 5) + (i << 8)), i);
	assert_int_equal(route_if(lpm, ip(10, 0, 0, 5) + ((uint32_t)(LIMIT - 1) << 8)), LIMIT - 1);

	struct shoal_lpm_nh extra = nh_gw(ip(1, 2, 3, 4), 99999);
	assert_int_equal(shoal_lpm_insert(lpm, ip(20, 0, 0, 0), 8, &extra), SHOAL_LPM_FULL);
	assert_int_equal(shoal_lpm_insert(lpm, ip(10, 0, 0, 0), 8, &extra), SHOAL_LPM_FULL);
	assert_int_equal(shoal_lpm_count(lpm), LIMIT);
	assert_int_equal(route_if(lpm, ip(20, 0, 0, 1)), -1);
	assert_int_equal(route_if(lpm, ip(10, 200, 0, 1)), -1);

	/* an existing next hop is still fine; freeing one id makes room for a new one */
	struct shoal_lpm_nh old = nh_gw(LIMIT, LIMIT - 1);
	assert_int_equal(shoal_lpm_insert(lpm, ip(10, 0, 0, 0), 8, &old), SHOAL_LPM_OK);
	assert_int_equal(route_if(lpm, ip(10, 200, 0, 1)), LIMIT - 1);
	assert_int_equal(shoal_lpm_delete(lpm, ip(10, 0, 1, 0), 24), SHOAL_LPM_OK);
	assert_int_equal(shoal_lpm_insert(lpm, ip(20, 0, 0, 0), 8, &extra), SHOAL_LPM_OK);
	assert_int_equal(route_if(lpm, ip(20, 0, 0, 1)), 99999);
	assert_int_equal(route_if(lpm, ip(10, 0, 1, 1)), LIMIT - 1);
}

static void test_memory_reported(void **state)
{
	struct shoal_lpm *lpm = *state;
	size_t empty = shoal_lpm_memory(lpm);
	assert_true(empty > 0);
	for (unsigned i = 0; i < 4096; i++)
		add(lpm, (uint32_t)i << 12, 20 + (i % 13), i % 7);
	assert_true(shoal_lpm_memory(lpm) > empty);
}

/* ---------------------------------------------------------------------------------------- */
/* Model test: a brute-force exact-match model probed at every length. */

enum { MODEL_CAP = 1 << 18, MODEL_NH = 97 };

struct model_slot {
	uint32_t prefix;
	uint8_t len;
	uint8_t state; /* 0 empty, 1 used, 2 deleted */
	uint32_t nh;
};

struct model {
	struct model_slot *slot;
};

static uint64_t rng_next(uint64_t *s)
{
	/* xorshift64* */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static uint32_t model_hash(uint32_t prefix, unsigned len)
{
	uint64_t x = ((uint64_t)prefix << 6 | len) * 0x9e3779b97f4a7c15ull;
	return (uint32_t)(x >> 40) & (MODEL_CAP - 1);
}

static uint32_t canon(uint32_t prefix, unsigned len)
{
	return len ? prefix & (UINT32_MAX << (32 - len)) : 0;
}

static struct model_slot *model_find(struct model *m, uint32_t prefix, unsigned len, bool for_add)
{
	struct model_slot *tomb = NULL;
	for (uint32_t h = model_hash(prefix, len);; h = (h + 1) & (MODEL_CAP - 1)) {
		struct model_slot *s = &m->slot[h];
		if (s->state == 0)
			return for_add ? (tomb ? tomb : s) : NULL;
		if (s->state == 2) {
			if (!tomb)
				tomb = s;
			continue;
		}
		if (s->prefix == prefix && s->len == len)
			return s;
	}
}

/* ifindex of the model's longest match, or -1 */
static long model_lookup(struct model *m, uint32_t addr)
{
	for (unsigned len = 33; len-- > 0;) {
		struct model_slot *s = model_find(m, canon(addr, len), len, false);
		if (s)
			return s->nh;
	}
	return -1;
}

/* the model's longest stored prefix holding addr: its length, or -1 */
static int model_match(struct model *m, uint32_t addr)
{
	for (unsigned len = 33; len-- > 0;)
		if (model_find(m, canon(addr, len), len, false))
			return (int)len;
	return -1;
}

/* shoal_lpm_match against the model, and against lookup: the matched route's next hop is
 * the one lookup returns. */
static void check_match(const struct shoal_lpm *lpm, struct model *m, uint32_t addr)
{
	int want = model_match(m, addr);
	uint32_t p = 0xdeadbeef;
	unsigned l = 99;
	bool got = shoal_lpm_match(lpm, addr, &p, &l);
	if (want < 0) {
		if (got)
			fail_msg("addr %08x: match %08x/%u, model none", addr, p, l);
		return;
	}
	if (!got || l != (unsigned)want || p != canon(addr, l))
		fail_msg("addr %08x: match %d %08x/%u, model /%d", addr, got, p, l, want);
	struct shoal_lpm_nh nh;
	assert_int_equal(shoal_lpm_get(lpm, p, l, &nh), SHOAL_LPM_OK);
	assert_int_equal(shoal_lpm_nh_id(lpm, &nh), shoal_lpm_lookup(lpm, addr));
}

static void compare_lookups(const struct shoal_lpm *lpm, struct model *m, const uint32_t *known,
                            size_t nknown, uint64_t seed, size_t n)
{
	enum { B = 1000 };
	uint32_t addrs[B], ids[B];
	for (size_t done = 0; done < n; done += B) {
		for (size_t i = 0; i < B; i++) {
			uint64_t r = rng_next(&seed);
			uint32_t a = (uint32_t)r;
			/* half the addresses fall inside a stored prefix */
			if ((r >> 32) & 1)
				a = known[(r >> 33) % nknown] | ((uint32_t)(r >> 40) & 0xff);
			addrs[i] = a;
		}
		shoal_lpm_lookup_batch(lpm, addrs, ids, B);
		for (size_t i = 0; i < B; i++) {
			long want = model_lookup(m, addrs[i]);
			uint32_t id = shoal_lpm_lookup(lpm, addrs[i]);
			assert_int_equal(id, ids[i]);
			long got = -1;
			if (id != SHOAL_LPM_MISS) {
				const struct shoal_lpm_nh *nh = shoal_lpm_nh_get(lpm, id);
				assert_non_null(nh);
				got = nh->ifindex;
			}
			if (got != want)
				fail_msg("addr %08x: lpm %ld model %ld", addrs[i], got, want);
			if (i % 4 == 0)
				check_match(lpm, m, addrs[i]);
		}
	}
}

static unsigned random_len(uint64_t *seed)
{
	uint64_t r = rng_next(seed) % 100;
	if (r < 5)
		return (unsigned)(rng_next(seed) % 8); /* /0../7 */
	if (r < 50)
		return 16 + (unsigned)(rng_next(seed) % 9); /* /16../24 */
	return (unsigned)(rng_next(seed) % 33);
}

struct count_ctx {
	size_t n;
	uint64_t last;
	struct model *m;
};

static int count_cb(void *ctx, uint32_t prefix, unsigned len, const struct shoal_lpm_nh *nh)
{
	struct count_ctx *c = ctx;
	uint64_t key = (uint64_t)prefix << 6 | len;
	assert_true(c->n == 0 || key > c->last);
	c->last = key;
	c->n++;
	struct model_slot *s = model_find(c->m, prefix, len, false);
	assert_non_null(s);
	assert_int_equal(s->nh, nh->ifindex);
	return 0;
}

static void test_model_random_100k(void **state)
{
	(void)state;
	enum { N = 100000, LOOKUPS = 1000000 };
	struct shoal_lpm *lpm = shoal_lpm_create(NULL);
	struct model m = {.slot = calloc(MODEL_CAP, sizeof(struct model_slot))};
	uint32_t *pfx = malloc(N * sizeof *pfx);
	unsigned *len = malloc(N * sizeof *len);
	assert_non_null(lpm);
	assert_non_null(m.slot);
	assert_non_null(pfx);
	assert_non_null(len);

	uint64_t seed = 0x5eed0001;
	size_t live = 0;
	for (size_t i = 0; i < N; i++) {
		unsigned l = random_len(&seed);
		uint32_t p = canon((uint32_t)rng_next(&seed), l);
		uint32_t ifx = (uint32_t)(rng_next(&seed) % MODEL_NH);
		struct shoal_lpm_nh nh = nh_gw(ifx * 16 + 1, ifx);
		struct model_slot *s = model_find(&m, p, l, true);
		enum shoal_lpm_status st = shoal_lpm_insert(lpm, p, l, &nh);
		if (s->state == 1) {
			assert_int_equal(st, SHOAL_LPM_EXISTS);
		} else {
			assert_int_equal(st, SHOAL_LPM_OK);
			*s = (struct model_slot){
			    .prefix = p, .len = (uint8_t)l, .state = 1, .nh = ifx};
			live++;
		}
		pfx[i] = p;
		len[i] = l;
	}
	assert_int_equal(shoal_lpm_count(lpm), live);
	compare_lookups(lpm, &m, pfx, N, 0xabcdef, LOOKUPS);

	/* delete a random half (some twice), re-insert part with other next hops, replace some */
	for (size_t k = 0; k < N / 2; k++) {
		size_t i = rng_next(&seed) % N;
		struct model_slot *s = model_find(&m, pfx[i], len[i], false);
		enum shoal_lpm_status st = shoal_lpm_delete(lpm, pfx[i], len[i]);
		if (s) {
			assert_int_equal(st, SHOAL_LPM_OK);
			s->state = 2;
			live--;
		} else {
			assert_int_equal(st, SHOAL_LPM_NOT_FOUND);
		}
	}
	assert_int_equal(shoal_lpm_count(lpm), live);
	for (size_t k = 0; k < N / 4; k++) {
		size_t i = rng_next(&seed) % N;
		uint32_t ifx = (uint32_t)(rng_next(&seed) % MODEL_NH);
		struct shoal_lpm_nh nh = nh_gw(ifx * 16 + 1, ifx);
		struct model_slot *s = model_find(&m, pfx[i], len[i], true);
		bool replaced;
		assert_int_equal(shoal_lpm_replace(lpm, pfx[i], len[i], &nh, &replaced),
		                 SHOAL_LPM_OK);
		assert_int_equal(replaced, s->state == 1);
		if (s->state != 1)
			live++;
		*s = (struct model_slot){
		    .prefix = pfx[i], .len = (uint8_t)len[i], .state = 1, .nh = ifx};
	}
	assert_int_equal(shoal_lpm_count(lpm), live);
	compare_lookups(lpm, &m, pfx, N, 0x123457, LOOKUPS);

	struct count_ctx cc = {.n = 0, .last = 0, .m = &m};
	assert_int_equal(shoal_lpm_foreach(lpm, count_cb, &cc), 0);
	assert_int_equal(cc.n, live);

	/* delete everything: every lookup misses */
	for (size_t i = 0; i < N; i++)
		shoal_lpm_delete(lpm, pfx[i], len[i]);
	assert_int_equal(shoal_lpm_count(lpm), 0);
	for (uint32_t a = 0; a < 1000; a++)
		assert_int_equal(shoal_lpm_lookup(lpm, a * 4294967u), SHOAL_LPM_MISS);

	free(len);
	free(pfx);
	free(m.slot);
	shoal_lpm_destroy(lpm);
}

/* Deferred updates: random inserts, replaces and deletes in groups between defer_begin and
 * defer_end (each /16 rebuilt once per group); after every group the lookups agree with the
 * model, and while deferring get/count already see every change. */
static void test_model_random_deferred(void **state)
{
	(void)state;
	enum { ROUNDS = 40, KEYS = 20000 };
	struct shoal_lpm *lpm = shoal_lpm_create(NULL);
	struct model m = {.slot = calloc(MODEL_CAP, sizeof(struct model_slot))};
	uint32_t *pfx = malloc(KEYS * sizeof *pfx);
	unsigned *len = malloc(KEYS * sizeof *len);
	assert_non_null(lpm);
	assert_non_null(m.slot);
	assert_non_null(pfx);
	assert_non_null(len);
	uint64_t seed = 0x5eed0d1f;
	for (size_t i = 0; i < KEYS; i++) {
		len[i] = random_len(&seed);
		/* clustered: many keys per /16, so groups touch a chunk many times */
		uint32_t r = (uint32_t)rng_next(&seed);
		pfx[i] = canon((r & 0x00ffffffu) | (uint32_t)(rng_next(&seed) % 64) << 24, len[i]);
	}
	size_t live = 0;
	for (unsigned round = 0; round < ROUNDS; round++) {
		assert_int_equal(shoal_lpm_defer_begin(lpm), SHOAL_LPM_OK);
		size_t ops = 1 + rng_next(&seed) % 3000;
		for (size_t k = 0; k < ops; k++) {
			size_t i = rng_next(&seed) % KEYS;
			struct model_slot *s = model_find(&m, pfx[i], len[i], true);
			uint32_t ifx = (uint32_t)(rng_next(&seed) % MODEL_NH);
			struct shoal_lpm_nh nh = nh_gw(ifx * 16 + 1, ifx), got;
			if (rng_next(&seed) % 3 == 0) {
				enum shoal_lpm_status st = shoal_lpm_delete(lpm, pfx[i], len[i]);
				assert_int_equal(st, s->state == 1 ? SHOAL_LPM_OK
				                                   : SHOAL_LPM_NOT_FOUND);
				if (s->state == 1) {
					s->state = 2;
					live--;
				}
				assert_int_equal(shoal_lpm_get(lpm, pfx[i], len[i], &got),
				                 SHOAL_LPM_NOT_FOUND);
			} else {
				bool replaced;
				assert_int_equal(
				    shoal_lpm_replace(lpm, pfx[i], len[i], &nh, &replaced),
				    SHOAL_LPM_OK);
				assert_int_equal(replaced, s->state == 1);
				if (s->state != 1)
					live++;
				*s = (struct model_slot){.prefix = pfx[i],
				                         .len = (uint8_t)len[i],
				                         .state = 1,
				                         .nh = ifx};
				assert_int_equal(shoal_lpm_get(lpm, pfx[i], len[i], &got),
				                 SHOAL_LPM_OK);
				assert_int_equal(got.ifindex, ifx);
			}
			assert_int_equal(shoal_lpm_count(lpm), live);
		}
		assert_int_equal(shoal_lpm_defer_end(lpm), SHOAL_LPM_OK);
		compare_lookups(lpm, &m, pfx, KEYS, 0x77 + round, 20000);
	}
	struct count_ctx cc = {.n = 0, .last = 0, .m = &m};
	assert_int_equal(shoal_lpm_foreach(lpm, count_cb, &cc), 0);
	assert_int_equal(cc.n, live);
	free(len);
	free(pfx);
	free(m.slot);
	shoal_lpm_destroy(lpm);
}

/* shoal_lpm_match on a hand-made nest: /0, /8, /16, /24s, /31, /32s sharing next hops,
 * each address probed against the model as routes come and go. */
static void test_match_nested(void **state)
{
	(void)state;
	struct shoal_lpm *lpm = shoal_lpm_create(NULL);
	struct model m = {.slot = calloc(MODEL_CAP, sizeof(struct model_slot))};
	assert_non_null(lpm);
	assert_non_null(m.slot);
	static const struct {
		uint32_t p;
		unsigned l;
	} r[] = {
	    {0, 0},           {0x0a000000, 8},  {0x0a010000, 16}, {0x0a010100, 24},
	    {0x0a0101fe, 31}, {0x0a0101ff, 32}, {0x0a010105, 32}, {0x0a010200, 24},
	    {0x0a010000, 17}, {0x0a018000, 17}, {0x0a01ff00, 24}, {0xffffffff, 32},
	    {0x0a000000, 15}, {0x0a020000, 15},
	};
	enum { NR = sizeof(r) / sizeof(r[0]) };
	uint64_t seed = 0x6d617463;
	for (size_t round = 0; round < 3 * NR; round++) {
		size_t i = round % NR;
		struct shoal_lpm_nh nh = nh_gw(1, 1); /* one next hop for all: match must tell */
		struct model_slot *s = model_find(&m, r[i].p, r[i].l, true);
		if (s->state == 1) {
			assert_int_equal(shoal_lpm_delete(lpm, r[i].p, r[i].l), SHOAL_LPM_OK);
			s->state = 2;
		} else if (round < NR || rng_next(&seed) % 2) {
			assert_int_equal(shoal_lpm_insert(lpm, r[i].p, r[i].l, &nh), SHOAL_LPM_OK);
			*s = (struct model_slot){
			    .prefix = r[i].p, .len = (uint8_t)r[i].l, .state = 1, .nh = 1};
		}
		for (size_t k = 0; k < NR; k++)
			for (int d = -2; d <= 2; d++)
				check_match(lpm, &m, r[k].p + (uint32_t)d);
		for (int k = 0; k < 2000; k++) {
			uint32_t a = (uint32_t)rng_next(&seed);
			check_match(lpm, &m, k % 2 ? a : 0x0a010000 | (a & 0x1ffff));
		}
	}
	free(m.slot);
	shoal_lpm_destroy(lpm);
}

/* A next-hop id released while deferring is not handed out again before defer_end (a chunk
 * waiting for its rebuild may still name it); after defer_end it may be. */
static void test_deferred_ids_not_reused_early(void **state)
{
	struct shoal_lpm *lpm = *state;
	struct shoal_lpm_nh a = nh_gw(0x0a000001, 1), b = nh_gw(0x0a000002, 2);
	assert_int_equal(shoal_lpm_insert(lpm, 0x0a010000, 24, &a), SHOAL_LPM_OK);
	uint32_t id_a = shoal_lpm_lookup(lpm, 0x0a010005);
	assert_int_not_equal(id_a, SHOAL_LPM_MISS);
	assert_int_equal(shoal_lpm_defer_begin(lpm), SHOAL_LPM_OK);
	assert_int_equal(shoal_lpm_delete(lpm, 0x0a010000, 24), SHOAL_LPM_OK);
	assert_int_equal(shoal_lpm_insert(lpm, 0x0a020000, 24, &b), SHOAL_LPM_OK);
	/* stale until the rebuild: the deleted route's chunk still answers with id_a, which
	 * must still mean next hop a */
	assert_int_equal(shoal_lpm_lookup(lpm, 0x0a010005), id_a);
	uint32_t id_b = shoal_lpm_nh_id(lpm, &b);
	assert_int_not_equal(id_b, id_a);
	assert_int_equal(shoal_lpm_defer_end(lpm), SHOAL_LPM_OK);
	assert_int_equal(shoal_lpm_lookup(lpm, 0x0a010005), SHOAL_LPM_MISS);
	assert_int_equal(shoal_lpm_lookup(lpm, 0x0a020005), id_b);
	struct shoal_lpm_nh c = nh_gw(0x0a000003, 3);
	assert_int_equal(shoal_lpm_insert(lpm, 0x0a030000, 24, &c), SHOAL_LPM_OK);
	assert_int_equal(shoal_lpm_nh_id(lpm, &c), id_a); /* freed at defer_end, reused */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_rule_1_host_bits_ignored, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rule_1_default_route, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rule_2_longest_wins, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_host_route, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rule_4_no_match_is_miss, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_insert_exists_changes_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_replace, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_delete_and_not_found, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_get, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_length, setup, teardown),
	    cmocka_unit_test(test_full_changes_nothing),
	    cmocka_unit_test_setup_teardown(test_foreach_order_and_count, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_next_hops_interned, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_next_hop_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_memory_reported, setup, teardown),
	    cmocka_unit_test(test_model_random_100k),
	    cmocka_unit_test(test_model_random_deferred),
	    cmocka_unit_test_setup_teardown(test_deferred_ids_not_reused_early, setup, teardown),
	    cmocka_unit_test(test_match_nested),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
