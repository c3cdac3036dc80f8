/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Why a removal failed, looked at the moment it failed: what is mounted at
 * or below a busy path (the only thing that makes unlink/rmdir fail with
 * EBUSY since Linux 3.18 is a mount in the caller's own mount namespace;
 * mounts of it in other namespaces keep a device busy), and a file's
 * immutable and append-only attributes for EPERM. Reads under a root prefix.
 */
#ifndef STOPTRACE_HOLDERS_H
#define STOPTRACE_HOLDERS_H

#include <stdbool.h>
#include <stdint.h>
#include "identity.h"
#include "removal.h"

/*
 * Mounts at or under path: in caller_pid's mount namespace first, then in
 * every other mount namespace (one process each) that mounts the same
 * device and root. ids (may be NULL) names the containers of holding
 * processes. Returns the number filled (at most max) or -errno.
 */
int holders_find(const char *root, uint32_t caller_pid, const char *path,
		 struct identity_table *ids, struct rm_holder *out, int max);

/* FS_IOC_GETFLAGS of path (not following a last symlink). 0 or -errno. */
int file_attributes(const char *path, bool *immutable, bool *append_only);

#endif /* STOPTRACE_HOLDERS_H */
