/* The HTTP server: libmicrohttpd glue, authentication, the checks every request passes and
 * the dispatch to the resource modules' handlers (api_resource.h); static files. See api.h. */
#include "shoal/api.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shoal/api_auth.h"
#include "shoal/api_metrics.h"
#include "shoal/api_request.h"
#include "shoal/api_resource.h"
#include "shoal/control.h"
#include "shoal/ipv4.h"
#include "shoal/log.h"

enum {
	/* Per connection, libmicrohttpd's pool for the request line and headers. Our own limits
	 * (SHOAL_API_TARGET_MAX, SHOAL_API_HEADERS_MAX) are well below it, so an over-long
	 * request line or header block still fits and gets our JSON 414/431; only a request
	 * larger than the pool gets libmicrohttpd's own (HTML) answer. */
	SERVER_HEADER_MEMORY = 64 * 1024,
	SERVER_DISCARD_MAX = 16 * 1024 * 1024, /* chunked bodies past the limit: then we hang up */
	SERVER_LISTEN_BACKLOG = 1024,
	SERVER_WATCHDOG_PERIOD_MS = 250, /* how often request deadlines are checked */
	SERVER_FD_RESERVE = 128,         /* descriptors kept for everything but API clients */
};

/* One client connection, from libmicrohttpd's NOTIFY_STARTED to NOTIFY_CLOSED, on the list
 * the watchdog walks. started: when the connection opened or its previous request was
 * answered; busy: the current request is complete (handler running or answer going out),
 * so its deadline no longer applies. */
struct server_conn {
	struct server_conn *prev, *next;
	int fd;
	struct timespec started;
	bool busy;
	bool cut; /* the watchdog shut it down */
};

/* Debian's JavaScript libraries (libjs-*, e.g. Chart.js for the dashboard): this URL prefix
 * maps onto api.javascript_dir through the same resolver as web_dir. */
static const char server_js_prefix[] = "/javascript/";

struct shoal_api {
	struct MHD_Daemon *daemon;
	unsigned request_timeout_s;
	pthread_mutex_t conns_lock; /* conns, n_conns, cut_total; the watchdog's stop flag */
	struct server_conn conns;   /* list head */
	unsigned long n_conns;
	unsigned long long cut_total;
	pthread_t watchdog;
	bool watchdog_up;
	bool stopping;
	pthread_cond_t wake;
	struct shoal_ctl *ctl;
	char token[SHOAL_API_TOKEN_MAX];
	bool has_web;
	char web_root[PATH_MAX];
	bool has_js; /* api.javascript_dir, served under server_js_prefix */
	char js_root[PATH_MAX];
	uint16_t port;
	struct timespec started;
	/* commit offload: requests waiting for a worker, the workers */
	pthread_mutex_t jobs_lock;
	pthread_cond_t jobs_cond;
	struct server_request *jobs_head, **jobs_tail;
	bool jobs_stopping;
	unsigned n_workers;
	pthread_t workers[SHOAL_API_WORKERS];
};

/* Where a request's handler runs (see "commit offload" below). */
enum server_job {
	SERVER_JOB_INLINE, /* on the connection's own thread, or not dispatched yet */
	SERVER_JOB_QUEUED, /* connection suspended; queued for or running on a worker */
	SERVER_JOB_DONE,   /* reply ready; the connection was resumed to send it */
	SERVER_JOB_SENT,
};

/* One request, from the URI log callback to the completion callback. */
struct server_request {
	char *raw; /* request target as sent */
	bool headers_done;
	enum shoal_api_method method;
	char method_name[16]; /* as sent, for messages */
	struct shoal_api_target target;
	char *body;
	size_t len, cap;
	size_t discarded; /* bytes past SHOAL_API_MAX_BODY */
	enum server_job job;
	struct MHD_Connection *conn; /* while on a worker */
	struct server_request *job_next;
	struct shoal_api_reply reply; /* a worker's answer, until sent */
};

/* Runs the handler of the request's method (the method check passed in
 * server_check_headers, so there is one). */
static void server_dispatch(struct shoal_api *api, const struct server_request *q,
                            struct shoal_api_reply *r)
{
	const struct shoal_api_op *op = q->target.kind == SHOAL_API_TARGET_ENDPOINT
	                                    ? shoal_api_endpoint_op(q->target.endpoint, q->method)
	                                    : NULL;
	if (!op) {
		struct shoal_api_error e;
		shoal_api_error_set(&e, 404, "not_found", "no such endpoint: %s",
		                    shoal_api_quote(q->target.path, 200).s);
		shoal_api_reply_error(r, &e);
		return;
	}
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	struct shoal_api_call call = {
	    .ctl = api->ctl,
	    .target = &q->target,
	    .method = q->method,
	    .body = q->body,
	    .len = q->len,
	    .uptime_s = (uint64_t)(now.tv_sec - api->started.tv_sec),
	};
	op->handler(&call, r);
}

/* ---- request deadline --------------------------------------------------------------- */

/* libmicrohttpd's connection timeout is an idle timeout: a client sending one byte every few
 * seconds (slowloris) never trips it. The deadline of a whole request (headers and body) is
 * ours: each connection is on a list with the time its request began; a watchdog thread
 * shuts down (shutdown(2), not close: libmicrohttpd owns the descriptor) the socket of every
 * request still incomplete after request_timeout_s, and libmicrohttpd then closes it as a
 * dead peer. The list lock orders this against NOTIFY_CLOSED, which runs before
 * libmicrohttpd closes the descriptor, so a descriptor number is never shut down after it
 * was reused. */

static void server_conn_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                               enum MHD_ConnectionNotificationCode code)
{
	struct shoal_api *api = cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		struct server_conn *c = calloc(1, sizeof(*c));
		*socket_context = c;
		if (!c)
			return; /* untracked: only the idle timeout applies */
		const union MHD_ConnectionInfo *info =
		    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		c->fd = info ? info->connect_fd : -1;
		clock_gettime(CLOCK_MONOTONIC, &c->started);
		pthread_mutex_lock(&api->conns_lock);
		c->next = api->conns.next;
		c->prev = &api->conns;
		api->conns.next->prev = c;
		api->conns.next = c;
		api->n_conns++;
		pthread_mutex_unlock(&api->conns_lock);
		return;
	}
	struct server_conn *c = *socket_context;
	*socket_context = NULL;
	if (!c)
		return;
	pthread_mutex_lock(&api->conns_lock);
	c->prev->next = c->next;
	c->next->prev = c->prev;
	api->n_conns--;
	pthread_mutex_unlock(&api->conns_lock);
	free(c);
}

static struct server_conn *server_conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return info ? info->socket_context : NULL;
}

/* busy true: the request is complete (deadline off); false: the next request's clock
 * starts now. */
static void server_conn_mark(struct shoal_api *api, struct MHD_Connection *conn, bool busy)
{
	struct server_conn *c = server_conn_of(conn);
	if (!c)
		return;
	pthread_mutex_lock(&api->conns_lock);
	c->busy = busy;
	if (!busy)
		clock_gettime(CLOCK_MONOTONIC, &c->started);
	pthread_mutex_unlock(&api->conns_lock);
}

static void *server_watchdog(void *arg)
{
	struct shoal_api *api = arg;
	pthread_mutex_lock(&api->conns_lock);
	while (!api->stopping) {
		struct timespec now, until;
		clock_gettime(CLOCK_MONOTONIC, &now);
		for (struct server_conn *c = api->conns.next; c != &api->conns; c = c->next) {
			if (c->busy || c->cut || c->fd < 0 ||
			    now.tv_sec - c->started.tv_sec < (time_t)api->request_timeout_s)
				continue;
			c->cut = true;
			api->cut_total++;
			shutdown(c->fd, SHUT_RDWR);
		}
		until = now;
		until.tv_nsec += SERVER_WATCHDOG_PERIOD_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&api->wake, &api->conns_lock, &until);
	}
	pthread_mutex_unlock(&api->conns_lock);
	return NULL;
}

/* ---- libmicrohttpd glue ------------------------------------------------------------- */

static enum MHD_Result server_send(struct MHD_Connection *conn, struct shoal_api_reply *r)
{
	char *text = r->raw_json;
	r->raw_json = NULL;
	if (r->json) {
		text = json_dumps(r->json, JSON_COMPACT);
		json_decref(r->json);
		r->json = NULL;
	}
	size_t len = text ? strlen(text) : 0;
	struct MHD_Response *resp;
	if (text && r->status != 204) {
		/* A trailing newline keeps curl output tidy. */
		char *line = malloc(len + 2);
		if (line) {
			memcpy(line, text, len);
			line[len] = '\n';
			line[len + 1] = '\0';
		}
		free(text);
		if (!line)
			return MHD_NO;
		resp = MHD_create_response_from_buffer(len + 1, line, MHD_RESPMEM_MUST_FREE);
		if (!resp) {
			free(line);
			return MHD_NO;
		}
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	} else {
		free(text);
		resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		if (!resp)
			return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (r->location[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, r->location);
	if (r->allow[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
	if (r->www_authenticate)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
	enum MHD_Result ret = MHD_queue_response(conn, r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result server_send_error(struct MHD_Connection *conn,
                                         const struct shoal_api_error *e)
{
	struct shoal_api_reply r = {0};
	shoal_api_reply_error(&r, e);
	return server_send(conn, &r);
}

static enum MHD_Result server_static(struct shoal_api *api, struct MHD_Connection *conn,
                                     const struct server_request *q)
{
	struct shoal_api_error e;
	char real[PATH_MAX];
	const char *path = q->target.path;
	const char *root = api->has_web ? api->web_root : NULL;
	size_t js_len = sizeof(server_js_prefix) - 2; /* keeps the '/' that follows */
	if (strncmp(path, server_js_prefix, js_len + 1) == 0) {
		path += js_len;
		root = api->has_js ? api->js_root : NULL;
	}
	if (!root) {
		shoal_api_error_set(&e, 404, "not_found", "no such file: %s",
		                    shoal_api_quote(q->target.path, 200).s);
		return server_send_error(conn, &e);
	}
	if (shoal_api_static_resolve(root, path, real, sizeof(real), &e) != 0)
		return server_send_error(conn, &e);
	int fd = open(real, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		shoal_api_error_set(&e, 404, "not_found", "no such file: %s",
		                    shoal_api_quote(q->target.path, 200).s);
		return server_send_error(conn, &e);
	}
	struct MHD_Response *resp = MHD_create_response_from_fd((size_t)st.st_size, fd);
	if (!resp) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, shoal_api_content_type(real));
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	enum MHD_Result ret = MHD_queue_response(conn, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

static bool server_is_json(const char *content_type)
{
	if (!content_type)
		return false;
	static const char json[] = "application/json";
	size_t n = sizeof(json) - 1;
	if (strncasecmp(content_type, json, n) != 0)
		return false;
	char next = content_type[n];
	return next == '\0' || next == ';' || next == ' ' || next == '\t';
}

/* Checks done once the headers are in, before any body byte is read. Returns true when a
 * response was queued (*ret set). */
static bool server_authorized(const struct shoal_api *api, struct MHD_Connection *conn)
{
	return shoal_api_bearer_ok(
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION),
	    api->token);
}

static enum MHD_Result server_send_unauthorized(struct MHD_Connection *conn)
{
	struct shoal_api_error e;
	struct shoal_api_reply r = {0};
	shoal_api_error_set(&e, 401, "unauthorized",
	                    "missing or wrong bearer token (Authorization: Bearer TOKEN)");
	shoal_api_reply_error(&r, &e);
	r.www_authenticate = true;
	return server_send(conn, &r);
}

/* GET /metrics (api_metrics.h): Prometheus text, token unless a plugin made it public. */
static enum MHD_Result server_metrics(struct shoal_api *api, struct MHD_Connection *conn)
{
	struct shoal_api_error e;
	char *text;
	size_t len;
	if (shoal_api_metrics_text(api->ctl, server_authorized(api, conn), &text, &len, &e) != 0)
		return e.http_status == 401 ? server_send_unauthorized(conn)
		                            : server_send_error(conn, &e);
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, SHOAL_API_METRICS_CONTENT_TYPE);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	enum MHD_Result ret = MHD_queue_response(conn, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Whether a raw request target that does not parse lies under /api/ (health excepted): such
 * a request must authenticate before its parse error tells anything. */
static bool server_raw_needs_auth(const char *raw)
{
	if (strncmp(raw, "/api/", 5) != 0)
		return false;
	return !shoal_api_path_is_public(raw, strcspn(raw, "?"));
}

static bool server_check_headers(struct shoal_api *api, struct MHD_Connection *conn,
                                 struct server_request *q, enum MHD_Result *ret)
{
	struct shoal_api_error e;
	struct shoal_api_reply r = {0};
	const struct shoal_api_target *t = &q->target;
	if (t->needs_auth && !server_authorized(api, conn)) {
		*ret = server_send_unauthorized(conn);
		return true;
	}
	if (t->kind == SHOAL_API_TARGET_NOT_FOUND) {
		shoal_api_error_set(&e, 404, "not_found", "no such endpoint: %s",
		                    shoal_api_quote(t->path, 200).s);
		*ret = server_send_error(conn, &e);
		return true;
	}
	if (!(t->methods & q->method)) {
		shoal_api_error_set(&e, 405, "method_not_allowed", "%s is not allowed on %s",
		                    shoal_api_quote(q->method_name, 16).s,
		                    shoal_api_quote(t->path, 200).s);
		shoal_api_reply_error(&r, &e);
		shoal_api_allow_string(t->methods, r.allow, sizeof(r.allow));
		*ret = server_send(conn, &r);
		return true;
	}
	for (size_t i = 0; i < t->n_query; i++) {
		if (!shoal_api_target_allows_query(t, q->method, t->query[i].key)) {
			shoal_api_error_set(&e, 400, "unknown_parameter",
			                    "unknown query parameter \"%s\"",
			                    shoal_api_quote(t->query[i].key, 64).s);
			*ret = server_send_error(conn, &e);
			return true;
		}
	}
	const char *cl =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	const char *te =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
	unsigned long long length = cl ? strtoull(cl, NULL, 10) : 0;
	bool has_body = length > 0 || te != NULL;
	if (has_body && (q->method == SHOAL_API_POST || q->method == SHOAL_API_PUT) &&
	    !server_is_json(
	        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE))) {
		shoal_api_error_set(
		    &e, 415, "unsupported_media_type",
		    "the request body must be JSON (Content-Type: application/json)");
		*ret = server_send_error(conn, &e);
		return true;
	}
	if (length > SHOAL_API_MAX_BODY) {
		shoal_api_error_set(&e, 413, "body_too_large",
		                    "request body of %llu bytes is over the limit of %d bytes",
		                    length, SHOAL_API_MAX_BODY);
		*ret = server_send_error(conn, &e);
		return true;
	}
	if (t->kind == SHOAL_API_TARGET_STATIC && strcmp(t->path, "/metrics") == 0) {
		*ret = server_metrics(api, conn);
		return true;
	}
	if (t->kind == SHOAL_API_TARGET_STATIC) {
		*ret = server_static(api, conn, q);
		return true;
	}
	return false;
}

static enum MHD_Result server_header_size(void *cls, enum MHD_ValueKind kind, const char *key,
                                          const char *value)
{
	(void)kind;
	size_t *sum = cls;
	*sum += strlen(key) + (value ? strlen(value) : 0) + 4; /* ": " and CRLF */
	return MHD_YES;
}

/* Our limits on the request line and the header block, answered with the JSON error shape
 * (libmicrohttpd's own answers to requests larger than its pool are HTML). Returns true when
 * a response was queued (*ret set). */
static bool server_check_sizes(struct MHD_Connection *conn, const struct server_request *q,
                               enum MHD_Result *ret)
{
	struct shoal_api_error e;
	size_t target = strlen(q->raw);
	if (target > SHOAL_API_TARGET_MAX) {
		shoal_api_error_set(&e, 414, "uri_too_long",
		                    "request target of %zu bytes is over the limit of %d bytes",
		                    target, SHOAL_API_TARGET_MAX);
		*ret = server_send_error(conn, &e);
		return true;
	}
	size_t headers = 0;
	MHD_get_connection_values(conn, MHD_HEADER_KIND, server_header_size, &headers);
	if (headers > SHOAL_API_HEADERS_MAX) {
		shoal_api_error_set(&e, 431, "headers_too_large",
		                    "request headers of %zu bytes are over the limit of %d bytes",
		                    headers, SHOAL_API_HEADERS_MAX);
		*ret = server_send_error(conn, &e);
		return true;
	}
	return false;
}

static int server_body_append(struct server_request *q, const char *data, size_t size)
{
	if (q->discarded || q->len + size > SHOAL_API_MAX_BODY) {
		q->discarded += size;
		return q->discarded > SERVER_DISCARD_MAX ? -1 : 0;
	}
	if (q->len + size + 1 > q->cap) {
		size_t cap = q->cap ? q->cap : 4096;
		while (cap < q->len + size + 1)
			cap *= 2;
		char *grown = realloc(q->body, cap);
		if (!grown)
			return -1;
		q->body = grown;
		q->cap = cap;
	}
	memcpy(q->body + q->len, data, size);
	q->len += size;
	q->body[q->len] = '\0';
	return 0;
}

/* The control plane yields to forwarding: a thread that serves HTTP lowers its own priority
 * by SHOAL_API_NICE once (Linux keeps niceness per thread), so a burst of API requests
 * takes CPU from idle time rather than from the data plane. */
static void server_thread_yield_to_forwarding(void)
{
	static _Thread_local bool done;
	if (done)
		return;
	done = true;
	errno = 0;
	int nice_now = getpriority(PRIO_PROCESS, (id_t)gettid());
	if (errno != 0 || setpriority(PRIO_PROCESS, (id_t)gettid(), nice_now + SHOAL_API_NICE) != 0)
		shoal_log(SHOAL_LOG_DEBUG, "api: setpriority: %s", strerror(errno));
}

/* ---- commit offload ------------------------------------------------------------------ */

/* A mutation waits for its group commit (control.h): a few hundred microseconds of fsync,
 * more on a slow disk. On a libmicrohttpd pool thread that wait stalls every other connection
 * the thread serves, so writers on those connections would each wait for the next commit
 * instead of joining the current group. So when another connection is open, or a commit is
 * already being written (shoal_ctl_commit_busy), a complete mutation's connection is
 * suspended and its handler runs on one of SHOAL_API_WORKERS worker threads; the worker
 * resumes the connection once the answer is ready and libmicrohttpd calls server_access
 * again, which sends it. A commit in flight alone is not enough: when the pool puts several
 * writers' connections on one thread, that thread runs one inline, finds no commit in flight
 * when it takes the next, and runs the writers one commit each. A lone connection (one
 * writer at a time) runs inline, with no thread hop. Reads always run inline: they never wait
 * for a commit. */

static bool server_is_mutation(enum shoal_api_method m)
{
	return m == SHOAL_API_POST || m == SHOAL_API_PUT || m == SHOAL_API_DELETE;
}

/* Hands q to a worker (true) or leaves it to the caller (false). */
static bool server_offload(struct shoal_api *api, struct MHD_Connection *conn,
                           struct server_request *q)
{
	if (!server_is_mutation(q->method) || api->n_workers == 0 || !api->ctl)
		return false;
	pthread_mutex_lock(&api->conns_lock);
	bool alone = api->n_conns <= 1;
	pthread_mutex_unlock(&api->conns_lock);
	if (alone && !shoal_ctl_commit_busy(api->ctl))
		return false;
	pthread_mutex_lock(&api->jobs_lock);
	if (api->jobs_stopping) {
		pthread_mutex_unlock(&api->jobs_lock);
		return false;
	}
	q->job = SERVER_JOB_QUEUED;
	q->conn = conn;
	q->job_next = NULL;
	MHD_suspend_connection(conn);
	*api->jobs_tail = q;
	api->jobs_tail = &q->job_next;
	pthread_mutex_unlock(&api->jobs_lock);
	/* after the unlock: the woken worker does not wait for the lock (jobs_cond lives as
	 * long as the server) */
	pthread_cond_signal(&api->jobs_cond);
	return true;
}

/* A worker: runs queued handlers until stop, and the queue is empty. */
static void *server_worker(void *arg)
{
	struct shoal_api *api = arg;
	pthread_setname_np(pthread_self(), "api-worker");
	server_thread_yield_to_forwarding();
	pthread_mutex_lock(&api->jobs_lock);
	for (;;) {
		struct server_request *q = api->jobs_head;
		if (!q) {
			if (api->jobs_stopping)
				break;
			pthread_cond_wait(&api->jobs_cond, &api->jobs_lock);
			continue;
		}
		api->jobs_head = q->job_next;
		if (!api->jobs_head)
			api->jobs_tail = &api->jobs_head;
		pthread_mutex_unlock(&api->jobs_lock);
		server_dispatch(api, q, &q->reply);
		struct MHD_Connection *conn = q->conn;
		q->job = SERVER_JOB_DONE; /* read by the connection's thread after the resume */
		MHD_resume_connection(conn);
		pthread_mutex_lock(&api->jobs_lock);
	}
	pthread_mutex_unlock(&api->jobs_lock);
	return NULL;
}

/* Stops the workers once they have answered every queued request (each resumes its
 * connection); later mutations run inline. */
static void server_workers_stop(struct shoal_api *api)
{
	pthread_mutex_lock(&api->jobs_lock);
	api->jobs_stopping = true;
	pthread_cond_broadcast(&api->jobs_cond);
	pthread_mutex_unlock(&api->jobs_lock);
	for (unsigned i = api->n_workers; i-- > 0;)
		pthread_join(api->workers[i], NULL);
	api->n_workers = 0;
}

static void server_reply_free(struct shoal_api_reply *r)
{
	json_decref(r->json);
	r->json = NULL;
	free(r->raw_json);
	r->raw_json = NULL;
}

static enum MHD_Result server_access(void *cls, struct MHD_Connection *conn, const char *url,
                                     const char *method, const char *version,
                                     const char *upload_data, size_t *upload_data_size,
                                     void **con_cls)
{
	(void)url;
	(void)version;
	struct shoal_api *api = cls;
	struct server_request *q = *con_cls;
	if (!q || !q->raw)
		return MHD_NO; /* the URI callback ran out of memory */
	if (!q->headers_done) {
		q->headers_done = true;
		server_thread_yield_to_forwarding();
		q->method = shoal_api_method_from_string(method);
		snprintf(q->method_name, sizeof(q->method_name), "%s", method);
		enum MHD_Result ret;
		if (server_check_sizes(conn, q, &ret))
			return ret;
		struct shoal_api_error e;
		if (shoal_api_target_parse(q->raw, &q->target, &e) != 0) {
			if (server_raw_needs_auth(q->raw) && !server_authorized(api, conn))
				return server_send_unauthorized(conn);
			return server_send_error(conn, &e);
		}
		if (server_check_headers(api, conn, q, &ret))
			return ret;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		int rc = server_body_append(q, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return rc == 0 ? MHD_YES : MHD_NO;
	}
	if (q->job == SERVER_JOB_DONE) { /* resumed by its worker */
		q->job = SERVER_JOB_SENT;
		return server_send(conn, &q->reply);
	}
	/* The request is complete: the handler may wait on the data plane, and its answer must
	 * not be cut. Early error answers above keep the deadline running: a client that goes
	 * on trickling a body after one is still cut. */
	server_conn_mark(api, conn, true);
	if (q->discarded) {
		struct shoal_api_error e;
		shoal_api_error_set(&e, 413, "body_too_large",
		                    "request body is over the limit of %d bytes",
		                    SHOAL_API_MAX_BODY);
		return server_send_error(conn, &e);
	}
	if (server_offload(api, conn, q))
		return MHD_YES;
	struct shoal_api_reply r = {0};
	server_dispatch(api, q, &r);
	return server_send(conn, &r);
}

static void *server_uri_log(void *cls, const char *uri, struct MHD_Connection *conn)
{
	(void)cls;
	(void)conn;
	struct server_request *q = calloc(1, sizeof(*q));
	if (q)
		q->raw = strdup(uri);
	return q;
}

static void server_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                             enum MHD_RequestTerminationCode toe)
{
	(void)toe;
	server_conn_mark(cls, conn, false); /* keep-alive: the next request's clock starts */
	struct server_request *q = *con_cls;
	*con_cls = NULL;
	if (!q)
		return;
	server_reply_free(&q->reply); /* a worker's answer the connection never sent */
	free(q->body);
	free(q->raw);
	free(q);
}

/* fmt is libmicrohttpd's printf format: declared as such, so clang's -Wformat-nonliteral
 * accepts passing it on. */
__attribute__((format(printf, 2, 0))) static void server_mhd_log(void *cls, const char *fmt,
                                                                 va_list ap)
{
	(void)cls;
	shoal_log_v(SHOAL_LOG_DEBUG, fmt, ap);
}

static int server_listen(const struct shoal_config *cfg, uint16_t *port, char *err, size_t err_size)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, err_size, "api: socket: %s", strerror(errno));
		return -1;
	}
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_port = htons(cfg->api_port),
	                         .sin_addr.s_addr = htonl(cfg->api_address)};
	socklen_t sl = sizeof(sa);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(fd, SERVER_LISTEN_BACKLOG) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
		char a[SHOAL_IPV4_ADDR_STRLEN];
		snprintf(err, err_size, "api: cannot listen on %s:%u: %s",
		         shoal_ipv4_addr_format(cfg->api_address, a), cfg->api_port,
		         strerror(errno));
		close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

/* Raises the soft RLIMIT_NOFILE to the hard limit and returns how many API connections the
 * descriptors allow (wanted, or fewer with a warning). */
static unsigned server_fd_budget(unsigned wanted)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return wanted;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= (rlim_t)wanted + SERVER_FD_RESERVE)
		return wanted;
	unsigned fit = rl.rlim_cur > 2 * SERVER_FD_RESERVE
	                   ? (unsigned)(rl.rlim_cur - SERVER_FD_RESERVE)
	                   : (unsigned)(rl.rlim_cur / 2);
	shoal_log(SHOAL_LOG_WARN,
	          "api: open-file limit %llu allows %u connections, not api.max_connections %u",
	          (unsigned long long)rl.rlim_cur, fit, wanted);
	return fit;
}

static void server_watchdog_stop(struct shoal_api *api)
{
	if (!api->watchdog_up)
		return;
	pthread_mutex_lock(&api->conns_lock);
	api->stopping = true;
	pthread_cond_signal(&api->wake);
	pthread_mutex_unlock(&api->conns_lock);
	pthread_join(api->watchdog, NULL);
	api->watchdog_up = false;
}

static void server_free(struct shoal_api *api)
{
	pthread_cond_destroy(&api->jobs_cond);
	pthread_mutex_destroy(&api->jobs_lock);
	pthread_cond_destroy(&api->wake);
	pthread_mutex_destroy(&api->conns_lock);
	free(api);
}

int shoal_api_start(struct shoal_api **out, const struct shoal_config *cfg, struct shoal_ctl *ctl,
                    const char *web_dir, char *err, size_t err_size)
{
	*out = NULL;
	struct shoal_api *api = calloc(1, sizeof(*api));
	if (!api) {
		snprintf(err, err_size, "api: out of memory");
		return -1;
	}
	api->ctl = ctl;
	api->request_timeout_s = cfg->api_request_timeout_s;
	api->conns.next = api->conns.prev = &api->conns;
	pthread_mutex_init(&api->conns_lock, NULL);
	pthread_mutex_init(&api->jobs_lock, NULL);
	pthread_cond_init(&api->jobs_cond, NULL);
	api->jobs_tail = &api->jobs_head;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&api->wake, &ca);
	pthread_condattr_destroy(&ca);
	clock_gettime(CLOCK_MONOTONIC, &api->started);
	bool created = false;
	if (shoal_api_token_load(cfg->api_token_file, api->token, &created, err, err_size) != 0) {
		char inner[512];
		snprintf(inner, sizeof(inner), "%s", err);
		snprintf(err, err_size, "api: %s", inner);
		server_free(api);
		return -1;
	}
	if (created)
		shoal_log(SHOAL_LOG_INFO, "api: created token file %s", cfg->api_token_file);
	if (web_dir && realpath(web_dir, api->web_root))
		api->has_web = true;
	else if (web_dir)
		shoal_log(SHOAL_LOG_WARN, "api: web_dir %s: %s (static files disabled)", web_dir,
		          strerror(errno));
	if (cfg->api_javascript_dir[0] && realpath(cfg->api_javascript_dir, api->js_root))
		api->has_js = true;
	else if (cfg->api_javascript_dir[0])
		shoal_log(SHOAL_LOG_INFO, "api: javascript_dir %s: %s (/javascript/ disabled)",
		          cfg->api_javascript_dir, strerror(errno));
	int fd = server_listen(cfg, &api->port, err, err_size);
	if (fd < 0) {
		server_free(api);
		return -1;
	}
	unsigned max_conns = server_fd_budget(cfg->api_max_connections);
	unsigned per_ip = cfg->api_max_connections_per_ip < max_conns
	                      ? cfg->api_max_connections_per_ip
	                      : max_conns;
	/* epoll with a small pool of threads, each serving its share of the connections. */
	api->daemon = MHD_start_daemon(
	    MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, 0, NULL,
	    NULL, server_access, api, MHD_OPTION_EXTERNAL_LOGGER, server_mhd_log, NULL,
	    MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)SHOAL_API_THREADS,
	    MHD_OPTION_CONNECTION_LIMIT, max_conns, MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
	    MHD_OPTION_CONNECTION_TIMEOUT, cfg->api_idle_timeout_s,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SERVER_HEADER_MEMORY,
	    MHD_OPTION_URI_LOG_CALLBACK, server_uri_log, NULL, MHD_OPTION_NOTIFY_COMPLETED,
	    server_completed, api, MHD_OPTION_NOTIFY_CONNECTION, server_conn_notify, api,
	    MHD_OPTION_END);
	if (!api->daemon) {
		snprintf(err, err_size, "api: cannot start the HTTP server on port %u", api->port);
		close(fd);
		server_free(api);
		return -1;
	}
	if (pthread_create(&api->watchdog, NULL, server_watchdog, api) != 0) {
		snprintf(err, err_size, "api: cannot start the request watchdog");
		MHD_stop_daemon(api->daemon);
		server_free(api);
		return -1;
	}
	api->watchdog_up = true;
	for (; api->n_workers < SHOAL_API_WORKERS; api->n_workers++)
		if (pthread_create(&api->workers[api->n_workers], NULL, server_worker, api) != 0) {
			snprintf(err, err_size, "api: cannot start the request workers");
			server_workers_stop(api);
			server_watchdog_stop(api);
			MHD_stop_daemon(api->daemon);
			server_free(api);
			return -1;
		}
	*out = api;
	return 0;
}

uint16_t shoal_api_port(const struct shoal_api *api)
{
	return api->port;
}

void shoal_api_stop(struct shoal_api *api)
{
	if (!api)
		return;
	server_workers_stop(api);
	server_watchdog_stop(api);
	MHD_stop_daemon(api->daemon);
	server_free(api);
}
