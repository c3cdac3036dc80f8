// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Container identity from the runtimes' own metadata: a container's name,
 * stop signal, restart policy and pod, its runtime's view of its state, and
 * finding a container by id, id prefix or name. File contents and directory
 * entries read here belong to the host's tenants: every length is checked
 * and every copy is bounded and NUL-terminated.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/readfile.h"
#include "identity/identity.h"
#include "identity/identity_int.h"
#include "lib/jsonr.h"
#include "lib/names.h"

#define META_MAX  (4u << 20)  /* one container's config file */
#define STORE_MAX (16u << 20) /* podman's list of every container */

/* ---- runtime metadata ---- */

/* root (without trailing slashes) + "/" + the formatted rest. */
static int root_path(char *buf, size_t size, const char *root, const char *fmt, ...)
{
	size_t rl = root ? strlen(root) : 0;
	va_list ap;
	int n;

	while (rl > 0 && root[rl - 1] == '/')
		rl--;
	if (rl + 2 > size)
		return -ENAMETOOLONG;
	memcpy(buf, root, rl);
	buf[rl] = '/';
	va_start(ap, fmt);
	n = vsnprintf(buf + rl + 1, size - rl - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size - rl - 1)
		return -ENAMETOOLONG;
	return 0;
}

/* A stop signal as docker ("SIGQUIT", "3") or an OCI annotation writes it; 0 if unknown. */
static int signal_of(const struct jsonr_val *v)
{
	char text[32];
	int sig;

	if (v->type == JSONR_NUMBER) {
		if (v->len >= sizeof(text))
			return 0;
		memcpy(text, v->p, v->len);
		text[v->len] = '\0';
	} else if (jsonr_string(v, text, sizeof(text))) {
		return 0;
	}
	sig = signal_from_name(text);
	return sig > 0 ? sig : 0;
}

/* Copy string v into dst (size bytes) unless it is empty or unreadable; cut on UTF-8. */
static bool take_string(const struct jsonr_val *v, char *dst, size_t size, bool strip_slash)
{
	char tmp[NAME_LEN + 1];
	const char *s = tmp;
	int err;

	err = jsonr_string(v, tmp, sizeof(tmp));
	if (err && err != -ENOSPC)
		return false;
	/* Docker writes one; a forged config.v2.json may hold more. */
	while (strip_slash && *s == '/')
		s++;
	if (!*s)
		return false;
	if (strlen(s) >= size) {
		size_t n = size - 1;

		/* Do not end inside a UTF-8 sequence. */
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		memcpy(dst, s, n);
		dst[n] = '\0';
	} else {
		strcpy(dst, s);
	}
	return true;
}

/*
 * Open one of docker's per-container JSON files (config.v2.json,
 * hostconfig.json): *buf holds the text doc points into; free it after use.
 */
static int docker_doc(const char *root, const char *id, const char *file, char **buf,
		      struct jsonr_val *doc)
{
	char path[PATH_MAX];
	size_t len;
	int err;

	*buf = NULL;
	if (!identity_is_hex_id(id, strlen(id)))
		return -ENOENT;
	err = root_path(path, sizeof(path), root, "var/lib/docker/containers/%s/%s", id, file);
	if (err)
		return err;
	err = read_file_max(path, META_MAX, buf, &len);
	if (err)
		return err;
	err = jsonr_init(doc, *buf, len);
	if (err) {
		free(*buf);
		*buf = NULL;
	}
	return err;
}

/* docker's config.v2.json: "Name" ("/web-1") and "Config"."StopSignal". */
static int docker_meta(const char *root, const char *id, char *name, size_t name_size,
		       int *stop_signal)
{
	struct jsonr_val doc, v;
	char *buf;
	int err, sig;

	err = docker_doc(root, id, "config.v2.json", &buf, &doc);
	if (err)
		return err;
	if (name && jsonr_get(&doc, "Name", &v) == 0)
		take_string(&v, name, name_size, true);
	if (stop_signal && jsonr_get_path(&doc, &v, "Config", "StopSignal", NULL) == 0) {
		sig = signal_of(&v);
		if (sig > 0)
			*stop_signal = sig;
	}
	free(buf);
	return 0;
}

/* docker's hostconfig.json: "RestartPolicy"."Name" ("" means "no"). */
static int docker_restart_policy(const char *root, const char *id, char *policy, size_t size)
{
	struct jsonr_val doc, v;
	char *buf;
	int err;

	err = docker_doc(root, id, "hostconfig.json", &buf, &doc);
	if (err)
		return err;
	if (jsonr_get_path(&doc, &v, "RestartPolicy", "Name", NULL) == 0 &&
	    !take_string(&v, policy, size, false))
		snprintf(policy, size, "no");
	free(buf);
	return 0;
}

static bool json_true(const struct jsonr_val *doc, const char *state_field)
{
	struct jsonr_val v;

	return jsonr_get_path(doc, &v, "State", state_field, NULL) == 0 && v.len == 4 &&
	       !memcmp(v.p, "true", 4);
}

int identity_runtime_state(const char *root, const struct container *c, char *state, size_t cap)
{
	struct jsonr_val doc;
	char *buf;
	int err;

	if (!cap)
		return -EINVAL;
	state[0] = '\0';
	if (c->runtime != RUNTIME_DOCKER)
		return -EOPNOTSUPP;
	err = docker_doc(root, c->id, "config.v2.json", &buf, &doc);
	if (err)
		return err;
	/*
	 * Docker sets Dead (and RemovalInProgress) before it removes the storage,
	 * so that a daemon restart cannot revive a half-removed container; after
	 * a failed removal only its memory clears RemovalInProgress, the file
	 * keeps both. On disk, dead is all that can be told.
	 */
	if (json_true(&doc, "Dead"))
		snprintf(state, cap, "dead");
	else if (json_true(&doc, "RemovalInProgress"))
		snprintf(state, cap, "removing");
	else if (json_true(&doc, "Running"))
		snprintf(state, cap, "running");
	else
		snprintf(state, cap, "exited");
	free(buf);
	return 0;
}

/*
 * Call fn for each container in podman's store (containers.json: an array of
 * {"id", "names": [...], ...}) until fn returns non-zero. Entries without a
 * 64-hex id are skipped.
 */
static int podman_each(const char *root,
		       int (*fn)(const char *id, const struct jsonr_val *names, void *ctx),
		       void *ctx)
{
	char path[PATH_MAX], id[ID_LEN];
	struct jsonr_val doc, elem, v, names;
	struct jsonr_iter it;
	char *buf = NULL;
	size_t len;
	int err;

	err = root_path(path, sizeof(path), root,
			"var/lib/containers/storage/overlay-containers/containers.json");
	if (err)
		return err;
	err = read_file_max(path, STORE_MAX, &buf, &len);
	if (err)
		return err;
	err = jsonr_init(&doc, buf, len);
	if (err)
		goto cleanup;
	jsonr_iter_init(&it, &doc);
	while (jsonr_next(&it, &elem) > 0) {
		if (jsonr_get(&elem, "id", &v) || jsonr_string(&v, id, sizeof(id)) ||
		    !identity_is_hex_id(id, strlen(id)))
			continue;
		if (jsonr_get(&elem, "names", &names))
			names.type = JSONR_NONE;
		err = fn(id, &names, ctx);
		if (err)
			break;
	}
cleanup:
	free(buf);
	return err;
}

static void first_name(const struct jsonr_val *names, char *dst, size_t size)
{
	struct jsonr_iter it;
	struct jsonr_val v;

	jsonr_iter_init(&it, names);
	if (jsonr_next(&it, &v) > 0)
		take_string(&v, dst, size, false);
}

static int podman_name_of(const char *id, const struct jsonr_val *names, void *ctx)
{
	struct container *c = ctx;

	if (strcmp(id, c->id))
		return 0;
	first_name(names, c->name, sizeof(c->name));
	return 1;
}

/* podman writes the container's stop signal into its OCI spec as an annotation. */
static int podman_stop_signal(const char *root, struct container *c)
{
	char path[PATH_MAX];
	struct jsonr_val doc, v;
	char *buf = NULL;
	size_t len;
	int err, sig;

	err = root_path(path, sizeof(path), root,
			"var/lib/containers/storage/overlay-containers/%s/userdata/config.json",
			c->id);
	if (err)
		return err;
	err = read_file_max(path, META_MAX, &buf, &len);
	if (err)
		return err;
	err = jsonr_init(&doc, buf, len);
	if (!err && jsonr_get_path(&doc, &v, "annotations", "org.opencontainers.image.stopSignal",
				   NULL) == 0) {
		sig = signal_of(&v);
		if (sig > 0)
			c->stop_signal = sig;
	}
	free(buf);
	return err;
}

static int podman_meta(const char *root, struct container *c)
{
	int err, err2;

	if (!identity_is_hex_id(c->id, strlen(c->id)))
		return -ENOENT;
	err = podman_each(root, podman_name_of, c);
	err = err == 1 ? 0 : err ? err : -ENOENT;
	err2 = podman_stop_signal(root, c);
	return err ? err2 : 0;
}

/* The pod uid in a kubelet log link's target: /var/log/pods/<ns>_<pod>_<uid>/<ctr>/N.log */
static void kube_pod_uid(const char *target, const char *ns, const char *pod, char *uid)
{
	const char *end = strrchr(target, '/'), *dir, *u;
	char prefix[2 * NAME_LEN + 3];
	size_t i, n;

	while (end && end > target && end[-1] != '/')
		end--;
	if (!end || end == target)
		return;
	end--; /* at the slash that ends <ns>_<pod>_<uid> */
	for (dir = end; dir > target && dir[-1] != '/'; dir--)
		;
	snprintf(prefix, sizeof(prefix), "%s_%s_", ns, pod);
	n = strlen(prefix);
	if ((size_t)(end - dir) <= n || memcmp(dir, prefix, n))
		return;
	u = dir + n;
	if (end - u > POD_UID_MAX)
		return;
	for (i = 0; u + i < end; i++)
		if (!((u[i] >= '0' && u[i] <= '9') || (u[i] >= 'a' && u[i] <= 'f') || u[i] == '-'))
			return;
	memcpy(uid, u, end - u);
	uid[end - u] = '\0';
}

/* kubelet's var/log/containers/<pod>_<namespace>_<container>-<id>.log. */
static int kube_meta(const char *root, struct container *c)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *name, *u1, *u2;
	struct dirent *e;
	size_t n, stem;
	ssize_t tl;
	DIR *d;
	int err;

	if (!identity_is_hex_id(c->id, strlen(c->id)))
		return -ENOENT;
	err = root_path(path, sizeof(path), root, "var/log/containers");
	if (err)
		return err;
	d = opendir(path);
	if (!d)
		return -errno;
	err = -ENOENT;
	while ((e = readdir(d))) {
		name = e->d_name;
		n = strlen(name);
		if (n < HEX_ID_LEN + 5 + 5)
			continue;
		stem = n - HEX_ID_LEN - 5;
		if (name[stem] != '-' || strcmp(name + n - 4, ".log") ||
		    memcmp(name + stem + 1, c->id, HEX_ID_LEN))
			continue;
		u1 = memchr(name, '_', stem);
		u2 = u1 ? memchr(u1 + 1, '_', stem - (u1 + 1 - name)) : NULL;
		if (!u2 || u1 == name || u2 == u1 + 1 || u2 + 1 == name + stem)
			continue;
		snprintf(c->pod_name, sizeof(c->pod_name), "%.*s", (int)(u1 - name), name);
		snprintf(c->pod_namespace, sizeof(c->pod_namespace), "%.*s", (int)(u2 - u1 - 1),
			 u1 + 1);
		snprintf(c->name, sizeof(c->name), "%.*s", (int)(name + stem - u2 - 1), u2 + 1);
		if (!c->pod_uid[0]) {
			tl = readlinkat(dirfd(d), name, target, sizeof(target) - 1);
			if (tl > 0) {
				target[tl] = '\0';
				kube_pod_uid(target, c->pod_namespace, c->pod_name, c->pod_uid);
			}
		}
		err = 0;
		break;
	}
	closedir(d);
	return err;
}

int identity_load_meta(const char *root, struct container *c)
{
	bool any = false;
	int err, first = -ENOENT;

	if (!c || !c->id[0])
		return -EINVAL;
	if (c->runtime == RUNTIME_DOCKER || c->runtime == RUNTIME_NONE) {
		err = docker_meta(root, c->id, c->name, sizeof(c->name), &c->stop_signal);
		any |= !err;
		if (!err)
			docker_restart_policy(root, c->id, c->restart_policy,
					      sizeof(c->restart_policy));
		if (err && err != -ENOENT && first == -ENOENT)
			first = err;
	}
	if (c->runtime == RUNTIME_PODMAN || c->runtime == RUNTIME_NONE) {
		err = podman_meta(root, c);
		any |= !err;
		if (err && err != -ENOENT && first == -ENOENT)
			first = err;
	}
	if (c->runtime != RUNTIME_LXC && c->runtime != RUNTIME_PODMAN) {
		/* Kubernetes names the container and its pod, whatever the runtime. */
		err = kube_meta(root, c);
		any |= !err;
		if (err && err != -ENOENT && first == -ENOENT)
			first = err;
	}
	return any ? 0 : first;
}

/* ---- finding a container by id, prefix or name ---- */

struct find_state {
	const char *what;      /* as given */
	const char *what_name; /* without one leading slash */
	size_t what_len;
	bool what_hex;
	struct container exact, named, prefixed;
	int n_exact, n_named, n_prefixed;
};

static void consider(struct find_state *st, enum runtime rt, const char *id, const char *name,
		     bool name_hit)
{
	struct container *slot = NULL;

	if (!strcmp(id, st->what)) {
		if (!st->n_exact++)
			slot = &st->exact;
	} else if (name_hit) {
		if (!st->n_named++)
			slot = &st->named;
	} else if (st->what_hex && !strncmp(id, st->what, st->what_len)) {
		if (!st->n_prefixed++)
			slot = &st->prefixed;
	}
	if (!slot)
		return;
	slot->runtime = rt;
	snprintf(slot->id, sizeof(slot->id), "%s", id);
	snprintf(slot->name, sizeof(slot->name), "%s", name);
}

static int find_docker(const char *root, struct find_state *st)
{
	char path[PATH_MAX], name[NAME_LEN];
	struct dirent *e;
	DIR *d;
	int err;

	err = root_path(path, sizeof(path), root, "var/lib/docker/containers");
	if (err)
		return err;
	d = opendir(path);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (!identity_is_hex_id(e->d_name, strlen(e->d_name)))
			continue;
		name[0] = '\0';
		docker_meta(root, e->d_name, name, sizeof(name), NULL);
		consider(st, RUNTIME_DOCKER, e->d_name, name,
			 name[0] && !strcmp(name, st->what_name));
	}
	closedir(d);
	return 0;
}

static int find_podman_one(const char *id, const struct jsonr_val *names, void *ctx)
{
	struct find_state *st = ctx;
	struct jsonr_iter it;
	struct jsonr_val v;
	char name[NAME_LEN] = "";
	bool hit = false;

	first_name(names, name, sizeof(name));
	jsonr_iter_init(&it, names);
	while (!hit && jsonr_next(&it, &v) > 0)
		hit = jsonr_string_eq(&v, st->what_name);
	consider(st, RUNTIME_PODMAN, id, name, hit);
	return 0;
}

int identity_find(const char *root, const char *what, struct container *c)
{
	struct find_state *st;
	const struct container *found = NULL;
	size_t i;
	int err = -ENOENT;

	if (!what || !*what || !c)
		return -EINVAL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->what = what;
	st->what_name = what[0] == '/' ? what + 1 : what;
	st->what_len = strlen(what);
	st->what_hex = st->what_len <= HEX_ID_LEN;
	for (i = 0; i < st->what_len; i++)
		if (!((what[i] >= '0' && what[i] <= '9') || (what[i] >= 'a' && what[i] <= 'f')))
			st->what_hex = false;

	find_docker(root, st);
	podman_each(root, find_podman_one, st);

	/* Docker's order: a full id, then a name, then a unique id prefix. */
	if (st->n_exact)
		found = &st->exact;
	else if (st->n_named == 1)
		found = &st->named;
	else if (st->n_named > 1)
		err = -EEXIST;
	else if (st->n_prefixed == 1)
		found = &st->prefixed;
	else if (st->n_prefixed > 1)
		err = -EEXIST;
	if (found) {
		memset(c, 0, sizeof(*c));
		c->runtime = found->runtime;
		strcpy(c->id, found->id);
		strcpy(c->name, found->name);
		identity_load_meta(root, c);
		err = 0;
	}
	free(st);
	return err;
}
