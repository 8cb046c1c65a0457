/*
 * tcp_isn.h — initial sequence numbers from a keyed hash (RFC 6528).
 *
 * Role: ISN = M + F(localip, localport, remoteip, remoteport, secretkey) where M is a
 * timer ticking every 4 microseconds (RFC 6528 §3, RFC 9293 §3.4.1) and F is SipHash-2-4
 * (siphash.h) keyed with the caller's 16-byte secret over the 12-byte connection id
 * (addresses and ports in network byte order: local IP, remote IP, local port, remote port).
 * The caller supplies both the key (from its source of randomness) and the time: the
 * function reads no clock and keeps no state.
 *
 * Ownership: pure function; key is read during the call only. Addresses in host byte order.
 */
#ifndef SHOAL_TCP_ISN_H
#define SHOAL_TCP_ISN_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdint.h>

#include "shoal/siphash.h"

uint32_t shoal_tcp_isn(const uint8_t key[SHOAL_SIPHASH_KEY_LEN], uint32_t local_ip,
                       uint16_t local_port, uint32_t remote_ip, uint16_t remote_port,
                       uint64_t now_us);

#ifdef __cplusplus
}
#endif

#endif
