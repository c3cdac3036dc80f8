/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Facts about processes read from /proc, for `diagnose` and the namespace
 * teardown alert. Every reader takes a root prefix ("" or "/" for the live
 * system, a fixture directory in tests) and reads <root>/proc/<pid>/...
 * Process names and cgroup paths are chosen by the host's tenants: they come
 * back as the raw bytes the kernel holds and must be escaped by whoever
 * prints them. Processes vanish at any time: a reader of a dead pid returns
 * -ENOENT or -ESRCH, and the scans skip such pids.
 */
#ifndef STOPTRACE_PROCFS_H
#define STOPTRACE_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The kernel prints up to 64 bytes of name (workqueue workers), plus NUL. */
#define PROC_NAME_LEN 65
/* NSpid levels kept; the kernel nests pid namespaces up to 32 deep. */
#define PROC_NSPID_MAX 8

/* What /proc/<pid>/status says about a process. */
struct proc_status {
	char name[PROC_NAME_LEN]; /* comm, the kernel's \n and \\ escapes undone */
	char state;		  /* R S D T t Z X I (P on some kernels) */
	int pid;		  /* all pids as seen from the reader's namespace */
	int tgid;
	int ppid; /* 0 for init and kernel threads */
	int threads;
	/*
	 * The pid at each pid-namespace level, outermost (reader's view) first,
	 * innermost last. Deeper nesting keeps the first and the innermost
	 * levels and drops the middle ones. nspid_count is 0 when the kernel
	 * has no NSpid line (before 4.1).
	 */
	int nspid[PROC_NSPID_MAX];
	int nspid_count;
	/* Signal masks: the bit for signal n is 1ULL << (n - 1). */
	uint64_t sig_pnd; /* pending for this thread */
	uint64_t shd_pnd; /* pending for the whole process */
	uint64_t sig_blk;
	uint64_t sig_ign;
	uint64_t sig_cgt;
};

/* What a process does with a signal that reaches it (not blocked). */
enum proc_sig_disposition {
	PROC_SIG_DEFAULT = 0, /* the default action (for a namespace init: dropped) */
	PROC_SIG_IGNORED,     /* SIG_IGN */
	PROC_SIG_HANDLER,     /* a handler is installed */
};

/* One step of a process's ancestry. */
struct proc_ancestor {
	int pid;
	char comm[PROC_NAME_LEN];
};

/* Called for each pid of a scan; a non-zero return stops it and is returned. */
typedef int (*procfs_pid_fn)(int pid, void *ctx);

/*
 * Called for each line of /proc/<pid>/cgroup: the hierarchy id (0 for
 * cgroup v2), the comma-separated controllers ("" for v2, "name=systemd"
 * for named hierarchies) and the path inside the hierarchy. A non-zero
 * return stops the walk and is returned.
 */
typedef int (*procfs_cgroup_fn)(int hierarchy_id, const char *controllers, const char *path,
				void *ctx);

/* Parse /proc/<pid>/status. Returns 0, -errno, or -EINVAL when malformed. */
int procfs_read_status(const char *root, int pid, struct proc_status *st);

/* The start time field of /proc/<pid>/stat, in clock ticks since boot. */
int procfs_read_stat_start(const char *root, int pid, uint64_t *starttime_ticks);

/* The inode of the pid namespace (the "pid:[N]" link /proc/<pid>/ns/pid). */
int procfs_pidns(const char *root, int pid, uint64_t *inode);
/* Any namespace of pid by kind ("mnt", "pid", ...): the inode in "mnt:[N]". */
int procfs_ns(const char *root, int pid, const char *kind, uint64_t *inode);

/*
 * The kernel function the process sleeps in ("do_signal_stop"), or "" when
 * it is running or the kernel will not say. -ERANGE when it does not fit.
 */
int procfs_read_wchan(const char *root, int pid, char *buf, size_t cap);

/*
 * The kernel stack (/proc/<pid>/stack, one "[<0>] func+off/len" line per
 * frame), cut at the last whole line that fits. Needs CAP_SYS_ADMIN: expect
 * -EACCES or -EPERM without it, and -ENOENT on kernels built without it.
 */
int procfs_read_stack(const char *root, int pid, char *buf, size_t cap);

/*
 * Call fn for each line of /proc/<pid>/cgroup. A cgroup name holding a
 * newline is glued back onto its line's path (a line that does not start
 * with "ID:" continues the previous one).
 */
int procfs_read_cgroup(const char *root, int pid, procfs_cgroup_fn fn, void *ctx);

/* Call fn for each numeric directory of <root>/proc, in directory order. */
int procfs_for_each_pid(const char *root, procfs_pid_fn fn, void *ctx);

/*
 * Call fn for every process whose pid namespace is pidns_inode. Pids that
 * vanish mid-scan (-ENOENT, -ESRCH), that the caller may not inspect
 * (-EACCES, -EPERM) or whose link is not a namespace link are skipped.
 * Returns 0, -errno when /proc cannot be listed, or fn's first non-zero.
 */
int procfs_tasks_in_pidns(const char *root, uint64_t pidns_inode, procfs_pid_fn fn, void *ctx);

/*
 * What st's process does with signal sig (1..64) when it arrives: one of
 * enum proc_sig_disposition, or -EINVAL for a bad signal number. Blocking
 * is separate: a blocked signal stays pending whatever its disposition.
 */
int procfs_signal_disposition(const struct proc_status *st, int sig);
bool procfs_signal_blocked(const struct proc_status *st, int sig);
/* Pending for the thread or the whole process. */
bool procfs_signal_pending(const struct proc_status *st, int sig);

/*
 * The process and its ancestors, following PPid: out[0] is pid itself,
 * out[1] its parent, and so on up to init, at most max entries. Stops early
 * at an ancestor that vanished or at a loop. Returns the number of entries
 * filled, or -errno when pid itself cannot be read.
 */
int procfs_ancestry(const char *root, int pid, struct proc_ancestor *out, int max);

#endif /* STOPTRACE_PROCFS_H */
