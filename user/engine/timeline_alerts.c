// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The stop timeline engine's alerts: sending one (held back when one of its
 * kind went out for the container within the window), tying it to its stop
 * so that the stop's end resolves it, and the alerts about PID 1 and its stop
 * signal that the event path and the timers both raise.
 */
#include <string.h>
#include "engine/timeline_int.h"

/*
 * Send an alert unless one of its kind went out for this container within
 * the window: then it is only counted, and reported with the next one sent.
 * Returns whether it was sent.
 */
bool tl_send_alert(struct timeline *t, struct tl_cont *tc, struct tl_alert *a, uint64_t now)
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
	t->listener.alert(t->ctx, a);
	return true;
}

/* An alert tied to a stop: resolved when the stop ends. */
void tl_stop_alert(struct timeline *t, struct tl_cont *tc, struct tl_alert *a, uint64_t now)
{
	struct stop_state *s = tc->stop;

	a->one_shot = false;
	tl_note_lost(a, s->out.lost);
	if (!tl_send_alert(t, tc, a, now))
		return;
	if (s->npending < PENDING_MAX) {
		s->pending[s->npending] = *a;
		s->pending[s->npending++].running = NULL; /* valid only during the call */
	}
}

void tl_resolve_kind(struct timeline *t, struct stop_state *s, enum tl_alert_kind kind,
		     uint64_t now)
{
	for (int i = 0; i < s->npending; i++) {
		if (s->pending[i].kind != kind)
			continue;
		s->pending[i].ts_ns = now;
		t->listener.alert_resolved(t->ctx, &s->pending[i]);
		s->pending[i] = s->pending[--s->npending];
		i--;
	}
}

void tl_alert_init(struct tl_alert *a, enum tl_alert_kind kind, uint64_t event_ts)
{
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	a->event_ts_ns = event_ts;
	a->duration_ms = -1;
}

/* An alert about PID 1 and its stop signal, a condition that began at since. */
static void init_alert(struct tl_alert *a, const struct stop_state *s, enum tl_alert_kind kind,
		       uint64_t event_ts, uint64_t since, uint64_t now)
{
	tl_alert_init(a, kind, event_ts);
	a->sig = s->out.stop_signal;
	a->pid = s->out.init_pid;
	a->ns_pid = 1;
	memcpy(a->comm, s->init_comm, ST_COMM_LEN);
	a->duration_ms = tl_ms_between(since, now > event_ts ? now : event_ts);
}

void tl_alert_blocked(struct timeline *t, struct tl_cont *tc, uint64_t event_ts, uint64_t now)
{
	struct stop_state *s = tc->stop;
	struct tl_alert a;

	s->blocked = true;
	if (s->blocked_alerted)
		return;
	s->blocked_alerted = true;
	init_alert(&a, s, TL_ALERT_STOP_SIGNAL_BLOCKED, event_ts, s->blocked_since, now);
	tl_describe_blocked(s, &a);
	tl_running_alert(s, &a);
	tl_stop_alert(t, tc, &a, now);
}

/*
 * PID 1 still runs after its stop signal came back and was dropped (or the
 * escalation came): stop_signal_ignored, once, unless the first sending was
 * ignored and alerted already.
 */
void tl_alert_dropped(struct timeline *t, struct tl_cont *tc, uint64_t event_ts, uint64_t now)
{
	struct stop_state *s = tc->stop;
	struct tl_alert a;

	if (s->dropped_alerted || s->ignored)
		return;
	s->dropped_alerted = true;
	init_alert(&a, s, TL_ALERT_STOP_SIGNAL_IGNORED, event_ts, s->drop.ts_ns, now);
	memcpy(a.comm, s->init_comm, ST_COMM_LEN);
	tl_describe_dropped(s, &a);
	tl_stop_alert(t, tc, &a, now);
}
