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
#include "identity/runtimes.h"

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

/* What the fixes name: the commands and settings of the container's runtime (or pod). */
static const struct rt_words *words(const struct stop_state *s)
{
	return runtime_words(&s->out.container);
}

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
 * What unpauses a container of the stopping one's runtime (in its pod, the
 * pod's), NULL when the runtime has none; Docker's when the runtime is not
 * known, as for every fix.
 */
static const char *unpause_cmd(const struct stop_state *s)
{
	const struct container *c = &s->out.container;
	const struct runtime_info *ri = runtime_info(c->runtime);

	if (!ri)
		return "docker unpause";
	if (c->pod_uid[0] && ri->unpause_in_pod)
		return ri->unpause_in_pod;
	return ri->unpause;
}

/* PID 1's program, as the kernel names it (its comm). */
static const char *prog(const struct stop_state *s)
{
	return s->init_comm[0] ? s->init_comm : "?";
}

/*
 * PID 1 runs its application as a child and passes no signal on: a shell or
 * a script by its name, or any PID 1 without a handler seen running a child
 * (a wrapper named otherwise). Not when it forwarded.
 */
static bool shell_shape(const struct stop_state *s)
{
	return !s->fwd.ts_ns && (tl_is_shell(s->init_comm) || s->child_forked);
}

/*
 * A shell with a trap for the stop signal, still running at SIGKILL, and no
 * child of it exited meanwhile: the trap waited for the command to return.
 */
static bool deferred_trap(const struct stop_state *s)
{
	return tl_is_shell(s->init_comm) && shell_shape(s) && s->child.pid && !s->child_exited;
}

/* "sleep (pid 7 in the container)", the process p, into buf. */
static const char *proc_words(const struct tl_proc *p, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s (pid %u in the container)", p->comm[0] ? p->comm : "?", p->ns_pid);
	return buf;
}

/*
 * A shell as PID 1 that dropped its stop signal (no handler) or deferred it
 * (a trap, run only once the command it waits for returns): it passes no
 * signal on to the application it runs.
 */
static void say_shell(struct reason *r, const struct stop_state *s, const char *sig, bool trap)
{
	char cb[64];
	bool child = s->child.pid != 0;

	const char *what = tl_is_shell(s->init_comm) ? "a shell" : "a wrapper that runs a child";

	if (trap)
		say(r,
		    "PID 1 (%s) is a shell with a trap for %s, but a shell runs its trap only "
		    "once the command it waits for returns, and does not pass signals on to its "
		    "child",
		    prog(s), sig);
	else
		say(r,
		    "%s to PID 1 (%s) was ignored by the kernel: PID 1 is %s, with no handler "
		    "for it (a namespace init ignores signals whose default action is to "
		    "terminate), and it does not pass signals on to its child",
		    sig, prog(s), what);
	if (child)
		say(r, ": %s never got %s. ", proc_words(&s->child, cb, sizeof(cb)), sig);
	else
		say(r, ". ");
}

/* The shell's fix: the application as PID 1, or a trap that passes the signal on. */
static void say_shell_fix(struct reason *r, const struct stop_state *s, const char *sig)
{
	const char *app = s->child.comm[0] ? s->child.comm : "the application";

	say(r,
	    "Fix: use the exec form of CMD (CMD [\"%s\", ...]) or `exec %s` in the script, so "
	    "that %s is PID 1 and gets %s itself; or run with an init (%s).",
	    app, app, app, sig, words(s)->init_run);
}

/* How the process PID 1 forwarded to ended, if it did: ", which was killed by SIGTERM". */
static void say_forward_end(struct reason *r, const struct stop_state *s)
{
	const struct tl_forward *w = &s->fwd;
	int code = (w->exit_code >> 8) & 0xff, term = w->exit_code & 0x7f;
	char tb[24];

	if (!w->exit_ns)
		return;
	if (term)
		say(r, ", which was killed by %s", signal_text(term, tb, sizeof(tb)));
	else
		say(r, ", which exited with code %d", code);
	say(r, " %lld ms later", (long long)tl_ms_between(w->ts_ns, w->exit_ns));
}

/* PID 1 passed its stop signal on: to whom, "PID 1 (tini) is an init shim: it forwarded". */
static void say_forward(struct reason *r, const struct stop_state *s)
{
	const struct tl_forward *w = &s->fwd;
	char sb[24], cb[64];

	say(r, "PID 1 (%s) %s %s to %s", prog(s),
	    tl_is_shim(s->init_comm) ? "is an init shim: it forwarded" : "passed",
	    signal_text(w->sig, sb, sizeof(sb)), proc_words(&w->to, cb, sizeof(cb)));
	if (w->ntargets > 1)
		say(r, " and %u other process%s of its group", w->ntargets - 1,
		    w->ntargets > 2 ? "es" : "");
}

/* The forward's target is at fault: it ignored, blocked or outlasted the forwarded signal. */
static void say_forward_fault(struct reason *r, const struct stop_state *s)
{
	const struct tl_forward *w = &s->fwd;
	const struct tl_stop *o = &s->out;

	say_forward(r, s);
	if (!tl_forward_target_kept(s)) {
		say_forward_end(r, s);
		say(r,
		    ", but PID 1 was still running when SIGKILL came %lld ms after the stop "
		    "signal. ",
		    (long long)o->grace_ms);
	} else if (o->verdict == TL_STOP_SIGNAL_IGNORED) {
		say(r, ", which %s, and kept running. ",
		    w->disposition == ST_DISP_IGNORE
			    ? "ignores it (SIG_IGN)"
			    : "has no handler for it, and its default action is to do nothing");
	} else if (o->verdict == TL_STOP_SIGNAL_BLOCKED) {
		say(r, ", which blocks it: it stayed pending. ");
	} else {
		say(r,
		    ", which %s but was still running when SIGKILL came %lld ms after the stop "
		    "signal. ",
		    w->disposition == ST_DISP_HANDLER ? "handles it" : "got it",
		    (long long)o->grace_ms);
	}
}

/* The fix when the forward's target is at fault: in that program, not in PID 1. */
static void say_forward_fix(struct reason *r, const struct stop_state *s)
{
	const char *app = s->fwd.to.comm[0] ? s->fwd.to.comm : "the application";
	char sb[24];
	const char *sig = signal_text(s->fwd.sig, sb, sizeof(sb));

	if (!tl_forward_target_kept(s))
		say(r, "Fix: PID 1 (%s) must exit once %s has; or raise the grace period.", prog(s),
		    app);
	else if (s->out.verdict == TL_STOP_SIGNAL_IGNORED)
		say(r, "Fix: handle %s in %s and exit, instead of ignoring it.", sig, app);
	else if (s->out.verdict == TL_STOP_SIGNAL_BLOCKED)
		say(r, "Fix: unblock %s in %s (sigprocmask) or wait for it (sigwait).", sig, app);
	else
		say(r, "Fix: make %s shut down faster on %s, or raise the grace period (%s).", app,
		    sig, words(s)->grace_fix);
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

/* The faults of the stop signal: ignored, blocked, or outlasted by PID 1 or its child. */
static void say_stop_fault(struct reason *r, const struct stop_state *s, const char *sig)
{
	const struct tl_stop *o = &s->out;

	if (s->by_forward) {
		say_forward_fault(r, s);
		return;
	}
	switch (o->verdict) {
	case TL_STOP_SIGNAL_IGNORED:
		if (!s->ignored) {
			say_drop(r, s, sig);
			say(r, "PID 1 kept running. ");
		} else if (s->ignored_disposition == ST_DISP_IGNORE)
			say(r, "%s to PID 1 (%s) was ignored: the process set it to SIG_IGN. ", sig,
			    prog(s));
		else if (shell_shape(s))
			say_shell(r, s, sig, false);
		else
			say(r,
			    "%s to PID 1 (%s) was ignored by the kernel: PID 1 of a pid namespace "
			    "has no handler for it, and a namespace init ignores signals whose "
			    "default action is to terminate. ",
			    sig, prog(s));
		break;
	case TL_STOP_SIGNAL_BLOCKED:
		say(r,
		    "%s to PID 1 (%s) stayed pending: the process blocks it and did not unblock "
		    "it before the escalation. ",
		    sig, prog(s));
		break;
	default:
		if (deferred_trap(s)) {
			say_shell(r, s, sig, true);
			say(r, "PID 1 was still running when SIGKILL came %lld ms later. ",
			    (long long)o->grace_ms);
			break;
		}
		say(r,
		    "PID 1 (%s) handles %s and received it, but was still running when SIGKILL "
		    "came %lld ms later. ",
		    prog(s), sig, (long long)o->grace_ms);
		break;
	}
}

/* What went wrong, for the verdicts that find fault. */
static void say_fault(struct reason *r, const struct stop_state *s, const char *sig)
{
	const struct tl_stop *o = &s->out;

	switch (o->verdict) {
	case TL_NS_TEARDOWN_STUCK:
		if (o->teardown_ms >= 0)
			say(r,
			    "PID 1 (%s) exited, but its pid namespace took %lld ms to tear down: "
			    "processes left in it could not die (a paused container sharing the "
			    "namespace, or a task in uninterruptible sleep). ",
			    prog(s), (long long)o->teardown_ms);
		else
			say(r,
			    "PID 1 (%s) exited, but its pid namespace was not seen torn down before "
			    "the timeline ended: processes left in it could not die (a paused "
			    "container sharing the namespace, or a task in uninterruptible sleep). ",
			    prog(s));
		break;
	case TL_STOP_SIGNAL_IGNORED:
	case TL_STOP_SIGNAL_BLOCKED:
	case TL_GRACE_PERIOD_EXCEEDED:
		say_stop_fault(r, s, sig);
		break;
	case TL_OOM_KILLED:
		say(r, "PID 1 (%s) was killed by the kernel's OOM killer. ", prog(s));
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
		    "SIGKILL from %s (pid %u) with no stop signal before it (%s): the "
		    "application had no chance to shut down. ",
		    from, o->sender.pid, words(s)->kill_fix);
}

/* How PID 1 ended, for the verdicts that find no fault in it. */
static void say_ending(struct reason *r, const struct stop_state *s, const char *sig)
{
	const struct tl_stop *o = &s->out;
	int code = (o->exit_code >> 8) & 0xff, term = o->exit_code & 0x7f;
	char tb[24];

	if (o->verdict == TL_KILLED_WITHOUT_GRACE) {
		say_killed(r, s);
	} else if (o->verdict == TL_GRACEFUL && s->halted) {
		say(r,
		    "PID 1 (%s) halted through reboot(2) %lld ms after %s: in a pid namespace "
		    "the kernel ends a halting init with SIGKILL (reboot_pid_ns), a clean halt, "
		    "not a kill. ",
		    prog(s), (long long)tl_ms_between(o->start_ns, s->exit_ns), sig);
	} else if (o->verdict == TL_GRACEFUL) {
		if (s->first_exiting)
			say(r,
			    "PID 1 was already exiting when %s came (a process that is exiting acts "
			    "on no signal). ",
			    sig);
		if (s->fwd.ts_ns) {
			say_forward(r, s);
			say_forward_end(r, s);
			say(r, ". ");
		}
		say(r, "PID 1 (%s) exited %lld ms after %s", prog(s),
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
	} else if (s->halted) {
		say(r,
		    "PID 1 (%s) halted through reboot(2), with no stop from outside: the container "
		    "halted itself (halt or poweroff in it, or its init's own halt), and in a pid "
		    "namespace the kernel ends a halting init with SIGKILL (reboot_pid_ns). ",
		    prog(s));
	} else if (term) {
		say(r, "PID 1 (%s) was killed by %s without a stop from outside. ", prog(s),
		    signal_text(term, tb, sizeof(tb)));
	} else {
		say(r, "PID 1 (%s) exited on its own with code %d. ", prog(s), code);
	}
}

/*
 * ", or stop it with a signal it handles (<the setting>)" where the runtime
 * has words for its stop signal setting, else "".
 */
static const char *stop_signal_words(const struct stop_state *s, char *buf, size_t cap)
{
	const char *set = words(s)->stop_signal_fix;

	if (!set)
		return "";
	snprintf(buf, cap, ", or stop it with a signal it handles (%s)", set);
	return buf;
}

/* What to do about it, for the verdicts that find fault. */
static void say_fix(struct reason *r, const struct stop_state *s, const char *sig)
{
	char sb[160];

	if (s->by_forward && s->out.verdict >= TL_STOP_SIGNAL_IGNORED &&
	    s->out.verdict <= TL_GRACE_PERIOD_EXCEEDED) {
		say_forward_fix(r, s);
		return;
	}
	switch (s->out.verdict) {
	case TL_NS_TEARDOWN_STUCK:
		say(r,
		    "Fix: unpause the container sharing the pid namespace%s%s%s, or find what the "
		    "D-state task waits on.",
		    unpause_cmd(s) ? " (" : "", unpause_cmd(s) ? unpause_cmd(s) : "",
		    unpause_cmd(s) ? ")" : "");
		break;
	case TL_STOP_SIGNAL_IGNORED:
		if (s->ignored && s->ignored_disposition != ST_DISP_IGNORE && shell_shape(s))
			say_shell_fix(r, s, sig);
		else if (!s->ignored && !s->drop.first && s->drop.disposition != ST_DISP_IGNORE)
			say(r,
			    "Fix: the handler must exit by itself once it has cleaned up (a signal "
			    "with the default action cannot end a namespace init), or run the "
			    "container with an init (%s).",
			    words(s)->init_fix);
		else if ((s->ignored ? (uint32_t)s->ignored_disposition : s->drop.disposition) ==
			 ST_DISP_IGNORE)
			say(r, "Fix: do not ignore %s in the application%s.", sig,
			    stop_signal_words(s, sb, sizeof(sb)));
		else
			say(r, "Fix: run with an init (%s) or handle %s in PID 1%s.",
			    words(s)->init_fix, sig, stop_signal_words(s, sb, sizeof(sb)));
		break;
	case TL_STOP_SIGNAL_BLOCKED:
		say(r, "Fix: unblock %s (sigprocmask) or wait for it (sigwait).", sig);
		break;
	case TL_GRACE_PERIOD_EXCEEDED:
		if (deferred_trap(s))
			say(r,
			    "Fix: use the exec form of CMD or `exec %s` in the script, so that it "
			    "gets %s itself; or start it in the background and have the trap pass "
			    "%s on (trap 'kill -TERM $pid; wait $pid' TERM; %s & pid=$!; wait $pid).",
			    s->child.comm, sig, sig, s->child.comm);
		else
			say(r, "Fix: shut down faster, or raise the grace period (%s).",
			    words(s)->grace_fix);
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

void tl_describe_ignored(const struct stop_state *s, struct tl_alert *a, uint32_t disposition)
{
	struct reason r = {a->message, sizeof(a->message), 0};
	char sb[24];
	const char *sig = signal_text(a->sig, sb, sizeof(sb));

	if (disposition != ST_DISP_IGNORE && shell_shape(s)) {
		say_shell(&r, s, sig, false);
		say(&r, "The stop will wait for the grace period, then SIGKILL");
		snprintf(a->action, sizeof(a->action),
			 "use the exec form of CMD, or exec the application in the script, so that "
			 "it is PID 1 and gets %s itself; or run the container with an init (%s)",
			 sig, words(s)->init_run);
	} else if (disposition == ST_DISP_IGNORE) {
		snprintf(a->message, sizeof(a->message),
			 "%s to PID 1 (%s) was ignored: the process set it to SIG_IGN; the stop "
			 "will wait for the grace period, then SIGKILL",
			 sig, a->comm[0] ? a->comm : "?");
		snprintf(a->action, sizeof(a->action),
			 "handle %s in the application instead of ignoring it",
			 signal_text(a->sig, sb, sizeof(sb)));
	} else {
		snprintf(a->message, sizeof(a->message),
			 "%s to PID 1 (%s) was ignored by the kernel: PID 1 of a pid namespace has "
			 "no handler for it; the stop will wait for the grace period, then "
			 "SIGKILL",
			 sig, a->comm[0] ? a->comm : "?");
		snprintf(a->action, sizeof(a->action),
			 "run the container with an init (%s) or handle %s in PID 1",
			 words(s)->init_fix, signal_text(a->sig, sb, sizeof(sb)));
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
			 "handle %s in PID 1 and exit, or run the container with an init (%s)", sig,
			 words(s)->init_fix);
	else
		snprintf(a->action, sizeof(a->action),
			 "make the handler exit by itself instead of sending %s again, or run the "
			 "container with an init (%s)",
			 sig, words(s)->init_fix);
}

/* The forward's target ignored it: said at once, naming it and PID 1. */
void tl_describe_forward_ignored(const struct stop_state *s, struct tl_alert *a)
{
	struct reason r = {a->message, sizeof(a->message), 0};
	char sb[24];
	const char *sig = signal_text(a->sig, sb, sizeof(sb));

	say_forward(&r, s);
	say(&r, ", which %s; the stop will wait for the grace period, then SIGKILL",
	    s->fwd.disposition == ST_DISP_IGNORE
		    ? "ignores it (SIG_IGN)"
		    : "has no handler for it, and its default action is to do nothing");
	snprintf(a->action, sizeof(a->action), "handle %s in %s and exit, instead of ignoring it",
		 sig, a->comm[0] ? a->comm : "the application");
}

void tl_describe_blocked(const struct stop_state *s, struct tl_alert *a)
{
	char sb[24];

	snprintf(a->message, sizeof(a->message),
		 "%s to PID 1 (%s) is pending: the process blocks it and has not taken it for "
		 "%lld ms",
		 signal_text(a->sig, sb, sizeof(sb)), prog(s), (long long)a->duration_ms);
	snprintf(a->action, sizeof(a->action),
		 "unblock %s in PID 1 (sigprocmask) or wait for it with sigwait",
		 signal_text(a->sig, sb, sizeof(sb)));
}

void tl_describe_still_running(const struct stop_state *s, struct tl_alert *a)
{
	char sb[24];

	/* the alert names PID 1's program, as the others do */
	memcpy(a->comm, s->init_comm, ST_COMM_LEN);
	snprintf(a->message, sizeof(a->message),
		 "the stop started %lld ms ago and PID 1 (%s) is still running%s%s%s",
		 (long long)a->duration_ms, prog(s),
		 s->ignored || s->dropped
			 ? ": its stop signal was ignored, so only SIGKILL will end it"
			 : "",
		 s->ignored || s->dropped ? words(s)->no_sigkill : "",
		 s->blocked_pending ? ": its stop signal is blocked and still pending" : "");
	if (s->fwd.ts_ns && tl_forward_target_kept(s)) {
		struct reason r = {a->message, sizeof(a->message), strlen(a->message)};

		say(&r, "; ");
		say_forward(&r, s);
		say(&r, ", which is still running");
		snprintf(a->action, sizeof(a->action),
			 "%s to end the stop now; then fix how %s handles %s", words(s)->kill_now,
			 s->fwd.to.comm[0] ? s->fwd.to.comm : "the application",
			 signal_text(s->fwd.sig, sb, sizeof(sb)));
		return;
	}
	snprintf(a->action, sizeof(a->action),
		 "%s to end the stop now; then fix how PID 1 handles %s", words(s)->kill_now,
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
		snprintf(a->action, sizeof(a->action),
			 "unpause any container sharing its pid namespace%s%s%s, or find the task "
			 "in D state",
			 unpause_cmd(s) ? " (" : "", unpause_cmd(s) ? unpause_cmd(s) : "",
			 unpause_cmd(s) ? ")" : "");
	a->culprits = s->culprits;
	a->nculprits = s->nculprits;
}

void tl_describe_restarted(struct tl_alert *a, uint32_t last_init_pid, const char *policy)
{
	snprintf(a->message, sizeof(a->message),
		 "the container came back %lld ms after it stopped (PID 1 was pid %u, now %u, "
		 "running %s): its restart policy is '%s'",
		 (long long)a->duration_ms, last_init_pid, a->pid, a->comm[0] ? a->comm : "?",
		 policy);
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
