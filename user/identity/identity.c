// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Container identity from cgroups: which runtime made a cgroup path and
 * which container it is, and the walk that finds every container cgroup of
 * a mounted hierarchy. Paths and directory entries read here belong to the
 * host's tenants: every length is checked and every copy is bounded and
 * NUL-terminated.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "identity/identity.h"
#include "identity/identity_int.h"
#include "identity/runtimes.h"
#include "lib/readfile.h"

#define LXC_NAME_MAX   127
#define SCAN_MAX_DEPTH 16
#define LEAF_MAX_DEPTH 24 /* a container's own cgroup is at most this deep */

/* ---- cgroup paths ---- */

bool identity_is_hex_id(const char *s, size_t n)
{
	size_t i;

	if (n != HEX_ID_LEN)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool is_lxc_name(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > LXC_NAME_MAX || (s[0] == '.' && (n == 1 || (n == 2 && s[1] == '.'))))
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static bool has_prefix(const char *c, size_t n, const char *prefix)
{
	size_t pl = strlen(prefix);

	return n >= pl && memcmp(c, prefix, pl) == 0;
}

static bool has_suffix(const char *c, size_t n, const char *suffix)
{
	size_t sl = strlen(suffix);

	return n >= sl && memcmp(c + n - sl, suffix, sl) == 0;
}

/* Component c is exactly prefix + an id of kind + suffix; *id, *id_len: the id. */
static bool match_leaf(const char *c, size_t n, const char *prefix, const char *suffix,
		       enum rt_id_kind kind, const char **id, size_t *id_len)
{
	size_t pl = strlen(prefix), sl = strlen(suffix);

	if (n <= pl + sl || !has_prefix(c, n, prefix) || !has_suffix(c, n, suffix))
		return false;
	if (kind == RT_ID_HEX ? !identity_is_hex_id(c + pl, n - pl - sl)
			      : !is_lxc_name(c + pl, n - pl - sl))
		return false;
	*id = c + pl;
	*id_len = n - pl - sl;
	return true;
}

struct comp {
	const char *p;
	size_t n;
};

/* The next component of the path at *p into c, slashes skipped; false at its end. */
static bool next_comp(const char **p, struct comp *c)
{
	while (**p == '/')
		(*p)++;
	if (!**p)
		return false;
	c->p = *p;
	while (**p && **p != '/')
		(*p)++;
	c->n = *p - c->p;
	return true;
}

/* One component against one of a parent pattern's: "%h" in it is a hex id. */
static bool comp_matches(const struct comp *c, const char *pat, size_t pn)
{
	const char *h = memmem(pat, pn, "%h", 2);
	char pre[64], suf[64];
	const char *id;
	size_t idn;

	if (!h)
		return c->n == pn && !memcmp(c->p, pat, pn);
	if ((size_t)(h - pat) >= sizeof(pre) || pn - (h - pat) - 2 >= sizeof(suf))
		return false;
	snprintf(pre, sizeof(pre), "%.*s", (int)(h - pat), pat);
	snprintf(suf, sizeof(suf), "%.*s", (int)(pn - (h - pat) - 2), h + 2);
	return match_leaf(c->p, c->n, pre, suf, RT_ID_HEX, &id, &idn);
}

/* A Kubernetes pod uid: hex digits and sep, given back with dashes. */
static bool pod_uid(const char *u, size_t n, char sep, char uid[POD_UID_MAX + 1])
{
	size_t i;

	if (n == 0 || n > POD_UID_MAX)
		return false;
	for (i = 0; i < n; i++) {
		if ((u[i] >= '0' && u[i] <= '9') || (u[i] >= 'a' && u[i] <= 'f'))
			uid[i] = u[i];
		else if (u[i] == sep)
			uid[i] = '-';
		else
			return false;
	}
	uid[n] = '\0';
	return true;
}

static bool is_qos(const struct comp *c, const char *fmt)
{
	char a[40], b[40];

	snprintf(a, sizeof(a), fmt, "burstable");
	snprintf(b, sizeof(b), fmt, "besteffort");
	return (c->n == strlen(a) && !memcmp(c->p, a, c->n)) ||
	       (c->n == strlen(b) && !memcmp(c->p, b, c->n));
}

/*
 * Whether the n components at c are exactly a Kubernetes pod cgroup:
 * /kubepods[/<qos>]/pod<uid> (cgroupfs driver) or
 * /kubepods.slice[/kubepods-<qos>.slice]/kubepods[-<qos>]-pod<uid>.slice
 * (systemd driver, which writes the uid's dashes as underscores).
 */
static bool is_pod_parent(const struct comp *c, size_t n, char uid[POD_UID_MAX + 1])
{
	const struct comp *last;
	char pre[64];

	if (n < 2 || n > 3)
		return false;
	last = &c[n - 1];
	if (c[0].n == 8 && !memcmp(c[0].p, "kubepods", 8)) {
		if (n == 3 && !is_qos(&c[1], "%s"))
			return false;
		return has_prefix(last->p, last->n, "pod") &&
		       pod_uid(last->p + 3, last->n - 3, '-', uid);
	}
	if (c[0].n != 14 || memcmp(c[0].p, "kubepods.slice", 14))
		return false;
	if (n == 3) {
		if (!is_qos(&c[1], "kubepods-%s.slice"))
			return false;
		snprintf(pre, sizeof(pre), "%.*s-pod", (int)(c[1].n - 6), c[1].p);
	} else {
		snprintf(pre, sizeof(pre), "kubepods-pod");
	}
	if (last->n < strlen(pre) + 6 || !has_prefix(last->p, last->n, pre) ||
	    !has_suffix(last->p, last->n, ".slice"))
		return false;
	return pod_uid(last->p + strlen(pre), last->n - strlen(pre) - 6, '_', uid);
}

/* Whether the n components at c are parent (a pattern of runtimes.h). */
static bool parent_matches(const struct comp *c, size_t n, const char *parent,
			   char uid[POD_UID_MAX + 1])
{
	const char *p = parent;
	struct comp pc;
	size_t i = 0;

	uid[0] = '\0';
	if (!strcmp(parent, "@pod"))
		return is_pod_parent(c, n, uid);
	while (next_comp(&p, &pc)) {
		if (i == n || !comp_matches(&c[i], pc.p, pc.n))
			return false;
		i++;
	}
	return i == n;
}

/* systemd's delegation to a user: user@<uid>.service. Nothing below it is a container. */
static bool is_delegated_name(const struct comp *c)
{
	return has_prefix(c->p, c->n, "user@") && has_suffix(c->p, c->n, ".service");
}

/* Whether root + dir + "/" + the id is a directory (not a symlink). */
static bool state_knows(const char *root, const char *dir, const char *id, size_t id_len)
{
	char path[PATH_MAX];
	struct stat st;

	if (!identity_is_hex_id(id, id_len))
		return false;
	if (snprintf(path, sizeof(path), "%s/%s/%.*s", root, dir, (int)id_len, id) >=
	    (int)sizeof(path))
		return false;
	return !lstat(path, &st) && S_ISDIR(st.st_mode);
}

int identity_task_dir(const char *root, const struct runtime_info *rt, const char *ns,
		      size_t ns_len, const char *id, size_t id_len, char *buf, size_t size)
{
	struct stat st;

	if (!runtimes_is_containerd_id(ns, ns_len) || !runtimes_is_containerd_id(id, id_len))
		return -ENOENT;
	for (size_t i = 0; i < RT_PATHS_MAX && rt->task_dirs[i]; i++) {
		if (meta_root_path(buf, size, root, "%s/%.*s/%.*s", rt->task_dirs[i], (int)ns_len,
				   ns, (int)id_len, id))
			continue;
		if (!lstat(buf, &st) && S_ISDIR(st.st_mode))
			return 0;
	}
	return -ENOENT;
}

/* Set m to runtime rt's container id (id_len bytes at id), found in the path. */
static void set_match(struct cgroup_match *m, const struct runtime_info *rt, const char *id,
		      size_t id_len, const char *uid)
{
	m->runtime = rt->runtime;
	memcpy(m->id, id, id_len);
	m->id[id_len] = '\0';
	strcpy(m->pod_uid, uid);
}

/* Whether leaf c is one of a runtime's shapes under that shape's cgroup parent. */
static bool leaf_by_shape(const struct comp *parent, size_t n, const struct comp *c,
			  struct cgroup_match *m)
{
	const struct runtime_info *rts;
	char uid[POD_UID_MAX + 1];
	const char *id;
	size_t nrt, id_len;

	rts = runtimes_all(&nrt);
	for (size_t r = 0; r < nrt; r++) {
		for (size_t i = 0; i < RT_SHAPES_MAX && rts[r].shapes[i].parent; i++) {
			const struct rt_shape *sh = &rts[r].shapes[i];

			if (!match_leaf(c->p, c->n, sh->prefix, sh->suffix, sh->id_kind, &id,
					&id_len) ||
			    !parent_matches(parent, n, sh->parent, uid))
				continue;
			set_match(m, &rts[r], id, id_len, uid);
			return true;
		}
	}
	return false;
}

/* Whether leaf c is a known_leaf shape under the parent the host's configuration sets. */
static bool leaf_by_host_parent(const struct comp *parent, size_t n, const struct comp *c,
				struct cgroup_match *m)
{
	const struct runtime_info *rts;
	char uid[POD_UID_MAX + 1];
	const char *id, *hp;
	size_t nrt, id_len;

	rts = runtimes_all(&nrt);
	for (size_t r = 0; r < nrt; r++) {
		hp = rts[r].host_parent ? rts[r].host_parent() : "";
		if (!hp[0])
			continue;
		for (size_t i = 0; i < RT_PATHS_MAX && rts[r].known_leaf[i][0]; i++) {
			if (!match_leaf(c->p, c->n, rts[r].known_leaf[i][0],
					rts[r].known_leaf[i][1], RT_ID_HEX, &id, &id_len) ||
			    !parent_matches(parent, n, hp, uid))
				continue;
			set_match(m, &rts[r], id, id_len, uid);
			return true;
		}
	}
	return false;
}

/* Whether leaf c, anywhere, is a known_leaf shape whose id the runtime's state under root knows. */
static bool leaf_by_state(const struct comp *c, const char *root, struct cgroup_match *m)
{
	const struct runtime_info *rts;
	const char *id;
	size_t nrt, id_len;

	rts = runtimes_all(&nrt);
	for (size_t r = 0; r < nrt; r++) {
		if (!rts[r].known_dir)
			continue;
		for (size_t i = 0; i < RT_PATHS_MAX && rts[r].known_leaf[i][0]; i++) {
			if (!match_leaf(c->p, c->n, rts[r].known_leaf[i][0],
					rts[r].known_leaf[i][1], RT_ID_HEX, &id, &id_len) ||
			    !state_knows(root, rts[r].known_dir, id, id_len))
				continue;
			set_match(m, &rts[r], id, id_len, "");
			m->by_state = true;
			return true;
		}
	}
	return false;
}

/*
 * Whether leaf c under the one component ns, /<ns>/<id>, is a container a
 * runtime's task directory under root knows: <task_dir>/<ns>/<id>/.
 */
static bool leaf_by_task(const struct comp *parent, size_t n, const struct comp *c,
			 const char *root, struct cgroup_match *m)
{
	const struct runtime_info *rts;
	char path[PATH_MAX];
	size_t nrt;

	if (n != 1)
		return false;
	rts = runtimes_all(&nrt);
	for (size_t r = 0; r < nrt; r++) {
		if (!rts[r].task_dirs[0] ||
		    identity_task_dir(root, &rts[r], parent[0].p, parent[0].n, c->p, c->n, path,
				      sizeof(path)))
			continue;
		set_match(m, &rts[r], c->p, c->n, "");
		m->by_state = true;
		return true;
	}
	return false;
}

/*
 * Whether the leaf component c, below the n components at parent, is a
 * container: a runtime's shape under one of its cgroup parents, under the
 * parent the host's configuration sets, or (with a root) a leaf whose id
 * the runtime's own state knows, or a /<namespace>/<id> its task
 * directories know.
 */
static bool leaf_is_container(const struct comp *parent, size_t n, const struct comp *c,
			      const char *root, struct cgroup_match *m)
{
	return leaf_by_shape(parent, n, c, m) || leaf_by_host_parent(parent, n, c, m) ||
	       (root && (leaf_by_state(c, root, m) || leaf_by_task(parent, n, c, root, m)));
}

/* "0::/docker/<id>" or "4:memory:/docker/<id>" from /proc/PID/cgroup: the path. */
static const char *strip_proc_line(const char *s)
{
	const char *p = s;
	int colons = 0;

	if (*p == '/' || !(*p >= '0' && *p <= '9'))
		return s;
	while (*p >= '0' && *p <= '9')
		p++;
	for (; *p && *p != '/'; p++)
		if (*p == ':' && ++colons == 2)
			return p + 1;
	return s;
}

bool identity_container_of_cgroup(const char *path, struct container *c)
{
	struct cgroup_match cm;

	memset(c, 0, sizeof(*c));
	if (!identity_parse_cgroup(path, &cm))
		return false;
	identity_container_of_match(&cm, c);
	return true;
}

void identity_container_of_match(const struct cgroup_match *cm, struct container *c)
{
	memset(c, 0, sizeof(*c));
	c->runtime = cm->runtime;
	snprintf(c->id, sizeof(c->id), "%s", cm->id);
	snprintf(c->pod_uid, sizeof(c->pod_uid), "%s", cm->pod_uid);
	snprintf(c->cgroup, sizeof(c->cgroup), "%s", cm->cgroup);
}

bool identity_parse_cgroup(const char *path, struct cgroup_match *out)
{
	return identity_recognize(NULL, path, out);
}

bool identity_recognize(const char *root, const char *path, struct cgroup_match *out)
{
	struct cgroup_match m = {.runtime = RUNTIME_NONE};
	struct comp comps[LEAF_MAX_DEPTH];
	const char *p, *end;
	size_t n = 0, len = 0;
	bool found = false;

	if (out)
		memset(out, 0, sizeof(*out));
	if (!path)
		return false;
	p = strip_proc_line(path);
	end = p + strcspn(p, "\n");
	/* Outermost wins: the first component that is a container owns the rest. */
	while (p < end) {
		while (p < end && *p == '/')
			p++;
		if (p == end)
			break;
		if (found) {
			m.below = true;
			break;
		}
		if (n == LEAF_MAX_DEPTH)
			return false;
		comps[n].p = p;
		while (p < end && *p != '/')
			p++;
		comps[n].n = p - comps[n].p;
		if (leaf_is_container(comps, n, &comps[n], root, &m))
			found = true;
		else if (is_delegated_name(&comps[n]))
			return false;
		n++;
	}
	if (!found)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (len + 1 + comps[i].n >= sizeof(m.cgroup))
			return false;
		m.cgroup[len++] = '/';
		memcpy(m.cgroup + len, comps[i].p, comps[i].n);
		len += comps[i].n;
	}
	m.cgroup[len] = '\0';
	if (out)
		*out = m;
	return true;
}

/*
 * Whether nobody but root may create cgroups at or above the container
 * cgroup path inside the hierarchy mounted at mount_dir: every directory
 * from the mount down to it is owned by root and writable by no other user
 * (cgroup delegation chowns the delegated directory to its user).
 */
bool identity_cgroup_root_owned(const char *mount_dir, const char *path)
{
	const char *p = path;
	char name[NAME_MAX + 1];
	struct comp c;
	struct stat st;
	int fd, next;
	bool ok = true;

	fd = open(mount_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false;
	while (ok && next_comp(&p, &c)) {
		if (c.n > NAME_MAX || (c.n == 1 && c.p[0] == '.') ||
		    (c.n == 2 && c.p[0] == '.' && c.p[1] == '.')) {
			ok = false;
			break;
		}
		memcpy(name, c.p, c.n);
		name[c.n] = '\0';
		next = openat(fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = next;
		if (fd < 0 || fstat(fd, &st)) {
			ok = false;
			break;
		}
		if (st.st_uid != 0 || (st.st_mode & S_IWOTH) ||
		    ((st.st_mode & S_IWGRP) && st.st_gid))
			ok = false;
	}
	if (fd >= 0)
		close(fd);
	return ok;
}

/* ---- walking a cgroup hierarchy ---- */

struct scan_state {
	identity_scan_fn fn;
	const char *state_root;
	void *ctx;
	dev_t dev;
	char path[CGROUP_PATH_LEN];
};

/*
 * Walk directory dfd (consumed) whose path is s->path[0, plen). Directories
 * that vanish or cannot be opened are skipped; only fn's non-zero return
 * stops the walk.
 */
static int scan_dir(struct scan_state *s, int dfd, size_t plen, int depth)
{
	struct dirent *e;
	struct stat st;
	size_t nlen;
	DIR *d;
	int fd, ret = 0;

	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return 0;
	}
	while (!ret && (e = readdir(d))) {
		if (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN)
			continue;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		    !S_ISDIR(st.st_mode) || st.st_dev != s->dev)
			continue;
		nlen = strlen(e->d_name);
		if (plen + 1 + nlen >= sizeof(s->path))
			continue;
		s->path[plen] = '/';
		memcpy(s->path + plen + 1, e->d_name, nlen + 1);
		if (identity_recognize(s->state_root, s->path, NULL))
			ret = s->fn(st.st_ino, s->path, s->ctx);
		if (!ret && depth < SCAN_MAX_DEPTH) {
			fd = openat(dirfd(d), e->d_name,
				    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd >= 0)
				ret = scan_dir(s, fd, plen + 1 + nlen, depth + 1);
		}
		s->path[plen] = '\0';
	}
	closedir(d);
	return ret;
}

int identity_scan(const char *mount_dir, const char *state_root, identity_scan_fn fn, void *ctx)
{
	struct scan_state *s;
	struct stat st;
	int fd, err;

	if (!mount_dir || !fn)
		return -EINVAL;
	fd = open_stat(mount_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, &st);
	if (fd < 0)
		return fd;
	s = calloc(1, sizeof(*s));
	if (!s) {
		close(fd);
		return -ENOMEM;
	}
	s->fn = fn;
	s->state_root = state_root;
	s->ctx = ctx;
	s->dev = st.st_dev;
	err = scan_dir(s, fd, 0, 1);
	free(s);
	return err;
}
