// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Tests for `stoptrace diagnose` (user/diagnose/diagnose.c), run on the fixture tree
 * tests/fixtures/diagnose/root (see generate.py there) through --root, as an
 * operator would run it: the exit code, one JSON record or the text report,
 * and one line on stderr for errors. JSON is checked by python3 (given the
 * file and a fixed expression as arguments, never through a shell); without
 * python3 those checks are skipped and the substring checks still run. Run
 * from the repository root.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/array_size.h"
#include "diagnose/diagnose.h"

#define ROOT	  "tests/fixtures/diagnose/root"
#define ID_PARENT "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
#define ID_CHILD  "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"

struct run {
	int rc;
	char out[65536];
	char err[8192];
	char json_path[64]; /* stdout kept in a file for python3 */
};

static void slurp(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	ssize_t r;

	lseek(fd, 0, SEEK_SET);
	while (n + 1 < cap && (r = read(fd, buf + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
}

/* diagnose_main(argv...) with stdout and stderr captured; argv ends with NULL. */
static void run_diagnose(struct run *r, ...)
{
	char *argv[16];
	char err_path[] = "/tmp/test_diagnose.err.XXXXXX";
	int argc = 0, out_fd, err_fd, saved_out, saved_err;
	va_list ap;

	argv[argc++] = "diagnose";
	va_start(ap, r);
	while (argc < 15 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;

	snprintf(r->json_path, sizeof(r->json_path), "/tmp/test_diagnose.out.XXXXXX");
	out_fd = mkstemp(r->json_path);
	err_fd = mkstemp(err_path);
	assert_true(out_fd >= 0 && err_fd >= 0);
	unlink(err_path);
	fflush(stdout);
	fflush(stderr);
	saved_out = dup(STDOUT_FILENO);
	saved_err = dup(STDERR_FILENO);
	dup2(out_fd, STDOUT_FILENO);
	dup2(err_fd, STDERR_FILENO);
	r->rc = diagnose_main(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, STDOUT_FILENO);
	dup2(saved_err, STDERR_FILENO);
	close(saved_out);
	close(saved_err);
	slurp(out_fd, r->out, sizeof(r->out));
	slurp(err_fd, r->err, sizeof(r->err));
	close(out_fd);
	close(err_fd);
}

static void run_done(struct run *r)
{
	unlink(r->json_path);
}

/*
 * Check the JSON record in r's output with python3: expr is evaluated with d
 * bound to the parsed record. Returns false when python3 is missing.
 */
static bool py_check(const struct run *r, const char *expr)
{
	static const char script[] =
		"import json, sys\n"
		"lines = open(sys.argv[1], 'rb').read().split(b'\\n')\n"
		"assert lines[-1] == b'' and len(lines) == 2, 'want exactly one line'\n"
		"assert len(lines[0]) <= 8192, 'line over 8 KiB'\n"
		"d = json.loads(lines[0].decode('utf-8'))\n"
		"assert d['schema'] == 1 and d['type'] == 'diagnosis' and d['host'], d\n"
		"assert d['time'].endswith('Z') and len(d['time']) == 30, d['time']\n"
		"ok = eval(sys.argv[2], {'d': d})\n"
		"if not ok:\n"
		"    print('failed: ' + sys.argv[2] + '\\nrecord: ' + json.dumps(d, indent=1))\n"
		"sys.exit(0 if ok else 1)\n";
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execlp("python3", "python3", "-c", script, r->json_path, expr, (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 127)
		return false;
	if (WEXITSTATUS(status) != 0)
		fail_msg("JSON check failed: %s", expr);
	return true;
}

/* S2 + S5: parent's PID 1 drops SIGTERM; the paused child hangs the teardown. */
static void test_parent_json(void **state)
{
	struct run *r = *state;

	run_diagnose(r, "--root", ROOT, "parent", "--format", "json", NULL);
	assert_int_equal(r->rc, 3);
	assert_string_equal(r->err, "");
	assert_null(strchr(r->out, '\x1b')); /* the hostile comm is escaped */
	assert_non_null(strstr(r->out, "sl\\u001b[31meep"));
	assert_non_null(strstr(r->out, "\"stop_signal_prediction\":\"ignored\""));
	assert_non_null(strstr(r->out, "\"action\":\"docker unpause child\""));
	py_check(r,
		 "d['container']['name'] == 'parent' and d['container']['runtime'] == 'docker'"
		 " and d['container']['id'] == 'a1' * 32"
		 " and d['container']['cgroup'] == '/docker/' + 'a1' * 32"
		 " and d['running'] is True and d['init']['pid'] == 4242"
		 " and d['init']['comm'] == 'sleep' and d['init']['ns_pid'] == 1"
		 " and d['stop_signal'] == 'SIGTERM' and d['stop_signal_prediction'] == 'ignored'"
		 " and [p['pid'] for p in d['processes']] == [4242, 4300]"
		 " and d['processes'][1] == {'pid': 4300, 'ns_pid': 7, 'comm': 'sl\\x1b[31meep',"
		 "  'state': 'D', 'wchan': '__refrigerator', 'container': {'id': 'b2' * 32,"
		 "  'name': 'child', 'runtime': 'docker'}, 'frozen': True,"
		 "  'frozen_how': 'v1 freezer.state FROZEN', 'fix': 'docker unpause child'}"
		 " and d['processes'][0]['frozen'] is False"
		 " and sorted(p['kind'] for p in d['problems'])"
		 "  == ['ns_teardown_stuck', 'stop_signal_ignored']"
		 " and [p['action'] for p in d['problems'] if p['kind'] == 'ns_teardown_stuck']"
		 "  == ['docker unpause child']"
		 " and any(p['message'].startswith('stopping this container will hang in namespace"
		 " teardown: child is paused') for p in d['problems'])"
		 " and d['removal_hazards'] == [] and d['removal']['checked'] is True"
		 " and d['verdict'] == 'problem'");
	run_done(r);
}

static void test_parent_text(void **state)
{
	static const char *sections[] = {"Container ", "Stop signal ", "Pid namespace ", "Removal ",
					 "Verdict "};
	struct run *r = *state;

	run_diagnose(r, "--root", ROOT, "--format", "text", "parent", NULL);
	assert_int_equal(r->rc, 3);
	for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
		assert_non_null(strstr(r->out, sections[i]));
	assert_non_null(strstr(r->out, "SIGTERM will be ignored: PID 1 has no handler (a namespace "
				       "init ignores default-action signals); docker stop will "
				       "wait the full grace period, then SIGKILL"));
	assert_non_null(strstr(r->out, "stopping this container will hang in namespace teardown: "
				       "child is paused"));
	assert_non_null(strstr(r->out, "fix: docker unpause child"));
	assert_non_null(strstr(r->out, "sl\\e[31meep"));
	assert_null(strchr(r->out, '\x1b'));
	assert_non_null(strstr(r->out, "2 problems"));
	run_done(r);
}

/* A tini-like init blocks SIGTERM but waits for it: nothing wrong. */
static void test_tini_waits_for_sigterm(void **state)
{
	struct run *r = *state;

	run_diagnose(r, "--root", ROOT, "--format", "json", "c3c3", NULL); /* an id prefix */
	assert_int_equal(r->rc, 0);
	assert_non_null(strstr(r->out, "\"stop_signal_prediction\":\"waited_for\""));
	py_check(r,
		 "d['container']['name'] == 'tini' and d['stop_signal_prediction'] == 'waited_for'"
		 " and d['init']['wchan'] == 'do_sigtimedwait.isra.0'"
		 " and d['stop_signal_reason'] == 'PID 1 (tini) is an init shim: it waits for"
		 " SIGTERM (sigtimedwait) and will forward it to app (pid 7 in the container),"
		 " which has a handler: it will be handled'"
		 " and len(d['processes']) == 2 and d['problems'] == [] and d['verdict'] == 'ok'");
	run_done(r);

	run_diagnose(r, "--root", ROOT, "--format", "text", "tini", NULL);
	assert_int_equal(r->rc, 0);
	assert_non_null(strstr(r->out, "ok: nothing wrong found"));
	run_done(r);
}

/* sh -c 'sleep 300; echo done': the shell drops SIGTERM, its child never gets it. */
static void test_shell_with_child(void **state)
{
	struct run *r = *state;

	run_diagnose(r, "--root", ROOT, "--format", "json", "wrapper", NULL);
	assert_int_equal(r->rc, 3);
	py_check(r, "d['stop_signal_prediction'] == 'ignored'"
		    " and [p['kind'] for p in d['problems']] == ['stop_signal_ignored']"
		    " and 'PID 1 (sh) is a shell' in d['problems'][0]['message']"
		    " and 'does not pass signals on to its child sleep (pid 7 in the container)'"
		    "  in d['problems'][0]['message']"
		    " and d['problems'][0]['message'] == d['stop_signal_reason']"
		    " and d['problems'][0]['action'].startswith('use the exec form of CMD"
		    " (CMD [\"sleep\", ...]) or `exec sleep` in the script')");
	run_done(r);
}

/* tini forwards SIGTERM to a child that ignores it: the child is the problem. */
static void test_shim_child_ignores(void **state)
{
	struct run *r = *state;

	run_diagnose(r, "--root", ROOT, "--format", "json", "zshim", NULL);
	assert_int_equal(r->rc, 3);
	assert_null(strchr(r->out, '\x1b')); /* the child's hostile comm is escaped */
	py_check(r, "d['stop_signal_prediction'] == 'waited_for'"
		    " and [p['kind'] for p in d['problems']] == ['stop_signal_ignored']"
		    " and d['problems'][0]['message'] == 'PID 1 (tini) is an init shim: it waits"
		    " for SIGTERM (sigtimedwait) and will forward it to a\"pp\x1b[2J (pid 7 in the"
		    " container), which ignores it (SIG_IGN); docker stop will wait the full grace"
		    " period, then SIGKILL'"
		    " and d['problems'][0]['action'].startswith('handle SIGTERM in a\"pp\x1b[2J and"
		    " exit')");
	run_done(r);

	run_diagnose(r, "--root", ROOT, "--format", "text", "zshim", NULL);
	assert_int_equal(r->rc, 3);
	assert_null(strchr(r->out, '\x1b'));
	assert_non_null(strstr(r->out, "will forward it to a\"pp\\e[2J (pid 7"));
	run_done(r);
}

/* A handler takes SIGTERM, but a task in D state would hang the teardown. */
static void test_handler_with_d_state_task(void **state)
{
	struct run *r = *state;

	run_diagnose(r, "--root", ROOT, "--format", "json", "handler", NULL);
	assert_int_equal(r->rc, 3);
	py_check(r, "d['stop_signal_prediction'] == 'handled'"
		    " and [p['kind'] for p in d['problems']] == ['ns_teardown_stuck']"
		    " and d['problems'][0]['message'] == 'stopping this container will hang in"
		    " namespace teardown: process 4601 (worker) is in uninterruptible sleep in"
		    " rpc_wait_bit_killable'"
		    " and d['problems'][0]['action'].startswith('it is in uninterruptible sleep in"
		    " rpc_wait_bit_killable')");
	run_done(r);
}

/* STOPSIGNAL SIGQUIT, set to SIG_IGN by PID 1. */
static void test_stop_signal_sig_ign(void **state)
{
	struct run *r = *state;

	run_diagnose(r, "--root", ROOT, "--format", "json", "ignorer", NULL);
	assert_int_equal(r->rc, 3);
	assert_non_null(strstr(r->out, "SIGQUIT will be ignored: PID 1 set it to SIG_IGN"));
	py_check(r, "d['stop_signal'] == 'SIGQUIT' and d['stop_signal_prediction'] == 'ignored'"
		    " and [p['kind'] for p in d['problems']] == ['stop_signal_ignored']");
	run_done(r);
}

/* Blocked and not waited for: it stays pending. */
static void test_stop_signal_blocked(void **state)
{
	struct run *r = *state;

	run_diagnose(r, "--root", ROOT, "--format", "json", "blocker", NULL);
	assert_int_equal(r->rc, 3);
	assert_non_null(strstr(r->out, "SIGTERM is blocked by PID 1: it stays pending"));
	py_check(r, "d['stop_signal_prediction'] == 'blocked'"
		    " and [p['kind'] for p in d['problems']] == ['stop_signal_blocked']");
	run_done(r);
}

/* S6: a host process in another mount namespace holds the overlay and a bind mount. */
static void test_removal_hazards(void **state)
{
	struct run *r = *state;

	run_diagnose(r, "--root", ROOT, "--format", "json", "leaky", NULL);
	assert_int_equal(r->rc, 3);
	py_check(r,
		 "d['stop_signal_prediction'] == 'handled'"
		 " and len(d['removal_hazards']) == 2"
		 " and all(h['pid'] == 5000 and h['comm'] == 'ntpd' and h['mnt_ns'] == 4026532999"
		 "  for h in d['removal_hazards'])"
		 " and d['removal_hazards'][0]['path'] =="
		 "  '/var/lib/docker/overlay2/' + '15' * 32 + '/merged'"
		 " and d['removal_hazards'][0]['match'] == 'device'"
		 " and d['removal_hazards'][1]['path'] =="
		 "  '/var/lib/docker/containers/' + '0f' * 32 + '/hostname'"
		 " and d['removal_hazards'][1]['mount_point'] == '/srv/hn'"
		 " and d['removal_hazards'][1]['match'] == 'root'"
		 " and [p['kind'] for p in d['problems']] == ['rootfs_removal_failed'] * 2");
	run_done(r);

	run_diagnose(r, "--root", ROOT, "--format", "text", "leaky", NULL);
	assert_int_equal(r->rc, 3);
	assert_non_null(strstr(r->out,
			       "removal may fail with EBUSY: process 5000 (ntpd) in mount "
			       "namespace 4026532999 still mounts /var/lib/docker/overlay2/"));
	run_done(r);
}

/* Not running: nothing to predict (exit 0), unless Docker says Dead (exit 3). */
static void test_not_running_and_dead(void **state)
{
	struct run *r = *state;

	run_diagnose(r, "--root", ROOT, "--format", "json", "stopped", NULL);
	assert_int_equal(r->rc, 0);
	py_check(r, "d['running'] is False and d['init'] is None and d['processes'] == []"
		    " and d['problems'] == [] and d['stop_signal_prediction'] is None");
	run_done(r);

	run_diagnose(r, "--root", ROOT, "--format", "text", "stopped", NULL);
	assert_int_equal(r->rc, 0);
	assert_non_null(strstr(r->out, "not running: nothing to predict"));
	run_done(r);

	run_diagnose(r, "--root", ROOT, "--format", "json", "dead", NULL);
	assert_int_equal(r->rc, 3);
	py_check(r, "d['running'] is False and d['dead'] is True"
		    " and [p['kind'] for p in d['problems']] == ['dead']");
	run_done(r);
}

/* The child shares the parent's namespace: stopping it tears nothing down. */
static void test_child_not_namespace_init(void **state)
{
	struct run *r = *state;

	run_diagnose(r, "--root", ROOT, "--format", "json", ID_CHILD, NULL); /* the full id */
	assert_int_equal(r->rc, 0);
	py_check(r, "d['container']['name'] == 'child' and d['init']['pid'] == 4300"
		    " and d['init']['ns_init'] is False and d['pidns'] == 4026532001"
		    " and d['stop_signal_prediction'] == 'default_fatal' and d['problems'] == []");
	run_done(r);
}

static void test_not_found(void **state)
{
	struct run *r = *state;

	run_diagnose(r, "--root", ROOT, "nosuchcontainer", NULL);
	assert_int_equal(r->rc, 4);
	assert_string_equal(r->err, "stoptrace: container 'nosuchcontainer' not found\n");
	assert_string_equal(r->out, "");
	run_done(r);

	/* a hostile name is escaped in the message */
	run_diagnose(r, "--root", ROOT, "no\x1b]0;x\a", NULL);
	assert_int_equal(r->rc, 4);
	assert_null(strchr(r->err, '\x1b'));
	run_done(r);
}

static void test_ambiguous_and_usage(void **state)
{
	struct run *r = *state;

	run_diagnose(r, "--root", ROOT, "a1", NULL); /* parent a1a1... and dead a1b0... */
	assert_int_equal(r->rc, 2);
	assert_non_null(strstr(r->err, "'a1' matches more than one container"));
	assert_string_equal(r->out, "");
	run_done(r);

	run_diagnose(r, "--root", ROOT, NULL);
	assert_int_equal(r->rc, 2);
	assert_non_null(strstr(r->err, "needs a container"));
	run_done(r);

	run_diagnose(r, "--root", ROOT, "--format", "xml", "parent", NULL);
	assert_int_equal(r->rc, 2);
	assert_non_null(strstr(r->err, "--format takes 'text' or 'json', not 'xml'"));
	run_done(r);

	run_diagnose(r, "--root", ROOT, "parent", "tini", NULL);
	assert_int_equal(r->rc, 2);
	run_done(r);

	run_diagnose(r, "--bogus", "parent", NULL);
	assert_int_equal(r->rc, 2);
	assert_non_null(strstr(r->err, "--bogus"));
	run_done(r);

	run_diagnose(r, "parent", "--format", NULL);
	assert_int_equal(r->rc, 2);
	run_done(r);

	run_diagnose(r, "--help", NULL);
	assert_int_equal(r->rc, 0);
	assert_non_null(strstr(r->out, "USAGE"));
	assert_non_null(strstr(r->out, "EXAMPLES"));
	run_done(r);
}

/* A root with no /proc: an error that is not the container's fault. */
static void test_other_errors(void **state)
{
	struct run *r = *state;
	char dir[] = "/tmp/test_diagnose.root.XXXXXX";
	static const char *const parts[] = {"/var", "/var/lib", "/var/lib/docker",
					    "/var/lib/docker/containers",
					    ("/var/lib/docker/containers/" ID_PARENT)};
	const size_t nparts = ARRAY_SIZE(parts);
	char path[256];

	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < nparts; i++) {
		snprintf(path, sizeof(path), "%s%s", dir, parts[i]);
		assert_int_equal(mkdir(path, 0755), 0);
	}
	run_diagnose(r, "--root", dir, "a1a1", NULL);
	assert_int_equal(r->rc, 1);
	assert_non_null(strstr(r->err, "/proc"));
	run_done(r);
	for (size_t i = nparts; i-- > 0;) {
		snprintf(path, sizeof(path), "%s%s", dir, parts[i]);
		rmdir(path);
	}
	rmdir(dir);
}

static int setup(void **state)
{
	*state = calloc(1, sizeof(struct run));
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parent_json),
		cmocka_unit_test(test_parent_text),
		cmocka_unit_test(test_tini_waits_for_sigterm),
		cmocka_unit_test(test_shell_with_child),
		cmocka_unit_test(test_shim_child_ignores),
		cmocka_unit_test(test_handler_with_d_state_task),
		cmocka_unit_test(test_stop_signal_sig_ign),
		cmocka_unit_test(test_stop_signal_blocked),
		cmocka_unit_test(test_removal_hazards),
		cmocka_unit_test(test_not_running_and_dead),
		cmocka_unit_test(test_child_not_namespace_init),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_ambiguous_and_usage),
		cmocka_unit_test(test_other_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
