/* Tests for wrap32 (spec §3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "shoal/wrap32.h"

static const uint64_t TWO32 = UINT64_C(1) << 32;
static const uint64_t TWO31 = UINT64_C(1) << 31;

static void test_rule_1_wrap(void **state)
{
	(void)state;
	assert_int_equal(shoal_wrap32_wrap(3 * TWO32, 0), 0);
	assert_int_equal(shoal_wrap32_wrap(3 * TWO32 + 17, 15), 32);
	assert_int_equal(shoal_wrap32_wrap(7 * TWO32 - 2, 15), 13);
	assert_int_equal(shoal_wrap32_wrap(5, UINT32_MAX), 4);
}

static void test_rule_2_unwrap_closest_to_checkpoint(void **state)
{
	(void)state;
	/* candidates 5, 2^32+5, 2^32*2+5: checkpoint near the middle picks the middle */
	assert_int_equal(shoal_wrap32_unwrap(5, 0, TWO32), TWO32 + 5);
	assert_int_equal(shoal_wrap32_unwrap(5, 0, TWO32 + TWO31), TWO32 + 5);
	assert_int_equal(shoal_wrap32_unwrap(5, 0, TWO32 + TWO31 + 10), 2 * TWO32 + 5);
	/* never negative: near 0 the nearest non-negative candidate wins */
	assert_int_equal(shoal_wrap32_unwrap(UINT32_MAX, 0, 0), TWO32 - 1);
	assert_int_equal(shoal_wrap32_unwrap(UINT32_MAX - 3, 0, 10), TWO32 - 4);
}

static void test_rule_3_unwrap_examples(void **state)
{
	(void)state;
	assert_int_equal(shoal_wrap32_unwrap(1, 0, 0), 1);
	assert_int_equal(shoal_wrap32_unwrap(1, 0, TWO32 - 1), TWO32 + 1);
	assert_int_equal(shoal_wrap32_unwrap((uint32_t)(TWO32 - 2), 0, 3 * TWO32), 3 * TWO32 - 2);
	assert_int_equal(shoal_wrap32_unwrap((uint32_t)(TWO32 - 11), 0, 3 * TWO32), 3 * TWO32 - 11);
	assert_int_equal(shoal_wrap32_unwrap((uint32_t)(TWO32 - 1), 10, 3 * TWO32), 3 * TWO32 - 11);
	assert_int_equal(shoal_wrap32_unwrap((uint32_t)(TWO32 - 1), 0, 0), TWO32 - 1);
	assert_int_equal(shoal_wrap32_unwrap(16, 16, 0), 0);
	assert_int_equal(shoal_wrap32_unwrap(15, 16, 0), TWO32 - 1);
	assert_int_equal(shoal_wrap32_unwrap(0, (uint32_t)(TWO31 - 1), 0), TWO31 + 1);
	assert_int_equal(shoal_wrap32_unwrap((uint32_t)(TWO32 - 1), (uint32_t)(TWO31 - 1), 0),
	                 TWO31);
	assert_int_equal(shoal_wrap32_unwrap((uint32_t)(TWO32 - 1), (uint32_t)TWO31, 0), TWO31 - 1);
}

/* splitmix64: fixed-seed generator for the property tests. */
static uint64_t prng_next(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static void test_rule_4_round_trip_property(void **state)
{
	(void)state;
	uint64_t seed = 0x5eed;
	for (int i = 0; i < 200000; i++) {
		uint64_t v = prng_next(&seed) >> 1; /* up to 2^63 */
		if (i % 4 == 0)
			v >>= 30; /* also small values near 0 */
		uint32_t isn = (uint32_t)prng_next(&seed);
		/* checkpoint within 2^31 - 1 of v, not negative */
		uint64_t delta = prng_next(&seed) % TWO31;
		uint64_t c = (prng_next(&seed) & 1) ? v + delta : (v >= delta ? v - delta : 0);
		uint32_t w = shoal_wrap32_wrap(v, isn);
		assert_int_equal(w, (uint32_t)(isn + v)); /* model: (isn + v) mod 2^32 */
		assert_int_equal(shoal_wrap32_unwrap(w, isn, c), v);
	}
}

static void test_rule_4_unwrap_is_closest_property(void **state)
{
	(void)state;
	uint64_t seed = 42;
	for (int i = 0; i < 100000; i++) {
		uint32_t seqno = (uint32_t)prng_next(&seed);
		uint32_t isn = (uint32_t)prng_next(&seed);
		uint64_t c = prng_next(&seed) >> (prng_next(&seed) % 60 + 4);
		uint64_t n = shoal_wrap32_unwrap(seqno, isn, c);
		assert_int_equal(shoal_wrap32_wrap(n, isn), seqno);
		uint64_t dist = n > c ? n - c : c - n;
		assert_true(dist <= TWO31 || n < TWO32); /* far only when no lower candidate */
		/* the other candidates (n +- 2^32, when non-negative) are not strictly closer */
		uint64_t up = n + TWO32;
		assert_true(up - c >= dist);
		if (n >= TWO32) {
			uint64_t down = n - TWO32;
			uint64_t d2 = down > c ? down - c : c - down;
			assert_true(d2 >= dist);
		}
	}
}

static void test_rule_5_equality_compares_32_bits(void **state)
{
	(void)state;
	uint32_t a = shoal_wrap32_wrap(17, 3);
	uint32_t b = shoal_wrap32_wrap(17 + 5 * TWO32, 3);
	assert_true(a == b);
	assert_true(shoal_wrap32_wrap(18, 3) != a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rule_1_wrap),
	    cmocka_unit_test(test_rule_2_unwrap_closest_to_checkpoint),
	    cmocka_unit_test(test_rule_3_unwrap_examples),
	    cmocka_unit_test(test_rule_4_round_trip_property),
	    cmocka_unit_test(test_rule_4_unwrap_is_closest_property),
	    cmocka_unit_test(test_rule_5_equality_compares_32_bits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
