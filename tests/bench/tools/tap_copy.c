/*
 * tap_copy: the trivial TAP copy loop, a "wire" between two TAP devices, used by
 * tests/bench/bench_forward.sh as the floor any user-space forwarder pays (two syscalls per frame,
 * no processing at all).
 *
 *   tap_copy [--no-vnet] [--batch N] TAP_A TAP_B
 *
 * Opens (creating if needed) TAP_A and TAP_B through /dev/net/tun in the current network
 * namespace. By default each is opened with IFF_VNET_HDR and TUNSETOFFLOAD (checksum + TSO4/6),
 * so the kernel hands over GSO super-frames with their virtio_net_hdr and they are written
 * unchanged to the other side: frames pass whole. --no-vnet copies plain MTU-sized frames.
 * The fds are non-blocking and watched by epoll; on each wake-up up to N frames (default 64) are
 * read from a ready device and written to the other one. A frame the other side refuses
 * (link down, queue full) is dropped and counted. SIGINT/SIGTERM end the loop; the counters are
 * printed on stderr. The devices are not persistent: they vanish when the program exits.
 *
 * Memory: one static frame buffer; nothing is allocated.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

enum {
	TAP_COPY_FRAME_MAX = 65536 + 64, /* GSO super-frame + virtio_net_hdr */
	TAP_COPY_BATCH_DEFAULT = 64,
	TAP_COPY_BATCH_MAX = 4096,
	TAP_COPY_SIGNAL_TAG = 2,
};

struct tap_copy_side {
	const char *name;
	int fd;
	uint64_t rx_frames;
	uint64_t rx_bytes;
	uint64_t tx_drops; /* frames that could not be written into this device */
};

static int tap_open(const char *name, int vnet)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "tap_copy: open /dev/net/tun: %s\n", strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (vnet)
		ifr.ifr_flags |= IFF_VNET_HDR;
	if (strlen(name) >= IFNAMSIZ) {
		fprintf(stderr, "tap_copy: device name too long: %s\n", name);
		close(fd);
		return -1;
	}
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		fprintf(stderr, "tap_copy: TUNSETIFF %s: %s\n", name, strerror(errno));
		close(fd);
		return -1;
	}
	if (!vnet)
		return fd;
	int hdr_len = (int)sizeof(struct virtio_net_hdr);
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr_len) < 0) {
		fprintf(stderr, "tap_copy: TUNSETVNETHDRSZ %s: %s\n", name, strerror(errno));
		close(fd);
		return -1;
	}
	unsigned long offload = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
	if (ioctl(fd, TUNSETOFFLOAD, offload) < 0) {
		fprintf(stderr, "tap_copy: TUNSETOFFLOAD %s: %s\n", name, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Copies up to `batch` frames from `from` to `to`. Returns -1 on a fatal read error. */
static int tap_frames_copy(struct tap_copy_side *from, struct tap_copy_side *to, int batch,
                           uint8_t *buf)
{
	for (int i = 0; i < batch; i++) {
		ssize_t n = read(from->fd, buf, TAP_COPY_FRAME_MAX);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			if (errno == EIO) /* device down: nothing to read yet */
				return 0;
			fprintf(stderr, "tap_copy: read %s: %s\n", from->name, strerror(errno));
			return -1;
		}
		if (n == 0)
			return 0;
		from->rx_frames++;
		from->rx_bytes += (uint64_t)n;
		if (write(to->fd, buf, (size_t)n) != n)
			to->tx_drops++;
	}
	return 0;
}

static int signals_block(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

static int usage(void)
{
	fprintf(stderr, "usage: tap_copy [--no-vnet] [--batch N] TAP_A TAP_B\n");
	return 2;
}

static int epoll_watch(int ep, int fd, uint64_t tag)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = tag};
	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static int copy_loop(struct tap_copy_side side[2], int sfd, int batch)
{
	static uint8_t buf[TAP_COPY_FRAME_MAX];
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		perror("tap_copy: epoll_create1");
		return -1;
	}
	if (epoll_watch(ep, side[0].fd, 0) < 0 || epoll_watch(ep, side[1].fd, 1) < 0 ||
	    epoll_watch(ep, sfd, TAP_COPY_SIGNAL_TAG) < 0) {
		perror("tap_copy: epoll_ctl");
		close(ep);
		return -1;
	}
	int rc = 0;
	for (;;) {
		struct epoll_event evs[3];
		int n = epoll_wait(ep, evs, 3, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("tap_copy: epoll_wait");
			rc = -1;
			break;
		}
		int stop = 0;
		for (int i = 0; i < n; i++) {
			uint64_t tag = evs[i].data.u64;
			if (tag == TAP_COPY_SIGNAL_TAG) {
				stop = 1;
				continue;
			}
			if (tap_frames_copy(&side[tag], &side[1 - tag], batch, buf) < 0) {
				rc = -1;
				stop = 1;
			}
		}
		if (stop)
			break;
	}
	close(ep);
	return rc;
}

int main(int argc, char **argv)
{
	int vnet = 1;
	int batch = TAP_COPY_BATCH_DEFAULT;
	int argi = 1;
	for (; argi < argc && argv[argi][0] == '-'; argi++) {
		if (strcmp(argv[argi], "--no-vnet") == 0) {
			vnet = 0;
		} else if (strcmp(argv[argi], "--batch") == 0 && argi + 1 < argc) {
			batch = atoi(argv[++argi]);
			if (batch < 1 || batch > TAP_COPY_BATCH_MAX)
				return usage();
		} else {
			return usage();
		}
	}
	if (argc - argi != 2)
		return usage();

	int sfd = signals_block();
	if (sfd < 0) {
		perror("tap_copy: signalfd");
		return 1;
	}
	struct tap_copy_side side[2] = {{.name = argv[argi], .fd = -1},
	                                {.name = argv[argi + 1], .fd = -1}};
	side[0].fd = tap_open(side[0].name, vnet);
	if (side[0].fd < 0) {
		close(sfd);
		return 1;
	}
	side[1].fd = tap_open(side[1].name, vnet);
	if (side[1].fd < 0) {
		close(side[0].fd);
		close(sfd);
		return 1;
	}
	fprintf(stderr, "tap_copy: copying %s <-> %s (vnet_hdr %s, batch %d)\n", side[0].name,
	        side[1].name, vnet ? "on" : "off", batch);

	int rc = copy_loop(side, sfd, batch);

	for (int i = 0; i < 2; i++)
		fprintf(stderr, "tap_copy: %s read %llu frames %llu bytes, writes dropped %llu\n",
		        side[i].name, (unsigned long long)side[i].rx_frames,
		        (unsigned long long)side[i].rx_bytes, (unsigned long long)side[i].tx_drops);
	close(side[1].fd);
	close(side[0].fd);
	close(sfd);
	return rc < 0 ? 1 : 0;
}
