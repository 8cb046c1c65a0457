/*
 * tcp_receiver.h — the receiving half of a TCP connection.
 *
 * Role: turns sender messages (seqno, SYN, payload, FIN, RST) into an in-order inbound byte
 * stream, and reports the acknowledgment number and window to send back.
 * Behaviour: shared spec stack-behaviour.md §5.
 *
 * Invariants:
 *   - Before a SYN arrives there is no ackno and every non-SYN, non-RST segment is ignored.
 *     The first SYN's seqno becomes the peer's ISN; later SYNs never change it.
 *   - Absolute seqno 0 is the SYN; stream index = absolute seqno - 1.
 *   - ackno = ISN + 1 + bytes written to the inbound stream (+1 once it is closed).
 *   - window = inbound available capacity, capped at config.window_cap.
 *   - An RST sets the inbound stream's error; send() carries RST while that error is set.
 *
 * Options (used by the peer; a receiver never told otherwise behaves as above):
 *   - Window scaling (RFC 7323 §2.3): after set_wscale(shift), window = min(available >>
 *     shift, window_cap) (the SYN's window is never scaled: the peer sets the shift after).
 *   - SACK (RFC 2018 §4): the receiver remembers up to SHOAL_TCP_MAX_SACK_BLOCKS blocks of
 *     data received above the ackno and kept by the reassembler, most recent first: the
 *     first block contains the latest segment that arrived out of order; blocks never cover
 *     bytes below the ackno (trimmed as it advances) and adjacent or overlapping ones merge.
 *
 * Ownership: the receiver owns a reassembler (and through it the inbound byte stream),
 * allocated by init and freed by fini. Readers use shoal_tcp_receiver_inbound(). receive()
 * only reads the message payload during the call.
 */
#ifndef SHOAL_TCP_RECEIVER_H
#define SHOAL_TCP_RECEIVER_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shoal/reassembler.h"
#include "shoal/tcp_config.h"
#include "shoal/tcp_message.h"

struct shoal_tcp_recv_block {
	uint64_t left; /* stream indices: [left, right) */
	uint64_t right;
};

struct shoal_tcp_receiver {
	struct shoal_reassembler reasm;
	uint32_t window_cap;
	uint32_t isn; /* the peer's ISN, valid when has_isn */
	bool has_isn;
	uint8_t rcv_wscale; /* shift applied to advertised windows */
	uint8_t nblocks;    /* SACK blocks held, most recent first */
	struct shoal_tcp_recv_block blocks[SHOAL_TCP_MAX_SACK_BLOCKS];
};

/* Uses cfg->recv_capacity and cfg->window_cap. Returns 0, or -1 on allocation failure. */
int shoal_tcp_receiver_init(struct shoal_tcp_receiver *r, const struct shoal_tcp_config *cfg);
void shoal_tcp_receiver_fini(struct shoal_tcp_receiver *r);

void shoal_tcp_receiver_receive(struct shoal_tcp_receiver *r,
                                const struct shoal_tcp_sender_msg *msg);
struct shoal_tcp_receiver_msg shoal_tcp_receiver_send(const struct shoal_tcp_receiver *r);

/* Window scaling: shift (<= 14) applied to every later window. */
void shoal_tcp_receiver_set_wscale(struct shoal_tcp_receiver *r, uint8_t shift);
/* Copies up to max SACK blocks (wrapped seqnos, most recent first); returns the count. */
size_t shoal_tcp_receiver_sack_blocks(const struct shoal_tcp_receiver *r,
                                      struct shoal_tcp_sack_block *out, size_t max);
/* True once a SYN has been received (the peer's ISN is known). */
bool shoal_tcp_receiver_has_isn(const struct shoal_tcp_receiver *r);

/* The inbound byte stream (reader side for the application; written by the reassembler). */
struct shoal_byte_stream *shoal_tcp_receiver_inbound(struct shoal_tcp_receiver *r);
const struct shoal_byte_stream *
shoal_tcp_receiver_inbound_const(const struct shoal_tcp_receiver *r);

#ifdef __cplusplus
}
#endif

#endif
