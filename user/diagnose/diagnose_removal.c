// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What the removal of the container's storage will meet (S6): mounts of its
 * writable layer or its runtime directory that other mount namespaces still
 * hold, and Docker's Dead mark, left by a removal that failed before.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "diagnose/diagnose_int.h"
#include "identity/runtimes.h"
#include "identity/storage.h"

static bool path_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n == 1 && dir[0] == '/')
		return path[0] == '/';
	return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}

/*
 * The storage directories of the container, as paths in the host's view:
 * its writable layer and the runtime's directory for it. Only those of the
 * runtimes whose row says what a missing layer means (no_layer) are checked:
 * docker's and podman's.
 */
static void storage_dirs(struct diag *d)
{
	const struct runtime_info *rt = runtime_info(d->c.runtime);

	if (!rt || !rt->no_layer) {
		snprintf(d->removal_note, sizeof(d->removal_note),
			 "storage of %s containers is not checked", runtime_name(d->c.runtime));
		return;
	}
	if (storage_layer(d->root, &d->c, d->storage, sizeof(d->storage))) {
		d->storage[0] = '\0';
		snprintf(d->removal_note, sizeof(d->removal_note), "%s: not checked", rt->no_layer);
		return;
	}
	if (storage_container_dir(d->root, &d->c, d->ctr_dir, sizeof(d->ctr_dir))) {
		d->storage[0] = '\0';
		snprintf(d->removal_note, sizeof(d->removal_note),
			 "no storage directory known for it: not checked");
		return;
	}
	d->removal_checked = true;
}

/* Where the host's view puts path: the mount holding it, longest mount point first. */
static void locate(const char *mountinfo, const char *path, struct fs_spot *spot,
		   struct mount_entry *m)
{
	size_t best = 0, mpl;
	char *line = NULL;
	size_t linecap = 0;
	FILE *f;

	memset(spot, 0, sizeof(*spot));
	f = fopen(mountinfo, "re");
	if (!f)
		return;
	while (getline(&line, &linecap, f) > 0) {
		if (mountinfo_parse_line(line, m) || !path_under(path, m->mount_point))
			continue;
		mpl = strlen(m->mount_point);
		if (spot->found && mpl < best)
			continue;
		best = mpl;
		spot->found = true;
		spot->major = m->major;
		spot->minor = m->minor;
		/* the path inside the filesystem: the mount's root, then the rest */
		snprintf(spot->fsroot, sizeof(spot->fsroot), "%s%s",
			 strcmp(m->root, "/") || !path[mpl == 1 ? 0 : mpl] ? m->root : "",
			 path + (mpl == 1 ? 0 : mpl));
	}
	free(line);
	fclose(f);
}

/* The mount of the container's merged directory in the host's view, if mounted. */
static bool merged_device(const char *mountinfo, const char *merged, unsigned int *major,
			  unsigned int *minor, int *shared_id, struct mount_entry *m)
{
	char *line = NULL;
	size_t linecap = 0;
	bool found = false;
	FILE *f;

	f = fopen(mountinfo, "re");
	if (!f)
		return false;
	while (!found && getline(&line, &linecap, f) > 0) {
		if (mountinfo_parse_line(line, m) || strcmp(m->mount_point, merged))
			continue;
		*major = m->major;
		*minor = m->minor;
		*shared_id = m->shared_id;
		found = true;
	}
	free(line);
	fclose(f);
	return found;
}

struct removal_scan {
	char merged[PATH_MAX];
	bool merged_mounted;
	unsigned int merged_major, merged_minor;
	int merged_shared; /* the host mount's peer group, 0 when private */
	const char *dirs[2];
	struct fs_spot spots[2];
	struct mount_entry *m;
};

/* Does mount m (in a foreign namespace) hold the container's storage? What path? */
static const char *holds(const struct diag *d, const struct removal_scan *s,
			 const struct mount_entry *m, char *path, size_t cap)
{
	char needle[PATH_MAX + 2];

	/*
	 * A copy that receives the host's unmounts (a slave of, or a peer in,
	 * the host mount's peer group: a monitor's own pod with HostToContainer
	 * propagation) goes away with the host's unmount: it holds nothing.
	 */
	if (s->merged_mounted && s->merged_shared &&
	    (m->master_id == s->merged_shared || m->shared_id == s->merged_shared) &&
	    m->major == s->merged_major && m->minor == s->merged_minor)
		return NULL;
	if (s->merged_mounted && m->major == s->merged_major && m->minor == s->merged_minor) {
		snprintf(path, cap, "%s", s->merged);
		return "device";
	}
	snprintf(needle, sizeof(needle), "%s/", d->storage);
	if (!strcmp(m->fstype, "overlay") && strstr(m->super_opts, needle)) {
		snprintf(path, cap, "%s", s->merged);
		return "overlay_options";
	}
	for (int i = 0; i < 2; i++) {
		const struct fs_spot *sp = &s->spots[i];

		if (sp->found && m->major == sp->major && m->minor == sp->minor &&
		    path_under(m->root, sp->fsroot)) {
			snprintf(path, cap, "%s%s", s->dirs[i], m->root + strlen(sp->fsroot));
			return "root";
		}
	}
	for (int i = 0; i < 2; i++) {
		if (path_under(m->mount_point, s->dirs[i])) {
			snprintf(path, cap, "%s", m->mount_point);
			return "path";
		}
	}
	return NULL;
}

/* Read one process's mountinfo; add a hazard per mount holding the storage. */
static int scan_mountinfo(struct diag *d, struct removal_scan *s, const struct pinfo *p)
{
	char path[PATH_MAX], held[MI_PATH_LEN];
	char *line = NULL;
	size_t linecap = 0;
	const char *how;
	struct hazard *h;
	FILE *f;

	snprintf(path, sizeof(path), "%s/proc/%d/mountinfo", d->root, p->pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (getline(&line, &linecap, f) > 0) {
		if (mountinfo_parse_line(line, s->m))
			continue;
		how = holds(d, s, s->m, held, sizeof(held));
		if (!how)
			continue;
		d->nhazards_total++;
		if (d->nhazards >= HAZARDS_MAX)
			continue;
		h = &d->hazards[d->nhazards++];
		h->pid = p->pid;
		memcpy(h->comm, p->comm, sizeof(h->comm));
		h->mntns = p->mntns;
		h->match = how;
		snprintf(h->path, sizeof(h->path), "%s", held);
		snprintf(h->mount_point, sizeof(h->mount_point), "%s", s->m->mount_point);
	}
	free(line);
	fclose(f);
	return 0;
}

static bool in_list(const uint64_t *list, size_t n, uint64_t v)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == v)
			return true;
	return false;
}

/*
 * Mounts of the container's storage held in mount namespaces other than its
 * own and the runtime's: one mountinfo read per namespace. Paths differ
 * between namespaces, so a mount matches by device (the overlay's), by the
 * overlay's options (upperdir=<storage>/diff) or by device and root (a bind
 * mount of a directory of the storage), and only then by path.
 */
void diag_check_removal(struct diag *d)
{
	struct removal_scan *s;
	uint64_t *done = NULL;
	size_t ndone = 0;
	char host_mi[PATH_MAX];
	struct problem *p;
	char comm[PROC_NAME_LEN];

	storage_dirs(d);
	if (!d->removal_checked)
		return;
	s = calloc(1, sizeof(*s));
	if (s)
		s->m = malloc(sizeof(*s->m));
	done = calloc(d->nprocs + 2, sizeof(*done));
	if (!s || !s->m || !done) {
		d->removal_checked = false;
		snprintf(d->removal_note, sizeof(d->removal_note), "out of memory: not checked");
		goto cleanup;
	}
	if (d->runtime_pid)
		snprintf(host_mi, sizeof(host_mi), "%s/proc/%d/mountinfo", d->root, d->runtime_pid);
	else
		snprintf(host_mi, sizeof(host_mi), "%s/proc/self/mountinfo", d->root);
	if (!d->runtime_mntns && diag_ns_inode(d->root, "self", "mnt", &d->runtime_mntns))
		d->runtime_mntns = 0;
	snprintf(s->merged, sizeof(s->merged), "%s/merged", d->storage);
	s->merged_mounted = merged_device(host_mi, s->merged, &s->merged_major, &s->merged_minor,
					  &s->merged_shared, s->m);
	s->dirs[0] = d->storage;
	s->dirs[1] = d->ctr_dir;
	locate(host_mi, d->storage, &s->spots[0], s->m);
	locate(host_mi, d->ctr_dir, &s->spots[1], s->m);

	/* the namespaces not to look at: the runtime's and the container's own */
	done[ndone++] = 0;
	done[ndone++] = d->runtime_mntns;
	for (size_t i = 0; i < d->nprocs; i++)
		if (d->procs[i].in_ctr && !in_list(done, ndone, d->procs[i].mntns))
			done[ndone++] = d->procs[i].mntns;
	for (size_t i = 0; i < d->nprocs; i++) {
		const struct pinfo *pi = &d->procs[i];

		/* a namespace is done once one of its processes' mountinfo was read */
		if (in_list(done, ndone, pi->mntns) || scan_mountinfo(d, s, pi))
			continue;
		done[ndone++] = pi->mntns;
	}
	for (int i = 0; i < d->nhazards; i++) {
		const struct hazard *h = &d->hazards[i];

		p = add_problem(d, "rootfs_removal_failed");
		if (!p)
			break;
		memcpy(comm, h->comm, sizeof(comm));
		snprintf(
			p->message, sizeof(p->message),
			"removal may fail with EBUSY: process %d (%s) in mount namespace %llu still mounts %.500s",
			h->pid, comm, (unsigned long long)h->mntns, h->path);
		snprintf(
			p->action, sizeof(p->action),
			"unmount it in that namespace (nsenter -t %d -m, then umount its mount point) or end process %d",
			h->pid, h->pid);
	}
cleanup:
	if (s)
		free(s->m);
	free(s);
	free(done);
}

void diag_add_dead_problem(struct diag *d)
{
	char label[NAME_LEN];
	struct problem *p = add_problem(d, "dead");

	if (!p)
		return;
	label_of(&d->c, label, sizeof(label));
	snprintf(p->message, sizeof(p->message),
		 "Docker marks the container Dead: removing its storage failed before");
	snprintf(
		p->action, sizeof(p->action),
		"release what holds its storage (see the removal hazards and dockerd's log), then docker rm %s",
		label);
}
