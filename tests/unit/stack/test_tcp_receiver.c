/* Tests for the TCP receiver (spec §5). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "shoal/tcp_receiver.h"

struct fixture {
	struct shoal_tcp_receiver r;
};

static int fixture_make(void **state, size_t capacity)
{
	static struct fixture f; /* one test at a time */
	struct shoal_tcp_config cfg;
	shoal_tcp_config_defaults(&cfg);
	cfg.recv_capacity = capacity;
	if (shoal_tcp_receiver_init(&f.r, &cfg) != 0)
		return -1;
	*state = &f;
	return 0;
}

static int setup_4000(void **state)
{
	return fixture_make(state, 4000);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	shoal_tcp_receiver_fini(&f->r);
	return 0;
}

static void seg(struct shoal_tcp_receiver *r, uint32_t seqno, bool syn, const char *data, bool fin,
                bool rst)
{
	struct shoal_tcp_sender_msg m = {
	    .seqno = seqno,
	    .syn = syn,
	    .payload = (const uint8_t *)data,
	    .payload_len = data ? strlen(data) : 0,
	    .fin = fin,
	    .rst = rst,
	};
	shoal_tcp_receiver_receive(r, &m);
}

static size_t pushed(struct shoal_tcp_receiver *r)
{
	return (size_t)shoal_byte_stream_bytes_pushed(shoal_tcp_receiver_inbound(r));
}

static void expect_read(struct shoal_tcp_receiver *r, const char *want)
{
	char buf[256] = {0};
	size_t n =
	    shoal_byte_stream_read(shoal_tcp_receiver_inbound(r), (uint8_t *)buf, sizeof(buf) - 1);
	assert_int_equal(n, strlen(want));
	assert_string_equal(buf, want);
}

static void test_rule_1_no_ackno_before_syn_and_segments_ignored(void **state)
{
	struct fixture *f = *state;
	struct shoal_tcp_receiver_msg m = shoal_tcp_receiver_send(&f->r);
	assert_false(m.has_ackno);
	seg(&f->r, 0, false, "hello", true, false);
	seg(&f->r, 1, false, "world", false, false);
	m = shoal_tcp_receiver_send(&f->r);
	assert_false(m.has_ackno);
	assert_int_equal(pushed(&f->r), 0);
	assert_false(shoal_byte_stream_is_closed(shoal_tcp_receiver_inbound(&f->r)));
	/* after the SYN, nothing of the earlier segments was remembered (FIN included) */
	seg(&f->r, 0, true, NULL, false, false);
	m = shoal_tcp_receiver_send(&f->r);
	assert_true(m.has_ackno);
	assert_int_equal(m.ackno, 1);
	assert_int_equal(shoal_reassembler_bytes_pending(&f->r.reasm), 0);
	seg(&f->r, 1, false, "abc", false, false);
	assert_int_equal(shoal_tcp_receiver_send(&f->r).ackno, 4);
	assert_false(shoal_byte_stream_is_closed(shoal_tcp_receiver_inbound(&f->r)));
}

static void test_rule_2_syn_fin_at_seqno_5_gives_ackno_7(void **state)
{
	struct fixture *f = *state;
	seg(&f->r, 5, true, NULL, true, false);
	struct shoal_tcp_receiver_msg m = shoal_tcp_receiver_send(&f->r);
	assert_true(m.has_ackno);
	assert_int_equal(m.ackno, 7);
	assert_true(shoal_byte_stream_is_finished(shoal_tcp_receiver_inbound(&f->r)));
}

static void test_rule_2_syn_with_13_bytes_gives_isn_plus_14(void **state)
{
	struct fixture *f = *state;
	uint32_t isn = UINT32_MAX - 5; /* ackno wraps */
	seg(&f->r, isn, true, "Hello, world!", false, false);
	struct shoal_tcp_receiver_msg m = shoal_tcp_receiver_send(&f->r);
	assert_int_equal(m.ackno, (uint32_t)(isn + 14));
	expect_read(&f->r, "Hello, world!");
}

static void test_rule_3_payload_at_stream_index_and_isn_data_ignored(void **state)
{
	struct fixture *f = *state;
	uint32_t isn = 1000;
	seg(&f->r, isn, true, NULL, false, false);
	/* a data segment at the ISN (no SYN) maps to index -1: ignored */
	seg(&f->r, isn, false, "x", false, false);
	assert_int_equal(pushed(&f->r), 0);
	assert_int_equal(shoal_reassembler_bytes_pending(&f->r.reasm), 0);
	/* out of order: "cd" at index 2 is held, then "ab" at index 0 completes */
	seg(&f->r, isn + 3, false, "cd", false, false);
	assert_int_equal(pushed(&f->r), 0);
	assert_int_equal(shoal_reassembler_bytes_pending(&f->r.reasm), 2);
	seg(&f->r, isn + 1, false, "ab", false, false);
	expect_read(&f->r, "abcd");
	assert_int_equal(shoal_tcp_receiver_send(&f->r).ackno, isn + 5);
}

static void test_rule_3_unwrap_uses_bytes_written_as_checkpoint(void **state)
{
	struct fixture *f = *state;
	uint32_t isn = UINT32_MAX - 1;
	seg(&f->r, isn, true, NULL, false, false);
	seg(&f->r, isn + 1, false, "abc", false, false); /* seqno wraps through 0 */
	expect_read(&f->r, "abc");
	seg(&f->r, isn + 4, false, "def", false, false);
	expect_read(&f->r, "def");
	assert_int_equal(shoal_tcp_receiver_send(&f->r).ackno, (uint32_t)(isn + 7));
}

static void test_rule_4_ackno_counts_fin_only_when_assembled(void **state)
{
	struct fixture *f = *state;
	uint32_t isn = 77;
	seg(&f->r, isn, true, NULL, false, false);
	seg(&f->r, isn + 4, false, "d", true, false); /* FIN early: bytes 0..2 missing */
	assert_int_equal(shoal_tcp_receiver_send(&f->r).ackno, isn + 1);
	seg(&f->r, isn + 1, false, "ab", false, false);
	assert_int_equal(shoal_tcp_receiver_send(&f->r).ackno, isn + 3);
	assert_false(shoal_byte_stream_is_closed(shoal_tcp_receiver_inbound(&f->r)));
	seg(&f->r, isn + 3, false, "c", false, false);
	assert_int_equal(shoal_tcp_receiver_send(&f->r).ackno, isn + 1 + 4 + 1);
	assert_true(shoal_byte_stream_is_closed(shoal_tcp_receiver_inbound(&f->r)));
}

static void test_rule_5_window_is_capacity_minus_unread(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(shoal_tcp_receiver_send(&f->r).window_size, 4000);
	seg(&f->r, 0, true, "abcd", false, false);
	assert_int_equal(shoal_tcp_receiver_send(&f->r).window_size, 3996);
	/* pending bytes do not shrink the window */
	seg(&f->r, 10, false, "zzzz", false, false);
	assert_int_equal(shoal_reassembler_bytes_pending(&f->r.reasm), 4);
	assert_int_equal(shoal_tcp_receiver_send(&f->r).window_size, 3996);
	expect_read(&f->r, "abcd");
	assert_int_equal(shoal_tcp_receiver_send(&f->r).window_size, 4000);
}

static void test_rule_5_window_capped_at_65535(void **state)
{
	(void)state;
	struct shoal_tcp_config cfg;
	shoal_tcp_config_defaults(&cfg);
	cfg.recv_capacity = 10000000;
	struct shoal_tcp_receiver r;
	assert_int_equal(shoal_tcp_receiver_init(&r, &cfg), 0);
	assert_int_equal(shoal_tcp_receiver_send(&r).window_size, 65535);
	shoal_tcp_receiver_fini(&r);
}

static void test_rule_5_window_zero_capacity(void **state)
{
	(void)state;
	struct shoal_tcp_config cfg;
	shoal_tcp_config_defaults(&cfg);
	cfg.recv_capacity = 0;
	struct shoal_tcp_receiver r;
	assert_int_equal(shoal_tcp_receiver_init(&r, &cfg), 0);
	assert_int_equal(shoal_tcp_receiver_send(&r).window_size, 0);
	shoal_tcp_receiver_fini(&r);
}

static void test_rule_6_duplicate_syn_keeps_isn(void **state)
{
	struct fixture *f = *state;
	seg(&f->r, 100, true, "ab", false, false);
	seg(&f->r, 500, true, "zz", false, false); /* a later SYN elsewhere */
	assert_int_equal(shoal_tcp_receiver_send(&f->r).ackno, 103);
	seg(&f->r, 100, true, "ab", false, false); /* exact duplicate */
	seg(&f->r, 103, false, "c", false, false);
	assert_int_equal(shoal_tcp_receiver_send(&f->r).ackno, 104);
	expect_read(&f->r, "abc");
}

static void test_rule_7_rst_sets_error_even_before_syn(void **state)
{
	struct fixture *f = *state;
	assert_false(shoal_tcp_receiver_send(&f->r).rst);
	seg(&f->r, 12345, false, NULL, false, true);
	assert_true(shoal_byte_stream_has_error(shoal_tcp_receiver_inbound(&f->r)));
	assert_true(shoal_tcp_receiver_send(&f->r).rst);
}

static void test_rule_7_send_carries_rst_on_stream_error(void **state)
{
	struct fixture *f = *state;
	seg(&f->r, 0, true, NULL, false, false);
	assert_false(shoal_tcp_receiver_send(&f->r).rst);
	shoal_byte_stream_set_error(shoal_tcp_receiver_inbound(&f->r));
	assert_true(shoal_tcp_receiver_send(&f->r).rst);
}

static void test_rule_8_overflow_keeps_bytes_inside_window(void **state)
{
	(void)state;
	struct shoal_tcp_config cfg;
	shoal_tcp_config_defaults(&cfg);
	cfg.recv_capacity = 4;
	struct shoal_tcp_receiver r;
	assert_int_equal(shoal_tcp_receiver_init(&r, &cfg), 0);
	seg(&r, 0, true, "abcdef", false, false); /* right side cut at the window end */
	assert_int_equal(pushed(&r), 4);
	assert_int_equal(shoal_tcp_receiver_send(&r).window_size, 0);
	expect_read(&r, "abcd");
	seg(&r, 3, false, "cdefgh", false, false); /* left side already written */
	expect_read(&r, "efgh");
	assert_int_equal(shoal_tcp_receiver_send(&r).ackno, 9);
	shoal_tcp_receiver_fini(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_rule_1_no_ackno_before_syn_and_segments_ignored,
	                                    setup_4000, teardown),
	    cmocka_unit_test_setup_teardown(test_rule_2_syn_fin_at_seqno_5_gives_ackno_7,
	                                    setup_4000, teardown),
	    cmocka_unit_test_setup_teardown(test_rule_2_syn_with_13_bytes_gives_isn_plus_14,
	                                    setup_4000, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_rule_3_payload_at_stream_index_and_isn_data_ignored, setup_4000, teardown),
	    cmocka_unit_test_setup_teardown(test_rule_3_unwrap_uses_bytes_written_as_checkpoint,
	                                    setup_4000, teardown),
	    cmocka_unit_test_setup_teardown(test_rule_4_ackno_counts_fin_only_when_assembled,
	                                    setup_4000, teardown),
	    cmocka_unit_test_setup_teardown(test_rule_5_window_is_capacity_minus_unread, setup_4000,
	                                    teardown),
	    cmocka_unit_test(test_rule_5_window_capped_at_65535),
	    cmocka_unit_test(test_rule_5_window_zero_capacity),
	    cmocka_unit_test_setup_teardown(test_rule_6_duplicate_syn_keeps_isn, setup_4000,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_rule_7_rst_sets_error_even_before_syn, setup_4000,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_rule_7_send_carries_rst_on_stream_error,
	                                    setup_4000, teardown),
	    cmocka_unit_test(test_rule_8_overflow_keeps_bytes_inside_window),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
