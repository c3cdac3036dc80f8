// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What the monitor writes: each record built as the sinks need it (JSON,
 * text) and handed to their queues, the engines' alerts and timelines, the
 * monitor_* records, and the metrics file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "privilege/caps.h"
#include "lib/jsonw.h"
#include "monitor/monitor_int.h"
#include "privilege/privsep.h"
#include "report/scan_report.h"

/* Which forms of a record to build: the main output's format, and JSON for syslog. */
static bool need_json(const struct monitor *m)
{
	return m->opts->format == OUT_JSON || m->nsinks > SINK_SYSLOG;
}

static bool need_text(const struct monitor *m)
{
	return m->opts->format == OUT_TEXT;
}

void check_output_closed(struct monitor *m)
{
	if (sink_fatal(&m->sinks[SINK_OUTPUT]) == -EPIPE) {
		m->fatal = -EPIPE;
		m->stop = true;
	}
}

/*
 * Hand a record, built in m->json (jlen) and m->line (tlen) as need_json and
 * need_text ask, to every sink; none waits for its writer. Returns 0 when
 * the main output took it.
 */
static int emit(struct monitor *m, const char *type, size_t jlen, size_t tlen)
{
	int64_t now = clock_ns(CLOCK_REALTIME);
	bool json = m->opts->format == OUT_JSON;
	int err;

	if (!(json ? jlen : tlen)) {
		/* a record that could not be built is never an empty line: counted, said once */
		m->unwritable++;
		if (m->unwritable == 1)
			fprintf(stderr,
				"stoptrace: a %s record did not fit in %d bytes; such records are counted in monitor_stopped's unwritable\n",
				type, RECORD_MAX);
		return -EMSGSIZE;
	}
	if (m->replaying) {
		/* no kernel to keep up with: written in place, none dropped */
		err = output_write(&m->out, json ? m->json : m->line, json ? jlen : tlen);
		if (err == -EPIPE) {
			m->fatal = -EPIPE;
			m->stop = true;
		}
		return err;
	}
	err = sink_submit(&m->sinks[SINK_OUTPUT], type, now, json ? m->json : m->line,
			  json ? jlen : tlen);

	if (!err)
		m->out_queued++;
	check_output_closed(m);
	if (m->nsinks > SINK_SYSLOG)
		sink_submit(&m->sinks[SINK_SYSLOG], type, now, m->json, jlen);
	return err;
}

static bool container_matches(const struct container *c, const char *what)
{
	size_t n = strlen(what);
	const char *w = what[0] == '/' ? what + 1 : what;

	if (!n)
		return false;
	return !strncmp(c->id, what, n) || (c->name[0] && !strcmp(c->name, w));
}

/* Whether --container lets this container's records through. */
bool container_selected(const struct monitor *m, const struct container *c)
{
	if (!m->opts->ncontainers)
		return true;
	if (!c)
		return false;
	for (int i = 0; i < m->opts->ncontainers; i++)
		if (container_matches(c, m->opts->containers[i]))
			return true;
	return false;
}

static void on_alert_common(struct monitor *m, const struct tl_alert *a, bool resolved)
{
	size_t jlen = 0, tlen = 0;

	if (!container_selected(m, &a->container))
		return;
	if (!resolved && a->kind < TL_ALERT_KIND_MAX)
		m->metrics.alerts[a->kind]++;
	m->report.now_ns = m->now;
	if (need_json(m))
		jlen = report_alert_json(&m->report, a, resolved, m->json, m->json_cap);
	if (need_text(m))
		tlen = report_alert_text(&m->report, a, resolved, m->line, sizeof(m->line));
	if (emit(m, resolved ? "alert_resolved" : "alert", jlen, tlen) == 0 && !resolved) {
		m->alerts++;
		if (a->event_ts_ns && m->report.now_ns > a->event_ts_ns) {
			uint64_t lat = m->report.now_ns - a->event_ts_ns;

			m->latency_sum_ns += lat;
			m->latency_n++;
			if (lat > m->latency_max_ns)
				m->latency_max_ns = lat;
		}
	}
}

static void on_alert(void *ctx, const struct tl_alert *a)
{
	on_alert_common(ctx, a, false);
}

static void on_alert_resolved(void *ctx, const struct tl_alert *a)
{
	on_alert_common(ctx, a, true);
}

static void on_stop_timeline(void *ctx, const struct tl_stop *s)
{
	struct monitor *m = ctx;
	size_t jlen = 0, tlen = 0;

	if (!container_selected(m, &s->container))
		return;
	if (s->verdict < TL_VERDICT_MAX)
		m->metrics.stops[s->verdict]++;
	if (m->opts->alerts_only)
		return;
	m->report.now_ns = m->now;
	if (need_json(m))
		jlen = report_stop_json(&m->report, s, m->json, m->json_cap);
	if (need_text(m))
		tlen = report_stop_text(&m->report, s, m->line, sizeof(m->line));
	if (emit(m, "stop_timeline", jlen, tlen) == 0)
		m->timelines++;
	if (m->opts->trace_id && !strcmp(s->container.id, m->opts->trace_id)) {
		m->trace_done = true;
		m->trace_verdict = s->verdict;
		m->stop = true;
	}
}

static void on_removal_alert(void *ctx, const struct rm_alert *a)
{
	struct monitor *m = ctx;
	size_t jlen = 0, tlen = 0;

	if (!container_selected(m, &a->removal->container))
		return;
	m->metrics.alerts[TL_ALERT_ROOTFS_REMOVAL_FAILED]++;
	m->report.now_ns = m->now;
	if (need_json(m))
		jlen = report_removal_alert_json(&m->report, a, m->json, m->json_cap);
	if (need_text(m))
		tlen = report_removal_alert_text(&m->report, a, m->line, sizeof(m->line));
	if (emit(m, "alert", jlen, tlen) == 0)
		m->alerts++;
}

static void on_removal_timeline(void *ctx, const struct rm_removal *r)
{
	struct monitor *m = ctx;
	size_t jlen = 0, tlen = 0;

	if (!container_selected(m, &r->container))
		return;
	m->metrics.removals[r->failed ? 1 : 0]++;
	if (m->opts->alerts_only)
		return;
	m->report.now_ns = m->now;
	if (need_json(m))
		jlen = report_removal_json(&m->report, r, m->json, m->json_cap);
	if (need_text(m))
		tlen = report_removal_text(&m->report, r, m->line, sizeof(m->line));
	if (emit(m, "removal_timeline", jlen, tlen) == 0)
		m->removals++;
}

void print_event(struct monitor *m, const struct st_event *e, const struct container *c,
		 const char *path, bool complete)
{
	size_t jlen = 0, tlen = 0;

	if (!m->opts->events || m->opts->alerts_only)
		return;
	if (need_json(m))
		jlen = record_event_json(&m->rc, e, c, path, complete, m->json, m->json_cap);
	if (need_text(m))
		tlen = record_event_text(&m->rc, e, c, path, m->line, sizeof(m->line));
	if (emit(m, "event", jlen, tlen) == 0)
		m->events_out++;
}

/* "removal_hooks": {"mode", "attached", "attaches", "attached_s", "triggers", ...} */
static void json_rmhooks(struct monitor *m, struct jsonw *w)
{
	jsonw_obj_key(w, "removal_hooks");
	jsonw_str(w, "mode", rh_mode_name(m->rh.mode));
	jsonw_bool(w, "attached", m->rh.attached);
	jsonw_uint(w, "attaches", m->rh.attaches);
	jsonw_uint(w, "attached_s", rh_attached_ns(&m->rh, now_boot_ns()) / 1000000000ULL);
	jsonw_uint(w, "triggers", m->rh.triggers);
	jsonw_uint(w, "idle_containers", m->rh_idle);
	jsonw_uint(w, "errors", m->rh.attach_errors);
	jsonw_obj_close(w);
}

void print_started(struct monitor *m)
{
	const char *const *progs = loader_programs(m->loader);
	size_t jlen = 0, tlen = 0;
	struct utsname u;
	struct jsonw w;
	int n = 0;

	uname(&u);
	while (progs[n])
		n++;
	if (need_json(m)) {
		jsonw_init(&w, m->json, m->json_cap);
		record_begin(&w, &m->rc, "monitor_started", now_boot_ns());
		jsonw_str(&w, "version", STOPTRACE_VERSION);
		jsonw_uint(&w, "pid", getpid());
		jsonw_str(&w, "kernel", u.release);
		jsonw_str(&w, "cgroup_v2", m->cg2_dir);
		jsonw_str(&w, "cgroup_v1_memory",
			  m->v1_controller == ST_V1_MEMORY ? m->v1_dir : "");
		jsonw_str(&w, "cgroup_v1_pids", m->v1_controller == ST_V1_PIDS ? m->v1_dir : "");
		jsonw_uint(&w, "containers", identity_table_count(m->ids));
		jsonw_arr_key(&w, "programs");
		for (int i = 0; i < n; i++)
			jsonw_str(&w, NULL, progs[i]);
		jsonw_arr_close(&w);
		caps_json(&w, "capabilities", m->caps);
		jsonw_uint(&w, "uid", getuid());
		jsonw_uint(&w, "securebits", (unsigned int)prctl(PR_GET_SECUREBITS, 0, 0, 0, 0));
		jsonw_bool(&w, "seccomp", m->seccomp);
		jsonw_str(&w, "removal_hooks", rh_mode_name(m->rh.mode));
		trust_json(&w, &m->trust);
		jsonw_obj_close(&w);
		jlen = w.len;
	}
	if (need_text(m))
		tlen = (size_t)snprintf(
			m->line, sizeof(m->line),
			"stoptrace %s watching %zu containers on %s (kernel %s, %d programs)",
			STOPTRACE_VERSION, identity_table_count(m->ids), m->host, u.release, n);
	emit(m, "monitor_started", jlen, tlen);
}

/* "sinks": {"output": {"written", "dropped", "errors"}, "syslog": {...}} */
static void json_sinks(struct monitor *m, struct jsonw *w)
{
	struct sink_counters c;

	jsonw_obj_key(w, "sinks");
	for (int i = 0; i < m->nsinks; i++) {
		sink_counters(&m->sinks[i], &c);
		jsonw_obj_key(w, m->sinks[i].name);
		jsonw_uint(w, "written", c.written);
		jsonw_uint(w, "dropped", c.dropped);
		jsonw_uint(w, "errors", c.errors);
		jsonw_obj_close(w);
	}
	jsonw_obj_close(w);
}

/* Records dropped by every sink, for the text lines. */
static uint64_t sinks_dropped(struct monitor *m)
{
	struct sink_counters c;
	uint64_t n = 0;

	for (int i = 0; i < m->nsinks; i++) {
		sink_counters(&m->sinks[i], &c);
		n += c.dropped;
	}
	return n;
}

static uint64_t output_errors(struct monitor *m)
{
	struct sink_counters c;

	sink_counters(&m->sinks[SINK_OUTPUT], &c);
	return c.errors;
}

/* The kernel side's removal-call counters: "fs_mismatch", "fs_inflight_errors", ... */
static void json_kernel_drops(struct jsonw *w, const struct loader_counters *k)
{
	jsonw_uint(w, "fs_mismatch", k->fs_mismatch);
	jsonw_uint(w, "fs_inflight_errors", k->fs_inflight_errors);
	jsonw_uint(w, "fs_untrusted", k->fs_untrusted);
	jsonw_uint(w, "runtime_task_errors", k->runtime_task_errors);
}

/* "lost", "kernel_records", "events_read": what the kernel side wrote and what was read of it */
static void json_events(struct jsonw *w, const struct monitor *m, const struct loader_counters *k)
{
	jsonw_uint(w, "lost", k->lost);
	jsonw_uint(w, "kernel_records", k->emitted);
	jsonw_uint(w, "events_read", m->events_in);
}

/* "alerts", "stop_timelines", "removal_timelines": the results so far */
static void json_results(struct jsonw *w, const struct monitor *m)
{
	jsonw_uint(w, "alerts", m->alerts);
	jsonw_uint(w, "stop_timelines", m->timelines);
	jsonw_uint(w, "removal_timelines", m->removals);
}

/*
 * "sinks", "removal_hooks", the holder scans and the samples of stopping
 * containers: how each part of the monitor fares
 */
static void json_parts(struct monitor *m, struct jsonw *w)
{
	json_sinks(m, w);
	json_rmhooks(m, w);
	scan_report_json(w, m->sw);
	jsonw_uint(w, "running_samples", m->running_samples);
	jsonw_uint(w, "running_samples_skipped", m->running_skipped);
}

/* Counters every few seconds: what a log pipeline graphs and alarms on. */
void print_stats(struct monitor *m)
{
	struct loader_counters k = {};
	size_t jlen = 0, tlen = 0;
	struct jsonw w;

	loader_counters(m->loader, &k);
	if (need_json(m)) {
		jsonw_init(&w, m->json, m->json_cap);
		record_begin(&w, &m->rc, "monitor_stats", now_boot_ns());
		/* handed to the main output so far, this one included */
		jsonw_uint(&w, "records", m->out_queued + 1);
		json_events(&w, m, &k);
		jsonw_uint(&w, "sink_errors", output_errors(m));
		jsonw_uint(&w, "containers", identity_table_count(m->ids));
		jsonw_uint(&w, "open_stops", timeline_open_stops(m->tl));
		jsonw_uint(&w, "open_removals", storage_watch_open_removals(m->sw));
		json_results(&w, m);
		jsonw_uint(&w, "storage_paths", storage_watch_paths(m->sw));
		tracking_json(m, &w);
		json_kernel_drops(&w, &k);
		jsonw_obj_key(&w, "alert_latency_ms");
		jsonw_uint(&w, "max", m->latency_max_ns / 1000000);
		jsonw_uint(&w, "mean",
			   m->latency_n ? m->latency_sum_ns / m->latency_n / 1000000 : 0);
		jsonw_uint(&w, "count", m->latency_n);
		jsonw_obj_close(&w);
		json_parts(m, &w);
		jsonw_obj_close(&w);
		jlen = w.len;
	}
	if (need_text(m))
		tlen = (size_t)snprintf(
			m->line, sizeof(m->line),
			"stats: %llu records, %llu lost, %llu sink errors, %llu dropped by sinks, %zu containers, %zu stops open, %zu removals open, alert latency max %llu ms",
			(unsigned long long)m->out_queued + 1, (unsigned long long)k.lost,
			(unsigned long long)output_errors(m), (unsigned long long)sinks_dropped(m),
			identity_table_count(m->ids), timeline_open_stops(m->tl),
			storage_watch_open_removals(m->sw),
			(unsigned long long)(m->latency_max_ns / 1000000));
	emit(m, "monitor_stats", jlen, tlen);
}

static void print_stopped(struct monitor *m, const char *reason)
{
	struct loader_counters k = {};
	struct sink_counters out;
	size_t jlen = 0, tlen = 0;
	struct jsonw w;

	loader_counters(m->loader, &k);
	/* the sinks were drained: what the main output wrote, and this record */
	sink_counters(&m->sinks[SINK_OUTPUT], &out);
	if (need_json(m)) {
		jsonw_init(&w, m->json, m->json_cap);
		record_begin(&w, &m->rc, "monitor_stopped", now_boot_ns());
		jsonw_str(&w, "reason", reason);
		jsonw_uint(&w, "records", out.written + 1);
		json_events(&w, m, &k);
		jsonw_uint(&w, "events_bad", m->events_bad);
		jsonw_uint(&w, "unwritable", m->unwritable);
		jsonw_uint(&w, "sink_errors", out.errors);
		json_results(&w, m);
		jsonw_uint(&w, "path_errors", k.path_errors);
		json_kernel_drops(&w, &k);
		json_parts(m, &w);
		jsonw_obj_close(&w);
		jlen = w.len;
	}
	if (need_text(m))
		tlen = (size_t)snprintf(
			m->line, sizeof(m->line),
			"stoptrace stopped (%s): %llu records, %llu lost in the kernel, %llu write errors, %llu dropped by sinks",
			reason, (unsigned long long)out.written + 1, (unsigned long long)k.lost,
			(unsigned long long)out.errors, (unsigned long long)sinks_dropped(m));
	emit(m, "monitor_stopped", jlen, tlen);
}

/* The metrics file's text, from the counters as they are now, in m->metrics_text. */
static size_t format_metrics(struct monitor *m)
{
	struct loader_counters k = {};
	struct sink_counters c;
	size_t len;

	if (m->loader)
		loader_counters(m->loader, &k);
	m->metrics.events = m->events_in;
	m->metrics.lost = k.lost;
	m->metrics.fs_dropped[METRICS_FS_MISMATCH] = k.fs_mismatch;
	m->metrics.fs_dropped[METRICS_FS_INFLIGHT_FULL] = k.fs_inflight_errors;
	m->metrics.fs_dropped[METRICS_FS_UNTRUSTED] = k.fs_untrusted;
	m->metrics.fs_dropped[METRICS_FS_RUNTIME_TASKS] = k.runtime_task_errors;
	m->metrics.containers = m->ids ? identity_table_count(m->ids) : 0;
	tracking_full(m, m->metrics.table_full);
	m->metrics.nsinks = m->nsinks;
	for (int i = 0; i < m->nsinks; i++) {
		sink_counters(&m->sinks[i], &c);
		m->metrics.sinks[i].name = m->sinks[i].name;
		m->metrics.sinks[i].written = c.written;
		m->metrics.sinks[i].dropped = c.dropped;
		m->metrics.sinks[i].errors = c.errors;
	}
	len = metrics_format(&m->metrics, m->metrics_text, sizeof(m->metrics_text));
	len = scan_report_append(len, m->sw, m->metrics_text, sizeof(m->metrics_text));
	return monitor_running_metrics(m, len, m->metrics_text, sizeof(m->metrics_text));
}

/* Write the metrics file now: at start (a path that fails is an error) and at exit. */
int write_metrics(struct monitor *m)
{
	size_t len;

	if (!m->opts->metrics_path)
		return 0;
	len = format_metrics(m);
	if (!len)
		return -ENOSPC;
	return privsep_write_metrics(m->opts->metrics_path, m->metrics_text, len);
}

int write_metrics_file(void *ctx, const struct sink_record *r)
{
	return privsep_write_metrics(ctx, r->line, r->len);
}

/* Every few seconds: hand the text to the metrics writer; a file that failed is tried next time. */
void update_metrics(struct monitor *m)
{
	size_t len = format_metrics(m);

	if (len)
		sink_submit(&m->metrics_out, "metrics", 0, m->metrics_text, len);
}

/*
 * The main output's writer. A write that fails (a full disk) loses that record,
 * counted in the sink's errors; standard error says so once when it starts
 * failing and once when writing works again, with how many were lost.
 */
static int write_output(void *ctx, const struct sink_record *r)
{
	struct monitor *m = ctx;
	const char *where = m->opts->output_path ? m->opts->output_path : "standard output";
	int err = output_write(&m->out, r->line, r->len);

	if (err && err != -EPIPE) {
		if (!m->out_failed++)
			fprintf(stderr,
				"stoptrace: cannot write to '%s': %s; records are lost (and counted in sink_errors) until it works again\n",
				where, strerror(-err));
	} else if (!err && m->out_failed) {
		fprintf(stderr, "stoptrace: writing to '%s' again; %llu records were lost\n", where,
			(unsigned long long)m->out_failed);
		m->out_failed = 0;
	}
	return err;
}

/* The main output's writer, and syslog's with --syslog. Prints what failed. */
int start_sinks(struct monitor *m)
{
	const char *path = m->opts->syslog_path;
	int err;

	m->json_cap = sizeof(m->json);
	err = sink_start(&m->sinks[SINK_OUTPUT], "output", SINK_QUEUE_RECORDS, SINK_QUEUE_BYTES,
			 write_output, m);
	if (err) {
		fprintf(stderr, "stoptrace: cannot start the output writer: %s\n", strerror(-err));
		return err;
	}
	m->nsinks = 1;
	if (!path)
		return 0;
	m->syslog = malloc(sizeof(*m->syslog));
	if (!m->syslog) {
		fprintf(stderr, "stoptrace: out of memory\n");
		return -ENOMEM;
	}
	err = syslog_open(m->syslog, path, m->host);
	if (err) {
		fprintf(stderr,
			"stoptrace: cannot connect to the syslog socket '%s': %s: is the syslog daemon running? (--syslog=SOCKET names another socket)\n",
			path, strerror(-err));
		return err;
	}
	err = sink_start(&m->sinks[SINK_SYSLOG], "syslog", SINK_QUEUE_RECORDS, SINK_QUEUE_BYTES,
			 syslog_write, m->syslog);
	if (err) {
		fprintf(stderr, "stoptrace: cannot start the syslog writer: %s\n", strerror(-err));
		return err;
	}
	m->nsinks = 2;
	/* every record must fit one syslog message with its header */
	m->json_cap = SYSLOG_MSG_MAX - SYSLOG_HEADER_MAX;
	return 0;
}

/*
 * Give the sinks a bounded time to write what they hold, then write the last
 * record (its counters are final now) and stop them. A closed standard
 * output gets no last record.
 */
void stop_sinks(struct monitor *m)
{
	int64_t deadline = clock_ns(CLOCK_MONOTONIC) + EXIT_WAIT_NS;
	bool drained[2] = {};

	for (int i = 0; i < m->nsinks; i++)
		drained[i] = sink_drain(&m->sinks[i], deadline);
	check_output_closed(m);
	if (m->fatal != -EPIPE && !m->opts->trace_id)
		print_stopped(m, "signal");
	deadline = clock_ns(CLOCK_MONOTONIC) + EXIT_WAIT_NS;
	for (int i = 0; i < m->nsinks; i++)
		sink_stop(&m->sinks[i], drained[i] ? deadline : clock_ns(CLOCK_MONOTONIC));
}

const struct tl_listener monitor_tl_listener = {
	.alert = on_alert,
	.alert_resolved = on_alert_resolved,
	.stop_timeline = on_stop_timeline,
};

const struct rm_listener monitor_rm_listener = {
	.alert = on_removal_alert,
	.timeline = on_removal_timeline,
};

int open_output(struct monitor *m)
{
	int err = output_open(&m->out, m->opts->output_path, m->opts->format, m->opts->color);

	if (err && m->out.why[0])
		fprintf(stderr, "stoptrace: %s\n", m->out.why);
	else if (err)
		fprintf(stderr, "stoptrace: cannot open output file '%s': %s\n",
			m->opts->output_path, strerror(-err));
	return err;
}
