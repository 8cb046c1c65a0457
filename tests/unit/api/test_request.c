/* Tests for api/request.c: request targets, query strings, prefixes, MACs, Allow, static
 * path resolution and the error JSON shape. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shoal/api_json.h"
#include "shoal/api_request.h"
#include "shoal/api_resource.h"

/* Endpoints are the resource modules' paths (api_resource.h); a target that is no endpoint
 * reads as its kind. */
#define SHOAL_API_EP_HEALTH        "health"
#define SHOAL_API_EP_ROUTES        "routes"
#define SHOAL_API_EP_ROUTES_BATCH  "routes:batch"
#define SHOAL_API_EP_ROUTES_LOOKUP "routes/lookup"
#define SHOAL_API_EP_ROUTE         "routes/{prefix}"
#define SHOAL_API_EP_ARP           "arp"
#define SHOAL_API_EP_ARP_ENTRY     "arp/{ipv4}"
#define SHOAL_API_EP_INTERFACES    "interfaces"
#define SHOAL_API_EP_PLUGINS       "plugins"
#define SHOAL_API_EP_PLUGIN        "plugins/{plugin}"
#define SHOAL_API_EP_PLUGIN_HTTP   "{plugin}/..."
#define SHOAL_API_EP_STATIC        "(static)"
#define SHOAL_API_EP_NOT_FOUND     "(not found)"

static const char *ep_of(const struct shoal_api_target *target)
{
	switch (target->kind) {
	case SHOAL_API_TARGET_STATIC:
		return SHOAL_API_EP_STATIC;
	case SHOAL_API_TARGET_NOT_FOUND:
		return SHOAL_API_EP_NOT_FOUND;
	case SHOAL_API_TARGET_ENDPOINT:
		break;
	}
	return target->endpoint->path;
}

static struct shoal_api_target t;
static struct shoal_api_error e;

static int parse(const char *raw)
{
	memset(&e, 0, sizeof(e));
	return shoal_api_target_parse(raw, &t, &e);
}

/* The registry drives matching: every literal path of every resource module names its own
 * endpoint, with the union of its ops' methods; paths are unique; ops are well formed. */
static void test_registry_drives_matching(void **state)
{
	(void)state;
	assert_true(shoal_api_resource_count >= 5);
	size_t literal = 0;
	for (size_t r = 0; r < shoal_api_resource_count; r++) {
		const struct shoal_api_resource *res = shoal_api_resources[r];
		for (size_t i = 0; i < res->n_endpoints; i++) {
			const struct shoal_api_endpoint *ep = &res->endpoints[i];
			assert_non_null(ep->ops[0].handler);
			for (size_t r2 = 0; r2 < shoal_api_resource_count; r2++)
				for (size_t j = 0; j < shoal_api_resources[r2]->n_endpoints; j++) {
					const struct shoal_api_endpoint *o =
					    &shoal_api_resources[r2]->endpoints[j];
					if (o != ep)
						assert_string_not_equal(o->path, ep->path);
				}
			if (strchr(ep->path, '{'))
				continue;
			char raw[256];
			snprintf(raw, sizeof(raw), "/api/v1/%s", ep->path);
			assert_int_equal(parse(raw), 0);
			assert_ptr_equal(t.endpoint, ep);
			assert_int_equal(t.kind, SHOAL_API_TARGET_ENDPOINT);
			assert_int_equal(t.methods, shoal_api_endpoint_methods(ep));
			assert_int_equal(t.needs_auth, !ep->is_public);
			literal++;
		}
	}
	assert_true(literal >= 7);
}

static void test_health_needs_no_auth(void **state)
{
	(void)state;
	assert_int_equal(parse("/api/v1/health"), 0);
	assert_string_equal(ep_of(&t), SHOAL_API_EP_HEALTH);
	assert_false(t.needs_auth);
	assert_int_equal(t.methods, SHOAL_API_GET | SHOAL_API_HEAD);
}

static void test_collections(void **state)
{
	(void)state;
	static const struct {
		const char *path;
		const char *ep;
		unsigned methods;
	} cases[] = {
	    {"/api/v1/routes", SHOAL_API_EP_ROUTES,
	     SHOAL_API_GET | SHOAL_API_HEAD | SHOAL_API_POST},
	    {"/api/v1/routes:batch", SHOAL_API_EP_ROUTES_BATCH, SHOAL_API_POST},
	    {"/api/v1/routes/lookup", SHOAL_API_EP_ROUTES_LOOKUP, SHOAL_API_GET | SHOAL_API_HEAD},
	    {"/api/v1/arp", SHOAL_API_EP_ARP,
	     SHOAL_API_GET | SHOAL_API_HEAD | SHOAL_API_POST | SHOAL_API_DELETE},
	    {"/api/v1/interfaces", SHOAL_API_EP_INTERFACES, SHOAL_API_GET | SHOAL_API_HEAD},
	    {"/api/v1/plugins", SHOAL_API_EP_PLUGINS,
	     SHOAL_API_GET | SHOAL_API_HEAD | SHOAL_API_POST},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].path), 0);
		assert_string_equal(ep_of(&t), cases[i].ep);
		assert_int_equal(t.methods, cases[i].methods);
		assert_true(t.needs_auth);
	}
}

static void test_route_item_path(void **state)
{
	(void)state;
	assert_int_equal(parse("/api/v1/routes/10.2.0.0/16"), 0);
	assert_string_equal(ep_of(&t), SHOAL_API_EP_ROUTE);
	assert_int_equal(t.prefix, 0x0a020000);
	assert_int_equal(t.prefix_len, 16);
	assert_int_equal(t.methods,
	                 SHOAL_API_GET | SHOAL_API_HEAD | SHOAL_API_PUT | SHOAL_API_DELETE);
	/* The slash may come encoded. */
	assert_int_equal(parse("/api/v1/routes/10.2.0.0%2F16"), 0);
	assert_string_equal(ep_of(&t), SHOAL_API_EP_ROUTE);
	assert_int_equal(t.prefix_len, 16);
	assert_int_equal(parse("/api/v1/routes/0.0.0.0/0"), 0);
	assert_int_equal(t.prefix, 0);
	assert_int_equal(t.prefix_len, 0);
}

static void test_route_item_host_bits_suggests_canonical(void **state)
{
	(void)state;
	assert_int_equal(parse("/api/v1/routes/10.2.3.0/16"), -1);
	assert_int_equal(e.http_status, 400);
	assert_string_equal(e.code, "invalid_prefix");
	assert_non_null(strstr(e.message, "did you mean 10.2.0.0/16?"));
}

static void test_route_item_bad_prefixes(void **state)
{
	(void)state;
	static const struct {
		const char *path;
		const char *code;
	} cases[] = {
	    {"/api/v1/routes/10.2.0.0/33", "invalid_prefix_length"},
	    {"/api/v1/routes/10.2.0.0/016", "invalid_prefix_length"},
	    {"/api/v1/routes/10.2.0.0/-1", "invalid_prefix_length"},
	    {"/api/v1/routes/10.2.0.0/", "invalid_prefix_length"},
	    {"/api/v1/routes/10.2.0.0/x", "invalid_prefix_length"},
	    {"/api/v1/routes/10.2.0.0", "invalid_prefix"},
	    {"/api/v1/routes/10.2.0/16", "invalid_prefix"},
	    {"/api/v1/routes/10.2.0.256/32", "invalid_prefix"},
	    {"/api/v1/routes/010.2.0.0/16", "invalid_prefix"},
	    {"/api/v1/routes/foo", "invalid_prefix"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].path), -1);
		assert_int_equal(e.http_status, 400);
		assert_string_equal(e.code, cases[i].code);
	}
}

static void test_deeper_paths_are_not_found(void **state)
{
	(void)state;
	static const char *const paths[] = {
	    "/api/v1/routes/10.2.0.0/16/x",
	    "/api/v1/arp/10.0.1.2/x",
	    "/api/v1/routes/",
	    "/api/v2/routes",
	    "/api",
	    "/api/v1",
	    "/api/v1/",
	    "/api/v1/plugins/Bad-Name",
	    "/api/v1/health/x",
	    "/api/v1/routes:nope",
	    "/api/v1/arp/",
	};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		assert_int_equal(parse(paths[i]), 0);
		assert_string_equal(ep_of(&t), SHOAL_API_EP_NOT_FOUND);
		assert_true(t.needs_auth);
	}
}

static void test_arp_entry_path(void **state)
{
	(void)state;
	assert_int_equal(parse("/api/v1/arp/10.0.1.2"), 0);
	assert_string_equal(ep_of(&t), SHOAL_API_EP_ARP_ENTRY);
	assert_int_equal(t.ip, 0x0a000102);
	assert_int_equal(parse("/api/v1/arp/10.0.1"), -1);
	assert_string_equal(e.code, "invalid_address");
	assert_int_equal(e.http_status, 400);
}

static void test_plugin_paths(void **state)
{
	(void)state;
	assert_int_equal(parse("/api/v1/plugins/nat44"), 0);
	assert_string_equal(ep_of(&t), SHOAL_API_EP_PLUGIN);
	assert_string_equal(t.name, "nat44");
	assert_int_equal(parse("/api/v1/nat44/sessions/42"), 0);
	assert_string_equal(ep_of(&t), SHOAL_API_EP_PLUGIN_HTTP);
	assert_string_equal(t.name, "nat44");
	assert_string_equal(t.subpath, "sessions/42");
	assert_int_equal(parse("/api/v1/nat44"), 0);
	assert_string_equal(ep_of(&t), SHOAL_API_EP_PLUGIN_HTTP);
	assert_string_equal(t.subpath, "");
	/* A plugin cannot shadow a built-in collection. */
	assert_int_equal(parse("/api/v1/routes/x/y/z"), 0);
	assert_string_equal(ep_of(&t), SHOAL_API_EP_NOT_FOUND);
	assert_int_equal(parse("/api/v1/interfaces/x"), 0);
	assert_string_equal(ep_of(&t), SHOAL_API_EP_NOT_FOUND);
}

static void test_static_paths(void **state)
{
	(void)state;
	assert_int_equal(parse("/"), 0);
	assert_string_equal(ep_of(&t), SHOAL_API_EP_STATIC);
	assert_false(t.needs_auth);
	assert_int_equal(parse("/app.js?v=3"), 0);
	assert_string_equal(ep_of(&t), SHOAL_API_EP_STATIC);
	assert_string_equal(t.path, "/app.js");
	assert_int_equal(parse("/apix"), 0);
	assert_string_equal(ep_of(&t), SHOAL_API_EP_STATIC);
}

static void test_bad_targets(void **state)
{
	(void)state;
	static const char *const raws[] = {
	    "/index.html%00.txt",        "/a%2", "/a%zz", "/a%0a", "http://x/api/v1/routes",
	    "/api/v1/routes?prefix=%00", "*"};
	for (size_t i = 0; i < sizeof(raws) / sizeof(raws[0]); i++) {
		assert_int_equal(parse(raws[i]), -1);
		assert_int_equal(e.http_status, 400);
		assert_string_equal(e.code, "bad_request");
	}
	char long_path[SHOAL_API_PATH_MAX + 10];
	memset(long_path, 'a', sizeof(long_path));
	long_path[0] = '/';
	long_path[sizeof(long_path) - 1] = '\0';
	assert_int_equal(parse(long_path), -1);
	assert_int_equal(e.http_status, 400);
}

static void test_query_parsing(void **state)
{
	(void)state;
	assert_int_equal(parse("/api/v1/routes?prefix=10.0.0.0%2F8&&x=a+b"), 0);
	assert_int_equal(t.n_query, 2);
	assert_string_equal(shoal_api_target_query(&t, "prefix"), "10.0.0.0/8");
	assert_string_equal(shoal_api_target_query(&t, "x"), "a b");
	assert_null(shoal_api_target_query(&t, "y"));
	assert_int_equal(parse("/api/v1/arp?interface"), 0);
	assert_string_equal(shoal_api_target_query(&t, "interface"), "");
	assert_int_equal(parse("/api/v1/arp?interface=a&interface=b"), -1);
	assert_string_equal(e.code, "bad_request");
	assert_int_equal(parse("/api/v1/arp?a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9"), -1);
}

static void test_allowed_query_parameters(void **state)
{
	(void)state;
	parse("/api/v1/routes");
	assert_true(shoal_api_target_allows_query(&t, SHOAL_API_GET, "prefix"));
	assert_false(shoal_api_target_allows_query(&t, SHOAL_API_POST, "prefix"));
	assert_true(shoal_api_target_allows_query(&t, SHOAL_API_GET, "limit"));
	assert_true(shoal_api_target_allows_query(&t, SHOAL_API_GET, "after"));
	assert_false(shoal_api_target_allows_query(&t, SHOAL_API_GET, "cursor"));
	assert_false(shoal_api_target_allows_query(&t, SHOAL_API_POST, "limit"));
	parse("/api/v1/routes/lookup");
	assert_true(shoal_api_target_allows_query(&t, SHOAL_API_GET, "address"));
	parse("/api/v1/arp");
	assert_true(shoal_api_target_allows_query(&t, SHOAL_API_DELETE, "interface"));
	assert_false(shoal_api_target_allows_query(&t, SHOAL_API_POST, "interface"));
	parse("/api/v1/interfaces");
	assert_false(shoal_api_target_allows_query(&t, SHOAL_API_GET, "x"));
}

static void test_methods_and_allow(void **state)
{
	(void)state;
	assert_int_equal(shoal_api_method_from_string("GET"), SHOAL_API_GET);
	assert_int_equal(shoal_api_method_from_string("DELETE"), SHOAL_API_DELETE);
	assert_int_equal(shoal_api_method_from_string("get"), SHOAL_API_OTHER);
	assert_int_equal(shoal_api_method_from_string("PATCH"), SHOAL_API_OTHER);
	char buf[64];
	assert_string_equal(shoal_api_allow_string(SHOAL_API_GET | SHOAL_API_HEAD | SHOAL_API_POST,
	                                           buf, sizeof(buf)),
	                    "GET, HEAD, POST");
	assert_string_equal(shoal_api_allow_string(SHOAL_API_POST, buf, sizeof(buf)), "POST");
}

static void test_parse_mac(void **state)
{
	(void)state;
	uint8_t mac[6];
	assert_int_equal(shoal_api_parse_mac("02:00:0A:ff:01:9b", mac), 0);
	const uint8_t want[6] = {0x02, 0x00, 0x0a, 0xff, 0x01, 0x9b};
	assert_memory_equal(mac, want, 6);
	static const char *const bad[] = {"02:00:0a:ff:01",    "02:00:0a:ff:01:9b:", "2:0:a:f:1:9",
	                                  "02-00-0a-ff-01-9b", "02:00:0a:ff:01:9g",  ""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(shoal_api_parse_mac(bad[i], mac), -1);
}

static void test_error_json_shape(void **state)
{
	(void)state;
	struct shoal_api_error err;
	assert_int_equal(shoal_api_error_set(&err, 409, "route_exists", "route %s exists", "x"),
	                 -1);
	char *text = shoal_api_error_json(&err);
	json_t *j = json_loads(text, 0, NULL);
	assert_non_null(j);
	assert_int_equal(json_object_size(j), 1);
	json_t *inner = json_object_get(j, "error");
	assert_int_equal(json_object_size(inner), 2);
	assert_string_equal(json_string_value(json_object_get(inner, "code")), "route_exists");
	assert_string_equal(json_string_value(json_object_get(inner, "message")), "route x exists");
	json_decref(j);
	free(text);
	err.index = 3;
	text = shoal_api_error_json(&err);
	j = json_loads(text, 0, NULL);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "error"), "index")),
	                 3);
	json_decref(j);
	free(text);
}

/* Found by tests/fuzz/fuzz_api_target: a message quoting client bytes that are not UTF-8
 * (or cut mid-character by %.64s, or holding a newline) had no JSON body. */
static void test_error_json_quotes_any_bytes(void **state)
{
	(void)state;
	static const struct {
		const char *quoted, *message;
	} cases[] = {
	    {"/FFFFF\xc6", "no such file: /FFFFF\\xc6"},
	    {"\xff\xfe", "no such file: \\xff\\xfe"},
	    {"caf\xc3\xa9 \xe2\x82", "no such file: caf\xc3\xa9 \\xe2\\x82"},
	    {"\xed\xa0\x80 \xc0\xaf", "no such file: \\xed\\xa0\\x80 \\xc0\\xaf"},
	    {"a\nb\x7f", "no such file: a\\x0ab\\x7f"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct shoal_api_error err;
		shoal_api_error_set(&err, 404, "not_found", "no such file: %s", cases[i].quoted);
		char *text = shoal_api_error_json(&err);
		assert_non_null(text);
		json_t *j = json_loads(text, 0, NULL);
		assert_non_null(j);
		assert_string_equal(
		    json_string_value(json_object_get(json_object_get(j, "error"), "message")),
		    cases[i].message);
		json_decref(j);
		free(text);
	}
}

/* ---- static files ---- */

static char root[PATH_MAX];
static char outside[PATH_MAX];

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int static_setup(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/shoal-api-static-XXXXXX";
	char *base = mkdtemp(tmpl);
	assert_non_null(base);
	char path[PATH_MAX + 64];
	snprintf(root, sizeof(root), "%s/web", base);
	snprintf(outside, sizeof(outside), "%s/secret", base);
	assert_int_equal(mkdir(root, 0700), 0);
	snprintf(path, sizeof(path), "%s/index.html", root);
	write_file(path, "<h1>hi</h1>");
	snprintf(path, sizeof(path), "%s/sub", root);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/sub/app.js", root);
	write_file(path, "1;");
	write_file(outside, "secret");
	snprintf(path, sizeof(path), "%s/escape", root);
	assert_int_equal(symlink(outside, path), 0);
	return 0;
}

static int static_teardown(void **state)
{
	(void)state;
	char cmd[PATH_MAX + 32];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/..'", root);
	char base[PATH_MAX];
	snprintf(base, sizeof(base), "%s", root);
	*strrchr(base, '/') = '\0';
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_static_resolves_under_root(void **state)
{
	(void)state;
	char out[PATH_MAX], want[PATH_MAX + 32];
	struct shoal_api_error err;
	assert_int_equal(shoal_api_static_resolve(root, "/", out, sizeof(out), &err), 0);
	snprintf(want, sizeof(want), "%s/index.html", root);
	assert_string_equal(out, want);
	assert_int_equal(shoal_api_static_resolve(root, "/sub/app.js", out, sizeof(out), &err), 0);
	assert_string_equal(shoal_api_content_type(out), "text/javascript; charset=utf-8");
	assert_int_equal(shoal_api_static_resolve(root, "//sub//app.js", out, sizeof(out), &err),
	                 0);
}

static void test_static_rejects_traversal(void **state)
{
	(void)state;
	char out[PATH_MAX];
	struct shoal_api_error err;
	static const char *const dotted[] = {"/../secret", "/sub/../../secret", "/sub/..",
	                                     "/./index.html", "/.."};
	for (size_t i = 0; i < sizeof(dotted) / sizeof(dotted[0]); i++) {
		assert_int_equal(shoal_api_static_resolve(root, dotted[i], out, sizeof(out), &err),
		                 -1);
		assert_int_equal(err.http_status, 400);
		assert_string_equal(err.code, "bad_path");
	}
	/* Encoded dots decode to the same path first. */
	assert_int_equal(parse("/%2e%2e/secret"), 0);
	assert_int_equal(shoal_api_static_resolve(root, t.path, out, sizeof(out), &err), -1);
	assert_int_equal(err.http_status, 400);
	/* A symlink out of the root, a directory and a missing file: 404. */
	static const char *const missing[] = {"/escape", "/sub", "/sub/", "/nope.html"};
	for (size_t i = 0; i < sizeof(missing) / sizeof(missing[0]); i++) {
		assert_int_equal(shoal_api_static_resolve(root, missing[i], out, sizeof(out), &err),
		                 -1);
		assert_int_equal(err.http_status, 404);
	}
	/* A dotfile name is fine when it is not exactly "." or "..". */
	assert_int_equal(shoal_api_static_resolve(root, "/..x", out, sizeof(out), &err), -1);
	assert_int_equal(err.http_status, 404);
}

static void test_content_types(void **state)
{
	(void)state;
	assert_string_equal(shoal_api_content_type("/w/index.html"), "text/html; charset=utf-8");
	assert_string_equal(shoal_api_content_type("/w/openapi.yaml"), "application/yaml");
	assert_string_equal(shoal_api_content_type("/w.d/noext"), "application/octet-stream");
}

/* The message of e is valid UTF-8 and its JSON body parses back to the same message. */
static void assert_error_body_valid(const struct shoal_api_error *err)
{
	char *text = shoal_api_error_json(err);
	assert_non_null(text);
	json_error_t je;
	json_t *doc = json_loads(text, 0, &je);
	assert_non_null(doc);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(doc, "error"), "message")),
	    err->message);
	json_decref(doc);
	free(text);
}

static void test_quote_escapes_and_cuts(void **state)
{
	(void)state;
	assert_string_equal(shoal_api_quote("abc", 64).s, "abc");
	assert_string_equal(shoal_api_quote("a\xff"
	                                    "b",
	                                    64)
	                        .s,
	                    "a\\xffb");
	assert_string_equal(shoal_api_quote("tab\there", 64).s, "tab\\x09here");
	/* overlong "/" (c0 af), surrogate (ed a0 80), above U+10FFFF (f4 90 80 80) */
	assert_string_equal(shoal_api_quote("\xc0\xaf", 64).s, "\\xc0\\xaf");
	assert_string_equal(shoal_api_quote("\xed\xa0\x80", 64).s, "\\xed\\xa0\\x80");
	assert_string_equal(shoal_api_quote("\xf4\x90\x80\x80", 64).s, "\\xf4\\x90\\x80\\x80");
	assert_string_equal(shoal_api_quote("\xc3\xa9\xf0\x9f\x90\x9f", 64).s,
	                    "\xc3\xa9\xf0\x9f\x90\x9f"); /* valid: kept */
	/* 40 x "é" (80 bytes) into 64: cut between characters, then "..." */
	char e40[81] = "";
	for (int i = 0; i < 40; i++)
		strcat(e40, "\xc3\xa9");
	const char *q = shoal_api_quote(e40, 64).s;
	assert_true(strlen(q) <= 64);
	assert_int_equal(strlen(q), 30 * 2 + 3);
	assert_memory_equal(q + strlen(q) - 5, "\xc3\xa9...", 5);
	/* exactly fitting: no ellipsis */
	assert_string_equal(shoal_api_quote("abcd", 4).s, "abcd");
	assert_string_equal(shoal_api_quote("abcde", 4).s, "a...");
}

static void test_reported_inputs_give_valid_json(void **state)
{
	(void)state;
	assert_int_equal(shoal_api_target_parse("/api/v1/routes/%ff", &t, &e), -1);
	assert_error_body_valid(&e);
	assert_non_null(strstr(e.message, "\\xff"));
	/* the cut of a formatted message (vsnprintf) mid-character is repaired too */
	char e200[401] = "";
	for (int i = 0; i < 200; i++)
		strcat(e200, "\xc3\xa9");
	shoal_api_error_set(&e, 400, "x", "%s", e200);
	assert_error_body_valid(&e);
	/* next_hop of 40 "é" through the body parser */
	char body[256];
	char e40[81] = "";
	for (int i = 0; i < 40; i++)
		strcat(e40, "\xc3\xa9");
	snprintf(body, sizeof(body), "{\"prefix\":\"10.7.0.0/16\",\"next_hop\":\"%s\"}", e40);
	struct shoal_ctl_route_spec spec;
	assert_int_equal(shoal_api_route_body(body, strlen(body), NULL, &spec, &e), -1);
	assert_string_equal(e.code, "invalid_address");
	assert_error_body_valid(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_registry_drives_matching),
	    cmocka_unit_test(test_health_needs_no_auth),
	    cmocka_unit_test(test_collections),
	    cmocka_unit_test(test_route_item_path),
	    cmocka_unit_test(test_route_item_host_bits_suggests_canonical),
	    cmocka_unit_test(test_route_item_bad_prefixes),
	    cmocka_unit_test(test_deeper_paths_are_not_found),
	    cmocka_unit_test(test_arp_entry_path),
	    cmocka_unit_test(test_plugin_paths),
	    cmocka_unit_test(test_static_paths),
	    cmocka_unit_test(test_bad_targets),
	    cmocka_unit_test(test_query_parsing),
	    cmocka_unit_test(test_allowed_query_parameters),
	    cmocka_unit_test(test_methods_and_allow),
	    cmocka_unit_test(test_parse_mac),
	    cmocka_unit_test(test_error_json_shape),
	    cmocka_unit_test(test_error_json_quotes_any_bytes),
	    cmocka_unit_test(test_quote_escapes_and_cuts),
	    cmocka_unit_test(test_reported_inputs_give_valid_json),
	    cmocka_unit_test_setup_teardown(test_static_resolves_under_root, static_setup,
	                                    static_teardown),
	    cmocka_unit_test_setup_teardown(test_static_rejects_traversal, static_setup,
	                                    static_teardown),
	    cmocka_unit_test(test_content_types),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
