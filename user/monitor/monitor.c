// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The monitor's event path: container cgroups learnt and forgotten, kernel
 * records decoded and given to the engines, the periodic steps. The live
 * run and the replay drive it (monitor_run.c); what it writes is in
 * monitor_out.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "host/culprits.h"
#include "kernel/event.h"
#include "host/holder_worker.h"
#include "monitor/monitor_int.h"
#include "identity/runtimes.h"

static void load_meta(struct monitor *m, struct container *c)
{
	if (c->name[0] || c->meta_tries >= META_TRIES)
		return;
	c->meta_tries++;
	m->facts.ops->load_meta(m->facts.ctx, c);
}

/*
 * Learn a container cgroup: identity table and the kernel's tracked set.
 * mount_dir is its hierarchy's mount (NULL in a replay).
 */
int track_cgroup(struct monitor *m, uint64_t id, const char *path, const char *mount_dir)
{
	struct container c;
	bool sub;

	if (!tracking_recognize(m, path, mount_dir, &c, &sub))
		return 0;
	if (sub)
		return tracking_add_sub(m, id, &c);
	load_meta(m, &c);
	/* where it keeps its storage, learnt now: its removal comes after it is gone */
	if (m->sw && !identity_table_by_id(m->ids, c.id))
		storage_watch_learn(m->sw, &c);
	if (!identity_table_add(m->ids, id, &c))
		return -ENOMEM;
	return tracking_kernel(m, id);
}

static void forget_oldest_gone(struct monitor *m)
{
	identity_table_del(m->ids, m->gone[m->gone_head].id);
	m->gone_head = (m->gone_head + 1) % GONE_MAX;
	m->gone_len--;
}

static void forget_gone(struct monitor *m, uint64_t now)
{
	while (m->gone_len && now - m->gone[m->gone_head].at_ns >= GONE_KEEP_NS)
		forget_oldest_gone(m);
}

static void cgroup_gone(struct monitor *m, uint64_t id, uint64_t at_ns)
{
	unsigned int i;

	if (m->loader)
		loader_untrack(m->loader, id);
	if (m->gone_len == GONE_MAX)
		forget_oldest_gone(m);
	i = (m->gone_head + m->gone_len) % GONE_MAX;
	m->gone[i].id = id;
	m->gone[i].at_ns = at_ns;
	m->gone_len++;
}

static bool under_root(const char *path, const char *root)
{
	size_t n = strlen(root);

	while (n > 1 && root[n - 1] == '/')
		n--;
	return !strncmp(path, root, n) && (path[n] == '/' || path[n] == '\0');
}

static bool in_storage(const struct monitor *m, const char *path)
{
	for (size_t i = 0; i < m->ndefault_roots; i++)
		if (under_root(path, m->default_roots[i]))
			return true;
	for (int i = 0; i < m->opts->nstorage_roots; i++)
		if (under_root(path, m->opts->storage_roots[i]))
			return true;
	for (int i = 0; i < m->nstorage_roots; i++)
		if (under_root(path, m->storage_roots[i]))
			return true;
	return false;
}

/* Facts for the engine come from the identity table, kept fresh by the monitor. */
static int fact_stop_signal(void *ctx, const struct container *c)
{
	struct monitor *m = ctx;
	struct container *known = identity_table_by_id(m->ids, c->id);

	return known ? known->stop_signal : c->stop_signal;
}

static const char *fact_restart_policy(void *ctx, const struct container *c)
{
	struct monitor *m = ctx;
	struct container *known = identity_table_by_id(m->ids, c->id);

	return known ? known->restart_policy : c->restart_policy;
}

static int fact_ns_culprits(void *ctx, uint32_t pidns, uint32_t init_pid, struct culprit *out,
			    int max)
{
	struct monitor *m = ctx;

	return m->facts.ops->culprits(m->facts.ctx, pidns, init_pid, m->ids, out, max);
}

static void handle_fs_call(struct monitor *m, const struct st_event *e)
{
	char path[2 * (ST_DIR_LEN + ST_NAME_LEN)];
	const struct container *c;
	bool complete = false;

	if (event_fs_path(&e->u.fs, path, sizeof(path), &complete) < 0) {
		path[0] = '\0';
		complete = false;
	}
	if (!(e->u.fs.path_flags & ST_PATH_TRUSTED)) {
		/* never evidence: at most its container's event, the path in its own view */
		c = identity_table_get(m->ids, e->u.fs.caller.cgroup_id);
		if (c && container_selected(m, c))
			print_event(m, e, c, path, complete);
		return;
	}
	/* removal calls of trusted callers concern containers when they touch runtime storage */
	c = monitor_fs_call(m, e, path);
	if (!c && !in_storage(m, path))
		return;

	if (container_selected(m, c))
		print_event(m, e, c, path, complete);
}

/* One kernel record, read at m->now. */
void process_event(struct monitor *m, const void *data, size_t len)
{
	struct st_event *e = &m->ev;
	struct container *c = NULL;
	uint64_t cgid;

	m->events_in++;
	if (event_decode(data, len, e)) {
		m->events_bad++;
		return;
	}
	if (e->kind == ST_EV_CGROUP_MKDIR) {
		int h = (int)e->u.cgroup.hierarchy;

		if (!(h == 0 && m->cg2_dir[0]) && h != m->v1_hierarchy)
			return;
		if (track_cgroup(m, e->u.cgroup.id, e->u.cgroup.path, h ? m->v1_dir : m->cg2_dir) <
		    0)
			return;
	}
	if (e->kind == ST_EV_FS_CALL) {
		handle_fs_call(m, e);
		return;
	}
	if (e->kind == ST_EV_OOM_VICTIM) {
		print_event(m, e, NULL, NULL, true);
		timeline_event(m->tl, e, NULL, m->now);
		return;
	}
	cgid = event_cgroup_id(e);
	c = identity_table_get(m->ids, cgid);
	if (!c && e->kind == ST_EV_CGROUP_MKDIR)
		return; /* not a container */
	if (c)
		load_meta(m, c);
	if (container_selected(m, c))
		print_event(m, e, c, NULL, true);
	if (c && tracking_event(m, e, cgid, c))
		timeline_event(m->tl, e, c, m->now);
	if (e->kind == ST_EV_CGROUP_RMDIR)
		cgroup_gone(m, cgid, e->ts_ns);
}

static const struct tl_facts tl_facts = {
	.stop_signal = fact_stop_signal,
	.restart_policy = fact_restart_policy,
	.ns_culprits = fact_ns_culprits,
};

/* The engines, configured from the options, or from a recording's header. */
int setup_engines(struct monitor *m, unsigned int stop_alert_after_s,
		  unsigned int teardown_timeout_s, uint64_t start_ns)
{
	struct tl_config tlc;

	m->ndefault_roots = runtimes_storage_roots(m->default_roots, MAX_DEFAULT_ROOTS);
	m->ids = identity_table_new();
	if (!m->ids)
		return -ENOMEM;
	m->rc.host = m->host;
	m->rc.color = m->opts->color;
	m->report.rc = &m->rc;
	tl_config_defaults(&tlc);
	tlc.stop_alert_after_ns = (uint64_t)stop_alert_after_s * 1000000000ULL;
	tlc.teardown_timeout_ns = (uint64_t)teardown_timeout_s * 1000000000ULL;
	tlc.start_ns = start_ns;
	tlc.alert_seq = &m->alert_seq;
	m->tl = timeline_new(&tlc, &tl_facts, &monitor_tl_listener, m);
	m->sw = storage_watch_new(&m->facts, m->ids, &m->alert_seq, &monitor_rm_listener, m);
	return m->tl && m->sw ? 0 : -ENOMEM;
}

void teardown_engines(struct monitor *m)
{
	storage_watch_free(m->sw);
	holder_worker_free(m->holder_worker);
	timeline_free(m->tl);
	monitor_running_free(m);
	identity_table_free(m->ids);
}

/* The periodic step, at m->now. */
struct vanished {
	struct monitor *m;
	uint64_t ids[VERIFY_MAX];
	int n;
};

static bool is_gone(const struct monitor *m, uint64_t id)
{
	for (unsigned int i = 0; i < m->gone_len; i++)
		if (m->gone[(m->gone_head + i) % GONE_MAX].id == id)
			return true;
	return false;
}

static void check_cgroup(struct container *c, uint64_t cgroup_id, void *arg)
{
	struct vanished *v = arg;

	if (v->n == VERIFY_MAX || is_gone(v->m, cgroup_id) || !c->cgroup[0])
		return;
	if (v->m->facts.ops->cgroup_exists(v->m->facts.ctx, c->cgroup) == 0)
		v->ids[v->n++] = cgroup_id;
}

/*
 * Records were lost: a container's cgroup_rmdir may be among them, and its
 * stop would then stay open. Every container cgroup still believed there is
 * looked at (at most once a second while losses go on); one that is gone is
 * taken as removed now.
 */
void verify_cgroups(struct monitor *m)
{
	struct vanished v = {.m = m};

	m->verify = false;
	m->verified_ns = m->now;
	identity_table_each(m->ids, check_cgroup, &v);
	for (int i = 0; i < v.n; i++) {
		struct container *c = identity_table_get(m->ids, v.ids[i]);
		struct st_event *e = &m->ev;
		size_t len;

		if (!c)
			continue;
		memset(e, 0, sizeof(*e));
		e->kind = ST_EV_CGROUP_RMDIR;
		e->ts_ns = m->now;
		e->u.cgroup.id = v.ids[i];
		len = strnlen(c->cgroup, sizeof(e->u.cgroup.path) - 1);
		memcpy(e->u.cgroup.path, c->cgroup, len);
		/* a sub-cgroup names its container's cgroup: gone with it, and not its end */
		if (!identity_table_is_sub(m->ids, v.ids[i]))
			timeline_event(m->tl, e, c, m->now);
		cgroup_gone(m, v.ids[i], m->now);
	}
}

/* The kernel dropped n records: open stops are marked, cgroups looked at again. */
void events_lost(struct monitor *m, uint64_t n)
{
	timeline_lost(m->tl, m->now, n);
	m->verify = true;
}

void step_tick(struct monitor *m)
{
	tracking_warn(m);
	forget_gone(m, m->now);
	timeline_tick(m->tl, m->now);
	storage_watch_tick(m->sw, m->now);
}

void step_flush(struct monitor *m)
{
	timeline_flush(m->tl, m->now);
	storage_watch_flush(m->sw, m->now);
}
