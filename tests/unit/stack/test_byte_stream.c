/* Byte stream (spec §1): one test per numbered rule, plus a property test against a model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "shoal/byte_stream.h"

/* Reads everything buffered through peek/pop into out (size cap); returns the count. */
static size_t drain(struct shoal_byte_stream *bs, uint8_t *out, size_t cap)
{
	size_t got = 0;
	const uint8_t *view;
	size_t n;
	while ((n = shoal_byte_stream_peek(bs, &view)) > 0) {
		assert_true(got + n <= cap);
		memcpy(out + got, view, n);
		shoal_byte_stream_pop(bs, n);
		got += n;
	}
	return got;
}

static size_t push_str(struct shoal_byte_stream *bs, const char *s)
{
	return shoal_byte_stream_push(bs, (const uint8_t *)s, strlen(s));
}

static void assert_drains_to(struct shoal_byte_stream *bs, const char *expect)
{
	uint8_t out[64];
	size_t n = drain(bs, out, sizeof(out));
	assert_int_equal(n, strlen(expect));
	assert_memory_equal(out, expect, n);
}

static void test_rule_1_new_stream(void **state)
{
	(void)state;
	struct shoal_byte_stream bs;
	assert_int_equal(shoal_byte_stream_init(&bs, 15), 0);
	assert_false(shoal_byte_stream_is_closed(&bs));
	assert_false(shoal_byte_stream_is_finished(&bs));
	assert_false(shoal_byte_stream_has_error(&bs));
	assert_int_equal(shoal_byte_stream_bytes_buffered(&bs), 0);
	assert_int_equal(shoal_byte_stream_bytes_pushed(&bs), 0);
	assert_int_equal(shoal_byte_stream_bytes_popped(&bs), 0);
	assert_int_equal(shoal_byte_stream_available_capacity(&bs), 15);
	const uint8_t *view;
	assert_int_equal(shoal_byte_stream_peek(&bs, &view), 0);
	shoal_byte_stream_fini(&bs);
}

static void test_rule_2_push_drops_excess(void **state)
{
	(void)state;
	struct shoal_byte_stream bs;
	assert_int_equal(shoal_byte_stream_init(&bs, 2), 0);
	assert_int_equal(push_str(&bs, "cat"), 2);
	assert_int_equal(shoal_byte_stream_bytes_pushed(&bs), 2);
	assert_int_equal(shoal_byte_stream_available_capacity(&bs), 0);
	assert_int_equal(shoal_byte_stream_bytes_buffered(&bs), 2);
	assert_int_equal(push_str(&bs, "t"), 0);
	assert_int_equal(shoal_byte_stream_bytes_pushed(&bs), 2);
	assert_int_equal(shoal_byte_stream_bytes_buffered(&bs), 2);
	assert_drains_to(&bs, "ca");
	shoal_byte_stream_fini(&bs);
}

static void test_rule_3_pop_frees_room(void **state)
{
	(void)state;
	struct shoal_byte_stream bs;
	/* pop 2 */
	assert_int_equal(shoal_byte_stream_init(&bs, 2), 0);
	push_str(&bs, "cat");
	shoal_byte_stream_pop(&bs, 2);
	assert_int_equal(shoal_byte_stream_available_capacity(&bs), 2);
	assert_int_equal(push_str(&bs, "tac"), 2);
	assert_int_equal(shoal_byte_stream_bytes_pushed(&bs), 4);
	assert_int_equal(shoal_byte_stream_bytes_popped(&bs), 2);
	assert_int_equal(shoal_byte_stream_available_capacity(&bs), 0);
	assert_drains_to(&bs, "ta");
	shoal_byte_stream_fini(&bs);
	/* pop 1 */
	assert_int_equal(shoal_byte_stream_init(&bs, 2), 0);
	push_str(&bs, "cat");
	shoal_byte_stream_pop(&bs, 1);
	assert_int_equal(shoal_byte_stream_available_capacity(&bs), 1);
	assert_int_equal(push_str(&bs, "tac"), 1);
	assert_int_equal(shoal_byte_stream_bytes_pushed(&bs), 3);
	assert_int_equal(shoal_byte_stream_bytes_popped(&bs), 1);
	assert_drains_to(&bs, "at");
	shoal_byte_stream_fini(&bs);
}

static void test_rule_4_empty_push_changes_nothing(void **state)
{
	(void)state;
	struct shoal_byte_stream bs;
	assert_int_equal(shoal_byte_stream_init(&bs, 4), 0);
	assert_int_equal(shoal_byte_stream_push(&bs, NULL, 0), 0);
	assert_int_equal(shoal_byte_stream_bytes_pushed(&bs), 0);
	assert_int_equal(shoal_byte_stream_available_capacity(&bs), 4);
	push_str(&bs, "ab");
	assert_int_equal(push_str(&bs, ""), 0);
	assert_int_equal(shoal_byte_stream_bytes_pushed(&bs), 2);
	assert_int_equal(shoal_byte_stream_bytes_buffered(&bs), 2);
	assert_int_equal(shoal_byte_stream_available_capacity(&bs), 2);
	assert_false(shoal_byte_stream_is_closed(&bs));
	assert_drains_to(&bs, "ab");
	shoal_byte_stream_fini(&bs);
}

static void test_rule_5_cumulative_counters(void **state)
{
	(void)state;
	struct shoal_byte_stream bs;
	assert_int_equal(shoal_byte_stream_init(&bs, 3), 0);
	uint64_t pushed = 0, popped = 0;
	for (int round = 0; round < 10; round++) {
		pushed += push_str(&bs, "xyz");
		shoal_byte_stream_pop(&bs, 2);
		popped += 2;
		assert_int_equal(shoal_byte_stream_bytes_pushed(&bs), pushed);
		assert_int_equal(shoal_byte_stream_bytes_popped(&bs), popped);
		assert_int_equal(shoal_byte_stream_bytes_buffered(&bs), pushed - popped);
		assert_int_equal(shoal_byte_stream_available_capacity(&bs), 3 - (pushed - popped));
	}
	assert_true(pushed > 3); /* totals exceed capacity: they are cumulative */
	shoal_byte_stream_fini(&bs);
}

static void test_rule_6_peek(void **state)
{
	(void)state;
	struct shoal_byte_stream bs;
	const uint8_t *v1, *v2;
	assert_int_equal(shoal_byte_stream_init(&bs, 4), 0);
	assert_int_equal(shoal_byte_stream_peek(&bs, &v1), 0);
	/* Wrap the ring: the view may be shorter than what is buffered, never empty. */
	push_str(&bs, "abc");
	shoal_byte_stream_pop(&bs, 3);
	push_str(&bs, "defg");
	size_t n1 = shoal_byte_stream_peek(&bs, &v1);
	size_t n2 = shoal_byte_stream_peek(&bs, &v2);
	assert_true(n1 > 0);
	assert_int_equal(n1, n2);
	assert_memory_equal(v1, v2, n1);
	assert_memory_equal(v1, "defg", n1);
	assert_int_equal(shoal_byte_stream_bytes_buffered(&bs), 4); /* peek removes nothing */
	assert_drains_to(&bs, "defg");
	assert_int_equal(shoal_byte_stream_peek(&bs, &v1), 0);
	shoal_byte_stream_fini(&bs);
}

static void test_rule_7_pop_removes_first_bytes(void **state)
{
	(void)state;
	struct shoal_byte_stream bs;
	assert_int_equal(shoal_byte_stream_init(&bs, 8), 0);
	push_str(&bs, "hello");
	shoal_byte_stream_pop(&bs, 2);
	assert_int_equal(shoal_byte_stream_bytes_buffered(&bs), 3);
	assert_int_equal(shoal_byte_stream_bytes_popped(&bs), 2);
	assert_drains_to(&bs, "llo");
	shoal_byte_stream_fini(&bs);
}

static void test_rule_8_close_and_finish(void **state)
{
	(void)state;
	struct shoal_byte_stream bs;
	assert_int_equal(shoal_byte_stream_init(&bs, 8), 0);
	shoal_byte_stream_close(&bs);
	assert_true(shoal_byte_stream_is_closed(&bs));
	assert_true(shoal_byte_stream_is_finished(&bs));
	shoal_byte_stream_fini(&bs);

	assert_int_equal(shoal_byte_stream_init(&bs, 8), 0);
	push_str(&bs, "ab");
	assert_false(shoal_byte_stream_is_closed(&bs));
	shoal_byte_stream_close(&bs);
	assert_true(shoal_byte_stream_is_closed(&bs));
	assert_false(shoal_byte_stream_is_finished(&bs));
	shoal_byte_stream_pop(&bs, 1);
	assert_false(shoal_byte_stream_is_finished(&bs));
	shoal_byte_stream_pop(&bs, 1);
	assert_true(shoal_byte_stream_is_finished(&bs));
	shoal_byte_stream_fini(&bs);
}

static void test_rule_9_error_flag(void **state)
{
	(void)state;
	struct shoal_byte_stream bs;
	assert_int_equal(shoal_byte_stream_init(&bs, 8), 0);
	shoal_byte_stream_set_error(&bs);
	assert_true(shoal_byte_stream_has_error(&bs));
	assert_false(shoal_byte_stream_is_closed(&bs));
	assert_false(shoal_byte_stream_is_finished(&bs));
	shoal_byte_stream_fini(&bs);
}

static void test_rule_10_zero_bytes_are_ordinary(void **state)
{
	(void)state;
	struct shoal_byte_stream bs;
	const uint8_t in[5] = {0, 'a', 0, 0, 'b'};
	uint8_t out[8];
	assert_int_equal(shoal_byte_stream_init(&bs, 8), 0);
	assert_int_equal(shoal_byte_stream_push(&bs, in, sizeof(in)), 5);
	assert_int_equal(shoal_byte_stream_bytes_buffered(&bs), 5);
	assert_int_equal(drain(&bs, out, sizeof(out)), 5);
	assert_memory_equal(out, in, 5);
	shoal_byte_stream_fini(&bs);
}

static void test_read_copies_and_pops(void **state)
{
	(void)state;
	struct shoal_byte_stream bs;
	uint8_t out[8];
	assert_int_equal(shoal_byte_stream_init(&bs, 4), 0);
	push_str(&bs, "abc");
	shoal_byte_stream_pop(&bs, 2);
	push_str(&bs, "def"); /* buffered "cdef" wraps the ring */
	assert_int_equal(shoal_byte_stream_read(&bs, out, 3), 3);
	assert_memory_equal(out, "cde", 3);
	assert_int_equal(shoal_byte_stream_read(&bs, out, 8), 1);
	assert_memory_equal(out, "f", 1);
	assert_int_equal(shoal_byte_stream_bytes_popped(&bs), 6);
	shoal_byte_stream_fini(&bs);
}

/* xorshift64: deterministic, fixed seed. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

enum { PROP_TOTAL = 4096 };

/* Random push/peek/pop/read/close against a model: the source array and two cursors. */
static void test_property_random_ops_match_model(void **state)
{
	(void)state;
	static uint8_t src[PROP_TOTAL];
	static uint8_t got[PROP_TOTAL];
	uint64_t seed = 0x9e3779b97f4a7c15u;
	for (size_t i = 0; i < PROP_TOTAL; i++)
		src[i] = (uint8_t)rng_next(&seed);
	for (int trial = 0; trial < 200; trial++) {
		size_t cap = 1 + rng_next(&seed) % 40;
		size_t total = rng_next(&seed) % 600;
		struct shoal_byte_stream bs;
		assert_int_equal(shoal_byte_stream_init(&bs, cap), 0);
		size_t m_pushed = 0, m_popped = 0;
		bool m_closed = false;
		for (int step = 0; step < 3000 && !(m_closed && m_popped == m_pushed); step++) {
			size_t buffered = m_pushed - m_popped;
			switch (rng_next(&seed) % 6) {
			case 0:
			case 1: {
				size_t len = rng_next(&seed) % (cap + 3);
				if (len > total - m_pushed)
					len = total - m_pushed;
				if (m_closed)
					len = 0;
				size_t expect = len < cap - buffered ? len : cap - buffered;
				assert_int_equal(shoal_byte_stream_push(&bs, src + m_pushed, len),
				                 expect);
				m_pushed += expect;
				break;
			}
			case 2: {
				const uint8_t *view;
				size_t n = shoal_byte_stream_peek(&bs, &view);
				assert_true(n <= buffered);
				assert_true((n > 0) == (buffered > 0));
				if (n > 0)
					assert_memory_equal(view, src + m_popped, n);
				size_t k = n ? rng_next(&seed) % (n + 1) : 0;
				shoal_byte_stream_pop(&bs, k);
				m_popped += k;
				break;
			}
			case 3: {
				size_t want = rng_next(&seed) % (cap + 5);
				size_t expect = want < buffered ? want : buffered;
				assert_int_equal(shoal_byte_stream_read(&bs, got, want), expect);
				if (expect > 0)
					assert_memory_equal(got, src + m_popped, expect);
				m_popped += expect;
				break;
			}
			case 4:
				if (m_pushed == total) {
					shoal_byte_stream_close(&bs);
					m_closed = true;
				}
				break;
			default: {
				size_t k = buffered ? rng_next(&seed) % (buffered + 1) : 0;
				shoal_byte_stream_pop(&bs, k);
				m_popped += k;
				break;
			}
			}
			assert_int_equal(shoal_byte_stream_bytes_pushed(&bs), m_pushed);
			assert_int_equal(shoal_byte_stream_bytes_popped(&bs), m_popped);
			assert_int_equal(shoal_byte_stream_bytes_buffered(&bs),
			                 m_pushed - m_popped);
			assert_int_equal(shoal_byte_stream_available_capacity(&bs),
			                 cap - (m_pushed - m_popped));
			assert_int_equal(shoal_byte_stream_is_closed(&bs), m_closed);
			assert_int_equal(shoal_byte_stream_is_finished(&bs),
			                 m_closed && m_pushed == m_popped);
		}
		shoal_byte_stream_fini(&bs);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rule_1_new_stream),
	    cmocka_unit_test(test_rule_2_push_drops_excess),
	    cmocka_unit_test(test_rule_3_pop_frees_room),
	    cmocka_unit_test(test_rule_4_empty_push_changes_nothing),
	    cmocka_unit_test(test_rule_5_cumulative_counters),
	    cmocka_unit_test(test_rule_6_peek),
	    cmocka_unit_test(test_rule_7_pop_removes_first_bytes),
	    cmocka_unit_test(test_rule_8_close_and_finish),
	    cmocka_unit_test(test_rule_9_error_flag),
	    cmocka_unit_test(test_rule_10_zero_bytes_are_ordinary),
	    cmocka_unit_test(test_read_copies_and_pops),
	    cmocka_unit_test(test_property_random_ops_match_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
