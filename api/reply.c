/* Replies shared by the resource modules, and the one control -> HTTP error mapping (see
 * api_resource.h). */
#include "shoal/api_resource.h"

#include <stdlib.h>
#include <string.h>

void shoal_api_reply_error(struct shoal_api_reply *r, const struct shoal_api_error *e)
{
	r->status = e->http_status;
	json_decref(r->json);
	r->json = NULL;
	free(r->raw_json);
	r->raw_json = shoal_api_error_json(e);
}

void shoal_api_reply_json(struct shoal_api_reply *r, unsigned status, json_t *json)
{
	r->status = status;
	r->json = json;
	if (!json) {
		struct shoal_api_error e;
		shoal_api_error_set(&e, 500, "internal", "out of memory");
		shoal_api_reply_error(r, &e);
	}
}

void shoal_api_ctl_error(enum shoal_ctl_status st, const struct shoal_ctl_error *ce,
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

void shoal_api_reply_ctl(struct shoal_api_reply *r, enum shoal_ctl_status st,
                         const struct shoal_ctl_error *ce)
{
	struct shoal_api_error e;
	shoal_api_ctl_error(st, ce, &e);
	shoal_api_reply_error(r, &e);
}

bool shoal_api_ctl_ok(enum shoal_ctl_status st)
{
	return st == SHOAL_CTL_OK || st == SHOAL_CTL_CREATED || st == SHOAL_CTL_REPLACED;
}

json_t *shoal_api_list(const char *key, json_t *array)
{
	return array ? json_pack("{s:o}", key, array) : NULL;
}

const char *shoal_api_method_name(enum shoal_api_method m)
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

unsigned shoal_api_endpoint_methods(const struct shoal_api_endpoint *ep)
{
	unsigned m = 0;
	for (size_t i = 0; i < SHOAL_API_OPS_MAX && ep->ops[i].handler; i++)
		m |= ep->ops[i].method;
	if (m & SHOAL_API_GET)
		m |= SHOAL_API_HEAD;
	return m;
}

const struct shoal_api_op *shoal_api_endpoint_op(const struct shoal_api_endpoint *ep,
                                                 enum shoal_api_method method)
{
	unsigned want = method == SHOAL_API_HEAD ? SHOAL_API_GET : method;
	for (size_t i = 0; i < SHOAL_API_OPS_MAX && ep->ops[i].handler; i++)
		if (ep->ops[i].method == want)
			return &ep->ops[i];
	return NULL;
}
