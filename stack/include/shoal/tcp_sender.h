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
 * Options (config.options; all off = exactly the above, spec §6):
 *   - MSS: after shoal_tcp_sender_negotiate(), payload per segment = min(max_payload, the
 *     peer's MSS, or 536 when the peer sent none; RFC 9293 §3.7.1).
 *   - WSCALE: once negotiated, windows in non-SYN acks are shifted left by the peer's
 *     shift (RFC 7323 §2.3); the byte ring then holds send_capacity + max_payload bytes.
 *   - RTT_ESTIMATE (RFC 6298): one RTT sample per new ack, from the echoed timestamp when
 *     timestamps are on, else from the newest segment it acknowledges entirely, and never
 *     when any segment it acknowledges was retransmitted (Karn). First sample R: SRTT = R,
 *     RTTVAR = R/2; later: RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R|, SRTT = 7/8 SRTT + 1/8 R;
 *     RTO = max(min_rto, SRTT + max(1 ms, 4 RTTVAR)), at most max_rto (backoff included).
 *     A new ack without a sample keeps the current (possibly backed-off) RTO.
 *   - CONGESTION (RFC 5681, RFC 6582): cwnd starts at IW (§3.1) and ssthresh unbounded;
 *     slow start adds min(acked, MSS) per new ack, congestion avoidance MSS*MSS/cwnd. A
 *     duplicate ack (§2: no data, no SYN/FIN, ack = SND.UNA, same window, data
 *     outstanding) counts; the dupack_threshold-th one (when SND.UNA > recover) starts
 *     fast retransmit: ssthresh = max(FlightSize/2, 2 MSS), recover = highest sent, the
 *     oldest segment is retransmitted, cwnd = ssthresh + 3 MSS (+ MSS per further dupack).
 *     A partial ack retransmits the oldest segment and deflates cwnd by the amount acked
 *     (+ MSS if that was >= MSS); a full ack (>= recover) sets cwnd = min(ssthresh,
 *     max(FlightSize, MSS) + MSS) and ends recovery. An RTO sets ssthresh = max(FlightSize/2,
 *     2 MSS), cwnd = 1 MSS, recover = highest sent, and marks every other unSACKed
 *     outstanding segment lost so push() resends them as cwnd allows. New data and resends
 *     go only while the data in the network (outstanding, minus SACKed, minus lost not yet
 *     resent) is below cwnd. receive() has no transmit callback: the retransmissions it
 *     decides (fast retransmit, partial ack) go out at the next push(), before new data and
 *     regardless of cwnd.
 *   - SACK (RFC 2018, loss marking after RFC 6675): SACK blocks of an ack mark the
 *     outstanding segments they cover entirely; an unSACKed segment never retransmitted
 *     with dupack_threshold SACKed segments above it is lost and is resent first. In
 *     recovery with SACK, cwnd = ssthresh (no inflation): SACKed bytes leave the pipe.
 *   - NAGLE (RFC 1122 §4.2.3.4): while data is unacknowledged, a segment shorter than the
 *     MSS is held back unless it carries the FIN.
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
	SHOAL_TCP_SEG_SACKED = 4,  /* covered by a SACK block */
	SHOAL_TCP_SEG_RETX = 8,    /* retransmitted at least once (Karn) */
	SHOAL_TCP_SEG_LOST = 16,   /* deemed lost, resent by push() as cwnd allows */
	SHOAL_TCP_SEG_RESEND = 32, /* fast/partial-ack retransmission: push() resends it first */
};

struct shoal_tcp_seg_desc {
	uint64_t abs_seqno;
	uint64_t sent_ms; /* sender clock when last (re)transmitted */
	uint32_t payload_len;
	uint8_t flags; /* enum shoal_tcp_seg_flag bits */
};

/* Counters and estimator state, for an API (read from the sender itself). */
struct shoal_tcp_sender_stats {
	uint64_t segments_sent;    /* new segments */
	uint64_t bytes_sent;       /* new payload bytes */
	uint64_t retransmissions;  /* segments resent, any cause */
	uint64_t timeouts;         /* retransmission timer expiries */
	uint64_t fast_retransmits; /* recoveries entered */
	uint64_t rtt_samples;
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
	uint32_t window; /* bytes, after window scaling */
	bool timer_running;
	bool syn_sent;
	bool fin_sent;
	/* Options (see above); unused when options is 0. */
	uint32_t options;
	size_t mss;         /* payload per segment now: max_payload until negotiated */
	uint8_t snd_wscale; /* shift applied to the peer's windows (after the SYN) */
	bool sack_ok;       /* SACK negotiated */
	bool ts_ok;         /* timestamps negotiated */
	uint32_t ts_offset; /* added to now_ms for our timestamps */
	uint64_t now_ms;    /* sum of ticks */
	uint64_t srtt_us;   /* valid when has_rtt */
	uint64_t rttvar_us;
	bool has_rtt;
	uint64_t min_rto;
	uint64_t max_rto;
	uint64_t cwnd;
	uint64_t ssthresh;
	uint64_t recover; /* absolute seqno: highest sent when recovery began */
	uint32_t dupacks;
	uint32_t dupack_threshold;
	uint32_t initial_cwnd_segs;
	bool in_recovery;
	bool first_partial_ack;
	struct shoal_tcp_sender_stats stats;
};

/* Uses isn, rt_timeout_ms, send_capacity, max_payload, max_outstanding_segments and the
 * option fields. Returns 0, or -1 on allocation failure or invalid config (max_payload or
 * max_outstanding_segments 0, unknown option bits). */
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

/* ---- options (used by the peer; no effect on a sender whose options are 0) ---- */

/* Records what the SYN exchange settled: the peer's MSS (0 = none sent), the shift to
 * apply to its windows (-1 = no window scaling), SACK and timestamps in use. Sets the
 * initial cwnd from the resulting MSS. */
void shoal_tcp_sender_negotiate(struct shoal_tcp_sender *s, uint16_t peer_mss, int peer_wscale,
                                bool sack_ok, bool ts_ok);
/* receive() with what the peer knows of the segment that carried the ack: its sequence
 * length (duplicate-ack detection) and its options (SACK blocks, timestamp echo). */
void shoal_tcp_sender_receive_segment(struct shoal_tcp_sender *s,
                                      const struct shoal_tcp_receiver_msg *msg, uint64_t seg_len,
                                      const struct shoal_tcp_options *opts);
/* Our timestamp clock (now_ms + ts_offset), for TSval. */
uint32_t shoal_tcp_sender_ts_now(const struct shoal_tcp_sender *s);
/* Absolute seqno of the oldest unacknowledged byte (SND.UNA) and the next to send. */
uint64_t shoal_tcp_sender_una(const struct shoal_tcp_sender *s);
uint64_t shoal_tcp_sender_next(const struct shoal_tcp_sender *s);
uint64_t shoal_tcp_sender_rto(const struct shoal_tcp_sender *s);
/* Smoothed RTT in microseconds, 0 before the first sample. */
uint64_t shoal_tcp_sender_srtt_us(const struct shoal_tcp_sender *s);
/* Congestion window and slow-start threshold in bytes (UINT64_MAX when off / unbounded). */
uint64_t shoal_tcp_sender_cwnd(const struct shoal_tcp_sender *s);
uint64_t shoal_tcp_sender_ssthresh(const struct shoal_tcp_sender *s);
/* The peer's window in bytes as last advertised (scaled). */
uint32_t shoal_tcp_sender_window(const struct shoal_tcp_sender *s);
const struct shoal_tcp_sender_stats *shoal_tcp_sender_stats(const struct shoal_tcp_sender *s);
/* Resends the oldest outstanding segment now (e.g. the SYN+ACK when the SYN comes again);
 * no effect when nothing is outstanding. Does not touch the timer or the backoff. */
void shoal_tcp_sender_retransmit_oldest(struct shoal_tcp_sender *s,
                                        shoal_tcp_sender_transmit_fn transmit, void *ctx);

#ifdef __cplusplus
}
#endif

#endif
