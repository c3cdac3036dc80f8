// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * removal_timeline and rootfs_removal_failed records, in JSON and text. Every
 * path and name in them comes from containers or runtimes: escaped by the
 * writers. A JSON line never exceeds RECORD_MAX: holders, then failures are
 * cut until it fits.
 */
#include <stdio.h>
#include <string.h>
#include "kernel/event.h"
#include "host/holders.h"
#include "lib/names.h"
#include "report/report.h"

#define NSEC_PER_MSEC 1000000LL
#define RED	      "\033[1;31m"
#define RESET	      "\033[0m"

static int64_t rel_ms(uint64_t start, uint64_t t)
{
	return t >= start ? (int64_t)((t - start) / NSEC_PER_MSEC)
			  : -(int64_t)((start - t) / NSEC_PER_MSEC);
}

static void json_holders(struct jsonw *w, const struct rm_failure *f, int max)
{
	jsonw_arr_key(w, "holders");
	for (int i = 0; i < f->nholders && i < max; i++) {
		const struct holder *h = &f->holders[i];

		jsonw_obj_key(w, NULL);
		jsonw_str(w, "kind", h->kind);
		jsonw_str(w, "mount_point", h->mount_point);
		jsonw_str(w, "source", h->source);
		jsonw_str(w, "fstype", h->fstype);
		jsonw_uint(w, "mount_namespace", h->mount_namespace);
		if (h->pid) {
			jsonw_obj_key(w, "process");
			jsonw_uint(w, "pid", h->pid);
			jsonw_str(w, "comm", h->comm);
			jsonw_obj_close(w);
		}
		if (h->in_container)
			record_container(w, &h->container, 0);
		jsonw_obj_close(w);
	}
	jsonw_arr_close(w);
}

static void json_holders_incomplete(struct jsonw *w, uint32_t cut)
{
	char why[160];

	jsonw_bool(w, "holders_incomplete", true);
	jsonw_str(w, "holders_incomplete_reason", holders_cut_text(cut, why, sizeof(why)));
}

static void json_failure(struct jsonw *w, const struct rm_removal *rm, const struct rm_failure *f,
			 int max_holders)
{
	const char *op = fs_op_name(f->op);

	jsonw_str(w, "syscall", op ? op : "unknown");
	jsonw_str(w, "path", f->path);
	record_errno(w, "errno", f->err);
	jsonw_uint(w, "attempts", f->attempts);
	jsonw_int(w, "first_ms", rel_ms(rm->start_ns, f->first_ns));
	jsonw_int(w, "last_ms", rel_ms(rm->start_ns, f->last_ns));
	jsonw_bool(w, "resolved", f->resolved);
	if (f->attrs_known) {
		jsonw_obj_key(w, "attributes");
		jsonw_bool(w, "immutable", f->immutable);
		jsonw_bool(w, "append_only", f->append_only);
		jsonw_obj_close(w);
	}
	if (f->holders && max_holders > 0)
		json_holders(w, f, max_holders);
	if (f->holders_cut) /* the holder scan was cut: the list may miss some */
		json_holders_incomplete(w, f->holders_cut);
}

static size_t removal_json(const struct report_ctx *r, const struct rm_removal *rm, char *buf,
			   size_t cap, int max_failures, int max_holders, size_t str_max)
{
	char started[48];
	struct jsonw w;
	int shown = 0;

	jsonw_init(&w, buf, cap);
	jsonw_cut_strings(&w, str_max);
	record_begin(&w, r->rc, "removal_timeline", rm->end_ns);
	record_container(&w, &rm->container, 0);
	jsonw_str(&w, "outcome", rm->failed ? "failed" : "removed");
	record_time(r->rc, rm->start_ns, started, sizeof(started));
	jsonw_str(&w, "started", started);
	jsonw_int(&w, "duration_ms", rel_ms(rm->start_ns, rm->last_ns));
	jsonw_obj_key(&w, "counts");
	jsonw_uint(&w, "unlink", rm->unlink_ok);
	jsonw_uint(&w, "rmdir", rm->rmdir_ok);
	jsonw_uint(&w, "umount", rm->umount_ok);
	jsonw_uint(&w, "failed", rm->failed_calls);
	jsonw_obj_close(&w);
	jsonw_arr_key(&w, "failures");
	for (int i = 0; i < rm->nfailures && shown < max_failures; i++, shown++) {
		jsonw_obj_key(&w, NULL);
		json_failure(&w, rm, &rm->failures[i], max_holders);
		jsonw_obj_close(&w);
	}
	jsonw_arr_close(&w);
	jsonw_uint(&w, "failures_left_out", rm->failures_dropped + (rm->nfailures - shown));
	if (rm->runtime_dead)
		jsonw_str(&w, "runtime_state", "dead");
	jsonw_obj_key(&w, "caller");
	jsonw_uint(&w, "pid", rm->caller_pid);
	jsonw_strn(&w, "comm", rm->caller_comm, sizeof(rm->caller_comm));
	jsonw_obj_close(&w);
	jsonw_obj_close(&w);
	return w.overflow ? 0 : w.len;
}

size_t report_removal_json(const struct report_ctx *r, const struct rm_removal *rm, char *buf,
			   size_t cap)
{
	size_t len = removal_json(r, rm, buf, cap, RM_MAX_FAILURES, RM_MAX_HOLDERS, 0);

	for (int n = RM_MAX_FAILURES; !len && n >= 0; n--)
		len = removal_json(r, rm, buf, cap, n, 0, 0);
	if (!len)
		len = removal_json(r, rm, buf, cap, 1, 0, RECORD_CUT_LEN);
	if (!len)
		len = removal_json(r, rm, buf, cap, 0, 0, RECORD_CUT_LEN);
	return len;
}

static size_t alert_json(const struct report_ctx *r, const struct rm_alert *a, char *buf,
			 size_t cap, int max_holders, size_t str_max)
{
	const struct rm_removal *rm = a->removal;
	char id[48];
	struct jsonw w;

	report_alert_id(r, a->alert_id, id, sizeof(id));
	jsonw_init(&w, buf, cap);
	jsonw_cut_strings(&w, str_max);
	record_begin(&w, r->rc, "alert", a->ts_ns);
	jsonw_str(&w, "kind", "rootfs_removal_failed");
	jsonw_str(&w, "alert_id", id);
	record_container(&w, &rm->container, 0);
	jsonw_str(&w, "message", a->message);
	jsonw_str(&w, "action", a->action);
	json_failure(&w, rm, a->cause, max_holders);
	if (rm->runtime_dead)
		jsonw_str(&w, "runtime_state", "dead");
	jsonw_obj_key(&w, "caller");
	jsonw_uint(&w, "pid", rm->caller_pid);
	jsonw_strn(&w, "comm", rm->caller_comm, sizeof(rm->caller_comm));
	jsonw_obj_close(&w);
	jsonw_uint(&w, "repeats", 0);
	jsonw_bool(&w, "resolves", false);
	if (r->now_ns > a->event_ts_ns)
		jsonw_int(&w, "latency_ms",
			  (int64_t)((r->now_ns - a->event_ts_ns) / NSEC_PER_MSEC));
	jsonw_obj_close(&w);
	return w.overflow ? 0 : w.len;
}

size_t report_removal_alert_json(const struct report_ctx *r, const struct rm_alert *a, char *buf,
				 size_t cap)
{
	size_t len = 0;

	for (int n = RM_MAX_HOLDERS; !len && n >= 0; n--)
		len = alert_json(r, a, buf, cap, n, 0);
	if (!len)
		len = alert_json(r, a, buf, cap, 0, RECORD_CUT_LEN);
	return len;
}

size_t report_removal_alert_text(const struct report_ctx *r, const struct rm_alert *a, char *buf,
				 size_t cap)
{
	char clock[32], label[96], msg[1536], act[512], id[48];
	bool color = r->rc->color;
	int n;

	record_clock(r->rc, a->ts_ns, clock, sizeof(clock));
	record_container_label(&a->removal->container, 0, label, sizeof(label));
	report_alert_id(r, a->alert_id, id, sizeof(id));
	text_escape(msg, sizeof(msg), a->message, strlen(a->message));
	text_escape(act, sizeof(act), a->action, strlen(a->action));
	n = snprintf(buf, cap, "%s %sALERT rootfs_removal_failed%s %s: %s\n%*s fix: %s (alert %s)",
		     clock, color ? RED : "", color ? RESET : "", label, msg, (int)strlen(clock),
		     "", act, id);
	if (n < 0)
		n = 0;
	return (size_t)n < cap ? (size_t)n : cap - 1;
}

size_t report_removal_text(const struct report_ctx *r, const struct rm_removal *rm, char *buf,
			   size_t cap)
{
	char clock[32], label[96], path[RM_PATH_LEN * 4];
	size_t len;
	int n;

	record_clock(r->rc, rm->start_ns, clock, sizeof(clock));
	record_container_label(&rm->container, 0, label, sizeof(label));
	n = snprintf(buf, cap,
		     "%s removal of %s: %s in %lld ms (%llu unlinked, %llu directories, %llu "
		     "unmounted, %llu failed calls)",
		     clock, label, rm->failed ? "FAILED" : "removed",
		     (long long)rel_ms(rm->start_ns, rm->last_ns),
		     (unsigned long long)rm->unlink_ok, (unsigned long long)rm->rmdir_ok,
		     (unsigned long long)rm->umount_ok, (unsigned long long)rm->failed_calls);
	len = n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
	for (int i = 0; i < rm->nfailures && len < cap; i++) {
		const struct rm_failure *f = &rm->failures[i];
		const char *en = errno_name(f->err);

		text_escape(path, sizeof(path), f->path, strlen(f->path));
		n = snprintf(buf + len, cap - len, "\n  %+8lld ms  %s %s: %s x%u%s",
			     (long long)rel_ms(rm->start_ns, f->first_ns), fs_op_name(f->op), path,
			     en ? en : "error", f->attempts,
			     f->resolved ? " (then succeeded)" : "");
		if (n > 0)
			len = len + (size_t)n < cap ? len + (size_t)n : cap - 1;
	}
	return len;
}
