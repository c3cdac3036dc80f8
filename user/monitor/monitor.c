// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The monitor's event path and its drivers: container cgroups learnt and
 * forgotten, kernel records decoded and given to the engines, the live run
 * (load, attach, poll, tick) and the replay of a recording. What it writes
 * is in monitor_out.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "privilege/caps.h"
#include "host/culprits.h"
#include "kernel/event.h"
#include "host/holder_worker.h"
#include "lib/jsonw.h"
#include "host/mountinfo.h"
#include "monitor/monitor_int.h"
#include "privilege/privsep.h"
#include "identity/runtimes.h"
#include "lib/safefile.h"
#include "privilege/sandbox.h"

volatile sig_atomic_t stop_requested;
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

static void load_meta(struct monitor *m, struct container *c)
{
	if (c->name[0] || c->meta_tries >= META_TRIES)
		return;
	c->meta_tries++;
	m->facts.ops->load_meta(m->facts.ctx, c);
}

/*
 * Learn a container cgroup: identity table and the kernel's tracked set.
 * mount_dir is its hierarchy's mount (NULL in a replay).
 */
int track_cgroup(struct monitor *m, uint64_t id, const char *path, const char *mount_dir)
{
	struct container c;
	bool sub;

	if (!tracking_recognize(m, path, mount_dir, &c, &sub))
		return 0;
	if (sub)
		return tracking_add_sub(m, id, &c);
	load_meta(m, &c);
	/* where it keeps its storage, learnt now: its removal comes after it is gone */
	if (m->sw && !identity_table_by_id(m->ids, c.id))
		storage_watch_learn(m->sw, &c);
	if (!identity_table_add(m->ids, id, &c))
		return -ENOMEM;
	return tracking_kernel(m, id);
}

static int scan_cb(uint64_t id, const char *path, void *ctx)
{
	struct monitor *m = ctx;

	recorder_cgroup(m->rec, m->now, id, path);
	track_cgroup(m, id, path, m->scan_dir);
	return 0; /* a full table is counted: the scan goes on */
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
	for (size_t i = 0; i < m->ndefault_roots; i++)
		if (under_root(path, m->default_roots[i]))
			return true;
	for (int i = 0; i < m->opts->nstorage_roots; i++)
		if (under_root(path, m->opts->storage_roots[i]))
			return true;
	for (int i = 0; i < m->nstorage_roots; i++)
		if (under_root(path, m->storage_roots[i]))
			return true;
	return false;
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

static void handle_fs_call(struct monitor *m, const struct st_event *e)
{
	char path[2 * (ST_DIR_LEN + ST_NAME_LEN)];
	const struct container *c;
	bool complete = false;

	if (event_fs_path(&e->u.fs, path, sizeof(path), &complete) < 0) {
		path[0] = '\0';
		complete = false;
	}
	if (!(e->u.fs.path_flags & ST_PATH_TRUSTED)) {
		/* never evidence: at most its container's event, the path in its own view */
		c = identity_table_get(m->ids, e->u.fs.caller.cgroup_id);
		if (c && container_selected(m, c))
			print_event(m, e, c, path, complete);
		return;
	}
	/* removal calls of trusted callers concern containers when they touch runtime storage */
	c = storage_watch_call(m->sw, &e->u.fs, e->ts_ns, path, m->now);
	if (!c && !in_storage(m, path))
		return;

	if (container_selected(m, c))
		print_event(m, e, c, path, complete);
}

/* One kernel record, read at m->now. */
void process_event(struct monitor *m, const void *data, size_t len)
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

		if (!(h == 0 && m->cg2_dir[0]) && h != m->v1_hierarchy)
			return;
		if (track_cgroup(m, e->u.cgroup.id, e->u.cgroup.path, h ? m->v1_dir : m->cg2_dir) <
		    0)
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
	if (c && tracking_event(m, e, cgid, c))
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
	/* a stop just opened: the rootfs unmount and a removal may follow at once */
	if (m->rh.mode == RH_ON_DEMAND && !m->rh.attached && timeline_open_stops(m->tl))
		monitor_apply_rmhooks(m);
	return 0;
}

static int setup_cgroups(struct monitor *m)
{
	if (mountinfo_find_cgroup("/proc/self/mountinfo", NULL, m->cg2_dir, sizeof(m->cg2_dir)))
		m->cg2_dir[0] = '\0';
	m->v1_controller =
		mountinfo_find_v1_watched("/proc/self/mountinfo", m->v1_dir, sizeof(m->v1_dir));
	m->v1_hierarchy = -1;
	if (m->v1_controller != ST_V1_NONE)
		m->v1_hierarchy =
			v1_hierarchy_id(m->v1_controller == ST_V1_MEMORY ? "memory" : "pids");
	if (!m->cg2_dir[0] && !m->v1_dir[0])
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

static const struct tl_facts tl_facts = {
	.stop_signal = fact_stop_signal,
	.restart_policy = fact_restart_policy,
	.ns_culprits = fact_ns_culprits,
};

/* The engines, configured from the options, or from a recording's header. */
int setup_engines(struct monitor *m, unsigned int stop_alert_after_s,
		  unsigned int teardown_timeout_s, uint64_t start_ns)
{
	struct tl_config tlc;

	m->ndefault_roots = runtimes_storage_roots(m->default_roots, MAX_DEFAULT_ROOTS);
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
	m->tl = timeline_new(&tlc, &tl_facts, &monitor_tl_sink, m);
	m->sw = storage_watch_new(&m->facts, m->ids, &m->alert_seq, &monitor_rm_sink, m);
	return m->tl && m->sw ? 0 : -ENOMEM;
}

void teardown_engines(struct monitor *m)
{
	storage_watch_free(m->sw);
	holder_worker_free(m->holder_worker);
	timeline_free(m->tl);
	identity_table_free(m->ids);
}

/* The periodic step, at m->now. */
struct vanished {
	struct monitor *m;
	uint64_t ids[VERIFY_MAX];
	int n;
};

static bool is_gone(const struct monitor *m, uint64_t id)
{
	for (unsigned int i = 0; i < m->gone_len; i++)
		if (m->gone[(m->gone_head + i) % GONE_MAX].id == id)
			return true;
	return false;
}

static void check_cgroup(struct container *c, uint64_t cgroup_id, void *arg)
{
	struct vanished *v = arg;

	if (v->n == VERIFY_MAX || is_gone(v->m, cgroup_id) || !c->cgroup[0])
		return;
	if (v->m->facts.ops->cgroup_exists(v->m->facts.ctx, c->cgroup) == 0)
		v->ids[v->n++] = cgroup_id;
}

/*
 * Records were lost: a container's cgroup_rmdir may be among them, and its
 * stop would then stay open. Every container cgroup still believed there is
 * looked at (at most once a second while losses go on); one that is gone is
 * taken as removed now.
 */
void verify_cgroups(struct monitor *m)
{
	struct vanished v = {.m = m};

	m->verify = false;
	m->verified_ns = m->now;
	identity_table_each(m->ids, check_cgroup, &v);
	for (int i = 0; i < v.n; i++) {
		struct container *c = identity_table_get(m->ids, v.ids[i]);
		struct st_event *e = &m->ev;
		size_t len;

		if (!c)
			continue;
		memset(e, 0, sizeof(*e));
		e->kind = ST_EV_CGROUP_RMDIR;
		e->ts_ns = m->now;
		e->u.cgroup.id = v.ids[i];
		len = strnlen(c->cgroup, sizeof(e->u.cgroup.path) - 1);
		memcpy(e->u.cgroup.path, c->cgroup, len);
		/* a sub-cgroup names its container's cgroup: gone with it, and not its end */
		if (!identity_table_is_sub(m->ids, v.ids[i]))
			timeline_event(m->tl, e, c, m->now);
		cgroup_gone(m, v.ids[i], m->now);
	}
}

/* The kernel dropped n records: open stops are marked, cgroups looked at again. */
void records_lost(struct monitor *m, uint64_t n)
{
	timeline_lost(m->tl, m->now, n);
	m->verify = true;
}

/* Tell the timeline about records the kernel could not write. */
static void note_losses(struct monitor *m)
{
	struct loader_counters k;

	if (loader_counters(m->loader, &k) || k.lost <= m->lost_seen)
		return;
	recorder_lost(m->rec, m->now, k.lost - m->lost_seen);
	records_lost(m, k.lost - m->lost_seen);
	m->lost_seen = k.lost;
}

void step_tick(struct monitor *m)
{
	tracking_warn(m);
	forget_gone(m, m->now);
	timeline_tick(m->tl, m->now);
	storage_watch_tick(m->sw, m->now);
}

void step_flush(struct monitor *m)
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
	h.mem_hierarchy = m->v1_hierarchy;
	h.holders_async = m->holder_worker != NULL;
	for (int i = 0; i < opts->nstorage_roots && i < RECORDING_MAX_ROOTS; i++)
		snprintf(h.storage_roots[h.nstorage_roots++], sizeof(h.storage_roots[0]), "%s",
			 opts->storage_roots[i]);
	err = safefile_check_regular(opts->record_path, m->line, sizeof(m->line));
	if (err) {
		fprintf(stderr, "stoptrace: %s\n", m->line);
		return -ECANCELED; /* said */
	}
	err = recorder_open(&m->rec, opts->record_path, &h);
	if (err)
		return err;
	recorder_facts(m->rec, &m->facts, &m->facts);
	return 0;
}

/* The seccomp filter (none with --seccomp off, said on stderr). Prints what failed. */
static int monitor_sandbox(struct monitor *m)
{
	int err;

	if (m->opts->seccomp_off) {
		fprintf(stderr, "stoptrace: warning: --seccomp off: no seccomp filter\n");
		return 0;
	}
	err = sandbox_apply(SANDBOX_MONITOR, m->line, sizeof(m->line));
	if (err == -EOPNOTSUPP) {
		fprintf(stderr, "stoptrace: warning: %s\n", m->line);
		return 0;
	}
	if (err)
		fprintf(stderr, "stoptrace: %s\n", m->line);
	m->seccomp = !err;
	return err;
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
	m->rh.ifd = -1;
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
	/* before any thread: the uid-0 helper that writes files after the switch */
	if (privsep_start(caps_user_will_switch(&opts->user), opts->output_path, opts->metrics_path,
			  m->line, sizeof(m->line))) {
		fprintf(stderr, "stoptrace: %s\n", m->line);
		goto cleanup;
	}
	if (open_output(m))
		goto cleanup;
	m->out.open_fn = privsep_running() ? privsep_open_output : NULL;
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
	err = runtimes_load_host_config(m->live.root);
	if (err && err != -ENOENT)
		fprintf(stderr,
			"stoptrace: cannot use the cgroup-parent of /etc/docker/daemon.json: %s; containers there are recognised by Docker's state only\n",
			strerror(-err));
	m->live.cgroup_dirs[0] = m->cg2_dir;
	m->live.cgroup_dirs[1] = m->v1_dir;
	/* the removal paths the monitor may look at lie below these roots */
	m->ndefault_roots = runtimes_storage_roots(m->default_roots, MAX_DEFAULT_ROOTS);
	for (size_t i = 0; i < m->ndefault_roots; i++)
		facts_live_add_root(&m->live, m->default_roots[i]);
	for (int i = 0; i < opts->nstorage_roots; i++)
		facts_live_add_root(&m->live, opts->storage_roots[i]);
	m->holder_worker = holder_worker_new(&m->facts, &m->facts);
	if (opts->record_path) {
		err = start_recording(m, opts);
		if (err && err != -ECANCELED) {
			fprintf(stderr, "stoptrace: cannot record to '%s': %s\n", opts->record_path,
				strerror(-err));
		}
		if (err)
			goto cleanup_out;
	}
	if (setup_engines(m, opts->stop_alert_after_s, opts->teardown_timeout_s, m->now)) {
		fprintf(stderr, "stoptrace: out of memory\n");
		goto cleanup_ids;
	}
	if (m->holder_worker)
		storage_watch_set_async(m->sw, m->holder_worker);

	lo.v1_controller = m->v1_controller;
	lo.container_fs_events = opts->events && !opts->alerts_only;
	m->rh_later = monitor_rmhooks_later(m);
	lo.removal_later = m->rh_later;
	install_signals();
	err = loader_start(&m->loader, &lo, on_event, m, &why);
	if (err) {
		const char *msg = loader_last_libbpf_message();

		fprintf(stderr, "stoptrace: %s: %s%s%s\n", why, strerror(-err), msg[0] ? ": " : "",
			msg);
		goto cleanup_ids;
	}
	/* the runtime daemons are verified as root: host files, no tenant's */
	trust_start(&m->trust, m->loader, now_boot_ns());
	/*
	 * Attached: from here on, only what reading the host needs, as --user, under
	 * the seccomp filter, before anything a tenant wrote (runtime metadata,
	 * containers' /proc) is read.
	 */
	err = caps_enter_runtime_as(loader_probe_fd_ops, m->loader, m->rh_later, &opts->user,
				    &m->caps, m->line, sizeof(m->line));
	if (m->line[0])
		fprintf(stderr, "stoptrace: %s\n", m->line);
	if (err || monitor_sandbox(m))
		goto cleanup_loader;
	/* attached first, then scanned: a container started in between is in both */
	m->now = now_boot_ns();
	m->scan_dir = m->cg2_dir;
	if (m->cg2_dir[0])
		identity_scan(m->cg2_dir, m->live.root, scan_cb, m);
	m->scan_dir = m->v1_dir;
	if (m->v1_dir[0])
		identity_scan(m->v1_dir, m->live.root, scan_cb, m);
	m->now = now_boot_ns();
	recorder_step(m->rec, "learn_all", m->now);
	storage_watch_learn_all(m->sw);
	m->now = now_boot_ns();
	monitor_start_rmhooks(m, m->default_roots, m->ndefault_roots);
	/* the cue an operator waits for: from here on, the stop is seen */
	if (opts->trace_id)
		fprintf(stderr, "stoptrace: tracing %s (%.12s) until its next stop is over\n",
			opts->trace_label ? opts->trace_label : "", opts->trace_id);
	else
		print_started(m);
	if (opts->trace_id && opts->trace_timeout_s)
		deadline = now_boot_ns() + opts->trace_timeout_s * 1000000000ULL;

	while (!stop_requested) {
		err = loader_poll_with(m->loader, m->rh.ifd, POLL_MS, monitor_runtime_state, m);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "stoptrace: reading the ring buffer failed: %s\n",
				strerror(-err));
			break;
		}
		m->now = now_boot_ns();
		note_losses(m);
		/* a step of its own in recordings: one made before it replays without it */
		if (m->verify && m->now - m->verified_ns >= VERIFY_EVERY_NS) {
			recorder_step(m->rec, "verify", m->now);
			verify_cgroups(m);
		}
		storage_watch_poll_holders(m->sw, m->rec, m->now);
		recorder_tick(m->rec, m->now);
		trust_tick(&m->trust, m->loader, m->now);
		step_tick(m);
		monitor_apply_rmhooks(m);
		if (deadline && m->now >= deadline && !m->trace_done) {
			char id[4 * ID_LEN + 1];

			text_escape(id, sizeof(id), opts->trace_id, ID_LEN);
			fprintf(stderr, "stoptrace: %s did not stop within %u s\n", id,
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
				fprintf(stderr, "stoptrace: %s (still writing to the old file)\n",
					m->out.why);
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
	rmhooks_close(&m->rh);
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
	privsep_stop();
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
	m->v1_hierarchy = h.mem_hierarchy;
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
	if (h.holders_async)
		storage_watch_set_async(m->sw, NULL);
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
			records_lost(m, in.n);
			break;
		case REPLAY_CGROUP:
			track_cgroup(m, in.n, in.path, NULL);
			break;
		case REPLAY_LEARN_ALL:
			storage_watch_learn_all(m->sw);
			break;
		case REPLAY_LEARN:
			storage_watch_learn_id(m->sw, in.path);
			break;
		case REPLAY_HOLDERS_DONE:
			storage_watch_holders_done(m->sw, in.path, in.path2, m->now);
			break;
		case REPLAY_VERIFY:
			verify_cgroups(m);
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
