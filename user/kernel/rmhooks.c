// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>
#include "identity/runtimes.h"
#include "lib/array_size.h"
#include "kernel/rmhooks.h"

static const char *const mode_names[] = {
	[RH_AUTO] = "auto",
	[RH_ON_DEMAND] = "on-demand",
	[RH_ALWAYS] = "always",
};

const char *rh_mode_name(enum rh_mode mode)
{
	return (unsigned int)mode < ARRAY_SIZE(mode_names) ? mode_names[mode] : "?";
}

int rh_mode_parse(const char *s, enum rh_mode *mode)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(mode_names); i++) {
		if (!strcmp(s, mode_names[i])) {
			*mode = (enum rh_mode)i;
			return 0;
		}
	}
	return -EINVAL;
}

void rh_arm(struct rmhooks *h, uint64_t now_ns, uint64_t for_ns)
{
	if (now_ns + for_ns > h->armed_until_ns)
		h->armed_until_ns = now_ns + for_ns;
}

bool rh_want(struct rmhooks *h, const struct rh_inputs *in)
{
	if (h->mode != RH_ON_DEMAND)
		return true;
	if (in->open_stops)
		rh_arm(h, in->now_ns, RH_LINGER_NS);
	if (in->open_removals)
		rh_arm(h, in->now_ns, RH_STATE_NS);
	if (in->idle_containers)
		return true;
	return in->now_ns < h->armed_until_ns;
}

void rh_attached(struct rmhooks *h, bool attached, uint64_t now_ns)
{
	if (attached == h->attached)
		return;
	if (attached) {
		h->attaches++;
		h->attached_since_ns = now_ns;
	} else {
		h->attached_total_ns += now_ns - h->attached_since_ns;
	}
	h->attached = attached;
}

uint64_t rh_attached_ns(const struct rmhooks *h, uint64_t now_ns)
{
	return h->attached_total_ns + (h->attached ? now_ns - h->attached_since_ns : 0);
}

#define ROOT_MASK     (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ONLYDIR)
#define DATABASE_MASK (IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO | IN_ONLYDIR)
/* a state file written (created first: the runtime's fsync comes before its rename) */
#define CONTAINER_DIR_MASK (IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_ONLYDIR)

static bool container_name(const char *name)
{
	return name[0] && name[0] != '.' && strlen(name) < RH_ID_LEN;
}

static long present_index(const struct rmhooks *h, const char *name)
{
	for (size_t i = 0; i < h->npresent; i++)
		if (!strcmp(h->present[i], name))
			return (long)i;
	return -1;
}

static long present_add(struct rmhooks *h, const char *name)
{
	long i = present_index(h, name);

	if (i >= 0 || !container_name(name))
		return i;
	if (h->npresent == h->present_cap) {
		size_t cap = h->present_cap ? 2 * h->present_cap : 64;
		char(*p)[RH_ID_LEN] = realloc(h->present, cap * sizeof(*p));
		int *wd;

		if (!p)
			return -1; /* counted as running: the hooks may stay detached longer */
		h->present = p;
		wd = realloc(h->present_wd, cap * sizeof(*wd));
		if (!wd)
			return -1;
		h->present_wd = wd;
		h->present_cap = cap;
	}
	strcpy(h->present[h->npresent], name);
	h->present_wd[h->npresent] = -1;
	h->generation++;
	return (long)h->npresent++;
}

static const char *present_by_wd(const struct rmhooks *h, int wd)
{
	for (size_t i = 0; i < h->npresent; i++)
		if (h->present_wd[i] == wd)
			return h->present[i];
	return NULL;
}

static void present_del(struct rmhooks *h, const char *name)
{
	long i = present_index(h, name);

	if (i < 0)
		return;
	h->npresent--;
	memcpy(h->present[i], h->present[h->npresent], RH_ID_LEN);
	h->present_wd[i] = h->present_wd[h->npresent];
	h->generation++;
}

size_t rmhooks_present(const struct rmhooks *h, const char (**ids)[RH_ID_LEN])
{
	*ids = (const char(*)[RH_ID_LEN])h->present;
	return h->npresent;
}

static void watch_child(struct rmhooks *h, int root, const char *name)
{
	char path[PATH_MAX];
	long i = present_add(h, name);

	if (i < 0 || !h->root_states[root] ||
	    snprintf(path, sizeof(path), "%s/%s", h->root_path[root], name) >= (int)sizeof(path))
		return;
	h->present_wd[i] = inotify_add_watch(h->ifd, path, CONTAINER_DIR_MASK);
}

static void scan_root(struct rmhooks *h, int root)
{
	struct dirent *d;
	DIR *dp = opendir(h->root_path[root]);

	if (!dp)
		return;
	while ((d = readdir(dp)))
		if ((d->d_type == DT_DIR || d->d_type == DT_UNKNOWN) && container_name(d->d_name))
			watch_child(h, root, d->d_name);
	closedir(dp);
}

int rmhooks_watch(struct rmhooks *h, const char *const *storage_roots, int nroots)
{
	/* where runtimes keep their containers, under a storage root (the runtimes table) */
	const struct rt_watch *dirs[RT_WATCHES_MAX];
	size_t ndirs = runtimes_watches(dirs, RT_WATCHES_MAX);
	char path[PATH_MAX];
	int n = 0;

	h->nroots = 0;
	h->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (h->ifd < 0)
		return -errno;
	for (int i = 0; i < nroots; i++) {
		for (size_t j = 0; j < ndirs; j++) {
			const struct rt_watch *sd = dirs[j];
			int wd;

			if (snprintf(path, sizeof(path), "%s/%s", storage_roots[i], sd->sub) >=
			    (int)sizeof(path))
				continue;
			if (sd->kind == RT_WATCH_CONTAINERS &&
			    (h->nroots == RH_MAX_ROOTS || strlen(path) >= sizeof(h->root_path[0])))
				continue;
			wd = inotify_add_watch(h->ifd, path,
					       sd->kind == RT_WATCH_CONTAINERS ? ROOT_MASK
									       : DATABASE_MASK);
			if (wd < 0)
				continue;
			if (sd->kind == RT_WATCH_CONTAINERS) {
				strcpy(h->root_path[h->nroots], path);
				h->root_states[h->nroots] = sd->states;
				h->root_wd[h->nroots] = wd;
				scan_root(h, h->nroots++);
			}
			n++;
		}
	}
	return n;
}

static int root_index(const struct rmhooks *h, int wd)
{
	for (int i = 0; i < h->nroots; i++)
		if (h->root_wd[i] == wd)
			return i;
	return -1;
}

int rmhooks_read(struct rmhooks *h, uint64_t now_ns, void (*written)(void *ctx, const char *id),
		 void *ctx)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	uint64_t generation = h->generation;
	bool rescan = false;
	int count = 0;
	ssize_t len;

	if (h->ifd < 0)
		return 0;
	while ((len = read(h->ifd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + len;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			const char *id;
			int root;

			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				/* events lost: assume the worst */
				rh_arm(h, now_ns, RH_STATE_NS);
				rescan = true;
				continue;
			}
			root = root_index(h, ev->wd);
			if (root >= 0) {
				if (!ev->len || !(ev->mask & IN_ISDIR))
					continue;
				if (ev->mask & (IN_CREATE | IN_MOVED_TO))
					watch_child(h, root, ev->name);
				else
					present_del(h, ev->name);
				continue;
			}
			if (ev->mask & IN_IGNORED)
				continue;
			rh_arm(h, now_ns, RH_STATE_NS);
			h->triggers++;
			count++;
			id = present_by_wd(h, ev->wd);
			if (id && written)
				written(ctx, id);
		}
	}
	if (rescan) {
		h->npresent = 0;
		h->generation++;
		for (int i = 0; i < h->nroots; i++)
			scan_root(h, i);
	}
	return count + (h->generation != generation);
}

void rmhooks_close(struct rmhooks *h)
{
	if (h->ifd >= 0)
		close(h->ifd);
	h->ifd = -1;
	free(h->present);
	free(h->present_wd);
	h->present = NULL;
	h->present_wd = NULL;
	h->npresent = h->present_cap = 0;
}
