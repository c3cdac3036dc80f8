// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A namespace init that halts through reboot(2). In a pid namespace other
 * than the host's, reboot() does not reboot: reboot_pid_ns() (kernel/
 * pid_namespace.c) notes the command in pid_ns->reboot (SIGINT for a halt
 * or a power-off, SIGHUP for a restart), SIGKILLs the namespace's init with
 * send_sig(SIGKILL, child_reaper, 1), a signal from the kernel, and ends
 * the caller with do_exit(0). zap_pid_ns_processes() then gives the init's
 * parent pid_ns->reboot as the exit status. Busybox's init halts that way on
 * its halt signal (lxc-stop's SIGUSR1), from a child it forks for the job.
 *
 * Such a SIGKILL is PID 1's own clean halt, not an escalation (no SIGKILL
 * the kernel sends from inside PID 1's namespace is one: tl_escalation_kill).
 * It is known by its shape (SIGKILL to PID 1, from the kernel, sent by
 * another task of PID 1's namespace) and confirmed as a halt when its sender
 * exits with code 0; the reason then says PID 1 halted through reboot(2).
 */
#include <signal.h>
#include "engine/timeline_int.h"

/* SIGKILL to PID 1, from the kernel, sent by another task of its namespace. */
static bool halt_shape(const struct st_signal *sig)
{
	return sig->sig == SIGKILL && (sig->target.flags & ST_TASK_NS_INIT) &&
	       (sig->sig_flags & ST_SIGF_FROM_KERNEL) && (sig->sig_flags & ST_SIGF_SENDER_IN_NS) &&
	       sig->sender.tgid != sig->target.tgid;
}

bool tl_halt_kill(struct stop_state *s, const struct st_event *e)
{
	const struct st_signal *sig = &e->u.signal;

	if (!halt_shape(sig) || s->halt_kill_ns || s->sigkill_ns)
		return false;
	s->halt_kill_ns = e->ts_ns;
	s->halt_pid = sig->sender.tgid;
	return true;
}

int tl_halt_exit(struct stop_state *s, const struct st_event *e)
{
	const struct st_exit *x = &e->u.exit;

	if (!s->halt_kill_ns || s->halted || x->task.tgid != s->halt_pid)
		return 0;
	if (x->exit_code == 0) {
		s->halted = true;
		return 1;
	}
	return -1; /* no halt: some other kill of the kernel's from inside */
}

/*
 * A halt the container started itself opens no stop at its SIGKILL (nothing
 * from outside asked for one); PID 1's exit does, just after. Until then the
 * container keeps what was seen.
 */
bool tl_halt_unopened(struct tl_cont *tc, const struct st_event *e)
{
	if (e->kind == ST_EV_SIGNAL_GENERATE && halt_shape(&e->u.signal)) {
		tc->halt_kill_ns = e->ts_ns;
		tc->halt_pid = e->u.signal.sender.tgid;
		tc->halted = false;
		return true;
	}
	if (e->kind == ST_EV_PROCESS_EXIT && tc->halt_kill_ns &&
	    e->u.exit.task.tgid == tc->halt_pid) {
		tc->halted = e->u.exit.exit_code == 0;
		if (!tc->halted)
			tc->halt_kill_ns = 0;
		return true;
	}
	return false;
}

#define HALT_OPEN_NS (1000 * 1000 * 1000ULL) /* PID 1's exit follows its SIGKILL within this */

void tl_halt_open(struct tl_cont *tc, struct stop_state *s)
{
	if (tc->halt_kill_ns && s->out.start_ns >= tc->halt_kill_ns &&
	    s->out.start_ns - tc->halt_kill_ns < HALT_OPEN_NS) {
		s->halt_kill_ns = tc->halt_kill_ns;
		s->halt_pid = tc->halt_pid;
		s->halted = tc->halted;
		s->maybe_partial = false; /* its beginning was seen: the halt */
	}
	tc->halt_kill_ns = 0;
	tc->halted = false;
}
