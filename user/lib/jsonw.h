/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A small JSON writer into a bounded buffer, and the escaping both output
 * formats use. Strings from containers are hostile: every string is escaped
 * (quotes, backslashes, control characters, DEL, C1 controls, bidi and
 * invisible characters), and bytes that are not valid UTF-8 become U+FFFD,
 * their raw bytes in a sibling member <key>_hex, so that every line is valid
 * UTF-8 JSON, no input can close a string or start a new record, and nothing
 * a tenant types reads like the replacement.
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
	size_t str_max; /* 0, or jsonw_cut_strings()'s bound */
	int depth;
	bool need_comma[16];
};

void jsonw_init(struct jsonw *w, char *buf, size_t cap);
/*
 * From now on a string value of more than max bytes keeps only its first
 * max (fewer when that would split a character), and a member gets a
 * sibling <key>_cut, the length in bytes the whole value had
 * ("name":"abc","name_cut":5000). A record's last way to fit its line when
 * a tenant's strings are too long for it. 0 writes every string whole.
 */
void jsonw_cut_strings(struct jsonw *w, size_t max);
void jsonw_obj_open(struct jsonw *w);
void jsonw_obj_close(struct jsonw *w);
void jsonw_arr_open(struct jsonw *w);
void jsonw_arr_close(struct jsonw *w);
/* Key then value in an object; a NULL key is a value in an array. */
void jsonw_key(struct jsonw *w, const char *key);
void jsonw_str(struct jsonw *w, const char *key, const char *s);
/*
 * A string of at most n bytes that need not be NUL-terminated (comm). When
 * the bytes are not valid UTF-8, a member also gets <key>_hex, the raw bytes
 * in lowercase hex ("comm":"a\ufffdb","comm_hex":"61ff62"), in the same
 * element: both fit or neither is written. No key of ours ends in _hex or
 * _cut.
 */
void jsonw_strn(struct jsonw *w, const char *key, const char *s, size_t n);
void jsonw_int(struct jsonw *w, const char *key, int64_t v);
void jsonw_uint(struct jsonw *w, const char *key, uint64_t v);
void jsonw_bool(struct jsonw *w, const char *key, bool v);
void jsonw_null(struct jsonw *w, const char *key);
/* Start a nested object or array under key (NULL inside arrays). */
void jsonw_obj_key(struct jsonw *w, const char *key);
void jsonw_arr_key(struct jsonw *w, const char *key);

/* Whether the n bytes at s are well-formed UTF-8. */
bool utf8_valid(const char *s, size_t n);

/*
 * Whether both formats escape code point cp, valid UTF-8 as it is: C1
 * controls (U+0080..U+009F: U+009B is CSI on some terminals), the bidi
 * controls and marks that reorder a line (U+061C, U+200E, U+200F,
 * U+202A..U+202E, U+2066..U+2069), the line and paragraph separators
 * (U+2028, U+2029), and the characters that show nothing and so make one
 * name look like another: zero width (U+200B..U+200D, U+2060, U+FEFF), soft
 * hyphen (U+00AD), U+180E, the invisible operators U+2061..U+2064, the
 * deprecated formats U+206A..U+206F, the interlinear annotations
 * U+FFF9..U+FFFB and the tags U+E0000..U+E007F.
 */
bool utf8_hidden(uint32_t cp);

/*
 * Escape at most n bytes of s (stops at NUL) as the body of a JSON string
 * (no quotes) into out of size cap, NUL-terminated. Code points of
 * utf8_hidden() are written \uXXXX (a surrogate pair past U+FFFF). Bytes
 * that are not valid UTF-8 are written \ufffd, one for each maximal subpart
 * of an ill-formed sequence (as the WHATWG decoders and Python do): the raw
 * bytes are jsonw_strn()'s _hex sibling. Returns the length written, or the
 * length it would have needed when it was cut (the output then ends on a
 * whole escape).
 */
size_t json_escape(char *out, size_t cap, const char *s, size_t n);

/*
 * Escape for the text format: printable ASCII and valid UTF-8 pass, except
 * that backslash becomes "\\"; control characters and DEL become \n, \t,
 * \r, \e or \xNN; invalid bytes become \xNN; code points of utf8_hidden()
 * become \uXXXX (\UXXXXXXXX past U+FFFF). A terminal never sees a raw escape
 * sequence from a container, nor a character it would not show.
 */
size_t text_escape(char *out, size_t cap, const char *s, size_t n);

#endif /* STOPTRACE_JSONW_H */
