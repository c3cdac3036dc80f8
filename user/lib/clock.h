/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A clock's time in nanoseconds: the one way the user side reads a clock. */
#ifndef STOPTRACE_CLOCK_H
#define STOPTRACE_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

#endif /* STOPTRACE_CLOCK_H */
