// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Tests for user/kernel/trust.c: which runtime daemons the kernel side may trust.
 * Run from the repository root: tests/fixtures/trust/root holds pid files
 * naming a real-looking dockerd (pid 100, the one to trust), a containerd in
 * a container's cgroup, a crio in another pid namespace, a pid that does not
 * exist, an sshd behind isulad's pid file, and garbage; plus processes in a
 * nested pid namespace, another user namespace, running as uid 1000, in a
 * container's v1 cgroup, and a dockerd in a mount namespace of its own.
 * Pid files with other defects are made in a temporary directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/array_size.h"
#include "kernel/trust.h"

#define ROOT	 "tests/fixtures/trust/root"
#define HOST_MNT 4026531832ULL

static void assert_refused(int pid, const char *comm, int want_err, const char *want_why)
{
	struct trust_daemon d;
	char why[256] = "";
	int err = trust_verify_pid(ROOT, pid, comm, &d, why, sizeof(why));

	if (err != want_err)
		fail_msg("pid %d: %d (%s), want %d", pid, err, why, want_err);
	if (!strstr(why, want_why))
		fail_msg("pid %d: why is '%s', want it to say '%s'", pid, why, want_why);
	assert_int_equal(d.pid, 0);
}

static void test_verify_dockerd(void **state)
{
	struct trust_daemon d;
	char why[256] = "";

	(void)state;
	assert_int_equal(trust_verify_pid(ROOT, 100, "dockerd", &d, why, sizeof(why)), 0);
	assert_int_equal(d.pid, 100);
	assert_string_equal(d.name, "dockerd");
	assert_true(d.mntns == HOST_MNT);
}

static void test_verify_own_mount_namespace(void **state)
{
	struct trust_daemon d;
	char why[256] = "";

	(void)state;
	/* MountFlags=slave: trusted, and its namespace is what runtime_mntns gets */
	assert_int_equal(trust_verify_pid(ROOT, 700, "dockerd", &d, why, sizeof(why)), 0);
	assert_true(d.mntns == 4026532700ULL);
}

static void test_refuse_container_cgroup(void **state)
{
	(void)state;
	assert_refused(200, "containerd", -EPERM, "container's cgroup");
	/* a v1 line is enough, whatever the v2 line says */
	assert_refused(410, "dockerd", -EPERM, "container's cgroup");
}

static void test_refuse_other_pid_namespace(void **state)
{
	(void)state;
	assert_refused(300, "crio", -EPERM, "initial pid namespace");
	assert_refused(310, "crio", -EPERM, "nested pid namespace");
}

static void test_refuse_other_user_namespace(void **state)
{
	(void)state;
	assert_refused(320, "crio", -EPERM, "initial user namespace");
}

static void test_refuse_not_root(void **state)
{
	(void)state;
	assert_refused(400, "dockerd", -EPERM, "as root");
}

static void test_refuse_stale(void **state)
{
	(void)state;
	assert_refused(999, "containerd", -ENOENT, "stale");
	/* the pid went to another process: its comm is not the runtime's */
	assert_refused(600, "isulad", -ENOENT, "not isulad");
	assert_refused(1, NULL, -EINVAL, "no daemon");
	assert_refused(0, NULL, -EINVAL, "no daemon");
}

static void test_pidfiles_in_fixture(void **state)
{
	int pid = 0;

	(void)state;
	assert_int_equal(trust_read_pidfile(ROOT, "/run/docker.pid", &pid), 0);
	assert_int_equal(pid, 100);
	assert_int_equal(trust_read_pidfile(ROOT, "/run/containerd/containerd.pid", &pid), 0);
	assert_int_equal(pid, 200); /* no newline: fine */
	assert_int_equal(trust_read_pidfile(ROOT, "/var/run/docker.pid", &pid), -EINVAL);
	assert_int_equal(trust_read_pidfile(ROOT, "/run/none.pid", &pid), -ENOENT);
}

/* A pid file with content in a temporary directory; returns the directory. */
static char *pidfile(const char *content, mode_t mode)
{
	char *dir = strdup("/tmp/st-trust-XXXXXX");
	char path[256];
	int fd;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/d.pid", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
	return dir;
}

static void cleanup(char *dir)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/d.pid", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/link.pid", dir);
	unlink(path);
	rmdir(dir);
	free(dir);
}

static void test_pidfile_garbage(void **state)
{
	static const char *const bad[] = {
		"",
		"\n",
		"0\n",
		"-5\n",
		"+5\n",
		"12 13\n",
		"12\n13\n",
		"99999999999\n",
		"0x10\n",
		"12abc",
		" 12\n",
		"12\n\n",
		("\0"
		 "12"),
	};
	int pid;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char *dir = pidfile(bad[i], 0644);

		pid = -1;
		if (trust_read_pidfile(dir, "/d.pid", &pid) != -EINVAL)
			fail_msg("pid file '%s' was taken (pid %d)", bad[i], pid);
		cleanup(dir);
	}
	{
		char *dir = pidfile("4242\n", 0644);

		assert_int_equal(trust_read_pidfile(dir, "/d.pid", &pid), 0);
		assert_int_equal(pid, 4242);
		cleanup(dir);
	}
}

static void test_pidfile_writable_by_others(void **state)
{
	char *dir;
	int pid;

	(void)state;
	dir = pidfile("4242\n", 0666);
	assert_int_equal(trust_read_pidfile(dir, "/d.pid", &pid), -EPERM);
	cleanup(dir);
	dir = pidfile("4242\n", 0620);
	assert_int_equal(trust_read_pidfile(dir, "/d.pid", &pid), -EPERM);
	cleanup(dir);
}

static void test_pidfile_symlink_and_dir(void **state)
{
	char *dir = pidfile("4242\n", 0644);
	char link[256];
	int pid;

	(void)state;
	snprintf(link, sizeof(link), "%s/link.pid", dir);
	assert_int_equal(symlink("d.pid", link), 0);
	assert_int_equal(trust_read_pidfile(dir, "/link.pid", &pid), -ELOOP);
	/* a directory is no pid file */
	assert_int_equal(trust_read_pidfile(dir, "", &pid), -EINVAL);
	cleanup(dir);
}

struct refusals {
	int n;
	int pids[16];
	char why[16][256];
};

static void on_refused(void *ctx, const struct trust_source *src, int pid, const char *why)
{
	struct refusals *r = ctx;

	(void)src;
	if (r->n < 16) {
		r->pids[r->n] = pid;
		snprintf(r->why[r->n], sizeof(r->why[0]), "%s", why);
	}
	r->n++;
}

static void test_find_in_fixture(void **state)
{
	struct trust_daemon d[TRUST_MAX_DAEMONS];
	struct refusals r = {};
	int n;

	(void)state;
	n = trust_find(ROOT, d, TRUST_MAX_DAEMONS, on_refused, &r);
	assert_int_equal(n, 1);
	assert_int_equal(d[0].pid, 100);
	assert_string_equal(d[0].name, "dockerd");
	assert_string_equal(d[0].source, "/run/docker.pid");
	/* garbage, container cgroup, stale, other pid namespace, another process */
	assert_int_equal(r.n, 5);
	for (int i = 0; i < r.n; i++)
		assert_true(r.pids[i] == 0 || r.pids[i] == 200 || r.pids[i] == 999 ||
			    r.pids[i] == 300 || r.pids[i] == 600);
}

static void test_find_bounded(void **state)
{
	struct trust_daemon d[1];

	(void)state;
	assert_int_equal(trust_find(ROOT, d, 1, NULL, NULL), 1);
	assert_int_equal(trust_find(ROOT, d, 0, NULL, NULL), 0);
}

static void test_sources_table(void **state)
{
	const struct trust_source *s = trust_sources();
	int n = 0;

	(void)state;
	for (; s->path; s++, n++) {
		assert_true(s->path[0] == '/');
		assert_non_null(s->comm);
	}
	assert_true(n >= 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verify_dockerd),
		cmocka_unit_test(test_verify_own_mount_namespace),
		cmocka_unit_test(test_refuse_container_cgroup),
		cmocka_unit_test(test_refuse_other_pid_namespace),
		cmocka_unit_test(test_refuse_other_user_namespace),
		cmocka_unit_test(test_refuse_not_root),
		cmocka_unit_test(test_refuse_stale),
		cmocka_unit_test(test_pidfiles_in_fixture),
		cmocka_unit_test(test_pidfile_garbage),
		cmocka_unit_test(test_pidfile_writable_by_others),
		cmocka_unit_test(test_pidfile_symlink_and_dir),
		cmocka_unit_test(test_find_in_fixture),
		cmocka_unit_test(test_find_bounded),
		cmocka_unit_test(test_sources_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
