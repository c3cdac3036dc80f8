// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sink/metrics.h"
#include "lib/safefile.h"

struct text {
	char *buf;
	size_t cap;
	size_t len;
	bool overflow;
};

static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= t->cap - t->len) {
		t->overflow = true;
		return;
	}
	t->len += (size_t)n;
}

static const char *const fs_drop_names[METRICS_FS_DROP_MAX] = {
	[METRICS_FS_MISMATCH] = "mismatch",
	[METRICS_FS_INFLIGHT_FULL] = "inflight_error",
	[METRICS_FS_UNTRUSTED] = "untrusted",
	[METRICS_FS_RUNTIME_TASKS] = "runtime_task_error",
};

const char *metrics_outcome_name(int outcome)
{
	return outcome ? "failed" : "removed";
}

size_t metrics_escape(char *out, size_t cap, const char *s)
{
	size_t n = 0, need = 0;

	for (; *s; s++) {
		const char *esc = *s == '\\'   ? "\\\\"
				  : *s == '"'  ? "\\\""
				  : *s == '\n' ? "\\n"
					       : NULL;
		size_t w = esc ? 2 : 1;

		need += w;
		if (need != n + w || n + w >= cap)
			continue; /* cut: nothing after the first escape that did not fit */
		if (esc)
			memcpy(out + n, esc, 2);
		else
			out[n] = *s;
		n += w;
	}
	if (cap)
		out[n < cap ? n : cap - 1] = '\0';
	return need;
}

static void head(struct text *t, const char *name, const char *type, const char *help)
{
	put(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{label="value"} v, the value escaped. */
static void labelled(struct text *t, const char *name, const char *label, const char *value,
		     uint64_t v)
{
	char esc[256];

	if (metrics_escape(esc, sizeof(esc), value) >= sizeof(esc)) {
		t->overflow = true;
		return;
	}
	put(t, "%s{%s=\"%s\"} %llu\n", name, label, esc, (unsigned long long)v);
}

static void sink_family(struct text *t, const struct metrics *m, const char *name, const char *help,
			size_t offset)
{
	head(t, name, "counter", help);
	for (int i = 0; i < m->nsinks; i++) {
		const struct metrics_sink *s = &m->sinks[i];

		labelled(t, name, "sink", s->name, *(const uint64_t *)((const char *)s + offset));
	}
}

size_t metrics_format(const struct metrics *m, char *buf, size_t cap)
{
	struct text t = {.buf = buf, .cap = cap};

	head(&t, "stoptrace_stops_total", "counter",
	     "Container stops, by the verdict of their stop timeline.");
	for (int v = 0; v < TL_VERDICT_MAX; v++)
		labelled(&t, "stoptrace_stops_total", "verdict", tl_verdict_name(v), m->stops[v]);
	head(&t, "stoptrace_alerts_total", "counter", "Alerts raised, by kind.");
	for (int k = 0; k < TL_ALERT_KIND_MAX; k++)
		labelled(&t, "stoptrace_alerts_total", "kind", tl_alert_kind_name(k), m->alerts[k]);
	head(&t, "stoptrace_removals_total", "counter",
	     "Removals of container storage, by outcome.");
	for (int o = 0; o < METRICS_OUTCOME_MAX; o++)
		labelled(&t, "stoptrace_removals_total", "outcome", metrics_outcome_name(o),
			 m->removals[o]);
	head(&t, "stoptrace_events_total", "counter", "Records read from the kernel.");
	put(&t, "stoptrace_events_total %llu\n", (unsigned long long)m->events);
	head(&t, "stoptrace_lost_records_total", "counter",
	     "Records lost before they were read (kernel: the ring buffer was full).");
	labelled(&t, "stoptrace_lost_records_total", "where", "kernel", m->lost);
	head(&t, "stoptrace_kernel_fs_dropped_total", "counter",
	     "Unmount and removal calls the kernel side dropped, by reason.");
	for (int r = 0; r < METRICS_FS_DROP_MAX; r++)
		labelled(&t, "stoptrace_kernel_fs_dropped_total", "reason", fs_drop_names[r],
			 m->fs_dropped[r]);
	sink_family(&t, m, "stoptrace_sink_written_total", "Records a sink delivered.",
		    offsetof(struct metrics_sink, written));
	sink_family(&t, m, "stoptrace_sink_dropped_total",
		    "Records a sink never delivered: its queue was full, or still held at exit.",
		    offsetof(struct metrics_sink, dropped));
	sink_family(&t, m, "stoptrace_sink_errors_total", "Records a sink failed to write.",
		    offsetof(struct metrics_sink, errors));
	head(&t, "stoptrace_table_full_total", "counter",
	     "Entries refused because a bounded table was full, by table.");
	for (int b = 0; b < BOUND_MAX; b++)
		labelled(&t, "stoptrace_table_full_total", "table", bound_name(b),
			 m->table_full[b]);
	head(&t, "stoptrace_containers_tracked", "gauge",
	     "Container cgroups tracked now (one per cgroup hierarchy).");
	put(&t, "stoptrace_containers_tracked %llu\n", (unsigned long long)m->containers);
	head(&t, "stoptrace_start_time_seconds", "gauge",
	     "When the monitor started, in seconds since the epoch.");
	put(&t, "stoptrace_start_time_seconds %lld\n", (long long)m->start_time_s);
	head(&t, "stoptrace_build_info", "gauge", "The running version; always 1.");
	labelled(&t, "stoptrace_build_info", "version", m->version ? m->version : "", 1);
	return t.overflow ? 0 : t.len;
}

static int write_all(int fd, const char *text, size_t len)
{
	while (len) {
		ssize_t n = write(fd, text, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		text += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Make the rename itself durable; a failure here changes nothing a reader sees. */
static void sync_dir(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	int fd;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path) + (slash == path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int metrics_write_file(const char *path, const char *text, size_t len)
{
	char tmp[4096], why[SAFEFILE_WHY_MAX];
	int fd, err;

	/* a symlink or a device planted at path is refused (rename would replace a link) */
	err = safefile_check_regular(path, why, sizeof(why));
	if (err)
		return err;
	/* a random name, O_EXCL | O_NOFOLLOW: nothing planted in a shared directory is written */
	fd = safefile_create_temp(path, tmp, sizeof(tmp), why, sizeof(why));
	if (fd < 0)
		return fd;
	err = write_all(fd, text, len);
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err) {
		unlink(tmp);
		return err;
	}
	sync_dir(path);
	return 0;
}
