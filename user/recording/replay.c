// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Recordings read back, for `stoptrace replay`: each line parsed and checked,
 * for a recording may be damaged or written by someone else. The format is
 * described in recording.c and docs/recording.md.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "lib/jsonr.h"
#include "identity/runtimes.h"
#include "recording/recording.h"
#include "recording/recording_int.h"
#include <linux/types.h>
#include "stoptrace_event.h"

struct replay {
	gzFile gz;
	char *line;
	size_t line_cap; /* grows up to RECORDING_LINE_MAX as long lines come */
	size_t len;
	uint64_t lineno;
	char err[256];
	struct jsonr_val root;
	unsigned char *data;
	char path[4096];
	char path2[4096];
	bool held; /* the line in line is read but not taken yet (peek_fact) */
	struct running_sample *running;
};

/* ---- strings and numbers ---- */

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* A string member, or its hex form; absent is "". Returns 0 or -EINVAL. */
static int get_str(const struct jsonr_val *obj, const char *key, char *dst, size_t cap)
{
	struct jsonr_val v;
	char hkey[64], hex[2 * 4096 + 1];
	size_t n;

	dst[0] = '\0';
	if (!jsonr_get(obj, key, &v))
		return jsonr_string(&v, dst, cap) == -EINVAL ? -EINVAL : 0;
	snprintf(hkey, sizeof(hkey), "%s~hex", key);
	if (jsonr_get(obj, hkey, &v))
		return 0;
	if (jsonr_string(&v, hex, sizeof(hex)))
		return -EINVAL;
	n = strlen(hex);
	if (n % 2 || n / 2 >= cap)
		return -EINVAL;
	for (size_t i = 0; i < n; i += 2) {
		int hi = hex_digit(hex[i]), lo = hex_digit(hex[i + 1]);

		if (hi < 0 || lo < 0 || (!hi && !lo))
			return -EINVAL;
		dst[i / 2] = (char)(hi << 4 | lo);
	}
	dst[n / 2] = '\0';
	return 0;
}

static int get_i64(const struct jsonr_val *obj, const char *key, int64_t *out)
{
	struct jsonr_val v;
	char num[32], *end;

	*out = 0;
	if (jsonr_get(obj, key, &v) || v.type != JSONR_NUMBER || v.len >= sizeof(num))
		return -EINVAL;
	memcpy(num, v.p, v.len);
	num[v.len] = '\0';
	errno = 0;
	*out = strtoll(num, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

static int get_u64(const struct jsonr_val *obj, const char *key, uint64_t *out)
{
	struct jsonr_val v;
	char num[32], *end;

	*out = 0;
	if (jsonr_get(obj, key, &v) || v.type != JSONR_NUMBER || v.len >= sizeof(num) ||
	    v.p[0] == '-')
		return -EINVAL;
	memcpy(num, v.p, v.len);
	num[v.len] = '\0';
	errno = 0;
	*out = strtoull(num, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

static int get_int(const struct jsonr_val *obj, const char *key, int *out)
{
	int64_t v;
	int err = get_i64(obj, key, &v);

	*out = (int)v;
	return err || v < INT32_MIN || v > INT32_MAX ? -EINVAL : 0;
}

static bool get_bool(const struct jsonr_val *obj, const char *key)
{
	struct jsonr_val v;

	return !jsonr_get(obj, key, &v) && v.type == JSONR_TRUE;
}

/* ---- containers, culprits, holders ---- */

static int get_container(const struct jsonr_val *obj, const char *key, struct container *c)
{
	struct jsonr_val v, alt;
	int rt = 0, err = 0;
	uint64_t tries = 0;

	memset(c, 0, sizeof(*c));
	if (jsonr_get(obj, key, &v) || v.type != JSONR_OBJECT)
		return -EINVAL;
	err |= get_int(&v, "runtime", &rt);
	c->runtime = (enum runtime)rt;
	err |= get_str(&v, "id", c->id, sizeof(c->id));
	err |= get_str(&v, "name", c->name, sizeof(c->name));
	err |= get_str(&v, "cgroup", c->cgroup, sizeof(c->cgroup));
	err |= get_int(&v, "stop_signal", &c->stop_signal);
	if (!jsonr_get(&v, "stop_signal_if_blocked", &alt))
		err |= get_int(&v, "stop_signal_if_blocked", &c->stop_signal_if_blocked);
	err |= get_str(&v, "restart_policy", c->restart_policy, sizeof(c->restart_policy));
	err |= get_str(&v, "pod_namespace", c->pod_namespace, sizeof(c->pod_namespace));
	err |= get_str(&v, "pod_name", c->pod_name, sizeof(c->pod_name));
	err |= get_str(&v, "pod_uid", c->pod_uid, sizeof(c->pod_uid));
	err |= get_u64(&v, "meta_tries", &tries);
	c->meta_tries = (unsigned int)tries;
	return err ? -EINVAL : 0;
}

static int get_culprit(const struct jsonr_val *v, struct culprit *c)
{
	char state[8];
	uint64_t pid = 0, ns_pid = 0;
	int err = 0;

	memset(c, 0, sizeof(*c));
	err |= get_u64(v, "pid", &pid);
	err |= get_u64(v, "ns_pid", &ns_pid);
	c->pid = (uint32_t)pid;
	c->ns_pid = (uint32_t)ns_pid;
	err |= get_str(v, "comm", c->comm, sizeof(c->comm));
	err |= get_str(v, "state", state, sizeof(state));
	c->state = state[0];
	err |= get_str(v, "wchan", c->wchan, sizeof(c->wchan));
	err |= get_str(v, "stack", c->stack, sizeof(c->stack));
	c->in_container = get_bool(v, "in_container");
	if (c->in_container)
		err |= get_container(v, "container", &c->container);
	c->frozen = get_bool(v, "frozen");
	err |= get_str(v, "frozen_how", c->frozen_how, sizeof(c->frozen_how));
	return err ? -EINVAL : 0;
}

static int get_holder(const struct jsonr_val *v, struct holder *h)
{
	uint64_t pid = 0;
	int err = 0;

	memset(h, 0, sizeof(*h));
	err |= get_str(v, "kind", h->kind, sizeof(h->kind));
	err |= get_str(v, "mount_point", h->mount_point, sizeof(h->mount_point));
	err |= get_str(v, "source", h->source, sizeof(h->source));
	err |= get_str(v, "fstype", h->fstype, sizeof(h->fstype));
	err |= get_u64(v, "mount_namespace", &h->mount_namespace);
	err |= get_u64(v, "pid", &pid);
	h->pid = (uint32_t)pid;
	err |= get_str(v, "comm", h->comm, sizeof(h->comm));
	h->in_container = get_bool(v, "in_container");
	if (h->in_container)
		err |= get_container(v, "container", &h->container);
	return err ? -EINVAL : 0;
}

/* ---- reading ---- */

static int damaged(struct replay *rp, const char *why)
{
	if (!rp->err[0])
		snprintf(rp->err, sizeof(rp->err), "line %" PRIu64 ": %s", rp->lineno, why);
	return -EIO;
}

/* Read the next line into rp->root. 1, 0 at the end, -EIO. */
static int read_line(struct replay *rp)
{
	size_t n;

	if (rp->err[0])
		return -EIO;
	if (rp->held) {
		rp->held = false;
		return 1;
	}
	if (!gzgets(rp->gz, rp->line, (int)rp->line_cap)) {
		int e;

		gzerror(rp->gz, &e);
		if (e != Z_OK && e != Z_BUF_ERROR)
			return damaged(rp, "unreadable (a damaged gzip stream?)");
		return 0;
	}
	rp->lineno++;
	n = strlen(rp->line);
	/* a line longer than the buffer: grow it (lines are short but for a few) */
	while (n == rp->line_cap - 1 && rp->line[n - 1] != '\n' &&
	       rp->line_cap < RECORDING_LINE_MAX) {
		size_t cap = 2 * rp->line_cap < RECORDING_LINE_MAX ? 2 * rp->line_cap
								   : RECORDING_LINE_MAX;
		char *line = realloc(rp->line, cap);

		if (!line)
			return damaged(rp, "out of memory for a long line");
		rp->line = line;
		rp->line_cap = cap;
		if (!gzgets(rp->gz, rp->line + n, (int)(cap - n)))
			break;
		n += strlen(rp->line + n);
	}
	if (!n || rp->line[n - 1] != '\n') {
		if (gzeof(rp->gz))
			return damaged(rp, "the last line is cut short (the recording ended "
					   "abruptly)");
		return damaged(rp, "a line longer than the format allows");
	}
	rp->len = n - 1;
	if (jsonr_init(&rp->root, rp->line, rp->len) || rp->root.type != JSONR_OBJECT)
		return damaged(rp, "not a JSON object");
	return 1;
}

static bool is_kind(const struct replay *rp, const char *kind)
{
	struct jsonr_val v;

	return !jsonr_get(&rp->root, "r", &v) && jsonr_string_eq(&v, kind);
}

/* A reader of path, its buffers ready. 0 or -errno, with a reason in err but for -ENOMEM. */
static int replay_file(struct replay **out, const char *path, char *err, size_t errcap)
{
	struct replay *rp;
	int ret;

	rp = calloc(1, sizeof(*rp));
	if (!rp)
		return -ENOMEM;
	rp->line_cap = 64 * 1024;
	rp->line = malloc(rp->line_cap);
	rp->data = malloc(sizeof(struct st_event) + 64);
	rp->running = malloc(sizeof(*rp->running));
	errno = 0;
	rp->gz = rp->line && rp->data && rp->running ? gzopen(path, "rb") : NULL;
	if (!rp->gz) {
		ret = errno ? -errno : -ENOMEM;
		snprintf(err, errcap, "cannot open '%s': %s", path, strerror(-ret));
		replay_close(rp);
		return ret;
	}
	*out = rp;
	return 0;
}

/* Who wrote the header line, in what format: 0, or -EPROTO when this stoptrace can't read it. */
static int header_format(struct replay *rp, const char *path, struct rec_header *h, char *err,
			 size_t errcap)
{
	uint64_t u = 0;

	get_u64(&rp->root, "format", &u);
	h->format = (unsigned int)u;
	get_u64(&rp->root, "event_abi", &u);
	h->event_abi = (unsigned int)u;
	get_str(&rp->root, "version", h->version, sizeof(h->version));
	if (h->format != RECORDING_FORMAT || h->event_abi != ST_EVENT_ABI) {
		snprintf(err, errcap,
			 "'%s' was recorded by stoptrace %s in format %u with event ABI %u; this "
			 "stoptrace reads format %u, event ABI %u",
			 path, h->version, h->format, h->event_abi, RECORDING_FORMAT, ST_EVENT_ABI);
		return -EPROTO;
	}
	return 0;
}

/* The rest of the header line: the host and the engines' configuration. 0 or -EINVAL. */
static int header_config(struct replay *rp, struct rec_header *h)
{
	struct jsonr_val v, roots;
	struct jsonr_iter it;
	uint64_t u = 0;
	int64_t i64 = 0;
	int ret;

	ret = get_str(&rp->root, "host", h->host, sizeof(h->host));
	ret |= get_str(&rp->root, "kernel", h->kernel, sizeof(h->kernel));
	ret |= get_i64(&rp->root, "boot_to_real_ns", &i64);
	h->boot_to_real_ns = i64;
	ret |= get_u64(&rp->root, "alert_prefix", &h->alert_prefix);
	ret |= get_u64(&rp->root, "start_ns", &h->start_ns);
	ret |= get_u64(&rp->root, "stop_alert_after_s", &u);
	h->stop_alert_after_s = (unsigned int)u;
	ret |= get_u64(&rp->root, "teardown_timeout_s", &u);
	h->teardown_timeout_s = (unsigned int)u;
	h->cgroup_v2 = get_bool(&rp->root, "cgroup_v2");
	ret |= get_int(&rp->root, "mem_hierarchy", &h->mem_hierarchy);
	/* absent in early recordings: the default */
	if (!get_u64(&rp->root, "record_max", &u))
		h->record_max = (unsigned int)u;
	/* absent before: each holder scan's answer follows the record that asked */
	h->holders_async = get_bool(&rp->root, "holders_async");
	if (!jsonr_get(&rp->root, "storage_roots", &roots)) {
		jsonr_iter_init(&it, &roots);
		while (h->nstorage_roots < RECORDING_MAX_ROOTS && jsonr_next(&it, &v) == 1)
			if (jsonr_string(&v, h->storage_roots[h->nstorage_roots],
					 sizeof(h->storage_roots[0])) == 0)
				h->nstorage_roots++;
	}
	return ret ? -EINVAL : 0;
}

int replay_open(struct replay **out, const char *path, struct rec_header *h, char *err,
		size_t errcap)
{
	struct replay *rp;
	int ret;

	*out = NULL;
	memset(h, 0, sizeof(*h));
	ret = replay_file(&rp, path, err, errcap);
	if (ret)
		return ret;
	ret = read_line(rp);
	if (ret <= 0 || !is_kind(rp, "header")) {
		snprintf(err, errcap, "'%s' is not a stoptrace recording (%s)", path,
			 ret == 0     ? "it is empty"
			 : rp->err[0] ? rp->err
				      : "no header line");
		ret = -EINVAL;
		goto fail;
	}
	ret = header_format(rp, path, h, err, errcap);
	if (ret)
		goto fail;
	ret = header_config(rp, h);
	if (ret) {
		snprintf(err, errcap, "'%s': the header line is damaged", path);
		goto fail;
	}
	*out = rp;
	return 0;
fail:
	replay_close(rp);
	return ret;
}

void replay_close(struct replay *rp)
{
	if (!rp)
		return;
	if (rp->gz)
		gzclose(rp->gz);
	free(rp->line);
	free(rp->data);
	free(rp->running);
	free(rp);
}

const char *replay_error(const struct replay *rp)
{
	return rp->err;
}

uint64_t replay_line(const struct replay *rp)
{
	return rp->lineno;
}

/* A running line: a sample of a stopping container's processes. 0 or -EIO. */
static int parse_running(struct replay *rp, struct replay_input *in)
{
	struct running_sample *s = rp->running;
	struct jsonr_iter it;
	struct jsonr_val arr, v;
	int err = 0;

	in->kind = REPLAY_RUNNING;
	if (get_str(&rp->root, "id", rp->path, sizeof(rp->path)) ||
	    jsonr_get(&rp->root, "procs", &arr) || arr.type != JSONR_ARRAY)
		return damaged(rp, "a running line without id or procs");
	s->n = 0;
	s->incomplete = get_bool(&rp->root, "incomplete");
	jsonr_iter_init(&it, &arr);
	while (!err && jsonr_next(&it, &v) == 1) {
		struct running_proc *p = &s->procs[s->n];
		uint64_t pid = 0, ns_pid = 0;
		char state[8];

		if (s->n >= RUNNING_MAX)
			return damaged(rp, "a running line with too many processes");
		memset(p, 0, sizeof(*p));
		err |= get_u64(&v, "pid", &pid) | get_u64(&v, "ns_pid", &ns_pid);
		err |= get_str(&v, "state", state, sizeof(state));
		err |= get_str(&v, "comm", p->comm, sizeof(p->comm));
		err |= get_str(&v, "wchan", p->wchan, sizeof(p->wchan));
		p->pid = (uint32_t)pid;
		p->ns_pid = (uint32_t)ns_pid;
		p->state = state[0];
		s->n++;
	}
	if (err)
		return damaged(rp, "a running line with a malformed process");
	in->path = rp->path;
	in->running = s;
	return 0;
}

/* An ev line: a kernel record, in base64. 0 or -EIO. */
static int parse_event(struct replay *rp, struct replay_input *in)
{
	struct jsonr_val v;
	long n;

	in->kind = REPLAY_EVENT;
	if (jsonr_get(&rp->root, "data", &v) || v.type != JSONR_STRING || v.len < 2)
		return damaged(rp, "an event without data");
	n = rec_b64_decode(v.p + 1, v.len - 2, rp->data, sizeof(struct st_event) + 64);
	if (n < 0)
		return damaged(rp, "an event whose data is not base64");
	in->data = rp->data;
	in->len = (size_t)n;
	return 0;
}

/* A step line: learn_all, flush or verify. 0 or -EIO. */
static int parse_step(struct replay *rp, struct replay_input *in)
{
	char step[32];

	if (get_str(&rp->root, "step", step, sizeof(step)))
		return damaged(rp, "a step line without step");
	if (!strcmp(step, "learn_all"))
		in->kind = REPLAY_LEARN_ALL;
	else if (!strcmp(step, "flush"))
		in->kind = REPLAY_FLUSH;
	else if (!strcmp(step, "verify"))
		in->kind = REPLAY_VERIFY;
	else
		return damaged(rp, "an unknown step");
	return 0;
}

/* What an input line is, and what it holds. 0 or -EIO. */
static int parse_input(struct replay *rp, struct replay_input *in)
{
	if (is_kind(rp, "ev"))
		return parse_event(rp, in);
	if (is_kind(rp, "tick")) {
		in->kind = REPLAY_TICK;
	} else if (is_kind(rp, "lost")) {
		in->kind = REPLAY_LOST;
		if (get_u64(&rp->root, "n", &in->n))
			return damaged(rp, "a lost line without n");
	} else if (is_kind(rp, "cgroup")) {
		in->kind = REPLAY_CGROUP;
		if (get_u64(&rp->root, "id", &in->n) ||
		    get_str(&rp->root, "path", rp->path, sizeof(rp->path)))
			return damaged(rp, "a cgroup line without id or path");
		in->path = rp->path;
	} else if (is_kind(rp, "holders_done")) {
		in->kind = REPLAY_HOLDERS_DONE;
		if (get_str(&rp->root, "id", rp->path, sizeof(rp->path)) ||
		    get_str(&rp->root, "path", rp->path2, sizeof(rp->path2)))
			return damaged(rp, "a holders_done line without id or path");
		in->path = rp->path;
		in->path2 = rp->path2;
	} else if (is_kind(rp, "running")) {
		return parse_running(rp, in);
	} else if (is_kind(rp, "learn")) {
		in->kind = REPLAY_LEARN;
		if (get_str(&rp->root, "id", rp->path, sizeof(rp->path)))
			return damaged(rp, "a learn line without id");
		in->path = rp->path;
	} else if (is_kind(rp, "step")) {
		return parse_step(rp, in);
	} else {
		return damaged(rp, "an unknown line kind");
	}
	return 0;
}

int replay_next(struct replay *rp, struct replay_input *in)
{
	int ret;

	memset(in, 0, sizeof(*in));
	ret = read_line(rp);
	if (ret <= 0)
		return ret;
	if (is_kind(rp, "fact"))
		return damaged(rp, "an answer nobody asked for (the recording and this "
				   "stoptrace disagree)");
	if (get_u64(&rp->root, "now", &in->now_ns))
		return damaged(rp, "no \"now\"");
	ret = parse_input(rp, in);
	return ret ? ret : 1;
}

/* The next line must answer question f; returns its "ret" or -EIO. */
static int next_fact(struct replay *rp, const char *f, int *ret)
{
	struct jsonr_val v;
	char why[96];

	if (read_line(rp) != 1)
		return damaged(rp, "the recording ends where an answer was expected");
	if (!is_kind(rp, "fact") || jsonr_get(&rp->root, "f", &v) || !jsonr_string_eq(&v, f)) {
		snprintf(why, sizeof(why),
			 "expected the answer to \"%s\" (the recording and "
			 "this stoptrace disagree)",
			 f);
		return damaged(rp, why);
	}
	if (get_int(&rp->root, "ret", ret))
		return damaged(rp, "an answer without ret");
	return 0;
}

/* The next answer to f, its list under key ready to walk. */
static int next_fact_list(struct replay *rp, const char *f, const char *key, int *ret,
			  struct jsonr_iter *it)
{
	struct jsonr_val arr;

	if (next_fact(rp, f, ret))
		return -EIO;
	if (jsonr_get(&rp->root, key, &arr))
		return damaged(rp, "an answer without its list");
	jsonr_iter_init(it, &arr);
	return 0;
}

static int rp_load_meta(void *ctx, struct container *c)
{
	struct replay *rp = ctx;
	int ret;

	if (next_fact(rp, "meta", &ret))
		return -EIO;
	if (get_container(&rp->root, "c", c))
		return damaged(rp, "a damaged container");
	return ret;
}

static int rp_storage_paths(void *ctx, const struct container *c, char paths[][STORAGE_PATH_LEN],
			    int max)
{
	struct replay *rp = ctx;
	struct jsonr_val v;
	struct jsonr_iter it;
	int ret, i = 0;

	(void)c;
	if (next_fact_list(rp, "paths", "paths", &ret, &it))
		return -EIO;
	while (i < max && jsonr_next(&it, &v) == 1)
		if (get_str(&v, "p", paths[i++], STORAGE_PATH_LEN))
			return damaged(rp, "a damaged path");
	if (ret > i)
		return damaged(rp, "an answer that counts more paths than it holds");
	return ret;
}

static int rp_runtime_state(void *ctx, const struct container *c, char *state, size_t cap)
{
	struct replay *rp = ctx;
	int ret;

	(void)c;
	if (next_fact(rp, "state", &ret))
		return -EIO;
	if (get_str(&rp->root, "state", state, cap))
		return damaged(rp, "a damaged state");
	return ret;
}

static int rp_holders(void *ctx, uint32_t caller_pid, const char *path, struct identity_table *ids,
		      struct holder *out, int max, uint32_t *cut)
{
	struct replay *rp = ctx;
	struct jsonr_val v;
	struct jsonr_iter it;
	uint64_t c = 0;
	int ret, i = 0;

	(void)caller_pid, (void)path, (void)ids;
	if (next_fact_list(rp, "holders", "holders", &ret, &it))
		return -EIO;
	if (get_u64(&rp->root, "cut", &c))
		c = 0;
	if (cut)
		*cut = (uint32_t)c & 0xff; /* HOLDERS_CUT_ALL */
	while (i < max && jsonr_next(&it, &v) == 1)
		if (get_holder(&v, &out[i++]))
			return damaged(rp, "a damaged holder");
	if (ret > i)
		return damaged(rp, "an answer that counts more holders than it holds");
	return ret;
}

static int rp_attributes(void *ctx, const char *path, bool *immutable, bool *append_only)
{
	struct replay *rp = ctx;
	int ret;

	(void)path;
	if (next_fact(rp, "attrs", &ret))
		return -EIO;
	*immutable = get_bool(&rp->root, "immutable");
	*append_only = get_bool(&rp->root, "append_only");
	return ret;
}

static int rp_culprits(void *ctx, uint64_t pidns, uint32_t exclude_pid, struct identity_table *ids,
		       struct culprit *out, int max)
{
	struct replay *rp = ctx;
	struct jsonr_val v;
	struct jsonr_iter it;
	int ret, i = 0;

	(void)pidns, (void)exclude_pid, (void)ids;
	if (next_fact_list(rp, "culprits", "culprits", &ret, &it))
		return -EIO;
	while (i < max && jsonr_next(&it, &v) == 1)
		if (get_culprit(&v, &out[i++]))
			return damaged(rp, "a damaged culprit");
	/* more culprits than max is an answer (only max filled); fewer rows is not */
	if ((ret < max ? ret : max) > i)
		return damaged(rp, "an answer that counts more culprits than it holds");
	return ret;
}

static int rp_docker_ids(void *ctx, facts_id_fn fn, void *arg)
{
	struct replay *rp = ctx;
	struct id_list l = {};
	struct jsonr_val v;
	struct jsonr_iter it;
	char id[ID_LEN];
	int ret;

	if (next_fact_list(rp, "docker_ids", "ids", &ret, &it))
		return -EIO;
	/* the line is overwritten by the answers that follow: copy the ids first */
	while (jsonr_next(&it, &v) == 1) {
		if (get_str(&v, "id", id, sizeof(id)) || rec_collect_id(id, &l)) {
			free(l.ids);
			return damaged(rp, "a damaged id");
		}
	}
	for (int i = 0; i < l.n && !rp->err[0]; i++)
		fn(l.ids[i], arg);
	free(l.ids);
	return rp->err[0] ? -EIO : ret;
}

static int rp_cgroup_exists(void *ctx, const char *path)
{
	struct replay *rp = ctx;
	int ret;

	(void)path;
	if (next_fact(rp, "cgroup_exists", &ret))
		return -EIO;
	return ret;
}

/*
 * The path decides, or the runtime's state did in the live run: then its
 * answer, a "container" fact about this path, is the next line (it is
 * written only then, so any other line is left for the next read).
 */
static int rp_recognize(void *ctx, const char *path, const char *mount_dir, struct cgroup_match *cm)
{
	struct replay *rp = ctx;
	struct jsonr_val v;
	int rt = 0, ret;

	(void)mount_dir;
	if (identity_recognize(NULL, path, cm))
		return 1;
	ret = read_line(rp);
	if (ret != 1)
		return ret < 0 ? ret : 0;
	if (!is_kind(rp, "fact") || jsonr_get(&rp->root, "f", &v) ||
	    !jsonr_string_eq(&v, "container") || jsonr_get(&rp->root, "path", &v) ||
	    !jsonr_string_eq(&v, path)) {
		rp->held = true;
		return 0;
	}
	memset(cm, 0, sizeof(*cm));
	if (get_int(&rp->root, "ret", &ret) || get_int(&rp->root, "runtime", &rt) ||
	    get_str(&rp->root, "id", cm->id, sizeof(cm->id)) ||
	    get_str(&rp->root, "pod_uid", cm->pod_uid, sizeof(cm->pod_uid)) ||
	    get_str(&rp->root, "cgroup", cm->cgroup, sizeof(cm->cgroup)) || ret != 1 ||
	    !runtime_info((enum runtime)rt) || !cm->id[0])
		return damaged(rp, "a damaged container answer");
	cm->runtime = (enum runtime)rt;
	cm->below = get_bool(&rp->root, "below");
	cm->by_state = true;
	return 1;
}

static const struct facts_ops replay_ops = {
	.load_meta = rp_load_meta,
	.storage_paths = rp_storage_paths,
	.runtime_state = rp_runtime_state,
	.holders = rp_holders,
	.attributes = rp_attributes,
	.culprits = rp_culprits,
	.docker_ids = rp_docker_ids,
	.cgroup_exists = rp_cgroup_exists,
	.recognize = rp_recognize,
};

void replay_facts(struct replay *rp, struct facts *out)
{
	out->ops = &replay_ops;
	out->ctx = rp;
}
