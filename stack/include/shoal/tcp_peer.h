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
 * Options (config.options; 0 = exactly the above). With options on, the peer is a full
 * endpoint (docs/tcp.md):
 *   - connect() sends the SYN; listen() makes the peer passive (LISTEN): it waits for a
 *     SYN, answers a segment with ACK by RST (RFC 9293 §3.10.7.2) and ignores the rest.
 *   - SYN options: our SYN offers MSS / window scale / SACK-permitted / timestamps as
 *     configured; a SYN+ACK echoes only what the peer's SYN offered (RFC 7323 §1.3, RFC
 *     2018 §2). Each is in use only when both SYNs carried it. SYN windows are unscaled.
 *   - Timestamps (RFC 7323 §3–§5): every non-SYN segment carries TSval (our clock) and
 *     TSecr = TS.Recent; TS.Recent is updated from segments with SEG.SEQ <= Last.ACK.sent;
 *     PAWS drops a non-RST segment whose TSval is older than TS.Recent and acks it.
 *   - SACK blocks (RFC 2018 §4) go on every ack while data above the ackno is held.
 *   - Delayed ACK (RFC 1122 §4.2.3.2, RFC 5681 §4.2): an in-order data segment is acked
 *     at the latest with the second one or after delack_ms; out-of-order data, data that
 *     fills a hole, SYN and FIN are acked at once.
 *   - Keep-alive (RFC 1122 §4.2.3.6): after keepalive_idle_ms without a received segment
 *     while established and idle, a probe (SEG.SEQ = SND.NXT - 1, no data) every
 *     keepalive_intvl_ms; after keepalive_probes unanswered probes, abort (RST).
 *   - TIME-WAIT (RFC 9293 §3.6.1): lingering lasts 2 x msl_ms after the last segment
 *     received; a retransmitted FIN is acked and restarts it; an RST in TIME-WAIT is ignored
 *     (RFC 1337).
 *   - RST validation (RFC 5961): an RST is accepted only when SEG.SEQ = RCV.NXT; inside the
 *     window it gets a challenge ACK (§3.2), outside it is dropped. A SYN on an
 *     established connection gets a challenge ACK (§4.2). An ACK beyond SND.NXT or older
 *     than SND.UNA - MAX.SND.WND is dropped with an ACK (§5.2). Challenge ACKs are limited
 *     to challenge_ack_limit per second (§7). In SYN-SENT an ACK that does not ack our SYN
 *     gets an RST and an RST is accepted only with an acceptable ACK (RFC 9293).
 *
 * Wire: shoal_tcp_message_from_header()/to_header() (tcp_message.h) turn tcp_header
 * segments into messages and back, options included.
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

/* Connection states (RFC 9293 §3.3.2), derived from the streams and halves, never stored. */
#define SHOAL_TCP_STATES(X)                                                                        \
	X(CLOSED, "CLOSED")                                                                        \
	X(LISTEN, "LISTEN")                                                                        \
	X(SYN_SENT, "SYN-SENT")                                                                    \
	X(SYN_RECEIVED, "SYN-RECEIVED")                                                            \
	X(ESTABLISHED, "ESTABLISHED")                                                              \
	X(FIN_WAIT_1, "FIN-WAIT-1")                                                                \
	X(FIN_WAIT_2, "FIN-WAIT-2")                                                                \
	X(CLOSE_WAIT, "CLOSE-WAIT")                                                                \
	X(CLOSING, "CLOSING")                                                                      \
	X(LAST_ACK, "LAST-ACK")                                                                    \
	X(TIME_WAIT, "TIME-WAIT")

#define SHOAL_TCP_STATE_ENUM_(suffix, name) SHOAL_TCP_STATE_##suffix,
enum shoal_tcp_state { SHOAL_TCP_STATES(SHOAL_TCP_STATE_ENUM_) SHOAL_TCP_STATE_COUNT_ };
#undef SHOAL_TCP_STATE_ENUM_

/* Segments the peer refuses (options on), one X-macro table: enum, names, counters. */
#define SHOAL_TCP_DROPS(X)                                                                         \
	X(INACTIVE, "inactive", "connection closed or reset")                                      \
	X(LISTEN_NOT_SYN, "listen_not_syn", "no SYN in LISTEN")                                    \
	X(LISTEN_ACK, "listen_ack", "ACK in LISTEN (answered by RST)")                             \
	X(SYN_SENT_BAD_ACK, "syn_sent_bad_ack", "ACK not covering our SYN (answered by RST)")      \
	X(RST_SYN_SENT, "rst_syn_sent", "RST in SYN-SENT without an acceptable ACK")               \
	X(RST_IN_WINDOW, "rst_in_window", "RST in the window, not at RCV.NXT (challenge ACK)")     \
	X(RST_OUT_OF_WINDOW, "rst_out_of_window", "RST outside the window")                        \
	X(RST_TIME_WAIT, "rst_time_wait", "RST in TIME-WAIT (RFC 1337)")                           \
	X(SYN_SYNCHRONIZED, "syn_synchronized", "SYN on a synchronized connection")                \
	X(PAWS, "paws", "timestamp older than TS.Recent")                                          \
	X(ACK_UNACCEPTABLE, "ack_unacceptable", "ACK beyond SND.NXT or too old (RFC 5961 5.2)")

#define SHOAL_TCP_DROP_ENUM_(suffix, name, desc) SHOAL_TCP_DROP_##suffix,
enum shoal_tcp_drop { SHOAL_TCP_DROPS(SHOAL_TCP_DROP_ENUM_) SHOAL_TCP_DROP_COUNT_ };
#undef SHOAL_TCP_DROP_ENUM_

/* What an API shows of a connection, read from the peer's own state. */
struct shoal_tcp_peer_info {
	enum shoal_tcp_state state;
	uint32_t snd_wnd;  /* peer's window, bytes (scaled) */
	uint32_t rcv_wnd;  /* our window, bytes */
	uint64_t cwnd;     /* UINT64_MAX when congestion control is off */
	uint64_t ssthresh; /* UINT64_MAX when unbounded / off */
	uint64_t srtt_us;  /* 0 before the first sample */
	uint64_t rto_ms;
	uint64_t retransmissions; /* segments resent */
	uint64_t bytes_in;        /* payload bytes delivered in order to the inbound stream */
	uint64_t bytes_out;       /* payload bytes sent (first transmissions) */
	uint32_t mss;             /* payload per segment in use */
	int snd_wscale;           /* -1 when window scaling is not in use */
	int rcv_wscale;
	bool sack;
	bool timestamps;
	uint64_t challenge_acks;
	uint64_t keepalives_sent;
	uint64_t drops[SHOAL_TCP_DROP_COUNT_]; /* segments refused, by enum shoal_tcp_drop */
};

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
	/* Options (unused when options is 0). */
	uint32_t options;
	bool passive;    /* listen() */
	bool negotiated; /* SYN options settled */
	bool wscale_ok;
	bool sack_ok;
	bool ts_ok;
	uint16_t our_mss;
	uint8_t our_wscale;
	int peer_wscale; /* -1 = none */
	uint32_t ts_recent;
	uint32_t last_ack_sent; /* ackno of our last segment */
	bool ack_delayed;
	uint32_t delayed_segs;
	uint64_t delack_ms;
	uint64_t delack_deadline;
	uint64_t ka_idle_ms;
	uint64_t ka_intvl_ms;
	uint32_t ka_probes;
	uint32_t ka_sent;
	uint64_t ka_last_ms; /* last probe sent */
	uint32_t challenge_limit;
	uint32_t challenge_count;
	uint64_t challenge_window_start;
	uint32_t max_snd_wnd;
	struct shoal_tcp_peer_info counters; /* only the counter fields are used */
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

/* Active open: sends the SYN (with options). Same as push() on a fresh peer. */
void shoal_tcp_peer_connect(struct shoal_tcp_peer *p);
/* Passive open: wait for a SYN (options on; a minnow peer is passive until it pushes). */
void shoal_tcp_peer_listen(struct shoal_tcp_peer *p);
/* Abort: sends one RST and makes the peer inactive (both streams get the error). */
void shoal_tcp_peer_abort(struct shoal_tcp_peer *p);
enum shoal_tcp_state shoal_tcp_peer_state(const struct shoal_tcp_peer *p);
/* "paws", "rst_in_window", ... (counter / API key); "?" for an unknown value. */
const char *shoal_tcp_drop_name(enum shoal_tcp_drop d);
/* "ESTABLISHED", "TIME-WAIT", ...; "?" for an unknown value. */
const char *shoal_tcp_state_name(enum shoal_tcp_state st);
void shoal_tcp_peer_get_info(const struct shoal_tcp_peer *p, struct shoal_tcp_peer_info *out);

/* Streams: the application writes the outbound one and reads the inbound one. */
struct shoal_byte_stream *shoal_tcp_peer_outbound(struct shoal_tcp_peer *p);
struct shoal_byte_stream *shoal_tcp_peer_inbound(struct shoal_tcp_peer *p);

#ifdef __cplusplus
}
#endif

#endif
