/*
 * api_json_arena.h — a per-thread arena for the jansson values of one parse.
 *
 * Role: a batch body of 1,000 routes is a jansson tree of about 14,000 small allocations
 * (an object, its hash buckets, a pair and a string per field), all freed together a moment
 * later; malloc and free of those, and the fragmentation they leave for the next large
 * allocation (SQLite's page buffers), were a quarter of the parse. Between begin and end,
 * every allocation jansson makes on the calling thread is cut from the arena's blocks; end
 * frees the blocks, and with them every value made in between.
 *
 * How: jansson's allocator is process-wide (json_set_alloc_funcs); this module installs its
 * pair once, before main (a constructor, while there is one thread). Outside a begin/end
 * window of the calling thread they are malloc and free; a free inside the window of memory
 * that is not the arena's is free. So every other jansson user (other threads, plugins,
 * other code of this thread) is unchanged.
 *
 * Contract: values made inside the window must not be used or json_decref'd after end (end
 * frees them; json_decref inside the window is allowed and frees nothing). Windows do not
 * nest. The arena grows by blocks (the first sized from the caller's hint, each next one
 * twice the last); a block that cannot be allocated makes jansson's allocation fail (jansson
 * reports it as an error of the parse). Ownership: the struct is the caller's (its stack);
 * the blocks are freed by end.
 */
#ifndef SHOAL_API_JSON_ARENA_H
#define SHOAL_API_JSON_ARENA_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct shoal_api_json_arena_block;

struct shoal_api_json_arena {
	struct shoal_api_json_arena_block *blocks; /* newest first */
	size_t next_size;                          /* bytes of the next block */
	size_t used;                               /* bytes handed out, all blocks */
};

/* Opens the calling thread's window: jansson allocates from a until shoal_api_json_arena_end.
 * hint: about how many bytes the values will take (0: a default). */
void shoal_api_json_arena_begin(struct shoal_api_json_arena *a, size_t hint);
/* Closes the window and frees every block (and every value made in it). */
void shoal_api_json_arena_end(struct shoal_api_json_arena *a);
/* Whether jansson allocates from an arena on this thread now (for tests). */
int shoal_api_json_arena_active(void);

#ifdef __cplusplus
}
#endif

#endif
