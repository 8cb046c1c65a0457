/*
 * tcp_peer.h — a whole TCP connection: a sender and a receiver joined together.
 *
 * Role: one endpoint of a TCP connection without I/O. Incoming segments go to receive();
 * every outgoing segment (sender half + the receiver's current ackno/window) leaves through
 * the transmit callback given at init, so the same code serves unit tests, loopback tests
 * and a real endpoint. Time advances only through tick(). Behaviour: shared spec
 * stack-behaviour.md §7.
 *
 * Invariants:
 *   - Every outgoing segment carries the receiver's ackno/window and RST if either stream
 *     has an error.
 *   - receive() does nothing once inactive; a segment that occupies sequence space, or a
 *     keep-alive (seqno one below our ackno), gets a reply (data if any, else empty).
 *     A segment carrying RST is processed but never answered.
 *   - Linger: if the inbound stream finished before the outbound stream was fully sent
 *     (read to its end), no lingering; otherwise stay active until linger_factor x initial
 *     RTO after the last segment received.
 *   - active() is false once either stream has an error; otherwise true while the sender
 *     has data in flight or unsent (FIN included), the inbound stream is not closed, or
 *     lingering is still required.
 *   - After more than max_retransmissions consecutive retransmissions, tick() aborts: sets
 *     the error on both streams and sends one segment with RST.
 *
 * Ownership: init allocates the sender and receiver (their streams and buffers); fini frees
 * them. The transmit callback and its ctx are borrowed for the peer's lifetime. A message
 * passed to receive() and its payload are only read during the call; a transmitted
 * message's payload is valid only during the transmit call.
 */
#ifndef SHOAL_TCP_PEER_H
#define SHOAL_TCP_PEER_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shoal/tcp_config.h"
#include "shoal/tcp_message.h"
#include "shoal/tcp_receiver.h"
#include "shoal/tcp_sender.h"

struct shoal_tcp_peer {
	struct shoal_tcp_sender sender;
	struct shoal_tcp_receiver receiver;
	shoal_tcp_transmit_fn transmit;
	void *ctx;
	uint64_t now_ms;          /* cumulative ticked time */
	uint64_t last_receipt_ms; /* now_ms when the last segment was received */
	uint64_t linger_ms;       /* linger_factor x initial RTO */
	uint64_t max_retx;
	bool linger_after_streams_finish;
	bool reply_owed;
};

/* Returns 0, or -1 on allocation failure or invalid config. */
int shoal_tcp_peer_init(struct shoal_tcp_peer *p, const struct shoal_tcp_config *cfg,
                        shoal_tcp_transmit_fn transmit, void *ctx);
void shoal_tcp_peer_fini(struct shoal_tcp_peer *p);

void shoal_tcp_peer_receive(struct shoal_tcp_peer *p, const struct shoal_tcp_message *msg);
/* Sends what the window allows (and an owed reply). Call after writing or closing. */
void shoal_tcp_peer_push(struct shoal_tcp_peer *p);
/* Writes as much of data as the outbound stream takes, then pushes; returns bytes taken. */
size_t shoal_tcp_peer_write(struct shoal_tcp_peer *p, const uint8_t *data, size_t len);
/* Closes the outbound stream, then pushes (the FIN goes when the window allows). */
void shoal_tcp_peer_close(struct shoal_tcp_peer *p);
void shoal_tcp_peer_tick(struct shoal_tcp_peer *p, uint64_t ms);
bool shoal_tcp_peer_active(const struct shoal_tcp_peer *p);

/* Streams: the application writes the outbound one and reads the inbound one. */
struct shoal_byte_stream *shoal_tcp_peer_outbound(struct shoal_tcp_peer *p);
struct shoal_byte_stream *shoal_tcp_peer_inbound(struct shoal_tcp_peer *p);

#ifdef __cplusplus
}
#endif

#endif
