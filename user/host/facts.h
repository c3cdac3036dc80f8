/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the monitor learns from the system while it turns kernel records into
 * timelines: runtime metadata, storage paths, who holds a busy path, which
 * processes keep a pid namespace alive. The monitor asks only through this
 * table, so that a recording can save each answer and a replay can give the
 * same answers back, in the same order, on another machine.
 */
#ifndef STOPTRACE_FACTS_H
#define STOPTRACE_FACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "host/culprits.h"
#include "identity/identity.h"
#include "host/holders.h"
#include "identity/storage.h"

typedef int (*facts_id_fn)(const char *id, void *arg);

struct facts_ops {
	/* identity_load_meta(): fills c's name, stop signal, pod fields */
	int (*load_meta)(void *ctx, struct container *c);
	/* storage_paths(): where c keeps its storage; returns how many */
	int (*storage_paths)(void *ctx, const struct container *c, char paths[][STORAGE_PATH_LEN],
			     int max);
	/* identity_runtime_state() */
	int (*runtime_state)(void *ctx, const struct container *c, char *state, size_t cap);
	/* holders_find() */
	int (*holders)(void *ctx, uint32_t caller_pid, const char *path, struct identity_table *ids,
		       struct holder *out, int max, uint32_t *cut);
	/* file_attributes() */
	int (*attributes)(void *ctx, const char *path, bool *immutable, bool *append_only);
	/* culprits_find() */
	int (*culprits)(void *ctx, uint64_t pidns, uint32_t exclude_pid, struct identity_table *ids,
			struct culprit *out, int max);
	/* fn for each container id Docker keeps a directory for, running or not */
	int (*docker_ids)(void *ctx, facts_id_fn fn, void *arg);
	/*
	 * Whether a cgroup path (inside its hierarchy, e.g. /docker/<id>) is
	 * still there in any watched hierarchy: 1, 0, or -errno.
	 */
	int (*cgroup_exists)(void *ctx, const char *path);
	/*
	 * identity_recognize() under the facts' root: 1 and *cm when path is a
	 * container's cgroup, 0 when not, -EPERM when it is refused because a
	 * non-root user could have made it (its cgroup under mount_dir, the
	 * hierarchy's mount, when not NULL, is not root's). A recording keeps the
	 * answers 1 that only the runtime's state gave (cm->by_state:
	 * containerd's task directories, Docker's known containers), which a
	 * replay cannot tell from the path; NULL: the path alone decides.
	 */
	int (*recognize)(void *ctx, const char *path, const char *mount_dir,
			 struct cgroup_match *cm);
};

struct facts {
	const struct facts_ops *ops;
	void *ctx;
};

#define FACTS_MAX_ROOTS 40

/* The live system under root ("" for this host). */
struct facts_live {
	char root[256];
	const char *cgroup_dirs[2]; /* the watched hierarchies' mounts (the monitor's) */
	/* the storage roots: the only places a removal's path is opened from */
	const char *trusted[FACTS_MAX_ROOTS];
	int ntrusted;
};

void facts_live_init(struct facts *f, struct facts_live *live, const char *root);
/* A storage root (the operator's configuration; kept, not copied). */
void facts_live_add_root(struct facts_live *live, const char *dir);

#endif /* STOPTRACE_FACTS_H */
