/*
 * segment.h — cutting IPv4 datagrams to fit a link: fragmentation, TCP segmentation of GSO
 * super-frames, and completion of offloaded (partial) checksums.
 *
 * Role: the software fallback for what an offloading egress would do in the kernel. The
 * data plane forwards a GSO super-frame whole when the egress device accepts offloads; when
 * it does not (config "offload": false, or a TUN/TAP without IFF_VNET_HDR), it calls these.
 * Pure: no I/O, no allocation, no globals.
 *
 * Invariants:
 *   - Every piece handed to the emit callback is a complete IPv4 datagram with a correct
 *     header checksum; segments produced by shoal_segment_tcp4() carry a full TCP checksum.
 *   - Fragments follow RFC 791: payload per fragment a multiple of 8 bytes (except the last),
 *     offsets in 8-byte units added to the original's offset, MF set on every fragment but
 *     the last, which keeps the original's MF; options without the copy flag appear only in
 *     the first fragment.
 *   - On any error nothing has been emitted, except SHOAL_SEGMENT_EMIT_FAILED, which stops
 *     after the failing piece.
 *
 * Ownership: the input datagram is only read. Pieces are built in the caller's scratch
 * buffer; each piece starts `headroom` bytes into it (so the caller can prepend a link
 * header in place) and is valid only during the emit call.
 */
#ifndef SHOAL_SEGMENT_H
#define SHOAL_SEGMENT_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>
#include <stdint.h>

enum shoal_segment_status {
	SHOAL_SEGMENT_OK = 0,
	SHOAL_SEGMENT_MALFORMED,     /* not a parsable IPv4 (+TCP) datagram */
	SHOAL_SEGMENT_DONT_FRAGMENT, /* needs fragmenting but DF is set */
	SHOAL_SEGMENT_MTU_TOO_SMALL, /* the MTU cannot hold the headers plus 8 bytes */
	SHOAL_SEGMENT_NO_SPACE,      /* scratch buffer too small for one piece */
	SHOAL_SEGMENT_EMIT_FAILED,   /* the callback returned non-zero */
};

/* piece[0..len) is one datagram; piece - headroom .. piece is writable. Non-zero stops. */
typedef int (*shoal_segment_emit_fn)(void *ctx, uint8_t *piece, size_t len);

/* Fragments dgram[0..len) (its IPv4 total length must equal len) into datagrams of at most
 * mtu bytes. A datagram that already fits is emitted unchanged (one copy). */
enum shoal_segment_status shoal_segment_fragment(const uint8_t *dgram, size_t len, unsigned mtu,
                                                 uint8_t *scratch, size_t scratch_len,
                                                 size_t headroom, shoal_segment_emit_fn emit,
                                                 void *ctx);

/* Splits a TCP/IPv4 GSO super-frame into segments of at most mss payload bytes: IP total
 * length, identification (+1 per segment) and checksum, TCP sequence number, flags (FIN/PSH
 * only on the last, CWR only on the first) and a full TCP checksum per segment. */
enum shoal_segment_status shoal_segment_tcp4(const uint8_t *dgram, size_t len, unsigned mss,
                                             uint8_t *scratch, size_t scratch_len, size_t headroom,
                                             shoal_segment_emit_fn emit, void *ctx);

/* Completes an offloaded checksum in place: the 16-bit field at csum_start + csum_offset
 * holds the pseudo-header sum; the Internet checksum of dgram[csum_start..len) is stored
 * there. Returns SHOAL_SEGMENT_MALFORMED when the offsets do not fit in len. */
enum shoal_segment_status shoal_segment_csum_complete(uint8_t *dgram, size_t len, size_t csum_start,
                                                      size_t csum_offset);

const char *shoal_segment_status_name(enum shoal_segment_status s);

#ifdef __cplusplus
}
#endif

#endif
