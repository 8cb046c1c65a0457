/* test_checksum.c — RFC 1071 sum, partial sums, RFC 1624 incremental update. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "shoal/checksum.h"
#include "shoal/wire.h"
#include "wire_test_util.h"

/* Trivially correct model: big-endian 16-bit words, odd byte padded, fold at the end. */
static uint16_t model_sum(const uint8_t *buf, size_t len)
{
	uint64_t s = 0;
	for (size_t i = 0; i < len; i += 2)
		s += (uint32_t)buf[i] << 8 | (i + 1 < len ? buf[i + 1] : 0);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static void test_rfc1071_worked_example(void **state)
{
	(void)state;
	static const uint8_t bytes[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	assert_int_equal(shoal_checksum_add(0, bytes, sizeof(bytes)), 0xddf2);
	assert_int_equal(shoal_checksum(bytes, sizeof(bytes)), 0x220d);
}

static void test_verifies_to_zero_with_checksum_included(void **state)
{
	(void)state;
	uint8_t bytes[10] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7, 0, 0};
	shoal_store_be16(bytes + 8, shoal_checksum(bytes, 8));
	assert_int_equal(shoal_checksum(bytes, sizeof(bytes)), 0);
}

static void test_odd_lengths_pad_high_byte(void **state)
{
	(void)state;
	static const uint8_t one[] = {0xab};
	assert_int_equal(shoal_checksum_add(0, one, 1), 0xab00);
	static const uint8_t three[] = {0x12, 0x34, 0x56};
	assert_int_equal(shoal_checksum_add(0, three, 3), 0x1234 + 0x5600);
	assert_int_equal(shoal_checksum_add(0, NULL, 0), 0);
	assert_int_equal(shoal_checksum(NULL, 0), 0xffff);
}

static void test_property_matches_model_all_lengths(void **state)
{
	(void)state;
	struct wire_rng r = {0x1234567};
	uint8_t buf[300];
	for (int iter = 0; iter < 2000; iter++) {
		size_t len = wire_rng_u32(&r) % sizeof(buf);
		size_t off = wire_rng_u32(&r) % 8; /* unaligned starts */
		if (off + len > sizeof(buf))
			len = sizeof(buf) - off;
		wire_rng_fill(&r, buf, sizeof(buf));
		if (iter % 7 == 0)
			memset(buf, 0xff, sizeof(buf)); /* carry-heavy */
		uint8_t *copy = wire_exact_copy(buf + off, len);
		assert_int_equal(shoal_checksum_add(0, copy, len), model_sum(buf + off, len));
		free(copy);
	}
}

static void test_partial_sums_split_at_even_offsets(void **state)
{
	(void)state;
	struct wire_rng r = {42};
	uint8_t buf[200];
	for (int iter = 0; iter < 500; iter++) {
		wire_rng_fill(&r, buf, sizeof(buf));
		size_t len = wire_rng_u32(&r) % sizeof(buf);
		size_t cut = (wire_rng_u32(&r) % (len + 1)) & ~(size_t)1;
		uint32_t s = shoal_checksum_add(0, buf, cut);
		s = shoal_checksum_add(s, buf + cut, len - cut);
		assert_int_equal(shoal_checksum_finish(s), shoal_checksum(buf, len));
	}
}

static void test_pseudo_header_equals_sum_of_its_bytes(void **state)
{
	(void)state;
	uint8_t ph[12];
	shoal_store_be32(ph, 0xc0a80001);
	shoal_store_be32(ph + 4, 0x0a000002);
	ph[8] = 0;
	ph[9] = 17;
	shoal_store_be16(ph + 10, 0x1234);
	assert_int_equal(shoal_checksum_pseudo_ipv4(0xc0a80001, 0x0a000002, 17, 0x1234),
	                 model_sum(ph, sizeof(ph)));
	assert_int_equal(shoal_checksum_add16(0xffff, 1), 1);
}

static void test_rfc1624_example_eqn3(void **state)
{
	(void)state;
	assert_int_equal(shoal_checksum_update16(0xdd2f, 0x5555, 0x3285), 0x0000);
}

/* Random 20-byte headers: updating the stored checksum for a changed 16-bit word or 32-bit
 * field gives exactly the full recompute over the new header. */
static void test_property_incremental_equals_full(void **state)
{
	(void)state;
	struct wire_rng r = {7};
	uint8_t h[20];
	for (int iter = 0; iter < 20000; iter++) {
		wire_rng_fill(&r, h, sizeof(h));
		h[0] = 0x45;
		shoal_store_be16(h + 10, 0);
		shoal_store_be16(h + 10, shoal_checksum(h, 20));
		uint16_t hc = shoal_load_be16(h + 10);
		if (iter & 1) {
			size_t w = 2 * (wire_rng_u32(&r) % 10);
			if (w == 10)
				w = 8;
			uint16_t m = shoal_load_be16(h + w);
			uint16_t m2 = (uint16_t)wire_rng_u32(&r);
			shoal_store_be16(h + w, m2);
			hc = shoal_checksum_update16(hc, m, m2);
		} else {
			size_t f = (wire_rng_u32(&r) & 1) ? 12 : 16;
			uint32_t m = shoal_load_be32(h + f);
			uint32_t m2 = wire_rng_u32(&r);
			shoal_store_be32(h + f, m2);
			hc = shoal_checksum_update32(hc, m, m2);
		}
		shoal_store_be16(h + 10, 0);
		assert_int_equal(hc, shoal_checksum(h, 20));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc1071_worked_example),
	    cmocka_unit_test(test_verifies_to_zero_with_checksum_included),
	    cmocka_unit_test(test_odd_lengths_pad_high_byte),
	    cmocka_unit_test(test_property_matches_model_all_lengths),
	    cmocka_unit_test(test_partial_sums_split_at_even_offsets),
	    cmocka_unit_test(test_pseudo_header_equals_sum_of_its_bytes),
	    cmocka_unit_test(test_rfc1624_example_eqn3),
	    cmocka_unit_test(test_property_incremental_equals_full),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
