// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What was still running when a stop's grace ran out (engine/timeline_running.h),
 * in the stop_timeline and in its alerts: "still_running" in JSON, a line
 * per process in text. Process names and wait channels are a tenant's:
 * escaped here like every other string.
 */
#include <stdio.h>
#include <string.h>
#include "lib/names.h"
#include "report/report.h"

#define TEXT_MAX 16 /* processes a text record lists */

void report_running_json(struct jsonw *w, const struct tl_running *r, int stop_signal, uint32_t n)
{
	if (!r)
		return;
	if (n > r->n)
		n = r->n;
	jsonw_arr_key(w, "still_running");
	for (uint32_t i = 0; i < n; i++) {
		const struct tl_running_proc *p = &r->procs[i];
		const char *res = signal_result_name(p->result);

		jsonw_obj_open(w);
		jsonw_uint(w, "pid", p->p.pid);
		jsonw_uint(w, "ns_pid", p->p.ns_pid);
		jsonw_strn(w, "comm", p->p.comm, sizeof(p->p.comm));
		jsonw_strn(w, "state", &p->p.state, p->p.state ? 1 : 0);
		jsonw_strn(w, "wchan", p->p.wchan, sizeof(p->p.wchan));
		jsonw_int(w, "since_stop_ms", r->since_ms);
		if (p->got < 0)
			jsonw_null(w, "got_stop_signal");
		else
			jsonw_bool(w, "got_stop_signal", p->got);
		if (p->got > 0 && stop_signal)
			jsonw_str(w, "stop_signal_result", res ? res : "unknown");
		jsonw_obj_close(w);
	}
	jsonw_arr_close(w);
	jsonw_bool(w, "still_running_incomplete", r->incomplete);
	if (n < r->n)
		jsonw_uint(w, "still_running_left_out", r->n - n);
}

/* "bash[1234/1] S in do_wait, sent SIGTERM: ignored" */
static void text_proc(const struct tl_running_proc *p, int stop_signal, char *buf, size_t cap)
{
	char comm[4 * RUNNING_COMM_LEN + 1], wchan[4 * RUNNING_WCHAN_LEN + 1], state[8], sb[24];
	const char *res = signal_result_name(p->result);
	int n;

	text_escape(comm, sizeof(comm), p->p.comm, strnlen(p->p.comm, sizeof(p->p.comm)));
	text_escape(wchan, sizeof(wchan), p->p.wchan, strnlen(p->p.wchan, sizeof(p->p.wchan)));
	text_escape(state, sizeof(state), p->p.state ? &p->p.state : "?", 1);
	n = snprintf(buf, cap, "%s[%u/%u] %s%s%s", comm, p->p.pid, p->p.ns_pid, state,
		     wchan[0] ? " in " : "", wchan);
	if (n < 0 || (size_t)n >= cap || !stop_signal)
		return;
	if (p->got > 0)
		snprintf(buf + n, cap - n, ", sent %s: %s",
			 signal_text(stop_signal, sb, sizeof(sb)), res ? res : "?");
	else if (!p->got)
		snprintf(buf + n, cap - n, ", never sent %s",
			 signal_text(stop_signal, sb, sizeof(sb)));
}

size_t report_running_text(const struct tl_running *r, int stop_signal, const char *indent,
			   char *buf, size_t cap, size_t len)
{
	char line[512];
	int n;

	if (!r || !r->n)
		return len;
	for (uint32_t i = 0; i < r->n && len + 1 < cap; i++) {
		if (i == TEXT_MAX) {
			n = snprintf(buf + len, cap - len, "\n%s... %u more processes", indent,
				     r->n - i);
			len = n > 0 && len + (size_t)n < cap ? len + (size_t)n : cap - 1;
			break;
		}
		text_proc(&r->procs[i], stop_signal, line, sizeof(line));
		n = snprintf(buf + len, cap - len, "\n%sstill running at +%lld ms: %s", indent,
			     (long long)r->since_ms, line);
		len = n > 0 && len + (size_t)n < cap ? len + (size_t)n : cap - 1;
	}
	if (r->incomplete && len + 1 < cap) {
		n = snprintf(buf + len, cap - len, "\n%s(more processes than a sample holds)",
			     indent);
		len = n > 0 && len + (size_t)n < cap ? len + (size_t)n : cap - 1;
	}
	return len;
}
