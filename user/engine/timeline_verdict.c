// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The verdict on a stop that ended: which findings apply and which of them
 * wins; timeline_words.c then says it in words, with its fix.
 */
#include <signal.h>
#include "engine/timeline_int.h"

/*
 * A SIGKILL came while PID 1 still ran: its exit came after the SIGKILL, or
 * the SIGKILL killed it and the exit's record only looks a little earlier.
 */
static bool killed_after_stop_signal(const struct stop_state *s)
{
	int term = s->out.exit_code & 0x7f;

	return s->sigkill_ns && (!s->exit_ns || s->exit_ns >= s->sigkill_ns ||
				 (term == SIGKILL && s->exit_ns + SKEW_NS >= s->sigkill_ns));
}

/*
 * PID 1 passed the stop signal on and was still running when SIGKILL came:
 * the process that got it is judged, not PID 1 (an init shim has nothing
 * else to do but wait for it). It ignored it, blocked it, or handled it and
 * carried on; or it went, and PID 1 still did not.
 */
static bool judged_by_forward(const struct stop_state *s)
{
	return s->fwd.ts_ns && killed_after_stop_signal(s) && !s->ignored && !s->dropped &&
	       !s->first_exiting;
}

static uint32_t forward_findings(const struct stop_state *s)
{
	const struct tl_forward *w = &s->fwd;

	if (!tl_forward_target_kept(s))
		return 1u << TL_GRACE_PERIOD_EXCEEDED;
	if (w->result == ST_SIG_IGNORED && !w->exiting)
		return 1u << TL_STOP_SIGNAL_IGNORED;
	if ((w->sig_flags & ST_SIGF_BLOCKED) && !(w->sig_flags & ST_SIGF_REAL_BLOCKED))
		return 1u << TL_STOP_SIGNAL_BLOCKED;
	return 1u << TL_GRACE_PERIOD_EXCEEDED;
}

/* Every finding that applies, a bit per enum tl_verdict; exited when none does. */
static uint32_t stop_findings(const struct stop_state *s)
{
	bool killed_after = killed_after_stop_signal(s);
	uint32_t f = 0;

	if (judged_by_forward(s))
		f |= forward_findings(s);
	if (s->stuck)
		f |= 1u << TL_NS_TEARDOWN_STUCK;
	/*
	 * Whoever sent the stop signal last: when the kernel dropped it (a handler
	 * that re-raised it with the default action, a resend from inside) and
	 * PID 1 then ran on until SIGKILL or the end, the stop signal was ignored,
	 * not handled slowly.
	 */
	if (s->ignored || (s->dropped && (killed_after || !s->exit_ns)))
		f |= 1u << TL_STOP_SIGNAL_IGNORED;
	if (s->blocked)
		f |= 1u << TL_STOP_SIGNAL_BLOCKED;
	if (s->handler && killed_after && !s->dropped)
		f |= 1u << TL_GRACE_PERIOD_EXCEEDED;
	if (s->oom)
		f |= 1u << TL_OOM_KILLED;
	if (s->first_sig == SIGKILL && !s->first_from_kernel)
		f |= 1u << TL_KILLED_WITHOUT_GRACE;
	/* a PID 1 already exiting when the stop signal came is not blamed for a slow exit */
	if (s->first_sig && s->first_sig != SIGKILL && s->exit_ns &&
	    (!killed_after || s->first_exiting) && !s->ignored && !s->blocked)
		f |= 1u << TL_GRACEFUL;
	if (!s->first_sig && s->exit_ns && !s->oom)
		f |= 1u << TL_EXITED;
	if (!f)
		f |= 1u << TL_EXITED;
	return f;
}

/* Classify the stop (findings, verdict, partial), then say why in o->reason. */
void tl_judge(struct stop_state *s)
{
	struct tl_stop *o = &s->out;

	tl_halt_settle(s);
	o->findings = stop_findings(s);
	s->by_forward = judged_by_forward(s);
	o->partial = o->partial || (s->maybe_partial && !s->oom);
	o->verdict = (enum tl_verdict)__builtin_ctz(o->findings);
	tl_describe_verdict(s);
}
