/* hostcfg.c — the host side of shoald's uplink: orchestration of netlink, TUN ioctls, the
 * firewall backend and ip_forward, with a record for leftovers. Contract:
 * include/shoal/hostcfg.h. */
#include "shoal/hostcfg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/rtnetlink.h>

#include "shoal/firewall.h"
#include "shoal/ipv4.h"
#include "shoal/log.h"
#include "shoal/netlink.h"
#include "shoal/state.h"
#include "shoal/tundev.h"

enum {
	HOSTCFG_ADDRS_MAX = 512,
	HOSTCFG_ROUTES_MAX = 4096,
	HOSTCFG_PATH_MAX = SHOAL_CONFIG_PATH_MAX + 16,
	HOSTCFG_JP_MAX = 48,
};

static const char hostcfg_forward_path[] = "/proc/sys/net/ipv4/ip_forward";

struct hostcfg_lan {
	uint32_t net; /* host order */
	uint8_t len;
	bool found; /* identical route was there before us: not ours */
	bool added;
};

struct shoal_hostcfg {
	char record_path[HOSTCFG_PATH_MAX]; /* "" without a state_dir */
	char jp[HOSTCFG_JP_MAX];            /* "interfaces[N].host" */
	char ifname[SHOAL_CONFIG_IFNAME_MAX];
	struct shoal_config_host host;
	uint32_t tun_addr; /* shoald's own address on the TUN, host order */
	unsigned n_lan;
	struct hostcfg_lan lan[SHOAL_CONFIG_MAX_INTERFACES];
	const struct shoal_fw_backend *fw;
	int ifindex;
	/* what this run did (undone by destroy, in reverse) */
	bool tun_created;
	bool addr_found;
	bool addr_added;
	bool fw_installed;
	bool fwd_changed;
	int fwd_before;
	/* Serializes the API's firewall reads: libiptc keeps its last-error function in a
	 * library-global variable, so two concurrent reads could garble each other's message. */
	pthread_mutex_t fw_lock;
};

__attribute__((format(printf, 3, 4))) static int hostcfg_err(char *err, size_t err_size,
                                                             const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, err_size, fmt, ap);
	va_end(ap);
	return -1;
}

static uint32_t hostcfg_mask(unsigned len)
{
	return shoal_ipv4_prefix_mask(len);
}

/* ---- ip_forward ------------------------------------------------------------------------ */

static int hostcfg_forward_read(void)
{
	char buf[8] = "";
	int fd = open(hostcfg_forward_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	int e = errno;
	close(fd);
	if (n <= 0)
		return n < 0 ? -e : -EIO;
	return buf[0] == '1' ? 1 : 0;
}

static int hostcfg_forward_write(int v)
{
	int fd = open(hostcfg_forward_path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	const char *text = v ? "1\n" : "0\n";
	ssize_t n = write(fd, text, 2);
	int e = errno;
	close(fd);
	return n == 2 ? 0 : -(n < 0 ? e : EIO);
}

/* ---- the record of what we are about to add -------------------------------------------- */

static int hostcfg_record_write(const struct shoal_hostcfg *h, bool fw, bool fwd, char *err,
                                size_t err_size)
{
	if (h->record_path[0] == '\0')
		return 0;
	char a[SHOAL_IPV4_PREFIX_STRLEN];
	json_t *o = json_object();
	json_t *routes = json_array();
	if (o == NULL || routes == NULL) {
		json_decref(o);
		json_decref(routes);
		return hostcfg_err(err, err_size, "%s: out of memory", h->record_path);
	}
	json_object_set_new(o, "interface", json_string(h->ifname));
	json_object_set_new(o, "tun_created", json_boolean(h->tun_created));
	if (!h->addr_found)
		json_object_set_new(
		    o, "address",
		    json_string(shoal_ipv4_prefix_format(h->host.address, h->host.prefix_len, a)));
	json_object_set_new(o, "gateway", json_string(shoal_ipv4_addr_format(h->tun_addr, a)));
	for (unsigned i = 0; i < h->n_lan; i++)
		if (!h->lan[i].found)
			json_array_append_new(routes, json_string(shoal_ipv4_prefix_format(
			                                  h->lan[i].net, h->lan[i].len, a)));
	json_object_set_new(o, "routes", routes);
	if (fw)
		json_object_set_new(o, "firewall", json_string(h->fw->name));
	if (fwd)
		json_object_set_new(o, "forwarding_before", json_integer(h->fwd_before));
	char *text = json_dumps(o, JSON_INDENT(2));
	json_decref(o);
	if (text == NULL)
		return hostcfg_err(err, err_size, "%s: out of memory", h->record_path);
	size_t n = strlen(text);
	char *line = realloc(text, n + 2);
	if (line == NULL) {
		free(text);
		return hostcfg_err(err, err_size, "%s: out of memory", h->record_path);
	}
	memcpy(line + n, "\n", 2);
	int rc = shoal_state_write_text(h->record_path, line, err, err_size);
	free(line);
	return rc;
}

static int hostcfg_record_path(const struct shoal_config *cfg, char *out, size_t size)
{
	out[0] = '\0';
	if (cfg->state_dir[0] == '\0')
		return 0;
	int n = snprintf(out, size, "%s/host.json", cfg->state_dir);
	return n > 0 && (size_t)n < size ? 0 : -1;
}

/* Removes what a record lists (each removal tolerant: gone already is fine). Returns how many
 * things it removed. */
static unsigned hostcfg_record_undo(const char *path, json_t *rec)
{
	unsigned removed = 0;
	const char *ifname = json_string_value(json_object_get(rec, "interface"));
	if (ifname == NULL || strlen(ifname) >= SHOAL_CONFIG_IFNAME_MAX) {
		shoal_log(SHOAL_LOG_WARN, "host: %s: no valid \"interface\"; ignoring it", path);
		return 0;
	}
	const char *fwname = json_string_value(json_object_get(rec, "firewall"));
	if (fwname) {
		const struct shoal_fw_backend *fw =
		    strcmp(fwname, shoal_fw_iptc.name) == 0 ? &shoal_fw_iptc : &shoal_fw_nft;
		char err[256];
		unsigned n = 0;
		if (fw->remove(ifname, &n, err, sizeof(err)) != 0)
			shoal_log(SHOAL_LOG_WARN, "host: leftover rules: %s", err);
		removed += n;
	}
	struct shoal_netlink nl;
	if (shoal_netlink_open(&nl) == 0) {
		int ifindex = shoal_netlink_ifindex(&nl, ifname);
		uint32_t gw = 0;
		const char *gws = json_string_value(json_object_get(rec, "gateway"));
		if (gws)
			shoal_ipv4_addr_parse(gws, &gw);
		json_t *routes = json_object_get(rec, "routes");
		size_t i;
		json_t *v;
		json_array_foreach(routes, i, v)
		{
			uint32_t net;
			uint8_t len;
			if (ifindex <= 0 || !json_is_string(v) ||
			    shoal_ipv4_prefix_parse(json_string_value(v), &net, &len) !=
			        SHOAL_WIRE_OK)
				continue;
			struct shoal_netlink_route r = {.dst = htonl(net),
			                                .dst_len = len,
			                                .oif = ifindex,
			                                .gateway = htonl(gw)};
			if (shoal_netlink_route_del_ipv4(&nl, &r) == 0)
				removed++;
		}
		const char *as = json_string_value(json_object_get(rec, "address"));
		uint32_t addr;
		uint8_t len;
		if (as && ifindex > 0) {
			const char *slash = strchr(as, '/');
			char ab[SHOAL_IPV4_ADDR_STRLEN] = "";
			if (slash && (size_t)(slash - as) < sizeof(ab)) {
				memcpy(ab, as, (size_t)(slash - as));
				len = (uint8_t)atoi(slash + 1);
				if (shoal_ipv4_addr_parse(ab, &addr) == SHOAL_WIRE_OK &&
				    shoal_netlink_addr_del_ipv4(&nl, ifindex, htonl(addr), len) ==
				        0)
					removed++;
			}
		}
		shoal_netlink_close(&nl);
	}
	json_t *fb = json_object_get(rec, "forwarding_before");
	if (json_is_integer(fb) && hostcfg_forward_write(json_integer_value(fb) ? 1 : 0) == 0)
		removed++;
	if (json_is_true(json_object_get(rec, "tun_created"))) {
		char err[256];
		if (shoal_tundev_persist_remove(ifname, SHOAL_TUNDEV_TUN, err, sizeof(err)) == 0)
			removed++;
	}
	return removed;
}

/* Reads the record (if any), undoes it and deletes it. */
static unsigned hostcfg_leftovers_remove(const char *path)
{
	if (path[0] == '\0' || access(path, F_OK) != 0)
		return 0;
	json_error_t jerr;
	json_t *rec = json_load_file(path, 0, &jerr);
	unsigned n = 0;
	if (rec == NULL || !json_is_object(rec))
		shoal_log(SHOAL_LOG_WARN, "host: %s: unreadable record (%s); removing it", path,
		          rec ? "not an object" : jerr.text);
	else
		n = hostcfg_record_undo(path, rec);
	json_decref(rec);
	unlink(path);
	return n;
}

/* ---- prepare / apply / destroy -------------------------------------------------------- */

static void hostcfg_free(struct shoal_hostcfg *h)
{
	pthread_mutex_destroy(&h->fw_lock);
	free(h);
}

static int hostcfg_find(const struct shoal_config *cfg)
{
	for (unsigned i = 0; i < cfg->n_interfaces; i++)
		if (cfg->interfaces[i].kind == SHOAL_CONFIG_IF_TUN &&
		    cfg->interfaces[i].host.present)
			return (int)i;
	return -1;
}

int shoal_hostcfg_prepare(struct shoal_hostcfg **out, const struct shoal_config *cfg, char *err,
                          size_t err_size)
{
	*out = NULL;
	int idx = hostcfg_find(cfg);
	if (idx < 0)
		return 0;
	const struct shoal_config_interface *ifc = &cfg->interfaces[idx];
	struct shoal_hostcfg *h = calloc(1, sizeof(*h));
	if (h == NULL)
		return hostcfg_err(err, err_size, "host: out of memory");
	snprintf(h->jp, sizeof(h->jp), "interfaces[%d].host", idx);
	snprintf(h->ifname, sizeof(h->ifname), "%s", ifc->name);
	h->host = ifc->host;
	h->tun_addr = ifc->address;
	h->fw = shoal_fw_backend_for(ifc->host.firewall);
	h->fwd_before = -1;
	pthread_mutex_init(&h->fw_lock, NULL);
	for (unsigned i = 0; i < cfg->n_interfaces; i++) {
		const struct shoal_config_interface *o = &cfg->interfaces[i];
		if ((int)i == idx)
			continue;
		h->lan[h->n_lan++] = (struct hostcfg_lan){
		    .net = o->address & hostcfg_mask(o->prefix_len), .len = o->prefix_len};
	}
	if (hostcfg_record_path(cfg, h->record_path, sizeof(h->record_path)) != 0) {
		hostcfg_free(h);
		return hostcfg_err(err, err_size, "state_dir: path too long");
	}
	/* A killed shoald's leftovers go first, then its rules wherever they are. */
	unsigned n = hostcfg_leftovers_remove(h->record_path);
	unsigned r = 0;
	char ferr[256];
	if (h->host.masquerade && h->fw->remove(h->ifname, &r, ferr, sizeof(ferr)) != 0)
		shoal_log(SHOAL_LOG_DEBUG, "host: %s", ferr);
	if (n + r > 0)
		shoal_log(SHOAL_LOG_INFO, "host: removed %u leftovers of an earlier run", n + r);

	if (h->host.owner[0]) {
		struct passwd pw, *res = NULL;
		char buf[4096];
		int e = getpwnam_r(h->host.owner, &pw, buf, sizeof(buf), &res);
		if (res == NULL) {
			hostcfg_err(err, err_size, "%s.owner: no user \"%s\"%s%s", h->jp,
			            h->host.owner, e ? ": " : "", e ? strerror(e) : "");
			hostcfg_free(h);
			return -1;
		}
		if (if_nametoindex(h->ifname) == 0) {
			char terr[256];
			if (shoal_tundev_persist_create(h->ifname, SHOAL_TUNDEV_TUN, pw.pw_uid,
			                                terr, sizeof(terr)) != 0) {
				hostcfg_err(err, err_size, "%s.owner: %s", h->jp, terr);
				hostcfg_free(h);
				return -1;
			}
			h->tun_created = true;
			if (hostcfg_record_write(h, false, false, err, err_size) != 0) {
				shoal_tundev_persist_remove(h->ifname, SHOAL_TUNDEV_TUN, ferr,
				                            sizeof(ferr));
				hostcfg_free(h);
				return -1;
			}
		}
	}
	*out = h;
	return 0;
}

/* Clash checks on the addresses: host.address on another link, or an overlapping network. */
static int hostcfg_check_addresses(struct shoal_hostcfg *h, struct shoal_netlink *nl, char *err,
                                   size_t err_size)
{
	struct shoal_netlink_addr *addrs = calloc(HOSTCFG_ADDRS_MAX, sizeof(*addrs));
	size_t n = 0;
	if (addrs == NULL)
		return hostcfg_err(err, err_size, "%s.address: out of memory", h->jp);
	if (shoal_netlink_addr_list_ipv4(nl, 0, addrs, HOSTCFG_ADDRS_MAX, &n) != 0) {
		free(addrs);
		return hostcfg_err(err, err_size, "%s.address: %s", h->jp, nl->err);
	}
	if (n > HOSTCFG_ADDRS_MAX) {
		shoal_log(SHOAL_LOG_WARN,
		          "host: %zu addresses on the host, only the first %d checked "
		          "for clashes",
		          n, HOSTCFG_ADDRS_MAX);
		n = HOSTCFG_ADDRS_MAX;
	}
	int rc = 0;
	char a[SHOAL_IPV4_PREFIX_STRLEN], b[SHOAL_IPV4_PREFIX_STRLEN];
	shoal_ipv4_prefix_format(h->host.address, h->host.prefix_len, a);
	for (size_t i = 0; i < n && rc == 0; i++) {
		uint32_t other = ntohl(addrs[i].addr);
		unsigned olen = addrs[i].prefix_len;
		if (addrs[i].ifindex == h->ifindex) {
			if (other == h->host.address && olen == h->host.prefix_len)
				h->addr_found = true;
			continue;
		}
		unsigned len = olen < h->host.prefix_len ? olen : h->host.prefix_len;
		bool same = other == h->host.address;
		bool overlap = ((other ^ h->host.address) & hostcfg_mask(len)) == 0;
		if (!same && !overlap)
			continue;
		struct shoal_link_info li;
		if (shoal_netlink_link_get(nl, addrs[i].ifindex, &li) != 0)
			snprintf(li.name, sizeof(li.name), "ifindex %d", addrs[i].ifindex);
		shoal_ipv4_prefix_format(other, (uint8_t)olen, b);
		rc = hostcfg_err(err, err_size,
		                 "%s.address: %s clashes with %s on %s (%s on the host); "
		                 "choose another host address/network",
		                 h->jp, a, b, li.name,
		                 same ? "the address is already in use" : "the networks overlap");
	}
	free(addrs);
	return rc;
}

/* The host routes to the LANs behind shoald: an identical one is used, another one clashes. */
static int hostcfg_check_routes(struct shoal_hostcfg *h, struct shoal_netlink *nl, char *err,
                                size_t err_size)
{
	if (h->n_lan == 0)
		return 0;
	struct shoal_netlink_route *rt = calloc(HOSTCFG_ROUTES_MAX, sizeof(*rt));
	size_t n = 0;
	if (rt == NULL)
		return hostcfg_err(err, err_size, "%s: out of memory", h->jp);
	if (shoal_netlink_route_list_ipv4(nl, rt, HOSTCFG_ROUTES_MAX, &n) != 0) {
		free(rt);
		return hostcfg_err(err, err_size, "%s: %s", h->jp, nl->err);
	}
	if (n > HOSTCFG_ROUTES_MAX) {
		shoal_log(SHOAL_LOG_WARN,
		          "host: %zu routes on the host, only the first %d checked "
		          "for clashes",
		          n, HOSTCFG_ROUTES_MAX);
		n = HOSTCFG_ROUTES_MAX;
	}
	int rc = 0;
	for (unsigned l = 0; l < h->n_lan && rc == 0; l++) {
		for (size_t i = 0; i < n; i++) {
			if (ntohl(rt[i].dst) != h->lan[l].net || rt[i].dst_len != h->lan[l].len)
				continue;
			if (rt[i].oif == h->ifindex && ntohl(rt[i].gateway) == h->tun_addr) {
				h->lan[l].found = true;
				continue;
			}
			char a[SHOAL_IPV4_PREFIX_STRLEN];
			struct shoal_link_info li;
			if (shoal_netlink_link_get(nl, rt[i].oif, &li) != 0)
				snprintf(li.name, sizeof(li.name), "ifindex %d", rt[i].oif);
			rc = hostcfg_err(err, err_size,
			                 "%s: the host already has a route to %s (dev %s), the "
			                 "network of another shoald interface",
			                 h->jp,
			                 shoal_ipv4_prefix_format(h->lan[l].net, h->lan[l].len, a),
			                 li.name);
			break;
		}
	}
	free(rt);
	return rc;
}

static struct shoal_netlink_route hostcfg_lan_route(const struct shoal_hostcfg *h,
                                                    const struct hostcfg_lan *l)
{
	return (struct shoal_netlink_route){.dst = htonl(l->net),
	                                    .dst_len = l->len,
	                                    .oif = h->ifindex,
	                                    .gateway = htonl(h->tun_addr),
	                                    .protocol = RTPROT_STATIC,
	                                    .scope = RT_SCOPE_UNIVERSE,
	                                    .rto_min_ms = h->host.rto_min_ms};
}

static struct shoal_netlink_route hostcfg_connected_route(const struct shoal_hostcfg *h)
{
	uint32_t mask = hostcfg_mask(h->host.prefix_len);
	return (struct shoal_netlink_route){.dst = htonl(h->host.address & mask),
	                                    .dst_len = h->host.prefix_len,
	                                    .oif = h->ifindex,
	                                    .prefsrc = htonl(h->host.address),
	                                    .protocol = RTPROT_KERNEL,
	                                    .scope = RT_SCOPE_LINK,
	                                    .rto_min_ms = h->host.rto_min_ms};
}

/* Undoes what apply did, in reverse order (netlink errors only logged). */
static void hostcfg_undo(struct shoal_hostcfg *h)
{
	char err[256];
	if (h->fwd_changed) {
		int rc = hostcfg_forward_write(h->fwd_before);
		if (rc != 0)
			shoal_log(SHOAL_LOG_WARN, "host: restore %s to %d: %s",
			          hostcfg_forward_path, h->fwd_before, strerror(-rc));
		h->fwd_changed = false;
	}
	if (h->fw_installed) {
		if (h->fw->remove(h->ifname, NULL, err, sizeof(err)) != 0)
			shoal_log(SHOAL_LOG_WARN, "host: %s", err);
		h->fw_installed = false;
	}
	struct shoal_netlink nl;
	if (shoal_netlink_open(&nl) != 0) {
		shoal_log(SHOAL_LOG_WARN, "host: %s", nl.err);
		return;
	}
	for (unsigned i = h->n_lan; i-- > 0;) {
		if (!h->lan[i].added)
			continue;
		struct shoal_netlink_route r = hostcfg_lan_route(h, &h->lan[i]);
		int rc = shoal_netlink_route_del_ipv4(&nl, &r);
		if (rc != 0 && rc != -ESRCH && rc != -ENODEV)
			shoal_log(SHOAL_LOG_WARN, "host: %s", nl.err);
		h->lan[i].added = false;
	}
	if (h->addr_added) {
		int rc = shoal_netlink_addr_del_ipv4(&nl, h->ifindex, htonl(h->host.address),
		                                     h->host.prefix_len);
		if (rc != 0 && rc != -EADDRNOTAVAIL && rc != -ENODEV)
			shoal_log(SHOAL_LOG_WARN, "host: %s", nl.err);
		h->addr_added = false;
	}
	shoal_netlink_close(&nl);
}

int shoal_hostcfg_apply(struct shoal_hostcfg *h, char *err, size_t err_size)
{
	struct shoal_netlink nl;
	if (shoal_netlink_open(&nl) != 0)
		return hostcfg_err(err, err_size, "%s: %s", h->jp, nl.err);
	int rc = -1;
	char a[SHOAL_IPV4_PREFIX_STRLEN];
	h->ifindex = shoal_netlink_ifindex(&nl, h->ifname);
	if (h->ifindex <= 0) {
		hostcfg_err(err, err_size, "%s: %s", h->jp, nl.err);
		goto out;
	}
	if (hostcfg_check_addresses(h, &nl, err, err_size) != 0 ||
	    hostcfg_check_routes(h, &nl, err, err_size) != 0)
		goto out;
	if (h->host.forwarding) {
		h->fwd_before = hostcfg_forward_read();
		if (h->fwd_before < 0) {
			hostcfg_err(err, err_size, "%s.forwarding: read %s: %s", h->jp,
			            hostcfg_forward_path, strerror(-h->fwd_before));
			goto out;
		}
	}
	bool change_fwd = h->host.forwarding && h->fwd_before != 1;
	if (hostcfg_record_write(h, h->host.masquerade, change_fwd, err, err_size) != 0)
		goto out;

	if (!h->addr_found) {
		if (shoal_netlink_addr_add_ipv4(&nl, h->ifindex, htonl(h->host.address),
		                                h->host.prefix_len) != 0) {
			hostcfg_err(
			    err, err_size, "%s.address: %s: %s", h->jp,
			    shoal_ipv4_prefix_format(h->host.address, h->host.prefix_len, a),
			    nl.err);
			goto out;
		}
		h->addr_added = true;
	}
	if (shoal_netlink_link_set_up(&nl, h->ifindex, true) != 0) {
		hostcfg_err(err, err_size, "%s: link up: %s", h->jp, nl.err);
		goto out;
	}
	if (h->host.rto_min_ms) {
		struct shoal_netlink_route r = hostcfg_connected_route(h);
		if (shoal_netlink_route_set_ipv4(&nl, &r, SHOAL_NETLINK_ROUTE_REPLACE) != 0) {
			hostcfg_err(err, err_size, "%s.rto_min_ms: %s", h->jp, nl.err);
			goto out;
		}
	}
	for (unsigned i = 0; i < h->n_lan; i++) {
		if (h->lan[i].found)
			continue;
		struct shoal_netlink_route r = hostcfg_lan_route(h, &h->lan[i]);
		if (shoal_netlink_route_set_ipv4(&nl, &r, SHOAL_NETLINK_ROUTE_CREATE) != 0) {
			hostcfg_err(err, err_size, "%s: host route to %s: %s", h->jp,
			            shoal_ipv4_prefix_format(h->lan[i].net, h->lan[i].len, a),
			            nl.err);
			goto out;
		}
		h->lan[i].added = true;
	}
	if (h->host.masquerade) {
		struct shoal_fw_spec spec = {.ifname = h->ifname, .mark = h->host.mark};
		char ferr[384];
		if (h->fw->install(&spec, ferr, sizeof(ferr)) != 0) {
			hostcfg_err(err, err_size, "%s.masquerade: %s", h->jp, ferr);
			goto out;
		}
		h->fw_installed = true;
	}
	if (change_fwd) {
		int e = hostcfg_forward_write(1);
		if (e != 0) {
			hostcfg_err(err, err_size, "%s.forwarding: write %s: %s", h->jp,
			            hostcfg_forward_path, strerror(-e));
			goto out;
		}
		h->fwd_changed = true;
	}
	rc = 0;
	shoal_log(SHOAL_LOG_INFO,
	          "host: %s %s%s on %s, rto_min %ums, %u host routes, masquerade %s (mark %u, %s), "
	          "forwarding %s",
	          h->addr_found ? "using" : "added",
	          shoal_ipv4_prefix_format(h->host.address, h->host.prefix_len, a), "", h->ifname,
	          h->host.rto_min_ms, h->n_lan, h->host.masquerade ? "on" : "off", h->host.mark,
	          h->fw->name, h->host.forwarding ? "on" : "unchanged");
out:
	shoal_netlink_close(&nl);
	if (rc != 0)
		hostcfg_undo(h);
	return rc;
}

void shoal_hostcfg_destroy(struct shoal_hostcfg *h)
{
	if (h == NULL)
		return;
	hostcfg_undo(h);
	if (h->tun_created) {
		char err[256];
		int rc = shoal_tundev_persist_remove(h->ifname, SHOAL_TUNDEV_TUN, err, sizeof(err));
		if (rc != 0 && rc != -ENODEV)
			shoal_log(SHOAL_LOG_WARN, "host: %s", err);
	}
	if (h->record_path[0])
		unlink(h->record_path);
	hostcfg_free(h);
}

int shoal_hostcfg_cleanup(const struct shoal_config *cfg, unsigned *removed, char *err,
                          size_t err_size)
{
	*removed = 0;
	char path[HOSTCFG_PATH_MAX];
	if (hostcfg_record_path(cfg, path, sizeof(path)) != 0)
		return hostcfg_err(err, err_size, "state_dir: path too long");
	*removed += hostcfg_leftovers_remove(path);
	int idx = hostcfg_find(cfg);
	if (idx < 0)
		return 0;
	const struct shoal_config_interface *ifc = &cfg->interfaces[idx];
	const struct shoal_fw_backend *fw = shoal_fw_backend_for(ifc->host.firewall);
	unsigned n = 0;
	char ferr[256];
	if (fw->remove(ifc->name, &n, ferr, sizeof(ferr)) != 0)
		return hostcfg_err(err, err_size, "interfaces[%d].host.firewall: %s", idx, ferr);
	*removed += n;
	return 0;
}

/* ---- report ------------------------------------------------------------------------------ */

static void hostcfg_drift(json_t *drift, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void hostcfg_drift(json_t *drift, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_array_append_new(drift, json_string(buf));
}

static void hostcfg_report_net(const struct shoal_hostcfg *h, json_t *o, json_t *drift)
{
	char a[SHOAL_IPV4_PREFIX_STRLEN], b[SHOAL_IPV4_ADDR_STRLEN];
	json_t *addrs = json_array();
	json_t *routes = json_array();
	json_object_set_new(o, "addresses", addrs);
	json_object_set_new(o, "routes", routes);
	struct shoal_netlink nl;
	if (shoal_netlink_open(&nl) != 0) {
		hostcfg_drift(drift, "cannot read the host: %s", nl.err);
		return;
	}
	struct shoal_link_info li;
	if (shoal_netlink_link_get(&nl, h->ifindex, &li) != 0 || strcmp(li.name, h->ifname) != 0) {
		hostcfg_drift(drift, "interface %s is gone", h->ifname);
		shoal_netlink_close(&nl);
		return;
	}
	json_object_set_new(o, "link_up", json_boolean(li.flags & IFF_UP));
	if (!(li.flags & IFF_UP))
		hostcfg_drift(drift, "interface %s is down", h->ifname);

	struct shoal_netlink_addr ad[64];
	size_t n = 0;
	bool have_addr = false;
	if (shoal_netlink_addr_list_ipv4(&nl, h->ifindex, ad, 64, &n) == 0) {
		for (size_t i = 0; i < n && i < 64; i++) {
			uint32_t v = ntohl(ad[i].addr);
			bool ours = v == h->host.address && ad[i].prefix_len == h->host.prefix_len;
			have_addr = have_addr || ours;
			json_t *e = json_object();
			json_object_set_new(
			    e, "address",
			    json_string(shoal_ipv4_prefix_format(v, (uint8_t)ad[i].prefix_len, a)));
			json_object_set_new(e, "added", json_boolean(ours && h->addr_added));
			json_array_append_new(addrs, e);
		}
	}
	if (!have_addr)
		hostcfg_drift(drift, "address %s is missing on %s",
		              shoal_ipv4_prefix_format(h->host.address, h->host.prefix_len, a),
		              h->ifname);

	struct shoal_netlink_route *rt = calloc(HOSTCFG_ROUTES_MAX, sizeof(*rt));
	n = 0;
	if (rt && shoal_netlink_route_list_ipv4(&nl, rt, HOSTCFG_ROUTES_MAX, &n) == 0) {
		if (n > HOSTCFG_ROUTES_MAX)
			n = HOSTCFG_ROUTES_MAX;
		/* connected first, then the LAN routes, in configuration order */
		for (unsigned want = 0; want <= h->n_lan; want++) {
			uint32_t net = want == 0
			                   ? h->host.address & hostcfg_mask(h->host.prefix_len)
			                   : h->lan[want - 1].net;
			uint8_t len = want == 0 ? h->host.prefix_len : h->lan[want - 1].len;
			bool seen = false;
			for (size_t i = 0; i < n; i++) {
				if (rt[i].oif != h->ifindex || ntohl(rt[i].dst) != net ||
				    rt[i].dst_len != len)
					continue;
				seen = true;
				json_t *e = json_object();
				json_object_set_new(
				    e, "prefix",
				    json_string(shoal_ipv4_prefix_format(net, len, a)));
				json_object_set_new(e, "via",
				                    rt[i].gateway
				                        ? json_string(shoal_ipv4_addr_format(
				                              ntohl(rt[i].gateway), b))
				                        : json_null());
				json_object_set_new(e, "kind",
				                    json_string(want == 0 ? "connected" : "lan"));
				json_object_set_new(e, "rto_min_ms",
				                    json_integer(rt[i].rto_min_ms));
				json_object_set_new(
				    e, "added",
				    json_boolean(want == 0 ? false : h->lan[want - 1].added));
				json_array_append_new(routes, e);
				if (h->host.rto_min_ms && rt[i].rto_min_ms != h->host.rto_min_ms)
					hostcfg_drift(drift, "route %s has rto_min %ums, not %ums",
					              a, rt[i].rto_min_ms, h->host.rto_min_ms);
			}
			if (!seen)
				hostcfg_drift(drift, "route %s dev %s is missing",
				              shoal_ipv4_prefix_format(net, len, a), h->ifname);
		}
	} else {
		hostcfg_drift(drift, "cannot list routes: %s", rt ? nl.err : "out of memory");
	}
	free(rt);
	shoal_netlink_close(&nl);
}

static void hostcfg_report_fw(struct shoal_hostcfg *h, json_t *o, json_t *drift)
{
	json_t *fw = json_object();
	json_t *rules = json_array();
	json_object_set_new(o, "firewall", fw);
	json_object_set_new(fw, "backend", json_string(h->fw->name));
	json_object_set_new(fw, "where", json_string(h->fw->where));
	json_object_set_new(fw, "masquerade", json_boolean(h->host.masquerade));
	json_object_set_new(fw, "rules", rules);
	if (!h->host.masquerade)
		return;
	struct shoal_fw_rule r[SHOAL_FW_RULES_MAX];
	size_t n = 0;
	char err[256];
	pthread_mutex_lock(&h->fw_lock);
	int rc = h->fw->list(h->ifname, r, SHOAL_FW_RULES_MAX, &n, err, sizeof(err));
	pthread_mutex_unlock(&h->fw_lock);
	if (rc != 0) {
		hostcfg_drift(drift, "cannot read the firewall: %s", err);
		return;
	}
	if (n > SHOAL_FW_RULES_MAX)
		hostcfg_drift(drift, "firewall: %zu rules carry shoald's comment, only %d shown", n,
		              SHOAL_FW_RULES_MAX);
	unsigned seen[3] = {0};
	for (size_t i = 0; i < n && i < SHOAL_FW_RULES_MAX; i++) {
		json_t *e = json_object();
		json_object_set_new(e, "chain", json_string(r[i].chain));
		json_object_set_new(e, "role", json_string(shoal_fw_role_name(r[i].role)));
		json_object_set_new(e, "mark", json_integer(r[i].mark));
		json_object_set_new(e, "text", json_string(r[i].text));
		json_object_set_new(e, "packets", json_integer((json_int_t)r[i].packets));
		json_object_set_new(e, "bytes", json_integer((json_int_t)r[i].bytes));
		json_array_append_new(rules, e);
		seen[r[i].role]++;
		if (r[i].role != SHOAL_FW_ROLE_OTHER && r[i].mark != h->host.mark)
			hostcfg_drift(drift, "firewall: the %s rule uses mark %u, not %u",
			              shoal_fw_role_name(r[i].role), r[i].mark, h->host.mark);
		if (r[i].role == SHOAL_FW_ROLE_MARK && strcmp(r[i].ifname, h->ifname) != 0)
			hostcfg_drift(drift, "firewall: the mark rule matches \"%s\", not %s",
			              r[i].ifname, h->ifname);
	}
	static const enum shoal_fw_role roles[] = {SHOAL_FW_ROLE_MARK, SHOAL_FW_ROLE_MASQUERADE};
	for (size_t i = 0; i < 2; i++) {
		const char *name = shoal_fw_role_name(roles[i]);
		if (seen[roles[i]] == 0)
			hostcfg_drift(drift, "firewall: the %s rule is missing (%s)", name,
			              h->fw->where);
		else if (seen[roles[i]] > 1)
			hostcfg_drift(drift, "firewall: the %s rule is there %u times", name,
			              seen[roles[i]]);
	}
	if (seen[SHOAL_FW_ROLE_OTHER])
		hostcfg_drift(drift, "firewall: %u rule(s) carry shoald's comment but were changed",
		              seen[SHOAL_FW_ROLE_OTHER]);
}

json_t *shoal_hostcfg_report(struct shoal_hostcfg *h)
{
	json_t *o = json_object();
	json_t *drift = json_array();
	if (o == NULL || drift == NULL) {
		json_decref(o);
		json_decref(drift);
		return NULL;
	}
	json_object_set_new(o, "configured", json_boolean(h != NULL));
	if (h != NULL) {
		json_object_set_new(o, "interface", json_string(h->ifname));
		json_object_set_new(o, "ifindex", json_integer(h->ifindex));
		hostcfg_report_net(h, o, drift);
		hostcfg_report_fw(h, o, drift);
		json_t *fwd = json_object();
		int now = hostcfg_forward_read();
		json_object_set_new(fwd, "managed", json_boolean(h->host.forwarding));
		json_object_set_new(fwd, "value", now < 0 ? json_null() : json_integer(now));
		json_object_set_new(fwd, "restore_to",
		                    h->fwd_changed ? json_integer(h->fwd_before) : json_null());
		json_object_set_new(o, "forwarding", fwd);
		if (h->host.forwarding && now != 1)
			hostcfg_drift(drift, "forwarding: %s is %d, not 1", hostcfg_forward_path,
			              now);
	}
	json_object_set_new(o, "drift", drift);
	return o;
}
