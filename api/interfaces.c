/* The interfaces resource: /api/v1/interfaces. See api_resource.h. */
#include <stdlib.h>

#include "shoal/api_json.h"
#include "shoal/api_resource.h"

static void interfaces_list(const struct shoal_api_call *c, struct shoal_api_reply *r)
{
	struct shoal_ctl_interface *ifs = NULL;
	size_t n = 0;
	struct shoal_ctl_error ce = {0};
	enum shoal_ctl_status st = shoal_ctl_interfaces(c->ctl, &ifs, &n, &ce);
	if (!shoal_api_ctl_ok(st)) {
		shoal_api_reply_ctl(r, st, &ce);
		free(ifs);
		return;
	}
	json_t *array = json_array();
	for (size_t i = 0; array && i < n; i++)
		json_array_append_new(array, shoal_api_interface_json(&ifs[i]));
	free(ifs);
	shoal_api_reply_json(r, 200, shoal_api_list("interfaces", array));
}

static const struct shoal_api_endpoint interfaces_endpoints[] = {
    {.path = "interfaces", .ops = {{SHOAL_API_GET, NULL, interfaces_list}}},
};

SHOAL_API_RESOURCE(interfaces) = SHOAL_API_RESOURCE_INIT(interfaces_endpoints);
