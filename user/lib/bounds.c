// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Names of the bounded tables and what reaching each bound costs. */
#include <stdio.h>
#include "lib/bounds.h"

static const char *const names[BOUND_MAX] = {
	[BOUND_TRACKED_CGROUPS] = "tracked_cgroups",
	[BOUND_SUB_CGROUPS] = "sub_cgroups",
	[BOUND_IDENTITY] = "identity",
	[BOUND_STORAGE_PATHS] = "storage_paths",
	[BOUND_STORAGE_KNOWN] = "storage_known",
	[BOUND_TIMELINES] = "timelines",
	[BOUND_REMOVALS] = "removals",
};

/* What the operator loses while a table is full. */
static const char *const costs[BOUND_MAX] = {
	[BOUND_TRACKED_CGROUPS] = "containers started now are not watched",
	[BOUND_SUB_CGROUPS] = "processes in further cgroups below a container are not watched",
	[BOUND_IDENTITY] = "containers started now are not watched",
	[BOUND_STORAGE_PATHS] = "removals of some containers' storage are not followed",
	[BOUND_STORAGE_KNOWN] = "removals of some containers' storage are not followed",
	[BOUND_TIMELINES] = "some stops get no timeline",
	[BOUND_REMOVALS] = "some removals get no timeline",
};

const char *bound_name(enum bound_table b)
{
	return (unsigned int)b < BOUND_MAX ? names[b] : NULL;
}

bool bounds_news(struct bounds *b, const uint64_t full[BOUND_MAX], char *line, size_t cap)
{
	for (int i = 0; i < BOUND_MAX; i++) {
		b->full[i] = full[i];
		if (!full[i] || b->said[i])
			continue;
		b->said[i] = true;
		snprintf(line, cap,
			 "the %s table is full: %s; counted in table_full_total{table=\"%s\"} "
			 "(monitor_stats \"table_full\"), said once",
			 names[i], costs[i], names[i]);
		return true;
	}
	return false;
}
