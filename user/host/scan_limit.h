/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * How often the removal engine may look for what holds a busy path. Each
 * look is a scan of every process on the host (holders.h); a caller that
 * fails an rmdir with EBUSY in a loop must not turn the monitor into a
 * scanner of the host. Three limits, all counted: per removal (a removal
 * retried for seconds is looked at a few times), per container (across its
 * removals, in a window), and for the whole host (in a window). Decisions
 * use the records' clock, so a replay decides as the live run did.
 */
#ifndef STOPTRACE_SCAN_LIMIT_H
#define STOPTRACE_SCAN_LIMIT_H

#include <stdint.h>

/*
 * Docker retries an EBUSY for about 5 s and the engine looks again at most
 * every 50 ms until it sees a holder (RM_HOLDERS_RETRY_NS): up to 100 scans
 * for one removal without a limit. 4 per removal still sees a mount made
 * again between retries; 8 per container a minute allows a second removal
 * of it; 20 per 10 s for the host keeps the scans (50 ms at most each,
 * holders.c) under a tenth of the event thread's time.
 */
#define SCAN_PER_REMOVAL	 4
#define SCAN_PER_CONTAINER	 8
#define SCAN_CONTAINER_WINDOW_NS (60ULL * 1000 * 1000 * 1000)
#define SCAN_GLOBAL		 20
#define SCAN_GLOBAL_WINDOW_NS	 (10ULL * 1000 * 1000 * 1000)
/* containers whose windows are kept; the oldest window is forgotten first */
#define SCAN_CONTAINERS 256

enum scan_verdict {
	SCAN_RUN = 0,
	SCAN_SKIP_REMOVAL,
	SCAN_SKIP_CONTAINER,
	SCAN_SKIP_GLOBAL,
};

struct scan_limit_stats {
	uint64_t run;
	uint64_t skipped_removal;
	uint64_t skipped_container;
	uint64_t skipped_global;
	uint64_t incomplete; /* scans that said they were cut (holders_incomplete) */
};

struct scan_limit;

struct scan_limit *scan_limit_new(void);
void scan_limit_free(struct scan_limit *l);

/*
 * May a scan run now for container id, whose removal ran *removal_scans so
 * far? SCAN_RUN counts it (and increments *removal_scans); any other
 * verdict is counted as skipped.
 */
enum scan_verdict scan_limit_ask(struct scan_limit *l, const char *id, uint32_t *removal_scans,
				 uint64_t now_ns);
/* A scan let run could not start (the worker was busy): counted as skipped_global. */
void scan_limit_busy(struct scan_limit *l);
/* A scan that ran said it was cut. */
void scan_limit_incomplete(struct scan_limit *l);
void scan_limit_stats(const struct scan_limit *l, struct scan_limit_stats *out);

#endif /* STOPTRACE_SCAN_LIMIT_H */
