/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * When the removal hooks are attached. They sit on syscall tracepoints, and
 * an enabled syscall tracepoint puts every syscall on the host on the slow
 * path (a getppid loop: +33 %), so by default they are attached only while a
 * removal can be under way:
 *  - while a container's stop is open (a stop signal, a kill, its init's
 *    exit: the runtime unmounts the rootfs next, and --rm or rm -f removes
 *    it right after), and while a removal timeline is open;
 *  - while a runtime keeps a container that is not running (created or
 *    exited): its removal can start at any time. The runtimes' container
 *    directories (Docker's containers/, Podman's overlay-containers/: the
 *    watch column of the runtimes table) are watched for that;
 *  - when a runtime writes its container state (Docker rewrites
 *    config.v2.json, marked dead, just before it removes a container's
 *    storage; Podman writes its state database), seen with inotify;
 *  - for RH_LINGER_NS after a stop, for the `docker rm` that a script runs
 *    right after `docker stop`, and RH_STATE_NS after a state write (an
 *    open removal keeps them attached once its first call is seen).
 * What can be missed: removals of containers whose runtime stoptrace does
 * not watch, when they come more than RH_LINGER_NS after the stop.
 * The policy (rh_want) is pure; rmhooks_* own the inotify watches.
 */
#ifndef STOPTRACE_RMHOOKS_H
#define STOPTRACE_RMHOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RH_LINGER_NS (60ULL * 1000000000ULL) /* after a stop */
#define RH_STATE_NS  (5ULL * 1000000000ULL)  /* after a runtime state write */
#define RH_MAX_ROOTS 16
#define RH_ID_LEN    65

enum rh_mode {
	RH_AUTO,      /* on demand where this process can attach them later, else always */
	RH_ON_DEMAND, /* attached while a removal can be under way */
	RH_ALWAYS,    /* attached from start to end */
};

const char *rh_mode_name(enum rh_mode mode);
/* "auto", "on-demand", "always" -> 0 and *mode; -EINVAL otherwise. */
int rh_mode_parse(const char *s, enum rh_mode *mode);

struct rh_inputs {
	uint64_t now_ns;
	size_t open_stops;	/* stop timelines under way */
	size_t open_removals;	/* removal timelines under way */
	size_t idle_containers; /* kept by a runtime, not running */
};

struct rmhooks {
	enum rh_mode mode; /* RH_ON_DEMAND or RH_ALWAYS once decided */
	bool attached;
	uint64_t armed_until_ns; /* attached at least until then */
	uint64_t attaches;	 /* times attached on demand */
	uint64_t triggers;	 /* runtime state writes seen */
	uint64_t attach_errors;
	uint64_t attached_since_ns;
	uint64_t attached_total_ns; /* time attached before attached_since_ns */
	int ifd;		    /* inotify, -1 when none */
	int root_wd[RH_MAX_ROOTS];  /* watches on the runtimes' container directories */
	char root_path[RH_MAX_ROOTS][256];
	bool root_states[RH_MAX_ROOTS]; /* its subdirectories hold state files (Docker) */
	char (*present)[RH_ID_LEN];	/* every container directory's name, unsorted */
	int *present_wd;		/* its watch (state files), -1 when none */
	size_t npresent, present_cap;
	uint64_t generation; /* bumped when present changes */
	int nroots;
};

/* Keep them attached at least until now + for_ns. */
void rh_arm(struct rmhooks *h, uint64_t now_ns, uint64_t for_ns);
/* Whether they should be attached now; also arms while stops or removals are open. */
bool rh_want(struct rmhooks *h, const struct rh_inputs *in);
/* Bookkeeping after an attach (ok) or detach. */
void rh_attached(struct rmhooks *h, bool attached, uint64_t now_ns);
/* Nanoseconds attached so far. */
uint64_t rh_attached_ns(const struct rmhooks *h, uint64_t now_ns);

/*
 * Watch the runtimes' state under each storage root (root: "" or a prefix
 * for tests). Returns the number of directories watched or -errno.
 */
int rmhooks_watch(struct rmhooks *h, const char *const *storage_roots, int nroots);
/* The container directories now present: ids[i] for i < return value. */
size_t rmhooks_present(const struct rmhooks *h, const char (**ids)[RH_ID_LEN]);
/*
 * Read pending inotify events; arms when a runtime wrote its state, and
 * calls written(ctx, id) for a write in a container's own directory (the
 * directory's name: Docker's id). Returns the state writes seen, plus one
 * when the container directories changed.
 */
int rmhooks_read(struct rmhooks *h, uint64_t now_ns, void (*written)(void *ctx, const char *id),
		 void *ctx);
void rmhooks_close(struct rmhooks *h);

#endif /* STOPTRACE_RMHOOKS_H */
