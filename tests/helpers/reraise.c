// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * reraise [CODE]: a SIGTERM handler installed with SA_RESETHAND that raises
 * SIGTERM again from inside itself, as C programs do that clean up and then
 * die "of the signal". The raised SIGTERM is blocked while the handler runs,
 * so it is queued and taken with the default action when the handler
 * returns: as PID 1 of a pid namespace, the kernel drops it there.
 *
 * Without CODE it then carries on (pause) until SIGKILL; with CODE it exits
 * with that code once the handler has returned.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static volatile sig_atomic_t handled;

static void on_term(int sig)
{
	handled = 1;
	raise(sig);
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_term, .sa_flags = SA_RESETHAND};
	long code = -1;
	char *end;

	if (argc > 1) {
		errno = 0;
		code = strtol(argv[1], &end, 10);
		if (errno || end == argv[1] || *end || code < 0 || code > 255) {
			fprintf(stderr, "reraise: bad exit code '%s': want 0..255\n", argv[1]);
			return 2;
		}
	}
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL)) {
		perror("reraise: sigaction");
		return 1;
	}
	for (;;) {
		pause();
		if (handled && code >= 0)
			return (int)code;
	}
}
