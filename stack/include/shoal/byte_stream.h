/*
 * byte_stream.h — a bounded FIFO of bytes with a writer side and a reader side.
 *
 * Role: the in-order byte stream of the stack (TCP send and receive buffers, reassembler
 * output). Behaviour: ../shared/spec/stack-behaviour.md §1.
 *
 * Invariants:
 *   - bytes_buffered() == bytes_pushed() - bytes_popped() <= capacity.
 *   - available_capacity() == capacity - bytes_buffered().
 *   - peek() returns a non-empty view whenever anything is buffered: the longest contiguous
 *     run starting at the read position (a ring buffer: at most two runs hold the data).
 *   - is_finished() == is_closed() && bytes_buffered() == 0. The error flag is independent.
 *
 * Ownership: the stream owns one buffer of `capacity` bytes, allocated by init and freed by
 * fini; push/peek/pop never allocate. A view returned by peek stays valid until the next
 * push or pop. The caller owns the struct itself (embed it or allocate it).
 * Not thread-safe: one owner drives both sides.
 */
#ifndef SHOAL_BYTE_STREAM_H
#define SHOAL_BYTE_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct shoal_byte_stream {
	uint8_t *buf; /* capacity bytes (NULL when capacity is 0) */
	size_t capacity;
	size_t head;     /* offset of the first buffered byte in buf */
	size_t buffered; /* bytes currently held */
	uint64_t pushed; /* cumulative */
	uint64_t popped; /* cumulative */
	bool closed;
	bool error;
};

/* Returns 0, or -1 when the buffer cannot be allocated (the stream is then unusable). */
int shoal_byte_stream_init(struct shoal_byte_stream *bs, size_t capacity);
void shoal_byte_stream_fini(struct shoal_byte_stream *bs);

/* Writer side. push stores as many leading bytes as fit and returns that count. */
size_t shoal_byte_stream_push(struct shoal_byte_stream *bs, const uint8_t *data, size_t len);
void shoal_byte_stream_close(struct shoal_byte_stream *bs);
bool shoal_byte_stream_is_closed(const struct shoal_byte_stream *bs);
size_t shoal_byte_stream_available_capacity(const struct shoal_byte_stream *bs);
uint64_t shoal_byte_stream_bytes_pushed(const struct shoal_byte_stream *bs);

/* Reader side. peek sets *view and returns its length (0 when nothing is buffered).
 * pop(n) requires n <= bytes_buffered(); larger n is clamped. read copies up to len bytes
 * out and pops them, returning the count. */
size_t shoal_byte_stream_peek(const struct shoal_byte_stream *bs, const uint8_t **view);
void shoal_byte_stream_pop(struct shoal_byte_stream *bs, size_t n);
size_t shoal_byte_stream_read(struct shoal_byte_stream *bs, uint8_t *out, size_t len);
bool shoal_byte_stream_is_finished(const struct shoal_byte_stream *bs);
size_t shoal_byte_stream_bytes_buffered(const struct shoal_byte_stream *bs);
uint64_t shoal_byte_stream_bytes_popped(const struct shoal_byte_stream *bs);

/* Both sides. */
void shoal_byte_stream_set_error(struct shoal_byte_stream *bs);
bool shoal_byte_stream_has_error(const struct shoal_byte_stream *bs);

#endif
