// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Readers of /proc/<pid>/... under a root prefix. Everything read here may
 * change or disappear between two reads; callers treat -ENOENT and -ESRCH
 * as "the process is gone".
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/array_size.h"
#include "lib/readfile.h"
#include "host/procfs.h"

/* Largest /proc/<pid>/cgroup accepted (13 hierarchies of PATH_MAX paths fit). */
#define CGROUP_FILE_MAX (1 << 20)

static int pid_path(char *buf, size_t cap, const char *root, int pid, const char *file)
{
	int n;

	if (pid <= 0)
		return -EINVAL;
	n = snprintf(buf, cap, "%s/proc/%d/%s", root ? root : "", pid, file);
	if (n < 0 || (size_t)n >= cap)
		return -ENAMETOOLONG;
	return 0;
}

/* Read /proc/<pid>/<file> below root into buf (read_file_buf()). */
static int read_pid_file(const char *root, int pid, const char *file, char *buf, size_t cap,
			 size_t *len, bool *truncated)
{
	char path[PATH_MAX];
	int err;

	if (!buf || !cap)
		return -EINVAL;
	err = pid_path(path, sizeof(path), root, pid, file);
	if (err)
		return err;
	return read_file_buf(path, buf, cap, len, truncated);
}

/* Whether s holds nothing but white space. */
static bool only_space(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return !*s;
}

/* A decimal int, allowing trailing white space only. */
static int parse_int(const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || v < INT_MIN || v > INT_MAX)
		return -EINVAL;
	if (!only_space(end))
		return -EINVAL;
	*out = (int)v;
	return 0;
}

static int parse_hex64(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 16);
	if (errno || end == s)
		return -EINVAL;
	if (!only_space(end))
		return -EINVAL;
	*out = v;
	return 0;
}

/*
 * Undo the kernel's escaping of the Name: line (fs/proc/array.c escapes only
 * '\n' and '\\'); every other byte, tabs included, is kept as it is.
 */
static void unescape_name(const char *s, char *out, size_t cap)
{
	size_t n = 0;

	while (*s && n + 1 < cap) {
		char c = *s++;

		if (c == '\\' && *s == 'n') {
			c = '\n';
			s++;
		} else if (c == '\\' && *s == '\\') {
			s++;
		}
		out[n++] = c;
	}
	out[n] = '\0';
}

/* NSpid: "4242\t1": keep the first levels and always the innermost one. */
static int parse_nspid(const char *s, struct proc_status *st)
{
	int count = 0;
	char *end;
	long v;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s || *s == '\n')
			break;
		errno = 0;
		v = strtol(s, &end, 10);
		if (errno || end == s || v <= 0 || v > INT_MAX)
			return -EINVAL;
		s = end;
		if (count < PROC_NSPID_MAX)
			st->nspid[count++] = (int)v;
		else
			st->nspid[PROC_NSPID_MAX - 1] = (int)v;
	}
	st->nspid_count = count;
	return 0;
}

enum {
	HAVE_NAME = 1 << 0,
	HAVE_STATE = 1 << 1,
	HAVE_TGID = 1 << 2,
	HAVE_PPID = 1 << 3,
	HAVE_ALL = HAVE_NAME | HAVE_STATE | HAVE_TGID | HAVE_PPID,
};

static int parse_status_line(char *line, struct proc_status *st, unsigned int *have)
{
	static const struct {
		const char *key;
		size_t off;
	} masks[] = {
		{"SigPnd", offsetof(struct proc_status, sig_pnd)},
		{"ShdPnd", offsetof(struct proc_status, shd_pnd)},
		{"SigBlk", offsetof(struct proc_status, sig_blk)},
		{"SigIgn", offsetof(struct proc_status, sig_ign)},
		{"SigCgt", offsetof(struct proc_status, sig_cgt)},
	};
	char *val = strchr(line, ':');
	size_t len;

	if (!val)
		return 0;
	*val++ = '\0';
	len = strlen(val);
	if (len && val[len - 1] == '\n')
		val[--len] = '\0';

	if (!strcmp(line, "Name")) {
		/* exactly one tab follows the colon; the name may start with more */
		if (*val == '\t')
			val++;
		unescape_name(val, st->name, sizeof(st->name));
		*have |= HAVE_NAME;
		return 0;
	}
	while (*val == ' ' || *val == '\t')
		val++;
	if (!strcmp(line, "State")) {
		if (!*val)
			return -EINVAL;
		st->state = *val;
		*have |= HAVE_STATE;
	} else if (!strcmp(line, "Tgid")) {
		*have |= HAVE_TGID;
		return parse_int(val, &st->tgid);
	} else if (!strcmp(line, "Pid")) {
		return parse_int(val, &st->pid);
	} else if (!strcmp(line, "PPid")) {
		*have |= HAVE_PPID;
		return parse_int(val, &st->ppid);
	} else if (!strcmp(line, "Threads")) {
		return parse_int(val, &st->threads);
	} else if (!strcmp(line, "NSpid")) {
		return parse_nspid(val, st);
	} else {
		for (size_t i = 0; i < ARRAY_SIZE(masks); i++)
			if (!strcmp(line, masks[i].key))
				return parse_hex64(val, (uint64_t *)((char *)st + masks[i].off));
	}
	return 0;
}

int procfs_read_status(const char *root, int pid, struct proc_status *st)
{
	char path[PATH_MAX];
	char *line = NULL;
	size_t linecap = 0;
	unsigned int have = 0;
	int err;
	FILE *f;

	memset(st, 0, sizeof(*st));
	err = pid_path(path, sizeof(path), root, pid, "status");
	if (err)
		return err;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	errno = 0;
	while (getline(&line, &linecap, f) > 0) {
		err = parse_status_line(line, st, &have);
		if (err)
			goto cleanup;
		errno = 0;
	}
	if (ferror(f)) {
		err = errno ? -errno : -EIO;
		goto cleanup;
	}
	if ((have & HAVE_ALL) != HAVE_ALL)
		err = -EINVAL;
	if (!st->pid)
		st->pid = pid;
cleanup:
	free(line);
	fclose(f);
	return err;
}

int procfs_read_stat_start(const char *root, int pid, uint64_t *starttime_ticks)
{
	char buf[4096];
	unsigned long long v;
	const char *p;
	char *end;
	size_t len;
	int err;

	err = read_pid_file(root, pid, "stat", buf, sizeof(buf), &len, NULL);
	if (err)
		return err;
	/* "pid (comm) state ppid ...": comm is raw bytes, ')' included */
	p = memrchr(buf, ')', len);
	if (!p)
		return -EINVAL;
	p++;
	/* starttime is field 22; field 3 (state) is the first after comm */
	for (int field = 3; field < 22; field++) {
		while (*p == ' ')
			p++;
		if (!*p || *p == '\n')
			return -EINVAL;
		while (*p && *p != ' ' && *p != '\n')
			p++;
	}
	while (*p == ' ')
		p++;
	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	errno = 0;
	v = strtoull(p, &end, 10);
	if (errno || (*end && *end != ' ' && *end != '\n'))
		return -EINVAL;
	*starttime_ticks = v;
	return 0;
}

int procfs_ns(const char *root, int pid, const char *kind, uint64_t *inode)
{
	char path[PATH_MAX], link[64], rel[32];
	unsigned long long v;
	size_t kl = strlen(kind);
	const char *p;
	char *end;
	ssize_t n;
	int err;

	if (kl == 0 || kl > 16)
		return -EINVAL;
	snprintf(rel, sizeof(rel), "ns/%s", kind);
	err = pid_path(path, sizeof(path), root, pid, rel);
	if (err)
		return err;
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = '\0';
	if (strncmp(link, kind, kl) || link[kl] != ':' || link[kl + 1] != '[')
		return -EINVAL;
	p = link + kl + 2;
	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	errno = 0;
	v = strtoull(p, &end, 10);
	if (errno || strcmp(end, "]"))
		return -EINVAL;
	*inode = v;
	return 0;
}

int procfs_pidns(const char *root, int pid, uint64_t *inode)
{
	return procfs_ns(root, pid, "pid", inode);
}

int procfs_read_wchan(const char *root, int pid, char *buf, size_t cap)
{
	bool truncated;
	size_t len;
	int err;

	err = read_pid_file(root, pid, "wchan", buf, cap, &len, &truncated);
	if (err)
		return err;
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	if (truncated) {
		buf[0] = '\0';
		return -ERANGE;
	}
	/* the kernel prints "0" when running or when it will not tell */
	if (!strcmp(buf, "0"))
		buf[0] = '\0';
	return 0;
}

int procfs_read_stack(const char *root, int pid, char *buf, size_t cap)
{
	bool truncated;
	size_t len;
	char *nl;
	int err;

	err = read_pid_file(root, pid, "stack", buf, cap, &len, &truncated);
	if (err)
		return err;
	if (truncated || (len && buf[len - 1] != '\n')) {
		nl = memrchr(buf, '\n', len);
		if (nl)
			nl[1] = '\0';
		else if (truncated)
			buf[0] = '\0';
	}
	return 0;
}

/* Does the line at p start a /proc/<pid>/cgroup entry, "ID:controllers:path"? */
static bool cgroup_entry_start(const char *p, const char *end)
{
	const char *q = p;

	while (q < end && isdigit((unsigned char)*q))
		q++;
	if (q == p || q == end || *q != ':')
		return false;
	return memchr(q + 1, ':', (size_t)(end - q - 1)) != NULL;
}

int procfs_read_cgroup(const char *root, int pid, procfs_cgroup_fn fn, void *ctx)
{
	char path[PATH_MAX];
	char *buf = NULL, *p, *end, *eol, *c1, *c2;
	size_t len = 0;
	int id, err;

	err = pid_path(path, sizeof(path), root, pid, "cgroup");
	if (err)
		return err;
	err = read_file_max(path, CGROUP_FILE_MAX, &buf, &len);
	if (err)
		return err;
	p = buf;
	end = buf + len;
	while (p < end) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		/* lines that do not start an entry belong to this entry's path */
		while (eol < end && eol + 1 < end) {
			char *next = eol + 1;
			char *next_eol = memchr(next, '\n', (size_t)(end - next));

			if (!next_eol)
				next_eol = end;
			if (cgroup_entry_start(next, next_eol))
				break;
			eol = next_eol;
		}
		*eol = '\0';
		if (!cgroup_entry_start(p, eol)) {
			err = -EINVAL;
			break;
		}
		/* bounded by the entry: a NUL byte in the file must not end the search */
		c1 = memchr(p, ':', (size_t)(eol - p));
		c2 = memchr(c1 + 1, ':', (size_t)(eol - c1 - 1));
		*c1 = '\0';
		*c2 = '\0';
		err = parse_int(p, &id);
		if (err)
			break;
		err = fn(id, c1 + 1, c2 + 1, ctx);
		if (err)
			break;
		p = eol + 1;
	}
	free(buf);
	return err;
}

/* A /proc entry name that is a pid: decimal digits, no sign, no leading 0. */
static bool parse_pid_name(const char *s, int *pid)
{
	long v = 0;

	if (!*s || *s == '0')
		return false;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return false;
		v = v * 10 + (*s - '0');
		if (v > INT_MAX)
			return false;
	}
	*pid = (int)v;
	return true;
}

int procfs_for_each_pid(const char *root, procfs_pid_fn fn, void *ctx)
{
	char path[PATH_MAX];
	struct dirent *de;
	int n, pid, err = 0;
	DIR *d;

	n = snprintf(path, sizeof(path), "%s/proc", root ? root : "");
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	d = opendir(path);
	if (!d)
		return -errno;
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de) {
			err = -errno;
			break;
		}
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		if (!parse_pid_name(de->d_name, &pid))
			continue;
		err = fn(pid, ctx);
		if (err)
			break;
	}
	closedir(d);
	return err;
}

struct pidns_scan {
	const char *root;
	uint64_t inode;
	procfs_pid_fn fn;
	void *ctx;
};

static int pidns_match(int pid, void *ctx)
{
	struct pidns_scan *s = ctx;
	uint64_t ino;
	int err;

	err = procfs_pidns(s->root, pid, &ino);
	switch (err) {
	case 0:
		break;
	case -ENOENT: /* gone since readdir */
	case -ESRCH:
	case -EACCES: /* not ours to inspect */
	case -EPERM:
	case -EINVAL: /* not a namespace link */
	case -ENOTDIR:
		return 0;
	default:
		return err;
	}
	return ino == s->inode ? s->fn(pid, s->ctx) : 0;
}

int procfs_tasks_in_pidns(const char *root, uint64_t pidns_inode, procfs_pid_fn fn, void *ctx)
{
	struct pidns_scan s = {
		.root = root,
		.inode = pidns_inode,
		.fn = fn,
		.ctx = ctx,
	};

	return procfs_for_each_pid(root, pidns_match, &s);
}

static bool sig_valid(int sig)
{
	return sig >= 1 && sig <= 64;
}

static uint64_t sig_bit(int sig)
{
	return 1ULL << (sig - 1);
}

int procfs_signal_disposition(const struct proc_status *st, int sig)
{
	if (!sig_valid(sig))
		return -EINVAL;
	if (st->sig_cgt & sig_bit(sig))
		return PROC_SIG_HANDLER;
	if (st->sig_ign & sig_bit(sig))
		return PROC_SIG_IGNORED;
	return PROC_SIG_DEFAULT;
}

bool procfs_signal_blocked(const struct proc_status *st, int sig)
{
	return sig_valid(sig) && (st->sig_blk & sig_bit(sig));
}

bool procfs_signal_pending(const struct proc_status *st, int sig)
{
	return sig_valid(sig) && ((st->sig_pnd | st->shd_pnd) & sig_bit(sig));
}

int procfs_ancestry(const char *root, int pid, struct proc_ancestor *out, int max)
{
	struct proc_status st;
	int n = 0, err;

	if (max <= 0)
		return -EINVAL;
	while (n < max && pid > 0) {
		for (int i = 0; i < n; i++)
			if (out[i].pid == pid)
				return n; /* a loop: only a fixture or pid reuse does that */
		err = procfs_read_status(root, pid, &st);
		if (err)
			return n ? n : err;
		out[n].pid = pid;
		memcpy(out[n].comm, st.name, sizeof(out[n].comm));
		n++;
		pid = st.ppid;
	}
	return n;
}
