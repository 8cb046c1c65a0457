/*
 * netlink.h — the few rtnetlink operations shoald needs, over libmnl (never shells out).
 *
 * Role: find an interface by name, bring it up or down, set its MTU, read its flags and MTU
 * back, delete it, move it to another network namespace (tests and the demo), and add an IPv4
 * address to a kernel interface (tests and the demo). Every request asks for an ACK and the
 * kernel's answer is checked.
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

#ifdef __cplusplus
}
#endif

#endif
