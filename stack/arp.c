/* arp.c — RFC 826 Ethernet/IPv4 messages; contract in include/shoal/arp.h. */
#include "shoal/arp.h"

#include <string.h>

enum shoal_wire_status shoal_arp_parse(const uint8_t *buf, size_t len, struct shoal_arp *out)
{
	if (len < SHOAL_ARP_LEN)
		return SHOAL_WIRE_TRUNCATED;
	if (shoal_load_be16(buf) != SHOAL_ARP_HTYPE_ETHERNET)
		return SHOAL_WIRE_BAD_HTYPE;
	if (shoal_load_be16(buf + 2) != SHOAL_ETHERTYPE_IPV4)
		return SHOAL_WIRE_BAD_PTYPE;
	if (buf[4] != SHOAL_ETH_ADDR_LEN)
		return SHOAL_WIRE_BAD_HLEN;
	if (buf[5] != 4)
		return SHOAL_WIRE_BAD_PLEN;
	uint16_t op = shoal_load_be16(buf + 6);
	if (op != SHOAL_ARP_REQUEST && op != SHOAL_ARP_REPLY)
		return SHOAL_WIRE_BAD_OPCODE;
	out->opcode = op;
	memcpy(out->sender_mac.b, buf + 8, SHOAL_ETH_ADDR_LEN);
	out->sender_ip = shoal_load_be32(buf + 14);
	memcpy(out->target_mac.b, buf + 18, SHOAL_ETH_ADDR_LEN);
	out->target_ip = shoal_load_be32(buf + 24);
	return SHOAL_WIRE_OK;
}

size_t shoal_arp_serialize(const struct shoal_arp *in, uint8_t *buf, size_t cap)
{
	if (cap < SHOAL_ARP_LEN)
		return 0;
	shoal_store_be16(buf, SHOAL_ARP_HTYPE_ETHERNET);
	shoal_store_be16(buf + 2, SHOAL_ETHERTYPE_IPV4);
	buf[4] = SHOAL_ETH_ADDR_LEN;
	buf[5] = 4;
	shoal_store_be16(buf + 6, in->opcode);
	memcpy(buf + 8, in->sender_mac.b, SHOAL_ETH_ADDR_LEN);
	shoal_store_be32(buf + 14, in->sender_ip);
	memcpy(buf + 18, in->target_mac.b, SHOAL_ETH_ADDR_LEN);
	shoal_store_be32(buf + 24, in->target_ip);
	return SHOAL_ARP_LEN;
}
