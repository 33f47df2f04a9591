# certlc: one entry point for building, testing, running and installing.
#
#   make            build bin/certlc (in $(BUILD))
#   make run        install missing packages, build, run the operator on conf/
#   make test       install missing packages, build (gcc, clang, ASan+UBSan),
#                   run the unit and integration tests
#   make bench      benchmarks (not part of make test)
#   make install    PREFIX=/usr/local DESTDIR=
#   make clean

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
BUILD   ?= build
# SAN=1 builds with AddressSanitizer and UndefinedBehaviorSanitizer.
SAN     ?=

PKGS     := libcrypto inih jansson yaml-0.1
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_CFLAGS := $(shell pkg-config --cflags cmocka 2>/dev/null)
CMOCKA_LIBS   := $(shell pkg-config --libs cmocka 2>/dev/null)

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2 \
           -Wno-format-nonliteral
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE $(WARN) -fno-common \
           -Iframework/src -Iframework/include $(PKG_CFLAGS)
ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer \
           -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif
LDLIBS  := $(PKG_LIBS) -ldl -lm

FW_SRCS := $(filter-out framework/src/main.c,$(wildcard framework/src/*.c))
FW_OBJS := $(patsubst framework/src/%.c,$(BUILD)/obj/%.o,$(FW_SRCS))
LIB     := $(BUILD)/libcertlc.a
BIN     := $(BUILD)/certlc

.PHONY: all deps run test unit integration bench install clean check-clang

# Drivers (each a .so) and the test fixtures declare themselves here.
DRIVERS :=
-include drivers/drivers.mk

all: $(BIN) $(DRIVERS)

deps:
	@sh scripts/deps.sh

$(BUILD)/obj/%.o: framework/src/%.c $(wildcard framework/src/*.h) | $(BUILD)/obj
	$(CC) $(CFLAGS) -c -o $@ $<

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

integration: $(BIN)
	@sh tests/run-integration.sh $(abspath $(BIN))

# The whole suite as CI runs it: the default build, then the same unit tests
# under ASan+UBSan, a warning check under clang, and the integration tests.
test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory check-clang
	@$(MAKE) --no-print-directory BUILD=build-san SAN=1 all $(patsubst $(BUILD)/%,build-san/%,$(UNIT_TESTS))
	@sh tests/run-all.sh

check-clang:
	@$(MAKE) --no-print-directory BUILD=build-clang CC=clang all

run: deps
	@$(MAKE) --no-print-directory all
	./$(BIN) -c conf/certlc.ini run

bench: deps
	@$(MAKE) --no-print-directory all
	@sh bench/run.sh $(abspath $(BUILD))

install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/certlc/plugins.d \
	    $(DESTDIR)$(PREFIX)/share/certlc/conf/tenants.d \
	    $(DESTDIR)$(PREFIX)/share/certlc/conf/datastores.d
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/certlc
	install -m 0644 conf/certlc.ini $(DESTDIR)$(PREFIX)/share/certlc/conf/
	install -m 0644 conf/tenants.d/*.ini $(DESTDIR)$(PREFIX)/share/certlc/conf/tenants.d/

clean:
	rm -rf build build-san build-clang var
