// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Recordings: their format, and their writer (`--record`); replay.c reads
 * them back. One JSON object a line; "r" names the line:
 *   header  (first line) the engines' configuration and the clock's origin
 *   ev      a kernel record, base64, with the monotonic time it was read
 *   tick    the monitor's periodic step
 *   lost    kernel records lost since the last such line
 *   cgroup  a container cgroup found by the scan at start
 *   learn   a container's storage learnt when its runtime wrote its state
 *   step    learn_all or flush
 *   running a sample of the processes of a stopping container
 *   fact    an answer of the system: "f" names the question
 * Strings are JSON strings when they are well-formed UTF-8; any other text
 * (container names are hostile) is written in hex under "<key>~hex", so
 * every byte comes back as it was.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "lib/jsonw.h"
#include "recording/recording.h"
#include "recording/recording_int.h"
#include "lib/safefile.h"
#include <linux/types.h>
#include "stoptrace_event.h"

struct recorder {
	gzFile gz;
	char *line;
	uint64_t errors;
	int first_err;
	struct facts inner;
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

/* ---- containers, culprits, holders ---- */

static void put_container(struct jsonw *w, const char *key, const struct container *c)
{
	jsonw_obj_key(w, key);
	jsonw_int(w, "runtime", c->runtime);
	put_str(w, "id", c->id);
	put_str(w, "name", c->name);
	put_str(w, "cgroup", c->cgroup);
	jsonw_int(w, "stop_signal", c->stop_signal);
	if (c->stop_signal_if_blocked) /* only LXC's: absent from other recordings */
		jsonw_int(w, "stop_signal_if_blocked", c->stop_signal_if_blocked);
	put_str(w, "restart_policy", c->restart_policy);
	put_str(w, "pod_namespace", c->pod_namespace);
	put_str(w, "pod_name", c->pod_name);
	put_str(w, "pod_uid", c->pod_uid);
	jsonw_uint(w, "meta_tries", c->meta_tries);
	jsonw_obj_close(w);
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

static void put_holder(struct jsonw *w, const struct holder *h)
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

/* The first line: what the replay needs to configure the engines as they were. */
static void write_header(struct recorder *r, const struct rec_header *h)
{
	struct jsonw w;

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
}

int recorder_open(struct recorder **out, const char *path, const struct rec_header *h)
{
	size_t n = strlen(path);
	bool gz = n > 3 && !strcmp(path + n - 3, ".gz");
	char why[SAFEFILE_WHY_MAX];
	struct recorder *r;
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
	fd = safefile_open_recording(path, why, sizeof(why));
	r->gz = fd < 0 ? NULL : gzdopen(fd, gz ? "wb6" : "wbT");
	if (!r->gz) {
		int err = fd < 0 ? fd : -ENOMEM;

		if (fd >= 0)
			close(fd);
		free(r->line);
		free(r);
		return err;
	}
	write_header(r, h);
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

void recorder_running(struct recorder *r, uint64_t now_ns, const char *id,
		      const struct running_sample *s)
{
	struct jsonw w;

	if (!r)
		return;
	line_begin(r, &w, "running");
	jsonw_uint(&w, "now", now_ns);
	put_str(&w, "id", id);
	jsonw_bool(&w, "incomplete", s->incomplete);
	jsonw_arr_key(&w, "procs");
	for (uint32_t i = 0; i < s->n && i < RUNNING_MAX; i++) {
		const struct running_proc *p = &s->procs[i];
		char state[2] = {p->state, '\0'};

		jsonw_obj_open(&w);
		jsonw_uint(&w, "pid", p->pid);
		jsonw_uint(&w, "ns_pid", p->ns_pid);
		put_str(&w, "state", state);
		put_str(&w, "comm", p->comm);
		put_str(&w, "wchan", p->wchan);
		jsonw_obj_close(&w);
	}
	jsonw_arr_close(&w);
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
		       struct holder *out, int max, uint32_t *cut)
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

int rec_collect_id(const char *id, void *arg)
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

	ret = r->inner.ops->docker_ids(r->inner.ctx, rec_collect_id, &l);
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

/* Only an answer the runtime's state gave is kept: the path tells a replay the others. */
static int rec_recognize(void *ctx, const char *path, const char *mount_dir,
			 struct cgroup_match *cm)
{
	struct recorder *r = ctx;
	int ret = r->inner.ops->recognize
			  ? r->inner.ops->recognize(r->inner.ctx, path, mount_dir, cm)
			  : identity_recognize(NULL, path, cm);
	struct jsonw w;

	if (ret != 1 || !cm->by_state)
		return ret;
	fact_begin(r, &w, "container", ret);
	put_str(&w, "path", path);
	jsonw_int(&w, "runtime", cm->runtime);
	put_str(&w, "id", cm->id);
	put_str(&w, "pod_uid", cm->pod_uid);
	put_str(&w, "cgroup", cm->cgroup);
	jsonw_bool(&w, "below", cm->below);
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
	.recognize = rec_recognize,
};

void recorder_facts(struct recorder *r, const struct facts *inner, struct facts *out)
{
	r->inner = *inner;
	out->ops = &recording_ops;
	out->ctx = r;
}
