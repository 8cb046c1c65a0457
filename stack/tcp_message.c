/* tcp_message.c — TCP message helpers; contract in include/shoal/tcp_message.h. */
#include "shoal/tcp_message.h"

#include <string.h>

uint64_t shoal_tcp_sender_msg_sequence_length(const struct shoal_tcp_sender_msg *msg)
{
	return (uint64_t)msg->syn + msg->payload_len + (uint64_t)msg->fin;
}

void shoal_tcp_message_from_header(const struct shoal_tcp_header *h, struct shoal_tcp_message *m)
{
	bool rst = (h->flags & SHOAL_TCP_RST) != 0;
	memset(m, 0, sizeof(*m));
	m->sender.seqno = h->seq;
	m->sender.syn = (h->flags & SHOAL_TCP_SYN) != 0;
	m->sender.fin = (h->flags & SHOAL_TCP_FIN) != 0;
	m->sender.rst = rst;
	m->sender.payload = h->payload;
	m->sender.payload_len = h->payload_len;
	m->receiver.has_ackno = (h->flags & SHOAL_TCP_ACK) != 0;
	m->receiver.ackno = h->ack;
	m->receiver.window_size = h->window;
	m->receiver.rst = rst;
	m->opts = h->opts;
}

void shoal_tcp_message_to_header(const struct shoal_tcp_message *m, uint16_t src_port,
                                 uint16_t dst_port, struct shoal_tcp_header *h)
{
	memset(h, 0, sizeof(*h));
	h->src_port = src_port;
	h->dst_port = dst_port;
	h->seq = m->sender.seqno;
	h->ack = m->receiver.has_ackno ? m->receiver.ackno : 0;
	h->flags =
	    (uint8_t)((m->sender.syn ? SHOAL_TCP_SYN : 0) | (m->sender.fin ? SHOAL_TCP_FIN : 0) |
	              (m->sender.rst || m->receiver.rst ? SHOAL_TCP_RST : 0) |
	              (m->receiver.has_ackno ? SHOAL_TCP_ACK : 0) |
	              (m->sender.payload_len ? SHOAL_TCP_PSH : 0));
	h->window = m->receiver.window_size;
	h->opts = m->opts;
	h->payload = m->sender.payload_len ? m->sender.payload : NULL;
	h->payload_len = m->sender.payload_len;
}
