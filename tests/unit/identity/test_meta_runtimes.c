// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Tests for plain containerd's and LXC's identity: a /<namespace>/<id>
 * cgroup is a container only where containerd's task directory knows it
 * (user/identity/identity.c), its name and stop signal from the task bundle
 * (meta_containerd.c), and an LXC container's name and stop signals from its
 * config (meta_lxc.c). Run from the repository root: the fixtures are in
 * tests/fixtures/identity/root.
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
#include <sys/stat.h>
#include <unistd.h>

#include "identity/identity.h"
#include "identity/identity_int.h"
#include "identity/runtimes.h"
#include "lib/readfile.h"

#define ROOT "tests/fixtures/identity/root"
#define TASK "/run/containerd/io.containerd.runtime.v2.task"
/* A string literal and its length. */
#define S(lit) (lit), sizeof(lit) - 1

/* ---- containerd: recognised from its task directories ---- */

static void test_containerd_ids(void **state)
{
	(void)state;
	assert_true(runtimes_is_containerd_id(S("c1")));
	assert_true(runtimes_is_containerd_id(S("k8s.io")));
	assert_true(runtimes_is_containerd_id(S("a-b_c.d")));
	assert_true(runtimes_is_containerd_id(S("0123456789012345678901234567890123456789"
						"012345678901234567890123456789012345")));
	assert_false(runtimes_is_containerd_id(S("0123456789012345678901234567890123456789"
						 "0123456789012345678901234567890123456")));
	assert_false(runtimes_is_containerd_id(S("")));
	assert_false(runtimes_is_containerd_id(S(".")));
	assert_false(runtimes_is_containerd_id(S("..")));
	assert_false(runtimes_is_containerd_id(S("-a")));
	assert_false(runtimes_is_containerd_id(S("a-")));
	assert_false(runtimes_is_containerd_id(S("a--b")));
	assert_false(runtimes_is_containerd_id(S("a/b")));
	assert_false(runtimes_is_containerd_id(S("a b")));
	assert_false(runtimes_is_containerd_id(S("a\nb")));
	assert_false(runtimes_is_containerd_id("ab\0c", 4));
}

static void test_containerd_recognized(void **state)
{
	struct cgroup_match m;

	(void)state;
	/* dockerd's containerd: run/docker/containerd/daemon/io.containerd.runtime.v2.task */
	assert_true(identity_recognize(ROOT, "/default/c1", &m));
	assert_int_equal(m.runtime, RUNTIME_CONTAINERD);
	assert_string_equal(m.id, "c1");
	assert_string_equal(m.cgroup, "/default/c1");
	assert_true(m.by_state);
	assert_false(m.below);
	assert_true(identity_recognize(ROOT, "/default/c1/sub", &m));
	assert_string_equal(m.cgroup, "/default/c1");
	assert_true(m.below);
	assert_true(identity_recognize(ROOT, "0::/default/c1\n", &m));
	assert_string_equal(m.id, "c1");
	/* a standalone containerd: run/containerd/io.containerd.runtime.v2.task */
	assert_true(identity_recognize(ROOT, "/web/nginx-1", &m));
	assert_int_equal(m.runtime, RUNTIME_CONTAINERD);
	assert_string_equal(m.id, "nginx-1");
}

/* The shape alone is any two-level cgroup: without task state, none is a container. */
static void test_containerd_shape_alone(void **state)
{
	struct cgroup_match m;

	(void)state;
	assert_false(identity_parse_cgroup("/default/c1", &m));
	assert_false(identity_recognize(NULL, "/default/c1", &m));
	assert_false(identity_recognize(ROOT, "/default/c2", &m)); /* no task directory */
	assert_false(identity_recognize(ROOT, "/web/c1", &m));	   /* c1 is default's */
	assert_false(identity_recognize(ROOT, "/default", &m));
	assert_false(identity_recognize(ROOT, "/x/default/c1", &m)); /* not at the root */
	assert_false(identity_recognize(ROOT, "/system.slice/c1", &m));
	assert_false(identity_recognize("/nonexistent", "/default/c1", &m));
	/* names a path could be made of are no identifiers */
	assert_false(identity_recognize(ROOT, "/../default/c1", &m));
	assert_false(identity_recognize(ROOT, "/default/..", &m));
	assert_false(identity_recognize(ROOT, "/web/nginx-1.", &m));
}

static void rm_tree(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* A task directory that is a symlink, or a file, knows nothing. */
static void test_containerd_task_not_dir(void **state)
{
	char tmp[] = "/tmp/stoptrace-task-XXXXXX", path[1024], target[1024];
	struct cgroup_match m;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(tmp));
	snprintf(path, sizeof(path), "mkdir -p '%s" TASK "/ns/real' '%s/elsewhere'", tmp, tmp);
	assert_int_equal(system(path), 0);
	assert_true(identity_recognize(tmp, "/ns/real", &m));
	snprintf(target, sizeof(target), "%s/elsewhere", tmp);
	snprintf(path, sizeof(path), "%s" TASK "/ns/link", tmp);
	assert_int_equal(symlink(target, path), 0);
	assert_false(identity_recognize(tmp, "/ns/link", &m));
	snprintf(path, sizeof(path), "%s" TASK "/ns/file", tmp);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_false(identity_recognize(tmp, "/ns/file", &m));
	rm_tree(tmp);
}

/* The container of a cgroup under ROOT, and what its runtime's files say of it. */
static void check_meta(const char *cgroup, enum runtime rt, int ret, const char *name, int sig)
{
	struct cgroup_match m;
	struct container c;

	assert_true(identity_recognize(ROOT, cgroup, &m));
	assert_int_equal(m.runtime, rt);
	identity_container_of_match(&m, &c);
	assert_int_equal(identity_load_meta(ROOT, &c), ret);
	assert_string_equal(c.name, name);
	assert_int_equal(c.stop_signal, sig);
}

/* ctr has no name but the id; the stop signal is the spec's annotation, when there is one. */
static void test_containerd_meta(void **state)
{
	struct container c;

	(void)state;
	check_meta("/default/c1", RUNTIME_CONTAINERD, 0, "c1", 0);
	check_meta("/web/nginx-1", RUNTIME_CONTAINERD, 0, "nginx-1", SIGQUIT);
	/* a truncated spec: still the container, with no stop signal */
	check_meta("/web/badspec", RUNTIME_CONTAINERD, 0, "badspec", 0);
	/* a cgroup that is not /<ns>/<id> of that id is not read */
	memset(&c, 0, sizeof(c));
	c.runtime = RUNTIME_CONTAINERD;
	snprintf(c.id, sizeof(c.id), "c1");
	snprintf(c.cgroup, sizeof(c.cgroup), "/default/c2");
	identity_load_meta(ROOT, &c);
	assert_string_equal(c.name, "");
	snprintf(c.cgroup, sizeof(c.cgroup), "/../c1");
	identity_load_meta(ROOT, &c);
	assert_string_equal(c.name, "");
}

/* ---- LXC: the config's signals ---- */

static void parse(const char *text, struct lxc_signals *s)
{
	meta_lxc_parse(text, strlen(text), s);
}

static void test_lxc_parse(void **state)
{
	struct lxc_signals s;

	(void)state;
	parse("", &s);
	assert_int_equal(s.halt, SIGPWR);
	assert_int_equal(s.stop, SIGKILL);
	assert_false(s.halt_set);
	parse("lxc.signal.halt = SIGUSR1\nlxc.signal.stop = SIGTERM\n", &s);
	assert_int_equal(s.halt, SIGUSR1);
	assert_int_equal(s.stop, SIGTERM);
	assert_true(s.halt_set);
	/* blanks, no final newline, numbers, real-time signals, any case of SIG */
	parse("  lxc.signal.halt=10\r\n\tlxc.signal.stop\t=\tsigrtmin+3", &s);
	assert_int_equal(s.halt, SIGUSR1);
	assert_int_equal(s.stop, SIGRTMIN + 3);
	parse("lxc.signal.halt = \"SIGINT\"\n", &s);
	assert_int_equal(s.halt, SIGINT);
	/* the last line wins; an empty value is the default again */
	parse("lxc.signal.halt = SIGUSR1\nlxc.signal.halt = SIGUSR2\n", &s);
	assert_int_equal(s.halt, SIGUSR2);
	parse("lxc.signal.halt = SIGUSR1\nlxc.signal.halt =\n", &s);
	assert_int_equal(s.halt, SIGPWR);
	assert_false(s.halt_set);
	/* comments and other keys say nothing */
	parse("# lxc.signal.halt = SIGUSR1\nlxc.signal.halt.x = SIGHUP\nlxc.signal.reboot = "
	      "SIGTERM\nlxc.signal.haltSIGHUP\n",
	      &s);
	assert_int_equal(s.halt, SIGPWR);
	assert_int_equal(s.stop, SIGKILL);
}

static void test_lxc_parse_hostile(void **state)
{
	static const char *const bad[] = {
		"USR1",
		"SIGUSR1 x",
		"SIGUSR1;reboot",
		"0",
		"65",
		"-1",
		"99999999999999999999",
		"SIGFOO",
		"SIG",
		"\"SIGUSR1",
		"'SIGUSR1\"",
		"SIGRTMIN+99",
		"SIGUSR1SIGUSR1SIGUSR1SIGUSR1SIGUSR1",
	};
	char text[256], *big;
	struct lxc_signals s;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "lxc.signal.halt = SIGTERM\nlxc.signal.halt = %s\n",
			 bad[i]);
		parse(text, &s);
		assert_int_equal(s.halt, SIGTERM);
	}
	/* a NUL inside a value, and a line past the bound */
	meta_lxc_parse(S("lxc.signal.halt = SIGHUP\0SIGINT\n"), &s);
	assert_int_equal(s.halt, SIGPWR);
	big = malloc(9000);
	assert_non_null(big);
	memset(big, ' ', 9000);
	memcpy(big, "lxc.signal.halt =", 17);
	memcpy(big + 8990, "SIGUSR1\n", 8);
	meta_lxc_parse(big, 8998, &s);
	assert_int_equal(s.halt, SIGPWR);
	free(big);
}

/* The stop signal LXC sends instead to an init that blocks it, for cgroup's container. */
static int lxc_meta_alt(const char *cgroup)
{
	struct cgroup_match m;
	struct container c;

	assert_true(identity_recognize(ROOT, cgroup, &m));
	identity_container_of_match(&m, &c);
	assert_int_equal(identity_load_meta(ROOT, &c), 0);
	return c.stop_signal_if_blocked;
}

static void test_lxc_meta(void **state)
{
	struct container c;

	(void)state;
	/* busybox's template: lxc.signal.halt = SIGUSR1, whatever the init blocks */
	check_meta("/lxc.payload.bb", RUNTIME_LXC, 0, "bb", SIGUSR1);
	assert_int_equal(lxc_meta_alt("/lxc.payload.bb"), 0);
	/* no halt signal configured: SIGPWR, or SIGRTMIN+3 to an init that blocks it */
	check_meta("/lxc.payload.plain", RUNTIME_LXC, 0, "plain", SIGPWR);
	assert_int_equal(lxc_meta_alt("/lxc.payload.plain"), SIGRTMIN + 3);
	/* a configured halt signal wins, even SIGPWR itself */
	assert_int_equal(lxc_meta_alt("/lxc.payload.hostile"), 0);
	/* hostile values leave the last good one */
	check_meta("/lxc.payload.hostile", RUNTIME_LXC, 0, "hostile", SIGTERM);
	/* no config: not a container LXC knows, so no name */
	check_meta("/lxc.payload.gone", RUNTIME_LXC, -ENOENT, "", 0);
	/* a name that would climb out of var/lib/lxc is never read */
	memset(&c, 0, sizeof(c));
	c.runtime = RUNTIME_LXC;
	snprintf(c.id, sizeof(c.id), "..");
	assert_int_equal(identity_load_meta(ROOT, &c), -ENOENT);
	snprintf(c.id, sizeof(c.id), "bb/../bb");
	assert_int_equal(identity_load_meta(ROOT, &c), -ENOENT);
	assert_string_equal(c.name, "");
}

static void test_lxc_config_file(void **state)
{
	char *buf;
	size_t len;
	struct lxc_signals s;

	(void)state;
	assert_int_equal(read_file_max(ROOT "/var/lib/lxc/hostile/config", 1 << 20, &buf, &len), 0);
	meta_lxc_parse(buf, len, &s);
	free(buf);
	assert_int_equal(s.halt, SIGTERM);
	assert_int_equal(s.stop, SIGRTMIN + 3);
	assert_true(s.halt_set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_containerd_ids),
		cmocka_unit_test(test_containerd_recognized),
		cmocka_unit_test(test_containerd_shape_alone),
		cmocka_unit_test(test_containerd_task_not_dir),
		cmocka_unit_test(test_containerd_meta),
		cmocka_unit_test(test_lxc_parse),
		cmocka_unit_test(test_lxc_parse_hostile),
		cmocka_unit_test(test_lxc_meta),
		cmocka_unit_test(test_lxc_config_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
