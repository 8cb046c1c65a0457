/*
 * api_json.h — JSON request bodies to control.h structs, control.h structs to JSON.
 *
 * Role: the pure translation layer of the HTTP API. Parsers take the raw body bytes
 * (const char *body, size_t len), load them with jansson (JSON_REJECT_DUPLICATES, the whole
 * text must be one object) and check types strictly: a string field takes a JSON string, an
 * optional one also null (= absent); unknown fields, missing fields and wrong types are 400
 * errors naming the field. Address syntax is checked here (prefix canonical, dotted quads,
 * MACs); everything that needs router state (interfaces, connected networks) is left to
 * control.h. Renderers build jansson values in the wire shapes of api/openapi.yaml (routes:
 * also as text, shoal_api_route_write).
 *
 * Errors: 400 with codes invalid_json (not JSON, duplicate key, not an object, empty body),
 * unknown_field, missing_field, invalid_type, invalid_prefix, invalid_prefix_length,
 * invalid_address, invalid_mac, invalid_route (neither next_hop nor interface),
 * prefix_mismatch (PUT body prefix differs from the path), unknown_interface (an interface
 * name that cannot exist: empty or longer than 15 bytes), invalid_op; batch errors carry the
 * operation's index.
 *
 * Ownership: *ops and *config_json returned by parsers are malloc'd and belong to the
 * caller; renderers return new references (json_decref). No globals, any thread. The batch
 * parser builds its jansson tree in a per-thread arena (api_json_arena.h) and drops it whole.
 */
#ifndef SHOAL_API_JSON_H
#define SHOAL_API_JSON_H

#ifdef __cplusplus
extern "C" {
#endif

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "shoal/api_request.h"
#include "shoal/control.h"

/* A route body {"prefix","next_hop"?,"interface"?}. path_prefix NULL (POST: prefix
 * required) or the prefix of the PUT path (then body prefix optional, must be equal). */
int shoal_api_route_body(const char *body, size_t len,
                         const struct shoal_ctl_route_spec *path_prefix,
                         struct shoal_ctl_route_spec *spec, struct shoal_api_error *e);

/* {"operations":[{"op":"add"|"put"|"delete","prefix",...}, ...]}; delete takes only "op" and
 * "prefix". *ops is malloc'd (NULL when *n is 0). */
int shoal_api_batch_body(const char *body, size_t len, struct shoal_ctl_op **ops, size_t *n,
                         struct shoal_api_error *e);

/* {"ip","mac","interface"?}. interface[0] is '\0' when absent. */
int shoal_api_arp_body(const char *body, size_t len, char interface[16], uint32_t *ip,
                       uint8_t mac[6], struct shoal_api_error *e);

/* {"name","config"?} (config an object). *config_json: malloc'd compact JSON ("{}" when
 * absent). */
int shoal_api_plugin_body(const char *body, size_t len, char name[SHOAL_API_NAME_MAX],
                          char **config_json, struct shoal_api_error *e);

/* "10.2.0.0/16" into buf (>= 19 bytes). */
const char *shoal_api_prefix_str(uint32_t prefix, uint8_t len, char *buf, size_t size);

/* The one route formatter: r as compact JSON text into f, keys in the order of
 * api/openapi.yaml's Route. shoal_api_route_json and the route lists (api/routes.c, which
 * writes them straight into the reply text, no tree of 100,000 objects) both use it.
 * Returns 0, or -1 when f failed (out of memory) or the interface name is not UTF-8. */
int shoal_api_route_write(FILE *f, const struct shoal_ctl_route *r);
json_t *shoal_api_route_json(const struct shoal_ctl_route *r);
json_t *shoal_api_arp_json(const struct shoal_ctl_arp_entry *a);
json_t *shoal_api_interface_json(const struct shoal_ctl_interface *i);
json_t *shoal_api_plugin_json(const struct shoal_ctl_plugin *p);

#ifdef __cplusplus
}
#endif

#endif
