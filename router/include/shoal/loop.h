/*
 * loop.h — the data plane's event loop: epoll over file descriptors, a periodic tick from a
 * timerfd, and SIGTERM/SIGINT/SIGHUP through a signalfd.
 *
 * Role: one thread (the data plane) owns a loop and runs it; every callback runs on that
 * thread, one at a time. Registered fds call back with the epoll event mask that fired.
 * Every period the tick callbacks run with the monotonic time (ms) and the ms elapsed since
 * the previous tick (or since init for the first one); elapsed values telescope exactly: the
 * sum of all elapsed_ms reported equals now_ms of the last tick minus shoal_loop_now_ms() read
 * right after init. SIGTERM and SIGINT stop the loop (shoal_loop_stop_signal() tells which);
 * SIGHUP calls the reload callback.
 *
 * Busy polling (off unless set): a callback that moved traffic says so with
 * shoal_loop_busy(); for busy_poll_us after the last such call the loop checks its fds
 * without sleeping (epoll_wait with timeout 0), so traffic that follows is picked up without
 * a wake-up (on a VM, a halted vCPU's wake-up costs tens of microseconds per burst). Like
 * Linux's net.core.busy_poll it spends CPU for latency; with no traffic for busy_poll_us the
 * loop sleeps again, so an idle router costs nothing. Events that are not traffic (ticks,
 * signals, commands) do not start a poll. A poll that found nothing yields the CPU
 * (sched_yield) before it looks again, so threads that share the CPU (the very ones that
 * produce and consume the traffic, on a small machine) run first: the poll takes only what
 * would otherwise be idle time.
 *
 * Signals: init blocks SIGTERM, SIGINT and SIGHUP in the calling thread (so call it before
 * creating other threads: they inherit the mask and the signals reach the signalfd) and
 * fini restores the previous mask. SIGPIPE is left alone: the caller decides.
 *
 * Invariants: at most SHOAL_LOOP_MAX_FDS fds and SHOAL_LOOP_MAX_TICKS tick callbacks. An fd
 * deleted from inside a callback receives no further events, even ones already fetched in
 * the same batch. Nothing allocates after init.
 *
 * Ownership: the caller owns the struct and the fds it registers (the loop never closes
 * them; delete them before closing). The loop owns its epoll fd, timerfd and signalfd,
 * created by init and closed by fini. Not thread-safe, except shoal_loop_stop(), which any
 * thread may call (it writes to an internal eventfd).
 */
#ifndef SHOAL_LOOP_H
#define SHOAL_LOOP_H

#ifdef __cplusplus
extern "C" {
#endif

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

enum {
	SHOAL_LOOP_MAX_FDS = 16384, /* devices, queues, plugins' sockets (linear search on add) */
	SHOAL_LOOP_MAX_TICKS = 16,
	SHOAL_LOOP_BATCH = 64, /* epoll events fetched per wake-up */
};

typedef void (*shoal_loop_fd_fn)(void *arg, int fd, uint32_t events);
typedef void (*shoal_loop_tick_fn)(void *arg, uint64_t now_ms, uint64_t elapsed_ms);
typedef void (*shoal_loop_reload_fn)(void *arg);

struct shoal_loop_slot {
	int fd;       /* -1 when free */
	uint32_t gen; /* bumped on each delete, so stale events are recognised */
	shoal_loop_fd_fn fn;
	void *arg;
};

struct shoal_loop_tick {
	shoal_loop_tick_fn fn;
	void *arg;
};

struct shoal_loop {
	int epfd;
	int timerfd;
	int sigfd;
	int stopfd; /* eventfd written by shoal_loop_stop() */
	unsigned tick_ms;
	uint64_t last_tick_ms;
	uint64_t busy_poll_ns;      /* 0: never poll */
	uint64_t poll_until_ns;     /* polling while the monotonic clock is before this */
	uint64_t polls;             /* iterations that did not sleep (timeout 0 by polling) */
	bool busy;                  /* a callback of the current iteration reported traffic */
	uint64_t last_iteration_ms; /* heartbeat: written once per iteration (relaxed atomic store),
	                               read from any thread by shoal_loop_last_iteration_ms */
	bool stopping;
	int stop_signal;
	sigset_t old_mask;
	bool mask_saved; /* old_mask is valid and fini must restore it */
	shoal_loop_reload_fn reload_fn;
	void *reload_arg;
	unsigned n_ticks;
	struct shoal_loop_tick ticks[SHOAL_LOOP_MAX_TICKS];
	struct shoal_loop_slot slots[SHOAL_LOOP_MAX_FDS];
};

/* Sets up epoll, a periodic timer of tick_ms (>= 1) and the signalfd. Returns 0, or -errno
 * (everything undone; fini is then harmless but not needed). */
int shoal_loop_init(struct shoal_loop *loop, unsigned tick_ms);
void shoal_loop_fini(struct shoal_loop *loop);

/* Registers fd for events (EPOLLIN, EPOLLOUT, ... ; level-triggered unless EPOLLET given).
 * Returns 0, -EEXIST when fd is already registered, -ENOSPC when the table is full, or the
 * -errno of epoll_ctl. */
int shoal_loop_add_fd(struct shoal_loop *loop, int fd, uint32_t events, shoal_loop_fd_fn fn,
                      void *arg);
int shoal_loop_mod_fd(struct shoal_loop *loop, int fd, uint32_t events);
/* Returns 0 or -ENOENT. */
int shoal_loop_del_fd(struct shoal_loop *loop, int fd);

/* Tick callbacks run in registration order. Returns 0 or -ENOSPC. */
int shoal_loop_add_tick(struct shoal_loop *loop, shoal_loop_tick_fn fn, void *arg);
/* Removes the first registration with this fn and arg. Returns 0 or -ENOENT. */
int shoal_loop_del_tick(struct shoal_loop *loop, shoal_loop_tick_fn fn, void *arg);
void shoal_loop_set_reload(struct shoal_loop *loop, shoal_loop_reload_fn fn, void *arg);

/* Busy polling for us microseconds after the last traffic (0, the default: off). */
void shoal_loop_set_busy_poll(struct shoal_loop *loop, unsigned us);
/* From a callback: it moved traffic (starts or extends a busy poll, when one is set). */
void shoal_loop_busy(struct shoal_loop *loop);
/* True while the loop polls instead of sleeping (see shoal_loop_set_busy_poll). */
bool shoal_loop_polling(const struct shoal_loop *loop);

/* Waits up to timeout_ms (-1: forever; 0 while busy polling) and dispatches one batch of
 * events. Returns the number of events handled (0 on timeout or EINTR) or -errno when
 * epoll_wait fails. */
int shoal_loop_run_once(struct shoal_loop *loop, int timeout_ms);
/* Dispatches until stopped (signal or shoal_loop_stop(), also one that arrived before the
 * call). Returns 0, or -errno when epoll_wait fails. The stop request is consumed on return,
 * so a later run starts again; shoal_loop_stop_signal() keeps its value. */
int shoal_loop_run(struct shoal_loop *loop);
/* Makes run() return after the current batch. Safe from any thread and from callbacks. */
void shoal_loop_stop(struct shoal_loop *loop);
/* True from the stop request until run() returns (useful inside callbacks). */
bool shoal_loop_stopping(const struct shoal_loop *loop);
/* The signal that stopped the loop (SIGTERM or SIGINT), 0 when none did. */
int shoal_loop_stop_signal(const struct shoal_loop *loop);

/* Monotonic ms of the last tick (of init before the first tick). */
uint64_t shoal_loop_now_ms(const struct shoal_loop *loop);
/* Monotonic ms when run_once last completed an iteration (of init before the first). Any
 * thread: the health check reads it while the loop runs. */
uint64_t shoal_loop_last_iteration_ms(const struct shoal_loop *loop);
/* CLOCK_MONOTONIC in ms, as the loop reads it. */
uint64_t shoal_loop_clock_ms(void);

#ifdef __cplusplus
}
#endif

#endif
