/*
 * fuzz.h — shared helpers of the libFuzzer harnesses (tests/fuzz/fuzz_<target>.c).
 *
 * Role: each harness feeds outside bytes to one public entry point and checks invariants
 * and round trips, not only crashes. A broken invariant aborts through FUZZ_CHECK (libFuzzer
 * saves the input as a crash). Helpers here are trivially correct models (a byte-at-a-time
 * Internet checksum) and a cursor for harnesses that decode the input as a structure.
 * Harnesses call only public headers (include/shoal/ of each area).
 */
#ifndef SHOAL_FUZZ_H
#define SHOAL_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__,       \
			        #cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* Model of the Internet checksum: 16-bit big-endian words summed in 64 bits, folded at the
 * end. Sum pieces with fuzz_sum_add (each piece at an even offset except the last). */
static inline uint64_t fuzz_sum_add(uint64_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		sum += (i % 2 == 0) ? (uint64_t)p[i] << 8 : p[i];
	return sum;
}

static inline uint16_t fuzz_sum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* True when a message whose checksum field is included in sum verifies. */
static inline bool fuzz_sum_verifies(uint64_t sum)
{
	return fuzz_sum_fold(sum) == 0xffff;
}

static inline uint64_t fuzz_pseudo_ipv4(uint32_t src, uint32_t dst, uint8_t proto, size_t len)
{
	return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + len;
}

/* A cursor over the fuzz input: reads past the end yield zeros. */
struct fuzz_in {
	const uint8_t *p;
	size_t left;
};

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
	if (in->left == 0)
		return 0;
	in->left--;
	return *in->p++;
}

static inline uint16_t fuzz_u16(struct fuzz_in *in)
{
	uint16_t hi = fuzz_u8(in);
	return (uint16_t)(hi << 8 | fuzz_u8(in));
}

static inline uint32_t fuzz_u32(struct fuzz_in *in)
{
	uint32_t hi = fuzz_u16(in);
	return hi << 16 | fuzz_u16(in);
}

/* Up to max bytes (fewer at the end of the input); returns how many. */
static inline size_t fuzz_bytes(struct fuzz_in *in, uint8_t *out, size_t max)
{
	size_t n = max < in->left ? max : in->left;
	memcpy(out, in->p, n);
	in->p += n;
	in->left -= n;
	return n;
}

/* data[0..size) as a malloc'd NUL-terminated string (cut at the first NUL). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	FUZZ_CHECK(s != NULL);
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
