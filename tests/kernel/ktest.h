/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The kernel-side test (ktest): the real BPF object, loaded by the real
 * loader, watching a process tree in a cgroup shaped like a runtime's, its
 * records decoded by the monitor's own decoder. tools/kernel-matrix runs it
 * in virtual machines on several kernels and cgroup modes, and on the host.
 */
#ifndef STOPTRACE_KTEST_H
#define STOPTRACE_KTEST_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "stoptrace_event.h"

/* What the container's init did, as it saw it: pids and each call's errno. */
struct workload_result {
	pid_t init_pid;	    /* host pid of the namespace init */
	pid_t child_ns_pid; /* pid, in the container's namespace, of the child that exec'd */
	int child_status;   /* its wait status as the init reaped it */
	int unlink_errno;
	int rmdir_errno;
	int unlinkat_errno;
	int umount_errno;
};

/* The directories the fs calls fail on; all absolute, resolved paths. */
struct workload_paths {
	char work[PATH_MAX];
	char ro_file[PATH_MAX]; /* a file on a read-only tmpfs: unlink fails EROFS */
	char full[PATH_MAX];	/* work/full, not empty: rmdir fails ENOTEMPTY */
	char busy[PATH_MAX];	/* a tmpfs with a file held open: umount fails EBUSY */
	int busy_fd;
	int host_mnt_fd; /* the mount namespace ktest started in, -1 when none */
};

struct loader;
struct identity_table;

struct ktest {
	bool v2;
	bool verbose;
	struct loader *loader;
	struct identity_table *ids;
	char hier_dir[PATH_MAX]; /* mount point of the hierarchy the container is in */
	char cg_path[256];	 /* its path inside the hierarchy */
	char cg_dir[PATH_MAX + 256];
	char made_parent[PATH_MAX + 16]; /* its parent when ktest made it, removed at the end */
	char id[65];
	uint64_t cg_id;
	struct st_event *ev; /* decoded records, in arrival order */
	size_t nev;
	size_t dropped; /* records past the array's end or undecodable */
	int checks;
	int failed;
};

/* One line per check: "ok" or "FAIL", its name, what was seen. */
void check(struct ktest *t, bool ok, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* An indented line of context under the checks. */
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

typedef bool (*event_pred)(const struct ktest *t, const struct st_event *e, const void *arg);

/* Poll the ring buffer until a record matches or timeout_ms passed; NULL then. */
const struct st_event *wait_event(struct ktest *t, event_pred pred, const void *arg,
				  int timeout_ms);

/* Everything after the container's cgroup is known (checks.c). */
void run_checks(struct ktest *t, const struct workload_paths *p, const char *self_exe);

#define KTEST_CHILD_EXIT 7 /* the exit status of the container's short-lived child */

/* Build the directories and mounts (in this process's private mount namespace). */
int workload_prepare(struct workload_paths *p);
void workload_cleanup(struct workload_paths *p);

/*
 * Start the container: a process joins procs_file (its cgroup's
 * cgroup.procs), enters a new pid namespace and forks its init, which forks
 * and execs a child that exits KTEST_CHILD_EXIT, makes the failing fs calls,
 * then waits for signals. Returns once the init has done all that, with *res
 * filled and *holder the host pid of the process that reaps the init; -errno.
 */
int workload_start(const struct workload_paths *p, const char *procs_file, const char *self_exe,
		   struct workload_result *res, pid_t *holder);

/* Send SIGUSR1 (the init handles it) and wait until its handler ran. */
int workload_poke(const struct workload_result *res);

/* Reap the holder after the init was killed; its status or -errno. */
int workload_reap(pid_t holder);

#endif /* STOPTRACE_KTEST_H */
