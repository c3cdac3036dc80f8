// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The verdict on a stop that ended: which findings apply, which of them wins,
 * and the reason in words with its fix.
 */
#include <signal.h>
#include <stdio.h>
#include "engine/timeline_int.h"

void tl_judge(struct stop_state *s, struct tl_cont *tc)
{
	struct tl_stop *o = &s->out;
	char sb[24];
	const char *sig = tl_sig_text(o->stop_signal ? o->stop_signal : SIGTERM, sb, sizeof(sb));
	int code = (o->exit_code >> 8) & 0xff, term = o->exit_code & 0x7f;
	int64_t took = s->exit_ns ? tl_ms_between(o->start_ns, s->exit_ns) : -1;
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
			REASON(", killed by %s. ", tl_sig_text(term, sb, sizeof(sb)));
		else
			REASON(" with code %d. ", code);
		break;
	case TL_EXITED:
		if (!s->exit_ns)
			REASON("the stop ended without the exit of PID 1 being seen. ");
		else if (o->partial && term)
			REASON("PID 1 was killed by %s just after the monitor started; a stop "
			       "signal sent before that was not seen. ",
			       tl_sig_text(term, sb, sizeof(sb)));
		else if (o->partial)
			REASON("PID 1 exited with code %d just after the monitor started; a stop "
			       "signal sent before that was not seen. ",
			       code);
		else if (term)
			REASON("PID 1 was killed by %s without a stop from outside. ",
			       tl_sig_text(term, sb, sizeof(sb)));
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
