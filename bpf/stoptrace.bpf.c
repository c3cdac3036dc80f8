// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Kernel side of stoptrace: signals, exits, forks, execs and cgroup changes
 * of tasks in container cgroups, the final release of container inits, the
 * OOM killer's victims, and failing or runtime-made unmount and removal calls.
 *
 * Only tracepoints and BTF raw tracepoints: fentry and kprobes are not
 * available on every host stoptrace runs on. Everything that does not concern
 * a container stays in the kernel: user space fills tracked_cgroups with the
 * cgroup ids of containers, and only tasks in those cgroups pass.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/limits.h>
#include "kernel_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "stoptrace_event.h"

#define ENOENT	  2
#define EISDIR	  21
#define AT_FDCWD  -100
#define SI_USER	  0
#define SI_KERNEL 0x80
#define SIG_DFL	  0UL /* include/uapi/asm-generic/signal-defs.h: sa_handler values */
#define SIG_IGN	  1UL

/* The records' bounds against the kernel's (include/stoptrace_event.h, kernel_types.h). */
_Static_assert(ST_COMM_LEN == TASK_COMM_LEN, "st_task.comm holds task_struct.comm whole");
_Static_assert(ST_NAME_LEN >= NAME_MAX + 1, "a path argument of one component is never cut");
_Static_assert(ST_DIR_HALF >= NAME_MAX + 1, "a directory component fits one read");
_Static_assert(ST_DIR_LEN == 2 * ST_DIR_HALF && (ST_DIR_HALF & (ST_DIR_HALF - 1)) == 0,
	       "walk_dir: a read starts below ST_DIR_HALF, is at most ST_DIR_HALF long, fits dir");
_Static_assert(_NSIG_WORDS == 1 && sizeof(sigset_t) == sizeof(__u64) && (_NSIG & (_NSIG - 1)) == 0,
	       "signal_generate reads a sigset_t as one __u64 and masks sig - 1 with _NSIG - 1");
_Static_assert(ST_TRACKED_BITS % 64 == 0 && (ST_TRACKED_BITS & (ST_TRACKED_BITS - 1)) == 0,
	       "maybe_tracked masks an id with ST_TRACKED_BITS - 1 into __u64 words");

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by user space before load. */
const volatile __u32 v1_controller = ST_V1_NONE; /* also match this v1 hierarchy's ids */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20); /* resized by user space */
} events SEC(".maps");

/* cgroup id -> 1 for every container cgroup; filled by user space. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u8);
} tracked_cgroups SEC(".maps");

/*
 * A prefilter in front of tracked_cgroups: bit (id % ST_TRACKED_BITS) is set
 * while a tracked id has it (user space keeps a count per bit). A clear bit
 * means "no container" for a plain load, without a hash lookup: that is what
 * every task outside every container costs. Global data: user space writes it
 * through the mmapped map, without a syscall.
 */
__u64 tracked_bits[ST_TRACKED_BITS / 64];

static __always_inline bool maybe_tracked(__u64 id)
{
	__u32 bit = (__u32)id & (ST_TRACKED_BITS - 1);

	return tracked_bits[bit / 64] & (1ULL << (bit % 64));
}

/* Whether a cgroup id is a container's: user space put it in tracked_cgroups. */
static __always_inline bool cgroup_id_tracked(__u64 id)
{
	return id && maybe_tracked(id) && bpf_map_lookup_elem(&tracked_cgroups, &id);
}

/* Entries in dying_inits: sched_process_free looks there only when some are. */
__s64 dying_count;

/* tgid of an exited container init -> its cgroup id, until it is freed. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u64);
} dying_inits SEC(".maps");

struct fs_args {
	__u64 name; /* user pointer */
	__u64 flags;
	__s32 dfd;
	__u32 op; /* enum st_fs_op of the entry program */
	__s64 nr; /* the syscall number its sys_enter context carried */
};

/*
 * tid -> arguments of an unmount or removal call in flight. An LRU: an entry
 * left behind (a task that never returned through the exit hook, a hook
 * detached between enter and exit) is pushed out instead of filling the map;
 * user space also clears the map before it attaches the hooks again.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct fs_args);
} fs_inflight SEC(".maps");

/*
 * Runtime daemons user space verified (pid file or socket owner, outside
 * every container: user/kernel/trust.c), tgid -> ST_RT_*, and their children,
 * added at fork while the parent is outside every container and removed at
 * the group's exit. An LRU: only runtimes' children outside containers come
 * in, and user space puts its daemons back every few seconds.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, __u32);
} runtime_tasks SEC(".maps");

/* Mount namespaces (inode) of verified runtime daemons -> 1; filled by user space. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u8);
} runtime_mntns SEC(".maps");

/*
 * Daemons user space put in runtime_tasks: while 0, forks and exits outside
 * containers cost one load more, and nothing else.
 */
__u32 runtime_task_count;

/* Whether a process is a verified runtime daemon or its child. */
static __always_inline bool tgid_is_runtime(__u32 tgid)
{
	return bpf_map_lookup_elem(&runtime_tasks, &tgid) != NULL;
}

/*
 * A process leaves runtime_tasks: its tgid must not pass the trust on to the
 * next process that gets it, nor a child that became a container's process
 * keep it.
 */
static __always_inline void runtime_task_forget(__u32 tgid)
{
	if (runtime_task_count > 0)
		bpf_map_delete_elem(&runtime_tasks, &tgid);
}

/*
 * The host's mount namespace: the global init's (host pid 1), found in the
 * kernel (user space cannot always read /proc/1/ns/mnt), 0 until then.
 */
__u32 host_mntns;

/* Set by user space before load: failing calls from containers are wanted (--events). */
const volatile __u32 container_fs_events = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ST_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline void stat_inc(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &which);

	if (v)
		*v += 1;
}

/* Reserve a record of the size its kind needs; counts a loss on failure. */
#define reserve_event(kind_, member_)                                                              \
	({                                                                                         \
		struct st_event *e_ =                                                              \
			bpf_ringbuf_reserve(&events,                                               \
					    __builtin_offsetof(struct st_event, u) +               \
						    sizeof(((struct st_event *)0)->u.member_),     \
					    0);                                                    \
		if (e_) {                                                                          \
			e_->ts_ns = bpf_ktime_get_boot_ns();                                       \
			e_->kind = (kind_);                                                        \
			e_->cpu = bpf_get_smp_processor_id();                                      \
			stat_inc(ST_STAT_EMITTED);                                                 \
		} else {                                                                           \
			stat_inc(ST_STAT_LOST);                                                    \
		}                                                                                  \
		e_;                                                                                \
	})

/*
 * Wakeups. Waking the reader costs the producer about 1-2 us (irq_work and a
 * wake_up), and with the default (adaptive) flag a reader that keeps up is
 * woken for every record: most of a container storm's cost. So a record
 * wakes the reader only when it can make an alert (a signal to or the exit of
 * a namespace init, cgroups, the OOM killer, a failed removal call) or when
 * wake_bytes are pending (set by user space: an eighth of the ring); and a
 * forced wakeup comes at most once per WAKE_GAP_NS, adaptive in between (the
 * reader is woken when it has read everything before). Other records wait
 * for those, or for the reader's poll timeout (200 ms).
 */
const volatile __u64 wake_bytes = 512 << 10;
#define WAKE_GAP_NS 1000000ULL
__u64 last_wake_ns;

static __always_inline void submit(void *e, bool urgent)
{
	__u64 now;

	if (!urgent && bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) < wake_bytes) {
		bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
		return;
	}
	now = bpf_ktime_get_ns();
	if (now - last_wake_ns >= WAKE_GAP_NS) {
		last_wake_ns = now;
		bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	} else {
		bpf_ringbuf_submit(e, 0);
	}
}

/* The subsystem index of the v1 hierarchy user space watches, or -1; below CGROUP_SUBSYS_COUNT. */
static __always_inline int v1_ssid(void)
{
	int ssid = -1;

	if (v1_controller == ST_V1_MEMORY &&
	    bpf_core_enum_value_exists(enum cgroup_subsys_id, memory_cgrp_id))
		ssid = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
	else if (v1_controller == ST_V1_PIDS &&
		 bpf_core_enum_value_exists(enum cgroup_subsys_id, pids_cgrp_id))
		ssid = bpf_core_enum_value(enum cgroup_subsys_id, pids_cgrp_id);
	return ssid < bpf_core_enum_value(enum cgroup_subsys_id, CGROUP_SUBSYS_COUNT) ? ssid : -1;
}

/* The container cgroup id a task belongs to, or 0. */
static __always_inline __u64 task_container(struct task_struct *t)
{
	struct css_set *cset = BPF_CORE_READ(t, cgroups);
	struct cgroup_subsys_state *css = NULL;
	__u64 id;
	int ssid;

	if (!cset)
		return 0;
	id = BPF_CORE_READ(cset, dfl_cgrp, kn, id);
	if (cgroup_id_tracked(id))
		return id;
	ssid = v1_ssid();
	if (ssid < 0)
		return 0;
	bpf_core_read(&css, sizeof(css), &cset->subsys[ssid]);
	if (!css)
		return 0;
	id = BPF_CORE_READ(css, cgroup, kn, id);
	return cgroup_id_tracked(id) ? id : 0;
}

/*
 * task_container() for a typed task pointer (a tp_btf argument): the verifier
 * turns these reads into plain loads (a faulting one reads 0) instead of a
 * helper call each, which is most of what a task outside every container
 * costs. Untyped pointers (bpf_get_current_task()) keep task_container().
 */
static __always_inline __u64 task_container_btf(struct task_struct *t)
{
	struct css_set *cset = t->cgroups;
	struct cgroup_subsys_state *css;
	__u64 id;
	int ssid;

	if (!cset)
		return 0;
	id = cset->dfl_cgrp->kn->id;
	if (cgroup_id_tracked(id))
		return id;
	ssid = v1_ssid();
	if (ssid < 0)
		return 0;
	css = cset->subsys[ssid];
	if (!css)
		return 0;
	id = css->cgroup->kn->id;
	return cgroup_id_tracked(id) ? id : 0;
}

/* pid and pid namespace of a task as seen from its own namespace. */
static __always_inline int task_ns_nr(struct task_struct *t, __u32 *inum)
{
	struct pid *pid = BPF_CORE_READ(t, thread_pid);
	unsigned int level;
	struct upid upid = {};

	if (!pid)
		return 0;
	level = BPF_CORE_READ(pid, level);
	if (level > MAX_PID_NS_LEVEL)
		return 0;
	bpf_core_read(&upid, sizeof(upid), &pid->numbers[level]);
	if (inum)
		*inum = BPF_CORE_READ(upid.ns, ns.inum);
	return upid.nr;
}

static __always_inline void fill_task(struct st_task *out, struct task_struct *t, __u64 cgid)
{
	struct task_struct *leader = BPF_CORE_READ(t, group_leader);
	unsigned int sflags = BPF_CORE_READ(t, signal, flags);

	out->cgroup_id = cgid;
	out->pid = BPF_CORE_READ(t, pid);
	out->tgid = BPF_CORE_READ(t, tgid);
	out->ns_pid = task_ns_nr(t, &out->pidns);
	out->ns_tgid = leader ? task_ns_nr(leader, NULL) : out->ns_pid;
	out->flags = 0;
	if (out->ns_tgid == 1)
		out->flags |= ST_TASK_NS_INIT;
	if (sflags & SIGNAL_UNKILLABLE)
		out->flags |= ST_TASK_UNKILLABLE;
	if (sflags & SIGNAL_GROUP_EXIT)
		out->flags |= ST_TASK_GROUP_EXIT;
	BPF_CORE_READ_STR_INTO(&out->comm, t, comm);
}

/*
 * si_code of a signal's info. Two values of the pointer are no siginfo
 * (include/linux/sched/signal.h): SEND_SIG_NOINFO, a user's kill(), and
 * SEND_SIG_PRIV, the kernel's own signal, which the kernel itself records as
 * SI_USER and SI_KERNEL (__send_signal_locked).
 */
#define SEND_SIG_NOINFO ((struct kernel_siginfo *)0)
#define SEND_SIG_PRIV	((struct kernel_siginfo *)1)

static __always_inline int siginfo_code(struct kernel_siginfo *info)
{
	if (info == SEND_SIG_NOINFO)
		return SI_USER;
	if (info == SEND_SIG_PRIV)
		return SI_KERNEL;
	return BPF_CORE_READ(info, si_code);
}

/* What an action does with its signal: enum st_disposition. */
static __always_inline __u32 sigaction_disposition(struct k_sigaction *ka)
{
	unsigned long handler = (unsigned long)BPF_CORE_READ(ka, sa.sa_handler);

	if (handler == SIG_DFL)
		return ST_DISP_DEFAULT;
	if (handler == SIG_IGN)
		return ST_DISP_IGNORE;
	return ST_DISP_HANDLER;
}

/*
 * A task's action for signal sig (1 to _NSIG), NULL when it has no sighand.
 * CO-RE relocates the offset of the action array, not the size of its
 * elements: &sh->action[i] would step by this header's struct k_sigaction
 * (16 bytes) where the kernel's is 32 on x86_64 (sa_restorer, sa_mask). So
 * the step is the kernel's size, relocated too.
 */
static __always_inline struct k_sigaction *task_sigaction(struct task_struct *t, int sig)
{
	struct sighand_struct *sh = BPF_CORE_READ(t, sighand);
	__u32 idx = (sig - 1) & (_NSIG - 1);

	if (!sh)
		return NULL;
	return (void *)sh + bpf_core_field_offset(struct sighand_struct, action) +
	       idx * bpf_core_type_size(struct k_sigaction);
}

SEC("tp_btf/signal_generate")
int BPF_PROG(handle_signal_generate, int sig, struct kernel_siginfo *info, struct task_struct *task,
	     int group, int result)
{
	struct task_struct *cur, *p;
	struct k_sigaction *ka;
	struct st_event *e;
	struct st_signal *s;
	__u64 cgid, blocked = 0, real_blocked = 0;
	__u32 idx;

	if (sig <= 0 || sig > _NSIG)
		return 0;
	cgid = task_container_btf(task);
	if (!cgid)
		return 0;
	cur = (struct task_struct *)bpf_get_current_task();
	e = reserve_event(ST_EV_SIGNAL_GENERATE, signal);
	if (!e)
		return 0;
	s = &e->u.signal;
	fill_task(&s->target, task, cgid);
	fill_task(&s->sender, cur, task_container(cur));
	s->sig = sig;
	s->result = result;
	s->sig_flags = group ? ST_SIGF_GROUP : 0;
	s->code = siginfo_code(info);
	if (s->code == SI_KERNEL)
		s->sig_flags |= ST_SIGF_FROM_KERNEL;
	if (s->sender.pidns == s->target.pidns)
		s->sig_flags |= ST_SIGF_SENDER_IN_NS;

	ka = task_sigaction(task, sig);
	s->disposition = ka ? sigaction_disposition(ka) : ST_DISP_DEFAULT;
	idx = (sig - 1) & (_NSIG - 1);
	bpf_core_read(&blocked, sizeof(blocked), &task->blocked);
	bpf_core_read(&real_blocked, sizeof(real_blocked), &task->real_blocked);
	if (blocked & (1ULL << idx))
		s->sig_flags |= ST_SIGF_BLOCKED;
	if (real_blocked & (1ULL << idx))
		s->sig_flags |= ST_SIGF_REAL_BLOCKED;

	/* a reservation is not zeroed: entries past the walk's end must not show stale bytes */
	__builtin_memset(s->ancestry, 0, sizeof(s->ancestry));
	p = cur;
	for (int i = 0; i < ST_ANCESTRY; i++) {
		p = BPF_CORE_READ(p, real_parent);
		if (!p)
			break;
		s->ancestry[i].pid = BPF_CORE_READ(p, tgid);
		BPF_CORE_READ_STR_INTO(&s->ancestry[i].comm, p, comm);
		if (s->ancestry[i].pid <= 1)
			break;
	}
	submit(e, s->target.flags & ST_TASK_NS_INIT);
	return 0;
}

SEC("tp_btf/signal_deliver")
int BPF_PROG(handle_signal_deliver, int sig, struct kernel_siginfo *info, struct k_sigaction *ka)
{
	struct task_struct *cur;
	struct st_event *e;
	__u64 cgid;

	/* every delivery on the host comes here: the typed current task where there is one */
	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_get_current_task_btf))
		cgid = task_container_btf(bpf_get_current_task_btf());
	else
		cgid = task_container((struct task_struct *)bpf_get_current_task());
	if (!cgid)
		return 0;
	cur = (struct task_struct *)bpf_get_current_task();
	e = reserve_event(ST_EV_SIGNAL_DELIVER, deliver);
	if (!e)
		return 0;
	fill_task(&e->u.deliver.task, cur, cgid);
	e->u.deliver.sig = sig;
	/* a real siginfo, or SEND_SIG_NOINFO for a group exit's SIGKILL (get_signal) */
	e->u.deliver.code = siginfo_code(info);
	e->u.deliver.sa_flags = BPF_CORE_READ(ka, sa.sa_flags);
	e->u.deliver.disposition = sigaction_disposition(ka);
	submit(e, e->u.deliver.task.flags & ST_TASK_NS_INIT);
	return 0;
}

/*
 * Only the first argument is read: 6.16 added group_dead as a second one,
 * which older kernels lack; it is derived from signal->live instead (do_exit
 * decrements it before the tracepoint on every supported kernel).
 */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_sched_process_exit, struct task_struct *task)
{
	struct st_event *e;
	__u64 cgid;
	int live;

	cgid = task_container_btf(task);
	if (!cgid) {
		if (runtime_task_count > 0 && task->signal->live.counter == 0)
			runtime_task_forget(task->tgid);
		return 0;
	}
	live = BPF_CORE_READ(task, signal, live.counter);
	if (live != 0)
		return 0; /* a thread of a live process: not a process exit */
	/* a runtime's child that joined a container and exits without an exec (runc's own stages)
	 */
	runtime_task_forget(task->tgid);
	e = reserve_event(ST_EV_PROCESS_EXIT, exit);
	if (!e)
		return 0;
	fill_task(&e->u.exit.task, task, cgid);
	e->u.exit.task.flags |= ST_TASK_GROUP_DEAD;
	e->u.exit.exit_code = BPF_CORE_READ(task, exit_code);
	e->u.exit.nr_threads = BPF_CORE_READ(task, signal, nr_threads);
	if (e->u.exit.task.flags & ST_TASK_NS_INIT) {
		__u32 tgid = e->u.exit.task.tgid;

		if (!bpf_map_update_elem(&dying_inits, &tgid, &cgid, BPF_NOEXIST))
			__sync_fetch_and_add(&dying_count, 1);
		else
			bpf_map_update_elem(&dying_inits, &tgid, &cgid, BPF_ANY);
	}
	submit(e, e->u.exit.task.flags & ST_TASK_NS_INIT);
	return 0;
}

/*
 * The final release of a task. For an init that took part in a container's
 * exit this ends its pid namespace's teardown. It runs from an RCU callback:
 * current is unrelated, and the cgroup may already be gone, so the init is
 * found by its tgid in dying_inits.
 */
SEC("tp_btf/sched_process_free")
int BPF_PROG(handle_sched_process_free, struct task_struct *task)
{
	struct st_event *e;
	__u32 pid;
	__u64 *cgid;

	/* every task of the host ends here: nothing to do unless a container init exited */
	if (dying_count <= 0)
		return 0;
	pid = task->pid;
	if (pid != task->tgid)
		return 0;
	cgid = bpf_map_lookup_elem(&dying_inits, &pid);
	if (!cgid)
		return 0;
	e = reserve_event(ST_EV_INIT_RELEASED, exit);
	if (e) {
		fill_task(&e->u.exit.task, task, *cgid);
		/* its pid is detached by now: it was pid 1 of its namespace */
		e->u.exit.task.ns_pid = 1;
		e->u.exit.task.ns_tgid = 1;
		e->u.exit.task.flags |= ST_TASK_NS_INIT | ST_TASK_GROUP_DEAD;
		e->u.exit.exit_code = BPF_CORE_READ(task, exit_code);
		e->u.exit.nr_threads = 0;
		submit(e, true);
	}
	if (!bpf_map_delete_elem(&dying_inits, &pid))
		__sync_fetch_and_add(&dying_count, -1);
	return 0;
}

/*
 * The host's mount namespace, from any task: the initial pid namespace is
 * level 0 of every task's pid, and its child reaper is the global init.
 */
static __always_inline void resolve_host_mntns(struct task_struct *t)
{
	struct pid_namespace *init_ns = BPF_CORE_READ(t, thread_pid, numbers[0].ns);
	struct task_struct *init;
	__u32 inum;

	if (!init_ns || BPF_CORE_READ(init_ns, level) != 0)
		return;
	init = BPF_CORE_READ(init_ns, child_reaper);
	if (!init || BPF_CORE_READ(init, pid) != 1)
		return;
	inum = BPF_CORE_READ(init, nsproxy, mnt_ns, ns.inum);
	if (inum)
		host_mntns = inum;
}

/* A runtime's child outside every container is a runtime task too. */
static __always_inline void inherit_runtime(struct task_struct *parent, struct task_struct *child)
{
	__u32 ctgid = child->tgid, flags = ST_RT_CHILD;

	if (!tgid_is_runtime(parent->tgid))
		return;
	if (bpf_map_update_elem(&runtime_tasks, &ctgid, &flags, BPF_ANY))
		stat_inc(ST_STAT_RUNTIME_TASK_ERRORS);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	struct st_event *e;
	__u64 cgid;

	if (child->pid != child->tgid)
		return 0; /* a new thread, not a new process */
	cgid = task_container_btf(parent);
	if (!cgid) {
		if (!host_mntns)
			resolve_host_mntns(parent);
		if (runtime_task_count > 0)
			inherit_runtime(parent, child);
		return 0;
	}
	e = reserve_event(ST_EV_PROCESS_FORK, fork);
	if (!e)
		return 0;
	fill_task(&e->u.fork.parent, parent, cgid);
	fill_task(&e->u.fork.child, child, cgid);
	submit(e, false);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_sched_process_exec, struct task_struct *task, pid_t old_pid,
	     struct linux_binprm *bprm)
{
	struct st_event *e;
	__u64 cgid;

	cgid = task_container_btf(task);
	if (!cgid)
		return 0;
	/* a runtime's child that became a container's process keeps no trust */
	runtime_task_forget(task->tgid);
	e = reserve_event(ST_EV_PROCESS_EXEC, exec);
	if (!e)
		return 0;
	fill_task(&e->u.exec.task, task, cgid);
	e->u.exec.old_pid = old_pid;
	submit(e, false);
	return 0;
}

static __always_inline int emit_cgroup(__u32 kind, struct cgroup *cgrp, const char *path)
{
	struct st_event *e;

	e = reserve_event(kind, cgroup);
	if (!e)
		return 0;
	e->u.cgroup.id = BPF_CORE_READ(cgrp, kn, id);
	e->u.cgroup.hierarchy = BPF_CORE_READ(cgrp, root, hierarchy_id);
	e->u.cgroup.level = BPF_CORE_READ(cgrp, level);
	bpf_probe_read_kernel_str(e->u.cgroup.path, sizeof(e->u.cgroup.path), path);
	submit(e, true);
	return 0;
}

static __always_inline bool cgroup_tracked(struct cgroup *cgrp)
{
	return cgroup_id_tracked(BPF_CORE_READ(cgrp, kn, id));
}

/* Every new cgroup below the root: user space decides which are containers. */
SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(handle_cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
	if (BPF_CORE_READ(cgrp, level) < 1)
		return 0;
	return emit_cgroup(ST_EV_CGROUP_MKDIR, cgrp, path);
}

/* Runs in the remover's context (runc, systemd): filtered on the cgroup. */
SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(handle_cgroup_rmdir, struct cgroup *cgrp, const char *path)
{
	if (!cgroup_tracked(cgrp))
		return 0;
	return emit_cgroup(ST_EV_CGROUP_RMDIR, cgrp, path);
}

/* cgroup v2 freezer only; the v1 freezer has no tracepoint. */
SEC("tp_btf/cgroup_freeze")
int BPF_PROG(handle_cgroup_freeze, struct cgroup *cgrp, const char *path)
{
	if (!cgroup_tracked(cgrp))
		return 0;
	return emit_cgroup(ST_EV_CGROUP_FREEZE, cgrp, path);
}

SEC("tp_btf/cgroup_unfreeze")
int BPF_PROG(handle_cgroup_unfreeze, struct cgroup *cgrp, const char *path)
{
	if (!cgroup_tracked(cgrp))
		return 0;
	return emit_cgroup(ST_EV_CGROUP_UNFREEZE, cgrp, path);
}

/* The OOM killer marks its victim after sending it SIGKILL. */
SEC("tracepoint/oom/mark_victim")
int handle_mark_victim(struct trace_event_raw_mark_victim *ctx)
{
	struct task_struct *cur = (struct task_struct *)bpf_get_current_task();
	struct st_event *e;

	e = reserve_event(ST_EV_OOM_VICTIM, oom);
	if (!e)
		return 0;
	fill_task(&e->u.oom.killer, cur, task_container(cur));
	e->u.oom.victim_pid = BPF_CORE_READ(ctx, pid);
	submit(e, true);
	return 0;
}

/* The unmount and removal calls: their hooks, the filter, the path walk. */
#include "removal_calls.h"
