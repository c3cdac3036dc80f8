// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The path of a removal record: through safepath_check(), then the walk
 * from a trusted root on a small fixture tree made once (a storage root
 * with directories, a file, a FIFO, symlinks out of it absolute and
 * relative, a magic link, and a canary beside it). The first byte of an
 * input chooses openat2 or the per-component walk. Checked: an accepted
 * path is absolute with no empty, "." or ".." component; the walk never
 * opens a path the check refuses, never opens anything but an O_PATH
 * descriptor of a regular file or a directory, and never anything outside
 * the root.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include "fuzz.h"
#include "host/safepath.h"

static char host[PATH_MAX], inside[PATH_MAX];
static const char *const roots[] = {"/var/lib/docker"};

static void put_link(const char *target, const char *rel)
{
	char p[PATH_MAX * 2];

	snprintf(p, sizeof(p), "%s/%s", fuzz_root(), rel);
	if (symlink(target, p))
		fuzz_fail("symlink %s: %s", p, strerror(errno));
}

static void make_tree(void)
{
	char p[PATH_MAX * 2];

	fuzz_put("host/var/lib/docker/overlay2/L/diff/a/file", "x", 1);
	fuzz_put("host/var/lib/docker/overlay2/L/merged/.keep", "", 0);
	fuzz_put("host/canary/secret", "secret", 6);
	snprintf(p, sizeof(p), "%s/host/var/lib/docker/overlay2/L/diff/fifo", fuzz_root());
	if (mkfifo(p, 0644))
		fuzz_fail("mkfifo: %s", strerror(errno));
	snprintf(p, sizeof(p), "%s/host/canary", fuzz_root());
	put_link(p, "host/var/lib/docker/overlay2/L/diff/abs");
	put_link("../../../../../canary", "host/var/lib/docker/overlay2/L/diff/rel");
	put_link("/proc/self/root", "host/var/lib/docker/overlay2/L/diff/magic");
	put_link("..", "host/var/lib/docker/overlay2/L/diff/up");
	snprintf(host, sizeof(host), "%s/host", fuzz_root());
	snprintf(inside, sizeof(inside), "%s/host/var/lib/docker", fuzz_root());
	if (!realpath(inside, inside))
		fuzz_fail("realpath: %s", strerror(errno));
}

static void check_text(const char *path)
{
	const char *p = path;

	if (path[0] != '/')
		fuzz_fail("accepted a relative path: %s", path);
	while (*p) {
		const char *c = p + 1, *e = strchrnul(c, '/');
		size_t n = (size_t)(e - c);

		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			fuzz_fail("accepted a path with an empty or dot component: %s", path);
		p = e;
	}
}

static void check_open(int fd, const char *path)
{
	char link[64], where[PATH_MAX + 1];
	size_t n = strlen(inside);
	ssize_t len;
	struct stat st;

	if (!(fcntl(fd, F_GETFL) & O_PATH))
		fuzz_fail("%s: not an O_PATH descriptor", path);
	if (fstat(fd, &st) || (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)))
		fuzz_fail("%s: opened something that is not a file or a directory", path);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	len = readlink(link, where, sizeof(where) - 1);
	if (len < 0)
		fuzz_fail("readlink: %s", strerror(errno));
	where[len] = '\0';
	if (strncmp(where, inside, n) || (where[n] != '/' && where[n] != '\0'))
		fuzz_fail("%s: opened %s, outside the root %s", path, where, inside);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[SAFEPATH_MAX + 64];
	int fd, err;

	if (!host[0])
		make_tree();
	if (size == 0 || size > sizeof(path) - 1)
		return 0;
	safepath_no_openat2 = data[0] & 1;
	memcpy(path, data + 1, size - 1);
	path[size - 1] = '\0';
	err = safepath_check(path);
	if (!err)
		check_text(path);
	if (safepath_accept(path) != !err)
		fuzz_fail("safepath_accept disagrees with safepath_check: %s", path);
	fd = safepath_open(host, roots, 1, path);
	if (fd >= 0) {
		if (err)
			fuzz_fail("opened a path the check refuses: %s", path);
		check_open(fd, path);
		close(fd);
	}
	return 0;
}
