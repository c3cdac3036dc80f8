// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Raw `event` records with hostile process names: the JSON line is checked by
 * Python's strict parser (valid UTF-8, no raw control characters, no
 * duplicate keys) and by the values a reader gets back; the text line must
 * carry no raw control byte a terminal would act on.
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
#include "kernel/event.h"
#include "report/records.h"
#include "sink/syslog.h"

#define CID  "02cd76be5d15c70a2058d1b136568464efbe0ea9ee304710c73f1400ed6c7f1f"
#define REAL 1795758519LL /* the wall clock at boot + 10 s */

#include "json_check.h"

/* No byte a terminal acts on: C0 controls and DEL. */
static void assert_no_control(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			print_error("raw byte 0x%02x at %zu in: %s\n", c, i, s);
		assert_false(c < 0x20 || c == 0x7f);
	}
}

/* 15 hostile bytes, the NUL the kernel writes, as they come in comm */
#define EVIL_COMM "\"\\\n\x1b[31m\xff\x7f\tq\"}"
/* what a JSON reader decodes: the invalid byte comes back as U+FFFD, comm_hex has it */
#define EVIL_COMM_DECODED "\"\\\n\x1b[31m\xef\xbf\xbd\x7f\tq\"}"
/* 16 bytes, no NUL: all of it is the name */
#define FULL_COMM "containerd-shim\x01"

static const struct record_ctx rc = {
	.host = "vm",
	.boot_to_real_ns = (REAL - 10) * 1000000000LL,
	.color = false,
};

static void make_container(struct container *c)
{
	memset(c, 0, sizeof(*c));
	c->runtime = RUNTIME_DOCKER;
	strcpy(c->id, CID);
	strcpy(c->name, "ex1");
	strcpy(c->cgroup, "/docker/" CID);
}

static void make_signal(struct st_event *e)
{
	struct st_signal *s = &e->u.signal;

	memset(e, 0, sizeof(*e));
	e->ts_ns = 12846915716ULL;
	e->kind = ST_EV_SIGNAL_GENERATE;
	s->target = (struct st_task){
		.cgroup_id = 690,
		.pid = 16196,
		.tgid = 16196,
		.ns_pid = 1,
		.ns_tgid = 1,
		.pidns = 4026532180u,
		.flags = ST_TASK_NS_INIT | ST_TASK_UNKILLABLE,
	};
	memcpy(s->target.comm, EVIL_COMM, sizeof(EVIL_COMM));
	s->sender =
		(struct st_task){.pid = 16254, .tgid = 16254, .ns_pid = 16254, .ns_tgid = 16254};
	memcpy(s->sender.comm, "r\x1b]0;x\x07unc", sizeof("r\x1b]0;x\x07unc"));
	s->ancestry[0].pid = 16176;
	memcpy(s->ancestry[0].comm, FULL_COMM, ST_COMM_LEN);
	s->ancestry[1].pid = 1;
	strcpy(s->ancestry[1].comm, "process_api");
	s->sig = 15;
	s->code = 0;
	s->result = ST_SIG_IGNORED;
	s->disposition = ST_DISP_DEFAULT;
}

static void test_signal_json(void **state)
{
	struct container c;
	struct st_event e;
	char *buf = malloc(RECORD_MAX);
	size_t len;

	(void)state;
	assert_non_null(buf);
	make_container(&c);
	make_signal(&e);
	len = record_event_json(&rc, &e, &c, NULL, true, buf, RECORD_MAX);
	assert_int_equal(len, strlen(buf));
	assert_true(len > 0 && len < RECORD_MAX);
	assert_null(memchr(buf, '\n', len)); /* one record, one line */

	const struct expect ex[] = {
		{"schema", "1"},
		{"type", "\"event\""},
		{"time", "\"2026-11-27T05:48:41.846915716Z\""},
		{"host", "\"vm\""},
		{"event", "\"signal_generate\""},
		{"container.id", "\"" CID "\""},
		{"container.name", "\"ex1\""},
		{"container.runtime", "\"docker\""},
		{"container.cgroup", "\"/docker/" CID "\""},
		{"container.cgroup_id", "690"},
		{"signal", "\"SIGTERM\""},
		{"signo", "15"},
		{"result", "\"ignored\""},
		{"code", "\"SI_USER\""},
		{"disposition", "\"default\""},
		{"blocked", "false"},
		{"target.pid", "16196"},
		{"target.ns_pid", "1"},
		{"target.ns_init", "true"},
		{"target.unkillable", "true"},
		{"target.exiting", "<missing>"},
		{"target.pidns", "4026532180"},
		{"hex:target.comm", hex(EVIL_COMM_DECODED, strlen(EVIL_COMM_DECODED))},
		{"target.comm_hex", "\"225c0a1b5b33316dff7f0971227d\""},
		{"sender.comm_hex", "<missing>"},
		{"hex:sender.comm", hex("r\x1b]0;x\x07unc", 10)},
		{"sender.pid", "16254"},
		{"sender.ancestry.0.pid", "16176"},
		{"hex:sender.ancestry.0.comm", hex(FULL_COMM, ST_COMM_LEN)},
		{"sender.ancestry.1.comm", "\"process_api\""},
		{"sender.ancestry.2", "<missing>"},
	};
	assert_json(buf, ex, ARRAY_SIZE(ex), NULL);
	free(buf);
}

/* A signal to a group already exiting says so; a delivery says its sa_flags. */
static void test_signal_exiting_and_deliver_json(void **state)
{
	struct container c;
	struct st_event e;
	char *buf = malloc(RECORD_MAX);

	(void)state;
	assert_non_null(buf);
	make_container(&c);
	make_signal(&e);
	e.u.signal.target.flags |= ST_TASK_GROUP_EXIT;
	assert_true(record_event_json(&rc, &e, &c, NULL, true, buf, RECORD_MAX) > 0);
	const struct expect ex[] = {
		{"result", "\"ignored\""},
		{"target.exiting", "true"},
	};
	assert_json(buf, ex, ARRAY_SIZE(ex), NULL);

	memset(&e, 0, sizeof(e));
	e.ts_ns = 12846915716ULL;
	e.kind = ST_EV_SIGNAL_DELIVER;
	e.u.deliver.task = (struct st_task){.pid = 7, .tgid = 7, .ns_pid = 1, .ns_tgid = 1};
	e.u.deliver.sig = 15;
	e.u.deliver.disposition = ST_DISP_HANDLER;
	e.u.deliver.sa_flags = 0x84000000u; /* SA_RESETHAND | SA_RESTORER */
	assert_true(record_event_json(&rc, &e, &c, NULL, true, buf, RECORD_MAX) > 0);
	const struct expect ex2[] = {
		{"event", "\"signal_deliver\""},
		{"action", "\"handler\""},
		{"sa_flags", "2214592512"},
	};
	assert_json(buf, ex2, ARRAY_SIZE(ex2), NULL);
	free(buf);
}

/* Even the worst path the kernel can report stays one valid line. */
static void test_fs_call_json_worst_path(void **state)
{
	char path[2 * (ST_DIR_LEN + ST_NAME_LEN)];
	char *buf = malloc(RECORD_MAX);
	struct st_event e;
	bool complete = true;
	size_t len;
	int n;

	(void)state;
	assert_non_null(buf);
	memset(&e, 0, sizeof(e));
	e.ts_ns = 12846915716ULL;
	e.kind = ST_EV_FS_CALL;
	e.u.fs.op = ST_FS_UNLINKAT;
	e.u.fs.dfd = -100;
	e.u.fs.ret = -EBUSY;
	e.u.fs.path_flags = ST_PATH_DIR_TRUNCATED;
	/* one-byte components of control characters: every byte escapes to six */
	for (int i = 0; i < ST_DIR_LEN; i += 2) {
		e.u.fs.dir[i] = (char)(1 + (i / 2) % 0x1e);
		e.u.fs.dir[i + 1] = '\0';
	}
	e.u.fs.dir_len = ST_DIR_LEN;
	memset(e.u.fs.name, '\x01', ST_NAME_LEN - 1);
	memcpy(e.u.fs.caller.comm, "dockerd", 8);
	e.u.fs.caller.tgid = 5082;
	n = event_fs_path(&e.u.fs, path, sizeof(path), &complete);
	assert_true(n > 700);
	assert_false(complete);

	len = record_event_json(&rc, &e, NULL, path, complete, buf, RECORD_MAX);
	assert_int_equal(len, strlen(buf));
	assert_true(len > 3000 && len < RECORD_MAX);
	/* with --syslog the cap leaves room for the syslog header: it fits that too */
	assert_true(len < SYSLOG_MSG_MAX - SYSLOG_HEADER_MAX);

	const struct expect ex[] = {
		{"event", "\"fs_call\""},
		{"container", "<missing>"},
		{"syscall", "\"unlinkat\""},
		{"hex:path", hex(path, (size_t)n)},
		{"path_complete", "false"},
		{"dirfd", "-100"},
		{"ret", "-16"},
		{"errno", "\"EBUSY\""},
		{"caller.pid", "5082"},
		{"caller.comm", "\"dockerd\""},
	};
	assert_json(buf, ex, ARRAY_SIZE(ex), NULL);
	free(buf);
}

/*
 * An fs_call of a container whose strings, and the path, are at their
 * longest in bytes that are not UTF-8: too long for a line whole, written
 * with its strings cut (an unclosed prefix of the record before).
 */
static void test_event_hostile_strings_cut(void **state)
{
	char path[2 * (ST_DIR_LEN + ST_NAME_LEN)];
	char *buf = malloc(RECORD_MAX);
	struct container c;
	struct st_event e;
	bool complete = true;
	size_t len;
	int n;

	(void)state;
	assert_non_null(buf);
	make_container(&c);
	c.runtime = RUNTIME_CRIO;
	memset(c.name, '\xff', sizeof(c.name) - 1);
	memset(c.cgroup, '\xff', sizeof(c.cgroup) - 1);
	memset(c.pod_namespace, '\xff', sizeof(c.pod_namespace) - 1);
	memset(c.pod_name, '\xff', sizeof(c.pod_name) - 1);
	memset(&e, 0, sizeof(e));
	e.ts_ns = 12846915716ULL;
	e.kind = ST_EV_FS_CALL;
	e.u.fs.op = ST_FS_UNLINKAT;
	e.u.fs.dfd = -100;
	e.u.fs.ret = -EBUSY;
	memset(e.u.fs.dir, '\xff', ST_DIR_LEN);
	e.u.fs.dir_len = ST_DIR_LEN;
	memset(e.u.fs.name, '\xfe', ST_NAME_LEN - 1);
	n = event_fs_path(&e.u.fs, path, sizeof(path), &complete);
	assert_true(n > 700);

	len = record_event_json(&rc, &e, &c, path, complete, buf, RECORD_MAX);
	assert_true(len > 0 && len < RECORD_MAX);
	assert_int_equal(len, strlen(buf));
	char whole[16];

	snprintf(whole, sizeof(whole), "%d", n);
	const struct expect ex[] = {
		{"event", "\"fs_call\""},	 {"container.name_cut", "255"},
		{"container.cgroup_cut", "511"}, {"path_cut", whole},
		{"errno", "\"EBUSY\""},
	};
	assert_json(buf, ex, ARRAY_SIZE(ex), NULL);

	/* the same call of an ordinary container is whole */
	make_container(&c);
	memset(e.u.fs.dir, 'd', ST_DIR_LEN);
	memset(e.u.fs.name, 'n', ST_NAME_LEN - 1);
	n = event_fs_path(&e.u.fs, path, sizeof(path), &complete);
	len = record_event_json(&rc, &e, &c, path, complete, buf, RECORD_MAX);
	assert_true(len > 0 && len < RECORD_MAX);
	assert_null(strstr(buf, "_cut\""));
	free(buf);
}

static void test_signal_text(void **state)
{
	char buf[RECORD_MAX];
	struct container c;
	struct st_event e;
	size_t len;

	(void)state;
	make_container(&c);
	strcpy(c.name, "ex\x1b]0;pwned\x07\x7f");
	make_signal(&e);
	len = record_event_text(&rc, &e, &c, NULL, buf, sizeof(buf));
	assert_int_equal(len, strlen(buf));
	assert_no_control(buf, len);
	assert_non_null(strstr(buf, "signal_generate"));
	assert_non_null(strstr(buf, "SIGTERM ignored"));
	/* the names are there, escaped */
	assert_non_null(strstr(buf, "ex\\e]0;pwned"));
	assert_non_null(strstr(buf, "\\e[31m"));
	assert_non_null(strstr(buf, "[16196/1]"));
	assert_non_null(strstr(buf, "[16254]"));

	/* every kind, with hostile names everywhere */
	for (unsigned int k = 1; k < ST_EV_KIND_MAX; k++) {
		char path[] = "/var/lib/docker/\x1b[2J\n";
		struct st_event raw;

		memset(&raw, 0, sizeof(raw));
		raw.kind = k;
		memset(&raw.u, '\x1b', sizeof(raw.u));
		raw.u.fs.op = ST_FS_RMDIR;
		raw.u.fs.ret = -EBUSY;
		/* strings as the decoder leaves them */
		assert_int_equal(event_decode(&raw, sizeof(raw), &e), 0);
		len = record_event_text(&rc, &e, &c, k == ST_EV_FS_CALL ? path : NULL, buf,
					sizeof(buf));
		assert_int_equal(len, strlen(buf));
		assert_non_null(strstr(buf, event_kind_name(k)));
		assert_no_control(buf, len);
	}
}

/* A name too long for the text label is cut visibly, on a whole escape. */
static void test_label_long_name(void **state)
{
	struct container c = {0};
	char buf[32];

	(void)state;
	strcpy(c.name, "web-1");
	record_container_label(&c, 0, buf, sizeof(buf));
	assert_string_equal(buf, "web-1");
	memset(c.name, 'a', 40);
	c.name[27] = '\x1b';
	record_container_label(&c, 0, buf, sizeof(buf));
	/* 27 a's fit before the "...", the two bytes of "\e" do not: cut before it */
	assert_string_equal(buf, "aaaaaaaaaaaaaaaaaaaaaaaaaaa...");
	c.name[27] = 'a';
	record_container_label(&c, 0, buf, sizeof(buf));
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
	assert_string_equal(buf + sizeof(buf) - 4, "...");
}

/* Timestamps no kernel writes (a damaged recording): clamped, never overflowed. */
static void test_time_out_of_range(void **state)
{
	const struct record_ctx late = {.host = "vm", .boot_to_real_ns = 1795757604424944013LL};
	const struct record_ctx early = {.host = "vm", .boot_to_real_ns = -5000000000LL};
	char t[48], clock[32];

	(void)state;
	record_time(&late, 8907839696063734456ULL, t, sizeof(t));
	assert_string_equal(t, "2262-04-11T23:47:16.854775807Z");
	record_time(&late, UINT64_MAX, t, sizeof(t));
	assert_string_equal(t, "2262-04-11T23:47:16.854775807Z");
	record_clock(&late, UINT64_MAX, clock, sizeof(clock));
	assert_int_equal(strlen(clock), strlen("23:47:16.854775"));
	record_time(&early, 1000000000ULL, t, sizeof(t));
	assert_string_equal(t, "1970-01-01T00:00:00.000000000Z");
	record_time(&early, 7000000001ULL, t, sizeof(t));
	assert_string_equal(t, "1970-01-01T00:00:02.000000001Z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signal_json),
		cmocka_unit_test(test_signal_exiting_and_deliver_json),
		cmocka_unit_test(test_fs_call_json_worst_path),
		cmocka_unit_test(test_event_hostile_strings_cut),
		cmocka_unit_test(test_signal_text),
		cmocka_unit_test(test_label_long_name),
		cmocka_unit_test(test_time_out_of_range),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
