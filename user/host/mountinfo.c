// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include "host/mountinfo.h"
#include "stoptrace_event.h"

/* Copy one space-separated field, turning \NNN octal escapes back into bytes. */
static const char *take_field(const char *p, char *out, size_t cap, bool unescape)
{
	size_t n = 0;

	while (*p == ' ')
		p++;
	if (!*p || *p == '\n')
		return NULL;
	while (*p && *p != ' ' && *p != '\n') {
		char c = *p++;

		if (unescape && c == '\\' && p[0] >= '0' && p[0] <= '3' && p[1] >= '0' &&
		    p[1] <= '7' && p[2] >= '0' && p[2] <= '7') {
			c = (char)((p[0] - '0') << 6 | (p[1] - '0') << 3 | (p[2] - '0'));
			p += 3;
		}
		if (n + 1 < cap)
			out[n++] = c;
	}
	if (cap)
		out[n] = '\0';
	return p;
}

/* "MAJOR:MINOR", both decimal, nothing else. */
static int parse_dev(const char *s, unsigned int *major, unsigned int *minor)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	v = strtoul(s, &end, 10);
	if (*end != ':' || v > 0xfffff)
		return -EINVAL;
	*major = (unsigned int)v;
	s = end + 1;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	v = strtoul(s, &end, 10);
	if (*end || v > 0xfffff)
		return -EINVAL;
	*minor = (unsigned int)v;
	return 0;
}

/* A peer group id ("shared:N", "master:N"): decimal, 1 and up, nothing else. */
static int parse_peer(const char *s, int *id)
{
	long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 1 || v > INT_MAX)
		return -EINVAL;
	*id = (int)v;
	return 0;
}

int mountinfo_parse_line(const char *line, struct mount_entry *m)
{
	char tmp[64];
	const char *p = line;
	char *end;

	memset(m, 0, sizeof(*m));
	p = take_field(p, tmp, sizeof(tmp), false);
	if (!p)
		return -EINVAL;
	m->mount_id = (int)strtol(tmp, &end, 10);
	if (*end)
		return -EINVAL;
	p = take_field(p, tmp, sizeof(tmp), false);
	if (!p)
		return -EINVAL;
	m->parent_id = (int)strtol(tmp, &end, 10);
	if (*end)
		return -EINVAL;
	p = take_field(p, tmp, sizeof(tmp), false);
	if (!p || parse_dev(tmp, &m->major, &m->minor))
		return -EINVAL;
	p = take_field(p, m->root, sizeof(m->root), true);
	if (!p)
		return -EINVAL;
	p = take_field(p, m->mount_point, sizeof(m->mount_point), true);
	/* the kernel prints mount points absolute (roots need not be: "net:[4026531840]") */
	if (!p || m->mount_point[0] != '/')
		return -EINVAL;
	/* mount options, then optional fields up to the lone "-" */
	p = take_field(p, tmp, sizeof(tmp), false);
	if (!p)
		return -EINVAL;
	for (;;) {
		p = take_field(p, tmp, sizeof(tmp), false);
		if (!p)
			return -EINVAL;
		if (!strcmp(tmp, "-"))
			break;
		if (!strncmp(tmp, "shared:", 7) && parse_peer(tmp + 7, &m->shared_id))
			return -EINVAL;
		if (!strncmp(tmp, "master:", 7) && parse_peer(tmp + 7, &m->master_id))
			return -EINVAL;
	}
	p = take_field(p, m->fstype, sizeof(m->fstype), true);
	if (!p)
		return -EINVAL;
	p = take_field(p, m->source, sizeof(m->source), true);
	if (!p)
		return -EINVAL;
	if (!take_field(p, m->super_opts, sizeof(m->super_opts), true))
		m->super_opts[0] = '\0';
	return 0;
}

static bool has_option(const char *opts, const char *want)
{
	size_t n = strlen(want);

	for (const char *p = opts; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, want, n) && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

unsigned int mountinfo_find_v1_watched(const char *mountinfo_path, char *dir, size_t cap)
{
	if (!mountinfo_find_cgroup(mountinfo_path, "memory", dir, cap))
		return ST_V1_MEMORY;
	if (!mountinfo_find_cgroup(mountinfo_path, "pids", dir, cap))
		return ST_V1_PIDS;
	dir[0] = '\0';
	return ST_V1_NONE;
}

int mountinfo_find_cgroup(const char *mountinfo_path, const char *controller, char *dir, size_t cap)
{
	struct mount_entry *m;
	char *line = NULL;
	size_t linecap = 0;
	int err = -ENOENT;
	FILE *f;

	f = fopen(mountinfo_path, "re");
	if (!f)
		return -errno;
	m = malloc(sizeof(*m));
	if (!m) {
		fclose(f);
		return -ENOMEM;
	}
	while (getline(&line, &linecap, f) > 0) {
		if (mountinfo_parse_line(line, m))
			continue;
		if (controller
			    ? strcmp(m->fstype, "cgroup") || !has_option(m->super_opts, controller)
			    : strcmp(m->fstype, "cgroup2"))
			continue;
		if (strlen(m->mount_point) + 1 > cap) {
			err = -ENAMETOOLONG;
			break;
		}
		strcpy(dir, m->mount_point);
		err = 0;
		break;
	}
	free(line);
	free(m);
	fclose(f);
	return err;
}
