/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Records the kernel side writes into the ring buffer, shared by bpf/ and user/.
 *
 * No includes: fixed-width types only, so the same header compiles for the BPF
 * target and for user space. 64-bit fields come first in every struct so the
 * layout is the same on both sides without padding surprises.
 */
#ifndef STOPTRACE_EVENT_H
#define STOPTRACE_EVENT_H

/*
 * The layout of these records as recordings keep them (stoptrace --record):
 * raise it with any change below that moves or resizes a field.
 */
#define ST_EVENT_ABI 1

/*
 * Bounds. Those tied to a kernel constant name it; bpf/stoptrace.bpf.c
 * checks them against it (_Static_assert).
 */
#define ST_COMM_LEN	16  /* TASK_COMM_LEN: a task's comm, whole */
#define ST_ANCESTRY	4   /* sender's parents recorded with a signal */
#define ST_DIR_LEN	512 /* reversed directory components of a path: 2 * ST_DIR_HALF */
#define ST_DIR_HALF	256 /* a component read starts below this: NAME_MAX + 1 */
#define ST_NAME_LEN	256 /* the path argument as passed, cut here (PATH_MAX: 4096) */
#define ST_MAX_DEPTH	40  /* d_parent steps when resolving a directory */
#define ST_CGPATH_LEN	256 /* cgroup_mkdir/rmdir's path, cut here (TRACE_CGROUP_PATH_LEN: 1024) */
#define ST_TRACKED_BITS 65536 /* the tracked-cgroups prefilter's bits, a power of two */
#define ST_REMOVERS	16    /* comm prefixes of container removers (rodata) */

enum st_event_kind {
	ST_EV_SIGNAL_GENERATE = 1,
	ST_EV_SIGNAL_DELIVER,
	ST_EV_PROCESS_EXIT,
	ST_EV_PROCESS_FORK,
	ST_EV_PROCESS_EXEC,
	ST_EV_INIT_RELEASED, /* a container's namespace init was freed */
	ST_EV_CGROUP_MKDIR,
	ST_EV_CGROUP_RMDIR,
	ST_EV_CGROUP_FREEZE,
	ST_EV_CGROUP_UNFREEZE,
	ST_EV_FS_CALL, /* umount2, unlink, unlinkat, rmdir */
	ST_EV_OOM_VICTIM,
	ST_EV_KIND_MAX,
};

/*
 * The cgroup v1 hierarchy whose cgroup ids the kernel side matches (a knob
 * set before load, not a record field): memory where it is mounted; pids on
 * kernels built without the v1 memory controller (CONFIG_MEMCG_V1, Debian's
 * 6.12), where runtimes still make their cgroups in every other hierarchy.
 */
enum st_v1_controller {
	ST_V1_NONE = 0,
	ST_V1_MEMORY,
	ST_V1_PIDS,
};

/* signal_generate.result, as the kernel defines it */
enum st_signal_result {
	ST_SIG_DELIVERED = 0,
	ST_SIG_IGNORED = 1,
	ST_SIG_ALREADY_PENDING = 2,
	ST_SIG_OVERFLOW_FAIL = 3,
	ST_SIG_LOSE_INFO = 4,
};

/* What the target had set for the signal when it was generated. */
enum st_disposition {
	ST_DISP_DEFAULT = 0,
	ST_DISP_IGNORE = 1,
	ST_DISP_HANDLER = 2,
};

/* Flags on a task (st_task.flags). */
#define ST_TASK_NS_INIT	   (1u << 0) /* thread group leader is pid 1 of its pid ns */
#define ST_TASK_UNKILLABLE (1u << 1) /* SIGNAL_UNKILLABLE set on its signal struct */
#define ST_TASK_GROUP_DEAD (1u << 2) /* exit: last thread of the group */
#define ST_TASK_FROZEN_V2  (1u << 3) /* in a cgroup v2 frozen cgroup (when readable) */
/*
 * SIGNAL_GROUP_EXIT set on its signal struct: the thread group is already
 * exiting (a fatal signal, exit_group), and prepare_signal drops every new
 * signal to it with the result "ignored" (all but SIGKILL while it dumps core).
 */
#define ST_TASK_GROUP_EXIT (1u << 4)

/* Flags on a signal (st_signal.sig_flags). */
#define ST_SIGF_BLOCKED	     (1u << 0) /* in the target's blocked mask */
#define ST_SIGF_REAL_BLOCKED (1u << 1) /* in real_blocked (sigtimedwait and friends) */
#define ST_SIGF_GROUP	     (1u << 2) /* sent to the thread group */
#define ST_SIGF_FROM_KERNEL  (1u << 3) /* si_code is SI_KERNEL or the info was private */
#define ST_SIGF_SENDER_IN_NS (1u << 4) /* sender lives in the target's pid namespace */

/* Values in the runtime_tasks map (tgid -> flags). */
#define ST_RT_VERIFIED (1u << 0) /* put there by user space: a runtime daemon it verified */
#define ST_RT_CHILD    (1u << 1) /* inherited at fork from a task in the map */

/* Which syscall an ST_EV_FS_CALL reports. */
enum st_fs_op {
	ST_FS_UMOUNT = 1,
	ST_FS_UNLINK,
	ST_FS_UNLINKAT,
	ST_FS_RMDIR,
};

/* Flags on a path (st_fs_call.path_flags). */
#define ST_PATH_ABSOLUTE       (1u << 0) /* name was absolute: dir is empty */
#define ST_PATH_DIR_TRUNCATED  (1u << 1) /* dir walk hit a limit: dir is a suffix */
#define ST_PATH_DIR_UNRESOLVED (1u << 2) /* dirfd could not be read */
/*
 * The caller is trusted, decided in the kernel (bpf/stoptrace.bpf.c,
 * caller_trusted): a verified runtime daemon or its child, or a root task of
 * the initial namespaces outside every container in the host's (or a
 * runtime's) mount namespace. Recordings made before it meant "comm is a
 * runtime's"; the value is the same.
 */
#define ST_PATH_TRUSTED (1u << 3)

/* A task as seen at the event. */
struct st_task {
	__u64 cgroup_id; /* the tracked cgroup it matched, 0 if none */
	__u32 pid;	 /* host tid */
	__u32 tgid;	 /* host tgid */
	__u32 ns_pid;	 /* tid in its own pid namespace */
	__u32 ns_tgid;	 /* tgid in its own pid namespace */
	__u32 pidns;	 /* pid namespace inode */
	__u32 flags;	 /* ST_TASK_* */
	char comm[ST_COMM_LEN];
};

/* A process in a sender's ancestry. */
struct st_proc {
	__u32 pid;
	__u32 pad;
	char comm[ST_COMM_LEN];
};

struct st_signal {
	struct st_task target;
	struct st_task sender;
	struct st_proc ancestry[ST_ANCESTRY]; /* sender's parent, its parent, ... */
	__s32 sig;
	__s32 code;	   /* si_code, 0 when the kernel passed no info */
	__s32 result;	   /* enum st_signal_result */
	__u32 disposition; /* enum st_disposition */
	__u32 sig_flags;   /* ST_SIGF_* */
	__u32 pad;
};

struct st_deliver {
	struct st_task task;
	__u64 sa_flags;
	__s32 sig;
	__s32 code;
	__u32 disposition; /* enum st_disposition of the action taken */
	__u32 pad;
};

struct st_exit {
	struct st_task task;
	__u32 exit_code;  /* raw: (status << 8) | termsig */
	__u32 nr_threads; /* threads left in the group when it exits */
};

struct st_fork {
	struct st_task parent;
	struct st_task child;
};

struct st_exec {
	struct st_task task;
	__u32 old_pid;
	__u32 pad;
};

struct st_cgroup {
	__u64 id;	 /* kernfs node id == inode of the directory */
	__u32 hierarchy; /* hierarchy id (cgroup2 is 0) */
	__u32 level;
	char path[ST_CGPATH_LEN];
};

struct st_fs_call {
	struct st_task caller;
	__u64 flags;	  /* umount2 / unlinkat flags */
	__s32 ret;	  /* 0 or -errno */
	__u32 op;	  /* enum st_fs_op */
	__s32 dfd;	  /* the dirfd argument (AT_FDCWD = -100) */
	__u32 path_flags; /* ST_PATH_* */
	__u32 dir_len;	  /* bytes used in dir */
	__u32 dev;	  /* st_dev of the directory the name is relative to */
	/*
	 * dir: the directory the name is relative to, as NUL-separated
	 * components from the leaf upwards ("diff\0<id>\0overlay2\0..."),
	 * mount points crossed; user space reverses them.
	 */
	char dir[ST_DIR_LEN];
	char name[ST_NAME_LEN];
};

struct st_oom {
	struct st_task killer; /* current when the victim was marked */
	__u32 victim_pid;
	__u32 pad;
};

struct st_event {
	__u64 ts_ns; /* CLOCK_BOOTTIME */
	__u32 kind;  /* enum st_event_kind */
	__u32 cpu;
	union {
		struct st_signal signal;
		struct st_deliver deliver;
		struct st_exit exit;
		struct st_fork fork;
		struct st_exec exec;
		struct st_cgroup cgroup;
		struct st_fs_call fs;
		struct st_oom oom;
	} u;
};

/* Counters in the per-CPU stats map, indexed by this enum. */
enum st_stat {
	ST_STAT_EMITTED = 0,
	ST_STAT_LOST,		     /* ring buffer full: record dropped */
	ST_STAT_PATH_ERRORS,	     /* a path could not be read */
	ST_STAT_FS_MISMATCH,	     /* a removal call's exit found another call's entry: dropped */
	ST_STAT_FS_INFLIGHT_ERRORS,  /* a removal call's entry could not be stored: call unseen */
	ST_STAT_FS_UNTRUSTED,	     /* a failing removal call from an untrusted caller: dropped */
	ST_STAT_RUNTIME_TASK_ERRORS, /* a runtime's child could not be added to runtime_tasks */
	ST_STAT_MAX,
};

#endif /* STOPTRACE_EVENT_H */
