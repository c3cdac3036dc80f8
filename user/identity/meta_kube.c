// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Kubernetes' names for a container, whatever its runtime: the kubelet's
 * log links, var/log/containers/<pod>_<namespace>_<container>-<id>.log ->
 * /var/log/pods/<namespace>_<pod>_<uid>/<container>/N.log. Link names and
 * targets belong to the host's tenants: every length is checked.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "identity/identity_int.h"

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
int meta_kube_load(const char *root, struct container *c)
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
	err = meta_root_path(path, sizeof(path), root, "var/log/containers");
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
