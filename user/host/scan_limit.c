// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* How often a holder scan may run: see scan_limit.h. */
#include <stdlib.h>
#include <string.h>
#include "lib/hash.h"
#include "host/scan_limit.h"

struct window {
	uint64_t key; /* a hash of the container id; 0: free */
	uint64_t start_ns;
	uint32_t count;
};

struct scan_limit {
	struct window global;
	struct window containers[SCAN_CONTAINERS];
	struct scan_limit_stats stats;
};

static uint64_t id_key(const char *id)
{
	return hash_str(id) | 1;
}

struct scan_limit *scan_limit_new(void)
{
	return calloc(1, sizeof(struct scan_limit));
}

void scan_limit_free(struct scan_limit *l)
{
	free(l);
}

/* Whether the window has room; a window over is started again. */
static int room(struct window *w, uint64_t now, uint64_t len, uint32_t cap)
{
	if (now < w->start_ns || now - w->start_ns >= len) {
		w->start_ns = now;
		w->count = 0;
	}
	return w->count < cap;
}

static struct window *container_window(struct scan_limit *l, const char *id)
{
	uint64_t key = id_key(id);
	struct window *oldest = &l->containers[0];

	for (int i = 0; i < SCAN_CONTAINERS; i++) {
		struct window *w = &l->containers[i];

		if (w->key == key)
			return w;
		if (!w->key || (oldest->key && w->start_ns < oldest->start_ns))
			oldest = w;
	}
	memset(oldest, 0, sizeof(*oldest));
	oldest->key = key;
	oldest->start_ns = 0;
	return oldest;
}

enum scan_verdict scan_limit_ask(struct scan_limit *l, const char *id, uint32_t *removal_scans,
				 uint64_t now_ns)
{
	struct window *c;

	if (*removal_scans >= SCAN_PER_REMOVAL) {
		l->stats.skipped_removal++;
		return SCAN_SKIP_REMOVAL;
	}
	c = container_window(l, id);
	if (!room(c, now_ns, SCAN_CONTAINER_WINDOW_NS, SCAN_PER_CONTAINER)) {
		l->stats.skipped_container++;
		return SCAN_SKIP_CONTAINER;
	}
	if (!room(&l->global, now_ns, SCAN_GLOBAL_WINDOW_NS, SCAN_GLOBAL)) {
		l->stats.skipped_global++;
		return SCAN_SKIP_GLOBAL;
	}
	c->count++;
	l->global.count++;
	(*removal_scans)++;
	l->stats.run++;
	return SCAN_RUN;
}

void scan_limit_busy(struct scan_limit *l)
{
	if (l->stats.run)
		l->stats.run--;
	l->stats.skipped_global++;
}

void scan_limit_incomplete(struct scan_limit *l)
{
	l->stats.incomplete++;
}

void scan_limit_stats(const struct scan_limit *l, struct scan_limit_stats *out)
{
	if (l)
		*out = l->stats;
	else
		memset(out, 0, sizeof(*out));
}
