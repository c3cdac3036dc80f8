/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the path checks and the holder scans counted, for monitor_stats
 * and the metrics file: removal paths refused by their text (safepath.h),
 * holder scans run, skipped by each rate limit, and cut (scan_limit.h).
 */
#ifndef STOPTRACE_SCAN_REPORT_H
#define STOPTRACE_SCAN_REPORT_H

#include <stddef.h>
#include "lib/jsonw.h"
#include "engine/storage_watch.h"

/* "paths_refused" and a "holder_scans" object, into an open JSON object. */
void scan_report_json(struct jsonw *w, const struct storage_watch *sw);
/*
 * The same as metrics (exposition format) at buf; returns the length
 * written, 0 when it does not fit cap (nothing written then).
 */
size_t scan_report_metrics(const struct storage_watch *sw, char *buf, size_t cap);
/* The metrics file's len bytes at buf, these appended: the new length (0 stays 0). */
size_t scan_report_append(size_t len, const struct storage_watch *sw, char *buf, size_t cap);

#endif /* STOPTRACE_SCAN_REPORT_H */
