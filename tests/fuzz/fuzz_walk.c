// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The directory walks over /proc, a cgroup hierarchy and runtime storage
 * (procfs_for_each_pid, procfs_tasks_in_pidns, procfs_ancestry,
 * identity_scan, identity_find), on a fixture tree the input lays out under
 * the scratch root: only what the last input made is removed before the
 * next, so a reset costs what the input built.
 *
 * Input: entries separated by a line "--8<--", each a kind byte, a name up
 * to the first newline, then the content:
 *   s  proc/NAME/status         (content: the file)
 *   n  proc/NAME/ns/pid         (a symlink to the content's first line)
 *   x  proc/NAME                (a regular file, not a directory)
 *   c  sys/fs/cgroup/NAME       (a directory; NAME may hold '/')
 *   l  sys/fs/cgroup/NAME       (a symlink to the content)
 *   d  var/lib/docker/containers/NAME/config.v2.json (content: the file)
 *   k  run/containerd/io.containerd.runtime.v2.task/NAME (a directory; NAME may hold '/')
 * Names with an empty, "." or ".." component are left out.
 *
 * Checked: the pid walk gives every directory of proc/ named by a decimal
 * pid from 1 to INT_MAX with no leading zero, once, and nothing else; an
 * ancestry is at most its max, starts at its pid, repeats no pid and ends
 * its names; a pid namespace's tasks are pids of the walk whose ns/pid
 * link names that namespace; the cgroup walk gives real directories (no
 * symlink on the way, the same device), each once, with their inode as id,
 * every path one identity_parse_cgroup() accepts, and every such directory
 * of the tree up to depth 8; identity_find names a container directory
 * that is there; a containerd container's storage paths (its task
 * directory in every namespace directory) are absolute, clean, distinct,
 * at most STORAGE_PATHS_MAX, and the task directories among them are
 * directories of the tree, one for each namespace that has it (each one
 * named by letters and digits at least).
 */
#include <dirent.h>
#include <limits.h>

#include "fuzz.h"
#include "identity/identity.h"
#include "host/procfs.h"
#include "identity/storage.h"

#define TASKS "/run/containerd/io.containerd.runtime.v2.task"

#define MAX_ENTRIES 64
#define MAX_MADE    512
#define MAX_SEEN    1024

/* What this input made, in order, to be removed in reverse. */
static char *made[MAX_MADE];
static int nmade;

static void reset(void)
{
	char path[PATH_MAX];

	while (nmade > 0) {
		nmade--;
		snprintf(path, sizeof(path), "%s/%s", fuzz_root(), made[nmade]);
		/* what was made past MAX_MADE was not noted: remove it with its directory */
		if (remove(path) && errno == ENOTEMPTY)
			nftw(path, fuzz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
		if (!access(path, F_OK) || errno != ENOENT)
			fuzz_fail("cannot remove %s", path);
		free(made[nmade]);
	}
}

static void note_made(const char *rel)
{
	if (nmade == MAX_MADE)
		return;
	made[nmade] = strdup(rel);
	if (!made[nmade])
		fuzz_fail("out of memory");
	nmade++;
}

/*
 * mkdir -p of rel's parents and rel itself when dir; each new one noted.
 * False when one of them is there as something else than a directory: a
 * file, or a link the input made, which must never be followed out of the
 * scratch root.
 */
static bool make_dirs(const char *rel, bool last_too)
{
	char path[PATH_MAX], sub[PATH_MAX];
	size_t rl = strlen(fuzz_root()) + 1;
	struct stat st;

	if (snprintf(path, sizeof(path), "%s/%s", fuzz_root(), rel) >= (int)sizeof(path))
		return false;
	for (char *s = path + rl;; s++) {
		if (*s != '/' && *s)
			continue;
		if (!*s && !last_too)
			break;
		char c = *s;

		*s = '\0';
		if (!mkdir(path, 0755)) {
			snprintf(sub, sizeof(sub), "%s", path + rl);
			note_made(sub);
		} else if (errno != EEXIST || lstat(path, &st) || !S_ISDIR(st.st_mode)) {
			return false;
		}
		*s = c;
		if (!c)
			break;
	}
	return true;
}

static bool clean_name(const char *s, size_t n, bool slashes)
{
	if (!n || n > 255)
		return false;
	for (size_t i = 0, start = 0; i <= n; i++) {
		if (i < n && !s[i])
			return false;
		if (i < n && s[i] != '/')
			continue;
		if (i < n && !slashes)
			return false;
		if (i == start || (i - start == 1 && s[start] == '.') ||
		    (i - start == 2 && s[start] == '.' && s[start + 1] == '.'))
			return false;
		start = i + 1;
	}
	return true;
}

static void put_file(const char *rel, const char *p, size_t n)
{
	char path[PATH_MAX];
	struct stat st;

	if (!make_dirs(rel, false))
		return;
	/* the input may name a path twice, first as a directory or a link: that one stays */
	snprintf(path, sizeof(path), "%s/%s", fuzz_root(), rel);
	if (!lstat(path, &st) && !S_ISREG(st.st_mode))
		return;
	fuzz_put(rel, p, n);
	note_made(rel);
}

static void put_link(const char *rel, const char *target)
{
	char path[PATH_MAX];

	if (!make_dirs(rel, false))
		return;
	snprintf(path, sizeof(path), "%s/%s", fuzz_root(), rel);
	if (!symlink(target, path))
		note_made(rel);
}

/* ---- the checks ---- */

static struct {
	int pid[MAX_SEEN];
	int n;
} pids;

static int on_pid(int pid, void *ctx)
{
	(void)ctx;
	if (pids.n < MAX_SEEN)
		pids.pid[pids.n++] = pid;
	return 0;
}

/* Whether the name is a pid as /proc shows one. */
static bool pid_name(const char *s, int *pid)
{
	long long v = 0;

	if (!*s || *s == '0' || strlen(s) > 10)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (*s - '0');
	}
	if (v > INT_MAX)
		return false;
	*pid = (int)v;
	return true;
}

static void check_pids(const char *root)
{
	char path[PATH_MAX];
	struct dirent *e;
	int want = 0, pid, err;
	DIR *d;

	pids.n = 0;
	err = procfs_for_each_pid(root, on_pid, NULL);
	if (err)
		fuzz_fail("procfs_for_each_pid: %d", err);
	snprintf(path, sizeof(path), "%s/proc", root);
	d = opendir(path);
	if (!d)
		fuzz_fail("opendir %s", path);
	while ((e = readdir(d))) {
		struct stat st;
		int found = 0;

		if (!pid_name(e->d_name, &pid) || fstatat(dirfd(d), e->d_name, &st, 0) ||
		    !S_ISDIR(st.st_mode))
			continue;
		want++;
		for (int i = 0; i < pids.n; i++)
			found += pids.pid[i] == pid;
		if (found != 1)
			fuzz_fail("pid %d of proc/ given %d times", pid, found);
	}
	closedir(d);
	if (want != pids.n)
		fuzz_fail("the pid walk gave %d pids, proc/ holds %d", pids.n, want);
}

static void check_ancestry(const char *root)
{
	struct proc_ancestor out[8];

	for (int i = 0; i < pids.n && i < 16; i++) {
		int n = procfs_ancestry(root, pids.pid[i], out, 1 + i % 8);

		if (n > 1 + i % 8)
			fuzz_fail("ancestry of %d: %d entries, max %d", pids.pid[i], n, 1 + i % 8);
		if (n > 0 && out[0].pid != pids.pid[i])
			fuzz_fail("ancestry of %d starts at %d", pids.pid[i], out[0].pid);
		for (int a = 0; a < n; a++) {
			if (out[a].pid <= 0 ||
			    strnlen(out[a].comm, sizeof(out[a].comm)) == sizeof(out[a].comm))
				fuzz_fail("ancestry of %d: entry %d", pids.pid[i], a);
			for (int b = 0; b < a; b++)
				if (out[a].pid == out[b].pid)
					fuzz_fail("ancestry of %d repeats %d", pids.pid[i],
						  out[a].pid);
		}
	}
}

static struct {
	int pid[MAX_SEEN];
	int n;
} in_ns;

static int on_ns_pid(int pid, void *ctx)
{
	(void)ctx;
	if (in_ns.n < MAX_SEEN)
		in_ns.pid[in_ns.n++] = pid;
	return 0;
}

static void check_pidns(const char *root, uint64_t inode)
{
	in_ns.n = 0;
	procfs_tasks_in_pidns(root, inode, on_ns_pid, NULL);
	for (int i = 0; i < in_ns.n; i++) {
		uint64_t got = 0;
		bool known = false;

		for (int k = 0; k < pids.n; k++)
			known |= pids.pid[k] == in_ns.pid[i];
		if (!known || procfs_ns(root, in_ns.pid[i], "pid", &got) || got != inode)
			fuzz_fail("pid %d is not in pid namespace %llu", in_ns.pid[i],
				  (unsigned long long)inode);
	}
}

static struct {
	char *path[MAX_SEEN];
	uint64_t id[MAX_SEEN];
	int n;
} cgs;

static int on_cgroup(uint64_t id, const char *path, void *ctx)
{
	(void)ctx;
	if (cgs.n < MAX_SEEN) {
		cgs.path[cgs.n] = strdup(path);
		cgs.id[cgs.n++] = id;
	}
	return 0;
}

/* Directories of the tree below dir (relative path rel) the walk must give. */
static void expect_cgroups(const char *mount, char *rel, size_t len, int depth, dev_t dev)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "%s%s", mount, rel);
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d))) {
		struct stat st;
		size_t n = strlen(e->d_name);
		int found = 0;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || len + 1 + n >= 4096 ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		    !S_ISDIR(st.st_mode) || st.st_dev != dev)
			continue;
		rel[len] = '/';
		memcpy(rel + len + 1, e->d_name, n + 1);
		if (identity_parse_cgroup(rel, NULL)) {
			for (int i = 0; i < cgs.n; i++)
				found += !strcmp(cgs.path[i], rel);
			if (found != 1)
				fuzz_fail("cgroup %s given %d times", rel, found);
		}
		if (depth < 8)
			expect_cgroups(mount, rel, len + 1 + n, depth + 1, dev);
		rel[len] = '\0';
	}
	closedir(d);
}

static void check_cgroups(const char *root)
{
	static char rel[4096];
	char mount[PATH_MAX], path[PATH_MAX * 2];
	struct stat st, mst;

	snprintf(mount, sizeof(mount), "%s/sys/fs/cgroup", root);
	cgs.n = 0;
	if (identity_scan(mount, NULL, on_cgroup, NULL))
		fuzz_fail("identity_scan failed");
	if (stat(mount, &mst))
		fuzz_fail("stat %s", mount);
	for (int i = 0; i < cgs.n; i++) {
		const char *p = cgs.path[i];

		if (p[0] != '/' || !identity_parse_cgroup(p, NULL))
			fuzz_fail("identity_scan gave %s", p);
		/* every component a real directory: no symlink followed */
		for (const char *s = p + 1;; s++) {
			if (*s && *s != '/')
				continue;
			snprintf(path, sizeof(path), "%s%.*s", mount, (int)(s - p), p);
			if (lstat(path, &st) || !S_ISDIR(st.st_mode) || st.st_dev != mst.st_dev)
				fuzz_fail("identity_scan went through %s, not a directory", path);
			if (!*s)
				break;
		}
		if (st.st_ino != cgs.id[i])
			fuzz_fail("identity_scan gave %s the id %llu, its inode is %llu", p,
				  (unsigned long long)cgs.id[i], (unsigned long long)st.st_ino);
		for (int k = 0; k < i; k++)
			if (!strcmp(cgs.path[k], p))
				fuzz_fail("identity_scan gave %s twice", p);
	}
	rel[0] = '\0';
	expect_cgroups(mount, rel, 0, 1, mst.st_dev);
	for (int i = 0; i < cgs.n; i++)
		free(cgs.path[i]);
}

static void check_find(const char *root, const char *what)
{
	struct container c;
	char path[PATH_MAX];
	struct stat st;
	int err;

	memset(&c, 0, sizeof(c));
	err = identity_find(root, what, &c);
	if (err && err != -ENOENT && err != -EEXIST)
		fuzz_fail("identity_find(%s): %d", what, err);
	if (strnlen(c.id, sizeof(c.id)) == sizeof(c.id) ||
	    strnlen(c.name, sizeof(c.name)) == sizeof(c.name))
		fuzz_fail("identity_find: strings not terminated");
	if (err)
		return;
	snprintf(path, sizeof(path), "%s/var/lib/docker/containers/%s", root, c.id);
	if (c.runtime == RUNTIME_DOCKER &&
	    (!identity_is_hex_id(c.id, strlen(c.id)) || stat(path, &st) || !S_ISDIR(st.st_mode)))
		fuzz_fail("identity_find(%s) found %s, which is no container directory", what,
			  c.id);
}

static void check_storage(const char *root, const char *id)
{
	static char paths[STORAGE_PATHS_MAX][STORAGE_PATH_LEN];
	struct container c = {.runtime = RUNTIME_CONTAINERD};
	char path[PATH_MAX];
	struct dirent *e;
	struct stat st;
	int n, want = 0, all = 0, tasks = 0;
	DIR *d;

	snprintf(c.id, sizeof(c.id), "%s", id);
	n = storage_paths(root, &c, paths, STORAGE_PATHS_MAX);
	if (n > STORAGE_PATHS_MAX)
		fuzz_fail("storage_paths: %d paths", n);
	for (int i = 0; i < n; i++) {
		const char *p = paths[i];

		if (strnlen(p, STORAGE_PATH_LEN) == STORAGE_PATH_LEN || p[0] != '/' ||
		    !clean_name(p + 1, strlen(p + 1), true))
			fuzz_fail("storage_paths gave \"%.200s\"", p);
		for (int k = 0; k < i; k++)
			if (!strcmp(paths[k], p))
				fuzz_fail("storage_paths gave %s twice", p);
		if (!strncmp(p, TASKS "/", strlen(TASKS) + 1)) {
			snprintf(path, sizeof(path), "%s%s", root, p);
			if (lstat(path, &st) || !S_ISDIR(st.st_mode))
				fuzz_fail("storage_paths gave %s, not a directory of the tree", p);
			tasks++;
		}
	}
	/* every namespace directory that has the task directory (none is cut by the bounds here) */
	snprintf(path, sizeof(path), "%s" TASKS, root);
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d))) {
		char sub[PATH_MAX];
		/* surely an identifier: letters and digits alone (containerd allows more) */
		bool plain = e->d_name[0] && strlen(e->d_name) <= 76;

		for (const char *q = e->d_name; *q && plain; q++)
			plain = (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
				(*q >= '0' && *q <= '9');
		snprintf(sub, sizeof(sub), "%s/%s/%s", path, e->d_name, id);
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && !lstat(sub, &st) &&
		    S_ISDIR(st.st_mode)) {
			all++;
			want += plain;
		}
	}
	closedir(d);
	if (tasks > all || (all <= 8 && n < STORAGE_PATHS_MAX && tasks < want))
		fuzz_fail("storage_paths gave %d task directories, the tree has %d (%d plain)",
			  tasks, all, want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *sep = FUZZ_SEP;
	char rel[PATH_MAX], target[256], what[256] = "";
	const char *root = fuzz_root();
	char task_id[65] = "3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a";
	uint64_t inode = 0;
	int n = 0;

	static bool bases;

	reset();
	if (!bases) {
		/* made once, kept: not noted */
		fuzz_put("proc/.keep", "", 0);
		fuzz_put("sys/fs/cgroup/.keep", "", 0);
		fuzz_put("var/lib/docker/containers/.keep", "", 0);
		fuzz_put("run/containerd/io.containerd.runtime.v2.task/.keep", "", 0);
		bases = true;
	}
	while (p < end && n++ < MAX_ENTRIES) {
		const char *cut = memmem(p, (size_t)(end - p), sep, strlen(sep));
		const char *e = cut ? cut : end, *nl;
		size_t nlen, clen;
		char kind;

		kind = *p++;
		nl = memchr(p, '\n', (size_t)(e > p ? e - p : 0));
		nlen = nl ? (size_t)(nl - p) : (size_t)(e > p ? e - p : 0);
		clen = nl ? (size_t)(e - nl - 1) : 0;
		if (clean_name(p, nlen, kind == 'c' || kind == 'l' || kind == 'k')) {
			const char *content = nl ? nl + 1 : "";
			size_t tl = strnlen(content,
					    clen < sizeof(target) - 1 ? clen : sizeof(target) - 1);

			memcpy(target, content, tl);
			target[tl] = '\0';
			if (strchr(target, '\n'))
				*strchr(target, '\n') = '\0';
			switch (kind) {
			case 's':
				snprintf(rel, sizeof(rel), "proc/%.*s/status", (int)nlen, p);
				put_file(rel, content, clen);
				break;
			case 'n':
				snprintf(rel, sizeof(rel), "proc/%.*s/ns/pid", (int)nlen, p);
				put_link(rel, target);
				if (!inode && !strncmp(target, "pid:[", 5))
					inode = strtoull(target + 5, NULL, 10);
				break;
			case 'x':
				snprintf(rel, sizeof(rel), "proc/%.*s", (int)nlen, p);
				put_file(rel, content, clen);
				break;
			case 'c':
				snprintf(rel, sizeof(rel), "sys/fs/cgroup/%.*s", (int)nlen, p);
				make_dirs(rel, true);
				break;
			case 'l':
				snprintf(rel, sizeof(rel), "sys/fs/cgroup/%.*s", (int)nlen, p);
				put_link(rel, target);
				break;
			case 'k':
				snprintf(rel, sizeof(rel),
					 "run/containerd/io.containerd.runtime.v2.task/%.*s",
					 (int)nlen, p);
				make_dirs(rel, true);
				/* the id: the last component, when it is one */
				if (nlen >= 64 && identity_is_hex_id(p + nlen - 64, 64) &&
				    (nlen == 64 || p[nlen - 65] == '/'))
					memcpy(task_id, p + nlen - 64, 64);
				break;
			case 'd':
				snprintf(rel, sizeof(rel),
					 "var/lib/docker/containers/%.*s/config.v2.json", (int)nlen,
					 p);
				put_file(rel, content, clen);
				if (!what[0])
					snprintf(what, sizeof(what), "%.*s",
						 (int)(nlen < 12 ? nlen : 12), p);
				break;
			}
		}
		p = cut ? cut + strlen(sep) : end;
	}
	check_pids(root);
	check_ancestry(root);
	if (inode)
		check_pidns(root, inode);
	check_cgroups(root);
	if (what[0])
		check_find(root, what);
	check_storage(root, task_id);
	return 0;
}
