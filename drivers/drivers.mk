# Datastore drivers and the broken-driver fixtures of the tests.
#
# Each driver is one .so built from drivers/NAME/ into $(BUILD)/plugins.d/,
# with only certlc/driver.h from the framework (never its sources or its
# library): -fPIC -fvisibility=hidden, -shared -Wl,-z,defs, no rpath, and
# pkg-config for every library it uses. The entry function is the one
# exported symbol.
#
# `make run` uses $(BUILD)/plugins.d: the Makefile's run target copies the
# built drivers into plugins.d/ (conf/certlc.ini's plugins_dir), where users
# also drop their own.

DRV_CFLAGS  := -O2 -g -std=c11 -D_GNU_SOURCE $(WARN) -fPIC -fvisibility=hidden \
               -Iframework/include
DRV_LDFLAGS := -shared -Wl,-z,defs
ifeq ($(SAN),1)
DRV_CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer \
               -fno-sanitize-recover=undefined
DRV_LDFLAGS += -fsanitize=address,undefined
endif

ETCD_PKGS   := libcurl jansson
ETCD_CFLAGS := $(shell pkg-config --cflags $(ETCD_PKGS) 2>/dev/null)
ETCD_LIBS   := $(shell pkg-config --libs $(ETCD_PKGS) 2>/dev/null)

DRV_HDR := framework/include/certlc/driver.h

# Helpers shared by the datastore drivers: compiled into each .so that uses
# them (a second source on its command line), never a library of its own;
# with -fvisibility=hidden they stay internal to each driver.
DRV_UTIL     := drivers/common/drvutil.c
DRV_UTIL_DEP := $(DRV_UTIL) drivers/common/drvutil.h

$(BUILD)/plugins.d $(BUILD)/fixtures:
	@mkdir -p $@

$(BUILD)/plugins.d/example.so: drivers/example/example.c $(DRV_HDR) | $(BUILD)/plugins.d
	$(CC) $(DRV_CFLAGS) $(DRV_LDFLAGS) -o $@ $<

$(BUILD)/plugins.d/etcd.so: drivers/etcd/etcd.c $(DRV_UTIL_DEP) $(DRV_HDR) | $(BUILD)/plugins.d
	$(CC) $(DRV_CFLAGS) $(ETCD_CFLAGS) $(DRV_LDFLAGS) -o $@ $< $(DRV_UTIL) $(ETCD_LIBS)

# Fixtures: tests/fixtures/broken.c with BROKEN=N (see the file).
FIXTURES := bad-magic:1 abi-major:2 short-struct:3 no-entry:4 no-method:5 \
            init-fails:6 dup-name:7 ctrl-name:8 long-name:9 huge-size:10
define fixture
$(BUILD)/fixtures/$(1).so: tests/fixtures/broken.c drivers/example/example.c $(DRV_HDR) | $(BUILD)/fixtures
	$$(CC) $$(DRV_CFLAGS) -DBROKEN=$(2) $$(DRV_LDFLAGS) -o $$@ $$<
DRIVER_FIXTURES += $(BUILD)/fixtures/$(1).so
endef
DRIVER_FIXTURES :=
$(foreach f,$(FIXTURES),$(eval $(call fixture,$(word 1,$(subst :, ,$(f))),$(word 2,$(subst :, ,$(f))))))

# A file writable by its group: mode bits cannot live in git, so the
# example driver is copied and made group-writable here.
$(BUILD)/fixtures/group-writable.so: $(BUILD)/plugins.d/example.so | $(BUILD)/fixtures
	cp $< $@ && chmod 0664 $@
# A driver whose dependency is gone: dlopen fails (the ldd hint).
$(BUILD)/fixtures/missing-dep.so: tests/fixtures/broken.c drivers/example/example.c $(DRV_HDR) | $(BUILD)/fixtures
	printf 'int certlc_gone(void);\nint certlc_gone(void) { return 0; }\n' > $(BUILD)/fixtures/gone.c
	$(CC) -fPIC -shared -o $(BUILD)/fixtures/libcertlc-gone.so $(BUILD)/fixtures/gone.c
	$(CC) $(DRV_CFLAGS) -DBROKEN=0 $(DRV_LDFLAGS) -o $@ $< \
	    -L$(BUILD)/fixtures -Wl,--no-as-needed -lcertlc-gone
	rm -f $(BUILD)/fixtures/libcertlc-gone.so $(BUILD)/fixtures/gone.c
DRIVER_FIXTURES += $(BUILD)/fixtures/group-writable.so $(BUILD)/fixtures/missing-dep.so
# A driver built for ABI 1.0: the example driver against 1.0's header.
ABI10_HDR := tests/fixtures/abi-1.0/certlc/driver.h
$(BUILD)/fixtures/abi10.so: tests/fixtures/abi10.c drivers/example/example.c $(ABI10_HDR) | $(BUILD)/fixtures
	$(CC) $(DRV_CFLAGS:-Iframework/include=-Itests/fixtures/abi-1.0) $(DRV_LDFLAGS) -o $@ $<
DRIVER_FIXTURES += $(BUILD)/fixtures/abi10.so

DRIVERS += $(BUILD)/plugins.d/example.so $(BUILD)/plugins.d/etcd.so \
           $(DRIVER_FIXTURES)

# The drivers of mode external, each on its ecosystem's client
# library, and natscli (tests/tools), the libnats client the NATS tests use.
PG_CFLAGS   := $(shell pkg-config --cflags libpq 2>/dev/null)
PG_LIBS     := $(shell pkg-config --libs libpq 2>/dev/null)
MY_CFLAGS   := $(shell pkg-config --cflags libmariadb libcrypto 2>/dev/null)
MY_LIBS     := $(shell pkg-config --libs libmariadb libcrypto 2>/dev/null)
NATS_CFLAGS := $(shell pkg-config --cflags libnats 2>/dev/null)
NATS_LIBS   := $(shell pkg-config --libs libnats 2>/dev/null)

$(BUILD)/plugins.d/postgresql.so: drivers/postgresql/postgresql.c $(DRV_UTIL_DEP) $(DRV_HDR) | $(BUILD)/plugins.d
	$(CC) $(DRV_CFLAGS) $(PG_CFLAGS) $(DRV_LDFLAGS) -o $@ $< $(DRV_UTIL) $(PG_LIBS)

$(BUILD)/plugins.d/mysql.so: drivers/mysql/mysql.c $(DRV_UTIL_DEP) $(DRV_HDR) | $(BUILD)/plugins.d
	$(CC) $(DRV_CFLAGS) $(MY_CFLAGS) $(DRV_LDFLAGS) -o $@ $< $(DRV_UTIL) $(MY_LIBS)

$(BUILD)/plugins.d/nats.so: drivers/nats/nats.c $(DRV_UTIL_DEP) $(DRV_HDR) | $(BUILD)/plugins.d
	$(CC) $(DRV_CFLAGS) $(NATS_CFLAGS) $(DRV_LDFLAGS) -o $@ $< $(DRV_UTIL) $(NATS_LIBS)

$(BUILD)/tools:
	@mkdir -p $@

$(BUILD)/tools/natscli: tests/tools/natscli.c | $(BUILD)/tools
	$(CC) $(subst -fvisibility=hidden,,$(DRV_CFLAGS)) $(NATS_CFLAGS) -o $@ $< $(NATS_LIBS)

DRIVERS += $(BUILD)/plugins.d/postgresql.so $(BUILD)/plugins.d/mysql.so \
           $(BUILD)/plugins.d/nats.so $(BUILD)/tools/natscli
