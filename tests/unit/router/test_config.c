/* Tests for router/config.c: the default, every error message, unknown keys, a full file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shoal/config.h"
#include "shoal/ethernet.h"

static struct shoal_config *cfg;
static struct shoal_config_errors *errs;

static int setup(void **state)
{
	(void)state;
	cfg = malloc(sizeof(*cfg));
	errs = malloc(sizeof(*errs));
	return cfg == NULL || errs == NULL;
}

static int teardown(void **state)
{
	(void)state;
	free(cfg);
	free(errs);
	return 0;
}

/* Tests write JSON with single quotes for readability; this turns them into double quotes. */
static int load(const char *squoted)
{
	char text[8192];
	size_t n = strlen(squoted);
	assert_true(n < sizeof(text));
	for (size_t i = 0; i <= n; i++)
		text[i] = squoted[i] == '\'' ? '"' : squoted[i];
	return shoal_config_load_string(cfg, text, "cfg.json", errs);
}

static void print_errors(void)
{
	for (unsigned i = 0; i < errs->count && i < SHOAL_CONFIG_ERRORS_MAX; i++)
		fprintf(stderr, "  got: %s\n", errs->msg[i]);
}

/* Loads and requires exactly one error, equal to want. */
static void expect_one(const char *json, const char *want)
{
	int rc = load(json);
	if (errs->count != 1 || strcmp(errs->msg[0], want) != 0) {
		fprintf(stderr, "want: %s\n", want);
		print_errors();
	}
	assert_int_equal(rc, -1);
	assert_int_equal(errs->count, 1);
	assert_string_equal(errs->msg[0], want);
}

static void expect_ok(const char *json)
{
	int rc = load(json);
	if (rc != 0)
		print_errors();
	assert_int_equal(rc, 0);
	assert_int_equal(errs->count, 0);
}

#define LAN0 "{'name':'lan0','kind':'tap','address':'10.0.1.1/24'}"
#define LAN1 "{'name':'lan1','kind':'tap','address':'10.0.2.1/24'}"
#define UP0  "{'name':'up0','kind':'tun','address':'169.254.144.9/24'}"

static void test_default_validates(void **state)
{
	(void)state;
	shoal_config_default(cfg);
	errs->count = 0;
	assert_int_equal(shoal_config_validate(cfg, "default", errs), 0);
	assert_int_equal(errs->count, 0);
	assert_int_equal(cfg->n_interfaces, 2);
	assert_string_equal(cfg->interfaces[0].name, "lan0");
	assert_int_equal(cfg->interfaces[0].kind, SHOAL_CONFIG_IF_TAP);
	assert_int_equal(cfg->interfaces[0].address, 0x0a000101u);
	assert_int_equal(cfg->interfaces[0].prefix_len, 24);
	assert_string_equal(cfg->interfaces[1].name, "lan1");
	assert_int_equal(cfg->interfaces[1].address, 0x0a000201u);
	assert_int_equal(cfg->interfaces[1].mtu, 1500);
	assert_true(cfg->interfaces[1].offload);
	assert_int_equal(cfg->api_address, 0x7f000001u);
	assert_int_equal(cfg->api_port, 8144);
	assert_string_equal(cfg->api_listen, "127.0.0.1:8144");
	assert_string_equal(cfg->plugin_dir, SHOAL_DEFAULT_PLUGIN_DIR);
	assert_string_equal(cfg->state_dir, "/var/lib/shoal");
	assert_string_equal(cfg->web_dir, SHOAL_DEFAULT_WEB_DIR);
	assert_string_equal(cfg->api_token_file, "/var/lib/shoal/api.token");
	assert_int_equal(cfg->api_max_connections, 4096);
	assert_int_equal(cfg->api_max_connections_per_ip, 64);
	assert_int_equal(cfg->api_request_timeout_s, 10);
	assert_int_equal(cfg->api_idle_timeout_s, 15);
	assert_string_equal(cfg->user, "");
	assert_int_equal(cfg->n_routes, 0);
	assert_int_equal(cfg->n_plugins, 0);
}

static void test_minimal_file_takes_defaults(void **state)
{
	(void)state;
	expect_ok("{'interfaces':[" LAN0 "]}");
	assert_int_equal(cfg->n_interfaces, 1);
	assert_false(cfg->interfaces[0].has_mac);
	struct shoal_mac mac;
	shoal_mac_from_name("lan0", &mac);
	assert_memory_equal(cfg->interfaces[0].mac, mac.b, 6);
	assert_int_equal(cfg->api_port, 8144);
	assert_string_equal(cfg->state_dir, "/var/lib/shoal");
	assert_string_equal(cfg->web_dir, SHOAL_DEFAULT_WEB_DIR);
}

static void test_full_file_round_trips(void **state)
{
	(void)state;
	char path[] = "/tmp/shoal_cfg_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *text =
	    "{\n"
	    " \"interfaces\": [\n"
	    "  {\"name\": \"lan0\", \"kind\": \"tap\", \"address\": \"10.0.1.1/24\",\n"
	    "   \"mac\": \"02:00:00:00:01:01\", \"mtu\": 9000, \"offload\": false},\n"
	    "  {\"name\": \"up0\", \"kind\": \"tun\", \"address\": \"169.254.144.9/24\"}],\n"
	    " \"routes\": [{\"prefix\": \"0.0.0.0/0\", \"next_hop\": \"169.254.144.1\",\n"
	    "              \"interface\": \"up0\"},\n"
	    "            {\"prefix\": \"192.168.0.0/16\", \"next_hop\": \"10.0.1.254\"},\n"
	    "            {\"prefix\": \"172.16.0.0/12\", \"interface\": \"lan0\"}],\n"
	    " \"plugins\": [{\"name\": \"example\", \"config\": {\"greeting\": \"hi\", \"n\": "
	    "3}},\n"
	    "             {\"name\": \"stats\"}],\n"
	    " \"plugin_dir\": \"/opt/shoal/plugins\",\n"
	    " \"api\": {\"listen\": \"0.0.0.0:9000\", \"token_file\": \"/run/shoal/token\"},\n"
	    " \"state_dir\": \"/run/shoal\",\n"
	    " \"web_dir\": \"/srv/shoal/web\"\n"
	    "}\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	int rc = shoal_config_load_file(cfg, path, errs);
	unlink(path);
	if (rc != 0)
		print_errors();
	assert_int_equal(rc, 0);

	assert_int_equal(cfg->n_interfaces, 2);
	const struct shoal_config_interface *l = &cfg->interfaces[0];
	assert_string_equal(l->name, "lan0");
	assert_int_equal(l->kind, SHOAL_CONFIG_IF_TAP);
	assert_int_equal(l->address, 0x0a000101u);
	assert_int_equal(l->prefix_len, 24);
	assert_true(l->has_mac);
	static const uint8_t mac[6] = {2, 0, 0, 0, 1, 1};
	assert_memory_equal(l->mac, mac, 6);
	assert_int_equal(l->mtu, 9000);
	assert_false(l->offload);
	const struct shoal_config_interface *u = &cfg->interfaces[1];
	assert_string_equal(u->name, "up0");
	assert_int_equal(u->kind, SHOAL_CONFIG_IF_TUN);
	assert_int_equal(u->address, 0xa9fe9009u);
	assert_false(u->has_mac);
	assert_int_equal(u->mtu, 1500);
	assert_true(u->offload);

	assert_int_equal(cfg->n_routes, 3);
	assert_int_equal(cfg->routes[0].prefix, 0);
	assert_int_equal(cfg->routes[0].prefix_len, 0);
	assert_true(cfg->routes[0].has_next_hop);
	assert_int_equal(cfg->routes[0].next_hop, 0xa9fe9001u);
	assert_int_equal(cfg->routes[0].interface, 1);
	assert_int_equal(cfg->routes[1].prefix, 0xc0a80000u);
	assert_int_equal(cfg->routes[1].prefix_len, 16);
	assert_int_equal(cfg->routes[1].next_hop, 0x0a0001feu);
	assert_int_equal(cfg->routes[1].interface, 0); /* resolved from the next hop */
	assert_string_equal(cfg->routes[1].interface_name, "lan0");
	assert_false(cfg->routes[2].has_next_hop);
	assert_int_equal(cfg->routes[2].interface, 0);

	assert_int_equal(cfg->n_plugins, 2);
	assert_string_equal(cfg->plugins[0].name, "example");
	assert_string_equal(cfg->plugins[0].config_json, "{\"greeting\":\"hi\",\"n\":3}");
	assert_string_equal(cfg->plugins[1].name, "stats");
	assert_string_equal(cfg->plugins[1].config_json, "{}");

	assert_string_equal(cfg->plugin_dir, "/opt/shoal/plugins");
	assert_string_equal(cfg->api_listen, "0.0.0.0:9000");
	assert_int_equal(cfg->api_address, 0);
	assert_int_equal(cfg->api_port, 9000);
	assert_string_equal(cfg->api_token_file, "/run/shoal/token");
	assert_string_equal(cfg->state_dir, "/run/shoal");
	assert_string_equal(cfg->web_dir, "/srv/shoal/web");
}

static void test_missing_file(void **state)
{
	(void)state;
	assert_int_equal(shoal_config_load_file(cfg, "/nonexistent/shoal.json", errs), -1);
	assert_int_equal(errs->count, 1);
	assert_string_equal(errs->msg[0], "/nonexistent/shoal.json: No such file or directory");
}

static void test_syntax_error_has_line_column(void **state)
{
	(void)state;
	assert_int_equal(load("{\n  'interfaces': [\n    {'name': 'lan0',,}\n]}"), -1);
	assert_int_equal(errs->count, 1);
	assert_non_null(strstr(errs->msg[0], "cfg.json:3:"));
	assert_int_equal(load("{'interfaces': [], 'interfaces': []}"), -1);
	assert_non_null(strstr(errs->msg[0], "cfg.json:1:"));
	assert_non_null(strstr(errs->msg[0], "duplicate"));
}

static void test_unknown_keys_every_level(void **state)
{
	(void)state;
	expect_one("{'interfaces':[" LAN0 "],'bogus':1}", "cfg.json: bogus: unknown key");
	expect_one("{'interfaces':[{'name':'lan0','kind':'tap','address':'10.0.1.1/24','adress':1}"
	           "]}",
	           "cfg.json: interfaces[0].adress: unknown key");
	expect_one("{'interfaces':[" LAN0 "],'routes':[{'prefix':'10.9.0.0/16','next_hop':"
	           "'10.0.1.9','via':'x'}]}",
	           "cfg.json: routes[0].via: unknown key");
	expect_one("{'interfaces':[" LAN0 "],'plugins':[{'name':'a','conf':{}}]}",
	           "cfg.json: plugins[0].conf: unknown key");
	expect_one("{'interfaces':[" LAN0 "],'api':{'listen':'127.0.0.1:1','port':2}}",
	           "cfg.json: api.port: unknown key");
	/* found by tests/fuzz/fuzz_config: a key with a newline made a two-line message */
	expect_one("{'interfaces':[" LAN0 "],'bo\\ngus\\u001b[2J':1}",
	           "cfg.json: bo?gus?[2J: unknown key");
	/* and jansson's syntax errors quote the text near the error */
	assert_int_equal(load("{'interfaces':\n'\\\n'}"), -1);
	assert_int_equal(errs->count, 1);
	assert_null(strchr(errs->msg[0], '\n'));
}

static void test_shape_errors(void **state)
{
	(void)state;
	expect_one("[]", "cfg.json: top level: expected an object, got an array");
	expect_one("{}", "cfg.json: interfaces: missing required key");
	expect_one("{'interfaces':[]}", "cfg.json: interfaces: at least one interface is required");
	expect_one("{'interfaces':{}}", "cfg.json: interfaces: expected an array, got an object");
	expect_one("{'interfaces':[3]}",
	           "cfg.json: interfaces[0]: expected an object, got an integer");
	expect_one("{'interfaces':[{'kind':'tap','address':'10.0.1.1/24'}]}",
	           "cfg.json: interfaces[0].name: missing required key");
	expect_one("{'interfaces':[{'name':'lan0','address':'10.0.1.1/24'}]}",
	           "cfg.json: interfaces[0].kind: missing required key");
	expect_one("{'interfaces':[{'name':'lan0','kind':'tap'}]}",
	           "cfg.json: interfaces[0].address: missing required key");
	expect_one("{'interfaces':[{'name':'lan0','kind':'tap','address':'10.0.1.1/24',"
	           "'mtu':'1500'}]}",
	           "cfg.json: interfaces[0].mtu: expected an integer, got a string");
	expect_one("{'interfaces':[{'name':'lan0','kind':'tap','address':'10.0.1.1/24',"
	           "'offload':1}]}",
	           "cfg.json: interfaces[0].offload: expected true or false, got an integer");
	expect_one("{'interfaces':[" LAN0 "],'routes':[{'next_hop':'10.0.1.9'}]}",
	           "cfg.json: routes[0].prefix: missing required key");
	expect_one("{'interfaces':[" LAN0 "],'routes':[{'prefix':'10.9.0.0/16'}]}",
	           "cfg.json: routes[0]: needs \"next_hop\", \"interface\" or both");
	expect_one("{'interfaces':[" LAN0 "],'plugins':[{'config':{}}]}",
	           "cfg.json: plugins[0].name: missing required key");
	expect_one("{'interfaces':[" LAN0 "],'plugins':[{'name':'a','config':[]}]}",
	           "cfg.json: plugins[0].config: expected an object, got an array");
	expect_one("{'interfaces':[" LAN0 "],'api':'x'}",
	           "cfg.json: api: expected an object, got a string");
	expect_one("{'interfaces':[" LAN0 "],'state_dir':''}",
	           "cfg.json: state_dir: must not be empty");
	expect_one("{'interfaces':[" LAN0 "],'web_dir':''}",
	           "cfg.json: web_dir: must not be empty");
	expect_one("{'interfaces':[" LAN0 "],'plugin_dir':7}",
	           "cfg.json: plugin_dir: expected a string, got an integer");
}

static void test_interface_name_errors(void **state)
{
	(void)state;
	expect_one("{'interfaces':[{'name':'lan/0','kind':'tap','address':'10.0.1.1/24'}]}",
	           "cfg.json: interfaces[0].name: \"lan/0\" is not a valid interface name "
	           "(1..15 characters of A-Z a-z 0-9 _ . -)");
	expect_one("{'interfaces':[{'name':'abcdefghijklmnop','kind':'tap','address':"
	           "'10.0.1.1/24'}]}",
	           "cfg.json: interfaces[0].name: \"abcdefghijklmnop\" is not a valid interface "
	           "name (1..15 characters of A-Z a-z 0-9 _ . -)");
	/* 15 characters is fine. */
	expect_ok("{'interfaces':[{'name':'abcdefghijklmno','kind':'tap','address':"
	          "'10.0.1.1/24'}]}");
	expect_one("{'interfaces':[{'name':'..','kind':'tap','address':'10.0.1.1/24'}]}",
	           "cfg.json: interfaces[0].name: \"..\" is not a valid interface name "
	           "(1..15 characters of A-Z a-z 0-9 _ . -)");
	expect_one("{'interfaces':[" LAN0 ",{'name':'lan0','kind':'tap','address':'10.0.2.1/24'}]}",
	           "cfg.json: interfaces[1].name: \"lan0\" is already used by interfaces[0]");
	expect_one("{'interfaces':[{'name':'lan0','kind':'tapp','address':'10.0.1.1/24'}]}",
	           "cfg.json: interfaces[0].kind: \"tapp\" is not an interface kind (expected "
	           "\"tap\" or \"tun\")");
}

static void test_interface_address_errors(void **state)
{
	(void)state;
	expect_one("{'interfaces':[" LAN0
	           ",{'name':'lan1','kind':'tap','address':'10.0.1.300/24'}]}",
	           "cfg.json: interfaces[1].address: \"10.0.1.300/24\" is not an IPv4 "
	           "address/prefix");
	expect_one("{'interfaces':[{'name':'lan0','kind':'tap','address':'10.0.1.1'}]}",
	           "cfg.json: interfaces[0].address: \"10.0.1.1\" is not an IPv4 address/prefix");
	expect_one(
	    "{'interfaces':[{'name':'lan0','kind':'tap','address':'10.0.1.1/33'}]}",
	    "cfg.json: interfaces[0].address: \"10.0.1.1/33\" is not an IPv4 address/prefix");
	expect_one("{'interfaces':[{'name':'lan0','kind':'tap','address':'10.0.1.1/0'}]}",
	           "cfg.json: interfaces[0].address: \"10.0.1.1/0\": prefix length must be 1..32");
	expect_one("{'interfaces':[{'name':'lan0','kind':'tap','address':'10.0.1.0/24'}]}",
	           "cfg.json: interfaces[0].address: \"10.0.1.0/24\" is the network address of "
	           "10.0.1.0/24, not a host address");
	expect_one("{'interfaces':[{'name':'lan0','kind':'tap','address':'10.0.1.255/24'}]}",
	           "cfg.json: interfaces[0].address: \"10.0.1.255/24\" is the broadcast address of "
	           "10.0.1.0/24, not a host address");
	expect_one("{'interfaces':[{'name':'lan0','kind':'tap','address':'127.0.0.1/8'}]}",
	           "cfg.json: interfaces[0].address: \"127.0.0.1/8\" is not a usable host address "
	           "(0/8, 127/8 and 224.0.0.0 and above are refused)");
	/* /31 and /32 have no network/broadcast address. */
	expect_ok("{'interfaces':[{'name':'p0','kind':'tun','address':'10.0.0.0/31'},"
	          "{'name':'p1','kind':'tun','address':'10.0.0.2/32'}]}");
	expect_one("{'interfaces':[" LAN0 ",{'name':'lan1','kind':'tap','address':'10.0.0.1/16'}]}",
	           "cfg.json: interfaces[1].address: 10.0.0.0/16 overlaps the network of "
	           "interfaces[0] (lan0, 10.0.1.1/24)");
}

static void test_interface_mac_mtu_errors(void **state)
{
	(void)state;
	expect_one("{'interfaces':[{'name':'lan0','kind':'tap','address':'10.0.1.1/24',"
	           "'mac':'02:00:00:00:01'}]}",
	           "cfg.json: interfaces[0].mac: \"02:00:00:00:01\" is not a MAC address (expected "
	           "aa:bb:cc:dd:ee:ff)");
	expect_one("{'interfaces':[{'name':'lan0','kind':'tap','address':'10.0.1.1/24',"
	           "'mac':'02:00:00:00:01:0g'}]}",
	           "cfg.json: interfaces[0].mac: \"02:00:00:00:01:0g\" is not a MAC address "
	           "(expected aa:bb:cc:dd:ee:ff)");
	expect_one("{'interfaces':[{'name':'lan0','kind':'tap','address':'10.0.1.1/24',"
	           "'mac':'01:00:5E:00:00:01'}]}",
	           "cfg.json: interfaces[0].mac: \"01:00:5e:00:00:01\" is a multicast MAC address "
	           "(the first octet must be even)");
	expect_one("{'interfaces':[{'name':'lan0','kind':'tap','address':'10.0.1.1/24',"
	           "'mac':'00:00:00:00:00:00'}]}",
	           "cfg.json: interfaces[0].mac: \"00:00:00:00:00:00\" is the zero MAC address");
	expect_one("{'interfaces':[{'name':'up0','kind':'tun','address':'10.0.1.1/24',"
	           "'mac':'02:00:00:00:00:01'}]}",
	           "cfg.json: interfaces[0].mac: a tun interface has no MAC address");
	expect_one("{'interfaces':[{'name':'lan0','kind':'tap','address':'10.0.1.1/24',"
	           "'mtu':67}]}",
	           "cfg.json: interfaces[0].mtu: 67 is out of range (68..65535)");
	expect_one("{'interfaces':[{'name':'lan0','kind':'tap','address':'10.0.1.1/24',"
	           "'mtu':65536}]}",
	           "cfg.json: interfaces[0].mtu: 65536 is out of range (68..65535)");
	expect_ok("{'interfaces':[{'name':'lan0','kind':'tap','address':'10.0.1.1/24',"
	          "'mtu':68},{'name':'lan1','kind':'tap','address':'10.0.2.1/24','mtu':65535}]}");
}

static void test_route_errors(void **state)
{
	(void)state;
	expect_one("{'interfaces':[" LAN0 "],'routes':[{'prefix':'10.9.0.0','next_hop':"
	           "'10.0.1.9'}]}",
	           "cfg.json: routes[0].prefix: \"10.9.0.0\" is not an IPv4 address/prefix");
	expect_one("{'interfaces':[" LAN0 "],'routes':[{'prefix':'10.9.1.0/16','next_hop':"
	           "'10.0.1.9'}]}",
	           "cfg.json: routes[0].prefix: \"10.9.1.0/16\" has host bits set; did you mean "
	           "\"10.9.0.0/16\"?");
	expect_one("{'interfaces':[" LAN0 "],'routes':[{'prefix':'10.9.0.0/16','next_hop':"
	           "'10.0.1.9'},{'prefix':'10.9.0.0/16','next_hop':'10.0.1.8'}]}",
	           "cfg.json: routes[1].prefix: 10.9.0.0/16 duplicates routes[0]");
	expect_one("{'interfaces':[" LAN0 "],'routes':[{'prefix':'10.9.0.0/16','next_hop':"
	           "'10.0.1.x'}]}",
	           "cfg.json: routes[0].next_hop: \"10.0.1.x\" is not an IPv4 address");
	expect_one("{'interfaces':[" LAN0 "],'routes':[{'prefix':'10.9.0.0/16','next_hop':"
	           "'10.5.5.5'}]}",
	           "cfg.json: routes[0].next_hop: 10.5.5.5 is not inside the connected network of "
	           "any interface");
	expect_one("{'interfaces':[" LAN0 "," LAN1 "],'routes':[{'prefix':'10.9.0.0/16',"
	           "'next_hop':'10.0.2.9','interface':'lan0'}]}",
	           "cfg.json: routes[0].next_hop: 10.0.2.9 is not inside the connected network of "
	           "interface lan0 (10.0.1.0/24)");
	expect_one("{'interfaces':[" LAN0 "],'routes':[{'prefix':'10.9.0.0/16','next_hop':"
	           "'10.0.1.1'}]}",
	           "cfg.json: routes[0].next_hop: 10.0.1.1 is the address of interface lan0");
	expect_one("{'interfaces':[" LAN0 "],'routes':[{'prefix':'10.9.0.0/16','interface':"
	           "'wan0'}]}",
	           "cfg.json: routes[0].interface: no interface named \"wan0\"");
	/* The example: a default route over a TUN. */
	expect_ok("{'interfaces':[" LAN0 "," UP0 "],'routes':[{'prefix':'0.0.0.0/0','next_hop':"
	          "'169.254.144.1','interface':'up0'}]}");
	assert_int_equal(cfg->routes[0].interface, 1);
}

static void test_plugin_errors(void **state)
{
	(void)state;
	expect_one("{'interfaces':[" LAN0 "],'plugins':[{'name':'../evil'}]}",
	           "cfg.json: plugins[0].name: \"../evil\" is not a valid plugin name (1..31 "
	           "characters of a-z 0-9 _)");
	expect_one("{'interfaces':[" LAN0 "],'plugins':[{'name':'my-nat'}]}",
	           "cfg.json: plugins[0].name: \"my-nat\" is not a valid plugin name (1..31 "
	           "characters of a-z 0-9 _)");
	expect_one("{'interfaces':[" LAN0 "],'plugins':[{'name':'nat'},{'name':'nat'}]}",
	           "cfg.json: plugins[1].name: \"nat\" is already used by plugins[0]");
	char big[6000];
	int n = snprintf(big, sizeof(big),
	                 "{'interfaces':[" LAN0 "],'plugins':[{'name':'a',"
	                 "'config':{'k':'");
	memset(big + n, 'x', 4200);
	snprintf(big + n + 4200, sizeof(big) - (size_t)n - 4200, "'}}]}");
	assert_int_equal(load(big), -1);
	assert_int_equal(errs->count, 1);
	assert_non_null(strstr(errs->msg[0], "cfg.json: plugins[0].config: too large ("));
}

static void test_api_errors(void **state)
{
	(void)state;
	expect_one("{'interfaces':[" LAN0 "],'api':{'listen':'127.0.0.1'}}",
	           "cfg.json: api.listen: \"127.0.0.1\" is not an IPv4 address:port (e.g. "
	           "\"127.0.0.1:8144\")");
	expect_one("{'interfaces':[" LAN0 "],'api':{'listen':'127.0.0.1:0'}}",
	           "cfg.json: api.listen: \"127.0.0.1:0\" is not an IPv4 address:port (e.g. "
	           "\"127.0.0.1:8144\")");
	expect_one("{'interfaces':[" LAN0 "],'api':{'listen':'localhost:80'}}",
	           "cfg.json: api.listen: \"localhost:80\" is not an IPv4 address:port (e.g. "
	           "\"127.0.0.1:8144\")");
	expect_one("{'interfaces':[" LAN0 "],'api':{'token_file':''}}",
	           "cfg.json: api.token_file: must not be empty");
	expect_one("{'interfaces':[" LAN0 "],'api':{'max_connections':15}}",
	           "cfg.json: api.max_connections: 15 is out of range (16..65536)");
	expect_one("{'interfaces':[" LAN0 "],'api':{'max_connections_per_ip':0}}",
	           "cfg.json: api.max_connections_per_ip: 0 is out of range (1..65536)");
	expect_one("{'interfaces':[" LAN0 "],'api':{'max_connections':100,"
	           "'max_connections_per_ip':101}}",
	           "cfg.json: api: max_connections_per_ip (101) is above max_connections (100)");
	expect_one("{'interfaces':[" LAN0 "],'api':{'request_timeout_s':0}}",
	           "cfg.json: api.request_timeout_s: 0 is out of range (1..300)");
	expect_one("{'interfaces':[" LAN0 "],'api':{'idle_timeout_s':301}}",
	           "cfg.json: api.idle_timeout_s: 301 is out of range (1..300)");
	expect_one("{'interfaces':[" LAN0 "],'api':{'idle_timeout_s':'15'}}",
	           "cfg.json: api.idle_timeout_s: expected an integer, got a string");
	expect_one("{'interfaces':[" LAN0 "],'user':'-x'}",
	           "cfg.json: user: \"-x\" is not a user name (1..32 characters of [A-Za-z0-9_.-], "
	           "not starting with '-')");
	expect_one("{'interfaces':[" LAN0 "],'user':''}",
	           "cfg.json: user: \"\" is not a user name (1..32 characters of [A-Za-z0-9_.-], "
	           "not starting with '-')");
	expect_ok("{'interfaces':[" LAN0 "],'user':'shoal','api':{'max_connections':16,"
	          "'max_connections_per_ip':16,'request_timeout_s':300,'idle_timeout_s':1}}");
	assert_int_equal(cfg->api_max_connections, 16);
	assert_int_equal(cfg->api_max_connections_per_ip, 16);
	assert_int_equal(cfg->api_request_timeout_s, 300);
	assert_int_equal(cfg->api_idle_timeout_s, 1);
	assert_string_equal(cfg->user, "shoal");
	expect_ok("{'interfaces':[" LAN0 "],'api':{'max_connections':16}}"); /* default per-IP */
}

static void test_icmp_rate_limit(void **state)
{
	(void)state;
	expect_ok("{'interfaces':[" LAN0 "]}");
	assert_int_equal(cfg->icmp_rate_per_s, 1000);
	assert_int_equal(cfg->icmp_burst, 50);
	expect_ok("{'interfaces':[" LAN0 "],'icmp':{'rate_per_s':0,'burst':5}}");
	assert_int_equal(cfg->icmp_rate_per_s, 0);
	assert_int_equal(cfg->icmp_burst, 5);
	expect_one("{'interfaces':[" LAN0 "],'icmp':{'burst':0}}",
	           "cfg.json: icmp.burst: 0 is out of range (1..1000000)");
	expect_one("{'interfaces':[" LAN0 "],'icmp':{'rate_per_s':-1}}",
	           "cfg.json: icmp.rate_per_s: -1 is out of range (0..1000000)");
	expect_one("{'interfaces':[" LAN0 "],'icmp':{'rate':1}}",
	           "cfg.json: icmp.rate: unknown key");
	/* per destination, Linux-like by default */
	expect_ok("{'interfaces':[" LAN0 "]}");
	assert_int_equal(cfg->icmp_dest_interval_ms, 1000);
	assert_int_equal(cfg->icmp_dest_burst, 6);
	assert_int_equal(cfg->icmp_dest_max, 4096);
	expect_ok("{'interfaces':[" LAN0 "],'icmp':{'dest_interval_ms':0,'dest_burst':2,"
	          "'dest_max':16}}");
	assert_int_equal(cfg->icmp_dest_interval_ms, 0);
	assert_int_equal(cfg->icmp_dest_burst, 2);
	assert_int_equal(cfg->icmp_dest_max, 16);
	expect_one("{'interfaces':[" LAN0 "],'icmp':{'dest_max':0}}",
	           "cfg.json: icmp.dest_max: 0 is out of range (1..1000000)");
	expect_one("{'interfaces':[" LAN0 "],'icmp':{'dest_burst':0}}",
	           "cfg.json: icmp.dest_burst: 0 is out of range (1..1000000)");
}

static void test_arp_give_up(void **state)
{
	(void)state;
	expect_ok("{'interfaces':[" LAN0 "]}");
	assert_int_equal(cfg->arp_give_up_ms, 15000);
	expect_ok("{'interfaces':[" LAN0 "],'arp':{'give_up_ms':500}}");
	assert_int_equal(cfg->arp_give_up_ms, 500);
	expect_one("{'interfaces':[" LAN0 "],'arp':{'give_up_ms':99}}",
	           "cfg.json: arp.give_up_ms: 99 is out of range (100..600000)");
	expect_one("{'interfaces':[" LAN0 "],'arp':{'timeout':1}}",
	           "cfg.json: arp.timeout: unknown key");
}

static void test_rp_filter_and_source_route(void **state)
{
	(void)state;
	expect_ok("{'interfaces':[" LAN0 "]}");
	assert_int_equal(cfg->interfaces[0].rp_filter, SHOAL_CONFIG_RP_LOOSE);
	assert_int_equal(cfg->source_route, SHOAL_CONFIG_SOURCE_ROUTE_DROP);
	expect_one("{'interfaces':[{'name':'lan0','kind':'tap','address':'10.0.1.1/24',"
	           "'rp_filter':'medium'}]}",
	           "cfg.json: interfaces[0].rp_filter: \"medium\" is not a reverse-path filter "
	           "(expected \"off\", \"loose\" or \"strict\")");
	expect_one("{'interfaces':[{'name':'lan0','kind':'tap','address':'10.0.1.1/24',"
	           "'rp_filter':1}]}",
	           "cfg.json: interfaces[0].rp_filter: expected a string, got an integer");
	expect_ok("{'interfaces':[" LAN0 "],'forwarding':{'source_route':'drop'}}");
	assert_int_equal(cfg->source_route, SHOAL_CONFIG_SOURCE_ROUTE_DROP);
	assert_int_equal(cfg->busy_poll_us, 0); /* off unless asked for */
	expect_ok("{'interfaces':[" LAN0 "],'forwarding':{'busy_poll_us':250}}");
	assert_int_equal(cfg->busy_poll_us, 250);
	expect_one("{'interfaces':[" LAN0 "],'forwarding':{'busy_poll_us':100001}}",
	           "cfg.json: forwarding.busy_poll_us: 100001 is out of range (0..100000)");
	expect_one("{'interfaces':[" LAN0 "],'forwarding':{'busy_poll_us':-1}}",
	           "cfg.json: forwarding.busy_poll_us: -1 is out of range (0..100000)");
	expect_one("{'interfaces':[" LAN0 "],'forwarding':{'source_route':'yes'}}",
	           "cfg.json: forwarding.source_route: \"yes\" is not a source-route policy "
	           "(expected \"drop\" or \"forward\")");
	expect_one("{'interfaces':[" LAN0 "],'forwarding':{'rr':1}}",
	           "cfg.json: forwarding.rr: unknown key");
}

static void test_limits(void **state)
{
	(void)state;
	static char text[16384];
	size_t off = (size_t)snprintf(text, sizeof(text), "{'interfaces':[");
	for (int i = 0; i <= SHOAL_CONFIG_MAX_INTERFACES; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
		                        "%s{'name':'t%d','kind':'tun','address':'10.%d.0.1/24'}",
		                        i ? "," : "", i, i);
	snprintf(text + off, sizeof(text) - off, "]}");
	for (char *p = text; *p; p++)
		if (*p == '\'')
			*p = '"';
	assert_int_equal(shoal_config_load_string(cfg, text, "cfg.json", errs), -1);
	assert_int_equal(errs->count, 1);
	assert_string_equal(errs->msg[0],
	                    "cfg.json: interfaces: 65 entries, at most 64 are supported");
}

static void test_all_errors_reported(void **state)
{
	(void)state;
	assert_int_equal(load("{'interfaces':[{'name':'lan0','kind':'x','address':'1/2','mtu':1,"
	                      "'z':0}],'y':1}"),
	                 -1);
	assert_int_equal(errs->count, 5);
	const char *paths[] = {"interfaces[0].z:", "interfaces[0].kind:", "interfaces[0].address:",
	                       "interfaces[0].mtu:", " y:"};
	for (int i = 0; i < 5; i++) {
		bool found = false;
		for (unsigned j = 0; j < errs->count; j++)
			found = found || strstr(errs->msg[j], paths[i]) != NULL;
		assert_true(found);
	}
}

/* The example block, and what each key becomes. */
#define UPH(host)                                                                                  \
	"{'interfaces':[" LAN0                                                                     \
	",{'name':'up0','kind':'tun','address':'169.254.144.9/24','host':" host "}]}"

static void test_host_section(void **state)
{
	(void)state;
	expect_ok(UPH("{'address':'169.254.144.1/24','owner':'nobody','rto_min_ms':10,"
	              "'masquerade':true,'mark':144,'forwarding':true,'firewall':'auto'}"));
	const struct shoal_config_host *h = &cfg->interfaces[1].host;
	assert_true(h->present);
	assert_false(cfg->interfaces[0].host.present);
	assert_int_equal(h->address, 0xa9fe9001u);
	assert_int_equal(h->prefix_len, 24);
	assert_string_equal(h->owner, "nobody");
	assert_int_equal(h->rto_min_ms, 10);
	assert_true(h->masquerade);
	assert_int_equal(h->mark, 144);
	assert_true(h->forwarding);
	assert_int_equal(h->firewall, SHOAL_CONFIG_FW_AUTO);

	/* only the address is required; the rest take their defaults */
	expect_ok(UPH("{'address':'169.254.144.1/24'}"));
	assert_string_equal(h->owner, "");
	assert_int_equal(h->rto_min_ms, 0);
	assert_false(h->masquerade);
	assert_int_equal(h->mark, SHOAL_CONFIG_DEFAULT_MARK);
	assert_false(h->forwarding);
	expect_ok(
	    UPH("{'address':'169.254.144.1/24','firewall':'iptables-legacy','mark':4294967295}"));
	assert_int_equal(h->firewall, SHOAL_CONFIG_FW_LEGACY);
	assert_int_equal(h->mark, 0xffffffffu);
	expect_ok(UPH("{'address':'169.254.144.1/24','firewall':'nftables','rto_min_ms':60000}"));
	assert_int_equal(h->firewall, SHOAL_CONFIG_FW_NFT);
	assert_int_equal(h->rto_min_ms, 60000);
}

static void test_host_errors(void **state)
{
	(void)state;
	expect_one(UPH("{}"), "cfg.json: interfaces[1].host.address: missing required key");
	expect_one(UPH("{'address':'169.254.144.1/24','color':1}"),
	           "cfg.json: interfaces[1].host.color: unknown key");
	expect_one(UPH("{'address':'169.254.144.1'}"),
	           "cfg.json: interfaces[1].host.address: \"169.254.144.1\" is not an IPv4 "
	           "address/prefix");
	expect_one(UPH("{'address':'169.254.145.1/24'}"),
	           "cfg.json: interfaces[1].host.address: \"169.254.145.1/24\" is not in the "
	           "interface's network 169.254.144.0/24");
	expect_one(UPH("{'address':'169.254.144.1/25'}"),
	           "cfg.json: interfaces[1].host.address: \"169.254.144.1/25\" is not in the "
	           "interface's network 169.254.144.0/24");
	expect_one(UPH("{'address':'169.254.144.9/24'}"),
	           "cfg.json: interfaces[1].host.address: \"169.254.144.9/24\" is the "
	           "interface's own address (the host side needs another one)");
	expect_one(UPH("{'address':'169.254.144.255/24'}"),
	           "cfg.json: interfaces[1].host.address: \"169.254.144.255/24\" is the network "
	           "or broadcast address of 169.254.144.0/24");
	expect_one(UPH("{'address':'169.254.144.1/24','rto_min_ms':60001}"),
	           "cfg.json: interfaces[1].host.rto_min_ms: 60001 is out of range (0..60000)");
	expect_one(UPH("{'address':'169.254.144.1/24','mark':0}"),
	           "cfg.json: interfaces[1].host.mark: 0 is out of range (1..4294967295)");
	expect_one(UPH("{'address':'169.254.144.1/24','mark':4294967296}"),
	           "cfg.json: interfaces[1].host.mark: 4294967296 is out of range (1..4294967295)");
	expect_one(UPH("{'address':'169.254.144.1/24','masquerade':'yes'}"),
	           "cfg.json: interfaces[1].host.masquerade: expected true or false, got a string");
	expect_one(UPH("{'address':'169.254.144.1/24','firewall':'iptables'}"),
	           "cfg.json: interfaces[1].host.firewall: \"iptables\" is not a firewall backend "
	           "(expected \"auto\", \"iptables-legacy\" or \"nftables\")");
	expect_one(UPH("{'address':'169.254.144.1/24','owner':'-rf'}"),
	           "cfg.json: interfaces[1].host.owner: \"-rf\" is not a user name (1..32 "
	           "characters of [A-Za-z0-9_.-], not starting with '-')");
	expect_one(UPH("{'address':'169.254.144.1/24','owner':'a b'}"),
	           "cfg.json: interfaces[1].host.owner: \"a b\" is not a user name (1..32 "
	           "characters of [A-Za-z0-9_.-], not starting with '-')");
	expect_one(UPH("[]"), "cfg.json: interfaces[1].host: expected an object, got an array");
	expect_one("{'interfaces':[{'name':'lan0','kind':'tap','address':'10.0.1.1/24',"
	           "'host':{'address':'10.0.1.2/24'}}]}",
	           "cfg.json: interfaces[0].host: only a tun interface has a host side");
	expect_one("{'interfaces':[{'name':'up0','kind':'tun','address':'10.0.1.1/24',"
	           "'host':{'address':'10.0.1.2/24'}},"
	           "{'name':'up1','kind':'tun','address':'10.0.2.1/24',"
	           "'host':{'address':'10.0.2.2/24'}}]}",
	           "cfg.json: interfaces[1].host: only one interface may have a host side "
	           "(interfaces[0] has one)");
}

/* shoal_config_write: a file using every key with non-default values, and the default, load
 * back into the same struct (byte for byte); a derived MAC is not written out. */
static void write_reload_equal(const struct shoal_config *orig, char **text)
{
	size_t len = 0;
	FILE *f = open_memstream(text, &len);
	assert_non_null(f);
	assert_int_equal(shoal_config_write(orig, f), 0);
	assert_int_equal(fclose(f), 0);
	struct shoal_config *back = malloc(sizeof(*back));
	assert_non_null(back);
	int rc = shoal_config_load_string(back, *text, "written", errs);
	for (unsigned i = 0; i < errs->count && i < SHOAL_CONFIG_ERRORS_MAX; i++)
		fprintf(stderr, "%s\n", errs->msg[i]);
	assert_int_equal(rc, 0);
	assert_memory_equal(back, orig, sizeof(*back));
	free(back);
}

static void test_write_round_trips(void **state)
{
	(void)state;
	char *text = NULL;
	assert_int_equal(
	    load("{'interfaces':[{'name':'lan0','kind':'tap','address':'10.0.1.1/24',"
	         "'mac':'02:00:00:00:01:09','mtu':9000,'offload':false,'rp_filter':'strict'},"
	         "{'name':'lan1','kind':'tap','address':'10.0.2.1/24','rp_filter':'off'},"
	         "{'name':'up0','kind':'tun','address':'169.254.144.9/24','mtu':1400,"
	         "'host':{'address':'169.254.144.1/24','owner':'nobody','rto_min_ms':10,"
	         "'masquerade':true,'mark':77,'forwarding':true,'firewall':'nftables'}}],"
	         "'routes':[{'prefix':'0.0.0.0/0','next_hop':'169.254.144.1','interface':'up0'},"
	         "{'prefix':'10.9.0.0/16','interface':'lan1'}],"
	         "'plugins':[{'name':'example','config':{'label':'lab','drop_protocol':17}},"
	         "{'name':'other'}],"
	         "'plugin_dir':'/opt/p','api':{'listen':'127.0.0.2:9000','token_file':'/t/tok',"
	         "'javascript_dir':'/j','max_connections':500,'max_connections_per_ip':9,"
	         "'request_timeout_s':7,'idle_timeout_s':8},'user':'nobody',"
	         "'state_dir':'/s','web_dir':'/w','icmp':{'rate_per_s':7,'burst':3,"
	         "'dest_interval_ms':250,'dest_burst':2,'dest_max':99},'arp':{'give_up_ms':700},"
	         "'forwarding':{'source_route':'forward','busy_poll_us':300}}"),
	    0);
	assert_int_equal(cfg->interfaces[0].rp_filter, SHOAL_CONFIG_RP_STRICT);
	assert_int_equal(cfg->interfaces[1].rp_filter, SHOAL_CONFIG_RP_OFF);
	assert_int_equal(cfg->interfaces[2].rp_filter, SHOAL_CONFIG_RP_LOOSE);
	assert_int_equal(cfg->source_route, SHOAL_CONFIG_SOURCE_ROUTE_FORWARD);
	assert_int_equal(cfg->busy_poll_us, 300);
	write_reload_equal(cfg, &text);
	assert_non_null(strstr(text, "\"mac\": \"02:00:00:00:01:09\""));
	free(text);

	shoal_config_default(cfg);
	write_reload_equal(cfg, &text);
	assert_null(strstr(text, "\"mac\""));
	assert_non_null(strstr(text, "\"listen\": \"127.0.0.1:8144\""));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_default_validates),
	    cmocka_unit_test(test_minimal_file_takes_defaults),
	    cmocka_unit_test(test_full_file_round_trips),
	    cmocka_unit_test(test_write_round_trips),
	    cmocka_unit_test(test_missing_file),
	    cmocka_unit_test(test_syntax_error_has_line_column),
	    cmocka_unit_test(test_unknown_keys_every_level),
	    cmocka_unit_test(test_shape_errors),
	    cmocka_unit_test(test_interface_name_errors),
	    cmocka_unit_test(test_interface_address_errors),
	    cmocka_unit_test(test_interface_mac_mtu_errors),
	    cmocka_unit_test(test_route_errors),
	    cmocka_unit_test(test_plugin_errors),
	    cmocka_unit_test(test_api_errors),
	    cmocka_unit_test(test_icmp_rate_limit),
	    cmocka_unit_test(test_arp_give_up),
	    cmocka_unit_test(test_rp_filter_and_source_route),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_all_errors_reported),
	    cmocka_unit_test(test_host_section),
	    cmocka_unit_test(test_host_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
