// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The holder scan on a worker thread: see holder_worker.h. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "host/holder_worker.h"

/* the engine never starts more than the worker takes */

struct job {
	char id[ID_LEN];
	char path[HOLDER_PATH_LEN];
	uint32_t caller;
	int ret;
	uint32_t cut;
	struct holder holders[HOLDERS_MAX];
};

struct holder_worker {
	struct facts inner;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	bool started;
	bool stop;
	/* waiting, the one running, finished: HOLDER_WORKER_JOBS in all at most */
	struct job *queue[HOLDER_WORKER_JOBS];
	int nqueue;
	struct job *running;
	struct job *done[HOLDER_WORKER_JOBS];
	int ndone;
	struct job *current; /* taken by the monitor, not yet released */
};

static void *worker_main(void *arg)
{
	struct holder_worker *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct job *j;

		while (!w->stop && !w->nqueue)
			pthread_cond_wait(&w->cond, &w->lock);
		if (w->stop)
			break;
		j = w->queue[0];
		memmove(w->queue, w->queue + 1, (size_t)(w->nqueue - 1) * sizeof(w->queue[0]));
		w->nqueue--;
		w->running = j;
		pthread_mutex_unlock(&w->lock);
		/* no identity table here: it is the monitor's; containers are named from disk */
		j->cut = 0;
		j->ret = w->inner.ops->holders(w->inner.ctx, j->caller, j->path, NULL, j->holders,
					       HOLDERS_MAX, &j->cut);
		pthread_mutex_lock(&w->lock);
		w->running = NULL;
		w->done[w->ndone++] = j;
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* ---- the facts wrapper: everything as inner, holders from a finished scan ---- */

static int w_load_meta(void *ctx, struct container *c)
{
	struct holder_worker *w = ctx;

	return w->inner.ops->load_meta(w->inner.ctx, c);
}

static int w_storage_paths(void *ctx, const struct container *c, char paths[][STORAGE_PATH_LEN],
			   int max)
{
	struct holder_worker *w = ctx;

	return w->inner.ops->storage_paths(w->inner.ctx, c, paths, max);
}

static int w_runtime_state(void *ctx, const struct container *c, char *state, size_t cap)
{
	struct holder_worker *w = ctx;

	return w->inner.ops->runtime_state(w->inner.ctx, c, state, cap);
}

static int w_holders(void *ctx, uint32_t caller_pid, const char *path, struct identity_table *ids,
		     struct holder *out, int max, uint32_t *cut)
{
	struct holder_worker *w = ctx;
	const struct job *j = w->current;
	int n;

	if (!j || strcmp(j->path, path))
		return w->inner.ops->holders(w->inner.ctx, caller_pid, path, ids, out, max, cut);
	n = j->ret < 0 ? 0 : j->ret < max ? j->ret : max;
	for (int i = 0; i < n; i++) {
		struct container *known;

		out[i] = j->holders[i];
		/* a container the monitor knows: as it knows it */
		known = out[i].in_container && ids ? identity_table_by_id(ids, out[i].container.id)
						   : NULL;
		if (known)
			out[i].container = *known;
	}
	if (cut)
		*cut = j->cut;
	return j->ret;
}

static int w_attributes(void *ctx, const char *path, bool *immutable, bool *append_only)
{
	struct holder_worker *w = ctx;

	return w->inner.ops->attributes(w->inner.ctx, path, immutable, append_only);
}

static int w_culprits(void *ctx, uint64_t pidns, uint32_t exclude_pid, struct identity_table *ids,
		      struct culprit *out, int max)
{
	struct holder_worker *w = ctx;

	return w->inner.ops->culprits(w->inner.ctx, pidns, exclude_pid, ids, out, max);
}

static int w_docker_ids(void *ctx, facts_id_fn fn, void *arg)
{
	struct holder_worker *w = ctx;

	return w->inner.ops->docker_ids(w->inner.ctx, fn, arg);
}

static int w_cgroup_exists(void *ctx, const char *path)
{
	struct holder_worker *w = ctx;

	return w->inner.ops->cgroup_exists(w->inner.ctx, path);
}

static int w_recognize(void *ctx, const char *path, const char *mount_dir, struct cgroup_match *cm)
{
	struct holder_worker *w = ctx;

	return w->inner.ops->recognize ? w->inner.ops->recognize(w->inner.ctx, path, mount_dir, cm)
				       : identity_recognize(NULL, path, cm);
}

static const struct facts_ops worker_ops = {
	.load_meta = w_load_meta,
	.storage_paths = w_storage_paths,
	.runtime_state = w_runtime_state,
	.holders = w_holders,
	.attributes = w_attributes,
	.culprits = w_culprits,
	.docker_ids = w_docker_ids,
	.cgroup_exists = w_cgroup_exists,
	.recognize = w_recognize,
};

struct holder_worker *holder_worker_new(const struct facts *inner, struct facts *out)
{
	struct holder_worker *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->inner = *inner;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	out->ops = &worker_ops;
	out->ctx = w;
	return w;
}

void holder_worker_free(struct holder_worker *w)
{
	if (!w)
		return;
	if (w->started) {
		pthread_mutex_lock(&w->lock);
		w->stop = true;
		pthread_cond_signal(&w->cond);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->thread, NULL);
	}
	for (int i = 0; i < w->nqueue; i++)
		free(w->queue[i]);
	for (int i = 0; i < w->ndone; i++)
		free(w->done[i]);
	free(w->current);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

int holder_worker_submit(struct holder_worker *w, const char *id, const char *path,
			 uint32_t caller_pid)
{
	struct job *j;
	int err = 0;

	pthread_mutex_lock(&w->lock);
	if (w->nqueue + (w->running != NULL) + w->ndone + (w->current != NULL) >=
	    HOLDER_WORKER_JOBS) {
		pthread_mutex_unlock(&w->lock);
		return -EBUSY;
	}
	if (!w->started) {
		err = -pthread_create(&w->thread, NULL, worker_main, w);
		w->started = !err;
	}
	j = err ? NULL : calloc(1, sizeof(*j));
	if (!j) {
		pthread_mutex_unlock(&w->lock);
		return err ? err : -ENOMEM;
	}
	snprintf(j->id, sizeof(j->id), "%s", id);
	snprintf(j->path, sizeof(j->path), "%s", path);
	j->caller = caller_pid;
	w->queue[w->nqueue++] = j;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	return 0;
}

bool holder_worker_take(struct holder_worker *w, const char **id, const char **path)
{
	if (!w)
		return false;
	holder_worker_release(w);
	pthread_mutex_lock(&w->lock);
	if (w->ndone) {
		w->current = w->done[0];
		memmove(w->done, w->done + 1, (size_t)(w->ndone - 1) * sizeof(w->done[0]));
		w->ndone--;
	}
	pthread_mutex_unlock(&w->lock);
	if (!w->current)
		return false;
	*id = w->current->id;
	*path = w->current->path;
	return true;
}

void holder_worker_release(struct holder_worker *w)
{
	struct job *j;

	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	j = w->current;
	w->current = NULL;
	pthread_mutex_unlock(&w->lock);
	free(j);
}
