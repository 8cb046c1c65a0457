/* test_ipv4.c — IPv4 header parse/serialize, fragment helpers, TTL decrement, text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "shoal/checksum.h"
#include "shoal/ipv4.h"
#include "wire_test_util.h"

static enum shoal_wire_status ipv4_parse_exact(const uint8_t *buf, size_t len)
{
	struct shoal_ipv4_hdr h;
	uint8_t *copy = wire_exact_copy(buf, len);
	enum shoal_wire_status st = shoal_ipv4_parse(copy, len, &h);
	free(copy);
	return st;
}

/* An ICMP echo request 192.168.0.1 -> 192.168.0.199, DF, TTL 64, id 0x1c46, followed by
 * the 8-byte ICMP echo header (type 8, checksum 0xf7fe, id 1, seq 0). Both checksums were
 * computed independently (Python, RFC 1071 definition). */
static const uint8_t known_packet[] = {
    0x45, 0x00, 0x00, 0x1c, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x01, 0x9c, 0x82, 0xc0, 0xa8,
    0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7, 0x08, 0x00, 0xf7, 0xfe, 0x00, 0x01, 0x00, 0x00,
};

static void test_known_packet_fields(void **state)
{
	(void)state;
	struct shoal_ipv4_hdr h;
	assert_int_equal(shoal_ipv4_parse(known_packet, sizeof(known_packet), &h), SHOAL_WIRE_OK);
	assert_int_equal(h.tos, 0);
	assert_int_equal(h.total_len, 28);
	assert_int_equal(h.id, 0x1c46);
	assert_true(shoal_ipv4_df(&h));
	assert_false(shoal_ipv4_mf(&h));
	assert_int_equal(shoal_ipv4_frag_offset(&h), 0);
	assert_false(shoal_ipv4_is_fragment(&h));
	assert_int_equal(h.ttl, 64);
	assert_int_equal(h.protocol, SHOAL_IP_PROTO_ICMP);
	assert_int_equal(h.checksum, 0x9c82);
	assert_int_equal(h.src, 0xc0a80001);
	assert_int_equal(h.dst, 0xc0a800c7);
	assert_null(h.options);
	assert_int_equal(h.options_len, 0);
	assert_int_equal(shoal_ipv4_hdr_len(&h), 20);
}

/* Well-known worked example (Wikipedia "IPv4 header checksum"): header checksum 0xb861. */
static void test_serialize_known_checksum_vector(void **state)
{
	(void)state;
	struct shoal_ipv4_hdr h = {.total_len = 0x73,
	                           .flags_frag = SHOAL_IPV4_FLAG_DF,
	                           .ttl = 64,
	                           .protocol = SHOAL_IP_PROTO_UDP,
	                           .checksum = 0x1234, /* ignored */
	                           .src = 0xc0a80001,
	                           .dst = 0xc0a800c7};
	static const uint8_t want[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40,
	                                 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8,
	                                 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
	uint8_t buf[20];
	assert_int_equal(shoal_ipv4_serialize(&h, buf, sizeof(buf)), 20);
	assert_memory_equal(buf, want, sizeof(want));
}

static void test_truncated_every_length(void **state)
{
	(void)state;
	for (size_t len = 0; len < SHOAL_IPV4_MIN_HDR_LEN; len++)
		assert_int_equal(ipv4_parse_exact(known_packet, len), SHOAL_WIRE_TRUNCATED);
	/* 20..27: header present but total length 28 exceeds the buffer */
	for (size_t len = SHOAL_IPV4_MIN_HDR_LEN; len < sizeof(known_packet); len++)
		assert_int_equal(ipv4_parse_exact(known_packet, len), SHOAL_WIRE_BAD_TOTAL_LEN);
	assert_int_equal(ipv4_parse_exact(known_packet, sizeof(known_packet)), SHOAL_WIRE_OK);
}

static void test_trailing_padding_ignored(void **state)
{
	(void)state;
	uint8_t buf[46] = {0};
	memcpy(buf, known_packet, sizeof(known_packet));
	struct shoal_ipv4_hdr h;
	assert_int_equal(shoal_ipv4_parse(buf, sizeof(buf), &h), SHOAL_WIRE_OK);
	assert_int_equal(h.total_len, 28);
}

/* Rewrites a field of the known header, refreshes the checksum, returns parse status. */
static enum shoal_wire_status parse_modified(size_t off, uint8_t value, size_t len)
{
	uint8_t buf[64] = {0};
	memcpy(buf, known_packet, sizeof(known_packet));
	buf[off] = value;
	size_t ihl = (size_t)(buf[0] & 0xf) * 4;
	if (ihl >= 20 && ihl <= sizeof(buf))
		shoal_ipv4_checksum_fill(buf, ihl);
	return ipv4_parse_exact(buf, len);
}

static void test_distinct_errors(void **state)
{
	(void)state;
	assert_int_equal(parse_modified(0, 0x65, 28), SHOAL_WIRE_BAD_VERSION);
	assert_int_equal(parse_modified(0, 0x05, 28), SHOAL_WIRE_BAD_VERSION);
	assert_int_equal(parse_modified(0, 0x44, 28), SHOAL_WIRE_BAD_HDR_LEN); /* IHL 4 */
	assert_int_equal(parse_modified(0, 0x40, 28), SHOAL_WIRE_BAD_HDR_LEN);
	assert_int_equal(parse_modified(0, 0x48, 28), SHOAL_WIRE_BAD_HDR_LEN); /* 32 > 28 */
	assert_int_equal(parse_modified(3, 19, 28), SHOAL_WIRE_BAD_TOTAL_LEN); /* < IHL*4 */
	assert_int_equal(parse_modified(3, 29, 28), SHOAL_WIRE_BAD_TOTAL_LEN); /* > len */
	assert_int_equal(parse_modified(3, 20, 28), SHOAL_WIRE_OK);            /* empty payload */
	uint8_t buf[28];
	memcpy(buf, known_packet, sizeof(buf));
	buf[8] = 63; /* TTL changed, checksum stale */
	assert_int_equal(ipv4_parse_exact(buf, sizeof(buf)), SHOAL_WIRE_BAD_CHECKSUM);
	buf[8] = 64;
	buf[11] ^= 1;
	assert_int_equal(ipv4_parse_exact(buf, sizeof(buf)), SHOAL_WIRE_BAD_CHECKSUM);
}

static void test_options_exposed_and_preserved(void **state)
{
	(void)state;
	uint8_t buf[32] = {0x46, 0x00, 0x00, 0x20, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0,    0,
	                   0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x94, 0x04, 0x00, 0x00};
	shoal_ipv4_checksum_fill(buf, 24);
	struct shoal_ipv4_hdr h;
	assert_int_equal(shoal_ipv4_parse(buf, sizeof(buf), &h), SHOAL_WIRE_OK);
	assert_int_equal(h.options_len, 4);
	assert_ptr_equal(h.options, buf + 20);
	assert_int_equal(shoal_ipv4_hdr_len(&h), 24);
	uint8_t out[32];
	assert_int_equal(shoal_ipv4_serialize(&h, out, 23), 0);
	assert_int_equal(shoal_ipv4_serialize(&h, out, sizeof(out)), 24);
	assert_memory_equal(out, buf, 24);
	h.options_len = 3;
	assert_int_equal(shoal_ipv4_serialize(&h, out, sizeof(out)), 0);
	h.options_len = 44;
	assert_int_equal(shoal_ipv4_serialize(&h, out, sizeof(out)), 0);
}

static void test_property_round_trip(void **state)
{
	(void)state;
	struct wire_rng r = {21};
	uint8_t opts[40], buf[80];
	for (int i = 0; i < 20000; i++) {
		struct shoal_ipv4_hdr in = {0}, out;
		wire_rng_fill(&r, opts, sizeof(opts));
		in.tos = (uint8_t)wire_rng_u32(&r);
		in.options_len = 4 * (wire_rng_u32(&r) % 11);
		in.options = in.options_len ? opts : NULL;
		size_t payload = wire_rng_u32(&r) % 20;
		in.total_len = (uint16_t)(shoal_ipv4_hdr_len(&in) + payload);
		in.id = (uint16_t)wire_rng_u32(&r);
		in.flags_frag = (uint16_t)wire_rng_u32(&r);
		in.ttl = (uint8_t)wire_rng_u32(&r);
		in.protocol = (uint8_t)wire_rng_u32(&r);
		in.src = wire_rng_u32(&r);
		in.dst = wire_rng_u32(&r);
		size_t n = shoal_ipv4_serialize(&in, buf, sizeof(buf));
		assert_int_equal(n, shoal_ipv4_hdr_len(&in));
		wire_rng_fill(&r, buf + n, payload);
		uint8_t *copy = wire_exact_copy(buf, in.total_len);
		assert_int_equal(shoal_ipv4_parse(copy, in.total_len, &out), SHOAL_WIRE_OK);
		assert_int_equal(out.tos, in.tos);
		assert_int_equal(out.total_len, in.total_len);
		assert_int_equal(out.id, in.id);
		assert_int_equal(out.flags_frag, in.flags_frag);
		assert_int_equal(out.ttl, in.ttl);
		assert_int_equal(out.protocol, in.protocol);
		assert_int_equal(out.src, in.src);
		assert_int_equal(out.dst, in.dst);
		assert_int_equal(out.options_len, in.options_len);
		if (in.options_len)
			assert_memory_equal(out.options, opts, in.options_len);
		assert_int_equal(shoal_checksum(copy, n), 0);
		free(copy);
	}
}

static void test_random_bytes_never_crash(void **state)
{
	(void)state;
	struct wire_rng r = {77};
	uint8_t buf[80];
	int ok = 0;
	for (int i = 0; i < 100000; i++) {
		size_t len = wire_rng_u32(&r) % sizeof(buf);
		wire_rng_fill(&r, buf, len);
		if (len >= 20 && (i & 1)) { /* plausible version/IHL/length half the time */
			buf[0] = (uint8_t)(0x40 | (buf[0] & 0xf));
			shoal_store_be16(buf + 2, (uint16_t)(wire_rng_u32(&r) % (len + 8)));
			size_t ihl = (size_t)(buf[0] & 0xf) * 4;
			if (ihl >= 20 && ihl <= len && (i & 2))
				shoal_ipv4_checksum_fill(buf, ihl);
		}
		enum shoal_wire_status st = ipv4_parse_exact(buf, len);
		assert_true(st < SHOAL_WIRE_STATUS_COUNT_);
		ok += st == SHOAL_WIRE_OK;
	}
	assert_true(ok > 0);
}

static void test_frag_helpers(void **state)
{
	(void)state;
	struct shoal_ipv4_hdr h = {0};
	shoal_ipv4_set_frag(&h, false, true, 185);
	assert_int_equal(h.flags_frag, 0x2000 | 185);
	assert_true(shoal_ipv4_mf(&h));
	assert_false(shoal_ipv4_df(&h));
	assert_int_equal(shoal_ipv4_frag_offset(&h), 185);
	assert_true(shoal_ipv4_is_fragment(&h));
	shoal_ipv4_set_frag(&h, true, false, 0xffff);
	assert_int_equal(h.flags_frag, 0x4000 | 0x1fff);
	shoal_ipv4_set_frag(&h, false, false, 1);
	assert_true(shoal_ipv4_is_fragment(&h));
	shoal_ipv4_set_frag(&h, true, false, 0);
	assert_false(shoal_ipv4_is_fragment(&h));
}

static void test_ttl_decrement_equals_full_recompute(void **state)
{
	(void)state;
	struct wire_rng r = {8};
	uint8_t h[20], ref[20];
	for (int i = 0; i < 20000; i++) {
		wire_rng_fill(&r, h, sizeof(h));
		h[0] = 0x45;
		if (h[8] == 0)
			h[8] = 1;
		shoal_ipv4_checksum_fill(h, 20);
		memcpy(ref, h, 20);
		uint8_t ttl = shoal_ipv4_ttl_decrement(h);
		assert_int_equal(ttl, ref[8] - 1);
		ref[8]--;
		shoal_ipv4_checksum_fill(ref, 20);
		assert_memory_equal(h, ref, 20);
	}
}

static void test_prefix_mask(void **state)
{
	(void)state;
	assert_int_equal(shoal_ipv4_prefix_mask(0), 0);
	assert_int_equal(shoal_ipv4_prefix_mask(1), 0x80000000u);
	assert_int_equal(shoal_ipv4_prefix_mask(16), 0xffff0000u);
	assert_int_equal(shoal_ipv4_prefix_mask(31), 0xfffffffeu);
	assert_int_equal(shoal_ipv4_prefix_mask(32), 0xffffffffu);
}

/* "a.b.c.d:port": the one endpoint parser (api.listen, nat's inside, tcp's proxy target). */
static void test_endpoint_text(void **state)
{
	(void)state;
	uint32_t a = 7;
	uint16_t p = 7;
	assert_int_equal(shoal_ipv4_endpoint_parse("127.0.0.1:8144", &a, &p), SHOAL_WIRE_OK);
	assert_int_equal(a, 0x7f000001);
	assert_int_equal(p, 8144);
	assert_int_equal(shoal_ipv4_endpoint_parse("10.0.1.2:65535", &a, &p), SHOAL_WIRE_OK);
	assert_int_equal(p, 65535);
	assert_int_equal(shoal_ipv4_endpoint_parse("10.0.1.2:1", &a, &p), SHOAL_WIRE_OK);
	assert_int_equal(p, 1);
	static const char *const bad[] = {"",
	                                  "10.0.1.2",
	                                  "10.0.1.2:",
	                                  "10.0.1.2:0",
	                                  "10.0.1.2:65536",
	                                  "10.0.1.2:080",
	                                  ":80",
	                                  "10.0.1.2: 80",
	                                  "10.0.1.2:+80",
	                                  "10.0.1.2:-1",
	                                  "10.0.1.2:80 ",
	                                  "10.0.1:80",
	                                  "10.0.1.2:8a",
	                                  "10.0.1.2::80",
	                                  "10.0.1.2:123456"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint32_t va = 7;
		uint16_t vp = 7;
		if (shoal_ipv4_endpoint_parse(bad[i], &va, &vp) != SHOAL_WIRE_BAD_TEXT)
			fail_msg("\"%s\" accepted", bad[i]);
		assert_int_equal(va, 7);
		assert_int_equal(vp, 7);
	}
}

static void test_addr_text(void **state)
{
	(void)state;
	uint32_t a = 7;
	char text[SHOAL_IPV4_ADDR_STRLEN];
	assert_int_equal(shoal_ipv4_addr_parse("10.0.0.1", &a), SHOAL_WIRE_OK);
	assert_int_equal(a, 0x0a000001);
	assert_int_equal(shoal_ipv4_addr_parse("255.255.255.255", &a), SHOAL_WIRE_OK);
	assert_int_equal(a, 0xffffffffu);
	assert_string_equal(shoal_ipv4_addr_format(a, text), "255.255.255.255");
	assert_string_equal(shoal_ipv4_addr_format(0, text), "0.0.0.0");
	static const char *const bad[] = {"",          "1.2.3",     "1.2.3.4.",  "1.2.3.4.5",
	                                  "256.0.0.1", "01.2.3.4",  "1..3.4",    " 1.2.3.4",
	                                  "1.2.3.4 ",  "1.2.3.-4",  "1.2.3.4/8", "1.2.3.1000",
	                                  "a.b.c.d",   "0x1.2.3.4", "1.2.3.0004"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint32_t v = 7;
		assert_int_equal(shoal_ipv4_addr_parse(bad[i], &v), SHOAL_WIRE_BAD_TEXT);
		assert_int_equal(v, 7);
	}
	struct wire_rng r = {13};
	for (int i = 0; i < 2000; i++) {
		uint32_t x = wire_rng_u32(&r), y = 0;
		assert_int_equal(shoal_ipv4_addr_parse(shoal_ipv4_addr_format(x, text), &y),
		                 SHOAL_WIRE_OK);
		assert_int_equal(x, y);
	}
}

static void test_prefix_text(void **state)
{
	(void)state;
	uint32_t p = 1;
	uint8_t n = 1;
	char text[SHOAL_IPV4_PREFIX_STRLEN];
	assert_int_equal(shoal_ipv4_prefix_parse("10.2.0.0/16", &p, &n), SHOAL_WIRE_OK);
	assert_int_equal(p, 0x0a020000);
	assert_int_equal(n, 16);
	assert_string_equal(shoal_ipv4_prefix_format(p, n, text), "10.2.0.0/16");
	assert_int_equal(shoal_ipv4_prefix_parse("0.0.0.0/0", &p, &n), SHOAL_WIRE_OK);
	assert_int_equal(n, 0);
	assert_int_equal(shoal_ipv4_prefix_parse("255.255.255.255/32", &p, &n), SHOAL_WIRE_OK);
	assert_string_equal(shoal_ipv4_prefix_format(p, n, text), "255.255.255.255/32");
	/* the formatter against printf (the trivially correct model), every octet value */
	struct wire_rng fr = {29};
	for (unsigned i = 0; i < 4000; i++) {
		uint32_t a = i < 256 ? i * 0x01010101u : wire_rng_u32(&fr);
		uint8_t len = (uint8_t)(i % 33);
		char want[32];
		snprintf(want, sizeof(want), "%u.%u.%u.%u/%u", a >> 24, a >> 16 & 255, a >> 8 & 255,
		         a & 255, len);
		assert_string_equal(shoal_ipv4_prefix_format(a, len, text), want);
	}

	static const struct {
		const char *text;
		enum shoal_wire_status want;
	} cases[] = {
	    {"10.2.0.1/16", SHOAL_WIRE_HOST_BITS_SET},
	    {"128.30.76.255/16", SHOAL_WIRE_HOST_BITS_SET},
	    {"1.0.0.0/0", SHOAL_WIRE_HOST_BITS_SET},
	    {"10.2.0.0/33", SHOAL_WIRE_BAD_PREFIX_LEN},
	    {"10.2.0.0/", SHOAL_WIRE_BAD_PREFIX_LEN},
	    {"10.2.0.0/016", SHOAL_WIRE_BAD_PREFIX_LEN},
	    {"10.2.0.0/1a", SHOAL_WIRE_BAD_PREFIX_LEN},
	    {"10.2.0.0/100", SHOAL_WIRE_BAD_PREFIX_LEN},
	    {"10.2.0.0/-1", SHOAL_WIRE_BAD_PREFIX_LEN},
	    {"10.2.0.0/16 ", SHOAL_WIRE_BAD_PREFIX_LEN},
	    {"10.2.0.0", SHOAL_WIRE_BAD_TEXT},
	    {"10.2.0/16", SHOAL_WIRE_BAD_TEXT},
	    {"10.2.0.0 /16", SHOAL_WIRE_BAD_TEXT},
	    {"", SHOAL_WIRE_BAD_TEXT},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t v = 7;
		uint8_t l = 7;
		assert_int_equal(shoal_ipv4_prefix_parse(cases[i].text, &v, &l), cases[i].want);
		assert_int_equal(v, 7);
		assert_int_equal(l, 7);
	}
}

/* ------------------------------------------------------------- options */

static void test_opts_parse_finds_rr_ts_srr(void **state)
{
	(void)state;
	/* NOP, RR(7 bytes), TS(8), LSRR(7), EOL */
	const uint8_t o[] = {1, 7, 7, 4, 0,   0, 0, 0,  68, 8, 5, 0,
	                     0, 0, 0, 0, 131, 7, 4, 10, 0,  0, 1, 0};
	struct shoal_ipv4_opts r;
	size_t bad = 99;
	assert_int_equal(shoal_ipv4_opts_parse(o, sizeof(o), &r, &bad), SHOAL_WIRE_OK);
	assert_int_equal(r.rr, 1);
	assert_int_equal(r.ts, 8);
	assert_int_equal(r.srr, 16);
	assert_false(r.srr_strict);
	const uint8_t none[] = {1, 1, 0, 7}; /* EOL ends: the bytes after are not options */
	assert_int_equal(shoal_ipv4_opts_parse(none, sizeof(none), &r, &bad), SHOAL_WIRE_OK);
	assert_int_equal(r.rr, SHOAL_IPV4_OPT_NONE);
	assert_int_equal(r.srr, SHOAL_IPV4_OPT_NONE);
	const uint8_t ssrr[] = {137, 3, 4, 0};
	assert_int_equal(shoal_ipv4_opts_parse(ssrr, sizeof(ssrr), &r, &bad), SHOAL_WIRE_OK);
	assert_int_equal(r.srr, 0);
	assert_true(r.srr_strict);
}

static void test_opts_parse_errors(void **state)
{
	(void)state;
	struct shoal_ipv4_opts r;
	size_t bad = 99;
	const uint8_t past[] = {1, 7, 9, 4, 0, 0, 0, 0}; /* RR length past the area */
	assert_int_equal(shoal_ipv4_opts_parse(past, sizeof(past), &r, &bad),
	                 SHOAL_WIRE_BAD_OPTION_LEN);
	assert_int_equal(bad, 2);
	const uint8_t one[] = {1, 1, 1, 130}; /* no room for a length byte */
	assert_int_equal(shoal_ipv4_opts_parse(one, sizeof(one), &r, &bad),
	                 SHOAL_WIRE_BAD_OPTION_LEN);
	const uint8_t zero[] = {130, 0, 0, 0};
	assert_int_equal(shoal_ipv4_opts_parse(zero, sizeof(zero), &r, &bad),
	                 SHOAL_WIRE_BAD_OPTION_LEN);
	const uint8_t two_srr[] = {131, 3, 4, 137, 3, 4, 0, 0};
	assert_int_equal(shoal_ipv4_opts_parse(two_srr, sizeof(two_srr), &r, &bad),
	                 SHOAL_WIRE_BAD_OPTION);
	assert_int_equal(bad, 3);
	const uint8_t low_ptr[] = {7, 7, 3, 0, 0, 0, 0, 0};
	assert_int_equal(shoal_ipv4_opts_parse(low_ptr, sizeof(low_ptr), &r, &bad),
	                 SHOAL_WIRE_BAD_OPTION);
	assert_int_equal(bad, 2);
	const uint8_t short_ts[] = {68, 3, 5, 0};
	assert_int_equal(shoal_ipv4_opts_parse(short_ts, sizeof(short_ts), &r, &bad),
	                 SHOAL_WIRE_BAD_OPTION);
}

static void test_opt_route_record_until_full(void **state)
{
	(void)state;
	uint8_t o[11] = {7, 11, 4};
	assert_true(shoal_ipv4_opt_route_record(o, 0x0a000001));
	assert_int_equal(o[2], 8);
	assert_true(shoal_ipv4_opt_route_record(o, 0x0a000002));
	assert_int_equal(o[2], 12);
	const uint8_t want[11] = {7, 11, 12, 10, 0, 0, 1, 10, 0, 0, 2};
	assert_memory_equal(o, want, sizeof(want));
	assert_false(shoal_ipv4_opt_route_record(o, 0x0a000003)); /* full: left as it is */
	assert_memory_equal(o, want, sizeof(want));
	uint32_t next = 0;
	const uint8_t srr[] = {131, 11, 8, 1, 2, 3, 4, 5, 6, 7, 8};
	assert_true(shoal_ipv4_opt_srr_next(srr, &next));
	assert_int_equal(next, 0x05060708);
	const uint8_t done[] = {131, 7, 8, 1, 2, 3, 4};
	assert_false(shoal_ipv4_opt_srr_next(done, &next));
}

static void test_opt_timestamp_flags(void **state)
{
	(void)state;
	uint8_t t0[12] = {68, 12, 5, 0x00};
	assert_true(shoal_ipv4_opt_ts_stamp(t0, 0x0a000001, 0x01020304));
	assert_true(shoal_ipv4_opt_ts_stamp(t0, 0x0a000001, 0x05060708));
	const uint8_t w0[12] = {68, 12, 13, 0x00, 1, 2, 3, 4, 5, 6, 7, 8};
	assert_memory_equal(t0, w0, sizeof(w0));
	assert_true(shoal_ipv4_opt_ts_stamp(t0, 0x0a000001, 9)); /* full: overflow 1 */
	assert_int_equal(t0[3], 0x10);
	assert_int_equal(t0[2], 13);
	uint8_t t1[12] = {68, 12, 5, 0x01};
	assert_true(shoal_ipv4_opt_ts_stamp(t1, 0x0a000001, 0x01020304));
	const uint8_t w1[12] = {68, 12, 13, 0x01, 10, 0, 0, 1, 1, 2, 3, 4};
	assert_memory_equal(t1, w1, sizeof(w1));
	/* flag 3: only the slot that names us */
	uint8_t t3[20] = {68, 20, 5, 0x03, 10, 0, 0, 9, 0, 0, 0, 0, 10, 0, 0, 1};
	assert_true(shoal_ipv4_opt_ts_stamp(t3, 0x0a000001, 77));
	assert_int_equal(t3[2], 5);
	assert_true(shoal_ipv4_opt_ts_stamp(t3, 0x0a000009, 0x01020304));
	assert_int_equal(t3[2], 13);
	assert_int_equal(t3[11], 4);
	uint8_t sat[4] = {68, 4, 5, 0xf0};
	assert_true(shoal_ipv4_opt_ts_stamp(sat, 1, 2));
	assert_int_equal(sat[3], 0xf0); /* saturates at 15 */
	/* flag 1 needs 8 bytes: 4 left is full too (nothing written past the option) */
	uint8_t part[12] = {68, 8, 5, 0x01};
	assert_true(shoal_ipv4_opt_ts_stamp(part, 0x0a000001, 0x01020304));
	const uint8_t wpart[12] = {68, 8, 5, 0x11};
	assert_memory_equal(part, wpart, sizeof(wpart));
	uint8_t t2[12] = {68, 12, 5, 0x02};
	assert_false(shoal_ipv4_opt_ts_stamp(t2, 1, 2));
	assert_int_equal(t2[2], 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_known_packet_fields),
	    cmocka_unit_test(test_serialize_known_checksum_vector),
	    cmocka_unit_test(test_truncated_every_length),
	    cmocka_unit_test(test_trailing_padding_ignored),
	    cmocka_unit_test(test_distinct_errors),
	    cmocka_unit_test(test_options_exposed_and_preserved),
	    cmocka_unit_test(test_property_round_trip),
	    cmocka_unit_test(test_random_bytes_never_crash),
	    cmocka_unit_test(test_frag_helpers),
	    cmocka_unit_test(test_ttl_decrement_equals_full_recompute),
	    cmocka_unit_test(test_prefix_mask),
	    cmocka_unit_test(test_addr_text),
	    cmocka_unit_test(test_endpoint_text),
	    cmocka_unit_test(test_prefix_text),
	    cmocka_unit_test(test_opts_parse_finds_rr_ts_srr),
	    cmocka_unit_test(test_opts_parse_errors),
	    cmocka_unit_test(test_opt_route_record_until_full),
	    cmocka_unit_test(test_opt_timestamp_flags),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
