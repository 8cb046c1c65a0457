/*
 * reassembler.h — puts out-of-order, overlapping substrings of a stream back in order.
 *
 * Role: TCP receive-side reassembly. Behaviour: ../shared/spec/stack-behaviour.md §2.
 * The reassembler owns its output byte stream; readers reach it through
 * shoal_reassembler_output() and may peek/pop it freely.
 *
 * Invariants:
 *   - next index = output bytes_pushed(); window end = next index + output available_capacity().
 *   - Only bytes with next index <= index < window end are ever stored; bytes_pending()
 *     counts distinct stored bytes (never more than the output's capacity).
 *   - Contiguous bytes from the next index are written to the output at once.
 *   - Once the stream's end is known (a last substring that fit the window), bytes at or
 *     beyond it are discarded too (only matters for a sender that contradicts itself).
 *
 * Ownership: init allocates the output stream and a pending store sized by capacity;
 * insert never allocates. fini frees both. `data` passed to insert is only read during
 * the call.
 */
#ifndef SHOAL_REASSEMBLER_H
#define SHOAL_REASSEMBLER_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shoal/byte_stream.h"

struct shoal_reassembler {
	struct shoal_byte_stream output;
	/* Pending store: private to reassembler.c; its layout may change. */
	uint8_t *store;    /* capacity bytes, indexed by stream index modulo capacity */
	uint64_t *present; /* bitmap of stored positions, same indexing */
	size_t capacity;
	uint64_t pending; /* distinct bytes held in store */
	uint64_t end;     /* stream end index, valid when has_end */
	bool has_end;
};

int shoal_reassembler_init(struct shoal_reassembler *r, size_t capacity);
void shoal_reassembler_fini(struct shoal_reassembler *r);

void shoal_reassembler_insert(struct shoal_reassembler *r, uint64_t first_index,
                              const uint8_t *data, size_t len, bool is_last);
uint64_t shoal_reassembler_bytes_pending(const struct shoal_reassembler *r);
struct shoal_byte_stream *shoal_reassembler_output(struct shoal_reassembler *r);

#ifdef __cplusplus
}
#endif

#endif
