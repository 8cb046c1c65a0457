/* Reassembler (spec §2): one test per numbered rule, plus a property test against a model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "shoal/reassembler.h"

static void ins(struct shoal_reassembler *r, uint64_t index, const char *s, bool last)
{
	shoal_reassembler_insert(r, index, (const uint8_t *)s, strlen(s), last);
}

static struct shoal_byte_stream *out_of(struct shoal_reassembler *r)
{
	return shoal_reassembler_output(r);
}

/* Reads everything the output holds and checks it equals `expect`. */
static void assert_reads(struct shoal_reassembler *r, const char *expect)
{
	uint8_t buf[128];
	size_t n = shoal_byte_stream_read(out_of(r), buf, sizeof(buf));
	assert_int_equal(n, strlen(expect));
	if (n > 0)
		assert_memory_equal(buf, expect, n);
}

static void test_rule_1_contiguous_bytes_written_at_once(void **state)
{
	(void)state;
	struct shoal_reassembler r;
	assert_int_equal(shoal_reassembler_init(&r, 64), 0);
	ins(&r, 0, "abcd", false);
	assert_int_equal(shoal_byte_stream_bytes_pushed(out_of(&r)), 4);
	assert_int_equal(shoal_reassembler_bytes_pending(&r), 0);
	ins(&r, 4, "efgh", false);
	assert_int_equal(shoal_byte_stream_bytes_pushed(out_of(&r)), 8);
	assert_reads(&r, "abcdefgh");
	assert_false(shoal_byte_stream_is_closed(out_of(&r)));
	shoal_reassembler_fini(&r);
}

static void test_rule_2_pending_counts_distinct_bytes(void **state)
{
	(void)state;
	struct shoal_reassembler r;
	assert_int_equal(shoal_reassembler_init(&r, 64), 0);
	ins(&r, 1, "b", false);
	assert_int_equal(shoal_reassembler_bytes_pending(&r), 1);
	ins(&r, 3, "d", false);
	assert_int_equal(shoal_reassembler_bytes_pending(&r), 2);
	ins(&r, 2, "cde", false); /* overlaps "d": counts once */
	assert_int_equal(shoal_reassembler_bytes_pending(&r), 4);
	assert_int_equal(shoal_byte_stream_bytes_pushed(out_of(&r)), 0);
	ins(&r, 0, "a", false);
	assert_int_equal(shoal_reassembler_bytes_pending(&r), 0);
	assert_reads(&r, "abcde");
	shoal_reassembler_fini(&r);
}

static void test_rule_3_below_next_ignored_beyond_window_discarded(void **state)
{
	(void)state;
	struct shoal_reassembler r;
	assert_int_equal(shoal_reassembler_init(&r, 4), 0);
	ins(&r, 0, "abc", false);
	assert_reads(&r, "abc");
	ins(&r, 0, "ab", false); /* already written */
	assert_int_equal(shoal_byte_stream_bytes_pushed(out_of(&r)), 3);
	assert_int_equal(shoal_reassembler_bytes_pending(&r), 0);
	/* window is [3, 7): "hi"@7 is discarded, and stays lost once the window moves */
	ins(&r, 7, "hi", false);
	ins(&r, 1000000000000ull, "far", false);
	assert_int_equal(shoal_reassembler_bytes_pending(&r), 0);
	ins(&r, 5, "fghi", false); /* only "fg" kept */
	assert_int_equal(shoal_reassembler_bytes_pending(&r), 2);
	ins(&r, 3, "de", false);
	assert_reads(&r, "defg");
	assert_int_equal(shoal_reassembler_bytes_pending(&r), 0);
	assert_int_equal(shoal_byte_stream_bytes_pushed(out_of(&r)), 7);
	ins(&r, 7, "hi", false); /* sent again: now inside */
	assert_reads(&r, "hi");
	shoal_reassembler_fini(&r);
}

static void test_rule_4_duplicates_and_overlaps(void **state)
{
	(void)state;
	struct shoal_reassembler r;
	assert_int_equal(shoal_reassembler_init(&r, 65000), 0);
	ins(&r, 1, "b", false);
	ins(&r, 1, "bc", false);
	assert_int_equal(shoal_reassembler_bytes_pending(&r), 2);
	shoal_reassembler_fini(&r);

	assert_int_equal(shoal_reassembler_init(&r, 65000), 0);
	ins(&r, 2, "c", false);
	ins(&r, 1, "bcd", false);
	assert_int_equal(shoal_reassembler_bytes_pending(&r), 3);
	shoal_reassembler_fini(&r);

	assert_int_equal(shoal_reassembler_init(&r, 65000), 0);
	ins(&r, 1, "b", false);
	ins(&r, 3, "d", false);
	ins(&r, 1, "bcde", false);
	assert_int_equal(shoal_reassembler_bytes_pending(&r), 4);
	ins(&r, 0, "a", false);
	assert_int_equal(shoal_reassembler_bytes_pending(&r), 0);
	assert_int_equal(shoal_byte_stream_bytes_pushed(out_of(&r)), 5);
	assert_reads(&r, "abcde");
	/* overlapping already written bytes: only the new tail is written */
	ins(&r, 3, "defg", false);
	ins(&r, 0, "abcdefg", false);
	assert_int_equal(shoal_byte_stream_bytes_pushed(out_of(&r)), 7);
	assert_reads(&r, "fg");
	/* a write from the next index that covers pending bytes: they count no more */
	ins(&r, 8, "i", false);
	ins(&r, 10, "k", false);
	assert_int_equal(shoal_reassembler_bytes_pending(&r), 2);
	ins(&r, 7, "hij", false);
	assert_int_equal(shoal_reassembler_bytes_pending(&r), 0);
	assert_reads(&r, "hijk");
	shoal_reassembler_fini(&r);
}

static void test_rule_5_last_flag_kept_only_if_it_fits(void **state)
{
	(void)state;
	struct shoal_reassembler r;
	/* cut by the window: flag forgotten */
	assert_int_equal(shoal_reassembler_init(&r, 3), 0);
	ins(&r, 0, "abcd", true);
	assert_reads(&r, "abc");
	assert_false(shoal_byte_stream_is_closed(out_of(&r)));
	ins(&r, 3, "d", false);
	assert_reads(&r, "d");
	assert_false(shoal_byte_stream_is_closed(out_of(&r)));
	ins(&r, 3, "d", true); /* brought again: end known, everything written */
	assert_true(shoal_byte_stream_is_finished(out_of(&r)));
	shoal_reassembler_fini(&r);

	/* empty last substring beyond the window end: ignored */
	assert_int_equal(shoal_reassembler_init(&r, 2), 0);
	ins(&r, 3, "", true);
	ins(&r, 0, "ab", false);
	assert_reads(&r, "ab");
	ins(&r, 2, "c", false);
	assert_reads(&r, "c");
	assert_false(shoal_byte_stream_is_closed(out_of(&r)));
	shoal_reassembler_fini(&r);

	/* empty last substring exactly at the window end: kept */
	assert_int_equal(shoal_reassembler_init(&r, 2), 0);
	ins(&r, 2, "", true);
	assert_false(shoal_byte_stream_is_closed(out_of(&r)));
	ins(&r, 0, "ab", false);
	assert_true(shoal_byte_stream_is_closed(out_of(&r)));
	assert_reads(&r, "ab");
	assert_true(shoal_byte_stream_is_finished(out_of(&r)));
	shoal_reassembler_fini(&r);

	/* a last substring ending exactly at the window end is kept */
	assert_int_equal(shoal_reassembler_init(&r, 2), 0);
	ins(&r, 1, "b", true);
	ins(&r, 0, "a", false);
	assert_true(shoal_byte_stream_is_closed(out_of(&r)));
	shoal_reassembler_fini(&r);
}

static void test_rule_6_close_when_all_written(void **state)
{
	(void)state;
	struct shoal_reassembler r;
	assert_int_equal(shoal_reassembler_init(&r, 16), 0);
	shoal_reassembler_insert(&r, 0, NULL, 0, true);
	assert_true(shoal_byte_stream_is_closed(out_of(&r)));
	assert_true(shoal_byte_stream_is_finished(out_of(&r)));
	assert_int_equal(shoal_byte_stream_bytes_pushed(out_of(&r)), 0);
	shoal_reassembler_fini(&r);

	assert_int_equal(shoal_reassembler_init(&r, 16), 0);
	ins(&r, 2, "c", true);
	assert_false(shoal_byte_stream_is_closed(out_of(&r)));
	ins(&r, 0, "a", false);
	assert_false(shoal_byte_stream_is_closed(out_of(&r)));
	ins(&r, 1, "b", false);
	assert_true(shoal_byte_stream_is_closed(out_of(&r)));
	assert_false(shoal_byte_stream_is_finished(out_of(&r)));
	assert_reads(&r, "abc");
	assert_true(shoal_byte_stream_is_finished(out_of(&r)));
	shoal_reassembler_fini(&r);
}

static void test_rule_7_empty_insert_changes_nothing(void **state)
{
	(void)state;
	struct shoal_reassembler r;
	assert_int_equal(shoal_reassembler_init(&r, 16), 0);
	shoal_reassembler_insert(&r, 0, NULL, 0, false);
	ins(&r, 3, "", false);
	assert_false(shoal_byte_stream_is_closed(out_of(&r)));
	assert_int_equal(shoal_byte_stream_bytes_pushed(out_of(&r)), 0);
	assert_int_equal(shoal_reassembler_bytes_pending(&r), 0);
	ins(&r, 2, "c", false);
	ins(&r, 2, "", false);
	ins(&r, 0, "", false);
	assert_int_equal(shoal_reassembler_bytes_pending(&r), 1);
	assert_int_equal(shoal_byte_stream_bytes_pushed(out_of(&r)), 0);
	shoal_reassembler_fini(&r);
}

static void test_rule_8_capacity_examples(void **state)
{
	(void)state;
	struct shoal_reassembler r;
	assert_int_equal(shoal_reassembler_init(&r, 2), 0);
	ins(&r, 0, "ab", false);
	assert_int_equal(shoal_byte_stream_bytes_pushed(out_of(&r)), 2);
	ins(&r, 2, "cd", false);
	assert_int_equal(shoal_byte_stream_bytes_pushed(out_of(&r)), 2);
	assert_int_equal(shoal_reassembler_bytes_pending(&r), 0);
	ins(&r, 3, "d", false); /* the unread "ab" shrinks the window to nothing */
	assert_int_equal(shoal_reassembler_bytes_pending(&r), 0);
	assert_reads(&r, "ab");
	ins(&r, 2, "cd", false);
	assert_reads(&r, "cd");
	shoal_reassembler_fini(&r);

	assert_int_equal(shoal_reassembler_init(&r, 1), 0);
	ins(&r, 0, "ab", false);
	assert_reads(&r, "a");
	ins(&r, 0, "abc", false);
	assert_reads(&r, "b");
	assert_int_equal(shoal_reassembler_bytes_pending(&r), 0);
	shoal_reassembler_fini(&r);

	assert_int_equal(shoal_reassembler_init(&r, 2), 0);
	ins(&r, 1, "b", false);
	assert_int_equal(shoal_reassembler_bytes_pending(&r), 1);
	ins(&r, 2, "bX", false);
	assert_int_equal(shoal_reassembler_bytes_pending(&r), 1);
	assert_int_equal(shoal_byte_stream_bytes_pushed(out_of(&r)), 0);
	ins(&r, 0, "a", false);
	assert_int_equal(shoal_reassembler_bytes_pending(&r), 0);
	assert_reads(&r, "ab");
	shoal_reassembler_fini(&r);
}

static void test_rule_9_cut_last_flag_forgotten(void **state)
{
	(void)state;
	struct shoal_reassembler r;
	assert_int_equal(shoal_reassembler_init(&r, 2), 0);
	ins(&r, 1, "bc", true);
	assert_int_equal(shoal_reassembler_bytes_pending(&r), 1);
	ins(&r, 0, "a", false);
	assert_int_equal(shoal_byte_stream_bytes_pushed(out_of(&r)), 2);
	assert_false(shoal_byte_stream_is_closed(out_of(&r)));
	assert_reads(&r, "ab");
	assert_false(shoal_byte_stream_is_finished(out_of(&r)));
	ins(&r, 1, "bc", true);
	assert_reads(&r, "c");
	assert_true(shoal_byte_stream_is_finished(out_of(&r)));
	shoal_reassembler_fini(&r);

	/* the forgotten flag is really gone: 'c' without the flag does not finish */
	assert_int_equal(shoal_reassembler_init(&r, 2), 0);
	ins(&r, 1, "bc", true);
	ins(&r, 0, "a", false);
	assert_reads(&r, "ab");
	ins(&r, 2, "c", false);
	assert_reads(&r, "c");
	assert_false(shoal_byte_stream_is_closed(out_of(&r)));
	shoal_reassembler_fini(&r);
}

static void test_rule_10_zero_bytes_are_ordinary(void **state)
{
	(void)state;
	struct shoal_reassembler r;
	const uint8_t a[3] = {0, 0, 'x'};
	const uint8_t b[3] = {'x', 0, 0};
	const uint8_t want[5] = {0, 0, 'x', 0, 0};
	uint8_t got[8];
	assert_int_equal(shoal_reassembler_init(&r, 16), 0);
	shoal_reassembler_insert(&r, 2, b, sizeof(b), true);
	assert_int_equal(shoal_reassembler_bytes_pending(&r), 3);
	shoal_reassembler_insert(&r, 0, a, sizeof(a), false);
	assert_int_equal(shoal_byte_stream_read(out_of(&r), got, sizeof(got)), 5);
	assert_memory_equal(got, want, 5);
	assert_true(shoal_byte_stream_is_finished(out_of(&r)));
	shoal_reassembler_fini(&r);
}

static void test_capacity_zero(void **state)
{
	(void)state;
	struct shoal_reassembler r;
	assert_int_equal(shoal_reassembler_init(&r, 0), 0);
	ins(&r, 0, "ab", false);
	assert_int_equal(shoal_reassembler_bytes_pending(&r), 0);
	assert_int_equal(shoal_byte_stream_bytes_pushed(out_of(&r)), 0);
	ins(&r, 0, "", true);
	assert_true(shoal_byte_stream_is_finished(out_of(&r)));
	shoal_reassembler_fini(&r);
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

enum { PROP_MAX_LEN = 400 };

/* The model: per-index "known" flags, the written count, the popped count. */
struct model {
	bool known[PROP_MAX_LEN];
	size_t cap, written, popped, end;
	bool has_end;
};

static void model_insert(struct model *m, size_t a, size_t b, bool last)
{
	size_t window_end = m->popped + m->cap;
	if (last && b <= window_end) {
		m->has_end = true;
		m->end = b;
	}
	for (size_t i = a; i < b; i++)
		if (i >= m->written && i < window_end)
			m->known[i] = true;
	while (m->written < PROP_MAX_LEN && m->known[m->written])
		m->written++;
}

static size_t model_pending(const struct model *m)
{
	size_t n = 0;
	for (size_t i = m->written; i < PROP_MAX_LEN; i++)
		n += m->known[i];
	return n;
}

static void test_property_random_inserts_match_model(void **state)
{
	(void)state;
	static uint8_t src[PROP_MAX_LEN];
	static uint8_t got[PROP_MAX_LEN];
	static struct model m;
	uint64_t seed = 0x2545f4914f6cdd1du;
	for (int trial = 0; trial < 1000; trial++) {
		size_t len = 1 + rng_next(&seed) % PROP_MAX_LEN;
		size_t cap = 1 + rng_next(&seed) % (trial % 3 == 0 ? 8 : 70);
		for (size_t i = 0; i < len; i++)
			src[i] = (uint8_t)(rng_next(&seed) % 4); /* many zeros */
		memset(&m, 0, sizeof(m));
		m.cap = cap;
		struct shoal_reassembler r;
		assert_int_equal(shoal_reassembler_init(&r, cap), 0);
		struct shoal_byte_stream *out = shoal_reassembler_output(&r);
		for (int step = 0; step < 4000 && !shoal_byte_stream_is_finished(out); step++) {
			if (rng_next(&seed) % 4 == 0) {
				size_t want = rng_next(&seed) % (cap + 2);
				size_t buffered = m.written - m.popped;
				size_t expect = want < buffered ? want : buffered;
				assert_int_equal(shoal_byte_stream_read(out, got, want), expect);
				if (expect > 0)
					assert_memory_equal(got, src + m.popped, expect);
				m.popped += expect;
			} else {
				/* mostly near the next index, sometimes anywhere */
				size_t a = rng_next(&seed) % 3
				               ? m.written + rng_next(&seed) % (cap + 4)
				               : rng_next(&seed) % len;
				if (a > m.written + 2 && rng_next(&seed) % 2)
					a -= 3; /* overlap already written bytes */
				if (a > len)
					a = len;
				size_t b = a + rng_next(&seed) % (cap + 4);
				if (b > len)
					b = len;
				bool last = b == len && rng_next(&seed) % 3 != 0;
				shoal_reassembler_insert(&r, a, src + a, b - a, last);
				model_insert(&m, a, b, last);
			}
			assert_int_equal(shoal_byte_stream_bytes_pushed(out), m.written);
			assert_int_equal(shoal_byte_stream_bytes_popped(out), m.popped);
			assert_int_equal(shoal_reassembler_bytes_pending(&r), model_pending(&m));
			assert_int_equal(shoal_byte_stream_is_closed(out),
			                 m.has_end && m.written >= m.end);
		}
		/* finish: read everything, then resend the rest in window-sized pieces */
		for (int guard = 0; guard < 2 * PROP_MAX_LEN + 2; guard++) {
			size_t n = shoal_byte_stream_read(out, got, sizeof(got));
			assert_int_equal(n, m.written - m.popped);
			if (n > 0)
				assert_memory_equal(got, src + m.popped, n);
			m.popped += n;
			if (shoal_byte_stream_is_finished(out))
				break;
			size_t a = m.written;
			size_t b = a + cap < len ? a + cap : len;
			shoal_reassembler_insert(&r, a, src + a, b - a, b == len);
			model_insert(&m, a, b, b == len);
			assert_int_equal(shoal_reassembler_bytes_pending(&r), model_pending(&m));
		}
		assert_true(shoal_byte_stream_is_finished(out));
		assert_int_equal(m.popped, len);
		shoal_reassembler_fini(&r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rule_1_contiguous_bytes_written_at_once),
	    cmocka_unit_test(test_rule_2_pending_counts_distinct_bytes),
	    cmocka_unit_test(test_rule_3_below_next_ignored_beyond_window_discarded),
	    cmocka_unit_test(test_rule_4_duplicates_and_overlaps),
	    cmocka_unit_test(test_rule_5_last_flag_kept_only_if_it_fits),
	    cmocka_unit_test(test_rule_6_close_when_all_written),
	    cmocka_unit_test(test_rule_7_empty_insert_changes_nothing),
	    cmocka_unit_test(test_rule_8_capacity_examples),
	    cmocka_unit_test(test_rule_9_cut_last_flag_forgotten),
	    cmocka_unit_test(test_rule_10_zero_bytes_are_ordinary),
	    cmocka_unit_test(test_capacity_zero),
	    cmocka_unit_test(test_property_random_inserts_match_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
