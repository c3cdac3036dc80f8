// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Who keeps a pid namespace alive: every process of the namespace, read from
 * /proc with its state, its wait channel, its kernel stack, its container and
 * whether that container's cgroup is frozen. Everything is kept as the raw
 * bytes the kernel and the runtimes hold: names come from the host's tenants
 * and are escaped by whoever prints them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "host/cgroupfs.h"
#include "host/culprits.h"
#include "host/procfs.h"
#include "identity/runtimes.h"

/* Lines of the kernel stack kept: the frames that say what the task waits on. */
#define STACK_LINES 4

struct find_ctx {
	const char *root;
	uint32_t exclude;
	struct identity_table *ids;
	struct culprit *out;
	int max;
	int count;
};

/* procfs_read_cgroup callback: the first line whose path names a container. */
static int match_container(int hierarchy_id, const char *controllers, const char *path, void *ctx)
{
	struct culprit *c = ctx;
	struct container found;

	(void)hierarchy_id;
	(void)controllers;
	if (!identity_container_of_cgroup(path, &found))
		return 0;
	c->container = found;
	c->in_container = true;
	return 1;
}

/*
 * Name the container of c: from the table the caller keeps, from a process
 * of the same container found earlier in this scan, or from the runtime's
 * metadata.
 */
static void name_container(struct find_ctx *f, struct culprit *c)
{
	struct container *known;
	char cgroup[CGROUP_PATH_LEN];

	known = identity_table_by_id(f->ids, c->container.id);
	if (known && known->runtime == c->container.runtime) {
		memcpy(cgroup, c->container.cgroup, sizeof(cgroup));
		c->container = *known;
		if (!c->container.cgroup[0])
			memcpy(c->container.cgroup, cgroup, sizeof(cgroup));
		return;
	}
	for (int i = 0; i < f->count - 1 && i < f->max; i++) {
		const struct culprit *o = &f->out[i];

		if (o->in_container && o->container.runtime == c->container.runtime &&
		    !strcmp(o->container.id, c->container.id)) {
			c->container = o->container;
			return;
		}
	}
	identity_load_meta(f->root, &c->container);
}

/* Keep the first STACK_LINES frames: the innermost ones say what it waits on. */
static void cut_stack(char *stack)
{
	char *p = stack;

	for (int i = 0; i < STACK_LINES && p; i++) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (p)
		*p = '\0';
}

static int add_culprit(int pid, void *ctx)
{
	struct find_ctx *f = ctx;
	struct proc_status st;
	struct culprit *c;
	int err;

	if ((uint32_t)pid == f->exclude)
		return 0;
	err = procfs_read_status(f->root, pid, &st);
	if (err)
		return 0; /* gone, or not ours to read: it cannot be told about */
	if (st.tgid && st.tgid != pid)
		return 0; /* a thread: its process is counted once */
	f->count++;
	if (f->count > f->max)
		return 0;
	c = &f->out[f->count - 1];
	memset(c, 0, sizeof(*c));
	c->pid = (uint32_t)pid;
	c->ns_pid = st.nspid_count ? (uint32_t)st.nspid[st.nspid_count - 1] : (uint32_t)pid;
	memcpy(c->comm, st.name, sizeof(c->comm));
	c->comm[sizeof(c->comm) - 1] = '\0';
	c->state = st.state;
	if (procfs_read_wchan(f->root, pid, c->wchan, sizeof(c->wchan)))
		c->wchan[0] = '\0';
	if (procfs_read_stack(f->root, pid, c->stack, sizeof(c->stack)))
		c->stack[0] = '\0';
	cut_stack(c->stack);
	if (procfs_read_cgroup(f->root, pid, match_container, c) == 1)
		name_container(f, c);
	if (cgroupfs_container_frozen(f->root, pid, &c->frozen, c->frozen_how,
				      sizeof(c->frozen_how))) {
		c->frozen = false;
		c->frozen_how[0] = '\0';
	}
	return 0;
}

int culprits_find(const char *root, uint64_t pidns_inode, uint32_t exclude_pid,
		  struct identity_table *ids, struct culprit *out, int max)
{
	struct find_ctx f = {
		.root = root ? root : "",
		.exclude = exclude_pid,
		.ids = ids,
		.out = out,
		.max = max > 0 && out ? max : 0,
	};
	int err;

	err = procfs_tasks_in_pidns(f.root, pidns_inode, add_culprit, &f);
	if (err)
		return err < 0 ? err : -EIO;
	return f.count;
}

void culprit_fix(const struct culprit *c, char *buf, size_t cap)
{
	const struct runtime_info *rt;
	const char *cmd;

	if (!buf || !cap)
		return;
	if (c->frozen) {
		rt = c->in_container ? runtime_info(c->container.runtime) : NULL;
		cmd = rt ? rt->unpause : NULL;
		if (cmd && rt->unpause_by_id)
			snprintf(buf, cap, "%s %s",
				 c->container.pod_uid[0] && rt->unpause_in_pod ? rt->unpause_in_pod
									       : cmd,
				 c->container.id);
		else if (cmd && c->container.name[0])
			snprintf(buf, cap, "%s %s", cmd, c->container.name);
		else if (cmd)
			snprintf(buf, cap, "%s %.12s", cmd, c->container.id);
		else if (c->in_container)
			snprintf(
				buf, cap,
				"thaw its cgroup %s (write THAWED to freezer.state, or 0 to cgroup.freeze)",
				c->container.cgroup);
		else
			snprintf(
				buf, cap,
				"thaw its cgroup (write THAWED to freezer.state, or 0 to cgroup.freeze)");
		return;
	}
	switch (c->state) {
	case 'D':
		if (c->wchan[0])
			snprintf(
				buf, cap,
				"it is in uninterruptible sleep in %s: find what it waits on (I/O, NFS, FUSE)",
				c->wchan);
		else
			snprintf(
				buf, cap,
				"it is in uninterruptible sleep: find what it waits on (I/O, NFS, FUSE)");
		break;
	case 'T':
	case 't':
		snprintf(
			buf, cap,
			"it is stopped (SIGSTOP or a debugger): send SIGCONT or detach the tracer");
		break;
	default:
		snprintf(
			buf, cap,
			"it should die with its namespace: if it does not, look at its kernel stack");
		break;
	}
}
