/*
 * udp.h — UDP header (RFC 768) with the IPv4 pseudo-header checksum.
 *
 * Role: parse/serialize only. Layout: source port, destination port, length (header +
 * payload), checksum — 8 bytes, big-endian.
 *
 * Parse checks: len >= 8 (TRUNCATED); 8 <= length field <= len (BAD_TOTAL_LEN). Bytes past the
 * length field are ignored; payload points into buf. Parse does not verify the checksum (it
 * needs the IP addresses): call shoal_udp_verify_ipv4(), where a checksum field of 0 means
 * "none" and verifies. Serialize computes the checksum; a computed 0 is sent as 0xffff.
 * Addresses host byte order. Ownership: payload is caller-owned. See wire.h.
 */
#ifndef SHOAL_UDP_H
#define SHOAL_UDP_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>
#include <stdint.h>

#include "shoal/wire.h"

enum {
	SHOAL_UDP_HDR_LEN = 8,
};

struct shoal_udp {
	uint16_t src_port;
	uint16_t dst_port;
	uint16_t length;   /* header + payload, as received; serialize derives it */
	uint16_t checksum; /* as received; serialize computes it */
	const uint8_t *payload;
	size_t payload_len;
};

enum shoal_wire_status shoal_udp_parse(const uint8_t *buf, size_t len, struct shoal_udp *out);
/* buf/len: the UDP datagram (len >= its length field, as accepted by parse). Returns OK when
 * the checksum field is 0 or the pseudo-header sum verifies, else BAD_CHECKSUM (TRUNCATED /
 * BAD_TOTAL_LEN as parse for a malformed header). */
enum shoal_wire_status shoal_udp_verify_ipv4(const uint8_t *buf, size_t len, uint32_t src,
                                             uint32_t dst);
/* Writes header + payload (payload may overlap buf + 8); length = 8 + payload_len. Returns that
 * length, or 0 when cap is too small or the length exceeds 65535. */
size_t shoal_udp_serialize_ipv4(const struct shoal_udp *in, uint32_t src, uint32_t dst,
                                uint8_t *buf, size_t cap);

#ifdef __cplusplus
}
#endif

#endif
