/* test_udp.c — UDP header parse/serialize and pseudo-header checksum. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "shoal/udp.h"
#include "wire_test_util.h"

/* 10.0.0.1:5353 -> 10.0.0.2:53 "hello"; bytes produced by scapy. */
static const uint8_t known_udp[] = {0x14, 0xe9, 0x00, 0x35, 0x00, 0x0d, 0x92,
                                    0xe1, 'h',  'e',  'l',  'l',  'o'};
enum { SRC = 0x0a000001, DST = 0x0a000002 };

static enum shoal_wire_status udp_parse_exact(const uint8_t *buf, size_t len)
{
	struct shoal_udp u;
	uint8_t *copy = wire_exact_copy(buf, len);
	enum shoal_wire_status st = shoal_udp_parse(copy, len, &u);
	if (st == SHOAL_WIRE_OK)
		st = shoal_udp_verify_ipv4(copy, len, SRC, DST);
	free(copy);
	return st;
}

static void test_known_datagram_fields(void **state)
{
	(void)state;
	struct shoal_udp u;
	assert_int_equal(shoal_udp_parse(known_udp, sizeof(known_udp), &u), SHOAL_WIRE_OK);
	assert_int_equal(u.src_port, 5353);
	assert_int_equal(u.dst_port, 53);
	assert_int_equal(u.length, 13);
	assert_int_equal(u.checksum, 0x92e1);
	assert_int_equal(u.payload_len, 5);
	assert_memory_equal(u.payload, "hello", 5);
	assert_int_equal(shoal_udp_verify_ipv4(known_udp, sizeof(known_udp), SRC, DST),
	                 SHOAL_WIRE_OK);
	assert_int_equal(shoal_udp_verify_ipv4(known_udp, sizeof(known_udp), SRC, DST + 1),
	                 SHOAL_WIRE_BAD_CHECKSUM);
}

static void test_serialize_matches_known_bytes(void **state)
{
	(void)state;
	struct shoal_udp u = {.src_port = 5353,
	                      .dst_port = 53,
	                      .payload = (const uint8_t *)"hello",
	                      .payload_len = 5};
	uint8_t buf[13];
	assert_int_equal(shoal_udp_serialize_ipv4(&u, SRC, DST, buf, 12), 0);
	assert_int_equal(shoal_udp_serialize_ipv4(&u, SRC, DST, buf, sizeof(buf)), 13);
	assert_memory_equal(buf, known_udp, sizeof(known_udp));
}

static void test_truncated_and_length_errors(void **state)
{
	(void)state;
	for (size_t len = 0; len < SHOAL_UDP_HDR_LEN; len++)
		assert_int_equal(udp_parse_exact(known_udp, len), SHOAL_WIRE_TRUNCATED);
	for (size_t len = SHOAL_UDP_HDR_LEN; len < sizeof(known_udp); len++)
		assert_int_equal(udp_parse_exact(known_udp, len), SHOAL_WIRE_BAD_TOTAL_LEN);
	uint8_t buf[20] = {0};
	memcpy(buf, known_udp, sizeof(known_udp));
	buf[5] = 7; /* length < 8 */
	assert_int_equal(udp_parse_exact(buf, sizeof(buf)), SHOAL_WIRE_BAD_TOTAL_LEN);
	buf[5] = 13; /* trailing bytes beyond length are ignored */
	assert_int_equal(udp_parse_exact(buf, sizeof(buf)), SHOAL_WIRE_OK);
}

static void test_zero_checksum_means_none(void **state)
{
	(void)state;
	uint8_t buf[sizeof(known_udp)];
	memcpy(buf, known_udp, sizeof(buf));
	buf[6] = buf[7] = 0;
	assert_int_equal(shoal_udp_verify_ipv4(buf, sizeof(buf), SRC, DST), SHOAL_WIRE_OK);
	buf[9] ^= 1;
	assert_int_equal(shoal_udp_verify_ipv4(buf, sizeof(buf), SRC, DST), SHOAL_WIRE_OK);
	memcpy(buf, known_udp, sizeof(buf));
	buf[9] ^= 1;
	assert_int_equal(shoal_udp_verify_ipv4(buf, sizeof(buf), SRC, DST),
	                 SHOAL_WIRE_BAD_CHECKSUM);
}

/* Find a payload whose computed checksum is 0: it must be sent as 0xffff (and verify). */
static void test_computed_zero_sent_as_ffff(void **state)
{
	(void)state;
	uint8_t payload[2], buf[10];
	struct shoal_udp u = {.src_port = 1, .dst_port = 2, .payload = payload, .payload_len = 2};
	int found = 0;
	for (unsigned v = 0; v <= 0xffff && !found; v++) {
		payload[0] = (uint8_t)(v >> 8);
		payload[1] = (uint8_t)v;
		assert_int_equal(shoal_udp_serialize_ipv4(&u, SRC, DST, buf, sizeof(buf)), 10);
		assert_false(buf[6] == 0 && buf[7] == 0);
		if (buf[6] == 0xff && buf[7] == 0xff) {
			found = 1;
			assert_int_equal(shoal_udp_verify_ipv4(buf, 10, SRC, DST), SHOAL_WIRE_OK);
		}
	}
	assert_true(found);
}

static void test_property_round_trip(void **state)
{
	(void)state;
	struct wire_rng r = {17};
	uint8_t payload[64], buf[80];
	for (int i = 0; i < 10000; i++) {
		struct shoal_udp in = {0}, out;
		in.src_port = (uint16_t)wire_rng_u32(&r);
		in.dst_port = (uint16_t)wire_rng_u32(&r);
		in.payload_len = wire_rng_u32(&r) % sizeof(payload);
		wire_rng_fill(&r, payload, in.payload_len);
		in.payload = payload;
		uint32_t src = wire_rng_u32(&r), dst = wire_rng_u32(&r);
		size_t n = shoal_udp_serialize_ipv4(&in, src, dst, buf, sizeof(buf));
		assert_int_equal(n, 8 + in.payload_len);
		uint8_t *copy = wire_exact_copy(buf, n);
		assert_int_equal(shoal_udp_parse(copy, n, &out), SHOAL_WIRE_OK);
		assert_int_equal(shoal_udp_verify_ipv4(copy, n, src, dst), SHOAL_WIRE_OK);
		assert_int_equal(out.src_port, in.src_port);
		assert_int_equal(out.dst_port, in.dst_port);
		assert_int_equal(out.length, n);
		assert_int_equal(out.payload_len, in.payload_len);
		if (in.payload_len)
			assert_memory_equal(out.payload, payload, in.payload_len);
		free(copy);
	}
}

static void test_random_bytes_never_crash(void **state)
{
	(void)state;
	struct wire_rng r = {999};
	uint8_t buf[64];
	int ok = 0;
	for (int i = 0; i < 100000; i++) {
		size_t len = wire_rng_u32(&r) % sizeof(buf);
		wire_rng_fill(&r, buf, len);
		if (len >= 8 && (i & 1)) {
			shoal_store_be16(buf + 4, (uint16_t)(wire_rng_u32(&r) % (len + 4)));
			if (i & 2)
				shoal_store_be16(buf + 6, 0); /* "no checksum" */
		}
		enum shoal_wire_status st = udp_parse_exact(buf, len);
		assert_true(st < SHOAL_WIRE_STATUS_COUNT_);
		ok += st == SHOAL_WIRE_OK;
	}
	assert_true(ok > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_known_datagram_fields),
	    cmocka_unit_test(test_serialize_matches_known_bytes),
	    cmocka_unit_test(test_truncated_and_length_errors),
	    cmocka_unit_test(test_zero_checksum_means_none),
	    cmocka_unit_test(test_computed_zero_sent_as_ffff),
	    cmocka_unit_test(test_property_round_trip),
	    cmocka_unit_test(test_random_bytes_never_crash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
