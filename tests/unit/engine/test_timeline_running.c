// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Tests for what was still running when a stop's grace ran out
 * (user/engine/timeline_running.c): the samples handed in, the one kept (the
 * last before the SIGKILL), who was sent the stop signal, the words of the
 * reason and of the alerts, which stops want a sample and when, and the
 * bounds. Kernel records are built by hand, the clock is the test's.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/timeline.h"

#define MS  1000000ULL
#define SEC 1000000000ULL
#define T0  (1000 * SEC)

#define ID_A "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
#define CGID 1001
#define INIT 4242
#define RUNC 3000

/* ---- the listener: copies, with what still ran ---- */

struct seen_stop {
	struct tl_stop s;
	bool has_running;
	struct tl_running running;
};

struct seen_alert {
	struct tl_alert a;
	bool has_running;
	struct tl_running running;
};

static struct {
	struct seen_stop stops[4];
	int nstops;
	struct seen_alert alerts[8];
	int nalerts;
} seen;

static struct timeline *tl;
static struct container ca;
static struct running_sample smp;

static void on_alert(void *ctx, const struct tl_alert *a)
{
	struct seen_alert *sa = &seen.alerts[seen.nalerts++];

	(void)ctx;
	assert_true(seen.nalerts <= 8);
	sa->a = *a;
	sa->has_running = a->running != NULL;
	if (a->running)
		sa->running = *a->running;
}

static void on_resolved(void *ctx, const struct tl_alert *a)
{
	(void)ctx;
	assert_null(a->running); /* the pointer held only during the alert's call */
}

static void on_stop(void *ctx, const struct tl_stop *s)
{
	struct seen_stop *ss = &seen.stops[seen.nstops < 4 ? seen.nstops : 3];

	(void)ctx;
	seen.nstops++;
	ss->s = *s;
	ss->has_running = s->running != NULL;
	if (s->running)
		ss->running = *s->running;
}

static const struct tl_listener listener = {on_alert, on_resolved, on_stop};

/* ---- kernel records ---- */

static void task(struct st_task *t, uint64_t cgid, uint32_t pid, uint32_t ns_pid, uint32_t flags,
		 const char *comm)
{
	t->cgroup_id = cgid;
	t->pid = t->tgid = pid;
	t->ns_pid = t->ns_tgid = ns_pid;
	t->pidns = cgid ? 4026532001u : 4026531836u;
	t->flags = flags;
	snprintf(t->comm, sizeof(t->comm), "%s", comm);
}

/* sig from sender (RUNC from outside, else a process of the container) to pid. */
static void sig(uint64_t ts, uint32_t sender, uint32_t pid, int signo, int result, uint32_t disp,
		uint32_t flags)
{
	struct st_event e;
	struct st_signal *s = &e.u.signal;
	bool inside = sender != RUNC;

	memset(&e, 0, sizeof(e));
	e.ts_ns = ts;
	e.kind = ST_EV_SIGNAL_GENERATE;
	task(&s->target, CGID, pid, pid == INIT ? 1 : pid - INIT + 1,
	     pid == INIT ? ST_TASK_NS_INIT : 0, "app");
	task(&s->sender, inside ? CGID : 0, sender, inside ? 1 : sender, 0,
	     inside ? "tini" : "runc");
	s->sig = signo;
	s->result = result;
	s->disposition = disp;
	s->sig_flags = flags | ST_SIGF_GROUP | (inside ? ST_SIGF_SENDER_IN_NS : 0);
	timeline_event(tl, &e, &ca, ts);
}

/* Process pid of the container exits (its init: with its code, SIGKILL when killed). */
static struct st_event exit_of(uint64_t ts, uint32_t pid, bool killed)
{
	struct st_event e;

	memset(&e, 0, sizeof(e));
	e.ts_ns = ts;
	e.kind = ST_EV_PROCESS_EXIT;
	task(&e.u.exit.task, CGID, pid, pid - INIT + 1,
	     (pid == INIT ? ST_TASK_NS_INIT : 0) | ST_TASK_GROUP_DEAD, "app");
	e.u.exit.exit_code = killed ? SIGKILL : 0;
	e.u.exit.nr_threads = 1;
	timeline_event(tl, &e, &ca, ts);
	return e;
}

static void child_exit(uint64_t ts, uint32_t pid)
{
	exit_of(ts, pid, false);
}

/* The init's exit and release, then the cgroup's removal. */
static void end_of_stop(uint64_t ts, bool killed)
{
	struct st_event e = exit_of(ts, INIT, killed);

	e.kind = ST_EV_INIT_RELEASED;
	e.ts_ns = ts + MS;
	timeline_event(tl, &e, &ca, ts + MS);
	memset(&e, 0, sizeof(e));
	e.ts_ns = ts + 2 * MS;
	e.kind = ST_EV_CGROUP_RMDIR;
	e.u.cgroup.id = CGID;
	snprintf(e.u.cgroup.path, sizeof(e.u.cgroup.path), "/docker/%s", ID_A);
	timeline_event(tl, &e, &ca, ts + 2 * MS);
	timeline_tick(tl, ts + 3 * SEC);
}

/* The sample: pid, comm, ns pids follow from pid. */
static void add_proc(uint32_t pid, const char *comm, char state, const char *wchan)
{
	struct running_proc *p = &smp.procs[smp.n++];

	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->ns_pid = pid - INIT + 1;
	p->state = state;
	snprintf(p->comm, sizeof(p->comm), "%s", comm);
	snprintf(p->wchan, sizeof(p->wchan), "%s", wchan);
}

/* nginx: a master and two workers */
static void nginx_sample(void)
{
	smp.n = 0;
	smp.incomplete = false;
	add_proc(INIT, "nginx", 'S', "sigsuspend");
	add_proc(INIT + 6, "nginx", 'S', "ep_poll");
	add_proc(INIT + 7, "nginx", 'S', "ep_poll");
	add_proc(INIT + 9, "sleep", 'S', "hrtimer_nanosleep");
}

static int setup(void **state)
{
	struct tl_config cfg;

	(void)state;
	memset(&seen, 0, sizeof(seen));
	memset(&ca, 0, sizeof(ca));
	ca.runtime = RUNTIME_DOCKER;
	snprintf(ca.id, sizeof(ca.id), "%s", ID_A);
	snprintf(ca.cgroup, sizeof(ca.cgroup), "/docker/%s", ID_A);
	tl_config_defaults(&cfg);
	cfg.start_ns = 10 * SEC;
	tl = timeline_new(&cfg, NULL, &listener, NULL);
	assert_non_null(tl);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	timeline_free(tl);
	return 0;
}

static const struct tl_running_proc *find(const struct tl_running *r, uint32_t pid)
{
	for (uint32_t i = 0; i < r->n; i++)
		if (r->procs[i].p.pid == pid)
			return &r->procs[i];
	return NULL;
}

/* ---- tests ---- */

/*
 * A handler that carries on: the last sample before the SIGKILL is reported,
 * with who got SIGTERM (the init from runc, a worker forwarded by the master),
 * and the reason names the programs.
 */
static void test_grace_exceeded(void **state)
{
	const struct seen_stop *ss;
	const struct tl_running_proc *p;

	(void)state;
	sig(T0, RUNC, INIT, SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER, 0);
	nginx_sample();
	assert_int_equal(timeline_running(tl, ID_A, &smp, T0 + MS), 0);
	sig(T0 + 5 * MS, INIT, INIT + 6, SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER, 0);
	smp.procs[0].state = 'R';
	assert_int_equal(timeline_running(tl, ID_A, &smp, T0 + 1001 * MS), 0);
	sig(T0 + 2 * SEC, RUNC, INIT, SIGKILL, ST_SIG_DELIVERED, ST_DISP_DEFAULT, 0);
	/* after the SIGKILL: not kept */
	smp.n = 1;
	assert_int_equal(timeline_running(tl, ID_A, &smp, T0 + 2100 * MS), -EALREADY);
	end_of_stop(T0 + 2 * SEC + MS, true);

	assert_int_equal(seen.nstops, 1);
	ss = &seen.stops[0];
	assert_int_equal(ss->s.verdict, TL_GRACE_PERIOD_EXCEEDED);
	assert_true(ss->has_running);
	assert_int_equal(ss->running.n, 4);
	assert_false(ss->running.incomplete);
	assert_int_equal(ss->running.since_ms, 1001);
	p = find(&ss->running, INIT);
	assert_non_null(p);
	assert_int_equal(p->p.state, 'R');
	assert_int_equal(p->got, 1);
	assert_int_equal(p->result, ST_SIG_DELIVERED);
	assert_int_equal(find(&ss->running, INIT + 6)->got, 1);
	assert_int_equal(find(&ss->running, INIT + 7)->got, 0);
	assert_int_equal(find(&ss->running, INIT + 9)->got, 0);
	assert_string_equal(find(&ss->running, INIT + 7)->p.wchan, "ep_poll");
	assert_non_null(strstr(ss->s.reason, "Processes still running when SIGKILL came: "
					     "nginx (3 processes), sleep."));
}

/* A process that exits after the last sample but before the SIGKILL is not still running. */
static void test_exited_before_kill(void **state)
{
	const struct seen_stop *ss;

	(void)state;
	sig(T0, RUNC, INIT, SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER, 0);
	nginx_sample();
	assert_int_equal(timeline_running(tl, ID_A, &smp, T0 + MS), 0);
	assert_int_equal(timeline_running(tl, ID_A, &smp, T0 + 1001 * MS), 0);
	child_exit(T0 + 1500 * MS, INIT + 9);
	sig(T0 + 2 * SEC, RUNC, INIT, SIGKILL, ST_SIG_DELIVERED, ST_DISP_DEFAULT, 0);
	child_exit(T0 + 2 * SEC + 100, INIT + 7); /* killed: it was running when SIGKILL came */
	end_of_stop(T0 + 2 * SEC + MS, true);
	ss = &seen.stops[0];
	assert_int_equal(ss->running.n, 3);
	assert_null(find(&ss->running, INIT + 9));
	assert_non_null(find(&ss->running, INIT + 7));
	assert_non_null(strstr(ss->s.reason, "came: nginx (3 processes). "));
}

/* A sample taken while the SIGKILL was on its way: the one before is reported. */
static void test_sample_after_kill_unseen(void **state)
{
	const struct seen_stop *ss;

	(void)state;
	sig(T0, RUNC, INIT, SIGTERM, ST_SIG_IGNORED, ST_DISP_IGNORE, 0);
	nginx_sample();
	assert_int_equal(timeline_running(tl, ID_A, &smp, T0 + 1000 * MS), 0);
	smp.n = 1;
	assert_int_equal(timeline_running(tl, ID_A, &smp, T0 + 2050 * MS), 0);
	sig(T0 + 2 * SEC, RUNC, INIT, SIGKILL, ST_SIG_DELIVERED, ST_DISP_DEFAULT, 0);
	end_of_stop(T0 + 2 * SEC + MS, true);

	ss = &seen.stops[0];
	assert_int_equal(ss->s.verdict, TL_STOP_SIGNAL_IGNORED);
	assert_true(ss->has_running);
	assert_int_equal(ss->running.n, 4);
	assert_int_equal(ss->running.since_ms, 1000);
	assert_int_equal(find(&ss->running, INIT)->result, ST_SIG_IGNORED);
	assert_non_null(strstr(ss->s.reason, "still running when SIGKILL came: nginx"));
}

/* A stop that ended well reports nothing still running; a kill first is not sampled. */
static void test_graceful_and_killed(void **state)
{
	struct container due[4];

	(void)state;
	sig(T0, RUNC, INIT, SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER, 0);
	nginx_sample();
	assert_int_equal(timeline_running(tl, ID_A, &smp, T0 + MS), 0);
	end_of_stop(T0 + 300 * MS, false);
	assert_int_equal(seen.nstops, 1);
	assert_int_equal(seen.stops[0].s.verdict, TL_GRACEFUL);
	assert_false(seen.stops[0].has_running);
	assert_null(strstr(seen.stops[0].s.reason, "still running"));

	sig(T0 + 100 * SEC, RUNC, INIT, SIGKILL, ST_SIG_DELIVERED, ST_DISP_DEFAULT, 0);
	assert_int_equal(timeline_running_due(tl, T0 + 100 * SEC, due, 4), 0);
	assert_int_equal(timeline_running(tl, ID_A, &smp, T0 + 100 * SEC + MS), -EALREADY);
	end_of_stop(T0 + 100 * SEC + 2 * MS, true);
	assert_int_equal(seen.stops[1].s.verdict, TL_KILLED_WITHOUT_GRACE);
	assert_false(seen.stops[1].has_running);
	assert_int_equal(timeline_running(tl, ID_A, &smp, T0 + 200 * SEC), -ENOENT);
	assert_int_equal(timeline_running(tl, "nope", &smp, T0 + 200 * SEC), -ENOENT);
}

/* When a stop wants a sample: at once, then a second after each (or a failed one). */
static void test_due(void **state)
{
	struct container due[2];

	(void)state;
	assert_int_equal(timeline_running_due(tl, T0, due, 2), 0);
	sig(T0, RUNC, INIT, SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER, 0);
	assert_int_equal(timeline_running_due(tl, T0, due, 2), 1);
	assert_string_equal(due[0].id, ID_A);
	assert_int_equal(timeline_running_due(tl, T0, due, 0), 1); /* wants, none copied */
	nginx_sample();
	assert_int_equal(timeline_running(tl, ID_A, &smp, T0 + 10 * MS), 0);
	assert_int_equal(timeline_running_due(tl, T0 + 500 * MS, due, 2), 0);
	assert_int_equal(timeline_running_due(tl, T0 + 1010 * MS, due, 2), 1);
	assert_int_equal(timeline_running(tl, ID_A, NULL, T0 + 1010 * MS), 0);
	assert_int_equal(timeline_running_due(tl, T0 + 1500 * MS, due, 2), 0);
	assert_int_equal(timeline_running_due(tl, T0 + 2010 * MS, due, 2), 1);
	/* the init's exit ends the sampling */
	end_of_stop(T0 + 2100 * MS, false);
	assert_int_equal(timeline_running_due(tl, T0 + 9 * SEC, due, 2), 0);
}

/* stop_signal_blocked and stop_still_running carry the list and name the programs. */
static void test_alerts(void **state)
{
	const struct seen_alert *blk = NULL, *still = NULL;

	(void)state;
	sig(T0, RUNC, INIT, SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER, ST_SIGF_BLOCKED);
	nginx_sample();
	smp.incomplete = true;
	assert_int_equal(timeline_running(tl, ID_A, &smp, T0 + MS), 0);
	timeline_tick(tl, T0 + 1500 * MS); /* blocked for more than a second */
	for (uint64_t t = T0 + 2 * SEC; t <= T0 + 31 * SEC; t += SEC) {
		assert_int_equal(timeline_running(tl, ID_A, &smp, t), 0);
		timeline_tick(tl, t + 100 * MS);
	}
	for (int i = 0; i < seen.nalerts; i++) {
		if (seen.alerts[i].a.kind == TL_ALERT_STOP_SIGNAL_BLOCKED)
			blk = &seen.alerts[i];
		if (seen.alerts[i].a.kind == TL_ALERT_STOP_STILL_RUNNING)
			still = &seen.alerts[i];
	}
	assert_non_null(blk);
	assert_true(blk->has_running);
	assert_int_equal(blk->running.n, 4);
	assert_true(blk->running.incomplete);
	assert_int_equal(blk->running.since_ms, 1);
	assert_non_null(strstr(blk->a.message, "; still running: nginx (3 processes), sleep "
					       "(the first 4 processes; there were more)"));
	assert_non_null(still);
	assert_true(still->has_running);
	assert_int_equal(still->running.since_ms, 30000);
	assert_non_null(strstr(still->a.message, "still running: nginx (3 processes)"));
	sig(T0 + 32 * SEC, RUNC, INIT, SIGKILL, ST_SIG_DELIVERED, ST_DISP_DEFAULT, 0);
	end_of_stop(T0 + 32 * SEC + MS, true);
	assert_int_equal(seen.stops[0].s.verdict, TL_STOP_SIGNAL_BLOCKED);
	assert_true(seen.stops[0].has_running);
	assert_non_null(strstr(seen.stops[0].s.reason, "Processes still running when SIGKILL"));
}

/*
 * A full sample at 1 s (RUNNING_MAX processes from pid first, named by fmt
 * after their index modulo mod, marked cut), SIGKILL at 2 s, the stop's end.
 */
static void full_sample_killed(const char *fmt, uint32_t mod, uint32_t first)
{
	char name[RUNNING_COMM_LEN];

	smp.n = 0;
	for (uint32_t i = 0; i < RUNNING_MAX; i++) {
		snprintf(name, sizeof(name), fmt, i % mod);
		add_proc(first + i, name, 'S', "do_wait");
	}
	smp.incomplete = true;
	assert_int_equal(timeline_running(tl, ID_A, &smp, T0 + SEC), 0);
	sig(T0 + 2 * SEC, RUNC, INIT, SIGKILL, ST_SIG_DELIVERED, ST_DISP_DEFAULT, 0);
	end_of_stop(T0 + 2 * SEC + MS, true);
}

/* Bounds: RUNNING_MAX processes, many programs counted, more sendings than kept. */
static void test_bounds(void **state)
{
	const struct seen_stop *ss;

	(void)state;
	sig(T0, RUNC, INIT, SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER, 0);
	/* a forking tenant's init sends SIGTERM to more processes than are kept */
	for (uint32_t i = 1; i <= RUNNING_MAX + 10; i++)
		sig(T0 + i * 1000, INIT, INIT + i, SIGTERM, ST_SIG_DELIVERED, ST_DISP_DEFAULT, 0);
	full_sample_killed("p%u", 10, INIT + 1000);
	ss = &seen.stops[0];
	assert_int_equal(ss->running.n, RUNNING_MAX);
	assert_true(ss->running.incomplete);
	assert_int_equal(ss->running.procs[0].got, -1); /* not among those kept: unknown */
	assert_non_null(strstr(ss->s.reason, "p0 (26 processes), p1 (26 processes)"));
	/* PID 1 passed it on to its group: the forward is said first, the rest is cut to fit */
	assert_non_null(strstr(ss->s.reason, "and 265 other processes of its group"));
	assert_non_null(strstr(ss->s.reason, "p2 (26 processes) and 178 more processes."));
	assert_non_null(strstr(ss->s.reason, "Fix: make app shut down faster"));
}

/* A long reason (a re-raised SIGTERM, long names) keeps its fix whole: the names give way. */
static void test_fix_kept(void **state)
{
	const struct seen_stop *ss;

	(void)state;
	sig(T0, RUNC, INIT, SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER, 0);
	sig(T0 + 10 * MS, INIT, INIT, SIGTERM, ST_SIG_IGNORED, ST_DISP_DEFAULT, 0);
	full_sample_killed("longprogname-%02u", 8, INIT);
	ss = &seen.stops[0];
	assert_int_equal(ss->s.verdict, TL_STOP_SIGNAL_IGNORED);
	assert_true(ss->has_running);
	assert_non_null(strstr(ss->s.reason,
			       "Processes still running when SIGKILL came: "
			       "longprogname-00 (32 processes) and 224 more processes. Fix"));
	assert_non_null(strstr(ss->s.reason, "or run the container with an init (docker run "
					     "--init, tini)."));
}

/* At most TL_RUNNING_STOPS stops hold samples: the others are refused, not sampled. */
static void test_stops_bound(void **state)
{
	struct container due[8], c;
	char id[80];

	(void)state;
	for (int i = 0; i < TL_RUNNING_STOPS + 2; i++) {
		struct st_event e;

		memset(&e, 0, sizeof(e));
		c = ca;
		snprintf(id, sizeof(id), "%064d", i);
		snprintf(c.id, sizeof(c.id), "%s", id);
		e.ts_ns = T0;
		e.kind = ST_EV_SIGNAL_GENERATE;
		task(&e.u.signal.target, 5000 + i, 7000 + i, 1, ST_TASK_NS_INIT, "app");
		task(&e.u.signal.sender, 0, RUNC, RUNC, 0, "runc");
		e.u.signal.sig = SIGTERM;
		e.u.signal.disposition = ST_DISP_HANDLER;
		e.u.signal.sig_flags = ST_SIGF_GROUP;
		timeline_event(tl, &e, &c, T0);
	}
	assert_int_equal(timeline_open_stops(tl), TL_RUNNING_STOPS + 2);
	/* each holds its sendings already: those past the bound are not asked for */
	assert_int_equal(timeline_running_due(tl, T0 + MS, due, 8), TL_RUNNING_STOPS);
	nginx_sample();
	snprintf(id, sizeof(id), "%064d", TL_RUNNING_STOPS + 1);
	assert_int_equal(timeline_running(tl, id, &smp, T0 + MS), -ENOSPC);
	snprintf(id, sizeof(id), "%064d", 0);
	assert_int_equal(timeline_running(tl, id, &smp, T0 + MS), 0);
	timeline_flush(tl, T0 + 2 * SEC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_grace_exceeded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exited_before_kill, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sample_after_kill_unseen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_graceful_and_killed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_due, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alerts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fix_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stops_bound, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
