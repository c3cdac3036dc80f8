// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Tests for user/host/running.c and cgroupfs_procs(): what still runs in a
 * container's cgroup, read from a /proc and cgroupfs tree each test writes
 * into a temporary directory (pids that vanished, pids taken by a process of
 * another cgroup, more processes than a sample holds, hostile names).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/cgroupfs.h"
#include "host/running.h"

#define ID  "1111111111111111111111111111111111111111111111111111111111111111"
#define CG  "/docker/" ID
#define UNI "/sys/fs/cgroup/unified"
#define MEM "/sys/fs/cgroup/memory"

static char root[PATH_MAX];

static void mkdirs(const char *path)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(buf, 0755);
		*p = '/';
	}
	mkdir(buf, 0755);
}

static void put(const char *rel, const char *text)
{
	char path[PATH_MAX], dir[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	mkdirs(dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* /proc/<pid>: status (name, state, NSpid), wchan, cgroup */
static void proc(int pid, const char *name, char state, int ns_pid, const char *wchan,
		 const char *cgroup)
{
	char rel[64], text[512];

	snprintf(rel, sizeof(rel), "/proc/%d/status", pid);
	snprintf(text, sizeof(text),
		 "Name:\t%s\nState:\t%c (x)\nTgid:\t%d\nPid:\t%d\nPPid:\t1\nNSpid:\t%d\t%d\n", name,
		 state, pid, pid, pid, ns_pid);
	put(rel, text);
	snprintf(rel, sizeof(rel), "/proc/%d/wchan", pid);
	put(rel, wchan);
	snprintf(rel, sizeof(rel), "/proc/%d/cgroup", pid);
	snprintf(text, sizeof(text), "12:memory:%s\n0::%s\n", cgroup, cgroup);
	put(rel, text);
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/st-test-running-XXXXXX");
	assert_non_null(mkdtemp(root));
	return 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root); /* our own mkdtemp name */
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void test_sample(void **state)
{
	const char *dirs[2] = {UNI, MEM};
	struct running_sample *s = calloc(1, sizeof(*s));

	(void)state;
	put(UNI CG "/cgroup.procs", "100\n101\n102\n103\n");
	proc(100, "bash", 'S', 1, "do_wait", CG);
	proc(101, "sleep", 'S', 7, "hrtimer_nanosleep", CG);
	proc(102, "x\x1b[31m", 'D', 8, "0", CG); /* a hostile name comes back raw */
	/* 103 exited: no /proc/103 */
	assert_int_equal(running_sample(root, dirs, 2, CG, s), 0);
	assert_int_equal(s->n, 3);
	assert_false(s->incomplete);
	assert_int_equal(s->procs[0].pid, 100);
	assert_int_equal(s->procs[0].ns_pid, 1);
	assert_string_equal(s->procs[0].comm, "bash");
	assert_int_equal(s->procs[0].state, 'S');
	assert_string_equal(s->procs[0].wchan, "do_wait");
	assert_int_equal(s->procs[1].ns_pid, 7);
	assert_string_equal(s->procs[1].wchan, "hrtimer_nanosleep");
	assert_string_equal(s->procs[2].comm, "x\x1b[31m");
	assert_int_equal(s->procs[2].state, 'D');
	assert_string_equal(s->procs[2].wchan, ""); /* "0": running, or not told */
	free(s);
}

/* A pid freed and taken by a process of another cgroup is not the container's. */
static void test_pid_reused(void **state)
{
	const char *dirs[1] = {UNI};
	struct running_sample *s = calloc(1, sizeof(*s));

	(void)state;
	put(UNI CG "/cgroup.procs", "200\n201\n");
	proc(200, "app", 'S', 1, "ep_poll", CG);
	proc(201, "sshd", 'S', 201, "do_select", "/system.slice/ssh.service");
	assert_int_equal(running_sample(root, dirs, 1, CG, s), 0);
	assert_int_equal(s->n, 1);
	assert_string_equal(s->procs[0].comm, "app");
	free(s);
}

/* The first hierarchy that has the cgroup is read; none: -ENOENT. */
static void test_hierarchies(void **state)
{
	const char *dirs[3] = {"", UNI, MEM};
	struct running_sample *s = calloc(1, sizeof(*s));

	(void)state;
	put(MEM CG "/cgroup.procs", "300\n");
	proc(300, "redis-server", 'S', 1, "ep_poll", CG);
	assert_int_equal(running_sample(root, dirs, 3, CG, s), 0);
	assert_int_equal(s->n, 1);
	assert_int_equal(running_sample(root, dirs, 3, "/docker/gone", s), -ENOENT);
	assert_int_equal(s->n, 0);
	free(s);
}

/* Paths that could climb out of the hierarchy are refused. */
static void test_bad_paths(void **state)
{
	const char *dirs[1] = {UNI};
	struct running_sample *s = calloc(1, sizeof(*s));

	(void)state;
	put(UNI "/cgroup.procs", "1\n");
	proc(1, "init", 'S', 1, "", "/");
	assert_int_equal(running_sample(root, dirs, 1, "/docker/../", s), -EINVAL);
	assert_int_equal(running_sample(root, dirs, 1, "/docker/..", s), -EINVAL);
	assert_int_equal(running_sample(root, dirs, 1, "/docker/./x", s), -EINVAL);
	assert_int_equal(running_sample(root, dirs, 1, "/", s), -EINVAL);
	assert_int_equal(running_sample(root, dirs, 1, "", s), -EINVAL);
	assert_int_equal(running_sample(root, dirs, 1, "docker/x", s), -EINVAL);
	assert_int_equal(running_sample(root, dirs, 1, "/docker//x", s), -EINVAL);
	assert_int_equal(s->n, 0);
	free(s);
}

/* A cgroup of thousands: RUNNING_MAX kept, marked incomplete, read across chunks. */
static void test_many(void **state)
{
	const char *dirs[1] = {UNI};
	struct running_sample *s = calloc(1, sizeof(*s));
	size_t cap = 10 * 5000, len = 0;
	char *procs = malloc(cap);
	uint32_t pids[RUNNING_MAX + 1];
	bool more;

	(void)state;
	for (int pid = 10000; pid < 15000; pid++)
		len += snprintf(procs + len, cap - len, "%d\n", pid);
	put(UNI CG "/cgroup.procs", procs);
	for (int pid = 10000; pid < 10000 + RUNNING_MAX + 4; pid++)
		proc(pid, "fork", 'S', pid - 9999, "do_wait", CG);
	assert_int_equal(running_sample(root, dirs, 1, CG, s), 0);
	assert_int_equal(s->n, RUNNING_MAX);
	assert_true(s->incomplete);
	assert_int_equal(s->procs[RUNNING_MAX - 1].pid, 10000 + RUNNING_MAX - 1);

	/* exactly max: not more */
	put("/cg/cgroup.procs", "1\n2\n3");
	snprintf(procs, cap, "%s/cg", root);
	assert_int_equal(cgroupfs_procs(procs, pids, 3, &more), 3);
	assert_false(more);
	assert_int_equal(pids[2], 3);
	assert_int_equal(cgroupfs_procs(procs, pids, 2, &more), 2);
	assert_true(more);
	put("/cg/cgroup.procs", "1\nx\n");
	assert_int_equal(cgroupfs_procs(procs, pids, 3, &more), -EINVAL);
	put("/cg/cgroup.procs", "99999999999\n");
	assert_int_equal(cgroupfs_procs(procs, pids, 3, &more), -EINVAL);
	put("/cg/cgroup.procs", "");
	assert_int_equal(cgroupfs_procs(procs, pids, 3, &more), 0);
	free(procs);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sample, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pid_reused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hierarchies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
