// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/perf_event.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "identity/runtimes.h"
#include "lib/array_size.h"
#include "kernel/loader.h"
#include "stoptrace.skel.h"
#include "stoptrace_event.h"

#define MAX_PROGS      32
#define ATTACH_FAILED  "cannot attach a BPF program to its tracepoint (run with --verbose)"
#define CAP_BPF_NR     39
#define CAP_PERFMON_NR 38

struct loader {
	struct stoptrace_bpf *skel;
	struct ring_buffer *rb;
	const char *progs[MAX_PROGS + 1];
	struct bpf_link *links[MAX_PROGS];
	int nlinks;
	/* the removal hooks, attached apart (loader_removal_hooks) */
	struct bpf_program *rm_progs[MAX_PROGS];
	struct bpf_link *rm_links[MAX_PROGS];
	int nrm;
	bool rm_attached;
	bool detaching; /* a detacher thread runs (or ran and was not joined) */
	pthread_t detacher;
	uint16_t bit_refs[ST_TRACKED_BITS]; /* tracked ids per prefilter bit */
	int outer; /* epoll over the ring buffer's and the caller's descriptor */
	int extra; /* the caller's descriptor in it, -1 when none */
	loader_event_fn fn;
	void *ctx;
};

static loader_log_fn libbpf_log;
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
	if (!libbpf_log)
		return 0;
	return libbpf_log(fmt, args);
}

const char *loader_last_libbpf_message(void)
{
	return last_msg;
}

static bool has_cap(const struct __user_cap_data_struct *d, int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

int loader_check_privileges(char *why, size_t cap)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data)) {
		int err = -errno;

		snprintf(why, cap, "cannot read this process's capabilities (capget failed)");
		return err;
	}
	if (has_cap(data, CAP_SYS_ADMIN))
		return 0;
	if (has_cap(data, CAP_BPF_NR) && has_cap(data, CAP_PERFMON_NR))
		return 0;
	snprintf(why, cap,
		 "needs root or CAP_BPF+CAP_PERFMON (CAP_SYS_ADMIN before Linux 5.8) to load its "
		 "BPF programs; %s missing: run it with sudo (stoptrace(8), CAPABILITIES, lists "
		 "what it needs)",
		 has_cap(data, CAP_BPF_NR)	 ? "CAP_PERFMON is"
		 : has_cap(data, CAP_PERFMON_NR) ? "CAP_BPF is"
						 : "both are");
	return -EPERM;
}

int loader_check_btf(char *why, size_t cap)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK) == 0)
		return 0;
	snprintf(why, cap,
		 "kernel has no BTF (/sys/kernel/btf/vmlinux missing): needs a kernel built with "
		 "CONFIG_DEBUG_INFO_BTF=y (Debian's kernels since 11 have it)");
	return -ENOENT;
}

static bool tracefs_ready(void)
{
	return access("/sys/kernel/tracing/events", F_OK) == 0 ||
	       access("/sys/kernel/debug/tracing/events", F_OK) == 0;
}

int loader_ensure_tracefs(char *why, size_t cap)
{
	if (tracefs_ready())
		return 0;
	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) == 0 && tracefs_ready())
		return 0;
	snprintf(why, cap,
		 "tracefs is not mounted and mounting it failed: run 'mount -t tracefs nodev "
		 "/sys/kernel/tracing' as root");
	return -ENOENT;
}

static int on_event(void *ctx, void *data, size_t len)
{
	struct loader *l = ctx;

	return l->fn(l->ctx, data, len);
}

bool loader_prog_optional(const char *name)
{
	return !strcmp(name, "handle_cgroup_freeze") || !strcmp(name, "handle_cgroup_unfreeze") ||
	       !strcmp(name, "handle_mark_victim");
}

static bool prog_removal(const struct bpf_program *prog)
{
	return !strncmp(bpf_program__section_name(prog), "tracepoint/syscalls/", 20);
}

struct detach_job {
	int n;
	struct bpf_link *links[MAX_PROGS];
};

static void *detach_main(void *arg)
{
	struct detach_job *job = arg;

	for (int i = job->n - 1; i >= 0; i--)
		bpf_link__destroy(job->links[i]);
	free(job);
	return NULL;
}

static void join_detacher(struct loader *l)
{
	if (l->detaching)
		pthread_join(l->detacher, NULL);
	l->detaching = false;
}

/*
 * Detaching a tracepoint program waits for an RCU grace period per
 * tracepoint (about 70 ms each here, half a second for the eight): a thread
 * of its own does it, so that the reader never stops for it. Until it is
 * done, a syscall may run both an old and a new program: the entry programs
 * write the same in-flight entry, and only the first exit program finds it.
 */
static int detach_removal_hooks(struct loader *l)
{
	struct detach_job *job = malloc(sizeof(*job));

	join_detacher(l);
	if (job) {
		job->n = l->nrm;
		memcpy(job->links, l->rm_links, sizeof(l->rm_links[0]) * l->nrm);
		if (pthread_create(&l->detacher, NULL, detach_main, job))
			detach_main(job); /* no thread: here, the slow way */
		else
			l->detaching = true;
	} else {
		for (int i = l->nrm - 1; i >= 0; i--)
			bpf_link__destroy(l->rm_links[i]);
	}
	for (int i = 0; i < l->nrm; i++)
		l->rm_links[i] = NULL;
	l->rm_attached = false;
	return 0;
}

int loader_removal_hooks(struct loader *l, bool attach)
{
	int err = 0;

	if (attach == l->rm_attached)
		return 0;
	if (!attach)
		return detach_removal_hooks(l);
	/* the old links are gone: an entry left between an enter and its exit must not pair */
	join_detacher(l);
	loader_clear_inflight(l);
	/* entries before exits: an exit without its entry is ignored by the kernel side */
	for (int i = 0; i < l->nrm; i++) {
		l->rm_links[i] = bpf_program__attach(l->rm_progs[i]);
		if (!l->rm_links[i]) {
			err = -errno;
			while (--i >= 0) {
				bpf_link__destroy(l->rm_links[i]);
				l->rm_links[i] = NULL;
			}
			return err ? err : -EINVAL;
		}
	}
	l->rm_attached = true;
	return 0;
}

bool loader_removal_attached(const struct loader *l)
{
	return l->rm_attached;
}

static int tracepoint_id(const char *category, const char *name)
{
	static const char *const roots[] = {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"};
	char path[256];
	int id = -ENOENT;

	for (size_t i = 0; i < ARRAY_SIZE(roots) && id < 0; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/events/%s/%s/id", roots[i], category, name);
		f = fopen(path, "re");
		if (!f) {
			id = -errno;
			continue;
		}
		if (fscanf(f, "%d", &id) != 1)
			id = -EINVAL;
		fclose(f);
	}
	return id;
}

int loader_removal_probe(void *unused)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_TRACEPOINT,
		.size = sizeof(attr),
		.sample_period = 1,
		.wakeup_events = 1,
	};
	int id = tracepoint_id("syscalls", "sys_exit_rmdir");
	int fd;

	(void)unused;
	if (id < 0)
		return id;
	attr.config = (uint64_t)id;
	fd = (int)syscall(SYS_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* The remover comms of the runtimes table, for the kernel side's filter of successful calls. */
static void set_remover_comms(struct stoptrace_bpf *skel)
{
	const char *comms[ST_REMOVERS];
	size_t n = runtimes_removers(comms, ST_REMOVERS);

	for (size_t i = 0; i < n; i++)
		snprintf(skel->rodata->remover_comms[i], ST_COMM_LEN, "%s", comms[i]);
}

/* A step of loader_start failed: why says what; err 0 (errno left unset by libbpf): -EINVAL. */
static int step_failed(int err, char *why, size_t cap, const char *what)
{
	snprintf(why, cap, "%s", what);
	return err ? err : -EINVAL;
}

/* Open the object and set its read-only knobs, which load then fixes. */
static int open_object(struct loader *l, const struct loader_opts *opts, char *why, size_t cap)
{
	int err;

	l->skel = stoptrace_bpf__open();
	if (!l->skel)
		return step_failed(-errno, why, cap, "cannot open the BPF object");
	l->skel->rodata->v1_controller = opts->v1_controller;
	l->skel->rodata->container_fs_events = opts->container_fs_events;
	set_remover_comms(l->skel);
	/* records that can wait wake the reader once an eighth of the ring is pending */
	l->skel->rodata->wake_bytes = opts->ringbuf_bytes / 8;
	err = bpf_map__set_max_entries(l->skel->maps.events, opts->ringbuf_bytes);
	if (err)
		return step_failed(err, why, cap, "invalid ring buffer size");
	return 0;
}

/* Load every program but an optional one whose tracepoint this kernel lacks. */
static int load_object(struct loader *l, char *why, size_t cap)
{
	struct bpf_program *prog;
	int err;

	bpf_object__for_each_program(prog, l->skel->obj)
	{
		const char *tp = bpf_program__section_name(prog);

		if (loader_prog_optional(bpf_program__name(prog)) && !strncmp(tp, "tp_btf/", 7) &&
		    libbpf_find_vmlinux_btf_id(tp + 7, BPF_TRACE_RAW_TP) < 0)
			bpf_program__set_autoload(prog, false);
	}
	err = stoptrace_bpf__load(l->skel);
	if (err)
		return step_failed(
			err, why, cap,
			"the kernel refused to load the BPF programs (run with --verbose for the verifier's log)");
	return 0;
}

/* The removal hooks in attach order: every sys_enter_ program before the sys_exit_ ones. */
static void order_removal_hooks(struct loader *l)
{
	for (int i = 1; i < l->nrm; i++) {
		struct bpf_program *p = l->rm_progs[i];
		int j = i;

		while (j > 0 &&
		       !strncmp(bpf_program__section_name(l->rm_progs[j - 1]),
				"tracepoint/syscalls/sys_exit_", 29) &&
		       strncmp(bpf_program__section_name(p), "tracepoint/syscalls/sys_exit_", 29)) {
			l->rm_progs[j] = l->rm_progs[j - 1];
			j--;
		}
		l->rm_progs[j] = p;
	}
}

/*
 * Attach every loaded program but the removal hooks, which are set aside
 * for loader_removal_hooks; an optional program that does not attach is
 * left out. l->progs names both.
 */
static int attach_programs(struct loader *l, char *why, size_t cap)
{
	struct bpf_program *prog;
	int n = 0;

	bpf_object__for_each_program(prog, l->skel->obj)
	{
		if (!bpf_program__autoload(prog))
			continue;
		if (n == MAX_PROGS)
			return step_failed(-E2BIG, why, cap,
					   "more BPF programs than the loader has room for");
		if (prog_removal(prog)) {
			l->rm_progs[l->nrm++] = prog;
		} else {
			struct bpf_link *link = bpf_program__attach(prog);

			if (!link) {
				int err = -errno;

				if (loader_prog_optional(bpf_program__name(prog)))
					continue;
				return step_failed(err, why, cap, ATTACH_FAILED);
			}
			l->links[l->nlinks++] = link;
		}
		l->progs[n++] = bpf_program__name(prog);
	}
	order_removal_hooks(l);
	return 0;
}

static int open_ring_buffer(struct loader *l, char *why, size_t cap)
{
	l->rb = ring_buffer__new(bpf_map__fd(l->skel->maps.events), on_event, l, NULL);
	if (!l->rb)
		return step_failed(-errno, why, cap, "cannot set up the ring buffer");
	return 0;
}

int loader_start(struct loader **out, const struct loader_opts *opts, loader_event_fn fn, void *ctx,
		 char *why, size_t cap)
{
	struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};
	struct loader *l;
	int err;

	libbpf_log = opts->log;
	libbpf_set_print(libbpf_print);
	/* kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK */
	setrlimit(RLIMIT_MEMLOCK, &rl);

	l = calloc(1, sizeof(*l));
	if (!l) {
		snprintf(why, cap, "out of memory");
		return -ENOMEM;
	}
	l->fn = fn;
	l->ctx = ctx;
	l->outer = -1;
	l->extra = -1;
	/* open -> set the read-only knobs -> load -> attach, then the ring buffer */
	err = open_object(l, opts, why, cap);
	if (!err)
		err = load_object(l, why, cap);
	if (!err)
		err = attach_programs(l, why, cap);
	if (!err && !opts->removal_later) {
		err = loader_removal_hooks(l, true);
		if (err)
			err = step_failed(err, why, cap, ATTACH_FAILED);
	}
	if (!err)
		err = open_ring_buffer(l, why, cap);
	if (err) {
		loader_stop(l);
		return err;
	}
	*out = l;
	return 0;
}

void loader_stop(struct loader *l)
{
	if (!l)
		return;
	if (l->outer >= 0)
		close(l->outer);
	ring_buffer__free(l->rb);
	if (l->rm_attached)
		for (int i = l->nrm - 1; i >= 0; i--)
			bpf_link__destroy(l->rm_links[i]);
	join_detacher(l);
	while (l->nlinks > 0)
		bpf_link__destroy(l->links[--l->nlinks]);
	stoptrace_bpf__destroy(l->skel);
	free(l);
}

/* The prefilter's bit of an id: its word in tracked_bits, and the mask in it. */
static uint32_t bit_of(uint64_t id, uint64_t *mask)
{
	uint32_t bit = (uint32_t)id & (ST_TRACKED_BITS - 1);

	*mask = 1ULL << (bit % 64);
	return bit;
}

int loader_track(struct loader *l, uint64_t cgroup_id)
{
	volatile __u64 *bits = l->skel->bss->tracked_bits;
	uint32_t bit;
	uint64_t mask;
	__u8 one = 1;

	/* the bit before the entry: the kernel side looks the id up only when it is set */
	bit = bit_of(cgroup_id, &mask);
	__atomic_fetch_or(&bits[bit / 64], mask, __ATOMIC_SEQ_CST);
	if (bpf_map__update_elem(l->skel->maps.tracked_cgroups, &cgroup_id, sizeof(cgroup_id), &one,
				 sizeof(one), BPF_NOEXIST)) {
		if (errno == EEXIST)
			return 0; /* counted when it went in */
		if (!l->bit_refs[bit])
			__atomic_fetch_and(&bits[bit / 64], ~mask, __ATOMIC_SEQ_CST);
		return -errno;
	}
	if (l->bit_refs[bit] < UINT16_MAX)
		l->bit_refs[bit]++;
	return 0;
}

int loader_untrack(struct loader *l, uint64_t cgroup_id)
{
	volatile __u64 *bits = l->skel->bss->tracked_bits;
	uint32_t bit;
	uint64_t mask;

	if (bpf_map__delete_elem(l->skel->maps.tracked_cgroups, &cgroup_id, sizeof(cgroup_id), 0))
		return errno == ENOENT ? 0 : -errno;
	bit = bit_of(cgroup_id, &mask);
	/* a count that reached the top stays there: the bit then stays set (a lookup more) */
	if (l->bit_refs[bit] && l->bit_refs[bit] < UINT16_MAX && --l->bit_refs[bit] == 0)
		__atomic_fetch_and(&bits[bit / 64], ~mask, __ATOMIC_SEQ_CST);
	return 0;
}

int loader_poll(struct loader *l, int timeout_ms)
{
	int n = ring_buffer__poll(l->rb, timeout_ms);

	/* records written without a wakeup are read when the wait ends anyway */
	if (n == 0)
		n = ring_buffer__consume(l->rb);
	return n;
}

int loader_poll_with(struct loader *l, int fd, int timeout_ms, void (*ready)(void *ctx), void *ctx)
{
	struct epoll_event evs[2];
	int n;

	if (fd < 0)
		return loader_poll(l, timeout_ms);
	if (l->outer < 0) {
		struct epoll_event ev = {.events = EPOLLIN};

		l->outer = epoll_create1(EPOLL_CLOEXEC);
		if (l->outer < 0)
			return -errno;
		ev.data.fd = ring_buffer__epoll_fd(l->rb);
		if (epoll_ctl(l->outer, EPOLL_CTL_ADD, ev.data.fd, &ev))
			return -errno;
	}
	if (l->extra != fd) {
		struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};

		if (l->extra >= 0)
			epoll_ctl(l->outer, EPOLL_CTL_DEL, l->extra, NULL);
		if (epoll_ctl(l->outer, EPOLL_CTL_ADD, fd, &ev))
			return -errno;
		l->extra = fd;
	}
	n = epoll_wait(l->outer, evs, 2, timeout_ms);
	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++)
		if (evs[i].data.fd == fd)
			ready(ctx);
	return ring_buffer__consume(l->rb);
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
	c->fs_mismatch = sum[ST_STAT_FS_MISMATCH];
	c->fs_inflight_errors = sum[ST_STAT_FS_INFLIGHT_ERRORS];
	c->fs_untrusted = sum[ST_STAT_FS_UNTRUSTED];
	c->runtime_task_errors = sum[ST_STAT_RUNTIME_TASK_ERRORS];
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

int loader_trust_task(struct loader *l, uint32_t tgid)
{
	__u32 flags = ST_RT_VERIFIED;

	if (bpf_map__update_elem(l->skel->maps.runtime_tasks, &tgid, sizeof(tgid), &flags,
				 sizeof(flags), BPF_ANY))
		return -errno;
	return 0;
}

int loader_untrust_task(struct loader *l, uint32_t tgid)
{
	if (bpf_map__delete_elem(l->skel->maps.runtime_tasks, &tgid, sizeof(tgid), 0) &&
	    errno != ENOENT)
		return -errno;
	return 0;
}

int loader_trust_mntns(struct loader *l, const uint32_t *inums, int n)
{
	struct bpf_map *map = l->skel->maps.runtime_mntns;
	__u32 key, next, drop[64];
	int ndrop = 0, err = 0;
	__u8 one = 1;

	/* the old set first: an inode number of a namespace that went can be reused */
	for (int more = !bpf_map__get_next_key(map, NULL, &key, sizeof(key)); more && ndrop < 64;
	     key = next) {
		bool keep = false;

		for (int i = 0; i < n; i++)
			keep |= inums[i] == key;
		if (!keep)
			drop[ndrop++] = key;
		more = !bpf_map__get_next_key(map, &key, &next, sizeof(next));
	}
	for (int i = 0; i < ndrop; i++)
		bpf_map__delete_elem(map, &drop[i], sizeof(drop[i]), 0);
	for (int i = 0; i < n; i++)
		if (bpf_map__update_elem(map, &inums[i], sizeof(inums[i]), &one, sizeof(one),
					 BPF_ANY) &&
		    !err)
			err = -errno;
	return err;
}

void loader_trust_count(struct loader *l, uint32_t ndaemons)
{
	__atomic_store_n(&l->skel->bss->runtime_task_count, ndaemons, __ATOMIC_SEQ_CST);
}

uint32_t loader_host_mntns(struct loader *l)
{
	return __atomic_load_n(&l->skel->bss->host_mntns, __ATOMIC_SEQ_CST);
}

int loader_clear_inflight(struct loader *l)
{
	struct bpf_map *map = l->skel->maps.fs_inflight;
	__u32 key;
	int n = 0;

	/* deleting the first key each time: no iteration over a map that changes */
	while (n < 65536 && !bpf_map__get_next_key(map, NULL, &key, sizeof(key))) {
		if (bpf_map__delete_elem(map, &key, sizeof(key), 0) && errno != ENOENT)
			return -errno;
		n++;
	}
	return n;
}
