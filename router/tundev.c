/* tundev.c — TUN/TAP devices through /dev/net/tun. Contract: include/shoal/tundev.h. */
#include "shoal/tundev.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/if_tun.h>

static int tundev_error_set(char *err, size_t err_size, const char *name, const char *what, int e)
{
	if (err_size > 0)
		snprintf(err, err_size, "tundev %s: %s: %s", name, what, strerror(e));
	return -e;
}

int shoal_tundev_open(struct shoal_tundev *dev, const char *name, enum shoal_tundev_kind kind,
                      bool offload, char *err, size_t err_size)
{
	memset(dev, 0, sizeof(*dev));
	dev->fd = -1;
	if (err_size > 0)
		err[0] = '\0';
	size_t name_len = name ? strlen(name) : 0;
	if (name_len == 0 || name_len >= IFNAMSIZ)
		return tundev_error_set(err, err_size, name ? name : "(null)",
		                        "invalid interface name", EINVAL);
	bool existed = if_nametoindex(name) != 0;

	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return tundev_error_set(err, err_size, name, "open /dev/net/tun", errno);

	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, name_len);
	ifr.ifr_flags = (short)((kind == SHOAL_TUNDEV_TAP ? IFF_TAP : IFF_TUN) | IFF_NO_PI);
	if (offload)
		ifr.ifr_flags |= IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;
		close(fd);
		return tundev_error_set(
		    err, err_size, name,
		    existed ? "TUNSETIFF (attach to existing device)" : "TUNSETIFF", e);
	}
	if (offload) {
		int hdr_size = (int)sizeof(struct virtio_net_hdr);
		unsigned int off = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
		const char *what = NULL;
		if (ioctl(fd, TUNSETVNETHDRSZ, &hdr_size) < 0)
			what = "TUNSETVNETHDRSZ";
		else if (ioctl(fd, TUNSETOFFLOAD, off) < 0)
			what = "TUNSETOFFLOAD";
		if (what) {
			int e = errno;
			if (!existed)
				ioctl(fd, TUNSETPERSIST, 0);
			close(fd);
			return tundev_error_set(err, err_size, name, what, e);
		}
		dev->offloads = off;
	}
	dev->fd = fd;
	memcpy(dev->name, ifr.ifr_name, sizeof(dev->name));
	dev->name[IFNAMSIZ - 1] = '\0';
	dev->kind = kind;
	dev->vnet_hdr = offload;
	dev->created = !existed;
	return 0;
}

void shoal_tundev_close(struct shoal_tundev *dev)
{
	if (dev->fd < 0)
		return;
	if (dev->created)
		ioctl(dev->fd, TUNSETPERSIST, 0); /* the last close then removes the device */
	close(dev->fd);
	dev->fd = -1;
}

int shoal_tundev_set_persist(struct shoal_tundev *dev, bool persist)
{
	if (ioctl(dev->fd, TUNSETPERSIST, persist ? 1 : 0) < 0)
		return -errno;
	return 0;
}

ssize_t shoal_tundev_read(struct shoal_tundev *dev, struct virtio_net_hdr *hdr, uint8_t *buf,
                          size_t cap)
{
	memset(hdr, 0, sizeof(*hdr));
	ssize_t n;
	if (dev->vnet_hdr) {
		struct iovec iov[2] = {{hdr, sizeof(*hdr)}, {buf, cap}};
		n = readv(dev->fd, iov, 2);
		if (n < 0)
			return -errno;
		if ((size_t)n < sizeof(*hdr))
			return -EIO;
		n -= (ssize_t)sizeof(*hdr);
	} else {
		n = read(dev->fd, buf, cap);
		if (n < 0)
			return -errno;
	}
	/* The kernel truncates silently; callers size buffers above the largest packet
	 * (65535 + link header), so an exactly-full read is treated as truncated. */
	if (cap > 0 && (size_t)n == cap)
		return -EMSGSIZE;
	return n;
}

int shoal_tundev_write(struct shoal_tundev *dev, const struct virtio_net_hdr *hdr,
                       const uint8_t *buf, size_t len)
{
	static const struct virtio_net_hdr zero_hdr;
	ssize_t n;
	size_t want = len;
	if (dev->vnet_hdr) {
		struct iovec iov[2] = {{(void *)(hdr ? hdr : &zero_hdr), sizeof(*hdr)},
		                       {(void *)buf, len}};
		want += sizeof(*hdr);
		n = writev(dev->fd, iov, 2);
	} else {
		n = write(dev->fd, buf, len);
	}
	if (n < 0)
		return -errno;
	if ((size_t)n != want)
		return -EIO;
	return 0;
}

/* Opens /dev/net/tun attached to `name` (created when missing). Returns the fd or -errno. */
static int tundev_attach(const char *name, enum shoal_tundev_kind kind, char *err, size_t err_size)
{
	size_t name_len = strlen(name);
	if (name_len == 0 || name_len >= IFNAMSIZ)
		return tundev_error_set(err, err_size, name, "invalid interface name", EINVAL);
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return tundev_error_set(err, err_size, name, "open /dev/net/tun", errno);
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, name_len);
	ifr.ifr_flags = (short)((kind == SHOAL_TUNDEV_TAP ? IFF_TAP : IFF_TUN) | IFF_NO_PI);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;
		close(fd);
		return tundev_error_set(err, err_size, name, "TUNSETIFF", e);
	}
	return fd;
}

int shoal_tundev_persist_create(const char *name, enum shoal_tundev_kind kind, uid_t owner,
                                char *err, size_t err_size)
{
	if (if_nametoindex(name) != 0)
		return tundev_error_set(err, err_size, name, "create", EEXIST);
	int fd = tundev_attach(name, kind, err, err_size);
	if (fd < 0)
		return fd;
	const char *what = NULL;
	if (ioctl(fd, TUNSETOWNER, (unsigned long)owner) < 0)
		what = "TUNSETOWNER";
	else if (ioctl(fd, TUNSETPERSIST, 1) < 0)
		what = "TUNSETPERSIST";
	int e = errno;
	close(fd); /* without TUNSETPERSIST the device goes with this close */
	if (what)
		return tundev_error_set(err, err_size, name, what, e);
	return 0;
}

int shoal_tundev_persist_remove(const char *name, enum shoal_tundev_kind kind, char *err,
                                size_t err_size)
{
	if (if_nametoindex(name) == 0)
		return tundev_error_set(err, err_size, name, "remove", ENODEV);
	int fd = tundev_attach(name, kind, err, err_size);
	if (fd < 0)
		return fd;
	int rc = 0;
	if (ioctl(fd, TUNSETPERSIST, 0) < 0)
		rc = tundev_error_set(err, err_size, name, "TUNSETPERSIST 0", errno);
	close(fd);
	return rc;
}
