// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/hash.h"
#include "host/holder_worker.h"
#include "recording/recording.h"
#include "host/safepath.h"
#include "identity/runtimes.h"
#include "identity/storage.h"
#include "engine/storage_watch.h"

_Static_assert(RM_HOLDERS_PENDING_MAX <= HOLDER_WORKER_JOBS, "the worker takes fewer scans");

#define PATHS_PER_CONTAINER 8
/*
 * Containers whose storage is known, stopped ones included: Docker hosts
 * keep a few thousand stopped containers at most. 16384 entries of ~1.6 KiB.
 */
#define KNOWN_MAX 16384

struct storage_watch {
	struct facts facts;
	struct identity_table *ids;   /* running containers, by cgroup id (the monitor's) */
	struct identity_table *known; /* every container with storage, by a hash of its id */
	struct storage_map *map;
	struct removal *engine;
	struct rm_listener listener; /* the monitor's */
	void *listener_ctx;
	struct holder_worker *worker; /* scans off the event path (live) */
	bool async;		      /* their answers come later (worker, or a replay of one) */
};

/* The known table is keyed by a 64-bit hash of the container id. */
static uint64_t id_key(const char *id)
{
	return hash_str(id) | 1; /* never 0 */
}

static bool fact_runtime_dead(void *ctx, const struct container *c)
{
	struct storage_watch *w = ctx;
	char state[32];

	return !w->facts.ops->runtime_state(w->facts.ctx, c, state, sizeof(state)) &&
	       !strcmp(state, "dead");
}

static int fact_holders(void *ctx, uint32_t caller_pid, const char *path, struct holder *out,
			int max, uint32_t *cut)
{
	struct storage_watch *w = ctx;

	return w->facts.ops->holders(w->facts.ctx, caller_pid, path, w->ids, out, max, cut);
}

static int fact_holders_start(void *ctx, const char *id, uint32_t caller_pid, const char *path)
{
	struct storage_watch *w = ctx;

	if (!w->async)
		return 0;
	if (!w->worker)
		return 1; /* a replay: the holders_done line will come */
	return holder_worker_submit(w->worker, id, path, caller_pid) ? -EBUSY : 1;
}

static int fact_attributes(void *ctx, const char *path, bool *immutable, bool *append_only)
{
	struct storage_watch *w = ctx;

	return w->facts.ops->attributes(w->facts.ctx, path, immutable, append_only);
}

static void on_alert(void *ctx, const struct rm_alert *a)
{
	struct storage_watch *w = ctx;

	w->listener.alert(w->listener_ctx, a);
}

/* A removal that succeeded: the container is gone, forget its storage. */
static void on_timeline(void *ctx, const struct rm_removal *r)
{
	struct storage_watch *w = ctx;

	w->listener.timeline(w->listener_ctx, r);
	if (!r->failed) {
		storage_map_forget(w->map, r->container.id);
		identity_table_del(w->known, id_key(r->container.id));
	}
}

struct storage_watch *storage_watch_new(const struct facts *facts, struct identity_table *ids,
					uint64_t *alert_seq, const struct rm_listener *listener,
					void *listener_ctx)
{
	const struct rm_listener mine = {.alert = on_alert, .timeline = on_timeline};
	const struct rm_facts rm_facts = {
		.runtime_dead = fact_runtime_dead,
		.holders = fact_holders,
		.holders_start = fact_holders_start,
		.attributes = fact_attributes,
	};
	struct storage_watch *w;
	struct rm_config cfg;

	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->facts = *facts;
	w->ids = ids;
	w->listener = *listener;
	w->listener_ctx = listener_ctx;
	rm_config_defaults(&cfg);
	cfg.alert_seq = alert_seq;
	w->known = identity_table_new();
	identity_table_limit(w->known, KNOWN_MAX);
	w->map = storage_map_new();
	w->engine = removal_new(&cfg, &rm_facts, &mine, w);
	if (!w->known || !w->map || !w->engine) {
		storage_watch_free(w);
		return NULL;
	}
	return w;
}

void storage_watch_free(struct storage_watch *w)
{
	if (!w)
		return;
	removal_free(w->engine);
	storage_map_free(w->map);
	identity_table_free(w->known);
	free(w);
}

void storage_watch_learn(struct storage_watch *w, const struct container *c)
{
	char paths[PATHS_PER_CONTAINER][STORAGE_PATH_LEN];
	int n;

	if (!c->id[0])
		return;
	n = w->facts.ops->storage_paths(w->facts.ctx, c, paths, PATHS_PER_CONTAINER);
	if (n <= 0)
		return;
	if (!identity_table_add(w->known, id_key(c->id), c))
		return;
	for (int i = 0; i < n && i < PATHS_PER_CONTAINER; i++)
		storage_map_add(w->map, paths[i], c->id);
}

static int learn_id(const char *id, void *arg)
{
	struct storage_watch *w = arg;
	struct container c = {.runtime = RUNTIME_DOCKER};

	snprintf(c.id, sizeof(c.id), "%s", id);
	w->facts.ops->load_meta(w->facts.ctx, &c);
	storage_watch_learn(w, &c);
	return 0;
}

void storage_watch_learn_all(struct storage_watch *w)
{
	w->facts.ops->docker_ids(w->facts.ctx, learn_id, w);
}

bool storage_watch_knows(struct storage_watch *w, const char *id)
{
	return identity_table_get(w->known, id_key(id)) != NULL;
}

void storage_watch_learn_id(struct storage_watch *w, const char *id)
{
	if (identity_is_hex_id(id, strlen(id)) && !storage_watch_knows(w, id))
		learn_id(id, w);
}

const struct container *storage_watch_call(struct storage_watch *w, const struct st_fs_call *fs,
					   uint64_t ts_ns, const char *path, uint64_t now_ns)
{
	const char *id, *stored;
	struct container *c;
	bool whole;

	/* "..", "." and empty components are refused, never resolved (counted) */
	if (!safepath_accept(path))
		return NULL;
	id = storage_map_lookup(w->map, path, &stored);
	if (!id)
		return NULL;
	c = identity_table_get(w->known, id_key(id));
	if (!c)
		return NULL;
	/* a name may have been written after the container was first seen */
	if (!c->name[0] && c->meta_tries < 3) {
		c->meta_tries++;
		w->facts.ops->load_meta(w->facts.ctx, c);
	}
	/* one of its storage paths itself, and one that only its removal takes away */
	whole = !strcmp(stored, path) &&
		runtime_removed_path(runtime_info(c->runtime), c->id, path);
	removal_event(w->engine, fs, ts_ns, path, whole, c, now_ns);
	return c;
}

bool storage_watch_removing(const struct storage_watch *w, const char *id)
{
	return removal_removing(w->engine, id);
}

void storage_watch_set_async(struct storage_watch *w, struct holder_worker *worker)
{
	w->async = true;
	w->worker = worker;
}

void storage_watch_holders_done(struct storage_watch *w, const char *id, const char *path,
				uint64_t now_ns)
{
	removal_holders_done(w->engine, id, path, now_ns);
}

void storage_watch_poll_holders(struct storage_watch *w, struct recorder *rec, uint64_t now_ns)
{
	const char *id, *path;

	while (w->worker && holder_worker_take(w->worker, &id, &path)) {
		/* an input of its own: a replay hands it over at the same point */
		recorder_holders_done(rec, now_ns, id, path);
		removal_holders_done(w->engine, id, path, now_ns);
		holder_worker_release(w->worker);
	}
}

void storage_watch_tick(struct storage_watch *w, uint64_t now_ns)
{
	removal_tick(w->engine, now_ns);
}

void storage_watch_flush(struct storage_watch *w, uint64_t now_ns)
{
	removal_flush(w->engine, now_ns);
}

size_t storage_watch_paths(const struct storage_watch *w)
{
	return storage_map_count(w->map);
}

void storage_watch_full(const struct storage_watch *w, uint64_t *paths, uint64_t *known,
			uint64_t *removals)
{
	*paths = w ? storage_map_full(w->map) : 0;
	*known = w ? identity_table_full(w->known) : 0;
	*removals = w ? removal_full(w->engine) : 0;
}

size_t storage_watch_open_removals(const struct storage_watch *w)
{
	return w && w->engine ? removal_open(w->engine) : 0;
}

void storage_watch_scan_stats(const struct storage_watch *w, struct scan_limit_stats *out)
{
	removal_scan_stats(w ? w->engine : NULL, out);
}
