// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Podman's metadata, in its container store: the OCI spec of each container
 * (overlay-containers/<id>/userdata/config.json: the stop signal) and the
 * lists of every container with its names, the row's meta_files in that
 * order. containers/storage keeps two lists: overlay-containers/containers.json,
 * and volatile-containers.json (written without fsync) for the containers
 * podman makes volatile (`podman run --rm`, from containers/storage 1.45 on),
 * beside it or, with a transient store, under the run root. What they say
 * belongs to the host's tenants (a container's name is theirs).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity/identity_int.h"
#include "identity/runtimes.h"
#include "lib/array_size.h"

enum { CONFIG = RT_CONFIG, STORE, VOLATILE, VOLATILE_RUN };

typedef int (*store_fn)(const char *id, const struct jsonr_val *names, void *ctx);

/*
 * Call fn for each container of one list (an array of {"id", "names": [...],
 * ...}) until fn returns non-zero. Entries without a 64-hex id are skipped.
 */
static int store_list_each(const char *root, const struct runtime_info *rt, unsigned int file,
			   store_fn fn, void *ctx)
{
	char id[ID_LEN];
	struct jsonr_val doc, elem, v, names;
	struct jsonr_iter it;
	char *buf;
	int err;

	err = meta_open(root, rt, file, NULL, STORE_MAX, &buf, &doc);
	if (err)
		return err;
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
	free(buf);
	return err;
}

/*
 * fn for each container in podman's store, every list in turn, until fn
 * returns non-zero (returned). -ENOENT (or the first error) when no list
 * could be read; a list that is not there is no error.
 */
static int podman_store_each(const char *root, const struct runtime_info *rt, store_fn fn,
			     void *ctx)
{
	static const unsigned int lists[] = {STORE, VOLATILE, VOLATILE_RUN};
	int err, first = -ENOENT;
	bool read = false;

	for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
		err = store_list_each(root, rt, lists[i], fn, ctx);
		if (err > 0)
			return err;
		if (!err)
			read = true;
		else if (err != -ENOENT && first == -ENOENT)
			first = err;
	}
	return read ? 0 : first;
}

static void first_name(const struct jsonr_val *names, char *dst, size_t size)
{
	struct jsonr_iter it;
	struct jsonr_val v;

	jsonr_iter_init(&it, names);
	if (jsonr_next(&it, &v) > 0)
		meta_take_string(&v, dst, size, false);
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
static int podman_stop_signal(const char *root, const struct runtime_info *rt, struct container *c)
{
	struct jsonr_val doc;
	char *buf;
	int err;

	err = meta_open(root, rt, CONFIG, c->id, META_MAX, &buf, &doc);
	if (err)
		return err;
	meta_stop_signal(rt, &doc, &c->stop_signal);
	free(buf);
	return 0;
}

static int podman_load(const char *root, const struct runtime_info *rt, struct container *c)
{
	int err, err2;

	if (!identity_is_hex_id(c->id, strlen(c->id)))
		return -ENOENT;
	err = podman_store_each(root, rt, podman_name_of, c);
	err = err == 1 ? 0 : err ? err : -ENOENT;
	err2 = podman_stop_signal(root, rt, c);
	return err ? err2 : 0;
}

struct each_ctx {
	const struct runtime_info *rt;
	const char *what;
	meta_found_fn fn;
	void *ctx;
};

static int each_one(const char *id, const struct jsonr_val *names, void *arg)
{
	struct each_ctx *e = arg;
	struct jsonr_iter it;
	struct jsonr_val v;
	char name[NAME_LEN] = "";
	bool hit = false;

	first_name(names, name, sizeof(name));
	jsonr_iter_init(&it, names);
	while (!hit && jsonr_next(&it, &v) > 0)
		hit = jsonr_string_eq(&v, e->what);
	e->fn(e->ctx, e->rt->runtime, id, name, hit);
	return 0;
}

static int podman_each(const char *root, const struct runtime_info *rt, const char *what,
		       meta_found_fn fn, void *ctx)
{
	struct each_ctx e = {.rt = rt, .what = what, .fn = fn, .ctx = ctx};

	return podman_store_each(root, rt, each_one, &e);
}

const struct rt_meta rt_meta_podman = {
	.load = podman_load,
	.each = podman_each,
};
