/* Tests for SipHash-2-4 (reference vectors) and RFC 6528 initial sequence numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "shoal/siphash.h"
#include "shoal/tcp_isn.h"

/* The reference implementation's vectors: key 00..0f, message 00..n-1 (n = 0..47). */
static const uint64_t vectors[48] = {
    0x726fdb47dd0e0e31, 0x74f839c593dc67fd, 0x0d6c8009d9a94f5a, 0x85676696d7fb7e2d,
    0xcf2794e0277187b7, 0x18765564cd99a68d, 0xcbc9466e58fee3ce, 0xab0200f58b01d137,
    0x93f5f5799a932462, 0x9e0082df0ba9e4b0, 0x7a5dbbc594ddb9f3, 0xf4b32f46226bada7,
    0x751e8fbc860ee5fb, 0x14ea5627c0843d90, 0xf723ca908e7af2ee, 0xa129ca6149be45e5,
    0x3f2acc7f57c29bdb, 0x699ae9f52cbe4794, 0x4bc1b3f0968dd39c, 0xbb6dc91da77961bd,
    0xbed65cf21aa2ee98, 0xd0f2cbb02e3b67c7, 0x93536795e3a33e88, 0xa80c038ccd5ccec8,
    0xb8ad50c6f649af94, 0xbce192de8a85b8ea, 0x17d835b85bbb15f3, 0x2f2e6163076bcfad,
    0xde4daaaca71dc9a5, 0xa6a2506687956571, 0xad87a3535c49ef28, 0x32d892fad841c342,
    0x7127512f72f27cce, 0xa7f32346f95978e3, 0x12e0b01abb051238, 0x15e034d40fa197ae,
    0x314dffbe0815a3b4, 0x027990f029623981, 0xcadcd4e59ef40c4d, 0x9abfd8766a33735c,
    0x0e3ea96b5304a7d0, 0xad0c42d6fc585992, 0x187306c89bc215a9, 0xd4a60abcf3792b95,
    0xf935451de4f21df2, 0xa9538f0419755787, 0xdb9acddff56ca510, 0xd06c98cd5c0975eb,
};

static void test_siphash24_reference_vectors(void **state)
{
	(void)state;
	uint8_t key[16], msg[48];
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 48; i++)
		msg[i] = (uint8_t)i;
	for (size_t n = 0; n < 48; n++)
		assert_true(shoal_siphash24(key, msg, n) == vectors[n]);
}

static const uint8_t key_a[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t key_b[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 17};

static void test_rfc6528_3_isn_is_m_plus_keyed_hash_of_the_four_tuple(void **state)
{
	(void)state;
	uint32_t l = 0x0a000101, r = 0x0a000102;
	uint32_t base = shoal_tcp_isn(key_a, l, 80, r, 40000, 0);
	/* F is SipHash-2-4 of local IP, remote IP, local port, remote port (network order) */
	uint8_t id[12] = {10, 0, 1, 1, 10, 0, 1, 2, 0, 80, 0x9c, 0x40};
	assert_int_equal(base, (uint32_t)shoal_siphash24(key_a, id, sizeof(id)));
	/* M ticks every 4 microseconds */
	assert_int_equal(shoal_tcp_isn(key_a, l, 80, r, 40000, 3), base);
	assert_int_equal(shoal_tcp_isn(key_a, l, 80, r, 40000, 4), base + 1);
	assert_int_equal(shoal_tcp_isn(key_a, l, 80, r, 40000, 4000000), base + 1000000);
	/* wraps modulo 2^32 */
	assert_int_equal(shoal_tcp_isn(key_a, l, 80, r, 40000, (uint64_t)4 << 32), base);
}

static void test_rfc6528_3_isn_depends_on_key_and_every_tuple_field(void **state)
{
	(void)state;
	uint32_t l = 0x0a000101, r = 0x0a000102;
	uint32_t base = shoal_tcp_isn(key_a, l, 80, r, 40000, 1000);
	assert_int_not_equal(shoal_tcp_isn(key_b, l, 80, r, 40000, 1000), base);
	assert_int_not_equal(shoal_tcp_isn(key_a, l + 1, 80, r, 40000, 1000), base);
	assert_int_not_equal(shoal_tcp_isn(key_a, l, 81, r, 40000, 1000), base);
	assert_int_not_equal(shoal_tcp_isn(key_a, l, 80, r + 1, 40000, 1000), base);
	assert_int_not_equal(shoal_tcp_isn(key_a, l, 80, r, 40001, 1000), base);
	/* swapping the ends gives another ISN (the tuple is ordered) */
	assert_int_not_equal(shoal_tcp_isn(key_a, r, 40000, l, 80, 1000), base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_siphash24_reference_vectors),
	    cmocka_unit_test(test_rfc6528_3_isn_is_m_plus_keyed_hash_of_the_four_tuple),
	    cmocka_unit_test(test_rfc6528_3_isn_depends_on_key_and_every_tuple_field),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
