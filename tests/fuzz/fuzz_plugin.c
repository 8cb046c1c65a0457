/*
 * Fuzz harness: a plugin's config and HTTP bodies, through the plugin host
 * (shoal/plugin_host.h). Built once per plugin (tests/fuzz/CMakeLists.txt, SHOAL_FUZZ_PLUGINS):
 * FUZZ_PLUGIN_PATH names the .so, FUZZ_PLUGIN_NAME its descriptor name.
 *
 * Input: a method byte, the plugin's config JSON up to a NUL, an HTTP subpath up to a NUL,
 * then the request body (also used as a datagram for the hooks). Checks: a refused config
 * leaves the host empty with a message; an accepted one loads exactly one plugin; its HTTP
 * answers are a valid status with a JSON body; hook verdicts and drop reasons are in range;
 * unloading removes every registration.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <jansson.h>

#include "fuzz.h"
#include "shoal/plugin_host.h"

static struct shoal_plugin_host *host;

/* lan0 10.0.1.1/24 and lan1 192.0.2.1/24 (TAP, MTU 1500), for plugins that look them up. */
static int two_interfaces(void *user, uint32_t ifindex, struct shoal_interface_info *out)
{
	(void)user;
	if (ifindex == 0 || ifindex > 2)
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	out->ifindex = ifindex;
	snprintf(out->name, sizeof(out->name), "lan%u", ifindex - 1);
	out->address = htonl(ifindex == 1 ? 0x0a000101u : 0xc0000201u);
	out->prefix_len = 24;
	out->mtu = 1500;
	return 0;
}

static void quiet_log(void *user, enum shoal_log_level level, const char *plugin, const char *msg)
{
	(void)user, (void)level, (void)plugin, (void)msg;
}

static uint64_t fixed_now(void *user)
{
	(void)user;
	return 1000;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* Keep the object loaded for the whole run: the host's dlopen/dlclose per input then only
	 * count references, and libFuzzer sees the plugin's coverage from the start. */
	FUZZ_CHECK(dlopen(FUZZ_PLUGIN_PATH, RTLD_NOW | RTLD_LOCAL) != NULL);
	const struct shoal_plugin_host_env env = {
	    .log = quiet_log, .now_ms = fixed_now, .interface_info = two_interfaces};
	host = shoal_plugin_host_create(NULL, &env);
	FUZZ_CHECK(host != NULL);
	return 0;
}

static size_t field(struct fuzz_in *in, char *out, size_t cap)
{
	const uint8_t *end = memchr(in->p, '\0', in->left);
	size_t n = end ? (size_t)(end - in->p) : in->left;
	size_t keep = n < cap - 1 ? n : cap - 1;
	memcpy(out, in->p, keep);
	out[keep] = '\0';
	in->p += n + (end != NULL);
	in->left -= n + (end != NULL);
	return keep;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const methods[] = {"GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"};
	static char config[8192], subpath[1024];
	static struct shoal_http_reply *reply; /* 16 MiB of body for 1.2 plugins; kept */
	if (!reply && !(reply = shoal_plugin_host_http_reply_new()))
		abort();
	struct fuzz_in in = {data, size};
	const char *method = methods[fuzz_u8(&in) % 6];
	field(&in, config, sizeof(config));
	field(&in, subpath, sizeof(subpath));

	char err[SHOAL_PLUGIN_HOST_ERR_SIZE];
	int rc = shoal_plugin_host_load(host, FUZZ_PLUGIN_PATH, config, err, sizeof(err));
	if (rc != 0) {
		FUZZ_CHECK(rc < 0 && err[0] != '\0' && memchr(err, '\0', sizeof(err)));
		FUZZ_CHECK(shoal_plugin_host_count(host) == 0);
		FUZZ_CHECK(shoal_plugin_host_registration_count(host) == 0);
		return 0;
	}
	FUZZ_CHECK(shoal_plugin_host_count(host) == 1);
	struct shoal_plugin_info info;
	FUZZ_CHECK(shoal_plugin_host_info(host, 0, &info) == 0);
	FUZZ_CHECK(strcmp(info.name, FUZZ_PLUGIN_NAME) == 0);

	/* HTTP: a valid status and a JSON body, or a clean refusal */
	struct shoal_http_request req = {.method = method,
	                                 .subpath = subpath,
	                                 .body = in.left ? (const char *)in.p : NULL,
	                                 .body_len = in.left};
	rc = shoal_plugin_host_http(host, FUZZ_PLUGIN_NAME, &req, reply);
	FUZZ_CHECK(rc == 0 || rc == -ENOTSUP || rc == -EIO);
	if (rc == 0) {
		FUZZ_CHECK(reply->status >= 100 && reply->status <= 599);
		FUZZ_CHECK(memchr(reply->body, '\0', SHOAL_PLUGIN_HOST_HTTP_BODY_MAX) != NULL);
		json_t *j = json_loads(reply->body, 0, NULL);
		FUZZ_CHECK(j != NULL);
		json_decref(j);
	}

	/* hooks over the body as a datagram: verdicts and drop reasons in range */
	static uint8_t pkt[2048 + 64];
	size_t len = in.left < 2048 ? in.left : 2048;
	for (int h = 0; h < SHOAL_PLUGIN_HOOK_COUNT_; h++) {
		memcpy(pkt + 64, in.p, len);
		struct shoal_packet_view v = {.data = pkt + 64,
		                              .len = (uint32_t)len,
		                              .headroom = 64,
		                              .capacity = 2048,
		                              .ingress_ifindex = 1};
		const char *by = NULL;
		enum shoal_plugin_verdict verdict =
		    shoal_plugin_host_run(host, (enum shoal_plugin_hook)h, &v, &by);
		FUZZ_CHECK(verdict <= SHOAL_PLUGIN_DROP);
		FUZZ_CHECK((by != NULL) == (verdict == SHOAL_PLUGIN_DROP));
		FUZZ_CHECK(v.len <= v.capacity && v.data >= pkt &&
		           v.data + v.len <= pkt + sizeof(pkt));
		FUZZ_CHECK(shoal_plugin_host_info(host, 0, &info) == 0);
		FUZZ_CHECK(verdict != SHOAL_PLUGIN_DROP || v.drop_reason < info.drop_reason_count);
	}
	shoal_plugin_host_tick(host, 2000);

	FUZZ_CHECK(shoal_plugin_host_unload(host, FUZZ_PLUGIN_NAME, err, sizeof(err)) == 0);
	FUZZ_CHECK(shoal_plugin_host_count(host) == 0);
	FUZZ_CHECK(shoal_plugin_host_registration_count(host) == 0);
	return 0;
}
