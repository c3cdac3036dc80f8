// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Ring-buffer records, as the monitor gets them, through the monitor's own
 * event path (monitor_int.h: the steps the replay driver takes): decoding of short,
 * truncated and garbage records, identity, the stop and removal engines and
 * every record they write, in JSON and in text. The system's answers
 * (container names, culprits, holders) carry a string of the input, so
 * hostile names reach every output. Input:
 *
 *   u8 n, n bytes: the hostile string
 *   4 x u64 (LE): the cgroup ids of the containers known at start
 *   then records: u8 step (low 7 bits: clock advance in 100 ms, top bit: a
 *   kernel loss), u16 (LE) length, that many bytes (fewer when cut short)
 *
 * Checked: every JSON line is one strict JSON object of at most RECORD_MAX
 * bytes, text output holds no raw control character, and nothing leaks.
 * Seeds and regression inputs run in both formats, fuzzed inputs in one
 * (fuzz_format()); records with no clock advance between them are one poll
 * round, ticked once, as the monitor does.
 */
#include "fuzz.h"
#include "host/holders.h"
#include "monitor/monitor_int.h"

#define NCONTAINERS 4

static const char *const cgroups[NCONTAINERS] = {
	"/docker/0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d",
	"/system.slice/docker-1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e.scope",
	"/libpod_parent/libpod-2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f",
	("/kubepods.slice/kubepods-pod0a1b2c3d_0000_1111_2222_333344445555.slice/"
	 "cri-containerd-3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a.scope"),
};

/* The hostile string of this input. */
static char hostile[256];

static int stub_load_meta(void *ctx, struct container *c)
{
	(void)ctx;
	snprintf(c->name, sizeof(c->name), "%s", hostile);
	c->stop_signal = hostile[0] ? (unsigned char)hostile[0] % 65 : 0;
	snprintf(c->restart_policy, sizeof(c->restart_policy), "%s",
		 hostile[0] & 1 ? "always" : hostile);
	if (c->runtime == RUNTIME_CONTAINERD) {
		snprintf(c->pod_namespace, sizeof(c->pod_namespace), "%s", hostile);
		snprintf(c->pod_name, sizeof(c->pod_name), "%s", hostile);
	}
	return 0;
}

static int stub_storage_paths(void *ctx, const struct container *c, char paths[][STORAGE_PATH_LEN],
			      int max)
{
	(void)ctx;
	if (max < 2)
		return 0;
	snprintf(paths[0], STORAGE_PATH_LEN, "/var/lib/docker/overlay2/%s", c->id);
	snprintf(paths[1], STORAGE_PATH_LEN, "/var/lib/docker/containers/%s", c->id);
	return 2;
}

static int stub_runtime_state(void *ctx, const struct container *c, char *state, size_t cap)
{
	(void)ctx, (void)c;
	snprintf(state, cap, "%s", hostile[1] & 1 ? "dead" : hostile);
	return 0;
}

static int stub_holders(void *ctx, uint32_t caller_pid, const char *path,
			struct identity_table *ids, struct holder *out, int max, uint32_t *cut)
{
	(void)ctx, (void)ids;
	/* a scan that was cut, for some inputs: the alert's holders_incomplete */
	if (cut)
		*cut = (unsigned char)hostile[0] & HOLDERS_CUT_ALL;
	if (max < 1)
		return 0;
	memset(out, 0, sizeof(*out));
	snprintf(out->kind, sizeof(out->kind), "mount");
	snprintf(out->mount_point, sizeof(out->mount_point), "%s/%s", path, hostile);
	snprintf(out->source, sizeof(out->source), "%s", hostile);
	snprintf(out->fstype, sizeof(out->fstype), "%s", hostile);
	snprintf(out->comm, sizeof(out->comm), "%s", hostile);
	out->pid = caller_pid + 1;
	out->mount_namespace = 4026531840ULL;
	return 1;
}

static int stub_attributes(void *ctx, const char *path, bool *immutable, bool *append_only)
{
	(void)ctx, (void)path;
	*immutable = hostile[2] & 1;
	*append_only = hostile[2] & 2;
	return 0;
}

static int stub_culprits(void *ctx, uint64_t pidns, uint32_t exclude_pid,
			 struct identity_table *ids, struct culprit *out, int max)
{
	(void)ctx, (void)pidns, (void)ids;
	if (max < 1)
		return 0;
	memset(out, 0, sizeof(*out));
	out->pid = exclude_pid + 7;
	out->ns_pid = 7;
	snprintf(out->comm, sizeof(out->comm), "%s", hostile);
	out->state = hostile[0] ? hostile[0] : 'D';
	snprintf(out->wchan, sizeof(out->wchan), "%s", hostile);
	snprintf(out->stack, sizeof(out->stack), "%s", hostile);
	out->in_container = true;
	out->container.runtime = RUNTIME_DOCKER;
	snprintf(out->container.id, sizeof(out->container.id), "%s", cgroups[0] + 8);
	snprintf(out->container.name, sizeof(out->container.name), "%s", hostile);
	out->frozen = true;
	snprintf(out->frozen_how, sizeof(out->frozen_how), "%s", hostile);
	return 1 + (hostile[3] & 3);
}

static int stub_docker_ids(void *ctx, facts_id_fn fn, void *arg)
{
	(void)ctx;
	fn(cgroups[0] + 8, arg);
	return 0;
}

/* The look after lost records: a cgroup there or gone, as the input says. */
static int stub_cgroup_exists(void *ctx, const char *path)
{
	(void)ctx;
	return (hostile[1] ^ (unsigned char)path[strlen(path) / 2]) & 1;
}

static const struct facts_ops stub_ops = {
	.load_meta = stub_load_meta,
	.storage_paths = stub_storage_paths,
	.runtime_state = stub_runtime_state,
	.holders = stub_holders,
	.attributes = stub_attributes,
	.culprits = stub_culprits,
	.docker_ids = stub_docker_ids,
	.cgroup_exists = stub_cgroup_exists,
};

static void run(const uint8_t *data, size_t size, enum out_format format, int fd)
{
	struct monitor_opts opts = {.format = format, .events = true};
	struct monitor *m = calloc(1, sizeof(*m));
	const uint8_t *p = data, *end = data + size;
	size_t len;
	char *out;

	if (!m)
		return;
	m->opts = &opts;
	m->replaying = true; /* records are written in place, by this thread */
	m->out = (struct output){.fd = fd, .next_fd = -1, .format = format};
	snprintf(m->host, sizeof(m->host), "%s", hostile);
	m->rc.boot_to_real_ns = 1795757604424944013LL;
	m->report.alert_prefix = 1795761697;
	snprintf(m->cg2_dir, sizeof(m->cg2_dir), "/");
	m->v1_hierarchy = 4;
	m->now = 4093018469452ULL;
	m->json_cap = sizeof(m->json);
	m->facts = (struct facts){.ops = &stub_ops};
	if (setup_engines(m, 30, 3, m->now))
		goto cleanup;
	for (int i = 0; i < NCONTAINERS; i++) {
		uint64_t id = 0;

		if (end - p >= 8)
			memcpy(&id, p, 8), p += 8;
		track_cgroup(m, id ? id : 100 + (uint64_t)i, cgroups[i], NULL);
	}
	if (hostile[0] & 2)
		storage_watch_learn_all(m->sw);
	while (end - p >= 3) {
		uint8_t step = p[0];
		size_t n = (size_t)p[1] | (size_t)p[2] << 8;
		/* an aligned copy of exactly the record's bytes, as the ring buffer gives */
		void *rec;

		p += 3;
		if (n > (size_t)(end - p))
			n = (size_t)(end - p);
		rec = malloc(n ? n : 1);
		if (!rec)
			break;
		memcpy(rec, p, n);
		p += n;
		m->now += (uint64_t)(step & 0x7f) * 100000000ULL;
		if (step & 0x80)
			events_lost(m, 1);
		process_event(m, rec, n);
		free(rec);
		/* records that come at the same time are one poll round: one tick after them */
		if (p + 3 <= end && !(p[0] & 0x7f))
			continue;
		if (m->verify)
			verify_cgroups(m);
		step_tick(m);
	}
	m->now += 60 * 1000000000ULL;
	step_tick(m);
	step_flush(m);
	teardown_engines(m);
cleanup:
	free(m);
	out = fuzz_take(fd, &len);
	fuzz_check_records(out, len, format == OUT_JSON, RECORD_MAX);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	char path[64];
	size_t n;

	if (fd < 0)
		fd = fuzz_memfd(path, sizeof(path));
	if (size < 1)
		return 0;
	n = data[0] < size - 1 ? data[0] : size - 1;
	memcpy(hostile, data + 1, n);
	hostile[n] = '\0';
	if (fuzz_format(size, true))
		run(data + 1 + n, size - 1 - n, OUT_JSON, fd);
	if (fuzz_format(size, false))
		run(data + 1 + n, size - 1 - n, OUT_TEXT, fd);
	return 0;
}
