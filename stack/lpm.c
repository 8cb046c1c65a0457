/*
 * lpm.c — longest-prefix-match table: a 16-bit direct table over compressed 256-way nodes
 * (DIR-16-8-8 with run-length bitmaps and popcount), plus an exact-match route store.
 * Design notes and figures: docs/lpm.md.
 *
 * Lookup structure
 *   One word array `pool`: its first 65,536 words are tbl16, the rest holds the nodes; past
 *   2 MB it is 2 MB-aligned and marked for transparent huge pages. tbl16[addr >> 16] is a
 *   word: odd = leaf (next-hop id << 1 | 1, all ones = miss), even = word offset of a level-1
 *   node. A node covers 256 slots (bits 15..8 of the address for level 1, bits 7..0 for
 *   level 2) stored as runs: header = 4 x 64-bit "run starts here" bitmap, 4 x 8-bit count of
 *   the set bits before each bitmap word, a word (runs | kids << 16); then one 16-bit entry
 *   per run: odd = leaf (id << 1 | 1, 0xffff = miss), even = 2 j for the j-th child of a
 *   level-1 node at off, whose level-2 node offset is pool[off - 1 - j] (the kid table before
 *   the header, padded to an even number of words). Slot i lives in run rank(i) - 1 where
 *   rank counts the set bits up to and including i.
 *
 *   The run boundaries of a node depend only on which stored route covers each slot (never on
 *   next-hop values), so a change of next hop or of the inherited default (a route shorter
 *   than /16) rewrites run values in place without allocating. Adding or removing a route of
 *   length >= 16 rebuilds that /16's nodes from its sorted route list (a few hundred word
 *   operations).
 *
 * Route store
 *   Routes of length 0..15: a direct array indexed by (1 << len) + (prefix >> (32 - len)).
 *   Routes of length 16..32: per /16 a sorted array of (low 16 bits, length, id) — ascending
 *   (prefix, length), which is also the order foreach reports.
 */
#define _DEFAULT_SOURCE /* madvise, MADV_HUGEPAGE; posix_memalign */
#include "shoal/lpm.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

enum {
	LPM_CHUNKS = 65536,
	LPM_HDR = 10,      /* node header words: 4 x u64 bitmap, 4 x u8 counts, runs | kids << 16 */
	LPM_SLOTS = 256,   /* slots per node */
	LPM_CLASSES = 198, /* pool block sizes, in 2 words (max 256 kids + 10 + 128 words) */
	LPM_GROUP = 16,    /* batch lookup interleave width */
	/* next-hop ids fit 16-bit leaves (id << 1 | 1; 0xffff = miss): ids 0..32,765 */
	LPM_ID_LIMIT = 0x7fff,
	LPM_LEAF16_MISS = 0xffff,
	LPM_POOL_MIN = LPM_CHUNKS + 4096, /* words: tbl16 + a first few nodes */
};

static const size_t LPM_HUGE_PAGE = (size_t)2 << 20; /* transparent huge page size */

static const uint32_t LPM_NONE = UINT32_MAX;
static const size_t LPM_DEFAULT_MAX_ROUTES = 2000000;

struct lpm_route {
	uint16_t suffix; /* address bits 15..0 */
	uint8_t len;     /* 16..32 */
	uint8_t pad;
	uint32_t id; /* next-hop id */
};

struct lpm_chunk {
	struct lpm_route *r; /* sorted by (suffix, len) */
	uint32_t n, cap;
};

struct lpm_nh_slot {
	struct shoal_lpm_nh nh;
	uint32_t refs;      /* 0: free */
	uint32_t next_free; /* free-list link while refs == 0 */
};

struct lpm_run {
	uint16_t start;    /* first slot */
	uint8_t child;     /* level 1: the slot's /24 holds longer routes */
	int32_t src;       /* innermost covering route (chunk index), -1 = inherited default */
	uint32_t from, to; /* child: its routes */
	uint32_t kid;      /* child: level-2 node offset while rebuilding */
};

struct lpm_sweep {
	struct lpm_run run[LPM_SLOTS];
	struct {
		int32_t src;
		uint16_t end;
	} stack[34];
	unsigned n, p, sp;
};

struct shoal_lpm {
	size_t max_routes;
	size_t count;
	bool popcnt; /* CPU has a popcount instruction */
	bool huge;   /* allocate the pool 2 MB-aligned and ask for transparent huge pages */

	uint32_t *tbl16;      /* LPM_CHUNKS lookup words: the first words of `pool` */
	uint32_t *short_id;   /* routes /0../15: id or LPM_NONE, index (1 << len) + bits */
	uint32_t *short_best; /* per /16: id of the longest route /0../15 covering it, or NONE */
	uint8_t *short_len;   /* per /16: that route's length (match; valid unless NONE) */
	struct lpm_chunk *chunks;
	size_t store_bytes;

	uint32_t *pool; /* tbl16, then the nodes, addressed by word offset (>= LPM_CHUNKS) */
	size_t pool_cap, pool_used;
	size_t pool_free; /* words on the free lists */
	uint32_t free_head[LPM_CLASSES];

	struct lpm_nh_slot *nhs;
	uint32_t nh_cap, nh_top, nh_free, nh_live;
	uint32_t *nh_hash; /* open addressing (linear probing) of ids, LPM_NONE = empty */
	uint32_t nh_hash_cap;

	/* deferred updates (shoal_lpm_defer_begin/end): chunks whose lookup nodes wait for a
	 * rebuild (dirty[] lists them, dirty_bit marks them), next-hop ids whose last route went
	 * while deferring (kept out of the free list until the rebuild: stale nodes may still
	 * name them) */
	bool deferring;
	uint32_t *dirty;
	uint32_t n_dirty;
	uint64_t *dirty_bit;
	uint32_t nh_zombie;

	/* rebuild scratch */
	struct lpm_sweep sweep1, sweep2;
	uint32_t old_kids[LPM_SLOTS];
};

/* ---------------------------------------------------------------------------------------- */
/* Leaf encoding: 32 bits in tbl16, 16 bits in node entries */

static uint32_t lpm_leaf_make(uint32_t id)
{
	return id == LPM_NONE ? UINT32_MAX : (id << 1) | 1u;
}

static inline uint32_t lpm_leaf_id(uint32_t e)
{
	return (e >> 1) | (e & 0x80000000u);
}

static uint16_t lpm_leaf16_make(uint32_t id)
{
	return id == LPM_NONE ? LPM_LEAF16_MISS : (uint16_t)((id << 1) | 1u);
}

static inline uint32_t lpm_leaf16_id(uint16_t v)
{
	uint32_t id = (uint32_t)v >> 1;
	return id == LPM_LEAF16_MISS >> 1 ? SHOAL_LPM_MISS : id;
}

/* Node entries are 16-bit halves of pool words, addressed by half-word index h (the entry k
 * of the node at word offset off is h = 2 * (off + LPM_HDR) + k); memcpy keeps the accesses
 * free of type punning. */
static inline uint16_t lpm_ent_get(const uint32_t *pool, size_t h)
{
	uint16_t v;
	memcpy(&v, (const unsigned char *)pool + 2 * h, sizeof v);
	return v;
}

static inline void lpm_ent_set(uint32_t *pool, size_t h, uint16_t v)
{
	memcpy((unsigned char *)pool + 2 * h, &v, sizeof v);
}

/* ---------------------------------------------------------------------------------------- */
/* Lookup */

/* Half-word index of the entry for slot i of the node at word offset off. */
static inline __attribute__((always_inline)) uint32_t lpm_node_pos(const uint32_t *pool,
                                                                   uint32_t off, unsigned i)
{
	const uint32_t *n = pool + off;
	unsigned w = i >> 6;
	uint64_t bm;
	memcpy(&bm, n + 2 * w, sizeof bm);
	unsigned before = ((const uint8_t *)(n + 8))[w];
	bm &= (2ull << (i & 63)) - 1;
	return 2 * (off + LPM_HDR) + before + (unsigned)__builtin_popcountll(bm) - 1;
}

static inline __attribute__((always_inline)) uint32_t lpm_walk(const struct shoal_lpm *lpm,
                                                               uint32_t addr)
{
	const uint32_t *pool = lpm->pool;
	uint32_t e = pool[addr >> 16];
	if (e & 1)
		return lpm_leaf_id(e);
	/* the bitmap and the entry are often in different lines: fetch the node's first
	 * lines together instead of one after the other */
	__builtin_prefetch(pool + e + 16);
	__builtin_prefetch(pool + e + 32);
	uint16_t v = lpm_ent_get(pool, lpm_node_pos(pool, e, (addr >> 8) & 255));
	if (!(v & 1)) {
		uint32_t kid = pool[e - 1 - (v >> 1)];
		__builtin_prefetch(pool + kid + 16);
		v = lpm_ent_get(pool, lpm_node_pos(pool, kid, addr & 255));
	}
	return lpm_leaf16_id(v);
}

static inline __attribute__((always_inline)) void
lpm_walk_group(const struct shoal_lpm *lpm, const uint32_t *addrs, uint32_t *ids)
{
	const uint32_t *pool = lpm->pool;
	uint32_t e[LPM_GROUP];
	for (unsigned k = 0; k < LPM_GROUP; k++) {
		e[k] = pool[addrs[k] >> 16];
		if (!(e[k] & 1)) {
			__builtin_prefetch(pool + e[k]);
			__builtin_prefetch(pool + e[k] + 16);
		}
	}
	uint32_t pos[LPM_GROUP];
	for (unsigned k = 0; k < LPM_GROUP; k++) {
		if (!(e[k] & 1)) {
			pos[k] = lpm_node_pos(pool, e[k], (addrs[k] >> 8) & 255);
			__builtin_prefetch((const unsigned char *)pool + 2 * (size_t)pos[k]);
		}
	}
	for (unsigned k = 0; k < LPM_GROUP; k++) {
		if (e[k] & 1) {
			ids[k] = lpm_leaf_id(e[k]);
			continue;
		}
		uint16_t v = lpm_ent_get(pool, pos[k]);
		if (!(v & 1)) {
			uint32_t kid = pool[e[k] - 1 - (v >> 1)];
			v = lpm_ent_get(pool, lpm_node_pos(pool, kid, addrs[k] & 255));
		}
		ids[k] = lpm_leaf16_id(v);
	}
}

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define LPM_HAVE_POPCNT_TARGET 1
/* noinline: shoal_lpm_lookup stays a flag test and a tail jump (inlining the fallback, which
 * calls libgcc's popcount, made it save six registers on every lookup) */
static __attribute__((target("popcnt"), noinline)) uint32_t
lpm_lookup_popcnt(const struct shoal_lpm *lpm, uint32_t addr)
{
	return lpm_walk(lpm, addr);
}

static __attribute__((target("popcnt"))) void
lpm_batch_popcnt(const struct shoal_lpm *lpm, const uint32_t *addrs, uint32_t *ids, size_t n)
{
	size_t i = 0;
	for (; i + LPM_GROUP <= n; i += LPM_GROUP)
		lpm_walk_group(lpm, addrs + i, ids + i);
	for (; i < n; i++)
		ids[i] = lpm_walk(lpm, addrs[i]);
}
#endif

static __attribute__((noinline)) uint32_t lpm_lookup_generic(const struct shoal_lpm *lpm,
                                                             uint32_t addr)
{
	return lpm_walk(lpm, addr);
}

uint32_t shoal_lpm_lookup(const struct shoal_lpm *lpm, uint32_t addr)
{
#ifdef LPM_HAVE_POPCNT_TARGET
	if (lpm->popcnt)
		return lpm_lookup_popcnt(lpm, addr);
#endif
	return lpm_lookup_generic(lpm, addr);
}

void shoal_lpm_lookup_batch(const struct shoal_lpm *lpm, const uint32_t *addrs, uint32_t *ids,
                            size_t n)
{
#ifdef LPM_HAVE_POPCNT_TARGET
	if (lpm->popcnt) {
		lpm_batch_popcnt(lpm, addrs, ids, n);
		return;
	}
#endif
	size_t i = 0;
	for (; i + LPM_GROUP <= n; i += LPM_GROUP)
		lpm_walk_group(lpm, addrs + i, ids + i);
	for (; i < n; i++)
		ids[i] = lpm_walk(lpm, addrs[i]);
}

/* ---------------------------------------------------------------------------------------- */
/* Node pool: blocks of 2k words, one free list per size class */

/*
 * A node is a block [kid table][header][entries]: the word offset `off` of a node points at
 * its header; its level-2 children's offsets sit just before it (child j at off - 1 - j, the
 * table padded to an even number of words so that off stays even), and the entries, 16 bits
 * each, follow the header.
 */
static unsigned lpm_node_runs(const uint32_t *n)
{
	return n[9] & 0xffff;
}

static size_t lpm_kid_words(unsigned kids)
{
	return (kids + 1u) & ~1u;
}

static size_t lpm_node_size(unsigned kids, unsigned runs)
{
	return lpm_kid_words(kids) + LPM_HDR + (runs + 1) / 2;
}

static unsigned lpm_node_kids(const uint32_t *n)
{
	return n[9] >> 16;
}

/* First word, size in words and number of children of the node at off. */
static uint32_t lpm_node_block(const uint32_t *pool, uint32_t off, size_t *words, unsigned *kids)
{
	unsigned runs = lpm_node_runs(pool + off);
	unsigned nk = lpm_node_kids(pool + off);
	*words = lpm_node_size(nk, runs);
	if (kids)
		*kids = nk;
	return off - (uint32_t)lpm_kid_words(nk);
}

/*
 * Allocates a pool of at least *cap words. Past 2 MB it is 2 MB-aligned, rounded up to whole
 * huge pages and marked MADV_HUGEPAGE: lookups then touch a handful of TLB entries instead of
 * one 4 KB page per node. If the kernel declines (THP off, madvise error) the memory simply
 * stays in small pages.
 */
static uint32_t *lpm_pool_new(const struct shoal_lpm *lpm, size_t *cap)
{
	size_t bytes = *cap * sizeof(uint32_t);
	if (!lpm->huge || bytes < LPM_HUGE_PAGE)
		return malloc(bytes);
	bytes = (bytes + LPM_HUGE_PAGE - 1) & ~(LPM_HUGE_PAGE - 1);
	void *p = NULL;
	if (posix_memalign(&p, LPM_HUGE_PAGE, bytes) != 0)
		return NULL;
	(void)madvise(p, bytes, MADV_HUGEPAGE);
	*cap = bytes / sizeof(uint32_t);
	return p;
}

/* Moves the pool to a new allocation of `cap` words (tbl16 and offsets unchanged). */
static bool lpm_pool_move(struct shoal_lpm *lpm, size_t cap)
{
	uint32_t *p = lpm_pool_new(lpm, &cap);
	if (!p)
		return false;
	if (lpm->pool)
		memcpy(p, lpm->pool, lpm->pool_used * sizeof *p);
	free(lpm->pool);
	lpm->pool = p;
	lpm->tbl16 = p;
	lpm->pool_cap = cap;
	return true;
}

static bool lpm_pool_grow(struct shoal_lpm *lpm, size_t need)
{
	size_t cap = lpm->pool_cap + lpm->pool_cap / 4;
	if (cap < lpm->pool_used + need)
		cap = lpm->pool_used + need;
	if (cap > INT32_MAX) /* entries are addressed by 32-bit half-word index */
		return false;
	return lpm_pool_move(lpm, cap);
}

/* Returns the word offset of a block of at least `words` words, or LPM_NONE. */
static uint32_t lpm_pool_alloc(struct shoal_lpm *lpm, size_t words)
{
	size_t k = (words + 1) / 2;
	uint32_t off = lpm->free_head[k];
	if (off != LPM_NONE) {
		lpm->free_head[k] = lpm->pool[off];
		lpm->pool_free -= 2 * k;
		return off;
	}
	if (lpm->pool_used + 2 * k > lpm->pool_cap && !lpm_pool_grow(lpm, 2 * k))
		return LPM_NONE;
	off = (uint32_t)lpm->pool_used;
	lpm->pool_used += 2 * k;
	return off;
}

static void lpm_pool_free(struct shoal_lpm *lpm, uint32_t off, size_t words)
{
	size_t k = (words + 1) / 2;
	lpm->pool[off] = lpm->free_head[k];
	lpm->free_head[k] = off;
	lpm->pool_free += 2 * k;
}

static size_t lpm_block_words(size_t words)
{
	return (words + 1) / 2 * 2;
}

/*
 * Blocks freed by nodes that grew are reused only by nodes of the same size: when more than
 * a quarter of the pool sits on the free lists, copy the live nodes into a fresh, tight pool.
 * Runs only between operations (no offsets held); if the allocation fails nothing changes.
 */
static void lpm_pool_compact(struct shoal_lpm *lpm)
{
	if (lpm->deferring)
		return; /* once, at defer_end */
	if (lpm->pool_free < 65536 || lpm->pool_free < lpm->pool_used / 4)
		return;
	size_t live = lpm->pool_used - lpm->pool_free;
	size_t cap = live + live / 16 + 4096;
	uint32_t *np = lpm_pool_new(lpm, &cap);
	if (!np)
		return;
	const uint32_t *op = lpm->pool;
	memcpy(np, op, LPM_CHUNKS * sizeof *np);
	size_t used = LPM_CHUNKS;
	for (uint32_t ci = 0; ci < LPM_CHUNKS; ci++) {
		uint32_t off = np[ci];
		if (off & 1)
			continue;
		size_t words;
		unsigned kids;
		uint32_t start = lpm_node_block(op, off, &words, &kids);
		memcpy(np + used, op + start, words * sizeof *np);
		uint32_t noff = (uint32_t)used + (off - start);
		np[ci] = noff;
		used += lpm_block_words(words);
		for (unsigned j = 0; j < kids; j++) {
			uint32_t kid = np[noff - 1 - j];
			size_t kw;
			uint32_t ks = lpm_node_block(op, kid, &kw, NULL);
			memcpy(np + used, op + ks, kw * sizeof *np);
			np[noff - 1 - j] = (uint32_t)used + (kid - ks);
			used += lpm_block_words(kw);
		}
	}
	free(lpm->pool);
	lpm->pool = np;
	lpm->tbl16 = np;
	lpm->pool_cap = cap;
	lpm->pool_used = used;
	lpm->pool_free = 0;
	for (unsigned k = 0; k < LPM_CLASSES; k++)
		lpm->free_head[k] = LPM_NONE;
}

/* Frees a level-1 node and its level-2 children. */
static void lpm_node_free_tree(struct shoal_lpm *lpm, uint32_t off)
{
	size_t words;
	unsigned kids;
	uint32_t start = lpm_node_block(lpm->pool, off, &words, &kids);
	for (unsigned j = 0; j < kids; j++) {
		uint32_t kid = lpm->pool[off - 1 - j];
		size_t kw;
		uint32_t ks = lpm_node_block(lpm->pool, kid, &kw, NULL);
		lpm_pool_free(lpm, ks, kw);
	}
	lpm_pool_free(lpm, start, words);
}

/* ---------------------------------------------------------------------------------------- */
/* Node construction: a sweep over the sorted routes of one /16 yields the runs of a node */

/*
 * Routes of a chunk are laminar intervals sorted by (start, length): a stack of the open
 * intervals gives, for every slot, the innermost covering route. A run is a maximal range of
 * slots with the same innermost route; in level 1 a /24 block holding longer routes is a run
 * of its own (a child) whose level-2 node is swept from routes [from, to).
 */
static void lpm_run_emit(struct lpm_sweep *sw, unsigned start, int32_t src)
{
	struct lpm_run *r = &sw->run[sw->n++];
	r->start = (uint16_t)start;
	r->child = 0;
	r->src = src;
	r->from = r->to = 0;
}

static void lpm_sweep_pop(struct lpm_sweep *sw, unsigned upto)
{
	while (sw->sp > 0 && sw->stack[sw->sp].end <= upto) {
		if (sw->p < sw->stack[sw->sp].end)
			lpm_run_emit(sw, sw->p, sw->stack[sw->sp].src);
		sw->p = sw->stack[sw->sp].end;
		sw->sp--;
	}
	if (sw->p < upto)
		lpm_run_emit(sw, sw->p, sw->stack[sw->sp].src);
	sw->p = upto;
}

static void lpm_sweep_run(struct lpm_sweep *sw, const struct lpm_chunk *c, uint32_t from,
                          uint32_t to, bool level1, int32_t dflt)
{
	sw->n = 0;
	sw->p = 0;
	sw->sp = 0;
	sw->stack[0].src = dflt;
	sw->stack[0].end = LPM_SLOTS;
	unsigned depth = level1 ? 24 : 32;
	uint32_t i = from;
	while (i < to) {
		const struct lpm_route *r = &c->r[i];
		if (level1 && r->len > 24) {
			unsigned b = r->suffix >> 8;
			lpm_sweep_pop(sw, b);
			lpm_run_emit(sw, b, sw->stack[sw->sp].src);
			struct lpm_run *run = &sw->run[sw->n - 1];
			run->child = 1;
			run->from = i;
			while (i < to && (unsigned)(c->r[i].suffix >> 8) == b)
				i++;
			run->to = i;
			sw->p = b + 1;
			continue;
		}
		unsigned start = level1 ? r->suffix >> 8 : r->suffix & 255;
		lpm_sweep_pop(sw, start);
		sw->sp++;
		sw->stack[sw->sp].src = (int32_t)i;
		sw->stack[sw->sp].end = (uint16_t)(start + (1u << (depth - r->len)));
		i++;
	}
	lpm_sweep_pop(sw, LPM_SLOTS);
	if (sw->p < LPM_SLOTS)
		lpm_run_emit(sw, sw->p, sw->stack[0].src);
}

/* Next-hop id of a run's source route, or dflt_id (inherited) when src < 0. */
static uint32_t lpm_src_id(const struct lpm_chunk *c, int32_t src, uint32_t dflt_id)
{
	return src < 0 ? dflt_id : c->r[src].id;
}

static void lpm_node_header(uint32_t *n, const struct lpm_sweep *sw, unsigned kids)
{
	uint64_t bm[4] = {0, 0, 0, 0};
	unsigned per[4] = {0, 0, 0, 0};
	for (unsigned k = 0; k < sw->n; k++) {
		bm[sw->run[k].start >> 6] |= 1ull << (sw->run[k].start & 63);
		per[sw->run[k].start >> 6]++;
	}
	uint8_t *cnt = (uint8_t *)(n + 8);
	unsigned acc = 0;
	for (unsigned w = 0; w < 4; w++) {
		memcpy(n + 2 * w, &bm[w], sizeof bm[w]);
		cnt[w] = (uint8_t)acc;
		acc += per[w];
	}
	n[9] = sw->n | kids << 16;
}

/* Writes leaf values of the runs of the node at off (child runs are left alone). */
static void lpm_node_leaves(uint32_t *pool, uint32_t off, const struct lpm_sweep *sw,
                            const struct lpm_chunk *c, uint32_t dflt_id)
{
	size_t h = 2 * ((size_t)off + LPM_HDR);
	for (unsigned k = 0; k < sw->n; k++)
		if (!sw->run[k].child)
			lpm_ent_set(pool, h + k,
			            lpm_leaf16_make(lpm_src_id(c, sw->run[k].src, dflt_id)));
}

/* Writes header, leaves, child entries and kid table of a level-1 node at off. */
static void lpm_node_write1(uint32_t *pool, uint32_t off, const struct lpm_sweep *sw,
                            const struct lpm_chunk *c, uint32_t dflt_id)
{
	unsigned kids = 0;
	for (unsigned k = 0; k < sw->n; k++)
		kids += sw->run[k].child;
	lpm_node_header(pool + off, sw, kids);
	lpm_node_leaves(pool, off, sw, c, dflt_id);
	size_t h = 2 * ((size_t)off + LPM_HDR);
	unsigned j = 0;
	for (unsigned k = 0; k < sw->n; k++) {
		if (!sw->run[k].child)
			continue;
		lpm_ent_set(pool, h + k, (uint16_t)(j << 1));
		pool[off - 1 - j] = sw->run[k].kid;
		j++;
	}
	if (j & 1)
		pool[off - 1 - j] = 0; /* padding */
}

/*
 * Rebuilds chunk ci's lookup word and nodes from its routes. Allocates the new nodes before
 * freeing the old ones: on failure (NO_MEMORY) the lookup structure is unchanged.
 */
static bool lpm_chunk_rebuild(struct shoal_lpm *lpm, uint32_t ci)
{
	const struct lpm_chunk *c = &lpm->chunks[ci];
	uint32_t dflt = lpm->short_best[ci];
	uint32_t old = lpm->tbl16[ci];
	struct lpm_sweep *s1 = &lpm->sweep1, *s2 = &lpm->sweep2;
	uint32_t word;

	lpm_sweep_run(s1, c, 0, c->n, true, -1);
	if (s1->n == 1 && !s1->run[0].child) {
		word = lpm_leaf_make(lpm_src_id(c, s1->run[0].src, dflt));
	} else {
		unsigned made = 0, kids = 0;
		for (unsigned k = 0; k < s1->n; k++) {
			struct lpm_run *run = &s1->run[k];
			if (!run->child)
				continue;
			lpm_sweep_run(s2, c, run->from, run->to, false, run->src);
			uint32_t off = lpm_pool_alloc(lpm, lpm_node_size(0, s2->n));
			if (off == LPM_NONE)
				goto fail;
			lpm_node_header(lpm->pool + off, s2, 0);
			lpm_node_leaves(lpm->pool, off, s2, c, dflt);
			run->kid = off;
			made = k + 1;
			kids++;
		}
		size_t words = lpm_node_size(kids, s1->n);
		if (!(old & 1)) {
			size_t old_words;
			unsigned old_kids;
			lpm_node_block(lpm->pool, old, &old_words, &old_kids);
			if ((old_words + 1) / 2 == (words + 1) / 2 &&
			    lpm_kid_words(old_kids) == lpm_kid_words(kids)) {
				/* same block layout: rewrite the level-1 node in place, then free
				 * the old children (their offsets are read before being
				 * overwritten) */
				for (unsigned j = 0; j < old_kids; j++)
					lpm->old_kids[j] = lpm->pool[old - 1 - j];
				lpm_node_write1(lpm->pool, old, s1, c, dflt);
				for (unsigned j = 0; j < old_kids; j++) {
					size_t kw;
					uint32_t ks =
					    lpm_node_block(lpm->pool, lpm->old_kids[j], &kw, NULL);
					lpm_pool_free(lpm, ks, kw);
				}
				return true;
			}
		}
		uint32_t start = lpm_pool_alloc(lpm, words);
		if (start == LPM_NONE)
			goto fail;
		word = start + (uint32_t)lpm_kid_words(kids);
		lpm_node_write1(lpm->pool, word, s1, c, dflt);
		goto done;
	fail:
		for (unsigned k = 0; k < made; k++)
			if (s1->run[k].child) {
				size_t kw;
				uint32_t ks = lpm_node_block(lpm->pool, s1->run[k].kid, &kw, NULL);
				lpm_pool_free(lpm, ks, kw);
			}
		return false;
	}
done:
	lpm->tbl16[ci] = word;
	if (!(old & 1))
		lpm_node_free_tree(lpm, old);
	return true;
}

static bool lpm_chunk_dirty(const struct shoal_lpm *lpm, uint32_t ci)
{
	return lpm->dirty_bit && (lpm->dirty_bit[ci / 64] >> (ci % 64)) & 1;
}

/* Rebuilds chunk ci now, or marks it for defer_end while deferring (never fails then). */
static bool lpm_chunk_update(struct shoal_lpm *lpm, uint32_t ci)
{
	if (!lpm->deferring) {
		if (!lpm_chunk_rebuild(lpm, ci))
			return false;
		if (lpm_chunk_dirty(lpm, ci)) /* left marked by a failed defer_end: fresh now */
			lpm->dirty_bit[ci / 64] &= ~((uint64_t)1 << (ci % 64));
		return true;
	}
	if (!lpm_chunk_dirty(lpm, ci)) {
		lpm->dirty_bit[ci / 64] |= (uint64_t)1 << (ci % 64);
		lpm->dirty[lpm->n_dirty++] = ci;
	}
	return true;
}

/* Rewrites the values of chunk ci in place (its shape is unchanged): never allocates. */
static void lpm_chunk_refresh(struct shoal_lpm *lpm, uint32_t ci)
{
	if (lpm_chunk_dirty(lpm, ci))
		return; /* its rebuild at defer_end reads the new values */
	const struct lpm_chunk *c = &lpm->chunks[ci];
	uint32_t dflt = lpm->short_best[ci];
	uint32_t word = lpm->tbl16[ci];
	struct lpm_sweep *s1 = &lpm->sweep1, *s2 = &lpm->sweep2;

	lpm_sweep_run(s1, c, 0, c->n, true, -1);
	if (word & 1) {
		lpm->tbl16[ci] = lpm_leaf_make(lpm_src_id(c, s1->run[0].src, dflt));
		return;
	}
	lpm_node_leaves(lpm->pool, word, s1, c, dflt);
	unsigned j = 0;
	for (unsigned k = 0; k < s1->n; k++) {
		const struct lpm_run *run = &s1->run[k];
		if (!run->child)
			continue;
		lpm_sweep_run(s2, c, run->from, run->to, false, run->src);
		lpm_node_leaves(lpm->pool, lpm->pool[word - 1 - j], s2, c, dflt);
		j++;
	}
}

/* ---------------------------------------------------------------------------------------- */
/* Short routes (/0../15) */

static size_t lpm_short_index(uint32_t prefix, unsigned len)
{
	return ((size_t)1 << len) + (len ? prefix >> (32 - len) : 0);
}

static uint32_t lpm_short_cover(const struct shoal_lpm *lpm, uint32_t ci, uint8_t *len_out)
{
	for (unsigned len = 16; len-- > 0;) {
		uint32_t id = lpm->short_id[((size_t)1 << len) + (len ? ci >> (16 - len) : 0)];
		if (id != LPM_NONE) {
			*len_out = (uint8_t)len;
			return id;
		}
	}
	*len_out = 0;
	return LPM_NONE;
}

/* The short route prefix/len changed: refresh every /16 it covers. Never fails. */
static void lpm_short_propagate(struct shoal_lpm *lpm, uint32_t prefix, unsigned len)
{
	uint32_t first = prefix >> 16;
	uint32_t span = 1u << (16 - len);
	for (uint32_t ci = first; ci < first + span; ci++) {
		uint32_t best = lpm_short_cover(lpm, ci, &lpm->short_len[ci]);
		if (best == lpm->short_best[ci])
			continue;
		lpm->short_best[ci] = best;
		lpm_chunk_refresh(lpm, ci);
	}
}

/* ---------------------------------------------------------------------------------------- */
/* Next-hop interning */

static uint32_t lpm_nh_hash(const struct shoal_lpm_nh *nh)
{
	uint64_t x =
	    ((uint64_t)nh->gateway << 32) ^ nh->ifindex ^ ((uint64_t)nh->has_gateway << 63);
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return (uint32_t)x;
}

static bool lpm_nh_equal(const struct shoal_lpm_nh *a, const struct shoal_lpm_nh *b)
{
	return a->has_gateway == b->has_gateway && a->ifindex == b->ifindex &&
	       a->gateway == b->gateway;
}

static struct shoal_lpm_nh lpm_nh_canonical(const struct shoal_lpm_nh *nh)
{
	struct shoal_lpm_nh c = {
	    .gateway = nh->has_gateway ? nh->gateway : 0,
	    .ifindex = nh->ifindex,
	    .has_gateway = nh->has_gateway,
	};
	return c;
}

static uint32_t lpm_nh_find(const struct shoal_lpm *lpm, const struct shoal_lpm_nh *nh)
{
	if (!lpm->nh_hash_cap)
		return LPM_NONE;
	uint32_t mask = lpm->nh_hash_cap - 1;
	for (uint32_t h = lpm_nh_hash(nh) & mask;; h = (h + 1) & mask) {
		uint32_t id = lpm->nh_hash[h];
		if (id == LPM_NONE || lpm_nh_equal(&lpm->nhs[id].nh, nh))
			return id;
	}
}

uint32_t shoal_lpm_nh_id(const struct shoal_lpm *lpm, const struct shoal_lpm_nh *nh)
{
	struct shoal_lpm_nh c = lpm_nh_canonical(nh);
	uint32_t id = lpm_nh_find(lpm, &c);
	return id == LPM_NONE ? SHOAL_LPM_MISS : id;
}

static void lpm_nh_hash_put(uint32_t *tab, uint32_t cap, const struct lpm_nh_slot *nhs, uint32_t id)
{
	uint32_t mask = cap - 1;
	uint32_t h = lpm_nh_hash(&nhs[id].nh) & mask;
	while (tab[h] != LPM_NONE)
		h = (h + 1) & mask;
	tab[h] = id;
}

/* Makes room for one more live id (slot array and hash). */
static bool lpm_nh_reserve(struct shoal_lpm *lpm)
{
	if (lpm->nh_free == LPM_NONE && lpm->nh_top == lpm->nh_cap) {
		uint32_t cap = lpm->nh_cap ? lpm->nh_cap * 2 : 64;
		struct lpm_nh_slot *p = realloc(lpm->nhs, (size_t)cap * sizeof *p);
		if (!p)
			return false;
		lpm->nhs = p;
		lpm->nh_cap = cap;
	}
	if ((size_t)(lpm->nh_live + 1) * 2 > lpm->nh_hash_cap) {
		uint32_t cap = lpm->nh_hash_cap ? lpm->nh_hash_cap * 2 : 128;
		uint32_t *tab = malloc((size_t)cap * sizeof *tab);
		if (!tab)
			return false;
		memset(tab, 0xff, (size_t)cap * sizeof *tab);
		for (uint32_t h = 0; h < lpm->nh_hash_cap; h++)
			if (lpm->nh_hash[h] != LPM_NONE)
				lpm_nh_hash_put(tab, cap, lpm->nhs, lpm->nh_hash[h]);
		free(lpm->nh_hash);
		lpm->nh_hash = tab;
		lpm->nh_hash_cap = cap;
	}
	return true;
}

/* Takes a reference on the id of nh, interning it if new. Returns OK, FULL or NO_MEMORY. */
static enum shoal_lpm_status lpm_nh_acquire(struct shoal_lpm *lpm, const struct shoal_lpm_nh *in,
                                            uint32_t *out)
{
	struct shoal_lpm_nh nh = lpm_nh_canonical(in);
	uint32_t id = lpm_nh_find(lpm, &nh);
	if (id != LPM_NONE) {
		lpm->nhs[id].refs++;
		*out = id;
		return SHOAL_LPM_OK;
	}
	if (lpm->nh_live > lpm->max_routes || lpm->nh_live >= LPM_ID_LIMIT - 1)
		return SHOAL_LPM_FULL;
	if (!lpm_nh_reserve(lpm))
		return SHOAL_LPM_NO_MEMORY;
	if (lpm->nh_free != LPM_NONE) {
		id = lpm->nh_free;
		lpm->nh_free = lpm->nhs[id].next_free;
	} else {
		id = lpm->nh_top++;
	}
	lpm->nhs[id].nh = nh;
	lpm->nhs[id].refs = 1;
	lpm->nh_live++;
	lpm_nh_hash_put(lpm->nh_hash, lpm->nh_hash_cap, lpm->nhs, id);
	*out = id;
	return SHOAL_LPM_OK;
}

static void lpm_nh_release(struct shoal_lpm *lpm, uint32_t id)
{
	if (--lpm->nhs[id].refs)
		return;
	/* backward-shift deletion from the linear-probing hash */
	uint32_t mask = lpm->nh_hash_cap - 1;
	uint32_t h = lpm_nh_hash(&lpm->nhs[id].nh) & mask;
	while (lpm->nh_hash[h] != id)
		h = (h + 1) & mask;
	uint32_t hole = h;
	for (uint32_t j = (hole + 1) & mask; lpm->nh_hash[j] != LPM_NONE; j = (j + 1) & mask) {
		uint32_t home = lpm_nh_hash(&lpm->nhs[lpm->nh_hash[j]].nh) & mask;
		/* move j into the hole unless its home lies cyclically in (hole, j] */
		bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
		if (stays)
			continue;
		lpm->nh_hash[hole] = lpm->nh_hash[j];
		hole = j;
	}
	lpm->nh_hash[hole] = LPM_NONE;
	lpm->nh_live--;
	if (lpm->deferring) { /* a dirty chunk's old nodes may still name it */
		lpm->nhs[id].next_free = lpm->nh_zombie;
		lpm->nh_zombie = id;
		return;
	}
	lpm->nhs[id].next_free = lpm->nh_free;
	lpm->nh_free = id;
}

const struct shoal_lpm_nh *shoal_lpm_nh_get(const struct shoal_lpm *lpm, uint32_t id)
{
	if (id >= lpm->nh_top || lpm->nhs[id].refs == 0)
		return NULL;
	return &lpm->nhs[id].nh;
}

/* ---------------------------------------------------------------------------------------- */
/* Chunk route arrays */

static uint32_t lpm_route_key(uint16_t suffix, unsigned len)
{
	return ((uint32_t)suffix << 8) | len;
}

/* Index of the first route with key >= (suffix, len). */
static uint32_t lpm_chunk_find(const struct lpm_chunk *c, uint16_t suffix, unsigned len)
{
	uint32_t key = lpm_route_key(suffix, len);
	uint32_t lo = 0, hi = c->n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (lpm_route_key(c->r[mid].suffix, c->r[mid].len) < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool lpm_chunk_has(const struct lpm_chunk *c, uint32_t at, uint16_t suffix, unsigned len)
{
	return at < c->n && c->r[at].suffix == suffix && c->r[at].len == len;
}

static bool lpm_chunk_reserve(struct shoal_lpm *lpm, struct lpm_chunk *c)
{
	if (c->n < c->cap)
		return true;
	uint32_t cap = c->cap < 4 ? 4 : c->cap + c->cap / 2;
	struct lpm_route *r = realloc(c->r, (size_t)cap * sizeof *r);
	if (!r)
		return false;
	lpm->store_bytes += (size_t)(cap - c->cap) * sizeof *r;
	c->r = r;
	c->cap = cap;
	return true;
}

static void lpm_chunk_shrink(struct shoal_lpm *lpm, struct lpm_chunk *c)
{
	if (c->n == 0) {
		lpm->store_bytes -= (size_t)c->cap * sizeof *c->r;
		free(c->r);
		c->r = NULL;
		c->cap = 0;
	}
}

/* ---------------------------------------------------------------------------------------- */
/* Public API */

struct shoal_lpm *shoal_lpm_create(const struct shoal_lpm_config *cfg)
{
	struct shoal_lpm *lpm = calloc(1, sizeof *lpm);
	if (!lpm)
		return NULL;
	lpm->max_routes = cfg && cfg->max_routes ? cfg->max_routes : LPM_DEFAULT_MAX_ROUTES;
	lpm->nh_free = LPM_NONE;
	lpm->nh_zombie = LPM_NONE;
	for (unsigned k = 0; k < LPM_CLASSES; k++)
		lpm->free_head[k] = LPM_NONE;
#ifdef LPM_HAVE_POPCNT_TARGET
	__builtin_cpu_init();
	lpm->popcnt = __builtin_cpu_supports("popcnt");
#endif
	lpm->huge = !(cfg && cfg->no_huge_pages);
	lpm->pool_used = LPM_CHUNKS;
	if (!lpm_pool_move(lpm, LPM_POOL_MIN)) {
		free(lpm);
		return NULL;
	}
	lpm->short_id = malloc(LPM_CHUNKS * sizeof *lpm->short_id);
	lpm->short_best = malloc(LPM_CHUNKS * sizeof *lpm->short_best);
	lpm->short_len = calloc(LPM_CHUNKS, sizeof *lpm->short_len);
	lpm->chunks = calloc(LPM_CHUNKS, sizeof *lpm->chunks);
	if (!lpm->short_id || !lpm->short_best || !lpm->short_len || !lpm->chunks) {
		shoal_lpm_destroy(lpm);
		return NULL;
	}
	memset(lpm->tbl16, 0xff, LPM_CHUNKS * sizeof *lpm->tbl16);
	memset(lpm->short_id, 0xff, LPM_CHUNKS * sizeof *lpm->short_id);
	memset(lpm->short_best, 0xff, LPM_CHUNKS * sizeof *lpm->short_best);
	return lpm;
}

void shoal_lpm_destroy(struct shoal_lpm *lpm)
{
	if (!lpm)
		return;
	free(lpm->dirty_bit);
	free(lpm->dirty);
	free(lpm->nh_hash);
	free(lpm->nhs);
	free(lpm->pool);
	if (lpm->chunks)
		for (uint32_t ci = 0; ci < LPM_CHUNKS; ci++)
			free(lpm->chunks[ci].r);
	free(lpm->chunks);
	free(lpm->short_len);
	free(lpm->short_best);
	free(lpm->short_id);
	free(lpm);
}

static uint32_t lpm_canonical(uint32_t prefix, unsigned len)
{
	return len ? prefix & (UINT32_MAX << (32 - len)) : 0;
}

/* Common path of insert and replace. */
static enum shoal_lpm_status lpm_put(struct shoal_lpm *lpm, uint32_t prefix, unsigned len,
                                     const struct shoal_lpm_nh *nh, bool may_replace,
                                     bool *replaced)
{
	if (len > 32)
		return SHOAL_LPM_BAD_LENGTH;
	prefix = lpm_canonical(prefix, len);

	uint32_t *slot = NULL;
	struct lpm_chunk *c = NULL;
	uint32_t at = 0;
	bool exists;
	if (len < 16) {
		slot = &lpm->short_id[lpm_short_index(prefix, len)];
		exists = *slot != LPM_NONE;
	} else {
		c = &lpm->chunks[prefix >> 16];
		at = lpm_chunk_find(c, (uint16_t)prefix, len);
		exists = lpm_chunk_has(c, at, (uint16_t)prefix, len);
	}
	if (exists && !may_replace)
		return SHOAL_LPM_EXISTS;
	if (!exists && lpm->count >= lpm->max_routes)
		return SHOAL_LPM_FULL;

	uint32_t id;
	enum shoal_lpm_status st = lpm_nh_acquire(lpm, nh, &id);
	if (st != SHOAL_LPM_OK)
		return st;

	if (exists) {
		/* same shape, new value: rewrite in place */
		uint32_t *cur = slot ? slot : &c->r[at].id;
		uint32_t old = *cur;
		*cur = id;
		if (slot) {
			lpm_short_propagate(lpm, prefix, len);
		} else {
			lpm_chunk_refresh(lpm, prefix >> 16);
		}
		lpm_nh_release(lpm, old);
		if (replaced)
			*replaced = true;
		return SHOAL_LPM_OK;
	}

	if (slot) {
		*slot = id;
		lpm_short_propagate(lpm, prefix, len);
	} else {
		if (!lpm_chunk_reserve(lpm, c)) {
			lpm_nh_release(lpm, id);
			return SHOAL_LPM_NO_MEMORY;
		}
		memmove(&c->r[at + 1], &c->r[at], (size_t)(c->n - at) * sizeof *c->r);
		c->r[at] =
		    (struct lpm_route){.suffix = (uint16_t)prefix, .len = (uint8_t)len, .id = id};
		c->n++;
		if (!lpm_chunk_update(lpm, prefix >> 16)) {
			c->n--;
			memmove(&c->r[at], &c->r[at + 1], (size_t)(c->n - at) * sizeof *c->r);
			lpm_chunk_shrink(lpm, c);
			lpm_nh_release(lpm, id);
			return SHOAL_LPM_NO_MEMORY;
		}
	}
	lpm->count++;
	lpm_pool_compact(lpm);
	if (replaced)
		*replaced = false;
	return SHOAL_LPM_OK;
}

enum shoal_lpm_status shoal_lpm_insert(struct shoal_lpm *lpm, uint32_t prefix, unsigned len,
                                       const struct shoal_lpm_nh *nh)
{
	return lpm_put(lpm, prefix, len, nh, false, NULL);
}

enum shoal_lpm_status shoal_lpm_replace(struct shoal_lpm *lpm, uint32_t prefix, unsigned len,
                                        const struct shoal_lpm_nh *nh, bool *replaced)
{
	return lpm_put(lpm, prefix, len, nh, true, replaced);
}

enum shoal_lpm_status shoal_lpm_delete(struct shoal_lpm *lpm, uint32_t prefix, unsigned len)
{
	if (len > 32)
		return SHOAL_LPM_BAD_LENGTH;
	prefix = lpm_canonical(prefix, len);
	if (len < 16) {
		uint32_t *slot = &lpm->short_id[lpm_short_index(prefix, len)];
		if (*slot == LPM_NONE)
			return SHOAL_LPM_NOT_FOUND;
		uint32_t id = *slot;
		*slot = LPM_NONE;
		lpm_short_propagate(lpm, prefix, len);
		lpm_nh_release(lpm, id);
		lpm->count--;
		return SHOAL_LPM_OK;
	}
	struct lpm_chunk *c = &lpm->chunks[prefix >> 16];
	uint32_t at = lpm_chunk_find(c, (uint16_t)prefix, len);
	if (!lpm_chunk_has(c, at, (uint16_t)prefix, len))
		return SHOAL_LPM_NOT_FOUND;
	struct lpm_route gone = c->r[at];
	memmove(&c->r[at], &c->r[at + 1], (size_t)(c->n - at - 1) * sizeof *c->r);
	c->n--;
	if (!lpm_chunk_update(lpm, prefix >> 16)) {
		memmove(&c->r[at + 1], &c->r[at], (size_t)(c->n - at) * sizeof *c->r);
		c->r[at] = gone;
		c->n++;
		return SHOAL_LPM_NO_MEMORY;
	}
	lpm_chunk_shrink(lpm, c);
	lpm_nh_release(lpm, gone.id);
	lpm->count--;
	lpm_pool_compact(lpm);
	return SHOAL_LPM_OK;
}

enum shoal_lpm_status shoal_lpm_get(const struct shoal_lpm *lpm, uint32_t prefix, unsigned len,
                                    struct shoal_lpm_nh *nh)
{
	if (len > 32)
		return SHOAL_LPM_BAD_LENGTH;
	prefix = lpm_canonical(prefix, len);
	uint32_t id;
	if (len < 16) {
		id = lpm->short_id[lpm_short_index(prefix, len)];
		if (id == LPM_NONE)
			return SHOAL_LPM_NOT_FOUND;
	} else {
		const struct lpm_chunk *c = &lpm->chunks[prefix >> 16];
		uint32_t at = lpm_chunk_find(c, (uint16_t)prefix, len);
		if (!lpm_chunk_has(c, at, (uint16_t)prefix, len))
			return SHOAL_LPM_NOT_FOUND;
		id = c->r[at].id;
	}
	if (nh)
		*nh = lpm->nhs[id].nh;
	return SHOAL_LPM_OK;
}

/* The high len-16 bits of a chunk suffix (len 16..32). */
static uint16_t lpm_suffix_mask(unsigned len)
{
	return len <= 16 ? 0 : (uint16_t)(0xffffu << (32 - len));
}

/* Longest route of chunk c holding suffix lo: its index, or LPM_NONE. The routes form a
 * laminar family sorted by (start, length). The last route at or before (lo masked to
 * maxlen, maxlen) either holds lo — then no later route before that key does and it is the
 * innermost — or not: then every route holding lo starts before it and holds it too, so
 * the answer is no longer than their common prefix, and the search goes on from there with
 * a strictly smaller maxlen (at most 17 rounds; one when the first candidate matches). */
static uint32_t lpm_chunk_match(const struct lpm_chunk *c, uint16_t lo)
{
	unsigned maxlen = 32;
	while (c->n) {
		uint16_t s = lo & lpm_suffix_mask(maxlen);
		uint32_t key = lpm_route_key(s, maxlen) + 1;
		uint32_t a = 0, b = c->n;
		while (a < b) {
			uint32_t mid = a + (b - a) / 2;
			if (lpm_route_key(c->r[mid].suffix, c->r[mid].len) < key)
				a = mid + 1;
			else
				b = mid;
		}
		if (a == 0)
			return LPM_NONE;
		const struct lpm_route *e = &c->r[a - 1];
		uint16_t diff = (uint16_t)((e->suffix ^ lo) & lpm_suffix_mask(e->len));
		if (diff == 0)
			return a - 1;
		/* common prefix of e and lo in address bits (16 + equal leading suffix bits), less
		 * than e->len since e does not hold lo */
		maxlen = 16 + (unsigned)__builtin_clz((unsigned)diff << 16);
	}
	return LPM_NONE;
}

bool shoal_lpm_match(const struct shoal_lpm *lpm, uint32_t addr, uint32_t *prefix, unsigned *len)
{
	uint32_t ci = addr >> 16;
	const struct lpm_chunk *c = &lpm->chunks[ci];
	uint32_t at = lpm_chunk_match(c, (uint16_t)addr);
	if (at != LPM_NONE) {
		*len = c->r[at].len;
		*prefix = ci << 16 | c->r[at].suffix;
		return true;
	}
	if (lpm->short_best[ci] == LPM_NONE)
		return false;
	*len = lpm->short_len[ci];
	*prefix = lpm_canonical(addr, *len);
	return true;
}

int shoal_lpm_foreach(const struct shoal_lpm *lpm, shoal_lpm_visit_fn cb, void *ctx)
{
	for (uint32_t ci = 0; ci < LPM_CHUNKS; ci++) {
		uint32_t prefix = ci << 16;
		/* short routes starting exactly here, shorter first */
		for (unsigned len = 0; len < 16; len++) {
			if (len < 16 && (ci & ((1u << (16 - len)) - 1)) != 0)
				continue;
			uint32_t id = lpm->short_id[lpm_short_index(prefix, len)];
			if (id == LPM_NONE)
				continue;
			int rc = cb(ctx, prefix, len, &lpm->nhs[id].nh);
			if (rc)
				return rc;
		}
		const struct lpm_chunk *c = &lpm->chunks[ci];
		for (uint32_t i = 0; i < c->n; i++) {
			const struct lpm_route *r = &c->r[i];
			int rc = cb(ctx, prefix | r->suffix, r->len, &lpm->nhs[r->id].nh);
			if (rc)
				return rc;
		}
	}
	return 0;
}

enum shoal_lpm_status shoal_lpm_defer_begin(struct shoal_lpm *lpm)
{
	if (!lpm->dirty) {
		lpm->dirty = malloc(LPM_CHUNKS * sizeof *lpm->dirty);
		lpm->dirty_bit = calloc(LPM_CHUNKS / 64, sizeof *lpm->dirty_bit);
		if (!lpm->dirty || !lpm->dirty_bit) {
			free(lpm->dirty);
			free(lpm->dirty_bit);
			lpm->dirty = NULL;
			lpm->dirty_bit = NULL;
			return SHOAL_LPM_NO_MEMORY;
		}
	}
	uint32_t kept = 0; /* drop chunks rebuilt since a failed defer_end */
	for (uint32_t i = 0; i < lpm->n_dirty; i++)
		if (lpm_chunk_dirty(lpm, lpm->dirty[i]))
			lpm->dirty[kept++] = lpm->dirty[i];
	lpm->n_dirty = kept;
	lpm->deferring = true;
	return SHOAL_LPM_OK;
}

enum shoal_lpm_status shoal_lpm_defer_end(struct shoal_lpm *lpm)
{
	lpm->deferring = false;
	uint32_t kept = 0;
	for (uint32_t i = 0; i < lpm->n_dirty; i++) {
		uint32_t ci = lpm->dirty[i];
		if (!lpm_chunk_dirty(lpm, ci))
			continue; /* rebuilt since a failed defer_end */
		lpm->dirty_bit[ci / 64] &= ~((uint64_t)1 << (ci % 64));
		if (lpm_chunk_rebuild(lpm, ci))
			continue;
		lpm->dirty[kept++] = ci; /* still marked: its nodes are the ones from before */
		lpm->dirty_bit[ci / 64] |= (uint64_t)1 << (ci % 64);
	}
	lpm->n_dirty = kept;
	if (kept)
		return SHOAL_LPM_NO_MEMORY;
	while (lpm->nh_zombie != LPM_NONE) { /* no node names them any more */
		uint32_t id = lpm->nh_zombie;
		lpm->nh_zombie = lpm->nhs[id].next_free;
		lpm->nhs[id].next_free = lpm->nh_free;
		lpm->nh_free = id;
	}
	lpm_pool_compact(lpm);
	return SHOAL_LPM_OK;
}

size_t shoal_lpm_count(const struct shoal_lpm *lpm)
{
	return lpm->count;
}

size_t shoal_lpm_memory(const struct shoal_lpm *lpm)
{
	return sizeof *lpm + 2 * LPM_CHUNKS * sizeof(uint32_t) + LPM_CHUNKS * sizeof(uint8_t) +
	       LPM_CHUNKS * sizeof(struct lpm_chunk) + lpm->store_bytes +
	       lpm->pool_cap * sizeof(uint32_t) + (size_t)lpm->nh_cap * sizeof(struct lpm_nh_slot) +
	       (size_t)lpm->nh_hash_cap * sizeof(uint32_t);
}
