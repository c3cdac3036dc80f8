// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What diagnose reads of a container: every process of the host from /proc
 * (its mount namespace, whether it is in the container's cgroup), which of
 * them is the container's PID 1, and Docker's view of its state.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "diagnose/diagnose_int.h"
#include "identity/runtimes.h"
#include "lib/jsonr.h"
#include "lib/readfile.h"

/* The inode of a namespace link <root>/proc/<pid>/ns/<kind>, "mnt:[4026531840]". */
int diag_ns_inode(const char *root, const char *pid, const char *kind, uint64_t *inode)
{
	char path[PATH_MAX], link[64], want[16];
	unsigned long long v;
	char *end;
	ssize_t n;
	size_t wl;

	if (snprintf(path, sizeof(path), "%s/proc/%s/ns/%s", root, pid, kind) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = '\0';
	wl = (size_t)snprintf(want, sizeof(want), "%s:[", kind);
	if (strncmp(link, want, wl) || link[wl] < '0' || link[wl] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(link + wl, &end, 10);
	if (errno || strcmp(end, "]"))
		return -EINVAL;
	*inode = v;
	return 0;
}

/* ---- the scan of /proc ---- */

struct cgroup_hit {
	const char *id;
	bool hit;
	bool v2;
	bool own; /* the path's last component names the container */
	char path[CGROUP_PATH_LEN];
};

static int cgroup_is_ours(int hierarchy_id, const char *controllers, const char *path, void *ctx)
{
	struct cgroup_hit *h = ctx;
	struct cgroup_match m;
	bool v2 = hierarchy_id == 0 && !*controllers;
	const char *last = strrchr(path, '/');

	if (!identity_parse_cgroup(path, &m) || strcmp(m.id, h->id))
		return 0;
	/* the cgroup v2 path names it best; else the first v1 line */
	if (!h->hit || (v2 && !h->v2)) {
		snprintf(h->path, sizeof(h->path), "%s", path);
		h->own = last && strstr(last, h->id);
	}
	h->hit = true;
	h->v2 |= v2;
	return 0;
}

int diag_scan_pid(int pid, void *ctx)
{
	struct diag *d = ctx;
	struct cgroup_hit hit = {.id = d->c.id};
	struct proc_status st;
	struct pinfo *p, *tmp;
	char num[16];
	size_t cap;

	if (procfs_read_status(d->root, pid, &st))
		return 0; /* gone since readdir, or not ours to read */
	if (d->nprocs >= PROCS_MAX)
		return 0;
	if (d->nprocs == d->procs_cap) {
		cap = d->procs_cap ? d->procs_cap * 2 : 256;
		tmp = realloc(d->procs, cap * sizeof(*tmp));
		if (!tmp)
			return -ENOMEM;
		d->procs = tmp;
		d->procs_cap = cap;
	}
	p = &d->procs[d->nprocs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->ppid = st.ppid;
	p->nspid_levels = st.nspid_count;
	p->ns_pid = st.nspid_count ? st.nspid[st.nspid_count - 1] : pid;
	memcpy(p->comm, st.name, sizeof(p->comm));
	snprintf(num, sizeof(num), "%d", pid);
	if (diag_ns_inode(d->root, num, "mnt", &p->mntns))
		p->mntns = 0;
	procfs_read_cgroup(d->root, pid, cgroup_is_ours, &hit);
	p->in_ctr = hit.hit;
	p->in_ctr_cgroup = hit.own;
	if (hit.hit && (!d->c.cgroup[0] || (hit.own && !d->cgroup_own))) {
		snprintf(d->c.cgroup, sizeof(d->c.cgroup), "%s", hit.path);
		d->cgroup_own = hit.own;
	}
	/* the daemon, not a container's process that calls itself so */
	if (runtimes_daemon_mounts_apart(st.name) && st.nspid_count <= 1 && p->mntns &&
	    !d->runtime_pid) {
		d->runtime_pid = pid;
		d->runtime_mntns = p->mntns;
	}
	return 0;
}

const struct pinfo *diag_find_proc(const struct diag *d, int pid)
{
	for (size_t i = 0; i < d->nprocs; i++)
		if (d->procs[i].pid == pid)
			return &d->procs[i];
	return NULL;
}

/* Is p a better PID 1 than best: in the container's own cgroup, outermost, first. */
static bool better_init(const struct pinfo *p, const struct pinfo *best)
{
	if (!best)
		return true;
	if (p->in_ctr_cgroup != best->in_ctr_cgroup)
		return p->in_ctr_cgroup;
	if (p->nspid_levels != best->nspid_levels)
		return p->nspid_levels < best->nspid_levels;
	return p->pid < best->pid;
}

/*
 * PID 1 of the container: a process of its cgroup that is pid 1 of a pid
 * namespace; when there are several (a process below the container's cgroup
 * that made a namespace of its own), the one in the container's own cgroup
 * and outermost. A container that shares another's pid namespace has no
 * such process: its first process is the one whose parent is not in it.
 */
int diag_find_init(const struct diag *d)
{
	const struct pinfo *best = NULL, *p, *parent;

	for (size_t i = 0; i < d->nprocs; i++) {
		p = &d->procs[i];
		if (p->in_ctr && p->ns_pid == 1 && p->nspid_levels >= 2 && better_init(p, best))
			best = p;
	}
	if (best)
		return best->pid;
	for (size_t i = 0; i < d->nprocs; i++) {
		p = &d->procs[i];
		if (!p->in_ctr)
			continue;
		parent = diag_find_proc(d, p->ppid);
		if ((!parent || !parent->in_ctr) && better_init(p, best))
			best = p;
	}
	return best ? best->pid : 0;
}

/* ---- runtime metadata ---- */

/* Docker's view of the container: config.v2.json "State". */
void diag_docker_state(struct diag *d)
{
	char path[PATH_MAX], status[32];
	struct jsonr_val doc, v;
	char *buf = NULL;
	size_t len;

	if (runtime_meta_path(runtime_info(d->c.runtime), RT_CONFIG, d->root, d->c.id, path,
			      sizeof(path)))
		return;
	if (read_file_max(path, META_MAX, &buf, &len))
		return;
	if (!jsonr_init(&doc, buf, len)) {
		d->meta_paused = jsonr_true_at(&doc, "State", "Paused");
		d->dead = jsonr_true_at(&doc, "State", "Dead");
		if (!jsonr_get_path(&doc, &v, "State", "Status", NULL) &&
		    !jsonr_string(&v, status, sizeof(status)) && !strcmp(status, "dead"))
			d->dead = true;
	}
	free(buf);
}
