/* Tests for api/server.c over real HTTP on 127.0.0.1 against a fake control: this file
 * defines the shoal_ctl_* functions itself (a link-time seam: control.o is then never pulled
 * from libshoal_router.a). Covers auth, status codes, headers, body limits, media types,
 * static files, plugin endpoints, concurrency and start/stop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "shoal/api.h"
#include "shoal/api_json.h"
#include "shoal/control.h"
#include "shoal/log.h"

/* ---- the fake control ---- */

static pthread_mutex_t fake_lock = PTHREAD_MUTEX_INITIALIZER;
static enum shoal_ctl_status fake_status; /* what mutations return */
static char fake_code[40];                /* with this code, when not OK */
static struct shoal_ctl_route_spec fake_last_spec;
static size_t fake_last_n_ops;
static atomic_uint fake_calls;
static atomic_uint fake_mutations;

static enum shoal_ctl_status fake_result(enum shoal_ctl_status ok, struct shoal_ctl_error *e)
{
	pthread_mutex_lock(&fake_lock);
	enum shoal_ctl_status st = fake_status == SHOAL_CTL_OK ? ok : fake_status;
	memset(e, 0, sizeof(*e));
	e->status = st;
	if (st != ok) {
		snprintf(e->code, sizeof(e->code), "%s", fake_code);
		snprintf(e->message, sizeof(e->message), "fake says %s", fake_code);
	}
	pthread_mutex_unlock(&fake_lock);
	atomic_fetch_add(&fake_calls, 1);
	return st;
}

static void fake_route_out(const struct shoal_ctl_route_spec *r, struct shoal_ctl_route *out)
{
	memset(out, 0, sizeof(*out));
	out->prefix = r->prefix;
	out->prefix_len = r->prefix_len;
	out->has_next_hop = r->has_next_hop;
	out->next_hop = r->next_hop;
	snprintf(out->interface, sizeof(out->interface), "%s",
	         r->has_interface ? r->interface : "lan0");
	out->origin = SHOAL_CTL_ORIGIN_STATIC;
}

enum shoal_ctl_status shoal_ctl_routes_list(struct shoal_ctl *c,
                                            const struct shoal_ctl_route_spec *within,
                                            struct shoal_ctl_route **out, size_t *n,
                                            struct shoal_ctl_error *e)
{
	(void)c;
	*out = calloc(2, sizeof(**out));
	*n = 2;
	(*out)[0] = (struct shoal_ctl_route){.prefix = 0x0a000100,
	                                     .prefix_len = 24,
	                                     .interface = "lan0",
	                                     .origin = SHOAL_CTL_ORIGIN_CONNECTED};
	(*out)[1] = (struct shoal_ctl_route){.prefix = 0x0a020000,
	                                     .prefix_len = 16,
	                                     .has_next_hop = true,
	                                     .next_hop = 0x0a000102,
	                                     .interface = "lan0",
	                                     .origin = SHOAL_CTL_ORIGIN_STATIC};
	if (within && within->prefix_len == 16) {
		(*out)[0] = (*out)[1];
		*n = 1;
	}
	return fake_result(SHOAL_CTL_OK, e);
}

/* The niceness of the thread that served the last lookup (set by the fake below). */
static atomic_int fake_lookup_nice = -100;

enum shoal_ctl_status shoal_ctl_route_lookup(struct shoal_ctl *c, uint32_t addr,
                                             struct shoal_ctl_route *out, struct shoal_ctl_error *e)
{
	(void)c;
	errno = 0;
	fake_lookup_nice = getpriority(PRIO_PROCESS, (id_t)gettid());
	memset(e, 0, sizeof(*e));
	if ((addr >> 16) != 0x0a02) {
		snprintf(e->code, sizeof(e->code), "no_route");
		snprintf(e->message, sizeof(e->message), "no route");
		return SHOAL_CTL_NOT_FOUND;
	}
	*out = (struct shoal_ctl_route){.prefix = 0x0a020000,
	                                .prefix_len = 16,
	                                .has_next_hop = true,
	                                .next_hop = 0x0a000102,
	                                .interface = "lan0",
	                                .origin = SHOAL_CTL_ORIGIN_STATIC};
	return SHOAL_CTL_OK;
}

/* A group commit in flight, as control reports it to the server. */
static atomic_bool fake_commit_busy;

bool shoal_ctl_commit_busy(struct shoal_ctl *c)
{
	(void)c;
	return atomic_load(&fake_commit_busy);
}

/* Route adds record the name of the thread they run on and how many run at once; with
 * fake_gate set, each waits (at most 5 s) until that many have been inside together. */
static pthread_cond_t fake_cond = PTHREAD_COND_INITIALIZER;
static unsigned fake_gate, fake_inside, fake_inside_max;
static char fake_thread[16];

enum shoal_ctl_status shoal_ctl_route_add(struct shoal_ctl *c, const struct shoal_ctl_route_spec *r,
                                          struct shoal_ctl_route *out, struct shoal_ctl_error *e)
{
	(void)c;
	pthread_mutex_lock(&fake_lock);
	fake_last_spec = *r;
	pthread_getname_np(pthread_self(), fake_thread, sizeof(fake_thread));
	if (++fake_inside > fake_inside_max)
		fake_inside_max = fake_inside;
	pthread_cond_broadcast(&fake_cond);
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	while (fake_inside_max < fake_gate &&
	       pthread_cond_timedwait(&fake_cond, &fake_lock, &until) == 0)
		;
	fake_inside--;
	pthread_mutex_unlock(&fake_lock);
	atomic_fetch_add(&fake_mutations, 1);
	fake_route_out(r, out);
	return fake_result(SHOAL_CTL_CREATED, e);
}

enum shoal_ctl_status shoal_ctl_route_put(struct shoal_ctl *c, const struct shoal_ctl_route_spec *r,
                                          struct shoal_ctl_route *out, struct shoal_ctl_error *e)
{
	(void)c;
	pthread_mutex_lock(&fake_lock);
	fake_last_spec = *r;
	pthread_mutex_unlock(&fake_lock);
	atomic_fetch_add(&fake_mutations, 1);
	fake_route_out(r, out);
	/* 10.3/16 "exists": replaced; anything else created. */
	return fake_result(r->prefix == 0x0a030000 ? SHOAL_CTL_REPLACED : SHOAL_CTL_CREATED, e);
}

enum shoal_ctl_status shoal_ctl_route_delete(struct shoal_ctl *c, uint32_t prefix, uint8_t len,
                                             struct shoal_ctl_error *e)
{
	(void)c;
	atomic_fetch_add(&fake_mutations, 1);
	pthread_mutex_lock(&fake_lock);
	fake_last_spec = (struct shoal_ctl_route_spec){.prefix = prefix, .prefix_len = len};
	pthread_mutex_unlock(&fake_lock);
	return fake_result(SHOAL_CTL_OK, e);
}

enum shoal_ctl_status shoal_ctl_route_batch(struct shoal_ctl *c, const struct shoal_ctl_op *ops,
                                            size_t n, size_t *failed_index,
                                            struct shoal_ctl_error *e)
{
	(void)c;
	(void)ops;
	fake_last_n_ops = n;
	*failed_index = n - 1;
	return fake_result(SHOAL_CTL_OK, e);
}

enum shoal_ctl_status shoal_ctl_arp_list(struct shoal_ctl *c, const char *interface,
                                         struct shoal_ctl_arp_entry **out, size_t *n,
                                         struct shoal_ctl_error *e)
{
	(void)c;
	*out = calloc(1, sizeof(**out));
	*n = 1;
	**out = (struct shoal_ctl_arp_entry){.interface = "lan0",
	                                     .ip = 0x0a000102,
	                                     .mac = {2, 0, 0, 0, 0, 2},
	                                     .state = SHOAL_CTL_ARP_DYNAMIC,
	                                     .expires_in_ms = 1000};
	if (interface)
		snprintf((*out)->interface, sizeof((*out)->interface), "%s", interface);
	return fake_result(SHOAL_CTL_OK, e);
}

enum shoal_ctl_status shoal_ctl_arp_add_static(struct shoal_ctl *c, const char *interface,
                                               uint32_t ip, const uint8_t mac[6],
                                               struct shoal_ctl_arp_entry *out,
                                               struct shoal_ctl_error *e)
{
	(void)c;
	*out = (struct shoal_ctl_arp_entry){.ip = ip, .state = SHOAL_CTL_ARP_STATIC};
	memcpy(out->mac, mac, 6);
	snprintf(out->interface, sizeof(out->interface), "%s", interface ? interface : "lan0");
	return fake_result(SHOAL_CTL_CREATED, e);
}

enum shoal_ctl_status shoal_ctl_arp_delete(struct shoal_ctl *c, const char *interface, uint32_t ip,
                                           struct shoal_ctl_error *e)
{
	(void)c;
	(void)interface;
	(void)ip;
	return fake_result(SHOAL_CTL_OK, e);
}

enum shoal_ctl_status shoal_ctl_arp_flush(struct shoal_ctl *c, const char *interface,
                                          size_t *flushed, struct shoal_ctl_error *e)
{
	(void)c;
	*flushed = interface ? 1 : 4;
	return fake_result(SHOAL_CTL_OK, e);
}

enum shoal_ctl_status shoal_ctl_interfaces(struct shoal_ctl *c, struct shoal_ctl_interface **out,
                                           size_t *n, struct shoal_ctl_error *e)
{
	(void)c;
	*out = calloc(1, sizeof(**out));
	*n = 1;
	snprintf((*out)->name, sizeof((*out)->name), "lan0");
	snprintf((*out)->kind, sizeof((*out)->kind), "tap");
	(*out)->address = 0x0a000101;
	(*out)->prefix_len = 24;
	(*out)->mtu = 1500;
	return fake_result(SHOAL_CTL_OK, e);
}

enum shoal_ctl_status shoal_ctl_plugins(struct shoal_ctl *c, struct shoal_ctl_plugin **out,
                                        size_t *n, struct shoal_ctl_error *e)
{
	(void)c;
	*out = calloc(1, sizeof(**out));
	*n = 1;
	snprintf((*out)->name, sizeof((*out)->name), "example");
	(*out)->abi_major = 1;
	(*out)->abi_minor = 1;
	return fake_result(SHOAL_CTL_OK, e);
}

/* /metrics: public so that the fake serves without a token only when fake_metrics_public. */
static bool fake_metrics_public;

enum shoal_ctl_status shoal_ctl_metrics(struct shoal_ctl *c, struct shoal_ctl_metrics *out,
                                        struct shoal_ctl_error *e)
{
	(void)c;
	memset(out, 0, sizeof(*out));
	out->public_ = fake_metrics_public;
	out->plugin_text = strdup("# HELP shoal_example_x x\n# TYPE shoal_example_x gauge\n"
	                          "shoal_example_x 7\n");
	return fake_result(SHOAL_CTL_OK, e);
}

enum shoal_ctl_status shoal_ctl_metrics_plugins(struct shoal_ctl *c, struct shoal_ctl_metrics *m,
                                                struct shoal_ctl_error *e)
{
	(void)c;
	(void)m;
	return fake_result(SHOAL_CTL_OK, e);
}

void shoal_ctl_metrics_free(struct shoal_ctl_metrics *m)
{
	free(m->plugin_text);
	free(m->routes);
	memset(m, 0, sizeof(*m));
}

enum shoal_ctl_status shoal_ctl_plugin_load(struct shoal_ctl *c, const char *name,
                                            const char *config_json, struct shoal_ctl_plugin *out,
                                            struct shoal_ctl_error *e)
{
	(void)c;
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", name);
	snprintf(out->description, sizeof(out->description), "%s", config_json);
	return fake_result(SHOAL_CTL_CREATED, e);
}

enum shoal_ctl_status shoal_ctl_plugin_unload(struct shoal_ctl *c, const char *name,
                                              struct shoal_ctl_error *e)
{
	(void)c;
	(void)name;
	return fake_result(SHOAL_CTL_OK, e);
}

enum shoal_ctl_status shoal_ctl_plugin_http(struct shoal_ctl *c, const char *name,
                                            const struct shoal_http_request *req,
                                            unsigned *http_status, char **reply_body,
                                            struct shoal_ctl_error *e)
{
	const char *method = req->method, *subpath = req->subpath, *body = req->body;
	size_t body_len = req->body_len;
	(void)c;
	memset(e, 0, sizeof(*e));
	if (strcmp(name, "example") != 0) {
		snprintf(e->code, sizeof(e->code), "plugin_not_found");
		snprintf(e->message, sizeof(e->message), "no plugin %s", name);
		return SHOAL_CTL_NOT_FOUND;
	}
	json_t *j = json_pack("{s:s, s:s, s:s#}", "method", method, "subpath", subpath, "body",
	                      body ? body : "", body ? (int)body_len : 0);
	*reply_body = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	*http_status = 202;
	return SHOAL_CTL_OK;
}

static bool fake_host_oom;

enum shoal_ctl_status shoal_ctl_host(struct shoal_ctl *c, json_t **out, struct shoal_ctl_error *e)
{
	(void)c;
	if (fake_host_oom) {
		*out = NULL;
		memset(e, 0, sizeof(*e));
		e->status = SHOAL_CTL_INTERNAL;
		snprintf(e->code, sizeof(e->code), "out_of_memory");
		snprintf(e->message, sizeof(e->message), "out of memory");
		return SHOAL_CTL_INTERNAL;
	}
	*out = json_pack("{s:b, s:s, s:[s]}", "configured", 1, "interface", "up0", "drift",
	                 "firewall: the masquerade rule is missing");
	return SHOAL_CTL_OK;
}

static atomic_bool fake_dataplane_stuck;

enum shoal_ctl_status shoal_ctl_health(struct shoal_ctl *c, struct shoal_ctl_health *out,
                                       struct shoal_ctl_error *e)
{
	(void)c;
	bool stuck = atomic_load(&fake_dataplane_stuck);
	*out = (struct shoal_ctl_health){
	    .responsive = !stuck, .last_loop_ms = stuck ? 4321 : 3, .timeout_ms = 1000};
	memset(e, 0, sizeof(*e));
	if (!stuck)
		return SHOAL_CTL_OK;
	e->status = SHOAL_CTL_UNAVAILABLE;
	snprintf(e->code, sizeof(e->code), "dataplane_busy");
	return SHOAL_CTL_UNAVAILABLE;
}

const char *shoal_ctl_status_name(enum shoal_ctl_status s)
{
	(void)s;
	return "fake";
}

/* ---- a raw HTTP/1.1 client ---- */

static struct shoal_api *api;
static uint16_t port;
static char token[128];
static char dir[64];
static char response[1 << 16];

static int http_connect(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_port = htons(port),
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	/* A server that waits for more (e.g. a body it should have refused) fails the test. */
	struct timeval tv = {.tv_sec = 10};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w <= 0)
			return; /* the server may hang up early (413): the reply is what counts */
		p += w;
		n -= (size_t)w;
	}
}

static size_t read_all(int fd, char *buf, size_t size)
{
	size_t used = 0;
	for (;;) {
		ssize_t r = recv(fd, buf + used, size - 1 - used, 0);
		if (r <= 0)
			break;
		used += (size_t)r;
	}
	buf[used] = '\0';
	return used;
}

/* Sends one request (Connection: close) and reads the whole response into response[].
 * extra: more header lines, each ending in "\r\n". Returns the status. */
static int http(const char *method, const char *target, const char *extra, const char *body)
{
	int fd = http_connect();
	char head[4096];
	int n =
	    snprintf(head, sizeof(head), "%s %s HTTP/1.1\r\nHost: test\r\nConnection: close\r\n%s",
	             method, target, extra ? extra : "");
	if (body)
		n += snprintf(head + n, sizeof(head) - (size_t)n, "Content-Length: %zu\r\n",
		              strlen(body));
	n += snprintf(head + n, sizeof(head) - (size_t)n, "\r\n");
	write_all(fd, head, (size_t)n);
	if (body)
		write_all(fd, body, strlen(body));
	read_all(fd, response, sizeof(response));
	close(fd);
	int status = 0;
	sscanf(response, "HTTP/1.1 %d", &status);
	return status;
}

static char auth[200];
static char auth_json[260];

static int api_call(const char *method, const char *target, const char *body)
{
	return http(method, target, body ? auth_json : auth, body);
}

static const char *resp_body(void)
{
	const char *p = strstr(response, "\r\n\r\n");
	return p ? p + 4 : "";
}

/* The value of header name in response[] (case-insensitive name), or "". */
static const char *resp_header(const char *name)
{
	static char value[512];
	value[0] = '\0';
	const char *end = strstr(response, "\r\n\r\n");
	for (const char *line = strstr(response, "\r\n"); line && line < end;
	     line = strstr(line + 2, "\r\n")) {
		const char *l = line + 2;
		size_t n = strlen(name);
		if (strncasecmp(l, name, n) == 0 && l[n] == ':') {
			const char *v = l + n + 1;
			while (*v == ' ')
				v++;
			size_t len = strcspn(v, "\r");
			snprintf(value, sizeof(value), "%.*s", (int)len, v);
			break;
		}
	}
	return value;
}

/* The error code of a JSON error body ("" when it is not one). */
static const char *resp_error_code(void)
{
	static char code[64];
	code[0] = '\0';
	json_t *j = json_loads(resp_body(), 0, NULL);
	json_t *c = json_object_get(json_object_get(j, "error"), "code");
	if (json_is_string(c) && json_object_size(json_object_get(j, "error")) >= 2)
		snprintf(code, sizeof(code), "%s", json_string_value(c));
	json_decref(j);
	return code;
}

static void expect_error(int status, int want_status, const char *code)
{
	assert_int_equal(status, want_status);
	assert_string_equal(resp_error_code(), code);
	assert_string_equal(resp_header("Content-Type"), "application/json");
}

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static int fds_before;

static int server_setup(void **state)
{
	(void)state;
	shoal_log_set_level(SHOAL_LOG_ERROR);
	fds_before = count_fds();
	snprintf(dir, sizeof(dir), "/tmp/shoal-api-server-XXXXXX");
	assert_non_null(mkdtemp(dir));
	char web[128], path[192];
	snprintf(web, sizeof(web), "%s/web", dir);
	mkdir(web, 0700);
	snprintf(path, sizeof(path), "%s/index.html", web);
	FILE *f = fopen(path, "w");
	fputs("<h1>shoal</h1>\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/secret.txt", dir);
	f = fopen(path, "w");
	fputs("secret\n", f);
	fclose(f);
	/* api.javascript_dir: js/lib/lib.js, and a symlink out of it to secret.txt. */
	snprintf(path, sizeof(path), "%s/js", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/js/lib", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/js/lib/lib.js", dir);
	f = fopen(path, "w");
	fputs("var lib = 1;\n", f);
	fclose(f);
	char target[192];
	snprintf(target, sizeof(target), "%s/secret.txt", dir);
	snprintf(path, sizeof(path), "%s/js/lib/out.js", dir);
	assert_int_equal(symlink(target, path), 0);
	struct shoal_config *cfg = calloc(1, sizeof(*cfg));
	shoal_config_default(cfg);
	snprintf(cfg->api_javascript_dir, sizeof(cfg->api_javascript_dir), "%s/js", dir);
	cfg->api_address = INADDR_LOOPBACK;
	cfg->api_port = 0;
	/* 50 clients reconnecting at once: above the per-IP default (test_api_abuse.sh) */
	cfg->api_max_connections_per_ip = 4096;
	snprintf(cfg->api_token_file, sizeof(cfg->api_token_file), "%s/state/api.token", dir);
	char err[256] = "";
	int rc = shoal_api_start(&api, cfg, (struct shoal_ctl *)&fake_lock, web, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "start: %s\n", err);
	assert_int_equal(rc, 0);
	port = shoal_api_port(api);
	assert_int_not_equal(port, 0);
	f = fopen(cfg->api_token_file, "r");
	assert_non_null(f);
	assert_non_null(fgets(token, sizeof(token), f));
	fclose(f);
	token[strcspn(token, "\n")] = '\0';
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s\r\n", token);
	snprintf(auth_json, sizeof(auth_json), "%sContent-Type: application/json\r\n", auth);
	free(cfg);
	fake_status = SHOAL_CTL_OK;
	return 0;
}

static int server_teardown(void **state)
{
	(void)state;
	shoal_api_stop(api);
	api = NULL;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- tests ---- */

static void test_health_without_token(void **state)
{
	(void)state;
	assert_int_equal(http("GET", "/api/v1/health", NULL, NULL), 200);
	assert_string_equal(resp_header("Content-Type"), "application/json");
	json_t *j = json_loads(resp_body(), 0, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "ok");
	assert_string_equal(json_string_value(json_object_get(j, "version")), "0.1.0");
	assert_true(json_is_integer(json_object_get(j, "uptime_s")));
	json_t *dp = json_object_get(j, "dataplane");
	assert_true(json_is_true(json_object_get(dp, "responsive")));
	assert_int_equal(json_integer_value(json_object_get(dp, "last_loop_ms")), 3);
	json_decref(j);
}

static void test_health_degraded_is_503(void **state)
{
	(void)state;
	atomic_store(&fake_dataplane_stuck, true);
	int status = http("GET", "/api/v1/health", NULL, NULL);
	atomic_store(&fake_dataplane_stuck, false);
	assert_int_equal(status, 503);
	json_t *j = json_loads(resp_body(), 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "degraded");
	assert_string_equal(json_string_value(json_object_get(j, "version")), "0.1.0");
	json_t *dp = json_object_get(j, "dataplane");
	assert_true(json_is_false(json_object_get(dp, "responsive")));
	assert_int_equal(json_integer_value(json_object_get(dp, "last_loop_ms")), 4321);
	json_decref(j);
	assert_int_equal(http("GET", "/api/v1/health", NULL, NULL), 200);
}

static void test_auth_required(void **state)
{
	(void)state;
	expect_error(http("GET", "/api/v1/routes", NULL, NULL), 401, "unauthorized");
	assert_string_equal(resp_header("WWW-Authenticate"), "Bearer");
	expect_error(http("GET", "/api/v1/routes", "Authorization: Bearer wrong\r\n", NULL), 401,
	             "unauthorized");
	char almost[200];
	snprintf(almost, sizeof(almost), "Authorization: Bearer %.*s\r\n", (int)strlen(token) - 1,
	         token);
	expect_error(http("GET", "/api/v1/routes", almost, NULL), 401, "unauthorized");
	/* Unknown API paths do not tell unauthenticated clients what exists. */
	expect_error(http("GET", "/api/v1/nothing/here", NULL, NULL), 401, "unauthorized");
	/* A rejected mutation reaches nothing. */
	unsigned before = atomic_load(&fake_mutations);
	expect_error(http("POST", "/api/v1/routes", "Content-Type: application/json\r\n",
	                  "{\"prefix\":\"10.9.0.0/16\",\"interface\":\"lan0\"}"),
	             401, "unauthorized");
	assert_int_equal(atomic_load(&fake_mutations), before);
	assert_int_equal(api_call("GET", "/api/v1/routes", NULL), 200);
}

static void test_routes_list_and_filter(void **state)
{
	(void)state;
	assert_int_equal(api_call("GET", "/api/v1/routes", NULL), 200);
	assert_string_equal(resp_header("Content-Type"), "application/json");
	json_t *j = json_loads(resp_body(), 0, NULL);
	json_t *routes = json_object_get(j, "routes");
	assert_int_equal(json_array_size(routes), 2);
	json_t *r = json_array_get(routes, 0);
	assert_string_equal(json_string_value(json_object_get(r, "prefix")), "10.0.1.0/24");
	assert_true(json_is_null(json_object_get(r, "next_hop")));
	assert_string_equal(json_string_value(json_object_get(r, "origin")), "connected");
	json_decref(j);
	assert_int_equal(api_call("GET", "/api/v1/routes?prefix=10.2.0.0/16", NULL), 200);
	j = json_loads(resp_body(), 0, NULL);
	assert_int_equal(json_array_size(json_object_get(j, "routes")), 1);
	json_decref(j);
	expect_error(api_call("GET", "/api/v1/routes?prefix=10.2.0.1/16", NULL), 400,
	             "invalid_prefix");
	expect_error(api_call("GET", "/api/v1/routes?limits=3", NULL), 400, "unknown_parameter");
}

/* ?limit=&after=: pages in (prefix, length) order, next_after null on the last one. */
static void test_routes_paging(void **state)
{
	(void)state;
	assert_int_equal(api_call("GET", "/api/v1/routes", NULL), 200);
	assert_null(strstr(resp_body(), "next_after"));
	assert_int_equal(api_call("GET", "/api/v1/routes?limit=1", NULL), 200);
	json_t *j = json_loads(resp_body(), 0, NULL);
	json_t *routes = json_object_get(j, "routes");
	assert_int_equal(json_array_size(routes), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(routes, 0), "prefix")),
	                    "10.0.1.0/24");
	assert_string_equal(json_string_value(json_object_get(j, "next_after")), "10.0.1.0/24");
	json_decref(j);
	assert_int_equal(api_call("GET", "/api/v1/routes?limit=1&after=10.0.1.0/24", NULL), 200);
	j = json_loads(resp_body(), 0, NULL);
	routes = json_object_get(j, "routes");
	assert_int_equal(json_array_size(routes), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(routes, 0), "prefix")),
	                    "10.2.0.0/16");
	assert_true(json_is_null(json_object_get(j, "next_after")));
	json_decref(j);
	/* after a prefix that is not in the table: the routes that sort after it. */
	assert_int_equal(api_call("GET", "/api/v1/routes?limit=5&after=10.0.0.0/8", NULL), 200);
	j = json_loads(resp_body(), 0, NULL);
	assert_int_equal(json_array_size(json_object_get(j, "routes")), 2);
	assert_true(json_is_null(json_object_get(j, "next_after")));
	json_decref(j);
	assert_int_equal(api_call("GET", "/api/v1/routes?limit=5&after=10.2.0.0/16", NULL), 200);
	j = json_loads(resp_body(), 0, NULL);
	assert_int_equal(json_array_size(json_object_get(j, "routes")), 0);
	json_decref(j);
	static const char *const bad[] = {"limit=0",  "limit=100001", "limit=x",
	                                  "limit=-1", "limit=",       "limit=1x"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char target[96];
		snprintf(target, sizeof(target), "/api/v1/routes?%s", bad[i]);
		expect_error(api_call("GET", target, NULL), 400, "invalid_limit");
	}
	expect_error(api_call("GET", "/api/v1/routes?after=10.0.1.0/24", NULL), 400,
	             "missing_parameter");
	expect_error(api_call("GET", "/api/v1/routes?limit=1&after=10.0.1.1/24", NULL), 400,
	             "invalid_prefix");
}

static void test_route_lookup(void **state)
{
	(void)state;
	assert_int_equal(api_call("GET", "/api/v1/routes/lookup?address=10.2.3.4", NULL), 200);
	json_t *j = json_loads(resp_body(), 0, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "prefix")), "10.2.0.0/16");
	json_decref(j);
	expect_error(api_call("GET", "/api/v1/routes/lookup?address=10.9.3.4", NULL), 404,
	             "no_route");
	expect_error(api_call("GET", "/api/v1/routes/lookup", NULL), 400, "missing_parameter");
	expect_error(api_call("GET", "/api/v1/routes/lookup?address=x", NULL), 400,
	             "invalid_address");
}

/* The threads that serve HTTP run below the data plane's priority: SHOAL_API_NICE above the
 * niceness they were started with (the caller's, whatever it is: ctest also runs this file
 * under `nice -n 15`), clamped by the kernel at the lowest priority, nice 19 (PRIO_MAX - 1).
 * Below nice 19 the serving thread must be strictly nicer than the caller. */
static void test_http_threads_yield_to_forwarding(void **state)
{
	(void)state;
	int before = getpriority(PRIO_PROCESS, (id_t)gettid());
	int lowest = PRIO_MAX - 1;
	int expect = before + SHOAL_API_NICE > lowest ? lowest : before + SHOAL_API_NICE;
	assert_int_equal(api_call("GET", "/api/v1/routes/lookup?address=10.2.3.4", NULL), 200);
	assert_int_equal(fake_lookup_nice, expect);
	if (before < lowest)
		assert_true(fake_lookup_nice > before);
	assert_int_equal(getpriority(PRIO_PROCESS, (id_t)gettid()), before); /* only that thread */
}

static void test_route_add_created_with_location(void **state)
{
	(void)state;
	assert_int_equal(api_call("POST", "/api/v1/routes",
	                          "{\"prefix\":\"10.5.0.0/16\",\"next_hop\":\"10.0.1.2\"}"),
	                 201);
	assert_string_equal(resp_header("Location"), "/api/v1/routes/10.5.0.0/16");
	assert_int_equal(fake_last_spec.prefix, 0x0a050000);
	assert_true(fake_last_spec.has_next_hop);
	assert_false(fake_last_spec.has_interface);
	json_t *j = json_loads(resp_body(), 0, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "next_hop")), "10.0.1.2");
	assert_string_equal(json_string_value(json_object_get(j, "origin")), "static");
	json_decref(j);
}

static void test_control_errors_map_to_statuses(void **state)
{
	(void)state;
	static const struct {
		enum shoal_ctl_status st;
		const char *code;
		int http;
	} cases[] = {
	    {SHOAL_CTL_CONFLICT, "route_exists", 409},
	    {SHOAL_CTL_INVALID, "next_hop_unreachable", 400},
	    {SHOAL_CTL_INVALID, "unknown_interface", 400},
	    {SHOAL_CTL_FULL, "table_full", 507},
	    {SHOAL_CTL_UNAVAILABLE, "unavailable", 503},
	    {SHOAL_CTL_UNAVAILABLE, "dataplane_busy", 503},
	    {SHOAL_CTL_STORAGE, "storage_failed", 500},
	    {SHOAL_CTL_INTERNAL, "internal", 500},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fake_status = cases[i].st;
		snprintf(fake_code, sizeof(fake_code), "%s", cases[i].code);
		expect_error(api_call("POST", "/api/v1/routes",
		                      "{\"prefix\":\"10.5.0.0/16\",\"next_hop\":\"10.0.1.2\"}"),
		             cases[i].http, cases[i].code);
		assert_string_equal(resp_header("Location"), "");
	}
	fake_status = SHOAL_CTL_INVALID;
	snprintf(fake_code, sizeof(fake_code), "plugin_load_failed");
	expect_error(api_call("POST", "/api/v1/plugins", "{\"name\":\"nat44\"}"), 422,
	             "plugin_load_failed");
	fake_status = SHOAL_CTL_CONFLICT;
	snprintf(fake_code, sizeof(fake_code), "connected_route");
	expect_error(api_call("DELETE", "/api/v1/routes/10.0.1.0/24", NULL), 409,
	             "connected_route");
	fake_status = SHOAL_CTL_OK;
}

static void test_bad_bodies_never_reach_control(void **state)
{
	(void)state;
	unsigned before = atomic_load(&fake_mutations);
	expect_error(api_call("POST", "/api/v1/routes",
	                      "{\"prefix\":\"10.5.1.0/16\",\"interface\":\"lan0\"}"),
	             400, "invalid_prefix");
	assert_non_null(strstr(resp_body(), "did you mean 10.5.0.0/16?"));
	expect_error(api_call("POST", "/api/v1/routes", "{\"prefix\":\"10.5.0.0/16\"}"), 400,
	             "invalid_route");
	expect_error(api_call("POST", "/api/v1/routes", "{\"prefix\":\"10.5.0.0/16\",\"x\":1}"),
	             400, "unknown_field");
	expect_error(api_call("POST", "/api/v1/routes", "{\"prefix\":5,\"interface\":\"lan0\"}"),
	             400, "invalid_type");
	expect_error(api_call("POST", "/api/v1/routes", "{\"prefix\":"), 400, "invalid_json");
	expect_error(api_call("POST", "/api/v1/routes", NULL), 400, "invalid_json");
	expect_error(api_call("PUT", "/api/v1/routes/10.5.0.0/16",
	                      "{\"prefix\":\"10.6.0.0/16\",\"interface\":\"lan0\"}"),
	             400, "prefix_mismatch");
	expect_error(api_call("PUT", "/api/v1/routes/10.5.0.1/16", "{\"interface\":\"lan0\"}"), 400,
	             "invalid_prefix");
	expect_error(api_call("DELETE", "/api/v1/routes/10.5.0.0/33", NULL), 400,
	             "invalid_prefix_length");
	assert_int_equal(atomic_load(&fake_mutations), before);
}

static void test_route_put_created_and_replaced(void **state)
{
	(void)state;
	assert_int_equal(api_call("PUT", "/api/v1/routes/10.4.0.0/16", "{\"interface\":\"lan1\"}"),
	                 201);
	assert_string_equal(resp_header("Location"), "/api/v1/routes/10.4.0.0/16");
	assert_int_equal(fake_last_spec.prefix, 0x0a040000);
	assert_string_equal(fake_last_spec.interface, "lan1");
	assert_int_equal(api_call("PUT", "/api/v1/routes/10.3.0.0%2F16",
	                          "{\"prefix\":\"10.3.0.0/16\",\"next_hop\":\"10.0.1.3\"}"),
	                 200);
	json_t *j = json_loads(resp_body(), 0, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "next_hop")), "10.0.1.3");
	json_decref(j);
}

static void test_route_get_and_delete(void **state)
{
	(void)state;
	assert_int_equal(api_call("GET", "/api/v1/routes/10.2.0.0/16", NULL), 200);
	assert_non_null(strstr(resp_body(), "\"prefix\":\"10.2.0.0/16\""));
	expect_error(api_call("GET", "/api/v1/routes/10.7.0.0/24", NULL), 404, "route_not_found");
	assert_int_equal(api_call("DELETE", "/api/v1/routes/10.2.0.0/16", NULL), 204);
	assert_string_equal(resp_body(), "");
	assert_int_equal(fake_last_spec.prefix, 0x0a020000);
	assert_int_equal(fake_last_spec.prefix_len, 16);
	fake_status = SHOAL_CTL_NOT_FOUND;
	snprintf(fake_code, sizeof(fake_code), "route_not_found");
	expect_error(api_call("DELETE", "/api/v1/routes/10.2.0.0/16", NULL), 404,
	             "route_not_found");
	fake_status = SHOAL_CTL_OK;
}

static void test_batch(void **state)
{
	(void)state;
	const char *body =
	    "{\"operations\":[{\"op\":\"add\",\"prefix\":\"10.8.0.0/16\","
	    "\"interface\":\"lan0\"},{\"op\":\"delete\",\"prefix\":\"10.9.0.0/16\"}]}";
	assert_int_equal(api_call("POST", "/api/v1/routes:batch", body), 200);
	assert_non_null(strstr(resp_body(), "{\"applied\":2}"));
	assert_int_equal(fake_last_n_ops, 2);
	fake_status = SHOAL_CTL_CONFLICT;
	snprintf(fake_code, sizeof(fake_code), "route_exists");
	expect_error(api_call("POST", "/api/v1/routes:batch", body), 409, "route_exists");
	json_t *j = json_loads(resp_body(), 0, NULL);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "error"), "index")),
	                 1);
	json_decref(j);
	/* Not an operation's fault (the state file): no index. */
	fake_status = SHOAL_CTL_STORAGE;
	snprintf(fake_code, sizeof(fake_code), "storage_failed");
	expect_error(api_call("POST", "/api/v1/routes:batch", body), 500, "storage_failed");
	assert_null(strstr(resp_body(), "\"index\""));
	fake_status = SHOAL_CTL_OK;
	expect_error(api_call("POST", "/api/v1/routes:batch",
	                      "{\"operations\":[{\"op\":\"add\",\"prefix\":\"10.8.0.0/16\"}]}"),
	             400, "invalid_route");
	assert_non_null(strstr(resp_body(), "\"index\":0"));
}

static void test_arp_endpoints(void **state)
{
	(void)state;
	assert_int_equal(api_call("GET", "/api/v1/arp", NULL), 200);
	json_t *j = json_loads(resp_body(), 0, NULL);
	json_t *e0 = json_array_get(json_object_get(j, "entries"), 0);
	assert_string_equal(json_string_value(json_object_get(e0, "state")), "dynamic");
	assert_string_equal(json_string_value(json_object_get(e0, "mac")), "02:00:00:00:00:02");
	json_decref(j);
	assert_int_equal(api_call("GET", "/api/v1/arp?interface=lan1", NULL), 200);
	assert_non_null(strstr(resp_body(), "\"interface\":\"lan1\""));
	assert_int_equal(
	    api_call("POST", "/api/v1/arp", "{\"ip\":\"10.0.1.9\",\"mac\":\"02:00:00:00:00:09\"}"),
	    201);
	assert_string_equal(resp_header("Location"), "/api/v1/arp/10.0.1.9");
	assert_non_null(strstr(resp_body(), "\"state\":\"static\""));
	expect_error(api_call("POST", "/api/v1/arp", "{\"ip\":\"10.0.1.9\",\"mac\":\"nope\"}"), 400,
	             "invalid_mac");
	assert_int_equal(api_call("GET", "/api/v1/arp/10.0.1.2", NULL), 200);
	expect_error(api_call("GET", "/api/v1/arp/10.0.1.3", NULL), 404, "arp_entry_not_found");
	assert_int_equal(api_call("DELETE", "/api/v1/arp/10.0.1.2", NULL), 204);
	expect_error(api_call("DELETE", "/api/v1/arp/10.0.1.256", NULL), 400, "invalid_address");
	assert_int_equal(api_call("DELETE", "/api/v1/arp", NULL), 200);
	assert_non_null(strstr(resp_body(), "{\"flushed\":4}"));
	assert_int_equal(api_call("DELETE", "/api/v1/arp?interface=lan0", NULL), 200);
	assert_non_null(strstr(resp_body(), "{\"flushed\":1}"));
}

static void test_host(void **state)
{
	(void)state;
	assert_int_equal(api_call("GET", "/api/v1/host", NULL), 200);
	json_t *j = json_loads(resp_body(), 0, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "interface")), "up0");
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "drift"), 0)),
	                    "firewall: the masquerade rule is missing");
	json_decref(j);
	expect_error(api_call("POST", "/api/v1/host", "{}"), 405, "method_not_allowed");
	fake_host_oom = true;
	expect_error(api_call("GET", "/api/v1/host", NULL), 500, "out_of_memory");
	fake_host_oom = false;
}

static void test_interfaces_and_plugins(void **state)
{
	(void)state;
	assert_int_equal(api_call("GET", "/api/v1/interfaces", NULL), 200);
	json_t *j = json_loads(resp_body(), 0, NULL);
	json_t *i0 = json_array_get(json_object_get(j, "interfaces"), 0);
	assert_string_equal(json_string_value(json_object_get(i0, "address")), "10.0.1.1/24");
	assert_true(json_is_object(json_object_get(i0, "drops")));
	json_decref(j);
	assert_int_equal(api_call("GET", "/api/v1/plugins", NULL), 200);
	assert_non_null(strstr(resp_body(), "\"abi\":\"1.1\""));
	assert_int_equal(api_call("GET", "/api/v1/plugins/example", NULL), 200);
	expect_error(api_call("GET", "/api/v1/plugins/other", NULL), 404, "plugin_not_found");
	assert_int_equal(
	    api_call("POST", "/api/v1/plugins", "{\"name\":\"nat44\",\"config\":{\"a\":1}}"), 201);
	assert_string_equal(resp_header("Location"), "/api/v1/plugins/nat44");
	assert_non_null(strstr(resp_body(), "\"description\":\"{\\\"a\\\":1}\""));
	assert_int_equal(api_call("DELETE", "/api/v1/plugins/nat44", NULL), 204);
}

static void test_plugin_http_passthrough(void **state)
{
	(void)state;
	assert_int_equal(api_call("POST", "/api/v1/example/stats/now", "{\"x\":1}"), 202);
	assert_string_equal(resp_header("Content-Type"), "application/json");
	json_t *j = json_loads(resp_body(), 0, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "method")), "POST");
	assert_string_equal(json_string_value(json_object_get(j, "subpath")), "stats/now");
	assert_string_equal(json_string_value(json_object_get(j, "body")), "{\"x\":1}");
	json_decref(j);
	expect_error(api_call("GET", "/api/v1/nosuch/x", NULL), 404, "plugin_not_found");
	expect_error(http("GET", "/api/v1/example", NULL, NULL), 401, "unauthorized");
}

static void test_not_found_and_method_not_allowed(void **state)
{
	(void)state;
	expect_error(api_call("GET", "/api/v1/routes/1.2.3.0/24/x", NULL), 404, "not_found");
	expect_error(api_call("GET", "/api/v2/routes", NULL), 404, "not_found");
	expect_error(api_call("DELETE", "/api/v1/routes", NULL), 405, "method_not_allowed");
	assert_string_equal(resp_header("Allow"), "GET, HEAD, POST");
	expect_error(api_call("GET", "/api/v1/routes:batch", NULL), 405, "method_not_allowed");
	assert_string_equal(resp_header("Allow"), "POST");
	expect_error(api_call("PATCH", "/api/v1/routes/10.2.0.0/16", NULL), 405,
	             "method_not_allowed");
	assert_non_null(strstr(resp_body(), "PATCH is not allowed on /api/v1/routes/10.2.0.0/16"));
	assert_string_equal(resp_header("Allow"), "GET, HEAD, PUT, DELETE");
	expect_error(api_call("POST", "/api/v1/health", NULL), 405, "method_not_allowed");
	expect_error(http("POST", "/index.html", NULL, NULL), 405, "method_not_allowed");
	assert_string_equal(resp_header("Allow"), "GET, HEAD");
}

static void test_unsupported_media_type(void **state)
{
	(void)state;
	unsigned before = atomic_load(&fake_mutations);
	const char *body = "{\"prefix\":\"10.5.0.0/16\",\"interface\":\"lan0\"}";
	char headers[400];
	snprintf(headers, sizeof(headers), "%sContent-Type: application/x-www-form-urlencoded\r\n",
	         auth);
	expect_error(http("POST", "/api/v1/routes", headers, body), 415, "unsupported_media_type");
	expect_error(http("PUT", "/api/v1/routes/10.5.0.0/16", auth, body), 415,
	             "unsupported_media_type");
	snprintf(headers, sizeof(headers), "%sContent-Type: application/jsonx\r\n", auth);
	expect_error(http("POST", "/api/v1/routes", headers, body), 415, "unsupported_media_type");
	assert_int_equal(atomic_load(&fake_mutations), before);
	snprintf(headers, sizeof(headers), "%sContent-Type: Application/JSON; charset=utf-8\r\n",
	         auth);
	assert_int_equal(http("POST", "/api/v1/routes", headers, body), 201);
}

static void test_body_over_limit_refused_from_content_length(void **state)
{
	(void)state;
	/* Only the headers are sent: the 413 must come without the body. */
	int fd = http_connect();
	char head[600];
	int n = snprintf(head, sizeof(head),
	                 "POST /api/v1/routes HTTP/1.1\r\nHost: t\r\n%sContent-Length: %d\r\n\r\n",
	                 auth_json, SHOAL_API_MAX_BODY + 1);
	write_all(fd, head, (size_t)n);
	read_all(fd, response, sizeof(response));
	close(fd);
	int status = 0;
	sscanf(response, "HTTP/1.1 %d", &status);
	expect_error(status, 413, "body_too_large");
}

static void test_chunked_body_over_limit(void **state)
{
	(void)state;
	unsigned before = atomic_load(&fake_mutations);
	int fd = http_connect();
	char head[600];
	int n = snprintf(head, sizeof(head),
	                 "POST /api/v1/routes HTTP/1.1\r\nHost: t\r\nConnection: close\r\n%s"
	                 "Transfer-Encoding: chunked\r\n\r\n",
	                 auth_json);
	write_all(fd, head, (size_t)n);
	enum { CHUNK = 64 * 1024 };
	char *chunk = malloc(CHUNK);
	memset(chunk, ' ', CHUNK);
	char size_line[32];
	snprintf(size_line, sizeof(size_line), "%x\r\n", CHUNK);
	for (int i = 0; i < SHOAL_API_MAX_BODY / CHUNK + 2; i++) {
		write_all(fd, size_line, strlen(size_line));
		write_all(fd, chunk, CHUNK);
		write_all(fd, "\r\n", 2);
	}
	write_all(fd, "0\r\n\r\n", 5);
	free(chunk);
	read_all(fd, response, sizeof(response));
	close(fd);
	int status = 0;
	sscanf(response, "HTTP/1.1 %d", &status);
	expect_error(status, 413, "body_too_large");
	assert_int_equal(atomic_load(&fake_mutations), before);
}

static void test_body_just_under_limit_is_parsed(void **state)
{
	(void)state;
	/* Padding whitespace up to the limit: still accepted. */
	const char *json = "{\"prefix\":\"10.5.0.0/16\",\"interface\":\"lan0\"}";
	size_t size = SHOAL_API_MAX_BODY;
	char *body = malloc(size + 1);
	memset(body, ' ', size);
	memcpy(body, json, strlen(json));
	body[size] = '\0';
	assert_int_equal(api_call("POST", "/api/v1/routes", body), 201);
	free(body);
}

static void test_static_files(void **state)
{
	(void)state;
	assert_int_equal(http("GET", "/", NULL, NULL), 200);
	assert_string_equal(resp_header("Content-Type"), "text/html; charset=utf-8");
	assert_string_equal(resp_body(), "<h1>shoal</h1>\n");
	assert_int_equal(http("GET", "/index.html?x=1", NULL, NULL), 200);
	assert_int_equal(http("HEAD", "/index.html", NULL, NULL), 200);
	assert_string_equal(resp_body(), "");
	expect_error(http("GET", "/missing.js", NULL, NULL), 404, "not_found");
	static const char *const attacks[] = {"/../secret.txt", "/%2e%2e/secret.txt",
	                                      "/%2E%2E%2Fsecret.txt", "/..%2fsecret.txt",
	                                      "/index.html%00.txt"};
	for (size_t i = 0; i < sizeof(attacks) / sizeof(attacks[0]); i++) {
		int status = http("GET", attacks[i], NULL, NULL);
		assert_int_equal(status, 400);
		assert_null(strstr(response, "secret"));
	}
}

/* /javascript/ serves api.javascript_dir through the same resolver: the same refusals. */
static void test_javascript_dir(void **state)
{
	(void)state;
	assert_int_equal(http("GET", "/javascript/lib/lib.js", NULL, NULL), 200);
	assert_string_equal(resp_header("Content-Type"), "text/javascript; charset=utf-8");
	assert_string_equal(resp_body(), "var lib = 1;\n");
	expect_error(http("GET", "/javascript/lib/missing.js", NULL, NULL), 404, "not_found");
	expect_error(http("GET", "/javascript/", NULL, NULL), 404, "not_found");
	expect_error(http("GET", "/javascript/lib/out.js", NULL, NULL), 404, "not_found");
	expect_error(http("GET", "/javascriptlib/lib.js", NULL, NULL), 404, "not_found");
	assert_int_equal(http("GET", "/lib/lib.js", NULL, NULL), 404); /* not under web_dir */
	static const char *const attacks[] = {
	    "/javascript/../secret.txt",        "/javascript/%2e%2e/secret.txt",
	    "/javascript/lib/../../secret.txt", "/javascript/%2E%2E%2Fsecret.txt",
	    "/javascript/..%2fsecret.txt",      "/javascript/lib/lib.js%00.txt"};
	for (size_t i = 0; i < sizeof(attacks) / sizeof(attacks[0]); i++) {
		int status = http("GET", attacks[i], NULL, NULL);
		assert_int_equal(status, 400);
		assert_null(strstr(response, "secret\n"));
	}
}

struct client {
	int ok;
};

static void *client_run(void *arg)
{
	struct client *c = arg;
	for (int i = 0; i < 10; i++) {
		int fd = http_connect();
		char req[600];
		const char *body = "{\"prefix\":\"10.5.0.0/16\",\"interface\":\"lan0\"}";
		int n =
		    snprintf(req, sizeof(req),
		             "POST /api/v1/routes HTTP/1.1\r\nHost: t\r\nConnection: close\r\n%s"
		             "Content-Length: %zu\r\n\r\n%s",
		             auth_json, strlen(body), body);
		write_all(fd, req, (size_t)n);
		char buf[4096];
		read_all(fd, buf, sizeof(buf));
		close(fd);
		if (strncmp(buf, "HTTP/1.1 201", 12) == 0)
			c->ok++;
	}
	return NULL;
}

static void test_fifty_concurrent_clients(void **state)
{
	(void)state;
	enum { N = 50 };
	pthread_t th[N];
	struct client cl[N] = {0};
	unsigned before = atomic_load(&fake_mutations);
	for (int i = 0; i < N; i++)
		assert_int_equal(pthread_create(&th[i], NULL, client_run, &cl[i]), 0);
	int ok = 0;
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		ok += cl[i].ok;
	}
	assert_int_equal(ok, N * 10);
	assert_int_equal(atomic_load(&fake_mutations) - before, N * 10);
}

struct poster {
	int status;
};

static void *poster_run(void *arg)
{
	struct poster *p = arg;
	p->status = api_call("POST", "/api/v1/routes",
	                     "{\"prefix\":\"10.9.0.0/16\",\"next_hop\":\"10.0.1.2\"}");
	return NULL;
}

/* With a commit being written, a mutation runs on a worker thread with its connection
 * suspended: 8 writers are inside control at once although the server has
 * SHOAL_API_THREADS (4) connection threads. Without one, it runs on its connection's thread. */
static void test_mutations_behind_a_commit_run_on_workers(void **state)
{
	(void)state;
	enum { N = 8 };
	_Static_assert(N > (int)SHOAL_API_THREADS && N <= (int)SHOAL_API_WORKERS, "N");
	assert_int_equal(api_call("POST", "/api/v1/routes",
	                          "{\"prefix\":\"10.9.0.0/16\",\"next_hop\":\"10.0.1.2\"}"),
	                 201);
	/* no commit in flight, no other connection: inline (the server may not have counted the
	 * close of an earlier test's connection yet: poll, bounded) */
	for (int i = 0; i < 200 && strcmp(fake_thread, "api-worker") == 0; i++) {
		usleep(5000);
		assert_int_equal(api_call("POST", "/api/v1/routes",
		                          "{\"prefix\":\"10.9.0.0/16\",\"next_hop\":\"10.0.1.2\"}"),
		                 201);
	}
	assert_string_not_equal(fake_thread, "api-worker");

	pthread_mutex_lock(&fake_lock);
	fake_gate = N;
	fake_inside_max = 0;
	pthread_mutex_unlock(&fake_lock);
	atomic_store(&fake_commit_busy, true);
	pthread_t th[N];
	struct poster p[N] = {0};
	for (int i = 0; i < N; i++)
		assert_int_equal(pthread_create(&th[i], NULL, poster_run, &p[i]), 0);
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(p[i].status, 201);
	}
	atomic_store(&fake_commit_busy, false);
	pthread_mutex_lock(&fake_lock);
	fake_gate = 0;
	unsigned together = fake_inside_max;
	pthread_mutex_unlock(&fake_lock);
	assert_int_equal(together, N);
	assert_string_equal(fake_thread, "api-worker");
	/* reads never go to a worker, and the server still answers normally */
	assert_int_equal(api_call("GET", "/api/v1/routes", NULL), 200);
}

/* Another open connection sends mutations to the workers even with no commit in flight: the
 * pool may serve both connections on one thread, which would otherwise run its writers one
 * commit each. Alone again, a writer runs inline. */
static void test_mutations_beside_another_connection_run_on_workers(void **state)
{
	(void)state;
	const char *body = "{\"prefix\":\"10.9.0.0/16\",\"next_hop\":\"10.0.1.2\"}";
	atomic_store(&fake_commit_busy, false);
	int idle = http_connect(); /* counted once the server accepted it: poll, bounded */
	fake_thread[0] = '\0';
	for (int i = 0; i < 200 && strcmp(fake_thread, "api-worker") != 0; i++) {
		assert_int_equal(api_call("POST", "/api/v1/routes", body), 201);
		if (strcmp(fake_thread, "api-worker") != 0)
			usleep(5000);
	}
	assert_string_equal(fake_thread, "api-worker");
	close(idle);
	for (int i = 0; i < 200 && strcmp(fake_thread, "api-worker") == 0; i++) {
		usleep(5000);
		assert_int_equal(api_call("POST", "/api/v1/routes", body), 201);
	}
	assert_string_not_equal(fake_thread, "api-worker");
}

static void test_listen_failure_is_reported(void **state)
{
	(void)state;
	struct shoal_config *cfg = calloc(1, sizeof(*cfg));
	shoal_config_default(cfg);
	cfg->api_address = INADDR_LOOPBACK;
	cfg->api_port = port; /* taken by the running server */
	snprintf(cfg->api_token_file, sizeof(cfg->api_token_file), "%s/state/api.token", dir);
	struct shoal_api *second = (struct shoal_api *)1;
	char err[256] = "";
	assert_int_equal(shoal_api_start(&second, cfg, NULL, NULL, err, sizeof(err)), -1);
	assert_null(second);
	char want[64];
	snprintf(want, sizeof(want), "cannot listen on 127.0.0.1:%u", port);
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, "Address already in use"));
	free(cfg);
}

static void test_stop_closes_everything(void **state)
{
	(void)state;
	/* An idle keep-alive connection must not hold stop up (it would until the timeout). */
	int fd = http_connect();
	const char *req = "GET /api/v1/health HTTP/1.1\r\nHost: t\r\n\r\n";
	write_all(fd, req, strlen(req));
	char buf[512];
	assert_true(recv(fd, buf, sizeof(buf), 0) > 0);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	server_teardown(state);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 10);
	assert_true(recv(fd, buf, sizeof(buf), 0) <= 0); /* closed by the server */
	close(fd);
	assert_int_equal(count_fds(), fds_before);
	server_setup(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_health_without_token),
	    cmocka_unit_test(test_health_degraded_is_503),
	    cmocka_unit_test(test_auth_required),
	    cmocka_unit_test(test_routes_list_and_filter),
	    cmocka_unit_test(test_routes_paging),
	    cmocka_unit_test(test_route_lookup),
	    cmocka_unit_test(test_http_threads_yield_to_forwarding),
	    cmocka_unit_test(test_route_add_created_with_location),
	    cmocka_unit_test(test_control_errors_map_to_statuses),
	    cmocka_unit_test(test_bad_bodies_never_reach_control),
	    cmocka_unit_test(test_route_put_created_and_replaced),
	    cmocka_unit_test(test_route_get_and_delete),
	    cmocka_unit_test(test_batch),
	    cmocka_unit_test(test_arp_endpoints),
	    cmocka_unit_test(test_interfaces_and_plugins),
	    cmocka_unit_test(test_host),
	    cmocka_unit_test(test_plugin_http_passthrough),
	    cmocka_unit_test(test_not_found_and_method_not_allowed),
	    cmocka_unit_test(test_unsupported_media_type),
	    cmocka_unit_test(test_body_over_limit_refused_from_content_length),
	    cmocka_unit_test(test_chunked_body_over_limit),
	    cmocka_unit_test(test_body_just_under_limit_is_parsed),
	    cmocka_unit_test(test_static_files),
	    cmocka_unit_test(test_javascript_dir),
	    cmocka_unit_test(test_fifty_concurrent_clients),
	    cmocka_unit_test(test_mutations_behind_a_commit_run_on_workers),
	    cmocka_unit_test(test_mutations_beside_another_connection_run_on_workers),
	    cmocka_unit_test(test_listen_failure_is_reported),
	    cmocka_unit_test(test_stop_closes_everything),
	};
	return cmocka_run_group_tests(tests, server_setup, server_teardown);
}
