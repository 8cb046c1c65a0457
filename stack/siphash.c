/* siphash.c — SipHash-2-4; contract in include/shoal/siphash.h. */
#include "shoal/siphash.h"

static uint64_t sip_load_le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint64_t sip_rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static void sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = sip_rotl(v[1], 13);
	v[1] ^= v[0];
	v[0] = sip_rotl(v[0], 32);
	v[2] += v[3];
	v[3] = sip_rotl(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = sip_rotl(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = sip_rotl(v[1], 17);
	v[1] ^= v[2];
	v[2] = sip_rotl(v[2], 32);
}

uint64_t shoal_siphash24(const uint8_t key[SHOAL_SIPHASH_KEY_LEN], const uint8_t *data, size_t len)
{
	uint64_t k0 = sip_load_le64(key);
	uint64_t k1 = sip_load_le64(key + 8);
	uint64_t v[4] = {
	    k0 ^ 0x736f6d6570736575ull,
	    k1 ^ 0x646f72616e646f6dull,
	    k0 ^ 0x6c7967656e657261ull,
	    k1 ^ 0x7465646279746573ull,
	};
	size_t full = len - len % 8;
	for (size_t i = 0; i < full; i += 8) {
		uint64_t m = sip_load_le64(data + i);
		v[3] ^= m;
		sip_round(v);
		sip_round(v);
		v[0] ^= m;
	}
	uint64_t b = (uint64_t)len << 56;
	for (size_t i = 0; i < len % 8; i++)
		b |= (uint64_t)data[full + i] << (8 * i);
	v[3] ^= b;
	sip_round(v);
	sip_round(v);
	v[0] ^= b;
	v[2] ^= 0xff;
	for (int i = 0; i < 4; i++)
		sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}
