/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The removal engine: one removal timeline per removal of a container's
 * storage, and one rootfs_removal_failed alert when the runtime gives up.
 *
 * A removal is defined by the runtime's state, not by the number or kind of
 * calls: the calls on a container's storage are one removal when one of
 * them removes (or fails to remove) what only the removal of the container
 * takes away, its own directory or its writable layer (the runtimes table's
 * removed_dirs and layers). A stop unmounts the rootfs, removes merged/ and
 * the fifos of the run: those calls alone write nothing. Go's RemoveAll,
 * with which the runtimes remove, begins and ends with the top directory,
 * so a removal that fails below it has a failed call on it too.
 * Pure like the stop timeline engine: unmount and removal calls (already
 * mapped to their container) and a clock go in, records come out; what it
 * needs from the system (what holds a busy path, a file's attributes, the
 * runtime's own state) it asks through facts that tests replace.
 *
 * Runtimes retry: Docker unmounts and retries EBUSY for about 5 s, does not
 * retry EPERM, and after a failure Go's RemoveAll carries on, so the parent
 * directories then fail with ENOTEMPTY. A failure that a later success on
 * the same path (or a parent) undoes is transient: on the timeline, not
 * alerted. A failure is final when nothing happened for longer than the
 * runtime retries it: the settle window for EBUSY, the quiet window for the
 * errors no runtime retries. (Docker's state file cannot tell: it marks the
 * container dead before removing it and does not write the outcome.)
 */
#ifndef STOPTRACE_REMOVAL_H
#define STOPTRACE_REMOVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "host/holders.h"
#include "identity/identity.h"
#include "stoptrace_event.h"

#define RM_PATH_LEN	HOLDER_PATH_LEN
#define RM_MAX_FAILURES 8
#define RM_MAX_HOLDERS	HOLDERS_MAX
/* an EBUSY whose holder was not seen is looked at again, at most this often */
#define RM_HOLDERS_RETRY_NS (50ULL * 1000 * 1000)
/*
 * Scans started elsewhere (holders_start) and not yet answered, at most: the
 * engine counts them itself, so that a replay refuses the same ones.
 */
#define RM_HOLDERS_PENDING_MAX 4

struct rm_failure {
	uint32_t op; /* enum st_fs_op */
	int32_t err; /* positive errno */
	char path[RM_PATH_LEN];
	uint32_t attempts;
	uint64_t first_ns;
	uint64_t last_ns;
	bool resolved; /* a later success on it or a parent */
	/* what was found at the first failure (holders: at the first that showed one) */
	bool attrs_known;
	bool immutable;
	bool append_only;
	int nholders;
	struct holder *holders;	 /* EBUSY only; NULL otherwise */
	uint64_t holders_ns;	 /* when they were last looked for */
	uint32_t holders_cut;	 /* HOLDERS_CUT_* of the last look (holders_incomplete) */
	bool holders_pending;	 /* a scan started, its answer not in yet */
	uint32_t holders_caller; /* the caller whose view it scans */
};

struct rm_removal {
	struct container container;
	uint64_t start_ns;
	uint64_t end_ns;
	uint64_t last_ns;
	bool failed; /* outcome */
	uint64_t unlink_ok;
	uint64_t rmdir_ok;
	uint64_t umount_ok;
	uint64_t failed_calls;
	uint32_t caller_pid;
	char caller_comm[ST_COMM_LEN];
	bool runtime_dead; /* Docker marked the container dead */
	bool removing;	   /* a call on what only a removal takes away: not a stop */
	int nfailures;
	uint32_t failures_dropped;
	struct rm_failure failures[RM_MAX_FAILURES];
	uint32_t holder_scans; /* holder scans run for it (scan_limit.h) */
};

struct rm_alert {
	uint64_t alert_id;
	uint64_t ts_ns;
	uint64_t event_ts_ns;
	const struct rm_removal *removal;
	const struct rm_failure *cause; /* the first root cause */
	char message[2048];
	char action[256];
};

struct rm_listener {
	void (*alert)(void *ctx, const struct rm_alert *a);
	void (*timeline)(void *ctx, const struct rm_removal *r);
};

struct rm_facts {
	/* The runtime shows the container as dead (reported with a failure). */
	bool (*runtime_dead)(void *ctx, const struct container *c);
	/* What keeps path busy, as seen from the caller's mount namespace. */
	/* *cut: what the scan did not look at (HOLDERS_CUT_* of holders.h) */
	int (*holders)(void *ctx, uint32_t caller_pid, const char *path, struct holder *out,
		       int max, uint32_t *cut);
	/*
	 * Start that scan elsewhere (may be NULL): 1 started, its answer comes
	 * with removal_holders_done(); 0 not (ask holders now); -EBUSY refused.
	 */
	int (*holders_start)(void *ctx, const char *id, uint32_t caller_pid, const char *path);
	/* The file's immutable and append-only attributes; -errno when unreadable. */
	int (*attributes)(void *ctx, const char *path, bool *immutable, bool *append_only);
};

struct rm_config {
	uint64_t settle_ns;  /* no activity this long: the removal is over (10 s) */
	uint64_t quiet_ns;   /* a removal with no open failure ends after this (2 s) */
	uint64_t *alert_seq; /* shared with the stop engine: unique alert ids */
	size_t max_open;     /* removals open at once (1024) */
};

void rm_config_defaults(struct rm_config *cfg);

struct removal;

struct removal *removal_new(const struct rm_config *cfg, const struct rm_facts *facts,
			    const struct rm_listener *listener, void *ctx);
void removal_free(struct removal *r);

/*
 * One unmount or removal call of container c's storage; path is absolute.
 * whole: path is what only the container's removal takes away (its own
 * directory or its writable layer, runtime_removed_path()).
 */
void removal_event(struct removal *r, const struct st_fs_call *fs, uint64_t ts_ns, const char *path,
		   bool whole, const struct container *c, uint64_t now_ns);
/*
 * The scan started for path of container id is done: the engine asks the
 * holders fact now, if the failure still waits for it.
 */
void removal_holders_done(struct removal *r, const char *id, const char *path, uint64_t now_ns);
void removal_tick(struct removal *r, uint64_t now_ns);
void removal_flush(struct removal *r, uint64_t now_ns);
size_t removal_open(const struct removal *r);
/* Whether the removal of container id is under way (a call on what only its removal takes away). */
bool removal_removing(const struct removal *r, const char *id);
/* Removals refused because max_open were open already. */
uint64_t removal_full(const struct removal *r);
/* How many holder scans ran and were skipped by the rate limits. */
struct scan_limit_stats;
void removal_scan_stats(const struct removal *r, struct scan_limit_stats *out);

/* The failure an alert names: the earliest unresolved one that is not ENOTEMPTY. */
const struct rm_failure *removal_root_cause(const struct rm_removal *rm);

#endif /* STOPTRACE_REMOVAL_H */
