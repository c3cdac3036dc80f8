// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A sample of what still runs in a container (running.h): its cgroup's
 * cgroup.procs, then for each pid /proc/<pid>/status (name, state, NSpid),
 * /proc/<pid>/wchan, and /proc/<pid>/cgroup to check that the pid still
 * names a process of that cgroup and not a newcomer that took a freed pid.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "host/cgroupfs.h"
#include "host/procfs.h"
#include "host/running.h"

/* A path of "/"-separated names with no "." or ".." among them, nor an empty one. */
static bool plain_path(const char *p)
{
	if (p[0] != '/' || !p[1])
		return false;
	for (const char *c = p + 1; *c;) {
		size_t n = strcspn(c, "/");

		if (!n || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		c += n;
		if (*c == '/')
			c++;
		if (!*c && c[-1] == '/')
			return false;
	}
	return true;
}

struct in_cgroup {
	const char *cgroup;
	bool found;
};

static int match_cgroup(int hierarchy_id, const char *controllers, const char *path, void *ctx)
{
	struct in_cgroup *ic = ctx;

	(void)hierarchy_id;
	(void)controllers;
	if (!strcmp(path, ic->cgroup))
		ic->found = true;
	return 0;
}

/* One process of the sample: 0, or -errno when it is gone or no longer the cgroup's. */
static int sample_proc(const char *root, const char *cgroup, uint32_t pid, struct running_proc *p)
{
	struct in_cgroup ic = {cgroup, false};
	struct proc_status st;
	int err;

	memset(p, 0, sizeof(*p));
	err = procfs_read_status(root, (int)pid, &st);
	if (err)
		return err;
	p->pid = pid;
	p->state = st.state;
	snprintf(p->comm, sizeof(p->comm), "%.*s", (int)sizeof(p->comm) - 1, st.name);
	if (st.nspid_count > 0)
		p->ns_pid = (uint32_t)st.nspid[st.nspid_count - 1];
	if (procfs_read_wchan(root, (int)pid, p->wchan, sizeof(p->wchan)))
		p->wchan[0] = '\0';
	/* read last: a pid freed and taken again meanwhile is left out */
	err = procfs_read_cgroup(root, (int)pid, match_cgroup, &ic);
	if (err)
		return err;
	return ic.found ? 0 : -ESRCH;
}

int running_sample(const char *root, const char *const *dirs, int ndirs, const char *cgroup,
		   struct running_sample *out)
{
	uint32_t pids[RUNNING_MAX];
	char dir[PATH_MAX];
	bool more = false;
	int n = -ENOENT, len;

	out->n = 0;
	out->incomplete = false;
	if (!root)
		root = "";
	if (!plain_path(cgroup))
		return -EINVAL;
	for (int i = 0; i < ndirs && n == -ENOENT; i++) {
		if (!dirs[i] || !dirs[i][0])
			continue;
		len = snprintf(dir, sizeof(dir), "%s%s%s", root, dirs[i], cgroup);
		if (len < 0 || (size_t)len >= sizeof(dir))
			return -ENAMETOOLONG;
		n = cgroupfs_procs(dir, pids, RUNNING_MAX, &more);
	}
	if (n < 0)
		return n;
	out->incomplete = more;
	for (int i = 0; i < n; i++)
		if (!sample_proc(root, cgroup, pids[i], &out->procs[out->n]))
			out->n++;
	return 0;
}
