// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What holds a busy path, found on the live system: a process whose cwd is
 * it, one that keeps it open, a mount below it (root only); and a file's
 * immutable attribute (root, on a filesystem that has them). Then on a
 * fake /proc made by the test: holders matched by device and inode, never
 * by the text of a link or of a maps line; and the bounds of a scan, each
 * cut said.
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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/fs.h>
#include "host/holders.h"

static char dir[PATH_MAX];
static const char *trusted[1];

/* The live system, the test's directory as the only storage root. */
static int find_live(const char *path, struct holder *h, int max, uint32_t *cut)
{
	/* a budget no scan of a test machine reaches: the scan is whole */
	static const struct holders_limits lim = {.budget_ns = 60ULL * 1000 * 1000 * 1000};
	const struct holders_opts o = {
		.root = "", .trusted = trusted, .ntrusted = 1, .limits = &lim};

	trusted[0] = dir;
	return holders_find(&o, (uint32_t)getpid(), path, NULL, h, max, cut);
}

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

/* A child that waits in dir, or with dir open; killed at the end. */
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

		(void)file;
		if (open_file) {
			/* the busy directory itself, open */
			if (open(dir, O_RDONLY | O_DIRECTORY) < 0)
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

static const struct holder *find_pid(const struct holder *h, int n, pid_t pid)
{
	for (int i = 0; i < n; i++)
		if (h[i].pid == (uint32_t)pid)
			return &h[i];
	return NULL;
}

static void test_cwd_holder(void **state)
{
	struct holder h[HOLDERS_MAX];
	const struct holder *mine;
	pid_t pid = child_in_dir(false);
	int n;

	(void)state;
	n = find_live(dir, h, HOLDERS_MAX, NULL);
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
	struct holder h[HOLDERS_MAX];
	const struct holder *mine;
	pid_t pid = child_in_dir(true);
	int n;

	(void)state;
	n = find_live(dir, h, HOLDERS_MAX, NULL);
	stop_child(pid);
	mine = find_pid(h, n, pid);
	assert_non_null(mine);
	assert_string_equal(mine->kind, "open");
}

static void test_nothing_holds_it(void **state)
{
	struct holder h[HOLDERS_MAX];

	(void)state;
	uint32_t cut = 1;

	assert_int_equal(find_live(dir, h, HOLDERS_MAX, &cut), 0);
	assert_int_equal(cut, 0); /* a whole scan of this host's processes */
}

static void test_mount_holder(void **state)
{
	struct holder h[HOLDERS_MAX];
	char sub[PATH_MAX + 16];
	int n;

	(void)state;
	if (geteuid() != 0)
		skip();
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(mount("stoptrace-test", sub, "tmpfs", 0, "size=64k"), 0);
	n = find_live(dir, h, HOLDERS_MAX, NULL);
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
	trusted[0] = dir;
	assert_int_equal(file_attributes("", trusted, 1, file, &imm, &app), 0);
	assert_false(imm);
	assert_false(app);
	if (geteuid() != 0 || ioctl(fd, FS_IOC_SETFLAGS, &flags)) {
		close(fd);
		skip(); /* needs root and a filesystem with attributes (not tmpfs) */
	}
	assert_int_equal(file_attributes("", trusted, 1, file, &imm, &app), 0);
	flags = 0;
	ioctl(fd, FS_IOC_SETFLAGS, &flags);
	close(fd);
	assert_true(imm);
	assert_false(app);
	assert_int_equal(file_attributes("", trusted, 1, "/nonexistent/stoptrace", &imm, &app),
			 -EXDEV);
}

/* ---- a fake /proc ---- */

static char fx[PATH_MAX];
static const char *const fx_trusted[] = {"/var/lib/docker"};
#define BUSY "/var/lib/docker/busy"

static void fx_path(char *p, size_t cap, const char *rel)
{
	snprintf(p, cap, "%s%s", fx, rel);
}

static void fx_mkdirs(const char *rel)
{
	char p[PATH_MAX * 2];

	fx_path(p, sizeof(p), rel);
	for (char *s = strchr(p + strlen(fx) + 1, '/');; s = strchr(s + 1, '/')) {
		if (s)
			*s = '\0';
		if (mkdir(p, 0755) && errno != EEXIST)
			fail_msg("mkdir %s: %s", p, strerror(errno));
		if (!s)
			break;
		*s = '/';
	}
}

static void fx_write(const char *rel, const char *text, size_t len)
{
	char p[PATH_MAX * 2];
	int fd;

	fx_path(p, sizeof(p), rel);
	fd = open(p, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

static void fx_link(const char *target, const char *rel)
{
	char p[PATH_MAX * 2];

	fx_path(p, sizeof(p), rel);
	assert_int_equal(symlink(target, p), 0);
}

/* A process of the fake /proc, in mount namespace mntns. */
static void fx_pid(int pid, unsigned long long mntns)
{
	char rel[64], ns[64];

	snprintf(rel, sizeof(rel), "/proc/%d/ns", pid);
	fx_mkdirs(rel);
	snprintf(rel, sizeof(rel), "/proc/%d/ns/mnt", pid);
	snprintf(ns, sizeof(ns), "mnt:[%llu]", mntns);
	fx_link(ns, rel);
}

/* A map line of a file by device and inode, whatever its path text says. */
static void fx_map(int pid, const char *of, const char *text)
{
	char p[PATH_MAX * 2], rel[64], line[PATH_MAX * 3];
	struct stat st;
	int n;

	fx_path(p, sizeof(p), of);
	assert_int_equal(stat(p, &st), 0);
	n = snprintf(line, sizeof(line),
		     "7f0000000000-7f0000001000 r--p 00000000 %02x:%02x %llu    %s\n",
		     major(st.st_dev), minor(st.st_dev), (unsigned long long)st.st_ino, text);
	snprintf(rel, sizeof(rel), "/proc/%d/maps", pid);
	fx_write(rel, line, (size_t)n);
}

static int fx_setup(void **state)
{
	static const char caller_mounts[] =
		"21 1 253:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
		"22 21 0:5 / /dev rw shared:2 - devtmpfs udev rw\n";

	(void)state;
	snprintf(fx, sizeof(fx), "/tmp/stoptrace-holders-fx-XXXXXX");
	if (!mkdtemp(fx))
		return -1;
	fx_mkdirs(BUSY);
	fx_mkdirs("/decoy" BUSY);
	fx_mkdirs("/proc");
	/* the caller: nothing mounted at the busy path */
	fx_pid(1, 4026531840ULL);
	fx_write("/proc/1/mountinfo", caller_mounts, sizeof(caller_mounts) - 1);
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static int fx_teardown(void **state)
{
	(void)state;
	nftw(fx, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static int fx_find(const struct holders_limits *lim, struct holder *h, int max, uint32_t *cut)
{
	const struct holders_opts o = {
		.root = fx, .trusted = fx_trusted, .ntrusted = 1, .limits = lim};

	return holders_find(&o, 1, BUSY, NULL, h, max, cut);
}

static const struct holder *fx_holder(const struct holder *h, int n, uint32_t pid)
{
	for (int i = 0; i < n; i++)
		if (h[i].pid == pid)
			return &h[i];
	return NULL;
}

/*
 * Holders by device and inode. A tenant's directory whose path reads like
 * the busy one (in its own view, readlink says exactly BUSY) is another
 * inode: not a holder; nor is a mapping whose text names BUSY.
 */
static void test_match_by_inode(void **state)
{
	struct holder h[HOLDERS_MAX];
	char p[PATH_MAX * 2];
	uint32_t cut = 1;
	int n;

	(void)state;
	fx_path(p, sizeof(p), BUSY);
	fx_pid(100, 4026532001ULL);
	fx_link(p, "/proc/100/cwd"); /* really there */
	fx_pid(101, 4026532002ULL);
	fx_link(BUSY, "/proc/101/cwd"); /* the same text, somewhere else */
	fx_pid(102, 4026532003ULL);
	fx_path(p, sizeof(p), "/decoy" BUSY);
	fx_link(p, "/proc/102/cwd"); /* a look-alike directory */
	fx_pid(103, 4026532004ULL);
	fx_mkdirs("/proc/103/fd");
	fx_path(p, sizeof(p), BUSY);
	fx_link(p, "/proc/103/fd/3"); /* open */
	fx_pid(104, 4026532005ULL);
	fx_map(104, BUSY, "/somewhere/else"); /* mapped, whatever the text */
	fx_pid(105, 4026532006ULL);
	fx_map(105, "/decoy" BUSY, BUSY); /* the text only */

	n = fx_find(NULL, h, HOLDERS_MAX, &cut);
	assert_int_equal(cut, 0);
	assert_int_equal(n, 3);
	assert_non_null(fx_holder(h, n, 100));
	assert_string_equal(fx_holder(h, n, 100)->kind, "cwd");
	assert_string_equal(fx_holder(h, n, 100)->mount_point, BUSY);
	assert_int_equal(fx_holder(h, n, 100)->mount_namespace, 4026532001ULL);
	assert_non_null(fx_holder(h, n, 103));
	assert_string_equal(fx_holder(h, n, 103)->kind, "open");
	assert_non_null(fx_holder(h, n, 104));
	assert_string_equal(fx_holder(h, n, 104)->kind, "map");
	assert_null(fx_holder(h, n, 101));
	assert_null(fx_holder(h, n, 102));
	assert_null(fx_holder(h, n, 105));
}

/*
 * Mounts of other namespaces count by device and root, not by their mount
 * point's text: a tenant's mount at a path that reads like the busy one is
 * not a holder; the same device and root elsewhere is.
 */
static void test_foreign_mounts_by_device(void **state)
{
	static const char caller[] = "21 1 253:0 / / rw shared:1 - ext4 /dev/vda rw\n"
				     "90 21 253:0 /src " BUSY " rw shared:9 - ext4 /dev/vda rw\n";
	static const char lookalike[] = "300 299 0:77 / / rw - overlay overlay rw\n"
					"301 300 0:78 / " BUSY " rw - tmpfs tmpfs rw\n";
	static const char same[] = "400 399 0:88 / / rw - overlay overlay rw\n"
				   "401 400 253:0 /src /mnt/elsewhere rw - ext4 /dev/vda rw\n";
	struct holder h[HOLDERS_MAX];
	uint32_t cut = 1;
	int n;

	(void)state;
	fx_write("/proc/1/mountinfo", caller, sizeof(caller) - 1);
	fx_pid(200, 4026532100ULL);
	fx_write("/proc/200/mountinfo", lookalike, sizeof(lookalike) - 1);
	fx_pid(201, 4026532101ULL);
	fx_write("/proc/201/mountinfo", same, sizeof(same) - 1);

	n = fx_find(NULL, h, HOLDERS_MAX, &cut);
	assert_int_equal(cut, 0);
	assert_int_equal(n, 2);
	assert_string_equal(h[0].kind, "mount");
	assert_int_equal(h[0].pid, 1);
	assert_string_equal(h[0].mount_point, BUSY);
	assert_non_null(fx_holder(h, n, 201));
	assert_string_equal(fx_holder(h, n, 201)->mount_point, "/mnt/elsewhere");
	assert_null(fx_holder(h, n, 200));
}

/* Each bound cuts the scan and says so. */
static void test_caps(void **state)
{
	struct holder h[HOLDERS_MAX];
	struct holders_limits lim = {};
	char p[PATH_MAX * 2], rel[64], why[160];
	uint32_t cut;
	char *big;
	size_t len = 0;
	int n;

	(void)state;
	/* a process with many descriptors, none on the busy path */
	fx_pid(300, 4026532300ULL);
	fx_mkdirs("/proc/300/fd");
	fx_path(p, sizeof(p), "/decoy" BUSY);
	for (int i = 0; i < 100; i++) {
		snprintf(rel, sizeof(rel), "/proc/300/fd/%d", i);
		fx_link(p, rel);
	}
	lim.max_fds = 10;
	cut = 0;
	assert_int_equal(fx_find(&lim, h, HOLDERS_MAX, &cut), 0);
	assert_int_equal(cut, HOLDERS_CUT_FDS);
	assert_string_equal(holders_cut_text(cut, why, sizeof(why)), "descriptor cap");

	/* many processes */
	for (int i = 0; i < 20; i++)
		fx_pid(400 + i, 4026532400ULL + (unsigned)i);
	memset(&lim, 0, sizeof(lim));
	lim.max_procs = 5;
	cut = 0;
	fx_find(&lim, h, HOLDERS_MAX, &cut);
	assert_true(cut & HOLDERS_CUT_PROCS);

	/* a huge maps */
	big = malloc(1 << 20);
	assert_non_null(big);
	while (len < (1 << 19))
		len += (size_t)sprintf(big + len,
				       "7f0000000000-7f0000001000 r--p 00000000 fd:01 %zu /lib/x\n",
				       len + 1);
	fx_write("/proc/300/maps", big, len);
	memset(&lim, 0, sizeof(lim));
	lim.max_maps = 4096;
	cut = 0;
	fx_find(&lim, h, HOLDERS_MAX, &cut);
	assert_true(cut & HOLDERS_CUT_MAPS);

	/* a huge mountinfo: the mount at the busy path after the cap is not seen, and that is said
	 */
	len = 0;
	while (len < (1 << 19))
		len += (size_t)sprintf(big + len, "%zu 21 0:99 / /mnt/m%zu rw - tmpfs tmpfs rw\n",
				       1000 + len, len);
	len += (size_t)sprintf(big + len, "999 21 0:50 / " BUSY " rw - tmpfs busy rw\n");
	fx_write("/proc/1/mountinfo", big, len);
	free(big);
	memset(&lim, 0, sizeof(lim));
	lim.max_mountinfo = 64 * 1024;
	cut = 0;
	n = fx_find(&lim, h, HOLDERS_MAX, &cut);
	assert_true(cut & HOLDERS_CUT_MOUNTINFO);
	for (int i = 0; i < n; i++)
		assert_string_not_equal(h[i].source, "busy");
	/* the whole of it: the mount is found */
	cut = 0;
	n = fx_find(NULL, h, HOLDERS_MAX, &cut);
	assert_false(cut & HOLDERS_CUT_MOUNTINFO);
	assert_true(n >= 1);
	assert_string_equal(h[0].source, "busy");

	/* a budget that is over at once */
	memset(&lim, 0, sizeof(lim));
	lim.budget_ns = 1;
	cut = 0;
	fx_find(&lim, h, HOLDERS_MAX, &cut);
	assert_true(cut & HOLDERS_CUT_TIME);
	assert_string_equal(
		holders_cut_text(HOLDERS_CUT_TIME | HOLDERS_CUT_PROCS, why, sizeof(why)),
		"time budget, process cap");
}

/* A busy path that is not safely openable under a root is said, and nothing is opened. */
static void test_path_refused(void **state)
{
	static const char *const other[] = {"/var/lib/containerd"};
	const struct holders_opts o = {.root = fx, .trusted = other, .ntrusted = 1};
	struct holder h[HOLDERS_MAX];
	uint32_t cut = 0;

	(void)state;
	assert_int_equal(holders_find(&o, 1, BUSY, NULL, h, HOLDERS_MAX, &cut), 0);
	assert_int_equal(cut, HOLDERS_CUT_PATH);
	cut = 0;
	assert_int_equal(fx_find(NULL, h, HOLDERS_MAX, &cut), 0);
	assert_int_equal(cut, 0);
	{
		const struct holders_opts d = {.root = fx, .trusted = fx_trusted, .ntrusted = 1};

		cut = 0;
		assert_int_equal(holders_find(&d, 1, BUSY "/../busy", NULL, h, HOLDERS_MAX, &cut),
				 0);
		assert_int_equal(cut, HOLDERS_CUT_PATH);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cwd_holder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_file_holder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nothing_holds_it, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mount_holder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_immutable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_match_by_inode, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_foreign_mounts_by_device, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_caps, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_path_refused, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
