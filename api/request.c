/* Request targets, errors, address parsing and static path resolution (see api_request.h). */
#include "shoal/api_request.h"
#include "shoal/api_resource.h"
#include "shoal/plugin_host.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "shoal/ethernet.h"
#include "shoal/ipv4.h"
#include "shoal/wire.h"

/* Length of the valid UTF-8 character at s (1..4; overlongs, surrogates and code points above
 * U+10FFFF are invalid), 0 when s does not start one. */
static size_t request_utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	if (c < 0x80)
		return 1;
	size_t n;
	uint32_t cp;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1fu;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0fu;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07u;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0u) != 0x80u)
			return 0; /* also stops at the NUL */
		cp = (cp << 6) | (s[i] & 0x3fu);
	}
	static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
	if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* Bytes one character takes escaped (*adv: bytes of s it consumes). */
static size_t request_escaped_len(const unsigned char *p, size_t *adv)
{
	size_t n = request_utf8_len(p);
	bool escape = n == 0 || *p < 0x20 || *p == 0x7f;
	*adv = escape ? 1 : n;
	return escape ? 4 : n;
}

char *shoal_api_escape(const char *s, char *out, size_t out_size)
{
	static const char ellipsis[] = "...";
	if (out_size == 0)
		return out;
	size_t room = out_size - 1, total = 0, adv;
	for (const unsigned char *p = (const unsigned char *)s; *p && total <= room; p += adv)
		total += request_escaped_len(p, &adv);
	bool cut = total > room;
	size_t limit =
	    cut ? (room >= sizeof(ellipsis) - 1 ? room - (sizeof(ellipsis) - 1) : 0) : room;
	size_t used = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p += adv) {
		size_t need = request_escaped_len(p, &adv);
		if (used + need > limit)
			break;
		if (adv == 1 && need == 4)
			snprintf(out + used, 5, "\\x%02x", *p);
		else
			memcpy(out + used, p, need);
		used += need;
	}
	if (cut && used + sizeof(ellipsis) - 1 <= room) {
		memcpy(out + used, ellipsis, sizeof(ellipsis) - 1);
		used += sizeof(ellipsis) - 1;
	}
	out[used] = '\0';
	return out;
}

struct shoal_api_quoted shoal_api_quote(const char *s, size_t max_bytes)
{
	struct shoal_api_quoted q;
	if (max_bytes > SHOAL_API_QUOTE_MAX)
		max_bytes = SHOAL_API_QUOTE_MAX;
	shoal_api_escape(s, q.s, max_bytes + 1);
	return q;
}

int shoal_api_error_set(struct shoal_api_error *e, unsigned http_status, const char *code,
                        const char *fmt, ...)
{
	e->http_status = http_status;
	e->index = -1;
	snprintf(e->code, sizeof(e->code), "%s", code);
	va_list ap;
	va_start(ap, fmt);
	char raw[sizeof(e->message)];
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	shoal_api_escape(raw, e->message, sizeof(e->message));
	return -1;
}

char *shoal_api_error_json(const struct shoal_api_error *e)
{
	json_t *inner = json_pack("{s:s, s:s}", "code", e->code, "message", e->message);
	if (!inner)
		return NULL;
	if (e->index >= 0)
		json_object_set_new(inner, "index", json_integer(e->index));
	json_t *root = json_pack("{s:o}", "error", inner);
	if (!root)
		return NULL;
	char *text = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return text;
}

enum shoal_api_method shoal_api_method_from_string(const char *method)
{
	static const struct {
		const char *name;
		enum shoal_api_method m;
	} table[] = {{"GET", SHOAL_API_GET},
	             {"HEAD", SHOAL_API_HEAD},
	             {"POST", SHOAL_API_POST},
	             {"PUT", SHOAL_API_PUT},
	             {"DELETE", SHOAL_API_DELETE}};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(method, table[i].name) == 0)
			return table[i].m;
	return SHOAL_API_OTHER;
}

const char *shoal_api_allow_string(unsigned methods, char *buf, size_t size)
{
	static const char *const names[] = {"GET", "HEAD", "POST", "PUT", "DELETE"};
	size_t used = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(methods & (1u << i)))
			continue;
		int n = snprintf(buf + used, size - used, "%s%s", used ? ", " : "", names[i]);
		if (n < 0 || (size_t)n >= size - used)
			break;
		used += (size_t)n;
	}
	return buf;
}

static int request_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes src[0..len) into out (size bytes, NUL-terminated). plus_is_space for query
 * parts. Rejects bad escapes, NUL and other control characters. */
static int request_decode(const char *src, size_t len, bool plus_is_space, char *out, size_t size,
                          struct shoal_api_error *e)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)src[i];
		if (c == '%') {
			int hi = i + 2 < len ? request_hex_value(src[i + 1]) : -1;
			int lo = i + 2 < len ? request_hex_value(src[i + 2]) : -1;
			if (hi < 0 || lo < 0)
				return shoal_api_error_set(
				    e, 400, "bad_request",
				    "malformed percent-encoding in the request target");
			c = (unsigned char)(hi * 16 + lo);
			i += 2;
		} else if (c == '+' && plus_is_space) {
			c = ' ';
		}
		if (c < 0x20 || c == 0x7f)
			return shoal_api_error_set(
			    e, 400, "bad_request",
			    "control character (or NUL) in the request target");
		if (o + 1 >= size)
			return shoal_api_error_set(e, 400, "bad_request",
			                           "request target too long");
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

int shoal_api_parse_ipv4(const char *s, uint32_t *out)
{
	return shoal_ipv4_addr_parse(s, out) == SHOAL_WIRE_OK ? 0 : -1;
}

/* The stack's prefix parser (address, then length, then host bits), with the API's codes. */
int shoal_api_parse_prefix(const char *s, uint32_t *prefix, uint8_t *len, struct shoal_api_error *e)
{
	switch (shoal_ipv4_prefix_parse(s, prefix, len)) {
	case SHOAL_WIRE_OK:
		return 0;
	case SHOAL_WIRE_BAD_PREFIX_LEN:
		return shoal_api_error_set(
		    e, 400, "invalid_prefix_length", "prefix length \"%s\" in \"%s\" is not 0..32",
		    shoal_api_quote(strchr(s, '/') + 1, 16).s, shoal_api_quote(s, 64).s);
	case SHOAL_WIRE_HOST_BITS_SET: {
		/* address and length are well formed here: name the canonical prefix */
		const char *slash = strchr(s, '/');
		char addr_text[SHOAL_IPV4_ADDR_STRLEN], canon[SHOAL_IPV4_ADDR_STRLEN];
		snprintf(addr_text, sizeof(addr_text), "%.*s", (int)(slash - s), s);
		uint32_t addr = 0;
		shoal_ipv4_addr_parse(addr_text, &addr);
		unsigned l = (unsigned)strtoul(slash + 1, NULL, 10);
		return shoal_api_error_set(
		    e, 400, "invalid_prefix", "%s has host bits set; did you mean %s/%u?",
		    shoal_api_quote(s, 64).s,
		    shoal_ipv4_addr_format(addr & shoal_ipv4_prefix_mask(l), canon), l);
	}
	default:
		return shoal_api_error_set(e, 400, "invalid_prefix",
		                           "\"%s\" is not an IPv4 prefix (expected A.B.C.D/LEN)",
		                           shoal_api_quote(s, 64).s);
	}
}

int shoal_api_parse_mac(const char *s, uint8_t mac[6])
{
	struct shoal_mac m;
	if (shoal_mac_parse(s, &m) != SHOAL_WIRE_OK)
		return -1;
	memcpy(mac, m.b, sizeof(m.b));
	return 0;
}

static int request_query_parse(const char *q, struct shoal_api_target *t, struct shoal_api_error *e)
{
	while (*q) {
		size_t piece = strcspn(q, "&");
		if (piece > 0) {
			if (t->n_query == SHOAL_API_QUERY_MAX)
				return shoal_api_error_set(e, 400, "bad_request",
				                           "too many query parameters");
			struct shoal_api_query_param *p = &t->query[t->n_query];
			const char *eq = memchr(q, '=', piece);
			size_t klen = eq ? (size_t)(eq - q) : piece;
			if (request_decode(q, klen, true, p->key, sizeof(p->key), e) != 0)
				return -1;
			const char *v = eq ? eq + 1 : q + piece;
			if (request_decode(v, (size_t)(q + piece - v), true, p->value,
			                   sizeof(p->value), e) != 0)
				return -1;
			if (shoal_api_target_query(t, p->key))
				return shoal_api_error_set(e, 400, "bad_request",
				                           "query parameter \"%s\" given twice",
				                           shoal_api_quote(p->key, 64).s);
			t->n_query++;
		}
		q += piece;
		if (*q == '&')
			q++;
	}
	return 0;
}

enum {
	REQUEST_READ = SHOAL_API_GET | SHOAL_API_HEAD,
	REQUEST_ANY = SHOAL_API_GET | SHOAL_API_HEAD | SHOAL_API_POST | SHOAL_API_PUT |
	              SHOAL_API_DELETE | SHOAL_API_OTHER,
};

enum request_match { REQUEST_NO_MATCH, REQUEST_MATCH, REQUEST_BAD = -1 };

/* Typed path parameters (see api_resource.h): p is what follows the literal head. */
static enum request_match request_param_prefix(const char *p, struct shoal_api_target *t,
                                               struct shoal_api_error *e)
{
	const char *slash = strchr(p, '/');
	if (*p == '\0' || (slash && strchr(slash + 1, '/')))
		return REQUEST_NO_MATCH; /* deeper: not found */
	if (shoal_api_parse_prefix(p, &t->prefix, &t->prefix_len, e) != 0)
		return REQUEST_BAD;
	return REQUEST_MATCH;
}

static enum request_match request_param_ipv4(const char *p, struct shoal_api_target *t,
                                             struct shoal_api_error *e)
{
	if (*p == '\0' || strchr(p, '/'))
		return REQUEST_NO_MATCH;
	if (shoal_api_parse_ipv4(p, &t->ip) != 0) {
		shoal_api_error_set(e, 400, "invalid_address", "\"%s\" is not an IPv4 address",
		                    shoal_api_quote(p, 64).s);
		return REQUEST_BAD;
	}
	return REQUEST_MATCH;
}

static enum request_match request_param_plugin(const char *p, struct shoal_api_target *t,
                                               struct shoal_api_error *e)
{
	(void)e;
	if (!shoal_plugin_name_valid(p))
		return REQUEST_NO_MATCH;
	snprintf(t->name, sizeof(t->name), "%s", p);
	return REQUEST_MATCH;
}

static const struct {
	const char *name;
	enum request_match (*parse)(const char *p, struct shoal_api_target *t,
	                            struct shoal_api_error *e);
} request_params[] = {
    {"{prefix}", request_param_prefix},
    {"{ipv4}", request_param_ipv4},
    {"{plugin}", request_param_plugin},
};

static const char REQUEST_CATCH_ALL[] = "{plugin}/...";

/* Calls fn on every endpoint of the registry until it returns non-zero. */
#define REQUEST_FOR_EACH_ENDPOINT(ep)                                                              \
	for (size_t r_ = 0; r_ < shoal_api_resource_count; r_++)                                   \
		for (const struct shoal_api_endpoint *ep = shoal_api_resources[r_]->endpoints;     \
		     ep <                                                                          \
		     shoal_api_resources[r_]->endpoints + shoal_api_resources[r_]->n_endpoints;    \
		     ep++)

static void request_set(struct shoal_api_target *t, const struct shoal_api_endpoint *ep)
{
	t->kind = SHOAL_API_TARGET_ENDPOINT;
	t->endpoint = ep;
	t->methods = shoal_api_endpoint_methods(ep);
	t->needs_auth = !ep->is_public;
}

/* Whether the first segment seg[0..len) is claimed by an endpoint other than the catch-all
 * (then /api/v1/SEG/... is never a plugin's endpoint). */
static bool request_is_claimed(const char *seg, size_t len)
{
	REQUEST_FOR_EACH_ENDPOINT(ep)
	{
		if (strcmp(ep->path, REQUEST_CATCH_ALL) == 0)
			continue;
		size_t head = strcspn(ep->path, "/");
		if (head == len && memcmp(ep->path, seg, len) == 0)
			return true;
	}
	return false;
}

/* rest: the decoded path after "/api/v1/". Literal paths, then parameter paths, then the
 * plugins' catch-all. */
static int request_match_v1(const char *rest, struct shoal_api_target *t, struct shoal_api_error *e)
{
	REQUEST_FOR_EACH_ENDPOINT(ep)
	{
		if (!strchr(ep->path, '{') && strcmp(ep->path, rest) == 0) {
			request_set(t, ep);
			return 0;
		}
	}
	REQUEST_FOR_EACH_ENDPOINT(ep)
	{
		const char *brace = strchr(ep->path, '{');
		if (!brace || strcmp(ep->path, REQUEST_CATCH_ALL) == 0)
			continue;
		size_t head = (size_t)(brace - ep->path);
		if (strncmp(rest, ep->path, head) != 0)
			continue;
		for (size_t i = 0; i < sizeof(request_params) / sizeof(request_params[0]); i++) {
			if (strcmp(brace, request_params[i].name) != 0)
				continue;
			enum request_match m = request_params[i].parse(rest + head, t, e);
			if (m == REQUEST_BAD)
				return -1;
			if (m == REQUEST_MATCH)
				request_set(t, ep);
			return 0; /* the head is this endpoint's: no other may take the path */
		}
	}
	size_t seg = strcspn(rest, "/");
	if (seg == 0 || seg >= SHOAL_API_NAME_MAX || request_is_claimed(rest, seg))
		return 0;
	REQUEST_FOR_EACH_ENDPOINT(ep)
	{
		if (strcmp(ep->path, REQUEST_CATCH_ALL) != 0)
			continue;
		memcpy(t->name, rest, seg);
		t->name[seg] = '\0';
		if (!shoal_plugin_name_valid(t->name)) {
			t->name[0] = '\0';
			return 0;
		}
		t->subpath = rest[seg] == '/' ? rest + seg + 1 : rest + seg;
		request_set(t, ep);
		return 0;
	}
	return 0;
}

bool shoal_api_path_is_public(const char *path, size_t len)
{
	static const char v1[] = "/api/v1/";
	if (len < sizeof(v1) - 1 || strncmp(path, v1, sizeof(v1) - 1) != 0)
		return false;
	const char *rest = path + sizeof(v1) - 1;
	size_t n = len - (sizeof(v1) - 1);
	REQUEST_FOR_EACH_ENDPOINT(ep)
	{
		if (ep->is_public && !strchr(ep->path, '{') && strlen(ep->path) == n &&
		    strncmp(ep->path, rest, n) == 0)
			return true;
	}
	return false;
}

int shoal_api_target_parse(const char *raw, struct shoal_api_target *t, struct shoal_api_error *e)
{
	memset(t, 0, sizeof(*t));
	t->subpath = "";
	if (raw[0] != '/')
		return shoal_api_error_set(e, 400, "bad_request",
		                           "request target must be an absolute path");
	size_t path_len = strcspn(raw, "?");
	if (request_decode(raw, path_len, false, t->path, sizeof(t->path), e) != 0)
		return -1;
	if (raw[path_len] == '?' && request_query_parse(raw + path_len + 1, t, e) != 0)
		return -1;
	if (strcmp(t->path, "/api") != 0 && strncmp(t->path, "/api/", 5) != 0) {
		t->kind = SHOAL_API_TARGET_STATIC;
		t->methods = REQUEST_READ;
		return 0;
	}
	t->needs_auth = true;
	t->kind = SHOAL_API_TARGET_NOT_FOUND;
	t->methods = REQUEST_ANY;
	if (strncmp(t->path, "/api/v1/", 8) != 0)
		return 0;
	return request_match_v1(t->path + 8, t, e);
}

const char *shoal_api_target_query(const struct shoal_api_target *t, const char *key)
{
	for (size_t i = 0; i < t->n_query; i++)
		if (strcmp(t->query[i].key, key) == 0)
			return t->query[i].value;
	return NULL;
}

bool shoal_api_target_allows_query(const struct shoal_api_target *t, enum shoal_api_method method,
                                   const char *key)
{
	if (t->kind == SHOAL_API_TARGET_STATIC)
		return true;
	if (t->kind != SHOAL_API_TARGET_ENDPOINT)
		return false;
	const struct shoal_api_op *op = shoal_api_endpoint_op(t->endpoint, method);
	if (!op || !op->query)
		return false;
	if (strcmp(op->query, "*") == 0)
		return true;
	size_t klen = strlen(key);
	for (const char *q = op->query; *q;) {
		size_t n = strcspn(q, " ");
		if (n == klen && klen > 0 && strncmp(q, key, n) == 0)
			return true;
		q += n;
		q += strspn(q, " ");
	}
	return false;
}

int shoal_api_static_resolve(const char *web_root, const char *path, char *out, size_t out_size,
                             struct shoal_api_error *e)
{
	for (const char *p = path; *p;) {
		size_t seg = strcspn(p, "/");
		if ((seg == 1 && p[0] == '.') || (seg == 2 && p[0] == '.' && p[1] == '.'))
			return shoal_api_error_set(e, 400, "bad_path",
			                           "\".\" and \"..\" are not allowed in paths");
		p += seg;
		if (*p == '/')
			p++;
	}
	char candidate[PATH_MAX];
	size_t plen = strlen(path);
	const char *index = plen > 0 && path[plen - 1] == '/' ? "index.html" : "";
	int n = snprintf(candidate, sizeof(candidate), "%s%s%s", web_root, path, index);
	if (n < 0 || (size_t)n >= sizeof(candidate))
		return shoal_api_error_set(e, 404, "not_found", "no such file");
	char real[PATH_MAX];
	struct stat st;
	if (!realpath(candidate, real) || stat(real, &st) != 0 || !S_ISREG(st.st_mode))
		return shoal_api_error_set(e, 404, "not_found", "no such file: %s",
		                           shoal_api_quote(path, 200).s);
	size_t rlen = strlen(web_root);
	bool root_is_slash = rlen == 1 && web_root[0] == '/';
	if (!root_is_slash && (strncmp(real, web_root, rlen) != 0 || real[rlen] != '/'))
		return shoal_api_error_set(e, 404, "not_found", "no such file: %s",
		                           shoal_api_quote(path, 200).s);
	if (strlen(real) >= out_size)
		return shoal_api_error_set(e, 404, "not_found", "no such file: %s",
		                           shoal_api_quote(path, 200).s);
	memcpy(out, real, strlen(real) + 1);
	return 0;
}

const char *shoal_api_content_type(const char *file_name)
{
	static const struct {
		const char *ext;
		const char *type;
	} table[] = {
	    {".html", "text/html; charset=utf-8"},
	    {".htm", "text/html; charset=utf-8"},
	    {".css", "text/css; charset=utf-8"},
	    {".js", "text/javascript; charset=utf-8"},
	    {".json", "application/json"},
	    {".yaml", "application/yaml"},
	    {".svg", "image/svg+xml"},
	    {".png", "image/png"},
	    {".ico", "image/x-icon"},
	    {".txt", "text/plain; charset=utf-8"},
	};
	const char *dot = strrchr(file_name, '.');
	const char *slash = strrchr(file_name, '/');
	if (dot && (!slash || dot > slash))
		for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
			if (strcmp(dot, table[i].ext) == 0)
				return table[i].type;
	return "application/octet-stream";
}
