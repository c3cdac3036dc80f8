/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Decoding of ring-buffer records: size checks per kind, forced string
 * termination, and the full path of an unmount or removal call.
 */
#ifndef STOPTRACE_EVENT_DECODE_H
#define STOPTRACE_EVENT_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "stoptrace_event.h"

/* Bytes a record of this kind occupies, 0 for an unknown kind. */
size_t event_size(unsigned int kind);

/*
 * Check a record as read from the ring buffer and copy it into out with every
 * string NUL-terminated. Returns 0, or -EINVAL for a short or unknown record,
 * or one no kernel writes (a call that returned other than 0 or -errno).
 */
int event_decode(const void *data, size_t len, struct st_event *out);

/* "signal_generate", "process_exit", ...; NULL for an unknown kind. */
const char *event_kind_name(unsigned int kind);

/* The cgroup the event happened in, 0 when its record carries none. */
uint64_t event_cgroup_id(const struct st_event *e);

/* "umount", "unlink", "unlinkat", "rmdir"; NULL when unknown. */
const char *fs_op_name(unsigned int op);

/*
 * The absolute path of an unmount or removal call: the reversed directory
 * components, then the name as passed. Sets *complete to false when the
 * kernel could not resolve all of it (the path then starts with "…/" for a
 * cut walk or "?/" for an unreadable directory). Returns the length, or
 * -ENOSPC when out is too small.
 */
int event_fs_path(const struct st_fs_call *fs, char *out, size_t cap, bool *complete);

/* The process a task belongs to, as reported: tgid and pid in its namespace. */
static inline bool task_is_ns_init(const struct st_task *t)
{
	return t->flags & ST_TASK_NS_INIT;
}

#endif /* STOPTRACE_EVENT_DECODE_H */
