// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Tests for an init's halt through reboot(2) and for LXC's halt signal
 * (user/engine/timeline_halt.c and the stop signal an init that blocks it
 * gets), written from the kernel's reboot_pid_ns() and LXC's
 * do_lxcapi_shutdown(): lxc-stop sends the halt signal; busybox's init
 * forks a child that calls reboot(), which SIGKILLs the init from the kernel
 * and exits with code 0; or the lxc-start monitor kills after the timeout.
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

#define MSEC	   1000000ULL
#define START	   (500 * 1000 * MSEC)
#define CGID	   4711
#define INIT	   9100 /* host pid of the container's init */
#define HALTER	   9190 /* the child busybox's init forks to call reboot() */
#define LXC_STOP   8800 /* lxc-stop, on the host */
#define LXC_START  8700 /* the lxc-start monitor, on the host */
#define CT_PIDNS   4026533001u
#define HOST_PIDNS 4026531836u

static struct {
	struct tl_stop stop;
	int nstops;
	int nalerts;
} got;
static struct container ct;
static struct timeline *tl;

static void on_alert(void *ctx, const struct tl_alert *a)
{
	(void)ctx;
	(void)a;
	got.nalerts++;
}

static void on_resolved(void *ctx, const struct tl_alert *a)
{
	(void)ctx;
	(void)a;
}

static void on_stop(void *ctx, const struct tl_stop *s)
{
	(void)ctx;
	got.stop = *s;
	got.nstops++;
}

static const struct tl_listener listener = {
	.alert = on_alert,
	.alert_resolved = on_resolved,
	.stop_timeline = on_stop,
};

/* A task of the container (ns_pid 1 for its init), or of the host (pidns HOST_PIDNS). */
static void task_of(struct st_task *t, uint32_t pid, uint32_t ns_pid, bool host)
{
	t->cgroup_id = host ? 1 : CGID;
	t->pid = t->tgid = pid;
	t->ns_pid = t->ns_tgid = ns_pid;
	t->pidns = host ? HOST_PIDNS : CT_PIDNS;
	t->flags = ns_pid == 1 && !host ? ST_TASK_NS_INIT : 0;
	snprintf(t->comm, sizeof(t->comm), "%s", host ? "lxc-stop" : "init");
}

static void feed(struct st_event *e, uint64_t at_ms)
{
	e->ts_ns = START + at_ms * MSEC;
	timeline_event(tl, e, &ct, e->ts_ns + MSEC / 10);
}

/* sig to the init at at_ms from sender: a host process, or one of the container (ns_pid 9). */
static void signal_init(uint64_t at_ms, int sig, uint32_t sender, bool from_host, uint32_t flags)
{
	struct st_event e;

	memset(&e, 0, sizeof(e));
	e.kind = ST_EV_SIGNAL_GENERATE;
	task_of(&e.u.signal.target, INIT, 1, false);
	task_of(&e.u.signal.sender, sender, from_host ? sender : 9, from_host);
	e.u.signal.sig = sig;
	e.u.signal.result = ST_SIG_DELIVERED;
	e.u.signal.disposition = ST_DISP_DEFAULT;
	e.u.signal.sig_flags = flags | ST_SIGF_GROUP | (from_host ? 0 : ST_SIGF_SENDER_IN_NS);
	feed(&e, at_ms);
}

static void exit_of(uint64_t at_ms, uint32_t pid, uint32_t ns_pid, uint32_t raw_code)
{
	struct st_event e;

	memset(&e, 0, sizeof(e));
	e.kind = ST_EV_PROCESS_EXIT;
	task_of(&e.u.exit.task, pid, ns_pid, false);
	e.u.exit.task.flags |= ST_TASK_GROUP_DEAD;
	e.u.exit.exit_code = raw_code;
	feed(&e, at_ms);
}

/* The init released, then its cgroup removed: the stop ends. */
static void end_at(uint64_t at_ms)
{
	struct st_event e;

	memset(&e, 0, sizeof(e));
	e.kind = ST_EV_INIT_RELEASED;
	task_of(&e.u.exit.task, INIT, 1, false);
	e.u.exit.exit_code = SIGKILL;
	feed(&e, at_ms);
	memset(&e, 0, sizeof(e));
	e.kind = ST_EV_CGROUP_RMDIR;
	e.u.cgroup.id = CGID;
	e.u.cgroup.level = 1;
	snprintf(e.u.cgroup.path, sizeof(e.u.cgroup.path), "/lxc.payload.c1");
	feed(&e, at_ms + 1);
}

static int setup(void **state)
{
	struct tl_config cfg;

	(void)state;
	memset(&got, 0, sizeof(got));
	memset(&ct, 0, sizeof(ct));
	ct.runtime = RUNTIME_LXC;
	snprintf(ct.id, sizeof(ct.id), "c1");
	snprintf(ct.name, sizeof(ct.name), "c1");
	snprintf(ct.cgroup, sizeof(ct.cgroup), "/lxc.payload.c1");
	ct.stop_signal = SIGUSR1; /* busybox's template */
	tl_config_defaults(&cfg);
	cfg.start_ns = START - 60000 * MSEC;
	cfg.linger_ns = 0; /* written at the cgroup's removal */
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

/* lxc-stop's SIGUSR1, taken by busybox's init with sigtimedwait. */
static void halt_signal(void)
{
	signal_init(0, SIGUSR1, LXC_STOP, true, ST_SIGF_BLOCKED | ST_SIGF_REAL_BLOCKED);
}

static void assert_halted(void)
{
	assert_int_equal(got.nstops, 1);
	assert_int_equal(got.stop.verdict, TL_GRACEFUL);
	assert_int_equal(got.stop.stop_signal, SIGUSR1);
	assert_int_equal(got.stop.grace_ms, -1); /* no SIGKILL escalated */
	assert_non_null(strstr(got.stop.reason, "halted through reboot(2)"));
	assert_null(strstr(got.stop.reason, "killed by"));
	assert_int_equal(got.nalerts, 0);
}

/* The halt, with its records in the order they are made. */
static void test_busybox_halt(void **state)
{
	(void)state;
	halt_signal();
	signal_init(2014, SIGKILL, HALTER, false, ST_SIGF_FROM_KERNEL);
	exit_of(2014, HALTER, 9, 0);
	exit_of(2015, INIT, 1, SIGKILL);
	end_at(2030);
	assert_halted();
}

/* The init's exit may be read before its halter's: still the halt. */
static void test_halt_init_exit_first(void **state)
{
	(void)state;
	halt_signal();
	signal_init(2014, SIGKILL, HALTER, false, ST_SIGF_FROM_KERNEL);
	exit_of(2014, INIT, 1, SIGKILL);
	exit_of(2015, HALTER, 9, 0);
	end_at(2030);
	assert_halted();
}

/*
 * A kernel SIGKILL whose sender then dies of something else is no halt, and
 * no escalation either: the kernel sent it from inside the namespace.
 */
static void test_kernel_kill_not_halt(void **state)
{
	(void)state;
	halt_signal();
	signal_init(3000, SIGKILL, HALTER, false, ST_SIGF_FROM_KERNEL);
	exit_of(3000, HALTER, 9, SIGKILL);
	exit_of(3001, INIT, 1, SIGKILL);
	end_at(3010);
	assert_int_equal(got.nstops, 1);
	assert_int_equal(got.stop.grace_ms, -1);
	assert_null(strstr(got.stop.reason, "reboot(2)"));
	assert_int_not_equal(got.stop.verdict, TL_KILLED_WITHOUT_GRACE);
	assert_int_not_equal(got.stop.verdict, TL_GRACE_PERIOD_EXCEEDED);
}

/* ... nor one whose sender is never seen to exit within the stop ... */
static void test_kernel_kill_unconfirmed(void **state)
{
	(void)state;
	halt_signal();
	signal_init(3000, SIGKILL, HALTER, false, ST_SIGF_FROM_KERNEL);
	exit_of(3001, INIT, 1, SIGKILL);
	end_at(3010);
	assert_int_equal(got.stop.grace_ms, -1);
	assert_null(strstr(got.stop.reason, "reboot(2)"));
	assert_int_not_equal(got.stop.verdict, TL_KILLED_WITHOUT_GRACE);
	assert_int_not_equal(got.stop.verdict, TL_GRACE_PERIOD_EXCEEDED);
}

/* ... nor a SIGKILL from a process of the container (kill -9 1 inside) ... */
static void test_user_kill_inside_not_halt(void **state)
{
	(void)state;
	halt_signal();
	signal_init(3000, SIGKILL, HALTER, false, 0);
	exit_of(3000, HALTER, 9, 0);
	exit_of(3001, INIT, 1, SIGKILL);
	end_at(3010);
	assert_int_not_equal(got.stop.verdict, TL_GRACEFUL);
	assert_int_equal(got.stop.grace_ms, 3000);
}

/* ... and the lxc-start monitor's kill after lxc-stop's timeout stays a kill after grace. */
static void test_monitor_kill_after_timeout(void **state)
{
	(void)state;
	halt_signal();
	signal_init(10000, SIGKILL, LXC_START, true, 0);
	exit_of(10001, INIT, 1, SIGKILL);
	end_at(10010);
	assert_int_equal(got.stop.verdict, TL_GRACE_PERIOD_EXCEEDED);
	assert_int_equal(got.stop.grace_ms, 10000);
	assert_null(strstr(got.stop.reason, "reboot(2)"));
}

/*
 * No lxc.signal.halt: lxc-stop sends SIGRTMIN+3 to an init that blocks it
 * (systemd), SIGPWR to any other.
 */
static void test_lxc_default_halt_blocked(void **state)
{
	(void)state;
	ct.stop_signal = SIGPWR;
	ct.stop_signal_if_blocked = SIGRTMIN + 3;
	signal_init(0, SIGRTMIN + 3, LXC_STOP, true, ST_SIGF_BLOCKED | ST_SIGF_REAL_BLOCKED);
	exit_of(500, INIT, 1, 0);
	end_at(510);
	assert_int_equal(got.nstops, 1);
	assert_int_equal(got.stop.stop_signal, SIGRTMIN + 3);
	assert_int_equal(got.stop.configured_stop_signal, SIGRTMIN + 3);
	assert_int_equal(got.stop.verdict, TL_GRACEFUL);
}

static void test_lxc_default_halt_unblocked(void **state)
{
	(void)state;
	ct.stop_signal = SIGPWR;
	ct.stop_signal_if_blocked = SIGRTMIN + 3;
	/* SIGRTMIN+3 to an init that does not block it is no halt of LXC's */
	signal_init(0, SIGRTMIN + 3, LXC_STOP, true, 0);
	signal_init(100, SIGPWR, LXC_STOP, true, 0);
	exit_of(600, INIT, 1, 0);
	end_at(610);
	assert_int_equal(got.nstops, 1);
	assert_int_equal(got.stop.stop_signal, SIGPWR);
	assert_int_equal(got.stop.configured_stop_signal, SIGPWR);
	assert_int_equal(got.stop.verdict, TL_GRACEFUL);
}

/* A halt signal configured: SIGRTMIN+3, even blocked, is not it. */
static void test_lxc_configured_halt_wins(void **state)
{
	(void)state;
	signal_init(0, SIGRTMIN + 3, LXC_STOP, true, ST_SIGF_BLOCKED);
	halt_signal();
	exit_of(300, INIT, 1, 0);
	end_at(310);
	assert_int_equal(got.nstops, 1);
	assert_int_equal(got.stop.stop_signal, SIGUSR1);
	assert_int_equal(got.stop.configured_stop_signal, SIGUSR1);
}

/*
 * `halt` run in the container (busybox's halt signals its init, which halts
 * through reboot(2)): no stop signal from outside, so no stop opens at the
 * SIGKILL; PID 1's exit opens it, and the reason says the container halted
 * itself, in either order of the two exits.
 */
static void halt_from_inside(bool init_exits_first)
{
	signal_init(1000, SIGKILL, HALTER, false, ST_SIGF_FROM_KERNEL);
	if (init_exits_first) {
		exit_of(1000, INIT, 1, SIGKILL);
		exit_of(1000, HALTER, 9, 0);
	} else {
		exit_of(1000, HALTER, 9, 0);
		exit_of(1000, INIT, 1, SIGKILL);
	}
	end_at(1010);
	assert_int_equal(got.nstops, 1);
	assert_int_equal(got.stop.verdict, TL_EXITED);
	assert_int_equal(got.stop.stop_signal, 0);
	assert_int_equal(got.stop.grace_ms, -1);
	assert_false(got.stop.partial);
	assert_non_null(strstr(got.stop.reason, "PID 1 (init) halted through reboot(2), with no "
						"stop from outside"));
	assert_null(strstr(got.stop.reason, "killed by"));
}

static void test_halt_from_inside(void **state)
{
	(void)state;
	halt_from_inside(false);
}

static void test_halt_from_inside_init_exit_first(void **state)
{
	(void)state;
	halt_from_inside(true);
}

/* ... but not when the kernel's SIGKILL came from a task that did not exit cleanly. */
static void test_inside_kill_not_halt(void **state)
{
	(void)state;
	signal_init(1000, SIGKILL, HALTER, false, ST_SIGF_FROM_KERNEL);
	exit_of(1000, HALTER, 9, SIGKILL);
	exit_of(1000, INIT, 1, SIGKILL);
	end_at(1010);
	assert_int_equal(got.nstops, 1);
	assert_int_equal(got.stop.verdict, TL_EXITED);
	assert_null(strstr(got.stop.reason, "reboot(2)"));
	assert_non_null(strstr(got.stop.reason, "killed by SIGKILL without a stop from outside"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_busybox_halt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_halt_init_exit_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_kill_not_halt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_kill_unconfirmed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_kill_inside_not_halt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_monitor_kill_after_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lxc_default_halt_blocked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lxc_default_halt_unblocked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lxc_configured_halt_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_halt_from_inside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_halt_from_inside_init_exit_first, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_inside_kill_not_halt, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
