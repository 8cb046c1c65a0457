/*
 * ipv4.h — IPv4 header (RFC 791) and IPv4 address/prefix text.
 *
 * Role: parse/serialize the IPv4 header, fragment-field helpers, in-place TTL decrement with
 * incremental checksum update, and "10.2.0.0" / "10.2.0.0/16" text for config and the API.
 * No behaviour (no routing, no reassembly).
 *
 * Parse checks, in this order: len >= 20 (TRUNCATED); version == 4 (BAD_VERSION);
 * IHL >= 5 and IHL*4 <= len (BAD_HDR_LEN); IHL*4 <= total length <= len (BAD_TOTAL_LEN);
 * header checksum verifies (BAD_CHECKSUM). Bytes past total length (link padding) are
 * ignored. On OK the payload is buf + shoal_ipv4_hdr_len(h), total_len - hdr_len bytes.
 * Options are not interpreted: exposed as a pointer into buf plus length (a multiple of 4,
 * at most 40) and written back verbatim by serialize.
 *
 * Serialize writes the 20 + options_len byte header with version 4, IHL from options_len and
 * a freshly computed checksum (in->checksum is ignored); total_len is written as given (the
 * caller's header + payload length). options_len must be a multiple of 4 and <= 40, else 0.
 *
 * Addresses are host byte order (10.0.0.1 == 0x0a000001). Ownership: options points into
 * the parsed buffer (caller-owned); see wire.h for conventions.
 */
#ifndef SHOAL_IPV4_H
#define SHOAL_IPV4_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shoal/wire.h"

enum {
	SHOAL_IPV4_MIN_HDR_LEN = 20,
	SHOAL_IPV4_MAX_HDR_LEN = 60,
	SHOAL_IPV4_MAX_OPTIONS_LEN = 40,
	SHOAL_IPV4_FLAG_DF = 0x4000,
	SHOAL_IPV4_FLAG_MF = 0x2000,
	SHOAL_IPV4_FRAG_OFFSET_MASK = 0x1fff, /* in 8-byte units */
	SHOAL_IPV4_ADDR_STRLEN = 16,          /* "255.255.255.255" + NUL */
	SHOAL_IPV4_PREFIX_STRLEN = 19,        /* "255.255.255.255/32" + NUL */
};

enum shoal_ip_proto {
	SHOAL_IP_PROTO_ICMP = 1,
	SHOAL_IP_PROTO_TCP = 6,
	SHOAL_IP_PROTO_UDP = 17,
};

struct shoal_ipv4_hdr {
	uint8_t tos;
	uint16_t total_len; /* header + payload, bytes */
	uint16_t id;
	uint16_t flags_frag; /* raw: reserved bit, DF, MF, 13-bit offset in 8-byte units */
	uint8_t ttl;
	uint8_t protocol;  /* enum shoal_ip_proto values or any other */
	uint16_t checksum; /* as received; ignored by serialize */
	uint32_t src;
	uint32_t dst;
	const uint8_t *options; /* NULL when options_len == 0 */
	size_t options_len;
};

static inline size_t shoal_ipv4_hdr_len(const struct shoal_ipv4_hdr *h)
{
	return SHOAL_IPV4_MIN_HDR_LEN + h->options_len;
}

static inline bool shoal_ipv4_df(const struct shoal_ipv4_hdr *h)
{
	return (h->flags_frag & SHOAL_IPV4_FLAG_DF) != 0;
}

static inline bool shoal_ipv4_mf(const struct shoal_ipv4_hdr *h)
{
	return (h->flags_frag & SHOAL_IPV4_FLAG_MF) != 0;
}

/* Fragment offset in 8-byte units; in bytes: * 8. */
static inline uint16_t shoal_ipv4_frag_offset(const struct shoal_ipv4_hdr *h)
{
	return (uint16_t)(h->flags_frag & SHOAL_IPV4_FRAG_OFFSET_MASK);
}

/* True when the datagram is a fragment (MF set or non-zero offset). */
static inline bool shoal_ipv4_is_fragment(const struct shoal_ipv4_hdr *h)
{
	return shoal_ipv4_mf(h) || shoal_ipv4_frag_offset(h) != 0;
}

/* Sets DF, MF and the offset (8-byte units, masked to 13 bits); clears the reserved bit. */
static inline void shoal_ipv4_set_frag(struct shoal_ipv4_hdr *h, bool df, bool mf,
                                       uint16_t offset_units)
{
	h->flags_frag = (uint16_t)((df ? SHOAL_IPV4_FLAG_DF : 0) | (mf ? SHOAL_IPV4_FLAG_MF : 0) |
	                           (offset_units & SHOAL_IPV4_FRAG_OFFSET_MASK));
}

/* Netmask for a prefix length 0..32 (0 -> 0, 32 -> 0xffffffff; no shift by 32). */
static inline uint32_t shoal_ipv4_prefix_mask(unsigned prefix_len)
{
	return prefix_len == 0 ? 0 : prefix_len >= 32 ? 0xffffffffu : ~(0xffffffffu >> prefix_len);
}

enum shoal_wire_status shoal_ipv4_parse(const uint8_t *buf, size_t len, struct shoal_ipv4_hdr *out);
/* Returns shoal_ipv4_hdr_len(in), or 0 when cap is too small or options_len is invalid. */
size_t shoal_ipv4_serialize(const struct shoal_ipv4_hdr *in, uint8_t *buf, size_t cap);

/* In place on a header already in wire form (at least 20 bytes, caller-checked): TTL -= 1 and
 * the header checksum updated incrementally (RFC 1624), equal to a full recompute. Returns the
 * new TTL. Caller must ensure TTL > 0 first. */
uint8_t shoal_ipv4_ttl_decrement(uint8_t *hdr);
/* In place: recomputes the header checksum over hdr_len bytes (checksum field included). */
void shoal_ipv4_checksum_fill(uint8_t *hdr, size_t hdr_len);

/* --- options (RFC 791 §3.1; processing rules RFC 1812 §5.2.4 live in the data plane) ---
 * Wire-format only: find the options a router acts on and update them in place. Offsets are
 * into the options area (header byte 20 + offset). Every helper leaves the header checksum to
 * the caller (shoal_ipv4_checksum_fill once after all changes). */
enum shoal_ipv4_opt_type {
	SHOAL_IPV4_OPT_EOL = 0,
	SHOAL_IPV4_OPT_NOP = 1,
	SHOAL_IPV4_OPT_RR = 7,
	SHOAL_IPV4_OPT_TS = 68,
	SHOAL_IPV4_OPT_LSRR = 131,
	SHOAL_IPV4_OPT_SSRR = 137,
};

enum { SHOAL_IPV4_OPT_NONE = 0xff }; /* "absent" in struct shoal_ipv4_opts */

struct shoal_ipv4_opts {
	uint8_t rr;      /* offset of the Record Route option, or SHOAL_IPV4_OPT_NONE */
	uint8_t ts;      /* Timestamp */
	uint8_t srr;     /* LSRR or SSRR (at most one source route) */
	bool srr_strict; /* srr is SSRR */
};

/* Walks opt[0..len): EOL ends, NOP is one byte, every other option has a length byte >= 2
 * within the area (BAD_OPTION_LEN). RR/LSRR/SSRR need length >= 3 and pointer >= 4, TS
 * length >= 4 and pointer >= 5, and a second RR/TS/source route is an error (BAD_OPTION);
 * *bad_off then gets the offset of the offending byte (for an ICMP parameter problem).
 * Unknown options are skipped. */
enum shoal_wire_status shoal_ipv4_opts_parse(const uint8_t *opt, size_t len,
                                             struct shoal_ipv4_opts *out, size_t *bad_off);

/* Route-recording (RR, and the recorded route of LSRR/SSRR): writes addr at the pointer and
 * advances it by 4 when 4 bytes remain; returns false (option untouched) when full. */
bool shoal_ipv4_opt_route_record(uint8_t *o, uint32_t addr);
/* Source route: true when addresses remain (pointer <= length - 3); *next gets the next one. */
bool shoal_ipv4_opt_srr_next(const uint8_t *o, uint32_t *next);

/* Timestamp (flag 0: timestamps only, 1: address + timestamp, 3: prespecified addresses,
 * where a slot is filled only when its address is addr). ms is the time in ms since midnight
 * UT. A full option increments its 4-bit overflow count (saturating at 15). Returns false
 * when the flag is unknown (1, 3 and 0 are the RFC's). */
bool shoal_ipv4_opt_ts_stamp(uint8_t *o, uint32_t addr, uint32_t ms);

/* "a.b.c.d": exactly four decimal fields 0..255, no leading zeros (except "0"), no spaces.
 * BAD_TEXT otherwise (*out untouched then). */
enum shoal_wire_status shoal_ipv4_addr_parse(const char *text, uint32_t *out);
/* "a.b.c.d:port": an address as above, ':' and a decimal port 1..65535 without sign, spaces
 * or leading zeros. BAD_TEXT otherwise (outputs untouched then). */
enum shoal_wire_status shoal_ipv4_endpoint_parse(const char *text, uint32_t *addr, uint16_t *port);
/* Writes dotted-quad text into out; returns out. */
char *shoal_ipv4_addr_format(uint32_t addr, char out[SHOAL_IPV4_ADDR_STRLEN]);
/* "a.b.c.d/n": BAD_TEXT for a malformed address or separator, BAD_PREFIX_LEN for a missing,
 * non-decimal, leading-zero or > 32 length, HOST_BITS_SET when the address has bits beyond n
 * (outputs untouched on error). */
enum shoal_wire_status shoal_ipv4_prefix_parse(const char *text, uint32_t *prefix,
                                               uint8_t *prefix_len);
/* Writes "a.b.c.d/n" into out; returns out. Does not mask the address. */
char *shoal_ipv4_prefix_format(uint32_t prefix, uint8_t prefix_len,
                               char out[SHOAL_IPV4_PREFIX_STRLEN]);

#ifdef __cplusplus
}
#endif

#endif
