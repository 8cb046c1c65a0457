/*
 * tcp.c — the tcp plugin: TCP connections that end on the router's own addresses, carried by
 * the stack's TCP (stack/tcp_peer.c, every option on), with echo, discard, chargen and a
 * proxy to a host socket (the API by default). Guide: plugins/tcp/README.md.
 *
 * Role: claims TCP datagrams at local delivery (SHOAL_PLUGIN_CONSUMED), finds or creates the
 * connection for the four-tuple and feeds the segment to its shoal_tcp_peer; segments the peer
 * transmits leave through api->send_datagram from the router's address. Time reaches the peers
 * through the plugin's one host timer (re-armed every TCP_TICK_MS while connections exist) and
 * before every segment (each connection ticks by the time elapsed since its last tick).
 * Segments to a router address on a port with no listener (or to no connection) are answered
 * by RST (RFC 9293 §3.10.7.1), as a host does; the core's ICMP port unreachable stays for UDP
 * and for TCP when this plugin is not loaded.
 *
 * Invariants:
 *   - At most max_connections connections (any state) and at most syn_backlog of them in
 *     SYN-RECEIVED. A SYN that finds the backlog full evicts the oldest SYN-RECEIVED
 *     connection (drop-oldest, counted as backlog_evicted); a SYN that finds the table full
 *     reclaims the oldest TIME-WAIT connection, else is refused by RST (table_full).
 *   - Per-connection memory is bounded by send_buffer + recv_buffer (the peer's streams).
 *   - The connection list and the API read the peers themselves (shoal_tcp_peer_get_info):
 *     no copy of their state is kept. Counters of closed connections are folded into the
 *     plugin's totals when they are freed, so totals = closed + live.
 *   - No allocation per segment: a connection is allocated at its SYN and freed when its
 *     peer is no longer active.
 *
 * Ownership: everything hangs off struct tcp_plugin (the plugin's state); connections own
 * their peer and their proxy socket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include "shoal/byte_stream.h"
#include "shoal/ipv4.h"
#include "shoal/plugin.h"
#include "shoal/textbuf.h"
#include "shoal/siphash.h"
#include "shoal/tcp_header.h"
#include "shoal/tcp_isn.h"
#include "shoal/tcp_message.h"
#include "shoal/tcp_peer.h"

enum {
	TCP_TICK_MS = 10,           /* peer timer resolution */
	TCP_TXBUF = 65536 + 64,     /* one outgoing datagram */
	TCP_MAX_LISTENERS = 64,     /* listen entries */
	TCP_MAX_SEG_PAYLOAD = 3900, /* the host's send queue takes datagrams up to ~4 KiB */
	TCP_PROXY_CHUNK = 65536,    /* bytes moved per read() from a proxy socket */
	TCP_FDMAP = 65536,          /* proxy sockets must have fd < TCP_FDMAP */
	TCP_TTL = 64,
	TCP_CHARGEN_LINE = 72,  /* RFC 864: 72 characters a line */
	TCP_CHARGEN_CHARS = 95, /* printable ASCII ' '..'~' */
	TCP_CHARGEN_PERIOD = TCP_CHARGEN_CHARS * (TCP_CHARGEN_LINE + 2),
};

/* The plugin's drop/event table: enum, counter names and API keys come from it. */
#define TCP_PLUGIN_DROPS(X)                                                                        \
	X(MALFORMED, "malformed", "unparsable IPv4/TCP header")                                    \
	X(BAD_CHECKSUM, "bad_checksum", "TCP checksum wrong")                                      \
	X(FRAGMENT, "fragment", "IPv4 fragment of a TCP segment (not reassembled)")                \
	X(NO_LISTENER, "no_listener", "no listener and no connection (answered by RST)")           \
	X(TABLE_FULL, "table_full", "max_connections reached (SYN answered by RST)")               \
	X(BACKLOG_EVICTED, "backlog_evicted",                                                      \
	  "oldest SYN-RECEIVED connection dropped for a new SYN (syn_backlog full)")               \
	X(NO_MEMORY, "no_memory", "connection allocation failed (SYN dropped)")                    \
	X(TX_QUEUE_FULL, "tx_queue_full", "segment not sent: host send queue full")                \
	X(TX_UNREACHABLE, "tx_unreachable", "segment not sent: no route to the peer")              \
	X(TX_ERROR, "tx_error", "segment not sent: other error")                                   \
	X(PROXY_CONNECT_FAILED, "proxy_connect_failed",                                            \
	  "proxy could not reach its host socket (connection reset)")

#define TCP_DROP_ENUM_(s, n, d) TCP_DROP_##s,
enum tcp_plugin_drop { TCP_PLUGIN_DROPS(TCP_DROP_ENUM_) TCP_DROP_COUNT_ };
#undef TCP_DROP_ENUM_

#define TCP_DROP_NAME_(s, n, d) n,
static const char *const tcp_drop_names[] = {TCP_PLUGIN_DROPS(TCP_DROP_NAME_)};
#undef TCP_DROP_NAME_
#define TCP_DROP_DESC_(s, n, d) d,
static const char *const tcp_drop_descs[] = {TCP_PLUGIN_DROPS(TCP_DROP_DESC_)};
#undef TCP_DROP_DESC_

/* Event counters (host counters, also in GET /api/v1/tcp). */
#define TCP_PLUGIN_EVENTS(X)                                                                       \
	X(OPENED, "connections_opened", "connections that reached ESTABLISHED")                    \
	X(ACCEPTED_SYN, "syns_accepted", "SYNs that created a connection (SYN-RECEIVED)")          \
	X(REFUSED, "connections_refused", "SYNs answered by RST (no listener or table full)")      \
	X(RESET, "connections_reset", "connections ended by an RST (sent or received)")            \
	X(CLOSED, "connections_closed", "connections freed (any reason)")                          \
	X(RST_SENT, "rst_sent", "RSTs sent for segments without a connection")                     \
	X(SEGMENTS_IN, "segments_in", "TCP segments received")                                     \
	X(SEGMENTS_OUT, "segments_out", "TCP segments sent")

#define TCP_EVENT_ENUM_(s, n, d) TCP_EV_##s,
enum tcp_plugin_event { TCP_PLUGIN_EVENTS(TCP_EVENT_ENUM_) TCP_EV_COUNT_ };
#undef TCP_EVENT_ENUM_
#define TCP_EVENT_NAME_(s, n, d) n,
static const char *const tcp_event_names[] = {TCP_PLUGIN_EVENTS(TCP_EVENT_NAME_)};
#undef TCP_EVENT_NAME_
#define TCP_EVENT_DESC_(s, n, d) d,
static const char *const tcp_event_descs[] = {TCP_PLUGIN_EVENTS(TCP_EVENT_DESC_)};
#undef TCP_EVENT_DESC_

#define TCP_SERVICES(X)                                                                            \
	X(ECHO, "echo")                                                                            \
	X(DISCARD, "discard")                                                                      \
	X(CHARGEN, "chargen")                                                                      \
	X(PROXY, "proxy")
#define TCP_SVC_ENUM_(s, n) TCP_SVC_##s,
enum tcp_service { TCP_SERVICES(TCP_SVC_ENUM_) TCP_SVC_COUNT_ };
#undef TCP_SVC_ENUM_
#define TCP_SVC_NAME_(s, n) n,
static const char *const tcp_service_names[] = {TCP_SERVICES(TCP_SVC_NAME_)};
#undef TCP_SVC_NAME_

struct tcp_listener {
	uint32_t address; /* host order; 0 = every router address */
	uint16_t port;
	enum tcp_service service;
	struct sockaddr_in to; /* proxy target */
	char to_text[32];
};

enum tcp_proxy_state { PROXY_NONE, PROXY_CONNECTING, PROXY_OPEN, PROXY_DONE };

struct tcp_plugin;

struct tcp_conn {
	struct shoal_tcp_peer peer;
	struct tcp_plugin *st;
	const struct tcp_listener *lst;
	uint32_t laddr, raddr; /* host order */
	uint16_t lport, rport;
	uint64_t last_ms; /* host time the peer was last ticked to */
	uint64_t created_ms;
	bool established;
	uint64_t chargen_pos;
	/* proxy */
	int fd;
	enum tcp_proxy_state pstate;
	uint32_t fd_events; /* what we asked the host to watch */
	bool host_eof;      /* read() returned 0 */
	bool host_wr_shut;  /* shutdown(SHUT_WR) done */
	/* lists */
	struct tcp_conn *hnext;         /* hash chain */
	struct tcp_conn *prev, *next;   /* all connections, oldest first */
	struct tcp_conn *sprev, *snext; /* SYN-RECEIVED backlog, oldest first */
	bool in_synq;
};

struct tcp_plugin {
	struct shoal_host *host;
	const struct shoal_host_api *api;
	struct tcp_listener listeners[TCP_MAX_LISTENERS];
	size_t n_listeners;
	uint32_t max_connections;
	uint32_t syn_backlog;
	size_t send_buffer, recv_buffer;
	uint64_t min_rto_ms;
	uint64_t msl_ms;
	uint8_t isn_key[SHOAL_SIPHASH_KEY_LEN];
	uint8_t hash_key[SHOAL_SIPHASH_KEY_LEN];
	struct tcp_conn **buckets;
	size_t n_buckets; /* power of two */
	struct tcp_conn *head, *tail;
	struct tcp_conn *synq_head, *synq_tail;
	uint32_t n_conns, n_synq;
	struct tcp_conn **fdmap; /* proxy fd -> connection */
	uint16_t ip_id;
	bool timer_armed;
	uint8_t *txbuf;
	uint8_t *proxybuf;
	uint8_t chargen[TCP_CHARGEN_PERIOD];
	uint64_t *drops[TCP_DROP_COUNT_];
	uint16_t drop_ids[TCP_DROP_COUNT_];
	uint64_t *events[TCP_EV_COUNT_];
	/* counters of freed connections (folded from their peers) */
	uint64_t closed_retx;
	uint64_t closed_challenge_acks;
	uint64_t closed_peer_drops[SHOAL_TCP_DROP_COUNT_];
};

static void tcp_proxy_ready(void *state, int fd, uint32_t events);
static void tcp_conn_service(struct tcp_plugin *st, struct tcp_conn *c);

/* ---------------------------------------------------------------- helpers */

static void tcp_count(struct tcp_plugin *st, enum tcp_plugin_drop d)
{
	(*st->drops[d])++;
}

static void tcp_event(struct tcp_plugin *st, enum tcp_plugin_event e)
{
	(*st->events[e])++;
}

static size_t tcp_hash(const struct tcp_plugin *st, uint32_t raddr, uint16_t rport, uint32_t laddr,
                       uint16_t lport)
{
	uint8_t k[12];
	memcpy(k, &raddr, 4);
	memcpy(k + 4, &laddr, 4);
	memcpy(k + 8, &rport, 2);
	memcpy(k + 10, &lport, 2);
	return (size_t)shoal_siphash24(st->hash_key, k, sizeof(k)) & (st->n_buckets - 1);
}

static struct tcp_conn *tcp_lookup(struct tcp_plugin *st, uint32_t raddr, uint16_t rport,
                                   uint32_t laddr, uint16_t lport)
{
	for (struct tcp_conn *c = st->buckets[tcp_hash(st, raddr, rport, laddr, lport)]; c;
	     c = c->hnext)
		if (c->raddr == raddr && c->rport == rport && c->laddr == laddr &&
		    c->lport == lport)
			return c;
	return NULL;
}

static const struct tcp_listener *tcp_listener_find(const struct tcp_plugin *st, uint32_t addr,
                                                    uint16_t port)
{
	for (size_t i = 0; i < st->n_listeners; i++) {
		const struct tcp_listener *l = &st->listeners[i];
		if (l->port == port && (l->address == 0 || l->address == addr))
			return l;
	}
	return NULL;
}

/* Builds the IPv4 datagram around th and hands it to the host. */
static void tcp_send_segment(struct tcp_plugin *st, uint32_t src, uint32_t dst,
                             const struct shoal_tcp_header *th)
{
	uint8_t *buf = st->txbuf;
	size_t n = shoal_tcp_serialize_ipv4(th, src, dst, buf + SHOAL_IPV4_MIN_HDR_LEN,
	                                    TCP_TXBUF - SHOAL_IPV4_MIN_HDR_LEN);
	if (n == 0) {
		tcp_count(st, TCP_DROP_TX_ERROR);
		return;
	}
	struct shoal_ipv4_hdr ih = {
	    .total_len = (uint16_t)(SHOAL_IPV4_MIN_HDR_LEN + n),
	    .id = st->ip_id++,
	    .ttl = TCP_TTL,
	    .protocol = SHOAL_IP_PROTO_TCP,
	    .src = src,
	    .dst = dst,
	};
	shoal_ipv4_set_frag(&ih, true, false, 0);
	shoal_ipv4_serialize(&ih, buf, SHOAL_IPV4_MIN_HDR_LEN);
	int rc = st->api->send_datagram(st->host, buf, ih.total_len);
	if (rc == 0)
		tcp_event(st, TCP_EV_SEGMENTS_OUT);
	else if (rc == -ENOBUFS)
		tcp_count(st, TCP_DROP_TX_QUEUE_FULL);
	else if (rc == -ENETUNREACH)
		tcp_count(st, TCP_DROP_TX_UNREACHABLE);
	else
		tcp_count(st, TCP_DROP_TX_ERROR);
}

/* RFC 9293 §3.10.7.1: the reset for a segment that has no connection (never for an RST). */
static void tcp_send_reset(struct tcp_plugin *st, uint32_t laddr, uint32_t raddr,
                           const struct shoal_tcp_header *in)
{
	if (in->flags & SHOAL_TCP_RST)
		return;
	struct shoal_tcp_header h = {.src_port = in->dst_port, .dst_port = in->src_port};
	if (in->flags & SHOAL_TCP_ACK) {
		h.seq = in->ack;
		h.flags = SHOAL_TCP_RST;
	} else {
		uint32_t len = (uint32_t)in->payload_len + ((in->flags & SHOAL_TCP_SYN) ? 1u : 0u) +
		               ((in->flags & SHOAL_TCP_FIN) ? 1u : 0u);
		h.seq = 0;
		h.ack = in->seq + len;
		h.flags = SHOAL_TCP_RST | SHOAL_TCP_ACK;
	}
	tcp_event(st, TCP_EV_RST_SENT);
	tcp_send_segment(st, laddr, raddr, &h);
}

static void tcp_conn_transmit(void *ctx, const struct shoal_tcp_message *m)
{
	struct tcp_conn *c = ctx;
	struct shoal_tcp_header th;
	shoal_tcp_message_to_header(m, c->lport, c->rport, &th);
	tcp_send_segment(c->st, c->laddr, c->raddr, &th);
}

/* ---------------------------------------------------------------- timer */

static void tcp_timer_fired(void *state, uint64_t now_ms);

static void tcp_timer_arm(struct tcp_plugin *st, uint64_t now_ms)
{
	if (st->timer_armed || st->n_conns == 0)
		return;
	if (st->api->timer_set(st->host, now_ms + TCP_TICK_MS, tcp_timer_fired) == 0)
		st->timer_armed = true;
}

/* ---------------------------------------------------------------- connections */

static void tcp_synq_remove(struct tcp_plugin *st, struct tcp_conn *c)
{
	if (!c->in_synq)
		return;
	if (c->sprev)
		c->sprev->snext = c->snext;
	else
		st->synq_head = c->snext;
	if (c->snext)
		c->snext->sprev = c->sprev;
	else
		st->synq_tail = c->sprev;
	c->sprev = c->snext = NULL;
	c->in_synq = false;
	st->n_synq--;
}

static void tcp_proxy_watch(struct tcp_conn *c, uint32_t events)
{
	struct tcp_plugin *st = c->st;
	if (c->fd < 0 || events == c->fd_events)
		return;
	if (events == 0) {
		st->api->fd_unwatch(st->host, c->fd);
	} else if (st->api->fd_watch(st->host, c->fd, events, tcp_proxy_ready) < 0) {
		return;
	}
	c->fd_events = events;
}

static void tcp_proxy_close(struct tcp_conn *c)
{
	if (c->fd < 0)
		return;
	tcp_proxy_watch(c, 0);
	c->st->fdmap[c->fd] = NULL;
	close(c->fd);
	c->fd = -1;
	c->pstate = PROXY_DONE;
}

static void tcp_conn_free(struct tcp_plugin *st, struct tcp_conn *c)
{
	struct shoal_tcp_peer_info info;
	shoal_tcp_peer_get_info(&c->peer, &info);
	st->closed_retx += info.retransmissions;
	st->closed_challenge_acks += info.challenge_acks;
	for (size_t i = 0; i < SHOAL_TCP_DROP_COUNT_; i++)
		st->closed_peer_drops[i] += info.drops[i];
	tcp_proxy_close(c);
	tcp_synq_remove(st, c);
	struct tcp_conn **pp = &st->buckets[tcp_hash(st, c->raddr, c->rport, c->laddr, c->lport)];
	while (*pp && *pp != c)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = c->hnext;
	if (c->prev)
		c->prev->next = c->next;
	else
		st->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		st->tail = c->prev;
	st->n_conns--;
	tcp_event(st, TCP_EV_CLOSED);
	shoal_tcp_peer_fini(&c->peer);
	free(c);
}

static struct tcp_conn *tcp_conn_new(struct tcp_plugin *st, const struct tcp_listener *l,
                                     uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport,
                                     uint32_t ifindex, uint64_t now_ms)
{
	struct tcp_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	struct shoal_tcp_config cfg;
	shoal_tcp_config_defaults(&cfg);
	cfg.options = SHOAL_TCP_CFG_ALL;
	cfg.send_capacity = st->send_buffer;
	cfg.recv_capacity = st->recv_buffer;
	uint32_t mtu = 1500;
	struct shoal_interface_info ii;
	if (ifindex && st->api->interface_info(st->host, ifindex, &ii) == 0 && ii.mtu >= 576)
		mtu = ii.mtu;
	/* we advertise MTU - 40; our own segments leave room for 40 bytes of options
	 * (timestamps + SACK blocks), so they never exceed the MTU (RFC 6691) */
	size_t mss = mtu - SHOAL_IPV4_MIN_HDR_LEN - SHOAL_TCP_MIN_HDR_LEN;
	if (mss > TCP_MAX_SEG_PAYLOAD)
		mss = TCP_MAX_SEG_PAYLOAD;
	cfg.mss = (uint16_t)mss;
	cfg.max_payload = mss - (SHOAL_TCP_MAX_HDR_LEN - SHOAL_TCP_MIN_HDR_LEN);
	cfg.min_rto_ms = st->min_rto_ms;
	cfg.rt_timeout_ms = 1000; /* RFC 6298 §2.1 initial RTO */
	cfg.msl_ms = st->msl_ms;
	cfg.max_outstanding_segments = st->send_buffer / 64 + 64;
	/* the largest shift that lets the window express the whole receive buffer */
	uint8_t ws = 0;
	while (ws < SHOAL_TCP_MAX_WSCALE && (st->recv_buffer >> ws) > SHOAL_TCP_MAX_WINDOW)
		ws++;
	cfg.wscale = ws ? ws : 1;
	cfg.isn = shoal_tcp_isn(st->isn_key, laddr, lport, raddr, rport, now_ms * 1000u);
	c->st = st;
	c->fd = -1;
	if (shoal_tcp_peer_init(&c->peer, &cfg, tcp_conn_transmit, c) < 0) {
		free(c);
		return NULL;
	}
	c->lst = l;
	c->laddr = laddr;
	c->lport = lport;
	c->raddr = raddr;
	c->rport = rport;
	c->last_ms = now_ms;
	c->created_ms = now_ms;
	size_t b = tcp_hash(st, raddr, rport, laddr, lport);
	c->hnext = st->buckets[b];
	st->buckets[b] = c;
	c->prev = st->tail;
	if (st->tail)
		st->tail->next = c;
	else
		st->head = c;
	st->tail = c;
	c->sprev = st->synq_tail;
	if (st->synq_tail)
		st->synq_tail->snext = c;
	else
		st->synq_head = c;
	st->synq_tail = c;
	c->in_synq = true;
	st->n_synq++;
	st->n_conns++;
	shoal_tcp_peer_listen(&c->peer);
	return c;
}

static void tcp_conn_advance(struct tcp_conn *c, uint64_t now_ms)
{
	if (now_ms > c->last_ms) {
		shoal_tcp_peer_tick(&c->peer, now_ms - c->last_ms);
		c->last_ms = now_ms;
	}
}

/* ---------------------------------------------------------------- services */

static void tcp_proxy_start(struct tcp_conn *c)
{
	struct tcp_plugin *st = c->st;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || fd >= TCP_FDMAP) {
		if (fd >= 0)
			close(fd);
		tcp_count(st, TCP_DROP_PROXY_CONNECT_FAILED);
		shoal_tcp_peer_abort(&c->peer);
		c->pstate = PROXY_DONE;
		return;
	}
	c->fd = fd;
	st->fdmap[fd] = c;
	int rc = connect(fd, (const struct sockaddr *)&c->lst->to, sizeof(c->lst->to));
	if (rc < 0 && errno != EINPROGRESS) {
		tcp_count(st, TCP_DROP_PROXY_CONNECT_FAILED);
		tcp_proxy_close(c);
		shoal_tcp_peer_abort(&c->peer);
		return;
	}
	c->pstate = rc == 0 ? PROXY_OPEN : PROXY_CONNECTING;
	if (c->pstate == PROXY_CONNECTING)
		tcp_proxy_watch(c, SHOAL_FD_WRITE);
}

/* Moves bytes between the proxy socket and the peer's streams; sets what to watch. */
static void tcp_proxy_pump(struct tcp_conn *c)
{
	struct tcp_plugin *st = c->st;
	if (c->pstate != PROXY_OPEN)
		return;
	struct shoal_byte_stream *in = shoal_tcp_peer_inbound(&c->peer);
	struct shoal_byte_stream *out = shoal_tcp_peer_outbound(&c->peer);
	bool want_write = false;
	/* client -> host */
	for (;;) {
		const uint8_t *view;
		size_t n = shoal_byte_stream_peek(in, &view);
		if (n == 0)
			break;
		ssize_t w = send(c->fd, view, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				want_write = true;
				break;
			}
			tcp_proxy_close(c);
			shoal_tcp_peer_abort(&c->peer);
			return;
		}
		shoal_byte_stream_pop(in, (size_t)w);
		if ((size_t)w < n) {
			want_write = true;
			break;
		}
	}
	if (!want_write && shoal_byte_stream_is_finished(in) && !c->host_wr_shut) {
		shutdown(c->fd, SHUT_WR);
		c->host_wr_shut = true;
	}
	/* host -> client */
	bool pushed = false;
	while (!c->host_eof && !shoal_byte_stream_is_closed(out)) {
		size_t room = shoal_byte_stream_available_capacity(out);
		if (room == 0)
			break;
		ssize_t r =
		    recv(c->fd, st->proxybuf, room < TCP_PROXY_CHUNK ? room : TCP_PROXY_CHUNK, 0);
		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			tcp_proxy_close(c);
			shoal_tcp_peer_abort(&c->peer);
			return;
		}
		if (r == 0) {
			c->host_eof = true;
			break;
		}
		shoal_byte_stream_push(out, st->proxybuf, (size_t)r);
		pushed = true;
	}
	if (pushed)
		shoal_tcp_peer_push(&c->peer);
	if (c->host_eof && !shoal_byte_stream_is_closed(out))
		shoal_tcp_peer_close(&c->peer);
	if (c->host_eof && c->host_wr_shut) {
		tcp_proxy_close(c);
		return;
	}
	uint32_t ev = 0;
	if (!c->host_eof && shoal_byte_stream_available_capacity(out) > 0)
		ev |= SHOAL_FD_READ;
	if (want_write)
		ev |= SHOAL_FD_WRITE;
	tcp_proxy_watch(c, ev);
}

static void tcp_proxy_ready(void *state, int fd, uint32_t events)
{
	struct tcp_plugin *st = state;
	if (fd < 0 || fd >= TCP_FDMAP || !st->fdmap[fd])
		return;
	struct tcp_conn *c = st->fdmap[fd];
	tcp_conn_advance(c, st->api->now_ms(st->host));
	if (c->pstate == PROXY_CONNECTING) {
		int err = 0;
		socklen_t el = sizeof(err);
		if ((events & SHOAL_FD_ERROR) ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err != 0) {
			tcp_count(st, TCP_DROP_PROXY_CONNECT_FAILED);
			tcp_proxy_close(c);
			shoal_tcp_peer_abort(&c->peer);
		} else {
			c->pstate = PROXY_OPEN;
		}
	}
	tcp_conn_service(st, c);
}

static void tcp_chargen_fill(struct tcp_conn *c)
{
	struct shoal_byte_stream *out = shoal_tcp_peer_outbound(&c->peer);
	bool pushed = false;
	while (!shoal_byte_stream_is_closed(out)) {
		size_t room = shoal_byte_stream_available_capacity(out);
		if (room == 0)
			break;
		size_t off = (size_t)(c->chargen_pos % TCP_CHARGEN_PERIOD);
		size_t n = TCP_CHARGEN_PERIOD - off;
		if (n > room)
			n = room;
		shoal_byte_stream_push(out, c->st->chargen + off, n);
		c->chargen_pos += n;
		pushed = true;
	}
	if (pushed)
		shoal_tcp_peer_push(&c->peer);
}

static void tcp_echo(struct tcp_conn *c)
{
	struct shoal_byte_stream *in = shoal_tcp_peer_inbound(&c->peer);
	struct shoal_byte_stream *out = shoal_tcp_peer_outbound(&c->peer);
	bool pushed = false;
	while (!shoal_byte_stream_is_closed(out)) {
		const uint8_t *view;
		size_t n = shoal_byte_stream_peek(in, &view);
		size_t room = shoal_byte_stream_available_capacity(out);
		if (n > room)
			n = room;
		if (n == 0)
			break;
		shoal_byte_stream_push(out, view, n);
		shoal_byte_stream_pop(in, n);
		pushed = true;
	}
	if (pushed)
		shoal_tcp_peer_push(&c->peer);
	if (shoal_byte_stream_is_finished(in) && !shoal_byte_stream_is_closed(out))
		shoal_tcp_peer_close(&c->peer);
}

static void tcp_drain(struct tcp_conn *c)
{
	struct shoal_byte_stream *in = shoal_tcp_peer_inbound(&c->peer);
	size_t n = shoal_byte_stream_bytes_buffered(in);
	if (n)
		shoal_byte_stream_pop(in, n);
	if (shoal_byte_stream_is_finished(in) &&
	    !shoal_byte_stream_is_closed(shoal_tcp_peer_outbound(&c->peer)))
		shoal_tcp_peer_close(&c->peer);
}

/* After any event: leave the backlog, run the service, free the connection once done. */
static void tcp_conn_service(struct tcp_plugin *st, struct tcp_conn *c)
{
	enum shoal_tcp_state s = shoal_tcp_peer_state(&c->peer);
	if (!c->established && s != SHOAL_TCP_STATE_LISTEN && s != SHOAL_TCP_STATE_SYN_RECEIVED &&
	    s != SHOAL_TCP_STATE_CLOSED) {
		c->established = true;
		tcp_synq_remove(st, c);
		tcp_event(st, TCP_EV_OPENED);
		if (c->lst->service == TCP_SVC_PROXY)
			tcp_proxy_start(c);
	}
	if (c->established && shoal_tcp_peer_active(&c->peer)) {
		switch (c->lst->service) {
		case TCP_SVC_ECHO:
			tcp_echo(c);
			break;
		case TCP_SVC_DISCARD:
			tcp_drain(c);
			break;
		case TCP_SVC_CHARGEN:
			tcp_drain(c);
			tcp_chargen_fill(c);
			break;
		case TCP_SVC_PROXY:
			tcp_proxy_pump(c);
			break;
		default:
			break;
		}
	}
	if (!shoal_tcp_peer_active(&c->peer)) {
		struct shoal_tcp_peer_info info;
		shoal_tcp_peer_get_info(&c->peer, &info);
		if (shoal_byte_stream_has_error(shoal_tcp_peer_inbound(&c->peer)))
			tcp_event(st, TCP_EV_RESET);
		tcp_conn_free(st, c);
	}
}

static void tcp_timer_fired(void *state, uint64_t now_ms)
{
	struct tcp_plugin *st = state;
	st->timer_armed = false;
	struct tcp_conn *next;
	for (struct tcp_conn *c = st->head; c; c = next) {
		next = c->next;
		tcp_conn_advance(c, now_ms);
		tcp_conn_service(st, c);
	}
	tcp_timer_arm(st, now_ms);
}

/* ---------------------------------------------------------------- segments */

static struct tcp_conn *tcp_accept(struct tcp_plugin *st, const struct tcp_listener *l,
                                   uint32_t laddr, uint32_t raddr,
                                   const struct shoal_tcp_header *th, uint32_t ifindex,
                                   uint64_t now_ms)
{
	if (st->n_synq >= st->syn_backlog && st->synq_head) {
		tcp_count(st, TCP_DROP_BACKLOG_EVICTED);
		tcp_conn_free(st, st->synq_head);
	}
	if (st->n_conns >= st->max_connections) {
		struct tcp_conn *tw = st->head;
		while (tw && shoal_tcp_peer_state(&tw->peer) != SHOAL_TCP_STATE_TIME_WAIT)
			tw = tw->next;
		if (!tw) {
			tcp_count(st, TCP_DROP_TABLE_FULL);
			tcp_event(st, TCP_EV_REFUSED);
			tcp_send_reset(st, laddr, raddr, th);
			return NULL;
		}
		tcp_conn_free(st, tw);
	}
	struct tcp_conn *c =
	    tcp_conn_new(st, l, laddr, th->dst_port, raddr, th->src_port, ifindex, now_ms);
	if (!c) {
		tcp_count(st, TCP_DROP_NO_MEMORY);
		return NULL;
	}
	tcp_event(st, TCP_EV_ACCEPTED_SYN);
	tcp_timer_arm(st, now_ms);
	return c;
}

static enum shoal_plugin_verdict tcp_local_delivery(void *state, struct shoal_packet_view *pkt)
{
	struct tcp_plugin *st = state;
	struct shoal_ipv4_hdr ih;
	if (shoal_ipv4_parse(pkt->data, pkt->len, &ih) != SHOAL_WIRE_OK ||
	    ih.protocol != SHOAL_IP_PROTO_TCP)
		return SHOAL_PLUGIN_CONTINUE; /* not ours: the core answers */
	if (ih.total_len > pkt->len) {
		pkt->drop_reason = st->drop_ids[TCP_DROP_MALFORMED];
		tcp_count(st, TCP_DROP_MALFORMED);
		return SHOAL_PLUGIN_DROP;
	}
	if (shoal_ipv4_is_fragment(&ih)) {
		pkt->drop_reason = st->drop_ids[TCP_DROP_FRAGMENT];
		tcp_count(st, TCP_DROP_FRAGMENT);
		return SHOAL_PLUGIN_DROP;
	}
	size_t hl = shoal_ipv4_hdr_len(&ih);
	const uint8_t *seg = pkt->data + hl;
	size_t seg_len = ih.total_len - hl;
	struct shoal_tcp_header th;
	if (shoal_tcp_parse(seg, seg_len, &th) != SHOAL_WIRE_OK) {
		pkt->drop_reason = st->drop_ids[TCP_DROP_MALFORMED];
		tcp_count(st, TCP_DROP_MALFORMED);
		return SHOAL_PLUGIN_DROP;
	}
	if (!(pkt->flags & SHOAL_PACKET_F_CSUM_PARTIAL) &&
	    shoal_tcp_verify_ipv4(seg, seg_len, ih.src, ih.dst) != SHOAL_WIRE_OK) {
		pkt->drop_reason = st->drop_ids[TCP_DROP_BAD_CHECKSUM];
		tcp_count(st, TCP_DROP_BAD_CHECKSUM);
		return SHOAL_PLUGIN_DROP;
	}
	tcp_event(st, TCP_EV_SEGMENTS_IN);
	uint64_t now_ms = st->api->now_ms(st->host);
	struct tcp_conn *c = tcp_lookup(st, ih.src, th.src_port, ih.dst, th.dst_port);
	if (!c) {
		const struct tcp_listener *l = tcp_listener_find(st, ih.dst, th.dst_port);
		bool syn_only =
		    (th.flags & (SHOAL_TCP_SYN | SHOAL_TCP_ACK | SHOAL_TCP_RST)) == SHOAL_TCP_SYN;
		if (!l || !syn_only) {
			tcp_count(st, TCP_DROP_NO_LISTENER);
			if (!l && syn_only)
				tcp_event(st, TCP_EV_REFUSED);
			tcp_send_reset(st, ih.dst, ih.src, &th);
			return SHOAL_PLUGIN_CONSUMED;
		}
		c = tcp_accept(st, l, ih.dst, ih.src, &th, pkt->ingress_ifindex, now_ms);
		if (!c)
			return SHOAL_PLUGIN_CONSUMED;
	}
	tcp_conn_advance(c, now_ms);
	struct shoal_tcp_message m;
	shoal_tcp_message_from_header(&th, &m);
	shoal_tcp_peer_receive(&c->peer, &m);
	tcp_conn_service(st, c);
	return SHOAL_PLUGIN_CONSUMED;
}

/* ---------------------------------------------------------------- HTTP */

static void tcp_reply_error(struct shoal_http_reply *reply, size_t cap, uint32_t status,
                            const char *code, const char *msg)
{
	reply->status = status;
	snprintf(reply->body, cap, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}", code, msg);
}

static void tcp_json_u64(struct shoal_textbuf *o, uint64_t v)
{
	if (v == UINT64_MAX)
		shoal_textbuf_printf(o, "null");
	else
		shoal_textbuf_printf(o, "%" PRIu64, v);
}

/* Totals over closed and live connections, read from the peers themselves. */
struct tcp_totals {
	uint64_t retx, chal;
	uint64_t pdrops[SHOAL_TCP_DROP_COUNT_];
	uint32_t by_state[SHOAL_TCP_STATE_COUNT_];
};

static void tcp_totals_get(const struct tcp_plugin *st, struct tcp_totals *t)
{
	*t = (struct tcp_totals){.retx = st->closed_retx, .chal = st->closed_challenge_acks};
	memcpy(t->pdrops, st->closed_peer_drops, sizeof(t->pdrops));
	for (const struct tcp_conn *c = st->head; c; c = c->next) {
		struct shoal_tcp_peer_info info;
		shoal_tcp_peer_get_info(&c->peer, &info);
		t->retx += info.retransmissions;
		t->chal += info.challenge_acks;
		for (size_t i = 0; i < SHOAL_TCP_DROP_COUNT_; i++)
			t->pdrops[i] += info.drops[i];
		if ((unsigned)info.state < SHOAL_TCP_STATE_COUNT_)
			t->by_state[info.state]++;
	}
}

static void tcp_http_summary(struct tcp_plugin *st, struct shoal_textbuf *o)
{
	char a[SHOAL_IPV4_ADDR_STRLEN];
	shoal_textbuf_printf(o, "{\"listeners\":[");
	for (size_t i = 0; i < st->n_listeners; i++) {
		const struct tcp_listener *l = &st->listeners[i];
		shoal_textbuf_printf(o, "%s{\"address\":\"%s\",\"port\":%u,\"service\":\"%s\"",
		                     i ? "," : "",
		                     l->address ? shoal_ipv4_addr_format(l->address, a) : "0.0.0.0",
		                     l->port, tcp_service_names[l->service]);
		if (l->service == TCP_SVC_PROXY)
			shoal_textbuf_printf(o, ",\"to\":\"%s\"", l->to_text);
		shoal_textbuf_printf(o, "}");
	}
	struct tcp_totals t;
	tcp_totals_get(st, &t);
	shoal_textbuf_printf(
	    o,
	    "],\"max_connections\":%u,\"syn_backlog\":%u,\"connections\":%u,\"syn_received\":%u,"
	    "\"syn_cookies_sent\":0,\"overflow_policy\":\"drop_oldest\",\"counters\":{",
	    st->max_connections, st->syn_backlog, st->n_conns, st->n_synq);
	for (size_t i = 0; i < TCP_EV_COUNT_; i++)
		shoal_textbuf_printf(o, "\"%s\":%" PRIu64 ",", tcp_event_names[i], *st->events[i]);
	shoal_textbuf_printf(
	    o, "\"retransmissions\":%" PRIu64 ",\"challenge_acks\":%" PRIu64 "},\"drops\":{",
	    t.retx, t.chal);
	for (size_t i = 0; i < TCP_DROP_COUNT_; i++)
		shoal_textbuf_printf(o, "%s\"%s\":%" PRIu64, i ? "," : "", tcp_drop_names[i],
		                     *st->drops[i]);
	shoal_textbuf_printf(o, "},\"segment_drops\":{");
	for (size_t i = 0; i < SHOAL_TCP_DROP_COUNT_; i++)
		shoal_textbuf_printf(o, "%s\"%s\":%" PRIu64, i ? "," : "",
		                     shoal_tcp_drop_name((enum shoal_tcp_drop)i), t.pdrops[i]);
	shoal_textbuf_printf(o, "},\"states\":{");
	bool first = true;
	for (size_t i = 0; i < SHOAL_TCP_STATE_COUNT_; i++) {
		if (!t.by_state[i])
			continue;
		shoal_textbuf_printf(o, "%s\"%s\":%u", first ? "" : ",",
		                     shoal_tcp_state_name((enum shoal_tcp_state)i), t.by_state[i]);
		first = false;
	}
	shoal_textbuf_printf(o, "}}");
}

static void tcp_http_connections(struct tcp_plugin *st, struct shoal_textbuf *o)
{
	char a[SHOAL_IPV4_ADDR_STRLEN], b[SHOAL_IPV4_ADDR_STRLEN];
	shoal_textbuf_printf(o, "{\"connections\":[");
	bool first = true;
	for (struct tcp_conn *c = st->head; c; c = c->next) {
		struct shoal_tcp_peer_info i;
		shoal_tcp_peer_get_info(&c->peer, &i);
		shoal_textbuf_printf(
		    o,
		    "%s{\"local_address\":\"%s\",\"local_port\":%u,\"remote_address\":\"%s\","
		    "\"remote_port\":%u,\"service\":\"%s\",\"state\":\"%s\",\"snd_wnd\":%u,"
		    "\"rcv_wnd\":%u,\"cwnd\":",
		    first ? "" : ",", shoal_ipv4_addr_format(c->laddr, a), c->lport,
		    shoal_ipv4_addr_format(c->raddr, b), c->rport,
		    tcp_service_names[c->lst->service], shoal_tcp_state_name(i.state), i.snd_wnd,
		    i.rcv_wnd);
		tcp_json_u64(o, i.cwnd);
		shoal_textbuf_printf(o, ",\"ssthresh\":");
		tcp_json_u64(o, i.ssthresh);
		shoal_textbuf_printf(
		    o,
		    ",\"srtt_us\":%" PRIu64 ",\"rto_ms\":%" PRIu64 ",\"retransmissions\":%" PRIu64
		    ",\"bytes_in\":%" PRIu64 ",\"bytes_out\":%" PRIu64
		    ",\"mss\":%u,\"snd_wscale\":%d,\"rcv_wscale\":%d,\"sack\":%s,\"timestamps\":%s,"
		    "\"challenge_acks\":%" PRIu64 "}",
		    i.srtt_us, i.rto_ms, i.retransmissions, i.bytes_in, i.bytes_out, i.mss,
		    i.snd_wscale, i.rcv_wscale, i.sack ? "true" : "false",
		    i.timestamps ? "true" : "false", i.challenge_acks);
		first = false;
	}
	shoal_textbuf_printf(o, "]}");
}

static int tcp_http_request(void *state, const struct shoal_http_request *req,
                            struct shoal_http_reply *reply)
{
	struct tcp_plugin *st = state;
	size_t cap = st->api->http_body_max;
	if (req->n_query > 0) {
		tcp_reply_error(reply, cap, 400, "bad_request", "no query parameters are known");
		return 0;
	}
	bool summary = req->subpath[0] == '\0';
	bool conns = strcmp(req->subpath, "connections") == 0;
	if (!summary && !conns) {
		tcp_reply_error(reply, cap, 404, "not_found",
		                "the tcp plugin serves /api/v1/tcp and /api/v1/tcp/connections");
		return 0;
	}
	if (strcmp(req->method, "GET") != 0) {
		tcp_reply_error(reply, cap, 405, "method_not_allowed", "read-only: use GET");
		return 0;
	}
	struct shoal_textbuf o = {.buf = reply->body, .cap = cap};
	if (summary)
		tcp_http_summary(st, &o);
	else
		tcp_http_connections(st, &o);
	if (o.overflow) {
		tcp_reply_error(reply, cap, 507, "too_large",
		                "the reply exceeds the host's body limit");
		return 0;
	}
	reply->status = 200;
	return 0;
}

/* ---------------------------------------------------------------- GET /metrics */

static void tcp_mfamily(struct shoal_textbuf *o, const char *name, const char *type,
                        const char *help)
{
	shoal_textbuf_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* ABI 1.3 metrics hook: shoal_tcp_* families from the connections and counters the plugin
 * works with (the same reads as GET /api/v1/tcp); names of drop reasons and events come from
 * the plugin's tables, segment drops from the stack's (shoal_tcp_drop_name). */
static int tcp_metrics(void *state, char *buf, size_t cap)
{
	struct tcp_plugin *st = state;
	struct shoal_textbuf o = {.buf = buf, .cap = cap};
	struct tcp_totals t;
	tcp_totals_get(st, &t);
	tcp_mfamily(&o, "shoal_tcp_connections", "gauge",
	            "TCP connections ending on the router, by state (RFC 9293).");
	for (size_t i = 0; i < SHOAL_TCP_STATE_COUNT_; i++)
		shoal_textbuf_printf(&o, "shoal_tcp_connections{state=\"%s\"} %" PRIu32 "\n",
		                     shoal_tcp_state_name((enum shoal_tcp_state)i), t.by_state[i]);
	tcp_mfamily(&o, "shoal_tcp_connections_limit", "gauge",
	            "Connections the plugin holds at most (max_connections).");
	shoal_textbuf_printf(&o, "shoal_tcp_connections_limit %" PRIu32 "\n", st->max_connections);
	tcp_mfamily(&o, "shoal_tcp_syn_backlog", "gauge",
	            "Connections in SYN-RECEIVED counted against syn_backlog.");
	shoal_textbuf_printf(&o, "shoal_tcp_syn_backlog %" PRIu32 "\n", st->n_synq);
	tcp_mfamily(&o, "shoal_tcp_syn_backlog_limit", "gauge", "The syn_backlog setting.");
	shoal_textbuf_printf(&o, "shoal_tcp_syn_backlog_limit %" PRIu32 "\n", st->syn_backlog);
	uint32_t by_svc[TCP_SVC_COUNT_] = {0};
	for (size_t i = 0; i < st->n_listeners; i++)
		by_svc[st->listeners[i].service]++;
	tcp_mfamily(&o, "shoal_tcp_listeners", "gauge", "Configured listeners, by service.");
	for (size_t i = 0; i < TCP_SVC_COUNT_; i++)
		shoal_textbuf_printf(&o, "shoal_tcp_listeners{service=\"%s\"} %" PRIu32 "\n",
		                     tcp_service_names[i], by_svc[i]);
	for (size_t i = 0; i < TCP_EV_COUNT_; i++) {
		char name[64];
		snprintf(name, sizeof(name), "shoal_tcp_%s_total", tcp_event_names[i]);
		tcp_mfamily(&o, name, "counter", tcp_event_descs[i]);
		shoal_textbuf_printf(&o, "%s %" PRIu64 "\n", name, *st->events[i]);
	}
	tcp_mfamily(&o, "shoal_tcp_retransmissions_total", "counter",
	            "Segments retransmitted (closed and live connections).");
	shoal_textbuf_printf(&o, "shoal_tcp_retransmissions_total %" PRIu64 "\n", t.retx);
	tcp_mfamily(&o, "shoal_tcp_challenge_acks_total", "counter",
	            "Challenge ACKs sent (RFC 5961; closed and live connections).");
	shoal_textbuf_printf(&o, "shoal_tcp_challenge_acks_total %" PRIu64 "\n", t.chal);
	tcp_mfamily(&o, "shoal_tcp_drops_total", "counter",
	            "Segments or SYNs the plugin dropped or refused, by reason (its drop table).");
	for (size_t i = 0; i < TCP_DROP_COUNT_; i++)
		shoal_textbuf_printf(&o, "shoal_tcp_drops_total{reason=\"%s\"} %" PRIu64 "\n",
		                     tcp_drop_names[i], *st->drops[i]);
	tcp_mfamily(&o, "shoal_tcp_segment_drops_total", "counter",
	            "Segments a connection discarded, by reason (the stack's TCP drop table).");
	for (size_t i = 0; i < SHOAL_TCP_DROP_COUNT_; i++)
		shoal_textbuf_printf(&o,
		                     "shoal_tcp_segment_drops_total{reason=\"%s\"} %" PRIu64 "\n",
		                     shoal_tcp_drop_name((enum shoal_tcp_drop)i), t.pdrops[i]);
	return o.overflow ? -ENOSPC : (int)o.len;
}

/* ---------------------------------------------------------------- config */

static int tcp_parse_listener(struct tcp_plugin *st, json_t *e, size_t idx)
{
	const struct shoal_host_api *api = st->api;
	struct tcp_listener *l = &st->listeners[idx];
	memset(l, 0, sizeof(*l));
	json_t *port = json_object_get(e, "port");
	json_t *svc = json_object_get(e, "service");
	json_t *addr = json_object_get(e, "address");
	json_t *to = json_object_get(e, "to");
	const char *k;
	json_t *v;
	json_object_foreach(e, k, v)
	{
		if (strcmp(k, "port") && strcmp(k, "service") && strcmp(k, "address") &&
		    strcmp(k, "to")) {
			api->error(st->host, "config: listen[%zu]: unknown key \"%s\"", idx, k);
			return -EINVAL;
		}
	}
	if (!json_is_integer(port) || json_integer_value(port) < 1 ||
	    json_integer_value(port) > 65535) {
		api->error(st->host, "config: listen[%zu].port must be an integer 1..65535", idx);
		return -EINVAL;
	}
	l->port = (uint16_t)json_integer_value(port);
	const char *s = json_string_value(svc);
	size_t i = 0;
	while (s && i < TCP_SVC_COUNT_ && strcmp(s, tcp_service_names[i]) != 0)
		i++;
	if (!s || i == TCP_SVC_COUNT_) {
		api->error(st->host,
		           "config: listen[%zu].service must be echo, discard, chargen or proxy",
		           idx);
		return -EINVAL;
	}
	l->service = (enum tcp_service)i;
	if (addr) {
		const char *as = json_string_value(addr);
		bool ours = false;
		if (!as || shoal_ipv4_addr_parse(as, &l->address) != SHOAL_WIRE_OK) {
			api->error(st->host, "config: listen[%zu].address must be an IPv4 address",
			           idx);
			return -EINVAL;
		}
		struct shoal_interface_info ii;
		for (uint32_t x = 1; api->interface_info(st->host, x, &ii) == 0; x++)
			if (ntohl(ii.address) == l->address)
				ours = true;
		if (!ours) {
			api->error(
			    st->host,
			    "config: listen[%zu].address %s is not one of the router's addresses",
			    idx, as);
			return -EINVAL;
		}
	}
	if (to && l->service != TCP_SVC_PROXY) {
		api->error(st->host, "config: listen[%zu].to is only for the proxy service", idx);
		return -EINVAL;
	}
	if (l->service == TCP_SVC_PROXY) {
		const char *ts = to ? json_string_value(to) : "127.0.0.1:8144";
		uint32_t ha;
		uint16_t p;
		if (!ts || shoal_ipv4_endpoint_parse(ts, &ha, &p) != SHOAL_WIRE_OK) {
			api->error(st->host, "config: listen[%zu].to must be \"a.b.c.d:port\"",
			           idx);
			return -EINVAL;
		}
		l->to.sin_family = AF_INET;
		l->to.sin_addr.s_addr = htonl(ha);
		l->to.sin_port = htons(p);
		snprintf(l->to_text, sizeof(l->to_text), "%s", ts);
	}
	for (size_t j = 0; j < idx; j++) {
		const struct tcp_listener *o = &st->listeners[j];
		if (o->port == l->port &&
		    (o->address == 0 || l->address == 0 || o->address == l->address)) {
			api->error(st->host, "config: listen[%zu]: port %u is already listened on",
			           idx, l->port);
			return -EINVAL;
		}
	}
	return 0;
}

static int tcp_int(struct tcp_plugin *st, json_t *cfg, const char *key, int64_t def, int64_t min,
                   int64_t max, int64_t *out)
{
	json_t *v = json_object_get(cfg, key);
	if (!v) {
		*out = def;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
		st->api->error(st->host, "config: %s must be an integer %" PRId64 "..%" PRId64, key,
		               min, max);
		return -EINVAL;
	}
	*out = json_integer_value(v);
	return 0;
}

static int tcp_parse_config(struct tcp_plugin *st, const char *config_json)
{
	json_error_t err;
	json_t *cfg = json_loads(config_json, 0, &err);
	if (!cfg || !json_is_object(cfg)) {
		st->api->error(st->host, "config: not a JSON object");
		json_decref(cfg);
		return -EINVAL;
	}
	static const char *const known[] = {"listen",      "max_connections", "syn_backlog",
	                                    "send_buffer", "recv_buffer",     "min_rto_ms",
	                                    "msl_ms"};
	const char *k;
	json_t *v;
	int rc = 0;
	json_object_foreach(cfg, k, v)
	{
		size_t i = 0;
		while (i < sizeof(known) / sizeof(known[0]) && strcmp(k, known[i]) != 0)
			i++;
		if (i == sizeof(known) / sizeof(known[0])) {
			st->api->error(st->host, "config: unknown key \"%s\"", k);
			rc = -EINVAL;
			goto out;
		}
	}
	int64_t n;
	if ((rc = tcp_int(st, cfg, "max_connections", 4096, 1, 1 << 20, &n)) < 0)
		goto out;
	st->max_connections = (uint32_t)n;
	if ((rc = tcp_int(st, cfg, "syn_backlog", 1024, 1, 1 << 20, &n)) < 0)
		goto out;
	st->syn_backlog = (uint32_t)n;
	if ((rc = tcp_int(st, cfg, "send_buffer", 262144, 4096, 64 << 20, &n)) < 0)
		goto out;
	st->send_buffer = (size_t)n;
	if ((rc = tcp_int(st, cfg, "recv_buffer", 262144, 4096, 64 << 20, &n)) < 0)
		goto out;
	st->recv_buffer = (size_t)n;
	if ((rc = tcp_int(st, cfg, "min_rto_ms", 200, 1, 60000, &n)) < 0)
		goto out;
	st->min_rto_ms = (uint64_t)n;
	if ((rc = tcp_int(st, cfg, "msl_ms", 30000, 0, 600000, &n)) < 0)
		goto out;
	st->msl_ms = (uint64_t)n;
	json_t *listen = json_object_get(cfg, "listen");
	if (listen && !json_is_array(listen)) {
		st->api->error(st->host, "config: listen must be an array");
		rc = -EINVAL;
		goto out;
	}
	if (json_array_size(listen) > TCP_MAX_LISTENERS) {
		st->api->error(st->host, "config: at most %d listen entries", TCP_MAX_LISTENERS);
		rc = -EINVAL;
		goto out;
	}
	for (size_t i = 0; i < json_array_size(listen); i++) {
		json_t *e = json_array_get(listen, i);
		if (!json_is_object(e)) {
			st->api->error(st->host, "config: listen[%zu] must be an object", i);
			rc = -EINVAL;
			goto out;
		}
		if ((rc = tcp_parse_listener(st, e, i)) < 0)
			goto out;
		st->n_listeners = i + 1;
	}
out:
	json_decref(cfg);
	return rc;
}

/* ---------------------------------------------------------------- lifecycle */

static void tcp_free(struct tcp_plugin *st)
{
	while (st->head)
		tcp_conn_free(st, st->head);
	free(st->fdmap);
	free(st->buckets);
	free(st->proxybuf);
	free(st->txbuf);
	free(st);
}

static int tcp_init(struct shoal_host *host, const struct shoal_host_api *api,
                    const char *config_json, void **state)
{
	if (api->abi_minor < 2) {
		api->error(host, "needs host ABI 1.2 (timers, fd watches, randomness)");
		return -ENOTSUP;
	}
	struct tcp_plugin *st = calloc(1, sizeof(*st));
	if (!st) {
		api->error(host, "out of memory");
		return -ENOMEM;
	}
	st->host = host;
	st->api = api;
	int rc = tcp_parse_config(st, config_json);
	if (rc < 0) {
		free(st);
		return rc;
	}
	st->n_buckets = 64;
	while (st->n_buckets < (size_t)st->max_connections * 2)
		st->n_buckets <<= 1;
	st->buckets = calloc(st->n_buckets, sizeof(*st->buckets));
	st->fdmap = calloc(TCP_FDMAP, sizeof(*st->fdmap));
	st->txbuf = malloc(TCP_TXBUF);
	st->proxybuf = malloc(TCP_PROXY_CHUNK);
	if (!st->buckets || !st->fdmap || !st->txbuf || !st->proxybuf) {
		api->error(host, "out of memory");
		tcp_free(st);
		return -ENOMEM;
	}
	if ((rc = api->random_bytes(host, st->isn_key, sizeof(st->isn_key))) < 0 ||
	    (rc = api->random_bytes(host, st->hash_key, sizeof(st->hash_key))) < 0 ||
	    (rc = api->random_bytes(host, &st->ip_id, sizeof(st->ip_id))) < 0) {
		api->error(host, "no randomness for the ISN key: %s", strerror(-rc));
		tcp_free(st);
		return rc;
	}
	/* RFC 864: line i holds 72 characters starting at printable character i, then CRLF */
	for (size_t line = 0; line < TCP_CHARGEN_CHARS; line++) {
		uint8_t *p = st->chargen + line * (TCP_CHARGEN_LINE + 2);
		for (size_t j = 0; j < TCP_CHARGEN_LINE; j++)
			p[j] = (uint8_t)(' ' + (line + j) % TCP_CHARGEN_CHARS);
		p[TCP_CHARGEN_LINE] = '\r';
		p[TCP_CHARGEN_LINE + 1] = '\n';
	}
	for (size_t i = 0; i < TCP_DROP_COUNT_; i++) {
		rc = api->drop_reason_register(host, tcp_drop_names[i], tcp_drop_descs[i]);
		if (rc < 0)
			break;
		st->drop_ids[i] = (uint16_t)rc;
		rc = api->counter_register(host, tcp_drop_names[i], tcp_drop_descs[i],
		                           &st->drops[i]);
		if (rc < 0)
			break;
	}
	for (size_t i = 0; rc >= 0 && i < TCP_EV_COUNT_; i++)
		rc = api->counter_register(host, tcp_event_names[i], tcp_event_descs[i],
		                           &st->events[i]);
	if (rc < 0) {
		api->error(host, "cannot register counters: %s", strerror(-rc));
		tcp_free(st);
		return rc;
	}
	api->log(host, SHOAL_LOG_INFO, "tcp: %zu listener(s), max_connections %u, syn_backlog %u",
	         st->n_listeners, st->max_connections, st->syn_backlog);
	*state = st;
	return 0;
}

static void tcp_fini(void *state)
{
	struct tcp_plugin *st = state;
	st->api->timer_set(st->host, 0, NULL);
	tcp_free(st);
}

SHOAL_PLUGIN_EXPORT const struct shoal_plugin_descriptor shoal_plugin = {
    .abi_major = SHOAL_PLUGIN_ABI_MAJOR,
    .abi_minor = 3,
    .struct_size = sizeof(struct shoal_plugin_descriptor),
    .name = "tcp",
    .version = "1.0.0",
    .description = "TCP endpoint on the router's addresses (echo, discard, chargen, proxy)",
    .init = tcp_init,
    .fini = tcp_fini,
    .local_delivery = tcp_local_delivery,
    .http_request = tcp_http_request,
    .metrics = tcp_metrics,
};
