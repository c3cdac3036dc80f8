/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Who keeps a pid namespace alive: every process still in it, found from
 * /proc by the namespace's inode, with its state, what it waits on, its
 * container and whether that container's cgroup is frozen. Used by the
 * ns_teardown_stuck alert and by `stoptrace diagnose`. Reads under a root
 * prefix ("" for the live system) so tests run it on fixture trees.
 */
#ifndef STOPTRACE_CULPRITS_H
#define STOPTRACE_CULPRITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "identity/identity.h"

#define CULPRITS_MAX 16

struct culprit {
	uint32_t pid;	 /* host pid */
	uint32_t ns_pid; /* pid inside the namespace */
	char comm[65];
	char state;	 /* R S D T t Z X I */
	char wchan[64];	 /* "" when unreadable */
	char stack[256]; /* first frames of the kernel stack, "" when unreadable */
	bool in_container;
	struct container container; /* valid when in_container */
	bool frozen;		    /* its cgroup is frozen (v1 freezer or v2) */
	char frozen_how[96];	    /* "v1 freezer.state FROZEN", ... */
};

/*
 * Fill out (at most max) with the processes whose pid namespace is
 * pidns_inode, skipping exclude_pid (the exiting init itself, 0 for none).
 * Processes that vanish during the scan are skipped. ids (may be NULL) names
 * containers it already knows. Returns the number found (it may exceed max:
 * then only max are filled) or -errno.
 */
int culprits_find(const char *root, uint64_t pidns_inode, uint32_t exclude_pid,
		  struct identity_table *ids, struct culprit *out, int max);

/* The fix for one culprit in words: "docker unpause chi", ... */
void culprit_fix(const struct culprit *c, char *buf, size_t cap);

#endif /* STOPTRACE_CULPRITS_H */
