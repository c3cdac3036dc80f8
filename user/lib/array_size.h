/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef STOPTRACE_ARRAY_SIZE_H
#define STOPTRACE_ARRAY_SIZE_H

/* The number of elements of an array (not a pointer). */
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif /* STOPTRACE_ARRAY_SIZE_H */
