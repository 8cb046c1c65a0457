/* test_nat_core.c — the NAPT engine against hand-checked cases and a trivially correct model:
 * every checksum is recomputed from scratch after each translation and must equal what the
 * incremental updates left (fixed seeds). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nat_core.h"
#include "shoal/checksum.h"
#include "shoal/wire.h"

#define IP(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (d))

enum { IF_IN = 1, IF_OUT = 2, IF_IN2 = 3 };
static const uint32_t OUT_ADDR = IP(192, 0, 2, 1);
static const uint32_t H1 = IP(10, 0, 1, 2), H2 = IP(10, 0, 1, 3);
static const uint32_t S1 = IP(198, 51, 100, 1), S2 = IP(198, 51, 100, 2), S3 = IP(203, 0, 113, 9);

struct pkt {
	uint8_t b[2048];
	size_t len;
	struct nat_pkt p;
};

static struct nat_config test_config(void)
{
	struct nat_config c = {
	    .filtering = NAT_FILTER_APDF,
	    .hairpin = true,
	    .port_min = 1024,
	    .port_max = 65535,
	    .max_sessions = 1024,
	    .max_sessions_per_host = 256,
	    .timeout_s = {[NAT_TIMEOUT_UDP] = 300,
	                  [NAT_TIMEOUT_TCP_EST] = 7440,
	                  [NAT_TIMEOUT_TCP_TRANS] = 240,
	                  [NAT_TIMEOUT_ICMP] = 60},
	    .mss_clamp = true,
	};
	return c;
}

static struct nat_core *make(const struct nat_config *c)
{
	struct nat_outside o = {.ifindex = IF_OUT, .addr = OUT_ADDR, .mss = 1460};
	char err[128];
	struct nat_core *n = nat_core_create(c, &o, 1, 1000000, err, sizeof(err));
	assert_non_null(n);
	return n;
}

/* ---- packet building (the model: every checksum from scratch) ---- */

static uint16_t l4_sum(const uint8_t *ip, size_t len)
{
	size_t ihl = (size_t)(ip[0] & 15) * 4;
	uint8_t proto = ip[9];
	uint32_t s = 0;
	if (proto != 1)
		s = shoal_checksum_pseudo_ipv4(shoal_load_be32(ip + 12), shoal_load_be32(ip + 16),
		                               proto, (uint16_t)(len - ihl));
	return shoal_checksum_finish(shoal_checksum_add(s, ip + ihl, len - ihl));
}

static size_t csum_off(uint8_t proto)
{
	return proto == 6 ? 16 : proto == 17 ? 6 : 2;
}

static void fill_checksums(uint8_t *ip, size_t len)
{
	size_t ihl = (size_t)(ip[0] & 15) * 4;
	shoal_store_be16(ip + 10, 0);
	shoal_store_be16(ip + 10, shoal_checksum(ip, ihl));
	uint8_t *c = ip + ihl + csum_off(ip[9]);
	shoal_store_be16(c, 0);
	uint16_t v = l4_sum(ip, len);
	shoal_store_be16(c, ip[9] == 17 && v == 0 ? 0xffff : v);
}

/* Asserts the IPv4 and L4 checksums of a datagram verify. */
static void assert_checksums(const uint8_t *ip, size_t len)
{
	size_t ihl = (size_t)(ip[0] & 15) * 4;
	assert_int_equal(shoal_checksum(ip, ihl), 0);
	if (ip[9] == 17 && shoal_load_be16(ip + ihl + 6) == 0)
		return;
	assert_int_equal(l4_sum(ip, len), 0);
}

static void ip_header(struct pkt *k, uint8_t proto, uint32_t src, uint32_t dst, size_t l4_len)
{
	memset(k, 0, sizeof(*k));
	k->len = 20 + l4_len;
	k->b[0] = 0x45;
	shoal_store_be16(k->b + 2, (uint16_t)k->len);
	shoal_store_be16(k->b + 4, 0x1234);
	k->b[8] = 64;
	k->b[9] = proto;
	shoal_store_be32(k->b + 12, src);
	shoal_store_be32(k->b + 16, dst);
	k->p.data = k->b;
	k->p.len = k->len;
}

static void udp(struct pkt *k, uint32_t src, uint16_t sp, uint32_t dst, uint16_t dp, size_t payload)
{
	ip_header(k, 17, src, dst, 8 + payload);
	uint8_t *u = k->b + 20;
	shoal_store_be16(u, sp);
	shoal_store_be16(u + 2, dp);
	shoal_store_be16(u + 4, (uint16_t)(8 + payload));
	for (size_t i = 0; i < payload; i++)
		u[8 + i] = (uint8_t)(i * 7 + 3);
	fill_checksums(k->b, k->len);
}

static void tcp(struct pkt *k, uint32_t src, uint16_t sp, uint32_t dst, uint16_t dp, uint8_t flags,
                uint16_t mss)
{
	size_t hl = mss ? 24 : 20;
	ip_header(k, 6, src, dst, hl + 10);
	uint8_t *t = k->b + 20;
	shoal_store_be16(t, sp);
	shoal_store_be16(t + 2, dp);
	shoal_store_be32(t + 4, 1000);
	t[12] = (uint8_t)((hl / 4) << 4);
	t[13] = flags;
	shoal_store_be16(t + 14, 65535);
	if (mss) {
		t[20] = 2;
		t[21] = 4;
		shoal_store_be16(t + 22, mss);
	}
	memcpy(t + hl, "0123456789", 10);
	fill_checksums(k->b, k->len);
}

static void echo(struct pkt *k, uint8_t type, uint32_t src, uint32_t dst, uint16_t id)
{
	ip_header(k, 1, src, dst, 16);
	uint8_t *c = k->b + 20;
	c[0] = type;
	shoal_store_be16(c + 4, id);
	shoal_store_be16(c + 6, 7);
	memcpy(c + 8, "pingpong", 8);
	fill_checksums(k->b, k->len);
}

/* An ICMP error of type/code from src to dst quoting the first 28 bytes of `about`. */
static void icmp_error(struct pkt *k, uint8_t type, uint8_t code, uint32_t src, uint32_t dst,
                       const struct pkt *about)
{
	size_t q = about->len < 28 ? about->len : 28;
	ip_header(k, 1, src, dst, 8 + q);
	uint8_t *c = k->b + 20;
	c[0] = type;
	c[1] = code;
	memcpy(c + 8, about->b, q);
	fill_checksums(k->b, k->len);
}

static uint32_t src_of(const struct pkt *k)
{
	return shoal_load_be32(k->b + 12);
}
static uint32_t dst_of(const struct pkt *k)
{
	return shoal_load_be32(k->b + 16);
}
static uint16_t sport_of(const struct pkt *k)
{
	return shoal_load_be16(k->b + 20 + (k->b[9] == 1 ? 4 : 0));
}
static uint16_t dport_of(const struct pkt *k)
{
	return shoal_load_be16(k->b + 20 + (k->b[9] == 1 ? 4 : 2));
}

static enum nat_verdict out(struct nat_core *n, struct pkt *k, uint64_t now)
{
	k->p.ingress_ifindex = IF_IN;
	k->p.egress_ifindex = IF_OUT;
	enum nat_drop d = NAT_DROP_COUNT_;
	enum nat_verdict v = nat_core_egress(n, &k->p, now, &d);
	if (v == NAT_TRANSLATED)
		assert_checksums(k->b, k->len);
	return v;
}

static enum nat_verdict in(struct nat_core *n, struct pkt *k, uint64_t now, uint32_t ingress)
{
	k->p.ingress_ifindex = ingress;
	k->p.egress_ifindex = 0;
	enum nat_drop d = NAT_DROP_COUNT_;
	enum nat_verdict v = nat_core_ingress(n, &k->p, now, &d);
	if (v == NAT_TRANSLATED)
		assert_checksums(k->b, k->len);
	return v;
}

static const uint64_t T0 = 1000000;

/* ---- masquerade, EIM, port preservation ---- */

static void test_outbound_udp_masquerade_and_port_preservation(void **state)
{
	(void)state;
	struct nat_config c = test_config();
	struct nat_core *n = make(&c);
	struct pkt k;
	udp(&k, H1, 5000, S1, 53, 40);
	assert_int_equal(out(n, &k, T0), NAT_TRANSLATED);
	assert_int_equal(src_of(&k), OUT_ADDR);
	assert_int_equal(sport_of(&k), 5000); /* preserved: free and in range */
	assert_int_equal(dst_of(&k), S1);
	assert_int_equal(dport_of(&k), 53);
	/* the reply comes back to the inside endpoint */
	udp(&k, S1, 53, OUT_ADDR, 5000, 20);
	assert_int_equal(in(n, &k, T0, IF_OUT), NAT_TRANSLATED);
	assert_int_equal(dst_of(&k), H1);
	assert_int_equal(dport_of(&k), 5000);
	assert_int_equal(src_of(&k), S1);
	nat_core_destroy(n);
}

/* RFC 4787 REQ-1: one inside endpoint shows one outside port to every remote. */
static void test_endpoint_independent_mapping(void **state)
{
	(void)state;
	struct nat_config c = test_config();
	struct nat_core *n = make(&c);
	struct pkt a, b;
	udp(&a, H1, 4000, S1, 3478, 10);
	udp(&b, H1, 4000, S2, 3478, 10);
	assert_int_equal(out(n, &a, T0), NAT_TRANSLATED);
	assert_int_equal(out(n, &b, T0), NAT_TRANSLATED);
	assert_int_equal(sport_of(&a), sport_of(&b));
	struct nat_stats st;
	nat_core_stats(n, &st);
	assert_int_equal(st.mappings, 1);
	assert_int_equal(st.sessions, 2);
	nat_core_destroy(n);
}

/* Two inside hosts using the same port: the second gets another outside port, and no outside
 * port of a protocol ever carries two mappings. */
static void test_port_collision_gets_another_port(void **state)
{
	(void)state;
	struct nat_config c = test_config();
	struct nat_core *n = make(&c);
	struct pkt a, b;
	udp(&a, H1, 6000, S1, 9, 10);
	udp(&b, H2, 6000, S1, 9, 10);
	assert_int_equal(out(n, &a, T0), NAT_TRANSLATED);
	assert_int_equal(out(n, &b, T0), NAT_TRANSLATED);
	assert_int_equal(sport_of(&a), 6000);
	assert_int_not_equal(sport_of(&b), 6000);
	assert_true(sport_of(&b) >= 1024);
	/* replies reach the right host */
	struct pkt r;
	udp(&r, S1, 9, OUT_ADDR, sport_of(&b), 4);
	assert_int_equal(in(n, &r, T0, IF_OUT), NAT_TRANSLATED);
	assert_int_equal(dst_of(&r), H2);
	assert_int_equal(dport_of(&r), 6000);
	/* a port below port_range is not preserved */
	udp(&a, H1, 80, S1, 9, 10);
	assert_int_equal(out(n, &a, T0), NAT_TRANSLATED);
	assert_true(sport_of(&a) >= 1024);
	nat_core_destroy(n);
}

/* ---- filtering ---- */

static enum nat_verdict unsolicited(enum nat_filtering f, uint32_t from, uint16_t from_port)
{
	struct nat_config c = test_config();
	c.filtering = f;
	struct nat_core *n = make(&c);
	struct pkt k;
	udp(&k, H1, 7000, S1, 3478, 10);
	assert_int_equal(out(n, &k, T0), NAT_TRANSLATED);
	udp(&k, from, from_port, OUT_ADDR, 7000, 10);
	enum nat_verdict v = in(n, &k, T0, IF_OUT);
	if (v == NAT_TRANSLATED)
		assert_int_equal(dst_of(&k), H1);
	struct nat_stats st;
	nat_core_stats(n, &st);
	assert_int_equal(st.drops[NAT_DROP_filtered], v == NAT_DROP ? 1 : 0);
	nat_core_destroy(n);
	return v;
}

static void test_filtering_behaviours(void **state)
{
	(void)state;
	/* a third endpoint */
	assert_int_equal(unsolicited(NAT_FILTER_EIF, S3, 1111), NAT_TRANSLATED);
	assert_int_equal(unsolicited(NAT_FILTER_ADF, S3, 1111), NAT_DROP);
	assert_int_equal(unsolicited(NAT_FILTER_APDF, S3, 1111), NAT_DROP);
	/* the same remote address, another port */
	assert_int_equal(unsolicited(NAT_FILTER_ADF, S1, 1111), NAT_TRANSLATED);
	assert_int_equal(unsolicited(NAT_FILTER_APDF, S1, 1111), NAT_DROP);
	/* the remote endpoint itself */
	assert_int_equal(unsolicited(NAT_FILTER_APDF, S1, 3478), NAT_TRANSLATED);
}

/* ---- hairpin ---- */

static void test_hairpin_between_inside_hosts(void **state)
{
	(void)state;
	struct nat_config c = test_config();
	c.filtering = NAT_FILTER_EIF;
	struct nat_core *n = make(&c);
	struct pkt k;
	udp(&k, H1, 8000, S1, 3478, 10); /* H1 gets mapping OUT:8000 */
	assert_int_equal(out(n, &k, T0), NAT_TRANSLATED);
	udp(&k, H2, 9000, OUT_ADDR, 8000, 10); /* H2 -> H1's mapping */
	assert_int_equal(in(n, &k, T0, IF_IN), NAT_TRANSLATED);
	assert_int_equal(dst_of(&k), H1);
	assert_int_equal(dport_of(&k), 8000);
	assert_int_equal(src_of(&k), OUT_ADDR); /* H2 seen at its own mapping */
	uint16_t h2_ext = sport_of(&k);
	/* H1 answers H2's mapping: hairpinned back */
	udp(&k, H1, 8000, OUT_ADDR, h2_ext, 10);
	assert_int_equal(in(n, &k, T0, IF_IN), NAT_TRANSLATED);
	assert_int_equal(dst_of(&k), H2);
	assert_int_equal(dport_of(&k), 9000);
	struct nat_stats st;
	nat_core_stats(n, &st);
	assert_int_equal(st.hairpinned, 2);
	/* without hairpin, inside -> outside address stays the router's */
	c.hairpin = false;
	struct nat_core *m = make(&c);
	udp(&k, H1, 8000, S1, 3478, 10);
	assert_int_equal(out(m, &k, T0), NAT_TRANSLATED);
	udp(&k, H2, 9000, OUT_ADDR, 8000, 10);
	assert_int_equal(in(m, &k, T0, IF_IN), NAT_PASS);
	nat_core_destroy(m);
	nat_core_destroy(n);
}

/* ---- ICMP ---- */

static void test_icmp_echo_same_identifier_two_hosts(void **state)
{
	(void)state;
	struct nat_config c = test_config();
	struct nat_core *n = make(&c);
	struct pkt a, b, r;
	echo(&a, 8, H1, S1, 77);
	echo(&b, 8, H2, S1, 77);
	assert_int_equal(out(n, &a, T0), NAT_TRANSLATED);
	assert_int_equal(out(n, &b, T0), NAT_TRANSLATED);
	assert_int_not_equal(sport_of(&a), sport_of(&b));
	echo(&r, 0, S1, OUT_ADDR, sport_of(&b));
	assert_int_equal(in(n, &r, T0, IF_OUT), NAT_TRANSLATED);
	assert_int_equal(dst_of(&r), H2);
	assert_int_equal(sport_of(&r), 77);
	echo(&r, 0, S1, OUT_ADDR, sport_of(&a));
	assert_int_equal(in(n, &r, T0, IF_OUT), NAT_TRANSLATED);
	assert_int_equal(dst_of(&r), H1);
	/* an echo request to the outside address is the router's */
	echo(&r, 8, S1, OUT_ADDR, 5);
	assert_int_equal(in(n, &r, T0, IF_OUT), NAT_PASS);
	nat_core_destroy(n);
}

/* RFC 5508: an ICMP error about a translated flow is rewritten inside and out. */
static void test_icmp_error_inbound_rewritten(void **state)
{
	(void)state;
	struct nat_config c = test_config();
	struct nat_core *n = make(&c);
	struct pkt k, e;
	udp(&k, H2, 6000, S1, 33434, 12);
	assert_int_equal(out(n, &k, T0), NAT_TRANSLATED);
	uint16_t ext = sport_of(&k);
	icmp_error(&e, 11, 0, S3, OUT_ADDR, &k); /* a hop beyond the NAT: time exceeded */
	assert_int_equal(in(n, &e, T0, IF_OUT), NAT_TRANSLATED);
	assert_int_equal(dst_of(&e), H2);
	const uint8_t *emb = e.b + 28;
	assert_int_equal(shoal_load_be32(emb + 12), H2);
	assert_int_equal(shoal_load_be16(emb + 20), 6000);
	assert_int_equal(shoal_checksum(emb, 20), 0);
	/* the embedded UDP checksum is the one H2 computed for what it sent */
	struct pkt orig;
	udp(&orig, H2, 6000, S1, 33434, 12);
	assert_memory_equal(emb + 26, orig.b + 26, 2);
	(void)ext;
	struct nat_stats st;
	nat_core_stats(n, &st);
	assert_int_equal(st.icmp_errors, 1);
	assert_int_equal(st.sessions, 1); /* an unreachable does not delete the mapping */
	nat_core_destroy(n);
}

/* An inside server's port unreachable about a forwarded flow leaves with outside addresses. */
static void test_icmp_error_outbound_about_forward(void **state)
{
	(void)state;
	struct nat_config c = test_config();
	struct nat_core *n = make(&c);
	assert_int_equal(nat_core_forward_add(n, NAT_PROTO_UDP, 5353, H1, 53), 0);
	struct pkt k, e;
	udp(&k, S1, 40000, OUT_ADDR, 5353, 8);
	assert_int_equal(in(n, &k, T0, IF_OUT), NAT_TRANSLATED);
	assert_int_equal(dst_of(&k), H1);
	assert_int_equal(dport_of(&k), 53);
	icmp_error(&e, 3, 3, H1, S1, &k);
	assert_int_equal(out(n, &e, T0), NAT_TRANSLATED);
	assert_int_equal(src_of(&e), OUT_ADDR);
	const uint8_t *emb = e.b + 28;
	assert_int_equal(shoal_load_be32(emb + 16), OUT_ADDR);
	assert_int_equal(shoal_load_be16(emb + 22), 5353);
	assert_int_equal(shoal_checksum(emb, 20), 0);
	nat_core_destroy(n);
}

/* ---- TCP state and timers ---- */

static void test_udp_timeout_and_refresh(void **state)
{
	(void)state;
	struct nat_config c = test_config();
	c.timeout_s[NAT_TIMEOUT_UDP] = 120;
	struct nat_core *n = make(&c);
	struct pkt k;
	udp(&k, H1, 5000, S1, 53, 4);
	assert_int_equal(out(n, &k, T0), NAT_TRANSLATED);
	struct nat_stats st;
	/* refreshed by outbound traffic at +100 s: still there at +200 s */
	udp(&k, H1, 5000, S1, 53, 4);
	assert_int_equal(out(n, &k, T0 + 100000), NAT_TRANSLATED);
	for (uint64_t t = T0; t <= T0 + 200000; t += 1000)
		nat_core_tick(n, t);
	nat_core_stats(n, &st);
	assert_int_equal(st.sessions, 1);
	/* idle 120 s after the last packet: gone, its port free */
	for (uint64_t t = T0 + 200000; t <= T0 + 221000; t += 1000)
		nat_core_tick(n, t);
	nat_core_stats(n, &st);
	assert_int_equal(st.sessions, 0);
	assert_int_equal(st.mappings, 0);
	assert_int_equal(st.expired, 1);
	assert_int_equal(st.ports_in_use[0][NAT_PROTO_UDP], 0);
	/* and not one second earlier: a fresh flow at the same times */
	udp(&k, H1, 5001, S1, 53, 4);
	assert_int_equal(out(n, &k, T0 + 300000), NAT_TRANSLATED);
	for (uint64_t t = T0 + 300000; t < T0 + 420000; t += 1000)
		nat_core_tick(n, t);
	nat_core_stats(n, &st);
	assert_int_equal(st.sessions, 1);
	nat_core_tick(n, T0 + 420000);
	nat_core_stats(n, &st);
	assert_int_equal(st.sessions, 0);
	nat_core_destroy(n);
}

static void test_tcp_established_and_transitory_timers(void **state)
{
	(void)state;
	struct nat_config c = test_config();
	c.timeout_s[NAT_TIMEOUT_TCP_TRANS] = 10;
	c.timeout_s[NAT_TIMEOUT_TCP_EST] = 100;
	c.filtering = NAT_FILTER_APDF;
	struct nat_core *n = make(&c);
	struct pkt k;
	/* a SYN alone: transitory */
	tcp(&k, H1, 1111, S1, 80, 0x02, 0);
	assert_int_equal(out(n, &k, T0), NAT_TRANSLATED);
	/* simultaneous open / SYN-ACK from the remote: established */
	tcp(&k, H2, 2222, S1, 80, 0x02, 0);
	assert_int_equal(out(n, &k, T0), NAT_TRANSLATED);
	uint16_t ext = sport_of(&k);
	tcp(&k, S1, 80, OUT_ADDR, ext, 0x12, 0);
	assert_int_equal(in(n, &k, T0, IF_OUT), NAT_TRANSLATED);
	struct nat_session_info info[4];
	size_t got = nat_core_sessions(n, NULL, 0, info, 4, T0);
	assert_int_equal(got, 2);
	for (size_t i = 0; i < got; i++)
		assert_int_equal(info[i].tcp_state,
		                 info[i].inside_addr == H2 ? NAT_TCP_ESTABLISHED : NAT_TCP_NEW);
	for (uint64_t t = T0; t <= T0 + 11000; t += 1000)
		nat_core_tick(n, t);
	got = nat_core_sessions(n, NULL, 0, info, 4, T0 + 11000);
	assert_int_equal(got, 1);
	assert_int_equal(info[0].inside_addr, H2);
	/* FIN both ways: transitory again */
	tcp(&k, H2, 2222, S1, 80, 0x11, 0);
	assert_int_equal(out(n, &k, T0 + 12000), NAT_TRANSLATED);
	tcp(&k, S1, 80, OUT_ADDR, ext, 0x11, 0);
	assert_int_equal(in(n, &k, T0 + 12000, IF_OUT), NAT_TRANSLATED);
	for (uint64_t t = T0 + 12000; t <= T0 + 23000; t += 1000)
		nat_core_tick(n, t);
	assert_int_equal(nat_core_sessions(n, NULL, 0, info, 4, T0 + 23000), 0);
	nat_core_destroy(n);
}

/* ---- bounds ---- */

static void test_table_full_and_host_limit(void **state)
{
	(void)state;
	struct nat_config c = test_config();
	c.max_sessions = 8;
	c.max_sessions_per_host = 3;
	struct nat_core *n = make(&c);
	struct pkt k;
	for (uint16_t i = 0; i < 3; i++) {
		udp(&k, H1, (uint16_t)(2000 + i), S1, 53, 4);
		assert_int_equal(out(n, &k, T0), NAT_TRANSLATED);
	}
	udp(&k, H1, 2003, S1, 53, 4);
	assert_int_equal(out(n, &k, T0), NAT_DROP);
	/* old flows go on */
	udp(&k, H1, 2001, S1, 53, 4);
	assert_int_equal(out(n, &k, T0), NAT_TRANSLATED);
	for (uint32_t h = 0; h < 3; h++)
		for (uint16_t i = 0; i < 2; i++) {
			udp(&k, IP(10, 0, 2, 10 + h), (uint16_t)(3000 + i), S1, 53, 4);
			enum nat_verdict v = out(n, &k, T0);
			assert_int_equal(v, h * 2 + i < 5 ? NAT_TRANSLATED : NAT_DROP);
		}
	struct nat_stats st;
	nat_core_stats(n, &st);
	assert_int_equal(st.sessions, 8);
	assert_int_equal(st.drops[NAT_DROP_host_limit], 1);
	assert_int_equal(st.drops[NAT_DROP_table_full], 1);
	/* a flush makes room again */
	struct nat_filter f = {.inside_addr = H1, .proto = NAT_PROTO_COUNT_};
	assert_int_equal(nat_core_flush(n, &f), 3);
	udp(&k, H1, 2003, S1, 53, 4);
	assert_int_equal(out(n, &k, T0), NAT_TRANSLATED);
	nat_core_destroy(n);
}

/* ---- port forwards ---- */

static void test_port_forwards(void **state)
{
	(void)state;
	struct nat_config c = test_config();
	struct nat_core *n = make(&c);
	assert_int_equal(nat_core_forward_add(n, NAT_PROTO_TCP, 8080, H1, 80), 0);
	assert_int_equal(nat_core_forward_add(n, NAT_PROTO_TCP, 8080, H2, 80), -EEXIST);
	assert_int_equal(nat_core_forward_add(n, NAT_PROTO_ICMP, 1, H2, 1), -EINVAL);
	struct pkt k;
	tcp(&k, S3, 5555, OUT_ADDR, 8080, 0x02, 1460);
	assert_int_equal(in(n, &k, T0, IF_OUT), NAT_TRANSLATED); /* static: any remote */
	assert_int_equal(dst_of(&k), H1);
	assert_int_equal(dport_of(&k), 80);
	/* the server answers from its forward's outside port */
	tcp(&k, H1, 80, S3, 5555, 0x12, 1460);
	assert_int_equal(out(n, &k, T0), NAT_TRANSLATED);
	assert_int_equal(sport_of(&k), 8080);
	assert_int_equal(nat_core_forward_delete(n, NAT_PROTO_TCP, 8080), 0);
	assert_int_equal(nat_core_forward_delete(n, NAT_PROTO_TCP, 8080), -ENOENT);
	tcp(&k, S3, 5555, OUT_ADDR, 8080, 0x02, 0);
	assert_int_equal(in(n, &k, T0, IF_OUT), NAT_PASS);
	struct nat_stats st;
	nat_core_stats(n, &st);
	assert_int_equal(st.sessions, 0);
	assert_int_equal(st.mappings, 0);
	nat_core_destroy(n);
}

/* ---- checksum offload, MSS, fragments ---- */

/* CSUM_PARTIAL: the field holds the pseudo-header sum; after translation it must be the
 * pseudo-header sum of the new addresses (ports are the device's business). */
static void test_partial_checksum_follows_addresses(void **state)
{
	(void)state;
	struct nat_config c = test_config();
	c.mss_clamp = false;
	struct nat_core *n = make(&c);
	struct pkt k;
	tcp(&k, H1, 1234, S1, 443, 0x10, 0);
	uint16_t tcp_len = (uint16_t)(k.len - 20);
	uint16_t pseudo = (uint16_t)shoal_checksum_finish(0) ^ 0xffff;
	(void)pseudo;
	uint32_t ps = shoal_checksum_pseudo_ipv4(H1, S1, 6, tcp_len);
	uint16_t folded = (uint16_t)~shoal_checksum_finish(ps);
	shoal_store_be16(k.b + 36, folded);
	k.p.csum_partial = true;
	k.p.ingress_ifindex = IF_IN;
	k.p.egress_ifindex = IF_OUT;
	enum nat_drop d;
	assert_int_equal(nat_core_egress(n, &k.p, T0, &d), NAT_TRANSLATED);
	uint32_t ps2 = shoal_checksum_pseudo_ipv4(OUT_ADDR, S1, 6, tcp_len);
	assert_int_equal(shoal_load_be16(k.b + 36), (uint16_t)~shoal_checksum_finish(ps2));
	/* completing it as the device would gives a valid segment */
	uint16_t full = shoal_checksum_finish(shoal_checksum_add(0, k.b + 20, k.len - 20));
	shoal_store_be16(k.b + 36, full);
	assert_checksums(k.b, k.len);
	nat_core_destroy(n);
}

static void test_mss_clamped_on_syn(void **state)
{
	(void)state;
	struct nat_config c = test_config();
	struct nat_outside o = {.ifindex = IF_OUT, .addr = OUT_ADDR, .mss = 1400};
	char err[64];
	struct nat_core *n = nat_core_create(&c, &o, 1, T0, err, sizeof(err));
	assert_non_null(n);
	struct pkt k;
	tcp(&k, H1, 1234, S1, 443, 0x02, 1460);
	assert_int_equal(out(n, &k, T0), NAT_TRANSLATED);
	assert_int_equal(shoal_load_be16(k.b + 42), 1400);
	tcp(&k, H1, 1235, S1, 443, 0x02, 1300);
	assert_int_equal(out(n, &k, T0), NAT_TRANSLATED);
	assert_int_equal(shoal_load_be16(k.b + 42), 1300);
	nat_core_destroy(n);
}

static void test_non_first_fragment_dropped(void **state)
{
	(void)state;
	struct nat_config c = test_config();
	struct nat_core *n = make(&c);
	struct pkt k;
	udp(&k, H1, 5000, S1, 53, 100);
	shoal_store_be16(k.b + 6, 0x0010); /* offset 128 bytes */
	fill_checksums(k.b, k.len);
	assert_int_equal(out(n, &k, T0), NAT_DROP);
	struct nat_stats st;
	nat_core_stats(n, &st);
	assert_int_equal(st.drops[NAT_DROP_fragment], 1);
	nat_core_destroy(n);
}

/* ---- property: random flows against a model of mappings and checksums ---- */

static uint64_t rng_state;
static uint32_t rng(void)
{
	rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(rng_state >> 33);
}

static void test_random_flows_against_model(void **state)
{
	(void)state;
	rng_state = 144;
	struct nat_config c = test_config();
	c.filtering = NAT_FILTER_EIF;
	c.max_sessions = 4096;
	c.max_sessions_per_host = 4096;
	struct nat_core *n = make(&c);
	/* model: inside endpoint -> outside port, per protocol */
	struct {
		uint32_t addr;
		uint16_t port, ext;
		uint8_t proto;
	} model[4096];
	size_t nm = 0;
	for (int step = 0; step < 3000; step++) {
		struct pkt k;
		uint32_t h = IP(10, 0, (rng() % 2) + 1, (rng() % 8) + 2);
		uint16_t port = (uint16_t)(1024 + rng() % 48);
		uint32_t remote = IP(198, 51, 100, rng() % 4 + 1);
		uint16_t rport = (uint16_t)(rng() % 3 + 50);
		uint8_t proto = (uint8_t)(rng() % 3);
		if (proto == 0)
			tcp(&k, h, port, remote, rport, (uint8_t)(rng() & 0x13),
			    (uint16_t)(rng() % 2 ? 1460 : 0));
		else if (proto == 1)
			udp(&k, h, port, remote, rport, rng() % 200);
		else
			echo(&k, 8, h, remote, port);
		assert_int_equal(out(n, &k, T0), NAT_TRANSLATED);
		uint16_t ext = sport_of(&k);
		size_t i;
		for (i = 0; i < nm; i++)
			if (model[i].addr == h && model[i].port == port && model[i].proto == proto)
				break;
		if (i == nm) {
			for (size_t j = 0; j < nm; j++) /* never two mappings on one outside port */
				assert_false(model[j].proto == proto && model[j].ext == ext);
			model[nm].addr = h;
			model[nm].port = port;
			model[nm].ext = ext;
			model[nm].proto = proto;
			nm++;
			assert_true(nm < 4096);
		} else {
			assert_int_equal(model[i].ext, ext); /* EIM: the same every time */
		}
		/* a reply from the remote comes back exactly */
		struct pkt r;
		if (proto == 0)
			tcp(&r, remote, rport, OUT_ADDR, ext, 0x10, 0);
		else if (proto == 1)
			udp(&r, remote, rport, OUT_ADDR, ext, rng() % 100);
		else
			echo(&r, 0, remote, OUT_ADDR, ext);
		assert_int_equal(in(n, &r, T0, IF_OUT), NAT_TRANSLATED);
		assert_int_equal(dst_of(&r), h);
		assert_int_equal(dport_of(&r), port);
	}
	nat_core_destroy(n);
}

/* ---- property: offloaded frames (GSO super-frames, CSUM_PARTIAL) against the model ---- */

enum { BIG = 65535 };

/* A TCP or UDP datagram of total length len in buf (a GSO super-frame when len is above the
 * MTU), payload from the rng; TCP gets an MSS option when syn. partial: the L4 field holds the
 * folded pseudo-header sum (what Linux leaves for the device: ~csum_tcpudp_magic), else the
 * full checksum. */
static void big_datagram(uint8_t *buf, size_t len, uint8_t proto, uint32_t src, uint16_t sp,
                         uint32_t dst, uint16_t dp, bool syn, bool partial)
{
	memset(buf, 0, 60);
	buf[0] = 0x45;
	shoal_store_be16(buf + 2, (uint16_t)len);
	shoal_store_be16(buf + 4, (uint16_t)rng());
	buf[6] = 0x40; /* DF, as TCP sends */
	buf[8] = 64;
	buf[9] = proto;
	shoal_store_be32(buf + 12, src);
	shoal_store_be32(buf + 16, dst);
	uint8_t *l4 = buf + 20;
	shoal_store_be16(l4, sp);
	shoal_store_be16(l4 + 2, dp);
	size_t hl = 8;
	if (proto == 6) {
		hl = syn ? 24 : 20;
		shoal_store_be32(l4 + 4, rng());
		shoal_store_be32(l4 + 8, rng());
		l4[12] = (uint8_t)((hl / 4) << 4);
		l4[13] = syn ? 0x02 : 0x18;
		shoal_store_be16(l4 + 14, 502);
		if (syn) {
			l4[20] = 2;
			l4[21] = 4;
			shoal_store_be16(l4 + 22, 65495); /* loopback-sized: clamped */
		}
	} else {
		shoal_store_be16(l4 + 4, (uint16_t)(len - 20));
	}
	for (size_t i = 20 + hl; i < len; i++)
		buf[i] = (uint8_t)rng();
	shoal_store_be16(buf + 10, shoal_checksum(buf, 20));
	uint8_t *c = l4 + csum_off(proto);
	if (partial)
		shoal_store_be16(c, (uint16_t)~shoal_checksum_finish(shoal_checksum_pseudo_ipv4(
		                        src, dst, proto, (uint16_t)(len - 20))));
	else
		fill_checksums(buf, len);
}

/* The model's verdict on a translated datagram: header checksum right; the L4 field is the
 * pseudo-header sum of the addresses it now carries (partial; 0 and 0xffff are the same
 * one's complement zero) or a full checksum that verifies from scratch; completing a partial
 * one as the device would gives a datagram that verifies; the payload is untouched. */
static void assert_offload_model(uint8_t *buf, size_t len, bool partial, const uint8_t *payload,
                                 size_t hl)
{
	assert_int_equal(shoal_checksum(buf, 20), 0);
	uint8_t proto = buf[9];
	uint8_t *c = buf + 20 + csum_off(proto);
	if (partial) {
		uint16_t want = (uint16_t)~shoal_checksum_finish(
		    shoal_checksum_pseudo_ipv4(shoal_load_be32(buf + 12), shoal_load_be32(buf + 16),
		                               proto, (uint16_t)(len - 20)));
		uint16_t got = shoal_load_be16(c);
		assert_true(got == want ||
		            ((got == 0 || got == 0xffff) && (want == 0 || want == 0xffff)));
		uint16_t full = shoal_checksum_finish(shoal_checksum_add(0, buf + 20, len - 20));
		shoal_store_be16(c, full ? full : 0xffff);
	}
	assert_int_equal(l4_sum(buf, len), 0);
	assert_memory_equal(buf + 20 + hl, payload, len - 20 - hl);
}

static void test_offloaded_frames_against_model(void **state)
{
	(void)state;
	rng_state = 5508;
	struct nat_config c = test_config();
	c.filtering = NAT_FILTER_EIF; /* hairpin to any mapping */
	c.max_sessions = 8192;
	c.max_sessions_per_host = 8192;
	struct nat_core *n = make(&c);
	uint8_t *buf = malloc(BIG), *payload = malloc(BIG);
	assert_non_null(buf);
	assert_non_null(payload);
	for (int step = 0; step < 600; step++) {
		uint8_t proto = rng() % 3 ? 6 : 17;
		bool partial = rng() % 4 != 0;
		bool syn = proto == 6 && rng() % 5 == 0;
		/* a GSO super-frame (up to 64 KiB) or an ordinary datagram */
		size_t len = rng() % 2 ? 1000 + rng() % (BIG - 1000 + 1) : 60 + rng() % 1441;
		size_t hl = proto == 17 ? 8 : syn ? 24 : 20;
		uint32_t h = rng() % 2 ? H1 : H2, remote = rng() % 2 ? S1 : S2;
		uint16_t port = (uint16_t)(20000 + rng() % 64), rport = (uint16_t)(400 + rng() % 4);
		struct nat_pkt p = {.data = buf, .len = len, .csum_partial = partial};
		enum nat_drop d;

		/* outbound: source becomes the outside address and the mapping's port */
		big_datagram(buf, len, proto, h, port, remote, rport, syn, partial);
		memcpy(payload, buf + 20 + hl, len - 20 - hl);
		p.ingress_ifindex = IF_IN;
		p.egress_ifindex = IF_OUT;
		assert_int_equal(nat_core_egress(n, &p, T0, &d), NAT_TRANSLATED);
		assert_int_equal(shoal_load_be32(buf + 12), OUT_ADDR);
		uint16_t ext = shoal_load_be16(buf + 20);
		if (syn)
			assert_int_equal(shoal_load_be16(buf + 42), 1460);
		assert_offload_model(buf, len, partial, payload, hl);

		/* the reply: destination back to the inside endpoint */
		partial = rng() % 4 != 0;
		p.csum_partial = partial;
		big_datagram(buf, len, proto, remote, rport, OUT_ADDR, ext, syn, partial);
		memcpy(payload, buf + 20 + hl, len - 20 - hl);
		p.ingress_ifindex = IF_OUT;
		p.egress_ifindex = 0;
		assert_int_equal(nat_core_ingress(n, &p, T0, &d), NAT_TRANSLATED);
		assert_int_equal(shoal_load_be32(buf + 16), h);
		assert_int_equal(shoal_load_be16(buf + 22), port);
		assert_offload_model(buf, len, partial, payload, hl);

		/* hairpin from the other inside host: both addresses and ports change */
		uint32_t other = h == H1 ? H2 : H1;
		partial = rng() % 4 != 0;
		p.csum_partial = partial;
		big_datagram(buf, len, proto, other, (uint16_t)(port + 100), OUT_ADDR, ext, false,
		             partial);
		hl = proto == 17 ? 8 : 20;
		memcpy(payload, buf + 20 + hl, len - 20 - hl);
		p.ingress_ifindex = IF_IN;
		assert_int_equal(nat_core_ingress(n, &p, T0, &d), NAT_TRANSLATED);
		assert_int_equal(shoal_load_be32(buf + 12), OUT_ADDR);
		assert_int_equal(shoal_load_be32(buf + 16), h);
		assert_int_equal(shoal_load_be16(buf + 22), port);
		assert_offload_model(buf, len, partial, payload, hl);
	}
	free(payload);
	free(buf);
	nat_core_destroy(n);
}

/* ---- listing and memory ---- */

static void test_sessions_paging_and_filters(void **state)
{
	(void)state;
	struct nat_config c = test_config();
	struct nat_core *n = make(&c);
	struct pkt k;
	for (uint16_t i = 0; i < 10; i++) {
		udp(&k, i % 2 ? H1 : H2, (uint16_t)(3000 + i), S1, 53, 4);
		assert_int_equal(out(n, &k, T0), NAT_TRANSLATED);
	}
	echo(&k, 8, H1, S1, 9);
	assert_int_equal(out(n, &k, T0), NAT_TRANSLATED);
	struct nat_session_info info[4];
	uint32_t cursor = 0;
	size_t total = 0, got;
	while ((got = nat_core_sessions(n, NULL, cursor, info, 4, T0)) > 0) {
		total += got;
		cursor = info[got - 1].cursor;
	}
	assert_int_equal(total, 11);
	struct nat_filter f = {.inside_addr = H1, .proto = NAT_PROTO_UDP};
	struct nat_session_info all[16];
	assert_int_equal(nat_core_sessions(n, &f, 0, all, 16, T0), 5);
	f.proto = NAT_PROTO_COUNT_;
	assert_int_equal(nat_core_sessions(n, &f, 0, all, 16, T0), 6);
	assert_int_equal(all[0].remote_addr, S1);
	assert_int_equal(all[0].outside_addr, OUT_ADDR);
	assert_int_equal(all[0].packets_out, 1);
	assert_int_equal(all[0].expires_in_ms, all[0].proto == NAT_PROTO_UDP ? 300000 : 60000);
	nat_core_destroy(n);
}

/* ---- property: sessions (lookup, filtering, expiry, flush) against a model ---- */

/* Mappings that gain and lose sessions one by one (0, 1, several, back to 1: the engine
 * looks a mapping's only session up from the mapping and the others in its hash table)
 * under address-and-port-dependent filtering, expiry and flushes: every verdict, every
 * translation and the listed sessions with their counters match a plain list. */
static void test_sessions_against_model(void **state)
{
	(void)state;
	rng_state = 1812;
	struct nat_config c = test_config();
	c.timeout_s[NAT_TIMEOUT_UDP] = 60;
	struct nat_core *n = make(&c);
	struct msess {
		uint32_t h, r;
		uint16_t p, rp;
		uint32_t last_s;
		uint64_t pkts_out, pkts_in;
	} ms[64];
	struct mmap {
		uint32_t h;
		uint16_t p, ext;
	} mm[16];
	size_t nms = 0, nmm = 0;
	uint64_t now = T0;
	size_t translated_in = 0, filtered = 0, multi = 0;
	for (int step = 0; step < 4000; step++) {
		unsigned op = rng() % 20;
		uint32_t h = IP(10, 0, 2, rng() % 3 + 2), r = IP(198, 51, 100, rng() % 3 + 1);
		uint16_t p = (uint16_t)(4000 + rng() % 2), rp = (uint16_t)(53 + rng() % 2);
		uint32_t now_s = (uint32_t)(now / 1000);
		struct pkt k;
		if (op < 10) { /* outbound: the mapping's ext stays while it lives */
			udp(&k, h, p, r, rp, 4);
			assert_int_equal(out(n, &k, now), NAT_TRANSLATED);
			size_t m;
			for (m = 0; m < nmm && !(mm[m].h == h && mm[m].p == p); m++)
				;
			if (m == nmm)
				mm[nmm++] = (struct mmap){h, p, sport_of(&k)};
			assert_int_equal(sport_of(&k), mm[m].ext);
			size_t i;
			for (i = 0; i < nms; i++)
				if (ms[i].h == h && ms[i].p == p && ms[i].r == r && ms[i].rp == rp)
					break;
			if (i == nms)
				ms[nms++] = (struct msess){h, r, p, rp, 0, 0, 0};
			ms[i].last_s = now_s;
			ms[i].pkts_out++;
		} else if (op < 17 && nmm > 0) { /* inbound to a live mapping's port */
			const struct mmap *m = &mm[rng() % nmm];
			udp(&k, r, rp, OUT_ADDR, m->ext, 4);
			size_t i, same_map = 0;
			for (i = 0; i < nms; i++)
				same_map += ms[i].h == m->h && ms[i].p == m->p;
			multi += same_map > 1;
			for (i = 0; i < nms; i++)
				if (ms[i].h == m->h && ms[i].p == m->p && ms[i].r == r &&
				    ms[i].rp == rp)
					break;
			if (i == nms) {
				assert_int_equal(in(n, &k, now, IF_OUT), NAT_DROP);
				filtered++;
			} else {
				assert_int_equal(in(n, &k, now, IF_OUT), NAT_TRANSLATED);
				assert_int_equal(dst_of(&k), m->h);
				assert_int_equal(dport_of(&k), m->p);
				ms[i].last_s = now_s;
				ms[i].pkts_in++;
				translated_in++;
			}
		} else if (op < 19) { /* time passes; expiry */
			now += (uint64_t)(rng() % 30) * 1000;
			nat_core_tick(n, now);
			now_s = (uint32_t)(now / 1000);
			for (size_t i = 0; i < nms;)
				if (ms[i].last_s + 60 <= now_s)
					ms[i] = ms[--nms];
				else
					i++;
		} else { /* flush one inside host */
			struct nat_filter f = {.inside_addr = h, .proto = NAT_PROTO_COUNT_};
			size_t gone = 0;
			for (size_t i = 0; i < nms;)
				if (ms[i].h == h) {
					ms[i] = ms[--nms];
					gone++;
				} else {
					i++;
				}
			assert_int_equal(nat_core_flush(n, &f), gone);
		}
		/* a mapping without sessions is gone (its port may go to another next time) */
		for (size_t m = 0; m < nmm;) {
			size_t i;
			for (i = 0; i < nms && !(ms[i].h == mm[m].h && ms[i].p == mm[m].p); i++)
				;
			if (i == nms)
				mm[m] = mm[--nmm];
			else
				m++;
		}
		struct nat_session_info info[64];
		size_t got = nat_core_sessions(n, NULL, 0, info, 64, now);
		assert_int_equal(got, nms);
		for (size_t j = 0; j < got; j++) {
			size_t i;
			for (i = 0; i < nms; i++)
				if (ms[i].h == info[j].inside_addr &&
				    ms[i].p == info[j].inside_port &&
				    ms[i].r == info[j].remote_addr &&
				    ms[i].rp == info[j].remote_port)
					break;
			assert_true(i < nms);
			assert_int_equal(info[j].packets_out, ms[i].pkts_out);
			assert_int_equal(info[j].packets_in, ms[i].pkts_in);
		}
	}
	/* the run went through what it is about */
	assert_true(translated_in > 200 && filtered > 200 && multi > 200);
	nat_core_destroy(n);
}

/* The tables are sized at create: bytes per session at max_sessions = 200,000. */
static void test_memory_per_session_bounded(void **state)
{
	(void)state;
	struct nat_config c = test_config();
	c.max_sessions = 200000;
	struct nat_core *n = make(&c);
	size_t per = nat_core_memory(n) / c.max_sessions;
	printf("# NAT memory: %zu bytes for %u sessions (%zu per session)\n", nat_core_memory(n),
	       c.max_sessions, per);
	assert_true(per <= 128);
	nat_core_destroy(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_outbound_udp_masquerade_and_port_preservation),
	    cmocka_unit_test(test_endpoint_independent_mapping),
	    cmocka_unit_test(test_port_collision_gets_another_port),
	    cmocka_unit_test(test_filtering_behaviours),
	    cmocka_unit_test(test_hairpin_between_inside_hosts),
	    cmocka_unit_test(test_icmp_echo_same_identifier_two_hosts),
	    cmocka_unit_test(test_icmp_error_inbound_rewritten),
	    cmocka_unit_test(test_icmp_error_outbound_about_forward),
	    cmocka_unit_test(test_udp_timeout_and_refresh),
	    cmocka_unit_test(test_tcp_established_and_transitory_timers),
	    cmocka_unit_test(test_table_full_and_host_limit),
	    cmocka_unit_test(test_port_forwards),
	    cmocka_unit_test(test_partial_checksum_follows_addresses),
	    cmocka_unit_test(test_mss_clamped_on_syn),
	    cmocka_unit_test(test_non_first_fragment_dropped),
	    cmocka_unit_test(test_random_flows_against_model),
	    cmocka_unit_test(test_offloaded_frames_against_model),
	    cmocka_unit_test(test_sessions_paging_and_filters),
	    cmocka_unit_test(test_sessions_against_model),
	    cmocka_unit_test(test_memory_per_session_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
