// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The diagnosis as one JSON record (the "diagnosis" type) or as text for a
 * terminal. Names, paths and process names come from the host's tenants:
 * escaped in both.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/array_size.h"
#include "diagnose/diagnose_int.h"
#include "lib/jsonw.h"
#include "lib/names.h"
#include "privilege/caps.h"

/* Escape for the text format into buf; returns buf. */
static const char *tesc(char *buf, size_t cap, const char *s)
{
	text_escape(buf, cap, s, strlen(s));
	return buf;
}

static void json_problems(struct jsonw *w, const struct diag *d, int max)
{
	int n = d->nproblems < max ? d->nproblems : max;

	jsonw_arr_key(w, "problems");
	for (int i = 0; i < n; i++) {
		jsonw_obj_key(w, NULL);
		jsonw_str(w, "kind", d->problems[i].kind);
		jsonw_str(w, "message", d->problems[i].message);
		jsonw_str(w, "action", d->problems[i].action);
		jsonw_obj_close(w);
	}
	jsonw_arr_close(w);
	if (n < d->nproblems)
		jsonw_int(w, "problems_left_out", d->nproblems - n);
}

/* "init": PID 1 and its pid namespace while it runs, else null. */
static void json_init(struct jsonw *w, const struct diag *d)
{
	if (!d->running) {
		jsonw_null(w, "init");
		return;
	}
	jsonw_obj_key(w, "init");
	jsonw_uint(w, "pid", (uint64_t)d->init_pid);
	jsonw_uint(w, "ns_pid",
		   d->init.nspid_count ? (uint64_t)d->init.nspid[d->init.nspid_count - 1]
				       : (uint64_t)d->init_pid);
	jsonw_str(w, "comm", d->init.name);
	jsonw_bool(w, "ns_init", d->ns_init);
	jsonw_str(w, "wchan", d->init_wchan);
	jsonw_obj_close(w);
	jsonw_uint(w, "pidns", d->pidns);
}

/* "stop_signal" and what PID 1 will do with it. */
static void json_stop_signal(struct jsonw *w, const struct diag *d)
{
	record_signal(w, "stop_signal", d->sig);
	if (d->prediction) {
		jsonw_str(w, "stop_signal_prediction", d->prediction);
		jsonw_str(w, "stop_signal_reason", d->prediction_why);
	} else {
		jsonw_null(w, "stop_signal_prediction");
	}
}

/* One process of PID 1's namespace, with its fix when it keeps the teardown waiting. */
static void json_process(struct jsonw *w, const struct diag *d, int i)
{
	const struct culprit *c = &d->ns_procs[i];
	char fix[MSG_LEN];

	record_culprit_open(w, c);
	if (c->in_container) {
		jsonw_obj_key(w, "container");
		jsonw_str(w, "id", c->container.id);
		jsonw_str(w, "name", c->container.name);
		jsonw_str(w, "runtime", runtime_name(c->container.runtime));
		jsonw_obj_close(w);
	} else {
		jsonw_null(w, "container");
	}
	jsonw_bool(w, "frozen", c->frozen);
	if (c->frozen_how[0])
		jsonw_str(w, "frozen_how", c->frozen_how);
	if (d->ns_stuck[i]) {
		culprit_fix(c, fix, sizeof(fix));
		jsonw_str(w, "fix", fix);
	}
	jsonw_obj_close(w);
}

/* "processes": at most max of them, and how many were left out. */
static void json_processes(struct jsonw *w, const struct diag *d, int max)
{
	jsonw_arr_key(w, "processes");
	for (int i = 0; i < d->nns && i < max; i++)
		json_process(w, d, i);
	jsonw_arr_close(w);
	if (d->nns_total > max || d->nns_total > d->nns)
		jsonw_int(w, "processes_left_out", d->nns_total - (max < d->nns ? max : d->nns));
}

/* "removal" and "removal_hazards": at most max of them, and how many were left out. */
static void json_removal(struct jsonw *w, const struct diag *d, int max)
{
	jsonw_obj_key(w, "removal");
	jsonw_bool(w, "checked", d->removal_checked);
	if (d->storage[0])
		jsonw_str(w, "storage", d->storage);
	if (d->removal_note[0])
		jsonw_str(w, "note", d->removal_note);
	jsonw_obj_close(w);
	jsonw_arr_key(w, "removal_hazards");
	for (int i = 0; i < d->nhazards && i < max; i++) {
		const struct hazard *h = &d->hazards[i];

		jsonw_obj_key(w, NULL);
		jsonw_uint(w, "pid", (uint64_t)h->pid);
		jsonw_str(w, "comm", h->comm);
		jsonw_uint(w, "mnt_ns", h->mntns);
		jsonw_str(w, "path", h->path);
		jsonw_str(w, "mount_point", h->mount_point);
		jsonw_str(w, "match", h->match);
		jsonw_obj_close(w);
	}
	jsonw_arr_close(w);
	if (d->nhazards_total > max || d->nhazards_total > d->nhazards)
		jsonw_int(w, "removal_hazards_left_out",
			  d->nhazards_total - (max < d->nhazards ? max : d->nhazards));
}

/* The record with at most nprocs processes, nhaz hazards and nprob problems. */
static size_t diagnosis_json(const struct diag *d, const struct record_ctx *rc, uint64_t now,
			     int nprocs, int nhaz, int nprob, size_t str_max, char *buf, size_t cap)
{
	struct jsonw w;

	jsonw_init(&w, buf, cap);
	jsonw_cut_strings(&w, str_max);
	record_begin(&w, rc, "diagnosis", now);
	record_container(&w, &d->c, 0);
	jsonw_bool(&w, "running", d->running);
	if (d->dead)
		jsonw_bool(&w, "dead", true);
	if (d->meta_paused)
		jsonw_bool(&w, "paused", true);
	json_init(&w, d);
	json_stop_signal(&w, d);
	json_processes(&w, d, nprocs);
	json_removal(&w, d, nhaz);
	json_problems(&w, d, nprob);
	jsonw_str(&w, "verdict", d->nproblems ? "problem" : "ok");
	if (d->caps_dropped)
		caps_json(&w, "capabilities", d->caps);
	jsonw_obj_close(&w);
	return w.overflow ? 0 : w.len;
}

int diag_print_json(const struct diag *d, const struct record_ctx *rc, uint64_t now)
{
	static const int limits[][4] = {{CULPRITS_MAX, HAZARDS_MAX, PROBLEMS_MAX, 0},
					{4, 4, 8, 0},
					{1, 1, 2, 0},
					{0, 0, 1, 0},
					{0, 0, 1, RECORD_CUT_LEN}};
	char *buf = malloc(RECORD_MAX);
	size_t len = 0;

	if (!buf)
		return -ENOMEM;
	/* never over one line's limit: list fewer processes, hazards, problems; cut strings */
	for (size_t i = 0; !len && i < ARRAY_SIZE(limits); i++)
		len = diagnosis_json(d, rc, now, limits[i][0], limits[i][1], limits[i][2],
				     (size_t)limits[i][3], buf, RECORD_MAX);
	if (len) {
		fwrite(buf, 1, len, stdout);
		fputc('\n', stdout);
	}
	free(buf);
	return len ? 0 : -E2BIG;
}

#define LABEL "%-15s"

/* Which container, and what its PID 1 is. */
static void text_container(const struct diag *d)
{
	char a[4 * NAME_LEN], b[4 * MI_PATH_LEN], e[4 * 256];

	label_of(&d->c, e, sizeof(e));
	printf(LABEL "%s (%s %.12s)\n", "Container", tesc(a, sizeof(a), e),
	       runtime_name(d->c.runtime), d->c.id);
	printf(LABEL "id %s\n", "", tesc(a, sizeof(a), d->c.id));
	if (d->c.cgroup[0])
		printf(LABEL "cgroup %s\n", "", tesc(b, sizeof(b), d->c.cgroup));
	if (d->running)
		printf(LABEL "running: PID 1 is pid %d (%s), %s, pid namespace %llu\n", "",
		       d->init_pid, tesc(a, sizeof(a), d->init.name),
		       d->ns_init ? "init of its own pid namespace"
				  : "in a pid namespace it does not own",
		       (unsigned long long)d->pidns);
	else
		printf(LABEL "%s\n", "",
		       d->dead ? "not running: Docker marks it Dead"
			       : "not running: nothing to predict for its stop");
}

/* The stop signal and what PID 1 will do with it. */
static void text_stop_signal(const struct diag *d)
{
	const char *sig = signal_name(d->sig);
	char signame[16], f[4 * MSG_LEN];

	if (!sig) {
		snprintf(signame, sizeof(signame), "signal %d", d->sig);
		sig = signame;
	}
	printf("\n" LABEL "%s", "Stop signal", sig);
	if (d->prediction)
		printf(": %s\n" LABEL "%s\n", d->prediction, "",
		       tesc(f, sizeof(f), d->prediction_why));
	else
		printf("\n");
}

/* The processes of PID 1's namespace, one a line. */
static void text_namespace(const struct diag *d)
{
	char a[4 * NAME_LEN], e[4 * 256], f[4 * MSG_LEN];

	printf("\n" LABEL "%d process%s, pid namespace %llu\n", "Pid namespace", d->nns_total,
	       d->nns_total == 1 ? "" : "es", (unsigned long long)d->pidns);
	printf(LABEL "%-8s %-7s %-5s %-6s %-16s %-16s %s\n", "", "PID", "NS PID", "STATE", "FROZEN",
	       "CONTAINER", "COMM", "WCHAN");
	for (int i = 0; i < d->nns; i++) {
		const struct culprit *c = &d->ns_procs[i];
		char ctr[NAME_LEN];

		if (c->in_container)
			label_of(&c->container, ctr, sizeof(ctr));
		else
			snprintf(ctr, sizeof(ctr), "-");
		printf(LABEL "%-8u %-7u %-5c %-6s %-16s %-16s %s\n", "", c->pid, c->ns_pid,
		       c->state ? c->state : '?', c->frozen ? "yes" : "no", tesc(a, sizeof(a), ctr),
		       tesc(e, sizeof(e), c->comm),
		       c->wchan[0] ? tesc(f, sizeof(f), c->wchan) : "-");
	}
	if (d->nns_total > d->nns)
		printf(LABEL "(%d more not shown)\n", "", d->nns_total - d->nns);
}

/* The storage and the mounts of it held elsewhere. */
static void text_removal(const struct diag *d)
{
	char b[4 * MI_PATH_LEN], e[4 * 256], f[4 * MSG_LEN];

	printf("\n" LABEL, "Removal");
	if (!d->removal_checked) {
		printf("%s\n", tesc(f, sizeof(f), d->removal_note));
		return;
	}
	printf("storage %s\n", tesc(b, sizeof(b), d->storage));
	if (!d->nhazards_total)
		printf(LABEL "no other mount namespace holds it\n", "");
	for (int i = 0; i < d->nhazards; i++) {
		const struct hazard *h = &d->hazards[i];

		printf(LABEL "pid %d (%s), mount namespace %llu, mounts %s", "", h->pid,
		       tesc(e, sizeof(e), h->comm), (unsigned long long)h->mntns,
		       tesc(b, sizeof(b), h->mount_point));
		if (strcmp(h->path, h->mount_point))
			printf(", that is %s", tesc(b, sizeof(b), h->path));
		printf(" (matched by %s)\n", h->match);
	}
}

/* The problems found, each with its fix. */
static void text_verdict(const struct diag *d)
{
	char f[4 * MSG_LEN];

	printf("\n" LABEL, "Verdict");
	if (!d->nproblems) {
		printf("ok: nothing wrong found\n");
		return;
	}
	printf("%d problem%s\n", d->nproblems, d->nproblems == 1 ? "" : "s");
	for (int i = 0; i < d->nproblems; i++) {
		printf(LABEL "%s: %s\n", "", d->problems[i].kind,
		       tesc(f, sizeof(f), d->problems[i].message));
		printf(LABEL "  fix: %s\n", "", tesc(f, sizeof(f), d->problems[i].action));
	}
}

void diag_print_text(const struct diag *d)
{
	text_container(d);
	text_stop_signal(d);
	if (d->running)
		text_namespace(d);
	text_removal(d);
	text_verdict(d);
}
