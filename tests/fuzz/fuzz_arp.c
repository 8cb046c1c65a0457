/* Fuzz harness: ARP message parse/serialize (shoal/arp.h), against a model of the checks. */
#include "fuzz.h"
#include "shoal/arp.h"

/* The documented order of checks, written out plainly. */
static enum shoal_wire_status model_status(const uint8_t *d, size_t len)
{
	if (len < SHOAL_ARP_LEN)
		return SHOAL_WIRE_TRUNCATED;
	if ((d[0] << 8 | d[1]) != SHOAL_ARP_HTYPE_ETHERNET)
		return SHOAL_WIRE_BAD_HTYPE;
	if ((d[2] << 8 | d[3]) != 0x0800)
		return SHOAL_WIRE_BAD_PTYPE;
	if (d[4] != 6)
		return SHOAL_WIRE_BAD_HLEN;
	if (d[5] != 4)
		return SHOAL_WIRE_BAD_PLEN;
	unsigned op = (unsigned)(d[6] << 8 | d[7]);
	if (op != SHOAL_ARP_REQUEST && op != SHOAL_ARP_REPLY)
		return SHOAL_WIRE_BAD_OPCODE;
	return SHOAL_WIRE_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct shoal_arp a;
	enum shoal_wire_status st = shoal_arp_parse(data, size, &a);
	FUZZ_CHECK(st == model_status(data, size));
	uint8_t out[SHOAL_ARP_LEN];
	if (st == SHOAL_WIRE_OK) {
		/* parse -> serialize: the same 28 bytes (padding after them is ignored) */
		FUZZ_CHECK(shoal_arp_serialize(&a, out, SHOAL_ARP_LEN - 1) == 0);
		FUZZ_CHECK(shoal_arp_serialize(&a, out, sizeof(out)) == SHOAL_ARP_LEN);
		FUZZ_CHECK(memcmp(out, data, SHOAL_ARP_LEN) == 0);
		FUZZ_CHECK(a.sender_ip == shoal_load_be32(data + 14));
		FUZZ_CHECK(a.target_ip == shoal_load_be32(data + 24));
	}
	/* serialize any struct built from the input -> parse gives it back */
	struct fuzz_in in = {data, size};
	struct shoal_arp b = {.opcode = (uint16_t)(1 + (fuzz_u8(&in) & 1))};
	fuzz_bytes(&in, b.sender_mac.b, 6);
	b.sender_ip = fuzz_u32(&in);
	fuzz_bytes(&in, b.target_mac.b, 6);
	b.target_ip = fuzz_u32(&in);
	FUZZ_CHECK(shoal_arp_serialize(&b, out, sizeof(out)) == SHOAL_ARP_LEN);
	struct shoal_arp c;
	FUZZ_CHECK(shoal_arp_parse(out, sizeof(out), &c) == SHOAL_WIRE_OK);
	FUZZ_CHECK(c.opcode == b.opcode && c.sender_ip == b.sender_ip &&
	           c.target_ip == b.target_ip);
	FUZZ_CHECK(shoal_mac_equal(&c.sender_mac, &b.sender_mac) &&
	           shoal_mac_equal(&c.target_mac, &b.target_mac));
	return 0;
}
