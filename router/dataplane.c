/* dataplane.c — the forwarding plane; contract in include/shoal/dataplane.h. */
#include "shoal/dataplane.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "shoal/checksum.h"
#include "shoal/cmdq.h"
#include "shoal/ethernet.h"
#include "shoal/icmp.h"
#include "shoal/icmp_limit.h"
#include "shoal/ipv4.h"
#include "shoal/log.h"
#include "shoal/lpm.h"
#include "shoal/netif.h"
#include "shoal/netlink.h"
#include "shoal/plugin_host.h"
#include "shoal/router.h"
#include "shoal/routes.h"
#include "shoal/segment.h"
#include "shoal/tundev.h"
#include "shoal/wire.h"

#define SHOAL_DP_DROP_NAME_(suffix, name, desc) name,
#define SHOAL_DP_DROP_DESC_(suffix, name, desc) desc,
const char *const shoal_dp_drop_names[SHOAL_DP_DROP_COUNT_] = {SHOAL_DP_DROPS(SHOAL_DP_DROP_NAME_)};
const char *const shoal_dp_drop_descs[SHOAL_DP_DROP_COUNT_] = {SHOAL_DP_DROPS(SHOAL_DP_DROP_DESC_)};
#undef SHOAL_DP_DROP_NAME_
#undef SHOAL_DP_DROP_DESC_
#define SHOAL_DP_ICMP_TYPE_(suffix, type, code) type,
#define SHOAL_DP_ICMP_CODE_(suffix, type, code) code,
const uint8_t shoal_dp_icmp_sent_type[SHOAL_DP_ICMP_SENT_COUNT_] = {
    SHOAL_DP_ICMP_SENT(SHOAL_DP_ICMP_TYPE_)};
const uint8_t shoal_dp_icmp_sent_code[SHOAL_DP_ICMP_SENT_COUNT_] = {
    SHOAL_DP_ICMP_SENT(SHOAL_DP_ICMP_CODE_)};
#undef SHOAL_DP_ICMP_TYPE_
#undef SHOAL_DP_ICMP_CODE_
#define SHOAL_DP_STAGE_NAME_(suffix, name) name,
const char *const shoal_dp_stage_names[SHOAL_DP_STAGE_COUNT_] = {
    SHOAL_DP_STAGES(SHOAL_DP_STAGE_NAME_)};
#undef SHOAL_DP_STAGE_NAME_

enum {
	DP_HEADROOM = 64, /* bytes before a received frame: room for link headers */
	DP_MAX_PACKET = 65535 + SHOAL_ETH_HDR_LEN,
	DP_BUF_SIZE = DP_HEADROOM + DP_MAX_PACKET + 64,
	DP_RX_BUDGET = 64, /* packets read from one device per wake-up */
	DP_ICMP_TTL = 64,
	DP_ICMP_TOS = 0xc0, /* precedence "internetwork control", as Linux */
	DP_ICMP_QUOTE_MAX = 60 + 8,
	DP_TCP_MIN_HDR = 20,
	DP_PLUGQ_SLOTS = 128,      /* datagrams plugins may have waiting to be sent */
	DP_PLUGQ_SLOT_SIZE = 4096, /* headroom + datagram */
};

/* One datagram in flight through the pipeline. */
struct dp_pkt {
	uint8_t *data; /* IPv4 header; at least DP_HEADROOM/2 writable bytes before it */
	size_t len;
	size_t headroom;
	size_t capacity;
	unsigned in; /* ingress interface index, or DP_NO_IF for local origin */
	bool local_origin;
	/* offload state, offsets relative to data */
	bool csum_partial;
	uint16_t csum_start, csum_offset;
	uint8_t gso_type; /* VIRTIO_NET_HDR_GSO_* without the ECN bit; NONE = 0 */
	bool gso_ecn;
	uint16_t gso_size;
};

enum { DP_NO_IF = ~0u };

struct dp_if {
	struct shoal_dp *dp;
	unsigned index;
	struct shoal_config_interface cfg;
	struct shoal_tundev dev;
	bool dev_open;
	bool fd_registered;
	struct shoal_netif *netif; /* TAP only */
	uint32_t mask;
	/* the virtio header to use when the netif transmits the frame at cur_frame */
	const uint8_t *cur_frame;
	const struct virtio_net_hdr *cur_hdr;
	struct shoal_dp_if_stats stats;
};

struct dp_route {
	uint32_t prefix;
	uint8_t len;
	struct shoal_lpm_nh nh;
};

struct shoal_dp {
	struct shoal_loop *loop;
	struct shoal_dp_params params;
	struct shoal_config *cfg; /* interfaces and routes in force */
	unsigned n_ifs;
	struct dp_if ifs[SHOAL_CONFIG_MAX_INTERFACES];
	struct shoal_lpm *lpm;
	struct shoal_routes *routes; /* the table of record; lpm mirrors it */
	struct shoal_plugin_host *plugins;
	bool tick_registered;
	uint8_t *rxbuf;    /* received packet */
	uint8_t *txbuf;    /* ICMP and plugin-originated datagrams */
	uint8_t *segbuf;   /* fragments and segments */
	uint8_t *frag2buf; /* fragments of segments */
	/* ICMP error rate limit: global bucket, per-destination buckets under it */
	struct shoal_icmp_limit *icmp_limit;
	uint16_t ip_id;
	uint64_t now_ms;
	struct shoal_dp_stats stats;
	/* datagrams from plugins' send_datagram, sent between packets (a FIFO ring) */
	uint8_t *plugq;
	uint32_t plugq_len[DP_PLUGQ_SLOTS];
	uint32_t plugq_out[DP_PLUGQ_SLOTS];   /* 0: route it; else ifindex (output_datagram) */
	uint32_t plugq_nh[DP_PLUGQ_SLOTS];    /* output_datagram's next hop */
	uint32_t plugq_in[DP_PLUGQ_SLOTS];    /* 0; else ifindex (ABI 1.4 input_datagram) */
	uint64_t plugq_after[DP_PLUGQ_SLOTS]; /* input_datagram: the caller's load id */
	unsigned plugq_head, plugq_count;
	uint64_t plugq_dropped;
	/* output context for segment/fragment emit callbacks */
	struct dp_if *emit_out;
	uint32_t emit_next_hop;
	unsigned emit_mtu;
	/* per-stage runtime: rt_active while a sampled packet is timed, in stage rt_cur since
	 * rt_t */
	struct shoal_dp_stage rt[SHOAL_DP_STAGE_COUNT_];
	bool rt_on, rt_active;
	enum shoal_dp_stage_id rt_cur;
	uint32_t rt_n;
	uint64_t rt_t;
	struct shoal_cmdq *cmdq; /* its counters for api->counter (NULL: none) */
};

/* ---------- per-stage runtime ---------- */

static uint64_t dp_rt_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Enters stage st: counts the call; for a sampled packet charges the time since the last
 * boundary to the stage it leaves. */
static inline void dp_rt_mark(struct shoal_dp *dp, enum shoal_dp_stage_id st)
{
	if (!dp->rt_on)
		return;
	dp->rt[st].calls++;
	if (!dp->rt_active)
		return;
	uint64_t now = dp_rt_now();
	dp->rt[dp->rt_cur].ns += now - dp->rt_t;
	dp->rt[st].packets++;
	dp->rt_cur = st;
	dp->rt_t = now;
}

/* Starts timing the next read when it is to be the sampled packet (every
 * SHOAL_RUNTIME_SAMPLE-th packet read; dp_rt_got counts them, reads that find nothing are
 * not packets and are not sampled: dp_rt_cancel). */
static inline void dp_rt_begin(struct shoal_dp *dp)
{
	if (!dp->rt_on)
		return;
	dp->rt[SHOAL_DP_STAGE_DEVICE_READ].calls++;
	if ((dp->rt_n + 1) % SHOAL_RUNTIME_SAMPLE != 0)
		return;
	dp->rt_active = true;
	dp->rt_cur = SHOAL_DP_STAGE_DEVICE_READ;
	dp->rt_t = dp_rt_now();
}

static inline void dp_rt_got(struct shoal_dp *dp)
{
	dp->rt_n++;
	if (dp->rt_active)
		dp->rt[SHOAL_DP_STAGE_DEVICE_READ].packets++;
}

static inline void dp_rt_cancel(struct shoal_dp *dp)
{
	dp->rt_active = false;
}

static inline void dp_rt_end(struct shoal_dp *dp)
{
	if (!dp->rt_active)
		return;
	dp->rt[dp->rt_cur].ns += dp_rt_now() - dp->rt_t;
	dp->rt_active = false;
}

/* ---------- address classes ---------- */

static bool dp_addr_martian_source(uint32_t a)
{
	uint8_t top = (uint8_t)(a >> 24);
	return top == 0 || top == 127 || top >= 224; /* 0/8, 127/8, 224/4 multicast, 240/4, bcast */
}

static bool dp_addr_martian_destination(uint32_t a)
{
	uint8_t top = (uint8_t)(a >> 24);
	return top == 0 || top == 127 || (top >= 240 && a != 0xffffffffu);
}

static bool dp_addr_multicast(uint32_t a)
{
	return (a >> 28) == 0xe;
}

/* The interface owning address a, or NULL. */
static struct dp_if *dp_if_by_address(struct shoal_dp *dp, uint32_t a)
{
	for (unsigned i = 0; i < dp->n_ifs; i++)
		if (dp->ifs[i].cfg.address == a)
			return &dp->ifs[i];
	return NULL;
}

/* Directed broadcast of a connected network (prefixes of /30 and shorter). */
static bool dp_addr_directed_broadcast(const struct shoal_dp *dp, uint32_t a)
{
	for (unsigned i = 0; i < dp->n_ifs; i++) {
		const struct dp_if *f = &dp->ifs[i];
		if (f->cfg.prefix_len <= 30 && a == (f->cfg.address | ~f->mask))
			return true;
	}
	return false;
}

static void dp_drop(struct shoal_dp *dp, unsigned ifi, enum shoal_dp_drop why)
{
	if (ifi < dp->n_ifs)
		dp->ifs[ifi].stats.drops[why]++;
	shoal_log(SHOAL_LOG_DEBUG, "drop: %s", shoal_dp_drop_names[why]);
}

/* The route to dst: its egress interface, and in *next_hop the gateway or, for a directly
 * attached route, dst itself. NULL without a route. */
static struct dp_if *dp_route(struct shoal_dp *dp, uint32_t dst, uint32_t *next_hop)
{
	uint32_t id = shoal_lpm_lookup(dp->lpm, dst);
	if (id == SHOAL_LPM_MISS)
		return NULL;
	const struct shoal_lpm_nh *nh = shoal_lpm_nh_get(dp->lpm, id);
	*next_hop = nh->has_gateway ? nh->gateway : dst;
	return &dp->ifs[nh->ifindex];
}

/* IPv4 + TCP header length of a TCP datagram (a GSO super-frame's per-segment headers). The
 * caller has checked that both headers are within the datagram (dp_offload_parse). */
static size_t dp_gso_hdrs_len(const uint8_t *ip)
{
	size_t ip_hlen = (size_t)(ip[0] & 0x0f) * 4;
	return ip_hlen + (size_t)(ip[ip_hlen + 12] >> 4) * 4;
}

/* ---------- device output ---------- */

static void dp_vnet_hdr_fill(const struct dp_pkt *p, size_t l2, struct virtio_net_hdr *h)
{
	memset(h, 0, sizeof(*h));
	if (p->csum_partial) {
		h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		h->csum_start = (uint16_t)(p->csum_start + l2);
		h->csum_offset = p->csum_offset;
	}
	if (p->gso_type != VIRTIO_NET_HDR_GSO_NONE) {
		h->gso_type = (uint8_t)(p->gso_type | (p->gso_ecn ? VIRTIO_NET_HDR_GSO_ECN : 0));
		h->gso_size = p->gso_size;
		h->hdr_len = (uint16_t)(l2 + dp_gso_hdrs_len(p->data));
	}
}

/* netif transmit callback: writes a frame to the TAP, with the offload header of the
 * datagram being sent when the frame is that datagram (queued datagrams flushed later never
 * carry offload state: see dp_device_send). */
static void dp_netif_transmit(void *ctx, const uint8_t *frame, size_t len)
{
	struct dp_if *f = ctx;
	const struct virtio_net_hdr *h = frame == f->cur_frame ? f->cur_hdr : NULL;
	int rc = shoal_tundev_write(&f->dev, h, frame, len);
	if (rc < 0) {
		dp_drop(f->dp, f->index, SHOAL_DP_DROP_TX_ERROR);
		return;
	}
	f->stats.tx_packets++;
	f->stats.tx_bytes += len;
}

static void dp_icmp_error(struct shoal_dp *dp, const uint8_t *orig, size_t orig_len, unsigned in,
                          uint8_t type, uint8_t code, uint16_t mtu);

/* netif drop callback: ARP gave up on a next hop -> host unreachable to the source. */
static void dp_netif_drop(void *ctx, enum shoal_netif_drop reason, const uint8_t *data, size_t len)
{
	struct dp_if *f = ctx;
	if (reason != SHOAL_NETIF_DROP_ARP_TIMEOUT)
		return;
	dp_icmp_error(f->dp, data, len, DP_NO_IF, SHOAL_ICMP_DEST_UNREACH, SHOAL_ICMP_UNREACH_HOST,
	              0);
}

/* Hands one datagram (with >= SHOAL_ETH_HDR_LEN bytes of headroom) to the device, with the
 * offload header in p when the device takes offloads. Returns 0 when sent or queued. */
static int dp_device_send(struct shoal_dp *dp, struct dp_if *out, uint8_t *data, size_t len,
                          const struct dp_pkt *p, uint32_t next_hop)
{
	dp_rt_mark(dp, SHOAL_DP_STAGE_DEVICE_WRITE);
	struct virtio_net_hdr vh;
	const struct virtio_net_hdr *hp = NULL;
	if (p && (p->csum_partial || p->gso_type != VIRTIO_NET_HDR_GSO_NONE)) {
		dp_vnet_hdr_fill(p, out->netif ? SHOAL_ETH_HDR_LEN : 0, &vh);
		hp = &vh;
	}
	if (!out->netif) {
		if (shoal_tundev_write(&out->dev, hp, data, len) < 0) {
			dp_drop(dp, out->index, SHOAL_DP_DROP_TX_ERROR);
			return -1;
		}
		out->stats.tx_packets++;
		out->stats.tx_bytes += len;
		return 0;
	}
	out->cur_frame = data - SHOAL_ETH_HDR_LEN;
	out->cur_hdr = hp;
	enum shoal_netif_send_result r =
	    shoal_netif_send_datagram_headroom(out->netif, data - SHOAL_ETH_HDR_LEN, len, next_hop);
	out->cur_frame = NULL;
	out->cur_hdr = NULL;
	if (r == SHOAL_NETIF_DROPPED) {
		dp_drop(dp, out->index, SHOAL_DP_DROP_LINK);
		return -1;
	}
	return 0;
}

static int dp_emit_device(void *ctx, uint8_t *piece, size_t len)
{
	struct shoal_dp *dp = ctx;
	dp_device_send(dp, dp->emit_out, piece, len, NULL, dp->emit_next_hop);
	return 0;
}

static int dp_emit_fragmented(void *ctx, uint8_t *piece, size_t len)
{
	struct shoal_dp *dp = ctx;
	dp->stats.gso_segments_out++;
	if (len <= dp->emit_mtu)
		return dp_emit_device(dp, piece, len);
	enum shoal_segment_status s = shoal_segment_fragment(
	    piece, len, dp->emit_mtu, dp->frag2buf, DP_BUF_SIZE, DP_HEADROOM, dp_emit_device, dp);
	if (s != SHOAL_SEGMENT_OK)
		dp_drop(dp, dp->emit_out->index, SHOAL_DP_DROP_FRAG_FAILED);
	return 0;
}

/* Whether a TAP egress can take this datagram's offload state right now: the next hop must
 * be resolved, since queued datagrams are later sent without an offload header. */
static bool dp_offload_ok(const struct dp_if *out, uint32_t next_hop)
{
	if (!out->dev.vnet_hdr)
		return false;
	if (!out->netif)
		return true;
	struct shoal_netif_entry e;
	return shoal_netif_lookup(out->netif, next_hop, &e) && e.state != SHOAL_NETIF_ENTRY_PENDING;
}

/* Runs one hook over the plugins with a view of p (egress: the interface index it leaves by,
 * DP_NO_IF before routing) and takes back what the plugins rewrote. */
static enum shoal_plugin_verdict dp_hook_after(struct shoal_dp *dp, enum shoal_plugin_hook hook,
                                               struct dp_pkt *p, unsigned egress, uint32_t next_hop,
                                               uint64_t after_id)
{
	struct shoal_packet_view v = {
	    .data = p->data,
	    .len = (uint32_t)p->len,
	    .headroom = (uint32_t)p->headroom,
	    .capacity = (uint32_t)p->capacity,
	    .ingress_ifindex = p->in < dp->n_ifs ? p->in + 1 : 0,
	    .egress_ifindex = egress < dp->n_ifs ? egress + 1 : 0,
	    .next_hop = next_hop,
	    .flags = (p->csum_partial ? SHOAL_PACKET_F_CSUM_PARTIAL : 0) |
	             (p->local_origin ? SHOAL_PACKET_F_LOCAL_ORIGIN : 0),
	    .gso_size = p->gso_size,
	    .csum_start = p->csum_start,
	    .csum_offset = p->csum_offset,
	};
	shoal_plugin_host_sample(dp->plugins, dp->rt_active); /* per-hook runtime: sampled */
	enum shoal_plugin_verdict vd =
	    shoal_plugin_host_run_after(dp->plugins, hook, after_id, &v, NULL);
	p->data = v.data;
	p->len = v.len;
	p->headroom = v.headroom;
	p->capacity = v.capacity;
	return vd;
}

static enum shoal_plugin_verdict dp_hook(struct shoal_dp *dp, enum shoal_plugin_hook hook,
                                         struct dp_pkt *p, unsigned egress, uint32_t next_hop)
{
	return dp_hook_after(dp, hook, p, egress, next_hop, 0);
}

/* Egress hook, then size handling and the device. The datagram already has its final TTL. */
static void dp_output_device(struct shoal_dp *dp, struct dp_pkt *p, struct dp_if *out,
                             uint32_t next_hop);

static void dp_output(struct shoal_dp *dp, struct dp_pkt *p, struct dp_if *out, uint32_t next_hop)
{
	unsigned charge = p->in < dp->n_ifs ? p->in : out->index;
	if (shoal_plugin_host_count(dp->plugins) > 0) {
		dp_rt_mark(dp, SHOAL_DP_STAGE_HOOKS);
		enum shoal_plugin_verdict vd =
		    dp_hook(dp, SHOAL_PLUGIN_HOOK_EGRESS, p, out->index, next_hop);
		if (vd == SHOAL_PLUGIN_CONSUMED)
			return;
		if (vd == SHOAL_PLUGIN_DROP) {
			dp_drop(dp, charge, SHOAL_DP_DROP_PLUGIN);
			return;
		}
	}
	dp_output_device(dp, p, out, next_hop);
}

/* After the egress hooks: size handling and the device (also output_datagram's path). */
static void dp_output_device(struct shoal_dp *dp, struct dp_pkt *p, struct dp_if *out,
                             uint32_t next_hop)
{
	unsigned charge = p->in < dp->n_ifs ? p->in : out->index;
	dp_rt_mark(dp, SHOAL_DP_STAGE_EGRESS);
	unsigned mtu = out->cfg.mtu;
	bool offload = dp_offload_ok(out, next_hop);
	if (p->gso_type != VIRTIO_NET_HDR_GSO_NONE) {
		if (offload && p->len <= 65535 && dp_gso_hdrs_len(p->data) + p->gso_size <= mtu) {
			dp->stats.gso_passthrough++;
			dp_device_send(dp, out, p->data, p->len, p, next_hop);
			return;
		}
		dp->emit_out = out;
		dp->emit_next_hop = next_hop;
		dp->emit_mtu = mtu;
		enum shoal_segment_status s =
		    shoal_segment_tcp4(p->data, p->len, p->gso_size, dp->segbuf, DP_BUF_SIZE,
		                       DP_HEADROOM, dp_emit_fragmented, dp);
		if (s != SHOAL_SEGMENT_OK)
			dp_drop(dp, charge, SHOAL_DP_DROP_FRAG_FAILED);
		return;
	}
	/* A checksum stays partial only when the egress takes offloads and the datagram leaves
	 * whole; otherwise it is completed here, before any fragmenting. */
	if (p->csum_partial && (!offload || p->len > mtu)) {
		if (shoal_segment_csum_complete(p->data, p->len, p->csum_start, p->csum_offset) !=
		    SHOAL_SEGMENT_OK) {
			dp_drop(dp, charge, SHOAL_DP_DROP_BAD_OFFLOAD);
			return;
		}
		p->csum_partial = false;
	}
	if (p->len <= mtu) {
		dp_device_send(dp, out, p->data, p->len, offload ? p : NULL, next_hop);
		return;
	}
	dp->emit_out = out;
	dp->emit_next_hop = next_hop;
	size_t before = out->stats.tx_packets;
	enum shoal_segment_status s = shoal_segment_fragment(
	    p->data, p->len, mtu, dp->segbuf, DP_BUF_SIZE, DP_HEADROOM, dp_emit_device, dp);
	if (s != SHOAL_SEGMENT_OK) {
		dp_drop(dp, charge, SHOAL_DP_DROP_FRAG_FAILED);
		return;
	}
	dp->stats.fragments_out += out->stats.tx_packets - before;
}

/* Routes a datagram the router originates (ICMP, plugins): lookup, egress. */
static int dp_send_local(struct shoal_dp *dp, uint8_t *data, size_t len, size_t headroom,
                         size_t capacity)
{
	struct shoal_ipv4_hdr h;
	if (shoal_ipv4_parse(data, len, &h) != SHOAL_WIRE_OK)
		return -EINVAL;
	uint32_t next_hop;
	struct dp_if *out = dp_route(dp, h.dst, &next_hop);
	if (!out)
		return -ENETUNREACH;
	struct dp_pkt p = {
	    .data = data,
	    .len = h.total_len,
	    .headroom = headroom,
	    .capacity = capacity,
	    .in = DP_NO_IF,
	    .local_origin = true,
	};
	dp_output(dp, &p, out, next_hop);
	return 0;
}

/* ---------- ICMP ---------- */

static void dp_icmp_limit_config(const struct shoal_config *cfg, struct shoal_icmp_limit_config *lc)
{
	*lc = (struct shoal_icmp_limit_config){.rate_per_s = cfg->icmp_rate_per_s,
	                                       .burst = cfg->icmp_burst,
	                                       .dest_interval_ms = cfg->icmp_dest_interval_ms,
	                                       .dest_burst = cfg->icmp_dest_burst,
	                                       .dest_max = cfg->icmp_dest_max};
}

/* One more error to dst: within the global and dst's buckets? */
static bool dp_icmp_bucket_take(struct shoal_dp *dp, uint32_t dst)
{
	enum shoal_icmp_limit_verdict v =
	    shoal_icmp_limit_take(dp->icmp_limit, dst, shoal_loop_now_ms(dp->loop));
	if (v == SHOAL_ICMP_LIMIT_ALLOW)
		return true;
	dp->stats.icmp_rate_limited++;
	if (v == SHOAL_ICMP_LIMIT_DEST)
		dp->stats.icmp_rate_limited_dest++;
	dp->stats.icmp_dest_evictions = shoal_icmp_limit_stats(dp->icmp_limit)->evictions;
	return false;
}

static bool dp_icmp_is_error_type(uint8_t type)
{
	/* Everything but the queries/replies: echo (0, 8), timestamp (13, 14), information
	 * (15, 16), address mask (17, 18). Unknown types are treated as errors (RFC 1812
	 * 4.3.2.7 tells us never to answer an error; staying silent on unknown ones is safe). */
	switch (type) {
	case 0:
	case 8:
	case 13:
	case 14:
	case 15:
	case 16:
	case 17:
	case 18:
		return false;
	default:
		return true;
	}
}

/* Sends an ICMP error about orig (as received) to its source. in: the interface it came in
 * on (its address is the error's source), or DP_NO_IF to use the error's egress interface. */
static void dp_icmp_error(struct shoal_dp *dp, const uint8_t *orig, size_t orig_len, unsigned in,
                          uint8_t type, uint8_t code, uint16_t mtu)
{
	struct shoal_ipv4_hdr h;
	if (shoal_ipv4_parse(orig, orig_len, &h) != SHOAL_WIRE_OK)
		return;
	if (shoal_ipv4_frag_offset(&h) != 0)
		return; /* never about non-first fragments */
	if (dp_addr_martian_source(h.src) || dp_addr_directed_broadcast(dp, h.src))
		return; /* bogus or broadcast/multicast source */
	if (h.dst == 0xffffffffu || dp_addr_multicast(h.dst) ||
	    dp_addr_directed_broadcast(dp, h.dst))
		return; /* never about broadcast/multicast */
	if (h.protocol == SHOAL_IP_PROTO_ICMP) {
		size_t hl = shoal_ipv4_hdr_len(&h);
		if (h.total_len <= hl || dp_icmp_is_error_type(orig[hl]))
			return; /* never about ICMP errors */
	}
	if (!dp_icmp_bucket_take(dp, h.src))
		return;

	uint32_t next_hop;
	struct dp_if *back = dp_route(dp, h.src, &next_hop);
	if (!back)
		return;
	uint32_t src = in < dp->n_ifs ? dp->ifs[in].cfg.address : back->cfg.address;

	uint8_t *buf = dp->txbuf + DP_HEADROOM;
	size_t icmp_len =
	    shoal_icmp_build_error(type, code, mtu, orig, orig_len, buf + SHOAL_IPV4_MIN_HDR_LEN,
	                           DP_BUF_SIZE - DP_HEADROOM - SHOAL_IPV4_MIN_HDR_LEN);
	if (icmp_len == 0)
		return;
	struct shoal_ipv4_hdr rh = {
	    .tos = DP_ICMP_TOS,
	    .total_len = (uint16_t)(SHOAL_IPV4_MIN_HDR_LEN + icmp_len),
	    .id = dp->ip_id++,
	    .ttl = DP_ICMP_TTL,
	    .protocol = SHOAL_IP_PROTO_ICMP,
	    .src = src,
	    .dst = h.src,
	};
	shoal_ipv4_serialize(&rh, buf, SHOAL_IPV4_MIN_HDR_LEN);
	if (dp_send_local(dp, buf, rh.total_len, DP_HEADROOM, DP_BUF_SIZE - DP_HEADROOM) == 0) {
		dp->stats.icmp_errors_sent++;
		for (unsigned k = 0; k < SHOAL_DP_ICMP_SENT_COUNT_; k++)
			if (shoal_dp_icmp_sent_type[k] == type &&
			    shoal_dp_icmp_sent_code[k] == code)
				dp->stats.icmp_sent[k]++;
	}
}

/* Echo reply in place: swap addresses, type 0, fix checksums. */
static void dp_icmp_echo_reply(struct shoal_dp *dp, struct dp_pkt *p,
                               const struct shoal_ipv4_hdr *h)
{
	size_t hl = shoal_ipv4_hdr_len(h);
	uint8_t *icmp = p->data + hl;
	size_t icmp_len = h->total_len - hl;
	icmp[0] = SHOAL_ICMP_ECHO_REPLY;
	icmp[2] = icmp[3] = 0;
	shoal_store_be16(icmp + 2, shoal_checksum(icmp, icmp_len));
	struct shoal_ipv4_hdr rh = *h;
	rh.src = h->dst;
	rh.dst = h->src;
	rh.ttl = DP_ICMP_TTL;
	rh.id = dp->ip_id++;
	rh.flags_frag = 0;
	shoal_ipv4_serialize(&rh, p->data, hl);
	if (dp_send_local(dp, p->data, h->total_len, p->headroom, p->capacity) == 0) {
		dp->stats.icmp_echo_replies++;
		dp->stats.icmp_sent[SHOAL_DP_ICMP_ECHO_REPLY]++;
	}
}

/* ---------- pipeline ---------- */

static void dp_local(struct shoal_dp *dp, struct dp_pkt *p, const struct shoal_ipv4_hdr *h)
{
	dp->stats.delivered_local++;
	if (shoal_plugin_host_count(dp->plugins) > 0) {
		dp_rt_mark(dp, SHOAL_DP_STAGE_HOOKS);
		enum shoal_plugin_verdict vd =
		    dp_hook(dp, SHOAL_PLUGIN_HOOK_LOCAL_DELIVERY, p, DP_NO_IF, 0);
		if (vd == SHOAL_PLUGIN_CONSUMED)
			return;
		if (vd == SHOAL_PLUGIN_DROP) {
			dp_drop(dp, p->in, SHOAL_DP_DROP_PLUGIN);
			return;
		}
	}
	dp_rt_mark(dp, SHOAL_DP_STAGE_LOCAL);
	if (shoal_ipv4_is_fragment(h)) {
		dp_drop(dp, p->in, SHOAL_DP_DROP_LOCAL_FRAGMENT);
		return;
	}
	size_t hl = shoal_ipv4_hdr_len(h);
	switch (h->protocol) {
	case SHOAL_IP_PROTO_ICMP: {
		struct shoal_icmp m;
		if (p->csum_partial &&
		    shoal_segment_csum_complete(p->data, p->len, p->csum_start, p->csum_offset) !=
		        SHOAL_SEGMENT_OK) {
			dp_drop(dp, p->in, SHOAL_DP_DROP_BAD_OFFLOAD);
			return;
		}
		if (shoal_icmp_parse(p->data + hl, h->total_len - hl, &m) != SHOAL_WIRE_OK ||
		    m.type != SHOAL_ICMP_ECHO_REQUEST || m.code != 0) {
			dp_drop(dp, p->in, SHOAL_DP_DROP_LOCAL_ICMP);
			return;
		}
		dp_icmp_echo_reply(dp, p, h);
		return;
	}
	case SHOAL_IP_PROTO_UDP:
	case SHOAL_IP_PROTO_TCP:
		dp_icmp_error(dp, p->data, p->len, p->in, SHOAL_ICMP_DEST_UNREACH,
		              SHOAL_ICMP_UNREACH_PORT, 0);
		dp_drop(dp, p->in, SHOAL_DP_DROP_LOCAL_PORT);
		return;
	default:
		dp_icmp_error(dp, p->data, p->len, p->in, SHOAL_ICMP_DEST_UNREACH,
		              SHOAL_ICMP_UNREACH_PROTOCOL, 0);
		dp_drop(dp, p->in, SHOAL_DP_DROP_LOCAL_PROTOCOL);
		return;
	}
}

static void dp_options_forward(struct dp_pkt *p, const struct shoal_ipv4_hdr *h,
                               const struct dp_if *out);

/* The RFC 1812 steps (TTL check, route lookup) are the stack's router core's
 * (shoal_router_decide); the data plane adds the ICMP answers, the MTU and the output. */
static void dp_forward(struct shoal_dp *dp, struct dp_pkt *p, const struct shoal_ipv4_hdr *h)
{
	dp_rt_mark(dp, SHOAL_DP_STAGE_LOOKUP);
	struct shoal_router_hop hop;
	enum shoal_router_drop why;
	if (!shoal_router_decide(dp->lpm, dp->n_ifs, p->data, p->len, &hop, &why)) {
		if (why == SHOAL_ROUTER_DROP_TTL_EXPIRED) {
			dp_icmp_error(dp, p->data, p->len, p->in, SHOAL_ICMP_TIME_EXCEEDED,
			              SHOAL_ICMP_TIME_EXCEEDED_TTL, 0);
			dp_drop(dp, p->in, SHOAL_DP_DROP_TTL_EXPIRED);
			return;
		}
		dp_icmp_error(dp, p->data, p->len, p->in, SHOAL_ICMP_DEST_UNREACH,
		              SHOAL_ICMP_UNREACH_NET, 0);
		dp_drop(dp, p->in, SHOAL_DP_DROP_NO_ROUTE);
		return;
	}
	struct dp_if *out = &dp->ifs[hop.ifindex];
	uint32_t next_hop = hop.next_hop;

	/* DF and too big for the egress: tell the source the MTU (quoting it as received). A
	 * GSO super-frame counts by the size of the segments it stands for. */
	size_t wire_len = p->gso_type != VIRTIO_NET_HDR_GSO_NONE
	                      ? dp_gso_hdrs_len(p->data) + p->gso_size
	                      : p->len;
	if (wire_len > out->cfg.mtu && shoal_ipv4_df(h)) {
		dp_icmp_error(dp, p->data, p->len, p->in, SHOAL_ICMP_DEST_UNREACH,
		              SHOAL_ICMP_UNREACH_FRAG_NEEDED, (uint16_t)out->cfg.mtu);
		dp_drop(dp, p->in, SHOAL_DP_DROP_FRAG_NEEDED);
		return;
	}
	if (h->options_len)
		dp_options_forward(p, h, out);
	shoal_ipv4_ttl_decrement(p->data);
	dp->stats.forwarded++;
	/* the route that carried it (the longest stored match, whose next hop hop.nh_id is) */
	uint32_t rp;
	unsigned rl;
	if (shoal_lpm_match(dp->lpm, h->dst, &rp, &rl))
		shoal_routes_count(dp->routes, rp, (uint8_t)rl, p->len);
	dp_output(dp, p, out, next_hop);
}

/* Validates the offload header against the datagram; converts offsets to IP-relative. */
static bool dp_offload_parse(struct dp_pkt *p, const struct virtio_net_hdr *vh, size_t l2,
                             const struct shoal_ipv4_hdr *h)
{
	if (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		if (vh->csum_start < l2)
			return false;
		size_t start = vh->csum_start - l2;
		if (start >= p->len || (size_t)vh->csum_offset + 2 > p->len - start)
			return false;
		p->csum_partial = true;
		p->csum_start = (uint16_t)start;
		p->csum_offset = vh->csum_offset;
	}
	uint8_t gso = vh->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	if (gso == VIRTIO_NET_HDR_GSO_NONE)
		return true;
	size_t ip_hlen = shoal_ipv4_hdr_len(h);
	if (gso != VIRTIO_NET_HDR_GSO_TCPV4 || vh->gso_size == 0 ||
	    h->protocol != SHOAL_IP_PROTO_TCP || p->len < ip_hlen + DP_TCP_MIN_HDR)
		return false;
	size_t hdrs = dp_gso_hdrs_len(p->data);
	if (hdrs - ip_hlen < DP_TCP_MIN_HDR || hdrs > p->len)
		return false;
	p->gso_type = gso;
	p->gso_ecn = vh->gso_type & VIRTIO_NET_HDR_GSO_ECN;
	p->gso_size = vh->gso_size;
	return true;
}

/* Reverse-path filter (RFC 3704 §2.4/§2.3, Linux's rp_filter 2/1): loose accepts a source
 * with any route back (the default route counts), strict one whose route back leaves by the
 * arrival interface. Checked on the source as received, before the plugins' hooks. */
static bool dp_rp_filter_pass(struct shoal_dp *dp, const struct dp_if *in, uint32_t src)
{
	if (in->cfg.rp_filter == SHOAL_CONFIG_RP_OFF)
		return true;
	uint32_t next_hop;
	const struct dp_if *back = dp_route(dp, src, &next_hop);
	if (!back)
		return false;
	return in->cfg.rp_filter != SHOAL_CONFIG_RP_STRICT || back == in;
}

/* Options at input (RFC 1812 §4.2.2.1, §5.2.4.1): malformed ones and, by default, source
 * routes are dropped (counted); with forwarding.source_route "forward", a datagram whose
 * source route names us as the current hop gets the next address as destination and our
 * outgoing address in the recorded route (SSRR: the next address must be directly connected,
 * else source route failed). False when the datagram was dropped; *h re-parsed on change. */
static bool dp_options_input(struct shoal_dp *dp, struct dp_pkt *p, struct shoal_ipv4_hdr *h)
{
	struct shoal_ipv4_opts opts;
	size_t bad;
	if (shoal_ipv4_opts_parse(h->options, h->options_len, &opts, &bad) != SHOAL_WIRE_OK) {
		dp_drop(dp, p->in, SHOAL_DP_DROP_BAD_OPTION);
		return false;
	}
	if (opts.srr == SHOAL_IPV4_OPT_NONE)
		return true;
	if (dp->cfg->source_route == SHOAL_CONFIG_SOURCE_ROUTE_DROP) {
		dp_drop(dp, p->in, SHOAL_DP_DROP_SOURCE_ROUTE);
		return false;
	}
	uint8_t *o = p->data + SHOAL_IPV4_MIN_HDR_LEN + opts.srr;
	uint32_t next, next_hop;
	if (!dp_if_by_address(dp, h->dst) || !shoal_ipv4_opt_srr_next(o, &next))
		return true; /* not our turn, or the route is complete: by destination */
	struct dp_if *out = dp_route(dp, next, &next_hop);
	if (!out || (opts.srr_strict && next_hop != next)) {
		dp_icmp_error(dp, p->data, p->len, p->in, SHOAL_ICMP_DEST_UNREACH,
		              SHOAL_ICMP_UNREACH_SRC_ROUTE_FAILED, 0);
		dp_drop(dp, p->in, SHOAL_DP_DROP_SOURCE_ROUTE_FAILED);
		return false;
	}
	shoal_ipv4_opt_route_record(o, out->cfg.address);
	p->data[16] = (uint8_t)(next >> 24);
	p->data[17] = (uint8_t)(next >> 16);
	p->data[18] = (uint8_t)(next >> 8);
	p->data[19] = (uint8_t)next;
	shoal_ipv4_checksum_fill(p->data, shoal_ipv4_hdr_len(h));
	if (shoal_ipv4_parse(p->data, p->len, h) != SHOAL_WIRE_OK) {
		dp_drop(dp, p->in, SHOAL_DP_DROP_BAD_IPV4); /* cannot happen: counted if it does */
		return false;
	}
	return true;
}

/* Options when forwarding out of `out` (RFC 1812 §5.2.4.2/§5.2.4.3): Record Route gets the
 * outgoing address if there is room, Timestamp a stamp (or its overflow count). */
static void dp_options_forward(struct dp_pkt *p, const struct shoal_ipv4_hdr *h,
                               const struct dp_if *out)
{
	struct shoal_ipv4_opts opts;
	size_t bad;
	if (shoal_ipv4_opts_parse(h->options, h->options_len, &opts, &bad) != SHOAL_WIRE_OK)
		return; /* checked at input */
	uint8_t *base = p->data + SHOAL_IPV4_MIN_HDR_LEN;
	bool changed = false;
	if (opts.rr != SHOAL_IPV4_OPT_NONE)
		changed |= shoal_ipv4_opt_route_record(base + opts.rr, out->cfg.address);
	if (opts.ts != SHOAL_IPV4_OPT_NONE) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint32_t ms = (uint32_t)((ts.tv_sec % 86400) * 1000 + ts.tv_nsec / 1000000);
		changed |= shoal_ipv4_opt_ts_stamp(base + opts.ts, out->cfg.address, ms);
	}
	if (changed)
		shoal_ipv4_checksum_fill(p->data, shoal_ipv4_hdr_len(h));
}

/* The receive pipeline for a datagram at data in a buffer starting at base (buf_size bytes):
 * arrival checks, the ingress hooks of the plugins loaded after after_id (0: all; ABI 1.4
 * input_datagram resumes after its caller), local delivery or forwarding. */
static void dp_input_at(struct shoal_dp *dp, struct dp_if *in, uint8_t *data, size_t len,
                        const struct virtio_net_hdr *vh, size_t l2, const uint8_t *base,
                        size_t buf_size, uint64_t after_id)
{
	struct shoal_ipv4_hdr h;
	if (shoal_ipv4_parse(data, len, &h) != SHOAL_WIRE_OK) {
		dp_drop(dp, in->index, SHOAL_DP_DROP_BAD_IPV4);
		return;
	}
	struct dp_pkt p = {
	    .data = data,
	    .len = h.total_len, /* link padding excluded */
	    .headroom = (size_t)(data - base),
	    .capacity = buf_size - (size_t)(data - base),
	    .in = in->index,
	};
	if (!dp_offload_parse(&p, vh, l2, &h)) {
		dp_drop(dp, in->index, SHOAL_DP_DROP_BAD_OFFLOAD);
		return;
	}
	/* RFC 1812 §5.3.7: our own addresses and the directed broadcasts of our networks are
	 * martian sources too (never answered: dropping here sends no ICMP). */
	if (dp_addr_martian_source(h.src) || dp_if_by_address(dp, h.src) ||
	    dp_addr_directed_broadcast(dp, h.src)) {
		dp_drop(dp, in->index, SHOAL_DP_DROP_MARTIAN_SOURCE);
		return;
	}
	if (!dp_rp_filter_pass(dp, in, h.src)) {
		dp_drop(dp, in->index, SHOAL_DP_DROP_RP_FILTER);
		return;
	}
	if (dp_addr_martian_destination(h.dst)) {
		dp_drop(dp, in->index, SHOAL_DP_DROP_MARTIAN_DESTINATION);
		return;
	}
	if (dp_addr_multicast(h.dst)) {
		dp_drop(dp, in->index, SHOAL_DP_DROP_MULTICAST);
		return;
	}
	if (h.options_len && !dp_options_input(dp, &p, &h))
		return;
	if (shoal_plugin_host_count(dp->plugins) > 0) {
		dp_rt_mark(dp, SHOAL_DP_STAGE_HOOKS);
		enum shoal_plugin_verdict vd =
		    dp_hook_after(dp, SHOAL_PLUGIN_HOOK_INGRESS, &p, DP_NO_IF, 0, after_id);
		if (vd == SHOAL_PLUGIN_CONSUMED)
			return;
		if (vd == SHOAL_PLUGIN_DROP) {
			dp_drop(dp, in->index, SHOAL_DP_DROP_PLUGIN);
			return;
		}
		dp_rt_mark(dp, SHOAL_DP_STAGE_VALIDATION);
		/* a plugin may have rewritten the header (NAT) */
		if (shoal_ipv4_parse(p.data, p.len, &h) != SHOAL_WIRE_OK) {
			dp_drop(dp, in->index, SHOAL_DP_DROP_BAD_IPV4);
			return;
		}
	}
	if (dp_if_by_address(dp, h.dst)) {
		dp_local(dp, &p, &h);
		return;
	}
	if (h.dst == 0xffffffffu || dp_addr_directed_broadcast(dp, h.dst)) {
		dp_drop(dp, in->index, SHOAL_DP_DROP_BROADCAST);
		return;
	}
	dp_forward(dp, &p, &h);
}

static void dp_input(struct shoal_dp *dp, struct dp_if *in, uint8_t *data, size_t len,
                     const struct virtio_net_hdr *vh, size_t l2)
{
	dp_input_at(dp, in, data, len, vh, l2, dp->rxbuf, DP_BUF_SIZE, 0);
}

static void dp_plugq_flush(struct shoal_dp *dp);

static void dp_if_readable(void *arg, int fd, uint32_t events)
{
	(void)fd;
	(void)events;
	struct dp_if *f = arg;
	struct shoal_dp *dp = f->dp;
	/* TUN datagrams land SHOAL_ETH_HDR_LEN further so a TAP egress finds its headroom. */
	size_t l2 = f->netif ? SHOAL_ETH_HDR_LEN : 0;
	uint8_t *frame = dp->rxbuf + DP_HEADROOM + (f->netif ? 0 : SHOAL_ETH_HDR_LEN);
	size_t cap = DP_MAX_PACKET;
	for (unsigned i = 0; i < DP_RX_BUDGET; i++) {
		struct virtio_net_hdr vh;
		dp_rt_begin(dp);
		ssize_t n = shoal_tundev_read(&f->dev, &vh, frame, cap);
		if (n == -EAGAIN || n == -EINTR) {
			dp_rt_cancel(dp);
			return;
		}
		if (n == -EMSGSIZE) {
			dp_rt_cancel(dp);
			dp_drop(dp, f->index, SHOAL_DP_DROP_TRUNCATED);
			continue;
		}
		if (n < 0) {
			dp_rt_cancel(dp);
			shoal_log(SHOAL_LOG_WARN, "%s: read: %s", f->cfg.name, strerror((int)-n));
			return;
		}
		f->stats.rx_packets++;
		shoal_loop_busy(dp->loop); /* traffic: a busy poll (if set) goes on */
		f->stats.rx_bytes += (uint64_t)n;
		dp_rt_got(dp);
		dp_rt_mark(dp, SHOAL_DP_STAGE_VALIDATION);
		if (!f->netif) {
			dp_input(dp, f, frame, (size_t)n, &vh, l2);
		} else {
			struct shoal_netif_rx rx;
			/* otherwise ARP was handled, or the frame dropped and counted by the netif
			 */
			if (shoal_netif_input(f->netif, frame, (size_t)n, &rx) ==
			    SHOAL_NETIF_RX_IPV4)
				dp_input(dp, f, rx.datagram, rx.len, &vh, l2);
		}
		dp_rt_end(dp);
		if (dp->plugq_count > 0)
			dp_plugq_flush(dp);
	}
}

static void dp_tick(void *arg, uint64_t now_ms, uint64_t elapsed_ms)
{
	struct shoal_dp *dp = arg;
	dp->now_ms = now_ms;
	dp->stats.icmp_dest_evictions = shoal_icmp_limit_stats(dp->icmp_limit)->evictions;
	for (unsigned i = 0; i < dp->n_ifs; i++)
		if (dp->ifs[i].netif)
			shoal_netif_tick(dp->ifs[i].netif, elapsed_ms);
	shoal_plugin_host_tick(dp->plugins, now_ms);
	dp_plugq_flush(dp);
}

/* ---------- plugin host environment ---------- */

static void dp_plugin_log(void *user, enum shoal_log_level level, const char *plugin,
                          const char *msg)
{
	(void)user;
	shoal_log(level, "plugin %s: %s", plugin, msg);
}

/* Plugins' datagrams are copied into a bounded queue and sent once the current packet (or
 * tick, or load) is done, so hooks are never re-entered and no buffer in use is reused. */
static int dp_plugin_send(void *user, const uint8_t *datagram, size_t len)
{
	struct shoal_dp *dp = user;
	struct shoal_ipv4_hdr h;
	if (shoal_ipv4_parse(datagram, len, &h) != SHOAL_WIRE_OK || h.total_len != len)
		return -EINVAL;
	if (len > DP_PLUGQ_SLOT_SIZE - DP_HEADROOM)
		return -EMSGSIZE;
	if (shoal_lpm_lookup(dp->lpm, h.dst) == SHOAL_LPM_MISS)
		return -ENETUNREACH;
	if (dp->plugq_count == DP_PLUGQ_SLOTS) {
		dp->plugq_dropped++;
		return -ENOBUFS;
	}
	unsigned slot = (dp->plugq_head + dp->plugq_count++) % DP_PLUGQ_SLOTS;
	memcpy(dp->plugq + (size_t)slot * DP_PLUGQ_SLOT_SIZE + DP_HEADROOM, datagram, len);
	dp->plugq_len[slot] = (uint32_t)len;
	dp->plugq_out[slot] = 0;
	dp->plugq_in[slot] = 0;
	return 0;
}

/* Queues a plugin's datagram for dp_plugq_flush: out != 0 to ifindex out's output towards
 * nh (ABI 1.3 output_datagram), in != 0 into ifindex in's receive pipeline after the plugin
 * whose load id is after (ABI 1.4 input_datagram). */
static int dp_plugq_push(struct shoal_dp *dp, const uint8_t *datagram, size_t len, uint32_t out,
                         uint32_t nh, uint32_t in, uint64_t after)
{
	struct shoal_ipv4_hdr h;
	if (shoal_ipv4_parse(datagram, len, &h) != SHOAL_WIRE_OK || h.total_len != len)
		return -EINVAL;
	uint32_t ifindex = out ? out : in;
	if (ifindex == 0 || ifindex > dp->n_ifs)
		return -ENOENT;
	if (len > DP_PLUGQ_SLOT_SIZE - DP_HEADROOM)
		return -EMSGSIZE;
	if (dp->plugq_count == DP_PLUGQ_SLOTS) {
		dp->plugq_dropped++;
		return -ENOBUFS;
	}
	unsigned slot = (dp->plugq_head + dp->plugq_count++) % DP_PLUGQ_SLOTS;
	memcpy(dp->plugq + (size_t)slot * DP_PLUGQ_SLOT_SIZE + DP_HEADROOM, datagram, len);
	dp->plugq_len[slot] = (uint32_t)len;
	dp->plugq_out[slot] = out;
	dp->plugq_nh[slot] = nh ? nh : h.dst;
	dp->plugq_in[slot] = in;
	dp->plugq_after[slot] = after;
	return 0;
}

/* ABI 1.3 output_datagram: the same queue, sent on ifindex after the egress hooks. */
static int dp_plugin_output(void *user, uint32_t ifindex, uint32_t next_hop,
                            const uint8_t *datagram, size_t len)
{
	if (ifindex == 0)
		return -ENOENT;
	return dp_plugq_push(user, datagram, len, ifindex, next_hop, 0, 0);
}

/* ABI 1.4 input_datagram: the same queue, into ifindex's receive pipeline after the ingress
 * hooks of the caller (after_id) and the plugins before it. */
static int dp_plugin_input(void *user, uint32_t ifindex, uint64_t after_id, const uint8_t *datagram,
                           size_t len)
{
	if (ifindex == 0)
		return -ENOENT;
	return dp_plugq_push(user, datagram, len, 0, 0, ifindex, after_id);
}

/* Sends what plugins queued, including what they queue meanwhile (bounded by the ring). */
static void dp_plugq_flush(struct shoal_dp *dp)
{
	for (unsigned budget = DP_PLUGQ_SLOTS; dp->plugq_count > 0 && budget > 0; budget--) {
		unsigned slot = dp->plugq_head;
		uint8_t *buf = dp->plugq + (size_t)slot * DP_PLUGQ_SLOT_SIZE;
		/* the slot stays reserved while it is sent: sends from egress hooks go behind it */
		if (dp->plugq_in[slot] != 0) {
			struct dp_if *in = &dp->ifs[dp->plugq_in[slot] - 1];
			static const struct virtio_net_hdr no_offload; /* zero: none */
			if (!in->dev_open || !in->fd_registered)
				dp_drop(dp, in->index,
				        SHOAL_DP_DROP_LINK); /* the interface is gone */
			else
				dp_input_at(dp, in, buf + DP_HEADROOM, dp->plugq_len[slot],
				            &no_offload, 0, buf, DP_PLUGQ_SLOT_SIZE,
				            dp->plugq_after[slot]);
		} else if (dp->plugq_out[slot] == 0) {
			dp_send_local(dp, buf + DP_HEADROOM, dp->plugq_len[slot], DP_HEADROOM,
			              DP_PLUGQ_SLOT_SIZE - DP_HEADROOM);
		} else {
			struct dp_pkt p = {
			    .data = buf + DP_HEADROOM,
			    .len = dp->plugq_len[slot],
			    .headroom = DP_HEADROOM,
			    .capacity = DP_PLUGQ_SLOT_SIZE - DP_HEADROOM,
			    .in = DP_NO_IF,
			    .local_origin = true,
			};
			dp_output_device(dp, &p, &dp->ifs[dp->plugq_out[slot] - 1],
			                 dp->plugq_nh[slot]);
		}
		dp->plugq_head = (dp->plugq_head + 1) % DP_PLUGQ_SLOTS;
		dp->plugq_count--;
	}
}

static void dp_plugin_after_callback(void *user)
{
	struct shoal_dp *dp = user;
	if (dp->plugq_count > 0)
		dp_plugq_flush(dp);
}

static uint64_t dp_plugin_now(void *user)
{
	struct shoal_dp *dp = user;
	return shoal_loop_now_ms(dp->loop);
}

static int dp_plugin_fd_watch(void *user, int fd, uint32_t events,
                              void (*fn)(void *arg, int fd, uint32_t events), void *arg)
{
	struct shoal_dp *dp = user;
	return shoal_loop_add_fd(dp->loop, fd, events, fn, arg);
}

static int dp_plugin_fd_modify(void *user, int fd, uint32_t events)
{
	struct shoal_dp *dp = user;
	return shoal_loop_mod_fd(dp->loop, fd, events);
}

static int dp_plugin_fd_unwatch(void *user, int fd)
{
	struct shoal_dp *dp = user;
	return shoal_loop_del_fd(dp->loop, fd);
}

static int dp_plugin_interface_info(void *user, uint32_t ifindex, struct shoal_interface_info *out)
{
	struct shoal_dp *dp = user;
	if (ifindex == 0 || ifindex > dp->n_ifs)
		return -ENOENT;
	const struct shoal_config_interface *c = &dp->ifs[ifindex - 1].cfg;
	memset(out, 0, sizeof(*out));
	out->ifindex = ifindex;
	snprintf(out->name, sizeof(out->name), "%s", c->name);
	out->address = htonl(c->address);
	out->prefix_len = c->prefix_len;
	out->kind = c->kind == SHOAL_CONFIG_IF_TAP ? SHOAL_INTERFACE_TAP : SHOAL_INTERFACE_TUN;
	if (c->kind == SHOAL_CONFIG_IF_TAP)
		memcpy(out->mac, c->mac, sizeof(out->mac));
	out->mtu = c->mtu;
	out->offload = c->offload;
	return 0;
}

static int dp_plugin_interface_counters(void *user, uint32_t ifindex,
                                        struct shoal_interface_counters *out)
{
	struct shoal_dp *dp = user;
	if (ifindex == 0 || ifindex > dp->n_ifs)
		return -ENOENT;
	const struct dp_if *f = &dp->ifs[ifindex - 1];
	*out = (struct shoal_interface_counters){.rx_packets = f->stats.rx_packets,
	                                         .rx_bytes = f->stats.rx_bytes,
	                                         .tx_packets = f->stats.tx_packets,
	                                         .tx_bytes = f->stats.tx_bytes};
	for (unsigned i = 0; i < SHOAL_DP_DROP_COUNT_; i++)
		out->drops += f->stats.drops[i];
	if (f->netif)
		for (unsigned i = 0; i < SHOAL_NETIF_DROP_COUNT_; i++)
			out->drops += shoal_netif_stats(f->netif)->drops[i];
	return 0;
}

static int dp_plugin_runtime_stage(void *user, uint32_t index, struct shoal_runtime_stage *out)
{
	struct shoal_dp *dp = user;
	if (index >= SHOAL_DP_STAGE_COUNT_)
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", shoal_dp_stage_names[index]);
	out->calls = dp->rt[index].calls;
	out->packets = dp->rt[index].packets;
	out->ns = dp->rt[index].ns;
	return 0;
}

/* api->counter (ABI 1.4): the command queue's counters, then each TAP's ARP series; names
 * from the cmdq.h and netif.h tables. */
static int dp_plugin_counter(void *user, uint32_t index, struct shoal_counter *out)
{
	struct shoal_dp *dp = user;
	memset(out, 0, sizeof(*out));
	if (dp->cmdq) {
		if (index < SHOAL_CMDQ_CTR_COUNT_) {
			unsigned long long c[SHOAL_CMDQ_CTR_COUNT_];
			shoal_cmdq_counters(dp->cmdq, c);
			snprintf(out->group, sizeof(out->group), "cmdq");
			snprintf(out->name, sizeof(out->name), "%s",
			         shoal_cmdq_counter_names[index]);
			out->value = c[index];
			return 0;
		}
		index -= SHOAL_CMDQ_CTR_COUNT_;
	}
	for (unsigned i = 0; i < dp->n_ifs; i++) {
		if (!dp->ifs[i].netif)
			continue;
		if (index >= SHOAL_NETIF_ARP_COUNT_) {
			index -= SHOAL_NETIF_ARP_COUNT_;
			continue;
		}
		uint64_t a[SHOAL_NETIF_ARP_COUNT_];
		shoal_netif_arp_counters(dp->ifs[i].netif, a);
		snprintf(out->group, sizeof(out->group), "arp");
		snprintf(out->name, sizeof(out->name), "%s", shoal_netif_arp_counter_names[index]);
		snprintf(out->interface, sizeof(out->interface), "%s", dp->ifs[i].cfg.name);
		out->value = a[index];
		return 0;
	}
	return -ENOENT;
}

static void dp_plugin_runtime_enable(void *user, bool on)
{
	shoal_dp_runtime_enable(user, on);
}

/* ---------- setup ---------- */

static void dp_err(char *err, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void dp_err(char *err, size_t size, const char *fmt, ...)
{
	if (size == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, size, fmt, ap);
	va_end(ap);
}

static int dp_if_open(struct shoal_dp *dp, struct shoal_netlink *nl, struct dp_if *f, char *err,
                      size_t err_size)
{
	const struct shoal_config_interface *c = &f->cfg;
	enum shoal_tundev_kind kind =
	    c->kind == SHOAL_CONFIG_IF_TAP ? SHOAL_TUNDEV_TAP : SHOAL_TUNDEV_TUN;
	if (shoal_tundev_open(&f->dev, c->name, kind, c->offload, err, err_size) < 0)
		return -1;
	f->dev_open = true;
	int ifindex = shoal_netlink_ifindex(nl, c->name);
	if (ifindex < 0 || shoal_netlink_link_set_mtu(nl, ifindex, c->mtu) < 0 ||
	    shoal_netlink_link_set_up(nl, ifindex, true) < 0) {
		dp_err(err, err_size, "%s: rtnetlink: %s", c->name, nl->err);
		return -1;
	}
	if (kind == SHOAL_TUNDEV_TAP) {
		struct shoal_netif_config nc = {
		    .ip = c->address,
		    .prefix_len =
		        c->prefix_len, /* learn only neighbours on the interface's network */
		    .max_datagram = c->mtu > SHOAL_NETIF_DEFAULT_MAX_DATAGRAM
		                        ? c->mtu
		                        : SHOAL_NETIF_DEFAULT_MAX_DATAGRAM,
		    .pending_timeout_ms = dp->cfg->arp_give_up_ms,
		    .transmit = dp_netif_transmit,
		    .drop = dp_netif_drop,
		    .ctx = f,
		};
		memcpy(nc.mac.b, c->mac, sizeof(nc.mac.b));
		f->netif = shoal_netif_create(&nc);
		if (!f->netif) {
			dp_err(err, err_size, "%s: out of memory", c->name);
			return -1;
		}
	}
	if (shoal_loop_add_fd(dp->loop, f->dev.fd, EPOLLIN, dp_if_readable, f) < 0) {
		dp_err(err, err_size, "%s: cannot watch the device", c->name);
		return -1;
	}
	f->fd_registered = true;
	return 0;
}

static void dp_if_close(struct shoal_dp *dp, struct dp_if *f)
{
	if (f->fd_registered)
		shoal_loop_del_fd(dp->loop, f->dev.fd);
	f->fd_registered = false;
	shoal_netif_destroy(f->netif);
	f->netif = NULL;
	if (f->dev_open)
		shoal_tundev_close(&f->dev);
	f->dev_open = false;
}

static int dp_routes_install(struct shoal_dp *dp, const struct shoal_config *cfg, char *err,
                             size_t err_size)
{
	struct shoal_routes_entry *e = calloc(cfg->n_routes ? cfg->n_routes : 1, sizeof(*e));
	if (!e) {
		dp_err(err, err_size, "out of memory");
		return -1;
	}
	for (unsigned i = 0; i < cfg->n_routes; i++) {
		const struct shoal_config_route *r = &cfg->routes[i];
		e[i] = (struct shoal_routes_entry){.prefix = r->prefix,
		                                   .prefix_len = r->prefix_len,
		                                   .has_next_hop = r->has_next_hop,
		                                   .next_hop = r->has_next_hop ? r->next_hop : 0,
		                                   .ifindex = r->interface};
	}
	int rc = shoal_routes_set_config(dp->routes, e, cfg->n_routes);
	free(e);
	if (rc < 0)
		dp_err(err, err_size, "routes: the forwarding table cannot take every route");
	return rc;
}

static int dp_plugins_load(struct shoal_dp *dp, const struct shoal_config *cfg, char *err,
                           size_t err_size)
{
	int failed = 0;
	for (unsigned i = 0; i < cfg->n_plugins; i++) {
		char e[SHOAL_PLUGIN_HOST_ERR_SIZE];
		if (shoal_dp_plugin_load(dp, cfg->plugins[i].name, cfg->plugins[i].config_json, e,
		                         sizeof(e)) < 0) {
			/* the router keeps running without it */
			shoal_log(SHOAL_LOG_ERROR, "plugin %s: %s", cfg->plugins[i].name, e);
			dp_err(err, err_size, "plugin %s: %s", cfg->plugins[i].name, e);
			failed = -1;
		}
	}
	return failed;
}

struct shoal_dp *shoal_dp_create(const struct shoal_config *cfg, const struct shoal_dp_params *p,
                                 struct shoal_loop *loop, char *err, size_t err_size)
{
	struct shoal_dp *dp = calloc(1, sizeof(*dp));
	if (!dp) {
		dp_err(err, err_size, "out of memory");
		return NULL;
	}
	dp->loop = loop;
	if (p)
		dp->params = *p;
	struct shoal_icmp_limit_config lc;
	dp_icmp_limit_config(cfg, &lc);
	dp->icmp_limit = shoal_icmp_limit_create(&lc, shoal_loop_now_ms(loop));
	dp->cfg = malloc(sizeof(*dp->cfg));
	dp->rxbuf = malloc(DP_BUF_SIZE);
	dp->txbuf = malloc(DP_BUF_SIZE);
	dp->segbuf = malloc(DP_BUF_SIZE);
	dp->frag2buf = malloc(DP_BUF_SIZE);
	dp->plugq = malloc((size_t)DP_PLUGQ_SLOTS * DP_PLUGQ_SLOT_SIZE);
	dp->lpm = shoal_lpm_create(NULL);
	dp->rt_on = true;
	if (!dp->icmp_limit || !dp->cfg || !dp->rxbuf || !dp->txbuf || !dp->segbuf ||
	    !dp->frag2buf || !dp->plugq || !dp->lpm) {
		dp_err(err, err_size, "out of memory");
		goto fail;
	}
	memcpy(dp->cfg, cfg, sizeof(*cfg));
	struct shoal_plugin_host_env env = {
	    .user = dp,
	    .log = dp_plugin_log,
	    .send_datagram = dp_plugin_send,
	    .output_datagram = dp_plugin_output,
	    .input_datagram = dp_plugin_input,
	    .after_callback = dp_plugin_after_callback,
	    .now_ms = dp_plugin_now,
	    .fd_watch = dp_plugin_fd_watch,
	    .fd_modify = dp_plugin_fd_modify,
	    .fd_unwatch = dp_plugin_fd_unwatch,
	    .interface_info = dp_plugin_interface_info,
	    .interface_counters = dp_plugin_interface_counters,
	    .runtime_stage = dp_plugin_runtime_stage,
	    .runtime_enable = dp_plugin_runtime_enable,
	    .counter = dp_plugin_counter,
	};
	dp->plugins = shoal_plugin_host_create(cfg->plugin_dir, &env);
	if (!dp->plugins) {
		dp_err(err, err_size, "out of memory");
		goto fail;
	}

	struct shoal_netlink nl;
	if (shoal_netlink_open(&nl) < 0) {
		dp_err(err, err_size, "rtnetlink: %s", nl.err);
		goto fail;
	}
	for (unsigned i = 0; i < cfg->n_interfaces; i++) {
		struct dp_if *f = &dp->ifs[i];
		f->dp = dp;
		f->index = i;
		f->cfg = cfg->interfaces[i];
		f->mask = shoal_ipv4_prefix_mask(f->cfg.prefix_len);
		f->dev.fd = -1;
		dp->n_ifs = i + 1;
		if (dp_if_open(dp, &nl, f, err, err_size) < 0) {
			shoal_netlink_close(&nl);
			goto fail;
		}
	}
	shoal_netlink_close(&nl);
	struct shoal_routes_if rifs[SHOAL_CONFIG_MAX_INTERFACES];
	for (unsigned i = 0; i < cfg->n_interfaces; i++) {
		memcpy(rifs[i].name, cfg->interfaces[i].name, sizeof(rifs[i].name));
		rifs[i].address = cfg->interfaces[i].address;
		rifs[i].prefix_len = cfg->interfaces[i].prefix_len;
	}
	dp->routes = shoal_routes_create(rifs, cfg->n_interfaces, shoal_routes_lpm_apply, dp->lpm);
	if (!dp->routes) {
		dp_err(err, err_size, "connected routes cannot be installed");
		goto fail;
	}
	shoal_routes_set_batch(dp->routes, shoal_routes_lpm_batch);
	if (dp_routes_install(dp, cfg, err, err_size) < 0)
		goto fail;
	if (shoal_loop_add_tick(loop, dp_tick, dp) < 0) {
		dp_err(err, err_size, "cannot register the tick");
		goto fail;
	}
	dp->tick_registered = true;
	shoal_loop_set_busy_poll(loop, cfg->busy_poll_us);
	char perr[SHOAL_PLUGIN_HOST_ERR_SIZE] = "";
	dp_plugins_load(dp, cfg, perr, sizeof(perr)); /* failures are logged; we keep running */
	return dp;

fail:
	shoal_dp_destroy(dp);
	return NULL;
}

void shoal_dp_destroy(struct shoal_dp *dp)
{
	if (!dp)
		return;
	shoal_plugin_host_destroy(dp->plugins);
	if (dp->tick_registered) {
		shoal_loop_set_busy_poll(dp->loop, 0);
		shoal_loop_del_tick(dp->loop, dp_tick, dp);
	}
	for (unsigned i = dp->n_ifs; i-- > 0;)
		dp_if_close(dp, &dp->ifs[i]);
	shoal_routes_destroy(dp->routes);
	shoal_lpm_destroy(dp->lpm);
	shoal_icmp_limit_destroy(dp->icmp_limit);
	free(dp->plugq);
	free(dp->frag2buf);
	free(dp->segbuf);
	free(dp->txbuf);
	free(dp->rxbuf);
	free(dp->cfg);
	free(dp);
}

static const struct shoal_config_plugin *dp_plugin_in(const struct shoal_config *cfg,
                                                      const char *name)
{
	for (unsigned i = 0; i < cfg->n_plugins; i++)
		if (strcmp(cfg->plugins[i].name, name) == 0)
			return &cfg->plugins[i];
	return NULL;
}

static bool dp_interfaces_same(const struct shoal_config *a, const struct shoal_config *b)
{
	if (a->n_interfaces != b->n_interfaces)
		return false;
	for (unsigned i = 0; i < a->n_interfaces; i++)
		if (memcmp(&a->interfaces[i], &b->interfaces[i], sizeof(a->interfaces[i])) != 0)
			return false;
	return true;
}

int shoal_dp_reload(struct shoal_dp *dp, const struct shoal_config *cfg, char *err, size_t err_size)
{
	int rc = 0;
	if (!dp_interfaces_same(dp->cfg, cfg)) {
		dp_err(err, err_size, "interface changes need a restart; they were ignored");
		rc = -1;
	}
	/* Routes: the configuration's set is swapped under the API overlay (prefixes the API
	 * set or deleted keep their API state). All of it happens between two packets. */
	if (dp_routes_install(dp, cfg, err, err_size) < 0)
		rc = -1;
	/* Plugins: unload those gone or with a new config, then load what is missing. */
	for (unsigned i = 0; i < dp->cfg->n_plugins; i++) {
		const struct shoal_config_plugin *old = &dp->cfg->plugins[i];
		const struct shoal_config_plugin *now = dp_plugin_in(cfg, old->name);
		if (!now || strcmp(now->config_json, old->config_json) != 0)
			shoal_plugin_host_unload(dp->plugins, old->name, NULL, 0);
	}
	for (unsigned i = 0; i < cfg->n_plugins; i++) {
		const struct shoal_config_plugin *now = &cfg->plugins[i];
		const struct shoal_config_plugin *old = dp_plugin_in(dp->cfg, now->name);
		if (old && strcmp(now->config_json, old->config_json) == 0)
			continue;
		char e[SHOAL_PLUGIN_HOST_ERR_SIZE];
		if (shoal_dp_plugin_load(dp, now->name, now->config_json, e, sizeof(e)) < 0) {
			dp_err(err, err_size, "plugin %s: %s", now->name, e);
			rc = -1;
		}
	}
	/* keep our interfaces; take the new routes and plugins */
	struct shoal_config *tmp = dp->cfg;
	tmp->n_routes = cfg->n_routes;
	memcpy(tmp->routes, cfg->routes, sizeof(cfg->routes[0]) * cfg->n_routes);
	tmp->icmp_rate_per_s = cfg->icmp_rate_per_s;
	tmp->icmp_burst = cfg->icmp_burst;
	tmp->source_route = cfg->source_route;
	tmp->busy_poll_us = cfg->busy_poll_us;
	shoal_loop_set_busy_poll(dp->loop, cfg->busy_poll_us);
	tmp->icmp_dest_interval_ms = cfg->icmp_dest_interval_ms;
	tmp->icmp_dest_burst = cfg->icmp_dest_burst;
	struct shoal_icmp_limit_config lc;
	dp_icmp_limit_config(tmp, &lc);
	shoal_icmp_limit_set_rates(dp->icmp_limit, &lc);
	tmp->n_plugins = cfg->n_plugins;
	memcpy(tmp->plugins, cfg->plugins, sizeof(cfg->plugins[0]) * cfg->n_plugins);
	return rc;
}

/* Writes DIR/NAME.so into path; true when it fits and the file exists (whatever it holds). */
static bool dp_plugin_path(const char *dir, const char *name, char path[SHOAL_CONFIG_PATH_MAX])
{
	int n = snprintf(path, SHOAL_CONFIG_PATH_MAX, "%s/%s.so", dir, name);
	return n > 0 && n < SHOAL_CONFIG_PATH_MAX && access(path, F_OK) == 0;
}

int shoal_dp_plugin_load(struct shoal_dp *dp, const char *name, const char *config_json, char *err,
                         size_t err_size)
{
	int rc = shoal_plugin_host_load(dp->plugins, name, config_json, err, err_size);
	/* Not installed: try the build tree (running from a checkout). Only when the file is
	 * missing from plugin_dir (a plugin there without its symbol also gives ENOENT) and
	 * present in the build tree; otherwise the first error, naming plugin_dir, stays. */
	char path[SHOAL_CONFIG_PATH_MAX];
	if (rc == -ENOENT && dp->params.plugin_build_dir && !strchr(name, '/') &&
	    !dp_plugin_path(dp->cfg->plugin_dir, name, path) &&
	    dp_plugin_path(dp->params.plugin_build_dir, name, path))
		rc = shoal_plugin_host_load(dp->plugins, path, config_json, err, err_size);
	if (rc == 0)
		shoal_log(SHOAL_LOG_INFO, "plugin %s loaded", name);
	dp_plugq_flush(dp); /* what init sent */
	return rc;
}

int shoal_dp_plugin_unload(struct shoal_dp *dp, const char *name, char *err, size_t err_size)
{
	return shoal_plugin_host_unload(dp->plugins, name, err, err_size);
}

struct shoal_plugin_host *shoal_dp_plugins(struct shoal_dp *dp)
{
	return dp->plugins;
}

unsigned shoal_dp_if_count(const struct shoal_dp *dp)
{
	return dp->n_ifs;
}

const char *shoal_dp_if_name(const struct shoal_dp *dp, unsigned i)
{
	return i < dp->n_ifs ? dp->ifs[i].cfg.name : NULL;
}

const struct shoal_dp_if_stats *shoal_dp_if_stats(const struct shoal_dp *dp, unsigned i)
{
	return i < dp->n_ifs ? &dp->ifs[i].stats : NULL;
}

const struct shoal_dp_stats *shoal_dp_stats(struct shoal_dp *dp)
{
	dp->stats.busy_polls = dp->loop->polls; /* the loop's own count, as of this call */
	return &dp->stats;
}

uint64_t shoal_dp_last_loop_ms(const struct shoal_dp *dp)
{
	return shoal_loop_last_iteration_ms(dp->loop);
}

struct shoal_lpm *shoal_dp_lpm(struct shoal_dp *dp)
{
	return dp->lpm;
}

void shoal_dp_set_cmdq(struct shoal_dp *dp, struct shoal_cmdq *q)
{
	dp->cmdq = q;
}

const struct shoal_dp_stage *shoal_dp_runtime(const struct shoal_dp *dp)
{
	return dp->rt;
}

bool shoal_dp_runtime_on(const struct shoal_dp *dp)
{
	return dp->rt_on;
}

void shoal_dp_runtime_enable(struct shoal_dp *dp, bool on)
{
	dp->rt_on = on;
	dp->rt_active = false;
}

struct shoal_routes *shoal_dp_routes(struct shoal_dp *dp)
{
	return dp->routes;
}

const struct shoal_config *shoal_dp_config(const struct shoal_dp *dp)
{
	return dp->cfg;
}

bool shoal_dp_if_up(const struct shoal_dp *dp, unsigned i)
{
	return i < dp->n_ifs && dp->ifs[i].dev_open && dp->ifs[i].fd_registered;
}

bool shoal_dp_if_offload(const struct shoal_dp *dp, unsigned i)
{
	return i < dp->n_ifs && dp->ifs[i].dev.vnet_hdr;
}

struct shoal_netif *shoal_dp_netif(struct shoal_dp *dp, unsigned i)
{
	return i < dp->n_ifs ? dp->ifs[i].netif : NULL;
}
