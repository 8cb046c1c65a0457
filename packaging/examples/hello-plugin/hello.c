/*
 * hello.c — a Shoal plugin built out of tree against the shoal-dev package (the example of
 * docs/plugins.md): counts datagrams on ingress and drops those with TTL 1.
 *   make && sudo make install     (into `pkg-config --variable=plugindir shoal-plugin`)
 * then add {"name": "hello"} to "plugins" in /etc/shoal/shoald.json and
 * `systemctl reload shoal`.
 */
#include <errno.h>
#include <stdlib.h>

#include <shoal/plugin.h>

struct hello {
	uint64_t *seen;
	uint16_t ttl_one;
};

static int hello_init(struct shoal_host *host, const struct shoal_host_api *api,
		      const char *config_json, void **state)
{
	(void)config_json;
	struct hello *h = calloc(1, sizeof(*h));
	if (!h) {
		api->error(host, "out of memory");
		return -ENOMEM;
	}
	int reason = api->drop_reason_register(host, "ttl_one", "TTL was 1");
	if (reason < 0 || api->counter_register(host, "seen", "datagrams seen", &h->seen) < 0) {
		api->error(host, "cannot register");
		free(h);
		return reason < 0 ? reason : -ENOSPC;
	}
	h->ttl_one = (uint16_t)reason;
	api->log(host, SHOAL_LOG_INFO, "hello");
	*state = h;
	return 0;
}

static void hello_fini(void *state)
{
	free(state);
}

static enum shoal_plugin_verdict hello_ingress(void *state, struct shoal_packet_view *pkt)
{
	struct hello *h = state;
	(*h->seen)++;
	if (pkt->len >= 20 && pkt->data[8] == 1) {
		pkt->drop_reason = h->ttl_one;
		return SHOAL_PLUGIN_DROP;
	}
	return SHOAL_PLUGIN_CONTINUE;
}

SHOAL_PLUGIN_EXPORT const struct shoal_plugin_descriptor shoal_plugin = {
	.abi_major = SHOAL_PLUGIN_ABI_MAJOR,
	.abi_minor = SHOAL_PLUGIN_ABI_MINOR,
	.struct_size = sizeof(struct shoal_plugin_descriptor),
	.name = "hello",
	.version = "0.1.0",
	.description = "counts datagrams, drops TTL 1",
	.init = hello_init,
	.fini = hello_fini,
	.ingress = hello_ingress,
};
