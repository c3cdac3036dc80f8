// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A plain containerd container's snapshot: the overlayfs snapshotter keeps
 * a container's writable layer in <root>/io.containerd.snapshotter.v1.
 * overlayfs/snapshots/<n>, numbered, and only its metadata database (bolt)
 * says which number is whose. The rootfs mount says it too: containerd
 * mounts the container's rootfs at <task dir>/<ns>/<id>/rootfs, an overlay
 * whose upperdir is <snapshot>/fs. That mount point is built here from the
 * runtimes table and containerd's identifiers, never from a tenant's text,
 * and only a mount at exactly that place, of type overlay, is read. The
 * upperdir must then have exactly the snapshotter's shape. The snapshot
 * goes away with `ctr container rm` (its snapshot cleanup) or `ctr snapshot
 * rm`, never with a stop: that is the container's removal.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity/identity_int.h"
#include "lib/readfile.h"

#define MOUNTINFO_MAX (8u << 20) /* a host with thousands of mounts */
#define SNAPSHOTTER   "/io.containerd.snapshotter.v1.overlayfs/snapshots/"

/* The n bytes at s: 1 to 19 digits. */
static bool is_number(const char *s, size_t n)
{
	if (n == 0 || n > 19)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/*
 * upperdir (len bytes) is /<path>/io.containerd.snapshotter.v1.overlayfs/
 * snapshots/<n>/fs, with no escapes, "." or ".." components: its
 * snapshot directory (without /fs) into out.
 */
static int snapshot_of_upper(const char *up, size_t len, char *out, size_t size)
{
	const char *snap, *num;

	if (len < 4 || up[0] != '/' || memcmp(up + len - 3, "/fs", 3) || memchr(up, '\\', len))
		return -EINVAL;
	for (size_t i = 0; i + 1 < len; i++)
		if (up[i] == '/' && (up[i + 1] == '/' ||
				     (up[i + 1] == '.' &&
				      (i + 2 == len || up[i + 2] == '/' ||
				       (up[i + 2] == '.' && (i + 3 == len || up[i + 3] == '/'))))))
			return -EINVAL;
	snap = NULL;
	for (const char *p = up; (p = memmem(p, up + len - p, SNAPSHOTTER, strlen(SNAPSHOTTER)));
	     p++)
		snap = p;
	if (!snap)
		return -EINVAL;
	num = snap + strlen(SNAPSHOTTER);
	if (!is_number(num, (size_t)(up + len - 3 - num)))
		return -EINVAL;
	if (len - 3 >= size)
		return -ENAMETOOLONG;
	memcpy(out, up, len - 3);
	out[len - 3] = '\0';
	return 0;
}

/* The upperdir= of one mountinfo line (n bytes) mounted at mnt with type overlay. */
static int upper_of_line(const char *l, size_t n, const char *mnt, const char **up, size_t *up_len)
{
	const char *end = l + n, *p = l, *sep, *opt;
	size_t mlen = strlen(mnt);

	/* id parent major:minor root mount-point ... */
	for (int field = 0; field < 4; field++) {
		p = memchr(p, ' ', end - p);
		if (!p)
			return -ENOENT;
		p++;
	}
	if ((size_t)(end - p) <= mlen || memcmp(p, mnt, mlen) || p[mlen] != ' ')
		return -ENOENT;
	sep = memmem(p, end - p, " - ", 3);
	if (!sep || (size_t)(end - sep) < 11 || memcmp(sep + 3, "overlay ", 8))
		return -ENOENT;
	p = memchr(sep + 11, ' ', end - (sep + 11)); /* after the source */
	if (!p)
		return -ENOENT;
	for (opt = p + 1; opt < end;) {
		const char *comma = memchr(opt, ',', end - opt);
		size_t olen = (comma ? comma : end) - opt;

		if (olen > 9 && !memcmp(opt, "upperdir=", 9)) {
			*up = opt + 9;
			*up_len = olen - 9;
			return 0;
		}
		opt += olen + 1;
	}
	return -ENOENT;
}

int storage_snapshot_dir(const char *root, const char *mnt, char *out, size_t size)
{
	char path[PATH_MAX];
	const char *up, *p, *end;
	size_t up_len, len;
	char *buf;
	int err = -ENOENT;

	if (snprintf(path, sizeof(path), "%s/proc/self/mountinfo", root) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	if (read_file_max(path, MOUNTINFO_MAX, &buf, &len))
		return -ENOENT;
	for (p = buf, end = buf + len; p < end && err == -ENOENT;) {
		const char *nl = memchr(p, '\n', end - p);
		size_t n = (nl ? nl : end) - p;

		if (!upper_of_line(p, n, mnt, &up, &up_len))
			err = snapshot_of_upper(up, up_len, out, size);
		p += n + 1;
	}
	free(buf);
	return err;
}
