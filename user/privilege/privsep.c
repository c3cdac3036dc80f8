// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>
#include "lib/exit_codes.h"
#include "sink/metrics.h"
#include "privilege/privsep.h"
#include "lib/safefile.h"
#include "privilege/sandbox.h"

#define REQ_MAX (16 * 1024 + 1) /* a request: one byte, then the metrics text */

struct reply {
	int err;
	char why[SAFEFILE_WHY_MAX];
};

static struct {
	int sock;
	pid_t pid;
	pthread_mutex_t lock;
	const char *output;
	const char *metrics;
} h = {.sock = -1, .lock = PTHREAD_MUTEX_INITIALIZER};

bool privsep_running(void)
{
	return h.sock >= 0;
}

static void reply(int sock, int err, const char *why, int fd)
{
	struct reply r = {.err = err};
	struct iovec iov = {&r, sizeof(r)};
	char cbuf[CMSG_SPACE(sizeof(int))] = {0};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};

	snprintf(r.why, sizeof(r.why), "%s", why ? why : "");
	if (fd >= 0) {
		struct cmsghdr *c;

		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	sendmsg(sock, &msg, MSG_NOSIGNAL);
}

/* No capability left, in any set; uid 0 stays: root's directories are written as owner. */
static int drop_everything(void)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2] = {};

	for (int c = 0; c < 64; c++)
		prctl(PR_CAPBSET_DROP, c, 0, 0, 0);
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (syscall(SYS_capset, &hdr, d))
		return -errno;
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ? -errno : 0;
}

static void helper_main(int sock, pid_t parent)
{
	static char req[REQ_MAX];
	char why[SAFEFILE_WHY_MAX];
	int null, err;

	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() != parent)
		_exit(EXIT_OK);
	prctl(PR_SET_NAME, "stoptrace-files", 0, 0, 0);
	/* a terminal's ^C or systemd's SIGTERM to the group: the monitor's last metrics come after
	 */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	/*
	 * Nothing of the monitor's but the socket, standard error for messages and
	 * standard output: --output /dev/stdout reopens to what the monitor's is.
	 */
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0)
		dup2(null, STDIN_FILENO);
	for (int fd = 3; fd < 1024; fd++)
		if (fd != sock)
			close(fd);
	err = drop_everything();
	if (!err)
		err = sandbox_apply(SANDBOX_FILES, why, sizeof(why));
	if (err) {
		snprintf(why, sizeof(why), "the file helper cannot give up its privileges: %s",
			 strerror(-err));
		reply(sock, err, why, -1);
		_exit(EXIT_ERROR);
	}
	reply(sock, 0, NULL, -1); /* ready: privsep_start waits for this */
	for (;;) {
		ssize_t n = recv(sock, req, sizeof(req), 0);
		int fd;

		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			_exit(EXIT_OK); /* the monitor is gone */
		}
		why[0] = '\0';
		if (req[0] == 'O' && h.output) {
			fd = safefile_open_output(h.output, why, sizeof(why));
			reply(sock, fd < 0 ? fd : 0, why, fd);
			if (fd >= 0)
				close(fd);
		} else if (req[0] == 'M' && h.metrics) {
			err = metrics_write_file(h.metrics, req + 1, (size_t)n - 1);
			reply(sock, err, NULL, -1);
		} else {
			reply(sock, -EINVAL, "not a request the file helper takes", -1);
		}
	}
}

/* The helper's next answer; *fd the descriptor that came with it (or -1). */
static int answer(struct reply *r, int *fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {r, sizeof(*r)};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;

	if (fd)
		*fd = -1;
	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof(cbuf);
	do
		n = recvmsg(h.sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n != (ssize_t)sizeof(*r))
		return -EPIPE; /* the helper ended */
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int got;

			memcpy(&got, CMSG_DATA(c), sizeof(int));
			if (fd && *fd < 0)
				*fd = got;
			else
				close(got);
		}
	r->why[sizeof(r->why) - 1] = '\0';
	return 0;
}

/* One request and its answer; *fd the descriptor that came with it (or -1). */
static int ask(const void *req, size_t len, struct reply *r, int *fd)
{
	ssize_t n;
	int err;

	if (fd)
		*fd = -1;
	pthread_mutex_lock(&h.lock);
	do
		n = send(h.sock, req, len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	err = n < 0 ? -errno : answer(r, fd);
	pthread_mutex_unlock(&h.lock);
	return err;
}

int privsep_start(bool will_switch, const char *output, const char *metrics, char *why, size_t cap)
{
	struct reply r = {0};
	pid_t parent = getpid();
	int sv[2], err;

	why[0] = '\0';
	if (metrics) {
		err = safefile_check_regular(metrics, why, cap);
		if (err)
			return err;
	}
	if (!will_switch || (!output && !metrics))
		return 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		err = -errno;
		snprintf(why, cap, "cannot start the file helper: %s", strerror(-err));
		return err;
	}
	h.output = output;
	h.metrics = metrics;
	fflush(NULL);
	h.pid = fork();
	if (h.pid < 0) {
		err = -errno;
		close(sv[0]);
		close(sv[1]);
		snprintf(why, cap, "cannot start the file helper: %s", strerror(-err));
		return err;
	}
	if (h.pid == 0) {
		close(sv[0]);
		helper_main(sv[1], parent);
	}
	close(sv[1]);
	h.sock = sv[0];
	/* its first answer: whether it could give up its privileges (if not, it ended) */
	if (!answer(&r, NULL) && r.err)
		snprintf(why, cap, "%s", r.why);
	return 0;
}

int privsep_open_output(const char *path, char *why, size_t cap)
{
	struct reply r = {0};
	int fd, err;

	if (!privsep_running())
		return safefile_open_output(path, why, cap);
	err = ask("O", 1, &r, &fd);
	if (!err && r.err)
		err = r.err;
	if (err) {
		if (fd >= 0)
			close(fd);
		if (r.why[0] && r.err)
			snprintf(why, cap, "%s", r.why);
		else
			snprintf(why, cap, "cannot open '%s': the file helper: %s", path,
				 strerror(-err));
		return err;
	}
	return fd >= 0 ? fd : -EPROTO;
}

int privsep_write_metrics(const char *path, const char *text, size_t len)
{
	char req[REQ_MAX];
	struct reply r = {0};
	int err;

	if (!privsep_running())
		return metrics_write_file(path, text, len);
	if (len + 1 > sizeof(req))
		return -E2BIG;
	req[0] = 'M';
	memcpy(req + 1, text, len);
	err = ask(req, len + 1, &r, NULL);
	return err ? err : r.err;
}

void privsep_stop(void)
{
	if (h.sock < 0)
		return;
	close(h.sock);
	h.sock = -1;
	while (waitpid(h.pid, NULL, 0) < 0 && errno == EINTR)
		;
}
