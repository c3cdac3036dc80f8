// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * /proc/PID/mountinfo: each line through mountinfo_parse_line, and the whole
 * text as a file through mountinfo_find_cgroup (cgroup2, and the v1 memory
 * and freezer hierarchies). Checked: every field comes back terminated, the
 * ids are not negative, a cgroup mount point found is absolute.
 */
#include "lib/array_size.h"
#include "fuzz.h"
#include "host/mountinfo.h"

static void check_entry(const struct mount_entry *m)
{
	if (strnlen(m->root, sizeof(m->root)) == sizeof(m->root) ||
	    strnlen(m->mount_point, sizeof(m->mount_point)) == sizeof(m->mount_point) ||
	    strnlen(m->fstype, sizeof(m->fstype)) == sizeof(m->fstype) ||
	    strnlen(m->source, sizeof(m->source)) == sizeof(m->source) ||
	    strnlen(m->super_opts, sizeof(m->super_opts)) == sizeof(m->super_opts))
		fuzz_fail("mountinfo_parse_line: a field is not terminated");
	if (m->shared_id < 0 || m->master_id < 0)
		fuzz_fail("mountinfo_parse_line: peer group %d/%d", m->shared_id, m->master_id);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const controllers[] = {NULL, "memory", "freezer"};
	static struct mount_entry m;
	char path[PATH_MAX], dir[256], *text;

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (char *line = text, *next; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (mountinfo_parse_line(line, &m) == 0)
			check_entry(&m);
	}
	free(text);

	fuzz_put("mountinfo", data, size);
	snprintf(path, sizeof(path), "%s/mountinfo", fuzz_root());
	for (size_t i = 0; i < ARRAY_SIZE(controllers); i++) {
		memset(dir, 'x', sizeof(dir));
		if (mountinfo_find_cgroup(path, controllers[i], dir, sizeof(dir)) == 0 &&
		    (strnlen(dir, sizeof(dir)) == sizeof(dir) || dir[0] != '/'))
			fuzz_fail("mountinfo_find_cgroup: \"%.*s\"", (int)sizeof(dir), dir);
	}
	return 0;
}
