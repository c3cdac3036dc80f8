// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include "lib/array_size.h"
#include "kernel/event.h"

#define HDR offsetof(struct st_event, u)

size_t event_size(unsigned int kind)
{
	switch (kind) {
	case ST_EV_SIGNAL_GENERATE:
		return HDR + sizeof(struct st_signal);
	case ST_EV_SIGNAL_DELIVER:
		return HDR + sizeof(struct st_deliver);
	case ST_EV_PROCESS_EXIT:
	case ST_EV_INIT_RELEASED:
		return HDR + sizeof(struct st_exit);
	case ST_EV_PROCESS_FORK:
		return HDR + sizeof(struct st_fork);
	case ST_EV_PROCESS_EXEC:
		return HDR + sizeof(struct st_exec);
	case ST_EV_CGROUP_MKDIR:
	case ST_EV_CGROUP_RMDIR:
	case ST_EV_CGROUP_FREEZE:
	case ST_EV_CGROUP_UNFREEZE:
		return HDR + sizeof(struct st_cgroup);
	case ST_EV_FS_CALL:
		return HDR + sizeof(struct st_fs_call);
	case ST_EV_OOM_VICTIM:
		return HDR + sizeof(struct st_oom);
	}
	return 0;
}

const char *event_kind_name(unsigned int kind)
{
	static const char *const names[ST_EV_KIND_MAX] = {
		[ST_EV_SIGNAL_GENERATE] = "signal_generate",
		[ST_EV_SIGNAL_DELIVER] = "signal_deliver",
		[ST_EV_PROCESS_EXIT] = "process_exit",
		[ST_EV_PROCESS_FORK] = "process_fork",
		[ST_EV_PROCESS_EXEC] = "process_exec",
		[ST_EV_INIT_RELEASED] = "init_released",
		[ST_EV_CGROUP_MKDIR] = "cgroup_mkdir",
		[ST_EV_CGROUP_RMDIR] = "cgroup_rmdir",
		[ST_EV_CGROUP_FREEZE] = "cgroup_freeze",
		[ST_EV_CGROUP_UNFREEZE] = "cgroup_unfreeze",
		[ST_EV_FS_CALL] = "fs_call",
		[ST_EV_OOM_VICTIM] = "oom_victim",
	};

	return kind < ST_EV_KIND_MAX ? names[kind] : NULL;
}

uint64_t event_cgroup_id(const struct st_event *e)
{
	switch (e->kind) {
	case ST_EV_SIGNAL_GENERATE:
		return e->u.signal.target.cgroup_id;
	case ST_EV_SIGNAL_DELIVER:
		return e->u.deliver.task.cgroup_id;
	case ST_EV_PROCESS_EXIT:
	case ST_EV_INIT_RELEASED:
		return e->u.exit.task.cgroup_id;
	case ST_EV_PROCESS_FORK:
		return e->u.fork.parent.cgroup_id;
	case ST_EV_PROCESS_EXEC:
		return e->u.exec.task.cgroup_id;
	case ST_EV_CGROUP_MKDIR:
	case ST_EV_CGROUP_RMDIR:
	case ST_EV_CGROUP_FREEZE:
	case ST_EV_CGROUP_UNFREEZE:
		return e->u.cgroup.id;
	}
	return 0; /* fs_call, oom_victim */
}

const char *fs_op_name(unsigned int op)
{
	switch (op) {
	case ST_FS_UMOUNT:
		return "umount";
	case ST_FS_UNLINK:
		return "unlink";
	case ST_FS_UNLINKAT:
		return "unlinkat";
	case ST_FS_RMDIR:
		return "rmdir";
	}
	return NULL;
}

static void terminate(char *s, size_t size)
{
	s[size - 1] = '\0';
}

static void terminate_task(struct st_task *t)
{
	terminate(t->comm, sizeof(t->comm));
}

int event_decode(const void *data, size_t len, struct st_event *out)
{
	const struct st_event *in = data;
	size_t need;

	if (!data || len < HDR)
		return -EINVAL;
	need = event_size(in->kind);
	if (!need || len < need)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	memcpy(out, data, need);

	switch (out->kind) {
	case ST_EV_SIGNAL_GENERATE:
		terminate_task(&out->u.signal.target);
		terminate_task(&out->u.signal.sender);
		/*
		 * The walk ends at pid 1 (or 0); whatever follows is not ancestry
		 * (older kernel sides left it uninitialised).
		 */
		for (int i = 0, end = 0; i < ST_ANCESTRY; i++) {
			if (end)
				memset(&out->u.signal.ancestry[i], 0,
				       sizeof(out->u.signal.ancestry[i]));
			terminate(out->u.signal.ancestry[i].comm, ST_COMM_LEN);
			end = end || out->u.signal.ancestry[i].pid <= 1;
		}
		break;
	case ST_EV_SIGNAL_DELIVER:
		terminate_task(&out->u.deliver.task);
		break;
	case ST_EV_PROCESS_EXIT:
	case ST_EV_INIT_RELEASED:
		terminate_task(&out->u.exit.task);
		break;
	case ST_EV_PROCESS_FORK:
		terminate_task(&out->u.fork.parent);
		terminate_task(&out->u.fork.child);
		break;
	case ST_EV_PROCESS_EXEC:
		terminate_task(&out->u.exec.task);
		break;
	case ST_EV_CGROUP_MKDIR:
	case ST_EV_CGROUP_RMDIR:
	case ST_EV_CGROUP_FREEZE:
	case ST_EV_CGROUP_UNFREEZE:
		terminate(out->u.cgroup.path, sizeof(out->u.cgroup.path));
		break;
	case ST_EV_FS_CALL:
		terminate_task(&out->u.fs.caller);
		if (out->u.fs.dir_len > ST_DIR_LEN)
			out->u.fs.dir_len = ST_DIR_LEN;
		terminate(out->u.fs.name, sizeof(out->u.fs.name));
		/*
		 * These syscalls return 0 or -errno (MAX_ERRNO is 4095): no kernel
		 * writes anything else, a recording someone hands over may.
		 */
		if (out->u.fs.ret > 0 || out->u.fs.ret < -4095)
			return -EINVAL;
		break;
	case ST_EV_OOM_VICTIM:
		terminate_task(&out->u.oom.killer);
		break;
	}
	return 0;
}

static int append(char *out, size_t cap, size_t *len, const char *s, size_t n)
{
	if (*len + n + 1 > cap)
		return -ENOSPC;
	memcpy(out + *len, s, n);
	*len += n;
	out[*len] = '\0';
	return 0;
}

int event_fs_path(const struct st_fs_call *fs, char *out, size_t cap, bool *complete)
{
	const char *comp[ST_DIR_LEN / 2];
	size_t comp_len[ST_DIR_LEN / 2];
	size_t ncomp = 0, len = 0, off = 0;
	size_t dir_len = fs->dir_len > ST_DIR_LEN ? ST_DIR_LEN : fs->dir_len;
	size_t name_len = strnlen(fs->name, sizeof(fs->name));
	bool ok = true;
	int err;

	if (!cap)
		return -ENOSPC;
	out[0] = '\0';
	if (!(fs->path_flags & ST_PATH_ABSOLUTE)) {
		/* components are NUL-separated, leaf first */
		while (off < dir_len && ncomp < ARRAY_SIZE(comp)) {
			size_t n = strnlen(fs->dir + off, dir_len - off);

			if (n > 0) {
				comp[ncomp] = fs->dir + off;
				comp_len[ncomp++] = n;
			}
			off += n + 1;
		}
		if (fs->path_flags & ST_PATH_DIR_UNRESOLVED) {
			ok = false;
			err = append(out, cap, &len, "?", 1);
			if (err)
				return err;
		} else if (fs->path_flags & ST_PATH_DIR_TRUNCATED) {
			ok = false;
			err = append(out, cap, &len, "\xe2\x80\xa6", 3);
			if (err)
				return err;
		}
		while (ncomp > 0) {
			ncomp--;
			/* the root dentry's own name is "/": nothing to add */
			if (comp_len[ncomp] == 1 && comp[ncomp][0] == '/')
				continue;
			err = append(out, cap, &len, "/", 1);
			if (!err)
				err = append(out, cap, &len, comp[ncomp], comp_len[ncomp]);
			if (err)
				return err;
		}
		if (name_len && !(name_len == 1 && fs->name[0] == '.')) {
			err = append(out, cap, &len, "/", 1);
			if (err)
				return err;
		} else if (!len) {
			err = append(out, cap, &len, "/", 1);
			if (err)
				return err;
		}
	}
	if (!(name_len == 1 && fs->name[0] == '.')) {
		err = append(out, cap, &len, fs->name, name_len);
		if (err)
			return err;
	}
	if (name_len == sizeof(fs->name) - 1)
		ok = false; /* the name may have been cut */
	if (complete)
		*complete = ok;
	return (int)len;
}
