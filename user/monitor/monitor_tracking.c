// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Which cgroups the monitor tracks, and as whose: a container's own cgroup
 * where its runtime puts containers (identity.h), refused when a non-root
 * user could have made it (a delegated subtree); the cgroups below it as
 * that container's; the kernel map's bound. And the counters of every
 * bounded table, said once on stderr.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "monitor/monitor_int.h"

/*
 * Cgroups tracked below containers' own. systemd in a container makes a few
 * dozen (init.scope, one per unit); Docker-in-Docker one or two per inner
 * container. A tenant who may write its cgroupfs can make as many as it
 * likes: 256 per container and a quarter of the kernel map in all keep
 * three quarters of tracked_cgroups for the containers' own cgroups.
 */
#define SUBS_PER_CONTAINER 256
#define SUBS_MAX	   (65536 / 4)

bool tracking_recognize(struct monitor *m, const char *path, const char *mount_dir,
			struct container *c, bool *sub)
{
	struct cgroup_match cm;
	int ret;

	/* a replay has no host to ask: the path, or the recording's answer, decides */
	ret = m->facts.ops->recognize ? m->facts.ops->recognize(m->facts.ctx, path, mount_dir, &cm)
				      : identity_recognize(NULL, path, &cm);
	if (ret == -EPERM)
		m->cgroups_delegated++;
	if (ret != 1)
		return false;
	identity_container_of_match(&cm, c);
	*sub = cm.below;
	return true;
}

int tracking_kernel(struct monitor *m, uint64_t id)
{
	int err;

	if (!m->loader)
		return 0;
	err = loader_track(m->loader, id);
	if (err == -E2BIG || err == -ENOMEM || err == -ENOSPC) {
		/* the map is full: not tracked in the kernel, so not here either */
		m->tracked_full++;
		identity_table_del(m->ids, id);
	}
	return err;
}

int tracking_add_sub(struct monitor *m, uint64_t id, const struct container *c)
{
	struct container *owner = identity_table_by_id(m->ids, c->id);

	if (!owner)
		return 0; /* its own cgroup is not tracked: neither is this one */
	if (identity_table_get(m->ids, id))
		return 0;
	if (identity_table_subs(m->ids, c->id) >= SUBS_PER_CONTAINER ||
	    identity_table_subs(m->ids, "") >= SUBS_MAX) {
		m->subs_full++;
		return 0;
	}
	if (!identity_table_add_sub(m->ids, id, owner))
		return -ENOMEM;
	return tracking_kernel(m, id);
}

static struct st_task *event_task(struct st_event *e)
{
	switch (e->kind) {
	case ST_EV_SIGNAL_GENERATE:
		return &e->u.signal.target;
	case ST_EV_SIGNAL_DELIVER:
		return &e->u.deliver.task;
	case ST_EV_PROCESS_EXIT:
	case ST_EV_INIT_RELEASED:
		return &e->u.exit.task;
	case ST_EV_PROCESS_FORK:
		return &e->u.fork.parent;
	case ST_EV_PROCESS_EXEC:
		return &e->u.exec.task;
	}
	return NULL;
}

bool tracking_event(struct monitor *m, struct st_event *e, uint64_t cgid, const struct container *c)
{
	bool sub = identity_table_is_sub(m->ids, cgid);
	struct st_task *t = event_task(e);
	uint32_t pidns, tgid;

	if (e->kind == ST_EV_CGROUP_MKDIR && !sub)
		identity_table_set_init(m->ids, c->id, 0, 0); /* a new cgroup: a new init */
	/* a sub-cgroup's coming and going is not the container's */
	if (sub && (e->kind == ST_EV_CGROUP_MKDIR || e->kind == ST_EV_CGROUP_RMDIR))
		return false;
	/* a sender in another cgroup of the same container is inside it */
	if (e->kind == ST_EV_SIGNAL_GENERATE && e->u.signal.sender.cgroup_id &&
	    e->u.signal.sender.cgroup_id != cgid) {
		const struct container *sc =
			identity_table_get(m->ids, e->u.signal.sender.cgroup_id);

		if (sc && !strcmp(sc->id, c->id))
			e->u.signal.sender.cgroup_id = cgid;
	}
	if (!t || !(t->flags & ST_TASK_NS_INIT))
		return true;
	pidns = identity_table_init(m->ids, c->id, &tgid);
	/* the init is learnt from the container's own cgroup, where its runtime starts it */
	if (!pidns && !sub && t->pidns && e->kind != ST_EV_INIT_RELEASED) {
		identity_table_set_init(m->ids, c->id, t->pidns, t->tgid);
		return true;
	}
	/*
	 * An init in a sub-cgroup (systemd's init.scope), not learnt yet (the
	 * monitor started after it): the init a host process outside every
	 * container signals is the container's, as a runtime's stop does. A
	 * nested namespace's init gets its signals from inside the container.
	 */
	if (!pidns && sub && e->kind == ST_EV_SIGNAL_GENERATE && t->pidns &&
	    !e->u.signal.sender.cgroup_id &&
	    !(e->u.signal.sig_flags & (ST_SIGF_SENDER_IN_NS | ST_SIGF_FROM_KERNEL))) {
		identity_table_set_init(m->ids, c->id, t->pidns, t->tgid);
		return true;
	}
	/* its pid is detached by the time it is released: known by its host pid */
	if (e->kind == ST_EV_INIT_RELEASED)
		return pidns ? t->tgid == tgid : !sub;
	if (pidns && t->pidns == pidns) {
		identity_table_set_init(m->ids, c->id, pidns, t->tgid);
		return true;
	}
	/* the init of a namespace nested in the container is not the container's */
	t->flags &= ~ST_TASK_NS_INIT;
	return true;
}

void tracking_full(struct monitor *m, uint64_t full[BOUND_MAX])
{
	memset(full, 0, sizeof(full[0]) * BOUND_MAX);
	full[BOUND_TRACKED_CGROUPS] = m->tracked_full;
	full[BOUND_SUB_CGROUPS] = m->subs_full;
	full[BOUND_IDENTITY] = identity_table_full(m->ids);
	full[BOUND_TIMELINES] = timeline_full(m->tl);
	storage_watch_full(m->sw, &full[BOUND_STORAGE_PATHS], &full[BOUND_STORAGE_KNOWN],
			   &full[BOUND_REMOVALS]);
}

void tracking_json(struct monitor *m, struct jsonw *w)
{
	uint64_t full[BOUND_MAX];

	tracking_full(m, full);
	jsonw_uint(w, "cgroups_delegated", m->cgroups_delegated);
	jsonw_obj_key(w, "table_full");
	for (int b = 0; b < BOUND_MAX; b++)
		jsonw_uint(w, bound_name(b), full[b]);
	jsonw_obj_close(w);
}

void tracking_warn(struct monitor *m)
{
	uint64_t full[BOUND_MAX];
	char line[512];

	tracking_full(m, full);
	while (bounds_news(&m->bounds, full, line, sizeof(line)))
		fprintf(stderr, "stoptrace: %s\n", line);
}
