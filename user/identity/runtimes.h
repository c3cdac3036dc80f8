/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What stoptrace knows of each container runtime, in one table: where it
 * puts its containers' cgroups (its cgroup parents, for the cgroupfs and the
 * systemd drivers and under Kubernetes' pods), the shape of a container's
 * cgroup there, its state directories, pid files and sockets, its storage
 * roots and its per-container metadata files. Every path is relative to a
 * root prefix ("" for the live host) and has no leading slash.
 *
 * The cgroup parents are the defence against look-alike cgroups: a cgroup
 * is a container only where its runtime puts containers (see identity.h).
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

struct rt_shape {
	const char *parent;
	const char *prefix;
	const char *suffix;
	enum rt_id_kind id_kind;
};

struct runtime_info {
	enum runtime runtime;
	const char *name;
	struct rt_shape shapes[RT_SHAPES_MAX]; /* ended by a NULL parent */
	/*
	 * The runtime's own state: "<known_dir>/<id>" is a directory while it
	 * knows container id (a container put under a parent of its own, e.g.
	 * `docker run --cgroup-parent`), NULL when it keeps no such directory.
	 * known_prefix/known_suffix: the leaf shapes such a cgroup may have.
	 */
	const char *known_dir;
	const char *known_leaf[RT_PATHS_MAX][2]; /* {prefix, suffix}, ended by NULL */
	const char *state_dirs[RT_PATHS_MAX];
	/*
	 * Where its daemon says who it is (user/kernel/trust.c verifies the process
	 * before the kernel side trusts its removal calls), and the comm that
	 * process must have: a stale pid file names another process.
	 */
	const char *daemon;
	const char *pid_files[RT_PATHS_MAX];
	const char *sockets[RT_PATHS_MAX];
	const char *storage_roots[RT_PATHS_MAX];
	const char *meta_files[RT_PATHS_MAX]; /* "%s" is the container id */
};

/* The row of runtime rt, or NULL for RUNTIME_NONE and unknown values. */
const struct runtime_info *runtime_info(enum runtime rt);
/* Every row, in enum order: *n gets how many. */
const struct runtime_info *runtimes_all(size_t *n);

/*
 * Every storage root of every runtime, as absolute paths ("/var/lib/docker",
 * ...), into out (at most max). Returns how many.
 */
size_t runtimes_storage_roots(const char **out, size_t max);

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
