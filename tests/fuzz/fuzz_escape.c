// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The escaping every output relies on (json_escape, text_escape, the JSON
 * writer) and the name parsers (signal names, timestamps), on arbitrary
 * bytes. Checked, not just run: a JSON body is a strict JSON string that
 * decodes back to the input when the input is valid UTF-8, and to the input
 * with U+FFFD for each ill-formed sequence otherwise; neither format lets a
 * control, bidi or invisible character through raw; output cut to a small
 * buffer is a prefix of the whole on an escape boundary; a written object is
 * strict JSON, a string that is not UTF-8 has its <key>_hex sibling with the
 * raw bytes, and a valid one none.
 */
#include "fuzz.h"
#include "lib/jsonw.h"
#include "lib/names.h"

static void check_json_escape(const char *s, size_t n, size_t small)
{
	size_t len = strnlen(s, n), cap = 6 * len + 1, need, cut_need, dlen;
	char *big = malloc(cap), *cut = malloc(small + 1), *dec = malloc(cap);

	if (!big || !cut || !dec)
		fuzz_fail("out of memory");
	need = json_escape(big, cap, s, n);
	if (need >= cap || strlen(big) != need)
		fuzz_fail("json_escape: need %zu for %zu bytes, wrote %zu", need, len, strlen(big));
	if (!fuzz_json_body_valid(big, need, dec, &dlen))
		fuzz_fail("json_escape wrote an invalid JSON string body: %s", big);
	if (utf8_valid(s, len) && (dlen != len || memcmp(dec, s, len)))
		fuzz_fail("json_escape of valid UTF-8 does not decode back to it");
	if (!utf8_valid(s, len)) {
		char *hex = malloc(2 * len + 1);

		if (!hex)
			fuzz_fail("out of memory");
		for (size_t i = 0; i < len; i++)
			snprintf(hex + 2 * i, 3, "%02x", (unsigned char)s[i]);
		if (!fuzz_hex_sibling((unsigned char *)hex, 2 * len, (unsigned char *)big, need))
			fuzz_fail("json_escape of invalid UTF-8 is not the input with U+FFFD: %s",
				  big);
		free(hex);
	}
	/* a cut output: the same prefix, ending on a whole escape, still a valid body */
	cut_need = json_escape(cut, small + 1, s, n);
	if (cut_need != need)
		fuzz_fail("json_escape into %zu bytes says %zu, not %zu", small + 1, cut_need,
			  need);
	if (strlen(cut) > small || strncmp(cut, big, strlen(cut)))
		fuzz_fail("json_escape cut output is not a prefix of the whole");
	if (!fuzz_json_body_valid(cut, strlen(cut), NULL, NULL))
		fuzz_fail("json_escape cut output is not a valid JSON body: %s", cut);
	free(big);
	free(cut);
	free(dec);
}

static void check_text_escape(const char *s, size_t n, size_t small)
{
	size_t len = strnlen(s, n), cap = 6 * len + 1, need;
	char *big = malloc(cap), *cut = malloc(small + 1);
	bool plain = true;

	if (!big || !cut)
		fuzz_fail("out of memory");
	need = text_escape(big, cap, s, n);
	if (need >= cap || strlen(big) != need)
		fuzz_fail("text_escape: need %zu for %zu bytes", need, len);
	if (!fuzz_text_clean(big, need, false))
		fuzz_fail("text_escape let a control character or invalid UTF-8 through");
	for (size_t i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] >= 0x7f || s[i] == '\\')
			plain = false;
	if (plain && (need != len || memcmp(big, s, len)))
		fuzz_fail("text_escape changed printable ASCII");
	text_escape(cut, small + 1, s, n);
	if (strlen(cut) > small || strncmp(cut, big, strlen(cut)))
		fuzz_fail("text_escape cut output is not a prefix of the whole");
	if (!fuzz_text_clean(cut, strlen(cut), false))
		fuzz_fail("text_escape cut output holds a control character");
	free(big);
	free(cut);
}

/* An object with s as keys and values, written into cap bytes, strings cut to str_max (0: whole). */
static void check_writer(const char *s, size_t n, size_t cap, size_t str_max)
{
	size_t whole = strnlen(s, n);
	bool cut = str_max && whole > str_max;
	char *buf = malloc(cap);
	struct jsonw w;
	char key[64];

	if (!buf)
		fuzz_fail("out of memory");
	/* ends in "-k": the writer's keys never end in _hex */
	snprintf(key, sizeof(key), "x-%.*s-k", (int)strnlen(s, n < 40 ? n : 40), s);
	jsonw_init(&w, buf, cap);
	jsonw_cut_strings(&w, str_max);
	jsonw_obj_open(&w);
	jsonw_str(&w, "type", "fuzz");
	jsonw_strn(&w, "comm", s, n);
	jsonw_obj_key(&w, "nested");
	jsonw_strn(&w, "v", s, n < 16 ? n : 16);
	jsonw_arr_key(&w, "list");
	jsonw_strn(&w, NULL, s, n);
	jsonw_int(&w, NULL, -(int64_t)n);
	jsonw_null(&w, NULL);
	jsonw_arr_close(&w);
	jsonw_obj_close(&w);
	/* a hostile key: escaped like a value; the prefix keeps it apart from the others */
	jsonw_str(&w, key, key);
	jsonw_bool(&w, "last", true);
	jsonw_obj_close(&w);
	if (w.len >= cap || strlen(buf) != w.len)
		fuzz_fail("jsonw: length %zu in a buffer of %zu", w.len, cap);
	if (!w.overflow && !fuzz_json_object_valid(buf, w.len))
		fuzz_fail("jsonw wrote invalid JSON: %s", buf);
	/* said cut exactly when it was longer than the bound */
	if (!w.overflow && !strstr(buf, "\"comm_cut\":") == cut)
		fuzz_fail("jsonw: comm_cut %s for %zu bytes cut at %zu: %s",
			  cut ? "missing" : "written", whole, str_max, buf);
	/* the sibling is there exactly when comm is not UTF-8 (a string cannot spell it) */
	if (!w.overflow && !cut && !strstr(buf, "\"comm_hex\":") != utf8_valid(s, whole))
		fuzz_fail("jsonw: comm_hex %s for %s UTF-8: %s",
			  strstr(buf, "\"comm_hex\":") ? "written" : "missing",
			  utf8_valid(s, strnlen(s, n)) ? "valid" : "invalid", buf);
	free(buf);
}

static void check_names(const char *s, size_t n, const uint8_t *raw, size_t size)
{
	char name[64], ts[RFC3339_LEN + 8];
	int64_t sec = 0;
	long nsec = 0;
	int sig;

	snprintf(name, sizeof(name), "%.*s", (int)strnlen(s, n < 63 ? n : 63), s);
	sig = signal_from_name(name);
	if (sig != -1 && (sig < 1 || sig > SIG_NUM_MAX))
		fuzz_fail("signal_from_name(\"%s\") = %d", name, sig);
	if (sig > 0 && (!signal_name(sig) || signal_from_name(signal_name(sig)) != sig))
		fuzz_fail("signal %d does not round-trip through its name", sig);
	memcpy(&sec, raw, size < sizeof(sec) ? size : sizeof(sec));
	if (size > sizeof(sec))
		memcpy(&nsec, raw + sizeof(sec),
		       size - sizeof(sec) < sizeof(nsec) ? size - sizeof(sec) : sizeof(nsec));
	if (format_rfc3339(ts, sizeof(ts), sec, nsec) == 0 &&
	    (strlen(ts) != RFC3339_LEN - 1 || !fuzz_text_clean(ts, strlen(ts), false)))
		fuzz_fail("format_rfc3339(%lld, %ld) = \"%s\"", (long long)sec, nsec, ts);
	errno_name((int)sec);
	signal_result_name((int)sec);
	si_code_name((int)sec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t small;
	const char *s;
	size_t n;

	if (size < 1)
		return 0;
	small = data[0] % 48;
	s = (const char *)data + 1;
	n = size - 1;
	check_json_escape(s, n, small);
	check_text_escape(s, n, small);
	check_writer(s, n, 64 + (size_t)data[0] * 4, 0);
	check_writer(s, n, 20 * n + 512, 0);
	check_writer(s, n, 20 * n + 512, data[0] % 24);
	check_names(s, n, data, size);
	return 0;
}
