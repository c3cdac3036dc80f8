/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What was still running in a container when its stop's grace ran out. The
 * monitor samples the processes of a stopping container (host/running.h)
 * when the stop opens and every second while it is open, and hands each
 * sample to the engine (timeline_running()); the engine keeps the last one
 * taken before the SIGKILL, adds what the timeline says (whether each
 * process was sent the stop signal), and reports it on the stop's timeline,
 * its stop_still_running and stop_signal_blocked alerts, and in the reason.
 * The engine reads no file: in a replay the samples come from the
 * recording.
 */
#ifndef STOPTRACE_TIMELINE_RUNNING_H
#define STOPTRACE_TIMELINE_RUNNING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "host/running.h"
#include "identity/identity.h"

#define TL_RUNNING_EVERY_NS 1000000000ULL /* a stop is sampled this often */
#define TL_RUNNING_STOPS    64		  /* stops holding samples at once */

/* One process still running, as its last sample saw it. */
struct tl_running_proc {
	struct running_proc p;
	int8_t got;	/* sent the stop signal: 1, 0, or -1 unknown (too many sendings kept) */
	int32_t result; /* the last such sending's signal_generate result, when got */
};

struct tl_running {
	uint64_t ts_ns;	  /* when the sample was taken (boot clock) */
	int64_t since_ms; /* ... after the stop signal */
	uint32_t n;
	bool incomplete; /* the container held more processes than a sample keeps */
	struct tl_running_proc procs[RUNNING_MAX];
};

struct timeline;

/*
 * A sample of the processes of container id's cgroup, taken at now_ns
 * (NULL: none could be taken; the stop is asked again in a second).
 * Returns 0; -ENOENT when the container has no open stop; -EALREADY when
 * its SIGKILL or its init's exit came before (the sample is not kept);
 * -ENOSPC when TL_RUNNING_STOPS stops hold samples already; -ENOMEM.
 */
int timeline_running(struct timeline *t, const char *id, const struct running_sample *smp,
		     uint64_t now_ns);
/*
 * The open stops that want a sample at now_ns (opened, or sampled a second
 * ago or more, and neither killed nor exited): the max longest waiting,
 * copied into out. Returns how many want one, which may be more than max.
 */
size_t timeline_running_due(const struct timeline *t, uint64_t now_ns, struct container *out,
			    size_t max);

#endif /* STOPTRACE_TIMELINE_RUNNING_H */
