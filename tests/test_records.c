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

#include "event.h"
#include "records.h"

#define CID  "02cd76be5d15c70a2058d1b136568464efbe0ea9ee304710c73f1400ed6c7f1f"
#define REAL 1795758519LL /* the wall clock at boot + 10 s */

/*
 * The checker: reads one line on stdin, parses it strictly and prints, for
 * each path argument ("target.comm", "sender.ancestry.0.pid"), the value as
 * JSON, "hex:" paths as the hex of its UTF-8 text, "<missing>" when absent.
 */
static const char checker[] =
	"import json, sys\n"
	"def pairs(kv):\n"
	"    keys = [k for k, _ in kv]\n"
	"    if len(keys) != len(set(keys)): raise ValueError('duplicate key')\n"
	"    return dict(kv)\n"
	"def const(c): raise ValueError('not JSON: ' + c)\n"
	"doc = json.loads(sys.stdin.buffer.read().decode('utf-8', 'strict'),\n"
	"                 object_pairs_hook=pairs, parse_constant=const)\n"
	"assert isinstance(doc, dict)\n"
	"for arg in sys.argv[1:]:\n"
	"    mode, _, path = arg.rpartition(':')\n"
	"    v = doc\n"
	"    try:\n"
	"        for seg in path.split('.'):\n"
	"            v = v[int(seg)] if isinstance(v, list) else v[seg]\n"
	"    except (KeyError, IndexError, TypeError, ValueError):\n"
	"        print('<missing>'); continue\n"
	"    if mode == 'hex': print(v.encode('utf-8').hex())\n"
	"    elif mode == 'len': print(len(v))\n"
	"    else: print(json.dumps(v, sort_keys=True, ensure_ascii=True))\n";

struct expect {
	const char *path;
	const char *want;
};

/*
 * Run the checker on line (given on its stdin, never through a shell) and
 * assert each path's value. Skips the test when python3 cannot be run.
 */
static void assert_json(const char *line, const struct expect *ex, size_t n)
{
	int in[2], out[2], status;
	char res[32768], *p, *nl;
	size_t got = 0;
	ssize_t r;
	pid_t pid;

	assert_true(n < 60);
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		const char *argv[64] = {"python3", "-c", checker};

		for (size_t i = 0; i < n; i++)
			argv[3 + i] = ex[i].path;
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		execvp("python3", (char *const *)argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	for (size_t off = 0, len = strlen(line); off < len; off += (size_t)r) {
		r = write(in[1], line + off, len - off);
		if (r <= 0)
			break;
	}
	close(in[1]);
	while ((r = read(out[0], res + got, sizeof(res) - 1 - got)) > 0)
		got += (size_t)r;
	res[got] = '\0';
	close(out[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		skip();
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		print_error("not valid JSON: %s\n", line);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	p = res;
	for (size_t i = 0; i < n; i++) {
		nl = strchr(p, '\n');
		assert_non_null(nl);
		*nl = '\0';
		if (strcmp(p, ex[i].want))
			print_error("%s: got %s, want %s\n", ex[i].path, p, ex[i].want);
		assert_string_equal(p, ex[i].want);
		p = nl + 1;
	}
}

/* Hex of n bytes, for comparing decoded strings with hex: paths. */
static const char *hex(const char *s, size_t n)
{
	static char buf[4][4096];
	static int which;
	char *h = buf[which++ % 4];

	assert_true(2 * n < sizeof(buf[0]));
	for (size_t i = 0; i < n; i++)
		sprintf(h + 2 * i, "%02x", (unsigned char)s[i]);
	h[2 * n] = '\0';
	return h;
}

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
/* what a JSON reader decodes: the invalid byte comes back as the text \xff */
#define EVIL_COMM_DECODED "\"\\\n\x1b[31m\\xff\x7f\tq\"}"
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
		{"target.pidns", "4026532180"},
		{"hex:target.comm", hex(EVIL_COMM_DECODED, strlen(EVIL_COMM_DECODED))},
		{"hex:sender.comm", hex("r\x1b]0;x\x07unc", 10)},
		{"sender.pid", "16254"},
		{"sender.ancestry.0.pid", "16176"},
		{"hex:sender.ancestry.0.comm", hex(FULL_COMM, ST_COMM_LEN)},
		{"sender.ancestry.1.comm", "\"process_api\""},
		{"sender.ancestry.2", "<missing>"},
	};
	assert_json(buf, ex, sizeof(ex) / sizeof(ex[0]));
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
	assert_json(buf, ex, sizeof(ex) / sizeof(ex[0]));
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signal_json),
		cmocka_unit_test(test_fs_call_json_worst_path),
		cmocka_unit_test(test_signal_text),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
