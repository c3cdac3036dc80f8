/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A small JSON writer into a bounded buffer, and the escaping both output
 * formats use. Strings from containers are hostile: every string is escaped
 * (quotes, backslashes, control characters, DEL), and bytes that are not
 * valid UTF-8 become \u00XX-free replacement text so that every line is valid
 * UTF-8 JSON and no input can close a string or start a new record.
 */
#ifndef STOPTRACE_JSONW_H
#define STOPTRACE_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jsonw {
	char *buf;
	size_t cap;
	size_t len;
	bool overflow; /* something did not fit; buf still holds valid text up to len */
	int depth;
	bool need_comma[16];
};

void jsonw_init(struct jsonw *w, char *buf, size_t cap);
void jsonw_obj_open(struct jsonw *w);
void jsonw_obj_close(struct jsonw *w);
void jsonw_arr_open(struct jsonw *w);
void jsonw_arr_close(struct jsonw *w);
/* Key then value in an object; a NULL key is a value in an array. */
void jsonw_key(struct jsonw *w, const char *key);
void jsonw_str(struct jsonw *w, const char *key, const char *s);
/* A string of at most n bytes that need not be NUL-terminated (comm). */
void jsonw_strn(struct jsonw *w, const char *key, const char *s, size_t n);
void jsonw_int(struct jsonw *w, const char *key, int64_t v);
void jsonw_uint(struct jsonw *w, const char *key, uint64_t v);
void jsonw_bool(struct jsonw *w, const char *key, bool v);
void jsonw_null(struct jsonw *w, const char *key);
/* Start a nested object or array under key (NULL inside arrays). */
void jsonw_obj_key(struct jsonw *w, const char *key);
void jsonw_arr_key(struct jsonw *w, const char *key);

/* Whether the n bytes at s are well-formed UTF-8 (json_escape keeps them as they are). */
bool utf8_valid(const char *s, size_t n);

/*
 * Escape at most n bytes of s (stops at NUL) as the body of a JSON string
 * (no quotes) into out of size cap, NUL-terminated. Invalid UTF-8 bytes are
 * written as the literal text \xNN with the backslash escaped ("\\xNN"), so
 * the original bytes stay recoverable and the output stays valid UTF-8.
 * Returns the length written, or the length it would have needed when it was
 * cut (the output then ends on a whole escape).
 */
size_t json_escape(char *out, size_t cap, const char *s, size_t n);

/*
 * Escape for the text format: printable ASCII and valid UTF-8 pass, except
 * that backslash becomes "\\"; control characters and DEL become \n, \t, \r,
 * \e or \xNN; invalid bytes become \xNN. A terminal never sees a raw escape
 * sequence from a container.
 */
size_t text_escape(char *out, size_t cap, const char *s, size_t n);

#endif /* STOPTRACE_JSONW_H */
