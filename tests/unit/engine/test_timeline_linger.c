// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Tests for the end of a stop (user/engine/timeline_end.c) and for what a
 * partial stop says: the linger after the cgroup's removal, in which the
 * runtime's unmounts and removals are the stop's events; its bound; a
 * container started again during it; alerts resolved at the end, not after
 * the linger; and the monitor's real age when a stop began (partial or
 * judged on what was seen). Written from timeline.h's promises.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "engine/timeline.h"

#define MS  1000000ULL
#define SEC 1000000000ULL
#define T0  (1000 * SEC)
#define LAT (100 * 1000ULL)

#define ID_A "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
#define ID_B "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"
#define MERGED                                                                                       \
	"/var/lib/docker/overlay2/0f07d5441eb9fe9b08692c97ef8a88f070f07d5441eb9fe9b08692c97ef8a88f/" \
	"merged"
#define FIFO "/run/docker/containerd/" ID_A "/init-stdout"

struct ctr {
	struct container c;
	uint64_t cgid;
	uint32_t pid;
	const char *policy;
};

enum kind { R_ALERT, R_RESOLVED, R_STOP };

struct logged {
	enum kind kind;
	uint64_t at; /* the clock when it was handed over */
	struct tl_alert a;
	struct tl_stop s;
	char paths[TL_MAX_PATHS][TL_PATH_LEN];
};

static struct {
	uint64_t now;
	struct logged log[32];
	size_t n;
} rec;

static struct tl_config cfg;
static struct timeline *tl;
static struct ctr A, B;

static void on_alert(void *ctx, const struct tl_alert *a)
{
	(void)ctx;
	assert_true(rec.n < 32);
	rec.log[rec.n] = (struct logged){.kind = R_ALERT, .at = rec.now, .a = *a};
	rec.n++;
}

static void on_resolved(void *ctx, const struct tl_alert *a)
{
	(void)ctx;
	assert_true(rec.n < 32);
	rec.log[rec.n] = (struct logged){.kind = R_RESOLVED, .at = rec.now, .a = *a};
	rec.n++;
}

static void on_stop(void *ctx, const struct tl_stop *s)
{
	struct logged *l = &rec.log[rec.n];

	(void)ctx;
	assert_true(rec.n < 32);
	memset(l, 0, sizeof(*l));
	l->kind = R_STOP;
	l->at = rec.now;
	l->s = *s;
	/* the paths are valid only during the call */
	assert_true(s->npaths <= TL_MAX_PATHS);
	for (uint32_t i = 0; i < s->npaths; i++)
		memcpy(l->paths[i], s->paths[i], TL_PATH_LEN);
	l->s.paths = NULL;
	rec.n++;
}

static const struct tl_listener listener = {on_alert, on_resolved, on_stop};

static const char *policy(void *ctx, const struct container *c)
{
	(void)ctx;
	return !strcmp(c->id, ID_A) ? A.policy : B.policy;
}

static const struct tl_facts facts = {.restart_policy = policy};

static void ctr_init(struct ctr *k, const char *id, uint64_t cgid, uint32_t pid)
{
	memset(k, 0, sizeof(*k));
	k->c.runtime = RUNTIME_DOCKER;
	snprintf(k->c.id, sizeof(k->c.id), "%s", id);
	snprintf(k->c.name, sizeof(k->c.name), "c%llu", (unsigned long long)cgid);
	k->cgid = cgid;
	k->pid = pid;
}

static void task(struct st_task *t, uint64_t cgid, uint32_t pid, uint32_t ns_pid, uint32_t flags,
		 const char *comm)
{
	t->cgroup_id = cgid;
	t->pid = t->tgid = pid;
	t->ns_pid = t->ns_tgid = ns_pid;
	t->pidns = 4026532100u;
	t->flags = flags;
	snprintf(t->comm, sizeof(t->comm), "%s", comm);
}

/* sig from a host process (comm) to k's init */
static struct st_event sig_ev(const struct ctr *k, uint64_t ts, int sig, int result,
			      const char *comm)
{
	struct st_event e;

	memset(&e, 0, sizeof(e));
	e.ts_ns = ts;
	e.kind = ST_EV_SIGNAL_GENERATE;
	task(&e.u.signal.target, k->cgid, k->pid, 1, ST_TASK_NS_INIT, "sleep");
	task(&e.u.signal.sender, 0, 3000, 3000, 0, comm);
	e.u.signal.sig = sig;
	e.u.signal.result = result;
	e.u.signal.disposition = ST_DISP_DEFAULT;
	e.u.signal.sig_flags = ST_SIGF_GROUP;
	return e;
}

static struct st_event exit_ev(const struct ctr *k, uint64_t ts, uint32_t kind, uint32_t code)
{
	struct st_event e;

	memset(&e, 0, sizeof(e));
	e.ts_ns = ts;
	e.kind = kind;
	task(&e.u.exit.task, k->cgid, k->pid, 1, ST_TASK_NS_INIT | ST_TASK_GROUP_DEAD, "sleep");
	e.u.exit.exit_code = code;
	return e;
}

static struct st_event cg_ev(const struct ctr *k, uint32_t kind, uint64_t ts, uint64_t cgid)
{
	struct st_event e;

	memset(&e, 0, sizeof(e));
	e.ts_ns = ts;
	e.kind = kind;
	e.u.cgroup.id = cgid;
	snprintf(e.u.cgroup.path, sizeof(e.u.cgroup.path), "/docker/%s", k->c.id);
	return e;
}

static struct st_event exec_ev(const struct ctr *k, uint64_t ts, uint32_t pid)
{
	struct st_event e;

	memset(&e, 0, sizeof(e));
	e.ts_ns = ts;
	e.kind = ST_EV_PROCESS_EXEC;
	task(&e.u.exec.task, k->cgid, pid, 1, ST_TASK_NS_INIT, "sleep");
	return e;
}

static void feed(struct st_event e, const struct ctr *k)
{
	rec.now = e.ts_ns + LAT;
	timeline_event(tl, &e, k ? &k->c : NULL, rec.now);
}

/* dockerd's call at path, returning ret */
static void fs(const struct ctr *k, uint64_t ts, uint32_t op, const char *path, int ret,
	       bool removing)
{
	struct st_fs_call call;

	memset(&call, 0, sizeof(call));
	task(&call.caller, 0, 5082, 5082, 0, "dockerd");
	call.op = op;
	call.ret = ret;
	call.flags = op == ST_FS_UMOUNT ? 2 : 0;
	call.path_flags = ST_PATH_TRUSTED | ST_PATH_ABSOLUTE;
	rec.now = ts + LAT;
	timeline_fs_call(tl, &call, ts, path, &k->c, removing, rec.now);
}

static void tick(uint64_t now)
{
	rec.now = now;
	timeline_tick(tl, now);
}

static size_t count(enum kind kind)
{
	size_t n = 0;

	for (size_t i = 0; i < rec.n; i++)
		n += rec.log[i].kind == kind;
	return n;
}

static const struct logged *first(enum kind kind)
{
	for (size_t i = 0; i < rec.n; i++)
		if (rec.log[i].kind == kind)
			return &rec.log[i];
	return NULL;
}

static size_t fs_entries(const struct tl_stop *s)
{
	size_t n = 0;

	for (uint32_t i = 0; i < s->nentries; i++)
		n += s->entries[i].kind == ST_EV_FS_CALL;
	return n;
}

/* docker stop -t 1 of k's ignoring init: SIGTERM at ts, SIGKILL, exit, release, cgroup gone */
static uint64_t docker_stop(const struct ctr *k, uint64_t ts)
{
	feed(sig_ev(k, ts, SIGTERM, ST_SIG_IGNORED, "runc"), k);
	feed(sig_ev(k, ts + 1 * SEC, SIGKILL, ST_SIG_DELIVERED, "runc"), k);
	feed(exit_ev(k, ts + 1 * SEC + 1 * MS, ST_EV_PROCESS_EXIT, SIGKILL), k);
	feed(exit_ev(k, ts + 1 * SEC + 2 * MS, ST_EV_INIT_RELEASED, SIGKILL), k);
	feed(cg_ev(k, ST_EV_CGROUP_RMDIR, ts + 1 * SEC + 3 * MS, k->cgid), k);
	return ts + 1 * SEC + 3 * MS;
}

static int setup(void **state)
{
	(void)state;
	memset(&rec, 0, sizeof(rec));
	tl_config_defaults(&cfg);
	cfg.start_ns = T0 - 600 * SEC;
	ctr_init(&A, ID_A, 1001, 4242);
	ctr_init(&B, ID_B, 2002, 5252);
	tl = NULL;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	timeline_free(tl);
	tl = NULL;
	return 0;
}

static void begin(void)
{
	tl = timeline_new(&cfg, &facts, &listener, NULL);
	assert_non_null(tl);
}

/* The default, chosen from what dockerd does here: 10-20 ms, up to 100 ms under load. */
static void test_linger_default(void **state)
{
	struct tl_config d;

	(void)state;
	tl_config_defaults(&d);
	assert_int_equal(d.linger_ns, 500 * MS);
}

/*
 * docker stop: dockerd's unmount of the rootfs and removals of the run's
 * files 12-15 ms after the cgroup's removal are on the stop's timeline,
 * with their paths; the stop ends at the removal, its alert is resolved
 * then, and the record follows the linger.
 */
static void test_linger_takes_cleanup(void **state)
{
	const struct logged *l;
	uint64_t end;

	(void)state;
	begin();
	end = docker_stop(&A, T0);
	assert_int_equal(count(R_ALERT), 1);
	/* the alert is resolved at the end: the linger does not hold it back */
	l = first(R_RESOLVED);
	assert_non_null(l);
	assert_int_equal(l->at, end + LAT);
	assert_int_equal(l->a.ts_ns, end);
	assert_int_equal(count(R_STOP), 0);
	assert_int_equal(timeline_open_stops(tl), 1);
	fs(&A, end + 12 * MS, ST_FS_UMOUNT, MERGED, 0, false);
	fs(&A, end + 13 * MS, ST_FS_UNLINKAT, MERGED, 0, false);
	fs(&A, end + 13 * MS, ST_FS_UMOUNT, "/var/lib/docker/containers/" ID_A, -EINVAL, false);
	fs(&A, end + 15 * MS, ST_FS_UNLINKAT, FIFO, 0, false);
	tick(end + 400 * MS);
	assert_int_equal(count(R_STOP), 0);
	tick(end + 500 * MS);
	assert_int_equal(count(R_STOP), 1);
	assert_int_equal(timeline_open_stops(tl), 0);
	l = first(R_STOP);
	assert_int_equal(l->s.end_ns, end);
	assert_int_equal(l->s.verdict, TL_STOP_SIGNAL_IGNORED);
	assert_false(l->s.partial);
	/* the unmount that found no mount point is no event of the stop */
	assert_int_equal(fs_entries(&l->s), 3);
	assert_int_equal(l->s.npaths, 2);
	assert_string_equal(l->paths[0], MERGED);
	assert_string_equal(l->paths[1], FIFO);
	for (uint32_t i = 0; i < l->s.nentries; i++) {
		const struct tl_entry *en = &l->s.entries[i];

		if (en->kind != ST_EV_FS_CALL)
			continue;
		assert_true(en->ts_ns > end);
		assert_int_equal(en->pid, 5082);
		assert_string_equal(en->comm, "dockerd");
		assert_true(en->other_pid >= 1 && en->other_pid <= 2);
	}
	assert_int_equal(l->s.entries[l->s.nentries - 1].kind, ST_EV_FS_CALL);
	assert_int_equal(l->s.entries[l->s.nentries - 1].sig, ST_FS_UNLINKAT);
	tick(end + 5 * SEC);
	assert_int_equal(count(R_STOP), 1);
	assert_int_equal(count(R_RESOLVED), 1);
}

/* The linger is bounded: a call after it is not the stop's, and ends it at once. */
static void test_linger_bounded(void **state)
{
	uint64_t end;

	(void)state;
	begin();
	end = docker_stop(&A, T0);
	fs(&A, end + 10 * MS, ST_FS_UMOUNT, MERGED, 0, false);
	/* no tick came in time: the next call, past the linger, closes it without itself */
	fs(&A, end + 900 * MS, ST_FS_UNLINKAT, FIFO, 0, false);
	assert_int_equal(count(R_STOP), 1);
	assert_int_equal(fs_entries(&first(R_STOP)->s), 1);
	assert_int_equal(first(R_STOP)->s.end_ns, end);
	/* and a stop nobody calls for is written when the linger runs out */
	end = docker_stop(&B, T0 + 10 * SEC);
	tick(end + 499 * MS);
	assert_int_equal(count(R_STOP), 1);
	tick(end + 600 * MS);
	assert_int_equal(count(R_STOP), 2);
	assert_int_equal(fs_entries(&rec.log[rec.n - 1].s), 0);
}

/* At most TL_MAX_PATHS paths are kept; the calls past them are still events. */
static void test_linger_paths_bounded(void **state)
{
	const struct logged *l;
	char path[TL_PATH_LEN + 64];
	uint64_t end;

	(void)state;
	begin();
	end = docker_stop(&A, T0);
	for (int i = 0; i < TL_MAX_PATHS + 4; i++) {
		/* longer than a path kept: cut, never overrun */
		snprintf(path, sizeof(path), "/run/docker/%02d/%0*d", i, (int)sizeof(path) - 28, i);
		fs(&A, end + (uint64_t)(i + 1) * MS, ST_FS_UNLINKAT, path, 0, false);
	}
	fs(&A, end + 30 * MS, ST_FS_UNLINKAT, MERGED, -EBUSY, false);
	tick(end + 1 * SEC);
	l = first(R_STOP);
	assert_non_null(l);
	assert_int_equal(l->s.npaths, TL_MAX_PATHS);
	for (int i = 0; i < TL_MAX_PATHS; i++)
		assert_int_equal(strlen(l->paths[i]), TL_PATH_LEN - 1);
	assert_int_equal(fs_entries(&l->s), TL_MAX_PATHS + 5);
	assert_int_equal(l->s.entries[l->s.nentries - 1].other_pid, 0);
	assert_int_equal(l->s.entries[l->s.nentries - 1].result, -EBUSY);
}

/*
 * The container's removal begins during the linger (docker run --rm): its
 * calls are the removal's, and the stop is written at once.
 */
static void test_linger_removal_ends_it(void **state)
{
	uint64_t end;

	(void)state;
	begin();
	end = docker_stop(&A, T0);
	fs(&A, end + 12 * MS, ST_FS_UMOUNT, MERGED, 0, false);
	fs(&A, end + 40 * MS, ST_FS_UNLINKAT, "/var/lib/docker/containers/" ID_A, -ENOTEMPTY, true);
	assert_int_equal(count(R_STOP), 1);
	assert_int_equal(fs_entries(&first(R_STOP)->s), 1);
	fs(&A, end + 41 * MS, ST_FS_UNLINKAT, FIFO, 0, true);
	tick(end + 2 * SEC);
	assert_int_equal(count(R_STOP), 1);
	assert_int_equal(timeline_open_stops(tl), 0);
}

/*
 * Started again during the linger (a restart policy): the stop is written at
 * once with its end, the restart is timed from that end, and the new run's
 * stop is a stop of its own.
 */
static void test_linger_restart(void **state)
{
	const struct logged *l;
	uint64_t end;

	(void)state;
	A.policy = "always";
	begin();
	end = docker_stop(&A, T0);
	fs(&A, end + 12 * MS, ST_FS_UMOUNT, MERGED, 0, false);
	A.cgid = 1002;
	feed(cg_ev(&A, ST_EV_CGROUP_MKDIR, end + 100 * MS, A.cgid), &A);
	assert_int_equal(count(R_STOP), 1);
	assert_int_equal(first(R_STOP)->s.end_ns, end);
	assert_int_equal(fs_entries(&first(R_STOP)->s), 1);
	A.pid = 4300;
	feed(exec_ev(&A, end + 150 * MS, A.pid), &A);
	l = &rec.log[rec.n - 1];
	assert_int_equal(l->kind, R_ALERT);
	assert_int_equal(l->a.kind, TL_ALERT_RESTARTED_AFTER_STOP);
	assert_int_equal(l->a.duration_ms, 150);
	/* the new run's calls are nobody's stop */
	fs(&A, end + 160 * MS, ST_FS_UNLINKAT, FIFO, 0, false);
	feed(sig_ev(&A, end + 2 * SEC, SIGTERM, ST_SIG_DELIVERED, "runc"), &A);
	feed(exit_ev(&A, end + 2 * SEC + 5 * MS, ST_EV_PROCESS_EXIT, 0), &A);
	feed(exit_ev(&A, end + 2 * SEC + 6 * MS, ST_EV_INIT_RELEASED, 0), &A);
	feed(cg_ev(&A, ST_EV_CGROUP_RMDIR, end + 2 * SEC + 7 * MS, A.cgid), &A);
	tick(end + 3 * SEC);
	assert_int_equal(count(R_STOP), 2);
	l = &rec.log[rec.n - 1];
	assert_int_equal(l->kind, R_STOP);
	assert_int_equal(l->s.init_pid, 4300);
	assert_int_equal(l->s.verdict, TL_GRACEFUL);
	assert_int_equal(fs_entries(&l->s), 0);
}

/* A new init without its cgroup's creation seen ends the linger too; so does the monitor's end. */
static void test_linger_exec_and_flush(void **state)
{
	uint64_t end;

	(void)state;
	A.policy = "no";
	begin();
	end = docker_stop(&A, T0);
	A.pid = 4301;
	feed(exec_ev(&A, end + 50 * MS, A.pid), &A);
	assert_int_equal(count(R_STOP), 1);
	assert_int_equal(count(R_ALERT), 1); /* no restart alert: the policy is "no" */
	end = docker_stop(&B, T0 + 10 * SEC);
	fs(&B, end + 5 * MS, ST_FS_UMOUNT, MERGED, 0, false);
	rec.now = end + 10 * MS;
	timeline_flush(tl, rec.now);
	assert_int_equal(count(R_STOP), 2);
	assert_false(rec.log[rec.n - 1].s.partial);
	assert_int_equal(rec.log[rec.n - 1].s.end_ns, end);
	assert_int_equal(fs_entries(&rec.log[rec.n - 1].s), 1);
}

/* Calls with no stop open, or of a container not followed, are nobody's events. */
static void test_fs_call_without_stop(void **state)
{
	(void)state;
	begin();
	fs(&A, T0, ST_FS_UMOUNT, MERGED, 0, false);
	feed(sig_ev(&A, T0 + 1 * SEC, SIGUSR1, ST_SIG_DELIVERED, "kill"), &A);
	fs(&A, T0 + 2 * SEC, ST_FS_UMOUNT, MERGED, 0, false);
	timeline_fs_call(tl, &(struct st_fs_call){.op = ST_FS_RMDIR}, T0, "/x", NULL, false, T0);
	docker_stop(&A, T0 + 3 * SEC);
	tick(T0 + 10 * SEC);
	assert_int_equal(count(R_STOP), 1);
	assert_int_equal(fs_entries(&first(R_STOP)->s), 0);
}

/* Freed while a stop lingers with its paths (run under ASan: nothing leaks). */
static void test_free_while_lingering(void **state)
{
	uint64_t end;

	(void)state;
	begin();
	end = docker_stop(&A, T0);
	fs(&A, end + 5 * MS, ST_FS_UMOUNT, MERGED, 0, false);
	assert_int_equal(timeline_open_stops(tl), 1);
	assert_int_equal(count(R_STOP), 0);
}

/* With linger 0, the stop is written at its cgroup's removal, as before. */
static void test_linger_off(void **state)
{
	(void)state;
	cfg.linger_ns = 0;
	begin();
	docker_stop(&A, T0);
	assert_int_equal(count(R_STOP), 1);
	assert_int_equal(rec.log[rec.n - 2].kind, R_STOP);
	assert_int_equal(rec.log[rec.n - 1].kind, R_RESOLVED);
	assert_int_equal(timeline_open_stops(tl), 0);
}

/* ---- partial stops: the monitor's real age, and what it saw ---- */

static const struct tl_stop *kill_stop(uint64_t ts)
{
	feed(sig_ev(&A, ts, SIGKILL, ST_SIG_DELIVERED, "runc"), &A);
	feed(exit_ev(&A, ts + 1 * MS, ST_EV_PROCESS_EXIT, SIGKILL), &A);
	feed(exit_ev(&A, ts + 2 * MS, ST_EV_INIT_RELEASED, SIGKILL), &A);
	feed(cg_ev(&A, ST_EV_CGROUP_RMDIR, ts + 3 * MS, A.cgid), &A);
	tick(ts + 1 * SEC);
	assert_int_equal(count(R_STOP), 1);
	return &first(R_STOP)->s;
}

/* Started 40 ms before the SIGKILL (docker stop -t 1 issued just before): partial, said so. */
static void test_partial_kill_just_after_start(void **state)
{
	const struct tl_stop *s;

	(void)state;
	cfg.start_ns = T0 - 40 * MS;
	begin();
	s = kill_stop(T0);
	assert_true(s->partial);
	assert_int_equal(s->verdict, TL_KILLED_WITHOUT_GRACE);
	assert_non_null(strstr(s->reason, "The monitor started 40 ms before this stop's first "
					  "event: it saw SIGKILL from runc and the exit of PID 1, "
					  "killed by SIGKILL; a stop signal sent before it started "
					  "was not seen"));
	assert_null(strstr(s->reason, "no chance"));
}

/* Running for 30 s: nothing was missed; a kill with no signal before it is a kill without grace. */
static void test_partial_not_after_window(void **state)
{
	const struct tl_stop *s;

	(void)state;
	cfg.start_ns = T0 - 30 * SEC;
	begin();
	s = kill_stop(T0);
	assert_false(s->partial);
	assert_int_equal(s->verdict, TL_KILLED_WITHOUT_GRACE);
	assert_non_null(strstr(s->reason, "no chance to shut down"));
	assert_null(strstr(s->reason, "monitor"));
}

/*
 * Set up long before (cfg.start_ns), its programs attached 40 ms before the
 * kill: the age is the real one, from timeline_seeing_since.
 */
static void test_partial_real_start(void **state)
{
	const struct tl_stop *s;

	(void)state;
	cfg.start_ns = T0 - 30 * SEC;
	begin();
	timeline_seeing_since(tl, T0 - 40 * MS);
	s = kill_stop(T0);
	assert_true(s->partial);
	assert_non_null(strstr(s->reason, "started 40 ms before"));
}

/* An event seen before the real start was recorded proves the programs attached by then. */
static void test_partial_seen_before_start(void **state)
{
	const struct tl_stop *s;

	(void)state;
	cfg.start_ns = T0 - 30 * SEC;
	begin();
	feed(sig_ev(&B, T0 - 1 * SEC, SIGUSR1, ST_SIG_DELIVERED, "kill"), &B);
	timeline_seeing_since(tl, T0 - 100 * MS);
	s = kill_stop(T0);
	assert_true(s->partial);
	assert_non_null(strstr(s->reason, "started 1000 ms before"));
}

/*
 * lxc-stop's halt signal seen 3 s after the start, then the kill: within the
 * window, partial, and it says the halt was seen, and how long it had run.
 */
static void test_partial_says_what_was_seen(void **state)
{
	const struct tl_stop *s;

	(void)state;
	cfg.start_ns = T0 - 3 * SEC;
	begin();
	feed(sig_ev(&A, T0, SIGUSR1, ST_SIG_DELIVERED, "lxc-stop"), &A);
	feed(sig_ev(&A, T0 + 500 * MS, SIGKILL, ST_SIG_DELIVERED, "lxc-start"), &A);
	feed(exit_ev(&A, T0 + 501 * MS, ST_EV_PROCESS_EXIT, SIGKILL), &A);
	feed(exit_ev(&A, T0 + 502 * MS, ST_EV_INIT_RELEASED, SIGKILL), &A);
	feed(cg_ev(&A, ST_EV_CGROUP_RMDIR, T0 + 503 * MS, A.cgid), &A);
	tick(T0 + 2 * SEC);
	s = &first(R_STOP)->s;
	assert_true(s->partial);
	assert_non_null(strstr(s->reason, "started 3500 ms before this stop's first event: it "
					  "saw SIGUSR1 from lxc-stop, SIGKILL from lxc-start and "
					  "the exit of PID 1, killed by SIGKILL"));
	assert_null(strstr(s->reason, "just after"));
}

/* PID 1's exit alone, 2 s after the start: partial, with the exit's code; 20 s after: its own. */
static void test_partial_exit(void **state)
{
	const struct tl_stop *s;

	(void)state;
	cfg.start_ns = T0 - 2 * SEC;
	begin();
	feed(exit_ev(&A, T0, ST_EV_PROCESS_EXIT, 0), &A);
	feed(exit_ev(&A, T0 + 1 * MS, ST_EV_INIT_RELEASED, 0), &A);
	feed(cg_ev(&A, ST_EV_CGROUP_RMDIR, T0 + 3 * MS, A.cgid), &A);
	feed(exit_ev(&B, T0 + 18 * SEC, ST_EV_PROCESS_EXIT, 3 << 8), &B);
	feed(exit_ev(&B, T0 + 18 * SEC + 1 * MS, ST_EV_INIT_RELEASED, 3 << 8), &B);
	feed(cg_ev(&B, ST_EV_CGROUP_RMDIR, T0 + 18 * SEC + 3 * MS, B.cgid), &B);
	tick(T0 + 20 * SEC);
	assert_int_equal(count(R_STOP), 2);
	s = &rec.log[0].s;
	assert_true(s->partial);
	assert_int_equal(s->verdict, TL_EXITED);
	assert_non_null(strstr(s->reason, "started 2000 ms before this stop's first event: it "
					  "saw the exit of PID 1 with code 0;"));
	s = &rec.log[1].s;
	assert_false(s->partial);
	assert_non_null(strstr(s->reason, "exited on its own with code 3"));
}

/*
 * Partial for another reason (the monitor stopped before the stop ended),
 * long after the start: nothing is claimed about the monitor's start.
 */
static void test_partial_flushed_not_head(void **state)
{
	const struct tl_stop *s;

	(void)state;
	cfg.start_ns = T0 - 30 * SEC;
	begin();
	feed(sig_ev(&A, T0, SIGKILL, ST_SIG_DELIVERED, "runc"), &A);
	rec.now = T0 + 10 * MS;
	timeline_flush(tl, rec.now);
	s = &first(R_STOP)->s;
	assert_true(s->partial);
	assert_int_equal(s->verdict, TL_KILLED_WITHOUT_GRACE);
	assert_null(strstr(s->reason, "monitor"));
	assert_non_null(strstr(s->reason, "no chance to shut down"));
}

/* A container started while the monitor ran: its whole life was seen, never partial. */
static void test_partial_not_when_start_seen(void **state)
{
	const struct tl_stop *s;

	(void)state;
	cfg.start_ns = T0 - 100 * MS;
	begin();
	feed(cg_ev(&A, ST_EV_CGROUP_MKDIR, T0 - 50 * MS, A.cgid), &A);
	s = kill_stop(T0);
	assert_false(s->partial);
	assert_int_equal(s->verdict, TL_KILLED_WITHOUT_GRACE);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_linger_default),
		T(test_linger_takes_cleanup),
		T(test_linger_bounded),
		T(test_linger_paths_bounded),
		T(test_linger_removal_ends_it),
		T(test_linger_restart),
		T(test_linger_exec_and_flush),
		T(test_fs_call_without_stop),
		T(test_free_while_lingering),
		T(test_linger_off),
		T(test_partial_kill_just_after_start),
		T(test_partial_not_after_window),
		T(test_partial_real_start),
		T(test_partial_seen_before_start),
		T(test_partial_says_what_was_seen),
		T(test_partial_exit),
		T(test_partial_flushed_not_head),
		T(test_partial_not_when_start_seen),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
