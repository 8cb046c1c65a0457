/*
 * test_netlink.c — rtnetlink over libmnl. Runs in a private network namespace
 * (unshare(CLONE_NEWNET), needs root); devices are TAPs made with shoal_tundev.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/rtnetlink.h>
#include <cmocka.h>

#include "shoal/netlink.h"
#include "shoal/tundev.h"

static struct shoal_netlink nl;

static int tap_open(struct shoal_tundev *dev, const char *name)
{
	char err[256];
	assert_int_equal(shoal_tundev_open(dev, name, SHOAL_TUNDEV_TAP, false, err, sizeof(err)),
	                 0);
	return (int)if_nametoindex(name);
}

static void test_ifindex_by_name(void **state)
{
	(void)state;
	assert_int_equal(shoal_netlink_ifindex(&nl, "lo"), 1);
	struct shoal_tundev dev;
	int ifindex = tap_open(&dev, "tnl0");
	assert_true(ifindex > 1);
	assert_int_equal(shoal_netlink_ifindex(&nl, "tnl0"), ifindex);
	shoal_tundev_close(&dev);
	assert_int_equal(shoal_netlink_ifindex(&nl, "tnl0"), -ENODEV);
	assert_string_equal(nl.err, "lookup link tnl0: No such device");
}

static void test_link_up_down_read_back(void **state)
{
	(void)state;
	struct shoal_tundev dev;
	int ifindex = tap_open(&dev, "tnl1");
	struct shoal_link_info info;
	assert_int_equal(shoal_netlink_link_get(&nl, ifindex, &info), 0);
	assert_int_equal(info.ifindex, ifindex);
	assert_string_equal(info.name, "tnl1");
	assert_false(info.flags & IFF_UP);
	assert_int_equal(shoal_netlink_link_set_up(&nl, ifindex, true), 0);
	assert_int_equal(shoal_netlink_link_get(&nl, ifindex, &info), 0);
	assert_true(info.flags & IFF_UP);
	assert_int_equal(shoal_netlink_link_set_up(&nl, ifindex, false), 0);
	assert_int_equal(shoal_netlink_link_get(&nl, ifindex, &info), 0);
	assert_false(info.flags & IFF_UP);
	shoal_tundev_close(&dev);
}

static void test_mtu_set_and_read_back(void **state)
{
	(void)state;
	struct shoal_tundev dev;
	int ifindex = tap_open(&dev, "tnl2");
	struct shoal_link_info info;
	assert_int_equal(shoal_netlink_link_get(&nl, ifindex, &info), 0);
	assert_int_equal(info.mtu, 1500);
	assert_int_equal(shoal_netlink_link_set_mtu(&nl, ifindex, 1400), 0);
	assert_int_equal(shoal_netlink_link_get(&nl, ifindex, &info), 0);
	assert_int_equal(info.mtu, 1400);
	assert_int_equal(shoal_netlink_link_set_mtu(&nl, ifindex, 9000), 0);
	assert_int_equal(shoal_netlink_link_get(&nl, ifindex, &info), 0);
	assert_int_equal(info.mtu, 9000);
	/* The kernel refuses an MTU below the Ethernet minimum: the ACK's error comes back. */
	assert_int_equal(shoal_netlink_link_set_mtu(&nl, ifindex, 10), -EINVAL);
	char expect[128];
	snprintf(expect, sizeof(expect), "set mtu 10 on ifindex %d: Invalid argument", ifindex);
	assert_string_equal(nl.err, expect);
	assert_int_equal(shoal_netlink_link_get(&nl, ifindex, &info), 0);
	assert_int_equal(info.mtu, 9000);
	shoal_tundev_close(&dev);
}

static void test_errors_on_missing_link(void **state)
{
	(void)state;
	struct shoal_link_info info;
	assert_int_equal(shoal_netlink_link_get(&nl, 9999, &info), -ENODEV);
	assert_string_equal(nl.err, "get link ifindex 9999: No such device");
	assert_int_equal(shoal_netlink_link_set_up(&nl, 9999, true), -ENODEV);
	assert_string_equal(nl.err, "set link up on ifindex 9999: No such device");
	assert_int_equal(shoal_netlink_link_delete(&nl, 9999), -ENODEV);
	assert_string_equal(nl.err, "delete link ifindex 9999: No such device");
}

static void test_delete_link(void **state)
{
	(void)state;
	struct shoal_tundev dev;
	int ifindex = tap_open(&dev, "tnl3");
	assert_int_equal(shoal_tundev_set_persist(&dev, true), 0);
	dev.created = false;
	shoal_tundev_close(&dev);
	assert_int_equal(shoal_netlink_ifindex(&nl, "tnl3"), ifindex);
	assert_int_equal(shoal_netlink_link_delete(&nl, ifindex), 0);
	assert_int_equal(shoal_netlink_ifindex(&nl, "tnl3"), -ENODEV);
}

static void test_addr_add_ipv4(void **state)
{
	(void)state;
	struct shoal_tundev dev;
	int ifindex = tap_open(&dev, "tnl4");
	assert_int_equal(shoal_netlink_addr_add_ipv4(&nl, ifindex, htonl(0x0a000001), 24), 0);
	/* adding it again is refused (NLM_F_EXCL) */
	assert_int_equal(shoal_netlink_addr_add_ipv4(&nl, ifindex, htonl(0x0a000001), 24), -EEXIST);
	assert_int_equal(shoal_netlink_addr_add_ipv4(&nl, ifindex, htonl(0x0a000001), 33), -EINVAL);
	shoal_tundev_close(&dev);
}

static void test_move_link_to_other_netns(void **state)
{
	(void)state;
	int here = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	assert_true(here >= 0);
	/* A second private namespace: enter it, keep an fd, come back. */
	assert_int_equal(unshare(CLONE_NEWNET), 0);
	int other = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	assert_true(other >= 0);
	assert_int_equal(setns(here, CLONE_NEWNET), 0);

	struct shoal_tundev dev;
	int ifindex = tap_open(&dev, "tnl5");
	assert_int_equal(shoal_netlink_link_set_netns(&nl, ifindex, other), 0);
	assert_int_equal(shoal_netlink_ifindex(&nl, "tnl5"), -ENODEV);

	assert_int_equal(setns(other, CLONE_NEWNET), 0);
	struct shoal_netlink nl2;
	assert_int_equal(shoal_netlink_open(&nl2), 0);
	assert_true(shoal_netlink_ifindex(&nl2, "tnl5") > 0);
	shoal_netlink_close(&nl2);
	assert_int_equal(setns(here, CLONE_NEWNET), 0);
	shoal_tundev_close(&dev); /* the device dies with its last fd, wherever it is */
	close(other);
	close(here);
}

/* Finds dst/len through oif in the main table; returns its index in rt or -1. */
static int route_find(struct shoal_netlink_route *rt, size_t n, const char *dst, unsigned len,
                      int oif)
{
	uint32_t d = inet_addr(dst);
	for (size_t i = 0; i < n; i++)
		if (rt[i].dst == d && rt[i].dst_len == len && rt[i].oif == oif)
			return (int)i;
	return -1;
}

static void test_addr_list_and_delete(void **state)
{
	(void)state;
	struct shoal_tundev dev;
	int ifindex = tap_open(&dev, "tnl6");
	assert_int_equal(shoal_netlink_addr_add_ipv4(&nl, ifindex, inet_addr("10.66.0.1"), 24), 0);
	assert_int_equal(shoal_netlink_addr_add_ipv4(&nl, ifindex, inet_addr("10.67.0.1"), 16), 0);
	struct shoal_netlink_addr a[8];
	size_t n = 0;
	assert_int_equal(shoal_netlink_addr_list_ipv4(&nl, ifindex, a, 8, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(a[0].addr, inet_addr("10.66.0.1"));
	assert_int_equal(a[0].prefix_len, 24);
	assert_int_equal(a[1].addr, inet_addr("10.67.0.1"));
	assert_int_equal(a[1].prefix_len, 16);
	assert_int_equal(a[0].ifindex, ifindex);
	/* bounded: cap 1 stores one, counts both */
	assert_int_equal(shoal_netlink_addr_list_ipv4(&nl, ifindex, a, 1, &n), 0);
	assert_int_equal(n, 2);
	/* all links: lo has none in a fresh namespace, so still 2 */
	assert_int_equal(shoal_netlink_addr_list_ipv4(&nl, 0, a, 8, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(shoal_netlink_addr_del_ipv4(&nl, ifindex, inet_addr("10.66.0.1"), 24), 0);
	assert_int_equal(shoal_netlink_addr_del_ipv4(&nl, ifindex, inet_addr("10.66.0.1"), 24),
	                 -EADDRNOTAVAIL);
	assert_int_equal(shoal_netlink_addr_list_ipv4(&nl, ifindex, a, 8, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(a[0].addr, inet_addr("10.67.0.1"));
	shoal_tundev_close(&dev);
}

static void test_route_rto_min_set_read_delete(void **state)
{
	(void)state;
	struct shoal_tundev dev;
	int ifindex = tap_open(&dev, "tnl7");
	assert_int_equal(shoal_netlink_addr_add_ipv4(&nl, ifindex, inet_addr("10.70.0.1"), 24), 0);
	assert_int_equal(shoal_netlink_link_set_up(&nl, ifindex, true), 0);
	struct shoal_netlink_route rt[32];
	size_t n = 0;
	assert_int_equal(shoal_netlink_route_list_ipv4(&nl, rt, 32, &n), 0);
	int i = route_find(rt, n, "10.70.0.0", 24, ifindex);
	assert_true(i >= 0);
	assert_int_equal(rt[i].rto_min_ms, 0);
	assert_int_equal(rt[i].protocol, RTPROT_KERNEL);
	assert_int_equal(rt[i].prefsrc, inet_addr("10.70.0.1"));

	/* ip route change ... rto_min 10ms on the connected route */
	struct shoal_netlink_route conn = {.dst = inet_addr("10.70.0.0"),
	                                   .dst_len = 24,
	                                   .oif = ifindex,
	                                   .prefsrc = inet_addr("10.70.0.1"),
	                                   .protocol = RTPROT_KERNEL,
	                                   .scope = RT_SCOPE_LINK,
	                                   .rto_min_ms = 10};
	assert_int_equal(shoal_netlink_route_set_ipv4(&nl, &conn, SHOAL_NETLINK_ROUTE_REPLACE), 0);
	assert_int_equal(shoal_netlink_route_list_ipv4(&nl, rt, 32, &n), 0);
	i = route_find(rt, n, "10.70.0.0", 24, ifindex);
	assert_true(i >= 0);
	assert_int_equal(rt[i].rto_min_ms, 10);
	assert_int_equal(route_find(rt, n, "10.70.0.0", 24, ifindex), i); /* replaced, not added */
	size_t before = n;

	/* a gateway route with rto_min; creating it twice is EEXIST */
	struct shoal_netlink_route gw = {.dst = inet_addr("10.71.0.0"),
	                                 .dst_len = 16,
	                                 .oif = ifindex,
	                                 .gateway = inet_addr("10.70.0.9"),
	                                 .protocol = RTPROT_STATIC,
	                                 .rto_min_ms = 25};
	assert_int_equal(shoal_netlink_route_set_ipv4(&nl, &gw, SHOAL_NETLINK_ROUTE_CREATE), 0);
	assert_int_equal(shoal_netlink_route_set_ipv4(&nl, &gw, SHOAL_NETLINK_ROUTE_CREATE),
	                 -EEXIST);
	assert_non_null(strstr(nl.err, "add route 10.71.0.0/16"));
	assert_int_equal(shoal_netlink_route_list_ipv4(&nl, rt, 32, &n), 0);
	assert_int_equal(n, before + 1);
	i = route_find(rt, n, "10.71.0.0", 16, ifindex);
	assert_true(i >= 0);
	assert_int_equal(rt[i].gateway, inet_addr("10.70.0.9"));
	assert_int_equal(rt[i].rto_min_ms, 25);
	assert_int_equal(rt[i].protocol, RTPROT_STATIC);

	assert_int_equal(shoal_netlink_route_del_ipv4(&nl, &gw), 0);
	assert_int_equal(shoal_netlink_route_del_ipv4(&nl, &gw), -ESRCH);
	assert_int_equal(shoal_netlink_route_list_ipv4(&nl, rt, 32, &n), 0);
	assert_int_equal(route_find(rt, n, "10.71.0.0", 16, ifindex), -1);
	shoal_tundev_close(&dev);
}

static int group_setup(void **state)
{
	(void)state;
	if (unshare(CLONE_NEWNET) != 0) {
		fprintf(stderr, "unshare(CLONE_NEWNET): %s (tests need root)\n", strerror(errno));
		return -1;
	}
	return shoal_netlink_open(&nl);
}

static int group_teardown(void **state)
{
	(void)state;
	shoal_netlink_close(&nl);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ifindex_by_name),
	    cmocka_unit_test(test_link_up_down_read_back),
	    cmocka_unit_test(test_mtu_set_and_read_back),
	    cmocka_unit_test(test_errors_on_missing_link),
	    cmocka_unit_test(test_delete_link),
	    cmocka_unit_test(test_addr_add_ipv4),
	    cmocka_unit_test(test_move_link_to_other_netns),
	    cmocka_unit_test(test_addr_list_and_delete),
	    cmocka_unit_test(test_route_rto_min_set_read_delete),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
