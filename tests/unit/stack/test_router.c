/*
 * test_router.c — spec §10, one test per rule (named after it), plus drop reporting and a
 * several-interface scenario with overlapping routes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shoal/checksum.h"
#include "shoal/ethernet.h"
#include "shoal/ipv4.h"
#include "shoal/lpm.h"
#include "shoal/netif.h"
#include "shoal/router.h"

enum {
	IFS = 4,
	CAP_FRAMES = 64,
	CAP_LEN = 256,
};

struct cap {
	uint8_t frames[CAP_FRAMES][CAP_LEN];
	size_t lens[CAP_FRAMES];
	size_t count;
};

struct drops {
	enum shoal_router_drop reason[CAP_FRAMES];
	size_t in_if[CAP_FRAMES];
	uint8_t data[CAP_FRAMES][CAP_LEN];
	size_t count;
};

struct rig {
	struct cap caps[IFS];
	struct shoal_netif *ifs[IFS];
	struct drops drops;
	struct shoal_router *r;
};

static void cap_transmit(void *ctx, const uint8_t *frame, size_t len)
{
	struct cap *c = ctx;
	assert_true(c->count < CAP_FRAMES && len <= CAP_LEN);
	memcpy(c->frames[c->count], frame, len);
	c->lens[c->count++] = len;
}

static void rig_drop(void *ctx, enum shoal_router_drop reason, size_t in_if,
                     const uint8_t *datagram, size_t len)
{
	struct drops *d = ctx;
	assert_true(d->count < CAP_FRAMES && len <= CAP_LEN);
	d->reason[d->count] = reason;
	d->in_if[d->count] = in_if;
	memcpy(d->data[d->count++], datagram, len);
}

static struct shoal_mac if_mac(size_t i)
{
	return (struct shoal_mac){{0x02, 0, 0, 0, 1, (uint8_t)i}};
}

/* The MAC of any neighbour: derived from its IP so tests can check where frames went. */
static struct shoal_mac nb_mac(uint32_t ip)
{
	return (struct shoal_mac){{0x02, 0xaa, (uint8_t)(ip >> 24), (uint8_t)(ip >> 16),
	                           (uint8_t)(ip >> 8), (uint8_t)ip}};
}

static struct rig *rig_new(void)
{
	struct rig *g = calloc(1, sizeof(*g));
	assert_non_null(g);
	struct shoal_router_config rc = {.drop = rig_drop, .ctx = &g->drops};
	g->r = shoal_router_create(&rc);
	assert_non_null(g->r);
	for (size_t i = 0; i < IFS; i++) {
		struct shoal_netif_config c = {.mac = if_mac(i),
		                               .ip = 0xc0a80001u + ((uint32_t)i << 8),
		                               .cache_size = 64,
		                               .queue_max = 32,
		                               .rx_queue_max = 32,
		                               .transmit = cap_transmit,
		                               .ctx = &g->caps[i]};
		g->ifs[i] = shoal_netif_create(&c);
		assert_non_null(g->ifs[i]);
		size_t idx;
		assert_int_equal(shoal_router_add_interface(g->r, g->ifs[i], &idx),
		                 SHOAL_ROUTER_OK);
		assert_int_equal(idx, i);
	}
	return g;
}

static void rig_free(struct rig *g)
{
	shoal_router_destroy(g->r);
	for (size_t i = 0; i < IFS; i++)
		shoal_netif_destroy(g->ifs[i]);
	free(g);
}

/* Makes ip reachable (static ARP) on interface i. */
static void neighbour(struct rig *g, size_t i, uint32_t ip)
{
	struct shoal_mac m = nb_mac(ip);
	assert_int_equal(shoal_netif_add_static(g->ifs[i], ip, &m), SHOAL_NETIF_OK);
}

static size_t make_datagram(uint8_t *buf, uint32_t dst, uint8_t ttl, uint8_t tag)
{
	static const uint8_t opts[4] = {0x94, 0x04, 0, 0}; /* router alert: must stay intact */
	struct shoal_ipv4_hdr h = {.tos = 0x2e,
	                           .total_len = 24 + 16,
	                           .id = (uint16_t)(0x1200 + tag),
	                           .flags_frag = SHOAL_IPV4_FLAG_DF,
	                           .ttl = ttl,
	                           .protocol = SHOAL_IP_PROTO_UDP,
	                           .src = 0x01020304,
	                           .dst = dst,
	                           .options = opts,
	                           .options_len = 4};
	assert_int_equal(shoal_ipv4_serialize(&h, buf, 64), 24);
	for (size_t i = 0; i < 16; i++)
		buf[24 + i] = (uint8_t)(tag * 7 + i);
	return 40;
}

/* Delivers a datagram to interface i's received queue, as a frame from a neighbour. */
static void inject(struct rig *g, size_t i, uint32_t dst, uint8_t ttl, uint8_t tag)
{
	uint8_t f[128];
	struct shoal_eth_hdr h = {
	    .dst = if_mac(i), .src = nb_mac(0x09090909), .ethertype = SHOAL_ETHERTYPE_IPV4};
	shoal_eth_serialize(&h, f, sizeof(f));
	size_t len = SHOAL_ETH_HDR_LEN + make_datagram(f + SHOAL_ETH_HDR_LEN, dst, ttl, tag);
	assert_int_equal(shoal_netif_recv_frame(g->ifs[i], f, len), SHOAL_NETIF_RX_IPV4);
}

static size_t total_out(const struct rig *g)
{
	size_t n = 0;
	for (size_t i = 0; i < IFS; i++)
		n += g->caps[i].count;
	return n;
}

/* Checks frame k of interface i: to neighbour next_hop, the datagram (dst, ttl, tag) with
 * TTL one less and nothing else changed but the (valid) checksum. */
static void expect_out(const struct rig *g, size_t i, size_t k, uint32_t next_hop, uint32_t dst,
                       uint8_t ttl_in, uint8_t tag)
{
	assert_true(k < g->caps[i].count);
	const uint8_t *f = g->caps[i].frames[k];
	struct shoal_eth_hdr h;
	assert_int_equal(shoal_eth_parse(f, g->caps[i].lens[k], &h), SHOAL_WIRE_OK);
	struct shoal_mac want = nb_mac(next_hop);
	struct shoal_mac ours = if_mac(i);
	assert_true(shoal_mac_equal(&h.dst, &want));
	assert_true(shoal_mac_equal(&h.src, &ours));
	assert_int_equal(h.ethertype, SHOAL_ETHERTYPE_IPV4);
	const uint8_t *d = f + SHOAL_ETH_HDR_LEN;
	uint8_t orig[64];
	size_t len = make_datagram(orig, dst, ttl_in, tag);
	assert_int_equal(g->caps[i].lens[k] - SHOAL_ETH_HDR_LEN, len);
	assert_int_equal(d[8], ttl_in - 1);
	assert_int_equal(shoal_checksum(d, 24), 0); /* header checksum verifies */
	uint8_t expect[64];
	memcpy(expect, orig, len);
	expect[8] = (uint8_t)(ttl_in - 1);
	expect[10] = d[10];
	expect[11] = d[11];
	assert_memory_equal(d, expect, len);
	/* and the checksum equals a full recompute */
	shoal_ipv4_checksum_fill(expect, 24);
	assert_memory_equal(d + 10, expect + 10, 2);
}

static const uint32_t GW1 = 0x0a010001; /* 10.1.0.1 */
static const uint32_t GW2 = 0x0a020001;
static const uint32_t GW3 = 0x0a030001;

/* ------------------------------------------------------------- spec §10 */

static void test_rule_1_host_bits_of_prefix_ignored(void **state)
{
	(void)state;
	struct rig *g = rig_new();
	neighbour(g, 1, GW1);
	/* 128.30.76.255/16 behaves as 128.30.0.0/16 */
	assert_int_equal(shoal_router_add_route(g->r, 0x801e4cff, 16, &GW1, 1), SHOAL_ROUTER_OK);
	inject(g, 0, 0x801e0505, 64, 1); /* 128.30.5.5 */
	inject(g, 0, 0x801f0001, 64, 2); /* 128.31.0.1: outside */
	assert_int_equal(shoal_router_route(g->r), 2);
	assert_int_equal(g->caps[1].count, 1);
	expect_out(g, 1, 0, GW1, 0x801e0505, 64, 1);
	assert_int_equal(g->drops.count, 1);
	assert_int_equal(g->drops.reason[0], SHOAL_ROUTER_DROP_NO_ROUTE);
	rig_free(g);
}

static void test_rule_1_zero_length_matches_everything(void **state)
{
	(void)state;
	struct rig *g = rig_new();
	neighbour(g, 2, GW2);
	assert_int_equal(shoal_router_add_route(g->r, 0xdeadbeef, 0, &GW2, 2), SHOAL_ROUTER_OK);
	const uint32_t dsts[] = {0, 0x01020304, 0x7fffffff, 0x80000000, 0xffffffff};
	for (uint8_t i = 0; i < 5; i++)
		inject(g, 0, dsts[i], 10, i);
	assert_int_equal(shoal_router_route(g->r), 5);
	for (uint8_t i = 0; i < 5; i++)
		expect_out(g, 2, i, GW2, dsts[i], 10, i);
	assert_int_equal(g->drops.count, 0);
	rig_free(g);
}

static void test_rule_1_length_32_matches_one_address(void **state)
{
	(void)state;
	struct rig *g = rig_new();
	neighbour(g, 1, GW1);
	assert_int_equal(shoal_router_add_route(g->r, 0x0b0b0b0b, 32, &GW1, 1), SHOAL_ROUTER_OK);
	inject(g, 0, 0x0b0b0b0b, 9, 1);
	inject(g, 0, 0x0b0b0b0a, 9, 2);
	inject(g, 0, 0x0b0b0b0c, 9, 3);
	shoal_router_route(g->r);
	assert_int_equal(g->caps[1].count, 1);
	expect_out(g, 1, 0, GW1, 0x0b0b0b0b, 9, 1);
	assert_int_equal(shoal_router_stats(g->r)->drops[SHOAL_ROUTER_DROP_NO_ROUTE], 2);
	rig_free(g);
}

static void test_rule_2_longest_prefix_wins(void **state)
{
	(void)state;
	struct rig *g = rig_new();
	neighbour(g, 1, GW1);
	neighbour(g, 2, GW2);
	neighbour(g, 3, GW3);
	/* added shortest last, so insertion order cannot explain the result */
	assert_int_equal(shoal_router_add_route(g->r, 0x0a010100, 24, &GW3, 3), SHOAL_ROUTER_OK);
	assert_int_equal(shoal_router_add_route(g->r, 0x0a010000, 16, &GW2, 2), SHOAL_ROUTER_OK);
	assert_int_equal(shoal_router_add_route(g->r, 0x0a000000, 8, &GW1, 1), SHOAL_ROUTER_OK);
	inject(g, 0, 0x0a010105, 64, 1); /* /24 */
	inject(g, 0, 0x0a010205, 64, 2); /* /16 */
	inject(g, 0, 0x0a020205, 64, 3); /* /8 */
	shoal_router_route(g->r);
	assert_int_equal(g->caps[3].count, 1);
	assert_int_equal(g->caps[2].count, 1);
	assert_int_equal(g->caps[1].count, 1);
	expect_out(g, 3, 0, GW3, 0x0a010105, 64, 1);
	expect_out(g, 2, 0, GW2, 0x0a010205, 64, 2);
	expect_out(g, 1, 0, GW1, 0x0a020205, 64, 3);
	rig_free(g);
}

static void test_rule_3_ttl_0_or_1_dropped(void **state)
{
	(void)state;
	struct rig *g = rig_new();
	neighbour(g, 1, GW1);
	assert_int_equal(shoal_router_add_route(g->r, 0, 0, &GW1, 1), SHOAL_ROUTER_OK);
	inject(g, 0, 0x08080808, 0, 1);
	inject(g, 0, 0x08080808, 1, 2);
	inject(g, 0, 0x08080808, 2, 3);
	assert_int_equal(shoal_router_route(g->r), 3);
	assert_int_equal(g->caps[1].count, 1);
	expect_out(g, 1, 0, GW1, 0x08080808, 2, 3);
	assert_int_equal(g->drops.count, 2);
	assert_int_equal(g->drops.reason[0], SHOAL_ROUTER_DROP_TTL_EXPIRED);
	assert_int_equal(g->drops.reason[1], SHOAL_ROUTER_DROP_TTL_EXPIRED);
	/* the report carries the datagram as received */
	uint8_t orig[64];
	size_t len = make_datagram(orig, 0x08080808, 1, 2);
	assert_memory_equal(g->drops.data[1], orig, len);
	assert_int_equal(shoal_router_stats(g->r)->drops[SHOAL_ROUTER_DROP_TTL_EXPIRED], 2);
	rig_free(g);
}

static void test_rule_3_ttl_decremented_checksum_recomputed(void **state)
{
	(void)state;
	struct rig *g = rig_new();
	neighbour(g, 1, GW1);
	assert_int_equal(shoal_router_add_route(g->r, 0, 0, &GW1, 1), SHOAL_ROUTER_OK);
	const uint8_t ttls[] = {2, 3, 64, 128, 255};
	for (uint8_t i = 0; i < 5; i++)
		inject(g, 0, 0x08080808, ttls[i], (uint8_t)(i * 37));
	shoal_router_route(g->r);
	for (uint8_t i = 0; i < 5; i++)
		expect_out(g, 1, i, GW1, 0x08080808, ttls[i], (uint8_t)(i * 37));
	rig_free(g);
}

static void test_rule_3_sends_to_next_hop_or_destination(void **state)
{
	(void)state;
	struct rig *g = rig_new();
	neighbour(g, 1, GW1);
	neighbour(g, 2, 0xc0a80205);
	assert_int_equal(shoal_router_add_route(g->r, 0x0a000000, 8, &GW1, 1), SHOAL_ROUTER_OK);
	assert_int_equal(shoal_router_add_route(g->r, 0xc0a80200, 24, NULL, 2), SHOAL_ROUTER_OK);
	inject(g, 0, 0x0a636363, 64, 1);
	inject(g, 0, 0xc0a80205, 64, 2);
	inject(g, 0, 0xc0a80206, 64, 3); /* direct, unresolved: ARP for the destination itself */
	shoal_router_route(g->r);
	expect_out(g, 1, 0, GW1, 0x0a636363, 64, 1);
	expect_out(g, 2, 0, 0xc0a80205, 0xc0a80205, 64, 2);
	assert_int_equal(g->caps[2].count, 2);
	struct shoal_netif_entry e;
	assert_true(shoal_netif_lookup(g->ifs[2], 0xc0a80206, &e));
	assert_int_equal(e.state, SHOAL_NETIF_ENTRY_PENDING);
	assert_int_equal(e.queued, 1);
	rig_free(g);
}

static void test_rule_3_route_drains_every_interface(void **state)
{
	(void)state;
	struct rig *g = rig_new();
	neighbour(g, 3, GW3);
	assert_int_equal(shoal_router_add_route(g->r, 0, 0, &GW3, 3), SHOAL_ROUTER_OK);
	for (uint8_t i = 0; i < IFS; i++)
		for (uint8_t k = 0; k < 3; k++)
			inject(g, i, 0x08080808, 64, (uint8_t)(i * 10 + k));
	assert_int_equal(shoal_router_route(g->r), IFS * 3);
	for (size_t i = 0; i < IFS; i++)
		assert_int_equal(shoal_netif_rx_count(g->ifs[i]), 0);
	assert_int_equal(g->caps[3].count, IFS * 3);
	for (uint8_t i = 0; i < IFS; i++)
		for (uint8_t k = 0; k < 3; k++)
			expect_out(g, 3, (size_t)i * 3 + k, GW3, 0x08080808, 64,
			           (uint8_t)(i * 10 + k));
	assert_int_equal(shoal_router_route(g->r), 0);
	assert_int_equal(shoal_router_stats(g->r)->forwarded, IFS * 3);
	rig_free(g);
}

static void test_rule_4_no_matching_route_dropped(void **state)
{
	(void)state;
	struct rig *g = rig_new();
	neighbour(g, 1, GW1);
	inject(g, 2, 0x0a000001, 64, 1); /* empty table */
	assert_int_equal(shoal_router_route(g->r), 1);
	assert_int_equal(shoal_router_add_route(g->r, 0x0a000000, 8, &GW1, 1), SHOAL_ROUTER_OK);
	inject(g, 2, 0x0b000001, 64, 2);
	assert_int_equal(shoal_router_route(g->r), 1);
	assert_int_equal(total_out(g), 0);
	assert_int_equal(g->drops.count, 2);
	assert_int_equal(g->drops.reason[0], SHOAL_ROUTER_DROP_NO_ROUTE);
	assert_int_equal(g->drops.in_if[0], 2);
	assert_int_equal(g->drops.data[1][19], 1); /* the datagram's destination, last byte */
	assert_int_equal(shoal_router_stats(g->r)->drops[SHOAL_ROUTER_DROP_NO_ROUTE], 2);
	rig_free(g);
}

static void test_rule_5_nothing_else_modified(void **state)
{
	(void)state;
	struct rig *g = rig_new();
	neighbour(g, 1, GW1);
	assert_int_equal(shoal_router_add_route(g->r, 0, 0, &GW1, 1), SHOAL_ROUTER_OK);
	inject(g, 0, 0x08080808, 77, 200);
	shoal_router_route(g->r);
	/* expect_out compares every byte but TTL (decremented) and checksum (recomputed) */
	expect_out(g, 1, 0, GW1, 0x08080808, 77, 200);
	rig_free(g);
}

/* ------------------------------------------------------------- extras */

static void test_several_interfaces_overlapping_routes(void **state)
{
	(void)state;
	struct rig *g = rig_new();
	neighbour(g, 0, 0xc0a80063);
	neighbour(g, 1, GW1);
	neighbour(g, 2, GW2);
	neighbour(g, 3, GW3);
	assert_int_equal(shoal_router_add_route(g->r, 0, 0, &GW1, 1), SHOAL_ROUTER_OK);
	assert_int_equal(shoal_router_add_route(g->r, 0x0a000000, 8, &GW2, 2), SHOAL_ROUTER_OK);
	assert_int_equal(shoal_router_add_route(g->r, 0x0a0a0000, 16, &GW3, 3), SHOAL_ROUTER_OK);
	assert_int_equal(shoal_router_add_route(g->r, 0x0a0a0a00, 24, &GW1, 1), SHOAL_ROUTER_OK);
	assert_int_equal(shoal_router_add_route(g->r, 0xc0a80000, 16, NULL, 0), SHOAL_ROUTER_OK);
	assert_int_equal(shoal_router_add_route(g->r, 0x0a0a0000, 16, &GW1, 1),
	                 SHOAL_ROUTER_EXISTS);
	assert_int_equal(shoal_router_add_route(g->r, 0, 33, &GW1, 1), SHOAL_ROUTER_BAD_LENGTH);
	assert_int_equal(shoal_router_add_route(g->r, 0, 1, &GW1, IFS), SHOAL_ROUTER_BAD_INTERFACE);

	inject(g, 3, 0x0a0a0a0a, 64, 1); /* /24 -> if1 GW1 */
	inject(g, 1, 0x0a0a0b0b, 64, 2); /* /16 -> if3 GW3 */
	inject(g, 2, 0x0a0b0b0b, 64, 3); /* /8  -> if2 GW2 (back out of its own interface) */
	inject(g, 0, 0xc0a80063, 64, 4); /* direct on if0 */
	inject(g, 0, 0x0b000000, 64, 5); /* default -> if1 */
	inject(g, 2, 0x0a0a0a0a, 1, 6);  /* expires */
	assert_int_equal(shoal_router_route(g->r), 6);
	expect_out(g, 0, 0, 0xc0a80063, 0xc0a80063, 64, 4);
	/* interfaces are drained in index order: if0's default-route datagram is first on if1 */
	expect_out(g, 1, 0, GW1, 0x0b000000, 64, 5);
	expect_out(g, 1, 1, GW1, 0x0a0a0a0a, 64, 1);
	expect_out(g, 2, 0, GW2, 0x0a0b0b0b, 64, 3);
	expect_out(g, 3, 0, GW3, 0x0a0a0b0b, 64, 2);
	assert_int_equal(total_out(g), 5);
	assert_int_equal(g->drops.count, 1);
	assert_int_equal(g->drops.reason[0], SHOAL_ROUTER_DROP_TTL_EXPIRED);
	assert_int_equal(g->drops.in_if[0], 2);
	assert_int_equal(shoal_router_stats(g->r)->forwarded, 5);
	assert_int_equal(shoal_router_interface_count(g->r), IFS);
	assert_ptr_equal(shoal_router_interface(g->r, 2), g->ifs[2]);
	assert_null(shoal_router_interface(g->r, IFS));
	rig_free(g);
}

static void test_forward_zero_copy_and_drop_table(void **state)
{
	(void)state;
	struct rig *g = rig_new();
	neighbour(g, 1, GW1);
	assert_int_equal(shoal_router_add_route(g->r, 0x0a000000, 8, &GW1, 1), SHOAL_ROUTER_OK);
	uint8_t buf[128];
	size_t len = make_datagram(buf + SHOAL_ETH_HDR_LEN, 0x0a000009, 5, 1);
	assert_int_equal(shoal_router_forward(g->r, 0, buf, len), SHOAL_ROUTER_FORWARDED);
	assert_int_equal(buf[SHOAL_ETH_HDR_LEN + 8], 4); /* rewritten in place */
	expect_out(g, 1, 0, GW1, 0x0a000009, 5, 1);
	assert_int_equal(shoal_router_forward(g->r, 0, buf, 19), SHOAL_ROUTER_DROPPED);
	const struct shoal_router_stats *st = shoal_router_stats(g->r);
	assert_int_equal(st->drops[SHOAL_ROUTER_DROP_BAD_DATAGRAM], 1);
	assert_string_equal(shoal_router_drop_names[SHOAL_ROUTER_DROP_TTL_EXPIRED], "ttl_expired");
	assert_string_equal(shoal_router_drop_names[SHOAL_ROUTER_DROP_NO_ROUTE], "no_route");
	for (int i = 0; i < SHOAL_ROUTER_DROP_COUNT_; i++)
		assert_non_null(shoal_router_drop_descs[i]);
	rig_free(g);
}

/* shoal_router_decide: the steps the daemon's data plane shares with route(), on a table the
 * caller owns; the datagram is left as it is, whatever the verdict. */
static void test_decide_shared_core(void **state)
{
	(void)state;
	struct shoal_lpm *lpm = shoal_lpm_create(NULL);
	assert_non_null(lpm);
	struct shoal_lpm_nh gw = {.gateway = 0x0a000102, .ifindex = 1, .has_gateway = true};
	struct shoal_lpm_nh direct = {.ifindex = 0};
	struct shoal_lpm_nh far = {.ifindex = 7};
	assert_int_equal(shoal_lpm_insert(lpm, 0, 0, &gw), SHOAL_LPM_OK);
	assert_int_equal(shoal_lpm_insert(lpm, 0x0a090000, 16, &direct), SHOAL_LPM_OK);
	assert_int_equal(shoal_lpm_insert(lpm, 0x0b000000, 8, &far), SHOAL_LPM_OK);
	uint8_t d[64], orig[64];
	struct shoal_router_hop hop;
	enum shoal_router_drop why;
	const struct {
		uint32_t dst;
		uint8_t ttl;
		bool ok;
		enum shoal_router_drop why;
		uint32_t ifindex, next_hop;
	} cases[] = {
	    {0x08080808, 0, false, SHOAL_ROUTER_DROP_TTL_EXPIRED, 0, 0},
	    {0x08080808, 1, false, SHOAL_ROUTER_DROP_TTL_EXPIRED, 0, 0},
	    {0x08080808, 2, true, 0, 1, 0x0a000102},
	    {0x0a090304, 255, true, 0, 0, 0x0a090304},
	    {0x0b010101, 64, false, SHOAL_ROUTER_DROP_BAD_INTERFACE, 0, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = make_datagram(d, cases[i].dst, cases[i].ttl, (uint8_t)i);
		memcpy(orig, d, len);
		bool ok = shoal_router_decide(lpm, 4, d, len, &hop, &why);
		assert_int_equal(ok, cases[i].ok);
		if (ok) {
			assert_int_equal(hop.ifindex, cases[i].ifindex);
			assert_int_equal(hop.next_hop, cases[i].next_hop);
		} else {
			assert_int_equal(why, cases[i].why);
		}
		assert_memory_equal(d, orig, len);
	}
	assert_int_equal(shoal_lpm_delete(lpm, 0, 0), SHOAL_LPM_OK);
	size_t len = make_datagram(d, 0x08080808, 64, 9);
	assert_false(shoal_router_decide(lpm, 4, d, len, &hop, &why));
	assert_int_equal(why, SHOAL_ROUTER_DROP_NO_ROUTE);
	assert_false(shoal_router_decide(lpm, 4, d, 19, &hop, &why));
	assert_int_equal(why, SHOAL_ROUTER_DROP_BAD_DATAGRAM);
	shoal_lpm_destroy(lpm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rule_1_host_bits_of_prefix_ignored),
	    cmocka_unit_test(test_rule_1_zero_length_matches_everything),
	    cmocka_unit_test(test_rule_1_length_32_matches_one_address),
	    cmocka_unit_test(test_rule_2_longest_prefix_wins),
	    cmocka_unit_test(test_rule_3_ttl_0_or_1_dropped),
	    cmocka_unit_test(test_rule_3_ttl_decremented_checksum_recomputed),
	    cmocka_unit_test(test_rule_3_sends_to_next_hop_or_destination),
	    cmocka_unit_test(test_rule_3_route_drains_every_interface),
	    cmocka_unit_test(test_rule_4_no_matching_route_dropped),
	    cmocka_unit_test(test_rule_5_nothing_else_modified),
	    cmocka_unit_test(test_several_interfaces_overlapping_routes),
	    cmocka_unit_test(test_forward_zero_copy_and_drop_table),
	    cmocka_unit_test(test_decide_shared_core),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
