// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Recordings, written and read. One JSON object a line; "r" names the line:
 *   header  (first line) the engines' configuration and the clock's origin
 *   ev      a kernel record, base64, with the monotonic time it was read
 *   tick    the monitor's periodic step
 *   lost    kernel records lost since the last such line
 *   cgroup  a container cgroup found by the scan at start
 *   learn   a container's storage learnt when its runtime wrote its state
 *   step    learn_all or flush
 *   fact    an answer of the system: "f" names the question
 * Strings are JSON strings when they are well-formed UTF-8; any other text
 * (container names are hostile) is written in hex under "<key>~hex", so
 * every byte comes back as it was.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "lib/jsonr.h"
#include "lib/jsonw.h"
#include "recording/recording.h"
#include "lib/safefile.h"
#include "stoptrace_event.h"

struct recorder {
	gzFile gz;
	char *line;
	uint64_t errors;
	int first_err;
	struct facts inner;
};

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
};

/* ---- base64 ---- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t rec_b64_encode(const void *data, size_t n, char *out, size_t cap)
{
	const unsigned char *p = data;
	size_t o = 0;

	if (cap < 4 * ((n + 2) / 3) + 1) {
		if (cap)
			out[0] = '\0';
		return 0;
	}
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		out[o++] = b64[(v >> 18) & 63];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? b64[v & 63] : '=';
	}
	out[o] = '\0';
	return o;
}

static int b64_value(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;

	return p ? (int)(p - b64) : -1;
}

long rec_b64_decode(const char *s, size_t n, void *out, size_t cap)
{
	unsigned char *o = out;
	size_t len = 0;

	if (n % 4)
		return -EINVAL;
	for (size_t i = 0; i < n; i += 4) {
		int v[4], pad = 0;

		for (int k = 0; k < 4; k++) {
			if (s[i + k] == '=' && i + 4 == n && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			if (pad)
				return -EINVAL;
			v[k] = b64_value(s[i + k]);
			if (v[k] < 0)
				return -EINVAL;
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
			     (uint32_t)v[3];
		unsigned char bytes[3] = {w >> 16, (w >> 8) & 0xff, w & 0xff};

		if (len + 3 - pad > cap)
			return -EINVAL;
		memcpy(o + len, bytes, 3 - pad);
		len += 3 - pad;
	}
	return (long)len;
}

/* ---- strings and numbers ---- */

static void put_str(struct jsonw *w, const char *key, const char *s)
{
	char hkey[64], *hex;
	size_t n = strlen(s);

	if (utf8_valid(s, n)) {
		jsonw_str(w, key, s);
		return;
	}
	hex = malloc(2 * n + 1);
	if (!hex) {
		w->overflow = true;
		return;
	}
	for (size_t i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", (unsigned char)s[i]);
	snprintf(hkey, sizeof(hkey), "%s~hex", key);
	jsonw_str(w, hkey, hex);
	free(hex);
}

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

static void put_container(struct jsonw *w, const char *key, const struct container *c)
{
	jsonw_obj_key(w, key);
	jsonw_int(w, "runtime", c->runtime);
	put_str(w, "id", c->id);
	put_str(w, "name", c->name);
	put_str(w, "cgroup", c->cgroup);
	jsonw_int(w, "stop_signal", c->stop_signal);
	put_str(w, "restart_policy", c->restart_policy);
	put_str(w, "pod_namespace", c->pod_namespace);
	put_str(w, "pod_name", c->pod_name);
	put_str(w, "pod_uid", c->pod_uid);
	jsonw_uint(w, "meta_tries", c->meta_tries);
	jsonw_obj_close(w);
}

static int get_container(const struct jsonr_val *obj, const char *key, struct container *c)
{
	struct jsonr_val v;
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
	err |= get_str(&v, "restart_policy", c->restart_policy, sizeof(c->restart_policy));
	err |= get_str(&v, "pod_namespace", c->pod_namespace, sizeof(c->pod_namespace));
	err |= get_str(&v, "pod_name", c->pod_name, sizeof(c->pod_name));
	err |= get_str(&v, "pod_uid", c->pod_uid, sizeof(c->pod_uid));
	err |= get_u64(&v, "meta_tries", &tries);
	c->meta_tries = (unsigned int)tries;
	return err ? -EINVAL : 0;
}

static void put_culprit(struct jsonw *w, const struct culprit *c)
{
	char state[2] = {c->state, '\0'};

	jsonw_obj_open(w);
	jsonw_uint(w, "pid", c->pid);
	jsonw_uint(w, "ns_pid", c->ns_pid);
	put_str(w, "comm", c->comm);
	put_str(w, "state", state);
	put_str(w, "wchan", c->wchan);
	put_str(w, "stack", c->stack);
	jsonw_bool(w, "in_container", c->in_container);
	if (c->in_container)
		put_container(w, "container", &c->container);
	jsonw_bool(w, "frozen", c->frozen);
	put_str(w, "frozen_how", c->frozen_how);
	jsonw_obj_close(w);
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

static void put_holder(struct jsonw *w, const struct rm_holder *h)
{
	jsonw_obj_open(w);
	put_str(w, "kind", h->kind);
	put_str(w, "mount_point", h->mount_point);
	put_str(w, "source", h->source);
	put_str(w, "fstype", h->fstype);
	jsonw_uint(w, "mount_namespace", h->mount_namespace);
	jsonw_uint(w, "pid", h->pid);
	put_str(w, "comm", h->comm);
	jsonw_bool(w, "in_container", h->in_container);
	if (h->in_container)
		put_container(w, "container", &h->container);
	jsonw_obj_close(w);
}

static int get_holder(const struct jsonr_val *v, struct rm_holder *h)
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

/* ---- writing ---- */

static void line_begin(struct recorder *r, struct jsonw *w, const char *kind)
{
	jsonw_init(w, r->line, RECORDING_LINE_MAX);
	jsonw_obj_open(w);
	jsonw_str(w, "r", kind);
}

static void line_end(struct recorder *r, struct jsonw *w)
{
	jsonw_obj_close(w);
	if (w->overflow || w->len + 1 >= RECORDING_LINE_MAX) {
		r->errors++;
		if (!r->first_err)
			r->first_err = -E2BIG;
		return;
	}
	r->line[w->len] = '\n';
	if (gzwrite(r->gz, r->line, (unsigned int)w->len + 1) != (int)w->len + 1) {
		int e;

		r->errors++;
		gzerror(r->gz, &e);
		if (!r->first_err)
			r->first_err = e == Z_ERRNO && errno ? -errno : -EIO;
	}
}

int recorder_open(struct recorder **out, const char *path, const struct rec_header *h)
{
	size_t n = strlen(path);
	bool gz = n > 3 && !strcmp(path + n - 3, ".gz");
	char why[SAFEFILE_WHY_MAX];
	struct recorder *r;
	struct jsonw w;
	int fd;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->line = malloc(RECORDING_LINE_MAX);
	if (!r->line) {
		free(r);
		return -ENOMEM;
	}
	/* it holds what the monitor's output holds: as private */
	/* O_NOFOLLOW, a regular file only (user/lib/safefile.h) */
	fd = safefile_open_record(path, why, sizeof(why));
	r->gz = fd < 0 ? NULL : gzdopen(fd, gz ? "wb6" : "wbT");
	if (!r->gz) {
		int err = fd < 0 ? fd : -ENOMEM;

		if (fd >= 0)
			close(fd);
		free(r->line);
		free(r);
		return err;
	}
	line_begin(r, &w, "header");
	jsonw_uint(&w, "format", h->format);
	jsonw_str(&w, "version", h->version);
	jsonw_uint(&w, "event_abi", h->event_abi);
	put_str(&w, "host", h->host);
	put_str(&w, "kernel", h->kernel);
	jsonw_int(&w, "boot_to_real_ns", h->boot_to_real_ns);
	jsonw_uint(&w, "alert_prefix", h->alert_prefix);
	jsonw_uint(&w, "start_ns", h->start_ns);
	jsonw_uint(&w, "stop_alert_after_s", h->stop_alert_after_s);
	jsonw_uint(&w, "teardown_timeout_s", h->teardown_timeout_s);
	jsonw_bool(&w, "cgroup_v2", h->cgroup_v2);
	jsonw_int(&w, "mem_hierarchy", h->mem_hierarchy);
	jsonw_uint(&w, "record_max", h->record_max);
	jsonw_bool(&w, "holders_async", h->holders_async);
	jsonw_arr_key(&w, "storage_roots");
	for (int i = 0; i < h->nstorage_roots && i < RECORDING_MAX_ROOTS; i++)
		jsonw_str(&w, NULL, h->storage_roots[i]);
	jsonw_arr_close(&w);
	line_end(r, &w);
	if (r->first_err) {
		int err = r->first_err;

		recorder_close(r);
		return err;
	}
	*out = r;
	return 0;
}

int recorder_close(struct recorder *r)
{
	int err;

	if (!r)
		return 0;
	err = r->first_err;
	if (gzclose(r->gz) != Z_OK && !err)
		err = -EIO;
	free(r->line);
	free(r);
	return err;
}

uint64_t recorder_errors(const struct recorder *r)
{
	return r ? r->errors : 0;
}

void recorder_event(struct recorder *r, uint64_t now_ns, const void *data, size_t len)
{
	char enc[4 * ((sizeof(struct st_event) + 2) / 3) + 8];
	struct jsonw w;

	if (!r)
		return;
	if (!rec_b64_encode(data, len, enc, sizeof(enc)) && len) {
		r->errors++;
		return;
	}
	line_begin(r, &w, "ev");
	jsonw_uint(&w, "now", now_ns);
	jsonw_str(&w, "data", enc);
	line_end(r, &w);
}

void recorder_tick(struct recorder *r, uint64_t now_ns)
{
	recorder_step(r, "tick", now_ns);
}

void recorder_lost(struct recorder *r, uint64_t now_ns, uint64_t n)
{
	struct jsonw w;

	if (!r)
		return;
	line_begin(r, &w, "lost");
	jsonw_uint(&w, "now", now_ns);
	jsonw_uint(&w, "n", n);
	line_end(r, &w);
}

void recorder_cgroup(struct recorder *r, uint64_t now_ns, uint64_t id, const char *path)
{
	struct jsonw w;

	if (!r)
		return;
	line_begin(r, &w, "cgroup");
	jsonw_uint(&w, "now", now_ns);
	jsonw_uint(&w, "id", id);
	put_str(&w, "path", path);
	line_end(r, &w);
}

void recorder_learn(struct recorder *r, uint64_t now_ns, const char *id)
{
	struct jsonw w;

	if (!r)
		return;
	line_begin(r, &w, "learn");
	jsonw_uint(&w, "now", now_ns);
	put_str(&w, "id", id);
	line_end(r, &w);
}

void recorder_holders_done(struct recorder *r, uint64_t now_ns, const char *id, const char *path)
{
	struct jsonw w;

	if (!r)
		return;
	line_begin(r, &w, "holders_done");
	jsonw_uint(&w, "now", now_ns);
	put_str(&w, "id", id);
	put_str(&w, "path", path);
	line_end(r, &w);
}

void recorder_step(struct recorder *r, const char *step, uint64_t now_ns)
{
	struct jsonw w;

	if (!r)
		return;
	if (!strcmp(step, "tick")) {
		line_begin(r, &w, "tick");
	} else {
		line_begin(r, &w, "step");
		jsonw_str(&w, "step", step);
	}
	jsonw_uint(&w, "now", now_ns);
	line_end(r, &w);
}

/* The recording facts: ask the inner ones, write the answer. */

static void fact_begin(struct recorder *r, struct jsonw *w, const char *f, int ret)
{
	line_begin(r, w, "fact");
	jsonw_str(w, "f", f);
	jsonw_int(w, "ret", ret);
}

static int rec_load_meta(void *ctx, struct container *c)
{
	struct recorder *r = ctx;
	int ret = r->inner.ops->load_meta(r->inner.ctx, c);
	struct jsonw w;

	fact_begin(r, &w, "meta", ret);
	put_container(&w, "c", c);
	line_end(r, &w);
	return ret;
}

static int rec_storage_paths(void *ctx, const struct container *c, char paths[][STORAGE_PATH_LEN],
			     int max)
{
	struct recorder *r = ctx;
	int ret = r->inner.ops->storage_paths(r->inner.ctx, c, paths, max);
	struct jsonw w;

	fact_begin(r, &w, "paths", ret);
	put_str(&w, "id", c->id);
	jsonw_arr_key(&w, "paths");
	for (int i = 0; i < ret && i < max; i++) {
		jsonw_obj_open(&w);
		put_str(&w, "p", paths[i]);
		jsonw_obj_close(&w);
	}
	jsonw_arr_close(&w);
	line_end(r, &w);
	return ret;
}

static int rec_runtime_state(void *ctx, const struct container *c, char *state, size_t cap)
{
	struct recorder *r = ctx;
	int ret = r->inner.ops->runtime_state(r->inner.ctx, c, state, cap);
	struct jsonw w;

	fact_begin(r, &w, "state", ret);
	put_str(&w, "id", c->id);
	put_str(&w, "state", ret ? "" : state);
	line_end(r, &w);
	return ret;
}

static int rec_holders(void *ctx, uint32_t caller_pid, const char *path, struct identity_table *ids,
		       struct rm_holder *out, int max, uint32_t *cut)
{
	struct recorder *r = ctx;
	int ret = r->inner.ops->holders(r->inner.ctx, caller_pid, path, ids, out, max, cut);
	struct jsonw w;

	fact_begin(r, &w, "holders", ret);
	jsonw_uint(&w, "pid", caller_pid);
	put_str(&w, "path", path);
	if (cut && *cut) /* what the scan did not look at; absent in older recordings */
		jsonw_uint(&w, "cut", *cut);
	jsonw_arr_key(&w, "holders");
	for (int i = 0; i < ret && i < max; i++)
		put_holder(&w, &out[i]);
	jsonw_arr_close(&w);
	line_end(r, &w);
	return ret;
}

static int rec_attributes(void *ctx, const char *path, bool *immutable, bool *append_only)
{
	struct recorder *r = ctx;
	int ret = r->inner.ops->attributes(r->inner.ctx, path, immutable, append_only);
	struct jsonw w;

	fact_begin(r, &w, "attrs", ret);
	put_str(&w, "path", path);
	jsonw_bool(&w, "immutable", !ret && *immutable);
	jsonw_bool(&w, "append_only", !ret && *append_only);
	line_end(r, &w);
	return ret;
}

static int rec_culprits(void *ctx, uint64_t pidns, uint32_t exclude_pid, struct identity_table *ids,
			struct culprit *out, int max)
{
	struct recorder *r = ctx;
	int ret = r->inner.ops->culprits(r->inner.ctx, pidns, exclude_pid, ids, out, max);
	struct jsonw w;

	fact_begin(r, &w, "culprits", ret);
	jsonw_uint(&w, "pidns", pidns);
	jsonw_uint(&w, "exclude", exclude_pid);
	jsonw_arr_key(&w, "culprits");
	for (int i = 0; i < ret && i < max; i++)
		put_culprit(&w, &out[i]);
	jsonw_arr_close(&w);
	line_end(r, &w);
	return ret;
}

struct id_list {
	char (*ids)[ID_LEN];
	int n, cap;
};

static int collect_id(const char *id, void *arg)
{
	struct id_list *l = arg;

	if (l->n == l->cap) {
		int cap = l->cap ? 2 * l->cap : 64;
		void *p = realloc(l->ids, (size_t)cap * sizeof(*l->ids));

		if (!p)
			return -ENOMEM;
		l->ids = p;
		l->cap = cap;
	}
	snprintf(l->ids[l->n++], ID_LEN, "%s", id);
	return 0;
}

/* The whole list is written before any id is used: its answers follow it. */
static int rec_docker_ids(void *ctx, facts_id_fn fn, void *arg)
{
	struct recorder *r = ctx;
	struct id_list l = {};
	struct jsonw w;
	int ret;

	ret = r->inner.ops->docker_ids(r->inner.ctx, collect_id, &l);
	fact_begin(r, &w, "docker_ids", ret);
	jsonw_arr_key(&w, "ids");
	for (int i = 0; i < l.n; i++) {
		jsonw_obj_open(&w);
		put_str(&w, "id", l.ids[i]);
		jsonw_obj_close(&w);
	}
	jsonw_arr_close(&w);
	line_end(r, &w);
	/* as the replay does: every id listed, whatever one of them answers */
	for (int i = 0; i < l.n; i++)
		fn(l.ids[i], arg);
	free(l.ids);
	return ret;
}

static int rec_cgroup_exists(void *ctx, const char *path)
{
	struct recorder *r = ctx;
	int ret = r->inner.ops->cgroup_exists(r->inner.ctx, path);
	struct jsonw w;

	fact_begin(r, &w, "cgroup_exists", ret);
	put_str(&w, "path", path);
	line_end(r, &w);
	return ret;
}

static const struct facts_ops recording_ops = {
	.load_meta = rec_load_meta,
	.storage_paths = rec_storage_paths,
	.runtime_state = rec_runtime_state,
	.holders = rec_holders,
	.attributes = rec_attributes,
	.culprits = rec_culprits,
	.docker_ids = rec_docker_ids,
	.cgroup_exists = rec_cgroup_exists,
};

void recorder_facts(struct recorder *r, const struct facts *inner, struct facts *out)
{
	r->inner = *inner;
	out->ops = &recording_ops;
	out->ctx = r;
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

int replay_open(struct replay **out, const char *path, struct rec_header *h, char *err,
		size_t errcap)
{
	struct replay *rp;
	struct jsonr_val v, roots;
	struct jsonr_iter it;
	uint64_t u = 0;
	int64_t i64 = 0;
	int ret;

	*out = NULL;
	memset(h, 0, sizeof(*h));
	rp = calloc(1, sizeof(*rp));
	if (!rp)
		return -ENOMEM;
	rp->line_cap = 64 * 1024;
	rp->line = malloc(rp->line_cap);
	rp->data = malloc(sizeof(struct st_event) + 64);
	errno = 0;
	rp->gz = rp->line && rp->data ? gzopen(path, "rb") : NULL;
	if (!rp->gz) {
		ret = errno ? -errno : -ENOMEM;
		snprintf(err, errcap, "cannot open '%s': %s", path, strerror(-ret));
		replay_close(rp);
		return ret;
	}
	ret = read_line(rp);
	if (ret <= 0 || !is_kind(rp, "header")) {
		snprintf(err, errcap, "'%s' is not a stoptrace recording (%s)", path,
			 ret == 0     ? "it is empty"
			 : rp->err[0] ? rp->err
				      : "no header line");
		replay_close(rp);
		return -EINVAL;
	}
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
		replay_close(rp);
		return -EPROTO;
	}
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
	if (ret) {
		snprintf(err, errcap, "'%s': the header line is damaged", path);
		replay_close(rp);
		return -EINVAL;
	}
	*out = rp;
	return 0;
}

void replay_close(struct replay *rp)
{
	if (!rp)
		return;
	if (rp->gz)
		gzclose(rp->gz);
	free(rp->line);
	free(rp->data);
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

int replay_next(struct replay *rp, struct replay_input *in)
{
	struct jsonr_val v;
	char step[32];
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
	if (is_kind(rp, "ev")) {
		long n;

		in->kind = REPLAY_EVENT;
		if (jsonr_get(&rp->root, "data", &v) || v.type != JSONR_STRING || v.len < 2)
			return damaged(rp, "an event without data");
		n = rec_b64_decode(v.p + 1, v.len - 2, rp->data, sizeof(struct st_event) + 64);
		if (n < 0)
			return damaged(rp, "an event whose data is not base64");
		in->data = rp->data;
		in->len = (size_t)n;
	} else if (is_kind(rp, "tick")) {
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
	} else if (is_kind(rp, "learn")) {
		in->kind = REPLAY_LEARN;
		if (get_str(&rp->root, "id", rp->path, sizeof(rp->path)))
			return damaged(rp, "a learn line without id");
		in->path = rp->path;
	} else if (is_kind(rp, "step")) {
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
	} else {
		return damaged(rp, "an unknown line kind");
	}
	return 1;
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
		      struct rm_holder *out, int max, uint32_t *cut)
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
		if (get_str(&v, "id", id, sizeof(id)) || collect_id(id, &l)) {
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

static const struct facts_ops replay_ops = {
	.load_meta = rp_load_meta,
	.storage_paths = rp_storage_paths,
	.runtime_state = rp_runtime_state,
	.holders = rp_holders,
	.attributes = rp_attributes,
	.culprits = rp_culprits,
	.docker_ids = rp_docker_ids,
	.cgroup_exists = rp_cgroup_exists,
};

void replay_facts(struct replay *rp, struct facts *out)
{
	out->ops = &replay_ops;
	out->ctx = rp;
}
