/* Fuzz harness: UDP header and pseudo-header checksum (shoal/udp.h).
 * Input: source address (4), destination address (4), then the UDP datagram. */
#include "fuzz.h"
#include "shoal/udp.h"

enum { UDP_MAX = 4096 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	uint32_t src = fuzz_u32(&in), dst = fuzz_u32(&in);
	const uint8_t *d = in.p;
	size_t len = in.left;

	struct shoal_udp u;
	enum shoal_wire_status st = shoal_udp_parse(d, len, &u);
	size_t field = len >= 2 + 4 ? (size_t)(d[4] << 8 | d[5]) : 0;
	if (len < SHOAL_UDP_HDR_LEN)
		FUZZ_CHECK(st == SHOAL_WIRE_TRUNCATED);
	else if (field < SHOAL_UDP_HDR_LEN || field > len)
		FUZZ_CHECK(st == SHOAL_WIRE_BAD_TOTAL_LEN);
	else
		FUZZ_CHECK(st == SHOAL_WIRE_OK);

	enum shoal_wire_status vs = shoal_udp_verify_ipv4(d, len, src, dst);
	if (st != SHOAL_WIRE_OK) {
		FUZZ_CHECK(vs == st);
		return 0;
	}
	FUZZ_CHECK(u.length == field && u.payload_len == field - 8);
	FUZZ_CHECK(u.payload == (field > 8 ? d + 8 : NULL));
	FUZZ_CHECK(u.src_port == shoal_load_be16(d) && u.dst_port == shoal_load_be16(d + 2));
	bool ok = u.checksum == 0 ||
	          fuzz_sum_verifies(fuzz_sum_add(fuzz_pseudo_ipv4(src, dst, 17, field), d, field));
	FUZZ_CHECK(vs == (ok ? SHOAL_WIRE_OK : SHOAL_WIRE_BAD_CHECKSUM));

	/* serialize -> parse -> verify, same ports and payload, never a zero checksum */
	static uint8_t out[UDP_MAX];
	if (field > sizeof(out))
		return 0;
	FUZZ_CHECK(shoal_udp_serialize_ipv4(&u, src, dst, out, field - 1) == 0);
	FUZZ_CHECK(shoal_udp_serialize_ipv4(&u, src, dst, out, sizeof(out)) == field);
	struct shoal_udp v;
	FUZZ_CHECK(shoal_udp_parse(out, field, &v) == SHOAL_WIRE_OK);
	FUZZ_CHECK(shoal_udp_verify_ipv4(out, field, src, dst) == SHOAL_WIRE_OK);
	FUZZ_CHECK(v.checksum != 0 && v.src_port == u.src_port && v.dst_port == u.dst_port);
	FUZZ_CHECK(v.payload_len == u.payload_len);
	FUZZ_CHECK(u.payload_len == 0 || memcmp(v.payload, u.payload, u.payload_len) == 0);
	FUZZ_CHECK(
	    fuzz_sum_verifies(fuzz_sum_add(fuzz_pseudo_ipv4(src, dst, 17, field), out, field)));
	/* a corrupted byte is caught (ones' complement: unless it swaps 0x00 and 0xff words) */
	out[field - 1] ^= 0x01;
	FUZZ_CHECK(shoal_udp_verify_ipv4(out, field, src, dst) == SHOAL_WIRE_BAD_CHECKSUM ||
	           shoal_load_be16(out + 6) == 0);
	return 0;
}
