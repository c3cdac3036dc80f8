// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Tables from kernel numbers to the names the records carry, the parser for
 * signal names as users write them, and RFC 3339 timestamps.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/array_size.h"
#include "lib/names.h"

#define SIG_RTMIN 34 /* as glibc, Docker and kill -l count */
#define SIG_RTMAX 64

static const char *const signal_names[SIG_NUM_MAX + 1] = {
	[1] = "SIGHUP",	      [2] = "SIGINT",	    [3] = "SIGQUIT",	  [4] = "SIGILL",
	[5] = "SIGTRAP",      [6] = "SIGABRT",	    [7] = "SIGBUS",	  [8] = "SIGFPE",
	[9] = "SIGKILL",      [10] = "SIGUSR1",	    [11] = "SIGSEGV",	  [12] = "SIGUSR2",
	[13] = "SIGPIPE",     [14] = "SIGALRM",	    [15] = "SIGTERM",	  [16] = "SIGSTKFLT",
	[17] = "SIGCHLD",     [18] = "SIGCONT",	    [19] = "SIGSTOP",	  [20] = "SIGTSTP",
	[21] = "SIGTTIN",     [22] = "SIGTTOU",	    [23] = "SIGURG",	  [24] = "SIGXCPU",
	[25] = "SIGXFSZ",     [26] = "SIGVTALRM",   [27] = "SIGPROF",	  [28] = "SIGWINCH",
	[29] = "SIGIO",	      [30] = "SIGPWR",	    [31] = "SIGSYS",	  [32] = "SIG32",
	[33] = "SIG33",	      [34] = "SIGRTMIN",    [35] = "SIGRTMIN+1",  [36] = "SIGRTMIN+2",
	[37] = "SIGRTMIN+3",  [38] = "SIGRTMIN+4",  [39] = "SIGRTMIN+5",  [40] = "SIGRTMIN+6",
	[41] = "SIGRTMIN+7",  [42] = "SIGRTMIN+8",  [43] = "SIGRTMIN+9",  [44] = "SIGRTMIN+10",
	[45] = "SIGRTMIN+11", [46] = "SIGRTMIN+12", [47] = "SIGRTMIN+13", [48] = "SIGRTMIN+14",
	[49] = "SIGRTMIN+15", [50] = "SIGRTMAX-14", [51] = "SIGRTMAX-13", [52] = "SIGRTMAX-12",
	[53] = "SIGRTMAX-11", [54] = "SIGRTMAX-10", [55] = "SIGRTMAX-9",  [56] = "SIGRTMAX-8",
	[57] = "SIGRTMAX-7",  [58] = "SIGRTMAX-6",  [59] = "SIGRTMAX-5",  [60] = "SIGRTMAX-4",
	[61] = "SIGRTMAX-3",  [62] = "SIGRTMAX-2",  [63] = "SIGRTMAX-1",  [64] = "SIGRTMAX",
};

/* Other spellings of standard signals that runtimes and users accept. */
static const struct {
	const char *name;
	int sig;
} signal_aliases[] = {
	{"SIGIOT", 6},
	{"SIGCLD", 17},
	{"SIGPOLL", 29},
};

const char *signal_name(int sig)
{
	if (sig < 1 || sig > SIG_NUM_MAX)
		return NULL;
	return signal_names[sig];
}

const char *signal_text(int sig, char *buf, size_t cap)
{
	const char *name = signal_name(sig);

	if (name)
		return name;
	snprintf(buf, cap, "signal %d", sig);
	return buf;
}

/* Digits only, at most two of them, as an offset from SIGRTMIN or SIGRTMAX. */
static int parse_small(const char *s)
{
	int v = 0, i;

	for (i = 0; s[i]; i++) {
		if (i == 2 || s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return i ? v : -1;
}

/* "RTMIN", "RTMIN+n", "RTMAX", "RTMAX-n" (the SIG prefix already gone). */
static int parse_rt(const char *s)
{
	int base, sign, off;

	if (!strncasecmp(s, "RTMIN", 5)) {
		base = SIG_RTMIN;
		sign = 1;
	} else if (!strncasecmp(s, "RTMAX", 5)) {
		base = SIG_RTMAX;
		sign = -1;
	} else {
		return -1;
	}
	s += 5;
	if (!*s)
		return base;
	if (*s != (sign > 0 ? '+' : '-'))
		return -1;
	off = parse_small(s + 1);
	if (off < 0 || off > SIG_RTMAX - SIG_RTMIN)
		return -1;
	return base + sign * off;
}

int signal_from_name(const char *s)
{
	const char *bare;
	size_t i;
	int sig;

	if (!s || !*s)
		return -1;
	if (s[0] >= '0' && s[0] <= '9') {
		sig = parse_small(s);
		return sig >= 1 && sig <= SIG_NUM_MAX ? sig : -1;
	}
	bare = strncasecmp(s, "SIG", 3) ? s : s + 3;
	if (!*bare)
		return -1;
	sig = parse_rt(bare);
	if (sig > 0)
		return sig;
	for (sig = 1; sig <= SIG_NUM_MAX; sig++) {
		/* "SIG32" and "SIG33" are only spelled in full. */
		if (sig == 32 || sig == 33) {
			if (!strcasecmp(s, signal_names[sig]))
				return sig;
		} else if (sig < SIG_RTMIN && !strcasecmp(bare, signal_names[sig] + 3)) {
			return sig;
		}
	}
	for (i = 0; i < ARRAY_SIZE(signal_aliases); i++)
		if (!strcasecmp(bare, signal_aliases[i].name + 3))
			return signal_aliases[i].sig;
	return -1;
}

/* Default actions from the kernel's signal.c: stop, continue or ignore. */
static bool signal_stops_by_default(int sig)
{
	return sig == 19 || sig == 20 || sig == 21 || sig == 22; /* STOP TSTP TTIN TTOU */
}

bool signal_ignored_by_default(int sig)
{
	return sig == 17 || sig == 23 || sig == 28; /* CHLD URG WINCH */
}

bool signal_fatal_by_default(int sig)
{
	if (sig < 1 || sig > SIG_NUM_MAX)
		return false;
	return !signal_stops_by_default(sig) && !signal_ignored_by_default(sig) &&
	       sig != 18; /* CONT */
}

#define E(x) [x] = #x
static const char *const errno_names[] = {
	E(EPERM),
	E(ENOENT),
	E(ESRCH),
	E(EINTR),
	E(EIO),
	E(ENXIO),
	E(E2BIG),
	E(ENOEXEC),
	E(EBADF),
	E(ECHILD),
	E(EAGAIN),
	E(ENOMEM),
	E(EACCES),
	E(EFAULT),
	E(ENOTBLK),
	E(EBUSY),
	E(EEXIST),
	E(EXDEV),
	E(ENODEV),
	E(ENOTDIR),
	E(EISDIR),
	E(EINVAL),
	E(ENFILE),
	E(EMFILE),
	E(ENOTTY),
	E(ETXTBSY),
	E(EFBIG),
	E(ENOSPC),
	E(ESPIPE),
	E(EROFS),
	E(EMLINK),
	E(EPIPE),
	E(EDOM),
	E(ERANGE),
	E(EDEADLK),
	E(ENAMETOOLONG),
	E(ENOLCK),
	E(ENOSYS),
	E(ENOTEMPTY),
	E(ELOOP),
	E(ENOMSG),
	E(EIDRM),
	E(ECHRNG),
	E(EL2NSYNC),
	E(EL3HLT),
	E(EL3RST),
	E(ELNRNG),
	E(EUNATCH),
	E(ENOCSI),
	E(EL2HLT),
	E(EBADE),
	E(EBADR),
	E(EXFULL),
	E(ENOANO),
	E(EBADRQC),
	E(EBADSLT),
	E(EBFONT),
	E(ENOSTR),
	E(ENODATA),
	E(ETIME),
	E(ENOSR),
	E(ENONET),
	E(ENOPKG),
	E(EREMOTE),
	E(ENOLINK),
	E(EADV),
	E(ESRMNT),
	E(ECOMM),
	E(EPROTO),
	E(EMULTIHOP),
	E(EDOTDOT),
	E(EBADMSG),
	E(EOVERFLOW),
	E(ENOTUNIQ),
	E(EBADFD),
	E(EREMCHG),
	E(ELIBACC),
	E(ELIBBAD),
	E(ELIBSCN),
	E(ELIBMAX),
	E(ELIBEXEC),
	E(EILSEQ),
	E(ERESTART),
	E(ESTRPIPE),
	E(EUSERS),
	E(ENOTSOCK),
	E(EDESTADDRREQ),
	E(EMSGSIZE),
	E(EPROTOTYPE),
	E(ENOPROTOOPT),
	E(EPROTONOSUPPORT),
	E(ESOCKTNOSUPPORT),
	E(EOPNOTSUPP),
	E(EPFNOSUPPORT),
	E(EAFNOSUPPORT),
	E(EADDRINUSE),
	E(EADDRNOTAVAIL),
	E(ENETDOWN),
	E(ENETUNREACH),
	E(ENETRESET),
	E(ECONNABORTED),
	E(ECONNRESET),
	E(ENOBUFS),
	E(EISCONN),
	E(ENOTCONN),
	E(ESHUTDOWN),
	E(ETOOMANYREFS),
	E(ETIMEDOUT),
	E(ECONNREFUSED),
	E(EHOSTDOWN),
	E(EHOSTUNREACH),
	E(EALREADY),
	E(EINPROGRESS),
	E(ESTALE),
	E(EUCLEAN),
	E(ENOTNAM),
	E(ENAVAIL),
	E(EISNAM),
	E(EREMOTEIO),
	E(EDQUOT),
	E(ENOMEDIUM),
	E(EMEDIUMTYPE),
	E(ECANCELED),
	E(ENOKEY),
	E(EKEYEXPIRED),
	E(EKEYREVOKED),
	E(EKEYREJECTED),
	E(EOWNERDEAD),
	E(ENOTRECOVERABLE),
	E(ERFKILL),
	E(EHWPOISON),
};
#undef E
_Static_assert(ARRAY_SIZE(errno_names) == 134, "errno table covers Linux errnos 1..133");

const char *errno_name(int err)
{
	if (err < 1 || (size_t)err >= ARRAY_SIZE(errno_names))
		return NULL;
	return errno_names[err];
}

const char *signal_result_name(int result)
{
	static const char *const names[] = {"delivered", "ignored", "already_pending", "overflow",
					    "lose_info"};

	if (result < 0 || (size_t)result >= ARRAY_SIZE(names))
		return NULL;
	return names[result];
}

const char *si_code_name(int code)
{
	switch (code) {
	case 0:
		return "SI_USER";
	case 0x80:
		return "SI_KERNEL";
	case -1:
		return "SI_QUEUE";
	case -2:
		return "SI_TIMER";
	case -3:
		return "SI_MESGQ";
	case -4:
		return "SI_ASYNCIO";
	case -5:
		return "SI_SIGIO";
	case -6:
		return "SI_TKILL";
	case -7:
		return "SI_DETHREAD";
	case -60:
		return "SI_ASYNCNL";
	default:
		return NULL;
	}
}

/*
 * Civil date from days since 1970-01-01 in the proleptic Gregorian calendar,
 * counted in 400-year eras that start on March 1st so the leap day ends a
 * year (the method of Howard Hinnant's "chrono-Compatible Low-Level Date
 * Algorithms").
 */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

int format_rfc3339(char *buf, size_t cap, int64_t sec, long nsec)
{
	/* 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z */
	const int64_t min_sec = -62167219200LL, max_sec = 253402300799LL;
	int64_t days, rem, year;
	int month, day;

	if (cap > 0)
		buf[0] = '\0';
	if (cap < RFC3339_LEN)
		return -ENOSPC;
	if (nsec < 0 || nsec > 999999999L)
		return -EINVAL;
	if (sec < min_sec || sec > max_sec)
		return -ERANGE;

	days = sec / 86400;
	rem = sec % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	civil_from_days(days, &year, &month, &day);
	snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", (int)year, month, day,
		 (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60), nsec);
	return 0;
}
