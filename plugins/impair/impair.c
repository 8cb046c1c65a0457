/*
 * impair.c — the impair plugin: loss, delay with jitter, reordering, duplication, corruption
 * and a rate limit per interface and direction, from a seeded generator, so tests can run
 * TCP over a bad link without the kernel's netem. Guide: plugins/impair/README.md.
 *
 * Role: the ingress hook impairs datagrams received on an interface, the egress hook those
 * leaving by one, with the same steps (one function, impair_step): loss, corruption,
 * duplication, delay + jitter, reordering, rate. Held datagrams of both directions wait in
 * one bounded queue (a min-heap on their release time) and go back to the host where they
 * were taken: egress ones through api->output_datagram (ABI 1.3, after the egress hooks),
 * ingress ones through api->input_datagram (ABI 1.4, the receive pipeline after impair's
 * ingress hook), so they are never impaired twice. Reordering as in netem: a datagram
 * picked with the reorder probability skips the delay and overtakes the held ones.
 *
 * Invariants:
 *   - Decisions come from one xorshift64* generator seeded from config "seed": the same
 *     seed and the same traffic give the same decisions.
 *   - At most queue_max datagrams are held; a datagram that finds the queue full is dropped
 *     and counted (queue_full). Datagrams that cannot be held (offload state: GSO
 *     super-frame or partial checksum, or larger than a slot) pass undelayed (not_held).
 *   - A corrupted datagram has one payload byte flipped (its L4 checksum then fails at the
 *     receiver); one carrying a partial checksum (nobody verifies it) is dropped instead
 *     and counted as corrupted.
 *   - PUT /api/v1/impair/{interface} replaces that interface's settings atomically (both
 *     directions given in the body; absent direction = no impairment) or changes nothing.
 *
 * Ownership: all state in struct impair (the plugin's state); slots preallocated at init.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "shoal/ipv4.h"
#include "shoal/plugin.h"
#include "shoal/textbuf.h"

enum {
	IMPAIR_MAX_IFS = 64,
	IMPAIR_SLOT = 4000, /* the host's queue takes datagrams up to ~4 KiB */
	IMPAIR_RELEASE_BUDGET = 64,
};

#define IMPAIR_DROPS(X)                                                                            \
	X(LOSS, "loss", "dropped by the configured loss")                                          \
	X(CORRUPT_DROP, "corrupt_drop", "corrupted datagram with a partial checksum: dropped")     \
	X(QUEUE_FULL, "queue_full", "delay queue full (queue_max)")                                \
	X(OUTPUT_FAILED, "output_failed", "held datagram could not be handed back to the host")

#define IMPAIR_DROP_ENUM_(s, n, d) IMPAIR_DROP_##s,
enum impair_drop { IMPAIR_DROPS(IMPAIR_DROP_ENUM_) IMPAIR_DROP_COUNT_ };
#undef IMPAIR_DROP_ENUM_
#define IMPAIR_DROP_NAME_(s, n, d) n,
static const char *const impair_drop_names[] = {IMPAIR_DROPS(IMPAIR_DROP_NAME_)};
#undef IMPAIR_DROP_NAME_
#define IMPAIR_DROP_DESC_(s, n, d) d,
static const char *const impair_drop_descs[] = {IMPAIR_DROPS(IMPAIR_DROP_DESC_)};
#undef IMPAIR_DROP_DESC_

/* Per direction counters (API keys). */
/* Per direction counters (API keys; metrics shoal_impair_<name>_packets_total). */
#define IMPAIR_STATS(X)                                                                            \
	X(seen, "Datagrams the impairment saw")                                                    \
	X(lost, "Datagrams dropped by the configured loss")                                        \
	X(corrupted, "Datagrams corrupted (or dropped for a partial checksum)")                    \
	X(duplicated, "Datagrams duplicated")                                                      \
	X(delayed, "Datagrams held in the delay queue")                                            \
	X(reordered, "Datagrams that skipped the delay and overtook held ones")                    \
	X(rate_limited, "Datagrams delayed by the rate limit")                                     \
	X(not_held, "Datagrams passed undelayed (offload state or too large to hold)")             \
	X(queue_full, "Datagrams dropped because the delay queue was full")

struct impair_stats {
#define IMPAIR_STAT_FIELD_(n, d) uint64_t n;
	IMPAIR_STATS(IMPAIR_STAT_FIELD_)
#undef IMPAIR_STAT_FIELD_
};

struct impair_dir {
	double loss, reorder, duplicate, corrupt; /* percent 0..100 */
	uint32_t delay_ms, jitter_ms;
	uint64_t rate_bps;     /* 0 = unlimited */
	uint64_t rate_next_us; /* when the link is free again (rate) */
};

enum impair_way { IMPAIR_INGRESS, IMPAIR_EGRESS, IMPAIR_WAYS };
static const char *const impair_way_names[IMPAIR_WAYS] = {"ingress", "egress"};

struct impair_slot {
	uint64_t release_ms;
	uint64_t seq; /* FIFO among equal release times */
	uint32_t ifindex, next_hop, len;
	enum impair_way way; /* where it goes back: input_datagram or output_datagram */
	uint8_t data[IMPAIR_SLOT];
};

struct impair {
	struct shoal_host *host;
	const struct shoal_host_api *api;
	uint32_t n_ifs;
	char names[IMPAIR_MAX_IFS][16];
	struct impair_dir dir[IMPAIR_MAX_IFS][IMPAIR_WAYS];
	struct impair_stats stats[IMPAIR_MAX_IFS][IMPAIR_WAYS];
	uint64_t rng;
	uint64_t seed;
	uint32_t queue_max;
	struct impair_slot *slots;
	struct impair_slot **heap; /* held, min release first */
	struct impair_slot **free_slots;
	uint32_t n_held, n_free;
	uint64_t seq;
	uint64_t timer_at; /* 0: not armed */
	uint64_t *drops[IMPAIR_DROP_COUNT_];
	uint16_t drop_ids[IMPAIR_DROP_COUNT_];
};

/* ---------------------------------------------------------------- randomness */

static uint64_t impair_next(struct impair *im)
{
	uint64_t x = im->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	im->rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* true with probability pct percent */
static bool impair_chance(struct impair *im, double pct)
{
	if (pct <= 0)
		return false;
	return (double)(impair_next(im) >> 11) * (1.0 / 9007199254740992.0) * 100.0 < pct;
}

static void impair_seed(struct impair *im, uint64_t seed)
{
	im->seed = seed;
	im->rng = seed ? seed : 0x9E3779B97F4A7C15ULL;
}

/* ---------------------------------------------------------------- the queue */

static bool impair_before(const struct impair_slot *a, const struct impair_slot *b)
{
	return a->release_ms < b->release_ms || (a->release_ms == b->release_ms && a->seq < b->seq);
}

static void impair_heap_push(struct impair *im, struct impair_slot *s)
{
	uint32_t i = im->n_held++;
	im->heap[i] = s;
	while (i > 0) {
		uint32_t p = (i - 1) / 2;
		if (!impair_before(im->heap[i], im->heap[p]))
			break;
		struct impair_slot *t = im->heap[p];
		im->heap[p] = im->heap[i];
		im->heap[i] = t;
		i = p;
	}
}

static struct impair_slot *impair_heap_pop(struct impair *im)
{
	struct impair_slot *top = im->heap[0];
	im->heap[0] = im->heap[--im->n_held];
	uint32_t i = 0;
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < im->n_held && impair_before(im->heap[l], im->heap[m]))
			m = l;
		if (r < im->n_held && impair_before(im->heap[r], im->heap[m]))
			m = r;
		if (m == i)
			break;
		struct impair_slot *t = im->heap[m];
		im->heap[m] = im->heap[i];
		im->heap[i] = t;
		i = m;
	}
	return top;
}

static void impair_timer_fired(void *state, uint64_t now_ms);

/* Hands a datagram back to the host where the hook of `way` took it: ingress into the
 * receive pipeline after this plugin's ingress hook, egress to the interface's output after
 * the egress hooks. */
static int impair_emit(struct impair *im, enum impair_way way, uint32_t ifindex, uint32_t next_hop,
                       const uint8_t *data, size_t len)
{
	if (way == IMPAIR_INGRESS)
		return im->api->input_datagram(im->host, ifindex, data, len);
	return im->api->output_datagram(im->host, ifindex, next_hop, data, len);
}

static void impair_timer_update(struct impair *im)
{
	uint64_t at = im->n_held ? im->heap[0]->release_ms : 0;
	if (at == im->timer_at)
		return;
	if (at == 0) {
		im->api->timer_set(im->host, 0, NULL);
		im->timer_at = 0;
		return;
	}
	if (im->api->timer_set(im->host, at ? at : 1, impair_timer_fired) == 0)
		im->timer_at = at;
}

static void impair_timer_fired(void *state, uint64_t now_ms)
{
	struct impair *im = state;
	im->timer_at = 0;
	for (unsigned n = 0; n < IMPAIR_RELEASE_BUDGET && im->n_held > 0; n++) {
		if (im->heap[0]->release_ms > now_ms)
			break;
		struct impair_slot *s = im->heap[0];
		int rc = impair_emit(im, s->way, s->ifindex, s->next_hop, s->data, s->len);
		if (rc == -ENOBUFS)
			break; /* the host's queue is full: retry at the next timer */
		impair_heap_pop(im);
		if (rc < 0)
			(*im->drops[IMPAIR_DROP_OUTPUT_FAILED])++;
		im->free_slots[im->n_free++] = s;
	}
	if (im->n_held > 0 && im->heap[0]->release_ms <= now_ms) {
		/* more due (budget or a full host queue): come back at once */
		if (im->api->timer_set(im->host, now_ms, impair_timer_fired) == 0)
			im->timer_at = now_ms;
		return;
	}
	impair_timer_update(im);
}

/* ---------------------------------------------------------------- hooks */

/* Flips one byte after the IPv4 header (the L4 checksum catches it), or reports that the
 * datagram must be dropped instead (partial checksum, nothing after the header). */
static bool impair_corrupt(struct impair *im, struct shoal_packet_view *pkt)
{
	if (pkt->flags & SHOAL_PACKET_F_CSUM_PARTIAL || pkt->len < 1)
		return false;
	size_t hl = (size_t)(pkt->data[0] & 0x0f) * 4;
	if (hl >= pkt->len)
		return false;
	size_t at = hl + (size_t)(impair_next(im) % (pkt->len - hl));
	pkt->data[at] ^= (uint8_t)(1u << (impair_next(im) % 8));
	return true;
}

static enum shoal_plugin_verdict impair_drop(struct impair *im, struct shoal_packet_view *pkt,
                                             enum impair_drop d)
{
	(*im->drops[d])++;
	pkt->drop_reason = im->drop_ids[d];
	return SHOAL_PLUGIN_DROP;
}

/* The steps both directions share, in this order (the seeded generator's sequence depends on
 * it): count, loss, corruption. DROP (counted) or CONTINUE. */
static enum shoal_plugin_verdict impair_lose_corrupt(struct impair *im, const struct impair_dir *d,
                                                     struct impair_stats *st,
                                                     struct shoal_packet_view *pkt)
{
	st->seen++;
	if (impair_chance(im, d->loss)) {
		st->lost++;
		return impair_drop(im, pkt, IMPAIR_DROP_LOSS);
	}
	if (impair_chance(im, d->corrupt)) {
		st->corrupted++;
		if (!impair_corrupt(im, pkt))
			return impair_drop(im, pkt, IMPAIR_DROP_CORRUPT_DROP);
	}
	return SHOAL_PLUGIN_CONTINUE;
}

static bool impair_holdable(const struct shoal_packet_view *pkt)
{
	return pkt->gso_size == 0 && !(pkt->flags & SHOAL_PACKET_F_CSUM_PARTIAL) &&
	       pkt->len <= IMPAIR_SLOT;
}

static bool impair_hold(struct impair *im, enum impair_way way, uint32_t ifindex,
                        const struct shoal_packet_view *pkt, uint64_t release_ms)
{
	if (im->n_free == 0)
		return false;
	struct impair_slot *s = im->free_slots[--im->n_free];
	memcpy(s->data, pkt->data, pkt->len);
	s->len = pkt->len;
	s->way = way;
	s->ifindex = ifindex;
	s->next_hop = pkt->next_hop;
	s->release_ms = release_ms;
	s->seq = im->seq++;
	impair_heap_push(im, s);
	impair_timer_update(im);
	return true;
}

/* Everything one direction does to a datagram on interface x (1..n), ingress and egress
 * alike, in this order (the seeded generator's sequence depends on it): count, loss,
 * corruption, duplication, reordering or delay + jitter, rate. */
static enum shoal_plugin_verdict impair_step(struct impair *im, enum impair_way way, uint32_t x,
                                             struct shoal_packet_view *pkt)
{
	if (x == 0 || x > im->n_ifs)
		return SHOAL_PLUGIN_CONTINUE;
	struct impair_dir *d = &im->dir[x - 1][way];
	struct impair_stats *st = &im->stats[x - 1][way];
	enum shoal_plugin_verdict v = impair_lose_corrupt(im, d, st, pkt);
	if (v != SHOAL_PLUGIN_CONTINUE)
		return v;
	bool holdable = impair_holdable(pkt);
	if (impair_chance(im, d->duplicate)) {
		if (holdable && impair_emit(im, way, x, pkt->next_hop, pkt->data, pkt->len) == 0)
			st->duplicated++;
		else
			st->not_held++;
	}
	if (d->delay_ms == 0 && d->jitter_ms == 0 && d->rate_bps == 0)
		return SHOAL_PLUGIN_CONTINUE;
	if (!holdable) {
		st->not_held++;
		return SHOAL_PLUGIN_CONTINUE;
	}
	uint64_t now_ms = im->api->now_ms(im->host);
	uint64_t release = now_ms;
	bool reordered = impair_chance(im, d->reorder);
	if (reordered) {
		st->reordered++; /* skips the delay, overtaking what is held */
	} else if (d->delay_ms || d->jitter_ms) {
		int64_t delay = d->delay_ms;
		if (d->jitter_ms)
			delay +=
			    (int64_t)(impair_next(im) % (2u * d->jitter_ms + 1)) - d->jitter_ms;
		if (delay > 0)
			release += (uint64_t)delay;
		st->delayed++;
	}
	if (d->rate_bps) {
		uint64_t now_us = now_ms * 1000u,
		         start = d->rate_next_us > now_us ? d->rate_next_us : now_us;
		d->rate_next_us = start + (uint64_t)pkt->len * 8u * 1000000u / d->rate_bps;
		uint64_t free_ms = (start + 999u) / 1000u;
		if (free_ms > now_ms)
			st->rate_limited++;
		if (free_ms > release)
			release = free_ms;
	}
	if (release <= now_ms && (im->n_held == 0 || reordered))
		return SHOAL_PLUGIN_CONTINUE; /* due now: nothing to keep order with, or overtaking
		                               */
	if (!impair_hold(im, way, x, pkt, release)) {
		st->queue_full++;
		return impair_drop(im, pkt, IMPAIR_DROP_QUEUE_FULL);
	}
	return SHOAL_PLUGIN_CONSUMED;
}

static enum shoal_plugin_verdict impair_ingress(void *state, struct shoal_packet_view *pkt)
{
	return impair_step(state, IMPAIR_INGRESS, pkt->ingress_ifindex, pkt);
}

static enum shoal_plugin_verdict impair_egress(void *state, struct shoal_packet_view *pkt)
{
	return impair_step(state, IMPAIR_EGRESS, pkt->egress_ifindex, pkt);
}

/* ---------------------------------------------------------------- settings (JSON) */

static const char *const impair_dir_keys[] = {"loss",      "delay_ms", "jitter_ms", "reorder",
                                              "duplicate", "corrupt",  "rate_bps"};

static int impair_pct(json_t *o, const char *key, double *out, char *err, size_t errsz,
                      const char *where)
{
	json_t *v = json_object_get(o, key);
	if (!v)
		return 0;
	if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 100) {
		snprintf(err, errsz, "%s.%s must be a number 0..100 (percent)", where, key);
		return -EINVAL;
	}
	*out = json_number_value(v);
	return 0;
}

static int impair_uint(json_t *o, const char *key, uint64_t max, uint64_t *out, char *err,
                       size_t errsz, const char *where)
{
	json_t *v = json_object_get(o, key);
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > max) {
		snprintf(err, errsz, "%s.%s must be an integer 0..%" PRIu64, where, key, max);
		return -EINVAL;
	}
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

/* Parses one direction object into *d (zeroed first). */
static int impair_parse_dir(json_t *o, enum impair_way way, struct impair_dir *d, char *err,
                            size_t errsz, const char *ifname)
{
	memset(d, 0, sizeof(*d));
	char where[48];
	snprintf(where, sizeof(where), "%s.%s", ifname, impair_way_names[way]);
	if (!o)
		return 0;
	if (!json_is_object(o)) {
		snprintf(err, errsz, "%s must be an object", where);
		return -EINVAL;
	}
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v)
	{
		size_t i = 0;
		while (i < sizeof(impair_dir_keys) / sizeof(impair_dir_keys[0]) &&
		       strcmp(k, impair_dir_keys[i]) != 0)
			i++;
		if (i == sizeof(impair_dir_keys) / sizeof(impair_dir_keys[0])) {
			snprintf(err, errsz, "%s: unknown key \"%s\"", where, k);
			return -EINVAL;
		}
	}
	uint64_t delay = 0, jitter = 0;
	if (impair_pct(o, "loss", &d->loss, err, errsz, where) < 0 ||
	    impair_pct(o, "reorder", &d->reorder, err, errsz, where) < 0 ||
	    impair_pct(o, "duplicate", &d->duplicate, err, errsz, where) < 0 ||
	    impair_pct(o, "corrupt", &d->corrupt, err, errsz, where) < 0 ||
	    impair_uint(o, "delay_ms", 60000, &delay, err, errsz, where) < 0 ||
	    impair_uint(o, "jitter_ms", 60000, &jitter, err, errsz, where) < 0 ||
	    impair_uint(o, "rate_bps", UINT64_C(100000000000), &d->rate_bps, err, errsz, where) < 0)
		return -EINVAL;
	d->delay_ms = (uint32_t)delay;
	d->jitter_ms = (uint32_t)jitter;
	if (d->jitter_ms > d->delay_ms) {
		snprintf(err, errsz, "%s: jitter_ms must not exceed delay_ms", where);
		return -EINVAL;
	}
	return 0;
}

/* {"ingress": {...}, "egress": {...}} -> out[2]; nothing of im changes. */
static int impair_parse_if(json_t *o, const char *ifname, struct impair_dir out[IMPAIR_WAYS],
                           char *err, size_t errsz)
{
	if (!json_is_object(o)) {
		snprintf(err, errsz, "%s must be an object {\"ingress\": {...}, \"egress\": {...}}",
		         ifname);
		return -EINVAL;
	}
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v)
	{
		if (strcmp(k, "ingress") && strcmp(k, "egress")) {
			snprintf(err, errsz, "%s: unknown key \"%s\" (ingress, egress)", ifname, k);
			return -EINVAL;
		}
	}
	for (int w = 0; w < IMPAIR_WAYS; w++)
		if (impair_parse_dir(json_object_get(o, impair_way_names[w]), (enum impair_way)w,
		                     &out[w], err, errsz, ifname) < 0)
			return -EINVAL;
	return 0;
}

static void impair_apply(struct impair *im, uint32_t idx, const struct impair_dir in[IMPAIR_WAYS])
{
	for (int w = 0; w < IMPAIR_WAYS; w++) {
		uint64_t rate_next = im->dir[idx][w].rate_next_us;
		im->dir[idx][w] = in[w];
		im->dir[idx][w].rate_next_us = rate_next;
	}
}

/* ---------------------------------------------------------------- HTTP */

static void impair_out_if(struct impair *im, struct shoal_textbuf *o, uint32_t idx)
{
	shoal_textbuf_printf(o, "{\"interface\":\"%s\"", im->names[idx]);
	for (int w = 0; w < IMPAIR_WAYS; w++) {
		const struct impair_dir *d = &im->dir[idx][w];
		const struct impair_stats *s = &im->stats[idx][w];
		shoal_textbuf_printf(
		    o,
		    ",\"%s\":{\"loss\":%g,\"corrupt\":%g,\"delay_ms\":%u,\"jitter_ms\":%u,"
		    "\"reorder\":%g,\"duplicate\":%g,\"rate_bps\":%" PRIu64,
		    impair_way_names[w], d->loss, d->corrupt, d->delay_ms, d->jitter_ms, d->reorder,
		    d->duplicate, d->rate_bps);
		shoal_textbuf_printf(o, ",\"counters\":{");
#define IMPAIR_STAT_OUT_(n, d) shoal_textbuf_printf(o, "\"" #n "\":%" PRIu64 ",", s->n);
		IMPAIR_STATS(IMPAIR_STAT_OUT_)
#undef IMPAIR_STAT_OUT_
		o->len--; /* the last comma */
		shoal_textbuf_printf(o, "}}");
	}
	shoal_textbuf_printf(o, "}");
}

static void impair_reply_error(struct shoal_http_reply *r, size_t cap, uint32_t status,
                               const char *code, const char *msg)
{
	json_t *j = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg);
	char *t = j ? json_dumps(j, JSON_COMPACT) : NULL;
	r->status = status;
	snprintf(r->body, cap, "%s", t ? t : "{}");
	free(t);
	json_decref(j);
}

static int impair_http_request(void *state, const struct shoal_http_request *req,
                               struct shoal_http_reply *reply)
{
	struct impair *im = state;
	size_t cap = im->api->http_body_max;
	struct shoal_textbuf o = {.buf = reply->body, .cap = cap};
	if (req->n_query > 0) {
		impair_reply_error(reply, cap, 400, "bad_request", "no query parameters are known");
		return 0;
	}
	if (req->subpath[0] == '\0') {
		if (strcmp(req->method, "GET") != 0) {
			impair_reply_error(reply, cap, 405, "method_not_allowed", "use GET");
			return 0;
		}
		shoal_textbuf_printf(
		    &o, "{\"seed\":%" PRIu64 ",\"queue_max\":%u,\"held\":%u,\"drops\":{", im->seed,
		    im->queue_max, im->n_held);
		for (size_t i = 0; i < IMPAIR_DROP_COUNT_; i++)
			shoal_textbuf_printf(&o, "%s\"%s\":%" PRIu64, i ? "," : "",
			                     impair_drop_names[i], *im->drops[i]);
		shoal_textbuf_printf(&o, "},\"interfaces\":[");
		for (uint32_t i = 0; i < im->n_ifs; i++) {
			if (i)
				shoal_textbuf_printf(&o, ",");
			impair_out_if(im, &o, i);
		}
		shoal_textbuf_printf(&o, "]}");
		reply->status = 200;
		return 0;
	}
	uint32_t idx = 0;
	while (idx < im->n_ifs && strcmp(im->names[idx], req->subpath) != 0)
		idx++;
	if (idx == im->n_ifs) {
		impair_reply_error(reply, cap, 404, "not_found", "no such interface");
		return 0;
	}
	if (strcmp(req->method, "PUT") == 0) {
		json_error_t jerr;
		json_t *body = req->body ? json_loadb(req->body, req->body_len, 0, &jerr) : NULL;
		struct impair_dir nd[IMPAIR_WAYS];
		char err[160];
		if (!body) {
			impair_reply_error(reply, cap, 400, "bad_request",
			                   "the body must be a JSON object {\"ingress\": {...}, "
			                   "\"egress\": {...}}");
			return 0;
		}
		int rc = impair_parse_if(body, im->names[idx], nd, err, sizeof(err));
		json_decref(body);
		if (rc < 0) {
			impair_reply_error(reply, cap, 400, "bad_request", err);
			return 0;
		}
		impair_apply(im, idx, nd);
	} else if (strcmp(req->method, "GET") != 0) {
		impair_reply_error(reply, cap, 405, "method_not_allowed", "use GET or PUT");
		return 0;
	}
	impair_out_if(im, &o, idx);
	reply->status = 200;
	return 0;
}

/* ABI 1.3 metrics hook: the per interface and direction counters, the queue and the drop
 * table, read from the structures the hooks count in (as GET /api/v1/impair). */
static int impair_metrics(void *state, char *buf, size_t cap)
{
	struct impair *im = state;
	struct shoal_textbuf o = {.buf = buf, .cap = cap};
#define IMPAIR_STAT_METRIC_(n, d)                                                                  \
	shoal_textbuf_printf(&o, "# HELP shoal_impair_" #n "_packets_total " d                     \
	                         ", by interface and direction.\n# TYPE shoal_impair_" #n          \
	                         "_packets_total counter\n");                                      \
	for (uint32_t i = 0; i < im->n_ifs; i++)                                                   \
		for (int w = 0; w < IMPAIR_WAYS; w++)                                              \
			shoal_textbuf_printf(&o,                                                   \
			                     "shoal_impair_" #n                                    \
			                     "_packets_total{interface=\"%s\",direction=\"%s\"} "  \
			                     "%" PRIu64 "\n",                                      \
			                     im->names[i], impair_way_names[w],                    \
			                     im->stats[i][w].n);
	IMPAIR_STATS(IMPAIR_STAT_METRIC_)
#undef IMPAIR_STAT_METRIC_
	shoal_textbuf_printf(
	    &o,
	    "# HELP shoal_impair_queue_held Datagrams held in the delay queue now.\n"
	    "# TYPE shoal_impair_queue_held gauge\nshoal_impair_queue_held %u\n"
	    "# HELP shoal_impair_queue_limit The delay queue's size (queue_max).\n"
	    "# TYPE shoal_impair_queue_limit gauge\nshoal_impair_queue_limit %u\n",
	    im->n_held, im->queue_max);
	shoal_textbuf_printf(
	    &o, "# HELP shoal_impair_drops_total Datagrams the plugin dropped, by reason "
	        "(its drop table).\n# TYPE shoal_impair_drops_total counter\n");
	for (size_t i = 0; i < IMPAIR_DROP_COUNT_; i++)
		shoal_textbuf_printf(&o, "shoal_impair_drops_total{reason=\"%s\"} %" PRIu64 "\n",
		                     impair_drop_names[i], *im->drops[i]);
	return o.overflow ? -ENOSPC : (int)o.len;
}

/* ---------------------------------------------------------------- lifecycle */

static void impair_free(struct impair *im)
{
	free(im->slots);
	free(im->heap);
	free(im->free_slots);
	free(im);
}

static int impair_config(struct impair *im, const char *config_json)
{
	const struct shoal_host_api *api = im->api;
	json_error_t jerr;
	json_t *cfg = json_loads(config_json, 0, &jerr);
	int rc = -EINVAL;
	char err[200];
	if (!json_is_object(cfg)) {
		api->error(im->host, "config: not a JSON object");
		goto out;
	}
	const char *k;
	json_t *v;
	json_object_foreach(cfg, k, v)
	{
		if (strcmp(k, "seed") && strcmp(k, "queue_max") && strcmp(k, "interfaces")) {
			api->error(im->host,
			           "config: unknown key \"%s\" (seed, queue_max, interfaces)", k);
			goto out;
		}
	}
	json_t *seed = json_object_get(cfg, "seed");
	if (seed && (!json_is_integer(seed) || json_integer_value(seed) < 0)) {
		api->error(im->host, "config: seed must be a non-negative integer");
		goto out;
	}
	impair_seed(im, seed ? (uint64_t)json_integer_value(seed) : 1);
	json_t *qm = json_object_get(cfg, "queue_max");
	if (qm && (!json_is_integer(qm) || json_integer_value(qm) < 1 ||
	           json_integer_value(qm) > 65536)) {
		api->error(im->host, "config: queue_max must be an integer 1..65536");
		goto out;
	}
	im->queue_max = qm ? (uint32_t)json_integer_value(qm) : 1024;
	json_t *ifs = json_object_get(cfg, "interfaces");
	if (ifs && !json_is_object(ifs)) {
		api->error(im->host, "config: interfaces must be an object {\"lan0\": {...}}");
		goto out;
	}
	json_object_foreach(ifs, k, v)
	{
		uint32_t idx = 0;
		while (idx < im->n_ifs && strcmp(im->names[idx], k) != 0)
			idx++;
		if (idx == im->n_ifs) {
			api->error(im->host, "config: interfaces: no interface named \"%s\"", k);
			goto out;
		}
		struct impair_dir nd[IMPAIR_WAYS];
		if (impair_parse_if(v, k, nd, err, sizeof(err)) < 0) {
			api->error(im->host, "config: interfaces.%s", err);
			goto out;
		}
		impair_apply(im, idx, nd);
	}
	rc = 0;
out:
	json_decref(cfg);
	return rc;
}

static int impair_init(struct shoal_host *host, const struct shoal_host_api *api,
                       const char *config_json, void **state)
{
	if (api->abi_minor < 4) {
		api->error(host, "needs host ABI 1.4 (output_datagram, input_datagram)");
		return -ENOTSUP;
	}
	struct impair *im = calloc(1, sizeof(*im));
	if (!im) {
		api->error(host, "out of memory");
		return -ENOMEM;
	}
	im->host = host;
	im->api = api;
	struct shoal_interface_info ii;
	while (im->n_ifs < IMPAIR_MAX_IFS && api->interface_info(host, im->n_ifs + 1, &ii) == 0) {
		snprintf(im->names[im->n_ifs], sizeof(im->names[0]), "%s", ii.name);
		im->n_ifs++;
	}
	int rc = impair_config(im, config_json);
	if (rc < 0) {
		impair_free(im);
		return rc;
	}
	im->slots = calloc(im->queue_max, sizeof(*im->slots));
	im->heap = calloc(im->queue_max, sizeof(*im->heap));
	im->free_slots = calloc(im->queue_max, sizeof(*im->free_slots));
	if (!im->slots || !im->heap || !im->free_slots) {
		api->error(host, "out of memory (queue_max %u)", im->queue_max);
		impair_free(im);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < im->queue_max; i++)
		im->free_slots[im->n_free++] = &im->slots[i];
	for (size_t i = 0; i < IMPAIR_DROP_COUNT_; i++) {
		rc = api->drop_reason_register(host, impair_drop_names[i], impair_drop_descs[i]);
		if (rc < 0)
			break;
		im->drop_ids[i] = (uint16_t)rc;
		rc = api->counter_register(host, impair_drop_names[i], impair_drop_descs[i],
		                           &im->drops[i]);
		if (rc < 0)
			break;
	}
	if (rc < 0) {
		api->error(host, "cannot register counters");
		impair_free(im);
		return rc;
	}
	api->log(host, SHOAL_LOG_INFO, "impair: seed %" PRIu64 ", queue_max %u", im->seed,
	         im->queue_max);
	*state = im;
	return 0;
}

static void impair_fini(void *state)
{
	struct impair *im = state;
	im->api->timer_set(im->host, 0, NULL);
	impair_free(im);
}

SHOAL_PLUGIN_EXPORT const struct shoal_plugin_descriptor shoal_plugin = {
    .abi_major = SHOAL_PLUGIN_ABI_MAJOR,
    .abi_minor = 4,
    .struct_size = sizeof(struct shoal_plugin_descriptor),
    .name = "impair",
    .version = "1.1.0",
    .description = "loss, delay, jitter, reordering, duplication, corruption, rate limit",
    .init = impair_init,
    .fini = impair_fini,
    .ingress = impair_ingress,
    .egress = impair_egress,
    .http_request = impair_http_request,
    .metrics = impair_metrics,
};
