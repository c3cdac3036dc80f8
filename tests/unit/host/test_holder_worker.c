// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Tests for user/host/holder_worker.c: a scan submitted runs on the worker
 * thread, comes back through holder_worker_take(), and the holders fact
 * answers with it while it is held (other paths ask the inner facts);
 * at most HOLDER_WORKER_JOBS scans wait or run at once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "host/holder_worker.h"
#include "host/holders.h"

static pthread_t main_thread;
static int inner_calls;
static int inner_on_main;

/* A holder named after the path; counts where it ran. */
static int fx_holders(void *ctx, uint32_t caller, const char *path, struct identity_table *ids,
		      struct holder *out, int max, uint32_t *cut)
{
	(void)ctx, (void)ids;
	assert_true(max >= 1);
	__atomic_fetch_add(&inner_calls, 1, __ATOMIC_SEQ_CST);
	if (pthread_equal(pthread_self(), main_thread))
		__atomic_fetch_add(&inner_on_main, 1, __ATOMIC_SEQ_CST);
	memset(out, 0, sizeof(*out));
	snprintf(out->kind, sizeof(out->kind), "mount");
	snprintf(out->mount_point, sizeof(out->mount_point), "%s", path);
	out->pid = caller;
	*cut = HOLDERS_CUT_FDS;
	return 1;
}

static const struct facts_ops fx_ops = {.holders = fx_holders};

/* Wait for a finished scan (the thread runs it); fails after 10 s. */
static void take(struct holder_worker *w, const char **id, const char **path)
{
	for (int i = 0; i < 10000; i++) {
		if (holder_worker_take(w, id, path))
			return;
		usleep(1000);
	}
	fail_msg("no scan finished");
}

static void test_submit_take(void **state)
{
	struct facts inner = {.ops = &fx_ops}, out;
	struct holder_worker *w;
	struct holder h[HOLDERS_MAX];
	const char *id, *path;
	uint32_t cut = 0;

	(void)state;
	main_thread = pthread_self();
	inner_calls = inner_on_main = 0;
	w = holder_worker_new(&inner, &out);
	assert_non_null(w);
	assert_false(holder_worker_take(w, &id, &path));
	assert_int_equal(holder_worker_submit(w, "abc", "/var/lib/docker/x", 42), 0);
	take(w, &id, &path);
	assert_string_equal(id, "abc");
	assert_string_equal(path, "/var/lib/docker/x");
	assert_int_equal(inner_calls, 1);
	assert_int_equal(inner_on_main, 0); /* the scan ran on the worker */
	/* held: the fact answers with it, without scanning again */
	assert_int_equal(
		out.ops->holders(out.ctx, 42, "/var/lib/docker/x", NULL, h, HOLDERS_MAX, &cut), 1);
	assert_int_equal(inner_calls, 1);
	assert_string_equal(h[0].mount_point, "/var/lib/docker/x");
	assert_int_equal(h[0].pid, 42);
	assert_int_equal(cut, HOLDERS_CUT_FDS);
	/* another path is asked of the inner facts, here */
	assert_int_equal(out.ops->holders(out.ctx, 1, "/other", NULL, h, HOLDERS_MAX, &cut), 1);
	assert_int_equal(inner_calls, 2);
	assert_int_equal(inner_on_main, 1);
	holder_worker_release(w);
	holder_worker_free(w);
}

static void test_bounded(void **state)
{
	struct facts inner = {.ops = &fx_ops}, out;
	struct holder_worker *w;
	const char *id, *path;
	char p[32];

	(void)state;
	main_thread = pthread_self();
	inner_calls = inner_on_main = 0;
	w = holder_worker_new(&inner, &out);
	assert_non_null(w);
	for (int i = 0; i < HOLDER_WORKER_JOBS; i++) {
		snprintf(p, sizeof(p), "/p%d", i);
		assert_int_equal(holder_worker_submit(w, "abc", p, 1), 0);
	}
	/* nothing taken: waiting, running and finished scans all count */
	assert_int_equal(holder_worker_submit(w, "abc", "/more", 1), -EBUSY);
	for (int i = 0; i < HOLDER_WORKER_JOBS; i++) {
		take(w, &id, &path);
		snprintf(p, sizeof(p), "/p%d", i);
		assert_string_equal(path, p); /* in the order submitted */
	}
	holder_worker_release(w);
	assert_int_equal(holder_worker_submit(w, "abc", "/more", 1), 0);
	/* freed with a scan waiting or running: the thread stops, nothing leaks */
	holder_worker_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_submit_take),
		cmocka_unit_test(test_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
