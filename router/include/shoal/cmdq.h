/*
 * cmdq.h — the control path into the data plane: other threads submit a command and wait
 * for the data-plane thread to run it.
 *
 * Role: threads other than the data plane (the API, the reload path) never touch data-plane
 * state. They call shoal_cmdq_submit(fn, arg), which queues the command, wakes the data plane
 * through an eventfd (shoal_cmdq_fd(), registered in its event loop) and blocks until the data
 * plane has run fn(arg) and stored its return value. The data plane calls shoal_cmdq_drain()
 * between packet batches (when the eventfd is readable); commands run there, on the data
 * plane's thread, in submission order, without the queue lock held, so a command may do
 * anything the data plane may do (but must not submit to the same queue: that deadlocks).
 *
 * Invariants: at most `capacity` commands are queued; a submit that finds the queue full
 * returns -EAGAIN at once (it does not wait for room). The queue mutex is taken only by
 * submit/drain/close, never per packet. Once closed, submits return -ESHUTDOWN and commands
 * still queued are completed with -ESHUTDOWN without running (commands already taken by a
 * drain in progress still run).
 *
 * Bounded waits (shoal_cmdq_submit_timed): a submitter that gives up at its deadline never
 * leaves the data plane holding its memory. Each command is a heap record owned by two
 * references (submitter, queue) and moves QUEUED -> RUNNING -> DONE under the queue lock
 * (a few lock rounds per command, never per packet). At the deadline:
 *   - still QUEUED (in the ring, or taken by a drain but not started): it is CANCELLED, taken
 *     out of the ring, and will never run; the caller returns -ETIMEDOUT and may free arg;
 *   - RUNNING with a release function: the command is DETACHED: the caller returns
 *     -ETIMEDOUT at once and must not touch arg again; arg (heap memory, self-contained:
 *     no pointer into the caller's frame) now belongs to the command, and the data plane
 *     calls release(arg) right after fn returns;
 *   - RUNNING without a release function: the caller keeps waiting until fn returns (use
 *     this only for commands that run no foreign code, i.e. finish in bounded time).
 * The record itself is freed by whichever side drops the last reference.
 *
 * Ownership: command records are malloc'd by submit and freed as above; the queue holds
 * pointers to them. fn's arg belongs to the submitter (or, detached, to the command). The
 * caller owns struct shoal_cmdq; init allocates the ring of `capacity` pointers and the
 * eventfd, fini frees them. fini requires that no thread is inside submit (close, then join
 * the submitters) and that no drain is running.
 */
#ifndef SHOAL_CMDQ_H
#define SHOAL_CMDQ_H

#ifdef __cplusplus
extern "C" {
#endif

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

/* Runs on the data plane. Its return value is the command's result. */
typedef int (*shoal_cmd_fn)(void *arg);
/* Frees a detached command's arg (and whatever it owns); runs on the data plane. */
typedef void (*shoal_cmd_release_fn)(void *arg);

struct shoal_cmd; /* internal: a heap record, see "Bounded waits" */

/* X(suffix, name, help): the queue's counters, kept under the queue lock (never touched per
 * packet). One table for every reader: GET /api/v1/stats shows them as "cmdq": {name: n},
 * GET /metrics as shoal_cmdq_<name>_total with this help. */
#define SHOAL_CMDQ_COUNTERS(X)                                                                     \
	X(SUBMITTED, "commands_submitted", "Commands accepted into the command queue.")            \
	X(RUN, "commands_run", "Commands the data plane ran.")                                     \
	X(WAITS, "waits",                                                                          \
	  "Times a submitter blocked on the queue waiting for its command (each wake-up that "     \
	  "found it unfinished counts again).")                                                    \
	X(FULL, "full",                                                                            \
	  "Submits refused because the queue was full (the control path retries them until its "   \
	  "deadline).")                                                                            \
	X(TIMED_OUT, "timed_out",                                                                  \
	  "Submitters that gave up at their deadline (the command was cancelled or detached).")

#define SHOAL_CMDQ_CTR_ENUM_(suffix, name, help) SHOAL_CMDQ_CTR_##suffix,
enum shoal_cmdq_counter { SHOAL_CMDQ_COUNTERS(SHOAL_CMDQ_CTR_ENUM_) SHOAL_CMDQ_CTR_COUNT_ };
#undef SHOAL_CMDQ_CTR_ENUM_
extern const char *const shoal_cmdq_counter_names[SHOAL_CMDQ_CTR_COUNT_];
extern const char *const shoal_cmdq_counter_helps[SHOAL_CMDQ_CTR_COUNT_];

struct shoal_cmdq {
	pthread_mutex_t lock;
	struct shoal_cmd **ring;
	unsigned capacity;
	unsigned head; /* index of the oldest queued command */
	unsigned count;
	bool closed;
	int efd;
	unsigned long long ctr[SHOAL_CMDQ_CTR_COUNT_]; /* SHOAL_CMDQ_COUNTERS, under lock */
};

enum { SHOAL_CMDQ_DRAIN_MAX = 64 }; /* commands taken per drain call at most */

/* Returns 0, -EINVAL for capacity 0, or -errno. */
int shoal_cmdq_init(struct shoal_cmdq *q, unsigned capacity);
void shoal_cmdq_fini(struct shoal_cmdq *q);

/* The eventfd to watch for EPOLLIN in the data plane's loop (non-blocking). */
int shoal_cmdq_fd(const struct shoal_cmdq *q);

/* Any thread but the data plane. Blocks until fn(arg) has run on the data plane; stores its
 * return value in *result (result may be NULL). Returns 0 when it ran, -EAGAIN when the queue
 * was full, -ESHUTDOWN when the queue is (or got) closed before fn ran. */
int shoal_cmdq_submit(struct shoal_cmdq *q, shoal_cmd_fn fn, void *arg, int *result);

/* The same with a deadline of timeout_ms from now (see "Bounded waits"). Returns 0 when it
 * ran (result stored), -EAGAIN, -ESHUTDOWN, -ENOMEM, -ETIMEDOUT when it was cancelled before
 * it started (it never runs), or -EINPROGRESS when it was detached (started, runs on; release
 * frees arg). Without release, a started command is waited for past the deadline. */
int shoal_cmdq_submit_timed(struct shoal_cmdq *q, shoal_cmd_fn fn, void *arg, int *result,
                            unsigned timeout_ms, shoal_cmd_release_fn release);

/* Data plane only. Runs up to max (capped at SHOAL_CMDQ_DRAIN_MAX) queued commands and wakes
 * their submitters; returns how many ran. When commands remain, the eventfd is left readable
 * so the loop comes back. */
unsigned shoal_cmdq_drain(struct shoal_cmdq *q, unsigned max);

/* Any thread: a copy of the counters (taken under the queue lock). */
void shoal_cmdq_counters(struct shoal_cmdq *q, unsigned long long out[SHOAL_CMDQ_CTR_COUNT_]);

/* Refuses further submits and fails the queued ones with -ESHUTDOWN. Any thread; idempotent.
 * Call it when the data plane stops. */
void shoal_cmdq_close(struct shoal_cmdq *q);

#ifdef __cplusplus
}
#endif

#endif
