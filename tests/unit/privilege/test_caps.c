// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Capability names and masks, the runtime set for every kind of kernel, and
 * the drop itself, done in a child process so the test keeps its own sets.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "privilege/caps.h"

#define HOST (CAPS_BIT(CAPS_DAC_READ_SEARCH) | CAPS_BIT(CAPS_SYS_PTRACE))

/* Numbers and names as the kernel's capability.h and capabilities(7) give them. */
static void test_names(void **state)
{
	(void)state;
	assert_string_equal(caps_name(0), "CAP_CHOWN");
	assert_string_equal(caps_name(2), "CAP_DAC_READ_SEARCH");
	assert_string_equal(caps_name(8), "CAP_SETPCAP");
	assert_string_equal(caps_name(19), "CAP_SYS_PTRACE");
	assert_string_equal(caps_name(21), "CAP_SYS_ADMIN");
	assert_string_equal(caps_name(24), "CAP_SYS_RESOURCE");
	assert_string_equal(caps_name(38), "CAP_PERFMON");
	assert_string_equal(caps_name(39), "CAP_BPF");
	assert_string_equal(caps_name(40), "CAP_CHECKPOINT_RESTORE");
	assert_null(caps_name(41));
	assert_null(caps_name(-1));
	assert_null(caps_name(63));
}

static void test_names_of_mask(void **state)
{
	const char *out[64];
	char list[128];
	int n;

	(void)state;
	n = caps_names(CAPS_LOAD, out, 64);
	assert_int_equal(n, 6);
	/* lowest number first */
	assert_string_equal(out[0], "CAP_DAC_READ_SEARCH");
	assert_string_equal(out[1], "CAP_SETPCAP");
	assert_string_equal(out[2], "CAP_SYS_PTRACE");
	assert_string_equal(out[3], "CAP_SYS_RESOURCE");
	assert_string_equal(out[4], "CAP_PERFMON");
	assert_string_equal(out[5], "CAP_BPF");
	/* room for two: the first two */
	assert_int_equal(caps_names(CAPS_LOAD, out, 2), 2);
	assert_string_equal(out[1], "CAP_SETPCAP");
	/* bits without a name are not listed by name */
	assert_int_equal(caps_names(CAPS_BIT(50) | CAPS_BIT(39), out, 64), 1);
	assert_string_equal(out[0], "CAP_BPF");
	assert_int_equal(caps_names(0, out, 64), 0);

	caps_list(HOST, list, sizeof(list));
	assert_string_equal(list, "CAP_DAC_READ_SEARCH, CAP_SYS_PTRACE");
	caps_list(0, list, sizeof(list));
	assert_string_equal(list, "none");
	caps_list(CAPS_BIT(50), list, sizeof(list));
	assert_string_equal(list, "cap 50");
	/* cut where it does not fit, never past the buffer */
	caps_list(CAPS_LOAD, list, 24);
	assert_string_equal(list, "CAP_DAC_READ_SEARCH");
}

static void test_all(void **state)
{
	(void)state;
	assert_int_equal(caps_all(40), 0x1ffffffffffULL);
	assert_int_equal(caps_all(37), 0x3fffffffffULL);
	assert_int_equal(caps_all(0), 1);
	assert_int_equal(caps_all(-1), 0);
	assert_true(caps_all(63) == ~0ULL);
}

/* The runtime set on the kernels users run. */
static void test_runtime_set(void **state)
{
	uint64_t root = caps_all(40);

	(void)state;
	/* 5.19 and later (6.1, 6.12, 6.18): open descriptors need nothing */
	assert_int_equal(caps_runtime_set(root, 40, false), HOST);
	/* 5.10 with unprivileged BPF off: every bpf() command wants CAP_BPF */
	assert_int_equal(caps_runtime_set(root, 40, true), HOST | CAPS_BIT(CAPS_BPF));
	/* before 5.8 there is no CAP_BPF: CAP_SYS_ADMIN stands in */
	assert_int_equal(caps_runtime_set(caps_all(37), 37, true), HOST | CAPS_BIT(CAPS_SYS_ADMIN));
	assert_int_equal(caps_runtime_set(caps_all(37), 37, false), HOST);
	/* started with CAP_SYS_ADMIN but without CAP_BPF on a 5.8+ kernel */
	assert_int_equal(caps_runtime_set(HOST | CAPS_BIT(CAPS_SYS_ADMIN), 40, true),
			 HOST | CAPS_BIT(CAPS_SYS_ADMIN));
	/* never more than held: started with the BPF pair only */
	assert_int_equal(caps_runtime_set(CAPS_BIT(CAPS_BPF) | CAPS_BIT(CAPS_PERFMON), 40, false),
			 0);
	assert_int_equal(caps_runtime_set(CAPS_BIT(CAPS_BPF) | CAPS_BIT(CAPS_PERFMON), 40, true),
			 CAPS_BIT(CAPS_BPF));
	assert_int_equal(caps_runtime_set(CAPS_LOAD, 40, false), HOST);
	assert_int_equal(caps_runtime_set(0, 40, true), 0);
	/* the load set holds the runtime set */
	assert_int_equal(caps_runtime_set(root, 40, true) & ~(CAPS_LOAD | CAPS_BIT(CAPS_SYS_ADMIN)),
			 0);
}

/* The capability lines of a /proc status file. */
struct status_caps {
	uint64_t inh, prm, eff, bnd, amb;
	int nnp;
};

static int read_status(const char *path, struct status_caps *st)
{
	char line[128];
	FILE *f;

	memset(st, 0xff, sizeof(*st));
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "CapInh: %" SCNx64, &st->inh);
		sscanf(line, "CapPrm: %" SCNx64, &st->prm);
		sscanf(line, "CapEff: %" SCNx64, &st->eff);
		sscanf(line, "CapBnd: %" SCNx64, &st->bnd);
		sscanf(line, "CapAmb: %" SCNx64, &st->amb);
		sscanf(line, "NoNewPrivs: %d", &st->nnp);
	}
	fclose(f);
	return 0;
}

static int child_limit(uint64_t keep)
{
	struct caps_state before, after;
	struct status_caps st;

	if (caps_read(&before))
		return 10;
	if (caps_limit(keep, &after))
		return 11;
	if (after.permitted != (keep & before.permitted) || after.effective != after.permitted)
		return 12;
	if (after.inheritable || after.ambient || !after.no_new_privs)
		return 13;
	/* with CAP_SETPCAP the bounding set goes too */
	if ((before.effective & CAPS_BIT(CAPS_SETPCAP)) && after.bounding != after.permitted)
		return 14;
	/* what the kernel shows agrees */
	if (read_status("/proc/self/status", &st))
		return 15;
	if (st.eff != after.effective || st.prm != after.permitted || st.inh || st.amb ||
	    st.nnp != 1)
		return 16;
	return 0;
}

/* fn(keep) in a child process, so that the test keeps its own capabilities. */
static void in_child(int (*fn)(uint64_t), uint64_t keep)
{
	int status;
	pid_t pid;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fn(keep));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* The drop in a child: its sets afterwards, as capget and /proc tell them. */
static void test_limit_in_child(void **state)
{
	(void)state;
	in_child(child_limit, HOST);
	in_child(child_limit, 0);
	in_child(child_limit, HOST | CAPS_BIT(CAPS_BPF));
}

static void *wait_on_pipe(void *arg)
{
	char c;

	while (read(*(int *)arg, &c, 1) < 0)
		;
	return NULL;
}

/* Every thread of the process, as /proc/self/task shows it, holds only keep. */
static int child_threads(uint64_t keep)
{
	struct caps_state before, after;
	pthread_t threads[3];
	int fds[2], tasks = 0, rc = 0;
	struct dirent *de;
	DIR *d;

	if (caps_read(&before) || pipe(fds))
		return 20;
	for (int i = 0; i < 3; i++)
		if (pthread_create(&threads[i], NULL, wait_on_pipe, &fds[0]))
			return 21;
	if (caps_limit(keep, &after))
		return 22;
	d = opendir("/proc/self/task");
	if (!d)
		return 23;
	while ((de = readdir(d)) && !rc) {
		struct status_caps st;
		char path[64];

		if (de->d_name[0] == '.')
			continue;
		tasks++;
		snprintf(path, sizeof(path), "/proc/self/task/%.20s/status", de->d_name);
		if (read_status(path, &st))
			return 24;
		if (st.eff != (keep & before.permitted) || st.prm != st.eff || st.nnp != 1)
			rc = 25;
		if ((before.effective & CAPS_BIT(CAPS_SETPCAP)) && st.bnd != st.prm)
			rc = 26;
	}
	closedir(d);
	if (write(fds[1], "xxx", 3) != 3)
		return 27;
	for (int i = 0; i < 3; i++)
		pthread_join(threads[i], NULL);
	return rc ? rc : tasks == 4 ? 0 : 28;
}

/* Credentials are per thread: threads started before the drop drop too. */
static void test_limit_every_thread(void **state)
{
	(void)state;
	in_child(child_threads, HOST);
}

static void test_user_parse(void **state)
{
	struct caps_user u;
	char msg[256];

	(void)state;
	assert_int_equal(caps_user_parse("root", &u, msg, sizeof(msg)), 0);
	assert_false(u.change);
	assert_int_equal(caps_user_parse("0", &u, msg, sizeof(msg)), 0);
	assert_false(u.change);
	assert_int_equal(caps_user_parse("1234:567", &u, msg, sizeof(msg)), 0);
	assert_true(u.change);
	assert_int_equal(u.uid, 1234);
	assert_int_equal(u.gid, 567);
	assert_int_equal(caps_user_parse("nobody", &u, msg, sizeof(msg)), 0);
	assert_true(u.change);
	assert_int_equal(u.uid, 65534);
	assert_int_equal(caps_user_parse("no-such-user-here", &u, msg, sizeof(msg)), -ENOENT);
	assert_non_null(strstr(msg, "no-such-user-here"));
	assert_int_equal(caps_user_parse("12:x", &u, msg, sizeof(msg)), -EINVAL);
	assert_int_equal(caps_user_parse("0:5", &u, msg, sizeof(msg)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_names_of_mask),
		cmocka_unit_test(test_all),
		cmocka_unit_test(test_runtime_set),
		cmocka_unit_test(test_limit_in_child),
		cmocka_unit_test(test_limit_every_thread),
		cmocka_unit_test(test_user_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
