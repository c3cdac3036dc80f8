/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The kernel side's lifecycle: checks of what the host must offer, open ->
 * set read-only knobs -> load -> attach, the tracked-cgroups map, ring buffer
 * polling, and the kernel's counters.
 */
#ifndef STOPTRACE_LOADER_H
#define STOPTRACE_LOADER_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loader;

/* Where libbpf's messages go, every level (--verbose): as vfprintf would print them. */
typedef int (*loader_log_fn)(const char *fmt, va_list args);

struct loader_opts {
	size_t ringbuf_bytes;	    /* power of two, at least a page */
	unsigned int v1_controller; /* enum st_v1_controller: match that v1 hierarchy's ids too */
	loader_log_fn log;	    /* libbpf's messages; NULL: none */
	bool removal_later;	    /* leave the removal hooks detached (loader_removal_hooks) */
	bool container_fs_events;   /* write containers' failing removal calls too (--events) */
};

/*
 * The removal hooks are the programs on syscall tracepoints (unmount, unlink,
 * rmdir). Enabling any syscall tracepoint puts every syscall of every task on
 * the slow path, so they can be attached only while a removal may be under
 * way. loader_start attaches them with the rest.
 */
int loader_removal_hooks(struct loader *l, bool attach);
bool loader_removal_attached(const struct loader *l);
/*
 * Whether this process may attach them again (a syscall tracepoint's perf
 * event opens): 0, or -errno (-EACCES/-EPERM without CAP_PERFMON).
 */
int loader_removal_probe(void *unused);

/* Called for every record the kernel wrote; returning non-zero stops polling. */
typedef int (*loader_event_fn)(void *ctx, const void *data, size_t len);

/*
 * Host preconditions, in the order an operator fixes them. Each returns 0 or
 * -errno with why (cap bytes) a sentence naming cause and fix.
 */
int loader_check_privileges(char *why, size_t cap);
int loader_check_btf(char *why, size_t cap);
int loader_ensure_tracefs(char *why, size_t cap);

/* Open, load and attach every program. 0, or -errno with why (cap bytes) saying what failed. */
int loader_start(struct loader **out, const struct loader_opts *opts, loader_event_fn fn, void *ctx,
		 char *why, size_t cap);
void loader_stop(struct loader *l);

int loader_track(struct loader *l, uint64_t cgroup_id);
int loader_untrack(struct loader *l, uint64_t cgroup_id);

/*
 * Wait up to timeout_ms for a wakeup, then read every record there is (also
 * those written without one); returns the records read or -errno (-EINTR is
 * fine).
 */
int loader_poll(struct loader *l, int timeout_ms);
/*
 * The same, also waking when fd (another descriptor of the caller's) is
 * readable: ready(ctx) is then called before the records are read. fd < 0:
 * loader_poll.
 */
int loader_poll_with(struct loader *l, int fd, int timeout_ms, void (*ready)(void *ctx), void *ctx);

struct loader_counters {
	uint64_t emitted;	      /* records the kernel wrote */
	uint64_t lost;		      /* records the kernel dropped: ring buffer full */
	uint64_t path_errors;	      /* paths the kernel could not read */
	uint64_t fs_mismatch;	      /* a removal call's exit met another call's entry */
	uint64_t fs_inflight_errors;  /* a removal call's entry could not be stored */
	uint64_t fs_untrusted;	      /* failing removal calls of untrusted callers, dropped */
	uint64_t runtime_task_errors; /* a runtime's child not added to runtime_tasks */
};

int loader_counters(struct loader *l, struct loader_counters *c);

/*
 * Trust (bpf/stoptrace.bpf.c, caller_trusted; user/kernel/trust.h fills it): the
 * verified runtime daemons' tgids go into runtime_tasks (their children
 * follow in the kernel), their mount namespaces into runtime_mntns (the set
 * is replaced), and ndaemons gates the fork and exit bookkeeping.
 */
int loader_trust_task(struct loader *l, uint32_t tgid);
int loader_untrust_task(struct loader *l, uint32_t tgid);
int loader_trust_mntns(struct loader *l, const uint32_t *inums, int n);
void loader_trust_count(struct loader *l, uint32_t ndaemons);
/* The host's mount namespace as the kernel found it (the global init's), 0 when not yet. */
uint32_t loader_host_mntns(struct loader *l);
/* Forget every removal call in flight (before the hooks attach again). */
int loader_clear_inflight(struct loader *l);

/* A lookup on an open map: 0, or -EPERM when that needs privilege here (ctx: the loader). */
int loader_probe_fd_ops(void *ctx);

/* Optional programs: a kernel without them still runs the rest. */
bool loader_prog_optional(const char *name);

/* Names of the attached programs, NULL-terminated. */
const char *const *loader_programs(struct loader *l);

/* The last message libbpf printed (for error reports); "" when none. */
const char *loader_last_libbpf_message(void);

#endif /* STOPTRACE_LOADER_H */
