// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include "identity/identity.h"
#include "lib/exit_codes.h"
#include "lib/jsonw.h"
#include "kernel/loader.h"
#include "lib/readfile.h"
#include "identity/runtimes.h"
#include "kernel/trust.h"

/*
 * Where runtime daemons say who they are: the pid files and sockets of the
 * runtimes table (user/identity/runtimes.c), as absolute paths below the root prefix,
 * pid files first. Built once; the table does not change.
 */
#define TRUST_SOURCES_MAX 32

static struct trust_source sources[TRUST_SOURCES_MAX + 1];
static char source_paths[TRUST_SOURCES_MAX][128];

static void add_source(size_t *n, enum trust_how how, const char *rel, const char *comm)
{
	if (*n >= TRUST_SOURCES_MAX)
		return;
	snprintf(source_paths[*n], sizeof(source_paths[*n]), "/%s", rel);
	sources[*n] = (struct trust_source){how, source_paths[*n], comm};
	(*n)++;
}

const struct trust_source *trust_sources(void)
{
	const struct runtime_info *rt;
	size_t nrt, n = 0;

	if (sources[0].path)
		return sources;
	rt = runtimes_all(&nrt);
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < nrt; i++) {
			const char *const *list = pass ? rt[i].sockets : rt[i].pid_files;

			if (!rt[i].daemon)
				continue;
			for (int j = 0; j < RT_PATHS_MAX && list[j]; j++)
				add_source(&n, pass ? TRUST_SOCKET : TRUST_PIDFILE, list[j],
					   rt[i].daemon);
		}
	return sources;
}

static int join(char *out, size_t cap, const char *root, const char *path)
{
	if (snprintf(out, cap, "%s%s", root && strcmp(root, "/") ? root : "", path) >= (int)cap)
		return -ENAMETOOLONG;
	return 0;
}

/* Root's file (or, in a fixture tree, this process's), that no one else may write. */
static int owner_ok(const struct stat *st)
{
	if (st->st_uid != 0 && st->st_uid != geteuid())
		return -EPERM;
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return -EPERM;
	return 0;
}

int trust_read_pidfile(const char *root, const char *path, int *pid)
{
	char full[PATH_MAX], buf[32];
	struct stat st;
	ssize_t n;
	long v;
	char *end;
	int fd, err;

	err = join(full, sizeof(full), root, path);
	if (err)
		return err;
	fd = open_stat(full, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, &st);
	if (fd < 0)
		return fd;
	if (!S_ISREG(st.st_mode) || owner_ok(&st)) {
		close(fd);
		return S_ISREG(st.st_mode) ? -EPERM : -EINVAL;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	close(fd);
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	if (n == 0 || n > 10 || buf[0] < '1' || buf[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno || *end || v <= 0 || v > INT_MAX)
		return -EINVAL;
	*pid = (int)v;
	return 0;
}

static int refuse(char *why, size_t cap, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int refuse(char *why, size_t cap, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, cap, fmt, ap);
	va_end(ap);
	return err;
}

/* The real and effective uid of /proc/PID/status ("Uid:\tR\tE\tS\tF"). */
static int read_uids(const char *root, int pid, long *ruid, long *euid)
{
	char path[PATH_MAX], rel[64];
	char *text, *p;
	size_t len;
	int err;

	snprintf(rel, sizeof(rel), "/proc/%d/status", pid);
	err = join(path, sizeof(path), root, rel);
	if (err)
		return err;
	err = read_file_max(path, 64 << 10, &text, &len);
	if (err)
		return err;
	err = -EINVAL;
	for (p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (!strncmp(p, "Uid:", 4)) {
			if (sscanf(p + 4, "%ld %ld", ruid, euid) == 2)
				err = 0;
			break;
		}
	}
	free(text);
	return err;
}

static int container_line(int hierarchy_id, const char *controllers, const char *path, void *ctx)
{
	struct container c;

	(void)hierarchy_id;
	(void)controllers;
	if (!identity_container_of_cgroup(path, &c))
		return 0;
	snprintf(ctx, 128, "%s", path);
	return 1;
}

int trust_verify_pid(const char *root, int pid, const char *comm, struct trust_daemon *out,
		     char *why, size_t cap)
{
	struct proc_status st;
	uint64_t pidns = 0, userns = 0, mntns = 0;
	char cgpath[128] = "";
	long ruid = -1, euid = -1;
	int err;

	memset(out, 0, sizeof(*out));
	if (pid <= 1)
		return refuse(why, cap, -EINVAL, "pid %d is no daemon's", pid);
	err = procfs_read_status(root, pid, &st);
	if (err == -ENOENT || err == -ESRCH)
		return refuse(why, cap, -ENOENT, "no process %d (a stale pid file?)", pid);
	if (err)
		return refuse(why, cap, err, "cannot read the status of %d: %s", pid,
			      strerror(-err));
	if (st.tgid != pid)
		return refuse(why, cap, -EPERM, "%d is a thread of %d, not a daemon", pid, st.tgid);
	if (comm && strcmp(st.name, comm))
		return refuse(why, cap, -ENOENT, "process %d is not %s (a stale pid file?)", pid,
			      comm);
	err = read_uids(root, pid, &ruid, &euid);
	if (err)
		return refuse(why, cap, err, "cannot read the uids of %d", pid);
	if (ruid != 0 || euid != 0)
		return refuse(why, cap, -EPERM, "process %d does not run as root (uid %ld)", pid,
			      euid);
	if (st.nspid_count > 1)
		return refuse(why, cap, -EPERM, "process %d is in a nested pid namespace", pid);
	err = procfs_ns(root, pid, "pid", &pidns);
	if (!err)
		err = procfs_ns(root, pid, "user", &userns);
	if (!err)
		err = procfs_ns(root, pid, "mnt", &mntns);
	if (err)
		return refuse(why, cap, err, "cannot read the namespaces of %d: %s", pid,
			      strerror(-err));
	if (pidns != TRUST_INIT_PIDNS)
		return refuse(why, cap, -EPERM, "process %d is not in the initial pid namespace",
			      pid);
	if (userns != TRUST_INIT_USERNS)
		return refuse(why, cap, -EPERM, "process %d is not in the initial user namespace",
			      pid);
	err = procfs_read_cgroup(root, pid, container_line, cgpath);
	if (err < 0)
		return refuse(why, cap, err, "cannot read the cgroups of %d: %s", pid,
			      strerror(-err));
	if (err > 0)
		return refuse(why, cap, -EPERM, "process %d is in a container's cgroup", pid);
	snprintf(out->name, sizeof(out->name), "%s", st.name);
	out->pid = pid;
	out->mntns = mntns;
	return 0;
}

/* The pid of the process listening on a unix socket, from SO_PEERCRED. */
static int socket_owner(const char *root, const char *path, int *pid)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct ucred cred = {};
	socklen_t len = sizeof(cred);
	char full[PATH_MAX];
	struct stat st;
	int fd, err;

	err = join(full, sizeof(full), root, path);
	if (err)
		return err;
	if (lstat(full, &st))
		return -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EINVAL;
	if (st.st_uid != 0 && st.st_uid != geteuid())
		return -EPERM;
	if (strlen(full) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, full);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	err = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	if (!err && getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		err = -errno;
	close(fd);
	if (err)
		return err;
	if (cred.pid <= 0)
		return -ESRCH; /* the owner is in no pid namespace this process sees */
	*pid = cred.pid;
	return 0;
}

int trust_find(const char *root, struct trust_daemon *out, int max, trust_refused_fn refused,
	       void *ctx)
{
	int n = 0;

	for (const struct trust_source *s = trust_sources(); s->path && n < max; s++) {
		struct trust_daemon d;
		char why[192];
		bool dup = false;
		int pid = 0, err;

		err = s->how == TRUST_PIDFILE ? trust_read_pidfile(root, s->path, &pid)
					      : socket_owner(root, s->path, &pid);
		if (err == -ENOENT || err == -ECONNREFUSED)
			continue; /* that runtime is not here */
		if (err) {
			if (refused) {
				snprintf(why, sizeof(why), "%s: %s", s->path, strerror(-err));
				refused(ctx, s, 0, why);
			}
			continue;
		}
		for (int i = 0; i < n; i++)
			dup |= out[i].pid == pid;
		if (dup)
			continue;
		err = trust_verify_pid(root, pid, s->comm, &d, why, sizeof(why));
		if (err) {
			if (refused)
				refused(ctx, s, pid, why);
			continue;
		}
		d.source = s->path;
		out[n++] = d;
	}
	return n;
}

/* ---- the live monitor ---- */

static void on_refused(void *ctx, const struct trust_source *src, int pid, const char *why)
{
	struct trust *t = ctx;

	(void)src;
	(void)pid;
	t->refusals++;
	snprintf(t->last_refusal, sizeof(t->last_refusal), "%s", why);
}

static void sync_kernel(struct trust *t, struct loader *l)
{
	uint32_t inums[TRUST_MAX_DAEMONS];
	int n = 0;

	/* a daemon no longer verified (gone, its pid maybe reused): out at once */
	for (int i = 0; i < t->nprev; i++) {
		bool still = false;

		for (int j = 0; j < t->n; j++)
			still |= t->d[j].pid == t->prev[i];
		if (!still && loader_untrust_task(l, (uint32_t)t->prev[i]))
			t->sync_errors++;
	}
	t->nprev = 0;
	for (int i = 0; i < t->n; i++) {
		if (loader_trust_task(l, (uint32_t)t->d[i].pid))
			t->sync_errors++;
		t->prev[t->nprev++] = t->d[i].pid;
		inums[n++] = (uint32_t)t->d[i].mntns;
	}
	if (loader_trust_mntns(l, inums, n))
		t->sync_errors++;
	loader_trust_count(l, (uint32_t)t->n);
}

/*
 * A daemon verified by an earlier look that this one did not find again
 * stays trusted while its process still passes every check. After the drop
 * to --user the monitor can no longer connect to a root-only socket
 * (containerd's), so a daemon found by its socket is not found again; its
 * pid is what was verified, and what is checked again.
 */
static void keep_verified(struct trust *t, const struct trust_daemon *old, int nold)
{
	for (int i = 0; i < nold && t->n < TRUST_MAX_DAEMONS; i++) {
		struct trust_daemon d;
		char why[192];
		bool found = false;

		for (int j = 0; j < t->n; j++)
			found |= t->d[j].pid == old[i].pid;
		if (found || trust_verify_pid("", old[i].pid, old[i].name, &d, why, sizeof(why)))
			continue;
		d.source = old[i].source;
		t->d[t->n++] = d;
	}
}

static void look(struct trust *t, struct loader *l, uint64_t now_ns)
{
	uint64_t self_pidns = 0;

	t->next_ns = now_ns + TRUST_EVERY_NS;
	if (!t->host_mntns)
		t->host_mntns = loader_host_mntns(l);
	/* pids from SO_PEERCRED and /proc are this namespace's: host tgids only in the initial */
	t->self_host =
		!procfs_ns("", getpid(), "pid", &self_pidns) && self_pidns == TRUST_INIT_PIDNS;
	if (!t->self_host) {
		t->n = 0;
	} else {
		struct trust_daemon old[TRUST_MAX_DAEMONS];
		int nold = t->n;

		memcpy(old, t->d, sizeof(old));
		t->n = trust_find("", t->d, TRUST_MAX_DAEMONS, on_refused, t);
		keep_verified(t, old, nold);
	}
	sync_kernel(t, l);
}

void trust_start(struct trust *t, struct loader *l, uint64_t now_ns)
{
	pid_t pid;

	/* a fork outside every container: the kernel side looks at the global init then */
	if (!loader_host_mntns(l)) {
		pid = fork();
		if (pid == 0)
			_exit(EXIT_OK);
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
	look(t, l, now_ns);
}

void trust_tick(struct trust *t, struct loader *l, uint64_t now_ns)
{
	if (l && now_ns >= t->next_ns)
		look(t, l, now_ns);
}

void trust_json(struct jsonw *w, const struct trust *t)
{
	jsonw_obj_key(w, "trust");
	jsonw_bool(w, "host_mntns_known", t->host_mntns != 0);
	jsonw_uint(w, "host_mntns", t->host_mntns);
	jsonw_bool(w, "host_pids", t->self_host);
	jsonw_arr_key(w, "runtimes");
	for (int i = 0; i < t->n; i++) {
		jsonw_obj_open(w);
		jsonw_str(w, "name", t->d[i].name);
		jsonw_uint(w, "pid", (uint64_t)t->d[i].pid);
		jsonw_str(w, "source", t->d[i].source);
		jsonw_obj_close(w);
	}
	jsonw_arr_close(w);
	jsonw_uint(w, "refused", t->refusals);
	jsonw_obj_close(w);
}
