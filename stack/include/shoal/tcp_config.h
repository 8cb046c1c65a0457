/*
 * tcp_config.h — tunables of a TCP connection (sender, receiver, peer).
 *
 * Role: one struct carries every number the TCP modules use, so none is a constant in the
 * code. shoal_tcp_config_defaults() fills in the spec's values (stack-behaviour.md §6–§7):
 * ISN 0, initial RTO 1,000 ms, send and receive capacities 64,000 bytes, max payload 1,000
 * bytes, max retransmissions 8, advertised window cap 65,535, linger factor 10 (linger for
 * 10 x initial RTO), and a bound of 4,096 outstanding segments per sender.
 *
 * Room for growth: `options` is a bit set of enum shoal_tcp_option. Later work adds
 * MSS/window-scale options, RFC 6298 RTT estimation, fast retransmit and congestion control
 * as options; today no option is implemented and options must be 0 (init rejects others).
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
	/* Reserved for later: MSS, window scaling, RTT estimation, fast retransmit, CC. */
};

/* The largest window a receiver message can express (16-bit window, no scaling). */
enum { SHOAL_TCP_MAX_WINDOW = 65535 };

struct shoal_tcp_config {
	uint32_t isn;                    /* our initial sequence number */
	uint64_t rt_timeout_ms;          /* initial retransmission timeout */
	size_t send_capacity;            /* outbound byte stream capacity */
	size_t recv_capacity;            /* inbound byte stream (reassembler) capacity */
	size_t max_payload;              /* payload bytes per segment (SYN/FIN not counted) */
	uint64_t max_retransmissions;    /* dead after more consecutive retransmissions */
	uint32_t window_cap;             /* advertised window cap, <= SHOAL_TCP_MAX_WINDOW */
	uint64_t linger_factor;          /* linger linger_factor x rt_timeout_ms */
	size_t max_outstanding_segments; /* sender's bounded descriptor array */
	uint32_t options;                /* enum shoal_tcp_option bits; 0 today */
};

void shoal_tcp_config_defaults(struct shoal_tcp_config *cfg);

#ifdef __cplusplus
}
#endif

#endif
