// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The JSON writer and both escapers, checked against the exact text a reader
 * of the record would see, plus a property test over random bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/array_size.h"
#include "lib/jsonw.h"

/* json_escape of s (up to its NUL) into a large buffer. */
static const char *jesc(const char *s)
{
	static char out[1024];

	assert_true(json_escape(out, sizeof(out), s, strlen(s)) < sizeof(out));
	return out;
}

static const char *tesc(const char *s)
{
	static char out[1024];

	assert_true(text_escape(out, sizeof(out), s, strlen(s)) < sizeof(out));
	return out;
}

static void test_nested(void **state)
{
	char buf[256];
	struct jsonw w;

	(void)state;
	jsonw_init(&w, buf, sizeof(buf));
	jsonw_obj_open(&w);
	jsonw_int(&w, "schema", 1);
	jsonw_str(&w, "type", "stop_timeline");
	jsonw_obj_key(&w, "container");
	jsonw_str(&w, "id", "abc");
	jsonw_obj_key(&w, "pod");
	jsonw_obj_close(&w);
	jsonw_obj_close(&w);
	jsonw_arr_key(&w, "events");
	jsonw_obj_open(&w);
	jsonw_uint(&w, "t_ms", 0);
	jsonw_obj_close(&w);
	jsonw_obj_open(&w);
	jsonw_uint(&w, "t_ms", 12);
	jsonw_obj_close(&w);
	jsonw_arr_open(&w);
	jsonw_int(&w, NULL, 1);
	jsonw_str(&w, NULL, "x");
	jsonw_null(&w, NULL);
	jsonw_arr_close(&w);
	jsonw_arr_close(&w);
	jsonw_arr_key(&w, "findings");
	jsonw_arr_close(&w);
	jsonw_key(&w, "exit");
	jsonw_obj_open(&w);
	jsonw_int(&w, "code", 0);
	jsonw_obj_close(&w);
	jsonw_key(&w, "grace_ms");
	jsonw_uint(&w, NULL, 10000);
	jsonw_obj_close(&w);

	assert_false(w.overflow);
	assert_int_equal(w.depth, 0);
	assert_string_equal(buf, "{\"schema\":1,\"type\":\"stop_timeline\","
				 "\"container\":{\"id\":\"abc\",\"pod\":{}},"
				 "\"events\":[{\"t_ms\":0},{\"t_ms\":12},[1,\"x\",null]],"
				 "\"findings\":[],\"exit\":{\"code\":0},\"grace_ms\":10000}");
	assert_int_equal(w.len, strlen(buf));
}

static void test_scalars(void **state)
{
	char buf[256];
	struct jsonw w;

	(void)state;
	jsonw_init(&w, buf, sizeof(buf));
	jsonw_obj_open(&w);
	jsonw_int(&w, "min", INT64_MIN);
	jsonw_int(&w, "max", INT64_MAX);
	jsonw_int(&w, "neg", -1);
	jsonw_uint(&w, "umax", UINT64_MAX);
	jsonw_uint(&w, "zero", 0);
	jsonw_bool(&w, "t", true);
	jsonw_bool(&w, "f", false);
	jsonw_null(&w, "n");
	jsonw_str(&w, "s", NULL);
	jsonw_str(&w, "e", "");
	jsonw_obj_close(&w);

	assert_false(w.overflow);
	assert_string_equal(buf, "{\"min\":-9223372036854775808,\"max\":9223372036854775807,"
				 "\"neg\":-1,\"umax\":18446744073709551615,\"zero\":0,"
				 "\"t\":true,\"f\":false,\"n\":null,\"s\":null,\"e\":\"\"}");
}

static void test_escape_quotes_backslashes(void **state)
{
	(void)state;
	assert_string_equal(jesc("say \"hi\""), "say \\\"hi\\\"");
	assert_string_equal(jesc("C:\\dir\\"), "C:\\\\dir\\\\");
	assert_string_equal(jesc("/etc/x"), "/etc/x");
	assert_string_equal(jesc(""), "");
}

static void test_escape_every_control_char(void **state)
{
	static const char *const want[0x20] = {
		NULL,	   "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005", "\\u0006",
		"\\u0007", "\\b",     "\\t",	 "\\n",	    "\\u000b", "\\f",	  "\\r",
		"\\u000e", "\\u000f", "\\u0010", "\\u0011", "\\u0012", "\\u0013", "\\u0014",
		"\\u0015", "\\u0016", "\\u0017", "\\u0018", "\\u0019", "\\u001a", "\\u001b",
		"\\u001c", "\\u001d", "\\u001e", "\\u001f",
	};
	char in[4], expect[32];
	int c;

	(void)state;
	for (c = 1; c < 0x20; c++) {
		in[0] = 'a';
		in[1] = (char)c;
		in[2] = 'z';
		in[3] = '\0';
		snprintf(expect, sizeof(expect), "a%sz", want[c]);
		assert_string_equal(jesc(in), expect);
	}
	assert_string_equal(jesc("a\x7fz"), "a\\u007fz");
	/* NUL ends the string even when n says there is more. */
	{
		char out[16];

		assert_int_equal(json_escape(out, sizeof(out), "ab\0cd", 5), 2);
		assert_string_equal(out, "ab");
	}
}

/* U+FFFD as json_escape writes it */
#define F "\\ufffd"

static void test_escape_invalid_utf8(void **state)
{
	static const struct {
		const char *what;
		const char *in;
		const char *want;
	} cases[] = {
		{"stray continuation", "a\x80z", "a" F "z"},
		{"stray continuations", "\xbf\xbf", F F},
		{"C0 lead (overlong 2-byte)", "\xc0\xaf", F F},
		{"C1 lead (overlong 2-byte)", "\xc1\xbf", F F},
		{"overlong 3-byte '/'", "\xe0\x80\xaf", F F F},
		{"overlong 3-byte U+07FF", "\xe0\x9f\xbf", F F F},
		{"overlong 4-byte", "\xf0\x80\x80\xaf", F F F F},
		{"overlong 4-byte U+FFFF", "\xf0\x8f\xbf\xbf", F F F F},
		{"surrogate D800", "\xed\xa0\x80", F F F},
		{"surrogate DFFF", "\xed\xbf\xbf", F F F},
		{"past U+10FFFF", "\xf4\x90\x80\x80", F F F F},
		{"F5 lead", "\xf5\x80\x80\x80", F F F F},
		{"FF byte", "\xff", F},
		{"FE byte", "\xfe", F},
		/* a sequence cut short is one U+FFFD: its maximal subpart */
		{"truncated 2-byte at end", "a\xc3", "a" F},
		{"truncated 3-byte at end", "a\xe2\x82", "a" F},
		{"truncated 4-byte at end", "\xf0\x9f\x98", F},
		{"truncated 3-byte then ASCII", "\xe2\x82z", F "z"},
		{"lead then lead", "\xc3\xc3\xa9", F "\xc3\xa9"},
		{"truncated 4-byte then invalid", "\xf0\x9f\xff", F F},
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *got = jesc(cases[i].in);

		if (strcmp(got, cases[i].want))
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].what, got, cases[i].want);
	}

	/* A sequence cut by n (not by NUL) is invalid too. */
	{
		char out[32];

		json_escape(out, sizeof(out), "\xe2\x82\xac", 2);
		assert_string_equal(out, F);
	}
}

static void test_valid_utf8_passes(void **state)
{
	(void)state;
	assert_string_equal(jesc("caf\xc3\xa9"), "caf\xc3\xa9");	   /* U+00E9 */
	assert_string_equal(jesc("\xc2\xa0"), "\xc2\xa0");		   /* U+00A0 */
	assert_string_equal(jesc("\xdf\xbf"), "\xdf\xbf");		   /* U+07FF */
	assert_string_equal(jesc("\xe0\xa0\x80"), "\xe0\xa0\x80");	   /* U+0800 */
	assert_string_equal(jesc("\xe2\x82\xac"), "\xe2\x82\xac");	   /* euro */
	assert_string_equal(jesc("\xed\x9f\xbf"), "\xed\x9f\xbf");	   /* U+D7FF */
	assert_string_equal(jesc("\xee\x80\x80"), "\xee\x80\x80");	   /* U+E000 */
	assert_string_equal(jesc("\xef\xbf\xbf"), "\xef\xbf\xbf");	   /* U+FFFF */
	assert_string_equal(jesc("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80"); /* emoji */
	assert_string_equal(jesc("\xf4\x8f\xbf\xbf"), "\xf4\x8f\xbf\xbf"); /* U+10FFFF */
	assert_string_equal(jesc("\xe6\x97\xa5\xe6\x9c\xac"), "\xe6\x97\xa5\xe6\x9c\xac");
}

static void test_line_separators(void **state)
{
	(void)state;
	assert_string_equal(jesc("a\xe2\x80\xa8z"), "a\\u2028z");
	assert_string_equal(jesc("a\xe2\x80\xa9z"), "a\\u2029z");
	/* Neighbours are ordinary characters (U+2027), or bidi controls (U+202A). */
	assert_string_equal(jesc("\xe2\x80\xa7\xe2\x80\xaa"), "\xe2\x80\xa7\\u202a");
}

/*
 * What a reader would not see, or would see reordered, is escaped in both
 * formats: C1, bidi, zero width and the other invisible characters.
 */
static void test_hidden_characters(void **state)
{
	static const struct {
		const char *in, *json, *text;
	} cases[] = {
		{"\xc2\x80\xc2\x9b\xc2\x9f", "\\u0080\\u009b\\u009f", "\\u0080\\u009b\\u009f"},
		{"a\xe2\x80\xae"
		 "b",
		 "a\\u202eb", "a\\u202eb"}, /* RLO */
		{"\xd8\x9c\xe2\x80\x8e\xe2\x80\x8f", "\\u061c\\u200e\\u200f",
		 "\\u061c\\u200e\\u200f"},
		{"\xe2\x81\xa6\xe2\x81\xa9", "\\u2066\\u2069", "\\u2066\\u2069"}, /* LRI, PDI */
		/* zero width space, non-joiner, joiner, word joiner, BOM */
		{"r\xe2\x80\x8bu\xe2\x80\x8cn\xe2\x80\x8d"
		 "c\xe2\x81\xa0"
		 "\xef\xbb\xbf",
		 "r\\u200bu\\u200cn\\u200dc\\u2060\\ufeff",
		 "r\\u200bu\\u200cn\\u200dc\\u2060\\ufeff"},
		/* soft hyphen, Mongolian vowel separator, invisible times */
		{"\xc2\xad\xe1\xa0\x8e\xe2\x81\xa2", "\\u00ad\\u180e\\u2062",
		 "\\u00ad\\u180e\\u2062"},
		/* a tag character (ASCII smuggling): a surrogate pair in JSON */
		{"x\xf3\xa0\x81\x81", "x\\udb40\\udc41", "x\\U000e0041"},
		/* neighbours that show: U+00A0, U+200A, U+2010, U+2065 is unassigned */
		{"\xc2\xa0\xe2\x80\x8a\xe2\x80\x90", "\xc2\xa0\xe2\x80\x8a\xe2\x80\x90",
		 "\xc2\xa0\xe2\x80\x8a\xe2\x80\x90"},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_string_equal(jesc(cases[i].in), cases[i].json);
		assert_string_equal(tesc(cases[i].in), cases[i].text);
	}
}

/*
 * Bytes that are not UTF-8: U+FFFD in the string, the raw bytes in the
 * member's _hex sibling; a valid string has none; an array element none.
 */
static void test_hex_sibling(void **state)
{
	char buf[256];
	struct jsonw w;

	(void)state;
	jsonw_init(&w, buf, sizeof(buf));
	jsonw_obj_open(&w);
	jsonw_strn(&w, "comm",
		   "a\xff"
		   "b",
		   16);
	jsonw_str(&w, "name", "caf\xc3\xa9");
	/* a tenant typing the replacement and the text of a hex sibling */
	jsonw_str(&w, "path", "\xef\xbf\xbd\",\"path_hex\":\"41");
	jsonw_arr_key(&w, "list");
	jsonw_str(&w, NULL, "\xc3");
	jsonw_arr_close(&w);
	jsonw_obj_close(&w);
	assert_false(w.overflow);
	assert_string_equal(buf, "{\"comm\":\"a\\ufffdb\",\"comm_hex\":\"61ff62\","
				 "\"name\":\"caf\xc3\xa9\","
				 "\"path\":\"\xef\xbf\xbd\\\",\\\"path_hex\\\":\\\"41\","
				 "\"list\":[\"\\ufffd\"]}");

	/* the member and its sibling fit together or not at all */
	for (size_t cap = 1; cap < 40; cap++) {
		jsonw_init(&w, buf, cap);
		jsonw_obj_open(&w);
		jsonw_str(&w, "c", "\xff\xfe");
		jsonw_obj_close(&w);
		if (!w.overflow)
			assert_string_equal(buf, "{\"c\":\"" F F "\",\"c_hex\":\"fffe\"}");
		else
			assert_true(!strcmp(buf, "") || !strcmp(buf, "{") ||
				    !strcmp(buf, "{\"c\":\"" F F "\",\"c_hex\":\"fffe\""));
	}
}

/*
 * With jsonw_cut_strings(), a longer value keeps its first bytes, never half
 * a character, and says how long it was; a shorter one is untouched.
 */
static void test_cut_strings(void **state)
{
	char buf[512];
	struct jsonw w;

	(void)state;
	jsonw_init(&w, buf, sizeof(buf));
	jsonw_cut_strings(&w, 4);
	jsonw_obj_open(&w);
	jsonw_str(&w, "a", "abcdefgh");
	jsonw_str(&w, "b", "abc\xc3\xa9z"); /* the cut would split the e-acute */
	jsonw_str(&w, "c", "abcd");	     /* exactly the bound: whole */
	jsonw_str(&w, "d", "\xff\xfe\xfd\xfc\xfb"); /* not UTF-8: the kept bytes' hex */
	jsonw_str(&w, "e", "\x80\x80\x80\x80\x80\x80"); /* no character start to back up to */
	jsonw_arr_key(&w, "l");
	jsonw_str(&w, NULL, "abcdefgh"); /* an array element has no sibling */
	jsonw_arr_close(&w);
	jsonw_obj_close(&w);
	assert_false(w.overflow);
	assert_string_equal(buf, "{\"a\":\"abcd\",\"a_cut\":8,"
				 "\"b\":\"abc\",\"b_cut\":6,"
				 "\"c\":\"abcd\","
				 "\"d\":\"" F F F F "\",\"d_hex\":\"fffefdfc\",\"d_cut\":5,"
				 "\"e\":\"" F F F F "\",\"e_hex\":\"80808080\",\"e_cut\":6,"
				 "\"l\":[\"abcd\"]}");

	/* 0 writes every string whole again */
	jsonw_init(&w, buf, sizeof(buf));
	jsonw_cut_strings(&w, 4);
	jsonw_cut_strings(&w, 0);
	jsonw_obj_open(&w);
	jsonw_str(&w, "a", "abcdefgh");
	jsonw_obj_close(&w);
	assert_string_equal(buf, "{\"a\":\"abcdefgh\"}");

	/* the member, its _hex and its _cut fit together or not at all */
	for (size_t cap = 1; cap < 48; cap++) {
		jsonw_init(&w, buf, cap);
		jsonw_cut_strings(&w, 1);
		jsonw_obj_open(&w);
		jsonw_str(&w, "c", "\xff\xfe");
		jsonw_obj_close(&w);
		if (!w.overflow)
			assert_string_equal(buf, "{\"c\":\"" F "\",\"c_hex\":\"ff\",\"c_cut\":2}");
		else
			assert_true(!strcmp(buf, "") || !strcmp(buf, "{") ||
				    !strcmp(buf, "{\"c\":\"" F "\",\"c_hex\":\"ff\",\"c_cut\":2"));
	}
}

static void test_hostile_string_stays_inside(void **state)
{
	char buf[256];
	struct jsonw w;
	size_t i, quotes = 0;

	(void)state;
	jsonw_init(&w, buf, sizeof(buf));
	jsonw_obj_open(&w);
	jsonw_str(&w, "type", "event");
	jsonw_str(&w, "comm", "a\"},\"type\":\"alert");
	jsonw_str(&w, "name", "x\\\"}\n{\"type\":\"alert\"}");
	jsonw_obj_close(&w);

	assert_false(w.overflow);
	assert_string_equal(buf, "{\"type\":\"event\",\"comm\":\"a\\\"},\\\"type\\\":\\\"alert\","
				 "\"name\":\"x\\\\\\\"}\\n{\\\"type\\\":\\\"alert\\\"}\"}");
	assert_null(strchr(buf, '\n'));
	/* Unescaped quotes: exactly the ones around 3 keys and 3 values. */
	for (i = 0; buf[i]; i++) {
		if (buf[i] == '\\')
			i++;
		else if (buf[i] == '"')
			quotes++;
	}
	assert_int_equal(quotes, 12);
}

static void test_comm_without_nul(void **state)
{
	char buf[128];
	struct jsonw w;
	char *comm;

	(void)state;
	/* Exactly 16 bytes on the heap: any read past them trips ASan/valgrind. */
	comm = malloc(16);
	assert_non_null(comm);
	memcpy(comm, "containerd-shim!", 16);

	jsonw_init(&w, buf, sizeof(buf));
	jsonw_obj_open(&w);
	jsonw_strn(&w, "comm", comm, 16);
	jsonw_strn(&w, "short", "sh\0garbage", 16);
	jsonw_obj_close(&w);
	free(comm);

	assert_false(w.overflow);
	assert_string_equal(buf, "{\"comm\":\"containerd-shim!\",\"short\":\"sh\"}");
}

/* The buffer holds a NUL-terminated prefix that ends between elements. */
static void test_overflow(void **state)
{
	char buf[24];
	struct jsonw w;

	(void)state;
	memset(buf, 'X', sizeof(buf));
	jsonw_init(&w, buf, sizeof(buf));
	jsonw_obj_open(&w);
	jsonw_int(&w, "pid", 4242);
	jsonw_str(&w, "comm", "a much too long command name");
	assert_true(w.overflow);
	assert_string_equal(buf, "{\"pid\":4242");
	assert_int_equal(w.len, strlen(buf));

	/* Everything after an overflow is ignored, even what would fit. */
	jsonw_int(&w, "x", 1);
	jsonw_obj_close(&w);
	assert_true(w.overflow);
	assert_string_equal(buf, "{\"pid\":4242");

	/* A string that needs exactly all the room left, NUL included, fits. */
	jsonw_init(&w, buf, 9);
	jsonw_str(&w, NULL, "abcdef");
	assert_false(w.overflow);
	assert_string_equal(buf, "\"abcdef\"");
	jsonw_init(&w, buf, 8);
	jsonw_str(&w, NULL, "abcdef");
	assert_true(w.overflow);
	assert_string_equal(buf, "");

	/* An escape that would not fit leaves no half of it behind. */
	jsonw_init(&w, buf, 12);
	jsonw_arr_open(&w);
	jsonw_str(&w, NULL, "ab\x1b");
	assert_false(w.overflow);
	jsonw_str(&w, NULL, "\x1b");
	assert_true(w.overflow);
	assert_string_equal(buf, "[\"ab\\u001b\"");

	/* No room at all. */
	jsonw_init(&w, buf, 0);
	jsonw_obj_open(&w);
	assert_true(w.overflow);
}

static void test_depth_limit(void **state)
{
	char buf[128];
	struct jsonw w;
	int i;

	(void)state;
	jsonw_init(&w, buf, sizeof(buf));
	for (i = 0; i < 16; i++)
		jsonw_arr_open(&w);
	assert_false(w.overflow);
	assert_int_equal(w.depth, 16);
	jsonw_arr_open(&w);
	assert_true(w.overflow);
	assert_string_equal(buf, "[[[[[[[[[[[[[[[[");

	/* Closing what was never opened is refused the same way. */
	jsonw_init(&w, buf, sizeof(buf));
	jsonw_obj_close(&w);
	assert_true(w.overflow);
	assert_string_equal(buf, "");
}

/* Cut output: NUL-terminated, whole escapes and characters only, full length returned. */
static void test_escape_cut(void **state)
{
	static const struct {
		const char *in;
		size_t cap;
		const char *want;
	} cases[] = {
		{"ab\x1b", 3, "ab"},
		{"ab\x1b", 8, "ab"},
		{"ab\x1b", 9, "ab\\u001b"},
		{"a\"", 3, "a"},
		{"a\xff", 7, "a"},
		{"a\xff", 8, "a\\ufffd"},
		{"a\xe2\x82\xac", 4, "a"},
		{"a\xe2\x82\xac", 5, "a\xe2\x82\xac"},
		{"a\xe2\x80\xa8", 7, "a"},
		{"\x1b\x1b", 1, ""},
		/* Once cut, nothing more is written even where it would fit. */
		{"ab\033c", 8, "ab"},
	};
	size_t i, full;
	char out[16];

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		full = json_escape(NULL, 0, cases[i].in, strlen(cases[i].in));
		memset(out, 'X', sizeof(out));
		assert_int_equal(json_escape(out, cases[i].cap, cases[i].in, strlen(cases[i].in)),
				 full);
		assert_string_equal(out, cases[i].want);
	}
	assert_int_equal(json_escape(NULL, 0, "ab\x1b", 3), 8);

	memset(out, 'X', sizeof(out));
	assert_int_equal(text_escape(out, 4, "\x1b[31m", 5), 6);
	assert_string_equal(out, "\\e[");
	assert_int_equal(text_escape(out, 5, "a\xc2\x9b", 3), 7);
	assert_string_equal(out, "a");
}

static void test_text_escape(void **state)
{
	(void)state;
	assert_string_equal(tesc("\x1b[31mred\x1b[0m"), "\\e[31mred\\e[0m");
	assert_string_equal(tesc("line1\nline2\r\n\tend"), "line1\\nline2\\r\\n\\tend");
	assert_string_equal(tesc("back\\slash \"quoted\""), "back\\\\slash \"quoted\"");
	assert_string_equal(tesc("bell\a del\x7f"), "bell\\x07 del\\x7f");
	assert_string_equal(tesc("\x01\x1f"), "\\x01\\x1f");
	/* C1 controls: CSI (U+009B) would start an escape sequence on some terminals. */
	assert_string_equal(tesc("\xc2\x9b[31m"), "\\u009b[31m");
	/* bidi controls reorder what is shown: RLO, LRI, RLM; other text is kept */
	assert_string_equal(tesc("a\xe2\x80\xae"
				 "b\xe2\x81\xa6"
				 "c\xe2\x80\x8f"),
			    "a\\u202eb\\u2066c\\u200f");
	assert_string_equal(tesc("\xe2\x80\x94\xe2\x82\xac"), "\xe2\x80\x94\xe2\x82\xac");
	assert_string_equal(tesc("\xc2\x80\xc2\x9f"), "\\u0080\\u009f");
	/* U+00A0 and above pass. */
	assert_string_equal(tesc("caf\xc3\xa9\xc2\xa0\xf0\x9f\x98\x80"),
			    "caf\xc3\xa9\xc2\xa0\xf0\x9f\x98\x80");
	/* Invalid bytes. */
	assert_string_equal(tesc("\xff\xc0\xaf\xed\xa0\x80"), "\\xff\\xc0\\xaf\\xed\\xa0\\x80");
	assert_string_equal(tesc("a\xe2\x82"), "a\\xe2\\x82");
	{
		char out[16];
		char comm[16];

		memcpy(comm, "0123456789abcdef", 16);
		/* A 16-byte comm needs 17 bytes with its NUL: the last char is cut. */
		assert_int_equal(text_escape(out, sizeof(out), comm, 16), 16);
		assert_string_equal(out, "0123456789abcde");
		assert_int_equal(text_escape(out, sizeof(out), comm, 15), 15);
		assert_string_equal(out, "0123456789abcde");
	}
}

/*
 * Independent UTF-8 decoder for the checks below: decode the code point by
 * its bit pattern, then reject overlong forms, surrogates and values past
 * U+10FFFF by value. Returns the sequence length, 0 if invalid.
 */
static size_t ref_utf8(const unsigned char *s, size_t n, uint32_t *cp)
{
	static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
	size_t len, i;
	uint32_t v;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		v = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		v = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		v = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min_cp[len] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

static bool valid_utf8(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	size_t i = 0, len;

	while (i < n) {
		len = ref_utf8(p + i, n - i, &cp);
		if (!len)
			return false;
		i += len;
	}
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decode a JSON string body as a JSON parser would; fails the test on
 * anything a parser would reject (raw control chars, raw quotes, bad escapes).
 * Returns the decoded length.
 */
static size_t json_decode(const char *s, char *out)
{
	size_t i = 0, o = 0;
	uint32_t u;
	int k, h;

	while (s[i]) {
		unsigned char c = (unsigned char)s[i];

		assert_true(c >= 0x20);
		assert_true(c != '"');
		if (c != '\\') {
			out[o++] = s[i++];
			continue;
		}
		i++;
		switch (s[i]) {
		case '"':
		case '\\':
		case '/':
			out[o++] = s[i];
			break;
		case 'b':
			out[o++] = '\b';
			break;
		case 'f':
			out[o++] = '\f';
			break;
		case 'n':
			out[o++] = '\n';
			break;
		case 'r':
			out[o++] = '\r';
			break;
		case 't':
			out[o++] = '\t';
			break;
		case 'u':
			for (u = 0, k = 1; k <= 4; k++) {
				h = hexval(s[i + k]);
				assert_true(h >= 0);
				u = u << 4 | (uint32_t)h;
			}
			/* a surrogate only as a pair: high then low */
			assert_false(u >= 0xdc00 && u <= 0xdfff);
			if (u >= 0xd800 && u <= 0xdbff) {
				uint32_t lo = 0;

				assert_true(s[i + 5] == '\\' && s[i + 6] == 'u');
				for (k = 7; k <= 10; k++) {
					h = hexval(s[i + k]);
					assert_true(h >= 0);
					lo = lo << 4 | (uint32_t)h;
				}
				assert_true(lo >= 0xdc00 && lo <= 0xdfff);
				u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
				out[o++] = (char)(0xf0 | u >> 18);
				out[o++] = (char)(0x80 | (u >> 12 & 0x3f));
				out[o++] = (char)(0x80 | (u >> 6 & 0x3f));
				out[o++] = (char)(0x80 | (u & 0x3f));
				i += 10;
				break;
			}
			if (u < 0x80) {
				out[o++] = (char)u;
			} else if (u < 0x800) {
				out[o++] = (char)(0xc0 | u >> 6);
				out[o++] = (char)(0x80 | (u & 0x3f));
			} else {
				out[o++] = (char)(0xe0 | u >> 12);
				out[o++] = (char)(0x80 | (u >> 6 & 0x3f));
				out[o++] = (char)(0x80 | (u & 0x3f));
			}
			i += 4;
			break;
		default:
			fail_msg("invalid JSON escape \\%c", s[i]);
		}
		i++;
	}
	return o;
}

/* xorshift64*: a fixed sequence on every platform. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

/* Bytes weighted towards the interesting ones: controls, quotes, UTF-8 pieces. */
static unsigned char random_byte(void)
{
	static const unsigned char special[] = {
		'"',  '\\', '\n', '\r', '\t', 0x1b, 0x7f, 0x80, 0xbf, 0xc0, 0xc1, 0xc2,
		0xdf, 0xe0, 0xe2, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0xa0, 0x9f, 0x8f,
	};
	uint64_t r = rng();

	switch (r % 4) {
	case 0:
		return special[(r >> 8) % sizeof(special)];
	case 1:
		return (unsigned char)(0x20 + (r >> 8) % 0x5f);
	default:
		return (unsigned char)(r >> 8);
	}
}

/*
 * The length of the maximal subpart at s (n bytes, not one well-formed
 * sequence): the longest prefix some continuation bytes would make
 * well-formed, at least 1. By trial, with ref_utf8.
 */
static size_t ref_subpart(const unsigned char *s, size_t n)
{
	static const unsigned char tail[] = {0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf};
	unsigned char t[4];

	for (size_t k = n < 3 ? n : 3; k > 1; k--) {
		for (size_t len = k + 1; len <= 4; len++) {
			for (size_t c = 0; c < 36; c++) {
				uint32_t cp;

				memcpy(t, s, k);
				t[k] = tail[c % 6];
				if (k + 1 < 4)
					t[k + 1] = tail[c / 6];
				if (ref_utf8(t, len, &cp) == len)
					return k;
			}
		}
	}
	return 1;
}

/* What the escapers must not let through raw (jsonw.h), listed again. */
static bool ref_hidden(uint32_t cp)
{
	static const uint32_t ranges[][2] = {
		{0x80, 0x9f},	  {0xad, 0xad},	    {0x61c, 0x61c},	{0x180e, 0x180e},
		{0x200b, 0x200f}, {0x2028, 0x202e}, {0x2060, 0x2064},	{0x2066, 0x206f},
		{0xfeff, 0xfeff}, {0xfff9, 0xfffb}, {0xe0000, 0xe007f},
	};

	for (size_t i = 0; i < ARRAY_SIZE(ranges); i++)
		if (cp >= ranges[i][0] && cp <= ranges[i][1])
			return true;
	return false;
}

/*
 * For random byte strings: the escaped text holds no control byte and no
 * unescaped quote, is valid UTF-8, and decodes (as JSON) to the input with
 * every ill-formed sequence's maximal subpart replaced by U+FFFD.
 */
static void test_escape_property(void **state)
{
	char in[80], out[80 * 6 + 1], decoded[80 * 6 + 1], expect[80 * 4 + 1], txt[80 * 6 + 1];
	size_t iter, n, len, i, e, dlen, seq;
	uint32_t cp;

	(void)state;
	for (iter = 0; iter < 10000; iter++) {
		n = rng() % sizeof(in);
		for (i = 0; i < n; i++)
			in[i] = (char)random_byte();

		len = json_escape(out, sizeof(out), in, n);
		assert_true(len < sizeof(out));
		assert_int_equal(strlen(out), len);
		for (i = 0; i < len; i++)
			assert_true((unsigned char)out[i] >= 0x20);
		assert_true(valid_utf8(out, len));
		dlen = json_decode(out, decoded);

		/* What the decoded text should be, by the reference decoder. */
		n = strnlen(in, n);
		for (i = 0, e = 0; i < n;) {
			seq = ref_utf8((const unsigned char *)in + i, n - i, &cp);
			if (seq) {
				memcpy(expect + e, in + i, seq);
				e += seq;
				i += seq;
			} else {
				/* U+FFFD for the maximal subpart of the ill-formed sequence */
				memcpy(expect + e, "\xef\xbf\xbd", 3);
				e += 3;
				i += ref_subpart((const unsigned char *)in + i, n - i);
			}
		}
		assert_int_equal(dlen, e);
		assert_memory_equal(decoded, expect, e);

		/* The text format: no control byte, no DEL, no C1, valid UTF-8. */
		len = text_escape(txt, sizeof(txt), in, n);
		assert_true(len < sizeof(txt));
		for (i = 0; i < len; i += seq) {
			seq = ref_utf8((const unsigned char *)txt + i, len - i, &cp);
			assert_true(seq > 0);
			assert_true(cp >= 0x20 && !(cp >= 0x7f && cp <= 0x9f));
			assert_false(ref_hidden(cp));
		}
		/* nor any in the JSON: they are escaped */
		for (i = 0; i < strlen(out); i += seq) {
			seq = ref_utf8((const unsigned char *)out + i, strlen(out) - i, &cp);
			assert_true(seq > 0);
			assert_false(ref_hidden(cp));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_escape_quotes_backslashes),
		cmocka_unit_test(test_escape_every_control_char),
		cmocka_unit_test(test_escape_invalid_utf8),
		cmocka_unit_test(test_valid_utf8_passes),
		cmocka_unit_test(test_line_separators),
		cmocka_unit_test(test_hidden_characters),
		cmocka_unit_test(test_hex_sibling),
		cmocka_unit_test(test_cut_strings),
		cmocka_unit_test(test_hostile_string_stays_inside),
		cmocka_unit_test(test_comm_without_nul),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_escape_cut),
		cmocka_unit_test(test_text_escape),
		cmocka_unit_test(test_escape_property),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
