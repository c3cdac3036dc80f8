/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Why a removal failed, looked at the moment it failed: what is mounted at
 * or below a busy path (the only thing that makes unlink/rmdir fail with
 * EBUSY since Linux 3.18 is a mount in the caller's own mount namespace;
 * mounts of it in other namespaces keep a device busy), and a file's
 * immutable and append-only attributes for EPERM. Reads under a root prefix.
 *
 * Nothing is matched by the text of a path a tenant can shape. The busy
 * path is opened (O_PATH, see safepath.h) from a storage root and known by
 * its device, inode and mount; mounts of other namespaces count when they
 * show the same device and root as the caller's; a process's cwd, root and
 * descriptors are stat()ed through /proc (the link is followed, the target
 * never opened) and compared by mount id, or device and inode; mappings by
 * the device and inode columns of /proc/PID/maps.
 *
 * The scan is bounded (see struct holders_limits); what it cut is said in
 * *cut (HOLDERS_CUT_*), and the alert says it (holders_incomplete).
 */
#ifndef STOPTRACE_HOLDERS_H
#define STOPTRACE_HOLDERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "identity/identity.h"

#define HOLDER_PATH_LEN 1024
#define HOLDERS_MAX	8 /* kept for one busy path */

/* Something that keeps a path busy. */
struct holder {
	char kind[8]; /* "mount" */
	char mount_point[HOLDER_PATH_LEN];
	char source[256];
	char fstype[32];
	uint64_t mount_namespace; /* inode */
	uint32_t pid;		  /* a process in that namespace */
	char comm[65];
	bool in_container;
	struct container container;
};

/* What a scan did not look at (bits of *cut), and why. */
#define HOLDERS_CUT_TIME       (1U << 0) /* "time budget" */
#define HOLDERS_CUT_PROCS      (1U << 1) /* "process cap" */
#define HOLDERS_CUT_FDS	       (1U << 2) /* "descriptor cap" */
#define HOLDERS_CUT_MOUNTINFO  (1U << 3) /* "mountinfo cap" */
#define HOLDERS_CUT_MAPS       (1U << 4) /* "maps cap" */
#define HOLDERS_CUT_NAMESPACES (1U << 5) /* "namespace cap" */
#define HOLDERS_CUT_RATE       (1U << 6) /* "rate limit": the removal engine skipped it */
#define HOLDERS_CUT_PATH       (1U << 7) /* "path refused": not safely openable under a root */
#define HOLDERS_CUT_ALL	       0xffU

/* "time budget, process cap": the reasons of cut, "" for none. Returns buf. */
const char *holders_cut_text(uint32_t cut, char *buf, size_t cap);

/* The bounds of one scan; 0 in a field: its default. */
struct holders_limits {
	uint32_t max_procs;	 /* processes visited, per pass over /proc */
	uint32_t max_fds;	 /* descriptors looked at per process */
	uint32_t max_namespaces; /* mount namespaces whose mountinfo is read */
	size_t max_mountinfo;	 /* bytes read of one mountinfo */
	size_t max_maps;	 /* bytes read of one maps */
	uint64_t budget_ns;	 /* the whole scan */
};

struct holders_opts {
	const char *root;	    /* the root prefix: "" for the live system */
	const char *const *trusted; /* the storage roots the busy path must be under */
	int ntrusted;
	const struct holders_limits *limits; /* NULL: the defaults */
};

/*
 * Mounts at or under path: in caller_pid's mount namespace first, then in
 * every other mount namespace (one process each) that mounts the same
 * device and root; then processes using what is mounted there. ids (may be
 * NULL) names the containers of holding processes. Returns the number
 * filled (at most max) or -errno; *cut (may be NULL) gets HOLDERS_CUT_*.
 */
int holders_find(const struct holders_opts *o, uint32_t caller_pid, const char *path,
		 struct identity_table *ids, struct holder *out, int max, uint32_t *cut);

/*
 * The immutable and append-only attributes of path, opened from one of the
 * trusted roots under the root prefix (safepath_attributes()). 0 or -errno.
 */
int file_attributes(const char *root, const char *const *trusted, int ntrusted, const char *path,
		    bool *immutable, bool *append_only);

#endif /* STOPTRACE_HOLDERS_H */
