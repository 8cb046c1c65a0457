/* The host resource: GET /api/v1/host — what shoald set up on the host for its uplink, read
 * back from the kernel (addresses, routes with rto_min, firewall rules with counters,
 * forwarding) with the "drift" list (api/openapi.yaml, schema Host). The read runs on the
 * data-plane thread through control.h's shoal_ctl_host (the firewall read needs
 * CAP_NET_ADMIN, which the HTTP threads do not hold). See api_resource.h. */
#include "shoal/api_resource.h"

static void host_get(const struct shoal_api_call *c, struct shoal_api_reply *r)
{
	struct shoal_ctl_error ce = {0};
	json_t *body = NULL;
	enum shoal_ctl_status st = shoal_ctl_host(c->ctl, &body, &ce);
	if (st != SHOAL_CTL_OK) {
		shoal_api_reply_ctl(r, st, &ce);
		return;
	}
	shoal_api_reply_json(r, 200, body);
}

static const struct shoal_api_endpoint host_endpoints[] = {
    {.path = "host", .ops = {{SHOAL_API_GET, NULL, host_get}}},
};

SHOAL_API_RESOURCE(host) = SHOAL_API_RESOURCE_INIT(host_endpoints);
