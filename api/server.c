/* The HTTP server: libmicrohttpd glue and one handler per endpoint (see api.h). */
#include "shoal/api.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shoal/api_auth.h"
#include "shoal/api_json.h"
#include "shoal/api_request.h"
#include "shoal/control.h"
#include "shoal/ipv4.h"
#include "shoal/log.h"

enum {
	SERVER_CONNECTION_TIMEOUT_S = 60,
	SERVER_HEADER_MEMORY = 64 * 1024,      /* per connection: request line and headers */
	SERVER_DISCARD_MAX = 16 * 1024 * 1024, /* chunked bodies past the limit: then we hang up */
	SERVER_LISTEN_BACKLOG = 128,
};

struct shoal_api {
	struct MHD_Daemon *daemon;
	struct shoal_ctl *ctl;
	char token[SHOAL_API_TOKEN_MAX];
	bool has_web;
	char web_root[PATH_MAX];
	uint16_t port;
	struct timespec started;
};

/* One request, from the URI log callback to the completion callback. */
struct server_request {
	char *raw; /* request target as sent */
	bool headers_done;
	enum shoal_api_method method;
	char method_name[16]; /* as sent, for messages */
	struct shoal_api_target target;
	char *body;
	size_t len, cap;
	size_t discarded; /* bytes past SHOAL_API_MAX_BODY */
};

/* What a handler answers. */
struct server_reply {
	unsigned status;
	json_t *json;       /* body (stolen), or NULL */
	char *raw_json;     /* plugin replies: body text (owned), or NULL */
	char location[128]; /* Location header when not empty */
	char allow[64];     /* Allow header when not empty */
	bool www_authenticate;
};

static void server_reply_error(struct server_reply *r, const struct shoal_api_error *e)
{
	r->status = e->http_status;
	json_decref(r->json);
	r->json = NULL;
	free(r->raw_json);
	r->raw_json = shoal_api_error_json(e);
}

static void server_reply_json(struct server_reply *r, unsigned status, json_t *json)
{
	r->status = status;
	r->json = json;
	if (!json) {
		struct shoal_api_error e;
		shoal_api_error_set(&e, 500, "internal", "out of memory");
		server_reply_error(r, &e);
	}
}

/* A control.h status and error as the API's error (HTTP status, code, message). */
static void server_ctl_error(enum shoal_ctl_status st, const struct shoal_ctl_error *ce,
                             struct shoal_api_error *e)
{
	static const struct {
		unsigned http;
		const char *code;
	} map[] = {
	    [SHOAL_CTL_OK] = {200, "ok"},
	    [SHOAL_CTL_CREATED] = {201, "created"},
	    [SHOAL_CTL_REPLACED] = {200, "replaced"},
	    [SHOAL_CTL_INVALID] = {400, "invalid_request"},
	    [SHOAL_CTL_NOT_FOUND] = {404, "not_found"},
	    [SHOAL_CTL_CONFLICT] = {409, "conflict"},
	    [SHOAL_CTL_FULL] = {507, "table_full"},
	    [SHOAL_CTL_UNAVAILABLE] = {503, "unavailable"},
	    [SHOAL_CTL_STORAGE] = {500, "storage_failed"},
	    [SHOAL_CTL_INTERNAL] = {500, "internal"},
	};
	unsigned idx =
	    (unsigned)st < sizeof(map) / sizeof(map[0]) ? (unsigned)st : SHOAL_CTL_INTERNAL;
	const char *code = ce->code[0] ? ce->code : map[idx].code;
	unsigned http = map[idx].http;
	if (st == SHOAL_CTL_INVALID && strcmp(code, "plugin_load_failed") == 0)
		http = 422; /* well-formed request the plugin host could not carry out */
	shoal_api_error_set(e, http, code, "%s",
	                    ce->message[0] ? ce->message : shoal_ctl_status_name(st));
}

static void server_reply_ctl(struct server_reply *r, enum shoal_ctl_status st,
                             const struct shoal_ctl_error *ce)
{
	struct shoal_api_error e;
	server_ctl_error(st, ce, &e);
	server_reply_error(r, &e);
}

static bool server_ctl_ok(enum shoal_ctl_status st)
{
	return st == SHOAL_CTL_OK || st == SHOAL_CTL_CREATED || st == SHOAL_CTL_REPLACED;
}

static json_t *server_list(const char *key, json_t *array)
{
	return array ? json_pack("{s:o}", key, array) : NULL;
}

/* ---- handlers ---------------------------------------------------------------------- */

static void server_health(struct shoal_api *api, struct server_reply *r)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	json_int_t up = (json_int_t)(now.tv_sec - api->started.tv_sec);
	server_reply_json(r, 200,
	                  json_pack("{s:s, s:s, s:I}", "status", "ok", "version", SHOAL_API_VERSION,
	                            "uptime_s", up));
}

static void server_routes_get(struct shoal_api *api, const struct server_request *q,
                              struct server_reply *r)
{
	struct shoal_ctl_route_spec within = {0};
	struct shoal_api_error e;
	const char *prefix = shoal_api_target_query(&q->target, "prefix");
	if (prefix && shoal_api_parse_prefix(prefix, &within.prefix, &within.prefix_len, &e) != 0) {
		server_reply_error(r, &e);
		return;
	}
	struct shoal_ctl_route *routes = NULL;
	size_t n = 0;
	struct shoal_ctl_error ce = {0};
	enum shoal_ctl_status st =
	    shoal_ctl_routes_list(api->ctl, prefix ? &within : NULL, &routes, &n, &ce);
	if (!server_ctl_ok(st)) {
		server_reply_ctl(r, st, &ce);
		free(routes);
		return;
	}
	json_t *array = json_array();
	for (size_t i = 0; array && i < n; i++)
		json_array_append_new(array, shoal_api_route_json(&routes[i]));
	free(routes);
	server_reply_json(r, 200, server_list("routes", array));
}

static void server_route_location(struct server_reply *r, uint32_t prefix, uint8_t len)
{
	char p[20];
	snprintf(r->location, sizeof(r->location), "/api/v1/routes/%s",
	         shoal_api_prefix_str(prefix, len, p, sizeof(p)));
}

static void server_routes_post(struct shoal_api *api, const struct server_request *q,
                               struct server_reply *r)
{
	struct shoal_ctl_route_spec spec;
	struct shoal_api_error e;
	if (shoal_api_route_body(q->body, q->len, NULL, &spec, &e) != 0) {
		server_reply_error(r, &e);
		return;
	}
	struct shoal_ctl_route out = {0};
	struct shoal_ctl_error ce = {0};
	enum shoal_ctl_status st = shoal_ctl_route_add(api->ctl, &spec, &out, &ce);
	if (!server_ctl_ok(st)) {
		server_reply_ctl(r, st, &ce);
		return;
	}
	server_route_location(r, out.prefix, out.prefix_len);
	server_reply_json(r, 201, shoal_api_route_json(&out));
}

static void server_routes_lookup(struct shoal_api *api, const struct server_request *q,
                                 struct server_reply *r)
{
	struct shoal_api_error e;
	const char *address = shoal_api_target_query(&q->target, "address");
	uint32_t addr;
	if (!address) {
		shoal_api_error_set(&e, 400, "missing_parameter",
		                    "query parameter \"address\" is required");
		server_reply_error(r, &e);
		return;
	}
	if (shoal_api_parse_ipv4(address, &addr) != 0) {
		shoal_api_error_set(&e, 400, "invalid_address", "\"%.64s\" is not an IPv4 address",
		                    address);
		server_reply_error(r, &e);
		return;
	}
	struct shoal_ctl_route out = {0};
	struct shoal_ctl_error ce = {0};
	enum shoal_ctl_status st = shoal_ctl_route_lookup(api->ctl, addr, &out, &ce);
	if (!server_ctl_ok(st)) {
		server_reply_ctl(r, st, &ce);
		return;
	}
	server_reply_json(r, 200, shoal_api_route_json(&out));
}

static void server_routes_batch(struct shoal_api *api, const struct server_request *q,
                                struct server_reply *r)
{
	struct shoal_ctl_op *ops;
	size_t n;
	struct shoal_api_error e;
	if (shoal_api_batch_body(q->body, q->len, &ops, &n, &e) != 0) {
		server_reply_error(r, &e);
		return;
	}
	size_t failed = 0;
	struct shoal_ctl_error ce = {0};
	enum shoal_ctl_status st =
	    n ? shoal_ctl_route_batch(api->ctl, ops, n, &failed, &ce) : SHOAL_CTL_OK;
	free(ops);
	if (!server_ctl_ok(st)) {
		server_ctl_error(st, &ce, &e);
		/* Nothing was applied; an operation's own failure names it. */
		bool per_op = st == SHOAL_CTL_INVALID || st == SHOAL_CTL_NOT_FOUND ||
		              st == SHOAL_CTL_CONFLICT || st == SHOAL_CTL_FULL;
		if (per_op && failed < n)
			e.index = (long)failed;
		server_reply_error(r, &e);
		return;
	}
	server_reply_json(r, 200, json_pack("{s:I}", "applied", (json_int_t)n));
}

static void server_route_get(struct shoal_api *api, const struct server_request *q,
                             struct server_reply *r)
{
	struct shoal_ctl_route_spec within = {.prefix = q->target.prefix,
	                                      .prefix_len = q->target.prefix_len};
	struct shoal_ctl_route *routes = NULL;
	size_t n = 0;
	struct shoal_ctl_error ce = {0};
	enum shoal_ctl_status st = shoal_ctl_routes_list(api->ctl, &within, &routes, &n, &ce);
	if (!server_ctl_ok(st)) {
		server_reply_ctl(r, st, &ce);
		free(routes);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (routes[i].prefix == within.prefix &&
		    routes[i].prefix_len == within.prefix_len) {
			server_reply_json(r, 200, shoal_api_route_json(&routes[i]));
			free(routes);
			return;
		}
	}
	free(routes);
	struct shoal_api_error e;
	char p[20];
	shoal_api_error_set(&e, 404, "route_not_found", "no route %s",
	                    shoal_api_prefix_str(within.prefix, within.prefix_len, p, sizeof(p)));
	server_reply_error(r, &e);
}

static void server_route_put(struct shoal_api *api, const struct server_request *q,
                             struct server_reply *r)
{
	struct shoal_ctl_route_spec path = {.prefix = q->target.prefix,
	                                    .prefix_len = q->target.prefix_len};
	struct shoal_ctl_route_spec spec;
	struct shoal_api_error e;
	if (shoal_api_route_body(q->body, q->len, &path, &spec, &e) != 0) {
		server_reply_error(r, &e);
		return;
	}
	struct shoal_ctl_route out = {0};
	struct shoal_ctl_error ce = {0};
	enum shoal_ctl_status st = shoal_ctl_route_put(api->ctl, &spec, &out, &ce);
	if (!server_ctl_ok(st)) {
		server_reply_ctl(r, st, &ce);
		return;
	}
	if (st == SHOAL_CTL_CREATED)
		server_route_location(r, out.prefix, out.prefix_len);
	server_reply_json(r, st == SHOAL_CTL_CREATED ? 201 : 200, shoal_api_route_json(&out));
}

static void server_route_delete(struct shoal_api *api, const struct server_request *q,
                                struct server_reply *r)
{
	struct shoal_ctl_error ce = {0};
	enum shoal_ctl_status st =
	    shoal_ctl_route_delete(api->ctl, q->target.prefix, q->target.prefix_len, &ce);
	if (!server_ctl_ok(st)) {
		server_reply_ctl(r, st, &ce);
		return;
	}
	r->status = 204;
}

static void server_arp_get(struct shoal_api *api, const struct server_request *q,
                           struct server_reply *r)
{
	struct shoal_ctl_arp_entry *entries = NULL;
	size_t n = 0;
	struct shoal_ctl_error ce = {0};
	const char *interface = shoal_api_target_query(&q->target, "interface");
	enum shoal_ctl_status st = shoal_ctl_arp_list(api->ctl, interface, &entries, &n, &ce);
	if (!server_ctl_ok(st)) {
		server_reply_ctl(r, st, &ce);
		free(entries);
		return;
	}
	json_t *array = json_array();
	for (size_t i = 0; array && i < n; i++)
		json_array_append_new(array, shoal_api_arp_json(&entries[i]));
	free(entries);
	server_reply_json(r, 200, server_list("entries", array));
}

static void server_arp_post(struct shoal_api *api, const struct server_request *q,
                            struct server_reply *r)
{
	char interface[16];
	uint32_t ip;
	uint8_t mac[6];
	struct shoal_api_error e;
	if (shoal_api_arp_body(q->body, q->len, interface, &ip, mac, &e) != 0) {
		server_reply_error(r, &e);
		return;
	}
	struct shoal_ctl_arp_entry out = {0};
	struct shoal_ctl_error ce = {0};
	enum shoal_ctl_status st =
	    shoal_ctl_arp_add_static(api->ctl, interface[0] ? interface : NULL, ip, mac, &out, &ce);
	if (!server_ctl_ok(st)) {
		server_reply_ctl(r, st, &ce);
		return;
	}
	snprintf(r->location, sizeof(r->location), "/api/v1/arp/%u.%u.%u.%u", ip >> 24,
	         (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
	server_reply_json(r, 201, shoal_api_arp_json(&out));
}

static void server_arp_flush(struct shoal_api *api, const struct server_request *q,
                             struct server_reply *r)
{
	size_t flushed = 0;
	struct shoal_ctl_error ce = {0};
	const char *interface = shoal_api_target_query(&q->target, "interface");
	enum shoal_ctl_status st = shoal_ctl_arp_flush(api->ctl, interface, &flushed, &ce);
	if (!server_ctl_ok(st)) {
		server_reply_ctl(r, st, &ce);
		return;
	}
	server_reply_json(r, 200, json_pack("{s:I}", "flushed", (json_int_t)flushed));
}

static void server_arp_entry_get(struct shoal_api *api, const struct server_request *q,
                                 struct server_reply *r)
{
	struct shoal_ctl_arp_entry *entries = NULL;
	size_t n = 0;
	struct shoal_ctl_error ce = {0};
	const char *interface = shoal_api_target_query(&q->target, "interface");
	enum shoal_ctl_status st = shoal_ctl_arp_list(api->ctl, interface, &entries, &n, &ce);
	if (!server_ctl_ok(st)) {
		server_reply_ctl(r, st, &ce);
		free(entries);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (entries[i].ip == q->target.ip) {
			server_reply_json(r, 200, shoal_api_arp_json(&entries[i]));
			free(entries);
			return;
		}
	}
	free(entries);
	struct shoal_api_error e;
	uint32_t ip = q->target.ip;
	shoal_api_error_set(&e, 404, "arp_entry_not_found", "no ARP entry for %u.%u.%u.%u",
	                    ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
	server_reply_error(r, &e);
}

static void server_arp_entry_delete(struct shoal_api *api, const struct server_request *q,
                                    struct server_reply *r)
{
	struct shoal_ctl_error ce = {0};
	const char *interface = shoal_api_target_query(&q->target, "interface");
	enum shoal_ctl_status st = shoal_ctl_arp_delete(api->ctl, interface, q->target.ip, &ce);
	if (!server_ctl_ok(st)) {
		server_reply_ctl(r, st, &ce);
		return;
	}
	r->status = 204;
}

static void server_interfaces(struct shoal_api *api, struct server_reply *r)
{
	struct shoal_ctl_interface *ifs = NULL;
	size_t n = 0;
	struct shoal_ctl_error ce = {0};
	enum shoal_ctl_status st = shoal_ctl_interfaces(api->ctl, &ifs, &n, &ce);
	if (!server_ctl_ok(st)) {
		server_reply_ctl(r, st, &ce);
		free(ifs);
		return;
	}
	json_t *array = json_array();
	for (size_t i = 0; array && i < n; i++)
		json_array_append_new(array, shoal_api_interface_json(&ifs[i]));
	free(ifs);
	server_reply_json(r, 200, server_list("interfaces", array));
}

static void server_plugins_get(struct shoal_api *api, const char *only, struct server_reply *r)
{
	struct shoal_ctl_plugin *plugins = NULL;
	size_t n = 0;
	struct shoal_ctl_error ce = {0};
	enum shoal_ctl_status st = shoal_ctl_plugins(api->ctl, &plugins, &n, &ce);
	if (!server_ctl_ok(st)) {
		server_reply_ctl(r, st, &ce);
		free(plugins);
		return;
	}
	json_t *array = only ? NULL : json_array();
	for (size_t i = 0; i < n; i++) {
		if (!only)
			json_array_append_new(array, shoal_api_plugin_json(&plugins[i]));
		else if (strcmp(plugins[i].name, only) == 0)
			array = shoal_api_plugin_json(&plugins[i]);
	}
	free(plugins);
	if (only && !array) {
		struct shoal_api_error e;
		shoal_api_error_set(&e, 404, "plugin_not_found", "no plugin \"%s\" is loaded",
		                    only);
		server_reply_error(r, &e);
		return;
	}
	server_reply_json(r, 200, only ? array : server_list("plugins", array));
}

static void server_plugins_post(struct shoal_api *api, const struct server_request *q,
                                struct server_reply *r)
{
	char name[SHOAL_API_NAME_MAX];
	char *config = NULL;
	struct shoal_api_error e;
	if (shoal_api_plugin_body(q->body, q->len, name, &config, &e) != 0) {
		server_reply_error(r, &e);
		return;
	}
	struct shoal_ctl_plugin *out = calloc(1, sizeof(*out));
	struct shoal_ctl_error ce = {0};
	enum shoal_ctl_status st =
	    out ? shoal_ctl_plugin_load(api->ctl, name, config, out, &ce) : SHOAL_CTL_INTERNAL;
	free(config);
	if (!server_ctl_ok(st)) {
		server_reply_ctl(r, st, &ce);
		free(out);
		return;
	}
	snprintf(r->location, sizeof(r->location), "/api/v1/plugins/%s", name);
	server_reply_json(r, 201, shoal_api_plugin_json(out));
	free(out);
}

static void server_plugin_delete(struct shoal_api *api, const struct server_request *q,
                                 struct server_reply *r)
{
	struct shoal_ctl_error ce = {0};
	enum shoal_ctl_status st = shoal_ctl_plugin_unload(api->ctl, q->target.name, &ce);
	if (!server_ctl_ok(st)) {
		server_reply_ctl(r, st, &ce);
		return;
	}
	r->status = 204;
}

static const char *server_method_name(enum shoal_api_method m)
{
	switch (m) {
	case SHOAL_API_GET:
		return "GET";
	case SHOAL_API_HEAD:
		return "HEAD";
	case SHOAL_API_POST:
		return "POST";
	case SHOAL_API_PUT:
		return "PUT";
	case SHOAL_API_DELETE:
		return "DELETE";
	default:
		return "OTHER";
	}
}

static void server_plugin_http(struct shoal_api *api, const struct server_request *q,
                               struct server_reply *r)
{
	unsigned status = 0;
	char *reply = NULL;
	struct shoal_ctl_error ce = {0};
	enum shoal_ctl_status st =
	    shoal_ctl_plugin_http(api->ctl, q->target.name, server_method_name(q->method),
	                          q->target.subpath, q->body, q->len, &status, &reply, &ce);
	if (!server_ctl_ok(st)) {
		free(reply);
		server_reply_ctl(r, st, &ce);
		return;
	}
	r->status = status >= 200 && status <= 599 ? status : 500;
	r->raw_json = reply;
}

static void server_dispatch(struct shoal_api *api, const struct server_request *q,
                            struct server_reply *r)
{
	bool read = q->method == SHOAL_API_GET || q->method == SHOAL_API_HEAD;
	switch (q->target.endpoint) {
	case SHOAL_API_EP_HEALTH:
		server_health(api, r);
		return;
	case SHOAL_API_EP_ROUTES:
		if (read)
			server_routes_get(api, q, r);
		else
			server_routes_post(api, q, r);
		return;
	case SHOAL_API_EP_ROUTES_LOOKUP:
		server_routes_lookup(api, q, r);
		return;
	case SHOAL_API_EP_ROUTES_BATCH:
		server_routes_batch(api, q, r);
		return;
	case SHOAL_API_EP_ROUTE:
		if (read)
			server_route_get(api, q, r);
		else if (q->method == SHOAL_API_PUT)
			server_route_put(api, q, r);
		else
			server_route_delete(api, q, r);
		return;
	case SHOAL_API_EP_ARP:
		if (read)
			server_arp_get(api, q, r);
		else if (q->method == SHOAL_API_POST)
			server_arp_post(api, q, r);
		else
			server_arp_flush(api, q, r);
		return;
	case SHOAL_API_EP_ARP_ENTRY:
		if (read)
			server_arp_entry_get(api, q, r);
		else
			server_arp_entry_delete(api, q, r);
		return;
	case SHOAL_API_EP_INTERFACES:
		server_interfaces(api, r);
		return;
	case SHOAL_API_EP_PLUGINS:
		if (read)
			server_plugins_get(api, NULL, r);
		else
			server_plugins_post(api, q, r);
		return;
	case SHOAL_API_EP_PLUGIN:
		if (read)
			server_plugins_get(api, q->target.name, r);
		else
			server_plugin_delete(api, q, r);
		return;
	case SHOAL_API_EP_PLUGIN_HTTP:
		server_plugin_http(api, q, r);
		return;
	case SHOAL_API_EP_STATIC:
	case SHOAL_API_EP_NOT_FOUND:
		break;
	}
	struct shoal_api_error e;
	shoal_api_error_set(&e, 404, "not_found", "no such endpoint: %.200s", q->target.path);
	server_reply_error(r, &e);
}

/* ---- libmicrohttpd glue ------------------------------------------------------------- */

static enum MHD_Result server_send(struct MHD_Connection *conn, struct server_reply *r)
{
	char *text = r->raw_json;
	r->raw_json = NULL;
	if (r->json) {
		text = json_dumps(r->json, JSON_COMPACT);
		json_decref(r->json);
		r->json = NULL;
	}
	size_t len = text ? strlen(text) : 0;
	struct MHD_Response *resp;
	if (text && r->status != 204) {
		/* A trailing newline keeps curl output tidy. */
		char *line = malloc(len + 2);
		if (line) {
			memcpy(line, text, len);
			line[len] = '\n';
			line[len + 1] = '\0';
		}
		free(text);
		if (!line)
			return MHD_NO;
		resp = MHD_create_response_from_buffer(len + 1, line, MHD_RESPMEM_MUST_FREE);
		if (!resp) {
			free(line);
			return MHD_NO;
		}
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	} else {
		free(text);
		resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		if (!resp)
			return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (r->location[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, r->location);
	if (r->allow[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
	if (r->www_authenticate)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
	enum MHD_Result ret = MHD_queue_response(conn, r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result server_send_error(struct MHD_Connection *conn,
                                         const struct shoal_api_error *e)
{
	struct server_reply r = {0};
	server_reply_error(&r, e);
	return server_send(conn, &r);
}

static enum MHD_Result server_static(struct shoal_api *api, struct MHD_Connection *conn,
                                     const struct server_request *q)
{
	struct shoal_api_error e;
	char real[PATH_MAX];
	if (!api->has_web) {
		shoal_api_error_set(&e, 404, "not_found", "no such file: %.200s", q->target.path);
		return server_send_error(conn, &e);
	}
	if (shoal_api_static_resolve(api->web_root, q->target.path, real, sizeof(real), &e) != 0)
		return server_send_error(conn, &e);
	int fd = open(real, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		shoal_api_error_set(&e, 404, "not_found", "no such file: %.200s", q->target.path);
		return server_send_error(conn, &e);
	}
	struct MHD_Response *resp = MHD_create_response_from_fd((size_t)st.st_size, fd);
	if (!resp) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, shoal_api_content_type(real));
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	enum MHD_Result ret = MHD_queue_response(conn, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

static bool server_is_json(const char *content_type)
{
	if (!content_type)
		return false;
	static const char json[] = "application/json";
	size_t n = sizeof(json) - 1;
	if (strncasecmp(content_type, json, n) != 0)
		return false;
	char next = content_type[n];
	return next == '\0' || next == ';' || next == ' ' || next == '\t';
}

/* Checks done once the headers are in, before any body byte is read. Returns true when a
 * response was queued (*ret set). */
static bool server_authorized(const struct shoal_api *api, struct MHD_Connection *conn)
{
	return shoal_api_bearer_ok(
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION),
	    api->token);
}

static enum MHD_Result server_send_unauthorized(struct MHD_Connection *conn)
{
	struct shoal_api_error e;
	struct server_reply r = {0};
	shoal_api_error_set(&e, 401, "unauthorized",
	                    "missing or wrong bearer token (Authorization: Bearer TOKEN)");
	server_reply_error(&r, &e);
	r.www_authenticate = true;
	return server_send(conn, &r);
}

/* Whether a raw request target that does not parse lies under /api/ (health excepted): such
 * a request must authenticate before its parse error tells anything. */
static bool server_raw_needs_auth(const char *raw)
{
	static const char health[] = "/api/v1/health";
	if (strncmp(raw, "/api/", 5) != 0)
		return false;
	size_t n = strcspn(raw, "?");
	return !(n == sizeof(health) - 1 && strncmp(raw, health, n) == 0);
}

static bool server_check_headers(struct shoal_api *api, struct MHD_Connection *conn,
                                 struct server_request *q, enum MHD_Result *ret)
{
	struct shoal_api_error e;
	struct server_reply r = {0};
	const struct shoal_api_target *t = &q->target;
	if (t->needs_auth && !server_authorized(api, conn)) {
		*ret = server_send_unauthorized(conn);
		return true;
	}
	if (t->endpoint == SHOAL_API_EP_NOT_FOUND) {
		shoal_api_error_set(&e, 404, "not_found", "no such endpoint: %.200s", t->path);
		*ret = server_send_error(conn, &e);
		return true;
	}
	if (!(t->methods & q->method)) {
		shoal_api_error_set(&e, 405, "method_not_allowed", "%s is not allowed on %.200s",
		                    q->method_name, t->path);
		server_reply_error(&r, &e);
		shoal_api_allow_string(t->methods, r.allow, sizeof(r.allow));
		*ret = server_send(conn, &r);
		return true;
	}
	for (size_t i = 0; i < t->n_query; i++) {
		if (!shoal_api_target_allows_query(t, q->method, t->query[i].key)) {
			shoal_api_error_set(&e, 400, "unknown_parameter",
			                    "unknown query parameter \"%s\"", t->query[i].key);
			*ret = server_send_error(conn, &e);
			return true;
		}
	}
	const char *cl =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	const char *te =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
	unsigned long long length = cl ? strtoull(cl, NULL, 10) : 0;
	bool has_body = length > 0 || te != NULL;
	if (has_body && (q->method == SHOAL_API_POST || q->method == SHOAL_API_PUT) &&
	    !server_is_json(
	        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE))) {
		shoal_api_error_set(
		    &e, 415, "unsupported_media_type",
		    "the request body must be JSON (Content-Type: application/json)");
		*ret = server_send_error(conn, &e);
		return true;
	}
	if (length > SHOAL_API_MAX_BODY) {
		shoal_api_error_set(&e, 413, "body_too_large",
		                    "request body of %llu bytes is over the limit of %d bytes",
		                    length, SHOAL_API_MAX_BODY);
		*ret = server_send_error(conn, &e);
		return true;
	}
	if (t->endpoint == SHOAL_API_EP_STATIC) {
		*ret = server_static(api, conn, q);
		return true;
	}
	return false;
}

static int server_body_append(struct server_request *q, const char *data, size_t size)
{
	if (q->discarded || q->len + size > SHOAL_API_MAX_BODY) {
		q->discarded += size;
		return q->discarded > SERVER_DISCARD_MAX ? -1 : 0;
	}
	if (q->len + size + 1 > q->cap) {
		size_t cap = q->cap ? q->cap : 4096;
		while (cap < q->len + size + 1)
			cap *= 2;
		char *grown = realloc(q->body, cap);
		if (!grown)
			return -1;
		q->body = grown;
		q->cap = cap;
	}
	memcpy(q->body + q->len, data, size);
	q->len += size;
	q->body[q->len] = '\0';
	return 0;
}

/* The control plane yields to forwarding: a thread that serves HTTP lowers its own priority
 * by SHOAL_API_NICE once (Linux keeps niceness per thread), so a burst of API requests
 * takes CPU from idle time rather than from the data plane. */
static void server_thread_yield_to_forwarding(void)
{
	static _Thread_local bool done;
	if (done)
		return;
	done = true;
	errno = 0;
	int nice_now = getpriority(PRIO_PROCESS, (id_t)gettid());
	if (errno != 0 || setpriority(PRIO_PROCESS, (id_t)gettid(), nice_now + SHOAL_API_NICE) != 0)
		shoal_log(SHOAL_LOG_DEBUG, "api: setpriority: %s", strerror(errno));
}

static enum MHD_Result server_access(void *cls, struct MHD_Connection *conn, const char *url,
                                     const char *method, const char *version,
                                     const char *upload_data, size_t *upload_data_size,
                                     void **con_cls)
{
	(void)url;
	(void)version;
	struct shoal_api *api = cls;
	struct server_request *q = *con_cls;
	if (!q || !q->raw)
		return MHD_NO; /* the URI callback ran out of memory */
	if (!q->headers_done) {
		q->headers_done = true;
		server_thread_yield_to_forwarding();
		q->method = shoal_api_method_from_string(method);
		snprintf(q->method_name, sizeof(q->method_name), "%s", method);
		struct shoal_api_error e;
		if (shoal_api_target_parse(q->raw, &q->target, &e) != 0) {
			if (server_raw_needs_auth(q->raw) && !server_authorized(api, conn))
				return server_send_unauthorized(conn);
			return server_send_error(conn, &e);
		}
		enum MHD_Result ret;
		if (server_check_headers(api, conn, q, &ret))
			return ret;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		int rc = server_body_append(q, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return rc == 0 ? MHD_YES : MHD_NO;
	}
	if (q->discarded) {
		struct shoal_api_error e;
		shoal_api_error_set(&e, 413, "body_too_large",
		                    "request body is over the limit of %d bytes",
		                    SHOAL_API_MAX_BODY);
		return server_send_error(conn, &e);
	}
	struct server_reply r = {0};
	server_dispatch(api, q, &r);
	return server_send(conn, &r);
}

static void *server_uri_log(void *cls, const char *uri, struct MHD_Connection *conn)
{
	(void)cls;
	(void)conn;
	struct server_request *q = calloc(1, sizeof(*q));
	if (q)
		q->raw = strdup(uri);
	return q;
}

static void server_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                             enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	struct server_request *q = *con_cls;
	*con_cls = NULL;
	if (!q)
		return;
	free(q->body);
	free(q->raw);
	free(q);
}

/* fmt is libmicrohttpd's printf format: declared as such, so clang's -Wformat-nonliteral
 * accepts passing it on. */
__attribute__((format(printf, 2, 0))) static void server_mhd_log(void *cls, const char *fmt,
                                                                 va_list ap)
{
	(void)cls;
	shoal_log_v(SHOAL_LOG_DEBUG, fmt, ap);
}

static int server_listen(const struct shoal_config *cfg, uint16_t *port, char *err, size_t err_size)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, err_size, "api: socket: %s", strerror(errno));
		return -1;
	}
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_port = htons(cfg->api_port),
	                         .sin_addr.s_addr = htonl(cfg->api_address)};
	socklen_t sl = sizeof(sa);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(fd, SERVER_LISTEN_BACKLOG) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
		char a[SHOAL_IPV4_ADDR_STRLEN];
		snprintf(err, err_size, "api: cannot listen on %s:%u: %s",
		         shoal_ipv4_addr_format(cfg->api_address, a), cfg->api_port,
		         strerror(errno));
		close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

int shoal_api_start(struct shoal_api **out, const struct shoal_config *cfg, struct shoal_ctl *ctl,
                    const char *web_dir, char *err, size_t err_size)
{
	*out = NULL;
	struct shoal_api *api = calloc(1, sizeof(*api));
	if (!api) {
		snprintf(err, err_size, "api: out of memory");
		return -1;
	}
	api->ctl = ctl;
	clock_gettime(CLOCK_MONOTONIC, &api->started);
	bool created = false;
	if (shoal_api_token_load(cfg->api_token_file, api->token, &created, err, err_size) != 0) {
		char inner[512];
		snprintf(inner, sizeof(inner), "%s", err);
		snprintf(err, err_size, "api: %s", inner);
		free(api);
		return -1;
	}
	if (created)
		shoal_log(SHOAL_LOG_INFO, "api: created token file %s", cfg->api_token_file);
	if (web_dir && realpath(web_dir, api->web_root))
		api->has_web = true;
	else if (web_dir)
		shoal_log(SHOAL_LOG_WARN, "api: web_dir %s: %s (static files disabled)", web_dir,
		          strerror(errno));
	int fd = server_listen(cfg, &api->port, err, err_size);
	if (fd < 0) {
		free(api);
		return -1;
	}
	api->daemon = MHD_start_daemon(
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
	        MHD_USE_ERROR_LOG,
	    0, NULL, NULL, server_access, api, MHD_OPTION_EXTERNAL_LOGGER, server_mhd_log, NULL,
	    MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned)SHOAL_API_MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned)SERVER_CONNECTION_TIMEOUT_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)SERVER_HEADER_MEMORY, MHD_OPTION_URI_LOG_CALLBACK, server_uri_log, NULL,
	    MHD_OPTION_NOTIFY_COMPLETED, server_completed, NULL, MHD_OPTION_END);
	if (!api->daemon) {
		snprintf(err, err_size, "api: cannot start the HTTP server on port %u", api->port);
		close(fd);
		free(api);
		return -1;
	}
	*out = api;
	return 0;
}

uint16_t shoal_api_port(const struct shoal_api *api)
{
	return api->port;
}

void shoal_api_stop(struct shoal_api *api)
{
	if (!api)
		return;
	MHD_stop_daemon(api->daemon);
	free(api);
}
