// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/readfile.h"

int open_stat(const char *path, int flags, struct stat *st)
{
	int fd, err;

	fd = open(path, flags);
	if (fd < 0)
		return -errno;
	if (fstat(fd, st)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int read_file_max(const char *path, size_t max, char **out, size_t *len)
{
	size_t n = 0, cap = 4096;
	struct stat st;
	char *buf, *tmp;
	ssize_t r;
	int fd, err = 0;

	fd = open_stat(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, &st);
	if (fd < 0)
		return fd;
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	buf = malloc(cap);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		if (n + 1 == cap) {
			if (cap > max) {
				err = -EFBIG;
				break;
			}
			tmp = realloc(buf, cap * 2);
			if (!tmp) {
				err = -ENOMEM;
				break;
			}
			buf = tmp;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - 1 - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			err = -EFBIG;
			break;
		}
	}
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

int read_file_buf(const char *path, char *buf, size_t cap, size_t *len, bool *truncated)
{
	size_t n = 0;
	char extra;
	ssize_t r;
	int fd;

	if (cap == 0)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (n + 1 < cap) {
		r = read(fd, buf + n, cap - 1 - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			close(fd);
			return (int)r;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	if (truncated) {
		do {
			r = n + 1 < cap ? 0 : read(fd, &extra, 1);
		} while (r < 0 && errno == EINTR);
		*truncated = r > 0;
	}
	close(fd);
	if (len)
		*len = n;
	return 0;
}
