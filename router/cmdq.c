/* cmdq.c — bounded command queue into the data plane. Contract in include/shoal/cmdq.h. */
#include "shoal/cmdq.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

enum cmd_state { CMD_QUEUED, CMD_RUNNING, CMD_DONE };

struct shoal_cmd {
	shoal_cmd_fn fn;
	void *arg;
	shoal_cmd_release_fn release;
	int result;
	int status; /* 0 ran, -ESHUTDOWN refused, -ETIMEDOUT cancelled */
	enum cmd_state state;
	bool in_ring;        /* still in the ring (not yet taken by a drain) */
	bool detached;       /* the submitter left while it ran: release(arg) after fn */
	unsigned refs;       /* submitter + queue */
	pthread_cond_t done; /* its submitter's wake-up: signalled when it is DONE */
};

/* Drops one reference (queue lock held); returns true when the record must be freed. */
#define CMDQ_NAME_(suffix, name, help) name,
#define CMDQ_HELP_(suffix, name, help) help,
const char *const shoal_cmdq_counter_names[SHOAL_CMDQ_CTR_COUNT_] = {
    SHOAL_CMDQ_COUNTERS(CMDQ_NAME_)};
const char *const shoal_cmdq_counter_helps[SHOAL_CMDQ_CTR_COUNT_] = {
    SHOAL_CMDQ_COUNTERS(CMDQ_HELP_)};
#undef CMDQ_NAME_
#undef CMDQ_HELP_

static bool cmd_unref(struct shoal_cmd *c)
{
	return --c->refs == 0;
}

static void cmd_free(struct shoal_cmd *c)
{
	pthread_cond_destroy(&c->done);
	free(c);
}

int shoal_cmdq_init(struct shoal_cmdq *q, unsigned capacity)
{
	memset(q, 0, sizeof(*q));
	q->efd = -1;
	if (capacity == 0)
		return -EINVAL;
	q->ring = calloc(capacity, sizeof(q->ring[0]));
	if (q->ring == NULL)
		return -ENOMEM;
	q->capacity = capacity;
	q->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (q->efd < 0) {
		int rc = -errno;
		free(q->ring);
		q->ring = NULL;
		return rc;
	}
	pthread_mutex_init(&q->lock, NULL);
	return 0;
}

void shoal_cmdq_fini(struct shoal_cmdq *q)
{
	if (q->ring == NULL)
		return;
	pthread_mutex_destroy(&q->lock);
	close(q->efd);
	q->efd = -1;
	free(q->ring);
	q->ring = NULL;
}

int shoal_cmdq_fd(const struct shoal_cmdq *q)
{
	return q->efd;
}

static void cmdq_wake(struct shoal_cmdq *q)
{
	uint64_t one = 1;
	ssize_t w = write(q->efd, &one, sizeof(one));
	(void)w; /* only fails at counter overflow, when it is readable anyway */
}

/* Takes c out of the ring (queue lock held), keeping the order of the others. */
static void cmdq_ring_remove(struct shoal_cmdq *q, struct shoal_cmd *c)
{
	unsigned i = 0;
	while (i < q->count && q->ring[(q->head + i) % q->capacity] != c)
		i++;
	if (i == q->count)
		return;
	for (; i + 1 < q->count; i++)
		q->ring[(q->head + i) % q->capacity] = q->ring[(q->head + i + 1) % q->capacity];
	q->count--;
	c->in_ring = false;
}

static int cmdq_submit(struct shoal_cmdq *q, shoal_cmd_fn fn, void *arg, int *result,
                       const struct timespec *deadline, shoal_cmd_release_fn release)
{
	struct shoal_cmd *c = malloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	*c = (struct shoal_cmd){.fn = fn, .arg = arg, .release = release, .refs = 2};
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* deadlines ignore wall-clock jumps */
	pthread_cond_init(&c->done, &ca);
	pthread_condattr_destroy(&ca);

	pthread_mutex_lock(&q->lock);
	if (q->closed || q->count == q->capacity) {
		int rc = q->closed ? -ESHUTDOWN : -EAGAIN;
		if (!q->closed)
			q->ctr[SHOAL_CMDQ_CTR_FULL]++;
		pthread_mutex_unlock(&q->lock);
		cmd_free(c);
		return rc;
	}
	q->ring[(q->head + q->count) % q->capacity] = c;
	q->count++;
	q->ctr[SHOAL_CMDQ_CTR_SUBMITTED]++;
	c->in_ring = true;
	cmdq_wake(q);
	while (c->state != CMD_DONE) {
		/* Bounded while it can still be cancelled, or detached; else wait it out. */
		bool bounded = deadline && (c->state == CMD_QUEUED || c->release);
		q->ctr[SHOAL_CMDQ_CTR_WAITS]++;
		if (!bounded) {
			pthread_cond_wait(&c->done, &q->lock);
			continue;
		}
		if (pthread_cond_timedwait(&c->done, &q->lock, deadline) == ETIMEDOUT &&
		    c->state != CMD_DONE && (c->state == CMD_QUEUED || c->release))
			break;
	}
	int status = c->status;
	if (c->state != CMD_DONE) {
		q->ctr[SHOAL_CMDQ_CTR_TIMED_OUT]++;
		if (c->state == CMD_QUEUED) {
			/* Never runs: out of the ring now, or skipped by the drain that took it. */
			if (c->in_ring) {
				cmdq_ring_remove(q, c);
				c->refs--; /* the ring's reference */
			}
			c->status = status = -ETIMEDOUT;
			c->state = CMD_DONE;
		} else {
			c->detached = true; /* RUNNING with release: the data plane frees arg */
			status = -EINPROGRESS;
		}
	} else if (status == 0 && result != NULL) {
		*result = c->result;
	}
	bool last = cmd_unref(c);
	pthread_mutex_unlock(&q->lock);
	if (last)
		cmd_free(c);
	return status;
}

int shoal_cmdq_submit(struct shoal_cmdq *q, shoal_cmd_fn fn, void *arg, int *result)
{
	return cmdq_submit(q, fn, arg, result, NULL, NULL);
}

int shoal_cmdq_submit_timed(struct shoal_cmdq *q, shoal_cmd_fn fn, void *arg, int *result,
                            unsigned timeout_ms, shoal_cmd_release_fn release)
{
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	return cmdq_submit(q, fn, arg, result, &deadline, release);
}

unsigned shoal_cmdq_drain(struct shoal_cmdq *q, unsigned max)
{
	struct shoal_cmd *batch[SHOAL_CMDQ_DRAIN_MAX];
	uint64_t v;
	unsigned n = 0;

	if (max > SHOAL_CMDQ_DRAIN_MAX)
		max = SHOAL_CMDQ_DRAIN_MAX;
	/* Reset the eventfd before taking commands: a submit after this point wakes it again. */
	ssize_t r = read(q->efd, &v, sizeof(v));
	(void)r; /* EAGAIN: nothing signalled, drain anyway */

	pthread_mutex_lock(&q->lock);
	while (n < max && q->count > 0) {
		batch[n] = q->ring[q->head];
		batch[n++]->in_ring = false;
		q->head = (q->head + 1) % q->capacity;
		q->count--;
	}
	if (q->count > 0)
		cmdq_wake(q);
	pthread_mutex_unlock(&q->lock);

	unsigned ran = 0;
	for (unsigned i = 0; i < n; i++) {
		struct shoal_cmd *c = batch[i];
		pthread_mutex_lock(&q->lock);
		if (c->state != CMD_QUEUED) { /* cancelled by its submitter meanwhile */
			bool last = cmd_unref(c);
			pthread_mutex_unlock(&q->lock);
			if (last)
				cmd_free(c);
			continue;
		}
		c->state = CMD_RUNNING;
		pthread_mutex_unlock(&q->lock);

		int result = c->fn(c->arg);
		ran++;

		pthread_mutex_lock(&q->lock);
		q->ctr[SHOAL_CMDQ_CTR_RUN]++;
		c->result = result;
		c->state = CMD_DONE; /* status stays 0: it ran */
		bool detached = c->detached;
		pthread_mutex_unlock(&q->lock);
		/* Wakes its submitter alone, after the unlock so that it does not then wait for
		 * the lock; the queue's reference keeps c alive until dropped below. */
		pthread_cond_signal(&c->done);
		if (detached && c->release)
			c->release(c->arg);
		pthread_mutex_lock(&q->lock);
		bool last = cmd_unref(c);
		pthread_mutex_unlock(&q->lock);
		if (last)
			cmd_free(c);
	}
	return ran;
}

void shoal_cmdq_counters(struct shoal_cmdq *q, unsigned long long out[SHOAL_CMDQ_CTR_COUNT_])
{
	pthread_mutex_lock(&q->lock);
	memcpy(out, q->ctr, sizeof(q->ctr));
	pthread_mutex_unlock(&q->lock);
}

void shoal_cmdq_close(struct shoal_cmdq *q)
{
	pthread_mutex_lock(&q->lock);
	q->closed = true;
	while (q->count > 0) {
		struct shoal_cmd *c = q->ring[q->head];
		q->head = (q->head + 1) % q->capacity;
		q->count--;
		c->in_ring = false;
		c->status = -ESHUTDOWN;
		c->state = CMD_DONE;
		pthread_cond_signal(&c->done);
		if (cmd_unref(c))
			cmd_free(c); /* cannot happen: its submitter still waits */
	}
	pthread_mutex_unlock(&q->lock);
}
