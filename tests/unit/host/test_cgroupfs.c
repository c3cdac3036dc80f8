// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Tests for user/host/cgroupfs.c. Run from the repository root. Fixture trees:
 * tests/fixtures/cgroup/hybrid (v1 hierarchies plus cgroup2 at
 * /sys/fs/cgroup/unified, as on the development hosts) and
 * tests/fixtures/cgroup/v2 (pure cgroup v2, as on most production hosts).
 * The live tests freeze a real child through the cgroup2 freezer and the
 * v1 freezer; they need root and skip without it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "host/cgroupfs.h"
#include "host/mountinfo.h"
#include "host/procfs.h"

#define HYBRID "tests/fixtures/cgroup/hybrid"
#define V2     "tests/fixtures/cgroup/v2"
#define FRZ    HYBRID "/sys/fs/cgroup/freezer"
#define UNI    HYBRID "/sys/fs/cgroup/unified"
#define ID1    "1111111111111111111111111111111111111111111111111111111111111111"
#define ID2    "2222222222222222222222222222222222222222222222222222222222222222"
#define ID3    "3333333333333333333333333333333333333333333333333333333333333333"

/* ---- single files ---- */

static void test_v1_frozen(void **state)
{
	bool frozen;

	(void)state;
	frozen = false;
	assert_int_equal(cgroupfs_v1_frozen(FRZ "/docker/" ID1, &frozen), 0);
	assert_true(frozen);
	frozen = true;
	assert_int_equal(cgroupfs_v1_frozen(FRZ "/docker/" ID2, &frozen), 0);
	assert_false(frozen);
	frozen = false;
	assert_int_equal(cgroupfs_v1_frozen(FRZ "/docker/" ID3, &frozen), 0); /* FREEZING */
	assert_true(frozen);
	assert_int_equal(cgroupfs_v1_frozen(FRZ "/docker/garbage", &frozen), -EINVAL);
	assert_int_equal(cgroupfs_v1_frozen(FRZ, &frozen), -ENOENT); /* the root cgroup */
	assert_int_equal(cgroupfs_v1_frozen(FRZ "/docker/gone", &frozen), -ENOENT);
}

static void test_v2_frozen(void **state)
{
	bool frozen;

	(void)state;
	frozen = false;
	assert_int_equal(cgroupfs_v2_frozen(UNI "/test.slice/frozen-job", &frozen), 0);
	assert_true(frozen);
	frozen = true;
	assert_int_equal(cgroupfs_v2_frozen(UNI "/docker/" ID1, &frozen), 0);
	assert_false(frozen);
	assert_int_equal(cgroupfs_v2_frozen(UNI "/old", &frozen), -EOPNOTSUPP);
	assert_int_equal(cgroupfs_v2_frozen(UNI, &frozen), -ENOENT);
	frozen = false;
	assert_int_equal(
		cgroupfs_v2_frozen(V2 "/sys/fs/cgroup/system.slice/docker-" ID1 ".scope", &frozen),
		0);
	assert_true(frozen);
}

/* ---- a process's cgroups, on fixture trees ---- */

static void expect_container(const char *root, int pid, bool want_frozen, const char *want_how)
{
	char how[128];
	bool frozen = !want_frozen;

	memset(how, 'x', sizeof(how));
	assert_int_equal(cgroupfs_container_frozen(root, pid, &frozen, how, sizeof(how)), 0);
	assert_int_equal(frozen, want_frozen);
	assert_string_equal(how, want_how);
}

static void test_container_hybrid(void **state)
{
	(void)state;
	/* docker pause on v1: the freezer says so, the cgroup2 twin does not */
	expect_container(HYBRID, 100, true, "v1 freezer.state FROZEN");
	expect_container(HYBRID, 200, false, "v1 freezer.state THAWED, v2 cgroup.events frozen 0");
	expect_container(HYBRID, 300, true, "v1 freezer.state FREEZING");
	/* root freezer cgroup (no freezer.state): the v2 freezer decides */
	expect_container(HYBRID, 400, true, "v2 cgroup.events frozen 1");
}

static void test_container_v2_only(void **state)
{
	(void)state;
	expect_container(V2, 800, true, "v2 cgroup.events frozen 1");
	expect_container(V2, 801, false, "v2 cgroup.events frozen 0");
}

static void test_container_errors(void **state)
{
	char how[8];
	bool frozen = false;

	(void)state;
	/* cgroup dir gone, no v2 line */
	assert_int_equal(cgroupfs_container_frozen(HYBRID, 600, &frozen, how, sizeof(how)),
			 -ENOENT);
	assert_int_equal(cgroupfs_container_frozen(HYBRID, 700, &frozen, how, sizeof(how)),
			 -EINVAL);
	/* no such process */
	assert_int_equal(cgroupfs_container_frozen(HYBRID, 999, &frozen, how, sizeof(how)),
			 -ENOENT);
	/* no mountinfo in this tree: the v1 hierarchy has no mount */
	assert_int_equal(cgroupfs_container_frozen("tests/fixtures/proc/root", 4242, &frozen, how,
						   sizeof(how)),
			 -ENOENT);
	/* how is optional, and a short one is cut, not overrun */
	assert_int_equal(cgroupfs_container_frozen(HYBRID, 100, &frozen, NULL, 0), 0);
	assert_true(frozen);
	assert_int_equal(cgroupfs_container_frozen(HYBRID, 100, &frozen, how, sizeof(how)), 0);
	assert_string_equal(how, "v1 free");
}

/* ---- the live system: a real child frozen and thawed ---- */

struct live {
	char dir[PATH_MAX];
	pid_t child;
	bool v1; /* which freezer this test drives */
};

static int write_file(const char *dir, const char *file, const char *text)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	if (n < 0)
		err = -errno;
	close(fd);
	return err;
}

/* Does dir/file hold the text `want`? Polls for up to two seconds. */
static bool wait_for(const char *dir, const char *file, const char *want)
{
	char path[PATH_MAX], buf[512];
	struct timespec ts = {0, 10 * 1000 * 1000};
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	for (int i = 0; i < 200; i++) {
		f = fopen(path, "re");
		if (f) {
			n = fread(buf, 1, sizeof(buf) - 1, f);
			buf[n] = '\0';
			fclose(f);
			if (strstr(buf, want))
				return true;
		}
		nanosleep(&ts, NULL);
	}
	return false;
}

static int live_setup(void **state, bool v1)
{
	struct live *l = calloc(1, sizeof(*l));

	if (!l)
		return -1;
	l->v1 = v1;
	*state = l;
	return 0;
}

static int live_v2_setup(void **state)
{
	return live_setup(state, false);
}

static int live_v1_setup(void **state)
{
	return live_setup(state, true);
}

/* Whatever an assertion left behind: thaw, kill, reap, remove the cgroup. */
static int live_teardown(void **state)
{
	struct timespec ts = {0, 10 * 1000 * 1000};
	struct live *l = *state;

	if (l->child > 0) {
		if (l->dir[0])
			write_file(l->dir, l->v1 ? "freezer.state" : "cgroup.freeze",
				   l->v1 ? "THAWED" : "0");
		kill(l->child, SIGKILL);
		waitpid(l->child, NULL, 0);
	}
	if (l->dir[0]) {
		for (int i = 0; i < 100 && rmdir(l->dir) && errno == EBUSY; i++)
			nanosleep(&ts, NULL);
	}
	free(l);
	return 0;
}

/* Make <mount>/stoptrace-test-XXXXXX and a sleeping child in it. */
static void live_start(struct live *l, const char *mount)
{
	char pid[32];
	int err;

	snprintf(l->dir, sizeof(l->dir), "%s/stoptrace-test-XXXXXX", mount);
	if (!mkdtemp(l->dir)) {
		err = errno;
		l->dir[0] = '\0';
		fail_msg("mkdir under %s: %s", mount, strerror(err));
	}
	l->child = fork();
	if (l->child == 0) {
		for (;;)
			pause();
	}
	assert_true(l->child > 0);
	snprintf(pid, sizeof(pid), "%d", (int)l->child);
	err = write_file(l->dir, "cgroup.procs", pid);
	if (err)
		fail_msg("moving the child into %s: %s", l->dir, strerror(-err));
}

static void test_live_v2_freeze(void **state)
{
	struct live *l = *state;
	char mount[PATH_MAX], how[128];
	bool frozen;
	int err;

	if (geteuid() != 0) {
		print_message("skipped: freezing a cgroup needs root\n");
		skip();
	}
	err = mountinfo_find_cgroup("/proc/self/mountinfo", NULL, mount, sizeof(mount));
	if (err == -ENOENT) {
		print_message("skipped: no cgroup2 mount in /proc/self/mountinfo\n");
		skip();
	}
	assert_int_equal(err, 0);
	live_start(l, mount);

	frozen = true;
	assert_int_equal(cgroupfs_v2_frozen(l->dir, &frozen), 0);
	assert_false(frozen);

	assert_int_equal(write_file(l->dir, "cgroup.freeze", "1"), 0);
	if (!wait_for(l->dir, "cgroup.events", "frozen 1"))
		fail_msg("%s/cgroup.events never said \"frozen 1\"", l->dir);
	frozen = false;
	assert_int_equal(cgroupfs_v2_frozen(l->dir, &frozen), 0);
	assert_true(frozen);
	/* and found from the process, through /proc/<pid>/cgroup and mountinfo */
	frozen = false;
	assert_int_equal(cgroupfs_container_frozen("", l->child, &frozen, how, sizeof(how)), 0);
	assert_true(frozen);
	assert_non_null(strstr(how, "v2 cgroup.events frozen 1"));

	assert_int_equal(write_file(l->dir, "cgroup.freeze", "0"), 0);
	if (!wait_for(l->dir, "cgroup.events", "frozen 0"))
		fail_msg("%s/cgroup.events never said \"frozen 0\"", l->dir);
	frozen = true;
	assert_int_equal(cgroupfs_v2_frozen(l->dir, &frozen), 0);
	assert_false(frozen);
	frozen = true;
	assert_int_equal(cgroupfs_container_frozen("", l->child, &frozen, how, sizeof(how)), 0);
	assert_false(frozen);
	assert_non_null(strstr(how, "v2 cgroup.events frozen 0"));
}

/* S5 on a v1 host: `docker pause` freezes with the v1 freezer, the task shows D. */
static void test_live_v1_freeze(void **state)
{
	struct live *l = *state;
	char mount[PATH_MAX], how[128];
	struct proc_status st;
	bool frozen;
	int err;

	if (geteuid() != 0) {
		print_message("skipped: freezing a cgroup needs root\n");
		skip();
	}
	err = mountinfo_find_cgroup("/proc/self/mountinfo", "freezer", mount, sizeof(mount));
	if (err == -ENOENT) {
		print_message("skipped: no cgroup v1 freezer mount in /proc/self/mountinfo\n");
		skip();
	}
	assert_int_equal(err, 0);
	live_start(l, mount);

	assert_int_equal(write_file(l->dir, "freezer.state", "FROZEN"), 0);
	if (!wait_for(l->dir, "freezer.state", "FROZEN"))
		fail_msg("%s/freezer.state never said FROZEN", l->dir);
	frozen = false;
	assert_int_equal(cgroupfs_v1_frozen(l->dir, &frozen), 0);
	assert_true(frozen);
	frozen = false;
	assert_int_equal(cgroupfs_container_frozen("", l->child, &frozen, how, sizeof(how)), 0);
	assert_true(frozen);
	assert_string_equal(how, "v1 freezer.state FROZEN");
	assert_int_equal(procfs_read_status("", l->child, &st), 0);
	assert_int_equal(st.state, 'D');

	assert_int_equal(write_file(l->dir, "freezer.state", "THAWED"), 0);
	if (!wait_for(l->dir, "freezer.state", "THAWED"))
		fail_msg("%s/freezer.state never said THAWED", l->dir);
	frozen = true;
	assert_int_equal(cgroupfs_v1_frozen(l->dir, &frozen), 0);
	assert_false(frozen);
	frozen = true;
	assert_int_equal(cgroupfs_container_frozen("", l->child, &frozen, how, sizeof(how)), 0);
	assert_false(frozen);
	assert_non_null(strstr(how, "v1 freezer.state THAWED"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v1_frozen),
		cmocka_unit_test(test_v2_frozen),
		cmocka_unit_test(test_container_hybrid),
		cmocka_unit_test(test_container_v2_only),
		cmocka_unit_test(test_container_errors),
		cmocka_unit_test_setup_teardown(test_live_v2_freeze, live_v2_setup, live_teardown),
		cmocka_unit_test_setup_teardown(test_live_v1_freeze, live_v1_setup, live_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
