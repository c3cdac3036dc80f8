// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The syslog framing (syslog.c): syslog_header, syslog_frame, and
 * syslog_write over a datagram and a stream socket pair. Input: u8 record
 * type (one of the monitor's), u64 LE CLOCK_REALTIME ns, u16 LE pid, then
 * the host name and the message, split at the first FUZZ_SEP.
 *
 * Checked: a frame is "<PRI>1 TIMESTAMP HOSTNAME stoptrace PROCID MSGID - MSG"
 * with PRI daemon*8 + the type's severity, TIMESTAMP
 * YYYY-MM-DDTHH:MM:SS.uuuuuuZ carrying the microseconds of the time,
 * HOSTNAME 1..64 bytes of printable ASCII (or "-"), the pid, MSGID the type,
 * and MSG the message byte for byte; no frame is longer than SYSLOG_MSG_MAX
 * (it is refused instead); what reaches the socket is the frame, a datagram
 * alone or ended by a NUL on a stream.
 */
#include <sys/socket.h>

#include "lib/array_size.h"
#include "fuzz.h"
#include "sink/syslog.h"

static const char *const types[] = {"monitor_started", "monitor_stats",	  "monitor_stopped",
				    "event",	       "alert",		  "alert_resolved",
				    "stop_timeline",   "removal_timeline"};

static bool digits(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return true;
}

/* The frame of len bytes at f, as the header says it must be. */
static void check_frame(const char *f, size_t len, const char *type, int64_t ns, const char *host,
			int pid, const char *msg, size_t mlen)
{
	char want[128];
	const char *p = f, *sp;
	size_t hl;
	int n;

	n = snprintf(want, sizeof(want), "<%d>1 ", SYSLOG_FACILITY * 8 + syslog_severity_of(type));
	if (len < (size_t)n || memcmp(p, want, (size_t)n))
		fuzz_fail("syslog: PRI of %s wrong: %.40s", type, f);
	p += n;
	/* 2026-11-27T05:48:41.123456Z */
	if ((size_t)(f + len - p) < 28 || !digits(p, 4) || p[4] != '-' || !digits(p + 5, 2) ||
	    p[7] != '-' || !digits(p + 8, 2) || p[10] != 'T' || !digits(p + 11, 2) ||
	    p[13] != ':' || !digits(p + 14, 2) || p[16] != ':' || !digits(p + 17, 2) ||
	    p[19] != '.' || !digits(p + 20, 6) || p[26] != 'Z' || p[27] != ' ')
		fuzz_fail("syslog: timestamp of %lld malformed: %.60s", (long long)ns, f);
	snprintf(want, sizeof(want), "%06d", (int)(ns % 1000000000 / 1000));
	if (memcmp(p + 20, want, 6))
		fuzz_fail("syslog: microseconds of %lld are not %s: %.30s", (long long)ns, want, p);
	p += 28;
	sp = memchr(p, ' ', (size_t)(f + len - p));
	if (!sp)
		fuzz_fail("syslog: no HOSTNAME: %s", f);
	hl = (size_t)(sp - p);
	if (hl < 1 || hl > SYSLOG_HOST_MAX)
		fuzz_fail("syslog: HOSTNAME of %zu bytes", hl);
	for (size_t i = 0; i < hl; i++)
		if ((unsigned char)p[i] < 33 || (unsigned char)p[i] > 126)
			fuzz_fail("syslog: byte 0x%02x in HOSTNAME", (unsigned char)p[i]);
	if (!host[0] ? hl != 1 || p[0] != '-'
		     : hl != (strlen(host) < SYSLOG_HOST_MAX ? strlen(host) : SYSLOG_HOST_MAX))
		fuzz_fail("syslog: HOSTNAME %.*s for host of %zu bytes", (int)hl, p, strlen(host));
	p = sp + 1;
	n = snprintf(want, sizeof(want), "stoptrace %d %s - ", pid, type);
	if ((size_t)(f + len - p) < (size_t)n || memcmp(p, want, (size_t)n))
		fuzz_fail("syslog: APP-NAME PROCID MSGID wrong: %.60s", p);
	p += n;
	if ((size_t)(f + len - p) != mlen || memcmp(p, msg, mlen))
		fuzz_fail("syslog: MSG is not the record (%zu bytes, want %zu)",
			  (size_t)(f + len - p), mlen);
}

/* syslog_write over a socket pair of this type; what arrives must be the frame. */
static void check_write(int type, const char *frame, size_t flen, const struct sink_record *r,
			const char *host, int pid)
{
	static char got[SYSLOG_MSG_MAX + 16];
	struct syslog_conn c;
	int sv[2], err;
	ssize_t n;

	if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv))
		fuzz_fail("socketpair: %s", strerror(errno));
	memset(&c, 0, sizeof(c));
	c.fd = sv[0];
	c.stream = type == SOCK_STREAM;
	c.pid = pid;
	snprintf(c.host, sizeof(c.host), "%s", host);
	err = syslog_write(&c, r);
	if (!flen) {
		if (err != -EMSGSIZE)
			fuzz_fail("syslog_write of a frame too long: %d, not -EMSGSIZE", err);
	} else {
		if (err)
			fuzz_fail("syslog_write: %d", err);
		shutdown(sv[0], SHUT_WR);
		n = recv(sv[1], got, sizeof(got), type == SOCK_STREAM ? MSG_WAITALL : 0);
		if (n != (ssize_t)(flen + c.stream) || memcmp(got, frame, flen) ||
		    (c.stream && got[flen] != '\0'))
			fuzz_fail("syslog_write sent %zd bytes, not the frame of %zu%s", n, flen,
				  c.stream ? " and a NUL" : "");
	}
	close(sv[0]);
	close(sv[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char frame[SYSLOG_MSG_MAX + 1], small[96];
	struct fuzz_part parts[2];
	struct sink_record *r;
	char host[256];
	const char *type;
	int64_t ns = 0;
	size_t flen, hlen;
	int pid;

	if (size < 11)
		return 0;
	type = types[data[0] % (ARRAY_SIZE(types))];
	memcpy(&ns, data + 1, 8);
	/* the wall clock after 1970 (an int64_t of ns ends in 2262) */
	ns = (int64_t)((uint64_t)ns >> 1);
	pid = data[9] | data[10] << 8;
	fuzz_split(data + 11, size - 11, parts, 2);
	hlen = strnlen(parts[0].p,
		       parts[0].len < sizeof(host) - 1 ? parts[0].len : sizeof(host) - 1);
	memcpy(host, parts[0].p, hlen);
	host[hlen] = '\0';

	flen = syslog_frame(frame, sizeof(frame), type, ns, host, pid, parts[1].p, parts[1].len);
	if (flen) {
		if (flen > SYSLOG_MSG_MAX || strlen(frame) > flen)
			fuzz_fail("syslog_frame: %zu bytes", flen);
		check_frame(frame, flen, type, ns, host, pid, parts[1].p, parts[1].len);
	} else if (syslog_header(frame, sizeof(frame), type, ns, host, pid) + parts[1].len <=
		   SYSLOG_MSG_MAX) {
		fuzz_fail("syslog_frame refused a message of %zu bytes that fits", parts[1].len);
	}
	/* a buffer too small for the header: refused, never cut */
	if (syslog_header(small, (size_t)data[0] % sizeof(small), type, ns, host, pid) &&
	    strlen(small) >= (size_t)data[0] % sizeof(small))
		fuzz_fail("syslog_header wrote past its buffer");

	r = malloc(sizeof(*r) + parts[1].len + 1);
	if (!r)
		fuzz_fail("out of memory");
	r->type = type;
	r->real_ns = ns;
	r->len = parts[1].len;
	memcpy(r->line, parts[1].p, parts[1].len);
	r->line[r->len] = '\0';
	check_write(SOCK_DGRAM, frame, flen, r, host, pid);
	check_write(SOCK_STREAM, frame, flen, r, host, pid);
	free(r);
	return 0;
}
