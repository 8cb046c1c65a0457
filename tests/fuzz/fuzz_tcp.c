/* Fuzz harness: TCP header and options (shoal/tcp_header.h): parse invariants, checksum
 * against a model, parse -> serialize -> parse gives the same header, options and payload.
 * Input: source address (4), destination address (4), then the TCP segment. */
#include "fuzz.h"
#include "shoal/tcp_header.h"

enum { TCP_MAX = 4096 };

static void check_same_options(const struct shoal_tcp_options *a, const struct shoal_tcp_options *b)
{
	FUZZ_CHECK(a->has_mss == b->has_mss && (!a->has_mss || a->mss == b->mss));
	FUZZ_CHECK(a->has_wscale == b->has_wscale && (!a->has_wscale || a->wscale == b->wscale));
	FUZZ_CHECK(a->sack_permitted == b->sack_permitted);
	FUZZ_CHECK(a->has_timestamps == b->has_timestamps);
	FUZZ_CHECK(!a->has_timestamps || (a->ts_val == b->ts_val && a->ts_ecr == b->ts_ecr));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	uint32_t src = fuzz_u32(&in), dst = fuzz_u32(&in);
	const uint8_t *d = in.p;
	size_t len = in.left;

	/* the checksum verifies exactly when the model says so */
	bool ok = fuzz_sum_verifies(fuzz_sum_add(fuzz_pseudo_ipv4(src, dst, 6, len), d, len));
	if (len <= 0xffff)
		FUZZ_CHECK(shoal_tcp_verify_ipv4(d, len, src, dst) ==
		           (ok ? SHOAL_WIRE_OK : SHOAL_WIRE_BAD_CHECKSUM));

	struct shoal_tcp_header h;
	enum shoal_wire_status st = shoal_tcp_parse(d, len, &h);
	if (len < SHOAL_TCP_MIN_HDR_LEN) {
		FUZZ_CHECK(st == SHOAL_WIRE_TRUNCATED);
		return 0;
	}
	size_t off = (size_t)(d[12] >> 4) * 4;
	if (off < SHOAL_TCP_MIN_HDR_LEN || off > len) {
		FUZZ_CHECK(st == SHOAL_WIRE_BAD_DATA_OFFSET);
		return 0;
	}
	FUZZ_CHECK(st == SHOAL_WIRE_OK || st == SHOAL_WIRE_BAD_OPTION_LEN ||
	           st == SHOAL_WIRE_BAD_OPTION);
	if (off == SHOAL_TCP_MIN_HDR_LEN)
		FUZZ_CHECK(st == SHOAL_WIRE_OK); /* no options, nothing to reject */
	if (st != SHOAL_WIRE_OK)
		return 0;
	FUZZ_CHECK(h.data_offset * 4u == off && h.payload_len == len - off);
	FUZZ_CHECK(h.payload_len == 0 ? h.payload == NULL || h.payload == d + off
	                              : h.payload == d + off);
	FUZZ_CHECK(h.src_port == shoal_load_be16(d) && h.dst_port == shoal_load_be16(d + 2));
	FUZZ_CHECK(h.seq == shoal_load_be32(d + 4) && h.ack == shoal_load_be32(d + 8));
	FUZZ_CHECK(h.flags == d[13] && h.window == shoal_load_be16(d + 14));

	/* serialize -> parse: same fields, options, payload; checksum verifies */
	static uint8_t out[TCP_MAX];
	size_t n = shoal_tcp_serialize_ipv4(&h, src, dst, out, sizeof(out));
	if (n == 0) {
		FUZZ_CHECK(h.payload_len + SHOAL_TCP_MAX_HDR_LEN > sizeof(out));
		return 0;
	}
	FUZZ_CHECK(n >= SHOAL_TCP_MIN_HDR_LEN + h.payload_len &&
	           n <= SHOAL_TCP_MAX_HDR_LEN + h.payload_len);
	FUZZ_CHECK(shoal_tcp_serialize_ipv4(&h, src, dst, out, n - 1) == 0);
	FUZZ_CHECK(shoal_tcp_serialize_ipv4(&h, src, dst, out, n) == n);
	struct shoal_tcp_header g;
	FUZZ_CHECK(shoal_tcp_parse(out, n, &g) == SHOAL_WIRE_OK);
	FUZZ_CHECK(shoal_tcp_verify_ipv4(out, n, src, dst) == SHOAL_WIRE_OK);
	FUZZ_CHECK(g.src_port == h.src_port && g.dst_port == h.dst_port && g.seq == h.seq &&
	           g.ack == h.ack && g.flags == h.flags && g.window == h.window &&
	           g.urgent == h.urgent);
	check_same_options(&h.opts, &g.opts);
	FUZZ_CHECK(g.payload_len == h.payload_len);
	FUZZ_CHECK(h.payload_len == 0 || memcmp(g.payload, h.payload, h.payload_len) == 0);
	/* and serializing the re-parsed header gives the same bytes (fixed layout) */
	static uint8_t again[TCP_MAX];
	FUZZ_CHECK(shoal_tcp_serialize_ipv4(&g, src, dst, again, sizeof(again)) == n);
	FUZZ_CHECK(memcmp(again, out, n) == 0);
	return 0;
}
