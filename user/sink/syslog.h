/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Records to the local syslog socket, one RFC 5424 message each:
 *
 *   <PRI>1 TIMESTAMP HOSTNAME stoptrace PROCID MSGID - MSG
 *
 * facility daemon, severity by record type, MSGID the record type, MSG the
 * record's JSON line. A whole message fits rsyslog's default limit (8096 bytes).
 * The socket is a datagram socket, or a stream socket when the listener is
 * one (messages then end with a NUL, as glibc's syslog() sends them). A
 * listener that went away is reconnected with a growing pause.
 */
#ifndef STOPTRACE_SYSLOG_H
#define STOPTRACE_SYSLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/un.h>
#include "sink/sink.h"

#define SYSLOG_DEFAULT_SOCKET "/dev/log"
#define SYSLOG_PATH_MAX	      108 /* sizeof(sun_path), the NUL included */
/*
 * rsyslog's default maxMessageSize ("8k") is 8096 bytes, header included:
 * longer messages are cut there (seen with rsyslog 8.2302).
 */
#define SYSLOG_MSG_MAX 8096
/*
 * Room kept for the header: PRI, version, a 27-byte timestamp, a host name of
 * at most SYSLOG_HOST_MAX, the app name, a pid, a MSGID of at most 32 and
 * the spaces. JSON records are cut to SYSLOG_MSG_MAX - SYSLOG_HEADER_MAX.
 */
#define SYSLOG_HEADER_MAX 256
#define SYSLOG_HOST_MAX	  64
#define SYSLOG_FACILITY	  3 /* daemon */

enum syslog_severity {
	SYSLOG_WARNING = 4,
	SYSLOG_NOTICE = 5,
	SYSLOG_INFO = 6,
	SYSLOG_DEBUG = 7,
};

/* alert: warning; alert_resolved: notice; event: debug; the rest info. */
enum syslog_severity syslog_severity_of(const char *type);

/*
 * The header up to and including the space before MSG. host is cut to
 * SYSLOG_HOST_MAX and every byte outside printable ASCII (33 to 126) becomes
 * '_' (RFC 5424 allows no other); an empty host is "-". Returns the length,
 * or 0 when it does not fit cap.
 */
size_t syslog_header(char *buf, size_t cap, const char *type, int64_t real_ns, const char *host,
		     int pid);
/* Header and msg in buf: the length, or 0 when over SYSLOG_MSG_MAX or cap. */
size_t syslog_frame(char *buf, size_t cap, const char *type, int64_t real_ns, const char *host,
		    int pid, const char *msg, size_t len);

struct syslog_conn {
	struct sockaddr_un addr;
	int fd; /* -1 while not connected */
	bool stream;
	int64_t next_try_ns; /* CLOCK_MONOTONIC: no reconnection before */
	int64_t backoff_ns;
	int pid;
	char host[SYSLOG_HOST_MAX + 1];
	char buf[SYSLOG_MSG_MAX + 1];
};

/* Connect once: -ENAMETOOLONG, or the -errno of socket/connect. */
int syslog_open(struct syslog_conn *c, const char *path, const char *host);
void syslog_close(struct syslog_conn *c);
/* A sink_write_fn: ctx is a struct syslog_conn. */
int syslog_write(void *ctx, const struct sink_record *r);

#endif /* STOPTRACE_SYSLOG_H */
