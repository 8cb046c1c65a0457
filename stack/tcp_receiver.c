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

/* Drops block i, keeping the order of the others. */
static void receiver_block_remove(struct shoal_tcp_receiver *r, size_t i)
{
	memmove(&r->blocks[i], &r->blocks[i + 1], (r->nblocks - i - 1) * sizeof(r->blocks[0]));
	r->nblocks--;
}

/* Records [first, first + len) (clipped to what the reassembler kept) as the most recent
 * SACK block, merging the blocks it touches; trims blocks below the ackno. */
static void receiver_sack_note(struct shoal_tcp_receiver *r, uint64_t first, size_t len,
                               uint64_t window_end)
{
	uint64_t next = shoal_byte_stream_bytes_pushed(&r->reasm.output);
	for (size_t i = r->nblocks; i > 0; i--) {
		struct shoal_tcp_recv_block *b = &r->blocks[i - 1];
		if (b->right <= next)
			receiver_block_remove(r, i - 1);
		else if (b->left < next)
			b->left = next;
	}
	uint64_t left = first, right = first + len;
	if (right > window_end)
		right = window_end;
	if (left < next)
		left = next;
	if (left >= right)
		return;
	for (size_t i = r->nblocks; i > 0; i--) {
		struct shoal_tcp_recv_block *b = &r->blocks[i - 1];
		if (b->right < left || b->left > right)
			continue;
		left = b->left < left ? b->left : left;
		right = b->right > right ? b->right : right;
		receiver_block_remove(r, i - 1);
	}
	if (r->nblocks == SHOAL_TCP_MAX_SACK_BLOCKS)
		r->nblocks--; /* the oldest falls out */
	memmove(&r->blocks[1], &r->blocks[0], r->nblocks * sizeof(r->blocks[0]));
	r->blocks[0] = (struct shoal_tcp_recv_block){.left = left, .right = right};
	r->nblocks++;
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
	uint64_t window_end = checkpoint + shoal_byte_stream_available_capacity(in);
	shoal_reassembler_insert(&r->reasm, first_abs - 1, msg->payload, msg->payload_len,
	                         msg->fin);
	receiver_sack_note(r, first_abs - 1, msg->payload_len, window_end);
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
	size_t room = shoal_byte_stream_available_capacity(in) >> r->rcv_wscale;
	m.window_size = (uint16_t)(room > r->window_cap ? r->window_cap : room);
	m.rst = shoal_byte_stream_has_error(in);
	return m;
}

void shoal_tcp_receiver_set_wscale(struct shoal_tcp_receiver *r, uint8_t shift)
{
	r->rcv_wscale = shift > SHOAL_TCP_MAX_WSCALE ? SHOAL_TCP_MAX_WSCALE : shift;
}

size_t shoal_tcp_receiver_sack_blocks(const struct shoal_tcp_receiver *r,
                                      struct shoal_tcp_sack_block *out, size_t max)
{
	uint64_t next = shoal_byte_stream_bytes_pushed(&r->reasm.output);
	size_t n = 0;
	for (size_t i = 0; i < r->nblocks && n < max; i++) {
		if (r->blocks[i].right <= next)
			continue; /* acked since it was noted */
		uint64_t left = r->blocks[i].left > next ? r->blocks[i].left : next;
		out[n].left = shoal_wrap32_wrap(left + 1, r->isn);
		out[n].right = shoal_wrap32_wrap(r->blocks[i].right + 1, r->isn);
		n++;
	}
	return n;
}

bool shoal_tcp_receiver_has_isn(const struct shoal_tcp_receiver *r)
{
	return r->has_isn;
}
