/*
 * checksum.h — the Internet checksum (RFC 1071) and its incremental update (RFC 1624).
 *
 * Role: header checksums for IPv4, ICMP, UDP and TCP. Pure functions, no state.
 *
 * Values: all 16-bit quantities here are host-order numbers whose big-endian encoding is the
 * wire bytes (store them with shoal_store_be16). A buffer is summed as a sequence of
 * big-endian 16-bit words; an odd final byte is the high byte of a word padded with zero.
 *
 * Partial sums: a "sum" is a 32-bit accumulator holding an unfolded or folded ones'
 * complement sum; start from 0, add pieces with shoal_checksum_add() (each piece is summed as
 * if it started at an even offset — split a message only at even offsets, except the last
 * piece), then shoal_checksum_finish() folds and complements it. A received message verifies
 * when the checksum over it (checksum field included) is 0.
 *
 * Incremental update (RFC 1624 eqn 3, HC' = ~(~HC + ~m + m')): given the old checksum HC and
 * a field changing from m to m', returns HC' equal to a full recompute.
 * Ownership: functions only read the buffers they are given.
 */
#ifndef SHOAL_CHECKSUM_H
#define SHOAL_CHECKSUM_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>
#include <stdint.h>

/* Adds buf[0..len) to sum; returns a folded partial sum (<= 0xffff). */
uint32_t shoal_checksum_add(uint32_t sum, const uint8_t *buf, size_t len);
/* Adds one 16-bit word to a partial sum; returns a folded partial sum. */
uint32_t shoal_checksum_add16(uint32_t sum, uint16_t word);
/* Folds and complements: the value to put in the checksum field. */
uint16_t shoal_checksum_finish(uint32_t sum);
/* Full checksum of a buffer: finish(add(0, buf, len)). */
uint16_t shoal_checksum(const uint8_t *buf, size_t len);
/* Partial sum of the IPv4 pseudo-header (src, dst, zero, proto, upper-layer length) used
 * by UDP and TCP; addresses are host order. */
uint32_t shoal_checksum_pseudo_ipv4(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len);
/* RFC 1624 eqn 3 for a 16-bit field changing from old_word to new_word. */
uint16_t shoal_checksum_update16(uint16_t hc, uint16_t old_word, uint16_t new_word);
/* Same for a 32-bit field (e.g. an IPv4 address rewritten by NAT), host order values. */
uint16_t shoal_checksum_update32(uint16_t hc, uint32_t old_value, uint32_t new_value);

#ifdef __cplusplus
}
#endif

#endif
