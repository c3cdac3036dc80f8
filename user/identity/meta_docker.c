// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Docker's metadata: one directory per container (the row's known_dir),
 * holding config.v2.json (name, stop signal, state) and hostconfig.json
 * (restart policy), the row's meta_files in that order. What they say
 * belongs to the host's tenants (a container's name is theirs).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity/identity_int.h"
#include "identity/runtimes.h"

enum { CONFIG = RT_CONFIG, HOSTCONFIG };

/* config.v2.json: "Name" ("/web-1") and the stop signal ("Config"."StopSignal"). */
static int docker_names(const char *root, const struct runtime_info *rt, const char *id, char *name,
			size_t name_size, int *stop_signal)
{
	struct jsonr_val doc, v;
	char *buf;
	int err;

	err = meta_open(root, rt, CONFIG, id, META_MAX, &buf, &doc);
	if (err)
		return err;
	if (name && jsonr_get(&doc, "Name", &v) == 0)
		meta_take_string(&v, name, name_size, true);
	if (stop_signal)
		meta_stop_signal(rt, &doc, stop_signal);
	free(buf);
	return 0;
}

/* hostconfig.json: "RestartPolicy"."Name" ("" means "no"). */
static int docker_restart_policy(const char *root, const struct runtime_info *rt, const char *id,
				 char *policy, size_t size)
{
	struct jsonr_val doc, v;
	char *buf;
	int err;

	err = meta_open(root, rt, HOSTCONFIG, id, META_MAX, &buf, &doc);
	if (err)
		return err;
	if (jsonr_get_path(&doc, &v, "RestartPolicy", "Name", NULL) == 0 &&
	    !meta_take_string(&v, policy, size, false))
		snprintf(policy, size, "no");
	free(buf);
	return 0;
}

static int docker_load(const char *root, const struct runtime_info *rt, struct container *c)
{
	int err;

	err = docker_names(root, rt, c->id, c->name, sizeof(c->name), &c->stop_signal);
	if (!err)
		docker_restart_policy(root, rt, c->id, c->restart_policy,
				      sizeof(c->restart_policy));
	return err;
}

static int docker_state(const char *root, const struct runtime_info *rt, const struct container *c,
			char *state, size_t cap)
{
	struct jsonr_val doc;
	char *buf;
	int err;

	err = meta_open(root, rt, CONFIG, c->id, META_MAX, &buf, &doc);
	if (err)
		return err;
	/*
	 * Docker sets Dead (and RemovalInProgress) before it removes the storage,
	 * so that a daemon restart cannot revive a half-removed container; after
	 * a failed removal only its memory clears RemovalInProgress, the file
	 * keeps both. On disk, dead is all that can be told.
	 */
	if (jsonr_true_at(&doc, "State", "Dead"))
		snprintf(state, cap, "dead");
	else if (jsonr_true_at(&doc, "State", "RemovalInProgress"))
		snprintf(state, cap, "removing");
	else if (jsonr_true_at(&doc, "State", "Running"))
		snprintf(state, cap, "running");
	else
		snprintf(state, cap, "exited");
	free(buf);
	return 0;
}

/* Every directory of known_dir named by a hex id is a container Docker knows. */
static int docker_each(const char *root, const struct runtime_info *rt, const char *what,
		       meta_found_fn fn, void *ctx)
{
	char path[PATH_MAX], name[NAME_LEN];
	struct dirent *e;
	DIR *d;
	int err;

	err = meta_root_path(path, sizeof(path), root, "%s", rt->known_dir);
	if (err)
		return err;
	d = opendir(path);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (!identity_is_hex_id(e->d_name, strlen(e->d_name)))
			continue;
		name[0] = '\0';
		docker_names(root, rt, e->d_name, name, sizeof(name), NULL);
		fn(ctx, rt->runtime, e->d_name, name, name[0] && !strcmp(name, what));
	}
	closedir(d);
	return 0;
}

const struct rt_meta rt_meta_docker = {
	.load = docker_load,
	.state = docker_state,
	.each = docker_each,
};
