/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Capabilities: what stoptrace needs to start (the load set), what it keeps
 * once its programs are attached (the runtime set), and the drop from one to
 * the other, with raw capget/capset/prctl (no libcap). docs/capabilities.md
 * says why each capability is in which set.
 *
 * Masks are 64-bit, bit n for capability number n, as /proc/PID/status shows
 * them (CapEff, CapPrm, CapBnd).
 */
#ifndef STOPTRACE_CAPS_H
#define STOPTRACE_CAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Numbers newer than some installed headers know. */
#define CAPS_DAC_READ_SEARCH 2
#define CAPS_SETPCAP	     8
#define CAPS_SYS_PTRACE	     19
#define CAPS_SYS_ADMIN	     21
#define CAPS_SYS_RESOURCE    24
#define CAPS_PERFMON	     38
#define CAPS_BPF	     39

#define CAPS_BIT(c) (1ULL << (c))

/* What the monitor needs to load, attach and scan (kernels 5.8 and later). */
#define CAPS_LOAD                                                                                  \
	(CAPS_BIT(CAPS_BPF) | CAPS_BIT(CAPS_PERFMON) | CAPS_BIT(CAPS_SYS_RESOURCE) |               \
	 CAPS_BIT(CAPS_DAC_READ_SEARCH) | CAPS_BIT(CAPS_SYS_PTRACE) | CAPS_BIT(CAPS_SETPCAP))

/* What reading other processes' /proc entries and container files needs. */
#define CAPS_READ_HOST (CAPS_BIT(CAPS_DAC_READ_SEARCH) | CAPS_BIT(CAPS_SYS_PTRACE))

struct caps_state {
	uint64_t effective;
	uint64_t permitted;
	uint64_t inheritable;
	uint64_t bounding;
	uint64_t ambient;
	int last_cap; /* the highest capability this kernel knows */
	bool no_new_privs;
	uint32_t uid, euid, suid, gid, egid, sgid;
	unsigned int securebits;
};

#define CAPS_SETGID 6
#define CAPS_SETUID 7

/* The securebits once switched: root has no special meaning, for good. */
/* NOROOT, NO_SETUID_FIXUP, NO_CAP_AMBIENT_RAISE and their locks; KEEP_CAPS off, locked */
#define CAPS_SECUREBITS 0xef

/*
 * The user the monitor runs as once started (--user NAME|UID[:GID], default
 * "nobody", or 65534:65534 where the host has no such user; "root" or 0: no
 * switch).
 */
struct caps_user {
	bool change; /* from uid 0 to uid, gid (no supplementary groups) */
	uint32_t uid, gid;
};

/* spec into *u; 0, or -errno with the reason in why (cap bytes). */
int caps_user_parse(const char *spec, struct caps_user *u, char *why, size_t cap);

/* Whether the drop will switch: a change asked for, euid 0, CAP_SETUID and CAP_SETGID held. */
bool caps_user_will_switch(const struct caps_user *u);

/* "CAP_SYS_PTRACE" for 19; NULL for a number without a name. */
const char *caps_name(int cap);

/* The names of the capabilities in mask, lowest number first; returns how many. */
int caps_names(uint64_t mask, const char **out, int max);

struct jsonw;

/* The capabilities in mask as a JSON array of names under key. */
void caps_json(struct jsonw *w, const char *key, uint64_t mask);

/* Capabilities as "CAP_A, CAP_B" in buf (at most cap bytes); "none" when empty. */
void caps_list(uint64_t mask, char *buf, size_t cap);

/*
 * The runtime set, from what the process holds: the host readers, and where
 * BPF commands on already-open descriptors need privilege (kernels before
 * 5.19 with kernel.unprivileged_bpf_disabled set), CAP_BPF, or CAP_SYS_ADMIN
 * on kernels that have no CAP_BPF or when it is not held. Never more than
 * permitted.
 */
uint64_t caps_runtime_set(uint64_t permitted, int last_cap, bool bpf_fd_ops_need_cap);

/* Every capability the kernel knows: bits 0..last_cap. */
uint64_t caps_all(int last_cap);

/* This process's sets. Returns 0 or -errno. */
int caps_read(struct caps_state *s);

/*
 * Whether probe (a BPF command on an open descriptor) fails with EPERM while
 * CAP_BPF and CAP_SYS_ADMIN are out of the effective set. They are put back
 * afterwards. Returns 1 (needs them), 0 (does not) or -errno.
 */
int caps_probe_bpf_fd_ops(int (*probe)(void *ctx), void *ctx);

/*
 * probe(ctx) run with exactly effective in the effective set (permitted
 * unchanged), which is then put back: what a command will do once the
 * process runs with less. Returns probe's result, or -errno (-EPERM when
 * effective is not all permitted).
 */
int caps_probe_as(uint64_t effective, int (*probe)(void *ctx), void *ctx);

/*
 * Keep only keep: every other capability leaves the bounding set (when
 * CAP_SETPCAP is held), the ambient, inheritable, permitted and effective
 * sets; then no_new_privs is set so that no execve can give any back.
 * *after is what the process holds then. Returns 0, or -EPERM when effective,
 * permitted or inheritable still hold more than keep (or the bounding set does
 * and no_new_privs could not be set): the caller must not go on.
 */
int caps_limit(uint64_t keep, struct caps_state *after);

/*
 * caps_limit, and with u (NULL: none) a switch of every thread to u's uid and
 * gid on the way: PR_SET_KEEPCAPS, setgroups(0), setresgid, setresuid, the
 * permitted set raised again to lock the securebits (CAPS_SECUREBITS, with
 * CAP_SETPCAP), then effective and permitted become keep. -EPERM also when a
 * thread is left with another uid or gid.
 */
int caps_limit_as(uint64_t keep, const struct caps_user *u, struct caps_state *after);

/*
 * The monitor's step from the load set to the runtime set, in words: *kept
 * is the runtime set (with CAP_PERFMON when attach_later: the removal hooks
 * are attached on demand, kernels 5.8 and later), why (cap bytes) a warning
 * for the operator or "" when there is nothing to say. Returns 0, or -errno
 * when the monitor must stop (why says what failed).
 */
int caps_enter_runtime(int (*probe)(void *ctx), void *ctx, bool attach_later, uint64_t *kept,
		       char *why, size_t cap);

/* The same, switching to u (NULL: none); without CAP_SETUID or CAP_SETGID it warns and stays. */
int caps_enter_runtime_as(int (*probe)(void *ctx), void *ctx, bool attach_later,
			  const struct caps_user *u, uint64_t *kept, char *why, size_t cap);

/* The same for `stoptrace diagnose`: it keeps the host readers only. */
int caps_enter_diagnose(uint64_t *kept, char *why, size_t cap);

#endif /* STOPTRACE_CAPS_H */
