/*
 * shoald.c — main() of the Shoal router daemon.
 *
 * Startup is a sequence of steps, each a shoald_<step>_init() with a matching _fini() run in
 * reverse order on exit; struct shoald holds everything they set up: the configuration, the
 * event loop, the command queue, the data plane (devices, routes, ARP, ICMP, plugins;
 * see dataplane.h), the control API over the queue (control.h: restores state.db) and
 * the HTTP API server (api.h); the uplink's host side (hostcfg.h) is prepared before the data
 * plane (leftovers out, owned TUN created) and applied right after it, undone after it closed.
 * Threads (the API) must be started after shoald_loop_init() so they inherit its blocked signal
 * mask. Privileges (privdrop.h) are dropped right after the host setup, while the main
 * thread — the data plane — is the only thread: it keeps CAP_NET_ADMIN (and CAP_NET_RAW with
 * a masquerading uplink) under the configured user; the state store and the API (token file
 * included) start after, as that user; the HTTP server is started from a short-lived thread
 * that first dropped every capability and installed the seccomp filter, so the threads it
 * creates hold nothing.
 *
 * Exit status: 0 after SIGTERM/SIGINT or a successful --check-config/--help/--version;
 * 1 on an invalid configuration or a failed start; 2 on a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include <unistd.h>

#include "shoal/cmdq.h"
#include "shoal/config.h"
#include "shoal/ipv4.h"
#include "shoal/control.h"
#include "shoal/dataplane.h"
#include "shoal/hostcfg.h"
#include "shoal/log.h"
#include "shoal/loop.h"
#include "shoal/netif.h"
#include "shoal/plugin_host.h"
#include "shoal/sdnotify.h"
#include "shoal/privdrop.h"
#ifdef SHOAL_HAVE_API
#include "shoal/api.h"
#endif

#ifndef SHOAL_VERSION
#define SHOAL_VERSION "unknown"
#endif

enum {
	SHOALD_TICK_MS = 10,       /* period of the timer that drives ARP, TCP and plugin ticks */
	SHOALD_CMDQ_CAPACITY = 64, /* control-path commands waiting at most */
	SHOALD_CMDQ_BATCH = 16,    /* commands run per wake-up, between packet batches */
};

enum shoald_exit {
	SHOALD_EXIT_OK = 0,
	SHOALD_EXIT_FAILURE = 1,
	SHOALD_EXIT_USAGE = 2,
};

enum shoald_action {
	SHOALD_RUN,
	SHOALD_CHECK_CONFIG,
	SHOALD_CLEANUP,
	SHOALD_PRINT_DEFAULT_CONFIG,
	SHOALD_HELP,
	SHOALD_VERSION_INFO,
	SHOALD_USAGE_ERROR,
};

struct shoald_options {
	enum shoald_action action;
	const char *config_path; /* NULL: built-in default */
	int verbosity;           /* +1 per -v, -1 per -q */
};

struct shoald {
	struct shoald_options opts;
	struct shoal_config *cfg; /* the configuration in force */
	struct shoal_loop loop;
	bool loop_up;
	struct shoal_cmdq cmdq;
	bool cmdq_up;
	struct shoal_hostcfg *host;   /* the uplink's host side (NULL: no "host" section) */
	struct shoal_dp *dp;          /* the forwarding plane: devices, routes, ARP, plugins */
	struct shoal_ctl *ctl;        /* the control API over the command queue (state.db) */
	struct shoal_sdnotify notify; /* systemd: READY/RELOADING/STOPPING, watchdog */
#ifdef SHOAL_HAVE_API
	struct shoal_api *api; /* the HTTP server (its own threads) */
#endif
};

static const char shoald_usage_text[] =
    "Usage: shoald [OPTION]...\n"
    "User-space IPv4 router over TUN/TAP devices.\n"
    "\n"
    "  -c, --config FILE   read the configuration from FILE (JSON) instead of the\n"
    "                      built-in default (taps lan0 10.0.1.1/24, lan1 10.0.2.1/24)\n"
    "      --check-config  validate the configuration, print any errors and exit\n"
    "                      (status 0 when valid, 1 otherwise)\n"
    "      --cleanup       remove the host settings a killed shoald left behind\n"
    "                      (addresses, routes, firewall rules, ip_forward) and exit\n"
    "      --print-default-config\n"
    "                      print the built-in default configuration (JSON) and exit\n"
    "  -v, --verbose       log more (repeatable: info -> debug)\n"
    "  -q, --quiet         log less (repeatable: info -> warning -> error)\n"
    "      --version       print the version and exit\n"
    "  -h, --help          print this help and exit\n"
    "\n"
    "Signals: SIGTERM/SIGINT stop cleanly, SIGHUP reloads routes and plugins.\n"
    "See shoald(8).\n";

static void shoald_options_parse(struct shoald_options *o, int argc, char **argv)
{
	enum { OPT_CHECK_CONFIG = 256, OPT_VERSION, OPT_CLEANUP, OPT_PRINT_DEFAULT };
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"check-config", no_argument, NULL, OPT_CHECK_CONFIG},
	    {"cleanup", no_argument, NULL, OPT_CLEANUP},
	    {"print-default-config", no_argument, NULL, OPT_PRINT_DEFAULT},
	    {"verbose", no_argument, NULL, 'v'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"version", no_argument, NULL, OPT_VERSION},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	*o = (struct shoald_options){.action = SHOALD_RUN};
	while ((c = getopt_long(argc, argv, "c:vqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config_path = optarg;
			break;
		case OPT_CHECK_CONFIG:
			if (o->action == SHOALD_RUN)
				o->action = SHOALD_CHECK_CONFIG;
			break;
		case OPT_CLEANUP:
			if (o->action == SHOALD_RUN)
				o->action = SHOALD_CLEANUP;
			break;
		case OPT_PRINT_DEFAULT:
			if (o->action == SHOALD_RUN)
				o->action = SHOALD_PRINT_DEFAULT_CONFIG;
			break;
		case 'v':
			o->verbosity++;
			break;
		case 'q':
			o->verbosity--;
			break;
		case OPT_VERSION:
			if (o->action != SHOALD_HELP)
				o->action = SHOALD_VERSION_INFO;
			break;
		case 'h':
			o->action = SHOALD_HELP;
			break;
		default: /* getopt printed the problem */
			o->action = SHOALD_USAGE_ERROR;
			return;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "shoald: unexpected argument '%s'\n", argv[optind]);
		o->action = SHOALD_USAGE_ERROR;
	}
}

/* Loads the file (or the default) into cfg; on errors prints them (one per line) and returns
 * -1, leaving cfg unspecified. */
static int shoald_config_read(const char *path, struct shoal_config *cfg, bool to_stderr)
{
	struct shoal_config_errors *errs = malloc(sizeof(*errs));
	if (errs == NULL) {
		shoal_log(SHOAL_LOG_ERROR, "out of memory");
		return -1;
	}
	int rc;
	if (path != NULL) {
		rc = shoal_config_load_file(cfg, path, errs);
	} else {
		shoal_config_default(cfg);
		errs->count = 0;
		rc = shoal_config_validate(cfg, "built-in default", errs);
	}
	unsigned shown =
	    errs->count < SHOAL_CONFIG_ERRORS_MAX ? errs->count : SHOAL_CONFIG_ERRORS_MAX;
	for (unsigned i = 0; i < shown; i++) {
		if (to_stderr)
			fprintf(stderr, "%s\n", errs->msg[i]);
		else
			shoal_log(SHOAL_LOG_ERROR, "%s", errs->msg[i]);
	}
	if (errs->count > shown) {
		if (to_stderr)
			fprintf(stderr, "... and %u more errors\n", errs->count - shown);
		else
			shoal_log(SHOAL_LOG_ERROR, "... and %u more errors", errs->count - shown);
	}
	free(errs);
	return rc;
}

/* The built-in default as a configuration file: what the package installs as
 * /etc/shoal/shoald.json (generated by the build with this option: one truth). */
static int shoald_print_default_config(void)
{
	struct shoal_config *cfg = malloc(sizeof(*cfg));
	if (cfg == NULL) {
		fprintf(stderr, "shoald: out of memory\n");
		return SHOALD_EXIT_FAILURE;
	}
	shoal_config_default(cfg);
	int rc = shoal_config_write(cfg, stdout);
	free(cfg);
	if (rc != 0 || fflush(stdout) != 0) {
		fprintf(stderr, "shoald: cannot write the configuration\n");
		return SHOALD_EXIT_FAILURE;
	}
	return SHOALD_EXIT_OK;
}

static int shoald_check_config(const struct shoald_options *o)
{
	struct shoal_config *cfg = malloc(sizeof(*cfg));
	if (cfg == NULL) {
		fprintf(stderr, "shoald: out of memory\n");
		return SHOALD_EXIT_FAILURE;
	}
	int rc = shoald_config_read(o->config_path, cfg, true);
	free(cfg);
	if (rc != 0)
		return SHOALD_EXIT_FAILURE;
	printf("%s: configuration OK\n", o->config_path ? o->config_path : "built-in default");
	return SHOALD_EXIT_OK;
}

/* --cleanup: the leftovers of the configuration's host side go; nothing starts. */
static int shoald_cleanup(const struct shoald_options *o)
{
	struct shoal_config *cfg = malloc(sizeof(*cfg));
	if (cfg == NULL) {
		fprintf(stderr, "shoald: out of memory\n");
		return SHOALD_EXIT_FAILURE;
	}
	int rc = shoald_config_read(o->config_path, cfg, true);
	char err[512] = "";
	unsigned removed = 0;
	if (rc == 0)
		rc = shoal_hostcfg_cleanup(cfg, &removed, err, sizeof(err));
	free(cfg);
	if (rc != 0) {
		if (err[0])
			fprintf(stderr, "shoald: cleanup: %s\n", err);
		return SHOALD_EXIT_FAILURE;
	}
	printf("shoald: cleanup: removed %u host settings\n", removed);
	return SHOALD_EXIT_OK;
}

/* ---- steps ------------------------------------------------------------------------------ */

static int shoald_config_init(struct shoald *d)
{
	d->cfg = malloc(sizeof(*d->cfg));
	if (d->cfg == NULL) {
		shoal_log(SHOAL_LOG_ERROR, "out of memory");
		return -1;
	}
	if (shoald_config_read(d->opts.config_path, d->cfg, false) != 0)
		return -1;
	shoal_log(SHOAL_LOG_INFO, "configuration: %s (%u interfaces, %u routes, %u plugins)",
	          d->opts.config_path ? d->opts.config_path : "built-in default",
	          d->cfg->n_interfaces, d->cfg->n_routes, d->cfg->n_plugins);
	return 0;
}

static void shoald_config_fini(struct shoald *d)
{
	free(d->cfg);
	d->cfg = NULL;
}

static void shoald_on_reload_config(struct shoald *d);

/* Reloads routes and plugins from the configuration file (SIGHUP). A file with errors is
 * rejected as a whole and the running configuration stays. */
static void shoald_on_reload(void *arg)
{
	struct shoald *d = arg;
	shoal_sdnotify_send(&d->notify, "RELOADING=1");
	shoald_on_reload_config(d);
	shoal_sdnotify_send(&d->notify, "READY=1");
}

static void shoald_on_reload_config(struct shoald *d)
{
	if (d->opts.config_path == NULL) {
		shoal_log(SHOAL_LOG_INFO, "SIGHUP: running on the built-in default, nothing to "
		                          "reload");
		return;
	}
	struct shoal_config *next = malloc(sizeof(*next));
	if (next == NULL) {
		shoal_log(SHOAL_LOG_ERROR, "SIGHUP: out of memory, configuration unchanged");
		return;
	}
	if (shoald_config_read(d->opts.config_path, next, false) != 0) {
		shoal_log(SHOAL_LOG_ERROR, "SIGHUP: %s has errors, configuration unchanged",
		          d->opts.config_path);
		free(next);
		return;
	}
	/* Applied between two packets: traffic keeps flowing on the routes that stay. */
	char err[512] = "";
	if (shoal_dp_reload(d->dp, next, err, sizeof(err)) != 0)
		shoal_log(SHOAL_LOG_WARN, "SIGHUP: %s", err);
	free(d->cfg);
	d->cfg = next;
	shoal_log(SHOAL_LOG_INFO, "SIGHUP: reloaded %s (%u routes, %u plugins)",
	          d->opts.config_path, d->cfg->n_routes, d->cfg->n_plugins);
}

static int shoald_loop_init(struct shoald *d)
{
	int rc = shoal_loop_init(&d->loop, SHOALD_TICK_MS);
	if (rc != 0) {
		shoal_log(SHOAL_LOG_ERROR, "event loop: %s", strerror(-rc));
		return -1;
	}
	d->loop_up = true;
	shoal_loop_set_reload(&d->loop, shoald_on_reload, d);
	return 0;
}

static void shoald_loop_fini(struct shoald *d)
{
	if (!d->loop_up)
		return;
	shoal_loop_fini(&d->loop);
	d->loop_up = false;
}

static void shoald_on_cmdq(void *arg, int fd, uint32_t events)
{
	struct shoald *d = arg;
	(void)fd;
	(void)events;
	shoal_cmdq_drain(&d->cmdq, SHOALD_CMDQ_BATCH);
}

static int shoald_cmdq_init(struct shoald *d)
{
	int rc = shoal_cmdq_init(&d->cmdq, SHOALD_CMDQ_CAPACITY);
	if (rc != 0) {
		shoal_log(SHOAL_LOG_ERROR, "command queue: %s", strerror(-rc));
		return -1;
	}
	d->cmdq_up = true;
	rc = shoal_loop_add_fd(&d->loop, shoal_cmdq_fd(&d->cmdq), EPOLLIN, shoald_on_cmdq, d);
	if (rc != 0) {
		shoal_log(SHOAL_LOG_ERROR, "command queue: %s", strerror(-rc));
		return -1;
	}
	return 0;
}

static void shoald_cmdq_fini(struct shoald *d)
{
	if (!d->cmdq_up)
		return;
	shoal_cmdq_close(&d->cmdq);
	/* Control threads (the API) are joined here, before the queue goes away. */
	shoal_loop_del_fd(&d->loop, shoal_cmdq_fd(&d->cmdq));
	shoal_cmdq_fini(&d->cmdq);
	d->cmdq_up = false;
}

/* Before the data plane: leftovers of a killed run go, an owned TUN is created. */
static int shoald_host_prepare(struct shoald *d)
{
	char err[512] = "";
	if (shoal_hostcfg_prepare(&d->host, d->cfg, err, sizeof(err)) != 0) {
		shoal_log(SHOAL_LOG_ERROR, "%s", err);
		return -1;
	}
	return 0;
}

/* After the data plane opened the TUN: address, routes, firewall, forwarding (all or
 * nothing). */
static int shoald_host_apply(struct shoald *d)
{
	if (d->host == NULL)
		return 0;
	char err[512] = "";
	if (shoal_hostcfg_apply(d->host, err, sizeof(err)) != 0) {
		shoal_log(SHOAL_LOG_ERROR, "%s", err);
		return -1;
	}
	return 0;
}

/* After the data plane closed its devices: removes exactly what apply/prepare added. */
static void shoald_host_fini(struct shoald *d)
{
	shoal_hostcfg_destroy(d->host);
	d->host = NULL;
}

static int shoald_dataplane_init(struct shoald *d)
{
	char err[512] = "";
#ifdef SHOAL_PLUGIN_BUILD_DIR /* -DSHOAL_DEV_PLUGINS=ON builds only */
	struct shoal_dp_params p = {.plugin_build_dir = SHOAL_PLUGIN_BUILD_DIR};
#else
	struct shoal_dp_params p = {.plugin_build_dir = NULL};
#endif
	d->dp = shoal_dp_create(d->cfg, &p, &d->loop, err, sizeof(err));
	if (d->dp == NULL) {
		shoal_log(SHOAL_LOG_ERROR, "%s", err);
		return -1;
	}
	shoal_dp_set_cmdq(d->dp, &d->cmdq);
	for (unsigned i = 0; i < d->cfg->n_interfaces; i++) {
		const struct shoal_config_interface *ifc = &d->cfg->interfaces[i];
		char a[SHOAL_CONFIG_IPV4_STRLEN], m[SHOAL_CONFIG_MAC_STRLEN];
		shoal_log(SHOAL_LOG_INFO, "interface %s (%s) %s/%u mtu %u%s%s%s", ifc->name,
		          ifc->kind == SHOAL_CONFIG_IF_TAP ? "tap" : "tun",
		          shoal_ipv4_addr_format(ifc->address, a), ifc->prefix_len, ifc->mtu,
		          ifc->kind == SHOAL_CONFIG_IF_TAP ? " mac " : "",
		          ifc->kind == SHOAL_CONFIG_IF_TAP ? shoal_config_mac_str(ifc->mac, m) : "",
		          ifc->offload ? " offload" : "");
	}
	return 0;
}

/* Logs what was forwarded and dropped, by interface and reason (at exit). */
static void shoald_dataplane_report(const struct shoald *d)
{
	const struct shoal_dp_stats *s = shoal_dp_stats(d->dp);
	shoal_log(SHOAL_LOG_INFO,
	          "forwarded %llu, local %llu, icmp errors %llu (rate-limited %llu, by destination "
	          "%llu, destinations evicted %llu), echo replies "
	          "%llu, fragments %llu, gso whole %llu, gso segments %llu, busy polls %llu",
	          (unsigned long long)s->forwarded, (unsigned long long)s->delivered_local,
	          (unsigned long long)s->icmp_errors_sent, (unsigned long long)s->icmp_rate_limited,
	          (unsigned long long)s->icmp_rate_limited_dest,
	          (unsigned long long)s->icmp_dest_evictions,
	          (unsigned long long)s->icmp_echo_replies, (unsigned long long)s->fragments_out,
	          (unsigned long long)s->gso_passthrough, (unsigned long long)s->gso_segments_out,
	          (unsigned long long)s->busy_polls);
	for (unsigned i = 0; i < shoal_dp_if_count(d->dp); i++) {
		const struct shoal_dp_if_stats *is = shoal_dp_if_stats(d->dp, i);
		shoal_log(SHOAL_LOG_INFO, "%s: rx %llu pkts %llu bytes, tx %llu pkts %llu bytes",
		          shoal_dp_if_name(d->dp, i), (unsigned long long)is->rx_packets,
		          (unsigned long long)is->rx_bytes, (unsigned long long)is->tx_packets,
		          (unsigned long long)is->tx_bytes);
		for (unsigned r = 0; r < SHOAL_DP_DROP_COUNT_; r++)
			if (is->drops[r])
				shoal_log(SHOAL_LOG_INFO, "%s: drop %s %llu",
				          shoal_dp_if_name(d->dp, i), shoal_dp_drop_names[r],
				          (unsigned long long)is->drops[r]);
		const struct shoal_netif *nf = shoal_dp_netif(d->dp, i);
		for (unsigned r = 0; nf && r < SHOAL_NETIF_DROP_COUNT_; r++)
			if (shoal_netif_stats(nf)->drops[r])
				shoal_log(SHOAL_LOG_INFO, "%s: arp drop %s %llu",
				          shoal_dp_if_name(d->dp, i), shoal_netif_drop_names[r],
				          (unsigned long long)shoal_netif_stats(nf)->drops[r]);
	}
}

/* Logs each loaded plugin's hook calls and counters (at exit). */
static void shoald_plugins_report(const struct shoald *d)
{
	struct shoal_plugin_host *ph = shoal_dp_plugins(d->dp);
	for (size_t i = 0; i < shoal_plugin_host_count(ph); i++) {
		struct shoal_plugin_info info;
		if (shoal_plugin_host_info(ph, i, &info) != 0)
			continue;
		shoal_log(SHOAL_LOG_INFO,
		          "plugin %s: ingress %llu, local_delivery %llu, egress %llu", info.name,
		          (unsigned long long)info.hook_calls[SHOAL_PLUGIN_HOOK_INGRESS],
		          (unsigned long long)info.hook_calls[SHOAL_PLUGIN_HOOK_LOCAL_DELIVERY],
		          (unsigned long long)info.hook_calls[SHOAL_PLUGIN_HOOK_EGRESS]);
		for (size_t c = 0; c < info.counter_count; c++)
			shoal_log(SHOAL_LOG_INFO, "plugin %s: counter %s %llu", info.name,
			          info.counters[c].name,
			          (unsigned long long)info.counters[c].value);
	}
}

static void shoald_dataplane_fini(struct shoald *d)
{
	if (d->dp == NULL)
		return;
	shoald_dataplane_report(d);
	shoald_plugins_report(d);
	shoal_dp_destroy(d->dp);
	d->dp = NULL;
}

static int shoald_control_init(struct shoald *d)
{
	char err[1024] = "";
	d->ctl = shoal_ctl_create(d->dp, &d->cmdq, d->cfg->state_dir, err, sizeof(err));
	if (d->ctl == NULL) {
		shoal_log(SHOAL_LOG_ERROR, "%s", err);
		return -1;
	}
	/* Accepted API state is never dropped silently: a bad state.db stops the start. */
	shoal_ctl_set_host(d->ctl, d->host);
	if (shoal_ctl_restore(d->ctl, err, sizeof(err)) != 0) {
		shoal_log(SHOAL_LOG_ERROR, "%s (fix or remove it)", err);
		return -1;
	}
	return 0;
}

static void shoald_control_fini(struct shoald *d)
{
	shoal_ctl_destroy(d->ctl);
	d->ctl = NULL;
}

static int shoald_privdrop(struct shoald *d)
{
	struct shoal_priv_plan plan = {.user = d->cfg->user};
	for (unsigned i = 0; i < d->cfg->n_interfaces; i++) {
		const struct shoal_config_host *h = &d->cfg->interfaces[i].host;
		if (h->present && h->masquerade)
			plan.keep_net_raw =
			    true; /* libiptc's raw socket removes the rules at exit */
	}
	struct shoal_priv_result res;
	char err[512] = "";
	if (shoal_priv_drop_process(&plan, &res, err, sizeof(err)) != 0) {
		shoal_log(SHOAL_LOG_ERROR, "privileges: %s", err);
		return -1;
	}
	shoal_log(SHOAL_LOG_INFO, "privileges: %s uid %u gid %u; data plane keeps %s; NoNewPrivs",
	          res.switched ? "switched to" : "running as", (unsigned)res.uid, (unsigned)res.gid,
	          plan.keep_net_raw ? "CAP_NET_ADMIN CAP_NET_RAW" : "CAP_NET_ADMIN");
	return 0;
}

#ifdef SHOAL_HAVE_API
/* web_dir; when the configured one is missing and shoald runs from its build tree, the
 * source tree's web/ (like plugins). */
static const char *shoald_web_dir(const struct shoald *d)
{
#ifdef SHOAL_SOURCE_WEB_DIR
	if (access(d->cfg->web_dir, F_OK) != 0 && access(SHOAL_SOURCE_WEB_DIR, F_OK) == 0)
		return SHOAL_SOURCE_WEB_DIR;
#endif
	return d->cfg->web_dir;
}
#endif

#ifdef SHOAL_HAVE_API
/* The short-lived thread the HTTP server starts from: it drops every capability and installs
 * the seccomp filter first, so all the server's threads inherit nothing (privdrop.h). */
struct shoald_api_starter {
	struct shoald *d;
	int rc;
	char err[1024];
};

static void *shoald_api_starter_run(void *arg)
{
	struct shoald_api_starter *st = arg;
	char why[512] = "";
	if (shoal_priv_drop_thread(why, sizeof(why)) != 0) {
		snprintf(st->err, sizeof(st->err), "api: privileges: %s", why);
		st->rc = -1;
		return NULL;
	}
	st->rc = shoal_api_start(&st->d->api, st->d->cfg, st->d->ctl, shoald_web_dir(st->d),
	                         st->err, sizeof(st->err));
	return NULL;
}
#endif

static int shoald_api_init(struct shoald *d)
{
#ifdef SHOAL_HAVE_API
	if (d->cfg->api_listen[0] == '\0')
		return 0;
	struct shoald_api_starter st = {.d = d};
	pthread_t th;
	if (pthread_create(&th, NULL, shoald_api_starter_run, &st) != 0) {
		shoal_log(SHOAL_LOG_ERROR, "api: cannot create the starter thread");
		return -1;
	}
	pthread_join(th, NULL);
	if (st.rc != 0) {
		shoal_log(SHOAL_LOG_ERROR, "%s", st.err);
		return -1;
	}
	shoal_log(SHOAL_LOG_INFO, "api: listening on %s", d->cfg->api_listen);
#else
	(void)d;
#endif
	return 0;
}

/* Stops the API before the command queue and the data plane go: closing the queue first
 * makes handlers blocked on it answer 503 at once, so stop only waits for them to return. */
static void shoald_api_fini(struct shoald *d)
{
#ifdef SHOAL_HAVE_API
	if (d->api == NULL)
		return;
	if (d->cmdq_up)
		shoal_cmdq_close(&d->cmdq);
	shoal_api_stop(d->api);
	d->api = NULL;
#else
	(void)d;
#endif
}

static void shoald_fini(struct shoald *d)
{
	shoald_api_fini(d);
	shoald_control_fini(d);
	shoald_dataplane_fini(d);
	shoald_host_fini(d);
	shoald_cmdq_fini(d);
	shoald_loop_fini(d);
	shoald_config_fini(d);
}

static int shoald_init(struct shoald *d)
{
	if (shoald_config_init(d) != 0 || shoald_loop_init(d) != 0 || shoald_cmdq_init(d) != 0 ||
	    shoald_host_prepare(d) != 0 || shoald_dataplane_init(d) != 0 ||
	    shoald_host_apply(d) != 0 || shoald_privdrop(d) != 0 || shoald_control_init(d) != 0 ||
	    shoald_api_init(d) != 0) {
		shoald_fini(d);
		return -1;
	}
	return 0;
}

/* Keep-alives come from the data-plane loop's tick: a stuck loop stops them. */
static void shoald_on_watchdog_tick(void *arg, uint64_t now_ms, uint64_t elapsed_ms)
{
	struct shoald *d = arg;
	(void)elapsed_ms;
	if (shoal_sdnotify_watchdog_tick(&d->notify, now_ms) < 0)
		shoal_log(SHOAL_LOG_DEBUG, "watchdog keep-alive not sent");
}

static int shoald_run(struct shoald *d)
{
	if (shoal_sdnotify_init(&d->notify) != 0)
		shoal_log(SHOAL_LOG_WARN, "ignoring a malformed NOTIFY_SOCKET or WATCHDOG_USEC");
	if (d->notify.watchdog_ms > 0 &&
	    shoal_loop_add_tick(&d->loop, shoald_on_watchdog_tick, d) != 0) {
		shoal_log(SHOAL_LOG_ERROR, "watchdog: no room for the tick callback");
		return -1;
	}
	shoal_log(SHOAL_LOG_INFO, "shoald %s running", SHOAL_VERSION);
	/* Interfaces, routes, plugins and the API are up: tell systemd (Type=notify). */
	if (shoal_sdnotify_send(&d->notify, "READY=1\nSTATUS=forwarding") != 0)
		shoal_log(SHOAL_LOG_WARN, "NOTIFY_SOCKET: cannot send READY=1");
	int rc = shoal_loop_run(&d->loop);
	shoal_sdnotify_send(&d->notify, "STOPPING=1");
	if (rc != 0) {
		shoal_log(SHOAL_LOG_ERROR, "event loop: %s", strerror(-rc));
		return -1;
	}
	int sig = shoal_loop_stop_signal(&d->loop);
	shoal_log(SHOAL_LOG_INFO, "stopping (%s)", sig ? strsignal(sig) : "requested");
	return 0;
}

int main(int argc, char **argv)
{
	struct shoald d = {0};

	shoal_log_init();
	shoald_options_parse(&d.opts, argc, argv);
	shoal_log_adjust(d.opts.verbosity);
	switch (d.opts.action) {
	case SHOALD_USAGE_ERROR:
		fputs("Try 'shoald --help'.\n", stderr);
		return SHOALD_EXIT_USAGE;
	case SHOALD_HELP:
		fputs(shoald_usage_text, stdout);
		return SHOALD_EXIT_OK;
	case SHOALD_VERSION_INFO:
		printf("shoald %s\n", SHOAL_VERSION);
		return SHOALD_EXIT_OK;
	case SHOALD_CHECK_CONFIG:
		return shoald_check_config(&d.opts);
	case SHOALD_CLEANUP:
		return shoald_cleanup(&d.opts);
	case SHOALD_PRINT_DEFAULT_CONFIG:
		return shoald_print_default_config();
	case SHOALD_RUN:
		break;
	}

	signal(SIGPIPE, SIG_IGN); /* a closed API peer must not kill the router */
	signal(SIGXFSZ, SIG_IGN); /* a file size limit fails the write (state.db), not the router */
	if (shoald_init(&d) != 0)
		return SHOALD_EXIT_FAILURE;
	int rc = shoald_run(&d);
	shoald_fini(&d);
	return rc == 0 ? SHOALD_EXIT_OK : SHOALD_EXIT_FAILURE;
}
