// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Tests for user/host/culprits.c on the fixture tree tests/fixtures/diagnose/root
 * (see generate.py there): the pid namespace of container "parent" holds its
 * PID 1 (sleep) and a process of container "child" sharing the namespace,
 * in state D in a FROZEN v1 freezer cgroup, with a hostile comm. Run from
 * the repository root.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/culprits.h"

#define ROOT	   "tests/fixtures/diagnose/root"
#define NS_PARENT  4026532001ULL
#define NS_HANDLER 4026532004ULL
#define ID_PARENT  "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
#define ID_CHILD   "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"

static const struct culprit *by_pid(const struct culprit *cs, int n, uint32_t pid)
{
	for (int i = 0; i < n; i++)
		if (cs[i].pid == pid)
			return &cs[i];
	return NULL;
}

/* The paused child keeps the parent's namespace alive: every fact about it. */
static void test_find_frozen_child(void **state)
{
	struct culprit cs[CULPRITS_MAX];
	const struct culprit *c, *p;
	int n;

	(void)state;
	n = culprits_find(ROOT, NS_PARENT, 0, NULL, cs, CULPRITS_MAX);
	assert_int_equal(n, 2);

	c = by_pid(cs, n, 4300);
	assert_non_null(c);
	assert_int_equal(c->ns_pid, 7);
	assert_string_equal(c->comm, "sl\x1b[31meep"); /* raw: escaped at output */
	assert_int_equal(c->state, 'D');
	assert_string_equal(c->wchan, "__refrigerator");
	/* the first frames only, whole lines */
	assert_non_null(strstr(c->stack, "[<0>] __refrigerator+0x4c/0x130\n"));
	assert_null(strstr(c->stack, "entry_SYSCALL_64"));
	assert_true(c->in_container);
	assert_int_equal(c->container.runtime, RUNTIME_DOCKER);
	assert_string_equal(c->container.id, ID_CHILD);
	assert_string_equal(c->container.name, "child");
	assert_true(c->frozen);
	assert_string_equal(c->frozen_how, "v1 freezer.state FROZEN");

	p = by_pid(cs, n, 4242);
	assert_non_null(p);
	assert_int_equal(p->ns_pid, 1);
	assert_string_equal(p->comm, "sleep");
	assert_int_equal(p->state, 'S');
	assert_string_equal(p->container.name, "parent");
	assert_string_equal(p->container.id, ID_PARENT);
	assert_false(p->frozen);
	assert_non_null(strstr(p->frozen_how, "THAWED"));
	assert_string_equal(p->stack, ""); /* no stack file: unreadable */
}

/* The exiting init itself is left out; the count says how many there were. */
static void test_exclude_and_max(void **state)
{
	struct culprit cs[1];
	int n;

	(void)state;
	n = culprits_find(ROOT, NS_PARENT, 4242, NULL, cs, 1);
	assert_int_equal(n, 1);
	assert_int_equal(cs[0].pid, 4300);

	memset(cs, 0, sizeof(cs));
	n = culprits_find(ROOT, NS_PARENT, 0, NULL, cs, 1);
	assert_int_equal(n, 2); /* more than fit: only one filled */
	assert_true(cs[0].pid == 4242 || cs[0].pid == 4300);

	n = culprits_find(ROOT, NS_PARENT, 0, NULL, NULL, 0);
	assert_int_equal(n, 2);
}

static void test_empty_namespace_and_bad_root(void **state)
{
	struct culprit cs[4];

	(void)state;
	assert_int_equal(culprits_find(ROOT, 12345, 0, NULL, cs, 4), 0);
	assert_int_equal(
		culprits_find("tests/fixtures/diagnose/no-such-root", NS_PARENT, 0, NULL, cs, 4),
		-ENOENT);
}

/* A container the caller already knows is named from its table, not re-read. */
static void test_names_from_table(void **state)
{
	struct identity_table *t = identity_table_new();
	struct container known = {.runtime = RUNTIME_DOCKER, .id = ID_CHILD};
	struct culprit cs[CULPRITS_MAX];
	const struct culprit *c;
	int n;

	(void)state;
	assert_non_null(t);
	snprintf(known.name, sizeof(known.name), "from-the-table");
	assert_non_null(identity_table_add(t, 777, &known));
	n = culprits_find(ROOT, NS_PARENT, 0, t, cs, CULPRITS_MAX);
	assert_int_equal(n, 2);
	c = by_pid(cs, n, 4300);
	assert_non_null(c);
	assert_string_equal(c->container.name, "from-the-table");
	assert_string_equal(c->container.cgroup, "/docker/" ID_CHILD);
	c = by_pid(cs, n, 4242);
	assert_string_equal(c->container.name, "parent"); /* not in the table: metadata */
	identity_table_free(t);
}

/* A task in D state that is not frozen: what it waits on. */
static void test_find_d_state_worker(void **state)
{
	struct culprit cs[CULPRITS_MAX];
	const struct culprit *c;
	char fix[256];
	int n;

	(void)state;
	n = culprits_find(ROOT, NS_HANDLER, 4600, NULL, cs, CULPRITS_MAX);
	assert_int_equal(n, 1);
	c = &cs[0];
	assert_int_equal(c->pid, 4601);
	assert_int_equal(c->state, 'D');
	assert_false(c->frozen);
	culprit_fix(c, fix, sizeof(fix));
	assert_string_equal(fix, "it is in uninterruptible sleep in rpc_wait_bit_killable: find "
				 "what it waits on (I/O, NFS, FUSE)");
}

static void test_fix_words(void **state)
{
	struct culprit c;
	char fix[256];

	(void)state;
	memset(&c, 0, sizeof(c));
	c.in_container = true;
	c.frozen = true;
	c.state = 'D';
	c.container.runtime = RUNTIME_DOCKER;
	snprintf(c.container.id, sizeof(c.container.id), "%s", ID_CHILD);
	snprintf(c.container.name, sizeof(c.container.name), "chi");
	culprit_fix(&c, fix, sizeof(fix));
	assert_string_equal(fix, "docker unpause chi");

	/* no name: the short id */
	c.container.name[0] = '\0';
	culprit_fix(&c, fix, sizeof(fix));
	assert_string_equal(fix, "docker unpause b2b2b2b2b2b2");

	c.container.runtime = RUNTIME_PODMAN;
	snprintf(c.container.name, sizeof(c.container.name), "pod-web");
	culprit_fix(&c, fix, sizeof(fix));
	assert_string_equal(fix, "podman unpause pod-web");

	/* not frozen: the state decides */
	c.frozen = false;
	c.wchan[0] = '\0';
	culprit_fix(&c, fix, sizeof(fix));
	assert_string_equal(
		fix, "it is in uninterruptible sleep: find what it waits on (I/O, NFS, FUSE)");
	c.state = 'T';
	culprit_fix(&c, fix, sizeof(fix));
	assert_string_equal(
		fix, "it is stopped (SIGSTOP or a debugger): send SIGCONT or detach the tracer");
	c.state = 't';
	culprit_fix(&c, fix, sizeof(fix));
	assert_non_null(strstr(fix, "detach the tracer"));
	c.state = 'S';
	culprit_fix(&c, fix, sizeof(fix));
	assert_string_equal(
		fix, "it should die with its namespace: if it does not, look at its kernel stack");

	/* a frozen cgroup that is no container's */
	c.in_container = false;
	c.frozen = true;
	culprit_fix(&c, fix, sizeof(fix));
	assert_non_null(strstr(fix, "thaw its cgroup"));

	/* a small buffer is cut, never overrun */
	memset(fix, 'x', sizeof(fix));
	c.frozen = false;
	culprit_fix(&c, fix, 8);
	assert_int_equal(strlen(fix), 7);
	assert_int_equal(fix[8], 'x');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_frozen_child),
		cmocka_unit_test(test_exclude_and_max),
		cmocka_unit_test(test_empty_namespace_and_bad_root),
		cmocka_unit_test(test_names_from_table),
		cmocka_unit_test(test_find_d_state_worker),
		cmocka_unit_test(test_fix_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
