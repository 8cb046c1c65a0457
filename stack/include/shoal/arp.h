/*
 * arp.h — ARP (RFC 826) messages for Ethernet/IPv4, 28 bytes.
 *
 * Role: parse/serialize only; the ARP cache and replies are netif's behaviour.
 * Layout: htype 1 (2), ptype 0x0800 (2), hlen 6 (1), plen 4 (1), opcode (2), sender MAC (6),
 * sender IP (4), target MAC (6), target IP (4). Bytes after the 28 (Ethernet padding) are
 * ignored by parse.
 *
 * Parse checks, in this order, each with its own status: len >= 28 (TRUNCATED), htype
 * (BAD_HTYPE), ptype (BAD_PTYPE), hlen (BAD_HLEN), plen (BAD_PLEN), opcode 1 or 2
 * (BAD_OPCODE). Serialize writes the fixed htype/ptype/hlen/plen and the struct's fields as
 * given (it does not validate the opcode).
 * Addresses are host byte order. Ownership: plain values; see wire.h for conventions.
 */
#ifndef SHOAL_ARP_H
#define SHOAL_ARP_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>
#include <stdint.h>

#include "shoal/ethernet.h"
#include "shoal/wire.h"

enum {
	SHOAL_ARP_LEN = 28,
	SHOAL_ARP_HTYPE_ETHERNET = 1,
};

enum shoal_arp_opcode {
	SHOAL_ARP_REQUEST = 1,
	SHOAL_ARP_REPLY = 2,
};

struct shoal_arp {
	uint16_t opcode; /* enum shoal_arp_opcode */
	struct shoal_mac sender_mac;
	uint32_t sender_ip;
	struct shoal_mac target_mac; /* all zeros in a request */
	uint32_t target_ip;
};

enum shoal_wire_status shoal_arp_parse(const uint8_t *buf, size_t len, struct shoal_arp *out);
/* Returns SHOAL_ARP_LEN, or 0 when cap < SHOAL_ARP_LEN. */
size_t shoal_arp_serialize(const struct shoal_arp *in, uint8_t *buf, size_t cap);

#ifdef __cplusplus
}
#endif

#endif
