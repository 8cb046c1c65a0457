/* Tests for router/commitq.c: who commits, who is woken (only the writers answered, plus one
 * next committer), groups in push order, failure and cancel paths. A commit function that
 * can be held at a gate makes each interleaving deterministic; every wait for a thread is
 * bounded (a writer left asleep shows as a join that times out). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "shoal/commitq.h"

enum { BOUND_MS = 10000, MAX_GROUPS = 4096, MAX_ITEMS = 4096 };

enum outcome { PENDING, COMMITTED, FAILED };

struct w_item {
	struct shoal_commitq_item item; /* first: the commit function casts */
	unsigned id;
	enum outcome outcome;
};

struct world {
	struct shoal_commitq q;
	pthread_mutex_t lock; /* the fields below */
	pthread_cond_t cond;
	bool gate_closed; /* commits wait at the gate while closed */
	unsigned in_commit;
	bool fail_next;         /* the next commit fails and takes the pending items */
	unsigned next_expected; /* stress: the id the next committed item must have */
	bool order_ok;
	size_t n_groups;
	size_t group_size[MAX_GROUPS];
	unsigned first_id[MAX_GROUPS];
	unsigned orphans_freed;
};

static void world_settle(struct world *w, struct shoal_commitq_item *l, enum outcome o)
{
	for (struct shoal_commitq_item *it = l; it; it = it->next)
		((struct w_item *)it)->outcome = o;
	shoal_commitq_settle(&w->q, l);
}

static void world_commit(void *arg, struct shoal_commitq_item *g)
{
	struct world *w = arg;
	pthread_mutex_lock(&w->lock);
	w->in_commit++;
	pthread_cond_broadcast(&w->cond);
	while (w->gate_closed)
		pthread_cond_wait(&w->cond, &w->lock);
	size_t n = 0;
	for (struct shoal_commitq_item *it = g; it; it = it->next, n++) {
		unsigned id = ((struct w_item *)it)->id;
		if (id != w->next_expected)
			w->order_ok = false;
		w->next_expected = id + 1;
	}
	if (w->n_groups < MAX_GROUPS) {
		w->group_size[w->n_groups] = n;
		w->first_id[w->n_groups] = ((struct w_item *)g)->id;
	}
	w->n_groups++;
	bool fail = w->fail_next;
	w->fail_next = false;
	w->in_commit--;
	pthread_mutex_unlock(&w->lock);
	if (!fail) {
		world_settle(w, g, COMMITTED);
		return;
	}
	struct shoal_commitq_item *later = shoal_commitq_take(&w->q);
	world_settle(w, later, FAILED);
	world_settle(w, g, FAILED);
}

static void world_init(struct world *w)
{
	*w = (struct world){.order_ok = true};
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	shoal_commitq_init(&w->q, world_commit, w);
}

static void world_fini(struct world *w)
{
	shoal_commitq_fini(&w->q);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
}

static void world_gate(struct world *w, bool closed)
{
	pthread_mutex_lock(&w->lock);
	w->gate_closed = closed;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

static struct timespec deadline_in(int ms)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

/* Polls (bounded) until a commit is held at the gate. */
static bool world_await_commit(struct world *w)
{
	struct timespec d = deadline_in(BOUND_MS);
	pthread_mutex_lock(&w->lock);
	int rc = 0;
	while (w->in_commit == 0 && rc == 0)
		rc = pthread_cond_timedwait(&w->cond, &w->lock, &d);
	bool ok = w->in_commit > 0;
	pthread_mutex_unlock(&w->lock);
	return ok;
}

/* Polls (bounded) until n writers sleep in the queue. */
static bool world_await_sleepers(struct world *w, size_t n)
{
	for (int i = 0; i < BOUND_MS; i++) {
		struct shoal_commitq_stats s;
		shoal_commitq_stats(&w->q, &s);
		if (s.sleepers == n)
			return true;
		usleep(1000);
	}
	return false;
}

struct writer {
	struct world *w;
	struct w_item *it;
	pthread_t t;
};

static void *writer_wait(void *arg)
{
	struct writer *wr = arg;
	shoal_commitq_wait(&wr->w->q, &wr->it->item);
	return NULL;
}

static void writer_start(struct writer *wr, struct world *w, struct w_item *it)
{
	*wr = (struct writer){.w = w, .it = it};
	assert_int_equal(pthread_create(&wr->t, NULL, writer_wait, wr), 0);
}

/* A writer left asleep shows here: its join times out. */
static void writer_join(struct writer *wr)
{
	struct timespec d = deadline_in(BOUND_MS);
	int rc = pthread_timedjoin_np(wr->t, NULL, &d);
	if (rc == ETIMEDOUT)
		fail_msg("writer of item %u never returned (left asleep)", wr->it->id);
	assert_int_equal(rc, 0);
}

static struct shoal_commitq_stats world_stats(struct world *w)
{
	struct shoal_commitq_stats s;
	shoal_commitq_stats(&w->q, &s);
	return s;
}

static void test_lone_writer_commits_itself(void **state)
{
	(void)state;
	struct world w;
	world_init(&w);
	struct w_item a = {.id = 0};
	shoal_commitq_push(&w.q, &a.item);
	assert_int_equal(world_stats(&w).pending, 1);
	assert_false(shoal_commitq_busy(&w.q));
	shoal_commitq_wait(&w.q, &a.item); /* no other thread: it commits on this one */
	assert_int_equal(a.outcome, COMMITTED);
	assert_int_equal(w.n_groups, 1);
	assert_int_equal(w.group_size[0], 1);
	struct shoal_commitq_stats s = world_stats(&w);
	assert_int_equal(s.commits, 1);
	assert_int_equal(s.handoffs, 0);
	assert_int_equal(s.wakes, 0);
	assert_int_equal(s.pending, 0);
	world_fini(&w);
}

/* A commits alone (held at the gate); B, C, D arrive meanwhile and sleep. When A's commit
 * ends, B alone is woken to commit {B, C, D}, then C and D are woken once each, answered. */
static void test_writers_during_a_commit_are_handed_off_and_share_one(void **state)
{
	(void)state;
	struct world w;
	world_init(&w);
	world_gate(&w, true);
	struct w_item it[4];
	struct writer wr[4];
	for (unsigned i = 0; i < 4; i++)
		it[i] = (struct w_item){.id = i};
	shoal_commitq_push(&w.q, &it[0].item);
	writer_start(&wr[0], &w, &it[0]);
	assert_true(world_await_commit(&w));
	assert_true(shoal_commitq_busy(&w.q));
	for (unsigned i = 1; i < 4; i++) {
		shoal_commitq_push(&w.q, &it[i].item);
		writer_start(&wr[i], &w, &it[i]);
	}
	assert_true(world_await_sleepers(&w, 3));
	assert_int_equal(world_stats(&w).pending, 3);
	world_gate(&w, false);
	for (unsigned i = 0; i < 4; i++)
		writer_join(&wr[i]);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(it[i].outcome, COMMITTED);
	assert_true(w.order_ok);
	assert_int_equal(w.n_groups, 2);
	assert_int_equal(w.group_size[0], 1);
	assert_int_equal(w.group_size[1], 3);
	assert_int_equal(w.first_id[1], 1);
	struct shoal_commitq_stats s = world_stats(&w);
	assert_int_equal(s.commits, 2);
	assert_int_equal(s.handoffs, 1);
	assert_int_equal(s.wakes, 3); /* B by the hand-off; C, D by their answers: no crowd */
	assert_int_equal(s.sleepers, 0);
	assert_false(shoal_commitq_busy(&w.q));
	world_fini(&w);
}

/* B is pushed during A's commit but its writer is not waiting yet: nobody is handed the
 * role; B's writer commits B itself when it arrives. */
static void test_writer_not_asleep_yet_commits_itself(void **state)
{
	(void)state;
	struct world w;
	world_init(&w);
	world_gate(&w, true);
	struct w_item a = {.id = 0}, b = {.id = 1};
	struct writer wa;
	shoal_commitq_push(&w.q, &a.item);
	writer_start(&wa, &w, &a);
	assert_true(world_await_commit(&w));
	shoal_commitq_push(&w.q, &b.item);
	world_gate(&w, false);
	writer_join(&wa);
	assert_int_equal(a.outcome, COMMITTED);
	assert_int_equal(b.outcome, PENDING);
	assert_int_equal(world_stats(&w).handoffs, 0);
	shoal_commitq_wait(&w.q, &b.item);
	assert_int_equal(b.outcome, COMMITTED);
	assert_int_equal(world_stats(&w).commits, 2);
	assert_true(w.order_ok);
	world_fini(&w);
}

/* A's commit fails and takes B (pushed meanwhile, its writer asleep): both are answered
 * FAILED, B's writer is woken by its answer, and nothing is committed after. */
static void test_failed_commit_answers_the_items_it_took(void **state)
{
	(void)state;
	struct world w;
	world_init(&w);
	world_gate(&w, true);
	w.fail_next = true;
	struct w_item a = {.id = 0}, b = {.id = 1};
	struct writer wa, wb;
	shoal_commitq_push(&w.q, &a.item);
	writer_start(&wa, &w, &a);
	assert_true(world_await_commit(&w));
	shoal_commitq_push(&w.q, &b.item);
	writer_start(&wb, &w, &b);
	assert_true(world_await_sleepers(&w, 1));
	world_gate(&w, false);
	writer_join(&wa);
	writer_join(&wb);
	assert_int_equal(a.outcome, FAILED);
	assert_int_equal(b.outcome, FAILED);
	struct shoal_commitq_stats s = world_stats(&w);
	assert_int_equal(s.commits, 1);
	assert_int_equal(s.handoffs, 0);
	assert_int_equal(s.pending, 0);
	world_fini(&w);
}

static void orphan_free(void *arg)
{
	struct world *w = arg;
	w->orphans_freed++; /* under the queue's lock, called by settle */
}

/* Cancel: a pending item is taken out and never committed; an item a running commit holds
 * becomes an orphan, freed once settled; a settled one is the caller's again. */
static void test_cancel_pending_in_flight_and_settled(void **state)
{
	(void)state;
	struct world w;
	world_init(&w);
	struct w_item a = {.id = 0}, b = {.id = 1}, c = {.id = 2};
	shoal_commitq_push(&w.q, &a.item);
	shoal_commitq_push(&w.q, &b.item);
	assert_int_equal(shoal_commitq_cancel(&w.q, &a.item, orphan_free, &w),
	                 SHOAL_COMMITQ_CANCELLED);
	assert_int_equal(world_stats(&w).pending, 1);
	w.next_expected = 1;
	shoal_commitq_wait(&w.q, &b.item); /* commits b alone */
	assert_int_equal(w.n_groups, 1);
	assert_int_equal(w.group_size[0], 1);
	assert_int_equal(a.outcome, PENDING);
	assert_int_equal(shoal_commitq_cancel(&w.q, &b.item, orphan_free, &w),
	                 SHOAL_COMMITQ_SETTLED);

	/* c and d in one group held at the gate; c's writer leaves. */
	world_gate(&w, true);
	struct w_item d = {.id = 3};
	struct writer wd;
	shoal_commitq_push(&w.q, &c.item);
	shoal_commitq_push(&w.q, &d.item);
	writer_start(&wd, &w, &d);
	assert_true(world_await_commit(&w));
	assert_int_equal(shoal_commitq_cancel(&w.q, &c.item, orphan_free, &w),
	                 SHOAL_COMMITQ_ORPHANED);
	assert_int_equal(w.orphans_freed, 0);
	world_gate(&w, false);
	writer_join(&wd);
	assert_int_equal(d.outcome, COMMITTED);
	assert_int_equal(c.outcome, COMMITTED);
	assert_int_equal(w.orphans_freed, 1);
	assert_true(w.order_ok);
	world_fini(&w);
}

/* Model check: writers push and wait at random moments (fixed seeds). Every item is
 * committed exactly once, groups follow the push order with no gap, and every writer
 * returns (none left asleep). */
enum { STRESS_THREADS = 8, STRESS_PER = 400 };

static pthread_mutex_t push_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned push_seq;

struct stresser {
	struct world *w;
	unsigned seed;
	struct w_item items[STRESS_PER];
	unsigned ids_ok;
	pthread_t t;
};

static void *stress_writer(void *arg)
{
	struct stresser *s = arg;
	for (unsigned i = 0; i < STRESS_PER; i++) {
		struct w_item *it = &s->items[i];
		pthread_mutex_lock(&push_lock); /* the push order is the id order */
		*it = (struct w_item){.id = push_seq++};
		shoal_commitq_push(&s->w->q, &it->item);
		pthread_mutex_unlock(&push_lock);
		if (rand_r(&s->seed) % 4 == 0)
			usleep(rand_r(&s->seed) % 200);
		shoal_commitq_wait(&s->w->q, &it->item);
		if (it->outcome == COMMITTED)
			s->ids_ok++;
	}
	return NULL;
}

static void test_random_writers_against_the_push_order(void **state)
{
	(void)state;
	struct world w;
	world_init(&w);
	push_seq = 0;
	static struct stresser s[STRESS_THREADS];
	for (unsigned i = 0; i < STRESS_THREADS; i++) {
		s[i] = (struct stresser){.w = &w, .seed = 1000 + i};
		assert_int_equal(pthread_create(&s[i].t, NULL, stress_writer, &s[i]), 0);
	}
	for (unsigned i = 0; i < STRESS_THREADS; i++) {
		struct timespec d = deadline_in(60000);
		assert_int_equal(pthread_timedjoin_np(s[i].t, NULL, &d), 0);
		assert_int_equal(s[i].ids_ok, STRESS_PER);
	}
	assert_true(w.order_ok);
	assert_int_equal(w.next_expected, STRESS_THREADS * STRESS_PER);
	size_t total = 0;
	for (size_t g = 0; g < w.n_groups && g < MAX_GROUPS; g++)
		total += w.group_size[g];
	if (w.n_groups <= MAX_GROUPS)
		assert_int_equal(total, STRESS_THREADS * STRESS_PER);
	struct shoal_commitq_stats st = world_stats(&w);
	assert_int_equal(st.commits, w.n_groups);
	assert_int_equal(st.pending, 0);
	assert_int_equal(st.sleepers, 0);
	world_fini(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lone_writer_commits_itself),
	    cmocka_unit_test(test_writers_during_a_commit_are_handed_off_and_share_one),
	    cmocka_unit_test(test_writer_not_asleep_yet_commits_itself),
	    cmocka_unit_test(test_failed_commit_answers_the_items_it_took),
	    cmocka_unit_test(test_cancel_pending_in_flight_and_settled),
	    cmocka_unit_test(test_random_writers_against_the_push_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
