// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "lib/clock.h"
#include "sink/sink.h"

#define NSEC_PER_SEC 1000000000LL

static struct timespec to_timespec(int64_t ns)
{
	struct timespec ts = {.tv_sec = ns / NSEC_PER_SEC, .tv_nsec = ns % NSEC_PER_SEC};

	return ts;
}

int sink_queue_init(struct sink_queue *q, size_t max_records, size_t max_bytes)
{
	pthread_condattr_t ca;
	int err;

	memset(q, 0, sizeof(*q));
	q->max_records = max_records;
	q->max_bytes = max_bytes;
	err = pthread_mutex_init(&q->lock, NULL);
	if (err)
		return -err;
	/* deadlines are monotonic: a clock step does not stretch the exit wait */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	err = pthread_cond_init(&q->changed, &ca);
	pthread_condattr_destroy(&ca);
	if (err) {
		pthread_mutex_destroy(&q->lock);
		return -err;
	}
	return 0;
}

static void free_records(struct sink_record *r)
{
	while (r) {
		struct sink_record *next = r->next;

		free(r);
		r = next;
	}
}

void sink_queue_destroy(struct sink_queue *q)
{
	free_records(q->head);
	q->head = q->tail = NULL;
	pthread_cond_destroy(&q->changed);
	pthread_mutex_destroy(&q->lock);
}

int sink_queue_push(struct sink_queue *q, const char *type, int64_t real_ns, const char *line,
		    size_t len)
{
	struct sink_record *r;
	int err = 0;

	pthread_mutex_lock(&q->lock);
	if (q->records >= q->max_records || len > q->max_bytes - q->bytes) {
		q->dropped++;
		err = -ENOBUFS;
		goto out;
	}
	r = malloc(sizeof(*r) + len + 1);
	if (!r) {
		q->dropped++;
		err = -ENOMEM;
		goto out;
	}
	r->next = NULL;
	r->type = type;
	r->real_ns = real_ns;
	r->len = len;
	memcpy(r->line, line, len);
	r->line[len] = '\0';
	if (q->tail)
		q->tail->next = r;
	else
		q->head = r;
	q->tail = r;
	q->records++;
	q->bytes += len;
	pthread_cond_broadcast(&q->changed);
out:
	pthread_mutex_unlock(&q->lock);
	return err;
}

struct sink_record *sink_queue_pop(struct sink_queue *q)
{
	struct sink_record *r = NULL;

	pthread_mutex_lock(&q->lock);
	while (!q->head && !q->closing)
		pthread_cond_wait(&q->changed, &q->lock);
	if (!q->closing) {
		r = q->head;
		q->head = r->next;
		if (!q->head)
			q->tail = NULL;
		q->records--;
		q->bytes -= r->len;
		q->busy = true;
	}
	pthread_mutex_unlock(&q->lock);
	return r;
}

void sink_queue_done(struct sink_queue *q, struct sink_record *r)
{
	free(r);
	pthread_mutex_lock(&q->lock);
	q->busy = false;
	pthread_cond_broadcast(&q->changed);
	pthread_mutex_unlock(&q->lock);
}

bool sink_queue_wait_empty(struct sink_queue *q, int64_t deadline_ns)
{
	struct timespec ts = to_timespec(deadline_ns);
	bool empty;

	pthread_mutex_lock(&q->lock);
	while ((q->head || q->busy) && !q->closing &&
	       pthread_cond_timedwait(&q->changed, &q->lock, &ts) != ETIMEDOUT)
		;
	empty = !q->head && !q->busy;
	pthread_mutex_unlock(&q->lock);
	return empty;
}

bool sink_queue_wait_closing(struct sink_queue *q, int ms)
{
	struct timespec ts = to_timespec(clock_ns(CLOCK_MONOTONIC) + (int64_t)ms * 1000000);
	bool closing;

	pthread_mutex_lock(&q->lock);
	while (!q->closing && pthread_cond_timedwait(&q->changed, &q->lock, &ts) != ETIMEDOUT)
		;
	closing = q->closing;
	pthread_mutex_unlock(&q->lock);
	return closing;
}

void sink_queue_close(struct sink_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->closing = true;
	pthread_cond_broadcast(&q->changed);
	pthread_mutex_unlock(&q->lock);
}

size_t sink_queue_discard(struct sink_queue *q)
{
	struct sink_record *r;
	size_t n;

	pthread_mutex_lock(&q->lock);
	r = q->head;
	n = q->records;
	q->head = q->tail = NULL;
	q->records = 0;
	q->bytes = 0;
	q->dropped += n;
	pthread_cond_broadcast(&q->changed);
	pthread_mutex_unlock(&q->lock);
	free_records(r);
	return n;
}

/*
 * The writer: one record at a time, in order. A record refused with -EAGAIN
 * (syslog not connected) is offered again until it goes or the sink stops;
 * meanwhile new records wait in the queue, up to its bounds.
 */
static void *writer_main(void *arg)
{
	struct sink *s = arg;
	struct sink_record *r;

	while ((r = sink_queue_pop(&s->q))) {
		int err;

		while ((err = s->write(s->ctx, r)) == -EAGAIN)
			if (sink_queue_wait_closing(&s->q, SINK_RETRY_MS))
				break;
		if (!err)
			__atomic_add_fetch(&s->written, 1, __ATOMIC_RELAXED);
		else
			__atomic_add_fetch(&s->errors, 1, __ATOMIC_RELAXED);
		sink_queue_done(&s->q, r);
		if (err == -EPIPE) {
			__atomic_store_n(&s->fatal, -EPIPE, __ATOMIC_RELEASE);
			/* nobody reads any more: what comes is dropped, and counted */
			sink_queue_close(&s->q);
			break;
		}
	}
	return NULL;
}

int sink_start(struct sink *s, const char *name, size_t max_records, size_t max_bytes,
	       sink_write_fn write, void *ctx)
{
	int err;

	memset(s, 0, sizeof(*s));
	s->name = name;
	s->write = write;
	s->ctx = ctx;
	err = sink_queue_init(&s->q, max_records, max_bytes);
	if (err)
		return err;
	err = pthread_create(&s->thread, NULL, writer_main, s);
	if (err) {
		sink_queue_destroy(&s->q);
		return -err;
	}
	s->running = true;
	return 0;
}

int sink_submit(struct sink *s, const char *type, int64_t real_ns, const char *line, size_t len)
{
	if (!s->running)
		return -ENOTCONN;
	if (sink_fatal(s)) {
		pthread_mutex_lock(&s->q.lock);
		s->q.dropped++;
		pthread_mutex_unlock(&s->q.lock);
		return -EPIPE;
	}
	return sink_queue_push(&s->q, type, real_ns, line, len);
}

bool sink_drain(struct sink *s, int64_t deadline_ns)
{
	return !s->running || sink_queue_wait_empty(&s->q, deadline_ns);
}

/* A CLOCK_MONOTONIC deadline as the CLOCK_REALTIME time pthread_timedjoin_np wants. */
static struct timespec realtime_deadline(int64_t deadline_ns)
{
	struct timespec now;
	int64_t left = deadline_ns - clock_ns(CLOCK_MONOTONIC);

	clock_gettime(CLOCK_REALTIME, &now);
	return to_timespec((int64_t)now.tv_sec * NSEC_PER_SEC + now.tv_nsec +
			   (left > 0 ? left : 0));
}

void sink_stop(struct sink *s, int64_t deadline_ns)
{
	struct timespec ts;

	if (!s->running)
		return;
	sink_drain(s, deadline_ns);
	sink_queue_close(&s->q);
	sink_queue_discard(&s->q);
	/* a record being written when the wait ran out gets one more second */
	ts = realtime_deadline(deadline_ns + NSEC_PER_SEC);
	if (pthread_timedjoin_np(s->thread, NULL, &ts)) {
		/* a write is stuck in the kernel: leave the writer, and its queue, behind */
		pthread_mutex_lock(&s->q.lock);
		s->dropped_final = s->q.dropped + 1;
		pthread_mutex_unlock(&s->q.lock);
		pthread_detach(s->thread);
		s->running = false;
		s->abandoned = true;
		return;
	}
	s->dropped_final = s->q.dropped;
	s->running = false;
	sink_queue_destroy(&s->q);
}

void sink_counters(struct sink *s, struct sink_counters *c)
{
	c->written = __atomic_load_n(&s->written, __ATOMIC_RELAXED);
	c->errors = __atomic_load_n(&s->errors, __ATOMIC_RELAXED);
	if (!s->running) {
		c->dropped = s->dropped_final;
		c->queued = 0;
		return;
	}
	pthread_mutex_lock(&s->q.lock);
	c->dropped = s->q.dropped;
	c->queued = s->q.records + (s->q.busy ? 1 : 0);
	pthread_mutex_unlock(&s->q.lock);
}

int sink_fatal(const struct sink *s)
{
	return __atomic_load_n(&s->fatal, __ATOMIC_ACQUIRE);
}
