// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Tests for the stop timeline engine (user/engine/timeline*.c), written from
 * its specification (the verdicts, alerts and timers DESIGN.md and timeline.h
 * promise), not from its code. Every scenario is a sequence of hand-built
 * kernel records, with the clock chosen by the test; the listener records
 * everything it is handed, in order, with the clock at the time it was handed
 * over.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/timeline.h"

#define MS  1000000ULL
#define SEC 1000000000ULL
#define US  1000ULL

#define T0  (1000 * SEC) /* where scenarios begin, boot clock */
#define LAT (100 * US)	 /* event handled this long after it happened */

#define ID_A "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
#define ID_B "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"
#define ID_W "c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3"

#define RUNC_PID   3000
#define SHIM_PID   2900
#define HOST_PIDNS 4026531836u

/* A container of a scenario: its identity, cgroup and init. */
struct ctr {
	struct container c;
	uint64_t cgid;
	uint32_t pid; /* host pid of its init */
	uint32_t pidns;
	int stop_signal; /* what the facts stub answers */
	const char *policy;
};

/* ---- the listener: everything in order ---- */

enum rec_type { REC_ALERT, REC_RESOLVED, REC_TIMELINE };

#define MAX_ALERTS 256
#define MAX_STOPS  40
#define MAX_LOG	   (2 * MAX_ALERTS + MAX_STOPS)

struct rec_alert {
	struct tl_alert a;
	uint64_t at; /* the test's clock when it was handed over */
};

struct rec_stop {
	struct tl_stop s;
	uint64_t at;
};

struct recorder {
	uint64_t now;
	struct rec_alert alerts[MAX_ALERTS];
	size_t nalerts;
	struct rec_alert resolved[MAX_ALERTS];
	size_t nresolved;
	struct rec_stop stops[MAX_STOPS];
	size_t nstops;
	struct {
		enum rec_type type;
		size_t idx;
	} log[MAX_LOG];
	size_t nlog;
	struct ctr *ctrs[4];
	int facts_calls;
};

static struct recorder rec;
static struct tl_config cfg;
static struct timeline *tl;
static struct ctr A, B, W;

static void rec_log(enum rec_type type, size_t idx)
{
	assert_true(rec.nlog < MAX_LOG);
	rec.log[rec.nlog].type = type;
	rec.log[rec.nlog].idx = idx;
	rec.nlog++;
}

static void on_alert(void *ctx, const struct tl_alert *a)
{
	assert_ptr_equal(ctx, &rec);
	assert_true(rec.nalerts < MAX_ALERTS);
	rec.alerts[rec.nalerts].a = *a;
	rec.alerts[rec.nalerts].at = rec.now;
	rec_log(REC_ALERT, rec.nalerts++);
}

static void on_resolved(void *ctx, const struct tl_alert *a)
{
	assert_ptr_equal(ctx, &rec);
	assert_true(rec.nresolved < MAX_ALERTS);
	rec.resolved[rec.nresolved].a = *a;
	rec.resolved[rec.nresolved].at = rec.now;
	rec_log(REC_RESOLVED, rec.nresolved++);
}

static void on_timeline(void *ctx, const struct tl_stop *s)
{
	assert_ptr_equal(ctx, &rec);
	assert_true(rec.nstops < MAX_STOPS);
	rec.stops[rec.nstops].s = *s;
	rec.stops[rec.nstops].at = rec.now;
	rec_log(REC_TIMELINE, rec.nstops++);
}

static const struct tl_listener listener = {
	.alert = on_alert,
	.alert_resolved = on_resolved,
	.stop_timeline = on_timeline,
};

static struct ctr *facts_find(const struct container *c)
{
	for (size_t i = 0; i < sizeof(rec.ctrs) / sizeof(rec.ctrs[0]); i++)
		if (rec.ctrs[i] && !strcmp(rec.ctrs[i]->c.id, c->id))
			return rec.ctrs[i];
	return NULL;
}

static int facts_stop_signal(void *ctx, const struct container *c)
{
	struct ctr *k = facts_find(c);

	assert_ptr_equal(ctx, &rec);
	rec.facts_calls++;
	return k ? k->stop_signal : 0;
}

static const char *facts_policy(void *ctx, const struct container *c)
{
	struct ctr *k = facts_find(c);

	assert_ptr_equal(ctx, &rec);
	return k ? k->policy : NULL;
}

static const struct tl_facts facts = {
	.stop_signal = facts_stop_signal,
	.restart_policy = facts_policy,
};

/* ---- building kernel records ---- */

static void ctr_init(struct ctr *k, const char *id, const char *name, uint64_t cgid, uint32_t pid)
{
	memset(k, 0, sizeof(*k));
	k->c.runtime = RUNTIME_DOCKER;
	snprintf(k->c.id, sizeof(k->c.id), "%s", id);
	snprintf(k->c.name, sizeof(k->c.name), "%s", name);
	snprintf(k->c.cgroup, sizeof(k->c.cgroup), "/docker/%s", id);
	k->cgid = cgid;
	k->pid = pid;
	k->pidns = 4026532000u + (uint32_t)cgid;
}

static void task_fill(struct st_task *t, uint64_t cgid, uint32_t pid, uint32_t ns_pid,
		      uint32_t pidns, uint32_t flags, const char *comm)
{
	t->cgroup_id = cgid;
	t->pid = pid;
	t->tgid = pid;
	t->ns_pid = ns_pid;
	t->ns_tgid = ns_pid;
	t->pidns = pidns;
	t->flags = flags;
	snprintf(t->comm, sizeof(t->comm), "%s", comm);
}

/*
 * signal_generate to a task of container k. A sender with cgroup 0 is a host
 * process (runc); with k's cgroup it is one of the container's own.
 */
static struct st_event sig_gen(const struct ctr *k, uint64_t ts, uint32_t pid, uint32_t ns_pid,
			       bool ns_init, int sig, int result, uint32_t disposition,
			       uint32_t sig_flags, uint32_t sender_pid, uint64_t sender_cgroup)
{
	struct st_event e;
	struct st_signal *s = &e.u.signal;
	bool in_ns = sig_flags & ST_SIGF_SENDER_IN_NS;

	memset(&e, 0, sizeof(e));
	e.ts_ns = ts;
	e.kind = ST_EV_SIGNAL_GENERATE;
	task_fill(&s->target, k->cgid, pid, ns_pid, k->pidns, ns_init ? ST_TASK_NS_INIT : 0, "app");
	task_fill(&s->sender, sender_cgroup, sender_pid, in_ns ? 77 : sender_pid,
		  in_ns ? k->pidns : HOST_PIDNS, 0, sender_cgroup ? "app" : "runc");
	s->ancestry[0].pid = SHIM_PID;
	snprintf(s->ancestry[0].comm, sizeof(s->ancestry[0].comm), "containerd-shim");
	s->ancestry[1].pid = 1;
	snprintf(s->ancestry[1].comm, sizeof(s->ancestry[1].comm), "init");
	s->sig = sig;
	s->code = (sig_flags & ST_SIGF_FROM_KERNEL) ? 0x80 : 0; /* SI_KERNEL : SI_USER */
	s->result = result;
	s->disposition = disposition;
	s->sig_flags = sig_flags | ST_SIGF_GROUP;
	return e;
}

/* A signal from runc (outside) to k's init. */
static struct st_event runc_sig(const struct ctr *k, uint64_t ts, int sig, int result,
				uint32_t disposition, uint32_t sig_flags)
{
	return sig_gen(k, ts, k->pid, 1, true, sig, result, disposition, sig_flags, RUNC_PID, 0);
}

static struct st_event deliver_ev(const struct ctr *k, uint64_t ts, uint32_t pid, int sig,
				  uint32_t disposition)
{
	struct st_event e;

	memset(&e, 0, sizeof(e));
	e.ts_ns = ts;
	e.kind = ST_EV_SIGNAL_DELIVER;
	task_fill(&e.u.deliver.task, k->cgid, pid, pid == k->pid ? 1 : 9, k->pidns,
		  pid == k->pid ? ST_TASK_NS_INIT : 0, "app");
	e.u.deliver.sig = sig;
	e.u.deliver.disposition = disposition;
	return e;
}

static struct st_event exit_ev(const struct ctr *k, uint64_t ts, uint32_t pid, bool ns_init,
			       uint32_t raw_exit_code)
{
	struct st_event e;

	memset(&e, 0, sizeof(e));
	e.ts_ns = ts;
	e.kind = ST_EV_PROCESS_EXIT;
	task_fill(&e.u.exit.task, k->cgid, pid, ns_init ? 1 : 9, k->pidns,
		  (ns_init ? ST_TASK_NS_INIT : 0) | ST_TASK_GROUP_DEAD, "app");
	e.u.exit.exit_code = raw_exit_code;
	e.u.exit.nr_threads = 1;
	return e;
}

static struct st_event released_ev(const struct ctr *k, uint64_t ts)
{
	struct st_event e;

	memset(&e, 0, sizeof(e));
	e.ts_ns = ts;
	e.kind = ST_EV_INIT_RELEASED;
	task_fill(&e.u.exit.task, k->cgid, k->pid, 1, k->pidns,
		  ST_TASK_NS_INIT | ST_TASK_GROUP_DEAD, "app");
	return e;
}

static struct st_event cgroup_ev(const struct ctr *k, uint32_t kind, uint64_t ts, uint64_t cgid)
{
	struct st_event e;

	memset(&e, 0, sizeof(e));
	e.ts_ns = ts;
	e.kind = kind;
	e.u.cgroup.id = cgid;
	e.u.cgroup.level = 2;
	snprintf(e.u.cgroup.path, sizeof(e.u.cgroup.path), "/docker/%s", k->c.id);
	return e;
}

static struct st_event rmdir_ev(const struct ctr *k, uint64_t ts)
{
	return cgroup_ev(k, ST_EV_CGROUP_RMDIR, ts, k->cgid);
}

static struct st_event mkdir_ev(const struct ctr *k, uint64_t ts, uint64_t cgid)
{
	return cgroup_ev(k, ST_EV_CGROUP_MKDIR, ts, cgid);
}

static struct st_event exec_ev(const struct ctr *k, uint64_t ts, uint32_t pid, bool ns_init)
{
	struct st_event e;

	memset(&e, 0, sizeof(e));
	e.ts_ns = ts;
	e.kind = ST_EV_PROCESS_EXEC;
	task_fill(&e.u.exec.task, k->cgid, pid, ns_init ? 1 : 9, k->pidns,
		  ns_init ? ST_TASK_NS_INIT : 0, "app");
	e.u.exec.old_pid = pid;
	return e;
}

static struct st_event oom_ev(uint64_t ts, uint32_t victim, uint64_t killer_cgid)
{
	struct st_event e;

	memset(&e, 0, sizeof(e));
	e.ts_ns = ts;
	e.kind = ST_EV_OOM_VICTIM;
	task_fill(&e.u.oom.killer, killer_cgid, 4300, 7, 0, 0, "alloc");
	e.u.oom.victim_pid = victim;
	return e;
}

/* ---- driving the engine ---- */

static void begin(void)
{
	tl = timeline_new(&cfg, &facts, &listener, &rec);
	assert_non_null(tl);
}

/* Feed e for container k (NULL: no container), handled LAT after it happened. */
static void feed(const struct st_event e, const struct ctr *k)
{
	rec.now = e.ts_ns + LAT;
	timeline_event(tl, &e, k ? &k->c : NULL, rec.now);
}

static void tick(uint64_t now)
{
	rec.now = now;
	timeline_tick(tl, now);
}

/* Ticks every step from `from` to `to` inclusive. */
static void tick_range(uint64_t from, uint64_t to, uint64_t step)
{
	for (uint64_t t = from; t <= to; t += step)
		tick(t);
}

/* The end of a stop as Docker does it: release of the init, then the cgroup goes. */
static void finish(const struct ctr *k, uint64_t ts)
{
	feed(released_ev(k, ts), k);
	feed(rmdir_ev(k, ts + 5 * MS), k);
}

static size_t count_alerts(enum tl_alert_kind kind)
{
	size_t n = 0;

	for (size_t i = 0; i < rec.nalerts; i++)
		n += rec.alerts[i].a.kind == kind;
	return n;
}

static const struct rec_alert *first_alert(enum tl_alert_kind kind)
{
	for (size_t i = 0; i < rec.nalerts; i++)
		if (rec.alerts[i].a.kind == kind)
			return &rec.alerts[i];
	return NULL;
}

static const struct rec_alert *resolved_for(uint64_t alert_id)
{
	for (size_t i = 0; i < rec.nresolved; i++)
		if (rec.resolved[i].a.alert_id == alert_id)
			return &rec.resolved[i];
	return NULL;
}

static size_t count_resolved(uint64_t alert_id)
{
	size_t n = 0;

	for (size_t i = 0; i < rec.nresolved; i++)
		n += rec.resolved[i].a.alert_id == alert_id;
	return n;
}

/* Position in the log of the first record of type with index idx. */
static size_t log_pos(enum rec_type type, size_t idx)
{
	for (size_t i = 0; i < rec.nlog; i++)
		if (rec.log[i].type == type && rec.log[i].idx == idx)
			return i;
	fail_msg("record %d/%zu not in the log", type, idx);
	return 0;
}

static size_t alert_index(const struct rec_alert *a)
{
	return (size_t)(a - rec.alerts);
}

static int find_entry(const struct tl_stop *s, uint32_t kind, int sig)
{
	for (uint32_t i = 0; i < s->nentries; i++)
		if (s->entries[i].kind == kind && (sig < 0 || s->entries[i].sig == sig))
			return (int)i;
	return -1;
}

static void assert_entries_sorted(const struct tl_stop *s)
{
	assert_true(s->nentries <= TL_MAX_ENTRIES);
	for (uint32_t i = 1; i < s->nentries; i++)
		assert_true(s->entries[i - 1].ts_ns <= s->entries[i].ts_ns);
}

#define BIT(v) (1u << (v))

/* Every alert_resolved names an alert that was sent, and is sent once. */
static void assert_resolved_consistent(void)
{
	for (size_t i = 0; i < rec.nresolved; i++) {
		bool sent = false;

		for (size_t j = 0; j < rec.nalerts; j++)
			if (rec.alerts[j].a.alert_id == rec.resolved[i].a.alert_id) {
				sent = true;
				assert_false(rec.alerts[j].a.one_shot);
				assert_true(log_pos(REC_ALERT, j) < log_pos(REC_RESOLVED, i));
			}
		assert_true(sent);
		assert_int_equal(count_resolved(rec.resolved[i].a.alert_id), 1);
	}
}

static int setup(void **state)
{
	(void)state;
	memset(&rec, 0, sizeof(rec));
	tl_config_defaults(&cfg);
	cfg.start_ns = 10 * SEC;
	cfg.linger_ns = 0; /* written at the cgroup's removal: the linger has tests of its own */
	ctr_init(&A, ID_A, "web", 1001, 4242);
	ctr_init(&B, ID_B, "db", 2002, 5252);
	ctr_init(&W, ID_W, "httpd", 3003, 6262);
	W.stop_signal = SIGWINCH;
	rec.ctrs[0] = &A;
	rec.ctrs[1] = &B;
	rec.ctrs[2] = &W;
	tl = NULL;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (tl) {
		assert_resolved_consistent();
		timeline_free(tl);
	}
	tl = NULL;
	return 0;
}

/* ---- tests ---- */

static void test_names(void **state)
{
	static const char *const verdicts[] = {
		"ns_teardown_stuck",
		"stop_signal_ignored",
		"stop_signal_blocked",
		"grace_period_exceeded",
		"oom_killed",
		"killed_without_grace",
		"graceful",
		"exited",
	};
	static const char *const kinds[] = {
		"stop_signal_ignored", "stop_signal_blocked",	"stop_still_running",
		"ns_teardown_stuck",   "rootfs_removal_failed", "restarted_after_stop",
		"oom_killed",
	};

	(void)state;
	for (int v = 0; v < TL_VERDICT_MAX; v++)
		assert_string_equal(tl_verdict_name(v), verdicts[v]);
	for (int k = 0; k < TL_ALERT_KIND_MAX; k++)
		assert_string_equal(tl_alert_kind_name(k), kinds[k]);
}

static void test_defaults(void **state)
{
	struct tl_config d;

	(void)state;
	memset(&d, 0xff, sizeof(d));
	tl_config_defaults(&d);
	assert_int_equal(d.stop_alert_after_ns, 30 * SEC);
	assert_int_equal(d.teardown_timeout_ns, 3 * SEC);
	assert_int_equal(d.settle_ns, 1 * SEC);
	assert_int_equal(d.blocked_after_ns, 1 * SEC);
	assert_int_equal(d.restart_window_ns, 60 * SEC);
	assert_int_equal(d.alert_window_ns, 60 * SEC);
	assert_int_equal(d.max_stop_ns, 600 * SEC);
}

/* S1: docker stop of an app with a SIGTERM handler that exits in time. */
static void test_graceful(void **state)
{
	const struct tl_stop *s;
	static const uint32_t kinds[] = {
		ST_EV_SIGNAL_GENERATE, ST_EV_SIGNAL_DELIVER, ST_EV_PROCESS_EXIT,
		ST_EV_INIT_RELEASED,   ST_EV_CGROUP_RMDIR,
	};

	(void)state;
	begin();
	feed(runc_sig(&A, T0, SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER, 0), &A);
	assert_int_equal(timeline_open_stops(tl), 1);
	feed(deliver_ev(&A, T0 + 1 * MS, A.pid, SIGTERM, ST_DISP_HANDLER), &A);
	feed(exit_ev(&A, T0 + 300 * MS, A.pid, true, 0), &A);
	feed(released_ev(&A, T0 + 301 * MS), &A);
	assert_int_equal(rec.nstops, 0);
	feed(rmdir_ev(&A, T0 + 320 * MS), &A);

	assert_int_equal(rec.nstops, 1); /* written at the rmdir, no tick needed */
	assert_int_equal(rec.nalerts, 0);
	assert_int_equal(timeline_open_stops(tl), 0);
	s = &rec.stops[0].s;
	assert_string_equal(s->container.id, ID_A);
	assert_string_equal(s->container.name, "web");
	assert_int_equal(s->verdict, TL_GRACEFUL);
	assert_int_equal(s->findings, BIT(TL_GRACEFUL));
	assert_int_equal(s->stop_signal, SIGTERM);
	assert_int_equal(s->configured_stop_signal, SIGTERM);
	assert_int_equal(s->start_ns, T0);
	assert_true(s->end_ns >= T0 + 301 * MS && s->end_ns <= T0 + 320 * MS + LAT);
	assert_true(s->has_sender);
	assert_int_equal(s->sender.pid, RUNC_PID);
	assert_string_equal(s->sender.comm, "runc");
	assert_false(s->sender.from_inside);
	assert_int_equal(s->sender.ancestry[0].pid, SHIM_PID);
	assert_int_equal(s->grace_ms, -1);
	assert_true(s->exited);
	assert_int_equal(s->exit_code, 0);
	assert_int_equal(s->init_pid, A.pid);
	assert_int_equal(s->teardown_ms, 1);
	assert_false(s->partial);
	assert_int_equal(s->lost, 0);
	assert_int_equal(s->dropped, 0);
	assert_int_equal(s->nentries, 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(s->entries[i].kind, kinds[i]);
	assert_int_equal(s->entries[0].sig, SIGTERM);
	assert_int_equal(s->entries[0].pid, A.pid);
	assert_int_equal(s->entries[0].other_pid, RUNC_PID);
	assert_int_equal(s->entries[0].ts_ns, T0);
	assert_entries_sorted(s);
}

/* S2: sleep as PID 1: the kernel drops SIGTERM, runc SIGKILLs 10 s later. */
static void test_ignored_no_handler(void **state)
{
	const struct rec_alert *al;
	const struct tl_stop *s;

	(void)state;
	begin();
	feed(runc_sig(&A, T0, SIGTERM, ST_SIG_IGNORED, ST_DISP_DEFAULT, 0), &A);
	/* alerted at the event itself, not at a tick nor at the end */
	assert_int_equal(rec.nalerts, 1);
	al = &rec.alerts[0];
	assert_int_equal(al->a.kind, TL_ALERT_STOP_SIGNAL_IGNORED);
	assert_int_equal(al->a.sig, SIGTERM);
	assert_int_equal(al->a.pid, A.pid);
	assert_int_equal(al->a.event_ts_ns, T0);
	assert_string_equal(al->a.container.id, ID_A);
	assert_false(al->a.one_shot);
	assert_non_null(strcasestr(al->a.message, "handler"));
	assert_non_null(strcasestr(al->a.message, "PID 1"));

	tick_range(T0 + 200 * MS, T0 + 9800 * MS, 200 * MS);
	assert_int_equal(rec.nalerts, 1); /* no repeats while it waits */
	feed(runc_sig(&A, T0 + 10 * SEC, SIGKILL, ST_SIG_DELIVERED, ST_DISP_DEFAULT, 0), &A);
	feed(exit_ev(&A, T0 + 10 * SEC + 50 * US, A.pid, true, SIGKILL), &A);
	finish(&A, T0 + 10 * SEC + 1 * MS);

	assert_int_equal(rec.nstops, 1);
	s = &rec.stops[0].s;
	assert_int_equal(s->verdict, TL_STOP_SIGNAL_IGNORED);
	assert_true(s->findings & BIT(TL_STOP_SIGNAL_IGNORED));
	assert_false(s->findings & (BIT(TL_GRACEFUL) | BIT(TL_KILLED_WITHOUT_GRACE) |
				    BIT(TL_EXITED) | BIT(TL_STOP_SIGNAL_BLOCKED)));
	assert_int_equal(s->stop_signal, SIGTERM);
	assert_int_equal(s->grace_ms, 10000);
	assert_int_equal(s->exit_code, SIGKILL);
	assert_non_null(strcasestr(s->reason, "handler"));
	assert_true(log_pos(REC_ALERT, 0) < log_pos(REC_TIMELINE, 0));
	assert_non_null(resolved_for(al->a.alert_id));
	assert_int_equal(count_resolved(al->a.alert_id), 1);
}

/* The app set SIG_IGN for SIGTERM: ignored, and the reason says so. */
static void test_ignored_sig_ign(void **state)
{
	const struct tl_stop *s;

	(void)state;
	begin();
	feed(runc_sig(&A, T0, SIGTERM, ST_SIG_IGNORED, ST_DISP_IGNORE, 0), &A);
	assert_int_equal(count_alerts(TL_ALERT_STOP_SIGNAL_IGNORED), 1);
	assert_non_null(strstr(rec.alerts[0].a.message, "SIG_IGN"));
	feed(runc_sig(&A, T0 + 2 * SEC, SIGKILL, ST_SIG_DELIVERED, ST_DISP_DEFAULT, 0), &A);
	feed(exit_ev(&A, T0 + 2 * SEC + 40 * US, A.pid, true, SIGKILL), &A);
	finish(&A, T0 + 2 * SEC + 1 * MS);
	assert_int_equal(rec.nstops, 1);
	s = &rec.stops[0].s;
	assert_int_equal(s->verdict, TL_STOP_SIGNAL_IGNORED);
	assert_non_null(strstr(s->reason, "SIG_IGN"));
	assert_int_equal(s->grace_ms, 2000);
}

/* SIGTERM blocked and never delivered: alerted at a tick after blocked_after_ns. */
static void test_blocked_alert_at_tick(void **state)
{
	const struct rec_alert *al;
	const struct tl_stop *s;

	(void)state;
	begin();
	feed(runc_sig(&A, T0, SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER, ST_SIGF_BLOCKED), &A);
	assert_int_equal(rec.nalerts, 0); /* blocked is not ignored */
	tick(T0 + 500 * MS);
	tick(T0 + 900 * MS);
	assert_int_equal(rec.nalerts, 0);
	tick(T0 + 1100 * MS);
	assert_int_equal(rec.nalerts, 1);
	al = &rec.alerts[0];
	assert_int_equal(al->a.kind, TL_ALERT_STOP_SIGNAL_BLOCKED);
	assert_int_equal(al->a.sig, SIGTERM);
	assert_int_equal(al->a.pid, A.pid);
	tick_range(T0 + 1300 * MS, T0 + 9900 * MS, 200 * MS);
	feed(runc_sig(&A, T0 + 10 * SEC, SIGKILL, ST_SIG_DELIVERED, ST_DISP_DEFAULT,
		      ST_SIGF_BLOCKED),
	     &A);
	feed(exit_ev(&A, T0 + 10 * SEC + 30 * US, A.pid, true, SIGKILL), &A);
	finish(&A, T0 + 10 * SEC + 1 * MS);

	assert_int_equal(count_alerts(TL_ALERT_STOP_SIGNAL_BLOCKED), 1);
	assert_int_equal(count_alerts(TL_ALERT_STOP_SIGNAL_IGNORED), 0);
	assert_int_equal(rec.nstops, 1);
	s = &rec.stops[0].s;
	assert_int_equal(s->verdict, TL_STOP_SIGNAL_BLOCKED);
	assert_true(s->findings & BIT(TL_STOP_SIGNAL_BLOCKED));
	assert_false(s->findings & (BIT(TL_STOP_SIGNAL_IGNORED) | BIT(TL_GRACE_PERIOD_EXCEEDED) |
				    BIT(TL_GRACEFUL)));
	assert_int_equal(s->grace_ms, 10000);
	assert_non_null(resolved_for(al->a.alert_id));
}

/* SIGKILL comes before blocked_after_ns: the blocked alert is sent at the SIGKILL. */
static void test_blocked_alert_at_sigkill(void **state)
{
	const struct tl_stop *s;

	(void)state;
	cfg.blocked_after_ns = 5 * SEC;
	begin();
	feed(runc_sig(&A, T0, SIGTERM, ST_SIG_ALREADY_PENDING, ST_DISP_DEFAULT, ST_SIGF_BLOCKED),
	     &A);
	tick_range(T0 + 200 * MS, T0 + 1800 * MS, 200 * MS);
	assert_int_equal(rec.nalerts, 0);
	feed(runc_sig(&A, T0 + 2 * SEC, SIGKILL, ST_SIG_DELIVERED, ST_DISP_DEFAULT, 0), &A);
	assert_int_equal(count_alerts(TL_ALERT_STOP_SIGNAL_BLOCKED), 1);
	assert_int_equal(rec.alerts[0].a.sig, SIGTERM);
	feed(exit_ev(&A, T0 + 2 * SEC + 30 * US, A.pid, true, SIGKILL), &A);
	finish(&A, T0 + 2 * SEC + 1 * MS);
	tick_range(T0 + 3 * SEC, T0 + 8 * SEC, 500 * MS);
	assert_int_equal(count_alerts(TL_ALERT_STOP_SIGNAL_BLOCKED), 1);
	assert_int_equal(rec.nstops, 1);
	s = &rec.stops[0].s;
	assert_int_equal(s->verdict, TL_STOP_SIGNAL_BLOCKED);
	assert_true(log_pos(REC_ALERT, 0) < log_pos(REC_TIMELINE, 0));
}

/* SIGTERM in blocked and real_blocked: the app waits for it in sigtimedwait. */
static void test_sigtimedwait_not_blocked(void **state)
{
	const struct tl_stop *s;

	(void)state;
	begin();
	feed(runc_sig(&A, T0, SIGTERM, ST_SIG_DELIVERED, ST_DISP_DEFAULT,
		      ST_SIGF_BLOCKED | ST_SIGF_REAL_BLOCKED),
	     &A);
	tick_range(T0 + 200 * MS, T0 + 2800 * MS, 200 * MS);
	feed(exit_ev(&A, T0 + 3 * SEC, A.pid, true, 0), &A);
	finish(&A, T0 + 3 * SEC + 1 * MS);
	assert_int_equal(rec.nalerts, 0);
	assert_int_equal(rec.nstops, 1);
	s = &rec.stops[0].s;
	assert_int_equal(s->verdict, TL_GRACEFUL);
	assert_int_equal(s->findings, BIT(TL_GRACEFUL));
}

/* Blocked at first, unblocked and handled 500 ms later: graceful, no alert. */
static void test_blocked_then_delivered(void **state)
{
	const struct tl_stop *s;

	(void)state;
	begin();
	feed(runc_sig(&A, T0, SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER, ST_SIGF_BLOCKED), &A);
	feed(deliver_ev(&A, T0 + 500 * MS, A.pid, SIGTERM, ST_DISP_HANDLER), &A);
	tick_range(T0 + 600 * MS, T0 + 1800 * MS, 200 * MS);
	feed(exit_ev(&A, T0 + 2 * SEC, A.pid, true, 0), &A);
	finish(&A, T0 + 2 * SEC + 1 * MS);
	assert_int_equal(rec.nalerts, 0);
	assert_int_equal(rec.nstops, 1);
	s = &rec.stops[0].s;
	assert_int_equal(s->verdict, TL_GRACEFUL);
	assert_int_equal(s->findings, BIT(TL_GRACEFUL));
}

/* The handler runs but the app outlives the grace period: SIGKILL at 10 s. */
static void test_grace_period_exceeded(void **state)
{
	const struct tl_stop *s;

	(void)state;
	begin();
	feed(runc_sig(&A, T0, SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER, 0), &A);
	feed(deliver_ev(&A, T0 + 1 * MS, A.pid, SIGTERM, ST_DISP_HANDLER), &A);
	tick_range(T0 + 200 * MS, T0 + 9800 * MS, 200 * MS);
	feed(runc_sig(&A, T0 + 10 * SEC, SIGKILL, ST_SIG_DELIVERED, ST_DISP_DEFAULT, 0), &A);
	feed(exit_ev(&A, T0 + 10 * SEC + 40 * US, A.pid, true, SIGKILL), &A);
	finish(&A, T0 + 10 * SEC + 1 * MS);
	assert_int_equal(rec.nalerts, 0);
	assert_int_equal(rec.nstops, 1);
	s = &rec.stops[0].s;
	assert_int_equal(s->verdict, TL_GRACE_PERIOD_EXCEEDED);
	assert_int_equal(s->findings, BIT(TL_GRACE_PERIOD_EXCEEDED));
	assert_int_equal(s->grace_ms, 10000);
	assert_int_equal(s->stop_signal, SIGTERM);
	assert_int_equal(s->exit_code, SIGKILL);
}

/* S4: docker kill / docker rm -f: SIGKILL first. */
static void test_killed_without_grace(void **state)
{
	const struct tl_stop *s;

	(void)state;
	begin();
	feed(runc_sig(&A, T0, SIGKILL, ST_SIG_DELIVERED, ST_DISP_DEFAULT, 0), &A);
	assert_int_equal(timeline_open_stops(tl), 1);
	feed(exit_ev(&A, T0 + 60 * US, A.pid, true, SIGKILL), &A);
	finish(&A, T0 + 1 * MS);
	assert_int_equal(rec.nalerts, 0);
	assert_int_equal(rec.nstops, 1);
	s = &rec.stops[0].s;
	assert_int_equal(s->verdict, TL_KILLED_WITHOUT_GRACE);
	assert_int_equal(s->findings, BIT(TL_KILLED_WITHOUT_GRACE));
	assert_int_equal(s->stop_signal, SIGKILL);
	assert_true(s->has_sender);
	assert_int_equal(s->sender.pid, RUNC_PID);
	assert_false(s->partial);
}

/* A memory cgroup OOM inside the container kills its init. */
static void test_oom_killed(void **state)
{
	const struct rec_alert *al;
	const struct tl_stop *s;

	(void)state;
	begin();
	/* the kernel's SIGKILL, sent in the context of the allocating task */
	feed(sig_gen(&A, T0, A.pid, 1, true, SIGKILL, ST_SIG_DELIVERED, ST_DISP_DEFAULT,
		     ST_SIGF_FROM_KERNEL | ST_SIGF_SENDER_IN_NS, 4300, A.cgid),
	     &A);
	feed(oom_ev(T0 + 10 * US, A.pid, A.cgid), NULL);
	feed(exit_ev(&A, T0 + 200 * US, A.pid, true, SIGKILL), &A);
	finish(&A, T0 + 2 * MS);
	tick(T0 + 3 * SEC);

	assert_int_equal(rec.nstops, 1);
	s = &rec.stops[0].s;
	assert_int_equal(s->verdict, TL_OOM_KILLED);
	assert_true(s->findings & BIT(TL_OOM_KILLED));
	assert_int_equal(s->exit_code, SIGKILL);
	assert_int_equal(count_alerts(TL_ALERT_OOM_KILLED), 1);
	al = first_alert(TL_ALERT_OOM_KILLED);
	assert_true(al->a.one_shot);
	assert_int_equal(al->a.pid, A.pid);
	assert_string_equal(al->a.container.id, ID_A);
	assert_int_equal(count_resolved(al->a.alert_id), 0);
	assert_true(log_pos(REC_ALERT, alert_index(al)) < log_pos(REC_TIMELINE, 0));
	assert_int_equal(rec.nalerts, 1);
}

/* A global OOM triggered by a host process: the kernel's SIGKILL comes from outside. */
static void test_oom_killed_from_host(void **state)
{
	const struct tl_stop *s;

	(void)state;
	begin();
	feed(sig_gen(&A, T0, A.pid, 1, true, SIGKILL, ST_SIG_DELIVERED, ST_DISP_DEFAULT,
		     ST_SIGF_FROM_KERNEL, 777, 0),
	     &A);
	feed(oom_ev(T0 + 10 * US, A.pid, 0), NULL);
	feed(exit_ev(&A, T0 + 200 * US, A.pid, true, SIGKILL), &A);
	finish(&A, T0 + 2 * MS);
	assert_int_equal(rec.nstops, 1);
	s = &rec.stops[0].s;
	assert_int_equal(s->verdict, TL_OOM_KILLED);
	assert_int_equal(count_alerts(TL_ALERT_OOM_KILLED), 1);
}

/* PID 1 exits on its own with status 3. */
static void test_exited(void **state)
{
	const struct tl_stop *s;

	(void)state;
	begin();
	feed(exit_ev(&A, T0, A.pid, true, 3 << 8), &A);
	assert_int_equal(timeline_open_stops(tl), 1);
	finish(&A, T0 + 1 * MS);
	assert_int_equal(rec.nalerts, 0);
	assert_int_equal(rec.nstops, 1);
	s = &rec.stops[0].s;
	assert_int_equal(s->verdict, TL_EXITED);
	assert_int_equal(s->findings, BIT(TL_EXITED));
	assert_int_equal(s->stop_signal, 0);
	assert_false(s->has_sender);
	assert_true(s->exited);
	assert_int_equal(s->exit_code, 3 << 8);
	assert_int_equal(s->start_ns, T0);
	assert_int_equal(s->grace_ms, -1);
	assert_false(s->partial);
}

/*
 * Signals that do not start a stop: SIGTERM from inside the container, to a
 * process that is not the init, SIGHUP and SIGUSR1 from outside. They show up
 * on the next timeline; a later exit of the init is "exited".
 */
static void test_signals_not_starting_stop(void **state)
{
	const struct tl_stop *s;

	(void)state;
	begin();
	feed(sig_gen(&A, T0, A.pid, 1, true, SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER,
		     ST_SIGF_SENDER_IN_NS, 4300, A.cgid),
	     &A);
	feed(sig_gen(&A, T0 + 10 * MS, 4301, 9, false, SIGTERM, ST_SIG_DELIVERED, ST_DISP_DEFAULT,
		     0, RUNC_PID, 0),
	     &A);
	feed(runc_sig(&A, T0 + 20 * MS, SIGHUP, ST_SIG_DELIVERED, ST_DISP_HANDLER, 0), &A);
	feed(runc_sig(&A, T0 + 30 * MS, SIGUSR1, ST_SIG_DELIVERED, ST_DISP_HANDLER, 0), &A);
	feed(runc_sig(&A, T0 + 40 * MS, SIGWINCH, ST_SIG_IGNORED, ST_DISP_DEFAULT, 0), &A);
	tick(T0 + 1 * SEC);
	assert_int_equal(timeline_open_stops(tl), 0);
	assert_int_equal(rec.nalerts, 0);
	assert_int_equal(rec.nstops, 0);

	feed(exit_ev(&A, T0 + 1500 * MS, A.pid, true, 0), &A);
	finish(&A, T0 + 1501 * MS);
	assert_int_equal(rec.nstops, 1);
	s = &rec.stops[0].s;
	assert_int_equal(s->verdict, TL_EXITED);
	assert_int_equal(s->stop_signal, 0);
	assert_true(find_entry(s, ST_EV_SIGNAL_GENERATE, SIGHUP) >= 0);
	assert_true(find_entry(s, ST_EV_SIGNAL_GENERATE, SIGUSR1) >= 0);
	assert_entries_sorted(s);
	assert_int_equal(rec.nalerts, 0);
}

/* HUP before the stop is on the stop's timeline; the stop starts at the SIGTERM. */
static void test_hup_on_next_timeline(void **state)
{
	const struct tl_stop *s;
	int hup, term;

	(void)state;
	begin();
	feed(runc_sig(&A, T0 - 2 * SEC, SIGHUP, ST_SIG_DELIVERED, ST_DISP_HANDLER, 0), &A);
	feed(deliver_ev(&A, T0 - 2 * SEC + 1 * MS, A.pid, SIGHUP, ST_DISP_HANDLER), &A);
	assert_int_equal(timeline_open_stops(tl), 0);
	feed(runc_sig(&A, T0, SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER, 0), &A);
	feed(deliver_ev(&A, T0 + 1 * MS, A.pid, SIGTERM, ST_DISP_HANDLER), &A);
	feed(exit_ev(&A, T0 + 100 * MS, A.pid, true, 0), &A);
	finish(&A, T0 + 101 * MS);
	assert_int_equal(rec.nstops, 1);
	s = &rec.stops[0].s;
	assert_int_equal(s->verdict, TL_GRACEFUL);
	assert_int_equal(s->stop_signal, SIGTERM);
	assert_int_equal(s->start_ns, T0);
	hup = find_entry(s, ST_EV_SIGNAL_GENERATE, SIGHUP);
	term = find_entry(s, ST_EV_SIGNAL_GENERATE, SIGTERM);
	assert_true(hup >= 0);
	assert_true(term > hup);
	assert_entries_sorted(s);

	/* it was on that timeline: it is not on the one after */
	A.pid = 4243;
	feed(exit_ev(&A, T0 + 500 * MS, A.pid, true, 0), &A);
	finish(&A, T0 + 501 * MS);
	assert_int_equal(rec.nstops, 2);
	s = &rec.stops[1].s;
	assert_int_equal(s->verdict, TL_EXITED);
	assert_int_equal(find_entry(s, ST_EV_SIGNAL_GENERATE, SIGHUP), -1);
	assert_int_equal(s->nentries, 3);
}

/* httpd's STOPSIGNAL is SIGWINCH (default action: ignore): it starts the stop. */
static void test_configured_stop_signal(void **state)
{
	const struct tl_stop *s;

	(void)state;
	begin();
	feed(runc_sig(&W, T0, SIGWINCH, ST_SIG_DELIVERED, ST_DISP_HANDLER, 0), &W);
	assert_int_equal(timeline_open_stops(tl), 1);
	assert_true(rec.facts_calls > 0);
	feed(deliver_ev(&W, T0 + 1 * MS, W.pid, SIGWINCH, ST_DISP_HANDLER), &W);
	feed(exit_ev(&W, T0 + 400 * MS, W.pid, true, 0), &W);
	finish(&W, T0 + 401 * MS);
	assert_int_equal(rec.nstops, 1);
	s = &rec.stops[0].s;
	assert_int_equal(s->verdict, TL_GRACEFUL);
	assert_int_equal(s->stop_signal, SIGWINCH);
	assert_int_equal(s->configured_stop_signal, SIGWINCH);
	assert_string_equal(s->container.id, ID_W);

	/* the same signal to a container configured for SIGTERM starts nothing */
	feed(runc_sig(&A, T0 + 5 * SEC, SIGWINCH, ST_SIG_IGNORED, ST_DISP_DEFAULT, 0), &A);
	assert_int_equal(timeline_open_stops(tl), 0);
	assert_int_equal(rec.nalerts, 0);
}

/* A configured SIGWINCH the init has no handler for: ignored. SIGINT configured: a stop. */
static void test_configured_stop_signal_ignored(void **state)
{
	const struct tl_stop *s;

	(void)state;
	A.stop_signal = SIGINT;
	begin();
	feed(runc_sig(&W, T0, SIGWINCH, ST_SIG_IGNORED, ST_DISP_DEFAULT, 0), &W);
	assert_int_equal(count_alerts(TL_ALERT_STOP_SIGNAL_IGNORED), 1);
	assert_int_equal(rec.alerts[0].a.sig, SIGWINCH);
	feed(runc_sig(&A, T0 + 1 * MS, SIGINT, ST_SIG_DELIVERED, ST_DISP_HANDLER, 0), &A);
	assert_int_equal(timeline_open_stops(tl), 2);
	feed(deliver_ev(&A, T0 + 2 * MS, A.pid, SIGINT, ST_DISP_HANDLER), &A);
	feed(exit_ev(&A, T0 + 50 * MS, A.pid, true, 0), &A);
	finish(&A, T0 + 51 * MS);
	feed(runc_sig(&W, T0 + 10 * SEC, SIGKILL, ST_SIG_DELIVERED, ST_DISP_DEFAULT, 0), &W);
	feed(exit_ev(&W, T0 + 10 * SEC + 20 * US, W.pid, true, SIGKILL), &W);
	finish(&W, T0 + 10 * SEC + 1 * MS);
	assert_int_equal(rec.nstops, 2);
	s = &rec.stops[0].s;
	assert_string_equal(s->container.id, ID_A);
	assert_int_equal(s->verdict, TL_GRACEFUL);
	assert_int_equal(s->stop_signal, SIGINT);
	s = &rec.stops[1].s;
	assert_string_equal(s->container.id, ID_W);
	assert_int_equal(s->verdict, TL_STOP_SIGNAL_IGNORED);
	assert_int_equal(s->stop_signal, SIGWINCH);
}

/*
 * S5: the init exited but its namespace teardown hangs for 20 s; runc's
 * SIGKILL at 10 s finds it already exiting (the kernel ignores it).
 */
static void test_ns_teardown_stuck(void **state)
{
	const uint64_t exit_ts = T0 + 1 * SEC;
	const uint64_t rel_ts = exit_ts + 20 * SEC;
	const struct rec_alert *first;
	const struct tl_stop *s;
	size_t n;

	(void)state;
	begin();
	feed(runc_sig(&A, T0, SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER, 0), &A);
	feed(deliver_ev(&A, T0 + 1 * MS, A.pid, SIGTERM, ST_DISP_HANDLER), &A);
	feed(exit_ev(&A, exit_ts, A.pid, true, 0), &A);
	tick_range(exit_ts + 200 * MS, exit_ts + 2800 * MS, 200 * MS);
	assert_int_equal(count_alerts(TL_ALERT_NS_TEARDOWN_STUCK), 0);
	tick_range(exit_ts + 3 * SEC, exit_ts + 9800 * MS, 200 * MS);
	feed(runc_sig(&A, T0 + 10 * SEC, SIGKILL, ST_SIG_IGNORED, ST_DISP_DEFAULT, 0), &A);
	tick_range(T0 + 10200 * MS, rel_ts - 200 * MS, 200 * MS);

	n = count_alerts(TL_ALERT_NS_TEARDOWN_STUCK);
	assert_true(n >= 2);
	assert_true(n <= 20);
	first = first_alert(TL_ALERT_NS_TEARDOWN_STUCK);
	assert_true(first->at >= exit_ts + 3 * SEC);
	assert_true(first->at <= exit_ts + 4 * SEC);
	assert_true(first->a.duration_ms >= 3000);
	assert_string_equal(first->a.container.id, ID_A);
	{
		int64_t last = -1;

		for (size_t i = 0; i < rec.nalerts; i++) {
			if (rec.alerts[i].a.kind != TL_ALERT_NS_TEARDOWN_STUCK)
				continue;
			assert_true(rec.alerts[i].a.duration_ms > last);
			last = rec.alerts[i].a.duration_ms;
			assert_int_equal(rec.alerts[i].a.alert_id, first->a.alert_id);
		}
	}
	assert_int_equal(rec.nresolved, 0);
	assert_int_equal(rec.nstops, 0);
	/* the alert is about the teardown, not about signals or a stop still running */
	assert_int_equal(count_alerts(TL_ALERT_STOP_SIGNAL_IGNORED), 0);
	assert_int_equal(count_alerts(TL_ALERT_STOP_STILL_RUNNING), 0);

	feed(released_ev(&A, rel_ts), &A);
	assert_non_null(resolved_for(first->a.alert_id));
	feed(rmdir_ev(&A, rel_ts + 5 * MS), &A);
	assert_int_equal(rec.nstops, 1);
	s = &rec.stops[0].s;
	assert_int_equal(s->verdict, TL_NS_TEARDOWN_STUCK);
	assert_true(s->findings & BIT(TL_NS_TEARDOWN_STUCK));
	assert_true(s->findings & BIT(TL_GRACEFUL));
	assert_false(s->findings & (BIT(TL_GRACE_PERIOD_EXCEEDED) | BIT(TL_STOP_SIGNAL_IGNORED)));
	assert_int_equal(s->teardown_ms, 20000);
	assert_int_equal(s->exit_code, 0);
}

/* S3: docker stop -t -1 of an app ignoring SIGTERM: still running after 30 s. */
static void test_stop_still_running(void **state)
{
	const struct rec_alert *al;
	const struct tl_stop *s;

	(void)state;
	begin();
	feed(runc_sig(&A, T0, SIGTERM, ST_SIG_IGNORED, ST_DISP_DEFAULT, 0), &A);
	tick_range(T0 + 500 * MS, T0 + 29500 * MS, 500 * MS);
	assert_int_equal(count_alerts(TL_ALERT_STOP_STILL_RUNNING), 0);
	tick_range(T0 + 30 * SEC, T0 + 45 * SEC, 500 * MS);
	assert_int_equal(count_alerts(TL_ALERT_STOP_STILL_RUNNING), 1);
	al = first_alert(TL_ALERT_STOP_STILL_RUNNING);
	assert_true(al->at >= T0 + 30 * SEC && al->at <= T0 + 31 * SEC);
	assert_true(al->a.duration_ms >= 30000);
	assert_int_equal(al->a.pid, A.pid);
	assert_int_equal(count_alerts(TL_ALERT_STOP_SIGNAL_IGNORED), 1);
	assert_int_equal(rec.nstops, 0);

	feed(runc_sig(&A, T0 + 46 * SEC, SIGKILL, ST_SIG_DELIVERED, ST_DISP_DEFAULT, 0), &A);
	feed(exit_ev(&A, T0 + 46 * SEC + 30 * US, A.pid, true, SIGKILL), &A);
	finish(&A, T0 + 46 * SEC + 1 * MS);
	assert_int_equal(rec.nstops, 1);
	s = &rec.stops[0].s;
	assert_int_equal(s->verdict, TL_STOP_SIGNAL_IGNORED);
	assert_non_null(resolved_for(al->a.alert_id));
	assert_non_null(resolved_for(first_alert(TL_ALERT_STOP_SIGNAL_IGNORED)->a.alert_id));
}

/* S7: --restart always: the container comes back within the window. */
static void test_restarted_after_stop(void **state)
{
	const struct rec_alert *al;

	(void)state;
	A.policy = "always";
	begin();
	feed(runc_sig(&A, T0, SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER, 0), &A);
	feed(exit_ev(&A, T0 + 100 * MS, A.pid, true, 0), &A);
	finish(&A, T0 + 101 * MS);
	assert_int_equal(rec.nstops, 1);
	assert_int_equal(rec.nalerts, 0);
	/* a new cgroup in two hierarchies, then the new init */
	A.cgid = 1101;
	feed(mkdir_ev(&A, T0 + 2 * SEC, 1101), &A);
	feed(mkdir_ev(&A, T0 + 2 * SEC + 1 * MS, 1102), &A);
	A.pid = 4500;
	feed(exec_ev(&A, T0 + 2 * SEC + 30 * MS, A.pid, true), &A);
	tick(T0 + 3 * SEC);
	assert_int_equal(count_alerts(TL_ALERT_RESTARTED_AFTER_STOP), 1);
	al = first_alert(TL_ALERT_RESTARTED_AFTER_STOP);
	assert_true(al->a.one_shot);
	assert_string_equal(al->a.container.id, ID_A);
	assert_int_equal(rec.nalerts, 1);
	assert_int_equal(rec.nstops, 1);
}

/* The restart seen only as a new namespace init's exec. */
static void test_restarted_by_exec(void **state)
{
	(void)state;
	A.policy = "on-failure";
	begin();
	feed(exit_ev(&A, T0, A.pid, true, 1 << 8), &A);
	finish(&A, T0 + 1 * MS);
	assert_int_equal(rec.nstops, 1);
	/* an exec of a process that is not an init is not a restart */
	feed(exec_ev(&A, T0 + 500 * MS, 4600, false), &A);
	tick(T0 + 600 * MS);
	assert_int_equal(count_alerts(TL_ALERT_RESTARTED_AFTER_STOP), 0);
	A.pid = 4500;
	feed(exec_ev(&A, T0 + 1 * SEC, A.pid, true), &A);
	tick(T0 + 1200 * MS);
	assert_int_equal(count_alerts(TL_ALERT_RESTARTED_AFTER_STOP), 1);
	assert_true(first_alert(TL_ALERT_RESTARTED_AFTER_STOP)->a.one_shot);
}

/* Policy "no", no policy known, or a start after the window: no restart alert. */
static void test_no_restart_alert(void **state)
{
	(void)state;
	A.policy = "no";
	B.policy = NULL;
	W.policy = "always";
	begin();
	feed(exit_ev(&A, T0, A.pid, true, 0), &A);
	finish(&A, T0 + 1 * MS);
	feed(exit_ev(&B, T0, B.pid, true, 0), &B);
	finish(&B, T0 + 1 * MS);
	feed(exit_ev(&W, T0, W.pid, true, 0), &W);
	finish(&W, T0 + 1 * MS);
	assert_int_equal(rec.nstops, 3);
	feed(mkdir_ev(&A, T0 + 1 * SEC, 1201), &A);
	feed(mkdir_ev(&B, T0 + 1 * SEC, 2201), &B);
	feed(mkdir_ev(&W, T0 + 1 * MS + cfg.restart_window_ns + 1 * SEC, 3201), &W);
	tick(T0 + cfg.restart_window_ns + 2 * SEC);
	assert_int_equal(count_alerts(TL_ALERT_RESTARTED_AFTER_STOP), 0);
	assert_int_equal(rec.nalerts, 0);
}

/* Two containers stopped at once: their events never mix. */
static void test_interleaved(void **state)
{
	const struct tl_stop *sa, *sb;
	const struct rec_alert *al;

	(void)state;
	begin();
	feed(runc_sig(&A, T0, SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER, 0), &A);
	feed(runc_sig(&B, T0 + 1 * MS, SIGTERM, ST_SIG_IGNORED, ST_DISP_DEFAULT, 0), &B);
	feed(deliver_ev(&A, T0 + 2 * MS, A.pid, SIGTERM, ST_DISP_HANDLER), &A);
	feed(exit_ev(&A, T0 + 200 * MS, A.pid, true, 0), &A);
	feed(released_ev(&A, T0 + 201 * MS), &A);
	assert_int_equal(timeline_open_stops(tl), 2);
	feed(rmdir_ev(&A, T0 + 250 * MS), &A);
	assert_int_equal(rec.nstops, 1);
	assert_int_equal(timeline_open_stops(tl), 1);
	tick_range(T0 + 500 * MS, T0 + 9500 * MS, 500 * MS);
	feed(runc_sig(&B, T0 + 10 * SEC, SIGKILL, ST_SIG_DELIVERED, ST_DISP_DEFAULT, 0), &B);
	feed(exit_ev(&B, T0 + 10 * SEC + 30 * US, B.pid, true, SIGKILL), &B);
	finish(&B, T0 + 10 * SEC + 1 * MS);

	assert_int_equal(rec.nstops, 2);
	sa = &rec.stops[0].s;
	sb = &rec.stops[1].s;
	assert_string_equal(sa->container.id, ID_A);
	assert_string_equal(sb->container.id, ID_B);
	assert_int_equal(sa->verdict, TL_GRACEFUL);
	assert_int_equal(sb->verdict, TL_STOP_SIGNAL_IGNORED);
	assert_int_equal(sa->init_pid, A.pid);
	assert_int_equal(sb->init_pid, B.pid);
	assert_int_equal(sa->nentries, 5);
	assert_int_equal(sb->nentries, 5);
	for (uint32_t i = 0; i < sa->nentries; i++)
		assert_int_not_equal(sa->entries[i].pid, B.pid);
	for (uint32_t i = 0; i < sb->nentries; i++)
		assert_int_not_equal(sb->entries[i].pid, A.pid);
	assert_int_equal(rec.nalerts, 1);
	al = &rec.alerts[0];
	assert_int_equal(al->a.kind, TL_ALERT_STOP_SIGNAL_IGNORED);
	assert_string_equal(al->a.container.id, ID_B);
	assert_int_equal(al->a.pid, B.pid);
	assert_int_equal(rec.nresolved, 1);
	assert_true(log_pos(REC_RESOLVED, 0) > log_pos(REC_TIMELINE, 0));
}

/*
 * Events from different CPUs: the exit SIGKILL caused is stamped 5 us before
 * the SIGKILL and handled first. Still grace_period_exceeded.
 */
static void test_out_of_order_kill_exit(void **state)
{
	const uint64_t kill_ts = T0 + 10 * SEC;
	const struct tl_stop *s;

	(void)state;
	begin();
	feed(runc_sig(&A, T0, SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER, 0), &A);
	feed(deliver_ev(&A, T0 + 1 * MS, A.pid, SIGTERM, ST_DISP_HANDLER), &A);
	feed(exit_ev(&A, kill_ts - 5 * US, A.pid, true, SIGKILL), &A);
	feed(runc_sig(&A, kill_ts, SIGKILL, ST_SIG_DELIVERED, ST_DISP_DEFAULT, 0), &A);
	finish(&A, kill_ts + 1 * MS);
	assert_int_equal(rec.nstops, 1);
	s = &rec.stops[0].s;
	assert_int_equal(s->verdict, TL_GRACE_PERIOD_EXCEEDED);
	assert_false(s->findings & BIT(TL_GRACEFUL));
	assert_int_equal(s->grace_ms, 10000);
	assert_entries_sorted(s);
	assert_int_equal(timeline_open_stops(tl), 0);
}

/* docker kill, with the exit handled (and stamped) just before the SIGKILL. */
static void test_out_of_order_kill_first(void **state)
{
	const struct tl_stop *s;

	(void)state;
	begin();
	feed(exit_ev(&A, T0 - 3 * US, A.pid, true, SIGKILL), &A);
	feed(runc_sig(&A, T0, SIGKILL, ST_SIG_DELIVERED, ST_DISP_DEFAULT, 0), &A);
	finish(&A, T0 + 1 * MS);
	tick(T0 + 5 * SEC);
	assert_int_equal(rec.nstops, 1);
	s = &rec.stops[0].s;
	assert_int_equal(s->verdict, TL_KILLED_WITHOUT_GRACE);
	assert_false(s->findings & BIT(TL_EXITED));
	assert_int_equal(s->stop_signal, SIGKILL);
	assert_true(s->has_sender);
	assert_int_equal(s->sender.pid, RUNC_PID);
	assert_entries_sorted(s);
	assert_int_equal(timeline_open_stops(tl), 0);
}

/* No rmdir ever: the release plus settle_ns ends the stop, once. */
static void test_release_settle_ends_stop(void **state)
{
	const uint64_t rel_ts = T0 + 301 * MS;
	const struct tl_stop *s;

	(void)state;
	begin();
	feed(runc_sig(&A, T0, SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER, 0), &A);
	feed(deliver_ev(&A, T0 + 1 * MS, A.pid, SIGTERM, ST_DISP_HANDLER), &A);
	feed(exit_ev(&A, T0 + 300 * MS, A.pid, true, 0), &A);
	feed(released_ev(&A, rel_ts), &A);
	tick_range(rel_ts + 100 * MS, rel_ts + 900 * MS, 200 * MS);
	assert_int_equal(rec.nstops, 0);
	tick(rel_ts + cfg.settle_ns + 100 * MS);
	assert_int_equal(rec.nstops, 1);
	s = &rec.stops[0].s;
	assert_int_equal(s->verdict, TL_GRACEFUL);
	assert_int_equal(s->teardown_ms, 1);
	assert_int_equal(timeline_open_stops(tl), 0);
	/* the late rmdir neither writes it again nor opens a stop */
	feed(rmdir_ev(&A, rel_ts + 3 * SEC), &A);
	tick_range(rel_ts + 3 * SEC, rel_ts + 10 * SEC, 500 * MS);
	assert_int_equal(rec.nstops, 1);
	assert_int_equal(timeline_open_stops(tl), 0);
	assert_int_equal(rec.nalerts, 0);
}

/* Neither release nor rmdir: the stop is written at max_stop_ns, not lost. */
static void test_max_stop_ends_stop(void **state)
{
	const struct tl_stop *s;

	(void)state;
	cfg.max_stop_ns = 60 * SEC;
	begin();
	feed(runc_sig(&A, T0, SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER, 0), &A);
	feed(deliver_ev(&A, T0 + 1 * MS, A.pid, SIGTERM, ST_DISP_HANDLER), &A);
	feed(exit_ev(&A, T0 + 1 * SEC, A.pid, true, 0), &A);
	tick_range(T0 + 1 * SEC, T0 + 59 * SEC, 1 * SEC);
	assert_int_equal(rec.nstops, 0);
	tick_range(T0 + 60 * SEC, T0 + 80 * SEC, 1 * SEC);
	assert_int_equal(rec.nstops, 1);
	assert_true(rec.stops[0].at >= T0 + 60 * SEC && rec.stops[0].at <= T0 + 61 * SEC);
	s = &rec.stops[0].s;
	assert_string_equal(s->container.id, ID_A);
	assert_true(s->findings & BIT(TL_NS_TEARDOWN_STUCK));
	/* the teardown was never seen to end: no made-up duration */
	assert_int_equal(s->teardown_ms, -1);
	assert_null(strstr(s->reason, "-1 ms"));
	assert_non_null(strstr(s->reason, "not seen torn down"));
	assert_int_equal(timeline_open_stops(tl), 0);
	timeline_flush(tl, T0 + 81 * SEC);
	assert_int_equal(rec.nstops, 1);
}

/* The monitor stops: open stops are written, partial, once. */
static void test_flush(void **state)
{
	const struct tl_stop *s;

	(void)state;
	begin();
	feed(runc_sig(&A, T0, SIGTERM, ST_SIG_IGNORED, ST_DISP_DEFAULT, 0), &A);
	feed(runc_sig(&B, T0 + 1 * MS, SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER, 0), &B);
	tick(T0 + 2 * SEC);
	assert_int_equal(timeline_open_stops(tl), 2);
	rec.now = T0 + 3 * SEC;
	timeline_flush(tl, T0 + 3 * SEC);
	assert_int_equal(rec.nstops, 2);
	assert_int_equal(timeline_open_stops(tl), 0);
	for (int i = 0; i < 2; i++) {
		s = &rec.stops[i].s;
		assert_true(s->partial);
		if (!strcmp(s->container.id, ID_A))
			assert_int_equal(s->verdict, TL_STOP_SIGNAL_IGNORED);
		else
			assert_string_equal(s->container.id, ID_B);
	}
	assert_string_not_equal(rec.stops[0].s.container.id, rec.stops[1].s.container.id);
	timeline_flush(tl, T0 + 4 * SEC);
	tick(T0 + 700 * SEC);
	assert_int_equal(rec.nstops, 2);
}

/* The monitor started 50 ms before it saw the SIGKILL: it missed the start. */
static void test_partial_at_start(void **state)
{
	(void)state;
	cfg.start_ns = T0 - 50 * MS;
	begin();
	feed(runc_sig(&A, T0, SIGKILL, ST_SIG_DELIVERED, ST_DISP_DEFAULT, 0), &A);
	feed(exit_ev(&A, T0 + 30 * US, A.pid, true, SIGKILL), &A);
	finish(&A, T0 + 1 * MS);
	feed(exit_ev(&B, T0 + 10 * MS, B.pid, true, 0), &B);
	finish(&B, T0 + 11 * MS);
	assert_int_equal(rec.nstops, 2);
	assert_true(rec.stops[0].s.partial);
	assert_true(rec.stops[1].s.partial);
	/* what it saw, and no claim about what it could not see */
	assert_non_null(strstr(rec.stops[0].s.reason, "SIGKILL from runc"));
	assert_non_null(strstr(rec.stops[0].s.reason, "was not seen"));
	assert_null(strstr(rec.stops[0].s.reason, "no chance"));
	assert_null(strstr(rec.stops[1].s.reason, "on its own"));
	assert_non_null(strstr(rec.stops[1].s.reason, "was not seen"));
}

/*
 * trace starts a monitor, then the operator stops the container: a stop that
 * opens with its stop signal has its head, however soon after the start.
 */
static void test_stop_signal_soon_after_start_is_whole(void **state)
{
	(void)state;
	cfg.start_ns = T0 - 2 * SEC;
	begin();
	feed(runc_sig(&A, T0, SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER, 0), &A);
	feed(exit_ev(&A, T0 + 5 * MS, A.pid, true, 0), &A);
	finish(&A, T0 + 10 * MS);
	assert_int_equal(rec.nstops, 1);
	assert_false(rec.stops[0].s.partial);
	assert_int_equal(rec.stops[0].s.verdict, TL_GRACEFUL);
}

/* A crash loop: every stop gets its timeline; the ignored alert is not re-sent within the window.
 */
static void test_crash_loop_repeats(void **state)
{
	const struct rec_alert *last;
	uint64_t t = T0;

	(void)state;
	A.policy = "no";
	begin();
	for (int i = 0; i < 10; i++, t += 2 * SEC) {
		A.cgid = 1001 + (uint64_t)i;
		A.pid = 4242 + (uint32_t)i;
		if (i)
			feed(mkdir_ev(&A, t - 500 * MS, A.cgid), &A);
		feed(runc_sig(&A, t, SIGTERM, ST_SIG_IGNORED, ST_DISP_DEFAULT, 0), &A);
		tick(t + 500 * MS);
		feed(runc_sig(&A, t + 1 * SEC, SIGKILL, ST_SIG_DELIVERED, ST_DISP_DEFAULT, 0), &A);
		feed(exit_ev(&A, t + 1 * SEC + 30 * US, A.pid, true, SIGKILL), &A);
		finish(&A, t + 1 * SEC + 1 * MS);
		tick(t + 1500 * MS);
		assert_int_equal(rec.nstops, (size_t)i + 1);
	}
	assert_int_equal(count_alerts(TL_ALERT_STOP_SIGNAL_IGNORED), 1);
	for (size_t i = 0; i < rec.nstops; i++)
		assert_int_equal(rec.stops[i].s.verdict, TL_STOP_SIGNAL_IGNORED);

	/*
	 * Well after the window (past it whether it is counted from the alert
	 * sent or from the last one held back), the next one is sent, with the
	 * count of those held back.
	 */
	t = T0 + cfg.alert_window_ns + 25 * SEC;
	A.cgid = 1050;
	A.pid = 4300;
	feed(runc_sig(&A, t, SIGTERM, ST_SIG_IGNORED, ST_DISP_DEFAULT, 0), &A);
	assert_int_equal(count_alerts(TL_ALERT_STOP_SIGNAL_IGNORED), 2);
	last = &rec.alerts[rec.nalerts - 1];
	assert_int_equal(last->a.kind, TL_ALERT_STOP_SIGNAL_IGNORED);
	assert_int_equal(last->a.repeats, 9);
	assert_int_equal(last->a.pid, 4300);
	feed(runc_sig(&A, t + 1 * SEC, SIGKILL, ST_SIG_DELIVERED, ST_DISP_DEFAULT, 0), &A);
	feed(exit_ev(&A, t + 1 * SEC + 30 * US, A.pid, true, SIGKILL), &A);
	finish(&A, t + 1 * SEC + 1 * MS);
	assert_int_equal(rec.nstops, 11);
	assert_int_equal(count_alerts(TL_ALERT_RESTARTED_AFTER_STOP), 0);
}

/* Records lost while a stop is open mark it; a later stop is not marked. */
static void test_lost(void **state)
{
	(void)state;
	begin();
	feed(runc_sig(&A, T0, SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER, 0), &A);
	timeline_lost(tl, T0 + 10 * MS, 5);
	feed(exit_ev(&A, T0 + 100 * MS, A.pid, true, 0), &A);
	finish(&A, T0 + 101 * MS);
	feed(runc_sig(&B, T0 + 1 * SEC, SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER, 0), &B);
	feed(exit_ev(&B, T0 + 1100 * MS, B.pid, true, 0), &B);
	finish(&B, T0 + 1101 * MS);
	assert_int_equal(rec.nstops, 2);
	assert_string_equal(rec.stops[0].s.container.id, ID_A);
	assert_true(rec.stops[0].s.lost >= 5);
	assert_int_equal(rec.stops[1].s.lost, 0);
	assert_false(rec.stops[1].s.partial);
}

/*
 * Records lost while no stop was open may have been the first of the next
 * one: a stop of a known container within a minute is marked, not later.
 */
static void test_lost_before_stop(void **state)
{
	uint64_t t = T0 + 5 * SEC;

	(void)state;
	begin();
	/* both containers known: a signal each that starts no stop */
	feed(runc_sig(&A, T0, SIGUSR1, ST_SIG_DELIVERED, ST_DISP_HANDLER, 0), &A);
	feed(runc_sig(&B, T0, SIGUSR1, ST_SIG_DELIVERED, ST_DISP_HANDLER, 0), &B);
	timeline_lost(tl, T0 + 1 * SEC, 7);
	timeline_lost(tl, T0 + 2 * SEC, 3);
	feed(runc_sig(&A, t, SIGKILL, ST_SIG_DELIVERED, ST_DISP_DEFAULT, 0), &A);
	feed(exit_ev(&A, t + 1 * MS, A.pid, true, SIGKILL), &A);
	finish(&A, t + 2 * MS);
	t = T0 + 2 * SEC + 61 * SEC;
	feed(runc_sig(&B, t, SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER, 0), &B);
	feed(exit_ev(&B, t + 100 * MS, B.pid, true, 0), &B);
	finish(&B, t + 101 * MS);
	assert_int_equal(rec.nstops, 2);
	assert_string_equal(rec.stops[0].s.container.id, ID_A);
	assert_int_equal(rec.stops[0].s.lost, 10);
	assert_string_equal(rec.stops[1].s.container.id, ID_B);
	assert_int_equal(rec.stops[1].s.lost, 0);
}

/*
 * A container whose whole stop went by in lost records: its cgroup's removal
 * still gives a timeline, partial and incomplete, not silence.
 */
static void test_lost_whole_stop(void **state)
{
	(void)state;
	begin();
	feed(runc_sig(&A, T0, SIGUSR1, ST_SIG_DELIVERED, ST_DISP_HANDLER, 0), &A);
	feed(runc_sig(&B, T0, SIGUSR1, ST_SIG_DELIVERED, ST_DISP_HANDLER, 0), &B);
	timeline_lost(tl, T0 + 1 * SEC, 9);
	feed(rmdir_ev(&A, T0 + 2 * SEC), &A);
	assert_int_equal(rec.nstops, 1);
	assert_string_equal(rec.stops[0].s.container.id, ID_A);
	assert_int_equal(rec.stops[0].s.lost, 9);
	assert_true(rec.stops[0].s.partial);
	assert_int_equal(timeline_open_stops(tl), 0);
	/* long after the loss, a removal with nothing seen is no stop */
	feed(rmdir_ev(&B, T0 + 200 * SEC), &B);
	assert_int_equal(rec.nstops, 1);
	/* the init's release seen first: the same partial stop, and one only */
	timeline_lost(tl, T0 + 201 * SEC, 4);
	feed(released_ev(&B, T0 + 202 * SEC), &B);
	feed(rmdir_ev(&B, T0 + 202 * SEC + 1 * MS), &B);
	assert_int_equal(rec.nstops, 2);
	assert_string_equal(rec.stops[1].s.container.id, ID_B);
	assert_int_equal(rec.stops[1].s.lost, 4);
	assert_true(rec.stops[1].s.partial);
}

/* An alert of a stop that lost records says so: it may be wrong. */
static void test_lost_said_by_alert(void **state)
{
	const struct rec_alert *al;

	(void)state;
	begin();
	/* a stop opened, then records lost, then the ignored SIGTERM is seen */
	feed(runc_sig(&A, T0, SIGUSR1, ST_SIG_DELIVERED, ST_DISP_HANDLER, 0), &A);
	timeline_lost(tl, T0 + 1 * MS, 42);
	feed(runc_sig(&A, T0 + 2 * MS, SIGTERM, ST_SIG_IGNORED, ST_DISP_DEFAULT, 0), &A);
	assert_int_equal(rec.nalerts, 1);
	al = &rec.alerts[0];
	assert_int_equal(al->a.kind, TL_ALERT_STOP_SIGNAL_IGNORED);
	assert_int_equal(al->a.lost, 42);
	assert_non_null(strstr(al->a.message, "incomplete: 42 kernel records were lost"));
	/* without losses, nothing is added */
	feed(runc_sig(&B, T0 + 3 * MS, SIGTERM, ST_SIG_IGNORED, ST_DISP_DEFAULT, 0), &B);
	assert_int_equal(rec.nalerts, 2);
	assert_int_equal(rec.alerts[1].a.lost, 0);
	assert_null(strstr(rec.alerts[1].a.message, "incomplete"));
}

/* More events than a timeline keeps: first and last kept, the middle counted. */
static void test_entries_overflow(void **state)
{
	const uint32_t n_usr1 = 100;
	const struct tl_stop *s;
	uint64_t t = T0 + 10 * MS;

	(void)state;
	begin();
	feed(runc_sig(&A, T0, SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER, 0), &A);
	feed(deliver_ev(&A, T0 + 1 * MS, A.pid, SIGTERM, ST_DISP_HANDLER), &A);
	for (uint32_t i = 0; i < n_usr1; i++, t += 1 * MS)
		feed(deliver_ev(&A, t, A.pid, SIGUSR1, ST_DISP_HANDLER), &A);
	feed(exit_ev(&A, t + 10 * MS, A.pid, true, 0), &A);
	finish(&A, t + 11 * MS);
	assert_int_equal(rec.nstops, 1);
	s = &rec.stops[0].s;
	assert_int_equal(s->verdict, TL_GRACEFUL);
	assert_int_equal(s->nentries, TL_MAX_ENTRIES);
	assert_int_equal(s->dropped, n_usr1 + 5 - TL_MAX_ENTRIES);
	assert_int_equal(s->entries[0].kind, ST_EV_SIGNAL_GENERATE);
	assert_int_equal(s->entries[0].sig, SIGTERM);
	assert_int_equal(s->entries[0].ts_ns, T0);
	assert_int_equal(s->entries[1].kind, ST_EV_SIGNAL_DELIVER);
	assert_int_equal(s->entries[1].sig, SIGTERM);
	assert_int_equal(s->entries[TL_MAX_ENTRIES - 3].kind, ST_EV_PROCESS_EXIT);
	assert_int_equal(s->entries[TL_MAX_ENTRIES - 2].kind, ST_EV_INIT_RELEASED);
	assert_int_equal(s->entries[TL_MAX_ENTRIES - 1].kind, ST_EV_CGROUP_RMDIR);
	assert_entries_sorted(s);
}

/*
 * The engine follows at most max_containers containers and max_open stops:
 * the next one is refused and counted; what it follows already is judged.
 */
static void test_bounds(void **state)
{
	(void)state;
	cfg.max_containers = 2;
	cfg.max_open = 1;
	begin();
	feed(runc_sig(&A, 100 * SEC, SIGTERM, 0, 0, 0), &A);
	assert_int_equal(timeline_open_stops(tl), 1);
	assert_int_equal(timeline_full(tl), 0);
	/* a second stop at once: over max_open */
	feed(runc_sig(&B, 100 * SEC + MS, SIGTERM, 0, 0, 0), &B);
	assert_int_equal(timeline_open_stops(tl), 1);
	assert_int_equal(timeline_full(tl), 1);
	/* a third container: over max_containers */
	feed(runc_sig(&W, 100 * SEC + 2 * MS, SIGTERM, 0, 0, 0), &W);
	assert_int_equal(timeline_full(tl), 2);
	/* A's stop still ends with its timeline */
	feed(exit_ev(&A, 101 * SEC, A.pid, true, 0), &A);
	feed(released_ev(&A, 101 * SEC + MS), &A);
	feed(rmdir_ev(&A, 101 * SEC + 2 * MS), &A);
	assert_int_equal(rec.nstops, 1);
	assert_string_equal(rec.stops[0].s.container.id, ID_A);
	assert_int_equal(timeline_open_stops(tl), 0);
}

/* ---- the stop signal sent again and dropped by the kernel ---- */

/*
 * A signal from inside container k to its init: from the init itself
 * (sender_pid == k->pid: a handler re-raising) or another of its processes.
 */
static struct st_event inside_sig(const struct ctr *k, uint64_t ts, int sig, int result,
				  uint32_t disposition, uint32_t sig_flags, uint32_t sender_pid,
				  const char *comm)
{
	struct st_event e = sig_gen(k, ts, k->pid, 1, true, sig, result, disposition,
				    sig_flags | ST_SIGF_SENDER_IN_NS, sender_pid, k->cgid);

	e.u.signal.sender.ns_tgid = sender_pid == k->pid ? 1 : 12;
	e.u.signal.sender.ns_pid = e.u.signal.sender.ns_tgid;
	snprintf(e.u.signal.sender.comm, sizeof(e.u.signal.sender.comm), "%s", comm);
	e.u.signal.target.flags |= ST_TASK_UNKILLABLE;
	return e;
}

/* signal_deliver to k's init, a namespace init (SIGNAL_UNKILLABLE), with sa_flags. */
static struct st_event init_deliver(const struct ctr *k, uint64_t ts, int sig, uint32_t disposition,
				    uint64_t sa_flags)
{
	struct st_event e = deliver_ev(k, ts, k->pid, sig, disposition);

	e.u.deliver.task.flags |= ST_TASK_UNKILLABLE;
	e.u.deliver.sa_flags = sa_flags;
	return e;
}

/* The outside SIGTERM reaches PID 1's handler, installed with SA_RESETHAND. */
static void handled_once(const struct ctr *k, uint64_t ts)
{
	feed(runc_sig(k, ts, SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER, 0), k);
	feed(init_deliver(k, ts + 1 * MS, SIGTERM, ST_DISP_HANDLER, SA_RESETHAND | SA_RESTART), k);
}

static void kill_and_finish(const struct ctr *k, uint64_t ts)
{
	feed(runc_sig(k, ts, SIGKILL, ST_SIG_DELIVERED, ST_DISP_DEFAULT, 0), k);
	feed(exit_ev(k, ts + 40 * US, k->pid, true, SIGKILL), k);
	finish(k, ts + 1 * MS);
}

/*
 * A C handler with SA_RESETHAND that raise()s SIGTERM: it is queued while
 * the handler runs (blocked), then delivered with the default action when
 * the handler returns, and get_signal drops it (SIGNAL_UNKILLABLE). PID 1
 * runs on until SIGKILL: stop_signal_ignored, not grace_period_exceeded.
 */
static void test_reraise_dropped_at_delivery(void **state)
{
	const struct rec_alert *al;
	const struct tl_stop *s;
	int i;

	(void)state;
	begin();
	handled_once(&A, T0);
	feed(inside_sig(&A, T0 + 2 * MS, SIGTERM, ST_SIG_DELIVERED, ST_DISP_DEFAULT,
			ST_SIGF_BLOCKED, A.pid, "app"),
	     &A);
	feed(init_deliver(&A, T0 + 3 * MS, SIGTERM, ST_DISP_DEFAULT, 0), &A);
	tick(T0 + 500 * MS);
	assert_int_equal(rec.nalerts, 0); /* it may still exit by itself */
	tick(T0 + 1100 * MS);
	assert_int_equal(count_alerts(TL_ALERT_STOP_SIGNAL_IGNORED), 1);
	assert_int_equal(count_alerts(TL_ALERT_STOP_SIGNAL_BLOCKED), 0);
	al = first_alert(TL_ALERT_STOP_SIGNAL_IGNORED);
	assert_int_equal(al->a.sig, SIGTERM);
	assert_int_equal(al->a.pid, A.pid);
	assert_string_equal(al->a.comm, "app");
	assert_non_null(strstr(al->a.message, "re-raised SIGTERM with the default action"));
	assert_non_null(strstr(al->a.message, "still running"));
	assert_non_null(strstr(al->a.action, "exit by itself"));
	tick_range(T0 + 1300 * MS, T0 + 9900 * MS, 200 * MS);
	assert_int_equal(rec.nalerts, 1);
	kill_and_finish(&A, T0 + 10 * SEC);

	assert_int_equal(rec.nstops, 1);
	s = &rec.stops[0].s;
	assert_int_equal(s->verdict, TL_STOP_SIGNAL_IGNORED);
	assert_int_equal(s->findings, BIT(TL_STOP_SIGNAL_IGNORED));
	assert_int_equal(s->stop_signal, SIGTERM);
	assert_int_equal(s->grace_ms, 10000);
	assert_int_equal(s->exit_code, SIGKILL);
	assert_non_null(strstr(s->reason, "PID 1 (app) handled SIGTERM, then its handler "
					  "(installed with SA_RESETHAND) re-raised SIGTERM with "
					  "the default action"));
	assert_non_null(strstr(s->reason, "when the handler returned"));
	assert_non_null(strstr(s->reason, "drops for a namespace init"));
	assert_non_null(strstr(s->reason, "exit by itself"));
	assert_non_null(strstr(s->reason, "with an init"));
	assert_null(strstr(s->reason, "no handler"));
	assert_non_null(resolved_for(al->a.alert_id));
	/* the timeline says which delivery the kernel dropped */
	i = -1;
	for (uint32_t j = 0; j < s->nentries; j++)
		if (s->entries[j].kind == ST_EV_SIGNAL_DELIVER && s->entries[j].sig == SIGTERM &&
		    s->entries[j].disposition == ST_DISP_DEFAULT)
			i = (int)j;
	assert_true(i >= 0);
	assert_true(s->entries[i].flags & TL_ENTRY_DROPPED);
	i = find_entry(s, ST_EV_SIGNAL_DELIVER, SIGTERM);
	assert_int_equal(s->entries[i].disposition, ST_DISP_HANDLER);
	assert_false(s->entries[i].flags & TL_ENTRY_DROPPED);
}

/*
 * A shell trap or a Python handler: it resets SIGTERM to SIG_DFL and sends
 * it to itself outside any signal handler; the kernel drops it at its
 * generation (result ignored). SIGKILL comes before the alert's delay: the
 * alert goes out with the SIGKILL.
 */
static void test_reraise_dropped_at_generate(void **state)
{
	const struct tl_stop *s;

	(void)state;
	begin();
	handled_once(&A, T0);
	feed(inside_sig(&A, T0 + 200 * MS, SIGTERM, ST_SIG_IGNORED, ST_DISP_DEFAULT, 0, A.pid,
			"sh"),
	     &A);
	tick(T0 + 400 * MS);
	assert_int_equal(rec.nalerts, 0);
	feed(runc_sig(&A, T0 + 800 * MS, SIGKILL, ST_SIG_DELIVERED, ST_DISP_DEFAULT, 0), &A);
	assert_int_equal(count_alerts(TL_ALERT_STOP_SIGNAL_IGNORED), 1);
	feed(exit_ev(&A, T0 + 800 * MS + 40 * US, A.pid, true, SIGKILL), &A);
	finish(&A, T0 + 801 * MS);
	assert_int_equal(rec.nstops, 1);
	s = &rec.stops[0].s;
	assert_int_equal(s->verdict, TL_STOP_SIGNAL_IGNORED);
	assert_int_equal(s->findings, BIT(TL_STOP_SIGNAL_IGNORED));
	assert_int_equal(s->grace_ms, 800);
	assert_non_null(strstr(s->reason, "re-raised SIGTERM with the default action"));
	assert_null(strstr(s->reason, "when the handler returned"));
	assert_non_null(strstr(s->reason, "SIGKILL followed after 800 ms"));
}

/*
 * Go's runtime without signal.Notify: its handler raises SIGTERM once more
 * to itself (delivered to the handler), resets it to SIG_DFL, raises it again
 * (dropped), then exit(2). A stop that ends by itself is graceful, with its
 * exit code, and no alert.
 */
static void test_reraise_then_exit_by_itself(void **state)
{
	const struct tl_stop *s;

	(void)state;
	begin();
	feed(runc_sig(&A, T0, SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER, 0), &A);
	feed(init_deliver(&A, T0 + 10 * US, SIGTERM, ST_DISP_HANDLER, SA_RESTART), &A);
	feed(inside_sig(&A, T0 + 20 * US, SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER, 0, A.pid,
			"app"),
	     &A);
	feed(init_deliver(&A, T0 + 30 * US, SIGTERM, ST_DISP_HANDLER, SA_RESTART), &A);
	feed(inside_sig(&A, T0 + 40 * US, SIGTERM, ST_SIG_IGNORED, ST_DISP_DEFAULT, 0, A.pid,
			"app"),
	     &A);
	feed(exit_ev(&A, T0 + 2 * MS, A.pid, true, 2 << 8), &A);
	tick_range(T0 + 200 * MS, T0 + 1800 * MS, 200 * MS);
	finish(&A, T0 + 3 * MS);
	assert_int_equal(rec.nalerts, 0);
	assert_int_equal(rec.nstops, 1);
	s = &rec.stops[0].s;
	assert_int_equal(s->verdict, TL_GRACEFUL);
	assert_int_equal(s->findings, BIT(TL_GRACEFUL));
	assert_int_equal(s->exit_code, 2 << 8);
	assert_int_equal(s->grace_ms, -1);
	assert_non_null(strstr(s->reason, "with code 2"));
	assert_non_null(strstr(s->reason, "re-raised SIGTERM"));
	assert_non_null(strstr(s->reason, "exited by itself"));
	assert_null(strstr(s->reason, "Fix"));
}

/*
 * Another process of the container sends SIGTERM to PID 1 once PID 1's
 * handler has reset it to SIG_DFL (a trap running /bin/kill -TERM 1): dropped,
 * since a namespace init takes no default-action signal from its own
 * namespace; the reason names who sent it.
 */
static void test_resend_from_inside_dropped(void **state)
{
	const struct rec_alert *al;
	const struct tl_stop *s;

	(void)state;
	begin();
	handled_once(&A, T0);
	feed(inside_sig(&A, T0 + 50 * MS, SIGTERM, ST_SIG_IGNORED, ST_DISP_DEFAULT, 0, 4300,
			"kill"),
	     &A);
	tick_range(T0 + 200 * MS, T0 + 1200 * MS, 200 * MS);
	assert_int_equal(count_alerts(TL_ALERT_STOP_SIGNAL_IGNORED), 1);
	al = first_alert(TL_ALERT_STOP_SIGNAL_IGNORED);
	assert_non_null(strstr(al->a.message, "kill (pid 12 in the container)"));
	kill_and_finish(&A, T0 + 2 * SEC);
	s = &rec.stops[0].s;
	assert_int_equal(s->verdict, TL_STOP_SIGNAL_IGNORED);
	assert_int_equal(s->findings, BIT(TL_STOP_SIGNAL_IGNORED));
	assert_non_null(strstr(s->reason, "then kill (pid 12 in the container) sent SIGTERM to "
					  "PID 1 again"));
	assert_non_null(strstr(s->reason, "drops for a namespace init"));
	assert_null(strstr(s->reason, "re-raised"));
}

/*
 * The stop signal finds PID 1's thread group already exiting
 * (SIGNAL_GROUP_EXIT): prepare_signal drops it, whatever PID 1 had set, with
 * the result "ignored". PID 1 is not blamed: no alert, and its exit, slow or
 * not, makes the stop graceful.
 */
static void test_signal_to_exiting_group(void **state)
{
	struct st_event e;
	const struct tl_stop *s;

	(void)state;
	/* dropped (6.1 and later), or queued where 5.10's prepare_signal lets it through */
	for (int r = 0; r < 2; r++) {
		begin();
		e = runc_sig(&A, T0, SIGTERM, r ? ST_SIG_DELIVERED : ST_SIG_IGNORED,
			     ST_DISP_HANDLER, 0);
		e.u.signal.target.flags |= ST_TASK_GROUP_EXIT;
		feed(e, &A);
		assert_int_equal(timeline_open_stops(tl), 1);
		assert_int_equal(rec.nalerts, 0);
		tick_range(T0 + 200 * MS, T0 + 1800 * MS, 200 * MS);
		e = runc_sig(&A, T0 + 2 * SEC, SIGKILL, ST_SIG_IGNORED, ST_DISP_DEFAULT, 0);
		e.u.signal.target.flags |= ST_TASK_GROUP_EXIT;
		feed(e, &A);
		feed(exit_ev(&A, T0 + 2500 * MS, A.pid, true, 1 << 8), &A);
		finish(&A, T0 + 2501 * MS);
		assert_int_equal(rec.nalerts, 0);
		assert_int_equal(rec.nstops, 1);
		s = &rec.stops[0].s;
		assert_int_equal(s->verdict, TL_GRACEFUL);
		assert_int_equal(s->findings, BIT(TL_GRACEFUL));
		assert_int_equal(s->exit_code, 1 << 8);
		assert_non_null(strstr(s->reason, "already exiting"));
		assert_true(s->entries[find_entry(s, ST_EV_SIGNAL_GENERATE, SIGTERM)].flags &
			    TL_ENTRY_EXITING);
		if (!r) {
			teardown(NULL);
			setup(NULL);
		}
	}
}

/* The same signal with the group not exiting is PID 1's fault: the neighbour. */
static void test_resend_while_exiting_not_dropped(void **state)
{
	struct st_event e;
	const struct tl_stop *s;

	(void)state;
	begin();
	handled_once(&A, T0);
	/* a resend that finds PID 1 exiting (exit_group with threads left) is no drop */
	e = inside_sig(&A, T0 + 10 * MS, SIGTERM, ST_SIG_IGNORED, ST_DISP_DEFAULT, 0, 4300, "kill");
	e.u.signal.target.flags |= ST_TASK_GROUP_EXIT;
	feed(e, &A);
	feed(exit_ev(&A, T0 + 300 * MS, A.pid, true, 0), &A);
	finish(&A, T0 + 301 * MS);
	s = &rec.stops[0].s;
	assert_int_equal(s->verdict, TL_GRACEFUL);
	assert_null(strstr(s->reason, "dropped"));
	assert_null(strstr(s->reason, "drops"));
	assert_int_equal(rec.nalerts, 0);
}

/*
 * Neighbours. The handler takes SIGTERM again after a drop (it installed
 * itself once more) and is too slow: grace_period_exceeded, as a handler that
 * carries on is. A handler that re-raises nothing and exits after a while is
 * graceful (test_graceful, test_grace_period_exceeded).
 */
static void test_handled_again_after_drop(void **state)
{
	const struct tl_stop *s;

	(void)state;
	begin();
	handled_once(&A, T0);
	feed(inside_sig(&A, T0 + 10 * MS, SIGTERM, ST_SIG_IGNORED, ST_DISP_DEFAULT, 0, 4300,
			"kill"),
	     &A);
	feed(inside_sig(&A, T0 + 20 * MS, SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER, 0, 4300,
			"kill"),
	     &A);
	feed(init_deliver(&A, T0 + 21 * MS, SIGTERM, ST_DISP_HANDLER, 0), &A);
	tick_range(T0 + 200 * MS, T0 + 4800 * MS, 200 * MS);
	assert_int_equal(rec.nalerts, 0);
	kill_and_finish(&A, T0 + 5 * SEC);
	s = &rec.stops[0].s;
	assert_int_equal(s->verdict, TL_GRACE_PERIOD_EXCEEDED);
	assert_int_equal(s->findings, BIT(TL_GRACE_PERIOD_EXCEEDED));
}

/*
 * No handler, SIGTERM blocked when it came, then unblocked: get_signal drops
 * it at its delivery with the default action. Not blocked after all, and
 * ignored, as if it had been dropped at once.
 */
static void test_blocked_then_dropped_at_delivery(void **state)
{
	const struct tl_stop *s;

	(void)state;
	begin();
	feed(runc_sig(&A, T0, SIGTERM, ST_SIG_DELIVERED, ST_DISP_DEFAULT, ST_SIGF_BLOCKED), &A);
	feed(init_deliver(&A, T0 + 500 * MS, SIGTERM, ST_DISP_DEFAULT, 0), &A);
	tick_range(T0 + 600 * MS, T0 + 1400 * MS, 200 * MS);
	assert_int_equal(count_alerts(TL_ALERT_STOP_SIGNAL_BLOCKED), 0);
	assert_int_equal(count_alerts(TL_ALERT_STOP_SIGNAL_IGNORED), 0);
	tick(T0 + 1600 * MS);
	assert_int_equal(count_alerts(TL_ALERT_STOP_SIGNAL_IGNORED), 1);
	assert_non_null(strstr(rec.alerts[0].a.message, "was blocked"));
	kill_and_finish(&A, T0 + 3 * SEC);
	s = &rec.stops[0].s;
	assert_int_equal(s->verdict, TL_STOP_SIGNAL_IGNORED);
	assert_int_equal(s->findings, BIT(TL_STOP_SIGNAL_IGNORED));
	assert_non_null(strstr(s->reason, "no handler"));
	assert_non_null(strstr(s->reason, "unblocked"));
	assert_non_null(strstr(s->reason, "Fix: run with an init"));
}

/* Still running when the monitor stops, after a dropped re-raise: ignored, partial. */
static void test_reraise_dropped_still_running(void **state)
{
	const struct tl_stop *s;

	(void)state;
	begin();
	handled_once(&A, T0);
	feed(inside_sig(&A, T0 + 5 * MS, SIGTERM, ST_SIG_IGNORED, ST_DISP_DEFAULT, 0, A.pid,
			"python3"),
	     &A);
	tick(T0 + 2 * SEC);
	rec.now = T0 + 3 * SEC;
	timeline_flush(tl, T0 + 3 * SEC);
	assert_int_equal(rec.nstops, 1);
	s = &rec.stops[0].s;
	assert_true(s->partial);
	assert_false(s->exited);
	assert_int_equal(s->verdict, TL_STOP_SIGNAL_IGNORED);
	assert_non_null(strstr(s->reason, "re-raised"));
	assert_int_equal(count_alerts(TL_ALERT_STOP_SIGNAL_IGNORED), 1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_defaults),
		T(test_graceful),
		T(test_bounds),
		T(test_ignored_no_handler),
		T(test_ignored_sig_ign),
		T(test_blocked_alert_at_tick),
		T(test_blocked_alert_at_sigkill),
		T(test_sigtimedwait_not_blocked),
		T(test_blocked_then_delivered),
		T(test_grace_period_exceeded),
		T(test_killed_without_grace),
		T(test_oom_killed),
		T(test_oom_killed_from_host),
		T(test_exited),
		T(test_signals_not_starting_stop),
		T(test_hup_on_next_timeline),
		T(test_configured_stop_signal),
		T(test_configured_stop_signal_ignored),
		T(test_ns_teardown_stuck),
		T(test_stop_still_running),
		T(test_restarted_after_stop),
		T(test_restarted_by_exec),
		T(test_no_restart_alert),
		T(test_interleaved),
		T(test_out_of_order_kill_exit),
		T(test_out_of_order_kill_first),
		T(test_release_settle_ends_stop),
		T(test_max_stop_ends_stop),
		T(test_flush),
		T(test_partial_at_start),
		T(test_stop_signal_soon_after_start_is_whole),
		T(test_crash_loop_repeats),
		T(test_lost),
		T(test_lost_said_by_alert),
		T(test_lost_whole_stop),
		T(test_lost_before_stop),
		T(test_entries_overflow),
		T(test_reraise_dropped_at_delivery),
		T(test_reraise_dropped_at_generate),
		T(test_reraise_then_exit_by_itself),
		T(test_resend_from_inside_dropped),
		T(test_signal_to_exiting_group),
		T(test_resend_while_exiting_not_dropped),
		T(test_handled_again_after_drop),
		T(test_blocked_then_dropped_at_delivery),
		T(test_reraise_dropped_still_running),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
