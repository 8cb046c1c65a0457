/* tcp_peer.c — TCP connection; contract in include/shoal/tcp_peer.h. */
#include "shoal/tcp_peer.h"

#include <string.h>

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

/* Adds the receiver half to a sender message and transmits the whole segment. */
static void peer_segment_send(void *ctx, const struct shoal_tcp_sender_msg *smsg)
{
	struct shoal_tcp_peer *p = ctx;
	struct shoal_tcp_message m = {
	    .sender = *smsg,
	    .receiver = shoal_tcp_receiver_send(&p->receiver),
	};
	p->transmit(p->ctx, &m);
	p->reply_owed = false;
}

static bool peer_outbound_done(const struct shoal_tcp_peer *p)
{
	return shoal_byte_stream_is_finished(shoal_tcp_sender_outbound_const(&p->sender)) &&
	       shoal_tcp_sender_fin_sent(&p->sender) &&
	       shoal_tcp_sender_sequence_numbers_in_flight(&p->sender) == 0;
}

bool shoal_tcp_peer_active(const struct shoal_tcp_peer *p)
{
	const struct shoal_byte_stream *out = shoal_tcp_sender_outbound_const(&p->sender);
	const struct shoal_byte_stream *in = shoal_tcp_receiver_inbound_const(&p->receiver);
	if (shoal_byte_stream_has_error(out) || shoal_byte_stream_has_error(in))
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

void shoal_tcp_peer_receive(struct shoal_tcp_peer *p, const struct shoal_tcp_message *msg)
{
	if (!shoal_tcp_peer_active(p))
		return;
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

void shoal_tcp_peer_tick(struct shoal_tcp_peer *p, uint64_t ms)
{
	p->now_ms += ms;
	if (shoal_byte_stream_has_error(shoal_tcp_sender_outbound(&p->sender)) ||
	    shoal_byte_stream_has_error(shoal_tcp_receiver_inbound(&p->receiver)))
		return; /* reset or aborted: nothing more goes out */
	shoal_tcp_sender_tick(&p->sender, ms, peer_segment_send, p);
	if (shoal_tcp_sender_consecutive_retransmissions(&p->sender) <= p->max_retx)
		return;
	shoal_byte_stream_set_error(shoal_tcp_sender_outbound(&p->sender));
	shoal_byte_stream_set_error(shoal_tcp_receiver_inbound(&p->receiver));
	struct shoal_tcp_sender_msg rst = shoal_tcp_sender_make_empty_message(&p->sender);
	peer_segment_send(p, &rst);
}
