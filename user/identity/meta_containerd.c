// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A plain containerd container's metadata (`ctr run`: cgroup
 * /<namespace>/<id>): its task bundle, <task_dir>/<namespace>/<id>/ under
 * one of the row's task_dirs, holds the OCI spec, config.json, where the
 * stop signal may be an annotation. ctr has no name but the id: the name is
 * the id. Containers of Kubernetes' pods are left to the kubelet's log
 * links. What the spec says belongs to the container's owner.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity/identity_int.h"
#include "identity/runtimes.h"
#include "lib/readfile.h"

/* c->cgroup is /<ns>/<c->id>: the namespace, *ns_len bytes at the returned pointer. */
static const char *namespace_of(const struct container *c, size_t *ns_len)
{
	const char *ns = c->cgroup + 1, *slash;

	if (c->cgroup[0] != '/')
		return NULL;
	slash = strchr(ns, '/');
	if (!slash || strcmp(slash + 1, c->id))
		return NULL;
	*ns_len = slash - ns;
	return ns;
}

static int containerd_load(const char *root, const struct runtime_info *rt, struct container *c)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct jsonr_val doc;
	const char *ns;
	size_t ns_len, len;
	char *buf;
	int err;

	ns = namespace_of(c, &ns_len);
	if (!ns || !runtimes_is_containerd_id(c->id, strlen(c->id)))
		return -ENOENT;
	err = identity_task_dir(root, rt, ns, ns_len, c->id, strlen(c->id), dir, sizeof(dir));
	if (err)
		return err;
	snprintf(c->name, sizeof(c->name), "%s", c->id);
	if (snprintf(path, sizeof(path), "%s/config.json", dir) >= (int)sizeof(path))
		return 0;
	if (read_file_max(path, META_MAX, &buf, &len))
		return 0;
	if (!jsonr_init(&doc, buf, len))
		meta_stop_signal(rt, &doc, &c->stop_signal);
	free(buf);
	return 0;
}

const struct rt_meta rt_meta_containerd = {
	.load = containerd_load,
};
