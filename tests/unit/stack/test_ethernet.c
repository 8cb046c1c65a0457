/* test_ethernet.c — Ethernet II header parse/serialize and MAC text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "shoal/ethernet.h"
#include "wire_test_util.h"

static enum shoal_wire_status eth_parse_exact(const uint8_t *buf, size_t len,
                                              struct shoal_eth_hdr *out)
{
	uint8_t *copy = wire_exact_copy(buf, len);
	enum shoal_wire_status st = shoal_eth_parse(copy, len, out);
	free(copy);
	return st;
}

static const uint8_t known_frame[] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* dst */
    0x02, 0x00, 0x00, 0x00, 0x01, 0x01, /* src */
    0x08, 0x06,                         /* ARP */
    0xaa,                               /* payload */
};

static void test_known_frame_fields(void **state)
{
	(void)state;
	struct shoal_eth_hdr h;
	assert_int_equal(eth_parse_exact(known_frame, sizeof(known_frame), &h), SHOAL_WIRE_OK);
	assert_true(shoal_mac_is_broadcast(&h.dst));
	const struct shoal_mac src = {{0x02, 0, 0, 0, 0x01, 0x01}};
	assert_true(shoal_mac_equal(&h.src, &src));
	assert_false(shoal_mac_is_broadcast(&h.src));
	assert_int_equal(h.ethertype, SHOAL_ETHERTYPE_ARP);
}

static void test_truncated_every_length(void **state)
{
	(void)state;
	struct shoal_eth_hdr h;
	for (size_t len = 0; len < SHOAL_ETH_HDR_LEN; len++)
		assert_int_equal(eth_parse_exact(known_frame, len, &h), SHOAL_WIRE_TRUNCATED);
	assert_int_equal(eth_parse_exact(known_frame, SHOAL_ETH_HDR_LEN, &h), SHOAL_WIRE_OK);
}

static void test_serialize_too_small_writes_nothing(void **state)
{
	(void)state;
	struct shoal_eth_hdr h = {.ethertype = 0x0800};
	uint8_t buf[SHOAL_ETH_HDR_LEN] = {0};
	assert_int_equal(shoal_eth_serialize(&h, buf, SHOAL_ETH_HDR_LEN - 1), 0);
	assert_int_equal(shoal_eth_serialize(&h, buf, SHOAL_ETH_HDR_LEN), SHOAL_ETH_HDR_LEN);
	assert_int_equal(buf[12], 0x08);
	assert_int_equal(buf[13], 0x00);
}

static void test_property_round_trip(void **state)
{
	(void)state;
	struct wire_rng r = {11};
	for (int i = 0; i < 10000; i++) {
		struct shoal_eth_hdr in, out;
		wire_rng_fill(&r, in.dst.b, 6);
		wire_rng_fill(&r, in.src.b, 6);
		in.ethertype = (uint16_t)wire_rng_u32(&r);
		uint8_t buf[SHOAL_ETH_HDR_LEN];
		assert_int_equal(shoal_eth_serialize(&in, buf, sizeof(buf)), SHOAL_ETH_HDR_LEN);
		assert_int_equal(eth_parse_exact(buf, sizeof(buf), &out), SHOAL_WIRE_OK);
		assert_true(shoal_mac_equal(&in.dst, &out.dst));
		assert_true(shoal_mac_equal(&in.src, &out.src));
		assert_int_equal(in.ethertype, out.ethertype);
	}
}

static void test_random_bytes_never_crash(void **state)
{
	(void)state;
	struct wire_rng r = {99};
	uint8_t buf[64];
	for (int i = 0; i < 100000; i++) {
		size_t len = wire_rng_u32(&r) % sizeof(buf);
		wire_rng_fill(&r, buf, len);
		struct shoal_eth_hdr h;
		enum shoal_wire_status st = eth_parse_exact(buf, len, &h);
		assert_int_equal(st,
		                 len < SHOAL_ETH_HDR_LEN ? SHOAL_WIRE_TRUNCATED : SHOAL_WIRE_OK);
	}
}

static void test_mac_text_round_trip(void **state)
{
	(void)state;
	struct shoal_mac m;
	char text[SHOAL_MAC_STRLEN];
	assert_int_equal(shoal_mac_parse("02:00:00:00:01:01", &m), SHOAL_WIRE_OK);
	const struct shoal_mac want = {{0x02, 0, 0, 0, 0x01, 0x01}};
	assert_true(shoal_mac_equal(&m, &want));
	assert_string_equal(shoal_mac_format(&m, text), "02:00:00:00:01:01");
	assert_int_equal(shoal_mac_parse("AB:cd:EF:01:23:9f", &m), SHOAL_WIRE_OK);
	assert_string_equal(shoal_mac_format(&m, text), "ab:cd:ef:01:23:9f");
	assert_int_equal(shoal_mac_parse("ff:ff:ff:ff:ff:ff", &m), SHOAL_WIRE_OK);
	assert_true(shoal_mac_is_broadcast(&m));

	struct wire_rng r = {5};
	for (int i = 0; i < 1000; i++) {
		struct shoal_mac a, b;
		wire_rng_fill(&r, a.b, 6);
		assert_int_equal(shoal_mac_parse(shoal_mac_format(&a, text), &b), SHOAL_WIRE_OK);
		assert_true(shoal_mac_equal(&a, &b));
	}
}

static void test_mac_text_rejects_malformed(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "",
	    "02:00:00:00:01",
	    "02:00:00:00:01:01:",
	    "02:00:00:00:01:01:05",
	    "2:00:00:00:01:01",
	    "02:00:00:00:01:1",
	    "02-00-00-00-01-01",
	    "02:00:00:00:01:0g",
	    " 02:00:00:00:01:01",
	    "02:00:00:00:01:01 ",
	    "020:00:00:00:01:01",
	};
	const struct shoal_mac sentinel = {{1, 2, 3, 4, 5, 6}};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct shoal_mac m = sentinel;
		assert_int_equal(shoal_mac_parse(bad[i], &m), SHOAL_WIRE_BAD_TEXT);
		assert_true(shoal_mac_equal(&m, &sentinel));
	}
}

static void test_mac_predicates(void **state)
{
	(void)state;
	struct shoal_mac z = {{0}};
	assert_true(shoal_mac_is_zero(&z));
	z.b[5] = 1;
	assert_false(shoal_mac_is_zero(&z));
	assert_false(shoal_mac_is_broadcast(&z));
}

/* A MAC derived from a name: stable, locally administered unicast, distinct per name, and
 * exactly 02 + the first five bytes of FNV-1a 64 (of "a": 0xaf63dc4c8601ec8c). */
static void test_mac_from_name(void **state)
{
	(void)state;
	struct shoal_mac a, b, c;
	shoal_mac_from_name("lan0", &a);
	shoal_mac_from_name("lan0", &b);
	shoal_mac_from_name("lan1", &c);
	assert_true(shoal_mac_equal(&a, &b));
	assert_false(shoal_mac_equal(&a, &c));
	assert_int_equal(a.b[0], 0x02);
	const uint8_t expect[6] = {0x02, 0xaf, 0x63, 0xdc, 0x4c, 0x86};
	shoal_mac_from_name("a", &a);
	assert_memory_equal(a.b, expect, 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_known_frame_fields),
	    cmocka_unit_test(test_truncated_every_length),
	    cmocka_unit_test(test_serialize_too_small_writes_nothing),
	    cmocka_unit_test(test_property_round_trip),
	    cmocka_unit_test(test_random_bytes_never_crash),
	    cmocka_unit_test(test_mac_text_round_trip),
	    cmocka_unit_test(test_mac_text_rejects_malformed),
	    cmocka_unit_test(test_mac_predicates),
	    cmocka_unit_test(test_mac_from_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
