/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The holder scan off the event-reading path: a worker thread runs
 * holders_find() (through the live facts) while the monitor goes on reading
 * kernel records. The worker is a facts wrapper placed below the recorder:
 * when a scan is done, the monitor hands it to the removal engine as an
 * input of its own (recorded as a holders_done line), and the engine asks
 * the holders fact then, which this wrapper answers with the finished
 * scan; the recorder writes that answer as usual, so `stoptrace replay`
 * gives the same answer at the same point.
 *
 * The thread is started at the first scan, after the monitor has dropped
 * what it does not keep (capabilities are per thread). At most
 * HOLDER_WORKER_JOBS scans wait or run; more are refused.
 */
#ifndef STOPTRACE_HOLDER_WORKER_H
#define STOPTRACE_HOLDER_WORKER_H

#include <stdbool.h>
#include <stdint.h>
#include "host/facts.h"
#include "identity/identity.h"

#define HOLDER_WORKER_JOBS 4

struct holder_worker;

/*
 * A worker scanning with inner's holders op (inner must outlive it); out
 * answers like inner, except for holders while a finished scan is handed
 * over. NULL when out of memory.
 */
struct holder_worker *holder_worker_new(const struct facts *inner, struct facts *out);
/* Stop the thread (a scan under way finishes first) and free. */
void holder_worker_free(struct holder_worker *w);

/* Queue a scan. 0, -EBUSY when HOLDER_WORKER_JOBS are waiting or running, -errno. */
int holder_worker_submit(struct holder_worker *w, const char *id, const char *path,
			 uint32_t caller_pid);

/*
 * A finished scan, if there is one: its container id and path (valid until
 * holder_worker_release()). While it is held, the holders fact for that
 * path answers with it. Returns false when none is finished.
 */
bool holder_worker_take(struct holder_worker *w, const char **id, const char **path);
void holder_worker_release(struct holder_worker *w);

#endif /* STOPTRACE_HOLDER_WORKER_H */
