# certlc: one entry point for building, testing, running and installing.
#
#   make            build $(BUILD)/certlc and the drivers ($(BUILD)/plugins.d)
#   make run        install missing packages, build, run the operator on conf/
#   make test       install missing packages, build (gcc, clang, ASan+UBSan),
#                   run the layer check, the unit and integration tests
#   make check-layers  no folder of framework/ includes a higher layer
#                   (scripts/layers.sh, docs/architecture.md)
#   make bench      benchmarks (not part of make test)
#   make fuzz       libFuzzer on every parser of untrusted input, FUZZ_SECONDS
#                   each (default 30; not part of make test: that replays
#                   the corpus only), see docs/fuzzing.md
#   make install    PREFIX=/usr/local DESTDIR= (see the install target)
#   make deb        the Debian packages, in $(BUILD)/deb (make deb-test checks them)
#   make clean

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
BUILD   ?= build
# SAN=1 builds with AddressSanitizer and UndefinedBehaviorSanitizer.
SAN     ?=

# libcurl for the etcd store (etcd_client.c, store_etcd.c).
PKGS     := libcrypto inih jansson yaml-0.1 libmicrohttpd libcurl
# libsodium for the secretbox provider of encryption at rest (encryption.c).
PKGS     += libsodium
# libsystemd is optional: with it sd_notify comes from the library, without
# it from sdnotify.c's own few lines (framework/ops/).
HAVE_SYSTEMD := $(shell pkg-config --exists libsystemd 2>/dev/null && echo 1)
ifeq ($(HAVE_SYSTEMD),1)
PKGS     += libsystemd
endif
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null) \
              $(if $(HAVE_SYSTEMD),-DHAVE_SYSTEMD)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_CFLAGS := $(shell pkg-config --cflags cmocka 2>/dev/null)
CMOCKA_LIBS   := $(shell pkg-config --libs cmocka 2>/dev/null)

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2 \
           -Wno-format-nonliteral
CFLAGS  ?= -O2 -g
# The framework's sources lie in one folder per layer (framework/*/,
# scripts/layers.sh); every folder is on the include path, and every object
# lands flat in $(BUILD)/obj/ whatever its folder (tests/unit/tests.mk
# names them so).
FW_DIRS := $(patsubst %/,%,$(sort $(dir $(wildcard framework/*/*.c framework/*/*.h))))
FW_HDRS := $(wildcard $(addsuffix /*.h,$(FW_DIRS)))
CFLAGS  += -std=c11 -D_GNU_SOURCE $(WARN) -fno-common \
           $(addprefix -I,$(FW_DIRS)) -Iframework/include $(PKG_CFLAGS)
ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer \
           -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif
# FUZZ=1 (with CC=clang SAN=1, only as `make fuzz` sets it): coverage
# instrumentation for libFuzzer in every object.
ifeq ($(FUZZ),1)
CFLAGS  += -fsanitize=fuzzer-no-link
endif
LDLIBS  := $(PKG_LIBS) -ldl -lm

FW_SRCS := $(filter-out %/main.c,$(wildcard $(addsuffix /*.c,$(FW_DIRS))))
FW_OBJS := $(addprefix $(BUILD)/obj/,$(notdir $(FW_SRCS:.c=.o)))
LIB     := $(BUILD)/libcertlc.a
BIN     := $(BUILD)/certlc

.PHONY: all deps run test unit integration bench install clean check-clang \
        check-layers \
        deb deb-test fuzz fuzz-build fuzz-replay

# `make` alone builds `all`: drivers.mk, included below, defines rules
# first, and without this its first rule would be the default goal.
.DEFAULT_GOAL := all

# Drivers (each a .so) and the test fixtures declare themselves here.
DRIVERS :=
-include drivers/drivers.mk

all: $(BIN) $(DRIVERS)

deps:
	@sh scripts/deps.sh

# Each object from the one framework folder that has its source.
define fw_object
$(BUILD)/obj/$(basename $(notdir $(1))).o: $(1) $(FW_HDRS) | $(BUILD)/obj
	$$(CC) $$(CFLAGS) -c -o $$@ $$<
endef
$(foreach src,$(wildcard $(addsuffix /*.c,$(FW_DIRS))),$(eval $(call fw_object,$(src))))

$(BUILD)/obj $(BUILD)/tests:
	@mkdir -p $@

$(LIB): $(FW_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(BIN): $(BUILD)/obj/main.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Unit tests. Each links only the modules it tests, so that one module's
# tests build while another module is being written.
UNIT_TESTS :=
define unit_test
UNIT_TESTS += $(BUILD)/tests/test_$(1)
$(BUILD)/tests/test_$(1): tests/unit/test_$(1).c $(addprefix $(BUILD)/obj/,$(addsuffix .o,$(2))) | $(BUILD)/tests
	$$(CC) $$(CFLAGS) $$(CMOCKA_CFLAGS) $$(LDFLAGS) -o $$@ $$^ $$(CMOCKA_LIBS) $$(LDLIBS)
endef
include tests/unit/tests.mk

unit: $(UNIT_TESTS)
	@sh tests/run-unit.sh $(UNIT_TESTS)

# Fuzz harnesses (tests/fuzz/fuzz_NAME.c, one per parser of untrusted
# input; docs/fuzzing.md). Each is built twice: as $(BUILD)/tests/fuzz_NAME,
# a plain program (replay.c) that feeds it every file of its corpus
# tests/fuzz/corpus/NAME/ (make test, in build/ and build-san/), and as a
# libFuzzer binary under clang in build-fuzz/fuzz/ (make fuzz).
FUZZ_NAMES   := secret apply kubeconfig pki ini selector duration time
FUZZ_SECONDS ?= 30
FUZZ_REPLAY  := $(patsubst %,$(BUILD)/tests/fuzz_%,$(FUZZ_NAMES))

$(BUILD)/tests/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(wildcard tests/fuzz/*.h) $(LIB) | $(BUILD)/tests
	$(CC) $(CFLAGS) -Itests/fuzz $(LDFLAGS) -o $@ tests/fuzz/fuzz_$*.c tests/fuzz/replay.c $(LIB) $(LDLIBS)

fuzz-replay: $(FUZZ_REPLAY)

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(wildcard tests/fuzz/*.h) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/fuzz $(LDFLAGS) -fsanitize=fuzzer -o $@ tests/fuzz/fuzz_$*.c $(LIB) $(LDLIBS)

fuzz-build: $(patsubst %,$(BUILD)/fuzz/fuzz_%,$(FUZZ_NAMES))

fuzz: deps
	@$(MAKE) --no-print-directory -j$(JOBS) BUILD=build-fuzz CC=clang SAN=1 FUZZ=1 fuzz-build
	@sh tests/fuzz/run-fuzz.sh build-fuzz $(FUZZ_SECONDS) $(FUZZ_NAMES)

integration: $(BIN)
	@bash tests/run-integration.sh $(abspath $(BIN))

# The whole suite as CI runs it: the default build, then the same unit tests
# under ASan+UBSan, a warning check under clang, and the integration tests.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

# The default build first; its tests then run while the clang check and
# the ASan+UBSan build are made beside them (tests/run-all.sh,
# CERTLC_BUILD_LATER), and the sanitizer tests follow that build.
TEST_BUILD_LATER = $(MAKE) --no-print-directory -j$(JOBS) test-build-later
test: deps
	@t0=$$(date +%s); $(MAKE) --no-print-directory -j$(JOBS) test-build-gcc && \
	    echo "== the default build took $$(($$(date +%s) - t0)) s"
	@CERTLC_BUILD_LATER="$(TEST_BUILD_LATER)" sh tests/run-all.sh

# The three builds of make test, side by side under one -j$(JOBS): while
# one waits on its archive or its links, the others compile.
.PHONY: test-builds test-build-gcc test-build-san test-build-later
test-builds: test-build-gcc check-clang test-build-san
test-build-later: check-clang test-build-san
test-build-gcc:
	@$(MAKE) --no-print-directory all $(UNIT_TESTS) fuzz-replay
test-build-san:
	@$(MAKE) --no-print-directory BUILD=build-san SAN=1 all $(patsubst $(BUILD)/%,build-san/%,$(UNIT_TESTS)) fuzz-replay

# clang's warnings come from its front end, the same at -O0: the check
# builds unoptimized, in less than half the time.
check-clang:
	@CFLAGS="-O0" $(MAKE) --no-print-directory BUILD=build-clang CC=clang all

# No layer of framework/ includes a higher one (scripts/layers.sh); run by
# make test (tests/run-all.sh).
check-layers:
	@sh scripts/check-layers.sh

# The operator on conf/, beside a local etcd (scripts/local-etcd.sh) that the
# example tenant's datastore (conf/datastores.d/default.ini) points at. The
# built drivers are copied into plugins.d/, conf/certlc.ini's plugins_dir.
run: deps
	@$(MAKE) --no-print-directory all
	@mkdir -p plugins.d && install -m 0755 $(BUILD)/plugins.d/*.so plugins.d/
	sh scripts/local-etcd.sh ./$(BIN) -c conf/certlc.ini run

bench: deps
	@$(MAKE) --no-print-directory all
	@sh bench/run.sh $(abspath $(BUILD))

# The binary, the drivers, the configuration, the systemd unit and
# the man pages. /etc/certlc/certlc.ini (SYSCONFDIR) is written only when
# there is none, with this install's plugins_dir and state_dir; the example
# configuration goes to $(DATADIR)/examples as it is in conf/.
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib
PLUGINDIR  ?= $(LIBDIR)/certlc/plugins.d
DATADIR    ?= $(PREFIX)/share/certlc
MANDIR     ?= $(PREFIX)/share/man
UNITDIR    ?= $(LIBDIR)/systemd/system
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
STATEDIR   ?= /var/lib/certlc
# And the driver SDK: certlc/driver.h in INCLUDEDIR, certlc-driver.pc in
# PKGCONFIGDIR.
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
# The driver SDK's pkg-config file carries the version and the driver ABI
# (expanded only by the targets that use them).
VERSION     = $(shell sed -n 's/^\#define CERTLC_VERSION "\(.*\)"/\1/p' $(firstword $(wildcard framework/*/version.h)))
DRIVER_ABI  = $(shell sed -n 's/^\#define CERTLC_DRIVER_ABI_\(MAJOR\|MINOR\) \([0-9]*\)u/\2/p' \
                framework/include/certlc/driver.h | paste -sd.)
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  ?= $(PREFIX)/share/zsh/vendor-completions

install: $(BIN) $(filter $(BUILD)/plugins.d/%,$(DRIVERS))
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(PLUGINDIR) \
	    $(DESTDIR)$(DATADIR)/examples/tenants.d \
	    $(DESTDIR)$(DATADIR)/examples/datastores.d \
	    $(DESTDIR)$(SYSCONFDIR)/certlc/tenants.d \
	    $(DESTDIR)$(SYSCONFDIR)/certlc/datastores.d \
	    $(DESTDIR)$(UNITDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5
	install -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/certlc
	@# Every driver built, whatever drivers.mk builds; 0644: the loader
	@# refuses a driver that group or others may write.
	for f in $(BUILD)/plugins.d/*.so; do \
	    [ -e "$$f" ] || continue; \
	    install -m 0644 "$$f" $(DESTDIR)$(PLUGINDIR)/ || exit 1; \
	done
	install -m 0644 conf/certlc.ini $(DESTDIR)$(DATADIR)/examples/
	install -m 0644 conf/tenants.d/*.ini $(DESTDIR)$(DATADIR)/examples/tenants.d/
	for f in conf/datastores.d/*.ini; do \
	    [ -e "$$f" ] || continue; \
	    install -m 0644 "$$f" $(DESTDIR)$(DATADIR)/examples/datastores.d/ || exit 1; \
	done
	@mkdir -p $(BUILD)
	sed -e 's|^state_dir = .*|state_dir = $(STATEDIR)|' \
	    -e 's|^plugins_dir = .*|plugins_dir = $(PLUGINDIR)|' \
	    conf/certlc.ini > $(BUILD)/certlc.ini.installed
	[ -e $(DESTDIR)$(SYSCONFDIR)/certlc/certlc.ini ] || \
	    install -m 0644 $(BUILD)/certlc.ini.installed $(DESTDIR)$(SYSCONFDIR)/certlc/certlc.ini
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	    dist/certlc.service.in > $(BUILD)/certlc.service
	install -m 0644 $(BUILD)/certlc.service $(DESTDIR)$(UNITDIR)/certlc.service
	install -m 0644 docs/man/certlc.1 $(DESTDIR)$(MANDIR)/man1/certlc.1
	install -m 0644 docs/man/certlc.ini.5 $(DESTDIR)$(MANDIR)/man5/certlc.ini.5
	@# Shell completion, as the binary prints it.
	$(BIN) completion bash > $(BUILD)/certlc.bash-completion
	$(BIN) completion zsh > $(BUILD)/certlc.zsh-completion
	install -d $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	install -m 0644 $(BUILD)/certlc.bash-completion $(DESTDIR)$(BASHCOMPDIR)/certlc
	install -m 0644 $(BUILD)/certlc.zsh-completion $(DESTDIR)$(ZSHCOMPDIR)/_certlc
	@# The driver SDK: the one header a driver includes, and its .pc.
	install -d $(DESTDIR)$(INCLUDEDIR)/certlc $(DESTDIR)$(PKGCONFIGDIR)
	install -m 0644 framework/include/certlc/driver.h $(DESTDIR)$(INCLUDEDIR)/certlc/driver.h
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' \
	    -e 's|@PLUGINDIR@|$(PLUGINDIR)|g' -e 's|@ABI@|$(DRIVER_ABI)|g' \
	    -e 's|@VERSION@|$(VERSION)|g' dist/certlc-driver.pc.in > $(BUILD)/certlc-driver.pc
	install -m 0644 $(BUILD)/certlc-driver.pc $(DESTDIR)$(PKGCONFIGDIR)/certlc-driver.pc

# Debian packages (debian/): certlc, certlc-driver-{postgresql,mysql,nats},
# certlc-dev. dpkg-buildpackage writes next to the source tree, so it runs
# on a copy in $(DEB_DIR), where the .deb files land; MAKEFLAGS stays out of
# it so that this make's BUILD or SAN do not leak into the package build.
DEB_DIR := $(BUILD)/deb
DEB_SRC := Makefile README.md conf debian dist docs drivers examples \
           framework scripts tests

deb:
	@sh scripts/deps.sh deb
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/certlc-$(VERSION)
	cp -r $(DEB_SRC) $(DEB_DIR)/certlc-$(VERSION)/
	cd $(DEB_DIR)/certlc-$(VERSION) && \
	    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL dpkg-buildpackage -us -uc -b
	@ls $(DEB_DIR)/*.deb

# The packages' contents, modes and conffile, lintian, and the binary and
# drivers run from an extracted root. Slow: not part of make test (.ci/run
# runs it after).
deb-test: deb
	@bash tests/package/test_deb.sh $(abspath $(DEB_DIR))

clean:
	rm -rf build build-san build-clang build-fuzz var var-etcd
