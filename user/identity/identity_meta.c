// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Container identity from the runtimes' own metadata: a container's name,
 * stop signal, restart policy and pod, its runtime's view of its state, and
 * finding a container by id, id prefix or name. Each runtime's files are
 * read by the reader its row of the runtimes table points to (meta_*.c);
 * what is here is what they share. File contents read here belong to the
 * host's tenants: every length is checked and every copy is bounded and
 * NUL-terminated.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/readfile.h"
#include "identity/identity.h"
#include "identity/identity_int.h"
#include "identity/runtimes.h"
#include "lib/jsonr.h"
#include "lib/names.h"

/* ---- what the readers share ---- */

/* root (without trailing slashes) + "/" + the formatted rest. */
int meta_root_path(char *buf, size_t size, const char *root, const char *fmt, ...)
{
	size_t rl = root ? strlen(root) : 0;
	va_list ap;
	int n;

	while (rl > 0 && root[rl - 1] == '/')
		rl--;
	if (rl + 2 > size)
		return -ENAMETOOLONG;
	memcpy(buf, root, rl);
	buf[rl] = '/';
	va_start(ap, fmt);
	n = vsnprintf(buf + rl + 1, size - rl - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size - rl - 1)
		return -ENAMETOOLONG;
	return 0;
}

int meta_open(const char *root, const struct runtime_info *rt, unsigned int file, const char *id,
	      size_t max, char **buf, struct jsonr_val *doc)
{
	char path[PATH_MAX];
	size_t len;
	int err;

	*buf = NULL;
	if (id && !identity_is_hex_id(id, strlen(id)))
		return -ENOENT;
	err = runtime_meta_path(rt, file, root, id, path, sizeof(path));
	if (err)
		return err;
	err = read_file_max(path, max, buf, &len);
	if (err)
		return err;
	err = jsonr_init(doc, *buf, len);
	if (err) {
		free(*buf);
		*buf = NULL;
	}
	return err;
}

/* A stop signal as docker ("SIGQUIT", "3") or an OCI annotation writes it; 0 if unknown. */
static int signal_of(const struct jsonr_val *v)
{
	char text[32];
	int sig;

	if (v->type == JSONR_NUMBER) {
		if (v->len >= sizeof(text))
			return 0;
		memcpy(text, v->p, v->len);
		text[v->len] = '\0';
	} else if (jsonr_string(v, text, sizeof(text))) {
		return 0;
	}
	sig = signal_from_name(text);
	return sig > 0 ? sig : 0;
}

void meta_stop_signal(const struct runtime_info *rt, const struct jsonr_val *doc, int *sig)
{
	struct jsonr_val v;
	int s;

	if (!rt->stop_signal[0] ||
	    jsonr_get_path(doc, &v, rt->stop_signal[0], rt->stop_signal[1], NULL) != 0)
		return;
	s = signal_of(&v);
	if (s > 0)
		*sig = s;
}

/* Copy string v into dst (size bytes) unless it is empty or unreadable; cut on UTF-8. */
bool meta_take_string(const struct jsonr_val *v, char *dst, size_t size, bool strip_slash)
{
	char tmp[NAME_LEN + 1];
	const char *s = tmp;
	int err;

	err = jsonr_string(v, tmp, sizeof(tmp));
	if (err && err != -ENOSPC)
		return false;
	/* Docker writes one; a forged config.v2.json may hold more. */
	while (strip_slash && *s == '/')
		s++;
	if (!*s)
		return false;
	if (strlen(s) >= size) {
		size_t n = size - 1;

		/* Do not end inside a UTF-8 sequence. */
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		memcpy(dst, s, n);
		dst[n] = '\0';
	} else {
		strcpy(dst, s);
	}
	return true;
}

/* ---- a container's metadata ---- */

static void note(bool *any, int *first, int err)
{
	*any |= !err;
	if (err && err != -ENOENT && *first == -ENOENT)
		*first = err;
}

int identity_load_meta(const char *root, struct container *c)
{
	const struct runtime_info *rt, *rts;
	bool any = false;
	int first = -ENOENT;
	size_t nrt;

	if (!c || !c->id[0])
		return -EINVAL;
	rt = runtime_info(c->runtime);
	rts = runtimes_all(&nrt);
	/* a container of no known runtime: every runtime's metadata is asked */
	for (size_t r = 0; r < nrt; r++)
		if (rts[r].meta && (c->runtime == RUNTIME_NONE || &rts[r] == rt))
			note(&any, &first, rts[r].meta->load(root, &rts[r], c));
	/* Kubernetes names the container and its pod, whatever the runtime. */
	if (!rt || rt->kube_names)
		note(&any, &first, meta_kube_load(root, c));
	return any ? 0 : first;
}

int identity_runtime_state(const char *root, const struct container *c, char *state, size_t cap)
{
	const struct runtime_info *rt;

	if (!cap)
		return -EINVAL;
	state[0] = '\0';
	rt = runtime_info(c->runtime);
	if (!rt || !rt->meta || !rt->meta->state)
		return -EOPNOTSUPP;
	return rt->meta->state(root, rt, c, state, cap);
}

/* ---- finding a container by id, prefix or name ---- */

struct find_state {
	const char *what;      /* as given */
	const char *what_name; /* without one leading slash */
	size_t what_len;
	bool what_hex;
	struct container exact, named, prefixed;
	int n_exact, n_named, n_prefixed;
};

static void consider(void *ctx, enum runtime rt, const char *id, const char *name, bool name_hit)
{
	struct find_state *st = ctx;
	struct container *slot = NULL;

	if (!strcmp(id, st->what)) {
		if (!st->n_exact++)
			slot = &st->exact;
	} else if (name_hit) {
		if (!st->n_named++)
			slot = &st->named;
	} else if (st->what_hex && !strncmp(id, st->what, st->what_len)) {
		if (!st->n_prefixed++)
			slot = &st->prefixed;
	}
	if (!slot)
		return;
	slot->runtime = rt;
	snprintf(slot->id, sizeof(slot->id), "%s", id);
	snprintf(slot->name, sizeof(slot->name), "%s", name);
}

int identity_find(const char *root, const char *what, struct container *c)
{
	const struct runtime_info *rts;
	struct find_state *st;
	const struct container *found = NULL;
	size_t i, nrt;
	int err = -ENOENT;

	if (!what || !*what || !c)
		return -EINVAL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->what = what;
	st->what_name = what[0] == '/' ? what + 1 : what;
	st->what_len = strlen(what);
	st->what_hex = st->what_len <= HEX_ID_LEN;
	for (i = 0; i < st->what_len; i++)
		if (!((what[i] >= '0' && what[i] <= '9') || (what[i] >= 'a' && what[i] <= 'f')))
			st->what_hex = false;

	rts = runtimes_all(&nrt);
	for (size_t r = 0; r < nrt; r++)
		if (rts[r].meta && rts[r].meta->each)
			rts[r].meta->each(root, &rts[r], st->what_name, consider, st);

	/* Docker's order: a full id, then a name, then a unique id prefix. */
	if (st->n_exact)
		found = &st->exact;
	else if (st->n_named == 1)
		found = &st->named;
	else if (st->n_named > 1)
		err = -EEXIST;
	else if (st->n_prefixed == 1)
		found = &st->prefixed;
	else if (st->n_prefixed > 1)
		err = -EEXIST;
	if (found) {
		memset(c, 0, sizeof(*c));
		c->runtime = found->runtime;
		strcpy(c->id, found->id);
		strcpy(c->name, found->name);
		identity_load_meta(root, c);
		err = 0;
	}
	free(st);
	return err;
}
