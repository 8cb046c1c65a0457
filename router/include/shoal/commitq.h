/*
 * commitq.h — group commit: writers whose changes are applied wait until a commit has made
 * them durable, and the writers waiting at the same time share one commit.
 *
 * Role: control (control.c) applies a mutation on the data plane, pushes it here as an item
 * (shoal_commitq_push, on the data plane, so items are in apply order) and waits
 * (shoal_commitq_wait, on the caller's thread). There is no committer thread: a waiter that
 * finds no commit running becomes the committer. It takes every pushed item (the group),
 * drops the lock and calls the commit function, which writes the group (one transaction, one
 * fdatasync) and settles its items (shoal_commitq_settle). Items pushed meanwhile wait for
 * the next group.
 *
 * Wakes are targeted. Settling an item wakes its own writer and no other. When a commit ends
 * and items are pending, the committer hands the role on: it wakes the writer of the first
 * pending item that sleeps, and that writer commits the next group. A writer that has pushed
 * but is not asleep yet takes the role itself when it gets here. So a commit wakes the
 * writers it answered plus at most one, never the whole crowd. A wake is posted after the
 * lock is released (the woken writer does not then wait for the lock its waker holds); the
 * poster clears the writer's asleep flag under the lock first, so each sleep gets exactly one
 * post and the writer cannot return, and free its item, before it.
 *
 * Invariants: at most one commit runs at a time. Groups are consecutive runs of the push
 * order. Each pushed item is settled exactly once, or cancelled. No writer sleeps while its
 * item is pending and no commit runs: the end of every commit wakes one such writer, and any
 * writer not asleep yet finds no commit running and commits itself.
 *
 * Ownership: the caller owns struct shoal_commitq (init/fini) and the items, which usually
 * sit inside its command record. An item must stay valid until shoal_commitq_wait returns;
 * after shoal_commitq_cancel returned ORPHANED, until its orphan function has run. The commit
 * function owns the group it was given until it settles it. fini requires that no thread is
 * inside wait.
 *
 * Thread safety: every function takes the queue's lock, briefly; the commit function runs
 * without it (it may do I/O, and may call shoal_commitq_take and shoal_commitq_settle).
 */
#ifndef SHOAL_COMMITQ_H
#define SHOAL_COMMITQ_H

#ifdef __cplusplus
extern "C" {
#endif

#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stddef.h>

struct shoal_commitq_item {
	struct shoal_commitq_item *next; /* pending list or group, in push order */
	sem_t wake;                      /* its writer's own wake-up, posted once per sleep */
	bool asleep;                     /* its writer sleeps on wake, and nobody posted it yet */
	bool done;                       /* settled */
	void (*orphan_free)(void *);     /* set by cancel when the writer left: run once settled */
	void *orphan;
};

/* Writes group (a list through next, in push order) and settles every item of it, plus any
 * it took (shoal_commitq_take). Runs on a writer's thread, without the queue's lock. */
typedef void (*shoal_commitq_commit_fn)(void *arg, struct shoal_commitq_item *group);

struct shoal_commitq {
	pthread_mutex_t lock;
	struct shoal_commitq_item *head, **tail; /* pushed, not yet taken */
	bool committing;
	size_t sleepers; /* writers asleep in wait */
	unsigned long long commits, handoffs, wakes;
	shoal_commitq_commit_fn commit;
	void *arg;
};

void shoal_commitq_init(struct shoal_commitq *q, shoal_commitq_commit_fn commit, void *arg);
void shoal_commitq_fini(struct shoal_commitq *q);

/* Appends it to the pending items (initializes it). */
void shoal_commitq_push(struct shoal_commitq *q, struct shoal_commitq_item *it);

/* Returns once it (pushed before) is settled, committing groups itself when no commit runs.
 * What the outcome was is the caller's to record in its own record before settling. */
void shoal_commitq_wait(struct shoal_commitq *q, struct shoal_commitq_item *it);

/* Marks every item of list settled and wakes its writer; an orphan's free function runs
 * instead. Reads each item's next before settling it: a woken writer may free its item. */
void shoal_commitq_settle(struct shoal_commitq *q, struct shoal_commitq_item *list);

/* Takes every pending item (e.g. to undo them after a failed commit: the caller must settle
 * them). NULL when none. */
struct shoal_commitq_item *shoal_commitq_take(struct shoal_commitq *q);

enum shoal_commitq_cancel {
	SHOAL_COMMITQ_CANCELLED, /* it was pending: taken out, never committed */
	SHOAL_COMMITQ_ORPHANED,  /* a commit has it: orphan_free(orphan) runs once settled */
	SHOAL_COMMITQ_SETTLED,   /* already settled: the caller may free it now */
};
/* For an item whose writer will not wait (it left): see the results above. */
enum shoal_commitq_cancel shoal_commitq_cancel(struct shoal_commitq *q,
                                               struct shoal_commitq_item *it,
                                               void (*orphan_free)(void *), void *orphan);

/* A commit is running now. */
bool shoal_commitq_busy(struct shoal_commitq *q);

struct shoal_commitq_stats {
	unsigned long long commits;  /* commit function calls */
	unsigned long long handoffs; /* commits that ended by waking the next committer */
	unsigned long long wakes;    /* times a sleeping writer woke up */
	size_t sleepers;             /* writers asleep now */
	size_t pending;              /* items pushed and not taken */
};
void shoal_commitq_stats(struct shoal_commitq *q, struct shoal_commitq_stats *s);

#ifdef __cplusplus
}
#endif

#endif
