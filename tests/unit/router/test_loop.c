/* Tests for router/loop.c: ticks, fd dispatch, signals, stop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "shoal/loop.h"

static struct shoal_loop *loop;

static int setup(void **state)
{
	(void)state;
	loop = malloc(sizeof(*loop));
	if (loop == NULL || shoal_loop_init(loop, 10) != 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	shoal_loop_fini(loop);
	free(loop);
	return 0;
}

struct tick_rec {
	unsigned count;
	unsigned stop_after;
	unsigned stall_ms; /* the first tick sleeps this long: the timer overruns */
	uint64_t sum_elapsed;
	uint64_t last_now;
};

static void tick_cb(void *arg, uint64_t now_ms, uint64_t elapsed_ms)
{
	struct tick_rec *r = arg;
	r->count++;
	r->sum_elapsed += elapsed_ms;
	r->last_now = now_ms;
	if (r->count == 1 && r->stall_ms > 0)
		usleep(r->stall_ms * 1000);
	if (r->count == r->stop_after)
		shoal_loop_stop(loop);
}

static void test_ticks_report_monotonic_elapsed(void **state)
{
	(void)state;
	struct tick_rec r = {.stop_after = 5, .stall_ms = 35};
	uint64_t t0 = shoal_loop_now_ms(loop);
	assert_int_equal(shoal_loop_add_tick(loop, tick_cb, &r), 0);
	assert_int_equal(shoal_loop_run(loop), 0);
	assert_int_equal(r.count, 5);
	/* Elapsed values telescope exactly onto the monotonic clock. */
	assert_int_equal(r.sum_elapsed, r.last_now - t0);
	assert_int_equal(shoal_loop_now_ms(loop), r.last_now);
	/* Ticks at >= 10 ms, then the 35 ms stall, one immediate tick for the overrun and two
	 * more 10 ms periods: at least 65 ms; generous upper bound. */
	assert_true(r.sum_elapsed >= 60);
	assert_true(r.sum_elapsed < 10000);
	assert_true(r.last_now <= shoal_loop_clock_ms());
	assert_int_equal(shoal_loop_stop_signal(loop), 0);
}

static void test_tick_callbacks_all_run_and_delete(void **state)
{
	(void)state;
	struct tick_rec a = {.stop_after = 3};
	struct tick_rec b = {0};
	assert_int_equal(shoal_loop_add_tick(loop, tick_cb, &a), 0);
	assert_int_equal(shoal_loop_add_tick(loop, tick_cb, &b), 0);
	assert_int_equal(shoal_loop_run(loop), 0);
	assert_int_equal(a.count, 3);
	assert_int_equal(b.count, 3);
	assert_int_equal(shoal_loop_del_tick(loop, tick_cb, &b), 0);
	assert_int_equal(shoal_loop_del_tick(loop, tick_cb, &b), -ENOENT);
	a.stop_after = 5;
	assert_int_equal(shoal_loop_run(loop), 0);
	assert_int_equal(a.count, 5);
	assert_int_equal(b.count, 3);
}

static void test_tick_table_bounded(void **state)
{
	(void)state;
	struct tick_rec r = {0};
	for (int i = 0; i < SHOAL_LOOP_MAX_TICKS; i++)
		assert_int_equal(shoal_loop_add_tick(loop, tick_cb, &r), 0);
	assert_int_equal(shoal_loop_add_tick(loop, tick_cb, &r), -ENOSPC);
}

struct fd_rec {
	int calls;
	int fd;
	uint32_t events;
	int other; /* fd to delete from the callback, -1 none */
};

static void fd_cb(void *arg, int fd, uint32_t events)
{
	struct fd_rec *r = arg;
	r->calls++;
	r->fd = fd;
	r->events = events;
	char c;
	assert_int_equal(read(fd, &c, 1), 1);
	if (r->other >= 0)
		shoal_loop_del_fd(loop, r->other);
}

static void test_fd_readiness_dispatch(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	struct fd_rec r = {.other = -1};
	assert_int_equal(shoal_loop_add_fd(loop, p[0], EPOLLIN, fd_cb, &r), 0);
	assert_int_equal(shoal_loop_add_fd(loop, p[0], EPOLLIN, fd_cb, &r), -EEXIST);
	/* Nothing readable: no call. */
	assert_int_equal(shoal_loop_run_once(loop, 0), 0);
	assert_int_equal(r.calls, 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	for (int i = 0; i < 100 && r.calls == 0; i++)
		assert_true(shoal_loop_run_once(loop, 1000) >= 0);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.fd, p[0]);
	assert_true(r.events & EPOLLIN);
	assert_int_equal(shoal_loop_del_fd(loop, p[0]), 0);
	assert_int_equal(shoal_loop_del_fd(loop, p[0]), -ENOENT);
	/* Deleted: writing no longer calls back. */
	assert_int_equal(write(p[1], "y", 1), 1);
	shoal_loop_run_once(loop, 30);
	assert_int_equal(r.calls, 1);
	close(p[0]);
	close(p[1]);
}

static void test_fd_deleted_in_batch_gets_no_event(void **state)
{
	(void)state;
	int a[2], b[2];
	assert_int_equal(pipe(a), 0);
	assert_int_equal(pipe(b), 0);
	struct fd_rec ra = {.other = b[0]};
	struct fd_rec rb = {.other = a[0]};
	assert_int_equal(shoal_loop_add_fd(loop, a[0], EPOLLIN, fd_cb, &ra), 0);
	assert_int_equal(shoal_loop_add_fd(loop, b[0], EPOLLIN, fd_cb, &rb), 0);
	assert_int_equal(write(a[1], "x", 1), 1);
	assert_int_equal(write(b[1], "x", 1), 1);
	/* Both are ready in one batch; whichever runs first deletes the other. */
	for (int i = 0; i < 100 && ra.calls + rb.calls == 0; i++)
		shoal_loop_run_once(loop, 1000);
	shoal_loop_run_once(loop, 20);
	assert_int_equal(ra.calls + rb.calls, 1);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
}

static void reload_cb(void *arg)
{
	(*(int *)arg)++;
}

static void test_sighup_calls_reload(void **state)
{
	(void)state;
	int reloads = 0;
	shoal_loop_set_reload(loop, reload_cb, &reloads);
	assert_int_equal(raise(SIGHUP), 0); /* blocked by init: goes to the signalfd */
	for (int i = 0; i < 100 && reloads == 0; i++)
		shoal_loop_run_once(loop, 1000);
	assert_int_equal(reloads, 1);
	assert_false(shoal_loop_stopping(loop));
}

static void test_sigterm_and_sigint_stop(void **state)
{
	(void)state;
	assert_int_equal(raise(SIGTERM), 0);
	assert_int_equal(shoal_loop_run(loop), 0);
	assert_int_equal(shoal_loop_stop_signal(loop), SIGTERM);
	assert_int_equal(raise(SIGINT), 0);
	assert_int_equal(shoal_loop_run(loop), 0);
	assert_int_equal(shoal_loop_stop_signal(loop), SIGINT);
}

static void *stopper(void *arg)
{
	usleep(20000);
	shoal_loop_stop(arg);
	return NULL;
}

static void test_stop_from_other_thread(void **state)
{
	(void)state;
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, stopper, loop), 0);
	assert_int_equal(shoal_loop_run(loop), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(shoal_loop_stop_signal(loop), 0);
}

static void test_init_blocks_fini_restores_mask(void **state)
{
	(void)state;
	sigset_t cur;
	struct shoal_loop *l2 = malloc(sizeof(*l2));
	assert_non_null(l2);
	/* setup's loop is alive: the signals are blocked until its fini. */
	pthread_sigmask(SIG_SETMASK, NULL, &cur);
	assert_true(sigismember(&cur, SIGHUP));
	shoal_loop_fini(loop);
	pthread_sigmask(SIG_SETMASK, NULL, &cur);
	assert_false(sigismember(&cur, SIGHUP));
	assert_false(sigismember(&cur, SIGTERM));
	assert_int_equal(shoal_loop_init(l2, 5), 0);
	pthread_sigmask(SIG_SETMASK, NULL, &cur);
	assert_true(sigismember(&cur, SIGTERM));
	assert_true(sigismember(&cur, SIGINT));
	shoal_loop_fini(l2);
	free(l2);
	assert_int_equal(shoal_loop_init(loop, 10), 0); /* for teardown */
}

/* The heartbeat health reads: set at init, then at the end of every iteration (also one
 * that timed out with no event), never moving backwards. */
static void test_iteration_heartbeat(void **state)
{
	(void)state;
	uint64_t at_init = shoal_loop_last_iteration_ms(loop);
	assert_true(at_init > 0);
	assert_true(at_init <= shoal_loop_clock_ms());
	/* Wait until the clock has moved past the last beat, then run one iteration. */
	while (shoal_loop_clock_ms() <= at_init)
		assert_true(shoal_loop_run_once(loop, 1) >= 0);
	uint64_t before = shoal_loop_clock_ms();
	assert_true(shoal_loop_run_once(loop, 0) >= 0);
	uint64_t beat = shoal_loop_last_iteration_ms(loop);
	assert_true(beat >= before);
	assert_true(beat > at_init);
	assert_true(beat <= shoal_loop_clock_ms());
}

struct busy_rec {
	unsigned calls;
	bool traffic; /* the callback reports traffic (shoal_loop_busy) */
	struct shoal_loop *loop;
};

static void busy_cb(void *arg, int fd, uint32_t events)
{
	(void)events;
	struct busy_rec *r = arg;
	char c;
	assert_int_equal(read(fd, &c, 1), 1);
	r->calls++;
	if (r->traffic)
		shoal_loop_busy(r->loop);
}

/* Runs l until the callback has run `calls` times (bounded). */
static void busy_run_until(struct shoal_loop *l, struct busy_rec *r, unsigned calls)
{
	for (int i = 0; i < 1000 && r->calls < calls; i++)
		assert_true(shoal_loop_run_once(l, 1000) >= 0);
	assert_int_equal(r->calls, calls);
}

static void test_busy_poll_after_traffic(void **state)
{
	(void)state;
	/* a loop whose tick never fires during the test: an iteration that slept would block */
	struct shoal_loop *l = malloc(sizeof(*l));
	assert_non_null(l);
	assert_int_equal(shoal_loop_init(l, 600000), 0);
	int p[2];
	assert_int_equal(pipe(p), 0);
	struct busy_rec r = {.traffic = true, .loop = l};
	assert_int_equal(shoal_loop_add_fd(l, p[0], EPOLLIN, busy_cb, &r), 0);

	/* off by default: traffic does not start a poll */
	assert_int_equal(write(p[1], "a", 1), 1);
	busy_run_until(l, &r, 1);
	assert_false(shoal_loop_polling(l));

	/* on: traffic starts one; while it lasts an iteration does not sleep, even when asked
	 * to wait forever (a sleeping one would block here until the alarm kills the test) */
	shoal_loop_set_busy_poll(l, 10 * 1000 * 1000);
	assert_int_equal(write(p[1], "b", 1), 1);
	busy_run_until(l, &r, 2);
	assert_true(shoal_loop_polling(l));
	uint64_t polls = l->polls;
	alarm(20);
	for (int i = 0; i < 100; i++)
		assert_int_equal(shoal_loop_run_once(l, -1), 0);
	alarm(0);
	assert_int_equal(l->polls, polls + 100);
	assert_true(shoal_loop_polling(l));

	/* turned off: the next iteration sleeps again */
	shoal_loop_set_busy_poll(l, 0);
	assert_false(shoal_loop_polling(l));

	/* the poll ends once busy_poll_us pass without traffic */
	shoal_loop_set_busy_poll(l, 2000);
	assert_int_equal(write(p[1], "c", 1), 1);
	busy_run_until(l, &r, 3);
	assert_true(shoal_loop_polling(l));
	uint64_t t0 = shoal_loop_clock_ms();
	while (shoal_loop_polling(l) && shoal_loop_clock_ms() - t0 < 10000)
		assert_int_equal(shoal_loop_run_once(l, -1), 0);
	assert_false(shoal_loop_polling(l));
	assert_true(shoal_loop_clock_ms() - t0 >= 1); /* it did last (2 ms) */

	/* an event that is not traffic does not start one */
	r.traffic = false;
	assert_int_equal(write(p[1], "d", 1), 1);
	busy_run_until(l, &r, 4);
	assert_false(shoal_loop_polling(l));

	shoal_loop_del_fd(l, p[0]);
	close(p[0]);
	close(p[1]);
	shoal_loop_fini(l);
	free(l);
}

static void test_zero_tick_period_refused(void **state)
{
	(void)state;
	struct shoal_loop *l2 = malloc(sizeof(*l2));
	assert_non_null(l2);
	sigset_t before, after;
	pthread_sigmask(SIG_SETMASK, NULL, &before);
	sigaddset(&before, SIGUSR1);
	pthread_sigmask(SIG_SETMASK, &before, NULL);
	assert_int_equal(shoal_loop_init(l2, 0), -EINVAL);
	shoal_loop_fini(l2); /* must not touch the signal mask */
	pthread_sigmask(SIG_SETMASK, NULL, &after);
	assert_true(sigismember(&after, SIGUSR1));
	sigdelset(&before, SIGUSR1);
	pthread_sigmask(SIG_SETMASK, &before, NULL);
	free(l2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_ticks_report_monotonic_elapsed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tick_callbacks_all_run_and_delete, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_tick_table_bounded, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fd_readiness_dispatch, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fd_deleted_in_batch_gets_no_event, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_sighup_calls_reload, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sigterm_and_sigint_stop, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stop_from_other_thread, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_init_blocks_fini_restores_mask, setup, teardown),
	    cmocka_unit_test(test_zero_tick_period_refused),
	    cmocka_unit_test(test_busy_poll_after_traffic),
	    cmocka_unit_test_setup_teardown(test_iteration_heartbeat, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
