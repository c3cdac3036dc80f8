// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The live monitor's side of the removal hooks (user/kernel/rmhooks.h): the watch
 * on the runtimes' state, attaching or detaching the hooks as the policy
 * says after each step, and where their calls go.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "privilege/caps.h"
#include "monitor/monitor_int.h"

/* Containers a runtime keeps (their directories) that are not running. */
static size_t idle_containers(struct monitor *m)
{
	const char(*ids)[RH_ID_LEN];
	size_t n = rmhooks_present(&m->rh, &ids);

	if (m->rh_generation == m->rh.generation && m->rh_ids_count == identity_table_count(m->ids))
		return m->rh_idle;
	m->rh_idle = 0;
	for (size_t i = 0; i < n; i++)
		if (!identity_table_by_id(m->ids, ids[i]))
			m->rh_idle++;
	m->rh_generation = m->rh.generation;
	m->rh_ids_count = identity_table_count(m->ids);
	return m->rh_idle;
}

/* Attach or detach the removal hooks as rh_want says (live, on demand only). */
void monitor_apply_rmhooks(struct monitor *m)
{
	struct rh_inputs in = {
		.now_ns = m->now,
		.open_stops = timeline_open_stops(m->tl),
		.open_removals = storage_watch_open_removals(m->sw),
	};
	bool want;
	int err;

	if (m->rh.mode != RH_ON_DEMAND)
		return;
	in.idle_containers = idle_containers(m);
	want = rh_want(&m->rh, &in);
	if (want == m->rh.attached)
		return;
	err = loader_removal_hooks(m->loader, want);
	if (err) {
		m->rh.attach_errors++;
		if (!m->rh_warned)
			fprintf(stderr,
				"stoptrace: cannot attach the removal hooks: %s: removals are not "
				"seen until they attach (counted in monitor_stats)\n",
				strerror(-err));
		m->rh_warned = true;
		return;
	}
	rh_attached(&m->rh, want, m->now);
}

/*
 * Each call goes to the removal engine first (it decides whether the
 * container's removal has begun), then to the stop engine: the calls of a
 * stop, before its cgroup's removal and in its linger after, are its events.
 */
const struct container *monitor_fs_call(struct monitor *m, const struct st_event *e,
					const char *path)
{
	const struct container *c = storage_watch_call(m->sw, &e->u.fs, e->ts_ns, path, m->now);

	if (c)
		timeline_fs_call(m->tl, &e->u.fs, e->ts_ns, path, c,
				 storage_watch_removing(m->sw, c->id), m->now);
	return c;
}

/* Docker wrote container id's state: learn its storage if it is new (created, never run). */
static void on_state_write(void *ctx, const char *id)
{
	struct monitor *m = ctx;

	if (storage_watch_knows(m->sw, id))
		return;
	recorder_learn(m->rec, m->now, id);
	storage_watch_learn_id(m->sw, id);
}

/* A runtime wrote its state: attach before reading anything else. */
void monitor_runtime_state(void *ctx)
{
	struct monitor *m = ctx;

	m->now = now_boot_ns();
	if (rmhooks_read(&m->rh, m->now, on_state_write, m) > 0)
		monitor_apply_rmhooks(m);
}

/*
 * After the drop of capabilities: can the removal hooks be attached again
 * later? Then they go until a removal can be under way.
 */
void monitor_start_rmhooks(struct monitor *m, const char *const *defaults, size_t ndefaults)
{
	const char *roots[MAX_DEFAULT_ROOTS + MAX_STORAGE_ROOTS];
	int nroots = 0, err;

	m->rh.mode = m->rh_later ? RH_ON_DEMAND : RH_ALWAYS;
	m->rh.attached = !m->rh_later;
	m->rh.attached_since_ns = m->now;
	for (size_t i = 0; i < ndefaults && i < MAX_DEFAULT_ROOTS; i++)
		roots[nroots++] = defaults[i];
	for (int i = 0; i < m->opts->nstorage_roots; i++)
		roots[nroots++] = m->opts->storage_roots[i];
	/* state writes: a created container's storage is learnt (and, on demand, the hooks armed)
	 */
	if (rmhooks_watch(&m->rh, roots, nroots) < 0)
		fprintf(stderr,
			"stoptrace: cannot watch the runtimes' state (inotify): removals of "
			"containers created since the start that never ran are not seen%s\n",
			m->opts->removal_hooks == RH_ALWAYS
				? ""
				: "; the hooks attach only around stops");
	if (!m->rh_later)
		return;
	/* checked before the drop (monitor_rmhooks_later); once more with what is kept */
	err = loader_removal_probe(NULL);
	if (err) {
		m->rh.attach_errors++;
		m->rh_warned = true;
		fprintf(stderr,
			"stoptrace: the removal hooks cannot be attached after all (%s): removals "
			"are not seen; run with --removal-hooks always\n",
			strerror(-err));
	}
	monitor_apply_rmhooks(m);
}

bool monitor_rmhooks_later(struct monitor *m)
{
	struct caps_state s;
	uint64_t as;
	int err;

	if (m->opts->removal_hooks == RH_ALWAYS)
		return false;
	/* what the monitor will hold once running: can it attach then? */
	err = caps_read(&s);
	if (!err && s.last_cap < CAPS_PERFMON)
		err = -EPERM;
	as = (CAPS_READ_HOST & s.permitted) | CAPS_BIT(CAPS_PERFMON);
	if (!err)
		err = caps_probe_as(as, loader_removal_probe, NULL);
	if (!err)
		return true;
	fprintf(stderr,
		"stoptrace: the removal hooks stay attached (--removal-hooks %s: %s): attaching "
		"them later needs CAP_PERFMON (Linux 5.8 and later)\n",
		rh_mode_name(m->opts->removal_hooks), strerror(-err));
	return false;
}
