/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The kernel types stoptrace reads, and only the fields it reads, with the
 * kernel's own names. Every access is relocated by CO-RE against the running
 * kernel's BTF, so field order and the fields left out here do not matter;
 * a struct's size does where an array of them is indexed (task_sigaction).
 * tools/check-kernel-types checks every type, field, array length and
 * enumerator here against a kernel's BTF: the running kernel's, and those of
 * tools/kernel-matrix (docs/kernels.md).
 */
#ifndef STOPTRACE_KERNEL_TYPES_H
#define STOPTRACE_KERNEL_TYPES_H

typedef int pid_t;
typedef _Bool bool;
#define true 1
#define false 0

/*
 * The kernel's constants that size or bound the arrays below.
 * tools/check-kernel-types checks each array's length against the kernel's;
 * a flexible array ([]) stands for one whose length the kernel's version or
 * config decides.
 */
#define TASK_COMM_LEN	 16 /* include/linux/sched.h: task_struct.comm */
#define _NSIG		 64 /* arch/x86/include/asm/signal.h: signals 1 to _NSIG */
#define _NSIG_BPW	 64 /* bits per sigset_t word on x86_64 */
#define _NSIG_WORDS	 (_NSIG / _NSIG_BPW)
#define MAX_PID_NS_LEVEL 32 /* include/linux/pid_namespace.h: deepest pid namespace */

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct ns_common {
	unsigned int inum;
};

struct pid_namespace {
	struct task_struct *child_reaper;
	unsigned int level;
	struct ns_common ns;
};

struct upid {
	int nr;
	struct pid_namespace *ns;
};

struct pid {
	unsigned int level;
	struct upid numbers[]; /* level + 1 entries ([1] on 5.10) */
};

struct kernfs_node {
	__u64 id; /* u64 since 5.5 (before: union kernfs_node_id) */
};

struct cgroup_root {
	int hierarchy_id;
};

struct cgroup {
	struct kernfs_node *kn;
	int level;
	struct cgroup_root *root;
};

struct cgroup_subsys_state {
	struct cgroup *cgroup;
};

struct css_set {
	struct cgroup *dfl_cgrp;
	struct cgroup_subsys_state *subsys[]; /* CGROUP_SUBSYS_COUNT entries */
};

struct sigaction {
	void *sa_handler;
	unsigned long sa_flags;
};

struct k_sigaction {
	struct sigaction sa;
};

struct sighand_struct {
	struct k_sigaction action[_NSIG];
};

typedef struct {
	int counter;
} atomic_t;

struct signal_struct {
	atomic_t live;
	int nr_threads;
	unsigned int flags;
};

struct qstr {
	const unsigned char *name;
};

struct super_block {
	__u32 s_dev;
};

struct dentry {
	struct dentry *d_parent;
	struct qstr d_name;
	struct super_block *d_sb;
};

struct vfsmount {
	struct dentry *mnt_root;
};

struct mount {
	struct mount *mnt_parent;
	struct dentry *mnt_mountpoint;
	struct vfsmount mnt;
};

struct path {
	struct vfsmount *mnt;
	struct dentry *dentry;
};

struct file {
	struct path f_path;
};

struct fdtable {
	unsigned int max_fds;
	struct file **fd;
};

struct files_struct {
	struct fdtable *fdt;
};

struct fs_struct {
	struct path root;
	struct path pwd;
};

typedef struct {
	unsigned int val;
} kuid_t;

struct user_namespace {
	struct ns_common ns;
};

struct cred {
	kuid_t euid;
	struct user_namespace *user_ns;
};

struct mnt_namespace {
	struct ns_common ns;
};

struct nsproxy {
	struct mnt_namespace *mnt_ns;
};

typedef struct {
	unsigned long sig[_NSIG_WORDS];
} sigset_t;

struct task_struct {
	unsigned int flags;
	int exit_code;
	pid_t pid;
	pid_t tgid;
	struct task_struct *real_parent;
	struct task_struct *group_leader;
	struct pid *thread_pid;
	char comm[TASK_COMM_LEN];
	struct fs_struct *fs;
	struct files_struct *files;
	struct signal_struct *signal;
	struct sighand_struct *sighand;
	sigset_t blocked;
	sigset_t real_blocked;
	struct css_set *cgroups;
	const struct cred *cred;
	struct nsproxy *nsproxy;
};

struct linux_binprm;

/* The kernel's siginfo: the header of the user ABI's siginfo_t, in an anonymous struct. */
struct kernel_siginfo {
	struct {
		int si_signo;
		int si_errno;
		int si_code;
	};
};

struct trace_entry {
	unsigned short type;
};

/* Context of the syscalls:sys_enter_* and sys_exit_* tracepoints. */
struct trace_event_raw_sys_enter {
	struct trace_entry ent;
	long id;
	unsigned long args[6];
};

struct trace_event_raw_sys_exit {
	struct trace_entry ent;
	long id;
	long ret;
};

/*
 * oom:mark_victim. Its tp_btf arguments differ between the kernels supported
 * (an int pid on 5.10, task_struct and uid on 6.18), so the classic
 * tracepoint's pid field is read.
 */
struct trace_event_raw_mark_victim {
	struct trace_entry ent;
	int pid;
};

#pragma clang attribute pop

enum cgroup_subsys_id {
	memory_cgrp_id = 4, /* values relocated by CO-RE */
	pids_cgrp_id = 11,
	CGROUP_SUBSYS_COUNT = 14, /* the length of css_set.subsys on the running kernel */
};

#define SIGNAL_GROUP_EXIT 0x00000004 /* signal_struct.flags: group exit in progress */
#define SIGNAL_UNKILLABLE 0x00000040 /* signal_struct.flags: init ignores fatal signals */

/* include/linux/proc_ns.h: the inode of the initial user namespace, fixed since 3.8 */
#define PROC_USER_INIT_INO 0xEFFFFFFDU

#endif /* STOPTRACE_KERNEL_TYPES_H */
