/* udp.c — UDP header and checksum; contract in include/shoal/udp.h. */
#include "shoal/udp.h"

#include <string.h>

#include "shoal/checksum.h"
#include "shoal/ipv4.h"

enum shoal_wire_status shoal_udp_parse(const uint8_t *buf, size_t len, struct shoal_udp *out)
{
	if (len < SHOAL_UDP_HDR_LEN)
		return SHOAL_WIRE_TRUNCATED;
	uint16_t length = shoal_load_be16(buf + 4);
	if (length < SHOAL_UDP_HDR_LEN || length > len)
		return SHOAL_WIRE_BAD_TOTAL_LEN;
	out->src_port = shoal_load_be16(buf);
	out->dst_port = shoal_load_be16(buf + 2);
	out->length = length;
	out->checksum = shoal_load_be16(buf + 6);
	out->payload_len = (size_t)length - SHOAL_UDP_HDR_LEN;
	out->payload = out->payload_len ? buf + SHOAL_UDP_HDR_LEN : NULL;
	return SHOAL_WIRE_OK;
}

enum shoal_wire_status shoal_udp_verify_ipv4(const uint8_t *buf, size_t len, uint32_t src,
                                             uint32_t dst)
{
	struct shoal_udp u;
	enum shoal_wire_status st = shoal_udp_parse(buf, len, &u);
	if (st != SHOAL_WIRE_OK)
		return st;
	if (u.checksum == 0)
		return SHOAL_WIRE_OK;
	uint32_t sum = shoal_checksum_pseudo_ipv4(src, dst, SHOAL_IP_PROTO_UDP, u.length);
	sum = shoal_checksum_add(sum, buf, u.length);
	return shoal_checksum_finish(sum) == 0 ? SHOAL_WIRE_OK : SHOAL_WIRE_BAD_CHECKSUM;
}

size_t shoal_udp_serialize_ipv4(const struct shoal_udp *in, uint32_t src, uint32_t dst,
                                uint8_t *buf, size_t cap)
{
	if (in->payload_len > 0xffff - SHOAL_UDP_HDR_LEN)
		return 0;
	size_t len = SHOAL_UDP_HDR_LEN + in->payload_len;
	if (cap < len)
		return 0;
	if (in->payload_len)
		memmove(buf + SHOAL_UDP_HDR_LEN, in->payload, in->payload_len);
	shoal_store_be16(buf, in->src_port);
	shoal_store_be16(buf + 2, in->dst_port);
	shoal_store_be16(buf + 4, (uint16_t)len);
	shoal_store_be16(buf + 6, 0);
	uint32_t sum = shoal_checksum_pseudo_ipv4(src, dst, SHOAL_IP_PROTO_UDP, (uint16_t)len);
	uint16_t cs = shoal_checksum_finish(shoal_checksum_add(sum, buf, len));
	shoal_store_be16(buf + 6, cs == 0 ? 0xffff : cs);
	return len;
}
