/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The parts of `stoptrace diagnose`, shared by its files: diagnose.c (the
 * command), diagnose_scan.c (the facts: /proc, PID 1, Docker's state),
 * diagnose_stop.c (what the stop will do: S2, S5), diagnose_removal.c (what
 * the removal of its storage will meet: S6) and diagnose_out.c (the record
 * and the text).
 */
#ifndef STOPTRACE_DIAGNOSE_INT_H
#define STOPTRACE_DIAGNOSE_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "host/culprits.h"
#include "host/mountinfo.h"
#include "host/procfs.h"
#include "identity/identity.h"
#include "report/records.h"

#define PROCS_MAX    (1 << 20) /* processes scanned on one host, at most */
#define HAZARDS_MAX  16
#define PROBLEMS_MAX 24
#define META_MAX     (16u << 20)
#define MSG_LEN	     768

/* One process of the host, from the scan of /proc. */
struct pinfo {
	int pid;
	int ppid;
	uint64_t mntns; /* 0 when unreadable */
	int nspid_levels;
	int ns_pid; /* innermost */
	bool in_ctr;
	bool in_ctr_cgroup; /* in the container's own cgroup, not one below it */
	char comm[PROC_NAME_LEN];
};

struct hazard {
	int pid;
	char comm[PROC_NAME_LEN];
	uint64_t mntns;
	const char *match;	       /* "device", "overlay_options", "root", "path" */
	char path[MI_PATH_LEN];	       /* what it holds, in the host's view */
	char mount_point[MI_PATH_LEN]; /* where, in its own view */
};

struct problem {
	const char *kind;
	char message[MSG_LEN];
	char action[MSG_LEN];
};

/* Where a path of the host's view lives: its filesystem and its path in it. */
struct fs_spot {
	bool found;
	unsigned int major, minor;
	char fsroot[MI_PATH_LEN];
};

struct diag {
	const char *root;
	struct container c;

	/* the scan of /proc */
	struct pinfo *procs;
	size_t nprocs;
	size_t procs_cap;
	bool cgroup_own;	/* c.cgroup is the container's own, not one below */
	uint64_t runtime_mntns; /* where the runtime mounts: dockerd's, else ours */
	int runtime_pid;	/* whose mountinfo is the host's view; 0: ours */

	/* runtime metadata */
	bool meta_paused, dead;

	/* PID 1 */
	bool running;
	int init_pid;
	struct proc_status init;
	char init_wchan[64];
	bool ns_init;
	uint64_t pidns;

	/* the stop signal */
	int sig;
	const char *prediction;
	char prediction_why[MSG_LEN];

	/* the pid namespace */
	struct culprit ns_procs[CULPRITS_MAX];
	int nns_total;
	int nns;
	bool ns_stuck[CULPRITS_MAX];

	/* removal */
	bool removal_checked;
	char storage[PATH_MAX - 64]; /* room for "/merged" */
	char ctr_dir[PATH_MAX - 64];
	char removal_note[MSG_LEN];
	struct hazard hazards[HAZARDS_MAX];
	int nhazards;
	int nhazards_total;

	struct problem problems[PROBLEMS_MAX];
	int nproblems;

	bool caps_dropped; /* on the live system: caps is what it kept */
	uint64_t caps;
};

static inline struct problem *add_problem(struct diag *d, const char *kind)
{
	struct problem *p;

	if (d->nproblems >= PROBLEMS_MAX)
		return NULL;
	p = &d->problems[d->nproblems++];
	p->kind = kind;
	p->message[0] = '\0';
	p->action[0] = '\0';
	return p;
}

/* A name for the container in messages: its name, else the first 12 of its id. */
static inline void label_of(const struct container *c, char *buf, size_t cap)
{
	if (c->name[0])
		snprintf(buf, cap, "%s", c->name);
	else
		snprintf(buf, cap, "%.12s", c->id);
}

/* diagnose_scan.c */
/* The inode of a namespace link <root>/proc/<pid>/ns/<kind>, "mnt:[4026531840]". */
int diag_ns_inode(const char *root, const char *pid, const char *kind, uint64_t *inode);
/* procfs_for_each_pid's callback (ctx: the diagnosis): one process into d->procs. */
int diag_scan_pid(int pid, void *ctx);
const struct pinfo *diag_find_proc(const struct diag *d, int pid);
/* The pid of the container's PID 1 among d->procs, or 0. */
int diag_find_init(const struct diag *d);
/* Docker's view of the container: config.v2.json "State". */
void diag_docker_state(struct diag *d);

/* diagnose_stop.c */
void diag_predict_stop_signal(struct diag *d);
/* Every process of PID 1's namespace; a problem per one that keeps its teardown waiting. */
void diag_check_namespace(struct diag *d);

/* diagnose_removal.c */
/* Mounts of the container's storage held in other mount namespaces: a problem each. */
void diag_check_removal(struct diag *d);
void diag_add_dead_problem(struct diag *d);

/* diagnose_out.c */
/* The diagnosis record on standard output, within one line's limit; 0 or -E2BIG. */
int diag_print_json(const struct diag *d, const struct record_ctx *rc, uint64_t now);
void diag_print_text(const struct diag *d);

#endif /* STOPTRACE_DIAGNOSE_INT_H */
