// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Tests for the shapes of a stop (user/engine/timeline_shapes.c and the
 * words and verdicts it feeds): a shell as PID 1 that runs the application
 * as its child, and an init shim that forwards the stop signal. Each
 * scenario is the sequence of kernel records seen for the real program
 * (dash, bash, busybox sh, tini, docker-init, dumb-init; tests/e2e/
 * test_shapes.py stops them for real), hand-built, with the clock chosen by
 * the test.
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
#define T0  (1000 * SEC)

#define ID_A	 "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
#define CGID	 1001
#define INIT	 4242 /* host pid of PID 1 */
#define APP	 4250 /* host pid of its child, pid 7 in the container */
#define APP2	 4251 /* a second process of the child's group, pid 8 */
#define RUNC	 3000
#define PIDNS	 4026532999u
#define HOST_NS	 4026531836u
#define MAX_RECS 32

static struct container ctr;
static struct timeline *tl;
static struct tl_alert alerts[MAX_RECS];
static size_t nalerts;
static struct tl_stop stops[4];
static size_t nstops;

static void on_alert(void *ctx, const struct tl_alert *a)
{
	(void)ctx;
	assert_true(nalerts < MAX_RECS);
	alerts[nalerts++] = *a;
}

static void on_resolved(void *ctx, const struct tl_alert *a)
{
	(void)ctx;
	(void)a;
}

static void on_timeline(void *ctx, const struct tl_stop *s)
{
	(void)ctx;
	assert_true(nstops < 4);
	stops[nstops++] = *s;
}

static const struct tl_listener listener = {
	.alert = on_alert,
	.alert_resolved = on_resolved,
	.stop_timeline = on_timeline,
};

static void task(struct st_task *t, uint32_t pid, uint32_t ns_pid, uint32_t flags, const char *comm)
{
	t->cgroup_id = pid == RUNC ? 0 : CGID;
	t->pid = t->tgid = pid;
	t->ns_pid = t->ns_tgid = ns_pid;
	t->pidns = pid == RUNC ? HOST_NS : PIDNS;
	t->flags = flags;
	snprintf(t->comm, sizeof(t->comm), "%s", comm);
}

/* PID 1's comm in every record of a scenario. */
static const char *init_comm;

static uint32_t ns_of(uint32_t pid)
{
	return pid == INIT ? 1 : pid == APP ? 7 : pid == APP2 ? 8 : pid;
}

static uint32_t init_flags(uint32_t pid)
{
	return pid == INIT ? ST_TASK_NS_INIT | ST_TASK_UNKILLABLE : 0;
}

static void feed(struct st_event *e)
{
	timeline_event(tl, e, &ctr, e->ts_ns + 100000);
}

static void feed_sig(uint64_t ts, uint32_t from, uint32_t to, const char *to_comm, int sig,
		     int result, uint32_t disposition, uint32_t flags)
{
	struct st_event e;
	struct st_signal *s = &e.u.signal;

	memset(&e, 0, sizeof(e));
	e.ts_ns = ts;
	e.kind = ST_EV_SIGNAL_GENERATE;
	task(&s->target, to, ns_of(to), init_flags(to), to_comm);
	task(&s->sender, from, from == RUNC ? RUNC : ns_of(from), init_flags(from),
	     from == RUNC   ? "runc"
	     : from == INIT ? init_comm
			    : "x");
	s->sig = sig;
	s->result = result;
	s->disposition = disposition;
	s->sig_flags = flags | ST_SIGF_GROUP | (from == RUNC ? 0 : ST_SIGF_SENDER_IN_NS);
	feed(&e);
}

static void feed_fork(uint64_t ts, uint32_t child)
{
	struct st_event e;

	memset(&e, 0, sizeof(e));
	e.ts_ns = ts;
	e.kind = ST_EV_PROCESS_FORK;
	task(&e.u.fork.parent, INIT, 1, ST_TASK_NS_INIT, init_comm);
	task(&e.u.fork.child, child, ns_of(child), 0, init_comm);
	feed(&e);
}

static void feed_exec(uint64_t ts, uint32_t pid, const char *comm)
{
	struct st_event e;

	memset(&e, 0, sizeof(e));
	e.ts_ns = ts;
	e.kind = ST_EV_PROCESS_EXEC;
	task(&e.u.exec.task, pid, ns_of(pid), init_flags(pid), comm);
	feed(&e);
}

static void feed_exit(uint64_t ts, uint32_t pid, const char *comm, uint32_t code)
{
	struct st_event e;

	memset(&e, 0, sizeof(e));
	e.ts_ns = ts;
	e.kind = ST_EV_PROCESS_EXIT;
	task(&e.u.exit.task, pid, ns_of(pid), init_flags(pid) | ST_TASK_GROUP_DEAD, comm);
	e.u.exit.exit_code = code;
	feed(&e);
}

/* The init released and the cgroup removed: the stop ends. */
static void finish(uint64_t ts)
{
	struct st_event e;

	memset(&e, 0, sizeof(e));
	e.ts_ns = ts;
	e.kind = ST_EV_INIT_RELEASED;
	task(&e.u.exit.task, INIT, 1, ST_TASK_NS_INIT | ST_TASK_GROUP_DEAD, init_comm);
	feed(&e);
	memset(&e, 0, sizeof(e));
	e.ts_ns = ts + MS;
	e.kind = ST_EV_CGROUP_RMDIR;
	e.u.cgroup.id = CGID;
	feed(&e);
	assert_int_equal(nstops, 1);
}

/* The kernel's SIGKILL of the teardown to what is left in the namespace, and its exit. */
static void teardown_kill(uint64_t ts, uint32_t pid, const char *comm)
{
	feed_sig(ts, INIT, pid, comm, SIGKILL, ST_SIG_DELIVERED, ST_DISP_DEFAULT,
		 ST_SIGF_FROM_KERNEL);
	feed_exit(ts, pid, comm, SIGKILL);
}

static void tick_to(uint64_t from, uint64_t to)
{
	for (uint64_t t = from; t <= to; t += 100 * MS)
		timeline_tick(tl, t);
}

static void has(const char *text, const char *words)
{
	if (!strstr(text, words))
		fail_msg("%s\n  does not say: %s", text, words);
}

static void lacks(const char *text, const char *words)
{
	if (strstr(text, words))
		fail_msg("%s\n  says: %s", text, words);
}

static const struct tl_alert *alert_of(enum tl_alert_kind kind)
{
	for (size_t i = 0; i < nalerts; i++)
		if (alerts[i].kind == kind)
			return &alerts[i];
	return NULL;
}

static int setup(void **state)
{
	struct tl_config cfg;

	(void)state;
	memset(&ctr, 0, sizeof(ctr));
	ctr.runtime = RUNTIME_DOCKER;
	snprintf(ctr.id, sizeof(ctr.id), "%s", ID_A);
	snprintf(ctr.name, sizeof(ctr.name), "web");
	nalerts = nstops = 0;
	tl_config_defaults(&cfg);
	cfg.start_ns = 10 * SEC;
	cfg.linger_ns = 0; /* written at the cgroup's removal: the linger has tests of its own */
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

/* ---- a shell as PID 1 ---- */

/* sh -c 'sleep 300; echo done' (dash, bash, busybox): forks, runs sleep, waits. */
static void shell_runs_sleep(const char *shell)
{
	init_comm = shell;
	feed_exec(T0 - 5 * SEC, INIT, shell);
	feed_fork(T0 - 5 * SEC + MS, APP);
	feed_exec(T0 - 5 * SEC + 2 * MS, APP, "sleep");
}

/* SIGTERM dropped by the kernel (no handler), SIGKILL after the grace period. */
static void shell_ignored_stop(void)
{
	feed_sig(T0, RUNC, INIT, init_comm, SIGTERM, ST_SIG_IGNORED, ST_DISP_DEFAULT, 0);
	tick_to(T0, T0 + 2 * SEC);
	feed_sig(T0 + 2 * SEC, RUNC, INIT, init_comm, SIGKILL, ST_SIG_DELIVERED, ST_DISP_DEFAULT,
		 0);
	feed_exit(T0 + 2 * SEC, INIT, init_comm, SIGKILL);
	teardown_kill(T0 + 2 * SEC + MS, APP, "sleep");
	finish(T0 + 2 * SEC + 10 * MS);
}

static void test_shell_child_named(void **state)
{
	static const char *const shells[] = {"sh", "bash", "dash", "entrypoint.sh"};
	const struct tl_alert *a;

	for (size_t i = 0; i < sizeof(shells) / sizeof(shells[0]); i++) {
		char pid1[32];

		teardown(state);
		setup(state);
		shell_runs_sleep(shells[i]);
		shell_ignored_stop();
		snprintf(pid1, sizeof(pid1), "SIGTERM to PID 1 (%s)", shells[i]);
		assert_int_equal(stops[0].verdict, TL_STOP_SIGNAL_IGNORED);
		assert_int_equal(stops[0].stop_signal, SIGTERM);
		has(stops[0].reason, pid1);
		has(stops[0].reason, "PID 1 is a shell");
		has(stops[0].reason, "does not pass signals on to its child");
		has(stops[0].reason, "sleep (pid 7 in the container) never got SIGTERM");
		has(stops[0].reason, "exec form of CMD");
		has(stops[0].reason, "`exec sleep` in the script");
		a = alert_of(TL_ALERT_STOP_SIGNAL_IGNORED);
		assert_non_null(a);
		assert_string_equal(a->comm, shells[i]);
		has(a->message, pid1);
		has(a->message, "sleep (pid 7 in the container)");
		has(a->action, "exec form of CMD");
	}
}

/* A shell seen only once the stop began: the teardown's kills name what it ran. */
static void test_shell_child_from_teardown(void **state)
{
	(void)state;
	init_comm = "sh";
	shell_ignored_stop();
	assert_int_equal(stops[0].verdict, TL_STOP_SIGNAL_IGNORED);
	has(stops[0].reason, "PID 1 is a shell");
	has(stops[0].reason, "sleep (pid 7 in the container) never got SIGTERM");
}

/* busybox runs an applet as /proc/self/exe ("exe"), then names it: the later name wins. */
static void test_shell_busybox_applet_renamed(void **state)
{
	(void)state;
	shell_runs_sleep("sh");
	feed_exec(T0 - SEC, APP, "exe");
	shell_ignored_stop();
	has(stops[0].reason, "sleep (pid 7 in the container)");
	lacks(stops[0].reason, "exe (");
}

/* A program that is no shell, without children seen: the words of old, naming it. */
static void test_plain_init_named(void **state)
{
	(void)state;
	init_comm = "sleep";
	feed_exec(T0 - 5 * SEC, INIT, "sleep");
	feed_sig(T0, RUNC, INIT, "sleep", SIGTERM, ST_SIG_IGNORED, ST_DISP_DEFAULT, 0);
	feed_sig(T0 + 2 * SEC, RUNC, INIT, "sleep", SIGKILL, ST_SIG_DELIVERED, ST_DISP_DEFAULT, 0);
	feed_exit(T0 + 2 * SEC, INIT, "sleep", SIGKILL);
	finish(T0 + 2 * SEC + 10 * MS);
	assert_int_equal(stops[0].verdict, TL_STOP_SIGNAL_IGNORED);
	has(stops[0].reason, "SIGTERM to PID 1 (sleep) was ignored by the kernel");
	lacks(stops[0].reason, "shell");
	has(stops[0].reason, "Fix: run with an init");
}

/* bash with trap '...' TERM waiting for sleep: handled, deferred, SIGKILL. */
static void test_shell_trap_deferred(void **state)
{
	(void)state;
	shell_runs_sleep("bash");
	feed_sig(T0, RUNC, INIT, "bash", SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER, 0);
	feed_sig(T0 + 2 * SEC, RUNC, INIT, "bash", SIGKILL, ST_SIG_DELIVERED, ST_DISP_DEFAULT, 0);
	feed_exit(T0 + 2 * SEC, INIT, "bash", SIGKILL);
	teardown_kill(T0 + 2 * SEC + MS, APP, "sleep");
	finish(T0 + 2 * SEC + 10 * MS);
	assert_int_equal(stops[0].verdict, TL_GRACE_PERIOD_EXCEEDED);
	has(stops[0].reason, "PID 1 (bash) is a shell with a trap for SIGTERM");
	has(stops[0].reason, "runs its trap only once the command it waits for returns");
	has(stops[0].reason, "sleep (pid 7 in the container) never got SIGTERM");
	has(stops[0].reason, "`exec sleep`");
	has(stops[0].reason, "trap 'kill -TERM $pid");
}

/* while :; do sleep 1; done with a trap that carries on: the trap ran, it is no deferral. */
static void test_shell_trap_ran_carries_on(void **state)
{
	(void)state;
	shell_runs_sleep("sh");
	feed_sig(T0, RUNC, INIT, "sh", SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER, 0);
	feed_exit(T0 + 500 * MS, APP, "sleep", 0);
	feed_fork(T0 + 501 * MS, APP2);
	feed_exec(T0 + 502 * MS, APP2, "sleep");
	feed_sig(T0 + 2 * SEC, RUNC, INIT, "sh", SIGKILL, ST_SIG_DELIVERED, ST_DISP_DEFAULT, 0);
	feed_exit(T0 + 2 * SEC, INIT, "sh", SIGKILL);
	teardown_kill(T0 + 2 * SEC + MS, APP2, "sleep");
	finish(T0 + 2 * SEC + 10 * MS);
	assert_int_equal(stops[0].verdict, TL_GRACE_PERIOD_EXCEEDED);
	has(stops[0].reason, "PID 1 (sh) handles SIGTERM and received it");
	lacks(stops[0].reason, "runs its trap only once");
}

/* The trap passes SIGTERM on (kill -TERM $child; wait): graceful, the forward named. */
static void test_shell_trap_forwards(void **state)
{
	(void)state;
	shell_runs_sleep("bash");
	feed_sig(T0, RUNC, INIT, "bash", SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER, 0);
	feed_sig(T0 + MS, INIT, APP, "sleep", SIGTERM, ST_SIG_DELIVERED, ST_DISP_DEFAULT, 0);
	feed_exit(T0 + 2 * MS, APP, "sleep", SIGTERM);
	feed_exit(T0 + 3 * MS, INIT, "bash", 143 << 8);
	finish(T0 + 10 * MS);
	assert_int_equal(stops[0].verdict, TL_GRACEFUL);
	has(stops[0].reason, "PID 1 (bash) passed SIGTERM to sleep (pid 7 in the container)");
	has(stops[0].reason, "killed by SIGTERM");
	has(stops[0].reason, "with code 143");
	lacks(stops[0].reason, "never got");
	assert_int_equal(nalerts, 0);
}

/* ---- init shims ---- */

/*
 * tini, docker-init, dumb-init: the stop signal blocked (taken with
 * sigtimedwait, no delivery), sent on to the child.
 */
static void shim_forwards(const char *shim, const char *app, int result, uint32_t disposition)
{
	init_comm = shim;
	feed_exec(T0 - 5 * SEC, INIT, shim);
	feed_fork(T0 - 5 * SEC + MS, APP);
	feed_exec(T0 - 5 * SEC + 2 * MS, APP, app);
	feed_sig(T0, RUNC, INIT, shim, SIGTERM, ST_SIG_DELIVERED, ST_DISP_DEFAULT, ST_SIGF_BLOCKED);
	feed_sig(T0 + MS / 2, INIT, APP, app, SIGTERM, result, disposition, 0);
}

/* The app runs on until SIGKILL: the kernel's records of the escalation. */
static void shim_killed(const char *app)
{
	tick_to(T0, T0 + 10 * SEC);
	feed_sig(T0 + 10 * SEC, RUNC, INIT, init_comm, SIGKILL, ST_SIG_DELIVERED, ST_DISP_DEFAULT,
		 0);
	feed_exit(T0 + 10 * SEC, INIT, init_comm, SIGKILL);
	teardown_kill(T0 + 10 * SEC + MS, APP, app);
	finish(T0 + 10 * SEC + 10 * MS);
}

static void test_shim_app_killed_graceful(void **state)
{
	static const char *const shims[] = {"tini", "docker-init", "dumb-init", "catatonit"};

	for (size_t i = 0; i < sizeof(shims) / sizeof(shims[0]); i++) {
		char words[64];

		teardown(state);
		setup(state);
		shim_forwards(shims[i], "sleep", ST_SIG_DELIVERED, ST_DISP_DEFAULT);
		feed_exit(T0 + MS, APP, "sleep", SIGTERM);
		feed_exit(T0 + 2 * MS, INIT, shims[i], 143 << 8);
		finish(T0 + 10 * MS);
		assert_int_equal(stops[0].verdict, TL_GRACEFUL);
		snprintf(words, sizeof(words), "PID 1 (%s) is an init shim", shims[i]);
		has(stops[0].reason, words);
		has(stops[0].reason, "forwarded SIGTERM to sleep (pid 7 in the container)");
		has(stops[0].reason, "which was killed by SIGTERM");
		has(stops[0].reason, "with code 143");
		/* blocked, but taken: no stop_signal_blocked */
		assert_int_equal(nalerts, 0);
	}
}

static void test_shim_app_exits(void **state)
{
	(void)state;
	shim_forwards("tini", "python3", ST_SIG_DELIVERED, ST_DISP_HANDLER);
	feed_exit(T0 + 300 * MS, APP, "python3", 0);
	feed_exit(T0 + 301 * MS, INIT, "tini", 0);
	finish(T0 + 310 * MS);
	assert_int_equal(stops[0].verdict, TL_GRACEFUL);
	has(stops[0].reason, "forwarded SIGTERM to python3");
	has(stops[0].reason, "which exited with code 0 299 ms later");
}

static void test_shim_app_ignores(void **state)
{
	const struct tl_alert *a;

	(void)state;
	shim_forwards("tini", "sh", ST_SIG_IGNORED, ST_DISP_IGNORE);
	shim_killed("sh");
	assert_int_equal(stops[0].verdict, TL_STOP_SIGNAL_IGNORED);
	assert_int_equal(stops[0].findings, 1u << TL_STOP_SIGNAL_IGNORED);
	has(stops[0].reason, "PID 1 (tini) is an init shim: it forwarded SIGTERM to sh (pid 7 in "
			     "the container), which ignores it (SIG_IGN)");
	has(stops[0].reason, "Fix: handle SIGTERM in sh and exit");
	lacks(stops[0].reason, "run with an init");
	a = alert_of(TL_ALERT_STOP_SIGNAL_IGNORED);
	assert_non_null(a);
	assert_string_equal(a->comm, "sh");
	assert_int_equal(a->ns_pid, 7);
	has(a->message, "PID 1 (tini) is an init shim");
	assert_null(alert_of(TL_ALERT_STOP_SIGNAL_BLOCKED));
}

static void test_shim_app_handles_carries_on(void **state)
{
	(void)state;
	shim_forwards("docker-init", "python3", ST_SIG_DELIVERED, ST_DISP_HANDLER);
	shim_killed("python3");
	assert_int_equal(stops[0].verdict, TL_GRACE_PERIOD_EXCEEDED);
	has(stops[0].reason, "PID 1 (docker-init) is an init shim: it forwarded SIGTERM to "
			     "python3");
	has(stops[0].reason, "which handles it but was still running when SIGKILL came 10000 ms");
	has(stops[0].reason, "make python3 shut down faster");
	assert_null(alert_of(TL_ALERT_STOP_SIGNAL_BLOCKED));
}

/* docker stop -t -1: the still-running alert says the forward and names the app. */
static void test_shim_still_running_names_app(void **state)
{
	const struct tl_alert *a;

	(void)state;
	shim_forwards("tini", "python3", ST_SIG_DELIVERED, ST_DISP_HANDLER);
	tick_to(T0, T0 + 31 * SEC);
	a = alert_of(TL_ALERT_STOP_STILL_RUNNING);
	assert_non_null(a);
	has(a->message,
	    "PID 1 (tini) is still running; PID 1 (tini) is an init shim: it "
	    "forwarded SIGTERM to python3 (pid 7 in the container), which is still running");
	has(a->action, "fix how python3 handles SIGTERM");
	assert_null(alert_of(TL_ALERT_STOP_SIGNAL_BLOCKED));
}

static void test_shim_app_blocks(void **state)
{
	/* tini in sigtimedwait: SIGTERM in real_blocked; the app blocks it */
	(void)state;
	init_comm = "tini";
	feed_fork(T0 - SEC, APP);
	feed_exec(T0 - SEC + MS, APP, "app");
	feed_sig(T0, RUNC, INIT, "tini", SIGTERM, ST_SIG_DELIVERED, ST_DISP_DEFAULT,
		 ST_SIGF_REAL_BLOCKED);
	feed_sig(T0 + MS, INIT, APP, "app", SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER,
		 ST_SIGF_BLOCKED);
	shim_killed("app");
	assert_int_equal(stops[0].verdict, TL_STOP_SIGNAL_BLOCKED);
	has(stops[0].reason, "forwarded SIGTERM to app (pid 7 in the container), which blocks it");
	has(stops[0].reason, "unblock SIGTERM in app");
}

/*
 * dumb-init sends to the child's process group: one record per process of it,
 * the newest first, and again to one already dying. Its child sh is the one named.
 */
static void test_shim_group_forward(void **state)
{
	(void)state;
	init_comm = "dumb-init";
	feed_fork(T0 - SEC, APP);
	feed_exec(T0 - SEC + MS, APP, "sh");
	feed_sig(T0, RUNC, INIT, "dumb-init", SIGTERM, ST_SIG_DELIVERED, ST_DISP_DEFAULT,
		 ST_SIGF_BLOCKED);
	feed_sig(T0 + 10000, INIT, APP2, "sleep", SIGTERM, ST_SIG_DELIVERED, ST_DISP_DEFAULT, 0);
	feed_sig(T0 + 20000, INIT, APP, "sh", SIGTERM, ST_SIG_DELIVERED, ST_DISP_DEFAULT, 0);
	feed_exit(T0 + 30000, APP, "sh", SIGTERM);
	feed_exit(T0 + 40000, APP2, "sleep", SIGTERM);
	feed_sig(T0 + 50000, INIT, APP2, "sleep", SIGTERM, ST_SIG_IGNORED, ST_DISP_DEFAULT, 0);
	feed_exit(T0 + 2 * MS, INIT, "dumb-init", 143 << 8);
	finish(T0 + 10 * MS);
	assert_int_equal(stops[0].verdict, TL_GRACEFUL);
	has(stops[0].reason, "forwarded SIGTERM to sh (pid 7 in the container) and 1 other "
			     "process of its group, which was killed by SIGTERM");
	assert_int_equal(nalerts, 0);
}

/* The app went, the shim did not: PID 1 outlasted the grace, named as such. */
static void test_shim_lingers(void **state)
{
	(void)state;
	shim_forwards("tini", "sleep", ST_SIG_DELIVERED, ST_DISP_DEFAULT);
	feed_exit(T0 + MS, APP, "sleep", SIGTERM);
	tick_to(T0, T0 + 10 * SEC);
	feed_sig(T0 + 10 * SEC, RUNC, INIT, "tini", SIGKILL, ST_SIG_DELIVERED, ST_DISP_DEFAULT, 0);
	feed_exit(T0 + 10 * SEC, INIT, "tini", SIGKILL);
	finish(T0 + 10 * SEC + 10 * MS);
	assert_int_equal(stops[0].verdict, TL_GRACE_PERIOD_EXCEEDED);
	has(stops[0].reason, "which was killed by SIGTERM");
	has(stops[0].reason, "but PID 1 was still running when SIGKILL came");
}

/* The still-running and blocked alerts name PID 1's program too. */
static void test_alerts_name_pid1(void **state)
{
	const struct tl_alert *a;

	(void)state;
	init_comm = "blocker";
	feed_sig(T0, RUNC, INIT, "blocker", SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER,
		 ST_SIGF_BLOCKED);
	tick_to(T0, T0 + 31 * SEC);
	a = alert_of(TL_ALERT_STOP_SIGNAL_BLOCKED);
	assert_non_null(a);
	assert_string_equal(a->comm, "blocker");
	has(a->message, "SIGTERM to PID 1 (blocker) is pending");
	a = alert_of(TL_ALERT_STOP_STILL_RUNNING);
	assert_non_null(a);
	assert_string_equal(a->comm, "blocker");
	has(a->message, "PID 1 (blocker) is still running");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_shell_child_named),
		T(test_shell_child_from_teardown),
		T(test_shell_busybox_applet_renamed),
		T(test_plain_init_named),
		T(test_shell_trap_deferred),
		T(test_shell_trap_ran_carries_on),
		T(test_shell_trap_forwards),
		T(test_shim_app_killed_graceful),
		T(test_shim_app_exits),
		T(test_shim_app_ignores),
		T(test_shim_app_handles_carries_on),
		T(test_shim_still_running_names_app),
		T(test_shim_app_blocks),
		T(test_shim_group_forward),
		T(test_shim_lingers),
		T(test_alerts_name_pid1),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
