/*
 * wrap32.h — 32-bit wrapping TCP sequence numbers relative to an initial sequence number.
 *
 * Role: converts between 64-bit absolute sequence numbers (absolute 0 = the SYN) and the
 * 32-bit values carried on the wire. Behaviour: shared spec stack-behaviour.md §3.
 *
 * Invariants:
 *   - wrap(n, isn) == (isn + n) mod 2^32.
 *   - unwrap(seqno, isn, checkpoint) returns the non-negative n with wrap(n, isn) == seqno
 *     closest to checkpoint; unwrap(wrap(v, isn), isn, c) == v whenever |v - c| < 2^31.
 *   - A wrapped sequence number is a plain uint32_t: equality compares the 32-bit values.
 *
 * Ownership: pure functions, no state, no memory.
 */
#ifndef SHOAL_WRAP32_H
#define SHOAL_WRAP32_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdint.h>

uint32_t shoal_wrap32_wrap(uint64_t n, uint32_t isn);
uint64_t shoal_wrap32_unwrap(uint32_t seqno, uint32_t isn, uint64_t checkpoint);

#ifdef __cplusplus
}
#endif

#endif
