/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The monitor's parts, shared by its files: monitor.c (the event path, the
 * engines), monitor_run.c (the live and replay drivers), monitor_out.c (the
 * records it writes: sinks, alerts and timelines, monitor_* records,
 * metrics), monitor_tracking.c (the cgroups tracked, tables bounded),
 * monitor_hooks.c (when the removal hooks are attached) and
 * monitor_running.c (samples of what runs in stopping containers).
 */
#ifndef STOPTRACE_MONITOR_INT_H
#define STOPTRACE_MONITOR_INT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include "lib/clock.h"
#include "lib/bounds.h"
#include "host/facts.h"
#include "identity/identity.h"
#include "lib/jsonw.h"
#include "kernel/loader.h"
#include "sink/metrics.h"
#include "monitor/monitor.h"
#include "report/records.h"
#include "recording/recording.h"
#include "engine/removal.h"
#include "report/report.h"
#include "kernel/rmhooks.h"
#include "sink/sink.h"
#include "engine/storage_watch.h"
#include "sink/syslog.h"
#include "engine/timeline.h"
#include "kernel/trust.h"

#define META_TRIES	5
#define POLL_MS		200
#define GONE_MAX	1024
#define GONE_KEEP_NS	(30 * 1000000000ULL) /* identity kept after cgroup removal */
#define VERIFY_MAX	1024		     /* cgroups found gone by one look */
#define VERIFY_EVERY_NS (1000000000ULL)	     /* looks while records are being lost */

#define METRICS_EVERY_NS (5 * 1000000000ULL)
#define EXIT_WAIT_NS	 (5 * 1000000000LL) /* for the sinks to write what they hold */
#define SINK_OUTPUT	 0
#define SINK_SYSLOG	 1

#define MAX_DEFAULT_ROOTS 16 /* the runtimes' storage roots (runtimes.h) */
#define RUNNING_PER_SEC	  8  /* stops sampled a second at most (monitor_running.c) */

struct monitor {
	const struct monitor_opts *opts;
	struct output out;
	struct syslog_conn *syslog;
	struct sink sinks[2]; /* SINK_OUTPUT, then SINK_SYSLOG with --syslog */
	int nsinks;
	uint64_t out_queued; /* records the main output took */
	uint64_t out_failed; /* the output's writer: records lost since writing last failed */
	struct metrics metrics;
	struct sink metrics_out; /* writes the metrics file: an fsync never holds the monitor */
	char metrics_text[8192];
	uint64_t next_metrics_ns;
	struct record_ctx rc;
	struct loader *loader;
	struct trust trust; /* the runtime daemons the kernel side trusts */
	struct rmhooks rh;  /* when the removal hooks are attached */
	bool rh_warned;
	bool rh_later;		/* the removal hooks were left detached at load: on demand */
	uint64_t rh_generation; /* of the idle count below */
	size_t rh_ids_count;
	size_t rh_idle; /* containers a runtime keeps that are not running */
	struct identity_table *ids;
	struct timeline *tl;
	struct storage_watch *sw;
	struct holder_worker *holder_worker;
	struct facts facts; /* the system, or a recording being replayed */
	struct facts_live live;
	struct recorder *rec; /* --record */
	uint64_t now;	      /* the clock of the step under way (boot time) */
	bool replaying;
	const char (*storage_roots)[256]; /* a recording's --storage-root options */
	int nstorage_roots;
	const char *default_roots[MAX_DEFAULT_ROOTS]; /* the runtimes', filled at start */
	size_t ndefault_roots;
	bool trace_done; /* trace: the stop timeline of the traced container is out */
	enum tl_verdict trace_verdict;
	uint64_t alert_seq; /* alert ids, shared by the stop and removal engines */
	uint64_t removals;
	struct report_ctx report;
	uint64_t lost_seen;   /* kernel losses already told to the timeline */
	bool verify;	      /* records were lost: look whether cgroups went (verify_cgroups) */
	uint64_t verified_ns; /* the last look */
	uint64_t alerts;
	uint64_t timelines;
	uint64_t latency_max_ns; /* kernel event to alert written */
	uint64_t latency_sum_ns;
	uint64_t latency_n;
	uint64_t next_stats_ns;
	char host[256];
	char cg2_dir[4096];	    /* cgroup2 mount, "" when none */
	char v1_dir[4096];	    /* the watched v1 hierarchy's mount, "" when none */
	unsigned int v1_controller; /* which one: enum st_v1_controller */
	int v1_hierarchy;	    /* its hierarchy id, -1 when none */
	uint64_t events_in;	    /* records read from the kernel */
	uint64_t events_bad;	    /* records that failed to decode */
	uint64_t unwritable;	    /* records that could not be built within RECORD_MAX */
	uint64_t events_out;
	int fatal;     /* an error that ends the monitor */
	bool stop;     /* the run ends: fatal, or trace's stop timeline is out */
	uint64_t caps; /* capabilities kept once running */
	bool seccomp;  /* the seccomp filter is installed (user/privilege/sandbox.h) */
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

	/* cgroups tracked, tables bounded: monitor_tracking.c */
	const char *scan_dir;	    /* the hierarchy being scanned at start */
	uint64_t cgroups_delegated; /* runtime-shaped cgroups refused: a user could make them */
	uint64_t tracked_full;	    /* cgroups refused by the kernel's full tracked_cgroups */
	uint64_t subs_full;	    /* sub-cgroups refused at their bound */
	struct bounds bounds;	    /* what was said on stderr */
	/* samples of what runs in stopping containers: monitor_running.c */
	struct running_sample *running; /* the sample being taken */
	uint64_t running_window_ns;	/* the second under way */
	unsigned int running_budget;	/* samples left in it */
	uint64_t running_unserved;	/* stops due and not sampled, at the last look */
	uint64_t running_skipped;	/* a second that went by without a due stop's sample */
	uint64_t running_samples;	/* samples taken */
	size_t running_open_seen;	/* open stops at the last look */
};

static inline uint64_t now_boot_ns(void)
{
	return (uint64_t)clock_ns(CLOCK_BOOTTIME);
}

/*
 * monitor.c: the event path one step at a time, as the live and replay
 * drivers take it (and tests/fuzz/fuzz_event.c, with facts of its own).
 */
int track_cgroup(struct monitor *m, uint64_t id, const char *path, const char *mount_dir);
void process_event(struct monitor *m, const void *data, size_t len);
int setup_engines(struct monitor *m, unsigned int stop_alert_after_s,
		  unsigned int teardown_timeout_s, uint64_t now);
void teardown_engines(struct monitor *m);
void verify_cgroups(struct monitor *m);
void events_lost(struct monitor *m, uint64_t n);
void step_tick(struct monitor *m);
void step_flush(struct monitor *m);

/* monitor_hooks.c */
/* Attach or detach the removal hooks as the policy says now (on demand only). */
void monitor_apply_rmhooks(struct monitor *m);
/* The poll's callback when the runtimes' state changed (ctx: the monitor). */
void monitor_runtime_state(void *ctx);
/* Before loading: can the removal hooks be attached after the drop? (prints why not) */
bool monitor_rmhooks_later(struct monitor *m);
/* After the drop of capabilities: watch the runtimes' state, start the policy. */
void monitor_start_rmhooks(struct monitor *m, const char *const *defaults, size_t ndefaults);
/*
 * A trusted runtime's unmount or removal call at path, to the engines: the
 * removal engine, and the container's stop. Returns its container or NULL.
 */
const struct container *monitor_fs_call(struct monitor *m, const struct st_event *e,
					const char *path);

/* monitor_tracking.c */
/* Whether path names a container cgroup the monitor tracks: c and whether it is a sub-cgroup. */
bool tracking_recognize(struct monitor *m, const char *path, const char *mount_dir,
			struct container *c, bool *sub);
/* Track cgroup id in the kernel; a full map is counted (and id forgotten). */
int tracking_kernel(struct monitor *m, uint64_t id);
/* Track cgroup id below container c's own, as c's (bounded, counted). */
int tracking_add_sub(struct monitor *m, uint64_t id, const struct container *c);
/*
 * Before the timeline sees event e of container c (from cgroup cgid), once
 * it was printed: a nested namespace's init loses its init flag, a signal's
 * sender in another cgroup of c is one of c's. Returns false when the
 * timeline must not see it (a sub-cgroup's mkdir or rmdir, the release of
 * an init not the container's).
 */
bool tracking_event(struct monitor *m, struct st_event *e, uint64_t cgid,
		    const struct container *c);
/* Entries refused at each bound, by enum bound_table. */
void tracking_full(struct monitor *m, uint64_t full[BOUND_MAX]);
void tracking_json(struct monitor *m, struct jsonw *w);
/* Say on stderr, once per table, that a table reached its bound. */
void tracking_warn(struct monitor *m);

/* monitor_running.c */
/*
 * Sample the stops that want it (the engine says which), RUNNING_PER_SEC a
 * second at most, the longest waiting first; recorded, handed to the engine.
 * After an event, only when a stop opened since the last look.
 */
void monitor_sample_running(struct monitor *m, bool after_event);
/* A recording's sample, replayed. */
void monitor_replay_running(struct monitor *m, const char *id, const struct running_sample *s);
void monitor_running_free(struct monitor *m);
/*
 * stoptrace_running_samples_total appended to the metrics text buf[0..len):
 * the new length (len when it does not fit; 0 when len was 0).
 */
size_t monitor_running_metrics(const struct monitor *m, size_t len, char *buf, size_t cap);

/* monitor_out.c */
extern const struct tl_listener monitor_tl_listener;
extern const struct rm_listener monitor_rm_listener;
void check_output_closed(struct monitor *m);
bool container_selected(const struct monitor *m, const struct container *c);
void print_event(struct monitor *m, const struct st_event *e, const struct container *c,
		 const char *path, bool complete);
void print_started(struct monitor *m);
void print_stats(struct monitor *m);
int write_metrics(struct monitor *m);
int write_metrics_file(void *ctx, const struct sink_record *r);
void update_metrics(struct monitor *m);
int start_sinks(struct monitor *m);
void stop_sinks(struct monitor *m);
int open_output(struct monitor *m);

#endif /* STOPTRACE_MONITOR_INT_H */
