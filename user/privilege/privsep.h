/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The files the monitor writes once it runs as an unprivileged user: a
 * helper process, forked before anything else is opened, stays uid 0 but
 * holds no capability at all (bounding set empty, no_new_privs, its own
 * seccomp filter) and does two things only, on request over a socket:
 * opens --output again (SIGHUP: logrotate made a new file in a directory
 * only root may write) and replaces --metrics-file (a temporary and a rename
 * in its directory). Both paths are fixed when it starts and follow the
 * rules of user/lib/safefile.h. It ends when the monitor closes its socket (or
 * dies). Without a helper every call does the work in this process.
 */
#ifndef STOPTRACE_PRIVSEP_H
#define STOPTRACE_PRIVSEP_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Start the helper when the monitor will give up uid 0 (will_switch) and
 * writes a file by path (output or metrics, NULL when not). Called before
 * any thread is started. Checks --metrics-file first. 0 or -errno with why
 * (cap bytes) saying why. 0 with why not empty: the helper could not give up
 * its privileges and ended (a warning: the requests then fail).
 */
int privsep_start(bool will_switch, const char *output, const char *metrics, char *why, size_t cap);
bool privsep_running(void);
/* output's open_fn: --output opened by the helper, its descriptor handed over. */
int privsep_open_output(const char *path, char *why, size_t cap);
/* metrics_write_file(path, ...), by the helper when it runs. */
int privsep_write_metrics(const char *path, const char *text, size_t len);
/* Close the socket and wait for the helper to end. */
void privsep_stop(void);

#endif /* STOPTRACE_PRIVSEP_H */
