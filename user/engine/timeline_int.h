/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Inside the stop timeline engine: its state, and what its files ask of each
 * other. timeline.c follows containers and their stops event by event,
 * timeline_timers.c does what time alone decides, timeline_shapes.c follows
 * what PID 1 runs and forwards, timeline_verdict.c judges a stop that ended,
 * timeline_words.c says verdicts and alerts in words.
 */
#ifndef STOPTRACE_TIMELINE_INT_H
#define STOPTRACE_TIMELINE_INT_H

#include "engine/timeline.h"

#define NSEC_PER_MSEC 1000000ULL
#define NSEC_PER_SEC  1000000000ULL
#define HASH_BUCKETS  1024
#define PRE_MAX	      8			  /* events kept for a container's next stop */
#define PRE_KEEP_NS   (60 * NSEC_PER_SEC) /* how old they may be */
#define ENTRY_HALF    (TL_MAX_ENTRIES / 2)
#define PENDING_MAX   6	 /* alerts a stop may have to resolve */
#define RECENT_KILLS  64 /* kernel SIGKILLs remembered to place OOM victims */
/*
 * Records from different CPUs can arrive out of order by a little: an exit
 * caused by a SIGKILL may carry a timestamp just before the SIGKILL's.
 */
#define SKEW_NS (1 * NSEC_PER_MSEC)
/*
 * The runtime's clean-up after the cgroup's removal, by default: measured
 * here 10 to 20 ms after it (docker stop), up to 130 ms on a loaded host
 * (6 busy loops and a writer on 2 cores): about 4 times that.
 */
#define TL_LINGER_NS (500 * NSEC_PER_MSEC)

/*
 * The stop signal, sent to PID 1 once more (re-raised by PID 1's handler,
 * re-sent by another process) or queued while blocked, and dropped by the
 * kernel: at its generation (sig_task_ignored: the default action on a
 * SIGNAL_UNKILLABLE namespace init, or SIG_IGN) or at its delivery (get_signal:
 * the same checks once it is unblocked).
 */
struct tl_drop {
	uint64_t ts_ns;
	uint32_t pid;	 /* its sender's host tgid */
	uint32_t ns_pid; /* ... in its own namespace */
	char comm[ST_COMM_LEN];
	bool self;	      /* sent by PID 1 itself: its handler re-raised it */
	bool inside;	      /* sent by another process of the container */
	bool at_delivery;     /* queued while blocked, dropped when PID 1 took it */
	bool first;	      /* the stop signal's first sending, never handled */
	uint32_t disposition; /* ST_DISP_DEFAULT or ST_DISP_IGNORE */
};

/* A process of the container the shapes name: a child of PID 1, a forward's target. */
struct tl_proc {
	uint32_t pid;	 /* host tgid */
	uint32_t ns_pid; /* in the container */
	char comm[ST_COMM_LEN];
};

#define TL_CHILDREN 4 /* PID 1's children followed per container, the newest */

/*
 * PID 1 passing a signal on to another process of the container once its
 * stop signal came (an init shim's forward, a shell trap's kill): the first
 * such sending, how many processes it reached, and what became of the first.
 */
struct tl_forward {
	uint64_t ts_ns; /* 0: none seen */
	struct tl_proc to;
	int sig;
	int result;	      /* enum st_signal_result */
	uint32_t disposition; /* the target's, enum st_disposition */
	uint32_t sig_flags;   /* ST_SIGF_* */
	bool exiting;	      /* the target was already exiting (or the signal made it so) */
	uint32_t ntargets;    /* distinct processes it reached */
	uint32_t last_pid;    /* the last one counted besides the first */
	uint64_t exit_ns;     /* the target's exit, 0 while not seen */
	uint32_t exit_code;
	bool alerted;
};

struct stop_state {
	struct tl_stop out;
	struct tl_proc child;  /* PID 1's child, the newest seen (timeline_shapes.c) */
	bool child_forked;     /* ... seen forked by PID 1, not only killed with it */
	bool child_exited;     /* a child of PID 1 exited after the stop signal, before SIGKILL */
	struct tl_forward fwd; /* PID 1 passed the stop signal on (timeline_shapes.c) */
	bool by_forward;       /* the verdict judged the forward's target (timeline_verdict.c) */
	int first_sig;	       /* the signal that started it, 0: the exit did */
	bool first_from_kernel;
	bool stop_sig_seen; /* the stop signal's generate to the init was judged */
	bool ignored;
	int ignored_disposition;
	bool handler;	    /* the stop signal went to a handler */
	bool resethand;	    /* ... installed with SA_RESETHAND: reset to the default at once */
	bool first_exiting; /* the stop signal found PID 1 already exiting: dropped, no fault */
	bool dropped;	    /* the stop signal's last sending was dropped by the kernel */
	bool dropped_alerted;
	struct tl_drop drop;   /* that drop, while dropped */
	struct tl_drop queued; /* who last queued the stop signal to PID 1 while it was blocked */
	char init_comm[ST_COMM_LEN]; /* PID 1's program, last seen */
	bool blocked_pending;	     /* queued blocked, not delivered yet */
	bool blocked;		     /* finding: never acted on before escalation */
	uint64_t blocked_since;
	bool blocked_alerted;
	bool oom;
	uint64_t sigkill_ns;
	uint64_t halt_kill_ns; /* reboot_pid_ns's SIGKILL to PID 1, held back (timeline_halt.c) */
	uint32_t halt_pid;     /* ... its sender, whose exit with code 0 confirms it */
	bool halted;	       /* confirmed: PID 1 halted through reboot(2) */
	uint32_t sigkill_sender;
	char sigkill_comm[ST_COMM_LEN];
	uint64_t exit_ns;
	uint64_t released_ns;
	uint64_t rmdir_ns; /* cgroup removed while the release was awaited */
	bool still_alerted;
	struct culprit *culprits; /* found while teardown hung */
	int nculprits;
	bool maybe_partial;    /* opened by a kill or an exit just after the monitor started */
	uint64_t monitor_ns;   /* how long the monitor had seen events when the stop opened */
	uint64_t linger_until; /* the cgroup is gone: written then (0: not lingering) */
	uint32_t npaths;
	char (*paths)[TL_PATH_LEN]; /* of its fs_call entries, allocated at the first */
	bool stuck;		    /* finding: teardown outlasted the timeout */
	uint64_t next_stuck_ns;
	uint64_t stuck_interval_ns;
	struct tl_run *run;   /* its samples of what runs (timeline_running.c), or NULL */
	uint64_t run_next_ns; /* when it wants its next sample; 0: at once */
	struct tl_alert pending[PENDING_MAX]; /* sent, to be resolved at the end */
	int npending;
	uint32_t nfirst;
	uint32_t nlast; /* entries in the ring of the last ones */
	uint32_t last_head;
	struct tl_entry first[ENTRY_HALF];
	struct tl_entry last[ENTRY_HALF];
};

struct tl_cont {
	struct tl_cont *next; /* hash chain */
	struct container c;
	struct stop_state *stop; /* the open stop, or NULL */
	uint32_t init_pid;	 /* host pid of its init, last seen */
	uint64_t last_end_ns;	 /* when its last stop ended, 0 for none */
	uint32_t last_init_pid;	 /* the init of that stop */
	bool restart_alerted;
	/* a halt through reboot(2) with no stop open: the container halted itself */
	uint64_t halt_kill_ns;
	uint32_t halt_pid;
	bool halted;
	bool seen_start;      /* its cgroup or init appeared while the monitor ran */
	uint64_t oom_init_ns; /* its init was chosen by the OOM killer */
	uint64_t last_seen_ns;
	uint64_t lost_pending; /* kernel records lost while no stop was open */
	uint64_t lost_ns;      /* when the last of them were */
	uint32_t npre;
	struct tl_entry pre[PRE_MAX];
	uint32_t children_of; /* the init whose children these are */
	uint32_t nchildren;
	struct tl_proc children[TL_CHILDREN]; /* oldest first */
	uint64_t last_alert_ns[TL_ALERT_KIND_MAX];
	uint32_t held[TL_ALERT_KIND_MAX];
};

struct recent_kill {
	uint64_t ts_ns;
	uint32_t pid;
	struct tl_cont *cont;
};

struct timeline {
	struct tl_config cfg;
	struct tl_facts facts;
	struct tl_listener listener;
	void *ctx;
	uint64_t next_alert_id;
	uint64_t seeing_ns;	 /* events seen since (timeline_seeing_since, cfg.start_ns) */
	uint64_t first_event_ns; /* the first event's time, 0 before it */
	size_t open;
	size_t nconts; /* containers followed */
	uint64_t full; /* containers or stops refused at a bound */
	struct tl_cont *buckets[HASH_BUCKETS];
	struct recent_kill kills[RECENT_KILLS];
	unsigned int kills_head;
	struct tl_stop scratch; /* assembled output */
	size_t running_stops;	/* stops holding samples (TL_RUNNING_STOPS at most) */
};

static inline int64_t tl_ms_between(uint64_t from, uint64_t to)
{
	return to >= from ? (int64_t)((to - from) / NSEC_PER_MSEC)
			  : -(int64_t)((from - to) / NSEC_PER_MSEC);
}

/* timeline.c */
struct stop_state *tl_open_stop(struct timeline *t, struct tl_cont *tc, uint64_t start);
void tl_add_event(struct stop_state *s, const struct st_event *e);
void tl_add_entry(struct stop_state *s, const struct tl_entry *en);
/* PID 1's program, from an event about task, a thread of PID 1 */
void tl_note_init_comm(struct stop_state *s, const struct st_task *task);

/* timeline_alerts.c */
void tl_alert_init(struct tl_alert *a, enum tl_alert_kind kind, uint64_t event_ts);
/* Send an alert unless one of its kind was sent for tc within the window; whether it was. */
bool tl_send_alert(struct timeline *t, struct tl_cont *tc, struct tl_alert *a, uint64_t now);
void tl_resolve_kind(struct timeline *t, struct stop_state *s, enum tl_alert_kind kind,
		     uint64_t now);
void tl_stop_alert(struct timeline *t, struct tl_cont *tc, struct tl_alert *a, uint64_t now);
void tl_alert_blocked(struct timeline *t, struct tl_cont *tc, uint64_t event_ts, uint64_t now);
void tl_alert_dropped(struct timeline *t, struct tl_cont *tc, uint64_t event_ts, uint64_t now);

/* timeline_end.c: how a stop ends, and its linger after the cgroup's removal */
void tl_end_stop(struct timeline *t, struct tl_cont *tc, uint64_t end_ns, bool partial);
/* The cgroup is gone at end_ns: the stop ends there, and lingers for the runtime's clean-up. */
void tl_close_stop(struct timeline *t, struct tl_cont *tc, uint64_t end_ns);
/* An event of the container while its stop lingers: the stop is written first. */
void tl_linger_event(struct timeline *t, struct tl_cont *tc, const struct st_event *e);
void tl_on_released(struct timeline *t, struct tl_cont *tc, const struct st_event *e);
void tl_on_rmdir(struct timeline *t, struct tl_cont *tc, const struct st_event *e);
/* A new init: a stop waiting for its end is over; restarted_after_stop when it applies. */
void tl_maybe_restarted(struct timeline *t, struct tl_cont *tc, const struct st_event *e,
			uint64_t now);

/*
 * timeline_shapes.c: what PID 1 runs and passes its stop signal on to. Forks,
 * execs and exits of the container (tl_shapes_process), a stop's opening
 * (tl_shapes_open), and every signal of an open stop to a process that is not
 * PID 1 (tl_shapes_signal).
 */
void tl_shapes_process(struct tl_cont *tc, const struct st_event *e);
void tl_shapes_open(struct tl_cont *tc, struct stop_state *s);
void tl_shapes_signal(struct timeline *t, struct tl_cont *tc, const struct st_event *e,
		      uint64_t now);
/* The process that got the forward still ran when SIGKILL came (or to the end). */
bool tl_forward_target_kept(const struct stop_state *s);

/*
 * timeline_halt.c. Whether signal event e may be reboot_pid_ns's SIGKILL to
 * PID 1 (noted); whether exit event e confirms it as a halt (1), refutes it
 * (-1: some other SIGKILL of the kernel's, still no escalation) or is
 * unrelated (0).
 */
bool tl_halt_kill(struct stop_state *s, const struct st_event *e);
int tl_halt_exit(struct stop_state *s, const struct st_event *e);
/*
 * With no stop open: the container halting itself (halt, poweroff, its init's
 * own halt). tl_halt_unopened takes signal and exit events, and says whether
 * one was the halt's (its SIGKILL, its caller's exit); tl_halt_open hands what
 * they saw to the stop PID 1's exit opens.
 */
bool tl_halt_unopened(struct tl_cont *tc, const struct st_event *e);
void tl_halt_open(struct tl_cont *tc, struct stop_state *s);

/*
 * timeline_running.c. A signal of the stop: who was sent the stop signal.
 * The last sample before the SIGKILL (or the last one, with no SIGKILL and
 * PID 1 still running), NULL for none; an alert's list and its words; the
 * reason's sentence naming what still ran, fitted to cap ("" for none); the
 * stop's end.
 */
void tl_running_signal(struct timeline *t, struct stop_state *s, const struct st_event *e);
/* A process of the container exited: out of the samples taken before, if before the SIGKILL. */
void tl_running_exited(struct stop_state *s, const struct st_event *e);
const struct tl_running *tl_running_last(struct stop_state *s);
void tl_running_alert(struct stop_state *s, struct tl_alert *a);
void tl_running_words(struct stop_state *s, char *buf, size_t cap);
void tl_running_free(struct timeline *t, struct stop_state *s);

/* timeline_verdict.c */
void tl_judge(struct stop_state *s);
/* Whether a SIGKILL to PID 1 is the stop's escalation (not the kernel's, not ignored). */
bool tl_escalation_kill(const struct st_signal *sig);

/*
 * timeline_words.c. The verdict's reason, with its fix, in s->out.reason;
 * an alert's message and action, from what the alert and the stop hold.
 */
void tl_describe_verdict(struct stop_state *s);
void tl_describe_ignored(const struct stop_state *s, struct tl_alert *a, uint32_t disposition);
void tl_describe_forward_ignored(const struct stop_state *s, struct tl_alert *a);
void tl_describe_dropped(const struct stop_state *s, struct tl_alert *a);
void tl_describe_blocked(const struct stop_state *s, struct tl_alert *a);
void tl_describe_still_running(const struct stop_state *s, struct tl_alert *a);
void tl_describe_stuck(const struct stop_state *s, struct tl_alert *a);
void tl_describe_restarted(struct tl_alert *a, uint32_t last_init_pid, const char *policy);
void tl_describe_oom(struct tl_alert *a, bool init);
/* Records lost during the stop: said with the alert, which may be wrong then. */
void tl_note_lost(struct tl_alert *a, uint64_t lost);

#endif /* STOPTRACE_TIMELINE_INT_H */
