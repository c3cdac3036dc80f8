// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include "host/safepath.h"
#include "host/scan_limit.h"
#include "report/scan_report.h"

void scan_report_json(struct jsonw *w, const struct storage_watch *sw)
{
	struct scan_limit_stats s;

	storage_watch_scan_stats(sw, &s);
	jsonw_uint(w, "paths_refused", safepath_refused());
	jsonw_obj_key(w, "holder_scans");
	jsonw_uint(w, "run", s.run);
	jsonw_uint(w, "incomplete", s.incomplete);
	jsonw_uint(w, "skipped_removal", s.skipped_removal);
	jsonw_uint(w, "skipped_container", s.skipped_container);
	jsonw_uint(w, "skipped_global", s.skipped_global);
	jsonw_obj_close(w);
}

size_t scan_report_metrics(const struct storage_watch *sw, char *buf, size_t cap)
{
	struct scan_limit_stats s;
	int n;

	storage_watch_scan_stats(sw, &s);
	n = snprintf(
		buf, cap,
		"# HELP stoptrace_paths_refused_total Removal paths refused by their text (., .. or empty components), never resolved.\n"
		"# TYPE stoptrace_paths_refused_total counter\n"
		"stoptrace_paths_refused_total %llu\n"
		"# HELP stoptrace_holder_scans_total Scans for what holds a busy path, by outcome (skipped: a rate limit).\n"
		"# TYPE stoptrace_holder_scans_total counter\n"
		"stoptrace_holder_scans_total{outcome=\"run\"} %llu\n"
		"stoptrace_holder_scans_total{outcome=\"skipped_removal\"} %llu\n"
		"stoptrace_holder_scans_total{outcome=\"skipped_container\"} %llu\n"
		"stoptrace_holder_scans_total{outcome=\"skipped_global\"} %llu\n"
		"# HELP stoptrace_holder_scans_incomplete_total Holder scans cut by a bound (holders_incomplete).\n"
		"# TYPE stoptrace_holder_scans_incomplete_total counter\n"
		"stoptrace_holder_scans_incomplete_total %llu\n",
		(unsigned long long)safepath_refused(), (unsigned long long)s.run,
		(unsigned long long)s.skipped_removal, (unsigned long long)s.skipped_container,
		(unsigned long long)s.skipped_global, (unsigned long long)s.incomplete);
	if (n < 0 || (size_t)n >= cap) {
		if (cap)
			buf[0] = '\0';
		return 0;
	}
	return (size_t)n;
}

size_t scan_report_append(size_t len, const struct storage_watch *sw, char *buf, size_t cap)
{
	/* a file that did not fit stays as it was: 0 */
	return len ? len + scan_report_metrics(sw, buf + len, cap - len) : 0;
}
