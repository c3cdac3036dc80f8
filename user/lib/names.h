/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Names the records use for kernel numbers: signals, signal_generate results,
 * si_code values, errnos, and RFC 3339 timestamps. Numbering is Linux x86_64.
 *
 * Real-time signals are named as Docker, kill -l and glibc number them:
 * SIGRTMIN is 34 (the kernel's 32 and 33 are kept by glibc for its threads),
 * 35..49 are SIGRTMIN+1..SIGRTMIN+15, 50..63 are SIGRTMAX-14..SIGRTMAX-1 and
 * SIGRTMAX is 64. So "STOPSIGNAL SIGRTMIN+3" in a Dockerfile is 37 here too.
 * The kernel's signals 32 and 33 are named "SIG32" and "SIG33".
 */
#ifndef STOPTRACE_NAMES_H
#define STOPTRACE_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIG_NUM_MAX 64
#define RFC3339_LEN 31 /* "2026-11-27T05:40:01.123456789Z" and its NUL */

/* "SIGTERM" for 15, "SIGRTMIN+3" for 37; NULL outside 1..64. */
const char *signal_name(int sig);
/* signal_name(), or "signal 99" written into buf for a number without one. */
const char *signal_text(int sig, char *buf, size_t cap);

/*
 * Parse a signal as a user or a runtime writes it: "SIGTERM", "TERM", "term",
 * "15", "SIGRTMIN+3", "RTMIN+3", "SIGRTMAX-2", in any case. Returns the
 * number, or -1 when s names no signal (including "0" and numbers past 64).
 */
int signal_from_name(const char *s);

/* The default action terminates the process (with or without a core dump). */
bool signal_fatal_by_default(int sig);

/*
 * The default action does nothing: SIGCHLD, SIGURG, SIGWINCH. SIGCONT is not
 * counted here: it resumes a stopped process as it is sent, whatever the
 * handler.
 */
bool signal_ignored_by_default(int sig);

/* "EBUSY" for 16 (a positive errno); NULL when Linux defines no such errno. */
const char *errno_name(int err);

/* signal_generate's result: "delivered", "ignored", "already_pending",
 * "overflow", "lose_info"; NULL for anything else. */
const char *signal_result_name(int result);

/*
 * The generic si_code values ("SI_USER", "SI_KERNEL", "SI_TKILL", ...); NULL
 * for the positive codes, whose meaning depends on the signal.
 */
const char *si_code_name(int code);

/*
 * Write sec.nsec since the epoch as RFC 3339 UTC with nanoseconds,
 * "2026-11-27T05:40:01.123456789Z", into buf (RFC3339_LEN bytes suffice).
 * Returns 0, -ENOSPC when cap is too small, -EINVAL when nsec is outside
 * 0..999999999, or -ERANGE when the year falls outside 0000..9999.
 */
int format_rfc3339(char *buf, size_t cap, int64_t sec, long nsec);

#endif /* STOPTRACE_NAMES_H */
