// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Tests for podman's identity (user/identity/meta_podman.c, the podman row of
 * runtimes.c): its name and stop signal from the files podman 4.3 writes
 * (containers/storage's lists, the OCI spec's annotation), the volatile list
 * that holds `podman run --rm` containers in later containers/storage, a
 * transient store's list under the run root, hostile lists, and a libpod-<id>
 * cgroup under a parent of its own known only by podman's store. Each test
 * builds its own root under /tmp.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "identity/identity.h"
#include "identity/runtimes.h"
#include "identity/storage.h"

#define ID_A  "264275f5284e282c7d84bd6c4e80ade5f79dff195464d1e425375cfb10f32fd0"
#define ID_B  "c11b04e2ae13e1f52c85dcd255e7ad7ff70d1d93c93e6b8fa50da5361e22e5bf"
#define ID_C  "7d673562ef93b66988e4c23551f23123b4ef2e8ce0871fe2798b4223e3b19f32"
#define LAYER "7bf20e71f9de446f6bf5ce2996a31bf90bf84540741cd89a05aff68d5d4ef44d"
#define IMG   "39fb318701fb71d26f455c4aeaf44c62528897c518bd2f872b198a3b3d4dd21b"

#define VAR "/var/lib/containers/storage/overlay-containers"
#define RUN "/run/containers/storage/overlay-containers"

static char root[64];

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

/* root + rel, its directories made, holding text. */
static void put(const char *rel, const char *text)
{
	char path[512], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	slash = strrchr(path, '/');
	*slash = '\0';
	assert_int_equal(make_dirs(path), 0);
	*slash = '/';
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* One entry of a containers/storage list, as podman 4.3 writes it. */
static void entry(char *buf, size_t cap, const char *id, const char *name)
{
	snprintf(buf, cap,
		 "{\"id\":\"%s\",\"names\":[\"%s\"],\"image\":\"" IMG "\",\"layer\":\"" LAYER
		 "\",\"metadata\":\"{\\\"image-name\\\":\\\"localhost/stoptrace-test/busybox:1\\\","
		 "\\\"image-id\\\":\\\"" IMG "\\\",\\\"name\\\":\\\"%s\\\",\\\"created-at\\\":"
		 "1796693865}\",\"created\":\"2026-12-08T01:29:20.1737045Z\",\"flags\":"
		 "{\"MountLabel\":\"\",\"ProcessLabel\":\"\"}}",
		 id, name, name);
}

static void list(const char *rel, const char *id, const char *name)
{
	char e[1024], text[1100];

	entry(e, sizeof(e), id, name);
	snprintf(text, sizeof(text), "[%s]", e);
	put(rel, text);
}

/* The OCI spec podman writes at the start, with its stop signal as a number. */
static void spec(const char *id, const char *sig)
{
	char rel[256], text[512];

	snprintf(rel, sizeof(rel), VAR "/%s/userdata/config.json", id);
	snprintf(text, sizeof(text),
		 "{\"ociVersion\":\"1.0.2-dev\",\"process\":{\"args\":[\"sleep\",\"300\"]},"
		 "\"annotations\":{\"io.container.manager\":\"libpod\","
		 "\"io.podman.annotations.autoremove\":\"FALSE\","
		 "\"org.opencontainers.image.stopSignal\":\"%s\"}}",
		 sig);
	put(rel, text);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/stoptrace-podman-XXXXXX");
	return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static void load(const char *id, struct container *c)
{
	memset(c, 0, sizeof(*c));
	c->runtime = RUNTIME_PODMAN;
	snprintf(c->id, sizeof(c->id), "%s", id);
}

/* `podman run --stop-signal SIGUSR1`: the name from containers.json, SIGUSR1 from the spec. */
static void test_stable_list(void **state)
{
	struct container c;

	(void)state;
	list(VAR "/containers.json", ID_A, "st-podcompose-u1");
	spec(ID_A, "10");
	load(ID_A, &c);
	assert_int_equal(identity_load_meta(root, &c), 0);
	assert_string_equal(c.name, "st-podcompose-u1");
	assert_int_equal(c.stop_signal, 10);
	/* a container the lists do not hold has no name, whatever its spec says */
	spec(ID_C, "12");
	load(ID_C, &c);
	assert_int_equal(identity_load_meta(root, &c), 0);
	assert_string_equal(c.name, "");
	assert_int_equal(c.stop_signal, 12);
}

/*
 * A volatile container (`podman run --rm`, containers/storage 1.45 on) is in
 * volatile-containers.json beside containers.json, or under the run root with
 * a transient store: its name, its layer, and identity_find() by name.
 */
static void test_volatile_lists(void **state)
{
	char path[512];
	struct container c;

	(void)state;
	list(VAR "/containers.json", ID_A, "stable");
	list(VAR "/volatile-containers.json", ID_B, "st-podcompose-rm");
	list(RUN "/volatile-containers.json", ID_C, "transient");
	load(ID_B, &c);
	assert_int_equal(identity_load_meta(root, &c), 0);
	assert_string_equal(c.name, "st-podcompose-rm");
	load(ID_C, &c);
	assert_int_equal(identity_load_meta(root, &c), 0);
	assert_string_equal(c.name, "transient");
	assert_int_equal(storage_layer(root, &c, path, sizeof(path)), 0);
	assert_string_equal(path, "/var/lib/containers/storage/overlay/" LAYER); /* the host's */
	assert_int_equal(identity_find(root, "st-podcompose-rm", &c), 0);
	assert_string_equal(c.id, ID_B);
	assert_int_equal(c.runtime, RUNTIME_PODMAN);
	assert_int_equal(identity_find(root, "c11b", &c), 0);
	assert_string_equal(c.name, "st-podcompose-rm");
	/* the stable list gone: the volatile ones still name their containers */
	snprintf(path, sizeof(path), "%s" VAR "/containers.json", root);
	assert_int_equal(unlink(path), 0);
	load(ID_B, &c);
	assert_int_equal(identity_load_meta(root, &c), 0);
	assert_string_equal(c.name, "st-podcompose-rm");
	load(ID_A, &c);
	assert_int_equal(identity_load_meta(root, &c), -ENOENT);
}

/* Lists a tenant could not write, read as hostile anyway: nothing but what is well-formed. */
static void test_hostile_lists(void **state)
{
	struct container c;

	(void)state;
	put(VAR "/containers.json", "[{\"id\":\"../../../etc\",\"names\":[\"evil\"]},"
				    "{\"id\":\"" ID_A "\",\"names\":[7,\"second\"]},"
				    "{\"id\":\"" ID_B "\",\"names\":\"notalist\"},{\"id\":5}]");
	put(VAR "/volatile-containers.json", "{\"not\":\"an array\"}");
	put(RUN "/volatile-containers.json", "[{\"id\":\"" ID_C "\",\"names\":[\"ok\"]");
	load(ID_A, &c);
	assert_int_equal(identity_load_meta(root, &c), 0);
	assert_string_equal(c.name, ""); /* its first name is no string */
	load(ID_B, &c);
	assert_int_equal(identity_load_meta(root, &c), 0);
	assert_string_equal(c.name, "");
	load(ID_C, &c);
	assert_int_not_equal(identity_load_meta(root, &c), 0); /* a cut list is no list */
	assert_string_equal(c.name, "");
	assert_int_equal(identity_find(root, "evil", &c), -ENOENT);
}

/*
 * `podman run --cgroup-parent /p` with cgroupfs: /p/libpod-<id> is podman's
 * container only while podman's store has overlay-containers/<id>/.
 */
static void test_parent_of_its_own(void **state)
{
	char path[512];
	struct cgroup_match m;

	(void)state;
	snprintf(path, sizeof(path), "%s" VAR "/" ID_A "/userdata", root);
	assert_int_equal(make_dirs(path), 0);
	assert_false(identity_parse_cgroup("/st-par/libpod-" ID_A, &m));
	assert_true(identity_recognize(root, "/st-par/libpod-" ID_A, &m));
	assert_int_equal(m.runtime, RUNTIME_PODMAN);
	assert_string_equal(m.id, ID_A);
	assert_string_equal(m.cgroup, "/st-par/libpod-" ID_A);
	assert_true(m.by_state);
	/* an id the store does not know, below the same parent */
	assert_false(identity_recognize(root, "/st-par/libpod-" ID_B, &m));
	/* where podman puts containers, the shape alone decides (only root makes cgroups there) */
	assert_true(identity_recognize(root, "/libpod_parent/libpod-" ID_B, &m));
	assert_false(m.by_state);
	/* conmon's own cgroup is none */
	assert_false(identity_recognize(root, "/st-par/libpod-conmon-" ID_A, &m));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_stable_list),
		T(test_volatile_lists),
		T(test_hostile_lists),
		T(test_parent_of_its_own),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
