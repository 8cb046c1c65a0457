/*
 * tundev.h — one TUN or TAP device opened through /dev/net/tun.
 *
 * Role: the router's packet I/O on a Linux interface. A TUN device carries bare IPv4
 * datagrams (IFF_TUN | IFF_NO_PI); a TAP device carries Ethernet frames (IFF_TAP | IFF_NO_PI).
 * The file descriptor is non-blocking and close-on-exec.
 *
 * Offload: when opened with offload on, the device uses IFF_VNET_HDR: every read and write
 * carries a struct virtio_net_hdr (<linux/virtio_net.h>, 10 bytes, native byte order as the
 * kernel uses for legacy headers) in front of the packet, and TUNSETOFFLOAD announces that we
 * accept partial checksums and TSO/GSO super-frames (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 |
 * TUN_F_TSO_ECN). Without offload the header is absent on the wire; the read helper still
 * fills a zeroed header (no flags, GSO_NONE) and the write helper ignores the header argument,
 * so callers handle both modes with the same code.
 *
 * Persistent devices: if an interface of that name already exists, open attaches to it
 * (TUNSETIFF on an existing persistent TUN/TAP of the same kind) and `created` is false;
 * otherwise the kernel creates it and `created` is true. close() removes a device only when
 * we created it (it clears TUNSETPERSIST first in case someone set it); a device we attached
 * to is left as it was. The existence check and TUNSETIFF are not atomic: a device created by
 * someone else in between is reported as created by us (documented race, harmless for shoald
 * which owns its interface names).
 *
 * Ownership: the caller owns the struct; open fills it, close releases the descriptor. The
 * read/write helpers never allocate. Not thread-safe: one owner (the data-plane thread).
 */
#ifndef SHOAL_TUNDEV_H
#define SHOAL_TUNDEV_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <net/if.h>
/* <linux/virtio_net.h> is not valid C++ (a member named "class"): C++ code gets the
 * declaration only. */
#ifdef __cplusplus
struct virtio_net_hdr;
#else
#include <linux/virtio_net.h>
#endif

enum shoal_tundev_kind {
	SHOAL_TUNDEV_TUN, /* bare IPv4, point-to-point */
	SHOAL_TUNDEV_TAP, /* Ethernet frames */
};

struct shoal_tundev {
	int fd; /* -1 when closed */
	char name[IFNAMSIZ];
	enum shoal_tundev_kind kind;
	bool vnet_hdr;         /* IFF_VNET_HDR in use: reads/writes carry a virtio_net_hdr */
	bool created;          /* we created the device: close removes it */
	unsigned int offloads; /* TUN_F_* flags given to TUNSETOFFLOAD (0 without offload) */
};

/* Opens (creates or attaches to) the device `name` (1..IFNAMSIZ-1 characters). Returns 0, or a
 * negative errno with a message in err (always NUL-terminated when err_size > 0), e.g.
 * "tun lan0: TUNSETIFF: Device or resource busy". On failure dev->fd is -1. */
int shoal_tundev_open(struct shoal_tundev *dev, const char *name, enum shoal_tundev_kind kind,
                      bool offload, char *err, size_t err_size);

/* Releases the descriptor; removes the device if we created it. Idempotent. */
void shoal_tundev_close(struct shoal_tundev *dev);

/* Makes the device persistent (true) or not (false): TUNSETPERSIST. Returns 0 or -errno. */
int shoal_tundev_set_persist(struct shoal_tundev *dev, bool persist);

/* Creates a persistent TUN/TAP `name` owned by uid, as `ip tuntap add mode tun user U name N`
 * does (TUNSETIFF, TUNSETOWNER, TUNSETPERSIST 1, close); shoal_tundev_open() then attaches to
 * it. -EEXIST when an interface of that name exists. Returns 0 or -errno with err set. */
int shoal_tundev_persist_create(const char *name, enum shoal_tundev_kind kind, uid_t owner,
                                char *err, size_t err_size);

/* Removes a persistent TUN/TAP (attach, TUNSETPERSIST 0, close): the device goes once its last
 * descriptor closes. Returns 0 or -errno with err set (-EBUSY while someone holds it). */
int shoal_tundev_persist_remove(const char *name, enum shoal_tundev_kind kind, char *err,
                                size_t err_size);

/* Reads one packet: *hdr gets the virtio header (zeroed without vnet_hdr), buf the packet.
 * Returns the packet length (without header), -EAGAIN when nothing is queued, -EMSGSIZE when
 * the packet did not fit (truncated, dropped), or another negative errno. */
ssize_t shoal_tundev_read(struct shoal_tundev *dev, struct virtio_net_hdr *hdr, uint8_t *buf,
                          size_t cap);

/* Writes one packet. hdr may be NULL (a zero header: no checksum offload, no GSO); it is
 * ignored without vnet_hdr. Returns 0 or a negative errno (-EAGAIN when the queue is full). */
int shoal_tundev_write(struct shoal_tundev *dev, const struct virtio_net_hdr *hdr,
                       const uint8_t *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif
