/*
 * test_tundev.c — TUN/TAP devices. The process first moves into a private network namespace
 * (unshare(CLONE_NEWNET), needs root) so nothing it creates touches the root namespace; all
 * devices vanish with the process.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <cmocka.h>

#include "shoal/netlink.h"
#include "shoal/tundev.h"

enum { TEST_FRAME_MAX = 65536 + 64 };

static struct shoal_netlink nl;
static uint8_t rx[TEST_FRAME_MAX];

static bool link_exists(const char *name)
{
	return if_nametoindex(name) != 0;
}

static void open_ok(struct shoal_tundev *dev, const char *name, enum shoal_tundev_kind kind,
                    bool offload)
{
	char err[256];
	int ret = shoal_tundev_open(dev, name, kind, offload, err, sizeof(err));
	if (ret != 0)
		fail_msg("open %s: %s", name, err);
	assert_true(dev->fd >= 0);
}

static void test_tap_created_and_removed_on_close(void **state)
{
	(void)state;
	struct shoal_tundev dev;
	assert_false(link_exists("ttap0"));
	open_ok(&dev, "ttap0", SHOAL_TUNDEV_TAP, false);
	assert_true(dev.created);
	assert_false(dev.vnet_hdr);
	assert_string_equal(dev.name, "ttap0");
	assert_true(link_exists("ttap0"));
	shoal_tundev_close(&dev);
	assert_int_equal(dev.fd, -1);
	assert_false(link_exists("ttap0"));
	shoal_tundev_close(&dev); /* idempotent */
}

static void test_tun_created_and_removed_on_close(void **state)
{
	(void)state;
	struct shoal_tundev dev;
	open_ok(&dev, "ttun0", SHOAL_TUNDEV_TUN, true);
	assert_true(dev.created);
	assert_true(dev.vnet_hdr);
	assert_int_not_equal(dev.offloads, 0);
	assert_true(link_exists("ttun0"));
	struct shoal_link_info info;
	assert_int_equal(shoal_netlink_link_get(&nl, (int)if_nametoindex("ttun0"), &info), 0);
	assert_true(info.flags & IFF_POINTOPOINT);
	shoal_tundev_close(&dev);
	assert_false(link_exists("ttun0"));
}

static void test_created_device_is_removed_even_if_made_persistent(void **state)
{
	(void)state;
	struct shoal_tundev dev;
	open_ok(&dev, "tmine0", SHOAL_TUNDEV_TAP, false);
	assert_int_equal(shoal_tundev_set_persist(&dev, true), 0);
	shoal_tundev_close(&dev);
	assert_false(link_exists("tmine0"));
}

static void test_persistent_device_is_attached_not_recreated(void **state)
{
	(void)state;
	struct shoal_tundev owner;
	open_ok(&owner, "tpers0", SHOAL_TUNDEV_TAP, false);
	assert_int_equal(shoal_tundev_set_persist(&owner, true), 0);
	owner.created = false; /* we hand it over as "pre-existing": close must keep it */
	shoal_tundev_close(&owner);
	assert_true(link_exists("tpers0"));
	unsigned int ifindex = if_nametoindex("tpers0");

	struct shoal_tundev dev;
	open_ok(&dev, "tpers0", SHOAL_TUNDEV_TAP, true);
	assert_false(dev.created);
	assert_int_equal(if_nametoindex("tpers0"), ifindex); /* same device */
	shoal_tundev_close(&dev);
	assert_true(link_exists("tpers0")); /* not ours: left in place */

	/* Attaching with the wrong kind fails with a clear message. */
	char err[256];
	assert_int_equal(
	    shoal_tundev_open(&dev, "tpers0", SHOAL_TUNDEV_TUN, false, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "tundev tpers0: TUNSETIFF (attach to existing device): Invalid "
	                         "argument");
	assert_int_equal(dev.fd, -1);

	assert_int_equal(shoal_netlink_link_delete(&nl, (int)ifindex), 0);
	assert_false(link_exists("tpers0"));
}

/* Like `ip tuntap add mode tun user 65534 name N`: persistent, owned, attachable, removable. */
static void test_persist_create_owned_then_remove(void **state)
{
	(void)state;
	char err[256];
	assert_int_equal(
	    shoal_tundev_persist_create("towned0", SHOAL_TUNDEV_TUN, 65534, err, sizeof(err)), 0);
	assert_true(link_exists("towned0"));
	/* (sysfs shows the root namespace here: ask ip, which runs in ours) */
	FILE *f =
	    popen("ip -d link show towned0 | grep -c 'persist on user \\(nobody\\|65534\\)'", "r");
	assert_non_null(f);
	int n = 0;
	assert_int_equal(fscanf(f, "%d", &n), 1);
	pclose(f);
	assert_int_equal(n, 1);
	/* a second create is refused: the name is taken */
	assert_int_equal(
	    shoal_tundev_persist_create("towned0", SHOAL_TUNDEV_TUN, 65534, err, sizeof(err)),
	    -EEXIST);
	assert_string_equal(err, "tundev towned0: create: File exists");
	/* the data plane attaches to it and leaves it on close */
	struct shoal_tundev dev;
	open_ok(&dev, "towned0", SHOAL_TUNDEV_TUN, true);
	assert_false(dev.created);
	/* removing while attached: persistence cleared, the device goes with the last fd */
	assert_int_equal(shoal_tundev_persist_remove("towned0", SHOAL_TUNDEV_TUN, err, sizeof(err)),
	                 -EBUSY);
	shoal_tundev_close(&dev);
	assert_true(link_exists("towned0"));
	assert_int_equal(shoal_tundev_persist_remove("towned0", SHOAL_TUNDEV_TUN, err, sizeof(err)),
	                 0);
	assert_false(link_exists("towned0"));
	assert_int_equal(shoal_tundev_persist_remove("towned0", SHOAL_TUNDEV_TUN, err, sizeof(err)),
	                 -ENODEV);
}

static void test_invalid_names_are_refused(void **state)
{
	(void)state;
	struct shoal_tundev dev;
	char err[256];
	assert_int_equal(shoal_tundev_open(&dev, "", SHOAL_TUNDEV_TAP, false, err, sizeof(err)),
	                 -EINVAL);
	assert_string_equal(err, "tundev : invalid interface name: Invalid argument");
	assert_int_equal(
	    shoal_tundev_open(&dev, "abcdefghijklmnop", SHOAL_TUNDEV_TAP, false, err, sizeof(err)),
	    -EINVAL);
	assert_int_equal(dev.fd, -1);
}

static void test_read_empty_is_eagain(void **state)
{
	(void)state;
	struct shoal_tundev dev;
	open_ok(&dev, "tempty0", SHOAL_TUNDEV_TAP, true);
	struct virtio_net_hdr hdr;
	assert_int_equal(shoal_tundev_read(&dev, &hdr, rx, sizeof(rx)), -EAGAIN);
	shoal_tundev_close(&dev);
}

/* ---- frames through the kernel: ARP request in, ARP reply out ---- */

static const uint8_t our_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x99};

static size_t arp_request_build(uint8_t *f, uint32_t sender_ip, uint32_t target_ip)
{
	memset(f, 0, 42);
	memset(f, 0xff, 6);
	memcpy(f + 6, our_mac, 6);
	f[12] = 0x08;
	f[13] = 0x06;
	uint8_t *a = f + 14;
	a[1] = 1;    /* htype ethernet */
	a[2] = 0x08; /* ptype IPv4 */
	a[4] = 6;
	a[5] = 4;
	a[7] = 1; /* request */
	memcpy(a + 8, our_mac, 6);
	memcpy(a + 14, &sender_ip, 4);
	memcpy(a + 24, &target_ip, 4);
	return 42;
}

/* Waits for an ARP reply on dev and returns its length (frames other than ARP are skipped). */
static ssize_t arp_reply_wait(struct shoal_tundev *dev, struct virtio_net_hdr *hdr)
{
	for (int tries = 0; tries < 50; tries++) {
		struct pollfd pfd = {.fd = dev->fd, .events = POLLIN};
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		ssize_t n = shoal_tundev_read(dev, hdr, rx, sizeof(rx));
		if (n >= 42 && rx[12] == 0x08 && rx[13] == 0x06 && rx[21] == 2)
			return n;
	}
	return -ETIMEDOUT;
}

static void arp_exchange_check(bool offload)
{
	const char *name = offload ? "tarpv0" : "tarp0";
	struct shoal_tundev dev;
	open_ok(&dev, name, SHOAL_TUNDEV_TAP, offload);
	int ifindex = shoal_netlink_ifindex(&nl, name);
	assert_true(ifindex > 0);
	uint32_t kernel_ip = htonl(0x0a090001), our_ip = htonl(0x0a090002);
	assert_int_equal(shoal_netlink_addr_add_ipv4(&nl, ifindex, kernel_ip, 24), 0);
	assert_int_equal(shoal_netlink_link_set_up(&nl, ifindex, true), 0);

	uint8_t frame[64];
	size_t len = arp_request_build(frame, our_ip, kernel_ip);
	struct virtio_net_hdr hdr;
	memset(&hdr, 0, sizeof(hdr));
	hdr.gso_type = VIRTIO_NET_HDR_GSO_NONE;
	assert_int_equal(shoal_tundev_write(&dev, offload ? &hdr : NULL, frame, len), 0);

	struct virtio_net_hdr rhdr;
	memset(&rhdr, 0xaa, sizeof(rhdr));
	ssize_t n = arp_reply_wait(&dev, &rhdr);
	assert_true(n >= 42);
	assert_memory_equal(rx, our_mac, 6);                      /* to us */
	assert_memory_equal(rx + 14 + 14, &kernel_ip, 4);         /* sender IP: the kernel */
	assert_memory_equal(rx + 14 + 18, our_mac, 6);            /* target MAC: us */
	assert_memory_equal(rx + 14 + 24, &our_ip, 4);            /* target IP: us */
	assert_int_equal(rhdr.gso_type, VIRTIO_NET_HDR_GSO_NONE); /* header parsed/zeroed */
	assert_int_equal(rhdr.flags, 0);
	shoal_tundev_close(&dev);
}

static void test_tap_frames_without_vnet_hdr(void **state)
{
	(void)state;
	arp_exchange_check(false);
}

static void test_tap_frames_with_vnet_hdr(void **state)
{
	(void)state;
	arp_exchange_check(true);
}

static void test_read_truncated_is_emsgsize(void **state)
{
	(void)state;
	struct shoal_tundev dev;
	open_ok(&dev, "ttrunc0", SHOAL_TUNDEV_TAP, false);
	int ifindex = shoal_netlink_ifindex(&nl, "ttrunc0");
	assert_int_equal(shoal_netlink_addr_add_ipv4(&nl, ifindex, htonl(0x0a0a0001), 24), 0);
	assert_int_equal(shoal_netlink_link_set_up(&nl, ifindex, true), 0);
	uint8_t frame[64];
	size_t len = arp_request_build(frame, htonl(0x0a0a0002), htonl(0x0a0a0001));
	assert_int_equal(shoal_tundev_write(&dev, NULL, frame, len), 0);
	struct virtio_net_hdr hdr;
	ssize_t n = -EAGAIN;
	for (int tries = 0; tries < 50 && n == -EAGAIN; tries++) {
		struct pollfd pfd = {.fd = dev.fd, .events = POLLIN};
		poll(&pfd, 1, 100);
		n = shoal_tundev_read(&dev, &hdr, rx, 10); /* any frame is longer than 10 */
	}
	assert_int_equal(n, -EMSGSIZE);
	shoal_tundev_close(&dev);
}

/* ---- checksum offload through the virtio header, both directions ---- */

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Sum of the UDP pseudo-header for the IPv4 header at ip (udp_len from the UDP header). */
static uint32_t udp_pseudo_sum(const uint8_t *ip, uint16_t udp_len)
{
	uint32_t sum = csum_add(0, ip + 12, 8);
	return sum + 17 + udp_len;
}

struct offload_rig {
	struct shoal_tundev dev;
	uint8_t kernel_mac[6];
	uint32_t kernel_ip, our_ip;
};

static void offload_rig_up(struct offload_rig *r, const char *name, bool offload, uint8_t net)
{
	open_ok(&r->dev, name, SHOAL_TUNDEV_TAP, offload);
	int ifindex = shoal_netlink_ifindex(&nl, name);
	r->kernel_ip = htonl(0x0a000001u | (uint32_t)net << 16);
	r->our_ip = htonl(0x0a000002u | (uint32_t)net << 16);
	assert_int_equal(shoal_netlink_addr_add_ipv4(&nl, ifindex, r->kernel_ip, 24), 0);
	assert_int_equal(shoal_netlink_link_set_up(&nl, ifindex, true), 0);
	/* Our ARP request teaches the kernel our MAC; its reply tells us the kernel's. */
	uint8_t frame[64];
	size_t len = arp_request_build(frame, r->our_ip, r->kernel_ip);
	assert_int_equal(shoal_tundev_write(&r->dev, NULL, frame, len), 0);
	struct virtio_net_hdr hdr;
	assert_true(arp_reply_wait(&r->dev, &hdr) >= 42);
	memcpy(r->kernel_mac, rx + 6, 6);
}

/* Reads frames until an IPv4/UDP one; returns its length. */
static ssize_t udp_frame_wait(struct shoal_tundev *dev, struct virtio_net_hdr *hdr)
{
	for (int tries = 0; tries < 50; tries++) {
		struct pollfd pfd = {.fd = dev->fd, .events = POLLIN};
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		ssize_t n = shoal_tundev_read(dev, hdr, rx, sizeof(rx));
		if (n >= 42 && rx[12] == 0x08 && rx[13] == 0x00 && rx[14 + 9] == 17)
			return n;
	}
	return -ETIMEDOUT;
}

static void kernel_udp_send(const struct offload_rig *r, uint16_t port)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(s >= 0);
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
	to.sin_addr.s_addr = r->our_ip;
	assert_int_equal(sendto(s, "offload!", 8, 0, (struct sockaddr *)&to, sizeof(to)), 8);
	close(s);
}

static void test_kernel_udp_has_partial_csum_with_offload(void **state)
{
	(void)state;
	struct offload_rig r;
	offload_rig_up(&r, "toff0", true, 11);
	kernel_udp_send(&r, 9999);
	struct virtio_net_hdr hdr;
	ssize_t n = udp_frame_wait(&r.dev, &hdr);
	assert_int_equal(n, 14 + 20 + 8 + 8);
	assert_true(hdr.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(hdr.csum_start, 14 + 20);
	assert_int_equal(hdr.csum_offset, 6);
	/* the field holds the pseudo-header sum only */
	const uint8_t *ip = rx + 14, *udp = rx + 34;
	uint16_t field = (uint16_t)(udp[6] << 8 | udp[7]);
	assert_int_equal(field, csum_fold(udp_pseudo_sum(ip, 16)));
	shoal_tundev_close(&r.dev);
}

static void test_kernel_udp_has_full_csum_without_offload(void **state)
{
	(void)state;
	struct offload_rig r;
	offload_rig_up(&r, "tnoff0", false, 12);
	kernel_udp_send(&r, 9999);
	struct virtio_net_hdr hdr;
	ssize_t n = udp_frame_wait(&r.dev, &hdr);
	assert_int_equal(n, 14 + 20 + 8 + 8);
	assert_int_equal(hdr.flags, 0);
	const uint8_t *ip = rx + 14;
	uint32_t sum = csum_add(udp_pseudo_sum(ip, 16), rx + 34, 16);
	assert_int_equal(csum_fold(sum), 0xffff); /* complete and correct */
	shoal_tundev_close(&r.dev);
}

/* Builds eth + IPv4 + UDP (8-byte payload) to the kernel; the UDP checksum field holds the
 * pseudo-header sum (partial) or the full checksum. Returns the length. */
static size_t udp_frame_build(uint8_t *f, const struct offload_rig *r, uint16_t port, bool partial)
{
	memset(f, 0, 64);
	memcpy(f, r->kernel_mac, 6);
	memcpy(f + 6, our_mac, 6);
	f[12] = 0x08;
	uint8_t *ip = f + 14, *udp = f + 34;
	ip[0] = 0x45;
	ip[3] = 36;
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, &r->our_ip, 4);
	memcpy(ip + 16, &r->kernel_ip, 4);
	uint16_t hc = (uint16_t)~csum_fold(csum_add(0, ip, 20));
	ip[10] = (uint8_t)(hc >> 8);
	ip[11] = (uint8_t)hc;
	udp[0] = 0x30;
	udp[1] = 0x39;
	udp[2] = (uint8_t)(port >> 8);
	udp[3] = (uint8_t)port;
	udp[5] = 16;
	memcpy(udp + 8, "partial!", 8);
	uint32_t pseudo = udp_pseudo_sum(ip, 16);
	uint16_t c = partial ? csum_fold(pseudo) : (uint16_t)~csum_fold(csum_add(pseudo, udp, 16));
	udp[6] = (uint8_t)(c >> 8);
	udp[7] = (uint8_t)c;
	return 50;
}

static int udp_listen(const struct offload_rig *r, uint16_t port)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(s >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = r->kernel_ip;
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	return s;
}

static bool udp_received(int s)
{
	struct pollfd pfd = {.fd = s, .events = POLLIN};
	if (poll(&pfd, 1, 300) <= 0)
		return false;
	char buf[64];
	return recv(s, buf, sizeof(buf), MSG_DONTWAIT) == 8 && memcmp(buf, "partial!", 8) == 0;
}

static void test_partial_csum_frame_accepted_only_with_needs_csum(void **state)
{
	(void)state;
	struct offload_rig r;
	offload_rig_up(&r, "toff1", true, 13);
	int s = udp_listen(&r, 7777);
	uint8_t frame[64];
	size_t len = udp_frame_build(frame, &r, 7777, true);
	/* Without the flag the kernel verifies the (incomplete) checksum and drops it. */
	assert_int_equal(shoal_tundev_write(&r.dev, NULL, frame, len), 0);
	assert_false(udp_received(s));
	/* With NEEDS_CSUM the same bytes are a valid partial-checksum datagram. */
	struct virtio_net_hdr hdr = {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
	                             .gso_type = VIRTIO_NET_HDR_GSO_NONE,
	                             .csum_start = 34,
	                             .csum_offset = 6};
	assert_int_equal(shoal_tundev_write(&r.dev, &hdr, frame, len), 0);
	assert_true(udp_received(s));
	close(s);
	shoal_tundev_close(&r.dev);
}

static void test_full_csum_frame_accepted_without_offload(void **state)
{
	(void)state;
	struct offload_rig r;
	offload_rig_up(&r, "tnoff1", false, 14);
	int s = udp_listen(&r, 7777);
	uint8_t frame[64];
	size_t len = udp_frame_build(frame, &r, 7777, false);
	/* hdr is ignored without vnet_hdr: the flag must not be needed nor harmful */
	struct virtio_net_hdr hdr = {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM};
	assert_int_equal(shoal_tundev_write(&r.dev, &hdr, frame, len), 0);
	assert_true(udp_received(s));
	close(s);
	shoal_tundev_close(&r.dev);
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
	    cmocka_unit_test(test_tap_created_and_removed_on_close),
	    cmocka_unit_test(test_tun_created_and_removed_on_close),
	    cmocka_unit_test(test_created_device_is_removed_even_if_made_persistent),
	    cmocka_unit_test(test_persistent_device_is_attached_not_recreated),
	    cmocka_unit_test(test_persist_create_owned_then_remove),
	    cmocka_unit_test(test_invalid_names_are_refused),
	    cmocka_unit_test(test_read_empty_is_eagain),
	    cmocka_unit_test(test_tap_frames_without_vnet_hdr),
	    cmocka_unit_test(test_tap_frames_with_vnet_hdr),
	    cmocka_unit_test(test_read_truncated_is_emsgsize),
	    cmocka_unit_test(test_kernel_udp_has_partial_csum_with_offload),
	    cmocka_unit_test(test_kernel_udp_has_full_csum_without_offload),
	    cmocka_unit_test(test_partial_csum_frame_accepted_only_with_needs_csum),
	    cmocka_unit_test(test_full_csum_frame_accepted_without_offload),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
