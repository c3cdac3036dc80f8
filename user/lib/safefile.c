// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/safefile.h"

static const char *kind(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		return "a regular file";
	case S_IFDIR:
		return "a directory";
	case S_IFLNK:
		return "a symlink";
	case S_IFIFO:
		return "a FIFO";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	case S_IFSOCK:
		return "a socket";
	}
	return "of an unknown type";
}

bool safefile_dir_private(unsigned int owner, unsigned int mode, unsigned int uid)
{
	return (owner == 0 || owner == uid) && !(mode & (S_IWGRP | S_IWOTH));
}

static bool fd_private(int dir)
{
	struct stat st;

	return !fstat(dir, &st) && safefile_dir_private(st.st_uid, st.st_mode, geteuid());
}

static int say(int err, char *why, size_t cap, const char *fmt, const char *path, const char *what)
{
	snprintf(why, cap, fmt, path, what);
	return err;
}

static int opened(int fd, const char *path, char *why, size_t cap)
{
	int err = -errno;

	if (fd >= 0)
		return fd;
	return say(err, why, cap, "cannot open '%s': %s", path, strerror(-err));
}

/* The output's wording, as before these rules. */
static int output_failed(int fd, const char *path, char *why, size_t cap)
{
	int err = -errno;

	if (fd >= 0)
		return fd;
	return say(err, why, cap, "cannot open output file '%s': %s", path, strerror(-err));
}

/* The last component of a walk: the name, or NULL when path ends with a slash. */
static const char *last_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? (slash[1] ? slash + 1 : NULL) : path;
}

/*
 * One directory on the way, p, from the directory open at dir (closed
 * here): a symlink followed only where no one else can plant it. Returns
 * the directory open, or -errno with why said.
 */
static int walk_step(int dir, const char *p, const char *path, char *why, size_t cap)
{
	struct stat st;
	int fd;

	fd = openat(dir, p, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && !fstat(fd, &st) && S_ISLNK(st.st_mode)) {
		close(fd);
		if (!fd_private(dir)) {
			close(dir);
			return say(-ELOOP, why, cap,
				   "refusing '%s': '%s' on the way is a symlink in a "
				   "directory others can write",
				   path, p);
		}
		fd = openat(dir, p, O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	close(dir);
	if (fd < 0)
		return output_failed(fd, path, why, cap);
	return fd;
}

/*
 * The directory that holds path's last component, walked one directory
 * at a time from / or the working directory. dirs: path up to that
 * component, cut into its names here.
 */
static int walk_to_parent(char *dirs, const char *path, char *why, size_t cap)
{
	char *p, *next;
	int dir;

	dir = open(path[0] == '/' ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return output_failed(dir, path, why, cap);
	for (p = dirs; *p; p = next) {
		next = strchr(p, '/');
		if (next)
			*next++ = '\0';
		else
			next = p + strlen(p);
		if (!*p)
			continue;
		dir = walk_step(dir, p, path, why, cap);
		if (dir < 0)
			return dir;
	}
	return dir;
}

/*
 * The output itself, name in the directory open at dir (closed here): a
 * symlink followed only where no one else can plant it, and only a
 * regular file, a FIFO or a character device.
 */
static int open_in_parent(int dir, const char *name, const char *path, char *why, size_t cap)
{
	struct stat st;
	int fd;

	fd = openat(dir, name,
		    O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY,
		    0640);
	if (fd < 0 && errno == ELOOP) {
		if (!fd_private(dir)) {
			close(dir);
			return say(
				-ELOOP, why, cap,
				"refusing '%s': it is a symlink in a directory others can write%s",
				path, "");
		}
		fd = openat(dir, name,
			    O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK | O_CLOEXEC | O_NOCTTY,
			    0640);
	}
	close(dir);
	if (fd < 0 && errno == ENXIO)
		return say(-ENXIO, why, cap, "cannot open output file '%s': %s", path,
			   "a FIFO with no reader (start the reader first) or a socket");
	if (fd < 0)
		return output_failed(fd, path, why, cap);
	if (fstat(fd, &st) ||
	    !(S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode))) {
		close(fd);
		return say(-EINVAL, why, cap,
			   "refusing '%s': it is %s (a regular file, a FIFO or a character device "
			   "only)",
			   path, kind(st.st_mode));
	}
	return fd;
}

int safefile_open_output(const char *path, char *why, size_t cap)
{
	const char *name = last_name(path);
	char dirs[PATH_MAX];
	int dir, fd;

	if (!name || strlen(path) >= sizeof(dirs))
		return say(-EINVAL, why, cap, "cannot open '%s': %s", path,
			   !name ? "it names a directory" : strerror(ENAMETOOLONG));
	snprintf(dirs, sizeof(dirs), "%.*s", (int)(name - path), path);
	dir = walk_to_parent(dirs, path, why, cap);
	if (dir < 0)
		return dir;
	fd = open_in_parent(dir, name, path, why, cap);
	if (fd < 0)
		return fd;
	/* opened without waiting for a FIFO's reader; written to as a blocking file */
	fcntl(fd, F_SETFL, O_APPEND);
	return fd;
}

int safefile_check_regular(const char *path, char *why, size_t cap)
{
	struct stat st;

	if (lstat(path, &st))
		return errno == ENOENT ? 0
				       : say(-errno, why, cap, "cannot look at '%s': %s", path,
					     strerror(errno));
	if (S_ISREG(st.st_mode))
		return 0;
	return say(S_ISLNK(st.st_mode)	 ? -ELOOP
		   : S_ISDIR(st.st_mode) ? -EISDIR
					 : -EINVAL,
		   why, cap, "refusing '%s': it is %s, not a regular file", path, kind(st.st_mode));
}

int safefile_open_recording(const char *path, char *why, size_t cap)
{
	struct stat st;
	int fd, err;

	/* a device or FIFO is refused before it is opened: opening one may do something */
	err = safefile_check_regular(path, why, cap);
	if (err)
		return err;
	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0640);
	if (fd < 0 && errno == ELOOP)
		return say(-ELOOP, why, cap, "refusing '%s': it is %s, not a regular file", path,
			   "a symlink");
	if (fd < 0)
		return opened(fd, path, why, cap);
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return say(-EINVAL, why, cap, "refusing '%s': it is %s, not a regular file", path,
			   kind(st.st_mode));
	}
	if (ftruncate(fd, 0)) {
		err = -errno;
		close(fd);
		return say(err, why, cap, "cannot truncate '%s': %s", path, strerror(-err));
	}
	fcntl(fd, F_SETFL, 0);
	return fd;
}

int safefile_create_temp(const char *path, char *tmp, size_t tmp_cap, char *why, size_t cap)
{
	for (int tries = 0; tries < 8; tries++) {
		unsigned long long r;
		int fd;

		if (getrandom(&r, sizeof(r), 0) != sizeof(r))
			return say(-EIO, why, cap, "no random name for a temporary file of '%s'%s",
				   path, "");
		/* not ending in .prom: the textfile collector skips it */
		if (snprintf(tmp, tmp_cap, "%s.%016llx.tmp", path, r) >= (int)tmp_cap)
			return say(-ENAMETOOLONG, why, cap, "cannot write '%s': %s", path,
				   strerror(ENAMETOOLONG));
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
			  0644);
		if (fd < 0 && errno == EEXIST)
			continue;
		if (fd < 0)
			return say(-errno, why, cap,
				   "cannot create a temporary file next to '%s': %s", path,
				   strerror(errno));
		/* node_exporter reads it as another user, whatever the umask */
		if (fchmod(fd, 0644)) {
			int err = -errno;

			close(fd);
			unlink(tmp);
			return say(err, why, cap, "cannot make the temporary of '%s' readable: %s",
				   path, strerror(-err));
		}
		return fd;
	}
	return say(-EEXIST, why, cap, "no free temporary file name next to '%s'%s", path, "");
}
