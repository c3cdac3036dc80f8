// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The sandbox's profiles: the system calls each still makes once it runs
 * with what it keeps (sandbox.h). sandbox_filter.c makes the seccomp filter
 * of them.
 */
#include <stddef.h>
#include <sys/syscall.h>
#include "lib/array_size.h"
#include "privilege/sandbox.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_SANITIZED 1
#endif
#endif

/*
 * What every process of stoptrace still calls once sandboxed: glibc and its
 * threads (memory, signals, clocks, futexes, exit), its own ids, and reading,
 * writing and opening files.
 */
static const int common_calls[] = {
#ifdef __NR_read
	__NR_read,
#endif
#ifdef __NR_write
	__NR_write,
#endif
#ifdef __NR_readv
	__NR_readv,
#endif
#ifdef __NR_writev
	__NR_writev,
#endif
#ifdef __NR_pread64
	__NR_pread64,
#endif
#ifdef __NR_pwrite64
	__NR_pwrite64,
#endif
#ifdef __NR_close
	__NR_close,
#endif
#ifdef __NR_close_range
	__NR_close_range,
#endif
#ifdef __NR_fstat
	__NR_fstat,
#endif
#ifdef __NR_newfstatat
	__NR_newfstatat,
#endif
#ifdef __NR_fstatat64
	__NR_fstatat64,
#endif
#ifdef __NR_lstat
	__NR_lstat,
#endif
#ifdef __NR_stat
	__NR_stat,
#endif
#ifdef __NR_statx
	__NR_statx,
#endif
#ifdef __NR_lseek
	__NR_lseek,
#endif
#ifdef __NR_mmap
	__NR_mmap,
#endif
#ifdef __NR_munmap
	__NR_munmap,
#endif
#ifdef __NR_mprotect
	__NR_mprotect,
#endif
#ifdef __NR_mremap
	__NR_mremap,
#endif
#ifdef __NR_madvise
	__NR_madvise,
#endif
#ifdef __NR_brk
	__NR_brk,
#endif
#ifdef __NR_rt_sigaction
	__NR_rt_sigaction,
#endif
#ifdef __NR_rt_sigprocmask
	__NR_rt_sigprocmask,
#endif
#ifdef __NR_rt_sigreturn
	__NR_rt_sigreturn,
#endif
#ifdef __NR_sigaltstack
	__NR_sigaltstack,
#endif
#ifdef __NR_fcntl
	__NR_fcntl,
#endif
#ifdef __NR_getpid
	__NR_getpid,
#endif
#ifdef __NR_gettid
	__NR_gettid,
#endif
#ifdef __NR_getppid
	__NR_getppid,
#endif
#ifdef __NR_getuid
	__NR_getuid,
#endif
#ifdef __NR_geteuid
	__NR_geteuid,
#endif
#ifdef __NR_getgid
	__NR_getgid,
#endif
#ifdef __NR_getegid
	__NR_getegid,
#endif
#ifdef __NR_getresuid
	__NR_getresuid,
#endif
#ifdef __NR_getresgid
	__NR_getresgid,
#endif
#ifdef __NR_clock_gettime
	__NR_clock_gettime,
#endif
#ifdef __NR_clock_nanosleep
	__NR_clock_nanosleep,
#endif
#ifdef __NR_nanosleep
	__NR_nanosleep,
#endif
#ifdef __NR_gettimeofday
	__NR_gettimeofday,
#endif
#ifdef __NR_time
	__NR_time,
#endif
#ifdef __NR_futex
	__NR_futex,
#endif
#ifdef __NR_exit
	__NR_exit,
#endif
#ifdef __NR_exit_group
	__NR_exit_group,
#endif
#ifdef __NR_restart_syscall
	__NR_restart_syscall,
#endif
#ifdef __NR_getrandom
	__NR_getrandom,
#endif
#ifdef __NR_sched_yield
	__NR_sched_yield,
#endif
#ifdef __NR_tgkill
	__NR_tgkill,
#endif
#ifdef __NR_openat
	__NR_openat,
#endif
#ifdef __NR_open
	__NR_open,
#endif
};

/* The monitor after the drop: what it, libbpf and its threads call besides. */
static const int monitor_calls[] = {
#ifdef __NR_openat2
	__NR_openat2,
#endif
#ifdef __NR_readlink
	__NR_readlink,
#endif
#ifdef __NR_readlinkat
	__NR_readlinkat,
#endif
#ifdef __NR_getdents64
	__NR_getdents64,
#endif
#ifdef __NR_getdents
	__NR_getdents,
#endif
#ifdef __NR_faccessat
	__NR_faccessat,
#endif
#ifdef __NR_faccessat2
	__NR_faccessat2,
#endif
#ifdef __NR_access
	__NR_access,
#endif
#ifdef __NR_ioctl
	__NR_ioctl,
#endif
#ifdef __NR_dup
	__NR_dup,
#endif
#ifdef __NR_dup2
	__NR_dup2,
#endif
#ifdef __NR_dup3
	__NR_dup3,
#endif
#ifdef __NR_poll
	__NR_poll,
#endif
#ifdef __NR_ppoll
	__NR_ppoll,
#endif
#ifdef __NR_epoll_create1
	__NR_epoll_create1,
#endif
#ifdef __NR_epoll_create
	__NR_epoll_create,
#endif
#ifdef __NR_epoll_ctl
	__NR_epoll_ctl,
#endif
#ifdef __NR_epoll_wait
	__NR_epoll_wait,
#endif
#ifdef __NR_epoll_pwait
	__NR_epoll_pwait,
#endif
#ifdef __NR_epoll_pwait2
	__NR_epoll_pwait2,
#endif
#ifdef __NR_pipe2
	__NR_pipe2,
#endif
#ifdef __NR_rename
	__NR_rename,
#endif
#ifdef __NR_renameat
	__NR_renameat,
#endif
#ifdef __NR_renameat2
	__NR_renameat2,
#endif
#ifdef __NR_unlink
	__NR_unlink,
#endif
#ifdef __NR_unlinkat
	__NR_unlinkat,
#endif
#ifdef __NR_ftruncate
	__NR_ftruncate,
#endif
#ifdef __NR_fsync
	__NR_fsync,
#endif
#ifdef __NR_fdatasync
	__NR_fdatasync,
#endif
#ifdef __NR_fchmod
	__NR_fchmod,
#endif
#ifdef __NR_umask
	__NR_umask,
#endif
#ifdef __NR_socket
	__NR_socket,
#endif
#ifdef __NR_connect
	__NR_connect,
#endif
#ifdef __NR_sendto
	__NR_sendto,
#endif
#ifdef __NR_sendmsg
	__NR_sendmsg,
#endif
#ifdef __NR_recvfrom
	__NR_recvfrom,
#endif
#ifdef __NR_recvmsg
	__NR_recvmsg,
#endif
#ifdef __NR_shutdown
	__NR_shutdown,
#endif
#ifdef __NR_getsockopt
	__NR_getsockopt,
#endif
#ifdef __NR_setsockopt
	__NR_setsockopt,
#endif
#ifdef __NR_getsockname
	__NR_getsockname,
#endif
#ifdef __NR_uname
	__NR_uname,
#endif
#ifdef __NR_set_robust_list
	__NR_set_robust_list,
#endif
#ifdef __NR_get_robust_list
	__NR_get_robust_list,
#endif
#ifdef __NR_rseq
	__NR_rseq,
#endif
#ifdef __NR_clone
	__NR_clone,
#endif
#ifdef __NR_clone3
	__NR_clone3,
#endif
#ifdef __NR_wait4
	__NR_wait4,
#endif
#ifdef __NR_waitid
	__NR_waitid,
#endif
#ifdef __NR_kill
	__NR_kill,
#endif
#ifdef __NR_tkill
	__NR_tkill,
#endif
#ifdef __NR_prctl
	__NR_prctl,
#endif
#ifdef __NR_capget
	__NR_capget,
#endif
#ifdef __NR_bpf
	__NR_bpf,
#endif
#ifdef __NR_perf_event_open
	__NR_perf_event_open,
#endif
#ifdef __NR_inotify_init1
	__NR_inotify_init1,
#endif
#ifdef __NR_inotify_add_watch
	__NR_inotify_add_watch,
#endif
#ifdef __NR_inotify_rm_watch
	__NR_inotify_rm_watch,
#endif
#ifdef __NR_sched_getaffinity
	__NR_sched_getaffinity,
#endif
#ifdef __NR_getrlimit
	__NR_getrlimit,
#endif
#ifdef __NR_prlimit64
	__NR_prlimit64,
#endif
#ifdef __NR_sysinfo
	__NR_sysinfo,
#endif
#ifdef __NR_getcwd
	__NR_getcwd,
#endif
#ifdef __NR_membarrier
	__NR_membarrier,
#endif
#ifdef __NR_mincore
	__NR_mincore,
#endif
#ifdef __NR_timerfd_create
	__NR_timerfd_create,
#endif
#ifdef __NR_timerfd_settime
	__NR_timerfd_settime,
#endif
#ifdef __NR_eventfd2
	__NR_eventfd2,
#endif
#ifdef __NR_statfs
	__NR_statfs,
#endif
#ifdef __NR_fstatfs
	__NR_fstatfs,
#endif
#ifdef __NR_fadvise64
	__NR_fadvise64,
#endif
#ifdef __NR_pselect6
	__NR_pselect6,
#endif
#ifdef __NR_select
	__NR_select,
#endif
};

/* The file helper besides: requests in, files written, answers out. */
static const int files_calls[] = {
#ifdef __NR_recvfrom
	__NR_recvfrom,
#endif
#ifdef __NR_recvmsg
	__NR_recvmsg,
#endif
#ifdef __NR_sendmsg
	__NR_sendmsg,
#endif
#ifdef __NR_sendto
	__NR_sendto,
#endif
#ifdef __NR_rename
	__NR_rename,
#endif
#ifdef __NR_renameat
	__NR_renameat,
#endif
#ifdef __NR_renameat2
	__NR_renameat2,
#endif
#ifdef __NR_unlink
	__NR_unlink,
#endif
#ifdef __NR_unlinkat
	__NR_unlinkat,
#endif
#ifdef __NR_fsync
	__NR_fsync,
#endif
#ifdef __NR_fchmod
	__NR_fchmod,
#endif
#ifdef __NR_ftruncate
	__NR_ftruncate,
#endif
#ifdef __NR_prctl
	__NR_prctl,
#endif
};

/* LeakSanitizer at exit: a clone that stops the threads with ptrace and reads them. */
static const int sanitizer_calls[] = {
#ifdef SANDBOX_SANITIZED
#ifdef __NR_ptrace
	__NR_ptrace,
#endif
#ifdef __NR_wait4
	__NR_wait4,
#endif
#ifdef __NR_waitid
	__NR_waitid,
#endif
#ifdef __NR_clone
	__NR_clone,
#endif
#ifdef __NR_clone3
	__NR_clone3,
#endif
#ifdef __NR_prctl
	__NR_prctl,
#endif
#ifdef __NR_sched_getaffinity
	__NR_sched_getaffinity,
#endif
#ifdef __NR_getdents64
	__NR_getdents64,
#endif
#ifdef __NR_readlink
	__NR_readlink,
#endif
#ifdef __NR_readlinkat
	__NR_readlinkat,
#endif
#ifdef __NR_kill
	__NR_kill,
#endif
#ifdef __NR_tkill
	__NR_tkill,
#endif
#ifdef __NR_getrlimit
	__NR_getrlimit,
#endif
#ifdef __NR_prlimit64
	__NR_prlimit64,
#endif
#ifdef __NR_sigaltstack
	__NR_sigaltstack,
#endif
#endif
	-1,
};

#define NCALLS(a) (ARRAY_SIZE(a))

static bool on_list(const int *list, size_t n, int nr)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == nr)
			return true;
	return false;
}

size_t sandbox_lists(enum sandbox_profile p, struct sandbox_list lists[SANDBOX_LISTS])
{
	lists[0] = (struct sandbox_list){common_calls, NCALLS(common_calls)};
	if (p == SANDBOX_FILES)
		lists[1] = (struct sandbox_list){files_calls, NCALLS(files_calls)};
	else
		lists[1] = (struct sandbox_list){monitor_calls, NCALLS(monitor_calls)};
	lists[2] = (struct sandbox_list){sanitizer_calls, NCALLS(sanitizer_calls)};
	return SANDBOX_LISTS;
}

bool sandbox_allows(enum sandbox_profile p, int nr)
{
	struct sandbox_list lists[SANDBOX_LISTS];
	size_t n = sandbox_lists(p, lists);

	for (size_t i = 0; nr >= 0 && i < n; i++)
		if (on_list(lists[i].calls, lists[i].n, nr))
			return true;
	return false;
}
