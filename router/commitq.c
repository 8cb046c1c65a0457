/* commitq.c — group commit with targeted wakes (contract in include/shoal/commitq.h). */
#include "shoal/commitq.h"

#include <errno.h>

void shoal_commitq_init(struct shoal_commitq *q, shoal_commitq_commit_fn commit, void *arg)
{
	*q = (struct shoal_commitq){.commit = commit, .arg = arg};
	q->tail = &q->head;
	pthread_mutex_init(&q->lock, NULL);
}

void shoal_commitq_fini(struct shoal_commitq *q)
{
	pthread_mutex_destroy(&q->lock);
}

void shoal_commitq_push(struct shoal_commitq *q, struct shoal_commitq_item *it)
{
	*it = (struct shoal_commitq_item){0};
	sem_init(&it->wake, 0, 0);
	pthread_mutex_lock(&q->lock);
	*q->tail = it;
	q->tail = &it->next;
	pthread_mutex_unlock(&q->lock);
}

/* Under lock: takes the pending list. */
static struct shoal_commitq_item *commitq_take(struct shoal_commitq *q)
{
	struct shoal_commitq_item *l = q->head;
	q->head = NULL;
	q->tail = &q->head;
	return l;
}

/* Under lock, a commit just ended: picks the writer of the first pending item that sleeps,
 * to commit the next group (a writer not asleep yet commits it when it comes to wait). The
 * caller posts it after unlocking. */
static struct shoal_commitq_item *commitq_hand_off(struct shoal_commitq *q)
{
	for (struct shoal_commitq_item *it = q->head; it; it = it->next)
		if (it->asleep) {
			it->asleep = false;
			q->handoffs++;
			return it;
		}
	return NULL;
}

/* Sleeps until posted (sem_wait returns early only on a signal). */
static void commitq_sleep(struct shoal_commitq_item *it)
{
	while (sem_wait(&it->wake) != 0 && errno == EINTR)
		;
}

void shoal_commitq_wait(struct shoal_commitq *q, struct shoal_commitq_item *it)
{
	pthread_mutex_lock(&q->lock);
	while (!it->done) {
		if (q->committing) {
			it->asleep = true;
			q->sleepers++;
			pthread_mutex_unlock(&q->lock);
			commitq_sleep(it); /* whoever posts has cleared asleep */
			pthread_mutex_lock(&q->lock);
			q->sleepers--;
			q->wakes++;
			continue;
		}
		q->committing = true;
		struct shoal_commitq_item *g = commitq_take(q);
		if (g)
			q->commits++;
		pthread_mutex_unlock(&q->lock);
		if (g) /* never NULL while it is unsettled: it is pending or in this group */
			q->commit(q->arg, g);
		pthread_mutex_lock(&q->lock);
		q->committing = false;
		struct shoal_commitq_item *next = commitq_hand_off(q);
		if (next) {
			pthread_mutex_unlock(&q->lock);
			sem_post(&next->wake);
			pthread_mutex_lock(&q->lock);
		}
	}
	pthread_mutex_unlock(&q->lock);
	sem_destroy(&it->wake); /* settled, and every post to it has been made */
}

void shoal_commitq_settle(struct shoal_commitq *q, struct shoal_commitq_item *list)
{
	struct shoal_commitq_item *post = NULL; /* writers to wake, linked through next */
	pthread_mutex_lock(&q->lock);
	while (list) {
		struct shoal_commitq_item *next = list->next;
		list->done = true;
		if (list->orphan_free) {
			sem_destroy(&list->wake);
			list->orphan_free(list->orphan);
		} else if (list->asleep) {
			list->asleep = false;
			list->next = post; /* settled: its next is ours now */
			post = list;
		}
		list = next;
	}
	pthread_mutex_unlock(&q->lock);
	while (post) {
		struct shoal_commitq_item *next = post->next; /* read before: the post frees it */
		sem_post(&post->wake);
		post = next;
	}
}

struct shoal_commitq_item *shoal_commitq_take(struct shoal_commitq *q)
{
	pthread_mutex_lock(&q->lock);
	struct shoal_commitq_item *l = commitq_take(q);
	pthread_mutex_unlock(&q->lock);
	return l;
}

enum shoal_commitq_cancel shoal_commitq_cancel(struct shoal_commitq *q,
                                               struct shoal_commitq_item *it,
                                               void (*orphan_free)(void *), void *orphan)
{
	pthread_mutex_lock(&q->lock);
	for (struct shoal_commitq_item **p = &q->head; *p; p = &(*p)->next) {
		if (*p != it)
			continue;
		*p = it->next;
		if (q->tail == &it->next)
			q->tail = p;
		pthread_mutex_unlock(&q->lock);
		sem_destroy(&it->wake);
		return SHOAL_COMMITQ_CANCELLED;
	}
	if (!it->done) {
		it->orphan_free = orphan_free;
		it->orphan = orphan;
		pthread_mutex_unlock(&q->lock);
		return SHOAL_COMMITQ_ORPHANED;
	}
	pthread_mutex_unlock(&q->lock);
	sem_destroy(&it->wake);
	return SHOAL_COMMITQ_SETTLED;
}

bool shoal_commitq_busy(struct shoal_commitq *q)
{
	pthread_mutex_lock(&q->lock);
	bool busy = q->committing;
	pthread_mutex_unlock(&q->lock);
	return busy;
}

void shoal_commitq_stats(struct shoal_commitq *q, struct shoal_commitq_stats *s)
{
	pthread_mutex_lock(&q->lock);
	size_t pending = 0;
	for (const struct shoal_commitq_item *it = q->head; it; it = it->next)
		pending++;
	*s = (struct shoal_commitq_stats){.commits = q->commits,
	                                  .handoffs = q->handoffs,
	                                  .wakes = q->wakes,
	                                  .sleepers = q->sleepers,
	                                  .pending = pending};
	pthread_mutex_unlock(&q->lock);
}
