// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "lib/array_size.h"
#include "lib/clock.h"
#include "host/holders.h"
#include "host/mountinfo.h"
#include "host/procfs.h"
#include "host/safepath.h"

/*
 * The bounds of one scan. The scan runs where the monitor reads kernel
 * records: while it runs, no stop is judged. 50 ms is under the alert
 * latency the monitor aims at (docs/performance.md) and enough for a few
 * thousand processes (one mountinfo per namespace, a few stat()s each).
 * 4096 descriptors per process is the default soft RLIMIT_NOFILE of most
 * distributions times four: a process holding more (a proxy, a database) is
 * cut, not stat()ed 100,000 times. 16384 processes covers a busy host (the
 * default pid_max on small machines is 32768); 1 MiB of mountinfo is about
 * 7,000 mounts and 1 MiB of maps about 10,000 mappings, far beyond what a
 * container's process has, and 256 namespaces matches the old seen list.
 */
#define DEF_MAX_PROCS	   16384
#define DEF_MAX_FDS	   4096
#define DEF_MAX_NAMESPACES 256
#define DEF_MAX_MOUNTINFO  (1U << 20)
#define DEF_MAX_MAPS	   (1U << 20)
#define DEF_BUDGET_NS	   (50ULL * 1000 * 1000)
/* the mounts at or under the busy path in the caller's view that are compared */
#define MAX_TARGETS 16

static const char *const cut_names[] = {
	"time budget", "process cap",	"descriptor cap", "mountinfo cap",
	"maps cap",    "namespace cap", "rate limit",	  "path refused",
};

const char *holders_cut_text(uint32_t cut, char *buf, size_t cap)
{
	size_t n = 0;

	if (!cap)
		return buf;
	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(cut_names); i++)
		if (cut & (1U << i) && n < cap)
			n += (size_t)snprintf(buf + n, cap - n, "%s%s", n ? ", " : "",
					      cut_names[i]);
	return buf;
}

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

/*
 * At most cap bytes of a /proc file, cut at the last whole line when there
 * was more (*cut set). 0 or -errno; *out is the caller's to free.
 */
static int read_capped(const char *path, size_t cap, char **out, size_t *len, bool *cut)
{
	size_t n = 0;
	char *buf;
	int fd;

	*cut = false;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	buf = malloc(cap + 2);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (n < cap + 1) {
		ssize_t r = read(fd, buf + n, cap + 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int err = -errno;

			close(fd);
			free(buf);
			return err;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (n > cap) {
		*cut = true;
		n = cap;
		while (n && buf[n - 1] != '\n')
			n--;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

/* A mount at or under the busy path in the caller's view. */
struct target_mount {
	int mount_id;
	unsigned int major, minor;
	char root[MI_PATH_LEN];
};

struct scan {
	const char *root;
	const char *path;
	struct identity_table *ids;
	struct holders_limits lim;
	uint64_t deadline;
	uint32_t cut;
	struct holder *out;
	int max;
	int n;
	uint64_t *seen; /* mount namespaces read */
	uint32_t nseen;
	uint32_t visited; /* processes in this pass */
	struct mount_entry m;
	struct target_mount targets[MAX_TARGETS];
	int ntargets;
	/* the busy path itself, as the monitor opened it */
	bool have_file;
	struct safepath_stat file;
};

static bool out_of_time(struct scan *s)
{
	if (s->cut & HOLDERS_CUT_TIME)
		return true;
	if ((uint64_t)clock_ns(CLOCK_MONOTONIC) < s->deadline)
		return false;
	s->cut |= HOLDERS_CUT_TIME;
	return true;
}

static void holder_from(struct scan *s, struct holder *h, uint64_t mntns, uint32_t pid)
{
	struct proc_status st;

	memset(h, 0, sizeof(*h));
	set(h->kind, sizeof(h->kind), "mount");
	set(h->mount_point, sizeof(h->mount_point), s->m.mount_point);
	set(h->source, sizeof(h->source), s->m.source);
	set(h->fstype, sizeof(h->fstype), s->m.fstype);
	h->mount_namespace = mntns;
	h->pid = pid;
	if (!procfs_read_status(s->root, (int)pid, &st))
		set(h->comm, sizeof(h->comm), st.name);
	h->in_container = process_container(s->root, pid, s->ids, &h->container);
}

static bool seen_mount(const struct scan *s, uint64_t mntns)
{
	const struct mount_entry *m = &s->m;

	for (int i = 0; i < s->n; i++)
		if (s->out[i].mount_namespace == mntns &&
		    !strncmp(s->out[i].mount_point, m->mount_point,
			     sizeof(s->out[i].mount_point)) &&
		    !strncmp(s->out[i].source, m->source, sizeof(s->out[i].source)))
			return true;
	return false;
}

/*
 * In the caller's namespace, a mount at or under the path (the caller is a
 * runtime: its view is the kernel's text of its own mounts). In any other,
 * a mount of the same device and root as one of those: the path text of a
 * tenant's namespace says nothing.
 */
static bool mount_matches(struct scan *s, bool caller)
{
	const struct mount_entry *m = &s->m;

	if (caller)
		return at_or_under(m->mount_point, s->path);
	for (int i = 0; i < s->ntargets; i++)
		if (s->targets[i].major == m->major && s->targets[i].minor == m->minor &&
		    !strcmp(s->targets[i].root, m->root))
			return true;
	return false;
}

/* Add the mounts of pid's mount namespace that hold the path. */
static int scan_pid(struct scan *s, uint32_t pid, bool caller)
{
	char file[PATH_MAX], *buf = NULL, *line, *save = NULL;
	uint64_t mntns = 0;
	size_t len;
	bool cut;

	if (procfs_ns(s->root, (int)pid, "mnt", &mntns))
		return 0;
	for (uint32_t i = 0; i < s->nseen; i++)
		if (s->seen[i] == mntns)
			return 0;
	if (s->nseen == s->lim.max_namespaces) {
		s->cut |= HOLDERS_CUT_NAMESPACES;
		return 1;
	}
	s->seen[s->nseen++] = mntns;
	if (!caller && !s->ntargets)
		return 0; /* nothing to compare with */
	snprintf(file, sizeof(file), "%s/proc/%u/mountinfo", s->root, pid);
	if (read_capped(file, s->lim.max_mountinfo, &buf, &len, &cut))
		return 0; /* gone meanwhile */
	if (cut)
		s->cut |= HOLDERS_CUT_MOUNTINFO;
	for (line = strtok_r(buf, "\n", &save); line && s->n < s->max;
	     line = strtok_r(NULL, "\n", &save)) {
		if (mountinfo_parse_line(line, &s->m) || !mount_matches(s, caller))
			continue;
		if (seen_mount(s, mntns))
			continue; /* stacked mounts of one thing: listed once */
		if (caller && s->ntargets < MAX_TARGETS) {
			struct target_mount *t = &s->targets[s->ntargets++];

			t->mount_id = s->m.mount_id;
			t->major = s->m.major;
			t->minor = s->m.minor;
			set(t->root, sizeof(t->root), s->m.root);
		}
		holder_from(s, &s->out[s->n++], mntns, pid);
	}
	free(buf);
	return 0;
}

static int scan_other(int pid, void *ctx)
{
	struct scan *s = ctx;

	if (s->n >= s->max || out_of_time(s))
		return 1;
	if (s->visited++ == s->lim.max_procs) {
		s->cut |= HOLDERS_CUT_PROCS;
		return 1;
	}
	return scan_pid(s, (uint32_t)pid, false);
}

/* What a /proc link leads to: stat()ed, never opened. */
static bool link_holds(struct scan *s, const char *link)
{
	struct statx sx;

	if (statx(AT_FDCWD, link, AT_STATX_DONT_SYNC, STATX_INO | STATX_MNT_ID, &sx))
		return false;
	if (sx.stx_mask & STATX_MNT_ID)
		for (int i = 0; i < s->ntargets; i++)
			if ((uint64_t)s->targets[i].mount_id == sx.stx_mnt_id)
				return true;
	if (s->have_file && sx.stx_dev_major == s->file.dev_major &&
	    sx.stx_dev_minor == s->file.dev_minor) {
		/* what is mounted at the busy path: anything on that mount */
		if (s->file.mount_root && s->file.mnt_id && sx.stx_mask & STATX_MNT_ID)
			return sx.stx_mnt_id == s->file.mnt_id;
		/* else: the very file or directory */
		return sx.stx_ino == s->file.ino;
	}
	return false;
}

/* Whether a line of /proc/PID/maps maps a file on what holds the path. */
static bool map_holds(const struct scan *s, const char *line)
{
	unsigned int major, minor;
	unsigned long long ino;

	if (sscanf(line, "%*s %*s %*s %x:%x %llu", &major, &minor, &ino) != 3 || !ino)
		return false;
	for (int i = 0; i < s->ntargets; i++)
		/* a whole filesystem mounted there: its device names nothing else */
		if (s->targets[i].major == major && s->targets[i].minor == minor &&
		    !strcmp(s->targets[i].root, "/"))
			return true;
	/* else the very file */
	return s->have_file && major == s->file.dev_major && minor == s->file.dev_minor &&
	       ino == s->file.ino;
}

/* A process's cwd, root, open files and mappings on what holds the path. */
static const char *uses_path(struct scan *s, int pid)
{
	static const char *const links[] = {"cwd", "root"};
	char file[PATH_MAX], link[PATH_MAX + 300];
	char *buf = NULL, *line, *save = NULL;
	struct dirent *de;
	uint32_t nfds = 0;
	size_t len;
	bool cut;
	DIR *d;

	for (size_t i = 0; i < ARRAY_SIZE(links); i++) {
		snprintf(file, sizeof(file), "%s/proc/%d/%s", s->root, pid, links[i]);
		if (link_holds(s, file))
			return links[i];
	}
	snprintf(file, sizeof(file), "%s/proc/%d/fd", s->root, pid);
	d = opendir(file);
	if (d) {
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			if (nfds++ == s->lim.max_fds) {
				s->cut |= HOLDERS_CUT_FDS;
				break;
			}
			if (!(nfds & 63) && out_of_time(s))
				break;
			snprintf(link, sizeof(link), "%s/%s", file, de->d_name);
			if (link_holds(s, link)) {
				closedir(d);
				return "open";
			}
		}
		closedir(d);
	}
	snprintf(file, sizeof(file), "%s/proc/%d/maps", s->root, pid);
	if (read_capped(file, s->lim.max_maps, &buf, &len, &cut))
		return NULL;
	if (cut)
		s->cut |= HOLDERS_CUT_MAPS;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (map_holds(s, line)) {
			free(buf);
			return "map";
		}
	free(buf);
	return NULL;
}

static int user_cb(int pid, void *ctx)
{
	struct scan *s = ctx;
	struct holder *h;
	struct proc_status st;
	const char *kind;

	if (s->n >= s->max || out_of_time(s))
		return 1;
	if (s->visited++ == s->lim.max_procs) {
		s->cut |= HOLDERS_CUT_PROCS;
		return 1;
	}
	kind = uses_path(s, pid);
	if (!kind)
		return 0;
	h = &s->out[s->n++];
	memset(h, 0, sizeof(*h));
	set(h->kind, sizeof(h->kind), kind);
	set(h->mount_point, sizeof(h->mount_point), s->path);
	h->pid = (uint32_t)pid;
	if (!procfs_read_status(s->root, pid, &st))
		set(h->comm, sizeof(h->comm), st.name);
	procfs_ns(s->root, pid, "mnt", &h->mount_namespace);
	h->in_container = process_container(s->root, (uint32_t)pid, s->ids, &h->container);
	return 0;
}

static void limits(struct holders_limits *l, const struct holders_limits *given)
{
	memset(l, 0, sizeof(*l));
	if (given)
		*l = *given;
	if (!l->max_procs)
		l->max_procs = DEF_MAX_PROCS;
	if (!l->max_fds)
		l->max_fds = DEF_MAX_FDS;
	if (!l->max_namespaces)
		l->max_namespaces = DEF_MAX_NAMESPACES;
	if (!l->max_mountinfo)
		l->max_mountinfo = DEF_MAX_MOUNTINFO;
	if (!l->max_maps)
		l->max_maps = DEF_MAX_MAPS;
	if (!l->budget_ns)
		l->budget_ns = DEF_BUDGET_NS;
}

int holders_find(const struct holders_opts *o, uint32_t caller_pid, const char *path,
		 struct identity_table *ids, struct holder *out, int max, uint32_t *cut)
{
	struct scan *s;
	int err = 0, fd, n;

	if (cut)
		*cut = 0;
	if (max <= 0)
		return 0;
	if (safepath_check(path)) {
		if (cut)
			*cut = HOLDERS_CUT_PATH;
		return 0;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->root = o->root ? o->root : "";
	s->path = path;
	s->ids = ids;
	s->out = out;
	s->max = max;
	limits(&s->lim, o->limits);
	s->deadline = (uint64_t)clock_ns(CLOCK_MONOTONIC) + s->lim.budget_ns;
	s->seen = calloc(s->lim.max_namespaces, sizeof(*s->seen));
	if (!s->seen) {
		free(s);
		return -ENOMEM;
	}
	/* the busy path by device and inode, opened without following a symlink */
	fd = safepath_open(s->root, o->trusted, o->ntrusted, path);
	if (fd >= 0) {
		s->have_file = !safepath_stat(fd, &s->file);
		close(fd);
	} else if (fd != -ENOENT) {
		s->cut |= HOLDERS_CUT_PATH;
	}
	/*
	 * The caller's namespace first: what it sees mounted there is what made
	 * its call fail. Other namespaces count when they mount the same device
	 * and root (paths in them are not comparable).
	 */
	err = scan_pid(s, caller_pid, true);
	if (err > 0)
		err = 0;
	if (!err) {
		s->visited = 0;
		procfs_for_each_pid(s->root, scan_other, s);
	}
	if (!err && s->n < max && (s->ntargets || s->have_file) && !out_of_time(s)) {
		/*
		 * A filesystem that fails to unmount is busy with a process's
		 * cwd, root, open file or mapping on it.
		 */
		s->visited = 0;
		procfs_for_each_pid(s->root, user_cb, s);
	}
	n = s->n;
	if (cut)
		*cut = s->cut;
	free(s->seen);
	free(s);
	return err ? err : n;
}

int file_attributes(const char *root, const char *const *trusted, int ntrusted, const char *path,
		    bool *immutable, bool *append_only)
{
	return safepath_attributes(root, trusted, ntrusted, path, immutable, append_only);
}
