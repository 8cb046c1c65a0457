/* Tests for router/routes.c: origins, the API overlay, validation messages, two-phase
 * commit and rollback, and the mirror kept in the forwarding table (a model table here). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shoal/routes.h"

/* The forwarding table model: what apply was told. */
enum { TABLE_MAX = 512 };
struct table {
	size_t n;
	struct shoal_routes_entry v[TABLE_MAX];
	size_t capacity; /* refuse new prefixes beyond this */
	unsigned applies;
	unsigned brackets, open; /* batch brackets begun, begun and not ended */
	unsigned fail_ends;      /* the next fail_ends batch ends fail */
};

static int table_batch(void *ctx, bool end)
{
	struct table *t = ctx;
	if (!end) {
		t->brackets++;
		t->open++;
		return 0;
	}
	assert_true(t->open > 0);
	t->open--;
	if (t->fail_ends) {
		t->fail_ends--;
		return -1;
	}
	return 0;
}

static int table_apply(void *ctx, uint32_t p, uint8_t l, const struct shoal_routes_entry *e)
{
	struct table *t = ctx;
	t->applies++;
	for (size_t i = 0; i < t->n; i++) {
		if (t->v[i].prefix == p && t->v[i].prefix_len == l) {
			if (e)
				t->v[i] = *e;
			else
				t->v[i] = t->v[--t->n];
			return 0;
		}
	}
	if (!e)
		return 0;
	if (t->n >= t->capacity)
		return -1;
	t->v[t->n++] = *e;
	return 0;
}

static const struct shoal_routes_entry *table_get(const struct table *t, uint32_t p, uint8_t l)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].prefix == p && t->v[i].prefix_len == l)
			return &t->v[i];
	return NULL;
}

/* The table holds exactly the effective routes. */
static void assert_mirror(const struct shoal_routes *r, const struct table *t)
{
	struct shoal_routes_route *list;
	size_t n;
	assert_int_equal(shoal_routes_list(r, 0, 0, &list, &n), 0);
	assert_int_equal(n, t->n);
	for (size_t i = 0; i < n; i++) {
		const struct shoal_routes_entry *e =
		    table_get(t, list[i].e.prefix, list[i].e.prefix_len);
		assert_non_null(e);
		assert_int_equal(e->ifindex, list[i].e.ifindex);
		assert_int_equal(e->has_next_hop, list[i].e.has_next_hop);
		assert_int_equal(e->next_hop, list[i].e.next_hop);
		if (i > 0)
			assert_true(list[i - 1].e.prefix < list[i].e.prefix ||
			            (list[i - 1].e.prefix == list[i].e.prefix &&
			             list[i - 1].e.prefix_len < list[i].e.prefix_len));
	}
	free(list);
}

static const struct shoal_routes_if ifs[] = {
    {"lan0", 0x0a000101u, 24}, /* 10.0.1.1/24 */
    {"lan1", 0x0a000201u, 24}, /* 10.0.2.1/24 */
};

static struct shoal_routes *make(struct table *t)
{
	memset(t, 0, sizeof(*t));
	t->capacity = TABLE_MAX;
	struct shoal_routes *r = shoal_routes_create(ifs, 2, table_apply, t);
	assert_non_null(r);
	return r;
}

static struct shoal_routes_spec spec(uint32_t p, uint8_t l, uint32_t nh, const char *ifn)
{
	struct shoal_routes_spec s = {.prefix = p, .prefix_len = l};
	if (nh) {
		s.has_next_hop = true;
		s.next_hop = nh;
	}
	if (ifn) {
		s.has_interface = true;
		snprintf(s.interface, sizeof(s.interface), "%s", ifn);
	}
	return s;
}

/* One op committed on its own, as control does for a single request. */
static enum shoal_routes_status op1(struct shoal_routes *r, enum shoal_routes_op_kind k,
                                    struct shoal_routes_spec s, struct shoal_routes_error *e)
{
	struct shoal_routes_saved *sv = shoal_routes_save(r);
	assert_non_null(sv);
	enum shoal_routes_status st = shoal_routes_op(r, k, &s, e);
	if (st == SHOAL_ROUTES_OK || st == SHOAL_ROUTES_CREATED || st == SHOAL_ROUTES_REPLACED) {
		if (shoal_routes_commit(r, sv) < 0)
			return SHOAL_ROUTES_TABLE_FULL;
		shoal_routes_saved_free(sv);
	} else {
		shoal_routes_abandon(r, sv);
	}
	return st;
}

static void test_connected_installed_at_create(void **state)
{
	(void)state;
	struct table t;
	struct shoal_routes *r = make(&t);
	assert_int_equal(t.n, 2);
	assert_non_null(table_get(&t, 0x0a000100u, 24));
	struct shoal_routes_route rt;
	assert_true(shoal_routes_get(r, 0x0a000200u, 24, &rt));
	assert_int_equal(rt.origin, SHOAL_ROUTES_CONNECTED);
	assert_int_equal(rt.e.ifindex, 1);
	shoal_routes_destroy(r);
}

static void test_validation_messages(void **state)
{
	(void)state;
	struct table t;
	struct shoal_routes *r = make(&t);
	static const struct {
		struct shoal_routes_spec s;
		const char *code, *message;
	} cases[] = {
	    {{.prefix = 0x0a020300u, .prefix_len = 16, .has_interface = true, .interface = "lan0"},
	     "invalid_prefix",
	     "10.2.3.0/16 has host bits set; did you mean 10.2.0.0/16?"},
	    {{.prefix = 0x0a020000u, .prefix_len = 33, .has_interface = true, .interface = "lan0"},
	     "invalid_prefix_length",
	     "prefix length 33 is out of range (0..32)"},
	    {{.prefix = 0x0a020000u, .prefix_len = 16, .has_interface = true, .interface = "eth9"},
	     "unknown_interface",
	     "no interface named \"eth9\""},
	    {{.prefix = 0x0a020000u,
	      .prefix_len = 16,
	      .has_next_hop = true,
	      .next_hop = 0x0a090909u},
	     "next_hop_unreachable",
	     "next hop 10.9.9.9 is outside every connected network"},
	    {{.prefix = 0x0a020000u,
	      .prefix_len = 16,
	      .has_next_hop = true,
	      .next_hop = 0x0a000202u,
	      .has_interface = true,
	      .interface = "lan0"},
	     "next_hop_unreachable",
	     "next hop 10.0.2.2 is outside lan0's network 10.0.1.0/24"},
	    {{.prefix = 0x0a020000u, .prefix_len = 16},
	     "missing_next_hop",
	     "a route needs a next_hop, an interface, or both"},
	    {{.prefix = 0x0a020000u,
	      .prefix_len = 16,
	      .has_next_hop = true,
	      .next_hop = 0x0a000201u},
	     "invalid_next_hop",
	     "next hop 10.0.2.1 is the router's own address (lan1)"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct shoal_routes_entry e;
		struct shoal_routes_error err = {0};
		assert_string_equal(
		    shoal_routes_status_code(shoal_routes_validate(r, &cases[i].s, &e, &err)),
		    cases[i].code);
		assert_string_equal(shoal_routes_status_code(err.status), cases[i].code);
		assert_string_equal(err.message, cases[i].message);
		/* and an op with it changes nothing */
		assert_string_equal(
		    shoal_routes_status_code(op1(r, SHOAL_ROUTES_OP_PUT, cases[i].s, &err)),
		    cases[i].code);
		assert_int_equal(t.n, 2);
	}
	/* next hop only: the interface is the one whose network holds it */
	struct shoal_routes_entry e;
	struct shoal_routes_spec ok = spec(0x0a020000u, 16, 0x0a000202u, NULL);
	assert_int_equal(shoal_routes_validate(r, &ok, &e, NULL), SHOAL_ROUTES_OK);
	assert_int_equal(e.ifindex, 1);
	shoal_routes_destroy(r);
}

static void test_add_put_delete_statuses(void **state)
{
	(void)state;
	struct table t;
	struct shoal_routes *r = make(&t);
	struct shoal_routes_error e;
	struct shoal_routes_spec a = spec(0x0a020000u, 16, 0x0a000102u, NULL);
	assert_int_equal(op1(r, SHOAL_ROUTES_OP_ADD, a, &e), SHOAL_ROUTES_CREATED);
	assert_int_equal(op1(r, SHOAL_ROUTES_OP_ADD, a, &e), SHOAL_ROUTES_ROUTE_EXISTS);
	assert_string_equal(shoal_routes_status_code(e.status), "route_exists");
	struct shoal_routes_spec b = spec(0x0a020000u, 16, 0x0a000202u, NULL);
	assert_int_equal(op1(r, SHOAL_ROUTES_OP_PUT, b, &e), SHOAL_ROUTES_REPLACED);
	assert_int_equal(table_get(&t, 0x0a020000u, 16)->next_hop, 0x0a000202u);
	struct shoal_routes_spec c = spec(0x0a030000u, 16, 0, "lan1");
	assert_int_equal(op1(r, SHOAL_ROUTES_OP_PUT, c, &e), SHOAL_ROUTES_CREATED);
	struct shoal_routes_spec conn = spec(0x0a000100u, 24, 0, "lan1");
	assert_int_equal(op1(r, SHOAL_ROUTES_OP_PUT, conn, &e), SHOAL_ROUTES_CONNECTED_ROUTE);
	assert_string_equal(shoal_routes_status_code(e.status), "connected_route");
	assert_int_equal(op1(r, SHOAL_ROUTES_OP_DELETE, conn, &e), SHOAL_ROUTES_CONNECTED_ROUTE);
	assert_string_equal(shoal_routes_status_code(e.status), "connected_route");
	assert_int_equal(op1(r, SHOAL_ROUTES_OP_DELETE, spec(0x0a040000u, 16, 0, NULL), &e),
	                 SHOAL_ROUTES_ROUTE_NOT_FOUND);
	assert_string_equal(shoal_routes_status_code(e.status), "route_not_found");
	assert_string_equal(e.message, "no route for 10.4.0.0/16");
	assert_int_equal(op1(r, SHOAL_ROUTES_OP_DELETE, a, &e), SHOAL_ROUTES_OK);
	assert_null(table_get(&t, 0x0a020000u, 16));
	assert_mirror(r, &t);
	shoal_routes_destroy(r);
}

static void counts(const struct shoal_routes *r, uint32_t p, uint8_t l, uint64_t pk, uint64_t by)
{
	uint64_t a, b;
	shoal_routes_counters(r, p, l, &a, &b);
	assert_int_equal(a, pk);
	assert_int_equal(b, by);
}

/* Per-route counters: each route its own (two routes through one next hop count apart), a
 * replace keeps them, a delete drops them (re-added: zero); growth and deletion of the
 * counter table against a model of 400 routes. */
static void test_route_counters(void **state)
{
	(void)state;
	struct table t;
	struct shoal_routes *r = make(&t);
	struct shoal_routes_error e;
	struct shoal_routes_spec a = spec(0x0a020000u, 16, 0x0a000102u, NULL);
	struct shoal_routes_spec c = spec(0x0a030000u, 16, 0x0a000102u, NULL); /* same next hop */
	assert_int_equal(op1(r, SHOAL_ROUTES_OP_ADD, a, &e), SHOAL_ROUTES_CREATED);
	assert_int_equal(op1(r, SHOAL_ROUTES_OP_ADD, c, &e), SHOAL_ROUTES_CREATED);
	for (int i = 0; i < 3; i++)
		shoal_routes_count(r, 0x0a020000u, 16, 100);
	shoal_routes_count(r, 0x0a030000u, 16, 60);
	shoal_routes_count(r, 0x0a040000u, 16, 60); /* no such route: nothing */
	counts(r, 0x0a020000u, 16, 3, 300);
	counts(r, 0x0a030000u, 16, 1, 60);
	counts(r, 0x0a040000u, 16, 0, 0);
	struct shoal_routes_spec b = spec(0x0a020000u, 16, 0x0a000202u, NULL);
	assert_int_equal(op1(r, SHOAL_ROUTES_OP_PUT, b, &e), SHOAL_ROUTES_REPLACED);
	counts(r, 0x0a020000u, 16, 3, 300);
	assert_int_equal(op1(r, SHOAL_ROUTES_OP_DELETE, a, &e), SHOAL_ROUTES_OK);
	counts(r, 0x0a020000u, 16, 0, 0);
	assert_int_equal(op1(r, SHOAL_ROUTES_OP_ADD, a, &e), SHOAL_ROUTES_CREATED);
	counts(r, 0x0a020000u, 16, 0, 0);
	counts(r, 0x0a030000u, 16, 1, 60);
	/* a connected route counts too */
	shoal_routes_count(r, 0x0a000100u, 24, 84);
	counts(r, 0x0a000100u, 24, 1, 84);
	enum { N = 400 };
	uint64_t seed = 0xc0117e5;
	uint32_t pfx[N];
	for (uint32_t i = 0; i < N; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		pfx[i] = 0x14000000u | (uint32_t)((seed >> 40) & 0x3ff)
		                           << 8; /* 20.0.x.0/24, repeats */
		enum shoal_routes_status st =
		    op1(r, SHOAL_ROUTES_OP_PUT, spec(pfx[i], 24, 0x0a000102u, NULL), &e);
		assert_true(st == SHOAL_ROUTES_CREATED || st == SHOAL_ROUTES_REPLACED);
	}
	for (uint32_t i = 0; i < N; i++)
		shoal_routes_count(r, pfx[i], 24, i);
	for (uint32_t i = 0; i < N; i += 3) {
		enum shoal_routes_status st =
		    op1(r, SHOAL_ROUTES_OP_DELETE, spec(pfx[i], 24, 0, NULL), &e);
		assert_true(st == SHOAL_ROUTES_OK || st == SHOAL_ROUTES_ROUTE_NOT_FOUND);
	}
	/* model: counts summed over equal prefixes, zero once any copy was deleted */
	for (uint32_t i = 0; i < N; i++) {
		uint64_t pk = 0, by = 0;
		bool gone = false;
		for (uint32_t j = 0; j < N; j++) {
			if (pfx[j] != pfx[i])
				continue;
			gone |= j % 3 == 0;
			pk++;
			by += j;
		}
		counts(r, pfx[i], 24, gone ? 0 : pk, gone ? 0 : by);
	}
	shoal_routes_destroy(r);
}

/* Counters are per prefix and length: routes of one address with different lengths (enough
 * of them that some share a probe run of the counter table) count apart. */
static void test_route_counters_same_address(void **state)
{
	(void)state;
	struct table t;
	struct shoal_routes *r = make(&t);
	struct shoal_routes_error e;
	/* one address, two lengths: two routes, two counters */
	assert_int_equal(op1(r, SHOAL_ROUTES_OP_ADD, spec(0x0b000000u, 8, 0x0a000102u, NULL), &e),
	                 SHOAL_ROUTES_CREATED);
	assert_int_equal(op1(r, SHOAL_ROUTES_OP_ADD, spec(0x0b000000u, 16, 0x0a000102u, NULL), &e),
	                 SHOAL_ROUTES_CREATED);
	shoal_routes_count(r, 0x0b000000u, 16, 7);
	counts(r, 0x0b000000u, 16, 1, 7);
	counts(r, 0x0b000000u, 8, 0, 0);
	/* 28 addresses x lengths 17..32: 448 routes, some of one address in one probe run */
	for (uint32_t k = 0; k < 28; k++)
		for (uint8_t l = 17; l <= 32; l++) {
			assert_int_equal(op1(r, SHOAL_ROUTES_OP_ADD,
			                     spec(0x0c000000u | k << 16, l, 0x0a000102u, NULL), &e),
			                 SHOAL_ROUTES_CREATED);
			shoal_routes_count(r, 0x0c000000u | k << 16, l, k * 100 + l);
		}
	for (uint32_t k = 0; k < 28; k++)
		for (uint8_t l = 17; l <= 32; l++)
			counts(r, 0x0c000000u | k << 16, l, 1, k * 100 + l);

	shoal_routes_destroy(r);
}

/* Config routes under the overlay: deletion recorded, API wins, reload keeps API state. */
static void test_reload_keeps_api_state_on_top(void **state)
{
	(void)state;
	struct table t;
	struct shoal_routes *r = make(&t);
	struct shoal_routes_error e;
	struct shoal_routes_entry cfg[] = {
	    {.prefix = 0x0a090000u,
	     .prefix_len = 16,
	     .has_next_hop = true,
	     .next_hop = 0x0a000102u},
	    {.prefix = 0x0a080000u,
	     .prefix_len = 16,
	     .has_next_hop = true,
	     .next_hop = 0x0a000102u},
	    {.prefix = 0x0a070000u,
	     .prefix_len = 16,
	     .has_next_hop = true,
	     .next_hop = 0x0a000102u},
	};
	assert_int_equal(shoal_routes_set_config(r, cfg, 3), 0);
	assert_int_equal(t.n, 5);
	struct shoal_routes_route rt;
	assert_true(shoal_routes_get(r, 0x0a090000u, 16, &rt));
	assert_int_equal(rt.origin, SHOAL_ROUTES_CONFIG);
	/* delete config route 10.9/16, replace 10.8/16 through the API */
	assert_int_equal(op1(r, SHOAL_ROUTES_OP_DELETE, spec(0x0a090000u, 16, 0, NULL), &e),
	                 SHOAL_ROUTES_OK);
	/* the PUT's store rows: one route row, with the interface name */
	struct shoal_routes_saved *sv = shoal_routes_save(r);
	struct shoal_routes_spec put = spec(0x0a080000u, 16, 0x0a000202u, NULL);
	assert_int_equal(shoal_routes_op(r, SHOAL_ROUTES_OP_PUT, &put, &e), SHOAL_ROUTES_REPLACED);
	assert_int_equal(shoal_routes_commit(r, sv), 0);
	struct shoal_store_change *ch;
	size_t n_ch;
	assert_int_equal(shoal_routes_changes(r, sv, &ch, &n_ch), 0);
	assert_int_equal(n_ch, 1);
	assert_int_equal(ch[0].op, SHOAL_STORE_ROUTE_PUT);
	assert_string_equal(ch[0].u.route.interface, "lan1");
	assert_int_equal(ch[0].u.route.next_hop, 0x0a000202u);
	free(ch);
	shoal_routes_saved_free(sv);
	/* reload: every config route changes next hop; 10.7/16 follows, the others don't */
	for (int i = 0; i < 3; i++)
		cfg[i].next_hop = 0x0a000103u;
	assert_int_equal(shoal_routes_set_config(r, cfg, 3), 0);
	assert_null(table_get(&t, 0x0a090000u, 16));
	assert_int_equal(table_get(&t, 0x0a080000u, 16)->next_hop, 0x0a000202u);
	assert_int_equal(table_get(&t, 0x0a070000u, 16)->next_hop, 0x0a000103u);
	/* a reload without 10.7/16 removes it */
	assert_int_equal(shoal_routes_set_config(r, cfg, 2), 0);
	assert_null(table_get(&t, 0x0a070000u, 16));
	assert_mirror(r, &t);
	shoal_routes_destroy(r);
}

/* A batch whose later op fails leaves overlay and table untouched. */
static void test_batch_all_or_nothing(void **state)
{
	(void)state;
	struct table t;
	struct shoal_routes *r = make(&t);
	struct shoal_routes_error e;
	assert_int_equal(op1(r, SHOAL_ROUTES_OP_ADD, spec(0x0a050000u, 16, 0, "lan0"), &e),
	                 SHOAL_ROUTES_CREATED);
	unsigned applies = t.applies;
	struct shoal_routes_saved *sv = shoal_routes_save(r);
	struct shoal_routes_spec s1 = spec(0x0a020000u, 16, 0, "lan0");
	struct shoal_routes_spec s2 = spec(0x0a050000u, 16, 0, NULL);
	struct shoal_routes_spec s3 = spec(0x0a020000u, 16, 0, "lan1");
	assert_int_equal(shoal_routes_op(r, SHOAL_ROUTES_OP_ADD, &s1, &e), SHOAL_ROUTES_CREATED);
	assert_int_equal(shoal_routes_op(r, SHOAL_ROUTES_OP_DELETE, &s2, &e), SHOAL_ROUTES_OK);
	/* validated against the batch so far: 10.2/16 exists now */
	assert_int_equal(shoal_routes_op(r, SHOAL_ROUTES_OP_ADD, &s3, &e),
	                 SHOAL_ROUTES_ROUTE_EXISTS);
	shoal_routes_abandon(r, sv);
	assert_int_equal(t.applies, applies);
	struct shoal_routes_route rt;
	assert_false(shoal_routes_get(r, 0x0a020000u, 16, &rt));
	assert_true(shoal_routes_get(r, 0x0a050000u, 16, &rt));
	assert_mirror(r, &t);
	shoal_routes_destroy(r);
}

/* The table refusing a prefix mid-commit puts overlay and table back as saved. */
static void test_commit_failure_rolls_back(void **state)
{
	(void)state;
	struct table t;
	struct shoal_routes *r = make(&t);
	struct shoal_routes_error e;
	assert_int_equal(op1(r, SHOAL_ROUTES_OP_ADD, spec(0x0a050000u, 16, 0, "lan0"), &e),
	                 SHOAL_ROUTES_CREATED);
	t.capacity = t.n + 1;
	struct shoal_routes_saved *sv = shoal_routes_save(r);
	for (uint32_t i = 0; i < 4; i++) {
		struct shoal_routes_spec s = spec(0x0b000000u + (i << 16), 16, 0, "lan1");
		assert_int_equal(shoal_routes_op(r, SHOAL_ROUTES_OP_ADD, &s, &e),
		                 SHOAL_ROUTES_CREATED);
	}
	struct shoal_routes_spec d = spec(0x0a050000u, 16, 0, NULL);
	assert_int_equal(shoal_routes_op(r, SHOAL_ROUTES_OP_DELETE, &d, &e), SHOAL_ROUTES_OK);
	assert_int_equal(shoal_routes_commit(r, sv), -1);
	assert_int_equal(t.n, 3);
	assert_non_null(table_get(&t, 0x0a050000u, 16));
	assert_mirror(r, &t);
	shoal_routes_destroy(r);
}

/* restore undoes a committed change (storage failure). */
static void test_restore_after_commit(void **state)
{
	(void)state;
	struct table t;
	struct shoal_routes *r = make(&t);
	struct shoal_routes_error e;
	assert_int_equal(op1(r, SHOAL_ROUTES_OP_ADD, spec(0x0a050000u, 16, 0, "lan0"), &e),
	                 SHOAL_ROUTES_CREATED);
	struct shoal_routes_saved *sv = shoal_routes_save(r);
	struct shoal_routes_spec a = spec(0x0a060000u, 16, 0, "lan0");
	struct shoal_routes_spec p = spec(0x0a050000u, 16, 0, "lan1");
	assert_int_equal(shoal_routes_op(r, SHOAL_ROUTES_OP_ADD, &a, &e), SHOAL_ROUTES_CREATED);
	assert_int_equal(shoal_routes_op(r, SHOAL_ROUTES_OP_PUT, &p, &e), SHOAL_ROUTES_REPLACED);
	assert_int_equal(shoal_routes_commit(r, sv), 0);
	assert_int_equal(table_get(&t, 0x0a050000u, 16)->ifindex, 1);
	/* the rows: route 10.5/16 (put) and 10.6/16 (put) */
	struct shoal_store_change *ch;
	size_t n_ch;
	assert_int_equal(shoal_routes_changes(r, sv, &ch, &n_ch), 0);
	assert_int_equal(n_ch, 2);
	assert_int_equal(ch[0].op, SHOAL_STORE_ROUTE_PUT);
	assert_int_equal(ch[0].u.route.prefix, 0x0a050000u);
	assert_int_equal(ch[1].u.route.prefix, 0x0a060000u);
	free(ch);
	assert_int_equal(shoal_routes_restore(r, sv), 0);
	assert_null(table_get(&t, 0x0a060000u, 16));
	assert_int_equal(table_get(&t, 0x0a050000u, 16)->ifindex, 0);
	assert_mirror(r, &t);
	shoal_routes_destroy(r);
}

static void test_list_within_and_lookup(void **state)
{
	(void)state;
	struct table t;
	struct shoal_routes *r = make(&t);
	struct shoal_routes_error e;
	assert_int_equal(op1(r, SHOAL_ROUTES_OP_ADD, spec(0x0a000000u, 8, 0x0a000102u, NULL), &e),
	                 SHOAL_ROUTES_CREATED);
	assert_int_equal(op1(r, SHOAL_ROUTES_OP_ADD, spec(0x0a020000u, 16, 0x0a000102u, NULL), &e),
	                 SHOAL_ROUTES_CREATED);
	assert_int_equal(op1(r, SHOAL_ROUTES_OP_ADD, spec(0, 0, 0x0a000202u, NULL), &e),
	                 SHOAL_ROUTES_CREATED);
	struct shoal_routes_route *l;
	size_t n;
	assert_int_equal(shoal_routes_list(r, 0x0a000000u, 15, &l, &n), 0);
	assert_int_equal(n, 2); /* 10.0.1/24, 10.0.2/24 — not 10/8 (wider), not 10.2/16 */
	assert_int_equal(l[0].e.prefix, 0x0a000100u);
	assert_int_equal(l[1].e.prefix, 0x0a000200u);
	free(l);
	assert_int_equal(shoal_routes_list(r, 0, 0, &l, &n), 0);
	assert_int_equal(n, 5);
	assert_int_equal(l[0].e.prefix_len, 0);
	assert_int_equal(l[1].e.prefix_len, 8);
	free(l);
	struct shoal_routes_route rt;
	assert_true(shoal_routes_lookup(r, 0x0a020304u, &rt));
	assert_int_equal(rt.e.prefix_len, 16);
	assert_true(shoal_routes_lookup(r, 0x0a000105u, &rt));
	assert_int_equal(rt.origin, SHOAL_ROUTES_CONNECTED);
	assert_true(shoal_routes_lookup(r, 0x01020304u, &rt));
	assert_int_equal(rt.e.prefix_len, 0);
	shoal_routes_destroy(r);
}

/* import validates against the interfaces and applies deletions then routes. */
static void test_import(void **state)
{
	(void)state;
	struct table t;
	struct shoal_routes *r = make(&t);
	struct shoal_routes_entry cfg[] = {{.prefix = 0x0a090000u, .prefix_len = 16, .ifindex = 0}};
	assert_int_equal(shoal_routes_set_config(r, cfg, 1), 0);
	struct shoal_state s = {0};
	struct shoal_state_route sr = {
	    .prefix = 0x0a020000u, .prefix_len = 16, .interface = "lan1"};
	assert_int_equal(shoal_state_add_route(&s, &sr), 0);
	assert_int_equal(shoal_state_add_deleted(&s, 0x0a090000u, 16), 0);
	char err[256] = "";
	assert_int_equal(shoal_routes_import(r, &s, err, sizeof(err)), 0);
	assert_null(table_get(&t, 0x0a090000u, 16));
	assert_int_equal(table_get(&t, 0x0a020000u, 16)->ifindex, 1);
	/* a route naming an unknown interface: refused, nothing applied */
	struct shoal_state bad = {0};
	struct shoal_state_route br = {.prefix = 0x0a030000u, .prefix_len = 16, .interface = "x"};
	assert_int_equal(shoal_state_add_deleted(&bad, 0x0a020000u, 16), 0);
	assert_int_equal(shoal_state_add_route(&bad, &br), 0);
	assert_int_equal(shoal_routes_import(r, &bad, err, sizeof(err)), -1);
	assert_string_equal(err, "routes[0]: no interface named \"x\"");
	assert_non_null(table_get(&t, 0x0a020000u, 16));
	assert_mirror(r, &t);
	shoal_state_free(&s);
	shoal_state_free(&bad);
	shoal_routes_destroy(r);
}

/* Property: random ops, batches, aborted batches and reloads over a small prefix universe;
 * after each step the table mirrors the effective routes and the API overlay matches a
 * model of what succeeded. Fixed seed. */
static void test_property_table_mirrors_effective_routes(void **state)
{
	(void)state;
	struct table t;
	struct shoal_routes *r = make(&t);
	srand(12345);
	for (int step = 0; step < 2000; step++) {
		int what = rand() % 10;
		if (what == 0) {
			struct shoal_routes_entry cfg[6];
			size_t n = 0;
			for (uint32_t i = 0; i < 6; i++)
				if (rand() % 2)
					cfg[n++] = (struct shoal_routes_entry){
					    .prefix = 0x14000000u + (i << 16),
					    .prefix_len = 16,
					    .ifindex = (unsigned)(rand() % 2)};
			assert_int_equal(shoal_routes_set_config(r, cfg, n), 0);
		} else {
			struct shoal_routes_saved *sv = shoal_routes_save(r);
			int n_ops = 1 + rand() % 3;
			bool ok = true;
			for (int k = 0; k < n_ops && ok; k++) {
				uint32_t i = (uint32_t)(rand() % 8);
				struct shoal_routes_spec s = spec(0x14000000u + (i << 16), 16, 0,
				                                  rand() % 2 ? "lan0" : "lan1");
				enum shoal_routes_op_kind kind =
				    (enum shoal_routes_op_kind)(rand() % 3);
				struct shoal_routes_error e;
				enum shoal_routes_status st = shoal_routes_op(r, kind, &s, &e);
				ok = st == SHOAL_ROUTES_OK || st == SHOAL_ROUTES_CREATED ||
				     st == SHOAL_ROUTES_REPLACED;
			}
			if (ok && rand() % 4) {
				assert_int_equal(shoal_routes_commit(r, sv), 0);
				assert_mirror(r, &t);
				/* a storage failure undoes some committed changes */
				if (rand() % 4 == 0)
					assert_int_equal(shoal_routes_restore(r, sv), 0);
				else
					shoal_routes_saved_free(sv);
			} else {
				shoal_routes_abandon(r, sv);
			}
		}
		assert_mirror(r, &t);
	}
	shoal_routes_destroy(r);
}

/* A group whose batch end fails (the table could not rebuild what it deferred) is undone:
 * commit fails and the table and the overlay are as before; an import likewise. */
static void test_batch_end_failure_undoes_group(void **state)
{
	(void)state;
	struct table t;
	struct shoal_routes *r = make(&t);
	shoal_routes_set_batch(r, table_batch);
	struct shoal_routes_error e;
	assert_int_equal(op1(r, SHOAL_ROUTES_OP_ADD, spec(0x0a050000u, 16, 0, "lan0"), &e),
	                 SHOAL_ROUTES_CREATED);
	assert_int_equal(t.open, 0);
	size_t before = t.n;
	struct shoal_routes_saved *sv = shoal_routes_save(r);
	for (uint32_t i = 0; i < 4; i++) {
		struct shoal_routes_spec s = spec(0x0b000000u + (i << 16), 16, 0, "lan1");
		assert_int_equal(shoal_routes_op(r, SHOAL_ROUTES_OP_ADD, &s, &e),
		                 SHOAL_ROUTES_CREATED);
	}
	struct shoal_routes_spec d = spec(0x0a050000u, 16, 0, NULL);
	assert_int_equal(shoal_routes_op(r, SHOAL_ROUTES_OP_DELETE, &d, &e), SHOAL_ROUTES_OK);
	unsigned brackets = t.brackets;
	t.fail_ends = 1;
	assert_int_equal(shoal_routes_commit(r, sv), -1);
	assert_int_equal(t.brackets, brackets + 2); /* the group, then its undo */
	assert_int_equal(t.open, 0);
	assert_int_equal(t.n, before);
	assert_non_null(table_get(&t, 0x0a050000u, 16));
	assert_null(table_get(&t, 0x0b000000u, 16));
	assert_mirror(r, &t);
	struct shoal_routes_route rt;
	assert_false(shoal_routes_get(r, 0x0b010000u, 16, &rt));

	/* import: the same */
	struct shoal_state_route sr[2] = {
	    {.prefix = 0x0c000000u, .prefix_len = 8, .has_next_hop = true, .next_hop = 0x0a000202u},
	    {.prefix = 0x0d000000u,
	     .prefix_len = 24,
	     .has_next_hop = true,
	     .next_hop = 0x0a000202u},
	};
	struct shoal_state st = {.routes = sr, .n_routes = 2};
	char err[256];
	t.fail_ends = 1;
	assert_int_equal(shoal_routes_import(r, &st, err, sizeof(err)), -1);
	assert_int_equal(t.open, 0);
	assert_int_equal(t.n, before);
	assert_mirror(r, &t);
	assert_int_equal(shoal_routes_import(r, &st, err, sizeof(err)), 0);
	assert_non_null(table_get(&t, 0x0d000000u, 24));
	assert_mirror(r, &t);
	shoal_routes_destroy(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_connected_installed_at_create),
	    cmocka_unit_test(test_validation_messages),
	    cmocka_unit_test(test_add_put_delete_statuses),
	    cmocka_unit_test(test_route_counters),
	    cmocka_unit_test(test_route_counters_same_address),
	    cmocka_unit_test(test_reload_keeps_api_state_on_top),
	    cmocka_unit_test(test_batch_all_or_nothing),
	    cmocka_unit_test(test_commit_failure_rolls_back),
	    cmocka_unit_test(test_restore_after_commit),
	    cmocka_unit_test(test_list_within_and_lookup),
	    cmocka_unit_test(test_import),
	    cmocka_unit_test(test_batch_end_failure_undoes_group),
	    cmocka_unit_test(test_property_table_mirrors_effective_routes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
