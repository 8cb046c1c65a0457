/* Tests for router/cmdq.c: results, concurrency, bound, close, eventfd wake-ups. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <sys/epoll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "shoal/cmdq.h"
#include "shoal/loop.h"

static pthread_t data_plane;
static unsigned long ran_on_dp; /* touched only by commands: no lock on purpose */
static atomic_uint ran_elsewhere;

static int cmd_double_plus_one(void *arg)
{
	if (!pthread_equal(pthread_self(), data_plane))
		atomic_fetch_add(&ran_elsewhere, 1);
	ran_on_dp++;
	return *(int *)arg * 2 + 1;
}

static bool fd_readable(int fd, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	return poll(&p, 1, timeout_ms) == 1;
}

struct submitter {
	struct shoal_cmdq *q;
	int base;
	int n;
	int ok;
	int bad;
	int status;
};

static void *submit_many(void *arg)
{
	struct submitter *s = arg;
	for (int i = 0; i < s->n; i++) {
		int x = s->base + i;
		int result = -1;
		int rc = shoal_cmdq_submit(s->q, cmd_double_plus_one, &x, &result);
		if (rc == -EAGAIN) {
			i--; /* full: retry */
			sched_yield();
			continue;
		}
		if (rc == 0 && result == 2 * x + 1)
			s->ok++;
		else
			s->bad++;
	}
	return NULL;
}

static void test_single_submit_runs_on_data_plane(void **state)
{
	(void)state;
	struct shoal_cmdq q;
	assert_int_equal(shoal_cmdq_init(&q, 4), 0);
	data_plane = pthread_self();
	ran_on_dp = 0;
	atomic_store(&ran_elsewhere, 0);
	assert_false(fd_readable(shoal_cmdq_fd(&q), 0));
	struct submitter s = {.q = &q, .base = 20, .n = 1};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, submit_many, &s), 0);
	/* The submit wakes the eventfd. */
	assert_true(fd_readable(shoal_cmdq_fd(&q), 5000));
	assert_int_equal(shoal_cmdq_drain(&q, 16), 1);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(s.ok, 1);
	assert_int_equal(s.bad, 0);
	assert_int_equal(ran_on_dp, 1);
	assert_int_equal(atomic_load(&ran_elsewhere), 0);
	/* Drained: the eventfd is quiet again, and an empty drain runs nothing. */
	assert_false(fd_readable(shoal_cmdq_fd(&q), 0));
	assert_int_equal(shoal_cmdq_drain(&q, 16), 0);
	shoal_cmdq_fini(&q);
}

enum { N_THREADS = 8, PER_THREAD = 250 };

struct dp_ctx {
	struct shoal_cmdq *q;
	struct shoal_loop *loop;
	unsigned total;
	unsigned max_batch;
};

static void dp_on_cmdq(void *arg, int fd, uint32_t events)
{
	(void)fd;
	(void)events;
	struct dp_ctx *c = arg;
	unsigned n = shoal_cmdq_drain(c->q, 3);
	if (n > c->max_batch)
		c->max_batch = n;
	c->total += n;
	if (c->total == N_THREADS * PER_THREAD)
		shoal_loop_stop(c->loop);
}

static void test_concurrent_submitters_through_loop(void **state)
{
	(void)state;
	struct shoal_cmdq q;
	struct shoal_loop *loop = malloc(sizeof(*loop));
	assert_non_null(loop);
	assert_int_equal(shoal_loop_init(loop, 1000), 0);
	assert_int_equal(shoal_cmdq_init(&q, 5), 0); /* small: submitters hit "full" */
	struct dp_ctx ctx = {.q = &q, .loop = loop};
	assert_int_equal(shoal_loop_add_fd(loop, shoal_cmdq_fd(&q), EPOLLIN, dp_on_cmdq, &ctx), 0);
	data_plane = pthread_self();
	ran_on_dp = 0;
	atomic_store(&ran_elsewhere, 0);

	struct submitter s[N_THREADS];
	pthread_t t[N_THREADS];
	for (int i = 0; i < N_THREADS; i++) {
		s[i] = (struct submitter){.q = &q, .base = i * 100000, .n = PER_THREAD};
		assert_int_equal(pthread_create(&t[i], NULL, submit_many, &s[i]), 0);
	}
	assert_int_equal(shoal_loop_run(loop), 0);
	for (int i = 0; i < N_THREADS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(s[i].ok, PER_THREAD);
		assert_int_equal(s[i].bad, 0);
	}
	assert_int_equal(ctx.total, N_THREADS * PER_THREAD);
	assert_int_equal(ran_on_dp, N_THREADS * PER_THREAD);
	assert_int_equal(atomic_load(&ran_elsewhere), 0);
	assert_true(ctx.max_batch <= 3);
	assert_int_equal(q.ctr[SHOAL_CMDQ_CTR_SUBMITTED], N_THREADS * PER_THREAD);
	assert_int_equal(q.ctr[SHOAL_CMDQ_CTR_RUN], N_THREADS * PER_THREAD);
	shoal_loop_del_fd(loop, shoal_cmdq_fd(&q));
	shoal_cmdq_fini(&q);
	shoal_loop_fini(loop);
	free(loop);
}

static unsigned queued(struct shoal_cmdq *q)
{
	pthread_mutex_lock(&q->lock);
	unsigned n = q->count;
	pthread_mutex_unlock(&q->lock);
	return n;
}

static void wait_queued(struct shoal_cmdq *q, unsigned n)
{
	for (int i = 0; i < 5000 && queued(q) < n; i++)
		usleep(1000);
	assert_int_equal(queued(q), n);
}

static void test_full_queue_rejects_then_drains(void **state)
{
	(void)state;
	struct shoal_cmdq q;
	assert_int_equal(shoal_cmdq_init(&q, 3), 0);
	data_plane = pthread_self();
	ran_on_dp = 0;
	struct submitter s[3];
	pthread_t t[3];
	for (int i = 0; i < 3; i++) {
		s[i] = (struct submitter){.q = &q, .base = i, .n = 1};
		assert_int_equal(pthread_create(&t[i], NULL, submit_many, &s[i]), 0);
	}
	wait_queued(&q, 3);
	int x = 7, result = 12345;
	assert_int_equal(shoal_cmdq_submit(&q, cmd_double_plus_one, &x, &result), -EAGAIN);
	assert_int_equal(result, 12345); /* untouched */
	assert_int_equal(q.ctr[SHOAL_CMDQ_CTR_FULL], 1);
	/* Partial drain leaves the eventfd readable for the rest. */
	assert_int_equal(shoal_cmdq_drain(&q, 1), 1);
	assert_true(fd_readable(shoal_cmdq_fd(&q), 0));
	assert_int_equal(shoal_cmdq_drain(&q, 10), 2);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(s[i].ok, 1);
	}
	assert_int_equal(ran_on_dp, 3);
	/* the counters, read the way readers do: 3 accepted and run, 1 refused full, each of
	 * the 3 submitters blocked at least once while the queue sat undrained */
	unsigned long long c[SHOAL_CMDQ_CTR_COUNT_];
	shoal_cmdq_counters(&q, c);
	assert_int_equal(c[SHOAL_CMDQ_CTR_SUBMITTED], 3);
	assert_int_equal(c[SHOAL_CMDQ_CTR_RUN], 3);
	assert_int_equal(c[SHOAL_CMDQ_CTR_FULL], 1);
	assert_true(c[SHOAL_CMDQ_CTR_WAITS] >= 3);
	assert_int_equal(c[SHOAL_CMDQ_CTR_TIMED_OUT], 0);
	assert_string_equal(shoal_cmdq_counter_names[SHOAL_CMDQ_CTR_RUN], "commands_run");
	shoal_cmdq_fini(&q);
}

static void *submit_once_status(void *arg)
{
	struct submitter *s = arg;
	int x = s->base, result = 0;
	s->status = shoal_cmdq_submit(s->q, cmd_double_plus_one, &x, &result);
	return NULL;
}

static void test_close_fails_queued_and_later_submits(void **state)
{
	(void)state;
	struct shoal_cmdq q;
	assert_int_equal(shoal_cmdq_init(&q, 4), 0);
	data_plane = pthread_self();
	ran_on_dp = 0;
	struct submitter s[2];
	pthread_t t[2];
	for (int i = 0; i < 2; i++) {
		s[i] = (struct submitter){.q = &q, .base = i, .status = 1};
		assert_int_equal(pthread_create(&t[i], NULL, submit_once_status, &s[i]), 0);
	}
	wait_queued(&q, 2);
	shoal_cmdq_close(&q);
	for (int i = 0; i < 2; i++) {
		/* bounded: a submitter close forgot to wake shows as a join that times out */
		struct timespec d;
		clock_gettime(CLOCK_REALTIME, &d);
		d.tv_sec += 10;
		assert_int_equal(pthread_timedjoin_np(t[i], NULL, &d), 0);
		assert_int_equal(s[i].status, -ESHUTDOWN);
	}
	assert_int_equal(ran_on_dp, 0);
	int x = 1;
	assert_int_equal(shoal_cmdq_submit(&q, cmd_double_plus_one, &x, NULL), -ESHUTDOWN);
	assert_int_equal(shoal_cmdq_drain(&q, 10), 0);
	shoal_cmdq_close(&q); /* idempotent */
	shoal_cmdq_fini(&q);
}

/* ---- bounded waits: cancel and detach (run under ASan: a touched stale frame or a freed
 * record is a failure; a leaked record too) ---- */

static atomic_bool gate_open;
static atomic_uint blocked_ran, blocked_released;

/* Blocks the "data plane" until the gate opens (bounded: 10 s). */
static int cmd_blocking(void *arg)
{
	for (int i = 0; i < 10000 && !atomic_load(&gate_open); i++)
		usleep(1000);
	atomic_fetch_add(&blocked_ran, 1);
	if (arg)
		((int *)arg)[0] = 42; /* a heap arg, owned by the command once detached */
	return 7;
}

static void release_int(void *arg)
{
	atomic_fetch_add(&blocked_released, 1);
	free(arg);
}

static void *drain_once(void *arg)
{
	struct shoal_cmdq *q = arg;
	data_plane = pthread_self();
	shoal_cmdq_drain(q, SHOAL_CMDQ_DRAIN_MAX);
	return NULL;
}

struct timed_submitter {
	struct shoal_cmdq *q;
	shoal_cmd_fn fn;
	unsigned timeout_ms;
	bool heap_arg;
	int status;
	int result;
};

/* Submits with an argument in this thread's frame (or on the heap), then returns: a command
 * that ran after the deadline would write into a dead frame. */
static void *timed_submit(void *arg)
{
	struct timed_submitter *s = arg;
	int frame_arg = 20;
	void *a = &frame_arg;
	if (s->heap_arg) {
		a = malloc(sizeof(int));
		*(int *)a = 20;
	}
	s->result = -1;
	s->status = shoal_cmdq_submit_timed(s->q, s->fn, a, &s->result, s->timeout_ms,
	                                    s->heap_arg ? release_int : NULL);
	if (s->heap_arg && s->status != -EINPROGRESS)
		free(a);
	return NULL;
}

static void test_timed_out_while_queued_never_runs(void **state)
{
	(void)state;
	struct shoal_cmdq q;
	assert_int_equal(shoal_cmdq_init(&q, 4), 0);
	data_plane = pthread_self();
	ran_on_dp = 0;
	struct timed_submitter s = {.q = &q, .fn = cmd_double_plus_one, .timeout_ms = 50};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, timed_submit, &s), 0);
	assert_int_equal(pthread_join(t, NULL), 0); /* nobody drains: it must time out */
	assert_int_equal(s.status, -ETIMEDOUT);
	assert_int_equal(s.result, -1);
	assert_int_equal(queued(&q), 0); /* taken out of the ring: no slot lost */
	assert_int_equal(q.ctr[SHOAL_CMDQ_CTR_TIMED_OUT], 1);
	assert_int_equal(shoal_cmdq_drain(&q, 10), 0);
	assert_int_equal(ran_on_dp, 0);
	assert_int_equal(q.ctr[SHOAL_CMDQ_CTR_RUN], 0);
	assert_int_equal(q.ctr[SHOAL_CMDQ_CTR_SUBMITTED], 1);
	shoal_cmdq_fini(&q);
}

static void test_timed_out_after_drain_took_it_never_runs(void **state)
{
	(void)state;
	struct shoal_cmdq q;
	assert_int_equal(shoal_cmdq_init(&q, 4), 0);
	atomic_store(&gate_open, false);
	atomic_store(&blocked_ran, 0);
	ran_on_dp = 0;
	/* First a blocking command (no deadline), then a timed one behind it. */
	struct timed_submitter blocker = {.q = &q, .fn = cmd_blocking, .timeout_ms = 60000};
	struct timed_submitter late = {.q = &q, .fn = cmd_double_plus_one, .timeout_ms = 50};
	pthread_t tb, tl, dp;
	assert_int_equal(pthread_create(&tb, NULL, timed_submit, &blocker), 0);
	wait_queued(&q, 1);
	assert_int_equal(pthread_create(&tl, NULL, timed_submit, &late), 0);
	wait_queued(&q, 2);
	/* The drain takes both, and blocks in the first. */
	assert_int_equal(pthread_create(&dp, NULL, drain_once, &q), 0);
	assert_int_equal(pthread_join(tl, NULL), 0);
	assert_int_equal(late.status, -ETIMEDOUT);
	atomic_store(&gate_open, true);
	assert_int_equal(pthread_join(dp, NULL), 0);
	assert_int_equal(pthread_join(tb, NULL), 0);
	assert_int_equal(blocker.status, 0);
	assert_int_equal(blocker.result, 7);
	assert_int_equal(ran_on_dp, 0); /* the cancelled one was skipped */
	shoal_cmdq_fini(&q);
}

static void test_running_with_release_is_detached(void **state)
{
	(void)state;
	struct shoal_cmdq q;
	assert_int_equal(shoal_cmdq_init(&q, 4), 0);
	atomic_store(&gate_open, false);
	atomic_store(&blocked_ran, 0);
	atomic_store(&blocked_released, 0);
	struct timed_submitter s = {
	    .q = &q, .fn = cmd_blocking, .timeout_ms = 50, .heap_arg = true};
	pthread_t t, dp;
	assert_int_equal(pthread_create(&t, NULL, timed_submit, &s), 0);
	wait_queued(&q, 1);
	assert_int_equal(pthread_create(&dp, NULL, drain_once, &q), 0);
	assert_int_equal(pthread_join(t, NULL), 0); /* returns while the command still runs */
	assert_int_equal(s.status, -EINPROGRESS);
	assert_int_equal(atomic_load(&blocked_ran), 0);
	atomic_store(&gate_open, true);
	assert_int_equal(pthread_join(dp, NULL), 0);
	assert_int_equal(atomic_load(&blocked_ran), 1);
	assert_int_equal(atomic_load(&blocked_released), 1); /* the data plane freed the arg */
	shoal_cmdq_fini(&q);
}

static void *open_gate_later(void *arg)
{
	(void)arg;
	usleep(150 * 1000);
	atomic_store(&gate_open, true);
	return NULL;
}

static void test_running_without_release_is_waited_for(void **state)
{
	(void)state;
	struct shoal_cmdq q;
	assert_int_equal(shoal_cmdq_init(&q, 4), 0);
	atomic_store(&gate_open, false);
	struct timed_submitter s = {.q = &q, .fn = cmd_blocking, .timeout_ms = 50};
	pthread_t t, dp, opener;
	assert_int_equal(pthread_create(&t, NULL, timed_submit, &s), 0);
	wait_queued(&q, 1);
	assert_int_equal(pthread_create(&dp, NULL, drain_once, &q), 0);
	assert_int_equal(pthread_create(&opener, NULL, open_gate_later, NULL), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	/* Its arg lives in the submitter's frame: it waited past the deadline for the result. */
	assert_int_equal(s.status, 0);
	assert_int_equal(s.result, 7);
	assert_int_equal(pthread_join(opener, NULL), 0);
	assert_int_equal(pthread_join(dp, NULL), 0);
	shoal_cmdq_fini(&q);
}

static void test_zero_capacity_refused(void **state)
{
	(void)state;
	struct shoal_cmdq q;
	assert_int_equal(shoal_cmdq_init(&q, 0), -EINVAL);
	shoal_cmdq_fini(&q); /* harmless after a failed init */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_single_submit_runs_on_data_plane),
	    cmocka_unit_test(test_concurrent_submitters_through_loop),
	    cmocka_unit_test(test_full_queue_rejects_then_drains),
	    cmocka_unit_test(test_close_fails_queued_and_later_submits),
	    cmocka_unit_test(test_zero_capacity_refused),
	    cmocka_unit_test(test_timed_out_while_queued_never_runs),
	    cmocka_unit_test(test_timed_out_after_drain_took_it_never_runs),
	    cmocka_unit_test(test_running_with_release_is_detached),
	    cmocka_unit_test(test_running_without_release_is_waited_for),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
