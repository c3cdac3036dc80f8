/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The runtime daemons the kernel side trusts (bpf/stoptrace.bpf.c,
 * caller_trusted): found by their pid files and by the owners of their
 * sockets, and each verified to be outside every container (uid 0, the
 * initial pid and user namespaces, no container cgroup) before its tgid goes
 * into runtime_tasks and its mount namespace into runtime_mntns. Looked for
 * again every TRUST_EVERY_NS: a restarted dockerd has another pid.
 *
 * Every /proc and file read takes a root prefix ("" for the live system, a
 * fixture tree in tests), as user/host/procfs.h does.
 */
#ifndef STOPTRACE_TRUST_H
#define STOPTRACE_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "host/procfs.h"

#define TRUST_MAX_DAEMONS 16
#define TRUST_EVERY_NS	  (5ULL * 1000000000ULL)
#define TRUST_INIT_PIDNS  0xEFFFFFFCULL /* PROC_PID_INIT_INO */
#define TRUST_INIT_USERNS 0xEFFFFFFDULL /* PROC_USER_INIT_INO */

/* A runtime daemon that passed the checks. */
struct trust_daemon {
	char name[PROC_NAME_LEN]; /* its comm, as the table expects it */
	int pid;		  /* host tgid */
	uint64_t mntns;		  /* its mount namespace's inode */
	const char *source;	  /* the pid file or socket it was found by (the table's) */
};

/* Where a runtime daemon is looked for. */
enum trust_how {
	TRUST_PIDFILE,
	TRUST_SOCKET,
};

struct trust_source {
	enum trust_how how;
	const char *path; /* absolute, below the root prefix */
	const char *comm; /* the daemon's expected comm: a stale pid names another process */
};

struct trust {
	struct trust_daemon d[TRUST_MAX_DAEMONS];
	int n;
	int prev[TRUST_MAX_DAEMONS]; /* the pids put in runtime_tasks by the last look */
	int nprev;
	uint32_t host_mntns;  /* the kernel's answer; 0: unknown, runtime_tasks only */
	bool self_host;	      /* this process is in the initial pid namespace (host pids) */
	uint64_t next_ns;     /* the next look */
	uint64_t refusals;    /* candidates refused so far */
	uint64_t sync_errors; /* kernel map updates that failed */
	char last_refusal[256];
};

/*
 * Called for a candidate refused: its source, pid (0 when none was read) and
 * why, a sentence.
 */
typedef void (*trust_refused_fn)(void *ctx, const struct trust_source *src, int pid,
				 const char *why);

/* The sources looked at, NULL-terminated by a zero path. */
const struct trust_source *trust_sources(void);

/*
 * The pid a pid file names: a regular file owned by root (or, for fixture
 * trees, by this process's euid), not writable by group or others, holding
 * one decimal number and an optional newline. 0, or -errno (-EINVAL for
 * anything else in it).
 */
int trust_read_pidfile(const char *root, const char *path, int *pid);

/*
 * Whether pid is a runtime daemon outside every container: its comm is
 * comm (when not NULL), its real and effective uid 0, its pid namespace
 * and user namespace the initial ones (and NSpid one level), no line of its
 * /proc/PID/cgroup a container's. Fills out (name, pid, mntns). Returns 0,
 * or -errno with why set (-EPERM: a check refused it; -ENOENT: no such
 * process, a stale pid file).
 */
int trust_verify_pid(const char *root, int pid, const char *comm, struct trust_daemon *out,
		     char *why, size_t cap);

/*
 * Look at every source: verified daemons in out (each pid once), at most
 * max; refused ones reported to refused (may be NULL). Returns how many.
 */
int trust_find(const char *root, struct trust_daemon *out, int max, trust_refused_fn refused,
	       void *ctx);

struct loader;
struct jsonw;

/*
 * The live monitor's side (root ""): learn the host's mount namespace from
 * the kernel (a fork makes the kernel side look), find the daemons and fill
 * the kernel maps. What trust cannot rest on is then in t, for the caller to
 * say: self_host false (no daemon is verified: their pids are not this
 * namespace's), host_mntns 0 (only the verified daemons are trusted).
 */
void trust_start(struct trust *t, struct loader *l, uint64_t now_ns);
/* Every TRUST_EVERY_NS: look again, and update the kernel maps. */
void trust_tick(struct trust *t, struct loader *l, uint64_t now_ns);
/* "trust": {"host_mntns_known", "runtimes": [{"name", "pid", "source"}], ...} */
void trust_json(struct jsonw *w, const struct trust *t);

#endif /* STOPTRACE_TRUST_H */
