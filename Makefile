# vsockkit top-level Makefile.  `make check` installs missing Debian packages, builds with
# -Werror and runs every test; `make demo` runs the main job.  See README.md.

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
CLANG   ?= clang
B       := build

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wwrite-strings -Wformat=2 -Werror
CFLAGS  ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Ilib
PCAP_LIBS := -lpcap

LIB_SRC  := $(wildcard lib/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/obj/%.o)
LIBVSK   := $(B)/libvsk.a
DEF_DEPS := lib/vsock.def $(wildcard lib/vsk/*.h)

# Tools: every folder vsock*/ with a main.c is one, built from all its .c files and
# libvsk.a; NAME_CFLAGS and NAME_LIBS add what it needs beyond that.
TOOL_NAMES := $(patsubst %/main.c,%,$(wildcard vsock*/main.c))
TOOLS      := $(TOOL_NAMES:%=$(B)/%)
# conformance/ builds the tool vsock-conformance (man/vsock-conformance.1).
ifneq ($(wildcard conformance/main.c),)
TOOLS      += $(B)/vsock-conformance
endif
vsockdump_LIBS := $(PCAP_LIBS)
vsockdev_LIBS  := $(PCAP_LIBS)
vsockss_CFLAGS := $(shell pkg-config --cflags libnl-3.0 2>/dev/null)
vsockss_LIBS   := $(shell pkg-config --libs libnl-3.0 ncursesw 2>/dev/null)

UNIT_SRC := $(wildcard tests/unit/test-*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
HELPERS  := $(B)/tests/mkcap

FUZZ_SRC := $(wildcard fuzz/fuzz-*.c)
FUZZ_REPLAY := $(FUZZ_SRC:fuzz/fuzz-%.c=$(B)/fuzz/replay-%)
FUZZ_BIN := $(FUZZ_SRC:fuzz/fuzz-%.c=$(B)/fuzz/fuzz-%)
fuzz_vdev_SRC := conformance/device.c
fuzz_hybridopts_SRC := conformance/hybrid-opts.c
fuzz_vuopts_SRC := conformance/vhostuser-opts.c conformance/hybrid-opts.c
fuzz_agent_SRC := conformance/agent.c conformance/guest-opts.c
fuzz_modelopts_SRC := conformance/model-opts.c conformance/device.c conformance/hybrid-opts.c
fuzz_mutate_SRC := vsockdev/mutate.c
fuzz_expect_SRC := conformance/expect.c

# Parts with build rules of their own (dissector/build.mk: the Wireshark plugin) add their
# targets to PARTS_ALL and their files to PARTS_INSTALL.
PARTS_ALL :=
.DEFAULT_GOAL := all
include $(wildcard */build.mk)

.PHONY: all check demo demo-file deps test fuzz asan install uninstall clean lint bench matrix

all: $(TOOLS) $(UNIT_BIN) $(HELPERS) $(FUZZ_REPLAY) $(PARTS_ALL)

$(B)/obj/%.o: %.c $(DEF_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(EXTRA_CFLAGS) -c $< -o $@

$(LIBVSK): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

define TOOL_template
$(1)_OBJ := $$(patsubst %.c,$(B)/obj/%.o,$$(wildcard $(1)/*.c))
$(B)/obj/$(1)/%.o: EXTRA_CFLAGS := $$($(1)_CFLAGS)
# a tool's objects depend on its own headers
$$($(1)_OBJ): $$(wildcard $(1)/*.h)
$(B)/$(1): $$($(1)_OBJ) $(LIBVSK)
	$$(CC) $$(ALL_CFLAGS) -o $$@ $$($(1)_OBJ) $(LIBVSK) $$($(1)_LIBS)
endef
$(foreach t,$(TOOL_NAMES),$(eval $(call TOOL_template,$(t))))
# vsockdev --mutate takes its names from the conformance suite's table.
$(vsockdev_OBJ): conformance/mutations.def

# conformance/: every .c but the targets' own tests; libpcap writes --capture files.
CONF_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(wildcard conformance/*.c))
$(B)/vsock-conformance: $(CONF_OBJ) $(LIBVSK)
	$(CC) $(ALL_CFLAGS) -o $@ $(CONF_OBJ) $(LIBVSK) $(PCAP_LIBS)

$(B)/tests/%: $(B)/obj/tests/unit/%.o $(LIBVSK)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBVSK) $(PCAP_LIBS)

# test-device also links the device model it tests.
$(B)/tests/test-device: $(B)/obj/tests/unit/test-device.o $(B)/obj/conformance/device.o $(LIBVSK)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(PCAP_LIBS)
$(CONF_OBJ) $(B)/obj/tests/unit/test-device.o: $(wildcard conformance/*.h) \
	conformance/mutations.def

$(B)/tests/mkcap: $(B)/obj/tests/mkcap.o $(LIBVSK)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBVSK) $(PCAP_LIBS)

# Fuzz targets: a replay main for make check (any compiler with ASan and UBSan: the
# replays, libvsk included, run under both, so an overread or undefined behaviour on a
# corpus input fails make check), libFuzzer binaries for make fuzz.
# fuzz_NAME_SRC lists sources beyond lib/ that fuzz-NAME.c needs (e.g. conformance/ files).
SAN_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) -O1 -g -fno-omit-frame-pointer \
              -fsanitize=address,undefined -fno-sanitize-recover=all -Ilib
LIBVSK_SAN := $(B)/san/libvsk.a
$(B)/san/obj/%.o: %.c $(DEF_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(SAN_CFLAGS) -c $< -o $@
$(LIBVSK_SAN): $(LIB_SRC:%.c=$(B)/san/obj/%.o)
	@rm -f $@
	ar rcs $@ $^
.SECONDEXPANSION:
$(B)/fuzz/replay-%: fuzz/fuzz-%.c fuzz/replay.c $(LIBVSK_SAN) $$(fuzz_$$*_SRC)
	@mkdir -p $(dir $@)
	$(CC) $(SAN_CFLAGS) -Iconformance -o $@ fuzz/fuzz-$*.c fuzz/replay.c $(fuzz_$*_SRC) \
		$(LIBVSK_SAN) $(PCAP_LIBS)

$(B)/fuzz/fuzz-%: fuzz/fuzz-%.c $(LIB_SRC) $(DEF_DEPS) $$(fuzz_$$*_SRC)
	@mkdir -p $(dir $@)
	$(CLANG) -std=c11 -D_GNU_SOURCE -g -O1 -Ilib -Iconformance \
		-fsanitize=fuzzer,address,undefined \
		-o $@ fuzz/fuzz-$*.c $(fuzz_$*_SRC) $(LIB_SRC) $(PCAP_LIBS)

FUZZ_SECONDS ?= 60
fuzz: deps $(FUZZ_BIN)
	@for t in $(FUZZ_SRC:fuzz/fuzz-%.c=%); do \
		mkdir -p fuzz/corpus/$$t; \
		echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
		$(B)/fuzz/fuzz-$$t -max_total_time=$(FUZZ_SECONDS) fuzz/corpus/$$t || exit 1; \
	done

asan:
	$(MAKE) B=build/asan CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer" all

deps:
	@tests/deps.sh

test: all
	@tests/run

check: deps
	@$(MAKE) --no-print-directory all
	@tests/run

demo: deps
	@$(MAKE) --no-print-directory all
	@tests/vm/run -k 6.12 -t 180 tests/vm/demo.sh

demo-file: all
	@tests/demo.sh

bench: deps all
	bench/run.sh

# The conformance matrix over Debian's kernels (tests/matrix.sh; KERNELS="6.1.0-50 ..." for
# some, default every 6.1 and 6.12 package apt offers): long, not part of check.
matrix: deps all
	tests/matrix.sh $(KERNELS)

# -Wwarning: STYLE notes about manuals not installed here (vsockdump(8) before
# `make install`, an outdated mandoc.db) are not faults of the pages.
lint:
	mandoc -Tlint -Wwarning man/*.[18]

install: $(TOOLS)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(TOOLS) $(DESTDIR)$(PREFIX)/bin/
	for m in man/*.[18]; do \
		s=$${m##*.}; install -d $(DESTDIR)$(PREFIX)/share/man/man$$s; \
		install -m 0644 $$m $(DESTDIR)$(PREFIX)/share/man/man$$s/; \
	done

uninstall:
	rm -f $(TOOLS:$(B)/%=$(DESTDIR)$(PREFIX)/bin/%) \
	      $(patsubst man/%,$(DESTDIR)$(PREFIX)/share/man/man8/%,$(wildcard man/*.8)) \
	      $(patsubst man/%,$(DESTDIR)$(PREFIX)/share/man/man1/%,$(wildcard man/*.1))

clean:
	rm -rf $(B)
