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
#include "identity.h"
#include "jsonw.h"
#include "loader.h"
#include "monitor.h"
#include "mountinfo.h"
#include "records.h"
#include "storage_watch.h"
#include "report.h"
#include "timeline.h"

#define META_TRIES   5
#define POLL_MS	     200
#define GONE_MAX     1024
#define GONE_KEEP_NS (30 * 1000000000ULL) /* identity kept after cgroup removal */

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
	struct record_ctx rc;
	struct loader *loader;
	struct identity_table *ids;
	struct timeline *tl;
	struct storage_watch *sw;
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
	char line[RECORD_MAX];
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

static int emit(struct monitor *m, const char *line, size_t len)
{
	int err = output_write(&m->out, line, len);

	if (err == -EPIPE) {
		m->fatal = -EPIPE;
		stop_requested = 1;
	}
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

static void load_meta(struct container *c)
{
	if (c->name[0] || c->meta_tries >= META_TRIES)
		return;
	c->meta_tries++;
	identity_load_meta("", c);
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
	load_meta(&c);
	/* where it keeps its storage, learnt now: its removal comes after it is gone */
	if (m->sw && !identity_table_by_id(m->ids, c.id))
		storage_watch_learn(m->sw, &c);
	if (!identity_table_add(m->ids, id, &c))
		return -ENOMEM;
	return loader_track(m->loader, id);
}

static int scan_cb(uint64_t id, const char *path, void *ctx)
{
	return track_cgroup(ctx, id, path);
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
	return false;
}

static void sink_alert_common(struct monitor *m, const struct tl_alert *a, bool resolved)
{
	size_t len;

	if (!container_selected(m, &a->container))
		return;
	m->report.now_ns = now_boot_ns();
	if (m->opts->format == OUT_JSON)
		len = report_alert_json(&m->report, a, resolved, m->line, sizeof(m->line));
	else
		len = report_alert_text(&m->report, a, resolved, m->line, sizeof(m->line));
	if (emit(m, m->line, len) == 0 && !resolved) {
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
	size_t len;

	if (m->opts->alerts_only || !container_selected(m, &s->container))
		return;
	m->report.now_ns = now_boot_ns();
	if (m->opts->format == OUT_JSON)
		len = report_stop_json(&m->report, s, m->line, sizeof(m->line));
	else
		len = report_stop_text(&m->report, s, m->line, sizeof(m->line));
	if (emit(m, m->line, len) == 0)
		m->timelines++;
}

static void sink_removal_alert(void *ctx, const struct rm_alert *a)
{
	struct monitor *m = ctx;
	size_t len;

	if (!container_selected(m, &a->removal->container))
		return;
	m->report.now_ns = now_boot_ns();
	if (m->opts->format == OUT_JSON)
		len = report_removal_alert_json(&m->report, a, m->line, sizeof(m->line));
	else
		len = report_removal_alert_text(&m->report, a, m->line, sizeof(m->line));
	if (emit(m, m->line, len) == 0)
		m->alerts++;
}

static void sink_removal_timeline(void *ctx, const struct rm_removal *r)
{
	struct monitor *m = ctx;
	size_t len;

	if (m->opts->alerts_only || !container_selected(m, &r->container))
		return;
	m->report.now_ns = now_boot_ns();
	if (m->opts->format == OUT_JSON)
		len = report_removal_json(&m->report, r, m->line, sizeof(m->line));
	else
		len = report_removal_text(&m->report, r, m->line, sizeof(m->line));
	if (emit(m, m->line, len) == 0)
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

	return culprits_find("", pidns, init_pid, m->ids, out, max);
}

static void print_event(struct monitor *m, const struct st_event *e, const struct container *c,
			const char *path, bool complete)
{
	size_t len;

	if (!m->opts->events || m->opts->alerts_only)
		return;
	if (m->opts->format == OUT_JSON)
		len = record_event_json(&m->rc, e, c, path, complete, m->line, sizeof(m->line));
	else
		len = record_event_text(&m->rc, e, c, path, m->line, sizeof(m->line));
	if (emit(m, m->line, len) == 0)
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
	c = storage_watch_call(m->sw, &e->u.fs, e->ts_ns, path, now_boot_ns());
	if (!c && !in_storage(m, path))
		return;
	if (container_selected(m, c))
		print_event(m, e, c, path, complete);
}

static int on_event(void *ctx, const void *data, size_t len)
{
	struct monitor *m = ctx;
	struct st_event *e = &m->ev;
	struct container *c = NULL;
	uint64_t cgid;

	m->events_in++;
	if (event_decode(data, len, e)) {
		m->events_bad++;
		return 0;
	}
	if (e->kind == ST_EV_CGROUP_MKDIR) {
		int h = (int)e->u.cgroup.hierarchy;

		if (!(h == 0 && m->cg2_dir[0]) && h != m->mem_hierarchy)
			return 0;
		if (track_cgroup(m, e->u.cgroup.id, e->u.cgroup.path) < 0)
			return 0;
	}
	if (e->kind == ST_EV_FS_CALL) {
		handle_fs_call(m, e);
		return 0;
	}
	if (e->kind == ST_EV_OOM_VICTIM) {
		print_event(m, e, NULL, NULL, true);
		timeline_event(m->tl, e, NULL, now_boot_ns());
		return 0;
	}
	cgid = event_cgroup(e);
	c = identity_table_get(m->ids, cgid);
	if (!c && e->kind == ST_EV_CGROUP_MKDIR)
		return 0; /* not a container */
	if (c)
		load_meta(c);
	if (container_selected(m, c))
		print_event(m, e, c, NULL, true);
	if (c)
		timeline_event(m->tl, e, c, now_boot_ns());
	if (e->kind == ST_EV_CGROUP_RMDIR)
		cgroup_gone(m, cgid, e->ts_ns);
	return 0;
}

/* Tell the timeline about records the kernel could not write. */
static void note_losses(struct monitor *m)
{
	struct loader_counters k;

	if (loader_counters(m->loader, &k) || k.lost <= m->lost_seen)
		return;
	timeline_lost(m->tl, k.lost - m->lost_seen);
	m->lost_seen = k.lost;
}

static void print_started(struct monitor *m)
{
	const char *const *progs = loader_programs(m->loader);
	struct utsname u;
	struct jsonw w;
	int n = 0;

	uname(&u);
	while (progs[n])
		n++;
	if (m->opts->format == OUT_JSON) {
		jsonw_init(&w, m->line, sizeof(m->line));
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
		emit(m, m->line, w.len);
	} else {
		int len = snprintf(
			m->line, sizeof(m->line),
			"stoptrace %s watching %zu containers on %s (kernel %s, %d programs)",
			STOPTRACE_VERSION, identity_table_count(m->ids), m->host, u.release, n);
		emit(m, m->line, (size_t)len);
	}
}

/* Counters every few seconds: what a log pipeline graphs and alarms on. */
static void print_stats(struct monitor *m)
{
	struct loader_counters k = {};
	struct jsonw w;
	int len;

	loader_counters(m->loader, &k);
	if (m->opts->format == OUT_JSON) {
		jsonw_init(&w, m->line, sizeof(m->line));
		record_begin(&w, &m->rc, "monitor_stats", now_boot_ns());
		jsonw_uint(&w, "records", m->out.records + 1);
		jsonw_uint(&w, "lost", k.lost);
		jsonw_uint(&w, "kernel_records", k.emitted);
		jsonw_uint(&w, "events_read", m->events_in);
		jsonw_uint(&w, "sink_errors", m->out.write_errors);
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
		jsonw_obj_close(&w);
		emit(m, m->line, w.len);
		return;
	}
	len = snprintf(m->line, sizeof(m->line),
		       "stats: %llu records, %llu lost, %llu sink errors, %zu containers, %zu "
		       "stops open, alert latency max %llu ms",
		       (unsigned long long)m->out.records + 1, (unsigned long long)k.lost,
		       (unsigned long long)m->out.write_errors, identity_table_count(m->ids),
		       timeline_open_stops(m->tl),
		       (unsigned long long)(m->latency_max_ns / 1000000));
	emit(m, m->line, (size_t)len);
}

static void print_stopped(struct monitor *m, const char *reason)
{
	struct loader_counters k = {};
	struct jsonw w;

	loader_counters(m->loader, &k);
	if (m->opts->format == OUT_JSON) {
		jsonw_init(&w, m->line, sizeof(m->line));
		record_begin(&w, &m->rc, "monitor_stopped", now_boot_ns());
		jsonw_str(&w, "reason", reason);
		/* this record included */
		jsonw_uint(&w, "records", m->out.records + 1);
		jsonw_uint(&w, "lost", k.lost);
		jsonw_uint(&w, "kernel_records", k.emitted);
		jsonw_uint(&w, "events_read", m->events_in);
		jsonw_uint(&w, "events_bad", m->events_bad);
		jsonw_uint(&w, "sink_errors", m->out.write_errors);
		jsonw_uint(&w, "alerts", m->alerts);
		jsonw_uint(&w, "stop_timelines", m->timelines);
		jsonw_uint(&w, "removal_timelines", m->removals);
		jsonw_uint(&w, "path_errors", k.path_errors);
		jsonw_obj_close(&w);
		emit(m, m->line, w.len);
	} else {
		int len = snprintf(m->line, sizeof(m->line),
				   "stoptrace stopped (%s): %llu records, %llu lost in the kernel, "
				   "%llu write errors",
				   reason, (unsigned long long)m->out.records + 1,
				   (unsigned long long)k.lost,
				   (unsigned long long)m->out.write_errors);
		emit(m, m->line, (size_t)len);
	}
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

int monitor_run(const struct monitor_opts *opts)
{
	struct loader_opts lo = {
		.ringbuf_bytes = opts->ringbuf_bytes,
		.verbose = opts->verbose,
	};
	const struct tl_sink sink = {
		.alert = sink_alert,
		.alert_resolved = sink_alert_resolved,
		.stop_timeline = sink_stop_timeline,
	};
	const struct tl_facts facts = {
		.stop_signal = fact_stop_signal,
		.restart_policy = fact_restart_policy,
		.ns_culprits = fact_ns_culprits,
	};
	const struct rm_sink rm_sink = {
		.alert = sink_removal_alert,
		.timeline = sink_removal_timeline,
	};
	struct tl_config tlc;
	const char *why = NULL;
	struct monitor *m;
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
	err = output_open(&m->out, opts->output_path, opts->format, opts->color);
	if (err) {
		fprintf(stderr, "stoptrace: cannot open output file '%s': %s\n", opts->output_path,
			strerror(-err));
		goto cleanup;
	}
	m->ids = identity_table_new();
	if (!m->ids) {
		fprintf(stderr, "stoptrace: out of memory\n");
		goto cleanup_out;
	}
	if (gethostname(m->host, sizeof(m->host) - 1))
		snprintf(m->host, sizeof(m->host), "unknown");
	m->rc.host = m->host;
	m->rc.color = opts->color;
	m->rc.boot_to_real_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME);

	m->report.rc = &m->rc;
	m->report.alert_prefix = (uint64_t)time(NULL);
	tl_config_defaults(&tlc);
	tlc.stop_alert_after_ns = (uint64_t)opts->stop_alert_after_s * 1000000000ULL;
	tlc.teardown_timeout_ns = (uint64_t)opts->teardown_timeout_s * 1000000000ULL;
	tlc.start_ns = now_boot_ns();
	tlc.alert_seq = &m->alert_seq;
	m->tl = timeline_new(&tlc, &facts, &sink, m);
	m->sw = storage_watch_new("", m->ids, &m->alert_seq, &rm_sink, m);
	if (!m->tl || !m->sw) {
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
	if (m->cg2_dir[0])
		identity_scan(m->cg2_dir, scan_cb, m);
	if (m->mem_dir[0])
		identity_scan(m->mem_dir, scan_cb, m);
	storage_watch_learn_all(m->sw);
	/* attached and scanned: from here on, only what reading the host needs */
	err = caps_enter_runtime(loader_probe_fd_ops, m->loader, &m->caps, m->line,
				 sizeof(m->line));
	if (m->line[0])
		fprintf(stderr, "stoptrace: %s\n", m->line);
	if (err)
		goto cleanup_loader;
	print_started(m);

	while (!stop_requested) {
		err = loader_poll(m->loader, POLL_MS);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "stoptrace: reading the ring buffer failed: %s\n",
				strerror(-err));
			break;
		}
		forget_gone(m, now_boot_ns());
		note_losses(m);
		timeline_tick(m->tl, now_boot_ns());
		storage_watch_tick(m->sw, now_boot_ns());
		if (opts->stats_interval_s && now_boot_ns() >= m->next_stats_ns) {
			if (m->next_stats_ns)
				print_stats(m);
			m->next_stats_ns = now_boot_ns() + opts->stats_interval_s * 1000000000ULL;
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
	if (!m->fatal)
		loader_poll(m->loader, 0);
	note_losses(m);
	if (!m->fatal) {
		timeline_flush(m->tl, now_boot_ns());
		storage_watch_flush(m->sw, now_boot_ns());
	}
	if (m->fatal == -EPIPE) {
		fprintf(stderr, "stoptrace: output closed (broken pipe); stopping\n");
		rc = 1;
	} else {
		print_stopped(m, "signal");
		rc = 0;
	}
cleanup_loader:
	loader_stop(m->loader);
cleanup_ids:
	storage_watch_free(m->sw);
	timeline_free(m->tl);
	identity_table_free(m->ids);
cleanup_out:
	output_close(&m->out);
cleanup:
	free(m);
	return rc;
}
