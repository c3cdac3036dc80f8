// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "lib/clock.h"
#include "sink/syslog.h"

#define NSEC_PER_SEC	1000000000LL
#define BACKOFF_MIN_NS	(100 * 1000000LL)
#define BACKOFF_MAX_NS	(5 * NSEC_PER_SEC)
#define SEND_TIMEOUT_MS 1000

enum syslog_severity syslog_severity_of(const char *type)
{
	if (!strcmp(type, "alert"))
		return SYSLOG_WARNING;
	if (!strcmp(type, "alert_resolved"))
		return SYSLOG_NOTICE;
	if (!strcmp(type, "event"))
		return SYSLOG_DEBUG;
	return SYSLOG_INFO;
}

/* RFC 5424 HOSTNAME: 1 to 255 bytes of printable US-ASCII, or "-". */
static void clean_host(char *out, size_t cap, const char *host)
{
	size_t n = 0;

	for (; host && host[n] && n < cap - 1; n++) {
		unsigned char ch = (unsigned char)host[n];

		out[n] = ch >= 33 && ch <= 126 ? (char)ch : '_';
	}
	if (!n)
		out[n++] = '-';
	out[n] = '\0';
}

size_t syslog_header(char *buf, size_t cap, const char *type, int64_t real_ns, const char *host,
		     int pid)
{
	char clean[SYSLOG_HOST_MAX + 1], stamp[32];
	time_t secs = (time_t)(real_ns / NSEC_PER_SEC);
	struct tm tm;
	int n;

	clean_host(clean, sizeof(clean), host);
	if (!gmtime_r(&secs, &tm) || !strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm))
		return 0;
	n = snprintf(buf, cap, "<%d>1 %s.%06dZ %s stoptrace %d %.32s - ",
		     SYSLOG_FACILITY * 8 + (int)syslog_severity_of(type), stamp,
		     (int)(real_ns % NSEC_PER_SEC / 1000), clean, pid, type);
	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

size_t syslog_frame(char *buf, size_t cap, const char *type, int64_t real_ns, const char *host,
		    int pid, const char *msg, size_t len)
{
	size_t n = syslog_header(buf, cap, type, real_ns, host, pid);

	if (!n || n + len > SYSLOG_MSG_MAX || n + len >= cap)
		return 0;
	memcpy(buf + n, msg, len);
	buf[n + len] = '\0';
	return n + len;
}

static int connect_as(struct syslog_conn *c, int type)
{
	struct timeval tv = {.tv_sec = SEND_TIMEOUT_MS / 1000,
			     .tv_usec = SEND_TIMEOUT_MS % 1000 * 1000};
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	/* a listener that stops reading holds the writer one second, not forever */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&c->addr, sizeof(c->addr))) {
		int err = -errno;

		close(fd);
		return err;
	}
	c->fd = fd;
	c->stream = type == SOCK_STREAM;
	return 0;
}

static int connect_now(struct syslog_conn *c)
{
	int err = connect_as(c, SOCK_DGRAM);

	if (err == -EPROTOTYPE)
		err = connect_as(c, SOCK_STREAM);
	return err;
}

int syslog_open(struct syslog_conn *c, const char *path, const char *host)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->addr.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(c->addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(c->addr.sun_path, path);
	clean_host(c->host, sizeof(c->host), host);
	c->pid = getpid();
	c->backoff_ns = BACKOFF_MIN_NS;
	return connect_now(c);
}

void syslog_close(struct syslog_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* Connected, or -EAGAIN: the next attempt waits, twice as long each time up to 5 s. */
static int reconnect(struct syslog_conn *c)
{
	int64_t now = clock_ns(CLOCK_MONOTONIC);

	if (c->fd >= 0)
		return 0;
	if (now < c->next_try_ns)
		return -EAGAIN;
	if (connect_now(c) == 0) {
		c->backoff_ns = BACKOFF_MIN_NS;
		return 0;
	}
	c->next_try_ns = now + c->backoff_ns;
	c->backoff_ns = c->backoff_ns * 2 > BACKOFF_MAX_NS ? BACKOFF_MAX_NS : c->backoff_ns * 2;
	return -EAGAIN;
}

static bool listener_gone(int err)
{
	return err == ECONNREFUSED || err == ENOENT || err == ENOTCONN || err == EPIPE ||
	       err == ECONNRESET || err == EDESTADDRREQ;
}

static int send_all(int fd, const char *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = send(fd, buf + done, len - done, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		done += (size_t)n;
	}
	return 0;
}

int syslog_write(void *ctx, const struct sink_record *r)
{
	struct syslog_conn *c = ctx;
	/* the buffer has room for the NUL that ends a message on a stream */
	size_t len = syslog_frame(c->buf, sizeof(c->buf), r->type, r->real_ns, c->host, c->pid,
				  r->line, r->len);
	int err;

	if (!len)
		return -EMSGSIZE;
	err = reconnect(c);
	if (err)
		return err;
	if (c->stream)
		len++; /* syslog_frame wrote the NUL */
	err = send_all(c->fd, c->buf, len);
	if (!err)
		return 0;
	if (listener_gone(-err)) {
		/* the daemon restarted: connect again now, then with growing pauses */
		syslog_close(c);
		c->next_try_ns = 0;
		return -EAGAIN;
	}
	if (err == -EAGAIN || err == -EWOULDBLOCK) {
		/* a stream may hold part of the message: start over on a new connection */
		if (c->stream)
			syslog_close(c);
		return -EAGAIN;
	}
	return err;
}
