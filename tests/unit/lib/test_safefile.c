// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The rules for the files the monitor writes (user/lib/safefile.h), on temporary
 * directories: symlinks refused where others could plant them, a FIFO and a
 * character device taken for --output, anything but a regular file refused
 * for --record and --metrics-file, the metrics temporary of a random name
 * created 0644 whatever the umask.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sink/metrics.h"
#include "lib/safefile.h"

static char dir[256];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "%s/st-safefile-XXXXXX", getenv("TMPDIR") ?: "/tmp");
	assert_non_null(mkdtemp(dir));
	chmod(dir, 0700);
	return 0;
}

static int teardown(void **state)
{
	char cmd[600];

	(void)state;
	chmod(dir, 0700);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *at(const char *name)
{
	static char buf[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void assert_content(const char *path, const char *want)
{
	char buf[256] = {0};
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_true(read(fd, buf, sizeof(buf) - 1) >= 0);
	close(fd);
	assert_string_equal(buf, want);
}

static void test_dir_private(void **state)
{
	(void)state;
	assert_true(safefile_dir_private(0, 040755, 65534));
	assert_true(safefile_dir_private(65534, 040700, 65534));
	assert_false(safefile_dir_private(0, 041777, 0));    /* /tmp: sticky, world-writable */
	assert_false(safefile_dir_private(0, 040775, 0));    /* group-writable */
	assert_false(safefile_dir_private(1000, 040755, 0)); /* another user's */
}

/* --output: a symlink in a directory others can write is refused, the canary untouched. */
static void test_output_symlink_in_shared_dir(void **state)
{
	char why[SAFEFILE_WHY_MAX];
	int fd;

	(void)state;
	write_file(at("canary"), "canary\n");
	assert_int_equal(mkdir(at("shared"), 0777), 0);
	assert_int_equal(chmod(at("shared"), 01777), 0);
	assert_int_equal(symlink(at("canary"), at("shared/out.json")), 0);
	fd = safefile_open_output(at("shared/out.json"), why, sizeof(why));
	assert_int_equal(fd, -ELOOP);
	assert_non_null(strstr(why, "symlink in a directory others can write"));
	assert_non_null(strstr(why, "shared/out.json"));
	/* a symlinked directory on the way, planted in the shared directory */
	assert_int_equal(symlink(dir, at("shared/d")), 0);
	fd = safefile_open_output(at("shared/d/canary"), why, sizeof(why));
	assert_int_equal(fd, -ELOOP);
	assert_non_null(strstr(why, "'d' on the way"));
	assert_content(at("canary"), "canary\n");
}

/* A symlink in a private directory was put there by its owner: followed. */
static void test_output_symlink_in_private_dir(void **state)
{
	char why[SAFEFILE_WHY_MAX];
	int fd;

	(void)state;
	/* the test's directory is ours, mode 0700: private */
	write_file(at("target"), "");
	assert_int_equal(symlink(at("target"), at("link")), 0);
	fd = safefile_open_output(at("link"), why, sizeof(why));
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x\n", 2), 2);
	close(fd);
	assert_content(at("target"), "x\n");
}

static void test_output_regular_fifo_chardev(void **state)
{
	char why[SAFEFILE_WHY_MAX];
	struct stat st;
	int fd, rd;

	(void)state;
	fd = safefile_open_output(at("out.json"), why, sizeof(why));
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0137, 0); /* 0640 at most: no one else writes it */
	close(fd);
	/* a FIFO with a reader: taken, and written as a blocking file */
	assert_int_equal(mkfifo(at("fifo"), 0600), 0);
	rd = open(at("fifo"), O_RDONLY | O_NONBLOCK);
	assert_true(rd >= 0);
	fd = safefile_open_output(at("fifo"), why, sizeof(why));
	assert_true(fd >= 0);
	assert_false(fcntl(fd, F_GETFL) & O_NONBLOCK);
	assert_int_equal(write(fd, "r\n", 2), 2);
	close(fd);
	close(rd);
	/* without a reader: said, not waited for */
	fd = safefile_open_output(at("fifo"), why, sizeof(why));
	assert_int_equal(fd, -ENXIO);
	assert_non_null(strstr(why, "no reader"));
	/* a character device (what /dev/stdout often is) */
	fd = safefile_open_output("/dev/null", why, sizeof(why));
	assert_true(fd >= 0);
	close(fd);
	/* a directory is not an output */
	fd = safefile_open_output(dir, why, sizeof(why));
	assert_true(fd < 0);
}

/* --record: a FIFO, a symlink, a directory refused without writing anything. */
static void test_record_not_regular(void **state)
{
	char why[SAFEFILE_WHY_MAX];
	int fd;

	(void)state;
	assert_int_equal(mkfifo(at("rec.fifo"), 0600), 0);
	fd = safefile_open_recording(at("rec.fifo"), why, sizeof(why));
	assert_int_equal(fd, -EINVAL);
	assert_non_null(strstr(why, "a FIFO, not a regular file"));
	assert_non_null(strstr(why, "rec.fifo"));
	write_file(at("canary"), "canary\n");
	assert_int_equal(symlink(at("canary"), at("rec.link")), 0);
	fd = safefile_open_recording(at("rec.link"), why, sizeof(why));
	assert_int_equal(fd, -ELOOP);
	assert_non_null(strstr(why, "a symlink, not a regular file"));
	assert_content(at("canary"), "canary\n");
	fd = safefile_open_recording("/dev/null", why, sizeof(why));
	assert_int_equal(fd, -EINVAL);
	assert_non_null(strstr(why, "a character device"));
	/* a regular file: truncated */
	write_file(at("rec"), "old contents\n");
	fd = safefile_open_recording(at("rec"), why, sizeof(why));
	assert_true(fd >= 0);
	close(fd);
	assert_content(at("rec"), "");
}

/* --metrics-file: a symlink or a FIFO at the path refused, nothing written through it. */
static void test_metrics_path_not_regular(void **state)
{
	char why[SAFEFILE_WHY_MAX];

	(void)state;
	write_file(at("canary"), "canary\n");
	assert_int_equal(symlink(at("canary"), at("m.prom")), 0);
	assert_int_equal(safefile_check_regular(at("m.prom"), why, sizeof(why)), -ELOOP);
	assert_int_equal(metrics_write_file(at("m.prom"), "x 1\n", 4), -ELOOP);
	assert_content(at("canary"), "canary\n");
	assert_int_equal(mkfifo(at("f.prom"), 0600), 0);
	assert_int_equal(metrics_write_file(at("f.prom"), "x 1\n", 4), -EINVAL);
	assert_int_equal(safefile_check_regular(at("absent.prom"), why, sizeof(why)), 0);
}

static int count_entries(const char *prefix)
{
	struct dirent *de;
	int n = 0;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, prefix, strlen(prefix)))
			n++;
	closedir(d);
	return n;
}

/*
 * The temporary: a random name (two in a row differ, neither is the old
 * <path>.<pid>.tmp), O_EXCL past a symlink planted at the old name, 0644
 * under umask 077, and nothing left once the file is replaced.
 */
static void test_metrics_temp_random_0644(void **state)
{
	char tmp1[512], tmp2[512], old[512], why[SAFEFILE_WHY_MAX];
	struct stat st;
	mode_t mask;
	int fd;

	(void)state;
	mask = umask(077);
	write_file(at("canary"), "canary\n");
	snprintf(old, sizeof(old), "%s.%d.tmp", at("s.prom"), (int)getpid());
	assert_int_equal(symlink(at("canary"), old), 0);
	fd = safefile_create_temp(at("s.prom"), tmp1, sizeof(tmp1), why, sizeof(why));
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	close(fd);
	fd = safefile_create_temp(at("s.prom"), tmp2, sizeof(tmp2), why, sizeof(why));
	assert_true(fd >= 0);
	close(fd);
	assert_string_not_equal(tmp1, tmp2);
	assert_string_not_equal(tmp1, old);
	assert_int_equal(strlen(tmp1), strlen(at("s.prom")) + 1 + 16 + 4);
	unlink(tmp1);
	unlink(tmp2);
	assert_int_equal(metrics_write_file(at("s.prom"), "stoptrace_up 1\n", 15), 0);
	assert_int_equal(stat(at("s.prom"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_content(at("s.prom"), "stoptrace_up 1\n");
	assert_content(at("canary"), "canary\n");
	/* the file and the planted link only: no temporary left behind */
	assert_int_equal(count_entries("s.prom"), 2);
	umask(mask);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dir_private),
		cmocka_unit_test_setup_teardown(test_output_symlink_in_shared_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_output_symlink_in_private_dir, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_output_regular_fifo_chardev, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_not_regular, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metrics_path_not_regular, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metrics_temp_random_0644, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
