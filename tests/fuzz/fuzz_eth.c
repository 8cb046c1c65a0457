/* Fuzz harness: Ethernet header parse/serialize and MAC address text (shoal/ethernet.h). */
#include "fuzz.h"
#include "shoal/ethernet.h"

#include <ctype.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct shoal_eth_hdr h;
	enum shoal_wire_status st = shoal_eth_parse(data, size, &h);
	FUZZ_CHECK((st == SHOAL_WIRE_OK) == (size >= SHOAL_ETH_HDR_LEN));
	FUZZ_CHECK(st == SHOAL_WIRE_OK || st == SHOAL_WIRE_TRUNCATED);
	if (st == SHOAL_WIRE_OK) {
		/* parse -> serialize gives the same 14 bytes; parse again gives the same fields */
		uint8_t out[SHOAL_ETH_HDR_LEN + 1];
		FUZZ_CHECK(shoal_eth_serialize(&h, out, SHOAL_ETH_HDR_LEN - 1) == 0);
		FUZZ_CHECK(shoal_eth_serialize(&h, out, sizeof(out)) == SHOAL_ETH_HDR_LEN);
		FUZZ_CHECK(memcmp(out, data, SHOAL_ETH_HDR_LEN) == 0);
		struct shoal_eth_hdr h2;
		FUZZ_CHECK(shoal_eth_parse(out, SHOAL_ETH_HDR_LEN, &h2) == SHOAL_WIRE_OK);
		FUZZ_CHECK(shoal_mac_equal(&h.dst, &h2.dst) && shoal_mac_equal(&h.src, &h2.src));
		FUZZ_CHECK(h.ethertype == h2.ethertype);
		FUZZ_CHECK(h.ethertype == (data[12] << 8 | data[13]));
		/* the formatter's text parses back to the same MAC */
		char text[SHOAL_MAC_STRLEN];
		struct shoal_mac m;
		shoal_mac_format(&h.src, text);
		FUZZ_CHECK(strlen(text) == SHOAL_MAC_STRLEN - 1);
		FUZZ_CHECK(shoal_mac_parse(text, &m) == SHOAL_WIRE_OK &&
		           shoal_mac_equal(&m, &h.src));
	}

	/* MAC text: accepted text is exactly the canonical form up to case */
	char *s = fuzz_cstr(data, size);
	struct shoal_mac m = {{0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}};
	const struct shoal_mac before = m;
	st = shoal_mac_parse(s, &m);
	FUZZ_CHECK(st == SHOAL_WIRE_OK || st == SHOAL_WIRE_BAD_TEXT);
	if (st == SHOAL_WIRE_OK) {
		char text[SHOAL_MAC_STRLEN];
		shoal_mac_format(&m, text);
		FUZZ_CHECK(strlen(s) == SHOAL_MAC_STRLEN - 1);
		for (size_t i = 0; i < SHOAL_MAC_STRLEN - 1; i++)
			FUZZ_CHECK(text[i] == tolower((unsigned char)s[i]));
	} else {
		FUZZ_CHECK(shoal_mac_equal(&m, &before)); /* untouched on error */
	}
	/* a MAC derived from any name is locally administered unicast, and stable */
	struct shoal_mac a, b;
	shoal_mac_from_name(s, &a);
	shoal_mac_from_name(s, &b);
	FUZZ_CHECK(shoal_mac_equal(&a, &b) && a.b[0] == 0x02);
	free(s);
	return 0;
}
