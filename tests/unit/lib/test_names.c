// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Names of signals, signal results, si_codes and errnos both ways, and RFC
 * 3339 timestamps of known instants.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "lib/array_size.h"
#include "lib/names.h"

static const struct {
	int sig;
	const char *name;
} signals[] = {
	{1, "SIGHUP"},	     {2, "SIGINT"},	  {3, "SIGQUIT"},      {4, "SIGILL"},
	{5, "SIGTRAP"},	     {6, "SIGABRT"},	  {7, "SIGBUS"},       {8, "SIGFPE"},
	{9, "SIGKILL"},	     {10, "SIGUSR1"},	  {11, "SIGSEGV"},     {12, "SIGUSR2"},
	{13, "SIGPIPE"},     {14, "SIGALRM"},	  {15, "SIGTERM"},     {16, "SIGSTKFLT"},
	{17, "SIGCHLD"},     {18, "SIGCONT"},	  {19, "SIGSTOP"},     {20, "SIGTSTP"},
	{21, "SIGTTIN"},     {22, "SIGTTOU"},	  {23, "SIGURG"},      {24, "SIGXCPU"},
	{25, "SIGXFSZ"},     {26, "SIGVTALRM"},	  {27, "SIGPROF"},     {28, "SIGWINCH"},
	{29, "SIGIO"},	     {30, "SIGPWR"},	  {31, "SIGSYS"},      {32, "SIG32"},
	{33, "SIG33"},	     {34, "SIGRTMIN"},	  {35, "SIGRTMIN+1"},  {37, "SIGRTMIN+3"},
	{48, "SIGRTMIN+14"}, {49, "SIGRTMIN+15"}, {50, "SIGRTMAX-14"}, {62, "SIGRTMAX-2"},
	{63, "SIGRTMAX-1"},  {64, "SIGRTMAX"},
};

/* Every name maps to its number and back, with and without SIG, in any case. */
static void test_signal_names_both_ways(void **state)
{
	char lower[32];
	size_t i, j;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(signals); i++) {
		const char *name = signals[i].name;
		int sig = signals[i].sig;

		assert_non_null(signal_name(sig));
		assert_string_equal(signal_name(sig), name);
		assert_int_equal(signal_from_name(name), sig);
		for (j = 0; name[j] && j < sizeof(lower) - 1; j++)
			lower[j] = (char)tolower((unsigned char)name[j]);
		lower[j] = '\0';
		assert_int_equal(signal_from_name(lower), sig);
		if (sig != 32 && sig != 33) {
			assert_int_equal(signal_from_name(name + 3), sig);
			assert_int_equal(signal_from_name(lower + 3), sig);
		}
		snprintf(lower, sizeof(lower), "%d", sig);
		assert_int_equal(signal_from_name(lower), sig);
	}
	/* Every number in range has a name that parses back to it. */
	for (i = 1; i <= SIG_NUM_MAX; i++) {
		assert_non_null(signal_name((int)i));
		assert_int_equal(signal_from_name(signal_name((int)i)), (int)i);
	}
}

/* The classic signals agree with the C library's own abbreviations. */
static void test_signal_names_match_libc(void **state)
{
	(void)state;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
	int sig;

	for (sig = 1; sig < 32; sig++) {
		const char *abbrev = sigabbrev_np(sig);

		assert_non_null(abbrev);
		/* glibc calls 29 POLL; the kernel and Docker call it IO (POLL is an alias). */
		if (sig == SIGIO)
			continue;
		assert_string_equal(signal_name(sig) + 3, abbrev);
	}
	assert_int_equal(signal_from_name("SIGRTMIN"), SIGRTMIN);
	assert_int_equal(signal_from_name("SIGRTMAX"), SIGRTMAX);
#else
	skip();
#endif
}

static void test_signal_parse(void **state)
{
	static const struct {
		const char *in;
		int want;
	} cases[] = {
		{"SIGTERM", 15},
		{"TERM", 15},
		{"term", 15},
		{"SigTerm", 15},
		{"15", 15},
		{"9", 9},
		{"64", 64},
		{"1", 1},
		{"SIGRTMIN+3", 37},
		{"RTMIN+3", 37},
		{"rtmin+3", 37},
		{"SIGRTMIN+0", 34},
		{"SIGRTMIN+30", 64},
		{"SIGRTMAX-2", 62},
		{"RTMAX-30", 34},
		{"SIGRTMAX", 64},
		{"SIGIOT", 6},
		{"CLD", 17},
		{"POLL", 29},
		{"SIG32", 32},
		/* Not a signal. */
		{"SIGFOO", -1},
		{"", -1},
		{"0", -1},
		{"65", -1},
		{"-1", -1},
		{"100", -1},
		{"015", -1},
		{"SIG", -1},
		{"SIGSIGTERM", -1},
		{"SIGTERM ", -1},
		{" SIGTERM", -1},
		{"15x", -1},
		{"+15", -1},
		{"SIGRTMIN+31", -1},
		{"SIGRTMIN-1", -1},
		{"SIGRTMAX+1", -1},
		{"SIGRTMAX-31", -1},
		{"RTMIN+", -1},
		{"RTMIN3", -1},
		{"RTMIN+x", -1},
		{"SIGRTMIN+100", -1},
		{"32x", -1},
		{"9999999999", -1},
		{"SIG0", -1},
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		if (signal_from_name(cases[i].in) != cases[i].want)
			fail_msg("signal_from_name(\"%s\") = %d, want %d", cases[i].in,
				 signal_from_name(cases[i].in), cases[i].want);
	assert_int_equal(signal_from_name(NULL), -1);
}

static void test_signal_out_of_range(void **state)
{
	(void)state;
	assert_null(signal_name(0));
	assert_null(signal_name(-1));
	assert_null(signal_name(65));
	assert_null(signal_name(INT32_MIN));
	assert_false(signal_fatal_by_default(0));
	assert_false(signal_fatal_by_default(65));
	assert_false(signal_ignored_by_default(0));
}

static void test_signal_default_actions(void **state)
{
	static const int fatal[] = {1,	2,  3,	4,  5,	6,  7,	8,  9,	10, 11, 12, 13,
				    14, 15, 16, 24, 25, 26, 27, 29, 30, 31, 34, 37, 64};
	static const int not_fatal[] = {17, 18, 19, 20, 21, 22, 23, 28};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(fatal); i++) {
		assert_true(signal_fatal_by_default(fatal[i]));
		assert_false(signal_ignored_by_default(fatal[i]));
	}
	for (i = 0; i < ARRAY_SIZE(not_fatal); i++)
		assert_false(signal_fatal_by_default(not_fatal[i]));

	assert_true(signal_ignored_by_default(SIGCHLD));
	assert_true(signal_ignored_by_default(SIGURG));
	assert_true(signal_ignored_by_default(SIGWINCH));
	/* SIGCONT continues a stopped process; the stop signals stop it. */
	assert_false(signal_ignored_by_default(SIGCONT));
	assert_false(signal_ignored_by_default(SIGSTOP));
	assert_false(signal_ignored_by_default(SIGTSTP));
}

static void test_errno_names(void **state)
{
	static const struct {
		int err;
		const char *name;
	} cases[] = {
		{1, "EPERM"},	  {2, "ENOENT"},      {5, "EIO"},
		{11, "EAGAIN"},	  {13, "EACCES"},     {16, "EBUSY"},
		{22, "EINVAL"},	  {28, "ENOSPC"},     {30, "EROFS"},
		{35, "EDEADLK"},  {39, "ENOTEMPTY"},  {40, "ELOOP"},
		{42, "ENOMSG"},	  {95, "EOPNOTSUPP"}, {110, "ETIMEDOUT"},
		{116, "ESTALE"},  {125, "ECANCELED"}, {131, "ENOTRECOVERABLE"},
		{132, "ERFKILL"}, {133, "EHWPOISON"},
	};
	size_t i;
	int err, named = 0;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_non_null(errno_name(cases[i].err));
		assert_string_equal(errno_name(cases[i].err), cases[i].name);
	}
	/* Linux has no errno 41 or 58 (58 was EDEADLOCK, now an alias of 35). */
	assert_null(errno_name(41));
	assert_null(errno_name(58));
	assert_null(errno_name(0));
	assert_null(errno_name(-16));
	assert_null(errno_name(134));
	assert_null(errno_name(512)); /* ERESTARTSYS: kernel-internal */
	for (err = 1; err <= 133; err++)
		named += errno_name(err) != NULL;
	assert_int_equal(named, 131);

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
	/* Every name agrees with the C library's. */
	for (err = 1; err <= 133; err++)
		if (errno_name(err))
			assert_string_equal(errno_name(err), strerrorname_np(err));
#endif
}

static void test_signal_result_and_si_code(void **state)
{
	(void)state;
	assert_string_equal(signal_result_name(0), "delivered");
	assert_string_equal(signal_result_name(1), "ignored");
	assert_string_equal(signal_result_name(2), "already_pending");
	assert_string_equal(signal_result_name(3), "overflow");
	assert_string_equal(signal_result_name(4), "lose_info");
	assert_null(signal_result_name(5));
	assert_null(signal_result_name(-1));

	assert_string_equal(si_code_name(SI_USER), "SI_USER");
	assert_string_equal(si_code_name(SI_KERNEL), "SI_KERNEL");
	assert_string_equal(si_code_name(SI_QUEUE), "SI_QUEUE");
	assert_string_equal(si_code_name(SI_TIMER), "SI_TIMER");
	assert_string_equal(si_code_name(SI_MESGQ), "SI_MESGQ");
	assert_string_equal(si_code_name(SI_ASYNCIO), "SI_ASYNCIO");
	assert_string_equal(si_code_name(SI_SIGIO), "SI_SIGIO");
	assert_string_equal(si_code_name(SI_TKILL), "SI_TKILL");
	assert_string_equal(si_code_name(SI_DETHREAD), "SI_DETHREAD");
	assert_string_equal(si_code_name(SI_ASYNCNL), "SI_ASYNCNL");
	assert_int_equal(SI_KERNEL, 0x80);
	assert_int_equal(SI_TKILL, -6);
	assert_int_equal(SI_ASYNCNL, -60);
	/* Positive codes mean different things per signal (CLD_EXITED, SEGV_MAPERR). */
	assert_null(si_code_name(1));
	assert_null(si_code_name(2));
	assert_null(si_code_name(-8));
}

static void test_rfc3339(void **state)
{
	static const struct {
		int64_t sec;
		long nsec;
		const char *want;
	} cases[] = {
		{0, 0, "1970-01-01T00:00:00.000000000Z"},
		{1795764001, 500000000, "2026-11-27T07:20:01.500000000Z"},
		{1795764001, 123456789, "2026-11-27T07:20:01.123456789Z"},
		{1709251199, 999999999, "2024-02-29T23:59:59.999999999Z"}, /* leap day */
		{1709251200, 0, "2024-03-01T00:00:00.000000000Z"},
		{951827696, 1, "2000-02-29T12:34:56.000000001Z"}, /* leap: divisible by 400 */
		{4107456000, 0, "2100-02-28T00:00:00.000000000Z"},
		{4107542400, 0, "2100-03-01T00:00:00.000000000Z"}, /* 2100 is not leap */
		{1735689599, 0, "2024-12-31T23:59:59.000000000Z"},
		{1735689600, 0, "2025-01-01T00:00:00.000000000Z"},
		{-1, 999999999, "1969-12-31T23:59:59.999999999Z"},
		{-86400, 0, "1969-12-31T00:00:00.000000000Z"},
		{2147483648LL, 0, "2038-01-19T03:14:08.000000000Z"},
		{253402300799LL, 0, "9999-12-31T23:59:59.000000000Z"},
		{-62167219200LL, 0, "0000-01-01T00:00:00.000000000Z"},
	};
	char buf[RFC3339_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		memset(buf, 'X', sizeof(buf));
		assert_int_equal(format_rfc3339(buf, sizeof(buf), cases[i].sec, cases[i].nsec), 0);
		assert_string_equal(buf, cases[i].want);
	}
}

static void test_rfc3339_errors(void **state)
{
	char buf[64];

	(void)state;
	memset(buf, 'X', sizeof(buf));
	assert_int_equal(format_rfc3339(buf, RFC3339_LEN - 1, 0, 0), -ENOSPC);
	assert_string_equal(buf, "");
	assert_int_equal(format_rfc3339(NULL, 0, 0, 0), -ENOSPC);
	assert_int_equal(format_rfc3339(buf, sizeof(buf), 0, -1), -EINVAL);
	assert_int_equal(format_rfc3339(buf, sizeof(buf), 0, 1000000000L), -EINVAL);
	assert_int_equal(format_rfc3339(buf, sizeof(buf), 253402300800LL, 0), -ERANGE);
	assert_int_equal(format_rfc3339(buf, sizeof(buf), -62167219201LL, 0), -ERANGE);
	assert_int_equal(format_rfc3339(buf, sizeof(buf), INT64_MAX, 0), -ERANGE);
	assert_int_equal(format_rfc3339(buf, sizeof(buf), INT64_MIN, 0), -ERANGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signal_names_both_ways),
		cmocka_unit_test(test_signal_names_match_libc),
		cmocka_unit_test(test_signal_parse),
		cmocka_unit_test(test_signal_out_of_range),
		cmocka_unit_test(test_signal_default_actions),
		cmocka_unit_test(test_errno_names),
		cmocka_unit_test(test_signal_result_and_si_code),
		cmocka_unit_test(test_rfc3339),
		cmocka_unit_test(test_rfc3339_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
