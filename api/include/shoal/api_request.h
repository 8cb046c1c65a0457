/*
 * api_request.h — the pure parts of the HTTP API: request targets, errors, static paths.
 *
 * Role: shoal_api_target_parse() turns the raw request target of an HTTP request (path and
 * query exactly as the client sent them, e.g. "/api/v1/routes/10.2.0.0%2F16?x=1") into the
 * endpoint it names, the parameters carried by its path (a route prefix, an ARP address, a
 * plugin name) and its query parameters, or into the error the server answers with.
 * shoal_api_static_resolve() maps a decoded non-API path onto a file under the web root
 * without ever escaping it. No I/O except the realpath()/stat() of static resolution; no
 * allocation; no globals: any thread may call these.
 *
 * Decoding: the path and each query key and value are percent-decoded once ('+' is a space
 * in the query only); a malformed escape, an encoded or raw NUL, a control character or a
 * path longer than SHOAL_API_PATH_MAX - 1 is a 400 bad_request. Query parameters not
 * accepted by the endpoint (see shoal_api_target_allows_query) are a 400 unknown_parameter
 * in the server, after the method check.
 *
 * Errors: struct shoal_api_error is the body of every error answer:
 *   {"error":{"code":code,"message":message}} plus "index" when index >= 0 (batch).
 */
#ifndef SHOAL_API_REQUEST_H
#define SHOAL_API_REQUEST_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	SHOAL_API_PATH_MAX = 1024,
	SHOAL_API_QUERY_MAX = 8, /* query parameters kept; more is a 400 */
	SHOAL_API_QUERY_KEY_MAX = 32,
	SHOAL_API_QUERY_VALUE_MAX = 128,
	SHOAL_API_NAME_MAX = 32, /* plugin names: [a-z0-9_]{1,31} */
};

struct shoal_api_error {
	unsigned http_status; /* 400, 404, ... */
	char code[40];        /* snake_case */
	char message[256];    /* one line */
	long index;           /* batch: the failing operation; -1 otherwise */
};

/* Fills e (index -1) and returns -1: the idiom of every parser here. */
int shoal_api_error_set(struct shoal_api_error *e, unsigned http_status, const char *code,
                        const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Client bytes quoted in a message: at most max_bytes bytes (max_bytes <=
 * SHOAL_API_QUOTE_MAX) of s, cut only between characters (then "..." is appended), every byte
 * that is not part of valid UTF-8 and every control character shown escaped as \xNN — so
 * the result is always valid UTF-8 and safe in the JSON body. The one helper every message
 * quoting request input uses:
 *   shoal_api_error_set(e, 400, "invalid_address", "\"%s\" is not ...",
 *                       shoal_api_quote(s, 64).s);
 * (the returned struct lives until the end of the full expression). shoal_api_error_set()
 * also passes the whole message through the same escaping, as a last line of defence. */
enum { SHOAL_API_QUOTE_MAX = 200 };
struct shoal_api_quoted {
	char s[SHOAL_API_QUOTE_MAX + 4];
};
struct shoal_api_quoted shoal_api_quote(const char *s, size_t max_bytes);

/* The escaping of shoal_api_quote into out (NUL-terminated, at most out_size - 1 bytes of
 * output, "..." when s had to be cut). Returns out. */
char *shoal_api_escape(const char *s, char *out, size_t out_size);

/* Renders {"error":{"code":...,"message":...[,"index":N]}} as malloc'd compact JSON (NULL
 * only when out of memory). */
char *shoal_api_error_json(const struct shoal_api_error *e);

enum shoal_api_method {
	SHOAL_API_GET = 1u << 0,
	SHOAL_API_HEAD = 1u << 1,
	SHOAL_API_POST = 1u << 2,
	SHOAL_API_PUT = 1u << 3,
	SHOAL_API_DELETE = 1u << 4,
	SHOAL_API_OTHER = 1u << 5, /* any other method */
};

/* "GET" -> SHOAL_API_GET, ...; anything else SHOAL_API_OTHER. */
enum shoal_api_method shoal_api_method_from_string(const char *method);
/* The Allow header value for a set of methods, e.g. "GET, HEAD, POST". buf >= 40 bytes. */
const char *shoal_api_allow_string(unsigned methods, char *buf, size_t size);

/* What a request target names. */
enum shoal_api_target_kind {
	SHOAL_API_TARGET_STATIC,    /* any non-/api/ path: a file of the web root */
	SHOAL_API_TARGET_ENDPOINT,  /* an endpoint of a resource module (api_resource.h) */
	SHOAL_API_TARGET_NOT_FOUND, /* any other /api/ path (404 after authentication) */
};

struct shoal_api_endpoint; /* api_resource.h */

struct shoal_api_query_param {
	char key[SHOAL_API_QUERY_KEY_MAX];
	char value[SHOAL_API_QUERY_VALUE_MAX];
};

struct shoal_api_target {
	enum shoal_api_target_kind kind;
	const struct shoal_api_endpoint *endpoint; /* TARGET_ENDPOINT: from the registry */
	unsigned methods; /* the methods the target accepts (enum shoal_api_method bits) */
	bool needs_auth;  /* every /api/ path but the public endpoints (health) */
	char path[SHOAL_API_PATH_MAX]; /* decoded path */
	/* Typed path parameters (api_resource.h): */
	uint32_t prefix; /* {prefix}: canonical prefix, host order */
	uint8_t prefix_len;
	uint32_t ip;                   /* {ipv4} */
	char name[SHOAL_API_NAME_MAX]; /* {plugin} */
	const char *subpath;           /* {plugin}/...: into path, after "/api/v1/NAME/"
	                                  ("" for "/api/v1/NAME" and "/api/v1/NAME/") */
	size_t n_query;
	struct shoal_api_query_param query[SHOAL_API_QUERY_MAX];
};

/* Parses raw (NUL-terminated request target). Returns 0, or -1 with e filled (400
 * bad_request for undecodable targets; 400 invalid_prefix / invalid_prefix_length /
 * invalid_address for a bad typed path parameter). A syntactically fine path naming nothing
 * is not an error: kind TARGET_NOT_FOUND (under /api/) or TARGET_STATIC. Endpoints come from
 * the resource registry (api_resource.h). */
int shoal_api_target_parse(const char *raw, struct shoal_api_target *t, struct shoal_api_error *e);

/* The value of query parameter key, or NULL. */
const char *shoal_api_target_query(const struct shoal_api_target *t, const char *key);

/* Whether the target, called with method, accepts query parameter key (its op's list). */
bool shoal_api_target_allows_query(const struct shoal_api_target *t, enum shoal_api_method method,
                                   const char *key);
/* Whether the decoded-or-raw path path[0..len) is a public endpoint's (no token needed even
 * when the rest of the target does not parse). */
bool shoal_api_path_is_public(const char *path, size_t len);

/* Strict dotted quad ("10.0.1.2": four decimal numbers 0..255, no leading zeros). */
int shoal_api_parse_ipv4(const char *s, uint32_t *out);
/* "A.B.C.D/LEN", LEN 0..32 without leading zeros or sign. Returns 0, or -1 with e: 400
 * invalid_prefix (not an address/length, or host bits set: "10.2.3.0/16 has host bits set;
 * did you mean 10.2.0.0/16?") or invalid_prefix_length. */
int shoal_api_parse_prefix(const char *s, uint32_t *prefix, uint8_t *len,
                           struct shoal_api_error *e);
/* "aa:bb:cc:dd:ee:ff" (hex, either case, exactly two digits per byte). */
int shoal_api_parse_mac(const char *s, uint8_t mac[6]);

/* Static files. web_root is the realpath() of web_dir; path a decoded path from
 * shoal_api_target_parse (starts with '/'). "/" and paths ending in '/' mean their
 * index.html. Returns 0 with the file's real path in out (a regular file under web_root), or
 * -1 with e: 400 bad_path for a ".." or "." segment, 404 not_found for a missing file, a
 * directory, anything whose realpath leaves web_root or a path too long. */
int shoal_api_static_resolve(const char *web_root, const char *path, char *out, size_t out_size,
                             struct shoal_api_error *e);
/* The Content-Type for a file name by its extension ("text/html; charset=utf-8", ...;
 * "application/octet-stream" when unknown). */
const char *shoal_api_content_type(const char *file_name);

#ifdef __cplusplus
}
#endif

#endif
