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

#include "tl_scenario.h"

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

/* busybox run by its own name (busybox sleep 300) is no shell: the plain words, naming it. */
static void test_busybox_by_name_no_shell(void **state)
{
	(void)state;
	init_comm = "busybox";
	feed_exec(T0 - 5 * SEC, INIT, "busybox");
	feed_sig(T0, RUNC, INIT, "busybox", SIGTERM, ST_SIG_IGNORED, ST_DISP_DEFAULT, 0);
	feed_sig(T0 + 2 * SEC, RUNC, INIT, "busybox", SIGKILL, ST_SIG_DELIVERED, ST_DISP_DEFAULT,
		 0);
	feed_exit(T0 + 2 * SEC, INIT, "busybox", SIGKILL);
	finish(T0 + 2 * SEC + 10 * MS);
	assert_int_equal(stops[0].verdict, TL_STOP_SIGNAL_IGNORED);
	has(stops[0].reason, "SIGTERM to PID 1 (busybox) was ignored by the kernel");
	lacks(stops[0].reason, "shell");
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
		T(test_busybox_by_name_no_shell),
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
