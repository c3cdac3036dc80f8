// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include "caps.h"
#include "culprits.h"
#include "event.h"
#include "facts.h"
#include "identity.h"
#include "jsonw.h"
#include "loader.h"
#include "metrics.h"
#include "monitor.h"
#include "mountinfo.h"
#include "records.h"
#include "recording.h"
#include "storage_watch.h"
#include "report.h"
#include "sink.h"
#include "syslog.h"
#include "timeline.h"

#define META_TRIES   5
#define POLL_MS	     200
#define GONE_MAX     1024
#define GONE_KEEP_NS (30 * 1000000000ULL) /* identity kept after cgroup removal */

#define METRICS_EVERY_NS (5 * 1000000000ULL)
#define EXIT_WAIT_NS	 (5 * 1000000000LL) /* for the sinks to write what they hold */
#define SINK_OUTPUT	 0
#define SINK_SYSLOG	 1

static const char *const default_storage_roots[] = {
	"/var/lib/docker",
	"/var/lib/containerd",
	"/run/containerd",
	"/var/lib/containers/storage",
	"/run/containers/storage",
	"/var/lib/isulad",
	"/var/lib/lxc",
};

struct monitor {
	const struct monitor_opts *opts;
	struct output out;
	struct syslog_conn *syslog;
	struct sink sinks[2]; /* SINK_OUTPUT, then SINK_SYSLOG with --syslog */
	int nsinks;
	uint64_t out_queued; /* records the main output took */
	struct metrics metrics;
	struct sink metrics_out; /* writes the metrics file: an fsync never holds the monitor */
	char metrics_text[8192];
	uint64_t next_metrics_ns;
	struct record_ctx rc;
	struct loader *loader;
	struct identity_table *ids;
	struct timeline *tl;
	struct storage_watch *sw;
	struct facts facts; /* the system, or a recording being replayed */
	struct facts_live live;
	struct recorder *rec; /* --record */
	uint64_t now;	      /* the clock of the step under way (boot time) */
	bool replaying;
	const char (*storage_roots)[256]; /* a recording's --storage-root options */
	int nstorage_roots;
	bool trace_done; /* trace: the stop timeline of the traced container is out */
	enum tl_verdict trace_verdict;
	uint64_t alert_seq; /* alert ids, shared by the stop and removal engines */
	uint64_t removals;
	struct report_ctx report;
	uint64_t lost_seen; /* kernel losses already told to the timeline */
	uint64_t alerts;
	uint64_t timelines;
	uint64_t latency_max_ns; /* kernel event to alert written */
	uint64_t latency_sum_ns;
	uint64_t latency_n;
	uint64_t next_stats_ns;
	char host[256];
	char cg2_dir[4096];  /* cgroup2 mount, "" when none */
	char mem_dir[4096];  /* v1 memory mount, "" when none */
	int mem_hierarchy;   /* its hierarchy id, -1 when none */
	uint64_t events_in;  /* records read from the kernel */
	uint64_t events_bad; /* records that failed to decode */
	uint64_t events_out;
	int fatal;     /* an error that ends the monitor */
	uint64_t caps; /* capabilities kept once running */
	/*
	 * Removed cgroups stay in the identity table a while: records about a
	 * container (an init's final release, storage removal) come after it.
	 */
	struct {
		uint64_t id;
		uint64_t at_ns;
	} gone[GONE_MAX];
	unsigned int gone_head, gone_len;
	char line[RECORD_MAX]; /* the record as text, with --format text */
	char json[RECORD_MAX]; /* the record as JSON: the main output's, or syslog's */
	size_t json_cap;       /* shorter with syslog: its header must fit too */
	struct st_event ev;
};

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reopen_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void on_hup(int sig)
{
	(void)sig;
	reopen_requested = 1;
}

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static uint64_t now_boot_ns(void)
{
	return (uint64_t)clock_ns(CLOCK_BOOTTIME);
}

/* Which forms of a record to build: the main output's format, and JSON for syslog. */
static bool need_json(const struct monitor *m)
{
	return m->opts->format == OUT_JSON || m->nsinks > SINK_SYSLOG;
}

static bool need_text(const struct monitor *m)
{
	return m->opts->format == OUT_TEXT;
}

static void check_output_closed(struct monitor *m)
{
	if (sink_fatal(&m->sinks[SINK_OUTPUT]) == -EPIPE) {
		m->fatal = -EPIPE;
		stop_requested = 1;
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

	if (m->replaying) {
		/* no kernel to keep up with: written in place, none dropped */
		err = output_write(&m->out, json ? m->json : m->line, json ? jlen : tlen);
		if (err == -EPIPE) {
			m->fatal = -EPIPE;
			stop_requested = 1;
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

/* The hierarchy id of a v1 controller from /proc/cgroups, or -1. */
static int v1_hierarchy_id(const char *controller)
{
	char name[64];
	int hier, ncg, enabled, id = -1;
	FILE *f = fopen("/proc/cgroups", "re");
	char line[256];

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %d %d %d", name, &hier, &ncg, &enabled) == 4 &&
		    !strcmp(name, controller) && hier > 0)
			id = hier;
	}
	fclose(f);
	return id;
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
static bool container_selected(const struct monitor *m, const struct container *c)
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

static void load_meta(struct monitor *m, struct container *c)
{
	if (c->name[0] || c->meta_tries >= META_TRIES)
		return;
	c->meta_tries++;
	m->facts.ops->load_meta(m->facts.ctx, c);
}

/* Learn a container cgroup: identity table and the kernel's tracked set. */
static int track_cgroup(struct monitor *m, uint64_t id, const char *path)
{
	struct cgroup_match cm;
	struct container c = {};

	if (!identity_parse_cgroup(path, &cm))
		return 0;
	c.runtime = cm.runtime;
	snprintf(c.id, sizeof(c.id), "%s", cm.id);
	snprintf(c.pod_uid, sizeof(c.pod_uid), "%s", cm.pod_uid);
	snprintf(c.cgroup, sizeof(c.cgroup), "%s", path);
	load_meta(m, &c);
	/* where it keeps its storage, learnt now: its removal comes after it is gone */
	if (m->sw && !identity_table_by_id(m->ids, c.id))
		storage_watch_learn(m->sw, &c);
	if (!identity_table_add(m->ids, id, &c))
		return -ENOMEM;
	return m->loader ? loader_track(m->loader, id) : 0;
}

static int scan_cb(uint64_t id, const char *path, void *ctx)
{
	struct monitor *m = ctx;

	recorder_cgroup(m->rec, m->now, id, path);
	return track_cgroup(m, id, path);
}

static uint64_t event_cgroup(const struct st_event *e)
{
	switch (e->kind) {
	case ST_EV_SIGNAL_GENERATE:
		return e->u.signal.target.cgroup_id;
	case ST_EV_SIGNAL_DELIVER:
		return e->u.deliver.task.cgroup_id;
	case ST_EV_PROCESS_EXIT:
	case ST_EV_INIT_RELEASED:
		return e->u.exit.task.cgroup_id;
	case ST_EV_PROCESS_FORK:
		return e->u.fork.parent.cgroup_id;
	case ST_EV_PROCESS_EXEC:
		return e->u.exec.task.cgroup_id;
	case ST_EV_CGROUP_MKDIR:
	case ST_EV_CGROUP_RMDIR:
	case ST_EV_CGROUP_FREEZE:
	case ST_EV_CGROUP_UNFREEZE:
		return e->u.cgroup.id;
	}
	return 0;
}

static void forget_oldest_gone(struct monitor *m)
{
	identity_table_del(m->ids, m->gone[m->gone_head].id);
	m->gone_head = (m->gone_head + 1) % GONE_MAX;
	m->gone_len--;
}

static void forget_gone(struct monitor *m, uint64_t now)
{
	while (m->gone_len && now - m->gone[m->gone_head].at_ns >= GONE_KEEP_NS)
		forget_oldest_gone(m);
}

static void cgroup_gone(struct monitor *m, uint64_t id, uint64_t at_ns)
{
	unsigned int i;

	if (m->loader)
		loader_untrack(m->loader, id);
	if (m->gone_len == GONE_MAX)
		forget_oldest_gone(m);
	i = (m->gone_head + m->gone_len) % GONE_MAX;
	m->gone[i].id = id;
	m->gone[i].at_ns = at_ns;
	m->gone_len++;
}

static bool under_root(const char *path, const char *root)
{
	size_t n = strlen(root);

	while (n > 1 && root[n - 1] == '/')
		n--;
	return !strncmp(path, root, n) && (path[n] == '/' || path[n] == '\0');
}

static bool in_storage(const struct monitor *m, const char *path)
{
	for (size_t i = 0; i < sizeof(default_storage_roots) / sizeof(default_storage_roots[0]);
	     i++)
		if (under_root(path, default_storage_roots[i]))
			return true;
	for (int i = 0; i < m->opts->nstorage_roots; i++)
		if (under_root(path, m->opts->storage_roots[i]))
			return true;
	for (int i = 0; i < m->nstorage_roots; i++)
		if (under_root(path, m->storage_roots[i]))
			return true;
	return false;
}

static void sink_alert_common(struct monitor *m, const struct tl_alert *a, bool resolved)
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

static void sink_alert(void *ctx, const struct tl_alert *a)
{
	sink_alert_common(ctx, a, false);
}

static void sink_alert_resolved(void *ctx, const struct tl_alert *a)
{
	sink_alert_common(ctx, a, true);
}

static void sink_stop_timeline(void *ctx, const struct tl_stop *s)
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
		stop_requested = 1;
	}
}

static void sink_removal_alert(void *ctx, const struct rm_alert *a)
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

static void sink_removal_timeline(void *ctx, const struct rm_removal *r)
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

/* Facts for the engine come from the identity table, kept fresh by the monitor. */
static int fact_stop_signal(void *ctx, const struct container *c)
{
	struct monitor *m = ctx;
	struct container *known = identity_table_by_id(m->ids, c->id);

	return known ? known->stop_signal : c->stop_signal;
}

static const char *fact_restart_policy(void *ctx, const struct container *c)
{
	struct monitor *m = ctx;
	struct container *known = identity_table_by_id(m->ids, c->id);

	return known ? known->restart_policy : c->restart_policy;
}

static int fact_ns_culprits(void *ctx, uint32_t pidns, uint32_t init_pid, struct culprit *out,
			    int max)
{
	struct monitor *m = ctx;

	return m->facts.ops->culprits(m->facts.ctx, pidns, init_pid, m->ids, out, max);
}

static void print_event(struct monitor *m, const struct st_event *e, const struct container *c,
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

static void handle_fs_call(struct monitor *m, const struct st_event *e)
{
	char path[2 * (ST_DIR_LEN + ST_NAME_LEN)];
	const struct container *c;
	bool complete = false;

	if (event_fs_path(&e->u.fs, path, sizeof(path), &complete) < 0) {
		path[0] = '\0';
		complete = false;
	}
	/* removal calls concern containers when they touch runtime storage */
	c = storage_watch_call(m->sw, &e->u.fs, e->ts_ns, path, m->now);
	if (!c && !in_storage(m, path))
		return;
	if (container_selected(m, c))
		print_event(m, e, c, path, complete);
}

/* One kernel record, read at m->now. */
static void process_event(struct monitor *m, const void *data, size_t len)
{
	struct st_event *e = &m->ev;
	struct container *c = NULL;
	uint64_t cgid;

	m->events_in++;
	if (event_decode(data, len, e)) {
		m->events_bad++;
		return;
	}
	if (e->kind == ST_EV_CGROUP_MKDIR) {
		int h = (int)e->u.cgroup.hierarchy;

		if (!(h == 0 && m->cg2_dir[0]) && h != m->mem_hierarchy)
			return;
		if (track_cgroup(m, e->u.cgroup.id, e->u.cgroup.path) < 0)
			return;
	}
	if (e->kind == ST_EV_FS_CALL) {
		handle_fs_call(m, e);
		return;
	}
	if (e->kind == ST_EV_OOM_VICTIM) {
		print_event(m, e, NULL, NULL, true);
		timeline_event(m->tl, e, NULL, m->now);
		return;
	}
	cgid = event_cgroup(e);
	c = identity_table_get(m->ids, cgid);
	if (!c && e->kind == ST_EV_CGROUP_MKDIR)
		return; /* not a container */
	if (c)
		load_meta(m, c);
	if (container_selected(m, c))
		print_event(m, e, c, NULL, true);
	if (c)
		timeline_event(m->tl, e, c, m->now);
	if (e->kind == ST_EV_CGROUP_RMDIR)
		cgroup_gone(m, cgid, e->ts_ns);
}

/* The ring buffer's callback: the live clock, recorded with the record. */
static int on_event(void *ctx, const void *data, size_t len)
{
	struct monitor *m = ctx;

	m->now = now_boot_ns();
	recorder_event(m->rec, m->now, data, len);
	process_event(m, data, len);
	return 0;
}

/* Tell the timeline about records the kernel could not write. */
static void note_losses(struct monitor *m)
{
	struct loader_counters k;

	if (loader_counters(m->loader, &k) || k.lost <= m->lost_seen)
		return;
	recorder_lost(m->rec, m->now, k.lost - m->lost_seen);
	timeline_lost(m->tl, k.lost - m->lost_seen);
	m->lost_seen = k.lost;
}

static void print_started(struct monitor *m)
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
		jsonw_str(&w, "cgroup_v1_memory", m->mem_dir);
		jsonw_uint(&w, "containers", identity_table_count(m->ids));
		jsonw_arr_key(&w, "programs");
		for (int i = 0; i < n; i++)
			jsonw_str(&w, NULL, progs[i]);
		jsonw_arr_close(&w);
		caps_json(&w, "capabilities", m->caps);
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

/* Counters every few seconds: what a log pipeline graphs and alarms on. */
static void print_stats(struct monitor *m)
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
		jsonw_uint(&w, "lost", k.lost);
		jsonw_uint(&w, "kernel_records", k.emitted);
		jsonw_uint(&w, "events_read", m->events_in);
		jsonw_uint(&w, "sink_errors", output_errors(m));
		jsonw_uint(&w, "containers", identity_table_count(m->ids));
		jsonw_uint(&w, "open_stops", timeline_open_stops(m->tl));
		jsonw_uint(&w, "alerts", m->alerts);
		jsonw_uint(&w, "stop_timelines", m->timelines);
		jsonw_uint(&w, "removal_timelines", m->removals);
		jsonw_uint(&w, "storage_paths", storage_watch_paths(m->sw));
		jsonw_obj_key(&w, "alert_latency_ms");
		jsonw_uint(&w, "max", m->latency_max_ns / 1000000);
		jsonw_uint(&w, "mean",
			   m->latency_n ? m->latency_sum_ns / m->latency_n / 1000000 : 0);
		jsonw_uint(&w, "count", m->latency_n);
		jsonw_obj_close(&w);
		json_sinks(m, &w);
		jsonw_obj_close(&w);
		jlen = w.len;
	}
	if (need_text(m))
		tlen = (size_t)snprintf(
			m->line, sizeof(m->line),
			"stats: %llu records, %llu lost, %llu sink errors, %llu dropped by sinks, %zu containers, %zu stops open, alert latency max %llu ms",
			(unsigned long long)m->out_queued + 1, (unsigned long long)k.lost,
			(unsigned long long)output_errors(m), (unsigned long long)sinks_dropped(m),
			identity_table_count(m->ids), timeline_open_stops(m->tl),
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
		jsonw_uint(&w, "lost", k.lost);
		jsonw_uint(&w, "kernel_records", k.emitted);
		jsonw_uint(&w, "events_read", m->events_in);
		jsonw_uint(&w, "events_bad", m->events_bad);
		jsonw_uint(&w, "sink_errors", out.errors);
		jsonw_uint(&w, "alerts", m->alerts);
		jsonw_uint(&w, "stop_timelines", m->timelines);
		jsonw_uint(&w, "removal_timelines", m->removals);
		jsonw_uint(&w, "path_errors", k.path_errors);
		json_sinks(m, &w);
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

	if (m->loader)
		loader_counters(m->loader, &k);
	m->metrics.events = m->events_in;
	m->metrics.lost = k.lost;
	m->metrics.containers = m->ids ? identity_table_count(m->ids) : 0;
	m->metrics.nsinks = m->nsinks;
	for (int i = 0; i < m->nsinks; i++) {
		sink_counters(&m->sinks[i], &c);
		m->metrics.sinks[i].name = m->sinks[i].name;
		m->metrics.sinks[i].written = c.written;
		m->metrics.sinks[i].dropped = c.dropped;
		m->metrics.sinks[i].errors = c.errors;
	}
	return metrics_format(&m->metrics, m->metrics_text, sizeof(m->metrics_text));
}

/* Write the metrics file now: at start (a path that fails is an error) and at exit. */
static int write_metrics(struct monitor *m)
{
	size_t len;

	if (!m->opts->metrics_path)
		return 0;
	len = format_metrics(m);
	if (!len)
		return -ENOSPC;
	return metrics_write_file(m->opts->metrics_path, m->metrics_text, len);
}

static int write_metrics_file(void *ctx, const struct sink_record *r)
{
	return metrics_write_file(ctx, r->line, r->len);
}

/* Every few seconds: hand the text to the metrics writer; a file that failed is tried next time. */
static void update_metrics(struct monitor *m)
{
	size_t len = format_metrics(m);

	if (len)
		sink_submit(&m->metrics_out, "metrics", 0, m->metrics_text, len);
}

static int setup_cgroups(struct monitor *m)
{
	if (mountinfo_find_cgroup("/proc/self/mountinfo", NULL, m->cg2_dir, sizeof(m->cg2_dir)))
		m->cg2_dir[0] = '\0';
	if (mountinfo_find_cgroup("/proc/self/mountinfo", "memory", m->mem_dir, sizeof(m->mem_dir)))
		m->mem_dir[0] = '\0';
	m->mem_hierarchy = m->mem_dir[0] ? v1_hierarchy_id("memory") : -1;
	if (!m->cg2_dir[0] && !m->mem_dir[0])
		return -ENOENT;
	return 0;
}

static void install_signals(void)
{
	struct sigaction sa = {};

	sa.sa_handler = on_stop_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

static int write_output(void *ctx, const struct sink_record *r)
{
	return output_write(ctx, r->line, r->len);
}

/* The main output's writer, and syslog's with --syslog. Prints what failed. */
static int start_sinks(struct monitor *m)
{
	const char *path = m->opts->syslog_path;
	int err;

	m->json_cap = sizeof(m->json);
	err = sink_start(&m->sinks[SINK_OUTPUT], "output", SINK_QUEUE_RECORDS, SINK_QUEUE_BYTES,
			 write_output, &m->out);
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
static void stop_sinks(struct monitor *m)
{
	int64_t deadline = sink_monotonic_ns() + EXIT_WAIT_NS;
	bool drained[2] = {};

	for (int i = 0; i < m->nsinks; i++)
		drained[i] = sink_drain(&m->sinks[i], deadline);
	check_output_closed(m);
	if (m->fatal != -EPIPE && !m->opts->trace_id)
		print_stopped(m, "signal");
	deadline = sink_monotonic_ns() + EXIT_WAIT_NS;
	for (int i = 0; i < m->nsinks; i++)
		sink_stop(&m->sinks[i], drained[i] ? deadline : sink_monotonic_ns());
}

static const struct tl_sink tl_sink = {
	.alert = sink_alert,
	.alert_resolved = sink_alert_resolved,
	.stop_timeline = sink_stop_timeline,
};

static const struct tl_facts tl_facts = {
	.stop_signal = fact_stop_signal,
	.restart_policy = fact_restart_policy,
	.ns_culprits = fact_ns_culprits,
};

static const struct rm_sink rm_sink = {
	.alert = sink_removal_alert,
	.timeline = sink_removal_timeline,
};

static int open_output(struct monitor *m)
{
	int err = output_open(&m->out, m->opts->output_path, m->opts->format, m->opts->color);

	if (err)
		fprintf(stderr, "stoptrace: cannot open output file '%s': %s\n",
			m->opts->output_path, strerror(-err));
	return err;
}

/* The engines, configured from the options, or from a recording's header. */
static int setup_engines(struct monitor *m, unsigned int stop_alert_after_s,
			 unsigned int teardown_timeout_s, uint64_t start_ns)
{
	struct tl_config tlc;

	m->ids = identity_table_new();
	if (!m->ids)
		return -ENOMEM;
	m->rc.host = m->host;
	m->rc.color = m->opts->color;
	m->report.rc = &m->rc;
	tl_config_defaults(&tlc);
	tlc.stop_alert_after_ns = (uint64_t)stop_alert_after_s * 1000000000ULL;
	tlc.teardown_timeout_ns = (uint64_t)teardown_timeout_s * 1000000000ULL;
	tlc.start_ns = start_ns;
	tlc.alert_seq = &m->alert_seq;
	m->tl = timeline_new(&tlc, &tl_facts, &tl_sink, m);
	m->sw = storage_watch_new(&m->facts, m->ids, &m->alert_seq, &rm_sink, m);
	return m->tl && m->sw ? 0 : -ENOMEM;
}

static void teardown_engines(struct monitor *m)
{
	storage_watch_free(m->sw);
	timeline_free(m->tl);
	identity_table_free(m->ids);
}

/* The periodic step, at m->now. */
static void step_tick(struct monitor *m)
{
	forget_gone(m, m->now);
	timeline_tick(m->tl, m->now);
	storage_watch_tick(m->sw, m->now);
}

static void step_flush(struct monitor *m)
{
	timeline_flush(m->tl, m->now);
	storage_watch_flush(m->sw, m->now);
}

/* --record: the header says how the engines were set up. */
static int start_recording(struct monitor *m, const struct monitor_opts *opts)
{
	struct rec_header h = {.format = RECORDING_FORMAT, .event_abi = ST_EVENT_ABI};
	struct utsname u;
	int err;

	uname(&u);
	snprintf(h.version, sizeof(h.version), "%s", STOPTRACE_VERSION);
	snprintf(h.host, sizeof(h.host), "%s", m->host);
	snprintf(h.kernel, sizeof(h.kernel), "%s", u.release);
	h.boot_to_real_ns = m->rc.boot_to_real_ns;
	h.alert_prefix = m->report.alert_prefix;
	h.start_ns = m->now;
	h.stop_alert_after_s = opts->stop_alert_after_s;
	h.teardown_timeout_s = opts->teardown_timeout_s;
	h.cgroup_v2 = m->cg2_dir[0] != '\0';
	h.record_max = m->json_cap;
	h.mem_hierarchy = m->mem_hierarchy;
	for (int i = 0; i < opts->nstorage_roots && i < RECORDING_MAX_ROOTS; i++)
		snprintf(h.storage_roots[h.nstorage_roots++], sizeof(h.storage_roots[0]), "%s",
			 opts->storage_roots[i]);
	err = recorder_open(&m->rec, opts->record_path, &h);
	if (err)
		return err;
	recorder_facts(m->rec, &m->facts, &m->facts);
	return 0;
}

/* trace: 0 for a stop that went well, 3 for one that did not. */
static int trace_exit_code(const struct monitor *m)
{
	if (!m->trace_done)
		return 1;
	return m->trace_verdict == TL_GRACEFUL || m->trace_verdict == TL_EXITED ? 0 : 3;
}

int monitor_run(const struct monitor_opts *opts)
{
	struct loader_opts lo = {
		.ringbuf_bytes = opts->ringbuf_bytes,
		.verbose = opts->verbose,
	};
	const char *why = NULL;
	struct monitor *m;
	uint64_t deadline = 0;
	int err, rc = 1;

	m = calloc(1, sizeof(*m));
	if (!m) {
		fprintf(stderr, "stoptrace: out of memory\n");
		return 1;
	}
	m->opts = opts;
	if (loader_check_privileges(&why) || loader_check_btf(&why) ||
	    loader_ensure_tracefs(&why)) {
		fprintf(stderr, "stoptrace: %s\n", why);
		goto cleanup;
	}
	if (setup_cgroups(m)) {
		fprintf(stderr, "stoptrace: no cgroup hierarchy found in /proc/self/mountinfo: "
				"mount cgroup2 at /sys/fs/cgroup\n");
		goto cleanup;
	}
	if (gethostname(m->host, sizeof(m->host) - 1))
		snprintf(m->host, sizeof(m->host), "unknown");
	if (open_output(m))
		goto cleanup;
	if (start_sinks(m))
		goto cleanup_out;
	m->metrics.start_time_s = time(NULL);
	m->metrics.version = STOPTRACE_VERSION;
	err = write_metrics(m);
	if (!err && opts->metrics_path)
		err = sink_start(&m->metrics_out, "metrics", 2, sizeof(m->metrics_text) * 2,
				 write_metrics_file, (void *)opts->metrics_path);
	if (err) {
		fprintf(stderr,
			"stoptrace: cannot write the metrics file '%s': %s: the directory must exist and be writable\n",
			opts->metrics_path, strerror(-err));
		goto cleanup_out;
	}
	m->rc.boot_to_real_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME);
	m->report.alert_prefix = (uint64_t)time(NULL);
	m->now = now_boot_ns();
	facts_live_init(&m->facts, &m->live, "");
	if (opts->record_path) {
		err = start_recording(m, opts);
		if (err) {
			fprintf(stderr, "stoptrace: cannot record to '%s': %s\n", opts->record_path,
				strerror(-err));
			goto cleanup_out;
		}
	}
	if (setup_engines(m, opts->stop_alert_after_s, opts->teardown_timeout_s, m->now)) {
		fprintf(stderr, "stoptrace: out of memory\n");
		goto cleanup_ids;
	}

	lo.use_v1_memory = m->mem_dir[0] != '\0';
	install_signals();
	err = loader_start(&m->loader, &lo, on_event, m, &why);
	if (err) {
		const char *msg = loader_last_libbpf_message();

		fprintf(stderr, "stoptrace: %s: %s%s%s\n", why, strerror(-err), msg[0] ? ": " : "",
			msg);
		goto cleanup_ids;
	}
	/* attached first, then scanned: a container started in between is in both */
	m->now = now_boot_ns();
	if (m->cg2_dir[0])
		identity_scan(m->cg2_dir, scan_cb, m);
	if (m->mem_dir[0])
		identity_scan(m->mem_dir, scan_cb, m);
	m->now = now_boot_ns();
	recorder_step(m->rec, "learn_all", m->now);
	storage_watch_learn_all(m->sw);
	/* attached and scanned: from here on, only what reading the host needs */
	err = caps_enter_runtime(loader_probe_fd_ops, m->loader, &m->caps, m->line,
				 sizeof(m->line));
	if (m->line[0])
		fprintf(stderr, "stoptrace: %s\n", m->line);
	if (err)
		goto cleanup_loader;
	if (!opts->trace_id)
		print_started(m);
	if (opts->trace_id && opts->trace_timeout_s)
		deadline = now_boot_ns() + opts->trace_timeout_s * 1000000000ULL;

	while (!stop_requested) {
		err = loader_poll(m->loader, POLL_MS);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "stoptrace: reading the ring buffer failed: %s\n",
				strerror(-err));
			break;
		}
		m->now = now_boot_ns();
		note_losses(m);
		recorder_tick(m->rec, m->now);
		step_tick(m);
		if (deadline && m->now >= deadline && !m->trace_done) {
			fprintf(stderr, "stoptrace: %s did not stop within %u s\n", opts->trace_id,
				opts->trace_timeout_s);
			break;
		}
		if (opts->stats_interval_s && !opts->trace_id && m->now >= m->next_stats_ns) {
			if (m->next_stats_ns)
				print_stats(m);
			m->next_stats_ns = m->now + opts->stats_interval_s * 1000000000ULL;
		}
		check_output_closed(m);
		if (opts->metrics_path && now_boot_ns() >= m->next_metrics_ns) {
			update_metrics(m);
			m->next_metrics_ns = now_boot_ns() + METRICS_EVERY_NS;
		}
		if (reopen_requested) {
			reopen_requested = 0;
			err = output_reopen(&m->out);
			if (err)
				fprintf(stderr,
					"stoptrace: cannot reopen '%s': %s (still writing "
					"to the old file)\n",
					opts->output_path, strerror(-err));
		}
	}
	/* drain what the kernel already wrote */
	if (!m->fatal && !m->trace_done)
		loader_poll(m->loader, 0);
	m->now = now_boot_ns();
	note_losses(m);
	if (!m->fatal && !m->trace_done) {
		recorder_step(m->rec, "flush", m->now);
		step_flush(m);
	}
	stop_sinks(m);
	if (m->fatal == -EPIPE) {
		fprintf(stderr, "stoptrace: output closed (broken pipe); stopping\n");
		rc = 1;
	} else if (opts->trace_id) {
		rc = trace_exit_code(m);
	} else {
		rc = 0;
	}
	/* the last file, with the final counters: written here, whatever the writer holds */
	sink_stop(&m->metrics_out, sink_monotonic_ns());
	err = m->metrics_out.abandoned ? -EBUSY : write_metrics(m);
	if (err)
		fprintf(stderr, "stoptrace: cannot write the metrics file '%s': %s\n",
			opts->metrics_path, strerror(-err));
cleanup_loader:
	loader_stop(m->loader);
cleanup_ids:
	teardown_engines(m);
	if (m->rec) {
		uint64_t lost = recorder_errors(m->rec);

		err = recorder_close(m->rec);
		if (err || lost)
			fprintf(stderr,
				"stoptrace: the recording '%s' is incomplete: %llu lines not "
				"written (%s)\n",
				opts->record_path, (unsigned long long)lost,
				strerror(err ? -err : E2BIG));
	}
cleanup_out:
	sink_stop(&m->metrics_out, sink_monotonic_ns());
	for (int i = 0; i < m->nsinks; i++)
		sink_stop(&m->sinks[i], sink_monotonic_ns());
	for (int i = 0; i < m->nsinks; i++)
		if (m->sinks[i].abandoned)
			return rc; /* a stuck writer may still use m: the process ends anyway */
	if (m->metrics_out.abandoned)
		return rc;
	output_close(&m->out);
	if (m->syslog)
		syslog_close(m->syslog);
	free(m->syslog);
cleanup:
	free(m);
	return rc;
}

/*
 * stoptrace replay: the recording's inputs through the same engines. The
 * clock is the recording's, so times, durations and alert ids come out as
 * they did live.
 */
int monitor_replay(const struct monitor_opts *opts, const char *path)
{
	struct rec_header h;
	struct replay_input in;
	struct replay *rp = NULL;
	struct monitor *m;
	char why[512];
	int err, rc = 1;

	m = calloc(1, sizeof(*m));
	if (!m) {
		fprintf(stderr, "stoptrace: out of memory\n");
		return 1;
	}
	m->opts = opts;
	m->replaying = true;
	err = replay_open(&rp, path, &h, why, sizeof(why));
	if (err) {
		fprintf(stderr, "stoptrace: %s\n", why);
		goto cleanup;
	}
	if (open_output(m))
		goto cleanup;
	snprintf(m->host, sizeof(m->host), "%s", h.host);
	m->rc.boot_to_real_ns = h.boot_to_real_ns;
	m->report.alert_prefix = h.alert_prefix;
	snprintf(m->cg2_dir, sizeof(m->cg2_dir), "%s", h.cgroup_v2 ? "/" : "");
	m->mem_hierarchy = h.mem_hierarchy;
	m->now = h.start_ns;
	/* records were cut to fit syslog when the monitor wrote to it: cut them the same */
	m->json_cap =
		h.record_max && h.record_max < sizeof(m->json) ? h.record_max : sizeof(m->json);
	m->storage_roots = h.storage_roots;
	m->nstorage_roots = h.nstorage_roots;
	replay_facts(rp, &m->facts);
	if (setup_engines(m, h.stop_alert_after_s, h.teardown_timeout_s, h.start_ns)) {
		fprintf(stderr, "stoptrace: out of memory\n");
		goto cleanup_ids;
	}
	install_signals();
	while (!stop_requested && !m->fatal && (err = replay_next(rp, &in)) == 1) {
		if (in.now_ns < m->now) {
			fprintf(stderr, "stoptrace: %s: line %llu: the clock goes back\n", path,
				(unsigned long long)replay_line(rp));
			err = -EIO;
			break;
		}
		m->now = in.now_ns;
		switch (in.kind) {
		case REPLAY_EVENT:
			process_event(m, in.data, in.len);
			break;
		case REPLAY_TICK:
			step_tick(m);
			break;
		case REPLAY_LOST:
			timeline_lost(m->tl, in.n);
			break;
		case REPLAY_CGROUP:
			track_cgroup(m, in.n, in.path);
			break;
		case REPLAY_LEARN_ALL:
			storage_watch_learn_all(m->sw);
			break;
		case REPLAY_FLUSH:
			step_flush(m);
			break;
		}
		if (replay_error(rp)[0])
			break;
	}
	if (replay_error(rp)[0]) {
		fprintf(stderr, "stoptrace: %s: %s\n", path, replay_error(rp));
	} else if (m->fatal == -EPIPE) {
		fprintf(stderr, "stoptrace: output closed (broken pipe); stopping\n");
	} else if (err == 0 || stop_requested) {
		rc = 0;
	}
cleanup_ids:
	teardown_engines(m);
	output_close(&m->out);
cleanup:
	replay_close(rp);
	free(m);
	return rc;
}
