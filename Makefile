# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# pyaudit-trace: .bpf.c -> .bpf.o -> skeleton -> loader binary, all under $(OUT).

OUT	?= build
CC	?= cc
CLANG	?= clang
BPFTOOL	?= bpftool
ARCH	:= $(shell uname -m | sed 's/x86_64/x86/')
PYTHON	?= /usr/bin/python3

PKGS	:= libbpf libelf zlib capstone
CFLAGS	?= -O2 -g
CFLAGS	+= -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -std=gnu11 \
	   -D_GNU_SOURCE -Iinclude -Iuser -I$(OUT) $(shell pkg-config --cflags $(PKGS))
LDLIBS	+= $(shell pkg-config --libs $(PKGS))
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Iinclude -Ivmlinux/$(ARCH) -Ibpf

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-9s %s\n' "$(1)" "$(2)";
endif

USER_SRCS := $(wildcard user/*.c)
USER_OBJS := $(patsubst user/%.c,$(OUT)/user/%.o,$(USER_SRCS)) $(OUT)/user/audit_events_table.o
LIB_OBJS  := $(filter-out $(OUT)/user/main.o,$(USER_OBJS))
UNIT_SRCS := $(wildcard tests/unit/*.c)
BIN	  := $(OUT)/pyaudit-trace

.PHONY: all clean test check unit unit-matrix unit-san fuzz fuzz-short e2e matrix bench vmlinux \
	demo deps install uninstall deb man-lint pkg-test
.SECONDARY: # keep the BPF object and skeleton between builds
.DELETE_ON_ERROR:
all: $(BIN)

$(OUT)/user $(OUT)/bpf $(OUT)/tests:
	$(Q)mkdir -p $@

$(OUT)/bpf/%.bpf.o: bpf/%.bpf.c include/pyaudit.h $(wildcard bpf/*.h) | $(OUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp && $(BPFTOOL) gen object $@ $@.tmp && rm -f $@.tmp

$(OUT)/%.skel.h: $(OUT)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

$(OUT)/user/audit_events_table.c: data/audit-events.tsv user/gen_events.awk | $(OUT)/user
	$(call msg,GEN,$@)
	$(Q)LC_ALL=C sort -t '	' -k1,1 -s $< | awk -f user/gen_events.awk > $@

$(OUT)/user/audit_events_table.o: $(OUT)/user/audit_events_table.c
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(OUT)/user/%.o: user/%.c $(OUT)/pyaudit.skel.h | $(OUT)/user
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BIN): $(USER_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

# Root-free unit tests: each tests/unit/test_*.c links against the library objects.
$(OUT)/tests/%: tests/unit/%.c $(LIB_OBJS) | $(OUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -Itests/unit $< $(LIB_OBJS) $(LDLIBS) -o $@

UNIT_BINS := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(filter tests/unit/test_%.c,$(UNIT_SRCS)))

unit: $(UNIT_BINS)
	$(Q)set -e; pass=0; fail=0; for t in $(UNIT_BINS); do \
		if $$t; then pass=$$((pass+1)); else fail=$$((fail+1)); fi; done; \
		echo "unit: $$pass passed, $$fail failed"; [ $$fail -eq 0 ]

# The same unit tests built with ASan and UBSan (any report fails the run).  clang, as for
# the fuzzers: its UBSan also sees pointer arithmetic that wraps, which gcc's misses.
SAN_CC	  ?= clang
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN_OBJS  := $(patsubst $(OUT)/%,$(OUT)/san/%,$(LIB_OBJS))
SAN_BINS  := $(patsubst $(OUT)/tests/%,$(OUT)/san/tests/%,$(UNIT_BINS))

$(OUT)/san/user/audit_events_table.o: $(OUT)/user/audit_events_table.c
	$(Q)mkdir -p $(@D)
	$(Q)$(SAN_CC) $(CFLAGS) $(SAN_FLAGS) -c $< -o $@

$(OUT)/san/user/%.o: user/%.c $(OUT)/pyaudit.skel.h
	$(call msg,CC-SAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(SAN_CC) $(CFLAGS) $(SAN_FLAGS) -MMD -MP -c $< -o $@

$(OUT)/san/tests/%: tests/unit/%.c $(SAN_OBJS)
	$(call msg,CC-SAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(SAN_CC) $(CFLAGS) $(SAN_FLAGS) -MMD -MP -Itests/unit $< $(SAN_OBJS) $(LDLIBS) -o $@

unit-san: $(SAN_BINS)
	$(Q)set -e; pass=0; fail=0; for t in $(SAN_BINS); do \
		if UBSAN_OPTIONS=print_stacktrace=1 $$t >$$t.log 2>&1; then pass=$$((pass+1)); \
		else fail=$$((fail+1)); tail -n 30 $$t.log; fi; done; \
		echo "unit-san: $$pass passed, $$fail failed (ASan, UBSan)"; [ $$fail -eq 0 ]

# libFuzzer targets (clang; libclang-rt-14-dev has the runtime), see tests/fuzz/run.sh.
# `make fuzz` runs each for FUZZ_TIME seconds; `make test` for FUZZ_SHORT.
# FUZZ_TARGETS=elf (or decode) runs that one only.
FUZZ_CC	   ?= clang
FUZZ_TIME  ?= 600
FUZZ_SHORT ?= 40
FUZZ_CFLAGS := $(filter-out -O%,$(CFLAGS)) -O1 -fsanitize=fuzzer-no-link $(SAN_FLAGS)
FUZZ_LINK   := -fsanitize=fuzzer $(SAN_FLAGS)
# Every library object, so that a module added later (one the analysis or the renderers
# call) is in the targets without a change here.
FUZZ_OBJS   := $(patsubst $(OUT)/%,$(OUT)/fuzz/%,$(LIB_OBJS))

$(OUT)/fuzz/user/audit_events_table.o: $(OUT)/user/audit_events_table.c
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(OUT)/fuzz/user/%.o: user/%.c $(OUT)/pyaudit.skel.h
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

$(OUT)/fuzz/fuzz_elf: tests/fuzz/fuzz_elf.c $(FUZZ_OBJS)
	$(call msg,FUZZ,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_LINK) $^ $(LDLIBS) -o $@

$(OUT)/fuzz/fuzz_decode: tests/fuzz/fuzz_decode.c $(FUZZ_OBJS)
	$(call msg,FUZZ,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -Itests/unit $(FUZZ_LINK) $^ $(LDLIBS) -o $@

$(OUT)/fuzz/seed_records: tests/fuzz/seed_records.c tests/unit/unit.h
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Itests/unit $< -o $@

FUZZ_BINS := $(OUT)/fuzz/fuzz_elf $(OUT)/fuzz/fuzz_decode $(OUT)/fuzz/seed_records

fuzz: $(FUZZ_BINS)
	$(Q)tests/fuzz/run.sh $(OUT) $(FUZZ_TIME) $(FUZZ_TARGETS)

fuzz-short: $(FUZZ_BINS)
	$(Q)tests/fuzz/run.sh $(OUT) $(FUZZ_SHORT) $(FUZZ_TARGETS)

e2e: $(BIN)
	$(Q)$(PYTHON) -m pytest -q -rs tests/e2e

# The CPython matrix (bullseye 3.9, trixie 3.13, sid 3.14/3.15, pyenv stripped copy),
# cached outside the tree; the e2e tests read its manifest.
matrix:
	$(Q)scripts/provision-matrix.sh

# `make test` and `make demo` install what is missing first, then re-read this
# Makefile (pkg-config flags are only known once the -dev packages are there).
test: deps
	$(Q)$(MAKE) --no-print-directory check

check: all unit unit-san matrix unit-matrix fuzz-short e2e pkg-test

# The audit-gate scan against every row of the provisioned matrix (tests/unit/test_gates.c).
unit-matrix: $(OUT)/tests/test_gates
	$(Q)$(OUT)/tests/test_gates --require-matrix

bench: deps
	$(Q)$(MAKE) --no-print-directory all && bench/run.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory all && $(BIN) -- /usr/bin/python3.11 tests/workloads/demo.py

deps:
	$(Q)scripts/install-deps.sh

vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/$(ARCH)/vmlinux.h

clean:
	rm -rf $(OUT)

# ---- install and package -------------------------------------------------------------
# The tool needs root (BPF, uprobes): sbin, man section 8.  `make install` as usual:
#   make install [PREFIX=/usr/local] [DESTDIR=/staging]; make uninstall likewise.
PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SYSTEMDDIR ?= $(PREFIX)/lib/systemd/system
INSTALL	?= install
VERSION	:= $(shell sed -n 's/^const char \*argp_program_version = "pyaudit-trace \(.*\)";/\1/p' user/cli.c)
INSTALLED := $(SBINDIR)/pyaudit-trace $(MANDIR)/man8/pyaudit-trace.8 \
	$(BASHCOMPDIR)/pyaudit-trace $(SYSTEMDDIR)/pyaudit-trace.service

install: $(BIN)
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(SYSTEMDDIR)
	$(INSTALL) -m 0755 $(BIN) $(DESTDIR)$(SBINDIR)/pyaudit-trace
	$(INSTALL) -m 0644 docs/pyaudit-trace.8 $(DESTDIR)$(MANDIR)/man8/pyaudit-trace.8
	$(INSTALL) -m 0644 data/pyaudit-trace.bash-completion $(DESTDIR)$(BASHCOMPDIR)/pyaudit-trace
	sed 's|/usr/sbin/pyaudit-trace|$(SBINDIR)/pyaudit-trace|g' deploy/pyaudit-trace.service \
		> $(DESTDIR)$(SYSTEMDDIR)/pyaudit-trace.service.tmp
	chmod 0644 $(DESTDIR)$(SYSTEMDDIR)/pyaudit-trace.service.tmp
	mv -f $(DESTDIR)$(SYSTEMDDIR)/pyaudit-trace.service.tmp $(DESTDIR)$(SYSTEMDDIR)/pyaudit-trace.service

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))

# Both linters must be silent: groff with every warning on, mandoc at its strictest.
man-lint:
	$(Q)groff -ww -man -z docs/pyaudit-trace.8 2>&1 | { ! grep .; } || \
		{ echo "man-lint: groff warns on docs/pyaudit-trace.8" >&2; exit 1; }
	$(Q)mandoc -T lint -W style docs/pyaudit-trace.8

# A .deb from a staged `make install PREFIX=/usr`: the man page gzipped and the binary
# stripped as Debian does, Depends computed by dpkg-shlibdeps from the linked libraries.
DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null)
DEB	:= $(OUT)/pyaudit-trace_$(VERSION)_$(DEB_ARCH).deb
DEB_STAGE := $(OUT)/deb/debian/pyaudit-trace
DEB_MAINTAINER ?= pyaudit-trace developers <pyaudit-trace@localhost>

deb: $(DEB)

$(DEB): $(BIN) docs/pyaudit-trace.8 data/pyaudit-trace.bash-completion deploy/pyaudit-trace.service
	$(call msg,DEB,$@)
	$(Q)rm -rf $(OUT)/deb && mkdir -p $(DEB_STAGE)/DEBIAN $(DEB_STAGE)/usr/share/doc/pyaudit-trace
	$(Q)$(MAKE) --no-print-directory install PREFIX=/usr SYSTEMDDIR=/lib/systemd/system \
		DESTDIR=$(abspath $(DEB_STAGE)) >/dev/null
	$(Q)strip --strip-unneeded --remove-section=.comment --remove-section=.note \
		$(DEB_STAGE)/usr/sbin/pyaudit-trace
	$(Q)gzip -9n $(DEB_STAGE)/usr/share/man/man8/pyaudit-trace.8
	$(Q)printf '%s\n' 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' \
		'Upstream-Name: pyaudit-trace' '' 'Files: *' 'License: LGPL-2.1 or BSD-2-Clause' \
		' On Debian systems the LGPL-2.1 is in /usr/share/common-licenses/LGPL-2.1.' \
		> $(DEB_STAGE)/usr/share/doc/pyaudit-trace/copyright
	$(Q)printf 'Source: pyaudit-trace\n\nPackage: pyaudit-trace\nArchitecture: any\n' \
		> $(OUT)/deb/debian/control
	$(Q)cd $(OUT)/deb && dpkg-shlibdeps -O -edebian/pyaudit-trace/usr/sbin/pyaudit-trace \
		2>/dev/null | sed -n 's/^shlibs:Depends=//p' > debian/depends
	$(Q)test -s $(OUT)/deb/debian/depends || { echo "deb: dpkg-shlibdeps found no dependency" >&2; exit 1; }
	$(Q){ printf 'Package: pyaudit-trace\nVersion: %s\nArchitecture: %s\n' '$(VERSION)' '$(DEB_ARCH)'; \
	  printf 'Maintainer: %s\nInstalled-Size: %s\n' '$(DEB_MAINTAINER)' \
		"$$(du -sk --exclude=DEBIAN $(DEB_STAGE) | cut -f1)"; \
	  printf 'Depends: %s\nSuggests: bash-completion\n' "$$(cat $(OUT)/deb/debian/depends)"; \
	  printf 'Section: admin\nPriority: optional\n'; \
	  printf 'Description: show the audit events of Python processes from outside\n'; \
	  printf ' CPython raises PEP 578 audit events (open, import, exec, socket.connect,\n'; \
	  printf ' subprocess.Popen, ...) at every security-relevant step. pyaudit-trace sees\n'; \
	  printf ' them with eBPF (USDT or uprobes) from outside, with no change to the\n'; \
	  printf ' program: for a command, running processes, or every Python on the host.\n'; \
	} > $(DEB_STAGE)/DEBIAN/control
	$(Q)dpkg-deb --root-owner-group -Zxz --build $(DEB_STAGE) $@ >/dev/null

# The package tests: man page lint, install/uninstall, completion, the .deb installed
# into a freshly debootstrapped bookworm (cached in /var/cache/pyaudit-trace/pkg).
pkg-test: $(BIN)
	$(Q)$(PYTHON) -m pytest -q -rs tests/pkg

-include $(wildcard $(OUT)/user/*.d $(OUT)/tests/*.d $(OUT)/san/*/*.d $(OUT)/fuzz/user/*.d)
