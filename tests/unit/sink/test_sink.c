// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The bounded queue between the monitor and a sink's writer, and the sink
 * around it: order, both bounds, counting of every record that is not
 * delivered, retries, a stuck writer that must not hold the producer, the
 * exit wait, and a closed pipe.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/clock.h"
#include "sink/output.h"
#include "sink/sink.h"

#define MS 1000000LL

static int push(struct sink_queue *q, const char *s)
{
	return sink_queue_push(q, "event", 1, s, strlen(s));
}

static void test_queue_order_and_record_bound(void **state)
{
	struct sink_queue q;
	struct sink_record *r;

	(void)state;
	assert_int_equal(sink_queue_init(&q, 3, 1 << 20), 0);
	assert_int_equal(push(&q, "one"), 0);
	assert_int_equal(push(&q, "two"), 0);
	assert_int_equal(push(&q, "three"), 0);
	assert_int_equal(push(&q, "four"), -ENOBUFS);
	assert_int_equal(q.dropped, 1);
	assert_int_equal(q.records, 3);
	assert_int_equal(q.bytes, 11);

	r = sink_queue_pop(&q);
	assert_string_equal(r->line, "one");
	assert_string_equal(r->type, "event");
	assert_int_equal(r->len, 3);
	assert_true(q.busy);
	/* held by the consumer: not empty yet */
	assert_false(sink_queue_wait_empty(&q, clock_ns(CLOCK_MONOTONIC) + 10 * MS));
	sink_queue_done(&q, r);
	/* room again for one */
	assert_int_equal(push(&q, "five"), 0);
	r = sink_queue_pop(&q);
	assert_string_equal(r->line, "two");
	sink_queue_done(&q, r);
	r = sink_queue_pop(&q);
	assert_string_equal(r->line, "three");
	sink_queue_done(&q, r);
	r = sink_queue_pop(&q);
	assert_string_equal(r->line, "five");
	sink_queue_done(&q, r);
	assert_true(sink_queue_wait_empty(&q, clock_ns(CLOCK_MONOTONIC) + 10 * MS));
	assert_int_equal(q.bytes, 0);
	sink_queue_destroy(&q);
}

static void test_queue_byte_bound(void **state)
{
	struct sink_queue q;
	char big[100];

	(void)state;
	memset(big, 'x', sizeof(big));
	assert_int_equal(sink_queue_init(&q, 100, 250), 0);
	assert_int_equal(sink_queue_push(&q, "alert", 0, big, 100), 0);
	assert_int_equal(sink_queue_push(&q, "alert", 0, big, 100), 0);
	/* 200 of 250 bytes used: 51 do not fit, 50 do */
	assert_int_equal(sink_queue_push(&q, "alert", 0, big, 51), -ENOBUFS);
	assert_int_equal(sink_queue_push(&q, "alert", 0, big, 50), 0);
	assert_int_equal(sink_queue_push(&q, "alert", 0, big, 1), -ENOBUFS);
	assert_int_equal(q.dropped, 2);
	sink_queue_destroy(&q);
	/* a record larger than the whole queue never fits */
	assert_int_equal(sink_queue_init(&q, 100, 50), 0);
	assert_int_equal(sink_queue_push(&q, "alert", 0, big, 51), -ENOBUFS);
	assert_int_equal(q.dropped, 1);
	sink_queue_destroy(&q);
}

static void test_queue_close_and_discard(void **state)
{
	struct sink_queue q;

	(void)state;
	assert_int_equal(sink_queue_init(&q, 10, 1 << 20), 0);
	push(&q, "a");
	push(&q, "b");
	sink_queue_close(&q);
	/* closing: the consumer stops even with records left */
	assert_null(sink_queue_pop(&q));
	assert_true(sink_queue_wait_closing(&q, 1000));
	assert_int_equal(sink_queue_discard(&q), 2);
	assert_int_equal(q.dropped, 2);
	assert_int_equal(q.records, 0);
	sink_queue_destroy(&q);
}

/* A writer under the test's control. */
struct fake {
	int fail_with;	   /* returned for every record while set */
	int again_left;	   /* -EAGAIN this many times first */
	volatile int hold; /* while set, each write waits */
	char seen[64][16];
	int nseen;
};

static int fake_write(void *ctx, const struct sink_record *r)
{
	struct fake *f = ctx;

	while (__atomic_load_n(&f->hold, __ATOMIC_ACQUIRE))
		usleep(1000);
	if (f->again_left > 0) {
		f->again_left--;
		return -EAGAIN;
	}
	if (f->fail_with)
		return f->fail_with;
	if (f->nseen < 64)
		snprintf(f->seen[f->nseen++], sizeof(f->seen[0]), "%s", r->line);
	return 0;
}

static int submit(struct sink *s, const char *line)
{
	return sink_submit(s, "alert", 1, line, strlen(line));
}

static void test_sink_writes_in_order_and_retries(void **state)
{
	struct fake f = {.again_left = 2};
	struct sink_counters c;
	struct sink s;

	(void)state;
	assert_int_equal(sink_start(&s, "syslog", 16, 1 << 20, fake_write, &f), 0);
	assert_int_equal(submit(&s, "r1"), 0);
	assert_int_equal(submit(&s, "r2"), 0);
	assert_int_equal(submit(&s, "r3"), 0);
	assert_true(sink_drain(&s, clock_ns(CLOCK_MONOTONIC) + 3000 * MS));
	sink_counters(&s, &c);
	/* two refusals were retried, not counted as errors */
	assert_int_equal(c.written, 3);
	assert_int_equal(c.errors, 0);
	assert_int_equal(c.dropped, 0);
	assert_int_equal(f.nseen, 3);
	assert_string_equal(f.seen[0], "r1");
	assert_string_equal(f.seen[2], "r3");

	f.fail_with = -EIO;
	assert_int_equal(submit(&s, "r4"), 0);
	assert_true(sink_drain(&s, clock_ns(CLOCK_MONOTONIC) + 3000 * MS));
	sink_counters(&s, &c);
	assert_int_equal(c.errors, 1);
	assert_int_equal(c.written, 3);
	sink_stop(&s, clock_ns(CLOCK_MONOTONIC) + 1000 * MS);
	sink_counters(&s, &c);
	assert_int_equal(c.written + c.errors + c.dropped, 4);
}

/* A writer that does not return: the producer goes on, drops are counted. */
static void test_sink_stuck_writer_never_blocks(void **state)
{
	struct fake f = {.hold = 1};
	struct sink_counters c;
	int64_t t0, took;
	struct sink s;
	int refused = 0;

	(void)state;
	assert_int_equal(sink_start(&s, "syslog", 8, 1 << 20, fake_write, &f), 0);
	t0 = clock_ns(CLOCK_MONOTONIC);
	for (int i = 0; i < 100; i++)
		if (submit(&s, "x") == -ENOBUFS)
			refused++;
	took = clock_ns(CLOCK_MONOTONIC) - t0;
	assert_true(took < 500 * MS);
	/* one record held by the writer, 8 queued, the rest refused */
	assert_in_range(refused, 91, 92);
	sink_counters(&s, &c);
	assert_int_equal(c.dropped, (uint64_t)refused);
	assert_false(sink_drain(&s, clock_ns(CLOCK_MONOTONIC) + 50 * MS));

	/* the writer comes back: what was queued goes out */
	__atomic_store_n(&f.hold, 0, __ATOMIC_RELEASE);
	assert_true(sink_drain(&s, clock_ns(CLOCK_MONOTONIC) + 3000 * MS));
	sink_counters(&s, &c);
	assert_int_equal(c.written, 100 - (uint64_t)refused);
	assert_int_equal(c.written + c.dropped + c.errors, 100);
	sink_stop(&s, clock_ns(CLOCK_MONOTONIC) + 1000 * MS);
}

/* The exit wait is bounded: what a writer that never delivers holds is counted as dropped. */
static void test_sink_stop_is_bounded(void **state)
{
	struct fake f = {.again_left = 1 << 30};
	struct sink_counters c;
	struct sink s;
	int64_t t0;

	(void)state;
	assert_int_equal(sink_start(&s, "syslog", 16, 1 << 20, fake_write, &f), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(submit(&s, "y"), 0);
	t0 = clock_ns(CLOCK_MONOTONIC);
	sink_stop(&s, t0 + 300 * MS);
	assert_true(clock_ns(CLOCK_MONOTONIC) - t0 < 2000 * MS);
	assert_false(s.abandoned);
	sink_counters(&s, &c);
	assert_int_equal(c.written, 0);
	/* the record in hand gave up with an error, the 4 queued were dropped */
	assert_int_equal(c.errors, 1);
	assert_int_equal(c.dropped, 4);
}

static int write_output(void *ctx, const struct sink_record *r)
{
	return output_write(ctx, r->line, r->len);
}

/* Standard output closed by its reader: the sink stops and says so; later records are counted. */
static void test_sink_closed_pipe_is_fatal(void **state)
{
	struct sink_counters c;
	struct output o;
	struct sink s;
	int p[2];

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(output_open(&o, NULL, OUT_JSON, false), 0);
	o.fd = p[1];
	close(p[0]);
	assert_int_equal(sink_start(&s, "output", 16, 1 << 20, write_output, &o), 0);
	assert_int_equal(submit(&s, "{}"), 0);
	for (int i = 0; i < 3000 && !sink_fatal(&s); i++)
		usleep(1000);
	assert_int_equal(sink_fatal(&s), -EPIPE);
	assert_int_equal(submit(&s, "{}"), -EPIPE);
	sink_stop(&s, clock_ns(CLOCK_MONOTONIC) + 1000 * MS);
	sink_counters(&s, &c);
	assert_int_equal(c.written, 0);
	assert_int_equal(c.errors, 1);
	assert_int_equal(c.dropped, 1);
	close(p[1]);
}

/* SIGHUP's reopen from another thread: the writer moves to the new file between records. */
static void test_output_reopen_hands_over(void **state)
{
	char dir[] = "/tmp/stoptrace-sink-XXXXXX", path[256], old[300], buf[64];
	struct output o;
	ssize_t n;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/out.jsonl", dir);
	snprintf(old, sizeof(old), "%s.1", path);
	assert_int_equal(output_open(&o, path, OUT_JSON, false), 0);
	assert_int_equal(output_write(&o, "a", 1), 0);
	assert_int_equal(rename(path, old), 0);
	assert_int_equal(output_write(&o, "b", 1), 0); /* still the renamed file */
	assert_int_equal(output_reopen(&o), 0);
	assert_int_equal(output_write(&o, "c", 1), 0);
	output_close(&o);
	fd = open(old, O_RDONLY);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	assert_int_equal(n, 4);
	assert_memory_equal(buf, "a\nb\n", 4);
	fd = open(path, O_RDONLY);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	assert_int_equal(n, 2);
	assert_memory_equal(buf, "c\n", 2);
	unlink(old);
	unlink(path);
	rmdir(dir);
}

/*
 * A write that fills the disk half-way: the half line is taken back, and
 * writing resumes with whole lines. RLIMIT_FSIZE stands in for a full disk
 * (the write is cut at the limit, then fails with EFBIG), in a child, since
 * the limit is the process's.
 */
static void test_output_full_takes_back_half_line(void **state)
{
	char dir[] = "/tmp/stoptrace-sink-XXXXXX", path[256], buf[128];
	char line[60];
	int status;
	pid_t pid;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/out.jsonl", dir);
	memset(line, 'x', sizeof(line));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit small = {.rlim_cur = 100, .rlim_max = RLIM_INFINITY};
		struct output o;
		int ok;

		signal(SIGXFSZ, SIG_IGN);
		if (output_open(&o, path, OUT_JSON, false) || setrlimit(RLIMIT_FSIZE, &small))
			_exit(10);
		ok = output_write(&o, line, sizeof(line)) == 0;		   /* 61 bytes */
		ok = ok && output_write(&o, line, sizeof(line)) == -EFBIG; /* 39 go, then EFBIG */
		ok = ok && o.write_errors == 1 && !o.torn;
		small.rlim_cur = RLIM_INFINITY;
		ok = ok && !setrlimit(RLIMIT_FSIZE, &small);
		ok = ok && output_write(&o, "c", 1) == 0;
		output_close(&o);
		_exit(ok ? 0 : 11);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	{
		int fd = open(path, O_RDONLY);
		ssize_t n = read(fd, buf, sizeof(buf));

		close(fd);
		assert_int_equal(n, 63);
		assert_memory_equal(buf, line, sizeof(line));
		assert_memory_equal(buf + 60, "\nc\n", 3);
	}
	unlink(path);
	rmdir(dir);
}

/* Where a half line cannot be taken back (a pipe), the next record starts a line of its own. */
static void test_output_torn_pipe_line_ended(void **state)
{
	char big[70000], buf[4096];
	struct output o = {.next_fd = -1};
	int p[2];
	ssize_t n, total = 0;

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(fcntl(p[1], F_SETFL, O_NONBLOCK), 0);
	o.fd = p[1];
	memset(big, 'y', sizeof(big));
	/* more than the pipe holds: part goes, then EAGAIN */
	assert_int_equal(output_write(&o, big, sizeof(big)), -EAGAIN);
	assert_true(o.torn);
	assert_int_equal(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	while ((n = read(p[0], buf, sizeof(buf))) > 0)
		total += n;
	assert_true(total > 0 && total < (ssize_t)sizeof(big));
	assert_int_equal(output_write(&o, "z", 1), 0);
	assert_false(o.torn);
	n = read(p[0], buf, sizeof(buf));
	assert_int_equal(n, 3);
	assert_memory_equal(buf, "\nz\n", 3);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_queue_order_and_record_bound),
		cmocka_unit_test(test_queue_byte_bound),
		cmocka_unit_test(test_queue_close_and_discard),
		cmocka_unit_test(test_sink_writes_in_order_and_retries),
		cmocka_unit_test(test_sink_stuck_writer_never_blocks),
		cmocka_unit_test(test_sink_stop_is_bounded),
		cmocka_unit_test(test_sink_closed_pipe_is_fatal),
		cmocka_unit_test(test_output_reopen_hands_over),
		cmocka_unit_test(test_output_full_takes_back_half_line),
		cmocka_unit_test(test_output_torn_pipe_line_ended),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
