// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Tests for user/identity/storage.c: which directories each runtime keeps for a
 * container (fixture trees in tests/fixtures/storage/root, hostile metadata
 * written to a temporary tree), and the path -> container table that maps
 * removal calls back to containers. Run from the repository root.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/array_size.h"
#include "identity/storage.h"

#define ROOT "tests/fixtures/storage/root"

/* 64-hex ids: two hex digits repeated. */
#define H(x) x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x
#define D1   H("d1")
#define M1   H("1a")
#define D2   H("d2")
#define M2   H("2a")
#define D3   H("d3")
#define M3   H("3a")
#define D4   H("d4")
#define P1   H("9a")
#define L1   H("5a")
#define P2   H("9b")
#define C1   H("c1")
#define L2   H("6a")
#define K1   H("e1")
#define K2   H("e2")
#define I1   H("f1")
#define I2   H("f2")
#define I3   H("f3")

#define OV     "/var/lib/docker/overlay2/"
#define CS     "/var/lib/containers/storage/"
#define RUNCS  "/run/containers/storage/"
#define TASK   "/run/containerd/io.containerd.runtime.v2.task/"
#define VTASK  "/var/lib/containerd/io.containerd.runtime.v2.task/"
#define ISULAD "/var/lib/isulad/"

static struct container ctr(enum runtime rt, const char *id)
{
	struct container c;

	memset(&c, 0, sizeof(c));
	c.runtime = rt;
	snprintf(c.id, sizeof(c.id), "%s", id);
	return c;
}

/* storage_paths() under root gives exactly want[], in that order. */
static void expect_paths(const char *root, enum runtime rt, const char *id, const char *const *want)
{
	char paths[STORAGE_PATHS_MAX][STORAGE_PATH_LEN];
	struct container c = ctr(rt, id);
	int n, nwant = 0;

	while (want[nwant])
		nwant++;
	n = storage_paths(root, &c, paths, STORAGE_PATHS_MAX);
	for (int i = 0; i < n && i < nwant; i++)
		assert_string_equal(paths[i], want[i]);
	assert_int_equal(n, nwant);
}

/* ---- storage_paths on the fixture tree ---- */

static void test_docker(void **state)
{
	(void)state;
	/*
	 * mount-id and init-id, both layers' l/ links (and not l/<link>/link: in
	 * a real tree that is a file of the layer's diff), the containers dir
	 */
	expect_paths(ROOT, RUNTIME_DOCKER, D1,
		     (const char *const[]){OV M1, OV M1 "-init", OV "l/ABCDEFGHIJKLMNOPQRSTUVWXY2",
					   OV "l/INITABCDEFGHIJKLMNOPQRSTU2",
					   "/var/lib/docker/containers/" D1, NULL});
	/* no init-id: the -init layer on disk; the task bundle in containerd's moby namespace */
	expect_paths(ROOT, RUNTIME_DOCKER, D2,
		     (const char *const[]){OV M2, OV M2 "-init", "/var/lib/docker/containers/" D2,
					   TASK "moby/" D2, NULL});
	/* no -init directory: none listed */
	expect_paths(ROOT, RUNTIME_DOCKER, D3,
		     (const char *const[]){OV M3, "/var/lib/docker/containers/" D3, NULL});
	/* no layerdb entry: the containers dir only */
	expect_paths(ROOT, RUNTIME_DOCKER, D4,
		     (const char *const[]){"/var/lib/docker/containers/" D4, NULL});
}

static void test_podman_crio(void **state)
{
	(void)state;
	expect_paths(ROOT, RUNTIME_PODMAN, P1,
		     (const char *const[]){
			     CS "overlay/" L1, CS "overlay/l/PODLINKABCDEFGHIJKLMNOPQR2",
			     CS "overlay-containers/" P1, RUNCS "overlay-containers/" P1, NULL});
	expect_paths(ROOT, RUNTIME_CRIO, C1,
		     (const char *const[]){CS "overlay/" L2, CS "overlay-containers/" C1,
					   RUNCS "overlay-containers/" C1, NULL});
	/* "layer": "../../../../etc" names no directory */
	expect_paths(ROOT, RUNTIME_PODMAN, P2,
		     (const char *const[]){CS "overlay-containers/" P2,
					   RUNCS "overlay-containers/" P2, NULL});
}

static void test_containerd(void **state)
{
	(void)state;
	/* two namespaces, sorted; "-evil" and "a..b" are no namespace names */
	expect_paths(ROOT, RUNTIME_CONTAINERD, K1,
		     (const char *const[]){
			     TASK "default/" K1, TASK "k8s.io/" K1, VTASK "k8s.io/" K1,
			     "/var/lib/containerd/io.containerd.grpc.v1.cri/containers/" K1, NULL});
	expect_paths(ROOT, RUNTIME_CONTAINERD, K2, (const char *const[]){NULL});
}

#define SNAP "/var/lib/docker/containerd/daemon/io.containerd.snapshotter.v1.overlayfs/snapshots/"

/* storage_paths() of ctr container id (cgroup /default/<id>): its snapshot, or none. */
static void expect_ctr_snapshot(const char *id, const char *want)
{
	char paths[STORAGE_PATHS_MAX][STORAGE_PATH_LEN];
	struct container c = ctr(RUNTIME_CONTAINERD, id);
	int n;

	snprintf(c.cgroup, sizeof(c.cgroup), "/default/%s", id);
	n = storage_paths(ROOT, &c, paths, STORAGE_PATHS_MAX);
	assert_int_equal(n, want ? 1 : 0);
	if (want)
		assert_string_equal(paths[0], want);
}

/*
 * ctr's containers (ids that are containerd identifiers, not hex): the
 * snapshot under the overlay mounted at the rootfs of their task directory
 * (here the containerd dockerd starts), and only of exactly that shape.
 */
static void test_containerd_snapshot(void **state)
{
	(void)state;
	expect_ctr_snapshot("web", SNAP "13");
	expect_ctr_snapshot("climb", NULL); /* upperdir with ".." */
	expect_ctr_snapshot("word", NULL);  /* not a number */
	expect_ctr_snapshot("tmp", NULL);   /* not an overlay */
	expect_ctr_snapshot("esc", NULL);   /* an escape in the upperdir */
	expect_ctr_snapshot("webx", NULL);  /* mounted below the rootfs, not at it */
	expect_ctr_snapshot("other", NULL); /* not containerd's overlayfs snapshotter */
	expect_ctr_snapshot("noupper", NULL);
	expect_ctr_snapshot("absent", NULL);
}

/* An id that is no containerd identifier is never part of a path. */
static void test_containerd_bad_id(void **state)
{
	char paths[1][STORAGE_PATH_LEN];
	struct container c = ctr(RUNTIME_CONTAINERD, "../web");

	(void)state;
	snprintf(c.cgroup, sizeof(c.cgroup), "/default/../web");
	assert_int_equal(storage_paths(ROOT, &c, paths, 1), -EINVAL);
}

/* LXC: var/lib/lxc/<name>/rootfs and its directory; a name that would climb is refused. */
static void test_lxc(void **state)
{
	char path[STORAGE_PATH_LEN];
	struct container c;

	(void)state;
	expect_paths(ROOT, RUNTIME_LXC, "bb",
		     (const char *const[]){"/var/lib/lxc/bb/rootfs", "/var/lib/lxc/bb", NULL});
	c = ctr(RUNTIME_LXC, "bb");
	assert_int_equal(storage_container_dir(ROOT, &c, path, sizeof(path)), 0);
	assert_string_equal(path, "/var/lib/lxc/bb");
	assert_int_equal(storage_layer(ROOT, &c, path, sizeof(path)), -EOPNOTSUPP);
	for (size_t i = 0; i < 3; i++) {
		static const char *const bad[] = {"..", ".", "a/../../etc"};
		char paths[2][STORAGE_PATH_LEN];

		c = ctr(RUNTIME_LXC, bad[i]);
		assert_int_equal(storage_paths(ROOT, &c, paths, 2), -EINVAL);
		assert_int_equal(storage_container_dir(ROOT, &c, path, sizeof(path)), -EINVAL);
	}
}

static void test_isulad(void **state)
{
	(void)state;
	expect_paths(ROOT, RUNTIME_ISULAD, I1,
		     (const char *const[]){ISULAD "storage/overlay/" I1,
					   ISULAD "storage/overlay/l/ISULINKABCDEFGHIJKLMNOPQR2",
					   ISULAD "storage/overlay-containers/" I1,
					   ISULAD "engines/lcr/" I1, NULL});
	expect_paths(ROOT, RUNTIME_ISULAD, I2,
		     (const char *const[]){ISULAD "engines/runc/" I2, NULL});
	expect_paths(ROOT, RUNTIME_ISULAD, I3,
		     (const char *const[]){ISULAD "engines/lcr/" I3, NULL});
}

static void test_layer_and_dir(void **state)
{
	char path[STORAGE_PATH_LEN], small[16];
	char paths[1][STORAGE_PATH_LEN];
	struct container c;

	(void)state;
	c = ctr(RUNTIME_DOCKER, D1);
	assert_int_equal(storage_layer(ROOT, &c, path, sizeof(path)), 0);
	assert_string_equal(path, OV M1);
	assert_int_equal(storage_container_dir(ROOT, &c, path, sizeof(path)), 0);
	assert_string_equal(path, "/var/lib/docker/containers/" D1);
	assert_int_equal(storage_layer(ROOT, &c, small, sizeof(small)), -ENAMETOOLONG);
	/* max bounds the output; the layer comes first */
	assert_int_equal(storage_paths(ROOT, &c, paths, 1), 1);
	assert_string_equal(paths[0], OV M1);
	assert_int_equal(storage_paths(ROOT, &c, NULL, 0), 0);

	c = ctr(RUNTIME_DOCKER, D4);
	assert_int_equal(storage_layer(ROOT, &c, path, sizeof(path)), -ENOENT);
	c = ctr(RUNTIME_PODMAN, P1);
	assert_int_equal(storage_layer(ROOT, &c, path, sizeof(path)), 0);
	assert_string_equal(path, CS "overlay/" L1);
	assert_int_equal(storage_container_dir(ROOT, &c, path, sizeof(path)), 0);
	assert_string_equal(path, CS "overlay-containers/" P1);
	c = ctr(RUNTIME_PODMAN, P2);
	assert_int_equal(storage_layer(ROOT, &c, path, sizeof(path)), -EINVAL);
	c = ctr(RUNTIME_PODMAN, D1); /* not in containers.json */
	assert_int_equal(storage_layer(ROOT, &c, path, sizeof(path)), -ENOENT);
	c = ctr(RUNTIME_ISULAD, I1);
	assert_int_equal(storage_layer(ROOT, &c, path, sizeof(path)), 0);
	assert_string_equal(path, ISULAD "storage/overlay/" I1);
	c = ctr(RUNTIME_ISULAD, I2);
	assert_int_equal(storage_container_dir(ROOT, &c, path, sizeof(path)), 0);
	assert_string_equal(path, ISULAD "engines/runc/" I2);
	c = ctr(RUNTIME_CONTAINERD, K1);
	assert_int_equal(storage_layer(ROOT, &c, path, sizeof(path)), -EOPNOTSUPP);
	assert_int_equal(storage_container_dir(ROOT, &c, path, sizeof(path)), 0);
	assert_string_equal(path, TASK "default/" K1);
	c = ctr(RUNTIME_CONTAINERD, K2);
	assert_int_equal(storage_container_dir(ROOT, &c, path, sizeof(path)), -ENOENT);

	/* ids that are not 64 hex never reach a path; no runtime, no known storage */
	c = ctr(RUNTIME_DOCKER, "../../../etc");
	assert_int_equal(storage_paths(ROOT, &c, paths, 1), -EINVAL);
	assert_int_equal(storage_layer(ROOT, &c, path, sizeof(path)), -EINVAL);
	c = ctr(RUNTIME_DOCKER, H("D1"));
	assert_int_equal(storage_paths(ROOT, &c, paths, 1), -EINVAL);
	c = ctr(RUNTIME_NONE, "web");
	assert_int_equal(storage_paths(ROOT, &c, paths, 1), -EOPNOTSUPP);
	assert_int_equal(storage_container_dir(ROOT, &c, path, sizeof(path)), -EOPNOTSUPP);
}

/* ---- hostile metadata, in a temporary tree ---- */

static char tmp_root[] = "/tmp/stoptrace-storage-XXXXXX";

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void mkdirs(const char *path)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(buf, 0755);
			*p = '/';
		}
	}
	mkdir(buf, 0755);
}

/* Write len bytes of data at root + rel, making its directories. */
static void put(const char *rel, const char *data, size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", tmp_root, rel);
	*strrchr(path, '/') = '\0';
	mkdirs(path);
	path[strlen(path)] = '/';
	f = fopen(path, "we");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

#define MOUNTS "/var/lib/docker/image/overlay2/layerdb/mounts/"

static int hostile_setup(void **state)
{
	(void)state;
	snprintf(tmp_root, sizeof(tmp_root), "/tmp/stoptrace-storage-XXXXXX");
	return mkdtemp(tmp_root) ? 0 : -1;
}

static int hostile_teardown(void **state)
{
	(void)state;
	return nftw(tmp_root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A docker container whose mount-id file holds data: only its containers dir is found. */
static void expect_mount_id_rejected(const char *id, const char *data, size_t len, int err)
{
	char path[STORAGE_PATH_LEN], rel[PATH_MAX];
	struct container c = ctr(RUNTIME_DOCKER, id);

	snprintf(rel, sizeof(rel), MOUNTS "%s/mount-id", id);
	put(rel, data, len);
	assert_int_equal(storage_layer(tmp_root, &c, path, sizeof(path)), err);
	snprintf(path, sizeof(path), "/var/lib/docker/containers/%s", id);
	expect_paths(tmp_root, RUNTIME_DOCKER, id, (const char *const[]){path, NULL});
}

static void test_hostile_mount_id(void **state)
{
	static const char nul[] = M1 "\0";
	char fifo[PATH_MAX];
	char *big;

	(void)state;
	expect_mount_id_rejected(H("01"), "../../etc", 9, -EINVAL);
	/* dockerd takes the file's bytes as they are: "<id>\n" names no directory of its */
	expect_mount_id_rejected(H("02"), M1 "\n", 65, -EINVAL);
	expect_mount_id_rejected(H("03"), M1 "\n../../etc", 74, -EINVAL);
	expect_mount_id_rejected(H("04"), nul, sizeof(nul) - 1, -EINVAL);
	expect_mount_id_rejected(H("05"), H("1A"), 64, -EINVAL);
	expect_mount_id_rejected(H("06"), M1 "/..", 67, -EINVAL);
	expect_mount_id_rejected(H("07"), "", 0, -EINVAL);
	/* 10 MB: refused at the cap, not read in full */
	big = malloc(10 << 20);
	assert_non_null(big);
	memset(big, 'a', 10 << 20);
	expect_mount_id_rejected(H("08"), big, 10 << 20, -EFBIG);
	free(big);
	/* a FIFO is never opened for reading (it would block) */
	snprintf(fifo, sizeof(fifo), "%s" MOUNTS "%s", tmp_root, H("09"));
	mkdirs(fifo);
	strcat(fifo, "/mount-id");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	expect_paths(tmp_root, RUNTIME_DOCKER, H("09"),
		     (const char *const[]){"/var/lib/docker/containers/" H("09"), NULL});
}

static void test_hostile_other_files(void **state)
{
	static const char cj[] = "[{\"id\": \"" H(
		"9c") "\", \"layer\": \"" L1 "/../../..\"},"
		      " {\"id\": \"" H("9d") "\", \"layer\": \"..\"},"
					     " {\"id\": \"" H("9e") "\", \"layer\": \"" L1 "\"}]";
	static const char other[] = "{\"id\": \"" H("fb") "\", \"layer\": \"" L1 "\"}";
	static const char up[] = "{\"id\": \"" H("fa") "\", \"layer\": \"../" L1 "\"}";
	char rel[PATH_MAX];

	(void)state;
	/* init-id and link files that would lead out of the storage */
	put(MOUNTS H("0a") "/mount-id", M1, 64);
	put(MOUNTS H("0a") "/init-id", "../../../../etc", 15);
	put(OV M1 "/link", "../../../../etc", 15);
	expect_paths(tmp_root, RUNTIME_DOCKER, H("0a"),
		     (const char *const[]){OV M1, "/var/lib/docker/containers/" H("0a"), NULL});
	put(OV M1 "/link", "abc\n", 4);
	put(MOUNTS H("0a") "/init-id", M1 "-init\n", 70);
	expect_paths(tmp_root, RUNTIME_DOCKER, H("0a"),
		     (const char *const[]){OV M1, "/var/lib/docker/containers/" H("0a"), NULL});
	put(OV M1 "/link", "ABCDEF\0/../../X", 16);
	put(MOUNTS H("0a") "/init-id", M1 "/../x", 69);
	expect_paths(tmp_root, RUNTIME_DOCKER, H("0a"),
		     (const char *const[]){OV M1, "/var/lib/docker/containers/" H("0a"), NULL});

	/* containers.json layers with '/' or ".." */
	put(CS "overlay-containers/containers.json", cj, sizeof(cj) - 1);
	expect_paths(tmp_root, RUNTIME_PODMAN, H("9c"),
		     (const char *const[]){CS "overlay-containers/" H("9c"),
					   RUNCS "overlay-containers/" H("9c"), NULL});
	expect_paths(tmp_root, RUNTIME_PODMAN, H("9d"),
		     (const char *const[]){CS "overlay-containers/" H("9d"),
					   RUNCS "overlay-containers/" H("9d"), NULL});
	expect_paths(tmp_root, RUNTIME_PODMAN, H("9e"),
		     (const char *const[]){CS "overlay/" L1, CS "overlay-containers/" H("9e"),
					   RUNCS "overlay-containers/" H("9e"), NULL});

	/* iSulad: a container.json of another container, or with a hostile layer */
	snprintf(rel, sizeof(rel), ISULAD "storage/overlay-containers/%s/container.json", H("fa"));
	put(rel, other, sizeof(other) - 1);
	expect_paths(tmp_root, RUNTIME_ISULAD, H("fa"),
		     (const char *const[]){ISULAD "storage/overlay-containers/" H("fa"),
					   ISULAD "engines/lcr/" H("fa"), NULL});
	put(rel, up, sizeof(up) - 1);
	expect_paths(tmp_root, RUNTIME_ISULAD, H("fa"),
		     (const char *const[]){ISULAD "storage/overlay-containers/" H("fa"),
					   ISULAD "engines/lcr/" H("fa"), NULL});
}

/* ---- the map ---- */

/* The map refuses a path at its bound and counts it; a path it holds moves owner. */
static void test_map_bound(void **state)
{
	struct storage_map *m = storage_map_new();

	(void)state;
	storage_map_limit(m, 2);
	assert_int_equal(storage_map_add(m, "/a", "A"), 0);
	assert_int_equal(storage_map_add(m, "/b", "B"), 0);
	assert_int_equal(storage_map_full(m), 0);
	assert_int_equal(storage_map_add(m, "/c", "C"), -ENOSPC);
	assert_int_equal(storage_map_full(m), 1);
	assert_null(storage_map_lookup(m, "/c", NULL));
	assert_int_equal(storage_map_add(m, "/b", "C"), 0);
	assert_string_equal(storage_map_lookup(m, "/b", NULL), "C");
	assert_int_equal(storage_map_forget(m, "A"), 0);
	assert_int_equal(storage_map_add(m, "/c", "C"), 0);
	assert_int_equal(storage_map_full(m), 1);
	storage_map_free(m);
}

static void test_map_lookup(void **state)
{
	struct storage_map *m = storage_map_new();
	const char *prefix;

	(void)state;
	assert_non_null(m);
	assert_null(storage_map_lookup(m, OV "abc/x", &prefix));
	assert_int_equal(storage_map_add(m, OV "abc", "A"), 0);
	assert_int_equal(storage_map_add(m, OV "abc-init/", "A"), 0); /* trailing '/' dropped */
	assert_int_equal(storage_map_add(m, "/a/b", "X"), 0);
	assert_int_equal(storage_map_add(m, "/a/b/c/d", "Y"), 0);
	assert_int_equal(storage_map_count(m), 4);

	/* exact directory, with a trailing '/', nested file */
	assert_string_equal(storage_map_lookup(m, OV "abc", &prefix), "A");
	assert_string_equal(prefix, OV "abc");
	assert_string_equal(storage_map_lookup(m, OV "abc/", NULL), "A");
	assert_string_equal(storage_map_lookup(m, OV "abc/diff/keep", &prefix), "A");
	assert_string_equal(prefix, OV "abc");
	assert_string_equal(storage_map_lookup(m, OV "abc-init/diff", &prefix), "A");
	assert_string_equal(prefix, OV "abc-init");
	/* siblings sharing a prefix, parents, paths outside */
	assert_null(storage_map_lookup(m, OV "abcd/x", &prefix));
	assert_null(prefix);
	assert_null(storage_map_lookup(m, OV "abcd", NULL));
	assert_null(storage_map_lookup(m, OV "ab", NULL));
	assert_null(storage_map_lookup(m, OV "ab/c", NULL));
	assert_null(storage_map_lookup(m, "/var/lib/docker/overlay2", NULL));
	assert_null(storage_map_lookup(m, "/var/lib/docker/overlay2/", NULL));
	assert_null(storage_map_lookup(m, "/etc/passwd", NULL));
	assert_null(storage_map_lookup(m, "/", NULL));
	assert_null(storage_map_lookup(m, "", NULL));
	assert_null(storage_map_lookup(m, "var/lib/docker/overlay2/abc", NULL));
	assert_null(storage_map_lookup(m, NULL, NULL));
	/* the longest stored prefix wins */
	assert_string_equal(storage_map_lookup(m, "/a/b/c/d/e/f", &prefix), "Y");
	assert_string_equal(prefix, "/a/b/c/d");
	assert_string_equal(storage_map_lookup(m, "/a/b/c/dd", &prefix), "X");
	assert_string_equal(prefix, "/a/b");
	assert_string_equal(storage_map_lookup(m, "/a/b/c", NULL), "X");
	assert_null(storage_map_lookup(m, "/a/bc/d", NULL));

	/* re-adding a path gives it to the new owner, without a second entry */
	assert_int_equal(storage_map_add(m, "/a/b", "Z"), 0);
	assert_int_equal(storage_map_count(m), 4);
	assert_string_equal(storage_map_lookup(m, "/a/b/x", NULL), "Z");

	/* forget: every path of the container, and only those */
	assert_int_equal(storage_map_forget(m, "A"), 0);
	assert_int_equal(storage_map_count(m), 2);
	assert_null(storage_map_lookup(m, OV "abc/diff/keep", NULL));
	assert_null(storage_map_lookup(m, OV "abc-init", NULL));
	assert_string_equal(storage_map_lookup(m, "/a/b/c/d/e", NULL), "Y");
	assert_int_equal(storage_map_forget(m, "A"), -ENOENT);
	assert_int_equal(storage_map_forget(m, "Y"), 0);
	assert_string_equal(storage_map_lookup(m, "/a/b/c/d/e", NULL), "Z");

	/* paths that are not clean absolute paths are refused */
	assert_int_equal(storage_map_add(m, "relative/x", "B"), -EINVAL);
	assert_int_equal(storage_map_add(m, "/", "B"), -EINVAL);
	assert_int_equal(storage_map_add(m, "//", "B"), -EINVAL);
	assert_int_equal(storage_map_add(m, "", "B"), -EINVAL);
	assert_int_equal(storage_map_add(m, "/a//b", "B"), -EINVAL);
	assert_int_equal(storage_map_add(m, "/a/./b", "B"), -EINVAL);
	assert_int_equal(storage_map_add(m, "/a/../b", "B"), -EINVAL);
	assert_int_equal(storage_map_add(m, "/a/..", "B"), -EINVAL);
	assert_int_equal(storage_map_add(m, "/a/b", ""), -EINVAL);
	assert_int_equal(storage_map_add(m, "/a/.b", "B"), 0);
	assert_int_equal(storage_map_count(m), 2);
	storage_map_free(m);
}

/* The fixture containers' storage, learned and then looked up as removals would be. */
static void test_map_from_fixtures(void **state)
{
	static const struct {
		enum runtime rt;
		const char *id;
	} ctrs[] = {
		{RUNTIME_DOCKER, D1}, {RUNTIME_DOCKER, D2}, {RUNTIME_DOCKER, D3},
		{RUNTIME_PODMAN, P1}, {RUNTIME_CRIO, C1},   {RUNTIME_CONTAINERD, K1},
		{RUNTIME_ISULAD, I1},
	};
	static const struct {
		const char *path;
		const char *id;
	} removals[] = {
		{OV M1 "/diff/keep", D1},
		{OV M1 "-init/diff/etc/hosts", D1},
		{OV "l/ABCDEFGHIJKLMNOPQRSTUVWXY2", D1},
		{"/var/lib/docker/containers/" D1 "/hostname", D1},
		{OV M2 "/merged", D2},
		{TASK "moby/" D2 "/rootfs", D2},
		{OV M3, D3},
		{CS "overlay/" L1 "/diff/data", P1},
		{RUNCS "overlay-containers/" C1 "/userdata/pidfile", C1},
		{CS "overlay/" L2 "/work/work", C1},
		{TASK "k8s.io/" K1 "/rootfs", K1},
		{ISULAD "storage/overlay/" I1 "/diff", I1},
		{OV M1 "0/diff", NULL},
		{OV "l", NULL},
		{TASK "k8s.io", NULL},
		{"/var/lib/docker/containers/" D4, NULL},
	};
	char paths[STORAGE_PATHS_MAX][STORAGE_PATH_LEN];
	struct storage_map *m = storage_map_new();
	const char *got;

	(void)state;
	assert_non_null(m);
	for (size_t i = 0; i < ARRAY_SIZE(ctrs); i++) {
		struct container c = ctr(ctrs[i].rt, ctrs[i].id);
		int n = storage_paths(ROOT, &c, paths, STORAGE_PATHS_MAX);

		assert_true(n > 0);
		for (int j = 0; j < n; j++)
			assert_int_equal(storage_map_add(m, paths[j], c.id), 0);
	}
	assert_int_equal(storage_map_count(m), 5 + 4 + 2 + 4 + 3 + 4 + 4);
	for (size_t i = 0; i < ARRAY_SIZE(removals); i++) {
		got = storage_map_lookup(m, removals[i].path, NULL);
		if (!removals[i].id)
			assert_null(got);
		else
			assert_string_equal(got ? got : "(null)", removals[i].id);
	}
	storage_map_free(m);
}

/* Deterministic 64-hex ids for container i and its layer. */
static void fake_id(char *out, unsigned int i, unsigned int salt)
{
	uint64_t x = (i + 1) * 0x9e3779b97f4a7c15ULL ^ salt;

	for (int k = 0; k < 4; k++) {
		x ^= x >> 31;
		x *= 0xbf58476d1ce4e5b9ULL;
		sprintf(out + 16 * k, "%016llx", (unsigned long long)x);
	}
}

/* 1000 containers x 4 paths, 100k lookups against what each should map to. */
static void test_map_scale(void **state)
{
	enum { NCTR = 1000, NLOOKUPS = 100000 };
	static char ids[NCTR][65], layers[NCTR][65];
	struct storage_map *m = storage_map_new();
	char path[512];
	const char *got, *prefix;
	unsigned int seed = 12345, hits = 0, misses = 0;
	struct timespec t0, t1;
	double ns;

	(void)state;
	assert_non_null(m);
	for (unsigned int i = 0; i < NCTR; i++) {
		fake_id(ids[i], i, 1);
		fake_id(layers[i], i, 2);
		snprintf(path, sizeof(path), OV "%.64s", layers[i]);
		assert_int_equal(storage_map_add(m, path, ids[i]), 0);
		snprintf(path, sizeof(path), OV "%.64s-init", layers[i]);
		assert_int_equal(storage_map_add(m, path, ids[i]), 0);
		snprintf(path, sizeof(path), "/var/lib/docker/containers/%.64s", ids[i]);
		assert_int_equal(storage_map_add(m, path, ids[i]), 0);
		snprintf(path, sizeof(path), TASK "moby/%.64s", ids[i]);
		assert_int_equal(storage_map_add(m, path, ids[i]), 0);
	}
	assert_int_equal(storage_map_count(m), 4 * NCTR);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned int k = 0; k < NLOOKUPS; k++) {
		unsigned int i = (unsigned int)rand_r(&seed) % NCTR;
		unsigned int kind = (unsigned int)rand_r(&seed) % 6;
		const char *want = ids[i];

		switch (kind) {
		case 0:
			snprintf(path, sizeof(path), OV "%.64s/diff/var/lib/data/file%u", layers[i],
				 k);
			break;
		case 1:
			snprintf(path, sizeof(path), OV "%.64s-init", layers[i]);
			break;
		case 2:
			snprintf(path, sizeof(path), "/var/lib/docker/containers/%.64s/mounts/shm",
				 ids[i]);
			break;
		case 3:
			snprintf(path, sizeof(path), TASK "moby/%.64s/rootfs", ids[i]);
			break;
		case 4: /* a sibling: one more character */
			snprintf(path, sizeof(path), OV "%.64sx/diff", layers[i]);
			want = NULL;
			break;
		default: /* the id where a layer is expected */
			snprintf(path, sizeof(path), OV "%.64s/diff", ids[i]);
			want = NULL;
			break;
		}
		got = storage_map_lookup(m, path, &prefix);
		if (want) {
			assert_non_null(got);
			assert_string_equal(got, want);
			assert_true(!strncmp(path, prefix, strlen(prefix)));
			hits++;
		} else {
			assert_null(got);
			misses++;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ns = (t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);
	print_message("    %d lookups (%u hits, %u misses): %.0f ns each\n", NLOOKUPS, hits, misses,
		      ns / NLOOKUPS);

	/* forgetting half leaves the other half intact */
	for (unsigned int i = 0; i < NCTR; i += 2)
		assert_int_equal(storage_map_forget(m, ids[i]), 0);
	assert_int_equal(storage_map_count(m), 4 * NCTR / 2);
	for (unsigned int i = 0; i < NCTR; i++) {
		snprintf(path, sizeof(path), OV "%.64s/merged", layers[i]);
		got = storage_map_lookup(m, path, NULL);
		if (i % 2)
			assert_string_equal(got ? got : "(null)", ids[i]);
		else
			assert_null(got);
	}
	storage_map_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_docker),
		cmocka_unit_test(test_podman_crio),
		cmocka_unit_test(test_containerd),
		cmocka_unit_test(test_containerd_snapshot),
		cmocka_unit_test(test_containerd_bad_id),
		cmocka_unit_test(test_lxc),
		cmocka_unit_test(test_isulad),
		cmocka_unit_test(test_layer_and_dir),
		cmocka_unit_test_setup_teardown(test_hostile_mount_id, hostile_setup,
						hostile_teardown),
		cmocka_unit_test_setup_teardown(test_hostile_other_files, hostile_setup,
						hostile_teardown),
		cmocka_unit_test(test_map_lookup),
		cmocka_unit_test(test_map_bound),
		cmocka_unit_test(test_map_from_fixtures),
		cmocka_unit_test(test_map_scale),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
