// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Decoding of ring-buffer records (sizes per kind, forced termination of
 * strings, a property test over random buffers) and the assembly of the path
 * of an unmount or removal call from the kernel's reversed components.
 *
 * Buffers handed to event_decode are allocated at their exact length so that
 * an AddressSanitizer build catches any read past the record.
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

#include "lib/array_size.h"
#include "kernel/event.h"

#define HDR	    offsetof(struct st_event, u)
#define ELLIPSIS    "\xe2\x80\xa6"
#define LAYER	    "2ce3ac9cfcb2fb46ab344d39e57a9cb3bb0aefb93d119f6d3ff91a8679d96ecf"
#define OVERLAY_DIR "diff\0" LAYER "\0overlay2\0docker\0lib\0var\0"

/* Kind -> payload size, written out independently of event_size(). */
static const struct {
	unsigned int kind;
	size_t size;
	const char *name;
} kinds[] = {
	{ST_EV_SIGNAL_GENERATE, HDR + sizeof(struct st_signal), "signal_generate"},
	{ST_EV_SIGNAL_DELIVER, HDR + sizeof(struct st_deliver), "signal_deliver"},
	{ST_EV_PROCESS_EXIT, HDR + sizeof(struct st_exit), "process_exit"},
	{ST_EV_PROCESS_FORK, HDR + sizeof(struct st_fork), "process_fork"},
	{ST_EV_PROCESS_EXEC, HDR + sizeof(struct st_exec), "process_exec"},
	{ST_EV_INIT_RELEASED, HDR + sizeof(struct st_exit), "init_released"},
	{ST_EV_CGROUP_MKDIR, HDR + sizeof(struct st_cgroup), "cgroup_mkdir"},
	{ST_EV_CGROUP_RMDIR, HDR + sizeof(struct st_cgroup), "cgroup_rmdir"},
	{ST_EV_CGROUP_FREEZE, HDR + sizeof(struct st_cgroup), "cgroup_freeze"},
	{ST_EV_CGROUP_UNFREEZE, HDR + sizeof(struct st_cgroup), "cgroup_unfreeze"},
	{ST_EV_FS_CALL, HDR + sizeof(struct st_fs_call), "fs_call"},
	{ST_EV_OOM_VICTIM, HDR + sizeof(struct st_oom), "oom_victim"},
};
#define NKINDS (ARRAY_SIZE(kinds))

/* A heap copy of exactly len bytes of a record of this kind, the rest 0xab. */
static void *record(unsigned int kind, size_t len)
{
	unsigned char *p = malloc(len ? len : 1);
	struct st_event hdr = {.ts_ns = 123456789, .kind = kind, .cpu = 3};

	assert_non_null(p);
	memset(p, 0xab, len);
	memcpy(p, &hdr, len < HDR ? len : HDR);
	return p;
}

static void test_every_kind_at_exact_size(void **state)
{
	struct st_event out;

	(void)state;
	assert_int_equal(NKINDS, ST_EV_KIND_MAX - 1);
	for (size_t i = 0; i < NKINDS; i++) {
		void *p = record(kinds[i].kind, kinds[i].size);

		/* a call's return is 0 or -errno in every record a kernel writes */
		if (kinds[i].kind == ST_EV_FS_CALL)
			((struct st_event *)p)->u.fs.ret = -16;
		assert_int_equal(event_size(kinds[i].kind), kinds[i].size);
		memset(&out, 0x5a, sizeof(out));
		assert_int_equal(event_decode(p, kinds[i].size, &out), 0);
		assert_int_equal(out.kind, kinds[i].kind);
		assert_int_equal(out.ts_ns, 123456789);
		assert_int_equal(out.cpu, 3);
		/* the payload is copied, what lies past the kind's size is zeroed */
		assert_int_equal(((unsigned char *)&out)[HDR], 0xab);
		assert_int_equal(((unsigned char *)&out)[HDR + 8], 0xab);
		if (kinds[i].size < sizeof(out))
			assert_int_equal(((unsigned char *)&out)[kinds[i].size], 0);
		assert_string_equal(event_kind_name(kinds[i].kind), kinds[i].name);
		free(p);
	}
}

static void test_longer_record_passes(void **state)
{
	struct st_event out;
	size_t len = event_size(ST_EV_PROCESS_EXIT) + 7; /* ring buffer rounds up to 8 */
	void *p = record(ST_EV_PROCESS_EXIT, len);

	(void)state;
	assert_int_equal(event_decode(p, len, &out), 0);
	assert_int_equal(out.kind, ST_EV_PROCESS_EXIT);
	free(p);
}

static void test_one_byte_short_fails(void **state)
{
	struct st_event out;

	(void)state;
	for (size_t i = 0; i < NKINDS; i++) {
		void *p = record(kinds[i].kind, kinds[i].size - 1);

		assert_int_equal(event_decode(p, kinds[i].size - 1, &out), -EINVAL);
		free(p);
	}
	/* shorter than the header itself */
	for (size_t len = 0; len < HDR; len++) {
		void *p = record(ST_EV_SIGNAL_GENERATE, len);

		assert_int_equal(event_decode(p, len, &out), -EINVAL);
		free(p);
	}
}

static void test_unknown_kind_fails(void **state)
{
	const unsigned int bad[] = {0, ST_EV_KIND_MAX, ST_EV_KIND_MAX + 1, 0xffffffffu};
	struct st_event out;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		void *p = record(bad[i], sizeof(struct st_event));

		assert_int_equal(event_size(bad[i]), 0);
		assert_int_equal(event_decode(p, sizeof(struct st_event), &out), -EINVAL);
		assert_null(event_kind_name(bad[i]));
		free(p);
	}
}

static void test_null_and_empty(void **state)
{
	struct st_event out;
	void *p = record(ST_EV_OOM_VICTIM, event_size(ST_EV_OOM_VICTIM));

	(void)state;
	assert_int_equal(event_decode(NULL, sizeof(struct st_event), &out), -EINVAL);
	assert_int_equal(event_decode(NULL, 0, &out), -EINVAL);
	assert_int_equal(event_decode(p, 0, &out), -EINVAL);
	free(p);
}

static void test_full_comm_is_terminated(void **state)
{
	struct st_event in, out;

	(void)state;
	memset(&in, 0, sizeof(in));
	in.kind = ST_EV_SIGNAL_GENERATE;
	memcpy(in.u.signal.target.comm, "0123456789abcdef", ST_COMM_LEN);
	memcpy(in.u.signal.sender.comm, "ABCDEFGHIJKLMNOP", ST_COMM_LEN);
	for (int i = 0; i < ST_ANCESTRY; i++) {
		in.u.signal.ancestry[i].pid = 100 + i;
		memcpy(in.u.signal.ancestry[i].comm, "containerd-shim!", ST_COMM_LEN);
	}
	assert_int_equal(event_decode(&in, event_size(in.kind), &out), 0);
	assert_string_equal(out.u.signal.target.comm, "0123456789abcde");
	assert_string_equal(out.u.signal.sender.comm, "ABCDEFGHIJKLMNO");
	for (int i = 0; i < ST_ANCESTRY; i++)
		assert_string_equal(out.u.signal.ancestry[i].comm, "containerd-shim");

	/* the walk ends at pid 1: what follows it is stale bytes, dropped */
	in.u.signal.ancestry[1].pid = 1;
	assert_int_equal(event_decode(&in, event_size(in.kind), &out), 0);
	assert_int_equal(out.u.signal.ancestry[1].pid, 1);
	for (int i = 2; i < ST_ANCESTRY; i++) {
		assert_int_equal(out.u.signal.ancestry[i].pid, 0);
		assert_string_equal(out.u.signal.ancestry[i].comm, "");
	}

	memset(&in, 0, sizeof(in));
	in.kind = ST_EV_PROCESS_FORK;
	memcpy(in.u.fork.parent.comm, "runc:[0:PARENT]X", ST_COMM_LEN);
	memcpy(in.u.fork.child.comm, "runc:[1:CHILD]XY", ST_COMM_LEN);
	assert_int_equal(event_decode(&in, event_size(in.kind), &out), 0);
	assert_string_equal(out.u.fork.parent.comm, "runc:[0:PARENT]");
	assert_string_equal(out.u.fork.child.comm, "runc:[1:CHILD]X");

	memset(&in, 0, sizeof(in));
	in.kind = ST_EV_CGROUP_RMDIR;
	memset(in.u.cgroup.path, 'p', ST_CGPATH_LEN);
	assert_int_equal(event_decode(&in, event_size(in.kind), &out), 0);
	assert_int_equal(strlen(out.u.cgroup.path), ST_CGPATH_LEN - 1);
}

static void test_fs_lengths_clamped(void **state)
{
	struct st_event in, out;

	(void)state;
	memset(&in, 0, sizeof(in));
	in.kind = ST_EV_FS_CALL;
	in.u.fs.dir_len = ST_DIR_LEN + 1000;
	memset(in.u.fs.dir, 'd', ST_DIR_LEN);
	memset(in.u.fs.name, 'n', ST_NAME_LEN);
	memcpy(in.u.fs.caller.comm, "dockerd-dockerd!", ST_COMM_LEN);
	assert_int_equal(event_decode(&in, event_size(in.kind), &out), 0);
	assert_int_equal(out.u.fs.dir_len, ST_DIR_LEN);
	assert_int_equal(strlen(out.u.fs.name), ST_NAME_LEN - 1);
	assert_string_equal(out.u.fs.caller.comm, "dockerd-dockerd");

	in.u.fs.dir_len = 0xffffffffu;
	assert_int_equal(event_decode(&in, event_size(in.kind), &out), 0);
	assert_int_equal(out.u.fs.dir_len, ST_DIR_LEN);

	in.u.fs.dir_len = 17;
	assert_int_equal(event_decode(&in, event_size(in.kind), &out), 0);
	assert_int_equal(out.u.fs.dir_len, 17);
}

/* A call returns 0 or -errno: anything else is no kernel's record (found by fuzz_event). */
static void test_fs_ret_range(void **state)
{
	static const int32_t bad[] = {INT32_MIN, -4096, 1, INT32_MAX};
	static const int32_t good[] = {0, -1, -16, -4095};
	struct st_event in, out;

	(void)state;
	memset(&in, 0, sizeof(in));
	in.kind = ST_EV_FS_CALL;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		in.u.fs.ret = bad[i];
		assert_int_equal(event_decode(&in, event_size(in.kind), &out), -EINVAL);
	}
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		in.u.fs.ret = good[i];
		assert_int_equal(event_decode(&in, event_size(in.kind), &out), 0);
		assert_int_equal(out.u.fs.ret, good[i]);
	}
}

/* Whether every string of a decoded record ends within its array. */
static bool terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static bool task_ok(const struct st_task *t)
{
	return terminated(t->comm, sizeof(t->comm));
}

static bool decoded_ok(const struct st_event *e)
{
	switch (e->kind) {
	case ST_EV_SIGNAL_GENERATE:
		for (int i = 0; i < ST_ANCESTRY; i++)
			if (!terminated(e->u.signal.ancestry[i].comm, ST_COMM_LEN))
				return false;
		return task_ok(&e->u.signal.target) && task_ok(&e->u.signal.sender);
	case ST_EV_SIGNAL_DELIVER:
		return task_ok(&e->u.deliver.task);
	case ST_EV_PROCESS_EXIT:
	case ST_EV_INIT_RELEASED:
		return task_ok(&e->u.exit.task);
	case ST_EV_PROCESS_FORK:
		return task_ok(&e->u.fork.parent) && task_ok(&e->u.fork.child);
	case ST_EV_PROCESS_EXEC:
		return task_ok(&e->u.exec.task);
	case ST_EV_CGROUP_MKDIR:
	case ST_EV_CGROUP_RMDIR:
	case ST_EV_CGROUP_FREEZE:
	case ST_EV_CGROUP_UNFREEZE:
		return terminated(e->u.cgroup.path, ST_CGPATH_LEN);
	case ST_EV_FS_CALL:
		return task_ok(&e->u.fs.caller) && terminated(e->u.fs.name, ST_NAME_LEN) &&
		       e->u.fs.dir_len <= ST_DIR_LEN;
	case ST_EV_OOM_VICTIM:
		return task_ok(&e->u.oom.killer);
	}
	return false;
}

/*
 * 10,000 random buffers of random length: decode never reads past the buffer
 * (ASan), accepts only known kinds at their size, and what it accepts has
 * every string terminated and a path that assembles.
 */
static void test_random_buffers(void **state)
{
	unsigned int seed = 20261127, accepted = 0, fs_paths = 0;
	char path[2 * (ST_DIR_LEN + ST_NAME_LEN)];
	struct st_event out;

	(void)state;
	for (int iter = 0; iter < 10000; iter++) {
		size_t len = (size_t)rand_r(&seed) % (sizeof(struct st_event) + 64);
		unsigned char *p = malloc(len ? len : 1);
		unsigned int kind;
		int ret;

		assert_non_null(p);
		for (size_t i = 0; i < len; i++)
			p[i] = (unsigned char)rand_r(&seed);
		/* mostly plausible kinds, so that the accepting paths run too */
		kind = (unsigned int)rand_r(&seed) % (ST_EV_KIND_MAX + 2);
		if (len >= HDR && rand_r(&seed) % 4)
			memcpy(p + offsetof(struct st_event, kind), &kind, sizeof(kind));
		/* long enough for its kind half of the time */
		if (len >= HDR && event_size(kind) && rand_r(&seed) % 2 && len < event_size(kind)) {
			free(p);
			len = event_size(kind) + (size_t)rand_r(&seed) % 8;
			p = malloc(len);
			assert_non_null(p);
			for (size_t i = 0; i < len; i++)
				p[i] = (unsigned char)rand_r(&seed);
			memcpy(p + offsetof(struct st_event, kind), &kind, sizeof(kind));
		}

		/* a call's return a kernel could write, most of the time */
		if (kind == ST_EV_FS_CALL && len >= event_size(kind) && rand_r(&seed) % 4) {
			int32_t r = -(rand_r(&seed) % 4096);

			memcpy(p + offsetof(struct st_event, u.fs.ret), &r, sizeof(r));
		}
		memset(&out, 0x5a, sizeof(out));
		ret = event_decode(p, len, &out);
		if (ret == 0) {
			unsigned int k;

			memcpy(&k, p + offsetof(struct st_event, kind), sizeof(k));
			assert_true(len >= event_size(k));
			assert_true(event_size(k) > 0);
			assert_int_equal(out.kind, k);
			assert_true(decoded_ok(&out));
			accepted++;
			if (out.kind == ST_EV_FS_CALL) {
				bool complete = true;
				int n = event_fs_path(&out.u.fs, path, sizeof(path), &complete);

				assert_true(n >= 0);
				assert_int_equal((size_t)n, strlen(path));
				fs_paths++;
			}
		} else {
			assert_int_equal(ret, -EINVAL);
		}
		free(p);
	}
	/* the property was exercised on both sides */
	assert_true(accepted > 1000);
	assert_true(fs_paths > 50);
}

/* An fs_call with dir as given (dir_len bytes, NULs included) and name. */
static void make_fs(struct st_fs_call *fs, const char *dir, size_t dir_len, const char *name,
		    unsigned int flags)
{
	memset(fs, 0, sizeof(*fs));
	memcpy(fs->dir, dir, dir_len);
	fs->dir_len = (unsigned int)dir_len;
	memcpy(fs->name, name, strnlen(name, sizeof(fs->name) - 1));
	fs->path_flags = flags;
	fs->op = ST_FS_UNLINKAT;
	fs->dfd = 7;
}

/* dir literal with its explicit NULs, without the one C adds */
#define DIR(s) (s), (sizeof(s) - 1)

static void expect_path(const struct st_fs_call *fs, const char *want, bool want_complete)
{
	char out[2 * (ST_DIR_LEN + ST_NAME_LEN)];
	bool complete = !want_complete;
	int n;

	n = event_fs_path(fs, out, sizeof(out), &complete);
	assert_int_equal(n, (int)strlen(want));
	assert_string_equal(out, want);
	assert_int_equal(complete, want_complete);
}

static void test_path_overlay_layer(void **state)
{
	struct st_fs_call fs;

	(void)state;
	make_fs(&fs, DIR(OVERLAY_DIR), "keep", 0);
	expect_path(&fs, "/var/lib/docker/overlay2/" LAYER "/diff/keep", true);
	/* the same without the trailing NUL after the top component */
	make_fs(&fs, OVERLAY_DIR, sizeof(OVERLAY_DIR) - 2, "keep", 0);
	expect_path(&fs, "/var/lib/docker/overlay2/" LAYER "/diff/keep", true);
}

static void test_path_absolute_name(void **state)
{
	struct st_fs_call fs;

	(void)state;
	/* dir is ignored when the name was absolute */
	make_fs(&fs, DIR("junk\0more\0"), "/var/lib/docker/containers/abc/mounts/shm",
		ST_PATH_ABSOLUTE);
	expect_path(&fs, "/var/lib/docker/containers/abc/mounts/shm", true);
	make_fs(&fs, "", 0, "/", ST_PATH_ABSOLUTE);
	expect_path(&fs, "/", true);
}

static void test_path_dot_name(void **state)
{
	struct st_fs_call fs;

	(void)state;
	make_fs(&fs, DIR("merged\0" LAYER "\0overlay2\0docker\0lib\0var\0"), ".", 0);
	expect_path(&fs, "/var/lib/docker/overlay2/" LAYER "/merged", true);
	make_fs(&fs, "", 0, ".", 0);
	expect_path(&fs, "/", true);
}

static void test_path_root_dir(void **state)
{
	struct st_fs_call fs;

	(void)state;
	make_fs(&fs, "", 0, "etc", 0);
	expect_path(&fs, "/etc", true);
	/* the root dentry's own name "/" adds nothing, wherever a mount is crossed */
	make_fs(&fs, DIR("/\0"), "etc", 0);
	expect_path(&fs, "/etc", true);
	make_fs(&fs, DIR("etc\0/\0"), "passwd", 0);
	expect_path(&fs, "/etc/passwd", true);
	make_fs(&fs, DIR("shm\0/\0abc\0containers\0docker\0lib\0var\0/\0"), "x", 0);
	expect_path(&fs, "/var/lib/docker/containers/abc/shm/x", true);
}

static void test_path_truncated_walk(void **state)
{
	struct st_fs_call fs;

	(void)state;
	make_fs(&fs, DIR("diff\0" LAYER "\0"), "keep", ST_PATH_DIR_TRUNCATED);
	expect_path(&fs, ELLIPSIS "/" LAYER "/diff/keep", false);
}

static void test_path_unresolved_dir(void **state)
{
	struct st_fs_call fs;

	(void)state;
	make_fs(&fs, "", 0, "keep", ST_PATH_DIR_UNRESOLVED);
	expect_path(&fs, "?/keep", false);
}

static void test_path_long_name_incomplete(void **state)
{
	struct st_fs_call fs;
	char name[ST_NAME_LEN], want[ST_NAME_LEN + 8];

	(void)state;
	memset(name, 'a', ST_NAME_LEN - 1);
	name[ST_NAME_LEN - 1] = '\0';
	make_fs(&fs, DIR("tmp\0"), name, 0);
	snprintf(want, sizeof(want), "/tmp/%s", name);
	expect_path(&fs, want, false); /* 255 bytes: the kernel may have cut it */

	name[ST_NAME_LEN - 2] = '\0';
	make_fs(&fs, DIR("tmp\0"), name, 0);
	snprintf(want, sizeof(want), "/tmp/%s", name);
	expect_path(&fs, want, true); /* 254 bytes: whole */
}

static void test_path_out_too_small(void **state)
{
	const char *want = "/var/lib/docker/overlay2/" LAYER "/diff/keep";
	char out[256];
	struct st_fs_call fs;
	bool complete;

	(void)state;
	make_fs(&fs, DIR(OVERLAY_DIR), "keep", 0);
	/* exactly enough (the NUL included) passes, one byte less does not */
	memset(out, 'z', sizeof(out));
	assert_int_equal(event_fs_path(&fs, out, strlen(want) + 1, &complete), (int)strlen(want));
	assert_string_equal(out, want);
	memset(out, 'z', sizeof(out));
	assert_int_equal(event_fs_path(&fs, out, strlen(want), &complete), -ENOSPC);
	/* nothing was written past cap */
	assert_int_equal(out[strlen(want)], 'z');
	assert_int_equal(event_fs_path(&fs, out, 1, &complete), -ENOSPC);
	assert_int_equal(event_fs_path(&fs, out, 0, &complete), -ENOSPC);

	make_fs(&fs, "", 0, "keep", ST_PATH_DIR_TRUNCATED);
	assert_int_equal(event_fs_path(&fs, out, 3, &complete), -ENOSPC);
	make_fs(&fs, "", 0, "/abs", ST_PATH_ABSOLUTE);
	assert_int_equal(event_fs_path(&fs, out, 4, &complete), -ENOSPC);
	assert_int_equal(event_fs_path(&fs, out, 5, &complete), 4);
}

static void test_path_bytes_kept(void **state)
{
	struct st_fs_call fs;

	(void)state;
	/* escaping is the writers' job: the path holds the bytes as they are */
	make_fs(&fs, DIR("d\x1b[31m\0tmp\0"), "a\nb\"c\\\xff", 0);
	expect_path(&fs, "/tmp/d\x1b[31m/a\nb\"c\\\xff", true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_kind_at_exact_size),
		cmocka_unit_test(test_longer_record_passes),
		cmocka_unit_test(test_one_byte_short_fails),
		cmocka_unit_test(test_unknown_kind_fails),
		cmocka_unit_test(test_null_and_empty),
		cmocka_unit_test(test_full_comm_is_terminated),
		cmocka_unit_test(test_fs_lengths_clamped),
		cmocka_unit_test(test_fs_ret_range),
		cmocka_unit_test(test_random_buffers),
		cmocka_unit_test(test_path_overlay_layer),
		cmocka_unit_test(test_path_absolute_name),
		cmocka_unit_test(test_path_dot_name),
		cmocka_unit_test(test_path_root_dir),
		cmocka_unit_test(test_path_truncated_walk),
		cmocka_unit_test(test_path_unresolved_dir),
		cmocka_unit_test(test_path_long_name_incomplete),
		cmocka_unit_test(test_path_out_too_small),
		cmocka_unit_test(test_path_bytes_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
