/* Tests for the TCP sender (spec §6). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shoal/tcp_sender.h"

enum { CAPTURE_MAX = 128, PAYLOAD_MAX = 1000, ISN = 0xfffffff0u, RTO = 100 };

struct sent {
	struct shoal_tcp_sender_msg msg;
	uint8_t data[PAYLOAD_MAX];
};

struct fixture {
	struct shoal_tcp_sender s;
	struct sent out[CAPTURE_MAX];
	size_t n_out;  /* captured */
	size_t n_seen; /* consumed by expect_* */
};

static void capture(void *ctx, const struct shoal_tcp_sender_msg *msg)
{
	struct fixture *f = ctx;
	assert_true(f->n_out < CAPTURE_MAX);
	assert_true(msg->payload_len <= PAYLOAD_MAX);
	struct sent *s = &f->out[f->n_out++];
	s->msg = *msg;
	if (msg->payload_len)
		memcpy(s->data, msg->payload, msg->payload_len);
	s->msg.payload = s->data;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct shoal_tcp_config cfg;
	shoal_tcp_config_defaults(&cfg);
	cfg.isn = ISN;
	cfg.rt_timeout_ms = RTO;
	if (!f || shoal_tcp_sender_init(&f->s, &cfg) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	shoal_tcp_sender_fini(&f->s);
	free(f);
	return 0;
}

static void push(struct fixture *f, const char *data)
{
	if (data)
		shoal_byte_stream_push(&f->s.outbound, (const uint8_t *)data, strlen(data));
	shoal_tcp_sender_push(&f->s, capture, f);
}

static void close_and_push(struct fixture *f)
{
	shoal_byte_stream_close(&f->s.outbound);
	shoal_tcp_sender_push(&f->s, capture, f);
}

static void ack(struct fixture *f, uint32_t rel_ackno, uint16_t window)
{
	struct shoal_tcp_receiver_msg m = {
	    .has_ackno = true, .ackno = ISN + rel_ackno, .window_size = window};
	shoal_tcp_sender_receive(&f->s, &m);
}

static void ack_push(struct fixture *f, uint32_t rel_ackno, uint16_t window)
{
	ack(f, rel_ackno, window);
	shoal_tcp_sender_push(&f->s, capture, f);
}

static void tick(struct fixture *f, uint64_t ms)
{
	shoal_tcp_sender_tick(&f->s, ms, capture, f);
}

/* Consumes the next captured segment and checks it. data NULL = no payload. */
static const struct sent *expect_seg(struct fixture *f, uint32_t rel_seqno, bool syn,
                                     const char *data, bool fin)
{
	assert_true(f->n_seen < f->n_out);
	const struct sent *s = &f->out[f->n_seen++];
	assert_int_equal(s->msg.seqno, (uint32_t)(ISN + rel_seqno));
	assert_int_equal(s->msg.syn, syn);
	assert_int_equal(s->msg.fin, fin);
	size_t len = data ? strlen(data) : 0;
	assert_int_equal(s->msg.payload_len, len);
	if (len)
		assert_memory_equal(s->data, data, len);
	return s;
}

static void expect_none(struct fixture *f)
{
	assert_int_equal(f->n_seen, f->n_out);
}

static uint64_t in_flight(struct fixture *f)
{
	return shoal_tcp_sender_sequence_numbers_in_flight(&f->s);
}

/* SYN sent and acked with a window; afterwards next relative seqno is 1. */
static void open_with_window(struct fixture *f, uint16_t window)
{
	push(f, NULL);
	expect_seg(f, 0, true, NULL, false);
	ack(f, 1, window);
	assert_int_equal(in_flight(f), 0);
}

static void test_rule_1_first_push_sends_syn_alone(void **state)
{
	struct fixture *f = *state;
	shoal_byte_stream_push(&f->s.outbound, (const uint8_t *)"hello", 5);
	shoal_tcp_sender_push(&f->s, capture, f);
	expect_seg(f, 0, true, NULL, false);
	expect_none(f);
	assert_int_equal(in_flight(f), 1);
	push(f, NULL); /* window (assumed 1) is full */
	expect_none(f);
}

static void test_rule_1_window_without_ackno_gives_syn_fin(void **state)
{
	struct fixture *f = *state;
	struct shoal_tcp_receiver_msg m = {.has_ackno = false, .window_size = 1024};
	shoal_tcp_sender_receive(&f->s, &m);
	close_and_push(f);
	expect_seg(f, 0, true, NULL, true);
	expect_none(f);
	assert_int_equal(in_flight(f), 2);
}

static void test_rule_2_push_fills_window_in_max_payload_segments(void **state)
{
	struct fixture *f = *state;
	open_with_window(f, 2500);
	char big[3001];
	for (int i = 0; i < 3000; i++)
		big[i] = (char)('a' + i % 26);
	big[3000] = 0;
	push(f, big);
	char part[1001];
	for (int k = 0; k < 2; k++) {
		memcpy(part, big + k * 1000, 1000);
		part[1000] = 0;
		expect_seg(f, 1 + 1000 * (uint32_t)k, false, part, false);
	}
	memcpy(part, big + 2000, 500);
	part[500] = 0;
	expect_seg(f, 2001, false, part, false);
	expect_none(f);
	assert_int_equal(in_flight(f), 2500);
	/* the window moves as data is acked */
	ack_push(f, 1001, 2500);
	memcpy(part, big + 2500, 500);
	part[500] = 0;
	expect_seg(f, 2501, false, part, false);
	expect_none(f);
}

static void test_rule_2_window_counts_syn_and_fin(void **state)
{
	struct fixture *f = *state;
	struct shoal_tcp_receiver_msg m = {.window_size = 4};
	shoal_tcp_sender_receive(&f->s, &m);
	shoal_byte_stream_push(&f->s.outbound, (const uint8_t *)"abcd", 4);
	shoal_byte_stream_close(&f->s.outbound);
	shoal_tcp_sender_push(&f->s, capture, f);
	expect_seg(f, 0, true, "abc", false); /* SYN takes one of the 4 */
	expect_none(f);
	ack_push(f, 4, 2);
	expect_seg(f, 4, false, "d", true); /* FIN fits in the 2 */
	assert_int_equal(in_flight(f), 2);
}

static void test_rule_3_fin_piggybacks_on_last_segment(void **state)
{
	struct fixture *f = *state;
	open_with_window(f, 1000);
	shoal_byte_stream_push(&f->s.outbound, (const uint8_t *)"abc", 3);
	close_and_push(f);
	expect_seg(f, 1, false, "abc", true);
	expect_none(f);
	assert_int_equal(in_flight(f), 4);
	push(f, NULL); /* FIN never twice */
	ack_push(f, 5, 1000);
	expect_none(f);
	assert_int_equal(in_flight(f), 0);
}

static void test_rule_3_fin_later_when_room_appears(void **state)
{
	struct fixture *f = *state;
	open_with_window(f, 3);
	push(f, "abc");
	expect_seg(f, 1, false, "abc", false);
	close_and_push(f);
	expect_none(f); /* window full: FIN would exceed it */
	ack_push(f, 2, 2);
	expect_none(f);
	ack_push(f, 3, 1);
	expect_none(f);
	ack_push(f, 4, 1);
	expect_seg(f, 4, false, NULL, true);
	ack_push(f, 4, 1000);
	expect_none(f); /* not sent again as new data */
}

static void test_rule_3_fin_sent_later_when_stream_closes(void **state)
{
	struct fixture *f = *state;
	open_with_window(f, 1000);
	push(f, "abc");
	expect_seg(f, 1, false, "abc", false);
	close_and_push(f);
	expect_seg(f, 4, false, NULL, true);
	expect_none(f);
}

static void test_rule_4_zero_window_probes_one_byte(void **state)
{
	struct fixture *f = *state;
	open_with_window(f, 0);
	push(f, "abc");
	expect_seg(f, 1, false, "a", false);
	expect_none(f);
	ack_push(f, 2, 0);
	expect_seg(f, 2, false, "b", false);
	ack_push(f, 3, 0);
	expect_seg(f, 3, false, "c", false);
	close_and_push(f);
	expect_none(f); /* the probe is still out */
	ack_push(f, 4, 0);
	expect_seg(f, 4, false, NULL, true); /* FIN can probe too */
}

static void test_rule_5_partially_acked_segment_counts_fully(void **state)
{
	struct fixture *f = *state;
	open_with_window(f, 1000);
	push(f, "abcdefghij");
	expect_seg(f, 1, false, "abcdefghij", false);
	assert_int_equal(in_flight(f), 10);
	ack(f, 6, 1000);
	assert_int_equal(in_flight(f), 10);
	/* the segment is retransmitted whole */
	tick(f, RTO);
	expect_seg(f, 1, false, "abcdefghij", false);
	ack(f, 11, 1000);
	assert_int_equal(in_flight(f), 0);
}

static void test_rule_6_impossible_ack_ignored_window_unchanged(void **state)
{
	struct fixture *f = *state;
	open_with_window(f, 3);
	push(f, "abcdef");
	expect_seg(f, 1, false, "abc", false);
	ack_push(f, 5, 1000); /* beyond next seqno (4) */
	expect_none(f);       /* window still 3, nothing acked */
	assert_int_equal(in_flight(f), 3);
	ack_push(f, 4, 3);
	expect_seg(f, 4, false, "def", false);
}

static void test_rule_6_ack_of_nothing_new_updates_window(void **state)
{
	struct fixture *f = *state;
	open_with_window(f, 1);
	push(f, "abcdef");
	expect_seg(f, 1, false, "a", false);
	ack_push(f, 1, 4); /* acknowledges nothing new, window grows */
	expect_seg(f, 2, false, "bcd", false);
	expect_none(f);
	assert_int_equal(in_flight(f), 4);
}

static void test_rule_7_timer_retransmits_earliest_segment(void **state)
{
	struct fixture *f = *state;
	open_with_window(f, 1000);
	push(f, "abc");
	expect_seg(f, 1, false, "abc", false);
	tick(f, RTO - 5);
	push(f, "def");
	expect_seg(f, 4, false, "def", false); /* does not restart the timer */
	tick(f, 4);
	expect_none(f);
	tick(f, 1);
	expect_seg(f, 1, false, "abc", false);
	expect_none(f);
	/* restarted from 0 with a doubled RTO */
	tick(f, 2 * RTO - 1);
	expect_none(f);
	tick(f, 1);
	expect_seg(f, 1, false, "abc", false);
	expect_none(f);
}

static void test_rule_7_expiry_when_not_hit_exactly(void **state)
{
	struct fixture *f = *state;
	push(f, NULL);
	expect_seg(f, 0, true, NULL, false);
	tick(f, RTO + 500);
	expect_seg(f, 0, true, NULL, false);
	expect_none(f);
	assert_int_equal(shoal_tcp_sender_consecutive_retransmissions(&f->s), 1);
}

static void test_rule_7_no_timer_when_nothing_outstanding(void **state)
{
	struct fixture *f = *state;
	open_with_window(f, 1000);
	tick(f, 100 * RTO);
	expect_none(f);
	push(f, "x");
	expect_seg(f, 1, false, "x", false);
	tick(f, RTO - 1); /* the earlier idle time did not count */
	expect_none(f);
	tick(f, 1);
	expect_seg(f, 1, false, "x", false);
}

static void test_rule_8_ack_of_new_data_resets_rto_and_timer(void **state)
{
	struct fixture *f = *state;
	open_with_window(f, 1000);
	push(f, "abc");
	expect_seg(f, 1, false, "abc", false);
	push(f, "def");
	expect_seg(f, 4, false, "def", false);
	tick(f, RTO);
	expect_seg(f, 1, false, "abc", false);
	tick(f, 2 * RTO);
	expect_seg(f, 1, false, "abc", false);
	assert_int_equal(shoal_tcp_sender_consecutive_retransmissions(&f->s), 2);
	tick(f, RTO); /* a quarter of the current 4*RTO */
	ack(f, 4, 1000);
	assert_int_equal(shoal_tcp_sender_consecutive_retransmissions(&f->s), 0);
	tick(f, RTO - 1); /* back to the initial RTO, timer restarted */
	expect_none(f);
	tick(f, 1);
	expect_seg(f, 4, false, "def", false);
	ack(f, 7, 1000);
	tick(f, 50 * RTO); /* stopped: nothing outstanding */
	expect_none(f);
}

static void test_rule_8_old_ack_does_not_restart_timer(void **state)
{
	struct fixture *f = *state;
	open_with_window(f, 1000);
	push(f, "abc");
	expect_seg(f, 1, false, "abc", false);
	tick(f, RTO - 5);
	ack(f, 1, 1000);
	tick(f, 5);
	expect_seg(f, 1, false, "abc", false);
}

static void test_rule_9_backoff_only_with_nonzero_window(void **state)
{
	struct fixture *f = *state;
	open_with_window(f, 1);
	push(f, "abc");
	expect_seg(f, 1, false, "a", false);
	tick(f, RTO);
	expect_seg(f, 1, false, "a", false);
	tick(f, 2 * RTO - 1); /* backed off */
	expect_none(f);
	tick(f, 1);
	expect_seg(f, 1, false, "a", false);
	assert_int_equal(shoal_tcp_sender_consecutive_retransmissions(&f->s), 2);
}

static void test_rule_9_zero_window_probe_without_backoff(void **state)
{
	struct fixture *f = *state;
	open_with_window(f, 0);
	push(f, "abc");
	expect_seg(f, 1, false, "a", false);
	for (int i = 0; i < 5; i++) {
		tick(f, RTO - 1);
		expect_none(f);
		tick(f, 1);
		expect_seg(f, 1, false, "a", false);
	}
	assert_int_equal(shoal_tcp_sender_consecutive_retransmissions(&f->s), 0);
}

static void test_rule_10_more_than_8_retransmissions(void **state)
{
	struct fixture *f = *state;
	push(f, NULL);
	expect_seg(f, 0, true, NULL, false);
	uint64_t rto = RTO;
	for (uint64_t i = 1; i <= 9; i++) {
		tick(f, rto - 1);
		expect_none(f);
		tick(f, 1);
		expect_seg(f, 0, true, NULL, false);
		assert_int_equal(shoal_tcp_sender_consecutive_retransmissions(&f->s), i);
		rto *= 2;
	}
	assert_true(shoal_tcp_sender_consecutive_retransmissions(&f->s) > 8);
}

static void test_rule_11_make_empty_message(void **state)
{
	struct fixture *f = *state;
	struct shoal_tcp_sender_msg m = shoal_tcp_sender_make_empty_message(&f->s);
	assert_int_equal(m.seqno, ISN);
	open_with_window(f, 1000);
	push(f, "abc");
	expect_seg(f, 1, false, "abc", false);
	m = shoal_tcp_sender_make_empty_message(&f->s);
	assert_int_equal(m.seqno, (uint32_t)(ISN + 4));
	assert_false(m.syn || m.fin || m.rst);
	assert_int_equal(m.payload_len, 0);
	assert_int_equal(in_flight(f), 3); /* it occupies nothing */
}

static void test_rule_11_rst_on_every_segment_after_error(void **state)
{
	struct fixture *f = *state;
	open_with_window(f, 100);
	shoal_byte_stream_set_error(&f->s.outbound);
	assert_true(shoal_tcp_sender_make_empty_message(&f->s).rst);
	push(f, "hello");
	const struct sent *s = expect_seg(f, 1, false, "hello", false);
	assert_true(s->msg.rst);
	tick(f, RTO);
	s = expect_seg(f, 1, false, "hello", false);
	assert_true(s->msg.rst);
}

static void test_rule_11_receiving_rst_sets_error(void **state)
{
	struct fixture *f = *state;
	struct shoal_tcp_receiver_msg m = {.rst = true};
	shoal_tcp_sender_receive(&f->s, &m);
	assert_true(shoal_byte_stream_has_error(&f->s.outbound));
}

static void test_rule_12_repeated_and_old_acks_harmless(void **state)
{
	struct fixture *f = *state;
	open_with_window(f, 1000);
	push(f, "abcdefg");
	expect_seg(f, 1, false, "abcdefg", false);
	for (int i = 0; i < 3; i++)
		ack_push(f, 8, 1000);
	for (int i = 0; i < 3; i++)
		ack_push(f, 1, 1000);
	expect_none(f);
	shoal_byte_stream_push(&f->s.outbound, (const uint8_t *)"ijkl", 4);
	close_and_push(f);
	expect_seg(f, 8, false, "ijkl", true);
	for (int i = 0; i < 3; i++) {
		ack_push(f, 1, 1000);
		ack_push(f, 8, 1000);
	}
	expect_none(f);
	assert_int_equal(in_flight(f), 5);
	tick(f, 5 * RTO);
	expect_seg(f, 8, false, "ijkl", true);
	ack(f, 13, 1000);
	ack(f, 1, 1000);
	tick(f, 5 * RTO);
	expect_none(f);
	assert_int_equal(in_flight(f), 0);
}

/* Property: random pushes/acks/ticks against a model of the byte stream sent. */
static void test_property_retransmissions_carry_original_bytes(void **state)
{
	struct fixture *f = *state;
	uint64_t seed = 12345;
	uint8_t data[20000];
	for (size_t i = 0; i < sizeof(data); i++) {
		seed = seed * 6364136223846793005u + 1442695040888963407u;
		data[i] = (uint8_t)(seed >> 56);
	}
	open_with_window(f, 3000);
	size_t pushed_n = 0;
	uint64_t acked = 1;
	int rounds = 0;
	while (acked < sizeof(data) + 1 && rounds++ < 10000) {
		seed = seed * 6364136223846793005u + 1442695040888963407u;
		unsigned r = (unsigned)(seed >> 33);
		if (pushed_n < sizeof(data)) {
			size_t n = r % 1500 + 1;
			if (n > sizeof(data) - pushed_n)
				n = sizeof(data) - pushed_n;
			pushed_n += shoal_byte_stream_push(&f->s.outbound, data + pushed_n, n);
		}
		shoal_tcp_sender_push(&f->s, capture, f);
		if (r % 3 == 0)
			tick(f, RTO * 16);
		/* every captured segment carries the bytes at its position */
		for (; f->n_seen < f->n_out; f->n_seen++) {
			const struct sent *s = &f->out[f->n_seen];
			uint32_t off = s->msg.seqno - (ISN + 1);
			assert_true(off + s->msg.payload_len <= pushed_n);
			assert_memory_equal(s->data, data + off, s->msg.payload_len);
			assert_false(s->msg.syn);
		}
		f->n_seen = f->n_out = 0;
		/* ack a random amount of what was sent */
		uint64_t sent_to = f->s.next_abs;
		if (sent_to > acked && r % 2 == 0)
			acked += (r >> 4) % (sent_to - acked + 1);
		ack(f, (uint32_t)acked, 3000);
	}
	assert_int_equal(acked, sizeof(data) + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_rule_1_first_push_sends_syn_alone, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_rule_1_window_without_ackno_gives_syn_fin, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_rule_2_push_fills_window_in_max_payload_segments,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rule_2_window_counts_syn_and_fin, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rule_3_fin_piggybacks_on_last_segment, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_rule_3_fin_later_when_room_appears, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_rule_3_fin_sent_later_when_stream_closes, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_rule_4_zero_window_probes_one_byte, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_rule_5_partially_acked_segment_counts_fully, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_rule_6_impossible_ack_ignored_window_unchanged,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rule_6_ack_of_nothing_new_updates_window, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_rule_7_timer_retransmits_earliest_segment, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_rule_7_expiry_when_not_hit_exactly, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_rule_7_no_timer_when_nothing_outstanding, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_rule_8_ack_of_new_data_resets_rto_and_timer, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_rule_8_old_ack_does_not_restart_timer, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_rule_9_backoff_only_with_nonzero_window, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_rule_9_zero_window_probe_without_backoff, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_rule_10_more_than_8_retransmissions, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_rule_11_make_empty_message, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rule_11_rst_on_every_segment_after_error, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_rule_11_receiving_rst_sets_error, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rule_12_repeated_and_old_acks_harmless, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_property_retransmissions_carry_original_bytes,
	                                    setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
