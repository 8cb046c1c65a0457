/* Tests for router/segment.c: fragmentation, TCP GSO segmentation, checksum completion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shoal/checksum.h"
#include "shoal/ipv4.h"
#include "shoal/segment.h"
#include "shoal/tcp_header.h"
#include "shoal/udp.h"
#include "shoal/wire.h"

enum { BUF = 70000, HEADROOM = 32, MAX_PIECES = 128 };

struct pieces {
	size_t n;
	size_t len[MAX_PIECES];
	uint8_t *data[MAX_PIECES];
	int fail_at; /* emit returns non-zero at this piece (-1: never) */
};

static int collect(void *ctx, uint8_t *piece, size_t len)
{
	struct pieces *p = ctx;
	if ((int)p->n == p->fail_at)
		return 1;
	assert_true(p->n < MAX_PIECES);
	p->data[p->n] = malloc(len);
	memcpy(p->data[p->n], piece, len);
	p->len[p->n++] = len;
	return 0;
}

static void pieces_free(struct pieces *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->data[i]);
	p->n = 0;
}

static uint32_t rng_state = 12345;
static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* An IPv4 datagram of payload_len bytes (pattern), protocol 17, optional options. */
static size_t make_dgram(uint8_t *buf, size_t payload_len, bool df, const uint8_t *opts,
                         size_t opts_len)
{
	struct shoal_ipv4_hdr h = {
	    .total_len = (uint16_t)(20 + opts_len + payload_len),
	    .id = 0x1234,
	    .ttl = 64,
	    .protocol = 17,
	    .src = 0x0a000102,
	    .dst = 0x0a000202,
	    .options = opts,
	    .options_len = opts_len,
	};
	shoal_ipv4_set_frag(&h, df, false, 0);
	size_t hl = shoal_ipv4_serialize(&h, buf, BUF);
	for (size_t i = 0; i < payload_len; i++)
		buf[hl + i] = (uint8_t)(i * 7 + 3);
	return hl + payload_len;
}

/* Reassembles fragments (any order) and checks each one's header. */
static size_t reassemble(const struct pieces *p, unsigned mtu, uint8_t *out)
{
	size_t total = 0;
	bool saw_last = false;
	for (size_t i = 0; i < p->n; i++) {
		struct shoal_ipv4_hdr h;
		assert_int_equal(shoal_ipv4_parse(p->data[i], p->len[i], &h), SHOAL_WIRE_OK);
		assert_true(p->len[i] <= mtu);
		assert_int_equal(h.total_len, p->len[i]);
		assert_false(shoal_ipv4_df(&h));
		size_t off = (size_t)shoal_ipv4_frag_offset(&h) * 8;
		size_t hl = shoal_ipv4_hdr_len(&h);
		size_t n = h.total_len - hl;
		if (shoal_ipv4_mf(&h))
			assert_int_equal(n % 8, 0);
		else
			saw_last = true;
		memcpy(out + off, p->data[i] + hl, n);
		if (off + n > total)
			total = off + n;
	}
	assert_true(saw_last);
	return total;
}

static void test_fragment_splits_and_reassembles(void **state)
{
	(void)state;
	uint8_t *d = malloc(BUF), *scratch = malloc(BUF), *re = calloc(1, BUF);
	size_t len = make_dgram(d, 1000, false, NULL, 0);
	struct pieces p = {.fail_at = -1};
	assert_int_equal(shoal_segment_fragment(d, len, 576, scratch, BUF, HEADROOM, collect, &p),
	                 SHOAL_SEGMENT_OK);
	assert_int_equal(p.n, 2); /* 552 + 448 payload bytes */
	assert_int_equal(p.len[0], 20 + 552);
	assert_int_equal(p.len[1], 20 + 448);
	assert_int_equal(reassemble(&p, 576, re), 1000);
	assert_memory_equal(re, d + 20, 1000);
	struct shoal_ipv4_hdr h;
	assert_int_equal(shoal_ipv4_parse(p.data[1], p.len[1], &h), SHOAL_WIRE_OK);
	assert_int_equal(h.id, 0x1234);
	assert_int_equal(shoal_ipv4_frag_offset(&h), 552 / 8);
	pieces_free(&p);
	free(re);
	free(scratch);
	free(d);
}

static void test_fragment_fits_emits_unchanged(void **state)
{
	(void)state;
	uint8_t *d = malloc(BUF), *scratch = malloc(BUF);
	size_t len = make_dgram(d, 100, true, NULL, 0);
	struct pieces p = {.fail_at = -1};
	assert_int_equal(shoal_segment_fragment(d, len, 1500, scratch, BUF, HEADROOM, collect, &p),
	                 SHOAL_SEGMENT_OK);
	assert_int_equal(p.n, 1);
	assert_int_equal(p.len[0], len);
	assert_memory_equal(p.data[0], d, len);
	pieces_free(&p);
	free(scratch);
	free(d);
}

static void test_fragment_df_refused(void **state)
{
	(void)state;
	uint8_t *d = malloc(BUF), *scratch = malloc(BUF);
	size_t len = make_dgram(d, 2000, true, NULL, 0);
	struct pieces p = {.fail_at = -1};
	assert_int_equal(shoal_segment_fragment(d, len, 1500, scratch, BUF, HEADROOM, collect, &p),
	                 SHOAL_SEGMENT_DONT_FRAGMENT);
	assert_int_equal(p.n, 0);
	free(scratch);
	free(d);
}

static void test_fragment_mtu_too_small_and_malformed(void **state)
{
	(void)state;
	uint8_t *d = malloc(BUF), *scratch = malloc(BUF);
	size_t len = make_dgram(d, 200, false, NULL, 0);
	struct pieces p = {.fail_at = -1};
	assert_int_equal(shoal_segment_fragment(d, len, 27, scratch, BUF, HEADROOM, collect, &p),
	                 SHOAL_SEGMENT_MTU_TOO_SMALL);
	assert_int_equal(
	    shoal_segment_fragment(d, len - 1, 576, scratch, BUF, HEADROOM, collect, &p),
	    SHOAL_SEGMENT_MALFORMED);
	d[10] ^= 1; /* header checksum broken */
	assert_int_equal(shoal_segment_fragment(d, len, 576, scratch, BUF, HEADROOM, collect, &p),
	                 SHOAL_SEGMENT_MALFORMED);
	assert_int_equal(p.n, 0);
	free(scratch);
	free(d);
}

/* Options: 0x83 (LSRR, copied) appears in every fragment; 0x07 (RR, not copied) only in the
 * first. */
static void test_fragment_options_copy_flag(void **state)
{
	(void)state;
	uint8_t opts[12] = {0x07, 7, 4, 0, 0, 0, 0, /* RR */ 0x83, 3, 4, /* LSRR, short */ 0, 0};
	uint8_t *d = malloc(BUF), *scratch = malloc(BUF), *re = calloc(1, BUF);
	size_t len = make_dgram(d, 600, false, opts, sizeof(opts));
	struct pieces p = {.fail_at = -1};
	assert_int_equal(shoal_segment_fragment(d, len, 300, scratch, BUF, HEADROOM, collect, &p),
	                 SHOAL_SEGMENT_OK);
	assert_true(p.n >= 3);
	struct shoal_ipv4_hdr h;
	assert_int_equal(shoal_ipv4_parse(p.data[0], p.len[0], &h), SHOAL_WIRE_OK);
	assert_int_equal(h.options_len, 12);
	assert_memory_equal(h.options, opts, 12);
	for (size_t i = 1; i < p.n; i++) {
		assert_int_equal(shoal_ipv4_parse(p.data[i], p.len[i], &h), SHOAL_WIRE_OK);
		assert_int_equal(h.options_len, 4);
		assert_int_equal(h.options[0], 0x83);
		assert_int_equal(h.options[1], 3);
	}
	assert_int_equal(reassemble(&p, 300, re), 600);
	assert_memory_equal(re, d + 32, 600);
	pieces_free(&p);
	free(re);
	free(scratch);
	free(d);
}

/* A fragment of a fragment keeps the original offset base and MF on its last piece. */
static void test_fragment_of_fragment_keeps_offset_and_mf(void **state)
{
	(void)state;
	uint8_t *d = malloc(BUF), *scratch = malloc(BUF);
	size_t len = make_dgram(d, 400, false, NULL, 0);
	struct shoal_ipv4_hdr h;
	assert_int_equal(shoal_ipv4_parse(d, len, &h), SHOAL_WIRE_OK);
	shoal_ipv4_set_frag(&h, false, true, 100);
	shoal_ipv4_serialize(&h, d, 20);
	struct pieces p = {.fail_at = -1};
	assert_int_equal(shoal_segment_fragment(d, len, 220, scratch, BUF, HEADROOM, collect, &p),
	                 SHOAL_SEGMENT_OK);
	assert_int_equal(p.n, 2);
	assert_int_equal(shoal_ipv4_parse(p.data[0], p.len[0], &h), SHOAL_WIRE_OK);
	assert_int_equal(shoal_ipv4_frag_offset(&h), 100);
	assert_true(shoal_ipv4_mf(&h));
	assert_int_equal(shoal_ipv4_parse(p.data[1], p.len[1], &h), SHOAL_WIRE_OK);
	assert_int_equal(shoal_ipv4_frag_offset(&h), 100 + 200 / 8);
	assert_true(shoal_ipv4_mf(&h)); /* the original had MF */
	pieces_free(&p);
	free(scratch);
	free(d);
}

static void test_fragment_emit_failure_stops(void **state)
{
	(void)state;
	uint8_t *d = malloc(BUF), *scratch = malloc(BUF);
	size_t len = make_dgram(d, 3000, false, NULL, 0);
	struct pieces p = {.fail_at = 1};
	assert_int_equal(shoal_segment_fragment(d, len, 576, scratch, BUF, HEADROOM, collect, &p),
	                 SHOAL_SEGMENT_EMIT_FAILED);
	assert_int_equal(p.n, 1);
	pieces_free(&p);
	free(scratch);
	free(d);
}

/* Property: random sizes and MTUs reassemble to the original payload. */
static void test_fragment_random_reassembly(void **state)
{
	(void)state;
	uint8_t *d = malloc(BUF), *scratch = malloc(BUF), *re = malloc(BUF);
	for (int iter = 0; iter < 500; iter++) {
		size_t payload = 1 + rng() % 9000;
		unsigned mtu = 68 + rng() % 3000;
		size_t len = make_dgram(d, payload, false, NULL, 0);
		struct pieces p = {.fail_at = -1};
		assert_int_equal(
		    shoal_segment_fragment(d, len, mtu, scratch, BUF, HEADROOM, collect, &p),
		    SHOAL_SEGMENT_OK);
		memset(re, 0, BUF);
		assert_int_equal(reassemble(&p, len <= mtu ? (unsigned)len : mtu, re), payload);
		assert_memory_equal(re, d + 20, payload);
		size_t expect =
		    len <= mtu ? 1 : (payload + ((mtu - 20) & ~7u) - 1) / ((mtu - 20) & ~7u);
		assert_int_equal(p.n, expect);
		pieces_free(&p);
	}
	free(re);
	free(scratch);
	free(d);
}

/* A TCP super-frame: payload_len bytes after a 20-byte TCP header with the given flags. */
static size_t make_tcp(uint8_t *buf, size_t payload_len, uint8_t flags)
{
	size_t tl = 20 + payload_len;
	struct shoal_ipv4_hdr h = {
	    .total_len = (uint16_t)(20 + tl),
	    .id = 100,
	    .ttl = 63,
	    .protocol = 6,
	    .src = 0x0a000102,
	    .dst = 0x0a000202,
	};
	shoal_ipv4_set_frag(&h, true, false, 0);
	shoal_ipv4_serialize(&h, buf, BUF);
	uint8_t *t = buf + 20;
	memset(t, 0, 20);
	shoal_store_be16(t, 40000);
	shoal_store_be16(t + 2, 5201);
	shoal_store_be32(t + 4, 0xfffff000u); /* wraps during the frame */
	shoal_store_be32(t + 8, 77);
	t[12] = 5 << 4;
	t[13] = flags;
	shoal_store_be16(t + 14, 65535);
	for (size_t i = 0; i < payload_len; i++)
		t[20 + i] = (uint8_t)(i ^ 0x5a);
	/* partial checksum as a GSO sender leaves it: pseudo-header without length */
	shoal_store_be16(t + 16, (uint16_t)~shoal_checksum_finish(
	                             shoal_checksum_pseudo_ipv4(h.src, h.dst, 6, 0)));
	return 20 + tl;
}

static void test_tcp4_segments(void **state)
{
	(void)state;
	uint8_t *d = malloc(BUF), *scratch = malloc(BUF);
	const uint8_t FIN = 0x01, PSH = 0x08, ACK = 0x10, CWR = 0x80;
	size_t len = make_tcp(d, 3500, FIN | PSH | ACK | CWR);
	struct pieces p = {.fail_at = -1};
	assert_int_equal(shoal_segment_tcp4(d, len, 1448, scratch, BUF, HEADROOM, collect, &p),
	                 SHOAL_SEGMENT_OK);
	assert_int_equal(p.n, 3);
	size_t sizes[3] = {1448, 1448, 604};
	size_t off = 0;
	for (size_t i = 0; i < 3; i++) {
		struct shoal_ipv4_hdr h;
		assert_int_equal(shoal_ipv4_parse(p.data[i], p.len[i], &h), SHOAL_WIRE_OK);
		assert_int_equal(h.total_len, 40 + sizes[i]);
		assert_int_equal(h.id, 100 + i);
		assert_true(shoal_ipv4_df(&h));
		const uint8_t *t = p.data[i] + 20;
		assert_int_equal(shoal_tcp_verify_ipv4(t, p.len[i] - 20, h.src, h.dst),
		                 SHOAL_WIRE_OK);
		assert_int_equal(shoal_load_be32(t + 4), (uint32_t)(0xfffff000u + off));
		uint8_t f = t[13];
		assert_int_equal(f & ACK, ACK);
		assert_int_equal(!!(f & FIN), i == 2);
		assert_int_equal(!!(f & PSH), i == 2);
		assert_int_equal(!!(f & CWR), i == 0);
		assert_memory_equal(t + 20, d + 40 + off, sizes[i]);
		off += sizes[i];
	}
	pieces_free(&p);
	free(scratch);
	free(d);
}

static void test_tcp4_rejects_non_tcp_and_fragments(void **state)
{
	(void)state;
	uint8_t *d = malloc(BUF), *scratch = malloc(BUF);
	struct pieces p = {.fail_at = -1};
	size_t len = make_dgram(d, 100, false, NULL, 0); /* UDP */
	assert_int_equal(shoal_segment_tcp4(d, len, 50, scratch, BUF, HEADROOM, collect, &p),
	                 SHOAL_SEGMENT_MALFORMED);
	len = make_tcp(d, 100, 0x10);
	d[20 + 12] = 4 << 4; /* data offset 16 bytes: below the minimum */
	assert_int_equal(shoal_segment_tcp4(d, len, 50, scratch, BUF, HEADROOM, collect, &p),
	                 SHOAL_SEGMENT_MALFORMED);
	d[20 + 12] = 5 << 4;
	assert_int_equal(shoal_segment_tcp4(d, len, 50, scratch, 10, HEADROOM, collect, &p),
	                 SHOAL_SEGMENT_NO_SPACE);
	assert_int_equal(p.n, 0);
	free(scratch);
	free(d);
}

static void test_csum_complete_udp(void **state)
{
	(void)state;
	uint8_t *d = malloc(BUF);
	size_t len = make_dgram(d, 8 + 333, false, NULL, 0);
	uint8_t *u = d + 20;
	shoal_store_be16(u, 1000);
	shoal_store_be16(u + 2, 2000);
	shoal_store_be16(u + 4, 8 + 333);
	/* NEEDS_CSUM convention: the field holds the (uncomplemented) pseudo-header sum */
	shoal_store_be16(u + 6, (uint16_t)~shoal_checksum_finish(shoal_checksum_pseudo_ipv4(
	                            0x0a000102, 0x0a000202, 17, 8 + 333)));
	assert_int_equal(shoal_segment_csum_complete(d, len, 20, 6), SHOAL_SEGMENT_OK);
	assert_int_equal(shoal_udp_verify_ipv4(u, 8 + 333, 0x0a000102, 0x0a000202), SHOAL_WIRE_OK);
	assert_int_equal(shoal_segment_csum_complete(d, len, len - 1, 0), SHOAL_SEGMENT_MALFORMED);
	assert_int_equal(shoal_segment_csum_complete(d, len, len, 0), SHOAL_SEGMENT_MALFORMED);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fragment_splits_and_reassembles),
	    cmocka_unit_test(test_fragment_fits_emits_unchanged),
	    cmocka_unit_test(test_fragment_df_refused),
	    cmocka_unit_test(test_fragment_mtu_too_small_and_malformed),
	    cmocka_unit_test(test_fragment_options_copy_flag),
	    cmocka_unit_test(test_fragment_of_fragment_keeps_offset_and_mf),
	    cmocka_unit_test(test_fragment_emit_failure_stops),
	    cmocka_unit_test(test_fragment_random_reassembly),
	    cmocka_unit_test(test_tcp4_segments),
	    cmocka_unit_test(test_tcp4_rejects_non_tcp_and_fragments),
	    cmocka_unit_test(test_csum_complete_udp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
