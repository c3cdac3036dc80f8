/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What is still running in a container while its stop is under way: the
 * processes of its cgroup (cgroup.procs), each with its state, the kernel
 * function it sleeps in and its pid in the container. The monitor samples an
 * open stop when it opens and every second after, so that the processes the
 * SIGKILL then removes are known; the stop engine keeps the last sample
 * before the SIGKILL (engine/timeline_running.h).
 *
 * Bounded: at most RUNNING_MAX processes a sample (the rest is counted as
 * cut), one read of cgroup.procs, and for each process three small files of
 * /proc/<pid> named by the number the kernel listed, never by a name the
 * container chose. Process names come back as the raw bytes the kernel
 * holds: whoever prints them escapes them.
 */
#ifndef STOPTRACE_RUNNING_H
#define STOPTRACE_RUNNING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RUNNING_MAX	  256 /* processes a sample holds */
#define RUNNING_COMM_LEN  16  /* TASK_COMM_LEN */
#define RUNNING_WCHAN_LEN 48

struct running_proc {
	uint32_t pid;	 /* host tgid */
	uint32_t ns_pid; /* its pid in its innermost pid namespace, 0 when unknown */
	char state;	 /* R S D T t Z X I */
	char comm[RUNNING_COMM_LEN];
	char wchan[RUNNING_WCHAN_LEN]; /* "" when running or unreadable */
};

struct running_sample {
	uint32_t n;
	bool incomplete; /* the cgroup held more processes than RUNNING_MAX */
	struct running_proc procs[RUNNING_MAX];
};

/*
 * Sample the processes of cgroup (a path inside its hierarchy, e.g.
 * /docker/<id>, as the kernel reported it) under the first of the ndirs
 * hierarchy mounts dirs[] (e.g. "/sys/fs/cgroup/unified") that has it, all
 * below root ("" for this host, a fixture tree in tests). A process that
 * exits meanwhile, or whose pid now names a process outside cgroup, is left
 * out. Returns 0, -ENOENT when no hierarchy has the cgroup, -EINVAL for a
 * path with "." or ".." components, or -errno.
 */
int running_sample(const char *root, const char *const *dirs, int ndirs, const char *cgroup,
		   struct running_sample *out);

#endif /* STOPTRACE_RUNNING_H */
