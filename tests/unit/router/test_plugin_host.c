/* test_plugin_host.c — plugin host: loading, ABI checks, rollback, hook chain, unload. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shoal/loop.h"
#include "shoal/plugin_host.h"

static const char fixture_dir[] = SHOAL_TEST_FIXTURE_PLUGIN_DIR;
static const char plugin_dir[] = SHOAL_TEST_PLUGIN_DIR;

/* ---- environment seen by plugins ---- */

struct test_env {
	char log[4096];
	size_t log_lines;
	uint8_t sent[64];
	size_t sent_len;
	size_t sent_count;
	uint64_t now;
	struct shoal_loop *loop; /* ABI 1.2 fd and timer services (NULL: not offered) */
};

static void test_env_log(void *user, enum shoal_log_level level, const char *plugin,
                         const char *msg)
{
	struct test_env *te = user;
	size_t used = strlen(te->log);
	snprintf(te->log + used, sizeof(te->log) - used, "%d %s: %s\n", (int)level,
	         plugin ? plugin : "-", msg);
	te->log_lines++;
}

static int test_env_send(void *user, const uint8_t *datagram, size_t len)
{
	struct test_env *te = user;
	if (len > sizeof(te->sent))
		return -EMSGSIZE;
	memcpy(te->sent, datagram, len);
	te->sent_len = len;
	te->sent_count++;
	return 0;
}

static uint64_t test_env_now(void *user)
{
	return ((struct test_env *)user)->now;
}

static int test_env_fd_watch(void *user, int fd, uint32_t events,
                             void (*fn)(void *arg, int fd, uint32_t events), void *arg)
{
	return shoal_loop_add_fd(((struct test_env *)user)->loop, fd, events, fn, arg);
}

static int test_env_fd_modify(void *user, int fd, uint32_t events)
{
	return shoal_loop_mod_fd(((struct test_env *)user)->loop, fd, events);
}

static int test_env_fd_unwatch(void *user, int fd)
{
	return shoal_loop_del_fd(((struct test_env *)user)->loop, fd);
}

static int test_env_interface_info(void *user, uint32_t ifindex, struct shoal_interface_info *out)
{
	(void)user;
	static const char *const names[] = {"lan0", "lan1"};
	if (ifindex == 0 || ifindex > 2)
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	out->ifindex = ifindex;
	snprintf(out->name, sizeof(out->name), "%s", names[ifindex - 1]);
	out->mtu = 1400 + ifindex;
	return 0;
}

struct fixture {
	struct test_env env;
	struct shoal_plugin_host *ph;
	char err[SHOAL_PLUGIN_HOST_ERR_SIZE];
	char path[512];
	char expect[1024];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	struct shoal_plugin_host_env env = {
	    .user = &f->env,
	    .log = test_env_log,
	    .send_datagram = test_env_send,
	    .now_ms = test_env_now,
	};
	f->ph = shoal_plugin_host_create(plugin_dir, &env);
	*state = f;
	return f->ph ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	shoal_plugin_host_destroy(f->ph);
	free(f);
	return 0;
}

static const char *fixture_path(struct fixture *f, const char *name)
{
	snprintf(f->path, sizeof(f->path), "%s/%s.so", fixture_dir, name);
	return f->path;
}

static int load_fixture(struct fixture *f, const char *name, const char *config)
{
	return shoal_plugin_host_load(f->ph, fixture_path(f, name), config, f->err, sizeof(f->err));
}

static uint64_t stat_value(const struct shoal_plugin_stat *arr, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(arr[i].name, name) == 0)
			return arr[i].value;
	fail_msg("no stat named %s", name);
	return 0;
}

static uint64_t counter_of(struct fixture *f, size_t index, const char *name)
{
	struct shoal_plugin_info info;
	assert_int_equal(shoal_plugin_host_info(f->ph, index, &info), 0);
	return stat_value(info.counters, info.counter_count, name);
}

/* A minimal IPv4 header with protocol `proto` in a buffer with spare capacity. */
struct test_packet {
	uint8_t buf[64];
	struct shoal_packet_view view;
};

static void test_packet_init(struct test_packet *p, uint8_t proto)
{
	memset(p, 0, sizeof(*p));
	p->buf[0] = 0x45;
	p->buf[3] = 20;
	p->buf[8] = 64;
	p->buf[9] = proto;
	p->view.data = p->buf;
	p->view.len = 20;
	p->view.capacity = sizeof(p->buf);
	p->view.ingress_ifindex = 1;
}

/* ---- loading by name, example plugin ---- */

static void test_example_loads_by_name_and_logs(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(shoal_plugin_host_load(f->ph, "example", "{\"label\": \"hello\"}", f->err,
	                                        sizeof(f->err)),
	                 0);
	assert_string_equal(f->err, "");
	assert_int_equal(shoal_plugin_host_count(f->ph), 1);
	struct shoal_plugin_info info;
	assert_int_equal(shoal_plugin_host_info(f->ph, 0, &info), 0);
	assert_string_equal(info.name, "example");
	assert_string_equal(info.version, "1.0.0");
	snprintf(f->expect, sizeof(f->expect), "%s/example.so", plugin_dir);
	assert_string_equal(info.path, f->expect);
	assert_int_equal(info.abi_major, SHOAL_PLUGIN_ABI_MAJOR);
	assert_non_null(strstr(f->env.log, "2 example: example plugin loaded (hello)\n"));
	assert_non_null(strstr(f->env.log, "2 example: loaded version 1.0.0 from "));
	assert_int_equal(shoal_plugin_host_info(f->ph, 1, &info), -ENOENT);
}

static void test_example_counts_each_hook_and_tick(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(shoal_plugin_host_load(f->ph, "example", NULL, f->err, sizeof(f->err)), 0);
	struct test_packet p;
	const char *by = "unset";
	for (int i = 0; i < 3; i++) {
		test_packet_init(&p, 17);
		assert_int_equal(
		    shoal_plugin_host_run(f->ph, SHOAL_PLUGIN_HOOK_INGRESS, &p.view, &by),
		    SHOAL_PLUGIN_CONTINUE);
		assert_null(by);
	}
	for (int i = 0; i < 2; i++)
		assert_int_equal(
		    shoal_plugin_host_run(f->ph, SHOAL_PLUGIN_HOOK_EGRESS, &p.view, NULL),
		    SHOAL_PLUGIN_CONTINUE);
	assert_int_equal(
	    shoal_plugin_host_run(f->ph, SHOAL_PLUGIN_HOOK_LOCAL_DELIVERY, &p.view, NULL),
	    SHOAL_PLUGIN_CONTINUE);
	shoal_plugin_host_tick(f->ph, 5);
	assert_int_equal(counter_of(f, 0, "ingress"), 3);
	assert_int_equal(counter_of(f, 0, "egress"), 2);
	assert_int_equal(counter_of(f, 0, "local_delivery"), 1);
	assert_int_equal(counter_of(f, 0, "ticks"), 1);
	struct shoal_plugin_info info;
	assert_int_equal(shoal_plugin_host_info(f->ph, 0, &info), 0);
	assert_int_equal(info.hook_calls[SHOAL_PLUGIN_HOOK_INGRESS], 3);
	assert_int_equal(info.verdicts[SHOAL_PLUGIN_HOOK_INGRESS][SHOAL_PLUGIN_CONTINUE], 3);
	assert_int_equal(info.hook_calls[SHOAL_PLUGIN_HOOK_EGRESS], 2);
	assert_int_equal(shoal_plugin_host_registration_count(f->ph), 5);
}

static void test_example_config_drops_protocol_with_reason(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(shoal_plugin_host_load(f->ph, "example", "{\"drop_protocol\": 6}", f->err,
	                                        sizeof(f->err)),
	                 0);
	struct test_packet p;
	test_packet_init(&p, 17);
	assert_int_equal(shoal_plugin_host_run(f->ph, SHOAL_PLUGIN_HOOK_INGRESS, &p.view, NULL),
	                 SHOAL_PLUGIN_CONTINUE);
	test_packet_init(&p, 6);
	const char *by = NULL;
	assert_int_equal(shoal_plugin_host_run(f->ph, SHOAL_PLUGIN_HOOK_INGRESS, &p.view, &by),
	                 SHOAL_PLUGIN_DROP);
	assert_string_equal(by, "example");
	struct shoal_plugin_info info;
	assert_int_equal(shoal_plugin_host_info(f->ph, 0, &info), 0);
	assert_true(p.view.drop_reason > 0 && p.view.drop_reason < info.drop_reason_count);
	assert_string_equal(info.drop_reasons[p.view.drop_reason].name, "blocked_protocol");
	assert_int_equal(stat_value(info.drop_reasons, info.drop_reason_count, "blocked_protocol"),
	                 1);
	assert_int_equal(stat_value(info.drop_reasons, info.drop_reason_count, "unspecified"), 0);
}

static void test_example_bad_config_fails_init_with_reason(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(shoal_plugin_host_load(f->ph, "example", "{\"drop_protocol\": \"tcp\"}",
	                                        f->err, sizeof(f->err)),
	                 -EINVAL);
	snprintf(f->expect, sizeof(f->expect),
	         "plugin \"example\" (%s/example.so): init failed: config: drop_protocol must be "
	         "an integer 0..255 (Invalid argument)",
	         plugin_dir);
	assert_string_equal(f->err, f->expect);
	assert_int_equal(shoal_plugin_host_count(f->ph), 0);
}

static void test_config_not_an_object_is_refused(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(shoal_plugin_host_load(f->ph, "example", "[1]", f->err, sizeof(f->err)),
	                 -EINVAL);
	snprintf(f->expect, sizeof(f->expect),
	         "plugin %s/example.so: bad config: not a JSON object", plugin_dir);
	assert_string_equal(f->err, f->expect);
	assert_int_equal(shoal_plugin_host_count(f->ph), 0);
}

static void test_invalid_name_is_refused(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(shoal_plugin_host_load(f->ph, "Ex-ample", NULL, f->err, sizeof(f->err)),
	                 -EINVAL);
	assert_string_equal(
	    f->err, "plugin \"Ex-ample\": invalid name (expected [a-z0-9_]{1,31} or a path)");
}

/* ---- refusals leave the host unchanged ---- */

static void load_example_first(struct fixture *f)
{
	assert_int_equal(shoal_plugin_host_load(f->ph, "example", NULL, f->err, sizeof(f->err)), 0);
	assert_int_equal(shoal_plugin_host_registration_count(f->ph), 5);
}

static void assert_host_unchanged(struct fixture *f)
{
	assert_int_equal(shoal_plugin_host_count(f->ph), 1);
	assert_int_equal(shoal_plugin_host_registration_count(f->ph), 5);
	struct shoal_plugin_info info;
	assert_int_equal(shoal_plugin_host_info(f->ph, 0, &info), 0);
	assert_string_equal(info.name, "example");
	/* and the host still works */
	struct test_packet p;
	test_packet_init(&p, 1);
	assert_int_equal(shoal_plugin_host_run(f->ph, SHOAL_PLUGIN_HOOK_INGRESS, &p.view, NULL),
	                 SHOAL_PLUGIN_CONTINUE);
	assert_int_equal(counter_of(f, 0, "ingress"), 1);
}

static void test_missing_file_is_refused_with_dlerror(void **state)
{
	struct fixture *f = *state;
	load_example_first(f);
	assert_int_equal(shoal_plugin_host_load(f->ph, "nonexistent", NULL, f->err, sizeof(f->err)),
	                 -ENOENT);
	snprintf(f->expect, sizeof(f->expect),
	         "plugin %s/nonexistent.so: cannot load: %s/nonexistent.so: cannot open shared "
	         "object file: No such file or directory",
	         plugin_dir, plugin_dir);
	assert_string_equal(f->err, f->expect);
	assert_host_unchanged(f);
}

static void test_missing_symbol_is_refused(void **state)
{
	struct fixture *f = *state;
	load_example_first(f);
	assert_int_equal(load_fixture(f, "no_symbol", NULL), -ENOENT);
	snprintf(f->expect, sizeof(f->expect),
	         "plugin %s/no_symbol.so: no \"shoal_plugin\" symbol (not a Shoal plugin?)",
	         fixture_dir);
	assert_string_equal(f->err, f->expect);
	assert_host_unchanged(f);
}

static void test_wrong_abi_major_is_refused_naming_both_versions(void **state)
{
	struct fixture *f = *state;
	load_example_first(f);
	assert_int_equal(load_fixture(f, "bad_abi", NULL), -EPROTO);
	snprintf(f->expect, sizeof(f->expect),
	         "plugin %s/bad_abi.so: ABI 2.0 not supported by host ABI %d.%d (needs major %d, "
	         "minor <= %d)",
	         fixture_dir, SHOAL_PLUGIN_ABI_MAJOR, SHOAL_PLUGIN_ABI_MINOR,
	         SHOAL_PLUGIN_ABI_MAJOR, SHOAL_PLUGIN_ABI_MINOR);
	assert_string_equal(f->err, f->expect);
	assert_host_unchanged(f);
}

static void test_newer_abi_minor_is_refused(void **state)
{
	struct fixture *f = *state;
	load_example_first(f);
	assert_int_equal(load_fixture(f, "too_new", NULL), -EPROTO);
	snprintf(f->expect, sizeof(f->expect),
	         "plugin %s/too_new.so: ABI %d.%d not supported by host ABI %d.%d (needs major %d, "
	         "minor <= %d)",
	         fixture_dir, SHOAL_PLUGIN_ABI_MAJOR, SHOAL_PLUGIN_ABI_MINOR + 1,
	         SHOAL_PLUGIN_ABI_MAJOR, SHOAL_PLUGIN_ABI_MINOR, SHOAL_PLUGIN_ABI_MAJOR,
	         SHOAL_PLUGIN_ABI_MINOR);
	assert_string_equal(f->err, f->expect);
	assert_host_unchanged(f);
}

static void test_short_descriptor_is_refused(void **state)
{
	struct fixture *f = *state;
	load_example_first(f);
	assert_int_equal(load_fixture(f, "short_desc", NULL), -EPROTO);
	snprintf(f->expect, sizeof(f->expect),
	         "plugin %s/short_desc.so: descriptor size 16 too small for ABI %d.0 (needs %zu)",
	         fixture_dir, SHOAL_PLUGIN_ABI_MAJOR, shoal_plugin_descriptor_size_for_minor(0));
	assert_string_equal(f->err, f->expect);
	assert_host_unchanged(f);
}

/* A plugin built for ABI 1.0 (descriptor ending at tick) loads on a 1.1 host, its hooks run,
 * and the host never touches the 1.1 fields (ASan would report a read past its descriptor). */
static void test_abi_1_0_plugin_still_loads(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(load_fixture(f, "abi10", NULL), 0);
	struct shoal_plugin_info info;
	assert_int_equal(shoal_plugin_host_info(f->ph, 0, &info), 0);
	assert_string_equal(info.name, "abi10");
	assert_int_equal(info.abi_major, 1);
	assert_int_equal(info.abi_minor, 0);
	uint8_t dgram[20] = {0x45};
	struct shoal_packet_view v = {
	    .data = dgram, .len = sizeof(dgram), .capacity = sizeof(dgram)};
	assert_int_equal(shoal_plugin_host_run(f->ph, SHOAL_PLUGIN_HOOK_INGRESS, &v, NULL),
	                 SHOAL_PLUGIN_CONTINUE);
	assert_int_equal(counter_of(f, 0, "ingress"), 1);
	struct shoal_http_reply *reply = shoal_plugin_host_http_reply_new();
	assert_non_null(reply);
	struct shoal_http_request req = {.method = "GET", .subpath = ""};
	assert_int_equal(shoal_plugin_host_http(f->ph, "abi10", &req, reply), -ENOTSUP);
	free(reply);
}

/* ABI 1.1: the host calls the http hook of the named plugin with a preset reply. */
static void test_http_hook_of_example(void **state)
{
	struct fixture *f = *state;
	load_example_first(f);
	struct shoal_http_reply *reply = shoal_plugin_host_http_reply_new();
	assert_non_null(reply);
	struct shoal_http_request get = {.method = "GET", .subpath = "stats"};
	assert_int_equal(shoal_plugin_host_http(f->ph, "example", &get, reply), 0);
	assert_int_equal(reply->status, 200);
	assert_non_null(strstr(reply->body, "\"ingress\":0"));
	struct shoal_http_request post = {
	    .method = "POST", .subpath = "stats", .body = "{}", .body_len = 2};
	assert_int_equal(shoal_plugin_host_http(f->ph, "example", &post, reply), 0);
	assert_int_equal(reply->status, 405);
	assert_int_equal(shoal_plugin_host_http(f->ph, "nope", &get, reply), -ENOENT);
	free(reply);
}

/* ---- ABI 1.2 ---- */

struct fixture12 {
	struct fixture f;
	struct shoal_loop loop;
	struct shoal_http_reply *reply;
};

static int setup12(void **state)
{
	struct fixture12 *x = calloc(1, sizeof(*x));
	if (!x)
		return -1;
	if (shoal_loop_init(&x->loop, 1000) < 0) {
		free(x);
		return -1;
	}
	x->f.env.loop = &x->loop;
	struct shoal_plugin_host_env env = {
	    .user = &x->f.env,
	    .log = test_env_log,
	    .now_ms = test_env_now,
	    .fd_watch = test_env_fd_watch,
	    .fd_modify = test_env_fd_modify,
	    .fd_unwatch = test_env_fd_unwatch,
	    .interface_info = test_env_interface_info,
	};
	x->f.ph = shoal_plugin_host_create(plugin_dir, &env);
	x->reply = shoal_plugin_host_http_reply_new();
	*state = x;
	return x->f.ph && x->reply ? 0 : -1;
}

static int teardown12(void **state)
{
	struct fixture12 *x = *state;
	shoal_plugin_host_destroy(x->f.ph);
	shoal_loop_fini(&x->loop);
	free(x->reply);
	free(x);
	return 0;
}

static unsigned loop_fds_in_use(const struct shoal_loop *loop)
{
	unsigned n = 0;
	for (unsigned i = 0; i < SHOAL_LOOP_MAX_FDS; i++)
		n += loop->slots[i].fd >= 0;
	return n;
}

static int http12(struct fixture12 *x, const char *name, const char *method, const char *subpath,
                  const char *key, const char *value)
{
	struct shoal_http_param q = {.key = key, .value = value};
	struct shoal_http_request req = {
	    .method = method, .subpath = subpath, .n_query = key ? 1 : 0, .query = &q};
	return shoal_plugin_host_http(x->f.ph, name, &req, x->reply);
}

/* Runs the loop until *counter reaches want or 2 s pass; returns the final value. The test
 * env's clock follows the real one so the plugin's timer deadlines are meaningful. */
static uint64_t loop_until(struct fixture12 *x, const char *counter, uint64_t want)
{
	uint64_t deadline = shoal_loop_clock_ms() + 2000;
	uint64_t v;
	while ((v = counter_of(&x->f, 0, counter)) < want && shoal_loop_clock_ms() < deadline) {
		x->f.env.now = shoal_loop_clock_ms();
		shoal_loop_run_once(&x->loop, 10);
	}
	return v;
}

static int http_body(struct fixture12 *x, const char *method, const char *subpath, const char *body)
{
	struct shoal_http_request req = {.method = method,
	                                 .subpath = subpath,
	                                 .body = body,
	                                 .body_len = body ? strlen(body) : 0};
	return shoal_plugin_host_http(x->f.ph, "records", &req, x->reply);
}

static const char *records_get(struct fixture12 *x)
{
	assert_int_equal(http_body(x, "GET", "rec", NULL), 0);
	return x->reply->body;
}

/* ABI 1.3 records: store_put only inside http_request; a put stages the new and the previous
 * value; undo gives the plugin the previous value back through store_load; nothing staged
 * by a request that puts nothing; bad keys are refused. */
static void test_abi_1_3_records_staging_and_undo(void **state)
{
	struct fixture12 *x = *state;
	assert_int_equal(load_fixture(&x->f, "records", NULL), 0);
	assert_int_equal(counter_of(&x->f, 0, "put_outside_http"), 1);
	assert_null(shoal_plugin_host_staged_take(x->f.ph));

	assert_int_equal(http_body(x, "POST", "rec/pf/tcp/80", "one"), 0);
	assert_int_equal(x->reply->status, 201);
	struct shoal_plugin_staged *st = shoal_plugin_host_staged_take(x->f.ph);
	assert_non_null(st);
	assert_null(shoal_plugin_host_staged_take(x->f.ph)); /* taken once */
	assert_int_equal(st->n, 1);
	assert_string_equal(st->r[0].now.plugin, "records");
	assert_string_equal(st->r[0].now.key, "pf/tcp/80");
	assert_int_equal(st->r[0].now.len, 3);
	assert_memory_equal(st->r[0].now.value, "one", 3);
	assert_false(st->r[0].now_deleted);
	assert_true(st->r[0].before_deleted);
	shoal_plugin_staged_free(st); /* "committed" */
	assert_string_equal(records_get(x), "{\"pf/tcp/80\":\"one\"}");
	assert_null(shoal_plugin_host_staged_take(x->f.ph)); /* a GET stages nothing */

	/* replace, then the commit "fails": undo restores "one" in the plugin */
	assert_int_equal(http_body(x, "POST", "rec/pf/tcp/80", "two"), 0);
	assert_string_equal(records_get(x), "{\"pf/tcp/80\":\"two\"}");
	/* records_get ran a request: the POST's staging was dropped with it; stage again */
	assert_int_equal(http_body(x, "POST", "rec/pf/tcp/80", "two"), 0);
	st = shoal_plugin_host_staged_take(x->f.ph);
	assert_non_null(st);
	assert_int_equal(st->n, 1);
	assert_false(st->r[0].before_deleted);
	assert_memory_equal(st->r[0].before.value, "two", 3);
	assert_int_equal(shoal_plugin_host_staged_undo(x->f.ph, st), 0);
	shoal_plugin_staged_free(st);
	assert_string_equal(records_get(x), "{\"pf/tcp/80\":\"two\"}");

	/* a deletion undone comes back; a new record undone disappears */
	assert_int_equal(http_body(x, "DELETE", "rec/pf/tcp/80", NULL), 0);
	st = shoal_plugin_host_staged_take(x->f.ph);
	assert_true(st->r[0].now_deleted);
	assert_string_equal(records_get(x), "{}");
	assert_int_equal(shoal_plugin_host_staged_undo(x->f.ph, st), 0);
	shoal_plugin_staged_free(st);
	assert_string_equal(records_get(x), "{\"pf/tcp/80\":\"two\"}");
	assert_int_equal(http_body(x, "POST", "rec/new", "n"), 0);
	st = shoal_plugin_host_staged_take(x->f.ph);
	assert_int_equal(shoal_plugin_host_staged_undo(x->f.ph, st), 0);
	shoal_plugin_staged_free(st);
	assert_string_equal(records_get(x), "{\"pf/tcp/80\":\"two\"}");

	/* bad keys: refused by the host, nothing staged */
	assert_int_equal(http_body(x, "POST", "rec/bad key", "x"), 0);
	assert_int_equal(x->reply->status, 400);
	assert_string_equal(x->reply->body, "{\"rc\":-22}");
	assert_null(shoal_plugin_host_staged_take(x->f.ph));

	/* the host kept the records: an unload and a load hand them back */
	char err[256];
	assert_int_equal(shoal_plugin_host_unload(x->f.ph, "records", err, sizeof(err)), 0);
	assert_int_equal(load_fixture(&x->f, "records", NULL), 0);
	assert_string_equal(records_get(x), "{\"pf/tcp/80\":\"two\"}");
}

/* Restore (at start, from state.db): each loaded plugin gets its own records only, and a
 * plugin loaded later gets its records at load; a record store_load refuses is logged. */
static void test_abi_1_3_records_restore(void **state)
{
	struct fixture12 *x = *state;
	assert_int_equal(load_fixture(&x->f, "records", NULL), 0);
	struct shoal_state s = {0};
	assert_int_equal(shoal_state_add_record(&s, "records", "a", "1", 1), 0);
	assert_int_equal(shoal_state_add_record(&s, "other", "b", "2", 1), 0);
	char big[100];
	memset(big, 'x', sizeof(big));
	assert_int_equal(shoal_state_add_record(&s, "records", "big", big, sizeof(big)), 0);
	assert_int_equal(shoal_plugin_host_records_restore(x->f.ph, &s), 0);
	shoal_state_free(&s);
	assert_string_equal(records_get(x), "{\"a\":\"1\"}");
	assert_non_null(strstr(x->f.env.log, "stored record \"big\" refused"));
	/* a 1.2 plugin loads next to it and is never handed records */
	assert_int_equal(load_fixture(&x->f, "abi12", NULL), 0);
	struct shoal_plugin_info info;
	assert_int_equal(shoal_plugin_host_info(x->f.ph, 1, &info), 0);
	assert_int_equal(info.abi_minor, 2);
}

/* A 1.1 plugin (descriptor ending at http) loads on a 1.2 host, its http hook answers, and a
 * request with query parameters, which it cannot see, is refused rather than half-served. */
static void test_abi_1_1_plugin_still_loads(void **state)
{
	struct fixture12 *x = *state;
	assert_int_equal(load_fixture(&x->f, "abi11", NULL), 0);
	struct shoal_plugin_info info;
	assert_int_equal(shoal_plugin_host_info(x->f.ph, 0, &info), 0);
	assert_int_equal(info.abi_minor, 1);
	assert_int_equal(http12(x, "abi11", "GET", "sub", NULL, NULL), 0);
	assert_string_equal(x->reply->body, "{\"minor\":1,\"subpath\":\"sub\"}");
	assert_int_equal(http12(x, "abi11", "GET", "sub", "limit", "5"), -EINVAL);
}

/* A 1.2 plugin (descriptor ending at http_request) loads on a 1.3 host; the host never
 * reads the 1.3 metrics hook past its descriptor. */
static void test_abi_1_2_plugin_still_loads(void **state)
{
	struct fixture12 *x = *state;
	assert_int_equal(load_fixture(&x->f, "abi12", NULL), 0);
	struct shoal_plugin_info info;
	assert_int_equal(shoal_plugin_host_info(x->f.ph, 0, &info), 0);
	assert_int_equal(info.abi_minor, 2);
	char buf[64] = "untouched";
	assert_int_equal(shoal_plugin_host_metrics(x->f.ph, 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "untouched");
	assert_int_equal(http12(x, "abi12", "GET", "echo", NULL, NULL), 0);
	assert_int_equal(x->reply->status, 200);
}

/* ---- ABI 1.4: input_datagram ---- */

struct test_input {
	uint8_t data[64];
	size_t len;
	uint32_t ifindex;
	uint64_t after_id;
	size_t count;
	int rc; /* what the env answers */
};

static int test_env_input(void *user, uint32_t ifindex, uint64_t after_id, const uint8_t *datagram,
                          size_t len)
{
	struct test_input *ti = user;
	if (ti->rc < 0)
		return ti->rc;
	if (len > sizeof(ti->data))
		return -EMSGSIZE;
	memcpy(ti->data, datagram, len);
	ti->len = len;
	ti->ifindex = ifindex;
	ti->after_id = after_id;
	ti->count++;
	return 0;
}

static struct shoal_plugin_host *host_with_input(struct test_input *ti)
{
	struct shoal_plugin_host_env env = {.user = ti, .input_datagram = test_env_input};
	return shoal_plugin_host_create(plugin_dir, &env);
}

static int load_into(struct shoal_plugin_host *ph, const char *name, char *err)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s.so", fixture_dir, name);
	return shoal_plugin_host_load(ph, path, NULL, err, SHOAL_PLUGIN_HOST_ERR_SIZE);
}

/* The datagram abi14 hands back resumes after abi14: tag_a (loaded before it) and abi14
 * itself do not see it again, tag_b (after) does, so it cannot loop. The host counts the
 * accepted and the refused calls. */
static void test_abi_1_4_input_datagram_resumes_after_the_caller(void **state)
{
	(void)state;
	struct test_input ti = {0};
	char err[SHOAL_PLUGIN_HOST_ERR_SIZE];
	struct shoal_plugin_host *ph = host_with_input(&ti);
	assert_non_null(ph);
	assert_int_equal(load_into(ph, "tag_a", err), 0);
	assert_int_equal(load_into(ph, "abi14", err), 0);
	assert_int_equal(load_into(ph, "tag_b", err), 0);
	struct test_packet p;
	test_packet_init(&p, 17);
	p.view.ingress_ifindex = 2;
	const char *by = NULL;
	assert_int_equal(shoal_plugin_host_run(ph, SHOAL_PLUGIN_HOOK_INGRESS, &p.view, &by),
	                 SHOAL_PLUGIN_CONSUMED);
	assert_string_equal(by, "abi14");
	assert_int_equal(ti.count, 1);
	assert_int_equal(ti.ifindex, 2);
	assert_int_equal(ti.len, 22); /* tag_a's 'a', then abi14's 'i' */
	assert_memory_equal(ti.data + 20, "ai", 2);
	/* the host resumes the pipeline after the caller: only tag_b runs */
	struct shoal_packet_view v = {.data = ti.data,
	                              .len = (uint32_t)ti.len,
	                              .capacity = sizeof(ti.data),
	                              .ingress_ifindex = 2};
	assert_int_equal(
	    shoal_plugin_host_run_after(ph, SHOAL_PLUGIN_HOOK_INGRESS, ti.after_id, &v, &by),
	    SHOAL_PLUGIN_CONTINUE);
	assert_int_equal(v.len, 23);
	assert_memory_equal(ti.data + 20, "aib", 3);
	assert_int_equal(ti.count, 1); /* abi14 did not run again */
	struct shoal_plugin_info info;
	assert_int_equal(shoal_plugin_host_info(ph, 1, &info), 0);
	assert_int_equal(info.input_datagrams, 1);
	assert_int_equal(info.input_refused, 0);
	assert_int_equal(stat_value(info.counters, info.counter_count, "handed"), 1);
	/* a refusal reaches the plugin and is counted */
	ti.rc = -ENOBUFS;
	test_packet_init(&p, 17);
	assert_int_equal(shoal_plugin_host_run(ph, SHOAL_PLUGIN_HOOK_INGRESS, &p.view, &by),
	                 SHOAL_PLUGIN_CONSUMED);
	assert_int_equal(shoal_plugin_host_info(ph, 1, &info), 0);
	assert_int_equal(info.input_datagrams, 1);
	assert_int_equal(info.input_refused, 1);
	assert_int_equal(stat_value(info.counters, info.counter_count, "last_rc"), ENOBUFS);
	/* the caller unloaded meanwhile: its datagram still resumes after its place */
	uint64_t after = ti.after_id;
	assert_int_equal(shoal_plugin_host_unload(ph, "abi14", err, sizeof(err)), 0);
	test_packet_init(&p, 17);
	assert_int_equal(
	    shoal_plugin_host_run_after(ph, SHOAL_PLUGIN_HOOK_INGRESS, after, &p.view, &by),
	    SHOAL_PLUGIN_CONTINUE);
	assert_int_equal(p.view.len, 21);
	assert_int_equal(p.buf[20], 'b');
	/* after_id 0 runs everyone */
	test_packet_init(&p, 17);
	assert_int_equal(
	    shoal_plugin_host_run_after(ph, SHOAL_PLUGIN_HOOK_INGRESS, 0, &p.view, &by),
	    SHOAL_PLUGIN_CONTINUE);
	assert_memory_equal(p.buf + 20, "ab", 2);
	shoal_plugin_host_destroy(ph);
}

/* Without the daemon's service the call is -ENOTSUP (counted as refused); plugins built for
 * minors 0..3 keep loading on a 1.4 host (their tests above), and a 1.4 plugin's descriptor
 * needs no more than a 1.3 one. */
static void test_abi_1_4_input_datagram_without_env(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(load_fixture(f, "abi14", NULL), 0);
	struct test_packet p;
	test_packet_init(&p, 17);
	assert_int_equal(shoal_plugin_host_run(f->ph, SHOAL_PLUGIN_HOOK_INGRESS, &p.view, NULL),
	                 SHOAL_PLUGIN_CONSUMED);
	assert_int_equal(counter_of(f, 0, "last_rc"), ENOTSUP);
	struct shoal_plugin_info info;
	assert_int_equal(shoal_plugin_host_info(f->ph, 0, &info), 0);
	assert_int_equal(info.abi_minor, 4);
	assert_int_equal(info.input_refused, 1);
	assert_int_equal(shoal_plugin_descriptor_size_for_minor(4),
	                 shoal_plugin_descriptor_size_for_minor(3));
	assert_int_equal(load_fixture(f, "abi13", NULL), 0);
	assert_int_equal(shoal_plugin_host_info(f->ph, 1, &info), 0);
	assert_int_equal(info.abi_minor, 3);
}

/* ABI 1.3: the metrics hook's text comes back whole; too small a buffer is -ENOSPC; past
 * the last plugin -ENOENT. Without the service, interface_counters is -ENOENT. */
static void test_abi_1_3_metrics_hook(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(load_fixture(f, "abi13", "{\"lines\":3}"), 0);
	char buf[512];
	int n = shoal_plugin_host_metrics(f->ph, 0, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(buf));
	assert_non_null(strstr(buf, "(counters_rc -2)"));
	assert_non_null(strstr(buf, "shoal_abi13_sample{i=\"2\"} 2\n"));
	assert_null(strstr(buf, "i=\"3\""));
	assert_int_equal(shoal_plugin_host_metrics(f->ph, 0, buf, 40), -ENOSPC);
	assert_int_equal(shoal_plugin_host_metrics(f->ph, 1, buf, sizeof(buf)), -ENOENT);
}

/* ABI 1.3 metrics_options: nobody asked -> token, no routes; public when one plugin says so;
 * the largest route limit (-1 = all wins); undone at unload. */
static void test_abi_1_3_metrics_options(void **state)
{
	struct fixture *f = *state;
	bool pub;
	int64_t limit;
	shoal_plugin_host_metrics_options(f->ph, &pub, &limit);
	assert_false(pub);
	assert_int_equal(limit, 0);
	assert_int_equal(load_fixture(f, "abi13", "{\"public\":1,\"routes\":5}"), 0);
	shoal_plugin_host_metrics_options(f->ph, &pub, &limit);
	assert_true(pub);
	assert_int_equal(limit, 5);
	assert_int_equal(shoal_plugin_host_unload(f->ph, "abi13", NULL, 0), 0);
	assert_int_equal(load_fixture(f, "abi13", "{\"public\":0,\"routes\":-1}"), 0);
	shoal_plugin_host_metrics_options(f->ph, &pub, &limit);
	assert_false(pub);
	assert_int_equal(limit, -1);
	assert_int_equal(shoal_plugin_host_unload(f->ph, "abi13", NULL, 0), 0);
	shoal_plugin_host_metrics_options(f->ph, &pub, &limit);
	assert_false(pub);
	assert_int_equal(limit, 0);
}

/* http_request sees the decoded query; bodies may exceed the 1.1 bound of 64 KiB. */
static void test_abi_1_2_http_request_query_and_big_body(void **state)
{
	struct fixture12 *x = *state;
	assert_int_equal(load_fixture(&x->f, "abi12", NULL), 0);
	assert_int_equal(http12(x, "abi12", "GET", "echo", "limit", "10"), 0);
	assert_int_equal(x->reply->status, 200);
	assert_string_equal(
	    x->reply->body,
	    "{\"method\":\"GET\",\"subpath\":\"echo\",\"query\":[[\"limit\",\"10\"]]}");
	assert_int_equal(http12(x, "abi12", "GET", "big", "n", "300000"), 0);
	assert_int_equal(strlen(x->reply->body), 300000);
	assert_true(SHOAL_PLUGIN_HOST_HTTP_BODY_MAX > 300000);
}

/* fd_watch: the callback runs from the loop; the plugin's unwatch removes the fd. */
static void test_abi_1_2_fd_watch(void **state)
{
	struct fixture12 *x = *state;
	assert_int_equal(load_fixture(&x->f, "abi12", NULL), 0);
	unsigned before = loop_fds_in_use(&x->loop);
	assert_int_equal(http12(x, "abi12", "POST", "pipe", NULL, NULL), 0);
	assert_int_equal(x->reply->status, 200);
	assert_int_equal(loop_fds_in_use(&x->loop), before + 1);
	assert_int_equal(loop_until(x, "fd_reads", 1), 1);
	assert_int_equal(loop_fds_in_use(&x->loop), before);
}

/* The host unwatches what a plugin left watched, and its timer fd, at unload. */
static void test_abi_1_2_unload_releases_fds_and_timer(void **state)
{
	struct fixture12 *x = *state;
	unsigned before = loop_fds_in_use(&x->loop);
	assert_int_equal(load_fixture(&x->f, "abi12", NULL), 0);
	x->f.env.now = shoal_loop_clock_ms();
	assert_int_equal(http12(x, "abi12", "POST", "timer", "in", "100000"), 0);
	assert_string_equal(x->reply->body, "{\"rc\":0}");
	assert_int_equal(http12(x, "abi12", "POST", "leak", NULL, NULL), 0);
	assert_string_equal(x->reply->body, "{\"rc\":0}");
	assert_int_equal(loop_fds_in_use(&x->loop), before + 2);
	assert_int_equal(shoal_plugin_host_unload(x->f.ph, "abi12", x->f.err, sizeof(x->f.err)), 0);
	assert_int_equal(loop_fds_in_use(&x->loop), before);
}

/* timer_set fires once, not before its time; a cancelled timer never fires. */
static void test_abi_1_2_timer(void **state)
{
	struct fixture12 *x = *state;
	assert_int_equal(load_fixture(&x->f, "abi12", NULL), 0);
	x->f.env.now = shoal_loop_clock_ms();
	uint64_t start = x->f.env.now;
	assert_int_equal(http12(x, "abi12", "POST", "timer", "in", "30"), 0);
	assert_int_equal(loop_until(x, "timer_fired", 1), 1);
	assert_true(shoal_loop_clock_ms() >= start + 30);
	/* fired once: more loop iterations do not fire it again */
	for (int i = 0; i < 5; i++)
		shoal_loop_run_once(&x->loop, 5);
	assert_int_equal(counter_of(&x->f, 0, "timer_fired"), 1);

	x->f.env.now = shoal_loop_clock_ms();
	assert_int_equal(http12(x, "abi12", "POST", "timer", "in", "10"), 0);
	assert_int_equal(http12(x, "abi12", "POST", "cancel", NULL, NULL), 0);
	assert_string_equal(x->reply->body, "{\"rc\":0}");
	uint64_t until = shoal_loop_clock_ms() + 60;
	while (shoal_loop_clock_ms() < until)
		shoal_loop_run_once(&x->loop, 10);
	assert_int_equal(counter_of(&x->f, 0, "timer_fired"), 1);
}

/* interface_index / interface_info come from the env (the data plane's interfaces). */
static void test_abi_1_2_interfaces(void **state)
{
	struct fixture12 *x = *state;
	assert_int_equal(load_fixture(&x->f, "abi12", NULL), 0);
	assert_int_equal(http12(x, "abi12", "GET", "iface", "name", "lan1"), 0);
	assert_string_equal(x->reply->body, "{\"ifindex\":2,\"name\":\"lan1\",\"mtu\":1402}");
	assert_int_equal(http12(x, "abi12", "GET", "iface", "name", "nope"), 0);
	assert_int_equal(x->reply->status, 404);
}

/* Without the env's loop services, fd_watch and timer_set say so (-ENOTSUP). */
static void test_abi_1_2_services_without_env(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(load_fixture(f, "abi12", NULL), 0);
	struct shoal_http_reply *reply = shoal_plugin_host_http_reply_new();
	assert_non_null(reply);
	struct shoal_http_param q = {.key = "in", .value = "5"};
	struct shoal_http_request req = {
	    .method = "POST", .subpath = "timer", .n_query = 1, .query = &q};
	assert_int_equal(shoal_plugin_host_http(f->ph, "abi12", &req, reply), 0);
	char expect[32];
	snprintf(expect, sizeof(expect), "{\"rc\":%d}", -ENOTSUP);
	assert_string_equal(reply->body, expect);
	free(reply);
}

/* ---- trust: plugin files and directories (docs/plugins.md "Trust") ---- */

struct trust {
	char base[64];
	char path[512];
};

static void trust_copy(const char *from, const char *to, mode_t mode)
{
	FILE *in = fopen(from, "rb");
	assert_non_null(in);
	FILE *out = fopen(to, "wb");
	assert_non_null(out);
	char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	fclose(out);
	assert_int_equal(chmod(to, mode), 0);
}

/* Makes base/dir (mode dmode) holding tag_a.so (mode fmode); returns its path in t->path. */
static const char *trust_plugin(struct trust *t, const char *dir, mode_t dmode, mode_t fmode)
{
	char d[300], src[512];
	snprintf(d, sizeof(d), "%s/%s", t->base, dir);
	assert_int_equal(mkdir(d, 0700), 0);
	snprintf(t->path, sizeof(t->path), "%s/tag_a.so", d);
	snprintf(src, sizeof(src), "%s/tag_a.so", fixture_dir);
	trust_copy(src, t->path, fmode);
	assert_int_equal(chmod(d, dmode), 0);
	return t->path;
}

static void trust_cleanup(struct trust *t)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->base);
	assert_int_equal(system(cmd), 0);
}

static void trust_init(struct trust *t)
{
	/* the checks need root (chown to another user); make test runs as root */
	assert_int_equal(geteuid(), 0);
	snprintf(t->base, sizeof(t->base), "/tmp/shoal-trust-XXXXXX");
	assert_non_null(mkdtemp(t->base));
}

static void assert_refused(struct fixture *f, const char *path, const char *rule)
{
	assert_int_equal(shoal_plugin_host_load(f->ph, path, NULL, f->err, sizeof(f->err)), -EPERM);
	if (!strstr(f->err, rule) || !strstr(f->err, "refused"))
		fail_msg("expected a refusal naming \"%s\", got: %s", rule, f->err);
	assert_int_equal(shoal_plugin_host_count(f->ph), 0);
}

/* A plugin in a root-owned 0755 directory, itself 0644, loads; so does one below a sticky
 * world-writable directory (like /tmp) when the entry below it is root's. */
static void test_trust_accepts_safe_paths(void **state)
{
	struct fixture *f = *state;
	struct trust t;
	trust_init(&t);
	assert_int_equal(shoal_plugin_host_load(f->ph, trust_plugin(&t, "ok", 0755, 0644), NULL,
	                                        f->err, sizeof(f->err)),
	                 0);
	assert_int_equal(shoal_plugin_host_unload(f->ph, "tag_a", f->err, sizeof(f->err)), 0);
	char sticky[300];
	snprintf(sticky, sizeof(sticky), "%s/sticky", t.base);
	assert_int_equal(mkdir(sticky, 0755), 0);
	assert_int_equal(chmod(sticky, 01777), 0);
	assert_int_equal(shoal_plugin_host_load(f->ph, trust_plugin(&t, "sticky/ok", 0755, 0644),
	                                        NULL, f->err, sizeof(f->err)),
	                 0);
	trust_cleanup(&t);
}

static void test_trust_refuses_writable_directory(void **state)
{
	struct fixture *f = *state;
	struct trust t;
	trust_init(&t);
	assert_refused(f, trust_plugin(&t, "w", 0777, 0644),
	               "is writable by group or others (mode 0777)");
	assert_refused(f, trust_plugin(&t, "g", 0775, 0644),
	               "is writable by group or others (mode 0775)");
	trust_cleanup(&t);
}

static void test_trust_refuses_writable_file(void **state)
{
	struct fixture *f = *state;
	struct trust t;
	trust_init(&t);
	assert_refused(f, trust_plugin(&t, "d", 0755, 0666), "file ");
	assert_refused(f, t.path, "is writable by group or others (mode 0666)");
	trust_cleanup(&t);
}

static void test_trust_refuses_other_owners(void **state)
{
	struct fixture *f = *state;
	struct trust t;
	trust_init(&t);
	const char *p = trust_plugin(&t, "d", 0755, 0644);
	assert_int_equal(chown(p, 65534, 65534), 0);
	assert_refused(f, p, "is owned by uid 65534");
	const char *q = trust_plugin(&t, "e", 0755, 0644);
	char dir[300];
	snprintf(dir, sizeof(dir), "%s/e", t.base);
	assert_int_equal(chown(dir, 65534, 65534), 0);
	assert_refused(f, q, "directory ");
	assert_refused(f, q, "is owned by uid 65534");
	trust_cleanup(&t);
}

/* A symlink from a trusted directory into a world-writable one, and a symlink in a writable
 * directory pointing at a trusted file, are both refused. */
static void test_trust_refuses_symlinks_out_of_trust(void **state)
{
	struct fixture *f = *state;
	struct trust t;
	trust_init(&t);
	char target[512], link[512], dir[300];
	snprintf(target, sizeof(target), "%s", trust_plugin(&t, "w", 0777, 0644));
	snprintf(dir, sizeof(dir), "%s/ok", t.base);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(link, sizeof(link), "%s/ok/tag_a.so", t.base);
	assert_int_equal(symlink(target, link), 0);
	assert_refused(f, link, "is writable by group or others (mode 0777)");

	snprintf(target, sizeof(target), "%s", trust_plugin(&t, "good", 0755, 0644));
	snprintf(dir, sizeof(dir), "%s/w2", t.base);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(link, sizeof(link), "%s/w2/tag_a.so", t.base);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(chmod(dir, 0777), 0);
	assert_refused(f, link, "is writable by group or others (mode 0777)");
	/* the same link from a trusted directory is fine */
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(shoal_plugin_host_load(f->ph, link, NULL, f->err, sizeof(f->err)), 0);
	trust_cleanup(&t);
}

static void test_init_failure_is_refused_and_registrations_rolled_back(void **state)
{
	struct fixture *f = *state;
	load_example_first(f);
	assert_int_equal(load_fixture(f, "init_fails", NULL), -ENODEV);
	snprintf(f->expect, sizeof(f->expect),
	         "plugin \"init_fails\" (%s/init_fails.so): init failed: refusing to start: the "
	         "fixture always fails (No such device)",
	         fixture_dir);
	assert_string_equal(f->err, f->expect);
	assert_host_unchanged(f);
	/* Retrying gives the same answer: nothing of the first attempt survived. */
	assert_int_equal(load_fixture(f, "init_fails", NULL), -ENODEV);
	assert_string_equal(f->err, f->expect);
	assert_int_equal(shoal_plugin_host_registration_count(f->ph), 5);
}

static void test_duplicate_name_is_refused(void **state)
{
	struct fixture *f = *state;
	load_example_first(f);
	snprintf(f->path, sizeof(f->path), "%s/example.so", plugin_dir);
	assert_int_equal(shoal_plugin_host_load(f->ph, f->path, NULL, f->err, sizeof(f->err)),
	                 -EEXIST);
	snprintf(f->expect, sizeof(f->expect),
	         "plugin %s/example.so: a plugin named \"example\" is already loaded", plugin_dir);
	assert_string_equal(f->err, f->expect);
	assert_host_unchanged(f);
}

/* ---- the hook chain ---- */

static enum shoal_plugin_verdict run_tagged(struct fixture *f, enum shoal_plugin_hook hook,
                                            struct test_packet *p, const char **by)
{
	test_packet_init(p, 17);
	return shoal_plugin_host_run(f->ph, hook, &p->view, by);
}

static void test_chain_runs_in_load_order(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(load_fixture(f, "tag_b", NULL), 0);
	assert_int_equal(load_fixture(f, "tag_a", NULL), 0);
	struct test_packet p;
	for (int hook = 0; hook < SHOAL_PLUGIN_HOOK_COUNT_; hook++) {
		const char *by = "unset";
		assert_int_equal(run_tagged(f, (enum shoal_plugin_hook)hook, &p, &by),
		                 SHOAL_PLUGIN_CONTINUE);
		assert_null(by);
		assert_int_equal(p.view.len, 22);
		assert_memory_equal(p.buf + 20, "ba", 2);
	}
}

static void test_consumed_stops_the_chain(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(load_fixture(f, "tag_a", "{\"local_delivery\": \"consume\"}"), 0);
	assert_int_equal(load_fixture(f, "tag_b", NULL), 0);
	struct test_packet p;
	const char *by = NULL;
	assert_int_equal(run_tagged(f, SHOAL_PLUGIN_HOOK_LOCAL_DELIVERY, &p, &by),
	                 SHOAL_PLUGIN_CONSUMED);
	assert_string_equal(by, "tag_a");
	assert_int_equal(p.view.len, 21);
	assert_int_equal(p.buf[20], 'a');
	/* other hooks unaffected */
	assert_int_equal(run_tagged(f, SHOAL_PLUGIN_HOOK_INGRESS, &p, &by), SHOAL_PLUGIN_CONTINUE);
	assert_int_equal(p.view.len, 22);
	struct shoal_plugin_info info;
	assert_int_equal(shoal_plugin_host_info(f->ph, 1, &info), 0);
	assert_int_equal(info.hook_calls[SHOAL_PLUGIN_HOOK_LOCAL_DELIVERY], 0);
	assert_int_equal(info.hook_calls[SHOAL_PLUGIN_HOOK_INGRESS], 1);
	assert_int_equal(shoal_plugin_host_info(f->ph, 0, &info), 0);
	assert_int_equal(info.verdicts[SHOAL_PLUGIN_HOOK_LOCAL_DELIVERY][SHOAL_PLUGIN_CONSUMED], 1);
}

static void test_drop_stops_the_chain_and_counts_reason(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(load_fixture(f, "tag_a", NULL), 0);
	assert_int_equal(load_fixture(f, "tag_b", "{\"egress\": \"drop\"}"), 0);
	assert_int_equal(shoal_plugin_host_load(f->ph, "example", NULL, f->err, sizeof(f->err)), 0);
	struct test_packet p;
	const char *by = NULL;
	assert_int_equal(run_tagged(f, SHOAL_PLUGIN_HOOK_EGRESS, &p, &by), SHOAL_PLUGIN_DROP);
	assert_string_equal(by, "tag_b");
	assert_memory_equal(p.buf + 20, "ab", 2);
	assert_int_equal(p.view.len, 22);
	assert_int_equal(counter_of(f, 2, "egress"), 0); /* example never saw it */
	struct shoal_plugin_info info;
	assert_int_equal(shoal_plugin_host_info(f->ph, 1, &info), 0);
	assert_string_equal(info.drop_reasons[p.view.drop_reason].name, "tagged");
	assert_int_equal(stat_value(info.drop_reasons, info.drop_reason_count, "tagged"), 1);
}

static void test_drop_with_unknown_reason_counts_unspecified(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(load_fixture(f, "tag_a", "{\"ingress\": \"drop\", \"reason\": 999}"), 0);
	struct test_packet p;
	assert_int_equal(run_tagged(f, SHOAL_PLUGIN_HOOK_INGRESS, &p, NULL), SHOAL_PLUGIN_DROP);
	assert_int_equal(p.view.drop_reason, 0);
	struct shoal_plugin_info info;
	assert_int_equal(shoal_plugin_host_info(f->ph, 0, &info), 0);
	assert_int_equal(stat_value(info.drop_reasons, info.drop_reason_count, "unspecified"), 1);
	assert_int_equal(stat_value(info.drop_reasons, info.drop_reason_count, "tagged"), 0);
}

static void test_unknown_verdict_is_an_unspecified_drop(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(load_fixture(f, "tag_a", "{\"ingress\": \"bogus\"}"), 0);
	assert_int_equal(load_fixture(f, "tag_b", NULL), 0);
	struct test_packet p;
	const char *by = NULL;
	assert_int_equal(run_tagged(f, SHOAL_PLUGIN_HOOK_INGRESS, &p, &by), SHOAL_PLUGIN_DROP);
	assert_string_equal(by, "tag_a");
	assert_int_equal(p.view.len, 21);
	assert_int_equal(p.view.drop_reason, 0);
}

static void test_empty_host_continues(void **state)
{
	struct fixture *f = *state;
	struct test_packet p;
	const char *by = "unset";
	assert_int_equal(run_tagged(f, SHOAL_PLUGIN_HOOK_INGRESS, &p, &by), SHOAL_PLUGIN_CONTINUE);
	assert_null(by);
	assert_int_equal(p.view.len, 20);
}

/* ---- host services ---- */

static void test_tick_and_send_datagram_reach_the_env(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(load_fixture(f, "tag_a", "{\"send_on_tick\": 1}"), 0);
	shoal_plugin_host_tick(f->ph, 1234);
	shoal_plugin_host_tick(f->ph, 1250);
	assert_int_equal(counter_of(f, 0, "ticks"), 2);
	assert_int_equal(counter_of(f, 0, "last_tick"), 1250);
	assert_int_equal(counter_of(f, 0, "sent"), 2);
	assert_int_equal(f->env.sent_count, 2);
	assert_int_equal(f->env.sent_len, 20);
	for (size_t i = 0; i < 20; i++)
		assert_int_equal(f->env.sent[i], 'a');
}

static void test_send_datagram_without_env_is_enotsup(void **state)
{
	(void)state;
	struct shoal_plugin_host *ph = shoal_plugin_host_create(NULL, NULL);
	assert_non_null(ph);
	char path[512], err[SHOAL_PLUGIN_HOST_ERR_SIZE];
	snprintf(path, sizeof(path), "%s/tag_a.so", fixture_dir);
	assert_int_equal(
	    shoal_plugin_host_load(ph, path, "{\"send_on_tick\": 1}", err, sizeof(err)), 0);
	shoal_plugin_host_tick(ph, 1);
	struct shoal_plugin_info info;
	assert_int_equal(shoal_plugin_host_info(ph, 0, &info), 0);
	assert_int_equal(stat_value(info.counters, info.counter_count, "sent"), 0);
	assert_int_equal(stat_value(info.counters, info.counter_count, "ticks"), 1);
	/* without plugin_dir, names cannot be resolved */
	assert_int_equal(shoal_plugin_host_load(ph, "example", NULL, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "plugin \"example\": no plugin_dir configured");
	shoal_plugin_host_destroy(ph);
}

/* ---- unload ---- */

static void test_unload_keeps_order_of_others(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(load_fixture(f, "tag_a", NULL), 0);
	assert_int_equal(shoal_plugin_host_load(f->ph, "example", NULL, f->err, sizeof(f->err)), 0);
	assert_int_equal(load_fixture(f, "tag_b", NULL), 0);
	assert_int_equal(shoal_plugin_host_unload(f->ph, "example", f->err, sizeof(f->err)), 0);
	assert_non_null(strstr(f->env.log, "2 example: unloaded\n"));
	assert_int_equal(shoal_plugin_host_count(f->ph), 2);
	struct shoal_plugin_info info;
	assert_int_equal(shoal_plugin_host_info(f->ph, 0, &info), 0);
	assert_string_equal(info.name, "tag_a");
	assert_int_equal(shoal_plugin_host_info(f->ph, 1, &info), 0);
	assert_string_equal(info.name, "tag_b");
	struct test_packet p;
	assert_int_equal(run_tagged(f, SHOAL_PLUGIN_HOOK_INGRESS, &p, NULL), SHOAL_PLUGIN_CONTINUE);
	assert_memory_equal(p.buf + 20, "ab", 2);
	assert_int_equal(p.view.len, 22);
}

static void test_unload_unknown_is_enoent(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(shoal_plugin_host_unload(f->ph, "example", f->err, sizeof(f->err)),
	                 -ENOENT);
	assert_string_equal(f->err, "plugin \"example\": not loaded");
}

static void test_load_unload_cycles_reset_state(void **state)
{
	struct fixture *f = *state;
	struct test_packet p;
	for (int i = 0; i < 50; i++) {
		assert_int_equal(
		    shoal_plugin_host_load(f->ph, "example", NULL, f->err, sizeof(f->err)), 0);
		assert_int_equal(load_fixture(f, "tag_a", NULL), 0);
		assert_int_equal(load_fixture(f, "init_fails", NULL), -ENODEV);
		assert_int_equal(load_fixture(f, "bad_abi", NULL), -EPROTO);
		assert_int_equal(run_tagged(f, SHOAL_PLUGIN_HOOK_INGRESS, &p, NULL),
		                 SHOAL_PLUGIN_CONTINUE);
		assert_int_equal(counter_of(f, 0, "ingress"), 1); /* fresh state each time */
		assert_int_equal(shoal_plugin_host_unload(f->ph, "example", f->err, sizeof(f->err)),
		                 0);
		assert_int_equal(shoal_plugin_host_unload(f->ph, "tag_a", f->err, sizeof(f->err)),
		                 0);
		assert_int_equal(shoal_plugin_host_count(f->ph), 0);
		assert_int_equal(shoal_plugin_host_registration_count(f->ph), 0);
	}
}

static void test_destroy_unloads_everything(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(load_fixture(f, "tag_a", NULL), 0);
	assert_int_equal(shoal_plugin_host_load(f->ph, "example", NULL, f->err, sizeof(f->err)), 0);
	/* teardown destroys the host with both loaded: ASan/LSan prove nothing leaks */
	assert_int_equal(shoal_plugin_host_count(f->ph), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_example_loads_by_name_and_logs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_example_counts_each_hook_and_tick, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_example_config_drops_protocol_with_reason, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_example_bad_config_fails_init_with_reason, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_config_not_an_object_is_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_invalid_name_is_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing_file_is_refused_with_dlerror, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_missing_symbol_is_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wrong_abi_major_is_refused_naming_both_versions,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_newer_abi_minor_is_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_http_hook_of_example, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_abi_1_0_plugin_still_loads, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_short_descriptor_is_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_init_failure_is_refused_and_registrations_rolled_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_duplicate_name_is_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_chain_runs_in_load_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_consumed_stops_the_chain, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_drop_stops_the_chain_and_counts_reason, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_drop_with_unknown_reason_counts_unspecified, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_unknown_verdict_is_an_unspecified_drop, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_empty_host_continues, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tick_and_send_datagram_reach_the_env, setup,
	                                    teardown),
	    cmocka_unit_test(test_send_datagram_without_env_is_enotsup),
	    cmocka_unit_test_setup_teardown(test_unload_keeps_order_of_others, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unload_unknown_is_enoent, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_load_unload_cycles_reset_state, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_destroy_unloads_everything, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_abi_1_1_plugin_still_loads, setup12, teardown12),
	    cmocka_unit_test_setup_teardown(test_abi_1_2_plugin_still_loads, setup12, teardown12),
	    cmocka_unit_test_setup_teardown(test_abi_1_3_metrics_hook, setup, teardown),
	    cmocka_unit_test(test_abi_1_4_input_datagram_resumes_after_the_caller),
	    cmocka_unit_test_setup_teardown(test_abi_1_4_input_datagram_without_env, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_abi_1_3_metrics_options, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_abi_1_2_http_request_query_and_big_body, setup12,
	                                    teardown12),
	    cmocka_unit_test_setup_teardown(test_abi_1_2_fd_watch, setup12, teardown12),
	    cmocka_unit_test_setup_teardown(test_abi_1_2_unload_releases_fds_and_timer, setup12,
	                                    teardown12),
	    cmocka_unit_test_setup_teardown(test_abi_1_2_timer, setup12, teardown12),
	    cmocka_unit_test_setup_teardown(test_abi_1_2_interfaces, setup12, teardown12),
	    cmocka_unit_test_setup_teardown(test_abi_1_3_records_staging_and_undo, setup12,
	                                    teardown12),
	    cmocka_unit_test_setup_teardown(test_abi_1_3_records_restore, setup12, teardown12),
	    cmocka_unit_test_setup_teardown(test_abi_1_2_services_without_env, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_trust_accepts_safe_paths, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_trust_refuses_writable_directory, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_trust_refuses_writable_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_trust_refuses_other_owners, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_trust_refuses_symlinks_out_of_trust, setup,
	                                    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
