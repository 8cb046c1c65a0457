/* tcp_receiver.c — TCP receiver; contract in include/shoal/tcp_receiver.h. */
#include "shoal/tcp_receiver.h"

#include <string.h>

#include "shoal/wrap32.h"

int shoal_tcp_receiver_init(struct shoal_tcp_receiver *r, const struct shoal_tcp_config *cfg)
{
	memset(r, 0, sizeof(*r));
	r->window_cap = cfg->window_cap;
	if (r->window_cap > SHOAL_TCP_MAX_WINDOW)
		r->window_cap = SHOAL_TCP_MAX_WINDOW;
	return shoal_reassembler_init(&r->reasm, cfg->recv_capacity);
}

void shoal_tcp_receiver_fini(struct shoal_tcp_receiver *r)
{
	shoal_reassembler_fini(&r->reasm);
	memset(r, 0, sizeof(*r));
}

struct shoal_byte_stream *shoal_tcp_receiver_inbound(struct shoal_tcp_receiver *r)
{
	return &r->reasm.output;
}

const struct shoal_byte_stream *shoal_tcp_receiver_inbound_const(const struct shoal_tcp_receiver *r)
{
	return &r->reasm.output;
}

void shoal_tcp_receiver_receive(struct shoal_tcp_receiver *r,
                                const struct shoal_tcp_sender_msg *msg)
{
	struct shoal_byte_stream *in = &r->reasm.output;
	if (msg->rst) {
		shoal_byte_stream_set_error(in);
		return;
	}
	if (!r->has_isn) {
		if (!msg->syn)
			return;
		r->isn = msg->seqno;
		r->has_isn = true;
	}
	uint64_t checkpoint = shoal_byte_stream_bytes_pushed(in);
	uint64_t abs = shoal_wrap32_unwrap(msg->seqno, r->isn, checkpoint);
	/* The first payload byte sits at absolute abs + syn, i.e. stream index abs + syn - 1. */
	uint64_t first_abs = abs + (msg->syn ? 1 : 0);
	if (first_abs == 0)
		return; /* a non-SYN segment at the ISN: index -1, nothing of it is stream data */
	shoal_reassembler_insert(&r->reasm, first_abs - 1, msg->payload, msg->payload_len,
	                         msg->fin);
}

struct shoal_tcp_receiver_msg shoal_tcp_receiver_send(const struct shoal_tcp_receiver *r)
{
	const struct shoal_byte_stream *in = &r->reasm.output;
	struct shoal_tcp_receiver_msg m = {0};
	if (r->has_isn) {
		uint64_t abs = 1 + shoal_byte_stream_bytes_pushed(in) +
		               (shoal_byte_stream_is_closed(in) ? 1 : 0);
		m.has_ackno = true;
		m.ackno = shoal_wrap32_wrap(abs, r->isn);
	}
	size_t room = shoal_byte_stream_available_capacity(in);
	m.window_size = (uint16_t)(room > r->window_cap ? r->window_cap : room);
	m.rst = shoal_byte_stream_has_error(in);
	return m;
}
