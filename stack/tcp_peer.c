/* tcp_peer.c — TCP connection; contract in include/shoal/tcp_peer.h. */
#include "shoal/tcp_peer.h"

#include <string.h>

#include "shoal/wrap32.h"

static bool peer_opt(const struct shoal_tcp_peer *p, uint32_t opt)
{
	return (p->options & opt) != 0;
}

static void peer_drop(struct shoal_tcp_peer *p, enum shoal_tcp_drop why)
{
	p->counters.drops[why]++;
}

int shoal_tcp_peer_init(struct shoal_tcp_peer *p, const struct shoal_tcp_config *cfg,
                        shoal_tcp_transmit_fn transmit, void *ctx)
{
	memset(p, 0, sizeof(*p));
	if (shoal_tcp_sender_init(&p->sender, cfg) != 0)
		return -1;
	if (shoal_tcp_receiver_init(&p->receiver, cfg) != 0) {
		shoal_tcp_sender_fini(&p->sender);
		return -1;
	}
	p->transmit = transmit;
	p->ctx = ctx;
	p->linger_ms = cfg->linger_factor * cfg->rt_timeout_ms;
	p->max_retx = cfg->max_retransmissions;
	p->linger_after_streams_finish = true;
	p->options = cfg->options;
	p->our_mss = (uint16_t)(cfg->mss ? cfg->mss
	                                 : (cfg->max_payload > 0xffff ? 0xffff : cfg->max_payload));
	p->our_wscale = cfg->wscale > SHOAL_TCP_MAX_WSCALE ? SHOAL_TCP_MAX_WSCALE : cfg->wscale;
	p->peer_wscale = -1;
	p->delack_ms = cfg->delack_ms;
	p->ka_idle_ms = cfg->keepalive_idle_ms;
	p->ka_intvl_ms = cfg->keepalive_intvl_ms;
	p->ka_probes = cfg->keepalive_probes;
	p->challenge_limit = cfg->challenge_ack_limit;
	if (peer_opt(p, SHOAL_TCP_CFG_TIME_WAIT))
		p->linger_ms = 2 * cfg->msl_ms;
	return 0;
}

void shoal_tcp_peer_fini(struct shoal_tcp_peer *p)
{
	shoal_tcp_receiver_fini(&p->receiver);
	shoal_tcp_sender_fini(&p->sender);
	memset(p, 0, sizeof(*p));
}

struct shoal_byte_stream *shoal_tcp_peer_outbound(struct shoal_tcp_peer *p)
{
	return shoal_tcp_sender_outbound(&p->sender);
}

struct shoal_byte_stream *shoal_tcp_peer_inbound(struct shoal_tcp_peer *p)
{
	return shoal_tcp_receiver_inbound(&p->receiver);
}

/* The options a segment carries: SYN options (offered on an active SYN, echoed on a
 * SYN+ACK), timestamps and SACK blocks once negotiated. */
static void peer_fill_options(struct shoal_tcp_peer *p, struct shoal_tcp_message *m)
{
	struct shoal_tcp_options *o = &m->opts;
	bool syn = m->sender.syn;
	bool offer = syn && !shoal_tcp_receiver_has_isn(&p->receiver); /* active SYN */
	if (syn) {
		o->has_mss = peer_opt(p, SHOAL_TCP_CFG_MSS);
		o->mss = p->our_mss;
		o->has_wscale = peer_opt(p, SHOAL_TCP_CFG_WSCALE) && (offer || p->wscale_ok);
		o->wscale = p->our_wscale;
		o->sack_permitted = peer_opt(p, SHOAL_TCP_CFG_SACK) && (offer || p->sack_ok);
		o->has_timestamps = peer_opt(p, SHOAL_TCP_CFG_TIMESTAMPS) && (offer || p->ts_ok);
		/* RFC 7323 §2.2: the window of a SYN is never scaled */
		size_t room = shoal_byte_stream_available_capacity(
		    shoal_tcp_receiver_inbound_const(&p->receiver));
		uint32_t cap = p->receiver.window_cap;
		m->receiver.window_size = (uint16_t)(room > cap ? cap : room);
	} else {
		o->has_timestamps = p->ts_ok;
	}
	if (o->has_timestamps) {
		o->ts_val = shoal_tcp_sender_ts_now(&p->sender);
		o->ts_ecr = m->receiver.has_ackno ? p->ts_recent : 0;
	}
	if (p->sack_ok && !syn && m->receiver.has_ackno)
		o->sack_count = (uint8_t)shoal_tcp_receiver_sack_blocks(
		    &p->receiver, o->sack, o->has_timestamps ? 3 : SHOAL_TCP_MAX_SACK_BLOCKS);
}

/* Adds the receiver half to a sender message and transmits the whole segment. */
static void peer_segment_send(void *ctx, const struct shoal_tcp_sender_msg *smsg)
{
	struct shoal_tcp_peer *p = ctx;
	struct shoal_tcp_message m = {
	    .sender = *smsg,
	    .receiver = shoal_tcp_receiver_send(&p->receiver),
	};
	if (p->options) {
		peer_fill_options(p, &m);
		p->last_ack_sent = m.receiver.ackno;
		p->ack_delayed = false;
		p->delayed_segs = 0;
	}
	p->transmit(p->ctx, &m);
	p->reply_owed = false;
}

static bool peer_outbound_done(const struct shoal_tcp_peer *p)
{
	return shoal_byte_stream_is_finished(shoal_tcp_sender_outbound_const(&p->sender)) &&
	       shoal_tcp_sender_fin_sent(&p->sender) &&
	       shoal_tcp_sender_sequence_numbers_in_flight(&p->sender) == 0;
}

static bool peer_has_error(const struct shoal_tcp_peer *p)
{
	return shoal_byte_stream_has_error(shoal_tcp_sender_outbound_const(&p->sender)) ||
	       shoal_byte_stream_has_error(shoal_tcp_receiver_inbound_const(&p->receiver));
}

bool shoal_tcp_peer_active(const struct shoal_tcp_peer *p)
{
	const struct shoal_byte_stream *in = shoal_tcp_receiver_inbound_const(&p->receiver);
	if (peer_has_error(p))
		return false;
	if (!peer_outbound_done(p) || !shoal_byte_stream_is_closed(in))
		return true;
	return p->linger_after_streams_finish && p->now_ms < p->last_receipt_ms + p->linger_ms;
}

void shoal_tcp_peer_push(struct shoal_tcp_peer *p)
{
	shoal_tcp_sender_push(&p->sender, peer_segment_send, p);
	if (p->reply_owed) {
		struct shoal_tcp_sender_msg empty = shoal_tcp_sender_make_empty_message(&p->sender);
		peer_segment_send(p, &empty);
	}
}

static void peer_receive_minnow(struct shoal_tcp_peer *p, const struct shoal_tcp_message *msg)
{
	p->last_receipt_ms = p->now_ms;
	if (shoal_tcp_sender_msg_sequence_length(&msg->sender) > 0)
		p->reply_owed = true;
	struct shoal_tcp_receiver_msg ours = shoal_tcp_receiver_send(&p->receiver);
	if (ours.has_ackno && (uint32_t)(msg->sender.seqno + 1) == ours.ackno)
		p->reply_owed = true; /* keep-alive */
	shoal_tcp_receiver_receive(&p->receiver, &msg->sender);
	shoal_tcp_sender_receive(&p->sender, &msg->receiver);
	if (shoal_byte_stream_is_closed(shoal_tcp_receiver_inbound(&p->receiver)) &&
	    !shoal_byte_stream_is_finished(shoal_tcp_sender_outbound(&p->sender)))
		p->linger_after_streams_finish = false;
	if (msg->sender.rst || msg->receiver.rst) {
		p->reply_owed = false; /* never answer a reset */
		return;
	}
	shoal_tcp_peer_push(p);
}

/* Sends a bare ACK now (our next seqno, current ackno/window/options). */
static void peer_send_ack(struct shoal_tcp_peer *p)
{
	struct shoal_tcp_sender_msg empty = shoal_tcp_sender_make_empty_message(&p->sender);
	peer_segment_send(p, &empty);
}

/* RFC 5961 §7: at most challenge_limit challenge ACKs per second. */
static void peer_challenge_ack(struct shoal_tcp_peer *p)
{
	if (p->now_ms >= p->challenge_window_start + 1000) {
		p->challenge_window_start = p->now_ms;
		p->challenge_count = 0;
	}
	if (p->challenge_count >= p->challenge_limit)
		return;
	p->challenge_count++;
	p->counters.challenge_acks++;
	peer_send_ack(p);
}

/* An RST (no ACK) with the given seqno, for segments that must be refused. */
static void peer_send_rst(struct shoal_tcp_peer *p, uint32_t seqno)
{
	struct shoal_tcp_message m = {.sender = {.seqno = seqno, .rst = true}};
	p->transmit(p->ctx, &m);
}

static void peer_reset(struct shoal_tcp_peer *p)
{
	shoal_byte_stream_set_error(shoal_tcp_sender_outbound(&p->sender));
	shoal_byte_stream_set_error(shoal_tcp_receiver_inbound(&p->receiver));
}

/* Settles the SYN options from the peer's SYN (RFC 7323 §1.3, RFC 2018 §2). */
static void peer_negotiate(struct shoal_tcp_peer *p, const struct shoal_tcp_options *o)
{
	p->negotiated = true;
	p->wscale_ok = peer_opt(p, SHOAL_TCP_CFG_WSCALE) && o->has_wscale;
	p->sack_ok = peer_opt(p, SHOAL_TCP_CFG_SACK) && o->sack_permitted;
	p->ts_ok = peer_opt(p, SHOAL_TCP_CFG_TIMESTAMPS) && o->has_timestamps;
	p->peer_wscale = p->wscale_ok ? o->wscale : -1;
	if (p->ts_ok)
		p->ts_recent = o->ts_val;
	shoal_tcp_sender_negotiate(&p->sender, o->has_mss ? o->mss : 0, p->peer_wscale, p->sack_ok,
	                           p->ts_ok);
	if (p->wscale_ok)
		shoal_tcp_receiver_set_wscale(&p->receiver, p->our_wscale);
}

/* Signed 32-bit sequence comparison: a - b < 0. */
static bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

/* RFC 5961 §3.2 / RFC 1337: true when an RST is to be acted upon (else counted). */
static bool peer_rst_acceptable(struct shoal_tcp_peer *p, const struct shoal_tcp_message *msg,
                                enum shoal_tcp_state st)
{
	if (st == SHOAL_TCP_STATE_SYN_SENT) { /* RFC 9293: only with an ack of our SYN */
		if (msg->receiver.has_ackno &&
		    msg->receiver.ackno ==
		        shoal_wrap32_wrap(shoal_tcp_sender_next(&p->sender), p->sender.isn))
			return true;
		peer_drop(p, SHOAL_TCP_DROP_RST_SYN_SENT);
		return false;
	}
	if (st == SHOAL_TCP_STATE_TIME_WAIT && peer_opt(p, SHOAL_TCP_CFG_TIME_WAIT)) {
		peer_drop(p, SHOAL_TCP_DROP_RST_TIME_WAIT); /* RFC 1337 */
		return false;
	}
	if (!peer_opt(p, SHOAL_TCP_CFG_RST_VALIDATION))
		return true;
	struct shoal_tcp_receiver_msg ours = shoal_tcp_receiver_send(&p->receiver);
	if (msg->sender.seqno == ours.ackno)
		return true;
	uint32_t wnd = (uint32_t)ours.window_size << p->receiver.rcv_wscale;
	uint32_t off = msg->sender.seqno - ours.ackno;
	if (off < (wnd ? wnd : 1)) {
		peer_drop(p, SHOAL_TCP_DROP_RST_IN_WINDOW);
		peer_challenge_ack(p); /* in the window but not exact: RFC 5961 §3.2 */
	} else {
		peer_drop(p, SHOAL_TCP_DROP_RST_OUT_OF_WINDOW);
	}
	return false;
}

/* RFC 5961 §5.2: an ACK beyond SND.NXT or below SND.UNA - MAX.SND.WND is not acceptable. */
static bool peer_ack_acceptable(const struct shoal_tcp_peer *p, uint32_t ackno)
{
	uint64_t next = shoal_tcp_sender_next(&p->sender);
	uint64_t abs = shoal_wrap32_unwrap(ackno, p->sender.isn, next);
	uint64_t una = shoal_tcp_sender_una(&p->sender);
	return abs <= next && abs + p->max_snd_wnd >= una;
}

/* Decides how the segment is acknowledged: at once, delayed, or not at all. */
static void peer_note_reply(struct shoal_tcp_peer *p, const struct shoal_tcp_message *msg,
                            uint32_t ack_before, uint32_t ack_after)
{
	uint64_t seqlen = shoal_tcp_sender_msg_sequence_length(&msg->sender);
	if (seqlen == 0) {
		if (ack_before && (uint32_t)(msg->sender.seqno + 1) == ack_before)
			p->reply_owed = true; /* keep-alive */
		return;
	}
	bool in_order_data =
	    !msg->sender.syn && !msg->sender.fin && msg->sender.seqno == ack_before &&
	    ack_after - ack_before == msg->sender.payload_len && p->receiver.nblocks == 0;
	if (!peer_opt(p, SHOAL_TCP_CFG_DELAYED_ACK) || !in_order_data) {
		p->reply_owed = true;
		return;
	}
	p->delayed_segs++;
	if (p->delayed_segs >= 2) { /* ack at least every second segment */
		p->reply_owed = true;
		return;
	}
	if (!p->ack_delayed) {
		p->ack_delayed = true;
		p->delack_deadline = p->now_ms + p->delack_ms;
	}
}

static void peer_receive_options(struct shoal_tcp_peer *p, const struct shoal_tcp_message *msg)
{
	enum shoal_tcp_state st = shoal_tcp_peer_state(p);
	bool rst = msg->sender.rst || msg->receiver.rst;
	if (st == SHOAL_TCP_STATE_LISTEN) {
		if (rst) {
			peer_drop(p, SHOAL_TCP_DROP_LISTEN_NOT_SYN);
			return;
		}
		if (msg->receiver.has_ackno) { /* RFC 9293 §3.10.7.2 */
			peer_drop(p, SHOAL_TCP_DROP_LISTEN_ACK);
			peer_send_rst(p, msg->receiver.ackno);
			return;
		}
		if (!msg->sender.syn) {
			peer_drop(p, SHOAL_TCP_DROP_LISTEN_NOT_SYN);
			return;
		}
	}
	if (st == SHOAL_TCP_STATE_SYN_SENT && !rst && msg->receiver.has_ackno &&
	    !peer_ack_acceptable(p, msg->receiver.ackno)) {
		peer_drop(p, SHOAL_TCP_DROP_SYN_SENT_BAD_ACK);
		peer_send_rst(p, msg->receiver.ackno); /* RFC 9293 §3.10.7.3 */
		return;
	}
	if (rst) {
		if (peer_rst_acceptable(p, msg, st))
			peer_reset(p);
		return;
	}
	bool synchronized = shoal_tcp_receiver_has_isn(&p->receiver);
	if (synchronized && msg->sender.syn) {
		if (st == SHOAL_TCP_STATE_SYN_RECEIVED && msg->sender.seqno == p->receiver.isn) {
			/* the SYN again: our SYN+ACK was lost */
			shoal_tcp_sender_retransmit_oldest(&p->sender, peer_segment_send, p);
			return;
		}
		if (peer_opt(p, SHOAL_TCP_CFG_RST_VALIDATION)) {
			peer_drop(p, SHOAL_TCP_DROP_SYN_SYNCHRONIZED);
			peer_challenge_ack(p); /* RFC 5961 §4.2 */
			return;
		}
	}
	if (synchronized && p->ts_ok && msg->opts.has_timestamps &&
	    seq_lt(msg->opts.ts_val, p->ts_recent)) { /* PAWS, RFC 7323 §5.3 */
		peer_drop(p, SHOAL_TCP_DROP_PAWS);
		peer_send_ack(p);
		return;
	}
	if (synchronized && msg->receiver.has_ackno && peer_opt(p, SHOAL_TCP_CFG_RST_VALIDATION) &&
	    shoal_tcp_sender_una(&p->sender) > 0 && !peer_ack_acceptable(p, msg->receiver.ackno)) {
		peer_drop(p, SHOAL_TCP_DROP_ACK_UNACCEPTABLE);
		peer_challenge_ack(p); /* RFC 5961 §5.2 */
		return;
	}

	p->last_receipt_ms = p->now_ms;
	p->ka_sent = 0;
	struct shoal_tcp_receiver_msg before = shoal_tcp_receiver_send(&p->receiver);
	uint32_t ack_before = before.has_ackno ? before.ackno : 0;
	if (synchronized && p->ts_ok && msg->opts.has_timestamps &&
	    !seq_lt(p->last_ack_sent, msg->sender.seqno) && !seq_lt(msg->opts.ts_val, p->ts_recent))
		p->ts_recent = msg->opts.ts_val; /* RFC 7323 §4.3 */
	shoal_tcp_receiver_receive(&p->receiver, &msg->sender);
	shoal_tcp_sender_receive_segment(&p->sender, &msg->receiver,
	                                 shoal_tcp_sender_msg_sequence_length(&msg->sender),
	                                 &msg->opts);
	if (msg->sender.syn && !p->negotiated)
		peer_negotiate(p, &msg->opts);
	uint32_t wnd = shoal_tcp_sender_window(&p->sender);
	if (wnd > p->max_snd_wnd)
		p->max_snd_wnd = wnd;
	struct shoal_tcp_receiver_msg after = shoal_tcp_receiver_send(&p->receiver);
	if (shoal_byte_stream_is_closed(shoal_tcp_receiver_inbound(&p->receiver)) &&
	    !shoal_byte_stream_is_finished(shoal_tcp_sender_outbound(&p->sender)))
		p->linger_after_streams_finish = false;
	peer_note_reply(p, msg, ack_before, after.ackno);
	shoal_tcp_peer_push(p);
}

void shoal_tcp_peer_receive(struct shoal_tcp_peer *p, const struct shoal_tcp_message *msg)
{
	if (!shoal_tcp_peer_active(p)) {
		peer_drop(p, SHOAL_TCP_DROP_INACTIVE);
		return;
	}
	if (p->options == 0)
		peer_receive_minnow(p, msg);
	else
		peer_receive_options(p, msg);
}

size_t shoal_tcp_peer_write(struct shoal_tcp_peer *p, const uint8_t *data, size_t len)
{
	size_t n = shoal_byte_stream_push(shoal_tcp_sender_outbound(&p->sender), data, len);
	shoal_tcp_peer_push(p);
	return n;
}

void shoal_tcp_peer_close(struct shoal_tcp_peer *p)
{
	shoal_byte_stream_close(shoal_tcp_sender_outbound(&p->sender));
	shoal_tcp_peer_push(p);
}

void shoal_tcp_peer_connect(struct shoal_tcp_peer *p)
{
	p->passive = false;
	shoal_tcp_peer_push(p);
}

void shoal_tcp_peer_listen(struct shoal_tcp_peer *p)
{
	p->passive = true;
}

void shoal_tcp_peer_abort(struct shoal_tcp_peer *p)
{
	if (peer_has_error(p))
		return;
	peer_reset(p);
	struct shoal_tcp_sender_msg rst = shoal_tcp_sender_make_empty_message(&p->sender);
	peer_segment_send(p, &rst);
}

/* RFC 1122 §4.2.3.6: probes while established, idle and nothing in flight or unsent. */
static void peer_keepalive(struct shoal_tcp_peer *p)
{
	enum shoal_tcp_state st = shoal_tcp_peer_state(p);
	if (st != SHOAL_TCP_STATE_ESTABLISHED && st != SHOAL_TCP_STATE_CLOSE_WAIT)
		return;
	if (shoal_tcp_sender_sequence_numbers_in_flight(&p->sender) > 0 ||
	    shoal_byte_stream_bytes_buffered(shoal_tcp_sender_outbound_const(&p->sender)) > 0)
		return;
	uint64_t due =
	    p->ka_sent == 0 ? p->last_receipt_ms + p->ka_idle_ms : p->ka_last_ms + p->ka_intvl_ms;
	if (p->now_ms < due)
		return;
	if (p->ka_sent >= p->ka_probes) {
		shoal_tcp_peer_abort(p);
		return;
	}
	struct shoal_tcp_sender_msg probe = shoal_tcp_sender_make_empty_message(&p->sender);
	probe.seqno--;
	p->ka_sent++;
	p->ka_last_ms = p->now_ms;
	p->counters.keepalives_sent++;
	peer_segment_send(p, &probe);
}

void shoal_tcp_peer_tick(struct shoal_tcp_peer *p, uint64_t ms)
{
	p->now_ms += ms;
	if (peer_has_error(p))
		return; /* reset or aborted: nothing more goes out */
	shoal_tcp_sender_tick(&p->sender, ms, peer_segment_send, p);
	if (shoal_tcp_sender_consecutive_retransmissions(&p->sender) > p->max_retx) {
		shoal_tcp_peer_abort(p);
		return;
	}
	if (p->options == 0)
		return;
	shoal_tcp_sender_push(&p->sender, peer_segment_send, p);
	if (p->ack_delayed && p->now_ms >= p->delack_deadline)
		peer_send_ack(p);
	if (peer_opt(p, SHOAL_TCP_CFG_KEEPALIVE))
		peer_keepalive(p);
}

enum shoal_tcp_state shoal_tcp_peer_state(const struct shoal_tcp_peer *p)
{
	const struct shoal_tcp_sender *s = &p->sender;
	const struct shoal_byte_stream *in = shoal_tcp_receiver_inbound_const(&p->receiver);
	bool have_syn = shoal_tcp_receiver_has_isn(&p->receiver);
	if (peer_has_error(p))
		return SHOAL_TCP_STATE_CLOSED;
	if (!s->syn_sent && !have_syn)
		return p->passive ? SHOAL_TCP_STATE_LISTEN : SHOAL_TCP_STATE_CLOSED;
	if (!have_syn)
		return SHOAL_TCP_STATE_SYN_SENT;
	if (shoal_tcp_sender_una(s) == 0)
		return SHOAL_TCP_STATE_SYN_RECEIVED;
	bool in_closed = shoal_byte_stream_is_closed(in);
	bool fin_acked = s->fin_sent && shoal_tcp_sender_sequence_numbers_in_flight(s) == 0;
	if (!s->fin_sent)
		return in_closed ? SHOAL_TCP_STATE_CLOSE_WAIT : SHOAL_TCP_STATE_ESTABLISHED;
	if (!in_closed)
		return fin_acked ? SHOAL_TCP_STATE_FIN_WAIT_2 : SHOAL_TCP_STATE_FIN_WAIT_1;
	if (!fin_acked)
		return p->linger_after_streams_finish ? SHOAL_TCP_STATE_CLOSING
		                                      : SHOAL_TCP_STATE_LAST_ACK;
	return shoal_tcp_peer_active(p) ? SHOAL_TCP_STATE_TIME_WAIT : SHOAL_TCP_STATE_CLOSED;
}

const char *shoal_tcp_drop_name(enum shoal_tcp_drop d)
{
#define SHOAL_TCP_DROP_NAME_(suffix, name, desc) [SHOAL_TCP_DROP_##suffix] = name,
	static const char *const names[] = {SHOAL_TCP_DROPS(SHOAL_TCP_DROP_NAME_)};
#undef SHOAL_TCP_DROP_NAME_
	if ((unsigned)d >= SHOAL_TCP_DROP_COUNT_)
		return "?";
	return names[d];
}

const char *shoal_tcp_state_name(enum shoal_tcp_state st)
{
#define SHOAL_TCP_STATE_NAME_(suffix, name) [SHOAL_TCP_STATE_##suffix] = name,
	static const char *const names[] = {SHOAL_TCP_STATES(SHOAL_TCP_STATE_NAME_)};
#undef SHOAL_TCP_STATE_NAME_
	if ((unsigned)st >= SHOAL_TCP_STATE_COUNT_)
		return "?";
	return names[st];
}

void shoal_tcp_peer_get_info(const struct shoal_tcp_peer *p, struct shoal_tcp_peer_info *out)
{
	const struct shoal_tcp_sender *s = &p->sender;
	const struct shoal_tcp_sender_stats *stats = shoal_tcp_sender_stats(s);
	*out = p->counters;
	out->state = shoal_tcp_peer_state(p);
	out->snd_wnd = shoal_tcp_sender_window(s);
	struct shoal_tcp_receiver_msg r = shoal_tcp_receiver_send(&p->receiver);
	out->rcv_wnd = (uint32_t)r.window_size << p->receiver.rcv_wscale;
	out->cwnd = shoal_tcp_sender_cwnd(s);
	out->ssthresh = shoal_tcp_sender_ssthresh(s);
	out->srtt_us = shoal_tcp_sender_srtt_us(s);
	out->rto_ms = shoal_tcp_sender_rto(s);
	out->retransmissions = stats->retransmissions;
	out->bytes_in =
	    shoal_byte_stream_bytes_pushed(shoal_tcp_receiver_inbound_const(&p->receiver));
	out->bytes_out = stats->bytes_sent;
	out->mss = (uint32_t)s->mss;
	out->snd_wscale = p->wscale_ok ? p->peer_wscale : -1;
	out->rcv_wscale = p->wscale_ok ? p->our_wscale : -1;
	out->sack = p->sack_ok;
	out->timestamps = p->ts_ok;
}
