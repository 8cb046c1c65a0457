/* tcp_header.c — TCP header and options; contract in include/shoal/tcp_header.h. */
#include "shoal/tcp_header.h"

#include <string.h>

#include "shoal/checksum.h"
#include "shoal/ipv4.h"

static enum shoal_wire_status tcp_options_parse(const uint8_t *p, size_t len,
                                                struct shoal_tcp_options *o)
{
	size_t i = 0;
	memset(o, 0, sizeof(*o));
	while (i < len) {
		uint8_t kind = p[i];
		if (kind == SHOAL_TCP_OPT_EOL)
			break;
		if (kind == SHOAL_TCP_OPT_NOP) {
			i++;
			continue;
		}
		if (len - i < 2)
			return SHOAL_WIRE_BAD_OPTION_LEN;
		size_t olen = p[i + 1];
		if (olen < 2 || olen > len - i)
			return SHOAL_WIRE_BAD_OPTION_LEN;
		const uint8_t *v = p + i + 2;
		switch (kind) {
		case SHOAL_TCP_OPT_MSS:
			if (olen != 4)
				return SHOAL_WIRE_BAD_OPTION;
			o->has_mss = true;
			o->mss = shoal_load_be16(v);
			break;
		case SHOAL_TCP_OPT_WSCALE:
			if (olen != 3)
				return SHOAL_WIRE_BAD_OPTION;
			o->has_wscale = true;
			o->wscale = v[0];
			break;
		case SHOAL_TCP_OPT_SACK_PERMITTED:
			if (olen != 2)
				return SHOAL_WIRE_BAD_OPTION;
			o->sack_permitted = true;
			break;
		case SHOAL_TCP_OPT_TIMESTAMPS:
			if (olen != 10)
				return SHOAL_WIRE_BAD_OPTION;
			o->has_timestamps = true;
			o->ts_val = shoal_load_be32(v);
			o->ts_ecr = shoal_load_be32(v + 4);
			break;
		case SHOAL_TCP_OPT_SACK:
			if (olen < 10 || (olen - 2) % 8 ||
			    (olen - 2) / 8 > SHOAL_TCP_MAX_SACK_BLOCKS)
				return SHOAL_WIRE_BAD_OPTION;
			o->sack_count = (uint8_t)((olen - 2) / 8);
			for (size_t b = 0; b < o->sack_count; b++) {
				o->sack[b].left = shoal_load_be32(v + 8 * b);
				o->sack[b].right = shoal_load_be32(v + 8 * b + 4);
			}
			break;
		default:
			break; /* unknown: skipped */
		}
		i += olen;
	}
	return SHOAL_WIRE_OK;
}

enum shoal_wire_status shoal_tcp_parse(const uint8_t *buf, size_t len, struct shoal_tcp_header *out)
{
	if (len < SHOAL_TCP_MIN_HDR_LEN)
		return SHOAL_WIRE_TRUNCATED;
	uint8_t doff = buf[12] >> 4;
	size_t hdr_len = (size_t)doff * 4;
	if (doff < 5 || hdr_len > len)
		return SHOAL_WIRE_BAD_DATA_OFFSET;
	enum shoal_wire_status st = tcp_options_parse(buf + SHOAL_TCP_MIN_HDR_LEN,
	                                              hdr_len - SHOAL_TCP_MIN_HDR_LEN, &out->opts);
	if (st != SHOAL_WIRE_OK)
		return st;
	out->src_port = shoal_load_be16(buf);
	out->dst_port = shoal_load_be16(buf + 2);
	out->seq = shoal_load_be32(buf + 4);
	out->ack = shoal_load_be32(buf + 8);
	out->data_offset = doff;
	out->flags = buf[13];
	out->window = shoal_load_be16(buf + 14);
	out->checksum = shoal_load_be16(buf + 16);
	out->urgent = shoal_load_be16(buf + 18);
	out->payload_len = len - hdr_len;
	out->payload = out->payload_len ? buf + hdr_len : NULL;
	return SHOAL_WIRE_OK;
}

enum shoal_wire_status shoal_tcp_verify_ipv4(const uint8_t *buf, size_t len, uint32_t src,
                                             uint32_t dst)
{
	if (len > 0xffff)
		return SHOAL_WIRE_BAD_TOTAL_LEN;
	uint32_t sum = shoal_checksum_pseudo_ipv4(src, dst, SHOAL_IP_PROTO_TCP, (uint16_t)len);
	sum = shoal_checksum_add(sum, buf, len);
	return shoal_checksum_finish(sum) == 0 ? SHOAL_WIRE_OK : SHOAL_WIRE_BAD_CHECKSUM;
}

/* Encodes the options into out (at least 40 bytes); returns the padded length. */
static size_t tcp_options_write(const struct shoal_tcp_options *o, uint8_t *out)
{
	size_t n = 0;
	if (o->has_mss) {
		out[n++] = SHOAL_TCP_OPT_MSS;
		out[n++] = 4;
		shoal_store_be16(out + n, o->mss);
		n += 2;
	}
	if (o->sack_permitted && o->has_timestamps) {
		out[n++] = SHOAL_TCP_OPT_SACK_PERMITTED;
		out[n++] = 2;
	} else if (o->sack_permitted) {
		out[n++] = SHOAL_TCP_OPT_NOP;
		out[n++] = SHOAL_TCP_OPT_NOP;
		out[n++] = SHOAL_TCP_OPT_SACK_PERMITTED;
		out[n++] = 2;
	} else if (o->has_timestamps) {
		out[n++] = SHOAL_TCP_OPT_NOP;
		out[n++] = SHOAL_TCP_OPT_NOP;
	}
	if (o->has_timestamps) {
		out[n++] = SHOAL_TCP_OPT_TIMESTAMPS;
		out[n++] = 10;
		shoal_store_be32(out + n, o->ts_val);
		shoal_store_be32(out + n + 4, o->ts_ecr);
		n += 8;
	}
	if (o->has_wscale) {
		out[n++] = SHOAL_TCP_OPT_NOP;
		out[n++] = SHOAL_TCP_OPT_WSCALE;
		out[n++] = 3;
		out[n++] = o->wscale;
	}
	size_t room = SHOAL_TCP_MAX_HDR_LEN - SHOAL_TCP_MIN_HDR_LEN - n;
	size_t blocks = room >= 4 ? (room - 4) / 8 : 0;
	if (blocks > o->sack_count)
		blocks = o->sack_count;
	if (blocks > 0) {
		out[n++] = SHOAL_TCP_OPT_NOP;
		out[n++] = SHOAL_TCP_OPT_NOP;
		out[n++] = SHOAL_TCP_OPT_SACK;
		out[n++] = (uint8_t)(2 + 8 * blocks);
		for (size_t b = 0; b < blocks; b++) {
			shoal_store_be32(out + n, o->sack[b].left);
			shoal_store_be32(out + n + 4, o->sack[b].right);
			n += 8;
		}
	}
	while (n % 4)
		out[n++] = SHOAL_TCP_OPT_EOL;
	return n;
}

size_t shoal_tcp_serialize_ipv4(const struct shoal_tcp_header *in, uint32_t src, uint32_t dst,
                                uint8_t *buf, size_t cap)
{
	uint8_t opts[SHOAL_TCP_MAX_HDR_LEN - SHOAL_TCP_MIN_HDR_LEN];
	size_t olen = tcp_options_write(&in->opts, opts);
	size_t hdr_len = SHOAL_TCP_MIN_HDR_LEN + olen;
	if (in->payload_len > 0xffff - hdr_len)
		return 0;
	size_t len = hdr_len + in->payload_len;
	if (cap < len)
		return 0;
	if (in->payload_len)
		memmove(buf + hdr_len, in->payload, in->payload_len);
	shoal_store_be16(buf, in->src_port);
	shoal_store_be16(buf + 2, in->dst_port);
	shoal_store_be32(buf + 4, in->seq);
	shoal_store_be32(buf + 8, in->ack);
	buf[12] = (uint8_t)(hdr_len / 4 << 4);
	buf[13] = in->flags;
	shoal_store_be16(buf + 14, in->window);
	shoal_store_be16(buf + 16, 0);
	shoal_store_be16(buf + 18, in->urgent);
	memcpy(buf + SHOAL_TCP_MIN_HDR_LEN, opts, olen);
	uint32_t sum = shoal_checksum_pseudo_ipv4(src, dst, SHOAL_IP_PROTO_TCP, (uint16_t)len);
	shoal_store_be16(buf + 16, shoal_checksum_finish(shoal_checksum_add(sum, buf, len)));
	return len;
}
