/* state.c — the state.json reader (migration to state.db) and the durable text writer;
 * contract in include/shoal/state.h. */
#include "shoal/state.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shoal/ethernet.h"
#include "shoal/ipv4.h"
#include "shoal/wire.h"

enum { STATE_FILE_MAX = 64 * 1024 * 1024 };

void shoal_state_free(struct shoal_state *s)
{
	for (size_t i = 0; i < s->n_records; i++) {
		free(s->records[i].key);
		free(s->records[i].value);
	}
	free(s->records);
	free(s->arp);
	free(s->deleted);
	free(s->routes);
	memset(s, 0, sizeof(*s));
}

/* Grows *arr (of n elements of size sz) by one; returns the new slot or NULL. */
static void *state_array_grow(void **arr, size_t *n, size_t sz)
{
	void *p = realloc(*arr, (*n + 1) * sz);
	if (!p)
		return NULL;
	*arr = p;
	return (char *)p + (*n)++ * sz;
}

int shoal_state_add_route(struct shoal_state *s, const struct shoal_state_route *r)
{
	struct shoal_state_route *slot =
	    state_array_grow((void **)&s->routes, &s->n_routes, sizeof(*r));
	if (!slot)
		return -ENOMEM;
	*slot = *r;
	return 0;
}

int shoal_state_add_deleted(struct shoal_state *s, uint32_t prefix, uint8_t prefix_len)
{
	struct shoal_state_prefix *slot =
	    state_array_grow((void **)&s->deleted, &s->n_deleted, sizeof(*slot));
	if (!slot)
		return -ENOMEM;
	*slot = (struct shoal_state_prefix){.prefix = prefix, .prefix_len = prefix_len};
	return 0;
}

int shoal_state_add_record(struct shoal_state *s, const char *plugin, const char *key,
                           const void *value, size_t len)
{
	size_t pl = plugin ? strlen(plugin) : 0, kl = key ? strlen(key) : 0;
	if (pl == 0 || pl >= sizeof(s->records[0].plugin) || kl == 0 ||
	    kl >= SHOAL_STATE_RECORD_KEY_MAX || len > SHOAL_STATE_RECORD_VALUE_MAX ||
	    (len && !value))
		return -EINVAL;
	char *k = strdup(key);
	void *v = malloc(len ? len : 1);
	struct shoal_state_record *slot =
	    k && v ? state_array_grow((void **)&s->records, &s->n_records, sizeof(*slot)) : NULL;
	if (!slot) {
		free(k);
		free(v);
		return -ENOMEM;
	}
	memcpy(slot->plugin, plugin, pl + 1);
	if (len)
		memcpy(v, value, len);
	slot->key = k;
	slot->value = v;
	slot->len = len;
	return 0;
}

int shoal_state_add_arp(struct shoal_state *s, const struct shoal_state_arp *a)
{
	struct shoal_state_arp *slot = state_array_grow((void **)&s->arp, &s->n_arp, sizeof(*a));
	if (!slot)
		return -ENOMEM;
	*slot = *a;
	return 0;
}

/* ---------- reader ---------- */

struct state_ctx {
	const char *name;
	char *err;
	size_t err_size;
	bool failed;
};

static void state_fail(struct state_ctx *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void state_fail(struct state_ctx *c, const char *path, const char *fmt, ...)
{
	if (c->failed)
		return; /* the first error is the one reported */
	c->failed = true;
	if (c->err_size == 0)
		return;
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(c->err, c->err_size, "%s: %s: %s", c->name, path, what);
}

/* Checks that object o has only the listed keys. */
static void state_keys_check(struct state_ctx *c, json_t *o, const char *path,
                             const char *const *keys)
{
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v)
	{
		bool known = false;
		for (const char *const *p = keys; *p; p++)
			known = known || strcmp(*p, k) == 0;
		if (!known)
			state_fail(c, path, "unknown key \"%s\"", k);
	}
}

static const char *state_string(struct state_ctx *c, json_t *o, const char *key, const char *path,
                                bool required)
{
	json_t *v = json_object_get(o, key);
	if (!v) {
		if (required)
			state_fail(c, path, "missing \"%s\"", key);
		return NULL;
	}
	if (!json_is_string(v)) {
		state_fail(c, path, "\"%s\" must be a string", key);
		return NULL;
	}
	return json_string_value(v);
}

static void state_prefix_get(struct state_ctx *c, const char *text, const char *path,
                             uint32_t *prefix, uint8_t *len)
{
	enum shoal_wire_status ws = shoal_ipv4_prefix_parse(text, prefix, len);
	if (ws == SHOAL_WIRE_HOST_BITS_SET)
		state_fail(c, path, "\"%s\" has host bits set", text);
	else if (ws != SHOAL_WIRE_OK)
		state_fail(c, path, "\"%s\" is not an IPv4 prefix", text);
}

static void state_ifname_get(struct state_ctx *c, const char *text, const char *path, char *out)
{
	size_t n = strlen(text);
	if (n == 0 || n >= SHOAL_STATE_IFNAME_MAX) {
		state_fail(c, path, "interface name \"%s\" must have 1..15 characters", text);
		return;
	}
	memcpy(out, text, n + 1);
}

static void state_parse_route(struct state_ctx *c, struct shoal_state *s, json_t *o,
                              const char *path)
{
	static const char *const keys[] = {"prefix", "next_hop", "interface", NULL};
	if (!json_is_object(o)) {
		state_fail(c, path, "must be an object");
		return;
	}
	state_keys_check(c, o, path, keys);
	struct shoal_state_route r = {0};
	const char *p = state_string(c, o, "prefix", path, true);
	if (p)
		state_prefix_get(c, p, path, &r.prefix, &r.prefix_len);
	const char *nh = state_string(c, o, "next_hop", path, false);
	if (nh) {
		r.has_next_hop = true;
		if (shoal_ipv4_addr_parse(nh, &r.next_hop) != SHOAL_WIRE_OK)
			state_fail(c, path, "next_hop \"%s\" is not an IPv4 address", nh);
	}
	const char *ifn = state_string(c, o, "interface", path, false);
	if (ifn)
		state_ifname_get(c, ifn, path, r.interface);
	if (!nh && !ifn)
		state_fail(c, path, "needs \"next_hop\" or \"interface\"");
	if (!c->failed && shoal_state_add_route(s, &r) < 0)
		state_fail(c, path, "out of memory");
}

static void state_parse_arp(struct state_ctx *c, struct shoal_state *s, json_t *o, const char *path)
{
	static const char *const keys[] = {"interface", "ip", "mac", NULL};
	if (!json_is_object(o)) {
		state_fail(c, path, "must be an object");
		return;
	}
	state_keys_check(c, o, path, keys);
	struct shoal_state_arp a = {0};
	const char *ifn = state_string(c, o, "interface", path, true);
	if (ifn)
		state_ifname_get(c, ifn, path, a.interface);
	const char *ip = state_string(c, o, "ip", path, true);
	if (ip && shoal_ipv4_addr_parse(ip, &a.ip) != SHOAL_WIRE_OK)
		state_fail(c, path, "ip \"%s\" is not an IPv4 address", ip);
	const char *mac = state_string(c, o, "mac", path, true);
	struct shoal_mac m;
	if (mac && shoal_mac_parse(mac, &m) != SHOAL_WIRE_OK)
		state_fail(c, path, "mac \"%s\" is not a MAC address", mac);
	else if (mac)
		memcpy(a.mac, m.b, sizeof(a.mac));
	if (!c->failed && shoal_state_add_arp(s, &a) < 0)
		state_fail(c, path, "out of memory");
}

static json_t *state_array(struct state_ctx *c, json_t *root, const char *key)
{
	json_t *v = json_object_get(root, key);
	if (v && !json_is_array(v)) {
		state_fail(c, key, "must be an array");
		return NULL;
	}
	return v;
}

static void state_parse_root(struct state_ctx *c, struct shoal_state *s, json_t *root)
{
	static const char *const keys[] = {"version", "routes", "deleted_routes", "arp", NULL};
	if (!json_is_object(root)) {
		state_fail(c, "(top)", "must be an object");
		return;
	}
	state_keys_check(c, root, "(top)", keys);
	json_t *v = json_object_get(root, "version");
	if (!v)
		state_fail(c, "(top)", "missing \"version\"");
	else if (!json_is_integer(v) || json_integer_value(v) != SHOAL_STATE_VERSION)
		state_fail(c, "version", "unsupported version (this shoald reads version %d)",
		           SHOAL_STATE_VERSION);
	char path[64];
	size_t i;
	json_t *e;
	json_t *a = state_array(c, root, "routes");
	json_array_foreach(a, i, e)
	{
		snprintf(path, sizeof(path), "routes[%zu]", i);
		state_parse_route(c, s, e, path);
	}
	a = state_array(c, root, "deleted_routes");
	json_array_foreach(a, i, e)
	{
		snprintf(path, sizeof(path), "deleted_routes[%zu]", i);
		if (!json_is_string(e)) {
			state_fail(c, path, "must be a prefix string");
			continue;
		}
		uint32_t p = 0;
		uint8_t l = 0;
		state_prefix_get(c, json_string_value(e), path, &p, &l);
		if (!c->failed && shoal_state_add_deleted(s, p, l) < 0)
			state_fail(c, path, "out of memory");
	}
	a = state_array(c, root, "arp");
	json_array_foreach(a, i, e)
	{
		snprintf(path, sizeof(path), "arp[%zu]", i);
		state_parse_arp(c, s, e, path);
	}
}

int shoal_state_parse(const char *text, size_t len, const char *name, struct shoal_state *s,
                      char *err, size_t err_size)
{
	struct state_ctx c = {.name = name, .err = err, .err_size = err_size};
	json_error_t je;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		if (err_size)
			snprintf(err, err_size, "%s:%d:%d: %s", name, je.line, je.column, je.text);
		return -1;
	}
	state_parse_root(&c, s, root);
	json_decref(root);
	if (c.failed) {
		shoal_state_free(s);
		return -1;
	}
	return 0;
}

int shoal_state_read(const char *path, struct shoal_state *s, bool *missing, char *err,
                     size_t err_size)
{
	if (missing)
		*missing = false;
	FILE *f = fopen(path, "rb");
	if (!f) {
		if (errno == ENOENT) {
			if (missing)
				*missing = true;
			return 0;
		}
		snprintf(err, err_size, "%s: %s", path, strerror(errno));
		return -1;
	}
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int rc = 0;
	for (;;) {
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 4096;
			char *nb = ncap <= STATE_FILE_MAX ? realloc(buf, ncap) : NULL;
			if (!nb) {
				snprintf(err, err_size, "%s: too large or out of memory", path);
				rc = -1;
				break;
			}
			buf = nb;
			cap = ncap;
		}
		size_t got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0) {
			if (ferror(f)) {
				snprintf(err, err_size, "%s: %s", path, strerror(errno));
				rc = -1;
			}
			break;
		}
	}
	fclose(f);
	if (rc == 0)
		rc = shoal_state_parse(buf, len, path, s, err, err_size);
	free(buf);
	return rc;
}

static int state_write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Splits path into its directory ("." when none) in dir. */
static int state_dir_of(const char *path, char *dir, size_t size)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return snprintf(dir, size, ".") < (int)size ? 0 : -1;
	size_t n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= size)
		return -1;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return 0;
}

int shoal_state_write_text(const char *path, const char *text, char *err, size_t err_size)
{
	char dir[4096], tmp[4096 + 32];
	if (state_dir_of(path, dir, sizeof(dir)) < 0 ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp)) {
		snprintf(err, err_size, "%s: path too long", path);
		return -1;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, err_size, "%s: cannot create %s: %s", path, dir, strerror(errno));
		return -1;
	}
	const char *what = NULL;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		what = "create";
	else if (state_write_all(fd, text, strlen(text)) < 0)
		what = "write";
	else if (fsync(fd) < 0)
		what = "fsync";
	int saved = errno;
	if (fd >= 0 && close(fd) < 0 && !what) {
		what = "close";
		saved = errno;
	}
	if (!what && rename(tmp, path) < 0) {
		what = "rename";
		saved = errno;
	}
	if (what) {
		unlink(tmp);
		snprintf(err, err_size, "%s: %s: %s", path, what, strerror(saved));
		return -1;
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0) {
		saved = errno;
		if (dfd >= 0)
			close(dfd);
		snprintf(err, err_size, "%s: fsync of %s: %s", path, dir, strerror(saved));
		return -1;
	}
	close(dfd);
	return 0;
}
