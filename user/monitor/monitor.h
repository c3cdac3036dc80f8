/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The monitor: loads the kernel side, learns which cgroups are containers,
 * turns kernel records into output records until SIGINT or SIGTERM.
 */
#ifndef STOPTRACE_MONITOR_H
#define STOPTRACE_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include "privilege/caps.h"
#include "sink/output.h"
#include "kernel/rmhooks.h"

#define MAX_FILTERS	  64
#define MAX_STORAGE_ROOTS 32

struct monitor_opts {
	enum out_format format;
	const char *output_path;  /* NULL: standard output */
	const char *syslog_path;  /* --syslog: the socket; NULL: no syslog */
	const char *metrics_path; /* --metrics-file; NULL: none */
	bool color;
	bool events; /* print raw kernel events too */
	bool alerts_only;
	const char *containers[MAX_FILTERS]; /* --container: id, prefix or name */
	int ncontainers;
	unsigned int stop_alert_after_s;
	unsigned int teardown_timeout_s;
	const char *storage_roots[MAX_STORAGE_ROOTS]; /* --storage-root, added to the defaults */
	int nstorage_roots;
	size_t ringbuf_bytes;
	enum rh_mode removal_hooks;
	unsigned int stats_interval_s; /* 0: no monitor_stats records */
	bool verbose;
	const char *record_path; /* --record */
	const char *trace_id;	 /* trace: the full id of the container followed */
	const char *trace_label; /* its name (or id), escaped for a terminal */
	unsigned int trace_timeout_s;
	struct caps_user user; /* --user: who it runs as once attached */
	bool seccomp_off;      /* --seccomp off */
};

/*
 * Runs until a signal ends it (or, with trace_id, until that container's
 * next stop timeline is out); returns the exit status (lib/exit_codes.h):
 * trace's is EXIT_OK for a stop that went well, EXIT_PROBLEM for one that
 * did not.
 */
int monitor_run(const struct monitor_opts *opts);

/* stoptrace replay: a recording through the same engines; EXIT_OK, or EXIT_ERROR. */
int monitor_replay(const struct monitor_opts *opts, const char *path);

#endif /* STOPTRACE_MONITOR_H */
