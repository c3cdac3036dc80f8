// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `stoptrace diagnose CONTAINER`: a one-shot look at a container as it is
 * now, from /proc, cgroupfs and the runtime's metadata, needing no BPF. It
 * predicts what PID 1 will do with the stop signal (S2), finds what would
 * keep the pid namespace from being torn down (S5), and what would make the
 * removal of its storage fail (S6). Every fact is read under a root prefix
 * (--root, for tests on fixture trees). Names, paths and process names come
 * from the host's tenants: they are escaped in both output formats.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "lib/readfile.h"
#include "privilege/caps.h"
#include "host/culprits.h"
#include "diagnose/diagnose.h"
#include "identity/identity.h"
#include "lib/jsonr.h"
#include "lib/jsonw.h"
#include "host/mountinfo.h"
#include "lib/names.h"
#include "host/procfs.h"
#include "report/records.h"
#include "identity/storage.h"

#define EXIT_OK	      0
#define EXIT_ERROR    1
#define EXIT_USAGE    2
#define EXIT_PROBLEM  3
#define EXIT_NOTFOUND 4

#define PROCS_MAX    (1 << 20) /* processes scanned on one host, at most */
#define HAZARDS_MAX  16
#define PROBLEMS_MAX 24
#define META_MAX     (16u << 20)
#define MSG_LEN	     768

static const char usage[] =
	"USAGE\n"
	"  stoptrace diagnose CONTAINER [--format text|json]\n"
	"\n"
	"Look at a container now, without tracing: what its PID 1 will do with the stop\n"
	"signal, every process in its pid namespace (with those of containers sharing it)\n"
	"and whether it is frozen, and which other mount namespaces still hold its\n"
	"storage. CONTAINER is an id, a unique id prefix or a name.\n"
	"\n"
	"OPTIONS\n"
	"  --format text|json   output format (default: text on a terminal, else json)\n"
	"  --root DIR           read /proc, /sys and /var/lib under DIR (for tests)\n"
	"  -h, --help           print this help and exit\n"
	"\n"
	"EXAMPLES\n"
	"  sudo stoptrace diagnose web-1\n"
	"  sudo stoptrace diagnose 3f2a --format json\n"
	"\n"
	"EXIT STATUS\n"
	"  0 nothing wrong, 3 a problem predicted or found, 4 no such container,\n"
	"  2 bad usage, 1 any other error\n";

/* One process of the host, from the scan of /proc. */
struct pinfo {
	int pid;
	int ppid;
	uint64_t mntns; /* 0 when unreadable */
	int nspid_levels;
	int ns_pid; /* innermost */
	bool in_ctr;
	bool in_ctr_cgroup; /* in the container's own cgroup, not one below it */
	char comm[PROC_NAME_LEN];
};

struct hazard {
	int pid;
	char comm[PROC_NAME_LEN];
	uint64_t mntns;
	const char *match;	       /* "device", "overlay_options", "root", "path" */
	char path[MI_PATH_LEN];	       /* what it holds, in the host's view */
	char mount_point[MI_PATH_LEN]; /* where, in its own view */
};

struct problem {
	const char *kind;
	char message[MSG_LEN];
	char action[MSG_LEN];
};

/* Where a path of the host's view lives: its filesystem and its path in it. */
struct fs_spot {
	bool found;
	unsigned int major, minor;
	char fsroot[MI_PATH_LEN];
};

struct diag {
	const char *root;
	struct container c;

	/* the scan of /proc */
	struct pinfo *procs;
	size_t nprocs;
	size_t procs_cap;
	bool cgroup_own;	/* c.cgroup is the container's own, not one below */
	uint64_t runtime_mntns; /* where the runtime mounts: dockerd's, else ours */
	int runtime_pid;	/* whose mountinfo is the host's view; 0: ours */

	/* runtime metadata */
	bool meta_paused, dead;

	/* PID 1 */
	bool running;
	int init_pid;
	struct proc_status init;
	char init_wchan[64];
	bool ns_init;
	uint64_t pidns;

	/* the stop signal */
	int sig;
	const char *prediction;
	char prediction_why[MSG_LEN];

	/* the pid namespace */
	struct culprit ns_procs[CULPRITS_MAX];
	int nns_total;
	int nns;
	bool ns_stuck[CULPRITS_MAX];

	/* removal */
	bool removal_checked;
	char storage[PATH_MAX - 64]; /* room for "/merged" */
	char ctr_dir[PATH_MAX - 64];
	char removal_note[MSG_LEN];
	struct hazard hazards[HAZARDS_MAX];
	int nhazards;
	int nhazards_total;

	struct problem problems[PROBLEMS_MAX];
	int nproblems;

	bool caps_dropped; /* on the live system: caps is what it kept */
	uint64_t caps;
};

/* ---- small readers ---- */

/* The inode of a namespace link <root>/proc/<pid>/ns/<kind>, "mnt:[4026531840]". */
static int ns_inode(const char *root, const char *pid, const char *kind, uint64_t *inode)
{
	char path[PATH_MAX], link[64], want[16];
	unsigned long long v;
	char *end;
	ssize_t n;
	size_t wl;

	if (snprintf(path, sizeof(path), "%s/proc/%s/ns/%s", root, pid, kind) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = '\0';
	wl = (size_t)snprintf(want, sizeof(want), "%s:[", kind);
	if (strncmp(link, want, wl) || link[wl] < '0' || link[wl] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(link + wl, &end, 10);
	if (errno || strcmp(end, "]"))
		return -EINVAL;
	*inode = v;
	return 0;
}

static bool path_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n == 1 && dir[0] == '/')
		return path[0] == '/';
	return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}

/* Escape for the text format into buf; returns buf. */
static const char *tesc(char *buf, size_t cap, const char *s)
{
	text_escape(buf, cap, s, strlen(s));
	return buf;
}

static struct problem *add_problem(struct diag *d, const char *kind)
{
	struct problem *p;

	if (d->nproblems >= PROBLEMS_MAX)
		return NULL;
	p = &d->problems[d->nproblems++];
	p->kind = kind;
	p->message[0] = '\0';
	p->action[0] = '\0';
	return p;
}

/* A name for the container in messages: its name, else the first 12 of its id. */
static void label_of(const struct container *c, char *buf, size_t cap)
{
	if (c->name[0])
		snprintf(buf, cap, "%s", c->name);
	else
		snprintf(buf, cap, "%.12s", c->id);
}

/* ---- the scan of /proc ---- */

struct cgroup_hit {
	const char *id;
	bool hit;
	bool v2;
	bool own; /* the path's last component names the container */
	char path[CGROUP_PATH_LEN];
};

static int cgroup_is_ours(int hierarchy_id, const char *controllers, const char *path, void *ctx)
{
	struct cgroup_hit *h = ctx;
	struct cgroup_match m;
	bool v2 = hierarchy_id == 0 && !*controllers;
	const char *last = strrchr(path, '/');

	if (!identity_parse_cgroup(path, &m) || strcmp(m.id, h->id))
		return 0;
	/* the cgroup v2 path names it best; else the first v1 line */
	if (!h->hit || (v2 && !h->v2)) {
		snprintf(h->path, sizeof(h->path), "%s", path);
		h->own = last && strstr(last, h->id);
	}
	h->hit = true;
	h->v2 |= v2;
	return 0;
}

static int scan_pid(int pid, void *ctx)
{
	struct diag *d = ctx;
	struct cgroup_hit hit = {.id = d->c.id};
	struct proc_status st;
	struct pinfo *p, *tmp;
	char num[16];
	size_t cap;

	if (procfs_read_status(d->root, pid, &st))
		return 0; /* gone since readdir, or not ours to read */
	if (d->nprocs >= PROCS_MAX)
		return 0;
	if (d->nprocs == d->procs_cap) {
		cap = d->procs_cap ? d->procs_cap * 2 : 256;
		tmp = realloc(d->procs, cap * sizeof(*tmp));
		if (!tmp)
			return -ENOMEM;
		d->procs = tmp;
		d->procs_cap = cap;
	}
	p = &d->procs[d->nprocs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->ppid = st.ppid;
	p->nspid_levels = st.nspid_count;
	p->ns_pid = st.nspid_count ? st.nspid[st.nspid_count - 1] : pid;
	memcpy(p->comm, st.name, sizeof(p->comm));
	snprintf(num, sizeof(num), "%d", pid);
	if (ns_inode(d->root, num, "mnt", &p->mntns))
		p->mntns = 0;
	procfs_read_cgroup(d->root, pid, cgroup_is_ours, &hit);
	p->in_ctr = hit.hit;
	p->in_ctr_cgroup = hit.own;
	if (hit.hit && (!d->c.cgroup[0] || (hit.own && !d->cgroup_own))) {
		snprintf(d->c.cgroup, sizeof(d->c.cgroup), "%s", hit.path);
		d->cgroup_own = hit.own;
	}
	/* the daemon, not a container's process that calls itself dockerd */
	if (!strcmp(st.name, "dockerd") && st.nspid_count <= 1 && p->mntns && !d->runtime_pid) {
		d->runtime_pid = pid;
		d->runtime_mntns = p->mntns;
	}
	return 0;
}

static const struct pinfo *find_proc(const struct diag *d, int pid)
{
	for (size_t i = 0; i < d->nprocs; i++)
		if (d->procs[i].pid == pid)
			return &d->procs[i];
	return NULL;
}

/* Is p a better PID 1 than best: in the container's own cgroup, outermost, first. */
static bool better_init(const struct pinfo *p, const struct pinfo *best)
{
	if (!best)
		return true;
	if (p->in_ctr_cgroup != best->in_ctr_cgroup)
		return p->in_ctr_cgroup;
	if (p->nspid_levels != best->nspid_levels)
		return p->nspid_levels < best->nspid_levels;
	return p->pid < best->pid;
}

/*
 * PID 1 of the container: a process of its cgroup that is pid 1 of a pid
 * namespace; when there are several (a process below the container's cgroup
 * that made a namespace of its own), the one in the container's own cgroup
 * and outermost. A container that shares another's pid namespace has no
 * such process: its first process is the one whose parent is not in it.
 */
static int find_init(const struct diag *d)
{
	const struct pinfo *best = NULL, *p, *parent;

	for (size_t i = 0; i < d->nprocs; i++) {
		p = &d->procs[i];
		if (p->in_ctr && p->ns_pid == 1 && p->nspid_levels >= 2 && better_init(p, best))
			best = p;
	}
	if (best)
		return best->pid;
	for (size_t i = 0; i < d->nprocs; i++) {
		p = &d->procs[i];
		if (!p->in_ctr)
			continue;
		parent = find_proc(d, p->ppid);
		if ((!parent || !parent->in_ctr) && better_init(p, best))
			best = p;
	}
	return best ? best->pid : 0;
}

/* ---- runtime metadata ---- */

static bool json_true(const struct jsonr_val *doc, const char *a, const char *b)
{
	struct jsonr_val v;

	return !jsonr_get_path(doc, &v, a, b, NULL) && v.type == JSONR_TRUE;
}

/* Docker's view of the container: config.v2.json "State". */
static void docker_state(struct diag *d)
{
	char path[PATH_MAX], status[32];
	struct jsonr_val doc, v;
	char *buf = NULL;
	size_t len;

	if (snprintf(path, sizeof(path), "%s/var/lib/docker/containers/%s/config.v2.json", d->root,
		     d->c.id) >= (int)sizeof(path))
		return;
	if (read_file_max(path, META_MAX, &buf, &len))
		return;
	if (!jsonr_init(&doc, buf, len)) {
		d->meta_paused = json_true(&doc, "State", "Paused");
		d->dead = json_true(&doc, "State", "Dead");
		if (!jsonr_get_path(&doc, &v, "State", "Status", NULL) &&
		    !jsonr_string(&v, status, sizeof(status)) && !strcmp(status, "dead"))
			d->dead = true;
	}
	free(buf);
}

/*
 * The storage directories of the container, as paths in the host's view:
 * its writable layer and the runtime's directory for it. Only docker's and
 * podman's are checked.
 */
static void storage_dirs(struct diag *d)
{
	if (d->c.runtime != RUNTIME_DOCKER && d->c.runtime != RUNTIME_PODMAN) {
		snprintf(d->removal_note, sizeof(d->removal_note),
			 "storage of %s containers is not checked", runtime_name(d->c.runtime));
		return;
	}
	if (storage_layer(d->root, &d->c, d->storage, sizeof(d->storage))) {
		d->storage[0] = '\0';
		if (d->c.runtime == RUNTIME_DOCKER)
			snprintf(
				d->removal_note, sizeof(d->removal_note),
				"no overlay2 mount-id for it in /var/lib/docker/image/overlay2/layerdb: not checked");
		else
			snprintf(d->removal_note, sizeof(d->removal_note),
				 "no layer for it in podman's containers.json: not checked");
		return;
	}
	if (storage_container_dir(d->root, &d->c, d->ctr_dir, sizeof(d->ctr_dir))) {
		d->storage[0] = '\0';
		snprintf(d->removal_note, sizeof(d->removal_note),
			 "no storage directory known for it: not checked");
		return;
	}
	d->removal_checked = true;
}

/* ---- the stop signal ---- */

static void predict_stop_signal(struct diag *d)
{
	const char *name = signal_name(d->sig) ? signal_name(d->sig) : "the stop signal";
	const struct proc_status *st = &d->init;
	bool sigwait = strstr(d->init_wchan, "sigtimedwait") != NULL;
	int disp = procfs_signal_disposition(st, d->sig);
	struct problem *p = NULL;
	char *why = d->prediction_why;
	size_t cap = sizeof(d->prediction_why);

	if (d->sig == SIGKILL) {
		d->prediction = "default_fatal";
		snprintf(why, cap, "SIGKILL cannot be caught: PID 1 dies at once, without cleanup");
	} else if (procfs_signal_blocked(st, d->sig) || (sigwait && disp == PROC_SIG_DEFAULT)) {
		/*
		 * tini and other signal-forwarding inits block every signal and
		 * collect them with sigtimedwait(), which unblocks them while it
		 * sleeps: a blocked or default signal then reaches it.
		 */
		if (sigwait) {
			d->prediction = "waited_for";
			snprintf(
				why, cap,
				"PID 1 blocks %s and waits for it (sigtimedwait): it will be handled",
				name);
		} else {
			d->prediction = "blocked";
			snprintf(
				why, cap,
				"%s is blocked by PID 1: it stays pending; docker stop will wait the full grace period, then SIGKILL",
				name);
			p = add_problem(d, "stop_signal_blocked");
			if (p)
				snprintf(
					p->action, sizeof(p->action),
					"make PID 1 unblock %s (or wait for it with sigwaitinfo), or run the container with --init",
					name);
		}
	} else if (disp == PROC_SIG_IGNORED) {
		d->prediction = "ignored";
		snprintf(
			why, cap,
			"%s will be ignored: PID 1 set it to SIG_IGN; docker stop will wait the full grace period, then SIGKILL",
			name);
		p = add_problem(d, "stop_signal_ignored");
		if (p)
			snprintf(
				p->action, sizeof(p->action),
				"do not ignore %s in PID 1 (a shell's trap '' TERM does), or give the image a STOPSIGNAL it handles",
				name);
	} else if (disp == PROC_SIG_HANDLER) {
		d->prediction = "handled";
		snprintf(why, cap, "PID 1 has a %s handler: it will be handled", name);
	} else if (d->ns_init) {
		/* the kernel drops default-action signals to a namespace init */
		d->prediction = "ignored";
		snprintf(
			why, cap,
			"%s will be ignored: PID 1 has no handler (a namespace init ignores default-action signals); docker stop will wait the full grace period, then SIGKILL",
			name);
		p = add_problem(d, "stop_signal_ignored");
		if (p)
			snprintf(
				p->action, sizeof(p->action),
				"run the container with --init (tini as PID 1), or give PID 1 a %s handler",
				name);
	} else if (signal_fatal_by_default(d->sig)) {
		d->prediction = "default_fatal";
		snprintf(
			why, cap,
			"PID 1 is not a namespace init and has no handler: %s kills it at once, without cleanup",
			name);
	} else {
		d->prediction = "ignored";
		snprintf(
			why, cap,
			"%s will be ignored: PID 1 has no handler and its default action does not end a process",
			name);
		p = add_problem(d, "stop_signal_ignored");
		if (p)
			snprintf(
				p->action, sizeof(p->action),
				"give the image a STOPSIGNAL that ends it (SIGTERM with a handler)");
	}
	if (p)
		snprintf(p->message, sizeof(p->message), "%s", why);
}

/* ---- the pid namespace ---- */

static int by_pid(const void *a, const void *b)
{
	const struct culprit *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/*
 * Can this task keep the namespace teardown waiting? The v1 freezer holds
 * even SIGKILL (its tasks show state D); the v2 freezer lets it through.
 */
static bool cannot_die(const struct culprit *c)
{
	return c->state == 'D' || (c->frozen && !strncmp(c->frozen_how, "v1 ", 3));
}

/*
 * When PID 1 of a namespace exits, the kernel kills every task left in it
 * and waits for them: a task that cannot die (frozen by the v1 freezer, in
 * uninterruptible sleep) keeps the stop hanging (S5).
 */
static void check_namespace(struct diag *d)
{
	char label[NAME_LEN];
	struct problem *p;
	int n;

	n = culprits_find(d->root, d->pidns, 0, NULL, d->ns_procs, CULPRITS_MAX);
	if (n < 0)
		return;
	d->nns_total = n;
	d->nns = n < CULPRITS_MAX ? n : CULPRITS_MAX;
	qsort(d->ns_procs, (size_t)d->nns, sizeof(d->ns_procs[0]), by_pid);
	if (!d->ns_init)
		return; /* stopping it does not tear the namespace down */
	for (int i = 0; i < d->nns; i++) {
		const struct culprit *c = &d->ns_procs[i];
		bool seen = false;

		if (!cannot_die(c))
			continue;
		d->ns_stuck[i] = true;
		/* one problem per paused container, however many tasks it has */
		for (int j = 0; c->frozen && c->in_container && j < i; j++)
			seen |= d->ns_stuck[j] && d->ns_procs[j].frozen &&
				d->ns_procs[j].in_container &&
				!strcmp(d->ns_procs[j].container.id, c->container.id);
		if (seen)
			continue;
		p = add_problem(d, "ns_teardown_stuck");
		if (!p)
			break;
		if (c->frozen && c->in_container) {
			label_of(&c->container, label, sizeof(label));
			snprintf(
				p->message, sizeof(p->message),
				"stopping this container will hang in namespace teardown: %s is paused%s (process %u %s, %s)",
				label, strcmp(c->container.id, d->c.id) ? "" : " itself", c->pid,
				c->comm, c->frozen_how[0] ? c->frozen_how : "cgroup frozen");
		} else if (c->frozen) {
			snprintf(
				p->message, sizeof(p->message),
				"stopping this container will hang in namespace teardown: process %u (%s) is in a frozen cgroup (%s)",
				c->pid, c->comm, c->frozen_how);
		} else {
			snprintf(
				p->message, sizeof(p->message),
				"stopping this container will hang in namespace teardown: process %u (%s) is in uninterruptible sleep%s%s",
				c->pid, c->comm, c->wchan[0] ? " in " : "", c->wchan);
		}
		culprit_fix(c, p->action, sizeof(p->action));
	}
}

/* ---- removal hazards ---- */

/* Where the host's view puts path: the mount holding it, longest mount point first. */
static void locate(const char *mountinfo, const char *path, struct fs_spot *spot,
		   struct mount_entry *m)
{
	size_t best = 0, mpl;
	char *line = NULL;
	size_t linecap = 0;
	FILE *f;

	memset(spot, 0, sizeof(*spot));
	f = fopen(mountinfo, "re");
	if (!f)
		return;
	while (getline(&line, &linecap, f) > 0) {
		if (mountinfo_parse_line(line, m) || !path_under(path, m->mount_point))
			continue;
		mpl = strlen(m->mount_point);
		if (spot->found && mpl < best)
			continue;
		best = mpl;
		spot->found = true;
		spot->major = m->major;
		spot->minor = m->minor;
		/* the path inside the filesystem: the mount's root, then the rest */
		snprintf(spot->fsroot, sizeof(spot->fsroot), "%s%s",
			 strcmp(m->root, "/") || !path[mpl == 1 ? 0 : mpl] ? m->root : "",
			 path + (mpl == 1 ? 0 : mpl));
	}
	free(line);
	fclose(f);
}

/* The mount of the container's merged directory in the host's view, if mounted. */
static bool merged_device(const char *mountinfo, const char *merged, unsigned int *major,
			  unsigned int *minor, int *shared_id, struct mount_entry *m)
{
	char *line = NULL;
	size_t linecap = 0;
	bool found = false;
	FILE *f;

	f = fopen(mountinfo, "re");
	if (!f)
		return false;
	while (!found && getline(&line, &linecap, f) > 0) {
		if (mountinfo_parse_line(line, m) || strcmp(m->mount_point, merged))
			continue;
		*major = m->major;
		*minor = m->minor;
		*shared_id = m->shared_id;
		found = true;
	}
	free(line);
	fclose(f);
	return found;
}

struct removal_scan {
	char merged[PATH_MAX];
	bool merged_mounted;
	unsigned int merged_major, merged_minor;
	int merged_shared; /* the host mount's peer group, 0 when private */
	const char *dirs[2];
	struct fs_spot spots[2];
	struct mount_entry *m;
};

/* Does mount m (in a foreign namespace) hold the container's storage? What path? */
static const char *holds(const struct diag *d, const struct removal_scan *s,
			 const struct mount_entry *m, char *path, size_t cap)
{
	char needle[PATH_MAX + 2];

	/*
	 * A copy that receives the host's unmounts (a slave of, or a peer in,
	 * the host mount's peer group: a monitor's own pod with HostToContainer
	 * propagation) goes away with the host's unmount: it holds nothing.
	 */
	if (s->merged_mounted && s->merged_shared &&
	    (m->master_id == s->merged_shared || m->shared_id == s->merged_shared) &&
	    m->major == s->merged_major && m->minor == s->merged_minor)
		return NULL;
	if (s->merged_mounted && m->major == s->merged_major && m->minor == s->merged_minor) {
		snprintf(path, cap, "%s", s->merged);
		return "device";
	}
	snprintf(needle, sizeof(needle), "%s/", d->storage);
	if (!strcmp(m->fstype, "overlay") && strstr(m->super_opts, needle)) {
		snprintf(path, cap, "%s", s->merged);
		return "overlay_options";
	}
	for (int i = 0; i < 2; i++) {
		const struct fs_spot *sp = &s->spots[i];

		if (sp->found && m->major == sp->major && m->minor == sp->minor &&
		    path_under(m->root, sp->fsroot)) {
			snprintf(path, cap, "%s%s", s->dirs[i], m->root + strlen(sp->fsroot));
			return "root";
		}
	}
	for (int i = 0; i < 2; i++) {
		if (path_under(m->mount_point, s->dirs[i])) {
			snprintf(path, cap, "%s", m->mount_point);
			return "path";
		}
	}
	return NULL;
}

/* Read one process's mountinfo; add a hazard per mount holding the storage. */
static int scan_mountinfo(struct diag *d, struct removal_scan *s, const struct pinfo *p)
{
	char path[PATH_MAX], held[MI_PATH_LEN];
	char *line = NULL;
	size_t linecap = 0;
	const char *how;
	struct hazard *h;
	FILE *f;

	snprintf(path, sizeof(path), "%s/proc/%d/mountinfo", d->root, p->pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (getline(&line, &linecap, f) > 0) {
		if (mountinfo_parse_line(line, s->m))
			continue;
		how = holds(d, s, s->m, held, sizeof(held));
		if (!how)
			continue;
		d->nhazards_total++;
		if (d->nhazards >= HAZARDS_MAX)
			continue;
		h = &d->hazards[d->nhazards++];
		h->pid = p->pid;
		memcpy(h->comm, p->comm, sizeof(h->comm));
		h->mntns = p->mntns;
		h->match = how;
		snprintf(h->path, sizeof(h->path), "%s", held);
		snprintf(h->mount_point, sizeof(h->mount_point), "%s", s->m->mount_point);
	}
	free(line);
	fclose(f);
	return 0;
}

static bool in_list(const uint64_t *list, size_t n, uint64_t v)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == v)
			return true;
	return false;
}

/*
 * Mounts of the container's storage held in mount namespaces other than its
 * own and the runtime's: one mountinfo read per namespace. Paths differ
 * between namespaces, so a mount matches by device (the overlay's), by the
 * overlay's options (upperdir=<storage>/diff) or by device and root (a bind
 * mount of a directory of the storage), and only then by path.
 */
static void check_removal(struct diag *d)
{
	struct removal_scan *s;
	uint64_t *done = NULL;
	size_t ndone = 0;
	char host_mi[PATH_MAX];
	struct problem *p;
	char comm[PROC_NAME_LEN];

	storage_dirs(d);
	if (!d->removal_checked)
		return;
	s = calloc(1, sizeof(*s));
	if (s)
		s->m = malloc(sizeof(*s->m));
	done = calloc(d->nprocs + 2, sizeof(*done));
	if (!s || !s->m || !done) {
		d->removal_checked = false;
		snprintf(d->removal_note, sizeof(d->removal_note), "out of memory: not checked");
		goto cleanup;
	}
	if (d->runtime_pid)
		snprintf(host_mi, sizeof(host_mi), "%s/proc/%d/mountinfo", d->root, d->runtime_pid);
	else
		snprintf(host_mi, sizeof(host_mi), "%s/proc/self/mountinfo", d->root);
	if (!d->runtime_mntns && ns_inode(d->root, "self", "mnt", &d->runtime_mntns))
		d->runtime_mntns = 0;
	snprintf(s->merged, sizeof(s->merged), "%s/merged", d->storage);
	s->merged_mounted = merged_device(host_mi, s->merged, &s->merged_major, &s->merged_minor,
					  &s->merged_shared, s->m);
	s->dirs[0] = d->storage;
	s->dirs[1] = d->ctr_dir;
	locate(host_mi, d->storage, &s->spots[0], s->m);
	locate(host_mi, d->ctr_dir, &s->spots[1], s->m);

	/* the namespaces not to look at: the runtime's and the container's own */
	done[ndone++] = 0;
	done[ndone++] = d->runtime_mntns;
	for (size_t i = 0; i < d->nprocs; i++)
		if (d->procs[i].in_ctr && !in_list(done, ndone, d->procs[i].mntns))
			done[ndone++] = d->procs[i].mntns;
	for (size_t i = 0; i < d->nprocs; i++) {
		const struct pinfo *pi = &d->procs[i];

		/* a namespace is done once one of its processes' mountinfo was read */
		if (in_list(done, ndone, pi->mntns) || scan_mountinfo(d, s, pi))
			continue;
		done[ndone++] = pi->mntns;
	}
	for (int i = 0; i < d->nhazards; i++) {
		const struct hazard *h = &d->hazards[i];

		p = add_problem(d, "rootfs_removal_failed");
		if (!p)
			break;
		memcpy(comm, h->comm, sizeof(comm));
		snprintf(
			p->message, sizeof(p->message),
			"removal may fail with EBUSY: process %d (%s) in mount namespace %llu still mounts %.500s",
			h->pid, comm, (unsigned long long)h->mntns, h->path);
		snprintf(
			p->action, sizeof(p->action),
			"unmount it in that namespace (nsenter -t %d -m, then umount its mount point) or end process %d",
			h->pid, h->pid);
	}
cleanup:
	if (s)
		free(s->m);
	free(s);
	free(done);
}

/* ---- output ---- */

static void json_problems(struct jsonw *w, const struct diag *d, int max)
{
	int n = d->nproblems < max ? d->nproblems : max;

	jsonw_arr_key(w, "problems");
	for (int i = 0; i < n; i++) {
		jsonw_obj_key(w, NULL);
		jsonw_str(w, "kind", d->problems[i].kind);
		jsonw_str(w, "message", d->problems[i].message);
		jsonw_str(w, "action", d->problems[i].action);
		jsonw_obj_close(w);
	}
	jsonw_arr_close(w);
	if (n < d->nproblems)
		jsonw_int(w, "problems_left_out", d->nproblems - n);
}

/* The record with at most nprocs processes, nhaz hazards and nprob problems. */
static size_t diagnosis_json(const struct diag *d, const struct record_ctx *rc, uint64_t now,
			     int nprocs, int nhaz, int nprob, size_t str_max, char *buf, size_t cap)
{
	const char *sig = signal_name(d->sig);
	struct jsonw w;
	char state[2] = "";

	jsonw_init(&w, buf, cap);
	jsonw_cut_strings(&w, str_max);
	record_begin(&w, rc, "diagnosis", now);
	record_container(&w, &d->c, 0);
	jsonw_bool(&w, "running", d->running);
	if (d->dead)
		jsonw_bool(&w, "dead", true);
	if (d->meta_paused)
		jsonw_bool(&w, "paused", true);
	if (d->running) {
		jsonw_obj_key(&w, "init");
		jsonw_uint(&w, "pid", (uint64_t)d->init_pid);
		jsonw_uint(&w, "ns_pid",
			   d->init.nspid_count ? (uint64_t)d->init.nspid[d->init.nspid_count - 1]
					       : (uint64_t)d->init_pid);
		jsonw_str(&w, "comm", d->init.name);
		jsonw_bool(&w, "ns_init", d->ns_init);
		jsonw_str(&w, "wchan", d->init_wchan);
		jsonw_obj_close(&w);
		jsonw_uint(&w, "pidns", d->pidns);
	} else {
		jsonw_null(&w, "init");
	}
	if (sig)
		jsonw_str(&w, "stop_signal", sig);
	else
		jsonw_int(&w, "stop_signal", d->sig);
	if (d->prediction) {
		jsonw_str(&w, "stop_signal_prediction", d->prediction);
		jsonw_str(&w, "stop_signal_reason", d->prediction_why);
	} else {
		jsonw_null(&w, "stop_signal_prediction");
	}
	jsonw_arr_key(&w, "processes");
	for (int i = 0; i < d->nns && i < nprocs; i++) {
		const struct culprit *c = &d->ns_procs[i];
		char fix[MSG_LEN];

		state[0] = c->state ? c->state : '?';
		state[1] = '\0';
		jsonw_obj_key(&w, NULL);
		jsonw_uint(&w, "pid", c->pid);
		jsonw_uint(&w, "ns_pid", c->ns_pid);
		jsonw_str(&w, "comm", c->comm);
		jsonw_str(&w, "state", state);
		jsonw_str(&w, "wchan", c->wchan);
		if (c->in_container) {
			jsonw_obj_key(&w, "container");
			jsonw_str(&w, "id", c->container.id);
			jsonw_str(&w, "name", c->container.name);
			jsonw_str(&w, "runtime", runtime_name(c->container.runtime));
			jsonw_obj_close(&w);
		} else {
			jsonw_null(&w, "container");
		}
		jsonw_bool(&w, "frozen", c->frozen);
		if (c->frozen_how[0])
			jsonw_str(&w, "frozen_how", c->frozen_how);
		if (d->ns_stuck[i]) {
			culprit_fix(c, fix, sizeof(fix));
			jsonw_str(&w, "fix", fix);
		}
		jsonw_obj_close(&w);
	}
	jsonw_arr_close(&w);
	if (d->nns_total > nprocs || d->nns_total > d->nns)
		jsonw_int(&w, "processes_left_out",
			  d->nns_total - (nprocs < d->nns ? nprocs : d->nns));
	jsonw_obj_key(&w, "removal");
	jsonw_bool(&w, "checked", d->removal_checked);
	if (d->storage[0])
		jsonw_str(&w, "storage", d->storage);
	if (d->removal_note[0])
		jsonw_str(&w, "note", d->removal_note);
	jsonw_obj_close(&w);
	jsonw_arr_key(&w, "removal_hazards");
	for (int i = 0; i < d->nhazards && i < nhaz; i++) {
		const struct hazard *h = &d->hazards[i];

		jsonw_obj_key(&w, NULL);
		jsonw_uint(&w, "pid", (uint64_t)h->pid);
		jsonw_str(&w, "comm", h->comm);
		jsonw_uint(&w, "mnt_ns", h->mntns);
		jsonw_str(&w, "path", h->path);
		jsonw_str(&w, "mount_point", h->mount_point);
		jsonw_str(&w, "match", h->match);
		jsonw_obj_close(&w);
	}
	jsonw_arr_close(&w);
	if (d->nhazards_total > nhaz || d->nhazards_total > d->nhazards)
		jsonw_int(&w, "removal_hazards_left_out",
			  d->nhazards_total - (nhaz < d->nhazards ? nhaz : d->nhazards));
	json_problems(&w, d, nprob);
	jsonw_str(&w, "verdict", d->nproblems ? "problem" : "ok");
	if (d->caps_dropped)
		caps_json(&w, "capabilities", d->caps);
	jsonw_obj_close(&w);
	return w.overflow ? 0 : w.len;
}

static int print_json(const struct diag *d, const struct record_ctx *rc, uint64_t now)
{
	static const int limits[][4] = {{CULPRITS_MAX, HAZARDS_MAX, PROBLEMS_MAX, 0},
					{4, 4, 8, 0},
					{1, 1, 2, 0},
					{0, 0, 1, 0},
					{0, 0, 1, RECORD_CUT_LEN}};
	char *buf = malloc(RECORD_MAX);
	size_t len = 0;

	if (!buf)
		return -ENOMEM;
	/* never over one line's limit: list fewer processes, hazards, problems; cut strings */
	for (size_t i = 0; !len && i < sizeof(limits) / sizeof(limits[0]); i++)
		len = diagnosis_json(d, rc, now, limits[i][0], limits[i][1], limits[i][2],
				     (size_t)limits[i][3], buf, RECORD_MAX);
	if (len) {
		fwrite(buf, 1, len, stdout);
		fputc('\n', stdout);
	}
	free(buf);
	return len ? 0 : -E2BIG;
}

#define LABEL "%-15s"

static void print_text(const struct diag *d)
{
	char a[4 * NAME_LEN], b[4 * MI_PATH_LEN], e[4 * 256], f[4 * MSG_LEN];
	const char *sig = signal_name(d->sig);
	char signame[16];

	if (!sig) {
		snprintf(signame, sizeof(signame), "signal %d", d->sig);
		sig = signame;
	}
	label_of(&d->c, e, sizeof(e));
	printf(LABEL "%s (%s %.12s)\n", "Container", tesc(a, sizeof(a), e),
	       runtime_name(d->c.runtime), d->c.id);
	printf(LABEL "id %s\n", "", tesc(a, sizeof(a), d->c.id));
	if (d->c.cgroup[0])
		printf(LABEL "cgroup %s\n", "", tesc(b, sizeof(b), d->c.cgroup));
	if (d->running)
		printf(LABEL "running: PID 1 is pid %d (%s), %s, pid namespace %llu\n", "",
		       d->init_pid, tesc(a, sizeof(a), d->init.name),
		       d->ns_init ? "init of its own pid namespace"
				  : "in a pid namespace it does not own",
		       (unsigned long long)d->pidns);
	else
		printf(LABEL "%s\n", "",
		       d->dead ? "not running: Docker marks it Dead"
			       : "not running: nothing to predict for its stop");

	printf("\n" LABEL "%s", "Stop signal", sig);
	if (d->prediction)
		printf(": %s\n" LABEL "%s\n", d->prediction, "",
		       tesc(f, sizeof(f), d->prediction_why));
	else
		printf("\n");

	if (d->running) {
		printf("\n" LABEL "%d process%s, pid namespace %llu\n", "Pid namespace",
		       d->nns_total, d->nns_total == 1 ? "" : "es", (unsigned long long)d->pidns);
		printf(LABEL "%-8s %-7s %-5s %-6s %-16s %-16s %s\n", "", "PID", "NS PID", "STATE",
		       "FROZEN", "CONTAINER", "COMM", "WCHAN");
		for (int i = 0; i < d->nns; i++) {
			const struct culprit *c = &d->ns_procs[i];
			char ctr[NAME_LEN];

			if (c->in_container)
				label_of(&c->container, ctr, sizeof(ctr));
			else
				snprintf(ctr, sizeof(ctr), "-");
			printf(LABEL "%-8u %-7u %-5c %-6s %-16s %-16s %s\n", "", c->pid, c->ns_pid,
			       c->state ? c->state : '?', c->frozen ? "yes" : "no",
			       tesc(a, sizeof(a), ctr), tesc(e, sizeof(e), c->comm),
			       c->wchan[0] ? tesc(f, sizeof(f), c->wchan) : "-");
		}
		if (d->nns_total > d->nns)
			printf(LABEL "(%d more not shown)\n", "", d->nns_total - d->nns);
	}

	printf("\n" LABEL, "Removal");
	if (!d->removal_checked) {
		printf("%s\n", tesc(f, sizeof(f), d->removal_note));
	} else {
		printf("storage %s\n", tesc(b, sizeof(b), d->storage));
		if (!d->nhazards_total)
			printf(LABEL "no other mount namespace holds it\n", "");
		for (int i = 0; i < d->nhazards; i++) {
			const struct hazard *h = &d->hazards[i];

			printf(LABEL "pid %d (%s), mount namespace %llu, mounts %s", "", h->pid,
			       tesc(e, sizeof(e), h->comm), (unsigned long long)h->mntns,
			       tesc(b, sizeof(b), h->mount_point));
			if (strcmp(h->path, h->mount_point))
				printf(", that is %s", tesc(b, sizeof(b), h->path));
			printf(" (matched by %s)\n", h->match);
		}
	}

	printf("\n" LABEL, "Verdict");
	if (!d->nproblems) {
		printf("ok: nothing wrong found\n");
		return;
	}
	printf("%d problem%s\n", d->nproblems, d->nproblems == 1 ? "" : "s");
	for (int i = 0; i < d->nproblems; i++) {
		printf(LABEL "%s: %s\n", "", d->problems[i].kind,
		       tesc(f, sizeof(f), d->problems[i].message));
		printf(LABEL "  fix: %s\n", "", tesc(f, sizeof(f), d->problems[i].action));
	}
}

/* ---- the command ---- */

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "stoptrace diagnose: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'stoptrace diagnose --help'.\n");
	return EXIT_USAGE;
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Look at the running container: PID 1, its stop signal, its pid namespace. */
static int look_at_init(struct diag *d)
{
	const struct pinfo *p;
	int err;

	err = procfs_read_status(d->root, d->init_pid, &d->init);
	if (err)
		return err;
	if (procfs_read_wchan(d->root, d->init_pid, d->init_wchan, sizeof(d->init_wchan)))
		d->init_wchan[0] = '\0';
	p = find_proc(d, d->init_pid);
	d->ns_init = p && p->ns_pid == 1 && p->nspid_levels >= 2;
	err = procfs_pidns(d->root, d->init_pid, &d->pidns);
	if (err)
		return err;
	predict_stop_signal(d);
	check_namespace(d);
	return 0;
}

static void add_dead_problem(struct diag *d)
{
	char label[NAME_LEN];
	struct problem *p = add_problem(d, "dead");

	if (!p)
		return;
	label_of(&d->c, label, sizeof(label));
	snprintf(p->message, sizeof(p->message),
		 "Docker marks the container Dead: removing its storage failed before");
	snprintf(
		p->action, sizeof(p->action),
		"release what holds its storage (see the removal hazards and dockerd's log), then docker rm %s",
		label);
}

/*
 * Without root the runtimes' metadata is unreadable and every container looks
 * absent: say so rather than "not found". *which names the directory.
 */
static bool metadata_unreadable(const char *root, const char **which)
{
	static const char *const dirs[] = {
		"/var/lib/docker/containers",
		"/var/lib/containers/storage/overlay-containers",
	};
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", root, dirs[i]);
		if (access(path, R_OK | X_OK) && (errno == EACCES || errno == EPERM)) {
			*which = dirs[i];
			return true;
		}
	}
	return false;
}

int diagnose_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'f'},
		{"root", required_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *format = NULL, *root = "";
	struct record_ctx rc = {0};
	char host[256] = "", what[4 * NAME_LEN];
	const char *unreadable;
	struct diag *d;
	uint64_t now;
	int opt, err, ret;

	optind = 0; /* a fresh scan: argv is the command's, and tests call it again */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			if (strcmp(optarg, "text") && strcmp(optarg, "json"))
				return usage_error("--format takes 'text' or 'json', not '%s'",
						   optarg);
			format = optarg;
			break;
		case 'r':
			root = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_OK;
		default:
			return usage_error("unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("needs a container: an id, id prefix or name%s", "");
	if (optind + 1 < argc)
		return usage_error("takes one container, not also '%s'", argv[optind + 1]);
	if (!argv[optind][0])
		return usage_error("needs a container: an id, id prefix or name%s", "");

	d = calloc(1, sizeof(*d));
	if (!d) {
		fprintf(stderr, "stoptrace: out of memory\n");
		return EXIT_ERROR;
	}
	d->root = root;
	if (!root[0]) {
		/* it reads, nothing more: /proc of every process, runtime metadata */
		err = caps_enter_diagnose(&d->caps, what, sizeof(what));
		if (what[0] && (err || geteuid() == 0))
			fprintf(stderr, "stoptrace: %s\n", what);
		if (err) {
			ret = EXIT_ERROR;
			goto cleanup;
		}
		d->caps_dropped = true;
	}
	text_escape(what, sizeof(what), argv[optind], strlen(argv[optind]));
	err = identity_find(root, argv[optind], &d->c);
	if (err == -ENOENT && metadata_unreadable(root, &unreadable)) {
		fprintf(stderr, "stoptrace: cannot read %s: %s: diagnose needs root\n", unreadable,
			strerror(EACCES));
		ret = EXIT_ERROR;
		goto cleanup;
	}
	if (err == -ENOENT) {
		fprintf(stderr, "stoptrace: container '%s' not found\n", what);
		ret = EXIT_NOTFOUND;
		goto cleanup;
	}
	if (err == -EEXIST) {
		fprintf(stderr,
			"stoptrace: '%s' matches more than one container: give more of the id, or the name\n",
			what);
		ret = EXIT_USAGE;
		goto cleanup;
	}
	if (err) {
		fprintf(stderr, "stoptrace: cannot look up container '%s': %s\n", what,
			strerror(-err));
		ret = EXIT_ERROR;
		goto cleanup;
	}
	if (!root[0] && geteuid() != 0)
		fprintf(stderr,
			"stoptrace: warning: not root: other users' processes, kernel stacks and mount namespaces cannot be read, so this look is partial\n");

	err = procfs_for_each_pid(root, scan_pid, d);
	if (err) {
		fprintf(stderr, "stoptrace: cannot scan %s/proc: %s\n", root, strerror(-err));
		ret = EXIT_ERROR;
		goto cleanup;
	}
	if (d->c.runtime == RUNTIME_DOCKER)
		docker_state(d);
	d->sig = d->c.stop_signal > 0 ? d->c.stop_signal : SIGTERM;
	d->init_pid = find_init(d);
	if (d->init_pid) {
		err = look_at_init(d);
		if (err == -ENOENT || err == -ESRCH) {
			d->init_pid = 0; /* it exited meanwhile */
		} else if (err) {
			fprintf(stderr,
				"stoptrace: cannot read PID 1 of the container (pid %d): %s\n",
				d->init_pid, strerror(-err));
			ret = EXIT_ERROR;
			goto cleanup;
		}
	}
	d->running = d->init_pid > 0;
	if (!d->running && d->dead)
		add_dead_problem(d);
	check_removal(d);

	if (gethostname(host, sizeof(host) - 1) || !host[0])
		snprintf(host, sizeof(host), "unknown");
	now = clock_ns(CLOCK_BOOTTIME);
	rc.host = host;
	rc.boot_to_real_ns = (int64_t)(clock_ns(CLOCK_REALTIME) - now);
	if (!format)
		format = isatty(STDOUT_FILENO) ? "text" : "json";
	if (!strcmp(format, "json")) {
		err = print_json(d, &rc, now);
		if (err) {
			fprintf(stderr, "stoptrace: the diagnosis does not fit in one record: %s\n",
				strerror(-err));
			ret = EXIT_ERROR;
			goto cleanup;
		}
	} else {
		print_text(d);
	}
	if (fflush(stdout)) {
		fprintf(stderr, "stoptrace: cannot write the diagnosis: %s\n", strerror(errno));
		ret = EXIT_ERROR;
		goto cleanup;
	}
	ret = d->nproblems ? EXIT_PROBLEM : EXIT_OK;
cleanup:
	free(d->procs);
	free(d);
	return ret;
}
