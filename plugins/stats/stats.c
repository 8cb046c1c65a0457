/*
 * stats.c — the statistics plugin: rates and an hour of history per interface, the
 * data plane's per-stage runtime, and Prometheus lines for GET /metrics.
 *
 * Role: once per second (api->timer_set) reads every interface's counters from the data
 * plane (api->interface_counters, ABI 1.3: the counters GET /api/v1/interfaces shows) and
 * turns the difference to the previous read into rates (bit/s, packets/s, drops/s) over the
 * time that really elapsed. The rates go into a ring buffer of history_s one-second slots
 * per interface; the oldest slot is overwritten. Counts nothing per packet (no hooks).
 *
 * Config: {"history_s": 1..86400 (3600), "route_metrics": "none" | "top:N" | "all"
 * ("top:100"), "metrics_auth": true | false (true), "runtime": true | false (true)}.
 * route_metrics and metrics_auth are handed to the daemon (api->metrics_options), runtime
 * switches the data plane's sampled per-stage runtime (api->runtime_enable).
 *
 * Memory (bounded, allocated at init): history_s * (8 + n_interfaces * 20) bytes for the
 * ring (3600 s, 16 interfaces: 1.18 MB) plus a few hundred bytes per interface.
 *
 * HTTP (ABI 1.2 http_request), under /api/v1/stats:
 *   GET  ""          totals and current rates per interface; "cmdq" (the command queue's
 *                    counters) and "arp" (per TAP interface) from ABI 1.4 api->counter
 *   GET  history     ?interface=NAME (required) &seconds=1..history_s (300): samples, oldest
 *                    first, {"interface","step_s":1,"samples":[{"t":unix ms,"rx_bps",
 *                    "tx_bps","rx_pps","tx_pps","drops_ps"}]}
 *   GET  runtime     the per-stage runtime: calls, sampled packets, ns, ns per packet; and
 *                    "hooks": the same per loaded plugin and hook (ABI 1.4 runtime_hook)
 *   PUT  runtime     {"enabled": true|false} switches it at run time
 * Metrics (ABI 1.3 metrics hook): shoal_stats_* gauges of the current rates.
 *
 * State lives in struct stats (the plugin's context); no globals.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shoal/plugin.h"
#include "shoal/textbuf.h"

enum {
	STATS_MAX_IFS = 64,
	STATS_PERIOD_MS = 1000,
	STATS_HISTORY_DEFAULT = 3600,
	STATS_HISTORY_MAX = 86400,
	STATS_SECONDS_DEFAULT = 300,
	STATS_ROUTES_DEFAULT = 100,
};

/* One interface's rates over one period (floats: 20 bytes a slot). */
struct stats_rates {
	float rx_bps, tx_bps, rx_pps, tx_pps, drops_ps;
};

struct stats_if {
	char name[16];
	struct shoal_interface_counters last; /* at the previous sample */
	struct stats_rates now;               /* the latest rates */
	struct stats_rates *ring;             /* history_s slots */
};

struct stats {
	struct shoal_host *host;
	const struct shoal_host_api *api;
	uint32_t history_s;
	bool runtime_on;
	unsigned n_ifs;
	struct stats_if ifs[STATS_MAX_IFS];
	uint64_t *ring_t;  /* unix ms of each slot */
	uint64_t samples;  /* taken since load; slot of sample k is k % history_s */
	uint64_t last_ms;  /* now_ms of the previous sample */
	uint64_t *periods; /* host counter: samples taken */
};

static uint64_t stats_unix_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void stats_read(struct stats *s, unsigned i, struct shoal_interface_counters *c)
{
	if (s->api->interface_counters(s->host, i + 1, c) < 0)
		memset(c, 0, sizeof(*c));
}

static void stats_sample(void *state, uint64_t now_ms)
{
	struct stats *s = state;
	double dt = (double)(now_ms - s->last_ms) / 1000.0;
	if (dt <= 0)
		dt = 1e-3;
	uint32_t slot = (uint32_t)(s->samples % s->history_s);
	s->ring_t[slot] = stats_unix_ms();
	for (unsigned i = 0; i < s->n_ifs; i++) {
		struct stats_if *f = &s->ifs[i];
		struct shoal_interface_counters c;
		stats_read(s, i, &c);
		f->now = (struct stats_rates){
		    .rx_bps = (float)((double)(c.rx_bytes - f->last.rx_bytes) * 8 / dt),
		    .tx_bps = (float)((double)(c.tx_bytes - f->last.tx_bytes) * 8 / dt),
		    .rx_pps = (float)((double)(c.rx_packets - f->last.rx_packets) / dt),
		    .tx_pps = (float)((double)(c.tx_packets - f->last.tx_packets) / dt),
		    .drops_ps = (float)((double)(c.drops - f->last.drops) / dt),
		};
		f->ring[slot] = f->now;
		f->last = c;
	}
	s->samples++;
	(*s->periods)++;
	s->last_ms = now_ms;
	/* rates use the time that really elapsed, so a late timer skews nothing */
	s->api->timer_set(s->host, now_ms + STATS_PERIOD_MS, stats_sample);
}

/* A boolean top-level key of the config: 1/0, -ENOENT absent, -EINVAL otherwise. The host's
 * config readers cover strings and integers; booleans are read from the JSON text, which the
 * host gives compact ("key":value). */
static int stats_config_bool(const char *json, const char *key)
{
	char pat[48];
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	const char *p = strstr(json, pat);
	if (!p)
		return -ENOENT;
	p += strlen(pat);
	while (*p == ' ')
		p++;
	if (strncmp(p, "true", 4) == 0)
		return 1;
	if (strncmp(p, "false", 5) == 0)
		return 0;
	return -EINVAL;
}

/* "none" -> 0, "all" -> -1, "top:N" (N 1..1000000) -> N; -EINVAL otherwise (in *ok). */
static int64_t stats_route_limit(const char *text, bool *ok)
{
	*ok = true;
	if (!text)
		return STATS_ROUTES_DEFAULT;
	if (strcmp(text, "none") == 0)
		return 0;
	if (strcmp(text, "all") == 0)
		return -1;
	char *end;
	if (strncmp(text, "top:", 4) == 0 && text[4] >= '1' && text[4] <= '9') {
		long long n = strtoll(text + 4, &end, 10);
		if (*end == '\0' && n >= 1 && n <= 1000000)
			return n;
	}
	*ok = false;
	return 0;
}

static void stats_free(struct stats *s)
{
	for (unsigned i = s->n_ifs; i-- > 0;)
		free(s->ifs[i].ring);
	free(s->ring_t);
	free(s);
}

static int stats_init(struct shoal_host *host, const struct shoal_host_api *api,
                      const char *config_json, void **state)
{
	int64_t history = STATS_HISTORY_DEFAULT;
	int rc = api->config_int(host, "history_s", &history);
	if (rc == -EINVAL || history < 1 || history > STATS_HISTORY_MAX) {
		api->error(host, "config: history_s must be an integer 1..%d", STATS_HISTORY_MAX);
		return -EINVAL;
	}
	bool ok;
	int64_t limit = stats_route_limit(api->config_string(host, "route_metrics"), &ok);
	if (!ok) {
		api->error(host, "config: route_metrics must be \"none\", \"top:N\" (N 1..1000000) "
		                 "or \"all\"");
		return -EINVAL;
	}
	int auth = stats_config_bool(config_json, "metrics_auth");
	int runtime = stats_config_bool(config_json, "runtime");
	if (auth == -EINVAL || runtime == -EINVAL) {
		api->error(host, "config: metrics_auth and runtime must be true or false");
		return -EINVAL;
	}
	struct stats *s = calloc(1, sizeof(*s));
	if (!s) {
		api->error(host, "out of memory");
		return -ENOMEM;
	}
	s->host = host;
	s->api = api;
	s->history_s = (uint32_t)history;
	s->runtime_on = runtime != 0; /* absent: on */
	s->ring_t = calloc(s->history_s, sizeof(*s->ring_t));
	if (!s->ring_t)
		goto oom;
	struct shoal_interface_info info;
	while (s->n_ifs < STATS_MAX_IFS && api->interface_info(host, s->n_ifs + 1, &info) == 0) {
		struct stats_if *f = &s->ifs[s->n_ifs];
		snprintf(f->name, sizeof(f->name), "%s", info.name);
		f->ring = calloc(s->history_s, sizeof(*f->ring));
		if (!f->ring)
			goto oom;
		s->n_ifs++;
		stats_read(s, s->n_ifs - 1, &f->last);
	}
	rc = api->counter_register(host, "periods", "one-second samples taken", &s->periods);
	if (rc < 0) {
		api->error(host, "cannot register counters");
		stats_free(s);
		return rc;
	}
	api->metrics_options(host, auth == 0, limit);
	api->runtime_enable(host, s->runtime_on);
	s->last_ms = api->now_ms(host);
	rc = api->timer_set(host, s->last_ms + STATS_PERIOD_MS, stats_sample);
	if (rc < 0) {
		api->error(host, "cannot set the timer");
		stats_free(s);
		return rc;
	}
	*state = s;
	return 0;
oom:
	api->error(host, "out of memory");
	stats_free(s);
	return -ENOMEM;
}

static void stats_fini(void *state)
{
	struct stats *s = state;
	s->api->timer_set(s->host, 0, NULL);
	stats_free(s);
}

/* ---- HTTP ---- */

static int stats_error(struct shoal_http_reply *reply, size_t cap, unsigned status,
                       const char *code, const char *msg)
{
	reply->status = status;
	snprintf(reply->body, cap, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}", code, msg);
	return 0;
}

static const char *stats_query(const struct shoal_http_request *req, const char *key)
{
	for (size_t i = 0; i < req->n_query; i++)
		if (strcmp(req->query[i].key, key) == 0)
			return req->query[i].value;
	return NULL;
}

/* Every query key must be one of allowed (space-separated). */
static bool stats_query_ok(const struct shoal_http_request *req, const char *allowed)
{
	for (size_t i = 0; i < req->n_query; i++) {
		size_t kl = strlen(req->query[i].key);
		const char *p = allowed;
		bool found = false;
		while (*p && !found) {
			size_t wl = strcspn(p, " ");
			found = wl == kl && strncmp(p, req->query[i].key, kl) == 0;
			p += wl;
			p += *p == ' ';
		}
		if (!found)
			return false;
	}
	return true;
}

static void stats_rates_json(struct shoal_textbuf *o, const struct stats_rates *r)
{
	shoal_textbuf_printf(
	    o, "\"rx_bps\":%.0f,\"tx_bps\":%.0f,\"rx_pps\":%.1f,\"tx_pps\":%.1f,\"drops_ps\":%.1f",
	    (double)r->rx_bps, (double)r->tx_bps, (double)r->rx_pps, (double)r->tx_pps,
	    (double)r->drops_ps);
}

/* The daemon's other counters (ABI 1.4 api->counter), in the host's order: "cmdq":
 * {name: n, ...} and "arp": {"lan0": {name: n, ...}, ...}. */
static void stats_counters(struct stats *s, struct shoal_textbuf *o)
{
	if (s->api->abi_minor < 4)
		return;
	struct shoal_counter c;
	char group[16] = "", iface[16] = "";
	bool have = false;
	unsigned n_items = 0, n_ifs = 0;
	for (uint32_t i = 0; s->api->counter(s->host, i, &c) == 0; i++) {
		bool new_group = !have || strcmp(group, c.group) != 0;
		bool new_if = new_group || strcmp(iface, c.interface) != 0;
		if (new_group) {
			if (have)
				shoal_textbuf_printf(o, "%s}", iface[0] ? "}" : "");
			shoal_textbuf_printf(o, ",\"%s\":{", c.group);
			snprintf(group, sizeof(group), "%s", c.group);
			iface[0] = '\0';
			n_items = n_ifs = 0;
			have = true;
		}
		if (c.interface[0] && new_if) {
			if (!new_group && iface[0])
				shoal_textbuf_printf(o, "}");
			shoal_textbuf_printf(o, "%s\"%s\":{", n_ifs++ ? "," : "", c.interface);
			snprintf(iface, sizeof(iface), "%s", c.interface);
			n_items = 0;
		}
		shoal_textbuf_printf(o, "%s\"%s\":%" PRIu64, n_items++ ? "," : "", c.name, c.value);
	}
	if (have)
		shoal_textbuf_printf(o, "%s}", iface[0] ? "}" : "");
}

static void stats_snapshot(struct stats *s, struct shoal_textbuf *o)
{
	shoal_textbuf_printf(o,
	                     "{\"step_s\":1,\"history_s\":%" PRIu32 ",\"samples\":%" PRIu64
	                     ",\"memory_bytes\":%zu,\"interfaces\":[",
	                     s->history_s, s->samples,
	                     (size_t)s->history_s *
	                         (sizeof(uint64_t) + s->n_ifs * sizeof(struct stats_rates)));
	for (unsigned i = 0; i < s->n_ifs; i++) {
		struct stats_if *f = &s->ifs[i];
		struct shoal_interface_counters c;
		stats_read(s, i, &c);
		shoal_textbuf_printf(o,
		                     "%s{\"name\":\"%s\",\"rx_packets\":%" PRIu64
		                     ",\"rx_bytes\":%" PRIu64 ",\"tx_packets\":%" PRIu64
		                     ",\"tx_bytes\":%" PRIu64 ",\"drops\":%" PRIu64 ",\"rates\":{",
		                     i ? "," : "", f->name, c.rx_packets, c.rx_bytes, c.tx_packets,
		                     c.tx_bytes, c.drops);
		stats_rates_json(o, &f->now);
		shoal_textbuf_printf(o, "}}");
	}
	shoal_textbuf_printf(o, "]");
	stats_counters(s, o);
	shoal_textbuf_printf(o, "}");
}

static int stats_history(struct stats *s, const struct shoal_http_request *req,
                         struct shoal_http_reply *reply, struct shoal_textbuf *o)
{
	if (!stats_query_ok(req, "interface seconds"))
		return stats_error(reply, o->cap, 400, "unknown_parameter",
		                   "history takes interface and seconds");
	const char *name = stats_query(req, "interface");
	const char *sec = stats_query(req, "seconds");
	const struct stats_if *f = NULL;
	for (unsigned i = 0; name && i < s->n_ifs; i++)
		if (strcmp(s->ifs[i].name, name) == 0)
			f = &s->ifs[i];
	if (!f)
		return stats_error(reply, o->cap, name ? 404 : 400,
		                   name ? "unknown_interface" : "missing_parameter",
		                   name ? "no such interface" : "interface is required");
	uint64_t want = STATS_SECONDS_DEFAULT;
	if (sec) {
		char *end;
		unsigned long long v = strtoull(sec, &end, 10);
		if (*sec < '0' || *sec > '9' || *end || v < 1 || v > s->history_s)
			return stats_error(reply, o->cap, 400, "invalid_seconds",
			                   "seconds must be an integer 1..history_s");
		want = v;
	}
	uint64_t have = s->samples < s->history_s ? s->samples : s->history_s;
	uint64_t n = want < have ? want : have;
	shoal_textbuf_printf(o, "{\"interface\":\"%s\",\"step_s\":1,\"samples\":[", f->name);
	for (uint64_t k = s->samples - n; k < s->samples; k++) {
		uint32_t slot = (uint32_t)(k % s->history_s);
		shoal_textbuf_printf(o, "%s{\"t\":%" PRIu64 ",", k == s->samples - n ? "" : ",",
		                     s->ring_t[slot]);
		stats_rates_json(o, &f->ring[slot]);
		shoal_textbuf_printf(o, "}");
	}
	shoal_textbuf_printf(o, "]}");
	return 0;
}

static void stats_runtime(struct stats *s, struct shoal_textbuf *o)
{
	shoal_textbuf_printf(o, "{\"enabled\":%s,\"sample\":%d,\"stages\":[",
	                     s->runtime_on ? "true" : "false", SHOAL_RUNTIME_SAMPLE);
	struct shoal_runtime_stage st;
	for (uint32_t i = 0; s->api->runtime_stage(s->host, i, &st) == 0; i++)
		shoal_textbuf_printf(o,
		                     "%s{\"name\":\"%s\",\"calls\":%" PRIu64 ",\"packets\":%" PRIu64
		                     ",\"ns\":%" PRIu64 ",\"ns_per_packet\":%.1f}",
		                     i ? "," : "", st.name, st.calls, st.packets, st.ns,
		                     st.packets ? (double)st.ns / (double)st.packets : 0.0);
	shoal_textbuf_printf(o, "],\"hooks\":[");
	struct shoal_runtime_hook h;
	for (uint32_t i = 0; s->api->abi_minor >= 4 && s->api->runtime_hook(s->host, i, &h) == 0;
	     i++)
		shoal_textbuf_printf(o,
		                     "%s{\"plugin\":\"%s\",\"hook\":\"%s\",\"calls\":%" PRIu64
		                     ",\"packets\":%" PRIu64 ",\"ns\":%" PRIu64
		                     ",\"ns_per_packet\":%.1f}",
		                     i ? "," : "", h.plugin, h.hook, h.calls, h.packets, h.ns,
		                     h.packets ? (double)h.ns / (double)h.packets : 0.0);
	shoal_textbuf_printf(o, "]}");
}

static int stats_http(void *state, const struct shoal_http_request *req,
                      struct shoal_http_reply *reply)
{
	struct stats *s = state;
	struct shoal_textbuf o = {.buf = reply->body, .cap = s->api->http_body_max};
	bool get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
	if (strcmp(req->subpath, "") == 0 || strcmp(req->subpath, "runtime") == 0 ||
	    strcmp(req->subpath, "history") == 0) {
		bool is_runtime = strcmp(req->subpath, "runtime") == 0;
		if (!get && !(is_runtime && strcmp(req->method, "PUT") == 0))
			return stats_error(reply, o.cap, 405, "method_not_allowed",
			                   "method not allowed");
	} else {
		return stats_error(reply, o.cap, 404, "not_found", "no such endpoint");
	}
	if (strcmp(req->subpath, "history") == 0) {
		int rc = stats_history(s, req, reply, &o);
		if (reply->status != 200)
			return rc;
	} else if (req->n_query > 0) {
		return stats_error(reply, o.cap, 400, "unknown_parameter", "no query parameters");
	} else if (strcmp(req->subpath, "runtime") == 0 && !get) {
		char body[64] = "";
		size_t bl = req->body_len < sizeof(body) - 1 ? req->body_len : sizeof(body) - 1;
		if (req->body)
			memcpy(body, req->body, bl);
		body[bl] = '\0';
		/* the body is {"enabled": true|false}; compact it for stats_config_bool */
		char compact[64];
		size_t k = 0;
		for (size_t i = 0; body[i] && k < sizeof(compact) - 1; i++)
			if (body[i] != ' ' && body[i] != '\n' && body[i] != '\t' && body[i] != '\r')
				compact[k++] = body[i];
		compact[k] = '\0';
		int on = stats_config_bool(compact, "enabled");
		if (on < 0 || compact[0] != '{' || compact[k - 1] != '}')
			return stats_error(reply, o.cap, 400, "invalid_body",
			                   "the body must be {\\\"enabled\\\": true|false}");
		s->runtime_on = on;
		s->api->runtime_enable(s->host, on);
		stats_runtime(s, &o);
	} else if (strcmp(req->subpath, "runtime") == 0) {
		stats_runtime(s, &o);
	} else {
		stats_snapshot(s, &o);
	}
	if (o.overflow)
		return stats_error(reply, o.cap, 500, "reply_too_large", "reply too large");
	return 0;
}

/* ---- metrics ---- */

static int stats_metrics(void *state, char *buf, size_t cap)
{
	struct stats *s = state;
	struct shoal_textbuf o = {.buf = buf, .cap = cap};
	static const struct {
		const char *name, *help;
		size_t off;
		double scale; /* bits -> bytes */
	} fam[] = {
	    {"shoal_stats_receive_bytes_per_second", "Receive rate over the last second.",
	     offsetof(struct stats_rates, rx_bps), 1.0 / 8},
	    {"shoal_stats_transmit_bytes_per_second", "Transmit rate over the last second.",
	     offsetof(struct stats_rates, tx_bps), 1.0 / 8},
	    {"shoal_stats_receive_packets_per_second", "Frames received per second.",
	     offsetof(struct stats_rates, rx_pps), 1},
	    {"shoal_stats_transmit_packets_per_second", "Frames transmitted per second.",
	     offsetof(struct stats_rates, tx_pps), 1},
	    {"shoal_stats_drops_per_second", "Drops charged to the interface per second.",
	     offsetof(struct stats_rates, drops_ps), 1},
	};
	for (size_t k = 0; k < sizeof(fam) / sizeof(fam[0]); k++) {
		shoal_textbuf_printf(&o, "# HELP %s %s\n# TYPE %s gauge\n", fam[k].name,
		                     fam[k].help, fam[k].name);
		for (unsigned i = 0; i < s->n_ifs; i++) {
			float v;
			memcpy(&v, (const char *)&s->ifs[i].now + fam[k].off, sizeof(v));
			shoal_textbuf_printf(&o, "%s{interface=\"%s\"} %.3f\n", fam[k].name,
			                     s->ifs[i].name, (double)v * fam[k].scale);
		}
	}
	shoal_textbuf_printf(
	    &o,
	    "# HELP shoal_stats_history_memory_bytes Memory of the rate history ring.\n"
	    "# TYPE shoal_stats_history_memory_bytes gauge\n"
	    "shoal_stats_history_memory_bytes %zu\n",
	    (size_t)s->history_s * (sizeof(uint64_t) + s->n_ifs * sizeof(struct stats_rates)));
	return o.overflow ? -ENOSPC : (int)o.len;
}

SHOAL_PLUGIN_EXPORT const struct shoal_plugin_descriptor shoal_plugin = {
    .abi_major = SHOAL_PLUGIN_ABI_MAJOR,
    .abi_minor = SHOAL_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(struct shoal_plugin_descriptor),
    .name = "stats",
    .version = "1.0.0",
    .description = "interface rates with an hour of history, per-stage runtime, metrics",
    .init = stats_init,
    .fini = stats_fini,
    .http_request = stats_http,
    .metrics = stats_metrics,
};
