// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Tests for the words of the fixes (user/engine/timeline_words.c with the
 * runtimes table's words): for each runtime, and in a Kubernetes pod, the
 * fix of a reason and the action of an alert name that runtime's commands
 * and settings, and no other's; Docker's stay what they always were.
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
#include "identity/runtimes.h"

#include "tl_scenario.h"

/* The container of the next stop: of runtime rt, in a pod with pod. */
static void as_runtime(void **state, enum runtime rt, bool pod)
{
	teardown(state);
	setup(state);
	ctr.runtime = rt;
	if (pod) {
		snprintf(ctr.pod_namespace, sizeof(ctr.pod_namespace), "default");
		snprintf(ctr.pod_name, sizeof(ctr.pod_name), "web-0");
	}
	init_comm = "sleep";
}

/* sleep as PID 1: SIGTERM dropped (no handler), SIGKILL after the grace period. */
static void ignored_stop(void)
{
	feed_sig(T0, RUNC, INIT, init_comm, SIGTERM, ST_SIG_IGNORED, ST_DISP_DEFAULT, 0);
	tick_to(T0, T0 + 2 * SEC);
	feed_sig(T0 + 2 * SEC, RUNC, INIT, init_comm, SIGKILL, ST_SIG_DELIVERED, ST_DISP_DEFAULT,
		 0);
	feed_exit(T0 + 2 * SEC, INIT, init_comm, SIGKILL);
	finish(T0 + 2 * SEC + 10 * MS);
}

/* A handler that takes SIGTERM and carries on: SIGKILL after the grace period. */
static void slow_stop(void)
{
	feed_sig(T0, RUNC, INIT, init_comm, SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER, 0);
	tick_to(T0, T0 + 10 * SEC);
	feed_sig(T0 + 10 * SEC, RUNC, INIT, init_comm, SIGKILL, ST_SIG_DELIVERED, ST_DISP_DEFAULT,
		 0);
	feed_exit(T0 + 10 * SEC, INIT, init_comm, SIGKILL);
	finish(T0 + 10 * SEC + 10 * MS);
}

/* SIGKILL first. */
static void killed_stop(void)
{
	feed_sig(T0, RUNC, INIT, init_comm, SIGKILL, ST_SIG_DELIVERED, ST_DISP_DEFAULT, 0);
	feed_exit(T0, INIT, init_comm, SIGKILL);
	finish(T0 + 10 * MS);
}

/* An ignored SIGTERM and no SIGKILL for 40 s: the stop still runs. */
static void endless_stop(void)
{
	feed_sig(T0, RUNC, INIT, init_comm, SIGTERM, ST_SIG_IGNORED, ST_DISP_DEFAULT, 0);
	tick_to(T0, T0 + 40 * SEC);
}

/* PID 1 exits on SIGTERM, and its pid namespace takes 5 s to go: stuck (no culprits known). */
static void stuck_stop(void)
{
	feed_sig(T0, RUNC, INIT, init_comm, SIGTERM, ST_SIG_DELIVERED, ST_DISP_HANDLER, 0);
	feed_exit(T0 + 100 * MS, INIT, init_comm, 0);
	tick_to(T0 + 100 * MS, T0 + 5 * SEC);
	finish(T0 + 5 * SEC);
}

/* What no runtime but Docker may be told: Docker's commands. */
static void says_no_docker(const char *text)
{
	lacks(text, "docker ");
	lacks(text, "stop_grace_period");
}

struct case_words {
	enum runtime rt;
	bool pod;
	const char *init, *grace, *kill, *kill_now, *stop_signal; /* said in the fixes */
};

static const struct case_words cases[] = {
	{RUNTIME_PODMAN, false, "podman run --init (catatonit)", "podman stop -t", "podman kill",
	 "podman kill the container", "podman run --stop-signal"},
	{RUNTIME_LXC, false, "lxc.init.cmd", "lxc-stop -t", "lxc-stop -k", "lxc-stop -k",
	 "lxc.signal.halt"},
	{RUNTIME_CONTAINERD, false, "tini in the image", "ctr task kill -s SIGKILL",
	 "ctr task kill -s SIGKILL", "ctr task kill -s SIGKILL", "ctr task kill -s"},
	{RUNTIME_CRIO, false, "tini in the image", "crictl stop -t", "crictl rm -f",
	 "crictl stop -t 0", "StopSignal"},
	{RUNTIME_ISULAD, false, "tini in the image", "isula stop -t", "isula kill",
	 "isula kill the container", "StopSignal"},
	{RUNTIME_CONTAINERD, true, "shareProcessNamespace", "terminationGracePeriodSeconds",
	 "crictl stop -t 0", "crictl stop -t 0", "preStop hook"},
	{RUNTIME_DOCKER, true, "shareProcessNamespace", "terminationGracePeriodSeconds",
	 "crictl stop -t 0", "crictl stop -t 0", "preStop hook"},
};

/* Each runtime's fixes name its own commands, and never Docker's. */
static void test_fixes_name_the_runtime(void **state)
{
	const struct tl_alert *a;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct case_words *c = &cases[i];

		as_runtime(state, c->rt, c->pod);
		ignored_stop();
		assert_int_equal(stops[0].verdict, TL_STOP_SIGNAL_IGNORED);
		has(stops[0].reason, c->init);
		has(stops[0].reason, c->stop_signal);
		says_no_docker(stops[0].reason);
		a = alert_of(TL_ALERT_STOP_SIGNAL_IGNORED);
		assert_non_null(a);
		has(a->action, c->init);
		says_no_docker(a->action);

		as_runtime(state, c->rt, c->pod);
		slow_stop();
		assert_int_equal(stops[0].verdict, TL_GRACE_PERIOD_EXCEEDED);
		has(stops[0].reason, c->grace);
		says_no_docker(stops[0].reason);
		if (!c->pod)
			lacks(stops[0].reason, "terminationGracePeriodSeconds");

		as_runtime(state, c->rt, c->pod);
		killed_stop();
		assert_int_equal(stops[0].verdict, TL_KILLED_WITHOUT_GRACE);
		has(stops[0].reason, c->kill);
		says_no_docker(stops[0].reason);

		as_runtime(state, c->rt, c->pod);
		endless_stop();
		a = alert_of(TL_ALERT_STOP_STILL_RUNNING);
		assert_non_null(a);
		has(a->action, c->kill_now);
		says_no_docker(a->action);
		says_no_docker(a->message);
	}
}

/* Docker's words (Compose's too: it is Docker) are what they always were. */
static void test_docker_words_kept(void **state)
{
	const struct tl_alert *a;

	as_runtime(state, RUNTIME_DOCKER, false);
	ignored_stop();
	has(stops[0].reason, "Fix: run with an init (docker run --init, tini) or handle SIGTERM "
			     "in PID 1.");
	a = alert_of(TL_ALERT_STOP_SIGNAL_IGNORED);
	assert_string_equal(a->action, "run the container with an init (docker run --init, tini) "
				       "or handle SIGTERM in PID 1");
	as_runtime(state, RUNTIME_DOCKER, false);
	slow_stop();
	has(stops[0].reason, "Fix: shut down faster, or raise the grace period (docker stop -t, "
			     "stop_grace_period, terminationGracePeriodSeconds).");
	as_runtime(state, RUNTIME_DOCKER, false);
	killed_stop();
	has(stops[0].reason, "with no stop signal before it (docker kill, docker rm -f): the "
			     "application had no chance to shut down.");
	as_runtime(state, RUNTIME_DOCKER, false);
	endless_stop();
	a = alert_of(TL_ALERT_STOP_STILL_RUNNING);
	assert_non_null(a);
	has(a->message, "so only SIGKILL will end it (docker stop -t -1 never sends one)");
	assert_string_equal(a->action,
			    "docker kill the container to end the stop now; then fix how PID 1 "
			    "handles SIGTERM");
	/* a runtime not known gets Docker's words, as before */
	as_runtime(state, RUNTIME_NONE, false);
	slow_stop();
	has(stops[0].reason, "(docker stop -t, stop_grace_period, terminationGracePeriodSeconds)");
}

/* The unpause a stuck teardown's fix names is the runtime's, or none where it has none. */
static void test_unpause_names_the_runtime(void **state)
{
	static const struct {
		enum runtime rt;
		const char *unpause; /* NULL: no command named */
	} want[] = {
		{RUNTIME_DOCKER, "(docker unpause)"},	   {RUNTIME_PODMAN, "(podman unpause)"},
		{RUNTIME_CONTAINERD, "(ctr task resume)"}, {RUNTIME_LXC, "(lxc-unfreeze -n)"},
		{RUNTIME_NONE, "(docker unpause)"},
	};
	const struct tl_alert *a;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		as_runtime(state, want[i].rt, false);
		stuck_stop();
		assert_int_equal(stops[0].verdict, TL_NS_TEARDOWN_STUCK);
		has(stops[0].reason, want[i].unpause);
		a = alert_of(TL_ALERT_NS_TEARDOWN_STUCK);
		assert_non_null(a);
		has(a->action, want[i].unpause);
		if (want[i].rt != RUNTIME_DOCKER && want[i].rt != RUNTIME_NONE) {
			says_no_docker(stops[0].reason);
			says_no_docker(a->action);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fixes_name_the_runtime, setup, teardown),
		cmocka_unit_test_setup_teardown(test_docker_words_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unpause_names_the_runtime, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
