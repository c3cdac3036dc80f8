// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "lib/readfile.h"
#include "host/cgroupfs.h"
#include "host/mountinfo.h"
#include "host/procfs.h"

/* Read a small control file, NUL-terminated; longer content is -EFBIG. */
static int read_control(const char *dir, const char *file, char *buf, size_t cap)
{
	char path[PATH_MAX];
	size_t n;
	int len, err;

	len = snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (len < 0 || (size_t)len >= sizeof(path))
		return -ENAMETOOLONG;
	err = read_file_buf(path, buf, cap, &n, NULL);
	if (err)
		return err;
	return n + 1 < cap ? 0 : -EFBIG;
}

/* freezer.state's word (THAWED, FREEZING, FROZEN) into state[16]. */
static int v1_state(const char *dir, char *state, bool *frozen)
{
	char buf[64];
	size_t len;
	int err;

	err = read_control(dir, "freezer.state", buf, sizeof(buf));
	if (err)
		return err;
	len = strcspn(buf, " \t\n");
	if (len >= 16 || buf[len + strspn(buf + len, " \t\n")])
		return -EINVAL;
	buf[len] = '\0';
	if (!strcmp(buf, "FROZEN") || !strcmp(buf, "FREEZING"))
		*frozen = true;
	else if (!strcmp(buf, "THAWED"))
		*frozen = false;
	else
		return -EINVAL;
	strcpy(state, buf);
	return 0;
}

int cgroupfs_v1_frozen(const char *freezer_dir, bool *frozen)
{
	char state[16];

	return v1_state(freezer_dir, state, frozen);
}

int cgroupfs_v2_frozen(const char *cgroup_dir, bool *frozen)
{
	char buf[256];
	char *line, *save = NULL;
	int err;

	err = read_control(cgroup_dir, "cgroup.events", buf, sizeof(buf));
	if (err)
		return err;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "frozen ", 7))
			continue;
		if (!strcmp(line + 7, "1"))
			*frozen = true;
		else if (!strcmp(line + 7, "0"))
			*frozen = false;
		else
			return -EINVAL;
		return 0;
	}
	return -EOPNOTSUPP;
}

/* The two lines of /proc/<pid>/cgroup that matter here. */
struct freezer_paths {
	char v1[PATH_MAX];
	char v2[PATH_MAX];
	bool has_v1;
	bool has_v2;
};

static bool has_controller(const char *list, const char *want)
{
	size_t n = strlen(want);

	for (const char *p = list; p; p = strchr(p, ','), p = p ? p + 1 : NULL)
		if (!strncmp(p, want, n) && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

static int collect_paths(int hierarchy_id, const char *controllers, const char *path, void *ctx)
{
	struct freezer_paths *fp = ctx;
	char *dst;

	if (hierarchy_id == 0 && !*controllers) {
		dst = fp->v2;
		fp->has_v2 = true;
	} else if (has_controller(controllers, "freezer")) {
		dst = fp->v1;
		fp->has_v1 = true;
	} else {
		return 0;
	}
	if (strlen(path) >= PATH_MAX)
		return -ENAMETOOLONG;
	strcpy(dst, path);
	return 0;
}

/* <root><mount point of the hierarchy><path>, the directory of the cgroup. */
static int cgroup_dir(const char *root, const char *controller, const char *path, char *dir,
		      size_t cap)
{
	char mi[PATH_MAX], mnt[PATH_MAX];
	int n, err;

	n = snprintf(mi, sizeof(mi), "%s/proc/self/mountinfo", root);
	if (n < 0 || (size_t)n >= sizeof(mi))
		return -ENAMETOOLONG;
	err = mountinfo_find_cgroup(mi, controller, mnt, sizeof(mnt));
	if (err)
		return err;
	n = snprintf(dir, cap, "%s%s%s", root, mnt, path);
	if (n < 0 || (size_t)n >= cap)
		return -ENAMETOOLONG;
	return 0;
}

static void append_how(char *how, size_t cap, const char *text)
{
	size_t len;

	if (!how || !cap)
		return;
	len = strlen(how);
	snprintf(how + len, cap - len, "%s%s", len ? ", " : "", text);
}

static int first_error(int a, int b)
{
	if (a && a != -ENOENT)
		return a;
	if (b && b != -ENOENT)
		return b;
	return -ENOENT;
}

int cgroupfs_container_frozen(const char *root, int pid, bool *frozen, char *how, size_t how_cap)
{
	struct freezer_paths fp = {0};
	char dir[PATH_MAX], text[64], state[16] = "";
	bool v1_frozen = false, v2_frozen = false;
	int err, err_v1 = -ENOENT, err_v2 = -ENOENT;

	if (!root)
		root = "";
	if (how && how_cap)
		how[0] = '\0';
	err = procfs_read_cgroup(root, pid, collect_paths, &fp);
	if (err)
		return err;
	if (fp.has_v1) {
		err_v1 = cgroup_dir(root, "freezer", fp.v1, dir, sizeof(dir));
		if (!err_v1)
			err_v1 = v1_state(dir, state, &v1_frozen);
	}
	if (fp.has_v2) {
		err_v2 = cgroup_dir(root, NULL, fp.v2, dir, sizeof(dir));
		if (!err_v2)
			err_v2 = cgroupfs_v2_frozen(dir, &v2_frozen);
	}
	if (err_v1 && err_v2)
		return first_error(err_v1, err_v2);

	/* name the freezer that froze it (v1 first), or every file that says thawed */
	*frozen = v1_frozen || v2_frozen;
	if (!err_v1 && (v1_frozen || !*frozen)) {
		snprintf(text, sizeof(text), "v1 freezer.state %s", state);
		append_how(how, how_cap, text);
	}
	if (!err_v2 && !v1_frozen)
		append_how(how, how_cap,
			   v2_frozen ? "v2 cgroup.events frozen 1" : "v2 cgroup.events frozen 0");
	return 0;
}

/* Parse the pids of buf[0..len) into pids; *cur carries a number across chunks. */
static int procs_chunk(const char *buf, size_t len, uint64_t *cur, bool *in_num, uint32_t *pids,
		       int *n, int max, bool *more)
{
	for (size_t i = 0; i < len; i++) {
		char ch = buf[i];

		if (ch >= '0' && ch <= '9') {
			if (*n >= max) {
				*more = true;
				return 1;
			}
			*cur = *cur * 10 + (uint64_t)(ch - '0');
			if (*cur > UINT32_MAX)
				return -EINVAL;
			*in_num = true;
		} else if (ch == '\n' && *in_num) {
			pids[(*n)++] = (uint32_t)*cur;
			*cur = 0;
			*in_num = false;
		} else if (ch != '\n') {
			return -EINVAL;
		}
	}
	return 0;
}

int cgroupfs_procs(const char *cgroup_dir, uint32_t *pids, int max, bool *more)
{
	char path[PATH_MAX], buf[4096];
	bool in_num = false;
	uint64_t cur = 0;
	int fd, len, n = 0, ret = 0;
	ssize_t got = 0;

	*more = false;
	len = snprintf(path, sizeof(path), "%s/cgroup.procs", cgroup_dir);
	if (len < 0 || (size_t)len >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	while (!ret && (got = read(fd, buf, sizeof(buf))) > 0)
		ret = procs_chunk(buf, (size_t)got, &cur, &in_num, pids, &n, max, more);
	if (!ret && got < 0)
		ret = -errno;
	close(fd);
	if (ret < 0)
		return ret;
	if (in_num && n < max)
		pids[n++] = (uint32_t)cur; /* a last line without its newline */
	else if (in_num)
		*more = true;
	return n;
}
