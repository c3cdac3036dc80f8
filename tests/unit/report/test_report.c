// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Alerts and stop timelines as records. JSON lines are checked by Python's
 * strict parser and by the values a reader gets back; a timeline too long
 * for one line must still fit RECORD_MAX, keep its first and last events and
 * count the rest. Text output with colour off must never carry an escape
 * byte, whatever the container's processes are called.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/array_size.h"
#include "report/report.h"

#define CID	"02cd76be5d15c70a2058d1b136568464efbe0ea9ee304710c73f1400ed6c7f1f"
#define REAL	1795758519LL /* the wall clock at boot + 10 s */
#define MS	1000000ULL
#define START	(12ULL * 1000000000ULL)
#define RED_ESC "\x1b[31m"
#define HEX32	"ffffffffffffffffffffffffffffffff" /* 16 bytes 0xff */

#include "json_check.h"

/* Text for a terminal: lines separated by \n, and no other control byte. */
static void assert_terminal_safe(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		bool bad = (c < 0x20 && c != '\n') || c == 0x7f;

		if (bad)
			print_error("raw byte 0x%02x at %zu in:\n%s\n", c, i, s);
		assert_false(bad);
	}
}

static const struct record_ctx rc_plain = {
	.host = "vm",
	.boot_to_real_ns = (REAL - 10) * 1000000000LL,
	.color = false,
};

static const struct record_ctx rc_color = {
	.host = "vm",
	.boot_to_real_ns = (REAL - 10) * 1000000000LL,
	.color = true,
};

static const struct report_ctx rep_plain = {
	.rc = &rc_plain, .alert_prefix = 1795758519, .now_ns = START + 2 * MS};
static const struct report_ctx rep_color = {
	.rc = &rc_color, .alert_prefix = 1795758519, .now_ns = START + 2 * MS};

static void make_container(struct container *c)
{
	memset(c, 0, sizeof(*c));
	c->runtime = RUNTIME_DOCKER;
	strcpy(c->id, CID);
	strcpy(c->name, "ex1");
	strcpy(c->cgroup, "/docker/" CID);
}

/* 16 bytes, no NUL, each escaping to the longest JSON form (\u00XX) */
#define MAX_COMM "\x01\x02\x03\x04\x05\x06\x0b\x0e\x0f\x10\x11\x12\x13\x14\x15\x16"
/* a colour sequence in a 16-byte comm, no NUL */
#define ESC_COMM RED_ESC "evil\"\\\x7f\xff\n!"

static void fill_entry(struct tl_entry *en, uint32_t kind, uint64_t ts, uint32_t pid,
		       const char *comm, const char *other_comm)
{
	memset(en, 0, sizeof(*en));
	en->ts_ns = ts;
	en->kind = kind;
	en->pid = pid;
	en->ns_pid = 1;
	memcpy(en->comm, comm, ST_COMM_LEN);
	memcpy(en->other_comm, other_comm, ST_COMM_LEN);
	en->other_pid = 16254;
	if (kind == ST_EV_SIGNAL_GENERATE) {
		en->sig = 15;
		en->result = ST_SIG_DELIVERED;
		en->flags = ST_SIGF_BLOCKED;
	} else if (kind == ST_EV_PROCESS_EXIT) {
		en->sig = 9; /* raw exit code: killed by SIGKILL */
	}
}

/* A stop of 64 signal_generate entries with the longest comms, then an exit. */
static void make_long_stop(struct tl_stop *s, const char *comm)
{
	memset(s, 0, sizeof(*s));
	make_container(&s->container);
	s->start_ns = START;
	s->end_ns = START + 70 * MS;
	s->verdict = TL_STOP_SIGNAL_BLOCKED;
	s->findings = 1u << TL_STOP_SIGNAL_BLOCKED | 1u << TL_GRACE_PERIOD_EXCEEDED;
	snprintf(s->reason, sizeof(s->reason), "SIGTERM to PID 1 (%.16s) was blocked", comm);
	s->stop_signal = 15;
	s->configured_stop_signal = 15;
	s->has_sender = true;
	s->sender.pid = 16254;
	s->sender.ns_pid = 16254;
	memcpy(s->sender.comm, comm, ST_COMM_LEN);
	for (int i = 0; i < ST_ANCESTRY; i++) {
		s->sender.ancestry[i].pid = 100 + (uint32_t)i;
		memcpy(s->sender.ancestry[i].comm, comm, ST_COMM_LEN);
	}
	s->grace_ms = 10000;
	s->exited = true;
	s->exit_code = 9;
	s->init_pid = 16196;
	s->teardown_ms = -1;
	s->nentries = TL_MAX_ENTRIES;
	s->dropped = 5; /* the engine already left 5 out of the middle */
	for (uint32_t i = 0; i < TL_MAX_ENTRIES - 1; i++)
		fill_entry(&s->entries[i], ST_EV_SIGNAL_GENERATE, START + i * MS, 1000 + i, comm,
			   comm);
	fill_entry(&s->entries[TL_MAX_ENTRIES - 1], ST_EV_PROCESS_EXIT, START + 69 * MS, 1063, comm,
		   comm);
}

static void test_stop_json_long_timeline_cut(void **state)
{
	struct tl_stop *s = calloc(1, sizeof(*s));
	char *buf = malloc(RECORD_MAX), got[60][64];
	size_t len;

	(void)state;
	assert_non_null(s);
	assert_non_null(buf);
	make_long_stop(s, MAX_COMM);
	len = report_stop_json(&rep_plain, s, buf, RECORD_MAX);
	assert_true(len > 0);
	assert_int_equal(len, strlen(buf));
	assert_true(len + 1 <= RECORD_MAX); /* with its newline */
	assert_null(memchr(buf, '\n', len));

	const struct expect ex[] = {
		{"type", "\"stop_timeline\""},
		{"container.id", "\"" CID "\""},
		{"verdict", "\"stop_signal_blocked\""},
		{"events.0.t_ms", "0"},
		{"events.0.event", "\"signal_generate\""},
		{"events.0.process.pid", "1000"},
		{"hex:events.0.process.comm", hex(MAX_COMM, ST_COMM_LEN)},
		{"hex:events.0.sender.comm", hex(MAX_COMM, ST_COMM_LEN)},
		{"events.-1.t_ms", "69"},
		{"events.-1.event", "\"process_exit\""},
		{"events.-1.process.pid", "1063"},
		{"events.-1.exit.signal", "\"SIGKILL\""},
		{"events.-2.process.pid", NULL},
		{"len:events", NULL},
		{"events_left_out", NULL},
	};
	assert_json(buf, ex, ARRAY_SIZE(ex), got);

	/* it had to cut, and every event is either listed or counted */
	int listed = atoi(got[13]), left_out = atoi(got[14]);

	assert_true(listed >= 2 && listed < TL_MAX_ENTRIES);
	assert_true(left_out > 5);
	assert_int_equal(listed + left_out, TL_MAX_ENTRIES + 5);
	/* the tail kept is the end of the timeline, in order */
	assert_int_equal(atoi(got[12]), 1062);
	free(buf);
	free(s);
}

static void test_stop_json_short_complete(void **state)
{
	struct tl_stop *s = calloc(1, sizeof(*s));
	char *buf = malloc(RECORD_MAX);
	size_t len;

	(void)state;
	assert_non_null(s);
	assert_non_null(buf);
	make_long_stop(s, "sleep\0\0\0\0\0\0\0\0\0\0\0");
	s->nentries = 3;
	s->dropped = 0;
	s->verdict = TL_STOP_SIGNAL_IGNORED;
	s->findings = 1u << TL_STOP_SIGNAL_IGNORED;
	s->exit_code = 0x100; /* exit code 1 */
	s->teardown_ms = 12;
	s->lost = 2;
	strcpy(s->sender.comm, "runc");
	s->sender.ancestry[2].pid = 0; /* the ancestry ends here */
	/* the stop signal found PID 1 exiting; a delivery the kernel dropped */
	s->entries[0].flags |= TL_ENTRY_EXITING;
	fill_entry(&s->entries[1], ST_EV_SIGNAL_DELIVER, START + MS, 16196, s->entries[0].comm,
		   s->entries[0].comm);
	s->entries[1].sig = 15;
	s->entries[1].disposition = ST_DISP_DEFAULT;
	s->entries[1].flags = TL_ENTRY_DROPPED;
	len = report_stop_json(&rep_plain, s, buf, RECORD_MAX);
	assert_int_equal(len, strlen(buf));

	const struct expect ex[] = {
		{"schema", "1"},
		{"type", "\"stop_timeline\""},
		{"time", "\"2026-11-27T05:48:41.070000000Z\""},
		{"started", "\"2026-11-27T05:48:41.000000000Z\""},
		{"verdict", "\"stop_signal_ignored\""},
		{"findings", "[\"stop_signal_ignored\"]"},
		{"stop_signal", "\"SIGTERM\""},
		{"sender.comm", "\"runc\""},
		{"len:sender.ancestry", "2"},
		{"grace_ms", "10000"},
		{"exit", "{\"code\": 1}"},
		{"init.pid", "16196"},
		{"duration_ms", "70"},
		{"teardown_ms", "12"},
		{"lost", "2"},
		{"note", "\"incomplete: 2 records lost\""},
		{"len:events", "3"},
		{"events.0.exiting", "true"},
		{"events.1.event", "\"signal_deliver\""},
		{"events.1.action", "\"default\""},
		{"events.1.dropped", "true"},
		{"events.2.exiting", "<missing>"},
		{"events.2.dropped", "<missing>"},
		{"events.2.t_ms", "2"},
		{"events.2.result", "\"delivered\""},
		{"events.2.blocked", "true"},
		{"events.2.sender.pid", "16254"},
		{"events_left_out", "0"},
	};
	assert_json(buf, ex, ARRAY_SIZE(ex), NULL);
	free(buf);
	free(s);
}

/*
 * Every string of a stop at its longest and worst: the line may leave events
 * out, but it is still written, fits, and parses.
 */
static void test_stop_json_worst_case_still_written(void **state)
{
	struct tl_stop *s = calloc(1, sizeof(*s));
	char *buf = malloc(RECORD_MAX);
	size_t len;

	(void)state;
	assert_non_null(s);
	assert_non_null(buf);
	make_long_stop(s, MAX_COMM);
	memset(s->container.name, '\x01', sizeof(s->container.name) - 1);
	memset(s->reason, '\x01', sizeof(s->reason) - 1);
	len = report_stop_json(&rep_plain, s, buf, RECORD_MAX);
	assert_true(len > 0);
	assert_int_equal(len, strlen(buf));
	assert_true(len < RECORD_MAX);

	const struct expect ex[] = {
		{"type", "\"stop_timeline\""},
		{"container.id", "\"" CID "\""},
		{"events.0.process.pid", "1000"},
		{"events.-1.process.pid", "1063"},
	};
	assert_json(buf, ex, ARRAY_SIZE(ex), NULL);
	free(buf);
	free(s);
}

static void make_alert(struct tl_alert *a)
{
	memset(a, 0, sizeof(*a));
	a->kind = TL_ALERT_STOP_SIGNAL_IGNORED;
	a->alert_id = 7;
	a->ts_ns = START;
	a->event_ts_ns = START - 3 * MS;
	make_container(&a->container);
	snprintf(a->message, sizeof(a->message), "SIGTERM to PID 1 (%s) was ignored by the kernel",
		 RED_ESC "sleep");
	strcpy(a->action, "run the container with an init (docker run --init, tini)");
	a->sig = 15;
	a->pid = 16196;
	a->ns_pid = 1;
	memcpy(a->comm, ESC_COMM, ST_COMM_LEN);
	a->duration_ms = -1;
	a->repeats = 2;
}

/* Every string a tenant chooses at its longest, in bytes that are not UTF-8. */
static void make_hostile_container(struct container *c)
{
	make_container(c);
	c->runtime = RUNTIME_CRIO;
	memset(c->id, '\xff', sizeof(c->id) - 1);
	memset(c->name, '\xff', sizeof(c->name) - 1);
	memset(c->cgroup, '\xff', sizeof(c->cgroup) - 1);
	memset(c->pod_namespace, '\xff', sizeof(c->pod_namespace) - 1);
	memset(c->pod_name, '\xff', sizeof(c->pod_name) - 1);
	memset(c->pod_uid, '\xff', sizeof(c->pod_uid) - 1);
}

/*
 * A container whose strings alone are longer than a line: its stop and its
 * alert are still written, within the limit, with the strings cut and their
 * lengths said (they were written as an empty line before).
 */
static void test_hostile_container_strings_cut(void **state)
{
	struct tl_stop *s = calloc(1, sizeof(*s));
	char *buf = malloc(RECORD_MAX);
	struct tl_alert a;
	size_t len;

	(void)state;
	assert_non_null(s);
	assert_non_null(buf);
	make_long_stop(s, MAX_COMM);
	make_hostile_container(&s->container);
	len = report_stop_json(&rep_plain, s, buf, RECORD_MAX);
	assert_true(len > 0 && len < RECORD_MAX);
	assert_int_equal(len, strlen(buf));
	const struct expect ex[] = {
		{"type", "\"stop_timeline\""},	   {"verdict", "\"stop_signal_blocked\""},
		{"container.cgroup_cut", "511"},   {"container.name_cut", "255"},
		{"container.pod.name_cut", "255"}, {"container.id_hex", "\"" HEX32 HEX32 "\""},
		{"exit.signal", "\"SIGKILL\""},
	};
	assert_json(buf, ex, ARRAY_SIZE(ex), NULL);

	make_alert(&a);
	make_hostile_container(&a.container);
	memset(a.message, '\xff', sizeof(a.message) - 1);
	len = report_alert_json(&rep_plain, &a, false, buf, RECORD_MAX);
	assert_true(len > 0 && len < RECORD_MAX);
	assert_int_equal(len, strlen(buf));
	const struct expect exa[] = {
		{"type", "\"alert\""},
		{"kind", "\"stop_signal_ignored\""},
		{"alert_id", "\"1795758519-7\""},
		{"container.cgroup_cut", "511"},
		{"process.pid", "16196"},
	};
	assert_json(buf, exa, ARRAY_SIZE(exa), NULL);

	/* a container of ordinary names is never cut */
	make_long_stop(s, MAX_COMM);
	len = report_stop_json(&rep_plain, s, buf, RECORD_MAX);
	assert_non_null(strstr(buf, "\"cgroup\":\"/docker/" CID "\""));
	assert_null(strstr(buf, "_cut\""));
	free(buf);
	free(s);
}

static void test_alert_and_resolved_json(void **state)
{
	/* what a reader decodes: the invalid byte as U+FFFD, its raw bytes in comm_hex */
	static const char comm_decoded[] = RED_ESC "evil\"\\\x7f\xef\xbf\xbd\n!";
	char *buf = malloc(RECORD_MAX), got[60][64], got_resolved[60][64];
	struct tl_alert a;
	size_t len;

	(void)state;
	assert_non_null(buf);
	make_alert(&a);
	len = report_alert_json(&rep_plain, &a, false, buf, RECORD_MAX);
	assert_true(len > 0 && len < RECORD_MAX);
	assert_int_equal(len, strlen(buf));

	const struct expect ex[] = {
		{"kind", "\"stop_signal_ignored\""},
		{"alert_id", "\"1795758519-7\""},
		{"type", "\"alert\""},
		{"time", "\"2026-11-27T05:48:41.000000000Z\""},
		{"container.id", "\"" CID "\""},
		{"container.name", "\"ex1\""},
		{"hex:message", hex(a.message, strlen(a.message))},
		{"action", "\"run the container with an init (docker run --init, tini)\""},
		{"signal", "\"SIGTERM\""},
		{"process.pid", "16196"},
		{"process.ns_pid", "1"},
		{"hex:process.comm", hex(comm_decoded, strlen(comm_decoded))},
		{"process.comm_hex", "\"1b5b33316d6576696c225c7fff0a21\""},
		{"duration_ms", "<missing>"},
		{"repeats", "2"},
		{"resolves", "true"},
		{"latency_ms", "5"},
	};
	assert_json(buf, ex, ARRAY_SIZE(ex), got);

	len = report_alert_json(&rep_plain, &a, true, buf, RECORD_MAX);
	assert_true(len > 0 && len < RECORD_MAX);
	const struct expect exr[] = {
		{"kind", "\"stop_signal_ignored\""},
		{"alert_id", "\"1795758519-7\""},
		{"type", "\"alert_resolved\""},
		{"container.id", "\"" CID "\""},
		{"message", "<missing>"},
		{"process.pid", "16196"},
	};
	assert_json(buf, exr, ARRAY_SIZE(exr), got_resolved);
	/* the pair is matched by kind and alert_id */
	assert_string_equal(got[0], got_resolved[0]);
	assert_string_equal(got[1], got_resolved[1]);

	/* another alert has another id */
	a.alert_id = 8;
	a.kind = TL_ALERT_NS_TEARDOWN_STUCK;
	a.duration_ms = 3000;
	len = report_alert_json(&rep_plain, &a, false, buf, RECORD_MAX);
	assert_true(len > 0);
	const struct expect ex2[] = {
		{"kind", "\"ns_teardown_stuck\""},
		{"alert_id", "\"1795758519-8\""},
		{"duration_ms", "3000"},
	};
	assert_json(buf, ex2, ARRAY_SIZE(ex2), NULL);
	free(buf);
}

static void test_stop_text_no_escape(void **state)
{
	struct tl_stop *s = calloc(1, sizeof(*s));
	char *buf = malloc(4 * RECORD_MAX);
	size_t len;

	(void)state;
	assert_non_null(s);
	assert_non_null(buf);
	make_long_stop(s, ESC_COMM);
	s->nentries = 6;
	fill_entry(&s->entries[1], ST_EV_SIGNAL_DELIVER, START + MS, 1001, ESC_COMM, ESC_COMM);
	fill_entry(&s->entries[2], ST_EV_INIT_RELEASED, START + 2 * MS, 1002, ESC_COMM, ESC_COMM);
	fill_entry(&s->entries[3], ST_EV_PROCESS_FORK, START + 3 * MS, 1003, ESC_COMM, ESC_COMM);
	fill_entry(&s->entries[4], ST_EV_CGROUP_RMDIR, START + 4 * MS, 0, ESC_COMM, ESC_COMM);
	fill_entry(&s->entries[5], ST_EV_PROCESS_EXIT, START + 5 * MS, 1005, ESC_COMM, ESC_COMM);
	strcpy(s->container.name, "ex" RED_ESC "1\x07");
	snprintf(s->reason, sizeof(s->reason), "PID 1 (%s) blocked SIGTERM.\n" RED_ESC "x",
		 RED_ESC "sleep");

	len = report_stop_text(&rep_plain, s, buf, 4 * RECORD_MAX);
	assert_int_equal(len, strlen(buf));
	assert_null(memchr(buf, 0x1b, len));
	assert_terminal_safe(buf, len);
	/* the names are shown, escaped */
	assert_non_null(strstr(buf, "\\e[31mevil\"\\\\\\x7f\\xff\\n!"));
	assert_non_null(strstr(buf, "ex\\e[31m1\\x07"));
	assert_non_null(strstr(buf, "[1000/1]"));
	assert_non_null(strstr(buf, "stop_signal_blocked"));
	assert_non_null(strstr(buf, "SIGTERM"));

	/* with colour on, the verdict is coloured: the check above can see ESC */
	len = report_stop_text(&rep_color, s, buf, 4 * RECORD_MAX);
	assert_non_null(memchr(buf, 0x1b, len));

	free(buf);
	free(s);
}

/* The container id is shown in text too; an LXC "id" is a free-form name. */
static void test_stop_text_hostile_id(void **state)
{
	struct tl_stop *s = calloc(1, sizeof(*s));
	char *buf = malloc(4 * RECORD_MAX);
	size_t len;

	(void)state;
	assert_non_null(s);
	assert_non_null(buf);
	make_long_stop(s, "sleep\0\0\0\0\0\0\0\0\0\0\0");
	s->nentries = 1;
	s->container.runtime = RUNTIME_LXC;
	strcpy(s->container.id, "a" RED_ESC "\x07b");
	strcpy(s->container.name, "");
	len = report_stop_text(&rep_plain, s, buf, 4 * RECORD_MAX);
	assert_int_equal(len, strlen(buf));
	assert_null(memchr(buf, 0x1b, len));
	assert_terminal_safe(buf, len);
	free(buf);
	free(s);
}

/* A stop that records were lost from says so, with how many, in text too. */
static void test_stop_text_lost(void **state)
{
	struct tl_stop *s = calloc(1, sizeof(*s));
	char *buf = malloc(4 * RECORD_MAX);

	(void)state;
	assert_non_null(s);
	assert_non_null(buf);
	make_long_stop(s, "sleep\0\0\0\0\0\0\0\0\0\0\0");
	s->nentries = 1;
	report_stop_text(&rep_plain, s, buf, 4 * RECORD_MAX);
	assert_null(strstr(buf, "incomplete"));
	s->lost = 37;
	report_stop_text(&rep_plain, s, buf, 4 * RECORD_MAX);
	assert_non_null(strstr(buf, "[incomplete: 37 records lost]"));
	free(buf);
	free(s);
}

static void test_alert_text_no_escape(void **state)
{
	char buf[RECORD_MAX];
	struct tl_alert a;
	size_t len;

	(void)state;
	make_alert(&a);
	strcpy(a.container.name, "ex" RED_ESC "1");
	strcpy(a.action, "kill " RED_ESC "it\x7f");
	for (int resolved = 0; resolved < 2; resolved++) {
		len = report_alert_text(&rep_plain, &a, resolved, buf, sizeof(buf));
		assert_true(len > 0);
		assert_int_equal(len, strlen(buf));
		assert_null(memchr(buf, 0x1b, len));
		assert_terminal_safe(buf, len);
		assert_non_null(strstr(buf, "stop_signal_ignored"));
		assert_non_null(strstr(buf, "1795758519-7"));
		assert_non_null(strstr(buf, "ex\\e[31m1"));
		if (!resolved) {
			assert_non_null(strstr(buf, "ALERT"));
			assert_non_null(strstr(buf, "(\\e[31msleep)"));
			assert_non_null(strstr(buf, "kill \\e[31mit"));
		} else {
			assert_non_null(strstr(buf, "RESOLVED"));
		}

		/* colour on: the only escapes are the writer's own */
		len = report_alert_text(&rep_color, &a, resolved, buf, sizeof(buf));
		assert_non_null(memchr(buf, 0x1b, len));
		assert_null(strstr(buf, RED_ESC "1"));
		assert_null(strstr(buf, RED_ESC "sleep"));
	}
}

/* A full sample of hostile names: one line still, every process listed or counted. */
static void make_running(struct tl_running *r)
{
	memset(r, 0, sizeof(*r));
	r->since_ms = 2001;
	r->incomplete = true;
	r->n = RUNNING_MAX;
	for (uint32_t i = 0; i < RUNNING_MAX; i++) {
		struct tl_running_proc *p = &r->procs[i];

		p->p.pid = 20000 + i;
		p->p.ns_pid = 1 + i;
		p->p.state = i ? 'S' : '\x1b';
		memcpy(p->p.comm, ESC_COMM, sizeof(ESC_COMM) - 1);
		snprintf(p->p.wchan, sizeof(p->p.wchan), "%s", RED_ESC "do_wait");
		p->got = i == 0 ? 1 : i == 1 ? 0 : -1;
		p->result = ST_SIG_IGNORED;
	}
}

static void test_still_running(void **state)
{
	struct tl_stop *s = calloc(1, sizeof(*s));
	struct tl_running *r = calloc(1, sizeof(*r));
	char *buf = malloc(4 * RECORD_MAX), got[60][64];
	size_t len;

	static const char sleep_comm[ST_COMM_LEN] = "sleep";

	(void)state;
	make_long_stop(s, sleep_comm);
	make_running(r);
	s->running = r;
	len = report_stop_json(&rep_plain, s, buf, RECORD_MAX);
	assert_true(len > 0 && len + 1 <= RECORD_MAX);
	const struct expect ex[] = {
		{"still_running.0.pid", "20000"},
		{"still_running.0.ns_pid", "1"},
		{"hex:still_running.0.comm", "1b5b33316d6576696c225c7fefbfbd0a21"},
		{"still_running.0.comm_hex", "\"1b5b33316d6576696c225c7fff0a21\""},
		{"still_running.0.state", "\"\\u001b\""},
		{"still_running.0.since_stop_ms", "2001"},
		{"still_running.0.got_stop_signal", "true"},
		{"still_running.0.stop_signal_result", "\"ignored\""},
		{"still_running.1.got_stop_signal", "false"},
		{"still_running.1.stop_signal_result", "<missing>"},
		{"still_running.2.got_stop_signal", "null"},
		{"still_running_incomplete", "true"},
		{"len:still_running", NULL},
		{"still_running_left_out", NULL},
		{"len:events", NULL},
	};
	assert_json(buf, ex, ARRAY_SIZE(ex), got);
	assert_true(atoi(got[12]) >= 8);
	assert_int_equal(atoi(got[12]) + atoi(got[13]), RUNNING_MAX);

	/* text: escaped, a line for the first ones, the rest counted */
	len = report_stop_text(&rep_plain, s, buf, 4 * RECORD_MAX);
	assert_null(memchr(buf, 0x1b, len));
	assert_terminal_safe(buf, len);
	assert_non_null(
		strstr(buf, "still running at +2001 ms: \\e[31mevil\"\\\\\\x7f\\xff\\n![20000/1]"));
	assert_non_null(strstr(buf, "in \\e[31mdo_wait, sent SIGTERM: ignored"));
	assert_non_null(strstr(buf, "[20001/2] S in \\e[31mdo_wait, never sent SIGTERM"));
	assert_non_null(strstr(buf, "... 240 more processes"));
	free(buf);
	free(r);
	free(s);
}

/* The alert of a stop still running carries the list, cut to fit one line. */
static void test_alert_still_running(void **state)
{
	struct tl_running *r = calloc(1, sizeof(*r));
	char buf[RECORD_MAX], got[60][64];
	struct tl_alert a;
	size_t len;

	(void)state;
	make_alert(&a);
	make_running(r);
	a.kind = TL_ALERT_STOP_STILL_RUNNING;
	a.running = r;
	len = report_alert_json(&rep_plain, &a, false, buf, sizeof(buf));
	assert_true(len > 0);
	const struct expect ex[] = {
		{"kind", "\"stop_still_running\""},
		{"still_running.0.pid", "20000"},
		{"len:still_running", NULL},
		{"still_running_left_out", NULL},
	};
	assert_json(buf, ex, ARRAY_SIZE(ex), got);
	assert_int_equal(atoi(got[2]) + atoi(got[3]), RUNNING_MAX);
	/* resolved: no list */
	len = report_alert_json(&rep_plain, &a, true, buf, sizeof(buf));
	assert_null(strstr(buf, "\"still_running\":"));
	len = report_alert_text(&rep_plain, &a, false, buf, sizeof(buf));
	assert_null(memchr(buf, 0x1b, len));
	assert_non_null(strstr(buf, "still running at +2001 ms"));
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stop_json_long_timeline_cut),
		cmocka_unit_test(test_stop_json_short_complete),
		cmocka_unit_test(test_stop_json_worst_case_still_written),
		cmocka_unit_test(test_alert_and_resolved_json),
		cmocka_unit_test(test_hostile_container_strings_cut),
		cmocka_unit_test(test_stop_text_no_escape),
		cmocka_unit_test(test_stop_text_hostile_id),
		cmocka_unit_test(test_stop_text_lost),
		cmocka_unit_test(test_alert_text_no_escape),
		cmocka_unit_test(test_still_running),
		cmocka_unit_test(test_alert_still_running),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
