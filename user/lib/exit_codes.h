/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The exit statuses of stoptrace's commands, as stoptrace(8) documents them
 * under EXIT STATUS. The monitor ends with EXIT_OK, EXIT_ERROR or
 * EXIT_USAGE; diagnose and trace also say their verdict with EXIT_PROBLEM
 * and EXIT_NOTFOUND; replay ends with EXIT_OK, EXIT_ERROR or EXIT_USAGE.
 * EXIT_ERROR, not EXIT_FAILURE: stdlib.h defines that name (also 1).
 */
#ifndef STOPTRACE_EXIT_CODES_H
#define STOPTRACE_EXIT_CODES_H

enum exit_code {
	EXIT_OK = 0,	   /* nothing wrong; trace: a graceful stop; monitor: ended by a signal */
	EXIT_ERROR = 1,	   /* any other error: said on standard error */
	EXIT_USAGE = 2,	   /* bad usage, or an id prefix that matches several containers */
	EXIT_PROBLEM = 3,  /* diagnose: a problem predicted or found; trace: the stop went wrong */
	EXIT_NOTFOUND = 4, /* diagnose, trace: no such container */
};

#endif /* STOPTRACE_EXIT_CODES_H */
