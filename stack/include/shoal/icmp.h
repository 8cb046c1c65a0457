/*
 * icmp.h — ICMP messages (RFC 792): echo request/reply, destination unreachable (incl. code 4
 * fragmentation needed with the next-hop MTU, RFC 1191), time exceeded, and a builder for
 * ICMP error messages quoting the offending datagram.
 *
 * Role: parse/serialize only; deciding when to send ICMP is the router's behaviour.
 * Layout: type (1), code (1), checksum (2) over the whole ICMP message, 4 bytes "rest of
 * header" (echo: id, seq; unreachable: unused (2) + next-hop MTU (2); time exceeded: unused),
 * then data (echo payload, or the quoted IP header + first 8 payload bytes for errors).
 *
 * Parse checks: len >= 8 (TRUNCATED), checksum over all len bytes (BAD_CHECKSUM). Any type is
 * accepted (the struct keeps the raw rest-of-header); accessors interpret it. data points into
 * buf. Serialize writes 8 + data_len bytes with a freshly computed checksum.
 * Ownership: plain values; data is caller-owned. See wire.h for conventions.
 */
#ifndef SHOAL_ICMP_H
#define SHOAL_ICMP_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>
#include <stdint.h>

#include "shoal/wire.h"

enum {
	SHOAL_ICMP_HDR_LEN = 8,
	SHOAL_ICMP_QUOTE_PAYLOAD_LEN = 8, /* payload bytes quoted after the IP header */
};

enum shoal_icmp_type {
	SHOAL_ICMP_ECHO_REPLY = 0,
	SHOAL_ICMP_DEST_UNREACH = 3,
	SHOAL_ICMP_ECHO_REQUEST = 8,
	SHOAL_ICMP_TIME_EXCEEDED = 11,
};

enum shoal_icmp_unreach_code {
	SHOAL_ICMP_UNREACH_NET = 0,
	SHOAL_ICMP_UNREACH_HOST = 1,
	SHOAL_ICMP_UNREACH_PROTOCOL = 2,
	SHOAL_ICMP_UNREACH_PORT = 3,
	SHOAL_ICMP_UNREACH_FRAG_NEEDED = 4,
	SHOAL_ICMP_UNREACH_SRC_ROUTE_FAILED = 5,
	SHOAL_ICMP_UNREACH_ADMIN_PROHIBITED = 13,
};

enum shoal_icmp_time_exceeded_code {
	SHOAL_ICMP_TIME_EXCEEDED_TTL = 0,
	SHOAL_ICMP_TIME_EXCEEDED_REASSEMBLY = 1,
};

struct shoal_icmp {
	uint8_t type;
	uint8_t code;
	uint16_t checksum; /* as received; ignored by serialize */
	uint32_t rest;     /* raw bytes 4..7, big-endian value */
	const uint8_t *data;
	size_t data_len;
};

static inline uint16_t shoal_icmp_echo_id(const struct shoal_icmp *m)
{
	return (uint16_t)(m->rest >> 16);
}

static inline uint16_t shoal_icmp_echo_seq(const struct shoal_icmp *m)
{
	return (uint16_t)m->rest;
}

/* Destination unreachable, code 4: the next-hop MTU (0 from pre-RFC 1191 routers). */
static inline uint16_t shoal_icmp_next_hop_mtu(const struct shoal_icmp *m)
{
	return (uint16_t)m->rest;
}

static inline void shoal_icmp_set_echo(struct shoal_icmp *m, uint16_t id, uint16_t seq)
{
	m->rest = (uint32_t)id << 16 | seq;
}

enum shoal_wire_status shoal_icmp_parse(const uint8_t *buf, size_t len, struct shoal_icmp *out);
/* Returns 8 + data_len, or 0 when cap is too small. data may overlap buf + 8. */
size_t shoal_icmp_serialize(const struct shoal_icmp *in, uint8_t *buf, size_t cap);

/* Builds an ICMP error message (type/code, next_hop_mtu used for DEST_UNREACH code 4, else the
 * rest-of-header is zero) quoting the offending datagram's IP header (IHL*4 bytes) plus up to
 * 8 bytes of its payload (fewer if the datagram, by total length or orig_len, is shorter).
 * Returns the ICMP message length, or 0 when orig does not start with a plausible IPv4
 * header (orig_len < 20, IHL < 5 or IHL*4 > orig_len) or cap is too small. The caller wraps
 * it in an IPv4 header. orig must not overlap buf. */
size_t shoal_icmp_build_error(uint8_t type, uint8_t code, uint16_t next_hop_mtu,
                              const uint8_t *orig, size_t orig_len, uint8_t *buf, size_t cap);

#ifdef __cplusplus
}
#endif

#endif
