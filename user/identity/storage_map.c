// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The table from storage paths back to the container whose storage they
 * are (see storage.h): one hash probe per path component on lookup.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hash.h"
#include "identity/storage.h"

struct storage_node {
	struct storage_node *next;
	uint64_t hash;
	size_t len;
	char id[ID_LEN];
	char path[];
};

struct storage_map {
	struct storage_node **buckets;
	size_t nbuckets; /* a power of two */
	size_t count;
	size_t max;    /* bound on count */
	uint64_t full; /* adds refused at the bound */
	size_t maxlen; /* no stored path is longer: lookups stop there */
};

static size_t bucket_of(const struct storage_map *m, uint64_t h)
{
	return (size_t)(h ^ (h >> 29)) & (m->nbuckets - 1);
}

static struct storage_node *find(const struct storage_map *m, uint64_t h, const char *path,
				 size_t len)
{
	struct storage_node *n;

	for (n = m->buckets[bucket_of(m, h)]; n; n = n->next)
		if (n->hash == h && n->len == len && !memcmp(n->path, path, len))
			return n;
	return NULL;
}

struct storage_map *storage_map_new(void)
{
	struct storage_map *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->nbuckets = 64;
	m->max = STORAGE_MAP_MAX;
	m->buckets = calloc(m->nbuckets, sizeof(*m->buckets));
	if (!m->buckets) {
		free(m);
		return NULL;
	}
	return m;
}

void storage_map_free(struct storage_map *m)
{
	struct storage_node *n, *next;

	if (!m)
		return;
	for (size_t i = 0; i < m->nbuckets; i++) {
		for (n = m->buckets[i]; n; n = next) {
			next = n->next;
			free(n);
		}
	}
	free(m->buckets);
	free(m);
}

static int grow(struct storage_map *m)
{
	size_t nb = m->nbuckets * 2, old = m->nbuckets;
	struct storage_node **b, **ob = m->buckets, *n, *next;

	b = calloc(nb, sizeof(*b));
	if (!b)
		return -ENOMEM;
	m->buckets = b;
	m->nbuckets = nb;
	for (size_t i = 0; i < old; i++) {
		for (n = ob[i]; n; n = next) {
			size_t k = bucket_of(m, n->hash);

			next = n->next;
			n->next = b[k];
			b[k] = n;
		}
	}
	free(ob);
	return 0;
}

/* An absolute path with no empty, "." or ".." component, not "/" itself. */
static bool clean_path(const char *p, size_t len)
{
	size_t i = 0, start;

	if (len < 2 || p[0] != '/')
		return false;
	while (i < len) {
		start = ++i; /* past the '/' */
		while (i < len && p[i] != '/')
			i++;
		if (i == start || (i - start == 1 && p[start] == '.') ||
		    (i - start == 2 && p[start] == '.' && p[start + 1] == '.'))
			return false;
	}
	return true;
}

int storage_map_add(struct storage_map *m, const char *path, const char *container_id)
{
	struct storage_node *n;
	size_t len, idlen;
	uint64_t h = HASH_INIT;
	size_t b;

	if (!m || !path || !container_id)
		return -EINVAL;
	len = strnlen(path, PATH_MAX);
	while (len > 1 && path[len - 1] == '/')
		len--;
	idlen = strnlen(container_id, ID_LEN);
	if (len >= PATH_MAX || !clean_path(path, len) || idlen == 0 || idlen >= ID_LEN)
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		h = hash_byte(h, (unsigned char)path[i]);
	n = find(m, h, path, len);
	if (n) {
		memcpy(n->id, container_id, idlen + 1);
		return 0;
	}
	if (m->count >= m->max) {
		m->full++;
		return -ENOSPC;
	}
	if (m->count >= m->nbuckets && grow(m))
		return -ENOMEM;
	n = malloc(sizeof(*n) + len + 1);
	if (!n)
		return -ENOMEM;
	n->hash = h;
	n->len = len;
	memcpy(n->id, container_id, idlen + 1);
	memcpy(n->path, path, len);
	n->path[len] = '\0';
	b = bucket_of(m, h);
	n->next = m->buckets[b];
	m->buckets[b] = n;
	m->count++;
	if (len > m->maxlen)
		m->maxlen = len;
	return 0;
}

int storage_map_forget(struct storage_map *m, const char *container_id)
{
	struct storage_node **pp, *n;
	size_t removed = 0, maxlen = 0;

	if (!m || !container_id)
		return -EINVAL;
	for (size_t i = 0; i < m->nbuckets; i++) {
		for (pp = &m->buckets[i]; (n = *pp);) {
			if (!strcmp(n->id, container_id)) {
				*pp = n->next;
				free(n);
				removed++;
				continue;
			}
			if (n->len > maxlen)
				maxlen = n->len;
			pp = &n->next;
		}
	}
	m->count -= removed;
	m->maxlen = maxlen;
	return removed ? 0 : -ENOENT;
}

/*
 * One pass over path: the hash of each prefix that ends at a '/' (or at the
 * end) is probed as it is reached, and the last hit is the longest. Nothing
 * past the longest stored length can match, so the walk stops there.
 */
const char *storage_map_lookup(const struct storage_map *m, const char *path, const char **prefix)
{
	const struct storage_node *best = NULL, *n;
	uint64_t h = HASH_INIT;
	size_t i;

	if (prefix)
		*prefix = NULL;
	if (!m || !path || path[0] != '/' || !m->count)
		return NULL;
	for (i = 1; i <= m->maxlen; i++) {
		h = hash_byte(h, (unsigned char)path[i - 1]);
		if (path[i] == '/' || path[i] == '\0') {
			n = find(m, h, path, i);
			if (n)
				best = n;
			if (path[i] == '\0')
				break;
		}
	}
	if (!best)
		return NULL;
	if (prefix)
		*prefix = best->path;
	return best->id;
}

size_t storage_map_count(const struct storage_map *m)
{
	return m ? m->count : 0;
}

void storage_map_limit(struct storage_map *m, size_t max)
{
	if (m)
		m->max = max;
}

uint64_t storage_map_full(const struct storage_map *m)
{
	return m ? m->full : 0;
}
