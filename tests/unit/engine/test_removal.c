// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Tests for user/engine/removal.c, written from the engine's specification
 * (removal.h, DESIGN.md S6), not from its code. Every scenario is a sequence
 * of hand-built unmount and removal calls with absolute paths, as dockerd
 * makes them under /var/lib/docker/overlay2, and a clock chosen by the test.
 * The listener copies everything it is handed (the engine frees a removal right
 * after), in order, with the clock at the time it was handed over; the facts
 * stub records when and how it was asked.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/holders.h"
#include "engine/removal.h"
#include "identity/runtimes.h"
#include "host/scan_limit.h"

#define MS  1000000ULL
#define SEC 1000000000ULL
#define US  1000ULL

#define T0  (2000 * SEC) /* where scenarios begin, boot clock */
#define LAT (100 * US)	 /* call handled this long after it returned */

#define AT_REMOVEDIR 0x200
#define MNT_DETACH   0x2

#define ID_A "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
#define ID_B "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"

/* the layer directories of A's and B's read-write layers */
#define OVL	"/var/lib/docker/overlay2/"
#define LAYER_A OVL "9d1f6c2e0b7a4c3d8e5f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f70819"
#define LAYER_B OVL "0e2a7d3f1c8b5d4e9f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a"
#define DIFF_A	LAYER_A "/diff"
#define DIFF_B	LAYER_B "/diff"
#define KEEP_A	DIFF_A "/keep"
#define DATA_A	DIFF_A "/data"
/* the containers' own directories, and the fifos of a run */
#define DIR_A	"/var/lib/docker/containers/" ID_A
#define DIR_B	"/var/lib/docker/containers/" ID_B
#define FIFOS_A "/run/docker/containerd/" ID_A

#define DOCKERD_PID  1234
#define CONMON_PID   1301
#define HOLDER_MNTNS 4026532777ULL
#define HOLDER_PID   4242

/* A container of a scenario and what the facts stub answers about it. */
struct ctr {
	struct container c;
	bool dead;
};

/* ---- the listener: deep copies, in order ---- */

enum rec_type { REC_ALERT, REC_TIMELINE };

#define MAX_ALERTS    8
#define MAX_TIMELINES 8
#define MAX_LOG	      (MAX_ALERTS + MAX_TIMELINES)
#define MAX_CALLS     64

struct rec_alert {
	struct rm_alert a;
	struct rm_failure cause;   /* a copy: a.cause is freed after */
	struct holder holder;	   /* cause's first holder, if any */
	long cause_idx;		   /* index of a.cause in a.removal->failures */
	struct rm_removal removal; /* a copy of *a.removal at the alert */
	uint64_t at;
};

struct rec_timeline {
	struct rm_removal r;
	struct holder holder[RM_MAX_FAILURES]; /* first holder of each failure */
	uint64_t at;
};

struct fact_call {
	uint32_t pid;
	char path[RM_PATH_LEN];
	uint64_t at;
};

struct recorder {
	uint64_t now;
	struct rec_alert alerts[MAX_ALERTS];
	size_t nalerts;
	struct rec_timeline timelines[MAX_TIMELINES];
	size_t ntimelines;
	enum rec_type log[MAX_LOG];
	size_t nlog;
	struct ctr *ctrs[2];
	struct fact_call holders_calls[MAX_CALLS];
	size_t nholders_calls;
	size_t holders_absent; /* the first this many lookups find nothing */
	struct fact_call attr_calls[MAX_CALLS];
	size_t nattr_calls;
	size_t ndead_calls;
};

static struct recorder rec;
static struct rm_config cfg;
static struct removal *rm;
static uint64_t seq;
static struct ctr A, B;

static void on_alert(void *ctx, const struct rm_alert *a)
{
	struct rec_alert *ra;

	assert_ptr_equal(ctx, &rec);
	assert_true(rec.nalerts < MAX_ALERTS);
	assert_non_null(a->removal);
	assert_non_null(a->cause);
	ra = &rec.alerts[rec.nalerts];
	ra->a = *a;
	ra->removal = *a->removal;
	ra->cause = *a->cause;
	ra->cause_idx = a->cause - a->removal->failures;
	if (a->cause->nholders > 0) {
		assert_non_null(a->cause->holders);
		ra->holder = a->cause->holders[0];
	}
	ra->at = rec.now;
	rec.nalerts++;
	assert_true(rec.nlog < MAX_LOG);
	rec.log[rec.nlog++] = REC_ALERT;
}

static void on_timeline(void *ctx, const struct rm_removal *r)
{
	struct rec_timeline *t;

	assert_ptr_equal(ctx, &rec);
	assert_true(rec.ntimelines < MAX_TIMELINES);
	t = &rec.timelines[rec.ntimelines];
	t->r = *r;
	for (int i = 0; i < r->nfailures; i++)
		if (r->failures[i].nholders > 0) {
			assert_non_null(r->failures[i].holders);
			t->holder[i] = r->failures[i].holders[0];
		}
	t->at = rec.now;
	rec.ntimelines++;
	assert_true(rec.nlog < MAX_LOG);
	rec.log[rec.nlog++] = REC_TIMELINE;
}

static const struct rm_listener listener = {
	.alert = on_alert,
	.timeline = on_timeline,
};

/* ---- the facts stub ---- */

static bool facts_dead(void *ctx, const struct container *c)
{
	assert_ptr_equal(ctx, &rec);
	rec.ndead_calls++;
	for (size_t i = 0; i < sizeof(rec.ctrs) / sizeof(rec.ctrs[0]); i++)
		if (rec.ctrs[i] && !strcmp(rec.ctrs[i]->c.id, c->id))
			return rec.ctrs[i]->dead;
	return false;
}

/*
 * One bind mount on the busy path, from a process's mount namespace; nothing
 * for the first rec.holders_absent lookups (a mount made again and again).
 */
static int facts_holders(void *ctx, uint32_t caller_pid, const char *path, struct holder *out,
			 int max, uint32_t *cut)
{
	struct fact_call *k;

	*cut = 0;
	assert_ptr_equal(ctx, &rec);
	assert_true(rec.nholders_calls < MAX_CALLS);
	assert_true(max >= 1);
	k = &rec.holders_calls[rec.nholders_calls++];
	k->pid = caller_pid;
	snprintf(k->path, sizeof(k->path), "%s", path);
	k->at = rec.now;
	if (rec.nholders_calls <= rec.holders_absent)
		return 0;
	memset(out, 0, sizeof(*out));
	snprintf(out->kind, sizeof(out->kind), "mount");
	snprintf(out->mount_point, sizeof(out->mount_point), "%s", path);
	snprintf(out->source, sizeof(out->source), "/dev/sdb1");
	snprintf(out->fstype, sizeof(out->fstype), "ext4");
	out->mount_namespace = HOLDER_MNTNS;
	out->pid = HOLDER_PID;
	snprintf(out->comm, sizeof(out->comm), "mount-loop");
	return 1;
}

/* Files named keep are immutable (chattr +i); every other file is plain. */
static int facts_attributes(void *ctx, const char *path, bool *immutable, bool *append_only)
{
	struct fact_call *k;
	size_t n = strlen(path);

	assert_ptr_equal(ctx, &rec);
	assert_true(rec.nattr_calls < MAX_CALLS);
	k = &rec.attr_calls[rec.nattr_calls++];
	snprintf(k->path, sizeof(k->path), "%s", path);
	k->at = rec.now;
	*immutable = n >= 5 && !strcmp(path + n - 5, "/keep");
	*append_only = false;
	return 0;
}

static const struct rm_facts facts = {
	.runtime_dead = facts_dead,
	.holders = facts_holders,
	.attributes = facts_attributes,
};

/* Scans started elsewhere: recorded; rec.start_busy refuses them (a busy worker). */
static struct {
	int n;
	char id[80], path[RM_PATH_LEN];
	bool busy;
} started;

static int facts_holders_start(void *ctx, const char *id, uint32_t caller_pid, const char *path)
{
	assert_ptr_equal(ctx, &rec);
	(void)caller_pid;
	if (started.busy)
		return -EBUSY;
	started.n++;
	snprintf(started.id, sizeof(started.id), "%s", id);
	snprintf(started.path, sizeof(started.path), "%s", path);
	return 1;
}

static const struct rm_facts async_facts = {
	.runtime_dead = facts_dead,
	.holders = facts_holders,
	.holders_start = facts_holders_start,
	.attributes = facts_attributes,
};

/* ---- building calls and driving the engine ---- */

static void ctr_init(struct ctr *k, const char *id, const char *name)
{
	memset(k, 0, sizeof(*k));
	k->c.runtime = RUNTIME_DOCKER;
	snprintf(k->c.id, sizeof(k->c.id), "%s", id);
	snprintf(k->c.name, sizeof(k->c.name), "%s", name);
	snprintf(k->c.cgroup, sizeof(k->c.cgroup), "/docker/%s", id);
	k->dead = true; /* Docker marks a container dead when its removal starts */
}

/* The call as the kernel reports it: dockerd, relative to a dirfd. */
static struct st_fs_call fs_call(uint32_t op, uint64_t flags, int ret, const char *path,
				 uint32_t pid)
{
	struct st_fs_call fs;
	const char *base = strrchr(path, '/');

	memset(&fs, 0, sizeof(fs));
	fs.caller.pid = pid;
	fs.caller.tgid = pid;
	fs.caller.ns_pid = pid;
	fs.caller.ns_tgid = pid;
	fs.caller.pidns = 4026531836u;
	snprintf(fs.caller.comm, sizeof(fs.caller.comm), "dockerd");
	fs.flags = flags;
	fs.ret = ret;
	fs.op = op;
	fs.dfd = op == ST_FS_UMOUNT ? -100 : 7;
	fs.path_flags = ST_PATH_TRUSTED;
	snprintf(fs.name, sizeof(fs.name), "%s", op == ST_FS_UMOUNT ? path : base + 1);
	return fs;
}

/* Call (op, flags, ret) on path for container k at ts, handled LAT later. */
static void feed_pid(const struct container *c, uint32_t op, uint64_t flags, int ret,
		     const char *path, uint64_t ts, uint32_t pid)
{
	struct st_fs_call fs = fs_call(op, flags, ret, path, pid);
	/* as the monitor tells it (storage_watch.c): the container's directory, its layer */
	bool whole = c && runtime_removed_path(runtime_info(c->runtime), c->id, path);

	rec.now = ts + LAT;
	removal_event(rm, &fs, ts, path, whole, c, rec.now);
}

static void feed(const struct ctr *k, uint32_t op, uint64_t flags, int ret, const char *path,
		 uint64_t ts)
{
	feed_pid(k ? &k->c : NULL, op, flags, ret, path, ts, DOCKERD_PID);
}

static void tick(uint64_t now)
{
	rec.now = now;
	removal_tick(rm, now);
}

static void begin(void)
{
	rm = removal_new(&cfg, &facts, &listener, &rec);
	assert_non_null(rm);
	assert_int_equal(removal_open(rm), 0);
}

static int setup(void **state)
{
	(void)state;
	memset(&rec, 0, sizeof(rec));
	ctr_init(&A, ID_A, "web");
	ctr_init(&B, ID_B, "db");
	rec.ctrs[0] = &A;
	rec.ctrs[1] = &B;
	rm_config_defaults(&cfg);
	seq = 0;
	cfg.alert_seq = &seq;
	rm = NULL;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	removal_free(rm);
	rm = NULL;
	return 0;
}

/* What `docker stop` does to the layer: unmount merged/ and remove it. */
static void stop_calls(const struct ctr *k, const char *layer, uint64_t t)
{
	char merged[RM_PATH_LEN];

	snprintf(merged, sizeof(merged), "%s/merged", layer);
	feed(k, ST_FS_UMOUNT, MNT_DETACH, 0, merged, t);
	feed(k, ST_FS_UNLINKAT, AT_REMOVEDIR, 0, merged, t + 1 * MS);
}

/*
 * Every call dockerd made for a plain `docker stop` of A here, after its
 * init exited: the task bundle's rootfs (not a mount point), merged/, the
 * container's directory (not a mount point either), the fifos of the run.
 */
static void docker_stop_calls(uint64_t t)
{
	feed(&A, ST_FS_UMOUNT, 0, -EINVAL,
	     "/run/docker/containerd/daemon/io.containerd.runtime.v2.task/moby/" ID_A "/rootfs", t);
	stop_calls(&A, LAYER_A, t + 8 * MS);
	feed(&A, ST_FS_UMOUNT, MNT_DETACH, -EINVAL, DIR_A, t + 10 * MS);
	feed(&A, ST_FS_UNLINKAT, 0, 0, FIFOS_A "/init-stderr", t + 16 * MS);
	feed(&A, ST_FS_UNLINKAT, 0, 0, FIFOS_A "/init-stdout", t + 16 * MS);
	feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, 0, FIFOS_A, t + 16 * MS);
}

/*
 * `docker rm` of A once stopped: Go's RemoveAll of the layer (it tries the
 * top directory first: ENOTEMPTY), the files of diff/, the layer, then the
 * container's directory the same way. The last call is at t + 9 ms.
 */
static void docker_rm_calls(uint64_t t)
{
	feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, -ENOTEMPTY, LAYER_A, t);
	feed(&A, ST_FS_UNLINKAT, 0, 0, DIFF_A "/etc/hostname", t + 1 * MS);
	feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, 0, DIFF_A "/etc", t + 2 * MS);
	feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, 0, DIFF_A, t + 3 * MS);
	feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, 0, LAYER_A, t + 4 * MS);
	feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, -ENOTEMPTY, DIR_A, t + 5 * MS);
	feed(&A, ST_FS_UNLINKAT, 0, 0, DIR_A "/config.v2.json", t + 6 * MS);
	feed(&A, ST_FS_UNLINKAT, 0, 0, DIR_A "/hostconfig.json", t + 7 * MS);
	feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, 0, DIR_A "/checkpoints", t + 8 * MS);
	feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, 0, DIR_A, t + 9 * MS);
}

/*
 * A removal that failed below the top directory ends, like Go's RemoveAll,
 * with the top directory still not empty.
 */
static void remove_all_fails(const struct ctr *k, const char *layer, uint64_t t)
{
	feed(k, ST_FS_UNLINKAT, AT_REMOVEDIR, -ENOTEMPTY, layer, t);
}

/* ---- tests ---- */

static void test_defaults(void **state)
{
	struct rm_config c;

	(void)state;
	memset(&c, 0xab, sizeof(c));
	rm_config_defaults(&c);
	assert_int_equal(c.settle_ns, 10 * SEC);
	assert_int_equal(c.quiet_ns, 2 * SEC);
	assert_null(c.alert_seq);
}

/*
 * Two containers removed at once, their calls interleaved: two removals, each
 * with its own counts, caller and times, none failed, nothing alerted.
 */
static void test_interleaved(void **state)
{
	const struct rec_timeline *ta, *tb;

	(void)state;
	begin();
	feed(&A, ST_FS_UMOUNT, MNT_DETACH, 0, LAYER_A "/merged", T0);
	feed(&B, ST_FS_UMOUNT, MNT_DETACH, 0, LAYER_B "/merged", T0 + 1 * MS);
	feed(&A, ST_FS_UNLINKAT, 0, 0, DIFF_A "/etc/hostname", T0 + 2 * MS);
	feed(&B, ST_FS_UNLINKAT, 0, 0, DIFF_B "/var/lib/db/1", T0 + 3 * MS);
	feed(&A, ST_FS_UNLINKAT, 0, 0, DIFF_A "/etc/hosts", T0 + 4 * MS);
	feed(&B, ST_FS_UNLINKAT, 0, 0, DIFF_B "/var/lib/db/2", T0 + 5 * MS);
	feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, 0, DIFF_A "/etc", T0 + 6 * MS);
	feed(&B, ST_FS_UNLINKAT, 0, 0, DIFF_B "/var/lib/db/3", T0 + 7 * MS);
	feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, 0, DIFF_A, T0 + 8 * MS);
	feed(&B, ST_FS_UNLINKAT, AT_REMOVEDIR, 0, DIFF_B "/var/lib/db", T0 + 9 * MS);
	feed(&B, ST_FS_UNLINKAT, AT_REMOVEDIR, 0, LAYER_B, T0 + 9 * MS);
	feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, 0, LAYER_A, T0 + 10 * MS);
	assert_int_equal(removal_open(rm), 2);

	/* B's last call was at T0+9ms: it is quiet for 2 s first */
	tick(T0 + 9 * MS + 2 * SEC - 1);
	assert_int_equal(rec.ntimelines, 0);
	tick(T0 + 9 * MS + 2 * SEC);
	assert_int_equal(rec.ntimelines, 1);
	assert_int_equal(removal_open(rm), 1);
	tick(T0 + 10 * MS + 2 * SEC);
	assert_int_equal(rec.ntimelines, 2);
	assert_int_equal(removal_open(rm), 0);
	assert_int_equal(rec.nalerts, 0);
	assert_int_equal(rec.ndead_calls, 0);

	tb = &rec.timelines[0];
	ta = &rec.timelines[1];
	assert_string_equal(tb->r.container.id, ID_B);
	assert_string_equal(tb->r.container.name, "db");
	assert_false(tb->r.failed);
	assert_true(tb->r.removing);
	assert_int_equal(tb->r.umount_ok, 1);
	assert_int_equal(tb->r.unlink_ok, 3);
	assert_int_equal(tb->r.rmdir_ok, 2);
	assert_int_equal(tb->r.failed_calls, 0);
	assert_int_equal(tb->r.nfailures, 0);
	assert_int_equal(tb->r.start_ns, T0 + 1 * MS);
	assert_int_equal(tb->r.last_ns, T0 + 9 * MS);
	assert_int_equal(tb->r.end_ns, T0 + 9 * MS + 2 * SEC);
	assert_int_equal(tb->r.caller_pid, DOCKERD_PID);
	assert_string_equal(tb->r.caller_comm, "dockerd");
	assert_false(tb->r.runtime_dead);

	assert_string_equal(ta->r.container.id, ID_A);
	assert_false(ta->r.failed);
	assert_int_equal(ta->r.umount_ok, 1);
	assert_int_equal(ta->r.unlink_ok, 2);
	assert_int_equal(ta->r.rmdir_ok, 3);
	assert_int_equal(ta->r.failed_calls, 0);
	assert_int_equal(ta->r.nfailures, 0);
	assert_int_equal(ta->r.start_ns, T0);
	assert_int_equal(ta->r.last_ns, T0 + 10 * MS);
	assert_int_equal(ta->r.end_ns, T0 + 10 * MS + 2 * SEC);
}

/*
 * Every kind of successful call is counted in its column; none is listed as a
 * failure. umount failing with EINVAL (not a mount point) is no call at all:
 * it counts nowhere, opens no removal and does not keep one open.
 */
static void test_counts_and_umount_einval(void **state)
{
	const struct rm_removal *r;

	(void)state;
	begin();
	/* B's only call is an unmount of something not mounted: nothing opens */
	feed(&B, ST_FS_UMOUNT, MNT_DETACH, -EINVAL, LAYER_B "/merged", T0);
	assert_int_equal(removal_open(rm), 0);

	feed(&A, ST_FS_UMOUNT, MNT_DETACH, -EINVAL, LAYER_A "/merged", T0 + 1 * MS);
	assert_int_equal(removal_open(rm), 0);
	feed(&A, ST_FS_UMOUNT, MNT_DETACH, 0, DIFF_A "/data", T0 + 2 * MS);
	feed(&A, ST_FS_UNLINK, 0, 0, DIFF_A "/a", T0 + 3 * MS);
	feed(&A, ST_FS_UNLINKAT, 0, 0, DIFF_A "/b", T0 + 4 * MS);
	feed(&A, ST_FS_UNLINKAT, 0, 0, DIFF_A "/c", T0 + 5 * MS);
	feed(&A, ST_FS_UMOUNT, MNT_DETACH, -EINVAL, DIFF_A "/data", T0 + 6 * MS);
	feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, 0, DIFF_A "/data", T0 + 7 * MS);
	feed(&A, ST_FS_RMDIR, 0, 0, DIFF_A, T0 + 8 * MS);
	feed(&A, ST_FS_RMDIR, 0, 0, LAYER_A, T0 + 8 * MS);
	/* handled late (another CPU): counted, but the last call is still T0+8ms */
	feed(&A, ST_FS_UNLINKAT, 0, 0, DIFF_A "/d", T0 + 5 * MS);
	assert_int_equal(removal_open(rm), 1);
	/* a late EINVAL does not push the end of the removal out */
	feed(&A, ST_FS_UMOUNT, MNT_DETACH, -EINVAL, LAYER_A "/merged", T0 + 1 * SEC);
	tick(T0 + 8 * MS + 2 * SEC);
	assert_int_equal(removal_open(rm), 0);
	assert_int_equal(rec.ntimelines, 1);
	assert_int_equal(rec.nalerts, 0);

	r = &rec.timelines[0].r;
	assert_string_equal(r->container.id, ID_A);
	assert_int_equal(r->umount_ok, 1);
	assert_int_equal(r->unlink_ok, 4);
	assert_int_equal(r->rmdir_ok, 3);
	assert_int_equal(r->failed_calls, 0);
	assert_int_equal(r->nfailures, 0);
	assert_int_equal(r->failures_dropped, 0);
	assert_false(r->failed);
	assert_int_equal(r->start_ns, T0 + 2 * MS);
	assert_int_equal(r->last_ns, T0 + 8 * MS);
}

/*
 * A stop is no removal: every call of a real `docker stop` (merged/, the
 * fifos of the run) writes nothing, at the quiet window or at a flush. The
 * later `docker rm` is one removal: one timeline, removed, with its calls
 * alone; nothing alerted, the runtime's state never asked.
 */
static void test_stop_writes_nothing(void **state)
{
	const struct rm_removal *r;

	(void)state;
	begin();
	docker_stop_calls(T0);
	/* rmdir(2) of merged/ instead of unlinkat, and a second unmount */
	feed(&B, ST_FS_UMOUNT, 0, 0, LAYER_B "/merged", T0);
	feed(&B, ST_FS_RMDIR, 0, 0, LAYER_B "/merged", T0 + 1 * MS);
	feed(&B, ST_FS_UMOUNT, MNT_DETACH, -EINVAL, LAYER_B "/merged", T0 + 2 * MS);
	assert_int_equal(removal_open(rm), 2);
	tick(T0 + 16 * MS + 2 * SEC);
	assert_int_equal(removal_open(rm), 0);
	assert_int_equal(rec.ntimelines, 0);
	assert_int_equal(rec.nalerts, 0);
	docker_stop_calls(T0 + 10 * SEC);
	removal_flush(rm, T0 + 10 * SEC + 20 * MS);
	assert_int_equal(rec.nlog, 0);

	/* the removal later */
	docker_rm_calls(T0 + 60 * SEC);
	tick(T0 + 60 * SEC + 9 * MS + 2 * SEC);
	assert_int_equal(removal_open(rm), 0);
	assert_int_equal(rec.ntimelines, 1);
	assert_int_equal(rec.nalerts, 0);
	assert_int_equal(rec.ndead_calls, 0);
	r = &rec.timelines[0].r;
	assert_string_equal(r->container.id, ID_A);
	assert_false(r->failed);
	assert_true(r->removing);
	assert_int_equal(r->umount_ok, 0);
	assert_int_equal(r->unlink_ok, 3);
	assert_int_equal(r->rmdir_ok, 5);
	assert_int_equal(r->failed_calls, 2);
	assert_int_equal(r->nfailures, 2);
	assert_true(r->failures[0].resolved);
	assert_true(r->failures[1].resolved);
	assert_int_equal(r->start_ns, T0 + 60 * SEC);
	assert_int_equal(r->last_ns, T0 + 60 * SEC + 9 * MS);
	/* the container is gone: nothing more comes of it */
	tick(T0 + 120 * SEC);
	removal_flush(rm, T0 + 120 * SEC);
	assert_int_equal(rec.nlog, 1);
}

/*
 * `docker rm -f` of a running container, and `docker run --rm`: the stop's
 * calls, then at once the removal's. One removal, its timeline with the
 * rootfs' unmount counted.
 */
static void test_rm_force_one_removal(void **state)
{
	const struct rm_removal *r;

	(void)state;
	begin();
	docker_stop_calls(T0);
	docker_rm_calls(T0 + 30 * MS);
	tick(T0 + 39 * MS + 2 * SEC);
	assert_int_equal(rec.ntimelines, 1);
	assert_int_equal(rec.nalerts, 0);
	r = &rec.timelines[0].r;
	assert_false(r->failed);
	assert_int_equal(r->start_ns, T0 + 8 * MS); /* an unmount of no mount point is no call */
	assert_int_equal(r->umount_ok, 1);
	assert_int_equal(r->unlink_ok, 5);
	assert_int_equal(r->rmdir_ok, 7);
	removal_flush(rm, T0 + 60 * SEC);
	assert_int_equal(rec.nlog, 1);
}

/*
 * `podman rm -f` and `podman run --rm`: conmon removes its own files of the
 * run at the exit, then podman removes the container. One removal, from the
 * first of those calls, whose caller is the one that removed the container.
 */
static void test_caller_is_remover(void **state)
{
	struct st_fs_call fs = fs_call(ST_FS_UNLINKAT, 0, 0, FIFOS_A "/ctl", CONMON_PID);
	const struct rm_removal *r;

	(void)state;
	begin();
	snprintf(fs.caller.comm, sizeof(fs.caller.comm), "conmon");
	removal_event(rm, &fs, T0, FIFOS_A "/ctl", false, &A.c, T0 + LAT);
	docker_rm_calls(T0 + 30 * MS);
	tick(T0 + 39 * MS + 2 * SEC);
	assert_int_equal(rec.ntimelines, 1);
	r = &rec.timelines[0].r;
	assert_int_equal(r->start_ns, T0);
	assert_int_equal(r->caller_pid, DOCKERD_PID);
	assert_string_equal(r->caller_comm, "dockerd");
}

/*
 * Whether a container's removal is under way, for its stop's timeline: not
 * for the calls of a stop, from the first call on its layer or directory
 * on, and no more once the removal is over.
 */
static void test_removing(void **state)
{
	(void)state;
	begin();
	assert_false(removal_removing(rm, ID_A));
	docker_stop_calls(T0);
	assert_false(removal_removing(rm, ID_A));
	feed(&A, ST_FS_UNLINKAT, 0, 0, "/var/lib/docker/overlay2/l/OAGCPP74KEEY3Y3OVYWCPN",
	     T0 + 30 * MS);
	assert_false(removal_removing(rm, ID_A));
	docker_rm_calls(T0 + 31 * MS);
	assert_true(removal_removing(rm, ID_A));
	assert_false(removal_removing(rm, ID_B));
	tick(T0 + 40 * MS + 2 * SEC);
	assert_int_equal(rec.ntimelines, 1);
	assert_false(removal_removing(rm, ID_A));
}

/*
 * What fails in a stop is no failed removal: merged/ busy (a mount of it in
 * the caller's namespace) is the stop's, alerts nothing and writes nothing.
 * A removal after it that fails still alerts, once, with its own failures.
 */
static void test_stop_failure_no_removal(void **state)
{
	const struct rm_removal *r;

	(void)state;
	begin();
	feed(&A, ST_FS_UMOUNT, MNT_DETACH, 0, LAYER_A "/merged", T0);
	feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, -EBUSY, LAYER_A "/merged", T0 + 1 * MS);
	feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, 0, FIFOS_A, T0 + 2 * MS);
	tick(T0 + 2 * MS + 10 * SEC);
	assert_int_equal(removal_open(rm), 0);
	assert_int_equal(rec.nlog, 0);

	/* docker rm, then: EPERM on diff/keep, and the layer stays */
	feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, -ENOTEMPTY, LAYER_A, T0 + 60 * SEC);
	feed(&A, ST_FS_UNLINKAT, 0, -EPERM, KEEP_A, T0 + 60 * SEC + 1 * MS);
	feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, -ENOTEMPTY, DIFF_A, T0 + 60 * SEC + 2 * MS);
	remove_all_fails(&A, LAYER_A, T0 + 60 * SEC + 3 * MS);
	tick(T0 + 60 * SEC + 3 * MS + 2 * SEC);
	assert_int_equal(rec.nalerts, 1);
	assert_int_equal(rec.ntimelines, 1);
	assert_int_equal(rec.log[0], REC_ALERT);
	assert_int_equal(rec.alerts[0].cause.err, EPERM);
	assert_string_equal(rec.alerts[0].cause.path, KEEP_A);
	assert_true(rec.alerts[0].cause.immutable);
	r = &rec.timelines[0].r;
	assert_true(r->failed);
	assert_true(r->runtime_dead);
	assert_int_equal(r->nfailures, 3);
	assert_int_equal(r->failed_calls, 4);
	assert_int_equal(r->start_ns, T0 + 60 * SEC);
}

/* Go's RemoveAll after EPERM on diff/keep: its parents fail with ENOTEMPTY. */
static void eperm_scenario(uint64_t t)
{
	feed(&A, ST_FS_UMOUNT, MNT_DETACH, 0, LAYER_A "/merged", t);
	feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, 0, LAYER_A "/merged", t + 1 * MS);
	feed(&A, ST_FS_UNLINKAT, 0, 0, DIFF_A "/tmp.txt", t + 2 * MS);
	feed(&A, ST_FS_UNLINKAT, 0, -EPERM, KEEP_A, t + 3 * MS);
	feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, -ENOTEMPTY, DIFF_A, t + 4 * MS);
	feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, -ENOTEMPTY, LAYER_A, t + 5 * MS);
}

/*
 * S6 as seen here: an immutable file. Final after the quiet window (nobody
 * retries EPERM), written at a tick: one alert naming the EPERM (not the
 * ENOTEMPTY of its parents), with the file's attributes and Docker's dead
 * state, then the failed timeline with all three failures.
 */
static void test_eperm_immutable(void **state)
{
	const uint64_t last = T0 + 5 * MS;
	const struct rec_alert *ra;
	const struct rm_removal *r;

	(void)state;
	seq = 41; /* the stop engine has used 41 ids */
	begin();
	eperm_scenario(T0);
	assert_int_equal(removal_open(rm), 1);
	/* attributes are read at the failure, once, for the EPERM only */
	assert_int_equal(rec.nattr_calls, 1);
	assert_string_equal(rec.attr_calls[0].path, KEEP_A);
	assert_int_equal(rec.attr_calls[0].at, T0 + 3 * MS + LAT);
	assert_int_equal(rec.nholders_calls, 0);

	tick(last + 2 * SEC - 1);
	assert_int_equal(rec.nlog, 0);
	assert_int_equal(removal_open(rm), 1);
	tick(last + 2 * SEC);
	assert_int_equal(removal_open(rm), 0);
	assert_int_equal(rec.nalerts, 1);
	assert_int_equal(rec.ntimelines, 1);
	assert_int_equal(rec.nlog, 2);
	assert_int_equal(rec.log[0], REC_ALERT);
	assert_int_equal(rec.log[1], REC_TIMELINE);
	assert_int_equal(rec.ndead_calls, 1);

	ra = &rec.alerts[0];
	assert_int_equal(ra->a.alert_id, 42);
	assert_int_equal(seq, 42);
	assert_int_equal(ra->a.ts_ns, last + 2 * SEC);
	assert_int_equal(ra->a.event_ts_ns, T0 + 3 * MS);
	assert_int_equal(ra->at, last + 2 * SEC);
	assert_int_equal(ra->cause_idx, 0);
	assert_int_equal(ra->cause.op, ST_FS_UNLINKAT);
	assert_int_equal(ra->cause.err, EPERM);
	assert_string_equal(ra->cause.path, KEEP_A);
	assert_int_equal(ra->cause.attempts, 1);
	assert_false(ra->cause.resolved);
	assert_true(ra->cause.attrs_known);
	assert_true(ra->cause.immutable);
	assert_false(ra->cause.append_only);
	assert_int_equal(ra->cause.nholders, 0);
	assert_string_equal(ra->removal.container.id, ID_A);
	assert_true(ra->removal.failed);
	assert_true(ra->removal.runtime_dead);
	assert_string_equal(
		ra->a.message,
		"removing the container's storage failed: unlinkat " KEEP_A
		": EPERM after 1 attempt; Docker marked the container dead; the file is "
		"immutable (chattr +i)");
	assert_non_null(strstr(ra->a.action, "chattr -i"));

	r = &rec.timelines[0].r;
	assert_string_equal(r->container.id, ID_A);
	assert_true(r->failed);
	assert_true(r->runtime_dead);
	assert_true(r->removing);
	assert_int_equal(r->umount_ok, 1);
	assert_int_equal(r->rmdir_ok, 1);
	assert_int_equal(r->unlink_ok, 1);
	assert_int_equal(r->failed_calls, 3);
	assert_int_equal(r->nfailures, 3);
	assert_int_equal(r->failures_dropped, 0);
	assert_int_equal(r->start_ns, T0);
	assert_int_equal(r->last_ns, last);
	assert_int_equal(r->end_ns, last + 2 * SEC);
	assert_int_equal(r->failures[0].err, EPERM);
	assert_string_equal(r->failures[0].path, KEEP_A);
	assert_int_equal(r->failures[1].op, ST_FS_UNLINKAT);
	assert_int_equal(r->failures[1].err, ENOTEMPTY);
	assert_string_equal(r->failures[1].path, DIFF_A);
	assert_int_equal(r->failures[1].first_ns, T0 + 4 * MS);
	assert_false(r->failures[1].attrs_known);
	assert_int_equal(r->failures[2].err, ENOTEMPTY);
	assert_string_equal(r->failures[2].path, LAYER_A);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(r->failures[i].attempts, 1);
		assert_false(r->failures[i].resolved);
	}
	/* the cause is the first failure, whatever order they came in */
	assert_ptr_equal(removal_root_cause(r), &r->failures[0]);

	/* the next alert, from any engine, takes the next id */
	seq = 99;
	eperm_scenario(T0 + 60 * SEC);
	tick(T0 + 60 * SEC + 5 * MS + 2 * SEC);
	assert_int_equal(rec.nalerts, 2);
	assert_int_equal(rec.alerts[1].a.alert_id, 100);
	assert_int_equal(seq, 100);
}

/* Without a shared counter the engine numbers its alerts itself, from 1. */
static void test_own_alert_seq(void **state)
{
	(void)state;
	cfg.alert_seq = NULL;
	begin();
	eperm_scenario(T0);
	tick(T0 + 10 * SEC);
	eperm_scenario(T0 + 20 * SEC);
	tick(T0 + 30 * SEC);
	assert_int_equal(rec.nalerts, 2);
	assert_int_equal(rec.alerts[0].a.alert_id, 1);
	assert_int_equal(rec.alerts[1].a.alert_id, 2);
	assert_int_equal(seq, 0);
}

/*
 * EBUSY: what holds the path is asked at the failure (it may be gone at the
 * end) and kept on it. Docker retries EBUSY for about 5 s, so the quiet window
 * does not end the removal: the settle window does.
 */
static void test_ebusy_final_after_settle(void **state)
{
	uint64_t last = 0;
	const struct rec_alert *ra;
	const struct rec_timeline *t;
	const struct rm_removal *r;

	(void)state;
	cfg.quiet_ns = 1 * SEC;
	cfg.settle_ns = 7 * SEC;
	seq = 7;
	begin();
	stop_calls(&A, LAYER_A, T0);
	feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, -EBUSY, DATA_A, T0 + 10 * MS);
	assert_int_equal(rec.nholders_calls, 1);
	assert_int_equal(rec.holders_calls[0].pid, DOCKERD_PID);
	assert_string_equal(rec.holders_calls[0].path, DATA_A);
	assert_int_equal(rec.holders_calls[0].at, T0 + 10 * MS + LAT);
	assert_int_equal(rec.nattr_calls, 0);
	feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, -ENOTEMPTY, DIFF_A, T0 + 11 * MS);
	feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, -ENOTEMPTY, LAYER_A, T0 + 12 * MS);
	/* Docker's retries: unmount what is there, try again, every 100 ms */
	for (int i = 1; i <= 4; i++) {
		last = T0 + 10 * MS + (uint64_t)i * 100 * MS;
		feed(&A, ST_FS_UMOUNT, MNT_DETACH, 0, DATA_A, last - 1 * MS);
		feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, -EBUSY, DATA_A, last);
	}
	assert_int_equal(rec.nholders_calls, 1);

	tick(last + 1 * SEC);
	assert_int_equal(rec.nlog, 0);
	tick(last + 5 * SEC);
	assert_int_equal(rec.nlog, 0);
	assert_int_equal(removal_open(rm), 1);
	tick(last + 7 * SEC - 1);
	assert_int_equal(rec.nlog, 0);
	tick(last + 7 * SEC);
	assert_int_equal(removal_open(rm), 0);
	assert_int_equal(rec.nlog, 2);
	assert_int_equal(rec.log[0], REC_ALERT);
	assert_int_equal(rec.log[1], REC_TIMELINE);

	ra = &rec.alerts[0];
	assert_int_equal(ra->a.alert_id, 8);
	assert_int_equal(ra->cause.err, EBUSY);
	assert_int_equal(ra->cause.op, ST_FS_UNLINKAT);
	assert_string_equal(ra->cause.path, DATA_A);
	assert_int_equal(ra->cause.attempts, 5);
	assert_int_equal(ra->cause.first_ns, T0 + 10 * MS);
	assert_int_equal(ra->cause.last_ns, last);
	assert_int_equal(ra->a.event_ts_ns, last);
	assert_int_equal(ra->cause.nholders, 1);
	assert_string_equal(ra->holder.kind, "mount");
	assert_string_equal(ra->holder.mount_point, DATA_A);
	assert_int_equal(ra->holder.mount_namespace, HOLDER_MNTNS);
	assert_int_equal(ra->holder.pid, HOLDER_PID);
	assert_string_equal(ra->a.message,
			    "removing the container's storage failed: unlinkat " DATA_A
			    ": EBUSY after 5 attempts; Docker marked the container dead; " DATA_A
			    " is mounted there (mount namespace 4026532777)");
	assert_non_null(strstr(ra->a.action, "unmount"));

	t = &rec.timelines[0];
	r = &t->r;
	assert_true(r->failed);
	assert_int_equal(r->umount_ok, 5);
	assert_int_equal(r->rmdir_ok, 1);
	assert_int_equal(r->failed_calls, 7);
	assert_int_equal(r->nfailures, 3);
	assert_int_equal(r->failures[0].err, EBUSY);
	assert_int_equal(r->failures[0].nholders, 1);
	assert_string_equal(t->holder[0].mount_point, DATA_A);
	assert_string_equal(t->holder[0].source, "/dev/sdb1");
	assert_int_equal(r->failures[1].nholders, 0);
	assert_null(r->failures[1].holders);
	assert_int_equal(r->end_ns, last + 7 * SEC);
}

/*
 * The holder is not there at the first EBUSY (Docker had just unmounted it,
 * it was mounted again after): the lookup is repeated at the retries, no more
 * often than RM_HOLDERS_RETRY_NS, until it finds one; then never again.
 */
static void test_ebusy_holder_seen_later(void **state)
{
	const struct rec_alert *ra;
	uint64_t t = T0;

	(void)state;
	rec.holders_absent = 2;
	begin();
	feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, -EBUSY, DATA_A, t);
	assert_int_equal(rec.nholders_calls, 1);
	/* a retry sooner than the retry interval does not look again */
	t += RM_HOLDERS_RETRY_NS - 1;
	feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, -EBUSY, DATA_A, t);
	assert_int_equal(rec.nholders_calls, 1);
	t += 1;
	feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, -EBUSY, DATA_A, t);
	assert_int_equal(rec.nholders_calls, 2);
	for (int i = 0; i < 5; i++) {
		t += 100 * MS;
		feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, -EBUSY, DATA_A, t);
	}
	assert_int_equal(rec.nholders_calls, 3);
	remove_all_fails(&A, LAYER_A, t);
	tick(t + cfg.settle_ns);
	assert_int_equal(rec.nalerts, 1);
	ra = &rec.alerts[0];
	assert_int_equal(ra->cause.attempts, 8);
	assert_int_equal(ra->cause.nholders, 1);
	assert_string_equal(ra->holder.mount_point, DATA_A);
	assert_int_equal(ra->holder.mount_namespace, HOLDER_MNTNS);
}

/*
 * An EBUSY retried for seconds with nothing found: the holder scan runs at
 * most SCAN_PER_REMOVAL times for the removal, the skips are counted, and
 * the alert says its holders are incomplete (the rate limit).
 */
static void test_ebusy_scans_rate_limited(void **state)
{
	struct scan_limit_stats st;
	const struct rec_alert *ra;
	uint64_t t = T0;

	(void)state;
	rec.holders_absent = 1000;
	begin();
	for (int i = 0; i < 50; i++, t += 100 * MS)
		feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, -EBUSY, DATA_A, t);
	assert_int_equal(rec.nholders_calls, SCAN_PER_REMOVAL);
	removal_scan_stats(rm, &st);
	assert_int_equal(st.run, SCAN_PER_REMOVAL);
	assert_int_equal(st.skipped_removal, 50 - SCAN_PER_REMOVAL);
	assert_int_equal(st.skipped_container + st.skipped_global, 0);
	remove_all_fails(&A, LAYER_A, t);
	tick(t + cfg.settle_ns);
	assert_int_equal(rec.nalerts, 1);
	ra = &rec.alerts[0];
	assert_int_equal(ra->cause.attempts, 50);
	assert_int_equal(ra->cause.nholders, 0);
	assert_true(ra->cause.holders_cut & HOLDERS_CUT_RATE);
	assert_non_null(strstr(ra->a.message, "holders incomplete: rate limit"));
}

/* Removals of one container again and again: the container's window caps them. */
static void test_scans_per_container(void **state)
{
	struct scan_limit_stats st;
	uint64_t t = T0;

	(void)state;
	rec.holders_absent = 1000;
	begin();
	for (int r = 0; r < 3; r++) {
		for (int i = 0; i < SCAN_PER_REMOVAL; i++, t += 100 * MS)
			feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, -EBUSY, DATA_A, t);
		t += cfg.settle_ns;
		tick(t); /* the removal ends; the next one is another removal */
		t += SEC;
	}
	removal_scan_stats(rm, &st);
	assert_int_equal(st.run, SCAN_PER_CONTAINER);
	assert_int_equal(st.skipped_container, 3 * SCAN_PER_REMOVAL - SCAN_PER_CONTAINER);
	assert_int_equal(rec.nholders_calls, SCAN_PER_CONTAINER);
	/* a minute on, the container may be looked at again */
	t += SCAN_CONTAINER_WINDOW_NS;
	feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, -EBUSY, DATA_A, t);
	assert_int_equal(rec.nholders_calls, SCAN_PER_CONTAINER + 1);
}

/* Many containers at once: the host's window caps them all. */
static void test_scans_global(void **state)
{
	static struct ctr many[8];
	struct scan_limit_stats st;
	uint64_t t = T0;
	char id[80], data[RM_PATH_LEN];

	(void)state;
	rec.holders_absent = 1000;
	begin();
	for (int k = 0; k < 8; k++) {
		snprintf(id, sizeof(id), "%064d", k + 1);
		ctr_init(&many[k], id, "many");
		snprintf(data, sizeof(data), "%s/%s/diff/data", OVL, id);
		for (int i = 0; i < SCAN_PER_REMOVAL; i++, t += 60 * MS)
			feed(&many[k], ST_FS_UNLINKAT, AT_REMOVEDIR, -EBUSY, data, t);
	}
	assert_true(t - T0 < SCAN_GLOBAL_WINDOW_NS);
	removal_scan_stats(rm, &st);
	assert_int_equal(st.run, SCAN_GLOBAL);
	assert_int_equal(st.skipped_global, 8 * SCAN_PER_REMOVAL - SCAN_GLOBAL);
	assert_int_equal(rec.nholders_calls, SCAN_GLOBAL);
	removal_flush(rm, t);
}

/*
 * The scan off the event path: started at the EBUSY, not asked then; the
 * answer comes in as removal_holders_done() and is in the alert. No other
 * scan starts meanwhile (the retries wait for it); an answer for a removal
 * that is over is dropped without asking anything.
 */
static void test_holders_async(void **state)
{
	const struct rec_alert *ra;
	uint64_t t = T0;

	(void)state;
	memset(&started, 0, sizeof(started));
	rm = removal_new(&cfg, &async_facts, &listener, &rec);
	assert_non_null(rm);
	feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, -EBUSY, DATA_A, t);
	assert_int_equal(started.n, 1);
	assert_string_equal(started.id, ID_A);
	assert_string_equal(started.path, DATA_A);
	assert_int_equal(rec.nholders_calls, 0);
	for (int i = 0; i < 5; i++) {
		t += 100 * MS;
		feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, -EBUSY, DATA_A, t);
	}
	assert_int_equal(started.n, 1);		   /* pending: not started again */
	removal_holders_done(rm, ID_B, DATA_A, t); /* another container's: nothing */
	removal_holders_done(rm, ID_A, DIFF_A, t); /* another path: nothing */
	assert_int_equal(rec.nholders_calls, 0);
	removal_holders_done(rm, ID_A, DATA_A, t);
	assert_int_equal(rec.nholders_calls, 1);
	removal_holders_done(rm, ID_A, DATA_A, t); /* answered once */
	assert_int_equal(rec.nholders_calls, 1);
	remove_all_fails(&A, LAYER_A, t);
	tick(t + cfg.settle_ns);
	assert_int_equal(rec.nalerts, 1);
	ra = &rec.alerts[0];
	assert_int_equal(ra->cause.nholders, 1);
	assert_string_equal(ra->holder.mount_point, DATA_A);
	assert_int_equal(ra->cause.holders_cut, 0);
	/* over: a late answer asks nothing */
	removal_holders_done(rm, ID_A, DATA_A, t + cfg.settle_ns);
	assert_int_equal(rec.nholders_calls, 1);
}

/*
 * At most RM_HOLDERS_PENDING_MAX scans wait for their answer: the next one
 * is skipped (counted with the host's limit, said as the rate limit), by
 * the engine's own count, so that a replay skips the same; an answer frees
 * a place.
 */
static void test_holders_pending_max(void **state)
{
	static struct ctr many[RM_HOLDERS_PENDING_MAX + 1];
	struct scan_limit_stats st;
	char id[80], data[RM_HOLDERS_PENDING_MAX + 1][RM_PATH_LEN];
	uint64_t t = T0;

	(void)state;
	memset(&started, 0, sizeof(started));
	rm = removal_new(&cfg, &async_facts, &listener, &rec);
	assert_non_null(rm);
	for (int k = 0; k <= RM_HOLDERS_PENDING_MAX; k++) {
		snprintf(id, sizeof(id), "%064d", k + 1);
		ctr_init(&many[k], id, "many");
		snprintf(data[k], sizeof(data[k]), "%s%s/diff/data", OVL, id);
		feed(&many[k], ST_FS_UNLINKAT, AT_REMOVEDIR, -EBUSY, data[k], t);
	}
	assert_int_equal(started.n, RM_HOLDERS_PENDING_MAX);
	removal_scan_stats(rm, &st);
	assert_int_equal(st.run, RM_HOLDERS_PENDING_MAX);
	assert_int_equal(st.skipped_global, 1);
	/* one answer: the last container's retry starts its scan */
	removal_holders_done(rm, many[0].c.id, data[0], t);
	t += RM_HOLDERS_RETRY_NS;
	feed(&many[RM_HOLDERS_PENDING_MAX], ST_FS_UNLINKAT, AT_REMOVEDIR, -EBUSY,
	     data[RM_HOLDERS_PENDING_MAX], t);
	assert_int_equal(started.n, RM_HOLDERS_PENDING_MAX + 1);
	removal_flush(rm, t);
}

/* A busy worker: the scan is skipped, counted, and said (rate limit). */
static void test_holders_async_busy(void **state)
{
	struct scan_limit_stats st;

	(void)state;
	memset(&started, 0, sizeof(started));
	started.busy = true;
	rm = removal_new(&cfg, &async_facts, &listener, &rec);
	assert_non_null(rm);
	feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, -EBUSY, DATA_A, T0);
	remove_all_fails(&A, LAYER_A, T0);
	removal_scan_stats(rm, &st);
	assert_int_equal(st.run, 0);
	assert_int_equal(st.skipped_global, 1);
	assert_int_equal(rec.nholders_calls, 0);
	tick(T0 + cfg.settle_ns);
	assert_int_equal(rec.nalerts, 1);
	assert_true(rec.alerts[0].cause.holders_cut & HOLDERS_CUT_RATE);
}

/*
 * Docker's retry succeeds before the settle window: the EBUSY was transient.
 * On the timeline (resolved), outcome removed, no alert; the removal then
 * ends after the quiet window like any removal with no open failure.
 */
static void test_ebusy_resolved_by_retry(void **state)
{
	const struct rm_removal *r;

	(void)state;
	begin();
	feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, -EBUSY, DATA_A, T0);
	feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, -ENOTEMPTY, DIFF_A, T0 + 1 * MS);
	feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, -ENOTEMPTY, LAYER_A, T0 + 2 * MS);
	tick(T0 + 2 * MS + 2 * SEC); /* quiet window: EBUSY keeps it open */
	assert_int_equal(removal_open(rm), 1);
	assert_int_equal(rec.nlog, 0);
	/* an unmount alone is no success on the path */
	feed(&A, ST_FS_UMOUNT, MNT_DETACH, 0, DATA_A, T0 + 3 * SEC);
	tick(T0 + 3 * SEC + 2 * SEC);
	assert_int_equal(removal_open(rm), 1);
	assert_int_equal(rec.nlog, 0);
	feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, 0, DATA_A, T0 + 4 * SEC);
	feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, 0, DIFF_A, T0 + 4 * SEC + 1 * MS);
	feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, 0, LAYER_A, T0 + 4 * SEC + 2 * MS);
	tick(T0 + 4 * SEC + 2 * MS + 2 * SEC - 1);
	assert_int_equal(removal_open(rm), 1);
	tick(T0 + 4 * SEC + 2 * MS + 2 * SEC);
	assert_int_equal(removal_open(rm), 0);
	assert_int_equal(rec.nalerts, 0);
	assert_int_equal(rec.ntimelines, 1);
	assert_int_equal(seq, 0);

	r = &rec.timelines[0].r;
	assert_false(r->failed);
	assert_false(r->runtime_dead);
	assert_int_equal(r->nfailures, 3);
	assert_int_equal(r->failed_calls, 3);
	assert_int_equal(r->rmdir_ok, 3);
	assert_int_equal(r->umount_ok, 1);
	for (int i = 0; i < 3; i++)
		assert_true(r->failures[i].resolved);
	assert_int_equal(r->failures[0].err, EBUSY);
	assert_int_equal(r->failures[0].nholders, 1);
	assert_string_equal(rec.timelines[0].holder[0].mount_point, DATA_A);
	assert_null(removal_root_cause(r));
}

/*
 * containerd unmounts a rootfs without MNT_DETACH and retries EBUSY (50 times,
 * 50 ms apart): an unmount that fails, then succeeds on the same mount point,
 * was transient like any other failure a later success undoes, even when the
 * mount point's directory is not removed in the same removal.
 */
static void test_umount_ebusy_retried(void **state)
{
	const char *rootfs = "/run/containerd/io.containerd.runtime.v2.task/moby/" ID_A "/rootfs";
	const struct rm_removal *r;
	uint64_t t = T0;

	(void)state;
	begin();
	for (int i = 0; i < 3; i++, t += 50 * MS)
		feed(&A, ST_FS_UMOUNT, 0, -EBUSY, rootfs, t);
	feed(&A, ST_FS_UMOUNT, 0, 0, rootfs, t);
	feed(&A, ST_FS_UNLINKAT, 0, 0, DIFF_A "/f", t + 1 * MS);
	feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, 0, DIFF_A, t + 2 * MS);
	feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, 0, LAYER_A, t + 3 * MS);
	assert_int_equal(rec.nholders_calls, 1);
	tick(t + 3 * MS + 2 * SEC);
	assert_int_equal(removal_open(rm), 0);
	assert_int_equal(rec.ntimelines, 1);
	r = &rec.timelines[0].r;
	assert_int_equal(r->umount_ok, 1);
	assert_int_equal(r->failed_calls, 3);
	assert_int_equal(r->nfailures, 1);
	assert_int_equal(r->failures[0].op, ST_FS_UMOUNT);
	assert_int_equal(r->failures[0].attempts, 3);
	assert_true(r->failures[0].resolved);
	assert_false(r->failed);
	assert_int_equal(rec.nalerts, 0);
}

/*
 * A directory removed above a failed path undoes the failure; a success on a
 * sibling whose name merely starts the same does not.
 */
static void test_ebusy_resolved_by_parent(void **state)
{
	const struct rm_removal *r;

	(void)state;
	begin();
	/* A: the parent goes, so data/ went with it */
	feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, -EBUSY, DATA_A, T0);
	feed(&A, ST_FS_RMDIR, 0, 0, LAYER_A, T0 + 1 * SEC);
	/* B: only siblings of data/ go */
	feed(&B, ST_FS_UNLINKAT, AT_REMOVEDIR, -EBUSY, DIFF_B "/data", T0);
	feed(&B, ST_FS_UNLINKAT, AT_REMOVEDIR, 0, DIFF_B "/data2", T0 + 1 * SEC);
	feed(&B, ST_FS_UNLINKAT, 0, 0, DIFF_B "/dat", T0 + 1 * SEC + 1 * MS);
	feed(&B, ST_FS_UNLINKAT, 0, 0, DIFF_B "/data/x", T0 + 1 * SEC + 2 * MS);
	remove_all_fails(&B, LAYER_B, T0 + 1 * SEC + 2 * MS);

	tick(T0 + 1 * SEC + 2 * MS + 2 * SEC);
	assert_int_equal(rec.nalerts, 0);
	assert_int_equal(rec.ntimelines, 1);
	r = &rec.timelines[0].r;
	assert_string_equal(r->container.id, ID_A);
	assert_false(r->failed);
	assert_int_equal(r->nfailures, 1);
	assert_true(r->failures[0].resolved);
	assert_int_equal(r->rmdir_ok, 1);

	tick(T0 + 1 * SEC + 2 * MS + 10 * SEC);
	assert_int_equal(rec.nalerts, 1);
	assert_int_equal(rec.ntimelines, 2);
	assert_string_equal(rec.alerts[0].removal.container.id, ID_B);
	assert_int_equal(rec.alerts[0].cause.err, EBUSY);
	assert_string_equal(rec.alerts[0].cause.path, DIFF_B "/data");
	assert_false(rec.alerts[0].cause.resolved);
	assert_true(rec.timelines[1].r.failed);
	assert_int_equal(rec.timelines[1].r.rmdir_ok, 1);
	assert_int_equal(rec.timelines[1].r.unlink_ok, 2);
}

/*
 * The same call failing the same way again is one failure with more
 * attempts; another op, errno or path is another failure.
 */
static void test_repeated_failures(void **state)
{
	const struct rm_removal *r;

	(void)state;
	begin();
	feed(&A, ST_FS_UNLINKAT, 0, -EPERM, KEEP_A, T0);
	feed(&A, ST_FS_UNLINKAT, 0, -EPERM, KEEP_A, T0 + 300 * MS);
	feed(&A, ST_FS_UNLINKAT, 0, -EACCES, KEEP_A, T0 + 400 * MS);
	feed(&A, ST_FS_UNLINK, 0, -EPERM, KEEP_A, T0 + 500 * MS);
	feed(&A, ST_FS_UNLINKAT, 0, -EPERM, DIFF_A "/keep2", T0 + 600 * MS);
	feed(&A, ST_FS_UNLINKAT, 0, -EPERM, KEEP_A, T0 + 700 * MS);
	remove_all_fails(&A, LAYER_A, T0 + 700 * MS);
	tick(T0 + 700 * MS + 2 * SEC);
	assert_int_equal(rec.ntimelines, 1);
	assert_int_equal(rec.nalerts, 1);

	r = &rec.timelines[0].r;
	assert_int_equal(r->failed_calls, 7);
	assert_int_equal(r->nfailures, 5);
	assert_int_equal(r->failures[0].op, ST_FS_UNLINKAT);
	assert_int_equal(r->failures[0].err, EPERM);
	assert_string_equal(r->failures[0].path, KEEP_A);
	assert_int_equal(r->failures[0].attempts, 3);
	assert_int_equal(r->failures[0].first_ns, T0);
	assert_int_equal(r->failures[0].last_ns, T0 + 700 * MS);
	assert_int_equal(r->failures[1].err, EACCES);
	assert_int_equal(r->failures[1].attempts, 1);
	assert_int_equal(r->failures[2].op, ST_FS_UNLINK);
	assert_int_equal(r->failures[2].attempts, 1);
	assert_string_equal(r->failures[3].path, DIFF_A "/keep2");
	assert_int_equal(r->failures[3].attempts, 1);
	assert_int_equal(r->failures[3].first_ns, T0 + 600 * MS);
	/* attributes were read once per new EPERM failure, not per attempt */
	assert_int_equal(rec.nattr_calls, 3);
	assert_int_equal(rec.alerts[0].cause_idx, 0);
	assert_int_equal(rec.alerts[0].a.event_ts_ns, T0 + 700 * MS);
	assert_non_null(strstr(rec.alerts[0].a.message, ": EPERM after 3 attempts;"));
}

/* Past RM_MAX_FAILURES distinct failures, the rest are counted as dropped. */
static void test_failures_dropped(void **state)
{
	const int n = RM_MAX_FAILURES + 3;
	const struct rm_removal *r;
	char path[RM_PATH_LEN];

	(void)state;
	begin();
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), DIFF_A "/f%d", i);
		feed(&A, ST_FS_UNLINKAT, 0, -EACCES, path, T0 + (uint64_t)i * MS);
	}
	/* a repeat of a kept failure is an attempt, not a drop */
	feed(&A, ST_FS_UNLINKAT, 0, -EACCES, DIFF_A "/f1", T0 + 50 * MS);
	remove_all_fails(&A, LAYER_A, T0 + 50 * MS); /* dropped too, but a removal */
	tick(T0 + 50 * MS + 2 * SEC);
	assert_int_equal(rec.ntimelines, 1);
	r = &rec.timelines[0].r;
	assert_int_equal(r->nfailures, RM_MAX_FAILURES);
	assert_int_equal(r->failures_dropped, 4);
	assert_int_equal(r->failed_calls, n + 2);
	assert_int_equal(r->failures[1].attempts, 2);
	assert_string_equal(r->failures[RM_MAX_FAILURES - 1].path, DIFF_A "/f7");
	assert_true(r->failed);
	assert_int_equal(rec.nalerts, 1);
	assert_string_equal(rec.alerts[0].cause.path, DIFF_A "/f0");
	assert_int_equal(rec.alerts[0].cause.err, EACCES);
}

/*
 * Only ENOTEMPTY left open (the EPERM below was undone by a retry): nothing
 * better names the failure, so the earliest ENOTEMPTY does.
 */
static void test_enotempty_only(void **state)
{
	const struct rec_alert *ra;

	(void)state;
	begin();
	feed(&A, ST_FS_UNLINKAT, 0, -EPERM, KEEP_A, T0);
	feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, -ENOTEMPTY, DIFF_A, T0 + 1 * MS);
	feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, -ENOTEMPTY, LAYER_A, T0 + 2 * MS);
	feed(&A, ST_FS_UNLINKAT, 0, 0, KEEP_A, T0 + 3 * MS);
	tick(T0 + 3 * MS + 2 * SEC);
	assert_int_equal(rec.nalerts, 1);
	assert_int_equal(rec.ntimelines, 1);
	ra = &rec.alerts[0];
	assert_int_equal(ra->cause.err, ENOTEMPTY);
	assert_string_equal(ra->cause.path, DIFF_A);
	assert_int_equal(ra->cause_idx, 1);
	assert_string_equal(ra->a.message,
			    "removing the container's storage failed: unlinkat " DIFF_A
			    ": ENOTEMPTY after 1 attempt; Docker marked the "
			    "container dead");
	assert_true(rec.timelines[0].r.failed);
	assert_true(rec.timelines[0].r.failures[0].resolved);
	assert_false(rec.timelines[0].r.failures[1].resolved);
}

/* The cause is the earliest unresolved failure that is not ENOTEMPTY. */
static void test_root_cause(void **state)
{
	struct rm_removal r;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_null(removal_root_cause(&r));
	r.nfailures = 5;
	r.failures[0].err = ENOTEMPTY;
	r.failures[0].first_ns = 1;
	r.failures[1].err = EPERM;
	r.failures[1].first_ns = 2;
	r.failures[1].resolved = true;
	r.failures[2].err = EACCES;
	r.failures[2].first_ns = 5;
	r.failures[3].err = EBUSY;
	r.failures[3].first_ns = 4;
	r.failures[4].err = ENOTEMPTY;
	r.failures[4].first_ns = 0;
	assert_ptr_equal(removal_root_cause(&r), &r.failures[3]);
	r.failures[3].resolved = true;
	assert_ptr_equal(removal_root_cause(&r), &r.failures[2]);
	r.failures[2].resolved = true;
	assert_ptr_equal(removal_root_cause(&r), &r.failures[4]);
	r.failures[0].resolved = true;
	r.failures[4].resolved = true;
	assert_null(removal_root_cause(&r));
}

/* Flushing writes every open removal at once, alert first; stops stay silent. */
static void test_flush(void **state)
{
	(void)state;
	seq = 5;
	begin();
	feed(&A, ST_FS_UNLINKAT, AT_REMOVEDIR, -EBUSY, DATA_A, T0);
	remove_all_fails(&A, LAYER_A, T0);
	feed(&B, ST_FS_UNLINKAT, 0, 0, DIFF_B "/x", T0 + 1 * MS);
	feed(&B, ST_FS_UNLINKAT, AT_REMOVEDIR, 0, DIR_B, T0 + 1 * MS);
	stop_calls(&A, LAYER_A, T0 + 2 * MS); /* joins A's open removal */
	assert_int_equal(removal_open(rm), 2);
	tick(T0 + 1 * SEC);
	assert_int_equal(removal_open(rm), 2);
	assert_int_equal(rec.nlog, 0);

	rec.now = T0 + 1500 * MS;
	removal_flush(rm, rec.now);
	assert_int_equal(removal_open(rm), 0);
	assert_int_equal(rec.ntimelines, 2);
	assert_int_equal(rec.nalerts, 1);
	assert_int_equal(rec.alerts[0].a.alert_id, 6);
	assert_string_equal(rec.alerts[0].removal.container.id, ID_A);
	assert_int_equal(rec.alerts[0].cause.err, EBUSY);
	assert_int_equal(rec.alerts[0].a.ts_ns, T0 + 1500 * MS);
	for (size_t i = 0, j = 0; i < rec.ntimelines; i++, j++) {
		const struct rm_removal *r = &rec.timelines[i].r;

		/* j: the timeline's place in the log; A's alert comes just before it */
		if (rec.log[j] == REC_ALERT)
			j++;
		assert_int_equal(rec.log[j], REC_TIMELINE);
		assert_int_equal(r->end_ns, T0 + 1500 * MS);
		if (!strcmp(r->container.id, ID_A)) {
			assert_true(r->failed);
			assert_int_equal(r->umount_ok, 1);
			assert_int_equal(r->rmdir_ok, 1);
			assert_true(j > 0);
			assert_int_equal(rec.log[j - 1], REC_ALERT);
		} else {
			assert_string_equal(r->container.id, ID_B);
			assert_false(r->failed);
			assert_int_equal(r->unlink_ok, 1);
			assert_int_equal(r->rmdir_ok, 1);
		}
	}

	/* a stop alone is flushed silently */
	stop_calls(&B, LAYER_B, T0 + 3 * SEC);
	assert_int_equal(removal_open(rm), 1);
	removal_flush(rm, T0 + 3 * SEC);
	assert_int_equal(removal_open(rm), 0);
	assert_int_equal(rec.ntimelines, 2);
	removal_flush(rm, T0 + 4 * SEC);
	assert_int_equal(rec.nlog, 3);
}

/* A call with no container, or one whose id is unknown, is not a removal. */
static void test_no_container(void **state)
{
	struct container none;

	(void)state;
	begin();
	memset(&none, 0, sizeof(none));
	none.runtime = RUNTIME_DOCKER;
	feed(NULL, ST_FS_UNLINKAT, 0, -EPERM, KEEP_A, T0);
	feed(NULL, ST_FS_UNLINKAT, AT_REMOVEDIR, -EBUSY, DATA_A, T0);
	feed_pid(&none, ST_FS_UNLINKAT, 0, -EPERM, KEEP_A, T0 + 1 * MS, DOCKERD_PID);
	feed_pid(&none, ST_FS_UNLINKAT, 0, 0, DIFF_A "/x", T0 + 2 * MS, DOCKERD_PID);
	assert_int_equal(removal_open(rm), 0);
	assert_int_equal(rec.nattr_calls, 0);
	assert_int_equal(rec.nholders_calls, 0);
	tick(T0 + 60 * SEC);
	removal_flush(rm, T0 + 60 * SEC);
	assert_int_equal(rec.nlog, 0);

	/* the same call for a known container is one */
	feed(&A, ST_FS_UNLINKAT, 0, -EPERM, KEEP_A, T0 + 61 * SEC);
	remove_all_fails(&A, LAYER_A, T0 + 61 * SEC);
	assert_int_equal(removal_open(rm), 1);
	removal_flush(rm, T0 + 62 * SEC);
	assert_int_equal(rec.nalerts, 1);
	assert_int_equal(rec.ntimelines, 1);
	assert_int_equal(rec.timelines[0].r.nfailures, 2);
}

/* At most max_open removals at once: the next is refused and counted. */
static void test_bound(void **state)
{
	(void)state;
	cfg.max_open = 1;
	begin();
	stop_calls(&A, OVL "aaa", 1 * SEC);
	assert_int_equal(removal_open(rm), 1);
	stop_calls(&B, OVL "bbb", 1 * SEC + 5 * MS);
	assert_int_equal(removal_open(rm), 1);
	assert_int_equal(removal_full(rm), 2);
	/* more calls of the open one are its, not refused */
	stop_calls(&A, OVL "aaa", 1 * SEC + 10 * MS);
	assert_int_equal(removal_full(rm), 2);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		T(test_bound),
		T(test_interleaved),
		T(test_counts_and_umount_einval),
		T(test_stop_writes_nothing),
		T(test_rm_force_one_removal),
		T(test_caller_is_remover),
		T(test_removing),
		T(test_stop_failure_no_removal),
		T(test_eperm_immutable),
		T(test_own_alert_seq),
		T(test_ebusy_final_after_settle),
		T(test_ebusy_holder_seen_later),
		T(test_ebusy_scans_rate_limited),
		T(test_scans_per_container),
		T(test_scans_global),
		T(test_holders_async),
		T(test_holders_async_busy),
		T(test_holders_pending_max),
		T(test_ebusy_resolved_by_retry),
		T(test_umount_ebusy_retried),
		T(test_ebusy_resolved_by_parent),
		T(test_repeated_failures),
		T(test_failures_dropped),
		T(test_enotempty_only),
		cmocka_unit_test(test_root_cause),
		T(test_flush),
		T(test_no_container),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
