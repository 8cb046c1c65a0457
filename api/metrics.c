/* metrics.c — GET /metrics in the Prometheus text format; contract in api_metrics.h. */
#include "shoal/api_metrics.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "shoal/api_json.h"
#include "shoal/api_resource.h"
#include "shoal/netif.h"

#ifndef SHOAL_API_VERSION
#define SHOAL_API_VERSION "unknown"
#endif

static const char *const metrics_hook_names[SHOAL_PLUGIN_HOOK_COUNT_] = {
    "ingress", "local_delivery", "egress"};

static void metrics_family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void metrics_interfaces(FILE *f, const struct shoal_ctl_interface *ifs, size_t n)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} fam[] = {
	    {"shoal_interface_receive_packets_total", "Frames received by the device.",
	     offsetof(struct shoal_ctl_interface, rx_packets)},
	    {"shoal_interface_receive_bytes_total", "Bytes received by the device.",
	     offsetof(struct shoal_ctl_interface, rx_bytes)},
	    {"shoal_interface_transmit_packets_total", "Frames written to the device.",
	     offsetof(struct shoal_ctl_interface, tx_packets)},
	    {"shoal_interface_transmit_bytes_total", "Bytes written to the device.",
	     offsetof(struct shoal_ctl_interface, tx_bytes)},
	};
	for (size_t k = 0; k < sizeof(fam) / sizeof(fam[0]); k++) {
		metrics_family(f, fam[k].name, "counter", fam[k].help);
		for (size_t i = 0; i < n; i++) {
			uint64_t v;
			memcpy(&v, (const char *)&ifs[i] + fam[k].off, sizeof(v));
			fprintf(f, "%s{interface=\"%s\"} %llu\n", fam[k].name, ifs[i].name,
			        (unsigned long long)v);
		}
	}
	/* the ARP series (TAP), named by netif.h's table: shoal_arp_<name>_total */
	for (unsigned k = 0; k < SHOAL_NETIF_ARP_COUNT_; k++) {
		char name[64];
		snprintf(name, sizeof(name), "shoal_arp_%s_total",
		         shoal_netif_arp_counter_names[k]);
		metrics_family(f, name, "counter", shoal_netif_arp_counter_helps[k]);
		for (size_t i = 0; i < n; i++)
			if (ifs[i].has_mac)
				fprintf(f, "%s{interface=\"%s\"} %llu\n", name, ifs[i].name,
				        (unsigned long long)ifs[i].arp[k]);
	}
	metrics_family(f, "shoal_interface_up", "gauge", "1 when the interface's device is open.");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "shoal_interface_up{interface=\"%s\"} %d\n", ifs[i].name, ifs[i].up);
}

static void metrics_drops(FILE *f, const struct shoal_ctl_interface *ifs, size_t n,
                          const struct shoal_ctl_plugin *pl, size_t np)
{
	metrics_family(f, "shoal_drops_total", "counter",
	               "Datagrams or frames dropped, by module, reason and interface.");
	for (size_t i = 0; i < n; i++) {
		for (unsigned d = 0; d < SHOAL_DP_DROP_COUNT_; d++)
			fprintf(f,
			        "shoal_drops_total{module=\"dataplane\",reason=\"%s\",interface=\"%"
			        "s\"} "
			        "%llu\n",
			        shoal_dp_drop_names[d], ifs[i].name,
			        (unsigned long long)ifs[i].drops[d]);
		if (!ifs[i].has_mac)
			continue;
		for (unsigned d = 0; d < SHOAL_NETIF_DROP_COUNT_; d++)
			fprintf(f,
			        "shoal_drops_total{module=\"arp\",reason=\"%s\",interface=\"%s\"} "
			        "%llu\n",
			        shoal_netif_drop_names[d], ifs[i].name,
			        (unsigned long long)ifs[i].arp_drops[d]);
	}
	/* plugins' drop reasons are not tied to an interface */
	for (size_t p = 0; p < np; p++)
		for (size_t d = 0; d < pl[p].n_drops; d++)
			fprintf(
			    f,
			    "shoal_drops_total{module=\"%s\",reason=\"%s\",interface=\"\"} %llu\n",
			    pl[p].name, pl[p].drops[d].name,
			    (unsigned long long)pl[p].drops[d].value);
}

static void metrics_dataplane(FILE *f, const struct shoal_ctl_metrics *m)
{
	const struct {
		const char *name, *help;
		uint64_t v;
	} fam[] = {
	    {"shoal_forwarded_packets_total", "Datagrams forwarded.", m->dp.forwarded},
	    {"shoal_local_delivered_packets_total", "Datagrams addressed to the router.",
	     m->dp.delivered_local},
	    {"shoal_icmp_errors_sent_total", "ICMP errors the router sent.",
	     m->dp.icmp_errors_sent},
	    {"shoal_icmp_rate_limited_total", "ICMP errors suppressed by the rate limits.",
	     m->dp.icmp_rate_limited},
	    {"shoal_icmp_rate_limited_destination_total",
	     "ICMP errors suppressed by a destination's bucket.", m->dp.icmp_rate_limited_dest},
	    {"shoal_icmp_limiter_evictions_total",
	     "Destinations the ICMP limiter's table forgot for room.", m->dp.icmp_dest_evictions},
	    {"shoal_icmp_echo_replies_total", "ICMP echo replies sent.", m->dp.icmp_echo_replies},
	    {"shoal_fragments_out_total", "Fragments the router produced.", m->dp.fragments_out},
	    {"shoal_gso_segments_out_total", "Segments produced by software segmentation.",
	     m->dp.gso_segments_out},
	    {"shoal_gso_passthrough_total", "GSO super-frames forwarded whole.",
	     m->dp.gso_passthrough},
	    {"shoal_busy_polls_total",
	     "Data-plane loop iterations that polled instead of sleeping "
	     "(forwarding.busy_poll_us).",
	     m->dp.busy_polls},
	};
	for (size_t k = 0; k < sizeof(fam) / sizeof(fam[0]); k++) {
		metrics_family(f, fam[k].name, "counter", fam[k].help);
		fprintf(f, "%s %llu\n", fam[k].name, (unsigned long long)fam[k].v);
	}
	metrics_family(f, "shoal_icmp_sent_total", "counter",
	               "ICMP messages sent, by type and code.");
	for (unsigned k = 0; k < SHOAL_DP_ICMP_SENT_COUNT_; k++)
		fprintf(f, "shoal_icmp_sent_total{type=\"%u\",code=\"%u\"} %llu\n",
		        shoal_dp_icmp_sent_type[k], shoal_dp_icmp_sent_code[k],
		        (unsigned long long)m->dp.icmp_sent[k]);
	metrics_family(f, "shoal_runtime_enabled", "gauge", "1 when the per-stage runtime is on.");
	fprintf(f, "shoal_runtime_enabled %d\n", m->runtime_on);
	metrics_family(f, "shoal_runtime_calls_total", "counter",
	               "Entries into a data-plane stage (per-stage runtime).");
	for (unsigned s = 0; s < SHOAL_DP_STAGE_COUNT_; s++)
		fprintf(f, "shoal_runtime_calls_total{stage=\"%s\"} %llu\n",
		        shoal_dp_stage_names[s], (unsigned long long)m->runtime[s].calls);
	metrics_family(f, "shoal_runtime_sampled_packets_total", "counter",
	               "Sampled packets timed in a data-plane stage.");
	for (unsigned s = 0; s < SHOAL_DP_STAGE_COUNT_; s++)
		fprintf(f, "shoal_runtime_sampled_packets_total{stage=\"%s\"} %llu\n",
		        shoal_dp_stage_names[s], (unsigned long long)m->runtime[s].packets);
	metrics_family(f, "shoal_runtime_sampled_seconds_total", "counter",
	               "Time the sampled packets spent in a data-plane stage.");
	for (unsigned s = 0; s < SHOAL_DP_STAGE_COUNT_; s++)
		fprintf(f, "shoal_runtime_sampled_seconds_total{stage=\"%s\"} %.9f\n",
		        shoal_dp_stage_names[s], (double)m->runtime[s].ns / 1e9);
}

/* The command queue's counters, named by cmdq.h's table: shoal_cmdq_<name>_total. */
static void metrics_cmdq(FILE *f, const struct shoal_ctl_metrics *m)
{
	for (unsigned k = 0; k < SHOAL_CMDQ_CTR_COUNT_; k++) {
		char name[64];
		snprintf(name, sizeof(name), "shoal_cmdq_%s_total", shoal_cmdq_counter_names[k]);
		metrics_family(f, name, "counter", shoal_cmdq_counter_helps[k]);
		fprintf(f, "%s %llu\n", name, m->cmdq[k]);
	}
}

/* The group committer's counters, named by control.h's table: shoal_store_<name>_total. */
static void metrics_store(FILE *f, const struct shoal_ctl_metrics *m)
{
#define METRICS_STORE_(suffix, name, help) {"shoal_store_" name "_total", help},
	static const char *const family[SHOAL_CTL_STORE_COUNT_][2] = {
	    SHOAL_CTL_STORE_COUNTERS(METRICS_STORE_)};
#undef METRICS_STORE_
	for (unsigned k = 0; k < SHOAL_CTL_STORE_COUNT_; k++) {
		metrics_family(f, family[k][0], "counter", family[k][1]);
		fprintf(f, "%s %llu\n", family[k][0], m->store[k]);
	}
}

static void metrics_routes(FILE *f, const struct shoal_ctl_metrics *m)
{
	if (m->route_limit == 0)
		return;
	const char *names[2] = {"shoal_route_packets_total", "shoal_route_bytes_total"};
	const char *helps[2] = {"Datagrams forwarded by the route (its own, exact).",
	                        "Bytes (IPv4 length) forwarded by the route."};
	for (int k = 0; k < 2; k++) {
		metrics_family(f, names[k], "counter", helps[k]);
		for (size_t i = 0; i < m->n_routes; i++) {
			const struct shoal_ctl_route *r = &m->routes[i];
			char p[20];
			fprintf(f, "%s{prefix=\"%s\",interface=\"%s\"} %llu\n", names[k],
			        shoal_api_prefix_str(r->prefix, r->prefix_len, p, sizeof(p)),
			        r->interface, (unsigned long long)(k == 0 ? r->packets : r->bytes));
		}
	}
}

static void metrics_plugins(FILE *f, const struct shoal_ctl_plugin *pl, size_t np)
{
	metrics_family(f, "shoal_plugin_info", "gauge", "A loaded plugin (value 1).");
	for (size_t p = 0; p < np; p++)
		fprintf(f, "shoal_plugin_info{plugin=\"%s\",version=\"%s\",abi=\"%u.%u\"} 1\n",
		        pl[p].name, pl[p].version, pl[p].abi_major, pl[p].abi_minor);
	metrics_family(f, "shoal_plugin_hook_calls_total", "counter", "Calls of a plugin's hook.");
	for (size_t p = 0; p < np; p++)
		for (unsigned h = 0; h < SHOAL_PLUGIN_HOOK_COUNT_; h++)
			fprintf(f,
			        "shoal_plugin_hook_calls_total{plugin=\"%s\",hook=\"%s\"} %llu\n",
			        pl[p].name, metrics_hook_names[h],
			        (unsigned long long)pl[p].hook_calls[h]);
	static const char *const verdict_names[3] = {"continue", "consumed", "drop"};
	metrics_family(f, "shoal_plugin_verdicts_total", "counter",
	               "Verdicts a plugin's hook returned.");
	for (size_t p = 0; p < np; p++)
		for (unsigned h = 0; h < SHOAL_PLUGIN_HOOK_COUNT_; h++)
			for (unsigned v = 0; v < 3; v++)
				fprintf(f,
				        "shoal_plugin_verdicts_total{plugin=\"%s\",hook=\"%s\","
				        "verdict=\"%s\"} %llu\n",
				        pl[p].name, metrics_hook_names[h], verdict_names[v],
				        (unsigned long long)pl[p].verdicts[h][v]);
	metrics_family(f, "shoal_plugin_events_total", "counter",
	               "A plugin's registered counters (api->counter_register).");
	for (size_t p = 0; p < np; p++)
		for (size_t c = 0; c < pl[p].n_counters; c++)
			fprintf(f, "shoal_plugin_events_total{plugin=\"%s\",counter=\"%s\"} %llu\n",
			        pl[p].name, pl[p].counters[c].name,
			        (unsigned long long)pl[p].counters[c].value);
}

/* Failures of the plugins' metrics hooks (control.h): such a plugin's lines are missing. */
static void metrics_plugin_errors(FILE *f, const struct shoal_ctl_metrics *m)
{
	metrics_family(f, "shoal_plugin_metrics_errors_total", "counter",
	               "Scrapes where a plugin's metrics hook gave no lines, by reason.");
	for (size_t p = 0; p < m->n_plugins; p++)
		for (unsigned r = 0; r < SHOAL_CTL_PMETRICS_COUNT_; r++)
			fprintf(
			    f,
			    "shoal_plugin_metrics_errors_total{plugin=\"%s\",reason=\"%s\"} %llu\n",
			    m->plugins[p].name,
			    shoal_ctl_pmetrics_error_name((enum shoal_ctl_pmetrics_error)r),
			    (unsigned long long)m->plugins[p].errors[r]);
}

static void metrics_process(FILE *f)
{
	metrics_family(f, "shoal_build_info", "gauge", "shoald's version (value 1).");
	fprintf(f, "shoal_build_info{version=\"%s\"} 1\n", SHOAL_API_VERSION);
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		metrics_family(f, "process_cpu_seconds_total", "counter",
		               "User and system CPU time spent in seconds.");
		fprintf(f, "process_cpu_seconds_total %.6f\n",
		        (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		            (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	}
	FILE *sm = fopen("/proc/self/statm", "r");
	unsigned long long pages_virt, pages_res;
	if (sm && fscanf(sm, "%llu %llu", &pages_virt, &pages_res) == 2) {
		long ps = sysconf(_SC_PAGESIZE);
		metrics_family(f, "process_resident_memory_bytes", "gauge",
		               "Resident memory size in bytes.");
		fprintf(f, "process_resident_memory_bytes %llu\n",
		        pages_res * (unsigned long long)ps);
		metrics_family(f, "process_virtual_memory_bytes", "gauge",
		               "Virtual memory size in bytes.");
		fprintf(f, "process_virtual_memory_bytes %llu\n",
		        pages_virt * (unsigned long long)ps);
	}
	if (sm)
		fclose(sm);
	DIR *d = opendir("/proc/self/fd");
	if (d) {
		unsigned long n = 0;
		while (readdir(d))
			n++;
		closedir(d);
		metrics_family(f, "process_open_fds", "gauge", "Number of open file descriptors.");
		fprintf(f, "process_open_fds %lu\n",
		        n > 3 ? n - 3 : 0); /* ., .. and the dir's own */
	}
}

int shoal_api_metrics_text(struct shoal_ctl *ctl, bool authorized, char **text, size_t *len,
                           struct shoal_api_error *e)
{
	*text = NULL;
	*len = 0;
	struct shoal_ctl_error ce;
	struct shoal_ctl_metrics m;
	enum shoal_ctl_status st = shoal_ctl_metrics(ctl, &m, &ce);
	if (st != SHOAL_CTL_OK) {
		shoal_api_ctl_error(st, &ce, e);
		return -1;
	}
	if (!m.public_ && !authorized) {
		shoal_ctl_metrics_free(&m);
		shoal_api_error_set(e, 401, "unauthorized",
		                    "missing or wrong bearer token (Authorization: Bearer TOKEN)");
		return -1;
	}
	struct shoal_ctl_interface *ifs = NULL;
	struct shoal_ctl_plugin *pl = NULL;
	size_t n = 0, np = 0;
	st = shoal_ctl_interfaces(ctl, &ifs, &n, &ce);
	if (st == SHOAL_CTL_OK)
		st = shoal_ctl_plugins(ctl, &pl, &np, &ce);
	if (st == SHOAL_CTL_OK) /* last: plugin code, bounded (control.h) */
		st = shoal_ctl_metrics_plugins(ctl, &m, &ce);
	if (st != SHOAL_CTL_OK) {
		free(pl);
		free(ifs);
		shoal_ctl_metrics_free(&m);
		shoal_api_ctl_error(st, &ce, e);
		return -1;
	}
	FILE *f = open_memstream(text, len);
	if (f) {
		metrics_process(f);
		metrics_interfaces(f, ifs, n);
		metrics_drops(f, ifs, n, pl, np);
		metrics_dataplane(f, &m);
		metrics_cmdq(f, &m);
		metrics_store(f, &m);
		metrics_routes(f, &m);
		metrics_plugins(f, pl, np);
		metrics_plugin_errors(f, &m);
		fputs(m.plugin_text ? m.plugin_text : "", f);
	}
	free(pl);
	free(ifs);
	shoal_ctl_metrics_free(&m);
	if (!f || fclose(f) != 0) {
		if (f)
			free(*text);
		*text = NULL;
		shoal_api_error_set(e, 500, "out_of_memory", "out of memory");
		return -1;
	}
	return 0;
}
