/* Tests for router/sdnotify.c: the datagrams systemd would receive (path and abstract
 * sockets), the watchdog interval and its pid check, and silence without NOTIFY_SOCKET. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "shoal/sdnotify.h"

/* A datagram socket bound at path ("@..." abstract); the fd. */
static int listener(const char *path)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t len = strlen(path);
	memcpy(sa.sun_path, path, len);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	else
		unlink(path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa,
	                      (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)),
	                 0);
	return fd;
}

/* The next datagram within 1 s, or "" when none came. */
static void receive(int fd, char *buf, size_t size)
{
	struct timeval tv = {.tv_sec = 1};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ssize_t n = recv(fd, buf, size - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
}

static void clear_env(void)
{
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

static void test_not_supervised(void **state)
{
	(void)state;
	clear_env();
	struct shoal_sdnotify n;
	assert_int_equal(shoal_sdnotify_init(&n), 0);
	assert_false(shoal_sdnotify_enabled(&n));
	assert_int_equal(shoal_sdnotify_send(&n, "READY=1"), 0);
	assert_int_equal(shoal_sdnotify_watchdog_tick(&n, 100000), 0);
}

static void test_path_socket(void **state)
{
	(void)state;
	clear_env();
	char path[64], buf[256];
	snprintf(path, sizeof(path), "/tmp/shoal-sdnotify-%d", (int)getpid());
	int fd = listener(path);
	setenv("NOTIFY_SOCKET", path, 1);
	struct shoal_sdnotify n;
	assert_int_equal(shoal_sdnotify_init(&n), 0);
	assert_true(shoal_sdnotify_enabled(&n));
	assert_int_equal(shoal_sdnotify_send(&n, "READY=1\nSTATUS=forwarding"), 0);
	receive(fd, buf, sizeof(buf));
	assert_string_equal(buf, "READY=1\nSTATUS=forwarding");
	close(fd);
	unlink(path);
	/* Nobody listening: the error comes back, nothing crashes. */
	assert_true(shoal_sdnotify_send(&n, "READY=1") < 0);
}

static void test_abstract_socket_and_watchdog(void **state)
{
	(void)state;
	clear_env();
	char path[64], buf[256], pid[32];
	snprintf(path, sizeof(path), "@shoal-sdnotify-test-%d", (int)getpid());
	int fd = listener(path);
	setenv("NOTIFY_SOCKET", path, 1);
	setenv("WATCHDOG_USEC", "2000000", 1); /* 2 s: keep-alives every 1000 ms */
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	struct shoal_sdnotify n;
	assert_int_equal(shoal_sdnotify_init(&n), 0);
	assert_int_equal(n.watchdog_ms, 2000);
	assert_int_equal(shoal_sdnotify_watchdog_tick(&n, 5000), 1);
	receive(fd, buf, sizeof(buf));
	assert_string_equal(buf, "WATCHDOG=1");
	assert_int_equal(shoal_sdnotify_watchdog_tick(&n, 5999), 0);
	assert_int_equal(shoal_sdnotify_watchdog_tick(&n, 6000), 1);
	receive(fd, buf, sizeof(buf));
	assert_string_equal(buf, "WATCHDOG=1");
	close(fd);
}

static void test_watchdog_env(void **state)
{
	(void)state;
	clear_env();
	struct shoal_sdnotify n;
	setenv("WATCHDOG_USEC", "3000000", 1);
	setenv("WATCHDOG_PID", "1", 1); /* another process's watchdog */
	assert_int_equal(shoal_sdnotify_init(&n), 0);
	assert_int_equal(n.watchdog_ms, 0);
	unsetenv("WATCHDOG_PID");
	assert_int_equal(shoal_sdnotify_init(&n), 0);
	assert_int_equal(n.watchdog_ms, 3000);
	const char *bad[] = {"", "x", "-5", "0", "12abc"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("WATCHDOG_USEC", bad[i], 1);
		int rc = shoal_sdnotify_init(&n);
		assert_true(bad[i][0] == '\0' ? rc == 0 : rc == -EINVAL);
		assert_int_equal(n.watchdog_ms, 0);
	}
	clear_env();
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	assert_int_equal(shoal_sdnotify_init(&n), -EINVAL);
	assert_false(shoal_sdnotify_enabled(&n));
	clear_env();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_not_supervised),
	    cmocka_unit_test(test_path_socket),
	    cmocka_unit_test(test_abstract_socket_and_watchdog),
	    cmocka_unit_test(test_watchdog_env),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
