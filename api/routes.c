/* The routes resource: /api/v1/routes, routes:batch, routes/lookup, routes/{prefix}. See
 * api_resource.h; wire shapes in api/openapi.yaml. */
#define _POSIX_C_SOURCE 200809L /* open_memstream */
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "shoal/api_json.h"
#include "shoal/api_resource.h"
#include "shoal/ipv4.h"

/* {"routes":[routes[lo..end)]} as text, plus "next_after" when paged (next_after: the prefix
 * of the last route when more follow, "" on the last page, NULL unpaged). The text is written
 * directly, one shoal_api_route_write per route: a jansson tree of 100,000 objects took most
 * of the time of a whole-table GET. Frees routes. */
static void routes_reply_list(struct shoal_api_reply *r, struct shoal_ctl_route *routes, size_t lo,
                              size_t end, const char *next_after)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int rc = f ? 0 : -1;
	if (f && fputs("{\"routes\":[", f) < 0)
		rc = -1;
	for (size_t i = lo; rc == 0 && i < end; i++)
		if ((i > lo && fputc(',', f) == EOF) || shoal_api_route_write(f, &routes[i]) < 0)
			rc = -1;
	if (rc == 0 && fputc(']', f) == EOF)
		rc = -1;
	if (rc == 0 && next_after && *next_after &&
	    fprintf(f, ",\"next_after\":\"%s\"", next_after) < 0)
		rc = -1;
	if (rc == 0 && next_after && !*next_after && fputs(",\"next_after\":null", f) < 0)
		rc = -1;
	if (rc == 0 && fputc('}', f) == EOF)
		rc = -1;
	if (f && fclose(f) != 0)
		rc = -1;
	free(routes);
	if (rc != 0) {
		free(text);
		struct shoal_api_error e;
		shoal_api_error_set(&e, 500, "internal", "out of memory");
		shoal_api_reply_error(r, &e);
		return;
	}
	r->status = 200;
	json_decref(r->json);
	r->json = NULL;
	free(r->raw_json);
	r->raw_json = text;
}

/* ?limit=N&after=P: a page of at most N routes (1..ROUTES_PAGE_MAX) that come after prefix P
 * in the list's (prefix, length) order, and "next_after" to ask for the following page (null
 * on the last one). Without limit the whole list, as before. */
enum { ROUTES_PAGE_MAX = 100000 };

static bool routes_page_limit(const char *s, size_t *out)
{
	char *end;
	if (!s || !*s || strspn(s, "0123456789") != strlen(s))
		return false;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end || v < 1 || v > ROUTES_PAGE_MAX)
		return false;
	*out = (size_t)v;
	return true;
}

static bool routes_after(const struct shoal_ctl_route *a, uint32_t prefix, uint8_t len)
{
	return a->prefix > prefix || (a->prefix == prefix && a->prefix_len > len);
}

static void routes_list(const struct shoal_api_call *c, struct shoal_api_reply *r)
{
	struct shoal_ctl_route_spec within = {0}, after = {0};
	struct shoal_api_error e;
	const char *prefix = shoal_api_target_query(c->target, "prefix");
	const char *limit_s = shoal_api_target_query(c->target, "limit");
	const char *after_s = shoal_api_target_query(c->target, "after");
	size_t limit = 0;
	if (prefix && shoal_api_parse_prefix(prefix, &within.prefix, &within.prefix_len, &e) != 0) {
		shoal_api_reply_error(r, &e);
		return;
	}
	if (limit_s && !routes_page_limit(limit_s, &limit)) {
		shoal_api_error_set(&e, 400, "invalid_limit", "limit must be 1..%d",
		                    ROUTES_PAGE_MAX);
		shoal_api_reply_error(r, &e);
		return;
	}
	if (after_s && !limit_s) {
		shoal_api_error_set(&e, 400, "missing_parameter", "after needs limit");
		shoal_api_reply_error(r, &e);
		return;
	}
	if (after_s && shoal_api_parse_prefix(after_s, &after.prefix, &after.prefix_len, &e) != 0) {
		shoal_api_reply_error(r, &e);
		return;
	}
	struct shoal_ctl_route *routes = NULL;
	size_t n = 0;
	struct shoal_ctl_error ce = {0};
	enum shoal_ctl_status st =
	    shoal_ctl_routes_list(c->ctl, prefix ? &within : NULL, &routes, &n, &ce);
	if (!shoal_api_ctl_ok(st)) {
		free(routes);
		shoal_api_reply_ctl(r, st, &ce);
		return;
	}
	if (!limit_s) {
		routes_reply_list(r, routes, 0, n, NULL);
		return;
	}
	size_t lo = 0, hi = n; /* first route after `after` (the list is sorted) */
	while (after_s && lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (routes_after(&routes[mid], after.prefix, after.prefix_len))
			hi = mid;
		else
			lo = mid + 1;
	}
	size_t end = n - lo > limit ? lo + limit : n;
	char p[SHOAL_IPV4_PREFIX_STRLEN] = "";
	if (end < n)
		shoal_api_prefix_str(routes[end - 1].prefix, routes[end - 1].prefix_len, p,
		                     sizeof(p));
	routes_reply_list(r, routes, lo, end, p);
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
		shoal_api_error_set(&e, 400, "invalid_address", "\"%s\" is not an IPv4 address",
		                    shoal_api_quote(address, 64).s);
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
     .ops = {{SHOAL_API_GET, "prefix limit after", routes_list},
             {SHOAL_API_POST, NULL, routes_add}}},
    {.path = "routes:batch", .ops = {{SHOAL_API_POST, NULL, routes_batch}}},
    {.path = "routes/lookup", .ops = {{SHOAL_API_GET, "address", routes_lookup}}},
    {.path = "routes/{prefix}",
     .ops = {{SHOAL_API_GET, NULL, route_get},
             {SHOAL_API_PUT, NULL, route_put},
             {SHOAL_API_DELETE, NULL, route_delete}}},
};

SHOAL_API_RESOURCE(routes) = SHOAL_API_RESOURCE_INIT(routes_endpoints);
