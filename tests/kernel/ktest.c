// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ktest: does stoptrace's kernel side work on this kernel and cgroup mode?
 *
 *   ktest --cgroup v2|v1 [--verbose]
 *
 * Loads the real BPF object through the real loader, makes a cgroup shaped
 * like Docker's (v2: system.slice/docker-<id>.scope under the cgroup2 mount;
 * v1: docker/<id> in the v1 hierarchy the monitor watches: memory, else pids),
 * learns it as the monitor does (cgroup_mkdir record, then a scan), runs a
 * small container in it (workload.c) and checks the records the kernel wrote,
 * decoded by the monitor's decoder. One line per check, then a last line
 * "ktest: PASS ..." or "ktest: FAIL ..."; exit status 0 only on PASS.
 * Needs root, BTF and tracefs; it changes nothing outside its own cgroup, a
 * temporary directory and mounts in a private mount namespace.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "kernel/event.h"
#include "identity/identity.h"
#include "ktest.h"
#include "kernel/loader.h"
#include "host/mountinfo.h"
#include "stoptrace.skel.h"

#define MAX_EVENTS 65536

void check(struct ktest *t, bool ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	t->checks++;
	if (!ok)
		t->failed++;
	printf("%-4s %-22s ", ok ? "ok" : "FAIL", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

void note(const char *fmt, ...)
{
	va_list ap;

	printf("     ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int on_record(void *ctx, const void *data, size_t len)
{
	struct ktest *t = ctx;

	if (t->nev == MAX_EVENTS || event_decode(data, len, &t->ev[t->nev])) {
		t->dropped++;
		return 0;
	}
	t->nev++;
	return 0;
}

static const struct st_event *find_event(const struct ktest *t, event_pred pred, const void *arg)
{
	for (size_t i = 0; i < t->nev; i++)
		if (pred(t, &t->ev[i], arg))
			return &t->ev[i];
	return NULL;
}

/* Poll the ring buffer until a record matches or timeout_ms passed. */
const struct st_event *wait_event(struct ktest *t, event_pred pred, const void *arg, int timeout_ms)
{
	uint64_t end = now_ms() + (uint64_t)timeout_ms;
	const struct st_event *e;

	for (;;) {
		e = find_event(t, pred, arg);
		if (e || now_ms() >= end)
			return e;
		loader_poll(t->loader, 100);
	}
}

static bool is_our_mkdir(const struct ktest *t, const struct st_event *e, const void *arg)
{
	(void)arg;
	return e->kind == ST_EV_CGROUP_MKDIR && !strcmp(e->u.cgroup.path, t->cg_path);
}

/* Every program in the object, attached unless the loader may leave it out. */
static void check_programs(struct ktest *t)
{
	const char *const *att = loader_programs(t->loader);
	struct stoptrace_bpf *skel = stoptrace_bpf__open();
	struct bpf_program *prog;
	char missing[512] = "", optional[512] = "";
	int nreq = 0, nreq_ok = 0;

	if (!skel) {
		check(t, false, "programs", "cannot open the BPF object to list its programs");
		return;
	}
	bpf_object__for_each_program(prog, skel->obj)
	{
		const char *name = bpf_program__name(prog);
		bool attached = false;
		size_t len;

		for (int i = 0; att[i]; i++)
			attached |= !strcmp(att[i], name);
		if (loader_prog_optional(name)) {
			len = strlen(optional);
			snprintf(optional + len, sizeof(optional) - len, " %s=%s", name,
				 attached ? "attached" : "off");
			continue;
		}
		nreq++;
		if (attached) {
			nreq_ok++;
		} else {
			len = strlen(missing);
			snprintf(missing + len, sizeof(missing) - len, " %s", name);
		}
	}
	stoptrace_bpf__destroy(skel);
	check(t, nreq > 0 && nreq_ok == nreq, "programs", "%d of %d required programs attached%s%s",
	      nreq_ok, nreq, missing[0] ? "; missing:" : "", missing);
	note("optional:%s", optional[0] ? optional : " none");
}

/* The monitor's way of learning a container cgroup: parse its path, track its id. */
static int track(struct ktest *t, uint64_t id, const char *path)
{
	struct container c;

	if (!identity_container_of_cgroup(path, &c))
		return 0;
	if (!identity_table_add(t->ids, id, &c))
		return -ENOMEM;
	return loader_track(t->loader, id);
}

static int scan_cb(uint64_t id, const char *path, void *ctx)
{
	struct ktest *t = ctx;

	if (strcmp(path, t->cg_path))
		return 0; /* other containers on a host: not ours to watch */
	return track(t, id, path);
}

static int random_id(char *out)
{
	unsigned char b[32];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, b, sizeof(b));
	close(fd);
	if (n != (ssize_t)sizeof(b))
		return -EIO;
	for (size_t i = 0; i < sizeof(b); i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	return 0;
}

/* Make the container cgroup, see its cgroup_mkdir record and learn it. */
static int make_container_cgroup(struct ktest *t)
{
	const struct st_event *e;
	struct container *c;
	struct stat st;
	char parent[PATH_MAX + 16];
	int err;

	err = random_id(t->id);
	if (err)
		return err;
	if (t->v2)
		snprintf(t->cg_path, sizeof(t->cg_path), "/system.slice/docker-%s.scope", t->id);
	else
		snprintf(t->cg_path, sizeof(t->cg_path), "/docker/%s", t->id);
	snprintf(t->cg_dir, sizeof(t->cg_dir), "%s%s", t->hier_dir, t->cg_path);
	snprintf(parent, sizeof(parent), "%s/%s", t->hier_dir, t->v2 ? "system.slice" : "docker");
	if (!mkdir(parent, 0755))
		snprintf(t->made_parent, sizeof(t->made_parent), "%s", parent);
	else if (errno != EEXIST)
		return -errno;
	if (mkdir(t->cg_dir, 0755))
		return -errno;
	if (stat(t->cg_dir, &st))
		return -errno;
	t->cg_id = st.st_ino;
	note("container cgroup %s (id %llu)", t->cg_dir, (unsigned long long)t->cg_id);

	e = wait_event(t, is_our_mkdir, NULL, 5000);
	check(t, e && e->u.cgroup.id == t->cg_id && (e->u.cgroup.hierarchy == 0) == t->v2,
	      "cgroup_mkdir", "%s: id %llu, hierarchy %u, level %u",
	      e ? "reported" : "not reported", e ? (unsigned long long)e->u.cgroup.id : 0ULL,
	      e ? e->u.cgroup.hierarchy : 0, e ? e->u.cgroup.level : 0);
	if (e) {
		err = track(t, e->u.cgroup.id, e->u.cgroup.path);
		if (err)
			return err;
	}
	/* the scan at start-up must find it too: learn it from there when mkdir was missed */
	identity_table_del(t->ids, t->cg_id);
	err = identity_scan(t->hier_dir, NULL, scan_cb, t);
	c = identity_table_get(t->ids, t->cg_id);
	check(t, !err && c && c->runtime == RUNTIME_DOCKER && !strcmp(c->id, t->id), "cgroup_scan",
	      "scan of %s: %s", t->hier_dir,
	      c ? "docker container with the cgroup's id" : "container not found");
	return c ? 0 : -ENOENT;
}

/* Where the container goes: the cgroup2 mount, or the v1 hierarchy the monitor watches. */
static int setup_hierarchy(struct ktest *t)
{
	unsigned int v1;

	if (t->v2) {
		if (!mountinfo_find_cgroup("/proc/self/mountinfo", NULL, t->hier_dir,
					   sizeof(t->hier_dir)))
			return 0;
		fprintf(stderr, "ktest: no cgroup2 hierarchy mounted (see /proc/self/mountinfo)\n");
		return -ENOENT;
	}
	v1 = mountinfo_find_v1_watched("/proc/self/mountinfo", t->hier_dir, sizeof(t->hier_dir));
	if (v1 == ST_V1_NONE) {
		fprintf(stderr, "ktest: neither a v1 memory nor a v1 pids hierarchy is mounted\n");
		return -ENOENT;
	}
	note("v1 hierarchy watched: %s at %s", v1 == ST_V1_MEMORY ? "memory" : "pids", t->hier_dir);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: ktest --cgroup v2|v1 [--verbose]\n"
			"Checks stoptrace's BPF programs on the running kernel (needs root).\n");
	return 2;
}

/* --verbose: libbpf's messages on standard error. */
static int print_libbpf(const char *fmt, va_list args)
{
	return vfprintf(stderr, fmt, args);
}

int main(int argc, char **argv)
{
	/* the container's failing calls are its events (--events) */
	struct loader_opts lo = {.ringbuf_bytes = 1 << 22, .container_fs_events = true};
	struct ktest t = {};
	struct workload_paths paths = {};
	char self_exe[PATH_MAX], v1_dir[PATH_MAX];
	char why[256];
	struct utsname u;
	ssize_t n;
	int err;

	if (argc == 3 && !strcmp(argv[1], "--exit"))
		return atoi(argv[2]); /* the container's child, exec'd */
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--cgroup") && i + 1 < argc) {
			i++;
			if (strcmp(argv[i], "v1") && strcmp(argv[i], "v2"))
				return usage();
			t.v2 = !strcmp(argv[i], "v2");
		} else if (!strcmp(argv[i], "--verbose")) {
			t.verbose = true;
		} else {
			return usage();
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	uname(&u);
	printf("ktest: kernel %s, cgroup %s\n", u.release, t.v2 ? "v2" : "v1");
	t.ev = calloc(MAX_EVENTS, sizeof(*t.ev));
	t.ids = identity_table_new();
	n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	if (!t.ev || !t.ids || n <= 0) {
		fprintf(stderr, "ktest: out of memory or no /proc/self/exe\n");
		return 1;
	}
	self_exe[n] = '\0';
	if (loader_check_privileges(why, sizeof(why)) || loader_check_btf(why, sizeof(why)) ||
	    loader_ensure_tracefs(why, sizeof(why))) {
		printf("FAIL preconditions           %s\nktest: FAIL (preconditions)\n", why);
		return 1;
	}
	if (setup_hierarchy(&t)) {
		printf("ktest: FAIL (no cgroup hierarchy)\n");
		return 1;
	}
	/* as the monitor: match the v1 hierarchy's cgroup ids whenever one is mounted */
	lo.v1_controller =
		mountinfo_find_v1_watched("/proc/self/mountinfo", v1_dir, sizeof(v1_dir));
	lo.log = t.verbose ? print_libbpf : NULL;
	err = loader_start(&t.loader, &lo, on_record, &t, why, sizeof(why));
	check(&t, !err, "load", "%s%s%s", err ? why : "object loaded and attached", err ? ": " : "",
	      err ? loader_last_libbpf_message() : "");
	if (err)
		goto out;
	check_programs(&t);
	err = workload_prepare(&paths);
	if (err) {
		check(&t, false, "prepare", "directories and mounts: %s", strerror(-err));
		goto out;
	}
	err = make_container_cgroup(&t);
	if (err) {
		check(&t, false, "container", "cannot make or learn the cgroup: %s",
		      strerror(-err));
		goto out;
	}
	run_checks(&t, &paths, self_exe);
out:
	workload_cleanup(&paths);
	if (t.cg_dir[0])
		rmdir(t.cg_dir);
	if (t.made_parent[0])
		rmdir(t.made_parent);
	loader_stop(t.loader);
	identity_table_free(t.ids);
	free(t.ev);
	if (t.failed || !t.checks)
		printf("ktest: FAIL (%d of %d checks failed) kernel %s cgroup %s\n", t.failed,
		       t.checks, u.release, t.v2 ? "v2" : "v1");
	else
		printf("ktest: PASS (%d checks) kernel %s cgroup %s\n", t.checks, u.release,
		       t.v2 ? "v2" : "v1");
	return t.failed || !t.checks ? 1 : 0;
}
