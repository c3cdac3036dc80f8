// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Cgroup paths to container identity (identity_parse_cgroup, on each line
 * and on the whole text), and the freezer look-up of cgroupfs.c: the input
 * is split (FUZZ_SEP) into /proc/1/cgroup, /proc/self/mountinfo, a v1
 * freezer.state and a v2 cgroup.events, laid out under a scratch root where
 * the seeds' mountinfo and cgroup paths lead. Checked: a match names a known
 * runtime and an id that is in the path, every string is terminated.
 */
#include "host/cgroupfs.h"
#include "fuzz.h"
#include "identity/identity.h"
#include "host/procfs.h"

#define SEED_ID "1111111111111111111111111111111111111111111111111111111111111111"

static void check_match(const char *path)
{
	struct cgroup_match m;

	if (!identity_parse_cgroup(path, &m))
		return;
	if (m.runtime <= RUNTIME_NONE || m.runtime > RUNTIME_LXC || !runtime_name(m.runtime)[0])
		fuzz_fail("identity_parse_cgroup: runtime %d", m.runtime);
	if (!m.id[0] || strnlen(m.id, sizeof(m.id)) == sizeof(m.id) || !strstr(path, m.id))
		fuzz_fail("identity_parse_cgroup: id \"%.*s\" is not in \"%s\"", ID_LEN, m.id,
			  path);
	if (strchr(m.id, '/') || strchr(m.id, '\n'))
		fuzz_fail("identity_parse_cgroup: id \"%s\" holds a separator", m.id);
	/* the container's own cgroup: a clean path ending in the component that names it */
	if (strnlen(m.cgroup, sizeof(m.cgroup)) == sizeof(m.cgroup) || m.cgroup[0] != '/' ||
	    strstr(m.cgroup, "//") || strchr(m.cgroup, '\n') ||
	    !strstr(strrchr(m.cgroup, '/'), m.id))
		fuzz_fail("identity_parse_cgroup: own cgroup \"%.*s\" of \"%s\"", CGROUP_PATH_LEN,
			  m.cgroup, path);
	/* nothing below a user's delegated subtree */
	if (strstr(m.cgroup, "/user@"))
		fuzz_fail("identity_parse_cgroup: \"%s\" is below a user's delegation", path);
	if (strnlen(m.pod_uid, sizeof(m.pod_uid)) == sizeof(m.pod_uid))
		fuzz_fail("identity_parse_cgroup: pod uid not terminated");
	if (m.pod_uid[0] && !strstr(path, m.pod_uid)) {
		/* systemd's slices write the uid with '_' for '-': compare loosely */
		for (char *s = m.pod_uid; *s; s++)
			if (*s == '-')
				*s = '_';
		if (!strstr(path, m.pod_uid))
			fuzz_fail("identity_parse_cgroup: pod uid \"%s\" not in \"%s\"", m.pod_uid,
				  path);
	}
}

static int each_line(int hierarchy_id, const char *controllers, const char *path, void *ctx)
{
	int *n = ctx;

	if (hierarchy_id < 0)
		fuzz_fail("procfs_read_cgroup: hierarchy %d", hierarchy_id);
	(void)strlen(controllers);
	check_match(path);
	(*n)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_part part[4];
	char how[128], *text;
	bool frozen;
	int n = 0;

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	check_match(text);
	for (char *line = text, *next; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		check_match(line);
	}
	free(text);

	fuzz_split(data, size, part, 4);
	fuzz_put("proc/1/cgroup", part[0].p, part[0].len);
	fuzz_put("proc/self/mountinfo", part[1].p, part[1].len);
	fuzz_put("sys/fs/cgroup/freezer/docker/" SEED_ID "/freezer.state", part[2].p, part[2].len);
	fuzz_put("sys/fs/cgroup/unified/docker/" SEED_ID "/cgroup.events", part[3].p, part[3].len);
	procfs_read_cgroup(fuzz_root(), 1, each_line, &n);
	if (cgroupfs_container_frozen(fuzz_root(), 1, &frozen, how, sizeof(how)) == 0 &&
	    strnlen(how, sizeof(how)) == sizeof(how))
		fuzz_fail("cgroupfs_container_frozen: how not terminated");
	return 0;
}
