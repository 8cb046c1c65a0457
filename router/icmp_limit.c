/*
 * icmp_limit.c — global + per-destination token buckets. Contract in shoal/icmp_limit.h.
 *
 * Destinations live in a fixed array of dest_max entries, found through a chained hash
 * (heads: a power of two >= 2 * dest_max) and kept on a doubly linked LRU list (most recent
 * at the head; the tail is evicted). Buckets are refilled lazily from the time of their last
 * refill. Credit is kept in milliseconds: a token costs dest_interval_ms.
 */
#include "shoal/icmp_limit.h"

#include <stdlib.h>

enum { LIMIT_NIL = UINT32_MAX };

struct limit_entry {
	uint32_t dst;
	uint32_t hnext;
	uint32_t prev, next; /* LRU */
	uint64_t credit_ms;
	uint64_t stamp_ms; /* last refill */
};

struct shoal_icmp_limit {
	struct shoal_icmp_limit_config cfg;
	uint64_t tokens_milli; /* global bucket, thousandths of a token */
	uint64_t global_stamp_ms;
	struct limit_entry *e;
	uint32_t *heads;
	uint32_t hmask;
	uint32_t used;
	uint32_t lru_head, lru_tail;
	struct shoal_icmp_limit_stats stats;
};

static void limit_defaults(struct shoal_icmp_limit_config *c)
{
	if (!c->dest_burst)
		c->dest_burst = SHOAL_ICMP_LIMIT_DEFAULT_DEST_BURST;
	if (!c->dest_max)
		c->dest_max = SHOAL_ICMP_LIMIT_DEFAULT_DEST_MAX;
	if (!c->burst)
		c->burst = 1;
}

struct shoal_icmp_limit *shoal_icmp_limit_create(const struct shoal_icmp_limit_config *cfg,
                                                 uint64_t now_ms)
{
	struct shoal_icmp_limit *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->cfg = *cfg;
	limit_defaults(&l->cfg);
	uint32_t heads = 2;
	while (heads < 2 * l->cfg.dest_max)
		heads <<= 1;
	l->e = calloc(l->cfg.dest_max, sizeof(*l->e));
	l->heads = malloc(heads * sizeof(*l->heads));
	if (!l->e || !l->heads) {
		shoal_icmp_limit_destroy(l);
		return NULL;
	}
	for (uint32_t i = 0; i < heads; i++)
		l->heads[i] = LIMIT_NIL;
	l->hmask = heads - 1;
	l->lru_head = l->lru_tail = LIMIT_NIL;
	l->tokens_milli = (uint64_t)l->cfg.burst * 1000;
	l->global_stamp_ms = now_ms;
	return l;
}

void shoal_icmp_limit_destroy(struct shoal_icmp_limit *l)
{
	if (!l)
		return;
	free(l->heads);
	free(l->e);
	free(l);
}

void shoal_icmp_limit_set_rates(struct shoal_icmp_limit *l,
                                const struct shoal_icmp_limit_config *cfg)
{
	unsigned dest_max = l->cfg.dest_max;
	l->cfg = *cfg;
	l->cfg.dest_max = dest_max;
	limit_defaults(&l->cfg);
	uint64_t cap = (uint64_t)l->cfg.burst * 1000;
	if (l->tokens_milli > cap)
		l->tokens_milli = cap;
	uint64_t dcap = (uint64_t)l->cfg.dest_burst * l->cfg.dest_interval_ms;
	for (uint32_t i = 0; i < l->used; i++)
		if (l->e[i].credit_ms > dcap)
			l->e[i].credit_ms = dcap;
}

static uint32_t limit_hash(const struct shoal_icmp_limit *l, uint32_t dst)
{
	return (uint32_t)((dst * 0x9e3779b1u) >> 7) & l->hmask;
}

static void limit_lru_unlink(struct shoal_icmp_limit *l, uint32_t i)
{
	struct limit_entry *x = &l->e[i];
	if (x->prev != LIMIT_NIL)
		l->e[x->prev].next = x->next;
	else
		l->lru_head = x->next;
	if (x->next != LIMIT_NIL)
		l->e[x->next].prev = x->prev;
	else
		l->lru_tail = x->prev;
}

static void limit_lru_push(struct shoal_icmp_limit *l, uint32_t i)
{
	struct limit_entry *x = &l->e[i];
	x->prev = LIMIT_NIL;
	x->next = l->lru_head;
	if (l->lru_head != LIMIT_NIL)
		l->e[l->lru_head].prev = i;
	else
		l->lru_tail = i;
	l->lru_head = i;
}

static void limit_hash_remove(struct shoal_icmp_limit *l, uint32_t i)
{
	uint32_t *p = &l->heads[limit_hash(l, l->e[i].dst)];
	while (*p != i)
		p = &l->e[*p].hnext;
	*p = l->e[i].hnext;
}

/* The entry of dst, most recently used now; a new one (full bucket) when it was not there. */
static struct limit_entry *limit_entry_get(struct shoal_icmp_limit *l, uint32_t dst,
                                           uint64_t now_ms)
{
	uint32_t h = limit_hash(l, dst);
	for (uint32_t i = l->heads[h]; i != LIMIT_NIL; i = l->e[i].hnext) {
		if (l->e[i].dst == dst) {
			limit_lru_unlink(l, i);
			limit_lru_push(l, i);
			return &l->e[i];
		}
	}
	uint32_t i;
	if (l->used < l->cfg.dest_max) {
		i = l->used++;
		l->stats.tracked = l->used;
	} else {
		i = l->lru_tail;
		limit_lru_unlink(l, i);
		limit_hash_remove(l, i);
		l->stats.evictions++;
	}
	struct limit_entry *x = &l->e[i];
	x->dst = dst;
	x->credit_ms = (uint64_t)l->cfg.dest_burst * l->cfg.dest_interval_ms;
	x->stamp_ms = now_ms;
	x->hnext = l->heads[h];
	l->heads[h] = i;
	limit_lru_push(l, i);
	return x;
}

enum shoal_icmp_limit_verdict shoal_icmp_limit_take(struct shoal_icmp_limit *l, uint32_t dst,
                                                    uint64_t now_ms)
{
	uint64_t cap = (uint64_t)l->cfg.burst * 1000;
	if (now_ms > l->global_stamp_ms) {
		uint64_t add = (now_ms - l->global_stamp_ms) * l->cfg.rate_per_s;
		l->tokens_milli = add >= cap - l->tokens_milli ? cap : l->tokens_milli + add;
		l->global_stamp_ms = now_ms;
	}
	if (l->tokens_milli < 1000) {
		l->stats.limited_global++;
		return SHOAL_ICMP_LIMIT_GLOBAL;
	}
	if (l->cfg.dest_interval_ms) {
		struct limit_entry *x = limit_entry_get(l, dst, now_ms);
		uint64_t dcap = (uint64_t)l->cfg.dest_burst * l->cfg.dest_interval_ms;
		if (now_ms > x->stamp_ms) {
			uint64_t add = now_ms - x->stamp_ms;
			x->credit_ms = add >= dcap - x->credit_ms ? dcap : x->credit_ms + add;
			x->stamp_ms = now_ms;
		}
		if (x->credit_ms < l->cfg.dest_interval_ms) {
			l->stats.limited_dest++;
			return SHOAL_ICMP_LIMIT_DEST;
		}
		x->credit_ms -= l->cfg.dest_interval_ms;
	}
	l->tokens_milli -= 1000;
	l->stats.allowed++;
	return SHOAL_ICMP_LIMIT_ALLOW;
}

const struct shoal_icmp_limit_stats *shoal_icmp_limit_stats(const struct shoal_icmp_limit *l)
{
	return &l->stats;
}
