/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one string hash of the user side: 64-bit FNV-1a. The tables keyed by
 * container ids and paths use it (a tenant chooses those strings: every
 * table is bounded, so a crafted collision costs a longer chain, no more).
 */
#ifndef STOPTRACE_HASH_H
#define STOPTRACE_HASH_H

#include <stdint.h>

#define HASH_INIT 0xcbf29ce484222325ULL

/* h with one more byte. */
static inline uint64_t hash_byte(uint64_t h, unsigned char c)
{
	return (h ^ c) * 0x100000001b3ULL;
}

static inline uint64_t hash_str(const char *s)
{
	uint64_t h = HASH_INIT;

	while (*s)
		h = hash_byte(h, (unsigned char)*s++);
	return h;
}

#endif /* STOPTRACE_HASH_H */
