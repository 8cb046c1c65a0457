/*
 * Fuzz harness: a plugin's config, HTTP requests (path, query, body), hooks, timers and metrics,
 * through the plugin host (shoal/plugin_host.h). Built once per plugin
 * (tests/fuzz/CMakeLists.txt, SHOAL_FUZZ_PLUGINS): FUZZ_PLUGIN_PATH names the .so,
 * FUZZ_PLUGIN_NAME its descriptor name.
 *
 * Input: a control byte (low bits: the method; FUZZ_FIX_CSUM: make the datagram's IPv4 length
 * and checksums right, so hooks get past their checks), the plugin's config JSON up to a NUL,
 * an HTTP subpath up to a NUL ("?k=v&..." after it becomes the query), then the request body
 * (also the datagram for the hooks). Checks: a refused config leaves the host empty with a
 * message; an accepted one loads exactly one plugin; its HTTP answers are a valid status with a
 * JSON body, and undoing the durable records the request staged succeeds; hook verdicts and drop
 * reasons are in range; datagrams the plugin sends (api->send_datagram) are IPv4 with a right
 * header checksum and length; its metrics text is one terminated block of lines; timers it
 * sets fire (on a clock the harness moves); unloading removes every registration.
 *
 * The harness runs in a network namespace of its own (LLVMFuzzerInitialize), so nothing a
 * plugin connects to (the tcp plugin's proxy) leaves the process's own empty stack.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "fuzz.h"
#include "shoal/plugin_host.h"

enum { FUZZ_FIX_CSUM = 0x80, FUZZ_WATCH_MAX = 8, FUZZ_TIMER_ROUNDS = 3 };

static struct shoal_plugin_host *host;
static uint64_t fuzz_now; /* the plugins' clock (ms): moved by the harness, not by time */

/* fds the plugin asked the host to watch (timers, the tcp plugin's proxy sockets) */
static struct {
	int fd;
	void (*fn)(void *arg, int fd, uint32_t events);
	void *arg;
} watched[FUZZ_WATCH_MAX];

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

/* Counters that grow with the clock, so rates come out non-zero. */
static int two_counters(void *user, uint32_t ifindex, struct shoal_interface_counters *out)
{
	(void)user;
	if (ifindex == 0 || ifindex > 2)
		return -ENOENT;
	*out = (struct shoal_interface_counters){.rx_packets = fuzz_now * ifindex,
	                                         .rx_bytes = fuzz_now * 1500,
	                                         .tx_packets = fuzz_now,
	                                         .tx_bytes = fuzz_now * 64,
	                                         .drops = fuzz_now / 7};
	return 0;
}

static int one_stage(void *user, uint32_t index, struct shoal_runtime_stage *out)
{
	(void)user;
	if (index > 0)
		return -ENOENT;
	*out = (struct shoal_runtime_stage){.name = "lookup", .calls = 9, .packets = 3, .ns = 300};
	return 0;
}

static void runtime_enable(void *user, bool on)
{
	(void)user, (void)on;
}

static int two_daemon_counters(void *user, uint32_t index, struct shoal_counter *out)
{
	(void)user;
	if (index > 1)
		return -ENOENT;
	*out = (struct shoal_counter){.group = "cmdq", .name = "commands_run", .value = fuzz_now};
	if (index == 1)
		*out = (struct shoal_counter){
		    .group = "arp", .name = "requests_sent", .interface = "lan0", .value = 3};
	return 0;
}

/* A datagram a plugin built (api->send_datagram): whole IPv4 with a right header checksum. */
static int sent_datagram(void *user, const uint8_t *d, size_t len)
{
	(void)user;
	FUZZ_CHECK(len >= 20 && len <= 65535 && d[0] >> 4 == 4);
	size_t ihl = (size_t)(d[0] & 0x0f) * 4;
	FUZZ_CHECK(ihl >= 20 && ihl <= len);
	FUZZ_CHECK(((size_t)d[2] << 8 | d[3]) == len);
	FUZZ_CHECK(fuzz_sum_verifies(fuzz_sum_add(0, d, ihl)));
	return 0;
}

/* Datagrams a plugin gives back (impair's held ones): what a hook saw, so only bounded. */
static int output_datagram(void *user, uint32_t ifindex, uint32_t next_hop, const uint8_t *d,
                           size_t len)
{
	(void)user, (void)next_hop;
	FUZZ_CHECK(d != NULL && len >= 20 && len <= 65535 && ifindex >= 1 && ifindex <= 2);
	return 0;
}

static int input_datagram(void *user, uint32_t ifindex, uint64_t after_id, const uint8_t *d,
                          size_t len)
{
	(void)after_id;
	return output_datagram(user, ifindex, 0, d, len);
}

static int fd_watch(void *user, int fd, uint32_t events, void (*fn)(void *, int, uint32_t),
                    void *arg)
{
	(void)user, (void)events;
	for (int i = 0; i < FUZZ_WATCH_MAX; i++)
		FUZZ_CHECK(!watched[i].fn || watched[i].fd != fd);
	for (int i = 0; i < FUZZ_WATCH_MAX; i++)
		if (!watched[i].fn) {
			watched[i].fd = fd, watched[i].fn = fn, watched[i].arg = arg;
			return 0;
		}
	return -ENOSPC;
}

static int fd_modify(void *user, int fd, uint32_t events)
{
	(void)user, (void)events;
	for (int i = 0; i < FUZZ_WATCH_MAX; i++)
		if (watched[i].fn && watched[i].fd == fd)
			return 0;
	return -ENOENT;
}

static int fd_unwatch(void *user, int fd)
{
	(void)user;
	for (int i = 0; i < FUZZ_WATCH_MAX; i++)
		if (watched[i].fn && watched[i].fd == fd) {
			watched[i].fn = NULL;
			return 0;
		}
	return -ENOENT;
}

/* Fires the armed timers: the clock moves to their deadline (at least step ms) and the timerfd
 * is made due now, so the host's read succeeds and it calls the plugin back. */
static void fire_timers(uint64_t step)
{
	fuzz_now += step;
	for (int i = 0; i < FUZZ_WATCH_MAX; i++) {
		struct itimerspec cur;
		if (!watched[i].fn || timerfd_gettime(watched[i].fd, &cur) < 0)
			continue; /* free slot, or a socket */
		if (cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0)
			continue; /* disarmed */
		fuzz_now +=
		    (uint64_t)cur.it_value.tv_sec * 1000 + (uint64_t)cur.it_value.tv_nsec / 1000000;
		struct itimerspec due = {.it_value = {.tv_nsec = 1}};
		FUZZ_CHECK(timerfd_settime(watched[i].fd, 0, &due, NULL) == 0);
		struct pollfd pfd = {.fd = watched[i].fd, .events = POLLIN};
		FUZZ_CHECK(poll(&pfd, 1, 1000) == 1);
		watched[i].fn(watched[i].arg, watched[i].fd, EPOLLIN);
	}
}

static void quiet_log(void *user, enum shoal_log_level level, const char *plugin, const char *msg)
{
	(void)user, (void)level, (void)plugin, (void)msg;
}

static uint64_t harness_now(void *user)
{
	(void)user;
	return fuzz_now;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* An empty network namespace (as root, else in a user namespace of our own): sockets the
	 * plugin opens reach nothing outside this process. */
	FUZZ_CHECK(unshare(CLONE_NEWNET) == 0 || unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0);
	/* Keep the object loaded for the whole run: the host's dlopen/dlclose per input then only
	 * count references, and libFuzzer sees the plugin's coverage from the start. */
	FUZZ_CHECK(dlopen(FUZZ_PLUGIN_PATH, RTLD_NOW | RTLD_LOCAL) != NULL);
	const struct shoal_plugin_host_env env = {.log = quiet_log,
	                                          .send_datagram = sent_datagram,
	                                          .now_ms = harness_now,
	                                          .fd_watch = fd_watch,
	                                          .fd_modify = fd_modify,
	                                          .fd_unwatch = fd_unwatch,
	                                          .interface_info = two_interfaces,
	                                          .output_datagram = output_datagram,
	                                          .interface_counters = two_counters,
	                                          .runtime_stage = one_stage,
	                                          .runtime_enable = runtime_enable,
	                                          .input_datagram = input_datagram,
	                                          .counter = two_daemon_counters};
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

/* "path?k=v&k2" → path, and query parameters with unique keys (later repeats are dropped, as
 * the API server refuses them before a plugin sees them). Cuts subpath in place. */
static size_t split_query(char *subpath, struct shoal_http_param *q, size_t cap)
{
	char *qs = strchr(subpath, '?');
	if (!qs)
		return 0;
	*qs++ = '\0';
	size_t n = 0;
	for (char *save = NULL, *kv = strtok_r(qs, "&", &save); kv && n < cap;
	     kv = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(kv, '=');
		if (eq)
			*eq = '\0';
		bool dup = false;
		for (size_t i = 0; i < n; i++)
			dup |= strcmp(q[i].key, kv) == 0;
		if (!dup)
			q[n++] = (struct shoal_http_param){.key = kv, .value = eq ? eq + 1 : ""};
	}
	return n;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Total length, header checksum and the TCP/UDP/ICMP checksum made right (when the datagram
 * is long enough to have them), so a hook's checks let it through to the plugin's logic. */
static void fix_datagram(uint8_t *d, size_t len)
{
	size_t ihl = (size_t)(d[0] & 0x0f) * 4;
	if (len < 20 || d[0] >> 4 != 4 || ihl < 20 || ihl > len)
		return;
	put16(d + 2, (uint16_t)len);
	put16(d + 10, 0);
	put16(d + 10, (uint16_t)~fuzz_sum_fold(fuzz_sum_add(0, d, ihl)));
	uint8_t *l4 = d + ihl;
	size_t n = len - ihl;
	uint32_t src = (uint32_t)d[12] << 24 | d[13] << 16 | d[14] << 8 | d[15];
	uint32_t dst = (uint32_t)d[16] << 24 | d[17] << 16 | d[18] << 8 | d[19];
	size_t at;
	uint64_t sum = 0;
	if (d[9] == 6 && n >= 20) {
		at = 16;
		sum = fuzz_pseudo_ipv4(src, dst, 6, n);
	} else if (d[9] == 17 && n >= 8) {
		at = 6;
		put16(l4 + 4, (uint16_t)n);
		sum = fuzz_pseudo_ipv4(src, dst, 17, n);
	} else if (d[9] == 1 && n >= 4) {
		at = 2;
	} else {
		return;
	}
	put16(l4 + at, 0);
	uint16_t c = (uint16_t)~fuzz_sum_fold(fuzz_sum_add(sum, l4, n));
	put16(l4 + at, d[9] == 17 && c == 0 ? 0xffff : c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const methods[] = {"GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"};
	static char config[8192], subpath[1024], metrics[1 << 16];
	static struct shoal_http_reply *reply; /* 16 MiB of body for 1.2 plugins; kept */
	if (!reply && !(reply = shoal_plugin_host_http_reply_new()))
		abort();
	struct fuzz_in in = {data, size};
	uint8_t control = fuzz_u8(&in);
	const char *method = methods[(control & 0x7f) % 6];
	field(&in, config, sizeof(config));
	field(&in, subpath, sizeof(subpath));
	struct shoal_http_param query[SHOAL_HTTP_QUERY_MAX];
	size_t n_query = split_query(subpath, query, SHOAL_HTTP_QUERY_MAX);
	fuzz_now = 1000;

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

	/* HTTP: a valid status and a JSON body, or a clean refusal; what it staged undoes */
	struct shoal_http_request req = {.method = method,
	                                 .subpath = subpath,
	                                 .n_query = n_query,
	                                 .query = n_query ? query : NULL,
	                                 .body = in.left ? (const char *)in.p : NULL,
	                                 .body_len = in.left};
	rc = shoal_plugin_host_http(host, FUZZ_PLUGIN_NAME, &req, reply);
	FUZZ_CHECK(rc == 0 || rc == -ENOTSUP || rc == -EIO || (rc == -EINVAL && n_query > 0));
	if (rc == 0) {
		FUZZ_CHECK(reply->status >= 100 && reply->status <= 599);
		FUZZ_CHECK(memchr(reply->body, '\0', SHOAL_PLUGIN_HOST_HTTP_BODY_MAX) != NULL);
		json_t *j = json_loads(reply->body, 0, NULL);
		FUZZ_CHECK(j != NULL);
		json_decref(j);
	}
	struct shoal_plugin_staged *staged = shoal_plugin_host_staged_take(host);
	if (staged) {
		FUZZ_CHECK(shoal_plugin_host_staged_undo(host, staged) == 0);
		shoal_plugin_staged_free(staged);
	}

	/* hooks over the body as a datagram: verdicts and drop reasons in range. The data plane
	 * hands hooks valid IPv4 only; they get any bytes here, but at least a header's worth. */
	static uint8_t pkt[2048 + 64];
	size_t len = in.left < 2048 ? in.left : 2048;
	for (int h = 0; h < SHOAL_PLUGIN_HOOK_COUNT_ && len >= 20; h++) {
		memcpy(pkt + 64, in.p, len);
		if (control & FUZZ_FIX_CSUM)
			fix_datagram(pkt + 64, len);
		struct shoal_packet_view v = {.data = pkt + 64,
		                              .len = (uint32_t)len,
		                              .headroom = 64,
		                              .capacity = 2048,
		                              .ingress_ifindex = 1,
		                              .egress_ifindex =
		                                  h == SHOAL_PLUGIN_HOOK_EGRESS ? 2 : 0};
		const char *by = NULL;
		enum shoal_plugin_verdict verdict =
		    shoal_plugin_host_run(host, (enum shoal_plugin_hook)h, &v, &by);
		FUZZ_CHECK(verdict <= SHOAL_PLUGIN_DROP);
		FUZZ_CHECK((by != NULL) == (verdict != SHOAL_PLUGIN_CONTINUE));
		FUZZ_CHECK(!by || strcmp(by, FUZZ_PLUGIN_NAME) == 0);
		FUZZ_CHECK(v.len <= v.capacity && v.data >= pkt &&
		           v.data + v.len <= pkt + sizeof(pkt));
		FUZZ_CHECK(shoal_plugin_host_info(host, 0, &info) == 0);
		FUZZ_CHECK(verdict != SHOAL_PLUGIN_DROP || v.drop_reason < info.drop_reason_count);
	}
	for (int r = 0; r < FUZZ_TIMER_ROUNDS; r++) {
		fire_timers(10);
		shoal_plugin_host_tick(host, fuzz_now);
	}

	/* metrics: lines, each ended, nothing after the end */
	rc = shoal_plugin_host_metrics(host, 0, metrics, sizeof(metrics));
	FUZZ_CHECK(rc >= 0 || rc == -ENOSPC);
	if (rc > 0)
		FUZZ_CHECK(strlen(metrics) == (size_t)rc && metrics[rc - 1] == '\n');

	FUZZ_CHECK(shoal_plugin_host_unload(host, FUZZ_PLUGIN_NAME, err, sizeof(err)) == 0);
	FUZZ_CHECK(shoal_plugin_host_count(host) == 0);
	FUZZ_CHECK(shoal_plugin_host_registration_count(host) == 0);
	for (int i = 0; i < FUZZ_WATCH_MAX; i++)
		FUZZ_CHECK(!watched[i].fn); /* the host unwatched every fd of the plugin */
	return 0;
}
