/* host.c — GET /api/v1/host. Contract: include/shoal/api_host.h. */
#include "shoal/api_host.h"

#include "shoal/control.h"

unsigned shoal_api_host_get(struct shoal_ctl *ctl, json_t **body, struct shoal_api_error *e)
{
	struct shoal_ctl_error ce = {0};
	*body = NULL;
	if (shoal_ctl_host(ctl, body, &ce) != SHOAL_CTL_OK) {
		shoal_api_error_set(e, 500, "internal", "%s", ce.message);
		return e->http_status;
	}
	return 200;
}
