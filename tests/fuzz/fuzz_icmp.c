/* Fuzz harness: ICMP parse/serialize and the error builder (shoal/icmp.h). */
#include "fuzz.h"
#include "shoal/icmp.h"

enum { ICMP_MAX = 2048 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct shoal_icmp m;
	enum shoal_wire_status st = shoal_icmp_parse(data, size, &m);
	if (size < SHOAL_ICMP_HDR_LEN)
		FUZZ_CHECK(st == SHOAL_WIRE_TRUNCATED);
	else
		FUZZ_CHECK(st == (fuzz_sum_verifies(fuzz_sum_add(0, data, size))
		                      ? SHOAL_WIRE_OK
		                      : SHOAL_WIRE_BAD_CHECKSUM));
	static uint8_t out[ICMP_MAX + SHOAL_ICMP_HDR_LEN];
	if (st == SHOAL_WIRE_OK) {
		FUZZ_CHECK(m.type == data[0] && m.code == data[1] &&
		           m.rest == shoal_load_be32(data + 4));
		FUZZ_CHECK(m.data_len == size - 8 && m.data == (size > 8 ? data + 8 : NULL));
		if (size <= ICMP_MAX) {
			FUZZ_CHECK(shoal_icmp_serialize(&m, out, size - 1) == 0);
			FUZZ_CHECK(shoal_icmp_serialize(&m, out, sizeof(out)) == size);
			FUZZ_CHECK(memcmp(out, data, 2) == 0 &&
			           memcmp(out + 4, data + 4, size - 4) == 0);
			struct shoal_icmp m2;
			FUZZ_CHECK(shoal_icmp_parse(out, size, &m2) == SHOAL_WIRE_OK);
			FUZZ_CHECK(m2.rest == m.rest && m2.data_len == m.data_len);
		}
	}

	/* error builder: input = type, code, mtu(2), then the offending datagram */
	if (size < 4)
		return 0;
	const uint8_t *orig = data + 4;
	size_t olen = size - 4;
	uint16_t mtu = (uint16_t)(data[2] << 8 | data[3]);
	size_t n = shoal_icmp_build_error(data[0], data[1], mtu, orig, olen, out, sizeof(out));
	size_t ihl = olen > 0 ? (size_t)(orig[0] & 0x0f) * 4 : 0;
	bool plausible = olen >= 20 && ihl >= 20 && ihl <= olen;
	FUZZ_CHECK((n != 0) == plausible);
	if (!n)
		return 0;
	FUZZ_CHECK(n >= 8 + ihl && n <= 8 + ihl + SHOAL_ICMP_QUOTE_PAYLOAD_LEN && n - 8 <= olen);
	struct shoal_icmp e;
	FUZZ_CHECK(shoal_icmp_parse(out, n, &e) == SHOAL_WIRE_OK);
	FUZZ_CHECK(e.type == data[0] && e.code == data[1]);
	FUZZ_CHECK(e.data != NULL && memcmp(e.data, orig, n - 8) == 0);
	bool frag = data[0] == SHOAL_ICMP_DEST_UNREACH && data[1] == SHOAL_ICMP_UNREACH_FRAG_NEEDED;
	FUZZ_CHECK(e.rest == (frag ? mtu : 0u));
	/* quoted payload: 8 bytes unless the datagram (total length, when plausible, or the
	 * buffer) is shorter */
	size_t total = (size_t)(orig[2] << 8 | orig[3]);
	size_t avail = total >= ihl && total < olen ? total : olen;
	size_t want = avail - ihl;
	if (want > SHOAL_ICMP_QUOTE_PAYLOAD_LEN)
		want = SHOAL_ICMP_QUOTE_PAYLOAD_LEN;
	FUZZ_CHECK(n == 8 + ihl + want);
	/* too small a buffer: nothing */
	FUZZ_CHECK(shoal_icmp_build_error(data[0], data[1], mtu, orig, olen, out, n - 1) == 0);
	return 0;
}
