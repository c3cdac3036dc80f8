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

bool tl_halt_kill(struct stop_state *s, const struct st_event *e)
{
	const struct st_signal *sig = &e->u.signal;

	if (sig->sig != SIGKILL || !(sig->target.flags & ST_TASK_NS_INIT) ||
	    !(sig->sig_flags & ST_SIGF_FROM_KERNEL) || !(sig->sig_flags & ST_SIGF_SENDER_IN_NS) ||
	    sig->sender.tgid == sig->target.tgid || s->halt_kill_ns || s->sigkill_ns)
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
