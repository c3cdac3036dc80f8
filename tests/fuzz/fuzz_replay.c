// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `stoptrace replay FILE`: a recording is a file users hand to the monitor,
 * so the whole replay (the reader in replay.c, its base64 kernel records and
 * recorded answers, the engines, the records written) runs on the input as
 * a recording, in JSON and in text. Checked: every JSON line is one strict
 * JSON object within the recording's record_max (or RECORD_MAX), text holds
 * no raw control character, and nothing leaks. Seeds and regression inputs
 * are replayed in both formats, fuzzed inputs in one (fuzz_format()).
 */
#include "fuzz.h"
#include "monitor/monitor.h"
#include "report/records.h"

static void replay(int in_fd, const char *in_path, enum out_format format)
{
	static int out_fd = -1;
	static char out_path[64];
	struct monitor_opts opts = {.format = format};
	size_t len;
	char *out;

	if (out_fd < 0)
		out_fd = fuzz_memfd(out_path, sizeof(out_path));
	opts.output_path = out_path;
	lseek(in_fd, 0, SEEK_SET);
	monitor_replay(&opts, in_path);
	out = fuzz_take(out_fd, &len);
	fuzz_check_records(out, len, format == OUT_JSON, RECORD_MAX);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int in_fd = -1;
	static char in_path[64];

	if (in_fd < 0)
		in_fd = fuzz_memfd(in_path, sizeof(in_path));
	if (ftruncate(in_fd, 0) || pwrite(in_fd, data, size, 0) != (ssize_t)size)
		fuzz_fail("cannot write the recording: %s", strerror(errno));
	if (fuzz_format(size, true))
		replay(in_fd, in_path, OUT_JSON);
	if (fuzz_format(size, false))
		replay(in_fd, in_path, OUT_TEXT);
	return 0;
}
