/* Tests for the TCP connection (spec §7) and a lossy loopback transfer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shoal/tcp_peer.h"

enum { CAPTURE_MAX = 64, PAYLOAD_MAX = 1000, RTO = 1000 };

struct sent {
	struct shoal_tcp_message msg;
	uint8_t data[PAYLOAD_MAX];
};

struct capture {
	struct sent out[CAPTURE_MAX];
	size_t n;
};

static void capture_fn(void *ctx, const struct shoal_tcp_message *msg)
{
	struct capture *c = ctx;
	assert_true(c->n < CAPTURE_MAX);
	struct sent *s = &c->out[c->n++];
	s->msg = *msg;
	if (msg->sender.payload_len)
		memcpy(s->data, msg->sender.payload, msg->sender.payload_len);
	s->msg.sender.payload = s->data;
}

struct fixture {
	struct shoal_tcp_peer p;
	struct capture cap;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct shoal_tcp_config cfg;
	shoal_tcp_config_defaults(&cfg);
	cfg.isn = 1000;
	if (!f || shoal_tcp_peer_init(&f->p, &cfg, capture_fn, &f->cap) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	shoal_tcp_peer_fini(&f->p);
	free(f);
	return 0;
}

/* Feeds a segment from the remote side (remote ISN 5000; it has acked our ack_rel). */
static void remote(struct fixture *f, uint32_t seq_rel, bool syn, const char *data, bool fin,
                   bool has_ack, uint32_t ack_rel)
{
	struct shoal_tcp_message m = {
	    .sender = {.seqno = 5000 + seq_rel,
	               .syn = syn,
	               .payload = (const uint8_t *)data,
	               .payload_len = data ? strlen(data) : 0,
	               .fin = fin},
	    .receiver = {.has_ackno = has_ack, .ackno = 1000 + ack_rel, .window_size = 10000},
	};
	shoal_tcp_peer_receive(&f->p, &m);
}

static const struct sent *last(struct fixture *f)
{
	assert_true(f->cap.n > 0);
	return &f->cap.out[f->cap.n - 1];
}

/* Handshake: we send SYN, remote sends SYN+ACK, we ack it. */
static void establish(struct fixture *f)
{
	shoal_tcp_peer_push(&f->p);
	assert_int_equal(f->cap.n, 1);
	assert_true(last(f)->msg.sender.syn);
	remote(f, 0, true, NULL, false, true, 1);
	assert_int_equal(f->cap.n, 2);
	assert_int_equal(last(f)->msg.receiver.ackno, 5001);
	assert_int_equal(shoal_tcp_sender_sequence_numbers_in_flight(&f->p.sender), 0);
}

/* Both streams done: we close and remote acks our FIN; remote sends FIN. */
static void finish_outbound(struct fixture *f, uint32_t remote_seq_rel)
{
	shoal_tcp_peer_close(&f->p);
	assert_true(last(f)->msg.sender.fin);
	remote(f, remote_seq_rel, false, NULL, false, true, 2);
}

static void test_config_defaults_are_the_spec_numbers(void **state)
{
	(void)state;
	struct shoal_tcp_config cfg;
	memset(&cfg, 0xa5, sizeof(cfg));
	shoal_tcp_config_defaults(&cfg);
	assert_int_equal(cfg.rt_timeout_ms, 1000);
	assert_int_equal(cfg.send_capacity, 64000);
	assert_int_equal(cfg.recv_capacity, 64000);
	assert_int_equal(cfg.max_payload, 1000);
	assert_int_equal(cfg.max_retransmissions, 8);
	assert_int_equal(cfg.window_cap, 65535);
	assert_int_equal(cfg.linger_factor, 10);
	assert_int_equal(cfg.options, SHOAL_TCP_OPT_NONE);
}

static void test_rule_1_inactive_peer_ignores_segments(void **state)
{
	struct fixture *f = *state;
	establish(f);
	shoal_byte_stream_set_error(shoal_tcp_peer_inbound(&f->p));
	assert_false(shoal_tcp_peer_active(&f->p));
	size_t before = f->cap.n;
	remote(f, 1, false, "data", false, true, 1);
	assert_int_equal(f->cap.n, before);
	assert_int_equal(shoal_byte_stream_bytes_pushed(shoal_tcp_peer_inbound(&f->p)), 0);
}

static void test_rule_1_segment_with_sequence_space_gets_reply(void **state)
{
	struct fixture *f = *state;
	establish(f);
	size_t before = f->cap.n;
	remote(f, 1, false, "abc", false, true, 1);
	assert_int_equal(f->cap.n, before + 1);
	const struct sent *s = last(f);
	assert_int_equal(s->msg.sender.payload_len, 0); /* nothing to send: empty ack */
	assert_false(s->msg.sender.syn || s->msg.sender.fin);
	assert_true(s->msg.receiver.has_ackno);
	assert_int_equal(s->msg.receiver.ackno, 5004);
	assert_int_equal(s->msg.receiver.window_size, 64000 - 3);
}

static void test_rule_1_reply_carries_data_when_any(void **state)
{
	struct fixture *f = *state;
	establish(f);
	shoal_byte_stream_push(shoal_tcp_peer_outbound(&f->p), (const uint8_t *)"xyz", 3);
	size_t before = f->cap.n;
	remote(f, 1, false, "abc", false, true, 1);
	assert_int_equal(f->cap.n, before + 1); /* one segment: data + ack, no extra empty one */
	assert_int_equal(last(f)->msg.sender.payload_len, 3);
	assert_int_equal(last(f)->msg.receiver.ackno, 5004);
}

static void test_rule_1_pure_ack_gets_no_reply(void **state)
{
	struct fixture *f = *state;
	establish(f);
	size_t before = f->cap.n;
	remote(f, 1, false, NULL, false, true, 1);
	assert_int_equal(f->cap.n, before);
}

static void test_rule_1_keepalive_gets_reply(void **state)
{
	struct fixture *f = *state;
	establish(f);
	size_t before = f->cap.n;
	remote(f, 0, false, NULL, false, true, 1); /* seqno one below our ackno 5001 */
	assert_int_equal(f->cap.n, before + 1);
	assert_int_equal(last(f)->msg.receiver.ackno, 5001);
	assert_int_equal(last(f)->msg.sender.seqno, 1001);
}

static void test_rule_1_every_segment_carries_receiver_state(void **state)
{
	struct fixture *f = *state;
	establish(f);
	remote(f, 1, false, "abcd", false, true, 1);
	shoal_byte_stream_push(shoal_tcp_peer_outbound(&f->p), (const uint8_t *)"hi", 2);
	shoal_tcp_peer_push(&f->p);
	assert_int_equal(last(f)->msg.sender.payload_len, 2);
	assert_int_equal(last(f)->msg.receiver.ackno, 5005);
	assert_int_equal(last(f)->msg.receiver.window_size, 64000 - 4);
	shoal_tcp_peer_tick(&f->p, RTO); /* retransmission carries it too */
	assert_int_equal(last(f)->msg.sender.payload_len, 2);
	assert_int_equal(last(f)->msg.receiver.ackno, 5005);
}

static void test_rule_2_no_linger_when_inbound_finished_first(void **state)
{
	struct fixture *f = *state;
	establish(f);
	remote(f, 1, false, NULL, true, true, 1); /* remote FIN before we closed */
	assert_true(shoal_tcp_peer_active(&f->p));
	finish_outbound(f, 2);
	assert_false(shoal_tcp_peer_active(&f->p)); /* done at once, no lingering */
}

static void test_rule_2_linger_when_outbound_finished_first(void **state)
{
	struct fixture *f = *state;
	establish(f);
	finish_outbound(f, 1); /* our FIN sent and acked */
	assert_true(shoal_tcp_peer_active(&f->p));
	shoal_tcp_peer_tick(&f->p, 500);
	remote(f, 1, false, NULL, true, true, 2); /* remote FIN */
	assert_int_equal(last(f)->msg.receiver.ackno, 5002);
	assert_true(shoal_tcp_peer_active(&f->p));
	shoal_tcp_peer_tick(&f->p, 10 * RTO - 1);
	assert_true(shoal_tcp_peer_active(&f->p));
	/* a retransmitted FIN restarts the linger period (and is acked again) */
	remote(f, 1, false, NULL, true, true, 2);
	assert_int_equal(last(f)->msg.receiver.ackno, 5002);
	shoal_tcp_peer_tick(&f->p, 10 * RTO - 1);
	assert_true(shoal_tcp_peer_active(&f->p));
	shoal_tcp_peer_tick(&f->p, 1);
	assert_false(shoal_tcp_peer_active(&f->p));
}

static void test_rule_3_active_while_data_unsent_or_in_flight(void **state)
{
	struct fixture *f = *state;
	assert_true(shoal_tcp_peer_active(&f->p)); /* inbound not closed */
	establish(f);
	remote(f, 1, false, NULL, true, true, 1);  /* inbound closed, no linger needed */
	assert_true(shoal_tcp_peer_active(&f->p)); /* outbound not finished */
	shoal_byte_stream_close(shoal_tcp_peer_outbound(&f->p));
	assert_true(shoal_tcp_peer_active(&f->p)); /* FIN not sent yet */
	shoal_tcp_peer_push(&f->p);
	assert_true(last(f)->msg.sender.fin);
	assert_true(shoal_tcp_peer_active(&f->p)); /* FIN in flight */
	remote(f, 2, false, NULL, false, true, 2);
	assert_false(shoal_tcp_peer_active(&f->p));
}

static void test_rule_3_error_makes_inactive(void **state)
{
	struct fixture *f = *state;
	establish(f);
	shoal_byte_stream_set_error(shoal_tcp_peer_outbound(&f->p));
	assert_false(shoal_tcp_peer_active(&f->p));
}

static void test_rst_received_makes_inactive_without_reply(void **state)
{
	struct fixture *f = *state;
	establish(f);
	size_t before = f->cap.n;
	struct shoal_tcp_message m = {.sender = {.seqno = 5001, .rst = true}};
	shoal_tcp_peer_receive(&f->p, &m);
	assert_false(shoal_tcp_peer_active(&f->p));
	assert_true(shoal_byte_stream_has_error(shoal_tcp_peer_inbound(&f->p)));
	assert_int_equal(f->cap.n, before);
}

static void test_abort_after_too_many_retransmissions_sends_rst(void **state)
{
	struct fixture *f = *state;
	shoal_tcp_peer_push(&f->p); /* SYN, never answered */
	uint64_t rto = RTO;
	for (int i = 0; i < 8; i++) {
		shoal_tcp_peer_tick(&f->p, rto);
		rto *= 2;
		assert_true(last(f)->msg.sender.syn);
		assert_false(last(f)->msg.sender.rst);
		assert_true(shoal_tcp_peer_active(&f->p));
	}
	size_t before = f->cap.n;
	shoal_tcp_peer_tick(&f->p, rto); /* 9th retransmission: more than 8 */
	assert_int_equal(f->cap.n, before + 2);
	assert_true(f->cap.out[before].msg.sender.syn);
	assert_true(last(f)->msg.sender.rst);
	assert_true(last(f)->msg.receiver.rst);
	assert_false(shoal_tcp_peer_active(&f->p));
	assert_true(shoal_byte_stream_has_error(shoal_tcp_peer_outbound(&f->p)));
	assert_true(shoal_byte_stream_has_error(shoal_tcp_peer_inbound(&f->p)));
	shoal_tcp_peer_tick(&f->p, 100 * rto); /* dead: nothing more goes out */
	assert_int_equal(f->cap.n, before + 2);
}

/* ---- loopback: two peers back to back over a lossy, reordering link ---- */

enum { LINK_MAX = 4096, XFER = 1 << 20 };

struct wire_seg {
	struct shoal_tcp_message msg;
	uint8_t data[PAYLOAD_MAX];
};

struct link {
	struct wire_seg *q; /* LINK_MAX segments in flight */
	size_t n;
	uint64_t *seed;
	unsigned drop_pct;
	uint64_t sent;
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
	if (prng(l->seed) % 100 < l->drop_pct)
		return;
	assert_true(l->n < LINK_MAX);
	struct wire_seg *w = &l->q[l->n++];
	w->msg = *msg;
	assert_true(msg->sender.payload_len <= PAYLOAD_MAX);
	if (msg->sender.payload_len)
		memcpy(w->data, msg->sender.payload, msg->sender.payload_len);
	w->msg.sender.payload = w->data;
}

/* Delivers every queued segment of l to p, in a shuffled order when reorder is set. */
static void link_deliver(struct link *l, struct shoal_tcp_peer *p, bool reorder)
{
	static struct wire_seg batch[LINK_MAX];
	size_t n = l->n;
	memcpy(batch, l->q, n * sizeof(batch[0]));
	l->n = 0;
	for (size_t i = 0; reorder && n > 1 && i < n; i++) {
		size_t j = (size_t)(prng(l->seed) % n);
		struct wire_seg t = batch[i];
		batch[i] = batch[j];
		batch[j] = t;
	}
	for (size_t i = 0; i < n; i++) {
		batch[i].msg.sender.payload = batch[i].data;
		shoal_tcp_peer_receive(p, &batch[i].msg);
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
	size_t room = XFER + 1 - e->got_n;
	e->got_n += shoal_byte_stream_read(in, e->got + e->got_n, room);
}

static void loopback_run(unsigned drop_pct, bool reorder, uint64_t seed_value)
{
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
	ab->seed = ba->seed = &seed;
	ab->drop_pct = ba->drop_pct = drop_pct;
	a->to_send = a_data;
	b->to_send = b_data;
	a->got = malloc(XFER + 1);
	b->got = malloc(XFER + 1);
	struct shoal_tcp_config cfg;
	shoal_tcp_config_defaults(&cfg);
	cfg.isn = 0xfffff000u; /* wraps during the transfer */
	assert_int_equal(shoal_tcp_peer_init(&a->peer, &cfg, link_send, ab), 0);
	cfg.isn = 12345;
	assert_int_equal(shoal_tcp_peer_init(&b->peer, &cfg, link_send, ba), 0);

	uint64_t now = 0;
	while (shoal_tcp_peer_active(&a->peer) || shoal_tcp_peer_active(&b->peer)) {
		endpoint_pump(a);
		endpoint_pump(b);
		link_deliver(ab, &b->peer, reorder);
		link_deliver(ba, &a->peer, reorder);
		if (ab->n == 0 && ba->n == 0) {
			shoal_tcp_peer_tick(&a->peer, 10);
			shoal_tcp_peer_tick(&b->peer, 10);
			now += 10;
		}
		assert_true(now < 3600u * 1000u); /* simulated hour: something is stuck */
	}
	assert_false(shoal_byte_stream_has_error(shoal_tcp_peer_inbound(&a->peer)));
	assert_false(shoal_byte_stream_has_error(shoal_tcp_peer_inbound(&b->peer)));
	assert_true(shoal_byte_stream_is_finished(shoal_tcp_peer_inbound(&a->peer)));
	assert_true(shoal_byte_stream_is_finished(shoal_tcp_peer_inbound(&b->peer)));
	assert_int_equal(a->got_n, XFER);
	assert_int_equal(b->got_n, XFER);
	assert_memory_equal(a->got, b_data, XFER);
	assert_memory_equal(b->got, a_data, XFER);

	shoal_tcp_peer_fini(&b->peer);
	shoal_tcp_peer_fini(&a->peer);
	free(b->got);
	free(a->got);
	free(ba->q);
	free(ab->q);
	free(ba);
	free(ab);
	free(b);
	free(a);
	free(b_data);
	free(a_data);
}

static void test_loopback_1mb_both_ways_clean_link(void **state)
{
	(void)state;
	loopback_run(0, false, 1);
}

static void test_loopback_1mb_both_ways_lossy_reordering_link(void **state)
{
	(void)state;
	loopback_run(3, true, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_config_defaults_are_the_spec_numbers),
	    cmocka_unit_test_setup_teardown(test_rule_1_inactive_peer_ignores_segments, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_rule_1_segment_with_sequence_space_gets_reply,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rule_1_reply_carries_data_when_any, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_rule_1_pure_ack_gets_no_reply, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rule_1_keepalive_gets_reply, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rule_1_every_segment_carries_receiver_state, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_rule_2_no_linger_when_inbound_finished_first,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rule_2_linger_when_outbound_finished_first, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_rule_3_active_while_data_unsent_or_in_flight,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rule_3_error_makes_inactive, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rst_received_makes_inactive_without_reply, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_abort_after_too_many_retransmissions_sends_rst,
	                                    setup, teardown),
	    cmocka_unit_test(test_loopback_1mb_both_ways_clean_link),
	    cmocka_unit_test(test_loopback_1mb_both_ways_lossy_reordering_link),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
