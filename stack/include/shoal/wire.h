/*
 * wire.h — shared vocabulary of the wire-format modules (ethernet, arp, ipv4, icmp, udp,
 * tcp_header): the parse status enum and big-endian load/store helpers.
 *
 * Role: every parser in stack/ returns an enum shoal_wire_status; SHOAL_WIRE_OK (0) means the
 * output struct is fully filled, any other value means it is unspecified and the input is
 * malformed in exactly the named way. The statuses come from ONE table (SHOAL_WIRE_STATUSES)
 * from which the enum and the names returned by shoal_wire_status_name() are generated.
 *
 * Conventions shared by all wire modules:
 *   - Parsers: (const uint8_t *buf, size_t len, struct X *out). They check lengths before any
 *     read, never read past len, never allocate, never write outside *out. Pointers stored in
 *     *out (options, payload) point into buf: the caller's buffer owns that memory.
 *   - Serializers: (const struct X *in, uint8_t *buf, size_t cap) -> bytes written, or 0 when
 *     cap is too small (nothing written then). They never allocate.
 *   - Multi-byte fields in structs are host byte order (IPv4 10.0.0.1 == 0x0a000001).
 * Pure: no globals beyond constant tables, no I/O.
 */
#ifndef SHOAL_WIRE_H
#define SHOAL_WIRE_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdint.h>

/* X(suffix, name, description) */
#define SHOAL_WIRE_STATUSES(X)                                                                     \
	X(OK, "ok", "well-formed")                                                                 \
	X(TRUNCATED, "truncated", "buffer shorter than the fixed header or a declared length")     \
	X(BAD_VERSION, "bad_version", "IP version field is not 4")                                 \
	X(BAD_HDR_LEN, "bad_hdr_len", "header length field below the minimum or past the data")    \
	X(BAD_TOTAL_LEN, "bad_total_len", "total/length field inconsistent with header or buffer") \
	X(BAD_CHECKSUM, "bad_checksum", "checksum does not verify")                                \
	X(BAD_OPTION_LEN, "bad_option_len", "option length 0, 1 or past the end of the options")   \
	X(UNSUPPORTED, "unsupported", "valid but unsupported type or code")                        \
	X(BAD_HTYPE, "bad_htype", "ARP hardware type is not Ethernet (1)")                         \
	X(BAD_PTYPE, "bad_ptype", "ARP protocol type is not IPv4 (0x0800)")                        \
	X(BAD_HLEN, "bad_hlen", "ARP hardware address length is not 6")                            \
	X(BAD_PLEN, "bad_plen", "ARP protocol address length is not 4")                            \
	X(BAD_OPCODE, "bad_opcode", "ARP opcode is neither request (1) nor reply (2)")             \
	X(BAD_DATA_OFFSET, "bad_data_offset", "TCP data offset below 5 or past the buffer")        \
	X(BAD_OPTION, "bad_option", "known option with a wrong fixed length")                      \
	X(BAD_TEXT, "bad_text", "text is not a well-formed address/prefix")                        \
	X(BAD_PREFIX_LEN, "bad_prefix_len", "prefix length missing or above 32")                   \
	X(HOST_BITS_SET, "host_bits_set", "prefix has bits set beyond its length")

#define SHOAL_WIRE_ENUM_(suffix, name, desc) SHOAL_WIRE_##suffix,
enum shoal_wire_status { SHOAL_WIRE_STATUSES(SHOAL_WIRE_ENUM_) SHOAL_WIRE_STATUS_COUNT_ };
#undef SHOAL_WIRE_ENUM_

/* Short snake_case name ("truncated"); "unknown" for values outside the enum. */
const char *shoal_wire_status_name(enum shoal_wire_status s);
/* One-line human description; "unknown status" for values outside the enum. */
const char *shoal_wire_status_desc(enum shoal_wire_status s);

static inline uint16_t shoal_load_be16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t shoal_load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void shoal_store_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void shoal_store_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#ifdef __cplusplus
}
#endif

#endif
