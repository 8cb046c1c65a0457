/* config.c — JSON configuration parsing and validation. Contract in include/shoal/config.h. */
#include "shoal/config.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "shoal/ethernet.h"
#include "shoal/ipv4.h"
#include "shoal/plugin_host.h"
#include "shoal/wire.h"

enum { CONFIG_JPATH_MAX = 128 };

struct config_ctx {
	struct shoal_config *cfg;
	const char *name;
	struct shoal_config_errors *errs;
};

/* Messages are one line: text quoted from the file (keys, values, jansson's "near '...'")
 * may hold control characters; they become '?'. */
static void config_msg_one_line(char *m)
{
	for (; *m; m++)
		if ((unsigned char)*m < 0x20 || *m == 0x7f)
			*m = '?';
}

static void config_errors_add(struct shoal_config_errors *errs, const char *name, const char *jpath,
                              const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));

static void config_errors_add(struct shoal_config_errors *errs, const char *name, const char *jpath,
                              const char *fmt, va_list ap)
{
	unsigned i = errs->count++;
	if (i >= SHOAL_CONFIG_ERRORS_MAX)
		return;
	char *m = errs->msg[i];
	int n = snprintf(m, SHOAL_CONFIG_ERROR_LEN, "%s: %s: ", name, jpath);
	if (n >= 0 && n < SHOAL_CONFIG_ERROR_LEN)
		vsnprintf(m + n, SHOAL_CONFIG_ERROR_LEN - (size_t)n, fmt, ap);
	config_msg_one_line(m);
}

static void config_error(struct config_ctx *ctx, const char *jpath, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void config_error(struct config_ctx *ctx, const char *jpath, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	config_errors_add(ctx->errs, ctx->name, jpath, fmt, ap);
	va_end(ap);
}

/* ---- text helpers ---------------------------------------------------------------------- */

const char *shoal_config_mac_str(const uint8_t mac[6], char buf[SHOAL_CONFIG_MAC_STRLEN])
{
	struct shoal_mac m;
	memcpy(m.b, mac, sizeof(m.b));
	return shoal_mac_format(&m, buf);
}

/* IPv4 and MAC text are the stack's (strict dotted quad, xx:xx:xx:xx:xx:xx). */
static bool config_ipv4_parse(const char *s, uint32_t *out)
{
	return shoal_ipv4_addr_parse(s, out) == SHOAL_WIRE_OK;
}

static bool config_mac_parse(const char *s, uint8_t mac[6])
{
	struct shoal_mac m;
	if (shoal_mac_parse(s, &m) != SHOAL_WIRE_OK)
		return false;
	memcpy(mac, m.b, sizeof(m.b));
	return true;
}

static void config_mac_from_name(const char *name, uint8_t mac[6])
{
	struct shoal_mac m;
	shoal_mac_from_name(name, &m);
	memcpy(mac, m.b, sizeof(m.b));
}

/* "a.b.c.d/n" with n 0..32 written as 1-2 decimal digits. */
static bool config_prefix_parse(const char *s, uint32_t *addr, uint8_t *len)
{
	const char *slash = strchr(s, '/');
	if (slash == NULL || slash == s || (size_t)(slash - s) >= SHOAL_CONFIG_IPV4_STRLEN)
		return false;
	char buf[SHOAL_CONFIG_IPV4_STRLEN];
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	if (!config_ipv4_parse(buf, addr))
		return false;
	const char *d = slash + 1;
	size_t nd = strlen(d);
	if (nd < 1 || nd > 2)
		return false;
	unsigned v = 0;
	for (size_t i = 0; i < nd; i++) {
		if (d[i] < '0' || d[i] > '9')
			return false;
		v = v * 10 + (unsigned)(d[i] - '0');
	}
	if (v > 32)
		return false;
	*len = (uint8_t)v;
	return true;
}

static bool config_ifname_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= SHOAL_CONFIG_IFNAME_MAX || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		          (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
		if (!ok)
			return false;
	}
	return true;
}

/* ---- JSON shape helpers ---------------------------------------------------------------- */

/* JSON paths longer than CONFIG_JPATH_MAX - 1 are truncated (only with absurd key names). */
static void config_jpath_key(char out[CONFIG_JPATH_MAX], const char *parent, const char *key)
{
	int n;
	if (parent[0] == '\0')
		n = snprintf(out, CONFIG_JPATH_MAX, "%s", key);
	else
		n = snprintf(out, CONFIG_JPATH_MAX, "%s.%s", parent, key);
	if (n < 0)
		out[0] = '\0';
}

static void config_jpath_index(char out[CONFIG_JPATH_MAX], const char *parent, size_t i)
{
	int n = snprintf(out, CONFIG_JPATH_MAX, "%s[%zu]", parent, i);
	if (n < 0)
		out[0] = '\0';
}

static const char *config_json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "something else";
}

/* Reports every key of obj that is not in allowed (NULL-terminated). */
static void config_check_keys(struct config_ctx *ctx, json_t *obj, const char *jpath,
                              const char *const *allowed)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v)
	{
		bool known = false;
		for (const char *const *a = allowed; *a != NULL; a++)
			known = known || strcmp(*a, key) == 0;
		if (!known) {
			char p[CONFIG_JPATH_MAX];
			config_jpath_key(p, jpath, key);
			config_error(ctx, p, "unknown key");
		}
	}
}

/* Looks up key in obj and checks its type. Returns NULL when absent (reporting it when
 * required) or of the wrong type (reported). */
static json_t *config_get(struct config_ctx *ctx, json_t *obj, const char *parent, const char *key,
                          json_type type, bool required, char jpath[CONFIG_JPATH_MAX])
{
	config_jpath_key(jpath, parent, key);
	json_t *v = json_object_get(obj, key);
	if (v == NULL) {
		if (required)
			config_error(ctx, jpath, "missing required key");
		return NULL;
	}
	bool ok = type == JSON_TRUE ? json_is_boolean(v) : json_typeof(v) == type;
	if (!ok) {
		const char *want = type == JSON_TRUE      ? "true or false"
		                   : type == JSON_STRING  ? "a string"
		                   : type == JSON_INTEGER ? "an integer"
		                   : type == JSON_OBJECT  ? "an object"
		                   : type == JSON_ARRAY   ? "an array"
		                                          : "another type";
		config_error(ctx, jpath, "expected %s, got %s", want, config_json_type_name(v));
		return NULL;
	}
	if (type == JSON_STRING && strlen(json_string_value(v)) != json_string_length(v)) {
		config_error(ctx, jpath, "string contains a NUL character");
		return NULL;
	}
	return v;
}

static void config_copy_path(struct config_ctx *ctx, json_t *obj, const char *parent,
                             const char *key, char *dst, size_t dst_size)
{
	char p[CONFIG_JPATH_MAX];
	json_t *v = config_get(ctx, obj, parent, key, JSON_STRING, false, p);
	if (v == NULL)
		return;
	const char *s = json_string_value(v);
	if (s[0] == '\0') {
		config_error(ctx, p, "must not be empty");
		return;
	}
	if (strlen(s) >= dst_size) {
		config_error(ctx, p, "path too long (at most %zu bytes)", dst_size - 1);
		return;
	}
	snprintf(dst, dst_size, "%s", s);
}

static bool config_array_bounded(struct config_ctx *ctx, json_t *arr, const char *jpath, size_t max)
{
	if (json_array_size(arr) <= max)
		return true;
	config_error(ctx, jpath, "%zu entries, at most %zu are supported", json_array_size(arr),
	             max);
	return false;
}

/* ---- sections ---------------------------------------------------------------------------- */

/* A user name (host.owner, user): 1..32 characters of [A-Za-z0-9_.-], not starting with '-'. */
static bool config_user_valid(const char *s)
{
	size_t n = strlen(s);
	return n >= 1 && n < SHOAL_CONFIG_USER_MAX && s[0] != '-' &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

static void config_parse_host(struct config_ctx *ctx, json_t *o, const char *jp,
                              struct shoal_config_host *h);

const char *const shoal_config_rp_filter_names[3] = {[SHOAL_CONFIG_RP_LOOSE] = "loose",
                                                     [SHOAL_CONFIG_RP_STRICT] = "strict",
                                                     [SHOAL_CONFIG_RP_OFF] = "off"};
const char *const shoal_config_source_route_names[2] = {
    [SHOAL_CONFIG_SOURCE_ROUTE_DROP] = "drop", [SHOAL_CONFIG_SOURCE_ROUTE_FORWARD] = "forward"};

/* Index of s in names[0..n), n when absent. */
static unsigned config_name_index(const char *const *names, unsigned n, const char *s)
{
	for (unsigned i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return n;
}

static void config_parse_interface(struct config_ctx *ctx, json_t *o, const char *jp,
                                   struct shoal_config_interface *ifc)
{
	static const char *const keys[] = {"name",    "kind", "address",   "mac", "mtu",
	                                   "offload", "host", "rp_filter", NULL};
	char p[CONFIG_JPATH_MAX];
	json_t *v;

	memset(ifc, 0, sizeof(*ifc));
	ifc->mtu = SHOAL_CONFIG_DEFAULT_MTU;
	ifc->offload = true;
	config_check_keys(ctx, o, jp, keys);

	if ((v = config_get(ctx, o, jp, "name", JSON_STRING, true, p)) != NULL) {
		if (config_ifname_valid(json_string_value(v)))
			snprintf(ifc->name, sizeof(ifc->name), "%s", json_string_value(v));
		else
			config_error(ctx, p,
			             "\"%s\" is not a valid interface name (1..15 characters of "
			             "A-Z a-z 0-9 _ . -)",
			             json_string_value(v));
	}
	if ((v = config_get(ctx, o, jp, "kind", JSON_STRING, true, p)) != NULL) {
		const char *k = json_string_value(v);
		if (strcmp(k, "tap") == 0)
			ifc->kind = SHOAL_CONFIG_IF_TAP;
		else if (strcmp(k, "tun") == 0)
			ifc->kind = SHOAL_CONFIG_IF_TUN;
		else
			config_error(
			    ctx, p, "\"%s\" is not an interface kind (expected \"tap\" or \"tun\")",
			    k);
	}
	if ((v = config_get(ctx, o, jp, "address", JSON_STRING, true, p)) != NULL) {
		const char *s = json_string_value(v);
		if (!config_prefix_parse(s, &ifc->address, &ifc->prefix_len))
			config_error(ctx, p, "\"%s\" is not an IPv4 address/prefix", s);
		else if (ifc->prefix_len == 0)
			config_error(ctx, p, "\"%s\": prefix length must be 1..32", s);
	}
	if ((v = config_get(ctx, o, jp, "mac", JSON_STRING, false, p)) != NULL) {
		const char *s = json_string_value(v);
		if (ifc->kind == SHOAL_CONFIG_IF_TUN)
			config_error(ctx, p, "a tun interface has no MAC address");
		else if (!config_mac_parse(s, ifc->mac))
			config_error(ctx, p,
			             "\"%s\" is not a MAC address (expected aa:bb:cc:dd:ee:ff)", s);
		else
			ifc->has_mac = true;
	}
	if (!ifc->has_mac && ifc->kind == SHOAL_CONFIG_IF_TAP)
		config_mac_from_name(ifc->name, ifc->mac);
	if ((v = config_get(ctx, o, jp, "mtu", JSON_INTEGER, false, p)) != NULL) {
		json_int_t m = json_integer_value(v);
		if (m < SHOAL_CONFIG_MIN_MTU || m > SHOAL_CONFIG_MAX_MTU)
			config_error(ctx, p, "%lld is out of range (%d..%d)", (long long)m,
			             SHOAL_CONFIG_MIN_MTU, SHOAL_CONFIG_MAX_MTU);
		else
			ifc->mtu = (uint32_t)m;
	}
	if ((v = config_get(ctx, o, jp, "offload", JSON_TRUE, false, p)) != NULL)
		ifc->offload = json_is_true(v);
	if ((v = config_get(ctx, o, jp, "rp_filter", JSON_STRING, false, p)) != NULL) {
		const char *s = json_string_value(v);
		unsigned k = config_name_index(shoal_config_rp_filter_names, 3, s);
		if (k < 3)
			ifc->rp_filter = (enum shoal_config_rp_filter)k;
		else
			config_error(ctx, p,
			             "\"%s\" is not a reverse-path filter (expected \"off\", "
			             "\"loose\" or \"strict\")",
			             s);
	}
	if ((v = config_get(ctx, o, jp, "host", JSON_OBJECT, false, p)) != NULL) {
		if (ifc->kind != SHOAL_CONFIG_IF_TUN)
			config_error(ctx, p, "only a tun interface has a host side");
		else
			config_parse_host(ctx, v, p, &ifc->host);
	}
}

static void config_int_range(struct config_ctx *ctx, json_t *o, const char *jp, const char *key,
                             long long lo, long long hi, unsigned *out);

static void config_parse_host(struct config_ctx *ctx, json_t *o, const char *jp,
                              struct shoal_config_host *h)
{
	static const char *const keys[] = {"address", "owner",      "rto_min_ms", "masquerade",
	                                   "mark",    "forwarding", "firewall",   NULL};
	char p[CONFIG_JPATH_MAX];
	json_t *v;

	memset(h, 0, sizeof(*h));
	h->present = true;
	h->mark = SHOAL_CONFIG_DEFAULT_MARK;
	h->firewall = SHOAL_CONFIG_FW_AUTO;
	config_check_keys(ctx, o, jp, keys);
	if ((v = config_get(ctx, o, jp, "address", JSON_STRING, true, p)) != NULL) {
		const char *s = json_string_value(v);
		if (!config_prefix_parse(s, &h->address, &h->prefix_len))
			config_error(ctx, p, "\"%s\" is not an IPv4 address/prefix", s);
		else if (h->prefix_len == 0)
			config_error(ctx, p, "\"%s\": prefix length must be 1..32", s);
	}
	if ((v = config_get(ctx, o, jp, "owner", JSON_STRING, false, p)) != NULL) {
		const char *s = json_string_value(v);
		if (!config_user_valid(s))
			config_error(ctx, p,
			             "\"%s\" is not a user name (1..%zu characters of "
			             "[A-Za-z0-9_.-], not starting with '-')",
			             s, (size_t)SHOAL_CONFIG_USER_MAX - 1);
		else
			snprintf(h->owner, sizeof(h->owner), "%s", s);
	}
	config_int_range(ctx, o, jp, "rto_min_ms", 0, SHOAL_CONFIG_MAX_RTO_MIN_MS, &h->rto_min_ms);
	if ((v = config_get(ctx, o, jp, "masquerade", JSON_TRUE, false, p)) != NULL)
		h->masquerade = json_is_true(v);
	if ((v = config_get(ctx, o, jp, "forwarding", JSON_TRUE, false, p)) != NULL)
		h->forwarding = json_is_true(v);
	if ((v = config_get(ctx, o, jp, "mark", JSON_INTEGER, false, p)) != NULL) {
		json_int_t m = json_integer_value(v);
		if (m < 1 || m > 0xffffffffLL)
			config_error(ctx, p, "%lld is out of range (1..4294967295)", (long long)m);
		else
			h->mark = (uint32_t)m;
	}
	if ((v = config_get(ctx, o, jp, "firewall", JSON_STRING, false, p)) != NULL) {
		const char *s = json_string_value(v);
		if (strcmp(s, "auto") == 0)
			h->firewall = SHOAL_CONFIG_FW_AUTO;
		else if (strcmp(s, "iptables-legacy") == 0)
			h->firewall = SHOAL_CONFIG_FW_LEGACY;
		else if (strcmp(s, "nftables") == 0)
			h->firewall = SHOAL_CONFIG_FW_NFT;
		else
			config_error(ctx, p,
			             "\"%s\" is not a firewall backend (expected \"auto\", "
			             "\"iptables-legacy\" or \"nftables\")",
			             s);
	}
}

static void config_parse_route(struct config_ctx *ctx, json_t *o, const char *jp,
                               struct shoal_config_route *rt)
{
	static const char *const keys[] = {"prefix", "next_hop", "interface", NULL};
	char p[CONFIG_JPATH_MAX];
	json_t *v;

	memset(rt, 0, sizeof(*rt));
	config_check_keys(ctx, o, jp, keys);
	if ((v = config_get(ctx, o, jp, "prefix", JSON_STRING, true, p)) != NULL) {
		const char *s = json_string_value(v);
		if (!config_prefix_parse(s, &rt->prefix, &rt->prefix_len))
			config_error(ctx, p, "\"%s\" is not an IPv4 address/prefix", s);
	}
	if ((v = config_get(ctx, o, jp, "next_hop", JSON_STRING, false, p)) != NULL) {
		const char *s = json_string_value(v);
		if (config_ipv4_parse(s, &rt->next_hop))
			rt->has_next_hop = true;
		else
			config_error(ctx, p, "\"%s\" is not an IPv4 address", s);
	}
	bool has_if = false;
	if ((v = config_get(ctx, o, jp, "interface", JSON_STRING, false, p)) != NULL) {
		const char *s = json_string_value(v);
		has_if = true;
		if (config_ifname_valid(s))
			snprintf(rt->interface_name, sizeof(rt->interface_name), "%s", s);
		else
			config_error(ctx, p, "\"%s\" is not a valid interface name", s);
	}
	if (!rt->has_next_hop && !has_if && json_object_get(o, "next_hop") == NULL)
		config_error(ctx, jp, "needs \"next_hop\", \"interface\" or both");
}

static void config_parse_plugin(struct config_ctx *ctx, json_t *o, const char *jp,
                                struct shoal_config_plugin *pl)
{
	static const char *const keys[] = {"name", "config", NULL};
	char p[CONFIG_JPATH_MAX];
	json_t *v;

	memset(pl, 0, sizeof(*pl));
	snprintf(pl->config_json, sizeof(pl->config_json), "{}");
	config_check_keys(ctx, o, jp, keys);
	if ((v = config_get(ctx, o, jp, "name", JSON_STRING, true, p)) != NULL) {
		const char *s = json_string_value(v);
		if (shoal_plugin_name_valid(s))
			snprintf(pl->name, sizeof(pl->name), "%s", s);
		else
			config_error(ctx, p,
			             "\"%s\" is not a valid plugin name (1..31 characters of "
			             "a-z 0-9 _)",
			             s);
	}
	if ((v = config_get(ctx, o, jp, "config", JSON_OBJECT, false, p)) != NULL) {
		size_t need = json_dumpb(v, NULL, 0, JSON_COMPACT);
		if (need == 0 || need >= sizeof(pl->config_json))
			config_error(ctx, p, "too large (%zu bytes as compact JSON, at most %zu)",
			             need, sizeof(pl->config_json) - 1);
		else
			pl->config_json[json_dumpb(v, pl->config_json, need, JSON_COMPACT)] = '\0';
	}
}

static void config_int_range(struct config_ctx *ctx, json_t *o, const char *jp, const char *key,
                             long long lo, long long hi, unsigned *out);

static void config_parse_api(struct config_ctx *ctx, json_t *o, const char *jp)
{
	static const char *const keys[] = {"listen",
	                                   "token_file",
	                                   "javascript_dir",
	                                   "max_connections",
	                                   "max_connections_per_ip",
	                                   "request_timeout_s",
	                                   "idle_timeout_s",
	                                   NULL};
	struct shoal_config *cfg = ctx->cfg;
	char p[CONFIG_JPATH_MAX];
	json_t *v;

	config_check_keys(ctx, o, jp, keys);
	if ((v = config_get(ctx, o, jp, "listen", JSON_STRING, false, p)) != NULL) {
		const char *s = json_string_value(v);
		uint32_t addr = 0;
		uint16_t port = 0;
		bool ok = shoal_ipv4_endpoint_parse(s, &addr, &port) == SHOAL_WIRE_OK;
		if (!ok) {
			config_error(ctx, p,
			             "\"%s\" is not an IPv4 address:port (e.g. \"127.0.0.1:8144\")",
			             s);
		} else {
			snprintf(cfg->api_listen, sizeof(cfg->api_listen), "%s", s);
			cfg->api_address = addr;
			cfg->api_port = port;
		}
	}
	config_copy_path(ctx, o, jp, "token_file", cfg->api_token_file,
	                 sizeof(cfg->api_token_file));
	config_copy_path(ctx, o, jp, "javascript_dir", cfg->api_javascript_dir,
	                 sizeof(cfg->api_javascript_dir));
	config_int_range(ctx, o, jp, "max_connections", 16, SHOAL_CONFIG_API_MAX_CONNECTIONS_LIMIT,
	                 &cfg->api_max_connections);
	config_int_range(ctx, o, jp, "max_connections_per_ip", 1,
	                 SHOAL_CONFIG_API_MAX_CONNECTIONS_LIMIT, &cfg->api_max_connections_per_ip);
	config_int_range(ctx, o, jp, "request_timeout_s", 1, SHOAL_CONFIG_API_TIMEOUT_MAX_S,
	                 &cfg->api_request_timeout_s);
	config_int_range(ctx, o, jp, "idle_timeout_s", 1, SHOAL_CONFIG_API_TIMEOUT_MAX_S,
	                 &cfg->api_idle_timeout_s);
	/* an explicit per-address limit above the total is a contradiction; the default one is
	 * simply capped by the server */
	if (json_object_get(o, "max_connections_per_ip") != NULL &&
	    cfg->api_max_connections_per_ip > cfg->api_max_connections)
		config_error(ctx, jp, "max_connections_per_ip (%u) is above max_connections (%u)",
		             cfg->api_max_connections_per_ip, cfg->api_max_connections);
}

/* An integer member in [lo, hi], stored in *out when valid. */
static void config_int_range(struct config_ctx *ctx, json_t *o, const char *jp, const char *key,
                             long long lo, long long hi, unsigned *out)
{
	char p[CONFIG_JPATH_MAX];
	json_t *v = config_get(ctx, o, jp, key, JSON_INTEGER, false, p);
	if (v == NULL)
		return;
	json_int_t n = json_integer_value(v);
	if (n < lo || n > hi)
		config_error(ctx, p, "%lld is out of range (%lld..%lld)", (long long)n, lo, hi);
	else
		*out = (unsigned)n;
}

static void config_parse_icmp(struct config_ctx *ctx, json_t *o, const char *jp)
{
	static const char *const keys[] = {"rate_per_s", "burst",    "dest_interval_ms",
	                                   "dest_burst", "dest_max", NULL};
	config_check_keys(ctx, o, jp, keys);
	config_int_range(ctx, o, jp, "rate_per_s", 0, SHOAL_CONFIG_MAX_ICMP_RATE,
	                 &ctx->cfg->icmp_rate_per_s);
	config_int_range(ctx, o, jp, "burst", 1, SHOAL_CONFIG_MAX_ICMP_RATE, &ctx->cfg->icmp_burst);
	config_int_range(ctx, o, jp, "dest_interval_ms", 0, SHOAL_CONFIG_MAX_ICMP_DEST_INTERVAL_MS,
	                 &ctx->cfg->icmp_dest_interval_ms);
	config_int_range(ctx, o, jp, "dest_burst", 1, SHOAL_CONFIG_MAX_ICMP_RATE,
	                 &ctx->cfg->icmp_dest_burst);
	config_int_range(ctx, o, jp, "dest_max", 1, SHOAL_CONFIG_MAX_ICMP_DEST_MAX,
	                 &ctx->cfg->icmp_dest_max);
}

static void config_parse_arp(struct config_ctx *ctx, json_t *o, const char *jp)
{
	static const char *const keys[] = {"give_up_ms", NULL};
	config_check_keys(ctx, o, jp, keys);
	config_int_range(ctx, o, jp, "give_up_ms", SHOAL_CONFIG_MIN_ARP_GIVE_UP_MS,
	                 SHOAL_CONFIG_MAX_ARP_GIVE_UP_MS, &ctx->cfg->arp_give_up_ms);
}

static void config_parse_forwarding(struct config_ctx *ctx, json_t *o, const char *jp)
{
	static const char *const keys[] = {"source_route", "busy_poll_us", NULL};
	char p[CONFIG_JPATH_MAX];
	json_t *v;
	config_check_keys(ctx, o, jp, keys);
	config_int_range(ctx, o, jp, "busy_poll_us", 0, SHOAL_CONFIG_MAX_BUSY_POLL_US,
	                 &ctx->cfg->busy_poll_us);
	if ((v = config_get(ctx, o, jp, "source_route", JSON_STRING, false, p)) != NULL) {
		const char *s = json_string_value(v);
		unsigned k = config_name_index(shoal_config_source_route_names, 2, s);
		if (k < 2)
			ctx->cfg->source_route = (enum shoal_config_source_route)k;
		else
			config_error(ctx, p,
			             "\"%s\" is not a source-route policy (expected \"drop\" or "
			             "\"forward\")",
			             s);
	}
}

static void config_parse_root(struct config_ctx *ctx, json_t *root)
{
	static const char *const keys[] = {"interfaces", "routes",    "plugin_dir", "plugins",
	                                   "api",        "state_dir", "icmp",       "web_dir",
	                                   "arp",        "user",      "forwarding", NULL};
	struct shoal_config *cfg = ctx->cfg;
	char p[CONFIG_JPATH_MAX];
	char ep[CONFIG_JPATH_MAX];
	json_t *v;
	json_t *e;
	size_t i;

	if (!json_is_object(root)) {
		config_error(ctx, "top level", "expected an object, got %s",
		             config_json_type_name(root));
		return;
	}
	/* Start from the default for the optional scalars; the lists start empty. */
	shoal_config_default(cfg);
	cfg->n_interfaces = 0;
	cfg->n_routes = 0;
	cfg->n_plugins = 0;
	config_check_keys(ctx, root, "", keys);

	if ((v = config_get(ctx, root, "", "interfaces", JSON_ARRAY, true, p)) != NULL) {
		if (json_array_size(v) == 0)
			config_error(ctx, p, "at least one interface is required");
		if (config_array_bounded(ctx, v, p, SHOAL_CONFIG_MAX_INTERFACES)) {
			json_array_foreach(v, i, e)
			{
				config_jpath_index(ep, p, i);
				if (!json_is_object(e)) {
					config_error(ctx, ep, "expected an object, got %s",
					             config_json_type_name(e));
					continue;
				}
				config_parse_interface(ctx, e, ep,
				                       &cfg->interfaces[cfg->n_interfaces++]);
			}
		}
	}
	if ((v = config_get(ctx, root, "", "routes", JSON_ARRAY, false, p)) != NULL &&
	    config_array_bounded(ctx, v, p, SHOAL_CONFIG_MAX_ROUTES)) {
		json_array_foreach(v, i, e)
		{
			config_jpath_index(ep, p, i);
			if (!json_is_object(e)) {
				config_error(ctx, ep, "expected an object, got %s",
				             config_json_type_name(e));
				continue;
			}
			config_parse_route(ctx, e, ep, &cfg->routes[cfg->n_routes++]);
		}
	}
	if ((v = config_get(ctx, root, "", "plugins", JSON_ARRAY, false, p)) != NULL &&
	    config_array_bounded(ctx, v, p, SHOAL_CONFIG_MAX_PLUGINS)) {
		json_array_foreach(v, i, e)
		{
			config_jpath_index(ep, p, i);
			if (!json_is_object(e)) {
				config_error(ctx, ep, "expected an object, got %s",
				             config_json_type_name(e));
				continue;
			}
			config_parse_plugin(ctx, e, ep, &cfg->plugins[cfg->n_plugins++]);
		}
	}
	config_copy_path(ctx, root, "", "plugin_dir", cfg->plugin_dir, sizeof(cfg->plugin_dir));
	config_copy_path(ctx, root, "", "state_dir", cfg->state_dir, sizeof(cfg->state_dir));
	config_copy_path(ctx, root, "", "web_dir", cfg->web_dir, sizeof(cfg->web_dir));
	if ((v = config_get(ctx, root, "", "api", JSON_OBJECT, false, p)) != NULL)
		config_parse_api(ctx, v, p);
	if ((v = config_get(ctx, root, "", "icmp", JSON_OBJECT, false, p)) != NULL)
		config_parse_icmp(ctx, v, p);
	if ((v = config_get(ctx, root, "", "arp", JSON_OBJECT, false, p)) != NULL)
		config_parse_arp(ctx, v, p);
	if ((v = config_get(ctx, root, "", "forwarding", JSON_OBJECT, false, p)) != NULL)
		config_parse_forwarding(ctx, v, p);
	if ((v = config_get(ctx, root, "", "user", JSON_STRING, false, p)) != NULL) {
		const char *s = json_string_value(v);
		if (config_user_valid(s))
			snprintf(cfg->user, sizeof(cfg->user), "%s", s);
		else
			config_error(ctx, p,
			             "\"%s\" is not a user name (1..%zu characters of "
			             "[A-Za-z0-9_.-], not starting with '-')",
			             s, (size_t)SHOAL_CONFIG_USER_MAX - 1);
	}
}

/* ---- cross-field validation -------------------------------------------------------------- */

static bool config_in_net(uint32_t addr, uint32_t net, unsigned len)
{
	uint32_t m = shoal_ipv4_prefix_mask(len);
	return (addr & m) == (net & m);
}

/* interfaces[i].host: inside the interface's network, same length, not its address, and only
 * one uplink per configuration. */
static void config_validate_host(struct config_ctx *ctx, unsigned i)
{
	const struct shoal_config *cfg = ctx->cfg;
	const struct shoal_config_interface *ifc = &cfg->interfaces[i];
	const struct shoal_config_host *h = &ifc->host;
	char p[CONFIG_JPATH_MAX];
	char a[SHOAL_CONFIG_IPV4_STRLEN];
	char b[SHOAL_CONFIG_IPV4_STRLEN];
	uint32_t mask = shoal_ipv4_prefix_mask(ifc->prefix_len);

	snprintf(p, sizeof(p), "interfaces[%u].host", i);
	for (unsigned j = 0; j < i; j++)
		if (cfg->interfaces[j].host.present)
			config_error(ctx, p,
			             "only one interface may have a host side "
			             "(interfaces[%u] has one)",
			             j);
	snprintf(p, sizeof(p), "interfaces[%u].host.address", i);
	shoal_ipv4_addr_format(h->address, a);
	shoal_ipv4_addr_format(ifc->address & mask, b);
	if (h->prefix_len != ifc->prefix_len ||
	    !config_in_net(h->address, ifc->address, ifc->prefix_len)) {
		config_error(ctx, p, "\"%s/%u\" is not in the interface's network %s/%u", a,
		             h->prefix_len, b, ifc->prefix_len);
	} else if (h->address == ifc->address) {
		config_error(ctx, p,
		             "\"%s/%u\" is the interface's own address (the host side needs "
		             "another one)",
		             a, h->prefix_len);
	} else if (ifc->prefix_len <= 30 &&
	           ((h->address & ~mask) == 0 || (h->address | mask) == 0xffffffffu)) {
		config_error(ctx, p, "\"%s/%u\" is the network or broadcast address of %s/%u", a,
		             h->prefix_len, b, ifc->prefix_len);
	}
}

static void config_validate_interfaces(struct config_ctx *ctx)
{
	struct shoal_config *cfg = ctx->cfg;
	char p[CONFIG_JPATH_MAX];
	char a[SHOAL_CONFIG_IPV4_STRLEN];
	char b[SHOAL_CONFIG_IPV4_STRLEN];
	char m[SHOAL_CONFIG_MAC_STRLEN];

	for (unsigned i = 0; i < cfg->n_interfaces; i++) {
		const struct shoal_config_interface *ifc = &cfg->interfaces[i];
		uint32_t mask = shoal_ipv4_prefix_mask(ifc->prefix_len);
		uint32_t net = ifc->address & mask;
		uint8_t top = (uint8_t)(ifc->address >> 24);

		snprintf(p, sizeof(p), "interfaces[%u].name", i);
		for (unsigned j = 0; j < i; j++)
			if (strcmp(cfg->interfaces[j].name, ifc->name) == 0)
				config_error(ctx, p, "\"%s\" is already used by interfaces[%u]",
				             ifc->name, j);

		snprintf(p, sizeof(p), "interfaces[%u].address", i);
		shoal_ipv4_addr_format(ifc->address, a);
		shoal_ipv4_addr_format(net, b);
		if (top == 0 || top == 127 || top >= 224) {
			config_error(ctx, p,
			             "\"%s/%u\" is not a usable host address (0/8, 127/8 and "
			             "224.0.0.0 and above are refused)",
			             a, ifc->prefix_len);
		} else if (ifc->prefix_len <= 30 && ifc->address == net) {
			config_error(
			    ctx, p, "\"%s/%u\" is the network address of %s/%u, not a host address",
			    a, ifc->prefix_len, b, ifc->prefix_len);
		} else if (ifc->prefix_len <= 30 && ifc->address == (net | ~mask)) {
			config_error(ctx, p,
			             "\"%s/%u\" is the broadcast address of %s/%u, not a host "
			             "address",
			             a, ifc->prefix_len, b, ifc->prefix_len);
		}
		for (unsigned j = 0; j < i; j++) {
			const struct shoal_config_interface *o = &cfg->interfaces[j];
			unsigned len =
			    o->prefix_len < ifc->prefix_len ? o->prefix_len : ifc->prefix_len;
			if (config_in_net(ifc->address, o->address, len)) {
				char c[SHOAL_CONFIG_IPV4_STRLEN];
				config_error(ctx, p,
				             "%s/%u overlaps the network of interfaces[%u] (%s, "
				             "%s/%u)",
				             b, ifc->prefix_len, j, o->name,
				             shoal_ipv4_addr_format(o->address, c), o->prefix_len);
			}
		}

		if (ifc->kind == SHOAL_CONFIG_IF_TAP) {
			static const uint8_t zero[6] = {0};
			snprintf(p, sizeof(p), "interfaces[%u].mac", i);
			shoal_config_mac_str(ifc->mac, m);
			if (memcmp(ifc->mac, zero, 6) == 0)
				config_error(ctx, p, "\"%s\" is the zero MAC address", m);
			else if (ifc->mac[0] & 1u)
				config_error(ctx, p,
				             "\"%s\" is a multicast MAC address (the first octet "
				             "must be even)",
				             m);
		}
		if (ifc->host.present)
			config_validate_host(ctx, i);
		if (ifc->mtu < SHOAL_CONFIG_MIN_MTU || ifc->mtu > SHOAL_CONFIG_MAX_MTU) {
			snprintf(p, sizeof(p), "interfaces[%u].mtu", i);
			config_error(ctx, p, "%u is out of range (%d..%d)", ifc->mtu,
			             SHOAL_CONFIG_MIN_MTU, SHOAL_CONFIG_MAX_MTU);
		}
	}
}

static int config_find_interface(const struct shoal_config *cfg, const char *name)
{
	for (unsigned i = 0; i < cfg->n_interfaces; i++)
		if (strcmp(cfg->interfaces[i].name, name) == 0)
			return (int)i;
	return -1;
}

static void config_validate_route(struct config_ctx *ctx, unsigned i)
{
	struct shoal_config *cfg = ctx->cfg;
	struct shoal_config_route *rt = &cfg->routes[i];
	char p[CONFIG_JPATH_MAX];
	char a[SHOAL_CONFIG_IPV4_STRLEN];
	char b[SHOAL_CONFIG_IPV4_STRLEN];
	uint32_t canon = rt->prefix & shoal_ipv4_prefix_mask(rt->prefix_len);

	snprintf(p, sizeof(p), "routes[%u].prefix", i);
	if (canon != rt->prefix) {
		config_error(ctx, p, "\"%s/%u\" has host bits set; did you mean \"%s/%u\"?",
		             shoal_ipv4_addr_format(rt->prefix, a), rt->prefix_len,
		             shoal_ipv4_addr_format(canon, b), rt->prefix_len);
	} else {
		for (unsigned j = 0; j < i; j++) {
			const struct shoal_config_route *o = &cfg->routes[j];
			if (o->prefix == rt->prefix && o->prefix_len == rt->prefix_len) {
				config_error(ctx, p, "%s/%u duplicates routes[%u]",
				             shoal_ipv4_addr_format(rt->prefix, a), rt->prefix_len,
				             j);
				break;
			}
		}
	}

	int ifi = -1;
	if (rt->interface_name[0] != '\0') {
		ifi = config_find_interface(cfg, rt->interface_name);
		if (ifi < 0) {
			snprintf(p, sizeof(p), "routes[%u].interface", i);
			config_error(ctx, p, "no interface named \"%s\"", rt->interface_name);
			return;
		}
	}
	if (rt->has_next_hop) {
		snprintf(p, sizeof(p), "routes[%u].next_hop", i);
		shoal_ipv4_addr_format(rt->next_hop, a);
		for (unsigned j = 0; j < cfg->n_interfaces; j++) {
			if (cfg->interfaces[j].address == rt->next_hop) {
				config_error(ctx, p, "%s is the address of interface %s", a,
				             cfg->interfaces[j].name);
				return;
			}
		}
		if (ifi >= 0) {
			const struct shoal_config_interface *ifc = &cfg->interfaces[ifi];
			if (!config_in_net(rt->next_hop, ifc->address, ifc->prefix_len)) {
				config_error(
				    ctx, p,
				    "%s is not inside the connected network of interface "
				    "%s (%s/%u)",
				    a, ifc->name,
				    shoal_ipv4_addr_format(
				        ifc->address & shoal_ipv4_prefix_mask(ifc->prefix_len), b),
				    ifc->prefix_len);
				return;
			}
		} else {
			const struct shoal_config_interface *match = NULL;
			for (unsigned j = 0; j < cfg->n_interfaces && !match; j++) {
				const struct shoal_config_interface *ifc = &cfg->interfaces[j];
				if (config_in_net(rt->next_hop, ifc->address, ifc->prefix_len)) {
					match = ifc;
					ifi = (int)j;
				}
			}
			if (!match) {
				config_error(ctx, p,
				             "%s is not inside the connected network of any "
				             "interface",
				             a);
				return;
			}
			/* Both are NUL-terminated arrays of the same size in different members of
			 * *cfg: a fixed-size copy, not a string copy whose source the compiler must
			 * assume could overlap the destination (GCC -Wrestrict at -O2 with ASan).
			 */
			_Static_assert(sizeof(rt->interface_name) == sizeof(match->name),
			               "route interface_name and interface name differ in size");
			memcpy(rt->interface_name, match->name, sizeof(rt->interface_name));
		}
	}
	if (ifi < 0) {
		snprintf(p, sizeof(p), "routes[%u]", i);
		config_error(ctx, p, "needs \"next_hop\", \"interface\" or both");
		return;
	}
	rt->interface = (unsigned)ifi;
}

int shoal_config_validate(struct shoal_config *cfg, const char *name,
                          struct shoal_config_errors *errs)
{
	struct config_ctx ctx = {.cfg = cfg, .name = name, .errs = errs};
	unsigned before = errs->count;
	char p[CONFIG_JPATH_MAX];

	if (cfg->n_interfaces == 0)
		config_error(&ctx, "interfaces", "at least one interface is required");
	config_validate_interfaces(&ctx);
	for (unsigned i = 0; i < cfg->n_routes; i++)
		config_validate_route(&ctx, i);
	for (unsigned i = 0; i < cfg->n_plugins; i++) {
		snprintf(p, sizeof(p), "plugins[%u].name", i);
		if (!shoal_plugin_name_valid(cfg->plugins[i].name))
			config_error(&ctx, p, "\"%s\" is not a valid plugin name",
			             cfg->plugins[i].name);
		for (unsigned j = 0; j < i; j++)
			if (strcmp(cfg->plugins[j].name, cfg->plugins[i].name) == 0)
				config_error(&ctx, p, "\"%s\" is already used by plugins[%u]",
				             cfg->plugins[i].name, j);
	}
	return errs->count > before ? -1 : 0;
}

/* ---- entry points ------------------------------------------------------------------------ */

void shoal_config_default(struct shoal_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	static const struct {
		const char *name;
		uint32_t address;
	} lans[] = {{"lan0", 0x0a000101u}, {"lan1", 0x0a000201u}};
	for (unsigned i = 0; i < 2; i++) {
		struct shoal_config_interface *ifc = &cfg->interfaces[i];
		snprintf(ifc->name, sizeof(ifc->name), "%s", lans[i].name);
		ifc->kind = SHOAL_CONFIG_IF_TAP;
		ifc->address = lans[i].address;
		ifc->prefix_len = 24;
		config_mac_from_name(ifc->name, ifc->mac);
		ifc->mtu = SHOAL_CONFIG_DEFAULT_MTU;
		ifc->offload = true;
	}
	cfg->n_interfaces = 2;
	snprintf(cfg->plugin_dir, sizeof(cfg->plugin_dir), "%s", SHOAL_DEFAULT_PLUGIN_DIR);
	snprintf(cfg->api_listen, sizeof(cfg->api_listen), "127.0.0.1:%d",
	         SHOAL_CONFIG_DEFAULT_API_PORT);
	cfg->api_address = 0x7f000001u;
	cfg->api_port = SHOAL_CONFIG_DEFAULT_API_PORT;
	snprintf(cfg->api_token_file, sizeof(cfg->api_token_file), "/var/lib/shoal/api.token");
	snprintf(cfg->api_javascript_dir, sizeof(cfg->api_javascript_dir), "/usr/share/javascript");
	snprintf(cfg->state_dir, sizeof(cfg->state_dir), "/var/lib/shoal");
	snprintf(cfg->web_dir, sizeof(cfg->web_dir), "%s", SHOAL_DEFAULT_WEB_DIR);
	cfg->icmp_rate_per_s = SHOAL_CONFIG_DEFAULT_ICMP_RATE;
	cfg->icmp_burst = SHOAL_CONFIG_DEFAULT_ICMP_BURST;
	cfg->icmp_dest_interval_ms = SHOAL_CONFIG_DEFAULT_ICMP_DEST_INTERVAL_MS;
	cfg->icmp_dest_burst = SHOAL_CONFIG_DEFAULT_ICMP_DEST_BURST;
	cfg->icmp_dest_max = SHOAL_CONFIG_DEFAULT_ICMP_DEST_MAX;
	cfg->arp_give_up_ms = SHOAL_CONFIG_DEFAULT_ARP_GIVE_UP_MS;
	cfg->api_max_connections = SHOAL_CONFIG_API_MAX_CONNECTIONS;
	cfg->api_max_connections_per_ip = SHOAL_CONFIG_API_MAX_CONNECTIONS_PER_IP;
	cfg->api_request_timeout_s = SHOAL_CONFIG_API_REQUEST_TIMEOUT_S;
	cfg->api_idle_timeout_s = SHOAL_CONFIG_API_IDLE_TIMEOUT_S;
	cfg->user[0] = '\0';
}

static int config_load_json(struct shoal_config *cfg, json_t *root, const json_error_t *jerr,
                            const char *name, struct shoal_config_errors *errs)
{
	struct config_ctx ctx = {.cfg = cfg, .name = name, .errs = errs};
	if (root == NULL) {
		unsigned i = errs->count++;
		snprintf(errs->msg[i], SHOAL_CONFIG_ERROR_LEN, "%s:%d:%d: %s", name, jerr->line,
		         jerr->column, jerr->text);
		config_msg_one_line(errs->msg[i]);
		return -1;
	}
	config_parse_root(&ctx, root);
	json_decref(root);
	/* Cross-field checks only on a well-formed document: they would echo its errors. */
	if (errs->count > 0)
		return -1;
	return shoal_config_validate(cfg, name, errs);
}

int shoal_config_load_string(struct shoal_config *cfg, const char *text, const char *name,
                             struct shoal_config_errors *errs)
{
	json_error_t jerr;
	errs->count = 0;
	json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	return config_load_json(cfg, root, &jerr, name, errs);
}

int shoal_config_load_file(struct shoal_config *cfg, const char *path,
                           struct shoal_config_errors *errs)
{
	json_error_t jerr;
	errs->count = 0;
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		snprintf(errs->msg[0], SHOAL_CONFIG_ERROR_LEN, "%s: %s", path, strerror(errno));
		errs->count = 1;
		return -1;
	}
	json_t *root = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
	fclose(f);
	return config_load_json(cfg, root, &jerr, path, errs);
}

/* ---- writing ----------------------------------------------------------------------------- */

static json_t *config_interface_json(const struct shoal_config_interface *ifc)
{
	char a[SHOAL_IPV4_PREFIX_STRLEN], m[SHOAL_CONFIG_MAC_STRLEN];
	json_t *o = json_pack("{s:s, s:s, s:s}", "name", ifc->name, "kind",
	                      ifc->kind == SHOAL_CONFIG_IF_TAP ? "tap" : "tun", "address",
	                      shoal_ipv4_prefix_format(ifc->address, ifc->prefix_len, a));
	if (o != NULL && ifc->has_mac)
		json_object_set_new(o, "mac", json_string(shoal_config_mac_str(ifc->mac, m)));
	if (o != NULL) {
		json_object_set_new(o, "mtu", json_integer(ifc->mtu));
		json_object_set_new(o, "offload", json_boolean(ifc->offload));
		json_object_set_new(o, "rp_filter",
		                    json_string(shoal_config_rp_filter_names[ifc->rp_filter]));
	}
	if (o != NULL && ifc->host.present) {
		static const char *const fw[] = {[SHOAL_CONFIG_FW_AUTO] = "auto",
		                                 [SHOAL_CONFIG_FW_LEGACY] = "iptables-legacy",
		                                 [SHOAL_CONFIG_FW_NFT] = "nftables"};
		const struct shoal_config_host *h = &ifc->host;
		json_t *host = json_pack("{s:s, s:I, s:b, s:I, s:b, s:s}", "address",
		                         shoal_ipv4_prefix_format(h->address, h->prefix_len, a),
		                         "rto_min_ms", (json_int_t)h->rto_min_ms, "masquerade",
		                         h->masquerade, "mark", (json_int_t)h->mark, "forwarding",
		                         h->forwarding, "firewall", fw[h->firewall]);
		if (host != NULL && h->owner[0])
			json_object_set_new(host, "owner", json_string(h->owner));
		json_object_set_new(o, "host", host);
	}
	return o;
}

static json_t *config_route_json(const struct shoal_config *cfg, const struct shoal_config_route *r)
{
	char p[SHOAL_IPV4_PREFIX_STRLEN], nh[SHOAL_IPV4_ADDR_STRLEN];
	json_t *o =
	    json_pack("{s:s}", "prefix", shoal_ipv4_prefix_format(r->prefix, r->prefix_len, p));
	if (o == NULL)
		return NULL;
	if (r->has_next_hop)
		json_object_set_new(o, "next_hop",
		                    json_string(shoal_ipv4_addr_format(r->next_hop, nh)));
	if (r->interface < cfg->n_interfaces)
		json_object_set_new(o, "interface",
		                    json_string(cfg->interfaces[r->interface].name));
	return o;
}

json_t *shoal_config_to_json(const struct shoal_config *cfg)
{
	json_t *ifs = json_array(), *routes = json_array(), *plugins = json_array();
	for (unsigned i = 0; ifs != NULL && i < cfg->n_interfaces; i++)
		json_array_append_new(ifs, config_interface_json(&cfg->interfaces[i]));
	for (unsigned i = 0; routes != NULL && i < cfg->n_routes; i++)
		json_array_append_new(routes, config_route_json(cfg, &cfg->routes[i]));
	for (unsigned i = 0; plugins != NULL && i < cfg->n_plugins; i++)
		json_array_append_new(
		    plugins, json_pack("{s:s, s:o}", "name", cfg->plugins[i].name, "config",
		                       json_loads(cfg->plugins[i].config_json, 0, NULL)));
	json_t *api =
	    json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I}", "listen", cfg->api_listen,
	              "token_file", cfg->api_token_file, "javascript_dir", cfg->api_javascript_dir,
	              "max_connections", (json_int_t)cfg->api_max_connections,
	              "max_connections_per_ip", (json_int_t)cfg->api_max_connections_per_ip,
	              "request_timeout_s", (json_int_t)cfg->api_request_timeout_s, "idle_timeout_s",
	              (json_int_t)cfg->api_idle_timeout_s);
	json_t *icmp =
	    json_pack("{s:I, s:I, s:I, s:I, s:I}", "rate_per_s", (json_int_t)cfg->icmp_rate_per_s,
	              "burst", (json_int_t)cfg->icmp_burst, "dest_interval_ms",
	              (json_int_t)cfg->icmp_dest_interval_ms, "dest_burst",
	              (json_int_t)cfg->icmp_dest_burst, "dest_max", (json_int_t)cfg->icmp_dest_max);
	json_t *arp = json_pack("{s:I}", "give_up_ms", (json_int_t)cfg->arp_give_up_ms);
	json_t *fwd = json_pack("{s:s, s:I}", "source_route",
	                        shoal_config_source_route_names[cfg->source_route], "busy_poll_us",
	                        (json_int_t)cfg->busy_poll_us);
	/* "o" steals each reference, also when json_pack fails (NULLs make it fail). */
	json_t *root = json_pack(
	    "{s:o, s:o, s:o, s:s, s:o, s:s, s:s, s:o, s:o, s:o}", "interfaces", ifs, "routes",
	    routes, "plugins", plugins, "plugin_dir", cfg->plugin_dir, "api", api, "state_dir",
	    cfg->state_dir, "web_dir", cfg->web_dir, "icmp", icmp, "arp", arp, "forwarding", fwd);
	if (root != NULL && cfg->user[0])
		json_object_set_new(root, "user", json_string(cfg->user));
	return root;
}

int shoal_config_write(const struct shoal_config *cfg, FILE *f)
{
	json_t *root = shoal_config_to_json(cfg);
	if (root == NULL)
		return -ENOMEM;
	int rc = json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (rc != 0 || fputc('\n', f) == EOF)
		return -EIO;
	return 0;
}
