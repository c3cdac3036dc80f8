/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Alerts and stop timelines as records: JSON lines (never over RECORD_MAX:
 * a long timeline keeps its first and last events and says how many it left
 * out) and text for people (a block per stop, alerts that stand out).
 */
#ifndef STOPTRACE_REPORT_H
#define STOPTRACE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include "report/records.h"
#include "engine/removal.h"
#include "engine/timeline.h"

struct report_ctx {
	const struct record_ctx *rc;
	uint64_t alert_prefix; /* makes alert ids unique across monitor runs */
	uint64_t now_ns;       /* boot clock when the record is written (latency) */
};

size_t report_alert_json(const struct report_ctx *r, const struct tl_alert *a, bool resolved,
			 char *buf, size_t cap);
size_t report_alert_text(const struct report_ctx *r, const struct tl_alert *a, bool resolved,
			 char *buf, size_t cap);
size_t report_stop_json(const struct report_ctx *r, const struct tl_stop *s, char *buf, size_t cap);
size_t report_stop_text(const struct report_ctx *r, const struct tl_stop *s, char *buf, size_t cap);

/*
 * running_report.c: "still_running" with the first n processes of r (NULL:
 * nothing written), and its text lines appended to buf[0..len) (returns the
 * new length).
 */
void report_running_json(struct jsonw *w, const struct tl_running *r, int stop_signal, uint32_t n);
size_t report_running_text(const struct tl_running *r, int stop_signal, const char *indent,
			   char *buf, size_t cap, size_t len);

/* removal_timeline and rootfs_removal_failed (removal_report.c). */
size_t report_removal_json(const struct report_ctx *r, const struct rm_removal *rm, char *buf,
			   size_t cap);
size_t report_removal_text(const struct report_ctx *r, const struct rm_removal *rm, char *buf,
			   size_t cap);
size_t report_removal_alert_json(const struct report_ctx *r, const struct rm_alert *a, char *buf,
				 size_t cap);
size_t report_removal_alert_text(const struct report_ctx *r, const struct rm_alert *a, char *buf,
				 size_t cap);

/* "1735689600-42": the id an alert carries in every output. */
void report_alert_id(const struct report_ctx *r, uint64_t id, char *buf, size_t cap);

#endif /* STOPTRACE_REPORT_H */
