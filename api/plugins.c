/* The plugins resource: /api/v1/plugins, /api/v1/plugins/{plugin}, and the plugins' own
 * endpoints /api/v1/{plugin}/... (ABI 1.1 http hook). See api_resource.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shoal/api_json.h"
#include "shoal/api_resource.h"

/* only NULL: the list; else the one named only (404 when not loaded). */
static void plugins_reply(const struct shoal_api_call *c, const char *only,
                          struct shoal_api_reply *r)
{
	struct shoal_ctl_plugin *plugins = NULL;
	size_t n = 0;
	struct shoal_ctl_error ce = {0};
	enum shoal_ctl_status st = shoal_ctl_plugins(c->ctl, &plugins, &n, &ce);
	if (!shoal_api_ctl_ok(st)) {
		shoal_api_reply_ctl(r, st, &ce);
		free(plugins);
		return;
	}
	json_t *array = only ? NULL : json_array();
	for (size_t i = 0; i < n; i++) {
		if (!only)
			json_array_append_new(array, shoal_api_plugin_json(&plugins[i]));
		else if (strcmp(plugins[i].name, only) == 0)
			array = shoal_api_plugin_json(&plugins[i]);
	}
	free(plugins);
	if (only && !array) {
		struct shoal_api_error e;
		shoal_api_error_set(&e, 404, "plugin_not_found", "no plugin \"%s\" is loaded",
		                    shoal_api_quote(only, 64).s);
		shoal_api_reply_error(r, &e);
		return;
	}
	shoal_api_reply_json(r, 200, only ? array : shoal_api_list("plugins", array));
}

static void plugins_list(const struct shoal_api_call *c, struct shoal_api_reply *r)
{
	plugins_reply(c, NULL, r);
}

static void plugins_load(const struct shoal_api_call *c, struct shoal_api_reply *r)
{
	char name[SHOAL_API_NAME_MAX];
	char *config = NULL;
	struct shoal_api_error e;
	if (shoal_api_plugin_body(c->body, c->len, name, &config, &e) != 0) {
		shoal_api_reply_error(r, &e);
		return;
	}
	struct shoal_ctl_plugin *out = calloc(1, sizeof(*out));
	struct shoal_ctl_error ce = {0};
	enum shoal_ctl_status st =
	    out ? shoal_ctl_plugin_load(c->ctl, name, config, out, &ce) : SHOAL_CTL_INTERNAL;
	free(config);
	if (!shoal_api_ctl_ok(st)) {
		shoal_api_reply_ctl(r, st, &ce);
		free(out);
		return;
	}
	snprintf(r->location, sizeof(r->location), "/api/v1/plugins/%s", name);
	shoal_api_reply_json(r, 201, shoal_api_plugin_json(out));
	free(out);
}

static void plugin_get(const struct shoal_api_call *c, struct shoal_api_reply *r)
{
	plugins_reply(c, c->target->name, r);
}

static void plugin_unload(const struct shoal_api_call *c, struct shoal_api_reply *r)
{
	struct shoal_ctl_error ce = {0};
	enum shoal_ctl_status st = shoal_ctl_plugin_unload(c->ctl, c->target->name, &ce);
	if (!shoal_api_ctl_ok(st)) {
		shoal_api_reply_ctl(r, st, &ce);
		return;
	}
	r->status = 204;
}

/* A plugin's own endpoint: its http hook answers (status and JSON text as it gave them). */
static void plugin_http(const struct shoal_api_call *c, struct shoal_api_reply *r)
{
	unsigned status = 0;
	char *reply = NULL;
	struct shoal_ctl_error ce = {0};
	struct shoal_http_param params[SHOAL_API_QUERY_MAX];
	for (size_t i = 0; i < c->target->n_query; i++)
		params[i] = (struct shoal_http_param){.key = c->target->query[i].key,
		                                      .value = c->target->query[i].value};
	struct shoal_http_request req = {.method = shoal_api_method_name(c->method),
	                                 .subpath = c->target->subpath ? c->target->subpath : "",
	                                 .n_query = c->target->n_query,
	                                 .query = params,
	                                 .body = c->body,
	                                 .body_len = c->len};
	enum shoal_ctl_status st =
	    shoal_ctl_plugin_http(c->ctl, c->target->name, &req, &status, &reply, &ce);
	if (!shoal_api_ctl_ok(st)) {
		free(reply);
		shoal_api_reply_ctl(r, st, &ce);
		return;
	}
	r->status = status >= 200 && status <= 599 ? status : 500;
	r->raw_json = reply;
}

static const struct shoal_api_endpoint plugins_endpoints[] = {
    {.path = "plugins",
     .ops = {{SHOAL_API_GET, NULL, plugins_list}, {SHOAL_API_POST, NULL, plugins_load}}},
    {.path = "plugins/{plugin}",
     .ops = {{SHOAL_API_GET, NULL, plugin_get}, {SHOAL_API_DELETE, NULL, plugin_unload}}},
    {.path = "{plugin}/...",
     .ops = {{SHOAL_API_GET, "*", plugin_http},
             {SHOAL_API_POST, "*", plugin_http},
             {SHOAL_API_PUT, "*", plugin_http},
             {SHOAL_API_DELETE, "*", plugin_http}}},
};

SHOAL_API_RESOURCE(plugins) = SHOAL_API_RESOURCE_INIT(plugins_endpoints);
