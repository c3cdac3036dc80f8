// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * An LXC container's metadata: its name is the <name> of its cgroup
 * lxc.payload.<name>, and its configuration, var/lib/lxc/<name>/config
 * (the row's meta_files[RT_CONFIG], written by lxc-create on the host),
 * says the signals that stop it: lxc.signal.halt, which lxc-stop sends, and
 * lxc.signal.stop, which the lxc-start monitor kills with after lxc-stop's
 * timeout. With no lxc.signal.halt, lxc-stop reads the init's blocked
 * signals (SigBlk of /proc/<pid>/status) when it stops it, and sends
 * SIGRTMIN+3 to an init that blocks it (systemd's halt), SIGPWR to any
 * other: the container then has both, and the signal event says which one
 * applies (whether the signal was blocked). The file is the host's, but whoever made the container
 * may have set its values: each line and each value is bounded, and a value that is not exactly a
 * signal leaves the default.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity/identity_int.h"
#include "identity/runtimes.h"
#include "lib/names.h"
#include "lib/readfile.h"

#define LXC_CONFIG_MAX (1u << 20) /* a container's config is a few dozen lines */
#define LXC_LINE_MAX   4096	  /* LXC reads longer lines, but no signal needs one */
#define LXC_VALUE_MAX  31

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* A signal as LXC writes one: a number, or a name with SIG ("SIGUSR1", "SIGRTMIN+3"); 0 if not. */
static int lxc_signal(const char *v, size_t n)
{
	char text[LXC_VALUE_MAX + 1];
	int sig;

	/* LXC takes a value in matching quotes as the text between them */
	if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
		v++;
		n -= 2;
	}
	if (n == 0 || n > LXC_VALUE_MAX || memchr(v, '\0', n))
		return 0;
	memcpy(text, v, n);
	text[n] = '\0';
	/* LXC's sig_parse: a number, or a name that starts with SIG */
	if (!(text[0] >= '0' && text[0] <= '9') && strncasecmp(text, "SIG", 3))
		return 0;
	sig = signal_from_name(text);
	return sig >= 1 && sig <= 64 ? sig : 0;
}

/* One "key = value" line: the two, trimmed. false for a blank line, a comment or no '='. */
static bool split_line(const char *l, size_t n, const char **key, size_t *kn, const char **val,
		       size_t *vn)
{
	const char *eq;

	while (n && is_blank(*l))
		l++, n--;
	if (!n || *l == '#')
		return false;
	eq = memchr(l, '=', n);
	if (!eq)
		return false;
	*key = l;
	*kn = eq - l;
	while (*kn && is_blank(l[*kn - 1]))
		(*kn)--;
	*val = eq + 1;
	*vn = n - (eq + 1 - l);
	while (*vn && is_blank(**val))
		(*val)++, (*vn)--;
	while (*vn && is_blank((*val)[*vn - 1]))
		(*vn)--;
	return true;
}

static bool key_is(const char *k, size_t n, const char *want)
{
	return n == strlen(want) && !memcmp(k, want, n);
}

void meta_lxc_parse(const char *text, size_t len, struct lxc_signals *out)
{
	const char *p = text, *end = text + len;

	out->halt = SIGPWR;
	out->stop = SIGKILL;
	out->halt_set = false;
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p), *key, *val;
		size_t n = (nl ? nl : end) - p, kn, vn;
		int sig;

		if (n <= LXC_LINE_MAX && split_line(p, n, &key, &kn, &val, &vn)) {
			/* the last line wins, as in LXC; an empty value is the default again */
			if (key_is(key, kn, "lxc.signal.halt")) {
				sig = vn ? lxc_signal(val, vn) : SIGPWR;
				if (sig) {
					out->halt = sig;
					out->halt_set = vn != 0;
				}
			} else if (key_is(key, kn, "lxc.signal.stop")) {
				sig = vn ? lxc_signal(val, vn) : SIGKILL;
				if (sig)
					out->stop = sig;
			}
		}
		p += n + 1;
	}
}

static bool plain_name(const char *s)
{
	size_t n = strlen(s);

	return n && n < NAME_LEN && strcmp(s, ".") && strcmp(s, "..") &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

static int lxc_load(const char *root, const struct runtime_info *rt, struct container *c)
{
	struct lxc_signals sigs;
	char path[PATH_MAX];
	char *buf;
	size_t len;
	int err;

	if (!plain_name(c->id))
		return -ENOENT;
	err = runtime_meta_path(rt, RT_CONFIG, root, c->id, path, sizeof(path));
	if (err)
		return err;
	err = read_file_max(path, LXC_CONFIG_MAX, &buf, &len);
	if (err)
		return err;
	meta_lxc_parse(buf, len, &sigs);
	free(buf);
	snprintf(c->name, sizeof(c->name), "%s", c->id);
	/* LXC's do_lxcapi_shutdown: the configured halt signal, else SIGRTMIN+3 if blocked */
	c->stop_signal = sigs.halt;
	c->stop_signal_if_blocked = sigs.halt_set ? 0 : signal_from_name("SIGRTMIN+3");
	return 0;
}

const struct rt_meta rt_meta_lxc = {
	.load = lxc_load,
};
