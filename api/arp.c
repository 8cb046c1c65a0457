/* The ARP resource: /api/v1/arp and /api/v1/arp/{ipv4}. See api_resource.h; wire shapes in
 * api/openapi.yaml. */
#include <stdio.h>
#include <stdlib.h>

#include "shoal/api_json.h"
#include "shoal/api_resource.h"
#include "shoal/ipv4.h"

static void arp_list(const struct shoal_api_call *c, struct shoal_api_reply *r)
{
	struct shoal_ctl_arp_entry *entries = NULL;
	size_t n = 0;
	struct shoal_ctl_error ce = {0};
	const char *interface = shoal_api_target_query(c->target, "interface");
	enum shoal_ctl_status st = shoal_ctl_arp_list(c->ctl, interface, &entries, &n, &ce);
	if (!shoal_api_ctl_ok(st)) {
		shoal_api_reply_ctl(r, st, &ce);
		free(entries);
		return;
	}
	json_t *array = json_array();
	for (size_t i = 0; array && i < n; i++)
		json_array_append_new(array, shoal_api_arp_json(&entries[i]));
	free(entries);
	shoal_api_reply_json(r, 200, shoal_api_list("entries", array));
}

static void arp_add(const struct shoal_api_call *c, struct shoal_api_reply *r)
{
	char interface[16];
	uint32_t ip;
	uint8_t mac[6];
	struct shoal_api_error e;
	if (shoal_api_arp_body(c->body, c->len, interface, &ip, mac, &e) != 0) {
		shoal_api_reply_error(r, &e);
		return;
	}
	struct shoal_ctl_arp_entry out = {0};
	struct shoal_ctl_error ce = {0};
	enum shoal_ctl_status st =
	    shoal_ctl_arp_add_static(c->ctl, interface[0] ? interface : NULL, ip, mac, &out, &ce);
	if (!shoal_api_ctl_ok(st)) {
		shoal_api_reply_ctl(r, st, &ce);
		return;
	}
	char a[SHOAL_IPV4_ADDR_STRLEN];
	snprintf(r->location, sizeof(r->location), "/api/v1/arp/%s", shoal_ipv4_addr_format(ip, a));
	shoal_api_reply_json(r, 201, shoal_api_arp_json(&out));
}

static void arp_flush(const struct shoal_api_call *c, struct shoal_api_reply *r)
{
	size_t flushed = 0;
	struct shoal_ctl_error ce = {0};
	const char *interface = shoal_api_target_query(c->target, "interface");
	enum shoal_ctl_status st = shoal_ctl_arp_flush(c->ctl, interface, &flushed, &ce);
	if (!shoal_api_ctl_ok(st)) {
		shoal_api_reply_ctl(r, st, &ce);
		return;
	}
	shoal_api_reply_json(r, 200, json_pack("{s:I}", "flushed", (json_int_t)flushed));
}

static void arp_entry_get(const struct shoal_api_call *c, struct shoal_api_reply *r)
{
	struct shoal_ctl_arp_entry *entries = NULL;
	size_t n = 0;
	struct shoal_ctl_error ce = {0};
	const char *interface = shoal_api_target_query(c->target, "interface");
	enum shoal_ctl_status st = shoal_ctl_arp_list(c->ctl, interface, &entries, &n, &ce);
	if (!shoal_api_ctl_ok(st)) {
		shoal_api_reply_ctl(r, st, &ce);
		free(entries);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (entries[i].ip == c->target->ip) {
			shoal_api_reply_json(r, 200, shoal_api_arp_json(&entries[i]));
			free(entries);
			return;
		}
	}
	free(entries);
	struct shoal_api_error e;
	char a[SHOAL_IPV4_ADDR_STRLEN];
	shoal_api_error_set(&e, 404, "arp_entry_not_found", "no ARP entry for %s",
	                    shoal_ipv4_addr_format(c->target->ip, a));
	shoal_api_reply_error(r, &e);
}

static void arp_entry_delete(const struct shoal_api_call *c, struct shoal_api_reply *r)
{
	struct shoal_ctl_error ce = {0};
	const char *interface = shoal_api_target_query(c->target, "interface");
	enum shoal_ctl_status st = shoal_ctl_arp_delete(c->ctl, interface, c->target->ip, &ce);
	if (!shoal_api_ctl_ok(st)) {
		shoal_api_reply_ctl(r, st, &ce);
		return;
	}
	r->status = 204;
}

static const struct shoal_api_endpoint arp_endpoints[] = {
    {.path = "arp",
     .ops = {{SHOAL_API_GET, "interface", arp_list},
             {SHOAL_API_POST, NULL, arp_add},
             {SHOAL_API_DELETE, "interface", arp_flush}}},
    {.path = "arp/{ipv4}",
     .ops = {{SHOAL_API_GET, "interface", arp_entry_get},
             {SHOAL_API_DELETE, "interface", arp_entry_delete}}},
};

SHOAL_API_RESOURCE(arp) = SHOAL_API_RESOURCE_INIT(arp_endpoints);
