/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Sinks: where formatted records go (the output file or standard output,
 * syslog). The monitor hands each line to a bounded queue per sink and goes
 * back to the kernel at once; one writer thread per sink empties its queue.
 * A slow or broken sink fills its own queue, and what does not fit is
 * dropped for that sink and counted: the kernel side never waits on it.
 */
#ifndef STOPTRACE_SINK_H
#define STOPTRACE_SINK_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SINK_QUEUE_RECORDS 4096
#define SINK_QUEUE_BYTES   (4u << 20)

/* One record waiting for a writer. */
struct sink_record {
	struct sink_record *next;
	const char *type; /* the record's type, a string that lives as long as the program */
	int64_t real_ns;  /* CLOCK_REALTIME when it was handed over */
	size_t len;
	char line[]; /* len bytes, NUL-terminated, no newline */
};

/* A FIFO bounded by records and by bytes, safe between one producer and one consumer. */
struct sink_queue {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct sink_record *head, *tail;
	size_t records, bytes;
	size_t max_records, max_bytes;
	uint64_t dropped; /* refused because full, or discarded at exit */
	bool busy;	  /* the consumer holds a record it popped */
	bool closing;	  /* pop returns NULL from now on */
};

int sink_queue_init(struct sink_queue *q, size_t max_records, size_t max_bytes);
/* Frees every record left; call when no thread uses the queue any more. */
void sink_queue_destroy(struct sink_queue *q);
/* Copy line in. -ENOBUFS when it does not fit (counted in dropped), -ENOMEM. */
int sink_queue_push(struct sink_queue *q, const char *type, int64_t real_ns, const char *line,
		    size_t len);
/*
 * The oldest record, waiting for one; NULL once the queue is closing. The
 * caller gives it back with sink_queue_done when it is finished with it.
 */
struct sink_record *sink_queue_pop(struct sink_queue *q);
void sink_queue_done(struct sink_queue *q, struct sink_record *r);
/* Wait until nothing is queued or held, or CLOCK_MONOTONIC passes deadline_ns. */
bool sink_queue_wait_empty(struct sink_queue *q, int64_t deadline_ns);
/* Sleep up to ms, or less when the queue starts closing; true when it is closing. */
bool sink_queue_wait_closing(struct sink_queue *q, int ms);
/* Stop the consumer: pop returns NULL, waits end. */
void sink_queue_close(struct sink_queue *q);
/* Drop every queued record, counting them; returns how many. */
size_t sink_queue_discard(struct sink_queue *q);

/*
 * A writer delivers one record: 0 done; -EAGAIN not now (not connected: it is
 * offered again after a pause); -EPIPE the reader went away for good (the
 * sink stops); any other -errno the record could not be written (counted).
 */
typedef int (*sink_write_fn)(void *ctx, const struct sink_record *r);

struct sink_counters {
	uint64_t written; /* records delivered */
	uint64_t dropped; /* queue full, or still queued when the exit wait ran out */
	uint64_t errors;  /* records a write failed for */
	uint64_t queued;  /* waiting now */
};

struct sink {
	const char *name; /* "output", "syslog": in records and metrics */
	struct sink_queue q;
	sink_write_fn write;
	void *ctx;
	pthread_t thread;
	bool running;
	bool abandoned;	  /* sink_stop left a stuck writer behind: its ctx must stay */
	uint64_t written; /* the counters are written by the writer thread only */
	uint64_t errors;
	int fatal;		/* -EPIPE once the reader went away */
	uint64_t dropped_final; /* after sink_stop */
};

#define SINK_RETRY_MS 100 /* pause before a record refused with -EAGAIN is offered again */

int sink_start(struct sink *s, const char *name, size_t max_records, size_t max_bytes,
	       sink_write_fn write, void *ctx);
/* Queue a line; never blocks on the writer. 0, or -ENOBUFS (dropped and counted). */
int sink_submit(struct sink *s, const char *type, int64_t real_ns, const char *line, size_t len);
/* Wait until everything queued is written or deadline_ns (CLOCK_MONOTONIC) passes. */
bool sink_drain(struct sink *s, int64_t deadline_ns);
/*
 * Drain until deadline_ns, then stop the writer; what is still queued is
 * counted as dropped. The writer is left behind if a write is stuck past
 * the deadline.
 */
void sink_stop(struct sink *s, int64_t deadline_ns);
void sink_counters(struct sink *s, struct sink_counters *c);
/* -EPIPE once the writer met a closed reader, else 0. */
int sink_fatal(const struct sink *s);

#endif /* STOPTRACE_SINK_H */
