/* JSON bodies to control.h structs and back (see api_json.h). */
#define _POSIX_C_SOURCE 200809L /* open_memstream */
#include "shoal/api_json.h"
#include "shoal/api_json_arena.h"
#include "shoal/plugin_host.h"

#include <assert.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shoal/ethernet.h"
#include "shoal/ipv4.h"

static int body_load(const char *body, size_t len, json_t **out, struct shoal_api_error *e)
{
	if (!body || len == 0)
		return shoal_api_error_set(e, 400, "invalid_json",
		                           "a JSON object is required as the request body");
	json_error_t jerr;
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return shoal_api_error_set(e, 400, "invalid_json",
		                           "invalid JSON at line %d column %d: %s", jerr.line,
		                           jerr.column, jerr.text);
	if (!json_is_object(root)) {
		json_decref(root);
		return shoal_api_error_set(e, 400, "invalid_json",
		                           "the request body must be a JSON object");
	}
	*out = root;
	return 0;
}

static int body_unknown_field(const char *key, const char *where, struct shoal_api_error *e)
{
	return shoal_api_error_set(e, 400, "unknown_field", "unknown field \"%s%s\"", where,
	                           shoal_api_quote(key, 64).s);
}

/* Every key of obj must be one of allowed (NULL-terminated). where prefixes field names in
 * messages ("" or "operations[3]."). */
static int body_check_fields(json_t *obj, const char *const *allowed, const char *where,
                             struct shoal_api_error *e)
{
	const char *key;
	json_t *value;
	json_object_foreach(obj, key, value)
	{
		bool known = false;
		for (const char *const *a = allowed; *a; a++)
			known = known || strcmp(key, *a) == 0;
		if (!known)
			return body_unknown_field(key, where, e);
	}
	return 0;
}

enum body_presence { BODY_OPTIONAL, BODY_REQUIRED };

/* Field key's value v (NULL: absent) as a string: *out NULL when absent or null (null only for
 * optional fields). */
static int body_value_string(json_t *v, const char *key, enum body_presence presence,
                             const char *where, const char **out, struct shoal_api_error *e)
{
	*out = NULL;
	if (!v || (json_is_null(v) && presence == BODY_OPTIONAL)) {
		if (presence == BODY_REQUIRED)
			return shoal_api_error_set(e, 400, "missing_field",
			                           "field \"%s%s\" is required", where,
			                           shoal_api_quote(key, 64).s);
		return 0;
	}
	if (!json_is_string(v))
		return shoal_api_error_set(e, 400, "invalid_type",
		                           "field \"%s%s\" must be a string%s", where, key,
		                           presence == BODY_OPTIONAL ? " or null" : "");
	*out = json_string_value(v);
	return 0;
}

static int body_string(json_t *obj, const char *key, enum body_presence presence, const char *where,
                       const char **out, struct shoal_api_error *e)
{
	return body_value_string(json_object_get(obj, key), key, presence, where, out, e);
}

static int body_interface_name(const char *s, char out[16], struct shoal_api_error *e)
{
	size_t n = strlen(s);
	if (n == 0 || n > 15)
		return shoal_api_error_set(e, 400, "unknown_interface", "no interface \"%s\"",
		                           shoal_api_quote(s, 64).s);
	memcpy(out, s, n + 1);
	return 0;
}

/* The route fields of an object, given as their values (NULL: absent). */
static int body_route_values(json_t *v_prefix, json_t *v_next_hop, json_t *v_interface,
                             enum body_presence prefix_presence, const char *where,
                             struct shoal_ctl_route_spec *spec, struct shoal_api_error *e)
{
	const char *prefix, *next_hop, *interface;
	if (body_value_string(v_prefix, "prefix", prefix_presence, where, &prefix, e) != 0 ||
	    body_value_string(v_next_hop, "next_hop", BODY_OPTIONAL, where, &next_hop, e) != 0 ||
	    body_value_string(v_interface, "interface", BODY_OPTIONAL, where, &interface, e) != 0)
		return -1;
	memset(spec, 0, sizeof(*spec));
	if (prefix && shoal_api_parse_prefix(prefix, &spec->prefix, &spec->prefix_len, e) != 0)
		return -1;
	if (next_hop) {
		if (shoal_api_parse_ipv4(next_hop, &spec->next_hop) != 0)
			return shoal_api_error_set(e, 400, "invalid_address",
			                           "%snext_hop \"%s\" is not an IPv4 address",
			                           where, shoal_api_quote(next_hop, 64).s);
		spec->has_next_hop = true;
	}
	if (interface) {
		if (body_interface_name(interface, spec->interface, e) != 0)
			return -1;
		spec->has_interface = true;
	}
	if (!spec->has_next_hop && !spec->has_interface)
		return shoal_api_error_set(e, 400, "invalid_route",
		                           "a route needs \"next_hop\" or \"interface\" (or both)");
	return 0;
}

static int body_route_fields(json_t *obj, enum body_presence prefix_presence, const char *where,
                             struct shoal_ctl_route_spec *spec, struct shoal_api_error *e)
{
	return body_route_values(json_object_get(obj, "prefix"), json_object_get(obj, "next_hop"),
	                         json_object_get(obj, "interface"), prefix_presence, where, spec,
	                         e);
}

int shoal_api_route_body(const char *body, size_t len,
                         const struct shoal_ctl_route_spec *path_prefix,
                         struct shoal_ctl_route_spec *spec, struct shoal_api_error *e)
{
	static const char *const allowed[] = {"prefix", "next_hop", "interface", NULL};
	json_t *root;
	if (body_load(body, len, &root, e) != 0)
		return -1;
	int rc = body_check_fields(root, allowed, "", e);
	bool has_prefix = json_object_get(root, "prefix") != NULL;
	if (rc == 0)
		rc = body_route_fields(root, path_prefix ? BODY_OPTIONAL : BODY_REQUIRED, "", spec,
		                       e);
	json_decref(root);
	if (rc != 0 || !path_prefix)
		return rc;
	char a[20], b[20];
	if (has_prefix &&
	    (spec->prefix != path_prefix->prefix || spec->prefix_len != path_prefix->prefix_len))
		return shoal_api_error_set(
		    e, 400, "prefix_mismatch", "body prefix %s differs from the path's %s",
		    shoal_api_prefix_str(spec->prefix, spec->prefix_len, a, sizeof(a)),
		    shoal_api_prefix_str(path_prefix->prefix, path_prefix->prefix_len, b,
		                         sizeof(b)));
	spec->prefix = path_prefix->prefix;
	spec->prefix_len = path_prefix->prefix_len;
	return 0;
}

/* Operation i of a batch; where prefixes field names in messages. */
/* The fields of a batch operation, in one walk of the object (no lookup by name): the value
 * of each known field and the first key that an add/put and that a delete does not allow. */
enum body_op_field { BODY_OP, BODY_OP_PREFIX, BODY_OP_NEXT_HOP, BODY_OP_INTERFACE, BODY_OP_N_ };

struct body_op_fields {
	json_t *v[BODY_OP_N_];
	const char *unknown_change, *unknown_delete;
};

static void body_op_fields(json_t *item, struct body_op_fields *f)
{
	static const char *const names[BODY_OP_N_] = {"op", "prefix", "next_hop", "interface"};
	const char *key;
	json_t *value;
	*f = (struct body_op_fields){0};
	json_object_foreach(item, key, value)
	{
		int k = BODY_OP_N_;
		for (int j = 0; j < BODY_OP_N_ && k == BODY_OP_N_; j++)
			if (strcmp(key, names[j]) == 0)
				k = j;
		if (k < BODY_OP_N_)
			f->v[k] = value;
		if (k == BODY_OP_N_ && !f->unknown_change)
			f->unknown_change = key;
		if (k > BODY_OP_PREFIX && !f->unknown_delete)
			f->unknown_delete = key;
	}
}

static int body_batch_op_at(json_t *item, size_t i, const char *where, struct shoal_ctl_op *op,
                            struct shoal_api_error *e)
{
	if (!json_is_object(item))
		return shoal_api_error_set(e, 400, "invalid_type",
		                           "operations[%zu] must be an object", i);
	struct body_op_fields f;
	body_op_fields(item, &f);
	const char *kind;
	if (body_value_string(f.v[BODY_OP], "op", BODY_REQUIRED, where, &kind, e) != 0)
		return -1;
	memset(op, 0, sizeof(*op));
	if (strcmp(kind, "add") == 0 || strcmp(kind, "put") == 0) {
		op->kind = kind[0] == 'a' ? SHOAL_CTL_OP_ADD : SHOAL_CTL_OP_PUT;
		if (f.unknown_change)
			return body_unknown_field(f.unknown_change, where, e);
		return body_route_values(f.v[BODY_OP_PREFIX], f.v[BODY_OP_NEXT_HOP],
		                         f.v[BODY_OP_INTERFACE], BODY_REQUIRED, where, &op->route,
		                         e);
	}
	if (strcmp(kind, "delete") == 0) {
		op->kind = SHOAL_CTL_OP_DELETE;
		const char *prefix;
		if (f.unknown_delete)
			return body_unknown_field(f.unknown_delete, where, e);
		if (body_value_string(f.v[BODY_OP_PREFIX], "prefix", BODY_REQUIRED, where, &prefix,
		                      e) != 0)
			return -1;
		return shoal_api_parse_prefix(prefix, &op->route.prefix, &op->route.prefix_len, e);
	}
	return shoal_api_error_set(e, 400, "invalid_op",
	                           "%sop \"%s\" is not one of \"add\", \"put\", \"delete\"", where,
	                           shoal_api_quote(kind, 32).s);
}

/* Operation i of a batch. The messages name it ("operations[3].prefix"); that text is made
 * only for an operation that fails (its check runs again with it: same outcome). */
static int body_batch_op(json_t *item, size_t i, struct shoal_ctl_op *op, struct shoal_api_error *e)
{
	if (body_batch_op_at(item, i, "", op, e) == 0)
		return 0;
	char where[40];
	snprintf(where, sizeof(where), "operations[%zu].", i);
	return body_batch_op_at(item, i, where, op, e);
}

int shoal_api_batch_body(const char *body, size_t len, struct shoal_ctl_op **ops, size_t *n,
                         struct shoal_api_error *e)
{
	static const char *const allowed[] = {"operations", NULL};
	json_t *root;
	*ops = NULL;
	*n = 0;
	/* The tree lives in the arena (about 10 bytes of values per byte of text): ending the
	 * arena frees it whole, so it is not json_decref'd. */
	struct shoal_api_json_arena arena;
	shoal_api_json_arena_begin(&arena, len <= SIZE_MAX / 16 ? len * 16 : len);
	if (body_load(body, len, &root, e) != 0) {
		shoal_api_json_arena_end(&arena);
		return -1;
	}
	int rc = body_check_fields(root, allowed, "", e);
	json_t *list = json_object_get(root, "operations");
	if (rc == 0 && !list)
		rc = shoal_api_error_set(e, 400, "missing_field",
		                         "field \"operations\" is required");
	if (rc == 0 && !json_is_array(list))
		rc = shoal_api_error_set(e, 400, "invalid_type",
		                         "field \"operations\" must be an array");
	size_t count = rc == 0 ? json_array_size(list) : 0;
	struct shoal_ctl_op *result = count ? calloc(count, sizeof(*result)) : NULL;
	if (count && !result)
		rc = shoal_api_error_set(e, 500, "internal", "out of memory");
	for (size_t i = 0; rc == 0 && i < count; i++) {
		rc = body_batch_op(json_array_get(list, i), i, &result[i], e);
		if (rc != 0)
			e->index = (long)i;
	}
	shoal_api_json_arena_end(&arena);
	if (rc != 0) {
		free(result);
		return -1;
	}
	*ops = result;
	*n = count;
	return 0;
}

int shoal_api_arp_body(const char *body, size_t len, char interface[16], uint32_t *ip,
                       uint8_t mac[6], struct shoal_api_error *e)
{
	static const char *const allowed[] = {"ip", "mac", "interface", NULL};
	json_t *root;
	if (body_load(body, len, &root, e) != 0)
		return -1;
	const char *ip_s, *mac_s, *if_s;
	int rc = body_check_fields(root, allowed, "", e);
	if (rc == 0)
		rc = body_string(root, "ip", BODY_REQUIRED, "", &ip_s, e);
	if (rc == 0)
		rc = body_string(root, "mac", BODY_REQUIRED, "", &mac_s, e);
	if (rc == 0)
		rc = body_string(root, "interface", BODY_OPTIONAL, "", &if_s, e);
	if (rc == 0 && shoal_api_parse_ipv4(ip_s, ip) != 0)
		rc = shoal_api_error_set(e, 400, "invalid_address",
		                         "ip \"%s\" is not an IPv4 address",
		                         shoal_api_quote(ip_s, 64).s);
	if (rc == 0 && shoal_api_parse_mac(mac_s, mac) != 0)
		rc = shoal_api_error_set(e, 400, "invalid_mac",
		                         "mac \"%s\" is not a MAC address (aa:bb:cc:dd:ee:ff)",
		                         shoal_api_quote(mac_s, 64).s);
	interface[0] = '\0';
	if (rc == 0 && if_s)
		rc = body_interface_name(if_s, interface, e);
	json_decref(root);
	return rc;
}

int shoal_api_plugin_body(const char *body, size_t len, char name[SHOAL_API_NAME_MAX],
                          char **config_json, struct shoal_api_error *e)
{
	static const char *const allowed[] = {"name", "config", NULL};
	json_t *root;
	*config_json = NULL;
	if (body_load(body, len, &root, e) != 0)
		return -1;
	const char *name_s;
	int rc = body_check_fields(root, allowed, "", e);
	if (rc == 0)
		rc = body_string(root, "name", BODY_REQUIRED, "", &name_s, e);
	if (rc == 0 && !shoal_plugin_name_valid(name_s))
		rc = shoal_api_error_set(e, 400, "invalid_name",
		                         "plugin name \"%s\" is not 1..31 characters of [a-z0-9_]",
		                         shoal_api_quote(name_s, 64).s);
	json_t *config = json_object_get(root, "config");
	if (rc == 0 && config && !json_is_object(config))
		rc = shoal_api_error_set(e, 400, "invalid_type",
		                         "field \"config\" must be an object");
	if (rc == 0) {
		snprintf(name, SHOAL_API_NAME_MAX, "%s", name_s);
		*config_json = config ? json_dumps(config, JSON_COMPACT) : strdup("{}");
		if (!*config_json)
			rc = shoal_api_error_set(e, 500, "internal", "out of memory");
	}
	json_decref(root);
	return rc;
}

const char *shoal_api_prefix_str(uint32_t prefix, uint8_t len, char *buf, size_t size)
{
	char text[SHOAL_IPV4_PREFIX_STRLEN];
	snprintf(buf, size, "%s", shoal_ipv4_prefix_format(prefix, len, text));
	return buf;
}

static json_t *body_ipv4(uint32_t a)
{
	char buf[SHOAL_IPV4_ADDR_STRLEN];
	return json_string(shoal_ipv4_addr_format(a, buf));
}

static json_t *body_mac(const uint8_t m[6])
{
	struct shoal_mac mac;
	char buf[SHOAL_MAC_STRLEN];
	memcpy(mac.b, m, sizeof(mac.b));
	return json_string(shoal_mac_format(&mac, buf));
}

static json_t *body_u64(uint64_t v)
{
	return json_integer((json_int_t)v);
}

/* s as a JSON string: plain ASCII is written as is, anything else is left to jansson's encoder
 * (escapes, UTF-8 check), so both spell it alike. */
static int body_write_string(FILE *f, const char *s)
{
	size_t n = strlen(s);
	bool plain = true;
	for (size_t i = 0; plain && i < n; i++)
		plain = s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\';
	if (plain)
		return fprintf(f, "\"%s\"", s) < 0 ? -1 : 0;
	json_t *j = json_string(s);
	char *text = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
	json_decref(j);
	int rc = text && fputs(text, f) >= 0 ? 0 : -1;
	free(text);
	return rc;
}

int shoal_api_route_write(FILE *f, const struct shoal_ctl_route *r)
{
	char p[SHOAL_IPV4_PREFIX_STRLEN], nh[SHOAL_IPV4_ADDR_STRLEN + 2] = "null";
	if (r->has_next_hop) {
		char a[SHOAL_IPV4_ADDR_STRLEN];
		snprintf(nh, sizeof(nh), "\"%s\"", shoal_ipv4_addr_format(r->next_hop, a));
	}
	if (fprintf(f, "{\"prefix\":\"%s\",\"next_hop\":%s,\"interface\":",
	            shoal_ipv4_prefix_format(r->prefix, r->prefix_len, p), nh) < 0 ||
	    body_write_string(f, r->interface) < 0)
		return -1;
	const char *origin = r->origin == SHOAL_CTL_ORIGIN_CONNECTED ? "connected" : "static";
	return fprintf(f, ",\"origin\":\"%s\",\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64 "}",
	               origin, r->packets, r->bytes) < 0
	           ? -1
	           : 0;
}

json_t *shoal_api_route_json(const struct shoal_ctl_route *r)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	int rc = shoal_api_route_write(f, r);
	json_t *j = fclose(f) == 0 && rc == 0 ? json_loadb(text, len, 0, NULL) : NULL;
	free(text);
	return j;
}

json_t *shoal_api_arp_json(const struct shoal_ctl_arp_entry *a)
{
	static const char *const states[] = {"dynamic", "static", "pending"};
	bool pending = a->state == SHOAL_CTL_ARP_PENDING;
	json_t *o = json_pack(
	    "{s:s, s:o, s:o, s:s, s:o}", "interface", a->interface, "ip", body_ipv4(a->ip), "mac",
	    pending ? json_null() : body_mac(a->mac), "state", states[a->state], "expires_in_ms",
	    a->state == SHOAL_CTL_ARP_STATIC ? json_null() : body_u64(a->expires_in_ms));
	if (o && pending)
		json_object_set_new(o, "queued", json_integer(a->queued));
	return o;
}

json_t *shoal_api_interface_json(const struct shoal_ctl_interface *i)
{
	char addr[20];
	json_t *drops = json_object();
	for (size_t k = 0; drops && k < SHOAL_DP_DROP_COUNT_; k++)
		json_object_set_new(drops, shoal_dp_drop_names[k], body_u64(i->drops[k]));
	/* ARP-layer names merge in; a name both layers use (bad_ipv4) holds the sum. */
	for (size_t k = 0; drops && k < SHOAL_NETIF_DROP_COUNT_; k++) {
		json_t *prev = json_object_get(drops, shoal_netif_drop_names[k]);
		uint64_t base = prev ? (uint64_t)json_integer_value(prev) : 0;
		json_object_set_new(drops, shoal_netif_drop_names[k],
		                    body_u64(base + i->arp_drops[k]));
	}
	return json_pack("{s:s, s:s, s:s, s:o, s:I, s:b, s:b, s:{s:o, s:o, s:o, s:o}, s:o}", "name",
	                 i->name, "kind", i->kind, "address",
	                 shoal_api_prefix_str(i->address, i->prefix_len, addr, sizeof(addr)), "mac",
	                 i->has_mac ? body_mac(i->mac) : json_null(), "mtu", (json_int_t)i->mtu,
	                 "up", i->up, "offload", i->offload, "counters", "rx_packets",
	                 body_u64(i->rx_packets), "rx_bytes", body_u64(i->rx_bytes), "tx_packets",
	                 body_u64(i->tx_packets), "tx_bytes", body_u64(i->tx_bytes), "drops",
	                 drops);
}

static const char *const body_hook_names[] = {"ingress", "local_delivery", "egress"};
static_assert(sizeof(body_hook_names) / sizeof(body_hook_names[0]) == SHOAL_PLUGIN_HOOK_COUNT_,
              "one name per plugin hook");

json_t *shoal_api_plugin_json(const struct shoal_ctl_plugin *p)
{
	char abi[16];
	snprintf(abi, sizeof(abi), "%u.%u", p->abi_major, p->abi_minor);
	json_t *hooks = json_object(), *counters = json_object(), *drops = json_object();
	for (size_t k = 0; hooks && k < SHOAL_PLUGIN_HOOK_COUNT_; k++)
		json_object_set_new(hooks, body_hook_names[k], body_u64(p->hook_calls[k]));
	for (size_t k = 0; counters && k < p->n_counters && k < 32; k++)
		json_object_set_new(counters, p->counters[k].name, body_u64(p->counters[k].value));
	for (size_t k = 0; drops && k < p->n_drops && k < 32; k++)
		json_object_set_new(drops, p->drops[k].name, body_u64(p->drops[k].value));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o}", "name", p->name,
	                 "version", p->version, "description", p->description, "path", p->path,
	                 "abi", abi, "hooks", hooks, "counters", counters, "drops", drops,
	                 "input_datagrams", body_u64(p->input_datagrams), "input_refused",
	                 body_u64(p->input_refused));
}
