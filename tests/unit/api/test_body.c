/* Tests for api/body.c: JSON request bodies (every 400 case) and response shapes. */
#define _POSIX_C_SOURCE 200809L /* open_memstream */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shoal/api_json.h"

static struct shoal_ctl_route_spec spec;
static struct shoal_api_error e;

static int route(const char *body, const struct shoal_ctl_route_spec *path)
{
	memset(&e, 0, sizeof(e));
	return shoal_api_route_body(body, body ? strlen(body) : 0, path, &spec, &e);
}

static void expect_route_error(const char *body, const char *code)
{
	assert_int_equal(route(body, NULL), -1);
	assert_int_equal(e.http_status, 400);
	assert_string_equal(e.code, code);
	assert_int_equal(e.index, -1);
}

static void test_route_body_full(void **state)
{
	(void)state;
	assert_int_equal(
	    route("{\"prefix\":\"10.2.0.0/16\",\"next_hop\":\"10.0.1.2\",\"interface\":\"lan0\"}",
	          NULL),
	    0);
	assert_int_equal(spec.prefix, 0x0a020000);
	assert_int_equal(spec.prefix_len, 16);
	assert_true(spec.has_next_hop);
	assert_int_equal(spec.next_hop, 0x0a000102);
	assert_true(spec.has_interface);
	assert_string_equal(spec.interface, "lan0");
}

static void test_route_body_optional_fields(void **state)
{
	(void)state;
	assert_int_equal(route("{\"prefix\":\"10.2.0.0/16\",\"next_hop\":\"10.0.1.2\"}", NULL), 0);
	assert_false(spec.has_interface);
	assert_int_equal(
	    route("{\"prefix\":\"10.2.0.0/16\",\"next_hop\":null,\"interface\":\"lan0\"}", NULL),
	    0);
	assert_false(spec.has_next_hop);
	assert_true(spec.has_interface);
}

static void test_route_body_rejects_bad_json(void **state)
{
	(void)state;
	expect_route_error(NULL, "invalid_json");
	expect_route_error("", "invalid_json");
	expect_route_error("{", "invalid_json");
	expect_route_error("[1]", "invalid_json");
	expect_route_error("\"x\"", "invalid_json");
	expect_route_error("{\"prefix\":\"10.2.0.0/16\",\"interface\":\"lan0\"} x", "invalid_json");
	expect_route_error(
	    "{\"prefix\":\"10.2.0.0/16\",\"prefix\":\"10.3.0.0/16\",\"interface\":\"a\"}",
	    "invalid_json");
}

static void test_route_body_rejects_unknown_fields(void **state)
{
	(void)state;
	expect_route_error("{\"prefix\":\"10.2.0.0/16\",\"interface\":\"lan0\",\"metric\":1}",
	                   "unknown_field");
	assert_non_null(strstr(e.message, "metric"));
	expect_route_error(
	    "{\"prefix\":\"10.2.0.0/16\",\"interface\":\"lan0\",\"origin\":\"static\"}",
	    "unknown_field");
}

static void test_route_body_rejects_wrong_types(void **state)
{
	(void)state;
	expect_route_error("{\"prefix\":167903232,\"interface\":\"lan0\"}", "invalid_type");
	assert_non_null(strstr(e.message, "prefix"));
	expect_route_error("{\"prefix\":null,\"interface\":\"lan0\"}", "invalid_type");
	expect_route_error("{\"prefix\":\"10.2.0.0/16\",\"next_hop\":[\"10.0.1.2\"]}",
	                   "invalid_type");
	expect_route_error("{\"prefix\":\"10.2.0.0/16\",\"interface\":1}", "invalid_type");
	expect_route_error("{\"prefix\":\"10.2.0.0/16\",\"interface\":true}", "invalid_type");
}

static void test_route_body_rejects_bad_values(void **state)
{
	(void)state;
	expect_route_error("{\"interface\":\"lan0\"}", "missing_field");
	expect_route_error("{\"prefix\":\"10.2.3.0/16\",\"interface\":\"lan0\"}", "invalid_prefix");
	assert_non_null(strstr(e.message, "did you mean 10.2.0.0/16?"));
	expect_route_error("{\"prefix\":\"10.2.0.0/40\",\"interface\":\"lan0\"}",
	                   "invalid_prefix_length");
	expect_route_error("{\"prefix\":\"10.2.0.0\",\"interface\":\"lan0\"}", "invalid_prefix");
	expect_route_error("{\"prefix\":\"10.2.0.0/16\",\"next_hop\":\"10.0.1\"}",
	                   "invalid_address");
	expect_route_error("{\"prefix\":\"10.2.0.0/16\",\"interface\":\"\"}", "unknown_interface");
	expect_route_error("{\"prefix\":\"10.2.0.0/16\",\"interface\":\"a-very-long-name-x\"}",
	                   "unknown_interface");
	expect_route_error("{\"prefix\":\"10.2.0.0/16\"}", "invalid_route");
	expect_route_error("{\"prefix\":\"10.2.0.0/16\",\"next_hop\":null,\"interface\":null}",
	                   "invalid_route");
}

static void test_put_body_prefix_from_path(void **state)
{
	(void)state;
	struct shoal_ctl_route_spec path = {.prefix = 0x0a020000, .prefix_len = 16};
	assert_int_equal(route("{\"next_hop\":\"10.0.1.3\"}", &path), 0);
	assert_int_equal(spec.prefix, 0x0a020000);
	assert_int_equal(spec.prefix_len, 16);
	assert_int_equal(route("{\"prefix\":\"10.2.0.0/16\",\"next_hop\":\"10.0.1.3\"}", &path), 0);
	assert_int_equal(route("{\"prefix\":\"10.2.0.0/17\",\"next_hop\":\"10.0.1.3\"}", &path),
	                 -1);
	assert_string_equal(e.code, "prefix_mismatch");
	assert_int_equal(e.http_status, 400);
}

static struct shoal_ctl_op *ops;
static size_t n_ops;

static int batch(const char *body)
{
	memset(&e, 0, sizeof(e));
	return shoal_api_batch_body(body, strlen(body), &ops, &n_ops, &e);
}

static void test_batch_body(void **state)
{
	(void)state;
	assert_int_equal(
	    batch("{\"operations\":["
	          "{\"op\":\"add\",\"prefix\":\"10.2.0.0/16\",\"next_hop\":\"10.0.1.2\"},"
	          "{\"op\":\"put\",\"prefix\":\"10.3.0.0/16\",\"interface\":\"lan1\"},"
	          "{\"op\":\"delete\",\"prefix\":\"10.4.0.0/16\"}]}"),
	    0);
	assert_int_equal(n_ops, 3);
	assert_int_equal(ops[0].kind, SHOAL_CTL_OP_ADD);
	assert_int_equal(ops[0].route.next_hop, 0x0a000102);
	assert_int_equal(ops[1].kind, SHOAL_CTL_OP_PUT);
	assert_string_equal(ops[1].route.interface, "lan1");
	assert_int_equal(ops[2].kind, SHOAL_CTL_OP_DELETE);
	assert_int_equal(ops[2].route.prefix, 0x0a040000);
	free(ops);
	assert_int_equal(batch("{\"operations\":[]}"), 0);
	assert_int_equal(n_ops, 0);
	assert_null(ops);
}

static void test_batch_body_errors_carry_index(void **state)
{
	(void)state;
	static const struct {
		const char *body;
		const char *code;
		long index;
	} cases[] = {
	    {"{\"operations\":[{\"op\":\"add\",\"prefix\":\"10.2.0.0/16\",\"interface\":\"a\"},"
	     "{\"op\":\"move\",\"prefix\":\"10.3.0.0/16\"}]}",
	     "invalid_op", 1},
	    {"{\"operations\":[{\"op\":\"delete\",\"prefix\":\"10.2.0.0/"
	     "16\",\"interface\":\"a\"}]}",
	     "unknown_field", 0},
	    {"{\"operations\":[{\"op\":\"add\",\"prefix\":\"10.2.0.0/16\",\"interface\":\"a\"},"
	     "{\"op\":\"add\",\"prefix\":\"10.2.0.0/16\"},{}]}",
	     "invalid_route", 1},
	    {"{\"operations\":[{\"op\":\"add\",\"prefix\":\"10.2.1.0/16\",\"interface\":\"a\"}]}",
	     "invalid_prefix", 0},
	    {"{\"operations\":[{\"prefix\":\"10.2.0.0/16\"}]}", "missing_field", 0},
	    {"{\"operations\":[{\"op\":1,\"prefix\":\"10.2.0.0/16\"}]}", "invalid_type", 0},
	    {"{\"operations\":[7]}", "invalid_type", 0},
	    {"{\"operations\":{}}", "invalid_type", -1},
	    {"{}", "missing_field", -1},
	    {"{\"operations\":[],\"atomic\":true}", "unknown_field", -1},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(batch(cases[i].body), -1);
		assert_null(ops);
		assert_int_equal(e.http_status, 400);
		assert_string_equal(e.code, cases[i].code);
		assert_int_equal(e.index, cases[i].index);
	}
}

/* Which check of an operation wins, and the field its message names (fields are walked once,
 * in the object's order). */
static void test_batch_body_error_messages(void **state)
{
	(void)state;
	static const struct {
		const char *op, *code, *message;
	} cases[] = {
	    {"{\"foo\":1,\"op\":\"add\",\"prefix\":\"10.2.0.0/16\",\"bar\":2}", "unknown_field",
	     "unknown field \"operations[1].foo\""},
	    {"{\"op\":\"delete\",\"prefix\":\"10.2.0.0/16\",\"zz\":1,\"next_hop\":\"1.2.3.4\"}",
	     "unknown_field", "unknown field \"operations[1].zz\""},
	    {"{\"op\":\"delete\",\"prefix\":\"10.2.0.0/16\",\"next_hop\":\"1.2.3.4\"}",
	     "unknown_field", "unknown field \"operations[1].next_hop\""},
	    {"{\"op\":\"delete\",\"interface\":\"a\",\"zz\":1}", "unknown_field",
	     "unknown field \"operations[1].interface\""},
	    {"{\"zz\":1,\"prefix\":\"10.2.0.0/16\"}", "missing_field",
	     "field \"operations[1].op\" is required"},
	    {"{\"op\":\"add\",\"prefix\":null,\"interface\":\"a\"}", "invalid_type",
	     "field \"operations[1].prefix\" must be a string"},
	    {"{\"op\":\"put\",\"prefix\":\"10.2.0.0/16\",\"next_hop\":5}", "invalid_type",
	     "field \"operations[1].next_hop\" must be a string or null"},
	    {"{\"op\":\"put\",\"prefix\":\"10.2.0.0/16\",\"next_hop\":null,\"interface\":null}",
	     "invalid_route", "a route needs \"next_hop\" or \"interface\" (or both)"},
	    {"{\"op\":\"delete\"}", "missing_field", "field \"operations[1].prefix\" is required"},
	    {"{\"op\":\"put\",\"prefix\":\"10.2.0.0/16\",\"next_hop\":\"10.0.0.300\"}",
	     "invalid_address", "operations[1].next_hop \"10.0.0.300\" is not an IPv4 address"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char body[512];
		snprintf(body, sizeof(body),
		         "{\"operations\":[{\"op\":\"delete\",\"prefix\":\"10.9.0.0/16\"},%s]}",
		         cases[i].op);
		assert_int_equal(batch(body), -1);
		assert_int_equal(e.index, 1);
		if (strcmp(e.code, cases[i].code) != 0 || strcmp(e.message, cases[i].message) != 0)
			fail_msg("%s: got %s \"%s\"", cases[i].op, e.code, e.message);
	}
	/* null is absent for the optional fields: an on-link route */
	assert_int_equal(batch("{\"operations\":[{\"op\":\"put\",\"prefix\":\"10.2.0.0/16\","
	                       "\"next_hop\":null,\"interface\":\"lan1\"}]}"),
	                 0);
	assert_int_equal(n_ops, 1);
	assert_false(ops[0].route.has_next_hop);
	assert_string_equal(ops[0].route.interface, "lan1");
	free(ops);
	ops = NULL;
}

static void test_arp_body(void **state)
{
	(void)state;
	char ifname[16];
	uint32_t ip;
	uint8_t mac[6];
	const char *ok =
	    "{\"ip\":\"10.0.1.9\",\"mac\":\"02:00:00:00:00:09\",\"interface\":\"lan0\"}";
	assert_int_equal(shoal_api_arp_body(ok, strlen(ok), ifname, &ip, mac, &e), 0);
	assert_int_equal(ip, 0x0a000109);
	assert_int_equal(mac[5], 9);
	assert_string_equal(ifname, "lan0");
	const char *no_if = "{\"ip\":\"10.0.1.9\",\"mac\":\"02:00:00:00:00:09\"}";
	assert_int_equal(shoal_api_arp_body(no_if, strlen(no_if), ifname, &ip, mac, &e), 0);
	assert_string_equal(ifname, "");
	static const struct {
		const char *body;
		const char *code;
	} bad[] = {
	    {"{\"ip\":\"10.0.1.9\"}", "missing_field"},
	    {"{\"mac\":\"02:00:00:00:00:09\"}", "missing_field"},
	    {"{\"ip\":\"10.0.1.999\",\"mac\":\"02:00:00:00:00:09\"}", "invalid_address"},
	    {"{\"ip\":\"10.0.1.9\",\"mac\":\"02:00:00:00:00\"}", "invalid_mac"},
	    {"{\"ip\":\"10.0.1.9\",\"mac\":2}", "invalid_type"},
	    {"{\"ip\":\"10.0.1.9\",\"mac\":\"02:00:00:00:00:09\",\"state\":\"static\"}",
	     "unknown_field"},
	    {"{\"ip\":\"10.0.1.9\",\"mac\":\"02:00:00:00:00:09\",\"interface\":[]}",
	     "invalid_type"},
	    {"nope", "invalid_json"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(
		    shoal_api_arp_body(bad[i].body, strlen(bad[i].body), ifname, &ip, mac, &e), -1);
		assert_int_equal(e.http_status, 400);
		assert_string_equal(e.code, bad[i].code);
	}
}

static void test_plugin_body(void **state)
{
	(void)state;
	char name[SHOAL_API_NAME_MAX];
	char *config = NULL;
	const char *ok = "{\"name\":\"nat44\",\"config\":{\"b\": [1, 2]}}";
	assert_int_equal(shoal_api_plugin_body(ok, strlen(ok), name, &config, &e), 0);
	assert_string_equal(name, "nat44");
	assert_string_equal(config, "{\"b\":[1,2]}");
	free(config);
	const char *bare = "{\"name\":\"x\"}";
	assert_int_equal(shoal_api_plugin_body(bare, strlen(bare), name, &config, &e), 0);
	assert_string_equal(config, "{}");
	free(config);
	static const struct {
		const char *body;
		const char *code;
	} bad[] = {
	    {"{\"name\":\"Nat\"}", "invalid_name"},
	    {"{\"name\":\"\"}", "invalid_name"},
	    {"{\"name\":\"x\",\"config\":[]}", "invalid_type"},
	    {"{\"name\":\"x\",\"config\":\"{}\"}", "invalid_type"},
	    {"{\"config\":{}}", "missing_field"},
	    {"{\"name\":\"x\",\"path\":\"/tmp/x.so\"}", "unknown_field"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		config = NULL;
		assert_int_equal(
		    shoal_api_plugin_body(bad[i].body, strlen(bad[i].body), name, &config, &e), -1);
		assert_null(config);
		assert_string_equal(e.code, bad[i].code);
	}
}

static void assert_json_text(json_t *j, const char *want)
{
	assert_non_null(j);
	char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(text, want);
	free(text);
	json_decref(j);
}

static void test_route_json_shape(void **state)
{
	(void)state;
	struct shoal_ctl_route r = {.prefix = 0x0a020000,
	                            .prefix_len = 16,
	                            .has_next_hop = true,
	                            .next_hop = 0x0a000102,
	                            .interface = "lan0",
	                            .origin = SHOAL_CTL_ORIGIN_STATIC,
	                            .packets = 7,
	                            .bytes = 5000000000};
	assert_json_text(shoal_api_route_json(&r),
	                 "{\"bytes\":5000000000,\"interface\":\"lan0\",\"next_hop\":\"10.0.1.2\","
	                 "\"origin\":\"static\",\"packets\":7,\"prefix\":\"10.2.0.0/16\"}");
	struct shoal_ctl_route c = {.prefix = 0x0a000100,
	                            .prefix_len = 24,
	                            .interface = "lan0",
	                            .origin = SHOAL_CTL_ORIGIN_CONNECTED};
	assert_json_text(shoal_api_route_json(&c),
	                 "{\"bytes\":0,\"interface\":\"lan0\",\"next_hop\":null,"
	                 "\"origin\":\"connected\",\"packets\":0,\"prefix\":\"10.0.1.0/24\"}");
}

/* The text writer itself (what GET /api/v1/routes sends): keys in the Route order, compact,
 * an interface name that needs escaping spelled as jansson spells it, a non-UTF-8 one refused. */
static char *route_text(const struct shoal_ctl_route *r, int want_rc)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	assert_int_equal(shoal_api_route_write(f, r), want_rc);
	assert_int_equal(fclose(f), 0);
	return text;
}

static void test_route_write_text(void **state)
{
	(void)state;
	static const struct {
		const char *name, *json;
	} names[] = {
	    {"lan0", "\"lan0\""},   {"a\"b", "\"a\\\"b\""},
	    {"a\\b", "\"a\\\\b\""}, {"c\x01", "\"c\\u0001\""},
	    {"d\x7f", "\"d\x7f\""}, {"\xc3\xa9t\xc3\xa9", "\"\xc3\xa9t\xc3\xa9\""},
	};
	struct shoal_ctl_route r = {.prefix = 0x0a020000,
	                            .prefix_len = 16,
	                            .has_next_hop = true,
	                            .next_hop = 0x0a000102,
	                            .origin = SHOAL_CTL_ORIGIN_STATIC,
	                            .packets = 7,
	                            .bytes = 5000000000};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(r.interface, sizeof(r.interface), "%s", names[i].name);
		char want[160];
		snprintf(want, sizeof(want),
		         "{\"prefix\":\"10.2.0.0/16\",\"next_hop\":\"10.0.1.2\",\"interface\":%s,"
		         "\"origin\":\"static\",\"packets\":7,\"bytes\":5000000000}",
		         names[i].json);
		char *text = route_text(&r, 0);
		assert_string_equal(text, want);
		free(text);
	}
	snprintf(r.interface, sizeof(r.interface), "%s", "lan\xff");
	free(route_text(&r, -1));
	assert_null(shoal_api_route_json(&r));
}

static void test_arp_json_shape(void **state)
{
	(void)state;
	struct shoal_ctl_arp_entry d = {.interface = "lan0",
	                                .ip = 0x0a000102,
	                                .mac = {2, 0, 0, 0, 1, 2},
	                                .state = SHOAL_CTL_ARP_DYNAMIC,
	                                .expires_in_ms = 1500};
	assert_json_text(shoal_api_arp_json(&d),
	                 "{\"expires_in_ms\":1500,\"interface\":\"lan0\",\"ip\":\"10.0.1.2\","
	                 "\"mac\":\"02:00:00:00:01:02\",\"state\":\"dynamic\"}");
	struct shoal_ctl_arp_entry s = d;
	s.state = SHOAL_CTL_ARP_STATIC;
	assert_json_text(shoal_api_arp_json(&s),
	                 "{\"expires_in_ms\":null,\"interface\":\"lan0\",\"ip\":\"10.0.1.2\","
	                 "\"mac\":\"02:00:00:00:01:02\",\"state\":\"static\"}");
	struct shoal_ctl_arp_entry p = {.interface = "lan1",
	                                .ip = 0x0a000202,
	                                .state = SHOAL_CTL_ARP_PENDING,
	                                .expires_in_ms = 900,
	                                .queued = 3};
	assert_json_text(shoal_api_arp_json(&p),
	                 "{\"expires_in_ms\":900,\"interface\":\"lan1\",\"ip\":\"10.0.2.2\","
	                 "\"mac\":null,\"queued\":3,\"state\":\"pending\"}");
}

static void test_interface_json_merges_drops(void **state)
{
	(void)state;
	struct shoal_ctl_interface i = {.name = "lan0",
	                                .kind = "tap",
	                                .address = 0x0a000101,
	                                .prefix_len = 24,
	                                .mac = {2, 0, 0, 0, 1, 1},
	                                .has_mac = true,
	                                .mtu = 1500,
	                                .up = true,
	                                .offload = true,
	                                .rx_packets = 5,
	                                .rx_bytes = 500,
	                                .tx_packets = 6,
	                                .tx_bytes = 600};
	i.drops[SHOAL_DP_DROP_NO_ROUTE] = 7;
	i.drops[SHOAL_DP_DROP_BAD_IPV4] = 1;
	i.arp_drops[SHOAL_NETIF_DROP_BAD_IPV4] = 2;
	i.arp_drops[SHOAL_NETIF_DROP_ARP_TIMEOUT] = 4;
	json_t *j = shoal_api_interface_json(&i);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "address")), "10.0.1.1/24");
	assert_string_equal(json_string_value(json_object_get(j, "mac")), "02:00:00:00:01:01");
	assert_int_equal(json_integer_value(json_object_get(j, "mtu")), 1500);
	assert_true(json_is_true(json_object_get(j, "up")));
	json_t *counters = json_object_get(j, "counters");
	assert_int_equal(json_integer_value(json_object_get(counters, "tx_bytes")), 600);
	json_t *drops = json_object_get(j, "drops");
	assert_int_equal(json_integer_value(json_object_get(drops, "no_route")), 7);
	assert_int_equal(json_integer_value(json_object_get(drops, "bad_ipv4")), 3);
	assert_int_equal(json_integer_value(json_object_get(drops, "arp_timeout")), 4);
	/* Every reason is present, zero ones included. */
	for (size_t k = 0; k < SHOAL_DP_DROP_COUNT_; k++)
		assert_non_null(json_object_get(drops, shoal_dp_drop_names[k]));
	for (size_t k = 0; k < SHOAL_NETIF_DROP_COUNT_; k++)
		assert_non_null(json_object_get(drops, shoal_netif_drop_names[k]));
	json_decref(j);
	i.has_mac = false;
	j = shoal_api_interface_json(&i);
	assert_true(json_is_null(json_object_get(j, "mac")));
	json_decref(j);
}

static void test_plugin_json_shape(void **state)
{
	(void)state;
	struct shoal_ctl_plugin p = {.name = "nat44",
	                             .version = "1.0",
	                             .description = "NAT",
	                             .path = "/x/nat44.so",
	                             .abi_major = 1,
	                             .abi_minor = 1,
	                             .hook_calls = {1, 2, 3},
	                             .n_counters = 1,
	                             .n_drops = 1,
	                             .input_datagrams = 5,
	                             .input_refused = 6};
	strcpy(p.counters[0].name, "sessions");
	p.counters[0].value = 9;
	strcpy(p.drops[0].name, "no_mapping");
	p.drops[0].value = 4;
	assert_json_text(shoal_api_plugin_json(&p),
	                 "{\"abi\":\"1.1\",\"counters\":{\"sessions\":9},\"description\":\"NAT\","
	                 "\"drops\":{\"no_mapping\":4},\"hooks\":{\"egress\":3,\"ingress\":1,"
	                 "\"local_delivery\":2},\"input_datagrams\":5,\"input_refused\":6,"
	                 "\"name\":\"nat44\",\"path\":\"/x/nat44.so\",\"version\":\"1.0\"}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_route_body_full),
	    cmocka_unit_test(test_route_body_optional_fields),
	    cmocka_unit_test(test_route_body_rejects_bad_json),
	    cmocka_unit_test(test_route_body_rejects_unknown_fields),
	    cmocka_unit_test(test_route_body_rejects_wrong_types),
	    cmocka_unit_test(test_route_body_rejects_bad_values),
	    cmocka_unit_test(test_put_body_prefix_from_path),
	    cmocka_unit_test(test_batch_body),
	    cmocka_unit_test(test_batch_body_errors_carry_index),
	    cmocka_unit_test(test_batch_body_error_messages),
	    cmocka_unit_test(test_arp_body),
	    cmocka_unit_test(test_plugin_body),
	    cmocka_unit_test(test_route_json_shape),
	    cmocka_unit_test(test_route_write_text),
	    cmocka_unit_test(test_arp_json_shape),
	    cmocka_unit_test(test_interface_json_merges_drops),
	    cmocka_unit_test(test_plugin_json_shape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
