/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Opening and reading whole files that tenants or the kernel control, with a size cap. */
#ifndef STOPTRACE_READFILE_H
#define STOPTRACE_READFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

/*
 * Open path with flags and fstat what was opened into *st: the descriptor,
 * or -errno with nothing left open.
 */
int open_stat(const char *path, int flags, struct stat *st);

/*
 * Read the regular file at path into a malloc'd, NUL-terminated buffer.
 * Files of unknown size (/proc) are read until EOF. Never blocks on a FIFO
 * or a device: anything but a regular file is -EINVAL. More than max bytes
 * is -EFBIG. Returns 0 or -errno; on success *out is the caller's to free.
 */
int read_file_max(const char *path, size_t max, char **out, size_t *len);

/*
 * Read up to cap - 1 bytes of the file at path into buf and NUL-terminate
 * them: for the small files of /proc and cgroupfs. *len (when not NULL)
 * gets the byte count; *truncated (when not NULL) whether the file held
 * more. Returns 0 or -errno.
 */
int read_file_buf(const char *path, char *buf, size_t cap, size_t *len, bool *truncated);

#endif /* STOPTRACE_READFILE_H */
