// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The sinks' line handling (sink.c, output.c): the bounded queue between
 * the monitor and a writer, the writer thread, and output_write's lines.
 * Input: u8 max records (1..16), u8 max bytes (in 16-byte units), u8 a
 * script seed, then records separated by NUL bytes (a record line never
 * holds one); each record's first byte, when there is one, also says what
 * to do with it (bit 0: the consumer pops one before it is pushed; bit 1:
 * the writer fails it; bit 2: output_write gets a descriptor it cannot
 * write).
 *
 * Checked against a model: a push is refused exactly when the queue is
 * full by records or bytes, and counted; pops give back the records pushed,
 * in order, byte for byte, NUL-terminated; through a writer thread, every
 * record submitted is written, failed or dropped, once, in order; the
 * output file holds exactly the lines written, each ended by one newline,
 * and a failed write leaves nothing of its line behind.
 */
#include <pthread.h>

#include "lib/clock.h"
#include "fuzz.h"
#include "sink/output.h"
#include "sink/sink.h"

#define MAX_RECS 512

struct rec {
	const char *p;
	size_t len;
	unsigned char how;
};

static struct rec recs[MAX_RECS];
static int nrecs;

/* What the writer thread saw, and what it answered. */
static struct {
	int seen[MAX_RECS];
	int n;
} got;

static int collect(void *ctx, const struct sink_record *r)
{
	long i = strtol(r->type, NULL, 10);

	(void)ctx;
	if (i < 0 || i >= nrecs || r->len != recs[i].len || memcmp(r->line, recs[i].p, r->len) ||
	    r->line[r->len] != '\0' || r->real_ns != i)
		fuzz_fail("the writer got a record that was not submitted as record %ld", i);
	got.seen[got.n++] = (int)i;
	return recs[i].how & 2 ? -EIO : 0;
}

static void check_queue(size_t max_records, size_t max_bytes)
{
	struct sink_queue q;
	size_t held = 0, bytes = 0, drops = 0;
	int head = 0, tail = 0, fifo[MAX_RECS];

	if (sink_queue_init(&q, max_records, max_bytes))
		fuzz_fail("sink_queue_init");
	for (int i = 0; i < nrecs; i++) {
		bool fits = held < max_records && recs[i].len <= max_bytes - bytes;
		int err;

		if ((recs[i].how & 1) && head < tail) {
			struct sink_record *r = sink_queue_pop(&q);
			int want = fifo[head++];

			if (!r || r->len != recs[want].len ||
			    memcmp(r->line, recs[want].p, r->len) || r->line[r->len] != '\0' ||
			    r->real_ns != want)
				fuzz_fail("pop: not record %d", want);
			held--;
			bytes -= recs[want].len;
			sink_queue_done(&q, r);
		}
		fits = held < max_records && recs[i].len <= max_bytes - bytes;
		err = sink_queue_push(&q, "event", i, recs[i].p, recs[i].len);
		if (fits != !err || (err && err != -ENOBUFS))
			fuzz_fail(
				"push of record %d (%zu bytes) into %zu/%zu records, %zu/%zu bytes: %d",
				i, recs[i].len, held, max_records, bytes, max_bytes, err);
		if (!err) {
			fifo[tail++] = i;
			held++;
			bytes += recs[i].len;
		} else {
			drops++;
		}
		if (q.records != held || q.bytes != bytes || q.dropped != drops)
			fuzz_fail(
				"queue counts %zu records %zu bytes %llu dropped, want %zu %zu %zu",
				q.records, q.bytes, (unsigned long long)q.dropped, held, bytes,
				drops);
	}
	if (sink_queue_discard(&q) != held || q.dropped != drops + held)
		fuzz_fail("discard did not count what was left");
	sink_queue_destroy(&q);
}

static void check_sink(size_t max_records, size_t max_bytes)
{
	static char types[MAX_RECS][8];
	struct sink s;
	struct sink_counters c;
	uint64_t refused = 0, failed = 0;

	got.n = 0;
	if (sink_start(&s, "output", max_records, max_bytes, collect, NULL))
		fuzz_fail("sink_start");
	for (int i = 0; i < nrecs; i++) {
		snprintf(types[i], sizeof(types[i]), "%d", i);
		if (sink_submit(&s, types[i], i, recs[i].p, recs[i].len))
			refused++;
	}
	sink_stop(&s, clock_ns(CLOCK_MONOTONIC) + 10 * 1000000000LL);
	if (s.abandoned)
		fuzz_fail("sink_stop left the writer behind");
	sink_counters(&s, &c);
	for (int i = 0; i < got.n; i++) {
		if (i && got.seen[i] <= got.seen[i - 1])
			fuzz_fail("the writer got record %d after %d", got.seen[i],
				  got.seen[i - 1]);
		failed += recs[got.seen[i]].how & 2 ? 1 : 0;
	}
	if (c.written + c.errors != (uint64_t)got.n || c.errors != failed ||
	    c.written + c.errors + c.dropped != (uint64_t)nrecs || c.dropped < refused)
		fuzz_fail("sink: %llu written, %llu errors, %llu dropped of %d (writer saw %d)",
			  (unsigned long long)c.written, (unsigned long long)c.errors,
			  (unsigned long long)c.dropped, nrecs, got.n);
}

static void check_output(void)
{
	static int fd = -1, ro = -1;
	static char path[64];
	struct output o = {.next_fd = -1, .format = OUT_JSON};
	size_t len, at = 0, ok = 0, bad = 0;
	char *buf;

	if (fd < 0) {
		fd = fuzz_memfd(path, sizeof(path));
		ro = open(path, O_RDONLY | O_CLOEXEC);
		if (ro < 0)
			fuzz_fail("open %s: %s", path, strerror(errno));
	}
	for (int i = 0; i < nrecs; i++) {
		int err;

		o.fd = recs[i].how & 4 ? ro : fd;
		err = output_write(&o, recs[i].p, recs[i].len);
		if ((recs[i].how & 4) ? err != -EBADF : err != 0)
			fuzz_fail("output_write of record %d: %d", i, err);
		if (err)
			bad++;
		else
			ok++;
	}
	if (o.records != ok || o.write_errors != bad)
		fuzz_fail("output: %llu records, %llu errors, want %zu, %zu",
			  (unsigned long long)o.records, (unsigned long long)o.write_errors, ok,
			  bad);
	buf = fuzz_take(fd, &len);
	for (int i = 0; i < nrecs; i++) {
		if (recs[i].how & 4)
			continue;
		if (len - at < recs[i].len + 1 || memcmp(buf + at, recs[i].p, recs[i].len) ||
		    buf[at + recs[i].len] != '\n')
			fuzz_fail("the output does not hold record %d at %zu", i, at);
		at += recs[i].len + 1;
	}
	if (at != len)
		fuzz_fail("the output holds %zu bytes more than its records", len - at);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p, *end;
	size_t max_records, max_bytes;

	if (size < 3)
		return 0;
	max_records = 1 + data[0] % 16;
	max_bytes = 16 * (size_t)data[1];
	p = (const char *)data + 3;
	end = (const char *)data + size;
	nrecs = 0;
	while (p < end && nrecs < MAX_RECS) {
		const char *nul = memchr(p, '\0', (size_t)(end - p));
		size_t n = nul ? (size_t)(nul - p) : (size_t)(end - p);

		recs[nrecs++] = (struct rec){
			.p = p, .len = n, .how = n ? (unsigned char)(p[0] ^ data[2]) : data[2]};
		p += n + 1;
	}
	check_queue(max_records, max_bytes);
	check_sink(max_records, max_bytes);
	check_output();
	return 0;
}
