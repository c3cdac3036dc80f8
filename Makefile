# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# stoptrace: `make` builds ./stoptrace, `make test` runs the whole test suite,
# `make deps` installs the Debian packages the build needs.

OUTPUT := .output
CLANG ?= clang
BPFTOOL ?= bpftool
CC ?= cc
PKG_CONFIG ?= pkg-config
PREFIX ?= /usr/local
DESTDIR ?=
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/stoptrace
SYSTEMD_UNIT_DIR ?= $(PREFIX)/lib/systemd/system
# logrotate reads /etc/logrotate.d whatever the prefix
LOGROTATE_DIR ?= /etc/logrotate.d
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
GIT_REV := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

ARCH := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/;s/ppc64le/powerpc/;s/mips.*/mips/;s/riscv64/riscv/')

WERROR := $(if $(CI),-Werror,)
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra $(WERROR) -D_GNU_SOURCE -Iinclude -Iuser -I$(OUTPUT) \
	  -DSTOPTRACE_VERSION='"$(VERSION)"' -DSTOPTRACE_REV='"$(GIT_REV)"'
LDLIBS += -lbpf -lelf -lz -lpthread

# clang -target bpf does not search the system include directories that hold
# asm/types.h on Debian (multiarch): ask the host compiler for them.
CLANG_BPF_SYS_INCLUDES ?= $(shell $(CLANG) -v -E - </dev/null 2>&1 \
	| sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')

# Build dependencies: Debian package -> a file it provides. Checked in the
# shell, at the time the rule runs, so `deps` and the build can share one make.
BUILD_PKGS := clang:/usr/bin/clang llvm:/usr/bin/llvm-strip libbpf-dev:/usr/include/bpf/libbpf.h \
	libelf-dev:/usr/include/libelf.h zlib1g-dev:/usr/include/zlib.h \
	libcmocka-dev:/usr/include/cmocka.h bpftool:/usr/sbin/bpftool make:/usr/bin/make \
	libclang-rt-14-dev:/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a
missing_pkgs = missing=""; for p in $(BUILD_PKGS); do [ -e "$${p\#*:}" ] || missing="$$missing $${p%%:*}"; done

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# user/ in folders by stage of the data flow (docs/architecture.md); every
# object but main's goes into one library the monitor, the tests, the
# fuzzers and the kernel test link.
USER_SRCS := $(wildcard user/*/*.c)
USER_HDRS := $(wildcard user/*/*.h)
USER_OBJS := $(patsubst user/%.c,$(OUTPUT)/%.o,$(USER_SRCS))
USER_LIB := $(OUTPUT)/libstoptrace.a
# tests/unit/ mirrors user/: tests/unit/lib/test_jsonw.c tests user/lib/jsonw.c
TEST_SRCS := $(wildcard tests/unit/*/test_*.c)
TEST_BINS := $(patsubst %.c,tests/.build/%,$(notdir $(TEST_SRCS)))
TEST_HDRS := $(wildcard tests/unit/*.h)
vpath test_%.c $(sort $(dir $(TEST_SRCS)))

.PHONY: all deps check-deps test unit unit-asan fuzzers fuzz fuzz-campaign run clean install format bench ktest

all: check-deps stoptrace

check-deps:
	@$(missing_pkgs); if [ -n "$$missing" ]; then \
		echo "stoptrace: missing build dependencies:$$missing" >&2; \
		echo "stoptrace: install them with 'sudo make deps' (or: apt-get install$$missing)" >&2; \
		exit 1; fi

deps:
	@$(missing_pkgs); if [ -z "$$missing" ]; then echo "build dependencies present"; exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then \
		echo "stoptrace: installing$$missing needs root: sudo make deps" >&2; exit 1; fi; \
	echo "installing:$$missing"; \
	DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing >/dev/null 2>&1 || \
	{ apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; }

# Set up and run the monitor: `sudo make run ARGS="--events"`.
run: deps
	@$(MAKE) --no-print-directory all
	./stoptrace $(ARGS)

$(OUTPUT):
	$(Q)mkdir -p $@

$(OUTPUT)/stoptrace.bpf.o: bpf/stoptrace.bpf.c $(wildcard bpf/*.h) include/stoptrace_event.h | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Iinclude -Ibpf \
		$(CLANG_BPF_SYS_INCLUDES) -c $< -o $@.tmp
	$(Q)llvm-strip -g $@.tmp -o /dev/null 2>/dev/null; mv $@.tmp $@

$(OUTPUT)/stoptrace.skel.h: $(OUTPUT)/stoptrace.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name stoptrace_bpf > $@.tmp && mv $@.tmp $@

$(OUTPUT)/%.o: user/%.c $(USER_HDRS) include/stoptrace_event.h $(OUTPUT)/stoptrace.skel.h | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(USER_LIB): $(USER_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

stoptrace: $(OUTPUT)/main.o $(USER_LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

# Unit tests link the library; none needs root or clang.
tests/.build/test_%: test_%.c $(TEST_HDRS) $(USER_LIB) | tests/.build
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit $< $(USER_LIB) $(LDLIBS) -lcmocka -o $@

tests/.build:
	$(Q)mkdir -p $@

unit: check-deps $(TEST_BINS)

# The whole test suite, on a fresh machine too: installs what it needs.
test: deps
	@$(MAKE) --no-print-directory all unit unit-asan fuzzers stoptrace-asan
	$(Q)tests/run

format:
	clang-format -i bpf/*.c bpf/*.h user/*.c user/*/*.c user/*/*.h include/*.h \
		tests/unit/*/*.c tests/unit/*.h tools/bench/*.c tests/kernel/*.c tests/kernel/*.h

# The kernel-side test, statically linked so it runs in a bare initramfs
# (tools/kernel-matrix boots it on other kernels) as well as on the host.
KTEST_SRCS := $(wildcard tests/kernel/*.c)
KTEST_LDLIBS := -static -lbpf -lelf -lz -lpthread

ktest: check-deps $(OUTPUT)/ktest

$(OUTPUT)/ktest: $(KTEST_SRCS) tests/kernel/ktest.h $(USER_LIB) | $(OUTPUT)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/kernel $(KTEST_SRCS) $(USER_LIB) $(KTEST_LDLIBS) -o $@

# The benchmark's tools (tools/bench/run drives them): the load generator and
# the floor, empty programs on stoptrace's hooks.
BENCH_BINS := $(OUTPUT)/bench-load $(OUTPUT)/bench-floor

bench: check-deps stoptrace $(BENCH_BINS)

$(OUTPUT)/bench-load: tools/bench/load.c | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@

$(OUTPUT)/floor.bpf.o: tools/bench/floor.bpf.c | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) $(CLANG_BPF_SYS_INCLUDES) -c $< -o $@

$(OUTPUT)/floor.skel.h: $(OUTPUT)/floor.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name floor_bpf > $@.tmp && mv $@.tmp $@

$(OUTPUT)/bench-floor: tools/bench/floor.c $(OUTPUT)/floor.skel.h | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(LDLIBS) -o $@

# `make install PREFIX=/usr DESTDIR=/tmp/pkg`: the binary, stoptrace(8), the
# records' documentation, the systemd unit (its ExecStart follows SBINDIR) and
# the logrotate snippet.
install: stoptrace
	install -D -m 0755 stoptrace $(DESTDIR)$(SBINDIR)/stoptrace
	install -D -m 0644 man/stoptrace.8 $(DESTDIR)$(MANDIR)/man8/stoptrace.8
	install -d -m 0755 $(DESTDIR)$(DOCDIR)
	install -m 0644 docs/*.md $(DESTDIR)$(DOCDIR)/
	install -d -m 0755 $(DESTDIR)$(SYSTEMD_UNIT_DIR)
	sed 's|^ExecStart=/usr/local/sbin/stoptrace |ExecStart=$(SBINDIR)/stoptrace |' \
		tools/deploy/stoptrace.service >$(DESTDIR)$(SYSTEMD_UNIT_DIR)/stoptrace.service
	chmod 0644 $(DESTDIR)$(SYSTEMD_UNIT_DIR)/stoptrace.service
	install -D -m 0644 tools/deploy/stoptrace.logrotate $(DESTDIR)$(LOGROTATE_DIR)/stoptrace

# Sanitizers: the unit tests and the monitor built with ASan+UBSan (clang's
# runtimes, from libclang-rt-14-dev), any report fatal. docs/hardening.md.
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN_CFLAGS := -O1 -g $(filter-out -O% -g,$(CFLAGS)) $(SAN)
ASAN_DIR := tests/.build-asan
ASAN_OBJS := $(patsubst user/%.c,$(ASAN_DIR)/obj/%.o,$(USER_SRCS))
ASAN_LIB := $(ASAN_DIR)/libstoptrace.a
ASAN_TESTS := $(patsubst %.c,$(ASAN_DIR)/%,$(notdir $(TEST_SRCS)))

$(ASAN_DIR)/obj/%.o: user/%.c $(USER_HDRS) include/stoptrace_event.h $(OUTPUT)/stoptrace.skel.h
	$(call msg,CC-ASAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(SAN_CFLAGS) -c $< -o $@

$(ASAN_LIB): $(ASAN_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(ASAN_DIR)/test_%: test_%.c $(TEST_HDRS) $(ASAN_LIB)
	$(call msg,CC-ASAN,$@)
	$(Q)$(CLANG) $(SAN_CFLAGS) -Itests/unit $< $(ASAN_LIB) $(LDLIBS) -lcmocka -o $@

unit-asan: check-deps $(ASAN_TESTS)

stoptrace-asan: $(ASAN_DIR)/obj/main.o $(ASAN_LIB)
	$(call msg,LINK,$@)
	$(Q)$(CLANG) $(SAN_CFLAGS) $^ $(LDLIBS) -o $@

# libFuzzer harnesses, one per parser of outside data (tests/fuzz/*.c, seeds in
# tests/fuzz/<name>/). `make fuzz` runs each for FUZZ_SECONDS; tests/run runs
# each briefly. They link the user-space objects from an archive built with
# the fuzzer's instrumentation; what a harness needs of them is declared in
# their headers.
FUZZ_SECONDS ?= 60
FUZZ_DIR := tests/.build-fuzz
FUZZ_CFLAGS := $(SAN_CFLAGS)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(FUZZ_DIR)/%,$(FUZZ_SRCS))
FUZZ_OBJS := $(patsubst user/%.c,$(FUZZ_DIR)/obj/%.o,$(USER_SRCS))

$(FUZZ_DIR)/obj/%.o: user/%.c $(USER_HDRS) include/stoptrace_event.h $(OUTPUT)/stoptrace.skel.h
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_DIR)/libstoptrace.a: $(FUZZ_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_DIR)/libstoptrace.a
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_DIR)/libstoptrace.a $(LDLIBS) -o $@

fuzzers: check-deps $(FUZZ_BINS)

# Each fuzzer for FUZZ_SECONDS (default 60), from its seeds plus what earlier
# runs found (kept in tests/.build-fuzz/corpus/); crashes go to
# tests/.build-fuzz/artifacts/.
fuzz: fuzzers
	$(Q)tools/fuzz $(FUZZ_SECONDS) $(notdir $(FUZZ_BINS))

# The long run: every harness for FUZZ_CAMPAIGN_SECONDS (default 1200), two
# at a time, each corpus then minimised into tests/fuzz/<name>/ (the kept
# corpus the brief runs start from); prints the table of docs/hardening.md.
FUZZ_CAMPAIGN_SECONDS ?= 1200
fuzz-campaign: fuzzers
	$(Q)FUZZ_CAMPAIGN_SECONDS=$(FUZZ_CAMPAIGN_SECONDS) tools/fuzz-campaign $(notdir $(FUZZ_BINS))

clean:
	rm -rf $(OUTPUT) stoptrace stoptrace-asan tests/.build tests/.build-asan tests/.build-fuzz
