// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The table of tracked cgroups: cgroup id -> container, with an index by
 * container id (see identity.h).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hash.h"
#include "identity/identity.h"

/*
 * Two chained hash indexes over one set of heap entries: by cgroup id and by
 * container id. Entries never move, so returned pointers stay valid until
 * their entry is deleted. Callers must not change a stored entry's id.
 */
struct table_entry {
	struct container c;
	uint64_t cgroup_id;
	bool sub;	     /* a cgroup below the container's own */
	uint32_t init_pidns; /* of the container's init, 0 until learnt */
	uint32_t init_tgid;  /* its host pid */
	struct table_entry *next_cg;
	struct table_entry *next_id;
};

struct identity_table {
	struct table_entry **by_cg;
	struct table_entry **by_id;
	size_t mask; /* buckets - 1, a power of two less one */
	size_t count;
	size_t nsub;   /* entries that are sub-cgroups */
	size_t max;    /* bound on count */
	uint64_t full; /* adds refused at the bound */
};

#define TABLE_MIN_BUCKETS 64

static size_t hash_u64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return (size_t)x;
}

static size_t hash_key(const char *s)
{
	return hash_u64(hash_str(s));
}

struct identity_table *identity_table_new(void)
{
	struct identity_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->by_cg = calloc(TABLE_MIN_BUCKETS, sizeof(*t->by_cg));
	t->by_id = calloc(TABLE_MIN_BUCKETS, sizeof(*t->by_id));
	if (!t->by_cg || !t->by_id) {
		free(t->by_cg);
		free(t->by_id);
		free(t);
		return NULL;
	}
	t->mask = TABLE_MIN_BUCKETS - 1;
	t->max = IDENTITY_TABLE_MAX;
	return t;
}

void identity_table_free(struct identity_table *t)
{
	struct table_entry *e, *next;
	size_t i;

	if (!t)
		return;
	for (i = 0; i <= t->mask; i++) {
		for (e = t->by_cg[i]; e; e = next) {
			next = e->next_cg;
			free(e);
		}
	}
	free(t->by_cg);
	free(t->by_id);
	free(t);
}

static void link_id(struct identity_table *t, struct table_entry *e)
{
	struct table_entry **b = &t->by_id[hash_key(e->c.id) & t->mask];

	e->next_id = *b;
	*b = e;
}

static void unlink_id(struct identity_table *t, struct table_entry *e)
{
	struct table_entry **pp = &t->by_id[hash_key(e->c.id) & t->mask];

	for (; *pp; pp = &(*pp)->next_id) {
		if (*pp == e) {
			*pp = e->next_id;
			return;
		}
	}
}

/* Double the buckets; on allocation failure the table stays as it was. */
static void table_grow(struct identity_table *t)
{
	size_t n = (t->mask + 1) * 2, i;
	struct table_entry **cg, **id, *e, *next;

	cg = calloc(n, sizeof(*cg));
	id = calloc(n, sizeof(*id));
	if (!cg || !id) {
		free(cg);
		free(id);
		return;
	}
	for (i = 0; i <= t->mask; i++) {
		for (e = t->by_cg[i]; e; e = next) {
			size_t b = hash_u64(e->cgroup_id) & (n - 1);

			next = e->next_cg;
			e->next_cg = cg[b];
			cg[b] = e;
			b = hash_key(e->c.id) & (n - 1);
			e->next_id = id[b];
			id[b] = e;
		}
	}
	free(t->by_cg);
	free(t->by_id);
	t->by_cg = cg;
	t->by_id = id;
	t->mask = n - 1;
}

static struct table_entry *find_cg(struct identity_table *t, uint64_t cgroup_id)
{
	struct table_entry *e = t->by_cg[hash_u64(cgroup_id) & t->mask];

	while (e && e->cgroup_id != cgroup_id)
		e = e->next_cg;
	return e;
}

struct container *identity_table_add(struct identity_table *t, uint64_t cgroup_id,
				     const struct container *c)
{
	struct table_entry *e, **b;

	if (!t || !c)
		return NULL;
	e = find_cg(t, cgroup_id);
	if (e) {
		t->nsub -= e->sub;
		e->sub = false;
		unlink_id(t, e);
		if (&e->c != c)
			e->c = *c;
		link_id(t, e);
		return &e->c;
	}
	if (t->count >= t->max) {
		t->full++;
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->c = *c;
	e->cgroup_id = cgroup_id;
	if (t->count >= t->mask + 1)
		table_grow(t);
	b = &t->by_cg[hash_u64(cgroup_id) & t->mask];
	e->next_cg = *b;
	*b = e;
	link_id(t, e);
	t->count++;
	return &e->c;
}

struct container *identity_table_get(struct identity_table *t, uint64_t cgroup_id)
{
	struct table_entry *e;

	if (!t)
		return NULL;
	e = find_cg(t, cgroup_id);
	return e ? &e->c : NULL;
}

void identity_table_each(struct identity_table *t,
			 void (*fn)(struct container *c, uint64_t cgroup_id, void *arg), void *arg)
{
	if (!t)
		return;
	for (size_t b = 0; b <= t->mask; b++)
		for (struct table_entry *e = t->by_cg[b]; e; e = e->next_cg)
			fn(&e->c, e->cgroup_id, arg);
}

struct container *identity_table_by_id(struct identity_table *t, const char *id)
{
	struct table_entry *e;

	if (!t || !id)
		return NULL;
	for (e = t->by_id[hash_key(id) & t->mask]; e; e = e->next_id)
		if (!strcmp(e->c.id, id))
			return &e->c;
	return NULL;
}

void identity_table_del(struct identity_table *t, uint64_t cgroup_id)
{
	struct table_entry **pp, *e;

	if (!t)
		return;
	for (pp = &t->by_cg[hash_u64(cgroup_id) & t->mask]; *pp; pp = &(*pp)->next_cg) {
		e = *pp;
		if (e->cgroup_id == cgroup_id) {
			*pp = e->next_cg;
			unlink_id(t, e);
			t->nsub -= e->sub;
			free(e);
			t->count--;
			return;
		}
	}
}

size_t identity_table_count(const struct identity_table *t)
{
	return t ? t->count : 0;
}

struct container *identity_table_add_sub(struct identity_table *t, uint64_t cgroup_id,
					 const struct container *owner)
{
	struct container *c = identity_table_add(t, cgroup_id, owner);
	struct table_entry *e;

	if (!c)
		return NULL;
	e = find_cg(t, cgroup_id);
	e->sub = true;
	t->nsub++;
	return c;
}

bool identity_table_is_sub(struct identity_table *t, uint64_t cgroup_id)
{
	struct table_entry *e = t ? find_cg(t, cgroup_id) : NULL;

	return e && e->sub;
}

size_t identity_table_subs(struct identity_table *t, const char *id)
{
	struct table_entry *e;
	size_t n = 0;

	if (!t || !id)
		return 0;
	if (!*id)
		return t->nsub;
	for (e = t->by_id[hash_key(id) & t->mask]; e; e = e->next_id)
		n += e->sub && !strcmp(e->c.id, id);
	return n;
}

uint32_t identity_table_init(struct identity_table *t, const char *id, uint32_t *tgid)
{
	struct table_entry *e;

	*tgid = 0;
	if (!t || !id)
		return 0;
	for (e = t->by_id[hash_key(id) & t->mask]; e; e = e->next_id) {
		if (e->init_pidns && !strcmp(e->c.id, id)) {
			*tgid = e->init_tgid;
			return e->init_pidns;
		}
	}
	return 0;
}

void identity_table_set_init(struct identity_table *t, const char *id, uint32_t pidns,
			     uint32_t tgid)
{
	struct table_entry *e;

	if (!t || !id)
		return;
	for (e = t->by_id[hash_key(id) & t->mask]; e; e = e->next_id) {
		if (!strcmp(e->c.id, id)) {
			e->init_pidns = pidns;
			e->init_tgid = tgid;
		}
	}
}

void identity_table_limit(struct identity_table *t, size_t max)
{
	if (t)
		t->max = max;
}

size_t identity_table_max(const struct identity_table *t)
{
	return t ? t->max : 0;
}

uint64_t identity_table_full(const struct identity_table *t)
{
	return t ? t->full : 0;
}
