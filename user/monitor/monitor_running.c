// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What runs in a stopping container, sampled while its stop is open
 * (host/running.h, engine/timeline_running.h). The work is bounded: a
 * sample reads at most RUNNING_MAX processes, and at most RUNNING_PER_SEC
 * stops are sampled a second, the ones that waited longest first; a second
 * in which a due stop went without its sample is counted (monitor_stats'
 * running_samples_skipped).
 */
#include <stdio.h>
#include <stdlib.h>
#include "host/running.h"
#include "monitor/monitor_int.h"

#define SEC_NS 1000000000ULL

static void sample_one(struct monitor *m, const struct container *c)
{
	const char *dirs[2] = {m->cg2_dir, m->v1_dir};
	uint64_t now = now_boot_ns();
	int err;

	err = running_sample(m->live.root, dirs, 2, c->cgroup, m->running);
	if (err) {
		/* the cgroup is gone or unreadable: ask again in a second, nothing kept */
		timeline_running(m->tl, c->id, NULL, now);
		return;
	}
	m->now = now;
	m->running_samples++;
	recorder_running(m->rec, now, c->id, m->running);
	timeline_running(m->tl, c->id, m->running, now);
}

void monitor_sample_running(struct monitor *m, bool after_event)
{
	struct container due[RUNNING_PER_SEC];
	size_t open = timeline_open_stops(m->tl), total, n;

	if (m->replaying || (after_event && open <= m->running_open_seen)) {
		m->running_open_seen = open;
		return;
	}
	m->running_open_seen = open;
	if (!open)
		return;
	if (!m->running) {
		m->running = malloc(sizeof(*m->running));
		if (!m->running)
			return;
	}
	if (!m->running_window_ns || m->now - m->running_window_ns >= SEC_NS) {
		m->running_skipped += m->running_unserved;
		m->running_unserved = 0;
		m->running_window_ns = m->now;
		m->running_budget = RUNNING_PER_SEC;
	}
	total = timeline_running_due(m->tl, m->now, due, m->running_budget);
	n = total < m->running_budget ? total : m->running_budget;
	m->running_unserved = total - n;
	m->running_budget -= (unsigned int)n;
	for (size_t i = 0; i < n; i++)
		sample_one(m, &due[i]);
}

void monitor_replay_running(struct monitor *m, const char *id, const struct running_sample *s)
{
	timeline_running(m->tl, id, s, m->now);
}

void monitor_running_free(struct monitor *m)
{
	free(m->running);
	m->running = NULL;
}

size_t monitor_running_metrics(const struct monitor *m, size_t len, char *buf, size_t cap)
{
	int n;

	if (!len || len >= cap)
		return len < cap ? len : 0;
	n = snprintf(
		buf + len, cap - len,
		"# HELP stoptrace_running_samples_total Samples of what runs in stopping containers, by outcome (skipped: a second a due stop went without one, the rate limit).\n"
		"# TYPE stoptrace_running_samples_total counter\n"
		"stoptrace_running_samples_total{outcome=\"taken\"} %llu\n"
		"stoptrace_running_samples_total{outcome=\"skipped\"} %llu\n",
		(unsigned long long)m->running_samples, (unsigned long long)m->running_skipped);
	if (n < 0 || (size_t)n >= cap - len) {
		buf[len] = '\0'; /* the file without them */
		return len;
	}
	return len + (size_t)n;
}
