/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Walking a path the monitor did not choose. The path text of a kernel
 * record is written by whoever made the call: it may spell a host path
 * from inside a container, climb with "..", or cross a symlink a tenant
 * planted. Such a path is first checked by its text (absolute, no ".", ".."
 * or empty component, no over-long component: refused and counted, never
 * resolved, since a lexical ".." disagrees with the kernel's), then opened
 * O_PATH only from a directory the operator named (a storage root), one
 * component at a time and never through a symlink, and looked at with
 * statx on that descriptor. Nothing but regular files and directories is
 * ever answered for: device nodes, FIFOs and sockets are refused without
 * being opened (an O_PATH descriptor does not open the file).
 */
#ifndef STOPTRACE_SAFEPATH_H
#define STOPTRACE_SAFEPATH_H

#include <stdbool.h>
#include <stdint.h>

#define SAFEPATH_MAX	  4096 /* PATH_MAX, the NUL included */
#define SAFEPATH_NAME_MAX 255  /* NAME_MAX */

/*
 * Whether path is absolute with at least one component, none of them empty,
 * "." or "..", none longer than SAFEPATH_NAME_MAX, the whole shorter than
 * SAFEPATH_MAX. 0, or -EINVAL / -ENAMETOOLONG. Counts nothing.
 */
int safepath_check(const char *path);
/* safepath_check(), a refusal counted (safepath_refused()). */
bool safepath_accept(const char *path);
/* Paths refused by safepath_accept() since the start. */
uint64_t safepath_refused(void);

/*
 * Open path O_PATH | O_NOFOLLOW | O_CLOEXEC from the trusted root it is
 * under (the longest of roots[0..nroots) that is a whole-component prefix
 * of it). prefix + root is opened O_PATH | O_DIRECTORY and may be a
 * symlink (the operator's configuration); below it, no symlink and no
 * magic link is followed, the final component included: openat2 with
 * RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS, or
 * openat() per component where openat2 is refused. prefix is "" for the
 * live system, a fixture directory in tests. Returns the descriptor or
 * -errno: -EINVAL for a path safepath_check() refuses, -EXDEV for one
 * under no root (nothing is opened then), -ELOOP for a symlink, -ENOTDIR
 * for an intermediate that is not a directory, -EOPNOTSUPP for anything
 * that is neither a regular file nor a directory.
 */
int safepath_open(const char *prefix, const char *const *roots, int nroots, const char *path);

/* The same below one open directory: rel is relative ("" for dirfd itself). */
int safepath_open_below(int dirfd, const char *rel);

/* What statx says of an O_PATH descriptor. */
struct safepath_stat {
	uint32_t dev_major, dev_minor;
	uint64_t ino;
	uint64_t mnt_id; /* 0 when the kernel does not say (before 5.8) */
	bool is_dir;
	bool mount_root;  /* the root of a mount (STATX_ATTR_MOUNT_ROOT, 5.8) */
	bool attrs_known; /* the filesystem reports immutable and append-only */
	bool immutable;	  /* chattr +i */
	bool append_only; /* chattr +a */
};

/*
 * statx(fd, "", AT_EMPTY_PATH). 0, or -errno; -ELOOP for a symlink and
 * -EOPNOTSUPP for what is neither a regular file nor a directory.
 */
int safepath_stat(int fd, struct safepath_stat *st);

/*
 * The immutable and append-only attributes of path, opened as
 * safepath_open() does. 0, or -errno (-EOPNOTSUPP when the filesystem does
 * not report them).
 */
int safepath_attributes(const char *prefix, const char *const *roots, int nroots, const char *path,
			bool *immutable, bool *append_only);

/* Tests: walk per component as if openat2 were refused. */
extern bool safepath_no_openat2;

#endif /* STOPTRACE_SAFEPATH_H */
