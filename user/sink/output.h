/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Where records go: standard output or a file opened for appending, one
 * record per line. A failed write (a full disk) is counted and the record
 * dropped, and the part of it that did go out is taken back (or, on a pipe,
 * ended by a newline before the next record): no line is ever half a record
 * joined to the next. Monitoring goes on and writing resumes when space
 * returns. A
 * closed pipe on standard output is fatal: output_write returns -EPIPE.
 *
 * output_write runs in the output's writer thread, output_reopen in the
 * monitor's: the new file is handed over and the writer switches to it
 * before its next record.
 */
#ifndef STOPTRACE_OUTPUT_H
#define STOPTRACE_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum out_format {
	OUT_TEXT = 1,
	OUT_JSON,
};

struct output {
	int fd;
	int next_fd; /* opened by output_reopen, taken by the next write; -1: none */
	bool own_fd; /* opened from a path: closed and reopened by us */
	char *path;
	enum out_format format;
	bool color;	       /* text on a terminal */
	uint64_t records;      /* lines written whole */
	uint64_t write_errors; /* records dropped on a failed write */
	int last_errno;
	bool torn; /* a failed write left part of a line that could not be taken back */
	/* opens path for output_reopen (safefile_open_output when NULL); fd or -errno, why */
	int (*open_fn)(const char *path, char *why, size_t cap);
	char why[512]; /* why the last open failed, naming the path */
};

/* path NULL: standard output. */
int output_open(struct output *o, const char *path, enum out_format format, bool color);
/* Reopen the file (after logrotate renamed it): SIGHUP. -errno: the old file stays. */
int output_reopen(struct output *o);
void output_close(struct output *o);
/* Write one record; a newline is added. */
int output_write(struct output *o, const char *line, size_t len);

#endif /* STOPTRACE_OUTPUT_H */
