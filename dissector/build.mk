# dissector/build.mk - the Wireshark plugin (GPL-2.0-or-later): build/dissector/plugins/
# 4.0/epan/vsockkit.so, the layout WIRESHARK_PLUGIN_DIR expects (tests point it at
# build/dissector/plugins).  libvsk is compiled again with -fPIC into the plugin; libvsk.a
# for the tools is untouched.  Needs libwireshark-dev and libglib2.0-dev (tests/deps.sh).

WS_PKG       := wireshark
# 4.0: the plugin API version (major.minor) that names the plugin folder.
WS_VERSION   := $(shell pkg-config --modversion $(WS_PKG) 2>/dev/null | cut -d. -f1,2)
# Wireshark's headers are not ours: -isystem keeps our warnings on our code only.
WS_CFLAGS    := $(patsubst -I%,-isystem %,$(shell pkg-config --cflags $(WS_PKG) 2>/dev/null))
WS_LIBS      := $(shell pkg-config --libs $(WS_PKG) 2>/dev/null)
WS_PLUGINDIR ?= $(shell pkg-config --variable=plugindir $(WS_PKG) 2>/dev/null)

DIS_B      := $(B)/dissector
DIS_SO     := $(DIS_B)/plugins/$(WS_VERSION)/epan/vsockkit.so
DIS_SRC    := $(filter-out dissector/rulecaps.c,$(wildcard dissector/*.c))
DIS_OBJ    := $(DIS_SRC:%.c=$(DIS_B)/obj/%.o)
DIS_LIBOBJ := $(LIB_SRC:%.c=$(DIS_B)/obj/%.o)
DIS_LIBA   := $(DIS_B)/libvsk-pic.a
DIS_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Ilib -fPIC -fvisibility=hidden

# rulecaps: one capture per flow rule for tests/cli/dissector.sh (needs no Wireshark).
DIS_RULECAPS := $(DIS_B)/rulecaps
PARTS_ALL += $(DIS_RULECAPS)
ifneq ($(WS_VERSION),)
PARTS_ALL += $(DIS_SO)
endif

$(DIS_RULECAPS): dissector/rulecaps.c $(LIBVSK)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBVSK) $(PCAP_LIBS)

$(DIS_B)/obj/lib/%.o: lib/%.c $(DEF_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(DIS_CFLAGS) -c $< -o $@

$(DIS_B)/obj/dissector/%.o: dissector/%.c $(DEF_DEPS) $(wildcard dissector/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(DIS_CFLAGS) $(WS_CFLAGS) -c $< -o $@

$(DIS_LIBA): $(DIS_LIBOBJ)
	@rm -f $@
	ar rcs $@ $^

$(DIS_SO): $(DIS_OBJ) $(DIS_LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(DIS_CFLAGS) -shared -Wl,--no-undefined -o $@ $(DIS_OBJ) $(DIS_LIBA) $(WS_LIBS)

.PHONY: install-dissector uninstall-dissector
install: install-dissector
uninstall: uninstall-dissector

# Into Wireshark's global plugin folder (pkg-config wireshark plugindir, e.g.
# /usr/lib/x86_64-linux-gnu/wireshark/plugins/4.0): Wireshark looks nowhere under PREFIX.
install-dissector: $(if $(WS_VERSION),$(DIS_SO))
	@[ -n "$(WS_VERSION)" ] || { echo "install-dissector: libwireshark-dev is missing (make deps)" >&2; exit 1; }
	install -d $(DESTDIR)$(WS_PLUGINDIR)/epan
	install -m 0644 $(DIS_SO) $(DESTDIR)$(WS_PLUGINDIR)/epan/vsockkit.so

uninstall-dissector:
	rm -f $(DESTDIR)$(WS_PLUGINDIR)/epan/vsockkit.so
