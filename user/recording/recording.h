/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Recordings: `--record PATH` saves what the monitor's engines were given
 * (every kernel record as read from the ring buffer, the clock at each step,
 * kernel losses, the containers found at start) and every answer the system
 * gave them (struct facts), one JSON object a line, gzip-compressed when PATH
 * ends in ".gz". `stoptrace replay PATH` feeds the same inputs and answers to
 * the same engines, without privileges, and so writes the same alerts and
 * timelines. The format is described in docs/recording.md.
 */
#ifndef STOPTRACE_RECORDING_H
#define STOPTRACE_RECORDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "host/facts.h"
#include "host/running.h"

#define RECORDING_FORMAT    1
#define RECORDING_MAX_ROOTS 32
#define RECORDING_LINE_MAX  (1024 * 1024)

/* The first line: what the replay needs to configure the engines as they were. */
struct rec_header {
	unsigned int format; /* RECORDING_FORMAT */
	char version[32];    /* stoptrace's */
	unsigned int event_abi;
	char host[256];
	char kernel[128];
	int64_t boot_to_real_ns;
	uint64_t alert_prefix; /* alert ids are "<prefix>-<n>" */
	uint64_t start_ns;
	unsigned int stop_alert_after_s;
	unsigned int teardown_timeout_s;
	bool cgroup_v2;		 /* a cgroup2 hierarchy is watched */
	int mem_hierarchy;	 /* the v1 hierarchy watched (memory, else pids), -1 when none */
	unsigned int record_max; /* the longest JSON record written (shorter with syslog) */
	bool holders_async;	 /* holder scans answer later, in holders_done lines */
	int nstorage_roots;	 /* --storage-root options */
	char storage_roots[RECORDING_MAX_ROOTS][256];
};

/* ---- writing ---- */

struct recorder;

/* Create path (truncating it) and write the header. Returns 0 or -errno. */
int recorder_open(struct recorder **out, const char *path, const struct rec_header *h);
/* Flush and close; returns 0 or the first write error (-errno). */
int recorder_close(struct recorder *r);

void recorder_event(struct recorder *r, uint64_t now_ns, const void *data, size_t len);
void recorder_tick(struct recorder *r, uint64_t now_ns);
void recorder_lost(struct recorder *r, uint64_t now_ns, uint64_t n);
/* A container cgroup found by the scan at start. */
void recorder_cgroup(struct recorder *r, uint64_t now_ns, uint64_t id, const char *path);
/* A container's storage learnt when its runtime wrote its state (Docker id). */
void recorder_learn(struct recorder *r, uint64_t now_ns, const char *id);
/*
 * A step without data: "learn_all" (storage of every container), "verify"
 * (after losses: is each container cgroup still there?), "flush" (the end).
 */
void recorder_step(struct recorder *r, const char *step, uint64_t now_ns);
/*
 * The holder scan for failure path of container id finished on the worker
 * thread: its answer (a holders fact) follows, when the removal engine still
 * wants it.
 */
void recorder_holders_done(struct recorder *r, uint64_t now_ns, const char *id, const char *path);
/*
 * A sample of what runs in container id's cgroup, taken at now_ns for its
 * open stop (host/running.h); the replay hands it to the stop engine.
 */
void recorder_running(struct recorder *r, uint64_t now_ns, const char *id,
		      const struct running_sample *s);
/* Lines that could not be written whole (a full disk, a line too long). */
uint64_t recorder_errors(const struct recorder *r);

/*
 * out answers like inner and records each answer. inner must outlive r's
 * use through out.
 */
void recorder_facts(struct recorder *r, const struct facts *inner, struct facts *out);

/* ---- reading ---- */

enum replay_kind {
	REPLAY_EVENT = 1,
	REPLAY_TICK,
	REPLAY_LOST,
	REPLAY_CGROUP,
	REPLAY_LEARN_ALL,
	REPLAY_FLUSH,
	REPLAY_VERIFY, /* records were lost: container cgroups looked at again */
	REPLAY_LEARN,  /* path: the container id */
	/* path: the container id, path2: the failure's path */
	REPLAY_HOLDERS_DONE,
	REPLAY_RUNNING, /* path: the container id, running: the sample */
};

struct replay_input {
	enum replay_kind kind;
	uint64_t now_ns;
	uint64_t n; /* LOST: records lost; CGROUP: the cgroup id */
	char *path; /* CGROUP: its path; LEARN: the id (valid until the next call) */
	void *data; /* EVENT: the kernel record (valid until the next call) */
	size_t len;
	/* HOLDERS_DONE: the failure's path */
	char *path2;
	const struct running_sample *running; /* RUNNING (valid until the next call) */
};

struct replay;

/*
 * Open a recording and read its header. Returns 0, or -errno with a reason
 * in err (not a recording, a newer format, another event ABI).
 */
int replay_open(struct replay **out, const char *path, struct rec_header *h, char *err,
		size_t errcap);
void replay_close(struct replay *rp);
/* The next input: 1, 0 at the end, -EIO when the recording is damaged. */
int replay_next(struct replay *rp, struct replay_input *in);
/* Facts answered from the recording, in the order they were asked. */
void replay_facts(struct replay *rp, struct facts *out);
/* "" or what went wrong, with the line number. */
const char *replay_error(const struct replay *rp);
/* Lines read so far. */
uint64_t replay_line(const struct replay *rp);

/* ---- helpers, exposed for the tests ---- */

/* Base64 (RFC 4648, padded). encode returns the length written (cap >= 4 * ceil(n / 3) + 1). */
size_t rec_b64_encode(const void *data, size_t n, char *out, size_t cap);
/* Returns the decoded length or -EINVAL. */
long rec_b64_decode(const char *s, size_t n, void *out, size_t cap);

#endif /* STOPTRACE_RECORDING_H */
