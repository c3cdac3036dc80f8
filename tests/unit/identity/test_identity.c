// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Tests for user/identity/identity.c and the JSON reader it uses. Run from the
 * repository root: metadata fixtures live in tests/fixtures/identity/root.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* nftw */
#endif
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/array_size.h"
#include "identity/identity.h"
#include "lib/jsonr.h"
#include "identity/runtimes.h"

#define ROOT "tests/fixtures/identity/root"

#define ID1  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ID2  "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define UID  "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f"
#define UID_ "6f1c2d3e_4a5b_4c6d_8e9f_0a1b2c3d4e5f"
/* A string literal and its length. */
#define S(lit) (lit), sizeof(lit) - 1

#define KP_SD "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_ ".slice"

/* Containers in the fixture tree. */
#define D_WEB1	  "aaaa1111bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define D_WEB2	  "aaaa2222cccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
#define D_TRUNC	  "b011111111111111111111111111111111111111111111111111111111111111"
#define D_HUGE	  "c022222222222222222222222222222222222222222222222222222222222222"
#define D_EVIL	  "d033333333333333333333333333333333333333333333333333333333333333"
#define D_GARBAGE "e044444444444444444444444444444444444444444444444444444444444444"
#define D_NUL	  "f055555555555555555555555555555555555555555555555555555555555555"
#define D_DUP	  "0d66666666666666666666666666666666666666666666666666666666666666"
#define P_WEB	  "9a77777777777777777777777777777777777777777777777777777777777777"
#define P_DB	  "9b88888888888888888888888888888888888888888888888888888888888888"
#define P_LONG	  "9caaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define K_APP	  "5c99999999999999999999999999999999999999999999999999999999999999"

/* ---- identity_parse_cgroup ---- */

struct cg_case {
	const char *path;
	enum runtime rt;
	const char *id;
	const char *pod_uid;
};

static const struct cg_case accepted[] = {
	/* docker, cgroupfs (v1 and v2) and systemd drivers, nesting, /proc lines */
	{"/docker/" ID1, RUNTIME_DOCKER, ID1, ""},
	{"/docker/" ID1 "/", RUNTIME_DOCKER, ID1, ""},
	{"//docker//" ID1, RUNTIME_DOCKER, ID1, ""},
	{"/system.slice/docker-" ID1 ".scope", RUNTIME_DOCKER, ID1, ""},
	/* the outermost container owns every cgroup below it */
	{"/docker/" ID1 "/docker/" ID2, RUNTIME_DOCKER, ID1, ""},
	{"/system.slice/docker-" ID1 ".scope/docker/" ID2, RUNTIME_DOCKER, ID1, ""},
	{"/docker/" ID1 "/init", RUNTIME_DOCKER, ID1, ""},
	{"0::/docker/" ID1, RUNTIME_DOCKER, ID1, ""},
	{"4:memory:/docker/" ID1 "\n", RUNTIME_DOCKER, ID1, ""},
	{"1:name=systemd:/system.slice/docker-" ID1 ".scope", RUNTIME_DOCKER, ID1, ""},
	{KP_SD "/docker-" ID1 ".scope", RUNTIME_DOCKER, ID1, UID},
	/* containerd under Kubernetes, both drivers, every QoS class */
	{"/kubepods/burstable/pod" UID "/" ID1, RUNTIME_CONTAINERD, ID1, UID},
	{"/kubepods/besteffort/pod" UID "/" ID1, RUNTIME_CONTAINERD, ID1, UID},
	{"/kubepods/pod" UID "/" ID1, RUNTIME_CONTAINERD, ID1, UID},
	{"/kubepods/burstable/pod0123456789abcdef0123456789abcdef/" ID1, RUNTIME_CONTAINERD, ID1,
	 "0123456789abcdef0123456789abcdef"},
	{KP_SD "/cri-containerd-" ID1 ".scope", RUNTIME_CONTAINERD, ID1, UID},
	{"/kubepods.slice/kubepods-pod" UID_ ".slice/cri-containerd-" ID1 ".scope",
	 RUNTIME_CONTAINERD, ID1, UID},
	{"/system.slice/cri-containerd-" ID1 ".scope", RUNTIME_CONTAINERD, ID1, ""},
	{"/system.slice/nerdctl-" ID1 ".scope", RUNTIME_CONTAINERD, ID1, ""},
	{"/kubepods/burstable/pod" UID "/" ID1 "/docker/" ID2, RUNTIME_CONTAINERD, ID1, UID},
	/* cri-o */
	{"/kubepods/burstable/pod" UID "/crio-" ID1, RUNTIME_CRIO, ID1, UID},
	{"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_ ".slice/crio-" ID1
	 ".scope",
	 RUNTIME_CRIO, ID1, UID},
	{KP_SD "/crio-" ID1 ".scope/container", RUNTIME_CRIO, ID1, UID},
	/* podman: cgroupfs, systemd, rootless, pods, --cgroups=split */
	{"/libpod_parent/libpod-" ID1, RUNTIME_PODMAN, ID1, ""},
	{"/machine.slice/libpod-" ID1 ".scope", RUNTIME_PODMAN, ID1, ""},
	{"/machine.slice/libpod-" ID1 ".scope/container", RUNTIME_PODMAN, ID1, ""},
	{"/machine.slice/machine-libpod_pod_" ID2 ".slice/libpod-" ID1 ".scope", RUNTIME_PODMAN,
	 ID1, ""},
	{"/libpod_parent/" ID2 "/libpod-" ID1, RUNTIME_PODMAN, ID1, ""},
	{"/libpod_parent/libpod-" ID2 "/libpod-payload-" ID1, RUNTIME_PODMAN, ID2, ""},
	/* iSulad */
	{"/isulad/" ID1, RUNTIME_ISULAD, ID1, ""},
	{"/system.slice/isulad-" ID1 ".scope", RUNTIME_ISULAD, ID1, ""},
	/* LXC */
	{"/lxc.payload.web01", RUNTIME_LXC, "web01", ""},
	{"/lxc.payload.web01/init.scope", RUNTIME_LXC, "web01", ""},
	{"/lxc.payload.web01/system.slice/cron.service", RUNTIME_LXC, "web01", ""},
	{"/lxc.payload.My.ct_1-a", RUNTIME_LXC, "My.ct_1-a", ""},
	{"/lxc.payload.web01/lxc.payload.inner", RUNTIME_LXC, "web01", ""},
	{"/lxc.payload.web01/system.slice/docker-" ID1 ".scope", RUNTIME_LXC, "web01", ""},
};

static const char *const rejected[] = {
	"",
	"/",
	"/docker",
	"/docker/",
	"/system.slice",
	"/system.slice/docker.service",
	"/system.slice/containerd.service",
	"/user.slice/user-1000.slice/session-3.scope",
	"/user.slice/user-1000.slice/user@1000.service/app.slice",
	"/init.scope",
	"0::/",
	"0::/system.slice",
	/* ids of the wrong shape */
	"/docker/0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
	"/docker/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde",
	"/docker/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0",
	"/docker/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg",
	"/docker/abc",
	"/docker/" ID1 "x",
	"/system.slice/docker-" ID1,
	"/system.slice/docker-" ID1 ".scope.bak",
	"/system.slice/docker-abc.scope",
	"/libpod-" ID1 "x",
	/* a bare id outside a runtime's parent is too generic */
	"/" ID1,
	"/default/" ID1,
	"/k8s.io/" ID1,
	"/pod" UID "/" ID1,
	/* pods and QoS levels are not containers */
	"/kubepods",
	"/kubepods/burstable",
	"/kubepods/burstable/pod" UID,
	"/kubepods.slice/kubepods-burstable.slice",
	KP_SD,
	"/kubepods/burstable/podXYZ/" ID1,
	/* look-alikes: a runtime's shape where that runtime puts no container */
	"/user.slice/user-1000.slice/user@1000.service/docker-" ID1 ".scope",
	"/user.slice/user-1000.slice/user@1000.service/docker/" ID1,
	"/user.slice/user-1000.slice/user@1000.service/app.slice/docker-" ID1 ".scope",
	"/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID1 ".scope",
	"/user.slice/user-1000.slice/user@1000.service/lxc.payload.c1",
	"/user.slice/user-1000.slice/user@1000.service/system.slice/docker-" ID1 ".scope",
	"/foo/docker/" ID1,
	"/foo/system.slice/docker-" ID1 ".scope",
	"/system.slice/foo.service/docker-" ID1 ".scope",
	"/system.slice/web.service/libpod-payload-" ID1,
	"/crio-" ID1 ".scope",
	"/docker-" ID1 ".scope",
	"/machine.slice/foo/libpod-" ID1 ".scope",
	"/machine.slice/machine-libpod_pod_abc.slice/libpod-" ID1 ".scope",
	"/lxc/lxc.payload.web01",
	"/system.slice/lxc.payload.web01",
	"/x/kubepods/pod" UID "/" ID1,
	"/kubepods/burstable/x/pod" UID "/" ID1,
	"/kubepods/guaranteed/pod" UID "/" ID1,
	"/kubepods.slice/kubepods-burstable.slice/kubepods-besteffort-pod" UID_ ".slice/crio-" ID1,
	"/kubepods.slice/kubepods-pod" UID ".slice/cri-containerd-" ID1 ".scope",
	"/kubepods/pod" UID "/docker/" ID1,
	/* conmon and LXC's monitor */
	"/kubepods/burstable/pod" UID "/crio-conmon-" ID1,
	KP_SD "/crio-conmon-" ID1 ".scope",
	"/machine.slice/libpod-conmon-" ID1 ".scope",
	"/libpod_parent/conmon",
	"/lxc.monitor.web01",
	"/lxc.monitor",
	/* LXC names */
	"/lxc.payload.",
	"/lxc.payload..",
	"/lxc.payload.we b",
	"/lxc.payload.a;rm",
	"/lxc.payload.a\\b",
	"/lxc.payload.a\x1b[31m",
};

static void test_parse_accepts(void **state)
{
	struct cgroup_match m;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(accepted); i++) {
		const struct cg_case *k = &accepted[i];

		memset(&m, 0x5a, sizeof(m));
		if (!identity_parse_cgroup(k->path, &m))
			fail_msg("rejected %s", k->path);
		if (m.runtime != k->rt || strcmp(m.id, k->id) || strcmp(m.pod_uid, k->pod_uid))
			fail_msg("%s: got %s %s pod '%s'", k->path, runtime_name(m.runtime), m.id,
				 m.pod_uid);
		assert_true(identity_parse_cgroup(k->path, NULL));
	}
}

static void test_parse_rejects(void **state)
{
	struct cgroup_match m;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(rejected); i++) {
		memset(&m, 0x5a, sizeof(m));
		if (identity_parse_cgroup(rejected[i], &m))
			fail_msg("accepted %s as %s %s", rejected[i], runtime_name(m.runtime),
				 m.id);
		assert_int_equal(m.runtime, RUNTIME_NONE);
		assert_string_equal(m.id, "");
	}
	assert_false(identity_parse_cgroup(NULL, &m));
}

static void test_parse_lxc_name_length(void **state)
{
	char path[300], name[200];
	struct cgroup_match m;

	(void)state;
	memset(name, 'n', 127);
	name[127] = '\0';
	snprintf(path, sizeof(path), "/lxc.payload.%s", name);
	assert_true(identity_parse_cgroup(path, &m));
	assert_int_equal(m.runtime, RUNTIME_LXC);
	assert_string_equal(m.id, name);
	snprintf(path, sizeof(path), "/lxc.payload.%sx", name);
	assert_false(identity_parse_cgroup(path, &m));
}

static void test_runtime_name(void **state)
{
	(void)state;
	assert_string_equal(runtime_name(RUNTIME_DOCKER), "docker");
	assert_string_equal(runtime_name(RUNTIME_PODMAN), "podman");
	assert_string_equal(runtime_name(RUNTIME_CONTAINERD), "containerd");
	assert_string_equal(runtime_name(RUNTIME_CRIO), "cri-o");
	assert_string_equal(runtime_name(RUNTIME_ISULAD), "isulad");
	assert_string_equal(runtime_name(RUNTIME_LXC), "lxc");
	assert_string_equal(runtime_name(RUNTIME_NONE), "");
	assert_string_equal(runtime_name((enum runtime)99), "");
}

/* ---- identity_load_meta ---- */

static void container_init(struct container *c, enum runtime rt, const char *id)
{
	memset(c, 0, sizeof(*c));
	c->runtime = rt;
	snprintf(c->id, sizeof(c->id), "%s", id);
}

static void test_meta_docker(void **state)
{
	struct container c;

	(void)state;
	container_init(&c, RUNTIME_DOCKER, D_WEB1);
	strcpy(c.pod_namespace, "untouched");
	assert_int_equal(identity_load_meta(ROOT, &c), 0);
	assert_string_equal(c.name, "web-1");
	assert_int_equal(c.stop_signal, 3); /* SIGQUIT */
	assert_string_equal(c.pod_namespace, "untouched");
	assert_string_equal(c.pod_name, "");

	/* "QUIT" without the prefix, and a root given with a trailing slash */
	container_init(&c, RUNTIME_DOCKER, D_WEB2);
	assert_int_equal(identity_load_meta(ROOT "/", &c), 0);
	assert_string_equal(c.name, "web-2");
	assert_int_equal(c.stop_signal, 3);
}

static void test_meta_docker_truncated(void **state)
{
	struct container c;

	(void)state;
	/* Cut inside "Config": the name before the cut is still read. */
	container_init(&c, RUNTIME_DOCKER, D_TRUNC);
	assert_int_equal(identity_load_meta(ROOT, &c), 0);
	assert_string_equal(c.name, "trunc");
	assert_int_equal(c.stop_signal, 0);
}

static void test_meta_docker_huge_name(void **state)
{
	struct container c;
	size_t i, n;

	(void)state;
	container_init(&c, RUNTIME_DOCKER, D_HUGE);
	assert_int_equal(identity_load_meta(ROOT, &c), 0);
	n = strlen(c.name);
	assert_true(n < NAME_LEN);
	/* 1500 two-byte characters, cut between characters, never inside one */
	assert_int_equal(n, 254);
	for (i = 0; i < n; i += 2)
		assert_memory_equal(c.name + i, "\xc3\xa9", 2);
	assert_int_equal(c.stop_signal, 37); /* SIGRTMIN+3 as docker numbers it */
}

static void test_meta_docker_hostile_name(void **state)
{
	struct container c;

	(void)state;
	/* Returned as it is: escaping is the output's job. */
	container_init(&c, RUNTIME_DOCKER, D_EVIL);
	assert_int_equal(identity_load_meta(ROOT, &c), 0);
	assert_string_equal(c.name, "evil\"name\nline2\x1b[31m");
	assert_int_equal(c.stop_signal, 3);

	/* \u0000 cannot be a C string: the name stays unknown. */
	container_init(&c, RUNTIME_DOCKER, D_NUL);
	strcpy(c.name, "previous");
	assert_int_equal(identity_load_meta(ROOT, &c), 0);
	assert_string_equal(c.name, "previous");
	assert_int_equal(c.stop_signal, 0); /* "SIGNOPE" */
}

static void test_meta_docker_garbage(void **state)
{
	struct container c;

	(void)state;
	container_init(&c, RUNTIME_DOCKER, D_GARBAGE);
	strcpy(c.name, "keep");
	assert_int_equal(identity_load_meta(ROOT, &c), -EINVAL);
	assert_string_equal(c.name, "keep");
	assert_int_equal(c.stop_signal, 0);
}

static void test_meta_missing(void **state)
{
	struct container c;

	(void)state;
	container_init(&c, RUNTIME_DOCKER, ID1);
	assert_int_equal(identity_load_meta(ROOT, &c), -ENOENT);
	assert_string_equal(c.name, "");
	container_init(&c, RUNTIME_DOCKER, ID1);
	assert_int_equal(identity_load_meta("/nonexistent-stoptrace-root", &c), -ENOENT);
	container_init(&c, RUNTIME_LXC, "web01");
	assert_int_equal(identity_load_meta(ROOT, &c), -ENOENT);
	/* An id that is not an id never becomes a path. */
	container_init(&c, RUNTIME_DOCKER, "../../../../etc");
	assert_int_equal(identity_load_meta(ROOT, &c), -ENOENT);
	container_init(&c, RUNTIME_DOCKER, "");
	assert_int_equal(identity_load_meta(ROOT, &c), -EINVAL);
}

static void test_meta_podman(void **state)
{
	struct container c;
	size_t i;

	(void)state;
	container_init(&c, RUNTIME_PODMAN, P_WEB);
	assert_int_equal(identity_load_meta(ROOT, &c), 0);
	assert_string_equal(c.name, "pod-web");
	assert_int_equal(c.stop_signal, 2); /* annotation in userdata/config.json */

	container_init(&c, RUNTIME_PODMAN, P_DB);
	assert_int_equal(identity_load_meta(ROOT, &c), 0);
	assert_string_equal(c.name, "db");
	assert_int_equal(c.stop_signal, 0);

	/* 200 two-byte characters: cut between characters, never inside one */
	container_init(&c, RUNTIME_PODMAN, P_LONG);
	assert_int_equal(identity_load_meta(ROOT, &c), 0);
	assert_int_equal(strlen(c.name), 254);
	for (i = 0; i < 254; i += 2)
		assert_memory_equal(c.name + i, "\xc3\xa9", 2);

	container_init(&c, RUNTIME_PODMAN, D_WEB1);
	assert_int_equal(identity_load_meta(ROOT, &c), -ENOENT);
}

static void test_meta_kubernetes(void **state)
{
	struct container c;

	(void)state;
	container_init(&c, RUNTIME_CONTAINERD, K_APP);
	assert_int_equal(identity_load_meta(ROOT, &c), 0);
	assert_string_equal(c.name, "app");
	assert_string_equal(c.pod_name, "web-5d8f7c9b6-x2x9z");
	assert_string_equal(c.pod_namespace, "prod");
	assert_string_equal(c.pod_uid, UID); /* from the link's target */

	/* A uid the cgroup path gave is kept. */
	container_init(&c, RUNTIME_CRIO, K_APP);
	strcpy(c.pod_uid, "11111111-2222-3333-4444-555555555555");
	assert_int_equal(identity_load_meta(ROOT, &c), 0);
	assert_string_equal(c.pod_uid, "11111111-2222-3333-4444-555555555555");
	assert_string_equal(c.name, "app");

	/* A link whose name has no <pod>_<namespace>_ part is not used. */
	container_init(&c, RUNTIME_CONTAINERD, P_DB);
	assert_int_equal(identity_load_meta(ROOT, &c), -ENOENT);
	assert_string_equal(c.pod_name, "");
}

static int make_dirs(const char *path)
{
	char buf[512], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			if (mkdir(buf, 0755) && errno != EEXIST)
				return -errno;
			*p = '/';
		}
	}
	if (mkdir(buf, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rm_tree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void test_meta_file_limits(void **state)
{
	char tmp[] = "/tmp/stoptrace-meta-XXXXXX", dir[512], file[600];
	struct container c;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(tmp));

	/* Larger than the cap: refused without reading it. */
	snprintf(dir, sizeof(dir), "%s/var/lib/docker/containers/%s", tmp, ID1);
	assert_int_equal(make_dirs(dir), 0);
	snprintf(file, sizeof(file), "%s/config.v2.json", dir);
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{\"Name\":\"/big\"", 14), 14);
	assert_int_equal(ftruncate(fd, 5 << 20), 0);
	close(fd);
	container_init(&c, RUNTIME_DOCKER, ID1);
	assert_int_equal(identity_load_meta(tmp, &c), -EFBIG);
	assert_string_equal(c.name, "");

	/* A FIFO where the file should be: refused, and the read does not block. */
	snprintf(dir, sizeof(dir), "%s/var/lib/docker/containers/%s", tmp, ID2);
	assert_int_equal(make_dirs(dir), 0);
	snprintf(file, sizeof(file), "%s/config.v2.json", dir);
	assert_int_equal(mkfifo(file, 0644), 0);
	container_init(&c, RUNTIME_DOCKER, ID2);
	assert_int_equal(identity_load_meta(tmp, &c), -EINVAL);

	/* An empty file. */
	snprintf(file, sizeof(file), "%s/var/lib/docker/containers/%s/config.v2.json", tmp, ID1);
	assert_int_equal(truncate(file, 0), 0);
	container_init(&c, RUNTIME_DOCKER, ID1);
	assert_int_equal(identity_load_meta(tmp, &c), -EINVAL);

	rm_tree(tmp);
}

/* ---- identity_find ---- */

static void test_find_by_id(void **state)
{
	struct container c;

	(void)state;
	assert_int_equal(identity_find(ROOT, D_WEB1, &c), 0);
	assert_int_equal(c.runtime, RUNTIME_DOCKER);
	assert_string_equal(c.id, D_WEB1);
	assert_string_equal(c.name, "web-1");
	assert_int_equal(c.stop_signal, 3);

	assert_int_equal(identity_find(ROOT, P_WEB, &c), 0);
	assert_int_equal(c.runtime, RUNTIME_PODMAN);
	assert_string_equal(c.name, "pod-web");
	assert_int_equal(c.stop_signal, 2);
}

static void test_find_by_prefix(void **state)
{
	struct container c;

	(void)state;
	assert_int_equal(identity_find(ROOT, "aaaa1", &c), 0);
	assert_string_equal(c.id, D_WEB1);
	assert_int_equal(identity_find(ROOT, "aaaa2222c", &c), 0);
	assert_string_equal(c.id, D_WEB2);
	assert_string_equal(c.name, "web-2");
	assert_int_equal(identity_find(ROOT, "9a", &c), 0);
	assert_string_equal(c.id, P_WEB);
	assert_int_equal(c.runtime, RUNTIME_PODMAN);
	assert_int_equal(identity_find(ROOT, "d", &c), 0); /* one char suffices when unique */
	assert_string_equal(c.id, D_EVIL);

	assert_int_equal(identity_find(ROOT, "aaaa", &c), -EEXIST);
	assert_int_equal(identity_find(ROOT, "9", &c), -EEXIST); /* two podman ids */
	assert_int_equal(identity_find(ROOT, "a", &c), -EEXIST);
}

static void test_find_by_name(void **state)
{
	struct container c;

	(void)state;
	assert_int_equal(identity_find(ROOT, "web-1", &c), 0);
	assert_string_equal(c.id, D_WEB1);
	assert_int_equal(c.runtime, RUNTIME_DOCKER);
	assert_int_equal(identity_find(ROOT, "/web-1", &c), 0);
	assert_string_equal(c.id, D_WEB1);
	assert_int_equal(identity_find(ROOT, "trunc", &c), 0);
	assert_string_equal(c.id, D_TRUNC);

	/* podman: any of the names; the first one is reported */
	assert_int_equal(identity_find(ROOT, "alias", &c), 0);
	assert_string_equal(c.id, P_WEB);
	assert_string_equal(c.name, "pod-web");
	assert_int_equal(identity_find(ROOT, "db", &c), 0);
	assert_string_equal(c.id, P_DB);

	/* a docker and a podman container both called "dup" */
	assert_int_equal(identity_find(ROOT, "dup", &c), -EEXIST);
}

static void test_find_missing(void **state)
{
	struct container c;

	(void)state;
	assert_int_equal(identity_find(ROOT, "nope", &c), -ENOENT);
	assert_int_equal(identity_find(ROOT, "0123", &c), -ENOENT);
	assert_int_equal(identity_find(ROOT, ID1, &c), -ENOENT);
	assert_int_equal(identity_find(ROOT, "short", &c), -ENOENT); /* entry without a valid id */
	assert_int_equal(identity_find(ROOT, "not-a-container", &c), -ENOENT);
	assert_int_equal(identity_find(ROOT, "/", &c), -ENOENT);
	assert_int_equal(identity_find("/nonexistent-stoptrace-root", "web-1", &c), -ENOENT);
	assert_int_equal(identity_find(ROOT, "", &c), -EINVAL);
}

/* ---- identity_scan ---- */

struct seen {
	uint64_t ino[64];
	char path[64][CGROUP_PATH_LEN];
	int n;
	int stop_after;
};

static int record(uint64_t cgroup_id, const char *path, void *ctx)
{
	struct seen *s = ctx;

	if (s->n == 64)
		return -ENOSPC;
	s->ino[s->n] = cgroup_id;
	snprintf(s->path[s->n], CGROUP_PATH_LEN, "%s", path);
	s->n++;
	return s->stop_after && s->n == s->stop_after ? 42 : 0;
}

static int seen_find(const struct seen *s, const char *path)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->path[i], path))
			return i;
	return -1;
}

static void test_scan(void **state)
{
	static const char *const want[] = {
		"/docker/" ID1,
		"/docker/" ID1 "/init",
		"/docker/" ID1 "/docker", /* a subgroup of the outer container */
		"/docker/" ID1 "/docker/" ID2,
		"/system.slice/docker-" ID2 ".scope",
		"/kubepods/burstable/pod" UID "/" ID1,
		"/libpod_parent/libpod-" ID2,
		"/lxc.payload.c1",
		"/lxc.payload.c1/n2/n3/n4/n5/n6/n7/n8/n9/n10/n11/n12/n13/n14/n15/leaf",
	};
	static const char *const other[] = {
		"/docker",
		"/system.slice",
		"/kubepods/burstable/pod" UID "/crio-conmon-" ID1,
		"/lxc.monitor.c1",
		("/lxc.payload.c1/n2/n3/n4/n5/n6/n7/n8/n9/n10/n11/n12/n13/n14/n15/n16/leaf"),
		"/n1/n2/n3/n4/n5/n6/n7/n8/n9/n10/n11/n12/n13/n14/n15/crio-" ID1,
	};
	char tmp[] = "/tmp/stoptrace-scan-XXXXXX", path[1024], link[1024];
	static struct seen seen;
	struct seen *s = &seen;
	struct stat st;
	size_t i;
	int at;

	(void)state;
	memset(s, 0, sizeof(*s));
	assert_non_null(mkdtemp(tmp));
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		snprintf(path, sizeof(path), "%s%s", tmp, want[i]);
		assert_int_equal(make_dirs(path), 0);
	}
	for (i = 0; i < ARRAY_SIZE(other); i++) {
		snprintf(path, sizeof(path), "%s%s", tmp, other[i]);
		assert_int_equal(make_dirs(path), 0);
	}
	/* A symlink to a container's directory and a file named like one: skipped. */
	snprintf(path, sizeof(path), "%s/docker/" ID1, tmp);
	snprintf(link, sizeof(link), "%s/system.slice/docker-" ID1 ".scope", tmp);
	assert_int_equal(symlink(path, link), 0);
	snprintf(path, sizeof(path), "%s/libpod_parent/libpod-" ID1, tmp);
	assert_int_equal(close(open(path, O_WRONLY | O_CREAT, 0644)), 0);

	assert_int_equal(identity_scan(tmp, NULL, record, s), 0);
	/* want, and the 15 directories n2 ... n16 below /lxc.payload.c1: all the container's */
	assert_int_equal(s->n, ARRAY_SIZE(want) + 15);
	for (i = 0; i < ARRAY_SIZE(other); i++)
		if (seen_find(s, other[i]) >= 0)
			fail_msg("reported: %s", other[i]);
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		at = seen_find(s, want[i]);
		if (at < 0)
			fail_msg("not reported: %s", want[i]);
		snprintf(path, sizeof(path), "%s%s", tmp, want[i]);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(s->ino[at], st.st_ino);
	}

	/* fn's non-zero return ends the walk and is passed back. */
	memset(s, 0, sizeof(*s));
	s->stop_after = 2;
	assert_int_equal(identity_scan(tmp, NULL, record, s), 42);
	assert_int_equal(s->n, 2);

	assert_int_equal(identity_scan("/nonexistent-stoptrace-cgroup", NULL, record, s), -ENOENT);
	snprintf(path, sizeof(path), "%s/libpod_parent/libpod-" ID1, tmp);
	assert_int_equal(identity_scan(path, NULL, record, s), -ENOTDIR);
	assert_int_equal(identity_scan(tmp, NULL, NULL, s), -EINVAL);

	rm_tree(tmp);
}

/* ---- identity_table ---- */

static void test_table_basic(void **state)
{
	struct identity_table *t = identity_table_new();
	struct container c, *e;

	(void)state;
	assert_non_null(t);
	container_init(&c, RUNTIME_DOCKER, ID1);
	strcpy(c.name, "web-1");
	e = identity_table_add(t, 100, &c);
	assert_non_null(e);
	assert_string_equal(e->name, "web-1");
	/* The same container in a second hierarchy. */
	assert_non_null(identity_table_add(t, 200, &c));
	assert_int_equal(identity_table_count(t), 2);
	assert_ptr_equal(identity_table_get(t, 100), e);
	assert_string_equal(identity_table_get(t, 200)->id, ID1);
	assert_null(identity_table_get(t, 300));
	assert_non_null(identity_table_by_id(t, ID1));
	assert_null(identity_table_by_id(t, ID2));

	/* Replacing keeps the count and moves the entry to its new id. */
	container_init(&c, RUNTIME_PODMAN, ID2);
	assert_ptr_equal(identity_table_add(t, 100, &c), e);
	assert_int_equal(identity_table_count(t), 2);
	assert_int_equal(identity_table_get(t, 100)->runtime, RUNTIME_PODMAN);
	assert_ptr_equal(identity_table_by_id(t, ID2), e);
	assert_ptr_equal(identity_table_by_id(t, ID1), identity_table_get(t, 200));
	/* Adding an entry onto itself is harmless. */
	assert_ptr_equal(identity_table_add(t, 100, e), e);
	assert_string_equal(e->id, ID2);

	identity_table_del(t, 200);
	assert_int_equal(identity_table_count(t), 1);
	assert_null(identity_table_get(t, 200));
	assert_null(identity_table_by_id(t, ID1));
	identity_table_del(t, 200);
	identity_table_del(t, 12345);
	assert_int_equal(identity_table_count(t), 1);
	identity_table_del(t, 100);
	assert_int_equal(identity_table_count(t), 0);
	assert_null(identity_table_by_id(t, ID2));

	assert_null(identity_table_get(NULL, 1));
	assert_int_equal(identity_table_count(NULL), 0);
	identity_table_free(t);
	identity_table_free(NULL);
}

static void test_table_many(void **state)
{
	struct identity_table *t = identity_table_new();
	struct container c, *e;
	uint64_t i;

	(void)state;
	assert_non_null(t);
	/* Ids that differ in their low bits only, and cgroup ids with a big stride. */
	for (i = 0; i < 5000; i++) {
		container_init(&c, RUNTIME_DOCKER, ID1);
		snprintf(c.id + 56, 9, "%08llx", (unsigned long long)i);
		c.stop_signal = (int)i;
		assert_non_null(identity_table_add(t, 4096 + i * 4096, &c));
	}
	assert_int_equal(identity_table_count(t), 5000);
	for (i = 0; i < 5000; i++) {
		char id[ID_LEN];

		e = identity_table_get(t, 4096 + i * 4096);
		assert_non_null(e);
		assert_int_equal(e->stop_signal, (int)i);
		snprintf(id, sizeof(id), "%.56s%08llx", ID1, (unsigned long long)i);
		assert_string_equal(e->id, id);
		assert_ptr_equal(identity_table_by_id(t, id), e);
	}
	for (i = 0; i < 5000; i += 2)
		identity_table_del(t, 4096 + i * 4096);
	assert_int_equal(identity_table_count(t), 2500);
	for (i = 0; i < 5000; i++) {
		e = identity_table_get(t, 4096 + i * 4096);
		if (i % 2)
			assert_int_equal(e->stop_signal, (int)i);
		else
			assert_null(e);
	}
	identity_table_free(t);
}

/* ---- the JSON reader ---- */

static void test_jsonr_paths(void **state)
{
	static const char doc[] = "\xef\xbb\xbf \n{\"a\\\"b\": 1, \"x\": [1, {\"y\": \"}\"}], "
				  "\"Config\": {\"Env\": [\"A=1\"], \"StopSignal\": \"SIGTERM\"}, "
				  "\"n\": null, \"t\": true}";
	struct jsonr_val root, v;
	struct jsonr_iter it;
	char buf[32];

	(void)state;
	assert_int_equal(jsonr_init(&root, doc, strlen(doc)), 0);
	assert_int_equal(root.type, JSONR_OBJECT);
	assert_int_equal(jsonr_get(&root, "a\"b", &v), 0);
	assert_int_equal(v.type, JSONR_NUMBER);
	assert_int_equal(jsonr_get_path(&root, &v, "Config", "StopSignal", NULL), 0);
	assert_int_equal(jsonr_string(&v, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "SIGTERM");
	assert_int_equal(jsonr_get(&root, "n", &v), 0);
	assert_int_equal(v.type, JSONR_NULL);
	assert_int_equal(jsonr_get(&root, "t", &v), 0);
	assert_int_equal(v.type, JSONR_TRUE);
	assert_int_equal(jsonr_get(&root, "missing", &v), -ENOENT);
	assert_int_equal(jsonr_get_path(&root, &v, "Config", "Missing", NULL), -ENOENT);
	assert_int_equal(jsonr_get_path(&root, &v, "x", "y", NULL), -EINVAL); /* x is an array */
	assert_int_equal(jsonr_string(&root, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(jsonr_init(&root, S("   ")), -EINVAL);
	assert_int_equal(jsonr_init(&root, S("}")), -EINVAL);
	/* a byte that starts no value is malformed, not an element of unknown type */
	assert_int_equal(jsonr_init(&root, S("[1, |x, 2]")), 0);
	jsonr_iter_init(&it, &root);
	assert_int_equal(jsonr_next(&it, &v), 1);
	assert_int_equal(v.type, JSONR_NUMBER);
	assert_int_equal(jsonr_next(&it, &v), -EINVAL);
	assert_int_equal(jsonr_init(&root, S("{\"Name\": @, \"x\": 1}")), 0);
	assert_int_equal(jsonr_get(&root, "x", &v), -EINVAL);
}

static void test_jsonr_strings(void **state)
{
	static const char doc[] =
		"[\"\\ud83d\\ude00\", \"\\ud800x\", \"tab\\tq\\\"\\/\\\\\", "
		"\"caf\xc3\xa9\xc3\xa9\", \"bad\\x\", \"nul\\u0000\", \"\\u00e9\"]";
	struct jsonr_val root, v;
	struct jsonr_iter it;
	char buf[32];

	(void)state;
	assert_int_equal(jsonr_init(&root, doc, strlen(doc)), 0);
	jsonr_iter_init(&it, &root);
	assert_int_equal(jsonr_next(&it, &v), 1);
	assert_int_equal(jsonr_string(&v, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "\xf0\x9f\x98\x80");
	assert_true(jsonr_string_eq(&v, "\xf0\x9f\x98\x80"));
	assert_int_equal(jsonr_next(&it, &v), 1);
	assert_int_equal(jsonr_string(&v, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "\xef\xbf\xbdx");
	assert_int_equal(jsonr_next(&it, &v), 1);
	assert_int_equal(jsonr_string(&v, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "tab\tq\"/\\");
	assert_int_equal(jsonr_next(&it, &v), 1);
	/* Cut to fit, never inside a UTF-8 sequence. */
	assert_int_equal(jsonr_string(&v, buf, 6), -ENOSPC);
	assert_string_equal(buf, "caf\xc3\xa9");
	assert_int_equal(jsonr_string(&v, buf, 5), -ENOSPC);
	assert_string_equal(buf, "caf");
	assert_false(jsonr_string_eq(&v, "caf"));
	assert_false(jsonr_string_eq(&v, "caf\xc3\xa9\xc3\xa9x"));
	assert_true(jsonr_string_eq(&v, "caf\xc3\xa9\xc3\xa9"));
	assert_int_equal(jsonr_next(&it, &v), 1);
	assert_int_equal(jsonr_string(&v, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(jsonr_next(&it, &v), 1);
	assert_int_equal(jsonr_string(&v, buf, sizeof(buf)), -EINVAL);
	assert_string_equal(buf, "");
	assert_false(jsonr_string_eq(&v, "nul"));
	assert_int_equal(jsonr_next(&it, &v), 1);
	assert_true(jsonr_string_eq(&v, "\xc3\xa9"));
	assert_int_equal(jsonr_next(&it, &v), 0);
	assert_int_equal(jsonr_next(&it, &v), 0);
}

static void test_jsonr_hostile(void **state)
{
	static const char cut[] = "[1, \"two\", {\"x\": [3]}, \"fo";
	struct jsonr_val root, v;
	struct jsonr_iter it;
	char *deep;
	size_t i, n = 0;
	int r, count = 0;

	(void)state;
	/* A cut array yields its complete elements, then an error. */
	assert_int_equal(jsonr_init(&root, cut, strlen(cut)), 0);
	jsonr_iter_init(&it, &root);
	while ((r = jsonr_next(&it, &v)) == 1)
		count++;
	assert_int_equal(count, 3);
	assert_int_equal(r, -EINVAL);
	assert_int_equal(jsonr_next(&it, &v), 0);

	/* Nesting past the limit before a key: the key is not reached. */
	deep = malloc(1000);
	assert_non_null(deep);
	n += sprintf(deep, "{\"a\": ");
	for (i = 0; i < 200; i++)
		deep[n++] = '[';
	for (i = 0; i < 200; i++)
		deep[n++] = ']';
	n += sprintf(deep + n, ", \"b\": \"x\"}");
	assert_int_equal(jsonr_init(&root, deep, n), 0);
	assert_int_equal(jsonr_get(&root, "b", &v), -EINVAL);
	free(deep);

	/* Mismatched brackets and stray separators. */
	assert_int_equal(jsonr_init(&root, S("{\"a\": [}, \"b\": 1}")), 0);
	assert_int_equal(jsonr_get(&root, "b", &v), -EINVAL);
	assert_int_equal(jsonr_init(&root, S("{\"a\" 1}")), 0);
	assert_int_equal(jsonr_get(&root, "a", &v), -EINVAL);
	/* A trailing comma is tolerated. */
	assert_int_equal(jsonr_init(&root, S("{\"a\": 1,}")), 0);
	assert_int_equal(jsonr_get(&root, "a", &v), 0);
	assert_int_equal(jsonr_get(&root, "b", &v), -ENOENT);
	/* A string escape at the very end of the buffer. */
	assert_int_equal(jsonr_init(&root, S("{\"a\": \"\\")), 0);
	assert_int_equal(jsonr_get(&root, "a", &v), -EINVAL);
	/* Not an array: an empty walk. */
	assert_int_equal(jsonr_init(&root, S("{}")), 0);
	jsonr_iter_init(&it, &root);
	assert_int_equal(jsonr_next(&it, &v), 0);
}

/* The container a cgroup names, ready for the table; nothing for another path. */
static void test_container_of_cgroup(void **state)
{
	const char *path = "/kubepods/burstable/pod" UID "/" ID1;
	struct container c;

	(void)state;
	memset(&c, 0x5a, sizeof(c));
	assert_true(identity_container_of_cgroup(path, &c));
	assert_int_equal(c.runtime, RUNTIME_CONTAINERD);
	assert_string_equal(c.id, ID1);
	assert_string_equal(c.pod_uid, UID);
	assert_string_equal(c.cgroup, path);
	assert_string_equal(c.name, ""); /* cleared: metadata comes later */
	memset(&c, 0x5a, sizeof(c));
	assert_false(identity_container_of_cgroup("/system.slice/cron.service", &c));
	assert_string_equal(c.id, "");
}

/* The outermost container owns every cgroup below it, and the match says which is its own. */
static void test_parse_outermost(void **state)
{
	static const struct {
		const char *path, *id, *own;
		bool below;
	} cases[] = {
		{"/docker/" ID1, ID1, "/docker/" ID1, false},
		{"/docker/" ID1 "/", ID1, "/docker/" ID1, false},
		{"/docker/" ID1 "/init.scope", ID1, "/docker/" ID1, true},
		{"/docker/" ID1 "/docker/" ID2, ID1, "/docker/" ID1, true},
		{"/docker/" ID1 "/docker/" ID2 "/init.scope", ID1, "/docker/" ID1, true},
		{"0::/docker/" ID1 "/system.slice/cron.service\n", ID1, "/docker/" ID1, true},
		{"//system.slice//docker-" ID1 ".scope/docker/" ID2, ID1,
		 "/system.slice/docker-" ID1 ".scope", true},
		{KP_SD "/cri-containerd-" ID1 ".scope/x", ID1,
		 KP_SD "/cri-containerd-" ID1 ".scope", true},
		{"/lxc.payload.c1/docker/" ID2, "c1", "/lxc.payload.c1", true},
	};
	struct cgroup_match m;
	struct container c;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		if (!identity_parse_cgroup(cases[i].path, &m))
			fail_msg("rejected %s", cases[i].path);
		assert_string_equal(m.id, cases[i].id);
		assert_string_equal(m.cgroup, cases[i].own);
		assert_int_equal(m.below, cases[i].below);
		assert_false(m.by_state);
		/* the container it names has its own cgroup, not the sub-cgroup's */
		assert_true(identity_container_of_cgroup(cases[i].path, &c));
		assert_string_equal(c.cgroup, cases[i].own);
	}
}

/* A container under a parent of its own is known by its runtime's state, checked hex. */
static void test_recognize_state(void **state)
{
	char tmp[] = "/tmp/stoptrace-state-XXXXXX", path[1024];
	struct cgroup_match m;

	(void)state;
	assert_non_null(mkdtemp(tmp));
	snprintf(path, sizeof(path), "%s/var/lib/docker/containers/" ID1, tmp);
	assert_int_equal(make_dirs(path), 0);
	snprintf(path, sizeof(path), "%s/var/lib/containers/storage/overlay-containers/" ID2, tmp);
	assert_int_equal(make_dirs(path), 0);
	/* a symlink in the state directory does not count */
	snprintf(path, sizeof(path), "%s/var/lib/docker/containers/" ID2, tmp);
	assert_int_equal(symlink(tmp, path), 0);

	assert_false(identity_parse_cgroup("/custom/" ID1, &m));
	assert_true(identity_recognize(tmp, "/custom/" ID1, &m));
	assert_int_equal(m.runtime, RUNTIME_DOCKER);
	assert_string_equal(m.id, ID1);
	assert_true(m.by_state);
	assert_false(m.below);
	assert_true(identity_recognize(tmp, "/a/b/docker-" ID1 ".scope/init.scope", &m));
	assert_string_equal(m.cgroup, "/a/b/docker-" ID1 ".scope");
	assert_true(m.below);
	assert_true(identity_recognize(tmp, "/system.slice/web.service/libpod-payload-" ID2, &m));
	assert_int_equal(m.runtime, RUNTIME_PODMAN);
	/* ids it does not know, a symlinked state directory, a shape it does not use */
	assert_false(identity_recognize(tmp, "/custom/" ID2, &m));
	assert_false(identity_recognize(tmp, "/custom/" ID1 "x", &m));
	assert_false(identity_recognize(tmp, "/custom/lxc.payload." ID1, &m));
	assert_false(identity_recognize(tmp, "/custom/..", &m));
	/* a delegated subtree never makes a container, even with a known id */
	assert_false(identity_recognize(
		tmp, "/user.slice/user-1000.slice/user@1000.service/docker-" ID1 ".scope", &m));
	assert_false(
		identity_recognize(tmp, "/user.slice/user-1000.slice/user@1000.service/" ID1, &m));
	/* the outermost still wins: a known id below a container is that container's */
	assert_true(identity_recognize(tmp, "/docker/" ID2 "/docker/" ID1, &m));
	assert_string_equal(m.id, ID2);
	assert_false(m.by_state);
	assert_true(identity_recognize(tmp, "/x/" ID1 "/docker/" ID2, &m));
	assert_string_equal(m.id, ID1);
	assert_true(m.below);
	rm_tree(tmp);
}

/* The cgroup-parent of the host's daemon.json is where Docker then puts its containers. */
static void test_docker_parent(void **state)
{
	char tmp[] = "/tmp/stoptrace-daemon-XXXXXX", path[1024];
	struct cgroup_match m;
	FILE *f;

	(void)state;
	assert_false(identity_parse_cgroup("/mygroup/" ID1, &m));
	assert_int_equal(runtimes_set_docker_parent("/mygroup/"), 0);
	assert_string_equal(runtimes_docker_parent(), "/mygroup");
	assert_true(identity_parse_cgroup("/mygroup/" ID1, &m));
	assert_int_equal(m.runtime, RUNTIME_DOCKER);
	assert_true(identity_parse_cgroup("/mygroup/docker-" ID1 ".scope", &m));
	assert_false(identity_parse_cgroup("/other/mygroup/" ID1, &m));
	assert_false(identity_parse_cgroup("/mygroup/x/" ID1, &m));
	/* a systemd slice name is the slice's path */
	assert_int_equal(runtimes_set_docker_parent("my-docker.slice"), 0);
	assert_string_equal(runtimes_docker_parent(), "/my.slice/my-docker.slice");
	assert_true(identity_parse_cgroup("/my.slice/my-docker.slice/docker-" ID1 ".scope", &m));
	/* not a parent: refused, the one before kept */
	assert_int_equal(runtimes_set_docker_parent("/a/../b"), -EINVAL);
	assert_int_equal(runtimes_set_docker_parent("/"), -EINVAL);
	assert_int_equal(runtimes_set_docker_parent("/a b"), -EINVAL);
	assert_int_equal(runtimes_set_docker_parent("a--b.slice"), -EINVAL);
	assert_string_equal(runtimes_docker_parent(), "/my.slice/my-docker.slice");

	assert_non_null(mkdtemp(tmp));
	assert_int_equal(runtimes_load_host_config(tmp), -ENOENT);
	snprintf(path, sizeof(path), "%s/etc/docker", tmp);
	assert_int_equal(make_dirs(path), 0);
	snprintf(path, sizeof(path), "%s/etc/docker/daemon.json", tmp);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "{\"log-driver\": \"json-file\", \"cgroup-parent\": \"/tenants\"}\n");
	fclose(f);
	assert_int_equal(runtimes_load_host_config(tmp), 0);
	assert_string_equal(runtimes_docker_parent(), "/tenants");
	assert_true(identity_parse_cgroup("/tenants/" ID1, &m));
	rm_tree(tmp);
	assert_int_equal(runtimes_set_docker_parent(NULL), 0);
	assert_false(identity_parse_cgroup("/tenants/" ID1, &m));
}

/* A directory a non-root user owns or may write is a delegated subtree. */
static void test_root_owned(void **state)
{
	char tmp[] = "/tmp/stoptrace-owner-XXXXXX", path[1024];

	(void)state;
	assert_non_null(mkdtemp(tmp));
	snprintf(path, sizeof(path), "%s/deleg/docker-" ID1 ".scope", tmp);
	assert_int_equal(make_dirs(path), 0);
	snprintf(path, sizeof(path), "%s/deleg", tmp);
	chmod(path, 0755);
	if (geteuid() != 0) {
		/* owned by this user: never root's */
		assert_false(identity_cgroup_root_owned(tmp, "/deleg/docker-" ID1 ".scope"));
		rm_tree(tmp);
		return;
	}
	assert_true(identity_cgroup_root_owned(tmp, "/deleg/docker-" ID1 ".scope"));
	assert_int_equal(chown(path, 65534, 65534), 0);
	assert_false(identity_cgroup_root_owned(tmp, "/deleg/docker-" ID1 ".scope"));
	assert_false(identity_cgroup_root_owned(tmp, "/deleg"));
	assert_int_equal(chown(path, 0, 0), 0);
	assert_int_equal(chmod(path, 0757), 0);
	assert_false(identity_cgroup_root_owned(tmp, "/deleg/docker-" ID1 ".scope"));
	assert_int_equal(chmod(path, 0775), 0);
	assert_true(identity_cgroup_root_owned(tmp, "/deleg")); /* group root */
	assert_int_equal(chown(path, 0, 65534), 0);
	assert_false(identity_cgroup_root_owned(tmp, "/deleg"));
	assert_int_equal(chmod(path, 0755), 0);
	/* missing, "..", a symlink on the way */
	assert_false(identity_cgroup_root_owned(tmp, "/nothing"));
	assert_false(identity_cgroup_root_owned(tmp, "/deleg/../deleg"));
	snprintf(path, sizeof(path), "%s/link", tmp);
	assert_int_equal(symlink("deleg", path), 0);
	assert_false(identity_cgroup_root_owned(tmp, "/link/docker-" ID1 ".scope"));
	rm_tree(tmp);
}

/* The table refuses an entry at its bound and counts it; replacing still works. */
static void test_table_bound(void **state)
{
	struct identity_table *t = identity_table_new();
	struct container c;

	(void)state;
	assert_int_equal(identity_table_max(t), IDENTITY_TABLE_MAX);
	identity_table_limit(t, 4);
	container_init(&c, RUNTIME_DOCKER, ID1);
	for (uint64_t i = 1; i <= 4; i++)
		assert_non_null(identity_table_add(t, i, &c));
	assert_int_equal(identity_table_full(t), 0);
	assert_null(identity_table_add(t, 5, &c));
	assert_null(identity_table_add(t, 6, &c));
	assert_int_equal(identity_table_full(t), 2);
	assert_int_equal(identity_table_count(t), 4);
	assert_null(identity_table_get(t, 5));
	/* an id already there is replaced, not refused */
	assert_non_null(identity_table_add(t, 4, &c));
	assert_int_equal(identity_table_full(t), 2);
	identity_table_del(t, 1);
	assert_non_null(identity_table_add(t, 5, &c));
	identity_table_free(t);
}

/* Sub-cgroups name their container, are counted per container, and carry its init. */
static void test_table_subs(void **state)
{
	struct identity_table *t = identity_table_new();
	struct container c, d, *own;
	uint32_t tgid;

	(void)state;
	container_init(&c, RUNTIME_DOCKER, ID1);
	strcpy(c.name, "a");
	strcpy(c.cgroup, "/docker/" ID1);
	container_init(&d, RUNTIME_DOCKER, ID2);
	own = identity_table_add(t, 10, &c);
	assert_non_null(own);
	assert_non_null(identity_table_add(t, 20, &d));
	assert_non_null(identity_table_add_sub(t, 11, own));
	assert_non_null(identity_table_add_sub(t, 12, own));
	assert_false(identity_table_is_sub(t, 10));
	assert_true(identity_table_is_sub(t, 11));
	assert_false(identity_table_is_sub(t, 99));
	assert_string_equal(identity_table_get(t, 12)->name, "a");
	assert_string_equal(identity_table_get(t, 12)->cgroup, "/docker/" ID1);
	assert_int_equal(identity_table_subs(t, ID1), 2);
	assert_int_equal(identity_table_subs(t, ID2), 0);
	assert_int_equal(identity_table_subs(t, ""), 2);
	identity_table_del(t, 11);
	assert_int_equal(identity_table_subs(t, ID1), 1);
	assert_int_equal(identity_table_subs(t, ""), 1);
	/* re-added as a container's own: no longer a sub */
	assert_non_null(identity_table_add(t, 12, &c));
	assert_false(identity_table_is_sub(t, 12));
	assert_int_equal(identity_table_subs(t, ""), 0);

	assert_int_equal(identity_table_init(t, ID1, &tgid), 0);
	identity_table_set_init(t, ID1, 4026532000u, 777);
	assert_int_equal(identity_table_init(t, ID1, &tgid), 4026532000u);
	assert_int_equal(tgid, 777);
	assert_int_equal(identity_table_init(t, ID2, &tgid), 0);
	identity_table_set_init(t, ID1, 0, 0);
	assert_int_equal(identity_table_init(t, ID1, &tgid), 0);
	identity_table_free(t);
}

/* The runtimes table: a row per runtime, storage roots once each. */
static void test_runtimes_table(void **state)
{
	const char *roots[16];
	size_t n, nr;
	const struct runtime_info *all = runtimes_all(&nr);

	(void)state;
	assert_int_equal(nr, 6);
	for (int rt = RUNTIME_DOCKER; rt <= RUNTIME_LXC; rt++) {
		const struct runtime_info *ri = runtime_info(rt);

		assert_non_null(ri);
		assert_string_equal(ri->name, runtime_name(rt));
		assert_non_null(ri->shapes[0].parent);
		assert_non_null(ri->state_dirs[0]);
		assert_non_null(ri->storage_roots[0]);
		assert_non_null(ri->meta_files[0]);
	}
	assert_null(runtime_info(RUNTIME_NONE));
	assert_ptr_equal(runtime_info(RUNTIME_DOCKER), &all[0]);
	assert_string_equal(runtime_info(RUNTIME_DOCKER)->sockets[0], "run/docker.sock");
	n = runtimes_storage_roots(roots, 16);
	assert_int_equal(n, 7);
	assert_string_equal(roots[0], "/var/lib/docker");
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			assert_string_not_equal(roots[i], roots[j]);
	assert_int_equal(runtimes_storage_roots(roots, 2), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_accepts),
		cmocka_unit_test(test_container_of_cgroup),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_parse_lxc_name_length),
		cmocka_unit_test(test_parse_outermost),
		cmocka_unit_test(test_recognize_state),
		cmocka_unit_test(test_docker_parent),
		cmocka_unit_test(test_root_owned),
		cmocka_unit_test(test_table_bound),
		cmocka_unit_test(test_table_subs),
		cmocka_unit_test(test_runtimes_table),
		cmocka_unit_test(test_runtime_name),
		cmocka_unit_test(test_meta_docker),
		cmocka_unit_test(test_meta_docker_truncated),
		cmocka_unit_test(test_meta_docker_huge_name),
		cmocka_unit_test(test_meta_docker_hostile_name),
		cmocka_unit_test(test_meta_docker_garbage),
		cmocka_unit_test(test_meta_missing),
		cmocka_unit_test(test_meta_podman),
		cmocka_unit_test(test_meta_kubernetes),
		cmocka_unit_test(test_meta_file_limits),
		cmocka_unit_test(test_find_by_id),
		cmocka_unit_test(test_find_by_prefix),
		cmocka_unit_test(test_find_by_name),
		cmocka_unit_test(test_find_missing),
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_table_basic),
		cmocka_unit_test(test_table_many),
		cmocka_unit_test(test_jsonr_paths),
		cmocka_unit_test(test_jsonr_strings),
		cmocka_unit_test(test_jsonr_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
