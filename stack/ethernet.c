/* ethernet.c — Ethernet II header and MAC text; contract in include/shoal/ethernet.h. */
#include "shoal/ethernet.h"

const struct shoal_mac shoal_mac_broadcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

enum shoal_wire_status shoal_eth_parse(const uint8_t *buf, size_t len, struct shoal_eth_hdr *out)
{
	if (len < SHOAL_ETH_HDR_LEN)
		return SHOAL_WIRE_TRUNCATED;
	memcpy(out->dst.b, buf, SHOAL_ETH_ADDR_LEN);
	memcpy(out->src.b, buf + 6, SHOAL_ETH_ADDR_LEN);
	out->ethertype = shoal_load_be16(buf + 12);
	return SHOAL_WIRE_OK;
}

size_t shoal_eth_serialize(const struct shoal_eth_hdr *in, uint8_t *buf, size_t cap)
{
	if (cap < SHOAL_ETH_HDR_LEN)
		return 0;
	memcpy(buf, in->dst.b, SHOAL_ETH_ADDR_LEN);
	memcpy(buf + 6, in->src.b, SHOAL_ETH_ADDR_LEN);
	shoal_store_be16(buf + 12, in->ethertype);
	return SHOAL_ETH_HDR_LEN;
}

static int mac_hex_digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

enum shoal_wire_status shoal_mac_parse(const char *text, struct shoal_mac *out)
{
	struct shoal_mac m;
	const char *p = text;

	for (int i = 0; i < SHOAL_ETH_ADDR_LEN; i++) {
		int hi = mac_hex_digit_value(p[0]);
		if (hi < 0)
			return SHOAL_WIRE_BAD_TEXT;
		int lo = mac_hex_digit_value(p[1]);
		if (lo < 0)
			return SHOAL_WIRE_BAD_TEXT;
		m.b[i] = (uint8_t)(hi << 4 | lo);
		char sep = p[2];
		if (sep != (i == SHOAL_ETH_ADDR_LEN - 1 ? '\0' : ':'))
			return SHOAL_WIRE_BAD_TEXT;
		p += 3;
	}
	*out = m;
	return SHOAL_WIRE_OK;
}

char *shoal_mac_format(const struct shoal_mac *mac, char out[SHOAL_MAC_STRLEN])
{
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < SHOAL_ETH_ADDR_LEN; i++) {
		out[3 * i] = hex[mac->b[i] >> 4];
		out[3 * i + 1] = hex[mac->b[i] & 0xf];
		out[3 * i + 2] = i == SHOAL_ETH_ADDR_LEN - 1 ? '\0' : ':';
	}
	return out;
}

void shoal_mac_from_name(const char *name, struct shoal_mac *out)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a 64 offset basis */
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ull; /* FNV-1a 64 prime */
	}
	out->b[0] = 0x02; /* locally administered, unicast */
	for (int i = 1; i < SHOAL_ETH_ADDR_LEN; i++)
		out->b[i] = (uint8_t)(h >> (64 - 8 * i));
}
