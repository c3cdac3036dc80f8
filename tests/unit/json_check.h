/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * JSON checks for the record tests: a line is parsed strictly by python3
 * (given on its stdin, never through a shell) and the values at some paths
 * compared. Included by the tests that need it; cmocka comes first.
 */
#ifndef STOPTRACE_TESTS_JSON_CHECK_H
#define STOPTRACE_TESTS_JSON_CHECK_H

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * The checker: reads one line on stdin, parses it strictly and prints, for
 * each path argument ("events.0.process.pid", "events.-1.t_ms"), the value
 * as JSON, "hex:" paths as the hex of its UTF-8 text, "len:" paths as the
 * length of the array, "<missing>" when absent.
 */
static const char checker[] =
	"import json, sys\n"
	"def pairs(kv):\n"
	"    keys = [k for k, _ in kv]\n"
	"    if len(keys) != len(set(keys)): raise ValueError('duplicate key')\n"
	"    return dict(kv)\n"
	"def const(c): raise ValueError('not JSON: ' + c)\n"
	"doc = json.loads(sys.stdin.buffer.read().decode('utf-8', 'strict'),\n"
	"                 object_pairs_hook=pairs, parse_constant=const)\n"
	"assert isinstance(doc, dict)\n"
	"for arg in sys.argv[1:]:\n"
	"    mode, _, path = arg.rpartition(':')\n"
	"    v = doc\n"
	"    try:\n"
	"        for seg in path.split('.'):\n"
	"            v = v[int(seg)] if isinstance(v, list) else v[seg]\n"
	"    except (KeyError, IndexError, TypeError, ValueError):\n"
	"        print('<missing>'); continue\n"
	"    if mode == 'hex': print(v.encode('utf-8').hex())\n"
	"    elif mode == 'len': print(len(v))\n"
	"    else: print(json.dumps(v, sort_keys=True, ensure_ascii=True))\n";

struct expect {
	const char *path;
	const char *want; /* NULL: only fetch it (see got[]) */
};

/*
 * Run the checker on line (given on its stdin, never through a shell) and
 * assert each path's value; got[i] (when got is not NULL) receives the value
 * printed for path i. Skips the test when python3 cannot be run.
 */
static void assert_json(const char *line, const struct expect *ex, size_t n, char got[60][64])
{
	int in[2], out[2], status;
	char res[32768], *p, *nl;
	size_t have = 0;
	ssize_t r;
	pid_t pid;

	assert_true(n < 60);
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		const char *argv[64] = {"python3", "-c", checker};

		for (size_t i = 0; i < n; i++)
			argv[3 + i] = ex[i].path;
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		execvp("python3", (char *const *)argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	for (size_t off = 0, len = strlen(line); off < len; off += (size_t)r) {
		r = write(in[1], line + off, len - off);
		if (r <= 0)
			break;
	}
	close(in[1]);
	while ((r = read(out[0], res + have, sizeof(res) - 1 - have)) > 0)
		have += (size_t)r;
	res[have] = '\0';
	close(out[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		skip();
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		print_error("not valid JSON: %s\n", line);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	p = res;
	for (size_t i = 0; i < n; i++) {
		nl = strchr(p, '\n');
		assert_non_null(nl);
		*nl = '\0';
		if (got)
			snprintf(got[i], 64, "%.63s", p);
		if (ex[i].want && strcmp(p, ex[i].want))
			print_error("%s: got %s, want %s\n", ex[i].path, p, ex[i].want);
		if (ex[i].want)
			assert_string_equal(p, ex[i].want);
		p = nl + 1;
	}
}

static const char *hex(const char *s, size_t n)
{
	static char buf[4][4096];
	static int which;
	char *h = buf[which++ % 4];

	assert_true(2 * n < sizeof(buf[0]));
	for (size_t i = 0; i < n; i++)
		sprintf(h + 2 * i, "%02x", (unsigned char)s[i]);
	h[2 * n] = '\0';
	return h;
}

#endif /* STOPTRACE_TESTS_JSON_CHECK_H */
