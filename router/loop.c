/* loop.c — epoll + timerfd + signalfd event loop. Contract in include/shoal/loop.h. */
#include "shoal/loop.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

/* Slot indices for the loop's own fds, stored in epoll_data.u64 above the fd slots. */
enum loop_internal {
	LOOP_ID_TIMER = SHOAL_LOOP_MAX_FDS,
	LOOP_ID_SIGNAL,
	LOOP_ID_STOP,
};

static uint64_t loop_clock_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t shoal_loop_clock_ms(void)
{
	return loop_clock_ns() / 1000000u;
}

static uint64_t loop_data_pack(uint32_t id, uint32_t gen)
{
	return (uint64_t)gen << 32 | id;
}

static int loop_epoll_add(struct shoal_loop *loop, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = {.events = events, .data.u64 = data};
	return epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) == 0 ? 0 : -errno;
}

static void loop_fd_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int shoal_loop_init(struct shoal_loop *loop, unsigned tick_ms)
{
	memset(loop, 0, sizeof(*loop));
	loop->epfd = loop->timerfd = loop->sigfd = loop->stopfd = -1;
	for (unsigned i = 0; i < SHOAL_LOOP_MAX_FDS; i++)
		loop->slots[i].fd = -1;
	if (tick_ms == 0)
		return -EINVAL;
	loop->tick_ms = tick_ms;

	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	int rc = pthread_sigmask(SIG_BLOCK, &mask, &loop->old_mask);
	if (rc != 0)
		return -rc;
	loop->mask_saved = true;

	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	loop->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	loop->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	loop->stopfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (loop->epfd < 0 || loop->timerfd < 0 || loop->sigfd < 0 || loop->stopfd < 0) {
		rc = -errno;
		goto fail;
	}
	loop->last_tick_ms = shoal_loop_clock_ms();
	loop->last_iteration_ms = loop->last_tick_ms;
	struct itimerspec its = {
	    .it_interval = {.tv_sec = tick_ms / 1000, .tv_nsec = (long)(tick_ms % 1000) * 1000000},
	};
	its.it_value = its.it_interval;
	if (timerfd_settime(loop->timerfd, 0, &its, NULL) != 0) {
		rc = -errno;
		goto fail;
	}
	if ((rc = loop_epoll_add(loop, loop->timerfd, EPOLLIN, LOOP_ID_TIMER)) != 0 ||
	    (rc = loop_epoll_add(loop, loop->sigfd, EPOLLIN, LOOP_ID_SIGNAL)) != 0 ||
	    (rc = loop_epoll_add(loop, loop->stopfd, EPOLLIN, LOOP_ID_STOP)) != 0)
		goto fail;
	return 0;
fail:
	shoal_loop_fini(loop);
	return rc;
}

void shoal_loop_fini(struct shoal_loop *loop)
{
	loop_fd_close(&loop->stopfd);
	loop_fd_close(&loop->sigfd);
	loop_fd_close(&loop->timerfd);
	loop_fd_close(&loop->epfd);
	if (loop->mask_saved)
		pthread_sigmask(SIG_SETMASK, &loop->old_mask, NULL);
	loop->mask_saved = false;
}

static int loop_slot_find(const struct shoal_loop *loop, int fd)
{
	for (unsigned i = 0; i < SHOAL_LOOP_MAX_FDS; i++)
		if (loop->slots[i].fd == fd)
			return (int)i;
	return -1;
}

int shoal_loop_add_fd(struct shoal_loop *loop, int fd, uint32_t events, shoal_loop_fd_fn fn,
                      void *arg)
{
	if (fd < 0 || fn == NULL)
		return -EINVAL;
	if (loop_slot_find(loop, fd) >= 0)
		return -EEXIST;
	int i = loop_slot_find(loop, -1);
	if (i < 0)
		return -ENOSPC;
	struct shoal_loop_slot *s = &loop->slots[i];
	int rc = loop_epoll_add(loop, fd, events, loop_data_pack((uint32_t)i, s->gen));
	if (rc != 0)
		return rc;
	s->fd = fd;
	s->fn = fn;
	s->arg = arg;
	return 0;
}

int shoal_loop_mod_fd(struct shoal_loop *loop, int fd, uint32_t events)
{
	int i = fd < 0 ? -1 : loop_slot_find(loop, fd);
	if (i < 0)
		return -ENOENT;
	struct epoll_event ev = {.events = events,
	                         .data.u64 = loop_data_pack((uint32_t)i, loop->slots[i].gen)};
	return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) == 0 ? 0 : -errno;
}

int shoal_loop_del_fd(struct shoal_loop *loop, int fd)
{
	int i = fd < 0 ? -1 : loop_slot_find(loop, fd);
	if (i < 0)
		return -ENOENT;
	struct shoal_loop_slot *s = &loop->slots[i];
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL); /* fails only if already closed */
	s->fd = -1;
	s->gen++;
	s->fn = NULL;
	s->arg = NULL;
	return 0;
}

int shoal_loop_add_tick(struct shoal_loop *loop, shoal_loop_tick_fn fn, void *arg)
{
	if (fn == NULL)
		return -EINVAL;
	if (loop->n_ticks == SHOAL_LOOP_MAX_TICKS)
		return -ENOSPC;
	loop->ticks[loop->n_ticks++] = (struct shoal_loop_tick){.fn = fn, .arg = arg};
	return 0;
}

int shoal_loop_del_tick(struct shoal_loop *loop, shoal_loop_tick_fn fn, void *arg)
{
	for (unsigned i = 0; i < loop->n_ticks; i++) {
		if (loop->ticks[i].fn != fn || loop->ticks[i].arg != arg)
			continue;
		memmove(&loop->ticks[i], &loop->ticks[i + 1],
		        (loop->n_ticks - i - 1) * sizeof(loop->ticks[0]));
		loop->n_ticks--;
		return 0;
	}
	return -ENOENT;
}

void shoal_loop_set_reload(struct shoal_loop *loop, shoal_loop_reload_fn fn, void *arg)
{
	loop->reload_fn = fn;
	loop->reload_arg = arg;
}

static void loop_timer_fire(struct shoal_loop *loop)
{
	uint64_t expirations;
	if (read(loop->timerfd, &expirations, sizeof(expirations)) != sizeof(expirations))
		return; /* spurious wake-up */
	uint64_t now = shoal_loop_clock_ms();
	uint64_t elapsed = now - loop->last_tick_ms;
	loop->last_tick_ms = now;
	/* A callback may delete ticks: walk by index against the live count. */
	for (unsigned i = 0; i < loop->n_ticks; i++)
		loop->ticks[i].fn(loop->ticks[i].arg, now, elapsed);
}

static void loop_signal_fire(struct shoal_loop *loop)
{
	struct signalfd_siginfo si;
	while (read(loop->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			if (loop->reload_fn != NULL)
				loop->reload_fn(loop->reload_arg);
		} else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
			loop->stop_signal = (int)si.ssi_signo;
			loop->stopping = true;
		}
	}
}

static void loop_stop_fire(struct shoal_loop *loop)
{
	uint64_t v;
	if (read(loop->stopfd, &v, sizeof(v)) == sizeof(v))
		loop->stopping = true;
}

void shoal_loop_set_busy_poll(struct shoal_loop *loop, unsigned us)
{
	loop->busy_poll_ns = (uint64_t)us * 1000u;
	if (us == 0)
		loop->poll_until_ns = 0;
}

void shoal_loop_busy(struct shoal_loop *loop)
{
	loop->busy = true;
}

bool shoal_loop_polling(const struct shoal_loop *loop)
{
	return loop->poll_until_ns != 0;
}

int shoal_loop_run_once(struct shoal_loop *loop, int timeout_ms)
{
	struct epoll_event evs[SHOAL_LOOP_BATCH];
	if (loop->poll_until_ns) {
		timeout_ms = 0;
		loop->polls++;
	}
	loop->busy = false;
	int n = epoll_wait(loop->epfd, evs, SHOAL_LOOP_BATCH, timeout_ms);
	if (n == 0 && loop->poll_until_ns)
		sched_yield(); /* nothing yet: a runnable thread on this CPU goes first */
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int k = 0; k < n; k++) {
		uint32_t id = (uint32_t)evs[k].data.u64;
		uint32_t gen = (uint32_t)(evs[k].data.u64 >> 32);
		switch (id) {
		case LOOP_ID_TIMER:
			loop_timer_fire(loop);
			continue;
		case LOOP_ID_SIGNAL:
			loop_signal_fire(loop);
			continue;
		case LOOP_ID_STOP:
			loop_stop_fire(loop);
			continue;
		default:
			break;
		}
		struct shoal_loop_slot *s = &loop->slots[id];
		if (s->fd < 0 || s->gen != gen)
			continue; /* deleted earlier in this batch */
		s->fn(s->arg, s->fd, evs[k].events);
	}
	/* One clock read per iteration (a batch of events), never per packet. */
	uint64_t now = loop_clock_ns();
	__atomic_store_n(&loop->last_iteration_ms, now / 1000000u, __ATOMIC_RELAXED);
	if (loop->busy && loop->busy_poll_ns)
		loop->poll_until_ns = now + loop->busy_poll_ns;
	else if (loop->poll_until_ns && now >= loop->poll_until_ns)
		loop->poll_until_ns = 0;
	return n;
}

int shoal_loop_run(struct shoal_loop *loop)
{
	while (!loop->stopping) {
		int rc = shoal_loop_run_once(loop, -1);
		if (rc < 0)
			return rc;
	}
	loop->stopping = false; /* consumed: a later run starts again */
	return 0;
}

void shoal_loop_stop(struct shoal_loop *loop)
{
	uint64_t one = 1;
	ssize_t w = write(loop->stopfd, &one, sizeof(one));
	(void)w; /* cannot fail short of a counter overflow, which still leaves it readable */
}

bool shoal_loop_stopping(const struct shoal_loop *loop)
{
	return loop->stopping;
}

int shoal_loop_stop_signal(const struct shoal_loop *loop)
{
	return loop->stop_signal;
}

uint64_t shoal_loop_last_iteration_ms(const struct shoal_loop *loop)
{
	return __atomic_load_n(&loop->last_iteration_ms, __ATOMIC_RELAXED);
}

uint64_t shoal_loop_now_ms(const struct shoal_loop *loop)
{
	return loop->last_tick_ms;
}
