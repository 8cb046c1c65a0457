/*
 * nat.c — the NAT plugin: NAPT on the router's outside interfaces (README.md beside this file).
 *
 * Role: glue between the plugin ABI and the engine (nat_core.h): reads the configuration,
 * resolves the outside interfaces, translates in the ingress hook (inbound, hairpin) and the
 * egress hook (outbound), expires sessions from tick, and serves /api/v1/nat through
 * http_request (ABI 1.2). All state lives in struct nat_plugin (no globals).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "nat_core.h"
#include "shoal/ipv4.h"
#include "shoal/plugin.h"
#include "shoal/textbuf.h"

enum {
	NAT_MAX_FORWARDS = 1024,
	NAT_SESSIONS_DEFAULT_LIMIT = 1000,
	NAT_SESSIONS_MAX_LIMIT = 50000,
};

struct nat_forward {
	enum nat_proto proto;
	uint16_t outside_port;
	uint32_t inside_addr; /* host order */
	uint16_t inside_port;
};

struct nat_plugin {
	struct shoal_host *host;
	const struct shoal_host_api *api;
	struct nat_core *core;
	struct nat_config cfg;
	size_t n_outs;
	struct nat_outside outs[NAT_MAX_OUTSIDE];
	char out_names[NAT_MAX_OUTSIDE][16];
	uint16_t drop_ids[NAT_DROP_COUNT_];
	size_t n_forwards;
	struct nat_forward forwards[NAT_MAX_FORWARDS]; /* in force: config's and the API's */
	size_t n_cfg_forwards;
	struct nat_forward cfg_forwards[NAT_MAX_FORWARDS]; /* as the config file lists them */
};

static const char *const nat_filtering_names[] = {"endpoint-independent", "address-dependent",
                                                  "address-and-port-dependent"};
static const char *const nat_timeout_names[] = {"udp", "tcp_established", "tcp_transitory", "icmp"};
/* RFC 4787 REQ-5 (UDP >= 120 s), RFC 5382 REQ-5 (established >= 7440 s, transitory >= 240 s),
 * RFC 5508 REQ-1 (ICMP >= 60 s). Shorter values are accepted (tests) with a warning. */
static const uint32_t nat_timeout_rfc_min[] = {120, 7440, 240, 60};
static const uint32_t nat_timeout_default[] = {300, 7440, 240, 60};

/* ---- configuration ---- */

__attribute__((format(printf, 2, 3))) static int nat_cfg_fail(struct nat_plugin *np,
                                                              const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	np->api->error(np->host, "config: %s", msg);
	return -EINVAL;
}

static bool nat_proto_parse(const char *s, enum nat_proto *out)
{
	if (s && strcmp(s, "tcp") == 0)
		*out = NAT_PROTO_TCP;
	else if (s && strcmp(s, "udp") == 0)
		*out = NAT_PROTO_UDP;
	else
		return false;
	return true;
}

static bool nat_json_uint(json_t *v, uint64_t max, uint64_t *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > max)
		return false;
	*out = (uint64_t)json_integer_value(v);
	return true;
}

/* Validates one port forward object; msg says what is wrong. */
static bool nat_forward_parse(json_t *o, struct nat_forward *f, char *msg, size_t msg_size)
{
	const char *key;
	json_t *v;
	if (!json_is_object(o)) {
		snprintf(msg, msg_size, "a port forward is an object");
		return false;
	}
	json_object_foreach(o, key, v)
	{
		if (strcmp(key, "protocol") && strcmp(key, "outside_port") &&
		    strcmp(key, "inside")) {
			snprintf(msg, msg_size, "unknown key \"%.40s\" in a port forward", key);
			return false;
		}
	}
	uint64_t port;
	if (!nat_proto_parse(json_string_value(json_object_get(o, "protocol")), &f->proto)) {
		snprintf(msg, msg_size, "protocol must be \"tcp\" or \"udp\"");
		return false;
	}
	if (!nat_json_uint(json_object_get(o, "outside_port"), 65535, &port) || port == 0) {
		snprintf(msg, msg_size, "outside_port must be an integer 1..65535");
		return false;
	}
	f->outside_port = (uint16_t)port;
	const char *inside = json_string_value(json_object_get(o, "inside"));
	if (!inside ||
	    shoal_ipv4_endpoint_parse(inside, &f->inside_addr, &f->inside_port) != SHOAL_WIRE_OK) {
		snprintf(msg, msg_size, "inside must be \"address:port\", e.g. \"10.0.1.2:80\"");
		return false;
	}
	return true;
}

static int nat_outside_resolve(struct nat_plugin *np, json_t *outside)
{
	if (!json_is_array(outside) || json_array_size(outside) == 0 ||
	    json_array_size(outside) > NAT_MAX_OUTSIDE)
		return nat_cfg_fail(np, "outside must be a list of 1..%d interface names",
		                    NAT_MAX_OUTSIDE);
	size_t i;
	json_t *v;
	json_array_foreach(outside, i, v)
	{
		const char *name = json_string_value(v);
		int idx = name ? np->api->interface_index(np->host, name) : -ENOENT;
		struct shoal_interface_info info;
		if (idx < 0 || np->api->interface_info(np->host, (uint32_t)idx, &info) < 0)
			return nat_cfg_fail(np, "outside[%zu]: no interface named \"%s\"", i,
			                    name ? name : "?");
		for (size_t j = 0; j < i; j++)
			if (np->outs[j].ifindex == info.ifindex)
				return nat_cfg_fail(np, "outside[%zu]: \"%s\" listed twice", i,
				                    name);
		np->outs[i].ifindex = info.ifindex;
		np->outs[i].addr = ntohl(info.address);
		np->outs[i].mss = (uint16_t)(info.mtu > 40 ? info.mtu - 40 : 536);
		snprintf(np->out_names[i], sizeof(np->out_names[i]), "%s", info.name);
	}
	np->n_outs = json_array_size(outside);
	return 0;
}

static int nat_config_parse(struct nat_plugin *np, json_t *c, json_t **forwards)
{
	static const char *const keys[] = {"outside",
	                                   "mapping",
	                                   "filtering",
	                                   "hairpin",
	                                   "port_range",
	                                   "max_sessions",
	                                   "max_sessions_per_host",
	                                   "timeouts",
	                                   "mss_clamp",
	                                   "port_forwards"};
	const char *key;
	json_t *v;
	json_object_foreach(c, key, v)
	{
		size_t k = 0;
		while (k < sizeof(keys) / sizeof(keys[0]) && strcmp(keys[k], key) != 0)
			k++;
		if (k == sizeof(keys) / sizeof(keys[0]))
			return nat_cfg_fail(np, "unknown key \"%s\"", key);
	}
	struct nat_config *cfg = &np->cfg;
	*cfg = (struct nat_config){.filtering = NAT_FILTER_APDF,
	                           .hairpin = true,
	                           .port_min = 1024,
	                           .port_max = 65535,
	                           .max_sessions = 262144,
	                           .max_sessions_per_host = 8192,
	                           .mss_clamp = true};
	memcpy(cfg->timeout_s, nat_timeout_default, sizeof(cfg->timeout_s));
	int rc = nat_outside_resolve(np, json_object_get(c, "outside"));
	if (rc < 0)
		return rc;
	if ((v = json_object_get(c, "mapping")) &&
	    (!json_is_string(v) || strcmp(json_string_value(v), "endpoint-independent") != 0))
		return nat_cfg_fail(np, "mapping: only \"endpoint-independent\" (RFC 4787 REQ-1)");
	if ((v = json_object_get(c, "filtering"))) {
		size_t k = 0;
		while (k < 3 && !(json_is_string(v) &&
		                  strcmp(json_string_value(v), nat_filtering_names[k]) == 0))
			k++;
		if (k == 3)
			return nat_cfg_fail(
			    np, "filtering: one of \"endpoint-independent\", "
			        "\"address-dependent\", \"address-and-port-dependent\"");
		cfg->filtering = (enum nat_filtering)k;
	}
	if ((v = json_object_get(c, "hairpin"))) {
		if (!json_is_boolean(v))
			return nat_cfg_fail(np, "hairpin must be true or false");
		cfg->hairpin = json_is_true(v);
	}
	if ((v = json_object_get(c, "mss_clamp"))) {
		if (!json_is_boolean(v))
			return nat_cfg_fail(np, "mss_clamp must be true or false");
		cfg->mss_clamp = json_is_true(v);
	}
	if ((v = json_object_get(c, "port_range"))) {
		uint64_t lo, hi;
		if (!json_is_array(v) || json_array_size(v) != 2 ||
		    !nat_json_uint(json_array_get(v, 0), 65535, &lo) ||
		    !nat_json_uint(json_array_get(v, 1), 65535, &hi) || lo == 0 || lo > hi)
			return nat_cfg_fail(
			    np, "port_range must be [low, high] with 1 <= low <= high <= "
			        "65535");
		cfg->port_min = (uint16_t)lo;
		cfg->port_max = (uint16_t)hi;
	}
	uint64_t n;
	if ((v = json_object_get(c, "max_sessions"))) {
		if (!nat_json_uint(v, 1u << 24, &n) || n == 0)
			return nat_cfg_fail(np, "max_sessions must be an integer 1..16777216");
		cfg->max_sessions = (uint32_t)n;
	}
	if ((v = json_object_get(c, "max_sessions_per_host"))) {
		if (!nat_json_uint(v, 1u << 24, &n) || n == 0)
			return nat_cfg_fail(np,
			                    "max_sessions_per_host must be an integer 1..16777216");
		cfg->max_sessions_per_host = (uint32_t)n;
	}
	if ((v = json_object_get(c, "timeouts"))) {
		if (!json_is_object(v))
			return nat_cfg_fail(np, "timeouts must be an object");
		json_t *t;
		json_object_foreach(v, key, t)
		{
			size_t k = 0;
			while (k < 4 && strcmp(nat_timeout_names[k], key) != 0)
				k++;
			if (k == 4)
				return nat_cfg_fail(np, "timeouts: unknown key \"%s\"", key);
			if (!nat_json_uint(t, 86400 * 7, &n) || n == 0)
				return nat_cfg_fail(np, "timeouts.%s must be seconds 1..604800",
				                    key);
			cfg->timeout_s[k] = (uint32_t)n;
			if (n < nat_timeout_rfc_min[k])
				np->api->log(np->host, SHOAL_LOG_WARN,
				             "timeouts.%s = %" PRIu64
				             " s is below the RFC minimum of %u s",
				             key, n, nat_timeout_rfc_min[k]);
		}
	}
	*forwards = json_object_get(c, "port_forwards");
	if (*forwards &&
	    (!json_is_array(*forwards) || json_array_size(*forwards) > NAT_MAX_FORWARDS))
		return nat_cfg_fail(np, "port_forwards must be a list of at most %d",
		                    NAT_MAX_FORWARDS);
	return 0;
}

static const char *nat_forward_error(int rc)
{
	return rc == -EEXIST   ? "that outside port, or that inside endpoint, is already forwarded"
	       : rc == -ENOSPC ? "no room for another mapping"
	                       : "invalid port forward";
}

static int nat_forward_install(struct nat_plugin *np, const struct nat_forward *f)
{
	if (np->n_forwards >= NAT_MAX_FORWARDS)
		return -ENOSPC;
	int rc = nat_core_forward_add(np->core, f->proto, f->outside_port, f->inside_addr,
	                              f->inside_port);
	if (rc == 0)
		np->forwards[np->n_forwards++] = *f;
	return rc;
}

static void nat_fini(void *state);

static int nat_init(struct shoal_host *host, const struct shoal_host_api *api,
                    const char *config_json, void **state)
{
	struct nat_plugin *np = calloc(1, sizeof(*np));
	if (!np) {
		api->error(host, "out of memory");
		return -ENOMEM;
	}
	np->host = host;
	np->api = api;
	json_error_t jerr;
	json_t *c = json_loads(config_json ? config_json : "{}", JSON_REJECT_DUPLICATES, &jerr);
	json_t *forwards = NULL;
	int rc = c ? nat_config_parse(np, c, &forwards) : nat_cfg_fail(np, "%s", jerr.text);
	for (int d = 0; rc == 0 && d < NAT_DROP_COUNT_; d++) {
		int id =
		    api->drop_reason_register(host, nat_drop_names[d], nat_drop_descriptions[d]);
		if (id < 0)
			rc = id;
		else
			np->drop_ids[d] = (uint16_t)id;
	}
	if (rc == 0) {
		char err[128];
		np->core = nat_core_create(&np->cfg, np->outs, np->n_outs, api->now_ms(host), err,
		                           sizeof(err));
		if (!np->core)
			rc = nat_cfg_fail(np, "%s", err);
	}
	size_t i;
	json_t *fv;
	if (rc == 0 && forwards)
		json_array_foreach(forwards, i, fv)
		{
			struct nat_forward f;
			char msg[128];
			if (!nat_forward_parse(fv, &f, msg, sizeof(msg))) {
				rc = nat_cfg_fail(np, "port_forwards[%zu]: %s", i, msg);
				break;
			}
			int frc = nat_forward_install(np, &f);
			if (frc == 0)
				np->cfg_forwards[np->n_cfg_forwards++] = f;
			if (frc < 0) {
				rc = nat_cfg_fail(np, "port_forwards[%zu]: %s", i,
				                  nat_forward_error(frc));
				break;
			}
		}
	json_decref(c);
	if (rc != 0) {
		nat_core_destroy(np->core);
		free(np);
		return rc;
	}
	*state = np;
	return 0;
}

static void nat_fini(void *state)
{
	struct nat_plugin *np = state;
	nat_core_destroy(np->core);
	free(np);
}

/* ---- hooks ---- */

static enum shoal_plugin_verdict nat_verdict(struct nat_plugin *np, enum nat_verdict v,
                                             enum nat_drop d, struct shoal_packet_view *pkt)
{
	if (v != NAT_DROP)
		return SHOAL_PLUGIN_CONTINUE;
	pkt->drop_reason = np->drop_ids[d];
	return SHOAL_PLUGIN_DROP;
}

static struct nat_pkt nat_pkt_of(const struct shoal_packet_view *pkt)
{
	return (struct nat_pkt){.data = pkt->data,
	                        .len = pkt->len,
	                        .ingress_ifindex = pkt->ingress_ifindex,
	                        .egress_ifindex = pkt->egress_ifindex,
	                        .csum_partial = (pkt->flags & SHOAL_PACKET_F_CSUM_PARTIAL) != 0};
}

static enum shoal_plugin_verdict nat_ingress(void *state, struct shoal_packet_view *pkt)
{
	struct nat_plugin *np = state;
	struct nat_pkt p = nat_pkt_of(pkt);
	enum nat_drop d = NAT_DROP_malformed;
	enum nat_verdict v = nat_core_ingress(np->core, &p, np->api->now_ms(np->host), &d);
	return nat_verdict(np, v, d, pkt);
}

static enum shoal_plugin_verdict nat_egress(void *state, struct shoal_packet_view *pkt)
{
	struct nat_plugin *np = state;
	struct nat_pkt p = nat_pkt_of(pkt);
	enum nat_drop d = NAT_DROP_malformed;
	enum nat_verdict v = nat_core_egress(np->core, &p, np->api->now_ms(np->host), &d);
	return nat_verdict(np, v, d, pkt);
}

static void nat_tick(void *state, uint64_t now_ms)
{
	struct nat_plugin *np = state;
	nat_core_tick(np->core, now_ms);
}

/* ---- HTTP: /api/v1/nat ---- */

static int nat_reply_json(struct shoal_http_reply *r, size_t cap, unsigned status, json_t *j)
{
	r->status = status;
	if (!j)
		return -ENOMEM;
	char *text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!text)
		return -ENOMEM;
	size_t n = strlen(text);
	if (n + 1 > cap) {
		free(text);
		return -E2BIG;
	}
	memcpy(r->body, text, n + 1);
	free(text);
	return 0;
}

static int nat_reply_error(struct shoal_http_reply *r, size_t cap, unsigned status,
                           const char *code, const char *message)
{
	return nat_reply_json(
	    r, cap, status, json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", message));
}

static const char *nat_query(const struct shoal_http_request *req, const char *key)
{
	for (size_t i = 0; i < req->n_query; i++)
		if (strcmp(req->query[i].key, key) == 0)
			return req->query[i].value;
	return NULL;
}

/* 400 unless every query key is one of allowed (NULL-terminated). */
static bool nat_query_check(const struct shoal_http_request *req, const char *const *allowed,
                            struct shoal_http_reply *r, size_t cap)
{
	for (size_t i = 0; i < req->n_query; i++) {
		const char *const *a = allowed;
		while (*a && strcmp(*a, req->query[i].key) != 0)
			a++;
		if (!*a) {
			char msg[96];
			snprintf(msg, sizeof(msg), "unknown query parameter \"%.40s\"",
			         req->query[i].key);
			nat_reply_error(r, cap, 400, "unknown_query_parameter", msg);
			return false;
		}
	}
	return true;
}

static json_t *nat_addr_json(uint32_t addr, uint16_t port)
{
	char a[SHOAL_IPV4_ADDR_STRLEN], s[32];
	snprintf(s, sizeof(s), "%s:%u", shoal_ipv4_addr_format(addr, a), port);
	return json_string(s);
}

static int nat_http_summary(struct nat_plugin *np, struct shoal_http_reply *r, size_t cap)
{
	struct nat_stats st;
	nat_core_stats(np->core, &st);
	json_t *drops = json_object();
	for (int d = 0; d < NAT_DROP_COUNT_; d++)
		json_object_set_new(drops, nat_drop_names[d],
		                    json_integer((json_int_t)st.drops[d]));
	json_t *outs = json_array();
	for (size_t o = 0; o < np->n_outs; o++) {
		char a[SHOAL_IPV4_ADDR_STRLEN];
		json_array_append_new(
		    outs,
		    json_pack("{s:s,s:s,s:{s:I,s:I,s:I}}", "interface", np->out_names[o], "address",
		              shoal_ipv4_addr_format(np->outs[o].addr, a), "ports_in_use", "tcp",
		              (json_int_t)st.ports_in_use[o][NAT_PROTO_TCP], "udp",
		              (json_int_t)st.ports_in_use[o][NAT_PROTO_UDP], "icmp",
		              (json_int_t)st.ports_in_use[o][NAT_PROTO_ICMP]));
	}
	json_t *timeouts = json_object();
	for (int k = 0; k < 4; k++)
		json_object_set_new(timeouts, nat_timeout_names[k],
		                    json_integer(np->cfg.timeout_s[k]));
	json_t *j = json_pack(
	    "{s:{s:s,s:s,s:b,s:[i,i],s:I,s:I,s:o,s:b},s:o,s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:"
	    "I},"
	    "s:o,s:I}",
	    "settings", "mapping", "endpoint-independent", "filtering",
	    nat_filtering_names[np->cfg.filtering], "hairpin", np->cfg.hairpin, "port_range",
	    np->cfg.port_min, np->cfg.port_max, "max_sessions", (json_int_t)np->cfg.max_sessions,
	    "max_sessions_per_host", (json_int_t)np->cfg.max_sessions_per_host, "timeouts",
	    timeouts, "mss_clamp", np->cfg.mss_clamp, "outside", outs, "counts", "sessions",
	    (json_int_t)st.sessions, "mappings", (json_int_t)st.mappings, "static_mappings",
	    (json_int_t)st.static_mappings, "created", (json_int_t)st.created, "expired",
	    (json_int_t)st.expired, "translated_out", (json_int_t)st.translated_out,
	    "translated_in", (json_int_t)st.translated_in, "hairpinned", (json_int_t)st.hairpinned,
	    "icmp_errors", (json_int_t)st.icmp_errors, "port_forwards", (json_int_t)np->n_forwards,
	    "drops", drops, "memory_bytes", (json_int_t)nat_core_memory(np->core));
	return nat_reply_json(r, cap, 200, j);
}

/* ?inside= and ?protocol= into f; false (reply filled) when one does not parse. */
static bool nat_filter_parse(const struct shoal_http_request *req, struct nat_filter *f,
                             struct shoal_http_reply *r, size_t cap)
{
	f->inside_addr = 0;
	f->proto = NAT_PROTO_COUNT_;
	const char *inside = nat_query(req, "inside");
	if (inside && shoal_ipv4_addr_parse(inside, &f->inside_addr) != SHOAL_WIRE_OK) {
		nat_reply_error(r, cap, 400, "invalid_address", "inside must be an IPv4 address");
		return false;
	}
	const char *proto = nat_query(req, "protocol");
	if (proto) {
		if (strcmp(proto, "icmp") == 0)
			f->proto = NAT_PROTO_ICMP;
		else if (!nat_proto_parse(proto, &f->proto)) {
			nat_reply_error(r, cap, 400, "invalid_protocol",
			                "protocol must be tcp, udp or icmp");
			return false;
		}
	}
	return true;
}

static bool nat_query_uint(const char *s, uint64_t max, uint64_t *out)
{
	if (!s || !*s)
		return false;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end || v > max || s[0] == '-')
		return false;
	*out = v;
	return true;
}

static int nat_http_sessions(struct nat_plugin *np, const struct shoal_http_request *req,
                             struct shoal_http_reply *r, size_t cap)
{
	static const char *const allowed[] = {"inside", "protocol", "limit", "cursor", NULL};
	if (!nat_query_check(req, allowed, r, cap))
		return 0;
	struct nat_filter f;
	if (!nat_filter_parse(req, &f, r, cap))
		return 0;
	if (strcmp(req->method, "DELETE") == 0) {
		size_t k = nat_core_flush(np->core,
		                          f.inside_addr || f.proto < NAT_PROTO_COUNT_ ? &f : NULL);
		return nat_reply_json(r, cap, 200, json_pack("{s:I}", "flushed", (json_int_t)k));
	}
	uint64_t limit = NAT_SESSIONS_DEFAULT_LIMIT, cursor = 0;
	const char *ls = nat_query(req, "limit"), *cs = nat_query(req, "cursor");
	if (ls && (!nat_query_uint(ls, NAT_SESSIONS_MAX_LIMIT, &limit) || limit == 0))
		return nat_reply_error(r, cap, 400, "invalid_limit", "limit must be 1..50000");
	if (cs && !nat_query_uint(cs, UINT32_MAX, &cursor))
		return nat_reply_error(r, cap, 400, "invalid_cursor",
		                       "cursor must be a next_cursor value from a previous page");
	struct nat_session_info *info = calloc((size_t)limit, sizeof(*info));
	if (!info)
		return -ENOMEM;
	uint64_t now = np->api->now_ms(np->host);
	size_t got = nat_core_sessions(np->core, &f, (uint32_t)cursor, info, (size_t)limit, now);
	static const char *const states[] = {"new", "established", "closing", "closed"};
	size_t n = (size_t)snprintf(r->body, cap, "{\"sessions\":[");
	for (size_t i = 0; i < got && n < cap; i++) {
		const struct nat_session_info *s = &info[i];
		char ia[SHOAL_IPV4_ADDR_STRLEN], oa[SHOAL_IPV4_ADDR_STRLEN],
		    ra[SHOAL_IPV4_ADDR_STRLEN];
		n += (size_t)snprintf(
		    r->body + n, cap - n,
		    "%s{\"protocol\":\"%s\",\"inside\":\"%s:%u\",\"outside\":\"%s:%u\","
		    "\"remote\":\"%s:%u\",\"state\":\"%s\",\"static\":%s,\"idle_ms\":%" PRIu64
		    ",\"expires_in_ms\":%" PRIu64 ",\"packets_out\":%" PRIu64
		    ",\"bytes_out\":%" PRIu64 ",\"packets_in\":%" PRIu64 ",\"bytes_in\":%" PRIu64
		    "}",
		    i ? "," : "", nat_proto_name(s->proto),
		    shoal_ipv4_addr_format(s->inside_addr, ia), s->inside_port,
		    shoal_ipv4_addr_format(s->outside_addr, oa), s->outside_port,
		    shoal_ipv4_addr_format(s->remote_addr, ra), s->remote_port,
		    s->proto == NAT_PROTO_TCP ? states[s->tcp_state] : "active",
		    s->is_static ? "true" : "false", s->idle_ms, s->expires_in_ms, s->packets_out,
		    s->bytes_out, s->packets_in, s->bytes_in);
	}
	if (n < cap) {
		if (got == limit)
			n += (size_t)snprintf(r->body + n, cap - n, "],\"next_cursor\":%u}",
			                      info[got - 1].cursor);
		else
			n += (size_t)snprintf(r->body + n, cap - n, "],\"next_cursor\":null}");
	}
	free(info);
	if (n >= cap)
		return nat_reply_error(r, cap, 413, "reply_too_large", "use a smaller limit");
	r->status = 200;
	return 0;
}

static json_t *nat_forward_json(const struct nat_forward *f)
{
	return json_pack("{s:s,s:i,s:o}", "protocol", nat_proto_name(f->proto), "outside_port",
	                 f->outside_port, "inside", nat_addr_json(f->inside_addr, f->inside_port));
}

/* ---- durable port forwards (plugin ABI 1.3 records) ----
 * Key "pf/<tcp|udp>/<outside_port>"; value the forward as JSON ({"protocol", "outside_port",
 * "inside"}, what GET shows) or NAT_RECORD_TOMBSTONE: a config file's forward deleted through
 * the API. No record: the config file's forward for that port, if any. Precedence: a record
 * (the API's) wins over the config file, like routes. */
#define NAT_RECORD_TOMBSTONE "{\"deleted\":true}"

static long nat_forward_find(const struct nat_plugin *np, enum nat_proto proto, uint16_t port)
{
	for (size_t i = 0; i < np->n_forwards; i++)
		if (np->forwards[i].proto == proto && np->forwards[i].outside_port == port)
			return (long)i;
	return -1;
}

static const struct nat_forward *nat_cfg_forward_find(const struct nat_plugin *np,
                                                      enum nat_proto proto, uint16_t port)
{
	for (size_t i = 0; i < np->n_cfg_forwards; i++)
		if (np->cfg_forwards[i].proto == proto && np->cfg_forwards[i].outside_port == port)
			return &np->cfg_forwards[i];
	return NULL;
}

static void nat_forward_remove(struct nat_plugin *np, size_t i)
{
	nat_core_forward_delete(np->core, np->forwards[i].proto, np->forwards[i].outside_port);
	memmove(&np->forwards[i], &np->forwards[i + 1],
	        (np->n_forwards - i - 1) * sizeof(np->forwards[0]));
	np->n_forwards--;
}

/* Applies the record (value NULL: none) of key: the ONE place a durable forward takes effect
 * (restore at load, the API's POST and DELETE, the host's undo). 0 or a negative errno, and
 * then the forward in force for that port is unchanged. */
static int nat_store_load(void *state, const char *key, const void *value, size_t len)
{
	struct nat_plugin *np = state;
	char proto_s[8], tail;
	unsigned port = 0;
	enum nat_proto proto;
	if (sscanf(key, "pf/%7[a-z]/%u%c", proto_s, &port, &tail) != 2 ||
	    !nat_proto_parse(proto_s, &proto) || port == 0 || port > 65535)
		return -EINVAL;
	struct nat_forward want;
	bool has_want = false;
	if (value == NULL) {
		const struct nat_forward *c = nat_cfg_forward_find(np, proto, (uint16_t)port);
		if (c) {
			want = *c;
			has_want = true;
		}
	} else {
		json_error_t jerr;
		json_t *j = json_loadb(value, len, JSON_REJECT_DUPLICATES, &jerr);
		char msg[128];
		bool tomb =
		    j && json_object_size(j) == 1 && json_is_true(json_object_get(j, "deleted"));
		has_want = !tomb;
		bool ok = tomb || (j && nat_forward_parse(j, &want, msg, sizeof(msg)) &&
		                   want.proto == proto && want.outside_port == port);
		json_decref(j);
		if (!ok)
			return -EINVAL;
	}
	long i = nat_forward_find(np, proto, (uint16_t)port);
	struct nat_forward prev;
	bool had = i >= 0;
	if (had) {
		prev = np->forwards[i];
		nat_forward_remove(np, (size_t)i);
	}
	int rc = has_want ? nat_forward_install(np, &want) : 0;
	if (rc < 0 && had)
		nat_forward_install(np, &prev); /* its port and endpoint were free just now */
	return rc;
}

/* API: applies the record value (NULL: delete it) for (proto, port) and stages it in the
 * durable store; on a staging failure the forward in force is put back. */
static int nat_record_put(struct nat_plugin *np, enum nat_proto proto, uint16_t port,
                          const char *value)
{
	char key[32];
	snprintf(key, sizeof(key), "pf/%s/%u", nat_proto_name(proto), port);
	long i = nat_forward_find(np, proto, port);
	struct nat_forward prev;
	bool had = i >= 0;
	if (had)
		prev = np->forwards[i];
	int rc = nat_store_load(np, key, value, value ? strlen(value) : 0);
	if (rc < 0)
		return rc;
	rc = np->api->store_put(np->host, key, value, value ? strlen(value) : 0);
	if (rc < 0) {
		long j = nat_forward_find(np, proto, port);
		if (j >= 0)
			nat_forward_remove(np, (size_t)j);
		if (had)
			nat_forward_install(np, &prev);
	}
	return rc;
}

static int nat_http_forwards(struct nat_plugin *np, const struct shoal_http_request *req,
                             const char *rest, struct shoal_http_reply *r, size_t cap)
{
	static const char *const none[] = {NULL};
	if (!nat_query_check(req, none, r, cap))
		return 0;
	if (*rest == '\0' && strcmp(req->method, "GET") == 0) {
		json_t *a = json_array();
		for (size_t i = 0; i < np->n_forwards; i++)
			json_array_append_new(a, nat_forward_json(&np->forwards[i]));
		return nat_reply_json(r, cap, 200, json_pack("{s:o}", "port_forwards", a));
	}
	if (*rest == '\0' && strcmp(req->method, "POST") == 0) {
		json_error_t jerr;
		json_t *body =
		    req->body ? json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr)
		              : NULL;
		struct nat_forward f;
		char msg[128] = "the body must be a JSON object";
		bool ok = body && nat_forward_parse(body, &f, msg, sizeof(msg));
		json_decref(body);
		if (!ok)
			return nat_reply_error(r, cap, 400, "invalid_port_forward", msg);
		if (nat_forward_find(np, f.proto, f.outside_port) >= 0)
			return nat_reply_error(r, cap, 409, "port_forward_exists",
			                       nat_forward_error(-EEXIST));
		json_t *j = nat_forward_json(&f);
		char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
		int rc = text ? nat_record_put(np, f.proto, f.outside_port, text) : -ENOMEM;
		free(text);
		if (rc < 0) {
			json_decref(j);
			return nat_reply_error(r, cap,
			                       rc == -EEXIST   ? 409
			                       : rc == -ENOSPC ? 507
			                       : rc == -EINVAL ? 400
			                                       : 500,
			                       rc == -EEXIST   ? "port_forward_exists"
			                       : rc == -EINVAL ? "invalid_port_forward"
			                                       : "port_forward_failed",
			                       nat_forward_error(rc));
		}
		return nat_reply_json(r, cap, 201, j);
	}
	if (*rest == '\0')
		return nat_reply_error(r, cap, 405, "method_not_allowed", "use GET or POST");
	/* {protocol}/{port} */
	char proto_s[8];
	unsigned port = 0;
	char tail;
	enum nat_proto proto;
	if (sscanf(rest, "%7[a-z]/%u%c", proto_s, &port, &tail) != 2 ||
	    !nat_proto_parse(proto_s, &proto) || port == 0 || port > 65535)
		return nat_reply_error(r, cap, 404, "not_found",
		                       "expected /api/v1/nat/port-forwards/{tcp|udp}/{port}");
	if (strcmp(req->method, "DELETE") != 0)
		return nat_reply_error(r, cap, 405, "method_not_allowed", "use DELETE");
	long i = nat_forward_find(np, proto, (uint16_t)port);
	if (i < 0)
		return nat_reply_error(r, cap, 404, "port_forward_not_found",
		                       "no such port forward");
	json_t *gone = nat_forward_json(&np->forwards[i]);
	/* a config file's forward is deleted by a tombstone record (it stays deleted after a
	 * restart, like a config route deleted through the API); an API forward by no record */
	bool in_cfg = nat_cfg_forward_find(np, proto, (uint16_t)port) != NULL;
	int rc = nat_record_put(np, proto, (uint16_t)port, in_cfg ? NAT_RECORD_TOMBSTONE : NULL);
	if (rc < 0) {
		json_decref(gone);
		return nat_reply_error(r, cap, 500, "port_forward_failed", strerror(-rc));
	}
	return nat_reply_json(r, cap, 200, json_pack("{s:o}", "deleted", gone));
}

static int nat_http(void *state, const struct shoal_http_request *req,
                    struct shoal_http_reply *reply)
{
	struct nat_plugin *np = state;
	size_t cap = np->api->http_body_max;
	const char *p = req->subpath;
	if (*p == '\0') {
		static const char *const none[] = {NULL};
		if (!nat_query_check(req, none, reply, cap))
			return 0;
		if (strcmp(req->method, "GET") != 0)
			return nat_reply_error(reply, cap, 405, "method_not_allowed", "use GET");
		return nat_http_summary(np, reply, cap);
	}
	if (strcmp(p, "sessions") == 0) {
		if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "DELETE") != 0)
			return nat_reply_error(reply, cap, 405, "method_not_allowed",
			                       "use GET or DELETE");
		return nat_http_sessions(np, req, reply, cap);
	}
	if (strncmp(p, "port-forwards", 13) == 0 && (p[13] == '\0' || p[13] == '/'))
		return nat_http_forwards(np, req, p[13] ? p + 14 : "", reply, cap);
	return nat_reply_error(reply, cap, 404, "not_found", "no such NAT resource");
}

/* ---- GET /metrics (ABI 1.3 metrics hook) ----
 * Read from the engine's own counters (nat_core_stats) and the forwards in force, like
 * GET /api/v1/nat: shoal_nat_* families, drop reasons from the engine's one table. */

static void nat_mfamily(struct shoal_textbuf *o, const char *name, const char *type,
                        const char *help)
{
	shoal_textbuf_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static int nat_metrics(void *state, char *buf, size_t cap)
{
	struct nat_plugin *np = state;
	struct nat_stats st;
	nat_core_stats(np->core, &st);
	struct shoal_textbuf o = {.buf = buf, .cap = cap};
	nat_mfamily(&o, "shoal_nat_sessions", "gauge", "NAT sessions in the table, by protocol.");
	for (int p = 0; p < NAT_PROTO_COUNT_; p++)
		shoal_textbuf_printf(&o, "shoal_nat_sessions{protocol=\"%s\"} %" PRIu64 "\n",
		                     nat_proto_name((enum nat_proto)p), st.sessions_by_proto[p]);
	nat_mfamily(&o, "shoal_nat_sessions_limit", "gauge",
	            "Sessions the table holds at most (max_sessions).");
	shoal_textbuf_printf(&o, "shoal_nat_sessions_limit %" PRIu32 "\n", np->cfg.max_sessions);
	nat_mfamily(&o, "shoal_nat_mappings", "gauge",
	            "NAT mappings (inside endpoint to outside port), static ones included.");
	shoal_textbuf_printf(&o, "shoal_nat_mappings %" PRIu64 "\n", st.mappings);
	nat_mfamily(&o, "shoal_nat_static_mappings", "gauge", "Mappings of port forwards.");
	shoal_textbuf_printf(&o, "shoal_nat_static_mappings %" PRIu64 "\n", st.static_mappings);
	nat_mfamily(&o, "shoal_nat_port_forwards", "gauge", "Port forwards in force.");
	shoal_textbuf_printf(&o, "shoal_nat_port_forwards %zu\n", np->n_forwards);
	nat_mfamily(&o, "shoal_nat_ports_in_use", "gauge",
	            "Outside ports (ICMP: identifiers) taken, by outside interface and protocol.");
	for (size_t i = 0; i < np->n_outs; i++)
		for (int p = 0; p < NAT_PROTO_COUNT_; p++)
			shoal_textbuf_printf(
			    &o,
			    "shoal_nat_ports_in_use{interface=\"%s\",protocol=\"%s\"} %" PRIu32
			    "\n",
			    np->out_names[i], nat_proto_name((enum nat_proto)p),
			    st.ports_in_use[i][p]);
	const struct {
		const char *name, *help;
		uint64_t v;
	} fam[] = {
	    {"shoal_nat_sessions_created_total", "NAT sessions created.", st.created},
	    {"shoal_nat_sessions_expired_total", "NAT sessions expired (idle timeout).",
	     st.expired},
	    {"shoal_nat_hairpinned_packets_total",
	     "Datagrams hairpinned (inside to outside "
	     "address and back in).",
	     st.hairpinned},
	    {"shoal_nat_icmp_errors_translated_total",
	     "ICMP errors about translated flows "
	     "rewritten (RFC 5508).",
	     st.icmp_errors},
	};
	for (size_t k = 0; k < sizeof(fam) / sizeof(fam[0]); k++) {
		nat_mfamily(&o, fam[k].name, "counter", fam[k].help);
		shoal_textbuf_printf(&o, "%s %" PRIu64 "\n", fam[k].name, fam[k].v);
	}
	nat_mfamily(&o, "shoal_nat_translated_packets_total", "counter",
	            "Datagrams translated, by direction (out: source rewritten; in: destination).");
	shoal_textbuf_printf(&o,
	                     "shoal_nat_translated_packets_total{direction=\"out\"} %" PRIu64 "\n",
	                     st.translated_out);
	shoal_textbuf_printf(&o,
	                     "shoal_nat_translated_packets_total{direction=\"in\"} %" PRIu64 "\n",
	                     st.translated_in);
	nat_mfamily(&o, "shoal_nat_drops_total", "counter",
	            "Datagrams the NAT dropped, by reason (its drop table).");
	for (int d = 0; d < NAT_DROP_COUNT_; d++)
		shoal_textbuf_printf(&o, "shoal_nat_drops_total{reason=\"%s\"} %" PRIu64 "\n",
		                     nat_drop_names[d], st.drops[d]);
	nat_mfamily(&o, "shoal_nat_memory_bytes", "gauge", "Bytes the NAT's tables take.");
	shoal_textbuf_printf(&o, "shoal_nat_memory_bytes %zu\n", nat_core_memory(np->core));
	return o.overflow ? -ENOSPC : (int)o.len;
}

SHOAL_PLUGIN_EXPORT const struct shoal_plugin_descriptor shoal_plugin = {
    .abi_major = SHOAL_PLUGIN_ABI_MAJOR,
    .abi_minor = SHOAL_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(struct shoal_plugin_descriptor),
    .name = "nat",
    .version = "0.1.0",
    .description = "NAPT: RFC 4787/5382/5508 masquerade, port forwards, hairpin",
    .init = nat_init,
    .fini = nat_fini,
    .ingress = nat_ingress,
    .egress = nat_egress,
    .tick = nat_tick,
    .http_request = nat_http,
    .metrics = nat_metrics,
    .store_load = nat_store_load,
};
