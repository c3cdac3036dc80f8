// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The "container" fact: a cgroup the live monitor took for a container
 * because its runtime's state said so (ctr's /<namespace>/<id>, known by
 * containerd's task directory) is one in the replay too, from the
 * recording; the answers the path alone gives are not written, and a
 * replay asking about a path with no such answer next takes nothing.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "recording/recording.h"
#include <linux/types.h>
#include "stoptrace_event.h"

#define HEX "abababababababababababababababababababababababababababababababab"

static char dir[64];
static char file[128];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/stoptrace-known-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/rec", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(file);
	rmdir(dir);
	return 0;
}

/* The live system's answer: ctr's web and web2 by their task directories, nothing else. */
static int fx_recognize(void *ctx, const char *path, const char *mount_dir, struct cgroup_match *cm)
{
	(void)ctx, (void)mount_dir;
	if (!strcmp(path, "/delegated/docker/" HEX))
		return -EPERM; /* a user's: not written, so not a container in the replay */
	if (strcmp(path, "/default/web") && strcmp(path, "/default/web2"))
		return identity_recognize(NULL, path, cm);
	memset(cm, 0, sizeof(*cm));
	cm->runtime = RUNTIME_CONTAINERD;
	snprintf(cm->id, sizeof(cm->id), "%s", path + strlen("/default/"));
	snprintf(cm->cgroup, sizeof(cm->cgroup), "%s", path);
	cm->by_state = true;
	return 1;
}

static const struct facts_ops fx_ops = {.recognize = fx_recognize};

static void record(void)
{
	struct facts inner = {.ops = &fx_ops}, f;
	struct rec_header h = {.format = RECORDING_FORMAT, .event_abi = ST_EVENT_ABI};
	struct cgroup_match cm;
	struct recorder *r;

	assert_int_equal(recorder_open(&r, file, &h), 0);
	recorder_facts(r, &inner, &f);
	recorder_tick(r, 10);
	assert_int_equal(f.ops->recognize(f.ctx, "/default/web", NULL, &cm), 1);
	recorder_tick(r, 20);
	/* the path decides these: nothing written */
	assert_int_equal(f.ops->recognize(f.ctx, "/default/other", NULL, &cm), 0);
	assert_int_equal(f.ops->recognize(f.ctx, "/docker/" HEX, NULL, &cm), 1);
	assert_false(cm.by_state);
	assert_int_equal(f.ops->recognize(f.ctx, "/delegated/docker/" HEX, NULL, &cm), -EPERM);
	recorder_tick(r, 30);
	assert_int_equal(f.ops->recognize(f.ctx, "/default/web2", NULL, &cm), 1);
	assert_int_equal(recorder_close(r), 0);
}

static struct replay *open_replay(struct facts *f)
{
	struct rec_header h;
	struct replay *rp;
	char err[256];

	assert_int_equal(replay_open(&rp, file, &h, err, sizeof(err)), 0);
	replay_facts(rp, f);
	return rp;
}

static void expect_tick(struct replay *rp, uint64_t now)
{
	struct replay_input in;

	assert_int_equal(replay_next(rp, &in), 1);
	assert_int_equal(in.kind, REPLAY_TICK);
	assert_int_equal(in.now_ns, now);
}

static void test_known_roundtrip(void **state)
{
	struct replay_input in;
	struct cgroup_match cm;
	struct replay *rp;
	struct facts f;

	(void)state;
	record();
	rp = open_replay(&f);
	expect_tick(rp, 10);
	assert_int_equal(f.ops->recognize(f.ctx, "/default/web", NULL, &cm), 1);
	assert_int_equal(cm.runtime, RUNTIME_CONTAINERD);
	assert_string_equal(cm.id, "web");
	assert_string_equal(cm.cgroup, "/default/web");
	assert_true(cm.by_state);
	assert_false(cm.below);
	expect_tick(rp, 20);
	/* no answer next: not a container, and the next line stays for the next read */
	assert_int_equal(f.ops->recognize(f.ctx, "/default/other", NULL, &cm), 0);
	assert_int_equal(f.ops->recognize(f.ctx, "/docker/" HEX, NULL, &cm), 1);
	assert_int_equal(cm.runtime, RUNTIME_DOCKER);
	assert_int_equal(f.ops->recognize(f.ctx, "/delegated/docker/" HEX, NULL, &cm), 0);
	expect_tick(rp, 30);
	/* an answer about another path is not this one's */
	assert_int_equal(f.ops->recognize(f.ctx, "/default/web", NULL, &cm), 0);
	assert_int_equal(f.ops->recognize(f.ctx, "/default/web2", NULL, &cm), 1);
	assert_string_equal(cm.id, "web2");
	assert_int_equal(replay_next(rp, &in), 0);
	assert_string_equal(replay_error(rp), "");
	replay_close(rp);
}

/* A recording someone hands over: an answer naming no runtime, or no id, is refused. */
static void test_known_damaged(void **state)
{
	static const char *const bad[] = {
		"\"runtime\":99,\"id\":\"web\"",
		"\"runtime\":3,\"id\":\"\"",
		"\"runtime\":3",
	};
	struct cgroup_match cm;
	struct replay *rp;
	struct facts f;
	FILE *out;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		out = fopen(file, "w");
		assert_non_null(out);
		fprintf(out,
			"{\"r\":\"header\",\"format\":%d,\"event_abi\":%d,\"version\":\"x\","
			"\"host\":\"h\",\"kernel\":\"k\",\"boot_to_real_ns\":0,\"alert_prefix\":1,"
			"\"start_ns\":0,\"stop_alert_after_s\":30,\"teardown_timeout_s\":3,"
			"\"mem_hierarchy\":-1}\n"
			"{\"r\":\"fact\",\"f\":\"container\",\"ret\":1,\"path\":\"/default/web\",%s,"
			"\"pod_uid\":\"\",\"cgroup\":\"/default/web\"}\n",
			RECORDING_FORMAT, ST_EVENT_ABI, bad[i]);
		fclose(out);
		rp = open_replay(&f);
		assert_int_equal(f.ops->recognize(f.ctx, "/default/web", NULL, &cm), -EIO);
		assert_non_null(strstr(replay_error(rp), "a damaged container answer"));
		replay_close(rp);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_known_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_known_damaged, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
