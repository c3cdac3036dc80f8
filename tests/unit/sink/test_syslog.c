// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * RFC 5424 framing of records for syslog: the exact header, severities, host
 * names a syslog parser accepts, the size limit, and delivery over real
 * datagram and stream sockets, including a listener that goes away and
 * comes back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "report/records.h"
#include "sink/syslog.h"

#define T_NS 1795758519123456789LL /* 2026-11-27T05:48:39.123456789Z */

static void test_severity(void **state)
{
	(void)state;
	assert_int_equal(syslog_severity_of("alert"), 4);
	assert_int_equal(syslog_severity_of("alert_resolved"), 5);
	assert_int_equal(syslog_severity_of("stop_timeline"), 6);
	assert_int_equal(syslog_severity_of("removal_timeline"), 6);
	assert_int_equal(syslog_severity_of("monitor_started"), 6);
	assert_int_equal(syslog_severity_of("monitor_stats"), 6);
	assert_int_equal(syslog_severity_of("monitor_stopped"), 6);
	assert_int_equal(syslog_severity_of("event"), 7);
}

static void test_header(void **state)
{
	char buf[SYSLOG_HEADER_MAX];
	size_t n;

	(void)state;
	n = syslog_header(buf, sizeof(buf), "alert", T_NS, "vm", 4242);
	assert_string_equal(buf, "<28>1 2026-11-27T05:48:39.123456Z vm stoptrace 4242 alert - ");
	assert_int_equal(n, strlen(buf));
	/* facility daemon (3): PRI = 24 + severity */
	syslog_header(buf, sizeof(buf), "alert_resolved", T_NS, "vm", 1);
	assert_string_equal(buf,
			    "<29>1 2026-11-27T05:48:39.123456Z vm stoptrace 1 alert_resolved - ");
	syslog_header(buf, sizeof(buf), "stop_timeline", 0, "vm", 1);
	assert_string_equal(buf,
			    "<30>1 1970-01-01T00:00:00.000000Z vm stoptrace 1 stop_timeline - ");
	syslog_header(buf, sizeof(buf), "event", T_NS, "vm", 1);
	assert_memory_equal(buf, "<31>1 ", 6);
	/* too small a buffer: nothing, not half a header */
	assert_int_equal(syslog_header(buf, 20, "alert", T_NS, "vm", 1), 0);
}

static void test_header_host(void **state)
{
	char buf[SYSLOG_HEADER_MAX], host[300];

	(void)state;
	/* RFC 5424 HOSTNAME is printable US-ASCII without spaces */
	syslog_header(buf, sizeof(buf), "alert", T_NS, "my host\n\x7f\xc3\xa9", 1);
	assert_string_equal(buf,
			    "<28>1 2026-11-27T05:48:39.123456Z my_host____ stoptrace 1 alert - ");
	syslog_header(buf, sizeof(buf), "alert", T_NS, "", 1);
	assert_string_equal(buf, "<28>1 2026-11-27T05:48:39.123456Z - stoptrace 1 alert - ");
	memset(host, 'h', sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	syslog_header(buf, sizeof(buf), "alert", T_NS, host, 1);
	assert_int_equal(strchr(buf + 34, ' ') - (buf + 34), SYSLOG_HOST_MAX);
}

/* The longest header there can be still leaves room for the longest JSON record. */
static void test_size_limit(void **state)
{
	char host[SYSLOG_HOST_MAX + 1], buf[SYSLOG_MSG_MAX + 64];
	static char msg[RECORD_MAX];
	size_t hlen, n;

	(void)state;
	memset(host, 'h', SYSLOG_HOST_MAX);
	host[SYSLOG_HOST_MAX] = '\0';
	memset(msg, 'x', sizeof(msg));
	hlen = syslog_header(buf, sizeof(buf), "removal_timeline", T_NS, host, 2147483647);
	assert_true(hlen > 0 && hlen <= SYSLOG_HEADER_MAX);
	/* the monitor cuts JSON records to this length minus the NUL */
	n = syslog_frame(buf, sizeof(buf), "removal_timeline", T_NS, host, 2147483647, msg,
			 SYSLOG_MSG_MAX - SYSLOG_HEADER_MAX - 1);
	assert_true(n > 0 && n <= SYSLOG_MSG_MAX);

	/* exactly the limit passes, one byte more is refused whole */
	hlen = syslog_header(buf, sizeof(buf), "alert", T_NS, "vm", 1);
	n = syslog_frame(buf, sizeof(buf), "alert", T_NS, "vm", 1, msg, SYSLOG_MSG_MAX - hlen);
	assert_int_equal(n, SYSLOG_MSG_MAX);
	assert_int_equal(syslog_frame(buf, sizeof(buf), "alert", T_NS, "vm", 1, msg,
				      SYSLOG_MSG_MAX - hlen + 1),
			 0);
	/* and never past the caller's buffer */
	assert_int_equal(syslog_frame(buf, 100, "alert", T_NS, "vm", 1, msg, 100 - hlen), 0);
	n = syslog_frame(buf, 100, "alert", T_NS, "vm", 1, "{}", 2);
	assert_int_equal(n, hlen + 2);
	assert_string_equal(buf + hlen, "{}");
}

struct listener {
	char dir[64];
	char path[128];
	int fd;
};

static void listen_on(struct listener *l, int type)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};

	if (!l->dir[0]) {
		strcpy(l->dir, "/tmp/stoptrace-syslog-XXXXXX");
		assert_non_null(mkdtemp(l->dir));
		snprintf(l->path, sizeof(l->path), "%s/log", l->dir);
	}
	unlink(l->path);
	strcpy(a.sun_path, l->path);
	l->fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	assert_true(l->fd >= 0);
	assert_int_equal(bind(l->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	if (type == SOCK_STREAM)
		assert_int_equal(listen(l->fd, 4), 0);
}

static void stop_listening(struct listener *l)
{
	close(l->fd);
	unlink(l->path);
}

static struct sink_record *record(const char *type, const char *line)
{
	struct sink_record *r = calloc(1, sizeof(*r) + strlen(line) + 1);

	r->type = type;
	r->real_ns = T_NS;
	r->len = strlen(line);
	memcpy(r->line, line, r->len + 1);
	return r;
}

static const char want_alert[] =
	"<28>1 2026-11-27T05:48:39.123456Z vm stoptrace %d alert - {\"type\":\"alert\"}";

static void test_datagram_and_reconnect(void **state)
{
	struct sink_record *r = record("alert", "{\"type\":\"alert\"}");
	struct listener l = {};
	struct syslog_conn *c = malloc(sizeof(*c));
	char buf[SYSLOG_MSG_MAX + 1], want[256];
	ssize_t n;
	int err = -EAGAIN;

	(void)state;
	snprintf(want, sizeof(want), want_alert, (int)getpid());
	listen_on(&l, SOCK_DGRAM);
	assert_int_equal(syslog_open(c, l.path, "vm"), 0);
	assert_false(c->stream);
	assert_int_equal(syslog_write(c, r), 0);
	n = recv(l.fd, buf, sizeof(buf) - 1, 0);
	assert_int_equal(n, strlen(want));
	buf[n] = '\0';
	assert_string_equal(buf, want);

	/* the daemon goes away: the record is kept (-EAGAIN), not lost */
	stop_listening(&l);
	assert_int_equal(syslog_write(c, r), -EAGAIN);
	assert_int_equal(syslog_write(c, r), -EAGAIN);
	/* it comes back on the same path: the next tries reconnect */
	listen_on(&l, SOCK_DGRAM);
	for (int i = 0; i < 100 && err == -EAGAIN; i++) {
		err = syslog_write(c, r);
		if (err == -EAGAIN)
			usleep(50000);
	}
	assert_int_equal(err, 0);
	n = recv(l.fd, buf, sizeof(buf) - 1, 0);
	assert_int_equal(n, strlen(want));
	stop_listening(&l);
	syslog_close(c);
	rmdir(l.dir);
	free(c);
	free(r);
}

/* A stream listener (syslog-ng, some journald set-ups): EPROTOTYPE, then a stream, NUL-ended. */
static void test_stream_fallback(void **state)
{
	struct sink_record *r = record("alert", "{\"type\":\"alert\"}");
	struct listener l = {};
	struct syslog_conn *c = malloc(sizeof(*c));
	char buf[512], want[256];
	size_t got = 0;
	int fd;

	(void)state;
	snprintf(want, sizeof(want), want_alert, (int)getpid());
	listen_on(&l, SOCK_STREAM);
	assert_int_equal(syslog_open(c, l.path, "vm"), 0);
	assert_true(c->stream);
	fd = accept(l.fd, NULL, NULL);
	assert_true(fd >= 0);
	assert_int_equal(syslog_write(c, r), 0);
	assert_int_equal(syslog_write(c, r), 0);
	while (got < 2 * (strlen(want) + 1)) {
		ssize_t n = read(fd, buf + got, sizeof(buf) - got);

		assert_true(n > 0);
		got += (size_t)n;
	}
	assert_int_equal(got, 2 * (strlen(want) + 1));
	assert_string_equal(buf, want);
	assert_string_equal(buf + strlen(want) + 1, want);
	close(fd);
	stop_listening(&l);
	syslog_close(c);
	rmdir(l.dir);
	free(c);
	free(r);
}

static void test_open_errors(void **state)
{
	struct syslog_conn *c = malloc(sizeof(*c));
	char longpath[200];

	(void)state;
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(syslog_open(c, longpath, "vm"), -ENAMETOOLONG);
	assert_int_equal(syslog_open(c, "/nonexistent-dir/log", "vm"), -ENOENT);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_severity),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_header_host),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_datagram_and_reconnect),
		cmocka_unit_test(test_stream_fallback),
		cmocka_unit_test(test_open_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
