// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The container ktest watches: a process in a runtime-shaped cgroup whose
 * child is the init of a new pid namespace, as runc leaves it, doing what
 * stops and removals do (a child exits, unmount and removal calls fail) and
 * receiving signals from outside its namespace.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ktest.h"

static int poke_fd = -1;

static int path_join(char *out, const char *dir, const char *name)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);

	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	return close(fd) ? -errno : 0;
}

int workload_prepare(struct workload_paths *p)
{
	char tmpl[] = "/tmp/stoptrace-ktest.XXXXXX", ro[PATH_MAX], path[PATH_MAX];
	int err;

	p->busy_fd = -1;
	/* the namespace left behind: a caller there is the host's (check_fs_trusted) */
	p->host_mnt_fd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	/* mounts made here stay in this process's namespace */
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -errno;
	mkdir("/tmp", 01777);
	if (!mkdtemp(tmpl) || !realpath(tmpl, p->work))
		return -errno;
	err = path_join(ro, p->work, "ro") ?: path_join(p->ro_file, ro, "f") ?:
	      path_join(p->full, p->work, "full") ?: path_join(p->busy, p->work, "busy");
	if (err)
		return err;
	if (mkdir(ro, 0755) || mkdir(p->full, 0755) || mkdir(p->busy, 0755))
		return -errno;
	if (mount("ktest-ro", ro, "tmpfs", 0, "size=64k"))
		return -errno;
	err = write_file(p->ro_file, "x\n");
	if (err)
		return err;
	if (mount(NULL, ro, NULL, MS_REMOUNT | MS_RDONLY, "size=64k"))
		return -errno;
	err = path_join(path, p->full, "f") ?: write_file(path, "x\n");
	if (err)
		return err;
	if (mount("ktest-busy", p->busy, "tmpfs", 0, "size=64k"))
		return -errno;
	err = path_join(path, p->busy, "f") ?: write_file(path, "x\n");
	if (err)
		return err;
	p->busy_fd = open(path, O_RDONLY | O_CLOEXEC);
	return p->busy_fd < 0 ? -errno : 0;
}

void workload_cleanup(struct workload_paths *p)
{
	char path[PATH_MAX + 8];

	if (!p->work[0])
		return;
	if (p->busy_fd >= 0)
		close(p->busy_fd);
	p->busy_fd = -1;
	if (p->host_mnt_fd >= 0)
		close(p->host_mnt_fd);
	p->host_mnt_fd = -1;
	umount2(p->busy, MNT_DETACH);
	snprintf(path, sizeof(path), "%s/ro", p->work);
	umount2(path, MNT_DETACH);
	rmdir(path);
	rmdir(p->busy);
	snprintf(path, sizeof(path), "%s/f", p->full);
	unlink(path);
	rmdir(p->full);
	rmdir(p->work);
	p->work[0] = '\0';
}

static void on_usr1(int sig)
{
	char c = (char)sig;

	if (write(poke_fd, &c, 1) < 0)
		_exit(20);
}

static int errno_of(int ret)
{
	return ret < 0 ? errno : 0;
}

/* pid 1 of the new namespace: no handler for SIGTERM, one for SIGUSR1. */
static int container_init(const struct workload_paths *p, const char *self_exe, int ready_fd)
{
	struct workload_result r = {};
	struct sigaction sa = {.sa_handler = on_usr1};
	pid_t child;
	int dfd;

	if (sigaction(SIGUSR1, &sa, NULL))
		return 21;
	child = fork();
	if (child < 0)
		return 22;
	if (child == 0) {
		execl(self_exe, "ktest", "--exit", "7", (char *)NULL);
		_exit(23);
	}
	r.child_ns_pid = child;
	if (waitpid(child, &r.child_status, 0) != child)
		return 24;
	r.unlink_errno = errno_of(unlink(p->ro_file));
	if (chdir(p->work))
		return 25;
	r.rmdir_errno = errno_of(rmdir("full"));
	dfd = open(p->work, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return 26;
	r.unlinkat_errno = errno_of(unlinkat(dfd, "full", AT_REMOVEDIR));
	close(dfd);
	r.umount_errno = errno_of(umount(p->busy));
	if (write(ready_fd, &r, sizeof(r)) != sizeof(r))
		return 27;
	close(ready_fd);
	for (;;)
		pause();
}

/* The holder: joins the cgroup, makes the namespace and reaps its init. */
static int holder(const struct workload_paths *p, const char *procs_file, const char *self_exe,
		  int pid_fd, int ready_fd)
{
	char buf[32];
	pid_t init;
	int status;

	snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (write_file(procs_file, buf))
		return 10;
	if (unshare(CLONE_NEWPID))
		return 11;
	init = fork();
	if (init < 0)
		return 12;
	if (init == 0) {
		close(pid_fd);
		_exit(container_init(p, self_exe, ready_fd));
	}
	if (write(pid_fd, &init, sizeof(init)) != sizeof(init))
		return 13;
	if (waitpid(init, &status, 0) != init)
		return 14;
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ? 0 : 15;
}

static int read_full(int fd, void *buf, size_t len, int timeout_ms)
{
	size_t got = 0;

	while (got < len) {
		struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
		fd_set set;
		ssize_t n;

		FD_ZERO(&set);
		FD_SET(fd, &set);
		n = select(fd + 1, &set, NULL, NULL, &tv);
		if (n == 0)
			return -ETIMEDOUT;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		n = read(fd, (char *)buf + got, len - got);
		if (n == 0)
			return -EPIPE;
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0)
			got += (size_t)n;
	}
	return 0;
}

static int poke_rd = -1;

int workload_start(const struct workload_paths *p, const char *procs_file, const char *self_exe,
		   struct workload_result *res, pid_t *holder_pid)
{
	int pid_pipe[2], ready[2], poke[2], err;
	pid_t h;

	if (pipe2(pid_pipe, O_CLOEXEC))
		return -errno;
	if (pipe2(ready, O_CLOEXEC) || pipe2(poke, O_CLOEXEC))
		return -errno;
	h = fork();
	if (h < 0)
		return -errno;
	if (h == 0) {
		close(pid_pipe[0]);
		close(ready[0]);
		close(poke[0]);
		poke_fd = poke[1];
		_exit(holder(p, procs_file, self_exe, pid_pipe[1], ready[1]));
	}
	*holder_pid = h;
	close(pid_pipe[1]);
	close(ready[1]);
	close(poke[1]);
	poke_rd = poke[0];
	memset(res, 0, sizeof(*res));
	err = read_full(pid_pipe[0], &res->init_pid, sizeof(res->init_pid), 10000);
	if (!err) {
		pid_t init = res->init_pid;

		err = read_full(ready[0], res, sizeof(*res), 20000);
		res->init_pid = init;
	}
	close(pid_pipe[0]);
	close(ready[0]);
	return err;
}

int workload_poke(const struct workload_result *res)
{
	char c;

	if (kill(res->init_pid, SIGUSR1))
		return -errno;
	return read_full(poke_rd, &c, 1, 10000);
}

int workload_reap(pid_t holder_pid)
{
	int status;

	if (poke_rd >= 0)
		close(poke_rd);
	poke_rd = -1;
	if (waitpid(holder_pid, &status, 0) != holder_pid)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
