// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * floor: load and attach the empty programs of floor.bpf.c, print
 * "floor: attached N programs" and hold them until SIGINT or SIGTERM.
 * --no-syscalls leaves the syscall tracepoints out.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "floor.skel.h"

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, args);
}

int main(int argc, char **argv)
{
	struct bpf_program *prog;
	struct floor_bpf *skel;
	bool syscalls = true;
	int n = 0, err;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--no-syscalls")) {
			syscalls = false;
		} else {
			fprintf(stderr, "usage: floor [--no-syscalls]\n");
			return 2;
		}
	}
	libbpf_set_print(libbpf_quiet);
	skel = floor_bpf__open();
	if (!skel) {
		fprintf(stderr, "floor: open: %s\n", strerror(errno));
		return 1;
	}
	bpf_object__for_each_program(prog, skel->obj)
	{
		bool is_syscall = strstr(bpf_program__section_name(prog), "syscalls/") != NULL;

		if (is_syscall && !syscalls)
			bpf_program__set_autoload(prog, false);
		else
			n++;
	}
	err = floor_bpf__load(skel);
	if (!err)
		err = floor_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "floor: load/attach: %s\n", strerror(-err));
		floor_bpf__destroy(skel);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("floor: attached %d programs\n", n);
	fflush(stdout);
	while (!stopping)
		pause();
	floor_bpf__destroy(skel);
	return 0;
}
