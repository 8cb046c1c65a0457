/*
 * tcp_config.h — tunables of a TCP connection (sender, receiver, peer).
 *
 * Role: one struct carries every number the TCP modules use, so none is a constant in the
 * code. shoal_tcp_config_defaults() fills in the spec's values (stack-behaviour.md §6–§7):
 * ISN 0, initial RTO 1,000 ms, send and receive capacities 64,000 bytes, max payload 1,000
 * bytes, max retransmissions 8, advertised window cap 65,535, linger factor 10 (linger for
 * 10 x initial RTO), and a bound of 4,096 outstanding segments per sender, with options 0:
 * exactly the minnow model.
 *
 * Options: `options` is a bit set of enum shoal_tcp_option; each bit turns on one RFC
 * behaviour (docs/tcp.md lists them with their RFC sections). SHOAL_TCP_CFG_ALL is every
 * one. The numbers below `options` in the struct only matter when their option is on;
 * shoal_tcp_config_defaults() gives them the RFCs' recommended values, so turning an option
 * on needs no other field. Options that are negotiated in the SYN exchange (MSS, window
 * scale, SACK, timestamps) are used only when both ends offer them.
 *
 * Ownership: plain value; the modules copy what they need at init.
 */
#ifndef SHOAL_TCP_CONFIG_H
#define SHOAL_TCP_CONFIG_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>
#include <stdint.h>

enum shoal_tcp_option {
	SHOAL_TCP_OPT_NONE = 0,
	SHOAL_TCP_CFG_MSS = 1u << 0,        /* MSS option in the SYN (RFC 9293 §3.7.1) */
	SHOAL_TCP_CFG_WSCALE = 1u << 1,     /* window scaling (RFC 7323 §2) */
	SHOAL_TCP_CFG_TIMESTAMPS = 1u << 2, /* timestamps, RTTM and PAWS (RFC 7323 §3–§5) */
	SHOAL_TCP_CFG_SACK = 1u << 3,       /* SACK-permitted, SACK blocks, scoreboard (RFC 2018) */
	SHOAL_TCP_CFG_RTT_ESTIMATE = 1u << 4, /* RTO from SRTT/RTTVAR, Karn's rule (RFC 6298) */
	SHOAL_TCP_CFG_CONGESTION =
	    1u << 5, /* cwnd/ssthresh, fast retransmit, NewReno (RFC 5681, 6582) */
	SHOAL_TCP_CFG_DELAYED_ACK = 1u << 6, /* delayed ACKs (RFC 1122 §4.2.3.2, RFC 5681 §4.2) */
	SHOAL_TCP_CFG_NAGLE = 1u << 7,       /* Nagle's algorithm (RFC 1122 §4.2.3.4) */
	SHOAL_TCP_CFG_KEEPALIVE = 1u << 8,   /* keep-alive probes (RFC 1122 §4.2.3.6) */
	SHOAL_TCP_CFG_TIME_WAIT = 1u << 9,   /* TIME-WAIT for 2 MSL (RFC 9293 §3.6.1, RFC 1337) */
	SHOAL_TCP_CFG_RST_VALIDATION = 1u << 10, /* RST/SYN/ACK checks, challenge ACKs (RFC 5961) */
	SHOAL_TCP_CFG_ALL = (1u << 11) - 1,
};

/* The largest window a receiver message can express (16-bit window, no scaling). */
enum { SHOAL_TCP_MAX_WINDOW = 65535 };
/* The largest window shift (RFC 7323 §2.3). */
enum { SHOAL_TCP_MAX_WSCALE = 14 };

struct shoal_tcp_config {
	uint32_t isn;                    /* our initial sequence number (see tcp_isn.h) */
	uint64_t rt_timeout_ms;          /* initial retransmission timeout */
	size_t send_capacity;            /* outbound byte stream capacity */
	size_t recv_capacity;            /* inbound byte stream (reassembler) capacity */
	size_t max_payload;              /* payload bytes per segment (SYN/FIN not counted) */
	uint64_t max_retransmissions;    /* dead after more consecutive retransmissions */
	uint32_t window_cap;             /* advertised window cap, <= SHOAL_TCP_MAX_WINDOW */
	uint64_t linger_factor;          /* linger linger_factor x rt_timeout_ms */
	size_t max_outstanding_segments; /* sender's bounded descriptor array */
	uint32_t options;                /* enum shoal_tcp_option bits; 0 = minnow model */
	/* Used only when their option is on (defaults in parentheses). */
	uint16_t mss;                 /* MSS we advertise; 0 = max_payload capped at 65,535 (0) */
	uint8_t wscale;               /* shift we offer, <= 14 (7) */
	uint32_t ts_offset;           /* added to our timestamp clock (0; RFC 7323 §5.4) */
	uint64_t min_rto_ms;          /* lower bound of the computed RTO (1,000; RFC 6298 §2.4) */
	uint64_t max_rto_ms;          /* upper bound of any RTO (60,000; RFC 6298 §2.5) */
	uint32_t dupack_threshold;    /* duplicate ACKs that trigger fast retransmit (3) */
	uint32_t initial_cwnd_segs;   /* 0 = RFC 5681 §3.1 IW from the MSS (0) */
	uint64_t delack_ms;           /* delayed-ACK timer (200; RFC 1122: < 500 ms) */
	uint64_t keepalive_idle_ms;   /* idle time before the first probe (7,200,000) */
	uint64_t keepalive_intvl_ms;  /* between unanswered probes (75,000) */
	uint32_t keepalive_probes;    /* unanswered probes before abort (9) */
	uint64_t msl_ms;              /* maximum segment lifetime; TIME-WAIT = 2 MSL (30,000) */
	uint32_t challenge_ack_limit; /* challenge ACKs per second (1,000; RFC 5961 §7) */
};

void shoal_tcp_config_defaults(struct shoal_tcp_config *cfg);

#ifdef __cplusplus
}
#endif

#endif
