/*
 * tcp_message.h — the two halves of a TCP segment as plain C structs.
 *
 * Role: what the TCP sender emits and the TCP receiver consumes (sender message), and what
 * the receiver emits and the sender consumes (receiver message); a full segment carries
 * both. Behaviour: shared spec stack-behaviour.md §4.
 *
 * Options: a whole segment also carries `opts`, the TCP options of the wire format
 * (tcp_header.h: MSS, window scale, SACK-permitted, timestamps, SACK blocks). All-zero
 * means no option, which is what the minnow model (config options 0) sends and expects;
 * the peer fills and reads them when its config turns options on.
 *
 * Invariants:
 *   - sequence length of a sender message = syn + payload_len + fin.
 *   - A receiver message's ackno is meaningful only when has_ackno is true.
 *
 * Ownership: a message never owns its payload. The payload pointer is valid only during the
 * call the message is passed to (a transmit callback, a receive function); a callee that
 * keeps the bytes copies them. payload may be NULL when payload_len is 0.
 */
#ifndef SHOAL_TCP_MESSAGE_H
#define SHOAL_TCP_MESSAGE_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shoal/tcp_header.h"

struct shoal_tcp_sender_msg {
	uint32_t seqno; /* wrapped (see wrap32.h) */
	bool syn;
	const uint8_t *payload;
	size_t payload_len;
	bool fin;
	bool rst;
};

struct shoal_tcp_receiver_msg {
	bool has_ackno;
	uint32_t ackno; /* wrapped, valid when has_ackno */
	uint16_t window_size;
	bool rst;
};

/* A whole segment: both halves, as exchanged between two TCP peers. */
struct shoal_tcp_message {
	struct shoal_tcp_sender_msg sender;
	struct shoal_tcp_receiver_msg receiver;
	struct shoal_tcp_options opts; /* zero: no options (the minnow model) */
};

/* Transmit callbacks: the message and its payload are valid only during the call. */
typedef void (*shoal_tcp_sender_transmit_fn)(void *ctx, const struct shoal_tcp_sender_msg *msg);
typedef void (*shoal_tcp_transmit_fn)(void *ctx, const struct shoal_tcp_message *msg);

/* Wire <-> message: seq/SYN/FIN/RST/payload make the sender half, ACK flag/ack/window
 * (and RST) the receiver half, options are copied. to_header sets ACK when the message
 * has an ackno and RST when either half has it; ports are the caller's. The payload
 * pointer is shared, not copied. */
void shoal_tcp_message_from_header(const struct shoal_tcp_header *h, struct shoal_tcp_message *m);
void shoal_tcp_message_to_header(const struct shoal_tcp_message *m, uint16_t src_port,
                                 uint16_t dst_port, struct shoal_tcp_header *h);

/* SYN + payload length + FIN. */
uint64_t shoal_tcp_sender_msg_sequence_length(const struct shoal_tcp_sender_msg *msg);

#ifdef __cplusplus
}
#endif

#endif
