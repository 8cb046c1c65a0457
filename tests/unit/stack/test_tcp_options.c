/* Tests for the TCP options of the config, one per RFC rule (named after its section). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shoal/tcp_peer.h"
#include "shoal/wrap32.h"

enum { CAPTURE_MAX = 256, PAYLOAD_MAX = 1000, ISN = 1000, RISN = 5000 };

struct sent {
	struct shoal_tcp_message msg;
	uint8_t data[PAYLOAD_MAX];
};

struct fixture {
	struct shoal_tcp_peer p;
	struct sent out[CAPTURE_MAX];
	size_t n;
};

static void capture_fn(void *ctx, const struct shoal_tcp_message *msg)
{
	struct fixture *f = ctx;
	assert_true(f->n < CAPTURE_MAX);
	struct sent *s = &f->out[f->n++];
	s->msg = *msg;
	if (msg->sender.payload_len)
		memcpy(s->data, msg->sender.payload, msg->sender.payload_len);
	s->msg.sender.payload = s->data;
}

static struct fixture *make(uint32_t options, void (*tweak)(struct shoal_tcp_config *))
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	struct shoal_tcp_config cfg;
	shoal_tcp_config_defaults(&cfg);
	cfg.isn = ISN;
	cfg.options = options;
	cfg.send_capacity = 200000;
	cfg.recv_capacity = 200000;
	if (tweak)
		tweak(&cfg);
	assert_int_equal(shoal_tcp_peer_init(&f->p, &cfg, capture_fn, f), 0);
	return f;
}

static void destroy(struct fixture *f)
{
	shoal_tcp_peer_fini(&f->p);
	free(f);
}

static const struct sent *last(struct fixture *f)
{
	assert_true(f->n > 0);
	return &f->out[f->n - 1];
}

/* A segment from the remote end (remote ISN RISN), acking our ack_rel. */
static void remote(struct fixture *f, uint32_t seq_rel, bool syn, size_t len, bool has_ack,
                   uint32_t ack_rel, uint16_t window, const struct shoal_tcp_options *opts)
{
	static uint8_t zeros[4000];
	struct shoal_tcp_message m = {
	    .sender = {.seqno = RISN + seq_rel, .syn = syn, .payload = zeros, .payload_len = len},
	    .receiver = {.has_ackno = has_ack, .ackno = ISN + ack_rel, .window_size = window},
	};
	if (opts)
		m.opts = *opts;
	shoal_tcp_peer_receive(&f->p, &m);
}

static const struct shoal_tcp_options all_syn_opts = {
    .has_mss = true,
    .mss = 500,
    .has_wscale = true,
    .wscale = 2,
    .sack_permitted = true,
    .has_timestamps = true,
    .ts_val = 100,
};

/* Active open with every option; the remote answers with all_syn_opts. */
static void establish(struct fixture *f, const struct shoal_tcp_options *synack)
{
	shoal_tcp_peer_connect(&f->p);
	assert_true(last(f)->msg.sender.syn);
	struct shoal_tcp_options o = synack ? *synack : (struct shoal_tcp_options){0};
	o.ts_ecr = last(f)->msg.opts.ts_val;
	remote(f, 0, true, 0, true, 1, 10000, &o);
	assert_int_equal(shoal_tcp_peer_state(&f->p), SHOAL_TCP_STATE_ESTABLISHED);
}

static struct shoal_tcp_options ts(uint32_t val, uint32_t ecr)
{
	return (struct shoal_tcp_options){.has_timestamps = true, .ts_val = val, .ts_ecr = ecr};
}

/* ---- SYN options ---- */

static void test_rfc9293_3_7_1_mss_offered_and_peer_mss_limits_payload(void **state)
{
	(void)state;
	struct fixture *f = make(SHOAL_TCP_CFG_MSS, NULL);
	shoal_tcp_peer_connect(&f->p);
	assert_true(last(f)->msg.opts.has_mss);
	assert_int_equal(last(f)->msg.opts.mss, 1000);
	struct shoal_tcp_options o = {.has_mss = true, .mss = 300};
	remote(f, 0, true, 0, true, 1, 10000, &o);
	shoal_tcp_peer_write(&f->p, (const uint8_t *)"x", 1);
	uint8_t buf[1000] = {0};
	shoal_tcp_peer_write(&f->p, buf, sizeof(buf));
	for (size_t i = 2; i < f->n; i++)
		assert_true(f->out[i].msg.sender.payload_len <= 300);
	destroy(f);
}

static void test_rfc9293_3_7_1_no_mss_option_means_536(void **state)
{
	(void)state;
	struct fixture *f = make(SHOAL_TCP_CFG_MSS, NULL);
	establish(f, NULL);
	uint8_t buf[2000] = {0};
	shoal_tcp_peer_write(&f->p, buf, sizeof(buf));
	assert_int_equal(f->out[2].msg.sender.payload_len, 536);
	destroy(f);
}

static void test_rfc7323_1_3_synack_echoes_only_offered_options(void **state)
{
	(void)state;
	struct fixture *f = make(SHOAL_TCP_CFG_ALL, NULL);
	shoal_tcp_peer_listen(&f->p);
	assert_int_equal(shoal_tcp_peer_state(&f->p), SHOAL_TCP_STATE_LISTEN);
	struct shoal_tcp_options o = {.has_wscale = true, .wscale = 3}; /* no SACK, no TS */
	remote(f, 0, true, 0, false, 0, 10000, &o);
	const struct sent *s = last(f);
	assert_true(s->msg.sender.syn && s->msg.receiver.has_ackno);
	assert_true(s->msg.opts.has_wscale);
	assert_int_equal(s->msg.opts.wscale, 7);
	assert_false(s->msg.opts.sack_permitted);
	assert_false(s->msg.opts.has_timestamps);
	assert_int_equal(shoal_tcp_peer_state(&f->p), SHOAL_TCP_STATE_SYN_RECEIVED);
	destroy(f);
}

static void test_rfc7323_2_2_syn_window_is_never_scaled(void **state)
{
	(void)state;
	struct fixture *f = make(SHOAL_TCP_CFG_WSCALE, NULL);
	shoal_tcp_peer_listen(&f->p);
	struct shoal_tcp_options o = {.has_wscale = true, .wscale = 3};
	remote(f, 0, true, 0, false, 0, 10000, &o);
	assert_true(last(f)->msg.sender.syn);
	assert_int_equal(last(f)->msg.receiver.window_size, 65535); /* capped, not >> 7 */
	destroy(f);
}

static void test_rfc7323_2_3_windows_scaled_after_the_syn(void **state)
{
	(void)state;
	struct fixture *f = make(SHOAL_TCP_CFG_WSCALE, NULL);
	struct shoal_tcp_options o = {.has_wscale = true, .wscale = 2};
	establish(f, &o);
	/* our advertised window: 200000 >> 7 */
	assert_int_equal(last(f)->msg.receiver.window_size, 200000 >> 7);
	/* the remote's window field is shifted by its scale (2) */
	remote(f, 1, false, 0, true, 1, 30000, NULL);
	assert_int_equal(shoal_tcp_sender_window(&f->p.sender), 30000u << 2);
	struct shoal_tcp_peer_info info;
	shoal_tcp_peer_get_info(&f->p, &info);
	assert_int_equal(info.snd_wscale, 2);
	assert_int_equal(info.rcv_wscale, 7);
	destroy(f);
}

static void test_rfc7323_2_3_no_scaling_unless_both_offer(void **state)
{
	(void)state;
	struct fixture *f = make(SHOAL_TCP_CFG_WSCALE, NULL);
	establish(f, NULL);
	remote(f, 1, false, 0, true, 1, 30000, NULL);
	assert_int_equal(shoal_tcp_sender_window(&f->p.sender), 30000);
	assert_int_equal(last(f)->msg.receiver.window_size, 65535);
	destroy(f);
}

/* ---- timestamps ---- */

static void test_rfc7323_4_3_ts_recent_is_echoed(void **state)
{
	(void)state;
	struct fixture *f = make(SHOAL_TCP_CFG_TIMESTAMPS, NULL);
	establish(f, &all_syn_opts);
	struct shoal_tcp_options o = ts(250, 0);
	remote(f, 1, false, 10, true, 1, 10000, &o);
	assert_true(last(f)->msg.opts.has_timestamps);
	assert_int_equal(last(f)->msg.opts.ts_ecr, 250);
	destroy(f);
}

static void test_rfc7323_5_3_paws_drops_an_old_timestamp(void **state)
{
	(void)state;
	struct fixture *f = make(SHOAL_TCP_CFG_TIMESTAMPS, NULL);
	establish(f, &all_syn_opts);
	struct shoal_tcp_options o = ts(250, 0);
	remote(f, 1, false, 10, true, 1, 10000, &o);
	size_t before = f->n;
	o = ts(249, 0); /* older than TS.Recent */
	remote(f, 11, false, 10, true, 1, 10000, &o);
	assert_int_equal(f->n, before + 1); /* acked ... */
	assert_int_equal(last(f)->msg.receiver.ackno, RISN + 11);
	assert_int_equal(shoal_byte_stream_bytes_pushed(shoal_tcp_peer_inbound(&f->p)),
	                 10); /* ... not taken */
	struct shoal_tcp_peer_info info;
	shoal_tcp_peer_get_info(&f->p, &info);
	assert_int_equal(info.drops[SHOAL_TCP_DROP_PAWS], 1);
	assert_string_equal(shoal_tcp_drop_name(SHOAL_TCP_DROP_PAWS), "paws");
	destroy(f);
}

/* ---- SACK ---- */

static void test_rfc2018_4_receiver_reports_blocks_most_recent_first(void **state)
{
	(void)state;
	struct fixture *f = make(SHOAL_TCP_CFG_SACK, NULL);
	establish(f, &all_syn_opts);
	remote(f, 101, false, 100, true, 1, 10000, NULL); /* [101,201) out of order */
	remote(f, 301, false, 100, true, 1, 10000, NULL); /* [301,401) */
	const struct sent *s = last(f);
	assert_int_equal(s->msg.receiver.ackno, RISN + 1);
	assert_int_equal(s->msg.opts.sack_count, 2);
	assert_int_equal(s->msg.opts.sack[0].left, RISN + 301);
	assert_int_equal(s->msg.opts.sack[0].right, RISN + 401);
	assert_int_equal(s->msg.opts.sack[1].left, RISN + 101);
	assert_int_equal(s->msg.opts.sack[1].right, RISN + 201);
	remote(f, 201, false, 100, true, 1, 10000, NULL); /* joins both: one block */
	s = last(f);
	assert_int_equal(s->msg.opts.sack_count, 1);
	assert_int_equal(s->msg.opts.sack[0].left, RISN + 101);
	assert_int_equal(s->msg.opts.sack[0].right, RISN + 401);
	remote(f, 1, false, 100, true, 1, 10000, NULL); /* fills the hole: no block left */
	assert_int_equal(last(f)->msg.receiver.ackno, RISN + 401);
	assert_int_equal(last(f)->msg.opts.sack_count, 0);
	destroy(f);
}

static void test_rfc2018_2_no_blocks_without_sack_permitted(void **state)
{
	(void)state;
	struct fixture *f = make(SHOAL_TCP_CFG_SACK, NULL);
	establish(f, NULL);
	remote(f, 101, false, 100, true, 1, 10000, NULL);
	assert_int_equal(last(f)->msg.opts.sack_count, 0);
	destroy(f);
}

/* Sends n full segments of data after establishing; returns index of the first. */
static size_t send_segments(struct fixture *f, size_t n, size_t seg)
{
	static uint8_t buf[64 * 1000];
	size_t first = f->n;
	shoal_tcp_peer_write(&f->p, buf, n * seg);
	return first;
}

static void dupack(struct fixture *f, uint32_t ack_rel, const struct shoal_tcp_options *o)
{
	remote(f, 1, false, 0, true, ack_rel, 60000, o);
}

static void iw_tweak(struct shoal_tcp_config *c)
{
	c->initial_cwnd_segs = 20;
}

static void test_rfc2018_sender_resends_only_the_unsacked_holes(void **state)
{
	(void)state;
	struct fixture *f =
	    make(SHOAL_TCP_CFG_SACK | SHOAL_TCP_CFG_CONGESTION | SHOAL_TCP_CFG_MSS, iw_tweak);
	establish(f, &all_syn_opts); /* the remote's MSS 500 */
	remote(f, 1, false, 0, true, 1, 60000, NULL);
	size_t first = send_segments(f, 8, 500);
	assert_int_equal(f->n - first, 8); /* seqs 1..4001 */
	/* segments at 1 and 1001 lost; exactly dupack_threshold (3) SACKed above 1001; the
	 * last two (3001, 3501) not SACKed (yet): not holes */
	struct shoal_tcp_options o = {.sack_count = 2};
	o.sack[0] = (struct shoal_tcp_sack_block){ISN + 1501, ISN + 3001};
	o.sack[1] = (struct shoal_tcp_sack_block){ISN + 501, ISN + 1001};
	size_t before = f->n;
	dupack(f, 1, &o);
	dupack(f, 1, &o);
	assert_int_equal(f->n, before);
	dupack(f, 1, &o); /* third: fast retransmit of 1, and the hole at 1001 */
	assert_int_equal(f->n, before + 2);
	assert_int_equal(f->out[before].msg.sender.seqno, ISN + 1);
	assert_int_equal(f->out[before + 1].msg.sender.seqno, ISN + 1001);
	dupack(f, 1, &o); /* nothing else is a hole */
	assert_int_equal(f->n, before + 2);
	destroy(f);
}

/* ---- RFC 6298 ---- */

static void rtt_tweak(struct shoal_tcp_config *c)
{
	c->min_rto_ms = 1;
}

static void test_rfc6298_2_1_initial_rto_before_any_sample(void **state)
{
	(void)state;
	struct fixture *f = make(SHOAL_TCP_CFG_RTT_ESTIMATE, NULL);
	assert_int_equal(shoal_tcp_sender_rto(&f->p.sender), 1000);
	destroy(f);
}

static void test_rfc6298_2_2_first_rtt_measurement(void **state)
{
	(void)state;
	struct fixture *f = make(SHOAL_TCP_CFG_RTT_ESTIMATE, rtt_tweak);
	shoal_tcp_peer_connect(&f->p);
	shoal_tcp_peer_tick(&f->p, 100);
	remote(f, 0, true, 0, true, 1, 10000, NULL);
	/* SRTT = R = 100 ms, RTTVAR = 50 ms, RTO = 100 + 4 x 50 = 300 ms */
	assert_int_equal(shoal_tcp_sender_srtt_us(&f->p.sender), 100000);
	assert_int_equal(f->p.sender.rttvar_us, 50000);
	assert_int_equal(shoal_tcp_sender_rto(&f->p.sender), 300);
	destroy(f);
}

static void test_rfc6298_2_3_subsequent_measurement(void **state)
{
	(void)state;
	struct fixture *f = make(SHOAL_TCP_CFG_RTT_ESTIMATE, rtt_tweak);
	shoal_tcp_peer_connect(&f->p);
	shoal_tcp_peer_tick(&f->p, 100);
	remote(f, 0, true, 0, true, 1, 10000, NULL);
	shoal_tcp_peer_write(&f->p, (const uint8_t *)"abc", 3);
	shoal_tcp_peer_tick(&f->p, 200);
	remote(f, 1, false, 0, true, 4, 10000, NULL);
	/* RTTVAR = 3/4 x 50 + 1/4 x |100 - 200| = 62.5; SRTT = 7/8 x 100 + 1/8 x 200 = 112.5 */
	assert_int_equal(f->p.sender.rttvar_us, 62500);
	assert_int_equal(shoal_tcp_sender_srtt_us(&f->p.sender), 112500);
	assert_int_equal(shoal_tcp_sender_rto(&f->p.sender), 363); /* 112.5 + 250, rounded up */
	destroy(f);
}

static void test_rfc6298_2_4_rto_at_least_min_rto(void **state)
{
	(void)state;
	struct fixture *f = make(SHOAL_TCP_CFG_RTT_ESTIMATE, NULL); /* min 1 s */
	shoal_tcp_peer_connect(&f->p);
	shoal_tcp_peer_tick(&f->p, 10);
	remote(f, 0, true, 0, true, 1, 10000, NULL);
	assert_int_equal(shoal_tcp_sender_rto(&f->p.sender), 1000);
	destroy(f);
}

static void test_rfc6298_5_5_backoff_doubles_up_to_max_rto(void **state)
{
	(void)state;
	struct fixture *f = make(SHOAL_TCP_CFG_RTT_ESTIMATE, NULL);
	f->p.sender.max_rto = 3000;
	shoal_tcp_peer_connect(&f->p);
	shoal_tcp_peer_tick(&f->p, 1000);
	assert_int_equal(shoal_tcp_sender_rto(&f->p.sender), 2000);
	shoal_tcp_peer_tick(&f->p, 2000);
	assert_int_equal(shoal_tcp_sender_rto(&f->p.sender), 3000);
	shoal_tcp_peer_tick(&f->p, 3000);
	assert_int_equal(shoal_tcp_sender_rto(&f->p.sender), 3000);
	destroy(f);
}

static void test_rfc6298_3_karn_no_sample_from_a_retransmitted_segment(void **state)
{
	(void)state;
	struct fixture *f = make(SHOAL_TCP_CFG_RTT_ESTIMATE, rtt_tweak);
	shoal_tcp_peer_connect(&f->p);
	shoal_tcp_peer_tick(&f->p, 1000); /* SYN retransmitted, RTO 2000 */
	shoal_tcp_peer_tick(&f->p, 50);
	remote(f, 0, true, 0, true, 1, 10000, NULL);
	assert_int_equal(shoal_tcp_sender_srtt_us(&f->p.sender), 0);
	assert_int_equal(shoal_tcp_sender_rto(&f->p.sender), 2000); /* backed-off RTO kept */
	destroy(f);
}

static void test_rfc7323_4_1_rtt_from_the_timestamp_echo(void **state)
{
	(void)state;
	struct fixture *f = make(SHOAL_TCP_CFG_RTT_ESTIMATE | SHOAL_TCP_CFG_TIMESTAMPS, rtt_tweak);
	establish(f, &all_syn_opts);
	shoal_tcp_peer_write(&f->p, (const uint8_t *)"abc", 3);
	uint32_t tsval = last(f)->msg.opts.ts_val;
	shoal_tcp_peer_tick(&f->p, 1000); /* retransmitted: Karn would forbid a sample */
	shoal_tcp_peer_tick(&f->p, 40);
	uint64_t samples = f->p.sender.stats.rtt_samples;
	struct shoal_tcp_options o = ts(300, tsval + 1000); /* echoes the retransmission */
	remote(f, 1, false, 0, true, 4, 10000, &o);
	assert_int_equal(f->p.sender.stats.rtt_samples, samples + 1);
	destroy(f);
}

/* ---- RFC 5681 / RFC 6582 ---- */

static void test_rfc5681_3_1_initial_window_from_mss(void **state)
{
	(void)state;
	struct fixture *f = make(SHOAL_TCP_CFG_CONGESTION | SHOAL_TCP_CFG_MSS, NULL);
	assert_int_equal(shoal_tcp_sender_cwnd(&f->p.sender), 4000); /* mss 1000: 4 x */
	struct shoal_tcp_options o = {.has_mss = true, .mss = 500};
	establish(f, &o);
	assert_int_equal(shoal_tcp_sender_cwnd(&f->p.sender), 2000); /* 4 x the peer's 500 */
	destroy(f);
}

static void test_rfc5681_3_1_slow_start_then_congestion_avoidance(void **state)
{
	(void)state;
	struct fixture *f = make(SHOAL_TCP_CFG_CONGESTION, NULL);
	establish(f, NULL);
	uint64_t cwnd = shoal_tcp_sender_cwnd(&f->p.sender);
	size_t first = send_segments(f, 4, 1000);
	assert_int_equal(f->n - first, 4); /* IW 4000: 4 segments, then cwnd is full */
	remote(f, 1, false, 0, true, 2001, 60000, NULL); /* one ack for two segments */
	assert_int_equal(shoal_tcp_sender_cwnd(&f->p.sender), cwnd + 1000); /* +min(N, SMSS) */
	f->p.sender.ssthresh = 2000;
	cwnd = shoal_tcp_sender_cwnd(&f->p.sender);
	remote(f, 1, false, 0, true, 3001, 60000, NULL);
	assert_int_equal(shoal_tcp_sender_cwnd(&f->p.sender), cwnd + 1000 * 1000 / cwnd);
	destroy(f);
}

static void test_rfc5681_3_2_fast_retransmit_on_the_third_duplicate_ack(void **state)
{
	(void)state;
	struct fixture *f = make(SHOAL_TCP_CFG_CONGESTION, NULL);
	establish(f, NULL);
	remote(f, 1, false, 0, true, 1, 60000, NULL);
	send_segments(f, 4, 1000);
	size_t before = f->n;
	dupack(f, 1, NULL);
	dupack(f, 1, NULL);
	assert_int_equal(f->n, before);
	dupack(f, 1, NULL);
	assert_int_equal(f->n, before + 1);
	assert_int_equal(last(f)->msg.sender.seqno, ISN + 1);
	assert_int_equal(shoal_tcp_sender_ssthresh(&f->p.sender), 2000); /* FlightSize 4000 / 2 */
	assert_int_equal(shoal_tcp_sender_cwnd(&f->p.sender), 2000 + 3000);
	dupack(f, 1, NULL);
	assert_int_equal(shoal_tcp_sender_cwnd(&f->p.sender), 6000); /* +SMSS per dupack */
	destroy(f);
}

static void test_rfc5681_2_ack_with_data_or_window_change_is_not_a_dupack(void **state)
{
	(void)state;
	struct fixture *f = make(SHOAL_TCP_CFG_CONGESTION, NULL);
	establish(f, NULL);
	remote(f, 1, false, 0, true, 1, 60000, NULL);
	send_segments(f, 4, 1000);
	size_t before = f->n;
	remote(f, 1, false, 0, true, 1, 60001, NULL); /* window changed */
	remote(f, 1, false, 0, true, 1, 60002, NULL);
	remote(f, 1, false, 0, true, 1, 60003, NULL);
	assert_int_equal(f->p.sender.stats.fast_retransmits, 0);
	assert_int_equal(f->n, before);
	destroy(f);
}

static void test_rfc5681_3_1_timeout_sets_ssthresh_and_one_mss_cwnd(void **state)
{
	(void)state;
	struct fixture *f = make(SHOAL_TCP_CFG_CONGESTION, NULL);
	establish(f, NULL);
	remote(f, 1, false, 0, true, 1, 60000, NULL);
	send_segments(f, 4, 1000);
	shoal_tcp_peer_tick(&f->p, 1000);
	assert_int_equal(shoal_tcp_sender_ssthresh(&f->p.sender), 2000);
	assert_int_equal(shoal_tcp_sender_cwnd(&f->p.sender), 1000);
	assert_int_equal(last(f)->msg.sender.seqno, ISN + 1);
	destroy(f);
}

static void test_rfc6582_3_2_partial_ack_retransmits_and_full_ack_ends_recovery(void **state)
{
	(void)state;
	struct fixture *f = make(SHOAL_TCP_CFG_CONGESTION, NULL);
	establish(f, NULL);
	remote(f, 1, false, 0, true, 1, 60000, NULL);
	send_segments(f, 4, 1000); /* 1..4001; recover will be 4001 */
	for (int i = 0; i < 3; i++)
		dupack(f, 1, NULL);
	assert_true(f->p.sender.in_recovery);
	uint64_t cwnd = shoal_tcp_sender_cwnd(&f->p.sender);
	size_t before = f->n;
	remote(f, 1, false, 0, true, 2001, 60000, NULL); /* partial: 2000 new bytes */
	assert_true(f->p.sender.in_recovery);
	assert_int_equal(f->out[before].msg.sender.seqno, ISN + 2001); /* next hole resent */
	assert_int_equal(shoal_tcp_sender_cwnd(&f->p.sender), cwnd - 2000 + 1000);
	remote(f, 1, false, 0, true, 4001, 60000, NULL); /* full ack */
	assert_false(f->p.sender.in_recovery);
	assert_int_equal(shoal_tcp_sender_cwnd(&f->p.sender), 2000); /* min(ssthresh, ...) */
	destroy(f);
}

/* ---- RFC 1122 ---- */

static void test_rfc1122_4_2_3_2_delayed_ack_every_second_segment_or_timer(void **state)
{
	(void)state;
	struct fixture *f = make(SHOAL_TCP_CFG_DELAYED_ACK, NULL);
	establish(f, NULL);
	size_t before = f->n;
	remote(f, 1, false, 100, true, 1, 10000, NULL);
	assert_int_equal(f->n, before); /* first: delayed */
	remote(f, 101, false, 100, true, 1, 10000, NULL);
	assert_int_equal(f->n, before + 1); /* second: acked */
	assert_int_equal(last(f)->msg.receiver.ackno, RISN + 201);
	remote(f, 201, false, 100, true, 1, 10000, NULL);
	assert_int_equal(f->n, before + 1);
	shoal_tcp_peer_tick(&f->p, 199);
	assert_int_equal(f->n, before + 1);
	shoal_tcp_peer_tick(&f->p, 1); /* delack_ms 200 */
	assert_int_equal(f->n, before + 2);
	assert_int_equal(last(f)->msg.receiver.ackno, RISN + 301);
	remote(f, 401, false, 100, true, 1, 10000, NULL); /* out of order: at once */
	assert_int_equal(f->n, before + 3);
	destroy(f);
}

static void test_rfc1122_4_2_3_4_nagle_holds_small_segments_while_unacked(void **state)
{
	(void)state;
	struct fixture *f = make(SHOAL_TCP_CFG_NAGLE, NULL);
	establish(f, NULL);
	remote(f, 1, false, 0, true, 1, 10000, NULL);
	size_t before = f->n;
	shoal_tcp_peer_write(&f->p, (const uint8_t *)"a", 1);
	assert_int_equal(f->n, before + 1); /* nothing unacked: goes */
	shoal_tcp_peer_write(&f->p, (const uint8_t *)"b", 1);
	shoal_tcp_peer_write(&f->p, (const uint8_t *)"c", 1);
	assert_int_equal(f->n, before + 1); /* held */
	remote(f, 1, false, 0, true, 2, 10000, NULL);
	assert_int_equal(f->n, before + 2); /* ack: "bc" in one segment */
	assert_int_equal(last(f)->msg.sender.payload_len, 2);
	destroy(f);
}

static void ka_tweak(struct shoal_tcp_config *c)
{
	c->keepalive_idle_ms = 1000;
	c->keepalive_intvl_ms = 100;
	c->keepalive_probes = 2;
}

static void test_rfc1122_4_2_3_6_keepalive_probes_then_abort(void **state)
{
	(void)state;
	struct fixture *f = make(SHOAL_TCP_CFG_KEEPALIVE, ka_tweak);
	establish(f, NULL);
	size_t before = f->n;
	shoal_tcp_peer_tick(&f->p, 999);
	assert_int_equal(f->n, before);
	shoal_tcp_peer_tick(&f->p, 1);
	assert_int_equal(f->n, before + 1);
	assert_int_equal(last(f)->msg.sender.seqno, ISN); /* SND.NXT - 1 */
	assert_int_equal(last(f)->msg.sender.payload_len, 0);
	shoal_tcp_peer_tick(&f->p, 100);
	assert_int_equal(f->n, before + 2);
	shoal_tcp_peer_tick(&f->p, 100); /* two unanswered: abort */
	assert_true(last(f)->msg.sender.rst);
	assert_false(shoal_tcp_peer_active(&f->p));
	destroy(f);
}

static void test_rfc1122_4_2_3_6_answered_probe_resets_the_count(void **state)
{
	(void)state;
	struct fixture *f = make(SHOAL_TCP_CFG_KEEPALIVE, ka_tweak);
	establish(f, NULL);
	shoal_tcp_peer_tick(&f->p, 1000);
	shoal_tcp_peer_tick(&f->p, 100);
	remote(f, 1, false, 0, true, 1, 10000, NULL); /* answer */
	shoal_tcp_peer_tick(&f->p, 999);
	assert_true(shoal_tcp_peer_active(&f->p));
	assert_false(last(f)->msg.sender.rst);
	destroy(f);
}

static void test_rfc1122_4_2_3_6_a_probe_is_answered(void **state)
{
	(void)state;
	struct fixture *f = make(SHOAL_TCP_CFG_ALL, NULL);
	establish(f, NULL);
	size_t before = f->n;
	remote(f, 0, false, 0, true, 1, 10000, NULL); /* SEG.SEQ = RCV.NXT - 1, no data */
	assert_int_equal(f->n, before + 1);
	assert_int_equal(last(f)->msg.receiver.ackno, RISN + 1);
	destroy(f);
}

/* ---- TIME-WAIT ---- */

static void close_both(struct fixture *f)
{
	shoal_tcp_peer_close(&f->p);
	assert_true(last(f)->msg.sender.fin);
	remote(f, 1, false, 0, true, 2, 10000, NULL);
	assert_int_equal(shoal_tcp_peer_state(&f->p), SHOAL_TCP_STATE_FIN_WAIT_2);
	struct shoal_tcp_message m = {
	    .sender = {.seqno = RISN + 1, .fin = true},
	    .receiver = {.has_ackno = true, .ackno = ISN + 2, .window_size = 10000}};
	shoal_tcp_peer_receive(&f->p, &m);
	assert_int_equal(shoal_tcp_peer_state(&f->p), SHOAL_TCP_STATE_TIME_WAIT);
}

static void test_rfc9293_3_6_1_time_wait_lasts_two_msl(void **state)
{
	(void)state;
	struct fixture *f = make(SHOAL_TCP_CFG_TIME_WAIT, NULL);
	establish(f, NULL);
	close_both(f);
	shoal_tcp_peer_tick(&f->p, 2 * 30000 - 1);
	assert_int_equal(shoal_tcp_peer_state(&f->p), SHOAL_TCP_STATE_TIME_WAIT);
	shoal_tcp_peer_tick(&f->p, 1);
	assert_int_equal(shoal_tcp_peer_state(&f->p), SHOAL_TCP_STATE_CLOSED);
	assert_false(shoal_tcp_peer_active(&f->p));
	destroy(f);
}

static void test_rfc1337_rst_ignored_in_time_wait(void **state)
{
	(void)state;
	struct fixture *f = make(SHOAL_TCP_CFG_TIME_WAIT, NULL);
	establish(f, NULL);
	close_both(f);
	struct shoal_tcp_message m = {.sender = {.seqno = RISN + 2, .rst = true}};
	shoal_tcp_peer_receive(&f->p, &m);
	assert_int_equal(shoal_tcp_peer_state(&f->p), SHOAL_TCP_STATE_TIME_WAIT);
	destroy(f);
}

/* ---- RFC 5961 ---- */

static void rst_at(struct fixture *f, uint32_t seq_rel)
{
	struct shoal_tcp_message m = {.sender = {.seqno = RISN + seq_rel, .rst = true},
	                              .receiver = {.rst = true}};
	shoal_tcp_peer_receive(&f->p, &m);
}

static void test_rfc5961_3_2_rst_accepted_only_at_rcv_nxt(void **state)
{
	(void)state;
	struct fixture *f = make(SHOAL_TCP_CFG_RST_VALIDATION, NULL);
	establish(f, NULL);
	rst_at(f, 1);
	assert_false(shoal_tcp_peer_active(&f->p));
	destroy(f);
}

static void test_rfc5961_3_2_in_window_rst_gets_a_challenge_ack(void **state)
{
	(void)state;
	struct fixture *f = make(SHOAL_TCP_CFG_RST_VALIDATION, NULL);
	establish(f, NULL);
	size_t before = f->n;
	rst_at(f, 100);
	assert_true(shoal_tcp_peer_active(&f->p));
	assert_int_equal(f->n, before + 1);
	assert_false(last(f)->msg.sender.rst);
	assert_int_equal(last(f)->msg.receiver.ackno, RISN + 1);
	rst_at(f, 1u << 30); /* outside the window: dropped silently */
	assert_int_equal(f->n, before + 1);
	assert_true(shoal_tcp_peer_active(&f->p));
	struct shoal_tcp_peer_info info;
	shoal_tcp_peer_get_info(&f->p, &info);
	assert_int_equal(info.drops[SHOAL_TCP_DROP_RST_IN_WINDOW], 1);
	assert_int_equal(info.drops[SHOAL_TCP_DROP_RST_OUT_OF_WINDOW], 1);
	destroy(f);
}

static void test_rfc5961_4_2_syn_on_established_gets_a_challenge_ack(void **state)
{
	(void)state;
	struct fixture *f = make(SHOAL_TCP_CFG_RST_VALIDATION, NULL);
	establish(f, NULL);
	size_t before = f->n;
	remote(f, 77, true, 5, false, 0, 10000, NULL);
	assert_int_equal(f->n, before + 1);
	assert_false(last(f)->msg.sender.syn);
	assert_int_equal(last(f)->msg.receiver.ackno, RISN + 1);
	struct shoal_tcp_peer_info info;
	shoal_tcp_peer_get_info(&f->p, &info);
	assert_int_equal(info.challenge_acks, 1);
	assert_int_equal(info.drops[SHOAL_TCP_DROP_SYN_SYNCHRONIZED], 1);
	assert_int_equal(shoal_reassembler_bytes_pending(&f->p.receiver.reasm), 0); /* not taken */
	assert_int_equal(shoal_tcp_peer_state(&f->p), SHOAL_TCP_STATE_ESTABLISHED);
	destroy(f);
}

static void test_rfc5961_5_2_ack_beyond_snd_nxt_is_dropped_with_an_ack(void **state)
{
	(void)state;
	struct fixture *f = make(SHOAL_TCP_CFG_RST_VALIDATION, NULL);
	establish(f, NULL);
	size_t before = f->n;
	remote(f, 1, false, 10, true, 500, 10000, NULL); /* acks data never sent */
	assert_int_equal(f->n, before + 1);
	assert_int_equal(last(f)->msg.receiver.ackno, RISN + 1); /* data not taken */
	destroy(f);
}

static void limit_tweak(struct shoal_tcp_config *c)
{
	c->challenge_ack_limit = 2;
}

static void test_rfc5961_7_challenge_acks_are_rate_limited(void **state)
{
	(void)state;
	struct fixture *f = make(SHOAL_TCP_CFG_RST_VALIDATION, limit_tweak);
	establish(f, NULL);
	size_t before = f->n;
	for (int i = 0; i < 5; i++)
		rst_at(f, 100 + (uint32_t)i);
	assert_int_equal(f->n, before + 2);
	shoal_tcp_peer_tick(&f->p, 1000);
	rst_at(f, 200);
	assert_int_equal(f->n, before + 3);
	destroy(f);
}

/* ---- RFC 9293 states ---- */

static void test_rfc9293_3_10_7_2_listen_answers_an_ack_with_rst(void **state)
{
	(void)state;
	struct fixture *f = make(SHOAL_TCP_CFG_ALL, NULL);
	shoal_tcp_peer_listen(&f->p);
	remote(f, 0, false, 0, true, 77, 10000, NULL);
	assert_int_equal(f->n, 1);
	assert_true(last(f)->msg.sender.rst);
	assert_int_equal(last(f)->msg.sender.seqno, ISN + 77);
	remote(f, 0, false, 10, false, 0, 10000, NULL); /* no SYN, no ACK: ignored */
	assert_int_equal(f->n, 1);
	assert_int_equal(shoal_tcp_peer_state(&f->p), SHOAL_TCP_STATE_LISTEN);
	destroy(f);
}

static void test_rfc9293_3_10_7_3_syn_sent_answers_a_bad_ack_with_rst(void **state)
{
	(void)state;
	struct fixture *f = make(SHOAL_TCP_CFG_ALL, NULL);
	shoal_tcp_peer_connect(&f->p);
	remote(f, 0, true, 0, true, 50, 10000, NULL); /* acks something we never sent */
	assert_true(last(f)->msg.sender.rst);
	assert_int_equal(last(f)->msg.sender.seqno, ISN + 50);
	assert_int_equal(shoal_tcp_peer_state(&f->p), SHOAL_TCP_STATE_SYN_SENT);
	rst_at(f, 0); /* RST without an acceptable ACK: ignored */
	assert_int_equal(shoal_tcp_peer_state(&f->p), SHOAL_TCP_STATE_SYN_SENT);
	struct shoal_tcp_message m = {
	    .sender = {.seqno = RISN, .rst = true},
	    .receiver = {.has_ackno = true, .ackno = ISN + 1, .rst = true}};
	shoal_tcp_peer_receive(&f->p, &m); /* with the ACK of our SYN: accepted */
	assert_int_equal(shoal_tcp_peer_state(&f->p), SHOAL_TCP_STATE_CLOSED);
	destroy(f);
}

static void test_rfc9293_3_10_7_4_repeated_syn_in_syn_received_resends_the_synack(void **state)
{
	(void)state;
	struct fixture *f = make(SHOAL_TCP_CFG_ALL, NULL);
	shoal_tcp_peer_listen(&f->p);
	remote(f, 0, true, 0, false, 0, 10000, &all_syn_opts);
	assert_true(last(f)->msg.sender.syn && last(f)->msg.receiver.has_ackno);
	size_t before = f->n;
	remote(f, 0, true, 0, false, 0, 10000, &all_syn_opts); /* SYN again */
	assert_int_equal(f->n, before + 1);
	assert_true(last(f)->msg.sender.syn && last(f)->msg.receiver.has_ackno);
	assert_int_equal(last(f)->msg.sender.seqno, ISN);
	assert_int_equal(shoal_tcp_peer_state(&f->p), SHOAL_TCP_STATE_SYN_RECEIVED);
	destroy(f);
}

static void test_rfc9293_3_3_2_state_names(void **state)
{
	(void)state;
	assert_string_equal(shoal_tcp_state_name(SHOAL_TCP_STATE_ESTABLISHED), "ESTABLISHED");
	assert_string_equal(shoal_tcp_state_name(SHOAL_TCP_STATE_TIME_WAIT), "TIME-WAIT");
	assert_string_equal(shoal_tcp_state_name(SHOAL_TCP_STATE_COUNT_), "?");
	struct fixture *f = make(SHOAL_TCP_CFG_ALL, NULL);
	assert_int_equal(shoal_tcp_peer_state(&f->p), SHOAL_TCP_STATE_CLOSED);
	shoal_tcp_peer_connect(&f->p);
	assert_int_equal(shoal_tcp_peer_state(&f->p), SHOAL_TCP_STATE_SYN_SENT);
	destroy(f);
}

static void test_config_rejects_unknown_option_bits(void **state)
{
	(void)state;
	struct shoal_tcp_peer p;
	struct shoal_tcp_config cfg;
	shoal_tcp_config_defaults(&cfg);
	cfg.options = SHOAL_TCP_CFG_ALL + 1;
	assert_int_equal(shoal_tcp_peer_init(&p, &cfg, capture_fn, NULL), -1);
}

static void test_wire_round_trip_keeps_flags_and_options(void **state)
{
	(void)state;
	uint8_t data[3] = {1, 2, 3};
	struct shoal_tcp_message m = {
	    .sender = {.seqno = 7, .syn = true, .payload = data, .payload_len = 3, .fin = true},
	    .receiver = {.has_ackno = true, .ackno = 9, .window_size = 1234},
	    .opts = all_syn_opts,
	};
	struct shoal_tcp_header h;
	shoal_tcp_message_to_header(&m, 1, 2, &h);
	assert_int_equal(h.flags, SHOAL_TCP_SYN | SHOAL_TCP_FIN | SHOAL_TCP_ACK | SHOAL_TCP_PSH);
	struct shoal_tcp_message back;
	shoal_tcp_message_from_header(&h, &back);
	assert_int_equal(back.sender.seqno, 7);
	assert_true(back.sender.syn && back.sender.fin && !back.sender.rst);
	assert_int_equal(back.receiver.ackno, 9);
	assert_int_equal(back.receiver.window_size, 1234);
	assert_memory_equal(&back.opts, &m.opts, sizeof(m.opts));
	m.sender.rst = true;
	m.receiver.has_ackno = false;
	shoal_tcp_message_to_header(&m, 1, 2, &h);
	assert_int_equal(h.flags & (SHOAL_TCP_RST | SHOAL_TCP_ACK), SHOAL_TCP_RST);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc9293_3_7_1_mss_offered_and_peer_mss_limits_payload),
	    cmocka_unit_test(test_rfc9293_3_7_1_no_mss_option_means_536),
	    cmocka_unit_test(test_rfc7323_1_3_synack_echoes_only_offered_options),
	    cmocka_unit_test(test_rfc7323_2_2_syn_window_is_never_scaled),
	    cmocka_unit_test(test_rfc7323_2_3_windows_scaled_after_the_syn),
	    cmocka_unit_test(test_rfc7323_2_3_no_scaling_unless_both_offer),
	    cmocka_unit_test(test_rfc7323_4_3_ts_recent_is_echoed),
	    cmocka_unit_test(test_rfc7323_5_3_paws_drops_an_old_timestamp),
	    cmocka_unit_test(test_rfc2018_4_receiver_reports_blocks_most_recent_first),
	    cmocka_unit_test(test_rfc2018_2_no_blocks_without_sack_permitted),
	    cmocka_unit_test(test_rfc2018_sender_resends_only_the_unsacked_holes),
	    cmocka_unit_test(test_rfc6298_2_1_initial_rto_before_any_sample),
	    cmocka_unit_test(test_rfc6298_2_2_first_rtt_measurement),
	    cmocka_unit_test(test_rfc6298_2_3_subsequent_measurement),
	    cmocka_unit_test(test_rfc6298_2_4_rto_at_least_min_rto),
	    cmocka_unit_test(test_rfc6298_5_5_backoff_doubles_up_to_max_rto),
	    cmocka_unit_test(test_rfc6298_3_karn_no_sample_from_a_retransmitted_segment),
	    cmocka_unit_test(test_rfc7323_4_1_rtt_from_the_timestamp_echo),
	    cmocka_unit_test(test_rfc5681_3_1_initial_window_from_mss),
	    cmocka_unit_test(test_rfc5681_3_1_slow_start_then_congestion_avoidance),
	    cmocka_unit_test(test_rfc5681_3_2_fast_retransmit_on_the_third_duplicate_ack),
	    cmocka_unit_test(test_rfc5681_2_ack_with_data_or_window_change_is_not_a_dupack),
	    cmocka_unit_test(test_rfc5681_3_1_timeout_sets_ssthresh_and_one_mss_cwnd),
	    cmocka_unit_test(test_rfc6582_3_2_partial_ack_retransmits_and_full_ack_ends_recovery),
	    cmocka_unit_test(test_rfc1122_4_2_3_2_delayed_ack_every_second_segment_or_timer),
	    cmocka_unit_test(test_rfc1122_4_2_3_4_nagle_holds_small_segments_while_unacked),
	    cmocka_unit_test(test_rfc1122_4_2_3_6_keepalive_probes_then_abort),
	    cmocka_unit_test(test_rfc1122_4_2_3_6_answered_probe_resets_the_count),
	    cmocka_unit_test(test_rfc1122_4_2_3_6_a_probe_is_answered),
	    cmocka_unit_test(test_rfc9293_3_6_1_time_wait_lasts_two_msl),
	    cmocka_unit_test(test_rfc1337_rst_ignored_in_time_wait),
	    cmocka_unit_test(test_rfc5961_3_2_rst_accepted_only_at_rcv_nxt),
	    cmocka_unit_test(test_rfc5961_3_2_in_window_rst_gets_a_challenge_ack),
	    cmocka_unit_test(test_rfc5961_4_2_syn_on_established_gets_a_challenge_ack),
	    cmocka_unit_test(test_rfc5961_5_2_ack_beyond_snd_nxt_is_dropped_with_an_ack),
	    cmocka_unit_test(test_rfc5961_7_challenge_acks_are_rate_limited),
	    cmocka_unit_test(test_rfc9293_3_10_7_2_listen_answers_an_ack_with_rst),
	    cmocka_unit_test(test_rfc9293_3_10_7_3_syn_sent_answers_a_bad_ack_with_rst),
	    cmocka_unit_test(test_rfc9293_3_10_7_4_repeated_syn_in_syn_received_resends_the_synack),
	    cmocka_unit_test(test_rfc9293_3_3_2_state_names),
	    cmocka_unit_test(test_config_rejects_unknown_option_bits),
	    cmocka_unit_test(test_wire_round_trip_keeps_flags_and_options),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
