/*
 * sdnotify.h — tells the service manager (systemd) about shoald's state: the sd_notify(3)
 * datagram protocol, spoken directly (no libsystemd).
 *
 * Role: shoald sends "READY=1" once its interfaces and API are up, "RELOADING=1" ...
 * "READY=1" around a SIGHUP reload, "STOPPING=1" when it begins to stop, and "WATCHDOG=1"
 * keep-alives from the data-plane loop's tick while WatchdogSec= is set, so a data plane that
 * stops ticking gets the service restarted.
 *
 * Protocol: when $NOTIFY_SOCKET is set, each message is one datagram of "KEY=VALUE\n" lines
 * sent to that AF_UNIX address; an address starting with '@' is in the abstract namespace
 * (the '@' becomes a NUL byte). The watchdog interval is $WATCHDOG_USEC (microseconds); it
 * applies only when $WATCHDOG_PID is unset or equals getpid(). Keep-alives are sent every
 * half interval (systemd's recommendation).
 *
 * Invariants: without $NOTIFY_SOCKET every call is a no-op returning 0; a failed send is
 * returned (-errno), never fatal. No allocation; the socket is opened per message (messages
 * are rare: at most two per watchdog interval).
 * Ownership: struct shoal_sdnotify is the caller's (plain values, no fds, no fini). Not
 * thread-safe: use it from the data-plane thread.
 */
#ifndef SHOAL_SDNOTIFY_H
#define SHOAL_SDNOTIFY_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { SHOAL_SDNOTIFY_PATH_MAX = 108 /* sizeof(sun_path) */ };

struct shoal_sdnotify {
	char path[SHOAL_SDNOTIFY_PATH_MAX]; /* "" when not supervised */
	uint64_t watchdog_ms;               /* 0: no watchdog */
	uint64_t last_keepalive_ms;
};

/* Reads $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID. A socket path too long, or a
 * WATCHDOG_USEC that is not a positive integer, is ignored (returns -EINVAL, state cleared
 * for that part); otherwise returns 0. */
int shoal_sdnotify_init(struct shoal_sdnotify *n);
/* True when $NOTIFY_SOCKET was set. */
bool shoal_sdnotify_enabled(const struct shoal_sdnotify *n);
/* Sends msg (e.g. "READY=1\nSTATUS=running") as one datagram. Returns 0 (also when not
 * supervised) or -errno. */
int shoal_sdnotify_send(const struct shoal_sdnotify *n, const char *msg);
/* Called from the loop tick with the monotonic time: sends "WATCHDOG=1" when half the watchdog
 * interval has passed since the last keep-alive. Returns 1 when it sent, 0 when not due (or no
 * watchdog), -errno when the send failed. */
int shoal_sdnotify_watchdog_tick(struct shoal_sdnotify *n, uint64_t now_ms);

#ifdef __cplusplus
}
#endif

#endif
