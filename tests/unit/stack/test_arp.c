/* test_arp.c — RFC 826 Ethernet/IPv4 ARP parse/serialize. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "shoal/arp.h"
#include "wire_test_util.h"

static enum shoal_wire_status arp_parse_exact(const uint8_t *buf, size_t len, struct shoal_arp *out)
{
	uint8_t *copy = wire_exact_copy(buf, len);
	enum shoal_wire_status st = shoal_arp_parse(copy, len, out);
	free(copy);
	return st;
}

/* who-has 10.0.0.2 tell 10.0.0.1 (02:00:00:00:01:01) */
static const uint8_t known_request[SHOAL_ARP_LEN] = {
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x01, 0x01,
    0x0a, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x02,
};

static void test_known_request_fields(void **state)
{
	(void)state;
	struct shoal_arp a;
	assert_int_equal(arp_parse_exact(known_request, sizeof(known_request), &a), SHOAL_WIRE_OK);
	assert_int_equal(a.opcode, SHOAL_ARP_REQUEST);
	const struct shoal_mac smac = {{0x02, 0, 0, 0, 0x01, 0x01}};
	assert_true(shoal_mac_equal(&a.sender_mac, &smac));
	assert_int_equal(a.sender_ip, 0x0a000001);
	assert_true(shoal_mac_is_zero(&a.target_mac));
	assert_int_equal(a.target_ip, 0x0a000002);
}

static void test_serialize_matches_known_bytes(void **state)
{
	(void)state;
	struct shoal_arp a = {.opcode = SHOAL_ARP_REQUEST,
	                      .sender_mac = {{0x02, 0, 0, 0, 0x01, 0x01}},
	                      .sender_ip = 0x0a000001,
	                      .target_ip = 0x0a000002};
	uint8_t buf[SHOAL_ARP_LEN + 4];
	assert_int_equal(shoal_arp_serialize(&a, buf, SHOAL_ARP_LEN - 1), 0);
	assert_int_equal(shoal_arp_serialize(&a, buf, sizeof(buf)), SHOAL_ARP_LEN);
	assert_memory_equal(buf, known_request, SHOAL_ARP_LEN);
}

static void test_truncated_every_length(void **state)
{
	(void)state;
	struct shoal_arp a;
	for (size_t len = 0; len < SHOAL_ARP_LEN; len++)
		assert_int_equal(arp_parse_exact(known_request, len, &a), SHOAL_WIRE_TRUNCATED);
}

static void test_trailing_padding_ignored(void **state)
{
	(void)state;
	uint8_t buf[46] = {0};
	memcpy(buf, known_request, SHOAL_ARP_LEN);
	struct shoal_arp a;
	assert_int_equal(arp_parse_exact(buf, sizeof(buf), &a), SHOAL_WIRE_OK);
	assert_int_equal(a.target_ip, 0x0a000002);
}

static void expect_field_error(size_t off, uint8_t value, enum shoal_wire_status want)
{
	uint8_t buf[SHOAL_ARP_LEN];
	memcpy(buf, known_request, sizeof(buf));
	buf[off] = value;
	struct shoal_arp a;
	assert_int_equal(arp_parse_exact(buf, sizeof(buf), &a), want);
}

static void test_each_fixed_field_has_distinct_error(void **state)
{
	(void)state;
	expect_field_error(1, 0x06, SHOAL_WIRE_BAD_HTYPE); /* htype 6 (IEEE 802) */
	expect_field_error(0, 0x01, SHOAL_WIRE_BAD_HTYPE);
	expect_field_error(2, 0x86, SHOAL_WIRE_BAD_PTYPE); /* 0x86dd */
	expect_field_error(3, 0x06, SHOAL_WIRE_BAD_PTYPE); /* 0x0806 */
	expect_field_error(4, 0x08, SHOAL_WIRE_BAD_HLEN);
	expect_field_error(5, 0x10, SHOAL_WIRE_BAD_PLEN);
	expect_field_error(7, 0x00, SHOAL_WIRE_BAD_OPCODE);
	expect_field_error(7, 0x03, SHOAL_WIRE_BAD_OPCODE); /* RARP */
	expect_field_error(6, 0x01, SHOAL_WIRE_BAD_OPCODE); /* 0x0101 */
	expect_field_error(7, 0x02, SHOAL_WIRE_OK);         /* reply */
}

static void test_property_round_trip(void **state)
{
	(void)state;
	struct wire_rng r = {3};
	for (int i = 0; i < 10000; i++) {
		struct shoal_arp in, out;
		memset(&in, 0, sizeof(in));
		in.opcode = (wire_rng_u32(&r) & 1) ? SHOAL_ARP_REQUEST : SHOAL_ARP_REPLY;
		wire_rng_fill(&r, in.sender_mac.b, 6);
		wire_rng_fill(&r, in.target_mac.b, 6);
		in.sender_ip = wire_rng_u32(&r);
		in.target_ip = wire_rng_u32(&r);
		uint8_t buf[SHOAL_ARP_LEN];
		assert_int_equal(shoal_arp_serialize(&in, buf, sizeof(buf)), SHOAL_ARP_LEN);
		assert_int_equal(arp_parse_exact(buf, sizeof(buf), &out), SHOAL_WIRE_OK);
		assert_int_equal(out.opcode, in.opcode);
		assert_true(shoal_mac_equal(&out.sender_mac, &in.sender_mac));
		assert_true(shoal_mac_equal(&out.target_mac, &in.target_mac));
		assert_int_equal(out.sender_ip, in.sender_ip);
		assert_int_equal(out.target_ip, in.target_ip);
	}
}

static void test_random_bytes_never_crash(void **state)
{
	(void)state;
	struct wire_rng r = {1234};
	uint8_t buf[64];
	int ok = 0;
	for (int i = 0; i < 100000; i++) {
		size_t len = wire_rng_u32(&r) % sizeof(buf);
		wire_rng_fill(&r, buf, len);
		if (len >= 8 && (i & 1)) /* make the fixed fields valid half the time */
			memcpy(buf, known_request, 6);
		struct shoal_arp a;
		enum shoal_wire_status st = arp_parse_exact(buf, len, &a);
		assert_true(st < SHOAL_WIRE_STATUS_COUNT_);
		if (len < SHOAL_ARP_LEN)
			assert_int_equal(st, SHOAL_WIRE_TRUNCATED);
		ok += st == SHOAL_WIRE_OK;
	}
	assert_true(ok > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_known_request_fields),
	    cmocka_unit_test(test_serialize_matches_known_bytes),
	    cmocka_unit_test(test_truncated_every_length),
	    cmocka_unit_test(test_trailing_padding_ignored),
	    cmocka_unit_test(test_each_fixed_field_has_distinct_error),
	    cmocka_unit_test(test_property_round_trip),
	    cmocka_unit_test(test_random_bytes_never_crash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
