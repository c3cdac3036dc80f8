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

/* What a cgroup path says: whose container it is, and whether it is that container's own. */
struct cgroup_match {
	enum runtime runtime;
	char id[ID_LEN];	      /* the outermost container id in the path */
	char pod_uid[64];	      /* Kubernetes pod uid when the path has one, else "" */
	char cgroup[CGROUP_PATH_LEN]; /* the container's own cgroup, e.g. /docker/<id> */
	bool below;		      /* the path is a cgroup below it (/docker/<id>/init.scope) */
	bool by_state;		      /* known from the runtime's state, not from its parent */
};

struct container {
	enum runtime runtime;
	char id[ID_LEN];
	char name[NAME_LEN];	      /* "" when unknown; no leading slash */
	char cgroup[CGROUP_PATH_LEN]; /* path inside its hierarchy, e.g. /docker/<id> */
	int stop_signal;	      /* configured stop signal, 0 when unknown */
	/*
	 * The stop signal instead when PID 1 blocks it, 0 for none: LXC with no
	 * lxc.signal.halt, whose lxc-stop sends SIGRTMIN+3 to an init that
	 * blocks it (systemd) and SIGPWR (stop_signal) to any other.
	 */
	int stop_signal_if_blocked;
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
 * /proc/PID/cgroup) is a container's, and whose. A cgroup is a container
 * only where its runtime puts containers: one of the cgroup parents of the
 * runtimes table (runtimes.h), e.g. /docker/<id>, /system.slice/docker-<id>.scope,
 * a Kubernetes pod's cri-containerd-<id>.scope, /lxc.payload.<name>, or the
 * cgroup parent configured in the host's daemon.json. The outermost
 * container owns every cgroup below it: /docker/A/docker/B is A's (below
 * set), never B's. Nothing at or below systemd's delegation to a user
 * (user@<uid>.service) is a container. Returns false for non-container
 * cgroups, including conmon's crio-conmon-<id>, systemd slices, and
 * docker's bare /docker.
 */
bool identity_parse_cgroup(const char *path, struct cgroup_match *out);

/*
 * identity_parse_cgroup(), and where root is not NULL ("" for the live
 * host), also a container put under a parent of its own (`docker run
 * --cgroup-parent`): a leaf of the runtime's shape whose id its state knows
 * (root + var/lib/docker/containers/<id>/ is a directory; the id is checked
 * hex before the path is built), and a plain containerd container (`ctr
 * run`): /<namespace>/<id> whose task directory its containerd keeps (root +
 * run/containerd/io.containerd.runtime.v2.task/<namespace>/<id>/, or the one
 * under run/docker/containerd/daemon/; both checked containerd identifiers
 * first). by_state is then set.
 */
bool identity_recognize(const char *root, const char *path, struct cgroup_match *out);

/*
 * Whether every directory from the hierarchy mounted at mount_dir down to
 * the cgroup path is owned by root and writable by no other user. A
 * delegated subtree (chowned to its user) fails: whatever its names, it
 * never makes a container. Walked with O_PATH | O_NOFOLLOW from the mount.
 */
bool identity_cgroup_root_owned(const char *mount_dir, const char *path);

/* The container a match names (c cleared first; its cgroup is the container's own). */
void identity_container_of_match(const struct cgroup_match *cm, struct container *c);

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
 * call fn for each directory whose path identity_recognize(state_root, ...)
 * accepts (sub-cgroups of a container included).
 * Depth is bounded; directories that vanish mid-walk are skipped. Returns 0,
 * a negative errno, or fn's first non-zero return.
 */
int identity_scan(const char *mount_dir, const char *state_root, identity_scan_fn fn, void *ctx);

/*
 * The table user space keeps of tracked cgroups: cgroup id -> container.
 * Several cgroup ids (one per hierarchy) may name one container.
 */
struct identity_table;

/*
 * The bound of a new table: the kernel's tracked_cgroups map holds 65536
 * cgroup ids, and removed cgroups stay here a while (GONE_MAX, 1024, in
 * monitor_int.h). About 1.6 KiB an entry: 107 MiB at the bound, which no
 * real host reaches (a Kubernetes node runs a few hundred containers).
 */
#define IDENTITY_TABLE_MAX (65536 + 1024)

struct identity_table *identity_table_new(void);
void identity_table_free(struct identity_table *t);
/*
 * Adds or replaces; returns the stored entry, or NULL on allocation failure
 * or when the table holds its bound (counted: identity_table_full()).
 */
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

/*
 * A cgroup below the container's own (/docker/A/init.scope, /docker/A/docker/B):
 * an entry that names owner (a copy), marked so that its removal does not
 * end the container. Adding an id again with identity_table_add() unmarks it.
 */
struct container *identity_table_add_sub(struct identity_table *t, uint64_t cgroup_id,
					 const struct container *owner);
bool identity_table_is_sub(struct identity_table *t, uint64_t cgroup_id);
/* Sub-cgroup entries of container id, or of every container when id is "". */
size_t identity_table_subs(struct identity_table *t, const char *id);
/*
 * The pid namespace of container id's init, and its host pid in *tgid, as
 * learnt (0: not yet). Set for every entry of the container (0, 0: forget).
 */
uint32_t identity_table_init(struct identity_table *t, const char *id, uint32_t *tgid);
void identity_table_set_init(struct identity_table *t, const char *id, uint32_t pidns,
			     uint32_t tgid);
/* Change the bound (tests; the known table of storage_watch.c). */
void identity_table_limit(struct identity_table *t, size_t max);
size_t identity_table_max(const struct identity_table *t);
/* Adds refused because the table held its bound. */
uint64_t identity_table_full(const struct identity_table *t);

#endif /* STOPTRACE_IDENTITY_H */
