// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Recordings: what is written comes back the same, answers included, hostile
 * strings byte for byte; damaged or foreign files are refused with a reason.
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
#include "lib/array_size.h"
#include "host/holders.h"
#include "recording/recording.h"
#include <linux/types.h>
#include "stoptrace_event.h"

static char dir[64];
static char path[128];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/stoptrace-rec-XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	unlink(path);
	snprintf(cmd, sizeof(cmd), "%s", dir);
	rmdir(cmd);
	return 0;
}

/* ---- base64 ---- */

static void test_b64_vectors(void **state)
{
	/* RFC 4648 section 10 */
	static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *const enc[] = {"",	      "Zg==",	  "Zm8=",    "Zm9v",
					  "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
	char out[32], back[32];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(plain); i++) {
		size_t n = rec_b64_encode(plain[i], strlen(plain[i]), out, sizeof(out));

		assert_int_equal(n, strlen(enc[i]));
		assert_string_equal(out, enc[i]);
		assert_int_equal(rec_b64_decode(out, n, back, sizeof(back)), strlen(plain[i]));
		assert_memory_equal(back, plain[i], strlen(plain[i]));
	}
}

static void test_b64_binary_and_errors(void **state)
{
	unsigned char data[256], back[256];
	char out[400];

	(void)state;
	for (int i = 0; i < 256; i++)
		data[i] = (unsigned char)(255 - i);
	for (size_t n = 0; n <= sizeof(data); n += 37) {
		size_t len = rec_b64_encode(data, n, out, sizeof(out));

		assert_int_equal(rec_b64_decode(out, len, back, sizeof(back)), n);
		assert_memory_equal(back, data, n);
	}
	/* too small an output buffer: nothing written */
	assert_int_equal(rec_b64_encode(data, 3, out, 4), 0);
	assert_string_equal(out, "");
	assert_int_equal(rec_b64_decode("Zm9", 3, back, sizeof(back)), -EINVAL);
	assert_int_equal(rec_b64_decode("Zm=v", 4, back, sizeof(back)), -EINVAL);
	assert_int_equal(rec_b64_decode("Zm9v!mFy", 8, back, sizeof(back)), -EINVAL);
	assert_int_equal(rec_b64_decode("Zg==Zg==", 8, back, sizeof(back)), -EINVAL);
	assert_int_equal(rec_b64_decode("Zm9vYmFy", 8, back, 5), -EINVAL);
}

/* ---- facts that answer from fixed data ---- */

/* A name no JSON string can carry as it is: invalid UTF-8, quotes, a newline. */
static const char hostile[] = "we\xff\xfe\"b\\ad\nname\x1b[31m";

static void fill_container(struct container *c, const char *id)
{
	memset(c, 0, sizeof(*c));
	c->runtime = RUNTIME_DOCKER;
	snprintf(c->id, sizeof(c->id), "%s", id);
	snprintf(c->name, sizeof(c->name), "%s", hostile);
	snprintf(c->cgroup, sizeof(c->cgroup), "/docker/%s", id);
	c->stop_signal = 3;
	snprintf(c->restart_policy, sizeof(c->restart_policy), "always");
	snprintf(c->pod_namespace, sizeof(c->pod_namespace), "ns");
	snprintf(c->pod_name, sizeof(c->pod_name), "pod-\xc3\xa9");
	snprintf(c->pod_uid, sizeof(c->pod_uid), "uid-1");
	c->meta_tries = 2;
}

static int fx_load_meta(void *ctx, struct container *c)
{
	char id[ID_LEN];

	(void)ctx;
	snprintf(id, sizeof(id), "%s", c->id);
	fill_container(c, id);
	return -ENOENT; /* the answer and the return value both come back */
}

static int fx_storage_paths(void *ctx, const struct container *c, char paths[][STORAGE_PATH_LEN],
			    int max)
{
	(void)ctx;
	assert_true(max >= 2);
	snprintf(paths[0], STORAGE_PATH_LEN, "/var/lib/docker/overlay2/%s", c->id);
	snprintf(paths[1], STORAGE_PATH_LEN, "/var/lib/docker/containers/%s\xff", c->id);
	return 2;
}

static int fx_runtime_state(void *ctx, const struct container *c, char *state, size_t cap)
{
	(void)ctx, (void)c;
	snprintf(state, cap, "dead");
	return 0;
}

static int fx_holders(void *ctx, uint32_t caller, const char *p, struct identity_table *ids,
		      struct holder *out, int max, uint32_t *cut)
{
	(void)ctx, (void)caller, (void)ids;
	assert_true(max >= 1);
	*cut = HOLDERS_CUT_TIME | HOLDERS_CUT_FDS;
	memset(out, 0, sizeof(*out));
	snprintf(out->kind, sizeof(out->kind), "mount");
	snprintf(out->mount_point, sizeof(out->mount_point), "%s", p);
	snprintf(out->source, sizeof(out->source), "/dev/loop0");
	snprintf(out->fstype, sizeof(out->fstype), "ext4");
	out->mount_namespace = 4026532777ULL;
	out->pid = 4242;
	snprintf(out->comm, sizeof(out->comm), "%s", hostile);
	out->in_container = true;
	fill_container(&out->container, "cafe");
	return 3; /* more found than filled */
}

static int fx_attributes(void *ctx, const char *p, bool *immutable, bool *append_only)
{
	(void)ctx, (void)p;
	*immutable = true;
	*append_only = false;
	return 0;
}

static int fx_culprits(void *ctx, uint64_t pidns, uint32_t exclude, struct identity_table *ids,
		       struct culprit *out, int max)
{
	(void)ctx, (void)pidns, (void)exclude, (void)ids;
	assert_true(max >= 2);
	memset(out, 0, 2 * sizeof(*out));
	out[0].pid = 100;
	out[0].ns_pid = 7;
	snprintf(out[0].comm, sizeof(out[0].comm), "%s", hostile);
	out[0].state = 'T';
	snprintf(out[0].wchan, sizeof(out[0].wchan), "do_freezer_trap");
	snprintf(out[0].stack, sizeof(out[0].stack), "a\nb");
	out[0].in_container = true;
	fill_container(&out[0].container, "beef");
	out[0].frozen = true;
	snprintf(out[0].frozen_how, sizeof(out[0].frozen_how), "v1 freezer.state FROZEN");
	out[1].pid = 101;
	out[1].state = 'S';
	return 2;
}

static int fx_docker_ids(void *ctx, facts_id_fn fn, void *arg)
{
	(void)ctx;
	fn("aaaa", arg);
	fn("bbbb", arg);
	return 0;
}

static const struct facts_ops fx_ops = {
	.load_meta = fx_load_meta,
	.storage_paths = fx_storage_paths,
	.runtime_state = fx_runtime_state,
	.holders = fx_holders,
	.attributes = fx_attributes,
	.culprits = fx_culprits,
	.docker_ids = fx_docker_ids,
};

struct seen_ids {
	char ids[4][ID_LEN];
	int n;
};

static int seen_id(const char *id, void *arg)
{
	struct seen_ids *s = arg;

	assert_true(s->n < 4);
	snprintf(s->ids[s->n++], ID_LEN, "%s", id);
	return 0;
}

static void header(struct rec_header *h)
{
	memset(h, 0, sizeof(*h));
	h->format = RECORDING_FORMAT;
	h->event_abi = ST_EVENT_ABI;
	snprintf(h->version, sizeof(h->version), "9.9.9");
	snprintf(h->host, sizeof(h->host), "host\xff");
	snprintf(h->kernel, sizeof(h->kernel), "6.18.0");
	h->boot_to_real_ns = -5;
	h->alert_prefix = 1795760730;
	h->start_ns = 1000;
	h->stop_alert_after_s = 30;
	h->teardown_timeout_s = 3;
	h->cgroup_v2 = true;
	h->mem_hierarchy = 4;
	h->record_max = 7840;
	h->holders_async = true;
	h->nstorage_roots = 1;
	snprintf(h->storage_roots[0], sizeof(h->storage_roots[0]), "/srv/containers");
}

/* Everything a monitor writes, in the order it would. */
static const char hcomm[] = "a\xff\"\\\n\x1b[31m"; /* a hostile comm, 11 bytes */

/* A sample of a stopping container: every process of a full one, hostile names among them. */
static void write_running(struct recorder *r)
{
	static struct running_sample s;

	memset(&s, 0, sizeof(s));
	s.incomplete = true;
	for (uint32_t i = 0; i < RUNNING_MAX; i++) {
		s.procs[i].pid = 5000 + i;
		s.procs[i].ns_pid = 1 + i;
		s.procs[i].state = i % 2 ? 'S' : 'D';
		snprintf(s.procs[i].comm, sizeof(s.procs[i].comm), "%s", i ? "sleep" : hcomm);
		snprintf(s.procs[i].wchan, sizeof(s.procs[i].wchan), "%s", i ? "do_wait" : "");
	}
	s.n = RUNNING_MAX;
	recorder_running(r, 2150, "abc", &s);
}

static void check_running(struct replay *rp)
{
	struct replay_input in;
	const struct running_sample *s;

	assert_int_equal(replay_next(rp, &in), 1);
	assert_int_equal(in.kind, REPLAY_RUNNING);
	assert_int_equal(in.now_ns, 2150);
	assert_string_equal(in.path, "abc");
	s = in.running;
	assert_non_null(s);
	assert_true(s->incomplete);
	assert_int_equal(s->n, RUNNING_MAX);
	assert_string_equal(s->procs[0].comm, hcomm);
	assert_string_equal(s->procs[0].wchan, "");
	assert_int_equal(s->procs[0].state, 'D');
	assert_int_equal(s->procs[RUNNING_MAX - 1].pid, 5000 + RUNNING_MAX - 1);
	assert_int_equal(s->procs[RUNNING_MAX - 1].ns_pid, RUNNING_MAX);
	assert_string_equal(s->procs[RUNNING_MAX - 1].comm, "sleep");
	assert_string_equal(s->procs[RUNNING_MAX - 1].wchan, "do_wait");
}

static void write_recording(const char *file)
{
	struct facts inner = {.ops = &fx_ops}, f;
	struct recorder *r;
	struct rec_header h;
	struct container c = {};
	char paths[8][STORAGE_PATH_LEN], state[32];
	struct holder holders[8];
	uint32_t cut = 0;
	struct culprit culprits[4];
	struct seen_ids seen = {};
	unsigned char ev[64];
	bool imm, app;

	header(&h);
	assert_int_equal(recorder_open(&r, file, &h), 0);
	recorder_facts(r, &inner, &f);
	for (size_t i = 0; i < sizeof(ev); i++)
		ev[i] = (unsigned char)(i * 7);
	recorder_cgroup(r, 1000, 77, "/docker/\xff\"x");
	snprintf(c.id, sizeof(c.id), "abc");
	assert_int_equal(f.ops->load_meta(f.ctx, &c), -ENOENT);
	assert_string_equal(c.name, hostile);
	assert_int_equal(f.ops->storage_paths(f.ctx, &c, paths, 8), 2);
	recorder_step(r, "learn_all", 1001);
	assert_int_equal(f.ops->docker_ids(f.ctx, seen_id, &seen), 0);
	assert_int_equal(seen.n, 2);
	recorder_event(r, 2000, ev, sizeof(ev));
	assert_int_equal(f.ops->runtime_state(f.ctx, &c, state, sizeof(state)), 0);
	assert_int_equal(f.ops->holders(f.ctx, 1, "/var/lib/docker/x", NULL, holders, 8, &cut), 3);
	assert_int_equal(f.ops->attributes(f.ctx, "/var/lib/docker/x/keep", &imm, &app), 0);
	recorder_holders_done(r, 2100, "abc", "/var/lib/docker/\xff/d");
	write_running(r);
	recorder_tick(r, 2200);
	recorder_lost(r, 2300, 5);
	assert_int_equal(f.ops->culprits(f.ctx, 4026531836ULL, 9, NULL, culprits, 4), 2);
	recorder_step(r, "flush", 2400);
	assert_int_equal(recorder_errors(r), 0);
	assert_int_equal(recorder_close(r), 0);
}

static void expect_input(struct replay *rp, enum replay_kind kind, uint64_t now)
{
	struct replay_input in;

	assert_int_equal(replay_next(rp, &in), 1);
	assert_int_equal(in.kind, kind);
	assert_int_equal(in.now_ns, now);
}

static void check_container(const struct container *c, const char *id)
{
	struct container want;

	fill_container(&want, id);
	assert_memory_equal(c, &want, sizeof(want));
}

static void roundtrip(const char *file)
{
	struct rec_header h, want;
	struct replay *rp;
	struct replay_input in;
	struct facts f;
	struct container c = {};
	char paths[8][STORAGE_PATH_LEN], state[32], err[512];
	struct holder holders[8];
	uint32_t cut = 0;
	struct culprit culprits[4];
	struct seen_ids seen = {};
	bool imm = false, app = true;

	write_recording(file);
	assert_int_equal(replay_open(&rp, file, &h, err, sizeof(err)), 0);
	header(&want);
	assert_memory_equal(&h, &want, sizeof(h));
	replay_facts(rp, &f);

	assert_int_equal(replay_next(rp, &in), 1);
	assert_int_equal(in.kind, REPLAY_CGROUP);
	assert_int_equal(in.n, 77);
	assert_string_equal(in.path, "/docker/\xff\"x");
	assert_int_equal(f.ops->load_meta(f.ctx, &c), -ENOENT);
	check_container(&c, "abc");
	assert_int_equal(f.ops->storage_paths(f.ctx, &c, paths, 8), 2);
	assert_string_equal(paths[0], "/var/lib/docker/overlay2/abc");
	assert_string_equal(paths[1], "/var/lib/docker/containers/abc\xff");
	expect_input(rp, REPLAY_LEARN_ALL, 1001);
	assert_int_equal(f.ops->docker_ids(f.ctx, seen_id, &seen), 0);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.ids[0], "aaaa");
	assert_string_equal(seen.ids[1], "bbbb");

	assert_int_equal(replay_next(rp, &in), 1);
	assert_int_equal(in.kind, REPLAY_EVENT);
	assert_int_equal(in.now_ns, 2000);
	assert_int_equal(in.len, 64);
	for (size_t i = 0; i < in.len; i++)
		assert_int_equal(((unsigned char *)in.data)[i], (unsigned char)(i * 7));
	assert_int_equal(f.ops->runtime_state(f.ctx, &c, state, sizeof(state)), 0);
	assert_string_equal(state, "dead");
	memset(holders, 0, sizeof(holders));
	cut = 0;
	assert_int_equal(f.ops->holders(f.ctx, 1, "/var/lib/docker/x", NULL, holders, 8, &cut), 3);
	/* what the scan cut comes back as it was */
	assert_int_equal(cut, HOLDERS_CUT_TIME | HOLDERS_CUT_FDS);
	assert_string_equal(holders[0].mount_point, "/var/lib/docker/x");
	assert_string_equal(holders[0].comm, hostile);
	assert_int_equal(holders[0].mount_namespace, 4026532777ULL);
	assert_int_equal(holders[0].pid, 4242);
	assert_true(holders[0].in_container);
	check_container(&holders[0].container, "cafe");
	assert_int_equal(f.ops->attributes(f.ctx, "/x", &imm, &app), 0);
	assert_true(imm);
	assert_false(app);
	/* a scan finished on the worker: its own input */
	assert_int_equal(replay_next(rp, &in), 1);
	assert_int_equal(in.kind, REPLAY_HOLDERS_DONE);
	assert_int_equal(in.now_ns, 2100);
	assert_string_equal(in.path, "abc");
	assert_string_equal(in.path2, "/var/lib/docker/\xff/d");
	check_running(rp);
	expect_input(rp, REPLAY_TICK, 2200);
	assert_int_equal(replay_next(rp, &in), 1);
	assert_int_equal(in.kind, REPLAY_LOST);
	assert_int_equal(in.n, 5);
	memset(culprits, 0, sizeof(culprits));
	assert_int_equal(f.ops->culprits(f.ctx, 1, 9, NULL, culprits, 4), 2);
	assert_int_equal(culprits[0].pid, 100);
	assert_int_equal(culprits[0].ns_pid, 7);
	assert_string_equal(culprits[0].comm, hostile);
	assert_int_equal(culprits[0].state, 'T');
	assert_string_equal(culprits[0].stack, "a\nb");
	check_container(&culprits[0].container, "beef");
	assert_true(culprits[0].frozen);
	assert_string_equal(culprits[0].frozen_how, "v1 freezer.state FROZEN");
	assert_int_equal(culprits[1].pid, 101);
	assert_false(culprits[1].in_container);
	expect_input(rp, REPLAY_FLUSH, 2400);
	assert_int_equal(replay_next(rp, &in), 0);
	assert_string_equal(replay_error(rp), "");
	replay_close(rp);
}

static void test_roundtrip_plain(void **state)
{
	FILE *f;
	char first[15] = "";

	(void)state;
	snprintf(path, sizeof(path), "%s/r.rec", dir);
	roundtrip(path);
	/* without .gz the file is plain text, one JSON object a line */
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(first, sizeof(first), f));
	fclose(f);
	assert_string_equal(first, "{\"r\":\"header\",");
}

static void test_roundtrip_gzip(void **state)
{
	unsigned char magic[2] = {0, 0};
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/r.rec.gz", dir);
	roundtrip(path);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(magic, 1, 2, f), 2);
	fclose(f);
	assert_int_equal(magic[0], 0x1f);
	assert_int_equal(magic[1], 0x8b);
}

/* A replay that asks other questions than the recording answered stops, saying where. */
static void test_diverged(void **state)
{
	struct rec_header h;
	struct replay *rp;
	struct replay_input in;
	struct facts f;
	char err[512], st[32];
	struct container c = {};

	(void)state;
	snprintf(path, sizeof(path), "%s/r.rec", dir);
	write_recording(path);
	assert_int_equal(replay_open(&rp, path, &h, err, sizeof(err)), 0);
	replay_facts(rp, &f);
	assert_int_equal(replay_next(rp, &in), 1);
	assert_int_equal(f.ops->runtime_state(f.ctx, &c, st, sizeof(st)), -EIO);
	assert_non_null(strstr(replay_error(rp), "line 3: expected the answer to \"state\""));
	/* and the error sticks */
	assert_int_equal(replay_next(rp, &in), -EIO);
	replay_close(rp);

	/* an answer where an input is expected */
	assert_int_equal(replay_open(&rp, path, &h, err, sizeof(err)), 0);
	assert_int_equal(replay_next(rp, &in), 1);
	assert_int_equal(replay_next(rp, &in), -EIO);
	assert_non_null(strstr(replay_error(rp), "line 3: an answer nobody asked for"));
	replay_close(rp);
}

static void write_file(const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void expect_refused(const char *text, int want, const char *reason)
{
	struct rec_header h;
	struct replay *rp = (struct replay *)1;
	char err[512];

	write_file(text);
	assert_int_equal(replay_open(&rp, path, &h, err, sizeof(err)), want);
	assert_null(rp);
	if (!strstr(err, reason))
		fail_msg("reason '%s' not in '%s'", reason, err);
}

static void test_refused(void **state)
{
	struct rec_header h;
	struct replay *rp;
	char err[512];
	char line[1024];

	(void)state;
	snprintf(path, sizeof(path), "%s/bad.rec", dir);
	expect_refused("", -EINVAL, "it is empty");
	expect_refused("{\"schema\":1,\"type\":\"alert\"}\n", -EINVAL, "no header line");
	expect_refused("not json\n", -EINVAL, "line 1: not a JSON object");
	snprintf(line, sizeof(line),
		 "{\"r\":\"header\",\"format\":2,\"version\":\"7.0\",\"event_abi\":%d}\n",
		 ST_EVENT_ABI);
	expect_refused(line, -EPROTO, "recorded by stoptrace 7.0 in format 2");
	snprintf(line, sizeof(line),
		 "{\"r\":\"header\",\"format\":%d,\"version\":\"7.0\",\"event_abi\":%d}\n",
		 RECORDING_FORMAT, ST_EVENT_ABI + 1);
	expect_refused(line, -EPROTO, "event ABI");
	snprintf(line, sizeof(line), "{\"r\":\"header\",\"format\":%d,\"event_abi\":%d}\n",
		 RECORDING_FORMAT, ST_EVENT_ABI);
	expect_refused(line, -EINVAL, "header line is damaged");
	assert_int_equal(replay_open(&rp, "/nonexistent/x.rec", &h, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "cannot open '/nonexistent/x.rec'"));
}

/* A recording cut short (the monitor was killed): what precedes the cut replays. */
static void test_cut_short(void **state)
{
	struct rec_header h;
	struct replay *rp;
	struct replay_input in;
	char err[512], text[4096];
	FILE *f;
	size_t n;

	(void)state;
	snprintf(path, sizeof(path), "%s/r.rec", dir);
	write_recording(path);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	/* keep the header and the cgroup line whole, cut the next */
	{
		char *p = strchr(text, '\n');

		assert_non_null(p);
		p = strchr(p + 1, '\n');
		assert_non_null(p);
		p[12] = '\0';
	}
	write_file(text);
	assert_int_equal(replay_open(&rp, path, &h, err, sizeof(err)), 0);
	assert_int_equal(replay_next(rp, &in), 1);
	assert_int_equal(in.kind, REPLAY_CGROUP);
	assert_int_equal(replay_next(rp, &in), -EIO);
	assert_non_null(strstr(replay_error(rp), "line 3: the last line is cut short"));
	replay_close(rp);

	/* an event whose data is not base64 */
	snprintf(text + (strchr(text, '\n') - text) + 1, 200,
		 "{\"r\":\"ev\",\"now\":5,\"data\":\"%%%%\"}\n");
	write_file(text);
	assert_int_equal(replay_open(&rp, path, &h, err, sizeof(err)), 0);
	assert_int_equal(replay_next(rp, &in), -EIO);
	assert_non_null(strstr(replay_error(rp), "line 2: an event whose data is not base64"));
	replay_close(rp);
}

/*
 * An answer whose count exceeds the rows it holds: the rows it never filled
 * are not handed on (the caller would read them as paths), the recording is
 * damaged there.
 */
static void expect_short_answer(const char *fact, const char *reason)
{
	char text[1024], err[512], paths[8][STORAGE_PATH_LEN];
	struct rec_header h;
	struct replay *rp;
	struct facts f;
	struct container c = {};
	struct holder holders[8];
	struct culprit culprits[8];
	uint32_t cut = 0;
	int ret = 0;

	snprintf(text, sizeof(text),
		 "{\"r\":\"header\",\"format\":%d,\"version\":\"0.1.0\",\"event_abi\":%d,"
		 "\"host\":\"h\",\"kernel\":\"k\",\"boot_to_real_ns\":0,\"alert_prefix\":1,"
		 "\"start_ns\":1,\"stop_alert_after_s\":30,\"teardown_timeout_s\":3,"
		 "\"mem_hierarchy\":0}\n%s\n",
		 RECORDING_FORMAT, ST_EVENT_ABI, fact);
	write_file(text);
	assert_int_equal(replay_open(&rp, path, &h, err, sizeof(err)), 0);
	replay_facts(rp, &f);
	if (strstr(fact, "\"paths\""))
		ret = f.ops->storage_paths(f.ctx, &c, paths, 8);
	else if (strstr(fact, "\"holders\""))
		ret = f.ops->holders(f.ctx, 1, "/x", NULL, holders, 8, &cut);
	else
		ret = f.ops->culprits(f.ctx, 1, 0, NULL, culprits, 2);
	assert_int_equal(ret, -EIO);
	if (!strstr(replay_error(rp), reason))
		fail_msg("reason '%s' not in '%s'", reason, replay_error(rp));
	replay_close(rp);
}

static void test_answer_counts_more_rows(void **state)
{
	(void)state;
	snprintf(path, sizeof(path), "%s/short.rec", dir);
	expect_short_answer("{\"r\":\"fact\",\"f\":\"paths\",\"ret\":8,\"id\":\"abc\","
			    "\"paths\":[{\"p\":\"/var/lib/docker/overlay2/abc\"}]}",
			    "line 2: an answer that counts more paths than it holds");
	expect_short_answer("{\"r\":\"fact\",\"f\":\"holders\",\"ret\":3,\"holders\":[]}",
			    "line 2: an answer that counts more holders than it holds");
	/* culprits may count more than max (only max filled), not more than the rows */
	expect_short_answer("{\"r\":\"fact\",\"f\":\"culprits\",\"ret\":40,\"culprits\":[]}",
			    "line 2: an answer that counts more culprits than it holds");
}

/* Lines longer than the reader's first buffer are read whole; past the format's limit, refused. */
static void test_long_lines(void **state)
{
	static const size_t sizes[] = {64 * 1024 - 200, 64 * 1024 + 5, 300 * 1024,
				       RECORDING_LINE_MAX + 10};
	char *text = malloc(RECORDING_LINE_MAX + 1024), err[512];
	struct rec_header h;
	struct replay *rp;

	(void)state;
	assert_non_null(text);
	snprintf(path, sizeof(path), "%s/long.rec", dir);
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		int n = snprintf(text, 1024,
				 "{\"r\":\"header\",\"format\":%d,\"version\":\"0.1.0\","
				 "\"event_abi\":%d,\"host\":\"h\",\"kernel\":\"k\","
				 "\"boot_to_real_ns\":0,\"alert_prefix\":1,\"start_ns\":1,"
				 "\"stop_alert_after_s\":30,\"teardown_timeout_s\":3,"
				 "\"mem_hierarchy\":0,\"pad\":\"",
				 RECORDING_FORMAT, ST_EVENT_ABI);

		memset(text + n, 'x', sizes[i]);
		strcpy(text + n + sizes[i], "\"}\n");
		write_file(text);
		if (n + sizes[i] + 3 < RECORDING_LINE_MAX) {
			assert_int_equal(replay_open(&rp, path, &h, err, sizeof(err)), 0);
			assert_string_equal(h.host, "h");
			replay_close(rp);
		} else {
			assert_int_equal(replay_open(&rp, path, &h, err, sizeof(err)), -EINVAL);
			if (!strstr(err, "a line longer than the format allows"))
				fail_msg("'%s'", err);
		}
	}
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64_vectors),
		cmocka_unit_test(test_b64_binary_and_errors),
		cmocka_unit_test_setup_teardown(test_roundtrip_plain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_roundtrip_gzip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_diverged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cut_short, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answer_counts_more_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_lines, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
