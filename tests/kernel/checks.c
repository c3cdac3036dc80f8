// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ktest's checks on the records of one container's life: what the kernel
 * reported, field by field, against what the workload did.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kernel/event.h"
#include "identity/identity.h"
#include "ktest.h"
#include "kernel/loader.h"

#define WAIT_MS 10000

/* The container's processes: host pid of its init, its pid namespace. */
struct who {
	pid_t init;
	uint32_t pidns;
	pid_t child_ns; /* the child, by its pid inside the namespace */
	unsigned int op;
};

static bool is_child(const struct st_task *task, const struct who *w)
{
	return task->pidns == w->pidns && (pid_t)task->ns_tgid == w->child_ns;
}

static bool is_fork(const struct ktest *t, const struct st_event *e, const void *arg)
{
	(void)t;
	return e->kind == ST_EV_PROCESS_FORK &&
	       (pid_t)e->u.fork.parent.tgid == ((const struct who *)arg)->init &&
	       is_child(&e->u.fork.child, arg);
}

static bool is_exec(const struct ktest *t, const struct st_event *e, const void *arg)
{
	(void)t;
	return e->kind == ST_EV_PROCESS_EXEC && is_child(&e->u.exec.task, arg);
}

static bool is_child_exit(const struct ktest *t, const struct st_event *e, const void *arg)
{
	(void)t;
	return e->kind == ST_EV_PROCESS_EXIT && is_child(&e->u.exit.task, arg);
}

static bool is_init_exit(const struct ktest *t, const struct st_event *e, const void *arg)
{
	(void)t;
	return e->kind == ST_EV_PROCESS_EXIT &&
	       (pid_t)e->u.exit.task.tgid == ((const struct who *)arg)->init;
}

static bool is_init_released(const struct ktest *t, const struct st_event *e, const void *arg)
{
	(void)t;
	return e->kind == ST_EV_INIT_RELEASED &&
	       (pid_t)e->u.exit.task.tgid == ((const struct who *)arg)->init;
}

static bool is_sigterm(const struct ktest *t, const struct st_event *e, const void *arg)
{
	(void)t;
	return e->kind == ST_EV_SIGNAL_GENERATE && e->u.signal.sig == SIGTERM &&
	       (pid_t)e->u.signal.target.tgid == ((const struct who *)arg)->init;
}

static bool is_usr1_generate(const struct ktest *t, const struct st_event *e, const void *arg)
{
	(void)t;
	return e->kind == ST_EV_SIGNAL_GENERATE && e->u.signal.sig == SIGUSR1 &&
	       (pid_t)e->u.signal.target.tgid == ((const struct who *)arg)->init;
}

static bool is_usr1_delivery(const struct ktest *t, const struct st_event *e, const void *arg)
{
	(void)t;
	return e->kind == ST_EV_SIGNAL_DELIVER && e->u.deliver.sig == SIGUSR1 &&
	       (pid_t)e->u.deliver.task.tgid == ((const struct who *)arg)->init;
}

static bool is_fs_call(const struct ktest *t, const struct st_event *e, const void *arg)
{
	const struct who *w = arg;

	(void)t;
	return e->kind == ST_EV_FS_CALL && (pid_t)e->u.fs.caller.tgid == w->init &&
	       e->u.fs.op == w->op;
}

static bool is_cgroup_event(const struct ktest *t, const struct st_event *e, const void *arg)
{
	return e->kind == *(const unsigned int *)arg && e->u.cgroup.id == t->cg_id;
}

static const char *yes(bool b)
{
	return b ? "yes" : "no";
}

static void check_cgroup_event(struct ktest *t, unsigned int kind, const char *name)
{
	const struct st_event *e = wait_event(t, is_cgroup_event, &kind, 5000);

	check(t, e && !strcmp(e->u.cgroup.path, t->cg_path), name, "%s",
	      e ? "reported with the container's id and path" : "not reported");
}

/* v2's freezer has tracepoints (optional programs): freeze and thaw the empty cgroup. */
static void check_freezer(struct ktest *t)
{
	const char *const *progs = loader_programs(t->loader);
	char path[sizeof(t->cg_dir) + 16];
	bool attached = false;
	int fd;

	for (int i = 0; progs[i]; i++)
		attached |= !strcmp(progs[i], "handle_cgroup_freeze");
	if (!t->v2 || !attached) {
		note("cgroup_freeze: %s", t->v2 ? "program off on this kernel" : "v2 only");
		return;
	}
	snprintf(path, sizeof(path), "%s/cgroup.freeze", t->cg_dir);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "1", 1) != 1) {
		check(t, false, "cgroup_freeze", "cannot write %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	check_cgroup_event(t, ST_EV_CGROUP_FREEZE, "cgroup_freeze");
	if (write(fd, "0", 1) != 1)
		check(t, false, "cgroup_unfreeze", "cannot write %s: %s", path, strerror(errno));
	else
		check_cgroup_event(t, ST_EV_CGROUP_UNFREEZE, "cgroup_unfreeze");
	close(fd);
}

/* The failing call by the container's init: errno and the full path, decoded. */
static void check_fs(struct ktest *t, struct who *w, unsigned int op, int want_errno, int got_errno,
		     const char *want_path)
{
	const struct st_event *e;
	char path[ST_DIR_LEN + ST_NAME_LEN + 8] = "";
	bool complete = false;
	const char *name = fs_op_name(op);

	w->op = op;
	e = wait_event(t, is_fs_call, w, WAIT_MS);
	if (!e) {
		check(t, false, name, "not reported (the call failed with %s, wanted %s)",
		      strerror(got_errno), strerror(want_errno));
		return;
	}
	if (event_fs_path(&e->u.fs, path, sizeof(path), &complete) < 0)
		path[0] = '\0';
	check(t,
	      e->u.fs.ret == -want_errno && complete && !strcmp(path, want_path) &&
		      e->u.fs.caller.cgroup_id == t->cg_id &&
		      !(e->u.fs.path_flags & ST_PATH_TRUSTED),
	      name, "ret %d (want %d), path %s%s (want %s), caller in container: %s, trusted: %s",
	      e->u.fs.ret, -want_errno, path, complete ? "" : " [incomplete]", want_path,
	      yes(e->u.fs.caller.cgroup_id == t->cg_id), yes(e->u.fs.path_flags & ST_PATH_TRUSTED));
}

/*
 * Trust, decided in the kernel. This process is root of the host but in a
 * mount namespace of its own (workload_prepare): its failing unlink is no
 * one's evidence and is dropped. A child back in the namespace ktest
 * started in (the host's) fails rmdir("/") with EBUSY: trusted, flagged.
 */
static void check_fs_trusted(struct ktest *t, const struct workload_paths *p)
{
	struct who self = {.init = getpid(), .op = ST_FS_UNLINK};
	struct who host = {.op = ST_FS_RMDIR};
	const struct st_event *e;
	int status = 0;
	pid_t pid;

	if (unlink(p->ro_file) == 0 || p->host_mnt_fd < 0) {
		check(t, false, "fs_trusted",
		      "no failing unlink, or no host namespace to go back to");
		return;
	}
	pid = fork();
	if (pid == 0) {
		if (setns(p->host_mnt_fd, CLONE_NEWNS))
			_exit(1);
		_exit(rmdir("/") == 0 ? 2 : errno == EBUSY ? 0 : 3);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || status != 0) {
		check(t, false, "fs_trusted", "the child in the host's mount namespace: status %d",
		      status);
		return;
	}
	host.init = pid;
	e = wait_event(t, is_fs_call, &host, WAIT_MS);
	check(t,
	      e && e->u.fs.ret == -EBUSY && e->u.fs.caller.cgroup_id == 0 &&
		      (e->u.fs.path_flags & ST_PATH_TRUSTED),
	      "fs_trusted", "a host root's rmdir(\"/\") %s, ret %d, trusted %s",
	      e ? "reported" : "not reported", e ? e->u.fs.ret : 0,
	      yes(e && (e->u.fs.path_flags & ST_PATH_TRUSTED)));
	/* written before the child's, had it been written at all */
	e = wait_event(t, is_fs_call, &self, 0);
	check(t, !e, "fs_untrusted", "a root's unlink in a mount namespace of its own %s",
	      e ? "was reported" : "was dropped");
}

static void check_signals(struct ktest *t, const struct who *w)
{
	const struct st_event *e;
	const struct container *c;

	e = wait_event(t, is_usr1_delivery, w, WAIT_MS);
	check(t,
	      e && e->u.deliver.disposition == ST_DISP_HANDLER &&
		      e->u.deliver.task.cgroup_id == t->cg_id,
	      "signal_deliver", "SIGUSR1 to the init %s, disposition %u (want handler %u)",
	      e ? "delivered" : "not reported", e ? e->u.deliver.disposition : 0, ST_DISP_HANDLER);

	/*
	 * The target's action as signal_generate reads it from the kernel's
	 * k_sigaction array: SIGUSR1 is handled, SIGTERM (below) is not. A wrong
	 * entry size reads another signal's action.
	 */
	e = wait_event(t, is_usr1_generate, w, WAIT_MS);
	check(t, e && e->u.signal.disposition == ST_DISP_HANDLER, "signal_disposition",
	      "SIGUSR1 to the init %s, its action %u (want handler %u)",
	      e ? "generated" : "not reported", e ? e->u.signal.disposition : 0, ST_DISP_HANDLER);

	e = wait_event(t, is_sigterm, w, WAIT_MS);
	if (!e) {
		check(t, false, "signal_ignored", "SIGTERM to the namespace init not reported");
		check(t, false, "attribution", "no signal record to attribute");
		return;
	}
	{
		const struct st_signal *s = &e->u.signal;
		unsigned int want_task = ST_TASK_NS_INIT | ST_TASK_UNKILLABLE;

		check(t,
		      s->result == ST_SIG_IGNORED && s->disposition == ST_DISP_DEFAULT &&
			      (s->target.flags & want_task) == want_task &&
			      (s->sig_flags & ST_SIGF_GROUP) &&
			      !(s->sig_flags & (ST_SIGF_SENDER_IN_NS | ST_SIGF_BLOCKED)) &&
			      s->code == 0 && s->target.ns_tgid == 1 &&
			      (pid_t)s->sender.tgid == getpid(),
		      "signal_ignored",
		      "SIGTERM result %d (want ignored %d), disposition %u (want default), ns init %s, "
		      "unkillable %s, group %s, sender in ns %s, ns pid %u",
		      s->result, ST_SIG_IGNORED, s->disposition,
		      yes(s->target.flags & ST_TASK_NS_INIT),
		      yes(s->target.flags & ST_TASK_UNKILLABLE), yes(s->sig_flags & ST_SIGF_GROUP),
		      yes(s->sig_flags & ST_SIGF_SENDER_IN_NS), s->target.ns_tgid);
	}
	/* the monitor's attribution: the record's cgroup id names the container */
	c = identity_table_get(t->ids, e->u.signal.target.cgroup_id);
	check(t, c && c->runtime == RUNTIME_DOCKER && !strcmp(c->id, t->id), "attribution",
	      "the signal's cgroup id %llu names %s container %.12s",
	      (unsigned long long)e->u.signal.target.cgroup_id, c ? runtime_name(c->runtime) : "no",
	      c ? c->id : "");
}

static void check_lifecycle(struct ktest *t, const struct who *w, const struct workload_result *r)
{
	const struct st_event *e;
	unsigned int want;

	e = wait_event(t, is_fork, w, WAIT_MS);
	check(t, e && e->u.fork.parent.cgroup_id == t->cg_id, "process_fork", "the init's fork %s",
	      e ? "reported in the container" : "not reported");
	e = wait_event(t, is_exec, w, WAIT_MS);
	check(t, e && e->u.exec.task.cgroup_id == t->cg_id, "process_exec", "the child's exec %s",
	      e ? "reported in the container" : "not reported");
	e = wait_event(t, is_child_exit, w, WAIT_MS);
	want = KTEST_CHILD_EXIT << 8;
	check(t,
	      e && e->u.exit.exit_code == want && (e->u.exit.task.flags & ST_TASK_GROUP_DEAD) &&
		      e->u.exit.task.cgroup_id == t->cg_id,
	      "process_exit", "the child's exit %s, code %#x (want %#x; the init saw status %#x)",
	      e ? "reported" : "not reported", e ? e->u.exit.exit_code : 0, want, r->child_status);
	e = wait_event(t, is_init_exit, w, WAIT_MS);
	check(t,
	      e && e->u.exit.exit_code == SIGKILL && (e->u.exit.task.flags & ST_TASK_NS_INIT) &&
		      e->u.exit.task.cgroup_id == t->cg_id,
	      "init_exit", "the init's exit %s, code %#x (want SIGKILL %#x), ns init %s",
	      e ? "reported" : "not reported", e ? e->u.exit.exit_code : 0, SIGKILL,
	      yes(e && (e->u.exit.task.flags & ST_TASK_NS_INIT)));
	e = wait_event(t, is_init_released, w, WAIT_MS);
	check(t, e && e->u.exit.task.cgroup_id == t->cg_id, "init_released",
	      "the init's final release %s", e ? "reported" : "not reported");
}

static bool is_exiting_sigterm(const struct ktest *t, const struct st_event *e, const void *arg)
{
	(void)t;
	return e->kind == ST_EV_SIGNAL_GENERATE && e->u.signal.sig == SIGTERM &&
	       (pid_t)e->u.signal.target.tgid == *(const pid_t *)arg;
}

static void on_term_noop(int sig)
{
	(void)sig;
}

static void *idle_thread(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

/*
 * A process of the container, two threads and a SIGTERM handler, that calls
 * exit_group and is held by ptrace at its exit (PTRACE_EVENT_EXIT):
 * SIGNAL_GROUP_EXIT is set, and prepare_signal drops the SIGTERM sent to it
 * then, handler or not, with the result "ignored". The record must say the
 * group was exiting (ST_TASK_GROUP_EXIT).
 */
static void check_group_exit(struct ktest *t, const char *procs)
{
	struct sigaction sa = {.sa_handler = on_term_noop};
	int ready[2], go[2], status = 0;
	const struct st_event *e;
	pthread_t th;
	char c = 0, buf[32];
	pid_t pid;
	bool held = false;

	if (pipe2(ready, O_CLOEXEC) || pipe2(go, O_CLOEXEC)) {
		check(t, false, "signal_group_exit", "pipe: %s", strerror(errno));
		return;
	}
	pid = fork();
	if (pid == 0) {
		snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
		int fd = open(procs, O_WRONLY | O_CLOEXEC);

		if (fd < 0 || write(fd, buf, strlen(buf)) < 0 || sigaction(SIGTERM, &sa, NULL) ||
		    pthread_create(&th, NULL, idle_thread, NULL) || write(ready[1], &c, 1) != 1 ||
		    read(go[0], &c, 1) != 1)
			_exit(30);
		_exit(0); /* exit_group with the idle thread left: SIGNAL_GROUP_EXIT */
	}
	close(ready[1]);
	close(go[0]);
	if (pid > 0 && read(ready[0], &c, 1) == 1 &&
	    !ptrace(PTRACE_SEIZE, pid, NULL, (void *)(long)PTRACE_O_TRACEEXIT) &&
	    write(go[1], &c, 1) == 1 && waitpid(pid, &status, __WALL) == pid &&
	    status >> 8 == (SIGTRAP | (PTRACE_EVENT_EXIT << 8)))
		held = true;
	if (held)
		kill(pid, SIGTERM);
	e = held ? wait_event(t, is_exiting_sigterm, &pid, WAIT_MS) : NULL;
	/*
	 * What prepare_signal() does with it depends on the kernel: 6.1 and
	 * later drop a signal to a group already exiting (ignored); 5.10's
	 * prepare_signal() says "nothing to do" and lets it through to be
	 * queued (delivered). Either way the record must say the group was
	 * exiting, which is what the verdict rests on.
	 */
	check(t,
	      e &&
		      (e->u.signal.result == ST_SIG_IGNORED ||
		       e->u.signal.result == ST_SIG_DELIVERED) &&
		      (e->u.signal.target.flags & ST_TASK_GROUP_EXIT) &&
		      e->u.signal.disposition == ST_DISP_HANDLER,
	      "signal_group_exit",
	      "SIGTERM to a process held at its group exit %s: result %d (want ignored %d or delivered), "
	      "exiting %s, disposition %u (want handler %u)",
	      !held ? "not reached"
	      : e   ? "reported"
		    : "not reported",
	      e ? e->u.signal.result : -1, ST_SIG_IGNORED,
	      yes(e && (e->u.signal.target.flags & ST_TASK_GROUP_EXIT)),
	      e ? e->u.signal.disposition : 0, ST_DISP_HANDLER);
	if (pid > 0) {
		if (held)
			ptrace(PTRACE_DETACH, pid, NULL, NULL);
		else
			kill(pid, SIGKILL);
		while (waitpid(pid, &status, __WALL) != pid && errno == EINTR)
			;
	}
	close(ready[0]);
	close(go[1]);
}

static int remove_cgroup(struct ktest *t)
{
	for (int i = 0; i < 50; i++) {
		if (!rmdir(t->cg_dir)) {
			t->cg_dir[0] = '\0';
			return 0;
		}
		if (errno != EBUSY)
			break;
		usleep(100000);
	}
	return -errno;
}

void run_checks(struct ktest *t, const struct workload_paths *p, const char *self_exe)
{
	struct workload_result r;
	struct loader_counters k = {};
	char procs[sizeof(t->cg_dir) + 16], ns[64];
	struct who w = {};
	struct stat st;
	pid_t holder;
	int err;

	check_freezer(t);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", t->cg_dir);
	err = workload_start(p, procs, self_exe, &r, &holder);
	if (err) {
		check(t, false, "container", "the container did not start: %s", strerror(-err));
		return;
	}
	w.init = r.init_pid;
	w.child_ns = r.child_ns_pid;
	snprintf(ns, sizeof(ns), "/proc/%d/ns/pid", (int)r.init_pid);
	w.pidns = stat(ns, &st) ? 0 : (uint32_t)st.st_ino;
	note("container init: host pid %d, pid namespace %u", (int)w.init, w.pidns);

	err = workload_poke(&r);
	if (err)
		note("SIGUSR1: the init's handler did not answer: %s", strerror(-err));
	kill(r.init_pid, SIGTERM);
	usleep(100000);
	kill(r.init_pid, SIGKILL);
	err = workload_reap(holder);
	if (err)
		note("the container's holder exited with status %d", err);

	check_signals(t, &w);
	check_lifecycle(t, &w, &r);
	check_fs(t, &w, ST_FS_UNLINK, EROFS, r.unlink_errno, p->ro_file);
	check_fs(t, &w, ST_FS_RMDIR, ENOTEMPTY, r.rmdir_errno, p->full);
	check_fs(t, &w, ST_FS_UNLINKAT, ENOTEMPTY, r.unlinkat_errno, p->full);
	check_fs(t, &w, ST_FS_UMOUNT, EBUSY, r.umount_errno, p->busy);
	check_fs_trusted(t, p);
	check_group_exit(t, procs);

	err = remove_cgroup(t);
	if (err)
		check(t, false, "cgroup_rmdir", "cannot remove the cgroup: %s", strerror(-err));
	else
		check_cgroup_event(t, ST_EV_CGROUP_RMDIR, "cgroup_rmdir");
	loader_counters(t->loader, &k);
	check(t, k.lost == 0 && t->dropped == 0, "ring_buffer",
	      "%llu records written, %llu lost, %zu undecodable or over the test's limit",
	      (unsigned long long)k.emitted, (unsigned long long)k.lost, t->dropped);
}
