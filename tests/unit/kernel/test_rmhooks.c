// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * When the removal hooks are attached: the policy (stops, removals, idle
 * containers, state writes, the linger after a stop), the mode names, and
 * the watch on the runtimes' container directories, with real inotify on a
 * temporary storage root shaped like Docker's and Podman's.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel/rmhooks.h"

#define S 1000000000ULL

static void test_mode_names(void **state)
{
	enum rh_mode m = RH_ALWAYS;

	(void)state;
	assert_int_equal(rh_mode_parse("on-demand", &m), 0);
	assert_int_equal(m, RH_ON_DEMAND);
	assert_int_equal(rh_mode_parse("auto", &m), 0);
	assert_int_equal(m, RH_AUTO);
	assert_int_equal(rh_mode_parse("always", &m), 0);
	assert_int_equal(m, RH_ALWAYS);
	assert_int_equal(rh_mode_parse("sometimes", &m), -EINVAL);
	assert_int_equal(rh_mode_parse("", &m), -EINVAL);
	assert_int_equal(m, RH_ALWAYS);
	assert_string_equal(rh_mode_name(RH_ON_DEMAND), "on-demand");
}

static void test_always_wants_them(void **state)
{
	struct rmhooks h = {.mode = RH_ALWAYS, .ifd = -1};
	struct rh_inputs in = {.now_ns = 100 * S};

	(void)state;
	assert_true(rh_want(&h, &in));
}

static void test_on_demand_policy(void **state)
{
	struct rmhooks h = {.mode = RH_ON_DEMAND, .ifd = -1};
	struct rh_inputs in = {.now_ns = 100 * S};

	(void)state;
	/* nothing under way, nothing idle: detached */
	assert_false(rh_want(&h, &in));

	/* a stop opens: attached, and for RH_LINGER_NS after it closes */
	in.open_stops = 1;
	assert_true(rh_want(&h, &in));
	in.now_ns = 103 * S;
	assert_true(rh_want(&h, &in));
	in.open_stops = 0;
	in.now_ns = 103 * S + RH_LINGER_NS - 1;
	assert_true(rh_want(&h, &in));
	in.now_ns = 103 * S + RH_LINGER_NS;
	assert_false(rh_want(&h, &in));

	/* an exited container a runtime keeps: attached as long as it is there */
	in.idle_containers = 2;
	in.now_ns += 3600 * S;
	assert_true(rh_want(&h, &in));
	in.idle_containers = 0;
	assert_false(rh_want(&h, &in));

	/* an open removal keeps them RH_STATE_NS past its last look */
	in.open_removals = 1;
	assert_true(rh_want(&h, &in));
	in.open_removals = 0;
	in.now_ns += RH_STATE_NS - 1;
	assert_true(rh_want(&h, &in));
	in.now_ns += 1;
	assert_false(rh_want(&h, &in));

	/* arming never shortens */
	rh_arm(&h, in.now_ns, 10 * S);
	rh_arm(&h, in.now_ns, 1 * S);
	in.now_ns += 9 * S;
	assert_true(rh_want(&h, &in));
}

static void test_attached_time(void **state)
{
	struct rmhooks h = {.mode = RH_ON_DEMAND, .ifd = -1};

	(void)state;
	rh_attached(&h, true, 10 * S);
	rh_attached(&h, true, 11 * S); /* no change: not counted twice */
	assert_int_equal(h.attaches, 1);
	assert_int_equal(rh_attached_ns(&h, 12 * S), 2 * S);
	rh_attached(&h, false, 15 * S);
	assert_int_equal(rh_attached_ns(&h, 20 * S), 5 * S);
	rh_attached(&h, true, 30 * S);
	assert_int_equal(h.attaches, 2);
	assert_int_equal(rh_attached_ns(&h, 31 * S), 6 * S);
}

struct root {
	char dir[64];
	char path[256];
};

static void sub(struct root *r, const char *rel)
{
	snprintf(r->path, sizeof(r->path), "%s/%s", r->dir, rel);
}

static void make_dir(struct root *r, const char *rel)
{
	sub(r, rel);
	assert_int_equal(mkdir(r->path, 0755), 0);
}

static void write_file(struct root *r, const char *rel)
{
	int fd;

	sub(r, rel);
	fd = open(r->path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{}", 2), 2);
	close(fd);
}

static bool present(struct rmhooks *h, const char *id)
{
	const char(*ids)[RH_ID_LEN];
	size_t n = rmhooks_present(h, &ids);

	for (size_t i = 0; i < n; i++)
		if (!strcmp(ids[i], id))
			return true;
	return false;
}

struct written {
	char last[RH_ID_LEN];
	int n;
};

static void on_written(void *ctx, const char *id)
{
	struct written *w = ctx;

	snprintf(w->last, sizeof(w->last), "%s", id);
	w->n++;
}

static void test_watch_container_directories(void **state)
{
	struct written w = {};
	struct rmhooks h = {.mode = RH_ON_DEMAND, .ifd = -1};
	struct rh_inputs in = {.now_ns = 100 * S};
	struct root r;
	char docker[128], podman[128], cmd[160];
	const char *roots[] = {docker, podman};

	(void)state;
	snprintf(r.dir, sizeof(r.dir), "/tmp/test_rmhooks.XXXXXX");
	assert_non_null(mkdtemp(r.dir));
	make_dir(&r, "docker");
	make_dir(&r, "docker/containers");
	make_dir(&r, "docker/containers/aaa");
	make_dir(&r, "podman");
	make_dir(&r, "podman/overlay-containers");
	make_dir(&r, "podman/libpod");
	snprintf(docker, sizeof(docker), "%s/docker", r.dir);
	snprintf(podman, sizeof(podman), "%s/podman", r.dir);

	/* containers/, overlay-containers/ and libpod/ */
	assert_int_equal(rmhooks_watch(&h, roots, 2), 3);
	assert_true(present(&h, "aaa"));
	assert_int_equal(rmhooks_read(&h, in.now_ns, on_written, &w), 0);

	/* a new container on each runtime */
	make_dir(&r, "docker/containers/bbb");
	make_dir(&r, "podman/overlay-containers/ccc");
	assert_true(rmhooks_read(&h, in.now_ns, on_written, &w) > 0);
	assert_true(present(&h, "bbb"));
	assert_true(present(&h, "ccc"));
	assert_false(rh_want(&h, &in));

	/* Docker writes bbb's state: armed for RH_STATE_NS */
	write_file(&r, "docker/containers/bbb/config.v2.json");
	assert_true(rmhooks_read(&h, in.now_ns, on_written, &w) > 0);
	assert_true(h.triggers >= 1);
	assert_true(w.n >= 1);
	assert_string_equal(w.last, "bbb");
	assert_true(rh_want(&h, &in));
	in.now_ns += RH_STATE_NS;
	assert_false(rh_want(&h, &in));

	/* Podman writes its database: armed too, no container named */
	w.n = 0;
	write_file(&r, "podman/libpod/bolt_state.db");
	assert_true(rmhooks_read(&h, in.now_ns, on_written, &w) > 0);
	assert_int_equal(w.n, 0);
	assert_true(rh_want(&h, &in));
	in.now_ns += RH_STATE_NS;

	/* a hidden entry is not a container; removal takes it out of the list */
	make_dir(&r, "docker/containers/.tmp");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/docker/containers/bbb'", r.dir);
	assert_int_equal(system(cmd), 0);
	assert_true(rmhooks_read(&h, in.now_ns, on_written, &w) > 0);
	assert_false(present(&h, "bbb"));
	assert_false(present(&h, ".tmp"));
	assert_true(present(&h, "aaa"));

	rmhooks_close(&h);
	assert_int_equal(h.ifd, -1);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r.dir);
	assert_int_equal(system(cmd), 0);
}

static void test_watch_without_runtimes(void **state)
{
	struct rmhooks h = {.mode = RH_ON_DEMAND, .ifd = -1};
	const char *roots[] = {"/nonexistent/stoptrace-test"};

	(void)state;
	assert_int_equal(rmhooks_watch(&h, roots, 1), 0);
	assert_int_equal(rmhooks_read(&h, 1, NULL, NULL), 0);
	rmhooks_close(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mode_names),
		cmocka_unit_test(test_always_wants_them),
		cmocka_unit_test(test_on_demand_policy),
		cmocka_unit_test(test_attached_time),
		cmocka_unit_test(test_watch_container_directories),
		cmocka_unit_test(test_watch_without_runtimes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
