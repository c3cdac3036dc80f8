// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * trapexit [DELAY]: catch SIGTERM, wait DELAY seconds (default 0), exit 0.
 *
 * A container PID 1 with a real SIGTERM handler: with a short delay it stops
 * gracefully, with a delay longer than `docker stop -t` it exceeds the grace
 * period and is killed.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile sig_atomic_t got_term;

static void on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_term};
	struct timespec delay = {0};
	sigset_t block, old;
	char *end;
	long secs = 0;

	if (argc > 1) {
		errno = 0;
		secs = strtol(argv[1], &end, 10);
		if (errno || end == argv[1] || *end || secs < 0 || secs > 86400) {
			fprintf(stderr, "trapexit: bad delay '%s': want 0..86400 seconds\n",
				argv[1]);
			return 2;
		}
	}

	/* Block SIGTERM until sigsuspend() so a signal cannot slip in between. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL)) {
		perror("trapexit: sigaction");
		return 1;
	}
	while (!got_term)
		sigsuspend(&old);

	/* nanosleep() returns early on other caught signals; sleep the rest. */
	delay.tv_sec = secs;
	while (nanosleep(&delay, &delay) && errno == EINTR)
		;
	return 0;
}
