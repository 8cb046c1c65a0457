/*
 * Fuzz harness: shoald's configuration (shoal/config.h) from a buffer.
 *
 * A document that loads must satisfy every invariant the header promises (checked here
 * independently), must pass validation again unchanged, and must round-trip: the harness
 * writes the struct back as a JSON document (with the stack's text formatters) and loading
 * that gives the same configuration. A document that fails yields one-line messages naming
 * the file.
 */
#include <jansson.h>

#include "fuzz.h"
#include "shoal/config.h"
#include "shoal/ethernet.h"
#include "shoal/ipv4.h"
#include "shoal/plugin_host.h"

static struct shoal_config cfg, copy, again;
static struct shoal_config_errors errs;

static bool str_ok(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

static bool ifname_ok(const char *s)
{
	size_t n = strnlen(s, SHOAL_CONFIG_IFNAME_MAX);
	if (n == 0 || n >= SHOAL_CONFIG_IFNAME_MAX || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-",
		            s[i]))
			return false;
	return true;
}

static void check_invariants(const struct shoal_config *c)
{
	FUZZ_CHECK(c->n_interfaces >= 1 && c->n_interfaces <= SHOAL_CONFIG_MAX_INTERFACES);
	FUZZ_CHECK(c->n_routes <= SHOAL_CONFIG_MAX_ROUTES &&
	           c->n_plugins <= SHOAL_CONFIG_MAX_PLUGINS);
	for (unsigned i = 0; i < c->n_interfaces; i++) {
		const struct shoal_config_interface *f = &c->interfaces[i];
		FUZZ_CHECK(ifname_ok(f->name));
		FUZZ_CHECK(f->prefix_len >= 1 && f->prefix_len <= 32);
		uint32_t a = f->address, m = shoal_ipv4_prefix_mask(f->prefix_len);
		FUZZ_CHECK(a >> 24 != 0 && a >> 24 != 127 && a < 0xe0000000u);
		if (f->prefix_len <= 30)
			FUZZ_CHECK((a & ~m) != 0 && (a & ~m) != ~m);
		FUZZ_CHECK(f->mtu >= SHOAL_CONFIG_MIN_MTU && f->mtu <= SHOAL_CONFIG_MAX_MTU);
		if (f->kind == SHOAL_CONFIG_IF_TAP) {
			static const uint8_t zero[6];
			FUZZ_CHECK((f->mac[0] & 1) == 0 && memcmp(f->mac, zero, 6) != 0);
		} else {
			FUZZ_CHECK(f->kind == SHOAL_CONFIG_IF_TUN && !f->has_mac);
		}
		for (unsigned j = 0; j < i; j++) {
			const struct shoal_config_interface *g = &c->interfaces[j];
			FUZZ_CHECK(strcmp(f->name, g->name) != 0);
			unsigned pl = f->prefix_len < g->prefix_len ? f->prefix_len : g->prefix_len;
			uint32_t mm = shoal_ipv4_prefix_mask(pl);
			FUZZ_CHECK((f->address & mm) != (g->address & mm)); /* no overlap */
		}
	}
	for (unsigned i = 0; i < c->n_routes; i++) {
		const struct shoal_config_route *r = &c->routes[i];
		FUZZ_CHECK(r->prefix_len <= 32 &&
		           (r->prefix & ~shoal_ipv4_prefix_mask(r->prefix_len)) == 0);
		FUZZ_CHECK(r->interface < c->n_interfaces);
		FUZZ_CHECK(str_ok(r->interface_name, sizeof(r->interface_name)));
		const struct shoal_config_interface *f = &c->interfaces[r->interface];
		if (r->interface_name[0])
			FUZZ_CHECK(strcmp(r->interface_name, f->name) == 0);
		if (r->has_next_hop) {
			uint32_t m = shoal_ipv4_prefix_mask(f->prefix_len);
			FUZZ_CHECK((r->next_hop & m) == (f->address & m));
			for (unsigned j = 0; j < c->n_interfaces; j++)
				FUZZ_CHECK(r->next_hop != c->interfaces[j].address);
		}
		for (unsigned j = 0; j < i; j++)
			FUZZ_CHECK(c->routes[j].prefix != r->prefix ||
			           c->routes[j].prefix_len != r->prefix_len);
	}
	for (unsigned i = 0; i < c->n_plugins; i++) {
		const struct shoal_config_plugin *p = &c->plugins[i];
		FUZZ_CHECK(str_ok(p->name, sizeof(p->name)) && shoal_plugin_name_valid(p->name));
		FUZZ_CHECK(str_ok(p->config_json, sizeof(p->config_json)));
		json_t *o = json_loads(p->config_json, JSON_REJECT_DUPLICATES, NULL);
		FUZZ_CHECK(json_is_object(o));
		json_decref(o);
	}
	FUZZ_CHECK(str_ok(c->plugin_dir, sizeof(c->plugin_dir)) &&
	           str_ok(c->api_listen, sizeof(c->api_listen)) &&
	           str_ok(c->api_token_file, sizeof(c->api_token_file)) &&
	           str_ok(c->state_dir, sizeof(c->state_dir)) &&
	           str_ok(c->web_dir, sizeof(c->web_dir)));
}

/* The struct back to a document, using the stack's formatters. */
static char *config_to_json(const struct shoal_config *c)
{
	char t[SHOAL_IPV4_PREFIX_STRLEN], mac[SHOAL_MAC_STRLEN];
	json_t *root = json_object(), *ifs = json_array(), *routes = json_array(),
	       *plugins = json_array();
	for (unsigned i = 0; i < c->n_interfaces; i++) {
		const struct shoal_config_interface *f = &c->interfaces[i];
		json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:b}", "name", f->name, "kind",
		                      f->kind == SHOAL_CONFIG_IF_TAP ? "tap" : "tun", "address",
		                      shoal_ipv4_prefix_format(f->address, f->prefix_len, t), "mtu",
		                      (json_int_t)f->mtu, "offload", f->offload);
		if (f->has_mac) {
			struct shoal_mac m;
			memcpy(m.b, f->mac, 6);
			json_object_set_new(o, "mac", json_string(shoal_mac_format(&m, mac)));
		}
		json_array_append_new(ifs, o);
	}
	for (unsigned i = 0; i < c->n_routes; i++) {
		const struct shoal_config_route *r = &c->routes[i];
		json_t *o = json_pack("{s:s}", "prefix",
		                      shoal_ipv4_prefix_format(r->prefix, r->prefix_len, t));
		if (r->has_next_hop)
			json_object_set_new(o, "next_hop",
			                    json_string(shoal_ipv4_addr_format(r->next_hop, t)));
		if (r->interface_name[0])
			json_object_set_new(o, "interface", json_string(r->interface_name));
		json_array_append_new(routes, o);
	}
	for (unsigned i = 0; i < c->n_plugins; i++)
		json_array_append_new(plugins,
		                      json_pack("{s:s, s:o}", "name", c->plugins[i].name, "config",
		                                json_loads(c->plugins[i].config_json, 0, NULL)));
	json_object_set_new(root, "interfaces", ifs);
	json_object_set_new(root, "routes", routes);
	json_object_set_new(root, "plugins", plugins);
	json_object_set_new(root, "plugin_dir", json_string(c->plugin_dir));
	json_object_set_new(root, "state_dir", json_string(c->state_dir));
	json_object_set_new(root, "web_dir", json_string(c->web_dir));
	json_object_set_new(
	    root, "api",
	    json_pack("{s:s, s:s}", "listen", c->api_listen, "token_file", c->api_token_file));
	json_object_set_new(root, "icmp",
	                    json_pack("{s:i, s:i}", "rate_per_s", (json_int_t)c->icmp_rate_per_s,
	                              "burst", (json_int_t)c->icmp_burst));
	char *text = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	FUZZ_CHECK(text != NULL);
	return text;
}

static void check_same(const struct shoal_config *a, const struct shoal_config *b)
{
	FUZZ_CHECK(a->n_interfaces == b->n_interfaces && a->n_routes == b->n_routes &&
	           a->n_plugins == b->n_plugins);
	for (unsigned i = 0; i < a->n_interfaces; i++) {
		const struct shoal_config_interface *f = &a->interfaces[i], *g = &b->interfaces[i];
		FUZZ_CHECK(!strcmp(f->name, g->name) && f->kind == g->kind &&
		           f->address == g->address && f->prefix_len == g->prefix_len &&
		           f->has_mac == g->has_mac && !memcmp(f->mac, g->mac, 6) &&
		           f->mtu == g->mtu && f->offload == g->offload);
	}
	for (unsigned i = 0; i < a->n_routes; i++) {
		const struct shoal_config_route *r = &a->routes[i], *s = &b->routes[i];
		FUZZ_CHECK(r->prefix == s->prefix && r->prefix_len == s->prefix_len &&
		           r->has_next_hop == s->has_next_hop &&
		           (!r->has_next_hop || r->next_hop == s->next_hop) &&
		           r->interface == s->interface);
	}
	for (unsigned i = 0; i < a->n_plugins; i++)
		FUZZ_CHECK(!strcmp(a->plugins[i].name, b->plugins[i].name) &&
		           !strcmp(a->plugins[i].config_json, b->plugins[i].config_json));
	FUZZ_CHECK(!strcmp(a->plugin_dir, b->plugin_dir) && !strcmp(a->api_listen, b->api_listen) &&
	           a->api_address == b->api_address && a->api_port == b->api_port &&
	           !strcmp(a->api_token_file, b->api_token_file) &&
	           !strcmp(a->state_dir, b->state_dir) && !strcmp(a->web_dir, b->web_dir) &&
	           a->icmp_rate_per_s == b->icmp_rate_per_s && a->icmp_burst == b->icmp_burst);
}

static void check_errors(const struct shoal_config_errors *e)
{
	FUZZ_CHECK(e->count > 0);
	unsigned kept = e->count < SHOAL_CONFIG_ERRORS_MAX ? e->count : SHOAL_CONFIG_ERRORS_MAX;
	for (unsigned i = 0; i < kept; i++) {
		FUZZ_CHECK(str_ok(e->msg[i], SHOAL_CONFIG_ERROR_LEN));
		FUZZ_CHECK(strchr(e->msg[i], '\n') == NULL);
		FUZZ_CHECK(strncmp(e->msg[i], "fuzz.json", 9) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	int rc = shoal_config_load_string(&cfg, text, "fuzz.json", &errs);
	free(text);
	if (rc != 0) {
		check_errors(&errs);
		return 0;
	}
	FUZZ_CHECK(errs.count == 0);
	check_invariants(&cfg);
	/* validation of a valid struct finds nothing and changes nothing */
	memcpy(&copy, &cfg, sizeof(cfg));
	errs.count = 0;
	FUZZ_CHECK(shoal_config_validate(&copy, "fuzz.json", &errs) == 0 && errs.count == 0);
	FUZZ_CHECK(memcmp(&copy, &cfg, sizeof(cfg)) == 0);
	/* struct -> document -> struct */
	char *doc = config_to_json(&cfg);
	if (shoal_config_load_string(&again, doc, "fuzz.json", &errs) != 0)
		fprintf(stderr, "round trip rejected: %s\n%s\n", errs.msg[0], doc), abort();
	FUZZ_CHECK(errs.count == 0);
	check_same(&cfg, &again);
	free(doc);
	return 0;
}
