// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * /proc/PID/mountinfo parsing on lines as real kernels write them, malformed
 * lines, and the cgroup mount look-up on fixture files under
 * tests/fixtures/mountinfo (run from the repository root).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>
#include "lib/array_size.h"
#include "host/mountinfo.h"
#include "stoptrace_event.h"

#define FIXTURES "tests/fixtures/mountinfo/"
#define LAYER	 "2ce3ac9cfcb2fb46ab344d39e57a9cb3bb0aefb93d119f6d3ff91a8679d96ecf"

static struct mount_entry *entry(void)
{
	static struct mount_entry m;

	memset(&m, 0x5a, sizeof(m));
	return &m;
}

static void test_overlay_long_options(void **state)
{
	struct mount_entry *m = entry();
	char line[4096], lower[2048] = "";
	size_t n;

	(void)state;
	/* 30 layers: the super options run far past what super_opts holds */
	for (int i = 1; i <= 30; i++) {
		n = strlen(lower);
		snprintf(lower + n, sizeof(lower) - n, "%s/var/lib/docker/overlay2/l/LAYER%021d",
			 i > 1 ? ":" : "", i);
	}
	snprintf(
		line, sizeof(line),
		"1021 22 0:245 / /var/lib/docker/overlay2/" LAYER "/merged rw,relatime "
		"shared:500 - overlay overlay rw,lowerdir=%s,upperdir=/var/lib/docker/overlay2/" LAYER
		"/diff,workdir=/var/lib/docker/overlay2/" LAYER "/work\n",
		lower);
	assert_true(strlen(line) > 1500);

	assert_int_equal(mountinfo_parse_line(line, m), 0);
	assert_int_equal(m->mount_id, 1021);
	assert_int_equal(m->parent_id, 22);
	assert_int_equal(m->major, 0);
	assert_int_equal(m->minor, 245);
	assert_string_equal(m->root, "/");
	assert_string_equal(m->mount_point, "/var/lib/docker/overlay2/" LAYER "/merged");
	assert_string_equal(m->fstype, "overlay");
	assert_string_equal(m->source, "overlay");
	/* cut to fit, NUL-terminated, the start intact */
	assert_int_equal(strlen(m->super_opts), sizeof(m->super_opts) - 1);
	assert_memory_equal(m->super_opts, "rw,lowerdir=/var/lib/docker/overlay2/l/LAYER",
			    strlen("rw,lowerdir=/var/lib/docker/overlay2/l/LAYER"));
}

static void test_cgroup2_line(void **state)
{
	struct mount_entry *m = entry();

	(void)state;
	assert_int_equal(mountinfo_parse_line("30 26 0:26 / /sys/fs/cgroup "
					      "rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 "
					      "cgroup2 rw,nsdelegate,memory_recursiveprot",
					      m),
			 0);
	assert_int_equal(m->mount_id, 30);
	assert_int_equal(m->parent_id, 26);
	assert_int_equal(m->major, 0);
	assert_int_equal(m->minor, 26);
	assert_string_equal(m->root, "/");
	assert_string_equal(m->mount_point, "/sys/fs/cgroup");
	assert_string_equal(m->fstype, "cgroup2");
	assert_string_equal(m->source, "cgroup2");
	assert_string_equal(m->super_opts, "rw,nsdelegate,memory_recursiveprot");
}

static void test_cgroup_v1_line(void **state)
{
	struct mount_entry *m = entry();

	(void)state;
	/* as a container sees its own cgroup: root is the container's cgroup */
	assert_int_equal(mountinfo_parse_line("1175 1170 0:32 /docker/" LAYER
					      " /sys/fs/cgroup/memory ro,nosuid,nodev,noexec,"
					      "relatime master:15 - cgroup cgroup rw,memory\n",
					      m),
			 0);
	assert_int_equal(m->mount_id, 1175);
	assert_int_equal(m->parent_id, 1170);
	assert_int_equal(m->minor, 32);
	assert_string_equal(m->root, "/docker/" LAYER);
	assert_string_equal(m->mount_point, "/sys/fs/cgroup/memory");
	assert_string_equal(m->fstype, "cgroup");
	assert_string_equal(m->source, "cgroup");
	assert_string_equal(m->super_opts, "rw,memory");
}

static void test_optional_fields(void **state)
{
	struct mount_entry *m = entry();

	(void)state;
	assert_int_equal(mountinfo_parse_line("100 22 8:17 / /mnt/data rw,relatime shared:1 "
					      "master:2 - ext4 /dev/sdb1 rw,errors=remount-ro",
					      m),
			 0);
	assert_int_equal(m->major, 8);
	assert_int_equal(m->minor, 17);
	assert_string_equal(m->mount_point, "/mnt/data");
	assert_string_equal(m->fstype, "ext4");
	assert_string_equal(m->source, "/dev/sdb1");
	assert_string_equal(m->super_opts, "rw,errors=remount-ro");
	assert_int_equal(m->shared_id, 1);
	assert_int_equal(m->master_id, 2);

	/* no optional field at all, then three of them */
	assert_int_equal(mountinfo_parse_line("101 22 0:51 / /a rw - tmpfs tmpfs rw", m), 0);
	assert_string_equal(m->fstype, "tmpfs");
	assert_int_equal(m->shared_id, 0);
	assert_int_equal(m->master_id, 0);
	assert_int_equal(mountinfo_parse_line("102 22 0:52 / /b rw shared:7 master:3 "
					      "propagate_from:1 - proc proc rw",
					      m),
			 0);
	assert_string_equal(m->mount_point, "/b");
	assert_int_equal(m->shared_id, 7);
	assert_int_equal(m->master_id, 3);
	assert_int_equal(mountinfo_parse_line("103 22 0:53 / /c rw master:12 - proc proc rw", m),
			 0);
	assert_int_equal(m->shared_id, 0);
	assert_int_equal(m->master_id, 12);
	assert_string_equal(m->fstype, "proc");
	assert_string_equal(m->source, "proc");
}

static void test_escapes(void **state)
{
	struct mount_entry *m = entry();

	(void)state;
	assert_int_equal(mountinfo_parse_line("200 22 8:2 /dir\\134sub /mnt/with\\040space\\011tab "
					      "rw - ext4 /dev/my\\040disk rw",
					      m),
			 0);
	assert_string_equal(m->root, "/dir\\sub");
	assert_string_equal(m->mount_point, "/mnt/with space\ttab");
	assert_string_equal(m->source, "/dev/my disk");
	/* a backslash not followed by three octal digits stays */
	assert_int_equal(mountinfo_parse_line("201 22 8:2 / /x\\9y\\04 rw - ext4 a rw", m), 0);
	assert_string_equal(m->mount_point, "/x\\9y\\04");
}

static void test_malformed_lines(void **state)
{
	static const char *const bad[] = {
		"",
		"\n",
		"22",
		"22 1 0:21 / /",
		"22 1 0:21 / / rw",
		"22 1 0:21 / / rw shared:1 ext4 /dev/vda rw", /* no "-" */
		"22 1 0:21 / / rw shared:1 -",		      /* nothing after "-" */
		"22 1 0:21 / / rw - ext4",		      /* no source */
		"22 1 021 / / rw - ext4 /dev/vda rw",	      /* bad major:minor */
		"22 1 x:y / / rw - ext4 /dev/vda rw",
		"22 1 8: / / rw - ext4 /dev/vda rw",
		"22 1 :1 / / rw - ext4 /dev/vda rw",
		"abc 1 0:21 / / rw - ext4 /dev/vda rw", /* bad ids */
		"22 1x 0:21 / / rw - ext4 /dev/vda rw",
		"41 31 0:38 / ./sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw", /* relative */
		"22 1 0:21 / / rw shared:-2 - ext4 /dev/vda rw", /* bad peer groups */
		"22 1 0:21 / / rw master:99999999999 - ext4 /dev/vda rw",
		"22 1 0:21 / / rw shared:1x - ext4 /dev/vda rw",
		"22 1 0:21 / / rw shared: - ext4 /dev/vda rw",
	};
	struct mount_entry *m = entry();

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int ret = mountinfo_parse_line(bad[i], m);

		if (ret != -EINVAL)
			print_error("accepted: \"%s\"\n", bad[i]);
		assert_int_equal(ret, -EINVAL);
	}
}

/* A device number is "major:minor" and nothing else, as strictly as the ids. */
static void test_major_minor_strict(void **state)
{
	static const char *const bad[] = {
		"22 1 8:1x / / rw - ext4 /dev/vda rw",
		"22 1 -1:2 / / rw - ext4 /dev/vda rw",
	};
	struct mount_entry *m = entry();

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int ret = mountinfo_parse_line(bad[i], m);

		if (ret != -EINVAL)
			print_error("accepted: \"%s\"\n", bad[i]);
		assert_int_equal(ret, -EINVAL);
	}
}

static void test_find_cgroup2(void **state)
{
	char dir[256];

	(void)state;
	memset(dir, 'z', sizeof(dir));
	assert_int_equal(mountinfo_find_cgroup(FIXTURES "hybrid", NULL, dir, sizeof(dir)), 0);
	assert_string_equal(dir, "/sys/fs/cgroup/unified");
	assert_int_equal(mountinfo_find_cgroup(FIXTURES "v2", NULL, dir, sizeof(dir)), 0);
	assert_string_equal(dir, "/sys/fs/cgroup");
	/* the mount point comes back unescaped */
	assert_int_equal(mountinfo_find_cgroup(FIXTURES "escaped", NULL, dir, sizeof(dir)), 0);
	assert_string_equal(dir, "/run/my cg\\root");
}

static void test_find_v1_controller(void **state)
{
	char dir[256];

	(void)state;
	/* "memory_recursiveprot", "nomemory" and a tmpfs named memory come first */
	assert_int_equal(mountinfo_find_cgroup(FIXTURES "hybrid", "memory", dir, sizeof(dir)), 0);
	assert_string_equal(dir, "/sys/fs/cgroup/memory");
	/* a controller in the middle and at the end of a co-mounted list */
	assert_int_equal(mountinfo_find_cgroup(FIXTURES "hybrid", "cpu", dir, sizeof(dir)), 0);
	assert_string_equal(dir, "/sys/fs/cgroup/cpu,cpuacct");
	assert_int_equal(mountinfo_find_cgroup(FIXTURES "hybrid", "cpuacct", dir, sizeof(dir)), 0);
	assert_string_equal(dir, "/sys/fs/cgroup/cpu,cpuacct");
	assert_int_equal(mountinfo_find_cgroup(FIXTURES "hybrid", "pids", dir, sizeof(dir)), 0);
	assert_string_equal(dir, "/sys/fs/cgroup/pids");
}

static void test_find_not_a_lookalike(void **state)
{
	char dir[256] = "unchanged";

	(void)state;
	/* v2 has memory only inside other names and in a cgroup2 mount's options */
	assert_int_equal(mountinfo_find_cgroup(FIXTURES "v2", "memory", dir, sizeof(dir)), -ENOENT);
	assert_string_equal(dir, "unchanged");
	assert_int_equal(mountinfo_find_cgroup(FIXTURES "hybrid", "mem", dir, sizeof(dir)),
			 -ENOENT);
	assert_int_equal(mountinfo_find_cgroup(FIXTURES "hybrid", "systemd", dir, sizeof(dir)),
			 -ENOENT);
	assert_int_equal(mountinfo_find_cgroup(FIXTURES "hybrid", "freezer", dir, sizeof(dir)),
			 -ENOENT);
}

static void test_find_missing(void **state)
{
	char dir[256];

	(void)state;
	assert_int_equal(mountinfo_find_cgroup(FIXTURES "nocgroup", NULL, dir, sizeof(dir)),
			 -ENOENT);
	assert_int_equal(mountinfo_find_cgroup(FIXTURES "nocgroup", "memory", dir, sizeof(dir)),
			 -ENOENT);
	assert_int_equal(mountinfo_find_cgroup(FIXTURES "escaped", "memory", dir, sizeof(dir)),
			 -ENOENT);
	assert_int_equal(mountinfo_find_cgroup(FIXTURES "no-such-file", NULL, dir, sizeof(dir)),
			 -ENOENT);
}

static void test_find_dir_too_small(void **state)
{
	const char *want = "/sys/fs/cgroup/memory";
	char dir[64];

	(void)state;
	assert_int_equal(mountinfo_find_cgroup(FIXTURES "hybrid", "memory", dir, strlen(want)),
			 -ENAMETOOLONG);
	assert_int_equal(mountinfo_find_cgroup(FIXTURES "hybrid", "memory", dir, strlen(want) + 1),
			 0);
	assert_string_equal(dir, want);
}

/* The v1 hierarchy the monitor watches: memory, else pids (no v1 memory controller). */
static void test_find_v1_watched(void **state)
{
	char dir[256] = "unchanged";

	(void)state;
	assert_int_equal(mountinfo_find_v1_watched(FIXTURES "hybrid", dir, sizeof(dir)),
			 ST_V1_MEMORY);
	assert_string_equal(dir, "/sys/fs/cgroup/memory");
	assert_int_equal(mountinfo_find_v1_watched(FIXTURES "v1-nomemory", dir, sizeof(dir)),
			 ST_V1_PIDS);
	assert_string_equal(dir, "/sys/fs/cgroup/pids");
	assert_int_equal(mountinfo_find_v1_watched(FIXTURES "v2", dir, sizeof(dir)), ST_V1_NONE);
	assert_string_equal(dir, "");
	assert_int_equal(mountinfo_find_v1_watched(FIXTURES "no-such-file", dir, sizeof(dir)),
			 ST_V1_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_overlay_long_options),
		cmocka_unit_test(test_cgroup2_line),
		cmocka_unit_test(test_cgroup_v1_line),
		cmocka_unit_test(test_optional_fields),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_malformed_lines),
		cmocka_unit_test(test_major_minor_strict),
		cmocka_unit_test(test_find_cgroup2),
		cmocka_unit_test(test_find_v1_controller),
		cmocka_unit_test(test_find_not_a_lookalike),
		cmocka_unit_test(test_find_missing),
		cmocka_unit_test(test_find_dir_too_small),
		cmocka_unit_test(test_find_v1_watched),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
