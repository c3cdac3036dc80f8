// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "host/facts.h"
#include "host/holders.h"
#include "identity/runtimes.h"

static int live_load_meta(void *ctx, struct container *c)
{
	struct facts_live *l = ctx;

	return identity_load_meta(l->root, c);
}

static int live_storage_paths(void *ctx, const struct container *c, char paths[][STORAGE_PATH_LEN],
			      int max)
{
	struct facts_live *l = ctx;

	return storage_paths(l->root, c, paths, max);
}

static int live_runtime_state(void *ctx, const struct container *c, char *state, size_t cap)
{
	struct facts_live *l = ctx;

	return identity_runtime_state(l->root, c, state, cap);
}

static int live_holders(void *ctx, uint32_t caller_pid, const char *path,
			struct identity_table *ids, struct holder *out, int max, uint32_t *cut)
{
	struct facts_live *l = ctx;
	const struct holders_opts o = {
		.root = l->root, .trusted = l->trusted, .ntrusted = l->ntrusted};

	return holders_find(&o, caller_pid, path, ids, out, max, cut);
}

static int live_attributes(void *ctx, const char *path, bool *immutable, bool *append_only)
{
	struct facts_live *l = ctx;

	return file_attributes(l->root, l->trusted, l->ntrusted, path, immutable, append_only);
}

static int live_culprits(void *ctx, uint64_t pidns, uint32_t exclude_pid,
			 struct identity_table *ids, struct culprit *out, int max)
{
	struct facts_live *l = ctx;

	return culprits_find(l->root, pidns, exclude_pid, ids, out, max);
}

static int live_docker_ids(void *ctx, facts_id_fn fn, void *arg)
{
	struct facts_live *l = ctx;
	char dir[PATH_MAX + 32];
	struct dirent *de;
	int err = 0;
	DIR *d;

	/* Docker keeps one directory per container, running or not */
	snprintf(dir, sizeof(dir), "%s/%s", l->root, runtime_info(RUNTIME_DOCKER)->known_dir);
	d = opendir(dir);
	if (!d)
		return 0;
	while (!err && (de = readdir(d)))
		if (identity_is_hex_id(de->d_name, strlen(de->d_name)))
			err = fn(de->d_name, arg);
	closedir(d);
	return err;
}

static int live_cgroup_exists(void *ctx, const char *path)
{
	struct facts_live *l = ctx;
	char full[PATH_MAX * 2];
	struct stat st;

	for (int i = 0; i < 2; i++) {
		if (!l->cgroup_dirs[i] || !l->cgroup_dirs[i][0])
			continue;
		snprintf(full, sizeof(full), "%s%s%s", l->root, l->cgroup_dirs[i], path);
		if (!stat(full, &st))
			return 1;
		if (errno != ENOENT)
			return -errno;
	}
	return 0;
}

static int live_recognize(void *ctx, const char *path, const char *mount_dir,
			  struct cgroup_match *cm)
{
	struct facts_live *l = ctx;

	if (!identity_recognize(l->root, path, cm))
		return 0;
	if (mount_dir && mount_dir[0] && !identity_cgroup_root_owned(mount_dir, cm->cgroup))
		return -EPERM;
	return 1;
}

static const struct facts_ops live_ops = {
	.load_meta = live_load_meta,
	.storage_paths = live_storage_paths,
	.runtime_state = live_runtime_state,
	.holders = live_holders,
	.attributes = live_attributes,
	.cgroup_exists = live_cgroup_exists,
	.culprits = live_culprits,
	.docker_ids = live_docker_ids,
	.recognize = live_recognize,
};

void facts_live_init(struct facts *f, struct facts_live *live, const char *root)
{
	snprintf(live->root, sizeof(live->root), "%s", root);
	live->ntrusted = 0;
	f->ops = &live_ops;
	f->ctx = live;
}

void facts_live_add_root(struct facts_live *live, const char *dir)
{
	if (dir && dir[0] && live->ntrusted < FACTS_MAX_ROOTS)
		live->trusted[live->ntrusted++] = dir;
}
