// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include "lib/array_size.h"
#include "privilege/caps.h"
#include "lib/jsonw.h"

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT		 47
#define PR_CAP_AMBIENT_IS_SET	 1
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

#define CAPS_MAX 64

static const char *const names[] = {
	"CAP_CHOWN",
	"CAP_DAC_OVERRIDE",
	"CAP_DAC_READ_SEARCH",
	"CAP_FOWNER",
	"CAP_FSETID",
	"CAP_KILL",
	"CAP_SETGID",
	"CAP_SETUID",
	"CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST",
	"CAP_NET_ADMIN",
	"CAP_NET_RAW",
	"CAP_IPC_LOCK",
	"CAP_IPC_OWNER",
	"CAP_SYS_MODULE",
	"CAP_SYS_RAWIO",
	"CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE",
	"CAP_SYS_PACCT",
	"CAP_SYS_ADMIN",
	"CAP_SYS_BOOT",
	"CAP_SYS_NICE",
	"CAP_SYS_RESOURCE",
	"CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG",
	"CAP_MKNOD",
	"CAP_LEASE",
	"CAP_AUDIT_WRITE",
	"CAP_AUDIT_CONTROL",
	"CAP_SETFCAP",
	"CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN",
	"CAP_SYSLOG",
	"CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND",
	"CAP_AUDIT_READ",
	"CAP_PERFMON",
	"CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};

const char *caps_name(int cap)
{
	if (cap < 0 || cap >= (int)ARRAY_SIZE(names))
		return NULL;
	return names[cap];
}

int caps_names(uint64_t mask, const char **out, int max)
{
	int n = 0;

	for (int c = 0; c < CAPS_MAX && n < max; c++)
		if ((mask & CAPS_BIT(c)) && caps_name(c))
			out[n++] = caps_name(c);
	return n;
}

void caps_json(struct jsonw *w, const char *key, uint64_t mask)
{
	const char *names[CAPS_MAX];
	int n = caps_names(mask, names, CAPS_MAX);

	jsonw_arr_key(w, key);
	for (int i = 0; i < n; i++)
		jsonw_str(w, NULL, names[i]);
	jsonw_arr_close(w);
}

void caps_list(uint64_t mask, char *buf, size_t cap)
{
	size_t len = 0;

	if (!cap)
		return;
	buf[0] = '\0';
	for (int c = 0; c < CAPS_MAX; c++) {
		char unnamed[16];
		const char *name = caps_name(c);
		int n;

		if (!(mask & CAPS_BIT(c)))
			continue;
		if (!name) {
			snprintf(unnamed, sizeof(unnamed), "cap %d", c);
			name = unnamed;
		}
		n = snprintf(buf + len, cap - len, "%s%s", len ? ", " : "", name);
		if (n < 0 || (size_t)n >= cap - len) {
			buf[len] = '\0'; /* whole names only */
			return;
		}
		len += (size_t)n;
	}
	if (!len)
		snprintf(buf, cap, "none");
}

uint64_t caps_all(int last_cap)
{
	if (last_cap >= 63)
		return ~0ULL;
	if (last_cap < 0)
		return 0;
	return CAPS_BIT(last_cap + 1) - 1;
}

uint64_t caps_runtime_set(uint64_t permitted, int last_cap, bool bpf_fd_ops_need_cap)
{
	uint64_t keep = CAPS_READ_HOST;

	if (bpf_fd_ops_need_cap) {
		/* bpf_capable() is CAP_BPF or CAP_SYS_ADMIN; before 5.8 only the latter */
		if (last_cap >= CAPS_BPF && (permitted & CAPS_BIT(CAPS_BPF)))
			keep |= CAPS_BIT(CAPS_BPF);
		else
			keep |= CAPS_BIT(CAPS_SYS_ADMIN);
	}
	return keep & permitted;
}

static int last_cap(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int n = -1, c;

	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = -1;
		fclose(f);
	}
	if (n >= 0 && n < CAPS_MAX)
		return n;
	/* no /proc: the bounding set answers EINVAL past the last one */
	for (c = 0; c < CAPS_MAX; c++)
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) < 0)
			break;
	return c - 1;
}

static int capget_sets(uint64_t *eff, uint64_t *prm, uint64_t *inh)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2] = {};

	if (syscall(SYS_capget, &hdr, d))
		return -errno;
	*eff = d[0].effective | (uint64_t)d[1].effective << 32;
	*prm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	*inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
	return 0;
}

static int capset_sets(uint64_t eff, uint64_t prm, uint64_t inh)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2] = {
		{(uint32_t)eff, (uint32_t)prm, (uint32_t)inh},
		{(uint32_t)(eff >> 32), (uint32_t)(prm >> 32), (uint32_t)(inh >> 32)},
	};

	return syscall(SYS_capset, &hdr, d) ? -errno : 0;
}

int caps_read(struct caps_state *s)
{
	int err;

	memset(s, 0, sizeof(*s));
	s->last_cap = last_cap();
	err = capget_sets(&s->effective, &s->permitted, &s->inheritable);
	if (err)
		return err;
	for (int c = 0; c <= s->last_cap; c++) {
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) > 0)
			s->bounding |= CAPS_BIT(c);
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0) > 0)
			s->ambient |= CAPS_BIT(c);
	}
	s->no_new_privs = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1;
	{
		uid_t r, e, sv;
		gid_t gr, ge, gs;

		getresuid(&r, &e, &sv);
		getresgid(&gr, &ge, &gs);
		s->uid = r;
		s->euid = e;
		s->suid = sv;
		s->gid = gr;
		s->egid = ge;
		s->sgid = gs;
	}
	s->securebits = (unsigned int)prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
	return 0;
}

int caps_probe_bpf_fd_ops(int (*probe)(void *ctx), void *ctx)
{
	uint64_t eff, prm, inh;
	int err, rc;

	err = capget_sets(&eff, &prm, &inh);
	if (err)
		return err;
	err = capset_sets(eff & ~(CAPS_BIT(CAPS_BPF) | CAPS_BIT(CAPS_SYS_ADMIN)), prm, inh);
	if (err)
		return err;
	rc = probe(ctx);
	err = capset_sets(eff, prm, inh);
	if (err)
		return err;
	if (rc == -EPERM)
		return 1;
	return rc < 0 ? rc : 0;
}

int caps_probe_as(uint64_t effective, int (*probe)(void *ctx), void *ctx)
{
	uint64_t eff, prm, inh;
	int err, rc;

	err = capget_sets(&eff, &prm, &inh);
	if (err)
		return err;
	if (effective & ~prm)
		return -EPERM; /* what it would run with is not held */
	err = capset_sets(effective, prm, inh);
	if (err)
		return err;
	rc = probe(ctx);
	err = capset_sets(eff, prm, inh);
	return err ? err : rc;
}

/*
 * The drop, for the calling thread only: credentials are per thread. Raw
 * system calls only, so that a signal handler may run it; failures are found
 * by reading the sets back.
 */
static void limit_this_thread(uint64_t keep, int last, const struct caps_user *u)
{
	/* the bounding set first: dropping from it needs CAP_SETPCAP, dropped below */
	for (int c = 0; c <= last; c++)
		if (!(keep & CAPS_BIT(c)))
			syscall(SYS_prctl, PR_CAPBSET_DROP, c, 0, 0, 0);
	/* Linux 4.3 and later; capset below also clears what leaves inheritable */
	syscall(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (u && u->change) {
		uint64_t eff, prm, inh;

		capget_sets(&eff, &prm, &inh);
		/* permitted survives the switch; effective is emptied by it */
		syscall(SYS_prctl, PR_SET_KEEPCAPS, 1, 0, 0, 0);
		syscall(SYS_setgroups, 0, NULL);
		syscall(SYS_setresgid, u->gid, u->gid, u->gid);
		syscall(SYS_setresuid, u->uid, u->uid, u->uid);
		/* CAP_SETPCAP again, to lock the securebits: uid 0 means nothing from here */
		capset_sets(prm, prm, 0);
		syscall(SYS_prctl, PR_SET_SECUREBITS, CAPS_SECUREBITS, 0, 0, 0);
	}
	capset_sets(keep, keep, 0);
	syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

/* A signal no one else uses: glibc keeps 32 and 33 (SIGRTMIN is 34). */
#define CAPS_SIGNAL  (SIGRTMAX - 3)
#define CAPS_WAIT_MS 2000

static struct {
	uint64_t keep;
	int last;
	int done;
	struct caps_user user;
	bool switching;
} broadcast;

static void on_caps_signal(int sig)
{
	int saved = errno;

	(void)sig;
	limit_this_thread(broadcast.keep, broadcast.last,
			  broadcast.switching ? &broadcast.user : NULL);
	__atomic_add_fetch(&broadcast.done, 1, __ATOMIC_SEQ_CST);
	errno = saved;
}

/*
 * Every other thread of the process (writer threads started before the
 * programs were attached) runs the drop in a signal handler, the way glibc
 * makes setuid() process-wide. Returns how many threads were asked; whether
 * they did is read back from /proc by the caller.
 */
static int limit_other_threads(uint64_t keep, int last, const struct caps_user *u)
{
	struct sigaction sa = {.sa_handler = on_caps_signal, .sa_flags = SA_RESTART};
	pid_t pid = getpid(), self = (pid_t)syscall(SYS_gettid);
	struct timespec pause = {0, 1000000};
	struct dirent *de;
	int asked = 0;
	DIR *d;

	d = opendir("/proc/self/task");
	if (!d)
		return -errno;
	sigfillset(&sa.sa_mask);
	broadcast.keep = keep;
	broadcast.last = last;
	broadcast.switching = u != NULL;
	if (u)
		broadcast.user = *u;
	__atomic_store_n(&broadcast.done, 0, __ATOMIC_SEQ_CST);
	/* left in place: a late delivery must not meet the default action (exit) */
	sigaction(CAPS_SIGNAL, &sa, NULL);
	while ((de = readdir(d))) {
		pid_t tid = (pid_t)strtol(de->d_name, NULL, 10);

		if (tid > 0 && tid != self && !syscall(SYS_tgkill, pid, tid, CAPS_SIGNAL))
			asked++;
	}
	closedir(d);
	/* a thread that blocks the signal never answers: the read-back tells */
	for (int ms = 0;
	     ms < CAPS_WAIT_MS && __atomic_load_n(&broadcast.done, __ATOMIC_SEQ_CST) < asked; ms++)
		nanosleep(&pause, NULL);
	return asked;
}

/*
 * What the threads of this process hold, from /proc/self/task/<tid>/status:
 * *held the union of their effective, permitted, inheritable and ambient
 * sets, *loose the union of the bounding sets of those without no_new_privs.
 */
static int threads_hold(uint64_t *held, uint64_t *loose, const struct caps_user *u,
			bool *other_user)
{
	char path[64], line[128];
	struct dirent *de;
	DIR *d;

	*held = *loose = 0;
	if (other_user)
		*other_user = false;
	d = opendir("/proc/self/task");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		uint64_t v, sets = 0, bnd = 0;
		unsigned int id[4];
		int nnp = 0;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%.20s/status", de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue; /* the thread ended */
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, "CapInh: %" SCNx64, &v) == 1 ||
			    sscanf(line, "CapPrm: %" SCNx64, &v) == 1 ||
			    sscanf(line, "CapEff: %" SCNx64, &v) == 1 ||
			    sscanf(line, "CapAmb: %" SCNx64, &v) == 1)
				sets |= v;
			else if (sscanf(line, "CapBnd: %" SCNx64, &v) == 1)
				bnd = v;
			else if (u && other_user &&
				 (sscanf(line, "Uid: %u %u %u %u", &id[0], &id[1], &id[2],
					 &id[3]) == 4 ||
				  sscanf(line, "Gid: %u %u %u %u", &id[0], &id[1], &id[2],
					 &id[3]) == 4)) {
				unsigned int want = line[0] == 'U' ? u->uid : u->gid;

				for (int i = 0; i < 4; i++)
					if (id[i] != want)
						*other_user = true;
			} else
				sscanf(line, "NoNewPrivs: %d", &nnp);
		}
		fclose(f);
		*held |= sets;
		if (nnp != 1)
			*loose |= bnd;
	}
	closedir(d);
	return 0;
}

int caps_limit_as(uint64_t keep, const struct caps_user *u, struct caps_state *after)
{
	struct caps_state now;
	uint64_t held, loose;
	bool other_user = false;
	int err;

	memset(after, 0, sizeof(*after));
	err = caps_read(&now);
	if (err)
		return err;
	if (u && !u->change)
		u = NULL;
	keep &= now.permitted;
	err = limit_other_threads(keep, now.last_cap, u);
	if (err < 0)
		return err;
	limit_this_thread(keep, now.last_cap, u);

	err = caps_read(after);
	if (!err)
		err = threads_hold(&held, &loose, u, &other_user);
	if (err)
		return err;
	if ((held | after->effective | after->permitted | after->inheritable | after->ambient) &
	    ~keep)
		return -EPERM;
	if ((loose & ~keep) || ((after->bounding & ~keep) && !after->no_new_privs))
		return -EPERM;
	if (u && (other_user || after->uid != u->uid || after->euid != u->uid ||
		  after->suid != u->uid || after->gid != u->gid || after->egid != u->gid ||
		  after->sgid != u->gid || getgroups(0, NULL) != 0))
		return -EPERM;
	return 0;
}

int caps_limit(uint64_t keep, struct caps_state *after)
{
	return caps_limit_as(keep, NULL, after);
}

int caps_user_parse(const char *spec, struct caps_user *u, char *why, size_t cap)
{
	unsigned long uid, gid;
	struct passwd *pw;
	char *end;

	memset(u, 0, sizeof(*u));
	why[0] = '\0';
	if (!spec || !spec[0]) {
		snprintf(why, cap, "--user needs a user name or a uid");
		return -EINVAL;
	}
	errno = 0;
	uid = strtoul(spec, &end, 10);
	if (end != spec && !errno && (*end == '\0' || *end == ':') && uid < 0xffffffffUL) {
		gid = uid;
		if (*end == ':') {
			const char *g = end + 1;

			gid = strtoul(g, &end, 10);
			if (end == g || *end || errno || gid >= 0xffffffffUL) {
				snprintf(why, cap, "--user takes NAME, UID or UID:GID, not '%s'",
					 spec);
				return -EINVAL;
			}
		}
	} else if ((pw = getpwnam(spec))) {
		uid = pw->pw_uid;
		gid = pw->pw_gid;
	} else if (!strcmp(spec, "nobody")) {
		uid = gid = 65534; /* the overflow ids: a host (or an image) without the name */
	} else {
		snprintf(why, cap, "--user: no such user '%s' on this host", spec);
		return -ENOENT;
	}
	u->uid = (uint32_t)uid;
	u->gid = (uint32_t)gid;
	u->change = uid != 0;
	if (!u->change && gid != 0) {
		snprintf(why, cap, "--user: uid 0 with gid %lu: give a non-zero uid, or root", gid);
		return -EINVAL;
	}
	return 0;
}

bool caps_user_will_switch(const struct caps_user *u)
{
	struct caps_state s;
	uint64_t need = CAPS_BIT(CAPS_SETUID) | CAPS_BIT(CAPS_SETGID);

	return u && u->change && geteuid() == 0 && !caps_read(&s) && (s.permitted & need) == need;
}

/* A warning for capabilities of want that are not held. */
static void say_missing(uint64_t missing, const char *what, char *why, size_t cap)
{
	char list[256];

	caps_list(missing, list, sizeof(list));
	snprintf(why, cap, "warning: no %s: %s", list, what);
}

static int enter(uint64_t keep, uint64_t want, const char *partial, const struct caps_user *u,
		 uint64_t *kept, char *why, size_t cap)
{
	struct caps_state after;
	uint64_t held = 0, loose = 0;
	char list[256];
	int err;

	why[0] = '\0';
	err = caps_limit_as(keep, u, &after);
	if (err) {
		/* what is left beyond keep, in any thread */
		threads_hold(&held, &loose, NULL, NULL);
		caps_list((held | loose | after.permitted | after.effective) & ~keep, list,
			  sizeof(list));
		snprintf(why, cap,
			 "cannot give up the capabilities it no longer needs (%s; still holds %s): "
			 "stopping rather than running with more than it should",
			 strerror(-err), list);
		return err;
	}
	*kept = after.permitted;
	if (want & ~after.permitted)
		say_missing(want & ~after.permitted, partial, why, cap);
	return 0;
}

int caps_enter_runtime(int (*probe)(void *ctx), void *ctx, bool attach_later, uint64_t *kept,
		       char *why, size_t cap)
{
	return caps_enter_runtime_as(probe, ctx, attach_later, NULL, kept, why, cap);
}

int caps_enter_runtime_as(int (*probe)(void *ctx), void *ctx, bool attach_later,
			  const struct caps_user *user, uint64_t *kept, char *why, size_t cap)
{
	const struct caps_user *u = NULL;
	bool stays = false;
	struct caps_state s;
	uint64_t set;
	int need, err;

	why[0] = '\0';
	err = caps_read(&s);
	if (err) {
		snprintf(why, cap, "cannot read this process's capabilities: %s", strerror(-err));
		return err;
	}
	need = caps_probe_bpf_fd_ops(probe, ctx);
	if (need < 0) {
		/* cannot tell: keep what BPF commands on open descriptors may need */
		need = 1;
	}
	set = caps_runtime_set(s.permitted, s.last_cap, need);
	if (attach_later && s.last_cap >= CAPS_PERFMON)
		set |= CAPS_BIT(CAPS_PERFMON) & s.permitted;
	if (caps_user_will_switch(user))
		u = user;
	else if (user && user->change && s.euid == 0)
		stays = true; /* no CAP_SETUID or CAP_SETGID */
	err = enter(set, CAPS_READ_HOST,
		    "processes of other users or with more privileges and container files are "
		    "partly unreadable: culprits and holders may be missing",
		    u, kept, why, cap);
	if (!err && stays && !why[0])
		snprintf(
			why, cap,
			"warning: no CAP_SETUID or CAP_SETGID: it stays uid 0 instead of switching "
			"to uid %u (--user; docs/capabilities.md)",
			user->uid);
	return err;
}

int caps_enter_diagnose(uint64_t *kept, char *why, size_t cap)
{
	return enter(CAPS_READ_HOST, CAPS_READ_HOST,
		     "processes of other users or with more privileges are partly unreadable: the "
		     "look is partial",
		     NULL, kept, why, cap);
}
