/* The health resource: /api/v1/health (no token). The data plane's answer to a no-op command
 * within SHOAL_CTL_HEALTH_WAIT_MS decides ok (200) or degraded (503). See api_resource.h. */
#include "shoal/api_resource.h"

static void health_get(const struct shoal_api_call *c, struct shoal_api_reply *r)
{
	struct shoal_ctl_health h = {0};
	struct shoal_ctl_error ce = {0};
	shoal_ctl_health(c->ctl, &h, &ce);
	json_t *dataplane =
	    json_pack("{s:b, s:I, s:I}", "responsive", h.responsive, "last_loop_ms",
	              (json_int_t)h.last_loop_ms, "timeout_ms", (json_int_t)h.timeout_ms);
	json_t *body =
	    dataplane ? json_pack("{s:s, s:s, s:I, s:o}", "status",
	                          h.responsive ? "ok" : "degraded", "version", SHOAL_API_VERSION,
	                          "uptime_s", (json_int_t)c->uptime_s, "dataplane", dataplane)
	              : NULL;
	shoal_api_reply_json(r, h.responsive ? 200 : 503, body);
}

static const struct shoal_api_endpoint health_endpoints[] = {
    {.path = "health", .is_public = true, .ops = {{SHOAL_API_GET, NULL, health_get}}},
};

SHOAL_API_RESOURCE(health) = SHOAL_API_RESOURCE_INIT(health_endpoints);
