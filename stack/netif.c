/*
 * netif.c — Ethernet interface with ARP cache. Contract in shoal/netif.h.
 *
 * Layout: entries[cache_size] is the cache. A linear-probing hash table (slots, power of two,
 * at least twice the cache size, backward-shift deletion) maps IP -> entry index. Dynamic
 * entries sit on one list ordered by learn/refresh time (head = oldest = first to expire and
 * first to evict), pending entries on another ordered by latest request (head = first to give
 * up), free entries on a singly linked free list; static entries are on no list. Each list
 * keeps its length, so the pending budget and "evict pending first" are O(1).
 * Queued datagrams live in a pool of queue_max buffers, each with Ethernet-header room in
 * front so a resolved queue is transmitted without another copy; a pending entry chains its
 * buffers FIFO through pkt_next. Received datagrams live in a ring of rx_queue_max buffers.
 */
#include "shoal/netif.h"

#include <stdlib.h>
#include <string.h>

#include "shoal/arp.h"
#include "shoal/ethernet.h"
#include "shoal/ipv4.h"

#define SHOAL_NETIF_NAME_(suffix, name, desc) name,
const char *const shoal_netif_drop_names[SHOAL_NETIF_DROP_COUNT_] = {
    SHOAL_NETIF_DROPS(SHOAL_NETIF_NAME_)};
#undef SHOAL_NETIF_NAME_
#define SHOAL_NETIF_DESC_(suffix, name, desc) desc,
const char *const shoal_netif_drop_descs[SHOAL_NETIF_DROP_COUNT_] = {
    SHOAL_NETIF_DROPS(SHOAL_NETIF_DESC_)};
#undef SHOAL_NETIF_DESC_

enum {
	NETIF_NIL = UINT32_MAX,
	NETIF_ARP_FRAME_LEN = SHOAL_ETH_HDR_LEN + SHOAL_ARP_LEN,
};

enum netif_state {
	NETIF_FREE = 0,
	NETIF_DYNAMIC,
	NETIF_STATIC,
	NETIF_PENDING,
};

struct netif_entry {
	uint32_t ip;
	struct shoal_mac mac;
	uint8_t state;  /* enum netif_state */
	uint64_t stamp; /* dynamic: learned/refreshed at; pending: latest request at */
	uint32_t prev;  /* list links (dynamic or pending list); next also links the free list */
	uint32_t next;
	uint32_t q_head; /* pending: FIFO of pool buffers */
	uint32_t q_tail;
	uint32_t q_count;
};

struct netif_list {
	uint32_t head;
	uint32_t tail;
	size_t len;
};

struct shoal_netif {
	struct shoal_netif_config cfg;
	uint64_t now;
	struct shoal_netif_stats stats;

	struct netif_entry *entries;
	uint32_t free_head;
	size_t used;
	struct netif_list dynamic;
	struct netif_list pending;

	uint32_t *slots; /* entry index or NETIF_NIL */
	uint32_t slot_mask;
	unsigned slot_shift;

	size_t stride; /* bytes per pool/rx buffer: header room + max_datagram */
	uint8_t *pool;
	uint32_t *pkt_next;
	uint32_t *pkt_len;
	uint32_t pkt_free;

	uint8_t *rx;
	uint32_t *rx_len;
	size_t rx_head;
	size_t rx_count;

	uint8_t *scratch; /* one frame for the copying send path */
};

/* ---------------------------------------------------------------- helpers */

static void netif_drop_report(struct shoal_netif *n, enum shoal_netif_drop why, const uint8_t *data,
                              size_t len)
{
	n->stats.drops[why]++;
	if (n->cfg.drop)
		n->cfg.drop(n->cfg.ctx, why, data, len);
}

static void netif_frame_transmit(struct shoal_netif *n, uint8_t *frame, const struct shoal_mac *dst,
                                 uint16_t ethertype, size_t payload_len)
{
	struct shoal_eth_hdr h = {.dst = *dst, .src = n->cfg.mac, .ethertype = ethertype};
	shoal_eth_serialize(&h, frame, SHOAL_ETH_HDR_LEN);
	n->stats.frames_out++;
	n->cfg.transmit(n->cfg.ctx, frame, SHOAL_ETH_HDR_LEN + payload_len);
}

static void netif_arp_send(struct shoal_netif *n, uint16_t opcode, const struct shoal_mac *eth_dst,
                           const struct shoal_mac *target_mac, uint32_t target_ip)
{
	uint8_t frame[NETIF_ARP_FRAME_LEN];
	struct shoal_arp a = {.opcode = opcode,
	                      .sender_mac = n->cfg.mac,
	                      .sender_ip = n->cfg.ip,
	                      .target_mac = *target_mac,
	                      .target_ip = target_ip};
	shoal_arp_serialize(&a, frame + SHOAL_ETH_HDR_LEN, SHOAL_ARP_LEN);
	if (opcode == SHOAL_ARP_REQUEST)
		n->stats.arp_requests_out++;
	else
		n->stats.arp_replies_out++;
	netif_frame_transmit(n, frame, eth_dst, SHOAL_ETHERTYPE_ARP, SHOAL_ARP_LEN);
}

static void netif_request_send(struct shoal_netif *n, uint32_t ip)
{
	static const struct shoal_mac zero = {{0}};
	netif_arp_send(n, SHOAL_ARP_REQUEST, &shoal_mac_broadcast, &zero, ip);
}

static uint8_t *netif_pkt_buf(const struct shoal_netif *n, uint32_t pkt)
{
	return n->pool + (size_t)pkt * n->stride;
}

/* ---------------------------------------------------------------- lists */

static struct netif_list *netif_list_of(struct shoal_netif *n, uint8_t state)
{
	return state == NETIF_DYNAMIC ? &n->dynamic : &n->pending;
}

static void netif_list_append(struct shoal_netif *n, struct netif_list *l, uint32_t idx)
{
	struct netif_entry *e = &n->entries[idx];
	e->prev = l->tail;
	e->next = NETIF_NIL;
	if (l->tail != NETIF_NIL)
		n->entries[l->tail].next = idx;
	else
		l->head = idx;
	l->tail = idx;
	l->len++;
}

static void netif_list_unlink(struct shoal_netif *n, struct netif_list *l, uint32_t idx)
{
	struct netif_entry *e = &n->entries[idx];
	if (e->prev != NETIF_NIL)
		n->entries[e->prev].next = e->next;
	else
		l->head = e->next;
	if (e->next != NETIF_NIL)
		n->entries[e->next].prev = e->prev;
	else
		l->tail = e->prev;
	e->prev = e->next = NETIF_NIL;
	l->len--;
}

/* ---------------------------------------------------------------- hash */

static uint32_t netif_slot_home(const struct shoal_netif *n, uint32_t ip)
{
	return (uint32_t)((ip * 2654435761u) >> n->slot_shift) & n->slot_mask;
}

static uint32_t netif_slot_find(const struct shoal_netif *n, uint32_t ip)
{
	uint32_t i = netif_slot_home(n, ip);
	while (n->slots[i] != NETIF_NIL) {
		if (n->entries[n->slots[i]].ip == ip)
			return i;
		i = (i + 1) & n->slot_mask;
	}
	return NETIF_NIL;
}

static uint32_t netif_entry_find(const struct shoal_netif *n, uint32_t ip)
{
	uint32_t s = netif_slot_find(n, ip);
	return s == NETIF_NIL ? NETIF_NIL : n->slots[s];
}

static void netif_slot_insert(struct shoal_netif *n, uint32_t idx)
{
	uint32_t i = netif_slot_home(n, n->entries[idx].ip);
	while (n->slots[i] != NETIF_NIL)
		i = (i + 1) & n->slot_mask;
	n->slots[i] = idx;
}

/* Backward-shift deletion keeps every probe sequence unbroken without tombstones. */
static void netif_slot_remove(struct shoal_netif *n, uint32_t i)
{
	uint32_t j = i;
	n->slots[i] = NETIF_NIL;
	for (;;) {
		j = (j + 1) & n->slot_mask;
		if (n->slots[j] == NETIF_NIL)
			return;
		uint32_t k = netif_slot_home(n, n->entries[n->slots[j]].ip);
		bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
		if (stays)
			continue;
		n->slots[i] = n->slots[j];
		n->slots[j] = NETIF_NIL;
		i = j;
	}
}

/* ---------------------------------------------------------------- entries */

/* Removes an entry whose queue is already empty. */
static void netif_entry_remove(struct shoal_netif *n, uint32_t idx)
{
	struct netif_entry *e = &n->entries[idx];
	if (e->state == NETIF_DYNAMIC || e->state == NETIF_PENDING)
		netif_list_unlink(n, netif_list_of(n, e->state), idx);
	netif_slot_remove(n, netif_slot_find(n, e->ip));
	e->state = NETIF_FREE;
	e->next = n->free_head;
	n->free_head = idx;
	n->used--;
}

static void netif_queue_drop(struct shoal_netif *n, struct netif_entry *e,
                             enum shoal_netif_drop why);

/* Evicts the oldest pending entry (its queue dropped as EVICTED_QUEUED); false if none. */
static bool netif_evict_pending(struct shoal_netif *n)
{
	uint32_t idx = n->pending.head;
	if (idx == NETIF_NIL)
		return false;
	n->stats.drops[SHOAL_NETIF_DROP_EVICT_PENDING]++;
	netif_queue_drop(n, &n->entries[idx], SHOAL_NETIF_DROP_EVICTED_QUEUED);
	netif_entry_remove(n, idx);
	return true;
}

/* A free entry for ip (not yet in any list). A new pending entry beyond pending_max evicts
 * the oldest pending one; a full cache evicts the oldest pending entry, else the dynamic
 * entry closest to expiry, never a static one. */
static uint32_t netif_entry_alloc(struct shoal_netif *n, uint32_t ip, bool pending)
{
	if (pending && n->pending.len >= n->cfg.pending_max)
		netif_evict_pending(n);
	if (n->free_head == NETIF_NIL && !netif_evict_pending(n)) {
		if (n->dynamic.head == NETIF_NIL)
			return NETIF_NIL;
		n->stats.drops[SHOAL_NETIF_DROP_EVICT_RESOLVED]++;
		netif_entry_remove(n, n->dynamic.head);
	}
	uint32_t idx = n->free_head;
	struct netif_entry *e = &n->entries[idx];
	n->free_head = e->next;
	memset(e, 0, sizeof(*e));
	e->ip = ip;
	e->prev = e->next = NETIF_NIL;
	e->q_head = e->q_tail = NETIF_NIL;
	netif_slot_insert(n, idx);
	n->used++;
	return idx;
}

static uint32_t netif_queue_pop(struct shoal_netif *n, struct netif_entry *e)
{
	uint32_t pkt = e->q_head;
	e->q_head = n->pkt_next[pkt];
	if (e->q_head == NETIF_NIL)
		e->q_tail = NETIF_NIL;
	e->q_count--;
	return pkt;
}

static void netif_pkt_free(struct shoal_netif *n, uint32_t pkt)
{
	n->pkt_next[pkt] = n->pkt_free;
	n->pkt_free = pkt;
}

static void netif_queue_transmit(struct shoal_netif *n, struct netif_entry *e)
{
	while (e->q_head != NETIF_NIL) {
		uint32_t pkt = netif_queue_pop(n, e);
		n->stats.datagrams_out++;
		netif_frame_transmit(n, netif_pkt_buf(n, pkt), &e->mac, SHOAL_ETHERTYPE_IPV4,
		                     n->pkt_len[pkt]);
		netif_pkt_free(n, pkt);
	}
}

static void netif_queue_drop(struct shoal_netif *n, struct netif_entry *e,
                             enum shoal_netif_drop why)
{
	while (e->q_head != NETIF_NIL) {
		uint32_t pkt = netif_queue_pop(n, e);
		netif_drop_report(n, why, netif_pkt_buf(n, pkt) + SHOAL_ETH_HDR_LEN,
		                  n->pkt_len[pkt]);
		netif_pkt_free(n, pkt);
	}
}

/* Pending -> resolved (dynamic or static); transmits the queue in order. */
static void netif_entry_resolve(struct shoal_netif *n, uint32_t idx, const struct shoal_mac *mac,
                                uint8_t state)
{
	struct netif_entry *e = &n->entries[idx];
	if (e->state == NETIF_DYNAMIC || e->state == NETIF_PENDING)
		netif_list_unlink(n, netif_list_of(n, e->state), idx);
	e->mac = *mac;
	e->state = state;
	e->stamp = n->now;
	if (state == NETIF_DYNAMIC)
		netif_list_append(n, &n->dynamic, idx);
	netif_queue_transmit(n, e);
}

/* Returns false when the mapping could not be stored (cache full of static entries). */
static bool netif_learn(struct shoal_netif *n, uint32_t ip, const struct shoal_mac *mac)
{
	uint32_t idx = netif_entry_find(n, ip);
	if (idx == NETIF_NIL) {
		idx = netif_entry_alloc(n, ip, false);
		if (idx == NETIF_NIL)
			return false;
	} else if (n->entries[idx].state == NETIF_STATIC) {
		return true; /* static entries are administrative: learning never overrides them */
	}
	netif_entry_resolve(n, idx, mac, NETIF_DYNAMIC);
	return true;
}

/* ---------------------------------------------------------------- lifecycle */

static void netif_config_defaults(struct shoal_netif_config *c)
{
	if (!c->request_interval_ms)
		c->request_interval_ms = SHOAL_NETIF_DEFAULT_REQUEST_INTERVAL_MS;
	if (!c->lifetime_ms)
		c->lifetime_ms = SHOAL_NETIF_DEFAULT_LIFETIME_MS;
	if (!c->pending_timeout_ms)
		c->pending_timeout_ms = SHOAL_NETIF_DEFAULT_PENDING_TIMEOUT_MS;
	if (!c->cache_size)
		c->cache_size = SHOAL_NETIF_DEFAULT_CACHE_SIZE;
	if (!c->pending_max)
		c->pending_max = c->cache_size / 4 ? c->cache_size / 4 : 1;
	if (c->pending_max > c->cache_size)
		c->pending_max = c->cache_size;
	if (c->prefix_len > 32)
		c->prefix_len = 32;
	if (!c->nexthop_queue_max)
		c->nexthop_queue_max = SHOAL_NETIF_DEFAULT_NEXTHOP_QUEUE;
	if (!c->queue_max)
		c->queue_max = SHOAL_NETIF_DEFAULT_QUEUE;
	if (!c->rx_queue_max)
		c->rx_queue_max = SHOAL_NETIF_DEFAULT_RX_QUEUE;
	if (!c->max_datagram)
		c->max_datagram = SHOAL_NETIF_DEFAULT_MAX_DATAGRAM;
}

void shoal_netif_destroy(struct shoal_netif *n)
{
	if (!n)
		return;
	free(n->scratch);
	free(n->rx_len);
	free(n->rx);
	free(n->pkt_len);
	free(n->pkt_next);
	free(n->pool);
	free(n->slots);
	free(n->entries);
	free(n);
}

struct shoal_netif *shoal_netif_create(const struct shoal_netif_config *cfg)
{
	if (!cfg || !cfg->transmit)
		return NULL;
	struct shoal_netif *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->cfg = *cfg;
	netif_config_defaults(&n->cfg);
	const struct shoal_netif_config *c = &n->cfg;
	/* Indices are 32-bit with UINT32_MAX reserved; refuse sizes that cannot be indexed. */
	if (c->cache_size > (1u << 30) || c->queue_max >= NETIF_NIL ||
	    c->max_datagram > UINT32_MAX - SHOAL_ETH_HDR_LEN) {
		free(n);
		return NULL;
	}

	size_t slots = 1;
	unsigned bits = 0;
	while (slots < 2 * c->cache_size) {
		slots <<= 1;
		bits++;
	}
	n->slot_mask = (uint32_t)(slots - 1);
	n->slot_shift = 32 - (bits ? bits : 1);
	n->stride = (SHOAL_ETH_HDR_LEN + c->max_datagram + 7) & ~(size_t)7;

	n->entries = calloc(c->cache_size, sizeof(*n->entries));
	n->slots = malloc(slots * sizeof(*n->slots));
	n->pool = malloc(c->queue_max * n->stride);
	n->pkt_next = malloc(c->queue_max * sizeof(*n->pkt_next));
	n->pkt_len = calloc(c->queue_max, sizeof(*n->pkt_len));
	n->rx = malloc(c->rx_queue_max * n->stride);
	n->rx_len = calloc(c->rx_queue_max, sizeof(*n->rx_len));
	n->scratch = malloc(n->stride);
	if (!n->entries || !n->slots || !n->pool || !n->pkt_next || !n->pkt_len || !n->rx ||
	    !n->rx_len || !n->scratch) {
		shoal_netif_destroy(n);
		return NULL;
	}

	memset(n->slots, 0xff, slots * sizeof(*n->slots));
	for (size_t i = 0; i < c->cache_size; i++)
		n->entries[i].next = i + 1 < c->cache_size ? (uint32_t)(i + 1) : NETIF_NIL;
	n->free_head = 0;
	for (size_t i = 0; i < c->queue_max; i++)
		n->pkt_next[i] = i + 1 < c->queue_max ? (uint32_t)(i + 1) : NETIF_NIL;
	n->pkt_free = 0;
	n->dynamic.head = n->dynamic.tail = NETIF_NIL;
	n->pending.head = n->pending.tail = NETIF_NIL;
	return n;
}

const struct shoal_netif_config *shoal_netif_config_get(const struct shoal_netif *n)
{
	return &n->cfg;
}

/* ---------------------------------------------------------------- send */

static enum shoal_netif_send_result netif_enqueue(struct shoal_netif *n, uint32_t idx,
                                                  const uint8_t *datagram, size_t len);

/* dgram_buf: SHOAL_ETH_HDR_LEN bytes of writable room, then len datagram bytes. */
static enum shoal_netif_send_result netif_send(struct shoal_netif *n, uint8_t *frame,
                                               const uint8_t *datagram, size_t len,
                                               uint32_t next_hop)
{
	/* max_datagram bounds what must be copied (the scratch buffer, the queue pool); a
	 * datagram sent in place to a resolved next hop may be longer (a GSO super-frame). */
	bool in_place = frame + SHOAL_ETH_HDR_LEN == datagram;
	if (len > n->cfg.max_datagram && !in_place) {
		netif_drop_report(n, SHOAL_NETIF_DROP_TOO_BIG, datagram, len);
		return SHOAL_NETIF_DROPPED;
	}
	uint32_t idx = netif_entry_find(n, next_hop);
	if (idx != NETIF_NIL && n->entries[idx].state != NETIF_PENDING) {
		if (!in_place)
			memcpy(frame + SHOAL_ETH_HDR_LEN, datagram, len);
		n->stats.datagrams_out++;
		netif_frame_transmit(n, frame, &n->entries[idx].mac, SHOAL_ETHERTYPE_IPV4, len);
		return SHOAL_NETIF_SENT;
	}

	bool request = false;
	if (idx == NETIF_NIL) {
		idx = netif_entry_alloc(n, next_hop, true);
		if (idx == NETIF_NIL) {
			netif_drop_report(n, SHOAL_NETIF_DROP_CACHE_FULL, datagram, len);
			return SHOAL_NETIF_DROPPED;
		}
		n->entries[idx].state = NETIF_PENDING;
		n->entries[idx].stamp = n->now;
		netif_list_append(n, &n->pending, idx);
		request = true;
	} else if (n->now - n->entries[idx].stamp >= n->cfg.request_interval_ms) {
		netif_list_unlink(n, &n->pending, idx);
		n->entries[idx].stamp = n->now;
		netif_list_append(n, &n->pending, idx);
		request = true;
	} else {
		n->stats.arp_requests_throttled++; /* asked less than request_interval_ms ago */
	}
	/* Queue first, then request: a reply delivered from inside the transmit callback (an
	 * in-process peer) resolves the entry and finds the datagram already queued. */
	enum shoal_netif_send_result res = netif_enqueue(n, idx, datagram, len);
	if (request)
		netif_request_send(n, next_hop);
	return res;
}

/* Appends a copy of the datagram to pending entry idx's queue, or drops it (counted). */
static enum shoal_netif_send_result netif_enqueue(struct shoal_netif *n, uint32_t idx,
                                                  const uint8_t *datagram, size_t len)
{
	struct netif_entry *e = &n->entries[idx];
	if (len > n->cfg.max_datagram) {
		netif_drop_report(n, SHOAL_NETIF_DROP_TOO_BIG, datagram, len);
		return SHOAL_NETIF_DROPPED;
	}
	if (e->q_count >= n->cfg.nexthop_queue_max) {
		netif_drop_report(n, SHOAL_NETIF_DROP_QUEUE_FULL_NEXTHOP, datagram, len);
		return SHOAL_NETIF_DROPPED;
	}
	if (n->pkt_free == NETIF_NIL) {
		netif_drop_report(n, SHOAL_NETIF_DROP_QUEUE_FULL_INTERFACE, datagram, len);
		return SHOAL_NETIF_DROPPED;
	}
	uint32_t pkt = n->pkt_free;
	n->pkt_free = n->pkt_next[pkt];
	memcpy(netif_pkt_buf(n, pkt) + SHOAL_ETH_HDR_LEN, datagram, len);
	n->pkt_len[pkt] = (uint32_t)len;
	n->pkt_next[pkt] = NETIF_NIL;
	if (e->q_tail != NETIF_NIL)
		n->pkt_next[e->q_tail] = pkt;
	else
		e->q_head = pkt;
	e->q_tail = pkt;
	e->q_count++;
	return SHOAL_NETIF_QUEUED;
}

enum shoal_netif_send_result shoal_netif_send_datagram(struct shoal_netif *n,
                                                       const uint8_t *datagram, size_t len,
                                                       uint32_t next_hop)
{
	return netif_send(n, n->scratch, datagram, len, next_hop);
}

enum shoal_netif_send_result shoal_netif_send_datagram_headroom(struct shoal_netif *n, uint8_t *buf,
                                                                size_t len, uint32_t next_hop)
{
	return netif_send(n, buf, buf + SHOAL_ETH_HDR_LEN, len, next_hop);
}

/* ---------------------------------------------------------------- receive */

static enum shoal_netif_rx_kind netif_rx_drop(struct shoal_netif *n, enum shoal_netif_drop why,
                                              const uint8_t *frame, size_t len,
                                              struct shoal_netif_rx *out)
{
	netif_drop_report(n, why, frame, len);
	out->kind = SHOAL_NETIF_RX_DROPPED;
	out->drop = why;
	return out->kind;
}

/* A sender we may learn: inside ip/prefix_len (any address when prefix_len is 0), and
 * neither the network nor the broadcast address of a /30 or shorter. */
static bool netif_on_subnet(const struct shoal_netif *n, uint32_t ip)
{
	uint8_t plen = n->cfg.prefix_len;
	if (plen == 0)
		return true;
	uint32_t mask = plen >= 32 ? UINT32_MAX : ~(UINT32_MAX >> plen);
	if ((ip & mask) != (n->cfg.ip & mask))
		return false;
	return plen > 30 || ((ip & ~mask) != 0 && (ip & ~mask) != ~mask);
}

/* Classifies and handles one frame; for IPv4 sets out->len (datagram at frame + header). */
static enum shoal_netif_rx_kind netif_classify(struct shoal_netif *n, const uint8_t *frame,
                                               size_t len, struct shoal_netif_rx *out)
{
	struct shoal_eth_hdr eth;
	n->stats.frames_in++;
	out->datagram = NULL;
	out->len = 0;
	out->drop = SHOAL_NETIF_DROP_COUNT_;
	if (shoal_eth_parse(frame, len, &eth) != SHOAL_WIRE_OK)
		return netif_rx_drop(n, SHOAL_NETIF_DROP_BAD_FRAME, frame, len, out);
	if (!shoal_mac_equal(&eth.dst, &n->cfg.mac) && !shoal_mac_is_broadcast(&eth.dst))
		return netif_rx_drop(n, SHOAL_NETIF_DROP_NOT_FOR_US, frame, len, out);

	const uint8_t *payload = frame + SHOAL_ETH_HDR_LEN;
	size_t plen = len - SHOAL_ETH_HDR_LEN;
	if (eth.ethertype == SHOAL_ETHERTYPE_IPV4) {
		struct shoal_ipv4_hdr ip;
		if (shoal_ipv4_parse(payload, plen, &ip) != SHOAL_WIRE_OK)
			return netif_rx_drop(n, SHOAL_NETIF_DROP_BAD_IPV4, frame, len, out);
		out->kind = SHOAL_NETIF_RX_IPV4;
		out->len = ip.total_len;
		return out->kind;
	}
	if (eth.ethertype != SHOAL_ETHERTYPE_ARP)
		return netif_rx_drop(n, SHOAL_NETIF_DROP_UNKNOWN_ETHERTYPE, frame, len, out);

	struct shoal_arp arp;
	if (shoal_arp_parse(payload, plen, &arp) != SHOAL_WIRE_OK)
		return netif_rx_drop(n, SHOAL_NETIF_DROP_BAD_ARP, frame, len, out);
	out->kind = SHOAL_NETIF_RX_ARP;
	if (arp.opcode == SHOAL_ARP_REQUEST)
		n->stats.arp_requests_in++;
	else if (arp.opcode == SHOAL_ARP_REPLY)
		n->stats.arp_replies_in++;
	if (arp.sender_ip == n->cfg.ip) {
		/* someone claims our address (gratuitous ARP, conflict): neither learn nor answer
		 */
		netif_drop_report(n, SHOAL_NETIF_DROP_ARP_OWN_ADDRESS, frame, len);
		return out->kind;
	}
	if (!netif_on_subnet(n, arp.sender_ip))
		netif_drop_report(n, SHOAL_NETIF_DROP_ARP_OFF_SUBNET, frame, len);
	else if (!netif_learn(n, arp.sender_ip, &arp.sender_mac))
		netif_drop_report(n, SHOAL_NETIF_DROP_LEARN_CACHE_FULL, frame, len);
	if (arp.opcode == SHOAL_ARP_REQUEST && arp.target_ip == n->cfg.ip)
		netif_arp_send(n, SHOAL_ARP_REPLY, &arp.sender_mac, &arp.sender_mac, arp.sender_ip);
	return out->kind;
}

enum shoal_netif_rx_kind shoal_netif_input(struct shoal_netif *n, uint8_t *frame, size_t len,
                                           struct shoal_netif_rx *out)
{
	enum shoal_netif_rx_kind k = netif_classify(n, frame, len, out);
	if (k == SHOAL_NETIF_RX_IPV4) {
		out->datagram = frame + SHOAL_ETH_HDR_LEN;
		n->stats.datagrams_in++;
	}
	return k;
}

enum shoal_netif_rx_kind shoal_netif_recv_frame(struct shoal_netif *n, const uint8_t *frame,
                                                size_t len)
{
	struct shoal_netif_rx rx;
	enum shoal_netif_rx_kind k = netif_classify(n, frame, len, &rx);
	if (k != SHOAL_NETIF_RX_IPV4)
		return k;
	if (rx.len > n->cfg.max_datagram)
		return netif_rx_drop(n, SHOAL_NETIF_DROP_TOO_BIG, frame, len, &rx);
	if (n->rx_count == n->cfg.rx_queue_max)
		return netif_rx_drop(n, SHOAL_NETIF_DROP_RX_QUEUE_FULL, frame, len, &rx);
	size_t slot = (n->rx_head + n->rx_count) % n->cfg.rx_queue_max;
	memcpy(n->rx + slot * n->stride + SHOAL_ETH_HDR_LEN, frame + SHOAL_ETH_HDR_LEN, rx.len);
	n->rx_len[slot] = (uint32_t)rx.len;
	n->rx_count++;
	n->stats.datagrams_in++;
	return k;
}

size_t shoal_netif_rx_count(const struct shoal_netif *n)
{
	return n->rx_count;
}

uint8_t *shoal_netif_rx_peek(struct shoal_netif *n, size_t *len)
{
	if (n->rx_count == 0) {
		*len = 0;
		return NULL;
	}
	*len = n->rx_len[n->rx_head];
	return n->rx + n->rx_head * n->stride + SHOAL_ETH_HDR_LEN;
}

void shoal_netif_rx_pop(struct shoal_netif *n)
{
	if (n->rx_count == 0)
		return;
	n->rx_head = (n->rx_head + 1) % n->cfg.rx_queue_max;
	n->rx_count--;
}

/* ---------------------------------------------------------------- time */

void shoal_netif_tick(struct shoal_netif *n, uint64_t ms)
{
	n->now += ms;
	/* Both lists are ordered by stamp, so only their heads can be due. */
	while (n->dynamic.head != NETIF_NIL &&
	       n->now - n->entries[n->dynamic.head].stamp >= n->cfg.lifetime_ms)
		netif_entry_remove(n, n->dynamic.head);
	while (n->pending.head != NETIF_NIL &&
	       n->now - n->entries[n->pending.head].stamp >= n->cfg.pending_timeout_ms) {
		uint32_t idx = n->pending.head;
		netif_queue_drop(n, &n->entries[idx], SHOAL_NETIF_DROP_ARP_TIMEOUT);
		netif_entry_remove(n, idx);
	}
}

uint64_t shoal_netif_now(const struct shoal_netif *n)
{
	return n->now;
}

/* ---------------------------------------------------------------- management */

enum shoal_netif_status shoal_netif_add_static(struct shoal_netif *n, uint32_t ip,
                                               const struct shoal_mac *mac)
{
	uint32_t idx = netif_entry_find(n, ip);
	if (idx == NETIF_NIL) {
		idx = netif_entry_alloc(n, ip, false);
		if (idx == NETIF_NIL)
			return SHOAL_NETIF_FULL;
	}
	netif_entry_resolve(n, idx, mac, NETIF_STATIC);
	return SHOAL_NETIF_OK;
}

enum shoal_netif_status shoal_netif_delete(struct shoal_netif *n, uint32_t ip)
{
	uint32_t idx = netif_entry_find(n, ip);
	if (idx == NETIF_NIL)
		return SHOAL_NETIF_NOT_FOUND;
	netif_queue_drop(n, &n->entries[idx], SHOAL_NETIF_DROP_DELETED);
	netif_entry_remove(n, idx);
	return SHOAL_NETIF_OK;
}

size_t shoal_netif_flush(struct shoal_netif *n)
{
	size_t count = 0;
	while (n->dynamic.head != NETIF_NIL) {
		netif_entry_remove(n, n->dynamic.head);
		count++;
	}
	return count;
}

size_t shoal_netif_entry_count(const struct shoal_netif *n)
{
	return n->used;
}

static void netif_entry_export(const struct shoal_netif *n, const struct netif_entry *e,
                               struct shoal_netif_entry *out)
{
	uint64_t age = n->now - e->stamp;
	memset(out, 0, sizeof(*out));
	out->ip = e->ip;
	out->queued = e->q_count;
	switch (e->state) {
	case NETIF_DYNAMIC:
		out->state = SHOAL_NETIF_ENTRY_DYNAMIC;
		out->mac = e->mac;
		out->remaining_ms = n->cfg.lifetime_ms - age;
		break;
	case NETIF_STATIC:
		out->state = SHOAL_NETIF_ENTRY_STATIC;
		out->mac = e->mac;
		break;
	default:
		out->state = SHOAL_NETIF_ENTRY_PENDING;
		out->remaining_ms = n->cfg.pending_timeout_ms - age;
		break;
	}
}

bool shoal_netif_lookup(const struct shoal_netif *n, uint32_t ip, struct shoal_netif_entry *out)
{
	uint32_t idx = netif_entry_find(n, ip);
	if (idx == NETIF_NIL)
		return false;
	netif_entry_export(n, &n->entries[idx], out);
	return true;
}

int shoal_netif_foreach(const struct shoal_netif *n, shoal_netif_visit_fn cb, void *ctx)
{
	for (size_t i = 0; i < n->cfg.cache_size; i++) {
		const struct netif_entry *e = &n->entries[i];
		if (e->state == NETIF_FREE)
			continue;
		struct shoal_netif_entry out;
		netif_entry_export(n, e, &out);
		int rc = cb(ctx, &out);
		if (rc)
			return rc;
	}
	return 0;
}

#define NETIF_ARP_NAME_(suffix, name, help) name,
#define NETIF_ARP_HELP_(suffix, name, help) help,
const char *const shoal_netif_arp_counter_names[SHOAL_NETIF_ARP_COUNT_] = {
    SHOAL_NETIF_ARP_COUNTERS(NETIF_ARP_NAME_)};
const char *const shoal_netif_arp_counter_helps[SHOAL_NETIF_ARP_COUNT_] = {
    SHOAL_NETIF_ARP_COUNTERS(NETIF_ARP_HELP_)};
#undef NETIF_ARP_NAME_
#undef NETIF_ARP_HELP_

void shoal_netif_arp_counters(const struct shoal_netif *n, uint64_t out[SHOAL_NETIF_ARP_COUNT_])
{
	const struct shoal_netif_stats *s = &n->stats;
	out[SHOAL_NETIF_ARP_REQUESTS_RECEIVED] = s->arp_requests_in;
	out[SHOAL_NETIF_ARP_REPLIES_RECEIVED] = s->arp_replies_in;
	out[SHOAL_NETIF_ARP_REQUESTS_SENT] = s->arp_requests_out;
	out[SHOAL_NETIF_ARP_REPLIES_SENT] = s->arp_replies_out;
	out[SHOAL_NETIF_ARP_REQUESTS_THROTTLED] = s->arp_requests_throttled;
	out[SHOAL_NETIF_ARP_QUEUE_DROPS] = s->drops[SHOAL_NETIF_DROP_QUEUE_FULL_NEXTHOP] +
	                                   s->drops[SHOAL_NETIF_DROP_QUEUE_FULL_INTERFACE];
	out[SHOAL_NETIF_ARP_CACHE_EVICTIONS] =
	    s->drops[SHOAL_NETIF_DROP_EVICT_PENDING] + s->drops[SHOAL_NETIF_DROP_EVICT_RESOLVED];
}

const struct shoal_netif_stats *shoal_netif_stats(const struct shoal_netif *n)
{
	return &n->stats;
}
