// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The stop timeline's words: the names of verdicts and alerts, and what an
 * alert says.
 */
#include <stdio.h>
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

const char *tl_sig_text(int sig, char *buf, size_t cap)
{
	const char *name = signal_name(sig);

	if (name)
		return name;
	snprintf(buf, cap, "signal %d", sig);
	return buf;
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
