/* netlink.c — rtnetlink requests over libmnl. Contract: include/shoal/netlink.h. */
#include "shoal/netlink.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <sys/socket.h>

enum { NETLINK_BUF_SIZE = 8192 };

__attribute__((format(printf, 3, 4))) static int netlink_err_set(struct shoal_netlink *nl, int e,
                                                                 const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(nl->err, sizeof(nl->err), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(nl->err))
		snprintf(nl->err + n, sizeof(nl->err) - (size_t)n, ": %s", strerror(e));
	return -e;
}

int shoal_netlink_open(struct shoal_netlink *nl)
{
	memset(nl, 0, sizeof(*nl));
	nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->sock)
		return netlink_err_set(nl, errno, "netlink socket");
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;
		mnl_socket_close(nl->sock);
		nl->sock = NULL;
		return netlink_err_set(nl, e, "netlink bind");
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (uint32_t)time(NULL);
	return 0;
}

void shoal_netlink_close(struct shoal_netlink *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
}

/* Sends nlh with the next sequence number and runs cb over the replies until one stops the
 * exchange (the ACK of a request, NLMSG_DONE of a dump). Returns 0 or -errno (the kernel's
 * error from NLMSG_ERROR). */
static int netlink_exchange(struct shoal_netlink *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	nlh->nlmsg_seq = ++nl->seq;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	char buf[NETLINK_BUF_SIZE];
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		int ret = mnl_cb_run(buf, (size_t)n, nl->seq, nl->portid, cb, data);
		if (ret < 0)
			return errno ? -errno : -EPROTO;
		if (ret == MNL_CB_STOP)
			return 0;
	}
}

/* A request: nlh with NLM_F_ACK added, replies until the ACK. */
static int netlink_request_run(struct shoal_netlink *nl, struct nlmsghdr *nlh, mnl_cb_t cb,
                               void *data)
{
	nlh->nlmsg_flags |= NLM_F_ACK;
	return netlink_exchange(nl, nlh, cb, data);
}

static struct nlmsghdr *netlink_link_msg_put(char *buf, uint16_t type, uint16_t flags, int ifindex)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = ifindex;
	return nlh;
}

static int netlink_link_attr_cb(const struct nlattr *attr, void *data)
{
	struct shoal_link_info *info = data;
	switch (mnl_attr_get_type(attr)) {
	case IFLA_MTU:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
			info->mtu = mnl_attr_get_u32(attr);
		break;
	case IFLA_IFNAME:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
			snprintf(info->name, sizeof(info->name), "%s", mnl_attr_get_str(attr));
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

static int netlink_link_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct shoal_link_info *info = data;
	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	info->ifindex = ifm->ifi_index;
	info->flags = ifm->ifi_flags;
	mnl_attr_parse(nlh, sizeof(*ifm), netlink_link_attr_cb, info);
	return MNL_CB_OK;
}

static int netlink_link_query(struct shoal_netlink *nl, int ifindex, const char *name,
                              struct shoal_link_info *out)
{
	char buf[NETLINK_BUF_SIZE];
	struct nlmsghdr *nlh = netlink_link_msg_put(buf, RTM_GETLINK, 0, ifindex);
	if (name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	memset(out, 0, sizeof(*out));
	return netlink_request_run(nl, nlh, netlink_link_msg_cb, out);
}

int shoal_netlink_ifindex(struct shoal_netlink *nl, const char *name)
{
	struct shoal_link_info info;
	if (strlen(name) >= IFNAMSIZ)
		return netlink_err_set(nl, EINVAL, "lookup link %s", name);
	int ret = netlink_link_query(nl, 0, name, &info);
	if (ret < 0)
		return netlink_err_set(nl, -ret, "lookup link %s", name);
	if (info.ifindex <= 0)
		return netlink_err_set(nl, ENODEV, "lookup link %s", name);
	return info.ifindex;
}

int shoal_netlink_link_get(struct shoal_netlink *nl, int ifindex, struct shoal_link_info *out)
{
	int ret = netlink_link_query(nl, ifindex, NULL, out);
	if (ret < 0)
		return netlink_err_set(nl, -ret, "get link ifindex %d", ifindex);
	return 0;
}

int shoal_netlink_link_set_up(struct shoal_netlink *nl, int ifindex, bool up)
{
	char buf[NETLINK_BUF_SIZE];
	struct nlmsghdr *nlh = netlink_link_msg_put(buf, RTM_NEWLINK, 0, ifindex);
	struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	ifm->ifi_change = IFF_UP;
	ifm->ifi_flags = up ? IFF_UP : 0;
	int ret = netlink_request_run(nl, nlh, NULL, NULL);
	if (ret < 0)
		return netlink_err_set(nl, -ret, "set link %s on ifindex %d", up ? "up" : "down",
		                       ifindex);
	return 0;
}

int shoal_netlink_link_set_mtu(struct shoal_netlink *nl, int ifindex, unsigned int mtu)
{
	char buf[NETLINK_BUF_SIZE];
	struct nlmsghdr *nlh = netlink_link_msg_put(buf, RTM_NEWLINK, 0, ifindex);
	mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	int ret = netlink_request_run(nl, nlh, NULL, NULL);
	if (ret < 0)
		return netlink_err_set(nl, -ret, "set mtu %u on ifindex %d", mtu, ifindex);
	return 0;
}

int shoal_netlink_link_delete(struct shoal_netlink *nl, int ifindex)
{
	char buf[NETLINK_BUF_SIZE];
	struct nlmsghdr *nlh = netlink_link_msg_put(buf, RTM_DELLINK, 0, ifindex);
	int ret = netlink_request_run(nl, nlh, NULL, NULL);
	if (ret < 0)
		return netlink_err_set(nl, -ret, "delete link ifindex %d", ifindex);
	return 0;
}

int shoal_netlink_link_set_netns(struct shoal_netlink *nl, int ifindex, int netns_fd)
{
	char buf[NETLINK_BUF_SIZE];
	struct nlmsghdr *nlh = netlink_link_msg_put(buf, RTM_NEWLINK, 0, ifindex);
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)netns_fd);
	int ret = netlink_request_run(nl, nlh, NULL, NULL);
	if (ret < 0)
		return netlink_err_set(nl, -ret, "move ifindex %d to netns fd %d", ifindex,
		                       netns_fd);
	return 0;
}

int shoal_netlink_addr_add_ipv4(struct shoal_netlink *nl, int ifindex, uint32_t addr,
                                unsigned int prefix_len)
{
	if (prefix_len > 32)
		return netlink_err_set(nl, EINVAL, "add address /%u on ifindex %d", prefix_len,
		                       ifindex);
	char buf[NETLINK_BUF_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)prefix_len;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (unsigned int)ifindex;
	mnl_attr_put_u32(nlh, IFA_LOCAL, addr);
	mnl_attr_put_u32(nlh, IFA_ADDRESS, addr);
	int ret = netlink_request_run(nl, nlh, NULL, NULL);
	if (ret < 0)
		return netlink_err_set(nl, -ret, "add address on ifindex %d", ifindex);
	return 0;
}

int shoal_netlink_addr_del_ipv4(struct shoal_netlink *nl, int ifindex, uint32_t addr,
                                unsigned int prefix_len)
{
	if (prefix_len > 32)
		return netlink_err_set(nl, EINVAL, "delete address /%u on ifindex %d", prefix_len,
		                       ifindex);
	char buf[NETLINK_BUF_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_DELADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)prefix_len;
	ifa->ifa_index = (unsigned int)ifindex;
	mnl_attr_put_u32(nlh, IFA_LOCAL, addr);
	int ret = netlink_request_run(nl, nlh, NULL, NULL);
	if (ret < 0)
		return netlink_err_set(nl, -ret, "delete address on ifindex %d", ifindex);
	return 0;
}

struct netlink_addr_dump {
	int ifindex;
	struct shoal_netlink_addr *out;
	size_t cap;
	size_t total;
};

static int netlink_addr_attr_cb(const struct nlattr *attr, void *data)
{
	uint32_t *local = data;
	if (mnl_attr_get_type(attr) == IFA_LOCAL && mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
		*local = mnl_attr_get_u32(attr);
	return MNL_CB_OK;
}

static int netlink_addr_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct netlink_addr_dump *d = data;
	if (nlh->nlmsg_type != RTM_NEWADDR)
		return MNL_CB_OK;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	if (ifa->ifa_family != AF_INET || (d->ifindex && (int)ifa->ifa_index != d->ifindex))
		return MNL_CB_OK;
	uint32_t local = 0;
	mnl_attr_parse(nlh, sizeof(*ifa), netlink_addr_attr_cb, &local);
	if (d->total < d->cap)
		d->out[d->total] = (struct shoal_netlink_addr){.ifindex = (int)ifa->ifa_index,
		                                               .addr = local,
		                                               .prefix_len = ifa->ifa_prefixlen};
	d->total++;
	return MNL_CB_OK;
}

/* Runs a dump request: replies until NLMSG_DONE. */
static int netlink_dump_run(struct shoal_netlink *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	return netlink_exchange(nl, nlh, cb, data);
}

int shoal_netlink_addr_list_ipv4(struct shoal_netlink *nl, int ifindex,
                                 struct shoal_netlink_addr *out, size_t cap, size_t *total)
{
	char buf[NETLINK_BUF_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETADDR;
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	struct netlink_addr_dump d = {.ifindex = ifindex, .out = out, .cap = cap};
	int ret = netlink_dump_run(nl, nlh, netlink_addr_msg_cb, &d);
	*total = d.total;
	if (ret < 0)
		return netlink_err_set(nl, -ret, "list addresses");
	return 0;
}

static struct nlmsghdr *netlink_route_msg_put(char *buf, uint16_t type, uint16_t flags,
                                              const struct shoal_netlink_route *r)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = (unsigned char)r->dst_len;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = r->protocol ? r->protocol : RTPROT_BOOT;
	rtm->rtm_scope = r->scope;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put_u32(nlh, RTA_DST, r->dst);
	if (r->oif > 0)
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)r->oif);
	if (r->gateway)
		mnl_attr_put_u32(nlh, RTA_GATEWAY, r->gateway);
	if (r->prefsrc)
		mnl_attr_put_u32(nlh, RTA_PREFSRC, r->prefsrc);
	if (r->priority)
		mnl_attr_put_u32(nlh, RTA_PRIORITY, r->priority);
	return nlh;
}

static void netlink_route_describe(char *out, size_t size, const struct shoal_netlink_route *r)
{
	const uint8_t *d = (const uint8_t *)&r->dst;
	snprintf(out, size, "%u.%u.%u.%u/%u on ifindex %d", d[0], d[1], d[2], d[3], r->dst_len,
	         r->oif);
}

int shoal_netlink_route_set_ipv4(struct shoal_netlink *nl, const struct shoal_netlink_route *r,
                                 enum shoal_netlink_route_mode mode)
{
	char what[64];
	netlink_route_describe(what, sizeof(what), r);
	if (r->dst_len > 32)
		return netlink_err_set(nl, EINVAL, "set route %s", what);
	char buf[NETLINK_BUF_SIZE];
	uint16_t flags =
	    mode == SHOAL_NETLINK_ROUTE_CREATE ? NLM_F_CREATE | NLM_F_EXCL : NLM_F_REPLACE;
	struct nlmsghdr *nlh = netlink_route_msg_put(buf, RTM_NEWROUTE, flags, r);
	if (r->rto_min_ms) {
		struct nlattr *nest = mnl_attr_nest_start(nlh, RTA_METRICS);
		mnl_attr_put_u32(nlh, RTAX_RTO_MIN, r->rto_min_ms);
		mnl_attr_nest_end(nlh, nest);
	}
	int ret = netlink_request_run(nl, nlh, NULL, NULL);
	if (ret < 0)
		return netlink_err_set(nl, -ret, "%s route %s",
		                       mode == SHOAL_NETLINK_ROUTE_CREATE ? "add" : "change", what);
	return 0;
}

int shoal_netlink_route_del_ipv4(struct shoal_netlink *nl, const struct shoal_netlink_route *r)
{
	char what[64];
	netlink_route_describe(what, sizeof(what), r);
	char buf[NETLINK_BUF_SIZE];
	struct shoal_netlink_route q = *r;
	q.scope = RT_SCOPE_NOWHERE;
	q.protocol = 0;
	struct nlmsghdr *nlh = netlink_route_msg_put(buf, RTM_DELROUTE, 0, &q);
	struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	rtm->rtm_protocol = 0; /* any */
	int ret = netlink_request_run(nl, nlh, NULL, NULL);
	if (ret < 0)
		return netlink_err_set(nl, -ret, "delete route %s", what);
	return 0;
}

struct netlink_route_dump {
	struct shoal_netlink_route *out;
	size_t cap;
	size_t total;
};

static int netlink_metrics_cb(const struct nlattr *attr, void *data)
{
	struct shoal_netlink_route *r = data;
	if (mnl_attr_get_type(attr) == RTAX_RTO_MIN && mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
		r->rto_min_ms = mnl_attr_get_u32(attr);
	return MNL_CB_OK;
}

static int netlink_route_attr_cb(const struct nlattr *attr, void *data)
{
	struct shoal_netlink_route *r = data;
	uint16_t type = mnl_attr_get_type(attr);
	if (type == RTA_METRICS) {
		if (mnl_attr_validate(attr, MNL_TYPE_NESTED) >= 0)
			mnl_attr_parse_nested(attr, netlink_metrics_cb, r);
		return MNL_CB_OK;
	}
	if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
		return MNL_CB_OK;
	switch (type) {
	case RTA_DST:
		r->dst = mnl_attr_get_u32(attr);
		break;
	case RTA_OIF:
		r->oif = (int)mnl_attr_get_u32(attr);
		break;
	case RTA_GATEWAY:
		r->gateway = mnl_attr_get_u32(attr);
		break;
	case RTA_PREFSRC:
		r->prefsrc = mnl_attr_get_u32(attr);
		break;
	case RTA_PRIORITY:
		r->priority = mnl_attr_get_u32(attr);
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

static int netlink_route_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct netlink_route_dump *d = data;
	if (nlh->nlmsg_type != RTM_NEWROUTE)
		return MNL_CB_OK;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	if (rtm->rtm_family != AF_INET || rtm->rtm_table != RT_TABLE_MAIN)
		return MNL_CB_OK;
	struct shoal_netlink_route r = {
	    .dst_len = rtm->rtm_dst_len, .protocol = rtm->rtm_protocol, .scope = rtm->rtm_scope};
	mnl_attr_parse(nlh, sizeof(*rtm), netlink_route_attr_cb, &r);
	if (d->total < d->cap)
		d->out[d->total] = r;
	d->total++;
	return MNL_CB_OK;
}

int shoal_netlink_route_list_ipv4(struct shoal_netlink *nl, struct shoal_netlink_route *out,
                                  size_t cap, size_t *total)
{
	char buf[NETLINK_BUF_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	struct netlink_route_dump d = {.out = out, .cap = cap};
	int ret = netlink_dump_run(nl, nlh, netlink_route_msg_cb, &d);
	*total = d.total;
	if (ret < 0)
		return netlink_err_set(nl, -ret, "list routes");
	return 0;
}
