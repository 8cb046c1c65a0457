/* byte_stream.c — ring-buffer byte stream; contract in include/shoal/byte_stream.h.
 * The accessors and peek/pop are inline in the header; the `extern inline` declarations
 * below make this file hold their one external definition. */
#include "shoal/byte_stream.h"

#include <stdlib.h>
#include <string.h>

extern inline void shoal_byte_stream_close(struct shoal_byte_stream *bs);
extern inline bool shoal_byte_stream_is_closed(const struct shoal_byte_stream *bs);
extern inline size_t shoal_byte_stream_available_capacity(const struct shoal_byte_stream *bs);
extern inline uint64_t shoal_byte_stream_bytes_pushed(const struct shoal_byte_stream *bs);
extern inline size_t shoal_byte_stream_peek(const struct shoal_byte_stream *bs,
                                            const uint8_t **view);
extern inline void shoal_byte_stream_pop(struct shoal_byte_stream *bs, size_t n);
extern inline bool shoal_byte_stream_is_finished(const struct shoal_byte_stream *bs);
extern inline size_t shoal_byte_stream_bytes_buffered(const struct shoal_byte_stream *bs);
extern inline uint64_t shoal_byte_stream_bytes_popped(const struct shoal_byte_stream *bs);
extern inline void shoal_byte_stream_set_error(struct shoal_byte_stream *bs);
extern inline bool shoal_byte_stream_has_error(const struct shoal_byte_stream *bs);

int shoal_byte_stream_init(struct shoal_byte_stream *bs, size_t capacity)
{
	memset(bs, 0, sizeof(*bs));
	bs->capacity = capacity;
	if (capacity == 0)
		return 0;
	bs->buf = malloc(capacity);
	if (!bs->buf) {
		bs->capacity = 0;
		return -1;
	}
	return 0;
}

void shoal_byte_stream_fini(struct shoal_byte_stream *bs)
{
	free(bs->buf);
	memset(bs, 0, sizeof(*bs));
}

size_t shoal_byte_stream_push(struct shoal_byte_stream *bs, const uint8_t *data, size_t len)
{
	size_t room = bs->capacity - bs->buffered;
	if (len > room)
		len = room;
	if (len == 0)
		return 0;
	size_t tail = bs->head + bs->buffered;
	if (tail >= bs->capacity)
		tail -= bs->capacity;
	size_t first = bs->capacity - tail;
	if (first > len)
		first = len;
	memcpy(bs->buf + tail, data, first);
	if (len > first)
		memcpy(bs->buf, data + first, len - first);
	bs->buffered += len;
	bs->pushed += len;
	return len;
}

size_t shoal_byte_stream_read(struct shoal_byte_stream *bs, uint8_t *out, size_t len)
{
	size_t done = 0;
	while (done < len) {
		const uint8_t *view;
		size_t n = shoal_byte_stream_peek(bs, &view);
		if (n == 0)
			break;
		if (n > len - done)
			n = len - done;
		memcpy(out + done, view, n);
		shoal_byte_stream_pop(bs, n);
		done += n;
	}
	return done;
}
