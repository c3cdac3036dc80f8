// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The runtimes table (see runtimes.h) and the host configuration that moves
 * Docker's cgroup parent.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/jsonr.h"
#include "lib/array_size.h"
#include "lib/readfile.h"
#include "identity/identity_int.h"
#include "identity/runtimes.h"

#define DAEMON_JSON_MAX (1u << 20) /* a daemon.json is a few hundred bytes */
#define PARENT_MAX	256

static const struct runtime_info table[] = {
	{
		.runtime = RUNTIME_DOCKER,
		.name = "docker",
		.shapes =
			{
				{"/docker", "", "", RT_ID_HEX}, /* cgroupfs driver */
				{"/system.slice", "docker-", ".scope",
				 RT_ID_HEX},				  /* systemd driver */
				{"@pod", "docker-", ".scope", RT_ID_HEX}, /* dockershim, systemd */
			},
		.host_parent = runtimes_docker_parent, /* daemon.json's cgroup-parent */
		.known_dir = "var/lib/docker/containers",
		.known_leaf = {{"", ""}, {"docker-", ".scope"}},
		.state_dirs = {"var/lib/docker", "run/docker"},
		.daemon = "dockerd",
		.pid_files = {"run/docker.pid",
			      "var/run/docker.pid"}, /* /var/run is not always /run */
		.sockets = {"run/docker.sock"},
		.daemon_mntns = true,
		.removers = {"dockerd", "containerd", "runc"},
		/* containers/<id>/config.v2.json: rewritten, marked dead, before a removal */
		.watch = {{"containers", RT_WATCH_CONTAINERS, true}},
		.removed_dirs = {"containers"},
		.layers = "overlay2",
		.storage_roots = {"var/lib/docker"},
		.storage = &rt_storage_docker,
		.no_layer = "no overlay2 mount-id for it in /var/lib/docker/image/overlay2/layerdb",
		/* config.v2.json (name, stop signal, state), hostconfig.json (restart policy) */
		.meta_files = {"var/lib/docker/containers/%s/config.v2.json",
			       "var/lib/docker/containers/%s/hostconfig.json"},
		.stop_signal = {"Config", "StopSignal"},
		.meta = &rt_meta_docker,
		.kube_names = true, /* dockershim */
		.unpause = "docker unpause",
		.words =
			{
				.init_run = "docker run --init",
				.init_fix = "docker run --init, tini",
				/* Compose's and a pod's settings too, as Docker's words always said
				 */
				.grace_fix = "docker stop -t, stop_grace_period, "
					     "terminationGracePeriodSeconds",
				.kill_fix = "docker kill, docker rm -f",
				.kill_now = "docker kill the container",
				.stopper = "docker stop",
				.no_sigkill = " (docker stop -t -1 never sends one)",
			},
	},
	{
		.runtime = RUNTIME_PODMAN,
		.name = "podman",
		.shapes =
			{
				{"/libpod_parent", "libpod-", "", RT_ID_HEX}, /* cgroupfs */
				{"/libpod_parent/%h", "libpod-", "",
				 RT_ID_HEX}, /* cgroupfs, in a pod */
				{"/machine.slice", "libpod-", ".scope", RT_ID_HEX}, /* systemd */
				{"/machine.slice/machine-libpod_pod_%h.slice", "libpod-", ".scope",
				 RT_ID_HEX}, /* systemd, in a pod */
			},
		/* --cgroup-parent, and --cgroups=split under a unit's cgroup */
		.known_dir = "var/lib/containers/storage/overlay-containers",
		.known_leaf = {{"libpod-", ""}, {"libpod-", ".scope"}, {"libpod-payload-", ""}},
		.state_dirs = {"var/lib/containers/storage", "run/containers/storage",
			       "run/libpod"},
		.daemon = "podman",
		.sockets = {"run/podman/podman.sock"},
		.removers = {"podman", "conmon", "crun", "runc"},
		.watch = {{"overlay-containers", RT_WATCH_CONTAINERS, false},
			  {"libpod", RT_WATCH_DATABASE, false}}, /* its state database */
		.removed_dirs = {"overlay-containers"},
		.layers = "overlay",
		.storage_roots = {"var/lib/containers/storage", "run/containers/storage"},
		.storage = &rt_storage_cs,
		.no_layer = "no layer for it in podman's containers.json",
		/*
		 * the OCI spec (stop signal), then the store's lists of every
		 * container's names: the stable one, the volatile one (run --rm)
		 * beside it, or under the run root with a transient store
		 */
		.meta_files =
			{"var/lib/containers/storage/overlay-containers/%s/userdata/config.json",
			 "var/lib/containers/storage/overlay-containers/containers.json",
			 "var/lib/containers/storage/overlay-containers/volatile-containers.json",
			 "run/containers/storage/overlay-containers/volatile-containers.json"},
		.stop_signal = {"annotations", "org.opencontainers.image.stopSignal"},
		.meta = &rt_meta_podman,
		.unpause = "podman unpause",
		.words =
			{
				.init_run = "podman run --init",
				.init_fix = "podman run --init (catatonit)",
				.grace_fix = "podman stop -t, podman run --stop-timeout",
				.kill_fix = "podman kill, podman rm -f",
				.kill_now = "podman kill the container",
				.stopper = "podman stop",
				.no_sigkill = " (podman stop -t -1 never sends one)",
				.stop_signal_fix = "podman run --stop-signal",
			},
	},
	{
		.runtime = RUNTIME_CONTAINERD,
		.name = "containerd",
		.shapes =
			{
				{"@pod", "", "", RT_ID_HEX},			  /* cgroupfs */
				{"@pod", "cri-containerd-", ".scope", RT_ID_HEX}, /* systemd */
				{"/system.slice", "cri-containerd-", ".scope",
				 RT_ID_HEX}, /* crictl */
				{"/system.slice", "nerdctl-", ".scope", RT_ID_HEX},
			},
		/* a standalone containerd's, and the one dockerd starts */
		.task_dirs = {"run/containerd/io.containerd.runtime.v2.task",
			      "run/docker/containerd/daemon/io.containerd.runtime.v2.task"},
		.state_dirs = {"run/containerd", "var/lib/containerd", "run/docker/containerd"},
		.daemon = "containerd",
		.pid_files = {"run/containerd/containerd.pid",
			      "run/docker/containerd/containerd.pid"},
		.sockets = {"run/containerd/containerd.sock",
			    "run/docker/containerd/containerd.sock"},
		.removers = {"containerd", "runc"}, /* containerd-shim* too */
		/*
		 * the CRI plugin's; a task bundle goes when the task does, at a stop
		 * (ctr task delete, the end of a ctr run); the snapshot, the writable
		 * layer, goes with ctr container rm (its snapshot cleanup) or ctr
		 * snapshot rm: under the root of a standalone containerd, or of the one
		 * dockerd starts (var/lib/docker/containerd/daemon, in Docker's root)
		 */
		.removed_dirs = {"io.containerd.grpc.v1.cri/containers",
				 "io.containerd.grpc.v1.cri/sandboxes"},
		.layers = "io.containerd.snapshotter.v1.overlayfs/snapshots",
		.layers_numbered = true,
		.storage_roots = {"var/lib/containerd", "run/containerd"},
		.storage = &rt_storage_containerd,
		.meta_files = {"run/containerd/runc/%s/state.json"},
		/* in the task bundle's config.json, the OCI spec */
		.stop_signal = {"annotations", "org.opencontainers.image.stopSignal"},
		.meta = &rt_meta_containerd,
		.kube_names = true,
		.unpause = "ctr task resume",
		.unpause_in_pod = "ctr -n k8s.io task resume",
		.unpause_by_id = true,
		/* ctr run has no --init, and ctr task kill no grace period */
		.words =
			{
				.init_run = "tini in the image",
				.init_fix = "tini in the image, as the entrypoint",
				.grace_fix = "wait longer before ctr task kill -s SIGKILL",
				.kill_fix = "ctr task kill -s SIGKILL",
				.kill_now = "ctr task kill -s SIGKILL the task",
				.stopper = "the stop",
				.no_sigkill = " (ctr task kill never sends one by itself)",
				.stop_signal_fix = "ctr task kill -s, or the image's StopSignal",
			},
	},
	{
		.runtime = RUNTIME_CRIO,
		.name = "cri-o",
		.shapes =
			{
				{"@pod", "crio-", "", RT_ID_HEX},	/* cgroupfs */
				{"@pod", "crio-", ".scope", RT_ID_HEX}, /* systemd */
			},
		.state_dirs = {"var/lib/crio", "run/crio"},
		.daemon = "crio",
		.pid_files = {"run/crio/crio.pid"},
		.sockets = {"run/crio/crio.sock"},
		.removers = {"crio", "conmon", "crun", "runc"},
		.watch = {{"overlay-containers", RT_WATCH_CONTAINERS, false}},
		.removed_dirs = {"overlay-containers"},
		.layers = "overlay",
		.storage_roots = {"var/lib/containers/storage", "run/containers/storage"},
		.storage = &rt_storage_cs,
		.meta_files =
			{"var/lib/containers/storage/overlay-containers/%s/userdata/config.json"},
		.kube_names = true,
		.words =
			{
				.init_run = "tini in the image",
				.init_fix = "tini in the image, as the entrypoint",
				.grace_fix = "crictl stop -t",
				.kill_fix = "crictl stop -t 0, crictl rm -f",
				.kill_now = "crictl stop -t 0 the container",
				.stopper = "crictl stop",
				.no_sigkill = "",
				.stop_signal_fix = "the image's StopSignal",
			},
	},
	{
		.runtime = RUNTIME_ISULAD,
		.name = "isulad",
		.shapes =
			{
				{"/isulad", "", "", RT_ID_HEX},
				{"/system.slice", "isulad-", ".scope", RT_ID_HEX},
			},
		.known_dir = "var/lib/isulad/engines/lcr",
		.known_leaf = {{"", ""}, {"isulad-", ".scope"}},
		.state_dirs = {"var/lib/isulad", "run/isulad"},
		.daemon = "isulad",
		.pid_files = {"run/isulad.pid"},
		.sockets = {"run/isulad.sock"},
		.removers = {"isulad"},
		.removed_dirs = {"storage/overlay-containers", "engines/lcr"},
		.layers = "storage/overlay",
		.storage_roots = {"var/lib/isulad"},
		.storage = &rt_storage_isulad,
		.meta_files = {"var/lib/isulad/engines/lcr/%s/config.json"},
		.kube_names = true,
		.words =
			{
				.init_run = "tini in the image",
				.init_fix = "tini in the image, as the entrypoint",
				.grace_fix = "isula stop -t",
				.kill_fix = "isula kill, isula rm -f",
				.kill_now = "isula kill the container",
				.stopper = "isula stop",
				.no_sigkill = "",
				.stop_signal_fix = "the image's StopSignal",
			},
	},
	{
		.runtime = RUNTIME_LXC,
		.name = "lxc",
		.shapes =
			{
				{"", "lxc.payload.", "", RT_ID_NAME}, /* at the hierarchy's root */
			},
		.state_dirs = {"var/lib/lxc", "run/lxc"},
		/* lxc-destroy, as root on the host: its rootfs, then its directory */
		.removers = {"lxc-destroy"},
		.removed_dirs = {"lxc/%s/rootfs", "lxc"},
		.storage_roots = {"var/lib/lxc"},
		.storage = &rt_storage_lxc,
		.meta_files = {"var/lib/lxc/%s/config"}, /* lxc.signal.halt, lxc.signal.stop */
		.unpause = "lxc-unfreeze -n",
		.meta = &rt_meta_lxc,
		.words =
			{
				.init_run = "lxc-execute, or tini in lxc.init.cmd",
				.init_fix = "lxc-execute (init.lxc), or tini in lxc.init.cmd",
				.grace_fix = "lxc-stop -t",
				.kill_fix = "lxc-stop -k, lxc-destroy -f",
				.kill_now = "lxc-stop -k the container",
				.stopper = "lxc-stop",
				.no_sigkill = " (lxc-stop -t -1 never sends one)",
				.stop_signal_fix = "lxc.signal.halt",
			},
	},
};

/* In a Kubernetes pod: the pod spec's words, whatever the runtime. */
static const struct rt_words pod_words = {
	.init_run = "shareProcessNamespace: true in the pod spec, or tini in the image",
	.init_fix = "shareProcessNamespace: true in the pod spec, or tini in the image",
	.grace_fix = "terminationGracePeriodSeconds in the pod spec",
	.kill_fix = "crictl stop -t 0, crictl rm -f",
	.kill_now = "crictl stop -t 0 the container",
	.stopper = "the kubelet",
	.no_sigkill = "",
	.stop_signal_fix = "a preStop hook, or the image's StopSignal",
};

static char docker_parent[PARENT_MAX];

#define CONTAINERD_ID_MAX 76

bool runtimes_is_containerd_id(const char *s, size_t n)
{
	bool sep = true; /* no separator first */

	if (n == 0 || n > CONTAINERD_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
			sep = false;
		else if ((c == '.' || c == '_' || c == '-') && !sep)
			sep = true;
		else
			return false;
	}
	return !sep;
}

const struct runtime_info *runtime_info(enum runtime rt)
{
	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		if (table[i].runtime == rt)
			return &table[i];
	return NULL;
}

const struct rt_words *runtime_pod_words(void)
{
	return &pod_words;
}

const struct rt_words *runtime_words(const struct container *c)
{
	const struct runtime_info *ri = runtime_info(c->runtime);

	if (c->pod_namespace[0] || c->pod_uid[0])
		return &pod_words;
	return &(ri ? ri : runtime_info(RUNTIME_DOCKER))->words;
}

const struct runtime_info *runtimes_all(size_t *n)
{
	*n = ARRAY_SIZE(table);
	return table;
}

size_t runtimes_storage_roots(const char **out, size_t max)
{
	static char abs[ARRAY_SIZE(table)][RT_PATHS_MAX][PATH_MAX];
	size_t n = 0, k;

	for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
		for (size_t j = 0; j < RT_PATHS_MAX && table[i].storage_roots[j]; j++) {
			snprintf(abs[i][j], sizeof(abs[i][j]), "/%s", table[i].storage_roots[j]);
			for (k = 0; k < n && strcmp(out[k], abs[i][j]); k++)
				;
			if (k == n && n < max)
				out[n++] = abs[i][j];
		}
	}
	return n;
}

const char *runtime_name(enum runtime rt)
{
	const struct runtime_info *ri = runtime_info(rt);

	return ri ? ri->name : "";
}

size_t runtimes_removers(const char **out, size_t max)
{
	size_t n = 0, k;

	for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
		for (size_t j = 0; j < RT_PATHS_MAX && table[i].removers[j]; j++) {
			for (k = 0; k < n && strcmp(out[k], table[i].removers[j]); k++)
				;
			if (k == n && n < max)
				out[n++] = table[i].removers[j];
		}
	}
	return n;
}

size_t runtimes_watches(const struct rt_watch **out, size_t max)
{
	size_t n = 0, k;

	for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
		for (size_t j = 0; j < RT_PATHS_MAX && table[i].watch[j].sub; j++) {
			for (k = 0; k < n && strcmp(out[k]->sub, table[i].watch[j].sub); k++)
				;
			if (k == n && n < max)
				out[n++] = &table[i].watch[j];
		}
	}
	return n;
}

/* path ends with "/" + dir + "/" + name, name of n bytes. */
static bool ends_with_entry(const char *path, const char *dir, const char *name, size_t n)
{
	size_t len = strlen(path), d = strlen(dir);

	return len >= d + n + 2 && !strcmp(path + len - n, name) && path[len - n - 1] == '/' &&
	       !strncmp(path + len - n - 1 - d, dir, d) && path[len - n - 2 - d] == '/';
}

/* path ends with "/" + pattern, its "%s" replaced by id. */
static bool ends_with_pattern(const char *path, const char *pattern, const char *id)
{
	const char *at = strstr(pattern, "%s");
	char want[PATH_MAX];
	size_t len = strlen(path), n;

	if (snprintf(want, sizeof(want), "/%.*s%s%s", (int)(at - pattern), pattern, id, at + 2) >=
	    (int)sizeof(want))
		return false;
	n = strlen(want);
	return len >= n && !strcmp(path + len - n, want);
}

/* A layer's name: 64 hex digits, or a snapshot's number (layers_numbered). */
static bool layer_name(const struct runtime_info *rt, const char *s)
{
	size_t n = strlen(s);

	if (rt->layers_numbered)
		return n && n <= 19 && strspn(s, "0123456789") == n;
	return identity_is_hex_id(s, n);
}

bool runtime_removed_path(const struct runtime_info *rt, const char *id, const char *path)
{
	const char *base;

	if (!rt || !id || !id[0] || !path)
		return false;
	for (size_t i = 0; i < RT_PATHS_MAX && rt->removed_dirs[i]; i++)
		if (strstr(rt->removed_dirs[i], "%s")
			    ? ends_with_pattern(path, rt->removed_dirs[i], id)
			    : ends_with_entry(path, rt->removed_dirs[i], id, strlen(id)))
			return true;
	base = strrchr(path, '/');
	return rt->layers && base && layer_name(rt, base + 1) &&
	       ends_with_entry(path, rt->layers, base + 1, strlen(base + 1));
}

bool runtimes_daemon_mounts_apart(const char *comm)
{
	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		if (table[i].daemon_mntns && table[i].daemon && !strcmp(comm, table[i].daemon))
			return true;
	return false;
}

int runtime_meta_path(const struct runtime_info *rt, unsigned int file, const char *root,
		      const char *id, char *buf, size_t size)
{
	const char *pat = file < RT_PATHS_MAX ? rt->meta_files[file] : NULL, *at;

	if (!pat)
		return -ENOENT;
	at = strstr(pat, "%s");
	if (!at)
		return meta_root_path(buf, size, root, "%s", pat);
	return meta_root_path(buf, size, root, "%.*s%s%s", (int)(at - pat), pat, id ? id : "",
			      at + 2);
}

/* A cgroup path made of [A-Za-z0-9._@:-] components, none "." or ".." or empty. */
static bool clean_cgroup_path(const char *p)
{
	const char *c = p;

	if (*p != '/' || strlen(p) >= PARENT_MAX)
		return false;
	while (*c == '/') {
		const char *s = ++c;

		while ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		       (*c >= '0' && *c <= '9') || *c == '.' || *c == '_' || *c == '-' ||
		       *c == '@' || *c == ':')
			c++;
		if (c == s || (c - s == 1 && s[0] == '.') ||
		    (c - s == 2 && s[0] == '.' && s[1] == '.'))
			return false;
	}
	return *c == '\0';
}

/* systemd's slice naming: "a-b.slice" is /a.slice/a-b.slice; "-.slice" is the root. */
static int expand_slice(const char *slice, char *out, size_t cap)
{
	size_t n = strlen(slice), len = 0;
	const char *dash;

	if (!strcmp(slice, "-.slice")) {
		snprintf(out, cap, "/");
		return 0;
	}
	if (n <= 6 || slice[0] == '-' || strchr(slice, '/'))
		return -EINVAL;
	for (dash = slice; (dash = strchr(dash, '-')) && dash < slice + n - 6; dash++) {
		if (dash[1] == '-' || dash[1] == '.')
			return -EINVAL;
		len += snprintf(out + len, cap - len, "/%.*s.slice", (int)(dash - slice), slice);
		if (len >= cap)
			return -ENAMETOOLONG;
	}
	len += snprintf(out + len, cap - len, "/%s", slice);
	return len < cap ? 0 : -ENAMETOOLONG;
}

int runtimes_set_docker_parent(const char *parent)
{
	char path[PARENT_MAX];
	size_t n;

	if (!parent || !*parent) {
		docker_parent[0] = '\0';
		return 0;
	}
	n = strlen(parent);
	if (n >= PARENT_MAX)
		return -EINVAL;
	if (n > 6 && !strcmp(parent + n - 6, ".slice") && !strchr(parent, '/')) {
		if (expand_slice(parent, path, sizeof(path)))
			return -EINVAL;
	} else {
		if (snprintf(path, sizeof(path), "%s%s", parent[0] == '/' ? "" : "/", parent) >=
		    (int)sizeof(path))
			return -EINVAL;
	}
	n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		path[--n] = '\0';
	if (!strcmp(path, "/") || !clean_cgroup_path(path))
		return -EINVAL;
	memcpy(docker_parent, path, n + 1);
	return 0;
}

const char *runtimes_docker_parent(void)
{
	return docker_parent;
}

int runtimes_load_host_config(const char *root)
{
	char path[PATH_MAX], parent[PARENT_MAX];
	struct jsonr_val doc, v;
	char *buf = NULL;
	size_t len;
	int err;

	if (snprintf(path, sizeof(path), "%s/etc/docker/daemon.json", root ? root : "") >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	err = read_file_max(path, DAEMON_JSON_MAX, &buf, &len);
	if (err)
		return err;
	err = jsonr_init(&doc, buf, len);
	if (!err)
		err = jsonr_get(&doc, "cgroup-parent", &v);
	if (!err)
		err = jsonr_string(&v, parent, sizeof(parent));
	if (!err)
		err = runtimes_set_docker_parent(parent);
	free(buf);
	return err;
}
