// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * allocate: allocate and touch memory in 1 MiB steps, forever.
 *
 * Every page is written through a volatile pointer, so neither the compiler
 * nor the kernel can skip it and the memory is really charged to the memory
 * cgroup: in a container with a memory limit the OOM killer ends it.
 */
#include <stdlib.h>
#include <unistd.h>

#define STEP (1UL << 20)
#define PAGE 4096UL

int main(void)
{
	volatile char *p;
	unsigned long off;

	for (;;) {
		p = malloc(STEP);
		if (!p) {
			/* Address space exhausted before any limit hit: wait to be killed. */
			pause();
			continue;
		}
		for (off = 0; off < STEP; off += PAGE)
			p[off] = 1;
	}
}
