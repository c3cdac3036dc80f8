// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "host/culprits.h"
#include "kernel/event.h"
#include "lib/names.h"
#include "report/records.h"

#define NSEC_PER_SEC 1000000000LL

/*
 * Boot-clock nanoseconds as nanoseconds since the epoch. A timestamp no
 * kernel writes (a damaged or forged recording) is held between the epoch
 * and the largest time an int64_t holds (the year 2262), never overflowed.
 */
static int64_t real_ns(const struct record_ctx *rc, uint64_t boot_ns)
{
	int64_t boot = boot_ns > INT64_MAX ? INT64_MAX : (int64_t)boot_ns, real;

	if (__builtin_add_overflow(boot, rc->boot_to_real_ns, &real))
		real = INT64_MAX; /* boot >= 0: only a positive offset overflows */
	return real < 0 ? 0 : real;
}

void record_time(const struct record_ctx *rc, uint64_t boot_ns, char *buf, size_t cap)
{
	int64_t real = real_ns(rc, boot_ns);

	if (format_rfc3339(buf, cap, real / NSEC_PER_SEC, real % NSEC_PER_SEC) && cap)
		buf[0] = '\0';
}

void record_clock(const struct record_ctx *rc, uint64_t boot_ns, char *buf, size_t cap)
{
	int64_t real = real_ns(rc, boot_ns);
	time_t sec = real / NSEC_PER_SEC;
	struct tm tm;

	localtime_r(&sec, &tm);
	snprintf(buf, cap, "%02d:%02d:%02d.%06ld", tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (long)(real % NSEC_PER_SEC) / 1000);
}

void record_begin(struct jsonw *w, const struct record_ctx *rc, const char *type, uint64_t boot_ns)
{
	char t[48];

	record_time(rc, boot_ns, t, sizeof(t));
	jsonw_obj_open(w);
	jsonw_int(w, "schema", 1);
	jsonw_str(w, "type", type);
	jsonw_str(w, "time", t);
	jsonw_str(w, "host", rc->host);
}

void record_container(struct jsonw *w, const struct container *c, uint64_t cgroup_id)
{
	jsonw_obj_key(w, "container");
	if (c) {
		jsonw_str(w, "id", c->id);
		jsonw_str(w, "name", c->name);
		jsonw_str(w, "runtime", runtime_name(c->runtime));
		jsonw_str(w, "cgroup", c->cgroup);
		if (c->pod_name[0]) {
			jsonw_obj_key(w, "pod");
			jsonw_str(w, "namespace", c->pod_namespace);
			jsonw_str(w, "name", c->pod_name);
			jsonw_str(w, "uid", c->pod_uid);
			jsonw_obj_close(w);
		}
	}
	if (cgroup_id)
		jsonw_uint(w, "cgroup_id", cgroup_id);
	jsonw_obj_close(w);
}

void record_task_open(struct jsonw *w, const char *key, const struct st_task *t)
{
	jsonw_obj_key(w, key);
	jsonw_uint(w, "pid", t->tgid);
	jsonw_uint(w, "tid", t->pid);
	jsonw_uint(w, "ns_pid", t->ns_tgid);
	jsonw_strn(w, "comm", t->comm, sizeof(t->comm));
	if (t->flags & ST_TASK_NS_INIT)
		jsonw_bool(w, "ns_init", true);
}

static void record_task(struct jsonw *w, const char *key, const struct st_task *t)
{
	record_task_open(w, key, t);
	jsonw_obj_close(w);
}

void record_ancestry(struct jsonw *w, const struct st_proc ancestry[ST_ANCESTRY])
{
	jsonw_arr_key(w, "ancestry");
	for (int i = 0; i < ST_ANCESTRY && ancestry[i].pid; i++) {
		jsonw_obj_key(w, NULL);
		jsonw_uint(w, "pid", ancestry[i].pid);
		jsonw_strn(w, "comm", ancestry[i].comm, ST_COMM_LEN);
		jsonw_obj_close(w);
	}
	jsonw_arr_close(w);
}

void record_culprit_open(struct jsonw *w, const struct culprit *c)
{
	char state[2] = {c->state ? c->state : '?', '\0'};

	jsonw_obj_key(w, NULL);
	jsonw_uint(w, "pid", c->pid);
	jsonw_uint(w, "ns_pid", c->ns_pid);
	jsonw_str(w, "comm", c->comm);
	jsonw_str(w, "state", state);
	jsonw_str(w, "wchan", c->wchan);
}

static const char *disposition_name(unsigned int d)
{
	switch (d) {
	case ST_DISP_DEFAULT:
		return "default";
	case ST_DISP_IGNORE:
		return "ignore";
	case ST_DISP_HANDLER:
		return "handler";
	}
	return "unknown";
}

void record_name_or_number(struct jsonw *w, const char *key, const char *name, int n)
{
	if (name)
		jsonw_str(w, key, name);
	else
		jsonw_int(w, key, n);
}

void record_signal(struct jsonw *w, const char *key, int sig)
{
	record_name_or_number(w, key, signal_name(sig), sig);
}

void record_errno(struct jsonw *w, const char *key, int err)
{
	record_name_or_number(w, key, errno_name(err), err);
}

static void json_exit(struct jsonw *w, uint32_t code)
{
	jsonw_obj_key(w, "exit");
	if (code & 0x7f) {
		record_signal(w, "signal", code & 0x7f);
		jsonw_bool(w, "core", code & 0x80);
	} else {
		jsonw_int(w, "code", (code >> 8) & 0xff);
	}
	jsonw_obj_close(w);
}

static void json_signal_event(struct jsonw *w, const struct st_signal *s)
{
	record_signal(w, "signal", s->sig);
	jsonw_int(w, "signo", s->sig);
	record_name_or_number(w, "result", signal_result_name(s->result), s->result);
	record_name_or_number(w, "code", si_code_name(s->code), s->code);
	jsonw_str(w, "disposition", disposition_name(s->disposition));
	jsonw_bool(w, "blocked", s->sig_flags & (ST_SIGF_BLOCKED | ST_SIGF_REAL_BLOCKED));
	if (s->sig_flags & ST_SIGF_REAL_BLOCKED)
		jsonw_bool(w, "waited_for", true);
	record_task_open(w, "target", &s->target);
	jsonw_bool(w, "unkillable", s->target.flags & ST_TASK_UNKILLABLE);
	if (s->target.flags & ST_TASK_GROUP_EXIT)
		jsonw_bool(w, "exiting", true);
	jsonw_uint(w, "pidns", s->target.pidns);
	jsonw_obj_close(w);
	record_task_open(w, "sender", &s->sender);
	if (s->sig_flags & ST_SIGF_SENDER_IN_NS)
		jsonw_bool(w, "same_pidns", true);
	if (s->sig_flags & ST_SIGF_FROM_KERNEL)
		jsonw_bool(w, "kernel", true);
	record_ancestry(w, s->ancestry);
	jsonw_obj_close(w);
}

static void json_fs_event(struct jsonw *w, const struct st_fs_call *fs, const char *path,
			  bool complete)
{
	const char *op = fs_op_name(fs->op);

	jsonw_str(w, "syscall", op ? op : "unknown");
	jsonw_str(w, "path", path ? path : "");
	jsonw_bool(w, "path_complete", complete);
	/* an untrusted caller's path: as its container sees it, never the host's */
	if (!(fs->path_flags & ST_PATH_TRUSTED))
		jsonw_str(w, "path_view", "container");
	if (fs->op == ST_FS_UNLINKAT)
		jsonw_int(w, "dirfd", fs->dfd);
	jsonw_uint(w, "flags", fs->flags);
	jsonw_int(w, "ret", fs->ret);
	if (fs->ret < 0)
		record_errno(w, "errno", -fs->ret);
	if (fs->dev)
		jsonw_uint(w, "dev", fs->dev);
	record_task(w, "caller", &fs->caller);
}

static void json_cgroup_event(struct jsonw *w, const struct st_cgroup *cg)
{
	jsonw_obj_key(w, "cgroup");
	jsonw_uint(w, "id", cg->id);
	jsonw_uint(w, "hierarchy", cg->hierarchy);
	jsonw_uint(w, "level", cg->level);
	jsonw_str(w, "path", cg->path);
	jsonw_obj_close(w);
}

/* The fields of the event's own kind, after its container. */
static void json_event_body(struct jsonw *w, const struct st_event *e, const char *path,
			    bool path_complete)
{
	switch (e->kind) {
	case ST_EV_SIGNAL_GENERATE:
		json_signal_event(w, &e->u.signal);
		break;
	case ST_EV_SIGNAL_DELIVER:
		record_signal(w, "signal", e->u.deliver.sig);
		jsonw_int(w, "signo", e->u.deliver.sig);
		record_task(w, "process", &e->u.deliver.task);
		jsonw_str(w, "action", disposition_name(e->u.deliver.disposition));
		jsonw_uint(w, "sa_flags", e->u.deliver.sa_flags);
		break;
	case ST_EV_PROCESS_EXIT:
	case ST_EV_INIT_RELEASED:
		record_task(w, "process", &e->u.exit.task);
		json_exit(w, e->u.exit.exit_code);
		if (e->kind == ST_EV_PROCESS_EXIT)
			jsonw_bool(w, "group_dead", e->u.exit.task.flags & ST_TASK_GROUP_DEAD);
		break;
	case ST_EV_PROCESS_FORK:
		record_task(w, "process", &e->u.fork.parent);
		record_task(w, "child", &e->u.fork.child);
		break;
	case ST_EV_PROCESS_EXEC:
		record_task(w, "process", &e->u.exec.task);
		jsonw_uint(w, "old_pid", e->u.exec.old_pid);
		break;
	case ST_EV_CGROUP_MKDIR:
	case ST_EV_CGROUP_RMDIR:
	case ST_EV_CGROUP_FREEZE:
	case ST_EV_CGROUP_UNFREEZE:
		json_cgroup_event(w, &e->u.cgroup);
		break;
	case ST_EV_FS_CALL:
		json_fs_event(w, &e->u.fs, path, path_complete);
		break;
	case ST_EV_OOM_VICTIM:
		jsonw_obj_key(w, "victim");
		jsonw_uint(w, "pid", e->u.oom.victim_pid);
		jsonw_obj_close(w);
		record_task(w, "process", &e->u.oom.killer);
		break;
	}
}

static size_t event_json(const struct record_ctx *rc, const struct st_event *e,
			 const struct container *c, const char *path, bool path_complete, char *buf,
			 size_t cap, size_t str_max)
{
	uint64_t cgid = event_cgroup_id(e);
	struct jsonw w;

	jsonw_init(&w, buf, cap);
	jsonw_cut_strings(&w, str_max);
	record_begin(&w, rc, "event", e->ts_ns);
	jsonw_str(&w, "event", event_kind_name(e->kind));
	if (c || cgid)
		record_container(&w, c, cgid);
	json_event_body(&w, e, path, path_complete);
	jsonw_obj_close(&w);
	return w.overflow ? 0 : w.len;
}

size_t record_event_json(const struct record_ctx *rc, const struct st_event *e,
			 const struct container *c, const char *path, bool path_complete, char *buf,
			 size_t cap)
{
	size_t len = event_json(rc, e, c, path, path_complete, buf, cap, 0);

	return len ? len : event_json(rc, e, c, path, path_complete, buf, cap, RECORD_CUT_LEN);
}

void record_container_label(const struct container *c, uint64_t cgroup_id, char *buf, size_t cap)
{
	if (c && c->name[0]) {
		/* a name too long for the line is cut visibly, never passed off as another */
		if (text_escape(buf, cap, c->name, strlen(c->name)) >= cap && cap > 4) {
			text_escape(buf, cap - 3, c->name, strlen(c->name));
			strcat(buf, "...");
		}
	} else if (c && c->id[0])
		text_escape(buf, cap, c->id, strnlen(c->id, 12));
	else if (cgroup_id)
		snprintf(buf, cap, "cgroup:%llu", (unsigned long long)cgroup_id);
	else
		snprintf(buf, cap, "-");
}

/* "comm[pid/ns_pid]" with the comm escaped. */
static void text_task(char *buf, size_t cap, const struct st_task *t)
{
	char comm[4 * ST_COMM_LEN + 1];

	text_escape(comm, sizeof(comm), t->comm, strnlen(t->comm, sizeof(t->comm)));
	if (t->ns_tgid && t->ns_tgid != t->tgid)
		snprintf(buf, cap, "%s[%u/%u]", comm, t->tgid, t->ns_tgid);
	else
		snprintf(buf, cap, "%s[%u]", comm, t->tgid);
}

/* "sender -> target SIGTERM delivered (handler, blocked, ns init)" */
static void text_signal_event(char *buf, size_t cap, const struct st_signal *s)
{
	const char *res = signal_result_name(s->result);
	char a[128], b[128], sb[24];

	text_task(a, sizeof(a), &s->sender);
	text_task(b, sizeof(b), &s->target);
	snprintf(buf, cap, "%s -> %s %s %s (%s%s%s)", a, b, signal_text(s->sig, sb, sizeof(sb)),
		 res ? res : "?", disposition_name(s->disposition),
		 s->sig_flags & (ST_SIGF_BLOCKED | ST_SIGF_REAL_BLOCKED) ? ", blocked" : "",
		 s->target.flags & ST_TASK_NS_INIT ? ", ns init" : "");
}

/* "task killed by SIGKILL", "task released, exited with code 0 (ns init)" */
static void text_exit_event(char *buf, size_t cap, const struct st_event *e)
{
	uint32_t code = e->u.exit.exit_code;
	bool released = e->kind != ST_EV_PROCESS_EXIT;
	const char *ns_init = e->u.exit.task.flags & ST_TASK_NS_INIT ? " (ns init)" : "";
	char a[128], sb[24];

	text_task(a, sizeof(a), &e->u.exit.task);
	if (code & 0x7f)
		snprintf(buf, cap, "%s %s by %s%s", a, released ? "released, killed" : "killed",
			 signal_text(code & 0x7f, sb, sizeof(sb)), ns_init);
	else
		snprintf(buf, cap, "%s %s with code %u%s", a,
			 released ? "released, exited" : "exited", (code >> 8) & 0xff, ns_init);
}

/* "caller unlinkat /path -> EBUSY (the container's view)" */
static void text_fs_event(char *buf, size_t cap, const struct st_fs_call *fs, const char *path)
{
	const char *en = fs->ret < 0 ? errno_name(-fs->ret) : NULL;
	char a[128], p[RECORD_MAX / 4];

	text_task(a, sizeof(a), &fs->caller);
	text_escape(p, sizeof(p), path ? path : "", path ? strlen(path) : 0);
	snprintf(buf, cap, "%s %s %s -> %s%s", a, fs_op_name(fs->op), p,
		 fs->ret == 0 ? "ok"
		 : en	      ? en
			      : "error",
		 fs->path_flags & ST_PATH_TRUSTED ? "" : " (the container's view)");
}

/* What the event says, after its kind: who did what to whom. */
static void text_event_detail(char *buf, size_t cap, const struct st_event *e, const char *path)
{
	char a[128], b[128], sb[24];

	switch (e->kind) {
	case ST_EV_SIGNAL_GENERATE:
		text_signal_event(buf, cap, &e->u.signal);
		break;
	case ST_EV_SIGNAL_DELIVER:
		text_task(a, sizeof(a), &e->u.deliver.task);
		snprintf(buf, cap, "%s takes %s (%s)", a,
			 signal_text(e->u.deliver.sig, sb, sizeof(sb)),
			 disposition_name(e->u.deliver.disposition));
		break;
	case ST_EV_PROCESS_EXIT:
	case ST_EV_INIT_RELEASED:
		text_exit_event(buf, cap, e);
		break;
	case ST_EV_PROCESS_FORK:
		text_task(a, sizeof(a), &e->u.fork.parent);
		text_task(b, sizeof(b), &e->u.fork.child);
		snprintf(buf, cap, "%s -> %s", a, b);
		break;
	case ST_EV_PROCESS_EXEC:
		text_task(a, sizeof(a), &e->u.exec.task);
		snprintf(buf, cap, "%s", a);
		break;
	case ST_EV_CGROUP_MKDIR:
	case ST_EV_CGROUP_RMDIR:
	case ST_EV_CGROUP_FREEZE:
	case ST_EV_CGROUP_UNFREEZE:
		text_escape(buf, cap, e->u.cgroup.path, sizeof(e->u.cgroup.path));
		break;
	case ST_EV_FS_CALL:
		text_fs_event(buf, cap, &e->u.fs, path);
		break;
	case ST_EV_OOM_VICTIM:
		text_task(a, sizeof(a), &e->u.oom.killer);
		snprintf(buf, cap, "victim pid %u (OOM kill while %s allocated)",
			 e->u.oom.victim_pid, a);
		break;
	}
}

size_t record_event_text(const struct record_ctx *rc, const struct st_event *e,
			 const struct container *c, const char *path, char *buf, size_t cap)
{
	char clock[32], label[96], detail[RECORD_MAX / 2];
	const char *kind = event_kind_name(e->kind);
	int n;

	detail[0] = '\0';
	record_clock(rc, e->ts_ns, clock, sizeof(clock));
	text_event_detail(detail, sizeof(detail), e, path);
	record_container_label(c, event_cgroup_id(e), label, sizeof(label));
	n = snprintf(buf, cap, "%s %-16s %-15s %s", clock, label, kind ? kind : "?", detail);
	if (n < 0)
		n = 0;
	return (size_t)n < cap ? (size_t)n : cap - 1;
}
