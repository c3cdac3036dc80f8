// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Container storage: the directories each runtime keeps for a container,
 * found from its own metadata by the reader its row of the runtimes table
 * points to (the table that maps a path being removed back to the container
 * is storage_map.c). What the runtimes' files say
 * is checked before it becomes part of a path: ids must be 64 lowercase hex
 * (docker's mount-ids, containers/storage's layer ids), overlay link names
 * upper-case base32, containerd namespaces containerd's identifier syntax.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/readfile.h"
#include "lib/array_size.h"
#include "lib/jsonr.h"
#include "identity/identity_int.h"
#include "identity/runtimes.h"
#include "identity/storage.h"

#define ID_FILE_MAX	4096	   /* docker's mount-id, init-id, overlay's link */
#define ROOTFS_MAX	(1u << 20) /* one iSulad container.json */
#define NS_NAME_MAX	76	   /* containerd's identifier limit */
#define NS_MAX		64	   /* namespaces (or engines) looked at */
#define DIR_ENTRIES_MAX 4096	   /* entries read from one directory */
#define LINK_MAX_LEN	64

#define DOCKER	   "/var/lib/docker"
#define CS_VAR	   "/var/lib/containers/storage"
#define CS_RUN	   "/run/containers/storage"
#define ISULAD_VAR "/var/lib/isulad"
#define LXC_VAR	   "/var/lib/lxc"
#define TASK_V2	   "io.containerd.runtime.v2.task"
#define CRI	   "io.containerd.grpc.v1.cri"

/* ---- validation of what the runtimes' files say ---- */

static bool is_hex_id(const char *s)
{
	return identity_is_hex_id(s, strlen(s));
}

/* docker's init-id: "<mount-id>-init" (or a bare hex id). */
static bool is_init_id(const char *s)
{
	size_t n = strlen(s);

	if (n == HEX_ID_LEN + 5 && !strcmp(s + HEX_ID_LEN, "-init"))
		return identity_is_hex_id(s, HEX_ID_LEN);
	return is_hex_id(s);
}

/* overlay's short link names (l/<link>): base32, upper case. */
static bool is_link_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > LINK_MAX_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

/* containerd's identifiers (namespaces): alnum runs joined by single '.', '_' or '-'. */
static bool is_identifier(const char *s)
{
	size_t n = strlen(s);
	bool sep = true; /* the previous byte was a separator, or there was none */

	if (n == 0 || n > NS_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
			sep = false;
		} else if ((c == '.' || c == '_' || c == '-') && !sep) {
			sep = true;
		} else {
			return false;
		}
	}
	return !sep;
}

/* ---- reading metadata under root ---- */

static int build(char *dst, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int build(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(dst, size, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	return (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static bool is_dir(const char *root, const char *rel)
{
	char path[PATH_MAX];
	struct stat st;

	if (build(path, sizeof(path), "%s%s", root, rel))
		return false;
	return !lstat(path, &st) && S_ISDIR(st.st_mode);
}

/*
 * A file holding one token and nothing else, as docker writes layerdb's
 * mount-id and overlay's link (no newline: dockerd takes the bytes as they
 * are, so a file with anything more names no directory of docker's).
 */
static int read_token(const char *root, const char *rel, char *out, size_t size)
{
	char path[PATH_MAX];
	char *buf = NULL;
	size_t len;
	int err;

	err = build(path, sizeof(path), "%s%s", root, rel);
	if (err)
		return err;
	err = read_file_max(path, ID_FILE_MAX, &buf, &len);
	if (err)
		return err;
	err = -EINVAL;
	if (len > 0 && len < size && strlen(buf) == len) {
		memcpy(out, buf, len + 1);
		err = 0;
	}
	free(buf);
	return err;
}

/* The "layer" of the entry whose "id" is id in one containers/storage list at path. */
static int cs_list_layer(const char *path, const char *id, char layer[HEX_ID_LEN + 1])
{
	struct jsonr_val doc, elem, v;
	struct jsonr_iter it;
	char *buf = NULL;
	size_t len;
	int err;

	err = read_file_max(path, STORE_MAX, &buf, &len);
	if (err)
		return err;
	err = -ENOENT;
	if (!jsonr_init(&doc, buf, len)) {
		jsonr_iter_init(&it, &doc);
		while (jsonr_next(&it, &elem) > 0) {
			if (jsonr_get(&elem, "id", &v) || !jsonr_string_eq(&v, id))
				continue;
			err = -EINVAL;
			if (!jsonr_get(&elem, "layer", &v) &&
			    !jsonr_string(&v, layer, HEX_ID_LEN + 1) && is_hex_id(layer))
				err = 0;
			break;
		}
	}
	free(buf);
	return err;
}

/*
 * The "layer" of container id in containers/storage's lists: containers.json,
 * and volatile-containers.json (`podman run --rm`) beside it or, with a
 * transient store, under the run root.
 */
static int cs_layer(const char *root, const char *id, char layer[HEX_ID_LEN + 1])
{
	static const char *const lists[] = {
		CS_VAR "/overlay-containers/containers.json",
		CS_VAR "/overlay-containers/volatile-containers.json",
		CS_RUN "/overlay-containers/volatile-containers.json",
	};
	char path[PATH_MAX];
	int err = -ENOENT;

	for (size_t i = 0; i < ARRAY_SIZE(lists) && err == -ENOENT; i++) {
		err = build(path, sizeof(path), "%s%s", root, lists[i]);
		if (!err)
			err = cs_list_layer(path, id, layer);
	}
	return err;
}

/* iSulad's rootfs store: storage/overlay-containers/<id>/container.json "layer". */
static int isulad_layer(const char *root, const char *id, char layer[HEX_ID_LEN + 1])
{
	struct jsonr_val doc, v;
	char path[PATH_MAX];
	char *buf = NULL;
	size_t len;
	int err;

	err = build(path, sizeof(path),
		    "%s" ISULAD_VAR "/storage/overlay-containers/%s/container.json", root, id);
	if (err)
		return err;
	err = read_file_max(path, ROOTFS_MAX, &buf, &len);
	if (err)
		return err;
	err = -EINVAL;
	if (!jsonr_init(&doc, buf, len) && !jsonr_get(&doc, "id", &v) && jsonr_string_eq(&v, id)) {
		err = jsonr_get(&doc, "layer", &v);
		if (!err && (jsonr_string(&v, layer, HEX_ID_LEN + 1) || !is_hex_id(layer)))
			err = -EINVAL;
	}
	free(buf);
	return err;
}

/* ---- the list storage_paths() fills ---- */

struct found {
	char (*paths)[STORAGE_PATH_LEN];
	int n;
	int max;
};

/* The reader of one runtime's storage (a row's storage column). */
struct rt_storage {
	/* Add the storage directories of c (its id checked hex) to f. */
	void (*paths)(struct found *f, const char *root, const struct container *c);
	/* The writable layer's id for container id; NULL: metadata does not tell. */
	int (*layer_id)(const char *root, const char *id, char layer[HEX_ID_LEN + 1]);
	const char *layer_base; /* the host directory of the layers and of their l/ links */
	/* The runtime's own directory for c, as a host path. */
	int (*dir)(const char *root, const struct container *c, char *path, size_t size);
};

/* Append a path (no duplicates, none cut short). */
static void add(struct found *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct found *f, const char *fmt, ...)
{
	char path[STORAGE_PATH_LEN];
	va_list ap;
	int n;

	if (f->n >= f->max)
		return;
	va_start(ap, fmt);
	n = vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(path))
		return;
	for (int i = 0; i < f->n; i++)
		if (!strcmp(f->paths[i], path))
			return;
	memcpy(f->paths[f->n++], path, (size_t)n + 1);
}

/* Add rel when it is a directory under root. */
static void add_dir(struct found *f, const char *root, const char *rel)
{
	if (is_dir(root, rel))
		add(f, "%s", rel);
}

/* The short link overlay keeps for a layer: <base>/l/<name of <layer>/link>. */
static void add_link(struct found *f, const char *root, const char *base, const char *layer_path)
{
	char rel[PATH_MAX], link[LINK_MAX_LEN + 1];

	if (!build(rel, sizeof(rel), "%s/link", layer_path) &&
	    !read_token(root, rel, link, sizeof(link)) && is_link_name(link))
		add(f, "%s/l/%s", base, link);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

/*
 * The entries of root + dir named like containerd identifiers (namespaces,
 * iSulad's engines), sorted, at most NS_MAX of them. Returns how many.
 */
static int list_names(const char *root, const char *dir, char names[NS_MAX][NS_NAME_MAX + 1])
{
	char path[PATH_MAX];
	struct dirent *e;
	int n = 0, seen = 0;
	DIR *d;

	if (build(path, sizeof(path), "%s%s", root, dir))
		return 0;
	d = opendir(path);
	if (!d)
		return 0;
	while (n < NS_MAX && seen++ < DIR_ENTRIES_MAX && (e = readdir(d))) {
		if (is_identifier(e->d_name))
			strcpy(names[n++], e->d_name);
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof(names[0]), cmp_names);
	return n;
}

/* <dir>/<ns>/<id> for every namespace directory of dir that has the container. */
static void add_per_namespace(struct found *f, const char *root, const char *dir, const char *id)
{
	char names[NS_MAX][NS_NAME_MAX + 1], rel[PATH_MAX];
	int n = list_names(root, dir, names);

	for (int i = 0; i < n; i++)
		if (!build(rel, sizeof(rel), "%s/%s/%s", dir, names[i], id))
			add_dir(f, root, rel);
}

/* The first <dir>/<ns>/<id> of the ndirs dirs that is there, into path: 0 or -errno. */
static int first_per_namespace(const char *root, const char *const *dirs, size_t ndirs,
			       const char *id, char *path, size_t size)
{
	char paths[STORAGE_PATHS_MAX][STORAGE_PATH_LEN];
	struct found f = {.paths = paths, .n = 0, .max = STORAGE_PATHS_MAX};

	for (size_t i = 0; i < ndirs; i++)
		add_per_namespace(&f, root, dirs[i], id);
	return f.n ? build(path, size, "%s", paths[0]) : -ENOENT;
}

static const struct rt_storage *storage_of(enum runtime rt)
{
	const struct runtime_info *ri = runtime_info(rt);

	return ri ? ri->storage : NULL;
}

/* The writable layer's host directory, and the base its l/ links live in. */
static int layer_dir(const char *root, const struct container *c, char *path, size_t size,
		     const char **base)
{
	const struct rt_storage *s = storage_of(c->runtime);
	char layer[HEX_ID_LEN + 1];
	int err;

	if (!s || !s->layer_id)
		return -EOPNOTSUPP;
	*base = s->layer_base;
	err = s->layer_id(root, c->id, layer);
	if (err)
		return err;
	return build(path, size, "%s/%s", *base, layer);
}

/* c's writable layer and its short link, when its runtime's metadata names the layer. */
static void add_layer(struct found *f, const char *root, const struct container *c)
{
	char layer[PATH_MAX];
	const char *base;

	if (!layer_dir(root, c, layer, sizeof(layer), &base)) {
		add(f, "%s", layer);
		add_link(f, root, base, layer);
	}
}

/* ---- Docker: overlay2 layers named by layerdb, containers/<id>, its task bundle ---- */

/* docker's layerdb: the container's mount-id and, when it has one, its init layer. */
static int docker_mount_id(const char *root, const char *id, const char *file, char *out,
			   size_t size)
{
	char rel[PATH_MAX];
	int err;

	err = build(rel, sizeof(rel), DOCKER "/image/overlay2/layerdb/mounts/%s/%s", id, file);
	if (!err)
		err = read_token(root, rel, out, size);
	return err;
}

static int docker_layer(const char *root, const char *id, char layer[HEX_ID_LEN + 1])
{
	int err = docker_mount_id(root, id, "mount-id", layer, HEX_ID_LEN + 1);

	if (!err && !is_hex_id(layer))
		err = -EINVAL;
	return err;
}

static void docker_paths(struct found *f, const char *root, const struct container *c)
{
	char layer[PATH_MAX], init[HEX_ID_LEN + 6], rel[PATH_MAX];
	const char *base;
	int nlayers;

	if (!layer_dir(root, c, layer, sizeof(layer), &base)) {
		add(f, "%s", layer);
		if (!build(rel, sizeof(rel), "%s-init", layer))
			add_dir(f, root, rel);
	}
	/* layerdb's init-id names the init layer too (the same one, as docker makes them) */
	if (!docker_mount_id(root, c->id, "init-id", init, sizeof(init)) && is_init_id(init))
		add(f, DOCKER "/overlay2/%s", init);
	/* only the layers' own links: l/<link>/link would be read from inside a layer */
	nlayers = f->n;
	for (int i = 0; i < nlayers; i++)
		add_link(f, root, DOCKER "/overlay2", f->paths[i]);
	add(f, DOCKER "/containers/%s", c->id);
	/* the task bundle, with the system's containerd or dockerd's own */
	if (!build(rel, sizeof(rel), "/run/containerd/" TASK_V2 "/moby/%s", c->id))
		add_dir(f, root, rel);
	if (!build(rel, sizeof(rel), "/run/docker/containerd/daemon/" TASK_V2 "/moby/%s", c->id))
		add_dir(f, root, rel);
	if (!build(rel, sizeof(rel), "/run/docker/containerd/%s", c->id))
		add_dir(f, root, rel);
}

static int docker_dir(const char *root, const struct container *c, char *path, size_t size)
{
	(void)root;
	return build(path, size, DOCKER "/containers/%s", c->id);
}

const struct rt_storage rt_storage_docker = {
	.paths = docker_paths,
	.layer_id = docker_layer,
	.layer_base = DOCKER "/overlay2",
	.dir = docker_dir,
};

/* ---- containers/storage (podman, cri-o): overlay layers, overlay-containers/<id> ---- */

static void cs_paths(struct found *f, const char *root, const struct container *c)
{
	add_layer(f, root, c);
	add(f, CS_VAR "/overlay-containers/%s", c->id);
	add(f, CS_RUN "/overlay-containers/%s", c->id);
}

static int cs_dir(const char *root, const struct container *c, char *path, size_t size)
{
	(void)root;
	return build(path, size, CS_VAR "/overlay-containers/%s", c->id);
}

const struct rt_storage rt_storage_cs = {
	.paths = cs_paths,
	.layer_id = cs_layer,
	.layer_base = CS_VAR "/overlay",
	.dir = cs_dir,
};

/* ---- containerd: its snapshot, task bundles per namespace, the CRI plugin's directories ---- */

/*
 * The snapshot under c's rootfs mount in a task directory of the row (ctr's
 * /<ns>/<id> cgroup gives the namespace; else Kubernetes' k8s.io).
 */
static void add_snapshot(struct found *f, const char *root, const struct container *c)
{
	const struct runtime_info *rt = runtime_info(c->runtime);
	const char *ns = "k8s.io", *slash;
	char mnt[PATH_MAX], snap[STORAGE_PATH_LEN];
	int ns_len = 6;

	slash = c->cgroup[0] == '/' ? strchr(c->cgroup + 1, '/') : NULL;
	if (slash && !strcmp(slash + 1, c->id) &&
	    runtimes_is_containerd_id(c->cgroup + 1, slash - c->cgroup - 1)) {
		ns = c->cgroup + 1;
		ns_len = (int)(slash - ns);
	}
	for (int i = 0; rt && i < RT_PATHS_MAX && rt->task_dirs[i]; i++)
		if (!build(mnt, sizeof(mnt), "/%s/%.*s/%s/rootfs", rt->task_dirs[i], ns_len, ns,
			   c->id) &&
		    !storage_snapshot_dir(root, mnt, snap, sizeof(snap))) {
			add(f, "%s", snap);
			return;
		}
}

static void containerd_paths(struct found *f, const char *root, const struct container *c)
{
	/* the CRI plugin's own directories (Kubernetes), removed with the container */
	static const char *const cri[] = {
		"/var/lib/containerd/" CRI "/containers",
		"/run/containerd/" CRI "/containers",
		"/var/lib/containerd/" CRI "/sandboxes",
		"/run/containerd/" CRI "/sandboxes",
	};
	char rel[PATH_MAX];

	add_snapshot(f, root, c);
	add_per_namespace(f, root, "/run/containerd/" TASK_V2, c->id);
	add_per_namespace(f, root, "/var/lib/containerd/" TASK_V2, c->id);
	add_per_namespace(f, root, "/run/containerd/io.containerd.runtime.v1.linux", c->id);
	for (size_t i = 0; i < ARRAY_SIZE(cri); i++)
		if (!build(rel, sizeof(rel), "%s/%s", cri[i], c->id))
			add_dir(f, root, rel);
}

static int containerd_dir(const char *root, const struct container *c, char *path, size_t size)
{
	static const char *const tasks[] = {"/run/containerd/" TASK_V2,
					    "/var/lib/containerd/" TASK_V2};

	return first_per_namespace(root, tasks, ARRAY_SIZE(tasks), c->id, path, size);
}

const struct rt_storage rt_storage_containerd = {
	.paths = containerd_paths,
	.dir = containerd_dir,
};

/* ---- iSulad: its rootfs store, engines/<runtime>/<id> ---- */

static void isulad_paths(struct found *f, const char *root, const struct container *c)
{
	char rel[PATH_MAX];
	int before;

	add_layer(f, root, c);
	if (!build(rel, sizeof(rel), ISULAD_VAR "/storage/overlay-containers/%s", c->id))
		add_dir(f, root, rel);
	/* engines/<runtime>/<id>: lcr by default, runc or another when configured */
	before = f->n;
	add_per_namespace(f, root, ISULAD_VAR "/engines", c->id);
	if (f->n == before)
		add(f, ISULAD_VAR "/engines/lcr/%s", c->id);
}

static int isulad_dir(const char *root, const struct container *c, char *path, size_t size)
{
	static const char *const engines[] = {ISULAD_VAR "/engines"};
	int err = first_per_namespace(root, engines, ARRAY_SIZE(engines), c->id, path, size);

	return err == -ENOENT ? build(path, size, ISULAD_VAR "/engines/lcr/%s", c->id) : err;
}

const struct rt_storage rt_storage_isulad = {
	.paths = isulad_paths,
	.layer_id = isulad_layer,
	.layer_base = ISULAD_VAR "/storage/overlay",
	.dir = isulad_dir,
};

/* ---- LXC: its container directory var/lib/lxc/<name>, and the rootfs in it ---- */

static void lxc_paths(struct found *f, const char *root, const struct container *c)
{
	(void)root;
	add(f, LXC_VAR "/%s/rootfs", c->id);
	add(f, LXC_VAR "/%s", c->id);
}

static int lxc_dir(const char *root, const struct container *c, char *path, size_t size)
{
	(void)root;
	return build(path, size, LXC_VAR "/%s", c->id);
}

const struct rt_storage rt_storage_lxc = {
	.paths = lxc_paths,
	.dir = lxc_dir,
};

/* ---- what storage.h offers ---- */

/*
 * c's id may be part of a path: 64 hex digits, or a containerd identifier
 * (ctr's ids), or an LXC name, as its runtime names containers.
 */
static bool storage_id_ok(const struct container *c)
{
	size_t n = strlen(c->id);

	switch (c->runtime) {
	case RUNTIME_CONTAINERD:
		return runtimes_is_containerd_id(c->id, n);
	case RUNTIME_LXC:
		return n &&
		       strspn(c->id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				     "0123456789._-") == n &&
		       strcmp(c->id, ".") && strcmp(c->id, "..");
	default:
		return is_hex_id(c->id);
	}
}

int storage_paths(const char *root, const struct container *c, char paths[][STORAGE_PATH_LEN],
		  int max)
{
	struct found f = {.paths = paths, .n = 0, .max = max};
	const struct rt_storage *s;

	if (!root || !c || max < 0 || (max > 0 && !paths))
		return -EINVAL;
	s = storage_of(c->runtime);
	if (!s)
		return -EOPNOTSUPP;
	if (!storage_id_ok(c))
		return -EINVAL;
	s->paths(&f, root, c);
	return f.n;
}

int storage_layer(const char *root, const struct container *c, char *path, size_t size)
{
	const char *base;
	const struct rt_storage *s;

	if (!root || !c || !path || !size)
		return -EINVAL;
	s = storage_of(c->runtime);
	if (!s || !s->layer_id)
		return -EOPNOTSUPP;
	if (!is_hex_id(c->id))
		return -EINVAL;
	return layer_dir(root, c, path, size, &base);
}

int storage_container_dir(const char *root, const struct container *c, char *path, size_t size)
{
	const struct rt_storage *s;

	if (!root || !c || !path || !size)
		return -EINVAL;
	s = storage_of(c->runtime);
	if (!s)
		return -EOPNOTSUPP;
	if (!storage_id_ok(c))
		return -EINVAL;
	return s->dir(root, c, path, size);
}
