/* sdnotify.c — the sd_notify datagram protocol. Contract in include/shoal/sdnotify.h. */
#include "shoal/sdnotify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int shoal_sdnotify_init(struct shoal_sdnotify *n)
{
	*n = (struct shoal_sdnotify){0};
	int rc = 0;
	const char *path = getenv("NOTIFY_SOCKET");
	if (path != NULL && path[0] != '\0') {
		size_t len = strlen(path);
		if (len >= sizeof(n->path) || (path[0] != '/' && path[0] != '@'))
			rc = -EINVAL;
		else
			memcpy(n->path, path, len + 1);
	}
	const char *usec = getenv("WATCHDOG_USEC");
	if (usec == NULL || usec[0] == '\0')
		return rc;
	const char *pid = getenv("WATCHDOG_PID");
	if (pid != NULL && pid[0] != '\0' && strtol(pid, NULL, 10) != (long)getpid())
		return rc;
	char *end;
	errno = 0;
	unsigned long long us = strtoull(usec, &end, 10);
	if (errno != 0 || *end != '\0' || us == 0 || usec[0] == '-')
		return -EINVAL;
	n->watchdog_ms = us / 1000 > 0 ? us / 1000 : 1;
	return rc;
}

bool shoal_sdnotify_enabled(const struct shoal_sdnotify *n)
{
	return n->path[0] != '\0';
}

int shoal_sdnotify_send(const struct shoal_sdnotify *n, const char *msg)
{
	if (!shoal_sdnotify_enabled(n))
		return 0;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t len = strlen(n->path);
	memcpy(sa.sun_path, n->path, len);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract namespace: the address is exactly len bytes */
	socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ssize_t w = sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
	int rc = w < 0 ? -errno : 0;
	close(fd);
	return rc;
}

int shoal_sdnotify_watchdog_tick(struct shoal_sdnotify *n, uint64_t now_ms)
{
	if (n->watchdog_ms == 0 || now_ms - n->last_keepalive_ms < n->watchdog_ms / 2)
		return 0;
	n->last_keepalive_ms = now_ms;
	int rc = shoal_sdnotify_send(n, "WATCHDOG=1");
	return rc < 0 ? rc : 1;
}
