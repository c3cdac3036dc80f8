/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Is a cgroup frozen? `docker pause` freezes a container's cgroup: with the
 * cgroup v1 freezer its tasks sit in state D and a pid namespace teardown
 * that waits for them hangs (S5); the v2 freezer lets fatal signals through.
 * v1 pausing emits no tracepoint, so these files are the only witness.
 * And which processes a cgroup holds (cgroup.procs), for a stop's sample.
 */
#ifndef STOPTRACE_CGROUPFS_H
#define STOPTRACE_CGROUPFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Read <freezer_dir>/freezer.state of a v1 freezer cgroup: FROZEN and
 * FREEZING count as frozen, THAWED does not. Returns 0, -errno (-ENOENT for
 * the root cgroup, which has no freezer.state), -EINVAL for another word.
 */
int cgroupfs_v1_frozen(const char *freezer_dir, bool *frozen);

/*
 * Read the "frozen 0|1" line of <cgroup_dir>/cgroup.events of a cgroup v2
 * directory. Returns 0, -errno (-ENOENT for the root cgroup), or
 * -EOPNOTSUPP when the kernel has no v2 freezer (before 5.2).
 */
int cgroupfs_v2_frozen(const char *cgroup_dir, bool *frozen);

/*
 * Whether the cgroup of process pid is frozen, by either freezer: its v1
 * freezer cgroup and its cgroup v2 cgroup, from <root>/proc/<pid>/cgroup,
 * under the mount points <root>/proc/self/mountinfo names (cgroup paths are
 * taken relative to a mount of the hierarchy's root, as on a host). how (may
 * be NULL) says which file said so: "v1 freezer.state FROZEN", "v2
 * cgroup.events frozen 1", or for a thawed cgroup every file read, e.g.
 * "v1 freezer.state THAWED, v2 cgroup.events frozen 0". Returns 0, or the
 * first error other than -ENOENT (else -ENOENT) when neither freezer could
 * be read.
 */
int cgroupfs_container_frozen(const char *root, int pid, bool *frozen, char *how, size_t how_cap);

/*
 * The first max process ids of <cgroup_dir>/cgroup.procs into pids, read a
 * bounded chunk at a time: a cgroup may hold a tenant's thousands. *more is
 * set when the file held more. Returns how many were read, or -errno.
 */
int cgroupfs_procs(const char *cgroup_dir, uint32_t *pids, int max, bool *more);

#endif /* STOPTRACE_CGROUPFS_H */
