/*
 * test_netif.c — spec §9 (one test per rule, named after it) plus the router-grade extras:
 * bounded cache and eviction order, queue bounds, give-up rule, static entries, flush, delete,
 * iteration, drop counters, zero-copy paths, and a hash property test against a model.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shoal/arp.h"
#include "shoal/ethernet.h"
#include "shoal/ipv4.h"
#include "shoal/netif.h"

enum {
	CAP_FRAMES = 128,
	CAP_FRAME_LEN = 1600,
	OUR_IP = 0x04030201, /* 4.3.2.1 */
};

static const struct shoal_mac our_mac = {{0x02, 0, 0, 0, 0, 0x01}};
static const struct shoal_mac peer_mac = {{0x02, 0, 0, 0, 0, 0x99}};
static const struct shoal_mac peer2_mac = {{0x02, 0, 0, 0, 0, 0x98}};
static const struct shoal_mac other_mac = {{0x02, 0, 0, 0, 0, 0x55}};
static const struct shoal_mac zero_mac = {{0}};

struct cap {
	uint8_t frames[CAP_FRAMES][CAP_FRAME_LEN];
	size_t lens[CAP_FRAMES];
	size_t count;
	size_t next; /* next frame to expect */
	enum shoal_netif_drop drop_reasons[CAP_FRAMES];
	uint8_t drop_data[CAP_FRAMES][CAP_FRAME_LEN];
	size_t drop_lens[CAP_FRAMES];
	size_t drops;
};

static void cap_transmit(void *ctx, const uint8_t *frame, size_t len)
{
	struct cap *c = ctx;
	assert_true(c->count < CAP_FRAMES);
	assert_true(len <= CAP_FRAME_LEN);
	memcpy(c->frames[c->count], frame, len);
	c->lens[c->count++] = len;
}

static void cap_drop(void *ctx, enum shoal_netif_drop reason, const uint8_t *data, size_t len)
{
	struct cap *c = ctx;
	assert_true(c->drops < CAP_FRAMES);
	assert_true(len <= CAP_FRAME_LEN);
	c->drop_reasons[c->drops] = reason;
	memcpy(c->drop_data[c->drops], data, len);
	c->drop_lens[c->drops++] = len;
}

struct fixture {
	struct cap *cap;
	struct shoal_netif *n;
};

static struct shoal_netif *netif_new(struct cap **capp, const struct shoal_netif_config *over)
{
	struct cap *c = calloc(1, sizeof(*c));
	assert_non_null(c);
	struct shoal_netif_config cfg = {0};
	if (over)
		cfg = *over;
	cfg.mac = our_mac;
	cfg.ip = OUR_IP;
	cfg.transmit = cap_transmit;
	cfg.drop = cap_drop;
	cfg.ctx = c;
	struct shoal_netif *n = shoal_netif_create(&cfg);
	assert_non_null(n);
	*capp = c;
	return n;
}

static void netif_free(struct shoal_netif *n, struct cap *c)
{
	shoal_netif_destroy(n);
	free(c);
}

/* An IPv4 datagram src -> dst with `plen` payload bytes derived from `tag`. */
static size_t make_datagram(uint8_t *buf, uint32_t src, uint32_t dst, uint8_t tag, size_t plen)
{
	struct shoal_ipv4_hdr h = {.total_len = (uint16_t)(20 + plen),
	                           .id = tag,
	                           .ttl = 64,
	                           .protocol = SHOAL_IP_PROTO_UDP,
	                           .src = src,
	                           .dst = dst};
	size_t hl = shoal_ipv4_serialize(&h, buf, 60);
	assert_int_equal(hl, 20);
	for (size_t i = 0; i < plen; i++)
		buf[hl + i] = (uint8_t)(tag + i);
	return hl + plen;
}

static size_t make_frame(uint8_t *buf, const struct shoal_mac *dst, const struct shoal_mac *src,
                         uint16_t type, const uint8_t *payload, size_t len)
{
	struct shoal_eth_hdr h = {.dst = *dst, .src = *src, .ethertype = type};
	assert_int_equal(shoal_eth_serialize(&h, buf, SHOAL_ETH_HDR_LEN), SHOAL_ETH_HDR_LEN);
	memcpy(buf + SHOAL_ETH_HDR_LEN, payload, len);
	return SHOAL_ETH_HDR_LEN + len;
}

static size_t make_arp_frame(uint8_t *buf, const struct shoal_mac *eth_dst, uint16_t opcode,
                             const struct shoal_mac *smac, uint32_t sip,
                             const struct shoal_mac *tmac, uint32_t tip)
{
	struct shoal_arp a = {.opcode = opcode,
	                      .sender_mac = *smac,
	                      .sender_ip = sip,
	                      .target_mac = *tmac,
	                      .target_ip = tip};
	uint8_t p[SHOAL_ARP_LEN];
	assert_int_equal(shoal_arp_serialize(&a, p, sizeof(p)), SHOAL_ARP_LEN);
	return make_frame(buf, eth_dst, smac, SHOAL_ETHERTYPE_ARP, p, sizeof(p));
}

/* The peer answers our request: learn ip -> mac through an ARP reply. */
static void recv_reply(struct shoal_netif *n, const struct shoal_mac *mac, uint32_t ip)
{
	uint8_t f[64];
	size_t len = make_arp_frame(f, &our_mac, SHOAL_ARP_REPLY, mac, ip, &our_mac, OUR_IP);
	assert_int_equal(shoal_netif_recv_frame(n, f, len), SHOAL_NETIF_RX_ARP);
}

static void send_dgram(struct shoal_netif *n, uint32_t next_hop, uint8_t tag,
                       enum shoal_netif_send_result want)
{
	uint8_t d[128];
	size_t len = make_datagram(d, 0x05060708, 0x0d0c0b0a, tag, 20);
	assert_int_equal(shoal_netif_send_datagram(n, d, len, next_hop), want);
}

static void expect_ipv4_frame(struct cap *c, const struct shoal_mac *dst, uint8_t tag)
{
	assert_true(c->next < c->count);
	const uint8_t *f = c->frames[c->next];
	size_t len = c->lens[c->next++];
	struct shoal_eth_hdr h;
	assert_int_equal(shoal_eth_parse(f, len, &h), SHOAL_WIRE_OK);
	assert_true(shoal_mac_equal(&h.dst, dst));
	assert_true(shoal_mac_equal(&h.src, &our_mac));
	assert_int_equal(h.ethertype, SHOAL_ETHERTYPE_IPV4);
	uint8_t d[128];
	size_t dl = make_datagram(d, 0x05060708, 0x0d0c0b0a, tag, 20);
	assert_int_equal(len - SHOAL_ETH_HDR_LEN, dl);
	assert_memory_equal(f + SHOAL_ETH_HDR_LEN, d, dl);
}

static void expect_arp_frame(struct cap *c, const struct shoal_mac *eth_dst, uint16_t opcode,
                             const struct shoal_mac *tmac, uint32_t tip)
{
	assert_true(c->next < c->count);
	const uint8_t *f = c->frames[c->next];
	size_t len = c->lens[c->next++];
	struct shoal_eth_hdr h;
	struct shoal_arp a;
	assert_int_equal(shoal_eth_parse(f, len, &h), SHOAL_WIRE_OK);
	assert_true(shoal_mac_equal(&h.dst, eth_dst));
	assert_true(shoal_mac_equal(&h.src, &our_mac));
	assert_int_equal(h.ethertype, SHOAL_ETHERTYPE_ARP);
	assert_int_equal(len, SHOAL_ETH_HDR_LEN + SHOAL_ARP_LEN);
	assert_int_equal(shoal_arp_parse(f + SHOAL_ETH_HDR_LEN, len - SHOAL_ETH_HDR_LEN, &a),
	                 SHOAL_WIRE_OK);
	assert_int_equal(a.opcode, opcode);
	assert_true(shoal_mac_equal(&a.sender_mac, &our_mac));
	assert_int_equal(a.sender_ip, OUR_IP);
	assert_true(shoal_mac_equal(&a.target_mac, tmac));
	assert_int_equal(a.target_ip, tip);
}

static void expect_request(struct cap *c, uint32_t ip)
{
	expect_arp_frame(c, &shoal_mac_broadcast, SHOAL_ARP_REQUEST, &zero_mac, ip);
}

static void expect_no_frame(struct cap *c)
{
	assert_int_equal(c->next, c->count);
}

static bool alive(struct shoal_netif *n, uint32_t ip)
{
	struct shoal_netif_entry e;
	return shoal_netif_lookup(n, ip, &e) && e.state == SHOAL_NETIF_ENTRY_DYNAMIC;
}

enum {
	HOP = 0x0a000001,  /* 10.0.0.1 */
	HOP2 = 0x0a000002, /* 10.0.0.2 */
	HOP3 = 0x0a000003,
};

/* ------------------------------------------------------------- spec §9 */

static void test_rule_1_known_mac_sends_one_ipv4_frame(void **state)
{
	(void)state;
	struct cap *c;
	struct shoal_netif *n = netif_new(&c, NULL);
	recv_reply(n, &peer_mac, HOP);
	expect_no_frame(c);
	send_dgram(n, HOP, 1, SHOAL_NETIF_SENT);
	expect_ipv4_frame(c, &peer_mac, 1);
	expect_no_frame(c);
	netif_free(n, c);
}

static void test_rule_2_unknown_mac_broadcasts_request_and_queues(void **state)
{
	(void)state;
	struct cap *c;
	struct shoal_netif *n = netif_new(&c, NULL);
	send_dgram(n, HOP, 1, SHOAL_NETIF_QUEUED);
	expect_request(c, HOP);
	expect_no_frame(c);
	struct shoal_netif_entry e;
	assert_true(shoal_netif_lookup(n, HOP, &e));
	assert_int_equal(e.state, SHOAL_NETIF_ENTRY_PENDING);
	assert_int_equal(e.queued, 1);
	netif_free(n, c);
}

static void test_rule_2_request_throttled_for_5s(void **state)
{
	(void)state;
	struct cap *c;
	struct shoal_netif *n = netif_new(&c, NULL);
	send_dgram(n, HOP, 1, SHOAL_NETIF_QUEUED);
	expect_request(c, HOP);
	shoal_netif_tick(n, 4990);
	send_dgram(n, HOP, 2, SHOAL_NETIF_QUEUED);
	expect_no_frame(c);
	shoal_netif_tick(n, 20);
	send_dgram(n, HOP, 3, SHOAL_NETIF_QUEUED);
	expect_request(c, HOP);
	expect_no_frame(c);
	/* the new request restarts the 5 s window */
	shoal_netif_tick(n, 4999);
	send_dgram(n, HOP, 4, SHOAL_NETIF_QUEUED);
	expect_no_frame(c);
	/* a different next hop is not throttled by the first */
	send_dgram(n, HOP2, 5, SHOAL_NETIF_QUEUED);
	expect_request(c, HOP2);
	/* the ARP series: 3 requests out, datagrams 2 and 4 throttled, nothing received */
	uint64_t a[SHOAL_NETIF_ARP_COUNT_];
	shoal_netif_arp_counters(n, a);
	assert_int_equal(a[SHOAL_NETIF_ARP_REQUESTS_SENT], 3);
	assert_int_equal(a[SHOAL_NETIF_ARP_REQUESTS_THROTTLED], 2);
	assert_int_equal(a[SHOAL_NETIF_ARP_REQUESTS_RECEIVED] + a[SHOAL_NETIF_ARP_REPLIES_RECEIVED],
	                 0);
	/* a reply and a request for us come in: each counted once, the request answered */
	recv_reply(n, &peer_mac, HOP);
	uint8_t f[64];
	size_t len = make_arp_frame(f, &shoal_mac_broadcast, SHOAL_ARP_REQUEST, &peer_mac, HOP2,
	                            &our_mac, OUR_IP);
	assert_int_equal(shoal_netif_recv_frame(n, f, len), SHOAL_NETIF_RX_ARP);
	shoal_netif_arp_counters(n, a);
	assert_int_equal(a[SHOAL_NETIF_ARP_REPLIES_RECEIVED], 1);
	assert_int_equal(a[SHOAL_NETIF_ARP_REQUESTS_RECEIVED], 1);
	assert_int_equal(a[SHOAL_NETIF_ARP_REPLIES_SENT], 1);
	assert_string_equal(shoal_netif_arp_counter_names[SHOAL_NETIF_ARP_REQUESTS_THROTTLED],
	                    "requests_throttled");
	netif_free(n, c);
}

/* The throttle boundary is exactly request_interval_ms: 4,999 ms after a request the next
 * datagram is queued silently; at 5,000 ms it triggers a new request. */
static void test_rule_2_request_throttle_boundary_is_5000ms(void **state)
{
	(void)state;
	struct cap *c;
	struct shoal_netif *n = netif_new(&c, NULL);
	send_dgram(n, HOP, 1, SHOAL_NETIF_QUEUED);
	expect_request(c, HOP);
	shoal_netif_tick(n, 4999);
	send_dgram(n, HOP, 2, SHOAL_NETIF_QUEUED);
	expect_no_frame(c);
	shoal_netif_tick(n, 1);
	send_dgram(n, HOP, 3, SHOAL_NETIF_QUEUED);
	expect_request(c, HOP);
	expect_no_frame(c);
	netif_free(n, c);
}

/* A peer living in the same process: it answers our ARP request from inside the transmit
 * callback (as minnow's router test does). The datagram that caused the request must leave
 * once the reply resolves the entry, not stay queued on a resolved entry. */
struct sync_peer {
	struct cap cap;
	struct shoal_netif *n;
	unsigned replies;
};

static void sync_peer_transmit(void *ctx, const uint8_t *frame, size_t len)
{
	struct sync_peer *p = ctx;
	cap_transmit(&p->cap, frame, len);
	struct shoal_eth_hdr h;
	struct shoal_arp a;
	assert_int_equal(shoal_eth_parse(frame, len, &h), SHOAL_WIRE_OK);
	if (h.ethertype != SHOAL_ETHERTYPE_ARP)
		return;
	assert_int_equal(shoal_arp_parse(frame + SHOAL_ETH_HDR_LEN, len - SHOAL_ETH_HDR_LEN, &a),
	                 SHOAL_WIRE_OK);
	if (a.opcode != SHOAL_ARP_REQUEST)
		return;
	uint8_t f[64];
	size_t fl =
	    make_arp_frame(f, &our_mac, SHOAL_ARP_REPLY, &peer_mac, a.target_ip, &our_mac, OUR_IP);
	p->replies++;
	assert_int_equal(shoal_netif_recv_frame(p->n, f, fl), SHOAL_NETIF_RX_ARP);
}

static void test_rule_4_synchronous_reply_sends_the_queued_datagram(void **state)
{
	(void)state;
	struct sync_peer *p = calloc(1, sizeof(*p));
	assert_non_null(p);
	struct shoal_netif_config cfg = {.mac = our_mac,
	                                 .ip = OUR_IP,
	                                 .transmit = sync_peer_transmit,
	                                 .drop = cap_drop,
	                                 .ctx = p};
	p->n = shoal_netif_create(&cfg);
	assert_non_null(p->n);
	send_dgram(p->n, HOP, 1, SHOAL_NETIF_QUEUED);
	assert_int_equal(p->replies, 1);
	expect_request(&p->cap, HOP);
	expect_ipv4_frame(&p->cap, &peer_mac, 1);
	expect_no_frame(&p->cap);
	struct shoal_netif_entry e;
	assert_true(shoal_netif_lookup(p->n, HOP, &e));
	assert_int_equal(e.state, SHOAL_NETIF_ENTRY_DYNAMIC);
	assert_int_equal(e.queued, 0);
	/* resolved now: the next one goes straight out */
	send_dgram(p->n, HOP, 2, SHOAL_NETIF_SENT);
	expect_ipv4_frame(&p->cap, &peer_mac, 2);
	expect_no_frame(&p->cap);
	assert_int_equal(p->cap.drops, 0);
	shoal_netif_destroy(p->n);
	free(p);
}

static void test_rule_3_learns_from_reply(void **state)
{
	(void)state;
	struct cap *c;
	struct shoal_netif *n = netif_new(&c, NULL);
	assert_false(alive(n, HOP));
	recv_reply(n, &peer_mac, HOP);
	struct shoal_netif_entry e;
	assert_true(shoal_netif_lookup(n, HOP, &e));
	assert_int_equal(e.state, SHOAL_NETIF_ENTRY_DYNAMIC);
	assert_true(shoal_mac_equal(&e.mac, &peer_mac));
	netif_free(n, c);
}

static void test_rule_3_learns_from_request_for_other_ip(void **state)
{
	(void)state;
	struct cap *c;
	struct shoal_netif *n = netif_new(&c, NULL);
	uint8_t f[64];
	size_t len = make_arp_frame(f, &shoal_mac_broadcast, SHOAL_ARP_REQUEST, &peer_mac, HOP,
	                            &zero_mac, 0x0a0000fe);
	assert_int_equal(shoal_netif_recv_frame(n, f, len), SHOAL_NETIF_RX_ARP);
	expect_no_frame(c);
	send_dgram(n, HOP, 1, SHOAL_NETIF_SENT);
	expect_ipv4_frame(c, &peer_mac, 1);
	netif_free(n, c);
}

static void test_rule_3_mapping_alive_10s_20s_gone_31s(void **state)
{
	(void)state;
	struct cap *c;
	struct shoal_netif *n = netif_new(&c, NULL);
	recv_reply(n, &peer_mac, HOP);
	shoal_netif_tick(n, 10000);
	send_dgram(n, HOP, 1, SHOAL_NETIF_SENT);
	expect_ipv4_frame(c, &peer_mac, 1);
	shoal_netif_tick(n, 10000);
	send_dgram(n, HOP, 2, SHOAL_NETIF_SENT);
	expect_ipv4_frame(c, &peer_mac, 2);
	shoal_netif_tick(n, 11000);
	send_dgram(n, HOP, 3, SHOAL_NETIF_QUEUED);
	expect_request(c, HOP);
	expect_no_frame(c);
	netif_free(n, c);
}

static void test_rule_3_mapping_alive_25s_gone_30_01s(void **state)
{
	(void)state;
	struct cap *c;
	struct shoal_netif *n = netif_new(&c, NULL);
	recv_reply(n, &peer_mac, HOP);
	shoal_netif_tick(n, 25000);
	send_dgram(n, HOP, 1, SHOAL_NETIF_SENT);
	expect_ipv4_frame(c, &peer_mac, 1);
	shoal_netif_tick(n, 5010);
	assert_false(alive(n, HOP));
	send_dgram(n, HOP, 2, SHOAL_NETIF_QUEUED);
	expect_request(c, HOP);
	netif_free(n, c);
}

static void test_rule_3_relearning_refreshes(void **state)
{
	(void)state;
	struct cap *c;
	struct shoal_netif *n = netif_new(&c, NULL);
	recv_reply(n, &peer_mac, HOP);
	shoal_netif_tick(n, 20000);
	recv_reply(n, &peer2_mac, HOP); /* refresh, and the MAC changed */
	shoal_netif_tick(n, 20000);     /* 40 s after the first, 20 s after the refresh */
	send_dgram(n, HOP, 1, SHOAL_NETIF_SENT);
	expect_ipv4_frame(c, &peer2_mac, 1);
	shoal_netif_tick(n, 10000);
	assert_false(alive(n, HOP));
	netif_free(n, c);
}

static void test_rule_4_learning_sends_queue_in_order_and_clears_pending(void **state)
{
	(void)state;
	struct cap *c;
	struct shoal_netif *n = netif_new(&c, NULL);
	send_dgram(n, HOP, 1, SHOAL_NETIF_QUEUED);
	send_dgram(n, HOP2, 9, SHOAL_NETIF_QUEUED);
	send_dgram(n, HOP, 2, SHOAL_NETIF_QUEUED);
	send_dgram(n, HOP, 3, SHOAL_NETIF_QUEUED);
	expect_request(c, HOP);
	expect_request(c, HOP2);
	recv_reply(n, &peer_mac, HOP);
	expect_ipv4_frame(c, &peer_mac, 1);
	expect_ipv4_frame(c, &peer_mac, 2);
	expect_ipv4_frame(c, &peer_mac, 3);
	expect_no_frame(c); /* HOP2's datagram still waits */
	/* pending cleared: more than 5 s later the mapping is used, no request */
	shoal_netif_tick(n, 6000);
	send_dgram(n, HOP, 4, SHOAL_NETIF_SENT);
	expect_ipv4_frame(c, &peer_mac, 4);
	recv_reply(n, &peer2_mac, HOP2);
	expect_ipv4_frame(c, &peer2_mac, 9);
	expect_no_frame(c);
	assert_int_equal(shoal_netif_stats(n)->datagrams_out, 5);
	netif_free(n, c);
}

static void test_rule_5_request_for_our_ip_gets_unicast_reply(void **state)
{
	(void)state;
	struct cap *c;
	struct shoal_netif *n = netif_new(&c, NULL);
	uint8_t f[64];
	size_t len = make_arp_frame(f, &shoal_mac_broadcast, SHOAL_ARP_REQUEST, &peer_mac, HOP,
	                            &zero_mac, OUR_IP);
	assert_int_equal(shoal_netif_recv_frame(n, f, len), SHOAL_NETIF_RX_ARP);
	expect_arp_frame(c, &peer_mac, SHOAL_ARP_REPLY, &peer_mac, HOP);
	expect_no_frame(c);
	assert_true(alive(n, HOP)); /* and learned */
	netif_free(n, c);
}

static void test_rule_5_request_for_other_ip_not_answered(void **state)
{
	(void)state;
	struct cap *c;
	struct shoal_netif *n = netif_new(&c, NULL);
	uint8_t f[64];
	size_t len = make_arp_frame(f, &shoal_mac_broadcast, SHOAL_ARP_REQUEST, &peer_mac, HOP,
	                            &zero_mac, OUR_IP + 1);
	assert_int_equal(shoal_netif_recv_frame(n, f, len), SHOAL_NETIF_RX_ARP);
	expect_no_frame(c);
	/* a reply addressed to our IP is not answered either */
	len = make_arp_frame(f, &our_mac, SHOAL_ARP_REPLY, &peer2_mac, HOP2, &our_mac, OUR_IP);
	assert_int_equal(shoal_netif_recv_frame(n, f, len), SHOAL_NETIF_RX_ARP);
	expect_no_frame(c);
	assert_true(alive(n, HOP));
	netif_free(n, c);
}

static void test_rule_6_frame_not_for_us_ignored_without_learning(void **state)
{
	(void)state;
	struct cap *c;
	struct shoal_netif *n = netif_new(&c, NULL);
	uint8_t f[128];
	size_t len =
	    make_arp_frame(f, &other_mac, SHOAL_ARP_REQUEST, &peer_mac, HOP, &zero_mac, OUR_IP);
	assert_int_equal(shoal_netif_recv_frame(n, f, len), SHOAL_NETIF_RX_DROPPED);
	expect_no_frame(c);
	assert_false(alive(n, HOP));
	assert_int_equal(shoal_netif_entry_count(n), 0);
	uint8_t d[64];
	size_t dl = make_datagram(d, HOP, OUR_IP, 1, 8);
	len = make_frame(f, &other_mac, &peer_mac, SHOAL_ETHERTYPE_IPV4, d, dl);
	assert_int_equal(shoal_netif_recv_frame(n, f, len), SHOAL_NETIF_RX_DROPPED);
	assert_int_equal(shoal_netif_rx_count(n), 0);
	assert_int_equal(shoal_netif_stats(n)->drops[SHOAL_NETIF_DROP_NOT_FOR_US], 2);
	netif_free(n, c);
}

static void test_rule_7_ipv4_for_us_queued_unparsable_dropped(void **state)
{
	(void)state;
	struct cap *c;
	struct shoal_netif *n = netif_new(&c, NULL);
	uint8_t f[128], d[64], d2[64];
	size_t dl = make_datagram(d, HOP, OUR_IP, 1, 8);
	size_t d2l = make_datagram(d2, HOP, 0xffffffff, 2, 12);
	size_t len = make_frame(f, &our_mac, &peer_mac, SHOAL_ETHERTYPE_IPV4, d, dl);
	memset(f + len, 0, 60 - len); /* Ethernet padding is not part of the datagram */
	assert_int_equal(shoal_netif_recv_frame(n, f, 60), SHOAL_NETIF_RX_IPV4);
	len = make_frame(f, &shoal_mac_broadcast, &peer_mac, SHOAL_ETHERTYPE_IPV4, d2, d2l);
	assert_int_equal(shoal_netif_recv_frame(n, f, len), SHOAL_NETIF_RX_IPV4);
	/* corrupt checksum: dropped */
	d[10] ^= 0xff;
	len = make_frame(f, &our_mac, &peer_mac, SHOAL_ETHERTYPE_IPV4, d, dl);
	assert_int_equal(shoal_netif_recv_frame(n, f, len), SHOAL_NETIF_RX_DROPPED);
	d[10] ^= 0xff;
	/* truncated: dropped */
	len = make_frame(f, &our_mac, &peer_mac, SHOAL_ETHERTYPE_IPV4, d, 10);
	assert_int_equal(shoal_netif_recv_frame(n, f, len), SHOAL_NETIF_RX_DROPPED);
	assert_int_equal(shoal_netif_stats(n)->drops[SHOAL_NETIF_DROP_BAD_IPV4], 2);

	assert_int_equal(shoal_netif_rx_count(n), 2);
	size_t got;
	uint8_t *p = shoal_netif_rx_peek(n, &got);
	assert_non_null(p);
	assert_int_equal(got, dl);
	assert_memory_equal(p, d, dl);
	shoal_netif_rx_pop(n);
	p = shoal_netif_rx_peek(n, &got);
	assert_int_equal(got, d2l);
	assert_memory_equal(p, d2, d2l);
	shoal_netif_rx_pop(n);
	assert_null(shoal_netif_rx_peek(n, &got));
	assert_int_equal(shoal_netif_rx_count(n), 0);
	expect_no_frame(c);
	netif_free(n, c);
}

static void test_rule_8_time_only_advances_through_tick(void **state)
{
	(void)state;
	struct cap *c;
	struct shoal_netif *n = netif_new(&c, NULL);
	recv_reply(n, &peer_mac, HOP);
	send_dgram(n, HOP2, 1, SHOAL_NETIF_QUEUED);
	expect_request(c, HOP2);
	for (int i = 0; i < 100; i++) {
		send_dgram(n, HOP, 2, SHOAL_NETIF_SENT);
		expect_ipv4_frame(c, &peer_mac, 2);
		shoal_netif_tick(n, 0);
	}
	struct shoal_netif_entry e;
	assert_true(shoal_netif_lookup(n, HOP, &e));
	assert_int_equal(e.remaining_ms, 30000);
	assert_int_equal(shoal_netif_now(n), 0);
	shoal_netif_tick(n, 1234);
	shoal_netif_tick(n, 1);
	assert_int_equal(shoal_netif_now(n), 1235);
	assert_true(shoal_netif_lookup(n, HOP, &e));
	assert_int_equal(e.remaining_ms, 30000 - 1235);
	netif_free(n, c);
}

/* ------------------------------------------------------------- cache bounds */

static void test_cache_bound_evicts_closest_to_expiry(void **state)
{
	(void)state;
	struct cap *c;
	struct shoal_netif_config cfg = {.cache_size = 4};
	struct shoal_netif *n = netif_new(&c, &cfg);
	for (uint32_t i = 0; i < 4; i++) {
		recv_reply(n, &peer_mac, HOP + i);
		shoal_netif_tick(n, 100);
	}
	recv_reply(n, &peer_mac, HOP); /* refresh the oldest: HOP+1 is now closest to expiry */
	recv_reply(n, &peer_mac, HOP + 10);
	assert_int_equal(shoal_netif_entry_count(n), 4);
	assert_false(alive(n, HOP + 1));
	assert_true(alive(n, HOP));
	assert_true(alive(n, HOP + 2));
	assert_true(alive(n, HOP + 10));
	recv_reply(n, &peer_mac, HOP + 11);
	assert_false(alive(n, HOP + 2));
	assert_true(alive(n, HOP + 3));
	/* a datagram to a new next hop also evicts (HOP+3, then the pending entry stays) */
	send_dgram(n, HOP + 20, 1, SHOAL_NETIF_QUEUED);
	assert_false(alive(n, HOP + 3));
	assert_int_equal(shoal_netif_entry_count(n), 4);
	assert_int_equal(shoal_netif_stats(n)->drops[SHOAL_NETIF_DROP_CACHE_FULL], 0);
	uint64_t a[SHOAL_NETIF_ARP_COUNT_];
	shoal_netif_arp_counters(n, a);
	assert_int_equal(a[SHOAL_NETIF_ARP_CACHE_EVICTIONS], 3); /* HOP+1, HOP+2, HOP+3 */
	assert_int_equal(a[SHOAL_NETIF_ARP_REPLIES_RECEIVED], 7);
	netif_free(n, c);
}

static void test_static_never_evicted_pending_evicted_first(void **state)
{
	(void)state;
	struct cap *c;
	struct shoal_netif_config cfg = {.cache_size = 2};
	struct shoal_netif *n = netif_new(&c, &cfg);
	assert_int_equal(shoal_netif_add_static(n, HOP, &peer_mac), SHOAL_NETIF_OK);
	send_dgram(n, HOP2, 1, SHOAL_NETIF_QUEUED);
	expect_request(c, HOP2);
	/* learning a third mapping evicts the pending entry (its datagram reported), not the
	 * static one */
	recv_reply(n, &peer_mac, HOP3);
	assert_true(alive(n, HOP3));
	struct shoal_netif_entry e;
	assert_false(shoal_netif_lookup(n, HOP2, &e));
	const struct shoal_netif_stats *st = shoal_netif_stats(n);
	assert_int_equal(st->drops[SHOAL_NETIF_DROP_EVICT_PENDING], 1);
	assert_int_equal(st->drops[SHOAL_NETIF_DROP_EVICTED_QUEUED], 1);
	assert_int_equal(st->drops[SHOAL_NETIF_DROP_LEARN_CACHE_FULL], 0);
	assert_int_equal(c->drops, 1);
	assert_int_equal(c->drop_reasons[0], SHOAL_NETIF_DROP_EVICTED_QUEUED);
	assert_int_equal(c->drop_data[0][5], 1); /* the datagram itself (IP id low byte) */
	/* only static entries left: nothing evictable */
	assert_int_equal(shoal_netif_add_static(n, HOP3, &peer2_mac), SHOAL_NETIF_OK);
	recv_reply(n, &peer_mac, HOP3 + 1);
	assert_int_equal(st->drops[SHOAL_NETIF_DROP_LEARN_CACHE_FULL], 1);
	send_dgram(n, HOP3 + 2, 7, SHOAL_NETIF_DROPPED);
	expect_no_frame(c);
	assert_int_equal(st->drops[SHOAL_NETIF_DROP_CACHE_FULL], 1);
	assert_int_equal(c->drop_reasons[c->drops - 1], SHOAL_NETIF_DROP_CACHE_FULL);
	assert_int_equal(shoal_netif_add_static(n, HOP3 + 3, &peer_mac), SHOAL_NETIF_FULL);
	assert_true(shoal_netif_lookup(n, HOP, &e));
	assert_int_equal(e.state, SHOAL_NETIF_ENTRY_STATIC);
	assert_int_equal(st->drops[SHOAL_NETIF_DROP_EVICT_RESOLVED], 0);
	netif_free(n, c);
}

static void test_pending_budget_evicts_oldest_pending(void **state)
{
	(void)state;
	struct cap *c;
	struct shoal_netif_config cfg = {.cache_size = 8}; /* pending_max = 8 / 4 = 2 */
	struct shoal_netif *n = netif_new(&c, &cfg);
	assert_int_equal(shoal_netif_config_get(n)->pending_max, 2);
	send_dgram(n, HOP, 1, SHOAL_NETIF_QUEUED);
	shoal_netif_tick(n, 10);
	send_dgram(n, HOP2, 2, SHOAL_NETIF_QUEUED);
	send_dgram(n, HOP2, 3, SHOAL_NETIF_QUEUED);
	shoal_netif_tick(n, 10);
	send_dgram(n, HOP3, 4, SHOAL_NETIF_QUEUED); /* over budget: HOP (oldest) goes */
	struct shoal_netif_entry e;
	assert_false(shoal_netif_lookup(n, HOP, &e));
	assert_true(shoal_netif_lookup(n, HOP2, &e));
	assert_int_equal(e.queued, 2);
	assert_true(shoal_netif_lookup(n, HOP3, &e));
	assert_int_equal(shoal_netif_entry_count(n), 2);
	assert_int_equal(shoal_netif_stats(n)->drops[SHOAL_NETIF_DROP_EVICT_PENDING], 1);
	assert_int_equal(shoal_netif_stats(n)->drops[SHOAL_NETIF_DROP_EVICTED_QUEUED], 1);
	assert_int_equal(c->drops, 1);
	assert_int_equal(c->drop_data[0][5], 1);
	/* the next one evicts HOP2 with its two datagrams; the budget never grows */
	send_dgram(n, HOP3 + 1, 5, SHOAL_NETIF_QUEUED);
	assert_false(shoal_netif_lookup(n, HOP2, &e));
	assert_int_equal(shoal_netif_stats(n)->drops[SHOAL_NETIF_DROP_EVICTED_QUEUED], 3);
	assert_int_equal(shoal_netif_entry_count(n), 2);
	/* an evicted next hop that answers late is still learned */
	recv_reply(n, &peer_mac, HOP);
	assert_true(alive(n, HOP));
	netif_free(n, c);
}

static void test_full_cache_evicts_pending_before_resolved(void **state)
{
	(void)state;
	struct cap *c;
	struct shoal_netif_config cfg = {.cache_size = 4, .pending_max = 4};
	struct shoal_netif *n = netif_new(&c, &cfg);
	recv_reply(n, &peer_mac, HOP);
	shoal_netif_tick(n, 1);
	recv_reply(n, &peer_mac, HOP2);
	send_dgram(n, 0x0b000001, 1, SHOAL_NETIF_QUEUED);
	send_dgram(n, 0x0b000002, 2, SHOAL_NETIF_QUEUED);
	/* full: a new resolved mapping and a new pending entry both evict pending ones */
	recv_reply(n, &peer_mac, HOP3);
	send_dgram(n, 0x0b000003, 3, SHOAL_NETIF_QUEUED);
	struct shoal_netif_entry e;
	assert_false(shoal_netif_lookup(n, 0x0b000001, &e));
	assert_false(shoal_netif_lookup(n, 0x0b000002, &e));
	assert_true(shoal_netif_lookup(n, 0x0b000003, &e));
	assert_true(alive(n, HOP));
	assert_true(alive(n, HOP2));
	assert_true(alive(n, HOP3));
	const struct shoal_netif_stats *st = shoal_netif_stats(n);
	assert_int_equal(st->drops[SHOAL_NETIF_DROP_EVICT_PENDING], 2);
	assert_int_equal(st->drops[SHOAL_NETIF_DROP_EVICT_RESOLVED], 0);
	/* with no pending entry left to go, the least recently learned resolved one goes */
	recv_reply(n, &peer_mac, 0x0a0000f0);
	assert_false(shoal_netif_lookup(n, 0x0b000003, &e));
	recv_reply(n, &peer_mac, 0x0a0000f1);
	assert_false(alive(n, HOP));
	assert_true(alive(n, HOP2));
	assert_int_equal(st->drops[SHOAL_NETIF_DROP_EVICT_PENDING], 3);
	assert_int_equal(st->drops[SHOAL_NETIF_DROP_EVICT_RESOLVED], 1);
	netif_free(n, c);
}

/* The pending-flood probe of issue 16: 5,000 unresolved next hops while a resolved
 * neighbour keeps sending. Frames are only counted here (the capture holds 128). */
struct flood_cap {
	size_t to_peer; /* IPv4 frames to peer_mac */
	size_t requests;
};

static void flood_transmit(void *ctx, const uint8_t *frame, size_t len)
{
	struct flood_cap *fc = ctx;
	struct shoal_eth_hdr h;
	assert_int_equal(shoal_eth_parse(frame, len, &h), SHOAL_WIRE_OK);
	if (h.ethertype == SHOAL_ETHERTYPE_ARP)
		fc->requests++;
	else if (shoal_mac_equal(&h.dst, &peer_mac))
		fc->to_peer++;
}

static void test_pending_flood_does_not_starve_resolved_neighbour(void **state)
{
	(void)state;
	enum { FLOOD = 5000, EVERY = 10 };
	struct flood_cap fc = {0};
	struct shoal_netif_config cfg = {.mac = our_mac,
	                                 .ip = 0x0a000001, /* 10.0.0.1/24 */
	                                 .prefix_len = 24,
	                                 .transmit = flood_transmit,
	                                 .ctx = &fc};
	struct shoal_netif *n = shoal_netif_create(&cfg);
	assert_non_null(n);
	const uint32_t h2 = 0x0a000002;
	uint8_t f[64];
	size_t fl = make_arp_frame(f, &our_mac, SHOAL_ARP_REPLY, &peer_mac, h2, &our_mac, cfg.ip);
	assert_int_equal(shoal_netif_recv_frame(n, f, fl), SHOAL_NETIF_RX_ARP);
	uint8_t d[128];
	size_t dl = make_datagram(d, 0x0a000003, h2, 1, 20);
	size_t sent = 0;
	for (uint32_t i = 0; i < FLOOD; i++) {
		/* an on-link /16 behind the interface: none of these ever answers */
		assert_int_equal(shoal_netif_send_datagram(n, d, dl, 0x0a010000 + i),
		                 SHOAL_NETIF_QUEUED);
		if (i % EVERY == 0) {
			assert_int_equal(shoal_netif_send_datagram(n, d, dl, h2), SHOAL_NETIF_SENT);
			sent++;
			shoal_netif_tick(n, 1); /* 500 ms in all: h2's mapping stays alive */
		}
		/* h2 refreshes its mapping now and then (its own ARP traffic) */
		if (i % 1000 == 999)
			assert_int_equal(shoal_netif_recv_frame(n, f, fl), SHOAL_NETIF_RX_ARP);
	}
	assert_int_equal(fc.to_peer, sent);
	assert_true(alive(n, h2));
	const struct shoal_netif_stats *st = shoal_netif_stats(n);
	assert_int_equal(st->drops[SHOAL_NETIF_DROP_EVICT_RESOLVED], 0);
	assert_int_equal(st->drops[SHOAL_NETIF_DROP_LEARN_CACHE_FULL], 0);
	assert_int_equal(st->drops[SHOAL_NETIF_DROP_CACHE_FULL], 0);
	assert_int_equal(st->drops[SHOAL_NETIF_DROP_EVICT_PENDING], FLOOD - 1024);
	assert_int_equal(fc.requests, FLOOD);
	assert_int_equal(shoal_netif_entry_count(n), 1024 + 1);
	/* a neighbour answering mid-flood is learned at once, and so is h2 after expiry */
	const uint32_t h3 = 0x0a000004;
	assert_int_equal(shoal_netif_send_datagram(n, d, dl, h3), SHOAL_NETIF_QUEUED);
	fl = make_arp_frame(f, &our_mac, SHOAL_ARP_REPLY, &peer_mac, h3, &our_mac, cfg.ip);
	assert_int_equal(shoal_netif_recv_frame(n, f, fl), SHOAL_NETIF_RX_ARP);
	assert_true(alive(n, h3));
	assert_int_equal(fc.to_peer, sent + 1);
	assert_int_equal(shoal_netif_send_datagram(n, d, dl, h3), SHOAL_NETIF_SENT);
	shoal_netif_destroy(n);
}

static void test_learning_refuses_off_subnet_and_own_address(void **state)
{
	(void)state;
	struct cap *c;
	struct shoal_netif_config cfg = {.prefix_len = 24}; /* 4.3.2.1/24 */
	struct shoal_netif *n = netif_new(&c, &cfg);
	const struct shoal_netif_stats *st = shoal_netif_stats(n);
	recv_reply(n, &peer_mac, 0x04030202); /* on the network: learned */
	assert_true(alive(n, 0x04030202));
	recv_reply(n, &peer_mac, 0x04030302); /* 4.3.3.2: off the network */
	recv_reply(n, &peer_mac, 0x0a000001);
	recv_reply(n, &peer_mac, 0x04030200); /* network and broadcast addresses */
	recv_reply(n, &peer_mac, 0x040302ff);
	struct shoal_netif_entry e;
	assert_false(shoal_netif_lookup(n, 0x04030302, &e));
	assert_false(shoal_netif_lookup(n, 0x0a000001, &e));
	assert_false(shoal_netif_lookup(n, 0x04030200, &e));
	assert_false(shoal_netif_lookup(n, 0x040302ff, &e));
	assert_int_equal(st->drops[SHOAL_NETIF_DROP_ARP_OFF_SUBNET], 4);
	assert_int_equal(shoal_netif_entry_count(n), 1);
	/* a gratuitous ARP for our own address: no entry, no answer */
	uint8_t f[64];
	size_t len = make_arp_frame(f, &shoal_mac_broadcast, SHOAL_ARP_REQUEST, &other_mac, OUR_IP,
	                            &zero_mac, OUR_IP);
	assert_int_equal(shoal_netif_recv_frame(n, f, len), SHOAL_NETIF_RX_ARP);
	recv_reply(n, &other_mac, OUR_IP);
	assert_false(shoal_netif_lookup(n, OUR_IP, &e));
	assert_int_equal(st->drops[SHOAL_NETIF_DROP_ARP_OWN_ADDRESS], 2);
	expect_no_frame(c);
	/* an off-network requester is still answered (not learned) */
	len = make_arp_frame(f, &shoal_mac_broadcast, SHOAL_ARP_REQUEST, &other_mac, 0x0a000009,
	                     &zero_mac, OUR_IP);
	assert_int_equal(shoal_netif_recv_frame(n, f, len), SHOAL_NETIF_RX_ARP);
	expect_arp_frame(c, &other_mac, SHOAL_ARP_REPLY, &other_mac, 0x0a000009);
	assert_int_equal(shoal_netif_entry_count(n), 1);
	netif_free(n, c);
}

/* Without a prefix (the spec model) every sender but ourselves is learned. */
static void test_learning_without_prefix_takes_any_sender_but_us(void **state)
{
	(void)state;
	struct cap *c;
	struct shoal_netif *n = netif_new(&c, NULL);
	recv_reply(n, &peer_mac, 0x0a000001);
	recv_reply(n, &peer_mac, 0xc0a80101);
	recv_reply(n, &peer_mac, OUR_IP);
	assert_true(alive(n, 0x0a000001));
	assert_true(alive(n, 0xc0a80101));
	assert_int_equal(shoal_netif_entry_count(n), 2);
	assert_int_equal(shoal_netif_stats(n)->drops[SHOAL_NETIF_DROP_ARP_OFF_SUBNET], 0);
	assert_int_equal(shoal_netif_stats(n)->drops[SHOAL_NETIF_DROP_ARP_OWN_ADDRESS], 1);
	netif_free(n, c);
}

/* ------------------------------------------------------------- queue bounds */

static void test_nexthop_queue_bound_drops_and_counts(void **state)
{
	(void)state;
	struct cap *c;
	struct shoal_netif_config cfg = {.nexthop_queue_max = 3};
	struct shoal_netif *n = netif_new(&c, &cfg);
	for (uint8_t i = 1; i <= 3; i++)
		send_dgram(n, HOP, i, SHOAL_NETIF_QUEUED);
	send_dgram(n, HOP, 4, SHOAL_NETIF_DROPPED);
	send_dgram(n, HOP, 5, SHOAL_NETIF_DROPPED);
	send_dgram(n, HOP2, 6, SHOAL_NETIF_QUEUED); /* other next hops unaffected */
	assert_int_equal(shoal_netif_stats(n)->drops[SHOAL_NETIF_DROP_QUEUE_FULL_NEXTHOP], 2);
	uint64_t a[SHOAL_NETIF_ARP_COUNT_];
	shoal_netif_arp_counters(n, a);
	assert_int_equal(a[SHOAL_NETIF_ARP_QUEUE_DROPS], 2);
	assert_int_equal(c->drops, 2);
	assert_int_equal(c->drop_reasons[0], SHOAL_NETIF_DROP_QUEUE_FULL_NEXTHOP);
	assert_int_equal(c->drop_data[0][5], 4);
	assert_int_equal(c->drop_data[1][5], 5);
	expect_request(c, HOP);
	expect_request(c, HOP2);
	recv_reply(n, &peer_mac, HOP);
	for (uint8_t i = 1; i <= 3; i++)
		expect_ipv4_frame(c, &peer_mac, i);
	expect_no_frame(c);
	netif_free(n, c);
}

static void test_interface_queue_bound_drops_and_counts(void **state)
{
	(void)state;
	struct cap *c;
	struct shoal_netif_config cfg = {.nexthop_queue_max = 3, .queue_max = 4};
	struct shoal_netif *n = netif_new(&c, &cfg);
	for (uint8_t i = 1; i <= 3; i++)
		send_dgram(n, HOP, i, SHOAL_NETIF_QUEUED);
	send_dgram(n, HOP2, 4, SHOAL_NETIF_QUEUED);
	send_dgram(n, HOP2, 5, SHOAL_NETIF_DROPPED);
	send_dgram(n, HOP3, 6, SHOAL_NETIF_DROPPED);
	assert_int_equal(shoal_netif_stats(n)->drops[SHOAL_NETIF_DROP_QUEUE_FULL_INTERFACE], 2);
	/* resolving one next hop returns its buffers to the pool */
	recv_reply(n, &peer_mac, HOP);
	send_dgram(n, HOP3, 7, SHOAL_NETIF_QUEUED);
	send_dgram(n, HOP2, 8, SHOAL_NETIF_QUEUED);
	recv_reply(n, &peer2_mac, HOP2);
	c->next = c->count - 2;
	expect_ipv4_frame(c, &peer2_mac, 4);
	expect_ipv4_frame(c, &peer2_mac, 8);
	netif_free(n, c);
}

static void test_rx_queue_bound_drops_and_counts(void **state)
{
	(void)state;
	struct cap *c;
	struct shoal_netif_config cfg = {.rx_queue_max = 2};
	struct shoal_netif *n = netif_new(&c, &cfg);
	uint8_t f[128], d[64];
	for (uint8_t i = 1; i <= 3; i++) {
		size_t dl = make_datagram(d, HOP, OUR_IP, i, 8);
		size_t len = make_frame(f, &our_mac, &peer_mac, SHOAL_ETHERTYPE_IPV4, d, dl);
		assert_int_equal(shoal_netif_recv_frame(n, f, len),
		                 i <= 2 ? SHOAL_NETIF_RX_IPV4 : SHOAL_NETIF_RX_DROPPED);
	}
	assert_int_equal(shoal_netif_stats(n)->drops[SHOAL_NETIF_DROP_RX_QUEUE_FULL], 1);
	size_t got;
	shoal_netif_rx_pop(n);
	uint8_t *p = shoal_netif_rx_peek(n, &got);
	assert_int_equal(p[5], 2);
	/* the ring wraps */
	size_t dl = make_datagram(d, HOP, OUR_IP, 4, 8);
	size_t len = make_frame(f, &our_mac, &peer_mac, SHOAL_ETHERTYPE_IPV4, d, dl);
	assert_int_equal(shoal_netif_recv_frame(n, f, len), SHOAL_NETIF_RX_IPV4);
	shoal_netif_rx_pop(n);
	p = shoal_netif_rx_peek(n, &got);
	assert_int_equal(p[5], 4);
	netif_free(n, c);
}

static void test_too_big_datagram_dropped(void **state)
{
	(void)state;
	struct cap *c;
	struct shoal_netif_config cfg = {.max_datagram = 40};
	struct shoal_netif *n = netif_new(&c, &cfg);
	send_dgram(n, HOP, 1, SHOAL_NETIF_QUEUED); /* 40 bytes: fits */
	uint8_t d[128];
	size_t len = make_datagram(d, 0x05060708, 0x0d0c0b0a, 2, 21);
	assert_int_equal(shoal_netif_send_datagram(n, d, len, HOP), SHOAL_NETIF_DROPPED);
	assert_int_equal(shoal_netif_stats(n)->drops[SHOAL_NETIF_DROP_TOO_BIG], 1);
	netif_free(n, c);
}

/* max_datagram bounds copies only: in place to a resolved next hop, a longer datagram (a GSO
 * super-frame) is sent; one that would have to be queued is still dropped. */
static void test_too_big_in_place_sent_when_resolved(void **state)
{
	(void)state;
	struct cap *c;
	struct shoal_netif_config cfg = {.max_datagram = 40};
	struct shoal_netif *n = netif_new(&c, &cfg);
	struct shoal_mac peer = {{0x02, 0x11, 0x22, 0x33, 0x44, 0x55}};
	assert_int_equal(shoal_netif_add_static(n, HOP, &peer), SHOAL_NETIF_OK);
	uint8_t buf[SHOAL_ETH_HDR_LEN + 128];
	size_t len = make_datagram(buf + SHOAL_ETH_HDR_LEN, 0x05060708, 0x0d0c0b0a, 3, 60);
	assert_true(len > 40);
	assert_int_equal(shoal_netif_send_datagram_headroom(n, buf, len, HOP), SHOAL_NETIF_SENT);
	assert_int_equal(c->count, 1);
	assert_int_equal(c->lens[0], SHOAL_ETH_HDR_LEN + len);
	assert_int_equal(shoal_netif_send_datagram_headroom(n, buf, len, HOP + 1),
	                 SHOAL_NETIF_DROPPED);
	assert_int_equal(shoal_netif_stats(n)->drops[SHOAL_NETIF_DROP_TOO_BIG], 1);
	netif_free(n, c);
}

/* ------------------------------------------------------------- give-up rule */

static void test_pending_gives_up_after_timeout_and_reports(void **state)
{
	(void)state;
	struct cap *c;
	struct shoal_netif *n = netif_new(&c, NULL);
	send_dgram(n, HOP, 1, SHOAL_NETIF_QUEUED);
	send_dgram(n, HOP, 2, SHOAL_NETIF_QUEUED);
	shoal_netif_tick(n, 14999);
	assert_int_equal(c->drops, 0);
	shoal_netif_tick(n, 1);
	assert_int_equal(c->drops, 2);
	assert_int_equal(c->drop_reasons[0], SHOAL_NETIF_DROP_ARP_TIMEOUT);
	assert_int_equal(c->drop_data[0][5], 1);
	assert_int_equal(c->drop_data[1][5], 2);
	assert_int_equal(shoal_netif_stats(n)->drops[SHOAL_NETIF_DROP_ARP_TIMEOUT], 2);
	assert_int_equal(shoal_netif_entry_count(n), 0);
	/* a late reply is simply learned; nothing is sent */
	c->next = c->count;
	recv_reply(n, &peer_mac, HOP);
	expect_no_frame(c);
	netif_free(n, c);
}

static void test_pending_new_request_restarts_give_up_clock(void **state)
{
	(void)state;
	struct cap *c;
	struct shoal_netif *n = netif_new(&c, NULL);
	send_dgram(n, HOP, 1, SHOAL_NETIF_QUEUED);
	shoal_netif_tick(n, 10000);
	send_dgram(n, HOP, 2, SHOAL_NETIF_QUEUED); /* second request at 10 s */
	shoal_netif_tick(n, 14999);
	assert_int_equal(c->drops, 0);
	struct shoal_netif_entry e;
	assert_true(shoal_netif_lookup(n, HOP, &e));
	assert_int_equal(e.remaining_ms, 1);
	assert_int_equal(e.queued, 2);
	recv_reply(n, &peer_mac, HOP);
	c->next = 2;
	expect_ipv4_frame(c, &peer_mac, 1);
	expect_ipv4_frame(c, &peer_mac, 2);
	netif_free(n, c);
}

static void test_pending_give_up_order_follows_latest_request(void **state)
{
	(void)state;
	struct cap *c;
	struct shoal_netif *n = netif_new(&c, NULL);
	send_dgram(n, HOP, 1, SHOAL_NETIF_QUEUED); /* request at 0 */
	shoal_netif_tick(n, 1000);
	send_dgram(n, HOP2, 2, SHOAL_NETIF_QUEUED); /* request at 1 s */
	shoal_netif_tick(n, 9000);
	send_dgram(n, HOP, 3, SHOAL_NETIF_QUEUED); /* HOP re-requests at 10 s */
	shoal_netif_tick(n, 6000);                 /* 16 s: HOP2 gives up, HOP does not */
	assert_int_equal(c->drops, 1);
	assert_int_equal(c->drop_data[0][5], 2);
	assert_true(shoal_netif_lookup(n, HOP, &(struct shoal_netif_entry){0}));
	assert_false(shoal_netif_lookup(n, HOP2, &(struct shoal_netif_entry){0}));
	shoal_netif_tick(n, 9000); /* 25 s */
	assert_int_equal(c->drops, 3);
	assert_int_equal(shoal_netif_entry_count(n), 0);
	netif_free(n, c);
}

/* ------------------------------------------------------------- static, flush, delete */

static void test_static_entry_never_expires_and_wins_over_learning(void **state)
{
	(void)state;
	struct cap *c;
	struct shoal_netif *n = netif_new(&c, NULL);
	assert_int_equal(shoal_netif_add_static(n, HOP, &peer_mac), SHOAL_NETIF_OK);
	shoal_netif_tick(n, 3600u * 1000u);
	recv_reply(n, &peer2_mac, HOP);
	send_dgram(n, HOP, 1, SHOAL_NETIF_SENT);
	expect_ipv4_frame(c, &peer_mac, 1);
	/* replacing a static entry changes its MAC */
	assert_int_equal(shoal_netif_add_static(n, HOP, &peer2_mac), SHOAL_NETIF_OK);
	send_dgram(n, HOP, 2, SHOAL_NETIF_SENT);
	expect_ipv4_frame(c, &peer2_mac, 2);
	netif_free(n, c);
}

static void test_static_on_pending_sends_queue(void **state)
{
	(void)state;
	struct cap *c;
	struct shoal_netif *n = netif_new(&c, NULL);
	send_dgram(n, HOP, 1, SHOAL_NETIF_QUEUED);
	expect_request(c, HOP);
	assert_int_equal(shoal_netif_add_static(n, HOP, &peer_mac), SHOAL_NETIF_OK);
	expect_ipv4_frame(c, &peer_mac, 1);
	shoal_netif_tick(n, 100000);
	send_dgram(n, HOP, 2, SHOAL_NETIF_SENT);
	expect_ipv4_frame(c, &peer_mac, 2);
	netif_free(n, c);
}

static void test_flush_removes_dynamic_only(void **state)
{
	(void)state;
	struct cap *c;
	struct shoal_netif *n = netif_new(&c, NULL);
	recv_reply(n, &peer_mac, HOP);
	recv_reply(n, &peer_mac, HOP + 100);
	assert_int_equal(shoal_netif_add_static(n, HOP2, &peer2_mac), SHOAL_NETIF_OK);
	send_dgram(n, HOP3, 1, SHOAL_NETIF_QUEUED);
	assert_int_equal(shoal_netif_flush(n), 2);
	assert_int_equal(shoal_netif_entry_count(n), 2);
	assert_false(alive(n, HOP));
	struct shoal_netif_entry e;
	assert_true(shoal_netif_lookup(n, HOP2, &e));
	assert_int_equal(e.state, SHOAL_NETIF_ENTRY_STATIC);
	assert_true(shoal_netif_lookup(n, HOP3, &e));
	assert_int_equal(e.state, SHOAL_NETIF_ENTRY_PENDING);
	assert_int_equal(shoal_netif_flush(n), 0);
	/* flushed mappings need ARP again */
	c->next = c->count;
	send_dgram(n, HOP, 2, SHOAL_NETIF_QUEUED);
	expect_request(c, HOP);
	netif_free(n, c);
}

static void test_delete_removes_one_entry_of_any_state(void **state)
{
	(void)state;
	struct cap *c;
	struct shoal_netif *n = netif_new(&c, NULL);
	recv_reply(n, &peer_mac, HOP);
	assert_int_equal(shoal_netif_add_static(n, HOP2, &peer2_mac), SHOAL_NETIF_OK);
	send_dgram(n, HOP3, 1, SHOAL_NETIF_QUEUED);
	send_dgram(n, HOP3, 2, SHOAL_NETIF_QUEUED);
	assert_int_equal(shoal_netif_delete(n, HOP), SHOAL_NETIF_OK);
	assert_int_equal(shoal_netif_delete(n, HOP2), SHOAL_NETIF_OK);
	assert_int_equal(shoal_netif_delete(n, HOP3), SHOAL_NETIF_OK);
	assert_int_equal(shoal_netif_delete(n, HOP3), SHOAL_NETIF_NOT_FOUND);
	assert_int_equal(shoal_netif_entry_count(n), 0);
	assert_int_equal(shoal_netif_stats(n)->drops[SHOAL_NETIF_DROP_DELETED], 2);
	assert_int_equal(c->drop_data[0][5], 1);
	assert_int_equal(c->drop_data[1][5], 2);
	/* the pool got its buffers back and the entries are reusable */
	struct shoal_netif_config cfg = *shoal_netif_config_get(n);
	for (size_t i = 0; i < cfg.nexthop_queue_max; i++)
		send_dgram(n, HOP3, (uint8_t)i, SHOAL_NETIF_QUEUED);
	netif_free(n, c);
}

/* ------------------------------------------------------------- iteration */

struct seen {
	struct shoal_netif_entry e[8];
	size_t count;
};

static int collect(void *ctx, const struct shoal_netif_entry *e)
{
	struct seen *s = ctx;
	assert_true(s->count < 8);
	s->e[s->count++] = *e;
	return 0;
}

static int stop_at_first(void *ctx, const struct shoal_netif_entry *e)
{
	(void)e;
	(*(int *)ctx)++;
	return 42;
}

static const struct shoal_netif_entry *seen_find(const struct seen *s, uint32_t ip)
{
	for (size_t i = 0; i < s->count; i++)
		if (s->e[i].ip == ip)
			return &s->e[i];
	return NULL;
}

static void test_iteration_reports_every_entry(void **state)
{
	(void)state;
	struct cap *c;
	struct shoal_netif *n = netif_new(&c, NULL);
	recv_reply(n, &peer_mac, HOP);
	shoal_netif_tick(n, 1000);
	assert_int_equal(shoal_netif_add_static(n, HOP2, &peer2_mac), SHOAL_NETIF_OK);
	send_dgram(n, HOP3, 1, SHOAL_NETIF_QUEUED);
	send_dgram(n, HOP3, 2, SHOAL_NETIF_QUEUED);
	shoal_netif_tick(n, 500);
	struct seen s = {0};
	assert_int_equal(shoal_netif_foreach(n, collect, &s), 0);
	assert_int_equal(s.count, 3);
	const struct shoal_netif_entry *e = seen_find(&s, HOP);
	assert_non_null(e);
	assert_int_equal(e->state, SHOAL_NETIF_ENTRY_DYNAMIC);
	assert_true(shoal_mac_equal(&e->mac, &peer_mac));
	assert_int_equal(e->remaining_ms, 30000 - 1500);
	assert_int_equal(e->queued, 0);
	e = seen_find(&s, HOP2);
	assert_non_null(e);
	assert_int_equal(e->state, SHOAL_NETIF_ENTRY_STATIC);
	assert_true(shoal_mac_equal(&e->mac, &peer2_mac));
	assert_int_equal(e->remaining_ms, 0);
	e = seen_find(&s, HOP3);
	assert_non_null(e);
	assert_int_equal(e->state, SHOAL_NETIF_ENTRY_PENDING);
	assert_true(shoal_mac_is_zero(&e->mac));
	assert_int_equal(e->remaining_ms, 15000 - 500);
	assert_int_equal(e->queued, 2);
	int calls = 0;
	assert_int_equal(shoal_netif_foreach(n, stop_at_first, &calls), 42);
	assert_int_equal(calls, 1);
	netif_free(n, c);
}

/* ------------------------------------------------------------- drops, zero-copy */

static void test_receive_drops_counted_by_reason(void **state)
{
	(void)state;
	struct cap *c;
	struct shoal_netif *n = netif_new(&c, NULL);
	uint8_t f[128];
	memset(f, 0, sizeof(f));
	assert_int_equal(shoal_netif_recv_frame(n, f, 13), SHOAL_NETIF_RX_DROPPED);
	size_t len = make_frame(f, &our_mac, &peer_mac, 0x86dd, f + 64, 40);
	assert_int_equal(shoal_netif_recv_frame(n, f, len), SHOAL_NETIF_RX_DROPPED);
	len = make_arp_frame(f, &our_mac, SHOAL_ARP_REPLY, &peer_mac, HOP, &our_mac, OUR_IP);
	f[SHOAL_ETH_HDR_LEN + 7] = 3; /* opcode 3 */
	assert_int_equal(shoal_netif_recv_frame(n, f, len), SHOAL_NETIF_RX_DROPPED);
	assert_int_equal(shoal_netif_recv_frame(n, f, SHOAL_ETH_HDR_LEN + 27),
	                 SHOAL_NETIF_RX_DROPPED);
	const struct shoal_netif_stats *st = shoal_netif_stats(n);
	assert_int_equal(st->drops[SHOAL_NETIF_DROP_BAD_FRAME], 1);
	assert_int_equal(st->drops[SHOAL_NETIF_DROP_UNKNOWN_ETHERTYPE], 1);
	assert_int_equal(st->drops[SHOAL_NETIF_DROP_BAD_ARP], 2);
	assert_int_equal(st->frames_in, 4);
	assert_int_equal(c->drops, 4);
	assert_int_equal(c->drop_lens[0], 13); /* receive drops report the frame */
	assert_int_equal(shoal_netif_entry_count(n), 0);
	uint64_t total = 0;
	for (int i = 0; i < SHOAL_NETIF_DROP_COUNT_; i++)
		total += st->drops[i];
	assert_int_equal(total, 4);
	assert_string_equal(shoal_netif_drop_names[SHOAL_NETIF_DROP_NOT_FOR_US], "not_for_us");
	assert_string_equal(shoal_netif_drop_names[SHOAL_NETIF_DROP_ARP_TIMEOUT], "arp_timeout");
	for (int i = 0; i < SHOAL_NETIF_DROP_COUNT_; i++)
		assert_non_null(shoal_netif_drop_descs[i]);
	netif_free(n, c);
}

static void test_input_zero_copy_points_into_frame(void **state)
{
	(void)state;
	struct cap *c;
	struct shoal_netif *n = netif_new(&c, NULL);
	uint8_t f[128], d[64];
	size_t dl = make_datagram(d, HOP, OUR_IP, 3, 4);
	make_frame(f, &our_mac, &peer_mac, SHOAL_ETHERTYPE_IPV4, d, dl);
	struct shoal_netif_rx rx;
	assert_int_equal(shoal_netif_input(n, f, 60, &rx), SHOAL_NETIF_RX_IPV4);
	assert_ptr_equal(rx.datagram, f + SHOAL_ETH_HDR_LEN);
	assert_int_equal(rx.len, dl);
	assert_int_equal(shoal_netif_rx_count(n), 0); /* not queued */
	size_t len = make_arp_frame(f, &our_mac, SHOAL_ARP_REPLY, &peer_mac, HOP, &our_mac, OUR_IP);
	assert_int_equal(shoal_netif_input(n, f, len, &rx), SHOAL_NETIF_RX_ARP);
	assert_true(alive(n, HOP));
	len = make_frame(f, &other_mac, &peer_mac, SHOAL_ETHERTYPE_IPV4, d, dl);
	assert_int_equal(shoal_netif_input(n, f, len, &rx), SHOAL_NETIF_RX_DROPPED);
	assert_int_equal(rx.drop, SHOAL_NETIF_DROP_NOT_FOR_US);
	netif_free(n, c);
}

static void test_send_headroom_writes_header_in_place(void **state)
{
	(void)state;
	struct cap *c;
	struct shoal_netif *n = netif_new(&c, NULL);
	uint8_t buf[128];
	size_t dl = make_datagram(buf + SHOAL_ETH_HDR_LEN, 0x05060708, 0x0d0c0b0a, 5, 20);
	/* unresolved: copied into the pool, the caller's buffer may be reused */
	assert_int_equal(shoal_netif_send_datagram_headroom(n, buf, dl, HOP), SHOAL_NETIF_QUEUED);
	memset(buf, 0xee, sizeof(buf));
	dl = make_datagram(buf + SHOAL_ETH_HDR_LEN, 0x05060708, 0x0d0c0b0a, 6, 20);
	recv_reply(n, &peer_mac, HOP);
	assert_int_equal(shoal_netif_send_datagram_headroom(n, buf, dl, HOP), SHOAL_NETIF_SENT);
	expect_request(c, HOP);
	expect_ipv4_frame(c, &peer_mac, 5);
	expect_ipv4_frame(c, &peer_mac, 6);
	struct shoal_eth_hdr h;
	assert_int_equal(shoal_eth_parse(buf, sizeof(buf), &h), SHOAL_WIRE_OK);
	assert_true(shoal_mac_equal(&h.dst, &peer_mac)); /* written into the caller's headroom */
	netif_free(n, c);
}

/* ------------------------------------------------------------- hash property */

static uint32_t rng_state = 0x12345678u;

static uint32_t rng_next(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* Static add/delete/lookup against a plain array; a small key space forces collisions and
 * long probe runs through the backward-shift deletion. */
static void test_cache_matches_model_under_random_add_delete(void **state)
{
	(void)state;
	enum { KEYS = 96, OPS = 20000, CAP = 64 };
	struct cap *c;
	struct shoal_netif_config cfg = {.cache_size = CAP};
	struct shoal_netif *n = netif_new(&c, &cfg);
	bool present[KEYS] = {0};
	uint8_t tag[KEYS] = {0};
	size_t count = 0;
	for (int op = 0; op < OPS; op++) {
		uint32_t k = rng_next() % KEYS;
		uint32_t ip = k * 0x01000000u + (k & 7); /* spread over high bits */
		struct shoal_mac mac = {{0x02, 0, 0, 0, 0, (uint8_t)op}};
		if (rng_next() % 2) {
			enum shoal_netif_status st = shoal_netif_add_static(n, ip, &mac);
			if (!present[k] && count == CAP) {
				assert_int_equal(st, SHOAL_NETIF_FULL);
			} else {
				assert_int_equal(st, SHOAL_NETIF_OK);
				count += !present[k];
				present[k] = true;
				tag[k] = (uint8_t)op;
			}
		} else {
			assert_int_equal(shoal_netif_delete(n, ip),
			                 present[k] ? SHOAL_NETIF_OK : SHOAL_NETIF_NOT_FOUND);
			count -= present[k];
			present[k] = false;
		}
		assert_int_equal(shoal_netif_entry_count(n), count);
		if (op % 64 == 0) {
			for (uint32_t j = 0; j < KEYS; j++) {
				struct shoal_netif_entry e;
				uint32_t jip = j * 0x01000000u + (j & 7);
				assert_int_equal(shoal_netif_lookup(n, jip, &e), present[j]);
				if (present[j])
					assert_int_equal(e.mac.b[5], tag[j]);
			}
		}
	}
	netif_free(n, c);
}

static void test_create_rejects_missing_transmit(void **state)
{
	(void)state;
	struct shoal_netif_config cfg = {0};
	assert_null(shoal_netif_create(&cfg));
	assert_null(shoal_netif_create(NULL));
	shoal_netif_destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rule_1_known_mac_sends_one_ipv4_frame),
	    cmocka_unit_test(test_rule_2_unknown_mac_broadcasts_request_and_queues),
	    cmocka_unit_test(test_rule_2_request_throttled_for_5s),
	    cmocka_unit_test(test_rule_2_request_throttle_boundary_is_5000ms),
	    cmocka_unit_test(test_rule_4_synchronous_reply_sends_the_queued_datagram),
	    cmocka_unit_test(test_rule_3_learns_from_reply),
	    cmocka_unit_test(test_rule_3_learns_from_request_for_other_ip),
	    cmocka_unit_test(test_rule_3_mapping_alive_10s_20s_gone_31s),
	    cmocka_unit_test(test_rule_3_mapping_alive_25s_gone_30_01s),
	    cmocka_unit_test(test_rule_3_relearning_refreshes),
	    cmocka_unit_test(test_rule_4_learning_sends_queue_in_order_and_clears_pending),
	    cmocka_unit_test(test_rule_5_request_for_our_ip_gets_unicast_reply),
	    cmocka_unit_test(test_rule_5_request_for_other_ip_not_answered),
	    cmocka_unit_test(test_rule_6_frame_not_for_us_ignored_without_learning),
	    cmocka_unit_test(test_rule_7_ipv4_for_us_queued_unparsable_dropped),
	    cmocka_unit_test(test_rule_8_time_only_advances_through_tick),
	    cmocka_unit_test(test_cache_bound_evicts_closest_to_expiry),
	    cmocka_unit_test(test_static_never_evicted_pending_evicted_first),
	    cmocka_unit_test(test_pending_budget_evicts_oldest_pending),
	    cmocka_unit_test(test_full_cache_evicts_pending_before_resolved),
	    cmocka_unit_test(test_pending_flood_does_not_starve_resolved_neighbour),
	    cmocka_unit_test(test_learning_refuses_off_subnet_and_own_address),
	    cmocka_unit_test(test_learning_without_prefix_takes_any_sender_but_us),
	    cmocka_unit_test(test_nexthop_queue_bound_drops_and_counts),
	    cmocka_unit_test(test_interface_queue_bound_drops_and_counts),
	    cmocka_unit_test(test_rx_queue_bound_drops_and_counts),
	    cmocka_unit_test(test_too_big_datagram_dropped),
	    cmocka_unit_test(test_too_big_in_place_sent_when_resolved),
	    cmocka_unit_test(test_pending_gives_up_after_timeout_and_reports),
	    cmocka_unit_test(test_pending_new_request_restarts_give_up_clock),
	    cmocka_unit_test(test_pending_give_up_order_follows_latest_request),
	    cmocka_unit_test(test_static_entry_never_expires_and_wins_over_learning),
	    cmocka_unit_test(test_static_on_pending_sends_queue),
	    cmocka_unit_test(test_flush_removes_dynamic_only),
	    cmocka_unit_test(test_delete_removes_one_entry_of_any_state),
	    cmocka_unit_test(test_iteration_reports_every_entry),
	    cmocka_unit_test(test_receive_drops_counted_by_reason),
	    cmocka_unit_test(test_input_zero_copy_points_into_frame),
	    cmocka_unit_test(test_send_headroom_writes_header_in_place),
	    cmocka_unit_test(test_cache_matches_model_under_random_add_delete),
	    cmocka_unit_test(test_create_rejects_missing_transmit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
