/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The monitor's bounded tables, by name. Every table a tenant can make grow
 * has a bound; an entry refused at the bound is counted here, shown in
 * monitor_stats ("table_full") and in the metrics
 * (stoptrace_table_full_total{table="..."}), and said once on stderr.
 */
#ifndef STOPTRACE_BOUNDS_H
#define STOPTRACE_BOUNDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum bound_table {
	BOUND_TRACKED_CGROUPS = 0, /* the kernel's tracked_cgroups map */
	BOUND_SUB_CGROUPS,	   /* cgroups below a container's own, tracked as its */
	BOUND_IDENTITY,		   /* cgroup id -> container */
	BOUND_STORAGE_PATHS,	   /* storage path -> container */
	BOUND_STORAGE_KNOWN,	   /* containers whose storage is known */
	BOUND_TIMELINES,	   /* containers the stop engine follows, and open stops */
	BOUND_REMOVALS,		   /* open removals */
	BOUND_MAX,
};

struct bounds {
	uint64_t full[BOUND_MAX]; /* entries refused at the bound, as last looked at */
	bool said[BOUND_MAX];	  /* the stderr line went out */
};

/* "tracked_cgroups", "sub_cgroups", "identity", ...; NULL out of range. */
const char *bound_name(enum bound_table b);

/*
 * The first table of full[] that reached its bound and was not said yet:
 * marks it said, stores it in b, and writes the sentence for stderr into
 * line. Returns false when there is nothing new to say.
 */
bool bounds_news(struct bounds *b, const uint64_t full[BOUND_MAX], char *line, size_t cap);

#endif /* STOPTRACE_BOUNDS_H */
