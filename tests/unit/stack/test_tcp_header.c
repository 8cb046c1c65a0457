/* test_tcp_header.c — TCP header/options parse/serialize and pseudo-header checksum. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "shoal/tcp_header.h"
#include "wire_test_util.h"

/* SYN 192.168.1.2:40000 -> 192.168.1.1:80, MSS 1460, SACK-permitted, TS 123456/0, NOP, WS 7;
 * bytes produced by scapy. */
static const uint8_t known_syn[] = {
    0x9c, 0x40, 0x00, 0x50, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02,
    0xfa, 0xf0, 0x46, 0xe3, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a,
    0x00, 0x01, 0xe2, 0x40, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
};
enum { SRC = 0xc0a80102, DST = 0xc0a80101 };

static enum shoal_wire_status tcp_parse_exact(const uint8_t *buf, size_t len)
{
	struct shoal_tcp_header h;
	uint8_t *copy = wire_exact_copy(buf, len);
	enum shoal_wire_status st = shoal_tcp_parse(copy, len, &h);
	free(copy);
	return st;
}

static void test_known_syn_fields(void **state)
{
	(void)state;
	struct shoal_tcp_header h;
	assert_int_equal(shoal_tcp_parse(known_syn, sizeof(known_syn), &h), SHOAL_WIRE_OK);
	assert_int_equal(h.src_port, 40000);
	assert_int_equal(h.dst_port, 80);
	assert_int_equal(h.seq, 0x01020304);
	assert_int_equal(h.ack, 0);
	assert_int_equal(h.data_offset, 10);
	assert_int_equal(h.flags, SHOAL_TCP_SYN);
	assert_int_equal(h.window, 64240);
	assert_int_equal(h.checksum, 0x46e3);
	assert_int_equal(h.urgent, 0);
	assert_true(h.opts.has_mss);
	assert_int_equal(h.opts.mss, 1460);
	assert_true(h.opts.sack_permitted);
	assert_true(h.opts.has_timestamps);
	assert_int_equal(h.opts.ts_val, 123456);
	assert_int_equal(h.opts.ts_ecr, 0);
	assert_true(h.opts.has_wscale);
	assert_int_equal(h.opts.wscale, 7);
	assert_int_equal(h.payload_len, 0);
	assert_null(h.payload);
	assert_int_equal(shoal_tcp_verify_ipv4(known_syn, sizeof(known_syn), SRC, DST),
	                 SHOAL_WIRE_OK);
	assert_int_equal(shoal_tcp_verify_ipv4(known_syn, sizeof(known_syn), DST, SRC + 1),
	                 SHOAL_WIRE_BAD_CHECKSUM);
}

static void test_serialize_matches_known_bytes(void **state)
{
	(void)state;
	struct shoal_tcp_header h;
	assert_int_equal(shoal_tcp_parse(known_syn, sizeof(known_syn), &h), SHOAL_WIRE_OK);
	uint8_t buf[sizeof(known_syn)];
	assert_int_equal(shoal_tcp_serialize_ipv4(&h, SRC, DST, buf, sizeof(buf) - 1), 0);
	assert_int_equal(shoal_tcp_serialize_ipv4(&h, SRC, DST, buf, sizeof(buf)), 40);
	assert_memory_equal(buf, known_syn, sizeof(known_syn));
}

static void test_truncated_and_data_offset(void **state)
{
	(void)state;
	for (size_t len = 0; len < SHOAL_TCP_MIN_HDR_LEN; len++)
		assert_int_equal(tcp_parse_exact(known_syn, len), SHOAL_WIRE_TRUNCATED);
	for (size_t len = SHOAL_TCP_MIN_HDR_LEN; len < sizeof(known_syn); len++)
		assert_int_equal(tcp_parse_exact(known_syn, len), SHOAL_WIRE_BAD_DATA_OFFSET);
	uint8_t buf[sizeof(known_syn)];
	memcpy(buf, known_syn, sizeof(buf));
	for (uint8_t doff = 0; doff < 5; doff++) {
		buf[12] = (uint8_t)(doff << 4);
		assert_int_equal(tcp_parse_exact(buf, sizeof(buf)), SHOAL_WIRE_BAD_DATA_OFFSET);
	}
	buf[12] = 0x50; /* no options; the 20 option bytes become payload */
	struct shoal_tcp_header h;
	assert_int_equal(shoal_tcp_parse(buf, sizeof(buf), &h), SHOAL_WIRE_OK);
	assert_int_equal(h.payload_len, 20);
	assert_ptr_equal(h.payload, buf + 20);
	assert_false(h.opts.has_mss);
}

/* 20-byte header with data offset 5 + n/4 and the given option bytes (n multiple of 4). */
static enum shoal_wire_status parse_options(const uint8_t *opts, size_t n,
                                            struct shoal_tcp_header *h)
{
	uint8_t buf[60] = {0};
	buf[12] = (uint8_t)((5 + n / 4) << 4);
	memcpy(buf + 20, opts, n);
	uint8_t *copy = wire_exact_copy(buf, 20 + n);
	enum shoal_wire_status st = shoal_tcp_parse(copy, 20 + n, h);
	free(copy);
	return st;
}

static void test_option_lengths(void **state)
{
	(void)state;
	struct shoal_tcp_header h;
	static const uint8_t len0[] = {0x02, 0x00, 0x05, 0xb4};
	static const uint8_t len1[] = {0x1e, 0x01, 0x01, 0x01};
	static const uint8_t past[] = {0x1e, 0x06, 0x00, 0x00};
	static const uint8_t no_len[] = {0x01, 0x01, 0x01, 0x1e};
	static const uint8_t ts_past[] = {0x01, 0x01, 0x08, 0x0a, 0, 0, 0, 0};
	assert_int_equal(parse_options(len0, 4, &h), SHOAL_WIRE_BAD_OPTION_LEN);
	assert_int_equal(parse_options(len1, 4, &h), SHOAL_WIRE_BAD_OPTION_LEN);
	assert_int_equal(parse_options(past, 4, &h), SHOAL_WIRE_BAD_OPTION_LEN);
	assert_int_equal(parse_options(no_len, 4, &h), SHOAL_WIRE_BAD_OPTION_LEN);
	assert_int_equal(parse_options(ts_past, 8, &h), SHOAL_WIRE_BAD_OPTION_LEN);

	static const uint8_t mss_bad[] = {0x02, 0x03, 0x05, 0x01};
	static const uint8_t ws_bad[] = {0x03, 0x04, 0x07, 0x01};
	static const uint8_t sackp_bad[] = {0x04, 0x03, 0x00, 0x01};
	assert_int_equal(parse_options(mss_bad, 4, &h), SHOAL_WIRE_BAD_OPTION);
	assert_int_equal(parse_options(ws_bad, 4, &h), SHOAL_WIRE_BAD_OPTION);
	assert_int_equal(parse_options(sackp_bad, 4, &h), SHOAL_WIRE_BAD_OPTION);

	/* unknown option (kind 30, len 6) and a SACK block are skipped; MSS after them found */
	static const uint8_t skip[] = {0x1e, 0x06, 0xde, 0xad, 0xbe, 0xef, 0x05, 0x0a, 0,    0, 0,
	                               1,    0,    0,    0,    2,    0x02, 0x04, 0x02, 0x18, 0, 0};
	uint8_t padded[24] = {0};
	memcpy(padded, skip, sizeof(skip));
	assert_int_equal(parse_options(padded, 24, &h), SHOAL_WIRE_OK);
	assert_true(h.opts.has_mss);
	assert_int_equal(h.opts.mss, 536);
	/* EOL stops the walk: garbage after it is not parsed */
	static const uint8_t eol[] = {0x00, 0x02, 0x00, 0x00};
	assert_int_equal(parse_options(eol, 4, &h), SHOAL_WIRE_OK);
	assert_false(h.opts.has_mss);
}

static void test_property_round_trip(void **state)
{
	(void)state;
	struct wire_rng r = {23};
	uint8_t payload[64], buf[128];
	for (int i = 0; i < 20000; i++) {
		struct shoal_tcp_header in = {0}, out;
		uint32_t bits = wire_rng_u32(&r);
		in.src_port = (uint16_t)wire_rng_u32(&r);
		in.dst_port = (uint16_t)wire_rng_u32(&r);
		in.seq = wire_rng_u32(&r);
		in.ack = wire_rng_u32(&r);
		in.flags = (uint8_t)wire_rng_u32(&r);
		in.window = (uint16_t)wire_rng_u32(&r);
		in.urgent = (uint16_t)wire_rng_u32(&r);
		in.opts.has_mss = bits & 1;
		in.opts.mss = in.opts.has_mss ? (uint16_t)wire_rng_u32(&r) : 0;
		in.opts.has_wscale = bits & 2;
		in.opts.wscale = in.opts.has_wscale ? (uint8_t)wire_rng_u32(&r) : 0;
		in.opts.sack_permitted = bits & 4;
		in.opts.has_timestamps = bits & 8;
		if (in.opts.has_timestamps) {
			in.opts.ts_val = wire_rng_u32(&r);
			in.opts.ts_ecr = wire_rng_u32(&r);
		}
		in.payload_len = wire_rng_u32(&r) % sizeof(payload);
		wire_rng_fill(&r, payload, in.payload_len);
		in.payload = in.payload_len ? payload : NULL;
		uint32_t src = wire_rng_u32(&r), dst = wire_rng_u32(&r);
		size_t n = shoal_tcp_serialize_ipv4(&in, src, dst, buf, sizeof(buf));
		assert_true(n >= 20 + in.payload_len);
		uint8_t *copy = wire_exact_copy(buf, n);
		assert_int_equal(shoal_tcp_parse(copy, n, &out), SHOAL_WIRE_OK);
		assert_int_equal(shoal_tcp_verify_ipv4(copy, n, src, dst), SHOAL_WIRE_OK);
		assert_int_equal(out.src_port, in.src_port);
		assert_int_equal(out.dst_port, in.dst_port);
		assert_int_equal(out.seq, in.seq);
		assert_int_equal(out.ack, in.ack);
		assert_int_equal(out.flags, in.flags);
		assert_int_equal(out.window, in.window);
		assert_int_equal(out.urgent, in.urgent);
		assert_memory_equal(&out.opts, &in.opts, sizeof(in.opts));
		assert_int_equal(out.payload_len, in.payload_len);
		if (in.payload_len)
			assert_memory_equal(out.payload, payload, in.payload_len);
		free(copy);
	}
}

static void test_random_bytes_never_crash(void **state)
{
	(void)state;
	struct wire_rng r = {555};
	uint8_t buf[80];
	int ok = 0;
	for (int i = 0; i < 100000; i++) {
		size_t len = wire_rng_u32(&r) % sizeof(buf);
		wire_rng_fill(&r, buf, len);
		if (len >= 20 && (i & 1)) /* plausible data offset: exercise the option walker */
			buf[12] = (uint8_t)((5 + wire_rng_u32(&r) % ((len - 20) / 4 + 1)) << 4);
		enum shoal_wire_status st = tcp_parse_exact(buf, len);
		assert_true(st < SHOAL_WIRE_STATUS_COUNT_);
		ok += st == SHOAL_WIRE_OK;
	}
	assert_true(ok > 0);
}

static void test_rfc2018_3_sack_blocks_parse_and_serialize(void **state)
{
	(void)state;
	struct shoal_tcp_header h;
	/* two blocks */
	static const uint8_t two[] = {0x01, 0x01, 0x05, 0x12, 0, 0,  0, 10, 0, 0,
	                              0,    20,   0,    0,    0, 30, 0, 0,  0, 40};
	assert_int_equal(parse_options(two, sizeof(two), &h), SHOAL_WIRE_OK);
	assert_int_equal(h.opts.sack_count, 2);
	assert_int_equal(h.opts.sack[0].left, 10);
	assert_int_equal(h.opts.sack[0].right, 20);
	assert_int_equal(h.opts.sack[1].left, 30);
	assert_int_equal(h.opts.sack[1].right, 40);
	/* lengths other than 2 + 8n (1 <= n <= 4) are malformed */
	static const uint8_t odd[] = {0x05, 0x0b, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0};
	static const uint8_t none[] = {0x05, 0x02, 0x01, 0x01};
	assert_int_equal(parse_options(odd, sizeof(odd), &h), SHOAL_WIRE_BAD_OPTION);
	assert_int_equal(parse_options(none, sizeof(none), &h), SHOAL_WIRE_BAD_OPTION);
	/* serialize: with timestamps only 3 blocks fit in 40 bytes; without, 4 */
	uint8_t buf[128];
	struct shoal_tcp_header in = {0}, out;
	in.opts.sack_count = 4;
	for (uint32_t b = 0; b < 4; b++)
		in.opts.sack[b] = (struct shoal_tcp_sack_block){100 * b, 100 * b + 50};
	size_t n = shoal_tcp_serialize_ipv4(&in, 1, 2, buf, sizeof(buf));
	assert_int_equal(n, 20 + 36);
	assert_int_equal(shoal_tcp_parse(buf, n, &out), SHOAL_WIRE_OK);
	assert_memory_equal(&out.opts, &in.opts, sizeof(in.opts));
	in.opts.has_timestamps = true;
	n = shoal_tcp_serialize_ipv4(&in, 1, 2, buf, sizeof(buf));
	assert_int_equal(n, 20 + 40);
	assert_int_equal(shoal_tcp_parse(buf, n, &out), SHOAL_WIRE_OK);
	assert_int_equal(out.opts.sack_count, 3);
	assert_memory_equal(out.opts.sack, in.opts.sack, 3 * sizeof(in.opts.sack[0]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_known_syn_fields),
	    cmocka_unit_test(test_serialize_matches_known_bytes),
	    cmocka_unit_test(test_truncated_and_data_offset),
	    cmocka_unit_test(test_option_lengths),
	    cmocka_unit_test(test_property_round_trip),
	    cmocka_unit_test(test_random_bytes_never_crash),
	    cmocka_unit_test(test_rfc2018_3_sack_blocks_parse_and_serialize),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
