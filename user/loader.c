// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "loader.h"
#include "stoptrace.skel.h"
#include "stoptrace_event.h"

#define MAX_PROGS      32
#define CAP_BPF_NR     39
#define CAP_PERFMON_NR 38

struct loader {
	struct stoptrace_bpf *skel;
	struct ring_buffer *rb;
	const char *progs[MAX_PROGS + 1];
	struct bpf_link *links[MAX_PROGS];
	int nlinks;
	loader_event_fn fn;
	void *ctx;
};

static bool libbpf_verbose;
static char last_msg[512];

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	va_list copy;

	va_copy(copy, args);
	if (level <= LIBBPF_WARN) {
		vsnprintf(last_msg, sizeof(last_msg), fmt, copy);
		last_msg[strcspn(last_msg, "\n")] = '\0';
	}
	va_end(copy);
	if (!libbpf_verbose && level == LIBBPF_DEBUG)
		return 0;
	if (!libbpf_verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

const char *loader_last_libbpf_message(void)
{
	return last_msg;
}

static bool has_cap(const struct __user_cap_data_struct *d, int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

int loader_check_privileges(const char **why)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2] = {};
	static char msg[256];

	if (syscall(SYS_capget, &hdr, data)) {
		*why = "cannot read this process's capabilities (capget failed)";
		return -errno;
	}
	if (has_cap(data, CAP_SYS_ADMIN))
		return 0;
	if (has_cap(data, CAP_BPF_NR) && has_cap(data, CAP_PERFMON_NR))
		return 0;
	snprintf(msg, sizeof(msg),
		 "needs root or CAP_BPF+CAP_PERFMON (CAP_SYS_ADMIN before Linux 5.8) to load its "
		 "BPF programs; %s missing: run it with sudo (stoptrace(8), CAPABILITIES, lists "
		 "what it needs)",
		 has_cap(data, CAP_BPF_NR)	 ? "CAP_PERFMON is"
		 : has_cap(data, CAP_PERFMON_NR) ? "CAP_BPF is"
						 : "both are");
	*why = msg;
	return -EPERM;
}

int loader_check_btf(const char **why)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK) == 0)
		return 0;
	*why = "kernel has no BTF (/sys/kernel/btf/vmlinux missing): needs a kernel built with "
	       "CONFIG_DEBUG_INFO_BTF=y (Debian's kernels since 11 have it)";
	return -ENOENT;
}

static bool tracefs_ready(void)
{
	return access("/sys/kernel/tracing/events", F_OK) == 0 ||
	       access("/sys/kernel/debug/tracing/events", F_OK) == 0;
}

int loader_ensure_tracefs(const char **why)
{
	if (tracefs_ready())
		return 0;
	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) == 0 && tracefs_ready())
		return 0;
	*why = "tracefs is not mounted and mounting it failed: run 'mount -t tracefs nodev "
	       "/sys/kernel/tracing' as root";
	return -ENOENT;
}

static int on_record(void *ctx, void *data, size_t len)
{
	struct loader *l = ctx;

	return l->fn(l->ctx, data, len);
}

bool loader_prog_optional(const char *name)
{
	return !strcmp(name, "handle_cgroup_freeze") || !strcmp(name, "handle_cgroup_unfreeze") ||
	       !strcmp(name, "handle_mark_victim");
}

int loader_start(struct loader **out, const struct loader_opts *opts, loader_event_fn fn, void *ctx,
		 const char **why)
{
	struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};
	struct bpf_program *prog;
	struct loader *l;
	int err, n = 0;

	libbpf_verbose = opts->verbose;
	libbpf_set_print(libbpf_print);
	/* kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK */
	setrlimit(RLIMIT_MEMLOCK, &rl);

	l = calloc(1, sizeof(*l));
	if (!l) {
		*why = "out of memory";
		return -ENOMEM;
	}
	l->fn = fn;
	l->ctx = ctx;
	l->skel = stoptrace_bpf__open();
	if (!l->skel) {
		err = -errno;
		*why = "cannot open the BPF object";
		goto cleanup;
	}
	l->skel->rodata->v1_controller = opts->v1_controller;
	err = bpf_map__set_max_entries(l->skel->maps.events, opts->ringbuf_bytes);
	if (err) {
		*why = "invalid ring buffer size";
		goto cleanup;
	}
	bpf_object__for_each_program(prog, l->skel->obj)
	{
		const char *tp = bpf_program__section_name(prog);

		/* a tracepoint the kernel lacks makes an optional program go */
		if (loader_prog_optional(bpf_program__name(prog)) && !strncmp(tp, "tp_btf/", 7)) {
			if (libbpf_find_vmlinux_btf_id(tp + 7, BPF_TRACE_RAW_TP) < 0)
				bpf_program__set_autoload(prog, false);
		}
	}
	err = stoptrace_bpf__load(l->skel);
	if (err) {
		*why = "the kernel refused to load the BPF programs (run with --verbose for the "
		       "verifier's log)";
		goto cleanup;
	}
	bpf_object__for_each_program(prog, l->skel->obj)
	{
		struct bpf_link *link;

		if (!bpf_program__autoload(prog))
			continue;
		link = bpf_program__attach(prog);
		if (!link) {
			err = -errno;
			if (loader_prog_optional(bpf_program__name(prog)))
				continue;
			*why = "cannot attach a BPF program to its tracepoint (run with --verbose)";
			goto cleanup;
		}
		if (l->nlinks == MAX_PROGS) {
			bpf_link__destroy(link);
			err = -E2BIG;
			*why = "more BPF programs than the loader has room for";
			goto cleanup;
		}
		l->links[l->nlinks++] = link;
		l->progs[n++] = bpf_program__name(prog);
	}
	l->rb = ring_buffer__new(bpf_map__fd(l->skel->maps.events), on_record, l, NULL);
	if (!l->rb) {
		err = -errno;
		*why = "cannot set up the ring buffer";
		goto cleanup;
	}
	*out = l;
	return 0;

cleanup:
	loader_stop(l);
	return err ? err : -EINVAL;
}

void loader_stop(struct loader *l)
{
	if (!l)
		return;
	ring_buffer__free(l->rb);
	while (l->nlinks > 0)
		bpf_link__destroy(l->links[--l->nlinks]);
	stoptrace_bpf__destroy(l->skel);
	free(l);
}

int loader_track(struct loader *l, uint64_t cgroup_id)
{
	__u8 one = 1;

	if (bpf_map__update_elem(l->skel->maps.tracked_cgroups, &cgroup_id, sizeof(cgroup_id), &one,
				 sizeof(one), BPF_ANY))
		return -errno;
	return 0;
}

int loader_untrack(struct loader *l, uint64_t cgroup_id)
{
	if (bpf_map__delete_elem(l->skel->maps.tracked_cgroups, &cgroup_id, sizeof(cgroup_id), 0) &&
	    errno != ENOENT)
		return -errno;
	return 0;
}

int loader_poll(struct loader *l, int timeout_ms)
{
	return ring_buffer__poll(l->rb, timeout_ms);
}

int loader_counters(struct loader *l, struct loader_counters *c)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *vals;
	__u64 sum[ST_STAT_MAX] = {};

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (__u32 k = 0; k < ST_STAT_MAX; k++) {
		if (bpf_map__lookup_elem(l->skel->maps.stats, &k, sizeof(k), vals,
					 sizeof(*vals) * ncpu, 0))
			continue;
		for (int i = 0; i < ncpu; i++)
			sum[k] += vals[i];
	}
	free(vals);
	c->emitted = sum[ST_STAT_EMITTED];
	c->lost = sum[ST_STAT_LOST];
	c->path_errors = sum[ST_STAT_PATH_ERRORS];
	return 0;
}

/*
 * A BPF command on an open map descriptor, like those the monitor makes while
 * it runs: -EPERM where the kernel wants privilege for it.
 */
int loader_probe_fd_ops(void *ctx)
{
	struct loader *l = ctx;
	uint64_t key = 0;
	__u8 val;

	if (bpf_map__lookup_elem(l->skel->maps.tracked_cgroups, &key, sizeof(key), &val,
				 sizeof(val), 0))
		return errno == ENOENT ? 0 : -errno;
	return 0;
}

const char *const *loader_programs(struct loader *l)
{
	return l->progs;
}
