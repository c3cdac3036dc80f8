// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Tests for user/identity/runtimes.c: every row of the runtimes table is
 * complete and consistent with the others, and what the kernel filter and
 * the removal hooks take from it is what they always had.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "identity/identity_int.h"
#include "identity/runtimes.h"
#include "lib/array_size.h"
#include <linux/types.h>
#include "stoptrace_event.h"

/* A path of the table: relative, and no empty, "." or ".." component. */
static bool clean_rel(const char *p)
{
	const char *s = p;

	if (!p || !*p || *p == '/')
		return false;
	while (*s) {
		size_t n = strcspn(s, "/");

		if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return false;
		s += n;
		if (*s == '/' && !*++s)
			return false; /* a trailing slash */
	}
	return true;
}

static bool paths_clean(const char *const *list)
{
	for (int i = 0; i < RT_PATHS_MAX && list[i]; i++)
		if (!clean_rel(list[i]))
			return false;
	return true;
}

/* A meta file: a clean path with at most one "%s" and no other conversion. */
static bool meta_file_ok(const char *p)
{
	const char *pct = strchr(p, '%');

	return clean_rel(p) && (!pct || (pct[1] == 's' && !strchr(pct + 2, '%')));
}

static bool has_prefix(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* A word of the fixes: said, and no conversion (the words are arguments). */
static bool word_ok(const char *w)
{
	return w && w[0] && !strchr(w, '%');
}

/*
 * What is wrong with a runtime's words, or NULL: every fix has them, and
 * only Docker (whose words name no stop signal setting) leaves one out.
 */
static const char *words_problem(const struct rt_words *w, bool docker)
{
	if (!word_ok(w->init_run) || !word_ok(w->init_fix) || !word_ok(w->grace_fix) ||
	    !word_ok(w->kill_fix) || !word_ok(w->kill_now) || !word_ok(w->stopper))
		return "a fix without its words";
	if (!w->no_sigkill || strchr(w->no_sigkill, '%') ||
	    (w->no_sigkill[0] && strncmp(w->no_sigkill, " (", 2)))
		return "no_sigkill neither \"\" nor \" (...)\"";
	if (docker ? w->stop_signal_fix != NULL : !word_ok(w->stop_signal_fix))
		return "no words for the stop signal setting";
	return NULL;
}

/*
 * What is wrong with row r on its own, or NULL. Each rule is what some
 * reader of the table relies on.
 */
static const char *row_problem(const struct runtime_info *r)
{
	int i;

	if (r->runtime == RUNTIME_NONE || !r->name || !r->name[0])
		return "no runtime or no name";
	/* cgroups: a runtime puts its containers somewhere */
	if (!r->shapes[0].parent)
		return "no cgroup shape";
	for (i = 0; i < RT_SHAPES_MAX && r->shapes[i].parent; i++) {
		const struct rt_shape *sh = &r->shapes[i];
		size_t n = strlen(sh->parent);

		if (!sh->prefix || !sh->suffix ||
		    (sh->id_kind != RT_ID_HEX && sh->id_kind != RT_ID_NAME))
			return "a shape without prefix, suffix or id kind";
		if (n && strcmp(sh->parent, "@pod") &&
		    (sh->parent[0] != '/' || sh->parent[n - 1] == '/'))
			return "a cgroup parent that is not \"\", \"@pod\" or an absolute path";
	}
	if (!r->known_dir != !r->known_leaf[0][0])
		return "known_dir without known_leaf shapes, or shapes without the directory";
	if (r->known_dir && !clean_rel(r->known_dir))
		return "known_dir not a clean relative path";
	for (i = 0; i < RT_PATHS_MAX && r->known_leaf[i][0]; i++)
		if (!r->known_leaf[i][1])
			return "a known_leaf shape without a suffix";
	if (r->host_parent && !r->known_leaf[0][0])
		return "a host parent but no leaf shapes for it";
	/* state and daemon */
	if (!r->state_dirs[0] || !paths_clean(r->state_dirs))
		return "no state directory, or one not clean";
	if (r->daemon && !r->pid_files[0] && !r->sockets[0])
		return "a daemon with neither pid file nor socket: it can never be verified";
	if (!r->daemon && (r->pid_files[0] || r->sockets[0] || r->daemon_mntns))
		return "pid files, sockets or daemon_mntns without a daemon comm";
	if (r->daemon && (!r->daemon[0] || strlen(r->daemon) >= ST_COMM_LEN))
		return "a daemon comm that no process can have";
	if (!paths_clean(r->pid_files) || !paths_clean(r->sockets))
		return "a pid file or socket not a clean relative path";
	/* removal */
	for (i = 0; i < RT_PATHS_MAX && r->removers[i]; i++)
		if (!r->removers[i][0] || strlen(r->removers[i]) >= ST_COMM_LEN)
			return "a remover comm prefix empty or longer than a comm";
	if (r->daemon) {
		for (i = 0; i < RT_PATHS_MAX && r->removers[i]; i++)
			if (has_prefix(r->daemon, r->removers[i]))
				break;
		if (i == RT_PATHS_MAX || !r->removers[i])
			return "its daemon is none of its removers";
	}
	for (i = 0; i < RT_PATHS_MAX && r->watch[i].sub; i++) {
		const struct rt_watch *w = &r->watch[i];

		if (!w->sub[0] || strchr(w->sub, '/') ||
		    (w->kind != RT_WATCH_CONTAINERS && w->kind != RT_WATCH_DATABASE))
			return "a watched directory that is no name below a root, or of no kind";
		if (w->states && w->kind != RT_WATCH_CONTAINERS)
			return "state files watched in something other than container directories";
	}
	if (!paths_clean(r->removed_dirs) || (r->layers && !clean_rel(r->layers)))
		return "a removed directory or the layers not a clean relative path";
	/* storage */
	if (!r->storage_roots[0] || !paths_clean(r->storage_roots))
		return "no storage root, or one not clean";
	if (r->storage && !r->removers[0])
		return "storage known but no process whose removals are kept";
	if (r->watch[0].sub && !r->storage)
		return "container directories watched for a storage that is not known";
	if (r->storage && !r->removed_dirs[0] && !r->layers)
		return "storage known but nothing whose removal is the container's";
	if ((r->removed_dirs[0] || r->layers) && !r->storage)
		return "removed directories of a storage that is not known";
	if (r->no_layer && !r->storage)
		return "diagnose checks a storage that is not known";
	/* metadata */
	if (!r->meta_files[0])
		return "no metadata file";
	for (i = 0; i < RT_PATHS_MAX && r->meta_files[i]; i++)
		if (!meta_file_ok(r->meta_files[i]))
			return "a metadata file not clean, or with a conversion other than one %s";
	if (!strstr(r->meta_files[RT_CONFIG], "%s"))
		return "meta_files[RT_CONFIG] is no container's own file";
	if ((r->stop_signal[0] || r->stop_signal[1]) && (!r->stop_signal[0] || !r->meta))
		return "a stop signal key no reader reads";
	if (r->meta && r->meta->each && !r->known_dir)
		return "a metadata reader that lists containers (find, diagnose) without the "
		       "directory it lists";
	for (i = 0; i < RT_PATHS_MAX && r->task_dirs[i]; i++)
		if (!clean_rel(r->task_dirs[i]))
			return "a task directory not a clean relative path";
	if (r->task_dirs[0] && !r->meta)
		return "task directories no reader reads";
	/* commands */
	if ((r->unpause_in_pod || r->unpause_by_id) && !r->unpause)
		return "an unpause variant without the command";
	return words_problem(&r->words, r->runtime == RUNTIME_DOCKER);
}

/* What is wrong between rows a and b, or NULL. */
static const char *pair_problem(const struct runtime_info *a, const struct runtime_info *b)
{
	if (a->runtime == b->runtime)
		return "two rows for one runtime";
	if (!strcmp(a->name, b->name))
		return "two rows of one name";
	for (int i = 0; i < RT_SHAPES_MAX && a->shapes[i].parent; i++) {
		for (int j = 0; j < RT_SHAPES_MAX && b->shapes[j].parent; j++) {
			const struct rt_shape *x = &a->shapes[i], *y = &b->shapes[j];

			if (!strcmp(x->parent, y->parent) && !strcmp(x->prefix, y->prefix) &&
			    !strcmp(x->suffix, y->suffix))
				return "one cgroup shape for two runtimes";
		}
	}
	for (int i = 0; i < RT_PATHS_MAX && a->watch[i].sub; i++) {
		for (int j = 0; j < RT_PATHS_MAX && b->watch[j].sub; j++) {
			const struct rt_watch *x = &a->watch[i], *y = &b->watch[j];

			if (!strcmp(x->sub, y->sub) &&
			    (x->kind != y->kind || x->states != y->states))
				return "one watched directory of two kinds";
		}
	}
	return NULL;
}

static void assert_row_ok(const struct runtime_info *r)
{
	const char *p = row_problem(r);

	if (p)
		fail_msg("row %s: %s", r->name ? r->name : "?", p);
}

/* Every row is complete, and agrees with every other. */
static void test_every_row(void **state)
{
	const struct runtime_info *all;
	size_t n;

	(void)state;
	all = runtimes_all(&n);
	assert_true(n > 0);
	for (size_t i = 0; i < n; i++) {
		assert_row_ok(&all[i]);
		assert_ptr_equal(runtime_info(all[i].runtime), &all[i]);
		assert_string_equal(runtime_name(all[i].runtime), all[i].name);
		for (size_t j = i + 1; j < n; j++) {
			const char *p = pair_problem(&all[i], &all[j]);

			if (p)
				fail_msg("rows %s and %s: %s", all[i].name, all[j].name, p);
		}
	}
	assert_string_equal(runtime_name(RUNTIME_NONE), "");
	assert_null(words_problem(runtime_pod_words(), false));
}

/* The words of a container's fixes: its pod's, else its runtime's, else Docker's. */
static void test_words_of_container(void **state)
{
	struct container c = {.runtime = RUNTIME_PODMAN};

	(void)state;
	assert_ptr_equal(runtime_words(&c), &runtime_info(RUNTIME_PODMAN)->words);
	c.runtime = RUNTIME_LXC;
	assert_string_equal(runtime_words(&c)->grace_fix, "lxc-stop -t");
	c.runtime = RUNTIME_NONE;
	assert_ptr_equal(runtime_words(&c), &runtime_info(RUNTIME_DOCKER)->words);
	c.runtime = RUNTIME_CONTAINERD;
	strcpy(c.pod_namespace, "default");
	assert_ptr_equal(runtime_words(&c), runtime_pod_words());
	assert_non_null(strstr(runtime_words(&c)->grace_fix, "terminationGracePeriodSeconds"));
}

/* The checks find what they are for: rows broken on purpose are refused. */
static void test_broken_rows_refused(void **state)
{
	const struct runtime_info *docker = runtime_info(RUNTIME_DOCKER);
	struct runtime_info r;

	(void)state;
	r = *docker;
	r.pid_files[0] = r.pid_files[1] = NULL;
	r.sockets[0] = NULL;
	assert_non_null(row_problem(&r)); /* a daemon that cannot be verified */
	r = *docker;
	r.shapes[0].parent = NULL;
	assert_non_null(row_problem(&r)); /* no shape */
	r = *docker;
	r.removers[0] = "containerd";
	r.removers[1] = NULL;
	assert_non_null(row_problem(&r)); /* its daemon removes nothing */
	r = *docker;
	r.meta_files[RT_CONFIG] = "var/lib/docker/%d/config.v2.json";
	assert_non_null(row_problem(&r));
	r = *docker;
	r.storage_roots[0] = "/var/lib/docker";
	assert_non_null(row_problem(&r));
	r = *docker;
	r.known_dir = NULL;
	assert_non_null(row_problem(&r));
	r = *docker;
	r.removed_dirs[0] = NULL;
	r.layers = NULL;
	assert_non_null(row_problem(&r)); /* no removal could ever be told from a stop */
	r = *docker;
	r.layers = "../overlay2";
	assert_non_null(row_problem(&r));
	r = *runtime_info(RUNTIME_CONTAINERD);
	assert_null(row_problem(&r));
	r.task_dirs[0] = "/run/containerd/io.containerd.runtime.v2.task";
	assert_non_null(row_problem(&r)); /* not relative */
	r = *runtime_info(RUNTIME_CONTAINERD);
	r.task_dirs[1] = "run/../etc";
	assert_non_null(row_problem(&r));
	r = *runtime_info(RUNTIME_CRIO);
	r.task_dirs[0] = "run/crio/tasks";
	assert_non_null(row_problem(&r)); /* nobody reads them */
	r = *runtime_info(RUNTIME_PODMAN);
	r.words.grace_fix = NULL;
	assert_non_null(row_problem(&r)); /* a fix without its words */
	r = *runtime_info(RUNTIME_LXC);
	r.words.stop_signal_fix = NULL;
	assert_non_null(row_problem(&r));
	r = *runtime_info(RUNTIME_PODMAN);
	r.runtime = RUNTIME_ISULAD;
	r.name = "isulad-2";
	assert_non_null(pair_problem(&r, runtime_info(RUNTIME_ISULAD)));
	r = *runtime_info(RUNTIME_PODMAN);
	r.runtime = RUNTIME_LXC;
	r.name = "other";
	assert_non_null(pair_problem(&r, runtime_info(RUNTIME_PODMAN))); /* same shapes */
}

/* The kernel side's filter of successful calls: the comms it has always kept. */
static void test_removers(void **state)
{
	static const char *const want[] = {"dockerd", "containerd", "runc",
					   "podman",  "conmon",	    "crun",
					   "crio",    "isulad",	    "lxc-destroy"};
	const char *got[64];
	size_t n = runtimes_removers(got, 64);

	(void)state;
	assert_true(n <= ST_REMOVERS);
	assert_int_equal(n, ARRAY_SIZE(want));
	for (size_t i = 0; i < n; i++)
		assert_string_equal(got[i], want[i]);
	assert_int_equal(runtimes_removers(got, 2), 2);
}

/* The removal hooks' directories under a storage root, in the order they are watched. */
static void test_watches(void **state)
{
	const struct rt_watch *got[64];
	size_t n = runtimes_watches(got, 64);

	(void)state;
	assert_true(n <= RT_WATCHES_MAX);
	assert_int_equal(n, 3);
	assert_string_equal(got[0]->sub, "containers");
	assert_int_equal(got[0]->kind, RT_WATCH_CONTAINERS);
	assert_true(got[0]->states);
	assert_string_equal(got[1]->sub, "overlay-containers");
	assert_int_equal(got[1]->kind, RT_WATCH_CONTAINERS);
	assert_false(got[1]->states);
	assert_string_equal(got[2]->sub, "libpod");
	assert_int_equal(got[2]->kind, RT_WATCH_DATABASE);
}

/* Only dockerd mounts apart; a path from the table is built below the root. */
static void test_daemon_and_paths(void **state)
{
	const struct runtime_info *docker = runtime_info(RUNTIME_DOCKER);
	char path[256];

	(void)state;
	assert_true(runtimes_daemon_mounts_apart("dockerd"));
	assert_false(runtimes_daemon_mounts_apart("containerd"));
	assert_false(runtimes_daemon_mounts_apart("dockerd2"));
	assert_int_equal(runtime_meta_path(docker, RT_CONFIG, "/r//", "abc", path, sizeof(path)),
			 0);
	assert_string_equal(path, "/r/var/lib/docker/containers/abc/config.v2.json");
	assert_int_equal(
		runtime_meta_path(runtime_info(RUNTIME_PODMAN), 1, "", NULL, path, sizeof(path)),
		0);
	assert_string_equal(path, "/var/lib/containers/storage/overlay-containers/containers.json");
	assert_int_equal(runtime_meta_path(docker, 3, "", "abc", path, sizeof(path)), -ENOENT);
	assert_int_equal(runtime_meta_path(docker, RT_CONFIG, "", "abc", path, 16), -ENAMETOOLONG);
}

#define ID  "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
#define LYR "9d1f6c2e0b7a4c3d8e5f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f70819"

/*
 * What only a removal takes away: a container's own directory and its
 * writable layer, not what a stop removes (merged/, the fifos of a run), not
 * a look-alike, not another container's directory.
 */
static void test_removed_paths(void **state)
{
	const struct runtime_info *docker = runtime_info(RUNTIME_DOCKER);
	const struct runtime_info *podman = runtime_info(RUNTIME_PODMAN);
	const struct runtime_info *containerd = runtime_info(RUNTIME_CONTAINERD);

	(void)state;
	assert_true(runtime_removed_path(docker, ID, "/var/lib/docker/containers/" ID));
	assert_true(runtime_removed_path(docker, ID, "/var/lib/docker/overlay2/" LYR));
	/* a moved data root is the same runtime's */
	assert_true(runtime_removed_path(docker, ID, "/data/docker/containers/" ID));
	assert_false(runtime_removed_path(docker, ID, "/var/lib/docker/overlay2/" LYR "/merged"));
	assert_false(runtime_removed_path(docker, ID, "/var/lib/docker/overlay2/" LYR "-init"));
	assert_false(runtime_removed_path(docker, ID, "/var/lib/docker/overlay2/l/ABCDEF"));
	assert_false(runtime_removed_path(docker, ID, "/run/docker/containerd/" ID));
	assert_false(runtime_removed_path(
		docker, ID,
		"/run/docker/containerd/daemon/io.containerd.runtime.v2.task/moby/" ID));
	assert_false(runtime_removed_path(docker, ID, "/var/lib/docker/containers/" ID "/hosts"));
	assert_false(runtime_removed_path(docker, ID, "/var/lib/docker/xcontainers/" ID));
	assert_false(runtime_removed_path(docker, ID, "/var/lib/docker/containers/" LYR));
	assert_false(runtime_removed_path(docker, ID, "/var/lib/docker/overlay/" LYR));
	assert_false(runtime_removed_path(docker, ID, "containers/" ID));
	assert_false(runtime_removed_path(docker, "", "/var/lib/docker/containers/"));
	assert_false(runtime_removed_path(NULL, ID, "/var/lib/docker/containers/" ID));
	assert_true(runtime_removed_path(podman, ID,
					 "/var/lib/containers/storage/overlay-containers/" ID));
	assert_true(runtime_removed_path(podman, ID, "/var/lib/containers/storage/overlay/" LYR));
	assert_false(runtime_removed_path(podman, ID, "/var/lib/docker/overlay2/" LYR));
	assert_true(runtime_removed_path(
		containerd, ID, "/var/lib/containerd/io.containerd.grpc.v1.cri/containers/" ID));
	assert_false(runtime_removed_path(
		containerd, ID, "/run/containerd/io.containerd.runtime.v2.task/k8s.io/" ID));
}

#define SNAPS "/var/lib/docker/containerd/daemon/io.containerd.snapshotter.v1.overlayfs/snapshots/"

/*
 * A plain containerd container's removal is its snapshot going (ctr container
 * rm), not its task bundle (ctr task delete, the end of ctr run); an LXC
 * container's, its rootfs or its directory under var/lib/lxc (lxc-destroy).
 */
static void test_removed_paths_ctr_lxc(void **state)
{
	const struct runtime_info *containerd = runtime_info(RUNTIME_CONTAINERD);
	const struct runtime_info *lxc = runtime_info(RUNTIME_LXC);

	(void)state;
	assert_true(runtime_removed_path(containerd, "web", SNAPS "13"));
	assert_true(
		runtime_removed_path(containerd, "web",
				     "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/"
				     "snapshots/7"));
	assert_false(runtime_removed_path(containerd, "web", SNAPS "13/fs"));
	assert_false(runtime_removed_path(containerd, "web", SNAPS "13a"));
	assert_false(runtime_removed_path(containerd, "web", SNAPS));
	assert_false(runtime_removed_path(containerd, "web", SNAPS "12345678901234567890"));
	assert_false(runtime_removed_path(containerd, "web", SNAPS LYR));
	assert_false(
		runtime_removed_path(containerd, "web",
				     "/run/docker/containerd/daemon/io.containerd.runtime.v2.task/"
				     "default/web"));
	/* numbered layers are containerd's only: Docker's are 64 hex */
	assert_false(runtime_removed_path(runtime_info(RUNTIME_DOCKER), ID,
					  "/var/lib/docker/overlay2/13"));

	assert_true(runtime_removed_path(lxc, "bb", "/var/lib/lxc/bb/rootfs"));
	assert_true(runtime_removed_path(lxc, "bb", "/var/lib/lxc/bb"));
	assert_false(runtime_removed_path(lxc, "bb", "/var/lib/lxc/bb/config"));
	assert_false(runtime_removed_path(lxc, "bb", "/var/lib/lxc/bb/rootfs/etc"));
	assert_false(runtime_removed_path(lxc, "bb", "/var/lib/lxc/xbb/rootfs"));
	assert_false(runtime_removed_path(lxc, "bb", "/var/lib/lxc/cc"));
	assert_false(runtime_removed_path(lxc, "bb", "/var/lib/xlxc/bb"));
	assert_false(runtime_removed_path(lxc, "b", "/var/lib/lxc/bb/rootfs"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_row),
		cmocka_unit_test(test_broken_rows_refused),
		cmocka_unit_test(test_words_of_container),
		cmocka_unit_test(test_removers),
		cmocka_unit_test(test_watches),
		cmocka_unit_test(test_daemon_and_paths),
		cmocka_unit_test(test_removed_paths),
		cmocka_unit_test(test_removed_paths_ctr_lxc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
