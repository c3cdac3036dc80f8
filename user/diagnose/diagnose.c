// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `stoptrace diagnose CONTAINER`: a one-shot look at a container as it is
 * now, from /proc, cgroupfs and the runtime's metadata, needing no BPF. It
 * predicts what PID 1 will do with the stop signal (S2), finds what would
 * keep the pid namespace from being torn down (S5), and what would make the
 * removal of its storage fail (S6). Every fact is read under a root prefix
 * (--root, for tests on fixture trees). Names, paths and process names come
 * from the host's tenants: they are escaped in both output formats.
 *
 * This file is the command: its options, the container looked up, the
 * steps in order, the exit status. The parts are in diagnose_int.h.
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
#include "lib/clock.h"
#include "diagnose/diagnose.h"
#include "diagnose/diagnose_int.h"
#include "identity/runtimes.h"
#include "lib/exit_codes.h"
#include "lib/jsonw.h"
#include "privilege/caps.h"

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

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "stoptrace diagnose: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'stoptrace diagnose --help'.\n");
	return EXIT_USAGE;
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
	p = diag_find_proc(d, d->init_pid);
	d->ns_init = p && p->ns_pid == 1 && p->nspid_levels >= 2;
	err = procfs_pidns(d->root, d->init_pid, &d->pidns);
	if (err)
		return err;
	diag_predict_stop_signal(d);
	diag_check_namespace(d);
	return 0;
}

/*
 * Without root the runtimes' metadata is unreadable and every container looks
 * absent: say so rather than "not found". *which names the directory.
 */
static bool metadata_unreadable(const char *root, const char **which)
{
	static char dir[PATH_MAX];
	const struct runtime_info *rts;
	char path[PATH_MAX];
	size_t n;

	/* the directories of the runtimes whose metadata is read */
	rts = runtimes_all(&n);
	for (size_t i = 0; i < n; i++) {
		if (!rts[i].meta || !rts[i].known_dir)
			continue;
		snprintf(dir, sizeof(dir), "/%s", rts[i].known_dir);
		snprintf(path, sizeof(path), "%s%s", root, dir);
		if (access(path, R_OK | X_OK) && (errno == EACCES || errno == EPERM)) {
			*which = dir;
			return true;
		}
	}
	return false;
}

/* What the command line asks for. */
struct diag_args {
	const char *format; /* NULL: text on a terminal, else json */
	const char *root;   /* "" on the live system */
	const char *target; /* the container: an id, id prefix or name */
	bool help;	    /* --help was printed: nothing more to do */
};

/* The options and the one container into a; EXIT_OK, or EXIT_USAGE (said). */
static int parse_args(int argc, char **argv, struct diag_args *a)
{
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'f'},
		{"root", required_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt;

	optind = 0; /* a fresh scan: argv is the command's, and tests call it again */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			if (strcmp(optarg, "text") && strcmp(optarg, "json"))
				return usage_error("--format takes 'text' or 'json', not '%s'",
						   optarg);
			a->format = optarg;
			break;
		case 'r':
			a->root = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			a->help = true;
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
	a->target = argv[optind];
	return EXIT_OK;
}

/* On the live system, keep only what reading needs; EXIT_OK, or EXIT_ERROR (said). */
static int drop_capabilities(struct diag *d)
{
	char what[4 * NAME_LEN];
	int err;

	if (d->root[0])
		return EXIT_OK; /* a fixture tree */
	/* it reads, nothing more: /proc of every process, runtime metadata */
	err = caps_enter_diagnose(&d->caps, what, sizeof(what));
	if (what[0] && (err || geteuid() == 0))
		fprintf(stderr, "stoptrace: %s\n", what);
	if (err)
		return EXIT_ERROR;
	d->caps_dropped = true;
	return EXIT_OK;
}

/* The container target names, into d->c; EXIT_OK, or the exit status (said). */
static int find_container(struct diag *d, const char *target)
{
	char what[4 * NAME_LEN];
	const char *unreadable;
	int err;

	text_escape(what, sizeof(what), target, strlen(target));
	err = identity_find(d->root, target, &d->c);
	if (err == -ENOENT && metadata_unreadable(d->root, &unreadable)) {
		fprintf(stderr, "stoptrace: cannot read %s: %s: diagnose needs root\n", unreadable,
			strerror(EACCES));
		return EXIT_ERROR;
	}
	if (err == -ENOENT) {
		fprintf(stderr, "stoptrace: container '%s' not found\n", what);
		return EXIT_NOTFOUND;
	}
	if (err == -EEXIST) {
		fprintf(stderr,
			"stoptrace: '%s' matches more than one container: give more of the id, or the name\n",
			what);
		return EXIT_USAGE;
	}
	if (err) {
		fprintf(stderr, "stoptrace: cannot look up container '%s': %s\n", what,
			strerror(-err));
		return EXIT_ERROR;
	}
	return EXIT_OK;
}

/* Read what the diagnosis says and judge it: EXIT_OK, or EXIT_ERROR (said). */
static int look(struct diag *d)
{
	int err;

	if (!d->root[0] && geteuid() != 0)
		fprintf(stderr,
			"stoptrace: warning: not root: other users' processes, kernel stacks and mount namespaces cannot be read, so this look is partial\n");
	err = procfs_for_each_pid(d->root, diag_scan_pid, d);
	if (err) {
		fprintf(stderr, "stoptrace: cannot scan %s/proc: %s\n", d->root, strerror(-err));
		return EXIT_ERROR;
	}
	if (d->c.runtime == RUNTIME_DOCKER)
		diag_docker_state(d);
	d->sig = d->c.stop_signal > 0 ? d->c.stop_signal : SIGTERM;
	d->init_pid = diag_find_init(d);
	if (d->init_pid) {
		err = look_at_init(d);
		if (err == -ENOENT || err == -ESRCH) {
			d->init_pid = 0; /* it exited meanwhile */
		} else if (err) {
			fprintf(stderr,
				"stoptrace: cannot read PID 1 of the container (pid %d): %s\n",
				d->init_pid, strerror(-err));
			return EXIT_ERROR;
		}
	}
	d->running = d->init_pid > 0;
	if (!d->running && d->dead)
		diag_add_dead_problem(d);
	diag_check_removal(d);
	return EXIT_OK;
}

/* The diagnosis on standard output in format (NULL: by the terminal); EXIT_OK or EXIT_ERROR. */
static int print_diagnosis(const struct diag *d, const char *format)
{
	struct record_ctx rc = {0};
	char host[256] = "";
	uint64_t now;
	int err;

	if (gethostname(host, sizeof(host) - 1) || !host[0])
		snprintf(host, sizeof(host), "unknown");
	now = (uint64_t)clock_ns(CLOCK_BOOTTIME);
	rc.host = host;
	rc.boot_to_real_ns = clock_ns(CLOCK_REALTIME) - (int64_t)now;
	if (!format)
		format = isatty(STDOUT_FILENO) ? "text" : "json";
	if (!strcmp(format, "json")) {
		err = diag_print_json(d, &rc, now);
		if (err) {
			fprintf(stderr, "stoptrace: the diagnosis does not fit in one record: %s\n",
				strerror(-err));
			return EXIT_ERROR;
		}
	} else {
		diag_print_text(d);
	}
	if (fflush(stdout)) {
		fprintf(stderr, "stoptrace: cannot write the diagnosis: %s\n", strerror(errno));
		return EXIT_ERROR;
	}
	return EXIT_OK;
}

int diagnose_main(int argc, char **argv)
{
	struct diag_args a = {.root = ""};
	struct diag *d;
	int ret;

	ret = parse_args(argc, argv, &a);
	if (ret != EXIT_OK || a.help)
		return ret;
	d = calloc(1, sizeof(*d));
	if (!d) {
		fprintf(stderr, "stoptrace: out of memory\n");
		return EXIT_ERROR;
	}
	d->root = a.root;
	ret = drop_capabilities(d);
	if (ret == EXIT_OK)
		ret = find_container(d, a.target);
	if (ret == EXIT_OK)
		ret = look(d);
	if (ret == EXIT_OK)
		ret = print_diagnosis(d, a.format);
	if (ret == EXIT_OK && d->nproblems)
		ret = EXIT_PROBLEM;
	free(d->procs);
	free(d);
	return ret;
}
