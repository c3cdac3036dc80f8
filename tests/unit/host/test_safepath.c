// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Tests for user/host/safepath.c: the text check of a removal path, and the
 * walk from a trusted storage root on a fixture tree made in a temporary
 * directory: symlinks anywhere below the root refused, FIFOs, sockets and
 * device nodes refused without being opened, paths under no root refused
 * without any open; the openat() walk (forced) gives the same answers as
 * openat2.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/array_size.h"
#include "host/safepath.h"

static char tmp[64], host[128];
static const char *const roots[] = {"/var/lib/docker", "/var/lib/containerd/"};
#define LAYER "/var/lib/docker/overlay2/L/diff"

static void mk(const char *rel, int kind)
{
	char p[PATH_MAX * 2];

	snprintf(p, sizeof(p), "%s%s", host, rel);
	if (kind == 'd')
		assert_int_equal(mkdir(p, 0755), 0);
	else if (kind == 'f')
		assert_int_equal(close(open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644)), 0);
	else if (kind == 'p')
		assert_int_equal(mkfifo(p, 0644), 0);
}

static void ln(const char *target, const char *rel)
{
	char p[PATH_MAX * 2];

	snprintf(p, sizeof(p), "%s%s", host, rel);
	assert_int_equal(symlink(target, p), 0);
}

static int setup(void **state)
{
	static const char *const dirs[] = {"/var",
					   "/var/lib",
					   "/var/lib/docker",
					   "/var/lib/docker/overlay2",
					   "/var/lib/docker/overlay2/L",
					   LAYER,
					   LAYER "/dir",
					   "/real-containerd",
					   "/real-containerd/x",
					   "/canary-dir"};
	char p[PATH_MAX * 2];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int s;

	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/stoptrace-safepath-XXXXXX");
	if (!mkdtemp(tmp))
		return -1;
	snprintf(host, sizeof(host), "%s/host", tmp);
	if (mkdir(host, 0755))
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
		mk(dirs[i], 'd');
	mk(LAYER "/file", 'f');
	mk(LAYER "/dir/file", 'f');
	mk(LAYER "/fifo", 'p');
	mk("/canary-dir/secret", 'f');
	mk("/canary-file", 'f');
	/* the operator's root may be a symlink they made */
	snprintf(p, sizeof(p), "%s/real-containerd", host);
	ln(p, "/var/lib/containerd");
	mk("/real-containerd/x/file", 'f');
	/* a tenant's symlinks below the root, absolute and relative */
	snprintf(p, sizeof(p), "%s/canary-dir", host);
	ln(p, LAYER "/link-dir");
	ln("../../../../../../canary-dir", LAYER "/rel-dir");
	snprintf(p, sizeof(p), "%s/canary-file", host);
	ln(p, LAYER "/link-final");
	ln("/proc/self/root/etc", LAYER "/magic");
	/* a socket */
	assert_true((size_t)snprintf(p, sizeof(p), "%s%s/sock", host, LAYER) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, p, strlen(p) + 1);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(s);
	/* a device node, where the test may make one */
	snprintf(p, sizeof(p), "%s%s/null", host, LAYER);
	if (mknod(p, S_IFCHR | 0666, makedev(1, 3)))
		mk(LAYER "/null", 'p'); /* not root: a FIFO stands in for it */
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	(void)state;
	safepath_no_openat2 = false;
	nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static void test_check(void **state)
{
	static const char *const good[] = {"/a", "/var/lib/docker/overlay2/x/diff", "/a/.b/..c/...",
					   "/a b/\x01/\xff"};
	static const char *const bad[] = {
		"",	   "a/b",   "/",
		"//a",	   "/a//b", "/a/",
		"/.",	   "/..",   "/a/./b",
		"/a/../b", "/a/..", "/var/lib/docker/overlay2/x/diff/../../../../../../etc/passwd",
	};
	char longname[SAFEPATH_NAME_MAX + 3], longpath[SAFEPATH_MAX + 2];
	uint64_t before;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		assert_int_equal(safepath_check(good[i]), 0);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(safepath_check(bad[i]), -EINVAL);
	assert_int_equal(safepath_check(NULL), -EINVAL);
	longname[0] = '/';
	memset(longname + 1, 'n', SAFEPATH_NAME_MAX);
	longname[SAFEPATH_NAME_MAX + 1] = '\0';
	assert_int_equal(safepath_check(longname), 0);
	longname[SAFEPATH_NAME_MAX + 1] = 'n';
	longname[SAFEPATH_NAME_MAX + 2] = '\0';
	assert_int_equal(safepath_check(longname), -ENAMETOOLONG);
	for (size_t i = 0; i < sizeof(longpath) - 1; i++)
		longpath[i] = i % 2 ? 'a' : '/';
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(safepath_check(longpath), -ENAMETOOLONG);

	/* refusals are counted, acceptances are not */
	before = safepath_refused();
	assert_false(safepath_accept("/a/../b"));
	assert_false(safepath_accept("/a//b"));
	assert_true(safepath_accept("/a/b"));
	assert_int_equal(safepath_refused(), before + 2);
}

struct want {
	const char *path;
	int err;	 /* 0: opened */
	const char *rel; /* where it must lead, under host */
};

static const struct want cases[] = {
	{LAYER "/file", 0, LAYER "/file"},
	{LAYER "/dir/file", 0, LAYER "/dir/file"},
	{LAYER, 0, LAYER},
	{"/var/lib/docker", 0, "/var/lib/docker"},
	{"/var/lib/containerd/x/file", 0, "/real-containerd/x/file"},
	{LAYER "/link-dir/secret", -ELOOP, NULL},
	{LAYER "/rel-dir/secret", -ELOOP, NULL},
	{LAYER "/link-final", -ELOOP, NULL},
	{LAYER "/link-dir", -ELOOP, NULL},
	{LAYER "/magic/passwd", -ELOOP, NULL},
	{LAYER "/file/x", -ENOTDIR, NULL},
	{LAYER "/fifo", -EOPNOTSUPP, NULL},
	{LAYER "/sock", -EOPNOTSUPP, NULL},
	{LAYER "/null", -EOPNOTSUPP, NULL},
	{LAYER "/missing", -ENOENT, NULL},
	{LAYER "/../../../../../canary-file", -EINVAL, NULL},
	{LAYER "/./file", -EINVAL, NULL},
	{"/etc/passwd", -EXDEV, NULL},
	{"/var/lib/dockerx/file", -EXDEV, NULL},
	{"/canary-file", -EXDEV, NULL},
};

static void walk_all(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct want *w = &cases[i];
		int fd = safepath_open(host, roots, 2, w->path);

		if (w->err) {
			if (fd != w->err)
				fail_msg("%s: %d, want %d (openat2 %s)", w->path, fd, w->err,
					 safepath_no_openat2 ? "off" : "on");
			continue;
		}
		if (fd < 0)
			fail_msg("%s: %d, want it opened", w->path, fd);
		{
			char p[PATH_MAX * 2];
			struct safepath_stat st;
			struct stat want;
			int flags = fcntl(fd, F_GETFL);

			snprintf(p, sizeof(p), "%s%s", host, w->rel);
			assert_int_equal(stat(p, &want), 0);
			assert_int_equal(safepath_stat(fd, &st), 0);
			assert_int_equal(st.ino, want.st_ino);
			assert_int_equal(st.is_dir, S_ISDIR(want.st_mode));
			assert_int_equal(major(want.st_dev), st.dev_major);
			assert_int_equal(minor(want.st_dev), st.dev_minor);
			/* only ever a path descriptor: nothing was opened for reading */
			assert_true(flags & O_PATH);
			close(fd);
		}
	}
}

static void test_walk_openat2(void **state)
{
	(void)state;
	safepath_no_openat2 = false;
	walk_all();
}

static void test_walk_per_component(void **state)
{
	(void)state;
	safepath_no_openat2 = true;
	walk_all();
}

static void test_no_root(void **state)
{
	(void)state;
	/* no roots at all: nothing is under one */
	assert_int_equal(safepath_open(host, roots, 0, LAYER "/file"), -EXDEV);
	/* a root that is not absolute never matches */
	{
		static const char *const rel[] = {"var/lib/docker"};

		assert_int_equal(safepath_open(host, rel, 1, LAYER "/file"), -EXDEV);
	}
	/* below an open directory: absolute and dot paths refused */
	assert_int_equal(safepath_open_below(AT_FDCWD, "/etc/passwd"), -EINVAL);
	assert_int_equal(safepath_open_below(AT_FDCWD, "../x"), -EINVAL);
}

static void test_attributes(void **state)
{
	bool imm = true, app = true;
	int err;

	(void)state;
	err = safepath_attributes(host, roots, 2, LAYER "/file", &imm, &app);
	/* a filesystem may not report them; when it does, a new file has neither */
	assert_true(err == 0 || err == -EOPNOTSUPP);
	if (!err) {
		assert_false(imm);
		assert_false(app);
	}
	assert_int_equal(safepath_attributes(host, roots, 2, LAYER "/link-final", &imm, &app),
			 -ELOOP);
	assert_int_equal(safepath_attributes(host, roots, 2, LAYER "/fifo", &imm, &app),
			 -EOPNOTSUPP);
	assert_int_equal(safepath_attributes(host, roots, 2, "/etc/shadow", &imm, &app), -EXDEV);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check),
		cmocka_unit_test_setup_teardown(test_walk_openat2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_walk_per_component, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attributes, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
