// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The stop timeline's timers: what time alone decides. A blocked stop signal
 * still pending, PID 1 still running after its stop signal came back and was
 * dropped, a stop still running, a pid namespace that does not tear
 * down; a stop's settle time, its linger and its limit; containers quiet
 * long enough to forget.
 */
#include <stdlib.h>
#include <string.h>
#include "engine/timeline_int.h"

#define STUCK_MAX_INTERVAL_NS (60 * NSEC_PER_SEC)

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

/* PID 1 still runs stop_alert_after_ns into the stop: stop_still_running. */
static void alert_still_running(struct timeline *t, struct tl_cont *tc, uint64_t now)
{
	struct stop_state *s = tc->stop;
	struct tl_alert a;

	s->still_alerted = true;
	tl_alert_init(&a, TL_ALERT_STOP_STILL_RUNNING, 0);
	a.sig = s->out.stop_signal;
	a.pid = s->out.init_pid;
	a.ns_pid = 1;
	a.duration_ms = tl_ms_between(s->out.start_ns, now);
	tl_describe_still_running(s, &a);
	tl_running_alert(s, &a);
	tl_stop_alert(t, tc, &a, now);
}

/* The same condition, still going: its pending alert sent again, with its duration. */
static void resend_stuck(struct timeline *t, struct stop_state *s, struct tl_alert *a, uint64_t now)
{
	for (int i = 0; i < s->npending; i++) {
		struct tl_alert *p = &s->pending[i];

		if (p->kind != TL_ALERT_NS_TEARDOWN_STUCK)
			continue;
		p->ts_ns = now;
		p->duration_ms = a->duration_ms;
		tl_note_lost(a, s->out.lost);
		memcpy(p->message, a->message, sizeof(p->message));
		p->lost = a->lost;
		memcpy(p->action, a->action, sizeof(p->action));
		p->culprits = a->culprits;
		p->nculprits = a->nculprits;
		t->listener.alert(t->ctx, p);
	}
}

/*
 * PID 1 exited and its pid namespace is not torn down: ns_teardown_stuck,
 * with who is still in it, and again at doubling intervals (up to a minute)
 * while it lasts.
 */
static void alert_stuck(struct timeline *t, struct tl_cont *tc, uint64_t now)
{
	struct stop_state *s = tc->stop;
	bool first = !s->stuck;
	struct tl_alert a;

	s->stuck = true;
	tl_alert_init(&a, TL_ALERT_NS_TEARDOWN_STUCK, 0);
	a.pid = s->out.init_pid;
	a.ns_pid = 1;
	a.duration_ms = tl_ms_between(s->exit_ns, now);
	find_culprits(t, s);
	tl_describe_stuck(s, &a);
	if (first)
		tl_stop_alert(t, tc, &a, now);
	else
		resend_stuck(t, s, &a, now);
	for (int i = 0; i < s->npending; i++)
		s->pending[i].culprits = NULL; /* valid only during the call */
	s->stuck_interval_ns *= 2;
	if (s->stuck_interval_ns > STUCK_MAX_INTERVAL_NS)
		s->stuck_interval_ns = STUCK_MAX_INTERVAL_NS;
	s->next_stuck_ns = now + s->stuck_interval_ns;
}

static void tick_stop(struct timeline *t, struct tl_cont *tc, uint64_t now)
{
	struct stop_state *s = tc->stop;

	if (s->linger_until) {
		/* over, its alerts resolved: only its record waits for the runtime's clean-up */
		if (now >= s->linger_until)
			tl_end_stop(t, tc, now, false);
		return;
	}
	if (s->blocked_pending && !s->blocked_alerted && !s->exit_ns &&
	    now >= s->blocked_since + t->cfg.blocked_after_ns)
		tl_alert_blocked(t, tc, 0, now);
	if (s->dropped && !s->dropped_alerted && !s->exit_ns &&
	    now >= s->drop.ts_ns + t->cfg.dropped_after_ns)
		tl_alert_dropped(t, tc, 0, now);
	if (!s->exit_ns && !s->still_alerted && now >= s->out.start_ns + t->cfg.stop_alert_after_ns)
		alert_still_running(t, tc, now);
	if (s->exit_ns && !s->released_ns && now >= s->next_stuck_ns)
		alert_stuck(t, tc, now);
	if ((s->released_ns && now >= s->released_ns + t->cfg.settle_ns) ||
	    (s->rmdir_ns && !s->stuck && now >= s->rmdir_ns + t->cfg.settle_ns)) {
		tl_end_stop(t, tc, now, false);
		return;
	}
	if (now >= s->out.start_ns + t->cfg.max_stop_ns)
		tl_end_stop(t, tc, now, true);
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
