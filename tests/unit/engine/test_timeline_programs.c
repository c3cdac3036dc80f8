// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The stop timeline engine on the stops of real programs: each scenario is
 * the sequence of kernel records a real program's docker stop made here
 * (nginx, redis-server, haproxy, python3, a Go program), with its threads,
 * the kernel's own signals of a dying namespace, and the timing seen. What
 * is asserted is what an operator reads: the verdict, the findings, the
 * grace, the exit and the reason's key words.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "engine/timeline.h"

#define MS  1000000ULL
#define SEC 1000000000ULL
#define US  1000ULL
#define T0  (1000 * SEC)
#define LAT (100 * US)

#define ID_P	 "d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4"
#define CGID	 4004
#define INIT	 7000 /* host pid of PID 1 */
#define RUNC	 7100
#define PIDNS	 4026532999u
#define HOSTNS	 4026531836u
#define MAX_RECS 16

#define BIT(v) (1u << (v))

static struct {
	uint64_t now;
	int stop_signal; /* the container's configured one, 0: SIGTERM */
	struct tl_stop stops[MAX_RECS];
	size_t nstops;
	struct tl_alert alerts[MAX_RECS];
	size_t nalerts;
	size_t nresolved;
} rec;
static struct container ctr;
static struct timeline *tl;

static void on_alert(void *ctx, const struct tl_alert *a)
{
	(void)ctx;
	assert_true(rec.nalerts < MAX_RECS);
	rec.alerts[rec.nalerts++] = *a;
}

static void on_resolved(void *ctx, const struct tl_alert *a)
{
	(void)ctx;
	(void)a;
	rec.nresolved++;
}

static void on_timeline(void *ctx, const struct tl_stop *s)
{
	(void)ctx;
	assert_true(rec.nstops < MAX_RECS);
	rec.stops[rec.nstops++] = *s;
}

static int facts_stop_signal(void *ctx, const struct container *c)
{
	(void)ctx;
	(void)c;
	return rec.stop_signal;
}

static const struct tl_listener listener = {
	.alert = on_alert,
	.alert_resolved = on_resolved,
	.stop_timeline = on_timeline,
};

static const struct tl_facts facts = {.stop_signal = facts_stop_signal};

/* ---- the records of a container's processes ---- */

/* A thread of the container: tid (host), of process tgid; PID 1's threads are INIT's. */
static void task(struct st_task *t, uint32_t tid, uint32_t tgid, const char *comm)
{
	memset(t, 0, sizeof(*t));
	t->cgroup_id = CGID;
	t->pid = tid;
	t->tgid = tgid;
	t->ns_tgid = tgid == INIT ? 1 : tgid - INIT + 1;
	t->ns_pid = tid - INIT + 1;
	t->pidns = PIDNS;
	t->flags = tgid == INIT ? ST_TASK_NS_INIT | ST_TASK_UNKILLABLE : 0;
	snprintf(t->comm, sizeof(t->comm), "%s", comm);
}

static void feed(struct st_event *e)
{
	rec.now = e->ts_ns + LAT;
	timeline_event(tl, e, &ctr, rec.now);
}

/* runc's signal to PID 1: the stop signal or the escalation; sig_flags beyond ST_SIGF_GROUP. */
static void runc_sends_flags(uint64_t ts, int sig, int result, uint32_t disposition,
			     const char *comm, uint32_t sig_flags)
{
	struct st_event e;

	memset(&e, 0, sizeof(e));
	e.ts_ns = ts;
	e.kind = ST_EV_SIGNAL_GENERATE;
	task(&e.u.signal.target, INIT, INIT, comm);
	memset(&e.u.signal.sender, 0, sizeof(e.u.signal.sender));
	e.u.signal.sender.pid = e.u.signal.sender.tgid = RUNC;
	e.u.signal.sender.ns_pid = e.u.signal.sender.ns_tgid = RUNC;
	e.u.signal.sender.pidns = HOSTNS;
	snprintf(e.u.signal.sender.comm, sizeof(e.u.signal.sender.comm), "runc");
	e.u.signal.sig = sig;
	e.u.signal.result = result;
	e.u.signal.disposition = disposition;
	e.u.signal.sig_flags = ST_SIGF_GROUP | sig_flags;
	if (sig == SIGKILL)
		e.u.signal.target.flags |= ST_TASK_GROUP_EXIT; /* set by this very SIGKILL */
	feed(&e);
}

static void runc_sends(uint64_t ts, int sig, int result, uint32_t disposition, const char *comm)
{
	runc_sends_flags(ts, sig, result, disposition, comm, 0);
}

/* Ticks every 200 ms from from to to: what time alone decides. */
static void ticks(uint64_t from, uint64_t to)
{
	for (uint64_t t = from; t <= to; t += 200 * MS) {
		rec.now = t;
		timeline_tick(tl, t);
	}
}

/*
 * A signal from thread tid of PID 1 to thread to_tid of process to (PID 1
 * itself when to is INIT): a re-raise, or the kernel's SIGKILLs in its name
 * (SEND_SIG_PRIV): a dying namespace's (to a group already exiting),
 * reboot_pid_ns's, the OOM killer's.
 */
static void init_sends(uint64_t ts, uint32_t tid, uint32_t to, uint32_t to_tid, int sig, int result,
		       uint32_t disposition, bool exiting, const char *comm)
{
	struct st_event e;

	memset(&e, 0, sizeof(e));
	e.ts_ns = ts;
	e.kind = ST_EV_SIGNAL_GENERATE;
	task(&e.u.signal.target, to_tid, to, comm);
	task(&e.u.signal.sender, tid, INIT, comm);
	if (exiting)
		e.u.signal.target.flags |= ST_TASK_GROUP_EXIT;
	e.u.signal.sig = sig;
	/* a SIGKILL to itself is the kernel's (SEND_SIG_PRIV), the rest tgkill()s */
	e.u.signal.code = sig == SIGKILL ? 0x80 : -6; /* SI_KERNEL : SI_TKILL */
	e.u.signal.result = result;
	e.u.signal.disposition = disposition;
	e.u.signal.sig_flags = ST_SIGF_SENDER_IN_NS | (sig == SIGKILL ? ST_SIGF_FROM_KERNEL : 0);
	feed(&e);
}

static void delivered(uint64_t ts, uint32_t tid, uint32_t tgid, const char *comm, int sig,
		      uint32_t disposition)
{
	struct st_event e;

	memset(&e, 0, sizeof(e));
	e.ts_ns = ts;
	e.kind = ST_EV_SIGNAL_DELIVER;
	task(&e.u.deliver.task, tid, tgid, comm);
	e.u.deliver.sig = sig;
	e.u.deliver.disposition = disposition;
	if (disposition == ST_DISP_HANDLER)
		e.u.deliver.sa_flags = SA_RESTART | SA_ONSTACK | SA_SIGINFO;
	feed(&e);
}

/* The exit of process tgid, seen at its last thread tid; raw wait status. */
static void exits(uint64_t ts, uint32_t tid, uint32_t tgid, const char *comm, uint32_t status)
{
	struct st_event e;

	memset(&e, 0, sizeof(e));
	e.ts_ns = ts;
	e.kind = ST_EV_PROCESS_EXIT;
	task(&e.u.exit.task, tid, tgid, comm);
	e.u.exit.task.flags |= ST_TASK_GROUP_DEAD;
	e.u.exit.exit_code = status;
	feed(&e);
}

/* Docker's end of a stop: the cgroup goes, then PID 1 is released. */
static void gone(uint64_t ts, const char *comm, uint32_t status)
{
	struct st_event e;

	memset(&e, 0, sizeof(e));
	e.ts_ns = ts;
	e.kind = ST_EV_CGROUP_RMDIR;
	e.u.cgroup.id = CGID;
	snprintf(e.u.cgroup.path, sizeof(e.u.cgroup.path), "/docker/%s", ID_P);
	feed(&e);
	memset(&e, 0, sizeof(e));
	e.ts_ns = ts + 5 * MS;
	e.kind = ST_EV_INIT_RELEASED;
	task(&e.u.exit.task, INIT, INIT, comm);
	e.u.exit.task.flags |= ST_TASK_GROUP_DEAD;
	e.u.exit.exit_code = status;
	feed(&e);
}

/* The one timeline written, with its verdict and nothing else found. */
static const struct tl_stop *only_stop(enum tl_verdict verdict)
{
	const struct tl_stop *s;

	assert_int_equal(rec.nstops, 1);
	s = &rec.stops[0];
	assert_string_equal(s->container.id, ID_P);
	assert_int_equal(s->verdict, verdict);
	assert_int_equal(s->findings, BIT(verdict));
	assert_true(s->exited);
	assert_false(s->partial);
	return s;
}

static void says(const struct tl_stop *s, const char *words)
{
	if (!strstr(s->reason, words))
		fail_msg("reason \"%s\" does not say \"%s\"", s->reason, words);
}

static void not_says(const struct tl_stop *s, const char *words)
{
	if (strstr(s->reason, words))
		fail_msg("reason \"%s\" says \"%s\"", s->reason, words);
}

static int setup(void **state)
{
	struct tl_config cfg;

	(void)state;
	memset(&rec, 0, sizeof(rec));
	memset(&ctr, 0, sizeof(ctr));
	ctr.runtime = RUNTIME_DOCKER;
	snprintf(ctr.id, sizeof(ctr.id), "%s", ID_P);
	snprintf(ctr.name, sizeof(ctr.name), "web");
	snprintf(ctr.cgroup, sizeof(ctr.cgroup), "/docker/%s", ID_P);
	tl_config_defaults(&cfg);
	cfg.start_ns = 10 * SEC;
	cfg.linger_ns = 0; /* written at the cgroup's removal: the linger has tests of its own */
	tl = timeline_new(&cfg, &facts, &listener, &rec);
	assert_non_null(tl);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	timeline_free(tl);
	tl = NULL;
	return 0;
}

/* ---- the programs ---- */

/*
 * A Go program without signal.Notify (go1.19's runtime): its handler forwards
 * SIGTERM to the default action: it raises SIGTERM once more (delivered to the
 * handler, which now forwards), sets SIG_DFL and raises it twice (dropped:
 * the default action on a namespace init), then exit(2). exit_group kills its
 * other threads, and its last thread's exit SIGKILLs every pid left in the
 * namespace, its own threads' included (zap_pid_ns_processes): that SIGKILL,
 * sent by PID 1 to itself and ignored by a group already exiting, is no
 * escalation. Graceful, with code 2 and no grace.
 */
static void test_go_reraise_then_exit_2(void **state)
{
	const struct tl_stop *s;

	(void)state;
	runc_sends(T0, SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER, "gostop");
	delivered(T0 + 20 * US, INIT, INIT, "gostop", SIGTERM, ST_DISP_HANDLER);
	init_sends(T0 + 40 * US, INIT, INIT, INIT, SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER,
		   false, "gostop");
	delivered(T0 + 50 * US, INIT, INIT, "gostop", SIGTERM, ST_DISP_HANDLER);
	init_sends(T0 + 60 * US, INIT, INIT, INIT, SIGTERM, ST_SIG_IGNORED, ST_DISP_DEFAULT, false,
		   "gostop");
	init_sends(T0 + 70 * US, INIT, INIT, INIT, SIGTERM, ST_SIG_IGNORED, ST_DISP_DEFAULT, false,
		   "gostop");
	for (uint32_t t = 1; t <= 3; t++)
		delivered(T0 + 80 * US, INIT + t, INIT, "gostop", SIGKILL, ST_DISP_DEFAULT);
	exits(T0 + 200 * US, INIT + 3, INIT, "gostop", 2 << 8);
	init_sends(T0 + 210 * US, INIT + 3, INIT, INIT + 2, SIGKILL, ST_SIG_IGNORED,
		   ST_DISP_DEFAULT, true, "gostop");
	gone(T0 + 8 * MS, "gostop", 2 << 8);

	s = only_stop(TL_GRACEFUL);
	assert_int_equal(rec.nalerts, 0);
	assert_int_equal(s->stop_signal, SIGTERM);
	assert_int_equal(s->exit_code, 2 << 8);
	assert_int_equal(s->grace_ms, -1);
	says(s, "with code 2");
	says(s, "PID 1 (gostop) handled SIGTERM, then its handler re-raised SIGTERM with the "
		"default action");
	says(s, "exited by itself");
	not_says(s, "SIGKILL");
	not_says(s, "Fix");
}

/*
 * redis-server: its handler schedules the shutdown, it saves and exits 0.
 * It has named threads (bio_close_file, bio_aof_fsync, ...): exit_group
 * SIGKILLs them, and the last one's exit SIGKILLs the namespace's pids. No
 * SIGKILL came from outside: graceful, no grace.
 */
static void test_redis_threads_exit_0(void **state)
{
	static const char *const threads[] = {"bio_close_file", "bio_aof_fsync", "bio_lazy_free",
					      "jemalloc_bg_thd"};
	const struct tl_stop *s;

	(void)state;
	runc_sends(T0, SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER, "redis-server");
	delivered(T0 + 30 * US, INIT, INIT, "redis-server", SIGTERM, ST_DISP_HANDLER);
	for (uint32_t t = 0; t < 4; t++)
		delivered(T0 + 76 * MS, INIT + 1 + t, INIT, threads[t], SIGKILL, ST_DISP_DEFAULT);
	exits(T0 + 76 * MS + 300 * US, INIT + 1, INIT, "bio_close_file", 0);
	init_sends(T0 + 77 * MS, INIT + 1, INIT, INIT + 1, SIGKILL, ST_SIG_IGNORED, ST_DISP_DEFAULT,
		   true, "redis-server");
	gone(T0 + 86 * MS, "redis-server", 0);

	s = only_stop(TL_GRACEFUL);
	assert_int_equal(rec.nalerts, 0);
	assert_int_equal(s->exit_code, 0);
	assert_int_equal(s->grace_ms, -1);
	says(s, "PID 1 (redis-server) exited 76 ms after SIGTERM with code 0");
	not_says(s, "SIGKILL");
}

/*
 * nginx with STOPSIGNAL SIGQUIT (Debian's and the official image's): the
 * master's handler tells its workers to finish, they exit, then it exits 0.
 */
static void test_nginx_sigquit_graceful(void **state)
{
	const struct tl_stop *s;

	(void)state;
	rec.stop_signal = SIGQUIT;
	runc_sends(T0, SIGQUIT, ST_SIG_DELIVERED, ST_DISP_HANDLER, "nginx");
	delivered(T0 + 20 * US, INIT, INIT, "nginx", SIGQUIT, ST_DISP_HANDLER);
	exits(T0 + 1 * MS, INIT + 7, INIT + 7, "nginx", 0);
	exits(T0 + 1 * MS + 50 * US, INIT + 8, INIT + 8, "nginx", 0);
	exits(T0 + 2 * MS, INIT, INIT, "nginx", 0);
	gone(T0 + 12 * MS, "nginx", 0);

	s = only_stop(TL_GRACEFUL);
	assert_int_equal(s->stop_signal, SIGQUIT);
	assert_int_equal(s->configured_stop_signal, SIGQUIT);
	assert_int_equal(s->grace_ms, -1);
	says(s, "PID 1 (nginx) exited 2 ms after SIGQUIT with code 0");
}

/* haproxy -db (no master): no SIGTERM handler, its hard stop is SIGTERM's default action. */
static void test_haproxy_sigterm_ignored(void **state)
{
	const struct tl_stop *s;

	(void)state;
	runc_sends(T0, SIGTERM, ST_SIG_IGNORED, ST_DISP_DEFAULT, "haproxy");
	assert_int_equal(rec.nalerts, 1);
	assert_int_equal(rec.alerts[0].kind, TL_ALERT_STOP_SIGNAL_IGNORED);
	runc_sends(T0 + 10 * SEC, SIGKILL, ST_SIG_DELIVERED, ST_DISP_DEFAULT, "haproxy");
	delivered(T0 + 10 * SEC + 20 * US, INIT, INIT, "haproxy", SIGKILL, ST_DISP_DEFAULT);
	exits(T0 + 10 * SEC + 1 * MS, INIT, INIT, "haproxy", SIGKILL);
	gone(T0 + 10 * SEC + 9 * MS, "haproxy", SIGKILL);

	s = only_stop(TL_STOP_SIGNAL_IGNORED);
	assert_int_equal(s->grace_ms, 10000);
	assert_int_equal(s->exit_code, SIGKILL);
	says(s, "no handler");
	says(s, "SIGKILL followed after 10000 ms");
}

/* python3 whose SIGTERM handler prints and carries on: killed after the grace. */
static void test_python_handler_carries_on(void **state)
{
	const struct tl_stop *s;

	(void)state;
	runc_sends(T0, SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER, "python3");
	delivered(T0 + 20 * US, INIT, INIT, "python3", SIGTERM, ST_DISP_HANDLER);
	runc_sends(T0 + 3 * SEC + 24 * MS, SIGKILL, ST_SIG_DELIVERED, ST_DISP_DEFAULT, "python3");
	delivered(T0 + 3 * SEC + 25 * MS, INIT, INIT, "python3", SIGKILL, ST_DISP_DEFAULT);
	exits(T0 + 3 * SEC + 26 * MS, INIT, INIT, "python3", SIGKILL);
	gone(T0 + 3 * SEC + 34 * MS, "python3", SIGKILL);

	s = only_stop(TL_GRACE_PERIOD_EXCEEDED);
	assert_int_equal(s->grace_ms, 3024);
	assert_int_equal(s->exit_code, SIGKILL);
	says(s, "handles SIGTERM and received it, but was still running when SIGKILL came");
}

/*
 * A threaded PID 1 whose handler carries on (a Java or Python server with
 * worker threads): runc's SIGKILL is the escalation; the namespace's own
 * SIGKILL after its exit changes nothing.
 */
static void test_threaded_handler_killed(void **state)
{
	const struct tl_stop *s;

	(void)state;
	runc_sends(T0, SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER, "java");
	delivered(T0 + 20 * US, INIT + 4, INIT, "SIGTERM handler", SIGTERM, ST_DISP_HANDLER);
	runc_sends(T0 + 5 * SEC, SIGKILL, ST_SIG_DELIVERED, ST_DISP_DEFAULT, "java");
	for (uint32_t t = 0; t < 3; t++)
		delivered(T0 + 5 * SEC + 10 * US, INIT + t, INIT, "java", SIGKILL, ST_DISP_DEFAULT);
	exits(T0 + 5 * SEC + 1 * MS, INIT + 2, INIT, "java", SIGKILL);
	init_sends(T0 + 5 * SEC + 1 * MS + 10 * US, INIT + 2, INIT, INIT + 4, SIGKILL,
		   ST_SIG_IGNORED, ST_DISP_DEFAULT, true, "java");
	gone(T0 + 5 * SEC + 9 * MS, "java", SIGKILL);

	s = only_stop(TL_GRACE_PERIOD_EXCEEDED);
	assert_int_equal(s->grace_ms, 5000);
	says(s, "SIGKILL came 5000 ms later");
}

/*
 * python3 stopped with SIGINT (--stop-signal SIGINT): KeyboardInterrupt
 * unwinds the program, then the interpreter resets SIGINT to SIG_DFL and
 * kill()s itself with it (Modules/main.c, exit_sigint); dropped for a
 * namespace init, so it returns 130 by itself.
 */
static void test_python_sigint_exit_130(void **state)
{
	const struct tl_stop *s;

	(void)state;
	rec.stop_signal = SIGINT;
	runc_sends(T0, SIGINT, ST_SIG_DELIVERED, ST_DISP_HANDLER, "python3");
	delivered(T0 + 20 * US, INIT, INIT, "python3", SIGINT, ST_DISP_HANDLER);
	init_sends(T0 + 2 * MS, INIT, INIT, INIT, SIGINT, ST_SIG_IGNORED, ST_DISP_DEFAULT, false,
		   "python3");
	exits(T0 + 3 * MS, INIT, INIT, "python3", 130 << 8);
	gone(T0 + 11 * MS, "python3", 130 << 8);

	s = only_stop(TL_GRACEFUL);
	assert_int_equal(rec.nalerts, 0);
	assert_int_equal(s->stop_signal, SIGINT);
	assert_int_equal(s->exit_code, 130 << 8);
	assert_int_equal(s->grace_ms, -1);
	says(s, "with code 130");
	says(s, "re-raised SIGINT with the default action");
}

/* A Go program with signal.Ignore(SIGTERM): SIG_IGN, so the kernel ignores it. */
static void test_go_ignore(void **state)
{
	const struct tl_stop *s;

	(void)state;
	runc_sends(T0, SIGTERM, ST_SIG_IGNORED, ST_DISP_IGNORE, "gostop");
	runc_sends(T0 + 2 * SEC, SIGKILL, ST_SIG_DELIVERED, ST_DISP_DEFAULT, "gostop");
	for (uint32_t t = 0; t < 4; t++)
		delivered(T0 + 2 * SEC + 10 * US, INIT + t, INIT, "gostop", SIGKILL,
			  ST_DISP_DEFAULT);
	exits(T0 + 2 * SEC + 1 * MS, INIT + 3, INIT, "gostop", SIGKILL);
	init_sends(T0 + 2 * SEC + 1 * MS + 10 * US, INIT + 3, INIT, INIT + 1, SIGKILL,
		   ST_SIG_IGNORED, ST_DISP_DEFAULT, true, "gostop");
	gone(T0 + 2 * SEC + 9 * MS, "gostop", SIGKILL);

	s = only_stop(TL_STOP_SIGNAL_IGNORED);
	assert_int_equal(s->grace_ms, 2000);
	says(s, "SIG_IGN");
}

/*
 * A threaded PID 1 that exits by itself with no stop: the namespace's SIGKILL
 * after its exit is no kill from anyone.
 */
static void test_threaded_exit_by_itself(void **state)
{
	const struct tl_stop *s;

	(void)state;
	exits(T0, INIT + 1, INIT, "worker", 1 << 8);
	init_sends(T0 + 10 * US, INIT + 1, INIT, INIT + 1, SIGKILL, ST_SIG_IGNORED, ST_DISP_DEFAULT,
		   true, "worker");
	gone(T0 + 8 * MS, "app", 1 << 8);

	s = only_stop(TL_EXITED);
	assert_int_equal(s->grace_ms, -1);
	says(s, "PID 1 (app) exited on its own with code 1");
}

/*
 * An init whose stop handler halts the namespace with reboot(2) itself:
 * reboot_pid_ns SIGKILLs the init (forced, from the init), which dies of
 * it. It ended its own stop: graceful.
 */
static void test_init_halts_by_reboot(void **state)
{
	const struct tl_stop *s;

	(void)state;
	runc_sends(T0, SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER, "init");
	delivered(T0 + 20 * US, INIT, INIT, "init", SIGTERM, ST_DISP_HANDLER);
	init_sends(T0 + 300 * MS, INIT, INIT, INIT, SIGKILL, ST_SIG_DELIVERED, ST_DISP_DEFAULT,
		   false, "init");
	delivered(T0 + 300 * MS + 10 * US, INIT, INIT, "init", SIGKILL, ST_DISP_DEFAULT);
	exits(T0 + 301 * MS, INIT, INIT, "init", SIGKILL);
	gone(T0 + 309 * MS, "init", SIGKILL);

	s = only_stop(TL_GRACEFUL);
	assert_int_equal(s->grace_ms, -1);
	says(s, "PID 1 (init) exited 301 ms after SIGTERM");
	not_says(s, "SIGKILL followed");
}

/*
 * A handler that allocates while it shuts down, and PID 1 is the one the
 * OOM killer picks: its SIGKILL comes from the allocating task, PID 1
 * itself (SEND_SIG_PRIV). No escalation came: oom_killed, not a handler too
 * slow for the grace.
 */
static void test_handler_oom_killed(void **state)
{
	struct st_event e;
	const struct tl_stop *s;

	(void)state;
	runc_sends(T0, SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER, "python3");
	delivered(T0 + 20 * US, INIT, INIT, "python3", SIGTERM, ST_DISP_HANDLER);
	init_sends(T0 + 400 * MS, INIT, INIT, INIT, SIGKILL, ST_SIG_DELIVERED, ST_DISP_DEFAULT,
		   false, "python3");
	memset(&e, 0, sizeof(e));
	e.ts_ns = T0 + 400 * MS + 10 * US;
	e.kind = ST_EV_OOM_VICTIM;
	task(&e.u.oom.killer, INIT, INIT, "python3");
	e.u.oom.victim_pid = INIT;
	rec.now = e.ts_ns + LAT;
	timeline_event(tl, &e, NULL, rec.now);
	delivered(T0 + 400 * MS + 20 * US, INIT, INIT, "python3", SIGKILL, ST_DISP_DEFAULT);
	exits(T0 + 401 * MS, INIT, INIT, "python3", SIGKILL);
	gone(T0 + 409 * MS, "python3", SIGKILL);

	assert_int_equal(rec.nstops, 1);
	s = &rec.stops[0];
	assert_int_equal(s->verdict, TL_OOM_KILLED);
	assert_int_equal(s->findings, BIT(TL_OOM_KILLED)); /* neither too slow nor graceful */
	assert_int_equal(s->grace_ms, -1);
	says(s, "OOM killer");
}

/*
 * While python3's handler takes 2 s to clean up, someone runs kill -9 1 in
 * the container (docker exec): from inside the namespace the kernel ignores
 * it (sig_task_ignored: no force). The handler then exits 0 by itself:
 * graceful, not a handler still running at SIGKILL.
 */
static void test_kill_9_from_inside_ignored(void **state)
{
	struct st_event e;
	const struct tl_stop *s;

	(void)state;
	runc_sends(T0, SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER, "python3");
	delivered(T0 + 20 * US, INIT, INIT, "python3", SIGTERM, ST_DISP_HANDLER);
	memset(&e, 0, sizeof(e));
	e.ts_ns = T0 + 540 * MS;
	e.kind = ST_EV_SIGNAL_GENERATE;
	task(&e.u.signal.target, INIT, INIT, "python3");
	task(&e.u.signal.sender, INIT + 6, INIT + 6, "python3");
	e.u.signal.sig = SIGKILL;
	e.u.signal.result = ST_SIG_IGNORED;
	e.u.signal.disposition = ST_DISP_DEFAULT;
	e.u.signal.sig_flags = ST_SIGF_SENDER_IN_NS | ST_SIGF_GROUP;
	feed(&e);
	exits(T0 + 2003 * MS, INIT, INIT, "python3", 0);
	gone(T0 + 2020 * MS, "python3", 0);

	s = only_stop(TL_GRACEFUL);
	assert_int_equal(s->grace_ms, -1);
	assert_int_equal(s->exit_code, 0);
	says(s, "PID 1 (python3) exited 2003 ms after SIGTERM with code 0");
	not_says(s, "SIGKILL");
}

/* A signal to PID 1 from process pid of the container (pid's own threads: tgid pid). */
static void inside_sends(uint64_t ts, uint32_t pid, int sig, int result, uint32_t sig_flags,
			 uint32_t target_flags)
{
	struct st_event e;

	memset(&e, 0, sizeof(e));
	e.ts_ns = ts;
	e.kind = ST_EV_SIGNAL_GENERATE;
	task(&e.u.signal.target, INIT, INIT, "init");
	e.u.signal.target.flags |= target_flags;
	task(&e.u.signal.sender, pid, pid, "init");
	e.u.signal.sig = sig;
	e.u.signal.code = (sig_flags & ST_SIGF_FROM_KERNEL) ? 0x80 : 0;
	e.u.signal.result = result;
	e.u.signal.disposition = ST_DISP_DEFAULT;
	e.u.signal.sig_flags = ST_SIGF_SENDER_IN_NS | sig_flags;
	feed(&e);
}

/*
 * tini as PID 1 (docker run --init): it blocks every signal and takes them
 * with sigtimedwait, so the stop signal finds it waiting (real_blocked), no
 * handler; it sends SIGTERM on to its child, which handles it and carries on.
 * PID 1 took the stop signal and was still running at SIGKILL: the grace was
 * exceeded, not a PID 1 that "exited" with no stop.
 */
static void test_tini_sigtimedwait_killed(void **state)
{
	const struct tl_stop *s;

	(void)state;
	/* waiting in sigtimedwait: blocked, and in real_blocked */
	runc_sends_flags(T0, SIGTERM, ST_SIG_DELIVERED, ST_DISP_DEFAULT, "tini",
			 ST_SIGF_BLOCKED | ST_SIGF_REAL_BLOCKED);
	assert_int_equal(rec.nstops, 0);
	init_sends(T0 + 30 * US, INIT, INIT + 6, INIT + 6, SIGTERM, ST_SIG_DELIVERED,
		   ST_DISP_HANDLER, false, "python3");
	ticks(T0 + 200 * MS, T0 + 2800 * MS);
	assert_int_equal(rec.nalerts, 0); /* taken: neither blocked nor ignored */
	runc_sends(T0 + 3 * SEC, SIGKILL, ST_SIG_DELIVERED, ST_DISP_DEFAULT, "tini");
	exits(T0 + 3 * SEC + 1 * MS, INIT, INIT, "tini", SIGKILL);
	gone(T0 + 3 * SEC + 9 * MS, "tini", SIGKILL);

	s = only_stop(TL_GRACE_PERIOD_EXCEEDED);
	assert_int_equal(s->grace_ms, 3000);
	not_says(s, "without a stop from outside");
}

/*
 * LXC's halt of busybox's init (lxc.signal.halt SIGUSR1, taken with
 * sigtimedwait): it ends its children, then a child it forked calls reboot(2),
 * and reboot_pid_ns SIGKILLs the init from there (the kernel's, from inside
 * the namespace). A clean halt, done by the container itself: graceful.
 */
static void test_busybox_init_halt_by_reboot(void **state)
{
	const struct tl_stop *s;

	(void)state;
	rec.stop_signal = SIGUSR1;
	runc_sends_flags(T0, SIGUSR1, ST_SIG_DELIVERED, ST_DISP_DEFAULT, "init",
			 ST_SIGF_BLOCKED | ST_SIGF_REAL_BLOCKED);
	init_sends(T0 + 100 * US, INIT, INIT + 3, INIT + 3, SIGTERM, ST_SIG_DELIVERED,
		   ST_DISP_DEFAULT, false, "init");
	exits(T0 + 300 * US, INIT + 3, INIT + 3, "syslogd", SIGTERM);
	inside_sends(T0 + 2001 * MS, INIT + 8, SIGKILL, ST_SIG_DELIVERED, ST_SIGF_FROM_KERNEL,
		     ST_TASK_GROUP_EXIT);
	exits(T0 + 2001 * MS + 50 * US, INIT + 8, INIT + 8, "init", 0);
	delivered(T0 + 2001 * MS + 60 * US, INIT, INIT, "init", SIGKILL, ST_DISP_DEFAULT);
	exits(T0 + 2001 * MS + 100 * US, INIT, INIT, "init", SIGKILL);
	gone(T0 + 2003 * MS, "init", SIGKILL);

	s = only_stop(TL_GRACEFUL);
	assert_int_equal(s->stop_signal, SIGUSR1);
	assert_int_equal(s->grace_ms, -1);
	says(s, "PID 1 (init) halted through reboot(2) 2001 ms after SIGUSR1");
	not_says(s, "SIGKILL followed");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_go_reraise_then_exit_2),	   T(test_redis_threads_exit_0),
		T(test_nginx_sigquit_graceful),	   T(test_haproxy_sigterm_ignored),
		T(test_python_handler_carries_on), T(test_threaded_handler_killed),
		T(test_python_sigint_exit_130),	   T(test_go_ignore),
		T(test_threaded_exit_by_itself),   T(test_init_halts_by_reboot),
		T(test_handler_oom_killed),	   T(test_kill_9_from_inside_ignored),
		T(test_tini_sigtimedwait_killed),  T(test_busybox_init_halt_by_reboot),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
