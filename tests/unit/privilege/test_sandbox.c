// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The seccomp lists and the filter made of them (user/privilege/sandbox.h):
 * what each process still calls is on its list, what would undo the sandbox
 * is not, and a call off the list fails with EPERM and is counted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "privilege/sandbox.h"

/* The monitor's list: what it still calls is on it, what would undo the sandbox is not. */
static void test_sandbox_lists(void **state)
{
	(void)state;
	assert_true(sandbox_allows(SANDBOX_MONITOR, SYS_bpf));
	assert_true(sandbox_allows(SANDBOX_MONITOR, SYS_perf_event_open));
	assert_true(sandbox_allows(SANDBOX_MONITOR, SYS_openat));
	assert_true(sandbox_allows(SANDBOX_MONITOR, SYS_inotify_add_watch));
	assert_false(sandbox_allows(SANDBOX_MONITOR, SYS_execve));
	assert_false(sandbox_allows(SANDBOX_MONITOR, SYS_setresuid));
	assert_false(sandbox_allows(SANDBOX_MONITOR, SYS_mount));
	assert_false(sandbox_allows(SANDBOX_MONITOR, SYS_process_vm_writev));
	assert_false(sandbox_allows(SANDBOX_MONITOR, SYS_seccomp));
	assert_false(sandbox_allows(SANDBOX_FILES, SYS_bpf));
	assert_false(sandbox_allows(SANDBOX_FILES, SYS_socket));
	assert_false(sandbox_allows(SANDBOX_FILES, SYS_execve));
	assert_true(sandbox_allows(SANDBOX_FILES, SYS_rename) ||
		    sandbox_allows(SANDBOX_FILES, SYS_renameat));
}

/*
 * The filter installed for real, in a child: a call off the list fails with
 * EPERM (the process goes on), one on it works, and the refusal is counted.
 */
static void test_sandbox_refuses_with_eperm(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char msg[256];
		int fd, code = 0;

		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
		    sandbox_apply(SANDBOX_FILES, msg, sizeof(msg)))
			_exit(10);
		/* the helper's list has no socket() */
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd >= 0 || errno != EPERM)
			code = 11;
		if (!code && sandbox_refused() != 1)
			code = 12;
		if (!code && getpid() <= 0)
			code = 13;
		_exit(code);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sandbox_lists),
		cmocka_unit_test(test_sandbox_refuses_with_eperm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
