/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Everything stoptrace knows of each container runtime, in one table: one
 * row per runtime (runtimes.c), and no runtime named anywhere else. Adding
 * a runtime is adding a row (and, where its files have a format of their
 * own, the reader its row points to). The columns:
 *  - cgroups: where it puts its containers' cgroups (its cgroup parents,
 *    for the cgroupfs and the systemd drivers and under Kubernetes' pods)
 *    and the shape of a container's cgroup there; the parent the host's
 *    configuration may set instead; the state directory that knows a
 *    container put under a parent of its own. The cgroup parents are the
 *    defence against look-alike cgroups: a cgroup is a container only where
 *    its runtime puts containers (see identity.h); the task directories that
 *    know a container of a shape that is no defence by itself.
 *  - its state directories, and its daemon: the comm, pid files and sockets
 *    by which user/kernel/trust.c verifies it before the kernel side trusts
 *    its removal calls, and whether it may mount in a namespace of its own.
 *  - removal: the comms of the processes that remove its containers (the
 *    kernel side's filter of successful removal calls), and the container
 *    directories under a storage root whose changes mean a removal may
 *    start (the removal hooks, user/kernel/rmhooks.c); what only the removal
 *    of a container takes away (a stop leaves it): its own directories and
 *    its writable layer, the runtime's state that defines a removal.
 *  - storage: its storage roots, and the reader that finds a container's
 *    storage directories in its metadata (storage.c).
 *  - metadata: its per-container files, where in them its configured stop
 *    signal comes from, the reader of its name and state (identity_meta.c),
 *    and whether the kubelet's log links name its containers.
 *  - what the operator is told to run: the command that thaws a frozen
 *    container of it, and the words of the fixes in verdict reasons and
 *    alert actions (its commands and settings; in a Kubernetes pod, the pod
 *    spec's: runtime_words()).
 * Every path is relative to a root prefix ("" for the live host) and has no
 * leading slash. tests/unit/identity/test_runtimes.c checks every row.
 */
#ifndef STOPTRACE_RUNTIMES_H
#define STOPTRACE_RUNTIMES_H

#include <stdbool.h>
#include <stddef.h>
#include "identity/identity.h"

#define RT_SHAPES_MAX 8
#define RT_PATHS_MAX  4

/*
 * One place a runtime puts containers: the cgroup parent, then the leaf,
 * prefix + id + suffix. In parent, "%h" is a component that is a 64-digit
 * hex id and "@pod" stands for a Kubernetes pod cgroup (both drivers, every
 * QoS class: /kubepods[/burstable|/besteffort]/pod<uid>, or
 * /kubepods.slice[/kubepods-<qos>.slice]/kubepods[-<qos>]-pod<uid>.slice).
 * "" is the hierarchy's root.
 */
enum rt_id_kind {
	RT_ID_HEX = 0, /* 64 lowercase hex digits */
	RT_ID_NAME,    /* an LXC container name: [A-Za-z0-9._-], 1 to 127 bytes */
};

/*
 * Whether the n bytes at s are a containerd identifier (a namespace or a
 * container id): [A-Za-z0-9] runs joined by single '.', '_' or '-', 1 to 76
 * bytes.
 */
bool runtimes_is_containerd_id(const char *s, size_t n);

struct rt_shape {
	const char *parent;
	const char *prefix;
	const char *suffix;
	enum rt_id_kind id_kind;
};

/*
 * A directory below every storage root (a runtime's, or one given with
 * --storage-root: a moved data root is any runtime's) that the removal hooks
 * watch: one directory per container (created and removed with it; with
 * states, each holds the state files the runtime rewrites before a removal),
 * or the runtime's state database (written as its containers change).
 */
enum rt_watch_kind {
	RT_WATCH_CONTAINERS = 1,
	RT_WATCH_DATABASE,
};

struct rt_watch {
	const char *sub; /* NULL ends the list */
	enum rt_watch_kind kind;
	bool states;
};

/* The readers of a runtime's files (identity_int.h); NULL where none is. */
struct rt_meta;
struct rt_storage;

/* meta_files[RT_CONFIG]: the container's own configuration file. */
#define RT_CONFIG 0

/*
 * What the fixes of reasons and actions tell the operator to run or set, in
 * a runtime's own words. Every field is set, except stop_signal_fix.
 */
struct rt_words {
	const char *init_run;	     /* run it with an init: "docker run --init" */
	const char *init_fix;	     /* the same, the init named: "docker run --init, tini" */
	const char *grace_fix;	     /* what sets the grace period: "docker stop -t, ..." */
	const char *kill_fix;	     /* what sends SIGKILL with no stop signal before it */
	const char *kill_now;	     /* what ends a stop at once: "docker kill the container" */
	const char *stopper;	     /* what waits out the grace period: "docker stop" */
	const char *no_sigkill;	     /* " (... never sends one)", "" when every stop does */
	const char *stop_signal_fix; /* what sets the stop signal; NULL: not said */
};

struct runtime_info {
	enum runtime runtime;
	const char *name; /* as records name it */

	/* cgroups */
	struct rt_shape shapes[RT_SHAPES_MAX]; /* ended by a NULL parent */
	/*
	 * A cgroup parent the host's configuration sets ("" when none), under
	 * which the known_leaf shapes are its containers; NULL when it has none.
	 */
	const char *(*host_parent)(void);
	/*
	 * The runtime's own state: "<known_dir>/<id>" is a directory while it
	 * knows container id (a container put under a parent of its own, e.g.
	 * `docker run --cgroup-parent`), NULL when it keeps no such directory.
	 * known_leaf: the leaf shapes such a cgroup may have.
	 */
	const char *known_dir;
	const char *known_leaf[RT_PATHS_MAX][2]; /* {prefix, suffix}, ended by NULL */
	/*
	 * Its task directories: "<task_dirs[i]>/<namespace>/<id>" is a
	 * directory while it runs container id of that namespace (containerd's
	 * task bundles, holding the OCI spec config.json). A cgroup
	 * /<namespace>/<id> at the hierarchy's root (ctr run's default) is its
	 * container only then: any two-level cgroup has that shape.
	 */
	const char *task_dirs[RT_PATHS_MAX];

	/* state and daemon */
	const char *state_dirs[RT_PATHS_MAX];
	/*
	 * The comm its daemon must have (a stale pid file names another
	 * process), and where it says who it is: user/kernel/trust.c verifies
	 * the process before the kernel side trusts its removal calls.
	 */
	const char *daemon;
	const char *pid_files[RT_PATHS_MAX];
	const char *sockets[RT_PATHS_MAX];
	/*
	 * Its daemon may run in a mount namespace of its own (a unit with
	 * MountFlags=slave): its mountinfo is the host's view of the mounts.
	 */
	bool daemon_mntns;

	/* removal */
	/*
	 * Comm prefixes of the processes that remove its containers (its
	 * daemon, its shims, monitors and OCI runtimes): the kernel side keeps
	 * their successful removal calls. A comm never makes a caller trusted.
	 */
	const char *removers[RT_PATHS_MAX];
	struct rt_watch watch[RT_PATHS_MAX];
	/*
	 * What a stop leaves and only the removal of the container takes away,
	 * as the end of a storage path: "<dir>/<id>" for each of removed_dirs
	 * (its own directories; an entry with "%s" is the whole end, "%s" the
	 * id: "lxc/%s/rootfs"), "<layers>/<64-hex layer id>" for its writable
	 * layer ("<layers>/<number>" with layers_numbered: containerd's
	 * snapshots). A removal call on one of these is its removal; the
	 * unmounts and file removals of a stop (merged/, the runtime's fifos)
	 * are not.
	 */
	const char *removed_dirs[RT_PATHS_MAX];
	const char *layers; /* NULL: its layers are not known */
	bool layers_numbered;

	/* storage */
	const char *storage_roots[RT_PATHS_MAX];
	const struct rt_storage *storage; /* NULL: its storage is not known */
	/*
	 * What `stoptrace diagnose` says when the metadata names no writable
	 * layer for a container; NULL: diagnose does not check its storage.
	 */
	const char *no_layer;

	/* metadata */
	const char *meta_files[RT_PATHS_MAX]; /* "%s" is the container id */
	/* The JSON keys of its configured stop signal in meta_files[RT_CONFIG]. */
	const char *stop_signal[2];
	const struct rt_meta *meta; /* NULL: its metadata is not read */
	bool kube_names;	    /* the kubelet's log links name its containers */

	/* commands */
	/*
	 * The command that thaws a frozen container, followed by its name (its
	 * short id when it has none) or, with unpause_by_id, by its full id; in
	 * a Kubernetes pod, unpause_in_pod where set. NULL when none.
	 */
	const char *unpause;
	const char *unpause_in_pod;
	bool unpause_by_id;
	struct rt_words words;
};

/* The row of runtime rt, or NULL for RUNTIME_NONE and unknown values. */
const struct runtime_info *runtime_info(enum runtime rt);
/*
 * The words of the fixes for container c: its pod spec's in a Kubernetes
 * pod, else its runtime's; Docker's when its runtime is not known.
 */
const struct rt_words *runtime_words(const struct container *c);
/* The words of the fixes in a Kubernetes pod. */
const struct rt_words *runtime_pod_words(void);
/* Every row, in enum order: *n gets how many. */
const struct runtime_info *runtimes_all(size_t *n);

/*
 * Every storage root of every runtime, as absolute paths ("/var/lib/docker",
 * ...), into out (at most max). Returns how many.
 */
size_t runtimes_storage_roots(const char **out, size_t max);

/*
 * Every remover comm prefix of every runtime, once each, into out (at most
 * max; the kernel side holds ST_REMOVERS of them).
 */
size_t runtimes_removers(const char **out, size_t max);

/*
 * Every watched directory of every runtime, once each (by sub), into out (at
 * most max; there are never more than RT_WATCHES_MAX).
 */
#define RT_WATCHES_MAX 16
size_t runtimes_watches(const struct rt_watch **out, size_t max);

/*
 * Whether path (absolute, one of container id's storage paths) is one that
 * only the removal of that container of runtime rt takes away: its
 * removed_dirs entry or its writable layer.
 */
bool runtime_removed_path(const struct runtime_info *rt, const char *id, const char *path);

/* Whether comm is the daemon of a runtime whose daemon may mount apart (daemon_mntns). */
bool runtimes_daemon_mounts_apart(const char *comm);

/*
 * root (without trailing slashes) + "/" + meta_files[file] of rt, its "%s"
 * replaced by id, into buf. Returns 0, -ENOENT when rt has no such file, or
 * -ENAMETOOLONG.
 */
int runtime_meta_path(const struct runtime_info *rt, unsigned int file, const char *root,
		      const char *id, char *buf, size_t size);

/*
 * The host's own Docker configuration: the "cgroup-parent" of root +
 * /etc/docker/daemon.json (trusted host configuration, read with a size
 * cap), as a cgroup path ("/mygroup"; a systemd slice "a-b.slice" becomes
 * "/a.slice/a-b.slice"). Docker then puts its containers there instead of
 * /docker or /system.slice. Returns 0, -ENOENT when there is none, or
 * -errno; the parent stays what it was on failure.
 */
int runtimes_load_host_config(const char *root);
/* Set (or clear with NULL or "") the configured Docker cgroup parent. -EINVAL if not a path. */
int runtimes_set_docker_parent(const char *parent);
/* The configured Docker cgroup parent, "" when none. */
const char *runtimes_docker_parent(void);

#endif /* STOPTRACE_RUNTIMES_H */
