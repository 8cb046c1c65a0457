/* The routes resource: /api/v1/routes, routes:batch, routes/lookup, routes/{prefix}. See
 * api_resource.h; wire shapes in api/openapi.yaml. */
#include <stdio.h>
#include <stdlib.h>

#include "shoal/api_json.h"
#include "shoal/api_resource.h"

static void routes_reply_list(struct shoal_api_reply *r, enum shoal_ctl_status st,
                              const struct shoal_ctl_error *ce, struct shoal_ctl_route *routes,
                              size_t n)
{
	if (!shoal_api_ctl_ok(st)) {
		free(routes);
		shoal_api_reply_ctl(r, st, ce);
		return;
	}
	json_t *array = json_array();
	for (size_t i = 0; array && i < n; i++)
		json_array_append_new(array, shoal_api_route_json(&routes[i]));
	free(routes);
	shoal_api_reply_json(r, 200, shoal_api_list("routes", array));
}

static void routes_list(const struct shoal_api_call *c, struct shoal_api_reply *r)
{
	struct shoal_ctl_route_spec within = {0};
	struct shoal_api_error e;
	const char *prefix = shoal_api_target_query(c->target, "prefix");
	if (prefix && shoal_api_parse_prefix(prefix, &within.prefix, &within.prefix_len, &e) != 0) {
		shoal_api_reply_error(r, &e);
		return;
	}
	struct shoal_ctl_route *routes = NULL;
	size_t n = 0;
	struct shoal_ctl_error ce = {0};
	enum shoal_ctl_status st =
	    shoal_ctl_routes_list(c->ctl, prefix ? &within : NULL, &routes, &n, &ce);
	routes_reply_list(r, st, &ce, routes, n);
}

static void routes_location(struct shoal_api_reply *r, uint32_t prefix, uint8_t len)
{
	char p[20];
	snprintf(r->location, sizeof(r->location), "/api/v1/routes/%s",
	         shoal_api_prefix_str(prefix, len, p, sizeof(p)));
}

static void routes_add(const struct shoal_api_call *c, struct shoal_api_reply *r)
{
	struct shoal_ctl_route_spec spec;
	struct shoal_api_error e;
	if (shoal_api_route_body(c->body, c->len, NULL, &spec, &e) != 0) {
		shoal_api_reply_error(r, &e);
		return;
	}
	struct shoal_ctl_route out = {0};
	struct shoal_ctl_error ce = {0};
	enum shoal_ctl_status st = shoal_ctl_route_add(c->ctl, &spec, &out, &ce);
	if (!shoal_api_ctl_ok(st)) {
		shoal_api_reply_ctl(r, st, &ce);
		return;
	}
	routes_location(r, out.prefix, out.prefix_len);
	shoal_api_reply_json(r, 201, shoal_api_route_json(&out));
}

/* Serializes what control's lookup names (struct shoal_ctl_route). */
static void routes_lookup(const struct shoal_api_call *c, struct shoal_api_reply *r)
{
	struct shoal_api_error e;
	const char *address = shoal_api_target_query(c->target, "address");
	uint32_t addr;
	if (!address) {
		shoal_api_error_set(&e, 400, "missing_parameter",
		                    "query parameter \"address\" is required");
		shoal_api_reply_error(r, &e);
		return;
	}
	if (shoal_api_parse_ipv4(address, &addr) != 0) {
		shoal_api_error_set(&e, 400, "invalid_address", "\"%.64s\" is not an IPv4 address",
		                    address);
		shoal_api_reply_error(r, &e);
		return;
	}
	struct shoal_ctl_route out = {0};
	struct shoal_ctl_error ce = {0};
	enum shoal_ctl_status st = shoal_ctl_route_lookup(c->ctl, addr, &out, &ce);
	if (!shoal_api_ctl_ok(st)) {
		shoal_api_reply_ctl(r, st, &ce);
		return;
	}
	shoal_api_reply_json(r, 200, shoal_api_route_json(&out));
}

static void routes_batch(const struct shoal_api_call *c, struct shoal_api_reply *r)
{
	struct shoal_ctl_op *ops;
	size_t n;
	struct shoal_api_error e;
	if (shoal_api_batch_body(c->body, c->len, &ops, &n, &e) != 0) {
		shoal_api_reply_error(r, &e);
		return;
	}
	size_t failed = 0;
	struct shoal_ctl_error ce = {0};
	enum shoal_ctl_status st =
	    n ? shoal_ctl_route_batch(c->ctl, ops, n, &failed, &ce) : SHOAL_CTL_OK;
	free(ops);
	if (!shoal_api_ctl_ok(st)) {
		shoal_api_ctl_error(st, &ce, &e);
		/* Nothing was applied; an operation's own failure names it. */
		bool per_op = st == SHOAL_CTL_INVALID || st == SHOAL_CTL_NOT_FOUND ||
		              st == SHOAL_CTL_CONFLICT || st == SHOAL_CTL_FULL;
		if (per_op && failed < n)
			e.index = (long)failed;
		shoal_api_reply_error(r, &e);
		return;
	}
	shoal_api_reply_json(r, 200, json_pack("{s:I}", "applied", (json_int_t)n));
}

static void route_get(const struct shoal_api_call *c, struct shoal_api_reply *r)
{
	struct shoal_ctl_route_spec within = {.prefix = c->target->prefix,
	                                      .prefix_len = c->target->prefix_len};
	struct shoal_ctl_route *routes = NULL;
	size_t n = 0;
	struct shoal_ctl_error ce = {0};
	enum shoal_ctl_status st = shoal_ctl_routes_list(c->ctl, &within, &routes, &n, &ce);
	if (!shoal_api_ctl_ok(st)) {
		shoal_api_reply_ctl(r, st, &ce);
		free(routes);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (routes[i].prefix == within.prefix &&
		    routes[i].prefix_len == within.prefix_len) {
			shoal_api_reply_json(r, 200, shoal_api_route_json(&routes[i]));
			free(routes);
			return;
		}
	}
	free(routes);
	struct shoal_api_error e;
	char p[20];
	shoal_api_error_set(&e, 404, "route_not_found", "no route %s",
	                    shoal_api_prefix_str(within.prefix, within.prefix_len, p, sizeof(p)));
	shoal_api_reply_error(r, &e);
}

static void route_put(const struct shoal_api_call *c, struct shoal_api_reply *r)
{
	struct shoal_ctl_route_spec path = {.prefix = c->target->prefix,
	                                    .prefix_len = c->target->prefix_len};
	struct shoal_ctl_route_spec spec;
	struct shoal_api_error e;
	if (shoal_api_route_body(c->body, c->len, &path, &spec, &e) != 0) {
		shoal_api_reply_error(r, &e);
		return;
	}
	struct shoal_ctl_route out = {0};
	struct shoal_ctl_error ce = {0};
	enum shoal_ctl_status st = shoal_ctl_route_put(c->ctl, &spec, &out, &ce);
	if (!shoal_api_ctl_ok(st)) {
		shoal_api_reply_ctl(r, st, &ce);
		return;
	}
	if (st == SHOAL_CTL_CREATED)
		routes_location(r, out.prefix, out.prefix_len);
	shoal_api_reply_json(r, st == SHOAL_CTL_CREATED ? 201 : 200, shoal_api_route_json(&out));
}

static void route_delete(const struct shoal_api_call *c, struct shoal_api_reply *r)
{
	struct shoal_ctl_error ce = {0};
	enum shoal_ctl_status st =
	    shoal_ctl_route_delete(c->ctl, c->target->prefix, c->target->prefix_len, &ce);
	if (!shoal_api_ctl_ok(st)) {
		shoal_api_reply_ctl(r, st, &ce);
		return;
	}
	r->status = 204;
}

static const struct shoal_api_endpoint routes_endpoints[] = {
    {.path = "routes",
     .ops = {{SHOAL_API_GET, "prefix", routes_list}, {SHOAL_API_POST, NULL, routes_add}}},
    {.path = "routes:batch", .ops = {{SHOAL_API_POST, NULL, routes_batch}}},
    {.path = "routes/lookup", .ops = {{SHOAL_API_GET, "address", routes_lookup}}},
    {.path = "routes/{prefix}",
     .ops = {{SHOAL_API_GET, NULL, route_get},
             {SHOAL_API_PUT, NULL, route_put},
             {SHOAL_API_DELETE, NULL, route_delete}}},
};

SHOAL_API_RESOURCE(routes) = SHOAL_API_RESOURCE_INIT(routes_endpoints);
