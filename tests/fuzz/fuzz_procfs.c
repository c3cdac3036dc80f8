// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * /proc/PID files as a tenant's process can shape them (its name is in
 * status and stat): the input is split (FUZZ_SEP) into /proc/1/status,
 * /proc/1/stat, /proc/1/cgroup, /proc/1/wchan, /proc/1/stack and
 * /proc/2/status, read by every procfs reader. Checked: names and buffers
 * come back terminated, counts stay in their arrays, the ancestry walk ends.
 */
#include "fuzz.h"
#include "host/procfs.h"

static int each_line(int hierarchy_id, const char *controllers, const char *path, void *ctx)
{
	(void)hierarchy_id, (void)ctx;
	return (int)(strlen(controllers) + strlen(path)) < 0;
}

static void check_status(const struct proc_status *st)
{
	if (strnlen(st->name, sizeof(st->name)) == sizeof(st->name))
		fuzz_fail("procfs_read_status: name not terminated");
	if (st->nspid_count < 0 || st->nspid_count > PROC_NSPID_MAX)
		fuzz_fail("procfs_read_status: nspid_count %d", st->nspid_count);
	for (int sig = 0; sig <= 65; sig++) {
		int d = procfs_signal_disposition(st, sig);

		if (sig >= 1 && sig <= 64 && (d < PROC_SIG_DEFAULT || d > PROC_SIG_HANDLER))
			fuzz_fail("procfs_signal_disposition(%d) = %d", sig, d);
		procfs_signal_blocked(st, sig);
		procfs_signal_pending(st, sig);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const files[] = {"proc/1/status", "proc/1/stat",  "proc/1/cgroup",
					    "proc/1/wchan",  "proc/1/stack", "proc/2/status"};
	struct proc_ancestor anc[8];
	struct fuzz_part part[6];
	struct proc_status st;
	char buf[256];
	uint64_t start;
	int n;

	fuzz_split(data, size, part, 6);
	for (int i = 0; i < 6; i++)
		fuzz_put(files[i], part[i].p, part[i].len);
	if (procfs_read_status(fuzz_root(), 1, &st) == 0)
		check_status(&st);
	procfs_read_stat_start(fuzz_root(), 1, &start);
	procfs_read_cgroup(fuzz_root(), 1, each_line, NULL);
	memset(buf, 'x', sizeof(buf));
	if (procfs_read_wchan(fuzz_root(), 1, buf, sizeof(buf)) == 0 &&
	    strnlen(buf, sizeof(buf)) == sizeof(buf))
		fuzz_fail("procfs_read_wchan: not terminated");
	memset(buf, 'x', sizeof(buf));
	if (procfs_read_stack(fuzz_root(), 1, buf, sizeof(buf)) == 0 &&
	    strnlen(buf, sizeof(buf)) == sizeof(buf))
		fuzz_fail("procfs_read_stack: not terminated");
	n = procfs_ancestry(fuzz_root(), 1, anc, 8);
	if (n > 8)
		fuzz_fail("procfs_ancestry: %d entries in 8", n);
	for (int i = 0; i < n; i++)
		if (strnlen(anc[i].comm, sizeof(anc[i].comm)) == sizeof(anc[i].comm))
			fuzz_fail("procfs_ancestry: comm not terminated");
	return 0;
}
