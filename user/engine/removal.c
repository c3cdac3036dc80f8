// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The removal engine: see removal.h for what a removal is, when a failure
 * is transient and when it is final.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/event.h"
#include "host/holders.h"
#include "lib/names.h"
#include "engine/removal.h"
#include "host/scan_limit.h"

#define NSEC_PER_SEC 1000000000ULL

/*
 * Open removals at once: each is looked up by a walk of the list, so the
 * bound keeps a removal call's cost low; a runtime removes containers one
 * by one, and 1024 at once is far beyond a whole node's `docker rm`.
 */
#define RM_OPEN_MAX 1024

struct open_removal {
	struct open_removal *next;
	struct rm_removal rm;
};

struct removal {
	struct rm_config cfg;
	struct rm_facts facts;
	struct rm_listener listener;
	void *ctx;
	uint64_t own_seq;
	size_t open;
	uint64_t full;		   /* removals refused at RM_OPEN_MAX */
	struct open_removal *list; /* removals are rare: a list will do */
	struct scan_limit *scans;
	unsigned int scans_pending; /* started with holders_start, not yet done */
};

void rm_config_defaults(struct rm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->settle_ns = 10 * NSEC_PER_SEC;
	cfg->quiet_ns = 2 * NSEC_PER_SEC;
	cfg->max_open = RM_OPEN_MAX;
}

struct removal *removal_new(const struct rm_config *cfg, const struct rm_facts *facts,
			    const struct rm_listener *listener, void *ctx)
{
	struct removal *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->cfg = *cfg;
	if (!r->cfg.alert_seq)
		r->cfg.alert_seq = &r->own_seq;
	if (facts)
		r->facts = *facts;
	r->listener = *listener;
	r->ctx = ctx;
	r->scans = scan_limit_new();
	if (!r->scans) {
		free(r);
		return NULL;
	}
	return r;
}

static void free_failures(struct rm_removal *rm)
{
	for (int i = 0; i < rm->nfailures; i++)
		free(rm->failures[i].holders);
}

void removal_free(struct removal *r)
{
	if (!r)
		return;
	while (r->list) {
		struct open_removal *o = r->list;

		r->list = o->next;
		free_failures(&o->rm);
		free(o);
	}
	scan_limit_free(r->scans);
	free(r);
}

size_t removal_open(const struct removal *r)
{
	return r->open;
}

bool removal_removing(const struct removal *r, const char *id)
{
	for (const struct open_removal *o = r->list; o; o = o->next)
		if (!strcmp(o->rm.container.id, id))
			return o->rm.removing;
	return false;
}

uint64_t removal_full(const struct removal *r)
{
	return r ? r->full : 0;
}

void removal_scan_stats(const struct removal *r, struct scan_limit_stats *out)
{
	scan_limit_stats(r ? r->scans : NULL, out);
}

/* path is p, or below it. */
static bool at_or_under(const char *path, const char *p)
{
	size_t n = strlen(p);

	return !strncmp(path, p, n) && (path[n] == '\0' || path[n] == '/');
}

const struct rm_failure *removal_root_cause(const struct rm_removal *rm)
{
	const struct rm_failure *best = NULL, *any = NULL;

	for (int i = 0; i < rm->nfailures; i++) {
		const struct rm_failure *f = &rm->failures[i];

		if (f->resolved)
			continue;
		if (!any || f->first_ns < any->first_ns)
			any = f;
		/* parents fail with ENOTEMPTY after the real failure below them */
		if (f->err != ENOTEMPTY && (!best || f->first_ns < best->first_ns))
			best = f;
	}
	return best ? best : any;
}

static struct open_removal *find(struct removal *r, const char *id)
{
	for (struct open_removal *o = r->list; o; o = o->next)
		if (!strcmp(o->rm.container.id, id))
			return o;
	return NULL;
}

/*
 * What keeps an EBUSY path busy; asked when it happens, it may be gone by
 * the end. Within the rate limits only: a skipped look leaves the failure
 * incomplete.
 */
static void ask_holders(struct removal *r, struct rm_failure *f);

static void find_holders(struct removal *r, struct rm_removal *rm, struct rm_failure *f,
			 uint32_t caller, uint64_t ts)
{
	if (!r->facts.holders)
		return;
	f->holders_ns = ts;
	if (scan_limit_ask(r->scans, rm->container.id, &rm->holder_scans, ts) != SCAN_RUN) {
		f->holders_cut |= HOLDERS_CUT_RATE;
		return;
	}
	f->holders_caller = caller;
	if (r->facts.holders_start) {
		int started =
			r->scans_pending >= RM_HOLDERS_PENDING_MAX
				? -EBUSY
				: r->facts.holders_start(r->ctx, rm->container.id, caller, f->path);

		if (started > 0) {
			f->holders_pending = true;
			r->scans_pending++;
			return;
		}
		if (started < 0) { /* the worker is busy: as if the host's limit said no */
			scan_limit_busy(r->scans);
			f->holders_cut |= HOLDERS_CUT_RATE;
			return;
		}
	}
	ask_holders(r, f);
}

/* Ask the holders fact for f and keep the answer. */
static void ask_holders(struct removal *r, struct rm_failure *f)
{
	uint32_t cut = 0;
	int n;

	if (!f->holders)
		f->holders = calloc(RM_MAX_HOLDERS, sizeof(*f->holders));
	if (!f->holders)
		return;
	n = r->facts.holders(r->ctx, f->holders_caller, f->path, f->holders, RM_MAX_HOLDERS, &cut);
	f->nholders = n < 0 ? 0 : n > RM_MAX_HOLDERS ? RM_MAX_HOLDERS : n;
	f->holders_cut = cut;
	if (cut)
		scan_limit_incomplete(r->scans);
}

static void note_failure(struct removal *r, struct rm_removal *rm, const struct st_fs_call *fs,
			 uint64_t ts, const char *path)
{
	int err = -fs->ret;
	struct rm_failure *f;

	rm->failed_calls++;
	for (int i = 0; i < rm->nfailures; i++) {
		f = &rm->failures[i];
		if (f->op == fs->op && f->err == err && !strcmp(f->path, path)) {
			f->attempts++;
			f->last_ns = ts;
			f->resolved = false;
			/*
			 * The holder may come and go between attempts (a mount
			 * made again after each unmount): until one is seen,
			 * look again at the retries.
			 */
			if (err == EBUSY && !f->nholders && !f->holders_pending &&
			    ts - f->holders_ns >= RM_HOLDERS_RETRY_NS)
				find_holders(r, rm, f, fs->caller.tgid, ts);
			return;
		}
	}
	if (rm->nfailures == RM_MAX_FAILURES) {
		rm->failures_dropped++;
		return;
	}
	f = &rm->failures[rm->nfailures++];
	memset(f, 0, sizeof(*f));
	f->op = fs->op;
	f->err = err;
	snprintf(f->path, sizeof(f->path), "%s", path);
	f->attempts = 1;
	f->first_ns = ts;
	f->last_ns = ts;
	/* what explains it has to be looked at now: it may be gone by the end */
	if (err == EPERM && r->facts.attributes)
		f->attrs_known = !r->facts.attributes(r->ctx, path, &f->immutable, &f->append_only);
	if (err == EBUSY)
		find_holders(r, rm, f, fs->caller.tgid, ts);
}

static void note_success(struct rm_removal *rm, const struct st_fs_call *fs, const char *path)
{
	switch (fs->op) {
	case ST_FS_UMOUNT:
		rm->umount_ok++;
		break;
	case ST_FS_RMDIR:
		rm->rmdir_ok++;
		break;
	case ST_FS_UNLINKAT:
		if (fs->flags & 0x200) /* AT_REMOVEDIR */
			rm->rmdir_ok++;
		else
			rm->unlink_ok++;
		break;
	default:
		rm->unlink_ok++;
		break;
	}
	for (int i = 0; i < rm->nfailures; i++) {
		struct rm_failure *f = &rm->failures[i];

		/*
		 * A removal of a path, or of a directory above it, undoes its
		 * failures; a successful unmount undoes failed unmounts of that
		 * mount point (containerd retries without MNT_DETACH).
		 */
		if (fs->op == ST_FS_UMOUNT ? f->op == ST_FS_UMOUNT && !strcmp(f->path, path)
					   : at_or_under(f->path, path))
			f->resolved = true;
	}
}

void removal_event(struct removal *r, const struct st_fs_call *fs, uint64_t ts_ns, const char *path,
		   bool whole, const struct container *c, uint64_t now_ns)
{
	struct open_removal *o;

	(void)now_ns;
	if (!c || !c->id[0])
		return;
	if (fs->op == ST_FS_UMOUNT && fs->ret == -EINVAL)
		return; /* not a mount point: runtimes unmount before removing, mounted or not */
	o = find(r, c->id);
	if (!o) {
		if (r->open >= r->cfg.max_open) {
			r->full++;
			return;
		}
		o = calloc(1, sizeof(*o));
		if (!o)
			return;
		o->rm.container = *c;
		o->rm.start_ns = ts_ns;
		o->rm.caller_pid = fs->caller.tgid;
		memcpy(o->rm.caller_comm, fs->caller.comm, ST_COMM_LEN);
		o->next = r->list;
		r->list = o;
		r->open++;
	}
	if (ts_ns > o->rm.last_ns)
		o->rm.last_ns = ts_ns;
	/*
	 * The runtime removes, or fails to remove, the container itself. Its
	 * caller is the removal's: the stop's clean-up before it may be another
	 * process's (podman's conmon removes its own files at the exit).
	 */
	if (whole && fs->op != ST_FS_UMOUNT && !o->rm.removing) {
		o->rm.removing = true;
		o->rm.caller_pid = fs->caller.tgid;
		memcpy(o->rm.caller_comm, fs->caller.comm, ST_COMM_LEN);
	}
	if (fs->ret < 0)
		note_failure(r, &o->rm, fs, ts_ns, path);
	else
		note_success(&o->rm, fs, path);
}

static void alert_failed(struct removal *r, struct rm_removal *rm, uint64_t now)
{
	const struct rm_failure *f = removal_root_cause(rm);
	const char *en, *op;
	struct rm_alert a;
	size_t n;

	if (!f)
		return;
	en = errno_name(f->err);
	op = fs_op_name(f->op);
	memset(&a, 0, sizeof(a));
	a.alert_id = ++*r->cfg.alert_seq;
	a.ts_ns = now;
	a.event_ts_ns = f->last_ns;
	a.removal = rm;
	a.cause = f;
	n = (size_t)snprintf(
		a.message, sizeof(a.message),
		"removing the container's storage failed: %s %s: %s after %u attempt%s",
		op ? op : "?", f->path, en ? en : "error", f->attempts,
		f->attempts == 1 ? "" : "s");
	if (rm->runtime_dead && n < sizeof(a.message))
		n += (size_t)snprintf(a.message + n, sizeof(a.message) - n,
				      "; Docker marked the container dead");
	if (f->err == EPERM && f->attrs_known && (f->immutable || f->append_only)) {
		if (n < sizeof(a.message))
			snprintf(a.message + n, sizeof(a.message) - n, "; the file is %s",
				 f->immutable ? "immutable (chattr +i)"
					      : "append-only (chattr +a)");
		snprintf(a.action, sizeof(a.action),
			 "chattr -%c the file, then remove the container again (docker rm)",
			 f->immutable ? 'i' : 'a');
	} else if (f->err == EBUSY && f->nholders) {
		if (n < sizeof(a.message))
			snprintf(a.message + n, sizeof(a.message) - n,
				 "; %s is mounted there (mount namespace %llu)",
				 f->holders[0].mount_point,
				 (unsigned long long)f->holders[0].mount_namespace);
		snprintf(a.action, sizeof(a.action),
			 "unmount what is mounted there (or stop the process whose mount namespace "
			 "holds it), then remove the container again");
	} else if (f->err == EBUSY) {
		snprintf(a.action, sizeof(a.action),
			 "find what keeps it busy (a mount in another mount namespace, a process "
			 "using it), then remove the container again");
	} else {
		snprintf(a.action, sizeof(a.action),
			 "fix what the error names, then remove the container again (docker rm)");
	}
	if (f->err == EBUSY && f->holders_cut) {
		char why[160];

		n = strlen(a.message);
		snprintf(a.message + n, sizeof(a.message) - n, "; holders incomplete: %s",
			 holders_cut_text(f->holders_cut, why, sizeof(why)));
	}
	r->listener.alert(r->ctx, &a);
}

static void end_removal(struct removal *r, struct open_removal **pp, uint64_t now)
{
	struct open_removal *o = *pp;
	struct rm_removal *rm = &o->rm;

	rm->end_ns = now;
	rm->failed = removal_root_cause(rm) != NULL;
	if (rm->failed && r->facts.runtime_dead)
		rm->runtime_dead = r->facts.runtime_dead(r->ctx, &rm->container);
	/* a stop's unmounts and removals alone are no removal: nothing is written */
	if (rm->removing) {
		/* the alert first: it is what an operator must see */
		if (rm->failed)
			alert_failed(r, rm, now);
		r->listener.timeline(r->ctx, rm);
	}
	*pp = o->next;
	free_failures(rm);
	free(o);
	r->open--;
}

void removal_holders_done(struct removal *r, const char *id, const char *path, uint64_t now_ns)
{
	struct open_removal *o = find(r, id);

	(void)now_ns;
	if (r->scans_pending)
		r->scans_pending--;
	if (!o)
		return; /* over meanwhile */
	for (int i = 0; i < o->rm.nfailures; i++) {
		struct rm_failure *f = &o->rm.failures[i];

		if (f->holders_pending && f->err == EBUSY && !strcmp(f->path, path)) {
			f->holders_pending = false;
			ask_holders(r, f);
			return;
		}
	}
}

void removal_tick(struct removal *r, uint64_t now_ns)
{
	struct open_removal **pp = &r->list;

	while (*pp) {
		struct rm_removal *rm = &(*pp)->rm;
		const struct rm_failure *cause = removal_root_cause(rm);
		uint64_t idle = now_ns > rm->last_ns ? now_ns - rm->last_ns : 0;
		/* Docker retries EBUSY for about 5 s; nothing else is retried */
		uint64_t window = cause && cause->err == EBUSY ? r->cfg.settle_ns : r->cfg.quiet_ns;

		if (idle >= window) {
			end_removal(r, pp, now_ns);
			continue;
		}
		pp = &(*pp)->next;
	}
}

void removal_flush(struct removal *r, uint64_t now_ns)
{
	while (r->list)
		end_removal(r, &r->list, now_ns);
}
