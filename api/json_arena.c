/* json_arena.c — per-thread arena for jansson's allocations; contract in
 * include/shoal/api_json_arena.h. */
#include "shoal/api_json_arena.h"

#include <jansson.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

/* Under AddressSanitizer a block is poisoned but for what was handed out, and each piece has
 * a poisoned red zone after it: an overrun of a value is still a report. */
#if defined(__SANITIZE_ADDRESS__)
#define ARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_ASAN 1
#endif
#endif
#ifdef ARENA_ASAN
#include <sanitizer/asan_interface.h>
enum { ARENA_REDZONE = 16 };
#define ARENA_POISON(p, n)   ASAN_POISON_MEMORY_REGION(p, n)
#define ARENA_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
enum { ARENA_REDZONE = 0 };
#define ARENA_POISON(p, n)   ((void)(p), (void)(n))
#define ARENA_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

enum {
	ARENA_ALIGN = alignof(max_align_t),
	ARENA_MIN_BLOCK = 64 * 1024,
	ARENA_MAX_FIRST = 8 * 1024 * 1024, /* the hint's first block is at most this */
};

struct shoal_api_json_arena_block {
	struct shoal_api_json_arena_block *next;
	size_t size, used;
	alignas(max_align_t) unsigned char data[];
};

/* The calling thread's open window (NULL: none). */
static _Thread_local struct shoal_api_json_arena *arena_current;

static bool arena_owns(const struct shoal_api_json_arena *a, const void *p)
{
	for (const struct shoal_api_json_arena_block *b = a->blocks; b; b = b->next)
		if ((const unsigned char *)p >= b->data &&
		    (const unsigned char *)p < b->data + b->size)
			return true;
	return false;
}

static void *arena_alloc(struct shoal_api_json_arena *a, size_t size)
{
	size_t need = (size + ARENA_REDZONE + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (need < size)
		return NULL;
	struct shoal_api_json_arena_block *b = a->blocks;
	if (!b || b->size - b->used < need) {
		size_t bs = a->next_size;
		while (bs < need)
			bs *= 2;
		b = malloc(sizeof(*b) + bs);
		if (!b)
			return NULL;
		b->size = bs;
		b->used = 0;
		b->next = a->blocks;
		a->blocks = b;
		a->next_size = bs * 2;
		ARENA_POISON(b->data, bs);
	}
	void *p = b->data + b->used;
	ARENA_UNPOISON(p, size);
	b->used += need;
	a->used += need;
	return p;
}

static void *arena_malloc(size_t size)
{
	struct shoal_api_json_arena *a = arena_current;
	return a ? arena_alloc(a, size) : malloc(size);
}

static void arena_free(void *p)
{
	struct shoal_api_json_arena *a = arena_current;
	if (a && arena_owns(a, p))
		return; /* freed with the block at end */
	free(p);
}

/* Before main, while there is one thread: jansson's allocator becomes the pair above (malloc
 * and free outside a window). */
__attribute__((constructor)) static void arena_install(void)
{
	json_set_alloc_funcs(arena_malloc, arena_free);
}

void shoal_api_json_arena_begin(struct shoal_api_json_arena *a, size_t hint)
{
	size_t first = hint < ARENA_MIN_BLOCK ? ARENA_MIN_BLOCK : hint;
	*a = (struct shoal_api_json_arena){.next_size =
	                                       first > ARENA_MAX_FIRST ? ARENA_MAX_FIRST : first};
	arena_current = a;
}

void shoal_api_json_arena_end(struct shoal_api_json_arena *a)
{
	if (arena_current == a)
		arena_current = NULL;
	while (a->blocks) {
		struct shoal_api_json_arena_block *next = a->blocks->next;
		ARENA_UNPOISON(a->blocks->data, a->blocks->size);
		free(a->blocks);
		a->blocks = next;
	}
	a->used = 0;
}

int shoal_api_json_arena_active(void)
{
	return arena_current != NULL;
}
