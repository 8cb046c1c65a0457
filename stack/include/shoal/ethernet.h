/*
 * ethernet.h — Ethernet II header and MAC addresses.
 *
 * Role: parse/serialize the 14-byte Ethernet II header (destination MAC, source MAC,
 * EtherType, big-endian) and convert MAC addresses to/from "02:00:00:00:01:01" text.
 * No behaviour: no filtering on destination, no padding to the 60-byte minimum.
 *
 * Invariants: parse succeeds on any buffer of at least SHOAL_ETH_HDR_LEN bytes (EtherType is
 * reported, not checked); the payload is buf + SHOAL_ETH_HDR_LEN, len - SHOAL_ETH_HDR_LEN.
 * Ownership: structs are plain values; functions read/write only the buffers given.
 * Conventions (status codes, serializer return): see wire.h.
 */
#ifndef SHOAL_ETHERNET_H
#define SHOAL_ETHERNET_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "shoal/wire.h"

enum {
	SHOAL_ETH_ADDR_LEN = 6,
	SHOAL_ETH_HDR_LEN = 14,
	SHOAL_MAC_STRLEN = 18, /* "xx:xx:xx:xx:xx:xx" + NUL */
};

enum shoal_ethertype {
	SHOAL_ETHERTYPE_IPV4 = 0x0800,
	SHOAL_ETHERTYPE_ARP = 0x0806,
};

struct shoal_mac {
	uint8_t b[SHOAL_ETH_ADDR_LEN];
};

/* ff:ff:ff:ff:ff:ff */
extern const struct shoal_mac shoal_mac_broadcast;

struct shoal_eth_hdr {
	struct shoal_mac dst;
	struct shoal_mac src;
	uint16_t ethertype; /* host order; enum shoal_ethertype values or any other */
};

static inline bool shoal_mac_equal(const struct shoal_mac *a, const struct shoal_mac *b)
{
	return memcmp(a->b, b->b, SHOAL_ETH_ADDR_LEN) == 0;
}

static inline bool shoal_mac_is_broadcast(const struct shoal_mac *m)
{
	return shoal_mac_equal(m, &shoal_mac_broadcast);
}

static inline bool shoal_mac_is_zero(const struct shoal_mac *m)
{
	static const struct shoal_mac zero = {{0}};
	return shoal_mac_equal(m, &zero);
}

/* TRUNCATED when len < SHOAL_ETH_HDR_LEN. */
enum shoal_wire_status shoal_eth_parse(const uint8_t *buf, size_t len, struct shoal_eth_hdr *out);
/* Writes the 14-byte header; returns SHOAL_ETH_HDR_LEN, or 0 when cap is too small. */
size_t shoal_eth_serialize(const struct shoal_eth_hdr *in, uint8_t *buf, size_t cap);

/* Parses exactly six two-hex-digit groups separated by ':' (either case), nothing else
 * (no surrounding spaces); BAD_TEXT otherwise (*out untouched then). */
enum shoal_wire_status shoal_mac_parse(const char *text, struct shoal_mac *out);
/* A stable locally administered unicast MAC derived from a name (an interface's): 02 followed
 * by the first five bytes of the 64-bit FNV-1a hash of the name, big-endian. Same name, same
 * MAC, across runs and machines. */
void shoal_mac_from_name(const char *name, struct shoal_mac *out);
/* Writes lower-case "xx:xx:xx:xx:xx:xx" into out (SHOAL_MAC_STRLEN bytes); returns out. */
char *shoal_mac_format(const struct shoal_mac *mac, char out[SHOAL_MAC_STRLEN]);

#ifdef __cplusplus
}
#endif

#endif
