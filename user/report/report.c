// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <string.h>
#include "kernel/event.h"
#include "lib/names.h"
#include "report/report.h"

#define NSEC_PER_MSEC 1000000LL
#define RED	      "\033[1;31m"
#define GREEN	      "\033[1;32m"
#define BOLD	      "\033[1m"
#define RESET	      "\033[0m"
#define RUN_KEEP      8 /* processes still running a record lists before it cuts events */

void report_alert_id(const struct report_ctx *r, uint64_t id, char *buf, size_t cap)
{
	snprintf(buf, cap, "%llu-%llu", (unsigned long long)r->alert_prefix,
		 (unsigned long long)id);
}

/* key: the signal as record_signal() writes it, null for none. */
static void json_sig(struct jsonw *w, const char *key, int sig)
{
	if (sig)
		record_signal(w, key, sig);
	else
		jsonw_null(w, key);
}

static int64_t latency_ms(const struct report_ctx *r, uint64_t event_ts)
{
	if (!event_ts || r->now_ns < event_ts)
		return -1;
	return (int64_t)((r->now_ns - event_ts) / NSEC_PER_MSEC);
}

/* "culprits": the processes that kept a pid namespace alive. */
static void json_culprits(struct jsonw *w, const struct culprit *cs, int n, bool stacks)
{
	char fix[256];

	jsonw_arr_key(w, "culprits");
	for (int i = 0; i < n; i++) {
		const struct culprit *c = &cs[i];

		record_culprit_open(w, c);
		if (stacks && c->stack[0])
			jsonw_str(w, "stack", c->stack);
		if (c->in_container)
			record_container(w, &c->container, 0);
		jsonw_bool(w, "frozen", c->frozen);
		if (c->frozen_how[0])
			jsonw_str(w, "frozen_how", c->frozen_how);
		culprit_fix(c, fix, sizeof(fix));
		jsonw_str(w, "fix", fix);
		jsonw_obj_close(w);
	}
	jsonw_arr_close(w);
}

static size_t alert_json(const struct report_ctx *r, const struct tl_alert *a, bool resolved,
			 char *buf, size_t cap, int nculprits, bool stacks, uint32_t nrun,
			 size_t str_max);

size_t report_alert_json(const struct report_ctx *r, const struct tl_alert *a, bool resolved,
			 char *buf, size_t cap)
{
	uint32_t nrun = a->running ? a->running->n : 0;
	size_t len = alert_json(r, a, resolved, buf, cap, a->nculprits, true, nrun, 0);

	/*
	 * never over one line's limit: list fewer processes still running,
	 * drop stacks, then culprits, then cut strings
	 */
	for (nrun /= 2; !len && nrun > 0; nrun /= 2)
		len = alert_json(r, a, resolved, buf, cap, a->nculprits, true, nrun, 0);
	if (!len)
		len = alert_json(r, a, resolved, buf, cap, a->nculprits, false, 0, 0);
	for (int n = a->nculprits / 2; !len && n > 0; n /= 2)
		len = alert_json(r, a, resolved, buf, cap, n, false, 0, 0);
	if (!len)
		len = alert_json(r, a, resolved, buf, cap, 0, false, 0, 0);
	if (!len)
		len = alert_json(r, a, resolved, buf, cap, 0, false, 0, RECORD_CUT_LEN);
	return len;
}

static size_t alert_json(const struct report_ctx *r, const struct tl_alert *a, bool resolved,
			 char *buf, size_t cap, int nculprits, bool stacks, uint32_t nrun,
			 size_t str_max)
{
	char id[48];
	struct jsonw w;
	int64_t lat = latency_ms(r, a->event_ts_ns);

	report_alert_id(r, a->alert_id, id, sizeof(id));
	jsonw_init(&w, buf, cap);
	jsonw_cut_strings(&w, str_max);
	record_begin(&w, r->rc, resolved ? "alert_resolved" : "alert", a->ts_ns);
	jsonw_str(&w, "kind", tl_alert_kind_name(a->kind));
	jsonw_str(&w, "alert_id", id);
	record_container(&w, &a->container, 0);
	if (!resolved) {
		jsonw_str(&w, "message", a->message);
		jsonw_str(&w, "action", a->action);
	}
	if (a->sig)
		json_sig(&w, "signal", a->sig);
	if (a->pid) {
		jsonw_obj_key(&w, "process");
		jsonw_uint(&w, "pid", a->pid);
		if (a->ns_pid)
			jsonw_uint(&w, "ns_pid", a->ns_pid);
		if (a->comm[0])
			jsonw_strn(&w, "comm", a->comm, sizeof(a->comm));
		jsonw_obj_close(&w);
	}
	if (a->duration_ms >= 0)
		jsonw_int(&w, "duration_ms", a->duration_ms);
	if (!resolved && a->lost)
		jsonw_uint(&w, "lost", a->lost);
	if (!resolved) {
		jsonw_uint(&w, "repeats", a->repeats);
		jsonw_bool(&w, "resolves", !a->one_shot);
		if (lat >= 0)
			jsonw_int(&w, "latency_ms", lat);
	}
	if (a->culprits && a->nculprits)
		json_culprits(&w, a->culprits, nculprits, stacks);
	if (a->culprits && nculprits < a->nculprits)
		jsonw_int(&w, "culprits_left_out", a->nculprits - nculprits);
	if (!resolved)
		report_running_json(&w, a->running, a->sig, nrun);
	jsonw_obj_close(&w);
	return w.overflow ? 0 : w.len;
}

size_t report_alert_text(const struct report_ctx *r, const struct tl_alert *a, bool resolved,
			 char *buf, size_t cap)
{
	char clock[32], label[96], msg[1024], act[512], id[48], indent[40];
	bool color = r->rc->color;
	int n;

	record_clock(r->rc, a->ts_ns, clock, sizeof(clock));
	record_container_label(&a->container, 0, label, sizeof(label));
	report_alert_id(r, a->alert_id, id, sizeof(id));
	if (resolved) {
		n = snprintf(buf, cap, "%s %sRESOLVED%s %s %s (alert %s)", clock,
			     color ? GREEN : "", color ? RESET : "", tl_alert_kind_name(a->kind),
			     label, id);
	} else {
		text_escape(msg, sizeof(msg), a->message, strlen(a->message));
		text_escape(act, sizeof(act), a->action, strlen(a->action));
		n = snprintf(buf, cap, "%s %sALERT %s%s %s: %s\n%*s fix: %s (alert %s)", clock,
			     color ? RED : "", tl_alert_kind_name(a->kind), color ? RESET : "",
			     label, msg, (int)strlen(clock), "", act, id);
		for (int i = 0; a->culprits && i < a->nculprits && n > 0 && (size_t)n < cap; i++) {
			const struct culprit *c = &a->culprits[i];
			char comm[4 * 65], wchan[4 * 64], state[8];

			text_escape(comm, sizeof(comm), c->comm, strlen(c->comm));
			text_escape(wchan, sizeof(wchan), c->wchan, strlen(c->wchan));
			/* a replayed recording can hold any byte there */
			text_escape(state, sizeof(state), c->state ? &c->state : "?", 1);
			n += snprintf(buf + n, cap - n,
				      "\n%*s still in the namespace: %s[%u/%u] state %s%s%s%s",
				      (int)strlen(clock), "", comm, c->pid, c->ns_pid, state,
				      wchan[0] ? " in " : "", wchan,
				      c->frozen ? ", cgroup frozen" : "");
		}
		/* under the message, as the culprits are */
		snprintf(indent, sizeof(indent), "%*s ", (int)strlen(clock), "");
		if (n > 0 && (size_t)n < cap)
			n = (int)report_running_text(a->running, a->sig, indent, buf, cap,
						     (size_t)n);
	}
	if (n < 0)
		n = 0;
	return (size_t)n < cap ? (size_t)n : cap - 1;
}

static const char *entry_event_name(const struct tl_entry *en)
{
	return event_kind_name(en->kind);
}

/* "exit": {"signal"} for a raw exit code of a task killed, else {"code"}. */
static void json_exit_status(struct jsonw *w, uint32_t exit_code)
{
	jsonw_obj_key(w, "exit");
	if (exit_code & 0x7f)
		json_sig(w, "signal", (int)(exit_code & 0x7f));
	else
		jsonw_int(w, "code", (exit_code >> 8) & 0xff);
	jsonw_obj_close(w);
}

/* The path of a stop's fs_call entry, or NULL when it was not kept. */
static const char *entry_path(const struct tl_stop *s, const struct tl_entry *en)
{
	return en->other_pid && s->paths && en->other_pid <= s->npaths ? s->paths[en->other_pid - 1]
								       : NULL;
}

/* A runtime's unmount or removal call, as the fs_call event says it. */
static void json_fs_entry(struct jsonw *w, const struct tl_stop *s, const struct tl_entry *en)
{
	const char *op = fs_op_name((unsigned int)en->sig), *path = entry_path(s, en);

	jsonw_str(w, "syscall", op ? op : "unknown");
	if (path)
		jsonw_strn(w, "path", path, TL_PATH_LEN);
	else
		jsonw_null(w, "path");
	jsonw_uint(w, "flags", en->flags);
	jsonw_int(w, "ret", en->result);
	if (en->result < 0)
		record_errno(w, "errno", -en->result);
}

static void json_entry(struct jsonw *w, const struct tl_stop *s, const struct tl_entry *en)
{
	jsonw_obj_key(w, NULL);
	jsonw_int(w, "t_ms",
		  en->ts_ns >= s->start_ns ? (int64_t)((en->ts_ns - s->start_ns) / NSEC_PER_MSEC)
					   : -(int64_t)((s->start_ns - en->ts_ns) / NSEC_PER_MSEC));
	jsonw_str(w, "event", entry_event_name(en));
	switch (en->kind) {
	case ST_EV_SIGNAL_GENERATE:
		json_sig(w, "signal", en->sig);
		record_name_or_number(w, "result", signal_result_name(en->result), en->result);
		if (en->flags & (ST_SIGF_BLOCKED | ST_SIGF_REAL_BLOCKED))
			jsonw_bool(w, "blocked", true);
		if (en->flags & TL_ENTRY_EXITING)
			jsonw_bool(w, "exiting", true);
		jsonw_obj_key(w, "sender");
		jsonw_uint(w, "pid", en->other_pid);
		jsonw_strn(w, "comm", en->other_comm, sizeof(en->other_comm));
		jsonw_obj_close(w);
		break;
	case ST_EV_SIGNAL_DELIVER:
		json_sig(w, "signal", en->sig);
		jsonw_str(w, "action",
			  en->disposition == ST_DISP_HANDLER  ? "handler"
			  : en->disposition == ST_DISP_IGNORE ? "ignore"
							      : "default");
		if (en->flags & TL_ENTRY_DROPPED)
			jsonw_bool(w, "dropped", true);
		break;
	case ST_EV_PROCESS_EXIT:
	case ST_EV_INIT_RELEASED:
		json_exit_status(w, (uint32_t)en->sig);
		break;
	case ST_EV_PROCESS_FORK:
		jsonw_uint(w, "child", en->other_pid);
		break;
	case ST_EV_OOM_VICTIM:
		jsonw_uint(w, "victim", en->other_pid);
		break;
	case ST_EV_FS_CALL:
		json_fs_entry(w, s, en);
		break;
	}
	if (en->pid) {
		jsonw_obj_key(w, "process");
		jsonw_uint(w, "pid", en->pid);
		jsonw_uint(w, "ns_pid", en->ns_pid);
		jsonw_strn(w, "comm", en->comm, sizeof(en->comm));
		jsonw_obj_close(w);
	}
	jsonw_obj_close(w);
}

static void json_findings(struct jsonw *w, uint32_t findings)
{
	jsonw_arr_key(w, "findings");
	for (int v = 0; v < TL_VERDICT_MAX; v++)
		if (findings & (1u << v))
			jsonw_str(w, NULL, tl_verdict_name(v));
	jsonw_arr_close(w);
}

#define KEEP_ALL UINT32_MAX

/* "sender": the process that sent the stop signal and its parents, or null. */
static void json_stop_sender(struct jsonw *w, const struct tl_stop *s)
{
	if (!s->has_sender) {
		jsonw_null(w, "sender");
		return;
	}
	jsonw_obj_key(w, "sender");
	jsonw_uint(w, "pid", s->sender.pid);
	jsonw_uint(w, "ns_pid", s->sender.ns_pid);
	jsonw_strn(w, "comm", s->sender.comm, sizeof(s->sender.comm));
	jsonw_bool(w, "from_inside", s->sender.from_inside);
	record_ancestry(w, s->sender.ancestry);
	jsonw_obj_close(w);
}

/* A duration in milliseconds, null when it was not measured (-1). */
static void json_ms(struct jsonw *w, const char *key, int64_t ms)
{
	if (ms >= 0)
		jsonw_int(w, key, ms);
	else
		jsonw_null(w, key);
}

/* "exit": how the init ended, null when its exit was not seen. */
static void json_stop_exit(struct jsonw *w, const struct tl_stop *s)
{
	if (s->exited)
		json_exit_status(w, s->exit_code);
	else
		jsonw_null(w, "exit");
}

/* How much of the stop the record can tell: "partial", "lost" and its "note". */
static void json_stop_completeness(struct jsonw *w, const struct tl_stop *s)
{
	jsonw_bool(w, "partial", s->partial);
	jsonw_uint(w, "lost", s->lost);
	if (s->lost) {
		char note[64];

		snprintf(note, sizeof(note), "incomplete: %llu records lost",
			 (unsigned long long)s->lost);
		jsonw_str(w, "note", note);
	}
}

/* "events", keep entries from each end (KEEP_ALL: every one), then "events_left_out". */
static void json_stop_events(struct jsonw *w, const struct tl_stop *s, uint32_t keep)
{
	uint32_t n = s->nentries, left_out = s->dropped;

	jsonw_arr_key(w, "events");
	if (!keep)
		left_out += n;
	for (uint32_t i = 0; keep && i < n; i++) {
		if (keep != KEEP_ALL && i == keep && n > 2 * keep) {
			left_out += n - 2 * keep;
			i = n - keep;
		}
		json_entry(w, s, &s->entries[i]);
	}
	jsonw_arr_close(w);
	jsonw_uint(w, "events_left_out", left_out);
}

/*
 * Write the record keeping `keep` entries from each end (KEEP_ALL: every
 * one; 0: none, nor culprits), strings cut to str_max bytes when not 0.
 */
static size_t stop_json(const struct report_ctx *r, const struct tl_stop *s, char *buf, size_t cap,
			uint32_t keep, uint32_t nrun, size_t str_max)
{
	int nculprits = keep == KEEP_ALL ? s->nculprits : keep ? 1 : 0; /* one with fewer events */
	char started[48];
	struct jsonw w;

	jsonw_init(&w, buf, cap);
	jsonw_cut_strings(&w, str_max);
	record_begin(&w, r->rc, "stop_timeline", s->end_ns);
	record_container(&w, &s->container, 0);
	jsonw_str(&w, "verdict", tl_verdict_name(s->verdict));
	json_findings(&w, s->findings);
	jsonw_str(&w, "reason", s->reason);
	record_time(r->rc, s->start_ns, started, sizeof(started));
	jsonw_str(&w, "started", started);
	json_sig(&w, "stop_signal", s->stop_signal);
	json_sig(&w, "configured_stop_signal", s->configured_stop_signal);
	json_stop_sender(&w, s);
	json_ms(&w, "grace_ms", s->grace_ms);
	json_stop_exit(&w, s);
	jsonw_obj_key(&w, "init");
	jsonw_uint(&w, "pid", s->init_pid);
	jsonw_obj_close(&w);
	jsonw_int(&w, "duration_ms", (int64_t)((s->end_ns - s->start_ns) / NSEC_PER_MSEC));
	json_ms(&w, "teardown_ms", s->teardown_ms);
	if (s->nculprits && s->culprits)
		json_culprits(&w, s->culprits, nculprits, false);
	report_running_json(&w, s->running, s->stop_signal, nrun);
	json_stop_completeness(&w, s);
	json_stop_events(&w, s, keep);
	jsonw_obj_close(&w);
	return w.overflow ? 0 : w.len;
}

size_t report_stop_json(const struct report_ctx *r, const struct tl_stop *s, char *buf, size_t cap)
{
	uint32_t nrun = s->running ? s->running->n : 0;
	size_t len = stop_json(r, s, buf, cap, KEEP_ALL, nrun, 0);

	/*
	 * too long for one line: list fewer processes still running (down to
	 * RUN_KEEP), keep fewer events from each end, then cut strings
	 */
	while (!len && nrun > RUN_KEEP) {
		nrun = nrun / 2 > RUN_KEEP ? nrun / 2 : RUN_KEEP;
		len = stop_json(r, s, buf, cap, KEEP_ALL, nrun, 0);
	}
	for (uint32_t keep = s->nentries / 2; !len && keep > 0; keep /= 2)
		len = stop_json(r, s, buf, cap, keep, nrun, 0);
	if (!len)
		len = stop_json(r, s, buf, cap, 1, nrun, 0);
	if (!len)
		len = stop_json(r, s, buf, cap, 1, nrun, RECORD_CUT_LEN);
	if (!len)
		len = stop_json(r, s, buf, cap, 0, 0, RECORD_CUT_LEN);
	return len;
}

static void text_task(char *buf, size_t cap, const char *comm, uint32_t pid, uint32_t ns_pid)
{
	char c[4 * ST_COMM_LEN + 1];

	text_escape(c, sizeof(c), comm, strnlen(comm, ST_COMM_LEN));
	if (ns_pid && ns_pid != pid)
		snprintf(buf, cap, "%s[%u/%u]", c, pid, ns_pid);
	else
		snprintf(buf, cap, "%s[%u]", c, pid);
}

/* "+12 ms  dockerd[5082] umount /var/lib/docker/overlay2/<layer>/merged -> ok" */
static void text_fs_entry(const struct tl_stop *s, const struct tl_entry *en, int64_t t,
			  const char *who, char *buf, size_t cap)
{
	const char *op = fs_op_name((unsigned int)en->sig), *path = entry_path(s, en);
	const char *en_name = en->result < 0 ? errno_name(-en->result) : NULL;
	char p[4 * TL_PATH_LEN + 1];

	text_escape(p, sizeof(p), path ? path : "?", path ? strnlen(path, TL_PATH_LEN) : 1);
	/* a text line holds 512 bytes: the path's first 320 at most */
	snprintf(buf, cap, "%+8lld ms  %s %s %.320s -> %s", (long long)t, who, op ? op : "?", p,
		 !en->result ? "ok"
		 : en_name   ? en_name
			     : "error");
}

static void text_entry(const struct tl_stop *s, const struct tl_entry *en, char *buf, size_t cap)
{
	char a[128], b[128], sb[24];
	int64_t t = en->ts_ns >= s->start_ns
			    ? (int64_t)((en->ts_ns - s->start_ns) / NSEC_PER_MSEC)
			    : -(int64_t)((s->start_ns - en->ts_ns) / NSEC_PER_MSEC);
	const char *res;

	text_task(a, sizeof(a), en->comm, en->pid, en->ns_pid);
	switch (en->kind) {
	case ST_EV_SIGNAL_GENERATE:
		text_task(b, sizeof(b), en->other_comm, en->other_pid, 0);
		res = signal_result_name(en->result);
		snprintf(buf, cap, "%+8lld ms  %s -> %s %s %s%s%s", (long long)t, b, a,
			 signal_text(en->sig, sb, sizeof(sb)), res ? res : "?",
			 en->flags & ST_SIGF_BLOCKED ? " (blocked)" : "",
			 en->flags & TL_ENTRY_EXITING ? " (exiting)" : "");
		break;
	case ST_EV_SIGNAL_DELIVER:
		snprintf(buf, cap, "%+8lld ms  %s takes %s (%s)", (long long)t, a,
			 signal_text(en->sig, sb, sizeof(sb)),
			 en->disposition == ST_DISP_HANDLER  ? "handler"
			 : en->disposition == ST_DISP_IGNORE ? "ignored"
			 : en->flags & TL_ENTRY_DROPPED ? "default action: dropped by the kernel"
							: "default action");
		break;
	case ST_EV_PROCESS_EXIT:
		if (en->sig & 0x7f)
			snprintf(buf, cap, "%+8lld ms  %s killed by %s", (long long)t, a,
				 signal_text(en->sig & 0x7f, sb, sizeof(sb)));
		else
			snprintf(buf, cap, "%+8lld ms  %s exited with code %d", (long long)t, a,
				 (en->sig >> 8) & 0xff);
		break;
	case ST_EV_INIT_RELEASED:
		snprintf(buf, cap, "%+8lld ms  %s released: pid namespace torn down", (long long)t,
			 a);
		break;
	case ST_EV_CGROUP_RMDIR:
		snprintf(buf, cap, "%+8lld ms  cgroup removed", (long long)t);
		break;
	case ST_EV_FS_CALL:
		text_fs_entry(s, en, t, a, buf, cap);
		break;
	default:
		snprintf(buf, cap, "%+8lld ms  %s %s", (long long)t, entry_event_name(en), a);
		break;
	}
}

static size_t append(char *buf, size_t cap, size_t len, const char *fmt, const char *s)
{
	int n;

	if (len >= cap)
		return len;
	n = snprintf(buf + len, cap - len, fmt, s);
	if (n < 0)
		return len;
	return len + (size_t)n < cap ? len + (size_t)n : cap - 1;
}

size_t report_stop_text(const struct report_ctx *r, const struct tl_stop *s, char *buf, size_t cap)
{
	bool color = r->rc->color, bad = s->verdict < TL_GRACEFUL;
	char clock[32], label[96], line[512], reason[1024], sb[24], id[64], lost[64] = "";
	size_t len = 0;
	uint32_t shown = 0;

	if (s->lost)
		snprintf(lost, sizeof(lost), " [incomplete: %llu records lost]",
			 (unsigned long long)s->lost);
	record_clock(r->rc, s->start_ns, clock, sizeof(clock));
	record_container_label(&s->container, 0, label, sizeof(label));
	text_escape(id, sizeof(id), s->container.id, strnlen(s->container.id, 12));
	snprintf(line, sizeof(line), "%s %sstop of %s%s (%s %s)%s%s", clock, color ? BOLD : "",
		 label, color ? RESET : "", runtime_name(s->container.runtime), id,
		 s->partial ? " [partial: the monitor may have missed its start]" : "", lost);
	len = append(buf, cap, len, "%s", line);
	for (uint32_t i = 0; i < s->nentries; i++) {
		text_entry(s, &s->entries[i], line, sizeof(line));
		len = append(buf, cap, len, "\n  %s", line);
		if (++shown == TL_MAX_ENTRIES / 2 && s->dropped) {
			snprintf(line, sizeof(line), "\n  ... %u events left out", s->dropped);
			len = append(buf, cap, len, "%s", line);
		}
	}
	if (s->has_sender) {
		char who[128];

		text_task(who, sizeof(who), s->sender.comm, s->sender.pid, 0);
		snprintf(line, sizeof(line), "\n  sender: %s", who);
		len = append(buf, cap, len, "%s", line);
		for (int i = 0; i < ST_ANCESTRY && s->sender.ancestry[i].pid; i++) {
			text_task(who, sizeof(who), s->sender.ancestry[i].comm,
				  s->sender.ancestry[i].pid, 0);
			len = append(buf, cap, len, " <- %s", who);
		}
	}
	snprintf(line, sizeof(line), "\n  stop signal %s, grace %s%lld ms, took %lld ms",
		 s->stop_signal ? signal_text(s->stop_signal, sb, sizeof(sb)) : "none",
		 s->grace_ms >= 0 ? "" : "unused ", (long long)(s->grace_ms >= 0 ? s->grace_ms : 0),
		 (long long)((s->end_ns - s->start_ns) / NSEC_PER_MSEC));
	len = append(buf, cap, len, "%s", line);
	if (s->teardown_ms >= 0) {
		snprintf(line, sizeof(line), ", namespace teardown %lld ms",
			 (long long)s->teardown_ms);
		len = append(buf, cap, len, "%s", line);
	}
	len = report_running_text(s->running, s->stop_signal, "  ", buf, cap, len);
	text_escape(reason, sizeof(reason), s->reason, strlen(s->reason));
	snprintf(line, sizeof(line), "\n  %sverdict: %s%s: ", color ? (bad ? RED : GREEN) : "",
		 tl_verdict_name(s->verdict), color ? RESET : "");
	len = append(buf, cap, len, "%s", line);
	len = append(buf, cap, len, "%s", reason);
	return len;
}
