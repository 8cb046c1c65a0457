/* bench_stream.c — byte stream and reassembler throughput (spec §1 and §2 workloads).
 *
 * Each workload is timed against a memcpy reference measured in the same run that does the
 * same copies a minimal implementation must do (same total bytes, same chunk sizes), so the
 * ratio stays meaningful across machines. Each figure is the median of BENCH_REPS runs.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shoal/byte_stream.h"
#include "shoal/reassembler.h"

enum {
	BENCH_REPS = 21,
	STREAM_TOTAL = 10000000,
	STREAM_CAPACITY = 32768,
	STREAM_WRITE = 1500,
	STREAM_READ = 128,
	REASM_TOTAL = 15000000,
	REASM_CAPACITY = 1500,
	REASM_STEP = 1500,
	REASM_PIECE = 3000,
};

/* Chunk sizes read at run time so the reference memcpy calls are not specialised. */
static volatile size_t bench_write_chunk = STREAM_WRITE;
static volatile size_t bench_read_chunk = STREAM_READ;
static volatile size_t bench_reasm_chunk = REASM_STEP;

static double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void bench_fill(uint8_t *buf, size_t len, uint64_t seed)
{
	for (size_t i = 0; i < len; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		buf[i] = (uint8_t)(seed >> 24);
	}
}

static int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double bench_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), bench_cmp_double);
	return v[n / 2];
}

/* §1 workload; returns seconds, or a negative value when the output is wrong. */
static double bench_stream_run(const uint8_t *in, uint8_t *out)
{
	struct shoal_byte_stream bs;
	if (shoal_byte_stream_init(&bs, STREAM_CAPACITY) != 0)
		return -1;
	memset(out, 0, STREAM_TOTAL);
	size_t pos = 0, got = 0;
	double t0 = bench_now();
	while (!shoal_byte_stream_is_finished(&bs)) {
		if (pos < STREAM_TOTAL) {
			size_t n =
			    STREAM_TOTAL - pos < STREAM_WRITE ? STREAM_TOTAL - pos : STREAM_WRITE;
			if (shoal_byte_stream_available_capacity(&bs) >= n) {
				shoal_byte_stream_push(&bs, in + pos, n);
				pos += n;
				if (pos == STREAM_TOTAL)
					shoal_byte_stream_close(&bs);
			}
		}
		const uint8_t *view;
		size_t n = shoal_byte_stream_peek(&bs, &view);
		if (n > 0) {
			if (n > STREAM_READ)
				n = STREAM_READ;
			memcpy(out + got, view, n);
			shoal_byte_stream_pop(&bs, n);
			got += n;
		}
	}
	double dt = bench_now() - t0;
	shoal_byte_stream_fini(&bs);
	if (got != STREAM_TOTAL || memcmp(in, out, STREAM_TOTAL) != 0)
		return -1;
	return dt;
}

/* Reference: the same bytes copied in 1,500-byte writes into a 32 KiB buffer and out of it
 * in 128-byte reads. */
static double bench_stream_memcpy(const uint8_t *in, uint8_t *out, uint8_t *mid)
{
	size_t wchunk = bench_write_chunk, rchunk = bench_read_chunk;
	size_t off = 0;
	double t0 = bench_now();
	for (size_t pos = 0; pos < STREAM_TOTAL; pos += wchunk) {
		size_t n = STREAM_TOTAL - pos < wchunk ? STREAM_TOTAL - pos : wchunk;
		if (off + n > STREAM_CAPACITY)
			off = 0;
		memcpy(mid + off, in + pos, n);
		for (size_t j = 0; j < n; j += rchunk) {
			size_t k = n - j < rchunk ? n - j : rchunk;
			memcpy(out + pos + j, mid + off + j, k);
		}
		off += n;
	}
	double dt = bench_now() - t0;
	if (memcmp(in, out, STREAM_TOTAL) != 0)
		return -1;
	return dt;
}

/* §2 workload; returns seconds, or a negative value when the output is wrong. */
static double bench_reasm_run(const uint8_t *in, uint8_t *out)
{
	struct shoal_reassembler r;
	if (shoal_reassembler_init(&r, REASM_CAPACITY) != 0)
		return -1;
	struct shoal_byte_stream *bs = shoal_reassembler_output(&r);
	memset(out, 0, REASM_TOTAL);
	size_t got = 0;
	static const size_t shifts[3] = {2, 0, 1};
	double t0 = bench_now();
	for (size_t i = 0; i < REASM_TOTAL; i += REASM_STEP) {
		for (size_t s = 0; s < 3; s++) {
			size_t first = i + shifts[s];
			if (first > REASM_TOTAL)
				first = REASM_TOTAL;
			size_t n =
			    REASM_TOTAL - first < REASM_PIECE ? REASM_TOTAL - first : REASM_PIECE;
			shoal_reassembler_insert(&r, first, in + first, n,
			                         first + n == REASM_TOTAL);
			got += shoal_byte_stream_read(bs, out + got, REASM_TOTAL - got);
		}
	}
	double dt = bench_now() - t0;
	int ok = got == REASM_TOTAL && shoal_byte_stream_is_finished(bs) &&
	         memcmp(in, out, REASM_TOTAL) == 0;
	shoal_reassembler_fini(&r);
	return ok ? dt : -1;
}

/* Reference: the copies any reassembler must make — every byte once into a 1,500-byte
 * buffer and once out of it, in 1,500-byte pieces. */
static double bench_reasm_memcpy(const uint8_t *in, uint8_t *out, uint8_t *mid)
{
	size_t chunk = bench_reasm_chunk;
	double t0 = bench_now();
	for (size_t pos = 0; pos < REASM_TOTAL; pos += chunk) {
		size_t n = REASM_TOTAL - pos < chunk ? REASM_TOTAL - pos : chunk;
		memcpy(mid, in + pos, n);
		memcpy(out + pos, mid, n);
	}
	double dt = bench_now() - t0;
	if (memcmp(in, out, REASM_TOTAL) != 0)
		return -1;
	return dt;
}

static int bench_report(const char *name, size_t total, double *t, double *ref, double goal)
{
	for (size_t i = 0; i < BENCH_REPS; i++)
		if (t[i] < 0 || ref[i] < 0) {
			printf("%s: FAILED verification\n", name);
			return 1;
		}
	double gbps = (double)total * 8 / bench_median(t, BENCH_REPS) / 1e9;
	double ref_gbps = (double)total * 8 / bench_median(ref, BENCH_REPS) / 1e9;
	double ratio = gbps / ref_gbps;
	printf("%-12s %8.2f Gbit/s   memcpy %8.2f Gbit/s   ratio %.2f (goal >= %.2f) %s\n", name,
	       gbps, ref_gbps, ratio, goal, ratio >= goal ? "ok" : "BELOW GOAL");
	return 0;
}

int main(void)
{
	size_t big = REASM_TOTAL > STREAM_TOTAL ? REASM_TOTAL : STREAM_TOTAL;
	uint8_t *in = malloc(big);
	uint8_t *out = malloc(big);
	uint8_t *mid = malloc(STREAM_CAPACITY);
	if (!in || !out || !mid) {
		free(mid);
		free(out);
		free(in);
		return 1;
	}
	bench_fill(in, big, 0x0123456789abcdefu);
	memset(mid, 0, STREAM_CAPACITY);

	double t[BENCH_REPS], ref[BENCH_REPS];
	int status = 0;
	/* Interleave implementation and reference so background load hits both alike. */
	for (size_t i = 0; i < BENCH_REPS; i++) {
		t[i] = bench_stream_run(in, out);
		ref[i] = bench_stream_memcpy(in, out, mid);
	}
	status |= bench_report("byte_stream", STREAM_TOTAL, t, ref, 0.5);
	for (size_t i = 0; i < BENCH_REPS; i++) {
		t[i] = bench_reasm_run(in, out);
		ref[i] = bench_reasm_memcpy(in, out, mid);
	}
	status |= bench_report("reassembler", REASM_TOTAL, t, ref, 0.25);

	free(mid);
	free(out);
	free(in);
	return status;
}
