/* test_icmp.c — ICMP parse/serialize and error-message builder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "shoal/checksum.h"
#include "shoal/icmp.h"
#include "shoal/ipv4.h"
#include "wire_test_util.h"

/* Echo request id 0x1234 seq 7 data "abcdefgh"; bytes produced by scapy. */
static const uint8_t known_echo[] = {0x08, 0x00, 0x54, 0x2f, 0x12, 0x34, 0x00, 0x07,
                                     'a',  'b',  'c',  'd',  'e',  'f',  'g',  'h'};

static enum shoal_wire_status icmp_parse_exact(const uint8_t *buf, size_t len)
{
	struct shoal_icmp m;
	uint8_t *copy = wire_exact_copy(buf, len);
	enum shoal_wire_status st = shoal_icmp_parse(copy, len, &m);
	free(copy);
	return st;
}

static void test_known_echo_fields(void **state)
{
	(void)state;
	struct shoal_icmp m;
	assert_int_equal(shoal_icmp_parse(known_echo, sizeof(known_echo), &m), SHOAL_WIRE_OK);
	assert_int_equal(m.type, SHOAL_ICMP_ECHO_REQUEST);
	assert_int_equal(m.code, 0);
	assert_int_equal(m.checksum, 0x542f);
	assert_int_equal(shoal_icmp_echo_id(&m), 0x1234);
	assert_int_equal(shoal_icmp_echo_seq(&m), 7);
	assert_int_equal(m.data_len, 8);
	assert_memory_equal(m.data, "abcdefgh", 8);
}

static void test_serialize_echo_matches_known_bytes(void **state)
{
	(void)state;
	struct shoal_icmp m = {
	    .type = SHOAL_ICMP_ECHO_REQUEST, .data = (const uint8_t *)"abcdefgh", .data_len = 8};
	shoal_icmp_set_echo(&m, 0x1234, 7);
	uint8_t buf[16];
	assert_int_equal(shoal_icmp_serialize(&m, buf, 15), 0);
	assert_int_equal(shoal_icmp_serialize(&m, buf, sizeof(buf)), 16);
	assert_memory_equal(buf, known_echo, sizeof(known_echo));
	/* echo reply built in place from the request: type 0, same id/seq/data */
	struct shoal_icmp req;
	assert_int_equal(shoal_icmp_parse(buf, 16, &req), SHOAL_WIRE_OK);
	req.type = SHOAL_ICMP_ECHO_REPLY;
	assert_int_equal(shoal_icmp_serialize(&req, buf, sizeof(buf)), 16);
	assert_int_equal(shoal_checksum(buf, 16), 0);
	assert_int_equal(buf[0], 0);
	assert_memory_equal(buf + 4, known_echo + 4, 12);
}

static void test_truncated_and_bad_checksum(void **state)
{
	(void)state;
	for (size_t len = 0; len < SHOAL_ICMP_HDR_LEN; len++)
		assert_int_equal(icmp_parse_exact(known_echo, len), SHOAL_WIRE_TRUNCATED);
	/* the checksum covers the whole message: dropping data bytes breaks it */
	for (size_t len = SHOAL_ICMP_HDR_LEN; len < sizeof(known_echo); len++)
		assert_int_equal(icmp_parse_exact(known_echo, len), SHOAL_WIRE_BAD_CHECKSUM);
	uint8_t buf[sizeof(known_echo)];
	memcpy(buf, known_echo, sizeof(buf));
	buf[15] ^= 0x40;
	assert_int_equal(icmp_parse_exact(buf, sizeof(buf)), SHOAL_WIRE_BAD_CHECKSUM);
}

static void test_property_round_trip(void **state)
{
	(void)state;
	struct wire_rng r = {31};
	uint8_t data[64], buf[80];
	for (int i = 0; i < 10000; i++) {
		struct shoal_icmp in = {0}, out;
		in.type = (uint8_t)wire_rng_u32(&r);
		in.code = (uint8_t)wire_rng_u32(&r);
		in.rest = wire_rng_u32(&r);
		in.data_len = wire_rng_u32(&r) % sizeof(data);
		wire_rng_fill(&r, data, in.data_len);
		in.data = data;
		size_t n = shoal_icmp_serialize(&in, buf, sizeof(buf));
		assert_int_equal(n, 8 + in.data_len);
		uint8_t *copy = wire_exact_copy(buf, n);
		assert_int_equal(shoal_icmp_parse(copy, n, &out), SHOAL_WIRE_OK);
		assert_int_equal(out.type, in.type);
		assert_int_equal(out.code, in.code);
		assert_int_equal(out.rest, in.rest);
		assert_int_equal(out.data_len, in.data_len);
		if (in.data_len)
			assert_memory_equal(out.data, data, in.data_len);
		free(copy);
	}
}

static void test_random_bytes_never_crash(void **state)
{
	(void)state;
	struct wire_rng r = {4242};
	uint8_t buf[64];
	for (int i = 0; i < 100000; i++) {
		size_t len = wire_rng_u32(&r) % sizeof(buf);
		wire_rng_fill(&r, buf, len);
		enum shoal_wire_status st = icmp_parse_exact(buf, len);
		assert_true(st == SHOAL_WIRE_OK || st == SHOAL_WIRE_TRUNCATED ||
		            st == SHOAL_WIRE_BAD_CHECKSUM);
		if (len < 8)
			assert_int_equal(st, SHOAL_WIRE_TRUNCATED);
	}
}

static size_t make_datagram(uint8_t *buf, size_t payload_len, size_t options_len)
{
	static const uint8_t opts[8] = {1, 1, 1, 1, 1, 1, 1, 1};
	struct shoal_ipv4_hdr h = {.ttl = 1,
	                           .protocol = SHOAL_IP_PROTO_UDP,
	                           .src = 0x0a000001,
	                           .dst = 0x0a000063,
	                           .options = options_len ? opts : NULL,
	                           .options_len = options_len};
	h.total_len = (uint16_t)(shoal_ipv4_hdr_len(&h) + payload_len);
	size_t n = shoal_ipv4_serialize(&h, buf, 100);
	for (size_t i = 0; i < payload_len; i++)
		buf[n + i] = (uint8_t)(0xa0 + i);
	return n + payload_len;
}

static void test_build_time_exceeded_quotes_header_plus_8(void **state)
{
	(void)state;
	uint8_t orig[100], out[100];
	size_t olen = make_datagram(orig, 30, 0);
	uint8_t *copy = wire_exact_copy(orig, olen);
	size_t n = shoal_icmp_build_error(SHOAL_ICMP_TIME_EXCEEDED, SHOAL_ICMP_TIME_EXCEEDED_TTL,
	                                  1500, copy, olen, out, sizeof(out));
	free(copy);
	assert_int_equal(n, 8 + 20 + 8);
	struct shoal_icmp m;
	assert_int_equal(shoal_icmp_parse(out, n, &m), SHOAL_WIRE_OK);
	assert_int_equal(m.type, 11);
	assert_int_equal(m.code, 0);
	assert_int_equal(m.rest, 0); /* MTU only for frag-needed */
	assert_memory_equal(m.data, orig, 28);

	/* with options: the whole IHL*4 header is quoted */
	olen = make_datagram(orig, 30, 8);
	n = shoal_icmp_build_error(SHOAL_ICMP_TIME_EXCEEDED, 0, 0, orig, olen, out, sizeof(out));
	assert_int_equal(n, 8 + 28 + 8);
	/* short payload: only what exists (by total length), trailing padding not quoted */
	olen = make_datagram(orig, 3, 0);
	n = shoal_icmp_build_error(SHOAL_ICMP_TIME_EXCEEDED, 0, 0, orig, olen + 10, out,
	                           sizeof(out));
	assert_int_equal(n, 8 + 20 + 3);
	/* cap too small */
	assert_int_equal(shoal_icmp_build_error(11, 0, 0, orig, olen, out, 8 + 20 + 2), 0);
}

static void test_build_frag_needed_carries_mtu(void **state)
{
	(void)state;
	uint8_t orig[100], out[100];
	size_t olen = make_datagram(orig, 30, 0);
	size_t n = shoal_icmp_build_error(SHOAL_ICMP_DEST_UNREACH, SHOAL_ICMP_UNREACH_FRAG_NEEDED,
	                                  1400, orig, olen, out, sizeof(out));
	assert_int_equal(n, 36);
	struct shoal_icmp m;
	assert_int_equal(shoal_icmp_parse(out, n, &m), SHOAL_WIRE_OK);
	assert_int_equal(m.type, 3);
	assert_int_equal(m.code, 4);
	assert_int_equal(shoal_icmp_next_hop_mtu(&m), 1400);
	assert_int_equal(out[4], 0);
	assert_int_equal(out[5], 0);
	n = shoal_icmp_build_error(3, SHOAL_ICMP_UNREACH_HOST, 1400, orig, olen, out, sizeof(out));
	assert_int_equal(shoal_icmp_parse(out, n, &m), SHOAL_WIRE_OK);
	assert_int_equal(shoal_icmp_next_hop_mtu(&m), 0);
}

static void test_build_error_rejects_implausible_original(void **state)
{
	(void)state;
	uint8_t orig[40] = {0x45}, out[100];
	for (size_t len = 0; len < 20; len++) {
		uint8_t *copy = wire_exact_copy(orig, len);
		assert_int_equal(shoal_icmp_build_error(11, 0, 0, copy, len, out, sizeof(out)), 0);
		free(copy);
	}
	orig[0] = 0x44;
	assert_int_equal(shoal_icmp_build_error(11, 0, 0, orig, 40, out, sizeof(out)), 0);
	orig[0] = 0x4f; /* 60 > 40 */
	assert_int_equal(shoal_icmp_build_error(11, 0, 0, orig, 40, out, sizeof(out)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_known_echo_fields),
	    cmocka_unit_test(test_serialize_echo_matches_known_bytes),
	    cmocka_unit_test(test_truncated_and_bad_checksum),
	    cmocka_unit_test(test_property_round_trip),
	    cmocka_unit_test(test_random_bytes_never_crash),
	    cmocka_unit_test(test_build_time_exceeded_quotes_header_plus_8),
	    cmocka_unit_test(test_build_frag_needed_carries_mtu),
	    cmocka_unit_test(test_build_error_rejects_implausible_original),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
