// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fscall [-c COMM] OP PATH: set this process's comm to COMM (prctl
 * PR_SET_NAME: any process can claim to be "runc" or "dockerd"), then make
 * one removal call, OP one of unlink, unlinkat, rmdir, umount (umount2 with
 * flags 0) or umount-detach (MNT_DETACH), and print "OP PATH -> 0" or
 * "OP PATH -> -ERRNO" on standard output. The exit status is 0 whatever the
 * call returned (2 for a usage error): the caller asserts on the errno.
 * Built static (tools/testbench copies it into the test image).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *op, *path;
	int i = 1;
	long ret;

	if (argc >= 3 && !strcmp(argv[1], "-c")) {
		if (prctl(PR_SET_NAME, argv[2], 0, 0, 0)) {
			perror("prctl");
			return 2;
		}
		i = 3;
	}
	if (argc - i != 2) {
		fprintf(stderr,
			"usage: fscall [-c COMM] unlink|unlinkat|rmdir|umount|umount-detach PATH\n");
		return 2;
	}
	op = argv[i];
	path = argv[i + 1];
	if (!strcmp(op, "unlink"))
		ret = unlink(path);
	else if (!strcmp(op, "unlinkat"))
		ret = unlinkat(AT_FDCWD, path, 0);
	else if (!strcmp(op, "rmdir"))
		ret = rmdir(path);
	else if (!strcmp(op, "umount"))
		ret = umount2(path, 0);
	else if (!strcmp(op, "umount-detach"))
		ret = umount2(path, MNT_DETACH);
	else {
		fprintf(stderr, "fscall: unknown call %s\n", op);
		return 2;
	}
	printf("%s %s -> %ld\n", op, path, ret ? -(long)errno : 0L);
	return 0;
}
