// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The benchmark's floor: empty programs on every hook stoptrace attaches
 * (bpf/stoptrace.bpf.c). What they cost is what merely enabling those hooks
 * costs, before any filtering or record is made.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define FLOOR_PROG(sec, name)                                                                      \
	SEC(sec)                                                                                   \
	int name(void *ctx)                                                                        \
	{                                                                                          \
		return 0;                                                                          \
	}

FLOOR_PROG("tp_btf/signal_generate", floor_sig_gen)
FLOOR_PROG("tp_btf/signal_deliver", floor_sig_del)
FLOOR_PROG("tp_btf/sched_process_exit", floor_exit)
FLOOR_PROG("tp_btf/sched_process_free", floor_free)
FLOOR_PROG("tp_btf/sched_process_fork", floor_fork)
FLOOR_PROG("tp_btf/sched_process_exec", floor_exec)
FLOOR_PROG("tp_btf/cgroup_mkdir", floor_cg_mkdir)
FLOOR_PROG("tp_btf/cgroup_rmdir", floor_cg_rmdir)
FLOOR_PROG("tp_btf/cgroup_freeze", floor_cg_frz)
FLOOR_PROG("tp_btf/cgroup_unfreeze", floor_cg_unfrz)
FLOOR_PROG("tracepoint/oom/mark_victim", floor_oom)

/* The syscall hooks: the only ones that slow every syscall on the host. */
FLOOR_PROG("tracepoint/syscalls/sys_enter_umount", floor_sys_umount_in)
FLOOR_PROG("tracepoint/syscalls/sys_exit_umount", floor_sys_umount_out)
FLOOR_PROG("tracepoint/syscalls/sys_enter_unlink", floor_sys_unlink_in)
FLOOR_PROG("tracepoint/syscalls/sys_exit_unlink", floor_sys_unlink_out)
FLOOR_PROG("tracepoint/syscalls/sys_enter_unlinkat", floor_sys_unlinkat_in)
FLOOR_PROG("tracepoint/syscalls/sys_exit_unlinkat", floor_sys_unlinkat_out)
FLOOR_PROG("tracepoint/syscalls/sys_enter_rmdir", floor_sys_rmdir_in)
FLOOR_PROG("tracepoint/syscalls/sys_exit_rmdir", floor_sys_rmdir_out)
