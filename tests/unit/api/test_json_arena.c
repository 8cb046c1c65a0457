/* Tests for api/json_arena.c: jansson's allocations on this thread come from the arena only
 * inside a window (and grow it by blocks), values made before it can be freed inside it,
 * other threads are untouched, and the batch parser gives the same result as without it.
 * Under ASan/LSan: a value freed twice, freed from the wrong place or left behind is a
 * report. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shoal/api_json.h"
#include "shoal/api_json_arena.h"

/* A document of n objects of three string fields (like a batch body). */
static char *doc(size_t n)
{
	size_t cap = 64 + n * 96, len = 0;
	char *s = malloc(cap);
	assert_non_null(s);
	len += (size_t)snprintf(s + len, cap - len, "{\"operations\":[");
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(s + len, cap - len,
		                        "%s{\"op\":\"add\",\"prefix\":\"%zu.%zu.%zu.0/24\","
		                        "\"next_hop\":\"10.0.2.2\"}",
		                        i ? "," : "", 20 + i / 65536, (i / 256) % 256, i % 256);
	snprintf(s + len, cap - len, "]}");
	return s;
}

static void test_window_allocates_from_arena(void **state)
{
	(void)state;
	char *text = doc(2000);
	struct shoal_api_json_arena a;
	assert_false(shoal_api_json_arena_active());
	/* a small hint: the tree needs several blocks */
	shoal_api_json_arena_begin(&a, 1);
	assert_true(shoal_api_json_arena_active());
	json_t *root = json_loads(text, 0, NULL);
	assert_non_null(root);
	assert_int_equal(json_array_size(json_object_get(root, "operations")), 2000);
	assert_true(a.used > 2000 * 100);
	assert_non_null(a.blocks);
	json_decref(root); /* allowed: frees nothing */
	shoal_api_json_arena_end(&a);
	assert_false(shoal_api_json_arena_active());
	assert_null(a.blocks);
	/* outside a window: plain malloc/free again (LSan: nothing left) */
	size_t before = a.used;
	json_t *o = json_pack("{s:s}", "k", "v");
	assert_non_null(o);
	json_decref(o);
	assert_int_equal(a.used, before);
	free(text);
}

/* A value made before the window, freed inside it, goes back to malloc (LSan would report it
 * otherwise); one freed after the window is fine too. */
static void test_outside_values_freed_inside(void **state)
{
	(void)state;
	json_t *before = json_pack("{s:s, s:[i, i]}", "name", "a long enough string", "l", 1, 2);
	json_t *after = json_string("kept");
	struct shoal_api_json_arena a;
	shoal_api_json_arena_begin(&a, 0);
	json_t *inside = json_loads("{\"x\": [1, 2, 3]}", 0, NULL);
	assert_non_null(inside);
	json_decref(before);
	shoal_api_json_arena_end(&a);
	assert_string_equal(json_string_value(after), "kept");
	json_decref(after);
}

struct other {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int step;
	json_t *v;
};

static void other_wait(struct other *o, int step)
{
	pthread_mutex_lock(&o->lock);
	while (o->step < step)
		pthread_cond_wait(&o->cond, &o->lock);
	pthread_mutex_unlock(&o->lock);
}

static void other_next(struct other *o)
{
	pthread_mutex_lock(&o->lock);
	o->step++;
	pthread_cond_broadcast(&o->cond);
	pthread_mutex_unlock(&o->lock);
}

/* While this thread's window is open, another thread makes a value; it outlives the window
 * (ASan: a use after free if it had come from this thread's arena). */
static void *other_thread(void *arg)
{
	struct other *o = arg;
	other_wait(o, 1);
	o->v = json_pack("{s:s}", "made", "while another thread had a window");
	other_next(o);
	other_wait(o, 3);
	assert_string_equal(json_string_value(json_object_get(o->v, "made")),
	                    "while another thread had a window");
	json_decref(o->v);
	return NULL;
}

static void test_other_threads_untouched(void **state)
{
	(void)state;
	struct other o = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, other_thread, &o), 0);
	struct shoal_api_json_arena a;
	shoal_api_json_arena_begin(&a, 0);
	json_t *mine = json_loads("[\"mine\"]", 0, NULL);
	assert_non_null(mine);
	other_next(&o); /* 1: make the value */
	other_wait(&o, 2);
	size_t used = a.used;
	shoal_api_json_arena_end(&a);
	assert_true(used > 0);
	other_next(&o); /* 3: use it and free it */
	pthread_join(t, NULL);
}

/* The batch parser (which parses in a window) against a parse without one: same ops. */
static void test_batch_same_as_plain_parse(void **state)
{
	(void)state;
	char *text = doc(3000);
	struct shoal_ctl_op *ops;
	size_t n;
	struct shoal_api_error e;
	assert_int_equal(shoal_api_batch_body(text, strlen(text), &ops, &n, &e), 0);
	assert_false(shoal_api_json_arena_active());
	json_t *root = json_loads(text, 0, NULL);
	json_t *list = json_object_get(root, "operations");
	assert_int_equal(n, json_array_size(list));
	for (size_t i = 0; i < n; i++) {
		char want[32];
		const char *p =
		    json_string_value(json_object_get(json_array_get(list, i), "prefix"));
		snprintf(want, sizeof(want), "%u.%u.%u.0/24", ops[i].route.prefix >> 24,
		         (ops[i].route.prefix >> 16) & 255u, (ops[i].route.prefix >> 8) & 255u);
		assert_string_equal(p, want);
		assert_int_equal(ops[i].route.prefix_len, 24);
		assert_int_equal(ops[i].kind, SHOAL_CTL_OP_ADD);
		assert_true(ops[i].route.has_next_hop);
		assert_int_equal(ops[i].route.next_hop, 0x0a000202u);
	}
	json_decref(root);
	free(ops);
	/* an error inside the window: its message survives the window */
	const char *bad = "{\"operations\":[{\"op\":\"add\",\"prefix\":\"10.0.0.0/8\","
	                  "\"next_hop\":\"10.0.0.2\"},{\"op\":\"add\",\"prefix\":\"1.2.3.4/8\","
	                  "\"next_hop\":\"10.0.0.2\"}]}";
	assert_int_equal(shoal_api_batch_body(bad, strlen(bad), &ops, &n, &e), -1);
	assert_false(shoal_api_json_arena_active());
	assert_int_equal(e.index, 1);
	assert_non_null(strstr(e.message, "1.2.3.4/8"));
	/* not JSON, not an object: the window is closed too */
	assert_int_equal(shoal_api_batch_body("{\"operations\":[", 15, &ops, &n, &e), -1);
	assert_false(shoal_api_json_arena_active());
	assert_int_equal(shoal_api_batch_body("[1]", 3, &ops, &n, &e), -1);
	assert_false(shoal_api_json_arena_active());
	free(text);
}

#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif

/* Under ASan an overrun of a value made in the arena is a report (a red zone follows each
 * piece): the child process reads one byte past a string and must die. */
static void test_overrun_is_reported(void **state)
{
	(void)state;
#ifdef TEST_ASAN
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct shoal_api_json_arena a;
		shoal_api_json_arena_begin(&a, 0);
		json_t *v = json_loads("[\"0123456789abcde\", \"x\"]", 0, NULL);
		const char *s = json_string_value(json_array_get(v, 0));
		volatile char c = s[16 + 8]; /* past the string and its NUL */
		(void)c;
		_exit(0);
	}
	int st = 0;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_false(WIFEXITED(st) && WEXITSTATUS(st) == 0);
#else
	skip();
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_window_allocates_from_arena),
	    cmocka_unit_test(test_outside_values_freed_inside),
	    cmocka_unit_test(test_other_threads_untouched),
	    cmocka_unit_test(test_batch_same_as_plain_parse),
	    cmocka_unit_test(test_overrun_is_reported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
