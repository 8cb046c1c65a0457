/* control.c — the control API; contract in include/shoal/control.h. (stubs: wip only) */
#include "shoal/control.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct shoal_ctl {
	struct shoal_dp *dp;
	struct shoal_cmdq *q;
};

static enum shoal_ctl_status ctl_stub(struct shoal_ctl_error *e)
{
	if (e) {
		e->status = SHOAL_CTL_INTERNAL;
		snprintf(e->code, sizeof(e->code), "not_implemented");
		snprintf(e->message, sizeof(e->message), "not implemented yet");
	}
	return SHOAL_CTL_INTERNAL;
}

struct shoal_ctl *shoal_ctl_create(struct shoal_dp *dp, struct shoal_cmdq *q, const char *state_dir,
                                   char *err, size_t err_size)
{
	(void)state_dir;
	struct shoal_ctl *c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	c->dp = dp;
	c->q = q;
	return c;
}

int shoal_ctl_restore(struct shoal_ctl *c, char *err, size_t err_size)
{
	(void)c;
	(void)err;
	(void)err_size;
	return 0;
}

void shoal_ctl_destroy(struct shoal_ctl *c)
{
	free(c);
}

void shoal_ctl_reapply(struct shoal_ctl *c)
{
	(void)c;
}

enum shoal_ctl_status shoal_ctl_routes_list(struct shoal_ctl *c,
                                            const struct shoal_ctl_route_spec *within,
                                            struct shoal_ctl_route **out, size_t *n,
                                            struct shoal_ctl_error *e)
{
	(void)c, (void)within;
	*out = NULL;
	*n = 0;
	return ctl_stub(e);
}
enum shoal_ctl_status shoal_ctl_route_lookup(struct shoal_ctl *c, uint32_t addr,
                                             struct shoal_ctl_route *out, struct shoal_ctl_error *e)
{
	(void)c, (void)addr, (void)out;
	return ctl_stub(e);
}
enum shoal_ctl_status shoal_ctl_route_add(struct shoal_ctl *c, const struct shoal_ctl_route_spec *r,
                                          struct shoal_ctl_route *out, struct shoal_ctl_error *e)
{
	(void)c, (void)r, (void)out;
	return ctl_stub(e);
}
enum shoal_ctl_status shoal_ctl_route_put(struct shoal_ctl *c, const struct shoal_ctl_route_spec *r,
                                          struct shoal_ctl_route *out, struct shoal_ctl_error *e)
{
	(void)c, (void)r, (void)out;
	return ctl_stub(e);
}
enum shoal_ctl_status shoal_ctl_route_delete(struct shoal_ctl *c, uint32_t prefix, uint8_t len,
                                             struct shoal_ctl_error *e)
{
	(void)c, (void)prefix, (void)len;
	return ctl_stub(e);
}
enum shoal_ctl_status shoal_ctl_route_batch(struct shoal_ctl *c, const struct shoal_ctl_op *ops,
                                            size_t n, size_t *failed_index,
                                            struct shoal_ctl_error *e)
{
	(void)c, (void)ops, (void)n, (void)failed_index;
	return ctl_stub(e);
}
enum shoal_ctl_status shoal_ctl_arp_list(struct shoal_ctl *c, const char *interface,
                                         struct shoal_ctl_arp_entry **out, size_t *n,
                                         struct shoal_ctl_error *e)
{
	(void)c, (void)interface;
	*out = NULL;
	*n = 0;
	return ctl_stub(e);
}
enum shoal_ctl_status shoal_ctl_arp_add_static(struct shoal_ctl *c, const char *interface,
                                               uint32_t ip, const uint8_t mac[6],
                                               struct shoal_ctl_arp_entry *out,
                                               struct shoal_ctl_error *e)
{
	(void)c, (void)interface, (void)ip, (void)mac, (void)out;
	return ctl_stub(e);
}
enum shoal_ctl_status shoal_ctl_arp_delete(struct shoal_ctl *c, const char *interface, uint32_t ip,
                                           struct shoal_ctl_error *e)
{
	(void)c, (void)interface, (void)ip;
	return ctl_stub(e);
}
enum shoal_ctl_status shoal_ctl_arp_flush(struct shoal_ctl *c, const char *interface,
                                          size_t *flushed, struct shoal_ctl_error *e)
{
	(void)c, (void)interface, (void)flushed;
	return ctl_stub(e);
}
enum shoal_ctl_status shoal_ctl_interfaces(struct shoal_ctl *c, struct shoal_ctl_interface **out,
                                           size_t *n, struct shoal_ctl_error *e)
{
	(void)c;
	*out = NULL;
	*n = 0;
	return ctl_stub(e);
}
enum shoal_ctl_status shoal_ctl_plugins(struct shoal_ctl *c, struct shoal_ctl_plugin **out,
                                        size_t *n, struct shoal_ctl_error *e)
{
	(void)c;
	*out = NULL;
	*n = 0;
	return ctl_stub(e);
}
enum shoal_ctl_status shoal_ctl_plugin_load(struct shoal_ctl *c, const char *name,
                                            const char *config_json, struct shoal_ctl_plugin *out,
                                            struct shoal_ctl_error *e)
{
	(void)c, (void)name, (void)config_json, (void)out;
	return ctl_stub(e);
}
enum shoal_ctl_status shoal_ctl_plugin_unload(struct shoal_ctl *c, const char *name,
                                              struct shoal_ctl_error *e)
{
	(void)c, (void)name;
	return ctl_stub(e);
}
enum shoal_ctl_status shoal_ctl_plugin_http(struct shoal_ctl *c, const char *name,
                                            const char *method, const char *subpath,
                                            const char *body, size_t body_len,
                                            unsigned *http_status, char **reply_body,
                                            struct shoal_ctl_error *e)
{
	(void)c, (void)name, (void)method, (void)subpath, (void)body, (void)body_len;
	*http_status = 500;
	*reply_body = NULL;
	return ctl_stub(e);
}

const char *shoal_ctl_status_name(enum shoal_ctl_status s)
{
	static const char *const names[] = {"ok",        "created",  "replaced", "invalid",
	                                    "not_found", "conflict", "full",     "unavailable",
	                                    "storage",   "internal"};
	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}
