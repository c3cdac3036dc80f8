// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The metadata JSON reader on arbitrary bytes: every value reachable from
 * the top (members by the keys runtime files use, array elements, nested
 * to the reader's depth limit) is found and decoded. Checked: values lie
 * inside the buffer, decoded strings are terminated, fit their buffer and
 * are cut only with -ENOSPC, and a string that decodes in full decodes the
 * same into a smaller buffer up to the cut.
 */
#include "lib/array_size.h"
#include "fuzz.h"
#include "lib/jsonr.h"

static const char *const keys[] = {
	"Name", "Config", "StopSignal", "State",       "Running", "Dead", "RestartPolicy",
	"id",	"names",  "layer",	"annotations", "a",	  "",	  "\u00e9",
	"r",	"data",
};

static const char *buf_start, *buf_end;

static void check_span(const struct jsonr_val *v)
{
	if (v->p < buf_start || v->p + v->len > buf_end || v->len == 0)
		fuzz_fail("a value outside its buffer");
}

static void check_string(const struct jsonr_val *v)
{
	char big[4096], small[8];
	int a, b;

	memset(big, 'x', sizeof(big));
	a = jsonr_string(v, big, sizeof(big));
	if (a == 0 || a == -ENOSPC) {
		if (strnlen(big, sizeof(big)) == sizeof(big))
			fuzz_fail("jsonr_string: not terminated");
		b = jsonr_string(v, small, sizeof(small));
		if (b != 0 && b != -ENOSPC)
			fuzz_fail("jsonr_string: %d in full, %d cut", a, b);
		if (strncmp(small, big, strlen(small)))
			fuzz_fail("jsonr_string: the cut text is not a prefix");
		if (a == 0 && b == 0 && strcmp(small, big))
			fuzz_fail("jsonr_string: two decodings differ");
		if (a == 0 && !jsonr_string_eq(v, big) && strlen(big) == strnlen(big, 4096))
			fuzz_fail("jsonr_string_eq disagrees with jsonr_string on \"%s\"", big);
	}
}

static void walk(const struct jsonr_val *v, int depth)
{
	struct jsonr_val m;
	struct jsonr_iter it;
	int n = 0;

	check_span(v);
	if (depth > JSONR_MAX_DEPTH + 2)
		fuzz_fail("nesting past the reader's limit");
	switch (v->type) {
	case JSONR_OBJECT:
		for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
			if (jsonr_get(v, keys[i], &m) == 0)
				walk(&m, depth + 1);
		jsonr_get_path(v, &m, "Config", "StopSignal", NULL);
		break;
	case JSONR_ARRAY:
		jsonr_iter_init(&it, v);
		while (n++ < 64 && jsonr_next(&it, &m) == 1)
			walk(&m, depth + 1);
		break;
	case JSONR_STRING:
		check_string(v);
		break;
	case JSONR_NUMBER:
	case JSONR_TRUE:
	case JSONR_FALSE:
	case JSONR_NULL:
		break;
	default:
		fuzz_fail("a value of type %d", v->type);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly size bytes: reading past it is an ASan report */
	char *buf = malloc(size ? size : 1);
	struct jsonr_val root;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf_start = buf;
	buf_end = buf + size;
	if (jsonr_init(&root, buf, size) == 0)
		walk(&root, 0);
	free(buf);
	return 0;
}
