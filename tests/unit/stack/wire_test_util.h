/*
 * wire_test_util.h — helpers shared by the wire-format unit tests (header-only, static).
 *
 * Role: a fixed-seed PRNG for property tests and an "exact copy" helper: parsers are run on
 * a malloc'd buffer of exactly len bytes so ASan reports any read past len.
 * Ownership: wire_exact_copy() returns memory the caller frees.
 */
#ifndef SHOAL_WIRE_TEST_UTIL_H
#define SHOAL_WIRE_TEST_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct wire_rng {
	uint64_t s;
};

static inline uint64_t wire_rng_next(struct wire_rng *r)
{
	/* xorshift64* */
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dull;
}

static inline uint32_t wire_rng_u32(struct wire_rng *r)
{
	return (uint32_t)(wire_rng_next(r) >> 32);
}

static inline void wire_rng_fill(struct wire_rng *r, uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(wire_rng_next(r) >> 56);
}

/* Exactly-sized heap copy: any read past len hits ASan's redzone. For len 0 the result may
 * be NULL or a zero-byte block; parsers must not read it either way. */
static inline uint8_t *wire_exact_copy(const uint8_t *src, size_t len)
{
	uint8_t *p = malloc(len);
	if (p && len)
		memcpy(p, src, len);
	return p;
}

#endif
