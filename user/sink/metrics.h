/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Counters in the Prometheus text exposition format, for node_exporter's
 * textfile collector. The file is replaced whole (a temporary file in the
 * same directory, fsync, rename): a reader never sees half of it.
 */
#ifndef STOPTRACE_METRICS_H
#define STOPTRACE_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include "lib/bounds.h"
#include "engine/timeline.h"

#define METRICS_MAX_SINKS   4
#define METRICS_OUTCOME_MAX 2 /* removed, failed */

/* Removal calls the kernel side dropped, by reason (stoptrace_kernel_fs_dropped_total). */
enum metrics_fs_drop {
	METRICS_FS_MISMATCH,	  /* an exit met another call's entry */
	METRICS_FS_INFLIGHT_FULL, /* the entry could not be stored */
	METRICS_FS_UNTRUSTED,	  /* a failing call of an untrusted caller */
	METRICS_FS_RUNTIME_TASKS, /* a runtime's child not added to runtime_tasks */
	METRICS_FS_DROP_MAX,
};

struct metrics_sink {
	const char *name;
	uint64_t written;
	uint64_t dropped;
	uint64_t errors;
};

struct metrics {
	uint64_t stops[TL_VERDICT_MAX];		/* stop timelines by verdict */
	uint64_t alerts[TL_ALERT_KIND_MAX];	/* alerts by kind */
	uint64_t removals[METRICS_OUTCOME_MAX]; /* removal timelines by outcome */
	uint64_t events;			/* records read from the kernel */
	uint64_t lost;				/* records the kernel could not write */
	uint64_t fs_dropped[METRICS_FS_DROP_MAX];
	struct metrics_sink sinks[METRICS_MAX_SINKS];
	int nsinks;
	uint64_t containers;		/* tracked now */
	uint64_t table_full[BOUND_MAX]; /* entries refused at a table's bound */
	int64_t start_time_s;
	const char *version;
};

const char *metrics_outcome_name(int outcome);

/*
 * Label value escaping of the exposition format: backslash, double quote
 * and newline become \\, \" and \n. Returns the length, or the length it
 * needed when cut (out holds whole escapes only).
 */
size_t metrics_escape(char *out, size_t cap, const char *s);
/* The whole file's text; the length, or 0 when it does not fit cap. */
size_t metrics_format(const struct metrics *m, char *buf, size_t cap);
/* Replace path with text atomically; -errno of the step that failed. */
int metrics_write_file(const char *path, const char *text, size_t len);

#endif /* STOPTRACE_METRICS_H */
