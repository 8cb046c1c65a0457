/*
 * tcp_sender.h — the sending half of a TCP connection.
 *
 * Role: reads the outbound byte stream and turns it into sender messages that fit the
 * peer's window, keeps them until acknowledged, and retransmits on timeout.
 * Behaviour: shared spec stack-behaviour.md §6. Time advances only through tick().
 *
 * Invariants:
 *   - Absolute seqno 0 is the SYN; next_abs is the next absolute seqno to send and
 *     acked_abs the highest acknowledged one (acked_abs <= next_abs).
 *   - Outstanding segments are contiguous in sequence space and kept as small descriptors
 *     (absolute seqno, payload length, SYN/FIN flags) in a bounded ring of
 *     config.max_outstanding_segments entries; their payload bytes are kept, contiguous and
 *     in order, in a byte ring of SHOAL_TCP_MAX_WINDOW + max_payload bytes. A descriptor and
 *     its bytes leave only when the segment is acknowledged entirely.
 *     sequence_numbers_in_flight() = next_abs - absolute seqno of the oldest outstanding one.
 *   - The sender sends only up to acked_abs + max(window, 1) and while both rings have room.
 *   - The timer runs iff something is outstanding. Expiry retransmits the oldest segment
 *     exactly as first sent; RTO doubles and consecutive_retransmissions grows only when the
 *     last known window is nonzero.
 *   - Every message carries RST once the outbound stream has an error.
 *
 * Ownership: init allocates the outbound stream, the descriptor ring, the byte ring and a
 * scratch buffer of max_payload bytes; fini frees them. push/receive/tick never allocate.
 * A transmitted message's payload points into the scratch buffer and is valid only during
 * the transmit call.
 */
#ifndef SHOAL_TCP_SENDER_H
#define SHOAL_TCP_SENDER_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shoal/byte_stream.h"
#include "shoal/tcp_config.h"
#include "shoal/tcp_message.h"

enum shoal_tcp_seg_flag {
	SHOAL_TCP_SEG_SYN = 1,
	SHOAL_TCP_SEG_FIN = 2,
};

struct shoal_tcp_seg_desc {
	uint64_t abs_seqno;
	uint32_t payload_len;
	uint8_t flags; /* enum shoal_tcp_seg_flag bits */
};

struct shoal_tcp_sender {
	struct shoal_byte_stream outbound;
	/* Outstanding segments (oldest at seg_head). */
	struct shoal_tcp_seg_desc *segs;
	size_t seg_cap;
	size_t seg_head;
	size_t seg_count;
	/* Their payload bytes (oldest at ring_head). */
	uint8_t *ring;
	size_t ring_cap;
	size_t ring_head;
	size_t ring_len;
	uint8_t *scratch; /* max_payload bytes */
	size_t max_payload;
	uint32_t isn;
	uint64_t next_abs;
	uint64_t acked_abs;
	uint64_t initial_rto;
	uint64_t rto;
	uint64_t timer_ms;
	uint64_t consecutive_retx;
	uint16_t window;
	bool timer_running;
	bool syn_sent;
	bool fin_sent;
};

/* Uses isn, rt_timeout_ms, send_capacity, max_payload, max_outstanding_segments.
 * Returns 0, or -1 on allocation failure or invalid config (max_payload or
 * max_outstanding_segments 0, options nonzero). */
int shoal_tcp_sender_init(struct shoal_tcp_sender *s, const struct shoal_tcp_config *cfg);
void shoal_tcp_sender_fini(struct shoal_tcp_sender *s);

/* The outbound byte stream: the application writes and closes it. */
struct shoal_byte_stream *shoal_tcp_sender_outbound(struct shoal_tcp_sender *s);
const struct shoal_byte_stream *shoal_tcp_sender_outbound_const(const struct shoal_tcp_sender *s);

/* Send as many new segments as the window and the stream allow. */
void shoal_tcp_sender_push(struct shoal_tcp_sender *s, shoal_tcp_sender_transmit_fn transmit,
                           void *ctx);
void shoal_tcp_sender_receive(struct shoal_tcp_sender *s, const struct shoal_tcp_receiver_msg *msg);
void shoal_tcp_sender_tick(struct shoal_tcp_sender *s, uint64_t ms,
                           shoal_tcp_sender_transmit_fn transmit, void *ctx);
/* Next seqno, no SYN/FIN, no payload; RST when the outbound stream has an error. */
struct shoal_tcp_sender_msg shoal_tcp_sender_make_empty_message(const struct shoal_tcp_sender *s);
uint64_t shoal_tcp_sender_sequence_numbers_in_flight(const struct shoal_tcp_sender *s);
uint64_t shoal_tcp_sender_consecutive_retransmissions(const struct shoal_tcp_sender *s);
/* True once the FIN has been sent (the outbound stream is fully sent). */
bool shoal_tcp_sender_fin_sent(const struct shoal_tcp_sender *s);

#ifdef __cplusplus
}
#endif

#endif
