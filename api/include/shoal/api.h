/*
 * api.h — shoald's HTTP JSON control API (libmicrohttpd server, jansson bodies).
 *
 * Role: shoal_api_start() loads (or creates) the bearer token from cfg->api_token_file, binds
 * cfg->api_address:cfg->api_port and serves, on libmicrohttpd's own threads (epoll, a pool of
 * SHOAL_API_THREADS threads; at most cfg->api_max_connections connections, of which
 * cfg->api_max_connections_per_ip from one client address; a connection idle for
 * cfg->api_idle_timeout_s is closed, and so is one whose request (headers and body) is not
 * complete cfg->api_request_timeout_s after it began — cut by a watchdog thread, so a
 * slowloris client cannot hold a connection), the endpoints of api/openapi.yaml
 * under /api/v1/ plus the static files of web_dir for every other path. The endpoints are
 * the resource modules of api_resource.h (one file per resource, found by the build). Every
 * read or write of router state goes through shoal/control.h (calls into the data plane
 * whose waits are bounded: 503 dataplane_busy): the API never touches data-plane state
 * itself. A mutation that arrives while another connection is open or a group commit is being
 * written (control.h) runs on one of SHOAL_API_WORKERS worker threads, its connection suspended
 * meanwhile, so the pool threads keep serving their other connections and concurrent writers
 * share one commit; otherwise handlers run on the pool thread. shoal_api_stop() stops
 * accepting, waits for the running handlers to finish and frees everything.
 *
 * Threads: every thread the server uses (the pool, the workers, the watchdog) is created by
 * shoal_api_start() on the caller's thread and inherits its capabilities, seccomp filter and
 * signal mask: shoald calls it from a thread that dropped all capabilities (privdrop.h).
 * Start and stop run on the caller's thread (shoald's main thread), never on the
 * data-plane thread (handlers block on it: stop waits for them, so the data plane must still
 * run its command queue while stop runs, or ctl must answer UNAVAILABLE by then).
 *
 * Ownership: the api keeps the pointer ctl (the caller keeps it alive until
 * shoal_api_stop() returned) and copies what it needs from cfg and web_dir (the caller may
 * free them after start). Nothing is global: several servers may run in one process.
 *
 * Errors: start returns 0, or -1 with one line in err (no trailing newline), e.g.
 *   "api: cannot listen on 127.0.0.1:8144: Address already in use"
 *   "api: token file /var/lib/shoal/api.token: Permission denied"
 * and then has started nothing and left nothing behind (except a token file it created).
 */
#ifndef SHOAL_API_H
#define SHOAL_API_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>
#include <stdint.h>

#include "shoal/config.h"

struct shoal_ctl;
struct shoal_api;

enum {
	SHOAL_API_THREADS = 4,             /* libmicrohttpd's epoll thread pool */
	SHOAL_API_WORKERS = 16,            /* mutations that would wait behind a commit */
	SHOAL_API_TARGET_MAX = 8192,       /* request targets above this get 414 (JSON) */
	SHOAL_API_HEADERS_MAX = 32 * 1024, /* header blocks above this get 431 (JSON) */
	SHOAL_API_MAX_BODY = 1024 * 1024,  /* request bodies above this get 413 */
	SHOAL_API_NICE = 10,               /* niceness of the threads serving HTTP */
	SHOAL_API_TOKEN_HEX_LEN = 64,      /* a created token: 32 random bytes as lowercase hex */
};

/* The default web_dir (config key "web_dir"): the installed one, from config.h. */
#define SHOAL_API_DEFAULT_WEB_DIR SHOAL_DEFAULT_WEB_DIR

/* Starts the server; see the contract above. cfg->api_port 0 binds an ephemeral port
 * (tests; read it back with shoal_api_port()). web_dir may be NULL: then every non-API path
 * answers 404. */
int shoal_api_start(struct shoal_api **out, const struct shoal_config *cfg, struct shoal_ctl *ctl,
                    const char *web_dir, char *err, size_t err_size);

/* The TCP port actually bound (host order). */
uint16_t shoal_api_port(const struct shoal_api *api);

/* Stops and frees; NULL is a no-op. */
void shoal_api_stop(struct shoal_api *api);

#ifdef __cplusplus
}
#endif

#endif
