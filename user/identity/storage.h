/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Container storage: which directories a runtime keeps for a container
 * (its writable layer, its metadata and bundle directories), and a table
 * from those paths back to the container. The monitor learns the paths
 * while a container lives, so that when the runtime later removes, say,
 * /var/lib/docker/overlay2/<mount-id>/diff/keep, it knows whose storage
 * that was: the mount-id says nothing of the container by itself.
 *
 * Runtime metadata is untrusted input: files are read with a size cap, ids
 * read from them must be lowercase hex (or a runtime's strict identifier
 * syntax), and no path is ever built from text holding '/' or "..". Every
 * reader takes a root prefix ("" for the live system) so tests run it on
 * fixture trees; the paths it returns are host paths, without that prefix.
 */
#ifndef STOPTRACE_STORAGE_H
#define STOPTRACE_STORAGE_H

#include <stddef.h>
#include "identity/identity.h"

#define STORAGE_PATH_LEN 256
/* storage_paths() never finds more than this many for one container. */
#define STORAGE_PATHS_MAX 16

/*
 * The storage directories of container c (runtime and id set), as host
 * paths, into paths[0, max):
 *   docker: /var/lib/docker/overlay2/<mount-id> (from layerdb's mount-id),
 *     its init layer (<mount-id>-init, or layerdb's init-id), their
 *     overlay2/l/<link> short links, /var/lib/docker/containers/<id>, and
 *     the containerd task bundle in the "moby" namespace when present;
 *   podman, cri-o: /var/lib/containers/storage/overlay/<layer> (the
 *     "layer" of its entry in overlay-containers/containers.json) and its
 *     overlay/l/<link>, overlay-containers/<id> under /var/lib and /run;
 *   containerd (and Kubernetes on it): its snapshot, the overlayfs
 *     snapshotter's snapshots/<n> whose fs/ the overlay mounted at its task
 *     directory's rootfs has as upperdir (root + /proc/self/mountinfo), the
 *     task bundle <run|var-lib>/containerd/io.containerd.runtime.v2.task/<ns>/<id>
 *     of every namespace that has one, and the CRI plugin's per-container
 *     directories when present;
 *   LXC: /var/lib/lxc/<name>/rootfs and /var/lib/lxc/<name>;
 *   iSulad: /var/lib/isulad/engines/lcr/<id>, and the rootfs store entry
 *     storage/overlay-containers/<id> with the layer its container.json
 *     names (storage/overlay/<layer>) when present.
 * The writable layer, when known, comes first. Directories whose metadata
 * is missing or hostile are left out. Returns how many were stored (at most
 * max; 0 is possible), -EINVAL when c's id is not one its runtime gives (64
 * hex; a containerd identifier; an LXC name), or -EOPNOTSUPP for runtimes
 * without known storage.
 */
int storage_paths(const char *root, const struct container *c, char paths[][STORAGE_PATH_LEN],
		  int max);

/*
 * The container's writable layer directory alone (overlay's diff/, merged/
 * and work/ live below it), as a host path. Returns 0, -ENOENT when the
 * runtime's metadata does not name one, -EINVAL when it is malformed or
 * hostile, -EFBIG when the file is over its cap, another -errno from reading
 * it, or -EOPNOTSUPP for runtimes whose layer cannot be told from metadata
 * (containerd's snapshots, LXC).
 */
int storage_layer(const char *root, const struct container *c, char *path, size_t size);

/*
 * The runtime's own directory for the container (config, logs, userdata or
 * bundle): /var/lib/docker/containers/<id>,
 * /var/lib/containers/storage/overlay-containers/<id>,
 * /var/lib/isulad/engines/lcr/<id>, containerd's first task bundle found,
 * /var/lib/lxc/<name>. Returns 0, -ENOENT (containerd: no bundle), -EINVAL,
 * -ENAMETOOLONG, or -EOPNOTSUPP (no known storage).
 */
int storage_container_dir(const char *root, const struct container *c, char *path, size_t size);

/*
 * A table of storage paths -> container id. Lookups cost one hash probe per
 * '/'-separated component of the path, up to the longest stored path, and
 * allocate nothing: removal calls can be mapped as fast as they come.
 */
struct storage_map;

/*
 * The bound of a new map: 8 paths for each of the 16384 containers whose
 * storage is known (storage_watch.c); at most ~4.2 KiB a path, typically
 * ~200 bytes.
 */
#define STORAGE_MAP_MAX (8 * 16384)

struct storage_map *storage_map_new(void);
void storage_map_free(struct storage_map *m);

/*
 * Record that path (absolute, no "." or ".." or empty component; a trailing
 * '/' is dropped; "/" itself is refused) is storage of container_id. A path
 * already stored is given to the new owner: the latest runtime metadata
 * wins over an entry whose container was never forgotten. Returns 0,
 * -EINVAL, -ENOMEM, or -ENOSPC when the map holds its bound (counted:
 * storage_map_full()).
 */
int storage_map_add(struct storage_map *m, const char *path, const char *container_id);

/* Drop every path of container_id. Returns 0, or -ENOENT when it had none. */
int storage_map_forget(struct storage_map *m, const char *container_id);

/*
 * The container whose stored path is the longest prefix of path ending at
 * a '/' boundary (path itself, or path continuing with '/'), or NULL. When
 * prefix is not NULL it gets that stored path. Both strings belong to the
 * map and stay valid until that container is forgotten or re-added.
 */
const char *storage_map_lookup(const struct storage_map *m, const char *path, const char **prefix);

size_t storage_map_count(const struct storage_map *m);
/* Change the bound (tests). */
void storage_map_limit(struct storage_map *m, size_t max);
/* Adds refused because the map held its bound. */
uint64_t storage_map_full(const struct storage_map *m);

#endif /* STOPTRACE_STORAGE_H */
