// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The stop timeline engine: the containers it follows, their stops and the
 * entries of each, event by event, and the alerts a stop raises. See
 * timeline.h for what a stop is and when it ends; timeline_int.h for the
 * other files of the engine.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "lib/hash.h"
#include "engine/timeline_int.h"

#define PARTIAL_NS (10 * NSEC_PER_SEC) /* a stop this soon after start may be missing its head */
/*
 * Bounds. A container the engine follows costs about 2.3 KiB, an open stop
 * about 26 KiB, and 4 KiB more once its runtime's calls come (their paths):
 * 16384 containers (the identity table's 65536 cgroups are two or more per
 * container on hybrid hosts) and 4096 stops at once (a whole node drained at
 * once stays far below) bound them to 38 and 118 MiB.
 */
#define TL_CONTAINERS_MAX 16384
#define TL_OPEN_MAX	  4096

void tl_config_defaults(struct tl_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->stop_alert_after_ns = 30 * NSEC_PER_SEC;
	cfg->teardown_timeout_ns = 3 * NSEC_PER_SEC;
	cfg->settle_ns = 1 * NSEC_PER_SEC;
	cfg->blocked_after_ns = 1 * NSEC_PER_SEC;
	cfg->dropped_after_ns = 1 * NSEC_PER_SEC;
	cfg->restart_window_ns = 60 * NSEC_PER_SEC;
	cfg->alert_window_ns = 60 * NSEC_PER_SEC;
	cfg->max_stop_ns = 600 * NSEC_PER_SEC;
	cfg->linger_ns = TL_LINGER_NS;
	cfg->max_containers = TL_CONTAINERS_MAX;
	cfg->max_open = TL_OPEN_MAX;
}

struct timeline *timeline_new(const struct tl_config *cfg, const struct tl_facts *facts,
			      const struct tl_listener *listener, void *ctx)
{
	struct timeline *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->cfg = *cfg;
	t->seeing_ns = cfg->start_ns;
	if (!t->cfg.alert_seq)
		t->cfg.alert_seq = &t->next_alert_id;
	if (facts)
		t->facts = *facts;
	t->listener = *listener;
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

			if (c->stop) {
				free(c->stop->culprits);
				free(c->stop->paths);
				tl_running_free(t, c->stop);
			}
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
	return (unsigned int)(hash_str(id) % HASH_BUCKETS);
}

static struct tl_cont *cont_get(struct timeline *t, const struct container *c, uint64_t now)
{
	unsigned int b = hash_id(c->id);
	struct tl_cont *tc;

	for (tc = t->buckets[b]; tc; tc = tc->next) {
		if (!strcmp(tc->c.id, c->id)) {
			/* metadata may arrive after the cgroup: take the fuller copy */
			if (!tc->c.name[0] && c->name[0]) {
				tc->c = *c;
				if (tc->stop) /* the words of its fixes (timeline_words.c) */
					tc->stop->out.container = *c;
			}
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

/*
 * The stop signal for sig to the init: the one its runtime sends instead to
 * an init that blocks it (LXC's SIGRTMIN+3, see struct container) when sig
 * is that one and blocked; else the configured one.
 */
static int stop_signal_for(struct timeline *t, const struct tl_cont *tc,
			   const struct st_signal *sig)
{
	int alt = tc->c.stop_signal_if_blocked;

	if (alt && sig->sig == alt && (sig->sig_flags & ST_SIGF_BLOCKED))
		return alt;
	return configured_stop_signal(t, tc);
}

/* A signal to the init that starts a stop: its stop signal, or TERM, INT, QUIT, KILL. */
static bool starts_stop(int sig, int configured)
{
	return sig == configured || sig == SIGTERM || sig == SIGINT || sig == SIGQUIT ||
	       sig == SIGKILL;
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

/* The signals whose default action is to do nothing (the kernel's SIG_KERNEL_IGNORE_MASK). */
static bool default_ignored(int sig)
{
	return sig == SIGCHLD || sig == SIGCONT || sig == SIGURG || sig == SIGWINCH;
}

/*
 * A delivery the kernel drops (get_signal): the default action of a signal
 * that does nothing by default, or of any signal but SIGKILL and SIGSTOP to a
 * SIGNAL_UNKILLABLE namespace init. SIG_IGN is the program's own choice.
 */
static bool deliver_dropped(const struct st_deliver *d)
{
	if (d->disposition != ST_DISP_DEFAULT)
		return false;
	return default_ignored(d->sig) ||
	       ((d->task.flags & ST_TASK_UNKILLABLE) && d->sig != SIGKILL && d->sig != SIGSTOP);
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
			    (e->u.signal.target.flags & ST_TASK_NS_INIT ? TL_ENTRY_NS_INIT : 0) |
			    (e->u.signal.target.flags & ST_TASK_GROUP_EXIT ? TL_ENTRY_EXITING : 0);
		en->other_pid = e->u.signal.sender.tgid;
		memcpy(en->other_comm, e->u.signal.sender.comm, ST_COMM_LEN);
		break;
	case ST_EV_SIGNAL_DELIVER:
		entry_from_task(en, e, &e->u.deliver.task);
		en->sig = e->u.deliver.sig;
		en->disposition = e->u.deliver.disposition;
		if (deliver_dropped(&e->u.deliver))
			en->flags |= TL_ENTRY_DROPPED;
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

void tl_add_entry(struct stop_state *s, const struct tl_entry *en)
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

/* e on s's timeline. */
void tl_add_event(struct stop_state *s, const struct st_event *e)
{
	struct tl_entry en;

	make_entry(&en, e);
	tl_add_entry(s, &en);
}

static void add_pre(struct tl_cont *tc, const struct tl_entry *en)
{
	if (tc->npre == PRE_MAX) {
		memmove(tc->pre, tc->pre + 1, sizeof(tc->pre[0]) * (PRE_MAX - 1));
		tc->npre--;
	}
	tc->pre[tc->npre++] = *en;
}

struct stop_state *tl_open_stop(struct timeline *t, struct tl_cont *tc, uint64_t start)
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
	s->out.container = tc->c; /* its runtime names the fixes; copied again at the end */
	s->out.grace_ms = -1;
	s->out.teardown_ms = -1;
	s->out.configured_stop_signal = configured_stop_signal(t, tc);
	s->out.init_pid = tc->init_pid;
	for (uint32_t i = 0; i < tc->npre; i++)
		if (tc->pre[i].ts_ns + PRE_KEEP_NS >= start)
			tl_add_entry(s, &tc->pre[i]);
	tc->npre = 0;
	/* what was lost just before may have been this stop's first events */
	if (tc->lost_pending && tc->lost_ns + PRE_KEEP_NS >= start)
		s->out.lost = tc->lost_pending;
	tc->lost_pending = 0;
	tc->stop = s;
	tc->restart_alerted = false;
	t->open++;
	tl_shapes_open(tc, s);
	return s;
}

/*
 * PID 1's program, as its main thread names it: a thread of it may have
 * named itself (redis-server's bio_close_file), and takes its place only
 * while nothing better was seen.
 */
void tl_note_init_comm(struct stop_state *s, const struct st_task *task)
{
	if (task->pid == task->tgid || !s->init_comm[0])
		memcpy(s->init_comm, task->comm, ST_COMM_LEN);
}

static void remember_kill(struct timeline *t, struct tl_cont *tc, const struct st_event *e)
{
	struct recent_kill *k = &t->kills[t->kills_head];

	k->ts_ns = e->ts_ns;
	k->pid = e->u.signal.target.tgid;
	k->cont = tc;
	t->kills_head = (t->kills_head + 1) % RECENT_KILLS;
}

/* A sending of the stop signal to PID 1, as a drop would tell it. */
static void drop_from(struct tl_drop *d, const struct st_event *e, bool first)
{
	const struct st_signal *sig = &e->u.signal;

	memset(d, 0, sizeof(*d));
	d->ts_ns = e->ts_ns;
	d->pid = sig->sender.tgid;
	d->ns_pid = sig->sender.ns_tgid;
	memcpy(d->comm, sig->sender.comm, ST_COMM_LEN);
	d->self = sig->sender.tgid == sig->target.tgid;
	d->inside = !d->self && ((sig->sig_flags & ST_SIGF_SENDER_IN_NS) ||
				 sig->sender.cgroup_id == sig->target.cgroup_id);
	d->first = first;
	d->disposition = sig->disposition;
}

static void on_stop_signal(struct timeline *t, struct tl_cont *tc, const struct st_event *e,
			   uint64_t now)
{
	const struct st_signal *sig = &e->u.signal;
	struct stop_state *s = tc->stop;
	struct tl_alert a;

	s->stop_sig_seen = true;
	if (sig->target.flags & ST_TASK_GROUP_EXIT) {
		/*
		 * A group already exiting acts on no signal: prepare_signal drops it
		 * (6.1 and later), or lets it be queued and get_signal kills instead
		 * of running a handler (5.10). No fault of PID 1.
		 */
		s->first_exiting = true;
		return;
	}
	if (sig->result == ST_SIG_IGNORED) {
		s->ignored = true;
		s->ignored_disposition = sig->disposition;
		tl_alert_init(&a, TL_ALERT_STOP_SIGNAL_IGNORED, e->ts_ns);
		a.sig = sig->sig;
		a.pid = sig->target.tgid;
		a.ns_pid = sig->target.ns_tgid;
		memcpy(a.comm, sig->target.comm, ST_COMM_LEN);
		tl_describe_ignored(s, &a, sig->disposition);
		tl_stop_alert(t, tc, &a, now);
		return;
	}
	if ((sig->sig_flags & ST_SIGF_BLOCKED) && !(sig->sig_flags & ST_SIGF_REAL_BLOCKED)) {
		s->blocked_pending = true;
		s->blocked_since = e->ts_ns;
		drop_from(&s->queued, e, true);
		return;
	}
	/* a handler, or a wait that takes it (sigtimedwait: tini, dumb-init, busybox's init) */
	if (sig->disposition == ST_DISP_HANDLER || (sig->sig_flags & ST_SIGF_REAL_BLOCKED))
		s->handler = true;
}

/* The stop signal to PID 1 once more: its fate, or where it waits for one. */
static void on_stop_signal_again(struct stop_state *s, const struct st_event *e)
{
	const struct st_signal *sig = &e->u.signal;

	if (s->ignored || (sig->target.flags & ST_TASK_GROUP_EXIT))
		return; /* judged already; or PID 1 is exiting, and nothing reaches it */
	switch (sig->result) {
	case ST_SIG_IGNORED:
		if (sig->disposition == ST_DISP_HANDLER)
			return; /* not one of the drops a handler can meet */
		drop_from(&s->drop, e, false);
		s->dropped = true;
		return;
	case ST_SIG_ALREADY_PENDING:
		return; /* merged with the one pending: that one's fate is this one's */
	default:
		break;
	}
	if ((sig->sig_flags & ST_SIGF_BLOCKED) && !(sig->sig_flags & ST_SIGF_REAL_BLOCKED)) {
		drop_from(&s->queued, e, false);
		return; /* its fate is decided when PID 1 takes it */
	}
	if (sig->disposition == ST_DISP_HANDLER || (sig->sig_flags & ST_SIGF_REAL_BLOCKED)) {
		s->handler = true;
		s->dropped = false;
	}
}

/* The SIGKILL that ended the grace, at ts: the alerts it decides. */
static void on_escalation(struct timeline *t, struct tl_cont *tc, uint64_t ts, uint64_t now)
{
	struct stop_state *s = tc->stop;

	s->sigkill_ns = ts;
	s->out.grace_ms = tl_ms_between(s->out.start_ns, ts);
	if (s->blocked_pending)
		tl_alert_blocked(t, tc, ts, now);
	if (s->dropped && !s->exit_ns)
		tl_alert_dropped(t, tc, ts, now);
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
	tl_note_init_comm(s, &sig->target);
}

/*
 * A stop opened by a SIGKILL or by PID 1's exit, of a container that was
 * running before the monitor: its stop signal may have come before the
 * monitor saw anything, when the monitor had run for less than the window.
 */
static void may_be_partial(struct timeline *t, const struct tl_cont *tc, struct stop_state *s)
{
	uint64_t start = s->out.start_ns;

	s->monitor_ns = start > t->seeing_ns ? start - t->seeing_ns : 0;
	s->maybe_partial = !tc->seen_start && s->monitor_ns < PARTIAL_NS;
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
		int configured = stop_signal_for(t, tc, sig);

		if (!is_init || !outside || kernel || !starts_stop(sig->sig, configured)) {
			/* signals from outside go on the next stop's timeline */
			/* ... and so does a halt the container starts itself */
			if (tl_halt_unopened(tc, e) || outside)
				add_pre(tc, &en);
			return;
		}
		s = tl_open_stop(t, tc, e->ts_ns);
		if (!s)
			return;
		set_first_signal(s, e, outside);
		s->out.configured_stop_signal = configured;
		/* a stop signal is a stop's head; a SIGKILL may follow one sent before the start */
		if (sig->sig == SIGKILL)
			may_be_partial(t, tc, s);
	}
	tl_add_entry(s, &en);
	tl_running_signal(t, s, e);
	if (!is_init) {
		tl_shapes_signal(t, tc, e, now);
		return;
	}
	tl_note_init_comm(s, &sig->target);
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
	if (sig->sig == s->out.stop_signal && sig->sig != SIGKILL) {
		on_stop_signal_again(s, e);
		return;
	}
	if (sig->sig == SIGKILL && !s->sigkill_ns && s->first_sig != SIGKILL) {
		/* a halt through reboot(2) is one of the kernel's SIGKILLs that are no escalation
		 */
		tl_halt_kill(s, e);
		if (tl_escalation_kill(sig))
			on_escalation(t, tc, e->ts_ns, now);
	}
}

static void on_deliver(struct timeline *t, struct tl_cont *tc, const struct st_event *e)
{
	const struct st_deliver *d = &e->u.deliver;
	struct stop_state *s = tc->stop;

	if (d->sig == SIGCHLD)
		return;
	if (!s)
		return;
	tl_add_event(s, e);
	if (!(d->task.flags & ST_TASK_NS_INIT))
		return;
	tl_note_init_comm(s, &d->task);
	if (d->sig != s->out.stop_signal || d->sig == SIGKILL)
		return;
	if (d->disposition == ST_DISP_HANDLER) {
		s->handler = true;
		s->dropped = false;
		if (d->sa_flags & SA_RESETHAND)
			s->resethand = true;
	} else if ((deliver_dropped(d) || d->disposition == ST_DISP_IGNORE) && !s->ignored) {
		/* queued while blocked (the first sending, or one raised in the handler) */
		s->drop = s->queued;
		if (!s->drop.ts_ns)
			s->drop.first = !s->handler;
		s->drop.ts_ns = e->ts_ns;
		s->drop.at_delivery = true;
		s->drop.disposition = d->disposition;
		s->dropped = true;
	}
	memset(&s->queued, 0, sizeof(s->queued)); /* the one pending is taken */
	if (s->blocked_pending && !s->sigkill_ns) {
		/* it unblocked and took the signal: not blocked after all */
		s->blocked_pending = false;
		s->blocked = false;
		tl_resolve_kind(t, s, TL_ALERT_STOP_SIGNAL_BLOCKED, e->ts_ns);
	}
}

static void on_process_exit(struct timeline *t, struct tl_cont *tc, const struct st_event *e)
{
	const struct st_exit *x = &e->u.exit;
	struct stop_state *s = tc->stop;
	struct tl_entry en;

	make_entry(&en, e);
	if (!(x->task.flags & ST_TASK_NS_INIT)) {
		if (s) {
			tl_add_entry(s, &en);
			tl_running_exited(s, e);
			tl_halt_exit(s, e);
		} else if (tl_halt_unopened(tc, e)) {
			add_pre(tc, &en);
		}
		return;
	}
	tc->init_pid = x->task.tgid;
	if (!s) {
		s = tl_open_stop(t, tc, e->ts_ns);
		if (!s)
			return;
		s->out.init_pid = x->task.tgid;
		may_be_partial(t, tc, s);
		tl_halt_open(tc, s);
	}
	tl_add_entry(s, &en);
	if (s->exit_ns)
		return;
	tl_note_init_comm(s, &x->task);
	s->exit_ns = e->ts_ns;
	s->out.exit_code = x->exit_code;
	s->out.pidns = x->task.pidns;
	if (tc->oom_init_ns && tc->oom_init_ns + 10 * NSEC_PER_SEC >= e->ts_ns)
		s->oom = true;
	if (s->blocked_pending && !s->sigkill_ns)
		s->blocked_pending = false; /* it died of something else first */
	s->next_stuck_ns = e->ts_ns + t->cfg.teardown_timeout_ns;
	s->stuck_interval_ns = t->cfg.teardown_timeout_ns;
	tl_resolve_kind(t, s, TL_ALERT_STOP_STILL_RUNNING, e->ts_ns);
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
	if (tc->stop)
		tl_add_event(tc->stop, e);
	tl_alert_init(&a, TL_ALERT_OOM_KILLED, e->ts_ns);
	a.one_shot = true;
	a.pid = victim;
	a.sig = SIGKILL;
	tl_describe_oom(&a, victim == tc->init_pid);
	tl_send_alert(t, tc, &a, now);
}

void timeline_event(struct timeline *t, const struct st_event *e, const struct container *c,
		    uint64_t now_ns)
{
	struct tl_cont *tc;

	if (!t->first_event_ns || e->ts_ns < t->first_event_ns)
		t->first_event_ns = e->ts_ns;
	if (e->kind == ST_EV_OOM_VICTIM) {
		on_oom(t, e, now_ns);
		return;
	}
	if (!c || !c->id[0])
		return;
	tc = cont_get(t, c, now_ns);
	if (!tc)
		return;
	if (tc->stop && tc->stop->linger_until) {
		tl_linger_event(t, tc, e);
		if (tc->stop)
			return;
	}
	if (e->kind == ST_EV_PROCESS_FORK || e->kind == ST_EV_PROCESS_EXEC ||
	    e->kind == ST_EV_PROCESS_EXIT)
		tl_shapes_process(tc, e);
	switch (e->kind) {
	case ST_EV_SIGNAL_GENERATE:
		on_signal(t, tc, e, now_ns);
		break;
	case ST_EV_SIGNAL_DELIVER:
		on_deliver(t, tc, e);
		break;
	case ST_EV_PROCESS_EXIT:
		on_process_exit(t, tc, e);
		break;
	case ST_EV_INIT_RELEASED:
		tl_on_released(t, tc, e);
		break;
	case ST_EV_CGROUP_RMDIR:
		tl_on_rmdir(t, tc, e);
		break;
	case ST_EV_CGROUP_MKDIR:
		tc->seen_start = true;
		/* the container is back: a stop still waiting for its end is over */
		if (tc->stop && tc->stop->exit_ns)
			tl_end_stop(t, tc, e->ts_ns, false);
		break;
	case ST_EV_PROCESS_EXEC:
		if (e->u.exec.task.flags & ST_TASK_NS_INIT) {
			tc->init_pid = e->u.exec.task.tgid;
			tc->seen_start = true;
			if (!tc->stop || tc->stop->exit_ns)
				tl_maybe_restarted(t, tc, e, now_ns);
		}
		/* fall through */
	case ST_EV_PROCESS_FORK:
	case ST_EV_CGROUP_FREEZE:
	case ST_EV_CGROUP_UNFREEZE:
		if (tc->stop)
			tl_add_event(tc->stop, e);
		break;
	}
}

void timeline_seeing_since(struct timeline *t, uint64_t ts_ns)
{
	/* an event seen proves the programs attached by then */
	t->seeing_ns = t->first_event_ns && t->first_event_ns < ts_ns ? t->first_event_ns : ts_ns;
}
