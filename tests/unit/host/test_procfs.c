// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Tests for user/host/procfs.c. Run from the repository root: the fixture tree
 * tests/fixtures/proc/root/proc holds a host init, a containerd-shim, a
 * `sleep` that is PID 1 of its namespace, a tini-like init blocking SIGTERM
 * with a D-state (frozen) child and a stopped child, hostile comms, an
 * ancestry loop, 10-deep pid namespace nesting, a pid directory whose files
 * vanished, a malformed status, and non-pid entries. The live tests read the
 * test's own /proc entries and, as root, a child in a new pid namespace.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/array_size.h"
#include "host/procfs.h"

#define ROOT	     "tests/fixtures/proc/root"
#define NS_HOST	     4026531836ULL
#define NS_SLEEP     4026532001ULL
#define NS_TINI	     4026532002ULL
#define BIT(sig)     (1ULL << ((sig)-1))

/* ---- a pid collector for the scans ---- */

struct pids {
	int pid[32768];
	int n;
	int stop_after; /* return 7 after this many, 0 = never */
};

static int collect_pid(int pid, void *ctx)
{
	struct pids *p = ctx;

	if (p->n < (int)ARRAY_SIZE(p->pid))
		p->pid[p->n] = pid;
	p->n++;
	return p->stop_after && p->n == p->stop_after ? 7 : 0;
}

static bool has_pid(const struct pids *p, int pid)
{
	for (int i = 0; i < p->n && i < (int)ARRAY_SIZE(p->pid); i++)
		if (p->pid[i] == pid)
			return true;
	return false;
}

/* p holds exactly the pids of want, in any order. */
static void assert_pid_set(const struct pids *p, const int *want, int n)
{
	assert_int_equal(p->n, n);
	for (int i = 0; i < n; i++)
		if (!has_pid(p, want[i]))
			fail_msg("pid %d missing from the scan", want[i]);
}

/* ---- status ---- */

static void test_status_ns_init_sleep(void **state)
{
	struct proc_status st;

	(void)state;
	assert_int_equal(procfs_read_status(ROOT, 4242, &st), 0);
	assert_string_equal(st.name, "sleep");
	assert_int_equal(st.state, 'S');
	assert_int_equal(st.pid, 4242);
	assert_int_equal(st.tgid, 4242);
	assert_int_equal(st.ppid, 4200);
	assert_int_equal(st.threads, 1);
	assert_int_equal(st.nspid_count, 2);
	assert_int_equal(st.nspid[0], 4242);
	assert_int_equal(st.nspid[st.nspid_count - 1], 1);
	assert_true(st.sig_cgt == 0 && st.sig_ign == 0 && st.sig_blk == 0);
	assert_true(st.sig_pnd == 0 && st.shd_pnd == 0);
	/* S2: no handler, not ignored: the default action, dropped for an init */
	assert_int_equal(procfs_signal_disposition(&st, SIGTERM), PROC_SIG_DEFAULT);
	assert_false(procfs_signal_blocked(&st, SIGTERM));
	assert_false(procfs_signal_pending(&st, SIGTERM));
}

static void test_status_tini_blocks_sigterm(void **state)
{
	struct proc_status st;

	(void)state;
	assert_int_equal(procfs_read_status(ROOT, 4300, &st), 0);
	assert_string_equal(st.name, "tini");
	assert_int_equal(st.nspid_count, 2);
	assert_int_equal(st.nspid[1], 1);
	assert_true(st.sig_blk == 0x7ffbfef9ULL);
	assert_true(st.shd_pnd == 0x4000ULL);
	assert_true(st.sig_blk & BIT(15));
	/* blocked, so it stays pending: never "ignored" */
	assert_true(procfs_signal_blocked(&st, SIGTERM));
	assert_true(procfs_signal_pending(&st, SIGTERM));
	assert_int_equal(procfs_signal_disposition(&st, SIGTERM), PROC_SIG_DEFAULT);
	assert_false(procfs_signal_blocked(&st, SIGKILL));
	assert_false(procfs_signal_pending(&st, SIGINT));
}

static void test_status_d_state_child(void **state)
{
	struct proc_status st;

	(void)state;
	assert_int_equal(procfs_read_status(ROOT, 4301, &st), 0);
	assert_string_equal(st.name, "app");
	assert_int_equal(st.state, 'D');
	assert_int_equal(st.ppid, 4300);
	assert_int_equal(st.threads, 4);
	assert_int_equal(st.nspid[st.nspid_count - 1], 2);
	assert_true(st.shd_pnd == BIT(SIGKILL)); /* the teardown's SIGKILL waits */
	assert_true(procfs_signal_pending(&st, SIGKILL));
	assert_int_equal(procfs_signal_disposition(&st, SIGTERM), PROC_SIG_HANDLER);
	assert_int_equal(procfs_signal_disposition(&st, SIGINT), PROC_SIG_HANDLER);
	assert_int_equal(procfs_signal_disposition(&st, SIGPIPE), PROC_SIG_IGNORED);
	assert_int_equal(procfs_signal_disposition(&st, SIGHUP), PROC_SIG_DEFAULT);
}

static void test_status_stopped(void **state)
{
	struct proc_status st;

	(void)state;
	assert_int_equal(procfs_read_status(ROOT, 4302, &st), 0);
	assert_string_equal(st.name, "worker");
	assert_int_equal(st.state, 'T');
	assert_int_equal(st.nspid_count, 2);
	assert_int_equal(st.nspid[1], 3);
}

static void test_status_hostile_names(void **state)
{
	struct proc_status st;

	(void)state;
	assert_int_equal(procfs_read_status(ROOT, 4400, &st), 0);
	assert_string_equal(st.name, "evil) (x y");
	assert_int_equal(st.state, 'R');
	/* the kernel writes "a\nb\\c<TAB>d": newline and backslash come back as bytes */
	assert_int_equal(procfs_read_status(ROOT, 4401, &st), 0);
	assert_string_equal(st.name, "a\nb\\c\td");
	assert_int_equal(st.ppid, 4400);
}

static void test_status_deep_nesting(void **state)
{
	struct proc_status st;
	static const int want[PROC_NSPID_MAX] = {4700, 700, 70, 7, 6, 5, 4, 1};

	(void)state;
	assert_int_equal(procfs_read_status(ROOT, 4700, &st), 0);
	assert_int_equal(st.nspid_count, PROC_NSPID_MAX);
	for (int i = 0; i < PROC_NSPID_MAX; i++)
		assert_int_equal(st.nspid[i], want[i]);
}

static void test_status_errors(void **state)
{
	struct proc_status st;

	(void)state;
	assert_int_equal(procfs_read_status(ROOT, 4800, &st), -EINVAL); /* no State, no PPid */
	assert_int_equal(procfs_read_status(ROOT, 5555, &st), -ENOENT);
	assert_int_equal(procfs_read_status(ROOT, 0, &st), -EINVAL);
	assert_int_equal(procfs_read_status(ROOT, -1, &st), -EINVAL);
	assert_int_equal(procfs_read_status("tests/fixtures/none", 1, &st), -ENOENT);
}

static void test_signal_numbers(void **state)
{
	struct proc_status st;

	(void)state;
	memset(&st, 0, sizeof(st));
	st.sig_cgt = BIT(64) | BIT(1);
	st.sig_blk = ~0ULL;
	assert_int_equal(procfs_signal_disposition(&st, 64), PROC_SIG_HANDLER);
	assert_int_equal(procfs_signal_disposition(&st, 1), PROC_SIG_HANDLER);
	assert_int_equal(procfs_signal_disposition(&st, 2), PROC_SIG_DEFAULT);
	assert_int_equal(procfs_signal_disposition(&st, 0), -EINVAL);
	assert_int_equal(procfs_signal_disposition(&st, 65), -EINVAL);
	assert_int_equal(procfs_signal_disposition(&st, -15), -EINVAL);
	assert_true(procfs_signal_blocked(&st, 64));
	assert_false(procfs_signal_blocked(&st, 0));
	assert_false(procfs_signal_blocked(&st, 65));
}

/* ---- stat, ns, wchan, stack ---- */

static void test_stat_start(void **state)
{
	uint64_t t = 0;

	(void)state;
	assert_int_equal(procfs_read_stat_start(ROOT, 4242, &t), 0);
	assert_true(t == 123456);
	/* comm "evil) (x y": parsed from the last ')' */
	assert_int_equal(procfs_read_stat_start(ROOT, 4400, &t), 0);
	assert_true(t == 777777);
	/* comm with a raw newline, backslash and tab */
	assert_int_equal(procfs_read_stat_start(ROOT, 4401, &t), 0);
	assert_true(t == 888888);
	assert_int_equal(procfs_read_stat_start(ROOT, 4500, &t), -ENOENT);
}

static void test_pidns(void **state)
{
	uint64_t ino = 0;

	(void)state;
	assert_int_equal(procfs_pidns(ROOT, 4242, &ino), 0);
	assert_true(ino == NS_SLEEP);
	assert_int_equal(procfs_pidns(ROOT, 4302, &ino), 0);
	assert_true(ino == NS_TINI);
	assert_int_equal(procfs_pidns(ROOT, 1, &ino), 0);
	assert_true(ino == NS_HOST);
	assert_int_equal(procfs_pidns(ROOT, 4800, &ino), -EINVAL); /* "pid:[garbage]" */
	assert_int_equal(procfs_pidns(ROOT, 4500, &ino), -ENOENT); /* vanished */
}

static void test_wchan(void **state)
{
	char buf[64], tiny[8];

	(void)state;
	assert_int_equal(procfs_read_wchan(ROOT, 4301, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "__refrigerator");
	assert_int_equal(procfs_read_wchan(ROOT, 4302, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "do_signal_stop");
	assert_int_equal(procfs_read_wchan(ROOT, 4400, buf, sizeof(buf)), 0);
	assert_string_equal(buf, ""); /* "0": running */
	assert_int_equal(procfs_read_wchan(ROOT, 4301, tiny, sizeof(tiny)), -ERANGE);
	assert_int_equal(procfs_read_wchan(ROOT, 4500, buf, sizeof(buf)), -ENOENT);
}

static void test_stack(void **state)
{
	char buf[4096], small[80];

	(void)state;
	assert_int_equal(procfs_read_stack(ROOT, 4301, buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "[<0>] __refrigerator+0x4c/0x130\n"));
	assert_non_null(strstr(buf, "entry_SYSCALL_64_after_hwframe"));
	/* cut at the last whole line: two frames fit in 80 bytes */
	assert_int_equal(procfs_read_stack(ROOT, 4301, small, sizeof(small)), 0);
	assert_string_equal(small,
			    "[<0>] __refrigerator+0x4c/0x130\n[<0>] get_signal+0x7b9/0x8a0\n");
	assert_int_equal(procfs_read_stack(ROOT, 4302, buf, sizeof(buf)), -ENOENT);
}

/* ---- cgroup ---- */

struct cg_line {
	int id;
	char controllers[64];
	char path[256];
};

struct cg_lines {
	struct cg_line line[16];
	int n;
};

static int collect_cgroup(int id, const char *controllers, const char *path, void *ctx)
{
	struct cg_lines *c = ctx;

	if (c->n == (int)ARRAY_SIZE(c->line))
		return -E2BIG;
	c->line[c->n].id = id;
	snprintf(c->line[c->n].controllers, sizeof(c->line[0].controllers), "%s", controllers);
	snprintf(c->line[c->n].path, sizeof(c->line[0].path), "%s", path);
	c->n++;
	return 0;
}

#define ID1 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_read_cgroup(void **state)
{
	struct cg_lines c = {0};

	(void)state;
	assert_int_equal(procfs_read_cgroup(ROOT, 4242, collect_cgroup, &c), 0);
	assert_int_equal(c.n, 5);
	assert_int_equal(c.line[0].id, 9);
	assert_string_equal(c.line[0].controllers, "name=systemd");
	assert_string_equal(c.line[0].path, "/docker/" ID1);
	assert_int_equal(c.line[1].id, 6);
	assert_string_equal(c.line[1].controllers, "freezer");
	assert_int_equal(c.line[2].id, 2);
	assert_string_equal(c.line[2].controllers, "cpu,cpuacct");
	/* a path holding ':' stays whole */
	assert_int_equal(c.line[3].id, 7);
	assert_string_equal(c.line[3].path, "/odd:name/with:colons");
	/* cgroup v2 */
	assert_int_equal(c.line[4].id, 0);
	assert_string_equal(c.line[4].controllers, "");
	assert_string_equal(c.line[4].path, "/docker/" ID1);
}

static void test_read_cgroup_newline_in_name(void **state)
{
	struct cg_lines c = {0};

	(void)state;
	assert_int_equal(procfs_read_cgroup(ROOT, 4301, collect_cgroup, &c), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.line[0].path, "/docker/abc");
	assert_int_equal(c.line[1].id, 0);
	assert_string_equal(c.line[1].path, "/docker/abc/we\nird");
}

static int stop_at_freezer(int id, const char *controllers, const char *path, void *ctx)
{
	(void)id;
	(void)path;
	++*(int *)ctx;
	return strcmp(controllers, "freezer") ? 0 : 42;
}

static void test_read_cgroup_stop_and_errors(void **state)
{
	int calls = 0;

	(void)state;
	assert_int_equal(procfs_read_cgroup(ROOT, 4242, stop_at_freezer, &calls), 42);
	assert_int_equal(calls, 2);
	calls = 0;
	assert_int_equal(procfs_read_cgroup(ROOT, 4500, stop_at_freezer, &calls), -ENOENT);
	assert_int_equal(procfs_read_cgroup(ROOT, 4242 + 1, stop_at_freezer, &calls), -ENOENT);
	assert_int_equal(calls, 0);
}

/* A NUL byte inside an entry (a damaged or forged file) ends nothing early. */
static void test_read_cgroup_nul_byte(void **state)
{
	static const char text[] = "4:\0freezer:/a\n0::/b\0:c\n";
	char root[] = "/tmp/stoptrace-procfs.XXXXXX", path[128];
	struct cg_lines c = {0};
	FILE *f;
	int ret;

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(path, sizeof(path), "%s/proc", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/proc/7", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/proc/7/cgroup", root);
	f = fopen(path, "we");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, sizeof(text) - 1, f), sizeof(text) - 1);
	fclose(f);
	ret = procfs_read_cgroup(root, 7, collect_cgroup, &c);
	unlink(path);
	snprintf(path, sizeof(path), "%s/proc/7", root);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/proc", root);
	rmdir(path);
	rmdir(root);
	assert_int_equal(ret, 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.line[0].id, 4);
	assert_string_equal(c.line[0].controllers, ""); /* the text up to the NUL */
	assert_int_equal(c.line[1].id, 0);
	assert_string_equal(c.line[1].path, "/b");
}

/* ---- scans ---- */

static void test_for_each_pid(void **state)
{
	static const int want[] = {1,	 4200, 4242, 4300, 4301, 4302, 4400,
				   4401, 4500, 4600, 4601, 4700, 4800};
	struct pids p = {0};

	(void)state;
	assert_int_equal(procfs_for_each_pid(ROOT, collect_pid, &p), 0);
	/* not self, sys, 12abc, 0042, nor the plain file 99999 */
	assert_pid_set(&p, want, ARRAY_SIZE(want));

	memset(&p, 0, sizeof(p));
	p.stop_after = 3;
	assert_int_equal(procfs_for_each_pid(ROOT, collect_pid, &p), 7);
	assert_int_equal(p.n, 3);

	assert_int_equal(procfs_for_each_pid("tests/fixtures/none", collect_pid, &p), -ENOENT);
}

/*
 * The tini namespace: 4300, 4301, 4302. The ghost 4500 (no ns link left:
 * vanished mid-scan) and 4800 (a link that names no namespace) are skipped
 * without failing the scan.
 */
static void test_tasks_in_pidns_fixture(void **state)
{
	static const int tini[] = {4300, 4301, 4302};
	static const int host[] = {1, 4200, 4400, 4401};
	static const int sleep_ns[] = {4242};
	struct pids p = {0};

	(void)state;
	assert_int_equal(procfs_tasks_in_pidns(ROOT, NS_TINI, collect_pid, &p), 0);
	assert_pid_set(&p, tini, ARRAY_SIZE(tini));
	assert_false(has_pid(&p, 4500));

	memset(&p, 0, sizeof(p));
	assert_int_equal(procfs_tasks_in_pidns(ROOT, NS_HOST, collect_pid, &p), 0);
	assert_pid_set(&p, host, ARRAY_SIZE(host));

	memset(&p, 0, sizeof(p));
	assert_int_equal(procfs_tasks_in_pidns(ROOT, NS_SLEEP, collect_pid, &p), 0);
	assert_pid_set(&p, sleep_ns, ARRAY_SIZE(sleep_ns));

	memset(&p, 0, sizeof(p));
	assert_int_equal(procfs_tasks_in_pidns(ROOT, 4026539999ULL, collect_pid, &p), 0);
	assert_int_equal(p.n, 0);

	/* the callback's verdict ends the scan */
	memset(&p, 0, sizeof(p));
	p.stop_after = 2;
	assert_int_equal(procfs_tasks_in_pidns(ROOT, NS_TINI, collect_pid, &p), 7);
	assert_int_equal(p.n, 2);
}

/* ---- ancestry ---- */

static void test_ancestry(void **state)
{
	struct proc_ancestor a[8];

	(void)state;
	assert_int_equal(procfs_ancestry(ROOT, 4301, a, 8), 4);
	assert_int_equal(a[0].pid, 4301);
	assert_string_equal(a[0].comm, "app");
	assert_int_equal(a[1].pid, 4300);
	assert_string_equal(a[1].comm, "tini");
	assert_int_equal(a[2].pid, 4200);
	assert_string_equal(a[2].comm, "containerd-shim");
	assert_int_equal(a[3].pid, 1);
	assert_string_equal(a[3].comm, "init");

	assert_int_equal(procfs_ancestry(ROOT, 4301, a, 2), 2);
	assert_int_equal(a[1].pid, 4300);
	/* a PPid loop ends */
	assert_int_equal(procfs_ancestry(ROOT, 4600, a, 8), 2);
	assert_int_equal(a[0].pid, 4600);
	assert_int_equal(a[1].pid, 4601);
	/* a hostile comm comes back raw */
	assert_int_equal(procfs_ancestry(ROOT, 4401, a, 8), 4);
	assert_string_equal(a[0].comm, "a\nb\\c\td");
	assert_string_equal(a[1].comm, "evil) (x y");
	assert_int_equal(a[3].pid, 1);

	assert_int_equal(procfs_ancestry(ROOT, 5555, a, 8), -ENOENT);
	assert_int_equal(procfs_ancestry(ROOT, 4301, a, 0), -EINVAL);
}

/* ---- the live system ---- */

static void read_self_comm(char *buf, size_t cap)
{
	FILE *f = fopen("/proc/self/comm", "re");

	assert_non_null(f);
	assert_non_null(fgets(buf, (int)cap, f));
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

/* valgrind catches every signal itself: SigCgt then shows no default action */
static bool under_valgrind(void)
{
	const char *preload = getenv("LD_PRELOAD");

	return preload && strstr(preload, "vgpreload");
}

static void on_usr1(int sig)
{
	(void)sig;
}

static void test_live_self_status(void **state)
{
	struct sigaction sa = {.sa_handler = on_usr1}, ign = {.sa_handler = SIG_IGN};
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	struct sigaction old_usr1, old_usr2, old_term;
	struct proc_status st;
	sigset_t block, old_mask;
	char comm[64];
	int err;

	(void)state;
	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	assert_int_equal(sigaction(SIGUSR1, &sa, &old_usr1), 0);
	assert_int_equal(sigaction(SIGUSR2, &ign, &old_usr2), 0);
	assert_int_equal(sigaction(SIGTERM, &dfl, &old_term), 0);
	assert_int_equal(sigprocmask(SIG_BLOCK, &block, &old_mask), 0);

	err = procfs_read_status("", getpid(), &st);

	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	sigaction(SIGUSR1, &old_usr1, NULL);
	sigaction(SIGUSR2, &old_usr2, NULL);
	sigaction(SIGTERM, &old_term, NULL);

	assert_int_equal(err, 0);
	read_self_comm(comm, sizeof(comm));
	assert_string_equal(st.name, comm);
	assert_int_equal(st.pid, getpid());
	assert_int_equal(st.tgid, getpid());
	assert_int_equal(st.ppid, getppid());
	assert_int_equal(st.state, 'R');
	assert_true(st.threads >= 1);
	assert_true(st.nspid_count >= 1);
	assert_int_equal(st.nspid[st.nspid_count - 1], getpid());
	assert_true(st.sig_cgt & BIT(SIGUSR1));
	assert_int_equal(procfs_signal_disposition(&st, SIGUSR1), PROC_SIG_HANDLER);
	assert_int_equal(procfs_signal_disposition(&st, SIGUSR2), PROC_SIG_IGNORED);
	assert_true(procfs_signal_blocked(&st, SIGHUP));
	assert_false(procfs_signal_blocked(&st, SIGUSR1));
	if (under_valgrind()) {
		print_message("under valgrind: default dispositions not checked\n");
		return;
	}
	assert_int_equal(procfs_signal_disposition(&st, SIGTERM), PROC_SIG_DEFAULT);

	/* and once restored, the handler is gone */
	assert_int_equal(procfs_read_status("", getpid(), &st), 0);
	assert_int_equal(procfs_signal_disposition(&st, SIGUSR1),
			 old_usr1.sa_handler == SIG_DFL	  ? PROC_SIG_DEFAULT
			 : old_usr1.sa_handler == SIG_IGN ? PROC_SIG_IGNORED
							  : PROC_SIG_HANDLER);
}

static void test_live_own_pidns(void **state)
{
	struct pids p = {0};
	struct stat sb;
	uint64_t ino = 0, start = 0;

	(void)state;
	assert_int_equal(stat("/proc/self/ns/pid", &sb), 0);
	assert_int_equal(procfs_pidns("", getpid(), &ino), 0);
	assert_true(ino == (uint64_t)sb.st_ino);
	assert_int_equal(procfs_tasks_in_pidns("", ino, collect_pid, &p), 0);
	assert_true(has_pid(&p, getpid()));
	/* others' ns links need ptrace access: without root, our own only */
	if (geteuid() == 0)
		assert_true(has_pid(&p, 1) || has_pid(&p, getppid()));
	assert_int_equal(procfs_read_stat_start("", getpid(), &start), 0);
	assert_true(start > 0);
}

static pid_t fork_sleeper(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		for (;;)
			pause();
	}
	assert_true(pid > 0);
	return pid;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* A stopped child: state T, sleeping in do_signal_stop; ancestry leads to us. */
static void test_live_stopped_child(void **state)
{
	struct proc_ancestor a[4];
	struct proc_status st;
	char wchan[128];
	pid_t child;
	int ws, err;

	(void)state;
	child = fork_sleeper();
	kill(child, SIGSTOP);
	if (waitpid(child, &ws, WUNTRACED) != child || !WIFSTOPPED(ws)) {
		reap(child);
		fail_msg("child did not stop");
	}
	err = procfs_read_status("", child, &st);
	if (!err)
		err = procfs_read_wchan("", child, wchan, sizeof(wchan));
	if (err) {
		reap(child);
		fail_msg("reading the child: %s", strerror(-err));
	}
	err = procfs_ancestry("", child, a, 4);
	reap(child);

	assert_int_equal(st.state, 'T');
	assert_int_equal(st.ppid, getpid());
	if (geteuid() == 0)
		assert_string_equal(wchan, "do_signal_stop");
	assert_true(err >= 2);
	assert_int_equal(a[0].pid, child);
	assert_int_equal(a[1].pid, getpid());
}

/* A child that is PID 1 of a new pid namespace, as a container's init is. */
static void test_live_child_in_new_pidns(void **state)
{
	struct pids in_child = {0}, in_own = {0};
	struct proc_status st;
	uint64_t own_ns = 0, child_ns = 0, own_start = 0, child_start = 0;
	pid_t child;
	int err;

	(void)state;
	if (geteuid() != 0) {
		print_message("skipped: a new pid namespace needs root (CAP_SYS_ADMIN)\n");
		skip();
	}
	assert_int_equal(procfs_pidns("", getpid(), &own_ns), 0);
	child = (pid_t)syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, NULL, NULL, NULL, NULL);
	if (child == 0) {
		for (;;)
			pause();
	}
	if (child < 0) {
		print_message("skipped: clone(CLONE_NEWPID): %s\n", strerror(errno));
		skip();
	}
	err = procfs_pidns("", child, &child_ns);
	if (!err)
		err = procfs_read_status("", child, &st);
	if (!err)
		err = procfs_tasks_in_pidns("", child_ns, collect_pid, &in_child);
	if (!err)
		err = procfs_tasks_in_pidns("", own_ns, collect_pid, &in_own);
	if (!err)
		err = procfs_read_stat_start("", getpid(), &own_start);
	if (!err)
		err = procfs_read_stat_start("", child, &child_start);
	reap(child);

	assert_int_equal(err, 0);
	assert_true(child_ns != own_ns);
	assert_int_equal(st.nspid_count, 2);
	assert_int_equal(st.nspid[0], child);
	assert_int_equal(st.nspid[1], 1);
	assert_int_equal(st.ppid, getpid());
	assert_int_equal(in_child.n, 1);
	assert_int_equal(in_child.pid[0], child);
	assert_true(has_pid(&in_own, getpid()));
	assert_false(has_pid(&in_own, child));
	assert_true(child_start >= own_start);
}

/*
 * A process that dies and is reaped while the scan is under way: the first
 * callback kills the victim; its /proc entry, maybe already read by
 * readdir, must be skipped, and the scan goes on to find the witness.
 */
struct vanish {
	pid_t victim;
	pid_t witness;
	bool killed;
	bool victim_after_kill;
	bool witness_seen;
};

static int kill_on_first(int pid, void *ctx)
{
	struct vanish *v = ctx;

	if (pid == v->witness)
		v->witness_seen = true;
	if (!v->killed) {
		reap(v->victim);
		v->killed = true;
	} else if (pid == v->victim) {
		v->victim_after_kill = true;
	}
	return 0;
}

static void test_live_vanishing_task(void **state)
{
	struct vanish v = {0};
	uint64_t ns;
	int err;

	(void)state;
	assert_int_equal(procfs_pidns("", getpid(), &ns), 0);
	v.victim = fork_sleeper();
	v.witness = fork_sleeper();
	err = procfs_tasks_in_pidns("", ns, kill_on_first, &v);
	if (!v.killed)
		reap(v.victim);
	reap(v.witness);
	assert_int_equal(err, 0);
	assert_true(v.killed);
	assert_false(v.victim_after_kill);
	assert_true(v.witness_seen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_ns_init_sleep),
		cmocka_unit_test(test_status_tini_blocks_sigterm),
		cmocka_unit_test(test_status_d_state_child),
		cmocka_unit_test(test_status_stopped),
		cmocka_unit_test(test_status_hostile_names),
		cmocka_unit_test(test_status_deep_nesting),
		cmocka_unit_test(test_status_errors),
		cmocka_unit_test(test_signal_numbers),
		cmocka_unit_test(test_stat_start),
		cmocka_unit_test(test_pidns),
		cmocka_unit_test(test_wchan),
		cmocka_unit_test(test_stack),
		cmocka_unit_test(test_read_cgroup),
		cmocka_unit_test(test_read_cgroup_newline_in_name),
		cmocka_unit_test(test_read_cgroup_stop_and_errors),
		cmocka_unit_test(test_read_cgroup_nul_byte),
		cmocka_unit_test(test_for_each_pid),
		cmocka_unit_test(test_tasks_in_pidns_fixture),
		cmocka_unit_test(test_ancestry),
		cmocka_unit_test(test_live_self_status),
		cmocka_unit_test(test_live_own_pidns),
		cmocka_unit_test(test_live_stopped_child),
		cmocka_unit_test(test_live_child_in_new_pidns),
		cmocka_unit_test(test_live_vanishing_task),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
