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
 * Speed: the small accessors and peek/pop are C99 `inline` definitions below (so callers in
 * other translation units can inline them); byte_stream.c holds their one external
 * definition, so every function is still an ordinary exported symbol.
 *
 * Ownership: the stream owns one buffer of `capacity` bytes, allocated by init and freed by
 * fini; push/peek/pop never allocate. A view returned by peek stays valid until the next
 * push or pop. The caller owns the struct itself (embed it or allocate it).
 * Not thread-safe: one owner drives both sides.
 */
#ifndef SHOAL_BYTE_STREAM_H
#define SHOAL_BYTE_STREAM_H

#ifdef __cplusplus
extern "C" {
#endif

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

inline void shoal_byte_stream_close(struct shoal_byte_stream *bs)
{
	bs->closed = true;
}

inline bool shoal_byte_stream_is_closed(const struct shoal_byte_stream *bs)
{
	return bs->closed;
}

inline size_t shoal_byte_stream_available_capacity(const struct shoal_byte_stream *bs)
{
	return bs->capacity - bs->buffered;
}

inline uint64_t shoal_byte_stream_bytes_pushed(const struct shoal_byte_stream *bs)
{
	return bs->pushed;
}

/* Reader side. peek sets *view and returns its length (0 when nothing is buffered).
 * pop(n) requires n <= bytes_buffered(); larger n is clamped. read copies up to len bytes
 * out and pops them, returning the count. */
inline size_t shoal_byte_stream_peek(const struct shoal_byte_stream *bs, const uint8_t **view)
{
	if (bs->buffered == 0) {
		*view = NULL;
		return 0;
	}
	*view = bs->buf + bs->head;
	size_t run = bs->capacity - bs->head;
	return run < bs->buffered ? run : bs->buffered;
}

inline void shoal_byte_stream_pop(struct shoal_byte_stream *bs, size_t n)
{
	if (n > bs->buffered)
		n = bs->buffered;
	bs->head += n;
	if (bs->head >= bs->capacity)
		bs->head -= bs->capacity;
	bs->buffered -= n;
	bs->popped += n;
	if (bs->buffered == 0)
		bs->head = 0; /* keep the next run as long as possible */
}

size_t shoal_byte_stream_read(struct shoal_byte_stream *bs, uint8_t *out, size_t len);

inline bool shoal_byte_stream_is_finished(const struct shoal_byte_stream *bs)
{
	return bs->closed && bs->buffered == 0;
}

inline size_t shoal_byte_stream_bytes_buffered(const struct shoal_byte_stream *bs)
{
	return bs->buffered;
}

inline uint64_t shoal_byte_stream_bytes_popped(const struct shoal_byte_stream *bs)
{
	return bs->popped;
}

/* Both sides. */
inline void shoal_byte_stream_set_error(struct shoal_byte_stream *bs)
{
	bs->error = true;
}

inline bool shoal_byte_stream_has_error(const struct shoal_byte_stream *bs)
{
	return bs->error;
}

#ifdef __cplusplus
}
#endif

#endif
