/*
 * example.c — the minimal Shoal plugin: counts datagrams per hook and logs on load.
 *
 * Config (all optional): {"label": "text shown in the load message",
 *                         "drop_protocol": 0..255 (drop datagrams of that IP protocol
 *                                                  on ingress, counted as "blocked_protocol")}
 * State is one heap struct; the counters live in the host (api->counter_register).
 * HTTP (ABI 1.1): GET /api/v1/example/stats -> {"ingress":N,"local_delivery":N,"egress":N,
 * "ticks":N}; other subpaths 404, other methods 405 (JSON error bodies).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shoal/plugin.h"

enum { EXAMPLE_NO_DROP = -1, EXAMPLE_IPV4_PROTO_OFFSET = 9 };

struct example_state {
	uint64_t *ingress;
	uint64_t *local_delivery;
	uint64_t *egress;
	uint64_t *ticks;
	int drop_protocol; /* EXAMPLE_NO_DROP or 0..255 */
	uint16_t drop_reason;
};

static int example_init(struct shoal_host *host, const struct shoal_host_api *api,
                        const char *config_json, void **state)
{
	(void)config_json;
	int64_t proto = EXAMPLE_NO_DROP;
	int ret = api->config_int(host, "drop_protocol", &proto);
	if (ret == -EINVAL || (ret == 0 && (proto < 0 || proto > 255))) {
		api->error(host, "config: drop_protocol must be an integer 0..255");
		return -EINVAL;
	}
	struct example_state *st = calloc(1, sizeof(*st));
	if (!st) {
		api->error(host, "out of memory");
		return -ENOMEM;
	}
	st->drop_protocol = (int)proto;
	if ((ret = api->counter_register(host, "ingress", "datagrams seen on ingress",
	                                 &st->ingress)) < 0 ||
	    (ret = api->counter_register(host, "local_delivery", "datagrams seen on local delivery",
	                                 &st->local_delivery)) < 0 ||
	    (ret = api->counter_register(host, "egress", "datagrams seen on egress", &st->egress)) <
	        0 ||
	    (ret = api->counter_register(host, "ticks", "timer ticks", &st->ticks)) < 0) {
		api->error(host, "cannot register counters");
		free(st);
		return ret;
	}
	ret = api->drop_reason_register(host, "blocked_protocol",
	                                "IP protocol blocked by config drop_protocol");
	if (ret < 0) {
		api->error(host, "cannot register drop reason");
		free(st);
		return ret;
	}
	st->drop_reason = (uint16_t)ret;
	const char *label = api->config_string(host, "label");
	api->log(host, SHOAL_LOG_INFO, "example plugin loaded%s%s%s", label ? " (" : "",
	         label ? label : "", label ? ")" : "");
	*state = st;
	return 0;
}

static void example_fini(void *state)
{
	free(state);
}

static enum shoal_plugin_verdict example_ingress(void *state, struct shoal_packet_view *pkt)
{
	struct example_state *st = state;
	(*st->ingress)++;
	if (st->drop_protocol != EXAMPLE_NO_DROP && pkt->len > EXAMPLE_IPV4_PROTO_OFFSET &&
	    pkt->data[EXAMPLE_IPV4_PROTO_OFFSET] == st->drop_protocol) {
		pkt->drop_reason = st->drop_reason;
		return SHOAL_PLUGIN_DROP;
	}
	return SHOAL_PLUGIN_CONTINUE;
}

static enum shoal_plugin_verdict example_local_delivery(void *state, struct shoal_packet_view *pkt)
{
	(void)pkt;
	struct example_state *st = state;
	(*st->local_delivery)++;
	return SHOAL_PLUGIN_CONTINUE;
}

static enum shoal_plugin_verdict example_egress(void *state, struct shoal_packet_view *pkt)
{
	(void)pkt;
	struct example_state *st = state;
	(*st->egress)++;
	return SHOAL_PLUGIN_CONTINUE;
}

static void example_tick(void *state, uint64_t now_ms)
{
	(void)now_ms;
	struct example_state *st = state;
	(*st->ticks)++;
}

static int example_http(void *state, const char *method, const char *subpath, const char *body,
                        size_t body_len, struct shoal_http_reply *reply)
{
	(void)body;
	(void)body_len;
	struct example_state *st = state;
	if (strcmp(subpath, "stats") != 0) {
		reply->status = 404;
		snprintf(
		    reply->body, sizeof(reply->body),
		    "{\"error\":{\"code\":\"not_found\",\"message\":\"the example plugin serves "
		    "only stats\"}}");
		return 0;
	}
	if (strcmp(method, "GET") != 0) {
		reply->status = 405;
		snprintf(reply->body, sizeof(reply->body),
		         "{\"error\":{\"code\":\"method_not_allowed\",\"message\":\"stats is "
		         "read-only: use GET\"}}");
		return 0;
	}
	reply->status = 200;
	snprintf(reply->body, sizeof(reply->body),
	         "{\"ingress\":%" PRIu64 ",\"local_delivery\":%" PRIu64 ",\"egress\":%" PRIu64
	         ",\"ticks\":%" PRIu64 "}",
	         *st->ingress, *st->local_delivery, *st->egress, *st->ticks);
	return 0;
}

SHOAL_PLUGIN_EXPORT const struct shoal_plugin_descriptor shoal_plugin = {
    .abi_major = SHOAL_PLUGIN_ABI_MAJOR,
    .abi_minor = SHOAL_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(struct shoal_plugin_descriptor),
    .name = "example",
    .version = "1.0.0",
    .description = "counts datagrams per hook; optionally drops one IP protocol",
    .init = example_init,
    .fini = example_fini,
    .ingress = example_ingress,
    .local_delivery = example_local_delivery,
    .egress = example_egress,
    .tick = example_tick,
    .http = example_http,
};
