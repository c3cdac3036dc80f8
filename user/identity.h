/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Container identity: which runtime made a cgroup, which container it is,
 * and what the runtime calls it. Everything read here (cgroup paths, runtime
 * metadata files, log link names) is controlled by the host's tenants and is
 * parsed as untrusted input. Every reader takes a root prefix ("" or "/" for
 * the live system) so tests run it on fixture trees.
 */
#ifndef STOPTRACE_IDENTITY_H
#define STOPTRACE_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum runtime {
	RUNTIME_NONE = 0,
	RUNTIME_DOCKER,
	RUNTIME_PODMAN,
	RUNTIME_CONTAINERD,
	RUNTIME_CRIO,
	RUNTIME_ISULAD,
	RUNTIME_LXC,
};

#define ID_LEN		128 /* container id (64 hex) or an LXC name */
#define NAME_LEN	256
#define CGROUP_PATH_LEN 512

/* What a cgroup path alone says. */
struct cgroup_match {
	enum runtime runtime;
	char id[ID_LEN];  /* innermost container id in the path */
	char pod_uid[64]; /* Kubernetes pod uid when the path has one, else "" */
};

struct container {
	enum runtime runtime;
	char id[ID_LEN];
	char name[NAME_LEN];	      /* "" when unknown; no leading slash */
	char cgroup[CGROUP_PATH_LEN]; /* path inside its hierarchy, e.g. /docker/<id> */
	int stop_signal;	      /* configured stop signal, 0 when unknown */
	char restart_policy[32];      /* "no", "always", "on-failure", ...; "" when unknown */
	char pod_namespace[NAME_LEN]; /* Kubernetes only, else "" */
	char pod_name[NAME_LEN];
	char pod_uid[64];
	unsigned int meta_tries; /* metadata look-ups made so far (user space retries a few) */
};

/* Whether the n bytes at s are a 64-digit lowercase hex container id. */
bool identity_is_hex_id(const char *s, size_t n);

/* "docker", "podman", ... ; "" for RUNTIME_NONE. */
const char *runtime_name(enum runtime rt);

/*
 * Decide whether a cgroup path (as cgroup_mkdir reports it, or as read from
 * /proc/PID/cgroup) is a container's, and whose. Nested set-ups yield the
 * innermost container. Returns false for non-container cgroups, including
 * conmon's crio-conmon-<id>, systemd slices, and docker's bare /docker.
 */
bool identity_parse_cgroup(const char *path, struct cgroup_match *out);

/*
 * The container a cgroup path names: c is cleared, then its runtime, id,
 * pod uid and cgroup set. Returns false (c cleared) for any other path.
 */
bool identity_container_of_cgroup(const char *path, struct container *c);

/*
 * Fill name, stop signal and pod fields of c (runtime and id already set)
 * from the runtime's own metadata under root: docker's
 * var/lib/docker/containers/<id>/config.v2.json, podman's container store,
 * the kubelet's var/log/containers/<pod>_<ns>_<container>-<id>.log links.
 * Fields it cannot learn are left as they are. Returns 0, or -errno when
 * nothing could be read (-ENOENT: no metadata for this container).
 */
int identity_load_meta(const char *root, struct container *c);

/*
 * The runtime's own view of the container's state, as its files say: "dead"
 * (Docker marks a container dead when its removal starts and leaves it so
 * when the removal fails), "removing", "running" or "exited".
 * -EOPNOTSUPP for runtimes whose state is not read.
 */
int identity_runtime_state(const char *root, const struct container *c, char *state, size_t cap);

/*
 * Find a container by id, unique id prefix or name among the runtimes'
 * metadata under root. Returns 0 and fills c, -ENOENT when none matches,
 * -EEXIST when a prefix or name matches more than one.
 */
int identity_find(const char *root, const char *what, struct container *c);

/*
 * A cgroup directory found by identity_scan(): its kernfs id (the inode of
 * the directory) and its path inside the hierarchy.
 */
typedef int (*identity_scan_fn)(uint64_t cgroup_id, const char *path, void *ctx);

/*
 * Walk a mounted cgroup hierarchy (e.g. root + "/sys/fs/cgroup/unified") and
 * call fn for each directory whose path identity_parse_cgroup() accepts.
 * Depth is bounded; directories that vanish mid-walk are skipped. Returns 0,
 * a negative errno, or fn's first non-zero return.
 */
int identity_scan(const char *mount_dir, identity_scan_fn fn, void *ctx);

/*
 * The table user space keeps of tracked cgroups: cgroup id -> container.
 * Several cgroup ids (one per hierarchy) may name one container.
 */
struct identity_table;

struct identity_table *identity_table_new(void);
void identity_table_free(struct identity_table *t);
/* Adds or replaces; returns the stored entry or NULL on allocation failure. */
struct container *identity_table_add(struct identity_table *t, uint64_t cgroup_id,
				     const struct container *c);
struct container *identity_table_get(struct identity_table *t, uint64_t cgroup_id);
/* Any entry with this runtime and id, or NULL. */
struct container *identity_table_by_id(struct identity_table *t, const char *id);
void identity_table_del(struct identity_table *t, uint64_t cgroup_id);
size_t identity_table_count(const struct identity_table *t);
/* fn for every entry, in no order; fn must not change the table. */
void identity_table_each(struct identity_table *t,
			 void (*fn)(struct container *c, uint64_t cgroup_id, void *arg), void *arg);

#endif /* STOPTRACE_IDENTITY_H */
