/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The seccomp filter installed once the monitor runs with what it keeps: a
 * list of the system calls it still makes (reading the ring buffer, BPF
 * commands on its maps, attaching and detaching the removal hooks, /proc and
 * cgroupfs, its output files, syslog, inotify, threads' futexes). Any other
 * call is not made: it fails with EPERM and standard error names it once
 * ("stoptrace: seccomp: refused system call N ..."), the monitor goes on.
 * execve, ptrace, process_vm_writev, mount, setuid and the like are not on
 * the list. A hand-written classic BPF program (no libseccomp), for x86_64
 * and aarch64; on another architecture no filter is installed (said once).
 * The sanitizer build (stoptrace-asan) also allows what LeakSanitizer needs
 * at exit (ptrace of its own threads from a clone).
 */
#ifndef STOPTRACE_SANDBOX_H
#define STOPTRACE_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

enum sandbox_profile {
	SANDBOX_MONITOR, /* the monitor and trace, after the drop */
	SANDBOX_FILES,	 /* the file helper (user/privilege/privsep.h) */
};

/*
 * Install the filter for every thread of the process (needs no_new_privs).
 * 0, or -errno with the reason in why (cap bytes); -EOPNOTSUPP: not on this
 * architecture.
 */
int sandbox_apply(enum sandbox_profile p, char *why, size_t cap);

/* How many system calls the filter refused so far. */
unsigned long sandbox_refused(void);

/* Whether nr is on the profile's list (for the tests). */
bool sandbox_allows(enum sandbox_profile p, int nr);

#define SANDBOX_LISTS 3

/* n system call numbers, a negative one standing for none. */
struct sandbox_list {
	const int *calls;
	size_t n;
};

/*
 * The lists that make profile p's system calls, in the order the filter
 * tests them: those every process makes, p's own, and those the sanitizer
 * build also makes (none in other builds). Fills lists, returns how many.
 */
size_t sandbox_lists(enum sandbox_profile p, struct sandbox_list lists[SANDBOX_LISTS]);

#endif /* STOPTRACE_SANDBOX_H */
