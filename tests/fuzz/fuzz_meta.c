// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Runtime metadata, as the tenants of a host can shape it (container names,
 * labels and annotations are theirs): the input is split (FUZZ_SEP) into
 * docker's config.v2.json and hostconfig.json, layerdb's mount-id and
 * init-id, the layer's overlay link, podman's containers.json and OCI
 * config.json, iSulad's container.json, and a kubelet log link (its name and
 * target), laid out under a scratch root for one docker and one podman
 * container. Every reader of identity.c and storage.c runs on it. Checked:
 * strings come back terminated and without the leading slash, signals are in
 * range, storage paths are absolute and clean (no "." or ".." component, no
 * empty one), so no path is ever built from hostile text.
 */
#include <dirent.h>
#include "lib/array_size.h"
#include "fuzz.h"
#include "identity/identity.h"
#include "identity/storage.h"

#define DOCKER_ID "d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0"
#define PODMAN_ID "9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a"

enum {
	P_CONFIG,
	P_HOSTCONFIG,
	P_MOUNT_ID,
	P_INIT_ID,
	P_LINK,
	P_CS_CONTAINERS,
	P_OCI_CONFIG,
	P_ISULAD,
	P_KUBE_NAME,
	P_KUBE_TARGET,
	P_MAX,
};

static void terminated(const char *s, size_t size, const char *what)
{
	if (strnlen(s, size) == size)
		fuzz_fail("%s is not terminated", what);
}

static void check_container(const struct container *c)
{
	terminated(c->id, sizeof(c->id), "id");
	terminated(c->name, sizeof(c->name), "name");
	terminated(c->restart_policy, sizeof(c->restart_policy), "restart policy");
	terminated(c->pod_namespace, sizeof(c->pod_namespace), "pod namespace");
	terminated(c->pod_name, sizeof(c->pod_name), "pod name");
	terminated(c->pod_uid, sizeof(c->pod_uid), "pod uid");
	if (c->stop_signal < 0 || c->stop_signal > 64)
		fuzz_fail("stop signal %d", c->stop_signal);
	if (c->runtime == RUNTIME_DOCKER && c->name[0] == '/')
		fuzz_fail("docker name \"%s\" keeps its leading slash", c->name);
}

/* An absolute path with no empty, "." or ".." component. */
static void check_path(const char *p, size_t size)
{
	terminated(p, size, "storage path");
	if (p[0] != '/')
		fuzz_fail("storage path \"%s\" is not absolute", p);
	for (const char *c = p + 1; c; c = strchr(c, '/'), c = c ? c + 1 : NULL) {
		size_t n = strcspn(c, "/");

		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			fuzz_fail("storage path \"%s\" has an unclean component", p);
	}
}

static void check_storage(const char *root, const struct container *c)
{
	char paths[STORAGE_PATHS_MAX][STORAGE_PATH_LEN], one[STORAGE_PATH_LEN];
	int n = storage_paths(root, c, paths, STORAGE_PATHS_MAX);

	if (n > STORAGE_PATHS_MAX)
		fuzz_fail("storage_paths: %d paths", n);
	for (int i = 0; i < n; i++)
		check_path(paths[i], sizeof(paths[i]));
	if (storage_layer(root, c, one, sizeof(one)) == 0)
		check_path(one, sizeof(one));
	if (storage_container_dir(root, c, one, sizeof(one)) == 0)
		check_path(one, sizeof(one));
}

/* The kubelet's link: var/log/containers/<stem>-<id>.log -> target. */
static void put_kube_link(const struct fuzz_part *name, const struct fuzz_part *target)
{
	char dir[PATH_MAX], path[PATH_MAX], stem[128], to[512];
	struct dirent *e;
	size_t n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/var/log/containers", fuzz_root());
	fuzz_put("var/log/containers/.keep", "", 0);
	d = opendir(dir);
	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, ".keep"))
			unlinkat(dirfd(d), e->d_name, 0);
	if (d)
		closedir(d);
	for (size_t i = 0; i < name->len && n + 1 < sizeof(stem); i++)
		if (name->p[i] != '/' && name->p[i] != '\0')
			stem[n++] = name->p[i];
	stem[n] = '\0';
	if (!n || !target->len)
		return;
	snprintf(to, sizeof(to), "%.*s", (int)strnlen(target->p, target->len), target->p);
	snprintf(path, sizeof(path), "%s/%s-%s.log", dir, stem, DOCKER_ID);
	if (to[0] && symlink(to, path) && errno != ENAMETOOLONG)
		fuzz_fail("symlink %s: %s", path, strerror(errno));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const files[P_MAX] = {
		[P_CONFIG] = "var/lib/docker/containers/" DOCKER_ID "/config.v2.json",
		[P_HOSTCONFIG] = "var/lib/docker/containers/" DOCKER_ID "/hostconfig.json",
		[P_MOUNT_ID] =
			"var/lib/docker/image/overlay2/layerdb/mounts/" DOCKER_ID "/mount-id",
		[P_INIT_ID] = "var/lib/docker/image/overlay2/layerdb/mounts/" DOCKER_ID "/init-id",
		[P_CS_CONTAINERS] = "var/lib/containers/storage/overlay-containers/containers.json",
		[P_OCI_CONFIG] = "var/lib/containers/storage/overlay-containers/" PODMAN_ID
				 "/userdata/config.json",
		[P_ISULAD] =
			"var/lib/isulad/storage/overlay-containers/" DOCKER_ID "/container.json",
	};
	static const enum runtime runtimes[] = {RUNTIME_DOCKER, RUNTIME_PODMAN, RUNTIME_ISULAD,
						RUNTIME_CRIO, RUNTIME_CONTAINERD};
	struct fuzz_part part[P_MAX];
	const char *root = fuzz_root();
	struct container c;
	char rel[PATH_MAX], state[32];

	fuzz_split(data, size, part, P_MAX);
	for (int i = 0; i < P_MAX; i++)
		if (files[i])
			fuzz_put(files[i], part[i].p, part[i].len);
	/* the layer's link file, where the mount-id says the layer is */
	if (part[P_MOUNT_ID].len >= 64 && identity_is_hex_id(part[P_MOUNT_ID].p, 64)) {
		snprintf(rel, sizeof(rel), "var/lib/docker/overlay2/%.64s/link",
			 part[P_MOUNT_ID].p);
		fuzz_put(rel, part[P_LINK].p, part[P_LINK].len);
	}
	put_kube_link(&part[P_KUBE_NAME], &part[P_KUBE_TARGET]);

	for (size_t i = 0; i < ARRAY_SIZE(runtimes); i++) {
		memset(&c, 0, sizeof(c));
		c.runtime = runtimes[i];
		snprintf(c.id, sizeof(c.id), "%s",
			 runtimes[i] == RUNTIME_PODMAN ? PODMAN_ID : DOCKER_ID);
		identity_load_meta(root, &c);
		check_container(&c);
		memset(state, 'x', sizeof(state));
		if (identity_runtime_state(root, &c, state, sizeof(state)) == 0)
			terminated(state, sizeof(state), "runtime state");
		check_storage(root, &c);
	}
	memset(&c, 0, sizeof(c));
	if (identity_find(root, "d0d0", &c) == 0)
		check_container(&c);
	memset(&c, 0, sizeof(c));
	if (identity_find(root, "web-1", &c) == 0)
		check_container(&c);
	return 0;
}
