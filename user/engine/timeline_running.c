// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What was still running when a stop's grace ran out (timeline_running.h):
 * the samples the monitor hands in, who the timeline says was sent the stop
 * signal, and the words that name the programs still running.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine/timeline_int.h"
#include "lib/hash.h"

#define WORDS_PROGRAMS 4 /* programs named in a reason; the rest are counted */

/* A stop's samples: the last two (the newest may postdate the SIGKILL). */
struct tl_run {
	struct tl_running buf[2];
	int cur; /* buf[cur] is the newest, -1 before the first */
	uint32_t nsamples;
	uint32_t nsig; /* processes sent the stop signal */
	bool sig_cut;  /* ... more than RUNNING_MAX of them */
	uint32_t sig_pid[RUNNING_MAX];
	int32_t sig_result[RUNNING_MAX];
};

static struct tl_run *run_get(struct timeline *t, struct stop_state *s)
{
	if (s->run)
		return s->run;
	if (t->running_stops >= TL_RUNNING_STOPS)
		return NULL;
	s->run = calloc(1, sizeof(*s->run));
	if (!s->run)
		return NULL;
	s->run->cur = -1;
	t->running_stops++;
	return s->run;
}

void tl_running_free(struct timeline *t, struct stop_state *s)
{
	if (!s->run)
		return;
	free(s->run);
	s->run = NULL;
	t->running_stops--;
}

/* A stop that was killed (or began with a kill) or whose init exited: no more samples. */
static bool sampling_over(const struct stop_state *s)
{
	return s->exit_ns || s->sigkill_ns || s->first_sig == SIGKILL;
}

void tl_running_signal(struct timeline *t, struct stop_state *s, const struct st_event *e)
{
	const struct st_signal *sig = &e->u.signal;
	struct tl_run *r;

	if (!s->out.stop_signal || sig->sig != s->out.stop_signal || sig->sig == SIGKILL)
		return;
	r = run_get(t, s);
	if (!r)
		return;
	for (uint32_t i = 0; i < r->nsig; i++) {
		if (r->sig_pid[i] == sig->target.tgid) {
			r->sig_result[i] = sig->result;
			return;
		}
	}
	if (r->nsig >= RUNNING_MAX) {
		r->sig_cut = true;
		return;
	}
	r->sig_pid[r->nsig] = sig->target.tgid;
	r->sig_result[r->nsig++] = sig->result;
}

/* Drop pid from r, a sample taken before it exited. */
static void drop_exited(struct tl_running *r, uint32_t pid, uint64_t ts)
{
	if (r->ts_ns > ts)
		return;
	for (uint32_t i = 0; i < r->n; i++) {
		if (r->procs[i].p.pid != pid)
			continue;
		memmove(&r->procs[i], &r->procs[i + 1], (r->n - i - 1) * sizeof(r->procs[0]));
		r->n--;
		return;
	}
}

void tl_running_exited(struct stop_state *s, const struct st_event *e)
{
	struct tl_run *r = s->run;

	/* what exits after the SIGKILL was still running when it came */
	if (!r || r->cur < 0 || (s->sigkill_ns && e->ts_ns >= s->sigkill_ns))
		return;
	for (int i = 0; i < 2; i++)
		drop_exited(&r->buf[i], e->u.exit.task.tgid, e->ts_ns);
}

static struct tl_cont *find_cont(struct timeline *t, const char *id)
{
	for (struct tl_cont *tc = t->buckets[hash_str(id) % HASH_BUCKETS]; tc; tc = tc->next)
		if (!strcmp(tc->c.id, id))
			return tc;
	return NULL;
}

int timeline_running(struct timeline *t, const char *id, const struct running_sample *smp,
		     uint64_t now_ns)
{
	struct tl_cont *tc = find_cont(t, id);
	struct stop_state *s = tc ? tc->stop : NULL;
	struct tl_running *dst;
	struct tl_run *r;
	uint32_t n;

	if (!s)
		return -ENOENT;
	s->run_next_ns = now_ns + TL_RUNNING_EVERY_NS;
	if (!smp)
		return 0; /* none could be taken: the next in a second */
	if (sampling_over(s))
		return -EALREADY;
	r = run_get(t, s);
	if (!r)
		return t->running_stops >= TL_RUNNING_STOPS ? -ENOSPC : -ENOMEM;
	r->cur = r->cur < 0 ? 0 : !r->cur;
	r->nsamples++;
	dst = &r->buf[r->cur];
	n = smp->n < RUNNING_MAX ? smp->n : RUNNING_MAX;
	dst->ts_ns = now_ns;
	dst->since_ms = tl_ms_between(s->out.start_ns, now_ns);
	dst->n = n;
	dst->incomplete = smp->incomplete || smp->n > RUNNING_MAX;
	for (uint32_t i = 0; i < n; i++) {
		dst->procs[i].p = smp->procs[i];
		dst->procs[i].got = 0;
		dst->procs[i].result = 0;
	}
	return 0;
}

/* Whether each process of r was sent the stop signal, from what the timeline saw. */
static void fill_got(const struct tl_run *run, struct tl_running *r)
{
	for (uint32_t i = 0; i < r->n; i++) {
		struct tl_running_proc *p = &r->procs[i];

		p->got = run->sig_cut ? -1 : 0;
		p->result = 0;
		for (uint32_t k = 0; k < run->nsig; k++) {
			if (run->sig_pid[k] == p->p.pid) {
				p->got = 1;
				p->result = run->sig_result[k];
				break;
			}
		}
	}
}

const struct tl_running *tl_running_last(struct stop_state *s)
{
	struct tl_run *run = s->run;
	struct tl_running *r;

	if (!run || run->cur < 0 || s->first_sig == SIGKILL || (s->exit_ns && !s->sigkill_ns))
		return NULL;
	r = &run->buf[run->cur];
	if (s->sigkill_ns && r->ts_ns > s->sigkill_ns) {
		/* taken while the SIGKILL was on its way to the monitor: the one before */
		r = &run->buf[!run->cur];
		if (run->nsamples < 2 || r->ts_ns > s->sigkill_ns)
			return NULL;
	}
	fill_got(run, r);
	return r;
}

/*
 * "nginx (3 processes), sleep": the first max programs of r, in the order
 * first seen, the rest counted, and whether the list was cut when note.
 * Returns the length it needed (as snprintf).
 */
static size_t say_programs(const struct tl_running *r, uint32_t max, bool note, char *buf,
			   size_t cap)
{
	const char *names[WORDS_PROGRAMS];
	uint32_t counts[WORDS_PROGRAMS];
	uint32_t nnames = 0, others = 0;
	size_t len = 0;

	for (uint32_t i = 0; i < r->n; i++) {
		const char *c = r->procs[i].p.comm;
		uint32_t k = 0;

		while (k < nnames && strncmp(names[k], c, RUNNING_COMM_LEN))
			k++;
		if (k < nnames)
			counts[k]++;
		else if (nnames < max) {
			names[nnames] = c;
			counts[nnames++] = 1;
		} else
			others++;
	}
	buf[0] = '\0';
	for (uint32_t k = 0; k < nnames; k++) {
		const char *name = names[k][0] ? names[k] : "?";

		if (counts[k] > 1)
			len += snprintf(buf + len, len < cap ? cap - len : 0,
					"%s%.*s (%u processes)", k ? ", " : "", RUNNING_COMM_LEN,
					name, counts[k]);
		else
			len += snprintf(buf + len, len < cap ? cap - len : 0, "%s%.*s",
					k ? ", " : "", RUNNING_COMM_LEN, name);
	}
	if (others)
		len += snprintf(buf + len, len < cap ? cap - len : 0, " and %u more processes",
				others);
	if (note && r->incomplete)
		len += snprintf(buf + len, len < cap ? cap - len : 0,
				" (the first %u processes; there were more)", r->n);
	return len;
}

void tl_running_alert(struct stop_state *s, struct tl_alert *a)
{
	size_t len = strlen(a->message);
	char programs[256];

	a->running = tl_running_last(s);
	if (!a->running || !a->running->n || len >= sizeof(a->message))
		return;
	say_programs(a->running, WORDS_PROGRAMS, true, programs, sizeof(programs));
	snprintf(a->message + len, sizeof(a->message) - len, "; still running: %s", programs);
}

void tl_running_words(struct stop_state *s, char *buf, size_t cap)
{
	static const char head[] = "Processes still running when SIGKILL came: ";
	enum tl_verdict v = s->out.verdict;
	const struct tl_running *r;
	char programs[256];
	size_t room;

	buf[0] = '\0';
	if (v < TL_STOP_SIGNAL_IGNORED || v > TL_GRACE_PERIOD_EXCEEDED || !s->sigkill_ns)
		return;
	r = tl_running_last(s);
	if (!r || !r->n || cap < sizeof(head) + 3)
		return;
	/* fewer names, then no note, until it fits in cap */
	room = cap - sizeof(head) - 2;
	for (uint32_t max = WORDS_PROGRAMS; max > 0; max--) {
		if (say_programs(r, max, true, programs, sizeof(programs)) < room ||
		    say_programs(r, max, false, programs, sizeof(programs)) < room) {
			snprintf(buf, cap, "%s%s. ", head, programs);
			return;
		}
	}
}

/* Insert (due, tc) into the max soonest of due[] and out[], kept in order. */
static void keep_soonest(uint64_t *dues, const struct tl_cont **conts, size_t *n, size_t max,
			 uint64_t due, const struct tl_cont *tc)
{
	size_t i = *n < max ? (*n)++ : max;

	if (i == max && (!max || dues[max - 1] <= due))
		return;
	if (i == max)
		i = max - 1;
	while (i > 0 && dues[i - 1] > due) {
		dues[i] = dues[i - 1];
		conts[i] = conts[i - 1];
		i--;
	}
	dues[i] = due;
	conts[i] = tc;
}

size_t timeline_running_due(const struct timeline *t, uint64_t now_ns, struct container *out,
			    size_t max)
{
	uint64_t dues[TL_RUNNING_STOPS];
	const struct tl_cont *conts[TL_RUNNING_STOPS];
	size_t total = 0, n = 0;

	if (max > TL_RUNNING_STOPS)
		max = TL_RUNNING_STOPS;
	for (int b = 0; b < HASH_BUCKETS; b++) {
		for (const struct tl_cont *tc = t->buckets[b]; tc; tc = tc->next) {
			const struct stop_state *s = tc->stop;
			uint64_t due;

			if (!s || sampling_over(s) ||
			    (!s->run && t->running_stops >= TL_RUNNING_STOPS))
				continue;
			due = s->run_next_ns ? s->run_next_ns : s->out.start_ns;
			if (due > now_ns)
				continue;
			total++;
			keep_soonest(dues, conts, &n, max, due, tc);
		}
	}
	for (size_t i = 0; i < n; i++)
		out[i] = conts[i]->c;
	return total;
}
