// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The seccomp filter of a profile (the lists are in sandbox.c): a classic
 * BPF program that allows the profile's calls and traps every other, the
 * SIGSYS handler that says a refused call once and makes it fail with
 * EPERM, and its installation on every thread.
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include "privilege/sandbox.h"

#if defined(__x86_64__)
#define SANDBOX_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SANDBOX_ARCH AUDIT_ARCH_AARCH64
#endif

static volatile unsigned long refused;
static volatile unsigned char said[1024];

unsigned long sandbox_refused(void)
{
	return refused;
}

/* Appends the decimal n to buf at *len (async-signal-safe). */
static void put_num(char *buf, size_t *len, long n)
{
	char digits[24];
	int i = 0;

	if (n < 0) {
		buf[(*len)++] = '-';
		n = -n;
	}
	do
		digits[i++] = (char)('0' + n % 10);
	while ((n /= 10) && i < (int)sizeof(digits));
	while (i)
		buf[(*len)++] = digits[--i];
}

static void put_str(char *buf, size_t *len, const char *s)
{
	size_t n = strlen(s);

	memcpy(buf + *len, s, n);
	*len += n;
}

/* A call off the list: said once per number on standard error, then it fails with EPERM. */
static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	int saved = errno, nr = si->si_syscall;
	ucontext_t *uc = ctx;

	(void)sig;
	refused++;
	if (nr >= 0 && nr < (int)(sizeof(said) * 8) && !(said[nr / 8] & (1u << (nr % 8)))) {
		char msg[200];
		size_t len = 0;

		said[nr / 8] |= (unsigned char)(1u << (nr % 8));
		put_str(msg, &len, "stoptrace: seccomp: refused system call ");
		put_num(msg, &len, nr);
		put_str(msg, &len,
			" (it fails with EPERM; --seccomp off disables the filter: "
			"docs/capabilities.md)\n");
		syscall(SYS_write, STDERR_FILENO, msg, len);
	}
#if defined(__x86_64__)
	uc->uc_mcontext.gregs[REG_RAX] = -EPERM;
#elif defined(__aarch64__)
	uc->uc_mcontext.regs[0] = (unsigned long long)-EPERM;
#else
	(void)uc;
#endif
	errno = saved;
}

#ifdef SANDBOX_ARCH
/* The entries of n lists, those standing for none included. */
static size_t calls_in(const struct sandbox_list *lists, size_t n)
{
	size_t total = 0;

	for (size_t l = 0; l < n; l++)
		total += lists[l].n;
	return total;
}
#endif

int sandbox_apply(enum sandbox_profile p, char *why, size_t cap)
{
#ifndef SANDBOX_ARCH
	(void)p;
	snprintf(why, cap, "no seccomp filter on this architecture (x86_64 and aarch64 only)");
	return -EOPNOTSUPP;
#else
	struct sandbox_list lists[SANDBOX_LISTS];
	size_t nlists = sandbox_lists(p, lists);
	struct sock_filter f[4 + 2 * calls_in(lists, nlists) + 1];
	struct sigaction sa = {.sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO | SA_RESTART};
	struct sock_fprog prog;
	size_t k = 0;

	why[0] = '\0';
	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, arch));
	f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SANDBOX_ARCH, 1, 0);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, nr));
	for (size_t l = 0; l < nlists; l++) {
		for (size_t i = 0; i < lists[l].n; i++) {
			int nr = lists[l].calls[i];

			if (nr < 0)
				continue;
			f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
							      (unsigned int)nr, 0, 1);
			f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
		}
	}
	/* x32 calls on x86_64 (bit 30) match no number above: refused like the rest */
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP);
	prog.len = (unsigned short)k;
	prog.filter = f;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL)) {
		snprintf(why, cap, "cannot install the seccomp filter: SIGSYS: %s",
			 strerror(errno));
		return -errno;
	}
	if (!prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0)) {
		snprintf(why, cap, "cannot install the seccomp filter: no_new_privs is not set");
		return -EPERM;
	}
	/* every thread at once (the writers started before) */
	long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog);
	if (rc) {
		int err = rc < 0 ? errno : ESRCH;

		snprintf(why, cap, "cannot install the seccomp filter: %s%s", strerror(err),
			 rc > 0 ? " (a thread could not take it)" : "");
		return -err;
	}
	return 0;
#endif
}
