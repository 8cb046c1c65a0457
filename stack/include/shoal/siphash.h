/*
 * siphash.h — SipHash-2-4 (Aumasson & Bernstein, 2012), a keyed 64-bit pseudorandom function.
 *
 * Role: the keyed hash behind TCP initial sequence numbers (RFC 6528, see tcp_isn.h) and
 * any other place that needs an unguessable function of public data under a secret key.
 * Output matches the reference implementation's test vectors (key 00..0f, message 00..n-1).
 *
 * Ownership: pure function; reads key (16 bytes) and data (len bytes) during the call only.
 */
#ifndef SHOAL_SIPHASH_H
#define SHOAL_SIPHASH_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>
#include <stdint.h>

enum { SHOAL_SIPHASH_KEY_LEN = 16 };

/* SipHash-2-4 of data under key; the 64-bit result read as the reference's little-endian
 * 8-byte output. */
uint64_t shoal_siphash24(const uint8_t key[SHOAL_SIPHASH_KEY_LEN], const uint8_t *data, size_t len);

#ifdef __cplusplus
}
#endif

#endif
