// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * stoptrace: watch containers stop and go away, and say what went wrong.
 * main parses the command line and decides what the operator sees; the
 * work is done by the monitor and the modules it drives. The commands are
 * the table commands[]: main runs the one argv[1] names, else the monitor.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/array_size.h"
#include "diagnose/diagnose.h"
#include "identity/identity.h"
#include "lib/exit_codes.h"
#include "lib/jsonw.h"
#include "monitor/monitor.h"
#include "sink/syslog.h"

static int run_monitor(int argc, char **argv, bool out_closed);
static int run_diagnose(int argc, char **argv, bool out_closed);
static int run_trace(int argc, char **argv, bool out_closed);
static int run_replay(int argc, char **argv, bool out_closed);

/*
 * stoptrace's commands: the name argv[1] gives (none: the monitor), its lines
 * under USAGE in --help, and the function that runs it with the command's own
 * argv (argv[0] is its name) and whether standard output was closed.
 */
static const struct command {
	const char *name;
	const char *usage;
	int (*run)(int argc, char **argv, bool out_closed);
} commands[] = {
	{NULL, "  stoptrace [OPTIONS]                 monitor every container on this host\n",
	 run_monitor},
	{"diagnose",
	 "  stoptrace diagnose CONTAINER [--format text|json]\n"
	 "                                      look at a container now: will its stop or\n"
	 "                                      removal go wrong? (exit 0 no, 3 yes, 4 no such\n"
	 "                                      container)\n",
	 run_diagnose},
	{"trace",
	 "  stoptrace trace CONTAINER [OPTIONS] follow one container until its next stop is\n"
	 "                                      over, print that stop's alerts and timeline\n"
	 "                                      (exit 0 graceful, 3 it went wrong, 4 no such\n"
	 "                                      container)\n",
	 run_trace},
	{"replay",
	 "  stoptrace replay RECORDING [OPTIONS]\n"
	 "                                      rebuild the alerts and timelines of a --record\n"
	 "                                      recording, offline, without privileges\n",
	 run_replay},
};

/* --help after the commands' lines */
static const char usage_tail[] =
	"\n"
	"Watches containers stop and go away, from inside the kernel: signals sent and\n"
	"what became of them, exits, namespace teardown, cgroup and rootfs removal.\n"
	"Needs root (or CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN) and a kernel with BTF.\n"
	"\n"
	"OPTIONS\n"
	"  --format text|json          output format (default: text on a terminal, else json)\n"
	"  --output PATH               append records to PATH instead of standard output;\n"
	"                              SIGHUP reopens it (for logrotate)\n"
	"  --syslog[=SOCKET]           also send every record, as JSON, to the local syslog\n"
	"                              socket (default /dev/log) in RFC 5424 format\n"
	"  --metrics-file PATH         write counters for node_exporter's textfile collector\n"
	"                              to PATH every 5 s and at exit (replaced atomically)\n"
	"  --events                    also print every raw kernel event\n"
	"  --container ID|NAME         only this container (id, id prefix or name; repeatable)\n"
	"  --alerts-only               print alerts only\n"
	"  --stop-alert-after SECONDS  alert when a stop runs longer (default 30)\n"
	"  --teardown-timeout SECONDS  alert when namespace teardown takes longer (default 3)\n"
	"  --storage-root PATH         also treat PATH as container storage (repeatable)\n"
	"  --ringbuf-size SIZE         kernel ring buffer, a power of two: MiB, or KiB with a\n"
	"                              K suffix (64K), at least one page (default 4)\n"
	"  --stats-interval SECONDS    a monitor_stats record this often (default 60, 0: never)\n"
	"  --removal-hooks auto|on-demand|always\n"
	"                              when the unmount/unlink/rmdir hooks are attached:\n"
	"                              only while a removal can be under way (on-demand),\n"
	"                              all the time, or on demand where possible (auto,\n"
	"                              the default); see stoptrace(8)\n"
	"  --user NAME|UID[:GID]       the user it runs as once its programs are attached,\n"
	"                              with the capabilities it keeps (default nobody;\n"
	"                              root: stay uid 0, for debugging)\n"
	"  --seccomp on|off            the seccomp filter of the system calls it still\n"
	"                              makes once attached (default on; off for debugging)\n"
	"  --record PATH               save the kernel records and the system's answers to\n"
	"                              PATH (gzip when it ends in .gz) for stoptrace replay\n"
	"  --timeout SECONDS           trace: give up after this long (exit 1; default: wait)\n"
	"  --verbose                   print libbpf's messages (the verifier's log on failure)\n"
	"  --version                   print the version and exit\n"
	"  -h, --help                  print this help and exit\n"
	"\n"
	"EXAMPLES\n"
	"  sudo stoptrace                                  alerts and timelines, readable\n"
	"  sudo stoptrace --format json --output /var/log/stoptrace.jsonl\n"
	"  sudo stoptrace --syslog --metrics-file /var/lib/node_exporter/stoptrace.prom\n"
	"  sudo stoptrace --events --container web-1       every kernel event of one container\n"
	"  sudo stoptrace trace web-1 & docker stop web-1  how did that stop go?\n"
	"  sudo stoptrace --record /var/tmp/stops.rec.gz   keep everything for a post-mortem\n"
	"  stoptrace replay stops.rec.gz --container web-1 ... replayed anywhere\n"
	"\n"
	"EXIT STATUS\n"
	"  monitor: 0 stopped by SIGINT or SIGTERM, 1 error (also: standard output closed\n"
	"  at start, or its reader went away), 2 bad usage\n"
	"  diagnose: 0 nothing wrong, 3 a problem predicted or found, 4 no such container,\n"
	"  2 bad usage, 1 any other error\n"
	"  trace: 0 the stop was graceful (or the container exited by itself), 3 it went\n"
	"  wrong (the timeline's verdict says how), 4 no such container, 2 bad usage,\n"
	"  1 any other error (--timeout expired, interrupted)\n"
	"  replay: 0 replayed to the end (or interrupted), 1 unreadable or damaged recording,\n"
	"  2 bad usage\n"
	"\n"
	"Records and fields are described in docs/ and in stoptrace(8).\n";

static void print_usage(void)
{
	fputs("USAGE\n", stdout);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fputs(commands[i].usage, stdout);
	fputs(usage_tail, stdout);
}

enum {
	OPT_FORMAT = 1000,
	OPT_OUTPUT,
	OPT_EVENTS,
	OPT_CONTAINER,
	OPT_ALERTS_ONLY,
	OPT_STOP_ALERT_AFTER,
	OPT_TEARDOWN_TIMEOUT,
	OPT_STORAGE_ROOT,
	OPT_RINGBUF_SIZE,
	OPT_VERBOSE,
	OPT_VERSION,
	OPT_STATS_INTERVAL,
	OPT_SYSLOG,
	OPT_METRICS_FILE,
	OPT_RECORD,
	OPT_TIMEOUT,
	OPT_REMOVAL_HOOKS,
	OPT_USER,
	OPT_SECCOMP,
	OPT_COUNT,
};

enum mode {
	MODE_MONITOR,
	MODE_TRACE,
	MODE_REPLAY,
};

static const char *const mode_names[] = {"the monitor", "trace", "replay"};

static const struct option long_opts[] = {
	{"format", required_argument, NULL, OPT_FORMAT},
	{"output", required_argument, NULL, OPT_OUTPUT},
	{"events", no_argument, NULL, OPT_EVENTS},
	{"container", required_argument, NULL, OPT_CONTAINER},
	{"alerts-only", no_argument, NULL, OPT_ALERTS_ONLY},
	{"stop-alert-after", required_argument, NULL, OPT_STOP_ALERT_AFTER},
	{"teardown-timeout", required_argument, NULL, OPT_TEARDOWN_TIMEOUT},
	{"storage-root", required_argument, NULL, OPT_STORAGE_ROOT},
	{"ringbuf-size", required_argument, NULL, OPT_RINGBUF_SIZE},
	{"stats-interval", required_argument, NULL, OPT_STATS_INTERVAL},
	{"record", required_argument, NULL, OPT_RECORD},
	{"timeout", required_argument, NULL, OPT_TIMEOUT},
	{"removal-hooks", required_argument, NULL, OPT_REMOVAL_HOOKS},
	{"user", required_argument, NULL, OPT_USER},
	{"seccomp", required_argument, NULL, OPT_SECCOMP},
	{"syslog", optional_argument, NULL, OPT_SYSLOG},
	{"metrics-file", required_argument, NULL, OPT_METRICS_FILE},
	{"verbose", no_argument, NULL, OPT_VERBOSE},
	{"version", no_argument, NULL, OPT_VERSION},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static int bad_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "stoptrace: <what>" and the hint to --help on standard error; returns EXIT_USAGE. */
static int bad_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "stoptrace: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'stoptrace --help'.\n");
	return EXIT_USAGE;
}

/* A whole number in [min, max], or -1. */
static long parse_number(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	return v;
}

/*
 * --ringbuf-size: a power of two from one page to 1 GiB, in MiB (a bare
 * number, or with an M suffix) or in KiB (K suffix). Bytes, or 0 when invalid.
 */
static size_t parse_ringbuf_size(const char *s)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned long long v;
	int shift = 20;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || s[0] == '-')
		return 0;
	if (*end == 'K' || *end == 'k')
		shift = 10;
	if (*end && end[1])
		return 0;
	if (*end && shift == 20 && *end != 'M' && *end != 'm')
		return 0;
	if (!v || v > (1ull << 30) >> shift || (v & (v - 1)))
		return 0;
	v <<= shift;
	return page > 0 && v < (unsigned long long)page ? 0 : (size_t)v;
}

/* Whether option opt (OPT_*) means something in mode. */
static bool option_applies(enum mode mode, int opt)
{
	switch (opt) {
	case OPT_TIMEOUT:
		return mode == MODE_TRACE;
	case OPT_CONTAINER:
		return mode != MODE_TRACE;
	case OPT_RECORD:
	case OPT_STOP_ALERT_AFTER:
	case OPT_TEARDOWN_TIMEOUT:
	case OPT_STORAGE_ROOT:
	case OPT_RINGBUF_SIZE:
	case OPT_REMOVAL_HOOKS:
	case OPT_USER:
	case OPT_SECCOMP:
	case OPT_VERBOSE:
		/* a replay's engines are set up as the recording says */
		return mode != MODE_REPLAY;
	case OPT_STATS_INTERVAL:
	case OPT_SYSLOG:
	case OPT_METRICS_FILE:
		return mode == MODE_MONITOR;
	default:
		return true;
	}
}

static const char *option_name(int opt)
{
	for (const struct option *lo = long_opts; lo->name; lo++)
		if (lo->val == opt)
			return lo->name;
	return "?";
}

/*
 * Standard input, output and error must be open: a descriptor the shell closed
 * (`>&-`) would otherwise be reused by the next file or BPF object the monitor
 * opens, and records written into it. Each closed one gets /dev/null; returns
 * whether standard output was closed.
 */
static bool fill_std_fds(void)
{
	bool out_closed = false;

	for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++) {
		int nfd;

		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		if (fd == STDOUT_FILENO)
			out_closed = true;
		nfd = open("/dev/null", O_RDWR);
		if (nfd >= 0 && nfd != fd) {
			dup2(nfd, fd);
			close(nfd);
		}
	}
	return out_closed;
}

static int stdout_closed(void)
{
	fprintf(stderr,
		"stoptrace: standard output is closed: nothing to write the records to (give --output PATH, or leave standard output open)\n");
	return EXIT_ERROR;
}

/* trace: the container named on the command line, by its full id. */
static int trace_target(const char *what, struct container *c)
{
	int err = identity_find("", what, c);

	if (err == -ENOENT) {
		fprintf(stderr, "stoptrace: no such container: '%s'\n", what);
		return EXIT_NOTFOUND;
	}
	if (err == -EEXIST)
		return bad_usage("'%s' matches more than one container: give more of its id", what);
	if (err) {
		fprintf(stderr, "stoptrace: cannot look up container '%s': %s\n", what,
			strerror(-err));
		return EXIT_ERROR;
	}
	return EXIT_OK;
}

/* The command line of the monitor, trace or replay, as parsed. */
struct cli {
	enum mode mode;
	struct monitor_opts o;
	const char *format;	      /* --format; NULL: by the output */
	const char *user;	      /* --user; NULL: nobody */
	const char *operand;	      /* trace's container, replay's recording */
	bool done;		      /* --help or --version was printed: nothing more to do */
	char label[4 * NAME_LEN + 1]; /* trace: the container's name (or id), escaped */
};

/* --NAME SECONDS in [min, max] into *out; EXIT_OK, or EXIT_USAGE (said). */
static int parse_seconds(const char *name, const char *arg, long min, long max, unsigned int *out)
{
	long v = parse_number(arg, min, max);

	if (v < 0)
		return bad_usage("--%s takes %ld to %ld seconds, not '%s'", name, min, max, arg);
	*out = v;
	return EXIT_OK;
}

/* --container ID|NAME, repeatable; EXIT_OK, or EXIT_USAGE (said). */
static int add_container(struct monitor_opts *o, const char *arg)
{
	if (o->ncontainers == MAX_FILTERS)
		return bad_usage("at most 64 --container options");
	if (!arg[0])
		return bad_usage("--container needs an id, id prefix or name");
	o->containers[o->ncontainers++] = arg;
	return EXIT_OK;
}

/* --storage-root PATH, repeatable; EXIT_OK, or EXIT_USAGE (said). */
static int add_storage_root(struct monitor_opts *o, const char *arg)
{
	if (arg[0] != '/')
		return bad_usage("--storage-root takes an absolute path, not '%s'", arg);
	if (o->nstorage_roots == MAX_STORAGE_ROOTS)
		return bad_usage("at most 32 --storage-root options");
	o->storage_roots[o->nstorage_roots++] = arg;
	return EXIT_OK;
}

/* --syslog[=SOCKET]; EXIT_OK, or EXIT_USAGE (said). */
static int set_syslog(struct monitor_opts *o, const char *arg)
{
	o->syslog_path = arg ? arg : SYSLOG_DEFAULT_SOCKET;
	if (!o->syslog_path[0] || strlen(o->syslog_path) >= SYSLOG_PATH_MAX)
		return bad_usage("--syslog=SOCKET takes a socket path of 1 to 107 bytes, not '%s'",
				 o->syslog_path);
	return EXIT_OK;
}

/* --ringbuf-size SIZE; EXIT_OK, or EXIT_USAGE (said). */
static int set_ringbuf_size(struct monitor_opts *o, const char *arg)
{
	o->ringbuf_bytes = parse_ringbuf_size(arg);
	if (!o->ringbuf_bytes)
		return bad_usage(
			"--ringbuf-size takes a power of two from one page (4K) to 1024 MiB: 4 or 4M for 4 MiB, 64K for 64 KiB; not '%s'",
			arg);
	return EXIT_OK;
}

/*
 * One option (OPT_*, with its argument) into c; EXIT_OK, or EXIT_USAGE
 * (said). A flat list, one case per option, like the table of options.
 */
static int parse_option(struct cli *c, int opt, const char *arg)
{
	struct monitor_opts *o = &c->o;

	switch (opt) {
	case OPT_FORMAT:
		if (strcmp(arg, "text") && strcmp(arg, "json"))
			return bad_usage("--format takes 'text' or 'json', not '%s'", arg);
		c->format = arg;
		return EXIT_OK;
	case OPT_OUTPUT:
	case OPT_METRICS_FILE:
		if (!arg[0])
			return bad_usage("%s needs a path",
					 opt == OPT_OUTPUT ? "--output" : "--metrics-file");
		*(opt == OPT_OUTPUT ? &o->output_path : &o->metrics_path) = arg;
		return EXIT_OK;
	case OPT_SYSLOG:
		return set_syslog(o, arg);
	case OPT_EVENTS:
		o->events = true;
		return EXIT_OK;
	case OPT_CONTAINER:
		return add_container(o, arg);
	case OPT_ALERTS_ONLY:
		o->alerts_only = true;
		return EXIT_OK;
	case OPT_STOP_ALERT_AFTER:
		return parse_seconds("stop-alert-after", arg, 1, 86400, &o->stop_alert_after_s);
	case OPT_TEARDOWN_TIMEOUT:
		return parse_seconds("teardown-timeout", arg, 1, 86400, &o->teardown_timeout_s);
	case OPT_STORAGE_ROOT:
		return add_storage_root(o, arg);
	case OPT_RINGBUF_SIZE:
		return set_ringbuf_size(o, arg);
	case OPT_STATS_INTERVAL:
		return parse_seconds("stats-interval", arg, 0, 86400, &o->stats_interval_s);
	case OPT_REMOVAL_HOOKS:
		if (rh_mode_parse(arg, &o->removal_hooks))
			return bad_usage(
				"--removal-hooks takes auto, on-demand or always, not '%s'", arg);
		return EXIT_OK;
	case OPT_RECORD:
		if (!arg[0])
			return bad_usage("--record needs a file name");
		o->record_path = arg;
		return EXIT_OK;
	case OPT_TIMEOUT:
		return parse_seconds("timeout", arg, 1, 7 * 86400, &o->trace_timeout_s);
	case OPT_USER:
		c->user = arg;
		return EXIT_OK;
	case OPT_SECCOMP:
		if (strcmp(arg, "on") && strcmp(arg, "off"))
			return bad_usage("--seccomp takes on or off, not '%s'", arg);
		o->seccomp_off = !strcmp(arg, "off");
		return EXIT_OK;
	case OPT_VERBOSE:
		o->verbose = true;
		return EXIT_OK;
	default:
		fprintf(stderr, "Try 'stoptrace --help'.\n");
		return EXIT_USAGE;
	}
}

/* What the options are when not given, as --help says. */
static const struct monitor_opts default_opts = {
	.stop_alert_after_s = 30,
	.teardown_timeout_s = 3,
	.ringbuf_bytes = 4u << 20,
	.stats_interval_s = 60,
};

/* The options and the operand of the monitor, trace or replay into c; EXIT_OK, or EXIT_USAGE. */
static int parse_options(struct cli *c, int argc, char **argv)
{
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		if (opt >= OPT_FORMAT && opt < OPT_COUNT && !option_applies(c->mode, opt)) {
			fprintf(stderr, "stoptrace: --%s does not apply to %s\n", option_name(opt),
				mode_names[c->mode]);
			fprintf(stderr, "Try 'stoptrace --help'.\n");
			return EXIT_USAGE;
		}
		if (opt == OPT_VERSION || opt == 'h') {
			if (opt == OPT_VERSION)
				printf("stoptrace %s (%s)\n", STOPTRACE_VERSION, STOPTRACE_REV);
			else
				print_usage();
			c->done = true;
			return EXIT_OK;
		}
		ret = parse_option(c, opt, optarg);
		if (ret != EXIT_OK)
			return ret;
	}
	if (c->mode == MODE_MONITOR && optind < argc)
		return bad_usage("unknown command '%s'", argv[optind]);
	if (c->mode == MODE_TRACE && optind != argc - 1)
		return bad_usage("trace needs one container: an id, id prefix or name");
	if (c->mode == MODE_REPLAY && optind != argc - 1)
		return bad_usage("replay needs one recording file");
	c->operand = argv[optind];
	return EXIT_OK;
}

/* --format, else text on a terminal and JSON elsewhere; colour for text on a terminal. */
static void choose_format(struct cli *c)
{
	struct monitor_opts *o = &c->o;

	if (c->format)
		o->format = strcmp(c->format, "json") ? OUT_TEXT : OUT_JSON;
	else
		o->format = !o->output_path && isatty(STDOUT_FILENO) ? OUT_TEXT : OUT_JSON;
	o->color = o->format == OUT_TEXT && !o->output_path && isatty(STDOUT_FILENO);
}

/* trace: the container to follow, and the only one shown; EXIT_OK, or the exit status (said). */
static int follow_container(struct cli *c)
{
	static struct container traced;
	int ret;

	ret = trace_target(c->operand, &traced);
	if (ret != EXIT_OK)
		return ret;
	c->o.trace_id = traced.id;
	c->o.containers[c->o.ncontainers++] = traced.id;
	text_escape(c->label, sizeof(c->label), traced.name[0] ? traced.name : traced.id,
		    sizeof(traced.name));
	c->o.trace_label = c->label;
	return EXIT_OK;
}

/* The monitor, trace or replay: the command line, then the run. */
static int run_mode(enum mode mode, int argc, char **argv, bool out_closed)
{
	struct cli c = {.mode = mode, .o = default_opts};
	char why[256];
	int ret;

	ret = parse_options(&c, argc, argv);
	if (ret != EXIT_OK || c.done)
		return ret;
	if (out_closed && !c.o.output_path)
		return stdout_closed();
	choose_format(&c);
	if (mode == MODE_REPLAY)
		return monitor_replay(&c.o, c.operand);
	/* resolved now, before anything is loaded: nothing is looked up once it runs */
	if (caps_user_parse(c.user ? c.user : "nobody", &c.o.user, why, sizeof(why)))
		return bad_usage("%s", why);
	if (mode == MODE_TRACE) {
		ret = follow_container(&c);
		if (ret != EXIT_OK)
			return ret;
	}
	return monitor_run(&c.o);
}

static int run_monitor(int argc, char **argv, bool out_closed)
{
	return run_mode(MODE_MONITOR, argc, argv, out_closed);
}

static int run_trace(int argc, char **argv, bool out_closed)
{
	return run_mode(MODE_TRACE, argc, argv, out_closed);
}

static int run_replay(int argc, char **argv, bool out_closed)
{
	return run_mode(MODE_REPLAY, argc, argv, out_closed);
}

static int run_diagnose(int argc, char **argv, bool out_closed)
{
	return out_closed ? stdout_closed() : diagnose_main(argc, argv);
}

/* The command argv[1] names; the monitor's when it names none. */
static const struct command *find_command(int argc, char **argv)
{
	for (size_t i = 0; argc > 1 && i < ARRAY_SIZE(commands); i++)
		if (commands[i].name && !strcmp(argv[1], commands[i].name))
			return &commands[i];
	return &commands[0];
}

int main(int argc, char **argv)
{
	const struct command *cmd;
	bool out_closed;

	out_closed = fill_std_fds();
	cmd = find_command(argc, argv);
	if (cmd->name) {
		/* the command's own argv: argv[0] is its name */
		argc--;
		argv++;
	}
	return cmd->run(argc, argv, out_closed);
}
