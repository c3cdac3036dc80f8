// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Walking a path the monitor did not choose: see safepath.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>
#include "host/safepath.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

bool safepath_no_openat2;

static uint64_t refused;
/* openat2 refused once (no syscall, or a seccomp filter): do not ask again */
static bool openat2_refused;

int safepath_check(const char *path)
{
	size_t len, comp = 0;

	if (!path || path[0] != '/')
		return -EINVAL;
	len = strnlen(path, SAFEPATH_MAX);
	if (len == SAFEPATH_MAX)
		return -ENAMETOOLONG;
	if (len == 1)
		return -EINVAL; /* "/" names no component */
	for (size_t i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0') {
			if (++comp > SAFEPATH_NAME_MAX)
				return -ENAMETOOLONG;
			continue;
		}
		/* the component path[i - comp .. i) ends here */
		if (comp == 0)
			return -EINVAL; /* "//", or a trailing "/" */
		if (path[i - comp] == '.' && (comp == 1 || (comp == 2 && path[i - 1] == '.')))
			return -EINVAL;
		comp = 0;
	}
	return 0;
}

bool safepath_accept(const char *path)
{
	if (!safepath_check(path))
		return true;
	__atomic_fetch_add(&refused, 1, __ATOMIC_RELAXED);
	return false;
}

uint64_t safepath_refused(void)
{
	return __atomic_load_n(&refused, __ATOMIC_RELAXED);
}

static int type_ok(int fd)
{
	struct safepath_stat st;

	return safepath_stat(fd, &st);
}

/* openat() per component: every intermediate a directory, no symlink anywhere. */
static int walk(int dirfd, const char *rel)
{
	char name[SAFEPATH_NAME_MAX + 1];
	const char *p = rel;
	int fd = dirfd, next;

	for (;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		int flags = O_PATH | O_NOFOLLOW | O_CLOEXEC | (slash ? O_DIRECTORY : 0);
		struct stat st;

		if (n == 0 || n > SAFEPATH_NAME_MAX) {
			next = -EINVAL;
			goto out;
		}
		memcpy(name, p, n);
		name[n] = '\0';
		next = openat(fd, name, flags);
		if (next < 0) {
			next = -errno;
			/* what openat2 says of a symlinked intermediate */
			if (next == -ENOTDIR && !fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) &&
			    S_ISLNK(st.st_mode))
				next = -ELOOP;
			goto out;
		}
		if (fd != dirfd)
			close(fd);
		fd = next;
		if (!slash)
			return fd;
		p = slash + 1;
	}
out:
	if (fd != dirfd)
		close(fd);
	return next;
}

static int open_rel(int dirfd, const char *rel)
{
	struct open_how how = {
		.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd = -1, err;

	if (rel[0] == '\0') {
		fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
		return fd < 0 ? -errno : fd;
	}
	if (!safepath_no_openat2 && !__atomic_load_n(&openat2_refused, __ATOMIC_RELAXED)) {
		fd = (int)syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
		if (fd >= 0)
			return fd;
		err = errno;
		/* ENOSYS: before 5.6; EPERM or E2BIG: a seccomp filter's answer */
		if (err != ENOSYS && err != EPERM && err != E2BIG)
			return -err;
		__atomic_store_n(&openat2_refused, true, __ATOMIC_RELAXED);
	}
	return walk(dirfd, rel);
}

int safepath_open_below(int dirfd, const char *rel)
{
	char check[SAFEPATH_MAX + 1];
	int fd, err;

	if (!rel || rel[0] == '/')
		return -EINVAL;
	if (rel[0]) {
		if (snprintf(check, sizeof(check), "/%s", rel) >= (int)sizeof(check))
			return -ENAMETOOLONG;
		err = safepath_check(check);
		if (err)
			return err;
	}
	fd = open_rel(dirfd, rel);
	if (fd < 0)
		return fd;
	err = type_ok(fd);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/* The length of root without trailing slashes, if path is at or under it; else 0. */
static size_t under(const char *path, const char *root)
{
	size_t n = strlen(root);

	while (n > 1 && root[n - 1] == '/')
		n--;
	if (n == 0 || root[0] != '/')
		return 0;
	if (n == 1)
		return 1; /* "/" */
	return !strncmp(path, root, n) && (path[n] == '/' || path[n] == '\0') ? n : 0;
}

int safepath_open(const char *prefix, const char *const *roots, int nroots, const char *path)
{
	char dir[SAFEPATH_MAX * 2];
	size_t best = 0, n;
	const char *root = NULL, *rel;
	int dfd, fd, err;

	err = safepath_check(path);
	if (err)
		return err;
	for (int i = 0; i < nroots; i++) {
		n = roots[i] ? under(path, roots[i]) : 0;
		if (n > best) {
			best = n;
			root = roots[i];
		}
	}
	if (!root)
		return -EXDEV;
	rel = path + best;
	while (*rel == '/')
		rel++;
	if (snprintf(dir, sizeof(dir), "%s%.*s", prefix ? prefix : "", (int)best, root) >=
	    (int)sizeof(dir))
		return -ENAMETOOLONG;
	/* the operator's own directory: it may be a symlink they made */
	dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	fd = safepath_open_below(dfd, rel);
	close(dfd);
	return fd;
}

int safepath_stat(int fd, struct safepath_stat *st)
{
	struct statx sx;

	memset(st, 0, sizeof(*st));
	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_SYNC_AS_STAT,
		  STATX_TYPE | STATX_INO | STATX_MNT_ID, &sx))
		return -errno;
	if (S_ISLNK(sx.stx_mode))
		return -ELOOP;
	if (!S_ISREG(sx.stx_mode) && !S_ISDIR(sx.stx_mode))
		return -EOPNOTSUPP;
	st->dev_major = sx.stx_dev_major;
	st->dev_minor = sx.stx_dev_minor;
	st->ino = sx.stx_ino;
	st->mnt_id = sx.stx_mask & STATX_MNT_ID ? sx.stx_mnt_id : 0;
	st->is_dir = S_ISDIR(sx.stx_mode);
	st->mount_root = sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT &&
			 sx.stx_attributes & STATX_ATTR_MOUNT_ROOT;
	st->attrs_known = (sx.stx_attributes_mask & (STATX_ATTR_IMMUTABLE | STATX_ATTR_APPEND)) ==
			  (STATX_ATTR_IMMUTABLE | STATX_ATTR_APPEND);
	st->immutable = st->attrs_known && sx.stx_attributes & STATX_ATTR_IMMUTABLE;
	st->append_only = st->attrs_known && sx.stx_attributes & STATX_ATTR_APPEND;
	return 0;
}

int safepath_attributes(const char *prefix, const char *const *roots, int nroots, const char *path,
			bool *immutable, bool *append_only)
{
	struct safepath_stat st;
	int fd, err;

	fd = safepath_open(prefix, roots, nroots, path);
	if (fd < 0)
		return fd;
	err = safepath_stat(fd, &st);
	close(fd);
	if (err)
		return err;
	if (!st.attrs_known)
		return -EOPNOTSUPP;
	*immutable = st.immutable;
	*append_only = st.append_only;
	return 0;
}
