/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A stop of one container hand-built from kernel records, with the clock
 * chosen by the test: PID 1 (INIT), its child (APP, pid 7 in the
 * container), the OCI runtime (RUNC) that signals them, and what the
 * timeline wrote (stops, alerts). Included by the engine tests of the
 * shapes and of the words of fixes.
 */
#ifndef STOPTRACE_TL_SCENARIO_H
#define STOPTRACE_TL_SCENARIO_H

#include <stdio.h>
#include <string.h>
#include "engine/timeline.h"

#define MS  1000000ULL
#define SEC 1000000000ULL
#define T0  (1000 * SEC)

#define ID_A	 "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
#define CGID	 1001
#define INIT	 4242 /* host pid of PID 1 */
#define APP	 4250 /* host pid of its child, pid 7 in the container */
#define APP2	 4251 /* a second process of the child's group, pid 8 */
#define RUNC	 3000
#define PIDNS	 4026532999u
#define HOST_NS	 4026531836u
#define MAX_RECS 32

static struct container ctr;
static struct timeline *tl;
static struct tl_alert alerts[MAX_RECS];
static size_t nalerts;
static struct tl_stop stops[4];
static size_t nstops;

static inline void on_alert(void *ctx, const struct tl_alert *a)
{
	(void)ctx;
	assert_true(nalerts < MAX_RECS);
	alerts[nalerts++] = *a;
}

static inline void on_resolved(void *ctx, const struct tl_alert *a)
{
	(void)ctx;
	(void)a;
}

static inline void on_timeline(void *ctx, const struct tl_stop *s)
{
	(void)ctx;
	assert_true(nstops < 4);
	stops[nstops++] = *s;
}

static const struct tl_listener listener = {
	.alert = on_alert,
	.alert_resolved = on_resolved,
	.stop_timeline = on_timeline,
};

static inline void task(struct st_task *t, uint32_t pid, uint32_t ns_pid, uint32_t flags,
			const char *comm)
{
	t->cgroup_id = pid == RUNC ? 0 : CGID;
	t->pid = t->tgid = pid;
	t->ns_pid = t->ns_tgid = ns_pid;
	t->pidns = pid == RUNC ? HOST_NS : PIDNS;
	t->flags = flags;
	snprintf(t->comm, sizeof(t->comm), "%s", comm);
}

/* PID 1's comm in every record of a scenario. */
static const char *init_comm;

static inline uint32_t ns_of(uint32_t pid)
{
	return pid == INIT ? 1 : pid == APP ? 7 : pid == APP2 ? 8 : pid;
}

static inline uint32_t init_flags(uint32_t pid)
{
	return pid == INIT ? ST_TASK_NS_INIT | ST_TASK_UNKILLABLE : 0;
}

static inline void feed(struct st_event *e)
{
	timeline_event(tl, e, &ctr, e->ts_ns + 100000);
}

static inline void feed_sig(uint64_t ts, uint32_t from, uint32_t to, const char *to_comm, int sig,
			    int result, uint32_t disposition, uint32_t flags)
{
	struct st_event e;
	struct st_signal *s = &e.u.signal;

	memset(&e, 0, sizeof(e));
	e.ts_ns = ts;
	e.kind = ST_EV_SIGNAL_GENERATE;
	task(&s->target, to, ns_of(to), init_flags(to), to_comm);
	task(&s->sender, from, from == RUNC ? RUNC : ns_of(from), init_flags(from),
	     from == RUNC   ? "runc"
	     : from == INIT ? init_comm
			    : "x");
	s->sig = sig;
	s->result = result;
	s->disposition = disposition;
	s->sig_flags = flags | ST_SIGF_GROUP | (from == RUNC ? 0 : ST_SIGF_SENDER_IN_NS);
	feed(&e);
}

static inline void feed_fork(uint64_t ts, uint32_t child)
{
	struct st_event e;

	memset(&e, 0, sizeof(e));
	e.ts_ns = ts;
	e.kind = ST_EV_PROCESS_FORK;
	task(&e.u.fork.parent, INIT, 1, ST_TASK_NS_INIT, init_comm);
	task(&e.u.fork.child, child, ns_of(child), 0, init_comm);
	feed(&e);
}

static inline void feed_exec(uint64_t ts, uint32_t pid, const char *comm)
{
	struct st_event e;

	memset(&e, 0, sizeof(e));
	e.ts_ns = ts;
	e.kind = ST_EV_PROCESS_EXEC;
	task(&e.u.exec.task, pid, ns_of(pid), init_flags(pid), comm);
	feed(&e);
}

static inline void feed_exit(uint64_t ts, uint32_t pid, const char *comm, uint32_t code)
{
	struct st_event e;

	memset(&e, 0, sizeof(e));
	e.ts_ns = ts;
	e.kind = ST_EV_PROCESS_EXIT;
	task(&e.u.exit.task, pid, ns_of(pid), init_flags(pid) | ST_TASK_GROUP_DEAD, comm);
	e.u.exit.exit_code = code;
	feed(&e);
}

/* The init released and the cgroup removed: the stop ends. */
static inline void finish(uint64_t ts)
{
	struct st_event e;

	memset(&e, 0, sizeof(e));
	e.ts_ns = ts;
	e.kind = ST_EV_INIT_RELEASED;
	task(&e.u.exit.task, INIT, 1, ST_TASK_NS_INIT | ST_TASK_GROUP_DEAD, init_comm);
	feed(&e);
	memset(&e, 0, sizeof(e));
	e.ts_ns = ts + MS;
	e.kind = ST_EV_CGROUP_RMDIR;
	e.u.cgroup.id = CGID;
	feed(&e);
	assert_int_equal(nstops, 1);
}

/* The kernel's SIGKILL of the teardown to what is left in the namespace, and its exit. */
static inline void teardown_kill(uint64_t ts, uint32_t pid, const char *comm)
{
	feed_sig(ts, INIT, pid, comm, SIGKILL, ST_SIG_DELIVERED, ST_DISP_DEFAULT,
		 ST_SIGF_FROM_KERNEL);
	feed_exit(ts, pid, comm, SIGKILL);
}

static inline void tick_to(uint64_t from, uint64_t to)
{
	for (uint64_t t = from; t <= to; t += 100 * MS)
		timeline_tick(tl, t);
}

static inline void has(const char *text, const char *words)
{
	if (!strstr(text, words))
		fail_msg("%s\n  does not say: %s", text, words);
}

static inline void lacks(const char *text, const char *words)
{
	if (strstr(text, words))
		fail_msg("%s\n  says: %s", text, words);
}

static const struct tl_alert *alert_of(enum tl_alert_kind kind)
{
	for (size_t i = 0; i < nalerts; i++)
		if (alerts[i].kind == kind)
			return &alerts[i];
	return NULL;
}

static inline int setup(void **state)
{
	struct tl_config cfg;

	(void)state;
	memset(&ctr, 0, sizeof(ctr));
	ctr.runtime = RUNTIME_DOCKER;
	snprintf(ctr.id, sizeof(ctr.id), "%s", ID_A);
	snprintf(ctr.name, sizeof(ctr.name), "web");
	nalerts = nstops = 0;
	tl_config_defaults(&cfg);
	cfg.start_ns = 10 * SEC;
	cfg.linger_ns = 0; /* written at the cgroup's removal: the linger has tests of its own */
	tl = timeline_new(&cfg, NULL, &listener, NULL);
	assert_non_null(tl);
	return 0;
}

static inline int teardown(void **state)
{
	(void)state;
	timeline_free(tl);
	return 0;
}

#endif /* STOPTRACE_TL_SCENARIO_H */
