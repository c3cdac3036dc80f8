/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the files of user/identity/ share and no one else needs: the readers
 * the runtimes table points to, and the helpers they have in common.
 */
#ifndef STOPTRACE_IDENTITY_INT_H
#define STOPTRACE_IDENTITY_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "identity/identity.h"
#include "lib/jsonr.h"

#define HEX_ID_LEN  64
#define POD_UID_MAX 63
#define META_MAX    (4u << 20)	/* one container's config file */
#define STORE_MAX   (16u << 20) /* a list of every container */

struct runtime_info;

/*
 * A container a runtime's metadata knows, for identity_find(): its id, its
 * first name ("" when none), and whether the name looked for is one of its
 * names.
 */
typedef void (*meta_found_fn)(void *ctx, enum runtime rt, const char *id, const char *name,
			      bool named);

/* The reader of one runtime's metadata (a row's meta column). */
struct rt_meta {
	/*
	 * Fill what c's files say of it (name, stop signal, ...; runtime and
	 * id set). Returns 0, or -errno when nothing could be read (-ENOENT:
	 * none for this container).
	 */
	int (*load)(const char *root, const struct runtime_info *rt, struct container *c);
	/* Its view of c's state (see identity_runtime_state()); NULL: not read. */
	int (*state)(const char *root, const struct runtime_info *rt, const struct container *c,
		     char *state, size_t cap);
	/* fn for every container it knows; name is the one looked for. */
	int (*each)(const char *root, const struct runtime_info *rt, const char *name,
		    meta_found_fn fn, void *ctx);
};

extern const struct rt_meta rt_meta_docker;	  /* meta_docker.c */
extern const struct rt_meta rt_meta_podman;	  /* meta_podman.c */
extern const struct rt_meta rt_meta_containerd;	  /* meta_containerd.c */
extern const struct rt_meta rt_meta_lxc;	  /* meta_lxc.c */
extern const struct rt_storage rt_storage_docker; /* storage.c */
extern const struct rt_storage rt_storage_cs;	  /* containers/storage: podman, cri-o */
extern const struct rt_storage rt_storage_containerd;
extern const struct rt_storage rt_storage_isulad;
extern const struct rt_storage rt_storage_lxc;

/*
 * The containerd snapshot (<...>/io.containerd.snapshotter.v1.overlayfs/
 * snapshots/<n>) whose fs/ is the upperdir of the overlay mounted at mnt, as
 * root + /proc/self/mountinfo says, into out (storage_snapshot.c). 0,
 * -ENOENT when there is no such mount, -EINVAL when its upperdir is not of
 * that shape.
 */
int storage_snapshot_dir(const char *root, const char *mnt, char *out, size_t size);

/* The kubelet's log links: c's name and pod (meta_kube.c). 0, or -errno. */
int meta_kube_load(const char *root, struct container *c);

/* root (without trailing slashes) + "/" + the formatted rest. */
int meta_root_path(char *buf, size_t size, const char *root, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Read and open meta_files[file] of rt for container id (a 64-hex id, else
 * -ENOENT), at most max bytes: *buf holds the text doc points into; free it
 * after use. Returns 0 or -errno.
 */
int meta_open(const char *root, const struct runtime_info *rt, unsigned int file, const char *id,
	      size_t max, char **buf, struct jsonr_val *doc);

/*
 * The task directory of container id in namespace ns (n bytes each, checked
 * containerd identifiers) under root: the first of rt's task_dirs where
 * <task_dir>/<ns>/<id> is a directory (not a symlink), into buf. Returns 0,
 * -ENOENT or -ENAMETOOLONG.
 */
int identity_task_dir(const char *root, const struct runtime_info *rt, const char *ns,
		      size_t ns_len, const char *id, size_t id_len, char *buf, size_t size);

/*
 * What an LXC config says of the signals that stop the container:
 * lxc.signal.halt (lxc-stop's; SIGPWR when unset, and halt_set false: lxc-stop
 * then sends SIGRTMIN+3 to an init that blocks it, as systemd does) and
 * lxc.signal.stop (the kill after lxc-stop's timeout; SIGKILL when unset).
 * Values that are not exactly a signal (1 to 64) are ignored; lxc.include is
 * not followed (meta_lxc.c).
 */
struct lxc_signals {
	int halt;
	int stop;
	bool halt_set;
};

void meta_lxc_parse(const char *text, size_t len, struct lxc_signals *out);

/* The stop signal at rt's stop_signal keys of its config doc into *sig, when known. */
void meta_stop_signal(const struct runtime_info *rt, const struct jsonr_val *doc, int *sig);

/* Copy string v into dst (size bytes) unless it is empty or unreadable; cut on UTF-8. */
bool meta_take_string(const struct jsonr_val *v, char *dst, size_t size, bool strip_slash);

#endif /* STOPTRACE_IDENTITY_INT_H */
