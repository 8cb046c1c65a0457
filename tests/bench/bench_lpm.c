/*
 * bench_lpm.c — shoal_lpm against DPDK's rte_lpm on a synthetic full Internet table.
 *
 * Table: 1,000,000 distinct canonical prefixes, deterministic (fixed seed), length mix close
 * to a real BGP table (58% /24, 10% /23, 11% /22, 5% /21, 5% /20, 3% /19, 3% /17-/18,
 * 1.5% /16, 0.5% /8-/15, 3% /25-/32), 256 distinct next hops.
 * Figures: load time, memory, single and batched lookups/s over 16M addresses (half uniform,
 * half inside table prefixes, best of 3 passes), delete and re-insert rates (100k routes).
 * Both tables must agree on every looked-up address (exit status 1 otherwise).
 *
 * Usage: bench_lpm [--no-dpdk] [--no-thp]
 *   --no-dpdk  skip the rte_lpm column (it needs a build with SHOAL_HAVE_DPDK)
 *   --no-thp   shoal without transparent huge pages (config.no_huge_pages), the same
 *              memory kind as rte_lpm, which runs with EAL --no-huge
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime; ssize_t for DPDK headers */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shoal/lpm.h"

#ifdef SHOAL_HAVE_DPDK
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wcast-qual"
#pragma GCC diagnostic ignored "-Wundef"
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lpm.h>
#pragma GCC diagnostic pop
#endif

enum {
	N_ROUTES = 1000000,
	N_NH = 256,
	N_LOOKUPS = 16 * 1024 * 1024,
	N_CHURN = 100000,
	BATCH = 256,
	PASSES = 3,
};

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint32_t canon(uint32_t p, unsigned len)
{
	return len ? p & (UINT32_MAX << (32 - len)) : 0;
}

/* length by cumulative per-mille, matching the mix of the brief */
static unsigned bench_random_len(uint64_t *s)
{
	unsigned r = (unsigned)(rng_next(s) % 1000);
	if (r < 580)
		return 24;
	if (r < 680)
		return 23;
	if (r < 790)
		return 22;
	if (r < 840)
		return 21;
	if (r < 890)
		return 20;
	if (r < 920)
		return 19;
	if (r < 950)
		return 17 + (unsigned)(rng_next(s) % 2);
	if (r < 965)
		return 16;
	if (r < 970)
		return 8 + (unsigned)(rng_next(s) % 8);
	return 25 + (unsigned)(rng_next(s) % 8);
}

struct route {
	uint32_t prefix;
	uint8_t len;
	uint8_t nh;
};

/* Distinct (prefix, len) via an open-addressing set. */
static struct route *bench_make_table(size_t n)
{
	size_t cap = 1u << 22;
	uint64_t *set = calloc(cap, sizeof *set);
	struct route *r = malloc(n * sizeof *r);
	if (!set || !r) {
		free(set);
		free(r);
		return NULL;
	}
	uint64_t s = 0x1badb002;
	size_t have = 0;
	/* the mix has 0.5% of /8../15: at most 65280 exist, so duplicates are only re-drawn */
	while (have < n) {
		unsigned len = bench_random_len(&s);
		uint32_t p = canon((uint32_t)rng_next(&s), len);
		uint64_t key = ((uint64_t)p << 6 | len) + 1;
		size_t h = (size_t)((key * 0x9e3779b97f4a7c15ull) >> 42) & (cap - 1);
		while (set[h] && set[h] != key)
			h = (h + 1) & (cap - 1);
		if (set[h])
			continue;
		set[h] = key;
		r[have].prefix = p;
		r[have].len = (uint8_t)len;
		r[have].nh = (uint8_t)(rng_next(&s) % N_NH);
		have++;
	}
	free(set);
	return r;
}

static struct shoal_lpm_nh bench_nh(unsigned i)
{
	struct shoal_lpm_nh nh = {.gateway = 0xc0a80000u + i, .ifindex = i, .has_gateway = true};
	return nh;
}

/* shoal id -> bench next hop number (ifindex), or -1 for a miss */
static long shoal_nh_num(const struct shoal_lpm *lpm, uint32_t id)
{
	if (id == SHOAL_LPM_MISS)
		return -1;
	return shoal_lpm_nh_get(lpm, id)->ifindex;
}

struct col {
	double load_s;
	double mem_mb;
	double single_mps;
	double batch_mps;
	double match_mps; /* shoal_lpm_match: the per-route accounting's extra step */
	double del_rate;
	double ins_rate;
	bool ok;
};

static double best_of(double a, double b)
{
	return a > b ? a : b;
}

static struct shoal_lpm *shoal_load(struct col *c, const struct route *rt, bool thp)
{
	struct shoal_lpm_config cfg = {.max_routes = 1200000, .no_huge_pages = !thp};
	struct shoal_lpm *lpm = shoal_lpm_create(&cfg);
	if (!lpm)
		return NULL;
	double t0 = now_s();
	for (size_t i = 0; i < N_ROUTES; i++) {
		struct shoal_lpm_nh nh = bench_nh(rt[i].nh);
		if (shoal_lpm_insert(lpm, rt[i].prefix, rt[i].len, &nh) != SHOAL_LPM_OK) {
			fprintf(stderr, "shoal insert %zu failed\n", i);
			shoal_lpm_destroy(lpm);
			return NULL;
		}
	}
	c->load_s = now_s() - t0;
	c->mem_mb = (double)shoal_lpm_memory(lpm) / 1e6;
	return lpm;
}

/* One pass of single and batched lookups; keeps the best rates. */
static void shoal_pass(struct col *c, const struct shoal_lpm *lpm, const uint32_t *addrs,
                       uint32_t *out)
{
	{
		uint64_t sink = 0;
		double t0 = now_s();
		for (size_t i = 0; i < N_LOOKUPS; i++)
			sink += shoal_lpm_lookup(lpm, addrs[i]);
		double t = now_s() - t0;
		c->single_mps = best_of(c->single_mps, N_LOOKUPS / t / 1e6);
		if (sink == 42)
			puts("");
		t0 = now_s();
		for (size_t i = 0; i < N_LOOKUPS; i += BATCH)
			shoal_lpm_lookup_batch(lpm, addrs + i, out + i, BATCH);
		t = now_s() - t0;
		c->batch_mps = best_of(c->batch_mps, N_LOOKUPS / t / 1e6);
		t0 = now_s();
		for (size_t i = 0; i < N_LOOKUPS; i++) {
			uint32_t p = 0;
			unsigned l = 0;
			sink += shoal_lpm_match(lpm, addrs[i], &p, &l) + p + l;
		}
		t = now_s() - t0;
		c->match_mps = best_of(c->match_mps, N_LOOKUPS / t / 1e6);
		if (sink == 43)
			puts("");
	}
}

/* Checks single == batch, translates out[] to next-hop numbers, measures the churn. */
static void shoal_finish(struct col *c, struct shoal_lpm *lpm, const struct route *rt,
                         const uint32_t *addrs, uint32_t *out)
{
	double t0;
	c->ok = true;
	for (size_t i = 0; i < N_LOOKUPS; i++) {
		if (out[i] != shoal_lpm_lookup(lpm, addrs[i]))
			c->ok = false;
		out[i] = (uint32_t)shoal_nh_num(lpm, out[i]);
	}

	t0 = now_s();
	for (size_t i = 0; i < N_CHURN; i++)
		if (shoal_lpm_delete(lpm, rt[i * 7].prefix, rt[i * 7].len) != SHOAL_LPM_OK)
			c->ok = false;
	c->del_rate = N_CHURN / (now_s() - t0);
	t0 = now_s();
	for (size_t i = 0; i < N_CHURN; i++) {
		struct shoal_lpm_nh nh = bench_nh(rt[i * 7].nh);
		if (shoal_lpm_insert(lpm, rt[i * 7].prefix, rt[i * 7].len, &nh) != SHOAL_LPM_OK)
			c->ok = false;
	}
	c->ins_rate = N_CHURN / (now_s() - t0);
	/* after the churn the table is the same again */
	for (size_t i = 0; i < N_LOOKUPS; i += 16)
		if ((uint32_t)shoal_nh_num(lpm, shoal_lpm_lookup(lpm, addrs[i])) != out[i])
			c->ok = false;
	shoal_lpm_destroy(lpm);
}

#ifdef SHOAL_HAVE_DPDK
static struct rte_lpm *rte_load(struct col *c, const struct route *rt)
{
	struct rte_lpm_config cfg = {.max_rules = 1200000, .number_tbl8s = 1 << 16, .flags = 0};
	struct rte_lpm *lpm = rte_lpm_create("bench", SOCKET_ID_ANY, &cfg);
	if (!lpm) {
		fprintf(stderr, "rte_lpm_create: %s\n", rte_strerror(rte_errno));
		return NULL;
	}
	double t0 = now_s();
	for (size_t i = 0; i < N_ROUTES; i++) {
		if (rte_lpm_add(lpm, rt[i].prefix, rt[i].len, rt[i].nh) != 0) {
			fprintf(stderr, "rte_lpm_add %zu failed\n", i);
			rte_lpm_free(lpm);
			return NULL;
		}
	}
	c->load_s = now_s() - t0;
	/* tbl24 + tbl8s + rules: what rte_lpm_create allocates */
	c->mem_mb = ((double)(1u << 24) * sizeof(struct rte_lpm_tbl_entry) +
	             (double)cfg.number_tbl8s * 256 * sizeof(struct rte_lpm_tbl_entry) +
	             (double)cfg.max_rules * 8) /
	            1e6;
	return lpm;
}

static void rte_pass(struct col *c, const struct rte_lpm *lpm, const uint32_t *addrs, uint32_t *out)
{
	{
		uint64_t sink = 0;
		double t0 = now_s();
		for (size_t i = 0; i < N_LOOKUPS; i++) {
			uint32_t nh = 0;
			sink += (uint64_t)rte_lpm_lookup(lpm, addrs[i], &nh) + nh;
		}
		double t = now_s() - t0;
		c->single_mps = best_of(c->single_mps, N_LOOKUPS / t / 1e6);
		if (sink == 42)
			puts("");
		t0 = now_s();
		for (size_t i = 0; i < N_LOOKUPS; i += BATCH)
			rte_lpm_lookup_bulk(lpm, addrs + i, out + i, BATCH);
		t = now_s() - t0;
		c->batch_mps = best_of(c->batch_mps, N_LOOKUPS / t / 1e6);
	}
}

static void rte_finish(struct col *c, struct rte_lpm *lpm, const struct route *rt, uint32_t *out)
{
	double t0;
	for (size_t i = 0; i < N_LOOKUPS; i++)
		out[i] = (out[i] & RTE_LPM_LOOKUP_SUCCESS) ? (out[i] & 0xffffff) : UINT32_MAX;
	c->ok = true;

	t0 = now_s();
	for (size_t i = 0; i < N_CHURN; i++)
		if (rte_lpm_delete(lpm, rt[i * 7].prefix, rt[i * 7].len) != 0)
			c->ok = false;
	c->del_rate = N_CHURN / (now_s() - t0);
	t0 = now_s();
	for (size_t i = 0; i < N_CHURN; i++)
		if (rte_lpm_add(lpm, rt[i * 7].prefix, rt[i * 7].len, rt[i * 7].nh) != 0)
			c->ok = false;
	c->ins_rate = N_CHURN / (now_s() - t0);
	rte_lpm_free(lpm);
}
#endif

static void print_row(const char *name, const char *unit, double a, double b, bool have_b)
{
	if (have_b)
		printf("%-24s %14.2f %14.2f %9.2fx  %s\n", name, a, b, b != 0 ? a / b : 0.0, unit);
	else
		printf("%-24s %14.2f %14s %10s  %s\n", name, a, "-", "-", unit);
}

int main(int argc, char **argv)
{
	bool want_rte = true, thp = true;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--no-dpdk") == 0) {
			want_rte = false;
		} else if (strcmp(argv[i], "--no-thp") == 0) {
			thp = false;
		} else {
			fprintf(stderr, "usage: %s [--no-dpdk] [--no-thp]\n", argv[0]);
			return 2;
		}
	}
#ifndef SHOAL_HAVE_DPDK
	if (want_rte)
		puts("note: built without DPDK (pkg-config libdpdk not found): rte_lpm column "
		     "skipped");
	want_rte = false;
#endif
	struct route *rt = bench_make_table(N_ROUTES);
	uint32_t *addrs = malloc(N_LOOKUPS * sizeof *addrs);
	uint32_t *out_s = malloc(N_LOOKUPS * sizeof *out_s);
	uint32_t *out_r = malloc(N_LOOKUPS * sizeof *out_r);
	if (!rt || !addrs || !out_s || !out_r) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	uint64_t s = 0xfeedface;
	for (size_t i = 0; i < N_LOOKUPS; i++) {
		uint64_t r = rng_next(&s);
		uint32_t a = (uint32_t)r;
		if (i & 1) {
			const struct route *x = &rt[(r >> 32) % N_ROUTES];
			uint32_t host = x->len == 32 ? 0 : (uint32_t)rng_next(&s) >> x->len;
			a = x->prefix | host;
		}
		addrs[i] = a;
	}
	unsigned hist[33] = {0};
	for (size_t i = 0; i < N_ROUTES; i++)
		hist[rt[i].len]++;
	printf("table: %d prefixes, %d next hops; /24 %.1f%% /23 %.1f%% /22 %.1f%% /16 %.1f%% "
	       ">/24 %.1f%%\n",
	       N_ROUTES, N_NH, hist[24] / 1e4, hist[23] / 1e4, hist[22] / 1e4, hist[16] / 1e4,
	       (hist[25] + hist[26] + hist[27] + hist[28] + hist[29] + hist[30] + hist[31] +
	        hist[32]) /
	           1e4);

	struct col cs = {0}, cr = {0};
	printf("shoal: transparent huge pages %s\n", thp ? "requested" : "off (--no-thp)");
	struct shoal_lpm *slpm = shoal_load(&cs, rt, thp);
	if (!slpm)
		return 1;
#ifdef SHOAL_HAVE_DPDK
	struct rte_lpm *rlpm = NULL;
	if (want_rte) {
		static char eal_args[][16] = {"bench_lpm", "--no-huge",   "--no-pci",
		                              "-l",        "0",           "-m",
		                              "512",       "--no-shconf", "--log-level=1"};
		char *eal[sizeof eal_args / sizeof eal_args[0]];
		for (size_t i = 0; i < sizeof eal / sizeof eal[0]; i++)
			eal[i] = eal_args[i];
		if (rte_eal_init((int)(sizeof eal / sizeof eal[0]), eal) < 0) {
			fprintf(stderr, "rte_eal_init failed: rte_lpm column skipped\n");
			want_rte = false;
		} else if (!(rlpm = rte_load(&cr, rt))) {
			return 1;
		}
	}
#endif
	/* lookup passes alternate between the tables so both see the same machine load */
	for (int pass = 0; pass < PASSES; pass++) {
		shoal_pass(&cs, slpm, addrs, out_s);
#ifdef SHOAL_HAVE_DPDK
		if (rlpm)
			rte_pass(&cr, rlpm, addrs, out_r);
#endif
	}
	shoal_finish(&cs, slpm, rt, addrs, out_s);
	bool agree = cs.ok;
#ifdef SHOAL_HAVE_DPDK
	if (rlpm) {
		rte_finish(&cr, rlpm, rt, out_r);
		size_t bad = 0;
		for (size_t i = 0; i < N_LOOKUPS; i++)
			bad += out_s[i] != out_r[i];
		if (bad)
			printf("MISMATCH: %zu of %d addresses differ\n", bad, N_LOOKUPS);
		agree = agree && cr.ok && bad == 0;
	}
#endif
	printf("%-24s %14s %14s %10s\n", "", "shoal_lpm", "rte_lpm", "ratio");
	print_row("load 1M prefixes", "s", cs.load_s, cr.load_s, want_rte);
	print_row("memory", "MB", cs.mem_mb, cr.mem_mb, want_rte);
	print_row("single lookups", "M/s (best of 3)", cs.single_mps, cr.single_mps, want_rte);
	print_row("batched lookups", "M/s (best of 3)", cs.batch_mps, cr.batch_mps, want_rte);
	print_row("match (route counters)", "M/s (best of 3)", cs.match_mps, 0, false);
	print_row("delete 100k", "k/s", cs.del_rate / 1e3, cr.del_rate / 1e3, want_rte);
	print_row("re-insert 100k", "k/s", cs.ins_rate / 1e3, cr.ins_rate / 1e3, want_rte);
	printf("results %s on all %d addresses\n", agree ? "agree" : "DISAGREE", N_LOOKUPS);
#ifdef SHOAL_HAVE_DPDK
	if (want_rte)
		rte_eal_cleanup();
#endif
	free(out_r);
	free(out_s);
	free(addrs);
	free(rt);
	return agree ? 0 : 1;
}
