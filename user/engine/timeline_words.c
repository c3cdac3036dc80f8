// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The stop timeline's words: the names of verdicts and alerts, the reason of
 * a verdict with its fix, and what each alert says with what to do. Nothing
 * here decides what happened: it only puts it in words.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "lib/names.h"
#include "engine/timeline_int.h"

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

#define FIX_ROOM 200 /* the longest fix, kept whole */

/* A reason being written: what is cut at its end is lost, never overrun. */
struct reason {
	char *buf;
	size_t cap;
	size_t n;
};

__attribute__((format(printf, 2, 3))) static void say(struct reason *r, const char *fmt, ...)
{
	va_list ap;

	if (r->n >= r->cap)
		return;
	va_start(ap, fmt);
	r->n += vsnprintf(r->buf + r->n, r->cap - r->n, fmt, ap);
	va_end(ap);
}

/*
 * How the stop signal came back to PID 1 and the kernel dropped it
 * (s->drop): who sent it last, and why the kernel drops it.
 */
static void say_drop(struct reason *r, const struct stop_state *s, const char *sig)
{
	const struct tl_drop *d = &s->drop;
	const char *prog = s->init_comm[0] ? s->init_comm : "?";
	const char *when = d->at_delivery ? " (it did so when the handler returned)" : "";

	if (d->first) {
		say(r,
		    "%s to PID 1 (%s) was blocked, and the kernel dropped it when PID 1 unblocked "
		    "it: PID 1 has no handler for it, and a namespace init ignores signals whose "
		    "default action is to terminate. ",
		    sig, prog);
		return;
	}
	if (d->disposition == ST_DISP_IGNORE) {
		say(r,
		    "PID 1 (%s) handled %s, then set it to SIG_IGN; %s (pid %u) sent it again, "
		    "and it was ignored. ",
		    prog, sig, d->comm[0] ? d->comm : "?", d->pid);
		return;
	}
	if (d->self)
		say(r,
		    "PID 1 (%s) handled %s, then its handler%s re-raised %s with the default "
		    "action, which the kernel drops for a namespace init%s. ",
		    prog, sig, s->resethand ? " (installed with SA_RESETHAND)" : "", sig, when);
	else if (d->inside)
		say(r,
		    "PID 1 (%s) handled %s, then %s (pid %u in the container) sent %s to PID 1 "
		    "again with the default action in place, which the kernel drops for a "
		    "namespace init. ",
		    prog, sig, d->comm[0] ? d->comm : "?", d->ns_pid, sig);
	else
		say(r,
		    "PID 1 (%s) handled %s, then %s (pid %u) sent %s again with the default "
		    "action in place, which the kernel drops for a namespace init. ",
		    prog, sig, d->comm[0] ? d->comm : "?", d->pid, sig);
}

/* What went wrong, for the verdicts that find fault. */
static void say_fault(struct reason *r, const struct stop_state *s, const char *sig)
{
	const struct tl_stop *o = &s->out;

	switch (o->verdict) {
	case TL_NS_TEARDOWN_STUCK:
		if (o->teardown_ms >= 0)
			say(r,
			    "PID 1 exited, but its pid namespace took %lld ms to tear down: "
			    "processes left in it could not die (a paused container sharing the "
			    "namespace, or a task in uninterruptible sleep). ",
			    (long long)o->teardown_ms);
		else
			say(r,
			    "PID 1 exited, but its pid namespace was not seen torn down before "
			    "the timeline ended: processes left in it could not die (a paused "
			    "container sharing the namespace, or a task in uninterruptible sleep). ");
		break;
	case TL_STOP_SIGNAL_IGNORED:
		if (!s->ignored) {
			say_drop(r, s, sig);
			say(r, "PID 1 kept running. ");
		} else if (s->ignored_disposition == ST_DISP_IGNORE)
			say(r, "%s to PID 1 was ignored: the process set it to SIG_IGN. ", sig);
		else
			say(r,
			    "%s to PID 1 was ignored by the kernel: PID 1 of a pid namespace has "
			    "no handler for it, and a namespace init ignores signals whose default "
			    "action is to terminate. ",
			    sig);
		break;
	case TL_STOP_SIGNAL_BLOCKED:
		say(r,
		    "%s to PID 1 stayed pending: the process blocks it and did not unblock it "
		    "before the escalation. ",
		    sig);
		break;
	case TL_GRACE_PERIOD_EXCEEDED:
		say(r,
		    "PID 1 handles %s and received it, but was still running when SIGKILL came "
		    "%lld ms later. ",
		    sig, (long long)o->grace_ms);
		break;
	case TL_OOM_KILLED:
		say(r, "PID 1 was killed by the kernel's OOM killer. ");
		break;
	default:
		break;
	}
}

/*
 * A stop the monitor may have seen only the end of (o->partial): how long
 * the monitor had run when the stop's first event came, what it saw of it
 * (the signals to PID 1, the exit), and what it could not have seen.
 */
static void say_partial(struct reason *r, const struct stop_state *s)
{
	const struct tl_stop *o = &s->out;
	char seen[4][ST_COMM_LEN + 48], sb[24];
	int n = 0;

	for (uint32_t i = 0; i < o->nentries && n < 3; i++) {
		const struct tl_entry *en = &o->entries[i];
		bool again = false;

		if (en->kind != ST_EV_SIGNAL_GENERATE || !(en->flags & TL_ENTRY_NS_INIT))
			continue;
		snprintf(seen[n], sizeof(seen[n]), "%s from %.*s",
			 signal_text(en->sig, sb, sizeof(sb)), ST_COMM_LEN,
			 en->other_comm[0] ? en->other_comm : "?");
		for (int j = 0; j < n && !again; j++)
			again = !strcmp(seen[j], seen[n]);
		n += !again;
	}
	if (o->exited && (o->exit_code & 0x7f))
		snprintf(seen[n++], sizeof(seen[0]), "the exit of PID 1, killed by %s",
			 signal_text(o->exit_code & 0x7f, sb, sizeof(sb)));
	else if (o->exited)
		snprintf(seen[n++], sizeof(seen[0]), "the exit of PID 1 with code %d",
			 (o->exit_code >> 8) & 0xff);
	say(r, "The monitor started %llu ms before this stop's first event: it saw ",
	    (unsigned long long)(s->monitor_ns / NSEC_PER_MSEC));
	for (int i = 0; i < n; i++)
		say(r, "%s%s", i == 0 ? "" : i == n - 1 ? " and " : ", ", seen[i]);
	say(r,
	    "%s; a stop signal sent before it started was not seen, so whether the "
	    "application had a chance to shut down is not known. ",
	    n ? "" : "nothing else");
}

/* A SIGKILL that came first: from whom, and whether a stop signal may have gone before. */
static void say_killed(struct reason *r, const struct stop_state *s)
{
	const struct tl_stop *o = &s->out;
	const char *from = o->sender.comm[0] ? o->sender.comm : "?";

	if (o->partial && s->maybe_partial)
		/* seen is not sent: a stop signal may predate the monitor */
		say_partial(r, s);
	else
		say(r,
		    "SIGKILL from %s (pid %u) with no stop signal before it (docker kill, "
		    "docker rm -f): the application had no chance to shut down. ",
		    from, o->sender.pid);
}

/* How PID 1 ended, for the verdicts that find no fault in it. */
static void say_ending(struct reason *r, const struct stop_state *s, const char *sig)
{
	const struct tl_stop *o = &s->out;
	int code = (o->exit_code >> 8) & 0xff, term = o->exit_code & 0x7f;
	char tb[24];

	if (o->verdict == TL_KILLED_WITHOUT_GRACE) {
		say_killed(r, s);
	} else if (o->verdict == TL_GRACEFUL) {
		if (s->first_exiting)
			say(r,
			    "PID 1 was already exiting when %s came (a process that is exiting acts "
			    "on no signal). ",
			    sig);
		say(r, "PID 1 exited %lld ms after %s",
		    (long long)tl_ms_between(o->start_ns, s->exit_ns), sig);
		if (term)
			say(r, ", killed by %s. ", signal_text(term, tb, sizeof(tb)));
		else
			say(r, " with code %d. ", code);
		if (s->dropped) {
			say_drop(r, s, sig);
			say(r, "PID 1 then exited by itself. ");
		}
	} else if (o->verdict != TL_EXITED) {
		return;
	} else if (!s->exit_ns) {
		say(r, "the stop ended without the exit of PID 1 being seen. ");
	} else if (o->partial && s->maybe_partial) {
		say_partial(r, s);
	} else if (term) {
		say(r, "PID 1 was killed by %s without a stop from outside. ",
		    signal_text(term, tb, sizeof(tb)));
	} else {
		say(r, "PID 1 exited on its own with code %d. ", code);
	}
}

/* What to do about it, for the verdicts that find fault. */
static void say_fix(struct reason *r, const struct stop_state *s, const char *sig)
{
	switch (s->out.verdict) {
	case TL_NS_TEARDOWN_STUCK:
		say(r, "Fix: unpause the container sharing the pid namespace (docker unpause), or "
		       "find what the D-state task waits on.");
		break;
	case TL_STOP_SIGNAL_IGNORED:
		if (!s->ignored && !s->drop.first && s->drop.disposition != ST_DISP_IGNORE)
			say(r,
			    "Fix: the handler must exit by itself once it has cleaned up (a signal "
			    "with the default action cannot end a namespace init), or run the "
			    "container with an init (docker run --init, tini).");
		else if ((s->ignored ? (uint32_t)s->ignored_disposition : s->drop.disposition) ==
			 ST_DISP_IGNORE)
			say(r, "Fix: do not ignore %s in the application.", sig);
		else
			say(r,
			    "Fix: run with an init (docker run --init, tini) or handle %s in "
			    "PID 1.",
			    sig);
		break;
	case TL_STOP_SIGNAL_BLOCKED:
		say(r, "Fix: unblock %s (sigprocmask) or wait for it (sigwait).", sig);
		break;
	case TL_GRACE_PERIOD_EXCEEDED:
		say(r, "Fix: shut down faster, or raise the grace period (docker stop -t, "
		       "stop_grace_period, terminationGracePeriodSeconds).");
		break;
	case TL_OOM_KILLED:
		say(r, "Fix: raise the memory limit or reduce the application's memory use.");
		break;
	default:
		break;
	}
}

void tl_describe_verdict(struct stop_state *s)
{
	struct tl_stop *o = &s->out;
	struct reason r = {o->reason, sizeof(o->reason), 0};
	char sb[24], running[320] = "";
	const char *sig = signal_text(o->stop_signal ? o->stop_signal : SIGTERM, sb, sizeof(sb));

	say_fault(&r, s, sig);
	say_ending(&r, s, sig);
	if (o->verdict < TL_GRACE_PERIOD_EXCEEDED && s->sigkill_ns)
		say(&r, "SIGKILL followed after %lld ms. ", (long long)o->grace_ms);
	/* what still ran, in the room the fix leaves */
	if (r.n + FIX_ROOM < r.cap)
		tl_running_words(s, running,
				 r.cap - r.n - FIX_ROOM < sizeof(running) ? r.cap - r.n - FIX_ROOM
									  : sizeof(running));
	say(&r, "%s", running);
	say_fix(&r, s, sig);
	while (r.n > 0 && r.n < r.cap && o->reason[r.n - 1] == ' ')
		o->reason[--r.n] = '\0';
}

void tl_describe_ignored(struct tl_alert *a, uint32_t disposition)
{
	char sb[24];

	if (disposition == ST_DISP_IGNORE) {
		snprintf(a->message, sizeof(a->message),
			 "%s to PID 1 was ignored: the process set it to SIG_IGN; the stop "
			 "will wait for the grace period, then SIGKILL",
			 signal_text(a->sig, sb, sizeof(sb)));
		snprintf(a->action, sizeof(a->action),
			 "handle %s in the application instead of ignoring it",
			 signal_text(a->sig, sb, sizeof(sb)));
	} else {
		snprintf(a->message, sizeof(a->message),
			 "%s to PID 1 was ignored by the kernel: PID 1 of a pid namespace has "
			 "no handler for it; the stop will wait for the grace period, then "
			 "SIGKILL",
			 signal_text(a->sig, sb, sizeof(sb)));
		snprintf(a->action, sizeof(a->action),
			 "run the container with an init (docker run --init, tini) or handle "
			 "%s in PID 1",
			 signal_text(a->sig, sb, sizeof(sb)));
	}
}

void tl_describe_dropped(const struct stop_state *s, struct tl_alert *a)
{
	struct reason r = {a->message, sizeof(a->message), 0};
	char sb[24];
	const char *sig = signal_text(a->sig ? a->sig : SIGTERM, sb, sizeof(sb));

	say_drop(&r, s, sig);
	say(&r,
	    "PID 1 is still running %lld ms later; the stop will wait for the grace period, "
	    "then SIGKILL",
	    (long long)a->duration_ms);
	if (s->drop.first || s->drop.disposition == ST_DISP_IGNORE)
		snprintf(a->action, sizeof(a->action),
			 "handle %s in PID 1 and exit, or run the container with an init (docker "
			 "run --init, tini)",
			 sig);
	else
		snprintf(a->action, sizeof(a->action),
			 "make the handler exit by itself instead of sending %s again, or run the "
			 "container with an init (docker run --init, tini)",
			 sig);
}

void tl_describe_blocked(struct tl_alert *a)
{
	char sb[24];

	snprintf(a->message, sizeof(a->message),
		 "%s to PID 1 is pending: the process blocks it and has not taken it for %lld ms",
		 signal_text(a->sig, sb, sizeof(sb)), (long long)a->duration_ms);
	snprintf(a->action, sizeof(a->action),
		 "unblock %s in PID 1 (sigprocmask) or wait for it with sigwait",
		 signal_text(a->sig, sb, sizeof(sb)));
}

void tl_describe_still_running(const struct stop_state *s, struct tl_alert *a)
{
	char sb[24];

	snprintf(a->message, sizeof(a->message),
		 "the stop started %lld ms ago and PID 1 is still running%s%s",
		 (long long)a->duration_ms,
		 s->ignored || s->dropped
			 ? ": its stop signal was ignored, so only SIGKILL will end it "
			   "(docker stop -t -1 never sends one)"
			 : "",
		 s->blocked_pending ? ": its stop signal is blocked and still pending" : "");
	snprintf(a->action, sizeof(a->action),
		 "docker kill the container to end the stop now; then fix how PID 1 "
		 "handles %s",
		 signal_text(s->out.stop_signal ? s->out.stop_signal : SIGTERM, sb, sizeof(sb)));
}

void tl_describe_stuck(const struct stop_state *s, struct tl_alert *a)
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

void tl_describe_restarted(struct tl_alert *a, uint32_t last_init_pid, const char *policy)
{
	snprintf(a->message, sizeof(a->message),
		 "the container came back %lld ms after it stopped (PID 1 was pid %u, now %u): its "
		 "restart policy is '%s'",
		 (long long)a->duration_ms, last_init_pid, a->pid, policy);
	snprintf(a->action, sizeof(a->action),
		 "to keep it stopped, use docker stop (not kill) or docker update --restart=no "
		 "first");
}

void tl_describe_oom(struct tl_alert *a, bool init)
{
	snprintf(a->message, sizeof(a->message),
		 "the kernel's OOM killer killed pid %u%s in this container", a->pid,
		 init ? " (PID 1)" : "");
	snprintf(a->action, sizeof(a->action),
		 "raise the container's memory limit or reduce its memory use");
}

/* Records lost during the stop: said with the alert, which may be wrong then. */
void tl_note_lost(struct tl_alert *a, uint64_t lost)
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
