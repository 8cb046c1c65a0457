/* reassembler.c — stream reassembly; contract in include/shoal/reassembler.h.
 *
 * Design: the pending store is a ring of `capacity` bytes indexed by stream index modulo
 * capacity, with a bitmap of occupied slots. Every stored index lies in
 * [next index, window end), a range never longer than capacity, so slots never collide.
 * An insert that reaches the next index is copied straight from the caller's data into the
 * output stream; any pending bytes it covers are dropped from the bitmap, then the
 * contiguous run of pending bytes that follows is moved to the output. All bitmap work is
 * word-wise (64 slots at a time); all byte work is memcpy.
 */
#include "shoal/reassembler.h"

#include <stdlib.h>
#include <string.h>

enum { REASSEMBLER_WORD_BITS = 64 };

/* Mask of `take` bits starting at bit `bit` of a word (1 <= take <= 64 - bit). */
static uint64_t reassembler_mask_make(unsigned bit, size_t take)
{
	uint64_t ones = take >= REASSEMBLER_WORD_BITS ? ~UINT64_C(0) : (UINT64_C(1) << take) - 1;
	return ones << bit;
}

/* Sets bits [from, from + n) (linear, no wrap); returns how many were clear before. */
static size_t reassembler_bits_set(uint64_t *bm, size_t from, size_t n)
{
	size_t added = 0;
	size_t end = from + n;
	while (from < end) {
		size_t w = from / REASSEMBLER_WORD_BITS;
		unsigned bit = (unsigned)(from % REASSEMBLER_WORD_BITS);
		size_t take = REASSEMBLER_WORD_BITS - bit;
		if (take > end - from)
			take = end - from;
		uint64_t mask = reassembler_mask_make(bit, take);
		added += (size_t)__builtin_popcountll(~bm[w] & mask);
		bm[w] |= mask;
		from += take;
	}
	return added;
}

/* Clears bits [from, from + n) (linear, no wrap); returns how many were set before. */
static size_t reassembler_bits_clear(uint64_t *bm, size_t from, size_t n)
{
	size_t removed = 0;
	size_t end = from + n;
	while (from < end) {
		size_t w = from / REASSEMBLER_WORD_BITS;
		unsigned bit = (unsigned)(from % REASSEMBLER_WORD_BITS);
		size_t take = REASSEMBLER_WORD_BITS - bit;
		if (take > end - from)
			take = end - from;
		uint64_t mask = reassembler_mask_make(bit, take);
		removed += (size_t)__builtin_popcountll(bm[w] & mask);
		bm[w] &= ~mask;
		from += take;
	}
	return removed;
}

/* Length of the run of set bits starting at `from`, looking at most `limit` bits (linear). */
static size_t reassembler_run_measure(const uint64_t *bm, size_t from, size_t limit)
{
	size_t run = 0;
	while (run < limit) {
		size_t pos = from + run;
		size_t w = pos / REASSEMBLER_WORD_BITS;
		unsigned bit = (unsigned)(pos % REASSEMBLER_WORD_BITS);
		uint64_t clear = ~bm[w] >> bit; /* bits above 63 - bit shift in as zero */
		size_t avail = REASSEMBLER_WORD_BITS - bit;
		size_t ones = clear ? (size_t)__builtin_ctzll(clear) : avail;
		if (ones > avail)
			ones = avail;
		run += ones;
		if (ones < avail)
			break;
	}
	return run < limit ? run : limit;
}

/* Copies data into the ring at stream index `index` and marks it present. */
static void reassembler_store_put(struct shoal_reassembler *r, uint64_t index, const uint8_t *data,
                                  size_t len)
{
	size_t slot = (size_t)(index % r->capacity);
	size_t first = r->capacity - slot;
	if (first > len)
		first = len;
	memcpy(r->store + slot, data, first);
	size_t added = reassembler_bits_set(r->present, slot, first);
	if (len > first) {
		memcpy(r->store, data + first, len - first);
		added += reassembler_bits_set(r->present, 0, len - first);
	}
	r->pending += added;
}

/* Forgets pending bytes at stream indices [index, index + len) (they were just written). */
static void reassembler_store_drop(struct shoal_reassembler *r, uint64_t index, size_t len)
{
	size_t slot = (size_t)(index % r->capacity);
	size_t first = r->capacity - slot;
	if (first > len)
		first = len;
	size_t removed = reassembler_bits_clear(r->present, slot, first);
	if (len > first)
		removed += reassembler_bits_clear(r->present, 0, len - first);
	r->pending -= removed;
}

/* Moves the run of pending bytes that starts at the next index to the output. */
static void reassembler_store_flush(struct shoal_reassembler *r)
{
	while (r->pending > 0) {
		size_t slot = (size_t)(shoal_byte_stream_bytes_pushed(&r->output) % r->capacity);
		size_t run = reassembler_run_measure(r->present, slot, r->capacity - slot);
		if (run == 0)
			return;
		shoal_byte_stream_push(&r->output, r->store + slot, run);
		reassembler_bits_clear(r->present, slot, run);
		r->pending -= run;
		if (slot + run < r->capacity)
			return; /* the run ended before the wrap point */
	}
}

int shoal_reassembler_init(struct shoal_reassembler *r, size_t capacity)
{
	memset(r, 0, sizeof(*r));
	if (shoal_byte_stream_init(&r->output, capacity) != 0)
		return -1;
	r->capacity = capacity;
	if (capacity == 0)
		return 0;
	size_t words = (capacity + REASSEMBLER_WORD_BITS - 1) / REASSEMBLER_WORD_BITS;
	r->store = malloc(capacity);
	if (!r->store)
		goto fail_store;
	r->present = calloc(words, sizeof(*r->present));
	if (!r->present)
		goto fail_present;
	return 0;

fail_present:
	free(r->store);
fail_store:
	shoal_byte_stream_fini(&r->output);
	memset(r, 0, sizeof(*r));
	return -1;
}

void shoal_reassembler_fini(struct shoal_reassembler *r)
{
	free(r->present);
	free(r->store);
	shoal_byte_stream_fini(&r->output);
	memset(r, 0, sizeof(*r));
}

void shoal_reassembler_insert(struct shoal_reassembler *r, uint64_t first_index,
                              const uint8_t *data, size_t len, bool is_last)
{
	struct shoal_byte_stream *out = &r->output;
	uint64_t next = shoal_byte_stream_bytes_pushed(out);
	uint64_t window_end = next + shoal_byte_stream_available_capacity(out);
	uint64_t last_index = first_index + len;

	/* Rule 5: the end is known only if the whole substring fits in the window. */
	if (is_last && last_index <= window_end) {
		r->end = last_index;
		r->has_end = true;
	}
	if (r->has_end && window_end > r->end)
		window_end = r->end; /* nothing lies beyond the stream's end */

	/* Clip to [next, window end). */
	uint64_t lo = first_index > next ? first_index : next;
	uint64_t hi = last_index < window_end ? last_index : window_end;
	if (lo < hi) {
		const uint8_t *src = data + (lo - first_index);
		size_t n = (size_t)(hi - lo);
		if (lo == next) {
			shoal_byte_stream_push(out, src, n);
			if (r->pending > 0) {
				reassembler_store_drop(r, lo, n);
				reassembler_store_flush(r);
			}
		} else {
			reassembler_store_put(r, lo, src, n);
		}
	}

	if (r->has_end && shoal_byte_stream_bytes_pushed(out) >= r->end)
		shoal_byte_stream_close(out);
}

uint64_t shoal_reassembler_bytes_pending(const struct shoal_reassembler *r)
{
	return r->pending;
}

struct shoal_byte_stream *shoal_reassembler_output(struct shoal_reassembler *r)
{
	return &r->output;
}
