/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The stop timeline engine. Pure: decoded kernel events and a clock go in,
 * alerts and timelines come out through a listener; what it needs to know about
 * the system (a container's configured stop signal, its restart policy) it
 * asks through a facts interface that tests replace. It never reads a file
 * or the clock itself.
 *
 * A stop of a container begins with a signal sent to its init from outside
 * the container that is fatal by default or is the container's configured
 * stop signal, or with its init's exit when nothing signalled it. It gathers
 * every event of that container until the container is gone (cgroup removed,
 * or the init released and a settle time passed), then one stop timeline
 * with one verdict is written: after a short linger past the cgroup's
 * removal, for the runtime's unmounts and removals (timeline_fs_call).
 */
#ifndef STOPTRACE_TIMELINE_H
#define STOPTRACE_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "host/culprits.h"
#include "identity/identity.h"
#include "engine/timeline_running.h"
#include "stoptrace_event.h"

/* Verdicts, in precedence order: the lowest value that applies wins. */
enum tl_verdict {
	TL_NS_TEARDOWN_STUCK = 0,
	TL_STOP_SIGNAL_IGNORED,
	TL_STOP_SIGNAL_BLOCKED,
	TL_GRACE_PERIOD_EXCEEDED,
	TL_OOM_KILLED,
	TL_KILLED_WITHOUT_GRACE,
	TL_GRACEFUL,
	TL_EXITED,
	TL_VERDICT_MAX,
};

enum tl_alert_kind {
	TL_ALERT_STOP_SIGNAL_IGNORED = 0,
	TL_ALERT_STOP_SIGNAL_BLOCKED,
	TL_ALERT_STOP_STILL_RUNNING,
	TL_ALERT_NS_TEARDOWN_STUCK,
	TL_ALERT_ROOTFS_REMOVAL_FAILED,
	TL_ALERT_RESTARTED_AFTER_STOP,
	TL_ALERT_OOM_KILLED,
	TL_ALERT_KIND_MAX,
};

/*
 * A process by its comm (a tenant's choice: words only, never trust): a
 * shell, or a script (the kernel names one after its file, entrypoint.sh);
 * an init shim that forwards signals to its child (tini, docker-init,
 * dumb-init, catatonit).
 */
bool tl_is_shell(const char *comm);
bool tl_is_shim(const char *comm);

const char *tl_verdict_name(enum tl_verdict v);
const char *tl_alert_kind_name(enum tl_alert_kind k);

/* One event on a timeline, compact. */
struct tl_entry {
	uint64_t ts_ns;	      /* CLOCK_BOOTTIME */
	uint32_t kind;	      /* enum st_event_kind */
	int32_t sig;	      /* signals; exit: raw exit code */
	int32_t result;	      /* signal_generate result */
	uint32_t disposition; /* signal: target's; deliver: action */
	uint32_t flags;	      /* ST_SIGF_* for signals, ST_TASK_* for the task */
	uint32_t pid;	      /* the task concerned: host tgid */
	uint32_t ns_pid;      /* its pid in its namespace */
	uint32_t other_pid;   /* signal sender; fork child; fs_call: its path's index + 1, 0 none */
	char comm[ST_COMM_LEN];
	char other_comm[ST_COMM_LEN];
};

/* tl_entry.flags of a signal_generate beyond its ST_SIGF_* */
#define TL_ENTRY_NS_INIT (1u << 16) /* the target is its pid namespace's init */
#define TL_ENTRY_EXITING (1u << 17) /* the target was already exiting (ST_TASK_GROUP_EXIT) */
/* tl_entry.flags of a signal_deliver beyond its ST_TASK_* */
#define TL_ENTRY_DROPPED (1u << 16) /* the default action on a namespace init: dropped */

#define TL_MAX_ENTRIES 64 /* kept per stop: the first half and the last half */
/*
 * The paths of a stop's unmount and removal calls (fs_call entries: sig is
 * the enum st_fs_op, result the call's return, flags its flags), kept once
 * each, the first TL_MAX_PATHS of them.
 */
#define TL_MAX_PATHS 16
#define TL_PATH_LEN  256

/* A process and its parents, nearest first. */
struct tl_sender {
	uint32_t pid;
	uint32_t ns_pid;
	char comm[ST_COMM_LEN];
	bool from_inside; /* sent from within the container */
	struct st_proc ancestry[ST_ANCESTRY];
};

struct tl_stop {
	struct container container;
	uint64_t start_ns;
	uint64_t end_ns;
	enum tl_verdict verdict;
	uint32_t findings;	    /* bit per enum tl_verdict that applied */
	char reason[512];	    /* the verdict in words, with the fix */
	int stop_signal;	    /* the signal that started the stop, 0 for none */
	int configured_stop_signal; /* what the runtime is configured to send */
	bool has_sender;
	struct tl_sender sender;
	int64_t grace_ms;   /* stop signal to SIGKILL; -1 when no SIGKILL followed */
	bool exited;	    /* the init's exit was seen */
	uint32_t exit_code; /* raw: (status << 8) | termsig */
	uint32_t init_pid;
	int64_t teardown_ms;		/* init exit to release; -1 when not seen */
	uint32_t pidns;			/* the init's pid namespace inode */
	const struct culprit *culprits; /* what kept the namespace alive, when it hung */
	int nculprits;
	/* what was still running when SIGKILL came, or NULL */
	const struct tl_running *running;
	bool partial;  /* the monitor may have missed its beginning */
	uint64_t lost; /* kernel records lost while it was open, or in the minute before */
	uint32_t nentries;
	uint32_t dropped; /* entries left out of the middle */
	struct tl_entry entries[TL_MAX_ENTRIES];
	const char (*paths)[TL_PATH_LEN]; /* of fs_call entries: valid during the listener call */
	uint32_t npaths;
};

struct tl_alert {
	enum tl_alert_kind kind;
	uint64_t alert_id;
	uint64_t ts_ns;	      /* when the condition was seen (boot clock) */
	uint64_t event_ts_ns; /* the kernel event behind it, 0 for a timer */
	struct container container;
	char message[512]; /* what was seen, in words */
	char action[256];  /* what to do */
	int sig;	   /* the signal concerned, 0 for none */
	uint32_t pid;	   /* the process concerned, 0 for none */
	uint32_t ns_pid;
	char comm[ST_COMM_LEN];
	int64_t duration_ms;		/* how long the condition has lasted, -1 n/a */
	uint64_t lost;			/* kernel records lost during its stop: it may be wrong */
	uint32_t repeats;		/* alerts of this kind for this container held back */
	bool one_shot;			/* no alert_resolved will follow */
	const struct culprit *culprits; /* ns_teardown_stuck: valid during the listener call */
	int nculprits;
	/* stop_still_running, stop_signal_blocked: what runs; valid during the call */
	const struct tl_running *running;
};

/* Where records go. Each pointer is valid only during the call. */
struct tl_listener {
	void (*alert)(void *ctx, const struct tl_alert *a);
	void (*alert_resolved)(void *ctx, const struct tl_alert *a);
	void (*stop_timeline)(void *ctx, const struct tl_stop *s);
};

/* What the engine asks of the system. Any pointer may be NULL. */
struct tl_facts {
	/* The container's configured stop signal, 0 when unknown (SIGTERM assumed). */
	int (*stop_signal)(void *ctx, const struct container *c);
	/* Its restart policy ("no", "always", "on-failure", ...), or NULL. */
	const char *(*restart_policy)(void *ctx, const struct container *c);
	/*
	 * The processes still in pid namespace pidns, but init_pid (see
	 * culprits_find). Returns how many it found, or -errno.
	 */
	int (*ns_culprits)(void *ctx, uint32_t pidns, uint32_t init_pid, struct culprit *out,
			   int max);
};

struct tl_config {
	uint64_t stop_alert_after_ns; /* stop_still_running after this (default 30 s) */
	uint64_t teardown_timeout_ns; /* ns_teardown_stuck after this (default 3 s) */
	uint64_t settle_ns;	      /* after the init's release, wait for the cgroup (1 s) */
	uint64_t blocked_after_ns;    /* a blocked stop signal still pending: alert (1 s) */
	uint64_t dropped_after_ns;    /* PID 1 still runs after its stop signal came back and
				       * was dropped (a re-raise, a resend): alert (1 s) */
	uint64_t restart_window_ns;   /* a new init this soon after a stop: restarted (60 s) */
	uint64_t alert_window_ns;     /* repeats of one kind per container held back (60 s) */
	uint64_t max_stop_ns;	      /* give up on a stop with no end in sight (10 min) */
	uint64_t linger_ns;	      /* after the cgroup's removal, the runtime's unmounts and
				       * file removals still go on the stop's timeline (500 ms;
				       * 0: it is written at the removal) */
	uint64_t *alert_seq;	      /* alert ids, shared with other engines (NULL: its own) */
	uint64_t start_ns;	      /* when the monitor started (boot clock) */
	size_t max_containers;	      /* containers followed at once (16384) */
	size_t max_open;	      /* stops open at once (4096) */
};

void tl_config_defaults(struct tl_config *cfg);

struct timeline;

struct timeline *timeline_new(const struct tl_config *cfg, const struct tl_facts *facts,
			      const struct tl_listener *listener, void *ctx);
void timeline_free(struct timeline *t);

/*
 * Feed one decoded event. c is the container the event's cgroup belongs to
 * (copied; NULL for events with no container, such as oom_victim). now_ns is
 * the boot clock when the event is handled, for latency and timers.
 */
void timeline_event(struct timeline *t, const struct st_event *e, const struct container *c,
		    uint64_t now_ns);
/*
 * An unmount or removal call of container c's storage by its runtime (path
 * absolute): an event of c's stop while it is open or lingers after its
 * cgroup's removal. removing: the container's removal has begun (the
 * removal engine's); its calls are the removal's, and end the linger.
 */
void timeline_fs_call(struct timeline *t, const struct st_fs_call *fs, uint64_t ts_ns,
		      const char *path, const struct container *c, bool removing, uint64_t now_ns);
/*
 * The monitor sees events since ts_ns (its programs attached): how long it
 * had really run when a stop began, which decides whether it may have
 * missed the stop's beginning. Until it is called, cfg.start_ns.
 */
void timeline_seeing_since(struct timeline *t, uint64_t ts_ns);
/* Run timers: call at least every few hundred milliseconds. */
void timeline_tick(struct timeline *t, uint64_t now_ns);
/*
 * The kernel lost count records (the ring buffer was full): which container
 * they were about is unknown, so every open stop is marked incomplete, and
 * so is the next stop of every other known container if it starts within a
 * minute (the lost records may have been its first ones).
 */
void timeline_lost(struct timeline *t, uint64_t now_ns, uint64_t count);
/* The monitor stops: write every open stop as it stands (partial). */
void timeline_flush(struct timeline *t, uint64_t now_ns);

/* Stops under way now. */
size_t timeline_open_stops(const struct timeline *t);
/*
 * Containers or stops refused because the engine follows its bound of
 * containers (max_containers) or of open stops (max_open) already.
 */
uint64_t timeline_full(const struct timeline *t);

#endif /* STOPTRACE_TIMELINE_H */
