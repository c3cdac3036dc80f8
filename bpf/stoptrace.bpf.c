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

/*
 * Container runtimes' comms: the comm prefixes of the processes that remove
 * containers (the removers of the runtimes table, user/identity/runtimes.c),
 * set before load; an empty one ends the list. Anyone can set a comm: it
 * never makes a caller trusted (caller_trusted decides that). It only keeps
 * the successful calls of trusted host root processes that are no runtime's
 * out of the ring.
 */
const volatile char remover_comms[ST_REMOVERS][ST_COMM_LEN] = {};

static __always_inline bool comm_is_runtime(const char *c)
{
	for (int i = 0; i < ST_REMOVERS && remover_comms[i][0]; i++) {
		int j = 0;

		while (j < ST_COMM_LEN && remover_comms[i][j] && c[j] == remover_comms[i][j])
			j++;
		if (j == ST_COMM_LEN || !remover_comms[i][j])
			return true;
	}
	return false;
}

/*
 * Whether the caller's removal calls can be evidence about container
 * storage: decided here, never by comm. Every trusted caller is outside
 * every container: in no tracked container cgroup (cgid 0), in the initial
 * pid namespace, and in the host's mount namespace or one of a verified
 * runtime daemon's (some units run dockerd with MountFlags=slave). Then it is
 * trusted when it is
 *  (a) in runtime_tasks (a verified runtime daemon or its child); or
 *  (b) euid 0 of the initial user namespace, once the host's mount
 *      namespace is known (until then only (a) holds).
 * The namespace checks of (a) matter: runc's children inherit the entry
 * before they join a container, and a container's cgroup is tracked some
 * time after it is made, but its pid and mount namespaces come first.
 */
static __always_inline bool caller_trusted(struct task_struct *cur, __u64 cgid, bool *runtime)
{
	__u32 tgid = (__u32)(bpf_get_current_pid_tgid() >> 32);
	__u32 mntns, host = host_mntns;
	const struct cred *cred;

	*runtime = false;
	if (cgid || BPF_CORE_READ(cur, thread_pid, level) != 0)
		return false;
	mntns = BPF_CORE_READ(cur, nsproxy, mnt_ns, ns.inum);
	if (!mntns || (mntns != host && !bpf_map_lookup_elem(&runtime_mntns, &mntns)))
		return false;
	if (tgid_is_runtime(tgid)) {
		*runtime = true;
		return true;
	}
	if (!host)
		return false;
	cred = BPF_CORE_READ(cur, cred);
	return cred && BPF_CORE_READ(cred, euid.val) == 0 &&
	       BPF_CORE_READ(cred, user_ns, ns.inum) == PROC_USER_INIT_INO;
}

static __always_inline int fs_enter(struct trace_event_raw_sys_enter *ctx, __u32 op, __s32 dfd,
				    __u64 name, __u64 flags)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct fs_args a = {.name = name, .flags = flags, .dfd = dfd, .op = op, .nr = ctx->id};

	if (bpf_map_update_elem(&fs_inflight, &tid, &a, BPF_ANY))
		stat_inc(ST_STAT_FS_INFLIGHT_ERRORS);
	return 0;
}

/*
 * Write the directory's components from the leaf upwards into fs->dir,
 * crossing mount points, NUL-separated, and their length into fs->dir_len.
 * The running offset lives in the record, not in a register: the verifier
 * then sees an unknown bounded value at each step and prunes the walk's
 * states instead of exploring every path through the loop.
 */
static __always_inline void walk_dir(struct st_fs_call *fs, struct path *start)
{
	struct dentry *dentry = start->dentry;
	struct vfsmount *vfsmnt = start->mnt;
	struct mount *mnt = (void *)vfsmnt - bpf_core_field_offset(struct mount, mnt);

	fs->dir_len = 0;
	for (int i = 0; i < ST_MAX_DEPTH; i++) {
		struct dentry *parent = BPF_CORE_READ(dentry, d_parent);
		struct dentry *mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
		const unsigned char *name;
		__u32 off;
		long n;

		if (dentry == mnt_root || dentry == parent) {
			struct mount *mnt_parent = BPF_CORE_READ(mnt, mnt_parent);

			if (mnt_parent == mnt || !mnt_parent)
				return; /* the root of the mount tree */
			dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = mnt_parent;
			vfsmnt = (void *)mnt + bpf_core_field_offset(struct mount, mnt);
			continue;
		}
		off = fs->dir_len;
		if (off >= ST_DIR_HALF) {
			fs->path_flags |= ST_PATH_DIR_TRUNCATED;
			return;
		}
		name = BPF_CORE_READ(dentry, d_name.name);
		n = bpf_probe_read_kernel_str(&fs->dir[off & (ST_DIR_HALF - 1)], ST_DIR_HALF, name);
		if (n <= 0) {
			stat_inc(ST_STAT_PATH_ERRORS);
			fs->path_flags |= ST_PATH_DIR_UNRESOLVED;
			return;
		}
		fs->dir_len = off + (__u32)n;
		dentry = parent;
	}
	fs->path_flags |= ST_PATH_DIR_TRUNCATED;
}

static __always_inline int fs_exit(struct trace_event_raw_sys_exit *ctx, __u32 op)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct task_struct *cur = (struct task_struct *)bpf_get_current_task();
	struct fs_args *a, args;
	struct st_event *e;
	struct st_fs_call *fs;
	struct path dir = {};
	char comm[TASK_COMM_LEN];
	long ret = ctx->ret;
	bool trusted, runtime;
	__u64 cgid;
	char first;

	a = bpf_map_lookup_elem(&fs_inflight, &tid);
	if (!a)
		return 0;
	args = *a;
	bpf_map_delete_elem(&fs_inflight, &tid);
	if (args.op != op || args.nr != ctx->id) {
		/* another call's entry, left by a hook detached between its enter and exit */
		stat_inc(ST_STAT_FS_MISMATCH);
		return 0;
	}
	/*
	 * ENOENT: nothing was there. EISDIR: Go's RemoveAll tries unlink before
	 * rmdir on every directory. Neither is ever why a removal failed.
	 */
	if (ret == -ENOENT || ret == -EISDIR)
		return 0;
	cgid = task_container(cur);
	trusted = caller_trusted(cur, cgid, &runtime);
	if (ret == 0) {
		/*
		 * Successes only from trusted runtimes (the removal engine counts
		 * them): the comm filters the volume here, trust is decided already.
		 */
		if (!trusted)
			return 0;
		if (!runtime) {
			bpf_get_current_comm(comm, sizeof(comm));
			if (!comm_is_runtime(comm))
				return 0;
		}
	} else if (!trusted && !(cgid && container_fs_events)) {
		stat_inc(ST_STAT_FS_UNTRUSTED);
		return 0;
	}
	e = reserve_event(ST_EV_FS_CALL, fs);
	if (!e)
		return 0;
	fs = &e->u.fs;
	fill_task(&fs->caller, cur, cgid);
	fs->op = args.op;
	fs->dfd = args.dfd;
	fs->flags = args.flags;
	fs->ret = ret;
	fs->path_flags = trusted ? ST_PATH_TRUSTED : 0;
	fs->dir_len = 0;
	fs->dev = 0;
	fs->dir[0] = 0;
	fs->name[0] = 0;
	bpf_probe_read_user_str(fs->name, sizeof(fs->name), (void *)args.name);
	first = fs->name[0];

	if (first == '/') {
		fs->path_flags |= ST_PATH_ABSOLUTE;
	} else if (fs->dfd == AT_FDCWD) {
		struct fs_struct *fsx = BPF_CORE_READ(cur, fs);

		if (fsx)
			bpf_core_read(&dir, sizeof(dir), &fsx->pwd);
	} else if (fs->dfd >= 0) {
		struct fdtable *fdt = BPF_CORE_READ(cur, files, fdt);
		struct file **fds = BPF_CORE_READ(fdt, fd);
		unsigned int fd = (unsigned int)fs->dfd;
		struct file *f = NULL;

		if (fds && fd < BPF_CORE_READ(fdt, max_fds))
			bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
		if (f)
			bpf_core_read(&dir, sizeof(dir), &f->f_path);
	}
	if (!(fs->path_flags & ST_PATH_ABSOLUTE)) {
		if (dir.dentry && dir.mnt) {
			fs->dev = BPF_CORE_READ(dir.dentry, d_sb, s_dev);
			walk_dir(fs, &dir);
		} else {
			fs->path_flags |= ST_PATH_DIR_UNRESOLVED;
		}
	}
	submit(e, ret < 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_umount")
int handle_enter_umount(struct trace_event_raw_sys_enter *ctx)
{
	return fs_enter(ctx, ST_FS_UMOUNT, AT_FDCWD, ctx->args[0], ctx->args[1]);
}

SEC("tracepoint/syscalls/sys_exit_umount")
int handle_exit_umount(struct trace_event_raw_sys_exit *ctx)
{
	return fs_exit(ctx, ST_FS_UMOUNT);
}

SEC("tracepoint/syscalls/sys_enter_unlink")
int handle_enter_unlink(struct trace_event_raw_sys_enter *ctx)
{
	return fs_enter(ctx, ST_FS_UNLINK, AT_FDCWD, ctx->args[0], 0);
}

SEC("tracepoint/syscalls/sys_exit_unlink")
int handle_exit_unlink(struct trace_event_raw_sys_exit *ctx)
{
	return fs_exit(ctx, ST_FS_UNLINK);
}

SEC("tracepoint/syscalls/sys_enter_unlinkat")
int handle_enter_unlinkat(struct trace_event_raw_sys_enter *ctx)
{
	return fs_enter(ctx, ST_FS_UNLINKAT, (__s32)ctx->args[0], ctx->args[1], ctx->args[2]);
}

SEC("tracepoint/syscalls/sys_exit_unlinkat")
int handle_exit_unlinkat(struct trace_event_raw_sys_exit *ctx)
{
	return fs_exit(ctx, ST_FS_UNLINKAT);
}

SEC("tracepoint/syscalls/sys_enter_rmdir")
int handle_enter_rmdir(struct trace_event_raw_sys_enter *ctx)
{
	return fs_enter(ctx, ST_FS_RMDIR, AT_FDCWD, ctx->args[0], 0);
}

SEC("tracepoint/syscalls/sys_exit_rmdir")
int handle_exit_rmdir(struct trace_event_raw_sys_exit *ctx)
{
	return fs_exit(ctx, ST_FS_RMDIR);
}
