/*
 * hostcfg.h — shoald's way out: the host side of its uplink TUN (config "host" object).
 *
 * Role: replaces the seed's manual steps (ip tuntap add, ip addr add, ip link set up,
 * ip route change ... rto_min, iptables CONNMARK + MASQUERADE, sysctl ip_forward) with
 * rtnetlink (netlink.h, libmnl), TUN ioctls (tundev.h) and a firewall backend (firewall.h),
 * all in shoald's own network namespace:
 *   - with host.owner: the TUN is created persistent and owned by that user before the data
 *     plane attaches to it (TUNSETOWNER, TUNSETPERSIST), and removed at exit;
 *   - host.address on the TUN (RTM_NEWADDR), link up (RTM_NEWLINK);
 *   - the connected route's rto_min (RTM_NEWROUTE replace, RTA_METRICS/RTAX_RTO_MIN) when
 *     host.rto_min_ms > 0;
 *   - one host route per other configured interface network, via shoald's own TUN address
 *     (so replies to the LANs behind shoald come back through the TUN), with the same rto_min;
 *   - with host.masquerade: the firewall backend's two rules (mark + masquerade);
 *   - with host.forwarding: /proc/sys/net/ipv4/ip_forward = 1, the previous value restored.
 *
 * Ownership of host state: shoald removes exactly what it added. An address or route it
 * found already there (identical) is used and left alone; one that clashes (the address on
 * another interface, an overlapping network, a route to a LAN network through something else)
 * is refused. Before changing anything, apply writes a record of what it is about to add to
 * <state_dir>/host.json (durably, state.h); a clean exit removes what it added and the record.
 * After a kill -9 the next start (prepare) or `shoald --cleanup` reads the record and removes
 * those leftovers first; the firewall rules are found by their comment/table regardless.
 *
 * Errors: prepare/apply return 0 or -1 with one line in err naming the setting (config JSON
 * path) and the kernel's reason, e.g.
 *   "interfaces[0].host.address: 169.254.144.1/24 clashes with 169.254.144.1/24 on veth0"
 * A failing apply rolls back every step it made: shoald never runs half-configured.
 *
 * Threads: prepare, apply, destroy and cleanup run on shoald's main thread (start/exit).
 * shoal_hostcfg_report() may run on any thread while the object lives (the API's HTTP
 * threads): it reads the object's fields fixed at start and asks the kernel with its own
 * netlink socket / firewall handle, never touching data-plane state; firewall reads are
 * serialized by a mutex in the object (libiptc keeps its error state in a global).
 *
 * Ownership: prepare allocates the object (NULL when the configuration has no host side);
 * destroy undoes and frees it. report returns a new json_t reference owned by the caller.
 */
#ifndef SHOAL_HOSTCFG_H
#define SHOAL_HOSTCFG_H

#include <stddef.h>

#include <jansson.h>

#include "shoal/config.h"

#ifdef __cplusplus
extern "C" {
#endif

struct shoal_hostcfg;

/* Before the data plane opens its devices: removes leftovers of an earlier run and, with
 * host.owner, creates the persistent owned TUN. *out is NULL when cfg has no host side. */
int shoal_hostcfg_prepare(struct shoal_hostcfg **out, const struct shoal_config *cfg, char *err,
                          size_t err_size);

/* After the data plane opened the TUN: address, link up, routes, firewall, forwarding. */
int shoal_hostcfg_apply(struct shoal_hostcfg *h, char *err, size_t err_size);

/* Removes what prepare/apply added (reverse order), the record, and frees h. NULL is a no-op.
 * Call it after the data plane closed its devices. */
void shoal_hostcfg_destroy(struct shoal_hostcfg *h);

/* What is on the host, read back from the kernel now:
 *   {"configured": true, "interface": "up0", "ifindex": 7, "link_up": true,
 *    "addresses": [{"address": "169.254.144.1/24", "added": true}],
 *    "routes": [{"prefix": "169.254.144.0/24", "via": null, "kind": "connected",
 *                "rto_min_ms": 10, "added": false}, ...],
 *    "firewall": {"backend": "nftables", "where": "...", "rules": [{"chain": "prerouting",
 *                 "role": "mark", "mark": 144, "text": "...", "packets": 3, "bytes": 180}]},
 *    "forwarding": {"managed": true, "value": 1, "restore_to": 0},
 *    "drift": ["firewall: the masquerade rule is missing", ...]}
 * h NULL gives {"configured": false, "drift": []}. NULL only when out of memory. */
json_t *shoal_hostcfg_report(struct shoal_hostcfg *h);

/* `shoald --cleanup`: removes the leftovers of cfg's host side (record + firewall rules)
 * without starting. Returns 0 or -1 with err. Prints nothing; *removed counts what went. */
int shoal_hostcfg_cleanup(const struct shoal_config *cfg, unsigned *removed, char *err,
                          size_t err_size);

#ifdef __cplusplus
}
#endif

#endif
