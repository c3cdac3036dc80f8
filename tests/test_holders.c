// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What holds a busy path, found on the live system: a process whose cwd is
 * under it, one that keeps a file open there, a mount below it (root only);
 * and a file's immutable attribute (root, on a filesystem that has them).
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/fs.h>
#include "holders.h"

static char dir[PATH_MAX];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/stoptrace-holders-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char sub[PATH_MAX + 16];

	(void)state;
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	umount2(sub, MNT_DETACH);
	rmdir(sub);
	snprintf(sub, sizeof(sub), "%s/file", dir);
	unlink(sub);
	rmdir(dir);
	return 0;
}

/* A child that waits in dir, or with a file of dir open; killed at the end. */
static pid_t child_in_dir(bool open_file)
{
	int ready[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char file[PATH_MAX + 16];

		if (open_file) {
			snprintf(file, sizeof(file), "%s/file", dir);
			if (open(file, O_CREAT | O_RDWR, 0600) < 0)
				_exit(1);
		} else if (chdir(dir)) {
			_exit(1);
		}
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	return pid;
}

static void stop_child(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static const struct rm_holder *find_pid(const struct rm_holder *h, int n, pid_t pid)
{
	for (int i = 0; i < n; i++)
		if (h[i].pid == (uint32_t)pid)
			return &h[i];
	return NULL;
}

static void test_cwd_holder(void **state)
{
	struct rm_holder h[RM_MAX_HOLDERS];
	const struct rm_holder *mine;
	pid_t pid = child_in_dir(false);
	int n;

	(void)state;
	n = holders_find("", (uint32_t)getpid(), dir, NULL, h, RM_MAX_HOLDERS);
	stop_child(pid);
	assert_true(n >= 1);
	mine = find_pid(h, n, pid);
	assert_non_null(mine);
	assert_string_equal(mine->kind, "cwd");
	assert_string_equal(mine->mount_point, dir);
	assert_true(mine->mount_namespace != 0);
}

static void test_open_file_holder(void **state)
{
	struct rm_holder h[RM_MAX_HOLDERS];
	const struct rm_holder *mine;
	pid_t pid = child_in_dir(true);
	int n;

	(void)state;
	n = holders_find("", (uint32_t)getpid(), dir, NULL, h, RM_MAX_HOLDERS);
	stop_child(pid);
	mine = find_pid(h, n, pid);
	assert_non_null(mine);
	assert_string_equal(mine->kind, "open");
}

static void test_nothing_holds_it(void **state)
{
	struct rm_holder h[RM_MAX_HOLDERS];

	(void)state;
	assert_int_equal(holders_find("", (uint32_t)getpid(), dir, NULL, h, RM_MAX_HOLDERS), 0);
}

static void test_mount_holder(void **state)
{
	struct rm_holder h[RM_MAX_HOLDERS];
	char sub[PATH_MAX + 16];
	int n;

	(void)state;
	if (geteuid() != 0)
		skip();
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(mount("stoptrace-test", sub, "tmpfs", 0, "size=64k"), 0);
	n = holders_find("", (uint32_t)getpid(), dir, NULL, h, RM_MAX_HOLDERS);
	umount2(sub, 0);
	assert_true(n >= 1);
	assert_string_equal(h[0].kind, "mount");
	assert_string_equal(h[0].mount_point, sub);
	assert_string_equal(h[0].fstype, "tmpfs");
	assert_string_equal(h[0].source, "stoptrace-test");
	assert_int_equal(h[0].pid, (uint32_t)getpid());
}

static void test_immutable(void **state)
{
	char file[PATH_MAX + 16];
	bool imm = true, app = true;
	int fd, flags = FS_IMMUTABLE_FL;

	(void)state;
	snprintf(file, sizeof(file), "%s/file", dir);
	fd = open(file, O_CREAT | O_RDWR, 0600);
	assert_true(fd >= 0);
	assert_int_equal(file_attributes(file, &imm, &app), 0);
	assert_false(imm);
	assert_false(app);
	if (geteuid() != 0 || ioctl(fd, FS_IOC_SETFLAGS, &flags)) {
		close(fd);
		skip(); /* needs root and a filesystem with attributes (not tmpfs) */
	}
	assert_int_equal(file_attributes(file, &imm, &app), 0);
	flags = 0;
	ioctl(fd, FS_IOC_SETFLAGS, &flags);
	close(fd);
	assert_true(imm);
	assert_false(app);
	assert_int_equal(file_attributes("/nonexistent/stoptrace", &imm, &app), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cwd_holder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_file_holder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nothing_holds_it, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mount_holder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_immutable, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
