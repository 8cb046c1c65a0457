/*
 * Fuzz harness: the netif input/output path (shoal/netif.h) driven by an operation stream.
 *
 * The input is decoded as a sequence of operations on one small interface (cache of 8, queues
 * of 3 per next hop and 6 in all, so the bounds are reached): receive an ARP / IPv4 / raw
 * frame (copying or zero-copy), send a datagram (copying or in place), tick, add a static
 * entry, delete, flush, pop the receive queue. After every operation the harness checks:
 *   - every frame sent parses back (Ethernet, then ARP from us or the IPv4 datagram we sent)
 *     and an IPv4 frame goes to the MAC the cache holds for its next hop, in FIFO order;
 *   - each call's result matches what it did (SENT = one frame, DROPPED = one drop, ...);
 *   - the counters equal what the callbacks saw; each drop counted once;
 *   - the cache and queues are within their bounds, entries consistent with their state, and
 *     the datagrams queued equal queued - sent from the queue - dropped from the queue.
 */
#include "fuzz.h"
#include "shoal/arp.h"
#include "shoal/ethernet.h"
#include "shoal/ipv4.h"
#include "shoal/netif.h"

enum {
	NF_CACHE = 8,
	NF_NH_QUEUE = 3,
	NF_QUEUE = 6,
	NF_RX_QUEUE = 4,
	NF_MAX_DGRAM = 200,
	NF_IPS = 16,
	NF_TX_MAX = 64,
	NF_BUF = 2048,
};

static const uint32_t nf_our_ip = 0x0a000001; /* 10.0.0.1; candidates are 10.0.0.0/28 */
static const struct shoal_mac nf_our_mac = {{0x02, 0, 0, 0, 0, 0x01}};

struct nf_tx {
	uint32_t dst_ip;
	uint16_t id;
	struct shoal_mac dst_mac;
};

struct nf_state {
	/* cumulative, from the callbacks */
	uint64_t frames, arp_req, arp_rep, ipv4, drops[SHOAL_NETIF_DROP_COUNT_];
	uint64_t recv_calls, rx_ipv4;
	/* per operation */
	const uint8_t *own; /* the frame/datagram the operation passed in */
	unsigned own_drops, other_drops;
	size_t n_tx;
	struct nf_tx tx[NF_TX_MAX];
	/* models */
	long queued;             /* datagrams waiting in pending entries */
	uint16_t next_id;        /* id of the next datagram we send (ids are increasing) */
	int32_t last_id[NF_IPS]; /* id of the last datagram sent to each next hop */
};

static struct nf_state S;

static void nf_transmit(void *ctx, const uint8_t *frame, size_t len)
{
	(void)ctx;
	struct shoal_eth_hdr eth;
	FUZZ_CHECK(shoal_eth_parse(frame, len, &eth) == SHOAL_WIRE_OK);
	FUZZ_CHECK(shoal_mac_equal(&eth.src, &nf_our_mac));
	S.frames++;
	const uint8_t *p = frame + SHOAL_ETH_HDR_LEN;
	size_t plen = len - SHOAL_ETH_HDR_LEN;
	if (eth.ethertype == SHOAL_ETHERTYPE_ARP) {
		struct shoal_arp a;
		FUZZ_CHECK(shoal_arp_parse(p, plen, &a) == SHOAL_WIRE_OK);
		FUZZ_CHECK(shoal_mac_equal(&a.sender_mac, &nf_our_mac) && a.sender_ip == nf_our_ip);
		if (a.opcode == SHOAL_ARP_REQUEST) {
			S.arp_req++;
			FUZZ_CHECK(shoal_mac_is_broadcast(&eth.dst) &&
			           shoal_mac_is_zero(&a.target_mac));
		} else {
			S.arp_rep++;
			FUZZ_CHECK(shoal_mac_equal(&eth.dst, &a.target_mac));
		}
		return;
	}
	FUZZ_CHECK(eth.ethertype == SHOAL_ETHERTYPE_IPV4);
	struct shoal_ipv4_hdr ip;
	FUZZ_CHECK(shoal_ipv4_parse(p, plen, &ip) == SHOAL_WIRE_OK && ip.total_len == plen);
	FUZZ_CHECK((ip.dst & ~0xfu) == (nf_our_ip & ~0xfu)); /* one of ours: dst = next hop */
	S.ipv4++;
	FUZZ_CHECK(S.n_tx < NF_TX_MAX);
	S.tx[S.n_tx++] = (struct nf_tx){.dst_ip = ip.dst, .id = ip.id, .dst_mac = eth.dst};
}

static void nf_drop(void *ctx, enum shoal_netif_drop reason, const uint8_t *data, size_t len)
{
	(void)ctx;
	FUZZ_CHECK((unsigned)reason < SHOAL_NETIF_DROP_COUNT_);
	S.drops[reason]++;
	if (data == S.own) {
		S.own_drops++;
		return;
	}
	/* anything else dropped is a datagram we queued earlier */
	struct shoal_ipv4_hdr ip;
	FUZZ_CHECK(shoal_ipv4_parse(data, len, &ip) == SHOAL_WIRE_OK && ip.total_len == len);
	FUZZ_CHECK(ip.id < S.next_id);
	S.other_drops++;
}

static uint32_t nf_ip(uint8_t b)
{
	return (nf_our_ip & ~0xfu) | (b % NF_IPS);
}

static struct shoal_mac nf_mac(uint8_t b)
{
	switch (b % 11) {
	case 8:
		return nf_our_mac;
	case 9:
		return shoal_mac_broadcast;
	case 10:
		return (struct shoal_mac){{0}};
	default:
		return (struct shoal_mac){{0x02, 0, 0, 0, 1, (uint8_t)(b % 11)}};
	}
}

/* A datagram we send: dst = next hop (to check where it went), id = a sequence number. */
static size_t nf_datagram(struct fuzz_in *in, uint32_t next_hop, uint8_t *buf, size_t cap)
{
	size_t payload = fuzz_u8(in) * 2u; /* up to 510: past NF_MAX_DGRAM too */
	struct shoal_ipv4_hdr h = {.ttl = 64,
	                           .protocol = 17,
	                           .id = S.next_id++,
	                           .total_len = (uint16_t)(20 + payload),
	                           .src = nf_our_ip,
	                           .dst = next_hop};
	FUZZ_CHECK(20 + payload <= cap);
	FUZZ_CHECK(shoal_ipv4_serialize(&h, buf, cap) == 20);
	memset(buf + 20, 0xab, payload);
	return 20 + payload;
}

/* Builds a frame to receive into buf; returns its length. */
static size_t nf_frame(struct fuzz_in *in, uint8_t kind, uint8_t *buf, size_t cap)
{
	uint8_t b = fuzz_u8(in);
	struct shoal_eth_hdr eth = {.src = nf_mac(fuzz_u8(in))};
	eth.dst = b % 3 == 0 ? nf_our_mac : b % 3 == 1 ? shoal_mac_broadcast : nf_mac(b);
	if (kind == 0) { /* ARP */
		eth.ethertype = SHOAL_ETHERTYPE_ARP;
		uint8_t t = fuzz_u8(in);
		struct shoal_arp a = {.opcode = (uint16_t)(1 + (b >> 7)),
		                      .sender_mac = nf_mac(fuzz_u8(in)),
		                      .sender_ip = nf_ip(fuzz_u8(in)),
		                      .target_ip = t & 0x80 ? nf_our_ip : nf_ip(t)};
		shoal_eth_serialize(&eth, buf, cap);
		shoal_arp_serialize(&a, buf + SHOAL_ETH_HDR_LEN, cap - SHOAL_ETH_HDR_LEN);
		return SHOAL_ETH_HDR_LEN + SHOAL_ARP_LEN + (b >> 6 & 1) * 18; /* maybe padded */
	}
	if (kind == 1) { /* IPv4, maybe padded */
		eth.ethertype = SHOAL_ETHERTYPE_IPV4;
		shoal_eth_serialize(&eth, buf, cap);
		size_t n =
		    nf_datagram(in, nf_our_ip, buf + SHOAL_ETH_HDR_LEN, cap - SHOAL_ETH_HDR_LEN);
		S.next_id--; /* received datagrams do not take a send id */
		return SHOAL_ETH_HDR_LEN + n + (b >> 6 & 1) * 7;
	}
	return fuzz_bytes(in, buf, fuzz_u8(in)); /* raw bytes */
}

static void nf_begin(const uint8_t *own)
{
	S.own = own;
	S.own_drops = S.other_drops = 0;
	S.n_tx = 0;
}

struct nf_walk {
	size_t count, queued, pending;
	const struct shoal_netif_config *cfg;
};

static int nf_visit(void *ctx, const struct shoal_netif_entry *e)
{
	struct nf_walk *w = ctx;
	w->count++;
	w->queued += e->queued;
	FUZZ_CHECK(e->queued <= w->cfg->nexthop_queue_max);
	switch (e->state) {
	case SHOAL_NETIF_ENTRY_PENDING:
		w->pending++;
		FUZZ_CHECK(shoal_mac_is_zero(&e->mac) &&
		           e->remaining_ms <= w->cfg->pending_timeout_ms);
		break;
	case SHOAL_NETIF_ENTRY_DYNAMIC:
		FUZZ_CHECK(e->queued == 0 && e->remaining_ms > 0 &&
		           e->remaining_ms <= w->cfg->lifetime_ms);
		break;
	case SHOAL_NETIF_ENTRY_STATIC:
		FUZZ_CHECK(e->queued == 0 && e->remaining_ms == 0);
		break;
	default:
		FUZZ_CHECK(!"entry state");
	}
	return 0;
}

/* After each operation: the frames it sent, then every bound and counter. */
static void nf_check(struct shoal_netif *n)
{
	const struct shoal_netif_config *cfg = shoal_netif_config_get(n);
	for (size_t i = 0; i < S.n_tx; i++) {
		struct shoal_netif_entry e;
		FUZZ_CHECK(shoal_netif_lookup(n, S.tx[i].dst_ip, &e));
		FUZZ_CHECK(e.state != SHOAL_NETIF_ENTRY_PENDING);
		FUZZ_CHECK(shoal_mac_equal(&e.mac, &S.tx[i].dst_mac));
		int32_t *last = &S.last_id[S.tx[i].dst_ip & 0xf];
		FUZZ_CHECK((int32_t)S.tx[i].id > *last); /* FIFO per next hop */
		*last = S.tx[i].id;
	}
	struct nf_walk w = {.cfg = cfg};
	FUZZ_CHECK(shoal_netif_foreach(n, nf_visit, &w) == 0);
	FUZZ_CHECK(w.count == shoal_netif_entry_count(n) && w.count <= cfg->cache_size);
	FUZZ_CHECK(w.queued <= cfg->queue_max);
	FUZZ_CHECK(w.pending <= cfg->pending_max); /* the pending budget */
	FUZZ_CHECK(S.queued >= 0 && w.queued == (size_t)S.queued);
	FUZZ_CHECK(shoal_netif_rx_count(n) <= cfg->rx_queue_max);

	const struct shoal_netif_stats *st = shoal_netif_stats(n);
	FUZZ_CHECK(st->frames_out == S.frames && st->arp_requests_out == S.arp_req &&
	           st->arp_replies_out == S.arp_rep && st->datagrams_out == S.ipv4);
	FUZZ_CHECK(st->frames_in == S.recv_calls && st->datagrams_in == S.rx_ipv4);
	/* evict_pending/evict_resolved count entries and are not reported through the callback */
	for (unsigned r = 0; r < SHOAL_NETIF_DROP_COUNT_; r++)
		FUZZ_CHECK(st->drops[r] == S.drops[r] || r == SHOAL_NETIF_DROP_EVICT_PENDING ||
		           r == SHOAL_NETIF_DROP_EVICT_RESOLVED);
	/* every evicted pending entry with a queue reported its datagrams */
	FUZZ_CHECK(st->drops[SHOAL_NETIF_DROP_EVICTED_QUEUED] <=
	           st->drops[SHOAL_NETIF_DROP_EVICT_PENDING] * cfg->nexthop_queue_max);
}

static void nf_recv(struct shoal_netif *n, struct fuzz_in *in, uint8_t kind, bool zero_copy)
{
	static uint8_t frame[NF_BUF];
	size_t len = nf_frame(in, kind, frame, sizeof(frame));
	size_t rx_before = shoal_netif_rx_count(n);
	nf_begin(frame);
	S.recv_calls++;
	enum shoal_netif_rx_kind k;
	if (zero_copy) {
		struct shoal_netif_rx rx;
		k = shoal_netif_input(n, frame, len, &rx);
		FUZZ_CHECK(rx.kind == k);
		if (k == SHOAL_NETIF_RX_IPV4) {
			struct shoal_ipv4_hdr ip;
			FUZZ_CHECK(rx.datagram == frame + SHOAL_ETH_HDR_LEN);
			FUZZ_CHECK(rx.len <= len - SHOAL_ETH_HDR_LEN);
			FUZZ_CHECK(shoal_ipv4_parse(rx.datagram, rx.len, &ip) == SHOAL_WIRE_OK &&
			           ip.total_len == rx.len);
		}
		if (k == SHOAL_NETIF_RX_DROPPED)
			FUZZ_CHECK((unsigned)rx.drop < SHOAL_NETIF_DROP_COUNT_);
		FUZZ_CHECK(shoal_netif_rx_count(n) == rx_before);
	} else {
		k = shoal_netif_recv_frame(n, frame, len);
		FUZZ_CHECK(shoal_netif_rx_count(n) == rx_before + (k == SHOAL_NETIF_RX_IPV4));
	}
	S.rx_ipv4 += k == SHOAL_NETIF_RX_IPV4;
	FUZZ_CHECK(S.own_drops == (k == SHOAL_NETIF_RX_DROPPED) ||
	           (k == SHOAL_NETIF_RX_ARP && S.own_drops <= 1));
	if (k != SHOAL_NETIF_RX_ARP)
		FUZZ_CHECK(S.n_tx == 0 && S.other_drops == 0); /* only ARP changes the cache */
	S.queued -= (long)(S.n_tx + S.other_drops);
}

static void nf_send(struct shoal_netif *n, struct fuzz_in *in, bool in_place)
{
	static uint8_t buf[NF_BUF];
	uint32_t nh = nf_ip(fuzz_u8(in));
	size_t len = nf_datagram(in, nh, buf + SHOAL_ETH_HDR_LEN, sizeof(buf) - SHOAL_ETH_HDR_LEN);
	uint16_t id = (uint16_t)(S.next_id - 1);
	nf_begin(buf + SHOAL_ETH_HDR_LEN);
	enum shoal_netif_send_result r =
	    in_place ? shoal_netif_send_datagram_headroom(n, buf, len, nh)
	             : shoal_netif_send_datagram(n, buf + SHOAL_ETH_HDR_LEN, len, nh);
	size_t mine = 0;
	for (size_t i = 0; i < S.n_tx; i++)
		mine += S.tx[i].id == id;
	FUZZ_CHECK(mine == (r == SHOAL_NETIF_SENT));
	FUZZ_CHECK(S.own_drops == (r == SHOAL_NETIF_DROPPED));
	if (r != SHOAL_NETIF_SENT && !in_place)
		FUZZ_CHECK(len <= NF_MAX_DGRAM || r == SHOAL_NETIF_DROPPED);
	if (r == SHOAL_NETIF_QUEUED)
		FUZZ_CHECK(len <= NF_MAX_DGRAM);
	S.queued += (r == SHOAL_NETIF_QUEUED) - (long)(S.n_tx - mine + S.other_drops);
}

static void nf_other(struct shoal_netif *n, struct fuzz_in *in, uint8_t op)
{
	nf_begin(NULL);
	switch (op) {
	case 5:
		shoal_netif_tick(n, fuzz_u16(in));
		break;
	case 6: {
		uint32_t ip = nf_ip(fuzz_u8(in));
		struct shoal_mac mac = nf_mac(fuzz_u8(in) % 8);
		if (shoal_netif_add_static(n, ip, &mac) == SHOAL_NETIF_OK) {
			struct shoal_netif_entry e;
			FUZZ_CHECK(shoal_netif_lookup(n, ip, &e) &&
			           e.state == SHOAL_NETIF_ENTRY_STATIC &&
			           shoal_mac_equal(&e.mac, &mac));
		}
		break;
	}
	case 7: {
		uint32_t ip = nf_ip(fuzz_u8(in));
		struct shoal_netif_entry e;
		bool had = shoal_netif_lookup(n, ip, &e);
		FUZZ_CHECK((shoal_netif_delete(n, ip) == SHOAL_NETIF_OK) == had);
		FUZZ_CHECK(!shoal_netif_lookup(n, ip, &e));
		break;
	}
	case 8: {
		size_t before = shoal_netif_entry_count(n);
		size_t gone = shoal_netif_flush(n);
		FUZZ_CHECK(shoal_netif_entry_count(n) == before - gone);
		break;
	}
	default: {
		size_t len = 0;
		uint8_t *d = shoal_netif_rx_peek(n, &len);
		FUZZ_CHECK((d == NULL) == (shoal_netif_rx_count(n) == 0));
		if (d) {
			struct shoal_ipv4_hdr ip;
			FUZZ_CHECK(len <= NF_MAX_DGRAM);
			FUZZ_CHECK(shoal_ipv4_parse(d, len, &ip) == SHOAL_WIRE_OK &&
			           ip.total_len == len);
			size_t before = shoal_netif_rx_count(n);
			shoal_netif_rx_pop(n);
			FUZZ_CHECK(shoal_netif_rx_count(n) == before - 1);
		}
		break;
	}
	}
	S.queued -= (long)(S.n_tx + S.other_drops);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	memset(&S, 0, sizeof(S));
	for (unsigned i = 0; i < NF_IPS; i++)
		S.last_id[i] = -1;
	struct shoal_netif_config cfg = {.mac = nf_our_mac,
	                                 .ip = nf_our_ip,
	                                 .request_interval_ms = 1000,
	                                 .lifetime_ms = 4000,
	                                 .pending_timeout_ms = 3000,
	                                 .cache_size = NF_CACHE,
	                                 .nexthop_queue_max = NF_NH_QUEUE,
	                                 .queue_max = NF_QUEUE,
	                                 .rx_queue_max = NF_RX_QUEUE,
	                                 .max_datagram = NF_MAX_DGRAM,
	                                 .transmit = nf_transmit,
	                                 .drop = nf_drop};
	struct shoal_netif *n = shoal_netif_create(&cfg);
	FUZZ_CHECK(n != NULL);
	struct fuzz_in in = {data, size};
	while (in.left > 0 && S.next_id < 60000) {
		uint8_t op = fuzz_u8(&in);
		switch (op % 10) {
		case 0:
		case 1:
		case 2:
			nf_recv(n, &in, op % 10, op & 0x80);
			break;
		case 3:
		case 4:
			nf_send(n, &in, op % 10 == 4);
			break;
		default:
			nf_other(n, &in, op % 10);
			break;
		}
		nf_check(n);
	}
	shoal_netif_destroy(n);
	return 0;
}
