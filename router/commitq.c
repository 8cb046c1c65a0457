/* commitq.c — group commit with targeted wakes (contract in include/shoal/commitq.h). */
#include "shoal/commitq.h"

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
	pthread_cond_init(&it->wake, NULL);
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

/* Under lock, a commit just ended: wakes the writer of the first pending item that sleeps,
 * to commit the next group (a writer not asleep yet commits it when it comes to wait). */
static void commitq_hand_off(struct shoal_commitq *q)
{
	for (struct shoal_commitq_item *it = q->head; it; it = it->next)
		if (it->asleep) {
			q->handoffs++;
			pthread_cond_signal(&it->wake);
			return;
		}
}

void shoal_commitq_wait(struct shoal_commitq *q, struct shoal_commitq_item *it)
{
	pthread_mutex_lock(&q->lock);
	while (!it->done) {
		if (q->committing) {
			it->asleep = true;
			q->sleepers++;
			pthread_cond_wait(&it->wake, &q->lock);
			q->sleepers--;
			q->wakes++;
			it->asleep = false;
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
		commitq_hand_off(q);
	}
	pthread_mutex_unlock(&q->lock);
	pthread_cond_destroy(&it->wake); /* settled: nobody signals it again */
}

void shoal_commitq_settle(struct shoal_commitq *q, struct shoal_commitq_item *list)
{
	pthread_mutex_lock(&q->lock);
	while (list) {
		struct shoal_commitq_item *next = list->next;
		list->done = true;
		if (list->orphan_free) {
			pthread_cond_destroy(&list->wake);
			list->orphan_free(list->orphan);
		} else if (list->asleep) {
			pthread_cond_signal(&list->wake);
		}
		list = next;
	}
	pthread_mutex_unlock(&q->lock);
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
		pthread_cond_destroy(&it->wake);
		return SHOAL_COMMITQ_CANCELLED;
	}
	if (!it->done) {
		it->orphan_free = orphan_free;
		it->orphan = orphan;
		pthread_mutex_unlock(&q->lock);
		return SHOAL_COMMITQ_ORPHANED;
	}
	pthread_mutex_unlock(&q->lock);
	pthread_cond_destroy(&it->wake);
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
