/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The monitor's side of removals: it learns where each container keeps its
 * storage while the container lives (and, at start, for every container the
 * runtimes know, stopped ones included), maps each unmount and removal call
 * to its container, and feeds the removal engine with the system facts it
 * asks for.
 */
#ifndef STOPTRACE_STORAGE_WATCH_H
#define STOPTRACE_STORAGE_WATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include "host/facts.h"
#include "identity/identity.h"
#include "engine/removal.h"
#include "stoptrace_event.h"

struct storage_watch;

/*
 * listener receives the removal engine's records; ids names running containers;
 * facts answers what the system is asked (the live host, or a replay).
 */
struct storage_watch *storage_watch_new(const struct facts *facts, struct identity_table *ids,
					uint64_t *alert_seq, const struct rm_listener *listener,
					void *listener_ctx);
void storage_watch_free(struct storage_watch *w);

/* Learn c's storage paths (call when a container appears). */
void storage_watch_learn(struct storage_watch *w, const struct container *c);
/* Learn every container the runtimes know about, running or not. */
void storage_watch_learn_all(struct storage_watch *w);
/*
 * Whether Docker container id's storage is known; learn it if not (a
 * container created since the start that never ran: its runtime wrote its
 * state).
 */
bool storage_watch_knows(struct storage_watch *w, const char *id);
void storage_watch_learn_id(struct storage_watch *w, const char *id);

/*
 * An unmount or removal call at an absolute path. Returns the container it
 * concerns (valid until the next call) or NULL when the path is no
 * container's storage.
 */
const struct container *storage_watch_call(struct storage_watch *w, const struct st_fs_call *fs,
					   uint64_t ts_ns, const char *path, uint64_t now_ns);
/*
 * Whether the removal of container id has begun: its calls are the removal's
 * then, not its stop's (the stop engine's timeline_fs_call).
 */
bool storage_watch_removing(const struct storage_watch *w, const char *id);

/*
 * Holder scans answer later: on worker (live), or, worker NULL, in the
 * holders_done inputs of a replay (storage_watch_holders_done()).
 */
struct holder_worker;
struct recorder;
void storage_watch_set_async(struct storage_watch *w, struct holder_worker *worker);
/* Hand the worker's finished scans to the removal engine, each recorded (rec may be NULL). */
void storage_watch_poll_holders(struct storage_watch *w, struct recorder *rec, uint64_t now_ns);
/* A replay's holders_done input. */
void storage_watch_holders_done(struct storage_watch *w, const char *id, const char *path,
				uint64_t now_ns);
void storage_watch_tick(struct storage_watch *w, uint64_t now_ns);
void storage_watch_flush(struct storage_watch *w, uint64_t now_ns);
size_t storage_watch_paths(const struct storage_watch *w);
/* Entries refused at their bound: storage paths, containers known, open removals. */
void storage_watch_full(const struct storage_watch *w, uint64_t *paths, uint64_t *known,
			uint64_t *removals);
/* Removals under way: seen starting, not yet over. */
size_t storage_watch_open_removals(const struct storage_watch *w);
/* The holder scans the removal engine ran and skipped (scan_limit.h). */
struct scan_limit_stats;
void storage_watch_scan_stats(const struct storage_watch *w, struct scan_limit_stats *out);

#endif /* STOPTRACE_STORAGE_WATCH_H */
