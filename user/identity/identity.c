// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Container identity: cgroup path -> runtime and id, runtime metadata ->
 * name, stop signal and pod, and the table of tracked cgroups. Paths, file
 * contents and directory entries read here belong to the host's tenants:
 * every length is checked and every copy is bounded and NUL-terminated.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/readfile.h"
#include "identity/identity.h"
#include "lib/jsonr.h"
#include "lib/names.h"
#include "identity/runtimes.h"

#define HEX_ID_LEN     64
#define LXC_NAME_MAX   127
#define META_MAX       (4u << 20)  /* one container's config file */
#define STORE_MAX      (16u << 20) /* podman's list of every container */
#define SCAN_MAX_DEPTH 16
#define POD_UID_MAX    63
#define LEAF_MAX_DEPTH 24 /* a container's own cgroup is at most this deep */

const char *runtime_name(enum runtime rt)
{
	switch (rt) {
	case RUNTIME_DOCKER:
		return "docker";
	case RUNTIME_PODMAN:
		return "podman";
	case RUNTIME_CONTAINERD:
		return "containerd";
	case RUNTIME_CRIO:
		return "cri-o";
	case RUNTIME_ISULAD:
		return "isulad";
	case RUNTIME_LXC:
		return "lxc";
	default:
		return "";
	}
}

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
	const char *p = parent, *s;
	size_t i = 0;

	uid[0] = '\0';
	if (!strcmp(parent, "@pod"))
		return is_pod_parent(c, n, uid);
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		s = p;
		while (*p && *p != '/')
			p++;
		if (i == n || !comp_matches(&c[i], s, p - s))
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

/*
 * Whether the leaf component c, below the n components at parent, is a
 * container: a runtime's shape under one of its cgroup parents, Docker's
 * configured parent, or (with a root) a leaf whose id the runtime's own
 * state knows.
 */
static bool leaf_is_container(const struct comp *parent, size_t n, const struct comp *c,
			      const char *root, struct cgroup_match *m)
{
	const struct runtime_info *rts;
	const char *id, *dp = runtimes_docker_parent();
	char uid[POD_UID_MAX + 1];
	size_t nrt, id_len;

	rts = runtimes_all(&nrt);
	for (size_t r = 0; r < nrt; r++) {
		for (size_t i = 0; i < RT_SHAPES_MAX && rts[r].shapes[i].parent; i++) {
			const struct rt_shape *sh = &rts[r].shapes[i];

			if (!match_leaf(c->p, c->n, sh->prefix, sh->suffix, sh->id_kind, &id,
					&id_len) ||
			    !parent_matches(parent, n, sh->parent, uid))
				continue;
			m->runtime = rts[r].runtime;
			memcpy(m->id, id, id_len);
			m->id[id_len] = '\0';
			strcpy(m->pod_uid, uid);
			return true;
		}
	}
	if (dp[0] &&
	    (match_leaf(c->p, c->n, "", "", RT_ID_HEX, &id, &id_len) ||
	     match_leaf(c->p, c->n, "docker-", ".scope", RT_ID_HEX, &id, &id_len)) &&
	    parent_matches(parent, n, dp, uid)) {
		m->runtime = RUNTIME_DOCKER;
		memcpy(m->id, id, id_len);
		m->id[id_len] = '\0';
		return true;
	}
	if (!root)
		return false;
	for (size_t r = 0; r < nrt; r++) {
		if (!rts[r].known_dir)
			continue;
		for (size_t i = 0; i < RT_PATHS_MAX && rts[r].known_leaf[i][0]; i++) {
			if (!match_leaf(c->p, c->n, rts[r].known_leaf[i][0],
					rts[r].known_leaf[i][1], RT_ID_HEX, &id, &id_len) ||
			    !state_knows(root, rts[r].known_dir, id, id_len))
				continue;
			m->runtime = rts[r].runtime;
			memcpy(m->id, id, id_len);
			m->id[id_len] = '\0';
			m->by_state = true;
			return true;
		}
	}
	return false;
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
	const char *p = path, *s;
	char name[NAME_MAX + 1];
	struct stat st;
	int fd, next;
	bool ok = true;

	fd = open(mount_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false;
	while (ok && *p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		s = p;
		while (*p && *p != '/')
			p++;
		if ((size_t)(p - s) > NAME_MAX || (p - s == 1 && *s == '.') ||
		    (p - s == 2 && s[0] == '.' && s[1] == '.')) {
			ok = false;
			break;
		}
		memcpy(name, s, p - s);
		name[p - s] = '\0';
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

/* ---- runtime metadata ---- */

/* root (without trailing slashes) + "/" + the formatted rest. */
static int root_path(char *buf, size_t size, const char *root, const char *fmt, ...)
{
	size_t rl = root ? strlen(root) : 0;
	va_list ap;
	int n;

	while (rl > 0 && root[rl - 1] == '/')
		rl--;
	if (rl + 2 > size)
		return -ENAMETOOLONG;
	memcpy(buf, root, rl);
	buf[rl] = '/';
	va_start(ap, fmt);
	n = vsnprintf(buf + rl + 1, size - rl - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size - rl - 1)
		return -ENAMETOOLONG;
	return 0;
}

/* A stop signal as docker ("SIGQUIT", "3") or an OCI annotation writes it; 0 if unknown. */
static int signal_of(const struct jsonr_val *v)
{
	char text[32];
	int sig;

	if (v->type == JSONR_NUMBER) {
		if (v->len >= sizeof(text))
			return 0;
		memcpy(text, v->p, v->len);
		text[v->len] = '\0';
	} else if (jsonr_string(v, text, sizeof(text))) {
		return 0;
	}
	sig = signal_from_name(text);
	return sig > 0 ? sig : 0;
}

/* Copy string v into dst (size bytes) unless it is empty or unreadable; cut on UTF-8. */
static bool take_string(const struct jsonr_val *v, char *dst, size_t size, bool strip_slash)
{
	char tmp[NAME_LEN + 1];
	const char *s = tmp;
	int err;

	err = jsonr_string(v, tmp, sizeof(tmp));
	if (err && err != -ENOSPC)
		return false;
	/* Docker writes one; a forged config.v2.json may hold more. */
	while (strip_slash && *s == '/')
		s++;
	if (!*s)
		return false;
	if (strlen(s) >= size) {
		size_t n = size - 1;

		/* Do not end inside a UTF-8 sequence. */
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		memcpy(dst, s, n);
		dst[n] = '\0';
	} else {
		strcpy(dst, s);
	}
	return true;
}

/*
 * Open one of docker's per-container JSON files (config.v2.json,
 * hostconfig.json): *buf holds the text doc points into; free it after use.
 */
static int docker_doc(const char *root, const char *id, const char *file, char **buf,
		      struct jsonr_val *doc)
{
	char path[PATH_MAX];
	size_t len;
	int err;

	*buf = NULL;
	if (!identity_is_hex_id(id, strlen(id)))
		return -ENOENT;
	err = root_path(path, sizeof(path), root, "var/lib/docker/containers/%s/%s", id, file);
	if (err)
		return err;
	err = read_file_max(path, META_MAX, buf, &len);
	if (err)
		return err;
	err = jsonr_init(doc, *buf, len);
	if (err) {
		free(*buf);
		*buf = NULL;
	}
	return err;
}

/* docker's config.v2.json: "Name" ("/web-1") and "Config"."StopSignal". */
static int docker_meta(const char *root, const char *id, char *name, size_t name_size,
		       int *stop_signal)
{
	struct jsonr_val doc, v;
	char *buf;
	int err, sig;

	err = docker_doc(root, id, "config.v2.json", &buf, &doc);
	if (err)
		return err;
	if (name && jsonr_get(&doc, "Name", &v) == 0)
		take_string(&v, name, name_size, true);
	if (stop_signal && jsonr_get_path(&doc, &v, "Config", "StopSignal", NULL) == 0) {
		sig = signal_of(&v);
		if (sig > 0)
			*stop_signal = sig;
	}
	free(buf);
	return 0;
}

/* docker's hostconfig.json: "RestartPolicy"."Name" ("" means "no"). */
static int docker_restart_policy(const char *root, const char *id, char *policy, size_t size)
{
	struct jsonr_val doc, v;
	char *buf;
	int err;

	err = docker_doc(root, id, "hostconfig.json", &buf, &doc);
	if (err)
		return err;
	if (jsonr_get_path(&doc, &v, "RestartPolicy", "Name", NULL) == 0 &&
	    !take_string(&v, policy, size, false))
		snprintf(policy, size, "no");
	free(buf);
	return 0;
}

static bool json_true(const struct jsonr_val *doc, const char *state_field)
{
	struct jsonr_val v;

	return jsonr_get_path(doc, &v, "State", state_field, NULL) == 0 && v.len == 4 &&
	       !memcmp(v.p, "true", 4);
}

int identity_runtime_state(const char *root, const struct container *c, char *state, size_t cap)
{
	struct jsonr_val doc;
	char *buf;
	int err;

	if (!cap)
		return -EINVAL;
	state[0] = '\0';
	if (c->runtime != RUNTIME_DOCKER)
		return -EOPNOTSUPP;
	err = docker_doc(root, c->id, "config.v2.json", &buf, &doc);
	if (err)
		return err;
	/*
	 * Docker sets Dead (and RemovalInProgress) before it removes the storage,
	 * so that a daemon restart cannot revive a half-removed container; after
	 * a failed removal only its memory clears RemovalInProgress, the file
	 * keeps both. On disk, dead is all that can be told.
	 */
	if (json_true(&doc, "Dead"))
		snprintf(state, cap, "dead");
	else if (json_true(&doc, "RemovalInProgress"))
		snprintf(state, cap, "removing");
	else if (json_true(&doc, "Running"))
		snprintf(state, cap, "running");
	else
		snprintf(state, cap, "exited");
	free(buf);
	return 0;
}

/*
 * Call fn for each container in podman's store (containers.json: an array of
 * {"id", "names": [...], ...}) until fn returns non-zero. Entries without a
 * 64-hex id are skipped.
 */
static int podman_each(const char *root,
		       int (*fn)(const char *id, const struct jsonr_val *names, void *ctx),
		       void *ctx)
{
	char path[PATH_MAX], id[ID_LEN];
	struct jsonr_val doc, elem, v, names;
	struct jsonr_iter it;
	char *buf = NULL;
	size_t len;
	int err;

	err = root_path(path, sizeof(path), root,
			"var/lib/containers/storage/overlay-containers/containers.json");
	if (err)
		return err;
	err = read_file_max(path, STORE_MAX, &buf, &len);
	if (err)
		return err;
	err = jsonr_init(&doc, buf, len);
	if (err)
		goto cleanup;
	jsonr_iter_init(&it, &doc);
	while (jsonr_next(&it, &elem) > 0) {
		if (jsonr_get(&elem, "id", &v) || jsonr_string(&v, id, sizeof(id)) ||
		    !identity_is_hex_id(id, strlen(id)))
			continue;
		if (jsonr_get(&elem, "names", &names))
			names.type = JSONR_NONE;
		err = fn(id, &names, ctx);
		if (err)
			break;
	}
cleanup:
	free(buf);
	return err;
}

static void first_name(const struct jsonr_val *names, char *dst, size_t size)
{
	struct jsonr_iter it;
	struct jsonr_val v;

	jsonr_iter_init(&it, names);
	if (jsonr_next(&it, &v) > 0)
		take_string(&v, dst, size, false);
}

static int podman_name_of(const char *id, const struct jsonr_val *names, void *ctx)
{
	struct container *c = ctx;

	if (strcmp(id, c->id))
		return 0;
	first_name(names, c->name, sizeof(c->name));
	return 1;
}

/* podman writes the container's stop signal into its OCI spec as an annotation. */
static int podman_stop_signal(const char *root, struct container *c)
{
	char path[PATH_MAX];
	struct jsonr_val doc, v;
	char *buf = NULL;
	size_t len;
	int err, sig;

	err = root_path(path, sizeof(path), root,
			"var/lib/containers/storage/overlay-containers/%s/userdata/config.json",
			c->id);
	if (err)
		return err;
	err = read_file_max(path, META_MAX, &buf, &len);
	if (err)
		return err;
	err = jsonr_init(&doc, buf, len);
	if (!err && jsonr_get_path(&doc, &v, "annotations", "org.opencontainers.image.stopSignal",
				   NULL) == 0) {
		sig = signal_of(&v);
		if (sig > 0)
			c->stop_signal = sig;
	}
	free(buf);
	return err;
}

static int podman_meta(const char *root, struct container *c)
{
	int err, err2;

	if (!identity_is_hex_id(c->id, strlen(c->id)))
		return -ENOENT;
	err = podman_each(root, podman_name_of, c);
	err = err == 1 ? 0 : err ? err : -ENOENT;
	err2 = podman_stop_signal(root, c);
	return err ? err2 : 0;
}

/* The pod uid in a kubelet log link's target: /var/log/pods/<ns>_<pod>_<uid>/<ctr>/N.log */
static void kube_pod_uid(const char *target, const char *ns, const char *pod, char *uid)
{
	const char *end = strrchr(target, '/'), *dir, *u;
	char prefix[2 * NAME_LEN + 3];
	size_t i, n;

	while (end && end > target && end[-1] != '/')
		end--;
	if (!end || end == target)
		return;
	end--; /* at the slash that ends <ns>_<pod>_<uid> */
	for (dir = end; dir > target && dir[-1] != '/'; dir--)
		;
	snprintf(prefix, sizeof(prefix), "%s_%s_", ns, pod);
	n = strlen(prefix);
	if ((size_t)(end - dir) <= n || memcmp(dir, prefix, n))
		return;
	u = dir + n;
	if (end - u > POD_UID_MAX)
		return;
	for (i = 0; u + i < end; i++)
		if (!((u[i] >= '0' && u[i] <= '9') || (u[i] >= 'a' && u[i] <= 'f') || u[i] == '-'))
			return;
	memcpy(uid, u, end - u);
	uid[end - u] = '\0';
}

/* kubelet's var/log/containers/<pod>_<namespace>_<container>-<id>.log. */
static int kube_meta(const char *root, struct container *c)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *name, *u1, *u2;
	struct dirent *e;
	size_t n, stem;
	ssize_t tl;
	DIR *d;
	int err;

	if (!identity_is_hex_id(c->id, strlen(c->id)))
		return -ENOENT;
	err = root_path(path, sizeof(path), root, "var/log/containers");
	if (err)
		return err;
	d = opendir(path);
	if (!d)
		return -errno;
	err = -ENOENT;
	while ((e = readdir(d))) {
		name = e->d_name;
		n = strlen(name);
		if (n < HEX_ID_LEN + 5 + 5)
			continue;
		stem = n - HEX_ID_LEN - 5;
		if (name[stem] != '-' || strcmp(name + n - 4, ".log") ||
		    memcmp(name + stem + 1, c->id, HEX_ID_LEN))
			continue;
		u1 = memchr(name, '_', stem);
		u2 = u1 ? memchr(u1 + 1, '_', stem - (u1 + 1 - name)) : NULL;
		if (!u2 || u1 == name || u2 == u1 + 1 || u2 + 1 == name + stem)
			continue;
		snprintf(c->pod_name, sizeof(c->pod_name), "%.*s", (int)(u1 - name), name);
		snprintf(c->pod_namespace, sizeof(c->pod_namespace), "%.*s", (int)(u2 - u1 - 1),
			 u1 + 1);
		snprintf(c->name, sizeof(c->name), "%.*s", (int)(name + stem - u2 - 1), u2 + 1);
		if (!c->pod_uid[0]) {
			tl = readlinkat(dirfd(d), name, target, sizeof(target) - 1);
			if (tl > 0) {
				target[tl] = '\0';
				kube_pod_uid(target, c->pod_namespace, c->pod_name, c->pod_uid);
			}
		}
		err = 0;
		break;
	}
	closedir(d);
	return err;
}

int identity_load_meta(const char *root, struct container *c)
{
	bool any = false;
	int err, first = -ENOENT;

	if (!c || !c->id[0])
		return -EINVAL;
	if (c->runtime == RUNTIME_DOCKER || c->runtime == RUNTIME_NONE) {
		err = docker_meta(root, c->id, c->name, sizeof(c->name), &c->stop_signal);
		any |= !err;
		if (!err)
			docker_restart_policy(root, c->id, c->restart_policy,
					      sizeof(c->restart_policy));
		if (err && err != -ENOENT && first == -ENOENT)
			first = err;
	}
	if (c->runtime == RUNTIME_PODMAN || c->runtime == RUNTIME_NONE) {
		err = podman_meta(root, c);
		any |= !err;
		if (err && err != -ENOENT && first == -ENOENT)
			first = err;
	}
	if (c->runtime != RUNTIME_LXC && c->runtime != RUNTIME_PODMAN) {
		/* Kubernetes names the container and its pod, whatever the runtime. */
		err = kube_meta(root, c);
		any |= !err;
		if (err && err != -ENOENT && first == -ENOENT)
			first = err;
	}
	return any ? 0 : first;
}

/* ---- finding a container by id, prefix or name ---- */

struct find_state {
	const char *what;      /* as given */
	const char *what_name; /* without one leading slash */
	size_t what_len;
	bool what_hex;
	struct container exact, named, prefixed;
	int n_exact, n_named, n_prefixed;
};

static void consider(struct find_state *st, enum runtime rt, const char *id, const char *name,
		     bool name_hit)
{
	struct container *slot = NULL;

	if (!strcmp(id, st->what)) {
		if (!st->n_exact++)
			slot = &st->exact;
	} else if (name_hit) {
		if (!st->n_named++)
			slot = &st->named;
	} else if (st->what_hex && !strncmp(id, st->what, st->what_len)) {
		if (!st->n_prefixed++)
			slot = &st->prefixed;
	}
	if (!slot)
		return;
	slot->runtime = rt;
	snprintf(slot->id, sizeof(slot->id), "%s", id);
	snprintf(slot->name, sizeof(slot->name), "%s", name);
}

static int find_docker(const char *root, struct find_state *st)
{
	char path[PATH_MAX], name[NAME_LEN];
	struct dirent *e;
	DIR *d;
	int err;

	err = root_path(path, sizeof(path), root, "var/lib/docker/containers");
	if (err)
		return err;
	d = opendir(path);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (!identity_is_hex_id(e->d_name, strlen(e->d_name)))
			continue;
		name[0] = '\0';
		docker_meta(root, e->d_name, name, sizeof(name), NULL);
		consider(st, RUNTIME_DOCKER, e->d_name, name,
			 name[0] && !strcmp(name, st->what_name));
	}
	closedir(d);
	return 0;
}

static int find_podman_one(const char *id, const struct jsonr_val *names, void *ctx)
{
	struct find_state *st = ctx;
	struct jsonr_iter it;
	struct jsonr_val v;
	char name[NAME_LEN] = "";
	bool hit = false;

	first_name(names, name, sizeof(name));
	jsonr_iter_init(&it, names);
	while (!hit && jsonr_next(&it, &v) > 0)
		hit = jsonr_string_eq(&v, st->what_name);
	consider(st, RUNTIME_PODMAN, id, name, hit);
	return 0;
}

int identity_find(const char *root, const char *what, struct container *c)
{
	struct find_state *st;
	const struct container *found = NULL;
	size_t i;
	int err = -ENOENT;

	if (!what || !*what || !c)
		return -EINVAL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->what = what;
	st->what_name = what[0] == '/' ? what + 1 : what;
	st->what_len = strlen(what);
	st->what_hex = st->what_len <= HEX_ID_LEN;
	for (i = 0; i < st->what_len; i++)
		if (!((what[i] >= '0' && what[i] <= '9') || (what[i] >= 'a' && what[i] <= 'f')))
			st->what_hex = false;

	find_docker(root, st);
	podman_each(root, find_podman_one, st);

	/* Docker's order: a full id, then a name, then a unique id prefix. */
	if (st->n_exact)
		found = &st->exact;
	else if (st->n_named == 1)
		found = &st->named;
	else if (st->n_named > 1)
		err = -EEXIST;
	else if (st->n_prefixed == 1)
		found = &st->prefixed;
	else if (st->n_prefixed > 1)
		err = -EEXIST;
	if (found) {
		memset(c, 0, sizeof(*c));
		c->runtime = found->runtime;
		strcpy(c->id, found->id);
		strcpy(c->name, found->name);
		identity_load_meta(root, c);
		err = 0;
	}
	free(st);
	return err;
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
	fd = open(mount_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		close(fd);
		return err;
	}
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

/* ---- the table of tracked cgroups ---- */

/*
 * Two chained hash indexes over one set of heap entries: by cgroup id and by
 * container id. Entries never move, so returned pointers stay valid until
 * their entry is deleted. Callers must not change a stored entry's id.
 */
struct table_entry {
	struct container c;
	uint64_t cgroup_id;
	bool sub;	     /* a cgroup below the container's own */
	uint32_t init_pidns; /* of the container's init, 0 until learnt */
	uint32_t init_tgid;  /* its host pid */
	struct table_entry *next_cg;
	struct table_entry *next_id;
};

struct identity_table {
	struct table_entry **by_cg;
	struct table_entry **by_id;
	size_t mask; /* buckets - 1, a power of two less one */
	size_t count;
	size_t nsub;   /* entries that are sub-cgroups */
	size_t max;    /* bound on count */
	uint64_t full; /* adds refused at the bound */
};

#define TABLE_MIN_BUCKETS 64

static size_t hash_u64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return (size_t)x;
}

static size_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 0x100000001b3ULL;
	}
	return hash_u64(h);
}

struct identity_table *identity_table_new(void)
{
	struct identity_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->by_cg = calloc(TABLE_MIN_BUCKETS, sizeof(*t->by_cg));
	t->by_id = calloc(TABLE_MIN_BUCKETS, sizeof(*t->by_id));
	if (!t->by_cg || !t->by_id) {
		free(t->by_cg);
		free(t->by_id);
		free(t);
		return NULL;
	}
	t->mask = TABLE_MIN_BUCKETS - 1;
	t->max = IDENTITY_TABLE_MAX;
	return t;
}

void identity_table_free(struct identity_table *t)
{
	struct table_entry *e, *next;
	size_t i;

	if (!t)
		return;
	for (i = 0; i <= t->mask; i++) {
		for (e = t->by_cg[i]; e; e = next) {
			next = e->next_cg;
			free(e);
		}
	}
	free(t->by_cg);
	free(t->by_id);
	free(t);
}

static void link_id(struct identity_table *t, struct table_entry *e)
{
	struct table_entry **b = &t->by_id[hash_str(e->c.id) & t->mask];

	e->next_id = *b;
	*b = e;
}

static void unlink_id(struct identity_table *t, struct table_entry *e)
{
	struct table_entry **pp = &t->by_id[hash_str(e->c.id) & t->mask];

	for (; *pp; pp = &(*pp)->next_id) {
		if (*pp == e) {
			*pp = e->next_id;
			return;
		}
	}
}

/* Double the buckets; on allocation failure the table stays as it was. */
static void table_grow(struct identity_table *t)
{
	size_t n = (t->mask + 1) * 2, i;
	struct table_entry **cg, **id, *e, *next;

	cg = calloc(n, sizeof(*cg));
	id = calloc(n, sizeof(*id));
	if (!cg || !id) {
		free(cg);
		free(id);
		return;
	}
	for (i = 0; i <= t->mask; i++) {
		for (e = t->by_cg[i]; e; e = next) {
			size_t b = hash_u64(e->cgroup_id) & (n - 1);

			next = e->next_cg;
			e->next_cg = cg[b];
			cg[b] = e;
			b = hash_str(e->c.id) & (n - 1);
			e->next_id = id[b];
			id[b] = e;
		}
	}
	free(t->by_cg);
	free(t->by_id);
	t->by_cg = cg;
	t->by_id = id;
	t->mask = n - 1;
}

static struct table_entry *find_cg(struct identity_table *t, uint64_t cgroup_id)
{
	struct table_entry *e = t->by_cg[hash_u64(cgroup_id) & t->mask];

	while (e && e->cgroup_id != cgroup_id)
		e = e->next_cg;
	return e;
}

struct container *identity_table_add(struct identity_table *t, uint64_t cgroup_id,
				     const struct container *c)
{
	struct table_entry *e, **b;

	if (!t || !c)
		return NULL;
	e = find_cg(t, cgroup_id);
	if (e) {
		t->nsub -= e->sub;
		e->sub = false;
		unlink_id(t, e);
		if (&e->c != c)
			e->c = *c;
		link_id(t, e);
		return &e->c;
	}
	if (t->count >= t->max) {
		t->full++;
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->c = *c;
	e->cgroup_id = cgroup_id;
	if (t->count >= t->mask + 1)
		table_grow(t);
	b = &t->by_cg[hash_u64(cgroup_id) & t->mask];
	e->next_cg = *b;
	*b = e;
	link_id(t, e);
	t->count++;
	return &e->c;
}

struct container *identity_table_get(struct identity_table *t, uint64_t cgroup_id)
{
	struct table_entry *e;

	if (!t)
		return NULL;
	e = find_cg(t, cgroup_id);
	return e ? &e->c : NULL;
}

void identity_table_each(struct identity_table *t,
			 void (*fn)(struct container *c, uint64_t cgroup_id, void *arg), void *arg)
{
	if (!t)
		return;
	for (size_t b = 0; b <= t->mask; b++)
		for (struct table_entry *e = t->by_cg[b]; e; e = e->next_cg)
			fn(&e->c, e->cgroup_id, arg);
}

struct container *identity_table_by_id(struct identity_table *t, const char *id)
{
	struct table_entry *e;

	if (!t || !id)
		return NULL;
	for (e = t->by_id[hash_str(id) & t->mask]; e; e = e->next_id)
		if (!strcmp(e->c.id, id))
			return &e->c;
	return NULL;
}

void identity_table_del(struct identity_table *t, uint64_t cgroup_id)
{
	struct table_entry **pp, *e;

	if (!t)
		return;
	for (pp = &t->by_cg[hash_u64(cgroup_id) & t->mask]; *pp; pp = &(*pp)->next_cg) {
		e = *pp;
		if (e->cgroup_id == cgroup_id) {
			*pp = e->next_cg;
			unlink_id(t, e);
			t->nsub -= e->sub;
			free(e);
			t->count--;
			return;
		}
	}
}

size_t identity_table_count(const struct identity_table *t)
{
	return t ? t->count : 0;
}

struct container *identity_table_add_sub(struct identity_table *t, uint64_t cgroup_id,
					 const struct container *owner)
{
	struct container *c = identity_table_add(t, cgroup_id, owner);
	struct table_entry *e;

	if (!c)
		return NULL;
	e = find_cg(t, cgroup_id);
	e->sub = true;
	t->nsub++;
	return c;
}

bool identity_table_is_sub(struct identity_table *t, uint64_t cgroup_id)
{
	struct table_entry *e = t ? find_cg(t, cgroup_id) : NULL;

	return e && e->sub;
}

size_t identity_table_subs(struct identity_table *t, const char *id)
{
	struct table_entry *e;
	size_t n = 0;

	if (!t || !id)
		return 0;
	if (!*id)
		return t->nsub;
	for (e = t->by_id[hash_str(id) & t->mask]; e; e = e->next_id)
		n += e->sub && !strcmp(e->c.id, id);
	return n;
}

uint32_t identity_table_init(struct identity_table *t, const char *id, uint32_t *tgid)
{
	struct table_entry *e;

	*tgid = 0;
	if (!t || !id)
		return 0;
	for (e = t->by_id[hash_str(id) & t->mask]; e; e = e->next_id) {
		if (e->init_pidns && !strcmp(e->c.id, id)) {
			*tgid = e->init_tgid;
			return e->init_pidns;
		}
	}
	return 0;
}

void identity_table_set_init(struct identity_table *t, const char *id, uint32_t pidns,
			     uint32_t tgid)
{
	struct table_entry *e;

	if (!t || !id)
		return;
	for (e = t->by_id[hash_str(id) & t->mask]; e; e = e->next_id) {
		if (!strcmp(e->c.id, id)) {
			e->init_pidns = pidns;
			e->init_tgid = tgid;
		}
	}
}

void identity_table_limit(struct identity_table *t, size_t max)
{
	if (t)
		t->max = max;
}

size_t identity_table_max(const struct identity_table *t)
{
	return t ? t->max : 0;
}

uint64_t identity_table_full(const struct identity_table *t)
{
	return t ? t->full : 0;
}
