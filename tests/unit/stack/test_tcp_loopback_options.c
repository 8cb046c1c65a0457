/* Property test: two peers with every option on, over a seeded lossy, reordering link that
 * carries real wire segments (tcp_header serialize/parse); data must arrive intact both
 * ways, and SACK + fast retransmit must beat RTO-only recovery. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shoal/tcp_header.h"
#include "shoal/tcp_peer.h"

enum { LINK_MAX = 8192, SEG_MAX = 1600, XFER = 1 << 20, CAP = 256 * 1024 };

struct wire_seg {
	uint8_t bytes[SEG_MAX];
	size_t len;
};

struct link {
	struct wire_seg *q;
	size_t n;
	uint64_t *seed;
	unsigned drop_pct;
	unsigned reorder_pct; /* segments held back one round (delivered after later ones) */
	struct wire_seg *held;
	size_t n_held;
	uint64_t sent;
	uint64_t dropped;
	size_t max_window_seen; /* largest window field seen on a non-SYN segment */
	bool saw_sack;
};

static uint64_t prng(uint64_t *s)
{
	*s = *s * 6364136223846793005u + 1442695040888963407u;
	return *s >> 33;
}

static void link_send(void *ctx, const struct shoal_tcp_message *msg)
{
	struct link *l = ctx;
	l->sent++;
	if (prng(l->seed) % 100 < l->drop_pct) {
		l->dropped++;
		return;
	}
	assert_true(l->n < LINK_MAX);
	struct wire_seg *w = &l->q[l->n++];
	struct shoal_tcp_header h;
	shoal_tcp_message_to_header(msg, 1000, 2000, &h);
	w->len = shoal_tcp_serialize_ipv4(&h, 0x0a000001, 0x0a000002, w->bytes, sizeof(w->bytes));
	assert_true(w->len > 0);
	if (msg->opts.sack_count)
		l->saw_sack = true;
}

/* Delivers the queued segments; each is held back to the next round with probability
 * reorder_pct (so later segments overtake it); held ones go first next time. */
static void link_deliver(struct link *l, struct shoal_tcp_peer *p)
{
	static struct wire_seg batch[2 * LINK_MAX];
	size_t n = 0;
	memcpy(batch, l->held, l->n_held * sizeof(batch[0]));
	n = l->n_held;
	l->n_held = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (prng(l->seed) % 100 < l->reorder_pct)
			l->held[l->n_held++] = l->q[i];
		else
			batch[n++] = l->q[i];
	}
	l->n = 0;
	for (size_t i = 0; i < n; i++) {
		struct shoal_tcp_header h;
		struct shoal_tcp_message m;
		assert_int_equal(shoal_tcp_parse(batch[i].bytes, batch[i].len, &h), SHOAL_WIRE_OK);
		assert_int_equal(
		    shoal_tcp_verify_ipv4(batch[i].bytes, batch[i].len, 0x0a000001, 0x0a000002),
		    SHOAL_WIRE_OK);
		shoal_tcp_message_from_header(&h, &m);
		shoal_tcp_peer_receive(p, &m);
	}
}

struct endpoint {
	struct shoal_tcp_peer peer;
	const uint8_t *to_send;
	size_t sent;
	uint8_t *got;
	size_t got_n;
};

static void endpoint_pump(struct endpoint *e)
{
	if (e->sent < XFER) {
		size_t n = XFER - e->sent;
		if (n > 7777)
			n = 7777;
		e->sent += shoal_tcp_peer_write(&e->peer, e->to_send + e->sent, n);
		if (e->sent == XFER)
			shoal_tcp_peer_close(&e->peer);
	}
	struct shoal_byte_stream *in = shoal_tcp_peer_inbound(&e->peer);
	e->got_n += shoal_byte_stream_read(in, e->got + e->got_n, XFER + 1 - e->got_n);
}

struct run_result {
	uint64_t retransmissions;
	uint64_t timeouts;
	uint64_t fast_retransmits;
	uint64_t elapsed_ms;
	uint64_t rtt_samples;
	bool saw_sack;
	struct shoal_tcp_peer_info a_info;
};

static struct run_result loopback_run(uint32_t options, uint32_t dupthresh, unsigned drop_pct,
                                      unsigned reorder_pct, uint64_t seed_value)
{
	struct run_result res = {0};
	uint64_t seed = seed_value;
	uint8_t *a_data = malloc(XFER), *b_data = malloc(XFER);
	struct endpoint *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct link *ab = calloc(1, sizeof(*ab)), *ba = calloc(1, sizeof(*ba));
	assert_non_null(a_data);
	assert_non_null(b_data);
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(ab);
	assert_non_null(ba);
	for (size_t i = 0; i < XFER; i++) {
		a_data[i] = (uint8_t)prng(&seed);
		b_data[i] = (uint8_t)prng(&seed);
	}
	ab->q = malloc(LINK_MAX * sizeof(*ab->q));
	ba->q = malloc(LINK_MAX * sizeof(*ba->q));
	assert_non_null(ab->q);
	assert_non_null(ba->q);
	ab->held = malloc(LINK_MAX * sizeof(*ab->held));
	ba->held = malloc(LINK_MAX * sizeof(*ba->held));
	assert_non_null(ab->held);
	assert_non_null(ba->held);
	ab->reorder_pct = ba->reorder_pct = reorder_pct;
	ab->seed = ba->seed = &seed;
	ab->drop_pct = ba->drop_pct = drop_pct;
	a->to_send = a_data;
	b->to_send = b_data;
	a->got = malloc(XFER + 1);
	b->got = malloc(XFER + 1);
	struct shoal_tcp_config cfg;
	shoal_tcp_config_defaults(&cfg);
	cfg.options = options;
	cfg.send_capacity = CAP;
	cfg.recv_capacity = CAP;
	cfg.min_rto_ms = 200;
	cfg.delack_ms = 40;
	cfg.msl_ms = 2000;
	cfg.dupack_threshold = dupthresh;
	cfg.isn = 0xfffff000u; /* wraps during the transfer */
	assert_int_equal(shoal_tcp_peer_init(&a->peer, &cfg, link_send, ab), 0);
	cfg.isn = 12345;
	cfg.ts_offset = 0x7ffffff0u; /* timestamps wrap too */
	assert_int_equal(shoal_tcp_peer_init(&b->peer, &cfg, link_send, ba), 0);
	shoal_tcp_peer_listen(&b->peer);
	shoal_tcp_peer_connect(&a->peer);

	uint64_t now = 0, done_ms = 0;
	while (shoal_tcp_peer_active(&a->peer) || shoal_tcp_peer_active(&b->peer)) {
		endpoint_pump(a);
		endpoint_pump(b);
		link_deliver(ab, &b->peer);
		link_deliver(ba, &a->peer);
		if (ab->n == 0 && ba->n == 0 && ab->n_held == 0 && ba->n_held == 0) {
			shoal_tcp_peer_tick(&a->peer, 10);
			shoal_tcp_peer_tick(&b->peer, 10);
			now += 10;
		}
		if (!done_ms && a->got_n == XFER && b->got_n == XFER)
			done_ms = now + 1;        /* data complete (TIME-WAIT not counted) */
		assert_true(now < 3600u * 1000u); /* simulated hour: something is stuck */
	}
	struct shoal_tcp_peer_info ai, bi;
	shoal_tcp_peer_get_info(&a->peer, &ai);
	shoal_tcp_peer_get_info(&b->peer, &bi);
	assert_false(shoal_byte_stream_has_error(shoal_tcp_peer_inbound(&a->peer)));
	assert_false(shoal_byte_stream_has_error(shoal_tcp_peer_inbound(&b->peer)));
	assert_int_equal(a->got_n, XFER);
	assert_int_equal(b->got_n, XFER);
	assert_memory_equal(a->got, b_data, XFER);
	assert_memory_equal(b->got, a_data, XFER);

	res.a_info = ai;
	res.retransmissions = ai.retransmissions + bi.retransmissions;
	res.timeouts = a->peer.sender.stats.timeouts + b->peer.sender.stats.timeouts;
	res.fast_retransmits =
	    a->peer.sender.stats.fast_retransmits + b->peer.sender.stats.fast_retransmits;
	res.elapsed_ms = done_ms;
	res.saw_sack = ab->saw_sack || ba->saw_sack;
	res.rtt_samples = a->peer.sender.stats.rtt_samples;
	printf("# options %#x dupthresh %u drop %u%% reorder %u%%: retx %llu timeouts %llu fast "
	       "%llu time %llu ms\n",
	       options, dupthresh, drop_pct, reorder_pct, (unsigned long long)res.retransmissions,
	       (unsigned long long)res.timeouts, (unsigned long long)res.fast_retransmits,
	       (unsigned long long)done_ms);

	shoal_tcp_peer_fini(&b->peer);
	shoal_tcp_peer_fini(&a->peer);
	free(b->got);
	free(a->got);
	free(ba->held);
	free(ab->held);
	free(ba->q);
	free(ab->q);
	free(ba);
	free(ab);
	free(b);
	free(a);
	free(b_data);
	free(a_data);
	return res;
}

static void test_loopback_all_options_clean_link(void **state)
{
	(void)state;
	struct run_result r = loopback_run(SHOAL_TCP_CFG_ALL, 3, 0, 0, 1);
	assert_int_equal(r.retransmissions, 0);
	assert_true(r.a_info.sack && r.a_info.timestamps);
	assert_int_equal(r.a_info.snd_wscale, 7);
	assert_int_equal(r.a_info.mss, 1000);
	assert_true(r.rtt_samples > 0);
}

static void test_loopback_all_options_lossy_reordering_link(void **state)
{
	(void)state;
	for (uint64_t seed = 2; seed < 5; seed++) {
		struct run_result r = loopback_run(SHOAL_TCP_CFG_ALL, 3, 3, 5, seed);
		assert_true(r.saw_sack);
		assert_true(r.fast_retransmits > 0);
	}
}

static void test_loopback_sack_and_fast_retransmit_beat_rto_only(void **state)
{
	(void)state;
	/* RTO-only: no SACK, and a dupack threshold no ack count reaches (no fast retransmit);
	 * after a timeout everything outstanding is resent as cwnd allows (go-back-N). */
	uint32_t rto_only = SHOAL_TCP_CFG_ALL & ~(uint32_t)SHOAL_TCP_CFG_SACK;
	for (uint64_t seed = 7; seed < 10; seed++) {
		struct run_result full = loopback_run(SHOAL_TCP_CFG_ALL, 3, 2, 0, seed);
		struct run_result slow = loopback_run(rto_only, UINT32_MAX, 2, 0, seed);
		/* both resend about what was lost; SACK + fast retransmit do it without waiting
		 * for timeouts, so the transfer completes much sooner */
		assert_true(full.retransmissions * 4 <= slow.retransmissions * 5);
		assert_true(full.timeouts * 4 < slow.timeouts);
		assert_true(full.elapsed_ms * 3 < slow.elapsed_ms * 2);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_loopback_all_options_clean_link),
	    cmocka_unit_test(test_loopback_all_options_lossy_reordering_link),
	    cmocka_unit_test(test_loopback_sack_and_fast_retransmit_beat_rto_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
