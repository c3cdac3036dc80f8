/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the fuzz harnesses share: a scratch root per process to lay fuzzed
 * files out as /proc or runtime metadata, the split of one input into
 * several files, and the checks on what stoptrace writes: every JSON line a
 * strict RFC 8259 object (valid UTF-8, no raw control character, no raw C1,
 * bidi or invisible character, no duplicate key, every <key>_hex member the
 * raw bytes of its <key>'s string, every <key>_cut member beside a string
 * <key>) no longer than RECORD_MAX, every text
 * record free of raw control, bidi and invisible characters. A failed check
 * aborts, which libFuzzer reports as a crash and keeps the input.
 */
#ifndef STOPTRACE_TESTS_FUZZ_H
#define STOPTRACE_TESTS_FUZZ_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define FUZZ_PARTS_MAX 8
/* Between the files of one input: a line no real file of these kinds holds. */
#define FUZZ_SEP "\n--8<--\n"

#define fuzz_fail(...)                                                                             \
	do {                                                                                       \
		fprintf(stderr, "fuzz check failed: " __VA_ARGS__);                                \
		fputc('\n', stderr);                                                               \
		abort();                                                                           \
	} while (0)

struct fuzz_part {
	const char *p;
	size_t len;
};

/*
 * Cut data at each FUZZ_SEP into at most max parts; the last part takes the
 * rest. Parts that are not there are empty. Returns how many were found.
 */
static inline int fuzz_split(const uint8_t *data, size_t size, struct fuzz_part *parts, int max)
{
	const char *p = (const char *)data, *end = p + size;
	size_t sep = strlen(FUZZ_SEP);
	int n = 0;

	for (int i = 0; i < max; i++)
		parts[i] = (struct fuzz_part){.p = "", .len = 0};
	while (n < max) {
		const char *cut = n == max - 1 ? NULL : memmem(p, (size_t)(end - p), FUZZ_SEP, sep);

		parts[n].p = p;
		parts[n].len = cut ? (size_t)(cut - p) : (size_t)(end - p);
		n++;
		if (!cut)
			break;
		p = cut + sep;
	}
	return n;
}

static int fuzz_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static char fuzz_root_dir[64];

static void fuzz_remove_root(void)
{
	if (fuzz_root_dir[0])
		nftw(fuzz_root_dir, fuzz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The scratch directory of this process, removed at exit. */
static inline const char *fuzz_root(void)
{
	if (!fuzz_root_dir[0]) {
		snprintf(fuzz_root_dir, sizeof(fuzz_root_dir), "/tmp/stoptrace-fuzz.XXXXXX");
		if (!mkdtemp(fuzz_root_dir))
			fuzz_fail("mkdtemp: %s", strerror(errno));
		atexit(fuzz_remove_root);
	}
	return fuzz_root_dir;
}

/* Write len bytes as <scratch root>/rel, creating its directories. */
static inline void fuzz_put(const char *rel, const void *data, size_t len)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", fuzz_root(), rel);
	for (char *s = strchr(path + strlen(fuzz_root()) + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(path, 0755) && errno != EEXIST)
			fuzz_fail("mkdir %s: %s", path, strerror(errno));
		*s = '/';
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		fuzz_fail("open %s: %s", path, strerror(errno));
	if (len && write(fd, data, len) != (ssize_t)len)
		fuzz_fail("write %s: %s", path, strerror(errno));
	close(fd);
}

/* An anonymous file the code under test writes to, and its /proc/self/fd path. */
static inline int fuzz_memfd(char *path, size_t cap)
{
	int fd = memfd_create("stoptrace-fuzz", MFD_CLOEXEC);

	if (fd < 0)
		fuzz_fail("memfd_create: %s", strerror(errno));
	snprintf(path, cap, "/proc/self/fd/%d", fd);
	return fd;
}

/* The contents of fd (malloc'd, *len bytes, NUL-terminated); fd is emptied. */
static inline char *fuzz_take(int fd, size_t *len)
{
	struct stat st;
	char *buf;

	if (fstat(fd, &st))
		fuzz_fail("fstat: %s", strerror(errno));
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		fuzz_fail("out of memory");
	if (pread(fd, buf, (size_t)st.st_size, 0) != st.st_size)
		fuzz_fail("pread: %s", strerror(errno));
	buf[st.st_size] = '\0';
	*len = (size_t)st.st_size;
	if (ftruncate(fd, 0) || lseek(fd, 0, SEEK_SET))
		fuzz_fail("ftruncate: %s", strerror(errno));
	return buf;
}

/*
 * Whether an input of size bytes goes through the output format of json
 * (true: JSON, false: text). The seeds and regression inputs go through both
 * (tools/fuzz sets FUZZ_ALL_FORMATS=1 for that pass); while fuzzing, each
 * input through one, chosen by its length's parity: half the work per run,
 * and one inserted byte reaches the other.
 */
static inline bool fuzz_format(size_t size, bool json)
{
	static int all = -1;

	if (all < 0)
		all = getenv("FUZZ_ALL_FORMATS") && !strcmp(getenv("FUZZ_ALL_FORMATS"), "1");
	return all || (size % 2 == 0) == json;
}

/* ---- strict JSON ---- */

/*
 * The checks below are not what is fuzzed: without coverage instrumentation
 * they neither steer libFuzzer nor cost a trace call per byte checked (they
 * took a third of fuzz_event's time).
 */
#pragma clang attribute push(__attribute__((no_sanitize("coverage"))), apply_to = function)

struct fuzz_json {
	const unsigned char *p, *end;
	int depth;
};

/* The length of the well-formed UTF-8 sequence at p (not past end), 0 when there is none. */
static inline size_t fuzz_utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned int c = p[0], cp, n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	for (unsigned int i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* The code point of the well-formed sequence of n bytes at p. */
static inline uint32_t fuzz_utf8_cp(const unsigned char *p, size_t n)
{
	static const unsigned char mask[] = {0, 0x7f, 0x1f, 0x0f, 0x07};
	uint32_t cp = p[0] & mask[n];

	for (size_t i = 1; i < n; i++)
		cp = cp << 6 | (p[i] & 0x3f);
	return cp;
}

/*
 * What no output may hold raw, though it is valid UTF-8 (user/lib/jsonw.h
 * lists them; written again here so the check does not trust the code):
 * C1 controls, bidi controls and marks, line and paragraph separators, and
 * the characters that show nothing (zero width, soft hyphen, U+180E,
 * invisible operators, deprecated formats, interlinear annotations, tags).
 */
static inline bool fuzz_hidden(uint32_t cp)
{
	static const uint32_t ranges[][2] = {
		{0x80, 0x9f},	  {0xad, 0xad},	    {0x61c, 0x61c},	{0x180e, 0x180e},
		{0x200b, 0x200f}, {0x2028, 0x202e}, {0x2060, 0x2064},	{0x2066, 0x206f},
		{0xfeff, 0xfeff}, {0xfff9, 0xfffb}, {0xe0000, 0xe007f},
	};

	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
		if (cp >= ranges[i][0] && cp <= ranges[i][1])
			return true;
	return false;
}

/*
 * How many bytes at p (not a well-formed sequence) one U+FFFD stands for:
 * the longest prefix that some continuation bytes would make well-formed
 * (Unicode's maximal subpart), at least 1. Found by trial.
 */
static inline size_t fuzz_utf8_subpart(const unsigned char *p, const unsigned char *end)
{
	static const unsigned char tail[] = {0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf};
	size_t n = (size_t)(end - p);
	unsigned char t[4];

	for (size_t k = n < 3 ? n : 3; k > 1; k--)
		for (size_t len = k + 1; len <= 4; len++)
			for (size_t c = 0; c < 36; c++) {
				memcpy(t, p, k);
				t[k] = tail[c % 6];
				if (k + 1 < 4)
					t[k + 1] = tail[c / 6];
				if (fuzz_utf8_len(t, t + len) == len)
					return k;
			}
	return 1;
}

static inline void fuzz_json_ws(struct fuzz_json *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static inline int fuzz_hex4(const unsigned char *p, const unsigned char *end)
{
	static const char digits[] = "0123456789abcdef";
	int v = 0;

	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		const char *d = p[i] ? strchr(digits, p[i] | 0x20) : NULL;

		if (!d || !*d)
			return -1;
		v = v << 4 | (int)(d - digits);
	}
	return v;
}

/* Code point cp as UTF-8 at out; returns its length. */
static inline size_t fuzz_put_utf8(char *out, uint32_t cp)
{
	size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
	static const unsigned char lead[] = {0, 0, 0xc0, 0xe0, 0xf0};

	for (size_t i = n - 1; i > 0; i--, cp >>= 6)
		out[i] = (char)(0x80 | (cp & 0x3f));
	out[0] = (char)(n == 1 ? cp : (lead[n] | cp));
	return n;
}

/*
 * A string at j->p (its opening quote); sets *start and *len to its raw
 * body. When out is not NULL (room for the body's length), the decoded
 * text goes there and *outlen gets its length.
 */
static inline bool fuzz_json_string(struct fuzz_json *j, const unsigned char **start, size_t *len,
				    char *out, size_t *outlen)
{
	static const char esc[] = "\"\\/bfnrt", dec[] = "\"\\/\b\f\n\r\t";
	size_t o = 0;

	if (j->p >= j->end || *j->p != '"')
		return false;
	j->p++;
	*start = j->p;
	while (j->p < j->end && *j->p != '"') {
		unsigned char c = *j->p;
		const char *e;
		size_t n;

		if (c < 0x20)
			return false;
		if (c != '\\') {
			n = fuzz_utf8_len(j->p, j->end);
			/* raw: valid UTF-8, and nothing the escaper should have escaped */
			if (!n || fuzz_hidden(fuzz_utf8_cp(j->p, n)))
				return false;
			if (out)
				memcpy(out + o, j->p, n);
			o += n;
			j->p += n;
			continue;
		}
		if (j->end - j->p < 2)
			return false;
		c = j->p[1];
		if (c == 'u') {
			int u = fuzz_hex4(j->p + 2, j->end), lo = 0;

			if (u < 0 || (u >= 0xdc00 && u <= 0xdfff))
				return false;
			j->p += 6;
			if (u >= 0xd800 && u <= 0xdbff) {
				if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u')
					return false;
				lo = fuzz_hex4(j->p + 2, j->end);
				if (lo < 0xdc00 || lo > 0xdfff)
					return false;
				j->p += 6;
				u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
			}
			/* \uXXXX is 6 bytes, its UTF-8 at most 3; a pair is 12, its UTF-8 4 */
			o += out ? fuzz_put_utf8(out + o, (uint32_t)u) : 0;
			continue;
		}
		e = c ? strchr(esc, c) : NULL;
		if (!e)
			return false;
		if (out)
			out[o] = dec[e - esc];
		o++;
		j->p += 2;
	}
	if (j->p >= j->end)
		return false;
	*len = (size_t)(j->p - *start);
	if (outlen)
		*outlen = o;
	j->p++;
	return true;
}

static inline bool fuzz_json_digits(struct fuzz_json *j)
{
	const unsigned char *s = j->p;

	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return j->p > s;
}

static inline bool fuzz_json_number(struct fuzz_json *j)
{
	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p < j->end && *j->p == '0')
		j->p++;
	else if (!fuzz_json_digits(j))
		return false;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (!fuzz_json_digits(j))
			return false;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (!fuzz_json_digits(j))
			return false;
	}
	return true;
}

static inline bool fuzz_json_word(struct fuzz_json *j, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n))
		return false;
	j->p += n;
	return true;
}

static bool fuzz_json_value(struct fuzz_json *j);
static inline bool fuzz_json_body_valid(const char *s, size_t n, char *out, size_t *outlen);

static inline int fuzz_hex_digit(unsigned char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * A member <key>_hex (value hex, hlen bytes) and the member <key> it
 * belongs to (value body v, vlen bytes): the hex is lowercase, of bytes
 * that are not valid UTF-8 (a valid string gets no sibling), and the
 * string is those bytes with each ill-formed sequence's maximal subpart
 * replaced by U+FFFD.
 */
static inline bool fuzz_hex_sibling(const unsigned char *hex, size_t hlen, const unsigned char *v,
				    size_t vlen)
{
	unsigned char *raw = malloc(hlen / 2 + 1), *want = malloc(3 * (hlen / 2) + 1);
	char *got = malloc(vlen + 1);
	size_t n = hlen / 2, w = 0, glen = 0;
	bool ok = hlen % 2 == 0, valid = true;

	if (!raw || !want || !got)
		fuzz_fail("out of memory");
	for (size_t i = 0; ok && i < n; i++) {
		int hi = fuzz_hex_digit(hex[2 * i]), lo = fuzz_hex_digit(hex[2 * i + 1]);

		ok = hi >= 0 && lo >= 0 && (hi || lo);
		raw[i] = (unsigned char)(hi << 4 | lo);
	}
	for (size_t i = 0; ok && i < n;) {
		size_t k = fuzz_utf8_len(raw + i, raw + n);

		if (k) {
			memcpy(want + w, raw + i, k);
			w += k;
			i += k;
		} else {
			memcpy(want + w, "\xef\xbf\xbd", 3);
			w += 3;
			i += fuzz_utf8_subpart(raw + i, raw + n);
			valid = false;
		}
	}
	if (ok) {
		ok = !valid && fuzz_json_body_valid((const char *)v, vlen, got, &glen) &&
		     glen == w && !memcmp(got, want, w);
	}
	free(raw);
	free(want);
	free(got);
	return ok;
}

/*
 * The members of an object or the elements of an array, j->p at its opening
 * bracket. Keys must not repeat: a repeated key would let a string forge a
 * field (keys are written escaped alike, so raw bodies compare).
 */
static inline bool fuzz_json_members(struct fuzz_json *j, bool object)
{
	struct {
		const unsigned char *p, *v; /* the key's body; its value, if a string */
		size_t len, vlen;
	} keys[256];
	int nkeys = 0;
	char close = object ? '}' : ']';

	j->p++;
	fuzz_json_ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		return true;
	}
	for (;;) {
		const unsigned char *k;
		size_t klen;

		fuzz_json_ws(j);
		if (object) {
			if (!fuzz_json_string(j, &k, &klen, NULL, NULL) || nkeys == 256)
				return false;
			for (int i = 0; i < nkeys; i++)
				if (keys[i].len == klen && !memcmp(keys[i].p, k, klen))
					return false;
			keys[nkeys].p = k;
			keys[nkeys++].len = klen;
			fuzz_json_ws(j);
			if (j->p >= j->end || *j->p != ':')
				return false;
			j->p++;
		}
		fuzz_json_ws(j);
		if (object) {
			keys[nkeys - 1].v = j->p < j->end && *j->p == '"' ? j->p + 1 : NULL;
			keys[nkeys - 1].vlen = 0;
		}
		if (!fuzz_json_value(j))
			return false;
		if (object && keys[nkeys - 1].v)
			keys[nkeys - 1].vlen = (size_t)(j->p - 1 - keys[nkeys - 1].v);
		fuzz_json_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == close) {
			j->p++;
			break;
		}
		return false;
	}
	/* every <key>_hex has its <key>, a string whose raw bytes it holds */
	for (int i = 0; i < nkeys; i++) {
		int base = -1;

		if (keys[i].len < 4 || memcmp(keys[i].p + keys[i].len - 4, "_hex", 4))
			continue;
		for (int b = 0; b < nkeys; b++)
			if (keys[b].len == keys[i].len - 4 &&
			    !memcmp(keys[b].p, keys[i].p, keys[b].len))
				base = b;
		if (base < 0 || !keys[i].v || !keys[base].v ||
		    !fuzz_hex_sibling(keys[i].v, keys[i].vlen, keys[base].v, keys[base].vlen))
			return false;
	}
	/* every <key>_cut has its <key>, a string it says was cut; its own value a number */
	for (int i = 0; i < nkeys; i++) {
		bool base = false;

		if (keys[i].len < 4 || memcmp(keys[i].p + keys[i].len - 4, "_cut", 4))
			continue;
		for (int b = 0; b < nkeys; b++)
			if (keys[b].len == keys[i].len - 4 &&
			    !memcmp(keys[b].p, keys[i].p, keys[b].len) && keys[b].v)
				base = true;
		if (!base || keys[i].v)
			return false;
	}
	return true;
}

static bool fuzz_json_value(struct fuzz_json *j)
{
	const unsigned char *s;
	size_t n;
	bool ok;

	fuzz_json_ws(j);
	if (j->p >= j->end)
		return false;
	switch (*j->p) {
	case '{':
	case '[':
		if (++j->depth > 64)
			return false;
		ok = fuzz_json_members(j, *j->p == '{');
		j->depth--;
		return ok;
	case '"':
		return fuzz_json_string(j, &s, &n, NULL, NULL);
	case 't':
		return fuzz_json_word(j, "true");
	case 'f':
		return fuzz_json_word(j, "false");
	case 'n':
		return fuzz_json_word(j, "null");
	default:
		return fuzz_json_number(j);
	}
}

/* Whether the n bytes at s are exactly one strict JSON object. */
static inline bool fuzz_json_object_valid(const char *s, size_t n)
{
	struct fuzz_json j = {.p = (const unsigned char *)s, .end = (const unsigned char *)s + n};

	fuzz_json_ws(&j);
	if (j.p >= j.end || *j.p != '{' || !fuzz_json_value(&j))
		return false;
	fuzz_json_ws(&j);
	return j.p == j.end;
}

/*
 * Whether the n bytes at s are one strict JSON string body (no quotes); its
 * decoded text goes to out (n bytes suffice) when out is not NULL.
 */
static inline bool fuzz_json_body_valid(const char *s, size_t n, char *out, size_t *outlen)
{
	char *q = malloc(n + 2);
	struct fuzz_json j;
	const unsigned char *b;
	size_t blen;
	bool ok;

	if (!q)
		fuzz_fail("out of memory");
	q[0] = '"';
	memcpy(q + 1, s, n);
	q[n + 1] = '"';
	j = (struct fuzz_json){.p = (unsigned char *)q, .end = (unsigned char *)q + n + 2};
	ok = fuzz_json_string(&j, &b, &blen, out, outlen) && j.p == j.end;
	free(q);
	return ok;
}

/*
 * Text for a terminal: valid UTF-8, no control character but newline (when
 * allowed), no DEL, nothing of fuzz_hidden(). Returns the offset of the first bad byte,
 * or n when there is none.
 */
static inline size_t fuzz_text_bad(const char *s, size_t n, bool newlines)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;

	while (p < end) {
		size_t k;

		if ((*p < 0x20 && !(newlines && *p == '\n')) || *p == 0x7f)
			break;
		k = fuzz_utf8_len(p, end);
		/* C1 controls act as escapes on some terminals; bidi reorders, some show nothing */
		if (!k || fuzz_hidden(fuzz_utf8_cp(p, k)))
			break;
		p += k;
	}
	return (size_t)(p - (const unsigned char *)s);
}

static inline bool fuzz_text_clean(const char *s, size_t n, bool newlines)
{
	return fuzz_text_bad(s, n, newlines) == n;
}

/*
 * What the monitor wrote: JSON lines, each one strict object of at most
 * max bytes; or text, free of raw control characters.
 */
static inline void fuzz_check_records(const char *buf, size_t len, bool json, size_t max)
{
	const char *p = buf, *end = buf + len;

	if (len && buf[len - 1] != '\n')
		fuzz_fail("the output does not end with a newline");
	if (!json) {
		size_t bad = fuzz_text_bad(buf, len, true);
		size_t from = bad > 200 ? bad - 200 : 0;

		if (bad != len)
			fuzz_fail("byte 0x%02x at %zu of the text output, after: %.*s<HERE>%.40s",
				  (unsigned char)buf[bad], bad, (int)(bad - from), buf + from,
				  buf + bad);
		return;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)(nl - p);

		if (n > max)
			fuzz_fail("a JSON line of %zu bytes (max %zu)", n, max);
		if (!fuzz_json_object_valid(p, n))
			fuzz_fail("not one strict JSON object: %.*s", (int)n, p);
		p = nl + 1;
	}
}

#pragma clang attribute pop

#endif /* STOPTRACE_TESTS_FUZZ_H */
