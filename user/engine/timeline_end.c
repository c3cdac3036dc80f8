// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * How a stop ends: the init's release and the cgroup's removal, a new init
 * (restarted_after_stop), records lost, the monitor's end. Its end is the
 * removal of its cgroup (or a settle time, a limit, the monitor's own end);
 * its record is written then, unless it lingers. The runtime cleans up after
 * the exit (dockerd unmounts the rootfs and removes the fifos and the bundle
 * of the run, 10 to 20 ms after the cgroup's removal here, up to 130 ms
 * under load), and those unmount and removal calls are events of the stop,
 * never a removal. For linger_ns after the cgroup's removal the stop takes
 * them, then it is written, with the end it had. Its alerts are resolved at
 * the end, not after the linger, and the container's last stop ends there
 * too, so that a restart is timed from it. Anything else of the container
 * (its cgroup made again, a new init) ends the linger at once; so do the
 * calls of its removal, and a call past the linger.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "lib/hash.h"
#include "engine/timeline_int.h"

static int cmp_entries(const void *a, const void *b)
{
	const struct tl_entry *x = a, *y = b;

	return x->ts_ns < y->ts_ns ? -1 : x->ts_ns > y->ts_ns;
}

/* The stop is over at end_ns: its alerts resolved, the container's last stop noted. */
static void stop_over(struct timeline *t, struct tl_cont *tc, uint64_t end_ns)
{
	struct stop_state *s = tc->stop;

	s->out.end_ns = end_ns;
	while (s->npending) {
		struct tl_alert *a = &s->pending[--s->npending];

		a->ts_ns = end_ns;
		t->listener.alert_resolved(t->ctx, a);
	}
	tc->last_end_ns = end_ns;
	tc->last_init_pid = s->out.init_pid;
}

/* Assemble, judge and write the stop. */
static void write_stop(struct timeline *t, struct tl_cont *tc)
{
	struct stop_state *s = tc->stop;
	struct tl_stop *o = &s->out;
	uint32_t n = 0;

	for (uint32_t i = 0; i < s->nfirst; i++)
		o->entries[n++] = s->first[i];
	for (uint32_t i = 0; i < s->nlast; i++)
		o->entries[n++] = s->last[(s->last_head + i) % ENTRY_HALF];
	o->nentries = n;
	/* records from different CPUs can arrive a little out of order */
	qsort(o->entries, n, sizeof(o->entries[0]), cmp_entries);
	o->container = tc->c;
	o->exited = s->exit_ns != 0;
	o->culprits = s->culprits;
	o->nculprits = s->nculprits;
	o->paths = (const char(*)[TL_PATH_LEN])s->paths;
	o->npaths = s->npaths;
	o->running = tl_running_last(s);
	if (s->exit_ns && s->released_ns)
		o->teardown_ms = tl_ms_between(s->exit_ns, s->released_ns);
	tl_judge(s);
	t->listener.stop_timeline(t->ctx, o);
}

static void close_state(struct timeline *t, struct tl_cont *tc)
{
	struct stop_state *s = tc->stop;

	tc->stop = NULL;
	free(s->culprits);
	free(s->paths);
	tl_running_free(t, s);
	free(s);
	t->open--;
}

/*
 * Write a stop and close it: ended at end_ns (partial: the monitor may have
 * missed part of it), or, lingering, as it ended at its cgroup's removal.
 */
void tl_end_stop(struct timeline *t, struct tl_cont *tc, uint64_t end_ns, bool partial)
{
	struct stop_state *s = tc->stop;

	if (s->linger_until) {
		write_stop(t, tc);
		close_state(t, tc);
		return;
	}
	s->out.end_ns = end_ns;
	if (partial)
		s->out.partial = true;
	write_stop(t, tc);
	stop_over(t, tc, end_ns);
	close_state(t, tc);
}

void tl_close_stop(struct timeline *t, struct tl_cont *tc, uint64_t end_ns)
{
	if (!t->cfg.linger_ns) {
		tl_end_stop(t, tc, end_ns, false);
		return;
	}
	stop_over(t, tc, end_ns);
	tc->stop->linger_until = end_ns + t->cfg.linger_ns;
}

void tl_linger_event(struct timeline *t, struct tl_cont *tc, const struct st_event *e)
{
	/* the cgroup of another hierarchy, or the release after the cgroup: nothing new */
	if (e->kind == ST_EV_CGROUP_RMDIR || e->kind == ST_EV_INIT_RELEASED)
		return;
	tl_end_stop(t, tc, e->ts_ns, false);
}

static struct tl_cont *cont_find(struct timeline *t, const char *id)
{
	struct tl_cont *tc = t->buckets[hash_str(id) % HASH_BUCKETS];

	while (tc && strcmp(tc->c.id, id))
		tc = tc->next;
	return tc;
}

/* path's index + 1 among the stop's paths, kept once each; 0 when there is no room. */
static uint32_t path_index(struct stop_state *s, const char *path)
{
	for (uint32_t i = 0; i < s->npaths; i++)
		if (!strncmp(s->paths[i], path, TL_PATH_LEN - 1))
			return i + 1;
	if (s->npaths == TL_MAX_PATHS)
		return 0;
	if (!s->paths)
		s->paths = calloc(TL_MAX_PATHS, sizeof(*s->paths));
	if (!s->paths)
		return 0;
	/* cut to fit: the path of a trusted runtime's call, never a tenant's */
	strncpy(s->paths[s->npaths], path, TL_PATH_LEN - 1);
	return ++s->npaths;
}

static void add_fs_entry(struct stop_state *s, const struct st_fs_call *fs, uint64_t ts,
			 const char *path)
{
	struct tl_entry en;

	memset(&en, 0, sizeof(en));
	en.ts_ns = ts;
	en.kind = ST_EV_FS_CALL;
	en.sig = (int32_t)fs->op;
	en.result = fs->ret;
	en.flags = (uint32_t)fs->flags;
	en.pid = fs->caller.tgid;
	en.ns_pid = fs->caller.ns_tgid;
	memcpy(en.comm, fs->caller.comm, ST_COMM_LEN);
	en.other_pid = path_index(s, path);
	tl_add_entry(s, &en);
}

void timeline_fs_call(struct timeline *t, const struct st_fs_call *fs, uint64_t ts_ns,
		      const char *path, const struct container *c, bool removing, uint64_t now_ns)
{
	struct tl_cont *tc;
	struct stop_state *s;

	(void)now_ns;
	/* not a mount point: runtimes unmount before removing, mounted or not */
	if (!c || !c->id[0] || (fs->op == ST_FS_UMOUNT && fs->ret == -EINVAL))
		return;
	tc = cont_find(t, c->id);
	s = tc ? tc->stop : NULL;
	if (!s)
		return;
	if (removing || (s->linger_until && ts_ns > s->linger_until)) {
		/* the container's removal has begun, or the linger is over: not the stop's */
		if (s->linger_until)
			tl_end_stop(t, tc, ts_ns, false);
		return;
	}
	add_fs_entry(s, fs, ts_ns, path);
}

/*
 * The end of a container (its init released, its cgroup removed) with no
 * stop open: when records were lost just before, its stop went by in them,
 * and a partial timeline says all there is to say; otherwise nothing.
 */
static void lost_stop(struct timeline *t, struct tl_cont *tc, const struct st_event *e)
{
	struct stop_state *s;

	if (!tc->lost_pending || tc->lost_ns + PRE_KEEP_NS < e->ts_ns)
		return;
	s = tl_open_stop(t, tc, e->ts_ns);
	if (!s)
		return;
	tl_add_event(s, e);
	tl_end_stop(t, tc, e->ts_ns, true);
}

void tl_on_released(struct timeline *t, struct tl_cont *tc, const struct st_event *e)
{
	struct stop_state *s = tc->stop;

	if (!s) {
		lost_stop(t, tc, e);
		return;
	}
	tl_add_event(s, e);
	tl_note_init_comm(s, &e->u.exit.task); /* the release is the main thread's */
	if (!s->released_ns)
		s->released_ns = e->ts_ns;
	if (!s->exit_ns) {
		s->exit_ns = e->ts_ns;
		s->out.exit_code = e->u.exit.exit_code;
	}
	for (int i = 0; i < s->npending; i++)
		if (s->pending[i].kind == TL_ALERT_NS_TEARDOWN_STUCK)
			s->pending[i].duration_ms = tl_ms_between(s->exit_ns, s->released_ns);
	tl_resolve_kind(t, s, TL_ALERT_NS_TEARDOWN_STUCK, e->ts_ns);
	if (s->rmdir_ns)
		tl_close_stop(t, tc, e->ts_ns);
}

void tl_on_rmdir(struct timeline *t, struct tl_cont *tc, const struct st_event *e)
{
	struct stop_state *s = tc->stop;

	if (!s) {
		lost_stop(t, tc, e);
		return;
	}
	tl_add_event(s, e);
	/*
	 * The cgroup empties before the init's namespace is torn down (cgroup_exit
	 * runs before exit_notify): wait a little for the release, so the teardown
	 * time is known.
	 */
	if (s->exit_ns && !s->released_ns) {
		if (!s->rmdir_ns)
			s->rmdir_ns = e->ts_ns;
		return;
	}
	tl_close_stop(t, tc, e->ts_ns);
}

void tl_maybe_restarted(struct timeline *t, struct tl_cont *tc, const struct st_event *e,
			uint64_t now)
{
	const char *policy = NULL;
	struct tl_alert a;

	if (tc->stop && tc->stop->exit_ns)
		tl_end_stop(t, tc, e->ts_ns, false);
	if (tc->stop || !tc->last_end_ns || tc->restart_alerted)
		return;
	if (e->ts_ns > tc->last_end_ns + t->cfg.restart_window_ns)
		return;
	if (t->facts.restart_policy)
		policy = t->facts.restart_policy(t->ctx, &tc->c);
	if (!policy || !policy[0] || !strcmp(policy, "no"))
		return;
	tc->restart_alerted = true;
	tl_alert_init(&a, TL_ALERT_RESTARTED_AFTER_STOP, e->ts_ns);
	a.one_shot = true;
	a.duration_ms = tl_ms_between(tc->last_end_ns, e->ts_ns);
	a.pid = e->u.exec.task.tgid;
	a.ns_pid = 1;
	memcpy(a.comm, e->u.exec.task.comm, ST_COMM_LEN);
	tl_describe_restarted(&a, tc->last_init_pid, policy);
	tl_send_alert(t, tc, &a, now);
}

void timeline_lost(struct timeline *t, uint64_t now_ns, uint64_t count)
{
	for (int i = 0; i < HASH_BUCKETS; i++)
		for (struct tl_cont *tc = t->buckets[i]; tc; tc = tc->next) {
			if (tc->stop) {
				tc->stop->out.lost += count;
				continue;
			}
			if (tc->lost_ns + PRE_KEEP_NS < now_ns)
				tc->lost_pending = 0;
			tc->lost_pending += count;
			tc->lost_ns = now_ns;
		}
}

void timeline_flush(struct timeline *t, uint64_t now_ns)
{
	for (int i = 0; i < HASH_BUCKETS; i++)
		for (struct tl_cont *tc = t->buckets[i]; tc; tc = tc->next)
			if (tc->stop)
				tl_end_stop(t, tc, now_ns, true);
}
