/*
 * nat_core_flows.c — the NAT engine alone (plugins/nat/nat_core.c, no TAP, no kernel), for
 * tests/bench/bench_nat.sh: what a new flow and a datagram of an existing flow cost in the
 * engine, in a table sized as the benchmark's (max_sessions 200,000, the plugin's default
 * address-and-port-dependent filtering).
 *
 *   nat_core_flows [ROUNDS [FLOWS [THRASH_KB]]]
 *       ROUNDS (default 21) rounds of: FLOWS (default 10,000) new UDP flows through
 *       nat_core_egress, each from a new source address:port (200 inside hosts x ports going
 *       up, as tests/bench/tools/udp_flows sends them) to one server port; the same FLOWS
 *       again (datagrams of existing flows); a flush of every session (the benchmark's
 *       DELETE /api/v1/nat/sessions). Prints the median over the rounds of ns per new flow,
 *       ns per datagram of an existing flow and ns per flushed session. THRASH_KB (default
 *       0): before each datagram, that many KB are written through (evicting the caches, as
 *       the kernel's share of a TAP router does between two datagrams) and the datagram is
 *       timed alone. Exits 1 when a datagram is not translated, 2 on bad arguments.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nat_core.h"
#include "shoal/checksum.h"
#include "shoal/wire.h"

enum { MAX_ROUNDS = 1000, HOSTS = 200, IF_IN = 1, IF_OUT = 2 };

static double flows_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A UDP datagram of 8 bytes of payload from src:sp to dst:dp, checksums filled. */
static void flows_udp(uint8_t *b, uint32_t src, uint16_t sp, uint32_t dst, uint16_t dp)
{
	memset(b, 0, 36);
	b[0] = 0x45;
	shoal_store_be16(b + 2, 36);
	b[8] = 64;
	b[9] = 17;
	shoal_store_be32(b + 12, src);
	shoal_store_be32(b + 16, dst);
	shoal_store_be16(b + 10, shoal_checksum(b, 20));
	shoal_store_be16(b + 20, sp);
	shoal_store_be16(b + 22, dp);
	shoal_store_be16(b + 24, 16);
	uint32_t s = shoal_checksum_pseudo_ipv4(src, dst, 17, 16);
	uint16_t c = shoal_checksum_finish(shoal_checksum_add(s, b + 20, 16));
	shoal_store_be16(b + 26, c ? c : 0xffff);
}

/* Caches evicted between datagrams (what the kernel's share of a TAP router does to them). */
struct flows_thrash {
	uint8_t *buf;
	size_t size;
};

static void flows_thrash_run(struct flows_thrash *t)
{
	for (size_t i = 0; i < t->size; i += 64)
		t->buf[i]++;
}

/* Sends flows datagrams from base port up; returns ns per datagram, negative on a drop. With
 * a thrash buffer, each datagram is timed alone after the caches were evicted. */
static double flows_send(struct nat_core *n, unsigned flows, unsigned base, uint64_t now_ms,
                         struct flows_thrash *t)
{
	uint8_t b[64];
	enum nat_drop why;
	double spent = 0, t0 = flows_now();
	for (unsigned i = 0; i < flows; i++) {
		flows_udp(b, 0x0a000102u + i % HOSTS, (uint16_t)(base + i / HOSTS), 0xc0000202u, 9);
		struct nat_pkt p = {
		    .data = b, .len = 36, .ingress_ifindex = IF_IN, .egress_ifindex = IF_OUT};
		if (t->size) {
			flows_thrash_run(t);
			t0 = flows_now();
		}
		if (nat_core_egress(n, &p, now_ms, &why) != NAT_TRANSLATED)
			return -1;
		if (t->size)
			spent += flows_now() - t0;
	}
	if (!t->size)
		spent = flows_now() - t0;
	return spent * 1e9 / flows;
}

static int flows_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double flows_median(double *v, unsigned k)
{
	qsort(v, k, sizeof(v[0]), flows_cmp);
	return k % 2 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
}

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? strtol(argv[1], NULL, 10) : 21;
	long flows = argc > 2 ? strtol(argv[2], NULL, 10) : 10000;
	long thrash_kb = argc > 3 ? strtol(argv[3], NULL, 10) : 0;
	if (argc > 4 || rounds < 1 || rounds > MAX_ROUNDS || flows < HOSTS || flows > 50000 ||
	    thrash_kb < 0 || thrash_kb > 65536) {
		fprintf(stderr,
		        "usage: nat_core_flows [ROUNDS (1..%d) [FLOWS (%d..50000) [THRASH_KB "
		        "(0..65536)]]]\n",
		        MAX_ROUNDS, HOSTS);
		return 2;
	}
	struct flows_thrash thrash = {.size = (size_t)thrash_kb * 1024};
	if (thrash.size && !(thrash.buf = calloc(1, thrash.size))) {
		fprintf(stderr, "nat_core_flows: out of memory\n");
		return 1;
	}
	struct nat_config cfg = {
	    .filtering = NAT_FILTER_APDF,
	    .port_min = 1024,
	    .port_max = 65535,
	    .max_sessions = 200000,
	    .max_sessions_per_host = 200000,
	    .timeout_s = {[NAT_TIMEOUT_UDP] = 300,
	                  [NAT_TIMEOUT_TCP_EST] = 7440,
	                  [NAT_TIMEOUT_TCP_TRANS] = 240,
	                  [NAT_TIMEOUT_ICMP] = 60},
	    .mss_clamp = true,
	};
	struct nat_outside out = {.ifindex = IF_OUT, .addr = 0xc0000201u, .mss = 1460};
	uint64_t now_ms = 1000000;
	char err[128];
	struct nat_core *n = nat_core_create(&cfg, &out, 1, now_ms, err, sizeof(err));
	if (!n) {
		fprintf(stderr, "nat_core_flows: %s\n", err);
		return 1;
	}
	static double fresh[MAX_ROUNDS], again[MAX_ROUNDS], flush[MAX_ROUNDS];
	unsigned per_round = (unsigned)(flows + HOSTS - 1) / HOSTS, base = 1024;
	int rc = 0;
	for (long r = 0; r < rounds && rc == 0; r++) {
		if (base + per_round > 65535)
			base = 1024;
		fresh[r] = flows_send(n, (unsigned)flows, base, now_ms, &thrash);
		again[r] = flows_send(n, (unsigned)flows, base, now_ms, &thrash);
		double t0 = flows_now();
		size_t gone = nat_core_flush(n, NULL);
		flush[r] = (flows_now() - t0) * 1e9 / (double)(gone ? gone : 1);
		if (fresh[r] < 0 || again[r] < 0 || gone != (size_t)flows) {
			fprintf(stderr,
			        "nat_core_flows: round %ld: a datagram was not translated\n", r);
			rc = 1;
		}
		base += per_round;
	}
	if (rc == 0)
		printf("nat engine, %ld rounds of %ld flows, max_sessions %u, caches %s: new flow "
		       "%.0f ns, datagram of an existing flow %.0f ns, flush %.0f ns per session "
		       "(medians)\n",
		       rounds, flows, cfg.max_sessions,
		       thrash.size ? "evicted before each datagram" : "warm",
		       flows_median(fresh, (unsigned)rounds), flows_median(again, (unsigned)rounds),
		       flows_median(flush, (unsigned)rounds));
	nat_core_destroy(n);
	free(thrash.buf);
	return rc;
}
