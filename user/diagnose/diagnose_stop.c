// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What the container's stop will do: what PID 1 will do with the stop
 * signal (S2), what becomes of it beyond PID 1 (a shell that passes it on
 * to no child, an init shim that forwards it to one), and which tasks of
 * its pid namespace would keep the namespace teardown waiting (S5).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "diagnose/diagnose_int.h"
#include "engine/timeline.h"
#include "identity/runtimes.h"
#include "lib/names.h"

/* ---- the stop signal ---- */

/* What PID 1 will do with the stop signal: stop_signal_fate() tells which. */
enum stop_fate {
	FATE_UNCATCHABLE,     /* SIGKILL */
	FATE_WAITED_FOR,      /* blocked, collected with sigtimedwait() */
	FATE_BLOCKED,	      /* blocked: stays pending */
	FATE_SIG_IGN,	      /* set to SIG_IGN */
	FATE_HANDLED,	      /* caught by a handler */
	FATE_NS_INIT_DROPS,   /* no handler: the kernel drops it to a namespace init */
	FATE_DEFAULT_FATAL,   /* no handler, not a namespace init: the default action kills */
	FATE_DEFAULT_HARMLESS /* no handler, and the default action does not end a process */
};

static enum stop_fate stop_signal_fate(const struct diag *d)
{
	const struct proc_status *st = &d->init;
	bool sigwait = strstr(d->init_wchan, "sigtimedwait") || strstr(d->init_wchan, "signalfd");
	int disp = procfs_signal_disposition(st, d->sig);

	if (d->sig == SIGKILL)
		return FATE_UNCATCHABLE;
	/*
	 * tini and other signal-forwarding inits block every signal and
	 * collect them with sigtimedwait(), which unblocks them while it
	 * sleeps, or read them from a signalfd (catatonit): a blocked or
	 * default signal then reaches it.
	 */
	if (procfs_signal_blocked(st, d->sig) || (sigwait && disp == PROC_SIG_DEFAULT))
		return sigwait ? FATE_WAITED_FOR : FATE_BLOCKED;
	if (disp == PROC_SIG_IGNORED)
		return FATE_SIG_IGN;
	if (disp == PROC_SIG_HANDLER)
		return FATE_HANDLED;
	if (d->ns_init)
		return FATE_NS_INIT_DROPS;
	return signal_fatal_by_default(d->sig) ? FATE_DEFAULT_FATAL : FATE_DEFAULT_HARMLESS;
}

/* How PID 1 waits for the signals it blocks, by its wchan. */
static const char *wait_call(const struct diag *d)
{
	return strstr(d->init_wchan, "signalfd") ? "signalfd" : "sigtimedwait";
}

/* What waits out the grace period of d's container: "docker stop", "the kubelet", ... */
static const char *stopper(const struct diag *d)
{
	return runtime_words(&d->c)->stopper;
}

/* The prediction's name and its reason in words (name: the signal's). */
static void stop_signal_words(struct diag *d, enum stop_fate fate, const char *name)
{
	char *why = d->prediction_why;
	size_t cap = sizeof(d->prediction_why);

	switch (fate) {
	case FATE_UNCATCHABLE:
		d->prediction = "default_fatal";
		snprintf(why, cap, "SIGKILL cannot be caught: PID 1 dies at once, without cleanup");
		break;
	case FATE_WAITED_FOR:
		d->prediction = "waited_for";
		snprintf(why, cap, "PID 1 blocks %s and waits for it (%s): it will be handled",
			 name, wait_call(d));
		break;
	case FATE_BLOCKED:
		d->prediction = "blocked";
		snprintf(
			why, cap,
			"%s is blocked by PID 1: it stays pending; %s will wait the full grace period, then SIGKILL",
			name, stopper(d));
		break;
	case FATE_SIG_IGN:
		d->prediction = "ignored";
		snprintf(
			why, cap,
			"%s will be ignored: PID 1 set it to SIG_IGN; %s will wait the full grace period, then SIGKILL",
			name, stopper(d));
		break;
	case FATE_HANDLED:
		d->prediction = "handled";
		snprintf(why, cap, "PID 1 has a %s handler: it will be handled", name);
		break;
	case FATE_NS_INIT_DROPS:
		d->prediction = "ignored";
		snprintf(
			why, cap,
			"%s will be ignored: PID 1 has no handler (a namespace init ignores default-action signals); %s will wait the full grace period, then SIGKILL",
			name, stopper(d));
		break;
	case FATE_DEFAULT_FATAL:
		d->prediction = "default_fatal";
		snprintf(
			why, cap,
			"PID 1 is not a namespace init and has no handler: %s kills it at once, without cleanup",
			name);
		break;
	case FATE_DEFAULT_HARMLESS:
		d->prediction = "ignored";
		snprintf(
			why, cap,
			"%s will be ignored: PID 1 has no handler and its default action does not end a process",
			name);
		break;
	}
}

/*
 * A stop signal that does not end PID 1 makes docker stop wait out its
 * grace period: a problem, with its fix, and the reason as its message.
 */
static void stop_signal_problem(struct diag *d, enum stop_fate fate, const char *name)
{
	struct problem *p = NULL;

	switch (fate) {
	case FATE_BLOCKED:
		p = add_problem(d, "stop_signal_blocked");
		if (p)
			snprintf(
				p->action, sizeof(p->action),
				"make PID 1 unblock %s (or wait for it with sigwaitinfo), or run the container with --init",
				name);
		break;
	case FATE_SIG_IGN:
		p = add_problem(d, "stop_signal_ignored");
		if (p)
			snprintf(
				p->action, sizeof(p->action),
				"do not ignore %s in PID 1 (a shell's trap '' TERM does), or give the image a STOPSIGNAL it handles",
				name);
		break;
	case FATE_NS_INIT_DROPS:
		p = add_problem(d, "stop_signal_ignored");
		if (p)
			snprintf(
				p->action, sizeof(p->action),
				"run the container with --init (tini as PID 1), or give PID 1 a %s handler",
				name);
		break;
	case FATE_DEFAULT_HARMLESS:
		p = add_problem(d, "stop_signal_ignored");
		if (p)
			snprintf(
				p->action, sizeof(p->action),
				"give the image a STOPSIGNAL that ends it (SIGTERM with a handler)");
		break;
	case FATE_UNCATCHABLE:
	case FATE_WAITED_FOR:
	case FATE_HANDLED:
	case FATE_DEFAULT_FATAL:
		break; /* it ends PID 1, or PID 1 handles it */
	}
	if (p)
		snprintf(p->message, sizeof(p->message), "%s", d->prediction_why);
}

/* ---- the shapes: PID 1 and its children ---- */

#define SHAPE_CHILDREN 8 /* PID 1's children whose signal state is read, at most */

/* PID 1's children in the container, in the scan's order: up to max into out. */
static int init_children(const struct diag *d, const struct pinfo **out, int max)
{
	int n = 0;

	for (size_t i = 0; i < d->nprocs && n < max; i++)
		if (d->procs[i].in_ctr && d->procs[i].ppid == d->init_pid &&
		    d->procs[i].pid != d->init_pid)
			out[n++] = &d->procs[i];
	return n;
}

/* The problem of kind for the stop signal just added, to say again in the shape's words. */
static struct problem *stop_problem(struct diag *d, const char *kind)
{
	for (int i = d->nproblems - 1; i >= 0; i--)
		if (!strcmp(d->problems[i].kind, kind))
			return &d->problems[i];
	return add_problem(d, kind);
}

/*
 * PID 1 drops the stop signal and runs a child: a shell (sh -c 'app; ...',
 * a wrapper script) that passes no signal on. Its child never gets it.
 */
static void shell_shape(struct diag *d, const struct pinfo *kid, const char *name)
{
	const char *what = tl_is_shell(d->init.name) ? "a shell" : "a wrapper that runs a child";
	struct problem *p;

	snprintf(d->prediction_why, sizeof(d->prediction_why),
		 "%s will be ignored: PID 1 (%s) is %s, with no handler for it (a namespace init "
		 "ignores default-action signals), and it does not pass signals on to its child "
		 "%s (pid %d in the container), which will never get it; %s will wait "
		 "the full grace period, then SIGKILL",
		 name, d->init.name, what, kid->comm, kid->ns_pid, stopper(d));
	p = stop_problem(d, "stop_signal_ignored");
	if (!p)
		return;
	snprintf(p->message, sizeof(p->message), "%s", d->prediction_why);
	snprintf(p->action, sizeof(p->action),
		 "use the exec form of CMD (CMD [\"%s\", ...]) or `exec %s` in the script, so that "
		 "%s is PID 1 and gets %s itself; or run the container with --init",
		 kid->comm, kid->comm, kid->comm, name);
}

/* What a child that is no namespace init will do with a signal that reaches it. */
static enum stop_fate child_fate(const struct proc_status *st, int sig)
{
	int disp = procfs_signal_disposition(st, sig);

	if (procfs_signal_blocked(st, sig))
		return FATE_BLOCKED;
	if (disp == PROC_SIG_IGNORED)
		return FATE_SIG_IGN;
	if (disp == PROC_SIG_HANDLER)
		return FATE_HANDLED;
	return signal_fatal_by_default(sig) ? FATE_DEFAULT_FATAL : FATE_DEFAULT_HARMLESS;
}

/* What a child will do with the stop signal, and what waits out the grace period then. */
static const char *child_fate_words(enum stop_fate fate, const char *waits, char *buf, size_t cap)
{
	const char *what;

	switch (fate) {
	case FATE_BLOCKED:
		what = "which blocks it: it will stay pending";
		break;
	case FATE_SIG_IGN:
		what = "which ignores it (SIG_IGN)";
		break;
	case FATE_HANDLED:
		return "which has a handler: it will be handled";
	case FATE_DEFAULT_FATAL:
		return "which has no handler: it will die of it at once, without cleanup";
	default:
		what = "which has no handler, and its default action does nothing";
		break;
	}
	snprintf(buf, cap, "%s; %s will wait the full grace period, then SIGKILL", what, waits);
	return buf;
}

/*
 * An init shim waits for the stop signal and forwards it to its child: the
 * stop then turns on what that child does with it. The first child that
 * would not end is the problem; else the first child is named.
 */
static void shim_shape(struct diag *d, const struct pinfo **kids, int nkids, const char *name)
{
	enum stop_fate fate = FATE_HANDLED, f;
	const struct pinfo *kid = kids[0];
	struct proc_status st;
	char fb[160];
	struct problem *p;

	for (int i = 0; i < nkids; i++) {
		if (procfs_read_status(d->root, kids[i]->pid, &st))
			continue; /* gone since the scan */
		f = child_fate(&st, d->sig);
		if (i == 0 || f == FATE_BLOCKED || f == FATE_SIG_IGN ||
		    f == FATE_DEFAULT_HARMLESS) {
			kid = kids[i];
			fate = f;
		}
		if (f == FATE_BLOCKED || f == FATE_SIG_IGN || f == FATE_DEFAULT_HARMLESS)
			break;
	}
	snprintf(d->prediction_why, sizeof(d->prediction_why),
		 "PID 1 (%s) is an init shim: it waits for %s (%s) and will forward it to %s (pid "
		 "%d in the container), %s",
		 d->init.name, name, wait_call(d), kid->comm, kid->ns_pid,
		 child_fate_words(fate, stopper(d), fb, sizeof(fb)));
	if (fate == FATE_HANDLED || fate == FATE_DEFAULT_FATAL)
		return;
	p = add_problem(d, fate == FATE_BLOCKED ? "stop_signal_blocked" : "stop_signal_ignored");
	if (!p)
		return;
	snprintf(p->message, sizeof(p->message), "%s", d->prediction_why);
	if (fate == FATE_BLOCKED)
		snprintf(p->action, sizeof(p->action),
			 "unblock %s in %s (sigprocmask), or wait for it with sigwaitinfo", name,
			 kid->comm);
	else
		snprintf(
			p->action, sizeof(p->action),
			"handle %s in %s and exit (a shell's trap '' TERM ignores it), or give the "
			"image a STOPSIGNAL it handles",
			name, kid->comm);
}

/* Beyond PID 1: a shell that passes nothing on, a shim that forwards to its child. */
static void stop_signal_shape(struct diag *d, enum stop_fate fate, const char *name)
{
	const struct pinfo *kids[SHAPE_CHILDREN];
	int nkids = init_children(d, kids, SHAPE_CHILDREN);

	if (!nkids)
		return;
	if (fate == FATE_NS_INIT_DROPS)
		shell_shape(d, kids[0], name);
	else if (fate == FATE_WAITED_FOR && tl_is_shim(d->init.name))
		shim_shape(d, kids, nkids, name);
}

void diag_predict_stop_signal(struct diag *d)
{
	const char *name = signal_name(d->sig) ? signal_name(d->sig) : "the stop signal";
	enum stop_fate fate = stop_signal_fate(d);

	stop_signal_words(d, fate, name);
	stop_signal_problem(d, fate, name);
	stop_signal_shape(d, fate, name);
}

/* ---- the pid namespace ---- */

static int by_pid(const void *a, const void *b)
{
	const struct culprit *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/*
 * Can this task keep the namespace teardown waiting? The v1 freezer holds
 * even SIGKILL (its tasks show state D); the v2 freezer lets it through.
 */
static bool cannot_die(const struct culprit *c)
{
	return c->state == 'D' || (c->frozen && !strncmp(c->frozen_how, "v1 ", 3));
}

/*
 * When PID 1 of a namespace exits, the kernel kills every task left in it
 * and waits for them: a task that cannot die (frozen by the v1 freezer, in
 * uninterruptible sleep) keeps the stop hanging (S5).
 */
void diag_check_namespace(struct diag *d)
{
	char label[NAME_LEN];
	struct problem *p;
	int n;

	n = culprits_find(d->root, d->pidns, 0, NULL, d->ns_procs, CULPRITS_MAX);
	if (n < 0)
		return;
	d->nns_total = n;
	d->nns = n < CULPRITS_MAX ? n : CULPRITS_MAX;
	qsort(d->ns_procs, (size_t)d->nns, sizeof(d->ns_procs[0]), by_pid);
	if (!d->ns_init)
		return; /* stopping it does not tear the namespace down */
	for (int i = 0; i < d->nns; i++) {
		const struct culprit *c = &d->ns_procs[i];
		bool seen = false;

		if (!cannot_die(c))
			continue;
		d->ns_stuck[i] = true;
		/* one problem per paused container, however many tasks it has */
		for (int j = 0; c->frozen && c->in_container && j < i; j++)
			seen |= d->ns_stuck[j] && d->ns_procs[j].frozen &&
				d->ns_procs[j].in_container &&
				!strcmp(d->ns_procs[j].container.id, c->container.id);
		if (seen)
			continue;
		p = add_problem(d, "ns_teardown_stuck");
		if (!p)
			break;
		if (c->frozen && c->in_container) {
			label_of(&c->container, label, sizeof(label));
			snprintf(
				p->message, sizeof(p->message),
				"stopping this container will hang in namespace teardown: %s is paused%s (process %u %s, %s)",
				label, strcmp(c->container.id, d->c.id) ? "" : " itself", c->pid,
				c->comm, c->frozen_how[0] ? c->frozen_how : "cgroup frozen");
		} else if (c->frozen) {
			snprintf(
				p->message, sizeof(p->message),
				"stopping this container will hang in namespace teardown: process %u (%s) is in a frozen cgroup (%s)",
				c->pid, c->comm, c->frozen_how);
		} else {
			snprintf(
				p->message, sizeof(p->message),
				"stopping this container will hang in namespace teardown: process %u (%s) is in uninterruptible sleep%s%s",
				c->pid, c->comm, c->wchan[0] ? " in " : "", c->wchan);
		}
		culprit_fix(c, p->action, sizeof(p->action));
	}
}
