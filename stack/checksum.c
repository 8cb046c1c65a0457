/* checksum.c — RFC 1071 Internet checksum, RFC 1624 update; contract in include/shoal/checksum.h.
 *
 * The sum is accumulated over native-order 64-bit loads with end-around carry; a ones'
 * complement sum is byte-order independent up to a final byte swap (RFC 1071 §2(B)), so the
 * folded 16-bit result is swapped once on little-endian hosts to give the big-endian value. */
#include "shoal/checksum.h"

#include <string.h>

static uint32_t checksum_fold(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffu) + (s >> 16);
	s = (s & 0xffffu) + (s >> 16);
	return (uint32_t)s;
}

static uint64_t checksum_word_add(uint64_t acc, uint64_t w)
{
	acc += w;
	return acc + (acc < w);
}

uint32_t shoal_checksum_add(uint32_t sum, const uint8_t *buf, size_t len)
{
	uint64_t acc = 0;
	uint64_t w;
	size_t i = 0;

	for (; i + 32 <= len; i += 32) {
		uint64_t w0, w1, w2, w3;
		memcpy(&w0, buf + i, 8);
		memcpy(&w1, buf + i + 8, 8);
		memcpy(&w2, buf + i + 16, 8);
		memcpy(&w3, buf + i + 24, 8);
		acc = checksum_word_add(acc, w0);
		acc = checksum_word_add(acc, w1);
		acc = checksum_word_add(acc, w2);
		acc = checksum_word_add(acc, w3);
	}
	for (; i + 8 <= len; i += 8) {
		memcpy(&w, buf + i, 8);
		acc = checksum_word_add(acc, w);
	}
	if (i < len) {
		uint8_t tail[8] = {0};
		memcpy(tail, buf + i, len - i);
		memcpy(&w, tail, 8);
		acc = checksum_word_add(acc, w);
	}
	uint32_t folded = checksum_fold(acc);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	folded = ((folded & 0xffu) << 8) | (folded >> 8);
#endif
	return checksum_fold((uint64_t)sum + folded);
}

uint32_t shoal_checksum_add16(uint32_t sum, uint16_t word)
{
	return checksum_fold((uint64_t)sum + word);
}

uint16_t shoal_checksum_finish(uint32_t sum)
{
	return (uint16_t)~checksum_fold(sum);
}

uint16_t shoal_checksum(const uint8_t *buf, size_t len)
{
	return shoal_checksum_finish(shoal_checksum_add(0, buf, len));
}

uint32_t shoal_checksum_pseudo_ipv4(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
	uint64_t s =
	    (uint64_t)(src >> 16) + (src & 0xffffu) + (dst >> 16) + (dst & 0xffffu) + proto + len;
	return checksum_fold(s);
}

uint16_t shoal_checksum_update16(uint16_t hc, uint16_t old_word, uint16_t new_word)
{
	uint64_t s = (uint64_t)(uint16_t)~hc + (uint16_t)~old_word + new_word;
	return (uint16_t)~checksum_fold(s);
}

uint16_t shoal_checksum_update32(uint16_t hc, uint32_t old_value, uint32_t new_value)
{
	uint64_t s = (uint64_t)(uint16_t)~hc + (uint16_t) ~(old_value >> 16) +
	             (uint16_t) ~(old_value & 0xffffu) + (new_value >> 16) + (new_value & 0xffffu);
	return (uint16_t)~checksum_fold(s);
}
