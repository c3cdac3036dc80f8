// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/fs.h>
#include "holders.h"
#include "mountinfo.h"
#include "procfs.h"
#include "readfile.h"

#define MAX_NAMESPACES 256

/* mount_point is path or below it. */
static bool at_or_under(const char *mount_point, const char *path)
{
	size_t n = strlen(path);

	while (n > 1 && path[n - 1] == '/')
		n--;
	return !strncmp(mount_point, path, n) && (mount_point[n] == '\0' || mount_point[n] == '/');
}

/* Copy a string, cut to fit (mount fields can be longer than a holder keeps). */
static void set(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

struct cg_find {
	struct cgroup_match cm;
	bool found;
};

static int cg_line(int hierarchy_id, const char *controllers, const char *path, void *ctx)
{
	struct cg_find *f = ctx;

	(void)hierarchy_id;
	(void)controllers;
	if (!f->found && identity_parse_cgroup(path, &f->cm))
		f->found = true;
	return 0;
}

/* The container a process belongs to, from its cgroups. */
static bool process_container(const char *root, uint32_t pid, struct identity_table *ids,
			      struct container *c)
{
	struct cg_find f = {};
	struct container *known;

	if (procfs_read_cgroup(root, (int)pid, cg_line, &f) || !f.found)
		return false;
	known = ids ? identity_table_by_id(ids, f.cm.id) : NULL;
	if (known) {
		*c = *known;
		return true;
	}
	memset(c, 0, sizeof(*c));
	c->runtime = f.cm.runtime;
	set(c->id, sizeof(c->id), f.cm.id);
	identity_load_meta(root, c);
	return true;
}

static void holder_from(struct rm_holder *h, const struct mount_entry *m, uint64_t mntns,
			uint32_t pid, const char *root, struct identity_table *ids)
{
	struct proc_status st;

	memset(h, 0, sizeof(*h));
	set(h->kind, sizeof(h->kind), "mount");
	set(h->mount_point, sizeof(h->mount_point), m->mount_point);
	set(h->source, sizeof(h->source), m->source);
	set(h->fstype, sizeof(h->fstype), m->fstype);
	h->mount_namespace = mntns;
	h->pid = pid;
	if (!procfs_read_status(root, (int)pid, &st))
		set(h->comm, sizeof(h->comm), st.name);
	h->in_container = process_container(root, pid, ids, &h->container);
}

struct scan {
	const char *root;
	const char *path;
	struct identity_table *ids;
	struct rm_holder *out;
	int max;
	int n;
	uint64_t seen[MAX_NAMESPACES];
	int nseen;
	/* the device mounted at the busy path in the caller's view */
	unsigned int major, minor;
	bool have_dev;
};

static bool seen_mount(const struct scan *s, const struct mount_entry *m, uint64_t mntns)
{
	for (int i = 0; i < s->n; i++)
		if (s->out[i].mount_namespace == mntns &&
		    !strncmp(s->out[i].mount_point, m->mount_point,
			     sizeof(s->out[i].mount_point)) &&
		    !strncmp(s->out[i].source, m->source, sizeof(s->out[i].source)))
			return true;
	return false;
}

/*
 * Add the mounts of pid's mount namespace that sit at or under the path. For
 * foreign namespaces a path is only comparable when the mount shows the same
 * device as in the caller's view.
 */
static int scan_pid(struct scan *s, uint32_t pid, bool caller)
{
	struct mount_entry *m;
	char file[PATH_MAX], *buf = NULL, *line, *save = NULL;
	uint64_t mntns = 0;
	size_t len;
	int err;

	if (procfs_ns(s->root, (int)pid, "mnt", &mntns))
		return 0;
	for (int i = 0; i < s->nseen; i++)
		if (s->seen[i] == mntns)
			return 0;
	if (s->nseen < MAX_NAMESPACES)
		s->seen[s->nseen++] = mntns;
	snprintf(file, sizeof(file), "%s/proc/%u/mountinfo", s->root, pid);
	err = read_file_max(file, 16 << 20, &buf, &len);
	if (err)
		return 0; /* gone meanwhile */
	m = malloc(sizeof(*m));
	if (!m) {
		free(buf);
		return -ENOMEM;
	}
	for (line = strtok_r(buf, "\n", &save); line && s->n < s->max;
	     line = strtok_r(NULL, "\n", &save)) {
		if (mountinfo_parse_line(line, m) || !at_or_under(m->mount_point, s->path))
			continue;
		if (!caller && s->have_dev && (m->major != s->major || m->minor != s->minor))
			continue;
		if (seen_mount(s, m, mntns))
			continue; /* stacked mounts of one thing: listed once */
		if (caller && !s->have_dev) {
			s->major = m->major;
			s->minor = m->minor;
			s->have_dev = true;
		}
		holder_from(&s->out[s->n++], m, mntns, pid, s->root, s->ids);
	}
	free(m);
	free(buf);
	return 0;
}

static int scan_other(int pid, void *ctx)
{
	struct scan *s = ctx;

	if (s->n >= s->max)
		return 1;
	return scan_pid(s, (uint32_t)pid, false) < 0 ? 1 : 0;
}

/* A process's cwd, root, open files and mappings at or under the path. */
static const char *uses_path(const char *root, int pid, const char *path, char *why_buf,
			     size_t why_cap)
{
	static const char *const links[] = {"cwd", "root"};
	char file[PATH_MAX], target[PATH_MAX];
	char *buf = NULL, *line, *save = NULL;
	struct dirent *de;
	size_t len;
	ssize_t n;
	DIR *d;

	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		snprintf(file, sizeof(file), "%s/proc/%d/%s", root, pid, links[i]);
		n = readlink(file, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (at_or_under(target, path) && !(i == 1 && !strcmp(target, "/")))
			return links[i];
	}
	snprintf(file, sizeof(file), "%s/proc/%d/fd", root, pid);
	d = opendir(file);
	if (d) {
		while ((de = readdir(d))) {
			char link[PATH_MAX + 300];

			if (de->d_name[0] == '.')
				continue;
			snprintf(link, sizeof(link), "%s/%s", file, de->d_name);
			n = readlink(link, target, sizeof(target) - 1);
			if (n <= 0)
				continue;
			target[n] = '\0';
			if (at_or_under(target, path)) {
				closedir(d);
				snprintf(why_buf, why_cap, "open");
				return why_buf;
			}
		}
		closedir(d);
	}
	snprintf(file, sizeof(file), "%s/proc/%d/maps", root, pid);
	if (read_file_max(file, 64 << 20, &buf, &len))
		return NULL;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *p = strchr(line, '/');

		if (p && at_or_under(p, path)) {
			free(buf);
			snprintf(why_buf, why_cap, "map");
			return why_buf;
		}
	}
	free(buf);
	return NULL;
}

struct users {
	const char *root;
	const char *path;
	struct identity_table *ids;
	struct rm_holder *out;
	int max;
	int n;
};

static int user_cb(int pid, void *ctx)
{
	struct users *u = ctx;
	struct rm_holder *h;
	struct proc_status st;
	char why[8];
	const char *kind;

	if (u->n >= u->max)
		return 1;
	kind = uses_path(u->root, pid, u->path, why, sizeof(why));
	if (!kind)
		return 0;
	h = &u->out[u->n++];
	memset(h, 0, sizeof(*h));
	set(h->kind, sizeof(h->kind), kind);
	set(h->mount_point, sizeof(h->mount_point), u->path);
	h->pid = (uint32_t)pid;
	if (!procfs_read_status(u->root, pid, &st))
		set(h->comm, sizeof(h->comm), st.name);
	procfs_ns(u->root, pid, "mnt", &h->mount_namespace);
	h->in_container = process_container(u->root, (uint32_t)pid, u->ids, &h->container);
	return 0;
}

int holders_find(const char *root, uint32_t caller_pid, const char *path,
		 struct identity_table *ids, struct rm_holder *out, int max)
{
	struct scan *s;
	int err, n;

	if (max <= 0)
		return 0;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->root = root;
	s->path = path;
	s->ids = ids;
	s->out = out;
	s->max = max;
	/*
	 * The caller's namespace first: what it sees mounted there is what made
	 * its call fail. Other namespaces count when they mount the same device
	 * at that place (paths in them are only comparable then).
	 */
	err = scan_pid(s, caller_pid, true);
	if (!err)
		procfs_for_each_pid(root, scan_other, s);
	n = s->n;
	if (!err && n < max) {
		/*
		 * A filesystem that fails to unmount is busy with a process's
		 * cwd, root, open file or mapping on it.
		 */
		struct users u = {root, path, ids, out + n, max - n, 0};

		procfs_for_each_pid(root, user_cb, &u);
		n += u.n;
	}
	free(s);
	return err ? err : n;
}

int file_attributes(const char *path, bool *immutable, bool *append_only)
{
	int fd, flags = 0, err = 0;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags))
		err = -errno;
	close(fd);
	if (err)
		return err;
	*immutable = flags & FS_IMMUTABLE_FL;
	*append_only = flags & FS_APPEND_FL;
	return 0;
}
