/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Shared by the writer of recordings (recording.c) and their reader
 * (replay.c).
 */
#ifndef STOPTRACE_RECORDING_INT_H
#define STOPTRACE_RECORDING_INT_H

#include "identity/identity.h"

/* Container ids gathered from a docker_ids answer before any is used. */

struct id_list {
	char (*ids)[ID_LEN];
	int n, cap;
};

/* A facts_id_fn: add id to the struct id_list arg. Returns 0 or -ENOMEM. */
int rec_collect_id(const char *id, void *arg);

#endif /* STOPTRACE_RECORDING_INT_H */
