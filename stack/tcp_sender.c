/* tcp_sender.c — TCP sender; contract in include/shoal/tcp_sender.h. */
#include "shoal/tcp_sender.h"

#include <stdlib.h>
#include <string.h>

#include "shoal/wrap32.h"

int shoal_tcp_sender_init(struct shoal_tcp_sender *s, const struct shoal_tcp_config *cfg)
{
	memset(s, 0, sizeof(*s));
	if (cfg->max_payload == 0 || cfg->max_outstanding_segments == 0 || cfg->options != 0)
		return -1;
	if (shoal_byte_stream_init(&s->outbound, cfg->send_capacity) != 0)
		return -1;
	s->seg_cap = cfg->max_outstanding_segments;
	s->segs = calloc(s->seg_cap, sizeof(*s->segs));
	if (!s->segs)
		goto fail_segs;
	s->ring_cap = SHOAL_TCP_MAX_WINDOW + cfg->max_payload;
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

void shoal_tcp_sender_push(struct shoal_tcp_sender *s, shoal_tcp_sender_transmit_fn transmit,
                           void *ctx)
{
	uint64_t window = s->window ? s->window : 1;
	uint64_t edge = s->acked_abs + window;
	while (!s->fin_sent && s->next_abs < edge && s->seg_count < s->seg_cap) {
		uint64_t room = edge - s->next_abs;
		struct shoal_tcp_seg_desc d = {.abs_seqno = s->next_abs};
		if (!s->syn_sent) {
			d.flags |= SHOAL_TCP_SEG_SYN;
			room--;
		}
		size_t len = shoal_byte_stream_bytes_buffered(&s->outbound);
		if (len > room)
			len = (size_t)room;
		if (len > s->max_payload)
			len = s->max_payload;
		if (len > s->ring_cap - s->ring_len)
			len = s->ring_cap - s->ring_len;
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
		s->syn_sent = true;
		if (d.flags & SHOAL_TCP_SEG_FIN)
			s->fin_sent = true;
		if (!s->timer_running) {
			s->timer_running = true;
			s->timer_ms = 0;
		}
		struct shoal_tcp_sender_msg m = sender_desc_message(s, &d);
		transmit(ctx, &m);
	}
}

void shoal_tcp_sender_receive(struct shoal_tcp_sender *s, const struct shoal_tcp_receiver_msg *msg)
{
	if (msg->rst) {
		shoal_byte_stream_set_error(&s->outbound);
		return;
	}
	if (msg->has_ackno) {
		uint64_t abs = shoal_wrap32_unwrap(msg->ackno, s->isn, s->next_abs);
		if (abs > s->next_abs)
			return; /* impossible ack: ignored entirely, window included */
		if (abs > s->acked_abs)
			s->acked_abs = abs;
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
	}
	s->window = msg->window_size;
}

void shoal_tcp_sender_tick(struct shoal_tcp_sender *s, uint64_t ms,
                           shoal_tcp_sender_transmit_fn transmit, void *ctx)
{
	if (!s->timer_running)
		return;
	s->timer_ms += ms;
	if (s->timer_ms < s->rto || s->seg_count == 0)
		return;
	const struct shoal_tcp_seg_desc *d = &s->segs[s->seg_head];
	sender_ring_copy(s, 0, s->scratch, d->payload_len);
	struct shoal_tcp_sender_msg m = sender_desc_message(s, d);
	transmit(ctx, &m);
	if (s->window != 0) {
		s->consecutive_retx++;
		s->rto *= 2;
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
