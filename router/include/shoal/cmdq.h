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
 * Ownership: each command lives in its submitter's stack frame for the duration of submit;
 * the queue holds only pointers to them. fn's arg (in/out data) belongs to the submitter and
 * is touched by the data plane only inside fn. The caller owns struct shoal_cmdq; init
 * allocates the ring of `capacity` pointers and the eventfd, fini frees them. fini requires
 * that no thread is inside submit (close, then join the submitters).
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

struct shoal_cmd; /* internal: lives in the submitter's frame */

struct shoal_cmdq {
	pthread_mutex_t lock;
	pthread_cond_t done; /* broadcast when commands complete */
	struct shoal_cmd **ring;
	unsigned capacity;
	unsigned head; /* index of the oldest queued command */
	unsigned count;
	bool closed;
	int efd;
	unsigned long long submitted; /* accepted by submit (statistics) */
	unsigned long long rejected;  /* refused because full */
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

/* Data plane only. Runs up to max (capped at SHOAL_CMDQ_DRAIN_MAX) queued commands and wakes
 * their submitters; returns how many ran. When commands remain, the eventfd is left readable
 * so the loop comes back. */
unsigned shoal_cmdq_drain(struct shoal_cmdq *q, unsigned max);

/* Refuses further submits and fails the queued ones with -ESHUTDOWN. Any thread; idempotent.
 * Call it when the data plane stops. */
void shoal_cmdq_close(struct shoal_cmdq *q);

#ifdef __cplusplus
}
#endif

#endif
