/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The unmount and removal calls (umount2, unlink, unlinkat, rmdir): their
 * syscall tracepoints, which user space attaches only while a removal may
 * be under way (user/kernel/rmhooks.h), the filter that keeps only what a
 * removal's verdict needs from callers it can trust, and the walk that
 * writes the directory a relative path starts from. Part of
 * stoptrace.bpf.c, included at its end: one object, one compile unit; it
 * uses that file's maps and helpers.
 */
#ifndef STOPTRACE_REMOVAL_CALLS_H
#define STOPTRACE_REMOVAL_CALLS_H

/*
 * Container runtimes' comms: the comm prefixes of the processes that remove
 * containers (the removers of the runtimes table, user/identity/runtimes.c),
 * set before load; an empty one ends the list. Anyone can set a comm: it
 * never makes a caller trusted (caller_trusted decides that). It only keeps
 * the successful calls of trusted host root processes that are no runtime's
 * out of the ring.
 */
const volatile char remover_comms[ST_REMOVERS][ST_COMM_LEN] = {};

static __always_inline bool comm_is_runtime(const char *c)
{
	for (int i = 0; i < ST_REMOVERS && remover_comms[i][0]; i++) {
		int j = 0;

		while (j < ST_COMM_LEN && remover_comms[i][j] && c[j] == remover_comms[i][j])
			j++;
		if (j == ST_COMM_LEN || !remover_comms[i][j])
			return true;
	}
	return false;
}

/*
 * Whether the caller's removal calls can be evidence about container
 * storage: decided here, never by comm. Every trusted caller is outside
 * every container: in no tracked container cgroup (cgid 0), in the initial
 * pid namespace, and in the host's mount namespace or one of a verified
 * runtime daemon's (some units run dockerd with MountFlags=slave). Then it is
 * trusted when it is
 *  (a) in runtime_tasks (a verified runtime daemon or its child); or
 *  (b) euid 0 of the initial user namespace, once the host's mount
 *      namespace is known (until then only (a) holds).
 * The namespace checks of (a) matter: runc's children inherit the entry
 * before they join a container, and a container's cgroup is tracked some
 * time after it is made, but its pid and mount namespaces come first.
 */
static __always_inline bool caller_trusted(struct task_struct *cur, __u64 cgid, bool *runtime)
{
	__u32 tgid = (__u32)(bpf_get_current_pid_tgid() >> 32);
	__u32 mntns, host = host_mntns;
	const struct cred *cred;

	*runtime = false;
	if (cgid || BPF_CORE_READ(cur, thread_pid, level) != 0)
		return false;
	mntns = BPF_CORE_READ(cur, nsproxy, mnt_ns, ns.inum);
	if (!mntns || (mntns != host && !bpf_map_lookup_elem(&runtime_mntns, &mntns)))
		return false;
	if (tgid_is_runtime(tgid)) {
		*runtime = true;
		return true;
	}
	if (!host)
		return false;
	cred = BPF_CORE_READ(cur, cred);
	return cred && BPF_CORE_READ(cred, euid.val) == 0 &&
	       BPF_CORE_READ(cred, user_ns, ns.inum) == PROC_USER_INIT_INO;
}

static __always_inline int fs_enter(struct trace_event_raw_sys_enter *ctx, __u32 op, __s32 dfd,
				    __u64 name, __u64 flags)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct fs_args a = {.name = name, .flags = flags, .dfd = dfd, .op = op, .nr = ctx->id};

	if (bpf_map_update_elem(&fs_inflight, &tid, &a, BPF_ANY))
		stat_inc(ST_STAT_FS_INFLIGHT_ERRORS);
	return 0;
}

/*
 * Write the directory's components from the leaf upwards into fs->dir,
 * crossing mount points, NUL-separated, and their length into fs->dir_len.
 * The running offset lives in the record, not in a register: the verifier
 * then sees an unknown bounded value at each step and prunes the walk's
 * states instead of exploring every path through the loop.
 */
static __always_inline void walk_dir(struct st_fs_call *fs, struct path *start)
{
	struct dentry *dentry = start->dentry;
	struct vfsmount *vfsmnt = start->mnt;
	struct mount *mnt = (void *)vfsmnt - bpf_core_field_offset(struct mount, mnt);

	fs->dir_len = 0;
	for (int i = 0; i < ST_MAX_DEPTH; i++) {
		struct dentry *parent = BPF_CORE_READ(dentry, d_parent);
		struct dentry *mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
		const unsigned char *name;
		__u32 off;
		long n;

		if (dentry == mnt_root || dentry == parent) {
			struct mount *mnt_parent = BPF_CORE_READ(mnt, mnt_parent);

			if (mnt_parent == mnt || !mnt_parent)
				return; /* the root of the mount tree */
			dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = mnt_parent;
			vfsmnt = (void *)mnt + bpf_core_field_offset(struct mount, mnt);
			continue;
		}
		off = fs->dir_len;
		if (off >= ST_DIR_HALF) {
			fs->path_flags |= ST_PATH_DIR_TRUNCATED;
			return;
		}
		name = BPF_CORE_READ(dentry, d_name.name);
		n = bpf_probe_read_kernel_str(&fs->dir[off & (ST_DIR_HALF - 1)], ST_DIR_HALF, name);
		if (n <= 0) {
			stat_inc(ST_STAT_PATH_ERRORS);
			fs->path_flags |= ST_PATH_DIR_UNRESOLVED;
			return;
		}
		fs->dir_len = off + (__u32)n;
		dentry = parent;
	}
	fs->path_flags |= ST_PATH_DIR_TRUNCATED;
}

/*
 * The entry that the call's enter stored, taken out of fs_inflight; false
 * when there is none, or when it is another call's, left by a hook detached
 * between that call's enter and exit.
 */
static __always_inline bool fs_take_entry(struct trace_event_raw_sys_exit *ctx, __u32 op,
					  struct fs_args *args)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct fs_args *a = bpf_map_lookup_elem(&fs_inflight, &tid);

	if (!a)
		return false;
	*args = *a;
	bpf_map_delete_elem(&fs_inflight, &tid);
	if (args->op != op || args->nr != ctx->id) {
		stat_inc(ST_STAT_FS_MISMATCH);
		return false;
	}
	return true;
}

/*
 * Whether the call's record is written. Successes only from trusted runtimes
 * (the removal engine counts them): the comm filters the volume here, trust
 * is decided already. Failures from trusted callers, and from containers
 * when container_fs_events asks for them.
 */
static __always_inline bool fs_call_kept(long ret, __u64 cgid, bool trusted, bool runtime)
{
	char comm[TASK_COMM_LEN];

	if (ret == 0) {
		if (!trusted)
			return false;
		if (!runtime) {
			bpf_get_current_comm(comm, sizeof(comm));
			if (!comm_is_runtime(comm))
				return false;
		}
		return true;
	}
	if (!trusted && !(cgid && container_fs_events)) {
		stat_inc(ST_STAT_FS_UNTRUSTED);
		return false;
	}
	return true;
}

/* Where a relative path starts: the caller's working directory, or dfd's file. */
static __always_inline void fs_start_dir(struct task_struct *cur, __s32 dfd, struct path *dir)
{
	if (dfd == AT_FDCWD) {
		struct fs_struct *fsx = BPF_CORE_READ(cur, fs);

		if (fsx)
			bpf_core_read(dir, sizeof(*dir), &fsx->pwd);
	} else if (dfd >= 0) {
		struct fdtable *fdt = BPF_CORE_READ(cur, files, fdt);
		struct file **fds = BPF_CORE_READ(fdt, fd);
		unsigned int fd = (unsigned int)dfd;
		struct file *f = NULL;

		if (fds && fd < BPF_CORE_READ(fdt, max_fds))
			bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
		if (f)
			bpf_core_read(dir, sizeof(*dir), &f->f_path);
	}
}

/* The path as the caller passed it, and the directory it is relative to. */
static __always_inline void fs_path(struct st_fs_call *fs, struct task_struct *cur, __u64 name)
{
	struct path dir = {};

	fs->dir_len = 0;
	fs->dev = 0;
	fs->dir[0] = 0;
	fs->name[0] = 0;
	bpf_probe_read_user_str(fs->name, sizeof(fs->name), (void *)name);
	if (fs->name[0] == '/') {
		fs->path_flags |= ST_PATH_ABSOLUTE;
		return;
	}
	fs_start_dir(cur, fs->dfd, &dir);
	if (dir.dentry && dir.mnt) {
		fs->dev = BPF_CORE_READ(dir.dentry, d_sb, s_dev);
		walk_dir(fs, &dir);
	} else {
		fs->path_flags |= ST_PATH_DIR_UNRESOLVED;
	}
}

static __always_inline int fs_exit(struct trace_event_raw_sys_exit *ctx, __u32 op)
{
	struct task_struct *cur = (struct task_struct *)bpf_get_current_task();
	struct fs_args args;
	struct st_event *e;
	struct st_fs_call *fs;
	long ret = ctx->ret;
	bool trusted, runtime;
	__u64 cgid;

	if (!fs_take_entry(ctx, op, &args))
		return 0;
	/*
	 * ENOENT: nothing was there. EISDIR: Go's RemoveAll tries unlink before
	 * rmdir on every directory. Neither is ever why a removal failed.
	 */
	if (ret == -ENOENT || ret == -EISDIR)
		return 0;
	cgid = task_container(cur);
	trusted = caller_trusted(cur, cgid, &runtime);
	if (!fs_call_kept(ret, cgid, trusted, runtime))
		return 0;
	e = reserve_event(ST_EV_FS_CALL, fs);
	if (!e)
		return 0;
	fs = &e->u.fs;
	fill_task(&fs->caller, cur, cgid);
	fs->op = args.op;
	fs->dfd = args.dfd;
	fs->flags = args.flags;
	fs->ret = ret;
	fs->path_flags = trusted ? ST_PATH_TRUSTED : 0;
	fs_path(fs, cur, args.name);
	submit(e, ret < 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_umount")
int handle_enter_umount(struct trace_event_raw_sys_enter *ctx)
{
	return fs_enter(ctx, ST_FS_UMOUNT, AT_FDCWD, ctx->args[0], ctx->args[1]);
}

SEC("tracepoint/syscalls/sys_exit_umount")
int handle_exit_umount(struct trace_event_raw_sys_exit *ctx)
{
	return fs_exit(ctx, ST_FS_UMOUNT);
}

SEC("tracepoint/syscalls/sys_enter_unlink")
int handle_enter_unlink(struct trace_event_raw_sys_enter *ctx)
{
	return fs_enter(ctx, ST_FS_UNLINK, AT_FDCWD, ctx->args[0], 0);
}

SEC("tracepoint/syscalls/sys_exit_unlink")
int handle_exit_unlink(struct trace_event_raw_sys_exit *ctx)
{
	return fs_exit(ctx, ST_FS_UNLINK);
}

SEC("tracepoint/syscalls/sys_enter_unlinkat")
int handle_enter_unlinkat(struct trace_event_raw_sys_enter *ctx)
{
	return fs_enter(ctx, ST_FS_UNLINKAT, (__s32)ctx->args[0], ctx->args[1], ctx->args[2]);
}

SEC("tracepoint/syscalls/sys_exit_unlinkat")
int handle_exit_unlinkat(struct trace_event_raw_sys_exit *ctx)
{
	return fs_exit(ctx, ST_FS_UNLINKAT);
}

SEC("tracepoint/syscalls/sys_enter_rmdir")
int handle_enter_rmdir(struct trace_event_raw_sys_enter *ctx)
{
	return fs_enter(ctx, ST_FS_RMDIR, AT_FDCWD, ctx->args[0], 0);
}

SEC("tracepoint/syscalls/sys_exit_rmdir")
int handle_exit_rmdir(struct trace_event_raw_sys_exit *ctx)
{
	return fs_exit(ctx, ST_FS_RMDIR);
}

#endif /* STOPTRACE_REMOVAL_CALLS_H */
