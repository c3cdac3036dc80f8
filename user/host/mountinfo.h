/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * /proc/PID/mountinfo lines (proc(5)). Paths come back unescaped (\040 and
 * friends turned back into bytes); a mount point inside a container is a path
 * in that container's view, so callers match mounts by device and root.
 */
#ifndef STOPTRACE_MOUNTINFO_H
#define STOPTRACE_MOUNTINFO_H

#include <stdbool.h>
#include <stddef.h>

#define MI_PATH_LEN 4096

struct mount_entry {
	int mount_id;
	int parent_id;
	unsigned int major;
	unsigned int minor;
	char root[MI_PATH_LEN];
	char mount_point[MI_PATH_LEN];
	char fstype[64];
	char source[MI_PATH_LEN];
	char super_opts[512];
	int shared_id; /* peer group it shares mounts and unmounts with ("shared:N"), 0 for none */
	int master_id; /* peer group it receives them from ("master:N"), 0 for none */
};

/* Parse one line (without or with its newline). Returns 0 or -EINVAL. */
int mountinfo_parse_line(const char *line, struct mount_entry *m);

/*
 * Find the mount point of a cgroup hierarchy in a mountinfo file: the
 * cgroup2 mount (controller NULL), or the v1 mount whose super options name
 * the controller ("memory"). Returns 0 and fills dir (size cap), -ENOENT.
 */
int mountinfo_find_cgroup(const char *mountinfo_path, const char *controller, char *dir,
			  size_t cap);

/*
 * The cgroup v1 hierarchy stoptrace watches (enum st_v1_controller): the
 * memory controller's mount, else the pids controller's (kernels without the
 * v1 memory controller). Returns the controller, dir filled, or ST_V1_NONE.
 */
unsigned int mountinfo_find_v1_watched(const char *mountinfo_path, char *dir, size_t cap);

#endif /* STOPTRACE_MOUNTINFO_H */
