// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * haltwait: a container PID 1 that halts as systemd does. It blocks every
 * signal and reads SIGRTMIN+3, its halt signal, from a signalfd (a signal
 * stays blocked then, where sigwaitinfo would unblock it while it waits),
 * and exits 0 when it comes. An init that blocks SIGRTMIN+3 (SigBlk of
 * /proc/<pid>/status) is what makes lxc-stop send SIGRTMIN+3 instead of
 * SIGPWR when the container sets no lxc.signal.halt.
 */
#include <signal.h>
#include <stdio.h>
#include <sys/signalfd.h>
#include <unistd.h>

int main(void)
{
	struct signalfd_siginfo si;
	sigset_t all, halt;
	int fd;

	sigfillset(&all);
	sigemptyset(&halt);
	sigaddset(&halt, SIGRTMIN + 3);
	if (sigprocmask(SIG_BLOCK, &all, NULL)) {
		perror("haltwait: sigprocmask");
		return 1;
	}
	fd = signalfd(-1, &halt, 0);
	if (fd < 0) {
		perror("haltwait: signalfd");
		return 1;
	}
	while (read(fd, &si, sizeof(si)) != (ssize_t)sizeof(si) ||
	       si.ssi_signo != (unsigned int)(SIGRTMIN + 3))
		;
	return 0;
}
