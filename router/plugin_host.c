/* plugin_host.c — dlopen-based plugin host. Contract: include/shoal/plugin_host.h. */
#include "shoal/plugin_host.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

enum { PLUGIN_HOST_INIT_ERR_SIZE = 256, PLUGIN_HOST_LOG_SIZE = 512 };

/* One loaded (or loading) plugin; struct shoal_host is the handle plugins see. */
struct shoal_host {
	struct shoal_plugin_host *ph;
	void *dl;
	const struct shoal_plugin_descriptor *desc;
	void *state;
	char *path;
	json_t *config;
	bool in_init;
	char init_err[PLUGIN_HOST_INIT_ERR_SIZE];
	shoal_plugin_hook_fn hooks[SHOAL_PLUGIN_HOOK_COUNT_];
	uint64_t hook_calls[SHOAL_PLUGIN_HOOK_COUNT_];
	uint64_t verdicts[SHOAL_PLUGIN_HOOK_COUNT_][3];
	uint64_t hook_packets[SHOAL_PLUGIN_HOOK_COUNT_],
	    hook_ns[SHOAL_PLUGIN_HOOK_COUNT_]; /* sampled */
	size_t counter_count;
	struct shoal_plugin_stat counters[SHOAL_PLUGIN_HOST_MAX_COUNTERS];
	size_t drop_count;
	struct shoal_plugin_stat drops[SHOAL_PLUGIN_HOST_MAX_DROP_REASONS];
	size_t n_fds; /* fds this plugin watches (entries of ph->fds owned by it) */
	int timer_fd; /* -1 until the first timer_set */
	void (*timer_cb)(void *state, uint64_t now_ms);
	bool metrics_set; /* ABI 1.3: api->metrics_options called */
	bool metrics_public;
	int64_t metrics_route_limit;
	uint64_t load_id; /* ABI 1.4: 1, 2, ... in load order (input_datagram resumes after it) */
	uint64_t inputs, inputs_refused; /* ABI 1.4: input_datagram calls accepted / refused */
};

/* A watched plugin fd; ph->fds is indexed by fd number. */
struct plugin_fd {
	struct shoal_host *owner; /* NULL: free */
	void (*cb)(void *state, int fd, uint32_t events);
};

struct shoal_plugin_host {
	bool sample; /* time hook calls (the data plane's sampled packet) */
	char *plugin_dir;
	struct shoal_plugin_host_env env;
	size_t count;
	struct shoal_host *plugins[SHOAL_PLUGIN_HOST_MAX_PLUGINS];
	struct plugin_fd *fds; /* grown on demand up to SHOAL_PLUGIN_HOST_MAX_FD entries */
	size_t fds_cap;
	struct shoal_state records;         /* only n_records/records: every plugin's records */
	struct shoal_host *http_caller;     /* the plugin in http_request (store_put allowed) */
	struct shoal_plugin_staged *staged; /* what the current/last http call staged */
	uint64_t last_load_id;              /* ABI 1.4: the load_id given last */
};

bool shoal_plugin_name_valid(const char *name)
{
	if (!name)
		return false;
	size_t n = strlen(name);
	if (n == 0 || n >= SHOAL_PLUGIN_HOST_NAME_SIZE)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

static const char *plugin_host_label(const struct shoal_host *h)
{
	return h->desc && h->desc->name ? h->desc->name : "?";
}

static void plugin_host_log_emit(struct shoal_plugin_host *ph, enum shoal_log_level level,
                                 const char *plugin, const char *msg)
{
	if (ph->env.log) {
		ph->env.log(ph->env.user, level, plugin, msg);
		return;
	}
	static const char *const names[] = {"error", "warn", "info", "debug"};
	fprintf(stderr, "shoald: %s: plugin %s: %s\n", names[level <= SHOAL_LOG_DEBUG ? level : 3],
	        plugin ? plugin : "-", msg);
}

/* ---- the host API given to plugins ---- */

__attribute__((format(printf, 3, 4))) static void
plugin_api_log(struct shoal_host *h, enum shoal_log_level level, const char *fmt, ...)
{
	char msg[PLUGIN_HOST_LOG_SIZE];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	plugin_host_log_emit(h->ph, level, plugin_host_label(h), msg);
}

__attribute__((format(printf, 2, 3))) static void plugin_api_error(struct shoal_host *h,
                                                                   const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(h->init_err, sizeof(h->init_err), fmt, ap);
	va_end(ap);
	if (!h->in_init)
		plugin_host_log_emit(h->ph, SHOAL_LOG_ERROR, plugin_host_label(h), h->init_err);
}

static int plugin_stat_add(struct shoal_plugin_stat *arr, size_t *count, size_t max,
                           const char *name, const char *description)
{
	if (!shoal_plugin_name_valid(name))
		return -EINVAL;
	for (size_t i = 0; i < *count; i++)
		if (strcmp(arr[i].name, name) == 0)
			return -EEXIST;
	if (*count >= max)
		return -ENOSPC;
	char *desc = strdup(description ? description : "");
	if (!desc)
		return -ENOMEM;
	struct shoal_plugin_stat *s = &arr[*count];
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->description = desc;
	s->value = 0;
	return (int)(*count)++;
}

static int plugin_api_drop_reason_register(struct shoal_host *h, const char *name,
                                           const char *description)
{
	return plugin_stat_add(h->drops, &h->drop_count, SHOAL_PLUGIN_HOST_MAX_DROP_REASONS, name,
	                       description);
}

static int plugin_api_counter_register(struct shoal_host *h, const char *name,
                                       const char *description, uint64_t **counter)
{
	int idx = plugin_stat_add(h->counters, &h->counter_count, SHOAL_PLUGIN_HOST_MAX_COUNTERS,
	                          name, description);
	if (idx < 0)
		return idx;
	*counter = &h->counters[idx].value;
	return 0;
}

static int plugin_api_send_datagram(struct shoal_host *h, const uint8_t *datagram, size_t len)
{
	struct shoal_plugin_host *ph = h->ph;
	if (!ph->env.send_datagram)
		return -ENOTSUP;
	return ph->env.send_datagram(ph->env.user, datagram, len);
}

static int plugin_api_output_datagram(struct shoal_host *h, uint32_t ifindex, uint32_t next_hop,
                                      const uint8_t *datagram, size_t len)
{
	struct shoal_plugin_host *ph = h->ph;
	if (!ph->env.output_datagram)
		return -ENOTSUP;
	return ph->env.output_datagram(ph->env.user, ifindex, next_hop, datagram, len);
}

/* ABI 1.4: queued for the receive pipeline, resuming after this plugin's ingress hook. */
static int plugin_api_input_datagram(struct shoal_host *h, uint32_t ifindex,
                                     const uint8_t *datagram, size_t len)
{
	struct shoal_plugin_host *ph = h->ph;
	int rc = ph->env.input_datagram
	             ? ph->env.input_datagram(ph->env.user, ifindex, h->load_id, datagram, len)
	             : -ENOTSUP;
	if (rc < 0)
		h->inputs_refused++;
	else
		h->inputs++;
	return rc;
}

static uint64_t plugin_api_now_ms(struct shoal_host *h)
{
	struct shoal_plugin_host *ph = h->ph;
	if (ph->env.now_ms)
		return ph->env.now_ms(ph->env.user);
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static const char *plugin_api_config_string(struct shoal_host *h, const char *key)
{
	return json_string_value(json_object_get(h->config, key));
}

static int plugin_api_config_int(struct shoal_host *h, const char *key, int64_t *out)
{
	json_t *v = json_object_get(h->config, key);
	if (!v)
		return -ENOENT;
	if (!json_is_integer(v))
		return -EINVAL;
	*out = (int64_t)json_integer_value(v);
	return 0;
}

/* ---- ABI 1.2: fds, timer, randomness, interfaces ---- */

static uint32_t plugin_fd_events_to_epoll(uint32_t ev)
{
	return ((ev & SHOAL_FD_READ) ? (uint32_t)EPOLLIN : 0u) |
	       ((ev & SHOAL_FD_WRITE) ? (uint32_t)EPOLLOUT : 0u);
}

static void plugin_fd_dispatch(void *arg, int fd, uint32_t epoll_events)
{
	struct shoal_plugin_host *ph = arg;
	if (fd < 0 || (size_t)fd >= ph->fds_cap || !ph->fds[fd].owner)
		return;
	struct plugin_fd *pf = &ph->fds[fd];
	uint32_t ev =
	    ((epoll_events & EPOLLIN) ? SHOAL_FD_READ : 0u) |
	    ((epoll_events & EPOLLOUT) ? SHOAL_FD_WRITE : 0u) |
	    ((epoll_events & (EPOLLERR | EPOLLHUP)) ? SHOAL_FD_ERROR | SHOAL_FD_READ : 0u);
	pf->cb(pf->owner->state, fd, ev);
	if (ph->env.after_callback)
		ph->env.after_callback(ph->env.user);
}

static int plugin_fds_reserve(struct shoal_plugin_host *ph, int fd)
{
	if ((size_t)fd < ph->fds_cap)
		return 0;
	size_t cap = ph->fds_cap ? ph->fds_cap : 64;
	while (cap <= (size_t)fd)
		cap *= 2;
	struct plugin_fd *n = realloc(ph->fds, cap * sizeof(*n));
	if (!n)
		return -ENOMEM;
	memset(n + ph->fds_cap, 0, (cap - ph->fds_cap) * sizeof(*n));
	ph->fds = n;
	ph->fds_cap = cap;
	return 0;
}

static int plugin_api_fd_watch(struct shoal_host *h, int fd, uint32_t events,
                               void (*cb)(void *state, int fd, uint32_t events))
{
	struct shoal_plugin_host *ph = h->ph;
	if (!ph->env.fd_watch)
		return -ENOTSUP;
	if (fd < 0 || fd >= SHOAL_PLUGIN_HOST_MAX_FD || !cb ||
	    (events & ~(uint32_t)(SHOAL_FD_READ | SHOAL_FD_WRITE)) != 0)
		return -EINVAL;
	if (fd == h->timer_fd)
		return -EEXIST;
	int rc = plugin_fds_reserve(ph, fd);
	if (rc < 0)
		return rc;
	struct plugin_fd *pf = &ph->fds[fd];
	if (pf->owner && pf->owner != h)
		return -EEXIST;
	if (!pf->owner && h->n_fds >= SHOAL_PLUGIN_FD_MAX)
		return -ENOSPC;
	uint32_t ev = plugin_fd_events_to_epoll(events);
	rc = pf->owner ? (ph->env.fd_modify ? ph->env.fd_modify(ph->env.user, fd, ev) : -ENOTSUP)
	               : ph->env.fd_watch(ph->env.user, fd, ev, plugin_fd_dispatch, ph);
	if (rc < 0)
		return rc;
	if (!pf->owner)
		h->n_fds++;
	pf->owner = h;
	pf->cb = cb;
	return 0;
}

static int plugin_api_fd_unwatch(struct shoal_host *h, int fd)
{
	struct shoal_plugin_host *ph = h->ph;
	if (fd < 0 || (size_t)fd >= ph->fds_cap || ph->fds[fd].owner != h)
		return -ENOENT;
	if (ph->env.fd_unwatch)
		ph->env.fd_unwatch(ph->env.user, fd);
	ph->fds[fd].owner = NULL;
	h->n_fds--;
	return 0;
}

static uint64_t plugin_api_now_ms(struct shoal_host *h);

static void plugin_timer_fired(void *arg, int fd, uint32_t events)
{
	(void)events;
	struct shoal_host *h = arg;
	uint64_t expirations;
	if (read(fd, &expirations, sizeof(expirations)) != (ssize_t)sizeof(expirations))
		return; /* spurious wake-up, or re-armed since */
	void (*cb)(void *, uint64_t) = h->timer_cb;
	h->timer_cb = NULL;
	if (cb)
		cb(h->state, plugin_api_now_ms(h));
	if (cb && h->ph->env.after_callback)
		h->ph->env.after_callback(h->ph->env.user);
}

static int plugin_api_timer_set(struct shoal_host *h, uint64_t at_ms,
                                void (*cb)(void *state, uint64_t now_ms))
{
	struct shoal_plugin_host *ph = h->ph;
	if (!ph->env.fd_watch)
		return -ENOTSUP;
	if (at_ms != 0 && !cb)
		return -EINVAL;
	if (h->timer_fd < 0) {
		if (at_ms == 0)
			return 0;
		int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		if (fd < 0)
			return -errno;
		int rc = ph->env.fd_watch(ph->env.user, fd, EPOLLIN, plugin_timer_fired, h);
		if (rc < 0) {
			close(fd);
			return rc;
		}
		h->timer_fd = fd;
	}
	struct itimerspec its = {0};
	if (at_ms != 0) {
		uint64_t now = plugin_api_now_ms(h);
		uint64_t delay_ns = at_ms > now ? (at_ms - now) * 1000000u : 1u;
		its.it_value.tv_sec = (time_t)(delay_ns / 1000000000u);
		its.it_value.tv_nsec = (long)(delay_ns % 1000000000u);
	}
	if (timerfd_settime(h->timer_fd, 0, &its, NULL) < 0)
		return -errno;
	h->timer_cb = at_ms != 0 ? cb : NULL;
	return 0;
}

static int plugin_api_random_bytes(struct shoal_host *h, void *buf, size_t len)
{
	(void)h;
	uint8_t *p = buf;
	while (len > 0) {
		ssize_t n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int plugin_api_interface_info(struct shoal_host *h, uint32_t ifindex,
                                     struct shoal_interface_info *out)
{
	struct shoal_plugin_host *ph = h->ph;
	if (!ph->env.interface_info || ifindex == 0)
		return -ENOENT;
	return ph->env.interface_info(ph->env.user, ifindex, out);
}

static int plugin_api_interface_index(struct shoal_host *h, const char *name)
{
	struct shoal_interface_info info;
	for (uint32_t i = 1; plugin_api_interface_info(h, i, &info) == 0; i++)
		if (name && strncmp(info.name, name, sizeof(info.name)) == 0)
			return (int)i;
	return -ENOENT;
}

static int plugin_api_interface_counters(struct shoal_host *h, uint32_t ifindex,
                                         struct shoal_interface_counters *out)
{
	struct shoal_plugin_host *ph = h->ph;
	if (!ph->env.interface_counters || ifindex == 0)
		return -ENOENT;
	return ph->env.interface_counters(ph->env.user, ifindex, out);
}

static int plugin_api_runtime_stage(struct shoal_host *h, uint32_t index,
                                    struct shoal_runtime_stage *out)
{
	struct shoal_plugin_host *ph = h->ph;
	if (!ph->env.runtime_stage)
		return -ENOENT;
	return ph->env.runtime_stage(ph->env.user, index, out);
}

static int plugin_api_counter(struct shoal_host *h, uint32_t index, struct shoal_counter *out)
{
	struct shoal_plugin_host *ph = h->ph;
	if (!ph->env.counter)
		return -ENOENT;
	return ph->env.counter(ph->env.user, index, out);
}

static int plugin_api_runtime_hook(struct shoal_host *h, uint32_t index,
                                   struct shoal_runtime_hook *out)
{
	return shoal_plugin_host_runtime_hook(h->ph, index, out);
}

static int plugin_api_runtime_enable(struct shoal_host *h, int on)
{
	struct shoal_plugin_host *ph = h->ph;
	if (!ph->env.runtime_enable)
		return -ENOTSUP;
	ph->env.runtime_enable(ph->env.user, on != 0);
	return 0;
}

static void plugin_api_metrics_options(struct shoal_host *h, int public_, int64_t route_limit)
{
	h->metrics_set = true;
	h->metrics_public = public_ != 0;
	h->metrics_route_limit = route_limit < -1 ? -1 : route_limit;
}

/* ---- durable records (ABI 1.3) ---- */

static struct shoal_host *plugin_host_find(const struct shoal_plugin_host *ph, const char *name,
                                           size_t *index);

static bool plugin_record_key_valid(const char *key)
{
	size_t n = key ? strlen(key) : 0;
	if (n == 0 || n >= SHOAL_PLUGIN_RECORD_KEY_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = key[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '/' || c == ':' || c == '-'))
			return false;
	}
	return true;
}

/* Index of (plugin, key) in ph->records, or -1. */
static long plugin_record_find(const struct shoal_plugin_host *ph, const char *plugin,
                               const char *key)
{
	for (size_t i = 0; i < ph->records.n_records; i++)
		if (strcmp(ph->records.records[i].plugin, plugin) == 0 &&
		    strcmp(ph->records.records[i].key, key) == 0)
			return (long)i;
	return -1;
}

static void plugin_record_remove(struct shoal_plugin_host *ph, size_t i)
{
	struct shoal_state_record *r = ph->records.records;
	free(r[i].key);
	free(r[i].value);
	r[i] = r[--ph->records.n_records];
}

/* Sets (value != NULL) or removes the record in ph->records. 0 or -ENOMEM. */
static int plugin_record_set(struct shoal_plugin_host *ph, const char *plugin, const char *key,
                             const void *value, size_t len)
{
	long i = plugin_record_find(ph, plugin, key);
	if (!value) {
		if (i >= 0)
			plugin_record_remove(ph, (size_t)i);
		return 0;
	}
	if (i < 0)
		return shoal_state_add_record(&ph->records, plugin, key, value, len) < 0 ? -ENOMEM
		                                                                         : 0;
	void *v = malloc(len ? len : 1);
	if (!v)
		return -ENOMEM;
	if (len)
		memcpy(v, value, len);
	free(ph->records.records[i].value);
	ph->records.records[i].value = v;
	ph->records.records[i].len = len;
	return 0;
}

static int plugin_staged_copy(struct shoal_state_record *out, const char *plugin, const char *key,
                              const void *value, size_t len)
{
	snprintf(out->plugin, sizeof(out->plugin), "%s", plugin);
	out->key = strdup(key);
	out->value = malloc(len ? len : 1);
	out->len = len;
	if (!out->key || !out->value)
		return -ENOMEM;
	if (len)
		memcpy(out->value, value, len);
	return 0;
}

void shoal_plugin_staged_free(struct shoal_plugin_staged *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->n; i++) {
		free(st->r[i].now.key);
		free(st->r[i].now.value);
		free(st->r[i].before.key);
		free(st->r[i].before.value);
	}
	free(st->r);
	free(st);
}

static int plugin_api_store_put(struct shoal_host *h, const char *key, const void *value,
                                size_t len)
{
	struct shoal_plugin_host *ph = h->ph;
	if (ph->http_caller != h)
		return -EPERM;
	if (!plugin_record_key_valid(key) || len > SHOAL_PLUGIN_RECORD_VALUE_MAX ||
	    (value == NULL && len != 0))
		return -EINVAL;
	const char *name = h->desc->name;
	long i = plugin_record_find(ph, name, key);
	if (value && i < 0) {
		size_t mine = 0;
		for (size_t k = 0; k < ph->records.n_records; k++)
			mine += strcmp(ph->records.records[k].plugin, name) == 0;
		if (mine >= SHOAL_PLUGIN_RECORD_MAX)
			return -ENOSPC;
	}
	if (!ph->staged && !(ph->staged = calloc(1, sizeof(*ph->staged))))
		return -ENOMEM;
	struct shoal_plugin_staged *st = ph->staged;
	struct shoal_plugin_staged_record *grown = realloc(st->r, (st->n + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	st->r = grown;
	struct shoal_plugin_staged_record *r = &st->r[st->n];
	memset(r, 0, sizeof(*r));
	const struct shoal_state_record *old = i >= 0 ? &ph->records.records[i] : NULL;
	r->now_deleted = value == NULL;
	r->before_deleted = old == NULL;
	if (plugin_staged_copy(&r->now, name, key, value, len) < 0 ||
	    plugin_staged_copy(&r->before, name, key, old ? old->value : NULL, old ? old->len : 0) <
	        0 ||
	    plugin_record_set(ph, name, key, value, len) < 0) {
		free(r->now.key);
		free(r->now.value);
		free(r->before.key);
		free(r->before.value);
		return -ENOMEM;
	}
	st->n++;
	return 0;
}

/* Hands plugin h every record the host holds for it (after init). */
static void plugin_records_load(struct shoal_host *h)
{
	struct shoal_plugin_host *ph = h->ph;
	if (h->desc->abi_minor < 3 || !h->desc->store_load)
		return;
	for (size_t i = 0; i < ph->records.n_records; i++) {
		const struct shoal_state_record *r = &ph->records.records[i];
		if (strcmp(r->plugin, h->desc->name) != 0)
			continue;
		int rc = h->desc->store_load(h->state, r->key, r->value, r->len);
		if (rc < 0) {
			char msg[PLUGIN_HOST_LOG_SIZE];
			snprintf(msg, sizeof(msg),
			         "stored record \"%s\" refused (%s); kept on disk", r->key,
			         strerror(-rc));
			plugin_host_log_emit(ph, SHOAL_LOG_WARN, h->desc->name, msg);
		}
	}
}

int shoal_plugin_host_records_restore(struct shoal_plugin_host *ph, const struct shoal_state *s)
{
	struct shoal_state copy = {0};
	for (size_t i = 0; i < s->n_records; i++) {
		const struct shoal_state_record *r = &s->records[i];
		if (shoal_state_add_record(&copy, r->plugin, r->key, r->value, r->len) < 0) {
			shoal_state_free(&copy);
			return -ENOMEM;
		}
	}
	shoal_state_free(&ph->records);
	ph->records = copy;
	for (size_t i = 0; i < ph->count; i++)
		plugin_records_load(ph->plugins[i]);
	return 0;
}

struct shoal_plugin_staged *shoal_plugin_host_staged_take(struct shoal_plugin_host *ph)
{
	struct shoal_plugin_staged *st = ph->staged;
	ph->staged = NULL;
	return st;
}

int shoal_plugin_host_staged_undo(struct shoal_plugin_host *ph,
                                  const struct shoal_plugin_staged *st)
{
	int rc = 0;
	for (size_t i = st ? st->n : 0; i-- > 0;) {
		const struct shoal_plugin_staged_record *r = &st->r[i];
		const void *v = r->before_deleted ? NULL : r->before.value;
		if (plugin_record_set(ph, r->before.plugin, r->before.key, v, r->before.len) < 0)
			rc = -ENOMEM;
		struct shoal_host *h = plugin_host_find(ph, r->before.plugin, NULL);
		if (h && h->desc->abi_minor >= 3 && h->desc->store_load &&
		    h->desc->store_load(h->state, r->before.key, v, v ? r->before.len : 0) < 0)
			rc = -EIO;
	}
	return rc;
}

static const struct shoal_host_api plugin_host_api = {
    .abi_major = SHOAL_PLUGIN_ABI_MAJOR,
    .abi_minor = SHOAL_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(struct shoal_host_api),
    .log = plugin_api_log,
    .error = plugin_api_error,
    .drop_reason_register = plugin_api_drop_reason_register,
    .counter_register = plugin_api_counter_register,
    .send_datagram = plugin_api_send_datagram,
    .now_ms = plugin_api_now_ms,
    .config_string = plugin_api_config_string,
    .config_int = plugin_api_config_int,
    .http_body_max = SHOAL_PLUGIN_HOST_HTTP_BODY_MAX,
    .fd_watch = plugin_api_fd_watch,
    .fd_unwatch = plugin_api_fd_unwatch,
    .timer_set = plugin_api_timer_set,
    .random_bytes = plugin_api_random_bytes,
    .interface_info = plugin_api_interface_info,
    .interface_index = plugin_api_interface_index,
    .output_datagram = plugin_api_output_datagram,
    .interface_counters = plugin_api_interface_counters,
    .runtime_stage = plugin_api_runtime_stage,
    .runtime_enable = plugin_api_runtime_enable,
    .counter = plugin_api_counter,
    .runtime_hook = plugin_api_runtime_hook,
    .metrics_options = plugin_api_metrics_options,
    .store_put = plugin_api_store_put,
    .input_datagram = plugin_api_input_datagram,
};

/* ---- host ---- */

struct shoal_plugin_host *shoal_plugin_host_create(const char *plugin_dir,
                                                   const struct shoal_plugin_host_env *env)
{
	struct shoal_plugin_host *ph = calloc(1, sizeof(*ph));
	if (!ph)
		return NULL;
	if (plugin_dir) {
		ph->plugin_dir = strdup(plugin_dir);
		if (!ph->plugin_dir) {
			free(ph);
			return NULL;
		}
	}
	if (env)
		ph->env = *env;
	return ph;
}

/* Frees a slot: registrations (rollback), config, path; dlclose()s the object. */
static void plugin_slot_free(struct shoal_host *h)
{
	struct shoal_plugin_host *ph = h->ph;
	for (size_t fd = 0; h->n_fds > 0 && fd < ph->fds_cap; fd++)
		if (ph->fds[fd].owner == h)
			plugin_api_fd_unwatch(h, (int)fd);
	if (h->timer_fd >= 0) {
		if (ph->env.fd_unwatch)
			ph->env.fd_unwatch(ph->env.user, h->timer_fd);
		close(h->timer_fd);
	}
	for (size_t i = h->drop_count; i-- > 0;)
		free(h->drops[i].description);
	for (size_t i = h->counter_count; i-- > 0;)
		free(h->counters[i].description);
	json_decref(h->config);
	if (h->dl)
		dlclose(h->dl);
	free(h->path);
	free(h);
}

void shoal_plugin_host_destroy(struct shoal_plugin_host *ph)
{
	if (!ph)
		return;
	while (ph->count > 0) {
		struct shoal_host *h = ph->plugins[--ph->count];
		h->desc->fini(h->state);
		plugin_slot_free(h);
	}
	shoal_plugin_staged_free(ph->staged);
	shoal_state_free(&ph->records);
	free(ph->fds);
	free(ph->plugin_dir);
	free(ph);
}

__attribute__((format(printf, 4, 5))) static int plugin_host_fail(char *err, size_t err_size, int e,
                                                                  const char *fmt, ...)
{
	if (err_size > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, err_size, fmt, ap);
		va_end(ap);
	}
	return -e;
}

static struct shoal_host *plugin_host_find(const struct shoal_plugin_host *ph, const char *name,
                                           size_t *index)
{
	for (size_t i = 0; i < ph->count; i++) {
		if (strcmp(ph->plugins[i]->desc->name, name) == 0) {
			if (index)
				*index = i;
			return ph->plugins[i];
		}
	}
	return NULL;
}

/* Checks the descriptor without running plugin code. Returns 0 or -errno with err set. */
static int plugin_descriptor_check(const struct shoal_plugin_descriptor *d, const char *path,
                                   char *err, size_t err_size)
{
	if (d->abi_major != SHOAL_PLUGIN_ABI_MAJOR || d->abi_minor > SHOAL_PLUGIN_ABI_MINOR)
		return plugin_host_fail(err, err_size, EPROTO,
		                        "plugin %s: ABI %u.%u not supported by host ABI %u.%u "
		                        "(needs major %u, minor <= %u)",
		                        path, d->abi_major, d->abi_minor, SHOAL_PLUGIN_ABI_MAJOR,
		                        SHOAL_PLUGIN_ABI_MINOR, SHOAL_PLUGIN_ABI_MAJOR,
		                        SHOAL_PLUGIN_ABI_MINOR);
	size_t need = shoal_plugin_descriptor_size_for_minor(d->abi_minor);
	if (d->struct_size < need)
		return plugin_host_fail(err, err_size, EPROTO,
		                        "plugin %s: descriptor size %u too small for ABI %u.%u "
		                        "(needs %zu)",
		                        path, d->struct_size, d->abi_major, d->abi_minor, need);
	if (!shoal_plugin_name_valid(d->name))
		return plugin_host_fail(err, err_size, EINVAL,
		                        "plugin %s: invalid descriptor: name must match "
		                        "[a-z0-9_]{1,31}",
		                        path);
	if (!d->init || !d->fini)
		return plugin_host_fail(err, err_size, EINVAL,
		                        "plugin %s: invalid descriptor: init and fini are required",
		                        path);
	return 0;
}

/* ---- trust: who may have written the code we are about to run ---- */

static bool plugin_uid_trusted(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

/* Checks one directory of a canonical path. A directory writable by group or others is
 * accepted only when sticky (like /tmp) and the entry below it, child_uid, is owned by a
 * trusted user: nobody else can then rename or replace that entry. */
static int plugin_dir_check(const char *dir, const struct stat *st, bool has_child, uid_t child_uid,
                            const char *what, char *err, size_t err_size)
{
	if (!plugin_uid_trusted(st->st_uid))
		return plugin_host_fail(
		    err, err_size, EPERM,
		    "plugin %s: refused: directory %s is owned by uid %u; plugin "
		    "directories must be owned by root or the daemon's user (uid %u)",
		    what, dir, (unsigned)st->st_uid, (unsigned)geteuid());
	bool writable = (st->st_mode & (S_IWGRP | S_IWOTH)) != 0;
	if (writable && !(has_child && (st->st_mode & S_ISVTX) && plugin_uid_trusted(child_uid)))
		return plugin_host_fail(
		    err, err_size, EPERM,
		    "plugin %s: refused: directory %s is writable by group or others "
		    "(mode %04o); plugin directories must not be",
		    what, dir, (unsigned)(st->st_mode & 07777));
	return 0;
}

/* Checks every directory from canonical path `real` up to "/". child_uid: owner of the entry
 * `real` names (checked by the caller). */
static int plugin_chain_check(const char *real, uid_t child_uid, const char *what, char *err,
                              size_t err_size)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof(buf), "%s", real);
	for (;;) {
		char *slash = strrchr(buf, '/');
		if (!slash)
			return 0;
		if (slash == buf)
			slash[1] = '\0'; /* "/" itself */
		else
			*slash = '\0';
		struct stat st;
		if (stat(buf, &st) < 0)
			return plugin_host_fail(err, err_size, errno,
			                        "plugin %s: cannot check %s: %s", what, buf,
			                        strerror(errno));
		int rc = plugin_dir_check(buf, &st, true, child_uid, what, err, err_size);
		if (rc < 0)
			return rc;
		if (strcmp(buf, "/") == 0)
			return 0;
		child_uid = st.st_uid;
	}
}

/* The trust rule (docs/plugins.md): the plugin file and every directory above it, on its real
 * path and on the path it was named by, belong to root or the daemon's user and are not
 * writable by group or others (sticky directories excepted, as above); so a symlink may only
 * lead from a trusted directory to a trusted file. Returns 0 or -errno with err set. */
static int plugin_path_trusted(const char *path, char *err, size_t err_size)
{
	char real[PATH_MAX];
	if (!realpath(path, real))
		return 0; /* nothing there (or a dangling link): dlopen() says so in its words */
	struct stat st;
	if (stat(real, &st) < 0)
		return plugin_host_fail(err, err_size, errno, "plugin %s: cannot load: %s", path,
		                        strerror(errno));
	if (!S_ISREG(st.st_mode))
		return plugin_host_fail(err, err_size, EPERM,
		                        "plugin %s: refused: %s is not a regular file", path, real);
	if (!plugin_uid_trusted(st.st_uid))
		return plugin_host_fail(
		    err, err_size, EPERM,
		    "plugin %s: refused: file %s is owned by uid %u; plugin files "
		    "must be owned by root or the daemon's user (uid %u)",
		    path, real, (unsigned)st.st_uid, (unsigned)geteuid());
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return plugin_host_fail(
		    err, err_size, EPERM,
		    "plugin %s: refused: file %s is writable by group or others "
		    "(mode %04o); plugin files must not be",
		    path, real, (unsigned)(st.st_mode & 07777));
	int rc = plugin_chain_check(real, st.st_uid, path, err, err_size);
	if (rc < 0)
		return rc;
	/* the directory the plugin was named in (it holds the name, maybe a symlink) */
	char named_dir[PATH_MAX];
	snprintf(named_dir, sizeof(named_dir), "%s", path);
	char *slash = strrchr(named_dir, '/');
	if (!slash)
		return 0;
	if (slash == named_dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	char dir_real[PATH_MAX];
	if (!realpath(named_dir, dir_real))
		return plugin_host_fail(err, err_size, ENOENT, "plugin %s: cannot load: %s: %s",
		                        path, named_dir, strerror(errno));
	struct stat dst;
	if (stat(dir_real, &dst) < 0)
		return plugin_host_fail(err, err_size, errno, "plugin %s: cannot check %s: %s",
		                        path, dir_real, strerror(errno));
	/* the named entry is what others could replace: its directory must not be writable */
	rc = plugin_dir_check(dir_real, &dst, false, 0, path, err, err_size);
	return rc < 0 ? rc : plugin_chain_check(dir_real, dst.st_uid, path, err, err_size);
}

static int plugin_slot_prepare(struct shoal_plugin_host *ph, const char *name_or_path,
                               const char *config_json, struct shoal_host *h, char *err,
                               size_t err_size)
{
	if (strchr(name_or_path, '/')) {
		h->path = strdup(name_or_path);
	} else {
		if (!shoal_plugin_name_valid(name_or_path))
			return plugin_host_fail(
			    err, err_size, EINVAL,
			    "plugin \"%s\": invalid name (expected [a-z0-9_]{1,31} "
			    "or a path)",
			    name_or_path);
		if (!ph->plugin_dir)
			return plugin_host_fail(err, err_size, ENOENT,
			                        "plugin \"%s\": no plugin_dir configured",
			                        name_or_path);
		if (asprintf(&h->path, "%s/%s.so", ph->plugin_dir, name_or_path) < 0)
			h->path = NULL;
	}
	if (!h->path)
		return plugin_host_fail(err, err_size, ENOMEM, "plugin \"%s\": out of memory",
		                        name_or_path);

	json_error_t jerr;
	h->config = json_loads(config_json ? config_json : "{}", JSON_REJECT_DUPLICATES, &jerr);
	if (!h->config)
		return plugin_host_fail(err, err_size, EINVAL, "plugin %s: bad config: %s", h->path,
		                        jerr.text);
	if (!json_is_object(h->config))
		return plugin_host_fail(err, err_size, EINVAL,
		                        "plugin %s: bad config: not a JSON object", h->path);

	int trust = plugin_path_trusted(h->path, err, err_size);
	if (trust < 0)
		return trust;
	dlerror();
	h->dl = dlopen(h->path, RTLD_NOW | RTLD_LOCAL);
	if (!h->dl)
		return plugin_host_fail(err, err_size, ENOENT, "plugin %s: cannot load: %s",
		                        h->path, dlerror());
	dlerror();
	const struct shoal_plugin_descriptor *d = dlsym(h->dl, SHOAL_PLUGIN_SYMBOL);
	if (!d)
		return plugin_host_fail(err, err_size, ENOENT,
		                        "plugin %s: no \"%s\" symbol (not a Shoal plugin?)",
		                        h->path, SHOAL_PLUGIN_SYMBOL);
	int ret = plugin_descriptor_check(d, h->path, err, err_size);
	if (ret < 0)
		return ret;
	if (plugin_host_find(ph, d->name, NULL))
		return plugin_host_fail(err, err_size, EEXIST,
		                        "plugin %s: a plugin named \"%s\" is already loaded",
		                        h->path, d->name);
	if (ph->count >= SHOAL_PLUGIN_HOST_MAX_PLUGINS)
		return plugin_host_fail(err, err_size, ENOSPC,
		                        "plugin %s: too many plugins loaded (max %d)", h->path,
		                        SHOAL_PLUGIN_HOST_MAX_PLUGINS);
	h->desc = d;
	h->hooks[SHOAL_PLUGIN_HOOK_INGRESS] = d->ingress;
	h->hooks[SHOAL_PLUGIN_HOOK_LOCAL_DELIVERY] = d->local_delivery;
	h->hooks[SHOAL_PLUGIN_HOOK_EGRESS] = d->egress;
	/* Drop reason 0 always exists. */
	ret = plugin_stat_add(h->drops, &h->drop_count, SHOAL_PLUGIN_HOST_MAX_DROP_REASONS,
	                      "unspecified", "dropped by the plugin without a reason");
	if (ret < 0)
		return plugin_host_fail(err, err_size, -ret, "plugin %s: %s", h->path,
		                        strerror(-ret));
	return 0;
}

int shoal_plugin_host_load(struct shoal_plugin_host *ph, const char *name_or_path,
                           const char *config_json, char *err, size_t err_size)
{
	if (err_size > 0)
		err[0] = '\0';
	struct shoal_host *h = calloc(1, sizeof(*h));
	if (!h)
		return plugin_host_fail(err, err_size, ENOMEM, "plugin \"%s\": out of memory",
		                        name_or_path);
	h->ph = ph;
	h->timer_fd = -1;
	h->load_id = ++ph->last_load_id;
	int ret = plugin_slot_prepare(ph, name_or_path, config_json, h, err, err_size);
	if (ret < 0) {
		plugin_slot_free(h);
		return ret;
	}

	char *text = json_dumps(h->config, JSON_COMPACT);
	if (!text) {
		plugin_slot_free(h);
		return plugin_host_fail(err, err_size, ENOMEM, "plugin %s: out of memory", h->path);
	}
	h->in_init = true;
	ret = h->desc->init(h, &plugin_host_api, text, &h->state);
	h->in_init = false;
	free(text);
	if (ret != 0) {
		int e = ret < 0 ? -ret : EINVAL;
		plugin_host_fail(err, err_size, e, "plugin \"%s\" (%s): init failed: %s (%s)",
		                 h->desc->name, h->path,
		                 h->init_err[0] ? h->init_err : "no reason given", strerror(e));
		plugin_slot_free(h); /* rollback: registrations die with the slot */
		return -e;
	}
	ph->plugins[ph->count++] = h;
	plugin_records_load(h);
	char msg[PLUGIN_HOST_LOG_SIZE];
	snprintf(msg, sizeof(msg), "loaded version %s from %s (ABI %u.%u)",
	         h->desc->version ? h->desc->version : "?", h->path, h->desc->abi_major,
	         h->desc->abi_minor);
	plugin_host_log_emit(ph, SHOAL_LOG_INFO, h->desc->name, msg);
	return 0;
}

int shoal_plugin_host_unload(struct shoal_plugin_host *ph, const char *name, char *err,
                             size_t err_size)
{
	if (err_size > 0)
		err[0] = '\0';
	size_t idx;
	struct shoal_host *h = plugin_host_find(ph, name, &idx);
	if (!h)
		return plugin_host_fail(err, err_size, ENOENT, "plugin \"%s\": not loaded", name);
	memmove(&ph->plugins[idx], &ph->plugins[idx + 1],
	        (ph->count - idx - 1) * sizeof(ph->plugins[0]));
	ph->count--;
	h->desc->fini(h->state);
	plugin_host_log_emit(ph, SHOAL_LOG_INFO, name, "unloaded");
	plugin_slot_free(h);
	return 0;
}

size_t shoal_plugin_host_count(const struct shoal_plugin_host *ph)
{
	return ph->count;
}

int shoal_plugin_host_info(const struct shoal_plugin_host *ph, size_t index,
                           struct shoal_plugin_info *out)
{
	if (index >= ph->count)
		return -ENOENT;
	const struct shoal_host *h = ph->plugins[index];
	memset(out, 0, sizeof(*out));
	out->name = h->desc->name;
	out->version = h->desc->version ? h->desc->version : "";
	out->description = h->desc->description ? h->desc->description : "";
	out->path = h->path;
	out->abi_major = h->desc->abi_major;
	out->abi_minor = h->desc->abi_minor;
	memcpy(out->hook_calls, h->hook_calls, sizeof(out->hook_calls));
	memcpy(out->verdicts, h->verdicts, sizeof(out->verdicts));
	out->counter_count = h->counter_count;
	out->counters = h->counters;
	out->drop_reason_count = h->drop_count;
	out->drop_reasons = h->drops;
	out->input_datagrams = h->inputs;
	out->input_refused = h->inputs_refused;
	return 0;
}

size_t shoal_plugin_host_registration_count(const struct shoal_plugin_host *ph)
{
	size_t n = 0;
	for (size_t i = 0; i < ph->count; i++)
		n += ph->plugins[i]->counter_count + ph->plugins[i]->drop_count - 1;
	return n;
}

static uint64_t plugin_host_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void shoal_plugin_host_sample(struct shoal_plugin_host *ph, bool on)
{
	ph->sample = on;
}

static const char *const plugin_host_hook_names[SHOAL_PLUGIN_HOOK_COUNT_] = {
    "ingress", "local_delivery", "egress"};

int shoal_plugin_host_runtime_hook(const struct shoal_plugin_host *ph, uint32_t index,
                                   struct shoal_runtime_hook *out)
{
	for (size_t i = 0; i < ph->count; i++) {
		const struct shoal_host *h = ph->plugins[i];
		for (unsigned k = 0; k < SHOAL_PLUGIN_HOOK_COUNT_; k++) {
			if (!h->hooks[k] || index-- > 0)
				continue;
			memset(out, 0, sizeof(*out));
			snprintf(out->plugin, sizeof(out->plugin), "%s", h->desc->name);
			snprintf(out->hook, sizeof(out->hook), "%s", plugin_host_hook_names[k]);
			out->calls = h->hook_calls[k];
			out->packets = h->hook_packets[k];
			out->ns = h->hook_ns[k];
			return 0;
		}
	}
	return -ENOENT;
}

enum shoal_plugin_verdict shoal_plugin_host_run(struct shoal_plugin_host *ph,
                                                enum shoal_plugin_hook hook,
                                                struct shoal_packet_view *pkt, const char **by)
{
	return shoal_plugin_host_run_after(ph, hook, 0, pkt, by);
}

enum shoal_plugin_verdict
shoal_plugin_host_run_after(struct shoal_plugin_host *ph, enum shoal_plugin_hook hook,
                            uint64_t after_id, struct shoal_packet_view *pkt, const char **by)
{
	if (by)
		*by = NULL;
	for (size_t i = 0; i < ph->count; i++) {
		struct shoal_host *h = ph->plugins[i];
		shoal_plugin_hook_fn fn = h->hooks[hook];
		if (!fn || h->load_id <= after_id) /* load order = list order = load_id order */
			continue;
		h->hook_calls[hook]++;
		enum shoal_plugin_verdict v;
		if (ph->sample) {
			uint64_t t0 = plugin_host_now_ns();
			v = fn(h->state, pkt);
			h->hook_ns[hook] += plugin_host_now_ns() - t0;
			h->hook_packets[hook]++;
		} else {
			v = fn(h->state, pkt);
		}
		switch (v) {
		case SHOAL_PLUGIN_CONTINUE:
			h->verdicts[hook][v]++;
			continue;
		case SHOAL_PLUGIN_CONSUMED:
			h->verdicts[hook][v]++;
			if (by)
				*by = h->desc->name;
			return v;
		case SHOAL_PLUGIN_DROP:
		default: /* an unknown verdict is treated as an unspecified drop */
			if (v != SHOAL_PLUGIN_DROP || pkt->drop_reason >= h->drop_count)
				pkt->drop_reason = 0;
			h->verdicts[hook][SHOAL_PLUGIN_DROP]++;
			h->drops[pkt->drop_reason].value++;
			if (by)
				*by = h->desc->name;
			return SHOAL_PLUGIN_DROP;
		}
	}
	return SHOAL_PLUGIN_CONTINUE;
}

void shoal_plugin_host_tick(struct shoal_plugin_host *ph, uint64_t now_ms)
{
	for (size_t i = 0; i < ph->count; i++) {
		struct shoal_host *h = ph->plugins[i];
		if (h->desc->tick)
			h->desc->tick(h->state, now_ms);
	}
}

struct shoal_http_reply *shoal_plugin_host_http_reply_new(void)
{
	return malloc(offsetof(struct shoal_http_reply, body) + SHOAL_PLUGIN_HOST_HTTP_BODY_MAX);
}

int shoal_plugin_host_http(struct shoal_plugin_host *ph, const char *name,
                           const struct shoal_http_request *req, struct shoal_http_reply *reply)
{
	size_t idx;
	struct shoal_host *h = plugin_host_find(ph, name, &idx);
	if (!h)
		return -ENOENT;
	const struct shoal_plugin_descriptor *d = h->desc;
	/* a 1.0 descriptor ends before `http`, a 1.1 one before `http_request`: never read them */
	bool v12 = d->abi_minor >= 2 && d->http_request;
	if (!v12 && (d->abi_minor < 1 || !d->http))
		return -ENOTSUP;
	if (!v12 && req->n_query > 0)
		return -EINVAL;
	size_t cap = v12 ? SHOAL_PLUGIN_HOST_HTTP_BODY_MAX : SHOAL_HTTP_REPLY_MAX;
	reply->status = 200;
	snprintf(reply->body, cap, "{}");
	shoal_plugin_staged_free(ph->staged); /* not taken by the caller: already applied */
	ph->staged = NULL;
	ph->http_caller = h;
	int rc =
	    v12 ? d->http_request(h->state, req, reply)
	        : d->http(h->state, req->method, req->subpath, req->body, req->body_len, reply);
	ph->http_caller = NULL;
	if (rc < 0 || reply->status < 100 || reply->status > 599 || !memchr(reply->body, '\0', cap))
		return -EIO;
	return 0;
}

void shoal_plugin_host_metrics_options(const struct shoal_plugin_host *ph, bool *public_,
                                       int64_t *route_limit)
{
	*public_ = false;
	*route_limit = 0;
	for (size_t i = 0; i < ph->count; i++) {
		const struct shoal_host *h = ph->plugins[i];
		if (!h->metrics_set)
			continue;
		*public_ = *public_ || h->metrics_public;
		if (h->metrics_route_limit == -1 || *route_limit == -1)
			*route_limit = -1;
		else if (h->metrics_route_limit > *route_limit)
			*route_limit = h->metrics_route_limit;
	}
}

int shoal_plugin_host_metrics(struct shoal_plugin_host *ph, size_t index, char *buf, size_t cap)
{
	if (index >= ph->count)
		return -ENOENT;
	struct shoal_host *h = ph->plugins[index];
	/* a descriptor older than 1.3 ends before `metrics`: never read it */
	if (h->desc->abi_minor < 3 || !h->desc->metrics)
		return 0;
	if (cap == 0)
		return -ENOSPC;
	buf[0] = '\0';
	int n = h->desc->metrics(h->state, buf, cap);
	if (n < 0)
		return n;
	if ((size_t)n >= cap || memchr(buf, '\0', (size_t)n + 1) != buf + n)
		return -EIO;
	return n;
}
