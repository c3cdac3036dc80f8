/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * `stoptrace diagnose CONTAINER`: a one-shot look at a container as it is
 * now, needing no BPF: what its PID 1 will do with its stop signal, every
 * process in its pid namespace, and what would make its removal fail.
 */
#ifndef STOPTRACE_DIAGNOSE_H
#define STOPTRACE_DIAGNOSE_H

/*
 * argv[0] is "diagnose". Returns the exit status (lib/exit_codes.h): EXIT_OK
 * nothing wrong, EXIT_PROBLEM a problem, EXIT_NOTFOUND no such container.
 */
int diagnose_main(int argc, char **argv);

#endif /* STOPTRACE_DIAGNOSE_H */
