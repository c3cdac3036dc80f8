/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A small, tolerant JSON reader for runtime metadata files (docker's
 * config.v2.json, podman's containers.json and OCI config.json). It never
 * allocates and never builds a tree: a value is a span of the caller's
 * buffer, found on demand by skipping what comes before it. Input is
 * untrusted: every scan is bounded by the buffer length, nesting is limited,
 * and a truncated document still yields the members that precede the cut.
 */
#ifndef STOPTRACE_JSONR_H
#define STOPTRACE_JSONR_H

#include <stdbool.h>
#include <stddef.h>

#define JSONR_MAX_DEPTH 64

enum jsonr_type {
	JSONR_NONE = 0,
	JSONR_OBJECT,
	JSONR_ARRAY,
	JSONR_STRING,
	JSONR_NUMBER,
	JSONR_TRUE,
	JSONR_FALSE,
	JSONR_NULL,
};

/* A value: its first byte and its length in the buffer, brackets or quotes included. */
struct jsonr_val {
	const char *p;
	size_t len;
	enum jsonr_type type;
};

/* Walks the elements of an array. */
struct jsonr_iter {
	const char *p;
	const char *end;
	bool started;
};

/*
 * The top-level value of buf[0, len) (a leading UTF-8 byte order mark and
 * white space are skipped). When the document is cut short, the value spans
 * the rest of the buffer so that complete members before the cut stay
 * readable. Returns 0 or -EINVAL when the buffer holds no value.
 */
int jsonr_init(struct jsonr_val *v, const char *buf, size_t len);

/*
 * The member of object obj named key (the first one when a key repeats).
 * Returns 0, -ENOENT when absent, -EINVAL when obj is not an object or is
 * malformed before the member is found.
 */
int jsonr_get(const struct jsonr_val *obj, const char *key, struct jsonr_val *out);

/*
 * Follow a NULL-terminated list of keys from v through nested objects:
 * jsonr_get_path(&root, &out, "Config", "StopSignal", NULL).
 */
int jsonr_get_path(const struct jsonr_val *v, struct jsonr_val *out, ...) __attribute__((sentinel));
/* Whether v's member key, then that member's sub, is the literal true. */
bool jsonr_true_at(const struct jsonr_val *v, const char *key, const char *sub);

/*
 * Decode string v into dst (size bytes, always NUL-terminated when size > 0).
 * Escapes are decoded; other bytes are copied as they are. Returns 0, -ENOSPC
 * when the text was cut to fit (on a UTF-8 sequence boundary), -EINVAL when v
 * is not a string, is malformed, or holds \u0000.
 */
int jsonr_string(const struct jsonr_val *v, char *dst, size_t size);

/* Whether v is a string whose decoded text equals s. */
bool jsonr_string_eq(const struct jsonr_val *v, const char *s);

/* Start walking array arr; on anything but an array the walk is empty. */
void jsonr_iter_init(struct jsonr_iter *it, const struct jsonr_val *arr);

/* Next element: returns 1 and fills elem, 0 at the end, -EINVAL when malformed. */
int jsonr_next(struct jsonr_iter *it, struct jsonr_val *elem);

#endif /* STOPTRACE_JSONR_H */
