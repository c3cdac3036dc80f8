/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the files of user/identity/ share and no one else needs.
 */
#ifndef STOPTRACE_IDENTITY_INT_H
#define STOPTRACE_IDENTITY_INT_H

#define HEX_ID_LEN  64
#define POD_UID_MAX 63

#endif /* STOPTRACE_IDENTITY_INT_H */
