// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The monitor's two drivers of the event path (monitor.c): the live run
 * (load, attach, drop privileges, scan, poll, tick, drain) and the replay
 * of a recording, with the signals that end them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "privilege/caps.h"
#include "host/holder_worker.h"
#include "lib/exit_codes.h"
#include "lib/jsonw.h"
#include "host/mountinfo.h"
#include "monitor/monitor_int.h"
#include "privilege/privsep.h"
#include "identity/runtimes.h"
#include "lib/safefile.h"
#include "privilege/sandbox.h"

/* Set by SIGINT and SIGTERM: the run ends (m->stop says the monitor's own reasons). */
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

/* Whether the run ends: a signal, or the monitor's own reason. */
static bool stopping(const struct monitor *m)
{
	return stop_requested || m->stop;
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

static int scan_cb(uint64_t id, const char *path, void *ctx)
{
	struct monitor *m = ctx;

	recorder_cgroup(m->rec, m->now, id, path);
	track_cgroup(m, id, path, m->scan_dir);
	return 0; /* a full table is counted: the scan goes on */
}

/* The ring buffer's callback: the live clock, recorded with the record. */
static int on_event(void *ctx, const void *data, size_t len)
{
	struct monitor *m = ctx;

	m->now = now_boot_ns();
	recorder_event(m->rec, m->now, data, len);
	process_event(m, data, len);
	monitor_sample_running(m, true);
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

/* Tell the timeline about records the kernel could not write. */
static void note_losses(struct monitor *m)
{
	struct loader_counters k;

	if (loader_counters(m->loader, &k) || k.lost <= m->lost_seen)
		return;
	recorder_lost(m->rec, m->now, k.lost - m->lost_seen);
	events_lost(m, k.lost - m->lost_seen);
	m->lost_seen = k.lost;
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

/* trace: EXIT_OK for a stop that went well, EXIT_PROBLEM for one that did not. */
static int trace_exit_code(const struct monitor *m)
{
	if (!m->trace_done)
		return EXIT_ERROR;
	if (m->trace_verdict == TL_GRACEFUL || m->trace_verdict == TL_EXITED)
		return EXIT_OK;
	return EXIT_PROBLEM;
}

/* A monitor for opts, or NULL (said). */
static struct monitor *monitor_new(const struct monitor_opts *opts)
{
	struct monitor *m = calloc(1, sizeof(*m));

	if (!m) {
		fprintf(stderr, "stoptrace: out of memory\n");
		return NULL;
	}
	m->opts = opts;
	return m;
}

/* What the live run needs of the host before anything is loaded; prints what is missing. */
static int check_host(struct monitor *m)
{
	int err;

	err = loader_check_privileges(m->line, sizeof(m->line));
	if (!err)
		err = loader_check_btf(m->line, sizeof(m->line));
	if (!err)
		err = loader_ensure_tracefs(m->line, sizeof(m->line));
	if (err) {
		fprintf(stderr, "stoptrace: %s\n", m->line);
		return err;
	}
	err = setup_cgroups(m);
	if (err) {
		fprintf(stderr, "stoptrace: no cgroup hierarchy found in /proc/self/mountinfo: "
				"mount cgroup2 at /sys/fs/cgroup\n");
		return err;
	}
	if (gethostname(m->host, sizeof(m->host) - 1))
		snprintf(m->host, sizeof(m->host), "unknown");
	/* before any thread: the uid-0 helper that writes files after the switch */
	err = privsep_start(caps_user_will_switch(&m->opts->user), m->opts->output_path,
			    m->opts->metrics_path, m->line, sizeof(m->line));
	if (m->line[0]) /* what failed, or that the helper could not give up its privileges */
		fprintf(stderr, "stoptrace: %s\n", m->line);
	return err;
}

/* The sinks' writers and the first metrics file; prints what failed. */
static int start_writers(struct monitor *m)
{
	const struct monitor_opts *opts = m->opts;
	int err;

	err = start_sinks(m);
	if (err)
		return err;
	m->metrics.start_time_s = time(NULL);
	m->metrics.version = STOPTRACE_VERSION;
	err = write_metrics(m);
	if (!err && opts->metrics_path)
		err = sink_start(&m->metrics_out, "metrics", 2, sizeof(m->metrics_text) * 2,
				 write_metrics_file, (void *)opts->metrics_path);
	if (err)
		fprintf(stderr,
			"stoptrace: cannot write the metrics file '%s': %s: the directory must exist and be writable\n",
			opts->metrics_path, strerror(-err));
	return err;
}

/* The live system as the engines' facts, and --record's recording; prints what failed. */
static int setup_live_facts(struct monitor *m)
{
	const struct monitor_opts *opts = m->opts;
	int err;

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
	if (!opts->record_path)
		return 0;
	err = start_recording(m, opts);
	if (err && err != -ECANCELED)
		fprintf(stderr, "stoptrace: cannot record to '%s': %s\n", opts->record_path,
			strerror(-err));
	return err;
}

/* What trust cannot rest on, said once after its first look (user/kernel/trust.h). */
static void say_trust_limits(const struct trust *t)
{
	if (!t->self_host)
		fprintf(stderr,
			"stoptrace: not in the host's pid namespace (run with hostPID): no runtime daemon is verified; removal calls are trusted only from root tasks of the host\n");
	if (!t->host_mntns)
		fprintf(stderr,
			"stoptrace: the host's mount namespace is not known: removal calls are trusted only from the runtime daemons verified\n");
}

/* --verbose: libbpf's messages on standard error. */
static int print_libbpf(const char *fmt, va_list args)
{
	return vfprintf(stderr, fmt, args);
}

/* Load and attach the kernel side, signals handled from here on; prints what failed. */
static int load_kernel_side(struct monitor *m)
{
	struct loader_opts lo = {
		.ringbuf_bytes = m->opts->ringbuf_bytes,
		.log = m->opts->verbose ? print_libbpf : NULL,
	};
	int err;

	lo.v1_controller = m->v1_controller;
	lo.container_fs_events = m->opts->events && !m->opts->alerts_only;
	m->rh_later = monitor_rmhooks_later(m);
	lo.removal_later = m->rh_later;
	install_signals();
	err = loader_start(&m->loader, &lo, on_event, m, m->line, sizeof(m->line));
	if (err) {
		const char *msg = loader_last_libbpf_message();

		fprintf(stderr, "stoptrace: %s: %s%s%s\n", m->line, strerror(-err),
			msg[0] ? ": " : "", msg);
		return err;
	}
	/* the runtime daemons are verified as root: host files, no tenant's */
	trust_start(&m->trust, m->loader, now_boot_ns());
	say_trust_limits(&m->trust);
	return 0;
}

/*
 * Attached: from here on, only what reading the host needs, as --user, under
 * the seccomp filter, before anything a tenant wrote (runtime metadata,
 * containers' /proc) is read. Prints what failed.
 */
static int drop_privileges(struct monitor *m)
{
	int err;

	err = caps_enter_runtime_as(loader_probe_fd_ops, m->loader, m->rh_later, &m->opts->user,
				    &m->caps, m->line, sizeof(m->line));
	if (m->line[0])
		fprintf(stderr, "stoptrace: %s\n", m->line);
	if (err)
		return err;
	return monitor_sandbox(m);
}

/* The containers there are: attached first, then scanned, so one started between is in both. */
static void learn_containers(struct monitor *m)
{
	m->now = now_boot_ns();
	m->scan_dir = m->cg2_dir;
	if (m->cg2_dir[0])
		identity_scan(m->cg2_dir, m->live.root, scan_cb, m);
	m->scan_dir = m->v1_dir;
	if (m->v1_dir[0])
		identity_scan(m->v1_dir, m->live.root, scan_cb, m);
	m->now = now_boot_ns();
	recorder_step(m->rec, "learn_all", m->now);
	timeline_seeing_since(m->tl, m->now);
	storage_watch_learn_all(m->sw);
	m->now = now_boot_ns();
	monitor_start_rmhooks(m, m->default_roots, m->ndefault_roots);
}

/* The cue an operator waits for: from here on, the stop is seen. Returns trace's deadline or 0. */
static uint64_t announce(struct monitor *m)
{
	const struct monitor_opts *opts = m->opts;

	if (opts->trace_id)
		fprintf(stderr, "stoptrace: tracing %s (%.12s) until its next stop is over\n",
			opts->trace_label ? opts->trace_label : "", opts->trace_id);
	else
		print_started(m);
	if (opts->trace_id && opts->trace_timeout_s)
		return now_boot_ns() + opts->trace_timeout_s * 1000000000ULL;
	return 0;
}

/* After each poll, at m->now: losses, the look for cgroups gone, holders, trust, the engines. */
static void live_tick(struct monitor *m)
{
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
	monitor_sample_running(m, false);
	monitor_apply_rmhooks(m);
}

/* trace: whether its deadline passed before the stop was over (said). */
static bool trace_timed_out(const struct monitor *m, uint64_t deadline)
{
	char id[4 * ID_LEN + 1];

	if (!deadline || m->now < deadline || m->trace_done)
		return false;
	text_escape(id, sizeof(id), m->opts->trace_id, ID_LEN);
	fprintf(stderr, "stoptrace: %s did not stop within %u s\n", id, m->opts->trace_timeout_s);
	return true;
}

/* Between polls: monitor_stats, the output's reader, the metrics file, SIGHUP's reopen. */
static void tend_outputs(struct monitor *m)
{
	const struct monitor_opts *opts = m->opts;

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
		if (output_reopen(&m->out))
			fprintf(stderr, "stoptrace: %s (still writing to the old file)\n",
				m->out.why);
	}
}

/* Poll the ring buffer and step until the run ends (trace: until deadline, when not 0). */
static void live_loop(struct monitor *m, uint64_t deadline)
{
	int err;

	while (!stopping(m)) {
		err = loader_poll_with(m->loader, m->rh.ifd, POLL_MS, monitor_runtime_state, m);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "stoptrace: reading the ring buffer failed: %s\n",
				strerror(-err));
			break;
		}
		m->now = now_boot_ns();
		live_tick(m);
		if (trace_timed_out(m, deadline))
			break;
		tend_outputs(m);
	}
}

/* The loop is over: drain, flush, the last records and metrics file. Returns the exit code. */
static int live_finish(struct monitor *m)
{
	int err, rc;

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
		rc = EXIT_ERROR;
	} else if (m->opts->trace_id) {
		rc = trace_exit_code(m);
	} else {
		rc = EXIT_OK;
	}
	/* the last file, with the final counters: written here, whatever the writer holds */
	sink_stop(&m->metrics_out, clock_ns(CLOCK_MONOTONIC));
	err = m->metrics_out.abandoned ? -EBUSY : write_metrics(m);
	if (err)
		fprintf(stderr, "stoptrace: cannot write the metrics file '%s': %s\n",
			m->opts->metrics_path, strerror(-err));
	return rc;
}

/* --record: the recording closed, said when it is incomplete. */
static void close_recording(struct monitor *m)
{
	uint64_t lost;
	int err;

	if (!m->rec)
		return;
	lost = recorder_errors(m->rec);
	err = recorder_close(m->rec);
	if (err || lost)
		fprintf(stderr,
			"stoptrace: the recording '%s' is incomplete: %llu lines not "
			"written (%s)\n",
			m->opts->record_path, (unsigned long long)lost,
			strerror(err ? -err : E2BIG));
}

/* Stop every writer; -EBUSY when one is stuck (it may still use m). */
static int stop_writers(struct monitor *m)
{
	sink_stop(&m->metrics_out, clock_ns(CLOCK_MONOTONIC));
	for (int i = 0; i < m->nsinks; i++)
		sink_stop(&m->sinks[i], clock_ns(CLOCK_MONOTONIC));
	for (int i = 0; i < m->nsinks; i++)
		if (m->sinks[i].abandoned)
			return -EBUSY;
	return m->metrics_out.abandoned ? -EBUSY : 0;
}

int monitor_run(const struct monitor_opts *opts)
{
	struct monitor *m;
	uint64_t deadline;
	int rc = EXIT_ERROR;

	m = monitor_new(opts);
	if (!m)
		return EXIT_ERROR;
	m->rh.ifd = -1;
	if (check_host(m) || open_output(m))
		goto cleanup;
	m->out.open_fn = privsep_running() ? privsep_open_output : NULL;
	if (start_writers(m) || setup_live_facts(m))
		goto cleanup_out;
	if (setup_engines(m, opts->stop_alert_after_s, opts->teardown_timeout_s, m->now)) {
		fprintf(stderr, "stoptrace: out of memory\n");
		goto cleanup_ids;
	}
	if (m->holder_worker)
		storage_watch_set_async(m->sw, m->holder_worker);
	if (load_kernel_side(m))
		goto cleanup_ids;
	if (drop_privileges(m))
		goto cleanup_loader;
	learn_containers(m);
	deadline = announce(m);
	live_loop(m, deadline);
	rc = live_finish(m);
cleanup_loader:
	rmhooks_close(&m->rh);
	loader_stop(m->loader);
cleanup_ids:
	teardown_engines(m);
	close_recording(m);
cleanup_out:
	if (stop_writers(m))
		return rc; /* a stuck writer may still use m: the process ends anyway */
	output_close(&m->out);
	if (m->syslog)
		syslog_close(m->syslog);
	free(m->syslog);
cleanup:
	privsep_stop();
	free(m);
	return rc;
}

/* The monitor as the recording's header says it was set up. */
static void configure_from_header(struct monitor *m, const struct rec_header *h)
{
	snprintf(m->host, sizeof(m->host), "%s", h->host);
	m->rc.boot_to_real_ns = h->boot_to_real_ns;
	m->report.alert_prefix = h->alert_prefix;
	snprintf(m->cg2_dir, sizeof(m->cg2_dir), "%s", h->cgroup_v2 ? "/" : "");
	m->v1_hierarchy = h->mem_hierarchy;
	m->now = h->start_ns;
	/* records were cut to fit syslog when the monitor wrote to it: cut them the same */
	m->json_cap =
		h->record_max && h->record_max < sizeof(m->json) ? h->record_max : sizeof(m->json);
	m->storage_roots = h->storage_roots;
	m->nstorage_roots = h->nstorage_roots;
}

/* One input of a recording through the event path, at m->now (its time). */
static void step_replayed(struct monitor *m, const struct replay_input *in)
{
	switch (in->kind) {
	case REPLAY_EVENT:
		process_event(m, in->data, in->len);
		break;
	case REPLAY_TICK:
		step_tick(m);
		break;
	case REPLAY_LOST:
		events_lost(m, in->n);
		break;
	case REPLAY_CGROUP:
		track_cgroup(m, in->n, in->path, NULL);
		break;
	case REPLAY_LEARN_ALL:
		timeline_seeing_since(m->tl, m->now); /* attached by then, as live */
		storage_watch_learn_all(m->sw);
		break;
	case REPLAY_LEARN:
		storage_watch_learn_id(m->sw, in->path);
		break;
	case REPLAY_HOLDERS_DONE:
		storage_watch_holders_done(m->sw, in->path, in->path2, m->now);
		break;
	case REPLAY_RUNNING:
		monitor_replay_running(m, in->path, in->running);
		break;
	case REPLAY_VERIFY:
		verify_cgroups(m);
		break;
	case REPLAY_FLUSH:
		step_flush(m);
		break;
	}
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
	int err, rc = EXIT_ERROR;

	m = monitor_new(opts);
	if (!m)
		return EXIT_ERROR;
	m->replaying = true;
	err = replay_open(&rp, path, &h, why, sizeof(why));
	if (err) {
		fprintf(stderr, "stoptrace: %s\n", why);
		goto cleanup;
	}
	if (open_output(m))
		goto cleanup;
	configure_from_header(m, &h);
	replay_facts(rp, &m->facts);
	if (setup_engines(m, h.stop_alert_after_s, h.teardown_timeout_s, h.start_ns)) {
		fprintf(stderr, "stoptrace: out of memory\n");
		goto cleanup_ids;
	}
	if (h.holders_async)
		storage_watch_set_async(m->sw, NULL);
	install_signals();
	while (!stopping(m) && !m->fatal && (err = replay_next(rp, &in)) == 1) {
		if (in.now_ns < m->now) {
			fprintf(stderr, "stoptrace: %s: line %llu: the clock goes back\n", path,
				(unsigned long long)replay_line(rp));
			err = -EIO;
			break;
		}
		m->now = in.now_ns;
		step_replayed(m, &in);
		if (replay_error(rp)[0])
			break;
	}
	if (replay_error(rp)[0]) {
		fprintf(stderr, "stoptrace: %s: %s\n", path, replay_error(rp));
	} else if (m->fatal == -EPIPE) {
		fprintf(stderr, "stoptrace: output closed (broken pipe); stopping\n");
	} else if (err == 0 || stopping(m)) {
		rc = EXIT_OK;
	}
cleanup_ids:
	teardown_engines(m);
	output_close(&m->out);
cleanup:
	replay_close(rp);
	free(m);
	return rc;
}
