/* segment.c — fragmentation, TCP GSO segmentation, checksum completion; see segment.h. */
#include "shoal/segment.h"

#include <string.h>

#include "shoal/checksum.h"
#include "shoal/ipv4.h"
#include "shoal/wire.h"

enum {
	SEGMENT_TCP_MIN_HDR = 20,
	SEGMENT_TCP_FIN = 0x01,
	SEGMENT_TCP_PSH = 0x08,
	SEGMENT_TCP_CWR = 0x80,
	SEGMENT_OPT_COPIED = 0x80,
	SEGMENT_OPT_EOL = 0,
	SEGMENT_OPT_NOP = 1,
};

const char *shoal_segment_status_name(enum shoal_segment_status s)
{
	switch (s) {
	case SHOAL_SEGMENT_OK:
		return "ok";
	case SHOAL_SEGMENT_MALFORMED:
		return "malformed";
	case SHOAL_SEGMENT_DONT_FRAGMENT:
		return "dont_fragment";
	case SHOAL_SEGMENT_MTU_TOO_SMALL:
		return "mtu_too_small";
	case SHOAL_SEGMENT_NO_SPACE:
		return "no_space";
	case SHOAL_SEGMENT_EMIT_FAILED:
		return "emit_failed";
	}
	return "unknown";
}

/* Builds the options kept in non-first fragments (copy flag set) into out; returns the
 * length padded to a multiple of 4. */
static size_t segment_options_copied(const uint8_t *opt, size_t len, uint8_t *out)
{
	size_t i = 0, n = 0;
	while (i < len) {
		uint8_t type = opt[i];
		if (type == SEGMENT_OPT_EOL)
			break;
		if (type == SEGMENT_OPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= len || opt[i + 1] < 2 || i + opt[i + 1] > len)
			break; /* the parser accepted the header; stop at anything odd */
		uint8_t olen = opt[i + 1];
		if (type & SEGMENT_OPT_COPIED) {
			memcpy(out + n, opt + i, olen);
			n += olen;
		}
		i += olen;
	}
	while (n % 4)
		out[n++] = SEGMENT_OPT_EOL;
	return n;
}

enum shoal_segment_status shoal_segment_fragment(const uint8_t *dgram, size_t len, unsigned mtu,
                                                 uint8_t *scratch, size_t scratch_len,
                                                 size_t headroom, shoal_segment_emit_fn emit,
                                                 void *ctx)
{
	struct shoal_ipv4_hdr h;
	if (shoal_ipv4_parse(dgram, len, &h) != SHOAL_WIRE_OK || h.total_len != len)
		return SHOAL_SEGMENT_MALFORMED;
	size_t hlen = shoal_ipv4_hdr_len(&h);
	if (scratch_len < headroom)
		return SHOAL_SEGMENT_NO_SPACE;
	uint8_t *out = scratch + headroom;
	size_t room = scratch_len - headroom;

	if (len <= mtu) {
		if (room < len)
			return SHOAL_SEGMENT_NO_SPACE;
		memcpy(out, dgram, len);
		return emit(ctx, out, len) ? SHOAL_SEGMENT_EMIT_FAILED : SHOAL_SEGMENT_OK;
	}
	if (shoal_ipv4_df(&h))
		return SHOAL_SEGMENT_DONT_FRAGMENT;

	uint8_t later_opts[SHOAL_IPV4_MAX_OPTIONS_LEN];
	size_t later_hlen =
	    SHOAL_IPV4_MIN_HDR_LEN + segment_options_copied(h.options, h.options_len, later_opts);
	size_t max_hlen = hlen > later_hlen ? hlen : later_hlen;
	if (mtu < max_hlen + 8)
		return SHOAL_SEGMENT_MTU_TOO_SMALL;
	if (room < mtu)
		return SHOAL_SEGMENT_NO_SPACE;

	const uint8_t *payload = dgram + hlen;
	size_t payload_len = len - hlen;
	uint16_t base_units = shoal_ipv4_frag_offset(&h);
	bool orig_mf = shoal_ipv4_mf(&h);
	size_t off = 0;
	bool first = true;
	while (off < payload_len) {
		struct shoal_ipv4_hdr fh = h;
		size_t fh_len = first ? hlen : later_hlen;
		if (!first) {
			fh.options = later_opts;
			fh.options_len = later_hlen - SHOAL_IPV4_MIN_HDR_LEN;
		}
		size_t chunk = (mtu - fh_len) & ~(size_t)7;
		bool last = payload_len - off <= chunk;
		if (last)
			chunk = payload_len - off;
		fh.total_len = (uint16_t)(fh_len + chunk);
		shoal_ipv4_set_frag(&fh, false, last ? orig_mf : true,
		                    (uint16_t)(base_units + off / 8));
		if (shoal_ipv4_serialize(&fh, out, room) != fh_len)
			return SHOAL_SEGMENT_NO_SPACE;
		memcpy(out + fh_len, payload + off, chunk);
		if (emit(ctx, out, fh_len + chunk))
			return SHOAL_SEGMENT_EMIT_FAILED;
		off += chunk;
		first = false;
	}
	return SHOAL_SEGMENT_OK;
}

enum shoal_segment_status shoal_segment_tcp4(const uint8_t *dgram, size_t len, unsigned mss,
                                             uint8_t *scratch, size_t scratch_len, size_t headroom,
                                             shoal_segment_emit_fn emit, void *ctx)
{
	struct shoal_ipv4_hdr h;
	if (shoal_ipv4_parse(dgram, len, &h) != SHOAL_WIRE_OK || h.total_len != len ||
	    h.protocol != SHOAL_IP_PROTO_TCP || shoal_ipv4_is_fragment(&h))
		return SHOAL_SEGMENT_MALFORMED;
	size_t ip_hlen = shoal_ipv4_hdr_len(&h);
	if (len < ip_hlen + SEGMENT_TCP_MIN_HDR)
		return SHOAL_SEGMENT_MALFORMED;
	const uint8_t *tcp = dgram + ip_hlen;
	size_t tcp_hlen = (size_t)(tcp[12] >> 4) * 4;
	if (tcp_hlen < SEGMENT_TCP_MIN_HDR || ip_hlen + tcp_hlen > len || mss == 0)
		return SHOAL_SEGMENT_MALFORMED;
	size_t hdrs = ip_hlen + tcp_hlen;
	if (scratch_len < headroom || scratch_len - headroom < hdrs + mss)
		return SHOAL_SEGMENT_NO_SPACE;

	uint8_t *out = scratch + headroom;
	size_t payload_len = len - hdrs;
	uint32_t seq = shoal_load_be32(tcp + 4);
	uint8_t flags = tcp[13];
	size_t off = 0;
	uint16_t id = h.id;
	do {
		size_t chunk = payload_len - off < mss ? payload_len - off : mss;
		bool first = off == 0, last = off + chunk >= payload_len;
		memcpy(out, dgram, hdrs);
		memcpy(out + hdrs, dgram + hdrs + off, chunk);
		size_t seg_len = hdrs + chunk;
		shoal_store_be16(out + 2, (uint16_t)seg_len);
		shoal_store_be16(out + 4, id++);
		shoal_ipv4_checksum_fill(out, ip_hlen);
		uint8_t *th = out + ip_hlen;
		shoal_store_be32(th + 4, seq + (uint32_t)off);
		uint8_t f = flags;
		if (!last)
			f &= (uint8_t) ~(SEGMENT_TCP_FIN | SEGMENT_TCP_PSH);
		if (!first)
			f &= (uint8_t)~SEGMENT_TCP_CWR;
		th[13] = f;
		th[16] = th[17] = 0;
		uint32_t sum = shoal_checksum_pseudo_ipv4(h.src, h.dst, SHOAL_IP_PROTO_TCP,
		                                          (uint16_t)(seg_len - ip_hlen));
		sum = shoal_checksum_add(sum, th, seg_len - ip_hlen);
		shoal_store_be16(th + 16, shoal_checksum_finish(sum));
		if (emit(ctx, out, seg_len))
			return SHOAL_SEGMENT_EMIT_FAILED;
		off += chunk;
	} while (off < payload_len);
	return SHOAL_SEGMENT_OK;
}

enum shoal_segment_status shoal_segment_csum_complete(uint8_t *dgram, size_t len, size_t csum_start,
                                                      size_t csum_offset)
{
	if (csum_start >= len || csum_offset + 2 > len - csum_start)
		return SHOAL_SEGMENT_MALFORMED;
	uint8_t *field = dgram + csum_start + csum_offset;
	uint16_t csum =
	    shoal_checksum_finish(shoal_checksum_add(0, dgram + csum_start, len - csum_start));
	/* UDP transmits a computed 0 as 0xffff; for TCP 0 and 0xffff are equivalent. */
	shoal_store_be16(field, csum ? csum : 0xffff);
	return SHOAL_SEGMENT_OK;
}
