/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The rules for the files the monitor writes, where a directory may be shared
 * with other users (a textfile collector's directory, /tmp):
 *
 * - --output: a regular file (appended to, created 0640), a FIFO or a
 *   character device (/dev/stdout); a symlink, anywhere on the way, only in a
 *   directory no one else can change (owned by root or by this process's
 *   user, not group or other writable). A symlink in /tmp is refused.
 * - --record: opened with O_NOFOLLOW; an existing path that is not a regular
 *   file is refused (nothing else is opened to find out).
 * - --metrics-file: an existing path that is not a regular file is refused;
 *   the file is replaced through a temporary of a random name in the same
 *   directory, created with O_EXCL | O_NOFOLLOW, mode 0644 whatever the umask.
 *
 * Every function returns an open descriptor or 0, or -errno with why (cap
 * bytes) saying in words what was refused and why (naming the path).
 */
#ifndef STOPTRACE_SAFEFILE_H
#define STOPTRACE_SAFEFILE_H

#include <stdbool.h>
#include <stddef.h>

#define SAFEFILE_WHY_MAX 512

/* --output: a descriptor open for appending (blocking), or -errno. */
int safefile_open_output(const char *path, char *why, size_t cap);

/* --record: a regular file opened for writing, truncated; mode 0640 when created. */
int safefile_open_recording(const char *path, char *why, size_t cap);

/* --metrics-file: 0 when path is absent or a regular file (not a symlink). */
int safefile_check_regular(const char *path, char *why, size_t cap);

/*
 * A new temporary file for path in its directory, "<path>.<16 random hex
 * digits>.tmp", mode 0644; its name in tmp (tmp_cap bytes). A descriptor.
 */
int safefile_create_temp(const char *path, char *tmp, size_t tmp_cap, char *why, size_t cap);

/* Whether a directory with this owner and mode can be changed only by root or by uid. */
bool safefile_dir_private(unsigned int owner, unsigned int mode, unsigned int uid);

#endif /* STOPTRACE_SAFEFILE_H */
