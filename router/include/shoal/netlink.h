/*
 * netlink.h — the few rtnetlink operations shoald needs, over libmnl (never shells out).
 *
 * Role: find an interface by name, bring it up or down, set its MTU, read its flags and MTU
 * back, delete it, move it to another network namespace (tests and the demo), and add an IPv4
 * address to a kernel interface (tests and the demo); for the host uplink (hostcfg.h): list
 * and delete IPv4 addresses, add/replace/delete IPv4 routes of the main table with an
 * rto_min metric (RTA_METRICS / RTAX_RTO_MIN, in milliseconds as `ip route ... rto_min`)
 * and list them back with that metric. Every request asks for an ACK and the kernel's
 * answer is checked. Listings are bounded by the caller's array: entries past cap are
 * counted in *total but not stored.
 *
 * Errors: every call returns 0 (or a positive value where documented) or a negative errno;
 * on failure nl->err holds a one-line message naming the operation, the interface and the
 * kernel's reason, e.g. "set mtu 100 on ifindex 7: Invalid argument".
 *
 * Ownership: the caller owns struct shoal_netlink; open allocates the libmnl socket and
 * close frees it. Calls act in the network namespace the socket was opened in. Not
 * thread-safe: one owner at a time. Not for per-packet paths (blocking round trips).
 */
#ifndef SHOAL_NETLINK_H
#define SHOAL_NETLINK_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>

struct mnl_socket;

enum shoal_netlink_err_size { SHOAL_NETLINK_ERR_SIZE = 160 };

struct shoal_netlink {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;
	char err[SHOAL_NETLINK_ERR_SIZE];
};

struct shoal_link_info {
	int ifindex;
	char name[IFNAMSIZ];
	unsigned int flags; /* IFF_UP, IFF_RUNNING, ... (ifinfomsg.ifi_flags) */
	unsigned int mtu;
};

int shoal_netlink_open(struct shoal_netlink *nl);
void shoal_netlink_close(struct shoal_netlink *nl);

/* Returns the ifindex (> 0) of `name`, or -ENODEV. */
int shoal_netlink_ifindex(struct shoal_netlink *nl, const char *name);
int shoal_netlink_link_get(struct shoal_netlink *nl, int ifindex, struct shoal_link_info *out);
int shoal_netlink_link_set_up(struct shoal_netlink *nl, int ifindex, bool up);
int shoal_netlink_link_set_mtu(struct shoal_netlink *nl, int ifindex, unsigned int mtu);
int shoal_netlink_link_delete(struct shoal_netlink *nl, int ifindex);
/* Moves the link into the namespace of netns_fd (an fd on /proc/PID/ns/net or /run/netns/X). */
int shoal_netlink_link_set_netns(struct shoal_netlink *nl, int ifindex, int netns_fd);
/* Adds the IPv4 address addr/prefix_len (addr in network byte order) to the link. */
int shoal_netlink_addr_add_ipv4(struct shoal_netlink *nl, int ifindex, uint32_t addr,
                                unsigned int prefix_len);

/* Deletes addr/prefix_len from the link. -EADDRNOTAVAIL when it is not there. */
int shoal_netlink_addr_del_ipv4(struct shoal_netlink *nl, int ifindex, uint32_t addr,
                                unsigned int prefix_len);

/* One IPv4 address of a link (addr in network byte order). */
struct shoal_netlink_addr {
	int ifindex;
	uint32_t addr;
	unsigned int prefix_len;
};

/* Lists the IPv4 addresses of every link (ifindex 0) or of one. Stores at most cap in out and
 * the number found in *total. Returns 0 or -errno. */
int shoal_netlink_addr_list_ipv4(struct shoal_netlink *nl, int ifindex,
                                 struct shoal_netlink_addr *out, size_t cap, size_t *total);

/* An IPv4 route of the main table (addresses in network byte order). Zero gateway/prefsrc
 * mean absent; rto_min_ms 0 means no RTAX_RTO_MIN metric. */
struct shoal_netlink_route {
	uint32_t dst;
	unsigned int dst_len;
	int oif;
	uint32_t gateway;
	uint32_t prefsrc;
	unsigned char protocol; /* RTPROT_* */
	unsigned char scope;    /* RT_SCOPE_* */
	uint32_t priority;      /* metric */
	unsigned int rto_min_ms;
};

enum shoal_netlink_route_mode {
	SHOAL_NETLINK_ROUTE_CREATE,  /* fails with -EEXIST when the route exists (ip route add) */
	SHOAL_NETLINK_ROUTE_REPLACE, /* changes an existing route only (ip route change) */
};

/* Adds or changes a route of the main table. Returns 0 or -errno. */
int shoal_netlink_route_set_ipv4(struct shoal_netlink *nl, const struct shoal_netlink_route *r,
                                 enum shoal_netlink_route_mode mode);
/* Deletes the route dst/dst_len through oif (and gateway when non-zero). -ESRCH when absent. */
int shoal_netlink_route_del_ipv4(struct shoal_netlink *nl, const struct shoal_netlink_route *r);
/* Lists the IPv4 routes of the main table (as list_addr: at most cap, *total found). */
int shoal_netlink_route_list_ipv4(struct shoal_netlink *nl, struct shoal_netlink_route *out,
                                  size_t cap, size_t *total);

#ifdef __cplusplus
}
#endif

#endif
