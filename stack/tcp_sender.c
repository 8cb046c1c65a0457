/* tcp_sender.c — TCP sender; contract in include/shoal/tcp_sender.h. */
#include "shoal/tcp_sender.h"

#include <stdlib.h>
#include <string.h>

#include "shoal/wrap32.h"

enum { SENDER_DEFAULT_MSS = 536 }; /* RFC 9293 §3.7.1: assumed without an MSS option */

static bool sender_opt(const struct shoal_tcp_sender *s, uint32_t opt)
{
	return (s->options & opt) != 0;
}

int shoal_tcp_sender_init(struct shoal_tcp_sender *s, const struct shoal_tcp_config *cfg)
{
	memset(s, 0, sizeof(*s));
	if (cfg->max_payload == 0 || cfg->max_outstanding_segments == 0 ||
	    (cfg->options & ~(uint32_t)SHOAL_TCP_CFG_ALL) != 0)
		return -1;
	if (shoal_byte_stream_init(&s->outbound, cfg->send_capacity) != 0)
		return -1;
	s->seg_cap = cfg->max_outstanding_segments;
	s->segs = calloc(s->seg_cap, sizeof(*s->segs));
	if (!s->segs)
		goto fail_segs;
	s->ring_cap = SHOAL_TCP_MAX_WINDOW + cfg->max_payload;
	if ((cfg->options & SHOAL_TCP_CFG_WSCALE) && cfg->send_capacity > SHOAL_TCP_MAX_WINDOW)
		s->ring_cap = cfg->send_capacity + cfg->max_payload;
	s->ring = malloc(s->ring_cap);
	if (!s->ring)
		goto fail_ring;
	s->max_payload = cfg->max_payload;
	s->scratch = malloc(s->max_payload);
	if (!s->scratch)
		goto fail_scratch;
	s->isn = cfg->isn;
	s->initial_rto = cfg->rt_timeout_ms;
	s->rto = cfg->rt_timeout_ms;
	s->window = 1; /* assumed until the first receiver message */
	s->options = cfg->options;
	s->mss = cfg->max_payload;
	s->ts_offset = cfg->ts_offset;
	s->min_rto = cfg->min_rto_ms;
	s->max_rto = cfg->max_rto_ms ? cfg->max_rto_ms : UINT64_MAX;
	s->dupack_threshold = cfg->dupack_threshold ? cfg->dupack_threshold : 3;
	s->initial_cwnd_segs = cfg->initial_cwnd_segs;
	s->cwnd = UINT64_MAX;
	s->ssthresh = UINT64_MAX;
	if (sender_opt(s, SHOAL_TCP_CFG_CONGESTION))
		shoal_tcp_sender_negotiate(s, (uint16_t)(s->mss > 0xffff ? 0xffff : s->mss), -1,
		                           false, false);
	return 0;

fail_scratch:
	free(s->ring);
fail_ring:
	free(s->segs);
fail_segs:
	shoal_byte_stream_fini(&s->outbound);
	memset(s, 0, sizeof(*s));
	return -1;
}

void shoal_tcp_sender_fini(struct shoal_tcp_sender *s)
{
	free(s->scratch);
	free(s->ring);
	free(s->segs);
	shoal_byte_stream_fini(&s->outbound);
	memset(s, 0, sizeof(*s));
}

struct shoal_byte_stream *shoal_tcp_sender_outbound(struct shoal_tcp_sender *s)
{
	return &s->outbound;
}

const struct shoal_byte_stream *shoal_tcp_sender_outbound_const(const struct shoal_tcp_sender *s)
{
	return &s->outbound;
}

/* RFC 5681 §3.1 initial window from the MSS (or initial_cwnd_segs segments). */
static uint64_t sender_initial_window(const struct shoal_tcp_sender *s)
{
	uint64_t mss = s->mss;
	if (s->initial_cwnd_segs)
		return s->initial_cwnd_segs * mss;
	if (mss > 2190)
		return 2 * mss;
	if (mss > 1095)
		return 3 * mss;
	return 4 * mss;
}

void shoal_tcp_sender_negotiate(struct shoal_tcp_sender *s, uint16_t peer_mss, int peer_wscale,
                                bool sack_ok, bool ts_ok)
{
	if (sender_opt(s, SHOAL_TCP_CFG_MSS)) {
		size_t peer = peer_mss ? peer_mss : SENDER_DEFAULT_MSS;
		s->mss = peer < s->max_payload ? peer : s->max_payload;
	}
	if (sender_opt(s, SHOAL_TCP_CFG_WSCALE) && peer_wscale >= 0)
		s->snd_wscale = (uint8_t)(peer_wscale > SHOAL_TCP_MAX_WSCALE ? SHOAL_TCP_MAX_WSCALE
		                                                             : peer_wscale);
	s->sack_ok = sack_ok && sender_opt(s, SHOAL_TCP_CFG_SACK);
	s->ts_ok = ts_ok && sender_opt(s, SHOAL_TCP_CFG_TIMESTAMPS);
	if (sender_opt(s, SHOAL_TCP_CFG_CONGESTION) && !s->in_recovery)
		s->cwnd = sender_initial_window(s);
}

/* Appends len bytes to the byte ring (room is checked by the caller). */
static void sender_ring_append(struct shoal_tcp_sender *s, const uint8_t *data, size_t len)
{
	size_t tail = (s->ring_head + s->ring_len) % s->ring_cap;
	size_t first = s->ring_cap - tail;
	if (first > len)
		first = len;
	memcpy(s->ring + tail, data, first);
	memcpy(s->ring, data + first, len - first);
	s->ring_len += len;
}

/* Copies len bytes starting offset bytes after the ring head into out. */
static void sender_ring_copy(const struct shoal_tcp_sender *s, size_t offset, uint8_t *out,
                             size_t len)
{
	size_t pos = (s->ring_head + offset) % s->ring_cap;
	size_t first = s->ring_cap - pos;
	if (first > len)
		first = len;
	memcpy(out, s->ring + pos, first);
	memcpy(out + first, s->ring, len - first);
}

static void sender_ring_drop(struct shoal_tcp_sender *s, size_t len)
{
	s->ring_head = (s->ring_head + len) % s->ring_cap;
	s->ring_len -= len;
}

static uint64_t sender_desc_seqlen(const struct shoal_tcp_seg_desc *d)
{
	return d->payload_len + ((d->flags & SHOAL_TCP_SEG_SYN) ? 1u : 0u) +
	       ((d->flags & SHOAL_TCP_SEG_FIN) ? 1u : 0u);
}

static struct shoal_tcp_seg_desc *sender_seg(struct shoal_tcp_sender *s, size_t i)
{
	return &s->segs[(s->seg_head + i) % s->seg_cap];
}

static struct shoal_tcp_sender_msg sender_desc_message(const struct shoal_tcp_sender *s,
                                                       const struct shoal_tcp_seg_desc *d)
{
	struct shoal_tcp_sender_msg m = {
	    .seqno = shoal_wrap32_wrap(d->abs_seqno, s->isn),
	    .syn = (d->flags & SHOAL_TCP_SEG_SYN) != 0,
	    .payload = d->payload_len ? s->scratch : NULL,
	    .payload_len = d->payload_len,
	    .fin = (d->flags & SHOAL_TCP_SEG_FIN) != 0,
	    .rst = shoal_byte_stream_has_error(&s->outbound),
	};
	return m;
}

/* Resends outstanding segment i exactly as first sent. The payload bytes of the segments
 * before it precede its own in the ring. */
static void sender_retransmit(struct shoal_tcp_sender *s, size_t i,
                              shoal_tcp_sender_transmit_fn transmit, void *ctx)
{
	size_t offset = 0;
	for (size_t k = 0; k < i; k++)
		offset += sender_seg(s, k)->payload_len;
	struct shoal_tcp_seg_desc *d = sender_seg(s, i);
	sender_ring_copy(s, offset, s->scratch, d->payload_len);
	d->flags = (uint8_t)((d->flags | SHOAL_TCP_SEG_RETX) &
	                     ~(SHOAL_TCP_SEG_LOST | SHOAL_TCP_SEG_RESEND));
	d->sent_ms = s->now_ms;
	s->stats.retransmissions++;
	struct shoal_tcp_sender_msg m = sender_desc_message(s, d);
	transmit(ctx, &m);
}

/* Sequence numbers in the network: outstanding, minus SACKed, minus lost not yet resent. */
static uint64_t sender_pipe(const struct shoal_tcp_sender *s)
{
	uint64_t pipe = 0;
	for (size_t i = 0; i < s->seg_count; i++) {
		const struct shoal_tcp_seg_desc *d = &s->segs[(s->seg_head + i) % s->seg_cap];
		if (!(d->flags & (SHOAL_TCP_SEG_SACKED | SHOAL_TCP_SEG_LOST)))
			pipe += sender_desc_seqlen(d);
	}
	return pipe;
}

static void sender_start_timer(struct shoal_tcp_sender *s)
{
	if (!s->timer_running) {
		s->timer_running = true;
		s->timer_ms = 0;
	}
}

/* Resends segments marked for resending at once, then those marked lost while cwnd allows;
 * returns the pipe afterwards. */
static uint64_t sender_resend_lost(struct shoal_tcp_sender *s, uint64_t pipe,
                                   shoal_tcp_sender_transmit_fn transmit, void *ctx)
{
	for (size_t i = 0; i < s->seg_count; i++) {
		struct shoal_tcp_seg_desc *d = sender_seg(s, i);
		if (!(d->flags & SHOAL_TCP_SEG_RESEND))
			continue;
		if (d->flags & SHOAL_TCP_SEG_LOST)
			pipe += sender_desc_seqlen(d);
		sender_retransmit(s, i, transmit, ctx);
	}
	for (size_t i = 0; i < s->seg_count; i++) {
		struct shoal_tcp_seg_desc *d = sender_seg(s, i);
		if (!(d->flags & SHOAL_TCP_SEG_LOST))
			continue;
		uint64_t len = sender_desc_seqlen(d);
		if (pipe + len > s->cwnd && pipe > 0)
			break;
		sender_retransmit(s, i, transmit, ctx);
		pipe += len;
	}
	return pipe;
}

void shoal_tcp_sender_push(struct shoal_tcp_sender *s, shoal_tcp_sender_transmit_fn transmit,
                           void *ctx)
{
	bool cc = sender_opt(s, SHOAL_TCP_CFG_CONGESTION);
	uint64_t pipe = 0;
	if (cc) {
		pipe = sender_pipe(s);
		pipe = sender_resend_lost(s, pipe, transmit, ctx);
		if (pipe >= s->cwnd)
			return;
	}
	uint64_t window = s->window ? s->window : 1;
	uint64_t edge = s->acked_abs + window;
	while (!s->fin_sent && s->next_abs < edge && s->seg_count < s->seg_cap) {
		uint64_t room = edge - s->next_abs;
		if (cc) {
			if (pipe >= s->cwnd)
				break;
			if (room > s->cwnd - pipe)
				room = s->cwnd - pipe;
		}
		struct shoal_tcp_seg_desc d = {.abs_seqno = s->next_abs, .sent_ms = s->now_ms};
		if (!s->syn_sent) {
			d.flags |= SHOAL_TCP_SEG_SYN;
			room--;
		}
		size_t buffered = shoal_byte_stream_bytes_buffered(&s->outbound);
		size_t len = buffered;
		if (len > room)
			len = (size_t)room;
		if (len > s->mss)
			len = s->mss;
		if (len > s->ring_cap - s->ring_len)
			len = s->ring_cap - s->ring_len;
		bool fin_fits = s->outbound.closed && len == buffered && room > len;
		if (sender_opt(s, SHOAL_TCP_CFG_NAGLE) && s->seg_count > 0 && len < s->mss &&
		    !fin_fits)
			break; /* Nagle: wait for the ack or a full segment */
		len = shoal_byte_stream_read(&s->outbound, s->scratch, len);
		d.payload_len = (uint32_t)len;
		if (shoal_byte_stream_is_finished(&s->outbound) && room > len)
			d.flags |= SHOAL_TCP_SEG_FIN;
		uint64_t seqlen = sender_desc_seqlen(&d);
		if (seqlen == 0)
			break;
		sender_ring_append(s, s->scratch, len);
		s->segs[(s->seg_head + s->seg_count) % s->seg_cap] = d;
		s->seg_count++;
		s->next_abs += seqlen;
		pipe += seqlen;
		s->syn_sent = true;
		if (d.flags & SHOAL_TCP_SEG_FIN)
			s->fin_sent = true;
		sender_start_timer(s);
		s->stats.segments_sent++;
		s->stats.bytes_sent += len;
		struct shoal_tcp_sender_msg m = sender_desc_message(s, &d);
		transmit(ctx, &m);
	}
}

/* RFC 6298 §2.2–§2.4 (times in microseconds, RTO in ms). */
static void sender_rtt_sample(struct shoal_tcp_sender *s, uint64_t rtt_ms)
{
	uint64_t r = rtt_ms * 1000;
	if (!s->has_rtt) {
		s->srtt_us = r;
		s->rttvar_us = r / 2;
		s->has_rtt = true;
	} else {
		uint64_t diff = s->srtt_us > r ? s->srtt_us - r : r - s->srtt_us;
		s->rttvar_us = (3 * s->rttvar_us + diff) / 4;
		s->srtt_us = (7 * s->srtt_us + r) / 8;
	}
	uint64_t var = 4 * s->rttvar_us;
	if (var < 1000)
		var = 1000; /* clock granularity G = 1 ms */
	uint64_t rto = (s->srtt_us + var + 999) / 1000;
	if (rto < s->min_rto)
		rto = s->min_rto;
	if (rto > s->max_rto)
		rto = s->max_rto;
	s->rto = rto;
	s->stats.rtt_samples++;
}

/* Marks segments covered by SACK blocks; then, in SACK mode, marks lost every unSACKed,
 * never-retransmitted segment with dupack_threshold SACKed segments above it. */
static void sender_sack_update(struct shoal_tcp_sender *s, const struct shoal_tcp_options *opts)
{
	for (size_t b = 0; opts && b < opts->sack_count && b < SHOAL_TCP_MAX_SACK_BLOCKS; b++) {
		uint64_t left = shoal_wrap32_unwrap(opts->sack[b].left, s->isn, s->next_abs);
		uint64_t right = shoal_wrap32_unwrap(opts->sack[b].right, s->isn, s->next_abs);
		if (left >= right || left < s->acked_abs || right > s->next_abs)
			continue; /* invalid or D-SACK: ignored (RFC 2018 §4) */
		for (size_t i = 0; i < s->seg_count; i++) {
			struct shoal_tcp_seg_desc *d = sender_seg(s, i);
			if (d->abs_seqno >= left && d->abs_seqno + sender_desc_seqlen(d) <= right)
				d->flags = (uint8_t)((d->flags | SHOAL_TCP_SEG_SACKED) &
				                     ~SHOAL_TCP_SEG_LOST);
		}
	}
}

static void sender_mark_lost_by_sack(struct shoal_tcp_sender *s)
{
	uint32_t sacked_above = 0;
	for (size_t k = s->seg_count; k > 0; k--) {
		struct shoal_tcp_seg_desc *d = sender_seg(s, k - 1);
		if (d->flags & SHOAL_TCP_SEG_SACKED) {
			sacked_above++;
			continue;
		}
		if (sacked_above >= s->dupack_threshold &&
		    !(d->flags & (SHOAL_TCP_SEG_RETX | SHOAL_TCP_SEG_LOST)))
			d->flags |= SHOAL_TCP_SEG_LOST;
	}
}

static uint64_t sender_max64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static void sender_resend_head(struct shoal_tcp_sender *s)
{
	if (s->seg_count > 0)
		sender_seg(s, 0)->flags |= SHOAL_TCP_SEG_RESEND;
}

static void sender_enter_recovery(struct shoal_tcp_sender *s)
{
	uint64_t flight = s->next_abs - s->acked_abs;
	s->ssthresh = sender_max64(flight / 2, 2 * (uint64_t)s->mss);
	s->recover = s->next_abs;
	s->in_recovery = true;
	s->first_partial_ack = true;
	s->stats.fast_retransmits++;
	sender_resend_head(s);
	s->cwnd = s->sack_ok ? s->ssthresh : s->ssthresh + 3 * (uint64_t)s->mss;
}

static void sender_on_new_ack(struct shoal_tcp_sender *s, uint64_t newly_acked)
{
	uint64_t mss = s->mss;
	s->dupacks = 0;
	if (s->in_recovery) {
		if (s->acked_abs >= s->recover) { /* full ack: RFC 6582 §3.2 step 3 */
			uint64_t flight = s->next_abs - s->acked_abs;
			uint64_t c = sender_max64(flight, mss) + mss;
			s->cwnd = c < s->ssthresh ? c : s->ssthresh;
			s->in_recovery = false;
			return;
		}
		/* partial ack: RFC 6582 §3.2 step 4 */
		if (s->seg_count > 0) {
			struct shoal_tcp_seg_desc *head = sender_seg(s, 0);
			if (!s->sack_ok)
				sender_resend_head(s);
			else if (!(head->flags & (SHOAL_TCP_SEG_SACKED | SHOAL_TCP_SEG_RETX)))
				head->flags |= SHOAL_TCP_SEG_LOST;
		}
		if (!s->sack_ok) {
			s->cwnd = s->cwnd > newly_acked ? s->cwnd - newly_acked : 0;
			if (newly_acked >= mss)
				s->cwnd += mss;
			if (s->cwnd < mss)
				s->cwnd = mss;
		}
		if (s->first_partial_ack) {
			s->timer_ms = 0; /* reset the timer on the first partial ack only */
			s->first_partial_ack = false;
		}
		return;
	}
	if (s->cwnd < s->ssthresh) /* slow start, RFC 5681 §3.1 (2) */
		s->cwnd += newly_acked < mss ? newly_acked : mss;
	else /* congestion avoidance, (3) */
		s->cwnd += sender_max64(1, mss * mss / s->cwnd);
}

void shoal_tcp_sender_receive_segment(struct shoal_tcp_sender *s,
                                      const struct shoal_tcp_receiver_msg *msg, uint64_t seg_len,
                                      const struct shoal_tcp_options *opts)
{
	if (msg->rst) {
		shoal_byte_stream_set_error(&s->outbound);
		return;
	}
	uint32_t window = (uint32_t)msg->window_size << s->snd_wscale;
	if (!msg->has_ackno) {
		s->window = window;
		return;
	}
	uint64_t abs = shoal_wrap32_unwrap(msg->ackno, s->isn, s->next_abs);
	if (abs > s->next_abs)
		return; /* impossible ack: ignored entirely, window included */
	uint64_t old_acked = s->acked_abs;
	uint32_t old_window = s->window;
	if (abs > s->acked_abs)
		s->acked_abs = abs;
	if (s->options == 0) {
		bool acked_new = false;
		while (s->seg_count > 0) {
			const struct shoal_tcp_seg_desc *d = &s->segs[s->seg_head];
			if (d->abs_seqno + sender_desc_seqlen(d) > s->acked_abs)
				break;
			sender_ring_drop(s, d->payload_len);
			s->seg_head = (s->seg_head + 1) % s->seg_cap;
			s->seg_count--;
			acked_new = true;
		}
		if (acked_new) {
			s->rto = s->initial_rto;
			s->consecutive_retx = 0;
			s->timer_ms = 0;
			s->timer_running = s->seg_count > 0;
		}
		s->window = window;
		return;
	}

	bool acked_new = false, retx_acked = false;
	const struct shoal_tcp_seg_desc *newest = NULL;
	uint64_t newest_sent = 0;
	while (s->seg_count > 0) {
		const struct shoal_tcp_seg_desc *d = &s->segs[s->seg_head];
		if (d->abs_seqno + sender_desc_seqlen(d) > s->acked_abs)
			break;
		if (d->flags & SHOAL_TCP_SEG_RETX)
			retx_acked = true;
		newest = d;
		newest_sent = d->sent_ms;
		sender_ring_drop(s, d->payload_len);
		s->seg_head = (s->seg_head + 1) % s->seg_cap;
		s->seg_count--;
		acked_new = true;
	}
	bool cc = sender_opt(s, SHOAL_TCP_CFG_CONGESTION);
	if (s->sack_ok)
		sender_sack_update(s, opts);
	if (acked_new) {
		if (sender_opt(s, SHOAL_TCP_CFG_RTT_ESTIMATE)) {
			if (s->ts_ok && opts && opts->has_timestamps && opts->ts_ecr != 0)
				sender_rtt_sample(
				    s, (uint32_t)(shoal_tcp_sender_ts_now(s) - opts->ts_ecr));
			else if (newest && !retx_acked) /* Karn: never from a retransmission */
				sender_rtt_sample(s, s->now_ms - newest_sent);
		} else {
			s->rto = s->initial_rto;
		}
		s->consecutive_retx = 0;
		s->timer_ms = 0;
		s->timer_running = s->seg_count > 0;
	}
	s->window = window;
	if (!cc)
		return;
	if (s->acked_abs > old_acked) {
		sender_on_new_ack(s, s->acked_abs - old_acked);
	} else if (s->seg_count > 0 && seg_len == 0 && abs == s->acked_abs &&
	           window == old_window) { /* duplicate ack, RFC 5681 §2 */
		s->dupacks++;
		if (s->in_recovery) {
			if (!s->sack_ok)
				s->cwnd += s->mss; /* RFC 5681 §3.2 step 4 */
		} else if (s->dupacks == s->dupack_threshold && s->acked_abs > s->recover) {
			sender_enter_recovery(s);
		}
	}
	if (s->sack_ok && s->in_recovery)
		sender_mark_lost_by_sack(s);
}

void shoal_tcp_sender_receive(struct shoal_tcp_sender *s, const struct shoal_tcp_receiver_msg *msg)
{
	shoal_tcp_sender_receive_segment(s, msg, 0, NULL);
}

void shoal_tcp_sender_tick(struct shoal_tcp_sender *s, uint64_t ms,
                           shoal_tcp_sender_transmit_fn transmit, void *ctx)
{
	s->now_ms += ms;
	if (!s->timer_running)
		return;
	s->timer_ms += ms;
	if (s->timer_ms < s->rto || s->seg_count == 0)
		return;
	s->stats.timeouts++;
	if (sender_opt(s, SHOAL_TCP_CFG_CONGESTION)) { /* RFC 5681 §3.1 (4), RFC 6582 §4 */
		uint64_t flight = s->next_abs - s->acked_abs;
		s->ssthresh = sender_max64(flight / 2, 2 * (uint64_t)s->mss);
		s->cwnd = s->mss;
		s->recover = s->next_abs;
		s->in_recovery = false;
		s->dupacks = 0;
		for (size_t i = 1; i < s->seg_count; i++) {
			struct shoal_tcp_seg_desc *d = sender_seg(s, i);
			if (!(d->flags & SHOAL_TCP_SEG_SACKED))
				d->flags |= SHOAL_TCP_SEG_LOST;
		}
	}
	sender_retransmit(s, 0, transmit, ctx);
	if (s->window != 0) {
		s->consecutive_retx++;
		s->rto *= 2;
		if (s->options && s->rto > s->max_rto)
			s->rto = s->max_rto;
	}
	s->timer_ms = 0;
}

struct shoal_tcp_sender_msg shoal_tcp_sender_make_empty_message(const struct shoal_tcp_sender *s)
{
	struct shoal_tcp_sender_msg m = {
	    .seqno = shoal_wrap32_wrap(s->next_abs, s->isn),
	    .rst = shoal_byte_stream_has_error(&s->outbound),
	};
	return m;
}

uint64_t shoal_tcp_sender_sequence_numbers_in_flight(const struct shoal_tcp_sender *s)
{
	if (s->seg_count == 0)
		return 0;
	return s->next_abs - s->segs[s->seg_head].abs_seqno;
}

uint64_t shoal_tcp_sender_consecutive_retransmissions(const struct shoal_tcp_sender *s)
{
	return s->consecutive_retx;
}

bool shoal_tcp_sender_fin_sent(const struct shoal_tcp_sender *s)
{
	return s->fin_sent;
}

uint32_t shoal_tcp_sender_ts_now(const struct shoal_tcp_sender *s)
{
	return (uint32_t)s->now_ms + s->ts_offset;
}

uint64_t shoal_tcp_sender_una(const struct shoal_tcp_sender *s)
{
	return s->acked_abs;
}

uint64_t shoal_tcp_sender_next(const struct shoal_tcp_sender *s)
{
	return s->next_abs;
}

uint64_t shoal_tcp_sender_rto(const struct shoal_tcp_sender *s)
{
	return s->rto;
}

uint64_t shoal_tcp_sender_srtt_us(const struct shoal_tcp_sender *s)
{
	return s->has_rtt ? s->srtt_us : 0;
}

uint64_t shoal_tcp_sender_cwnd(const struct shoal_tcp_sender *s)
{
	return s->cwnd;
}

uint64_t shoal_tcp_sender_ssthresh(const struct shoal_tcp_sender *s)
{
	return s->ssthresh;
}

uint32_t shoal_tcp_sender_window(const struct shoal_tcp_sender *s)
{
	return s->window;
}

const struct shoal_tcp_sender_stats *shoal_tcp_sender_stats(const struct shoal_tcp_sender *s)
{
	return &s->stats;
}

void shoal_tcp_sender_retransmit_oldest(struct shoal_tcp_sender *s,
                                        shoal_tcp_sender_transmit_fn transmit, void *ctx)
{
	if (s->seg_count > 0)
		sender_retransmit(s, 0, transmit, ctx);
}
