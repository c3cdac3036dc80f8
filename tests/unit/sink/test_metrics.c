// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The metrics file: every series of the exposition format text, label value
 * escaping, and the atomic replacement of the file in a directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sink/metrics.h"

static char text[16384];

static void test_escape(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(metrics_escape(out, sizeof(out), "a\\b\"c\nd"), 10);
	assert_string_equal(out, "a\\\\b\\\"c\\nd");
	assert_int_equal(metrics_escape(out, sizeof(out), "plain-1.0"), 9);
	assert_string_equal(out, "plain-1.0");
	/* cut: whole escapes only, the needed length returned */
	assert_int_equal(metrics_escape(out, 4, "ab\"c"), 5);
	assert_string_equal(out, "ab");
}

/* The value of the series written exactly as `series`, or -1. */
static long long value_of(const char *series)
{
	size_t n = strlen(series);

	for (const char *p = text; *p;) {
		const char *eol = strchr(p, '\n');

		assert_non_null(eol);
		if ((size_t)(eol - p) > n && !strncmp(p, series, n) && p[n] == ' ')
			return atoll(p + n + 1);
		p = eol + 1;
	}
	return -1;
}

static bool has_line(const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; *p;) {
		const char *eol = strchr(p, '\n');

		if ((size_t)(eol - p) == n && !strncmp(p, line, n))
			return true;
		p = eol + 1;
	}
	return false;
}

static void test_format(void **state)
{
	struct metrics m = {
		.events = 208,
		.lost = 3,
		.containers = 2,
		.start_time_s = 1795758519,
		.version = "0.1.0",
		.nsinks = 2,
		.sinks = {{"output", 140, 0, 1}, {"syslog", 100, 40, 0}},
	};
	size_t len;

	(void)state;
	m.stops[TL_GRACEFUL] = 5;
	m.stops[TL_STOP_SIGNAL_IGNORED] = 2;
	m.alerts[TL_ALERT_STOP_SIGNAL_IGNORED] = 2;
	m.removals[1] = 1;
	m.table_full[BOUND_TRACKED_CGROUPS] = 7;
	len = metrics_format(&m, text, sizeof(text));
	assert_true(len > 0 && len == strlen(text));
	assert_int_equal(text[len - 1], '\n');

	/* every verdict and kind, zeros included */
	for (int v = 0; v < TL_VERDICT_MAX; v++) {
		char s[128];

		snprintf(s, sizeof(s), "stoptrace_stops_total{verdict=\"%s\"}", tl_verdict_name(v));
		assert_int_equal(value_of(s), m.stops[v]);
	}
	for (int k = 0; k < TL_ALERT_KIND_MAX; k++) {
		char s[128];

		snprintf(s, sizeof(s), "stoptrace_alerts_total{kind=\"%s\"}",
			 tl_alert_kind_name(k));
		assert_int_equal(value_of(s), m.alerts[k]);
	}
	assert_int_equal(value_of("stoptrace_stops_total{verdict=\"graceful\"}"), 5);
	assert_int_equal(value_of("stoptrace_removals_total{outcome=\"removed\"}"), 0);
	assert_int_equal(value_of("stoptrace_removals_total{outcome=\"failed\"}"), 1);
	assert_int_equal(value_of("stoptrace_events_total"), 208);
	assert_int_equal(value_of("stoptrace_lost_records_total{where=\"kernel\"}"), 3);
	assert_int_equal(value_of("stoptrace_sink_written_total{sink=\"output\"}"), 140);
	assert_int_equal(value_of("stoptrace_sink_dropped_total{sink=\"syslog\"}"), 40);
	assert_int_equal(value_of("stoptrace_sink_errors_total{sink=\"output\"}"), 1);
	assert_int_equal(value_of("stoptrace_containers_tracked"), 2);
	/* every bounded table, zeros included */
	for (int b = 0; b < BOUND_MAX; b++) {
		char s[128];

		snprintf(s, sizeof(s), "stoptrace_table_full_total{table=\"%s\"}", bound_name(b));
		assert_int_equal(value_of(s), m.table_full[b]);
	}
	assert_int_equal(value_of("stoptrace_table_full_total{table=\"tracked_cgroups\"}"), 7);
	assert_true(has_line("# TYPE stoptrace_table_full_total counter"));
	assert_int_equal(value_of("stoptrace_start_time_seconds"), 1795758519);
	assert_int_equal(value_of("stoptrace_build_info{version=\"0.1.0\"}"), 1);

	assert_true(has_line("# TYPE stoptrace_stops_total counter"));
	assert_true(has_line("# TYPE stoptrace_containers_tracked gauge"));
	assert_true(has_line("# TYPE stoptrace_build_info gauge"));
	assert_true(has_line("# HELP stoptrace_events_total Records read from the kernel."));
	/* HELP and TYPE come before the family's first sample */
	assert_true(strstr(text, "# TYPE stoptrace_alerts_total counter") <
		    strstr(text, "stoptrace_alerts_total{"));

	/* a buffer too small gives nothing rather than a cut file */
	assert_int_equal(metrics_format(&m, text, 200), 0);
}

static void test_format_escapes_labels(void **state)
{
	struct metrics m = {
		.version = "1.0\"} 9\nevil{x=\"", .nsinks = 1, .sinks = {{"out\\put", 1, 0, 0}}};

	(void)state;
	assert_true(metrics_format(&m, text, sizeof(text)) > 0);
	assert_int_equal(value_of("stoptrace_build_info{version=\"1.0\\\"} 9\\nevil{x=\\\"\"}"), 1);
	assert_int_equal(value_of("stoptrace_sink_written_total{sink=\"out\\\\put\"}"), 1);
	assert_false(has_line("evil{x=\"\"} 1"));
}

static size_t entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void read_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, cap - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
}

static void test_atomic_write(void **state)
{
	char dir[] = "/tmp/stoptrace-metrics-XXXXXX", path[256], sub[256], buf[64];
	struct stat st;
	ino_t first;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/stoptrace.prom", dir);
	assert_int_equal(metrics_write_file(path, "a 1\n", 4), 0);
	read_file(path, buf, sizeof(buf));
	assert_string_equal(buf, "a 1\n");
	assert_int_equal(stat(path, &st), 0);
	first = st.st_ino;
	/* replaced, not rewritten in place: a reader holding the old file keeps it whole */
	assert_int_equal(metrics_write_file(path, "a 2\n", 4), 0);
	read_file(path, buf, sizeof(buf));
	assert_string_equal(buf, "a 2\n");
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_ino != first);
	assert_int_equal(st.st_mode & 0777, 0644);
	/* no temporary file left behind */
	assert_int_equal(entries(dir), 1);

	/* a path that cannot be replaced: the error, and still nothing left behind */
	snprintf(sub, sizeof(sub), "%s/adir", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(metrics_write_file(sub, "a 3\n", 4), -EISDIR);
	assert_int_equal(entries(dir), 2);
	assert_int_equal(metrics_write_file("/nonexistent-dir/x.prom", "a\n", 2), -ENOENT);
	rmdir(sub);
	unlink(path);
	rmdir(dir);
}

/* A table that reaches its bound is said once, by name; the counts go on. */
static void test_bounds_said_once(void **state)
{
	uint64_t full[BOUND_MAX] = {0};
	struct bounds b = {0};
	char line[512];

	(void)state;
	assert_false(bounds_news(&b, full, line, sizeof(line)));
	full[BOUND_IDENTITY] = 1;
	full[BOUND_REMOVALS] = 3;
	assert_true(bounds_news(&b, full, line, sizeof(line)));
	assert_non_null(strstr(line, "the identity table is full"));
	assert_non_null(strstr(line, "table_full_total{table=\"identity\"}"));
	assert_true(bounds_news(&b, full, line, sizeof(line)));
	assert_non_null(strstr(line, "the removals table is full"));
	assert_false(bounds_news(&b, full, line, sizeof(line)));
	full[BOUND_IDENTITY] = 50;
	assert_false(bounds_news(&b, full, line, sizeof(line)));
	assert_int_equal(b.full[BOUND_IDENTITY], 50);
	assert_string_equal(bound_name(BOUND_TRACKED_CGROUPS), "tracked_cgroups");
	assert_null(bound_name(BOUND_MAX));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_escapes_labels),
		cmocka_unit_test(test_atomic_write),
		cmocka_unit_test(test_bounds_said_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
