/* icmp.c — ICMP messages; contract in include/shoal/icmp.h. */
#include "shoal/icmp.h"

#include <string.h>

#include "shoal/checksum.h"

enum shoal_wire_status shoal_icmp_parse(const uint8_t *buf, size_t len, struct shoal_icmp *out)
{
	if (len < SHOAL_ICMP_HDR_LEN)
		return SHOAL_WIRE_TRUNCATED;
	if (shoal_checksum(buf, len) != 0)
		return SHOAL_WIRE_BAD_CHECKSUM;
	out->type = buf[0];
	out->code = buf[1];
	out->checksum = shoal_load_be16(buf + 2);
	out->rest = shoal_load_be32(buf + 4);
	out->data_len = len - SHOAL_ICMP_HDR_LEN;
	out->data = out->data_len ? buf + SHOAL_ICMP_HDR_LEN : NULL;
	return SHOAL_WIRE_OK;
}

size_t shoal_icmp_serialize(const struct shoal_icmp *in, uint8_t *buf, size_t cap)
{
	if (cap < SHOAL_ICMP_HDR_LEN || cap - SHOAL_ICMP_HDR_LEN < in->data_len)
		return 0;
	size_t len = SHOAL_ICMP_HDR_LEN + in->data_len;
	if (in->data_len)
		memmove(buf + SHOAL_ICMP_HDR_LEN, in->data, in->data_len);
	buf[0] = in->type;
	buf[1] = in->code;
	shoal_store_be16(buf + 2, 0);
	shoal_store_be32(buf + 4, in->rest);
	shoal_store_be16(buf + 2, shoal_checksum(buf, len));
	return len;
}

size_t shoal_icmp_build_error(uint8_t type, uint8_t code, uint16_t next_hop_mtu,
                              const uint8_t *orig, size_t orig_len, uint8_t *buf, size_t cap)
{
	if (orig_len < 20)
		return 0;
	size_t ihl = (size_t)(orig[0] & 0xf) * 4;
	if (ihl < 20 || ihl > orig_len)
		return 0;
	size_t avail = orig_len;
	size_t total = shoal_load_be16(orig + 2);
	if (total >= ihl && total < avail)
		avail = total;
	size_t quote = ihl + SHOAL_ICMP_QUOTE_PAYLOAD_LEN;
	if (quote > avail)
		quote = avail;
	struct shoal_icmp m = {.type = type, .code = code, .data = orig, .data_len = quote};
	if (type == SHOAL_ICMP_DEST_UNREACH && code == SHOAL_ICMP_UNREACH_FRAG_NEEDED)
		m.rest = next_hop_mtu;
	return shoal_icmp_serialize(&m, buf, cap);
}
