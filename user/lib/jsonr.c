// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Tolerant JSON reader: values are spans of the caller's buffer, found by
 * skipping. Nothing here trusts a length or a bracket from the input; every
 * pointer stays within [buf, buf + len).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "lib/jsonr.h"

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Ends a number or literal. */
static bool is_delim(char c)
{
	return is_ws(c) || c == ',' || c == ':' || c == '{' || c == '}' || c == '[' || c == ']' ||
	       c == '"';
}

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && is_ws(*p))
		p++;
	return p;
}

static enum jsonr_type type_of(char c)
{
	switch (c) {
	case '{':
		return JSONR_OBJECT;
	case '[':
		return JSONR_ARRAY;
	case '"':
		return JSONR_STRING;
	case 't':
		return JSONR_TRUE;
	case 'f':
		return JSONR_FALSE;
	case 'n':
		return JSONR_NULL;
	default:
		return (c == '-' || (c >= '0' && c <= '9')) ? JSONR_NUMBER : JSONR_NONE;
	}
}

/*
 * p is at an opening quote; returns the byte after the closing one, or NULL.
 * The next quote is the end unless a backslash comes first: then the escaped
 * byte is skipped and the search goes on after it (memchr: strings such as
 * a recording's base64 records are long).
 */
static const char *skip_string(const char *p, const char *end)
{
	for (p++; p < end;) {
		const char *q = memchr(p, '"', (size_t)(end - p)), *b;

		if (!q)
			return NULL;
		b = memchr(p, '\\', (size_t)(q - p));
		if (!b)
			return q + 1;
		p = b + 2;
	}
	return NULL;
}

/*
 * Returns the byte after the value that starts at or after p, or NULL when it
 * is malformed, cut short or nested deeper than JSONR_MAX_DEPTH. Iterative: a
 * bit per open bracket says whether it was an object.
 */
static const char *skip_value(const char *p, const char *end)
{
	uint64_t objects = 0;
	int depth = 0;
	const char *q;

	do {
		p = skip_ws(p, end);
		if (p >= end)
			return NULL;
		switch (*p) {
		case '"':
			p = skip_string(p, end);
			if (!p)
				return NULL;
			break;
		case '{':
		case '[':
			if (depth == JSONR_MAX_DEPTH)
				return NULL;
			objects = (objects << 1) | (*p == '{');
			depth++;
			p++;
			break;
		case '}':
		case ']':
			if (depth == 0 || (objects & 1) != (*p == '}'))
				return NULL;
			objects >>= 1;
			depth--;
			p++;
			break;
		case ',':
		case ':':
			if (depth == 0)
				return NULL;
			p++;
			break;
		default:
			/* a number or a literal; any other byte starts no value */
			if (type_of(*p) == JSONR_NONE)
				return NULL;
			for (q = p; q < end && !is_delim(*q); q++)
				;
			p = q;
			break;
		}
	} while (depth > 0);
	return p;
}

int jsonr_init(struct jsonr_val *v, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len, *q;

	memset(v, 0, sizeof(*v));
	if (!buf)
		return -EINVAL;
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	p = skip_ws(p, end);
	if (p >= end || type_of(*p) == JSONR_NONE)
		return -EINVAL;
	q = skip_value(p, end);
	v->p = p;
	v->len = q ? (size_t)(q - p) : (size_t)(end - p);
	v->type = type_of(*p);
	return 0;
}

static int hex4(const char *p, const char *end)
{
	int v = 0, i;

	if (end - p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* Length of the raw UTF-8 sequence at p, or 1 for a byte that starts none. */
static int utf8_seq_len(const unsigned char *p, const unsigned char *end)
{
	int n, i;

	if (*p >= 0xc2 && *p <= 0xdf)
		n = 2;
	else if (*p >= 0xe0 && *p <= 0xef)
		n = 3;
	else if (*p >= 0xf0 && *p <= 0xf4)
		n = 4;
	else
		return 1;
	if (end - p < n)
		return 1;
	for (i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 1;
	return n;
}

static int utf8_encode(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Decode the next character of a string body at *pp into out (1 to 4 bytes,
 * a whole UTF-8 sequence where the input has one). Returns the byte count, 0
 * at the closing quote, -EINVAL on a bad escape, a NUL or a cut string.
 * Unpaired surrogates become U+FFFD.
 */
static int next_char(const char **pp, const char *end, char out[4])
{
	const char *p = *pp;
	int n, cp, lo;

	if (p >= end || *p == '\0')
		return -EINVAL;
	if (*p == '"') {
		*pp = p + 1;
		return 0;
	}
	if (*p != '\\') {
		n = utf8_seq_len((const unsigned char *)p, (const unsigned char *)end);
		memcpy(out, p, n);
		*pp = p + n;
		return n;
	}
	if (end - p < 2)
		return -EINVAL;
	n = 1;
	switch (p[1]) {
	case '"':
	case '\\':
	case '/':
		out[0] = p[1];
		break;
	case 'b':
		out[0] = '\b';
		break;
	case 'f':
		out[0] = '\f';
		break;
	case 'n':
		out[0] = '\n';
		break;
	case 'r':
		out[0] = '\r';
		break;
	case 't':
		out[0] = '\t';
		break;
	case 'u':
		cp = hex4(p + 2, end);
		if (cp <= 0)
			return -EINVAL;
		p += 6;
		if (cp >= 0xd800 && cp <= 0xdbff && end - p >= 6 && p[0] == '\\' && p[1] == 'u' &&
		    (lo = hex4(p + 2, end)) >= 0xdc00 && lo <= 0xdfff) {
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			p += 6;
		} else if (cp >= 0xd800 && cp <= 0xdfff) {
			cp = 0xfffd;
		}
		*pp = p;
		return utf8_encode((uint32_t)cp, out);
	default:
		return -EINVAL;
	}
	*pp = p + 2;
	return n;
}

static bool string_body(const struct jsonr_val *v, const char **p, const char **end)
{
	if (!v || v->type != JSONR_STRING || v->len < 2)
		return false;
	*p = v->p + 1;
	*end = v->p + v->len;
	return true;
}

int jsonr_string(const struct jsonr_val *v, char *dst, size_t size)
{
	const char *p, *end;
	char ch[4];
	size_t n = 0;
	int r;

	if (!dst || size == 0)
		return -ENOSPC;
	dst[0] = '\0';
	if (!string_body(v, &p, &end))
		return -EINVAL;
	while ((r = next_char(&p, end, ch)) > 0) {
		if (n + r >= size) {
			dst[n] = '\0';
			return -ENOSPC;
		}
		memcpy(dst + n, ch, r);
		n += r;
	}
	if (r < 0) {
		dst[0] = '\0';
		return r;
	}
	dst[n] = '\0';
	return 0;
}

bool jsonr_string_eq(const struct jsonr_val *v, const char *s)
{
	const char *p, *end;
	char ch[4];
	size_t n = 0;
	int r;

	if (!s || !string_body(v, &p, &end))
		return false;
	while ((r = next_char(&p, end, ch)) > 0) {
		if (strncmp(s + n, ch, r) != 0)
			return false;
		n += r;
	}
	return r == 0 && s[n] == '\0';
}

int jsonr_get(const struct jsonr_val *obj, const char *key, struct jsonr_val *out)
{
	struct jsonr_val k = {.type = JSONR_STRING};
	const char *p, *end, *q;

	if (!obj || obj->type != JSONR_OBJECT || !key)
		return -EINVAL;
	p = obj->p + 1;
	end = obj->p + obj->len;
	for (;;) {
		p = skip_ws(p, end);
		if (p < end && *p == '}')
			return -ENOENT;
		if (p >= end || *p != '"')
			return -EINVAL;
		k.p = p;
		p = skip_string(p, end);
		if (!p)
			return -EINVAL;
		k.len = p - k.p;
		p = skip_ws(p, end);
		if (p >= end || *p != ':')
			return -EINVAL;
		p = skip_ws(p + 1, end);
		q = skip_value(p, end);
		if (!q)
			return -EINVAL;
		if (jsonr_string_eq(&k, key)) {
			out->p = p;
			out->len = q - p;
			out->type = type_of(*p);
			return 0;
		}
		p = skip_ws(q, end);
		if (p < end && *p == ',')
			p++;
		else if (p < end && *p == '}')
			return -ENOENT;
		else
			return -EINVAL;
	}
}

int jsonr_get_path(const struct jsonr_val *v, struct jsonr_val *out, ...)
{
	struct jsonr_val cur = *v;
	const char *key;
	va_list ap;
	int err = 0;

	va_start(ap, out);
	while ((key = va_arg(ap, const char *))) {
		err = jsonr_get(&cur, key, &cur);
		if (err)
			break;
	}
	va_end(ap);
	if (!err)
		*out = cur;
	return err;
}

bool jsonr_true_at(const struct jsonr_val *v, const char *key, const char *sub)
{
	struct jsonr_val t;

	return !jsonr_get_path(v, &t, key, sub, NULL) && t.type == JSONR_TRUE;
}

void jsonr_iter_init(struct jsonr_iter *it, const struct jsonr_val *arr)
{
	it->started = false;
	if (arr && arr->type == JSONR_ARRAY && arr->len > 0) {
		it->p = arr->p + 1;
		it->end = arr->p + arr->len;
	} else {
		it->p = NULL;
		it->end = NULL;
	}
}

int jsonr_next(struct jsonr_iter *it, struct jsonr_val *elem)
{
	const char *p, *q;

	if (!it->p)
		return 0;
	p = skip_ws(it->p, it->end);
	if (p < it->end && *p == ']') {
		it->p = NULL;
		return 0;
	}
	if (it->started) {
		if (p >= it->end || *p != ',')
			goto bad;
		p = skip_ws(p + 1, it->end);
	}
	q = p < it->end ? skip_value(p, it->end) : NULL;
	if (!q)
		goto bad;
	elem->p = p;
	elem->len = q - p;
	elem->type = type_of(*p);
	it->p = q;
	it->started = true;
	return 1;
bad:
	it->p = NULL;
	return -EINVAL;
}
