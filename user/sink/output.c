// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include "sink/output.h"
#include "lib/safefile.h"

static int open_path(struct output *o, const char *path)
{
	/* after the switch to an unprivileged user: the root file helper opens it */
	if (o->open_fn)
		return o->open_fn(path, o->why, sizeof(o->why));
	return safefile_open_output(path, o->why, sizeof(o->why));
}

int output_open(struct output *o, const char *path, enum out_format format, bool color)
{
	memset(o, 0, sizeof(*o));
	o->next_fd = -1;
	o->format = format;
	o->color = color;
	if (!path) {
		o->fd = STDOUT_FILENO;
		return 0;
	}
	o->path = strdup(path);
	if (!o->path)
		return -ENOMEM;
	o->fd = open_path(o, path);
	if (o->fd < 0) {
		int err = o->fd;

		free(o->path);
		o->path = NULL;
		return err;
	}
	o->own_fd = true;
	return 0;
}

int output_reopen(struct output *o)
{
	int fd;

	if (!o->own_fd)
		return 0;
	fd = open_path(o, o->path);
	if (fd < 0)
		return fd; /* keep writing to the old file */
	fd = __atomic_exchange_n(&o->next_fd, fd, __ATOMIC_ACQ_REL);
	if (fd >= 0)
		close(fd); /* two SIGHUPs between records: the newer file wins */
	return 0;
}

void output_close(struct output *o)
{
	if (o->own_fd && o->fd >= 0)
		close(o->fd);
	if (o->next_fd >= 0)
		close(o->next_fd);
	o->fd = -1;
	o->next_fd = -1;
	free(o->path);
	o->path = NULL;
}

/*
 * A write that failed half-way left part of a line behind. Take it back
 * (the writer is the file's only appender, so the end of the file is where
 * the line began plus what went out); where that cannot be done (a pipe, a
 * terminal) the next record starts with a newline, so the broken part stays
 * on a line of its own.
 */
static void take_back(struct output *o, size_t done)
{
	off_t end;

	if (!done)
		return;
	end = lseek(o->fd, 0, SEEK_END);
	if (end >= (off_t)done && !ftruncate(o->fd, end - (off_t)done))
		return;
	o->torn = true;
}

int output_write(struct output *o, const char *line, size_t len)
{
	struct iovec iov[3] = {
		{.iov_base = "\n", .iov_len = 0},
		{.iov_base = (void *)line, .iov_len = len},
		{.iov_base = "\n", .iov_len = 1},
	};
	size_t total, done = 0;
	int fd = __atomic_exchange_n(&o->next_fd, -1, __ATOMIC_ACQ_REL);

	if (fd >= 0) {
		close(o->fd);
		o->fd = fd;
		o->torn = false; /* a new file: nothing of ours to end */
	}
	if (o->torn)
		iov[0].iov_len = 1;
	total = iov[0].iov_len + len + 1;
	while (done < total) {
		ssize_t n = writev(o->fd, iov, 3);

		if (n < 0) {
			int err = errno;

			if (err == EINTR)
				continue;
			o->last_errno = err;
			if (err == EPIPE)
				return -EPIPE;
			take_back(o, done);
			o->write_errors++;
			return -err;
		}
		done += n;
		/* a short write: move the vectors past what went out */
		for (int i = 0; i < 3 && n > 0; i++) {
			size_t take = (size_t)n < iov[i].iov_len ? (size_t)n : iov[i].iov_len;

			iov[i].iov_base = (char *)iov[i].iov_base + take;
			iov[i].iov_len -= take;
			n -= take;
		}
	}
	o->torn = false;
	o->records++;
	return 0;
}
