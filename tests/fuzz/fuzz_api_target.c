/*
 * Fuzz harness: the API request target parser (shoal/api_request.h).
 *
 * Input: the raw request target. Accepted targets: the decoded path and query are within
 * bounds and free of control characters, the endpoint's parameters are valid, and
 * re-encoding the decoded path and query gives a target that parses to the same thing.
 * Static paths resolve only to regular files under the web root (a temporary tree with a
 * symlink pointing out of it). Refused targets: a 400 with a well-formed JSON error body.
 */
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_api_common.h"
#include "shoal/api_resource.h"
#include "shoal/ipv4.h"
#include "shoal/plugin_host.h"

static char web_root[PATH_MAX];

static void web_cleanup(void)
{
	static const char *const files[] = {"/css/app.css", "/index.html", "/out"};
	char p[PATH_MAX + 32];
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", web_root, files[i]);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/css", web_root);
	rmdir(p);
	rmdir(web_root);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char tmpl[] = "/tmp/shoal-fuzz-web.XXXXXX";
	FUZZ_CHECK(mkdtemp(tmpl) != NULL);
	FUZZ_CHECK(realpath(tmpl, web_root) != NULL);
	char p[PATH_MAX + 32];
	snprintf(p, sizeof(p), "%s/css", web_root);
	FUZZ_CHECK(mkdir(p, 0700) == 0);
	static const char *const files[] = {"/index.html", "/css/app.css"};
	for (size_t i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s%s", web_root, files[i]);
		FILE *f = fopen(p, "w");
		FUZZ_CHECK(f != NULL);
		fputs("x\n", f);
		fclose(f);
	}
	snprintf(p, sizeof(p), "%s/out", web_root);
	FUZZ_CHECK(symlink("/etc/hostname", p) == 0);
	atexit(web_cleanup);
	return 0;
}

static bool clean(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* Percent-encodes everything but unreserved characters (and '/' in the path). */
static size_t encode(const char *s, bool path, char *out, size_t o, size_t cap)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		             (c >= '0' && c <= '9') || strchr("-._~", c) || (path && c == '/');
		FUZZ_CHECK(o + 4 < cap);
		if (plain)
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, cap - o, "%%%02X", c);
	}
	out[o] = '\0';
	return o;
}

static void check_same(const struct shoal_api_target *a, const struct shoal_api_target *b)
{
	FUZZ_CHECK(a->endpoint == b->endpoint && a->methods == b->methods &&
	           a->needs_auth == b->needs_auth && strcmp(a->path, b->path) == 0);
	FUZZ_CHECK(a->prefix == b->prefix && a->prefix_len == b->prefix_len && a->ip == b->ip &&
	           strcmp(a->name, b->name) == 0 && strcmp(a->subpath, b->subpath) == 0);
	FUZZ_CHECK(a->n_query == b->n_query);
	for (size_t i = 0; i < a->n_query; i++)
		FUZZ_CHECK(!strcmp(a->query[i].key, b->query[i].key) &&
		           !strcmp(a->query[i].value, b->query[i].value));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct shoal_api_target t, u;
	struct shoal_api_error e;
	char *raw = fuzz_cstr(data, size);
	int rc = shoal_api_target_parse(raw, &t, &e);
	free(raw);
	if (rc != 0) {
		FUZZ_CHECK(rc == -1 && e.http_status == 400);
		fuzz_api_check_error(&e);
		return 0;
	}
	FUZZ_CHECK(t.path[0] == '/' && strnlen(t.path, sizeof(t.path)) < sizeof(t.path));
	FUZZ_CHECK(clean(t.path) && t.n_query <= SHOAL_API_QUERY_MAX && t.methods != 0);
	for (size_t i = 0; i < t.n_query; i++) {
		FUZZ_CHECK(clean(t.query[i].key) && clean(t.query[i].value));
		FUZZ_CHECK(shoal_api_target_query(&t, t.query[i].key) == t.query[i].value);
		for (unsigned m = 0; m < 6; m++)
			(void)shoal_api_target_allows_query(&t, (enum shoal_api_method)(1u << m),
			                                    t.query[i].key);
	}
	bool api = strcmp(t.path, "/api") == 0 || strncmp(t.path, "/api/", 5) == 0;
	FUZZ_CHECK((t.kind == SHOAL_API_TARGET_STATIC) == !api);
	FUZZ_CHECK(!t.needs_auth || api);
	FUZZ_CHECK((t.kind == SHOAL_API_TARGET_ENDPOINT) == (t.endpoint != NULL));
	if (t.kind == SHOAL_API_TARGET_ENDPOINT) {
		const char *p = t.endpoint->path;
		FUZZ_CHECK(t.needs_auth == !t.endpoint->is_public);
		if (strstr(p, "{prefix}"))
			FUZZ_CHECK(t.prefix_len <= 32 &&
			           (t.prefix & ~shoal_ipv4_prefix_mask(t.prefix_len)) == 0);
		if (strstr(p, "{plugin}"))
			FUZZ_CHECK(shoal_plugin_name_valid(t.name));
		if (strstr(p, "{plugin}/..."))
			FUZZ_CHECK(t.subpath >= t.path && t.subpath <= t.path + strlen(t.path));
	} else if (t.kind == SHOAL_API_TARGET_STATIC) {
		char out[PATH_MAX];
		struct shoal_api_error se;
		if (shoal_api_static_resolve(web_root, t.path, out, sizeof(out), &se) == 0) {
			struct stat st;
			size_t n = strlen(web_root);
			FUZZ_CHECK(strncmp(out, web_root, n) == 0 && out[n] == '/');
			FUZZ_CHECK(stat(out, &st) == 0 && S_ISREG(st.st_mode));
		} else {
			FUZZ_CHECK(se.http_status == 400 || se.http_status == 404);
			fuzz_api_check_error(&se);
		}
	} else {
		FUZZ_CHECK(t.kind == SHOAL_API_TARGET_NOT_FOUND && t.needs_auth);
	}
	/* decoded -> encoded -> decoded is the same target */
	static char again[SHOAL_API_PATH_MAX * 3 +
	                  SHOAL_API_QUERY_MAX * 3 *
	                      (SHOAL_API_QUERY_KEY_MAX + SHOAL_API_QUERY_VALUE_MAX + 2) +
	                  16];
	size_t o = encode(t.path, true, again, 0, sizeof(again));
	for (size_t i = 0; i < t.n_query; i++) {
		again[o++] = i == 0 ? '?' : '&';
		o = encode(t.query[i].key, false, again, o, sizeof(again));
		again[o++] = '=';
		o = encode(t.query[i].value, false, again, o, sizeof(again));
	}
	again[o] = '\0';
	FUZZ_CHECK(shoal_api_target_parse(again, &u, &e) == 0);
	check_same(&t, &u);
	return 0;
}
