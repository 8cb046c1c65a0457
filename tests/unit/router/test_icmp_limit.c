/* Tests for router/icmp_limit.c: the global bucket, per-destination buckets under it
 * (Linux-like defaults: a burst of 6, then one per second), LRU eviction and its counter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "shoal/icmp_limit.h"

enum { A = 0x0a000102, B = 0x0a000103, C = 0x0a000104, D = 0x0a000105, E = 0x0a000106 };

static struct shoal_icmp_limit *mk(unsigned rate, unsigned burst, unsigned interval,
                                   unsigned dburst, unsigned dmax)
{
	struct shoal_icmp_limit_config c = {.rate_per_s = rate,
	                                    .burst = burst,
	                                    .dest_interval_ms = interval,
	                                    .dest_burst = dburst,
	                                    .dest_max = dmax};
	struct shoal_icmp_limit *l = shoal_icmp_limit_create(&c, 1000);
	assert_non_null(l);
	return l;
}

static unsigned take_n(struct shoal_icmp_limit *l, uint32_t dst, unsigned n, uint64_t now)
{
	unsigned ok = 0;
	for (unsigned i = 0; i < n; i++)
		ok += shoal_icmp_limit_take(l, dst, now) == SHOAL_ICMP_LIMIT_ALLOW;
	return ok;
}

/* 400 errors owed to one host at once: the burst of 6, then one per second. */
static void test_one_destination_burst_then_one_per_second(void **state)
{
	(void)state;
	struct shoal_icmp_limit *l = mk(1000, 50, 1000, 6, 0);
	assert_int_equal(take_n(l, A, 400, 1000), 6);
	assert_int_equal(shoal_icmp_limit_stats(l)->limited_dest, 394);
	assert_int_equal(take_n(l, A, 10, 1999), 0);
	assert_int_equal(take_n(l, A, 10, 2000), 1);
	assert_int_equal(take_n(l, A, 10, 2999), 0);
	assert_int_equal(take_n(l, A, 10, 5000), 3);
	/* idle long enough: back to the full burst, never more */
	assert_int_equal(take_n(l, A, 100, 60000), 6);
	/* another destination has its own bucket */
	assert_int_equal(take_n(l, B, 100, 60000), 6);
	assert_int_equal(shoal_icmp_limit_stats(l)->allowed, 6 + 1 + 3 + 6 + 6);
	assert_int_equal(shoal_icmp_limit_stats(l)->limited_global, 0);
	shoal_icmp_limit_destroy(l);
}

/* The global bucket bounds the sum over destinations; a refusal by a destination's bucket
 * takes no global token. */
static void test_global_bucket_above_destinations(void **state)
{
	(void)state;
	struct shoal_icmp_limit *l = mk(2, 8, 1000, 6, 0);
	assert_int_equal(take_n(l, A, 50, 1000), 6); /* A's burst; 2 global tokens left */
	assert_int_equal(take_n(l, B, 50, 1000), 2); /* global empty */
	const struct shoal_icmp_limit_stats *s = shoal_icmp_limit_stats(l);
	assert_int_equal(s->limited_dest, 44);
	assert_int_equal(s->limited_global, 48);
	/* 500 ms at 2/s: one global token */
	assert_int_equal(take_n(l, C, 5, 1500), 1);
	assert_int_equal(take_n(l, C, 5, 1999), 0);
	assert_int_equal(take_n(l, C, 5, 2000), 1);
	shoal_icmp_limit_destroy(l);
}

static void test_rate_zero_sends_nothing_interval_zero_no_dest_limit(void **state)
{
	(void)state;
	struct shoal_icmp_limit *l = mk(0, 5, 1000, 6, 0);
	assert_int_equal(take_n(l, A, 10, 1000), 5); /* the initial burst only */
	assert_int_equal(take_n(l, A, 10, 100000), 0);
	shoal_icmp_limit_destroy(l);
	l = mk(1000, 50, 0, 6, 0);
	assert_int_equal(take_n(l, A, 100, 1000), 50);
	assert_int_equal(shoal_icmp_limit_stats(l)->limited_dest, 0);
	assert_int_equal(shoal_icmp_limit_stats(l)->tracked, 0);
	shoal_icmp_limit_destroy(l);
}

/* The table holds dest_max destinations; a new one evicts the least recently used. */
static void test_table_bounded_evicts_least_recently_used(void **state)
{
	(void)state;
	struct shoal_icmp_limit *l = mk(1000000, 1000000, 1000, 2, 4);
	assert_int_equal(take_n(l, A, 5, 1000), 2);
	assert_int_equal(take_n(l, B, 5, 1000), 2);
	assert_int_equal(take_n(l, C, 5, 1000), 2);
	assert_int_equal(take_n(l, D, 5, 1000), 2);
	assert_int_equal(shoal_icmp_limit_stats(l)->tracked, 4);
	assert_int_equal(take_n(l, A, 1, 1000), 0); /* A is now the most recent */
	assert_int_equal(take_n(l, E, 5, 1000), 2); /* evicts B, the least recent */
	const struct shoal_icmp_limit_stats *s = shoal_icmp_limit_stats(l);
	assert_int_equal(s->evictions, 1);
	assert_int_equal(s->tracked, 4);
	assert_int_equal(take_n(l, A, 1, 1000), 0); /* A kept its empty bucket */
	assert_int_equal(take_n(l, B, 5, 1000), 2); /* B comes back full (evicts C) */
	assert_int_equal(take_n(l, D, 1, 1000), 0);
	assert_int_equal(take_n(l, C, 5, 1000), 2); /* C was evicted: full again */
	assert_int_equal(s->evictions, 3);
	/* many destinations through a small table: bounded, every eviction counted */
	for (uint32_t i = 0; i < 1000; i++)
		assert_int_equal(take_n(l, 0x0b000000u + i, 1, 1000), 1);
	assert_int_equal(s->tracked, 4);
	assert_int_equal(s->evictions, 3 + 1000);
	shoal_icmp_limit_destroy(l);
}

static void test_set_rates_caps_tokens(void **state)
{
	(void)state;
	struct shoal_icmp_limit *l = mk(1000, 50, 1000, 6, 0);
	assert_int_equal(take_n(l, A, 1, 1000), 1); /* A: 5 left */
	struct shoal_icmp_limit_config c = {
	    .rate_per_s = 1000, .burst = 3, .dest_interval_ms = 1000, .dest_burst = 2};
	shoal_icmp_limit_set_rates(l, &c);
	assert_int_equal(take_n(l, A, 10, 1000), 2);
	assert_int_equal(take_n(l, B, 10, 1000), 1); /* global: 3 - 2 */
	shoal_icmp_limit_destroy(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_one_destination_burst_then_one_per_second),
	    cmocka_unit_test(test_global_bucket_above_destinations),
	    cmocka_unit_test(test_rate_zero_sends_nothing_interval_zero_no_dest_limit),
	    cmocka_unit_test(test_table_bounded_evicts_least_recently_used),
	    cmocka_unit_test(test_set_rates_caps_tokens),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
