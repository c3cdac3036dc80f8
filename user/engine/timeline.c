// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The stop timeline engine: per-container state machine, verdicts, alerts
 * and timers. See timeline.h for what a stop is and when it ends.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/names.h"
#include "engine/timeline.h"

#define NSEC_PER_MSEC	      1000000ULL
#define NSEC_PER_SEC	      1000000000ULL
#define HASH_BUCKETS	      1024
#define PRE_MAX		      8			  /* events kept for a container's next stop */
#define PRE_KEEP_NS	      (60 * NSEC_PER_SEC) /* how old they may be */
#define ENTRY_HALF	      (TL_MAX_ENTRIES / 2)
#define PENDING_MAX	      6	 /* alerts a stop may have to resolve */
#define RECENT_KILLS	      64 /* kernel SIGKILLs remembered to place OOM victims */
#define PARTIAL_NS	      (10 * NSEC_PER_SEC) /* a stop this soon after start may be missing its head */
#define STUCK_MAX_INTERVAL_NS (60 * NSEC_PER_SEC)
/*
 * Records from different CPUs can arrive out of order by a little: an exit
 * caused by a SIGKILL may carry a timestamp just before the SIGKILL's.
 */
#define SKEW_NS (1 * NSEC_PER_MSEC)
/*
 * Bounds. A container the engine follows costs about 2.3 KiB, an open stop
 * about 6 KiB: 16384 containers (the identity table's 65536 cgroups are two
 * or more per container on hybrid hosts) and 4096 stops at once (a whole
 * node drained at once stays far below) bound them to 38 and 24 MiB.
 */
#define TL_CONTAINERS_MAX 16384
#define TL_OPEN_MAX	  4096

struct stop_state {
	struct tl_stop out;
	int first_sig; /* the signal that started it, 0: the exit did */
	bool first_from_kernel;
	bool stop_sig_seen; /* the stop signal's generate to the init was judged */
	bool ignored;
	int ignored_disposition;
	bool handler;	      /* the stop signal went to a handler */
	bool blocked_pending; /* queued blocked, not delivered yet */
	bool blocked;	      /* finding: never acted on before escalation */
	uint64_t blocked_since;
	bool blocked_alerted;
	bool oom;
	uint64_t sigkill_ns;
	uint32_t sigkill_sender;
	char sigkill_comm[ST_COMM_LEN];
	uint64_t exit_ns;
	uint64_t released_ns;
	uint64_t rmdir_ns; /* cgroup removed while the release was awaited */
	bool still_alerted;
	struct culprit *culprits; /* found while teardown hung */
	int nculprits;
	bool maybe_partial; /* opened by a kill or an exit just after the monitor started */
	bool stuck;	    /* finding: teardown outlasted the timeout */
	uint64_t next_stuck_ns;
	uint64_t stuck_interval_ns;
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
	bool seen_start;      /* its cgroup or init appeared while the monitor ran */
	uint64_t oom_init_ns; /* its init was chosen by the OOM killer */
	uint64_t last_seen_ns;
	uint64_t lost_pending; /* kernel records lost while no stop was open */
	uint64_t lost_ns;      /* when the last of them were */
	uint32_t npre;
	struct tl_entry pre[PRE_MAX];
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
	struct tl_sink sink;
	void *ctx;
	uint64_t next_alert_id;
	size_t open;
	size_t nconts; /* containers followed */
	uint64_t full; /* containers or stops refused at a bound */
	struct tl_cont *buckets[HASH_BUCKETS];
	struct recent_kill kills[RECENT_KILLS];
	unsigned int kills_head;
	struct tl_stop scratch; /* assembled output */
};

static const char *const verdict_names[TL_VERDICT_MAX] = {
	[TL_NS_TEARDOWN_STUCK] = "ns_teardown_stuck",
	[TL_STOP_SIGNAL_IGNORED] = "stop_signal_ignored",
	[TL_STOP_SIGNAL_BLOCKED] = "stop_signal_blocked",
	[TL_GRACE_PERIOD_EXCEEDED] = "grace_period_exceeded",
	[TL_OOM_KILLED] = "oom_killed",
	[TL_KILLED_WITHOUT_GRACE] = "killed_without_grace",
	[TL_GRACEFUL] = "graceful",
	[TL_EXITED] = "exited",
};

static const char *const alert_names[TL_ALERT_KIND_MAX] = {
	[TL_ALERT_STOP_SIGNAL_IGNORED] = "stop_signal_ignored",
	[TL_ALERT_STOP_SIGNAL_BLOCKED] = "stop_signal_blocked",
	[TL_ALERT_STOP_STILL_RUNNING] = "stop_still_running",
	[TL_ALERT_NS_TEARDOWN_STUCK] = "ns_teardown_stuck",
	[TL_ALERT_ROOTFS_REMOVAL_FAILED] = "rootfs_removal_failed",
	[TL_ALERT_RESTARTED_AFTER_STOP] = "restarted_after_stop",
	[TL_ALERT_OOM_KILLED] = "oom_killed",
};

const char *tl_verdict_name(enum tl_verdict v)
{
	return (unsigned int)v < TL_VERDICT_MAX ? verdict_names[v] : NULL;
}

const char *tl_alert_kind_name(enum tl_alert_kind k)
{
	return (unsigned int)k < TL_ALERT_KIND_MAX ? alert_names[k] : NULL;
}

void tl_config_defaults(struct tl_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->stop_alert_after_ns = 30 * NSEC_PER_SEC;
	cfg->teardown_timeout_ns = 3 * NSEC_PER_SEC;
	cfg->settle_ns = 1 * NSEC_PER_SEC;
	cfg->blocked_after_ns = 1 * NSEC_PER_SEC;
	cfg->restart_window_ns = 60 * NSEC_PER_SEC;
	cfg->alert_window_ns = 60 * NSEC_PER_SEC;
	cfg->max_stop_ns = 600 * NSEC_PER_SEC;
	cfg->max_containers = TL_CONTAINERS_MAX;
	cfg->max_open = TL_OPEN_MAX;
}

struct timeline *timeline_new(const struct tl_config *cfg, const struct tl_facts *facts,
			      const struct tl_sink *sink, void *ctx)
{
	struct timeline *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->cfg = *cfg;
	if (!t->cfg.alert_seq)
		t->cfg.alert_seq = &t->next_alert_id;
	if (facts)
		t->facts = *facts;
	t->sink = *sink;
	t->ctx = ctx;
	return t;
}

void timeline_free(struct timeline *t)
{
	if (!t)
		return;
	for (int i = 0; i < HASH_BUCKETS; i++) {
		struct tl_cont *c = t->buckets[i];

		while (c) {
			struct tl_cont *next = c->next;

			if (c->stop)
				free(c->stop->culprits);
			free(c->stop);
			free(c);
			c = next;
		}
	}
	free(t);
}

size_t timeline_open_stops(const struct timeline *t)
{
	return t->open;
}

uint64_t timeline_full(const struct timeline *t)
{
	return t ? t->full : 0;
}

static unsigned int hash_id(const char *id)
{
	uint32_t h = 2166136261u;

	for (; *id; id++)
		h = (h ^ (unsigned char)*id) * 16777619u;
	return h % HASH_BUCKETS;
}

static struct tl_cont *cont_get(struct timeline *t, const struct container *c, uint64_t now)
{
	unsigned int b = hash_id(c->id);
	struct tl_cont *tc;

	for (tc = t->buckets[b]; tc; tc = tc->next) {
		if (!strcmp(tc->c.id, c->id)) {
			/* metadata may arrive after the cgroup: take the fuller copy */
			if (!tc->c.name[0] && c->name[0])
				tc->c = *c;
			tc->last_seen_ns = now;
			return tc;
		}
	}
	if (t->nconts >= t->cfg.max_containers) {
		t->full++;
		return NULL;
	}
	tc = calloc(1, sizeof(*tc));
	if (!tc)
		return NULL;
	t->nconts++;
	tc->c = *c;
	tc->last_seen_ns = now;
	tc->next = t->buckets[b];
	t->buckets[b] = tc;
	return tc;
}

static int configured_stop_signal(struct timeline *t, const struct tl_cont *tc)
{
	int sig = 0;

	if (t->facts.stop_signal)
		sig = t->facts.stop_signal(t->ctx, &tc->c);
	if (!sig)
		sig = tc->c.stop_signal;
	return sig > 0 ? sig : SIGTERM;
}

/* A signal to the init that starts a stop: its stop signal, or TERM, INT, QUIT, KILL. */
static bool starts_stop(int sig, int configured)
{
	return sig == configured || sig == SIGTERM || sig == SIGINT || sig == SIGQUIT ||
	       sig == SIGKILL;
}

static const char *sig_text(int sig, char *buf, size_t cap)
{
	const char *name = signal_name(sig);

	if (name)
		return name;
	snprintf(buf, cap, "signal %d", sig);
	return buf;
}

static int64_t ms_between(uint64_t from, uint64_t to)
{
	return to >= from ? (int64_t)((to - from) / NSEC_PER_MSEC)
			  : -(int64_t)((from - to) / NSEC_PER_MSEC);
}

/*
 * Send an alert unless one of its kind went out for this container within
 * the window: then it is only counted, and reported with the next one sent.
 * Returns whether it was sent.
 */
static bool send_alert(struct timeline *t, struct tl_cont *tc, struct tl_alert *a, uint64_t now)
{
	uint64_t last = tc->last_alert_ns[a->kind];

	a->container = tc->c;
	a->ts_ns = now;
	if (last && now - last < t->cfg.alert_window_ns) {
		tc->held[a->kind]++;
		return false;
	}
	a->alert_id = ++*t->cfg.alert_seq;
	a->repeats = tc->held[a->kind];
	tc->held[a->kind] = 0;
	tc->last_alert_ns[a->kind] = now;
	t->sink.alert(t->ctx, a);
	return true;
}

/* Records lost during the stop: said with the alert, which may be wrong then. */
static void note_lost(struct tl_alert *a, uint64_t lost)
{
	size_t len = strlen(a->message);

	a->lost = lost;
	if (lost && len < sizeof(a->message))
		snprintf(
			a->message + len, sizeof(a->message) - len,
			" (incomplete: %llu kernel records were lost during this stop, so this may "
			"be wrong)",
			(unsigned long long)lost);
}

/* An alert tied to a stop: resolved when the stop ends. */
static void stop_alert(struct timeline *t, struct tl_cont *tc, struct tl_alert *a, uint64_t now)
{
	struct stop_state *s = tc->stop;

	a->one_shot = false;
	note_lost(a, s->out.lost);
	if (!send_alert(t, tc, a, now))
		return;
	if (s->npending < PENDING_MAX)
		s->pending[s->npending++] = *a;
}

static void resolve_kind(struct timeline *t, struct stop_state *s, enum tl_alert_kind kind,
			 uint64_t now)
{
	for (int i = 0; i < s->npending; i++) {
		if (s->pending[i].kind != kind)
			continue;
		s->pending[i].ts_ns = now;
		t->sink.alert_resolved(t->ctx, &s->pending[i]);
		s->pending[i] = s->pending[--s->npending];
		i--;
	}
}

static void alert_init(struct tl_alert *a, enum tl_alert_kind kind, uint64_t event_ts)
{
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	a->event_ts_ns = event_ts;
	a->duration_ms = -1;
}

static void entry_from_task(struct tl_entry *en, const struct st_event *e,
			    const struct st_task *task)
{
	memset(en, 0, sizeof(*en));
	en->ts_ns = e->ts_ns;
	en->kind = e->kind;
	en->pid = task->tgid;
	en->ns_pid = task->ns_tgid;
	en->flags = task->flags;
	memcpy(en->comm, task->comm, ST_COMM_LEN);
}

static void make_entry(struct tl_entry *en, const struct st_event *e)
{
	switch (e->kind) {
	case ST_EV_SIGNAL_GENERATE:
		entry_from_task(en, e, &e->u.signal.target);
		en->sig = e->u.signal.sig;
		en->result = e->u.signal.result;
		en->disposition = e->u.signal.disposition;
		en->flags = e->u.signal.sig_flags |
			    (e->u.signal.target.flags & ST_TASK_NS_INIT ? 1u << 16 : 0);
		en->other_pid = e->u.signal.sender.tgid;
		memcpy(en->other_comm, e->u.signal.sender.comm, ST_COMM_LEN);
		break;
	case ST_EV_SIGNAL_DELIVER:
		entry_from_task(en, e, &e->u.deliver.task);
		en->sig = e->u.deliver.sig;
		en->disposition = e->u.deliver.disposition;
		break;
	case ST_EV_PROCESS_EXIT:
	case ST_EV_INIT_RELEASED:
		entry_from_task(en, e, &e->u.exit.task);
		en->sig = (int32_t)e->u.exit.exit_code;
		break;
	case ST_EV_PROCESS_FORK:
		entry_from_task(en, e, &e->u.fork.parent);
		en->other_pid = e->u.fork.child.tgid;
		memcpy(en->other_comm, e->u.fork.child.comm, ST_COMM_LEN);
		break;
	case ST_EV_PROCESS_EXEC:
		entry_from_task(en, e, &e->u.exec.task);
		break;
	case ST_EV_OOM_VICTIM:
		entry_from_task(en, e, &e->u.oom.killer);
		en->other_pid = e->u.oom.victim_pid;
		break;
	default:
		memset(en, 0, sizeof(*en));
		en->ts_ns = e->ts_ns;
		en->kind = e->kind;
		break;
	}
}

static void add_entry(struct stop_state *s, const struct tl_entry *en)
{
	if (s->nfirst < ENTRY_HALF) {
		s->first[s->nfirst++] = *en;
		return;
	}
	if (s->nlast == ENTRY_HALF) {
		s->out.dropped++;
		s->last[s->last_head] = *en;
		s->last_head = (s->last_head + 1) % ENTRY_HALF;
		return;
	}
	s->last[(s->last_head + s->nlast) % ENTRY_HALF] = *en;
	s->nlast++;
}

static void add_pre(struct tl_cont *tc, const struct tl_entry *en)
{
	if (tc->npre == PRE_MAX) {
		memmove(tc->pre, tc->pre + 1, sizeof(tc->pre[0]) * (PRE_MAX - 1));
		tc->npre--;
	}
	tc->pre[tc->npre++] = *en;
}

static struct stop_state *open_stop(struct timeline *t, struct tl_cont *tc, uint64_t start)
{
	struct stop_state *s;

	if (t->open >= t->cfg.max_open) {
		t->full++;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->out.start_ns = start;
	s->out.grace_ms = -1;
	s->out.teardown_ms = -1;
	s->out.configured_stop_signal = configured_stop_signal(t, tc);
	s->out.init_pid = tc->init_pid;
	for (uint32_t i = 0; i < tc->npre; i++)
		if (tc->pre[i].ts_ns + PRE_KEEP_NS >= start)
			add_entry(s, &tc->pre[i]);
	tc->npre = 0;
	/* what was lost just before may have been this stop's first events */
	if (tc->lost_pending && tc->lost_ns + PRE_KEEP_NS >= start)
		s->out.lost = tc->lost_pending;
	tc->lost_pending = 0;
	tc->stop = s;
	tc->restart_alerted = false;
	t->open++;
	return s;
}

static void judge(struct stop_state *s, struct tl_cont *tc)
{
	struct tl_stop *o = &s->out;
	char sb[24];
	const char *sig = sig_text(o->stop_signal ? o->stop_signal : SIGTERM, sb, sizeof(sb));
	int code = (o->exit_code >> 8) & 0xff, term = o->exit_code & 0x7f;
	int64_t took = s->exit_ns ? ms_between(o->start_ns, s->exit_ns) : -1;
	bool killed_after =
		s->sigkill_ns && (!s->exit_ns || s->exit_ns >= s->sigkill_ns ||
				  (term == SIGKILL && s->exit_ns + SKEW_NS >= s->sigkill_ns));
	size_t n = 0;

	(void)tc;
	o->findings = 0;
	if (s->stuck)
		o->findings |= 1u << TL_NS_TEARDOWN_STUCK;
	if (s->ignored)
		o->findings |= 1u << TL_STOP_SIGNAL_IGNORED;
	if (s->blocked)
		o->findings |= 1u << TL_STOP_SIGNAL_BLOCKED;
	if (s->handler && killed_after)
		o->findings |= 1u << TL_GRACE_PERIOD_EXCEEDED;
	if (s->oom)
		o->findings |= 1u << TL_OOM_KILLED;
	if (s->first_sig == SIGKILL && !s->first_from_kernel)
		o->findings |= 1u << TL_KILLED_WITHOUT_GRACE;
	if (s->first_sig && s->first_sig != SIGKILL && s->exit_ns && !killed_after && !s->ignored &&
	    !s->blocked)
		o->findings |= 1u << TL_GRACEFUL;
	if (!s->first_sig && s->exit_ns && !s->oom)
		o->findings |= 1u << TL_EXITED;
	o->partial = o->partial || (s->maybe_partial && !s->oom);
	if (!o->findings)
		o->findings |= 1u << TL_EXITED;
	o->verdict = (enum tl_verdict)__builtin_ctz(o->findings);

#define REASON(...)                                                                                \
	do {                                                                                       \
		if (n < sizeof(o->reason))                                                         \
			n += snprintf(o->reason + n, sizeof(o->reason) - n, __VA_ARGS__);          \
	} while (0)

	switch (o->verdict) {
	case TL_NS_TEARDOWN_STUCK:
		if (o->teardown_ms >= 0)
			REASON("PID 1 exited, but its pid namespace took %lld ms to tear down: "
			       "processes left in it could not die (a paused container sharing the "
			       "namespace, or a task in uninterruptible sleep). ",
			       (long long)o->teardown_ms);
		else
			REASON("PID 1 exited, but its pid namespace was not seen torn down before "
			       "the timeline ended: processes left in it could not die (a paused "
			       "container sharing the namespace, or a task in uninterruptible sleep). ");
		break;
	case TL_STOP_SIGNAL_IGNORED:
		if (s->ignored_disposition == ST_DISP_IGNORE)
			REASON("%s to PID 1 was ignored: the process set it to SIG_IGN. ", sig);
		else
			REASON("%s to PID 1 was ignored by the kernel: PID 1 of a pid namespace has "
			       "no handler for it, and a namespace init ignores signals whose default "
			       "action is to terminate. ",
			       sig);
		break;
	case TL_STOP_SIGNAL_BLOCKED:
		REASON("%s to PID 1 stayed pending: the process blocks it and did not unblock it "
		       "before the escalation. ",
		       sig);
		break;
	case TL_GRACE_PERIOD_EXCEEDED:
		REASON("PID 1 handles %s and received it, but was still running when SIGKILL came "
		       "%lld ms later. ",
		       sig, (long long)o->grace_ms);
		break;
	case TL_OOM_KILLED:
		REASON("PID 1 was killed by the kernel's OOM killer. ");
		break;
	case TL_KILLED_WITHOUT_GRACE:
		if (o->partial)
			/* seen is not sent: a stop signal may predate the monitor */
			REASON("SIGKILL from %s (pid %u), just after the monitor started: a stop "
			       "signal sent before that was not seen, so whether the application "
			       "had a chance to shut down is not known. ",
			       o->sender.comm[0] ? o->sender.comm : "?", o->sender.pid);
		else
			REASON("SIGKILL from %s (pid %u) with no stop signal before it (docker kill, "
			       "docker rm -f): the application had no chance to shut down. ",
			       o->sender.comm[0] ? o->sender.comm : "?", o->sender.pid);
		break;
	case TL_GRACEFUL:
		REASON("PID 1 exited %lld ms after %s", (long long)took, sig);
		if (term)
			REASON(", killed by %s. ", sig_text(term, sb, sizeof(sb)));
		else
			REASON(" with code %d. ", code);
		break;
	case TL_EXITED:
		if (!s->exit_ns)
			REASON("the stop ended without the exit of PID 1 being seen. ");
		else if (o->partial && term)
			REASON("PID 1 was killed by %s just after the monitor started; a stop "
			       "signal sent before that was not seen. ",
			       sig_text(term, sb, sizeof(sb)));
		else if (o->partial)
			REASON("PID 1 exited with code %d just after the monitor started; a stop "
			       "signal sent before that was not seen. ",
			       code);
		else if (term)
			REASON("PID 1 was killed by %s without a stop from outside. ",
			       sig_text(term, sb, sizeof(sb)));
		else
			REASON("PID 1 exited on its own with code %d. ", code);
		break;
	default:
		break;
	}
	if (o->verdict < TL_GRACE_PERIOD_EXCEEDED && s->sigkill_ns)
		REASON("SIGKILL followed after %lld ms. ", (long long)o->grace_ms);
	switch (o->verdict) {
	case TL_NS_TEARDOWN_STUCK:
		REASON("Fix: unpause the container sharing the pid namespace (docker unpause), or "
		       "find what the D-state task waits on.");
		break;
	case TL_STOP_SIGNAL_IGNORED:
		if (s->ignored_disposition == ST_DISP_IGNORE)
			REASON("Fix: do not ignore %s in the application.", sig);
		else
			REASON("Fix: run with an init (docker run --init, tini) or handle %s in "
			       "PID 1.",
			       sig);
		break;
	case TL_STOP_SIGNAL_BLOCKED:
		REASON("Fix: unblock %s (sigprocmask) or wait for it (sigwait).", sig);
		break;
	case TL_GRACE_PERIOD_EXCEEDED:
		REASON("Fix: shut down faster, or raise the grace period (docker stop -t, "
		       "stop_grace_period, terminationGracePeriodSeconds).");
		break;
	case TL_OOM_KILLED:
		REASON("Fix: raise the memory limit or reduce the application's memory use.");
		break;
	default:
		break;
	}
#undef REASON
	while (n > 0 && n < sizeof(o->reason) && o->reason[n - 1] == ' ')
		o->reason[--n] = '\0';
}

static int cmp_entries(const void *a, const void *b)
{
	const struct tl_entry *x = a, *y = b;

	return x->ts_ns < y->ts_ns ? -1 : x->ts_ns > y->ts_ns;
}

/* Assemble, judge and write a stop, resolve its alerts, and close it. */
static void end_stop(struct timeline *t, struct tl_cont *tc, uint64_t end_ns, bool partial)
{
	struct stop_state *s = tc->stop;
	struct tl_stop *o = &s->out;
	uint32_t n = 0;

	for (uint32_t i = 0; i < s->nfirst; i++)
		o->entries[n++] = s->first[i];
	for (uint32_t i = 0; i < s->nlast; i++)
		o->entries[n++] = s->last[(s->last_head + i) % ENTRY_HALF];
	o->nentries = n;
	/* records from different CPUs can arrive a little out of order */
	qsort(o->entries, n, sizeof(o->entries[0]), cmp_entries);
	o->container = tc->c;
	o->end_ns = end_ns;
	o->exited = s->exit_ns != 0;
	o->culprits = s->culprits;
	o->nculprits = s->nculprits;
	if (s->exit_ns && s->released_ns)
		o->teardown_ms = ms_between(s->exit_ns, s->released_ns);
	if (partial)
		o->partial = true;
	judge(s, tc);
	t->sink.stop_timeline(t->ctx, o);
	while (s->npending) {
		struct tl_alert *a = &s->pending[--s->npending];

		a->ts_ns = end_ns;
		t->sink.alert_resolved(t->ctx, a);
	}
	tc->last_end_ns = end_ns;
	tc->last_init_pid = o->init_pid;
	tc->stop = NULL;
	free(s->culprits);
	free(s);
	t->open--;
}

static void remember_kill(struct timeline *t, struct tl_cont *tc, const struct st_event *e)
{
	struct recent_kill *k = &t->kills[t->kills_head];

	k->ts_ns = e->ts_ns;
	k->pid = e->u.signal.target.tgid;
	k->cont = tc;
	t->kills_head = (t->kills_head + 1) % RECENT_KILLS;
}

static void on_stop_signal(struct timeline *t, struct tl_cont *tc, const struct st_event *e,
			   uint64_t now)
{
	const struct st_signal *sig = &e->u.signal;
	struct stop_state *s = tc->stop;
	struct tl_alert a;
	char sb[24];

	s->stop_sig_seen = true;
	if (sig->result == ST_SIG_IGNORED) {
		s->ignored = true;
		s->ignored_disposition = sig->disposition;
		alert_init(&a, TL_ALERT_STOP_SIGNAL_IGNORED, e->ts_ns);
		a.sig = sig->sig;
		a.pid = sig->target.tgid;
		a.ns_pid = sig->target.ns_tgid;
		memcpy(a.comm, sig->target.comm, ST_COMM_LEN);
		if (sig->disposition == ST_DISP_IGNORE) {
			snprintf(a.message, sizeof(a.message),
				 "%s to PID 1 was ignored: the process set it to SIG_IGN; the stop "
				 "will wait for the grace period, then SIGKILL",
				 sig_text(sig->sig, sb, sizeof(sb)));
			snprintf(a.action, sizeof(a.action),
				 "handle %s in the application instead of ignoring it",
				 sig_text(sig->sig, sb, sizeof(sb)));
		} else {
			snprintf(
				a.message, sizeof(a.message),
				"%s to PID 1 was ignored by the kernel: PID 1 of a pid namespace has "
				"no handler for it; the stop will wait for the grace period, then "
				"SIGKILL",
				sig_text(sig->sig, sb, sizeof(sb)));
			snprintf(
				a.action, sizeof(a.action),
				"run the container with an init (docker run --init, tini) or handle "
				"%s in PID 1",
				sig_text(sig->sig, sb, sizeof(sb)));
		}
		stop_alert(t, tc, &a, now);
		return;
	}
	if ((sig->sig_flags & ST_SIGF_BLOCKED) && !(sig->sig_flags & ST_SIGF_REAL_BLOCKED)) {
		s->blocked_pending = true;
		s->blocked_since = e->ts_ns;
		return;
	}
	if (sig->disposition == ST_DISP_HANDLER)
		s->handler = true;
}

static void alert_blocked(struct timeline *t, struct tl_cont *tc, uint64_t event_ts, uint64_t now)
{
	struct stop_state *s = tc->stop;
	struct tl_alert a;
	char sb[24];
	int sig = s->out.stop_signal;

	s->blocked = true;
	if (s->blocked_alerted)
		return;
	s->blocked_alerted = true;
	alert_init(&a, TL_ALERT_STOP_SIGNAL_BLOCKED, event_ts);
	a.sig = sig;
	a.pid = s->out.init_pid;
	a.ns_pid = 1;
	a.duration_ms = ms_between(s->blocked_since, now > event_ts ? now : event_ts);
	snprintf(a.message, sizeof(a.message),
		 "%s to PID 1 is pending: the process blocks it and has not taken it for %lld ms",
		 sig_text(sig, sb, sizeof(sb)), (long long)a.duration_ms);
	snprintf(a.action, sizeof(a.action),
		 "unblock %s in PID 1 (sigprocmask) or wait for it with sigwait",
		 sig_text(sig, sb, sizeof(sb)));
	stop_alert(t, tc, &a, now);
}

static void set_first_signal(struct stop_state *s, const struct st_event *e, bool outside)
{
	const struct st_signal *sig = &e->u.signal;

	s->first_sig = sig->sig;
	s->out.stop_signal = sig->sig;
	s->out.init_pid = sig->target.tgid;
	s->out.has_sender = true;
	s->out.sender.pid = sig->sender.tgid;
	s->out.sender.ns_pid = sig->sender.ns_tgid;
	s->out.sender.from_inside = !outside;
	memcpy(s->out.sender.comm, sig->sender.comm, ST_COMM_LEN);
	memcpy(s->out.sender.ancestry, sig->ancestry, sizeof(sig->ancestry));
}

static void on_signal(struct timeline *t, struct tl_cont *tc, const struct st_event *e,
		      uint64_t now)
{
	const struct st_signal *sig = &e->u.signal;
	bool is_init = sig->target.flags & ST_TASK_NS_INIT;
	bool outside = !(sig->sig_flags & ST_SIGF_SENDER_IN_NS) &&
		       sig->sender.cgroup_id != sig->target.cgroup_id;
	bool kernel = sig->sig_flags & ST_SIGF_FROM_KERNEL;
	struct stop_state *s = tc->stop;
	struct tl_entry en;

	if (is_init)
		tc->init_pid = sig->target.tgid;
	if (sig->sig == SIGKILL && kernel)
		remember_kill(t, tc, e);
	if (sig->sig == SIGCHLD)
		return; /* children exiting: not part of a stop's story */
	make_entry(&en, e);
	if (!s) {
		int configured = configured_stop_signal(t, tc);

		if (!is_init || !outside || kernel || !starts_stop(sig->sig, configured)) {
			/* signals from outside go on the next stop's timeline */
			if (outside)
				add_pre(tc, &en);
			return;
		}
		s = open_stop(t, tc, e->ts_ns);
		if (!s)
			return;
		set_first_signal(s, e, outside);
		/* a stop signal is a stop's head; a SIGKILL may follow one sent before the start */
		s->maybe_partial = !tc->seen_start && sig->sig == SIGKILL &&
				   e->ts_ns < t->cfg.start_ns + PARTIAL_NS;
	}
	add_entry(s, &en);
	if (!is_init)
		return;
	if (!s->first_sig && s->exit_ns && outside && !kernel && starts_stop(sig->sig, 0) &&
	    e->ts_ns <= s->exit_ns + SKEW_NS) {
		/* the exit it caused was handled first: the signal started the stop */
		set_first_signal(s, e, outside);
		if (e->ts_ns < s->out.start_ns)
			s->out.start_ns = e->ts_ns;
		return;
	}
	if (sig->sig == s->out.stop_signal && sig->sig != SIGKILL && !s->stop_sig_seen) {
		on_stop_signal(t, tc, e, now);
		return;
	}
	if (sig->sig == SIGKILL && !s->sigkill_ns && s->first_sig != SIGKILL) {
		s->sigkill_ns = e->ts_ns;
		s->out.grace_ms = ms_between(s->out.start_ns, e->ts_ns);
		if (s->blocked_pending)
			alert_blocked(t, tc, e->ts_ns, now);
	}
}

static void on_deliver(struct timeline *t, struct tl_cont *tc, const struct st_event *e)
{
	const struct st_deliver *d = &e->u.deliver;
	struct stop_state *s = tc->stop;
	struct tl_entry en;

	if (d->sig == SIGCHLD)
		return;
	if (!s)
		return;
	make_entry(&en, e);
	add_entry(s, &en);
	if (!(d->task.flags & ST_TASK_NS_INIT) || d->sig != s->out.stop_signal)
		return;
	if (d->disposition == ST_DISP_HANDLER)
		s->handler = true;
	if (s->blocked_pending && !s->sigkill_ns) {
		/* it unblocked and took the signal: not blocked after all */
		s->blocked_pending = false;
		s->blocked = false;
		resolve_kind(t, s, TL_ALERT_STOP_SIGNAL_BLOCKED, e->ts_ns);
	}
}

static void on_process_exit(struct timeline *t, struct tl_cont *tc, const struct st_event *e,
			    uint64_t now)
{
	const struct st_exit *x = &e->u.exit;
	struct stop_state *s = tc->stop;
	struct tl_entry en;

	(void)now;
	make_entry(&en, e);
	if (!(x->task.flags & ST_TASK_NS_INIT)) {
		if (s)
			add_entry(s, &en);
		return;
	}
	tc->init_pid = x->task.tgid;
	if (!s) {
		s = open_stop(t, tc, e->ts_ns);
		if (!s)
			return;
		s->out.init_pid = x->task.tgid;
		s->maybe_partial = !tc->seen_start && e->ts_ns < t->cfg.start_ns + PARTIAL_NS;
	}
	add_entry(s, &en);
	if (s->exit_ns)
		return;
	s->exit_ns = e->ts_ns;
	s->out.exit_code = x->exit_code;
	s->out.pidns = x->task.pidns;
	if (tc->oom_init_ns && tc->oom_init_ns + 10 * NSEC_PER_SEC >= e->ts_ns)
		s->oom = true;
	if (s->blocked_pending && !s->sigkill_ns)
		s->blocked_pending = false; /* it died of something else first */
	s->next_stuck_ns = e->ts_ns + t->cfg.teardown_timeout_ns;
	s->stuck_interval_ns = t->cfg.teardown_timeout_ns;
	resolve_kind(t, s, TL_ALERT_STOP_STILL_RUNNING, e->ts_ns);
}

/*
 * The end of a container (its init released, its cgroup removed) with no
 * stop open: when records were lost just before, its stop went by in them,
 * and a partial timeline says all there is to say; otherwise nothing.
 */
static void lost_stop(struct timeline *t, struct tl_cont *tc, const struct st_event *e)
{
	struct stop_state *s;
	struct tl_entry en;

	if (!tc->lost_pending || tc->lost_ns + PRE_KEEP_NS < e->ts_ns)
		return;
	s = open_stop(t, tc, e->ts_ns);
	if (!s)
		return;
	make_entry(&en, e);
	add_entry(s, &en);
	end_stop(t, tc, e->ts_ns, true);
}

static void on_released(struct timeline *t, struct tl_cont *tc, const struct st_event *e)
{
	struct stop_state *s = tc->stop;
	struct tl_entry en;

	if (!s) {
		lost_stop(t, tc, e);
		return;
	}
	make_entry(&en, e);
	add_entry(s, &en);
	if (!s->released_ns)
		s->released_ns = e->ts_ns;
	if (!s->exit_ns) {
		s->exit_ns = e->ts_ns;
		s->out.exit_code = e->u.exit.exit_code;
	}
	for (int i = 0; i < s->npending; i++)
		if (s->pending[i].kind == TL_ALERT_NS_TEARDOWN_STUCK)
			s->pending[i].duration_ms = ms_between(s->exit_ns, s->released_ns);
	resolve_kind(t, s, TL_ALERT_NS_TEARDOWN_STUCK, e->ts_ns);
	if (s->rmdir_ns)
		end_stop(t, tc, e->ts_ns, false);
}

static void on_rmdir(struct timeline *t, struct tl_cont *tc, const struct st_event *e)
{
	struct stop_state *s = tc->stop;
	struct tl_entry en;

	if (!s) {
		lost_stop(t, tc, e);
		return;
	}
	make_entry(&en, e);
	add_entry(s, &en);
	/*
	 * The cgroup empties before the init's namespace is torn down (cgroup_exit
	 * runs before exit_notify): wait a little for the release, so the teardown
	 * time is known.
	 */
	if (s->exit_ns && !s->released_ns) {
		if (!s->rmdir_ns)
			s->rmdir_ns = e->ts_ns;
		return;
	}
	end_stop(t, tc, e->ts_ns, false);
}

static void maybe_restarted(struct timeline *t, struct tl_cont *tc, const struct st_event *e,
			    uint64_t now)
{
	const char *policy = NULL;
	struct tl_alert a;

	if (tc->stop && tc->stop->exit_ns)
		end_stop(t, tc, e->ts_ns, false);
	if (tc->stop || !tc->last_end_ns || tc->restart_alerted)
		return;
	if (e->ts_ns > tc->last_end_ns + t->cfg.restart_window_ns)
		return;
	if (t->facts.restart_policy)
		policy = t->facts.restart_policy(t->ctx, &tc->c);
	if (!policy || !policy[0] || !strcmp(policy, "no"))
		return;
	tc->restart_alerted = true;
	alert_init(&a, TL_ALERT_RESTARTED_AFTER_STOP, e->ts_ns);
	a.one_shot = true;
	a.duration_ms = ms_between(tc->last_end_ns, e->ts_ns);
	a.pid = e->u.exec.task.tgid;
	a.ns_pid = 1;
	memcpy(a.comm, e->u.exec.task.comm, ST_COMM_LEN);
	snprintf(a.message, sizeof(a.message),
		 "the container came back %lld ms after it stopped (PID 1 was pid %u, now %u): its "
		 "restart policy is '%s'",
		 (long long)a.duration_ms, tc->last_init_pid, a.pid, policy);
	snprintf(a.action, sizeof(a.action),
		 "to keep it stopped, use docker stop (not kill) or docker update --restart=no "
		 "first");
	send_alert(t, tc, &a, now);
}

static void on_oom(struct timeline *t, const struct st_event *e, uint64_t now)
{
	uint32_t victim = e->u.oom.victim_pid;
	struct tl_cont *tc = NULL;
	struct tl_alert a;

	for (unsigned int i = 0; i < RECENT_KILLS; i++) {
		struct recent_kill *k = &t->kills[i];

		if (k->cont && k->pid == victim && k->ts_ns + NSEC_PER_SEC >= e->ts_ns &&
		    k->ts_ns <= e->ts_ns + NSEC_PER_SEC)
			tc = k->cont;
	}
	if (!tc)
		return;
	if (victim == tc->init_pid) {
		tc->oom_init_ns = e->ts_ns;
		if (tc->stop)
			tc->stop->oom = true;
	}
	if (tc->stop) {
		struct tl_entry en;

		make_entry(&en, e);
		add_entry(tc->stop, &en);
	}
	alert_init(&a, TL_ALERT_OOM_KILLED, e->ts_ns);
	a.one_shot = true;
	a.pid = victim;
	a.sig = SIGKILL;
	snprintf(a.message, sizeof(a.message),
		 "the kernel's OOM killer killed pid %u%s in this container", victim,
		 victim == tc->init_pid ? " (PID 1)" : "");
	snprintf(a.action, sizeof(a.action),
		 "raise the container's memory limit or reduce its memory use");
	send_alert(t, tc, &a, now);
}

void timeline_event(struct timeline *t, const struct st_event *e, const struct container *c,
		    uint64_t now_ns)
{
	struct tl_cont *tc;

	if (e->kind == ST_EV_OOM_VICTIM) {
		on_oom(t, e, now_ns);
		return;
	}
	if (!c || !c->id[0])
		return;
	tc = cont_get(t, c, now_ns);
	if (!tc)
		return;
	switch (e->kind) {
	case ST_EV_SIGNAL_GENERATE:
		on_signal(t, tc, e, now_ns);
		break;
	case ST_EV_SIGNAL_DELIVER:
		on_deliver(t, tc, e);
		break;
	case ST_EV_PROCESS_EXIT:
		on_process_exit(t, tc, e, now_ns);
		break;
	case ST_EV_INIT_RELEASED:
		on_released(t, tc, e);
		break;
	case ST_EV_CGROUP_RMDIR:
		on_rmdir(t, tc, e);
		break;
	case ST_EV_CGROUP_MKDIR:
		tc->seen_start = true;
		/* the container is back: a stop still waiting for its end is over */
		if (tc->stop && tc->stop->exit_ns)
			end_stop(t, tc, e->ts_ns, false);
		break;
	case ST_EV_PROCESS_EXEC:
		if (e->u.exec.task.flags & ST_TASK_NS_INIT) {
			tc->init_pid = e->u.exec.task.tgid;
			tc->seen_start = true;
			if (!tc->stop || tc->stop->exit_ns)
				maybe_restarted(t, tc, e, now_ns);
		}
		/* fall through */
	case ST_EV_PROCESS_FORK:
	case ST_EV_CGROUP_FREEZE:
	case ST_EV_CGROUP_UNFREEZE:
		if (tc->stop) {
			struct tl_entry en;

			make_entry(&en, e);
			add_entry(tc->stop, &en);
		}
		break;
	}
}

/* Ask the system who is still in the init's pid namespace. */
static void find_culprits(struct timeline *t, struct stop_state *s)
{
	int n;

	if (!t->facts.ns_culprits || !s->out.pidns)
		return;
	if (!s->culprits) {
		s->culprits = calloc(CULPRITS_MAX, sizeof(*s->culprits));
		if (!s->culprits)
			return;
	}
	n = t->facts.ns_culprits(t->ctx, s->out.pidns, s->out.init_pid, s->culprits, CULPRITS_MAX);
	if (n >= 0)
		s->nculprits = n < CULPRITS_MAX ? n : CULPRITS_MAX;
}

static void describe_stuck(const struct stop_state *s, struct tl_alert *a)
{
	size_t n;

	n = (size_t)snprintf(a->message, sizeof(a->message),
			     "PID 1 exited %lld ms ago but its pid namespace is not torn down: "
			     "processes in it cannot die",
			     (long long)a->duration_ms);
	for (int i = 0; i < s->nculprits && n < sizeof(a->message); i++) {
		const struct culprit *c = &s->culprits[i];

		n += (size_t)snprintf(
			a->message + n, sizeof(a->message) - n, "%s %s (pid %u, state %c%s%s%s)",
			i ? ";" : ":", c->comm, c->pid, c->state ? c->state : '?',
			c->in_container ? ", container " : "",
			c->in_container
				? (c->container.name[0] ? c->container.name : c->container.id)
				: "",
			c->frozen ? ", cgroup frozen" : "");
	}
	if (s->nculprits)
		culprit_fix(&s->culprits[0], a->action, sizeof(a->action));
	else
		snprintf(
			a->action, sizeof(a->action),
			"unpause any container sharing its pid namespace (docker unpause), or find "
			"the task in D state");
	a->culprits = s->culprits;
	a->nculprits = s->nculprits;
}

static void tick_stop(struct timeline *t, struct tl_cont *tc, uint64_t now)
{
	struct stop_state *s = tc->stop;
	struct tl_alert a;
	char sb[24];

	if (s->blocked_pending && !s->blocked_alerted && !s->exit_ns &&
	    now >= s->blocked_since + t->cfg.blocked_after_ns)
		alert_blocked(t, tc, 0, now);
	if (!s->exit_ns && !s->still_alerted &&
	    now >= s->out.start_ns + t->cfg.stop_alert_after_ns) {
		s->still_alerted = true;
		alert_init(&a, TL_ALERT_STOP_STILL_RUNNING, 0);
		a.sig = s->out.stop_signal;
		a.pid = s->out.init_pid;
		a.ns_pid = 1;
		a.duration_ms = ms_between(s->out.start_ns, now);
		snprintf(a.message, sizeof(a.message),
			 "the stop started %lld ms ago and PID 1 is still running%s%s",
			 (long long)a.duration_ms,
			 s->ignored ? ": its stop signal was ignored, so only SIGKILL will end it "
				      "(docker stop -t -1 never sends one)"
				    : "",
			 s->blocked_pending ? ": its stop signal is blocked and still pending"
					    : "");
		snprintf(a.action, sizeof(a.action),
			 "docker kill the container to end the stop now; then fix how PID 1 "
			 "handles %s",
			 sig_text(s->out.stop_signal ? s->out.stop_signal : SIGTERM, sb,
				  sizeof(sb)));
		stop_alert(t, tc, &a, now);
	}
	if (s->exit_ns && !s->released_ns && now >= s->next_stuck_ns) {
		bool first = !s->stuck;

		s->stuck = true;
		alert_init(&a, TL_ALERT_NS_TEARDOWN_STUCK, 0);
		a.pid = s->out.init_pid;
		a.ns_pid = 1;
		a.duration_ms = ms_between(s->exit_ns, now);
		find_culprits(t, s);
		describe_stuck(s, &a);
		if (first) {
			stop_alert(t, tc, &a, now);
		} else {
			/* the same condition, still going: resend it with its duration */
			for (int i = 0; i < s->npending; i++) {
				struct tl_alert *p = &s->pending[i];

				if (p->kind != TL_ALERT_NS_TEARDOWN_STUCK)
					continue;
				p->ts_ns = now;
				p->duration_ms = a.duration_ms;
				note_lost(&a, s->out.lost);
				memcpy(p->message, a.message, sizeof(p->message));
				p->lost = a.lost;
				memcpy(p->action, a.action, sizeof(p->action));
				p->culprits = a.culprits;
				p->nculprits = a.nculprits;
				t->sink.alert(t->ctx, p);
			}
		}
		for (int i = 0; i < s->npending; i++)
			s->pending[i].culprits = NULL; /* valid only during the call */
		s->stuck_interval_ns *= 2;
		if (s->stuck_interval_ns > STUCK_MAX_INTERVAL_NS)
			s->stuck_interval_ns = STUCK_MAX_INTERVAL_NS;
		s->next_stuck_ns = now + s->stuck_interval_ns;
	}
	if ((s->released_ns && now >= s->released_ns + t->cfg.settle_ns) ||
	    (s->rmdir_ns && !s->stuck && now >= s->rmdir_ns + t->cfg.settle_ns)) {
		end_stop(t, tc, now, false);
		return;
	}
	if (now >= s->out.start_ns + t->cfg.max_stop_ns)
		end_stop(t, tc, now, true);
}

void timeline_tick(struct timeline *t, uint64_t now_ns)
{
	for (int i = 0; i < HASH_BUCKETS; i++) {
		struct tl_cont **pp = &t->buckets[i];

		while (*pp) {
			struct tl_cont *tc = *pp;

			if (tc->stop)
				tick_stop(t, tc, now_ns);
			/* forget containers quiet for longer than any window */
			if (!tc->stop && now_ns > tc->last_seen_ns + t->cfg.restart_window_ns +
							  t->cfg.alert_window_ns + PRE_KEEP_NS) {
				*pp = tc->next;
				free(tc);
				t->nconts--;
				continue;
			}
			pp = &tc->next;
		}
	}
}

void timeline_lost(struct timeline *t, uint64_t now_ns, uint64_t count)
{
	for (int i = 0; i < HASH_BUCKETS; i++)
		for (struct tl_cont *tc = t->buckets[i]; tc; tc = tc->next) {
			if (tc->stop) {
				tc->stop->out.lost += count;
				continue;
			}
			if (tc->lost_ns + PRE_KEEP_NS < now_ns)
				tc->lost_pending = 0;
			tc->lost_pending += count;
			tc->lost_ns = now_ns;
		}
}

void timeline_flush(struct timeline *t, uint64_t now_ns)
{
	for (int i = 0; i < HASH_BUCKETS; i++)
		for (struct tl_cont *tc = t->buckets[i]; tc; tc = tc->next)
			if (tc->stop)
				end_stop(t, tc, now_ns, true);
}
