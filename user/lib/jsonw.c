// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * JSON writer into a bounded buffer, and the escaping of untrusted strings for
 * both output formats.
 *
 * Every write of one element (a key with its value, an opening or closing
 * bracket) is all or nothing: when it does not fit, the buffer is rolled back
 * to where the element started, w->overflow is set, and every later call does
 * nothing. The buffer then holds a NUL-terminated prefix of the record that
 * ends between two elements; the caller rebuilds the record with less in it.
 * Misuse (more than 16 nested levels, closing what is not open) is reported
 * the same way, since it too means the record cannot be written as asked.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "lib/jsonw.h"

#define JSONW_MAX_DEPTH 16
_Static_assert(sizeof(((struct jsonw *)0)->need_comma) == JSONW_MAX_DEPTH * sizeof(bool),
	       "need_comma holds one flag per nesting level");

/* Output with a capacity that counts what it would have needed. */
struct sink {
	char *out;
	size_t cap;
	size_t pos;  /* bytes written */
	size_t need; /* bytes the whole output needs */
	bool cut;    /* something did not fit: nothing more is written */
};

/* Append one indivisible piece (an escape, a whole UTF-8 character). */
static void sink_put(struct sink *k, const char *s, size_t n)
{
	k->need += n;
	if (k->cut)
		return;
	if (k->cap == 0 || n >= k->cap - k->pos) {
		k->cut = true;
		return;
	}
	memcpy(k->out + k->pos, s, n);
	k->pos += n;
}

/*
 * Append n characters that are each a piece of their own (plain ASCII): as
 * many as fit, as sink_put() one by one would, in one copy.
 */
static void sink_put_chars(struct sink *k, const char *s, size_t n)
{
	size_t room;

	k->need += n;
	if (k->cut)
		return;
	room = k->cap > k->pos ? k->cap - k->pos - 1 : 0;
	if (n > room) {
		k->cut = true;
		n = room;
	}
	if (n)
		memcpy(k->out + k->pos, s, n);
	k->pos += n;
}

/* How many bytes from s[0] (n available) are printable ASCII other than " and \. */
static size_t plain_run(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n && s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\')
		i++;
	return i;
}

static size_t sink_finish(struct sink *k)
{
	if (k->cap > 0)
		k->out[k->pos] = '\0';
	return k->need;
}

static const char hexdigits[] = "0123456789abcdef";

/* "\xNN" (text). */
static void put_hex_byte(struct sink *k, unsigned char c)
{
	char e[4];
	size_t i = 0;

	e[i++] = '\\';
	e[i++] = 'x';
	e[i++] = hexdigits[c >> 4];
	e[i++] = hexdigits[c & 0xf];
	sink_put(k, e, i);
}

/* "\uXXXX" for a code point below U+10000. */
static void put_u_escape(struct sink *k, uint32_t cp)
{
	char e[6] = {'\\',
		     'u',
		     hexdigits[(cp >> 12) & 0xf],
		     hexdigits[(cp >> 8) & 0xf],
		     hexdigits[(cp >> 4) & 0xf],
		     hexdigits[cp & 0xf]};

	sink_put(k, e, sizeof(e));
}

/* "\\UXXXXXXXX" for a code point past U+FFFF (text). */
static void put_big_escape(struct sink *k, uint32_t cp)
{
	char e[10] = {'\\', 'U'};

	for (int j = 0; j < 8; j++)
		e[2 + j] = hexdigits[(cp >> (28 - 4 * j)) & 0xf];
	sink_put(k, e, sizeof(e));
}

/*
 * Length of the well-formed UTF-8 sequence of two to four bytes at s (n bytes
 * available), storing its code point; 0 when the bytes there are not one.
 * The byte ranges are those of the Unicode standard's table of well-formed
 * sequences, which leave out overlong forms, surrogates and anything past
 * U+10FFFF. A NUL is never a continuation byte, so a sequence cut by the
 * terminator is invalid.
 */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;
	uint32_t v;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		v = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		v = s[0] & 0x0f;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		v = s[0] & 0x07;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if (s[i] < lo || s[i] > hi)
			return 0;
		lo = 0x80;
		hi = 0xbf;
		v = (v << 6) | (s[i] & 0x3f);
	}
	*cp = v;
	return len;
}

/*
 * How many bytes at s (n available, s[0] >= 0x80) one U+FFFD stands for when
 * they start no well-formed sequence: the longest prefix of a sequence that
 * could still have been well-formed, at least one byte (Unicode's "maximal
 * subpart" practice, which the WHATWG decoders and Python follow).
 */
static size_t utf8_bad_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 1;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	for (i = 1; i < len && i < n; i++) {
		if (s[i] < lo || s[i] > hi)
			break;
		lo = 0x80;
		hi = 0xbf;
	}
	return i;
}

bool utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, len;
	uint32_t cp;

	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		len = utf8_seq(p + i, n - i, &cp);
		if (!len)
			return false;
		i += len;
	}
	return true;
}

bool utf8_hidden(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) ||	 /* C1 controls */
	       cp == 0x00ad ||			 /* soft hyphen */
	       cp == 0x061c ||			 /* Arabic letter mark */
	       cp == 0x180e ||			 /* Mongolian vowel separator */
	       (cp >= 0x200b && cp <= 0x200f) || /* zero width, LRM, RLM */
	       (cp >= 0x2028 && cp <= 0x202e) || /* separators, embeddings */
	       (cp >= 0x2060 && cp <= 0x2064) || /* joiner, invisible operators */
	       (cp >= 0x2066 && cp <= 0x206f) || /* isolates, deprecated formats */
	       cp == 0xfeff ||			 /* zero width no-break space */
	       (cp >= 0xfff9 && cp <= 0xfffb) || /* interlinear annotation */
	       (cp >= 0xe0000 && cp <= 0xe007f); /* tags */
}

/* "\uXXXX" for any code point, as a surrogate pair past U+FFFF (JSON). */
static void put_json_cp(struct sink *k, uint32_t cp)
{
	uint32_t v[2] = {0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff)};
	char e[12];

	if (cp < 0x10000) {
		put_u_escape(k, cp);
		return;
	}
	for (int j = 0; j < 2; j++) {
		e[6 * j] = '\\';
		e[6 * j + 1] = 'u';
		e[6 * j + 2] = hexdigits[(v[j] >> 12) & 0xf];
		e[6 * j + 3] = hexdigits[(v[j] >> 8) & 0xf];
		e[6 * j + 4] = hexdigits[(v[j] >> 4) & 0xf];
		e[6 * j + 5] = hexdigits[v[j] & 0xf];
	}
	/* the pair is one piece: a cut never splits it */
	sink_put(k, e, sizeof(e));
}

/* The two-byte escape of an ASCII byte in JSON or in text; NULL: it has none there. */
static const char *short_escape(unsigned char c, bool text)
{
	switch (c) {
	case '"':
		return text ? NULL : "\\\"";
	case '\\':
		return "\\\\";
	case '\n':
		return "\\n";
	case '\t':
		return "\\t";
	case '\r':
		return "\\r";
	case '\b':
		return text ? NULL : "\\b";
	case '\f':
		return text ? NULL : "\\f";
	case 0x1b:
		return text ? "\\e" : NULL;
	}
	return NULL;
}

size_t json_escape(char *out, size_t cap, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	struct sink k = {.out = out, .cap = cap};
	size_t i = 0, len;
	const char *esc;
	uint32_t cp;

	n = strnlen(s, n);
	while (i < n) {
		unsigned char c = p[i];

		if (c >= 0x80) {
			len = utf8_seq(p + i, n - i, &cp);
			if (len == 0) {
				/* the raw bytes go in the member's _hex sibling (jsonw_strn) */
				put_u_escape(&k, 0xfffd);
				i += utf8_bad_len(p + i, n - i);
			} else {
				/*
				 * Controls, bidi and invisible characters as escapes:
				 * nobody reading the log sees them otherwise. U+2028
				 * and U+2029 also break naive line readers.
				 */
				if (utf8_hidden(cp))
					put_json_cp(&k, cp);
				else
					sink_put(&k, s + i, len);
				i += len;
			}
			continue;
		}
		esc = short_escape(c, false);
		if (esc) {
			sink_put(&k, esc, 2);
		} else if (c < 0x20 || c == 0x7f) {
			put_u_escape(&k, c);
		} else {
			/* the run of plain characters from here, in one copy */
			len = plain_run(p + i, n - i);
			sink_put_chars(&k, s + i, len);
			i += len;
			continue;
		}
		i++;
	}
	return sink_finish(&k);
}

size_t text_escape(char *out, size_t cap, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	struct sink k = {.out = out, .cap = cap};
	size_t i = 0, len;
	const char *esc;
	uint32_t cp;

	n = strnlen(s, n);
	while (i < n) {
		unsigned char c = p[i];

		if (c >= 0x80) {
			len = utf8_seq(p + i, n - i, &cp);
			if (len == 0) {
				put_hex_byte(&k, c);
				i++;
			} else {
				/*
				 * C1 controls: some terminals act on U+009B as CSI.
				 * Bidi controls reorder what the terminal shows,
				 * invisible ones make a name look like another.
				 */
				if (utf8_hidden(cp) && cp > 0xffff)
					put_big_escape(&k, cp);
				else if (utf8_hidden(cp))
					put_u_escape(&k, cp);
				else
					sink_put(&k, s + i, len);
				i += len;
			}
			continue;
		}
		esc = short_escape(c, true);
		if (esc) {
			sink_put(&k, esc, 2);
		} else if (c < 0x20 || c == 0x7f) {
			put_hex_byte(&k, c);
		} else {
			/* '"' is plain in text: it is the only one the run leaves out */
			len = c == '"' ? 1 : plain_run(p + i, n - i);
			sink_put_chars(&k, s + i, len);
			i += len;
			continue;
		}
		i++;
	}
	return sink_finish(&k);
}

void jsonw_init(struct jsonw *w, char *buf, size_t cap)
{
	memset(w, 0, sizeof(*w));
	w->buf = buf;
	w->cap = cap;
	if (!buf || cap == 0)
		w->overflow = true;
	else
		buf[0] = '\0';
}

void jsonw_cut_strings(struct jsonw *w, size_t max)
{
	w->str_max = max;
}

/*
 * An element is written between elem_begin() and elem_end(); a failure in
 * between makes elem_end() roll the buffer back and report false.
 */
static bool elem_begin(struct jsonw *w, size_t *start)
{
	*start = w->len;
	return !w->overflow;
}

static bool elem_end(struct jsonw *w, size_t start)
{
	if (w->overflow) {
		w->len = start;
		w->buf[start] = '\0';
		return false;
	}
	return true;
}

static void put(struct jsonw *w, const char *s, size_t n)
{
	if (w->overflow)
		return;
	if (n >= w->cap - w->len) {
		w->overflow = true;
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

/* s escaped between quotes, then suffix (ours, plain) before the closing one. */
static void put_quoted_suffix(struct jsonw *w, const char *s, size_t n, const char *suffix)
{
	size_t need;

	put(w, "\"", 1);
	if (w->overflow)
		return;
	need = json_escape(w->buf + w->len, w->cap - w->len, s, n);
	if (need >= w->cap - w->len) {
		w->overflow = true;
		return;
	}
	w->len += need;
	put(w, suffix, strlen(suffix));
	put(w, "\"", 1);
}

static void put_quoted(struct jsonw *w, const char *s, size_t n)
{
	put_quoted_suffix(w, s, n, "");
}

/* The n bytes at s as a string of lowercase hex digits. */
static void put_hex_string(struct jsonw *w, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	put(w, "\"", 1);
	if (w->overflow)
		return;
	if (2 * n >= w->cap - w->len) {
		w->overflow = true;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		w->buf[w->len++] = hexdigits[p[i] >> 4];
		w->buf[w->len++] = hexdigits[p[i] & 0xf];
	}
	w->buf[w->len] = '\0';
	put(w, "\"", 1);
}

/* The comma before a member and its key, if any. */
static void put_prefix(struct jsonw *w, const char *key)
{
	if (w->depth > 0 && w->need_comma[w->depth - 1])
		put(w, ",", 1);
	if (key) {
		put_quoted(w, key, SIZE_MAX);
		put(w, ":", 1);
	}
}

/* After a value: the next member of the enclosing container needs a comma. */
static void value_done(struct jsonw *w)
{
	if (w->depth > 0)
		w->need_comma[w->depth - 1] = true;
}

void jsonw_key(struct jsonw *w, const char *key)
{
	size_t start;

	if (!elem_begin(w, &start))
		return;
	put_prefix(w, key);
	/* The value that follows belongs to this key: no comma before it. */
	if (elem_end(w, start) && w->depth > 0)
		w->need_comma[w->depth - 1] = false;
}

static void open_container(struct jsonw *w, const char *key, char bracket)
{
	size_t start;

	if (!elem_begin(w, &start))
		return;
	if (w->depth >= JSONW_MAX_DEPTH)
		w->overflow = true;
	put_prefix(w, key);
	put(w, &bracket, 1);
	if (!elem_end(w, start))
		return;
	value_done(w);
	w->need_comma[w->depth++] = false;
}

static void close_container(struct jsonw *w, char bracket)
{
	size_t start;

	if (!elem_begin(w, &start))
		return;
	if (w->depth == 0)
		w->overflow = true;
	put(w, &bracket, 1);
	if (elem_end(w, start))
		w->depth--;
}

void jsonw_obj_key(struct jsonw *w, const char *key)
{
	open_container(w, key, '{');
}

void jsonw_arr_key(struct jsonw *w, const char *key)
{
	open_container(w, key, '[');
}

void jsonw_obj_open(struct jsonw *w)
{
	open_container(w, NULL, '{');
}

void jsonw_arr_open(struct jsonw *w)
{
	open_container(w, NULL, '[');
}

void jsonw_obj_close(struct jsonw *w)
{
	close_container(w, '}');
}

void jsonw_arr_close(struct jsonw *w)
{
	close_container(w, ']');
}

/* A member whose value is already literal JSON text (numbers, true, null). */
static void put_literal(struct jsonw *w, const char *key, const char *text)
{
	size_t start;

	if (!elem_begin(w, &start))
		return;
	put_prefix(w, key);
	put(w, text, strlen(text));
	if (elem_end(w, start))
		value_done(w);
}

/*
 * Bytes that are not UTF-8 are U+FFFD in the string, and the member gets a
 * sibling <key>_hex with the raw bytes, in the same element (both or
 * neither). Keys are the monitor's own and none ends in _hex, so no string
 * can make a second member of that name; an array element has no sibling.
 */
void jsonw_strn(struct jsonw *w, const char *key, const char *s, size_t n)
{
	size_t start, whole;

	if (!elem_begin(w, &start))
		return;
	n = whole = strnlen(s, n);
	if (w->str_max && n > w->str_max) {
		/* cut before a character, not inside one: a lead byte has at most 3 after it */
		n = w->str_max;
		for (int i = 0; i < 3 && n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80; i++)
			n--;
		if (((unsigned char)s[n] & 0xc0) == 0x80)
			n = w->str_max; /* no character there to keep whole */
	}
	put_prefix(w, key);
	put_quoted(w, s, n);
	if (key && !utf8_valid(s, n)) {
		put(w, ",", 1);
		put_quoted_suffix(w, key, SIZE_MAX, "_hex");
		put(w, ":", 1);
		put_hex_string(w, s, n);
	}
	if (key && n < whole) {
		char num[24];

		snprintf(num, sizeof(num), "%zu", whole);
		put(w, ",", 1);
		put_quoted_suffix(w, key, SIZE_MAX, "_cut");
		put(w, ":", 1);
		put(w, num, strlen(num));
	}
	if (elem_end(w, start))
		value_done(w);
}

void jsonw_str(struct jsonw *w, const char *key, const char *s)
{
	if (!s) {
		jsonw_null(w, key);
		return;
	}
	jsonw_strn(w, key, s, SIZE_MAX);
}

void jsonw_int(struct jsonw *w, const char *key, int64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRId64, v);
	put_literal(w, key, num);
}

void jsonw_uint(struct jsonw *w, const char *key, uint64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRIu64, v);
	put_literal(w, key, num);
}

void jsonw_bool(struct jsonw *w, const char *key, bool v)
{
	put_literal(w, key, v ? "true" : "false");
}

void jsonw_null(struct jsonw *w, const char *key)
{
	put_literal(w, key, "null");
}
