/* cmdq.c — bounded command queue into the data plane. Contract in include/shoal/cmdq.h. */
#include "shoal/cmdq.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct shoal_cmd {
	shoal_cmd_fn fn;
	void *arg;
	int result;
	int status; /* 0 ran, -ESHUTDOWN refused */
	bool done;
};

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
	pthread_cond_init(&q->done, NULL);
	return 0;
}

void shoal_cmdq_fini(struct shoal_cmdq *q)
{
	if (q->ring == NULL)
		return;
	pthread_cond_destroy(&q->done);
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

int shoal_cmdq_submit(struct shoal_cmdq *q, shoal_cmd_fn fn, void *arg, int *result)
{
	struct shoal_cmd cmd = {.fn = fn, .arg = arg};

	pthread_mutex_lock(&q->lock);
	if (q->closed) {
		pthread_mutex_unlock(&q->lock);
		return -ESHUTDOWN;
	}
	if (q->count == q->capacity) {
		q->rejected++;
		pthread_mutex_unlock(&q->lock);
		return -EAGAIN;
	}
	q->ring[(q->head + q->count) % q->capacity] = &cmd;
	q->count++;
	q->submitted++;
	cmdq_wake(q);
	while (!cmd.done)
		pthread_cond_wait(&q->done, &q->lock);
	pthread_mutex_unlock(&q->lock);

	if (cmd.status == 0 && result != NULL)
		*result = cmd.result;
	return cmd.status;
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
		batch[n++] = q->ring[q->head];
		q->head = (q->head + 1) % q->capacity;
		q->count--;
	}
	if (q->count > 0)
		cmdq_wake(q);
	pthread_mutex_unlock(&q->lock);
	if (n == 0)
		return 0;

	for (unsigned i = 0; i < n; i++)
		batch[i]->result = batch[i]->fn(batch[i]->arg);

	pthread_mutex_lock(&q->lock);
	for (unsigned i = 0; i < n; i++)
		batch[i]->done = true; /* status stays 0: it ran */
	pthread_cond_broadcast(&q->done);
	pthread_mutex_unlock(&q->lock);
	return n;
}

void shoal_cmdq_close(struct shoal_cmdq *q)
{
	pthread_mutex_lock(&q->lock);
	q->closed = true;
	while (q->count > 0) {
		struct shoal_cmd *c = q->ring[q->head];
		q->head = (q->head + 1) % q->capacity;
		q->count--;
		c->status = -ESHUTDOWN;
		c->done = true;
	}
	pthread_cond_broadcast(&q->done);
	pthread_mutex_unlock(&q->lock);
}
