/*
 * api_resource.h — an API resource is one module: its paths, methods, query keys and
 * handlers in one table.
 *
 * Role: each resource of /api/v1/ lives in one file of api/ (api/routes.c, api/arp.c,
 * api/interfaces.c, api/plugins.c, api/health.c, ...) that defines one table with
 *
 *   static const struct shoal_api_endpoint routes_endpoints[] = {
 *       {.path = "routes", .ops = {{SHOAL_API_GET, "prefix", routes_get},
 *                                  {SHOAL_API_POST, NULL, routes_post}}},
 *       {.path = "routes/{prefix}", .ops = {...}},
 *   };
 *   SHOAL_API_RESOURCE(routes) = SHOAL_API_RESOURCE_INIT(routes_endpoints);
 *
 * The build (api/CMakeLists.txt) finds every line starting with SHOAL_API_RESOURCE( in
 * the .c files of api/ and generates the registry (shoal_api_resources[]); request.c matches
 * request paths against it and server.c dispatches to the handler of the method. So adding a
 * resource is one new api/<name>.c plus its entry in api/openapi.yaml: no enum, matcher,
 * query list or switch to edit elsewhere.
 *
 * Paths (after "/api/v1/"): literal ("routes", "routes:batch", "routes/lookup"), or a literal
 * head followed by one typed parameter, parsed by request.c into struct shoal_api_target:
 *   {prefix}    "A.B.C.D/LEN" canonical -> t->prefix, t->prefix_len; a malformed one is a
 *               400 invalid_prefix / invalid_prefix_length
 *   {ipv4}      dotted quad -> t->ip; a malformed one is a 400 invalid_address
 *   {plugin}    [a-z0-9_]{1,31} -> t->name; anything else is no match (404)
 *   {plugin}/...  (whole path) a first segment no other endpoint claims -> t->name, and the
 *               rest -> t->subpath; every method and query key is accepted
 * Literal paths win over parameter paths, which win over {plugin}/....
 *
 * Ops: one per method; SHOAL_API_GET also serves HEAD (the server sends no body). query is
 * the space-separated list of accepted query keys for that method (NULL: none, "*": any);
 * any other key is a 400 unknown_parameter before the handler runs. A method without an op
 * is a 405 with an Allow header. public endpoints need no bearer token (health only).
 *
 * Handlers run on the HTTP thread of the request; they read router state only through
 * control.h, build their answer with the helpers below and never block other than inside
 * control.h (whose waits are bounded). Errors: every control.h error becomes an HTTP answer
 * through shoal_api_reply_ctl(), the one mapping of control statuses to HTTP statuses.
 *
 * Ownership: a reply's json (stolen) and raw_json (malloc'd text) belong to the server once
 * set; the call and its strings belong to the server for the duration of the handler.
 */
#ifndef SHOAL_API_RESOURCE_H
#define SHOAL_API_RESOURCE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shoal/api_request.h"
#include "shoal/control.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a handler gets. */
struct shoal_api_call {
	struct shoal_ctl *ctl;
	const struct shoal_api_target *target; /* path parameters and query */
	enum shoal_api_method method;          /* as sent (HEAD reaches GET's handler) */
	const char *body;                      /* NUL-terminated, len bytes; NULL when empty */
	size_t len;
	uint64_t uptime_s; /* since the server started */
};

/* What a handler answers. */
struct shoal_api_reply {
	unsigned status;
	json_t *json;       /* body (stolen), or NULL */
	char *raw_json;     /* body text (owned), or NULL: plugin replies and errors */
	char location[128]; /* Location header when not empty */
	char allow[64];     /* Allow header when not empty */
	bool www_authenticate;
};

typedef void (*shoal_api_handler)(const struct shoal_api_call *call, struct shoal_api_reply *r);

enum { SHOAL_API_OPS_MAX = 4 }; /* GET, POST, PUT, DELETE */

struct shoal_api_op {
	unsigned method;   /* one enum shoal_api_method bit: GET, POST, PUT or DELETE */
	const char *query; /* accepted query keys, space-separated; NULL none; "*" any */
	shoal_api_handler handler;
};

struct shoal_api_endpoint {
	const char *path;                           /* after "/api/v1/", see above */
	bool is_public;                             /* no bearer token needed */
	struct shoal_api_op ops[SHOAL_API_OPS_MAX]; /* up to the first without handler */
};

struct shoal_api_resource {
	const char *name;
	const struct shoal_api_endpoint *endpoints;
	size_t n_endpoints;
};

#define SHOAL_API_RESOURCE(name)                                                                   \
	extern const struct shoal_api_resource shoal_api_resource_##name;                          \
	const struct shoal_api_resource shoal_api_resource_##name
#define SHOAL_API_RESOURCE_INIT(table)                                                             \
	{                                                                                          \
		.name = #table, .endpoints = (table),                                              \
		.n_endpoints = sizeof(table) / sizeof((table)[0])                                  \
	}

/* The registry, generated by the build from the SHOAL_API_RESOURCE lines (sorted by name). */
extern const struct shoal_api_resource *const shoal_api_resources[];
extern const size_t shoal_api_resource_count;

/* The methods an endpoint accepts (enum shoal_api_method bits; GET brings HEAD). */
unsigned shoal_api_endpoint_methods(const struct shoal_api_endpoint *ep);
/* The op serving method (HEAD: GET's), or NULL. */
const struct shoal_api_op *shoal_api_endpoint_op(const struct shoal_api_endpoint *ep,
                                                 enum shoal_api_method method);

/* ---- replies (api/reply.c) ---- */

/* Sets status and json (stolen); NULL json (out of memory) becomes a 500 internal. */
void shoal_api_reply_json(struct shoal_api_reply *r, unsigned status, json_t *json);
/* The error body of e with its status. */
void shoal_api_reply_error(struct shoal_api_reply *r, const struct shoal_api_error *e);
/* A control.h status and error as an API error: the one mapping of control statuses to
 * HTTP statuses (and default codes). index: the batch operation, or -1. */
void shoal_api_ctl_error(enum shoal_ctl_status st, const struct shoal_ctl_error *ce,
                         struct shoal_api_error *e);
void shoal_api_reply_ctl(struct shoal_api_reply *r, enum shoal_ctl_status st,
                         const struct shoal_ctl_error *ce);
/* OK, CREATED or REPLACED. */
bool shoal_api_ctl_ok(enum shoal_ctl_status st);
/* {"key": array} (array stolen), NULL when array is NULL. */
json_t *shoal_api_list(const char *key, json_t *array);
/* "GET", "POST", ... for a method bit. */
const char *shoal_api_method_name(enum shoal_api_method m);

#ifdef __cplusplus
}
#endif

#endif
