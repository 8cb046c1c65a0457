/*
 * tcp_header.h — TCP header (RFC 9293) and options: MSS, window scale (RFC 7323),
 * SACK-permitted (RFC 2018), timestamps (RFC 7323), NOP/EOL; checksum with the IPv4
 * pseudo-header. Wire format only: connection behaviour lives in the TCP modules.
 *
 * Parse checks: len >= 20 (TRUNCATED); data offset >= 5 and data offset * 4 <= len
 * (BAD_DATA_OFFSET); options walked up to EOL or the end of the header: a length byte that
 * is missing, 0, 1 or runs past the header is BAD_OPTION_LEN; a known option with a wrong
 * fixed length (MSS 4, WS 3, SACK-permitted 2, TS 10) or a SACK option whose length is not
 * 2 + 8n with 1 <= n <= 4 is BAD_OPTION; unknown options are skipped by their length. The whole of
 * len after the header is the payload. Parse does not verify the checksum: shoal_tcp_verify_ipv4()
 * does (pseudo-header + len).
 *
 * Serialize writes the present options in a fixed layout (MSS; SACK-permitted + timestamps
 * or NOP-padded timestamps / SACK-permitted; NOP + window scale; NOP NOP + SACK blocks, as
 * many of sack_count as fit in 40 bytes), padded with EOL to a multiple of 4, then the payload (may
 * overlap), with data offset and checksum computed. Addresses host byte order. Ownership: payload
 * points into the caller's buffer. See wire.h.
 */
#ifndef SHOAL_TCP_HEADER_H
#define SHOAL_TCP_HEADER_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shoal/wire.h"

enum {
	SHOAL_TCP_MIN_HDR_LEN = 20,
	SHOAL_TCP_MAX_HDR_LEN = 60,
};

enum shoal_tcp_flag {
	SHOAL_TCP_FIN = 0x01,
	SHOAL_TCP_SYN = 0x02,
	SHOAL_TCP_RST = 0x04,
	SHOAL_TCP_PSH = 0x08,
	SHOAL_TCP_ACK = 0x10,
	SHOAL_TCP_URG = 0x20,
	SHOAL_TCP_ECE = 0x40,
	SHOAL_TCP_CWR = 0x80,
};

enum shoal_tcp_option_kind {
	SHOAL_TCP_OPT_EOL = 0,
	SHOAL_TCP_OPT_NOP = 1,
	SHOAL_TCP_OPT_MSS = 2,
	SHOAL_TCP_OPT_WSCALE = 3,
	SHOAL_TCP_OPT_SACK_PERMITTED = 4,
	SHOAL_TCP_OPT_SACK = 5,
	SHOAL_TCP_OPT_TIMESTAMPS = 8,
};

enum { SHOAL_TCP_MAX_SACK_BLOCKS = 4 };

/* One SACK block (RFC 2018 §3): left edge and right edge (one past the last byte). */
struct shoal_tcp_sack_block {
	uint32_t left;
	uint32_t right;
};

struct shoal_tcp_options {
	bool has_mss;
	bool has_wscale;
	bool sack_permitted;
	bool has_timestamps;
	uint16_t mss;
	uint8_t wscale;
	uint32_t ts_val;
	uint32_t ts_ecr;
	uint8_t sack_count; /* SACK blocks present, <= SHOAL_TCP_MAX_SACK_BLOCKS */
	struct shoal_tcp_sack_block sack[SHOAL_TCP_MAX_SACK_BLOCKS];
};

struct shoal_tcp_header {
	uint16_t src_port;
	uint16_t dst_port;
	uint32_t seq;
	uint32_t ack;
	uint8_t data_offset; /* 32-bit words, as received; serialize derives it */
	uint8_t flags;       /* enum shoal_tcp_flag bits */
	uint16_t window;
	uint16_t checksum; /* as received; serialize computes it */
	uint16_t urgent;
	struct shoal_tcp_options opts;
	const uint8_t *payload; /* NULL when payload_len == 0 */
	size_t payload_len;
};

enum shoal_wire_status shoal_tcp_parse(const uint8_t *buf, size_t len,
                                       struct shoal_tcp_header *out);
/* OK when the checksum over the pseudo-header and buf[0..len) verifies, else BAD_CHECKSUM. */
enum shoal_wire_status shoal_tcp_verify_ipv4(const uint8_t *buf, size_t len, uint32_t src,
                                             uint32_t dst);
/* Returns header + payload length, or 0 when cap is too small or the segment exceeds 65535. */
size_t shoal_tcp_serialize_ipv4(const struct shoal_tcp_header *in, uint32_t src, uint32_t dst,
                                uint8_t *buf, size_t cap);

#ifdef __cplusplus
}
#endif

#endif
