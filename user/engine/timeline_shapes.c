// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What PID 1 runs and what it does with its stop signal beyond itself: the
 * shapes a stop's words name.
 *
 * - PID 1's children, from the container's forks, execs and exits: a shell
 *   as PID 1 runs the application as its child (sh -c 'app; ...', a wrapper
 *   script) and passes no signal on to it.
 * - A forward: PID 1 sending a signal to another process of the container
 *   once its stop signal came. An init shim (tini, docker-init, dumb-init,
 *   catatonit) blocks every signal, takes the stop signal with sigtimedwait
 *   (no signal_deliver then) and sends it on with kill(2) to its child, or
 *   to the child's process group (dumb-init: one signal_generate for each
 *   process of the group). A shell trap that runs `kill -TERM $child` does
 *   the same. The verdict then judges the process that got it.
 *
 * Every name here is the comm a container's process chose: it is only ever
 * words, never trusted, and escaped by the record writers.
 */
#include <signal.h>
#include <string.h>
#include "engine/timeline_int.h"

/*
 * A shell, or a script: the kernel names a script after its file
 * (wrapper.sh), not after its interpreter.
 */
bool tl_is_shell(const char *comm)
{
	/*
	 * Not "busybox": run by its own name, its applet is its first argument
	 * (busybox sleep 300); one seen running a child is a wrapper still.
	 */
	static const char *const shells[] = {"sh", "bash", "dash", "ash", "zsh", "ksh", "mksh"};
	size_t n = strnlen(comm, ST_COMM_LEN);

	for (size_t i = 0; i < sizeof(shells) / sizeof(shells[0]); i++)
		if (!strncmp(comm, shells[i], ST_COMM_LEN))
			return true;
	return (n > 3 && !strcmp(comm + n - 3, ".sh")) || (n > 5 && !strcmp(comm + n - 5, ".bash"));
}

bool tl_is_shim(const char *comm)
{
	static const char *const shims[] = {"tini", "tini-static", "docker-init", "dumb-init",
					    "catatonit"};

	for (size_t i = 0; i < sizeof(shims) / sizeof(shims[0]); i++)
		if (!strncmp(comm, shims[i], ST_COMM_LEN))
			return true;
	return false;
}

static void proc_from(struct tl_proc *p, const struct st_task *task)
{
	p->pid = task->tgid;
	p->ns_pid = task->ns_tgid;
	memcpy(p->comm, task->comm, ST_COMM_LEN);
	p->comm[ST_COMM_LEN - 1] = '\0';
}

static struct tl_proc *child_find(struct tl_cont *tc, uint32_t pid)
{
	for (uint32_t i = 0; i < tc->nchildren; i++)
		if (tc->children[i].pid == pid)
			return &tc->children[i];
	return NULL;
}

/* A new child of PID 1: the newest TL_CHILDREN are kept, oldest first. */
static void child_add(struct tl_cont *tc, const struct st_fork *f)
{
	if (tc->children_of != f->parent.tgid) {
		tc->children_of = f->parent.tgid;
		tc->nchildren = 0;
	}
	if (tc->nchildren == TL_CHILDREN) {
		memmove(tc->children, tc->children + 1,
			sizeof(tc->children[0]) * (TL_CHILDREN - 1));
		tc->nchildren--;
	}
	proc_from(&tc->children[tc->nchildren++], &f->child);
}

static void child_remove(struct tl_cont *tc, uint32_t pid)
{
	struct tl_proc *p = child_find(tc, pid);
	uint32_t i;

	if (!p)
		return;
	i = (uint32_t)(p - tc->children);
	memmove(p, p + 1, sizeof(*p) * (tc->nchildren - i - 1));
	tc->nchildren--;
}

/*
 * A later look at a child names what it runs now: busybox runs an applet by
 * executing /proc/self/exe (comm "exe"), then names it after the applet.
 */
static void child_refresh(struct tl_cont *tc, const struct st_task *task)
{
	struct tl_proc *p = child_find(tc, task->tgid);

	if (p)
		proc_from(p, task);
	if (tc->stop && tc->stop->child.pid == task->tgid)
		proc_from(&tc->stop->child, task);
}

/* The child a stop names: the newest still running, else the one it named already. */
static void stop_child(struct tl_cont *tc, struct stop_state *s)
{
	if (tc->nchildren && tc->children_of == s->out.init_pid) {
		s->child = tc->children[tc->nchildren - 1];
		s->child_forked = true;
	}
}

void tl_shapes_process(struct tl_cont *tc, const struct st_event *e)
{
	struct stop_state *s = tc->stop;
	struct tl_proc *p;

	switch (e->kind) {
	case ST_EV_PROCESS_FORK:
		if (e->u.fork.parent.flags & ST_TASK_NS_INIT)
			child_add(tc, &e->u.fork);
		break;
	case ST_EV_PROCESS_EXEC:
		p = child_find(tc, e->u.exec.task.tgid);
		if (p && !(e->u.exec.task.flags & ST_TASK_NS_INIT))
			proc_from(p, &e->u.exec.task); /* the program it runs now */
		break;
	case ST_EV_PROCESS_EXIT:
		child_refresh(tc, &e->u.exit.task);
		if (s && s->fwd.ts_ns && s->fwd.to.pid == e->u.exit.task.tgid && !s->fwd.exit_ns) {
			s->fwd.exit_ns = e->ts_ns;
			s->fwd.exit_code = e->u.exit.exit_code;
		}
		if (s && !s->exit_ns)
			stop_child(tc, s); /* named while it still ran */
		if (s && s->stop_sig_seen && !s->sigkill_ns && child_find(tc, e->u.exit.task.tgid))
			s->child_exited = true; /* a shell's trap could run then */
		child_remove(tc, e->u.exit.task.tgid);
		return;
	default:
		return;
	}
	if (s && !s->exit_ns)
		stop_child(tc, s);
}

void tl_shapes_open(struct tl_cont *tc, struct stop_state *s)
{
	stop_child(tc, s);
}

/* A stop signal to a process other than PID 1 that it ignores: alerted now, naming it. */
static void alert_forward_ignored(struct timeline *t, struct tl_cont *tc, uint64_t event_ts,
				  uint64_t now)
{
	struct stop_state *s = tc->stop;
	struct tl_alert a;

	s->fwd.alerted = true;
	tl_alert_init(&a, TL_ALERT_STOP_SIGNAL_IGNORED, event_ts);
	a.sig = s->fwd.sig;
	a.pid = s->fwd.to.pid;
	a.ns_pid = s->fwd.to.ns_pid;
	memcpy(a.comm, s->fwd.to.comm, ST_COMM_LEN);
	tl_describe_forward_ignored(s, &a);
	tl_stop_alert(t, tc, &a, now);
}

/*
 * PID 1 sent e's signal on to another process of the container after its
 * stop signal came and before it exited, itself (not the kernel's SIGKILL of
 * a namespace teardown, which zap_pid_ns_processes sends in PID 1's name).
 */
static bool is_forward(const struct stop_state *s, const struct st_signal *sig)
{
	return s->stop_sig_seen && !s->exit_ns && sig->sender.tgid == s->out.init_pid &&
	       sig->target.tgid != s->out.init_pid && !(sig->sig_flags & ST_SIGF_FROM_KERNEL) &&
	       sig->sig != SIGKILL && sig->sig != SIGCHLD;
}

static void forward_from(struct tl_forward *f, const struct st_event *e)
{
	const struct st_signal *sig = &e->u.signal;

	memset(f, 0, sizeof(*f));
	f->ts_ns = e->ts_ns;
	proc_from(&f->to, &sig->target);
	f->sig = sig->sig;
	f->result = sig->result;
	f->disposition = sig->disposition;
	f->sig_flags = sig->sig_flags;
	/*
	 * A fatal signal marks its target exiting before the tracepoint
	 * (complete_signal): exiting with "delivered" is the forward killing it.
	 */
	f->exiting = sig->target.flags & ST_TASK_GROUP_EXIT;
	f->ntargets = 1;
}

/*
 * The same forward reaching another process of the group (dumb-init's
 * kill(-pgid), one record per process): each counted once, and PID 1's own
 * child, when one of them, is the process judged.
 */
static void forward_more(struct tl_cont *tc, struct stop_state *s, const struct st_event *e)
{
	const struct st_signal *sig = &e->u.signal;
	struct tl_forward *f = &s->fwd, was = *f;
	uint32_t pid = sig->target.tgid;

	if (sig->sig != f->sig || e->ts_ns > f->ts_ns + SKEW_NS || pid == f->to.pid ||
	    pid == f->last_pid)
		return;
	f->ntargets++;
	f->last_pid = pid;
	if (!child_find(tc, pid) || child_find(tc, f->to.pid))
		return;
	forward_from(f, e);
	f->ts_ns = was.ts_ns;
	f->ntargets = was.ntargets + 1;
	f->last_pid = was.to.pid;
	f->alerted = was.alerted;
}

void tl_shapes_signal(struct timeline *t, struct tl_cont *tc, const struct st_event *e,
		      uint64_t now)
{
	const struct st_signal *sig = &e->u.signal;
	struct stop_state *s = tc->stop;

	child_refresh(tc, &sig->target);
	if (!is_forward(s, sig)) {
		/* the teardown's SIGKILLs name what ran when no fork was seen */
		if (!s->child.pid && sig->sig == SIGKILL && sig->sender.tgid == s->out.init_pid)
			proc_from(&s->child, &sig->target);
		return;
	}
	if (s->fwd.ts_ns) {
		forward_more(tc, s, e);
		return;
	}
	forward_from(&s->fwd, e);
	/* it took its stop signal (sigtimedwait leaves no delivery): not blocked */
	if (!s->sigkill_ns)
		s->blocked_pending = false;
	if (sig->result == ST_SIG_IGNORED && !s->fwd.exiting)
		alert_forward_ignored(t, tc, e->ts_ns, now);
}

bool tl_forward_target_kept(const struct stop_state *s)
{
	const struct tl_forward *f = &s->fwd;

	if (!f->ts_ns)
		return false;
	if (!f->exit_ns)
		return true;
	/* it died of the SIGKILL, whose record may only look a little later */
	return s->sigkill_ns && f->exit_ns + SKEW_NS >= s->sigkill_ns;
}
