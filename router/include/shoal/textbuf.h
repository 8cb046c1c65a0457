/*
 * textbuf.h — appending formatted text to a caller-owned buffer, bounded.
 *
 * Role: the one "printf into a fixed buffer, remember if it did not fit" helper the plugins
 * (and anything else writing a reply or a /metrics block into a buffer the host gave it)
 * use, header-only so a plugin needs no library beyond the host's API.
 *
 * Invariants: buf[0..len) holds whole appended pieces and is NUL-terminated when cap > 0;
 * once a piece does not fit, overflow is set and every later call is a no-op (the caller
 * reports -ENOSPC or asks for a bigger buffer); a piece is never cut in half.
 * Ownership: the caller owns buf (cap bytes) and the struct.
 */
#ifndef SHOAL_TEXTBUF_H
#define SHOAL_TEXTBUF_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct shoal_textbuf {
	char *buf;
	size_t cap, len;
	bool overflow;
};

__attribute__((format(printf, 2, 3))) static inline void
shoal_textbuf_printf(struct shoal_textbuf *t, const char *fmt, ...)
{
	if (t->overflow)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= t->cap - t->len) {
		t->overflow = true;
		if (t->cap > t->len)
			t->buf[t->len] = '\0'; /* drop the partial piece */
		return;
	}
	t->len += (size_t)n;
}

#ifdef __cplusplus
}
#endif

#endif
