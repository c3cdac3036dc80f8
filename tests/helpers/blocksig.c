// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * blocksig: a container PID 1 that blocks SIGTERM and sleeps forever.
 *
 * A blocked signal is never dropped by the kernel: it stays pending, so
 * signal_generate reports it as delivered (or already pending) and only
 * SIGKILL ends the process. Used for the "stop signal blocked" case.
 */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL)) {
		perror("blocksig: sigprocmask");
		return 1;
	}
	for (;;)
		pause();
}
