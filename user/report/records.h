/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The parts every record shares (schema, type, time, host, container,
 * process) and the `event` records printed with --events, in JSON and text.
 */
#ifndef STOPTRACE_RECORDS_H
#define STOPTRACE_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "identity/identity.h"
#include "lib/jsonw.h"
#include "stoptrace_event.h"

struct culprit;

#define RECORD_MAX 8192 /* no line is longer: the contract with log pipelines */
/*
 * A record that does not fit RECORD_MAX with everything left out that can
 * be is written once more with every string cut to this many bytes
 * (jsonw_cut_strings()): a tenant's names and paths cannot make it
 * unwritable.
 */
#define RECORD_CUT_LEN 32

struct record_ctx {
	const char *host;
	int64_t boot_to_real_ns; /* add to CLOCK_BOOTTIME to get CLOCK_REALTIME */
	bool color;		 /* text on a terminal */
};

/* Boot-clock nanoseconds to "2026-11-27T05:40:01.123456789Z". */
void record_time(const struct record_ctx *rc, uint64_t boot_ns, char *buf, size_t cap);
/* Boot-clock nanoseconds to local "05:40:01.123456" for text lines. */
void record_clock(const struct record_ctx *rc, uint64_t boot_ns, char *buf, size_t cap);

/* Open a record object: schema, type, time, host. */
void record_begin(struct jsonw *w, const struct record_ctx *rc, const char *type, uint64_t boot_ns);
/* "container": {...}; c may be NULL when only the cgroup id is known. */
void record_container(struct jsonw *w, const struct container *c, uint64_t cgroup_id);
/* key: {"pid","tid","ns_pid","comm"[,"ns_init"]} left open for more fields. */
void record_task_open(struct jsonw *w, const char *key, const struct st_task *t);
/* "ancestry": [{"pid","comm"}, ...], nearest first, up to the first empty slot. */
void record_ancestry(struct jsonw *w, const struct st_proc ancestry[ST_ANCESTRY]);

/* key: a kernel number's name, or the number n when name is NULL. */
void record_name_or_number(struct jsonw *w, const char *key, const char *name, int n);
/* key: the name of signal sig ("SIGTERM"), or its number when it has none. */
void record_signal(struct jsonw *w, const char *key, int sig);
/* key: the name of errno err ("EBUSY"), or its number when it has none. */
void record_errno(struct jsonw *w, const char *key, int err);

/*
 * One process of a pid namespace in an array: {"pid","ns_pid","comm",
 * "state","wchan"} left open for more fields.
 */
void record_culprit_open(struct jsonw *w, const struct culprit *c);

/*
 * An `event` record for e, whose container is c (NULL when unknown). path is
 * the assembled path of an fs_call (NULL otherwise). Returns the length;
 * a record too long for cap is written with its strings cut.
 */
size_t record_event_json(const struct record_ctx *rc, const struct st_event *e,
			 const struct container *c, const char *path, bool path_complete, char *buf,
			 size_t cap);
size_t record_event_text(const struct record_ctx *rc, const struct st_event *e,
			 const struct container *c, const char *path, char *buf, size_t cap);

/* A short label for a container in text: its name, else the first 12 of its id. */
void record_container_label(const struct container *c, uint64_t cgroup_id, char *buf, size_t cap);

#endif /* STOPTRACE_RECORDS_H */
