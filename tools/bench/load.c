// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bench-load: the benchmark's load generator.
 *
 *   bench-load [--container] [--ops N] fork|signal|unlink|getppid
 *       a fixed number of operations; prints a human line and a
 *       machine line "result workload=W ops=N seconds=S ops_per_sec=R ns_per_op=X"
 *   bench-load [--container] --rate R --seconds S storm
 *       sustains R signal+exit operations per second for S seconds
 *   bench-load cgroups N
 *       creates N cgroups shaped like Docker's, prints "cgroups created=N",
 *       holds them until SIGINT/SIGTERM or stdin closes, then removes them
 *
 * --container runs the work as the init of a new pid namespace in a new
 * cgroup2 directory <cgroup2 mount>/docker/<64 hex>, which stoptrace takes
 * for a Docker container. It prints "container cgroup_id=ID init_pid=PID"
 * first. With --wait-term the init waits, once done, for a SIGTERM from
 * outside before it exits (a stop); the cgroup is removed after it exits.
 * SIGINT or SIGTERM to the parent ends the container at once (SIGKILL); the
 * init dies with its parent.
 *
 * Operations: fork = fork + exit + wait; signal = a signal to itself, in
 * turn caught by a handler and ignored (SIG_IGN; in --container the target is
 * a namespace init); unlink = create and unlink a temp file, and mkdir + rmdir
 * a temp directory, in turn; getppid = one getppid() call.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stopping;
static volatile sig_atomic_t caught;
static volatile pid_t container_init;

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

/* The container's parent, told to stop: end the container now. */
static void on_parent_stop(int sig)
{
	(void)sig;
	if (container_init > 0)
		kill(container_init, SIGKILL);
}

static void on_usr1(int sig)
{
	(void)sig;
	caught++;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench-load: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* The cgroup2 mount point from /proc/self/mountinfo (field 5, fs type after " - "). */
static int cgroup2_mount(char *out, size_t size)
{
	char line[4096];
	FILE *f = fopen("/proc/self/mountinfo", "r");
	int found = -1;

	if (!f)
		return -1;
	while (found && fgets(line, sizeof(line), f)) {
		char mnt[4096], fstype[64];
		char *sep = strstr(line, " - ");

		if (!sep || sscanf(sep, " - %63s", fstype) != 1 || strcmp(fstype, "cgroup2"))
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		snprintf(out, size, "%s", mnt);
		found = 0;
	}
	fclose(f);
	return found;
}

static void random_id(char *out)
{
	unsigned char b[32];
	int fd = open("/dev/urandom", O_RDONLY);

	if (fd < 0 || read(fd, b, sizeof(b)) != sizeof(b))
		die("/dev/urandom");
	close(fd);
	for (int i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

/* mkdir <cgroup2>/docker/<64 hex>; path in out. */
static void make_container_cgroup(char *out, size_t size)
{
	char root[4096], id[65];

	if (cgroup2_mount(root, sizeof(root)))
		die("no cgroup2 mount in /proc/self/mountinfo");
	snprintf(out, size, "%s/docker", root);
	if (mkdir(out, 0755) && errno != EEXIST)
		die(out);
	random_id(id);
	snprintf(out, size, "%s/docker/%s", root, id);
	if (mkdir(out, 0755))
		die(out);
}

static int enter_cgroup(const char *cg, pid_t pid)
{
	char path[4200];
	int fd, n;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	n = dprintf(fd, "%d\n", pid);
	close(fd);
	return n > 0 ? 0 : -1;
}

static void op_fork(void)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0)
		_exit(0);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

static void op_signal(long i)
{
	kill(getpid(), (i & 1) ? SIGUSR2 : SIGUSR1);
}

static void op_unlink(long i, const char *dir)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/f", dir);
	if (i & 1) {
		if (mkdir(path, 0700) || rmdir(path))
			die("mkdir/rmdir");
	} else {
		int fd = open(path, O_CREAT | O_WRONLY, 0600);

		if (fd < 0)
			die("create");
		close(fd);
		if (unlink(path))
			die("unlink");
	}
}

static int run_fixed(const char *workload, long ops)
{
	char dir[] = "/tmp/bench-load.XXXXXX";
	double t0, secs;

	if (!strcmp(workload, "unlink") && !mkdtemp(dir))
		die("mkdtemp");
	t0 = now();
	for (long i = 0; i < ops; i++) {
		if (!strcmp(workload, "fork"))
			op_fork();
		else if (!strcmp(workload, "signal"))
			op_signal(i);
		else if (!strcmp(workload, "unlink"))
			op_unlink(i, dir);
		else
			syscall(SYS_getppid);
	}
	secs = now() - t0;
	if (!strcmp(workload, "unlink"))
		rmdir(dir);
	printf("%s: %ld ops in %.3f s, %.0f ops/s, %.1f ns/op\n", workload, ops, secs, ops / secs,
	       secs * 1e9 / ops);
	printf("result workload=%s ops=%ld seconds=%.6f ops_per_sec=%.0f ns_per_op=%.1f\n",
	       workload, ops, secs, ops / secs, secs * 1e9 / ops);
	fflush(stdout);
	return 0;
}

/*
 * rate ops/s for secs seconds, paced in 1 ms slices; each op is one signal
 * (caught, in turn ignored) and every 32nd op is also a fork + exit.
 */
static int run_storm(long rate, double secs)
{
	double t0 = now(), end = t0 + secs;
	long done = 0;

	while (!stopping) {
		double t = now();
		long due = (long)((t - t0) * rate);

		if (t >= end)
			break;
		while (done < due && !stopping) {
			op_signal(done);
			if (done % 32 == 0)
				op_fork();
			done++;
		}
		usleep(1000);
	}
	secs = now() - t0;
	printf("storm: %ld ops in %.3f s, %.0f ops/s (asked %ld)\n", done, secs, done / secs, rate);
	printf("result workload=storm ops=%ld seconds=%.6f ops_per_sec=%.0f\n", done, secs,
	       done / secs);
	fflush(stdout);
	return 0;
}

struct job {
	const char *workload;
	long ops;
	long rate;
	double seconds;
	int wait_term;
};

static int run_job(const struct job *j)
{
	signal(SIGUSR1, on_usr1);
	signal(SIGUSR2, SIG_IGN);
	if (j->rate)
		return run_storm(j->rate, j->seconds);
	return run_fixed(j->workload, j->ops);
}

/* Runs the job as the init of a new pid namespace in a Docker-shaped cgroup. */
static int run_in_container(const struct job *j)
{
	char cg[4200];
	struct stat st;
	pid_t init;
	int status = 0, rc;

	make_container_cgroup(cg, sizeof(cg));
	if (stat(cg, &st) || enter_cgroup(cg, getpid()))
		die("enter cgroup");
	if (unshare(CLONE_NEWPID))
		die("unshare(CLONE_NEWPID)");
	fflush(stdout);
	init = fork();
	if (init < 0)
		die("fork");
	if (init == 0) {
		sigset_t term, old;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/*
		 * A namespace init only gets signals it has a handler for, and a
		 * SIGTERM sent as soon as the result line is out may come before the
		 * handler: blocked until then, it waits instead of being ignored.
		 */
		sigemptyset(&term);
		sigaddset(&term, SIGTERM);
		if (j->wait_term)
			sigprocmask(SIG_BLOCK, &term, &old);
		rc = run_job(j);
		if (j->wait_term) {
			signal(SIGTERM, on_stop);
			stopping = 0;
			sigdelset(&old, SIGTERM);
			while (!stopping)
				sigsuspend(&old);
		}
		_exit(rc);
	}
	container_init = init;
	signal(SIGINT, on_parent_stop);
	signal(SIGTERM, on_parent_stop);
	printf("container cgroup_id=%llu init_pid=%d cgroup=%s\n", (unsigned long long)st.st_ino,
	       init, cg);
	fflush(stdout);
	while (waitpid(init, &status, 0) < 0 && errno == EINTR)
		;
	/* Leave the cgroup so that it can go. */
	{
		char root[4096];

		if (!cgroup2_mount(root, sizeof(root)))
			enter_cgroup(root, getpid());
	}
	if (rmdir(cg))
		fprintf(stderr, "bench-load: rmdir %s: %s\n", cg, strerror(errno));
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

/* N Docker-shaped cgroups, held until a signal or the end of stdin. */
static int run_cgroups(long n)
{
	char root[4096], path[4200], id[65];
	char(*paths)[4200] = calloc(n, sizeof(*paths));
	long made = 0;
	struct pollfd pfd = {.fd = 0, .events = POLLIN};

	if (!paths)
		die("calloc");
	if (cgroup2_mount(root, sizeof(root)))
		die("no cgroup2 mount in /proc/self/mountinfo");
	signal(SIGINT, on_stop);
	signal(SIGTERM, on_stop);
	snprintf(path, sizeof(path), "%s/docker", root);
	if (mkdir(path, 0755) && errno != EEXIST)
		die(path);
	for (; made < n && !stopping; made++) {
		random_id(id);
		snprintf(paths[made], sizeof(paths[made]), "%s/docker/%s", root, id);
		if (mkdir(paths[made], 0755)) {
			fprintf(stderr, "bench-load: mkdir %s: %s\n", paths[made], strerror(errno));
			break;
		}
	}
	printf("cgroups created=%ld\n", made);
	fflush(stdout);
	while (!stopping) {
		char buf[256];

		if (poll(&pfd, 1, -1) > 0 && read(0, buf, sizeof(buf)) <= 0)
			break;
	}
	for (long i = 0; i < made; i++)
		if (rmdir(paths[i]))
			fprintf(stderr, "bench-load: rmdir %s: %s\n", paths[i], strerror(errno));
	printf("cgroups removed=%ld\n", made);
	free(paths);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench-load [--container] [--wait-term] [--ops N] "
			"fork|signal|unlink|getppid\n"
			"       bench-load [--container] [--wait-term] --rate R --seconds S storm\n"
			"       bench-load cgroups N\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct job j = {.ops = 100000, .seconds = 10};
	int container = 0, i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--container"))
			container = 1;
		else if (!strcmp(argv[i], "--wait-term"))
			j.wait_term = 1;
		else if (!strcmp(argv[i], "--ops") && i + 1 < argc)
			j.ops = atol(argv[++i]);
		else if (!strcmp(argv[i], "--rate") && i + 1 < argc)
			j.rate = atol(argv[++i]);
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			j.seconds = atof(argv[++i]);
		else
			usage();
	}
	if (i >= argc)
		usage();
	j.workload = argv[i];
	if (!strcmp(j.workload, "cgroups"))
		return i + 1 < argc ? run_cgroups(atol(argv[i + 1])) : (usage(), 2);
	if (!strcmp(j.workload, "storm")) {
		if (j.rate <= 0)
			usage();
	} else {
		j.rate = 0;
		if (strcmp(j.workload, "fork") && strcmp(j.workload, "signal") &&
		    strcmp(j.workload, "unlink") && strcmp(j.workload, "getppid"))
			usage();
	}
	if (j.ops <= 0)
		usage();
	return container ? run_in_container(&j) : run_job(&j);
}
